/* client.c — chorus's own requests to other servers: fetching a
 * document, delivering an activity. Every request is signed (the
 * instance actor signs fetches, so servers that want "authorized fetch"
 * answer), and every request is treated as what it is, a way for a
 * stranger's server to make chorus connect somewhere:
 * - only https, and never to a loopback, private, link-local or other
 *   internal address (checked on the address actually connected to, for
 *   every redirect too), unless [federation] allow_private_addresses is
 *   set, which also allows http: what tests on loopback need;
 * - at most max_document_bytes of answer, fetch_timeout_seconds in all,
 *   max_redirects redirects (fetches only; a delivery is not redirected),
 *   each followed here and signed for where it goes;
 * - no proxy from the environment (the guard would check the proxy).
 * A curl handle per request: connection reuse waits for delivery's
 * measurements (a handle shared by a job worker's requests, or curl's
 * share interface). */
#include "fed/fed.h"

#include "core/cidr.h"
#include "core/config.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

/* Addresses no fetch may reach (RFC 6890's special-purpose registries:
 * "this network", private, shared, loopback, link-local, benchmarking,
 * multicast and reserved; IPv6 unique-local, link-local, multicast).
 * An IPv4-mapped IPv6 address is matched as its IPv4 address. */
static const char internal_ranges[] =
	"0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16,"
	"172.16.0.0/12, 192.0.0.0/24, 192.0.2.0/24, 192.168.0.0/16,"
	"198.18.0.0/15, 198.51.100.0/24, 203.0.113.0/24, 224.0.0.0/3,"
	"::/128, ::1/128, 64:ff9b::/96, 100::/64, 2001:db8::/32, fc00::/7,"
	"fe80::/10, ff00::/8";

static cidr_list internal;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void client_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cidr_list_parse(internal_ranges, &internal, NULL) < 0)
		abort(); /* a constant: a test would have caught it */
}

/* curl's socket hook: refuse an internal address before connecting. */
static curl_socket_t open_socket(void *ctx, curlsocktype purpose,
				 struct curl_sockaddr *addr)
{
	bool *refused = ctx;
	cidr_addr a;
	if (purpose != CURLSOCKTYPE_IPCXN ||
	    !cidr_addr_from_sockaddr(&addr->addr, &a) ||
	    (!cfg.fed_allow_private && cidr_list_contains(&internal, &a))) {
		*refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

/* Where an answer goes: memory (b), or a file (file) for media; at
 * most max bytes either way. */
typedef struct body_sink {
	buf b;
	FILE *file;
	size_t max, len;
	bool too_large;
} body_sink;

static size_t write_body(char *data, size_t size, size_t n, void *ctx)
{
	body_sink *s = ctx;
	size_t len = size * n;
	if (s->len + len > s->max) {
		s->too_large = true;
		return 0; /* curl stops: CURLE_WRITE_ERROR */
	}
	if (s->file) {
		if (fwrite(data, 1, len, s->file) != len)
			return 0;
	} else {
		buf_append(&s->b, data, len);
	}
	s->len += len;
	return len;
}

/* What a request asks for and where its answer goes. */
typedef struct fetch_opts {
	const char *accept;
	FILE *file; /* NULL: the answer in memory */
	size_t max;
} fetch_opts;

static fetch_opts document_opts(void)
{
	return (fetch_opts){
		.accept = "application/activity+json, application/ld+json; "
			  "profile=\"https://www.w3.org/ns/activitystreams\"",
		.max = (size_t)cfg.fed_max_document_bytes,
	};
}

/* The headers a signature covers, for fed_sign_request. */
typedef struct sent_headers {
	const char *host, *date, *digest, *accept, *content_type;
} sent_headers;

static const char *sent_header(void *ctx, const char *name)
{
	const sent_headers *h = ctx;
	if (!strcasecmp(name, "host"))
		return h->host;
	if (!strcasecmp(name, "date"))
		return h->date;
	if (!strcasecmp(name, "digest"))
		return h->digest;
	if (!strcasecmp(name, "accept"))
		return h->accept;
	if (!strcasecmp(name, "content-type"))
		return h->content_type;
	return NULL;
}

/* url's authority ("host" or "host:port") and target ("/path?query"),
 * in a; false when it is not an absolute URL chorus may fetch. */
static bool url_parts(arena *a, const char *url, const char **authority,
		      const char **target)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL,
	     *query = NULL;
	bool ok = u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
		  !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
		  !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
		  !curl_url_get(u, CURLUPART_PATH, &path, 0) &&
		  (!strcmp(scheme, "https") ||
		   (cfg.fed_allow_private && !strcmp(scheme, "http")));
	if (ok) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		curl_url_get(u, CURLUPART_QUERY, &query, 0);
		*authority = port ? arena_printf(a, "%s:%s", host, port)
				  : arena_strdup(a, host);
		*target = query ? arena_printf(a, "%s?%s", path, query)
				: arena_strdup(a, path);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return ok;
}

/* One request, signed for its own target, not redirected; a redirect's
 * absolute target in *location (else NULL). deadline: time_mono_ns(). */
static fed_fetch_result send_once(arena *a, const char *method, const char *url,
				  const char *body, size_t len,
				  const fed_signer *signer, int64_t deadline,
				  const fetch_opts *o, fed_response *out,
				  const char **location)
{
	memset(out, 0, sizeof *out);
	*location = NULL;
	int64_t left_ms = (deadline - time_mono_ns()) / 1000000;
	if (left_ms <= 0)
		return FED_FETCH_FAILED;
	bool post = !strcmp(method, "POST");
	sent_headers h = {
		.accept = o->accept,
		.content_type = post ? "application/activity+json" : NULL,
		.digest = post ? fed_digest(a, body, len) : NULL,
	};
	const char *target;
	if (!url_parts(a, url, &h.host, &target))
		return FED_FETCH_REFUSED;
	if (instance_policy(a, h.host, NULL) == INSTANCE_SUSPENDED) {
		log_info("fed: %s %s: the server is suspended here", method,
			 url);
		return FED_FETCH_REFUSED;
	}
	char date[FED_HTTP_DATE_LEN];
	fed_http_date(time_now_ms(), date);
	h.date = date;
	fed_request rq = {.method = method,
			  .target = target,
			  .header = sent_header,
			  .ctx = &h};
	const char *signature =
		fed_sign_request(a, &rq,
				 post ? "(request-target) host date digest"
				      : "(request-target) host date accept",
				 signer->key_id, signer->private_pem);
	if (!signature)
		return FED_FETCH_FAILED;
	/* a redirect's answer replaces the last */
	if (o->file && (fflush(o->file) || ftruncate(fileno(o->file), 0) ||
			fseek(o->file, 0, SEEK_SET)))
		return FED_FETCH_FAILED;
	CURL *c = curl_easy_init();
	if (!c)
		return FED_FETCH_FAILED;
	struct curl_slist *hl = NULL;
	hl = curl_slist_append(hl, arena_printf(a, "Host: %s", h.host));
	hl = curl_slist_append(hl, arena_printf(a, "Date: %s", h.date));
	hl = curl_slist_append(hl, arena_printf(a, "Accept: %s", h.accept));
	hl = curl_slist_append(hl, arena_printf(a, "Signature: %s", signature));
	hl = curl_slist_append(hl, "User-Agent: chorus (ActivityPub)");
	if (post) {
		hl = curl_slist_append(hl, arena_printf(a, "Content-Type: %s",
							h.content_type));
		hl = curl_slist_append(hl,
				       arena_printf(a, "Digest: %s", h.digest));
		hl = curl_slist_append(hl, "Expect:");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	const char *protocols = cfg.fed_allow_private ? "http,https" : "https";
	bool refused = false;
	body_sink sink = {.file = o->file, .max = o->max};
	buf_init(&sink.b, a);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
	/* a proxy from the environment would be what the guard checks */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &refused);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(left_ms / 2 ? left_ms / 2 : 1));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hl);
	fed_fetch_result r = FED_FETCH_OK;
	if (refused)
		r = FED_FETCH_REFUSED;
	else if (sink.too_large)
		r = FED_FETCH_TOO_LARGE;
	else if (rc != CURLE_OK)
		r = FED_FETCH_FAILED;
	if (r == FED_FETCH_OK) {
		char *type = NULL;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
		out->content_type = type ? arena_strdup(a, type) : NULL;
		out->body = sink.b.len ? sink.b.data : "";
		out->len = sink.len;
		char *next = NULL;
		if (out->status >= 300 && out->status < 400 &&
		    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next) ==
			    CURLE_OK &&
		    next)
			*location = arena_strdup(a, next);
	} else {
		log_info("fed: %s %s: %s", method, url,
			 refused ? "refused: an internal address"
				 : curl_easy_strerror(rc));
	}
	curl_easy_cleanup(c);
	return r;
}

/* method to url, redirects followed (GET only), each hop signed. */
static fed_fetch_result send_opts(arena *a, const char *method, const char *url,
				  const char *body, size_t len,
				  const fed_signer *signer, const fetch_opts *o,
				  fed_response *out)
{
	pthread_once(&once, client_init);
	int64_t deadline = time_mono_ns() +
			   (int64_t)cfg.fed_fetch_timeout_seconds * 1000000000;
	/* redirects are followed here, not by curl, so that each request
	 * is signed for where it goes (and checked by the guard there) */
	for (int hops = 0;; hops++) {
		const char *next;
		fed_fetch_result r = send_once(a, method, url, body, len,
					       signer, deadline, o, out, &next);
		if (r != FED_FETCH_OK || !next || strcmp(method, "GET"))
			return r;
		if (hops == cfg.fed_max_redirects) {
			log_info("fed: GET %s: more than %d redirects", url,
				 cfg.fed_max_redirects);
			return FED_FETCH_FAILED;
		}
		url = next;
	}
}

fed_fetch_result fed_request_send(arena *a, const char *method, const char *url,
				  const char *body, size_t len,
				  const fed_signer *signer, fed_response *out)
{
	fetch_opts o = document_opts();
	return send_opts(a, method, url, body, len, signer, &o, out);
}

const char *fed_fetch_media(arena *a, const char *url, size_t max, size_t *size)
{
	fed_signer signer;
	fed_response resp;
	/* beside the uploads: the media pipeline takes it by rename */
	const char *path = arena_printf(a, "%s/remote-%lld", media_upload_dir(),
					(long long)id_next());
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	fetch_opts o = {.accept = "*/*", .file = f, .max = max};
	fed_fetch_result r = FED_FETCH_FAILED;
	if (fed_signer_of(a, 0, &signer))
		r = send_opts(a, "GET", url, NULL, 0, &signer, &o, &resp);
	if (fclose(f) != 0 && r == FED_FETCH_OK)
		r = FED_FETCH_FAILED;
	if (r == FED_FETCH_OK && resp.status != 200)
		r = resp.status == 404 || resp.status == 410 ? FED_FETCH_GONE
							     : FED_FETCH_FAILED;
	*size = r == FED_FETCH_OK ? resp.len : 0;
	if (r == FED_FETCH_OK)
		return path;
	unlink(path);
	return NULL;
}

json_t *fed_fetch_document(arena *a, const char *url, fed_fetch_result *why)
{
	fed_signer signer;
	fed_response resp;
	fed_fetch_result r = FED_FETCH_FAILED;
	json_t *doc = NULL;
	if (fed_signer_of(a, 0, &signer))
		r = fed_request_send(a, "GET", url, NULL, 0, &signer, &resp);
	if (r == FED_FETCH_OK && resp.status != 200)
		r = resp.status == 404 || resp.status == 410 ? FED_FETCH_GONE
							     : FED_FETCH_FAILED;
	if (r == FED_FETCH_OK) {
		json_error_t err;
		doc = json_loadb(resp.body, resp.len, JSON_REJECT_DUPLICATES,
				 &err);
		if (!json_is_object(doc)) {
			json_decref(doc);
			doc = NULL;
			r = FED_FETCH_MALFORMED;
		}
	}
	if (why)
		*why = r;
	return doc;
}
