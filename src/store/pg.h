/* pg.h — the PostgreSQL side of the statement layer (db.h): a connection
 * per thread, statements prepared on it at their first run with the types
 * their values were bound with, rows read from the text of the result.
 * db.h's accessors call these when db_pg is set; nothing else does. */
#ifndef CHORUS_STORE_PG_H
#define CHORUS_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct db_pgstmt db_pgstmt;

/* The calling thread's connection to url, opened on first use; NULL after
 * logging why it cannot be opened. */
struct pg_conn;
struct pg_conn *pg_thread_conn(void);
/* Close the calling thread's connection and free its statements. */
void pg_thread_close(void);
/* Set the connection string every thread's connection uses. */
void pg_set_url(const char *url);
/* The threads' connections open now. */
long pg_connections(void);
/* Open one connection to url and close it: 0, or -1 with why (one line,
 * libpq's reason) written to why. */
int pg_probe(const char *url, char *why, size_t size);

/* A statement for sql (?N placeholders) on the calling thread's
 * connection; prepared at its first step. */
db_pgstmt *pg_stmt_new(const char *sql);
void pg_stmt_free(db_pgstmt *st);
/* Forget the bound values (each reads as NULL again). */
void pg_clear_bindings(db_pgstmt *st);

void pg_bind_int64(db_pgstmt *st, int i, int64_t v);
void pg_bind_double(db_pgstmt *st, int i, double v);
void pg_bind_null(db_pgstmt *st, int i);
void pg_bind_text(db_pgstmt *st, int i, const char *s, size_t len, bool copy);
void pg_bind_blob(db_pgstmt *st, int i, const void *p, size_t len);

/* db_step's answers: DB_ROW, DB_DONE or a negative store_result. */
int pg_step(db_pgstmt *st);
void pg_reset(db_pgstmt *st);

int64_t pg_column_int64(db_pgstmt *st, int col);
double pg_column_double(db_pgstmt *st, int col);
bool pg_column_is_null(db_pgstmt *st, int col);
const char *pg_column_text(db_pgstmt *st, int col);
const void *pg_column_blob(db_pgstmt *st, int col);
size_t pg_column_bytes(db_pgstmt *st, int col);
int pg_param_count(db_pgstmt *st);
/* The statement's text as sent ($N placeholders), for the log. */
const char *pg_stmt_sql(db_pgstmt *st);

/* The calling thread's last finished statement: rows it changed, and why
 * it failed. */
int pg_changes(void);
/* A request's read snapshot (db.c): one REPEATABLE READ transaction
 * that a failed statement ends instead of dooming. Its BEGIN is sent with
 * the first statement, in the same round trip, and its COMMIT is not
 * waited for; a request that reads nothing costs nothing. */
int pg_read_begin(void);
void pg_read_end(void);
/* Run st (bound, no rows or changes wanted) later: sent now in pipeline
 * mode, its answer read with the next command that waits for one, whose
 * caller gets its failure. 0, or a failure to send. */
int pg_queue(db_pgstmt *st);
/* A write transaction: the n parameterless commands that begin it
 * (BEGIN, its settings, its lock) queued, to go with its first statement.
 * pg_commit ends it: notify (or NULL) for the other processes, COMMIT,
 * then after (or NULL: a statement outside the transaction, whose answer
 * is waited for), then read (or NULL: bound, prepared by pg_prepare_now,
 * its rows kept for its caller's pg_step) in one round trip; *committed
 * says whether the COMMIT took, whatever after and read did. 0 or the
 * first failure. pg_rollback ends it otherwise. */
int pg_write_begin(const char *const *sql, int n);
int pg_commit(const char *notify, const char *after, db_pgstmt *read,
	      bool *committed);
/* Prepare st on this thread's connection now if it is not yet (a round
 * trip, once a connection), so it can go in a pipeline. 0 or a failure. */
int pg_prepare_now(db_pgstmt *st);
void pg_rollback(void);
const char *pg_errmsg(void);
bool pg_in_transaction(void);

/* Run sql (one or more statements, no parameters, no rows wanted) with
 * the simple protocol: transaction control, scripts. 0, or the negative
 * store_result of the failure (logged unless an answer). */
int pg_simple(const char *sql);
/* The first column of the first row of a parameterless query, or dflt. */
int64_t pg_simple_int64(const char *sql, int64_t dflt);

/* Take this process's node number (0 to nodes - 1, for core/id.h) with
 * an advisory lock held on a connection of its own for the process's
 * life; -1 after logging when none is free or the database is gone. */
int pg_claim_node(int nodes);
/* This process's node number (pg_claim_node), or -1. */
int pg_node(void);
/* NOTIFY chorus with head then body (store/peers.c): delivered at the
 * calling thread's COMMIT, or at once outside a transaction. 0 or -1. */
int pg_notify(const char *head, const char *body);
/* Whether this process is the instance's leader, the one that runs the
 * periodic tasks: it holds a lock the others try for in turn. */
bool pg_try_leader(void);

#endif
