/* db.h — the database connection of the calling thread, its statement
 * cache, transactions and migrations, and the statement layer every query
 * in src/store/ goes through (db_prepare, db_bind_*, db_step, db_column_*):
 * one interface whatever the backend, SQLite its only implementation so
 * far (docs/postgresql.md). Only src/store/ includes this file. */
#ifndef CHORUS_STORE_DB_H
#define CHORUS_STORE_DB_H

#include "core/arena.h"
#include "domain/model.h"
#include "store/pg.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Register the search tokenizer (search.c) on a new connection: the
 * search indexes and the triggers that feed them need it. 0 or -1. */
int db_search_register(sqlite3 *conn);

/* The schema version of the database conn opened at path, read in the
 * connection's transaction if one is open; or -1 after logging why chorus
 * cannot use it: not a database, unreadable, or a schema newer than this
 * binary's migrations (schema.c). */
int db_schema_usable(sqlite3 *conn, const char *path);

/* Set the database file every thread's connection opens (store_open). */
void db_set_path(const char *path);

/* The calling thread's connection, opened on first use (WAL, foreign keys,
 * busy timeout). Aborts if the database cannot be opened, because store_open
 * already proved it can. */
sqlite3 *db_conn(void);

/* A prepared statement. The calling thread's statement cache owns it
 * (store_thread_close finalizes it); a caller borrows it from db_prepare
 * to its db_reset. The backend's handle lives here: a PostgreSQL backend
 * adds its tag, prepared name and current result beside it. */
typedef struct db_stmt {
	sqlite3_stmt *sqlite;
	db_pgstmt *pg;
} db_stmt;

/* Whether the database is PostgreSQL (set once by store_open, before any
 * thread uses the store). */
extern bool db_pg;
/* One SQL text per backend, where the two dialects differ: the literal
 * for the backend in use (db_prepare keys its cache by the pointer). Most
 * SQL is one text for both: SQLite has greatest() and least() here
 * (skipping NULLs, as PostgreSQL's do) so clamps need no variant. */
#define DB_SQL(sqlite_text, pg_text) (db_pg ? (pg_text) : (sqlite_text))
/* A column among a list of ids bound as one parameter (?n, by
 * db_bind_ids): one statement text whatever the number of ids. SQLite
 * reads a JSON array. PostgreSQL reads an int8[] text and walks an index
 * with its keys (id = ANY): the subquery makes the array an InitPlan,
 * read once per execution (a bare cast of the text parameter is read
 * again for every row a filter compares), and the parameter stays text,
 * so the server keeps one generic plan (typed int8[], it planned every
 * execution anew). The flags of a page execute in 0.032 ms this way,
 * 0.077 ms with the bare cast, 0.13 ms as JSON elements joined in. Pass
 * the one for the backend to a macro building the SQL, and DB_SQL the
 * two results. */
#define DB_IN_IDS_SQLITE(col, n)                                               \
	col " IN (SELECT value FROM json_each(?" #n "))"
#define DB_IN_IDS_PG(col, n)                                                   \
	col " = ANY(CAST((SELECT CAST(?" #n " AS bigint[])) AS bigint[]))"

/* The accessors' test for the backend: SQLite is the default, so the
 * branch is laid out for it. */
#define DB_PG __builtin_expect(db_pg, 0)
/* The advisory lock key db_begin takes on PostgreSQL ("chorus" in
 * ASCII). */
#define DB_PG_WRITE_LOCK "99383728682867"
/* The advisory locks that number processes (with the node as second key)
 * and elect the leader. */
#define DB_PG_NODE_LOCK	  "1667787634"
#define DB_PG_LEADER_LOCK "99383728682868"

/* What db_step answers besides the store_result of a failed step. */
enum {
	DB_ROW = 1,  /* a row is ready for db_column_* */
	DB_DONE = 2, /* the statement ran to its end */
};

/* The statement for sql, prepared on the calling thread's connection at
 * its first use, then cached per thread and keyed by the sql pointer
 * (pass string literals, with ?N placeholders). Returned reset and with
 * bindings cleared; valid until store_thread_close. */
db_stmt *db_prepare(const char *sql);
/* Run sql (no results) with the cached statement: db_done's answer. */
int db_exec(const char *sql);

/* Parameters, numbered from 1 (?1). A parameter left unbound is NULL.
 * Text and blobs are not copied (except by db_bind_text_copy): they must
 * stay valid and unchanged until the statement is reset. */
static inline void db_bind_int64(db_stmt *st, int i, int64_t v)
{
	if (DB_PG)
		pg_bind_int64(st->pg, i, v);
	else
		sqlite3_bind_int64(st->sqlite, i, v);
}
static inline void db_bind_int(db_stmt *st, int i, int v)
{
	if (DB_PG)
		pg_bind_int64(st->pg, i, v);
	else
		sqlite3_bind_int(st->sqlite, i, v);
}
static inline void db_bind_double(db_stmt *st, int i, double v)
{
	if (DB_PG)
		pg_bind_double(st->pg, i, v);
	else
		sqlite3_bind_double(st->sqlite, i, v);
}
static inline void db_bind_null(db_stmt *st, int i)
{
	if (DB_PG)
		pg_bind_null(st->pg, i);
	else
		sqlite3_bind_null(st->sqlite, i);
}
/* s NUL-terminated, not NULL (db_bind_null for a NULL). */
static inline void db_bind_text(db_stmt *st, int i, const char *s)
{
	if (DB_PG)
		pg_bind_text(st->pg, i, s, strlen(s), false);
	else
		sqlite3_bind_text(st->sqlite, i, s, -1, SQLITE_STATIC);
}
/* s, or NULL as SQL's NULL. */
static inline void db_bind_text_or_null(db_stmt *st, int i, const char *s)
{
	if (s)
		db_bind_text(st, i, s);
	else
		db_bind_null(st, i);
}
/* The len bytes at s (no NUL needed). */
static inline void db_bind_text_n(db_stmt *st, int i, const char *s, size_t len)
{
	if (DB_PG)
		pg_bind_text(st->pg, i, s, len, false);
	else
		sqlite3_bind_text(st->sqlite, i, s, (int)len, SQLITE_STATIC);
}
/* s copied: it may change or go before the statement is reset. */
static inline void db_bind_text_copy(db_stmt *st, int i, const char *s)
{
	if (DB_PG)
		pg_bind_text(st->pg, i, s, strlen(s), true);
	else
		sqlite3_bind_text(st->sqlite, i, s, -1, SQLITE_TRANSIENT);
}
/* The n ids (0s left out) as one parameter for DB_IN_IDS_*, copied.
 * False when out of memory. */
bool db_bind_ids(db_stmt *st, int i, const int64_t *ids, size_t n);
/* The len bytes at p as a blob (PostgreSQL: bytea). */
static inline void db_bind_blob(db_stmt *st, int i, const void *p, size_t len)
{
	if (DB_PG)
		pg_bind_blob(st->pg, i, p, len);
	else
		sqlite3_bind_blob(st->sqlite, i, p, (int)len, SQLITE_STATIC);
}

/* The store_result of a step that failed with the backend's code rc:
 * STORE_GONE (a foreign key to a row gone), STORE_LIMIT or STORE_BLOCKED
 * (a trigger refusing: the ones keeping blocked pairs apart say
 * "blocked"), STORE_TAKEN (a unique index), or STORE_ERROR for anything
 * else. Not logged: db_errmsg says why. */
int db_step_failed(int rc);
/* Run st to its next row: DB_ROW (read it with db_column_*), DB_DONE, or
 * the negative store_result db_step_failed gives for a failure. Binding
 * is over once the first step is taken. */
static inline int db_step(db_stmt *st)
{
	if (DB_PG)
		return pg_step(st->pg);
	int rc = sqlite3_step(st->sqlite);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	return db_step_failed(rc);
}
/* Done with st: its rows are gone and it may be bound and stepped again
 * (bindings are kept; db_prepare clears them). A write not stepped to
 * DB_DONE still took effect up to where it was. */
static inline void db_reset(db_stmt *st)
{
	if (DB_PG)
		pg_reset(st->pg);
	else
		sqlite3_reset(st->sqlite);
}

/* Columns of the current row (after DB_ROW), numbered from 0. A NULL
 * reads as 0, as "" (db_text), as NULL (db_text_or_null, db_column_blob)
 * and as 0 bytes. Text and blobs are the statement's: valid until its next
 * step or reset. */
static inline int64_t db_column_int64(db_stmt *st, int col)
{
	if (DB_PG)
		return pg_column_int64(st->pg, col);
	return sqlite3_column_int64(st->sqlite, col);
}
static inline int db_column_int(db_stmt *st, int col)
{
	if (DB_PG)
		return (int)pg_column_int64(st->pg, col);
	return sqlite3_column_int(st->sqlite, col);
}
static inline double db_column_double(db_stmt *st, int col)
{
	if (DB_PG)
		return pg_column_double(st->pg, col);
	return sqlite3_column_double(st->sqlite, col);
}
static inline bool db_column_is_null(db_stmt *st, int col)
{
	if (DB_PG)
		return pg_column_is_null(st->pg, col);
	return sqlite3_column_type(st->sqlite, col) == SQLITE_NULL;
}
/* Column text or NULL. */
static inline const char *db_text_or_null(db_stmt *st, int col)
{
	if (DB_PG)
		return pg_column_text(st->pg, col);
	return (const char *)sqlite3_column_text(st->sqlite, col);
}
/* Column text copied into a, or NULL for NULL. */
static inline const char *db_text_dup(arena *a, db_stmt *st, int col)
{
	const char *v = db_text_or_null(st, col);
	return v ? arena_strdup(a, v) : NULL;
}
/* Column text or "" — never NULL. */
static inline const char *db_text(db_stmt *st, int col)
{
	const char *s = db_text_or_null(st, col);
	return s ? s : "";
}
/* A blob column's bytes, db_column_bytes of them (NULL for a NULL or an
 * empty blob: db_column_is_null tells them apart). */
static inline const void *db_column_blob(db_stmt *st, int col)
{
	if (DB_PG)
		return pg_column_blob(st->pg, col);
	return sqlite3_column_blob(st->sqlite, col);
}
/* The size in bytes of a text or blob column (read after the value). */
static inline size_t db_column_bytes(db_stmt *st, int col)
{
	if (DB_PG)
		return pg_column_bytes(st->pg, col);
	return (size_t)sqlite3_column_bytes(st->sqlite, col);
}

/* The number of parameters st takes (its largest ?N). */
static inline int db_param_count(db_stmt *st)
{
	if (DB_PG)
		return pg_param_count(st->pg);
	return sqlite3_bind_parameter_count(st->sqlite);
}

/* The rows the calling thread's last finished INSERT, UPDATE or DELETE
 * changed (not counting the ones its triggers changed). */
static inline int db_changes(void)
{
	if (DB_PG)
		return pg_changes();
	return sqlite3_changes(db_conn());
}
/* Why the calling thread's last statement failed, for the log: the
 * connection's, valid until its next statement. */
static inline const char *db_errmsg(void)
{
	if (DB_PG)
		return pg_errmsg();
	return sqlite3_errmsg(db_conn());
}
/* Whether the calling thread is inside a transaction (a write's, or the
 * request's read snapshot). */
static inline bool db_in_transaction(void)
{
	if (DB_PG)
		return pg_in_transaction();
	return !sqlite3_get_autocommit(db_conn());
}
/* Transactions: BEGIN IMMEDIATE so writers queue on the busy timeout
 * instead of failing mid-transaction. */
int db_begin(void);
/* The id of a new row, taken inside a write transaction (which holds the
 * database's write lock): greater than id_next() would give and than the
 * largest id the table holds, which newest_sql ("SELECT id FROM t ORDER
 * BY id DESC LIMIT 1", a literal) reads. So ids are unique across every
 * process writing the database, and increase in commit order: a page a
 * client was served can never see an older id commit behind it. Use
 * DB_NEW_ID(table). */
int64_t db_new_id(const char *newest_sql);
#define DB_NEW_ID(table)                                                       \
	db_new_id("SELECT id FROM " table " ORDER BY id DESC LIMIT 1")
int db_commit(void);
/* Have st (prepared and bound, a read) go with the current transaction's
 * COMMIT: on PostgreSQL it is sent in the COMMIT's round trip, after it,
 * and its rows wait for st's first db_step; on SQLite that step runs it.
 * Either way it reads what the commit left: step it after db_commit (and
 * db_reset it, committed or not). One a transaction; a rollback drops it. */
void db_read_after_commit(db_stmt *st);
/* An account's row read after the current transaction's commit
 * (db_read_after_commit), and read out of st once it committed (false:
 * none); st is reset either way. */
db_stmt *db_account_after_commit(int64_t id);
struct arena;
bool db_account_read(struct arena *ar, db_stmt *st, account *out);
void db_rollback(void);
/* Step a statement expecting DB_DONE (a row is taken for done too) and
 * reset it: 0; a constraint the schema uses as an answer gives its
 * store_result (db_step_failed: STORE_GONE, STORE_LIMIT, STORE_BLOCKED,
 * STORE_TAKEN), quietly; anything else is logged and gives -1. */
int db_done(db_stmt *st);
/* db_done for a write inside a transaction whose answer nobody reads now
 * (nor db_changes after it). On PostgreSQL it is sent at once, but its
 * answer is read with the next statement that waits for one, or with the
 * COMMIT, and its failure is that one's answer: a caller must not ignore
 * a later failure. Outside a transaction, and on SQLite, it is db_done. */
int db_queue(db_stmt *st);
/* The id range (lo, hi) a page asks for, and whether it is read upward
 * (min_id: the page right after the cursor). */
struct page;
void db_page_bounds(const struct page *p, int64_t *lo, int64_t *hi, bool *asc);
/* sql[*asc] (descending, ascending) with p's bounds bound: ?1 and ?2 the
 * exclusive id bounds, ?3 the limit. The caller binds the rest, steps
 * and, when *asc, reverses what it read (db_reverse). */
db_stmt *db_page_stmt(const char *const sql[2], const struct page *p,
		      bool *asc);
/* items (an arena array of n items of size bytes, *cap of room) with
 * room for one more: itself, or a copy twice the size. */
struct arena;
void *db_grow(struct arena *a, void *items, size_t n, size_t *cap, size_t size);
/* Reverse n items of size bytes in place: a page read upward (min_id)
 * is answered newest first like the others. */
void db_reverse(void *items, size_t n, size_t size);
/* Inside a write transaction: whether status id still exists. */
bool db_status_exists(int64_t id);
/* The flags of viewer (?1) for the statuses listed in ?2 (IN_IDS, from
 * DB_IN_IDS_*, or any macro of its shape), one clause a line (clang-format
 * would break the macro calls apart). */
/* clang-format off */
#define FLAGS_SQL(IN_IDS)                                                      \
	"SELECT 0, status_id FROM favourites WHERE account_id = ?1"            \
	" AND " IN_IDS("status_id", 2)                                         \
	" UNION ALL SELECT 1, reblog_of_id FROM statuses"                      \
	" WHERE account_id = ?1 AND " IN_IDS("reblog_of_id", 2)                \
	" UNION ALL SELECT 2, status_id FROM bookmarks"                        \
	" WHERE account_id = ?1 AND " IN_IDS("status_id", 2)                   \
	" UNION ALL SELECT 3, status_id FROM pins"                             \
	" WHERE account_id = ?1 AND " IN_IDS("status_id", 2)                   \
	" UNION ALL SELECT 4, s.id FROM statuses s JOIN thread_mutes m"        \
	" ON m.account_id = ?1 AND m.root_id = s.thread_root_id"               \
	" WHERE " IN_IDS("s.id", 2)
/* clang-format on */
/* Set the flag a FLAGS_SQL row's first column names. */
static inline void db_flag_set(status_flags *f, int kind)
{
	switch (kind) {
	case 0: f->favourited = true; break;
	case 1: f->reblogged = true; break;
	case 2: f->bookmarked = true; break;
	case 3: f->pinned = true; break;
	case 4: f->muted = true; break;
	}
}
/* The flags of viewer for ids (0s skipped) set in out (zeroed by the
 * caller) from the rows a page's prefetch read them with in this snapshot
 * (store_statuses_prefetch): false when any is not there, and what it set
 * stands, the same snapshot's flags as a read would set. */
bool db_page_flags(int64_t viewer, const int64_t *ids, size_t n,
		   status_flags *out);
/* Inside a write transaction: 0 when status id exists and viewer (0: no
 * one in particular) may see it by the rule domain registered, as the
 * database is now; STORE_GONE otherwise. */
int db_status_check(int64_t id, int64_t viewer);
/* Inside a write transaction: db_status_check for actor, then 0 when
 * the interaction rule domain registered lets actor do kind to status
 * id, as the database is now, STORE_REFUSED otherwise. One read of the
 * status for both. */
int db_interaction_check(int64_t id, int64_t actor, interaction kind);
/* Mark a cached rendering stale once the current write is durable: inside
 * a transaction the key is dropped at COMMIT (and forgotten on ROLLBACK),
 * otherwise at once. c is one of core/cache.h's caches. */
struct cache;
void db_touch(struct cache *c, int64_t id);
/* The same for everything cached (a change too wide to list). */
void db_touch_all(void);
/* Something pages show changed though no cached entity did (a status's
 * counters, which renderings add as read): move the caches' epoch when
 * the transaction commits, so an answer read before it (core/replies.h)
 * is not served after. */
void db_touch_epoch(void);
/* The whole sets a process keeps (cache_generation) changed: after the
 * commit, this process and the others read them again. */
void db_touch_generation(void);

/* The same for the home feeds of core/feeds.h: once the write commits,
 * push status id onto owner's home feed, or drop owner's feed. */
void db_feed_push(int64_t owner, int64_t id);
void db_feed_drop(int64_t owner);
/* Once the write commits, push id onto the feeds of in and no other of
 * asked (core/feeds.h, feeds_push_asked_at). 0, or -1 out of memory. */
int db_feed_push_asked(int64_t id, const int64_t *asked, size_t nasked,
		       const int64_t *in, size_t nin);

/* Whether sql (binding ?1 = a, ?2 = b) returns a row. */
bool db_exists(const char *sql, int64_t a, int64_t b);
/* The first column of the first row of sql (?1 = a, ?2 = b), or 0. */
int64_t db_int64(const char *sql, int64_t a, int64_t b);

#endif
