/* server.c — libmicrohttpd adapter: body accumulation or streaming, dispatch,
 * replies, CORS, access log.
 *
 * A request is routed as soon as its headers arrive, so the body limit and
 * the way the body is read can depend on the route: a multipart body sent
 * to an upload route is parsed as it arrives, its files streamed to disk;
 * every other body is buffered and parsed when complete. */
#include "http/http.h"

#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "text/text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
	/* streams hold their connections for hours: room for many */
	HTTP_CONNECTION_LIMIT = 16384,
	/* libmicrohttpd's pool per connection (headers, read buffer), kept
	 * while a stream lives: 32 KiB by default, half of it is plenty,
	 * unless max_url_bytes asks for more (connection_memory) */
	HTTP_CONNECTION_MEMORY = 16 * 1024,
	/* room beside a URL of max_url_bytes for the headers */
	HTTP_HEADER_ROOM = 8 * 1024,
	/* copies of the URL a connection's pool may hold at once: the
	 * request line, and a reply's Link header, which gives its query
	 * twice (next and prev) */
	HTTP_URL_COPIES = 3,
	/* a text field of a streamed upload (description, focus…) */
	HTTP_UPLOAD_FIELD_MAX = 64 * 1024,
	/* how often header deadlines are checked */
	HTTP_DEADLINE_TICK_MS = 500,
	/* a reply whose request used more arena than this sheds it (see
	 * shed_response); below it the arena simply lives until the end */
	HTTP_SHED_MIN_BYTES = 256 * 1024,
	/* buckets of the per-address connection counts */
	HTTP_ADDR_BUCKETS = 1024,
};

/* A connection whose request headers are still due: deadline_ns is when
 * they must be complete (0 while a request is being handled). One per
 * connection, listed for the deadline thread. */
typedef struct conn_watch {
	int fd;
	/* the peer, and whether it holds one of its max_per_address */
	cidr_addr peer;
	bool counted;
	_Atomic int64_t deadline_ns;
	struct conn_watch *prev, *next;
} conn_watch;

/* Bytes of shed reply bodies not yet sent, all connections together. */
static _Atomic long http_output_held;

/* A shed reply body: its own allocation, counted in http_output_held
 * until libmicrohttpd is done with it. */
typedef struct held_body {
	size_t len;
	char data[];
} held_body;

static const char http_busy_body[] =
	"{\"error\":\"The server is busy, try again later\"}";
static const char http_busy_retry_s[] = "5";

/* Request counts and durations by route, for /metrics. A request adds to
 * three relaxed atomics, with no lock; a scrape sums them as they are.
 * Counts are by route pattern, never by raw path, so the labels stay as
 * few as the routes: requests no route matched share one label, and a
 * status not listed here counts as "other". */
static const int http_stat_codes[] = {
	101, 200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308,
	400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 413, 414,
	415, 416, 422, 429, 431, 500, 501, 502, 503, 504, 507,
};
enum {
	HTTP_STAT_CODES = sizeof http_stat_codes / sizeof *http_stat_codes,
	HTTP_STAT_SLOTS = HTTP_STAT_CODES + 1, /* the last: any other */
};
/* the methods of unmatched requests (HEAD is counted as GET) */
static const char *const http_stat_methods[] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
};
enum {
	HTTP_STAT_METHODS =
		sizeof http_stat_methods / sizeof *http_stat_methods,
};
static const char http_stat_unmatched[] = "unmatched";

typedef struct http_stat_counts {
	_Atomic uint64_t by_status[HTTP_STAT_SLOTS];
} http_stat_counts;

typedef struct http_stat_durations {
	_Atomic uint64_t buckets[METRICS_DURATION_BUCKETS + 1];
	_Atomic uint64_t sum_ns;
} http_stat_durations;

struct http_server {
	struct MHD_Daemon *daemon;
	/* rows 0..nroutes-1 the routes, then one per http_stat_methods for
	 * requests no route matched */
	http_stat_counts *counts;
	/* rows 0..nroutes-1 the routes, then the unmatched ones */
	http_stat_durations *durations;
	http_server_opts opts;
	http_router *router;
	pthread_key_t thread_key;
	char *upload_dir; /* opts.upload_dir made absolute, or NULL */
	long max_upload_bytes;
	/* deferred work: pool 0 (opts.work_threads) and opts.pools */
	struct http_pool *pools;
	size_t npools;
	/* header deadlines: every open connection, and the thread that
	 * hangs up on those past theirs */
	pthread_mutex_t watch_lock;
	pthread_cond_t watch_wake;
	conn_watch *watching;
	pthread_t watch_thread;
	bool watch_running, watch_stop;
	int64_t header_timeout_ns;
	/* open connections (and proxied requests in flight) per address,
	 * for opts.max_per_address */
	pthread_mutex_t addr_lock;
	struct addr_count *addr_buckets[HTTP_ADDR_BUCKETS];
};

/* How many slots of max_per_address one address holds; listed while
 * it holds any. */
typedef struct addr_count {
	cidr_addr addr;
	int n;
	struct addr_count *next;
} addr_count;

static void client_resolve(http_server *s, http_req *r);

/* Work threads and the suspended requests waiting for them. */
typedef struct http_pool {
	http_server *server;
	http_pool_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	http_req *head, *tail;
	/* requests deferred here and not yet taken by a thread: a slot is
	 * reserved by http_defer_to, before the request is queued */
	int waiting;
	pthread_t *threads;
	int nthreads;
	bool stop;
} http_pool;

/* Browser clients (Elk, Phanpy…) need CORS on the API with Link exposed or
 * they cannot paginate. */
static const char cors_expose[] = "Link, Idempotency-Key";

/* Sent on every response a handler did not give its own policy: nothing a
 * JSON body or an uploaded file contains may run as a page, or be framed. */
static const char default_csp[] =
	"default-src 'none'; frame-ancestors 'none'; form-action 'none'; "
	"base-uri 'none'";

bool http_path_wants_cors(const char *path)
{
	return !strncmp(path, "/api/", 5) || !strncmp(path, "/oauth/", 7) ||
	       !strncmp(path, "/.well-known/", 13) ||
	       !strncmp(path, "/nodeinfo/", 10);
}

void http_set_header(http_req *r, const char *name, const char *value)
{
	if (r->nheaders == r->headers_cap) {
		size_t cap = r->headers_cap ? r->headers_cap * 2 : 8;
		http_header *h = arena_alloc(&r->arena, cap * sizeof *h);
		if (r->nheaders)
			memcpy(h, r->headers, r->nheaders * sizeof *h);
		r->headers = h;
		r->headers_cap = cap;
	}
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
}

/* Drop a file body an earlier reply chose. */
static void release_file_body(http_req *r)
{
	if (r->resp_fd >= 0)
		close(r->resp_fd);
	r->resp_fd = -1;
	r->resp_offset = 0;
}

void http_reply_raw(http_req *r, int status, const char *content_type,
		    const char *body, size_t len)
{
	release_file_body(r);
	r->status = status;
	r->resp_type = content_type;
	r->resp_body = body;
	r->resp_len = len;
	r->responded = true;
}

static int dump_to_buf(const char *data, size_t size, void *ctx)
{
	buf_append(ctx, data, size);
	return 0;
}

void http_reply_json(http_req *r, int status, json_t *body)
{
	buf out;
	buf_init(&out, &r->arena);
	json_dump_callback(body, dump_to_buf, &out,
			   JSON_COMPACT | JSON_ENCODE_ANY |
				   JSON_REAL_PRECISION(10));
	json_decref(body);
	http_reply_raw(r, status, "application/json; charset=utf-8", out.data,
		       out.len);
}

void http_reply_error(http_req *r, int status, const char *msg)
{
	http_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

void http_reply_oauth_error(http_req *r, int status, const char *code,
			    const char *desc)
{
	http_reply_json(r, status,
			json_pack("{s:s,s:s}", "error", code,
				  "error_description", desc));
}

void http_redirect(http_req *r, const char *location)
{
	http_set_header(r, "Location", location);
	http_reply_raw(r, 302, "text/html; charset=utf-8", "", 0);
}

const char *http_header_get(http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static bool key_dropped(const char *key, const char *const *drop)
{
	for (; drop && *drop; drop++)
		if (!strcmp(key, *drop))
			return true;
	return false;
}

/* Percent-encode for a query component; keeps [A-Za-z0-9-._~]. */
static void put_query_escaped(buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_putc(b, (char)*p);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
}

char *http_url_with(http_req *r, const char *base, const char *const *drop,
		    const char *key, const char *value)
{
	buf b;
	buf_init(&b, &r->arena);
	buf_puts(&b, base);
	buf_puts(&b, r->path);
	char sep = '?';
	for (size_t i = 0; i < r->nparams; i++) {
		const http_param *p = &r->params[i];
		if (!p->from_query || key_dropped(p->key, drop) ||
		    !strcmp(p->key, key))
			continue;
		buf_putc(&b, sep);
		sep = '&';
		put_query_escaped(&b, p->key);
		if (p->is_list)
			buf_puts(&b, "%5B%5D");
		buf_putc(&b, '=');
		put_query_escaped(&b, p->value);
	}
	buf_putc(&b, sep);
	put_query_escaped(&b, key);
	buf_putc(&b, '=');
	put_query_escaped(&b, value);
	return b.data;
}

static bool params_valid_utf8(http_req *r)
{
	for (size_t i = 0; i < r->nparams; i++) {
		const http_param *p = &r->params[i];
		if (p->filename)
			continue;
		if (!text_utf8_valid(p->key, strlen(p->key)) ||
		    !text_utf8_valid(p->value, p->len))
			return false;
	}
	return true;
}

/* The end of a request's handling, wherever it ran: streamed files the
 * handler did not keep go now, before the reply (a client must never see
 * them outlive its answer), then the after hook, then a 500 if nothing
 * replied. */
static void finish(http_server *s, http_req *r)
{
	http_multipart_cleanup(r->upload);
	if (s->opts.after)
		s->opts.after(r);
	if (!r->responded)
		http_reply_error(r, 500, "Internal server error");
}

/* An error found before any handler: the server's error page hook when
 * there is one (an HTML page for browser paths), else JSON. */
static void reply_error(http_server *s, http_req *r, int status,
			const char *msg)
{
	if (s->opts.error_page)
		s->opts.error_page(r, status, msg);
	else
		http_reply_error(r, status, msg);
}

/* Handle a complete request. True when the handler deferred work: then
 * only the I/O thread's after hook has run, and the caller hands r to a
 * work thread. */
static bool dispatch(http_server *s, http_req *r)
{
	if (!strcmp(r->method, "OPTIONS") && http_path_wants_cors(r->path)) {
		http_set_header(r, "Access-Control-Allow-Methods",
				"GET, POST, PUT, PATCH, DELETE, OPTIONS");
		const char *req_headers =
			http_header_get(r, "Access-Control-Request-Headers");
		http_set_header(r, "Access-Control-Allow-Headers",
				req_headers ? req_headers
					    : "Authorization, Content-Type");
		http_set_header(r, "Access-Control-Max-Age", "86400");
		http_reply_raw(r, 200, "application/json; charset=utf-8", "{}",
			       2);
		return false;
	}
	if (r->body_too_large) {
		reply_error(s, r, 413, "Request body too large");
		return false;
	}
	/* a streamed body was parsed as it came */
	const char *ctype = http_header_get(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *err = r->upload ? NULL : http_body_parse(r, ctype);
	if (!err)
		err = http_params_check(r);
	if (err) {
		http_reply_error(r, 400, err);
		return false;
	}
	if (!params_valid_utf8(r) ||
	    !text_utf8_valid(r->path, strlen(r->path))) {
		reply_error(s, r, 400, "Invalid UTF-8 in the request");
		return false;
	}
	const http_route *rt = r->route; /* matched when the headers came */
	if (!rt) {
		reply_error(s, r, 404, "Not found");
		return false;
	}
	if (!s->opts.guard || s->opts.guard(r, rt))
		rt->handler(r);
	if (r->work) {
		if (s->opts.after) /* this thread's part (its snapshot) */
			s->opts.after(r);
		return true;
	}
	finish(s, r);
	return false;
}

/* Normalise the request path: no trailing slash (clients send both
 * /api/v1/instance and /api/v1/instance/), never empty. */
static const char *clean_path(arena *a, const char *url)
{
	size_t n = strcspn(url, "?");
	while (n > 1 && url[n - 1] == '/')
		n--;
	return n ? arena_strndup(a, url, n) : "/";
}

static struct MHD_Response *create_response(http_req *r)
{
	if (r->resp_fd < 0)
		return MHD_create_response_from_buffer(
			r->is_head ? 0 : r->resp_len, (void *)r->resp_body,
			MHD_RESPMEM_PERSISTENT);
	/* MHD sends the file with sendfile and closes the fd; for HEAD it
	 * sends only the headers, Content-Length included */
	struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(
		r->resp_len, r->resp_fd, r->resp_offset);
	if (resp)
		r->resp_fd = -1;
	return resp;
}

static void add_security_headers(http_server *s, struct MHD_Response *resp,
				 bool own_csp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	if (!own_csp)
		MHD_add_response_header(resp, "Content-Security-Policy",
					default_csp);
	if (s->opts.hsts)
		MHD_add_response_header(resp, "Strict-Transport-Security",
					"max-age=31536000");
}

static void held_body_free(void *cls)
{
	held_body *h = cls;
	atomic_fetch_sub(&http_output_held, (long)h->len);
	free(h);
}

/* Whether r's reply should leave its arena before it is sent: a plain
 * buffered body whose request used a lot of memory to build it. */
static bool should_shed(const http_req *r)
{
	return !r->upgrade && !r->feed && !r->upload && r->resp_fd < 0 &&
	       r->arena.total > HTTP_SHED_MIN_BYTES;
}

/* The reply of a request that should_shed: its body copied into a block
 * of its own, so the arena (every intermediate of the rendering, several
 * times the body) can go as soon as the reply is queued instead of
 * waiting for a slow client to read it all. Copies count against
 * max_output_bytes; past it the reply is a 503 instead (unless it would
 * be the only one held), so clients that do not read can hold only that
 * much, however many they are. */
static struct MHD_Response *shed_response(http_server *s, http_req *r)
{
	size_t len = r->is_head ? 0 : r->resp_len;
	long held = atomic_fetch_add(&http_output_held, (long)len) + (long)len;
	/* one reply larger than the whole budget (old rows from before the
	 * text caps) may still go out, alone */
	bool alone = held == (long)len;
	held_body *h = NULL;
	if (s->opts.max_output_bytes <= 0 || alone ||
	    held <= s->opts.max_output_bytes)
		h = malloc(sizeof *h + len);
	if (!h) {
		atomic_fetch_sub(&http_output_held, (long)len);
		log_info("%s %s: reply of %zu bytes refused, %ld bytes of "
			 "replies are waiting for their clients",
			 r->method, r->path, len, held - (long)len);
		r->status = 503;
		r->resp_type = "application/json; charset=utf-8";
		r->nheaders = 0;
		http_set_header(r, "Retry-After", http_busy_retry_s);
		return MHD_create_response_from_buffer(
			r->is_head ? 0 : strlen(http_busy_body),
			(void *)http_busy_body, MHD_RESPMEM_PERSISTENT);
	}
	h->len = len;
	memcpy(h->data, r->resp_body, len);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer_with_free_callback_cls(
			len, h->data, held_body_free, h);
	if (!resp)
		held_body_free(h);
	return resp;
}

/* Release r's arena, keeping what the access log and on_completed still
 * read (method and path); everything else of the request is gone. */
static void shed_arena(http_req *r)
{
	arena fresh;
	arena_init(&fresh);
	if (!r->is_head)
		r->method = arena_strdup(&fresh, r->method);
	r->path = arena_strdup(&fresh, r->path);
	r->params = NULL;
	r->nparams = r->params_cap = 0;
	r->headers = NULL;
	r->nheaders = r->headers_cap = 0;
	r->resp_type = NULL;
	r->resp_body = NULL;
	r->user = NULL;
	memset(&r->body, 0, sizeof r->body);
	arena_release(&r->arena);
	r->arena = fresh;
}

static enum MHD_Result send_response(http_server *s, http_req *r)
{
	bool shed = should_shed(r);
	struct MHD_Response *resp = r->upgrade ? http_upgrade_response(r)
				    : r->feed  ? http_feed_response(r)
				    : shed     ? shed_response(s, r)
					       : create_response(r);
	if (!resp)
		return MHD_NO;
	if (r->resp_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					r->resp_type);
	if (http_path_wants_cors(r->path)) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin",
					"*");
		MHD_add_response_header(resp, "Access-Control-Expose-Headers",
					cors_expose);
	}
	bool own_csp = false;
	for (size_t i = 0; i < r->nheaders; i++) {
		MHD_add_response_header(resp, r->headers[i].name,
					r->headers[i].value);
		own_csp |= !strcasecmp(r->headers[i].name,
				       "Content-Security-Policy");
	}
	if (!r->upgrade_sent)
		add_security_headers(s, resp, own_csp);
	enum MHD_Result ret =
		MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	r->queued = ret == MHD_YES;
	http_long_reply_done(r, r->queued);
	if (shed)
		shed_arena(r);
	return ret;
}

/* A request as the URI callback sees it: the raw target, before
 * libmicrohttpd reads the headers. NULL when memory ran out. */
static http_req *request_alloc(http_server *s, const char *uri)
{
	http_req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	arena_init(&r->arena);
	r->server = s;
	r->limits = &s->opts.param_limits;
	r->started_ns = time_mono_ns();
	r->resp_fd = -1;
	buf_init(&r->body, &r->arena);
	size_t len = strlen(uri);
	r->url_too_long = s->opts.max_url_bytes > 0 &&
			  len > (size_t)s->opts.max_url_bytes;
	/* libmicrohttpd decodes %00 into the path and query values it
	 * hands over, where it would silently cut them */
	for (const char *p = uri; !r->url_has_nul && (p = strchr(p, '%')); p++)
		r->url_has_nul = p[1] == '0' && p[2] == '0';
	const char *q = strchr(uri, '?');
	if (q && !r->url_too_long) {
		r->raw_query_len = len - (size_t)(q + 1 - uri);
		r->raw_query =
			arena_strndup(&r->arena, q + 1, r->raw_query_len);
	}
	return r;
}

/* The headers are in: what the URI callback could not know yet. */
static void request_init(http_req *r, struct MHD_Connection *conn,
			 const char *url, const char *method)
{
	r->conn = conn;
	r->begun = true;
	r->is_head = !strcmp(method, "HEAD");
	r->method = r->is_head ? "GET" : arena_strdup(&r->arena, method);
	r->path = clean_path(&r->arena, url);
}

static bool is_multipart(const char *content_type)
{
	return content_type &&
	       !strncasecmp(content_type, "multipart/form-data", 19);
}

/* Counts what framing_error needs: [0] Content-Length headers, [1]
 * Transfer-Encoding headers. (A raw NUL inside a header line cannot be
 * seen here: libmicrohttpd reports each value's length as its C string's;
 * docs/api.md says so.) */
static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind,
				    const char *key, const char *value)
{
	int *n = cls;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
		n[0]++;
	else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		n[1]++;
	return MHD_YES;
}

/* Why the body's framing is ambiguous, or NULL. A proxy in front may
 * read a body one way and us another (request smuggling): a length and
 * a chunked encoding together, two lengths, or an encoding other than
 * chunked are refused, as RFC 9112 §6.3 allows. */
static const char *framing_error(http_req *r)
{
	int n[2] = {0, 0};
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, n);
	if (n[0] && n[1])
		return "Content-Length and Transfer-Encoding together";
	if (n[0] > 1)
		return "More than one Content-Length";
	const char *te = http_header_get(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (n[1] > 1 || (te && strcasecmp(te, "chunked")))
		return "Unsupported Transfer-Encoding";
	return NULL;
}

/* Answer before reading the body, and hang up after: what follows the
 * headers cannot be trusted to be this request's body. */
static enum MHD_Result refuse_unread(http_server *s, http_req *r, int status,
				     const char *msg)
{
	http_set_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	http_reply_error(r, status, msg);
	return send_response(s, r);
}

/* The headers are in: route the request, pick its body limit and, for a
 * multipart body on an upload route, start the streaming parser. Replies
 * at once when the body is refused unread. */
static enum MHD_Result request_begin(http_server *s, http_req *r)
{
	client_resolve(s, r);
	if (r->via_proxy && !r->counted)
		return refuse_unread(s, r, 429,
				     "Too many connections from this address");
	const char *framing = framing_error(r);
	if (framing)
		return refuse_unread(s, r, 400, framing);
	if (r->url_has_nul)
		return refuse_unread(s, r, 400, "NUL byte in the request URL");
	if (r->url_too_long)
		return refuse_unread(s, r, 414, "URL too long");
	http_parse_urlencoded(r, r->raw_query, r->raw_query_len, true);
	const char *too_many = http_params_check(r);
	if (too_many)
		return refuse_unread(s, r, 400, too_many);
	const http_route *rt = http_router_match(s->router, r);
	const char *ctype = http_header_get(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	bool stream = rt && rt->upload && s->upload_dir && is_multipart(ctype);
	long limit = stream ? s->max_upload_bytes : s->opts.max_body_bytes;
	/* refuse an oversized declared body before reading it */
	const char *cl = http_header_get(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoll(cl, NULL, 10) > limit) {
		reply_error(s, r, 413, "Request body too large");
		return send_response(s, r);
	}
	/* an upload is authorised before its body is read: without a
	 * token nobody makes us write a byte to disk. The after hook ends
	 * the guard's snapshot, which must not stay open for the upload. */
	if (stream && s->opts.guard) {
		bool allowed = s->opts.guard(r, rt);
		if (s->opts.after)
			s->opts.after(r);
		if (!allowed)
			return send_response(s, r);
	}
	if (!stream)
		return MHD_YES;
	const http_multipart_limits limits = {
		.field_max = HTTP_UPLOAD_FIELD_MAX,
		.memory_max = (size_t)s->opts.max_body_bytes,
	};
	const char *err = NULL;
	r->upload =
		http_multipart_begin(r, ctype, s->upload_dir, &limits, &err);
	if (!r->upload) {
		http_reply_error(r, 400, err);
		return send_response(s, r);
	}
	return MHD_YES;
}

/* Has the client closed its end before sending the declared body?
 * libmicrohttpd 0.9 in edge-triggered epoll mode misses a FIN that arrives
 * with the last bytes (it stops reading after a short read and no new edge
 * comes), which would leave a dead upload, temp file and all, to the
 * connection timeout. One non-blocking peek per chunk finds it. */
static bool client_left_mid_body(http_req *r)
{
	const char *cl = http_header_get(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!cl || r->upload_bytes >= strtoull(cl, NULL, 10))
		return false; /* chunked, or complete: MHD knows the end */
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	char c;
	ssize_t got = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return got == 0 || (got < 0 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR);
}

/* A chunk of a streamed body. A malformed body is read to its end,
 * discarded, so the client sees the 400 rather than a reset. So is one
 * over the limit (chunked: a declared length was checked up front), its
 * files removed at once: libmicrohttpd 0.9 cannot queue a reply before
 * the body is read. Past twice the limit, hang up. */
static enum MHD_Result stream_chunk(http_server *s, http_req *r,
				    const char *data, size_t n)
{
	uint64_t limit = (uint64_t)s->max_upload_bytes;
	r->upload_bytes += n;
	if (r->upload_bytes <= limit) {
		http_multipart_feed(r->upload, data, n);
		return client_left_mid_body(r) ? MHD_NO : MHD_YES;
	}
	if (!r->body_too_large)
		http_multipart_cleanup(r->upload);
	r->body_too_large = true;
	return r->upload_bytes - limit > limit ? MHD_NO : MHD_YES;
}

/* ---- deferred work ---- */

bool http_defer_to(http_req *r, int pool, http_work_fn fn, void *ctx)
{
	http_server *s = r->server;
	http_pool *p = s && pool >= 0 && (size_t)pool < s->npools
			       ? &s->pools[pool]
			       : NULL;
	if (!p || p->nthreads == 0) {
		fn(r, ctx);
		return true;
	}
	pthread_mutex_lock(&p->lock);
	bool full =
		p->opts.max_waiting > 0 && p->waiting >= p->opts.max_waiting;
	if (!full)
		p->waiting++;
	pthread_mutex_unlock(&p->lock);
	if (full)
		return false;
	r->work = fn;
	r->work_ctx = ctx;
	r->work_pool = p;
	return true;
}

void http_defer(http_req *r, http_work_fn fn, void *ctx)
{
	http_defer_to(r, 0, fn, ctx); /* pool 0 has no limit: never refuses */
}

/* Suspend r's connection and queue it for its pool's threads; false when
 * the server is stopping (the caller runs the work itself). */
static bool work_push(http_req *r)
{
	http_pool *p = r->work_pool;
	pthread_mutex_lock(&p->lock);
	bool ok = !p->stop;
	if (ok) {
		MHD_suspend_connection(r->conn);
		r->work_next = NULL;
		if (p->tail)
			p->tail->work_next = r;
		else
			p->head = r;
		p->tail = r;
		pthread_cond_signal(&p->wake);
	} else {
		p->waiting--;
	}
	pthread_mutex_unlock(&p->lock);
	return ok;
}

/* Lower a work thread's CPU priority by nice (Linux: per thread). */
static void work_thread_nice(int nice)
{
	if (nice > 0 &&
	    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice) < 0)
		log_error("work thread priority: %s", strerror(errno));
}

static void *work_main(void *arg)
{
	http_pool *p = arg;
	http_server *s = p->server;
	work_thread_nice(p->opts.nice);
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->wake, &p->lock);
		http_req *r = p->head;
		if (r) {
			p->head = r->work_next;
			if (!p->head)
				p->tail = NULL;
			p->waiting--;
		}
		pthread_mutex_unlock(&p->lock);
		if (!r)
			break; /* stopping, and nothing left */
		if (s->opts.work_begin)
			s->opts.work_begin();
		r->work(r, r->work_ctx);
		finish(s, r);
		MHD_resume_connection(r->conn);
	}
	if (s->opts.thread_exit)
		s->opts.thread_exit();
	return NULL;
}

static int pool_start(http_server *s, http_pool *p, const http_pool_opts *o)
{
	p->server = s;
	p->opts = *o;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	if (o->threads <= 0)
		return 0;
	p->threads = calloc((size_t)o->threads, sizeof *p->threads);
	if (!p->threads)
		return -1;
	for (; p->nthreads < o->threads; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, work_main,
				   p))
			return -1;
	return 0;
}

/* Pool 0 (opts.work_threads, no limit) and opts.pools after it. */
static int work_start(http_server *s)
{
	s->pools = calloc(s->opts.npools + 1, sizeof *s->pools);
	if (!s->pools)
		return -1;
	http_pool_opts first = {.threads = s->opts.work_threads};
	for (size_t i = 0; i <= s->opts.npools; i++) {
		s->npools = i + 1; /* work_stop joins what did start */
		if (pool_start(s, &s->pools[i],
			       i ? &s->opts.pools[i - 1] : &first) < 0)
			return -1;
	}
	return 0;
}

/* Let the work threads finish what is queued (resuming each connection),
 * then join them. */
static void work_stop(http_server *s)
{
	for (size_t i = 0; i < s->npools; i++) {
		http_pool *p = &s->pools[i];
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_broadcast(&p->wake);
		pthread_mutex_unlock(&p->lock);
	}
	for (size_t i = 0; i < s->npools; i++) {
		http_pool *p = &s->pools[i];
		for (int t = 0; t < p->nthreads; t++)
			pthread_join(p->threads[t], NULL);
		free(p->threads);
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->wake);
	}
	free(s->pools);
	s->pools = NULL;
	s->npools = 0;
}

/* ---- connections per address ----
 * libmicrohttpd's own per-IP cap counts TCP peers, and behind a reverse
 * proxy the peer is always the proxy: one cap for every client together.
 * So the count is ours. A peer that is not a trusted proxy holds a slot
 * per open connection, as before. A trusted proxy holds none; instead
 * each request it forwards holds a slot of the client X-Forwarded-For
 * names, from its headers to its end (a stream: until it closes). That
 * is the same thing counted at the other end of the proxy: nginx opens
 * one upstream connection per request in flight (the shipped site keeps
 * none alive), and what the cap is for — one client holding many
 * streams, or many slow requests — is exactly its requests in flight. */

static unsigned addr_hash(const cidr_addr *a)
{
	unsigned h = 2166136261u;
	for (size_t i = 0; i < sizeof a->bytes; i++)
		h = (h ^ a->bytes[i]) * 16777619u;
	return (h ^ (unsigned)a->family) % HTTP_ADDR_BUCKETS;
}

/* Take one of a's slots: false when it holds max_per_address already
 * (or memory ran out). Always true without a cap. */
static bool addr_acquire(http_server *s, const cidr_addr *a)
{
	if (s->opts.max_per_address <= 0)
		return true;
	bool ok = false;
	pthread_mutex_lock(&s->addr_lock);
	addr_count **head = &s->addr_buckets[addr_hash(a)], *c = *head;
	while (c && memcmp(&c->addr, a, sizeof *a))
		c = c->next;
	if (!c && (c = calloc(1, sizeof *c))) {
		c->addr = *a;
		c->next = *head;
		*head = c;
	}
	if (c && c->n < s->opts.max_per_address) {
		c->n++;
		ok = true;
	}
	pthread_mutex_unlock(&s->addr_lock);
	return ok;
}

static void addr_release(http_server *s, const cidr_addr *a)
{
	pthread_mutex_lock(&s->addr_lock);
	addr_count **link = &s->addr_buckets[addr_hash(a)];
	while (*link && memcmp(&(*link)->addr, a, sizeof *a))
		link = &(*link)->next;
	addr_count *c = *link;
	if (c && --c->n <= 0) {
		*link = c->next;
		free(c);
	}
	pthread_mutex_unlock(&s->addr_lock);
}

static void addr_table_free(http_server *s)
{
	for (size_t i = 0; i < HTTP_ADDR_BUCKETS; i++)
		while (s->addr_buckets[i]) {
			addr_count *c = s->addr_buckets[i];
			s->addr_buckets[i] = c->next;
			free(c);
		}
	pthread_mutex_destroy(&s->addr_lock);
}

static bool peer_of(struct MHD_Connection *conn, cidr_addr *out)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci && cidr_addr_from_sockaddr(ci->client_addr, out);
}

bool http_forwarded_client(const char *xff, const cidr_list *trusted,
			   cidr_addr *client)
{
	if (!xff || !cidr_list_contains(trusted, client))
		return false;
	bool replaced = false;
	const char *end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end;
		while (start > xff && start[-1] != ',')
			start--;
		cidr_addr hop;
		if (!cidr_addr_parse(start, (size_t)(end - start), &hop))
			break;
		*client = hop;
		replaced = true;
		if (!cidr_list_contains(trusted, &hop))
			break;
		end = start > xff ? start - 1 : start;
	}
	return replaced;
}

/* Set r's client: the peer, or the client a trusted proxy names. */
static void client_resolve(http_server *s, http_req *r)
{
	cidr_addr a;
	if (!peer_of(r->conn, &a))
		return;
	r->via_proxy =
		http_forwarded_client(http_header_get(r, "X-Forwarded-For"),
				      s->opts.trusted_proxies, &a);
	r->client_addr = a;
	if (r->via_proxy)
		r->counted = addr_acquire(s, &a);
}

/* ---- header deadlines ----
 * libmicrohttpd's timeout counts silence, so a client sending one header
 * byte every few seconds would hold its connection forever. Every
 * connection is listed with the time its request headers are due; a
 * thread hangs up (shutdown, which libmicrohttpd sees as the client
 * leaving) on any past it. libmicrohttpd reports a connection closed
 * before it closes the socket, so a listed fd is always still ours. */

static conn_watch *watch_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void watch_arm(http_server *s, struct MHD_Connection *conn)
{
	conn_watch *w = watch_of(conn);
	if (w && s->header_timeout_ns)
		w->deadline_ns = time_mono_ns() + s->header_timeout_ns;
}

static void watch_headers_done(struct MHD_Connection *conn)
{
	conn_watch *w = watch_of(conn);
	if (w)
		w->deadline_ns = 0;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	http_server *s = cls;
	conn_watch *w = *socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		w = calloc(1, sizeof *w);
		if (!w || !ci) {
			free(w);
			return;
		}
		w->fd = ci->connect_fd;
		/* a trusted proxy's connections count per forwarded request
		 * (client_resolve); anyone else's here, refused by hanging
		 * up at once as libmicrohttpd's own cap did */
		if (peer_of(conn, &w->peer) &&
		    !cidr_list_contains(s->opts.trusted_proxies, &w->peer)) {
			w->counted = addr_acquire(s, &w->peer);
			if (!w->counted)
				shutdown(w->fd, SHUT_RDWR);
		}
		w->deadline_ns = s->header_timeout_ns
					 ? time_mono_ns() + s->header_timeout_ns
					 : 0;
		pthread_mutex_lock(&s->watch_lock);
		w->next = s->watching;
		if (s->watching)
			s->watching->prev = w;
		s->watching = w;
		pthread_mutex_unlock(&s->watch_lock);
		*socket_context = w;
		return;
	}
	if (!w)
		return;
	if (w->counted)
		addr_release(s, &w->peer);
	pthread_mutex_lock(&s->watch_lock);
	if (w->prev)
		w->prev->next = w->next;
	else
		s->watching = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&s->watch_lock);
	free(w);
	*socket_context = NULL;
}

static void *watch_main(void *arg)
{
	http_server *s = arg;
	pthread_mutex_lock(&s->watch_lock);
	while (!s->watch_stop) {
		int64_t now = time_mono_ns();
		for (conn_watch *w = s->watching; w; w = w->next) {
			int64_t due = w->deadline_ns;
			if (due && due < now) {
				w->deadline_ns = 0;
				shutdown(w->fd, SHUT_RDWR);
			}
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += HTTP_DEADLINE_TICK_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&s->watch_wake, &s->watch_lock, &until);
	}
	pthread_mutex_unlock(&s->watch_lock);
	return NULL;
}

static int watch_start(http_server *s)
{
	pthread_mutex_init(&s->watch_lock, NULL);
	pthread_cond_init(&s->watch_wake, NULL);
	s->header_timeout_ns = (int64_t)s->opts.header_timeout_s * 1000000000LL;
	if (!s->header_timeout_ns)
		return 0;
	if (pthread_create(&s->watch_thread, NULL, watch_main, s))
		return -1;
	s->watch_running = true;
	return 0;
}

static void watch_stop(http_server *s)
{
	pthread_mutex_lock(&s->watch_lock);
	s->watch_stop = true;
	pthread_cond_broadcast(&s->watch_wake);
	pthread_mutex_unlock(&s->watch_lock);
	if (s->watch_running)
		pthread_join(s->watch_thread, NULL);
	s->watch_running = false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	http_server *s = cls;
	http_req *r = *con_cls;
	if (!r) /* the URI callback ran out of memory */
		return MHD_NO;
	if (!r->begun) {
		watch_headers_done(conn);
		request_init(r, conn, url, method);
		return request_begin(s, r);
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->responded)
			return MHD_YES; /* refused already: discard */
		if (r->upload)
			return stream_chunk(s, r, upload_data, n);
		if (r->body.len + n > (size_t)s->opts.max_body_bytes)
			r->body_too_large = true;
		else
			buf_append(&r->body, upload_data, n);
		return MHD_YES;
	}
	if (r->queued)
		return MHD_YES;
	if (r->work) /* resumed: the work thread has replied */
		return send_response(s, r);
	if (r->responded)
		return MHD_YES;
	/* (an oversized body is answered by dispatch) */
	int status = 0;
	if (r->upload && !r->body_too_large)
		status = http_multipart_end(r->upload);
	if (status)
		http_reply_error(r, status, http_multipart_error(r->upload));
	else if (dispatch(s, r) && work_push(r))
		return MHD_YES; /* suspended until the work is done */
	else if (r->work) {	/* the server is stopping: do it here */
		r->work(r, r->work_ctx);
		finish(s, r);
	}
	return send_response(s, r);
}

const cidr_addr *http_client_address(http_req *r)
{
	return r->client_addr.family ? &r->client_addr : NULL;
}

static int stat_slot(int status)
{
	for (int i = 0; i < HTTP_STAT_CODES; i++)
		if (http_stat_codes[i] == status)
			return i;
	return HTTP_STAT_CODES;
}

static int stat_method(const char *method)
{
	for (int i = 0; i < HTTP_STAT_METHODS - 1; i++)
		if (!strcmp(http_stat_methods[i], method))
			return i;
	return HTTP_STAT_METHODS - 1;
}

static void stat_record(http_server *s, http_req *r, int64_t ns)
{
	size_t nroutes = s->opts.nroutes;
	size_t route = r->route ? (size_t)(r->route - s->opts.routes) : nroutes;
	size_t row = route < nroutes ? route
				     : nroutes + (size_t)stat_method(r->method);
	http_stat_durations *d =
		&s->durations[route < nroutes ? route : nroutes];
	atomic_fetch_add_explicit(
		&s->counts[row].by_status[stat_slot(r->status)], 1,
		memory_order_relaxed);
	atomic_fetch_add_explicit(&d->buckets[metrics_duration_bucket(ns)], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&d->sum_ns, (uint64_t)(ns > 0 ? ns : 0),
				  memory_order_relaxed);
}

static void access_log(http_req *r, int64_t ns, const char *note)
{
	/* the text form only here: most servers run without this log */
	char client[CIDR_ADDR_TEXT] = "?";
	if (r->client_addr.family)
		cidr_addr_format(&r->client_addr, client);
	log_access(r->is_head ? "HEAD" : r->method, r->path, r->status,
		   (double)ns / 1e6, client, note);
}

/* The request is over for its client (answered, aborted, or handed to
 * the streaming thread): count it, and log it once. */
static void request_done(http_server *s, http_req *r, const char *note)
{
	int64_t ns = time_mono_ns() - r->started_ns;
	stat_record(s, r, ns);
	if (s->opts.access_log)
		access_log(r, ns, note);
	r->logged = true;
}

static const char *route_label(const http_route *route)
{
	return route->name ? route->name : route->pattern;
}

void http_server_metrics(http_server *s, buf *b)
{
	static const char *const names[] = {"method", "route", "status"};
	metrics_header(b, "chorus_http_requests_total", "counter",
		       "HTTP requests answered, by route pattern and status");
	size_t nroutes = s->opts.nroutes;
	for (size_t row = 0; row < nroutes + HTTP_STAT_METHODS; row++) {
		bool unmatched = row >= nroutes;
		const char *values[3] = {
			unmatched ? http_stat_methods[row - nroutes]
				  : s->opts.routes[row].method,
			unmatched ? http_stat_unmatched
				  : route_label(&s->opts.routes[row]),
			NULL};
		for (int i = 0; i < HTTP_STAT_SLOTS; i++) {
			uint64_t n = atomic_load_explicit(
				&s->counts[row].by_status[i],
				memory_order_relaxed);
			if (!n)
				continue;
			char code[16];
			snprintf(code, sizeof code, "%d",
				 i < HTTP_STAT_CODES ? http_stat_codes[i] : 0);
			values[2] = i < HTTP_STAT_CODES ? code : "other";
			metrics_labels l = {names, values, 3};
			metrics_sample(b, "chorus_http_requests_total", &l,
				       (double)n);
		}
	}
	/* by method too: routes share a pattern (GET and POST
	 * /api/v1/domain_blocks), and one series each is what Prometheus
	 * needs; unmatched requests are one series of any method */
	static const char *const route_names[] = {"method", "route"};
	metrics_header(
		b, "chorus_http_request_duration_seconds", "histogram",
		"Time from a request's arrival to its end, by method and "
		"route pattern");
	for (size_t row = 0; row <= nroutes; row++) {
		uint64_t counts[METRICS_DURATION_BUCKETS + 1], total = 0;
		for (int i = 0; i <= METRICS_DURATION_BUCKETS; i++)
			total += counts[i] = atomic_load_explicit(
				&s->durations[row].buckets[i],
				memory_order_relaxed);
		if (!total)
			continue;
		const char *value[] = {
			row < nroutes ? s->opts.routes[row].method : "any",
			row < nroutes ? route_label(&s->opts.routes[row])
				      : http_stat_unmatched};
		metrics_labels l = {route_names, value, 2};
		double sum =
			(double)atomic_load_explicit(&s->durations[row].sum_ns,
						     memory_order_relaxed) /
			1e9;
		metrics_histogram(b, "chorus_http_request_duration_seconds", &l,
				  metrics_duration_bounds, counts,
				  METRICS_DURATION_BUCKETS, sum);
	}
}

void http_request_upgraded(http_req *r)
{
	r->upgraded = true;
	request_done(r->server, r, "");
	arena_release(&r->arena);
	arena_init(&r->arena);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	http_server *s = cls;
	http_req *r = *con_cls;
	if (r && !r->begun) { /* refused by libmicrohttpd (431…) or left */
		arena_release(&r->arena);
		free(r);
		*con_cls = NULL;
		return;
	}
	if (!r)
		return;
	/* a kept-alive connection owes its next request's headers */
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->upgraded)
		watch_arm(s, conn);
	if (!r->logged)
		request_done(s, r,
			     toe == MHD_REQUEST_TERMINATED_COMPLETED_OK
				     ? ""
				     : " (aborted)");
	/* temp files a handler did not rename away, also when the client
	 * left mid-upload */
	http_multipart_cleanup(r->upload);
	release_file_body(r);
	http_long_reply_done(r, false);
	if (r->counted)
		addr_release(s, &r->client_addr);
	arena_release(&r->arena);
	free(r);
	*con_cls = NULL;
}

/* libmicrohttpd's own messages can quote what a client sent: they go
 * through the log, which escapes them. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* its messages end in a newline, which a log line has of its own */
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_error("%s", msg);
}

/* Worker threads are MHD's; a thread-specific key with a destructor is how
 * we learn a worker ended, to close its database connection. */
static void on_thread_exit(void *p)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)p;
	if (fn)
		fn();
}

/* Called with the raw request target as soon as the request line is
 * in, before libmicrohttpd decodes it or reads the headers: the one place
 * a %00 can still be seen, and where the request begins (on_request and
 * on_completed find it as their context). Also marks the worker thread.
 *
 * The query is kept raw here and parsed by chorus, under its limits.
 * libmicrohttpd would parse it next into its connection's pool, and a
 * query of many short pairs ("a&a&a…", 64 bytes each there) would run
 * that out and be answered by libmicrohttpd's own HTML 431; so its copy
 * is cut to nothing. It is the line libmicrohttpd has just read into its
 * own buffer, which it goes on to cut at '?' itself (0.9.75 and 1.0
 * alike); were a version to copy it first, it would only parse the query
 * again, unread. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	http_server *s = cls;
	if (s->opts.thread_exit && !pthread_getspecific(s->thread_key))
		pthread_setspecific(s->thread_key,
				    (void *)(uintptr_t)s->opts.thread_exit);
	http_req *r = request_alloc(s, uri);
	char *q = strchr(uri, '?');
	if (r && q && q[1])
		q[1] = '\0';
	return r;
}

/* libmicrohttpd's pool per connection: HTTP_CONNECTION_MEMORY, or more
 * when a URL of max_url_bytes needs it. The request line and headers
 * stay in the pool while the reply's headers are written there too, and
 * a page's Link header repeats the query twice: without room for all of
 * them libmicrohttpd hangs up instead of answering. The room left over
 * also lets a URL well past the limit be seen, and refused, by chorus. */
static size_t connection_memory(const http_server_opts *o)
{
	size_t want = o->max_url_bytes > 0
			      ? (size_t)o->max_url_bytes * HTTP_URL_COPIES +
					HTTP_HEADER_ROOM
			      : 0;
	return want > HTTP_CONNECTION_MEMORY ? want : HTTP_CONNECTION_MEMORY;
}

static void server_free(http_server *s)
{
	addr_table_free(s);
	free(s->counts);
	free(s->durations);
	free(s->upload_dir);
	free(s);
}

http_server *http_server_start(const http_server_opts *opts)
{
	http_server *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->opts = *opts;
	pthread_mutex_init(&s->addr_lock, NULL);
	s->max_upload_bytes = opts->max_upload_bytes > 0
				      ? opts->max_upload_bytes
				      : opts->max_body_bytes;
	if (opts->upload_dir) {
		/* params[].path is promised absolute */
		struct stat st;
		s->upload_dir = realpath(opts->upload_dir, NULL);
		if (!s->upload_dir || stat(s->upload_dir, &st) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			log_error("upload dir %s: %s", opts->upload_dir,
				  s->upload_dir ? "not a directory"
						: strerror(errno));
			free(s->upload_dir);
			free(s);
			return NULL;
		}
	}
	s->router = http_router_new(opts->routes, opts->nroutes);
	s->counts =
		calloc(opts->nroutes + HTTP_STAT_METHODS, sizeof *s->counts);
	s->durations = calloc(opts->nroutes + 1, sizeof *s->durations);
	if (!s->router || !s->counts || !s->durations) {
		http_router_free(s->router);
		server_free(s);
		return NULL;
	}
	pthread_key_create(&s->thread_key, on_thread_exit);
	if (watch_start(s) < 0) {
		log_error("cannot start the header deadline thread");
		pthread_key_delete(s->thread_key);
		http_router_free(s->router);
		server_free(s);
		return NULL;
	}
	struct sockaddr_in addr = {0};
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)opts->port);
	if (inet_pton(AF_INET, opts->bind, &addr.sin_addr) != 1) {
		log_error("bad bind address %s", opts->bind);
		watch_stop(s);
		pthread_key_delete(s->thread_key);
		http_router_free(s->router);
		server_free(s);
		return NULL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_TURBO | MHD_USE_SUSPEND_RESUME | MHD_USE_ITC |
			 MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
	s->daemon = MHD_start_daemon(
		flags, (uint16_t)opts->port, NULL, NULL, on_request, s,
		/* first, or libmicrohttpd prints its own warning about it to
		 * stderr, past the log's format */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
		&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opts->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory(opts),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opts->idle_timeout_s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		/* libmicrohttpd's default, SO_REUSEADDR without SO_REUSEPORT:
		 * a restart binds at once, but a second server on the port (a
		 * stale one, another data directory) is refused, not handed
		 * half the connections */
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_END);
	if (!s->daemon) {
		log_error("cannot listen on %s:%d", opts->bind, opts->port);
		watch_stop(s);
		pthread_key_delete(s->thread_key);
		http_router_free(s->router);
		server_free(s);
		return NULL;
	}
	if (work_start(s) < 0) {
		log_error("cannot start the work threads");
		http_server_stop(s);
		return NULL;
	}
	return s;
}

void http_server_stop(http_server *s)
{
	if (!s)
		return;
	MHD_quiesce_daemon(s->daemon);
	work_stop(s);
	MHD_stop_daemon(s->daemon);
	watch_stop(s);
	pthread_key_delete(s->thread_key);
	http_router_free(s->router);
	server_free(s);
}
