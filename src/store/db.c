#include "store/db.h"

#include "core/id.h"

#include "core/cache.h"
#include "core/config.h"
#include "core/feeds.h"
#include "core/log.h"
#include "store/store.h"

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	DB_BUSY_TIMEOUT_MS = 10000,
	DB_STMT_CACHE_BITS = 9,
	DB_STMT_CACHE = 1 << DB_STMT_CACHE_BITS, /* statements per thread */
};

typedef struct stmt_slot {
	const char *sql;
	db_stmt stmt;
} stmt_slot;

/* A home-feed change waiting for COMMIT: id pushed to owner's feed, or
 * the feed dropped when id is 0; or, when asked is set, id pushed to the
 * feeds of asked[nasked .. nasked + nin) and to no other of asked[0 ..
 * nasked) (feeds_push_asked_at; asked is the op's, malloc'd). */
typedef struct feed_op {
	int64_t owner, id;
	int64_t *asked;
	size_t nasked, nin;
} feed_op;

typedef struct thread_db {
	sqlite3 *conn;
	stmt_slot cache[DB_STMT_CACHE];
	feed_op *feed_ops;
	size_t nfeed_ops, feed_ops_cap;
	bool feed_ops_lost;  /* one did not fit: drop every feed at COMMIT */
	uint64_t feed_epoch; /* taken before COMMIT, under the write lock */
} thread_db;

static char *db_path;
static _Thread_local thread_db *tdb;

/* WAL checkpoints, while serving, run on a thread of their own instead of
 * inside whichever commit crosses SQLite's threshold (that request then
 * waits for the copy and its fsyncs: it was POST's p99). Commits report
 * the WAL's size through a hook; the checkpointer copies frames back with
 * PASSIVE checkpoints, which never block anyone. Under steady writes a
 * PASSIVE checkpoint never sees the WAL fully copied with no reader on
 * it, so the file would grow without end (900 MB in 10 s of POSTs): past
 * CKPT_RESTART_PAGES it takes a RESTART checkpoint, which holds writers
 * off for the few frames left and the wait for readers, and starts the
 * file again from the beginning. */
enum {
	CKPT_PAGES = 1000,	   /* SQLite's own autocheckpoint default */
	CKPT_RESTART_PAGES = 2000, /* 8 MB of 4 KiB pages */
	CKPT_RESTART_WAIT_MS = 50, /* writers wait on a RESTART this long */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stop;
	int pages; /* the WAL's size at the last commit past CKPT_PAGES */
} ckpt = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static int ckpt_hook(void *ctx, sqlite3 *conn, const char *name, int pages)
{
	(void)ctx;
	(void)conn;
	(void)name;
	if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&ckpt.lock);
		ckpt.pages = pages;
		pthread_cond_signal(&ckpt.wake);
		pthread_mutex_unlock(&ckpt.lock);
	}
	return SQLITE_OK;
}

void db_set_path(const char *path)
{
	free(db_path);
	db_path = strdup(path);
}

/* Writers wait for each other here. SQLite's stock busy timeout sleeps in
 * steps up to 100 ms, so a writer often sleeps long after the lock came
 * free; the write lock is held for well under a millisecond, so poll it
 * finely (50 µs doubling to 1 ms) for up to DB_BUSY_TIMEOUT_MS. */
static _Thread_local long busy_limit_ms = DB_BUSY_TIMEOUT_MS;

/* Waits for the write lock that began (store_ops_stats). */
static _Atomic uint64_t busy_waits;

static int db_busy_wait(void *ctx, int count)
{
	enum { FIRST_US = 50, MAX_US = 1000 };
	static _Thread_local long waited_us;
	(void)ctx;
	if (count == 0) {
		waited_us = 0;
		atomic_fetch_add_explicit(&busy_waits, 1, memory_order_relaxed);
	}
	if (waited_us >= busy_limit_ms * 1000)
		return 0;
	long us = count < 5 ? FIRST_US << count : MAX_US;
	if (us > MAX_US)
		us = MAX_US;
	struct timespec ts = {0, us * 1000};
	nanosleep(&ts, NULL);
	waited_us += us;
	return 1;
}

bool db_pg;

/* a against b, neither NULL: numbers as numbers, text bytewise, and
 * otherwise by SQLite's order of types (numbers < text < blobs). */
static int db_value_cmp(sqlite3_value *a, sqlite3_value *b)
{
	int ta = sqlite3_value_numeric_type(a);
	int tb = sqlite3_value_numeric_type(b);
	bool na = ta == SQLITE_INTEGER || ta == SQLITE_FLOAT;
	bool nb = tb == SQLITE_INTEGER || tb == SQLITE_FLOAT;
	if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
		int64_t x = sqlite3_value_int64(a), y = sqlite3_value_int64(b);
		return (x > y) - (x < y);
	}
	if (na && nb) {
		double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
		return (x > y) - (x < y);
	}
	if (ta == SQLITE_TEXT && tb == SQLITE_TEXT)
		return strcmp((const char *)sqlite3_value_text(a),
			      (const char *)sqlite3_value_text(b));
	return na ? -1 : nb ? 1 : (ta > tb) - (ta < tb);
}

/* greatest(a, b, …) and least(…) as PostgreSQL has them: the largest
 * (smallest) argument, NULLs skipped, NULL only if all are. SQLite's
 * scalar max() and min() answer NULL if any argument is; these let one
 * SQL text serve both backends. */
static void db_extreme(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int sign = sqlite3_user_data(ctx) ? 1 : -1;
	int best = -1;
	for (int i = 0; i < argc; i++) {
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			continue;
		if (best < 0 || db_value_cmp(argv[i], argv[best]) * sign > 0)
			best = i;
	}
	if (best < 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_value(ctx, argv[best]);
}

static int db_open_conn(sqlite3 **out)
{
	int rc = sqlite3_open_v2(db_path, out,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					 SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open %s: %s", db_path, sqlite3_errstr(rc));
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	sqlite3_busy_handler(*out, db_busy_wait, NULL);
	int fflags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	sqlite3_create_function(*out, "greatest", -1, fflags, (void *)1,
				db_extreme, NULL, NULL);
	sqlite3_create_function(*out, "least", -1, fflags, NULL, db_extreme,
				NULL, NULL);
	if (db_search_register(*out) < 0) {
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	pthread_mutex_lock(&ckpt.lock);
	if (ckpt.running) /* replaces SQLite's automatic checkpoints */
		sqlite3_wal_hook(*out, ckpt_hook, NULL);
	pthread_mutex_unlock(&ckpt.lock);
	/* WAL with synchronous=NORMAL (the default): a write the client was
	 * told succeeded survives kill -9, as it is in the WAL file before
	 * the reply; only a power loss may take the last commits. FULL adds
	 * an fsync per commit for power-loss durability (data.synchronous). */
	sqlite3_exec(*out,
		     "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
		     "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8000;",
		     NULL, NULL, NULL);
	sqlite3_exec(*out,
		     strcmp(cfg.synchronous, "normal")
			     ? "PRAGMA synchronous=FULL"
			     : "PRAGMA synchronous=NORMAL",
		     NULL, NULL, NULL);
	return 0;
}

static void *ckpt_main(void *arg)
{
	sqlite3 *conn = arg;
	/* A RESTART checkpoint holds the write lock while it waits for the
	 * readers still on old frames: with the writers' ten seconds it
	 * could stall every write behind one long read (a backup, a 7 MB
	 * thread). It waits this long at most, and tries again at a later
	 * commit; the WAL grows a little meanwhile. */
	busy_limit_ms = CKPT_RESTART_WAIT_MS;
	pthread_mutex_lock(&ckpt.lock);
	while (!ckpt.stop) {
		if (ckpt.pages < CKPT_PAGES) {
			pthread_cond_wait(&ckpt.wake, &ckpt.lock);
			continue;
		}
		ckpt.pages = 0;
		pthread_mutex_unlock(&ckpt.lock);
		int log = 0, copied = 0;
		sqlite3_wal_checkpoint_v2(conn, NULL, SQLITE_CHECKPOINT_PASSIVE,
					  &log, &copied);
		if (log >= CKPT_RESTART_PAGES)
			sqlite3_wal_checkpoint_v2(conn, NULL,
						  SQLITE_CHECKPOINT_RESTART,
						  &log, &copied);
		pthread_mutex_lock(&ckpt.lock);
	}
	pthread_mutex_unlock(&ckpt.lock);
	sqlite3_close(conn);
	return NULL;
}

bool store_leader(void)
{
	return !db_pg || pg_try_leader();
}

int store_checkpointer_start(void)
{
	if (db_pg) /* the server checkpoints its own log */
		return 0;
	sqlite3 *conn;
	if (db_open_conn(&conn) < 0)
		return -1;
	pthread_mutex_lock(&ckpt.lock);
	ckpt.stop = false;
	ckpt.pages = 0;
	ckpt.running = pthread_create(&ckpt.thread, NULL, ckpt_main, conn) == 0;
	pthread_mutex_unlock(&ckpt.lock);
	if (!ckpt.running) {
		sqlite3_close(conn);
		log_error("cannot start the checkpoint thread");
		return -1;
	}
	return 0;
}

void store_checkpointer_stop(void)
{
	pthread_mutex_lock(&ckpt.lock);
	bool running = ckpt.running;
	ckpt.stop = true;
	ckpt.running = false;
	pthread_cond_signal(&ckpt.wake);
	pthread_mutex_unlock(&ckpt.lock);
	if (running)
		pthread_join(ckpt.thread, NULL);
}

/* The thread's state without opening a SQLite connection. */
static thread_db *db_thread(void)
{
	if (!tdb && !(tdb = calloc(1, sizeof *tdb)))
		abort();
	return tdb;
}

sqlite3 *db_conn(void)
{
	if (tdb && tdb->conn)
		return tdb->conn;
	if (db_open_conn(&db_thread()->conn) < 0)
		abort();
	return tdb->conn;
}

void store_thread_close(void)
{
	if (!tdb) {
		/* a thread that only began a read snapshot has a PostgreSQL
		 * connection and no statements */
		pg_thread_close();
		return;
	}
	for (int i = 0; i < DB_STMT_CACHE; i++) {
		sqlite3_finalize(tdb->cache[i].stmt.sqlite);
		pg_stmt_free(tdb->cache[i].stmt.pg);
	}
	sqlite3_close(tdb->conn);
	pg_thread_close();
	free(tdb->feed_ops);
	free(tdb);
	tdb = NULL;
}

/* The thread's cache slot for sql: the one holding it, or the empty one
 * where it goes. Keyed by the pointer, hashed multiplicatively: the slot
 * is the product's top bits, which every bit of the pointer moves (its
 * low bits would depend only on the pointer's low bits, and literals
 * laid out anew by any change would collide anew). */
static stmt_slot *db_slot(thread_db *t, const char *sql)
{
	enum { SLOT_SHIFT = 64 - DB_STMT_CACHE_BITS };
	uint64_t h = (uint64_t)(uintptr_t)sql * 0x9E3779B97F4A7C15ull;
	unsigned at = (unsigned)(h >> SLOT_SHIFT);
	for (unsigned probe = 0; probe < DB_STMT_CACHE; probe++) {
		stmt_slot *slot = &t->cache[(at + probe) & (DB_STMT_CACHE - 1)];
		if (slot->sql == sql || !slot->sql)
			return slot;
	}
	log_error("statement cache full");
	abort();
}

db_stmt *db_prepare(const char *sql)
{
	if (DB_PG) { /* prepared on the server at the first step (pg.c) */
		stmt_slot *slot = db_slot(db_thread(), sql);
		if (slot->sql) {
			pg_reset(slot->stmt.pg);
			pg_clear_bindings(slot->stmt.pg);
		} else {
			slot->stmt.pg = pg_stmt_new(sql);
			slot->sql = sql;
		}
		return &slot->stmt;
	}
	sqlite3 *conn = db_conn();
	stmt_slot *slot = db_slot(tdb, sql);
	if (slot->sql) {
		sqlite3_reset(slot->stmt.sqlite);
		sqlite3_clear_bindings(slot->stmt.sqlite);
		return &slot->stmt;
	}
	if (sqlite3_prepare_v3(conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &slot->stmt.sqlite, NULL) != SQLITE_OK) {
		log_error("prepare failed: %s\n  in: %s", sqlite3_errmsg(conn),
			  sql);
		abort(); /* a bad literal SQL string is a bug */
	}
	slot->sql = sql;
	return &slot->stmt;
}

int db_step_failed(int rc)
{
	if ((rc & 0xff) != SQLITE_CONSTRAINT)
		return STORE_ERROR;
	switch (sqlite3_extended_errcode(db_conn())) {
	case SQLITE_CONSTRAINT_FOREIGNKEY: return STORE_GONE;
	case SQLITE_CONSTRAINT_TRIGGER:
		/* the triggers that keep blocked pairs apart say so */
		return strstr(db_errmsg(), "blocked") ? STORE_BLOCKED
						      : STORE_LIMIT;
	case SQLITE_CONSTRAINT_UNIQUE: return STORE_TAKEN;
	default: return STORE_ERROR;
	}
}

int db_done(db_stmt *st)
{
	/* db_done runs writes: a write must not upgrade the request's read
	 * snapshot (SQLite would answer BUSY at once if another writer
	 * committed since), so that snapshot ends here */
	store_read_end();
	int rc = db_step(st);
	if (rc == DB_DONE || rc == DB_ROW) {
		db_reset(st);
		return 0;
	}
	if (rc != STORE_ERROR) { /* an answer, not a failure */
		db_reset(st);
		return rc;
	}
	log_error("sql step: %s: %s", db_errmsg(),
		  DB_PG ? pg_stmt_sql(st->pg) : sqlite3_sql(st->sqlite));
	db_reset(st);
	return -1;
}

int db_exec(const char *sql)
{
	return db_done(db_prepare(sql));
}

/* COMMIT or ROLLBACK: PostgreSQL takes transaction control on the
 * simple protocol. */
static int db_tx(const char *sql)
{
	return DB_PG ? pg_simple(sql) : db_exec(sql);
}

/* Set while the thread's request-wide read transaction is open. */
static _Thread_local bool read_tx;
/* Counts the transactions this thread began (store_snapshot). */
static _Thread_local uint64_t snapshots;

uint64_t store_snapshot(void)
{
	return db_in_transaction() ? snapshots : 0;
}

void store_read_begin(void)
{
	if (read_tx || db_in_transaction())
		return;
	/* the epoch is taken before the snapshot, which SQLite takes at
	 * the first read: see core/cache.h */
	cache_request_begin();
	snapshots++;
	/* PostgreSQL: one snapshot for the whole request, as SQLite's
	 * read transaction gives */
	read_tx = (DB_PG ? pg_read_begin() : db_exec("BEGIN")) == 0;
}

void store_read_end(void)
{
	if (!read_tx)
		return;
	read_tx = false;
	if (DB_PG)
		pg_read_end();
	else if (db_in_transaction())
		db_tx("COMMIT");
}

int db_begin(void)
{
	/* a write starts from a fresh snapshot: end the request's read
	 * transaction first (it holds no locks that matter to writers) */
	store_read_end();
	snapshots++;
	/* PostgreSQL has no database-wide write lock: an advisory lock
	 * held to the end of the transaction stands in for it, so writers
	 * queue as they do on SQLite and ids keep commit order (db_new_id)
	 * across every process on the database */
	static const char *const pg_begin[] = {
		"BEGIN", "SET LOCAL synchronous_commit = off",
		"SELECT pg_advisory_xact_lock(" DB_PG_WRITE_LOCK ")"};
	/* PostgreSQL: sent with the transaction's first statement */
	return DB_PG ? pg_write_begin(pg_begin, 3) : db_exec("BEGIN IMMEDIATE");
}

int db_queue(db_stmt *st)
{
	store_read_end(); /* as db_done */
	/* outside a transaction nothing would ever read the answer */
	if (!DB_PG || !db_in_transaction())
		return db_done(st);
	return pg_queue(st->pg);
}

/* PostgreSQL: wait until every commit so far is on disk. The write lock
 * orders commits (and so ids); held through the WAL's fsync it would let
 * one write a fsync through at a time. So a write commits under it
 * without waiting (synchronous_commit off, set by db_begin) and waits
 * here, after the lock is gone: a transaction that wrote a WAL record
 * commits synchronously (as the server is configured), and its flush
 * takes every record before it, this thread's commit among them. A
 * logical message is the smallest such record, and any role may write
 * one (an xid alone writes none, and its commit is not waited for).
 * Writers waiting at once share one fsync. What a reader saw may be lost
 * with a crash in between, as with an asynchronous replica; what a
 * client was told is written never is. */
static const char pg_durable[] =
	"SELECT pg_logical_emit_message(true, 'chorus', '')";

int64_t db_new_id(const char *newest_sql)
{
	db_stmt *st = db_prepare(newest_sql);
	int64_t newest = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	id_observe(newest);
	return id_next();
}

/* Invalidations waiting for the transaction to commit. */
enum { DB_TOUCH_MAX = 64 };
static _Thread_local struct {
	cache *c;
	int64_t id;
} touched[DB_TOUCH_MAX];
static _Thread_local int ntouched;
static _Thread_local bool touched_overflow, touched_epoch, touched_generation;

/* PostgreSQL: what this thread's write touched, told to the other
 * processes on the database with its COMMIT (store/peers.c says how). */
enum { RELAY_MAX = 7000 };
static _Thread_local char relay[RELAY_MAX + 32];
static _Thread_local size_t relay_len;

static void relay_add(char kind, int64_t id)
{
	if (relay_len && relay[relay_len - 1] == 'X')
		return; /* everything goes anyway */
	if (relay_len > RELAY_MAX) {
		relay_len = (size_t)snprintf(relay, sizeof relay, " X");
		return;
	}
	relay_len +=
		(size_t)(kind == 'e' || kind == 'g' || kind == 'X'
				 ? snprintf(relay + relay_len, 4, " %c", kind)
				 : snprintf(relay + relay_len, 24, " %c%lld",
					    kind, (long long)id));
}

/* The home feeds to drop, kept apart: more than fit become one H (every
 * home feed), which spares the other caches the X a full relay means. */
static _Thread_local char relay_homes[RELAY_MAX + 32];
static _Thread_local size_t relay_homes_len;

/* Relay a drop of owner's home feed; 0: of every home feed. */
static void relay_home(int64_t owner)
{
	if (relay_homes_len == 2 && relay_homes[1] == 'H')
		return;
	if (!owner || relay_homes_len > RELAY_MAX) {
		relay_homes_len =
			(size_t)snprintf(relay_homes, sizeof relay_homes, " H");
		return;
	}
	relay_homes_len += (size_t)snprintf(relay_homes + relay_homes_len, 24,
					    " h%lld", (long long)owner);
}

/* relay with the home feeds' items appended (then forgotten): the
 * message to send, within a NOTIFY's size. */
static const char *relay_message(void)
{
	if (relay_homes_len && relay_len + relay_homes_len > RELAY_MAX)
		relay_home(0);
	if (relay_homes_len && relay_len + relay_homes_len > RELAY_MAX)
		relay_add('X', 0);
	else if (relay_homes_len) {
		memcpy(relay + relay_len, relay_homes, relay_homes_len);
		relay_len += relay_homes_len;
	}
	relay_homes_len = 0;
	relay[relay_len] = '\0';
	return relay;
}

/* Send what was relayed: at once outside a transaction (the write it
 * tells of committed by itself), else with the COMMIT (db_commit). */
static void relay_now(void)
{
	if ((!relay_len && !relay_homes_len) || db_in_transaction())
		return;
	char head[16];
	snprintf(head, sizeof head, "%d", pg_node());
	pg_notify(head, relay_message());
	relay_len = 0;
}

static char cache_kind(const cache *c)
{
	return c == cache_statuses    ? 's'
	       : c == cache_accounts  ? 'a'
	       : c == cache_relations ? 'r'
	       : c == cache_folds     ? 'f'
				      : 'X';
}

void db_touch_epoch(void)
{
	if (db_pg) {
		relay_add('e', 0);
		relay_now();
	}
	if (!db_in_transaction())
		cache_epoch_next();
	else
		touched_epoch = true;
}

void db_touch_generation(void)
{
	if (db_pg) {
		relay_add('g', 0);
		relay_now();
	}
	if (!db_in_transaction())
		cache_generation_next();
	else
		touched_generation = true;
}

void db_touch(cache *c, int64_t id)
{
	if (!c)
		return;
	if (db_pg) {
		relay_add(cache_kind(c), id);
		relay_now();
	}
	if (!db_in_transaction()) {
		cache_invalidate(c, id);
		return;
	}
	if (ntouched == DB_TOUCH_MAX) {
		touched_overflow = true;
		return;
	}
	touched[ntouched].c = c;
	touched[ntouched].id = id;
	ntouched++;
}

void store_forget_cached(void)
{
	db_touch_all();
	if (feeds_home)
		feeds_clear(feeds_home);
	cache_epoch_next();
}

void db_touch_all(void)
{
	if (db_pg) {
		relay_add('X', 0);
		relay_now();
	}
	if (!db_in_transaction()) {
		cache_clear(cache_statuses);
		cache_clear(cache_accounts);
		cache_clear(cache_relations);
		cache_clear(cache_folds);
		cache_generation_next();
		return;
	}
	touched_overflow = touched_generation = true;
}

static void feed_op_apply(feed_op op, uint64_t at)
{
	if (op.asked)
		feeds_push_asked_at(feeds_home, op.id, op.asked, op.nasked,
				    op.asked + op.nasked, op.nin, at);
	else if (op.id)
		feeds_push_at(feeds_home, op.owner, op.id, at);
	else
		feeds_drop_at(feeds_home, op.owner, at);
}

static void feed_op_add(feed_op op)
{
	if (db_pg) { /* the others drop the feed (H: all), and read it again */
		relay_home(op.asked ? 0 : op.owner);
		relay_now();
	}
	if (!feeds_home || !db_in_transaction()) {
		if (feeds_home)
			feed_op_apply(op, 0);
		free(op.asked);
		return;
	}
	if (tdb->nfeed_ops == tdb->feed_ops_cap) {
		size_t cap = tdb->feed_ops_cap ? tdb->feed_ops_cap * 2 : 64;
		feed_op *more = realloc(tdb->feed_ops, cap * sizeof *more);
		if (!more) {
			tdb->feed_ops_lost = true;
			free(op.asked);
			return;
		}
		tdb->feed_ops = more;
		tdb->feed_ops_cap = cap;
	}
	tdb->feed_ops[tdb->nfeed_ops++] = op;
}

void db_feed_push(int64_t owner, int64_t id)
{
	feed_op_add((feed_op){.owner = owner, .id = id});
}

void db_feed_drop(int64_t owner)
{
	feed_op_add((feed_op){.owner = owner});
}

int db_feed_push_asked(int64_t id, const int64_t *asked, size_t nasked,
		       const int64_t *in, size_t nin)
{
	int64_t *both = malloc((nasked + nin + 1) * sizeof *both);
	if (!both)
		return -1;
	if (nasked) /* memcpy wants pointers, even for no bytes */
		memcpy(both, asked, nasked * sizeof *both);
	if (nin)
		memcpy(both + nasked, in, nin * sizeof *both);
	feed_op_add((feed_op){
		.id = id, .asked = both, .nasked = nasked, .nin = nin});
	return 0;
}

static void touched_flush(bool committed)
{
	if (tdb && committed && tdb->feed_ops_lost)
		feeds_clear(feeds_home);
	else if (tdb && committed)
		for (size_t i = 0; i < tdb->nfeed_ops; i++)
			feed_op_apply(tdb->feed_ops[i], tdb->feed_epoch);
	if (tdb) {
		for (size_t i = 0; i < tdb->nfeed_ops; i++)
			free(tdb->feed_ops[i].asked);
		tdb->nfeed_ops = 0;
		tdb->feed_ops_lost = false;
	}
	if (committed && touched_overflow) {
		cache_clear(cache_statuses);
		cache_clear(cache_accounts);
		cache_clear(cache_relations);
		cache_clear(cache_folds);
	} else if (committed) {
		for (int i = 0; i < ntouched; i++)
			cache_invalidate(touched[i].c, touched[i].id);
	}
	if (committed && touched_epoch)
		cache_epoch_next();
	if (committed && touched_generation)
		cache_generation_next();
	ntouched = 0;
	touched_overflow = touched_epoch = touched_generation = false;
}

/* The statement to read in the COMMIT's round trip (db_read_after_commit). */
static _Thread_local db_stmt *read_after;

int db_commit(void)
{
	/* the commit's place among the feeds' changes: this transaction
	 * still holds the write lock, so the epoch orders it with every
	 * other write (a push applied late must not outlive an unfollow
	 * that committed after it); only taken when feeds will change */
	if (tdb && tdb->nfeed_ops)
		tdb->feed_epoch = cache_epoch_next();
	if (!DB_PG) {
		int rc = db_tx("COMMIT");
		if (rc == 0)
			touched_flush(true);
		return rc;
	}
	/* the NOTIFY is delivered with the commit, and the wait for the disk
	 * follows it, all in one round trip: the lock goes at the COMMIT */
	char note[sizeof relay + 32];
	bool relayed = relay_len || relay_homes_len;
	if (relayed)
		snprintf(note, sizeof note, "%d%s", pg_node(), relay_message());
	relay_len = 0;
	bool committed;
	db_stmt *read = read_after;
	read_after = NULL;
	int rc = pg_commit(relayed ? note : NULL, pg_durable,
			   read ? read->pg : NULL, &committed);
	/* committed (and seen): the caches above are told either way */
	if (committed)
		touched_flush(true);
	return rc;
}

void db_read_after_commit(db_stmt *st)
{
	if (DB_PG && db_in_transaction() && pg_prepare_now(st->pg) == 0)
		read_after = st;
}

void db_rollback(void)
{
	read_after = NULL;
	relay_len = relay_homes_len = 0;
	touched_flush(false);
	if (DB_PG)
		pg_rollback();
	else if (db_in_transaction())
		db_tx("ROLLBACK");
}

bool db_bind_ids(db_stmt *st, int i, const int64_t *ids, size_t n)
{
	enum { ID_TEXT_MAX = 21 };
	char *list = malloc(n * ID_TEXT_MAX + 3);
	if (!list)
		return false;
	size_t k = 0, listed = 0;
	list[k++] = DB_PG ? '{' : '[';
	for (size_t j = 0; j < n; j++)
		if (ids[j])
			k += (size_t)sprintf(list + k, "%s%lld",
					     listed++ ? "," : "",
					     (long long)ids[j]);
	list[k++] = DB_PG ? '}' : ']';
	list[k] = '\0';
	db_bind_text_copy(st, i, list);
	free(list);
	return true;
}

bool db_exists(const char *sql, int64_t a, int64_t b)
{
	db_stmt *st = db_prepare(sql);
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	bool yes = db_step(st) == DB_ROW;
	db_reset(st);
	return yes;
}

int64_t db_int64(const char *sql, int64_t a, int64_t b)
{
	db_stmt *st = db_prepare(sql);
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	int64_t v = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return v;
}

bool db_status_exists(int64_t id)
{
	return db_exists("SELECT 1 FROM statuses WHERE id = ?1 AND ?2 = ?2", id,
			 0);
}

static store_visibility_rule visibility_rule;

void store_set_visibility_rule(store_visibility_rule rule)
{
	visibility_rule = rule;
}

/* The columns the rules read of status id (id, author, visibility, whom
 * it answers; the rules read the policy, mentions and follows tables
 * as they are now): false when it is gone. */
static bool status_head(int64_t id, status *s)
{
	db_stmt *st = db_prepare("SELECT account_id, visibility,"
				 " in_reply_to_account_id"
				 " FROM statuses WHERE id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		*s = (status){.id = id,
			      .account_id = db_column_int64(st, 0),
			      .vis = (visibility)db_column_int(st, 1),
			      .in_reply_to_account_id = db_column_int64(st, 2)};
	db_reset(st);
	return found;
}

static bool head_visible(int64_t viewer, const status *s)
{
	return !viewer || !visibility_rule || visibility_rule(viewer, s);
}

int db_status_check(int64_t id, int64_t viewer)
{
	status s;
	return status_head(id, &s) && head_visible(viewer, &s) ? 0 : STORE_GONE;
}

void db_reverse(void *items, size_t n, size_t size)
{
	unsigned char *lo = items, *hi = lo + (n ? n - 1 : 0) * size;
	for (; lo < hi; lo += size, hi -= size)
		for (size_t k = 0; k < size; k++) {
			unsigned char t = lo[k];
			lo[k] = hi[k];
			hi[k] = t;
		}
}

static store_interaction_rule interaction_rule;

void store_set_interaction_rule(store_interaction_rule rule)
{
	interaction_rule = rule;
}

int db_interaction_check(int64_t id, int64_t actor, interaction kind)
{
	status s;
	if (!status_head(id, &s) || !head_visible(actor, &s))
		return STORE_GONE;
	if (interaction_rule && !interaction_rule(actor, &s, kind))
		return STORE_REFUSED;
	return 0;
}

void *db_grow(arena *a, void *items, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return items;
	size_t want = *cap ? *cap * 2 : 16;
	void *more = arena_alloc(a, want * size);
	if (n)
		memcpy(more, items, n * size);
	*cap = want;
	return more;
}

/* ---- the operator's view (/health, /metrics) ---- */

/* Connections are counted as the descriptors this process holds on the
 * database file: each connection opens the file once, wherever it was
 * opened from (workers, jobs, checkpointer), with no count to keep. */
static long db_files_open(void)
{
	char *want = db_path ? realpath(db_path, NULL) : NULL;
	DIR *d = want ? opendir("/proc/self/fd") : NULL;
	long n = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		char link[300], target[PATH_MAX];
		snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
		ssize_t len = readlink(link, target, sizeof target - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += !strcmp(target, want);
	}
	if (d)
		closedir(d);
	free(want);
	return n;
}

int store_ops_stats_read(store_ops_stats *out)
{
	if (!out) {
		/* a read of the catalogue: the database is there to answer */
		db_stmt *st = db_prepare(
			DB_SQL("SELECT 1 FROM sqlite_schema LIMIT 1",
			       "SELECT 1 FROM schema_version LIMIT 1"));
		int rc = db_step(st);
		db_reset(st);
		if (rc == DB_ROW || rc == DB_DONE)
			return 0;
		log_error("health check: %s", db_errmsg());
		return -1;
	}
	*out = (store_ops_stats){0};
	db_stmt *st =
		db_prepare("SELECT state, count(*) FROM jobs GROUP BY state");
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t n = db_column_int64(st, 1);
		switch (db_column_int(st, 0)) {
		case 0: out->jobs_waiting = n; break;
		case 1: out->jobs_running = n; break;
		case 2: out->jobs_failed = n; break;
		}
	}
	db_reset(st);
	if (rc != DB_DONE) {
		log_error("metrics: reading the jobs: %s", db_errmsg());
		return -1;
	}
	out->connections = db_pg ? pg_connections() : db_files_open();
	out->busy_waits =
		atomic_load_explicit(&busy_waits, memory_order_relaxed);
	return 0;
}
