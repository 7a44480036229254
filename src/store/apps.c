/* apps.c — OAuth applications, access tokens and authorization codes.
 * Tokens and codes are stored only as hashes. */
#include "store/db.h"
#include "store/store.h"

#include <string.h>

int store_app_create(const app *a)
{
	sqlite3_stmt *st = db_stmt(
		"INSERT INTO apps (id, name, website, redirect_uris, scopes,"
		" client_id, client_secret, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
	if (a->website)
		sqlite3_bind_text(st, 3, a->website, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->redirect_uris, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->scopes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->client_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->client_secret, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, a->id >> 16);
	return db_done(st);
}

static bool app_fetch(arena *ar, sqlite3_stmt *st, app *out)
{
	bool found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		out->id = sqlite3_column_int64(st, 0);
		out->name = arena_strdup(ar, db_text(st, 1));
		const char *w = db_text_or_null(st, 2);
		out->website = w ? arena_strdup(ar, w) : NULL;
		out->redirect_uris = arena_strdup(ar, db_text(st, 3));
		out->scopes = arena_strdup(ar, db_text(st, 4));
		out->client_id = arena_strdup(ar, db_text(st, 5));
		out->client_secret = arena_strdup(ar, db_text(st, 6));
	}
	sqlite3_reset(st);
	return found;
}

bool store_app_by_client_id(arena *ar, const char *client_id, app *out)
{
	sqlite3_stmt *st = db_stmt(
		"SELECT id, name, website, redirect_uris, scopes, client_id,"
		" client_secret FROM apps WHERE client_id = ?1");
	sqlite3_bind_text(st, 1, client_id, -1, SQLITE_STATIC);
	return app_fetch(ar, st, out);
}

bool store_app_get(arena *ar, int64_t id, app *out)
{
	sqlite3_stmt *st = db_stmt(
		"SELECT id, name, website, redirect_uris, scopes, client_id,"
		" client_secret FROM apps WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	return app_fetch(ar, st, out);
}

int store_token_create(int64_t id, const char *hash, int64_t app_id,
		       int64_t account_id, const char *scopes)
{
	sqlite3_stmt *st =
		db_stmt("INSERT INTO tokens (id, token_hash, app_id, "
			"account_id, scopes,"
			" created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, app_id);
	if (account_id)
		sqlite3_bind_int64(st, 4, account_id);
	sqlite3_bind_text(st, 5, scopes, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, id >> 16);
	return db_done(st);
}

bool store_token_lookup(arena *ar, const char *hash, principal *out)
{
	sqlite3_stmt *st =
		db_stmt("SELECT id, app_id, account_id, scopes FROM tokens"
			" WHERE token_hash = ?1");
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		out->token_id = sqlite3_column_int64(st, 0);
		out->app_id = sqlite3_column_int64(st, 1);
		out->account_id = sqlite3_column_int64(st, 2);
		out->scopes = arena_strdup(ar, db_text(st, 3));
	}
	sqlite3_reset(st);
	return found;
}

int64_t store_token_revoke(const char *hash, int64_t app_id,
			   int64_t *account_id)
{
	store_read_end(); /* a write: see db_done */
	sqlite3_stmt *st = db_stmt("DELETE FROM tokens WHERE token_hash = ?1"
				   " AND app_id = ?2 RETURNING id, account_id");
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, app_id);
	int rc = sqlite3_step(st);
	int64_t id = 0;
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		*account_id = sqlite3_column_int64(st, 1);
		rc = sqlite3_step(st); /* finish, so the delete commits */
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? id : -1;
}

int store_token_revoke_of_account(int64_t account_id, int64_t token_id)
{
	sqlite3_stmt *st =
		db_stmt("DELETE FROM tokens WHERE id = ?1 AND account_id = ?2");
	sqlite3_bind_int64(st, 1, token_id);
	sqlite3_bind_int64(st, 2, account_id);
	if (db_done(st) < 0)
		return -1;
	return sqlite3_changes(db_conn());
}

int store_tokens_revoke_account(int64_t account_id, int64_t keep)
{
	sqlite3_stmt *st = db_stmt(
		"DELETE FROM tokens WHERE account_id = ?1 AND id <> ?2");
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_int64(st, 2, keep);
	if (db_done(st) < 0)
		return -1;
	return sqlite3_changes(db_conn());
}

int store_user_set_password(int64_t account_id, const char *hash, int64_t keep)
{
	if (db_begin() < 0)
		return -1;
	sqlite3_stmt *st = db_stmt(
		"UPDATE users SET password_hash = ?2 WHERE account_id = ?1");
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	if (db_done(st) < 0 || sqlite3_changes(db_conn()) != 1 ||
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
	sqlite3_stmt *st = db_stmt(
		"SELECT t.id, a.name, t.scopes, t.created_at FROM tokens t"
		" JOIN apps a ON a.id = t.app_id WHERE t.account_id = ?1"
		" ORDER BY t.id");
	sqlite3_bind_int64(st, 1, account_id);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_session s = {
			.token_id = sqlite3_column_int64(st, 0),
			.app_name = arena_strdup(ar, db_text(st, 1)),
			.scopes = arena_strdup(ar, db_text(st, 2)),
			.created_at = sqlite3_column_int64(st, 3),
		};
		fn(&s, ctx);
		n++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : -1;
}

int store_token_revision(int64_t *n)
{
	sqlite3_stmt *st = db_stmt("SELECT n FROM token_revision WHERE id = 1");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int store_tokens_alive(const char *ids_json, void (*fn)(int64_t, void *),
		       void *ctx)
{
	/* one statement whatever the number of ids: json_each keeps the
	 * text fixed (PostgreSQL: = ANY($1) over an array). An account
	 * deleted takes its tokens with it (ON DELETE CASCADE); suspension,
	 * when it exists, belongs in this WHERE too. */
	sqlite3_stmt *st = db_stmt("SELECT t.id FROM tokens t WHERE t.id IN"
				   " (SELECT value FROM json_each(?1))");
	sqlite3_bind_text(st, 1, ids_json, -1, SQLITE_STATIC);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(sqlite3_column_int64(st, 0), ctx);
		n++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : -1;
}

int store_auth_code_create(const char *hash, int64_t app_id, int64_t account_id,
			   const char *scopes, const char *redirect_uri,
			   const char *challenge, int64_t expires_at)
{
	sqlite3_stmt *st = db_stmt(
		"INSERT INTO auth_codes (code_hash, app_id, account_id, scopes,"
		" redirect_uri, challenge, expires_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, app_id);
	sqlite3_bind_int64(st, 3, account_id);
	sqlite3_bind_text(st, 4, scopes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, redirect_uri, -1, SQLITE_STATIC);
	if (challenge)
		sqlite3_bind_text(st, 6, challenge, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, expires_at);
	return db_done(st);
}

bool store_auth_code_take(arena *ar, const char *hash, int64_t *app_id,
			  int64_t *account_id, const char **scopes,
			  const char **redirect_uri, const char **challenge,
			  int64_t *expires_at)
{
	store_read_end(); /* a write: see db_done */
	sqlite3_stmt *st = db_stmt(
		"DELETE FROM auth_codes WHERE code_hash = ?1 RETURNING app_id,"
		" account_id, scopes, redirect_uri, challenge, expires_at");
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		*app_id = sqlite3_column_int64(st, 0);
		*account_id = sqlite3_column_int64(st, 1);
		*scopes = arena_strdup(ar, db_text(st, 2));
		*redirect_uri = arena_strdup(ar, db_text(st, 3));
		const char *c = db_text_or_null(st, 4);
		*challenge = c ? arena_strdup(ar, c) : NULL;
		*expires_at = sqlite3_column_int64(st, 5);
		/* finish the statement so the delete commits */
		while (sqlite3_step(st) == SQLITE_ROW)
			;
	}
	sqlite3_reset(st);
	return found;
}
