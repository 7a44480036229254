/* feed.c — replies that outlive their request: upgraded connections
 * (WebSocket) and bodies another thread writes (server-sent events).
 *
 * A feed is shared by two owners: libmicrohttpd, which reads it while the
 * response is being sent and frees its end when the connection goes, and
 * the writer. Whoever lets go last frees it. While nothing is pending the
 * reader suspends the connection (libmicrohttpd allows that from a content
 * reader) and the next write resumes it, so an idle stream costs a socket
 * and this struct, never a thread. */
#include "http/http.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { FEED_BLOCK = 16 * 1024 };

struct http_feed {
	pthread_mutex_t lock;
	struct MHD_Connection *conn;
	char *data;
	size_t off, len, cap, max_pending;
	int refs;	/* 2 while both ends hold it */
	bool suspended; /* by the reader, waiting for bytes */
	bool closing;	/* the writer is done: end after what is pending */
	bool gone;	/* libmicrohttpd let go: the client left */
};

static void feed_unref(http_feed *f)
{
	pthread_mutex_lock(&f->lock);
	bool last = --f->refs == 0;
	pthread_mutex_unlock(&f->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f->data);
	free(f);
}

static ssize_t feed_read(void *cls, uint64_t pos, char *out, size_t max)
{
	http_feed *f = cls;
	(void)pos;
	pthread_mutex_lock(&f->lock);
	size_t n = f->len - f->off;
	if (n > max)
		n = max;
	ssize_t ret;
	if (n) {
		memcpy(out, f->data + f->off, n);
		f->off += n;
		if (f->off == f->len)
			f->off = f->len = 0;
		ret = (ssize_t)n;
	} else if (f->closing) {
		ret = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		f->suspended = true;
		MHD_suspend_connection(f->conn);
		ret = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static void feed_gone(void *cls)
{
	http_feed *f = cls;
	pthread_mutex_lock(&f->lock);
	f->gone = true;
	pthread_mutex_unlock(&f->lock);
	feed_unref(f);
}

/* Resume the reader if it waits; the caller holds the lock. */
static void feed_wake(http_feed *f)
{
	if (f->suspended && !f->gone) {
		f->suspended = false;
		MHD_resume_connection(f->conn);
	}
}

http_feed *http_reply_feed(http_req *r, int status, const char *content_type,
			   size_t max_pending)
{
	http_feed *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->conn = r->conn;
	f->max_pending = max_pending;
	f->refs = 2;
	http_reply_raw(r, status, content_type, NULL, 0);
	r->feed = f;
	return f;
}

struct MHD_Response *http_feed_response(http_req *r)
{
	http_feed *f = r->feed;
	r->feed = NULL; /* the response owns libmicrohttpd's end now */
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, FEED_BLOCK, feed_read, f, feed_gone);
	if (!resp)
		feed_gone(f); /* as if the client had left */
	return resp;
}

int http_feed_write(http_feed *f, const char *data, size_t len)
{
	pthread_mutex_lock(&f->lock);
	int rc = -1;
	if (f->gone || f->closing)
		goto out;
	size_t pending = f->len - f->off;
	if (pending + len > f->max_pending) {
		f->closing = true; /* too slow: what is queued goes, then
				    * the body ends */
		feed_wake(f);
		goto out;
	}
	if (f->off && f->len + len > f->cap) { /* slide the unsent bytes */
		memmove(f->data, f->data + f->off, pending);
		f->off = 0;
		f->len = pending;
	}
	if (f->len + len > f->cap) {
		size_t cap = f->cap ? f->cap : 1024;
		while (cap < f->len + len)
			cap *= 2;
		char *more = realloc(f->data, cap);
		if (!more)
			goto out;
		f->data = more;
		f->cap = cap;
	}
	memcpy(f->data + f->len, data, len);
	f->len += len;
	feed_wake(f);
	rc = 0;
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void http_feed_close(http_feed *f)
{
	pthread_mutex_lock(&f->lock);
	f->closing = true;
	feed_wake(f);
	pthread_mutex_unlock(&f->lock);
	feed_unref(f);
}

/* ---- upgrades ---- */

struct http_upgrade {
	http_upgrade_fn fn;
	void (*drop)(void *ctx);
	void *ctx;
};

void http_reply_upgrade(http_req *r, http_upgrade_fn fn, void (*drop)(void *),
			void *ctx)
{
	struct http_upgrade *u = arena_alloc(&r->arena, sizeof *u);
	u->fn = fn;
	u->drop = drop;
	u->ctx = ctx;
	http_reply_raw(r, 101, NULL, NULL, 0);
	r->upgrade = u;
}

/* The upgrade will never happen: give ctx back to its owner. */
static void upgrade_abandon(struct http_upgrade *u, bool heap)
{
	if (u->drop)
		u->drop(u->ctx);
	if (heap)
		free(u);
}

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls,
			const char *extra, size_t extra_len, MHD_socket sock,
			struct MHD_UpgradeResponseHandle *urh)
{
	struct http_upgrade *u = cls;
	http_req *r = con_cls;
	(void)conn;
	r->upgrade_sent = NULL; /* delivered */
	/* logged (with the client's address, read from the connection)
	 * before the socket goes to another thread, which may close it */
	http_request_upgraded(r);
	u->fn(sock, extra, extra_len, urh, u->ctx);
	free(u);
}

struct MHD_Response *http_upgrade_response(http_req *r)
{
	/* the callback runs after the request's arena may be gone */
	struct http_upgrade *u = malloc(sizeof *u);
	struct MHD_Response *resp = NULL;
	if (u) {
		*u = *r->upgrade;
		resp = MHD_create_response_for_upgrade(on_upgraded, u);
	}
	if (!resp) {
		upgrade_abandon(r->upgrade, false);
		free(u);
	} else {
		r->upgrade_sent = u; /* until on_upgraded takes it */
	}
	r->upgrade = NULL;
	return resp;
}

void http_long_reply_done(http_req *r, bool queued)
{
	/* not queued, or the request ended without the upgrade (the client
	 * left before the 101 went out): on_upgraded will never run */
	if (!queued && r->upgrade_sent)
		upgrade_abandon(r->upgrade_sent, true);
	if (!queued)
		r->upgrade_sent = NULL;
	if (r->upgrade) /* chosen but never made a response */
		upgrade_abandon(r->upgrade, false);
	r->upgrade = NULL;
	if (r->feed) /* chosen but never sent */
		feed_gone(r->feed);
	r->feed = NULL;
}

void http_upgraded_close(void *handle)
{
	MHD_upgrade_action(handle, MHD_UPGRADE_ACTION_CLOSE);
}
