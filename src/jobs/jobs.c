#include "jobs/jobs.h"

#include "core/arena.h"
#include "core/cache.h"
#include "core/log.h"
#include "core/time.h"
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum {
	JOBS_MAX = 16,
	JOBS_MAX_WORKERS = 16,
	JOBS_ATTEMPTS = 5,	  /* then the job is kept as failed */
	JOBS_IDLE_MS = 1000,	  /* how long an idle worker sleeps */
	JOBS_LINGER_MS = 10,	  /* after a batch short of its kind's max */
	JOBS_WAIT_STEP_MS = 50,	  /* jobs_run_now polling a busy job */
	JOBS_ORPHAN_SWEEP_S = 10, /* looking for a dead process's jobs */
};

static struct {
	const char *kind;
	jobs_handler fn;
	jobs_batch_handler batch;
	size_t max; /* jobs a claim takes */
	jobs_also also;
} handlers[JOBS_MAX];
static int nhandlers;

static struct {
	int period_s;
	jobs_periodic fn;
	int64_t next_ms;
} periodic[JOBS_MAX];
static int nperiodic;

/* Workers of two kinds: the lane's run only jobs of its kind, the
 * others any kind but the lane's. Each has its own wake-ups, so a job
 * for one does not wake the other to find nothing. */
enum { GENERAL, LANE };
static const char *lane_kind; /* NULL: no lane, all workers general */
static int lane_workers;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake[2] = {PTHREAD_COND_INITIALIZER,
				 PTHREAD_COND_INITIALIZER};
static pthread_t workers[JOBS_MAX_WORKERS];
static int nworkers;
static bool stopping;
static int wakes[2]; /* wake-ups not yet seen by a worker of each */
/* since start: attempts that failed, and jobs given up on */
static _Atomic uint64_t attempts_failed, jobs_failed;

void jobs_get_stats(jobs_stats *out)
{
	out->attempts_failed = atomic_load(&attempts_failed);
	out->failed = atomic_load(&jobs_failed);
}

static void add_handler(const char *kind, jobs_handler fn,
			jobs_batch_handler batch, jobs_also also, size_t max)
{
	if (nhandlers < JOBS_MAX) {
		handlers[nhandlers].kind = kind;
		handlers[nhandlers].fn = fn;
		handlers[nhandlers].batch = batch;
		handlers[nhandlers].also = also;
		handlers[nhandlers++].max = max;
	}
}

void jobs_register_with(const char *kind, jobs_handler fn, jobs_also also)
{
	add_handler(kind, fn, NULL, also, 1);
}

void jobs_register(const char *kind, jobs_handler fn)
{
	jobs_register_with(kind, fn, NULL);
}

void jobs_register_batch(const char *kind, jobs_batch_handler fn,
			 jobs_also also, size_t max)
{
	if (max < 1)
		max = 1;
	if (max > STORE_JOB_BATCH_MAX)
		max = STORE_JOB_BATCH_MAX;
	add_handler(kind, NULL, fn, also, max);
}

void jobs_every(int period_s, jobs_periodic fn)
{
	if (nperiodic < JOBS_MAX) {
		periodic[nperiodic].period_s = period_s;
		periodic[nperiodic++].fn = fn;
	}
}

/* kind's handlers' index, or -1 when none. */
static int handler_of(const char *kind)
{
	for (int i = 0; i < nhandlers; i++)
		if (!strcmp(handlers[i].kind, kind))
			return i;
	return -1;
}

/* How many jobs of kind a claim takes (store_job_batch). */
static size_t batch_of(const char *kind)
{
	int h = handler_of(kind);
	return h < 0 ? 1 : handlers[h].max;
}

/* A run of job j failed with error: tried again later, or kept as
 * failed after JOBS_ATTEMPTS. */
static void failed(const store_job *j, const char *error)
{
	log_error("job %lld (%s %lld) attempt %d failed: %s", (long long)j->id,
		  j->kind, (long long)j->arg, j->attempts, error ? error : "?");
	atomic_fetch_add(&attempts_failed, 1);
	if (j->attempts >= JOBS_ATTEMPTS) {
		atomic_fetch_add(&jobs_failed, 1);
		store_job_fail(j->id, error);
		return;
	}
	/* 2, 4, 8, 16 s: a busy disk or a restart gets time to pass */
	int64_t delay_ms = (int64_t)1000 << j->attempts;
	store_job_retry(j->id, time_now_ms() + delay_ms, error);
}

/* Run n claimed jobs, all of one kind, and record the outcomes: the
 * ones done are added to done (finished by the caller, with their
 * kind's also). True when they were a batch short of its kind's max. */
static bool run(const store_job *j, size_t n, store_job_done *done)
{
	int h = handler_of(j->kind);
	if (h < 0) {
		for (size_t i = 0; i < n; i++) {
			atomic_fetch_add(&attempts_failed, 1);
			atomic_fetch_add(&jobs_failed, 1);
			store_job_fail(j[i].id, "no handler for this kind");
		}
		return false;
	}
	int rc[STORE_JOB_BATCH_MAX];
	const char *error[STORE_JOB_BATCH_MAX] = {0};
	if (handlers[h].batch) {
		int64_t args[STORE_JOB_BATCH_MAX] = {0};
		for (size_t i = 0; i < n; i++)
			args[i] = j[i].arg;
		handlers[h].batch(args, n, rc, error);
	} else {
		for (size_t i = 0; i < n; i++)
			rc[i] = handlers[h].fn(j[i].arg, &error[i]);
	}
	done->also = handlers[h].also;
	for (size_t i = 0; i < n; i++) {
		if (rc[i] != 0) {
			failed(&j[i], error[i]);
			continue;
		}
		done->ids[done->n] = j[i].id;
		done->args[done->n++] = j[i].arg;
	}
	return handlers[h].batch && n < handlers[h].max;
}

/* The first periodic task that is due, marked as run; NULL when none. */
static jobs_periodic take_due(int64_t now)
{
	jobs_periodic fn = NULL;
	/* once per instance, however many processes serve it */
	if (!store_leader())
		return NULL;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < nperiodic && !fn; i++)
		if (periodic[i].next_ms <= now) {
			periodic[i].next_ms =
				now + (int64_t)periodic[i].period_s * 1000;
			fn = periodic[i].fn;
		}
	pthread_mutex_unlock(&lock);
	return fn;
}

static void sleep_idle(int side)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += JOBS_IDLE_MS / 1000;
	pthread_mutex_lock(&lock);
	while (!stopping && wakes[side] == 0)
		if (pthread_cond_timedwait(&wake[side], &lock, &until))
			break;
	if (wakes[side] > 0)
		wakes[side]--;
	pthread_mutex_unlock(&lock);
}

static bool should_stop(void)
{
	pthread_mutex_lock(&lock);
	bool s = stopping;
	pthread_mutex_unlock(&lock);
	return s;
}

static void *worker_main(void *arg)
{
	int side = arg ? LANE : GENERAL;
	/* a job is nobody's wait: on two cores, a post's fan-out (1 000
	 * deliveries written) ran beside the request that queued it and
	 * slowed it; below the request threads, the scheduler gives jobs
	 * the time requests leave, a third of a core's weight when both
	 * want it (Linux: a thread's own nice value) */
	setpriority(PRIO_PROCESS, (id_t)gettid(), JOBS_NICE);
	arena a;
	arena_init(&a);
	/* the jobs run, finished with the next claim */
	store_job_done done = {0};
	store_job j[STORE_JOB_BATCH_MAX];
	while (!should_stop()) {
		jobs_periodic due =
			side == GENERAL ? take_due(time_now_ms()) : NULL;
		if (due)
			due();
		size_t got = store_job_finish_claim(
			&a, &done, time_now_ms(),
			!lane_kind     ? STORE_JOBS_ANY
			: side == LANE ? STORE_JOBS_LANE
				       : STORE_JOBS_GENERAL,
			batch_of, j, STORE_JOB_BATCH_MAX);
		if (done.n) /* the claim failed: on its own */
			store_job_finish_done(&done);
		done.n = 0;
		/* each run is a unit of reading: what the caches kept for
		 * this thread before (a reader's relations) is checked
		 * again, as at a request's start. After a batch short of
		 * its max, the flood behind it, if any, is let gather a
		 * moment, so a thousand activities a second take the write
		 * lock, and change what readers see (every kept answer),
		 * tens of times a second, not a thousand; after the batch,
		 * so a lone one never waits. */
		if (got) {
			cache_request_begin();
			if (run(j, got, &done)) {
				struct timespec ts = {0, JOBS_LINGER_MS *
								 1000000L};
				nanosleep(&ts, NULL);
			}
		}
		arena_release(&a);
		if (!got)
			sleep_idle(side);
	}
	store_job_finish_done(&done);
	arena_release(&a);
	store_thread_close();
	return NULL;
}

static void sweep_orphans(void)
{
	store_jobs_orphans();
}

int jobs_start(int n)
{
	if (n > JOBS_MAX_WORKERS)
		n = JOBS_MAX_WORKERS;
	if (store_jobs_recover() < 0)
		return -1;
	/* once: a restarted server's jobs_start runs again */
	static bool sweeping;
	if (!sweeping) {
		jobs_every(JOBS_ORPHAN_SWEEP_S, sweep_orphans);
		sweeping = true;
	}
	stopping = false;
	int lane = lane_kind ? lane_workers : 0;
	if (lane > JOBS_MAX_WORKERS - n)
		lane = JOBS_MAX_WORKERS - n;
	for (nworkers = 0; nworkers < n + lane; nworkers++)
		if (pthread_create(&workers[nworkers], NULL, worker_main,
				   nworkers < n ? NULL : (void *)lane_kind)) {
			log_error("cannot start job worker %d", nworkers);
			jobs_stop();
			return -1;
		}
	return 0;
}

void jobs_lane(int n)
{
	lane_kind = STORE_JOB_LANE;
	lane_workers = n < 1 ? 1 : n;
}

void jobs_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&wake[GENERAL]);
	pthread_cond_broadcast(&wake[LANE]);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	nworkers = 0;
}

static void wake_side(int side)
{
	pthread_mutex_lock(&lock);
	wakes[side]++;
	pthread_cond_signal(&wake[side]);
	pthread_mutex_unlock(&lock);
}

void jobs_wake(void)
{
	wake_side(GENERAL);
}

void jobs_wake_lane(void)
{
	wake_side(lane_kind ? LANE : GENERAL);
}

bool jobs_run_now(const char *kind, int64_t arg, int64_t wait_ms)
{
	arena a;
	arena_init(&a);
	store_job j;
	bool mine = store_job_claim_for(&a, kind, arg, &j);
	if (mine) {
		store_job_done done = {0};
		(void)run(&j, 1, &done);
		store_job_finish_done(&done);
	}
	arena_release(&a);
	if (mine)
		return true;
	/* a worker has it: wait for it to leave the table or fail */
	for (int64_t waited = 0; waited < wait_ms;
	     waited += JOBS_WAIT_STEP_MS) {
		if (!store_job_active(kind, arg))
			return true;
		struct timespec ts = {0, JOBS_WAIT_STEP_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	return false;
}
