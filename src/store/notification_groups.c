/* notification_groups.c — notifications as groups (Mastodon 4.3's
 * grouped notifications). Triggers keep each group on its newest
 * notification, the head, with its size and oldest id (schema.c,
 * migrations 16 and 23), and a partial index lists the heads, so
 * reading a page of groups is the top of an index whatever the account
 * received. */
#include "store/db.h"
#include "store/store.h"

#include <string.h>

#define GROUP_COLUMNS                                                          \
	"g.group_key, g.type, coalesce(g.status_id, 0), g.id,"                 \
	" g.group_size, g.group_oldest_id, g.created_at"

static void group_from_row(arena *a, db_stmt *st, notification_group *g)
{
	g->key = arena_strdup(a, db_text(st, 0));
	g->type = arena_strdup(a, db_text(st, 1));
	g->status_id = db_column_int64(st, 2);
	g->latest_id = db_column_int64(st, 3);
	g->count = db_column_int64(st, 4);
	g->oldest_id = db_column_int64(st, 5);
	g->latest_at = db_column_int64(st, 6);
}

static bool type_in(const char *type, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(type, *list))
			return true;
	return false;
}

size_t store_notification_groups_page(arena *a, int64_t account_id,
				      const page *p, const char *const *types,
				      const char *const *exclude,
				      notification_group *out)
{
	static const char *const sql[2] = {
		/* no LIMIT (?3): the loop skips types not asked for */
		"SELECT " GROUP_COLUMNS " FROM notifications g"
		" WHERE g.account_id = ?4 AND g.group_size IS NOT NULL"
		" AND g.id > ?1 AND g.id < ?2 ORDER BY g.id DESC",
		"SELECT " GROUP_COLUMNS " FROM notifications g"
		" WHERE g.account_id = ?4 AND g.group_size IS NOT NULL"
		" AND g.id > ?1 AND g.id < ?2 ORDER BY g.id ASC",
	};
	bool asc;
	db_stmt *st = db_page_stmt(sql, p, &asc);
	db_bind_int64(st, 4, account_id);
	size_t n = 0;
	while (n < (size_t)p->limit && db_step(st) == DB_ROW) {
		const char *type = db_text(st, 1);
		if ((types && !type_in(type, types)) ||
		    (exclude && type_in(type, exclude)))
			continue;
		group_from_row(a, st, &out[n++]);
	}
	db_reset(st);
	if (asc)
		db_reverse(out, n, sizeof *out);
	return n;
}

bool store_notification_group_get(arena *a, int64_t account_id, const char *key,
				  notification_group *out)
{
	db_stmt *st = db_prepare("SELECT " GROUP_COLUMNS " FROM notifications g"
				 " WHERE g.account_id = ?1 AND g.group_key = ?2"
				 " ORDER BY g.id DESC LIMIT 1");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, key);
	bool found = db_step(st) == DB_ROW;
	if (found)
		group_from_row(a, st, out);
	db_reset(st);
	return found;
}

size_t store_notification_group_senders(int64_t account_id, const char *key,
					int64_t before, int64_t *accounts,
					int64_t *ids, size_t max)
{
	db_stmt *st = db_prepare(
		"SELECT from_account_id, id FROM notifications"
		" WHERE account_id = ?1 AND group_key = ?2 AND id < ?3"
		" ORDER BY id DESC LIMIT ?4");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, key);
	db_bind_int64(st, 3, before ? before : INT64_MAX);
	db_bind_int64(st, 4, (int64_t)max);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW) {
		accounts[n] = db_column_int64(st, 0);
		if (ids)
			ids[n] = db_column_int64(st, 1);
		n++;
	}
	db_reset(st);
	return n;
}

int store_notification_group_dismiss(int64_t account_id, const char *key)
{
	db_stmt *st = db_prepare("DELETE FROM notifications"
				 " WHERE account_id = ?1 AND group_key = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, key);
	if (db_done(st) < 0)
		return -1;
	return db_changes() ? 0 : 1;
}

int64_t store_notifications_unread(int64_t account_id, int64_t after_id,
				   bool groups, int64_t limit)
{
	db_stmt *st =
		groups ? db_prepare("SELECT count(*) FROM (SELECT 1"
				    " FROM notifications WHERE"
				    " account_id = ?1 AND id > ?2"
				    " AND group_size IS NOT NULL"
				    " LIMIT ?3) AS unread")
		       : db_prepare("SELECT count(*) FROM (SELECT 1"
				    " FROM notifications WHERE account_id = ?1"
				    " AND id > ?2 LIMIT ?3) AS unread");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, after_id);
	db_bind_int64(st, 3, limit);
	int64_t n = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return n;
}
