/* jobs.h — background workers over the durable jobs table.
 *
 * Work that must not hold a request (video transcoding) is written to the
 * jobs table in the same transaction as the data it concerns, so it
 * survives a crash or restart; worker threads claim due jobs, run the
 * handler registered for their kind and delete them when done. A failing
 * job is retried with a growing delay, then kept as failed. */
#ifndef CHORUS_JOBS_H
#define CHORUS_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A handler: 0 when the job is done (successfully or for good), -1 to try
 * again later; *error (static) says why. */
typedef int (*jobs_handler)(int64_t arg, const char **error);
typedef void (*jobs_periodic)(void);

/* Register before jobs_start: the handler of kind, and work to run every
 * period_s seconds on a worker (at most JOBS_MAX of each). */
void jobs_register(const char *kind, jobs_handler fn);
/* The same, with what finishing one of its jobs also writes, in the
 * finish's transaction (a job's own row of work let go with it): also
 * (the job's arg) gives 0 or -1. */
typedef int (*jobs_also)(int64_t arg);
void jobs_register_with(const char *kind, jobs_handler fn, jobs_also also);
/* A handler of jobs taken together: runs the n jobs whose args are
 * given, in that order, and sets each one's rc (0 done, -1 try again
 * later) and error (static; when -1). */
typedef void (*jobs_batch_handler)(const int64_t *args, size_t n, int *rc,
				   const char **error);
/* Register kind as run up to max jobs at a time (at most
 * STORE_JOB_BATCH_MAX): one claim takes them, fn runs them, and one
 * write finishes them; also as in jobs_register_with. */
void jobs_register_batch(const char *kind, jobs_batch_handler fn,
			 jobs_also also, size_t max);
void jobs_every(int period_s, jobs_periodic fn);
/* Before jobs_start: jobs of the store's STORE_JOB_LANE kind (the
 * deliveries, which its indexes know apart) run on n workers of their
 * own, and the others never run them, so a slow job of one sort (a
 * delivery waiting on a server that does not answer, a video
 * transcoded) does not hold up the other sort. */
void jobs_lane(int n);
/* The nice value of the worker threads, below the request threads' (0):
 * jobs get the time requests leave (a third of a core's weight when
 * both want it). */
enum { JOBS_NICE = 5 };

/* Start n worker threads, and the lane's (jobs left running by a crash
 * wait again first). 0 or -1. */
int jobs_start(int n);
/* Ask the workers to stop after their current job, and join them. */
void jobs_stop(void);
/* A job was queued: wake a sleeping worker now; one of the lane's for
 * a job of the lane's kind. */
void jobs_wake(void);
void jobs_wake_lane(void);
/* Claim the waiting job (kind, arg) and run it on the calling thread;
 * when a worker already has it, wait up to wait_ms for it to finish.
 * True when the job is no longer waiting or running. */
bool jobs_run_now(const char *kind, int64_t arg, int64_t wait_ms);

/* What the workers saw since the process started (for /metrics): attempts
 * that failed (each retry's failure counts), and jobs kept as failed. */
typedef struct jobs_stats {
	uint64_t attempts_failed;
	uint64_t failed;
} jobs_stats;
void jobs_get_stats(jobs_stats *out);

#endif
