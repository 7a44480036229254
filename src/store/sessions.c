/* sessions.c — the browser sessions of the web pages. Only the hash of a
 * session's secret is stored, as with tokens. */
#include "store/db.h"
#include "store/store.h"

#include <string.h>

int store_web_session_create(const char *hash, int64_t account_id,
			     const char *user_agent, int64_t now_ms)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st = db_prepare(
		"INSERT INTO web_sessions (id, token_hash, account_id,"
		" created_at, last_used_at, user_agent)"
		" VALUES (?1, ?2, ?3, ?4, ?4, ?5)");
	db_bind_int64(st, 1, DB_NEW_ID("web_sessions"));
	db_bind_text(st, 2, hash);
	db_bind_int64(st, 3, account_id);
	db_bind_int64(st, 4, now_ms);
	db_bind_text(st, 5, user_agent ? user_agent : "");
	int rc = db_done(st);
	if (rc < 0 || db_commit() < 0) {
		db_rollback();
		return rc < 0 ? rc : -1;
	}
	return 0;
}

bool store_web_session_lookup(const char *hash, int64_t *id,
			      int64_t *account_id, int64_t *last_used_at)
{
	db_stmt *st = db_prepare(
		"SELECT id, account_id, last_used_at FROM web_sessions"
		" WHERE token_hash = ?1");
	db_bind_text(st, 1, hash);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		*id = db_column_int64(st, 0);
		*account_id = db_column_int64(st, 1);
		*last_used_at = db_column_int64(st, 2);
	}
	db_reset(st);
	return found;
}

int store_web_session_touch(int64_t id, int64_t now_ms)
{
	db_stmt *st = db_prepare(
		"UPDATE web_sessions SET last_used_at = ?2 WHERE id = ?1");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, now_ms);
	return db_done(st) < 0 ? -1 : 0;
}

int store_web_session_delete(const char *hash)
{
	db_stmt *st =
		db_prepare("DELETE FROM web_sessions WHERE token_hash = ?1");
	db_bind_text(st, 1, hash);
	if (db_done(st) < 0)
		return -1;
	return db_changes();
}

int store_web_session_delete_of_account(int64_t account_id, int64_t id)
{
	db_stmt *st = db_prepare(
		"DELETE FROM web_sessions WHERE id = ?1 AND account_id = ?2");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	if (db_done(st) < 0)
		return -1;
	return db_changes();
}

int store_web_sessions_delete_account(int64_t account_id)
{
	db_stmt *st =
		db_prepare("DELETE FROM web_sessions WHERE account_id = ?1");
	db_bind_int64(st, 1, account_id);
	if (db_done(st) < 0)
		return -1;
	return db_changes();
}

int store_web_sessions_each(int64_t account_id, store_web_session_fn fn,
			    void *ctx, arena *ar)
{
	db_stmt *st = db_prepare(
		"SELECT id, created_at, last_used_at, user_agent"
		" FROM web_sessions WHERE account_id = ?1 ORDER BY id");
	db_bind_int64(st, 1, account_id);
	int n = 0, rc;
	while ((rc = db_step(st)) == DB_ROW) {
		store_web_session s = {
			.id = db_column_int64(st, 0),
			.created_at = db_column_int64(st, 1),
			.last_used_at = db_column_int64(st, 2),
			.user_agent = arena_strdup(ar, db_text(st, 3)),
		};
		fn(&s, ctx);
		n++;
	}
	db_reset(st);
	return rc == DB_DONE ? n : -1;
}
