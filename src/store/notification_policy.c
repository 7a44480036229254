/* notification_policy.c — the notification policy, and the requests
 * holding what it filters (Mastodon 4.3; migration 18). Filtered
 * notifications live in their own table, so the list, its groups and
 * their triggers never see them until a request is accepted. */
#include "core/cache.h"
#include "core/id.h"
#include "core/time.h"
#include "store/db.h"
#include "store/store.h"

#include <string.h>

void store_notification_policy_get(int64_t account_id, notification_policy *out)
{
	*out = (notification_policy){
		.for_private_mentions = POLICY_FILTER,
		.for_limited_accounts = POLICY_FILTER,
	};
	db_stmt *st = db_prepare(
		"SELECT for_not_following, for_not_followers, for_new_accounts,"
		" for_private_mentions, for_limited_accounts"
		" FROM notification_policies WHERE account_id = ?1");
	db_bind_int64(st, 1, account_id);
	if (db_step(st) == DB_ROW) {
		out->for_not_following = db_column_int(st, 0);
		out->for_not_followers = db_column_int(st, 1);
		out->for_new_accounts = db_column_int(st, 2);
		out->for_private_mentions = db_column_int(st, 3);
		out->for_limited_accounts = db_column_int(st, 4);
	}
	db_reset(st);
}

int store_notification_policy_set(int64_t account_id,
				  const notification_policy *p)
{
	db_stmt *st = db_prepare(
		"INSERT INTO notification_policies (account_id,"
		" for_not_following, for_not_followers, for_new_accounts,"
		" for_private_mentions, for_limited_accounts)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account_id)"
		" DO UPDATE SET for_not_following = ?2,"
		" for_not_followers = ?3, for_new_accounts = ?4,"
		" for_private_mentions = ?5, for_limited_accounts = ?6");
	db_bind_int64(st, 1, account_id);
	db_bind_int(st, 2, p->for_not_following);
	db_bind_int(st, 3, p->for_not_followers);
	db_bind_int(st, 4, p->for_new_accounts);
	db_bind_int(st, 5, p->for_private_mentions);
	db_bind_int(st, 6, p->for_limited_accounts);
	int rc = db_done(st);
	db_touch(cache_relations, account_id); /* kept with the rules */
	return rc;
}

bool store_notification_permitted(int64_t account_id, int64_t from)
{
	return db_exists("SELECT 1 FROM notification_permissions"
			 " WHERE account_id = ?1 AND from_account_id = ?2",
			 account_id, from);
}

/* store_notification_filter's writes, in the caller's transaction. */
static int filter_tx(notification *n)
{
	n->id = id_next();
	db_stmt *st = db_prepare(
		"INSERT INTO filtered_notifications (id, account_id, type,"
		" from_account_id, status_id, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING");
	db_bind_int64(st, 1, n->id);
	db_bind_int64(st, 2, n->account_id);
	db_bind_text(st, 3, n->type);
	db_bind_int64(st, 4, n->from_account_id);
	if (n->status_id)
		db_bind_int64(st, 5, n->status_id);
	db_bind_int64(st, 6, n->created_at);
	if (db_done(st) < 0)
		return -1;
	int written = db_changes();
	/* one request per sender, its id kept (clients hold it); each new
	 * act updates it, and its last status is the newest one a status
	 * was part of */
	st = db_prepare(
		"INSERT INTO notification_requests (id, account_id,"
		" from_account_id, last_status_id, created_at,"
		" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
		" ON CONFLICT (account_id, from_account_id) DO UPDATE SET"
		" updated_at = ?5,"
		" last_status_id = coalesce(?4,"
		" notification_requests.last_status_id)");
	db_bind_int64(st, 1, id_next());
	db_bind_int64(st, 2, n->account_id);
	db_bind_int64(st, 3, n->from_account_id);
	if (n->status_id)
		db_bind_int64(st, 4, n->status_id);
	db_bind_int64(st, 5, n->created_at);
	if (written && db_done(st) < 0)
		return -1;
	return written ? 1 : 0;
}

int store_notification_filter(notification *n)
{
	if (db_begin() < 0)
		return -1;
	int rc = filter_tx(n);
	if (rc < 0 || db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return rc;
}

int store_notice_write(notice *x)
{
	x->told = false;
	if (x->how == NOTICE_TELL) {
		int rc = store_notification_insert(&x->n);
		x->told = rc > 0;
		return rc < 0 ? -1 : 0;
	}
	if (x->how != NOTICE_HOLD)
		return 0;
	int rc = db_in_transaction() ? filter_tx(&x->n)
				     : store_notification_filter(&x->n);
	return rc < 0 ? -1 : 0;
}

#define REQUEST_COLUMNS                                                        \
	"r.id, r.account_id, r.from_account_id, r.last_status_id,"             \
	" r.created_at, r.updated_at,"                                         \
	" (SELECT count(*) FROM filtered_notifications f"                      \
	"  WHERE f.account_id = r.account_id"                                  \
	"  AND f.from_account_id = r.from_account_id)"

static void request_from_row(db_stmt *st, notification_request *r)
{
	r->id = db_column_int64(st, 0);
	r->account_id = db_column_int64(st, 1);
	r->from_account_id = db_column_int64(st, 2);
	r->last_status_id = db_column_int64(st, 3);
	r->created_at = db_column_int64(st, 4);
	r->updated_at = db_column_int64(st, 5);
	r->count = db_column_int64(st, 6);
}

size_t store_notification_requests_page(int64_t account_id, const page *p,
					notification_request *out)
{
	static const char *const sql[2] = {
		"SELECT " REQUEST_COLUMNS " FROM notification_requests r"
		" WHERE r.account_id = ?4 AND r.id > ?1 AND r.id < ?2"
		" ORDER BY r.id DESC LIMIT ?3",
		"SELECT " REQUEST_COLUMNS " FROM notification_requests r"
		" WHERE r.account_id = ?4 AND r.id > ?1 AND r.id < ?2"
		" ORDER BY r.id ASC LIMIT ?3",
	};
	bool asc;
	db_stmt *st = db_page_stmt(sql, p, &asc);
	db_bind_int64(st, 4, account_id);
	size_t n = 0;
	while (n < (size_t)p->limit && db_step(st) == DB_ROW)
		request_from_row(st, &out[n++]);
	db_reset(st);
	if (asc)
		db_reverse(out, n, sizeof *out);
	return n;
}

bool store_notification_request_get(int64_t account_id, int64_t id,
				    notification_request *out)
{
	db_stmt *st = db_prepare("SELECT " REQUEST_COLUMNS
				 " FROM notification_requests r"
				 " WHERE r.account_id = ?1 AND r.id = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		request_from_row(st, out);
	db_reset(st);
	return found;
}

/* Inside a write: the sender of request id, or 0 when there is none. */
static int64_t request_sender(int64_t account_id, int64_t id)
{
	return db_int64("SELECT from_account_id FROM notification_requests"
			" WHERE account_id = ?1 AND id = ?2",
			account_id, id);
}

/* Inside a write: run sql binding ?1 account and ?2 sender. */
static int run2(const char *sql, int64_t account_id, int64_t from)
{
	db_stmt *st = db_prepare(sql);
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, from);
	return db_done(st);
}

static int request_end(int64_t account_id, int64_t id, bool accept)
{
	if (db_begin() < 0)
		return -1;
	int64_t from = request_sender(account_id, id);
	if (!from) {
		db_rollback();
		return 1;
	}
	/* accepted notifications keep their ids and join the groups as
	 * they would have (by the hour they arrived); the direct messages
	 * among them join the recipient's conversations, as they would
	 * have had the policy let them through */
	if (accept &&
	    (store_conversations_add_held(account_id, from) < 0 ||
	     run2("INSERT INTO notifications (id, account_id, type,"
		  " from_account_id, status_id, created_at, group_key)"
		  " SELECT id, account_id, type, from_account_id, status_id,"
		  " created_at, CASE WHEN type IN ('favourite', 'reblog',"
		  " 'follow') THEN type || coalesce('-' || status_id, '')"
		  " || '-' || (created_at / 3600000)"
		  " ELSE 'ungrouped-' || id END"
		  " FROM filtered_notifications WHERE account_id = ?1"
		  " AND from_account_id = ?2 ON CONFLICT DO NOTHING",
		  account_id, from) < 0 ||
	     run2("INSERT INTO notification_permissions (account_id,"
		  " from_account_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
		  account_id, from) < 0))
		goto fail;
	if (run2("DELETE FROM filtered_notifications WHERE account_id = ?1"
		 " AND from_account_id = ?2",
		 account_id, from) < 0 ||
	    run2("DELETE FROM notification_requests WHERE account_id = ?1"
		 " AND from_account_id = ?2",
		 account_id, from) < 0 ||
	    db_commit() < 0)
		goto fail;
	return 0;
fail:
	db_rollback();
	return -1;
}

int store_notification_request_accept(int64_t account_id, int64_t id)
{
	return request_end(account_id, id, true);
}

int store_notification_request_dismiss(int64_t account_id, int64_t id)
{
	return request_end(account_id, id, false);
}

void store_notification_requests_count(int64_t account_id, int64_t *requests,
				       int64_t *notifications)
{
	*requests = db_int64("SELECT count(*) FROM notification_requests"
			     " WHERE account_id = ?1 AND ?2 = ?2",
			     account_id, 0);
	*notifications = db_int64("SELECT count(*) FROM filtered_notifications"
				  " WHERE account_id = ?1 AND ?2 = ?2",
				  account_id, 0);
}

size_t store_filtered_notifications_page(arena *a, int64_t account_id,
					 int64_t from, const page *p,
					 notification *out)
{
	static const char *const sql[2] = {
		"SELECT id, type, status_id, created_at"
		" FROM filtered_notifications"
		" WHERE account_id = ?4 AND from_account_id = ?5"
		" AND id > ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
		"SELECT id, type, status_id, created_at"
		" FROM filtered_notifications"
		" WHERE account_id = ?4 AND from_account_id = ?5"
		" AND id > ?1 AND id < ?2 ORDER BY id ASC LIMIT ?3",
	};
	bool asc;
	db_stmt *st = db_page_stmt(sql, p, &asc);
	db_bind_int64(st, 4, account_id);
	db_bind_int64(st, 5, from);
	size_t n = 0;
	while (n < (size_t)p->limit && db_step(st) == DB_ROW) {
		notification *x = &out[n++];
		memset(x, 0, sizeof *x);
		x->id = db_column_int64(st, 0);
		x->account_id = account_id;
		x->from_account_id = from;
		x->type = arena_strdup(a, db_text(st, 1));
		x->status_id = db_column_int64(st, 2);
		x->created_at = db_column_int64(st, 3);
		x->group_key =
			arena_printf(a, "ungrouped-%lld", (long long)x->id);
	}
	db_reset(st);
	if (asc)
		db_reverse(out, n, sizeof *out);
	return n;
}
