/* test_jobs.c — the durable job queue and its workers, on a real
 * database file: a queued job runs once and leaves the table, a failing
 * one is retried later, one left running by a crash runs again, and
 * jobs_run_now runs a job on the caller's thread. On either backend
 * (store_fixture.h); on PostgreSQL, a job of a process that died is
 * found by the sweep while a live process's is left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "store/db.h"
#include "store/pg.h"
#include "store/store.h"
#include "store_fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { WAIT_MS = 10000 };

static _Atomic int runs, fail_first, last_nice;
static _Atomic int64_t also_arg; /* what also() was last given */
static _Atomic int64_t last_arg;
static pthread_t last_thread;

static int handler(int64_t arg, const char **error)
{
	int n = atomic_fetch_add(&runs, 1);
	atomic_store(&last_arg, arg);
	last_thread = pthread_self();
	atomic_store(&last_nice, getpriority(PRIO_PROCESS, (id_t)gettid()));
	if (n < atomic_load(&fail_first)) {
		*error = "failing on purpose";
		return -1;
	}
	return 0;
}

/* What finishing a "test_also" job also writes: a job of its own (the
 * arg negated), so the finish's transaction shows in the table. */
static int also(int64_t arg)
{
	atomic_store(&also_arg, arg);
	return store_job_enqueue("test_kept", -arg, time_now_ms() + 3600000);
}

/* The batches "test_batch" ran: each one's args, in the order given. */
enum { BATCHES_MAX = 16, BATCH_TEST_MAX = 4 };
static int64_t batches[BATCHES_MAX][STORE_JOB_BATCH_MAX];
static size_t batch_sizes[BATCHES_MAX];
static _Atomic int nbatches, also_runs;

/* Runs a batch; the job with arg 99 fails its first attempt. */
static void batch_handler(const int64_t *args, size_t n, int *rc,
			  const char **error)
{
	int b = atomic_fetch_add(&nbatches, 1);
	if (b < BATCHES_MAX) {
		memcpy(batches[b], args, n * sizeof *args);
		batch_sizes[b] = n;
	}
	for (size_t i = 0; i < n; i++) {
		rc[i] = args[i] == 99 && b == 0 ? -1 : 0;
		if (rc[i])
			error[i] = "failing on purpose";
	}
}

static int count_also(int64_t arg)
{
	(void)arg;
	atomic_fetch_add(&also_runs, 1);
	return 0;
}

static int setup(void **state)
{
	static bool registered;
	if (!registered) {
		jobs_register_with("test_also", handler, also);
		jobs_register("test", handler);
		jobs_register_batch("test_batch", batch_handler, count_also,
				    BATCH_TEST_MAX);
		registered = true;
	}
	atomic_store(&runs, 0);
	atomic_store(&fail_first, 0);
	return store_fixture_open("jobs");
}

static int teardown(void **state)
{
	jobs_stop();
	return store_fixture_teardown(state);
}

/* Wait until at least n runs happened and the job left the table. */
static bool wait_for(int n, int64_t arg)
{
	for (int ms = 0; ms < WAIT_MS; ms += 10) {
		if (atomic_load(&runs) >= n && !store_job_active("test", arg))
			return true;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_queued_job_runs_once_and_leaves_the_table(void **state)
{
	assert_int_equal(store_job_enqueue("test", 42, time_now_ms()), 0);
	assert_true(store_job_active("test", 42));
	assert_int_equal(jobs_start(2), 0);
	jobs_wake();
	assert_true(wait_for(1, 42));
	assert_int_equal(atomic_load(&runs), 1);
	assert_int_equal(atomic_load(&last_arg), 42);
}

/* One worker runs job after job, each finished in the next one's claim
 * (a busy worker's one write between two), and the last when it finds
 * no other; at a nice value below the requests'. */
static void test_busy_worker_runs_each_job_once_below_requests(void **state)
{
	/* the test's own thread keeps its value (the suite may run under
	 * nice) */
	int own_nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	for (int64_t arg = 1; arg <= 3; arg++)
		assert_int_equal(store_job_enqueue("test", arg, time_now_ms()),
				 0);
	assert_int_equal(jobs_start(1), 0);
	jobs_wake();
	assert_true(wait_for(3, 3));
	assert_false(store_job_active("test", 1));
	assert_false(store_job_active("test", 2));
	assert_int_equal(atomic_load(&runs), 3);
	assert_int_equal(atomic_load(&last_nice), JOBS_NICE);
	assert_int_equal(getpriority(PRIO_PROCESS, (id_t)gettid()), own_nice);
}

/* A kind's also() runs once, with the job's arg, as its job is finished:
 * by the worker's next claim, and by jobs_run_now at once. */
static void test_finishing_a_job_writes_its_kinds_also(void **state)
{
	atomic_store(&also_arg, 0);
	assert_int_equal(store_job_enqueue("test_also", 9, time_now_ms()), 0);
	assert_int_equal(jobs_start(1), 0);
	jobs_wake();
	for (int ms = 0; ms < WAIT_MS && store_job_active("test_also", 9);
	     ms += 10) {
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	assert_false(store_job_active("test_also", 9));
	assert_int_equal(atomic_load(&also_arg), 9);
	assert_true(store_job_active("test_kept", -9));
	jobs_stop();

	assert_int_equal(
		store_job_enqueue("test_also", 11, time_now_ms() + 3600000), 0);
	assert_true(jobs_run_now("test_also", 11, 1000));
	assert_int_equal(atomic_load(&also_arg), 11);
	assert_true(store_job_active("test_kept", -11));
}

/* A finish made in a claim's transaction is reported done: after it the
 * finished job's id may be a new job's (SQLite reuses the largest
 * rowid), which finishing "again" would delete unrun. */
static void test_a_job_finished_with_a_claim_is_not_finished_twice(void **state)
{
	arena a;
	arena_init(&a);
	assert_int_equal(store_job_enqueue("test", 1, time_now_ms()), 0);
	store_job j, next;
	assert_true(store_job_claim(&a, time_now_ms(), &j));
	store_job_done done = {.ids = {j.id}, .args = {j.arg}, .n = 1};
	assert_int_equal(store_job_finish_claim(&a, &done, time_now_ms(),
						STORE_JOBS_ANY, NULL, &next, 1),
			 0);
	assert_int_equal(done.n, 0);
	assert_false(store_job_active("test", 1));
	assert_int_equal(store_job_enqueue("test", 2, time_now_ms()), 0);
	assert_true(store_job_claim(&a, time_now_ms(), &next));
	if (!fixture_pg) /* the hazard itself */
		assert_int_equal(next.id, j.id);
	assert_int_equal(next.arg, 2);
	arena_release(&a);
}

static void test_failing_job_is_retried_later(void **state)
{
	atomic_store(&fail_first, 1);
	assert_int_equal(store_job_enqueue("test", 7, time_now_ms()), 0);
	assert_int_equal(jobs_start(1), 0);
	jobs_wake();
	int64_t t0 = time_now_ms();
	assert_true(wait_for(2, 7));
	/* the retry waits out its delay (2 s after the first attempt) */
	assert_true(time_now_ms() - t0 >= 1500);
	assert_int_equal(atomic_load(&runs), 2);
}

static void test_job_left_running_by_a_crash_runs_again(void **state)
{
	assert_int_equal(store_job_enqueue("test", 9, time_now_ms()), 0);
	arena a;
	arena_init(&a);
	store_job j;
	assert_true(store_job_claim(&a, time_now_ms(), &j)); /* then "crash" */
	arena_release(&a);
	assert_int_equal(j.arg, 9);
	assert_true(store_job_active("test", 9));
	assert_int_equal(jobs_start(1), 0); /* recovers it first */
	assert_true(wait_for(1, 9));
}

/* The state of the job with arg (1 running, 0 waiting), or 0. */
static int job_state(int64_t arg)
{
	return (int)db_int64("SELECT state FROM jobs WHERE arg = ?1", arg, 0);
}

static void test_dead_process_jobs_run_again_live_ones_stay(void **state)
{
	/* two running jobs: one this (live) process's, one claimed by a
	 * process that died after another took its place */
	arena a;
	arena_init(&a);
	store_job j;
	assert_int_equal(store_job_enqueue("test", 11, time_now_ms()), 0);
	assert_true(store_job_claim(&a, time_now_ms(), &j));
	assert_int_equal(store_job_enqueue("test", 12, time_now_ms()), 0);
	assert_true(store_job_claim(&a, time_now_ms(), &j));
	arena_release(&a);
	assert_int_equal(db_exec("UPDATE jobs SET node = 57 WHERE arg = 12"),
			 0);
	assert_int_equal(store_jobs_orphans(), 0);
	if (fixture_pg) {
		assert_int_equal(job_state(11), 1); /* its process lives */
		assert_int_equal(job_state(12), 0); /* node 57's is gone */
	} else { /* one process: a sweep never touches running jobs */
		assert_int_equal(job_state(11), 1);
		assert_int_equal(job_state(12), 1);
	}
}

static void test_run_now_runs_the_job_on_the_calling_thread(void **state)
{
	/* due in an hour: no worker would touch it yet */
	assert_int_equal(store_job_enqueue("test", 5, time_now_ms() + 3600000),
			 0);
	assert_int_equal(jobs_start(1), 0);
	assert_true(jobs_run_now("test", 5, 1000));
	assert_int_equal(atomic_load(&runs), 1);
	assert_true(pthread_equal(last_thread, pthread_self()));
	assert_false(store_job_active("test", 5));
	/* nothing left to run: true at once */
	assert_true(jobs_run_now("test", 5, 1000));
}

/* A kind registered for batches is claimed BATCH_TEST_MAX jobs at a
 * time, in the order queued, and each job done is finished once (its
 * also run); one that fails in a batch is tried again on its own, the
 * others not. */
static void test_jobs_of_a_batch_kind_run_together(void **state)
{
	atomic_store(&nbatches, 0);
	atomic_store(&also_runs, 0);
	const int64_t args[] = {1, 2, 99, 4, 5, 6};
	size_t nargs = sizeof args / sizeof *args;
	for (size_t i = 0; i < nargs; i++)
		assert_int_equal(
			store_job_enqueue("test_batch", args[i], time_now_ms()),
			0);
	assert_int_equal(jobs_start(1), 0);
	jobs_wake();
	for (int ms = 0; ms < WAIT_MS && (atomic_load(&also_runs) < 6 ||
					  store_job_active("test_batch", 99));
	     ms += 10) {
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	jobs_stop();
	assert_int_equal(atomic_load(&also_runs), 6);
	for (size_t i = 0; i < nargs; i++)
		assert_false(store_job_active("test_batch", args[i]));
	/* 1 2 99 4, then 5 6, then 99 again after its delay */
	assert_int_equal(atomic_load(&nbatches), 3);
	assert_int_equal(batch_sizes[0], BATCH_TEST_MAX);
	assert_memory_equal(batches[0], args, BATCH_TEST_MAX * sizeof *args);
	assert_int_equal(batch_sizes[1], 2);
	assert_memory_equal(batches[1], args + 4, 2 * sizeof *args);
	assert_int_equal(batch_sizes[2], 1);
	assert_int_equal(batches[2][0], 99);
}

int main(void)
{
#define JOB_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	config_defaults();
	const struct CMUnitTest tests[] = {
		JOB_TEST(test_queued_job_runs_once_and_leaves_the_table),
		JOB_TEST(test_busy_worker_runs_each_job_once_below_requests),
		JOB_TEST(test_finishing_a_job_writes_its_kinds_also),
		JOB_TEST(
			test_a_job_finished_with_a_claim_is_not_finished_twice),
		JOB_TEST(test_failing_job_is_retried_later),
		JOB_TEST(test_job_left_running_by_a_crash_runs_again),
		JOB_TEST(test_run_now_runs_the_job_on_the_calling_thread),
		JOB_TEST(test_dead_process_jobs_run_again_live_ones_stay),
		JOB_TEST(test_jobs_of_a_batch_kind_run_together),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
