#include "store/pg.h"

#include "core/log.h"
#include "store/db.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL's type oids (catalog/pg_type.h, which libpq-dev does not
 * ship to clients). */
enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_FLOAT8 = 701,
};

enum {
	PG_MAX_PARAMS = 32,
	PG_ERRMSG = 512,
	PG_QUEUE_MAX = 64, /* answers owed before the queue is read anyway */
};

typedef enum {
	BOUND_NULL,
	BOUND_INT,
	BOUND_DOUBLE,
	BOUND_TEXT,
	BOUND_BLOB,
} bound_kind;

typedef struct bound {
	bound_kind kind;
	int64_t i;
	double d;
	const char *p; /* text (NUL-terminated) or blob bytes */
	size_t len;
	char *copy; /* owned copy of p, when the caller's may go */
} bound;

/* A byte column decoded from the result's text (\x…), kept to the next
 * step. */
typedef struct decoded {
	int col;
	unsigned char *bytes;
	size_t len;
} decoded;

struct db_pgstmt {
	char *sql; /* ?N translated to $N */
	char name[24];
	int nparams;
	unsigned prepared_gen;	  /* the connection's generation it lives on */
	Oid types[PG_MAX_PARAMS]; /* as the server resolved them */
	bound params[PG_MAX_PARAMS];
	PGresult *res;
	int row, nrows;
	decoded blobs[4];
	int nblobs;
};

typedef struct pg_thread {
	PGconn *conn;
	unsigned gen; /* moves when the connection is reset */
	unsigned next_name;
	int changes;
	bool read_snapshot; /* the open transaction is a request's reads */
	/* a request's reads began, their BEGIN not sent yet: it goes out
	 * with the first statement, in one round trip (pg_read_begin) */
	bool begin_pending;
	/* a command sent outside any transaction whose answer is not read
	 * yet: a request's read-only COMMIT (pg_read_end) or a NOTIFY
	 * (pg_notify); read before the connection's next command */
	bool answer_pending;
	/* a write transaction is open (pg_write_begin), maybe only queued */
	bool write_open;
	/* its first failure: PostgreSQL refuses every later statement in
	 * it, so they answer this, quietly, without a round trip */
	int write_rc;
	/* commands sent in pipeline mode whose answers are not read yet
	 * (pg_queue): read with the next command that waits for one */
	int queued;
	const char *queued_sql[PG_QUEUE_MAX];
	char errmsg[PG_ERRMSG];
} pg_thread;

#define READ_BEGIN "BEGIN ISOLATION LEVEL REPEATABLE READ"

static char *pg_url;
static _Thread_local pg_thread *tpg;

void pg_set_url(const char *url)
{
	free(pg_url);
	pg_url = strdup(url);
}

/* libpq's message on one line, without its trailing newline. */
static void one_line(char *dst, size_t size, const char *msg)
{
	snprintf(dst, size, "%s", msg ? msg : "");
	for (char *c = dst; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	size_t n = strlen(dst);
	while (n && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

/* Every connection speaks the same dialect whatever the server's
 * defaults: UTC, UTF-8, ISO dates, no notices in the log. */
static const char conn_setup[] = "SET client_min_messages = warning;"
				 "SET TIME ZONE 'UTC';";

static PGconn *pg_connect(char *why, size_t size)
{
	PGconn *c = PQconnectdb(pg_url ? pg_url : "");
	if (!c || PQstatus(c) != CONNECTION_OK) {
		one_line(why, size, c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	if (PQsetClientEncoding(c, "UTF8") != 0) {
		one_line(why, size, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PGresult *r = PQexec(c, conn_setup);
	PQclear(r);
	return c;
}

int pg_probe(const char *url, char *why, size_t size)
{
	pg_set_url(url);
	PGconn *c = pg_connect(why, size);
	if (!c)
		return -1;
	PQfinish(c);
	return 0;
}

/* Threads' connections open now, for /metrics. */
static atomic_long thread_conns;

long pg_connections(void)
{
	return atomic_load(&thread_conns);
}

struct pg_conn *pg_thread_conn(void)
{
	if (tpg)
		return (struct pg_conn *)tpg->conn;
	tpg = calloc(1, sizeof *tpg);
	if (!tpg)
		abort();
	char why[PG_ERRMSG];
	tpg->conn = pg_connect(why, sizeof why);
	if (tpg->conn)
		atomic_fetch_add(&thread_conns, 1);
	else {
		/* store_open proved the database reachable: a thread that
		 * cannot connect now meets an outage, which every statement
		 * on it will report; the next one tries again */
		log_error("cannot connect to the database: %s", why);
	}
	return (struct pg_conn *)tpg->conn;
}

void pg_thread_close(void)
{
	if (!tpg)
		return;
	if (tpg->conn)
		atomic_fetch_sub(&thread_conns, 1);
	PQfinish(tpg->conn);
	free(tpg);
	tpg = NULL;
}

/* Read the answer owed to a command sent without waiting (a failure,
 * which only a NOTIFY could meet, is logged). */
static void settle(PGconn *conn)
{
	PGresult *r;
	while (conn && (r = PQgetResult(conn))) {
		if (PQresultStatus(r) == PGRES_FATAL_ERROR)
			log_error("sql: %s", PQresultErrorMessage(r));
		PQclear(r);
	}
	tpg->answer_pending = false;
}

/* Connect conn again: statements prepared before are gone, and so is
 * any snapshot a request had begun. */
static void conn_reset(PGconn *conn)
{
	PQreset(conn);
	tpg->gen++;
	tpg->begin_pending = false;
	tpg->queued = 0;
	/* a write transaction the server lost with the connection stays
	 * failed: carried on, its later statements would each commit on
	 * their own on the new one. It answers an error until the caller
	 * rolls it back. */
	if (tpg->write_open && !tpg->write_rc)
		tpg->write_rc = STORE_ERROR;
	if (PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, conn_setup));
}

/* The thread's connection, reconnected if it was lost: NULL when the
 * database cannot be reached. A COMMIT still on its way is settled
 * first, so the connection is free for the next command. */
static PGconn *conn_live(void)
{
	pg_thread_conn();
	if (tpg->answer_pending)
		settle(tpg->conn);
	if (tpg->conn && PQstatus(tpg->conn) == CONNECTION_OK)
		return tpg->conn;
	if (tpg->conn)
		conn_reset(tpg->conn);
	else {
		char why[PG_ERRMSG];
		tpg->conn = pg_connect(why, sizeof why);
		if (tpg->conn)
			atomic_fetch_add(&thread_conns, 1);
		tpg->gen++;
		tpg->begin_pending = false;
	}
	if (tpg->conn && PQstatus(tpg->conn) == CONNECTION_OK)
		return tpg->conn;
	snprintf(tpg->errmsg, sizeof tpg->errmsg, "no database connection");
	return NULL;
}

/* ?N placeholders become $N; string literals, quoted names and comments
 * are copied as they are. */
static char *translate(const char *sql, int *nparams)
{
	size_t n = strlen(sql);
	char *out = malloc(n + 1);
	if (!out)
		abort();
	char *o = out;
	int maxp = 0;
	for (const char *s = sql; *s;) {
		if (*s == '\'' || *s == '"') {
			char q = *s;
			*o++ = *s++;
			while (*s && *s != q)
				*o++ = *s++;
			if (*s)
				*o++ = *s++;
		} else if (s[0] == '-' && s[1] == '-') {
			while (*s && *s != '\n')
				*o++ = *s++;
		} else if (*s == '?' && s[1] >= '0' && s[1] <= '9') {
			*o++ = '$';
			s++;
			int v = 0;
			while (*s >= '0' && *s <= '9') {
				v = v * 10 + (*s - '0');
				*o++ = *s++;
			}
			if (v > maxp)
				maxp = v;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	if (maxp > PG_MAX_PARAMS) {
		log_error("too many parameters (%d) in: %s", maxp, sql);
		abort(); /* a literal SQL text: a bug */
	}
	*nparams = maxp;
	return out;
}

db_pgstmt *pg_stmt_new(const char *sql)
{
	pg_thread_conn();
	db_pgstmt *st = calloc(1, sizeof *st);
	if (!st)
		abort();
	st->sql = translate(sql, &st->nparams);
	snprintf(st->name, sizeof st->name, "c%u", tpg->next_name++);
	st->prepared_gen = ~0u;
	return st;
}

static void blobs_free(db_pgstmt *st)
{
	for (int i = 0; i < st->nblobs; i++)
		PQfreemem(st->blobs[i].bytes);
	st->nblobs = 0;
}

void pg_reset(db_pgstmt *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->row = st->nrows = 0;
	blobs_free(st);
}

static void bound_clear(bound *b)
{
	free(b->copy);
	memset(b, 0, sizeof *b);
}

void pg_clear_bindings(db_pgstmt *st)
{
	for (int i = 0; i < st->nparams; i++)
		if (st->params[i].kind != BOUND_NULL || st->params[i].copy)
			bound_clear(&st->params[i]);
}

void pg_stmt_free(db_pgstmt *st)
{
	if (!st)
		return;
	pg_reset(st);
	pg_clear_bindings(st);
	free(st->sql);
	free(st);
}

/* Parameter i, cleared; a scratch slot when the statement has no ?i
 * (SQLite ignores such a bind too: db_exists binds ?2 whether or not the
 * SQL uses it). */
static bound *param(db_pgstmt *st, int i)
{
	static _Thread_local bound ignored;
	bound *b = i >= 1 && i <= st->nparams ? &st->params[i - 1] : &ignored;
	bound_clear(b);
	return b;
}

void pg_bind_int64(db_pgstmt *st, int i, int64_t v)
{
	bound *b = param(st, i);
	b->kind = BOUND_INT;
	b->i = v;
}

void pg_bind_double(db_pgstmt *st, int i, double v)
{
	bound *b = param(st, i);
	b->kind = BOUND_DOUBLE;
	b->d = v;
}

void pg_bind_null(db_pgstmt *st, int i)
{
	param(st, i);
}

void pg_bind_text(db_pgstmt *st, int i, const char *s, size_t len, bool copy)
{
	bound *b = param(st, i);
	b->kind = BOUND_TEXT;
	b->len = len;
	/* the text protocol wants a NUL at the end: copy what lacks one */
	if (copy || s[len] != '\0') {
		b->copy = malloc(len + 1);
		if (!b->copy)
			abort();
		memcpy(b->copy, s, len);
		b->copy[len] = '\0';
		s = b->copy;
	}
	b->p = s;
}

void pg_bind_blob(db_pgstmt *st, int i, const void *p, size_t len)
{
	bound *b = param(st, i);
	b->kind = BOUND_BLOB;
	b->p = p ? p : "";
	b->len = len;
}

int pg_param_count(db_pgstmt *st)
{
	return st->nparams;
}

const char *pg_stmt_sql(db_pgstmt *st)
{
	return st->sql;
}

static Oid kind_oid(bound_kind k)
{
	switch (k) {
	case BOUND_INT: return OID_INT8;
	case BOUND_DOUBLE: return OID_FLOAT8;
	case BOUND_TEXT: return OID_TEXT;
	case BOUND_BLOB: return OID_BYTEA;
	default: return 0;
	}
}

static void set_error(PGresult *r)
{
	one_line(tpg->errmsg, sizeof tpg->errmsg,
		 r ? PQresultErrorMessage(r) : PQerrorMessage(tpg->conn));
}

/* A failed result's answer, as db_step_failed gives SQLite's (db.h). */
static int failure(PGresult *r)
{
	set_error(r);
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (!state)
		return STORE_ERROR;
	if (!strcmp(state, "23505")) {
		/* a primary key taken twice is a bug, as on SQLite */
		const char *c = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
		size_t n = c ? strlen(c) : 0;
		return n > 5 && !strcmp(c + n - 5, "_pkey") ? STORE_ERROR
							    : STORE_TAKEN;
	}
	if (!strcmp(state, "23503"))
		return STORE_GONE;
	if (!strcmp(state, "CH002"))
		return STORE_BLOCKED;
	if (!strcmp(state, "CH001"))
		return STORE_LIMIT;
	return STORE_ERROR;
}

/* Prepare st on conn with the types of the values bound now; the server
 * resolves the ones bound NULL from the SQL. 0 or a store result. */
static int prepare(PGconn *conn, db_pgstmt *st)
{
	Oid types[PG_MAX_PARAMS];
	bool unknown = false;
	for (int i = 0; i < st->nparams; i++) {
		types[i] = kind_oid(st->params[i].kind);
		unknown |= types[i] == 0;
	}
	/* a parameter bound NULL may have a type the SQL does not say (?8
	 * IS NULL OR m.type = ?8, read left to right): the server refuses,
	 * and then it is taken as text, which any value can be sent as. A
	 * refusal inside a transaction would doom it: a savepoint keeps it */
	bool guard = unknown && PQtransactionStatus(conn) == PQTRANS_INTRANS;
	if (guard)
		PQclear(PQexec(conn, "SAVEPOINT chorus_prepare"));
	PGresult *r = PQprepare(conn, st->name, st->sql, st->nparams, types);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (unknown && state &&
	    (!strcmp(state, "42P08") || !strcmp(state, "42P18"))) {
		PQclear(r);
		if (guard)
			PQclear(PQexec(conn,
				       "ROLLBACK TO SAVEPOINT chorus_prepare"));
		for (int i = 0; i < st->nparams; i++)
			if (!types[i])
				types[i] = OID_TEXT;
		r = PQprepare(conn, st->name, st->sql, st->nparams, types);
	}
	if (guard)
		PQclear(PQexec(conn, "RELEASE SAVEPOINT chorus_prepare"));
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		int rc = failure(r);
		PQclear(r);
		log_error("prepare failed: %s\n  in: %s", tpg->errmsg, st->sql);
		return rc;
	}
	PQclear(r);
	if (unknown) {
		r = PQdescribePrepared(conn, st->name);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			int rc = failure(r);
			PQclear(r);
			return rc;
		}
		for (int i = 0; i < st->nparams; i++)
			types[i] = PQparamtype(r, i);
		PQclear(r);
	}
	memcpy(st->types, types, sizeof types);
	st->prepared_gen = tpg->gen;
	return 0;
}

static void put_be64(char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (char)(v & 0xff);
}

/* st's bound values, each as the type it was prepared with: integers
 * and doubles in binary where the type matches, bytes in binary, anything
 * else as text for the server to parse. */
typedef struct wire_values {
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
	char bin[PG_MAX_PARAMS][8];
	char txt[PG_MAX_PARAMS][32];
} wire_values;

static void wire_encode(const db_pgstmt *st, wire_values *w)
{
	for (int i = 0; i < st->nparams; i++) {
		const bound *b = &st->params[i];
		Oid t = st->types[i];
		w->formats[i] = 0;
		w->lengths[i] = 0;
		switch (b->kind) {
		case BOUND_NULL: w->values[i] = NULL; break;
		case BOUND_INT:
			if (t == OID_INT8) {
				put_be64(w->bin[i], (uint64_t)b->i);
				w->values[i] = w->bin[i];
				w->lengths[i] = 8;
				w->formats[i] = 1;
			} else if (t == OID_BOOL) {
				w->values[i] = b->i ? "t" : "f";
			} else {
				snprintf(w->txt[i], sizeof w->txt[i], "%lld",
					 (long long)b->i);
				w->values[i] = w->txt[i];
			}
			break;
		case BOUND_DOUBLE:
			if (t == OID_FLOAT8) {
				uint64_t u;
				memcpy(&u, &b->d, 8);
				put_be64(w->bin[i], u);
				w->values[i] = w->bin[i];
				w->lengths[i] = 8;
				w->formats[i] = 1;
			} else {
				snprintf(w->txt[i], sizeof w->txt[i], "%.17g",
					 b->d);
				w->values[i] = w->txt[i];
			}
			break;
		case BOUND_TEXT: w->values[i] = b->p; break;
		case BOUND_BLOB:
			w->values[i] = b->p;
			w->lengths[i] = (int)b->len;
			w->formats[i] = 1;
			break;
		}
	}
}

/* Leave pipeline mode; a pipeline left half read (the connection broke
 * mid-way) cannot be left, and the connection starts again. */
static void pipeline_leave(PGconn *conn)
{
	tpg->queued = 0;
	if (!PQexitPipelineMode(conn))
		conn_reset(conn);
}

/* conn in pipeline mode (it may be already). */
static bool pipeline_enter(PGconn *conn)
{
	return PQpipelineStatus(conn) != PQ_PIPELINE_OFF ||
	       PQenterPipelineMode(conn) == 1;
}

/* Send a parameterless command in pipeline mode, its answer owed. */
static bool queue_cmd(PGconn *conn, const char *sql)
{
	if (!pipeline_enter(conn) ||
	    !PQsendQueryParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0))
		return false;
	tpg->queued_sql[tpg->queued++] = sql;
	return true;
}

/* One command's answer in pipeline mode: its result (the first, if it
 * sent several) and the NULL after it. NULL when the connection broke, or
 * at the sync (*synced set). */
static PGresult *next_result(PGconn *conn, bool *synced)
{
	PGresult *first = NULL, *r;
	for (int nulls = 0;;) {
		r = PQgetResult(conn);
		if (!r) {
			/* a second NULL in a row: nothing more is coming */
			if (first || PQstatus(conn) != CONNECTION_OK ||
			    ++nulls > 1)
				return first;
			continue;
		}
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			*synced = true;
			return first;
		}
		if (first)
			PQclear(r);
		else
			first = r;
	}
}

/* After a sync was sent: read the queued commands' answers, then nlast
 * more into last[] (NULL where none came), then the sync, and leave
 * pipeline mode. 0, or the first queued command's failure (logged unless
 * an answer); the commands after a failure answer only "aborted". */
static int drain(PGconn *conn, PGresult **last, int nlast)
{
	int rc = 0, owed = tpg->queued;
	bool synced = false;
	for (int i = 0; i < owed + nlast; i++) {
		PGresult *r = synced ? NULL : next_result(conn, &synced);
		if (i >= owed) {
			last[i - owed] = r;
			continue;
		}
		ExecStatusType s = PQresultStatus(r);
		if (rc == 0 && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			rc = failure(r);
			if (rc == STORE_ERROR)
				log_error("sql step: %s: %s", tpg->errmsg,
					  tpg->queued_sql[i]);
		}
		PQclear(r);
	}
	while (!synced && PQstatus(conn) == CONNECTION_OK) {
		PGresult *r = next_result(conn, &synced);
		if (!r && !synced)
			break;
		PQclear(r);
	}
	pipeline_leave(conn);
	if (rc < 0 && tpg->write_open && !tpg->write_rc)
		tpg->write_rc = rc;
	return rc;
}

/* Read what the queue owes, so the connection takes a command of the
 * ordinary kind: 0 or the first queued failure. */
static int settle_queue(PGconn *conn)
{
	if (!tpg->queued)
		return 0;
	if (!PQpipelineSync(conn)) {
		pipeline_leave(conn);
		set_error(NULL);
		return STORE_ERROR;
	}
	return drain(conn, NULL, 0);
}

/* Run st with its bound values: at once, or, when commands are queued (a
 * request's pending BEGIN among them), after them in the same round
 * trip. *queued_rc gets the queue's failure (st's result is then only
 * "aborted"). NULL when the connection failed. */
static PGresult *execute(PGconn *conn, db_pgstmt *st, int *queued_rc)
{
	wire_values w;
	wire_encode(st, &w);
	*queued_rc = 0;
	if (tpg->begin_pending) {
		tpg->begin_pending = false;
		if (!queue_cmd(conn, READ_BEGIN)) {
			pipeline_leave(conn);
			return NULL;
		}
	}
	if (!tpg->queued)
		return PQexecPrepared(conn, st->name, st->nparams, w.values,
				      w.lengths, w.formats, 0);
	if (!PQsendQueryPrepared(conn, st->name, st->nparams, w.values,
				 w.lengths, w.formats, 0) ||
	    !PQpipelineSync(conn)) {
		pipeline_leave(conn);
		return NULL;
	}
	PGresult *res;
	*queued_rc = drain(conn, &res, 1);
	return res;
}

/* After a statement failed with rc: a write transaction answers rc
 * from now on; a request's read snapshot ends (a failed statement dooms
 * PostgreSQL's whole transaction, where SQLite's goes on), so its other
 * reads still run; a lost connection is made again. rc. */
static int failed(PGconn *conn, int rc)
{
	if (tpg->write_open && !tpg->write_rc)
		tpg->write_rc = rc;
	if (tpg->read_snapshot &&
	    PQtransactionStatus(conn) == PQTRANS_INERROR) {
		PQclear(PQexec(conn, "ROLLBACK"));
		tpg->read_snapshot = false;
	}
	if (PQstatus(conn) != CONNECTION_OK)
		conn_live(); /* reconnect now; this statement failed */
	return rc;
}

int pg_prepare_now(db_pgstmt *st)
{
	PGconn *conn = conn_live();
	if (!conn)
		return STORE_ERROR;
	if (tpg->write_rc)
		return tpg->write_rc;
	int rc = 0;
	if (st->prepared_gen != tpg->gen &&
	    ((rc = settle_queue(conn)) < 0 || (rc = prepare(conn, st)) < 0))
		return failed(conn, rc);
	return 0;
}

int pg_queue(db_pgstmt *st)
{
	int rc = pg_prepare_now(st);
	if (rc < 0)
		return rc;
	PGconn *conn = tpg->conn;
	if (tpg->queued >= PG_QUEUE_MAX && (rc = settle_queue(conn)) < 0)
		return failed(conn, rc);
	wire_values w;
	wire_encode(st, &w);
	if (!pipeline_enter(conn) ||
	    !PQsendQueryPrepared(conn, st->name, st->nparams, w.values,
				 w.lengths, w.formats, 0)) {
		set_error(NULL);
		pipeline_leave(conn);
		return STORE_ERROR;
	}
	tpg->queued_sql[tpg->queued++] = st->sql;
	return 0;
}

int pg_step(db_pgstmt *st)
{
	if (st->res) {
		blobs_free(st);
		return ++st->row < st->nrows ? DB_ROW : DB_DONE;
	}
	PGconn *conn = conn_live();
	if (!conn)
		return STORE_ERROR;
	if (tpg->write_rc)
		return tpg->write_rc;
	if (st->prepared_gen != tpg->gen) {
		/* PQprepare waits for its answer: the queue's go first (a
		 * request's pending BEGIN stays pending) */
		int rc = settle_queue(conn);
		if (rc < 0 || (rc = prepare(conn, st)) < 0)
			return failed(conn, rc);
	}
	int queued_rc;
	PGresult *r = execute(conn, st, &queued_rc);
	ExecStatusType s = PQresultStatus(r);
	if (queued_rc < 0 || (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)) {
		int rc = queued_rc < 0 ? queued_rc : failure(r);
		PQclear(r);
		return failed(conn, rc);
	}
	const char *n = PQcmdTuples(r);
	tpg->changes = *n ? atoi(n) : 0;
	st->res = r;
	st->row = 0;
	st->nrows = s == PGRES_TUPLES_OK ? PQntuples(r) : 0;
	return st->nrows > 0 ? DB_ROW : DB_DONE;
}

static const char *cell(db_pgstmt *st, int col)
{
	if (!st->res || st->row >= st->nrows ||
	    PQgetisnull(st->res, st->row, col))
		return NULL;
	return PQgetvalue(st->res, st->row, col);
}

int64_t pg_column_int64(db_pgstmt *st, int col)
{
	const char *v = cell(st, col);
	if (!v)
		return 0;
	if (v[0] == 't' && !v[1]) /* a boolean: SQLite's 1 and 0 */
		return 1;
	return strtoll(v, NULL, 10);
}

double pg_column_double(db_pgstmt *st, int col)
{
	const char *v = cell(st, col);
	return v ? strtod(v, NULL) : 0.0;
}

bool pg_column_is_null(db_pgstmt *st, int col)
{
	return cell(st, col) == NULL;
}

const char *pg_column_text(db_pgstmt *st, int col)
{
	return cell(st, col);
}

static decoded *blob_of(db_pgstmt *st, int col)
{
	for (int i = 0; i < st->nblobs; i++)
		if (st->blobs[i].col == col)
			return &st->blobs[i];
	const char *v = cell(st, col);
	if (!v || PQftype(st->res, col) != OID_BYTEA)
		return NULL;
	if (st->nblobs == (int)(sizeof st->blobs / sizeof st->blobs[0]))
		blobs_free(st);
	decoded *d = &st->blobs[st->nblobs];
	d->bytes = PQunescapeBytea((const unsigned char *)v, &d->len);
	if (!d->bytes)
		return NULL;
	d->col = col;
	st->nblobs++;
	return d;
}

const void *pg_column_blob(db_pgstmt *st, int col)
{
	decoded *d = blob_of(st, col);
	if (d)
		return d->len ? d->bytes : NULL;
	return cell(st, col); /* text read as bytes */
}

size_t pg_column_bytes(db_pgstmt *st, int col)
{
	decoded *d = blob_of(st, col);
	if (d)
		return d->len;
	const char *v = cell(st, col);
	return v ? (size_t)PQgetlength(st->res, st->row, col) : 0;
}

int pg_read_begin(void)
{
	if (!pg_thread_conn())
		return STORE_ERROR;
	tpg->begin_pending = true;
	tpg->read_snapshot = true;
	return 0;
}

void pg_read_end(void)
{
	if (!tpg)
		return;
	bool open = tpg->read_snapshot && !tpg->begin_pending && tpg->conn &&
		    PQtransactionStatus(tpg->conn) == PQTRANS_INTRANS;
	tpg->read_snapshot = tpg->begin_pending = false;
	if (!open)
		return; /* nothing read, or a failure already ended it */
	/* a read-only transaction has nothing to lose: its COMMIT is not
	 * waited for here but before the connection's next command */
	if (PQsendQuery(tpg->conn, "COMMIT"))
		tpg->answer_pending = true;
	else
		PQclear(PQexec(tpg->conn, "COMMIT"));
}

/* Send a pending BEGIN on its own, for a command that cannot carry it. */
static int begin_now(PGconn *conn)
{
	if (!tpg->begin_pending)
		return 0;
	tpg->begin_pending = false;
	PGresult *r = PQexec(conn, READ_BEGIN);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : failure(r);
	if (rc < 0)
		tpg->read_snapshot = false;
	PQclear(r);
	return rc;
}

int pg_write_begin(const char *const *sql, int n)
{
	PGconn *conn = conn_live();
	if (!conn)
		return STORE_ERROR;
	int rc = settle_queue(conn);
	if (rc < 0)
		return rc;
	for (int i = 0; i < n; i++)
		if (!queue_cmd(conn, sql[i])) {
			set_error(NULL);
			pipeline_leave(conn);
			return STORE_ERROR;
		}
	tpg->write_open = true;
	tpg->write_rc = 0;
	return 0;
}

/* A result that is not the success it should be, as a store result. */
static int result_rc(PGresult *r, ExecStatusType ok)
{
	return r && PQresultStatus(r) == ok ? 0 : failure(r);
}

int pg_commit(const char *notify, const char *after, db_pgstmt *read,
	      bool *committed)
{
	*committed = false;
	PGconn *conn = conn_live();
	if (!conn)
		return STORE_ERROR;
	tpg->write_open = false;
	if (tpg->write_rc) {
		int rc = tpg->write_rc;
		tpg->write_rc = 0;
		return rc;
	}
	/* read goes only on the connection it was prepared on */
	if (read && read->prepared_gen != tpg->gen)
		read = NULL;
	wire_values w;
	if (read)
		wire_encode(read, &w);
	const char *values[1] = {notify};
	if (!pipeline_enter(conn) ||
	    (notify &&
	     !PQsendQueryParams(conn, "SELECT pg_notify('chorus', $1)", 1, NULL,
				values, NULL, NULL, 0)) ||
	    !PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ||
	    (after &&
	     !PQsendQueryParams(conn, after, 0, NULL, NULL, NULL, NULL, 0)) ||
	    (read && !PQsendQueryPrepared(conn, read->name, read->nparams,
					  w.values, w.lengths, w.formats, 0)) ||
	    !PQpipelineSync(conn)) {
		set_error(NULL);
		pipeline_leave(conn);
		return STORE_ERROR;
	}
	/* their answers in the order sent: r[k] for the k-th of them */
	PGresult *r[4] = {NULL, NULL, NULL, NULL};
	int n = 0, note = notify ? n++ : -1, commit = n++,
	    then = after ? n++ : -1, rows = read ? n++ : -1;
	int rc = drain(conn, r, n);
	if (rc == 0 && note >= 0)
		rc = result_rc(r[note], PGRES_TUPLES_OK);
	/* COMMIT in a transaction that failed answers ROLLBACK, quietly */
	if (rc == 0 && (rc = result_rc(r[commit], PGRES_COMMAND_OK)) == 0 &&
	    strcmp(PQcmdStatus(r[commit]), "COMMIT")) {
		snprintf(tpg->errmsg, sizeof tpg->errmsg, "rolled back");
		rc = STORE_ERROR;
	}
	*committed = rc == 0;
	if (rc == 0 && then >= 0)
		rc = result_rc(r[then], PGRES_TUPLES_OK);
	/* read's rows wait for its first pg_step; without them that step
	 * runs it then, as it would have run anyway */
	if (*committed && rows >= 0 &&
	    PQresultStatus(r[rows]) == PGRES_TUPLES_OK) {
		read->res = r[rows];
		read->row = -1;
		read->nrows = PQntuples(r[rows]);
		r[rows] = NULL;
	}
	for (int i = 0; i < n; i++)
		PQclear(r[i]);
	if (rc == STORE_ERROR)
		log_error("commit: %s", tpg->errmsg);
	return rc;
}

void pg_rollback(void)
{
	if (!tpg || !tpg->conn)
		return;
	tpg->write_open = false;
	tpg->write_rc = 0;
	(void)settle_queue(tpg->conn); /* logged there; rolled back anyway */
	if (PQstatus(tpg->conn) == CONNECTION_OK &&
	    PQtransactionStatus(tpg->conn) != PQTRANS_IDLE)
		PQclear(PQexec(tpg->conn, "ROLLBACK"));
}

int pg_changes(void)
{
	return tpg ? tpg->changes : 0;
}

const char *pg_errmsg(void)
{
	return tpg ? tpg->errmsg : "no database connection";
}

bool pg_in_transaction(void)
{
	if (!tpg || !tpg->conn)
		return false;
	if (tpg->begin_pending || tpg->write_open)
		return true; /* begun, as far as the caller can tell */
	if (tpg->answer_pending)
		settle(tpg->conn);
	PGTransactionStatusType s = PQtransactionStatus(tpg->conn);
	return s == PQTRANS_INTRANS || s == PQTRANS_INERROR ||
	       s == PQTRANS_ACTIVE;
}

int pg_simple(const char *sql)
{
	PGconn *conn = conn_live();
	if (!conn)
		return STORE_ERROR;
	int rc = settle_queue(conn);
	if (rc < 0 || (rc = begin_now(conn)) < 0)
		return rc;
	PGresult *r = PQexec(conn, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		rc = failure(r);
		if (rc == STORE_ERROR)
			log_error("sql: %s: %.200s", tpg->errmsg, sql);
	}
	PQclear(r);
	return rc;
}

int64_t pg_simple_int64(const char *sql, int64_t dflt)
{
	PGconn *conn = conn_live();
	if (!conn || settle_queue(conn) < 0 || begin_now(conn) < 0)
		return dflt;
	PGresult *r = PQexec(conn, sql);
	int64_t v = dflt;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
	    !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		set_error(r);
	PQclear(r);
	return v;
}

/* The connection that holds this process's node lock for its lifetime:
 * PostgreSQL frees the lock when the process dies and the connection
 * with it. */
static PGconn *node_conn;
static int own_node = -1;

int pg_node(void)
{
	return own_node;
}

int pg_claim_node(int nodes)
{
	char why[PG_ERRMSG];
	if (!node_conn && !(node_conn = pg_connect(why, sizeof why))) {
		log_error("cannot connect to the database: %s", why);
		return -1;
	}
	char sql[160];
	snprintf(sql, sizeof sql,
		 "SELECT n FROM generate_series(0, %d) AS g(n)"
		 " WHERE pg_try_advisory_lock(%s, n) LIMIT 1",
		 nodes - 1, DB_PG_NODE_LOCK);
	PGresult *r = PQexec(node_conn, sql);
	int node = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		node = atoi(PQgetvalue(r, 0, 0));
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		log_error("cannot take a node number: %s",
			  PQresultErrorMessage(r));
	else
		log_error("all %d node numbers are taken: too many chorus"
			  " processes on one database",
			  nodes);
	PQclear(r);
	own_node = node;
	return node;
}

/* Guards node_conn, which the leader check and notify share. */
static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;

/* An event for the other processes, sent now. A NOTIFY goes out when its
 * transaction commits: on the thread's own connection only when that is
 * outside one, for a request's read snapshot ends in a ROLLBACK that
 * would drop it; on node_conn otherwise. On the thread's connection its
 * answer is not waited for (sent is sent: it commits on its own), but
 * read before the next command, as a read-only COMMIT's is. */
int pg_notify(const char *head, const char *body)
{
	PGconn *conn = conn_live();
	if (!conn)
		return -1;
	bool shared = tpg->write_open || tpg->queued ||
		      PQtransactionStatus(conn) != PQTRANS_IDLE;
	if (shared) {
		pthread_mutex_lock(&node_lock);
		conn = node_conn;
	}
	int rc = -1;
	size_t nh = strlen(head), nb = strlen(body);
	char *msg = conn ? malloc(nh + nb + 1) : NULL;
	if (msg) {
		memcpy(msg, head, nh);
		memcpy(msg + nh, body, nb + 1);
		const char *values[1] = {msg};
		if (!shared &&
		    PQsendQueryParams(conn, "SELECT pg_notify('chorus', $1)", 1,
				      NULL, values, NULL, NULL, 0)) {
			tpg->answer_pending = true;
			rc = 0;
		} else {
			PGresult *r = PQexecParams(
				conn, "SELECT pg_notify('chorus', $1)", 1, NULL,
				values, NULL, NULL, 0);
			rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
			if (rc < 0)
				log_error("notify: %s",
					  PQresultErrorMessage(r));
			PQclear(r);
		}
		free(msg);
	}
	if (shared)
		pthread_mutex_unlock(&node_lock);
	return rc;
}

static bool leader_check(void);

bool pg_try_leader(void)
{
	pthread_mutex_lock(&node_lock);
	bool yes = leader_check();
	pthread_mutex_unlock(&node_lock);
	return yes;
}

static bool leader_check(void)
{
	static bool held;
	if (!node_conn)
		return true; /* no database shared with other processes */
	if (PQstatus(node_conn) != CONNECTION_OK) {
		/* the lock went with the connection: the node lock too, and
		 * another process may have taken it; this one carries on with
		 * its node but lets someone else lead */
		held = false;
		return false;
	}
	if (held)
		return true;
	PGresult *r =
		PQexec(node_conn,
		       "SELECT pg_try_advisory_lock(" DB_PG_LEADER_LOCK ")");
	held = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	       PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return held;
}
