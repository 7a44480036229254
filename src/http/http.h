/* http.h — the HTTP layer: requests, responses, bodies, routing.
 *
 * An adapter over libmicrohttpd. It knows HTTP and the three body encodings
 * Mastodon clients send (query/form, JSON, multipart) and nothing of
 * Mastodon itself: authentication is a guard the API layer installs.
 *
 * Every request owns an arena; all strings handed out here, and everything a
 * handler allocates through req->arena, live until the response is sent. */
#ifndef CHORUS_HTTP_H
#define CHORUS_HTTP_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/cidr.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	HTTP_MAX_PATH_PARAMS = 4,
	HTTP_MAX_SEGMENTS = 12,
};

/* One request parameter from the query string or the body. Keys are
 * normalised: "media_ids[]" and "media_ids[0]" become key "media_ids" with
 * is_list set; nested JSON objects become "poll[options]".
 *
 * A multipart file part sent to an upload route (http_route.upload, with
 * http_server_opts.upload_dir set) is not held in memory: path names a temp
 * file (absolute, mode 0600, in upload_dir) holding exactly its len bytes,
 * and value is "". The layer unlinks that file when the request completes,
 * whatever the outcome; a handler that wants to keep it takes ownership by
 * rename(2)-ing it away (same filesystem) before returning. Everywhere else
 * path is NULL and value holds the bytes. */
typedef struct http_param {
	const char *key;
	const char *value; /* NUL-terminated; may hold binary for files */
	size_t len;
	const char *filename;	  /* multipart file parts only */
	const char *content_type; /* multipart file parts only */
	const char *path;	  /* streamed file parts only, see above */
	bool is_list;
	bool from_query;
	/* a JSON number, true or false: a handler wanting text refuses it */
	bool not_string;
} http_param;

typedef struct http_header {
	const char *name, *value;
} http_header;

/* What one request may send, checked as its parameters are parsed; each
 * 0 means no limit. */
typedef struct http_param_limits {
	/* entries of the parameter list (query and form pairs, multipart
	 * parts, a JSON body's values), and a JSON body's top-level members */
	int max_params;
	int max_list_items; /* items of one list parameter (ids[]) */
	int max_json_depth; /* objects and arrays inside each other */
} http_param_limits;

struct http_route;
struct http_server;
struct http_req;

/* A handler's slow part: see http_defer. */
typedef void (*http_work_fn)(struct http_req *r, void *ctx);
struct http_multipart;

typedef struct http_req {
	arena arena;
	struct MHD_Connection *conn;
	const char *method; /* "GET", "POST"…; HEAD is served as GET */
	const char *path;   /* decoded, no query, no trailing slash */
	const char *path_params[HTTP_MAX_PATH_PARAMS];
	const struct http_route *route;
	http_param *params;
	size_t nparams, params_cap;
	/* NULL: no limit; else the server's, which outlive the request */
	const http_param_limits *limits;
	size_t nlist_items; /* params with is_list, all keys together */
	bool params_over;   /* a parameter past limits->max_params came */
	/* the raw query (after '?', undecoded) and what the URL was found
	 * to be before libmicrohttpd parsed it */
	const char *raw_query;
	size_t raw_query_len;
	bool url_too_long, url_has_nul;
	bool begun; /* its headers are in (request_begin ran) */
	buf body;
	bool body_too_large;
	bool is_head;
	/* the streaming multipart parser of an upload route, or NULL; it owns
	 * the temp files named by params[].path */
	struct http_multipart *upload;
	uint64_t upload_bytes; /* body bytes streamed so far */
	/* response: resp_len bytes of resp_body, or, when resp_fd >= 0, of
	 * that file from resp_offset (the layer closes the fd) */
	int status;
	http_header *headers;
	size_t nheaders, headers_cap;
	const char *resp_type;
	const char *resp_body;
	size_t resp_len;
	int resp_fd;
	uint64_t resp_offset;
	bool responded;
	bool queued;	/* the response is with libmicrohttpd */
	bool from_kept; /* answered with a kept answer: nothing to keep */
	bool limited;	/* its rate limits are settled: counted by the guard
			   (an upload is guarded before its body and again),
			   or its client is exempt */
	/* deferred work (http_defer) */
	struct http_server *server;
	http_work_fn work;
	void *work_ctx;
	struct http_req *work_next;
	struct http_pool *work_pool;
	int64_t started_ns;
	void *user;    /* set by the guard: the authenticated principal */
	void *session; /* set by a guard: the browser's session, if any */
	/* long-lived replies: http_reply_upgrade, http_reply_feed */
	struct http_upgrade *upgrade, *upgrade_sent;
	struct http_feed *feed;
	/* who sent it: the peer, or the client a trusted proxy forwarded
	 * for (see http_server_opts.trusted_proxies); client_addr's family
	 * is 0 when the peer's address is unknown */
	bool via_proxy; /* client came from X-Forwarded-For */
	bool counted;	/* holds a slot of client_addr's max_per_address */
	cidr_addr client_addr;
	bool logged;   /* the access log has its line already */
	bool upgraded; /* the connection was handed over (WebSocket) */
} http_req;

typedef void (*http_handler)(http_req *r);

/* A route: method + pattern with ":name" segments. The guard sees auth and
 * scope and decides whether the handler runs. */
typedef struct http_route {
	const char *method;
	const char *pattern;
	http_handler handler;
	int auth;	   /* meaning defined by the guard */
	const char *scope; /* meaning defined by the guard */
	int limit;	   /* meaning defined by the guard (0: none) */
	/* accepts file uploads: a multipart body is streamed to disk (see
	 * http_param.path) under max_upload_bytes instead of max_body_bytes */
	bool upload;
	/* an anonymous GET's answer depends only on the URL and the data:
	 * the guard may keep it and serve it again (core/replies.h) */
	bool kept;
	/* NULL, or the route matches only when when(r) says so (content
	 * negotiation: the same path answered as a page or a document);
	 * a route with one beats one without at the same specificity */
	bool (*when)(struct http_req *r);
	/* the route in metrics' labels when another route of its method has
	 * its pattern (one with a condition); NULL: the pattern */
	const char *name;
} http_route;

/* Called before every handler; returns false after replying itself. */
typedef bool (*http_guard)(http_req *r, const http_route *route);

typedef struct http_server http_server;

/* A pool of work threads for http_defer_to. */
typedef struct http_pool_opts {
	int threads; /* 0: deferred work runs at once, on the I/O thread */
	/* requests deferred and not yet started beyond which http_defer_to
	 * refuses; 0: no limit */
	int max_waiting;
	/* added to the threads' nice value: a CPU-bound pool then yields
	 * the cores to the I/O threads */
	int nice;
} http_pool_opts;

typedef struct http_server_opts {
	const char *bind;
	int port;
	int threads;
	long max_body_bytes;
	/* the request target (path and query) in bytes; longer is answered
	 * 414 by the error_page hook (0: no limit). The connection's buffer
	 * is sized to hold it, so libmicrohttpd answers only far longer
	 * request lines itself */
	long max_url_bytes;
	http_param_limits param_limits;
	/* an existing directory for streamed upload parts; NULL turns
	 * streaming off (upload routes then buffer like any other) */
	const char *upload_dir;
	/* body limit of a multipart body on an upload route; <= 0 means
	 * max_body_bytes. Every other body keeps max_body_bytes. */
	long max_upload_bytes;
	/* bytes of large reply bodies waiting for their clients, all
	 * connections together; a large reply past it is answered 503
	 * (<= 0: no limit) */
	long max_output_bytes;
	bool access_log;
	const http_route *routes;
	size_t nroutes;
	http_guard guard;
	/* called after the guard (and the handler, if the guard let it run);
	 * may be NULL */
	void (*after)(http_req *r);
	/* answers the errors found before a handler runs (no route,
	 * malformed UTF-8, a body too large); NULL: JSON {"error": msg} */
	void (*error_page)(http_req *r, int status, const char *msg);
	/* called once per worker thread when it ends, to release its
	 * thread-local resources (database connection) */
	void (*thread_exit)(void);
	/* Called on a work thread before each deferred handler runs: the
	 * start of a new unit of reading there, as the guard marks one on
	 * the I/O thread (NULL: none). */
	void (*work_begin)(void);
	/* threads that run deferred handler work (http_defer): pool 0,
	 * with no limit; 0 runs it on the I/O thread. They call
	 * thread_exit too. */
	int work_threads;
	/* a request's headers must be complete this many seconds after its
	 * connection opened or its previous response went out (slow-header
	 * clients hold no connection longer); 0 = no deadline */
	int header_timeout_s;
	int idle_timeout_s; /* a silent connection is closed */
	/* connections from one address; 0 = any. A trusted proxy's own
	 * connections are not capped: each request it forwards counts
	 * against its client's address while it is in flight instead */
	int max_per_address;
	/* peers whose X-Forwarded-For names the client (NULL or empty:
	 * none, the header is ignored); must outlive the server */
	const cidr_list *trusted_proxies;
	bool hsts; /* served as https: Strict-Transport-Security */
	/* pools 1..npools for http_defer_to, each its own threads and
	 * queue, so one kind of slow work cannot starve another */
	const http_pool_opts *pools;
	size_t npools;
} http_server_opts;

/* Start serving. Returns NULL (and logs why) when the port cannot be bound
 * or upload_dir is not a directory. */
http_server *http_server_start(const http_server_opts *opts);
/* Stop accepting, finish in-flight requests, join the workers, free. */
void http_server_stop(http_server *s);
/* Append the request metrics of s to b in Prometheus' text format
 * (docs/monitoring.md): chorus_http_requests_total by method, route
 * pattern and status, chorus_http_request_duration_seconds by route. A
 * series appears once it has counted a request. */
void http_server_metrics(http_server *s, buf *b);

/* ---- request accessors ---- */

/* First value of key (query or body), or NULL. */
const char *http_param_get(http_req *r, const char *key);
/* The whole parameter, for files and lengths, or NULL. */
const http_param *http_param_find(http_req *r, const char *key);
/* All values of a list parameter (key[] / key[N] / JSON array) in order;
 * *n set to their count. Arena memory. */
const char **http_param_list(http_req *r, const char *key, size_t *n);
/* Rails-style boolean: true/1/on/yes → true; false/0/off/no/"" → false;
 * absent → def. */
bool http_param_bool(http_req *r, const char *key, bool def);
/* A key naming what this request asks for besides its headers: prefix,
 * path and the query's parameters in order, each unambiguous. Arena
 * memory; NULL (never kept) when a parameter holds a NUL byte or came in
 * a body. */
const char *http_request_key(http_req *r, const char *prefix);
/* True when key was sent at all. */
bool http_param_has(http_req *r, const char *key);
/* A request header (case-insensitive), or NULL. */
const char *http_header_get(http_req *r, const char *name);
/* The client's address: the peer, or, when the peer is a trusted proxy,
 * the client it names (http_server_opts.trusted_proxies). Owned by the
 * request; NULL if unknown. */
const cidr_addr *http_client_address(http_req *r);
/* Path parameter i (0-based, in pattern order). */
const char *http_path_param(http_req *r, int i);

/* Run fn(r, ctx) on one of the server's work threads and let it reply,
 * instead of on the I/O thread that called the handler: for work that
 * takes long (image processing), so the other connections that thread
 * serves are not held up. Call as the handler's last act; the request,
 * its arena and its upload files stay valid until fn returns. Without
 * work threads (or while the server stops) fn runs at once. */
void http_defer(http_req *r, http_work_fn fn, void *ctx);
/* http_defer on pool (0, or 1..opts.npools). False when that pool's queue
 * is full (max_waiting): then nothing was deferred and the caller replies
 * (429). An unknown pool, or one without threads, runs fn at once. */
bool http_defer_to(http_req *r, int pool, http_work_fn fn, void *ctx);

/* ---- responses ---- */

void http_set_header(http_req *r, const char *name, const char *value);
/* Reply with a JSON value (reference stolen) and the given status. */
void http_reply_json(http_req *r, int status, json_t *body);
/* Reply with bytes already rendered (arena or static memory). */
void http_reply_raw(http_req *r, int status, const char *content_type,
		    const char *body, size_t len);
/* {"error": msg} with status. */
void http_reply_error(http_req *r, int status, const char *msg);
/* {"error": code, "error_description": desc} (OAuth style). */
void http_reply_oauth_error(http_req *r, int status, const char *code,
			    const char *desc);
/* 302 to location. */
void http_redirect(http_req *r, const char *location);
/* Reply with the regular file at path, its body sent with sendfile (404 JSON
 * when it cannot be opened). etag is unquoted (sent quoted; NULL: none);
 * cache_control goes verbatim (NULL: none). Sends Content-Type,
 * Content-Length, Last-Modified, Accept-Ranges: bytes and, off the API
 * paths, Access-Control-Allow-Origin: * so web clients can read media.
 * If-None-Match (else If-Modified-Since) → 304. Range a-b, a- or -n → 206
 * with Content-Range; unsatisfiable → 416 with Content-Range bytes *\/SIZE;
 * invalid → ignored (200). If-Range (ETag or date) guards Range. HEAD sends
 * the headers only. Several disjoint ranges get RFC 9110's fallback, 200
 * with the whole file: multipart/byteranges could not go out by sendfile. */
void http_reply_file(http_req *r, const char *path, const char *content_type,
		     const char *etag, const char *cache_control);

/* ---- long-lived replies ----
 *
 * Both hand a connection to code outside the worker threads (the
 * streaming thread), so a stream never ties up a worker. */

/* A connection after "101 Switching Protocols": fd is its socket
 * (non-blocking), extra the extra_len bytes the client sent after its
 * request, handle what http_upgraded_close takes. Called on a worker
 * thread; the callee owns the connection from then on. */
typedef void (*http_upgrade_fn)(int fd, const char *extra, size_t extra_len,
				void *handle, void *ctx);
/* Reply 101 (with the headers set so far) and call fn with the socket
 * once the reply is out. If the upgrade never happens (the reply cannot
 * be sent, the client leaves first), drop(ctx) is called instead (drop
 * may be NULL); one of the two always runs, once. */
void http_reply_upgrade(http_req *r, http_upgrade_fn fn, void (*drop)(void *),
			void *ctx);
/* Close an upgraded connection (any thread). Never close(fd) itself. */
void http_upgraded_close(void *handle);

/* A response body of unknown length written by another thread: chunked,
 * sent as bytes arrive; while none are pending the connection is
 * suspended, so it costs no worker. */
typedef struct http_feed http_feed;
/* Reply status with content_type and return the writer's end, which the
 * caller must eventually pass to http_feed_close. At most max_pending
 * bytes wait unsent: a writer past that is a slow reader's, and the feed
 * ends. NULL when out of memory (then nothing was replied). */
http_feed *http_reply_feed(http_req *r, int status, const char *content_type,
			   size_t max_pending);
/* Queue bytes. 0, or -1 when the client is gone or was too slow (the
 * feed is then over; close it). Any thread. */
int http_feed_write(http_feed *f, const char *data, size_t len);
/* End the body (after what is pending) and drop the writer's end. */
void http_feed_close(http_feed *f);

/* ---- client addresses ---- */

/* The client behind a request from *client (its peer): when the peer is
 * in trusted, the right-most address of the X-Forwarded-For value xff
 * (may be NULL) that is not in trusted, or the left-most when all are;
 * otherwise *client unchanged. An entry that is no address ends the walk
 * at the hop before it: what lies left of it is unverifiable. Returns
 * whether *client was replaced. Pure. */
bool http_forwarded_client(const char *xff, const cidr_list *trusted,
			   cidr_addr *client);

/* ---- validators ---- */

/* Whether an If-None-Match list holds etag (unquoted; weak comparison)
 * or "*". */
bool http_etag_listed(const char *list, const char *etag);

/* ---- byte ranges (RFC 9110 §14) ---- */

/* One satisfiable byte range, inclusive: first <= last < size. */
typedef struct http_range {
	uint64_t first, last;
} http_range;

typedef enum http_range_result {
	HTTP_RANGE_IGNORE,	  /* absent or invalid: serve the whole (200) */
	HTTP_RANGE_SATISFIABLE,	  /* *n ranges in out: 206 */
	HTTP_RANGE_UNSATISFIABLE, /* valid, but none overlaps the file: 416 */
} http_range_result;

/* Parse a Range header value against a representation of size bytes into
 * out[0..*n), at most max ranges (more in the header: IGNORE). Ranges are
 * clamped to the size, sorted, and overlapping or adjacent ones merged.
 * An empty representation ignores Range. Pure; NULL header → IGNORE. */
http_range_result http_range_parse(const char *header, uint64_t size,
				   http_range *out, size_t max, size_t *n);

/* Build an absolute URL to this request's path with its query string,
 * minus any keys in drop[] (NULL-terminated), plus key=value. base is the
 * scheme://host prefix. Arena memory. */
char *http_url_with(http_req *r, const char *base, const char *const *drop,
		    const char *key, const char *value);

/* ---- internals shared by http/ files ---- */

/* The libmicrohttpd response of a feed or an upgrade, or NULL (server.c
 * sends it like any other). */
struct MHD_Response *http_feed_response(http_req *r);
struct MHD_Response *http_upgrade_response(http_req *r);
/* The connection was upgraded and handed over: log the request now and
 * free its arena, which would otherwise live as long as the stream. */
void http_request_upgraded(http_req *r);
/* After queueing (queued: whether libmicrohttpd took the response) or
 * when the request ends: release what a long-lived reply still holds. */
void http_long_reply_done(http_req *r, bool queued);

/* Parse r->body according to content_type into r->params.
 * Returns NULL or an error message for a 400. */
const char *http_body_parse(http_req *r, const char *content_type);
/* Parse a query string (a=b&c=d) into r->params. */
void http_parse_urlencoded(http_req *r, const char *s, size_t n,
			   bool from_query);
/* Add one parameter and return it; past r->limits->max_params it is
 * dropped instead (NULL, and r->params_over set). */
http_param *http_param_add(http_req *r, const char *raw_key, const char *value,
			   size_t len, bool from_query);
/* Why r's parameters break r->limits (too many, a list too long), as a
 * message for a 400 in arena memory, or NULL when they do not. */
const char *http_params_check(http_req *r);
/* Whether the JSON text s[0, n) nests objects and arrays at most max
 * deep (brackets inside strings do not count). Pure; reads at most n
 * bytes whatever the text, and says nothing of its validity. */
bool http_json_depth_within(const char *s, size_t n, int max);
/* The most items one list parameter of p[0, n) has, and its key in *key
 * (NULL when none is a list). Uses a for scratch. */
size_t http_list_longest(arena *a, const http_param *p, size_t n,
			 const char **key);

/* Streaming multipart/form-data parser: bytes arrive in chunks of any size
 * and go to r->params as parts complete, with the same key normalisation as
 * http_param_add. File parts (those with a filename) go to temp files in
 * upload_dir, or stay in memory when upload_dir is NULL. */
typedef struct http_multipart http_multipart;
typedef struct http_multipart_limits {
	size_t field_max;  /* bytes in one non-file part, else 413 */
	size_t memory_max; /* non-file bytes, part headers and a fixed cost
			    * per part, else 413 */
} http_multipart_limits;
/* Start on a body of content_type (its boundary= is needed). Arena memory.
 * Returns NULL with *err set (a message for a 400) when the boundary is
 * missing or invalid. upload_dir must outlive the parser. */
http_multipart *http_multipart_begin(http_req *r, const char *content_type,
				     const char *upload_dir,
				     const http_multipart_limits *limits,
				     const char **err);
/* Feed the next n bytes. Returns 0, or an HTTP status (400 malformed, 413
 * over a limit, 500 disk error) with http_multipart_error() set; after a
 * failure the temp files are already gone and further feeds are ignored. */
int http_multipart_feed(http_multipart *m, const char *data, size_t n);
/* The body ended: 0 when it was complete (or empty), else as feed. */
int http_multipart_end(http_multipart *m);
/* The message of the first failure ("Invalid multipart body: …"), or NULL;
 * static or arena memory. */
const char *http_multipart_error(const http_multipart *m);
/* Close any open temp file and unlink every one still at its path (one
 * renamed away is left alone). Idempotent. */
void http_multipart_cleanup(http_multipart *m);

/* True for the paths that get the API's CORS headers (/api/, /oauth/…). */
bool http_path_wants_cors(const char *path);
/* Routes compiled for matching. http_router_new returns NULL when out of
 * memory; the route table must outlive the router. */
typedef struct http_router http_router;
http_router *http_router_new(const http_route *routes, size_t n);
void http_router_free(http_router *rt);
/* Match r->path and r->method; sets r->route and r->path_params. Returns
 * the route, or NULL when none matches. */
const http_route *http_router_match(const http_router *rt, http_req *r);

#endif
