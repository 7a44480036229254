/* test_db.c — the statement layer of store/db.h: what db_step answers
 * for each constraint the schema uses as an answer, how NULLs and blobs
 * read, and what a statement from the cache starts with. Its own tables
 * in a fresh store, so the answers do not depend on the schema's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_fixture.h"

#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/pg.h"
#include "store/store.h"

static const char sql_insert_parent[] =
	"INSERT INTO t_parent (id, name) VALUES (?1, ?2)";
static const char sql_insert_child[] =
	"INSERT INTO t_child (parent_id) VALUES (?1)";

static int setup(void **state)
{
	(void)state;
	if (store_fixture_open("db") < 0)
		return -1;
	if (fixture_pg) /* the same tables and trigger in its dialect */
		return pg_simple(
			"CREATE TABLE t_parent (id bigint PRIMARY KEY,"
			" name text UNIQUE, data bytea);"
			"CREATE TABLE t_child (parent_id bigint"
			" REFERENCES t_parent (id));"
			"CREATE FUNCTION t_parent_refuse_fn() RETURNS trigger"
			" LANGUAGE plpgsql AS $$ BEGIN"
			" IF NEW.name = 'limit' THEN RAISE EXCEPTION"
			" 'too many' USING ERRCODE = 'CH001';"
			" ELSIF NEW.name = 'blocked' THEN RAISE EXCEPTION"
			" 'blocked pair' USING ERRCODE = 'CH002'; END IF;"
			" RETURN NEW; END $$;"
			"CREATE TRIGGER t_parent_refuse BEFORE INSERT ON"
			" t_parent FOR EACH ROW EXECUTE FUNCTION"
			" t_parent_refuse_fn()");
	return db_exec("CREATE TABLE t_parent (id INTEGER PRIMARY KEY,"
		       " name TEXT UNIQUE, data BLOB)") ||
	       db_exec("CREATE TABLE t_child (parent_id INTEGER"
		       " REFERENCES t_parent (id))") ||
	       db_exec("CREATE TRIGGER t_parent_refuse BEFORE INSERT"
		       " ON t_parent WHEN new.name IN ('limit', 'blocked')"
		       " BEGIN SELECT CASE new.name WHEN 'limit'"
		       " THEN RAISE(ABORT, 'too many')"
		       " ELSE RAISE(ABORT, 'blocked pair') END; END");
}

/* Step an insert of parent (id, name) to its end: db_step's answer. */
static int insert_parent(int64_t id, const char *name)
{
	db_stmt *st = db_prepare(sql_insert_parent);
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, name);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

static void test_a_write_steps_to_done_and_counts_its_rows(void **state)
{
	(void)state;
	assert_int_equal(insert_parent(1, "one"), DB_DONE);
	assert_int_equal(db_changes(), 1);
	db_stmt *st = db_prepare("UPDATE t_parent SET name = name || ?1");
	db_bind_text(st, 1, "!");
	assert_int_equal(db_done(st), 0);
	assert_int_equal(db_changes(), 1);
}

static void test_a_unique_index_answers_taken(void **state)
{
	(void)state;
	assert_int_equal(insert_parent(1, "one"), DB_DONE);
	assert_int_equal(insert_parent(2, "one"), STORE_TAKEN);
	db_stmt *st = db_prepare(sql_insert_parent);
	db_bind_int64(st, 1, 3);
	db_bind_text(st, 2, "one");
	assert_int_equal(db_done(st), STORE_TAKEN);
	/* the statement is reset and usable again */
	assert_int_equal(insert_parent(3, "three"), DB_DONE);
}

static void test_a_foreign_key_to_a_row_gone_answers_gone(void **state)
{
	(void)state;
	assert_int_equal(insert_parent(1, "one"), DB_DONE);
	db_stmt *st = db_prepare(sql_insert_child);
	db_bind_int64(st, 1, 1);
	assert_int_equal(db_done(st), 0);
	st = db_prepare(sql_insert_child);
	db_bind_int64(st, 1, 2);
	assert_int_equal(db_step(st), STORE_GONE);
	db_reset(st);
}

static void test_a_refusing_trigger_answers_limit_or_blocked(void **state)
{
	(void)state;
	assert_int_equal(insert_parent(1, "limit"), STORE_LIMIT);
	/* the trigger's words (PostgreSQL's message wraps them) */
	assert_non_null(strstr(db_errmsg(), "too many"));
	assert_int_equal(insert_parent(2, "blocked"), STORE_BLOCKED);
	assert_int_equal(db_int64("SELECT count(*) FROM t_parent"
				  " WHERE ?1 = ?2",
				  0, 0),
			 0);
}

static void test_any_other_failure_is_an_error(void **state)
{
	(void)state;
	/* a primary key is not one of the answers: the schema uses unique
	 * indexes for those */
	assert_int_equal(insert_parent(1, "one"), DB_DONE);
	assert_int_equal(insert_parent(1, "uno"), STORE_ERROR);
	db_stmt *st = db_prepare("SELECT abs(?1)");
	db_bind_int64(st, 1, INT64_MIN); /* integer overflow */
	assert_int_equal(db_step(st), STORE_ERROR);
	db_reset(st);
}

static void test_a_null_reads_as_nothing(void **state)
{
	(void)state;
	db_stmt *st = db_prepare("SELECT NULL, ?1, x'', ?2");
	db_bind_null(st, 1);
	db_bind_blob(st, 2, "\0\1\2", 3);
	assert_int_equal(db_step(st), DB_ROW);
	for (int col = 0; col < 2; col++) {
		assert_true(db_column_is_null(st, col));
		assert_int_equal(db_column_int64(st, col), 0);
		assert_int_equal(db_column_int(st, col), 0);
		assert_true(db_column_double(st, col) == 0.0);
		assert_string_equal(db_text(st, col), "");
		assert_null(db_text_or_null(st, col));
		assert_null(db_column_blob(st, col));
		assert_int_equal(db_column_bytes(st, col), 0);
	}
	/* an empty blob is not NULL, though it has no bytes */
	assert_false(db_column_is_null(st, 2));
	assert_int_equal(db_column_bytes(st, 2), 0);
	assert_false(db_column_is_null(st, 3));
	assert_int_equal(db_column_bytes(st, 3), 3);
	assert_memory_equal(db_column_blob(st, 3), "\0\1\2", 3);
	assert_int_equal(db_step(st), DB_DONE);
	db_reset(st);
}

static void test_values_read_back_as_bound(void **state)
{
	(void)state;
	char word[] = "changing";
	db_stmt *st = db_prepare("SELECT ?1, ?2, ?3, ?4, ?5");
	assert_int_equal(db_param_count(st), 5);
	db_bind_int64(st, 1, INT64_MAX);
	db_bind_int(st, 2, -7);
	db_bind_double(st, 3, 0.25);
	db_bind_text_n(st, 4, "abcdef", 3);
	db_bind_text_copy(st, 5, word);
	word[0] = 'X'; /* the copy is the statement's */
	assert_int_equal(db_step(st), DB_ROW);
	assert_true(db_column_int64(st, 0) == INT64_MAX);
	assert_int_equal(db_column_int(st, 1), -7);
	assert_true(db_column_double(st, 2) == 0.25);
	assert_string_equal(db_text(st, 3), "abc");
	assert_int_equal(db_column_bytes(st, 3), 3);
	assert_string_equal(db_text(st, 4), "changing");
	db_reset(st);
}

static void test_the_cache_hands_a_statement_back_cleared(void **state)
{
	(void)state;
	static const char sql[] = "SELECT ?1 IS NULL";
	db_stmt *st = db_prepare(sql);
	db_bind_int64(st, 1, 5);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_int(st, 0), 0);
	/* left mid-rows, without a reset: db_prepare resets it */
	db_stmt *again = db_prepare(sql);
	assert_ptr_equal(again, st);
	assert_int_equal(db_step(again), DB_ROW);
	assert_int_equal(db_column_int(again, 0), 1);
	db_reset(again);
}

/* SQLite's own scalar max() and min() answer NULL when any argument is
 * NULL; the greatest() and least() db.c registers skip NULLs as
 * PostgreSQL's do, so a clamp means the same on both. */
static void test_greatest_and_least_skip_nulls_as_postgresql_does(void **state)
{
	(void)state;
	db_stmt *st = db_prepare("SELECT greatest(1, NULL, 3), least(2, NULL),"
				 " greatest(NULL, NULL), least(?1, 5)");
	db_bind_int64(st, 1, INT64_MIN);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_int64(st, 0), 3);
	assert_int_equal(db_column_int64(st, 1), 2);
	assert_true(db_column_is_null(st, 2));
	assert_true(db_column_int64(st, 3) == INT64_MIN);
	db_reset(st);
}

static void test_a_transaction_is_seen(void **state)
{
	(void)state;
	assert_false(db_in_transaction());
	assert_int_equal(db_begin(), 0);
	assert_true(db_in_transaction());
	assert_int_equal(insert_parent(1, "one"), DB_DONE);
	db_rollback();
	assert_false(db_in_transaction());
	assert_false(db_exists("SELECT 1 FROM t_parent WHERE id = ?1"
			       " AND ?2 = ?2",
			       1, 0));
}

/* Queue an insert of parent (id, name). */
static int queue_parent(int64_t id, const char *name)
{
	db_stmt *st = db_prepare(sql_insert_parent);
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, name);
	return db_queue(st);
}

static int64_t parents(void)
{
	return db_int64("SELECT count(*) FROM t_parent WHERE ?1 = ?2", 0, 0);
}

static void test_queued_writes_run_in_order_before_the_next_read(void **state)
{
	(void)state;
	assert_int_equal(db_begin(), 0);
	assert_int_equal(queue_parent(1, "one"), 0);
	db_stmt *st = db_prepare("UPDATE t_parent SET name = ?1 WHERE id = 1");
	db_bind_text(st, 1, "uno");
	assert_int_equal(db_queue(st), 0);
	assert_int_equal(queue_parent(2, "two"), 0);
	/* the read sees every queued write, in the order they were queued */
	assert_int_equal(
		db_int64("SELECT count(*) FROM t_parent"
			 " WHERE (id = ?1 AND name = 'uno') OR id = ?2",
			 1, 2),
		2);
	assert_int_equal(queue_parent(3, "three"), 0);
	assert_int_equal(db_commit(), 0);
	assert_false(db_in_transaction());
	assert_int_equal(parents(), 3);
}

static void
test_a_queued_failure_is_the_next_answer_and_nothing_stays(void **state)
{
	(void)state;
	/* the next statement that waits answers the queued one's failure */
	assert_int_equal(db_begin(), 0);
	assert_int_equal(queue_parent(1, "one"), 0);
	assert_true(queue_parent(2, "one") == 0 || !fixture_pg);
	if (fixture_pg) {
		db_stmt *st = db_prepare("SELECT count(*) FROM t_parent");
		assert_int_equal(db_step(st), STORE_TAKEN);
		db_reset(st);
	}
	db_rollback();
	assert_int_equal(parents(), 0);
	/* or the COMMIT's, which then commits nothing */
	assert_int_equal(db_begin(), 0);
	assert_int_equal(queue_parent(1, "one"), 0);
	int rc = queue_parent(2, "one");
	if (fixture_pg) {
		assert_int_equal(rc, 0);
		assert_int_equal(db_commit(), STORE_TAKEN);
	} else {
		assert_int_equal(rc, STORE_TAKEN); /* SQLite runs it now */
	}
	db_rollback();
	assert_false(db_in_transaction());
	assert_int_equal(parents(), 0);
	/* and the connection goes on */
	assert_int_equal(insert_parent(5, "five"), DB_DONE);
	assert_int_equal(parents(), 1);
}

static void test_a_write_that_lost_its_connection_commits_nothing(void **state)
{
	(void)state;
	if (!fixture_pg)
		skip(); /* SQLite has no connection to lose */
	assert_int_equal(db_begin(), 0);
	assert_int_equal(insert_parent(1, "one"), DB_DONE);
	int64_t pid = db_int64("SELECT pg_backend_pid() WHERE ?1 = ?2", 0, 0);
	PGconn *other = PQconnectdb(cfg.database_url);
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld, 5000)",
		 (long long)pid);
	PQclear(PQexec(other, sql));
	PQfinish(other);
	/* a read whose failure its caller takes for "no": the connection is
	 * made again under it */
	assert_false(db_exists("SELECT 1 FROM t_parent WHERE id = ?1"
			       " AND ?2 = ?2",
			       1, 0));
	/* what follows belongs to the lost transaction: not run alone */
	assert_true(insert_parent(2, "two") < 0);
	assert_true(queue_parent(3, "three") < 0);
	assert_true(db_commit() < 0);
	db_rollback();
	assert_false(db_in_transaction());
	assert_int_equal(parents(), 0);
	/* and the new connection serves the next transaction */
	assert_int_equal(db_begin(), 0);
	assert_int_equal(insert_parent(4, "four"), DB_DONE);
	assert_int_equal(db_commit(), 0);
	assert_int_equal(parents(), 1);
}

/* A notification on other (LISTENing to chorus) within a few seconds:
 * its payload, or NULL. */
static char *heard(PGconn *other)
{
	for (int i = 0; i < 300; i++) {
		PQconsumeInput(other);
		PGnotify *n = PQnotifies(other);
		if (n) {
			char *payload = strdup(n->extra);
			PQfreemem(n);
			return payload;
		}
		usleep(10000);
	}
	return NULL;
}

static void
test_a_notify_not_waited_for_goes_out_and_a_failed_one_passes(void **state)
{
	(void)state;
	if (!fixture_pg)
		skip(); /* the other processes hear through PostgreSQL */
	PGconn *other = PQconnectdb(cfg.database_url);
	PQclear(PQexec(other, "LISTEN chorus"));
	/* sent, not answered yet: the next command reads its answer */
	assert_int_equal(pg_notify("7", " hello"), 0);
	assert_int_equal(insert_parent(1, "one"), DB_DONE);
	char *got = heard(other);
	assert_non_null(got);
	assert_string_equal(got, "7 hello");
	free(got);
	/* PostgreSQL refuses a payload over 8000 bytes: the refusal is
	 * read (and logged) before the next command, which runs */
	static char big[9000];
	memset(big, 'x', sizeof big - 1);
	pg_notify("7", big);
	assert_int_equal(insert_parent(2, "two"), DB_DONE);
	assert_int_equal(db_begin(), 0);
	assert_int_equal(insert_parent(3, "three"), DB_DONE);
	assert_int_equal(db_commit(), 0);
	assert_int_equal(parents(), 3);
	/* and one sent last goes out without a command after it */
	assert_int_equal(pg_notify("7", " last"), 0);
	got = heard(other);
	assert_non_null(got);
	assert_string_equal(got, "7 last");
	free(got);
	PQfinish(other);
}

static void test_a_read_after_commit_sees_what_the_commit_left(void **state)
{
	(void)state;
	static const char sql_count[] =
		"SELECT count(*) FROM t_parent WHERE id > ?1";
	assert_int_equal(db_begin(), 0);
	assert_int_equal(insert_parent(1, "one"), DB_DONE);
	assert_int_equal(queue_parent(2, "two"), 0);
	db_stmt *st = db_prepare(sql_count);
	db_bind_int64(st, 1, 0);
	db_read_after_commit(st);
	assert_int_equal(db_commit(), 0);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_int64(st, 0), 2);
	assert_int_equal(db_step(st), DB_DONE);
	db_reset(st);
	/* dropped by a rollback: stepped, it reads then, as any read */
	assert_int_equal(db_begin(), 0);
	assert_int_equal(insert_parent(3, "three"), DB_DONE);
	st = db_prepare(sql_count);
	db_bind_int64(st, 1, 0);
	db_read_after_commit(st);
	db_rollback();
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_int64(st, 0), 2);
	db_reset(st);
	/* PostgreSQL: a transaction whose queued write failed commits
	 * nothing; the read, not kept, still reads when stepped */
	if (fixture_pg) {
		assert_int_equal(db_begin(), 0);
		assert_int_equal(queue_parent(1, "again"), 0); /* taken */
		st = db_prepare(sql_count);
		db_bind_int64(st, 1, 0);
		db_read_after_commit(st);
		assert_true(db_commit() < 0);
		db_rollback();
		assert_int_equal(db_step(st), DB_ROW);
		assert_int_equal(db_column_int64(st, 0), 2);
		db_reset(st);
	}
	/* and the next transaction is an ordinary one */
	assert_int_equal(db_begin(), 0);
	assert_int_equal(insert_parent(4, "four"), DB_DONE);
	assert_int_equal(db_commit(), 0);
	assert_int_equal(parents(), 3);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
#define T(f) cmocka_unit_test_setup_teardown(f, setup, store_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_a_write_steps_to_done_and_counts_its_rows),
		T(test_a_unique_index_answers_taken),
		T(test_a_foreign_key_to_a_row_gone_answers_gone),
		T(test_a_refusing_trigger_answers_limit_or_blocked),
		T(test_any_other_failure_is_an_error),
		T(test_a_null_reads_as_nothing),
		T(test_values_read_back_as_bound),
		T(test_the_cache_hands_a_statement_back_cleared),
		T(test_a_transaction_is_seen),
		T(test_greatest_and_least_skip_nulls_as_postgresql_does),
		T(test_queued_writes_run_in_order_before_the_next_read),
		T(test_a_queued_failure_is_the_next_answer_and_nothing_stays),
		T(test_a_write_that_lost_its_connection_commits_nothing),
		T(test_a_notify_not_waited_for_goes_out_and_a_failed_one_passes),
		T(test_a_read_after_commit_sees_what_the_commit_left),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
