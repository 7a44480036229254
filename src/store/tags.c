/* tags.c — hashtags: names, follows, daily history. */
#include "core/id.h"
#include "store/db.h"
#include "store/store.h"

#include <string.h>

bool store_tag_by_key(arena *a, const char *key, int64_t *id, const char **name)
{
	db_stmt *st = db_prepare("SELECT id, name FROM tags WHERE key = ?1");
	db_bind_text(st, 1, key);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		*id = db_column_int64(st, 0);
		*name = arena_strdup(a, db_text(st, 1));
	}
	db_reset(st);
	return found;
}

const char *store_tag_name(arena *a, int64_t id)
{
	db_stmt *st = db_prepare("SELECT name FROM tags WHERE id = ?1");
	db_bind_int64(st, 1, id);
	const char *name =
		db_step(st) == DB_ROW ? arena_strdup(a, db_text(st, 0)) : NULL;
	db_reset(st);
	return name;
}

int64_t store_tag_ensure(const char *name, const char *key)
{
	db_stmt *st = db_prepare("INSERT INTO tags (name, key, created_at)"
				 " VALUES (?1, ?2, ?3)"
				 " ON CONFLICT(key) DO NOTHING");
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, key);
	db_bind_int64(st, 3, id_to_ms(id_next()));
	if (db_done(st) < 0)
		return 0;
	return store_tag_id(key);
}

int store_tag_follow(int64_t id, int64_t account_id, int64_t tag_id)
{
	db_stmt *st =
		db_prepare("INSERT INTO tag_follows (id, account_id, tag_id)"
			   " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	db_bind_int64(st, 3, tag_id);
	if (db_done(st) < 0)
		return -1;
	db_feed_drop(account_id); /* its home gains the tag's posts */
	return 0;
}

int store_tag_unfollow(int64_t account_id, int64_t tag_id)
{
	db_stmt *st = db_prepare("DELETE FROM tag_follows"
				 " WHERE account_id = ?1 AND tag_id = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, tag_id);
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
	/* as many as there are rows: a count read before them could miss a
	 * tag featured in between (by a request holding a lower id) and cut
	 * the newest off the end */
	size_t cap = 0;
	*out = NULL;
	/* the counts walk the tag's index range, narrowed to the account
	 * (SQLite: unary '+' keeps it off the account's index; on
	 * PostgreSQL '+' would keep the planner off every index) */
#define FEATURED_SQL(P)                                                        \
	"SELECT f.id, f.tag_id, t.name,"                                       \
	" (SELECT count(*) FROM status_tags x JOIN statuses s"                 \
	"  ON s.id = x.status_id WHERE x.tag_id = f.tag_id"                    \
	"  AND " P "s.account_id = f.account_id"                               \
	"  AND " P "s.visibility IN (0, 1)),"                                  \
	" (SELECT max(s.created_at) FROM status_tags x JOIN statuses s"        \
	"  ON s.id = x.status_id WHERE x.tag_id = f.tag_id"                    \
	"  AND " P "s.account_id = f.account_id"                               \
	"  AND " P "s.visibility IN (0, 1))"                                   \
	" FROM featured_tags f JOIN tags t ON t.id = f.tag_id"                 \
	" WHERE f.account_id = ?1 ORDER BY f.id"
	db_stmt *st = db_prepare(DB_SQL(FEATURED_SQL("+"), FEATURED_SQL("")));
#undef FEATURED_SQL
	db_bind_int64(st, 1, account_id);
	size_t n = 0;
	while (db_step(st) == DB_ROW) {
		*out = db_grow(a, *out, n, &cap, sizeof **out);
		store_featured_tag *f = &(*out)[n++];
		f->id = db_column_int64(st, 0);
		f->tag_id = db_column_int64(st, 1);
		f->name = arena_strdup(a, db_text(st, 2));
		f->statuses_count = db_column_int64(st, 3);
		f->last_status_at = db_column_int64(st, 4);
	}
	db_reset(st);
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
	db_stmt *st = db_prepare(
		"INSERT INTO featured_tags (id, account_id, tag_id, created_at)"
		" VALUES (?1, ?2, ?3, ?4)");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	db_bind_int64(st, 3, tag_id);
	db_bind_int64(st, 4, id_to_ms(id));
	if ((rc = db_done(st)) < 0 || (rc = db_commit()) < 0)
		goto done;
	return 0;
done:
	db_rollback();
	return rc;
}

bool store_featured_tag_remove(int64_t account_id, int64_t id)
{
	db_stmt *st = db_prepare("DELETE FROM featured_tags"
				 " WHERE id = ?1 AND account_id = ?2");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	return db_done(st) == 0 && db_changes() > 0;
}

size_t store_tag_suggestions(int64_t account_id, int max_posts, int64_t *out,
			     size_t max)
{
	db_stmt *st = db_prepare(
		"SELECT x.tag_id FROM (SELECT id FROM statuses"
		" WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2) s"
		" JOIN status_tags x ON x.status_id = s.id"
		" WHERE x.tag_id NOT IN (SELECT tag_id FROM featured_tags"
		" WHERE account_id = ?1)"
		" GROUP BY x.tag_id ORDER BY count(*) DESC, max(s.id) DESC"
		" LIMIT ?3");
	db_bind_int64(st, 1, account_id);
	db_bind_int(st, 2, max_posts);
	db_bind_int64(st, 3, (int64_t)max);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW)
		out[n++] = db_column_int64(st, 0);
	db_reset(st);
	return n;
}
