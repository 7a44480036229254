/* copy.c — `chorus db migrate-to URL`: an SQLite instance copied into an
 * empty PostgreSQL database.
 *
 * The source is read in one read transaction (a consistent snapshot; a
 * server may keep serving it, though what it writes after the snapshot
 * is not copied: stop it first for a move). The target gets chorus's
 * schema (schema_pg.c) and every table's rows by COPY, in one
 * transaction, parents before children (the foreign keys are checked as
 * rows arrive), with the schema's triggers off: the counters and
 * notification groups they keep are copied as they are, not recomputed.
 * The search indexes are not copied (FTS5's are SQLite's own): every
 * status and account goes on PostgreSQL's backlogs and is indexed with
 * chorus's tokens before the command ends. Last, every table is counted
 * on both sides. */
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/schema_pg.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	COPY_MAX_TABLES = 96,
	COPY_CHUNK = 1 << 16, /* bytes handed to PQputCopyData at once */
};

typedef struct table {
	char name[64];
	int64_t rows;
	bool done;
} table;

typedef struct copy_ctx {
	sqlite3 *src;
	PGconn *dst;
	table tables[COPY_MAX_TABLES];
	int ntables;
	char *out; /* the COPY text being gathered */
	size_t len, cap;
	bool tty;
} copy_ctx;

static void out_grow(copy_ctx *c, size_t more)
{
	if (c->len + more <= c->cap)
		return;
	size_t cap = c->cap ? c->cap : COPY_CHUNK * 2;
	while (cap < c->len + more)
		cap *= 2;
	char *p = realloc(c->out, cap);
	if (!p)
		abort();
	c->out = p;
	c->cap = cap;
}

static void out_put(copy_ctx *c, const char *s, size_t n)
{
	out_grow(c, n);
	memcpy(c->out + c->len, s, n);
	c->len += n;
}

/* A value in COPY's text format: \N for NULL, backslash escapes in text,
 * bytes as bytea's \x hex (its backslash escaped in turn). */
static void out_value(copy_ctx *c, sqlite3_stmt *st, int col)
{
	char num[32];
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL: out_put(c, "\\N", 2); return;
	case SQLITE_INTEGER:
		out_put(c, num,
			(size_t)snprintf(
				num, sizeof num, "%lld",
				(long long)sqlite3_column_int64(st, col)));
		return;
	case SQLITE_FLOAT:
		out_put(c, num,
			(size_t)snprintf(num, sizeof num, "%.17g",
					 sqlite3_column_double(st, col)));
		return;
	case SQLITE_BLOB: {
		static const char hex[] = "0123456789abcdef";
		const unsigned char *p = sqlite3_column_blob(st, col);
		size_t n = (size_t)sqlite3_column_bytes(st, col);
		out_grow(c, 3 + 2 * n);
		out_put(c, "\\\\x", 3);
		for (size_t i = 0; i < n; i++) {
			c->out[c->len++] = hex[p[i] >> 4];
			c->out[c->len++] = hex[p[i] & 15];
		}
		return;
	}
	default: {
		const char *s = (const char *)sqlite3_column_text(st, col);
		size_t n = (size_t)sqlite3_column_bytes(st, col);
		out_grow(c, 2 * n);
		for (size_t i = 0; i < n; i++) {
			char ch = s[i];
			const char *esc = ch == '\\'   ? "\\\\"
					  : ch == '\n' ? "\\n"
					  : ch == '\r' ? "\\r"
					  : ch == '\t' ? "\\t"
						       : NULL;
			if (esc) {
				c->out[c->len++] = esc[0];
				c->out[c->len++] = esc[1];
			} else {
				c->out[c->len++] = ch;
			}
		}
	}
	}
}

static int64_t src_count(copy_ctx *c, const char *tname)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", tname);
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(c->src, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int64_t dst_count(copy_ctx *c, const char *tname)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tname);
	PGresult *r = PQexec(c->dst, sql);
	int64_t n = PQresultStatus(r) == PGRES_TUPLES_OK
			    ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
			    : -1;
	PQclear(r);
	return n;
}

static void progress(copy_ctx *c, const char *what, int64_t done, int64_t total)
{
	enum { WIDTH = 30 };
	if (!c->tty && done != total)
		return;
	int fill = total > 0 ? (int)(done * WIDTH / total) : WIDTH;
	char bar[WIDTH + 1];
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(WIDTH - fill));
	bar[WIDTH] = '\0';
	fprintf(stderr, "\r%-28s [%s] %lld/%lld%s", what, bar, (long long)done,
		(long long)total, done == total ? "\n" : "");
}

/* The tables to copy: chorus's own, not SQLite's, not FTS5's (virtual
 * tables and their shadow tables), not the search backlog (PostgreSQL's
 * is filled from scratch). */
static int list_tables(copy_ctx *c)
{
	sqlite3_stmt *st;
	const char *sql =
		"SELECT name FROM sqlite_master t WHERE type = 'table'"
		" AND name NOT LIKE 'sqlite_%' AND name <> 'search_backlog'"
		" AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE"
		" v.type = 'table' AND v.sql LIKE 'CREATE VIRTUAL TABLE%'"
		" AND (t.name = v.name OR t.name LIKE v.name || '\\_%'"
		" ESCAPE '\\')) ORDER BY name";
	if (sqlite3_prepare_v2(c->src, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW && c->ntables < COPY_MAX_TABLES)
		snprintf(c->tables[c->ntables++].name, sizeof c->tables[0].name,
			 "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return 0;
}

/* Whether every table tname's foreign keys point at is copied (or is
 * tname itself: rows go in key order, parents first). */
static bool parents_done(copy_ctx *c, const char *tname)
{
	char sql[160];
	snprintf(sql, sizeof sql, "PRAGMA foreign_key_list(\"%s\")", tname);
	sqlite3_stmt *st;
	bool ok = true;
	if (sqlite3_prepare_v2(c->src, sql, -1, &st, NULL) != SQLITE_OK)
		return true;
	while (ok && sqlite3_step(st) == SQLITE_ROW) {
		const char *parent = (const char *)sqlite3_column_text(st, 2);
		if (!strcmp(parent, tname))
			continue;
		for (int i = 0; i < c->ntables; i++)
			if (!strcmp(c->tables[i].name, parent))
				ok = c->tables[i].done;
	}
	sqlite3_finalize(st);
	return ok;
}

static int copy_table(copy_ctx *c, table *t)
{
	char sql[256];
	t->rows = src_count(c, t->name);
	/* the columns by name, in the source's order */
	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1", t->name);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->src, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("migrate-to: %s: %s", t->name,
			  sqlite3_errmsg(c->src));
		return -1;
	}
	int ncol = sqlite3_column_count(st);
	char copy_sql[4096];
	size_t n = (size_t)snprintf(copy_sql, sizeof copy_sql, "COPY %s (",
				    t->name);
	for (int i = 0; i < ncol && n < sizeof copy_sql - 64; i++)
		n += (size_t)snprintf(copy_sql + n, sizeof copy_sql - n, "%s%s",
				      i ? ", " : "",
				      sqlite3_column_name(st, i));
	snprintf(copy_sql + n, sizeof copy_sql - n, ") FROM STDIN");
	PGresult *r = PQexec(c->dst, copy_sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		log_error("migrate-to: %s: %s", t->name,
			  PQresultErrorMessage(r));
		PQclear(r);
		sqlite3_finalize(st);
		return -1;
	}
	PQclear(r);
	int64_t done = 0;
	int rc;
	c->len = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++) {
			if (i)
				out_put(c, "\t", 1);
			out_value(c, st, i);
		}
		out_put(c, "\n", 1);
		if (c->len >= COPY_CHUNK) {
			if (PQputCopyData(c->dst, c->out, (int)c->len) != 1)
				break;
			c->len = 0;
		}
		if (++done % 10000 == 0)
			progress(c, t->name, done, t->rows);
	}
	sqlite3_finalize(st);
	if (c->len)
		PQputCopyData(c->dst, c->out, (int)c->len);
	PQputCopyEnd(c->dst, rc == SQLITE_DONE ? NULL : "source read failed");
	r = PQgetResult(c->dst);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		log_error("migrate-to: %s: %s", t->name,
			  PQresultErrorMessage(r));
	PQclear(r);
	while ((r = PQgetResult(c->dst)))
		PQclear(r);
	progress(c, t->name, done, t->rows);
	t->done = true;
	return ok ? 0 : -1;
}

static int dst_exec(copy_ctx *c, const char *sql)
{
	PGresult *r = PQexec(c->dst, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
	if (rc < 0)
		log_error("migrate-to: %s", PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

/* Every table's triggers on (true) or off: a copy brings the counters
 * the triggers kept, so the triggers must not count the rows again. */
static int triggers(copy_ctx *c, bool on)
{
	for (int i = 0; i < c->ntables; i++) {
		char sql[160];
		snprintf(sql, sizeof sql, "ALTER TABLE %s %s TRIGGER USER",
			 c->tables[i].name, on ? "ENABLE" : "DISABLE");
		if (dst_exec(c, sql) < 0)
			return -1;
	}
	return 0;
}

/* Each identity sequence set past the largest id its column holds. */
static int identities_follow(copy_ctx *c)
{
	PGresult *r = PQexec(c->dst, "SELECT table_name, column_name FROM"
				     " information_schema.columns WHERE"
				     " is_identity = 'YES' AND table_schema ="
				     " current_schema()");
	int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		char sql[320];
		snprintf(sql, sizeof sql,
			 "SELECT setval(pg_get_serial_sequence('%s', '%s'),"
			 " (SELECT coalesce(max(%s), 0) + 1 FROM %s), false)",
			 PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			 PQgetvalue(r, i, 1), PQgetvalue(r, i, 0));
		rc = dst_exec(c, sql);
	}
	PQclear(r);
	return rc;
}

static int copy_all(copy_ctx *c)
{
	if (dst_exec(c, "BEGIN") < 0 || dst_exec(c, schema_pg_baseline) < 0)
		return -1;
	/* the schema the source has: the baseline and what came after */
	for (int v = SCHEMA_PG_BASELINE + 1; v <= store_schema_latest(); v++) {
		char bump[96];
		snprintf(bump, sizeof bump,
			 "UPDATE schema_version SET version = %d", v);
		if (dst_exec(c, store_pg_migration_sql(v)) < 0 ||
		    dst_exec(c, bump) < 0)
			return -1;
	}
	if (triggers(c, false) < 0)
		return -1;
	for (int copied = 0; copied < c->ntables;) {
		int before = copied;
		for (int i = 0; i < c->ntables; i++) {
			table *t = &c->tables[i];
			if (t->done || !parents_done(c, t->name))
				continue;
			if (copy_table(c, t) < 0)
				return -1;
			copied++;
		}
		if (copied == before) {
			log_error("migrate-to: the tables' foreign keys form"
				  " a cycle");
			return -1;
		}
	}
	/* every identity column goes on from the ids copied into it (the
	 * tables SQLite numbered by rowid: schema_pg.c) */
	if (identities_follow(c) < 0)
		return -1;
	if (triggers(c, true) < 0 ||
	    dst_exec(c,
		     "INSERT INTO search_backlog (status_id)"
		     " SELECT id FROM statuses ON CONFLICT DO NOTHING") < 0 ||
	    dst_exec(c, "INSERT INTO account_search_backlog (account_id)"
			" SELECT id FROM accounts ON CONFLICT DO NOTHING") < 0)
		return -1;
	return dst_exec(c, "COMMIT");
}

int store_migrate_to(const char *data_dir, const char *url,
		     store_copy_report *out)
{
	memset(out, 0, sizeof *out);
	copy_ctx c = {.tty = isatty(2)};
	char path[4096];
	snprintf(path, sizeof path, "%s/chorus.db", data_dir);
	if (sqlite3_open_v2(path, &c.src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		log_error("cannot open %s: %s", path, sqlite3_errmsg(c.src));
		sqlite3_close(c.src);
		return -1;
	}
	int rc = -1;
	int v = db_schema_usable(c.src, path);
	if (v < 0)
		goto done;
	if (v != store_schema_latest()) {
		log_error("%s is at schema %d, this chorus at %d: run chorus"
			  " init --data %s first",
			  path, v, store_schema_latest(), data_dir);
		goto done;
	}
	c.dst = PQconnectdb(url);
	if (PQstatus(c.dst) != CONNECTION_OK) {
		char why[512];
		snprintf(why, sizeof why, "%s", PQerrorMessage(c.dst));
		why[strcspn(why, "\n")] = '\0';
		log_error("cannot connect to the database: %s", why);
		goto done;
	}
	PQclear(PQexec(c.dst, "SET client_min_messages = warning"));
	PGresult *r = PQexec(c.dst, "SELECT count(*) FROM pg_tables"
				    " WHERE schemaname = current_schema()");
	bool empty = PQresultStatus(r) == PGRES_TUPLES_OK &&
		     !strcmp(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	if (!empty) {
		log_error("the target database is not empty: migrate-to"
			  " copies into an empty one");
		goto done;
	}
	/* one snapshot of the source for the whole copy */
	if (sqlite3_exec(c.src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    list_tables(&c) < 0)
		goto done;
	if (copy_all(&c) < 0) {
		dst_exec(&c, "ROLLBACK");
		goto done;
	}
	rc = 0;
	for (int i = 0; i < c.ntables; i++) {
		int64_t there = dst_count(&c, c.tables[i].name);
		out->tables++;
		out->rows += there;
		if (there != c.tables[i].rows) {
			log_error("migrate-to: %s has %lld rows here and %lld"
				  " there",
				  c.tables[i].name, (long long)c.tables[i].rows,
				  (long long)there);
			out->mismatched++;
			rc = -1;
		}
	}
	dst_exec(&c, "ANALYZE");
done:
	sqlite3_exec(c.src, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(c.src);
	PQfinish(c.dst);
	free(c.out);
	return rc;
}
