/* filters.c — a reader's keyword filters, their keywords and filtered
 * statuses (migration 18). Every statement names the owner, so another
 * account's ids are not found; every write touches the owner's
 * cache_relations, where domain/visibility.c keeps the active ones. */
#include "core/cache.h"
#include "core/id.h"
#include "store/db.h"
#include "store/store.h"

#include <string.h>

static void filter_row(arena *a, db_stmt *st, store_filter *f)
{
	memset(f, 0, sizeof *f);
	f->id = db_column_int64(st, 0);
	f->account_id = db_column_int64(st, 1);
	f->title = arena_strdup(a, db_text(st, 2));
	f->contexts = (unsigned)db_column_int(st, 3);
	f->action = db_column_int(st, 4);
	f->expires_at = db_column_int64(st, 5);
}

/* Attach keywords and statuses (ordered by filter, then id) to the n
 * filters in f (ordered by id). */
static void attach_rules(arena *a, int64_t account_id, store_filter *f,
			 size_t n)
{
	db_stmt *st = db_prepare(
		"SELECT k.id, k.filter_id, k.keyword, k.whole_word"
		" FROM filters f JOIN filter_keywords k ON k.filter_id = f.id"
		" WHERE f.account_id = ?1 ORDER BY k.filter_id, k.id");
	db_bind_int64(st, 1, account_id);
	size_t i = 0, cap = 0;
	while (db_step(st) == DB_ROW) {
		int64_t fid = db_column_int64(st, 1);
		while (i < n && f[i].id < fid)
			i++, cap = 0;
		if (i == n)
			break;
		if (f[i].id != fid)
			continue;
		f[i].keywords = db_grow(a, f[i].keywords, f[i].nkeywords, &cap,
					sizeof *f[i].keywords);
		f[i].keywords[f[i].nkeywords++] =
			(store_filter_keyword){db_column_int64(st, 0), fid,
					       arena_strdup(a, db_text(st, 2)),
					       db_column_int(st, 3) != 0};
	}
	db_reset(st);
	st = db_prepare("SELECT s.id, s.filter_id, s.status_id"
			" FROM filters f JOIN filter_statuses s"
			" ON s.filter_id = f.id"
			" WHERE f.account_id = ?1 ORDER BY s.filter_id, s.id");
	db_bind_int64(st, 1, account_id);
	i = 0, cap = 0;
	while (db_step(st) == DB_ROW) {
		int64_t fid = db_column_int64(st, 1);
		while (i < n && f[i].id < fid)
			i++, cap = 0;
		if (i == n)
			break;
		if (f[i].id != fid)
			continue;
		f[i].statuses = db_grow(a, f[i].statuses, f[i].nstatuses, &cap,
					sizeof *f[i].statuses);
		f[i].statuses[f[i].nstatuses++] = (store_filter_status){
			db_column_int64(st, 0), fid, db_column_int64(st, 2)};
	}
	db_reset(st);
}

size_t store_filters_of(arena *a, int64_t account_id, int64_t now,
			bool active_only, store_filter **out)
{
	db_stmt *st = db_prepare(
		"SELECT id, account_id, title, contexts, action,"
		" coalesce(expires_at, 0) FROM filters WHERE account_id = ?1"
		" AND (?2 = 0 OR expires_at IS NULL OR expires_at > ?2)"
		" ORDER BY id");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, active_only ? now : 0);
	size_t n = 0, cap = 0;
	store_filter *f = NULL;
	while (db_step(st) == DB_ROW) {
		f = db_grow(a, f, n, &cap, sizeof *f);
		filter_row(a, st, &f[n++]);
	}
	db_reset(st);
	if (n)
		attach_rules(a, account_id, f, n);
	*out = f;
	return n;
}

bool store_filter_get(arena *a, int64_t account_id, int64_t id,
		      store_filter *out)
{
	/* the list's rule attachment, for one: the filters are few */
	store_filter *all;
	size_t n = store_filters_of(a, account_id, 0, false, &all);
	for (size_t i = 0; i < n; i++)
		if (all[i].id == id) {
			*out = all[i];
			return true;
		}
	return false;
}

static int keyword_write(int64_t filter_id, const store_filter_keyword *k,
			 int64_t *new_id)
{
	db_stmt *st;
	if (k->id) {
		st = db_prepare("UPDATE filter_keywords SET keyword = ?2,"
				" whole_word = ?3 WHERE id = ?1"
				" AND filter_id = ?4");
		db_bind_int64(st, 1, k->id);
	} else {
		st = db_prepare(
			"INSERT INTO filter_keywords (id, keyword,"
			" whole_word, filter_id) VALUES (?1, ?2, ?3, ?4)");
		*new_id = id_next();
		db_bind_int64(st, 1, *new_id);
	}
	db_bind_text(st, 2, k->keyword);
	db_bind_int(st, 3, k->whole_word);
	db_bind_int64(st, 4, filter_id);
	return db_done(st);
}

static int filter_write(const store_filter *f, bool create)
{
	db_stmt *st =
		create ? db_prepare(
				 "INSERT INTO filters (id, account_id, title,"
				 " contexts, action, expires_at)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
		       : db_prepare(
				 "UPDATE filters SET title = ?3, contexts = ?4,"
				 " action = ?5, expires_at = ?6"
				 " WHERE id = ?1 AND account_id = ?2");
	db_bind_int64(st, 1, f->id);
	db_bind_int64(st, 2, f->account_id);
	db_bind_text(st, 3, f->title);
	db_bind_int(st, 4, (int)f->contexts);
	db_bind_int(st, 5, f->action);
	if (f->expires_at)
		db_bind_int64(st, 6, f->expires_at);
	int rc = db_done(st);
	if (rc == 0 && !create && db_changes() == 0)
		return STORE_GONE;
	return rc;
}

int store_filter_save(const store_filter *f, bool create,
		      const store_filter_keyword *keywords, size_t nkeywords,
		      const int64_t *destroy, size_t ndestroy)
{
	if (db_begin() < 0)
		return -1;
	int rc = filter_write(f, create);
	for (size_t i = 0; rc == 0 && i < ndestroy; i++) {
		db_stmt *st = db_prepare("DELETE FROM filter_keywords"
					 " WHERE id = ?1 AND filter_id = ?2");
		db_bind_int64(st, 1, destroy[i]);
		db_bind_int64(st, 2, f->id);
		rc = db_done(st);
	}
	for (size_t i = 0; rc == 0 && i < nkeywords; i++) {
		int64_t id;
		rc = keyword_write(f->id, &keywords[i], &id);
	}
	if (rc == 0)
		db_touch(cache_relations, f->account_id);
	if (rc != 0 || db_commit() < 0) {
		db_rollback();
		return rc ? rc : -1;
	}
	return 0;
}

int store_filter_delete(int64_t account_id, int64_t id)
{
	db_stmt *st = db_prepare("DELETE FROM filters WHERE id = ?1"
				 " AND account_id = ?2");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	if (db_done(st) < 0)
		return -1;
	if (!db_changes())
		return STORE_GONE;
	db_touch(cache_relations, account_id);
	return 0;
}

bool store_filter_keyword_get(arena *a, int64_t account_id, int64_t id,
			      store_filter_keyword *out)
{
	db_stmt *st = db_prepare(
		"SELECT k.id, k.filter_id, k.keyword, k.whole_word"
		" FROM filter_keywords k JOIN filters f ON f.id = k.filter_id"
		" WHERE k.id = ?1 AND f.account_id = ?2");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		*out = (store_filter_keyword){db_column_int64(st, 0),
					      db_column_int64(st, 1),
					      arena_strdup(a, db_text(st, 2)),
					      db_column_int(st, 3) != 0};
	db_reset(st);
	return found;
}

bool store_filter_status_get(int64_t account_id, int64_t id,
			     store_filter_status *out)
{
	db_stmt *st = db_prepare(
		"SELECT s.id, s.filter_id, s.status_id"
		" FROM filter_statuses s JOIN filters f ON f.id = s.filter_id"
		" WHERE s.id = ?1 AND f.account_id = ?2");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		*out = (store_filter_status){db_column_int64(st, 0),
					     db_column_int64(st, 1),
					     db_column_int64(st, 2)};
	db_reset(st);
	return found;
}

static bool owns_filter(int64_t account_id, int64_t filter_id)
{
	return db_exists("SELECT 1 FROM filters WHERE id = ?1"
			 " AND account_id = ?2",
			 filter_id, account_id);
}

int store_filter_keyword_save(int64_t account_id, store_filter_keyword *k)
{
	if (db_begin() < 0)
		return -1;
	int rc = owns_filter(account_id, k->filter_id) ? 0 : STORE_GONE;
	int64_t id = k->id;
	if (rc == 0)
		rc = keyword_write(k->filter_id, k, &id);
	if (rc == 0 && k->id && !db_changes())
		rc = STORE_GONE;
	if (rc == 0)
		db_touch(cache_relations, account_id);
	if (rc != 0 || db_commit() < 0) {
		db_rollback();
		return rc ? rc : -1;
	}
	k->id = id;
	return 0;
}

int store_filter_keyword_delete(int64_t account_id, int64_t id, bool drop_empty)
{
	if (db_begin() < 0)
		return -1;
	int64_t fid = db_int64("SELECT k.filter_id FROM filter_keywords k"
			       " JOIN filters f ON f.id = k.filter_id"
			       " WHERE k.id = ?1 AND f.account_id = ?2",
			       id, account_id);
	int rc = fid ? 0 : STORE_GONE;
	if (rc == 0) {
		db_stmt *st =
			db_prepare("DELETE FROM filter_keywords WHERE id = ?1");
		db_bind_int64(st, 1, id);
		rc = db_done(st);
	}
	if (rc == 0 && drop_empty &&
	    !db_exists("SELECT 1 FROM filter_keywords WHERE filter_id = ?1"
		       " AND ?2 = ?2",
		       fid, 0)) {
		db_stmt *st = db_prepare("DELETE FROM filters WHERE id = ?1");
		db_bind_int64(st, 1, fid);
		rc = db_done(st);
	}
	if (rc == 0)
		db_touch(cache_relations, account_id);
	if (rc != 0 || db_commit() < 0) {
		db_rollback();
		return rc ? rc : -1;
	}
	return 0;
}

int store_filter_status_add(int64_t account_id, store_filter_status *fs)
{
	if (db_begin() < 0)
		return -1;
	int rc = owns_filter(account_id, fs->filter_id) ? 0 : STORE_GONE;
	if (rc == 0) {
		db_stmt *st = db_prepare(
			"INSERT INTO filter_statuses (id, filter_id, status_id)"
			" VALUES (?1, ?2, ?3)");
		fs->id = id_next();
		db_bind_int64(st, 1, fs->id);
		db_bind_int64(st, 2, fs->filter_id);
		db_bind_int64(st, 3, fs->status_id);
		rc = db_done(st);
	}
	if (rc == 0)
		db_touch(cache_relations, account_id);
	if (rc != 0 || db_commit() < 0) {
		db_rollback();
		return rc ? rc : -1;
	}
	return 0;
}

int store_filter_status_delete(int64_t account_id, int64_t id)
{
	db_stmt *st = db_prepare(
		"DELETE FROM filter_statuses WHERE id = ?1 AND filter_id IN"
		" (SELECT id FROM filters WHERE account_id = ?2)");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	if (db_done(st) < 0)
		return -1;
	if (!db_changes())
		return STORE_GONE;
	db_touch(cache_relations, account_id);
	return 0;
}
