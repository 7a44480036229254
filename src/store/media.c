/* media.c — media attachments and the durable job queue. */
#include "core/cache.h"
#include "store/db.h"
#include "store/pg.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define MEDIA_COLUMNS                                                          \
	"id, account_id, status_id, type, state, mime, file, preview, source," \
	" meta, description, blurhash, focus_x, focus_y, error, created_at"

static void media_from_row(arena *a, db_stmt *st, media_attachment *m)
{
	m->id = db_column_int64(st, 0);
	m->account_id = db_column_int64(st, 1);
	m->status_id = db_column_int64(st, 2);
	m->type = arena_strdup(a, db_text(st, 3));
	m->state = (media_state)db_column_int(st, 4);
	m->mime = arena_strdup(a, db_text(st, 5));
	m->file = db_text_dup(a, st, 6);
	m->preview = db_text_dup(a, st, 7);
	m->source = db_text_dup(a, st, 8);
	m->meta = arena_strdup(a, db_text(st, 9));
	m->description = db_text_dup(a, st, 10);
	m->blurhash = db_text_dup(a, st, 11);
	m->focus_x = db_column_double(st, 12);
	m->focus_y = db_column_double(st, 13);
	m->error = db_text_dup(a, st, 14);
	m->created_at = db_column_int64(st, 15);
}

/* Columns 2…15 of MEDIA_COLUMNS bound as ?2…?15 (id is ?1). */
static void bind_media(db_stmt *st, const media_attachment *m)
{
	db_bind_int64(st, 1, m->id);
	db_bind_int64(st, 2, m->account_id);
	if (m->status_id)
		db_bind_int64(st, 3, m->status_id);
	db_bind_text(st, 4, m->type);
	db_bind_int(st, 5, (int)m->state);
	db_bind_text(st, 6, m->mime);
	db_bind_text_or_null(st, 7, m->file);
	db_bind_text_or_null(st, 8, m->preview);
	db_bind_text_or_null(st, 9, m->source);
	db_bind_text(st, 10, m->meta ? m->meta : "{}");
	db_bind_text_or_null(st, 11, m->description);
	db_bind_text_or_null(st, 12, m->blurhash);
	db_bind_double(st, 13, m->focus_x);
	db_bind_double(st, 14, m->focus_y);
	db_bind_text_or_null(st, 15, m->error);
	db_bind_int64(st, 16, m->created_at);
}

static int job_insert(const char *kind, int64_t arg, int64_t run_at)
{
	db_stmt *st =
		db_prepare("INSERT INTO jobs (kind, arg, run_at, created_at)"
			   " VALUES (?1, ?2, ?3, ?3)");
	db_bind_text(st, 1, kind);
	db_bind_int64(st, 2, arg);
	db_bind_int64(st, 3, run_at);
	return db_done(st);
}

int store_media_insert(const media_attachment *m, const char *job_kind)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st = db_prepare(
		"INSERT INTO media_attachments (" MEDIA_COLUMNS ") VALUES"
		" (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16)");
	bind_media(st, m);
	if (db_done(st) < 0 ||
	    (job_kind && job_insert(job_kind, m->id, m->created_at) < 0) ||
	    db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

int store_media_update(const media_attachment *m)
{
	db_stmt *st = db_prepare(
		"UPDATE media_attachments SET account_id = ?2, status_id = ?3,"
		" type = ?4, state = ?5, mime = ?6, file = ?7, preview = ?8,"
		" source = ?9, meta = ?10, description = ?11, blurhash = ?12,"
		" focus_x = ?13, focus_y = ?14, error = ?15, created_at = ?16"
		" WHERE id = ?1");
	bind_media(st, m);
	if (db_done(st) < 0)
		return -1;
	if (m->status_id) /* the status shows this attachment */
		db_touch(cache_statuses, m->status_id);
	return 0;
}

bool store_media_get(arena *a, int64_t id, media_attachment *out)
{
	db_stmt *st = db_prepare("SELECT " MEDIA_COLUMNS
				 " FROM media_attachments WHERE id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		media_from_row(a, st, out);
	db_reset(st);
	return found;
}

size_t store_media_of_status(arena *a, int64_t status_id, media_attachment *out,
			     size_t max)
{
	db_stmt *st = db_prepare("SELECT " MEDIA_COLUMNS
				 " FROM media_attachments WHERE status_id"
				 " = ?1 ORDER BY position, id");
	db_bind_int64(st, 1, status_id);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW)
		media_from_row(a, st, &out[n++]);
	db_reset(st);
	return n;
}

size_t store_media_of_account(arena *a, int64_t account_id,
			      media_attachment **out)
{
	size_t max = (size_t)db_int64("SELECT count(*) FROM media_attachments"
				      " WHERE account_id = ?1 AND ?2 = ?2",
				      account_id, 0);
	*out = arena_alloc(a, (max + 1) * sizeof **out);
	db_stmt *st =
		db_prepare("SELECT " MEDIA_COLUMNS " FROM media_attachments"
			   " WHERE account_id = ?1 ORDER BY id");
	db_bind_int64(st, 1, account_id);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW)
		media_from_row(a, st, &(*out)[n++]);
	db_reset(st);
	return n;
}

int store_media_remote_set(int64_t id, const char *url)
{
	db_stmt *st = db_prepare(
		"UPDATE media_attachments SET remote_url = ?2 WHERE id = ?1");
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, url);
	return db_done(st);
}

int64_t store_media_remote_of_status(int64_t status_id, int64_t account_id,
				     const char *url)
{
	db_stmt *st = db_prepare(
		"SELECT id FROM media_attachments WHERE status_id = ?1"
		" AND account_id = ?2 AND remote_url = ?3"
		" ORDER BY position LIMIT 1");
	db_bind_int64(st, 1, status_id);
	db_bind_int64(st, 2, account_id);
	db_bind_text(st, 3, url);
	int64_t id = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return id;
}

int store_media_delete(int64_t id)
{
	db_stmt *st = db_prepare("DELETE FROM media_attachments WHERE id = ?1");
	db_bind_int64(st, 1, id);
	return db_done(st);
}

size_t store_media_stale(arena *a, int64_t before_ms, media_attachment *out,
			 size_t max)
{
	db_stmt *st = db_prepare(
		"SELECT " MEDIA_COLUMNS " FROM media_attachments"
		" WHERE status_id IS NULL AND state <> 0 AND created_at < ?1"
		" ORDER BY created_at LIMIT ?2");
	db_bind_int64(st, 1, before_ms);
	db_bind_int64(st, 2, (int64_t)max);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW)
		media_from_row(a, st, &out[n++]);
	db_reset(st);
	return n;
}

int store_media_attach_tx(int64_t status_id, int64_t account_id,
			  const int64_t *ids, size_t n)
{
	/* attachments the status no longer lists go back to unattached,
	 * where the sweeper finds them */
	db_stmt *st = db_prepare("UPDATE media_attachments SET status_id"
				 " = NULL WHERE status_id = ?1");
	db_bind_int64(st, 1, status_id);
	if (db_done(st) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		st = db_prepare(
			"UPDATE media_attachments SET status_id = ?1,"
			" position = ?2 WHERE id = ?3 AND account_id = ?4"
			" AND status_id IS NULL AND state = 1");
		db_bind_int64(st, 1, status_id);
		db_bind_int(st, 2, (int)i);
		db_bind_int64(st, 3, ids[i]);
		db_bind_int64(st, 4, account_id);
		if (db_done(st) < 0)
			return -1;
		/* taken meanwhile (the caller's check ran outside this
		 * transaction): an answer for the client, not an error */
		if (db_changes() != 1)
			return STORE_TAKEN;
	}
	return 0;
}

/* ---- jobs ---- */

int store_job_enqueue(const char *kind, int64_t arg, int64_t run_at)
{
	return job_insert(kind, arg, run_at);
}

/* The process's number among those sharing the database. */
static int64_t own_node(void)
{
	return db_pg ? pg_node() : 0;
}

static bool job_claim(db_stmt *st, arena *a, store_job *out)
{
	bool found = db_step(st) == DB_ROW;
	if (found) {
		out->id = db_column_int64(st, 0);
		out->kind = arena_strdup(a, db_text(st, 1));
		out->arg = db_column_int64(st, 2);
		out->attempts = db_column_int(st, 3);
	}
	db_reset(st);
	return found;
}

/* A claim runs under db_begin's write lock, which every process on the
 * database shares (SQLite's writer lock; PostgreSQL's advisory lock): one
 * UPDATE picks a row and marks it running, so no job is claimed twice and
 * no claim can meet a row another holds (FOR UPDATE SKIP LOCKED would
 * have nothing to skip). */
bool store_job_claim(arena *a, int64_t now, store_job *out)
{
	return store_job_claim_kind(a, now, STORE_JOBS_ANY, out);
}

bool store_job_claim_kind(arena *a, int64_t now, store_job_side side,
			  store_job *out)
{
	return store_job_finish_claim(a, NULL, now, side, NULL, out, 1) == 1;
}

/* Delete the jobs in done, with their kind's also (inside the caller's
 * transaction). 0 or -1. */
static int finish_done(const store_job_done *done)
{
	for (size_t i = 0; i < done->n; i++) {
		db_stmt *st = db_prepare("DELETE FROM jobs WHERE id = ?1");
		db_bind_int64(st, 1, done->ids[i]);
		if (db_queue(st) < 0 ||
		    (done->also && done->also(done->args[i]) < 0))
			return -1;
	}
	return 0;
}

int store_job_finish_done(store_job_done *done)
{
	if (!done->n)
		return 0;
	if (db_begin() < 0)
		return -1;
	if (finish_done(done) < 0 || db_commit() < 0) {
		db_rollback();
		return -1;
	}
	done->n = 0;
	return 0;
}

static int job_id_cmp(const void *x, const void *y)
{
	int64_t a = ((const store_job *)x)->id, b = ((const store_job *)y)->id;
	return (a > b) - (a < b);
}

/* Claim up to max - 1 more due jobs of first's kind after first, into
 * out + 1 (inside the claim's transaction): how many in all. The
 * lane's kind is left out in the SQL's own words, so the planner may
 * take the general side's index. */
static size_t claim_more(const store_job *first, int64_t now, store_job *out,
			 size_t max)
{
	db_stmt *st =
		db_prepare("UPDATE jobs SET state = 1, attempts = attempts + 1,"
			   " node = ?3 WHERE id IN (SELECT id FROM jobs"
			   " WHERE state = 0 AND run_at <= ?1 AND kind = ?2"
			   " AND kind <> '" STORE_JOB_LANE "'"
			   " ORDER BY run_at, id LIMIT ?4)"
			   " RETURNING id, kind, arg, attempts");
	db_bind_int64(st, 1, now);
	db_bind_text(st, 2, first->kind);
	db_bind_int64(st, 3, own_node());
	db_bind_int64(st, 4, (int64_t)(max - 1));
	size_t n = 1;
	while (n < max && db_step(st) == DB_ROW) {
		out[n].id = db_column_int64(st, 0);
		out[n].kind = first->kind;
		out[n].arg = db_column_int64(st, 2);
		out[n].attempts = db_column_int(st, 3);
		n++;
	}
	db_reset(st);
	/* RETURNING keeps no order: run them as they came */
	qsort(out, n, sizeof *out, job_id_cmp);
	return n;
}

size_t store_job_finish_claim(arena *a, store_job_done *done, int64_t now,
			      store_job_side side, store_job_batch batch,
			      store_job *out, size_t max)
{
	if (!max || db_begin() < 0)
		return 0;
	if (done && finish_done(done) < 0) {
		db_rollback();
		return 0;
	}
	db_stmt *st = db_prepare(
		side == STORE_JOBS_ANY
			? "UPDATE jobs SET state = 1, attempts = attempts + 1,"
			  " node = ?2 WHERE id = (SELECT id FROM jobs"
			  " WHERE state = 0 AND run_at <= ?1"
			  " ORDER BY run_at, id LIMIT 1)"
			  " RETURNING id, kind, arg, attempts"
		: side == STORE_JOBS_LANE
			? "UPDATE jobs SET state = 1, attempts = attempts + 1,"
			  " node = ?2 WHERE id = (SELECT id FROM jobs"
			  " WHERE state = 0 AND run_at <= ?1"
			  " AND kind = '" STORE_JOB_LANE "'"
			  " ORDER BY run_at, id LIMIT 1)"
			  " RETURNING id, kind, arg, attempts"
			: "UPDATE jobs SET state = 1, attempts = attempts + 1,"
			  " node = ?2 WHERE id = (SELECT id FROM jobs"
			  " WHERE state = 0 AND run_at <= ?1"
			  " AND kind <> '" STORE_JOB_LANE "'"
			  " ORDER BY run_at, id LIMIT 1)"
			  " RETURNING id, kind, arg, attempts");
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, own_node());
	size_t n = job_claim(st, a, out) ? 1 : 0;
	if (n && batch) {
		size_t most = batch(out->kind);
		if (most > 1)
			n = claim_more(out, now, out, most < max ? most : max);
	}
	if (db_commit() < 0) {
		db_rollback();
		return 0;
	}
	if (done)
		done->n = 0; /* finished: their ids may be new jobs' now */
	return n;
}

bool store_job_claim_for(arena *a, const char *kind, int64_t arg,
			 store_job *out)
{
	if (db_begin() < 0)
		return false;
	db_stmt *st = db_prepare(
		"UPDATE jobs SET state = 1, attempts = attempts + 1, node = ?3"
		" WHERE id = (SELECT id FROM jobs WHERE state = 0"
		" AND kind = ?1 AND arg = ?2 LIMIT 1)"
		" RETURNING id, kind, arg, attempts");
	db_bind_text(st, 1, kind);
	db_bind_int64(st, 2, arg);
	db_bind_int64(st, 3, own_node());
	bool found = job_claim(st, a, out);
	if (db_commit() < 0) {
		db_rollback();
		return false;
	}
	return found;
}

bool store_job_active(const char *kind, int64_t arg)
{
	db_stmt *st = db_prepare("SELECT 1 FROM jobs WHERE kind = ?1"
				 " AND arg = ?2 AND state < 2");
	db_bind_text(st, 1, kind);
	db_bind_int64(st, 2, arg);
	bool yes = db_step(st) == DB_ROW;
	db_reset(st);
	return yes;
}

int store_job_finish(int64_t id)
{
	db_stmt *st = db_prepare("DELETE FROM jobs WHERE id = ?1");
	db_bind_int64(st, 1, id);
	return db_done(st);
}

int store_job_retry(int64_t id, int64_t run_at, const char *error)
{
	db_stmt *st = db_prepare("UPDATE jobs SET state = 0, run_at = ?2,"
				 " error = ?3 WHERE id = ?1");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, run_at);
	db_bind_text_or_null(st, 3, error);
	return db_done(st);
}

int store_job_fail(int64_t id, const char *error)
{
	db_stmt *st = db_prepare(
		"UPDATE jobs SET state = 2, error = ?2 WHERE id = ?1");
	db_bind_int64(st, 1, id);
	db_bind_text_or_null(st, 2, error);
	return db_done(st);
}

int store_jobs_recover(void)
{
	if (!db_pg) /* one process: every running job was left by a crash */
		return db_exec("UPDATE jobs SET state = 0 WHERE state = 1");
	/* this process has no job yet: one running under its node number
	 * was left by the process that had the number before */
	db_stmt *st = db_prepare("UPDATE jobs SET state = 0 WHERE state = 1"
				 " AND node = ?1");
	db_bind_int64(st, 1, own_node());
	if (db_done(st) < 0)
		return -1;
	return store_jobs_orphans();
}

/* Jobs whose process's node lock is free. A lock is freed once
 * PostgreSQL has seen its process die, which may be after the process
 * that replaces it started: so this runs at start and again every little
 * while. */
int store_jobs_orphans(void)
{
	if (!db_pg)
		return 0;
	return db_exec("UPDATE jobs SET state = 0 WHERE state = 1 AND node"
		       " NOT IN (SELECT objid::bigint FROM pg_locks"
		       " WHERE locktype = 'advisory' AND granted"
		       " AND classid = " DB_PG_NODE_LOCK " AND objsubid = 2"
		       " AND database = (SELECT oid FROM pg_database"
		       " WHERE datname = current_database()))");
}
