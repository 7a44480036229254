/* backup.c — `chorus backup`: a consistent copy of the database taken
 * with SQLite's online backup API while a server keeps serving it.
 *
 * How it stays consistent without holding anyone off. The backup API
 * copies the database a slice of pages per sqlite3_backup_step; when
 * another connection commits between two steps, the next step starts the
 * copy again from page 1, so under steady posting a stepwise copy barely
 * ends (measured: a 50 MB database, one client posting, 256-page steps
 * each in its own read: 5 479 restarts, 68 s). The copy therefore holds
 * one read transaction on the source from the first step to the last:
 * every step reads the same snapshot, and the result is the database as
 * it was at that moment.
 *
 * Why small steps, and why holding a snapshot holds no writer off. The
 * API works in steps for rollback-journal databases, where a reader's
 * lock keeps writers from committing (there a held snapshot would stall
 * them for the whole copy). chorus's database is always in WAL mode
 * (db.c), where a reader never blocks the writer: commits go on during
 * the copy, and a step is what the copy is timed (and could be stopped)
 * by; STEP_PAGES keeps each one short. Measured
 * on 2 shared cores: 1 MiB steps take ~2 ms, the last ~9 ms (it commits
 * the copy); a 51 MB copy under steady posting held its snapshot 0.4 s,
 * longest step 67 ms, while the server answered 1 344 POSTs. What the
 * held snapshot does cost: the server's checkpointer cannot copy back
 * the frames written after it, so the WAL grows while the copy runs, and
 * past db.c's CKPT_RESTART_PAGES its RESTART checkpoint waits for this
 * reader holding the write lock. So the steps run back to back, never
 * sleeping: the snapshot lives only as long as the copy itself
 * (snapshot_ms in the report). */
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	STEP_PAGES = 256,	/* 1 MiB of 4 KiB pages per step */
	SOURCE_BUSY_MS = 10000, /* a reader waits only on WAL recovery */
	BACKUP_PATH_MAX = 4096,
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Why an open failed, as one phrase. */
static const char *why(sqlite3 *conn, int rc)
{
	if ((rc & 0xff) == SQLITE_FULL)
		return "disk full";
	return conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc);
}

/* One integer from sql on conn into *out; false when it did not answer. */
static bool query_int(sqlite3 *conn, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	bool ok = sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ok;
}

/* Check the finished copy and count what it holds. The copy is made a
 * single file (rollback journal) so it can be moved alone: chorus turns
 * WAL back on when it opens it. 0 or -1 after logging. */
static int check_copy(sqlite3 *dst, const char *tmp, store_backup_report *out)
{
	sqlite3_stmt *st;
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &st, NULL) !=
		    SQLITE_OK) {
		log_error("cannot check %s: %s", tmp, sqlite3_errmsg(dst));
		return -1;
	}
	int rc = sqlite3_step(st);
	bool ok = rc == SQLITE_ROW &&
		  !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
	if (!ok)
		log_error("the copy %s fails its check: %s", tmp,
			  rc == SQLITE_ROW
				  ? (const char *)sqlite3_column_text(st, 0)
				  : sqlite3_errmsg(dst));
	sqlite3_finalize(st);
	if (!ok)
		return -1;
	int64_t schema;
	if (!query_int(dst, "PRAGMA user_version", &schema) ||
	    !query_int(dst, "SELECT count(*) FROM accounts", &out->accounts) ||
	    !query_int(dst, "SELECT count(*) FROM statuses", &out->statuses)) {
		log_error("cannot count the rows of %s: %s", tmp,
			  sqlite3_errmsg(dst));
		return -1;
	}
	out->schema = (int)schema;
	return 0;
}

/* Copy src, inside the read transaction the caller holds on it, into the
 * empty database dst, timing the steps. 0 or -1 after logging. */
static int copy_steps(sqlite3 *src, sqlite3 *dst, const char *tmp,
		      store_backup_report *out)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		log_error("cannot start the backup: %s", sqlite3_errmsg(dst));
		return -1;
	}
	int rc;
	do {
		double t0 = now_ms();
		rc = sqlite3_backup_step(b, STEP_PAGES);
		double took = now_ms() - t0;
		out->steps++;
		if (took > out->longest_step_ms)
			out->longest_step_ms = took;
	} while (rc == SQLITE_OK);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		/* the error is the destination's (full, read-only, too large)
		 * or the source's (a read failed): the OS's word when there
		 * is one, more telling than "disk I/O error" */
		int sys = sqlite3_system_errno(dst);
		log_error("cannot write %s: %s", tmp,
			  (rc & 0xff) == SQLITE_FULL || sys == ENOSPC
				  ? "disk full"
			  : sys ? strerror(sys)
				: sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* Open data_dir's database without creating it, begin the read
 * transaction the copy will hold, and check its schema. The connection,
 * or NULL after logging. */
static sqlite3 *open_source(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		log_error(errno == ENOENT ? "no database at %s"
					  : "cannot read %s",
			  path);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		log_error("%s is not a database file", path);
		return NULL;
	}
	sqlite3 *src = NULL;
	int rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open %s: %s", path, why(src, rc));
		sqlite3_close(src);
		return NULL;
	}
	sqlite3_busy_timeout(src, SOURCE_BUSY_MS);
	/* BEGIN is deferred: reading user_version takes the snapshot */
	if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    db_schema_usable(src, path) < 0) {
		sqlite3_close(src);
		return NULL;
	}
	return src;
}

/* Create tmp anew, readable by its owner only (the database holds
 * password hashes and token hashes): a clear error now beats SQLite's
 * "unable to open database file" later. 0 or -1 after logging. */
static int create_tmp(const char *tmp)
{
	char journal[BACKUP_PATH_MAX + 16];
	snprintf(journal, sizeof journal, "%s-journal", tmp);
	unlink(journal); /* what an interrupted backup left */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		log_error("cannot replace %s: %s", tmp, strerror(errno));
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* fsync path (a file, or a directory after a rename in it). */
static int sync_path(const char *path, bool dir)
{
	int fd =
		open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Put the checked copy tmp in place as file. 0 or -1 after logging. */
static int publish(const char *tmp, const char *file, bool force,
		   store_backup_report *out)
{
	struct stat sb;
	if (sync_path(tmp, false) < 0 || stat(tmp, &sb) < 0) {
		log_error("cannot write %s: %s", tmp,
			  errno == ENOSPC ? "disk full" : strerror(errno));
		return -1;
	}
	out->bytes = sb.st_size;
	/* checked again: file may have appeared while the copy ran */
	if (!force && lstat(file, &sb) == 0) {
		log_error("%s exists: use --force to overwrite it", file);
		return -1;
	}
	if (rename(tmp, file) < 0) {
		log_error("cannot rename %s to %s: %s", tmp, file,
			  strerror(errno));
		return -1;
	}
	char dir[BACKUP_PATH_MAX];
	snprintf(dir, sizeof dir, "%s", file);
	sync_path(dirname(dir), true); /* the rename itself, best effort */
	return 0;
}

int store_backup(const char *data_dir, const char *file, bool force,
		 store_backup_report *out)
{
	memset(out, 0, sizeof *out);
	char src_path[BACKUP_PATH_MAX], tmp[BACKUP_PATH_MAX];
	if ((size_t)snprintf(src_path, sizeof src_path, "%s/chorus.db",
			     data_dir) >= sizeof src_path ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s.tmp", file) >= sizeof tmp) {
		log_error("path too long");
		return -1;
	}
	struct stat sb;
	if (!force && lstat(file, &sb) == 0) {
		log_error("%s exists: use --force to overwrite it", file);
		return -1;
	}
	sqlite3 *src = open_source(src_path);
	if (!src)
		return -1;
	double snap0 = now_ms();
	if (create_tmp(tmp) < 0) {
		sqlite3_close(src);
		return -1;
	}
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK)
		log_error("cannot open %s: %s", tmp, why(dst, rc));
	/* the copy is fsynced once, whole, before its rename (publish): no
	 * sync per step. The search tokenizer: the FTS5 tables' checks call
	 * it. */
	bool ok = rc == SQLITE_OK &&
		  sqlite3_exec(dst, "PRAGMA synchronous=OFF", NULL, NULL,
			       NULL) == SQLITE_OK &&
		  db_search_register(dst) == 0 &&
		  copy_steps(src, dst, tmp, out) == 0;
	sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(src);
	out->snapshot_ms = now_ms() - snap0;
	ok = ok && check_copy(dst, tmp, out) == 0;
	if (sqlite3_close(dst) != SQLITE_OK) {
		log_error("cannot close %s", tmp);
		ok = false;
	}
	if (ok && publish(tmp, file, force, out) == 0)
		return 0;
	unlink(tmp);
	return -1;
}
