#include "media/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum {
	PROC_READ_CHUNK = 16384,   /* bytes read per wakeup */
	PROC_FIRST_CAP = 4096,	   /* first allocation of a capture */
	PROC_FALLBACK_TICK_MS = 20 /* exit polling without a pidfd */
};

/* One captured stream: the read end of its pipe and what was kept. */
typedef struct proc_capture {
	int fd; /* -1 once at EOF (or never opened) */
	bool keep;
	char *data;
	size_t len, cap, max;
} proc_capture;

static int64_t proc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A close-on-exec pipe whose ends are above stdio, so the dup2 onto 0..2
 * in the child can never collide with them; the read end is nonblocking. */
static int proc_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (fds[i] > STDERR_FILENO)
			continue;
		int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		close(fds[i]);
		fds[i] = moved;
	}
	if (fds[0] < 0 || fds[1] < 0 ||
	    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK) != 0) {
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return -1;
	}
	return 0;
}

static void proc_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Keep what fits under c->max; when memory runs out the rest is dropped
 * like any overflow. */
static void proc_keep(proc_capture *c, const char *bytes, size_t n)
{
	if (!c->keep || c->len >= c->max)
		return;
	if (n > c->max - c->len)
		n = c->max - c->len;
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : PROC_FIRST_CAP;
		while (cap < c->len + n + 1)
			cap *= 2;
		if (cap > c->max + 1)
			cap = c->max + 1;
		char *grown = realloc(c->data, cap);
		if (!grown) {
			c->max = c->len;
			return;
		}
		c->data = grown;
		c->cap = cap;
	}
	memcpy(c->data + c->len, bytes, n);
	c->len += n;
}

/* Read what is available; closes the fd at EOF or on a hard error. */
static void proc_drain(proc_capture *c)
{
	char chunk[PROC_READ_CHUNK];
	for (;;) {
		ssize_t n = read(c->fd, chunk, sizeof chunk);
		if (n > 0) {
			proc_keep(c, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		proc_close(&c->fd);
		return;
	}
}

/* The capture's string for the caller (ownership passes), or NULL. */
static char *proc_take(proc_capture *c)
{
	if (!c->keep)
		return NULL;
	if (!c->data)
		c->data = malloc(1);
	if (c->data)
		c->data[c->len] = '\0';
	return c->data;
}

/* Whether the child has exited, leaving it a zombie (not reaped), so its
 * pid, and with it the process group id, cannot be reused yet. */
static bool proc_has_exited(pid_t pid)
{
	siginfo_t info = {0};
	if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
		return errno != EINTR; /* ECHILD: nothing left to wait for */
	return info.si_pid == pid;
}

static pid_t proc_spawn(char *const argv[], int out_fd, int err_fd)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, all;
	pid_t pid = -1;

	if (posix_spawn_file_actions_init(&actions) != 0)
		return -1;
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&actions);
		return -1;
	}
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	/* The server may block or ignore signals (SIGPIPE above all); the
	 * child starts from defaults, in a group of its own. */
	int rc = posix_spawnattr_setflags(
		&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
			       POSIX_SPAWN_SETSIGDEF);
	rc = rc ? rc : posix_spawnattr_setpgroup(&attr, 0);
	rc = rc ? rc : posix_spawnattr_setsigmask(&attr, &none);
	rc = rc ? rc : posix_spawnattr_setsigdefault(&attr, &all);
	rc = rc ? rc
		: posix_spawn_file_actions_addopen(&actions, STDIN_FILENO,
						   "/dev/null", O_RDONLY, 0);
	if (!rc && out_fd >= 0)
		rc = posix_spawn_file_actions_adddup2(&actions, out_fd,
						      STDOUT_FILENO);
	else if (!rc)
		rc = posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO,
						      "/dev/null", O_WRONLY, 0);
	if (!rc && err_fd >= 0)
		rc = posix_spawn_file_actions_adddup2(&actions, err_fd,
						      STDERR_FILENO);
	else if (!rc)
		rc = posix_spawn_file_actions_addopen(&actions, STDERR_FILENO,
						      "/dev/null", O_WRONLY, 0);
	if (!rc &&
	    posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ) != 0)
		pid = -1;
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	return pid;
}

/* Poll the open pipes (and the pidfd while the child runs) until both
 * pipes hit EOF after the child exited, or the deadline passes. Returns
 * false on timeout. The child is never reaped here. */
static bool proc_wait_output(pid_t pid, int pidfd, proc_capture caps[2],
			     int64_t deadline)
{
	bool exited = false;
	for (;;) {
		if (!exited && proc_has_exited(pid)) {
			exited = true;
			/* Whatever it left behind in its group goes too, so
			 * a straggler holding our pipes cannot stall EOF. */
			kill(-pid, SIGKILL);
		}
		if (exited && caps[0].fd < 0 && caps[1].fd < 0)
			return true;

		int wait_ms = -1;
		if (deadline) {
			int64_t left = deadline - proc_now_ms();
			if (left <= 0)
				return false;
			wait_ms = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		struct pollfd pfd[3];
		nfds_t n = 0;
		for (int i = 0; i < 2; i++)
			if (caps[i].fd >= 0)
				pfd[n++] =
					(struct pollfd){caps[i].fd, POLLIN, 0};
		if (!exited && pidfd >= 0)
			pfd[n++] = (struct pollfd){pidfd, POLLIN, 0};
		else if (!exited &&
			 (wait_ms < 0 || wait_ms > PROC_FALLBACK_TICK_MS))
			wait_ms = PROC_FALLBACK_TICK_MS;

		if (poll(pfd, n, wait_ms) < 0 && errno != EINTR)
			return false;
		for (int i = 0; i < 2; i++)
			if (caps[i].fd >= 0)
				proc_drain(&caps[i]);
	}
}

int proc_run(char *const argv[], int timeout_ms, char **out, char **errout,
	     size_t max_out)
{
	proc_capture caps[2] = {
		{.fd = -1, .keep = out != NULL, .max = max_out},
		{.fd = -1, .keep = errout != NULL, .max = max_out}};
	int child_ends[2] = {-1, -1};
	if (out)
		*out = NULL;
	if (errout)
		*errout = NULL;

	for (int i = 0; i < 2; i++) {
		int fds[2];
		if (!caps[i].keep)
			continue;
		if (proc_pipe(fds) != 0) {
			proc_close(&caps[0].fd);
			proc_close(&child_ends[0]);
			return PROC_SPAWN_FAILED;
		}
		caps[i].fd = fds[0];
		child_ends[i] = fds[1];
	}
	int64_t deadline = timeout_ms > 0 ? proc_now_ms() + timeout_ms : 0;
	pid_t pid = proc_spawn(argv, child_ends[0], child_ends[1]);
	proc_close(&child_ends[0]);
	proc_close(&child_ends[1]);
	if (pid < 0) {
		proc_close(&caps[0].fd);
		proc_close(&caps[1].fd);
		return PROC_SPAWN_FAILED;
	}

	int pidfd = pidfd_open(pid, 0); /* -1 on old kernels: we tick */
	bool finished = proc_wait_output(pid, pidfd, caps, deadline);
	if (!finished)
		kill(-pid, SIGKILL); /* pid is unreaped, so still our group */
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	proc_close(&caps[0].fd);
	proc_close(&caps[1].fd);
	if (out)
		*out = proc_take(&caps[0]);
	if (errout)
		*errout = proc_take(&caps[1]);

	if (!finished)
		return PROC_TIMEOUT;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return PROC_SIGNALLED;
}
