/* interactions.c — favourites, bookmarks, pins, viewer flags and
 * idempotency keys. */
#include "core/cache.h"
#include "core/id.h"
#include "store/db.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One (account, status) table toggled by toggle_row. */
typedef struct toggle_spec {
	const char *insert_sql, *delete_sql;
	const char *counter_sql; /* moves the status's counter, or NULL */
	const char *count_sql;	 /* the account's rows, for a limit, or NULL */
	const char *id_sql;	 /* the row's id, or NULL */
	int64_t max;		 /* the limit count_sql is held to */
	bool shown; /* profiles show the rows (pins): kept pages end */
} toggle_spec;

/* Insert-or-delete one (account, status) row of a table; returns 1 when
 * it changed, 0 when it already was so, STORE_GONE when the status no
 * longer exists or the account may no longer see it, STORE_LIMIT when an
 * insert would go over t->max, -1. The checks run inside the write's
 * transaction: BEGIN IMMEDIATE holds off a delete or another insert
 * between check and write. A counter the trends read (favourites) also
 * rescores the status. */
static int toggle_row(const toggle_spec *t, int64_t account_id,
		      int64_t status_id, bool on, notice *x, int64_t *row)
{
	int64_t id = 0;
	if (x)
		x->told = false;
	if (db_begin() < 0)
		return -1;
	int rc;
	if ((rc = db_status_check(status_id, account_id)) < 0)
		goto fail;
	rc = STORE_LIMIT;
	if (on && t->count_sql &&
	    db_int64(t->count_sql, account_id, status_id) >= t->max)
		goto fail;
	/* the row's id, for who names it (another server's Like) */
	if (!on && row && t->id_sql)
		id = db_int64(t->id_sql, account_id, status_id);
	db_stmt *st = db_prepare(on ? t->insert_sql : t->delete_sql);
	if (on)
		db_bind_int64(st, 3, id = id_next());
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, status_id);
	if ((rc = db_done(st)) < 0)
		goto fail;
	int changed = db_changes() > 0;
	rc = -1;
	if (changed && t->shown)
		db_touch_epoch();
	if (changed && t->counter_sql) {
		st = db_prepare(t->counter_sql);
		db_bind_int64(st, 1, status_id);
		db_bind_int(st, 2, on ? 1 : -1);
		if (db_done(st) < 0)
			goto fail;
		/* the cached rendering holds no counters (render.c) */
		db_touch_epoch();
		if (store_trends_status_tx(status_id) < 0)
			goto fail;
	}
	if (changed && on && x && store_notice_write(x) < 0)
		goto fail;
	if (db_commit() < 0)
		goto fail;
	if (row)
		*row = changed ? id : 0;
	return changed;
fail:
	db_rollback();
	return rc;
}

int store_favourite_set(int64_t account_id, int64_t status_id, bool on,
			notice *x)
{
	return store_favourite_toggle(account_id, status_id, on, x, NULL);
}

int store_favourite_toggle(int64_t account_id, int64_t status_id, bool on,
			   notice *x, int64_t *row)
{
	static const toggle_spec t = {
		.insert_sql = "INSERT INTO favourites (id, account_id,"
			      " status_id) VALUES (?3, ?1, ?2)"
			      " ON CONFLICT DO NOTHING",
		.delete_sql = "DELETE FROM favourites WHERE account_id = ?1"
			      " AND status_id = ?2",
		.counter_sql = "UPDATE statuses SET favourites_count ="
			       " greatest(0, favourites_count + ?2)"
			       " WHERE id = ?1",
		.id_sql = "SELECT id FROM favourites WHERE account_id = ?1"
			  " AND status_id = ?2",
	};
	return toggle_row(&t, account_id, status_id, on, x, row);
}

int store_bookmark_set(int64_t account_id, int64_t status_id, bool on)
{
	static const toggle_spec t = {
		.insert_sql = "INSERT INTO bookmarks (id, account_id,"
			      " status_id) VALUES (?3, ?1, ?2)"
			      " ON CONFLICT DO NOTHING",
		.delete_sql = "DELETE FROM bookmarks WHERE account_id = ?1"
			      " AND status_id = ?2",
	};
	return toggle_row(&t, account_id, status_id, on, NULL, NULL);
}

int store_pin_set(int64_t account_id, int64_t status_id, bool on, int64_t max)
{
	toggle_spec t = {
		.insert_sql = "INSERT INTO pins (id, account_id,"
			      " status_id) VALUES (?3, ?1, ?2)"
			      " ON CONFLICT DO NOTHING",
		.delete_sql = "DELETE FROM pins WHERE account_id = ?1"
			      " AND status_id = ?2",
		/* a pin already there is no new one: it never counts */
		.count_sql = "SELECT count(*) FROM pins WHERE account_id = ?1"
			     " AND NOT EXISTS (SELECT 1 FROM pins WHERE"
			     " account_id = ?1 AND status_id = ?2)",
		.max = max,
		.shown = true,
	};
	return toggle_row(&t, account_id, status_id, on, NULL, NULL);
}

/* All the flags of a page in one statement; ids go in as one list so the
 * statement text stays fixed and cached. */
void store_status_flags(int64_t viewer, const int64_t *ids, size_t n,
			status_flags *out)
{
	memset(out, 0, n * sizeof *out);
	if (!viewer || n == 0 || db_page_flags(viewer, ids, n, out))
		return;
	/* 0 stands for "no status" (a page's reblog slots): not asked */
	db_stmt *st = db_prepare(
		DB_SQL(FLAGS_SQL(DB_IN_IDS_SQLITE), FLAGS_SQL(DB_IN_IDS_PG)));
	db_bind_int64(st, 1, viewer);
	if (!db_bind_ids(st, 2, ids, n))
		return;
	while (db_step(st) == DB_ROW) {
		int which = db_column_int(st, 0);
		int64_t sid = db_column_int64(st, 1);
		for (size_t i = 0; i < n; i++)
			if (ids[i] == sid)
				db_flag_set(&out[i], which);
	}
	db_reset(st);
}

bool store_idempotency_get(int64_t account_id, const char *key,
			   int64_t since_ms, int64_t *status_id)
{
	db_stmt *st = db_prepare(
		"SELECT status_id FROM idempotency WHERE account_id = ?1"
		" AND key = ?2 AND created_at >= ?3");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, key);
	db_bind_int64(st, 3, since_ms);
	bool found = db_step(st) == DB_ROW;
	if (found)
		*status_id = db_column_int64(st, 0);
	db_reset(st);
	return found;
}

int store_idempotency_put(int64_t account_id, const char *key,
			  int64_t status_id, int64_t now_ms)
{
	db_stmt *st = db_prepare(
		"INSERT INTO idempotency (account_id, key, status_id,"
		" created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account_id,"
		" key) DO UPDATE SET status_id = excluded.status_id,"
		" created_at = excluded.created_at");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, key);
	db_bind_int64(st, 3, status_id);
	db_bind_int64(st, 4, now_ms);
	return db_done(st);
}

int store_thread_mute_set(int64_t account_id, int64_t status_id, bool on)
{
	db_stmt *st =
		on ? db_prepare("INSERT INTO thread_mutes (account_id, root_id)"
				" SELECT ?1, thread_root_id FROM statuses"
				" WHERE id = ?2 AND thread_root_id IS NOT NULL"
				" ON CONFLICT (account_id, root_id) DO NOTHING")
		   : db_prepare("DELETE FROM thread_mutes WHERE account_id = ?1"
				" AND root_id = (SELECT thread_root_id"
				" FROM statuses WHERE id = ?2)");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, status_id);
	int rc = db_done(st);
	db_touch(cache_relations, account_id); /* the reader's rules */
	return rc;
}

int64_t store_thread_mutes_count(int64_t account_id)
{
	return db_int64("SELECT count(*) FROM thread_mutes"
			" WHERE account_id = ?1 AND ?2 = ?2",
			account_id, 0);
}

bool store_thread_muted(int64_t account_id, int64_t status_id)
{
	return db_exists("SELECT 1 FROM statuses s JOIN thread_mutes m"
			 " ON m.root_id = s.thread_root_id"
			 " AND m.account_id = ?1 WHERE s.id = ?2",
			 account_id, status_id);
}
