/* tags.c — hashtags: names, follows, daily history. */
#include "core/id.h"
#include "store/db.h"
#include "store/store.h"

#include <string.h>

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

size_t store_featured_tags_count(int64_t account_id)
{
	return (size_t)db_int64("SELECT count(*) FROM featured_tags"
				" WHERE account_id = ?1 AND ?2 = ?2",
				account_id, 0);
}

size_t store_featured_tags(arena *a, int64_t account_id,
			   store_featured_tag **out)
{
	size_t max = store_featured_tags_count(account_id);
	*out = arena_alloc(a, (max + 1) * sizeof **out);
	/* the counts walk the tag's index range, narrowed to the account */
	sqlite3_stmt *st = db_stmt(
		"SELECT f.id, f.tag_id, t.name,"
		" (SELECT count(*) FROM status_tags x JOIN statuses s"
		"  ON s.id = x.status_id WHERE x.tag_id = f.tag_id"
		"  AND +s.account_id = f.account_id"
		"  AND +s.visibility IN (0, 1)),"
		" (SELECT max(s.created_at) FROM status_tags x JOIN statuses s"
		"  ON s.id = x.status_id WHERE x.tag_id = f.tag_id"
		"  AND +s.account_id = f.account_id"
		"  AND +s.visibility IN (0, 1))"
		" FROM featured_tags f JOIN tags t ON t.id = f.tag_id"
		" WHERE f.account_id = ?1 ORDER BY f.id");
	sqlite3_bind_int64(st, 1, account_id);
	size_t n = 0;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		store_featured_tag *f = &(*out)[n++];
		f->id = sqlite3_column_int64(st, 0);
		f->tag_id = sqlite3_column_int64(st, 1);
		f->name = arena_strdup(a, db_text(st, 2));
		f->statuses_count = sqlite3_column_int64(st, 3);
		f->last_status_at = sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	return n;
}

int store_featured_tag_add(int64_t id, int64_t account_id, int64_t tag_id,
			   int64_t max)
{
	if (db_begin() < 0)
		return -1;
	int rc = 1;
	if (db_exists("SELECT 1 FROM featured_tags WHERE account_id = ?1"
		      " AND tag_id = ?2",
		      account_id, tag_id))
		goto done;
	rc = STORE_LIMIT;
	if ((int64_t)store_featured_tags_count(account_id) >= max)
		goto done;
	sqlite3_stmt *st = db_stmt(
		"INSERT INTO featured_tags (id, account_id, tag_id, created_at)"
		" VALUES (?1, ?2, ?3, ?4)");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, account_id);
	sqlite3_bind_int64(st, 3, tag_id);
	sqlite3_bind_int64(st, 4, id_to_ms(id));
	if ((rc = db_done(st)) < 0 || (rc = db_commit()) < 0)
		goto done;
	return 0;
done:
	db_rollback();
	return rc;
}

bool store_featured_tag_remove(int64_t account_id, int64_t id)
{
	sqlite3_stmt *st = db_stmt("DELETE FROM featured_tags"
				   " WHERE id = ?1 AND account_id = ?2");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, account_id);
	return db_done(st) == 0 && sqlite3_changes(db_conn()) > 0;
}

size_t store_tag_suggestions(int64_t account_id, int max_posts, int64_t *out,
			     size_t max)
{
	sqlite3_stmt *st = db_stmt(
		"SELECT x.tag_id FROM (SELECT id FROM statuses"
		" WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2) s"
		" JOIN status_tags x ON x.status_id = s.id"
		" WHERE x.tag_id NOT IN (SELECT tag_id FROM featured_tags"
		" WHERE account_id = ?1)"
		" GROUP BY x.tag_id ORDER BY count(*) DESC, max(s.id) DESC"
		" LIMIT ?3");
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_int(st, 2, max_posts);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	size_t n = 0;
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		out[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}
