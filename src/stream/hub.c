/* hub.c — the streaming thread.
 *
 * One thread owns every stream: WebSocket sockets in an epoll set, SSE
 * feeds (http/feed.c) it writes to. Domain events arrive on a queue; for
 * each, the thread loads and renders the status or notification once,
 * finds the subscriptions it concerns through an index (public kinds,
 * hashtag keys, account ids) and queues the same bytes to every one of
 * them: a WebSocket frame is built once per stream name and shared by
 * reference, so 5 000 clients on a hashtag cost 5 000 pointers, not 5 000
 * copies. A client whose unsent bytes pass [streaming] max_queue_bytes is
 * dropped, not buffered without bound; one silent for three heartbeats is
 * dropped too. Heartbeats are WebSocket pings and SSE comments.
 *
 * A stream lives no longer than its session. Every token deletion, by
 * any process (the CLI too), moves the token revision, a counter a
 * trigger bumps: the thread reads it before each event, every
 * [streaming] session_check_ms, and at once on a revocation this process
 * made (EVENT_SESSIONS_ENDED); when it moved, it re-checks which tokens
 * of its streams still exist — one query for all of them. So no event
 * committed after a revocation reaches the revoked stream. */
#include "stream/stream.h"

#include "core/config.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "domain/domain.h"
#include "render/render.h"
#include "store/store.h"
#include "stream/ws.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

enum {
	WS_MESSAGE_MAX = 16 * 1024, /* a client message (subscribe…) */
	WS_READ_CHUNK = 4096,
	SUBS_PER_CLIENT = 64,
	INDEX_BUCKETS = 4096,
	WRITE_IOV = 64,
	/* the kernel's send buffer per WebSocket: fixed, not auto-tuned to
	 * megabytes, so a stalled reader is bounded there too and soon
	 * overflows max_queue_bytes */
	WS_SNDBUF = 64 * 1024,
	EPOLL_BATCH = 256,
};

/* ---- frames: bytes shared by every client they go to ---- */

typedef struct frame {
	int refs;
	size_t len;
	unsigned char data[];
} frame;

static frame *frame_new(int opcode, const char *const *parts,
			const size_t *lens, int nparts)
{
	size_t len = 0;
	for (int i = 0; i < nparts; i++)
		len += lens[i];
	frame *f = malloc(sizeof *f + WS_HEADER_MAX + len);
	if (!f)
		return NULL;
	size_t h = ws_header(f->data, opcode, len);
	unsigned char *p = f->data + h;
	for (int i = 0; i < nparts; i++) {
		memcpy(p, parts[i], lens[i]);
		p += lens[i];
	}
	f->refs = 1;
	f->len = h + len;
	return f;
}

static void frame_unref(frame *f)
{
	if (f && --f->refs == 0)
		free(f);
}

/* ---- clients and subscriptions ---- */

typedef struct client client;

typedef struct sub {
	client *c;
	stream_kind kind;
	char *key;     /* index key: "<kind>:<tag key or account id>" */
	char *name;    /* the "stream" array clients match events by */
	uint64_t seen; /* the last event delivered, against duplicates */
} sub;

struct client {
	bool ws;
	bool dead;
	int fd;
	void *handle;	 /* WebSocket: http_upgraded_close's */
	http_feed *feed; /* SSE */
	int64_t account;
	/* the contexts the account filters in (visibility_filter_contexts),
	 * read when it registers and when its filters change */
	unsigned filter_contexts;
	int64_t token; /* the session it was opened with; 0: anonymous */
	bool counted;  /* in hub.authenticated */
	char *scopes;
	sub *subs[SUBS_PER_CLIENT];
	int nsubs;
	/* WebSocket input: unparsed bytes, and a fragmented message */
	unsigned char *in;
	size_t in_len, in_cap;
	char *msg;
	size_t msg_len;
	/* WebSocket output: queued frames, the first sent up to out_off */
	frame **out;
	size_t out_head, out_n, out_cap, out_off, out_bytes;
	bool polling_out;
	int64_t last_heard_ms;
	client *prev, *next; /* all clients */
	client *dead_next;
	/* set by the opener, consumed by the thread */
	stream_spec first;
	bool has_first;
	char *extra;
	size_t extra_len;
};

struct stream_client {
	client *c;
};

/* index: key → subscriptions */
typedef struct bucket {
	char *key;
	sub **subs;
	size_t n, cap;
	struct bucket *next;
} bucket;

/* queued work for the thread */
typedef struct command {
	enum { CMD_OPEN, CMD_EVENT } type;
	client *c;
	event ev; /* entities copied */
	struct command *next;
} command;

static struct {
	pthread_t thread;
	bool running;
	int epfd, wakefd, timerfd, checkfd;
	/* registered clients with a token: no session work while 0 (the
	 * hub thread's alone) */
	long authenticated;
	pthread_mutex_t lock; /* guards queue, stopping, stats */
	command *head, *tail;
	bool stopping;
	client *clients;
	client *dead;
	bucket *index[INDEX_BUCKETS];
	uint64_t seq;
	long kind_subs[STREAM_KINDS]; /* subscriptions of each kind */
	stream_stats stats;
} hub = {.lock = PTHREAD_MUTEX_INITIALIZER,
	 .epfd = -1,
	 .wakefd = -1,
	 .timerfd = -1,
	 .checkfd = -1};

/* epoll tags for the non-client descriptors */
static char tag_wake, tag_timer, tag_check;

static size_t key_hash(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h % INDEX_BUCKETS;
}

static bucket *index_find(const char *key, bool create)
{
	bucket **slot = &hub.index[key_hash(key)];
	for (bucket *b = *slot; b; b = b->next)
		if (!strcmp(b->key, key))
			return b;
	if (!create)
		return NULL;
	bucket *b = calloc(1, sizeof *b);
	if (!b || !(b->key = strdup(key))) {
		free(b);
		return NULL;
	}
	b->next = *slot;
	*slot = b;
	return b;
}

static bool index_add(sub *s)
{
	bucket *b = index_find(s->key, true);
	if (!b)
		return false;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4;
		sub **more = realloc(b->subs, cap * sizeof *more);
		if (!more)
			return false;
		b->subs = more;
		b->cap = cap;
	}
	b->subs[b->n++] = s;
	hub.kind_subs[s->kind]++;
	return true;
}

static void index_remove(sub *s)
{
	bucket **slot = &hub.index[key_hash(s->key)];
	for (bucket *b = *slot; b; slot = &b->next, b = b->next) {
		if (strcmp(b->key, s->key))
			continue;
		for (size_t i = 0; i < b->n; i++)
			if (b->subs[i] == s) {
				b->subs[i] = b->subs[--b->n];
				hub.kind_subs[s->kind]--;
				break;
			}
		if (!b->n) {
			*slot = b->next;
			free(b->subs);
			free(b->key);
			free(b);
		}
		return;
	}
}

/* Room for any key: a hashtag is at most 100 characters (text_tag_key
 * refuses longer), which fold to well under 2 KiB. */
enum { STREAM_KEY_MAX = 2048 };

/* The index key of a stream: "<kind>:<tag key>" for hashtags,
 * "<kind>:<account>" for an account's streams, "<kind>:" for the public
 * ones. The one place keys are spelt, for subscribing and delivering
 * alike. false when it does not fit (it always does, see above). */
static bool stream_key(char out[STREAM_KEY_MAX], stream_kind k, const char *tag,
		       int64_t account)
{
	int n;
	if (k == STREAM_HASHTAG || k == STREAM_HASHTAG_LOCAL ||
	    k == STREAM_THREAD)
		n = snprintf(out, STREAM_KEY_MAX, "%d:%s", (int)k,
			     tag ? tag : "");
	else if (k == STREAM_USER || k == STREAM_USER_NOTIFICATION ||
		 k == STREAM_DIRECT)
		n = snprintf(out, STREAM_KEY_MAX, "%d:%lld", (int)k,
			     (long long)account);
	else
		n = snprintf(out, STREAM_KEY_MAX, "%d:", (int)k);
	return n >= 0 && n < STREAM_KEY_MAX;
}

/* The subscriptions to a stream, or NULL. */
static bucket *stream_subs(stream_kind k, const char *tag, int64_t account)
{
	char key[STREAM_KEY_MAX];
	return stream_key(key, k, tag, account) ? index_find(key, false) : NULL;
}

static char *sub_key(stream_kind k, const stream_spec *spec, int64_t account)
{
	char key[STREAM_KEY_MAX];
	return stream_key(key, k, spec->key, account) ? strdup(key) : NULL;
}

static char *sub_name(const stream_spec *spec)
{
	json_t *a = json_pack("[s]", stream_kind_name(spec->kind));
	if (spec->tag)
		json_array_append_new(a, json_string(spec->tag));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static void sub_free(sub *s)
{
	free(s->key);
	free(s->name);
	free(s);
}

/* Subscribe c; an existing equal subscription is kept (Mastodon ignores
 * repeats). false only when out of room. */
static bool subscribe(client *c, const stream_spec *spec)
{
	char *key = sub_key(spec->kind, spec, c->account);
	char *name = sub_name(spec);
	bool ok = key && name;
	for (int i = 0; ok && i < c->nsubs; i++)
		if (!strcmp(c->subs[i]->key, key) &&
		    !strcmp(c->subs[i]->name, name)) {
			free(key);
			free(name);
			return true;
		}
	sub *s = ok && c->nsubs < SUBS_PER_CLIENT ? calloc(1, sizeof *s) : NULL;
	if (!s) {
		free(key);
		free(name);
		return false;
	}
	s->c = c;
	s->kind = spec->kind;
	s->key = key;
	s->name = name;
	if (!index_add(s)) {
		sub_free(s);
		return false;
	}
	c->subs[c->nsubs++] = s;
	return true;
}

static void unsubscribe(client *c, const stream_spec *spec)
{
	char *key = sub_key(spec->kind, spec, c->account);
	for (int i = 0; key && i < c->nsubs; i++)
		if (!strcmp(c->subs[i]->key, key)) {
			index_remove(c->subs[i]);
			sub_free(c->subs[i]);
			c->subs[i--] = c->subs[--c->nsubs];
		}
	free(key);
}

/* Clients are counted from their creation (before the handshake's reply
 * goes out) to their freeing, so an event published while a client's
 * socket is on its way to the hub is not dropped as unheard. */
static void count_clients(long delta)
{
	pthread_mutex_lock(&hub.lock);
	hub.stats.connections += delta;
	pthread_mutex_unlock(&hub.lock);
}

/* How many clients of each kind the hub holds (stats.websocket, .sse). */
static void count_kind(const client *c, long delta)
{
	pthread_mutex_lock(&hub.lock);
	if (c->ws)
		hub.stats.websocket += delta;
	else if (c->feed)
		hub.stats.sse += delta;
	pthread_mutex_unlock(&hub.lock);
}

static void client_free(client *c)
{
	count_kind(c, -1);
	count_clients(-1);
	for (int i = 0; i < c->nsubs; i++)
		sub_free(c->subs[i]);
	for (size_t i = 0; i < c->out_n; i++)
		frame_unref(c->out[(c->out_head + i) % c->out_cap]);
	free(c->out);
	free(c->in);
	free(c->msg);
	free(c->scopes);
	free(c->extra);
	free((char *)c->first.tag);
	free((char *)c->first.key);
	free(c);
}

/* Mark c for closing once the current event is done with (its
 * subscriptions may be mid-iteration). */
static void client_kill(client *c, bool slow)
{
	if (c->dead)
		return;
	c->dead = true;
	c->dead_next = hub.dead;
	hub.dead = c;
	if (slow) {
		pthread_mutex_lock(&hub.lock);
		hub.stats.dropped++;
		pthread_mutex_unlock(&hub.lock);
	}
}

static void client_close(client *c)
{
	if (c->counted)
		hub.authenticated--;
	for (int i = 0; i < c->nsubs; i++)
		index_remove(c->subs[i]);
	if (c->prev)
		c->prev->next = c->next;
	else if (hub.clients == c)
		hub.clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->ws) {
		epoll_ctl(hub.epfd, EPOLL_CTL_DEL, c->fd, NULL);
		http_upgraded_close(c->handle);
	} else {
		http_feed_close(c->feed);
	}
	client_free(c);
}

static void reap(void)
{
	while (hub.dead) {
		client *c = hub.dead;
		hub.dead = c->dead_next;
		client_close(c);
	}
}

/* ---- WebSocket output ---- */

static void want_write(client *c, bool on)
{
	if (c->polling_out == on)
		return;
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0),
				 .data.ptr = c};
	epoll_ctl(hub.epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->polling_out = on;
}

static void ws_flush(client *c)
{
	while (c->out_n && !c->dead) {
		struct iovec iov[WRITE_IOV];
		int n = 0;
		for (size_t i = 0; i < c->out_n && n < WRITE_IOV; i++, n++) {
			frame *f = c->out[(c->out_head + i) % c->out_cap];
			size_t off = i ? 0 : c->out_off;
			iov[n].iov_base = f->data + off;
			iov[n].iov_len = f->len - off;
		}
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_kill(c, false);
			return;
		}
		c->out_bytes -= (size_t)w;
		size_t left = (size_t)w;
		while (left && c->out_n) {
			frame *f = c->out[c->out_head];
			size_t rest = f->len - c->out_off;
			if (left < rest) {
				c->out_off += left;
				break;
			}
			left -= rest;
			frame_unref(f);
			c->out_head = (c->out_head + 1) % c->out_cap;
			c->out_n--;
			c->out_off = 0;
		}
	}
	if (!c->dead)
		want_write(c, c->out_n > 0);
}

/* Queue f (a new reference) for c and try to send at once. */
static void ws_send(client *c, frame *f)
{
	if (c->dead || !f)
		return;
	if (c->out_bytes + f->len > (size_t)cfg.stream_max_queue_bytes) {
		client_kill(c, true); /* a reader this slow is dropped */
		return;
	}
	if (c->out_n == c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap * 2 : 8;
		frame **more = malloc(cap * sizeof *more);
		if (!more) {
			client_kill(c, true);
			return;
		}
		for (size_t i = 0; i < c->out_n; i++)
			more[i] = c->out[(c->out_head + i) % c->out_cap];
		free(c->out);
		c->out = more;
		c->out_cap = cap;
		c->out_head = 0;
	}
	f->refs++;
	c->out[(c->out_head + c->out_n) % c->out_cap] = f;
	c->out_n++;
	c->out_bytes += f->len;
	if (!c->polling_out)
		ws_flush(c);
}

static void ws_send_text(client *c, const char *text)
{
	size_t len = strlen(text);
	frame *f = frame_new(WS_TEXT, &text, &len, 1);
	ws_send(c, f);
	frame_unref(f);
}

static void ws_send_error(client *c, const char *msg, int status)
{
	json_t *j = json_pack("{s:s,s:i}", "error", msg, "status", status);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s)
		ws_send_text(c, s);
	free(s);
}

static void ws_send_close(client *c, int code)
{
	char body[2] = {(char)(code >> 8), (char)(code & 0xFF)};
	const char *p = body;
	size_t len = 2;
	frame *f = frame_new(WS_CLOSE, &p, &len, 1);
	ws_send(c, f);
	frame_unref(f);
}

/* ---- WebSocket input ---- */

/* {"type":"subscribe"|"unsubscribe","stream":…,"tag":…,"list":…} */
static void ws_message(client *c, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, 0, &jerr);
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *name = json_string_value(json_object_get(j, "stream"));
	if (!json_is_object(j) || !type || !name ||
	    (strcmp(type, "subscribe") && strcmp(type, "unsubscribe"))) {
		ws_send_error(c, "Malformed message", 400);
		json_decref(j);
		return;
	}
	json_t *lj = json_object_get(j, "list");
	char list_id[32] = "";
	if (json_is_integer(lj))
		snprintf(list_id, sizeof list_id, "%lld",
			 (long long)json_integer_value(lj));
	const char *list = json_is_string(lj) ? json_string_value(lj) : list_id;
	arena a;
	arena_init(&a);
	stream_spec spec;
	int status;
	const char *err = stream_spec_parse(
		&a, name, json_string_value(json_object_get(j, "tag")), list,
		json_string_value(json_object_get(j, "id")), c->account,
		c->scopes, &spec, &status);
	if (err)
		ws_send_error(c, err, status);
	else if (!strcmp(type, "unsubscribe"))
		unsubscribe(c, &spec);
	else if (!subscribe(c, &spec))
		ws_send_error(c, "Too many subscriptions", 400);
	arena_release(&a);
	json_decref(j);
}

static bool ws_frame_in(client *c, const ws_frame *f)
{
	switch (f->opcode) {
	case WS_PING: {
		const char *p = (const char *)f->payload;
		frame *pong = frame_new(WS_PONG, &p, &f->len, 1);
		ws_send(c, pong);
		frame_unref(pong);
		return true;
	}
	case WS_PONG: return true;
	case WS_CLOSE:
		ws_send_close(c, WS_CLOSE_NORMAL);
		ws_flush(c);
		client_kill(c, false);
		return false;
	case WS_BINARY:
	case WS_TEXT:
		if (c->msg_len) { /* a new message inside a fragmented one */
			ws_send_close(c, WS_CLOSE_PROTOCOL);
			client_kill(c, false);
			return false;
		}
		if (f->fin) {
			if (f->opcode == WS_TEXT)
				ws_message(c, (const char *)f->payload, f->len);
			return true;
		}
		break;
	case WS_CONT:
		if (!c->msg) {
			ws_send_close(c, WS_CLOSE_PROTOCOL);
			client_kill(c, false);
			return false;
		}
		break;
	}
	/* a fragment: gather up to WS_MESSAGE_MAX */
	if (!c->msg && !(c->msg = malloc(WS_MESSAGE_MAX))) {
		client_kill(c, false);
		return false;
	}
	if (c->msg_len + f->len > WS_MESSAGE_MAX) {
		ws_send_close(c, WS_CLOSE_TOO_BIG);
		client_kill(c, false);
		return false;
	}
	memcpy(c->msg + c->msg_len, f->payload, f->len);
	c->msg_len += f->len;
	if (f->fin) {
		ws_message(c, c->msg, c->msg_len);
		free(c->msg);
		c->msg = NULL;
		c->msg_len = 0;
	}
	return true;
}

/* Parse what c->in holds; keep a partial frame for later. */
static void ws_parse_input(client *c)
{
	size_t pos = 0;
	while (!c->dead && pos < c->in_len) {
		ws_frame f;
		int code;
		long n = ws_parse(c->in + pos, c->in_len - pos, WS_MESSAGE_MAX,
				  &f, &code);
		if (n == 0)
			break;
		if (n < 0) {
			ws_send_close(c, code);
			ws_flush(c);
			client_kill(c, false);
			return;
		}
		pos += (size_t)n;
		if (!ws_frame_in(c, &f))
			return;
	}
	if (pos) {
		memmove(c->in, c->in + pos, c->in_len - pos);
		c->in_len -= pos;
	}
	if (!c->in_len) { /* idle clients keep no input buffer */
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

static bool in_reserve(client *c, size_t more)
{
	if (c->in_len + more <= c->in_cap)
		return true;
	size_t cap = c->in_cap ? c->in_cap : WS_READ_CHUNK;
	while (cap < c->in_len + more)
		cap *= 2;
	if (cap > WS_MESSAGE_MAX + 2 * WS_READ_CHUNK)
		return false; /* a frame longer than any we accept */
	unsigned char *p = realloc(c->in, cap);
	if (!p)
		return false;
	c->in = p;
	c->in_cap = cap;
	return true;
}

static void ws_readable(client *c)
{
	for (;;) {
		if (!in_reserve(c, WS_READ_CHUNK)) {
			ws_send_close(c, WS_CLOSE_TOO_BIG);
			client_kill(c, false);
			return;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, WS_READ_CHUNK,
				 MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN &&
			       errno != EWOULDBLOCK && errno != EINTR)) {
			client_kill(c, false);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		c->in_len += (size_t)n;
		c->last_heard_ms = time_now_ms();
		ws_parse_input(c);
		if (c->dead || n < WS_READ_CHUNK)
			break;
	}
}

/* ---- sessions: a stream ends with its token ---- */

/* Close c because its session ended; a WebSocket is told why (1008). */
static void client_revoke(client *c)
{
	if (c->dead)
		return;
	if (c->ws) {
		ws_send_close(c, WS_CLOSE_POLICY);
		ws_flush(c);
	}
	client_kill(c, false);
	pthread_mutex_lock(&hub.lock);
	hub.stats.revoked++;
	pthread_mutex_unlock(&hub.lock);
}

/* The distinct tokens of the open streams, sorted, and which of them the
 * database still has. */
typedef struct token_set {
	int64_t *ids;
	bool *alive;
	size_t n;
} token_set;

static void token_alive(int64_t id, void *ctx)
{
	token_set *t = ctx;
	int64_t *at = bsearch(&id, t->ids, t->n, sizeof *t->ids, id_cmp);
	if (at)
		t->alive[at - t->ids] = true;
}

static bool token_set_fill(token_set *t)
{
	size_t n = 0;
	for (client *c = hub.clients; c; c = c->next)
		n += c->token && !c->dead;
	if (!n)
		return false;
	t->ids = malloc(n * sizeof *t->ids);
	t->alive = calloc(n, sizeof *t->alive);
	if (!t->ids || !t->alive)
		return false;
	for (client *c = hub.clients; c; c = c->next)
		if (c->token && !c->dead)
			t->ids[t->n++] = c->token;
	qsort(t->ids, t->n, sizeof *t->ids, id_cmp);
	size_t u = 0;
	for (size_t i = 0; i < t->n; i++)
		if (!u || t->ids[u - 1] != t->ids[i])
			t->ids[u++] = t->ids[i];
	t->n = u;
	return true;
}

/* Close the streams whose token is gone: revoked or its account deleted,
 * by this process or another one writing the same database. No query
 * while no authenticated stream is open. Callers reap after their batch:
 * freeing here could free a client a later event of the batch points to.
 * False when the check could not be made. */
static bool check_sessions(void)
{
	bool ok = true;
	token_set t = {0};
	if (!token_set_fill(&t))
		goto out;
	store_read_begin();
	int rc = store_tokens_alive(t.ids, t.n, token_alive, &t);
	store_read_end();
	pthread_mutex_lock(&hub.lock);
	hub.stats.checks++;
	pthread_mutex_unlock(&hub.lock);
	if (rc < 0) { /* never close streams on a failed read */
		log_error("stream: session check failed");
		ok = false;
		goto out;
	}
	for (client *c = hub.clients; c; c = c->next) {
		if (!c->token || c->dead)
			continue;
		int64_t *at =
			bsearch(&c->token, t.ids, t.n, sizeof *t.ids, id_cmp);
		if (at && !t.alive[at - t.ids])
			client_revoke(c);
	}
out:
	free(t.ids);
	free(t.alive);
	return ok;
}

/* The token revision at the last complete check; -1: none yet. */
static int64_t sessions_seen = -1;

/* Bring the open streams up to date with every revocation committed so
 * far, in any process: one point read of the token revision, and the
 * full check only when it moved. Run before each event, so a post that
 * committed after a revocation never reaches the revoked stream, and on
 * the session timer, so an idle one closes too. */
static void sessions_sync(void)
{
	if (!hub.authenticated)
		return;
	int64_t rev;
	store_read_begin();
	int rc = store_token_revision(&rev);
	store_read_end();
	if (rc < 0 || rev == sessions_seen)
		return;
	if (check_sessions())
		sessions_seen = rev;
}

/* ---- events → clients ---- */

/* One event as the bytes each transport wants, built on first use. */
typedef struct delivery {
	uint64_t seq;
	const char *event;    /* "update", "delete"… */
	const char *payload;  /* JSON text, or the bare id for deletes */
	bool bare;	      /* no payload at all (filters_changed) */
	const status *status; /* rendered into payload on first use */
	arena *a;
	char *escaped; /* payload as a JSON string literal */
	size_t escaped_len;
	char *sse; /* "event: …\ndata: …\n\n" */
	size_t sse_len;
	const char *last_name; /* the WebSocket frame built last */
	frame *last_frame;
	/* who must not get status (visibility_hidden_from), read once */
	int64_t *hidden;
	size_t nhidden;
	bool hidden_read;
} delivery;

static void json_escape_into(buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	buf_putc(b, '"');
	const char *run = s;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		buf_append(b, run, (size_t)(s - run));
		run = s + 1;
		if (ch == '"' || ch == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)ch);
		} else {
			char u[6] = {'\\', 'u',		 '0',
				     '0',  hex[ch >> 4], hex[ch & 15]};
			buf_append(b, u, 6);
		}
	}
	buf_append(b, run, (size_t)(s - run));
	buf_putc(b, '"');
}

/* The payload, rendering the status the first time a client wants it:
 * an event nobody listens to costs no rendering. */
static const char *delivery_payload(delivery *d)
{
	if (!d->payload && d->status) {
		buf b;
		buf_init(&b, d->a);
		render_status_into(d->a, &b, d->status, 0);
		buf_putc(&b, '\0');
		d->payload = b.data;
	}
	return d->payload ? d->payload : "";
}

/* A WebSocket frame of d's event for the stream name, carrying payload
 * (a JSON string literal of escaped_len bytes); none when d is bare, as
 * Mastodon sends filters_changed. A new reference. */
static frame *event_frame(const delivery *d, const char *name,
			  const char *escaped, size_t escaped_len)
{
	const char *parts[] = {"{\"stream\":",
			       name,
			       ",\"event\":\"",
			       d->event,
			       d->bare ? "\"" : "\",\"payload\":",
			       d->bare ? "" : escaped,
			       "}"};
	size_t lens[7];
	for (int i = 0; i < 7; i++)
		lens[i] = i == 5 && !d->bare ? escaped_len : strlen(parts[i]);
	return frame_new(WS_TEXT, parts, lens, 7);
}

static frame *delivery_frame(delivery *d, const char *name)
{
	if (d->last_frame && !strcmp(d->last_name, name))
		return d->last_frame;
	if (!d->escaped && !d->bare) {
		buf b;
		buf_init(&b, d->a);
		json_escape_into(&b, delivery_payload(d));
		d->escaped = b.data;
		d->escaped_len = b.len;
	}
	frame_unref(d->last_frame);
	d->last_frame = event_frame(d, name, d->escaped, d->escaped_len);
	d->last_name = name;
	return d->last_frame;
}

/* Whether the status d carries is hidden from account by the blocks and
 * mutes of either (the one rule, turned around so one read serves every
 * reader of a public or hashtag stream). */
static bool hidden_from(delivery *d, int64_t account)
{
	if (!d->status || !account)
		return false;
	if (!d->hidden_read) {
		d->nhidden =
			visibility_hidden_from(d->a, d->status, &d->hidden);
		d->hidden_read = true;
	}
	return visibility_hidden_has(d->hidden, d->nhidden, account);
}

/* Where a stream of kind k is read, for its readers' filters: as
 * Mastodon's streaming server, the user stream is home, public and
 * hashtag streams public; chorus's thread stream is a thread. */
static read_context stream_context(stream_kind k)
{
	switch (k) {
	case STREAM_USER:
	case STREAM_LIST: return READ_HOME;
	case STREAM_USER_NOTIFICATION:
	case STREAM_DIRECT: return READ_NOTIFICATIONS;
	case STREAM_THREAD: return READ_THREAD;
	default: return READ_PUBLIC;
	}
}

/* Send c its own rendering of d's status: the shared payload plus the
 * FilterResults of c's filters (Status.filtered). */
static void deliver_own(delivery *d, const sub *s, read_context ctx)
{
	client *c = s->c;
	arena a;
	arena_init(&a);
	buf payload;
	buf_init(&payload, &a);
	render_status_filtered_into(&a, &payload, d->status, c->account, ctx);
	buf_putc(&payload, '\0');
	if (c->ws) {
		buf escaped;
		buf_init(&escaped, &a);
		json_escape_into(&escaped, payload.data);
		frame *f = event_frame(d, s->name, escaped.data, escaped.len);
		ws_send(c, f);
		frame_unref(f);
	} else {
		const char *sse = arena_printf(&a, "event: %s\ndata: %s\n\n",
					       d->event, payload.data);
		if (http_feed_write(c->feed, sse, strlen(sse)) < 0)
			client_kill(c, true);
	}
	arena_release(&a);
}

/* What the reader's filters make of d's status on stream s: false when
 * a hide filter of its context leaves it out (the list rule,
 * visibility_listed); *own when a warn or blur filter matches, so the
 * reader needs a payload of its own (visibility_filtered). A reader
 * filtering nothing in the context pays one bit test. */
static bool filters_pass(delivery *d, const sub *s, bool *own)
{
	*own = false;
	client *c = s->c;
	read_context ctx = stream_context(s->kind);
	if (!d->status || !c->account || !(c->filter_contexts & (1u << ctx)))
		return true;
	arena a;
	arena_init(&a);
	filter_result *res;
	bool listed = visibility_listed(&a, c->account, d->status, ctx);
	*own = listed &&
	       visibility_filtered(&a, c->account, d->status, ctx, &res) > 0;
	arena_release(&a);
	return listed;
}

static void deliver_to(delivery *d, sub *s)
{
	client *c = s->c;
	bool own;
	if (c->dead || s->seen == d->seq || hidden_from(d, c->account) ||
	    !filters_pass(d, s, &own))
		return;
	s->seen = d->seq;
	if (own) {
		deliver_own(d, s, stream_context(s->kind));
		return;
	}
	if (c->ws) {
		ws_send(c, delivery_frame(d, s->name));
		return;
	}
	if (!d->sse) {
		/* Mastodon writes an absent payload as "undefined", which
		 * no JSON parser (Mastodon.py's) takes: null instead */
		d->sse = arena_printf(d->a, "event: %s\ndata: %s\n\n", d->event,
				      d->bare ? "null" : delivery_payload(d));
		d->sse_len = strlen(d->sse);
	}
	if (http_feed_write(c->feed, d->sse, d->sse_len) < 0)
		client_kill(c, true);
}

/* Everyone subscribed to a public or hashtag stream (tag: its key). */
static void deliver_key(delivery *d, stream_kind k, const char *tag)
{
	bucket *b = stream_subs(k, tag, 0);
	for (size_t i = 0; b && i < b->n; i++)
		deliver_to(d, b->subs[i]);
}

static void deliver_account(delivery *d, stream_kind k, int64_t account,
			    const status *s)
{
	bucket *b = stream_subs(k, NULL, account);
	if (!b)
		return;
	/* the one visibility rule, for this viewer, checked per event: an
	 * unfollow applies from the next post on; blocks and mutes are
	 * checked in deliver_to */
	if (s && (!visibility_can_see(account, s) ||
		  (s->reblog && !visibility_can_see(account, s->reblog))))
		return;
	for (size_t i = 0; i < b->n; i++)
		deliver_to(d, b->subs[i]);
}

typedef struct audience_ctx {
	delivery *d;
	const status *s;
} audience_ctx;

static void to_home(int64_t account, void *ctx)
{
	audience_ctx *x = ctx;
	deliver_account(x->d, STREAM_USER, account, x->s);
}

/* The user streams a status belongs in: its home audience, read up to a
 * little more than there are user streams; past that (an author with a
 * million followers) the accounts streaming are asked about instead, a
 * chunk at a time. deliver_to skips whom the first read reached. */
static void deliver_home(audience_ctx *x)
{
	enum { SLACK = 64, CHUNK = 1024 };
	size_t subs = (size_t)hub.kind_subs[STREAM_USER];
	long n = store_home_audience(x->s, subs + SLACK, to_home, x);
	if (n < 0 || (size_t)n < subs + SLACK)
		return;
	int64_t *ids = malloc(subs * sizeof *ids);
	if (!ids)
		return;
	size_t k = 0;
	for (client *c = hub.clients; c && k < subs; c = c->next)
		for (int i = 0; i < c->nsubs; i++)
			if (c->subs[i]->kind == STREAM_USER && c->account) {
				ids[k++] = c->account;
				break;
			}
	for (size_t i = 0; i < k; i += CHUNK)
		store_home_audience_among(x->s, ids + i,
					  k - i < CHUNK ? k - i : CHUNK,
					  to_home, x);
	free(ids);
}

static void delivery_end(delivery *d)
{
	frame_unref(d->last_frame);
	d->last_frame = NULL;
}

/* Whose a post is: this server's author, another's, or (a deletion,
 * whose author may be gone) either. */
enum { FROM_HERE = 1, FROM_ELSEWHERE = 2, FROM_EITHER = 3 };

/* Hashtag keys from a status's entities JSON, deduplicated by posting. */
static void each_tag(const char *entities, delivery *d, bool public_post,
		     int from)
{
	json_t *e = json_loads(entities ? entities : "{}", 0, NULL);
	json_t *tags = json_object_get(e, "tags"), *t;
	size_t i;
	json_array_foreach(tags, i, t)
	{
		const char *key = json_string_value(json_object_get(t, "name"));
		if (!key || !public_post)
			continue;
		deliver_key(d, STREAM_HASHTAG, key);
		if (from & FROM_HERE)
			deliver_key(d, STREAM_HASHTAG_LOCAL, key);
	}
	json_decref(e);
}

/* A reply, to its thread's listeners: the page of a thread is read by
 * anyone, so only what an anonymous reader may see goes out (and not a
 * reply under one its thread's author hid). */
static void deliver_thread(arena *a, delivery *d, const status *s)
{
	int64_t root;
	size_t len;
	if (!hub.kind_subs[STREAM_THREAD] || !s->in_reply_to_id ||
	    s->reblog_of_id || !visibility_can_see(0, s) ||
	    !visibility_listed(a, 0, s, READ_THREAD) ||
	    !store_thread_path(a, s->id, &root, &len) || !root)
		return;
	deliver_key(d, STREAM_THREAD, arena_printf(a, "%lld", (long long)root));
}

static void deliver_public(delivery *d, bool media, int from)
{
	deliver_key(d, STREAM_PUBLIC, NULL);
	if (from & FROM_HERE)
		deliver_key(d, STREAM_PUBLIC_LOCAL, NULL);
	if (from & FROM_ELSEWHERE)
		deliver_key(d, STREAM_PUBLIC_REMOTE, NULL);
	if (!media)
		return;
	deliver_key(d, STREAM_PUBLIC_MEDIA, NULL);
	if (from & FROM_HERE)
		deliver_key(d, STREAM_PUBLIC_LOCAL_MEDIA, NULL);
	if (from & FROM_ELSEWHERE)
		deliver_key(d, STREAM_PUBLIC_REMOTE_MEDIA, NULL);
}

/* A direct message: a conversation event to each participant it reached
 * (the rows conversations_record wrote before the event), carrying the
 * Conversation its owner's REST list shows, rendered by the same
 * function. A row that moved on to a newer status meanwhile is that
 * status's to send. */
static void deliver_direct(arena *a, uint64_t seq, const status *s)
{
	store_conversation *rows;
	size_t n = store_conversations_of_status(a, s->id, &rows);
	for (size_t i = 0; i < n; i++) {
		int64_t viewer = rows[i].account_id;
		conversation_view v;
		if (!stream_subs(STREAM_DIRECT, NULL, viewer) ||
		    !conversation_view_load(a, viewer, &rows[i], &v))
			continue;
		json_t *conv = render_conversation(a, &v, viewer);
		char *text = json_dumps(conv, JSON_COMPACT);
		json_decref(conv);
		delivery d = {.seq = seq,
			      .event = "conversation",
			      .payload = text ? arena_strdup(a, text) : "{}",
			      .a = a};
		free(text);
		deliver_account(&d, STREAM_DIRECT, viewer, s);
		delivery_end(&d);
	}
}

static void on_status(arena *a, uint64_t seq, const event *ev)
{
	status *s = arena_alloc(a, sizeof *s);
	if (!store_status_get(a, ev->id, s))
		return; /* deleted already */
	if (s->reblog_of_id) {
		s->reblog = arena_alloc(a, sizeof *s->reblog);
		if (!store_status_get(a, s->reblog_of_id, s->reblog))
			return;
	}
	delivery d = {.seq = seq,
		      .event = ev->kind == EVENT_STATUS_EDITED ? "status.update"
							       : "update",
		      .status = s,
		      .a = a};
	account author;
	int from = !store_account_get(a, s->account_id, &author) ? FROM_EITHER
		   : author.domain ? FROM_ELSEWHERE
				   : FROM_HERE;
	if (timeline_public_has(s)) {
		media_attachment one;
		deliver_public(&d, store_media_of_status(a, s->id, &one, 1),
			       from);
	}
	each_tag(s->entities, &d, s->vis == VIS_PUBLIC && !s->reblog_of_id,
		 from);
	deliver_thread(a, &d, s);
	audience_ctx x = {&d, s};
	if (hub.kind_subs[STREAM_USER]) /* else nobody to find */
		deliver_home(&x);
	delivery_end(&d);
	if (s->vis == VIS_DIRECT && ev->kind == EVENT_STATUS)
		deliver_direct(a, seq, s);
}

static void to_account(int64_t account, void *ctx)
{
	deliver_account(ctx, STREAM_USER, account, NULL);
}

static void on_delete(arena *a, uint64_t seq, const event *ev)
{
	delivery d = {.seq = seq,
		      .event = "delete",
		      .payload = render_id(a, ev->id),
		      .a = a};
	if (ev->vis == VIS_PUBLIC && !ev->reblog)
		deliver_public(&d, true, FROM_EITHER);
	each_tag(ev->entities, &d, ev->vis == VIS_PUBLIC && !ev->reblog,
		 FROM_EITHER);
	/* whose home may have shown it: the author, the followers, the
	 * mentioned, the tags' followers. A delete names only an id. */
	to_account(ev->account_id, &d);
	store_followers_each(ev->account_id, to_account, &d);
	json_t *e = json_loads(ev->entities ? ev->entities : "{}", 0, NULL);
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(e, "mentions"), i, v)
	{
		const char *id = json_string_value(json_object_get(v, "id"));
		if (id)
			to_account(strtoll(id, NULL, 10), &d);
	}
	json_array_foreach(json_object_get(e, "tags"), i, v)
	{
		const char *key = json_string_value(json_object_get(v, "name"));
		if (key && ev->vis == VIS_PUBLIC && !ev->reblog)
			store_tag_followers_each(key, to_account, &d);
	}
	json_decref(e);
	delivery_end(&d);
}

static void on_notification(arena *a, uint64_t seq, const event *ev)
{
	notification n;
	if (!store_notification_get(ev->account_id, ev->id, &n, a))
		return;
	buf text;
	buf_init(&text, a);
	/* its status's filtered is the notifications context's, as in
	 * the list */
	render_set_context(READ_NOTIFICATIONS);
	bool shown = render_notification_into(a, &text, &n, ev->account_id);
	render_set_context(READ_THREAD);
	if (!shown)
		return;
	delivery d = {.seq = seq,
		      .event = "notification",
		      .payload = text.data,
		      .a = a};
	deliver_account(&d, STREAM_USER, ev->account_id, NULL);
	deliver_account(&d, STREAM_USER_NOTIFICATION, ev->account_id, NULL);
	delivery_end(&d);
}

/* The account's filters changed: its clients' filter contexts are read
 * again, and its user streams told (no payload, as Mastodon). */
static void on_filters_changed(uint64_t seq, arena *a, const event *ev)
{
	unsigned contexts = visibility_filter_contexts(ev->account_id);
	for (client *c = hub.clients; c; c = c->next)
		if (c->account == ev->account_id)
			c->filter_contexts = contexts;
	delivery d = {
		.seq = seq, .event = "filters_changed", .bare = true, .a = a};
	deliver_account(&d, STREAM_USER, ev->account_id, NULL);
	delivery_end(&d);
}

/* The account accepted a notification request: its clients reload
 * their notifications (Mastodon's payload is "1"). */
static void on_notifications_merged(uint64_t seq, arena *a, const event *ev)
{
	delivery d = {.seq = seq,
		      .event = "notifications_merged",
		      .payload = "1",
		      .a = a};
	deliver_account(&d, STREAM_USER, ev->account_id, NULL);
	deliver_account(&d, STREAM_USER_NOTIFICATION, ev->account_id, NULL);
	delivery_end(&d);
}

static void handle_event(const event *ev)
{
	/* every event looks at the token revision first (one point read):
	 * a revocation by any process closes its streams before anything
	 * committed after it reaches them */
	sessions_sync();
	if (ev->kind == EVENT_SESSIONS_ENDED)
		return;
	arena a;
	arena_init(&a);
	uint64_t seq = ++hub.seq;
	store_read_begin();
	switch (ev->kind) {
	case EVENT_STATUS:
	case EVENT_STATUS_EDITED: on_status(&a, seq, ev); break;
	case EVENT_STATUS_DELETED: on_delete(&a, seq, ev); break;
	case EVENT_NOTIFICATION: on_notification(&a, seq, ev); break;
	case EVENT_FILTERS_CHANGED: on_filters_changed(seq, &a, ev); break;
	case EVENT_NOTIFICATIONS_MERGED:
		on_notifications_merged(seq, &a, ev);
		break;
	case EVENT_SESSIONS_ENDED: break; /* above */
	}
	store_read_end();
	arena_release(&a);
}

/* ---- the thread ---- */

static void client_register(client *c)
{
	/* its token was checked before the hand-over: a revocation may have
	 * come between, so the next sync checks whatever the revision */
	if (c->token) {
		sessions_seen = -1;
		hub.authenticated++;
		c->counted = true;
	}
	if (c->account) { /* changes come as EVENT_FILTERS_CHANGED */
		store_read_begin();
		c->filter_contexts = visibility_filter_contexts(c->account);
		store_read_end();
	}
	c->last_heard_ms = time_now_ms();
	c->next = hub.clients;
	if (hub.clients)
		hub.clients->prev = c;
	hub.clients = c;
	if (c->ws) {
		int sndbuf = WS_SNDBUF;
		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			   sizeof sndbuf);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(hub.epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			client_kill(c, false);
			return;
		}
	}
	if (c->has_first && !subscribe(c, &c->first))
		client_kill(c, false);
	if (c->ws && c->extra_len && !c->dead) { /* sent with the request */
		if (in_reserve(c, c->extra_len)) {
			memcpy(c->in, c->extra, c->extra_len);
			c->in_len = c->extra_len;
			ws_parse_input(c);
		}
	}
	free(c->extra);
	c->extra = NULL;
	if (c->ws && !c->dead)
		ws_readable(c); /* bytes may have come before epoll saw it */
}

static void heartbeat(void)
{
	int64_t now = time_now_ms();
	int64_t silent = 3000LL * cfg.stream_heartbeat_seconds;
	frame *ping = frame_new(WS_PING, NULL, NULL, 0);
	for (client *c = hub.clients; c; c = c->next) {
		if (c->dead)
			continue;
		if (!c->ws) {
			if (http_feed_write(c->feed, ":thump\n", 7) < 0)
				client_kill(c, false);
		} else if (now - c->last_heard_ms > silent) {
			client_kill(c, false); /* no pong for three beats */
		} else {
			ws_send(c, ping);
		}
	}
	frame_unref(ping);
	/* no reap here: the epoll loop does, after its batch (see
	 * check_sessions) */
}

static void drain_commands(void)
{
	pthread_mutex_lock(&hub.lock);
	command *cmd = hub.head;
	hub.head = hub.tail = NULL;
	pthread_mutex_unlock(&hub.lock);
	while (cmd) {
		command *next = cmd->next;
		if (cmd->type == CMD_OPEN)
			client_register(cmd->c);
		else
			handle_event(&cmd->ev);
		reap();
		free((char *)cmd->ev.entities);
		free(cmd);
		cmd = next;
	}
}

static void *hub_main(void *arg)
{
	(void)arg;
	struct epoll_event evs[EPOLL_BATCH];
	for (;;) {
		int n = epoll_wait(hub.epfd, evs, EPOLL_BATCH, -1);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &tag_wake) {
				uint64_t v;
				if (read(hub.wakefd, &v, sizeof v) < 0)
					continue;
			} else if (p == &tag_timer) {
				uint64_t v;
				if (read(hub.timerfd, &v, sizeof v) > 0)
					heartbeat();
			} else if (p == &tag_check) {
				uint64_t v;
				if (read(hub.checkfd, &v, sizeof v) > 0)
					sessions_sync();
			} else {
				client *c = p;
				if (c->dead)
					continue;
				if (evs[i].events & (EPOLLERR | EPOLLHUP))
					client_kill(c, false);
				else if (evs[i].events & EPOLLIN)
					ws_readable(c);
				if (!c->dead && evs[i].events & EPOLLOUT)
					ws_flush(c);
			}
		}
		reap();
		drain_commands();
		pthread_mutex_lock(&hub.lock);
		bool stop = hub.stopping;
		pthread_mutex_unlock(&hub.lock);
		if (stop)
			break;
	}
	drain_commands(); /* opens that raced the stop get closed below */
	for (client *c = hub.clients; c; c = c->next)
		if (c->ws) {
			ws_send_close(c, WS_CLOSE_GOING_AWAY);
			ws_flush(c);
		}
	while (hub.clients)
		client_kill(hub.clients, false), reap();
	store_thread_close();
	return NULL;
}

static void push(command *cmd)
{
	pthread_mutex_lock(&hub.lock);
	bool ok = hub.running && !hub.stopping;
	if (ok) {
		if (hub.tail)
			hub.tail->next = cmd;
		else
			hub.head = cmd;
		hub.tail = cmd;
	}
	pthread_mutex_unlock(&hub.lock);
	if (ok) {
		uint64_t one = 1;
		if (write(hub.wakefd, &one, sizeof one) < 0)
			log_error("stream: wake: %s", strerror(errno));
		return;
	}
	/* not running: the connection is closed at once */
	if (cmd->c) {
		if (cmd->c->ws)
			http_upgraded_close(cmd->c->handle);
		else
			http_feed_close(cmd->c->feed);
		client_free(cmd->c);
	}
	free((char *)cmd->ev.entities);
	free(cmd);
}

static void on_event(const event *e)
{
	pthread_mutex_lock(&hub.lock);
	bool anyone = hub.stats.connections > 0;
	pthread_mutex_unlock(&hub.lock);
	if (!anyone) /* a client connecting now sees only later events */
		return;
	command *cmd = calloc(1, sizeof *cmd);
	if (!cmd)
		return;
	cmd->type = CMD_EVENT;
	cmd->ev = *e;
	cmd->ev.entities = e->entities ? strdup(e->entities) : NULL;
	push(cmd);
}

static void open_client(client *c)
{
	command *cmd = calloc(1, sizeof *cmd);
	if (!cmd) {
		if (c->ws)
			http_upgraded_close(c->handle);
		else
			http_feed_close(c->feed);
		client_free(c);
		return;
	}
	cmd->type = CMD_OPEN;
	cmd->c = c;
	push(cmd);
}

/* The spec's strings live in an arena that ends with the request. */
static void keep_spec(client *c, const stream_spec *spec)
{
	if (!spec)
		return;
	c->first = *spec;
	c->first.tag = spec->tag ? strdup(spec->tag) : NULL;
	c->first.key = spec->key ? strdup(spec->key) : NULL;
	c->has_first = true;
}

static client *client_new(const principal *p, const stream_spec *spec)
{
	client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	count_clients(1);
	c->fd = -1;
	if (p) {
		c->account = p->account_id;
		c->token = p->token_id;
		c->scopes = p->scopes ? strdup(p->scopes) : NULL;
	}
	keep_spec(c, spec);
	return c;
}

stream_client *stream_client_new(const principal *p, const stream_spec *spec)
{
	stream_client *sc = malloc(sizeof *sc);
	if (sc && !(sc->c = client_new(p, spec))) {
		free(sc);
		sc = NULL;
	}
	return sc;
}

void stream_client_drop(void *ctx)
{
	stream_client *sc = ctx;
	client_free(sc->c);
	free(sc);
}

void stream_ws_upgraded(int fd, const char *extra, size_t extra_len,
			void *handle, void *ctx)
{
	stream_client *sc = ctx;
	client *c = sc->c;
	free(sc);
	c->ws = true;
	c->fd = fd;
	c->handle = handle;
	count_kind(c, 1);
	if (extra_len && (c->extra = malloc(extra_len))) {
		memcpy(c->extra, extra, extra_len);
		c->extra_len = extra_len;
	}
	open_client(c);
}

void stream_sse_open(http_feed *feed, const principal *p,
		     const stream_spec *spec)
{
	client *c = client_new(p, spec);
	if (!c) {
		http_feed_close(feed);
		return;
	}
	c->feed = feed;
	count_kind(c, 1);
	open_client(c);
}

void stream_get_stats(stream_stats *out)
{
	pthread_mutex_lock(&hub.lock);
	*out = hub.stats;
	pthread_mutex_unlock(&hub.lock);
}

int stream_start(void)
{
	hub.epfd = epoll_create1(EPOLL_CLOEXEC);
	hub.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	hub.timerfd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	hub.checkfd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (hub.epfd < 0 || hub.wakefd < 0 || hub.timerfd < 0 ||
	    hub.checkfd < 0)
		goto fail;
	struct itimerspec beat = {
		.it_interval.tv_sec = cfg.stream_heartbeat_seconds,
		.it_value.tv_sec = cfg.stream_heartbeat_seconds,
	};
	timerfd_settime(hub.timerfd, 0, &beat, NULL);
	if (cfg.stream_session_check_ms > 0) { /* 0: in-process events only */
		long ms = cfg.stream_session_check_ms;
		struct timespec every = {.tv_sec = ms / 1000,
					 .tv_nsec = ms % 1000 * 1000000};
		struct itimerspec check = {.it_interval = every,
					   .it_value = every};
		timerfd_settime(hub.checkfd, 0, &check, NULL);
	}
	struct epoll_event w = {.events = EPOLLIN, .data.ptr = &tag_wake};
	struct epoll_event t = {.events = EPOLLIN, .data.ptr = &tag_timer};
	struct epoll_event k = {.events = EPOLLIN, .data.ptr = &tag_check};
	if (epoll_ctl(hub.epfd, EPOLL_CTL_ADD, hub.wakefd, &w) < 0 ||
	    epoll_ctl(hub.epfd, EPOLL_CTL_ADD, hub.timerfd, &t) < 0 ||
	    epoll_ctl(hub.epfd, EPOLL_CTL_ADD, hub.checkfd, &k) < 0)
		goto fail;
	hub.running = true;
	if (pthread_create(&hub.thread, NULL, hub_main, NULL)) {
		hub.running = false;
		goto fail;
	}
	events_listen(on_event);
	return 0;
fail:
	log_error("stream: cannot start: %s", strerror(errno));
	stream_stop();
	return -1;
}

void stream_stop(void)
{
	events_listen(NULL);
	pthread_mutex_lock(&hub.lock);
	bool running = hub.running;
	hub.stopping = true;
	pthread_mutex_unlock(&hub.lock);
	if (running) {
		uint64_t one = 1;
		if (write(hub.wakefd, &one, sizeof one) < 0)
			log_error("stream: wake: %s", strerror(errno));
		pthread_join(hub.thread, NULL);
	}
	pthread_mutex_lock(&hub.lock);
	hub.running = false;
	pthread_mutex_unlock(&hub.lock);
	int *fds[] = {&hub.epfd, &hub.wakefd, &hub.timerfd, &hub.checkfd};
	for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}
