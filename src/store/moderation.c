/* moderation.c — what moderators do to accounts, and the log of every
 * moderator's action (the audit log). A change and its log entry share
 * one transaction, with the report it answers resolved in it too: what
 * was done is never without its record. */
#include "core/cache.h"
#include "store/db.h"
#include "store/store.h"

#include <string.h>

static int log_insert_tx(const store_admin_action *l)
{
	db_stmt *st = db_prepare(
		"INSERT INTO admin_actions (id, account_id, actor, action,"
		" target_type, target_id, target, report_id, text, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	db_bind_int64(st, 1, DB_NEW_ID("admin_actions"));
	if (l->account_id)
		db_bind_int64(st, 2, l->account_id);
	else
		db_bind_null(st, 2);
	db_bind_text(st, 3, l->actor);
	db_bind_text(st, 4, l->action);
	db_bind_text(st, 5, l->target_type);
	if (l->target_id)
		db_bind_int64(st, 6, l->target_id);
	else
		db_bind_null(st, 6);
	db_bind_text(st, 7, l->target);
	if (l->report_id)
		db_bind_int64(st, 8, l->report_id);
	else
		db_bind_null(st, 8);
	db_bind_text_or_null(st, 9, l->text);
	db_bind_int64(st, 10, l->created_at);
	return db_done(st);
}

int store_admin_action_log_tx(const store_admin_action *l)
{
	return log_insert_tx(l);
}

/* The column of what, and whether it is the user's (a flag) rather
 * than the account's (a time). */
static const char *moderation_sql(store_moderation what, bool on)
{
	switch (what) {
	case STORE_MOD_SUSPEND:
		return on ? "UPDATE accounts SET suspended_at = ?2"
			    " WHERE id = ?1 AND suspended_at IS NULL"
			  : "UPDATE accounts SET suspended_at = NULL"
			    " WHERE id = ?1 AND suspended_at IS NOT NULL";
	case STORE_MOD_SILENCE:
		return on ? "UPDATE accounts SET silenced_at = ?2"
			    " WHERE id = ?1 AND silenced_at IS NULL"
			  : "UPDATE accounts SET silenced_at = NULL"
			    " WHERE id = ?1 AND silenced_at IS NOT NULL";
	case STORE_MOD_SENSITIZE:
		return on ? "UPDATE accounts SET sensitized_at = ?2"
			    " WHERE id = ?1 AND sensitized_at IS NULL"
			  : "UPDATE accounts SET sensitized_at = NULL"
			    " WHERE id = ?1 AND sensitized_at IS NOT NULL";
	case STORE_MOD_DISABLE:
		return on ? "UPDATE users SET disabled = 1"
			    " WHERE account_id = ?1 AND disabled = 0"
			  : "UPDATE users SET disabled = 0"
			    " WHERE account_id = ?1 AND disabled <> 0";
	case STORE_MOD_APPROVE:
		return on ? "UPDATE users SET approved = 1"
			    " WHERE account_id = ?1 AND approved = 0"
			  : NULL;
	case STORE_MOD_NONE: break;
	}
	return NULL;
}

/* Resolve the report l names, which must be of target: 0, STORE_GONE. */
static int report_resolve_tx(const store_admin_action *l, int64_t target)
{
	db_stmt *st =
		db_prepare("UPDATE reports SET action_taken_by_account_id = ?2,"
			   " action_taken_at = ?3, updated_at = ?3"
			   " WHERE id = ?1 AND target_account_id = ?4");
	db_bind_int64(st, 1, l->report_id);
	if (l->account_id)
		db_bind_int64(st, 2, l->account_id);
	else
		db_bind_null(st, 2);
	db_bind_int64(st, 3, l->created_at);
	db_bind_int64(st, 4, target);
	if (db_done(st) < 0)
		return -1;
	return db_changes() == 1 ? 0 : STORE_GONE;
}

/* Sign the account out everywhere: its tokens and browser sessions. */
static int sessions_end_tx(int64_t id)
{
	return store_tokens_revoke_account(id, 0) < 0 ||
			       store_web_sessions_delete_account(id) < 0
		       ? -1
		       : 0;
}

int store_account_moderate(int64_t id, store_moderation what, bool on,
			   const store_admin_action *log, const char *job_kind)
{
	if (db_begin() < 0)
		return -1;
	int rc = 0;
	db_stmt *st = db_prepare("SELECT 1 FROM accounts WHERE id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	db_reset(st);
	const char *sql = moderation_sql(what, on);
	if (!found)
		rc = STORE_GONE;
	else if (sql) {
		st = db_prepare(sql);
		db_bind_int64(st, 1, id);
		if (what != STORE_MOD_DISABLE && what != STORE_MOD_APPROVE)
			db_bind_int64(st, 2, log->created_at);
		if (db_done(st) < 0)
			rc = -1;
		else if (db_changes() != 1)
			rc = STORE_UNCHANGED; /* already so, or no user */
	}
	/* who may not read or post signs in no more */
	if (rc == 0 && on &&
	    (what == STORE_MOD_SUSPEND || what == STORE_MOD_DISABLE))
		rc = sessions_end_tx(id);
	if (rc == 0 && log->report_id)
		rc = report_resolve_tx(log, id) == 0 ? 0 : STORE_NO_REPORT;
	if (rc == 0)
		rc = log_insert_tx(log);
	if (rc == 0 && job_kind)
		rc = store_job_enqueue(job_kind, id, log->created_at);
	if (rc < 0) {
		db_rollback();
		return rc;
	}
	db_touch(cache_accounts, id);
	/* media forced sensitive shows in every rendering of its posts */
	if (what == STORE_MOD_SENSITIZE)
		db_touch_all();
	db_touch_generation();
	if (db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

size_t store_moderated_accounts(arena *a, store_moderated **out)
{
	db_stmt *st = db_prepare(
		"SELECT id, suspended_at IS NOT NULL, silenced_at IS NOT NULL,"
		" sensitized_at IS NOT NULL FROM accounts"
		" WHERE suspended_at IS NOT NULL OR silenced_at IS NOT NULL"
		" OR sensitized_at IS NOT NULL ORDER BY id");
	size_t n = 0, cap = 16;
	store_moderated *v = arena_alloc(a, cap * sizeof *v);
	while (db_step(st) == DB_ROW) {
		if (n == cap) {
			store_moderated *w =
				arena_alloc(a, 2 * cap * sizeof *w);
			memcpy(w, v, n * sizeof *v);
			v = w;
			cap *= 2;
		}
		v[n].id = db_column_int64(st, 0);
		v[n].flags =
			(db_column_int(st, 1) ? STORE_MODERATED_SUSPENDED : 0) |
			(db_column_int(st, 2) ? STORE_MODERATED_SILENCED : 0) |
			(db_column_int(st, 3) ? STORE_MODERATED_SENSITIZED : 0);
		n++;
	}
	db_reset(st);
	*out = v;
	return n;
}

size_t store_accounts_suspended_before(int64_t before, int64_t *ids, size_t max)
{
	db_stmt *st = db_prepare("SELECT id FROM accounts"
				 " WHERE suspended_at IS NOT NULL"
				 " AND suspended_at < ?1 ORDER BY id LIMIT ?2");
	db_bind_int64(st, 1, before);
	db_bind_int64(st, 2, (int64_t)max);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW)
		ids[n++] = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

int store_admin_action_log(const store_admin_action *l)
{
	if (db_begin() < 0)
		return -1;
	if (log_insert_tx(l) < 0 || db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

static void action_read(arena *a, db_stmt *st, store_admin_action *l)
{
	l->id = db_column_int64(st, 0);
	l->account_id = db_column_int64(st, 1);
	l->actor = arena_strdup(a, db_text(st, 2));
	l->action = arena_strdup(a, db_text(st, 3));
	l->target_type = arena_strdup(a, db_text(st, 4));
	l->target_id = db_column_int64(st, 5);
	l->target = arena_strdup(a, db_text(st, 6));
	l->report_id = db_column_int64(st, 7);
	l->text = db_text_dup(a, st, 8);
	l->created_at = db_column_int64(st, 9);
}

size_t store_admin_actions_list(arena *a, const store_admin_action_query *q,
				store_admin_action *out)
{
	db_stmt *st = db_prepare(
		q->min_id ? "SELECT id, account_id, actor, action, target_type,"
			    " target_id, target, report_id, text, created_at"
			    " FROM admin_actions WHERE (?1 = 0 OR id < ?1)"
			    " AND id > ?2 AND (?3 = 0 OR account_id = ?3)"
			    " AND (?4 = 0 OR (target_type = 'account'"
			    " AND target_id = ?4)) ORDER BY id LIMIT ?5"
			  : "SELECT id, account_id, actor, action, target_type,"
			    " target_id, target, report_id, text, created_at"
			    " FROM admin_actions WHERE (?1 = 0 OR id < ?1)"
			    " AND id > ?2 AND (?3 = 0 OR account_id = ?3)"
			    " AND (?4 = 0 OR (target_type = 'account'"
			    " AND target_id = ?4)) ORDER BY id DESC LIMIT ?5");
	db_bind_int64(st, 1, q->max_id);
	db_bind_int64(st, 2, q->min_id ? q->min_id : q->since_id);
	db_bind_int64(st, 3, q->account_id);
	db_bind_int64(st, 4, q->target_account_id);
	db_bind_int(st, 5, q->limit);
	size_t n = 0;
	while (n < (size_t)q->limit && db_step(st) == DB_ROW)
		action_read(a, st, &out[n++]);
	db_reset(st);
	return n;
}

int store_invite_create(store_invite *inv, const store_admin_action *log)
{
	if (db_begin() < 0)
		return -1;
	inv->id = DB_NEW_ID("invites");
	db_stmt *st = db_prepare(
		"INSERT INTO invites (id, code, account_id, max_uses,"
		" expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	db_bind_int64(st, 1, inv->id);
	db_bind_text(st, 2, inv->code);
	const int64_t opt[] = {inv->account_id, inv->max_uses, inv->expires_at};
	for (int i = 0; i < 3; i++)
		if (opt[i])
			db_bind_int64(st, 3 + i, opt[i]);
		else
			db_bind_null(st, 3 + i);
	db_bind_int64(st, 6, inv->created_at);
	if (db_done(st) < 0 || log_insert_tx(log) < 0 || db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

size_t store_invites_list(arena *a, store_invite *out, size_t max)
{
	db_stmt *st = db_prepare("SELECT id, code, account_id, max_uses, uses,"
				 " expires_at, created_at FROM invites"
				 " ORDER BY id DESC LIMIT ?1");
	db_bind_int64(st, 1, (int64_t)max);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW) {
		store_invite *v = &out[n++];
		v->id = db_column_int64(st, 0);
		v->code = arena_strdup(a, db_text(st, 1));
		v->account_id = db_column_int64(st, 2);
		v->max_uses = db_column_int64(st, 3);
		v->uses = db_column_int64(st, 4);
		v->expires_at = db_column_int64(st, 5);
		v->created_at = db_column_int64(st, 6);
	}
	db_reset(st);
	return n;
}
