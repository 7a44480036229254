/* social.c — follows, follow requests, notifications and markers. */
#include "core/cache.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "store/db.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static const char sql_follows[] =
	"SELECT show_reblogs, notify FROM follows WHERE account_id = ?1"
	" AND target_id = ?2";
static const char sql_blocks[] =
	"SELECT 1 FROM blocks WHERE account_id = ?1 AND target_id = ?2";
static const char sql_requested[] =
	"SELECT 1 FROM follow_requests WHERE account_id = ?1"
	" AND target_id = ?2";

bool store_follows(int64_t account_id, int64_t target_id)
{
	return db_exists(sql_follows, account_id, target_id);
}

int64_t store_follow_id(int64_t account_id, int64_t target_id)
{
	db_stmt *st = db_prepare("SELECT id FROM follows WHERE account_id = ?1"
				 " AND target_id = ?2"
				 " UNION ALL SELECT id FROM follow_requests"
				 " WHERE account_id = ?1 AND target_id = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, target_id);
	int64_t id = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return id;
}

void store_relationship_get(int64_t viewer, int64_t target,
			    store_relationship *out)
{
	memset(out, 0, sizeof *out);
	db_stmt *st = db_prepare(sql_follows);
	db_bind_int64(st, 1, viewer);
	db_bind_int64(st, 2, target);
	if (db_step(st) == DB_ROW) {
		out->following = true;
		out->showing_reblogs = db_column_int(st, 0);
		out->notifying = db_column_int(st, 1);
	}
	db_reset(st);
	out->followed_by = db_exists(sql_follows, target, viewer);
	out->requested = db_exists(sql_requested, viewer, target);
	out->requested_by = db_exists(sql_requested, target, viewer);
	out->blocking = db_exists(sql_blocks, viewer, target);
	out->blocked_by = db_exists(sql_blocks, target, viewer);
	store_mute_get(viewer, target, time_now_ms(), &out->muting,
		       &out->muting_notifications, NULL);
	out->domain_blocking =
		db_exists("SELECT 1 FROM domain_blocks d JOIN accounts a"
			  " ON a.domain = d.domain WHERE d.account_id = ?1"
			  " AND a.id = ?2",
			  viewer, target);
}

static int move_follow_counts(int64_t account_id, int64_t target_id, int delta)
{
	db_stmt *st =
		db_prepare("UPDATE accounts SET following_count ="
			   " greatest(0, following_count + ?2) WHERE id = ?1");
	db_bind_int64(st, 1, account_id);
	db_bind_int(st, 2, delta);
	if (db_done(st) < 0)
		return -1;
	st = db_prepare("UPDATE accounts SET followers_count ="
			" greatest(0, followers_count + ?2) WHERE id = ?1");
	db_bind_int64(st, 1, target_id);
	db_bind_int(st, 2, delta);
	if (db_done(st) < 0)
		return -1;
	db_touch(cache_accounts, account_id);
	db_touch(cache_accounts, target_id);
	db_feed_drop(account_id); /* whose posts reach its home changed */
	return 0;
}

static int follow_insert(int64_t id, int64_t account_id, int64_t target_id,
			 bool reblogs, bool notify)
{
	db_stmt *st = db_prepare(
		"INSERT INTO follows (id, account_id, target_id, show_reblogs,"
		" notify, local_follower) VALUES (?1, ?2, ?3, ?4, ?5,"
		" (SELECT CASE WHEN domain IS NULL THEN 1 ELSE 0 END"
		" FROM accounts WHERE id = ?2))"
		" ON CONFLICT (account_id, target_id) DO UPDATE SET"
		" show_reblogs = ?4, notify = ?5");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	db_bind_int64(st, 3, target_id);
	db_bind_int(st, 4, reblogs);
	db_bind_int(st, 5, notify);
	return db_done(st);
}

int store_follow_create(int64_t id, int64_t account_id, int64_t target_id,
			bool reblogs, bool notify)
{
	if (db_begin() < 0)
		return -1;
	bool existed = db_exists(sql_follows, account_id, target_id);
	int rc = follow_insert(id, account_id, target_id, reblogs, notify);
	if (rc < 0 ||
	    (!existed && move_follow_counts(account_id, target_id, 1) < 0) ||
	    db_commit() < 0) {
		db_rollback();
		return rc < 0 ? rc : -1; /* STORE_BLOCKED: the trigger */
	}
	return existed ? 1 : 0;
}

/* Inside a write: end a follow of account by target and any request, as
 * a block does (counters kept). */
static int follow_end_tx(int64_t account_id, int64_t target_id)
{
	db_stmt *st = db_prepare("DELETE FROM follows WHERE account_id = ?1"
				 " AND target_id = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, target_id);
	if (db_done(st) < 0)
		return -1;
	if (db_changes() && move_follow_counts(account_id, target_id, -1) < 0)
		return -1;
	return store_follow_request_delete(account_id, target_id);
}

int store_follow_delete(int64_t account_id, int64_t target_id)
{
	if (db_begin() < 0)
		return -1;
	if (follow_end_tx(account_id, target_id) < 0 || db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

int store_follow_request_create(int64_t id, int64_t account_id,
				int64_t target_id, bool reblogs, bool notify,
				const char *uri)
{
	db_stmt *st = db_prepare(
		"INSERT INTO follow_requests (id, account_id, target_id,"
		" show_reblogs, notify, uri) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT DO NOTHING");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	db_bind_int64(st, 3, target_id);
	db_bind_int(st, 4, reblogs);
	db_bind_int(st, 5, notify);
	db_bind_text_or_null(st, 6, uri);
	int rc = db_done(st);
	if (rc < 0)
		return rc; /* STORE_BLOCKED: the trigger */
	return db_changes() ? 0 : 1;
}

const char *store_follow_request_uri(arena *a, int64_t account_id,
				     int64_t target_id, int64_t *id)
{
	db_stmt *st = db_prepare("SELECT id, uri FROM follow_requests"
				 " WHERE account_id = ?1 AND target_id = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, target_id);
	const char *uri = NULL;
	if (db_step(st) == DB_ROW) {
		if (id)
			*id = db_column_int64(st, 0);
		const char *u = db_text_or_null(st, 1);
		uri = arena_strdup(a, u ? u : "");
	}
	db_reset(st);
	return uri;
}

int store_follow_request_delete(int64_t account_id, int64_t target_id)
{
	db_stmt *st = db_prepare("DELETE FROM follow_requests WHERE"
				 " account_id = ?1 AND target_id = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, target_id);
	return db_done(st);
}

bool store_follow_request_accept(int64_t account_id, int64_t target_id,
				 int64_t follow_id)
{
	if (db_begin() < 0)
		return false;
	db_stmt *st = db_prepare(
		"DELETE FROM follow_requests WHERE account_id = ?1"
		" AND target_id = ?2 RETURNING show_reblogs, notify");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, target_id);
	bool found = db_step(st) == DB_ROW;
	bool reblogs = found && db_column_int(st, 0);
	bool notify = found && db_column_int(st, 1);
	while (found && db_step(st) == DB_ROW)
		;
	db_reset(st);
	if (!found) {
		db_rollback();
		return false;
	}
	bool existed = db_exists(sql_follows, account_id, target_id);
	if (follow_insert(follow_id, account_id, target_id, reblogs, notify) <
		    0 ||
	    (!existed && move_follow_counts(account_id, target_id, 1) < 0) ||
	    db_commit() < 0) {
		db_rollback();
		return false;
	}
	return true;
}

int store_block_create(int64_t id, int64_t account_id, int64_t target_id)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st = db_prepare(
		"INSERT INTO blocks (id, account_id, target_id)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (account_id, target_id)"
		" DO NOTHING");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	db_bind_int64(st, 3, target_id);
	int rc = db_done(st);
	bool added = rc == 0 && db_changes();
	if (rc < 0 || follow_end_tx(account_id, target_id) < 0 ||
	    follow_end_tx(target_id, account_id) < 0)
		goto fail;
	/* what either reads is decided by the block from now on */
	db_touch(cache_relations, account_id);
	db_touch(cache_relations, target_id);
	if (db_commit() < 0)
		goto fail;
	return added ? 0 : 1;
fail:
	db_rollback();
	return rc < 0 ? rc : -1;
}

int64_t store_block_id(int64_t account_id, int64_t target_id)
{
	return db_int64("SELECT id FROM blocks WHERE account_id = ?1"
			" AND target_id = ?2",
			account_id, target_id);
}

int store_block_delete(int64_t account_id, int64_t target_id)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st = db_prepare("DELETE FROM blocks WHERE account_id = ?1"
				 " AND target_id = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, target_id);
	if (db_done(st) < 0)
		goto fail;
	db_touch(cache_relations, account_id);
	db_touch(cache_relations, target_id);
	if (db_commit() < 0)
		goto fail;
	return 0;
fail:
	db_rollback();
	return -1;
}

int64_t store_follow_requests_count(int64_t target_id)
{
	return db_int64("SELECT count(*) FROM follow_requests"
			" WHERE target_id = ?1",
			target_id, 0);
}

/* Step st (bound) and hand each row's first column to each. */
static int each_id(db_stmt *st, void (*each)(int64_t, void *), void *ctx)
{
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		each(db_column_int64(st, 0), ctx);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int store_followers_each(int64_t target_id, void (*each)(int64_t, void *),
			 void *ctx)
{
	db_stmt *st = db_prepare(
		"SELECT account_id FROM follows WHERE target_id = ?1");
	db_bind_int64(st, 1, target_id);
	return each_id(st, each, ctx);
}

size_t store_local_followers(arena *a, int64_t target_id, int64_t **out)
{
	db_stmt *st =
		db_prepare("SELECT account_id FROM follows WHERE target_id = ?1"
			   " AND local_follower = 1");
	db_bind_int64(st, 1, target_id);
	size_t n = 0, cap = 0;
	*out = NULL;
	while (db_step(st) == DB_ROW) {
		*out = db_grow(a, *out, n, &cap, sizeof **out);
		(*out)[n++] = db_column_int64(st, 0);
	}
	db_reset(st);
	return n;
}

int store_tag_followers_each(const char *key, void (*each)(int64_t, void *),
			     void *ctx)
{
	db_stmt *st = db_prepare("SELECT f.account_id FROM tags t"
				 " JOIN tag_follows f ON f.tag_id = t.id"
				 " WHERE t.key = ?1");
	db_bind_text(st, 1, key);
	return each_id(st, each, ctx);
}

int store_notification_insert(notification *n)
{
	/* one per recipient, sender, type and post (a unique index): a
	 * repeated act is not told twice; an edit ("update") tells again,
	 * moving its row to the newest id. The id is taken in the statement
	 * itself, which holds the write lock from its start: above every
	 * notification already stored, so ids follow commit order (a client
	 * polling with min_id never finds one committed behind its page). */
	/* Favourites and boosts of one post, and follows, join the group
	 * of their kind begun in the last twelve hours (Mastodon's span),
	 * found in the same statement: the newest key with the prefix
	 * type-status- (?7), whose hour it ends with. Anything else is a
	 * group alone. The triggers keep the group on its newest row
	 * (schema.c, migration 23). */
	db_stmt *st = db_prepare(
		"INSERT INTO notifications (id, account_id, type,"
		" from_account_id, status_id, created_at, group_key)"
		" SELECT nid, ?2, ?3, ?4, ?5, ?6,"
		" CASE WHEN ?3 IN ('favourite', 'reblog', 'follow') THEN"
		" coalesce((SELECT k FROM (SELECT n.group_key AS k"
		" FROM notifications n WHERE n.account_id = ?2"
		" AND n.group_key > ?7 || '-'"
		" AND n.group_key < ?7 || '.'"
		" ORDER BY n.group_key DESC LIMIT 1) AS newest"
		" WHERE CAST(substr(k, length(?7) + 2) AS bigint)"
		" > ?6 / 3600000 - 12),"
		" ?7 || '-' || (?6 / 3600000))"
		" ELSE 'ungrouped-' || nid END"
		" FROM (SELECT greatest(?1, coalesce((SELECT id FROM "
		"notifications"
		" ORDER BY id DESC LIMIT 1), 0) + 1) AS nid) AS next_id"
		" WHERE true ON CONFLICT (account_id, from_account_id, type,"
		" coalesce(status_id, 0)) DO UPDATE SET id = excluded.id,"
		" created_at = excluded.created_at"
		" WHERE excluded.type = 'update' RETURNING id");
	db_bind_int64(st, 1, id_next());
	db_bind_int64(st, 2, n->account_id);
	db_bind_text(st, 3, n->type);
	db_bind_int64(st, 4, n->from_account_id);
	if (n->status_id)
		db_bind_int64(st, 5, n->status_id);
	db_bind_int64(st, 6, n->created_at);
	char prefix[64];
	if (n->status_id)
		snprintf(prefix, sizeof prefix, "%s-%lld", n->type,
			 (long long)n->status_id);
	else
		snprintf(prefix, sizeof prefix, "%s", n->type);
	db_bind_text(st, 7, prefix);
	store_read_end(); /* a write starts from a fresh snapshot */
	int rc = db_step(st);
	bool written = rc == DB_ROW;
	if (written) {
		n->id = db_column_int64(st, 0);
		id_observe(n->id);
		rc = db_step(st);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		log_error("notification insert: %s", db_errmsg());
		return -1;
	}
	return written;
}

static void notification_from_row(arena *ar, db_stmt *st, notification *n)
{
	n->id = db_column_int64(st, 0);
	n->account_id = db_column_int64(st, 1);
	n->type = arena_strdup(ar, db_text(st, 2));
	n->from_account_id = db_column_int64(st, 3);
	n->status_id = db_column_int64(st, 4);
	n->created_at = db_column_int64(st, 5);
	n->group_key = arena_strdup(ar, db_text(st, 6));
}

#define NOTIFICATION_COLUMNS                                                   \
	"id, account_id, type, from_account_id, status_id, created_at,"        \
	" group_key"

bool store_notification_get(int64_t account_id, int64_t id, notification *out,
			    arena *ar)
{
	db_stmt *st = db_prepare("SELECT " NOTIFICATION_COLUMNS
				 " FROM notifications WHERE id = ?2"
				 " AND account_id = ?1");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		notification_from_row(ar, st, out);
	db_reset(st);
	return found;
}

static bool type_in(const char *type, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(type, *list))
			return true;
	return false;
}

size_t store_notifications_page(arena *ar, int64_t account_id, const page *p,
				const char *const *types,
				const char *const *exclude, notification *out)
{
	return store_notifications_page_from(ar, account_id, 0, p, types,
					     exclude, out);
}

size_t store_notifications_page_from(arena *ar, int64_t account_id,
				     int64_t from, const page *p,
				     const char *const *types,
				     const char *const *exclude,
				     notification *out)
{
	static const char *const sql[2][2] = {
		{"SELECT " NOTIFICATION_COLUMNS " FROM notifications"
		 " WHERE account_id = ?1 AND id > ?2 AND id < ?3"
		 " ORDER BY id DESC",
		 "SELECT " NOTIFICATION_COLUMNS " FROM notifications"
		 " WHERE account_id = ?1 AND id > ?2 AND id < ?3"
		 " ORDER BY id ASC"},
		{"SELECT " NOTIFICATION_COLUMNS " FROM notifications"
		 " WHERE account_id = ?1 AND id > ?2 AND id < ?3"
		 " AND from_account_id = ?4 ORDER BY id DESC",
		 "SELECT " NOTIFICATION_COLUMNS " FROM notifications"
		 " WHERE account_id = ?1 AND id > ?2 AND id < ?3"
		 " AND from_account_id = ?4 ORDER BY id ASC"},
	};
	int64_t lo = p->since_id > p->min_id ? p->since_id : p->min_id;
	int64_t hi = p->max_id ? p->max_id : INT64_MAX;
	bool asc = p->min_id > 0;
	db_stmt *st = db_prepare(sql[from != 0][asc]);
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, lo);
	db_bind_int64(st, 3, hi);
	if (from)
		db_bind_int64(st, 4, from);
	size_t n = 0;
	/* type filters are few and short; filtering while stepping keeps the
	 * statement fixed */
	while (n < (size_t)p->limit && db_step(st) == DB_ROW) {
		const char *type = db_text(st, 2);
		if (types && !type_in(type, types))
			continue;
		if (exclude && type_in(type, exclude))
			continue;
		notification_from_row(ar, st, &out[n++]);
	}
	db_reset(st);
	if (asc)
		db_reverse(out, n, sizeof *out);
	return n;
}

int store_notification_dismiss(int64_t account_id, int64_t id)
{
	db_stmt *st = db_prepare("DELETE FROM notifications WHERE id = ?2"
				 " AND account_id = ?1");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, id);
	if (db_done(st) < 0)
		return -1;
	return db_changes() ? 0 : 1;
}

int store_notifications_clear(int64_t account_id)
{
	db_stmt *st =
		db_prepare("DELETE FROM notifications WHERE account_id = ?1");
	db_bind_int64(st, 1, account_id);
	return db_done(st);
}

bool store_marker_get(int64_t account_id, const char *timeline,
		      store_marker *out)
{
	db_stmt *st = db_prepare(
		"SELECT last_read_id, version, updated_at FROM markers"
		" WHERE account_id = ?1 AND timeline = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, timeline);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		out->last_read_id = db_column_int64(st, 0);
		out->version = db_column_int64(st, 1);
		out->updated_at = db_column_int64(st, 2);
	}
	db_reset(st);
	return found;
}

int store_marker_set(int64_t account_id, const char *timeline,
		     int64_t last_read_id, int64_t now_ms)
{
	db_stmt *st = db_prepare(
		"INSERT INTO markers (account_id, timeline, last_read_id,"
		" version, updated_at) VALUES (?1, ?2, ?3, 1, ?4)"
		" ON CONFLICT (account_id, timeline) DO UPDATE SET"
		" last_read_id = ?3, version = markers.version + 1, updated_at "
		"= ?4");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, timeline);
	db_bind_int64(st, 3, last_read_id);
	db_bind_int64(st, 4, now_ms);
	return db_done(st);
}
