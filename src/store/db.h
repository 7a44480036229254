/* db.h — the SQLite connection of the calling thread, its statement cache,
 * transactions and migrations. Only src/store/ includes this file. */
#ifndef CHORUS_STORE_DB_H
#define CHORUS_STORE_DB_H

#include "domain/model.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* A prepared statement for sql, cached per thread and keyed by the sql
 * pointer (pass string literals). Reset and with bindings cleared. */
sqlite3_stmt *db_stmt(const char *sql);
/* Run sql (no results) with the cached statement; returns sqlite rc. */
int db_exec(const char *sql);
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
void db_rollback(void);
/* Step a statement expecting SQLITE_DONE: 0; a foreign key to a row gone
 * gives STORE_GONE, a limit trigger STORE_LIMIT (the triggers keeping
 * blocked pairs apart STORE_BLOCKED) and a unique index STORE_TAKEN
 * (store.h), quietly;
 * anything else is logged and gives -1. */
int db_done(sqlite3_stmt *st);
/* The store_result a failed step's rc stands for: STORE_GONE, STORE_LIMIT,
 * STORE_TAKEN, or STORE_ERROR when it is not a constraint the schema uses as an
 * answer. */
int db_constraint_result(int rc);
/* The id range (lo, hi) a page asks for, and whether it is read upward
 * (min_id: the page right after the cursor). */
struct page;
void db_page_bounds(const struct page *p, int64_t *lo, int64_t *hi, bool *asc);
/* sql[*asc] (descending, ascending) with p's bounds bound: ?1 and ?2 the
 * exclusive id bounds, ?3 the limit. The caller binds the rest, steps
 * and, when *asc, reverses what it read (db_reverse). */
sqlite3_stmt *db_page_stmt(const char *const sql[2], const struct page *p,
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
 * the transaction commits, so a page read before it (web/pagecache.c)
 * is not served after. */
void db_touch_epoch(void);

/* The same for the home feeds of core/feeds.h: once the write commits,
 * push status id onto owner's home feed, or drop owner's feed. */
void db_feed_push(int64_t owner, int64_t id);
void db_feed_drop(int64_t owner);

/* Whether sql (binding ?1 = a, ?2 = b) returns a row. */
bool db_exists(const char *sql, int64_t a, int64_t b);
/* The first column of the first row of sql (?1 = a, ?2 = b), or 0. */
int64_t db_int64(const char *sql, int64_t a, int64_t b);

/* Column text or "" — never NULL — copied into nothing (valid until the
 * next step/reset of st). */
const char *db_text(sqlite3_stmt *st, int col);
/* Column text or NULL. */
const char *db_text_or_null(sqlite3_stmt *st, int col);

#endif
