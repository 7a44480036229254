/* reply_controls.c — who may reply to or boost a status (its interaction
 * policy and the account's defaults), and the replies a thread's author
 * hid. The rules reading these are domain/visibility.c's. */
#include "core/cache.h"
#include "store/db.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

/* The policy st (bound, selecting can_reply, can_reblog) finds. */
static bool policy_row(db_stmt *st, interaction_policy *out)
{
	bool found = db_step(st) == DB_ROW;
	if (found) {
		out->can_reply = (unsigned)db_column_int(st, 0);
		out->can_reblog = (unsigned)db_column_int(st, 1);
	}
	db_reset(st);
	return found;
}

bool store_status_policy(int64_t status_id, interaction_policy *out)
{
	db_stmt *st = db_prepare("SELECT can_reply, can_reblog"
				 " FROM status_policies WHERE status_id = ?1");
	db_bind_int64(st, 1, status_id);
	return policy_row(st, out);
}

int store_status_policy_put_tx(const status *s)
{
	if (!s->policy.can_reply && !s->policy.can_reblog)
		return 0;
	db_stmt *st = db_prepare("INSERT INTO status_policies"
				 " (status_id, can_reply, can_reblog)"
				 " VALUES (?1, ?2, ?3)");
	db_bind_int64(st, 1, s->id);
	db_bind_int(st, 2, (int)s->policy.can_reply);
	db_bind_int(st, 3, (int)s->policy.can_reblog);
	return db_queue(st);
}

bool store_policy_default(int64_t account_id, visibility v,
			  interaction_policy *out)
{
	db_stmt *st = db_prepare("SELECT can_reply, can_reblog"
				 " FROM policy_defaults"
				 " WHERE account_id = ?1 AND visibility = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int(st, 2, (int)v);
	return policy_row(st, out);
}

int store_policy_default_set(int64_t account_id, visibility v,
			     const interaction_policy *p)
{
	db_stmt *st;
	if (!p) {
		st = db_prepare("DELETE FROM policy_defaults"
				" WHERE account_id = ?1 AND visibility = ?2");
	} else {
		st = db_prepare(
			"INSERT INTO policy_defaults (account_id,"
			" visibility, can_reply, can_reblog)"
			" VALUES (?1, ?2, ?3, ?4)"
			" ON CONFLICT (account_id, visibility) DO UPDATE"
			" SET can_reply = ?3, can_reblog = ?4");
		db_bind_int(st, 3, (int)p->can_reply);
		db_bind_int(st, 4, (int)p->can_reblog);
	}
	db_bind_int64(st, 1, account_id);
	db_bind_int(st, 2, (int)v);
	return db_done(st) < 0 ? -1 : 0;
}

int store_reply_hide(int64_t status_id, int64_t by, int64_t now, bool on)
{
	db_stmt *st;
	if (on) {
		/* the reply's place in its thread is copied: a reply under it
		 * is found by prefix, without walking up */
		st = db_prepare("INSERT INTO hidden_replies (status_id,"
				" thread_root_id, thread_path, author_id,"
				" hidden_by, created_at)"
				" SELECT id, thread_root_id, thread_path,"
				" account_id, ?2, ?3 FROM statuses"
				" WHERE id = ?1 AND thread_path IS NOT NULL"
				" ON CONFLICT (status_id) DO NOTHING");
		db_bind_int64(st, 2, by);
		db_bind_int64(st, 3, now);
	} else {
		st = db_prepare(
			"DELETE FROM hidden_replies WHERE status_id = ?1");
	}
	db_bind_int64(st, 1, status_id);
	int rc = db_done(st);
	if (rc < 0)
		return rc;
	if (db_changes() > 0) {
		/* its JSON is the same, but pages holding the thread are
		 * not: the touch moves the epoch they are kept by */
		db_touch(cache_statuses, status_id);
		return 1;
	}
	if (on && !db_status_exists(status_id))
		return STORE_GONE;
	return 0;
}

size_t store_thread_hidden(arena *a, int64_t root, store_hidden_reply **out)
{
	db_stmt *st =
		db_prepare("SELECT thread_path, author_id FROM hidden_replies"
			   " WHERE thread_root_id = ?1 ORDER BY thread_path");
	db_bind_int64(st, 1, root);
	store_hidden_reply *h = NULL;
	size_t n = 0, cap = 0;
	while (db_step(st) == DB_ROW) {
		h = db_grow(a, h, n, &cap, sizeof *h);
		h[n].path_len = db_column_bytes(st, 0);
		unsigned char *p = arena_alloc(a, h[n].path_len + 1);
		if (h[n].path_len)
			memcpy(p, db_column_blob(st, 0), h[n].path_len);
		h[n].path = p;
		h[n].author_id = db_column_int64(st, 1);
		n++;
	}
	db_reset(st);
	*out = h;
	return n;
}

size_t store_replies_hidden_under(int64_t root, const void *path,
				  size_t path_len, int64_t *out, size_t max)
{
	/* path||FF bounds the subtree, as in store_thread_descendants */
	unsigned char *upper = malloc(path_len + 1);
	if (!upper)
		return 0;
	memcpy(upper, path, path_len);
	upper[path_len] = 0xff;
	db_stmt *st = db_prepare(
		"SELECT status_id FROM hidden_replies WHERE thread_root_id = ?1"
		" AND thread_path > ?2 AND thread_path < ?3"
		" ORDER BY thread_path LIMIT ?4");
	db_bind_int64(st, 1, root);
	db_bind_blob(st, 2, path, path_len);
	db_bind_blob(st, 3, upper, path_len + 1);
	db_bind_int64(st, 4, (int64_t)max);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW)
		out[n++] = db_column_int64(st, 0);
	db_reset(st);
	free(upper);
	return n;
}

size_t store_replies_hidden_page(int64_t root, const void *path,
				 size_t path_len, const page *p, int64_t *out)
{
	/* few replies of a thread are hidden: the subtree's range, then
	 * the ids, sorted */
	static const char *const sql[2] = {
		"SELECT status_id FROM hidden_replies WHERE thread_root_id = ?4"
		" AND thread_path > ?5 AND thread_path < ?6"
		" AND status_id > ?1 AND status_id < ?2"
		" ORDER BY status_id DESC LIMIT ?3",
		"SELECT status_id FROM hidden_replies WHERE thread_root_id = ?4"
		" AND thread_path > ?5 AND thread_path < ?6"
		" AND status_id > ?1 AND status_id < ?2"
		" ORDER BY status_id ASC LIMIT ?3",
	};
	unsigned char *upper = malloc(path_len + 1);
	if (!upper)
		return 0;
	memcpy(upper, path, path_len);
	upper[path_len] = 0xff;
	bool asc;
	db_stmt *st = db_page_stmt(sql, p, &asc);
	db_bind_int64(st, 4, root);
	db_bind_blob(st, 5, path, path_len);
	db_bind_blob(st, 6, upper, path_len + 1);
	size_t n = 0;
	while (n < (size_t)p->limit && db_step(st) == DB_ROW)
		out[n++] = db_column_int64(st, 0);
	db_reset(st);
	free(upper);
	if (asc)
		db_reverse(out, n, sizeof *out);
	return n;
}
