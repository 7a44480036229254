/* proc.h — run an external program with a time limit, without a shell.
 *
 * Used to run ffprobe/ffmpeg on uploads. The child gets its own process
 * group so a timeout can kill everything it started, its pipes are
 * close-on-exec so concurrent spawns from other threads never inherit
 * them, and it is always reaped before proc_run returns. */
#ifndef CHORUS_PROC_H
#define CHORUS_PROC_H

#include <stddef.h>

enum {
	PROC_SPAWN_FAILED = -1, /* could not start (e.g. not on PATH) */
	PROC_TIMEOUT = -2,	/* ran past the limit; its group was killed */
	PROC_SIGNALLED = -3,	/* died of a signal */
};

/* Run argv (argv[0] looked up on PATH) with stdin from /dev/null, in its
 * own process group, and wait for it. Returns its exit status 0..255 or a
 * PROC_* code. timeout_ms <= 0 means no limit; on overrun the whole group
 * gets SIGKILL and is reaped.
 *
 * Stdout goes to *out, stderr to *errout: each a malloc'd NUL-terminated
 * string the caller frees, keeping at most max_out bytes (the rest is read
 * and dropped so the child never blocks). They are set on every return,
 * to NULL when the program did not start. A NULL out or errout discards
 * that stream. Thread-safe; relies on SIGCHLD not being ignored. */
int proc_run(char *const argv[], int timeout_ms, char **out, char **errout,
	     size_t max_out);

#endif
