/*
 * bench/wsfan.c — streaming fan-out load generator for chorus.
 *
 * Opens N WebSocket connections to /api/v1/streaming (one stream each,
 * chosen in the query string), then POSTs M statuses carrying #TAG and
 * times, for every (client, post) pair, how long after the POST started
 * the client received the `update` event carrying that status. One thread,
 * epoll, nonblocking sockets, no dependencies beyond libc: it shares the
 * machine with the server it measures, so it must stay cheap. Messages are
 * not JSON-parsed: it looks for "event":"update" and the first "id" in the
 * payload (a Status renders its own id first, in Mastodon and in chorus).
 *
 *   cc -std=c11 -O2 -Wall -Wextra -o wsfan bench/wsfan.c
 *   wsfan --port 3000 --token TOKEN --tag fanout --clients 5000 --posts 20
 *
 * Output: human-readable lines "wsfan: LABEL ..." with fixed fields
 * (bench/stream.sh reads them with awk). Exit status 0 when the
 * measurement ran (losses are a result, not an error), 1 when it could not
 * (no connection, a POST failed), 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	READ_CHUNK = 65536,    /* one read() per readiness event, at most */
	MAX_EVENTS = 256,      /* epoll_wait batch */
	ID_MAX = 32,	       /* a status id as a string, with its NUL */
	EXTRA_IDS = 64,	       /* slots for ids not (yet) known as our posts */
	FD_MARGIN = 64,	       /* descriptors beyond the clients */
	MAX_HANDSHAKE = 16384, /* a 101 response larger than this is refused */
	MAX_MESSAGE = 8 << 20, /* a server message larger than this: close */
};

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* ---- options ------------------------------------------------------------ */

static struct {
	const char *host, *port, *token, *post_token, *tag, *stream, *path;
	const char *auth; /* query | header | protocol */
	long clients, posts, interval_ms, batch, timeout_ms, settle_ms;
	long handshake_timeout_ms;
	long pid;
} opt = {
	.host = "127.0.0.1",
	.port = "3000",
	.tag = "wsfan",
	.stream = "hashtag",
	.path = "/api/v1/streaming",
	.auth = "query",
	.clients = 100,
	.posts = 20,
	.interval_ms = 200,
	.batch = 200,
	.timeout_ms = 10000,
	.settle_ms = 1000,
	.handshake_timeout_ms = 15000,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wsfan --token TOKEN [options]\n"
		"  --host H            server address [127.0.0.1]\n"
		"  --port P            server port [3000]\n"
		"  --token T           access token of the streaming clients\n"
		"  --post-token T      token that posts [--token]\n"
		"  --tag NAME          hashtag to stream and post [wsfan]\n"
		"  --stream NAME       stream to open [hashtag]; tag is sent "
		"for hashtag*\n"
		"  --path P            streaming path [/api/v1/streaming]\n"
		"  --auth HOW          token as query | header | protocol "
		"[query]\n"
		"  --clients N         WebSocket connections [100]\n"
		"  --posts M           statuses to post [20]\n"
		"  --interval MS       between POST starts [200]\n"
		"  --batch K           handshakes in flight at once [200]\n"
		"  --settle MS         wait after connecting, before posting "
		"[1000]\n"
		"  --timeout MS        wait for deliveries after the last POST "
		"[10000]\n"
		"  --handshake-timeout MS  per connection [15000]\n"
		"  --pid PID           server process: VmRSS per connection\n");
}

static long parse_long(const char *name, const char *s, long min)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min) {
		fprintf(stderr, "wsfan: bad --%s '%s'\n", name, s);
		exit(2);
	}
	return v;
}

static void parse_options(int argc, char **argv)
{
	static const struct option longs[] = {
		{"host", 1, 0, 'H'},
		{"port", 1, 0, 'p'},
		{"token", 1, 0, 't'},
		{"post-token", 1, 0, 'T'},
		{"tag", 1, 0, 'g'},
		{"stream", 1, 0, 's'},
		{"path", 1, 0, 'P'},
		{"auth", 1, 0, 'a'},
		{"clients", 1, 0, 'c'},
		{"posts", 1, 0, 'm'},
		{"interval", 1, 0, 'i'},
		{"batch", 1, 0, 'b'},
		{"settle", 1, 0, 'S'},
		{"timeout", 1, 0, 'w'},
		{"handshake-timeout", 1, 0, 'k'},
		{"pid", 1, 0, 'x'},
		{"help", 0, 0, 'h'},
		{0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'H': opt.host = optarg; break;
		case 'p': opt.port = optarg; break;
		case 't': opt.token = optarg; break;
		case 'T': opt.post_token = optarg; break;
		case 'g': opt.tag = optarg; break;
		case 's': opt.stream = optarg; break;
		case 'P': opt.path = optarg; break;
		case 'a': opt.auth = optarg; break;
		case 'c': opt.clients = parse_long("clients", optarg, 1); break;
		case 'm': opt.posts = parse_long("posts", optarg, 0); break;
		case 'i':
			opt.interval_ms = parse_long("interval", optarg, 0);
			break;
		case 'b': opt.batch = parse_long("batch", optarg, 1); break;
		case 'S':
			opt.settle_ms = parse_long("settle", optarg, 0);
			break;
		case 'w':
			opt.timeout_ms = parse_long("timeout", optarg, 0);
			break;
		case 'k':
			opt.handshake_timeout_ms =
				parse_long("handshake-timeout", optarg, 1);
			break;
		case 'x': opt.pid = parse_long("pid", optarg, 1); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc || !opt.token) {
		usage(stderr);
		exit(2);
	}
	if (strcmp(opt.auth, "query") && strcmp(opt.auth, "header") &&
	    strcmp(opt.auth, "protocol")) {
		fprintf(stderr, "wsfan: --auth is query, header or protocol\n");
		exit(2);
	}
	if (!opt.post_token)
		opt.post_token = opt.token;
}

/* ---- small helpers ------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("wsfan: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void random_bytes(void *out, size_t n)
{
	uint8_t *p = out;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			die("getrandom: %s", strerror(errno));
		}
		p += got;
		n -= (size_t)got;
	}
}

/* Frame masks need to be unpredictable to the server, not secret: xorshift
 * seeded from getrandom is plenty for a load generator. */
static uint64_t rng_state;
static uint32_t rng_next(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return (uint32_t)(x >> 32);
}

/* A growable byte buffer; the caller frees .p. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_append(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_consume(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){0};
}

/* Percent-encode s for a query string or form body. */
static void url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~') {
			buf_append(b, s, 1);
		} else {
			char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
			buf_append(b, e, 3);
		}
	}
}

/* Case-insensitive search for a header line "NAME: value" in the header
 * block [h, h+n); returns the value (not NUL-terminated, trimmed) or NULL. */
static const char *header_value(const char *h, size_t n, const char *name,
				size_t *vlen)
{
	size_t nl = strlen(name);
	const char *end = h + n;
	for (const char *line = h; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		if ((size_t)(eol - line) > nl && line[nl] == ':' &&
		    strncasecmp(line, name, nl) == 0) {
			const char *v = line + nl + 1;
			const char *ve = eol;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		line = eol + 1;
	}
	return NULL;
}

/* ---- SHA-1 and base64, for Sec-WebSocket-Accept ------------------------- */

static uint32_t rol32(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5A827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ED9EBA1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8F1BBCDC;
		} else {
			f = b ^ c ^ d;
			k = 0xCA62C1D6;
		}
		uint32_t t = rol32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol32(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

/* SHA-1 of a message shorter than 2^29 bytes into out[20]. */
static void sha1(const void *data, size_t n, uint8_t out[20])
{
	uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
			 0xC3D2E1F0};
	const uint8_t *p = data;
	size_t left = n;
	for (; left >= 64; p += 64, left -= 64)
		sha1_block(h, p);
	uint8_t tail[128] = {0};
	memcpy(tail, p, left);
	tail[left] = 0x80;
	size_t tn = left + 9 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;
	for (int i = 0; i < 8; i++)
		tail[tn - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha1_block(h, tail);
	if (tn == 128)
		sha1_block(h, tail + 64);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

/* Base64 of n bytes into out (4 * ((n + 2) / 3) + 1 bytes, NUL-ended). */
static void base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63];
		*out++ = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

/* The Sec-WebSocket-Accept value for a key (RFC 6455 §4.2.2), 29 bytes. */
static void ws_accept_for(const char *key, char out[29])
{
	char joined[64 + sizeof WS_GUID];
	uint8_t digest[20];
	int n = snprintf(joined, sizeof joined, "%s%s", key, WS_GUID);
	sha1(joined, (size_t)n, digest);
	base64(digest, sizeof digest, out);
}

/* ---- the statuses we posted, and who received them ---------------------- */

/* An id seen in an update or a POST answer. Updates may arrive before the
 * POST's answer has been read, so an id is recorded when first seen either
 * way; `post` links it to our post once the answer names it. */
struct seen_id {
	char id[ID_MAX];
	int post;	   /* index into posts, -1: not (yet) one of ours */
	long received;	   /* clients that got it at least once */
	uint64_t *recv_ns; /* per client: first receipt, 0 = none */
};

struct post {
	uint64_t start_ns, answer_ns;
	long eligible; /* clients open when the POST started */
	int seen;      /* index into ids, -1 until answered */
	bool ok;
};

static struct seen_id *ids;
static int nids, ids_cap;
static int ids_last_hit = -1;
static struct post *posts;
static long other_updates, duplicate_updates, updates_total;

/* The slot for id, created if there is room; -1 if the table is full. */
static int seen_lookup(const char *id, size_t len)
{
	if (len == 0 || len >= ID_MAX)
		return -1;
	if (ids_last_hit >= 0 && strlen(ids[ids_last_hit].id) == len &&
	    memcmp(ids[ids_last_hit].id, id, len) == 0)
		return ids_last_hit;
	for (int i = 0; i < nids; i++) {
		if (strlen(ids[i].id) == len && memcmp(ids[i].id, id, len) == 0)
			return ids_last_hit = i;
	}
	if (nids == ids_cap)
		return -1;
	struct seen_id *s = &ids[nids];
	memcpy(s->id, id, len);
	s->id[len] = '\0';
	s->post = -1;
	s->received = 0;
	s->recv_ns = calloc((size_t)opt.clients, sizeof *s->recv_ns);
	if (!s->recv_ns)
		die("out of memory");
	return ids_last_hit = nids++;
}

/* ---- connections -------------------------------------------------------- */

enum kind { KIND_WS, KIND_POST };

enum ws_state { WS_IDLE, WS_CONNECTING, WS_HANDSHAKE, WS_OPEN, WS_DONE };

struct ws {
	enum kind kind; /* first: epoll data points at either struct */
	enum ws_state state;
	int fd;
	long index;
	uint64_t started_ns; /* connect() time, for the handshake timeout */
	char accept[29];     /* the Sec-WebSocket-Accept we expect */
	struct buf in;	     /* unparsed bytes (a partial frame) */
	struct buf out;	     /* bytes the kernel did not take yet */
	struct buf message;  /* a fragmented message being assembled */
	bool fragmented;
};

struct poster {
	enum kind kind;
	int fd;
	int post; /* index being posted, -1 when idle */
	struct buf out, in;
	size_t sent;
};

static struct ws *clients;
static struct poster poster = {.kind = KIND_POST, .fd = -1, .post = -1};
static int epfd;
static struct addrinfo *server_addr;

static struct {
	long open, failed, in_flight, attempted, closed_by_server;
	long pings, refused_status, bad_accept, connect_errors, timeouts;
	long protocol_errors;
	int last_close_code;
	char first_failure[160];
} st;

static void note_failure(const char *fmt, ...)
{
	if (st.first_failure[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st.first_failure, sizeof st.first_failure, fmt, ap);
	va_end(ap);
}

static void ws_close(struct ws *c, bool failed)
{
	if (c->state == WS_DONE)
		return;
	if (c->state == WS_CONNECTING || c->state == WS_HANDSHAKE)
		st.in_flight--;
	if (c->state == WS_OPEN)
		st.open--;
	if (failed && c->state != WS_OPEN)
		st.failed++;
	c->state = WS_DONE;
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->message);
}

static void watch(int fd, void *ptr, uint32_t events, int op)
{
	struct epoll_event ev = {.events = events, .data.ptr = ptr};
	if (epoll_ctl(epfd, op, fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
}

/* A nonblocking, TCP_NODELAY socket connecting to the server, or -1. */
static int connect_socket(void)
{
	int fd = socket(server_addr->ai_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, server_addr->ai_addr, server_addr->ai_addrlen) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Write what fits; keep the rest in c->out and wait for EPOLLOUT. */
static void ws_send(struct ws *c, const void *data, size_t n)
{
	if (c->state == WS_DONE)
		return;
	if (c->out.len == 0) {
		ssize_t w = send(c->fd, data, n, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			ws_close(c, true);
			return;
		}
		if (w > 0) {
			data = (const char *)data + w;
			n -= (size_t)w;
		}
		if (n == 0)
			return;
		watch(c->fd, c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
	}
	buf_append(&c->out, data, n);
}

static void ws_flush(struct ws *c)
{
	while (c->out.len > 0) {
		ssize_t w = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			ws_close(c, true);
			return;
		}
		buf_consume(&c->out, (size_t)w);
	}
	watch(c->fd, c, EPOLLIN, EPOLL_CTL_MOD);
}

/* Send one masked client frame (FIN set) with a payload under 126 bytes:
 * the client only ever sends control frames. */
static void ws_send_control(struct ws *c, int opcode, const void *payload,
			    size_t n)
{
	uint8_t frame[2 + 4 + 125];
	if (n > 125)
		n = 125;
	uint32_t mask = rng_next();
	frame[0] = (uint8_t)(0x80 | opcode);
	frame[1] = (uint8_t)(0x80 | n);
	memcpy(frame + 2, &mask, 4);
	const uint8_t *p = payload;
	for (size_t i = 0; i < n; i++)
		frame[6 + i] = p[i] ^ frame[2 + (i & 3)];
	ws_send(c, frame, 6 + n);
}

static void ws_start(struct ws *c)
{
	st.attempted++;
	int fd = connect_socket();
	if (fd < 0) {
		st.connect_errors++;
		st.failed++;
		note_failure("connect: %s", strerror(errno));
		c->state = WS_DONE;
		return;
	}
	c->fd = fd;
	c->state = WS_CONNECTING;
	c->started_ns = now_ns();
	st.in_flight++;
	watch(fd, c, EPOLLOUT, EPOLL_CTL_ADD);
}

/* The HTTP/1.1 upgrade request for client c; records the expected
 * Sec-WebSocket-Accept. */
static void ws_send_handshake(struct ws *c)
{
	uint8_t nonce[16];
	char key[25];
	random_bytes(nonce, sizeof nonce);
	base64(nonce, sizeof nonce, key);
	ws_accept_for(key, c->accept);

	struct buf r = {0};
	char line[512];
	buf_append(&r, "GET ", 4);
	buf_append(&r, opt.path, strlen(opt.path));
	buf_append(&r, "?stream=", 8);
	url_encode(&r, opt.stream);
	if (strncmp(opt.stream, "hashtag", 7) == 0) {
		buf_append(&r, "&tag=", 5);
		url_encode(&r, opt.tag);
	}
	if (strcmp(opt.auth, "query") == 0) {
		buf_append(&r, "&access_token=", 14);
		url_encode(&r, opt.token);
	}
	int n = snprintf(line, sizeof line,
			 " HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
			 "Sec-WebSocket-Version: 13\r\n",
			 opt.host, opt.port, key);
	buf_append(&r, line, (size_t)n);
	if (strcmp(opt.auth, "header") == 0) {
		buf_append(&r, "Authorization: Bearer ", 22);
		buf_append(&r, opt.token, strlen(opt.token));
		buf_append(&r, "\r\n", 2);
	} else if (strcmp(opt.auth, "protocol") == 0) {
		buf_append(&r, "Sec-WebSocket-Protocol: ", 24);
		buf_append(&r, opt.token, strlen(opt.token));
		buf_append(&r, "\r\n", 2);
	}
	buf_append(&r, "\r\n", 2);
	c->state = WS_HANDSHAKE;
	watch(c->fd, c, EPOLLIN, EPOLL_CTL_MOD);
	ws_send(c, r.p, r.len);
	buf_free(&r);
}

/* Check the 101 answer held in c->in; on success drop it from c->in (frames
 * may follow in the same read) and mark c open. */
static void ws_check_handshake(struct ws *c)
{
	const char *end = memmem(c->in.p, c->in.len, "\r\n\r\n", 4);
	if (!end) {
		if (c->in.len > MAX_HANDSHAKE) {
			st.protocol_errors++;
			note_failure("handshake answer too large");
			ws_close(c, true);
		}
		return;
	}
	size_t hlen = (size_t)(end - c->in.p) + 4;
	if (c->in.len < 12 || memcmp(c->in.p, "HTTP/1.1 101", 12) != 0) {
		const char *eol = memchr(c->in.p, '\r', hlen);
		st.refused_status++;
		note_failure("handshake answered '%.*s'",
			     (int)(eol ? eol - c->in.p : 40), c->in.p);
		ws_close(c, true);
		return;
	}
	size_t vlen;
	const char *v =
		header_value(c->in.p, hlen, "Sec-WebSocket-Accept", &vlen);
	if (!v || vlen != 28 || memcmp(v, c->accept, 28) != 0) {
		st.bad_accept++;
		note_failure("wrong or missing Sec-WebSocket-Accept");
		ws_close(c, true);
		return;
	}
	if (strcmp(opt.auth, "protocol") == 0) {
		v = header_value(c->in.p, hlen, "Sec-WebSocket-Protocol",
				 &vlen);
		if (!v || vlen != strlen(opt.token) ||
		    memcmp(v, opt.token, vlen) != 0) {
			st.bad_accept++;
			note_failure("Sec-WebSocket-Protocol not echoed");
			ws_close(c, true);
			return;
		}
	}
	buf_consume(&c->in, hlen);
	c->state = WS_OPEN;
	st.in_flight--;
	st.open++;
}

/* Skip JSON whitespace (and the backslash-free kind only). */
static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A text message: if it is an update, note which status it carries: the
 * first "id" in the payload, the Status's own. */
static void on_text(struct ws *c, const char *m, size_t n)
{
	const char *end = m + n;
	const char *e = memmem(m, n, "\"event\"", 7);
	if (!e)
		return;
	e = skip_ws(e + 7, end);
	if (e >= end || *e != ':')
		return;
	e = skip_ws(e + 1, end);
	if ((size_t)(end - e) < 8 || memcmp(e, "\"update\"", 8) != 0)
		return;
	updates_total++;
	const char *pl = memmem(m, n, "\"payload\"", 9);
	if (!pl)
		return;
	/* Mastodon's payload is a string (\"id\":\"1\"); take an object
	 * (chorus's slip, not wsfan's business here) as well. */
	const char *k = memmem(pl, (size_t)(end - pl), "\\\"id\\\"", 6);
	size_t klen = 6;
	if (!k) {
		k = memmem(pl + 9, (size_t)(end - pl - 9), "\"id\"", 4);
		klen = 4;
	}
	if (!k)
		return;
	k = skip_ws(k + klen, end);
	if (k >= end || *k != ':')
		return;
	k = skip_ws(k + 1, end);
	if (k < end && *k == '\\')
		k++;
	if (k >= end || *k != '"')
		return;
	const char *id = k + 1;
	const char *q = id;
	while (q < end && *q != '\\' && *q != '"')
		q++;
	int slot = seen_lookup(id, (size_t)(q - id));
	if (slot < 0) {
		other_updates++;
		return;
	}
	struct seen_id *s = &ids[slot];
	if (s->recv_ns[c->index]) {
		duplicate_updates++;
		return;
	}
	s->recv_ns[c->index] = now_ns();
	s->received++;
}

/* Parse as many whole frames as c->in holds; returns false if c closed. */
static bool ws_parse_frames(struct ws *c)
{
	size_t off = 0;
	while (c->state == WS_OPEN) {
		const uint8_t *p = (const uint8_t *)c->in.p + off;
		size_t avail = c->in.len - off;
		if (avail < 2)
			break;
		bool fin = p[0] & 0x80;
		int opcode = p[0] & 0x0F;
		bool masked = p[1] & 0x80;
		uint64_t plen = p[1] & 0x7F;
		size_t hdr = 2;
		if (plen == 126) {
			if (avail < 4)
				break;
			plen = (uint64_t)p[2] << 8 | p[3];
			hdr = 4;
		} else if (plen == 127) {
			if (avail < 10)
				break;
			plen = 0;
			for (int i = 0; i < 8; i++)
				plen = plen << 8 | p[2 + i];
			hdr = 10;
		}
		if (masked || plen > MAX_MESSAGE) {
			/* servers never mask (RFC 6455 §5.1) */
			st.protocol_errors++;
			note_failure(masked ? "masked server frame"
					    : "oversized frame");
			ws_close(c, false);
			return false;
		}
		if (avail < hdr + plen)
			break;
		const char *payload = (const char *)p + hdr;
		size_t n = (size_t)plen;
		off += hdr + n;
		switch (opcode) {
		case 0x0: /* continuation */
			if (!c->fragmented)
				break;
			buf_append(&c->message, payload, n);
			if (fin) {
				on_text(c, c->message.p, c->message.len);
				buf_free(&c->message);
				c->fragmented = false;
			}
			break;
		case 0x1: /* text */
			if (fin) {
				on_text(c, payload, n);
			} else {
				c->fragmented = true;
				c->message.len = 0;
				buf_append(&c->message, payload, n);
			}
			break;
		case 0x2: break; /* binary: Mastodon sends none */
		case 0x8:	 /* close: answer with the same code, hang up */
			st.closed_by_server++;
			if (n >= 2)
				st.last_close_code = (uint8_t)payload[0] << 8 |
						     (uint8_t)payload[1];
			ws_send_control(c, 0x8, payload, n >= 2 ? 2 : 0);
			ws_close(c, false);
			return false;
		case 0x9: /* ping */
			st.pings++;
			ws_send_control(c, 0xA, payload, n);
			break;
		case 0xA: break; /* pong */
		default:
			st.protocol_errors++;
			note_failure("unknown opcode %d", opcode);
			ws_close(c, false);
			return false;
		}
	}
	if (c->state != WS_DONE)
		buf_consume(&c->in, off);
	return c->state != WS_DONE;
}

static char scratch[READ_CHUNK];

static void ws_on_event(struct ws *c, uint32_t events)
{
	if (c->state == WS_DONE)
		return; /* closed earlier in the same epoll batch */
	if (c->state == WS_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			st.connect_errors++;
			note_failure("connect: %s", strerror(err));
			ws_close(c, true);
			return;
		}
		ws_send_handshake(c);
		return;
	}
	if (events & EPOLLOUT) {
		ws_flush(c);
		if (c->state == WS_DONE)
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t r = recv(c->fd, scratch, sizeof scratch, 0);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (r <= 0) {
		if (c->state == WS_HANDSHAKE) {
			note_failure("server hung up during the handshake");
			st.refused_status++;
		}
		ws_close(c, true);
		return;
	}
	buf_append(&c->in, scratch, (size_t)r);
	if (c->state == WS_HANDSHAKE) {
		ws_check_handshake(c);
		if (c->state != WS_OPEN)
			return;
	}
	ws_parse_frames(c);
	/* Don't hold idle memory for 5 000 clients between messages. */
	if (c->state == WS_OPEN && c->in.len == 0 && c->in.cap > 4096)
		buf_free(&c->in);
}

/* ---- posting ------------------------------------------------------------ */

/* Start POST /api/v1/statuses for post i on a fresh connection (Connection:
 * close, so the answer ends at EOF whatever its framing). */
static void post_start(int i)
{
	struct buf body = {0}, req = {0};
	char text[256], line[512];
	uint32_t nonce = rng_next();
	snprintf(text, sizeof text, "wsfan post %d (%08x) #%s", i + 1, nonce,
		 opt.tag);
	buf_append(&body, "visibility=public&status=", 25);
	url_encode(&body, text);
	int n = snprintf(line, sizeof line,
			 "POST /api/v1/statuses HTTP/1.1\r\nHost: %s:%s\r\n"
			 "Content-Type: application/x-www-form-urlencoded\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n"
			 "Authorization: Bearer ",
			 opt.host, opt.port, body.len);
	buf_append(&req, line, (size_t)n);
	buf_append(&req, opt.post_token, strlen(opt.post_token));
	buf_append(&req, "\r\n\r\n", 4);
	buf_append(&req, body.p, body.len);
	buf_free(&body);

	posts[i].eligible = st.open;
	posts[i].seen = -1;
	posts[i].start_ns = now_ns();
	poster.fd = connect_socket();
	if (poster.fd < 0)
		die("POST: connect: %s", strerror(errno));
	poster.post = i;
	poster.out = req;
	poster.sent = 0;
	poster.in.len = 0;
	watch(poster.fd, &poster, EPOLLOUT, EPOLL_CTL_ADD);
}

/* The POST's answer is complete: find the new status's id. */
static void post_finish(void)
{
	struct post *p = &posts[poster.post];
	p->answer_ns = now_ns();
	close(poster.fd);
	poster.fd = -1;
	buf_free(&poster.out);
	const char *r = poster.in.p ? poster.in.p : "";
	size_t n = poster.in.len;
	const char *body = memmem(r, n, "\r\n\r\n", 4);
	if (n < 12 || memcmp(r, "HTTP/1.1 200", 12) != 0 || !body)
		die("POST /api/v1/statuses answered '%.*s'",
		    (int)(n < 300 ? n : 300), r);
	/* The Status's own id is its first member. */
	const char *k = memmem(body, (size_t)(r + n - body), "\"id\"", 4);
	const char *end = r + n;
	if (k) {
		k = skip_ws(k + 4, end);
		if (k < end && *k == ':')
			k = skip_ws(k + 1, end);
	}
	if (!k || k >= end || *k != '"')
		die("no id in the POST answer: %.300s", body);
	const char *id = k + 1;
	const char *q = memchr(id, '"', (size_t)(end - id));
	if (!q)
		die("no id in the POST answer: %.300s", body);
	int slot = seen_lookup(id, (size_t)(q - id));
	if (slot < 0)
		die("id table full");
	ids[slot].post = poster.post;
	p->seen = slot;
	p->ok = true;
	poster.post = -1;
	buf_free(&poster.in);
}

static void post_on_event(uint32_t events)
{
	if (poster.fd < 0)
		return; /* answered earlier in the same epoll batch */
	if (poster.sent < poster.out.len) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		ssize_t w = send(poster.fd, poster.out.p + poster.sent,
				 poster.out.len - poster.sent, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			die("POST: send: %s", strerror(errno));
		}
		poster.sent += (size_t)w;
		if (poster.sent == poster.out.len)
			watch(poster.fd, &poster, EPOLLIN, EPOLL_CTL_MOD);
		return;
	}
	ssize_t r = recv(poster.fd, scratch, sizeof scratch, 0);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		die("POST: recv: %s", strerror(errno));
	}
	if (r == 0) {
		post_finish();
		return;
	}
	buf_append(&poster.in, scratch, (size_t)r);
	/* Done early when Content-Length says so. */
	const char *h = poster.in.p;
	const char *hend = memmem(h, poster.in.len, "\r\n\r\n", 4);
	size_t vlen;
	const char *cl;
	if (hend && (cl = header_value(h, (size_t)(hend - h) + 2,
				       "Content-Length", &vlen))) {
		size_t want = (size_t)strtoul(cl, NULL, 10);
		if (poster.in.len >= (size_t)(hend - h) + 4 + want)
			post_finish();
	}
}

/* ---- measurements ------------------------------------------------------- */

static long vmrss_kb(long pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long kb = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[n]; 0 when n == 0. */
static double percentile(const double *v, size_t n, double pct)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(pct / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* The pct percentile of sorted v[n] as text in out[32]: "n/a" if empty. */
static const char *fmt_ms(char out[32], const double *v, size_t n, double pct)
{
	if (n == 0)
		return strcpy(out, "n/a");
	snprintf(out, 32, "%.2f", percentile(v, n, pct));
	return out;
}

/* Every post answered and every eligible client served. */
static bool all_delivered(long done_posts)
{
	if (done_posts < opt.posts)
		return false;
	for (long i = 0; i < opt.posts; i++) {
		const struct post *p = &posts[i];
		if (!p->ok || ids[p->seen].received < p->eligible)
			return false;
	}
	return true;
}

static void raise_fd_limit(long want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= (rlim_t)want)
		return;
	rl.rlim_cur = (rlim_t)want;
	if (rl.rlim_max < (rlim_t)want)
		rl.rlim_max = (rlim_t)want; /* works as root only */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)want)
			die("need %ld descriptors, the hard limit is %llu "
			    "(ulimit -Hn)",
			    want, (unsigned long long)rl.rlim_max);
	}
}

/* ---- the run ------------------------------------------------------------ */

static int dispatch(int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	int n = epoll_wait(epfd, ev, MAX_EVENTS, timeout_ms);
	if (n < 0 && errno != EINTR)
		die("epoll_wait: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		enum kind *k = ev[i].data.ptr;
		if (*k == KIND_POST)
			post_on_event(ev[i].events);
		else
			ws_on_event((struct ws *)k, ev[i].events);
	}
	return n;
}

static void expire_handshakes(uint64_t now)
{
	uint64_t limit = (uint64_t)opt.handshake_timeout_ms * 1000000u;
	for (long i = 0; i < opt.clients; i++) {
		struct ws *c = &clients[i];
		if ((c->state == WS_CONNECTING || c->state == WS_HANDSHAKE) &&
		    now - c->started_ns > limit) {
			st.timeouts++;
			note_failure("handshake timed out");
			ws_close(c, true);
		}
	}
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void report_latencies(void);

int main(int argc, char **argv)
{
	parse_options(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	random_bytes(&rng_state, sizeof rng_state);
	rng_state |= 1;
	raise_fd_limit(opt.clients + FD_MARGIN);

	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	int gai = getaddrinfo(opt.host, opt.port, &hints, &server_addr);
	if (gai)
		die("%s:%s: %s", opt.host, opt.port, gai_strerror(gai));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));

	clients = calloc((size_t)opt.clients, sizeof *clients);
	posts = calloc((size_t)opt.posts + 1, sizeof *posts);
	ids_cap = (int)opt.posts + EXTRA_IDS;
	ids = calloc((size_t)ids_cap, sizeof *ids);
	if (!clients || !posts || !ids)
		die("out of memory");
	for (long i = 0; i < opt.clients; i++)
		clients[i] = (struct ws){.kind = KIND_WS, .fd = -1, .index = i};

	long rss_before = opt.pid ? vmrss_kb(opt.pid) : -1;
	if (opt.pid && rss_before < 0)
		die("no /proc/%ld/status", opt.pid);

	/* 1. Connect, at most --batch handshakes in flight: a burst of
	 * thousands of SYNs would overflow the server's listen backlog. */
	uint64_t t0 = now_ns(), last_check = t0;
	long next = 0;
	while (next < opt.clients || st.in_flight > 0) {
		while (next < opt.clients && st.in_flight < opt.batch)
			ws_start(&clients[next++]);
		dispatch(100);
		uint64_t now = now_ns();
		if (now - last_check > 500000000u) {
			expire_handshakes(now);
			last_check = now;
		}
	}
	uint64_t connect_ns = now_ns() - t0;
	printf("wsfan: connected %ld of %ld in %.2f s (%ld failed: %ld "
	       "refused, %ld bad accept, %ld connect errors, %ld timeouts)\n",
	       st.open, opt.clients, (double)connect_ns / 1e9, st.failed,
	       st.refused_status, st.bad_accept, st.connect_errors,
	       st.timeouts);
	if (st.first_failure[0])
		printf("wsfan: first failure: %s\n", st.first_failure);
	fflush(stdout);
	if (st.open == 0)
		die("no connection established");

	/* Let the server finish subscribing (and settle its memory). */
	uint64_t settle_end = now_ns() + (uint64_t)opt.settle_ms * 1000000u;
	for (uint64_t now; (now = now_ns()) < settle_end;)
		dispatch((int)((settle_end - now) / 1000000u) + 1);
	if (opt.pid) {
		long rss_after = vmrss_kb(opt.pid);
		printf("wsfan: server VmRSS %ld kB before, %ld kB with %ld "
		       "open: %.1f kB per connection\n",
		       rss_before, rss_after, st.open,
		       (double)(rss_after - rss_before) / (double)st.open);
	}

	/* 2. Post, one at a time, a new one --interval after the last
	 * started (or when it is answered, if that takes longer). */
	long started = 0, answered = 0;
	uint64_t next_post = now_ns(), last_answer = 0;
	uint64_t drain_limit = (uint64_t)opt.timeout_ms * 1000000u;
	for (;;) {
		uint64_t now = now_ns();
		if (poster.post < 0 && started < opt.posts &&
		    now >= next_post) {
			post_start((int)started++);
			next_post = now + (uint64_t)opt.interval_ms * 1000000u;
		}
		long prev_post = poster.post;
		int wait = 50;
		if (poster.post < 0 && started < opt.posts)
			wait = next_post > now
				       ? (int)((next_post - now) / 1000000u) + 1
				       : 0;
		dispatch(wait);
		if (prev_post >= 0 && poster.post < 0) {
			answered++;
			last_answer = now_ns();
		}
		if (answered == opt.posts) {
			if (all_delivered(answered))
				break;
			if (now_ns() - last_answer > drain_limit)
				break;
		}
	}
	uint64_t wall_ns = now_ns() - t0;

	report_latencies();
	printf("wsfan: at the end %ld open, %ld closed by the server (last "
	       "code %d), %ld protocol errors, %ld pings answered\n",
	       st.open, st.closed_by_server, st.last_close_code,
	       st.protocol_errors, st.pings);
	if (opt.pid)
		printf("wsfan: server VmRSS at the end %ld kB\n",
		       vmrss_kb(opt.pid));
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("wsfan: own cpu %.2f s user, %.2f s system over %.2f s\n",
	       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	       (double)wall_ns / 1e9);

	/* Say goodbye properly: close frame 1000, then hang up. */
	for (long i = 0; i < opt.clients; i++) {
		if (clients[i].state == WS_OPEN) {
			static const uint8_t bye[2] = {0x03, 0xE8};
			ws_send_control(&clients[i], 0x8, bye, 2);
		}
		ws_close(&clients[i], false);
	}
	freeaddrinfo(server_addr);
	return 0;
}

static void report_latencies(void)
{
	double *pair = malloc(((size_t)opt.posts * (size_t)opt.clients + 1) *
			      sizeof *pair);
	double *last = malloc(((size_t)opt.posts + 1) * sizeof *last);
	double *answer = malloc(((size_t)opt.posts + 1) * sizeof *answer);
	if (!pair || !last || !answer)
		die("out of memory");
	size_t npair = 0, nlast = 0;
	long expected = 0, lost = 0;
	for (long i = 0; i < opt.posts; i++) {
		const struct post *p = &posts[i];
		answer[i] = ms(p->answer_ns - p->start_ns);
		expected += p->eligible;
		const struct seen_id *s = &ids[p->seen];
		uint64_t latest = 0;
		long got = 0;
		for (long c = 0; c < opt.clients; c++) {
			uint64_t t = s->recv_ns[c];
			if (!t)
				continue;
			got++;
			/* an update read before our POST even started
			 * cannot be ours; clamp the clock's noise */
			uint64_t d = t > p->start_ns ? t - p->start_ns : 0;
			pair[npair++] = ms(d);
			if (d > latest)
				latest = d;
		}
		if (got < p->eligible)
			lost += p->eligible - got;
		else
			last[nlast++] = ms(latest);
	}
	qsort(pair, npair, sizeof *pair, cmp_double);
	qsort(last, nlast, sizeof *last, cmp_double);
	qsort(answer, (size_t)opt.posts, sizeof *answer, cmp_double);
	char a[32], b[32], c[32];
	printf("wsfan: posts %ld, POST answered in ms p50 %s p99 %s max %s\n",
	       opt.posts, fmt_ms(a, answer, (size_t)opt.posts, 50),
	       fmt_ms(b, answer, (size_t)opt.posts, 99),
	       fmt_ms(c, answer, (size_t)opt.posts, 100));
	printf("wsfan: post to last client ms p50 %s p99 %s max %s "
	       "(%zu of %ld posts reached every client)\n",
	       fmt_ms(a, last, nlast, 50), fmt_ms(b, last, nlast, 99),
	       fmt_ms(c, last, nlast, 100), nlast, opt.posts);
	printf("wsfan: delivery ms p50 %s p99 %s max %s (%zu of %ld "
	       "deliveries, %ld lost, %ld duplicates, %ld other updates)\n",
	       fmt_ms(a, pair, npair, 50), fmt_ms(b, pair, npair, 99),
	       fmt_ms(c, pair, npair, 100), npair, expected, lost,
	       duplicate_updates, other_updates);
	free(pair);
	free(last);
	free(answer);
}
