/* tags.c — hashtags: names, follows, daily history. */
#include "core/id.h"
#include "store/db.h"
#include "store/store.h"

#include <string.h>

enum { DAY_MS = 24 * 3600 * 1000 };

bool store_tag_by_key(arena *a, const char *key, int64_t *id, const char **name)
{
	sqlite3_stmt *st = db_stmt("SELECT id, name FROM tags WHERE key = ?1");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		*id = sqlite3_column_int64(st, 0);
		*name = arena_strdup(a, db_text(st, 1));
	}
	sqlite3_reset(st);
	return found;
}

const char *store_tag_name(arena *a, int64_t id)
{
	sqlite3_stmt *st = db_stmt("SELECT name FROM tags WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	const char *name = sqlite3_step(st) == SQLITE_ROW
				   ? arena_strdup(a, db_text(st, 0))
				   : NULL;
	sqlite3_reset(st);
	return name;
}

int64_t store_tag_ensure(const char *name, const char *key)
{
	sqlite3_stmt *st = db_stmt("INSERT INTO tags (name, key, created_at)"
				   " VALUES (?1, ?2, ?3)"
				   " ON CONFLICT(key) DO NOTHING");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id_to_ms(id_next()));
	if (db_done(st) < 0)
		return 0;
	return store_tag_id(key);
}

int store_tag_follow(int64_t id, int64_t account_id, int64_t tag_id)
{
	sqlite3_stmt *st =
		db_stmt("INSERT INTO tag_follows (id, account_id, tag_id)"
			" VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, account_id);
	sqlite3_bind_int64(st, 3, tag_id);
	if (db_done(st) < 0)
		return -1;
	db_feed_drop(account_id); /* its home gains the tag's posts */
	return 0;
}

int store_tag_unfollow(int64_t account_id, int64_t tag_id)
{
	sqlite3_stmt *st = db_stmt("DELETE FROM tag_follows"
				   " WHERE account_id = ?1 AND tag_id = ?2");
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_int64(st, 2, tag_id);
	if (db_done(st) < 0)
		return -1;
	db_feed_drop(account_id);
	return 0;
}

bool store_tag_followed(int64_t account_id, int64_t tag_id)
{
	return db_exists("SELECT 1 FROM tag_follows WHERE account_id = ?1"
			 " AND tag_id = ?2",
			 account_id, tag_id);
}

void store_tag_history(int64_t tag_id, int64_t first_day_ms, int days,
		       int64_t *uses, int64_t *accounts)
{
	memset(uses, 0, (size_t)days * sizeof *uses);
	memset(accounts, 0, (size_t)days * sizeof *accounts);
	/* status ids sort by time, so the tag's index range from the first
	 * day's smallest id holds exactly these days' posts */
	sqlite3_stmt *st =
		db_stmt("SELECT (s.created_at - ?2) / ?4 AS day, count(*),"
			" count(DISTINCT s.account_id) FROM status_tags t"
			" JOIN statuses s ON s.id = t.status_id"
			" WHERE t.tag_id = ?1 AND t.status_id >= ?3"
			" AND +s.visibility IN (0, 1) GROUP BY day");
	sqlite3_bind_int64(st, 1, tag_id);
	sqlite3_bind_int64(st, 2, first_day_ms);
	sqlite3_bind_int64(st, 3, id_from_ms(first_day_ms));
	sqlite3_bind_int64(st, 4, DAY_MS);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t day = sqlite3_column_int64(st, 0);
		if (day < 0 || day >= days)
			continue;
		uses[day] = sqlite3_column_int64(st, 1);
		accounts[day] = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
}
