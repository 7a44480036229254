/* apps.c — OAuth applications, access tokens and authorization codes.
 * Tokens and codes are stored only as hashes. */
#include "store/db.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

int store_app_create(const app *a)
{
	db_stmt *st = db_prepare(
		"INSERT INTO apps (id, name, website, redirect_uris, scopes,"
		" client_id, client_secret, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	db_bind_int64(st, 1, a->id);
	db_bind_text(st, 2, a->name);
	if (a->website)
		db_bind_text(st, 3, a->website);
	db_bind_text(st, 4, a->redirect_uris);
	db_bind_text(st, 5, a->scopes);
	db_bind_text(st, 6, a->client_id);
	db_bind_text(st, 7, a->client_secret);
	db_bind_int64(st, 8, a->id >> 16);
	return db_done(st);
}

static bool app_fetch(arena *ar, db_stmt *st, app *out)
{
	bool found = db_step(st) == DB_ROW;
	if (found) {
		out->id = db_column_int64(st, 0);
		out->name = arena_strdup(ar, db_text(st, 1));
		const char *w = db_text_or_null(st, 2);
		out->website = w ? arena_strdup(ar, w) : NULL;
		out->redirect_uris = arena_strdup(ar, db_text(st, 3));
		out->scopes = arena_strdup(ar, db_text(st, 4));
		out->client_id = arena_strdup(ar, db_text(st, 5));
		out->client_secret = arena_strdup(ar, db_text(st, 6));
	}
	db_reset(st);
	return found;
}

bool store_app_by_client_id(arena *ar, const char *client_id, app *out)
{
	db_stmt *st = db_prepare(
		"SELECT id, name, website, redirect_uris, scopes, client_id,"
		" client_secret FROM apps WHERE client_id = ?1");
	db_bind_text(st, 1, client_id);
	return app_fetch(ar, st, out);
}

bool store_app_get(arena *ar, int64_t id, app *out)
{
	db_stmt *st = db_prepare(
		"SELECT id, name, website, redirect_uris, scopes, client_id,"
		" client_secret FROM apps WHERE id = ?1");
	db_bind_int64(st, 1, id);
	return app_fetch(ar, st, out);
}

int store_token_create(int64_t id, const char *hash, int64_t app_id,
		       int64_t account_id, const char *scopes)
{
	db_stmt *st =
		db_prepare("INSERT INTO tokens (id, token_hash, app_id, "
			   "account_id, scopes,"
			   " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, hash);
	db_bind_int64(st, 3, app_id);
	if (account_id)
		db_bind_int64(st, 4, account_id);
	db_bind_text(st, 5, scopes);
	db_bind_int64(st, 6, id >> 16);
	return db_done(st);
}

int64_t store_token_revoke(const char *hash, int64_t app_id,
			   int64_t *account_id)
{
	store_read_end(); /* a write: see db_done */
	db_stmt *st = db_prepare("DELETE FROM tokens WHERE token_hash = ?1"
				 " AND app_id = ?2 RETURNING id, account_id");
	db_bind_text(st, 1, hash);
	db_bind_int64(st, 2, app_id);
	int rc = db_step(st);
	int64_t id = 0;
	if (rc == DB_ROW) {
		id = db_column_int64(st, 0);
		*account_id = db_column_int64(st, 1);
		rc = db_step(st); /* finish, so the delete commits */
	}
	db_reset(st);
	return rc == DB_DONE ? id : -1;
}

int store_token_revoke_of_account(int64_t account_id, int64_t token_id)
{
	db_stmt *st = db_prepare(
		"DELETE FROM tokens WHERE id = ?1 AND account_id = ?2");
	db_bind_int64(st, 1, token_id);
	db_bind_int64(st, 2, account_id);
	if (db_done(st) < 0)
		return -1;
	return db_changes();
}

int store_tokens_revoke_account(int64_t account_id, int64_t keep)
{
	db_stmt *st = db_prepare(
		"DELETE FROM tokens WHERE account_id = ?1 AND id <> ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, keep);
	if (db_done(st) < 0)
		return -1;
	return db_changes();
}

int store_user_set_password(int64_t account_id, const char *hash, int64_t keep)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st = db_prepare(
		"UPDATE users SET password_hash = ?2 WHERE account_id = ?1");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, hash);
	if (db_done(st) < 0 || db_changes() != 1 ||
	    store_tokens_revoke_account(account_id, keep) < 0 ||
	    store_web_sessions_delete_account(account_id) < 0 ||
	    db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

int store_tokens_each(int64_t account_id, store_session_fn fn, void *ctx,
		      arena *ar)
{
	db_stmt *st = db_prepare(
		"SELECT t.id, a.name, t.scopes, t.created_at FROM tokens t"
		" JOIN apps a ON a.id = t.app_id WHERE t.account_id = ?1"
		" ORDER BY t.id");
	db_bind_int64(st, 1, account_id);
	int n = 0, rc;
	while ((rc = db_step(st)) == DB_ROW) {
		store_session s = {
			.token_id = db_column_int64(st, 0),
			.app_name = arena_strdup(ar, db_text(st, 1)),
			.scopes = arena_strdup(ar, db_text(st, 2)),
			.created_at = db_column_int64(st, 3),
		};
		fn(&s, ctx);
		n++;
	}
	db_reset(st);
	return rc == DB_DONE ? n : -1;
}

int store_token_revision(int64_t *n)
{
	db_stmt *st = db_prepare("SELECT n FROM token_revision WHERE id = 1");
	int rc = db_step(st);
	if (rc == DB_ROW)
		*n = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

int store_tokens_alive(const int64_t *ids, size_t nids,
		       void (*fn)(int64_t, void *), void *ctx)
{
	/* one statement whatever the number of ids (DB_IN_IDS_*). An
	 * account deleted takes its tokens with it (ON DELETE CASCADE);
	 * suspension, when it exists, belongs in this WHERE too. */
#define TOKENS_ALIVE(IN_IDS)                                                   \
	"SELECT t.id FROM tokens t WHERE " IN_IDS("t.id", 1)
	db_stmt *st = db_prepare(DB_SQL(TOKENS_ALIVE(DB_IN_IDS_SQLITE),
					TOKENS_ALIVE(DB_IN_IDS_PG)));
#undef TOKENS_ALIVE
	if (!db_bind_ids(st, 1, ids, nids))
		return -1;
	int n = 0, rc;
	while ((rc = db_step(st)) == DB_ROW) {
		fn(db_column_int64(st, 0), ctx);
		n++;
	}
	db_reset(st);
	return rc == DB_DONE ? n : -1;
}

int store_auth_code_create(const char *hash, int64_t app_id, int64_t account_id,
			   const char *scopes, const char *redirect_uri,
			   const char *challenge, int64_t expires_at)
{
	db_stmt *st = db_prepare(
		"INSERT INTO auth_codes (code_hash, app_id, account_id, scopes,"
		" redirect_uri, challenge, expires_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	db_bind_text(st, 1, hash);
	db_bind_int64(st, 2, app_id);
	db_bind_int64(st, 3, account_id);
	db_bind_text(st, 4, scopes);
	db_bind_text(st, 5, redirect_uri);
	if (challenge)
		db_bind_text(st, 6, challenge);
	db_bind_int64(st, 7, expires_at);
	return db_done(st);
}

bool store_auth_code_take(arena *ar, const char *hash, int64_t *app_id,
			  int64_t *account_id, const char **scopes,
			  const char **redirect_uri, const char **challenge,
			  int64_t *expires_at)
{
	store_read_end(); /* a write: see db_done */
	db_stmt *st = db_prepare(
		"DELETE FROM auth_codes WHERE code_hash = ?1 RETURNING app_id,"
		" account_id, scopes, redirect_uri, challenge, expires_at");
	db_bind_text(st, 1, hash);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		*app_id = db_column_int64(st, 0);
		*account_id = db_column_int64(st, 1);
		*scopes = arena_strdup(ar, db_text(st, 2));
		*redirect_uri = arena_strdup(ar, db_text(st, 3));
		const char *c = db_text_or_null(st, 4);
		*challenge = c ? arena_strdup(ar, c) : NULL;
		*expires_at = db_column_int64(st, 5);
		/* finish the statement so the delete commits */
		while (db_step(st) == DB_ROW)
			;
	}
	db_reset(st);
	return found;
}
