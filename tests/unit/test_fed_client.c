/* test_fed_client.c — chorus's own requests to other servers
 * (fed/client.c): the guard that keeps a stranger's URL from making
 * chorus connect to itself or its network (refused before any
 * connection, and at once), a GET and a POST as a server receives them
 * (signed so that chorus's own verifier accepts them, with the body and
 * digest sent), fetching a document (an object; gone, malformed, too
 * large) and the redirect limit. A small HTTP server on 127.0.0.1 (a
 * thread of the test) answers as each test asks and records what it
 * received. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "store_fixture.h"

#include "core/log.h"
#include "core/time.h"
#include "fed/fed.h"

/* ---- a tiny HTTP server ---- */

enum { HEAD_MAX = 32768, BODY_MAX = 1 << 20 };

typedef struct server {
	int fd;
	int port;
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t mu;
	/* how to answer (set by the test before a request) */
	int status;
	const char *content_type; /* NULL: none sent */
	const char *body;
	size_t body_len;
	bool redirect;	      /* 302 to location (NULL: the same URL) */
	const char *location; /* unless the target starts with "/final" */
	bool hang;	      /* never answer (until the client leaves) */
	/* what was received */
	int connections, requests;
	char head[HEAD_MAX]; /* the last request's head */
	size_t head_len;
	char *req_body; /* and its body (malloc'd) */
	size_t req_body_len;
} server;

static server srv;

static const char json_body[] = "{\"id\":\"x\",\"type\":\"Person\"}";
static char large_body[200 * 1024];

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return; /* the client left: fine */
		}
		p += w;
		n -= (size_t)w;
	}
}

/* The request on fd: its head in head (NUL-terminated), its body
 * (Content-Length) in *body. False when the client left first. */
static bool read_request(int fd, char *head, size_t *head_len, char **body,
			 size_t *body_len)
{
	size_t n = 0;
	char *end = NULL;
	while (!end) {
		if (n >= HEAD_MAX - 1)
			return false;
		ssize_t r = recv(fd, head + n, HEAD_MAX - 1 - n, 0);
		if (r <= 0)
			return false;
		n += (size_t)r;
		head[n] = 0;
		end = strstr(head, "\r\n\r\n");
	}
	size_t hl = (size_t)(end - head) + 4;
	size_t clen = 0;
	for (char *p = strchr(head, '\n'); p && p < end; p = strchr(p, '\n')) {
		p++;
		if (!strncasecmp(p, "content-length:", 15))
			clen = strtoul(p + 15, NULL, 10);
	}
	if (clen > BODY_MAX)
		return false;
	char *b = malloc(clen + 1);
	size_t have = n - hl < clen ? n - hl : clen;
	memcpy(b, head + hl, have);
	while (have < clen) {
		ssize_t r = recv(fd, b + have, clen - have, 0);
		if (r <= 0) {
			free(b);
			return false;
		}
		have += (size_t)r;
	}
	b[clen] = 0;
	head[hl] = 0;
	*head_len = hl;
	*body = b;
	*body_len = clen;
	return true;
}

static void serve_connection(int fd)
{
	static char head[HEAD_MAX];
	size_t head_len;
	char *body;
	size_t body_len;
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (!read_request(fd, head, &head_len, &body, &body_len))
		return;
	char target[2048] = "";
	sscanf(head, "%*s %2047s", target);

	pthread_mutex_lock(&srv.mu);
	srv.requests++;
	memcpy(srv.head, head, head_len + 1);
	srv.head_len = head_len;
	free(srv.req_body);
	srv.req_body = body;
	srv.req_body_len = body_len;
	int status = srv.status;
	const char *ctype = srv.content_type;
	const char *rbody = srv.body;
	size_t rlen = srv.body_len;
	bool redirect = srv.redirect && strncmp(target, "/final", 6) != 0;
	const char *location = srv.location;
	bool hang = srv.hang;
	int port = srv.port;
	pthread_mutex_unlock(&srv.mu);

	if (hang) {
		/* until the client gives up (or the test ends) */
		for (int i = 0; i < 200 && !atomic_load(&srv.stop); i++) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 50) > 0) {
				char c;
				if (recv(fd, &c, 1, 0) <= 0)
					break;
			}
		}
		return;
	}
	char out[4096];
	int n;
	if (redirect) {
		char self[2300];
		if (!location) {
			snprintf(self, sizeof self, "http://127.0.0.1:%d%s",
				 port, target);
			location = self;
		}
		n = snprintf(out, sizeof out,
			     "HTTP/1.1 302 Found\r\nLocation: %s\r\n"
			     "Content-Length: 0\r\nConnection: close\r\n\r\n",
			     location);
		send_all(fd, out, (size_t)n);
		return;
	}
	if (!rbody) /* a redirect's "/final" */
		rbody = json_body, rlen = strlen(json_body),
		ctype = "application/activity+json", status = 200;
	n = snprintf(out, sizeof out,
		     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n",
		     status, rlen);
	if (ctype)
		n += snprintf(out + n, sizeof out - (size_t)n,
			      "Content-Type: %s\r\n", ctype);
	n += snprintf(out + n, sizeof out - (size_t)n, "\r\n");
	send_all(fd, out, (size_t)n);
	send_all(fd, rbody, rlen);
}

static void *server_main(void *p)
{
	(void)p;
	while (!atomic_load(&srv.stop)) {
		struct pollfd pl = {.fd = srv.fd, .events = POLLIN};
		if (poll(&pl, 1, 50) <= 0)
			continue;
		int c = accept(srv.fd, NULL, NULL);
		if (c < 0)
			continue;
		pthread_mutex_lock(&srv.mu);
		srv.connections++;
		pthread_mutex_unlock(&srv.mu);
		serve_connection(c);
		shutdown(c, SHUT_WR);
		close(c);
	}
	return NULL;
}

static int server_start(void)
{
	free(srv.req_body);
	memset(&srv, 0, sizeof srv);
	pthread_mutex_init(&srv.mu, NULL);
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (srv.fd < 0)
		return -1;
	int one = 1;
	setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	if (bind(srv.fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(srv.fd, 16) < 0 ||
	    getsockname(srv.fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(srv.fd);
		return -1;
	}
	srv.port = ntohs(sa.sin_port);
	/* answer JSON unless told otherwise */
	srv.status = 200;
	srv.content_type = "application/activity+json";
	srv.body = json_body;
	srv.body_len = strlen(json_body);
	if (pthread_create(&srv.thread, NULL, server_main, NULL)) {
		close(srv.fd);
		return -1;
	}
	return 0;
}

static void server_stop(void)
{
	atomic_store(&srv.stop, true);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	free(srv.req_body);
	srv.req_body = NULL;
	pthread_mutex_destroy(&srv.mu);
}

/* Answer status with body (content type ctype) from now on. */
static void serve(int status, const char *ctype, const char *body, size_t len)
{
	pthread_mutex_lock(&srv.mu);
	srv.status = status;
	srv.content_type = ctype;
	srv.body = body;
	srv.body_len = len;
	pthread_mutex_unlock(&srv.mu);
}

static void serve_redirect(const char *location)
{
	pthread_mutex_lock(&srv.mu);
	srv.redirect = true;
	srv.location = location;
	pthread_mutex_unlock(&srv.mu);
}

static int seen_connections(void)
{
	pthread_mutex_lock(&srv.mu);
	int n = srv.connections;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

static int seen_requests(void)
{
	pthread_mutex_lock(&srv.mu);
	int n = srv.requests;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

/* ---- the last request received, copied into an arena ---- */

enum { MAX_HEADERS = 32 };

typedef struct seen {
	const char *method, *target;
	const char *name[MAX_HEADERS], *value[MAX_HEADERS];
	int n;
	const char *body;
	size_t len;
} seen;

static void seen_last(arena *a, seen *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&srv.mu);
	char *head = arena_strdup(a, srv.head);
	out->len = srv.req_body_len;
	char *body = arena_alloc(a, out->len + 1);
	if (srv.req_body)
		memcpy(body, srv.req_body, out->len);
	body[out->len] = 0;
	out->body = body;
	pthread_mutex_unlock(&srv.mu);
	char *save = NULL;
	char *line = strtok_r(head, "\r\n", &save);
	assert_non_null(line);
	char *sp = strchr(line, ' ');
	assert_non_null(sp);
	*sp = 0;
	out->method = line;
	char *t = sp + 1;
	sp = strchr(t, ' ');
	assert_non_null(sp);
	*sp = 0;
	out->target = t;
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		char *colon = strchr(line, ':');
		assert_non_null(colon);
		*colon = 0;
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		assert_true(out->n < MAX_HEADERS);
		out->name[out->n] = line;
		out->value[out->n] = v;
		out->n++;
	}
}

static const char *seen_header(void *ctx, const char *name)
{
	const seen *s = ctx;
	for (int i = 0; i < s->n; i++)
		if (!strcasecmp(s->name[i], name))
			return s->value[i];
	return NULL;
}

static int seen_count(const seen *s, const char *name)
{
	int n = 0;
	for (int i = 0; i < s->n; i++)
		n += !strcasecmp(s->name[i], name);
	return n;
}

/* ---- fixtures ----
 * Each test draws from the fixture's arena (test_arena), which the
 * teardown releases even when an assertion ends the test early. */

static struct {
	bool allow_private;
	long max_document_bytes;
	int max_redirects, fetch_timeout_seconds;
} defaults;

static void restore_defaults(void)
{
	cfg.fed_allow_private = defaults.allow_private;
	cfg.fed_max_document_bytes = defaults.max_document_bytes;
	cfg.fed_max_redirects = defaults.max_redirects;
	cfg.fed_fetch_timeout_seconds = defaults.fetch_timeout_seconds;
}

static int setup(void **state)
{
	(void)state;
	restore_defaults();
	if (store_fixture_open("fed_client") < 0)
		return -1;
	if (server_start() < 0) {
		store_fixture_teardown(state);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	server_stop();
	restore_defaults();
	return store_fixture_teardown(state);
}

static const char *url_of(arena *a, const char *scheme, const char *path)
{
	return arena_printf(a, "%s://127.0.0.1:%d%s", scheme, srv.port, path);
}

static double seconds_since(int64_t start_ns)
{
	return (double)(time_mono_ns() - start_ns) / 1e9;
}

/* GET url as the instance actor: the result, and how long it took */
static fed_fetch_result get(arena *a, const char *url, fed_response *resp,
			    double *took)
{
	fed_signer signer;
	assert_true(fed_signer_of(a, 0, &signer));
	int64_t t0 = time_mono_ns();
	fed_fetch_result r =
		fed_request_send(a, "GET", url, NULL, 0, &signer, resp);
	if (took)
		*took = seconds_since(t0);
	return r;
}

/* ---- the guard ---- */

static void
test_internal_and_plain_urls_are_refused_before_connecting(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = false;
	fed_response resp;
	double took;
	/* plain http, even to a server that would answer */
	assert_int_equal(get(a, url_of(a, "http", "/x"), &resp, &took),
			 FED_FETCH_REFUSED);
	assert_int_equal(seen_connections(), 0);
	/* https to an internal address: refused before connecting (a TLS
	 * failure would have connected first), and at once */
	const char *internal[] = {
		url_of(a, "https", "/x"),
		arena_printf(a, "https://localhost:%d/", srv.port),
		arena_printf(a, "https://127.1:%d/", srv.port),
		arena_printf(a, "https://2130706433:%d/", srv.port),
		arena_printf(a, "https://0x7f.0.0.1:%d/", srv.port),
		arena_printf(a, "https://[::ffff:127.0.0.1]:%d/", srv.port),
		arena_printf(a, "https://0.0.0.0:%d/", srv.port),
		arena_printf(a, "https://[::]:%d/", srv.port),
		"https://[::1]:1/",
		"https://10.0.0.1/",
		"https://172.16.5.4/",
		"https://192.168.1.1/",
		"https://100.64.0.1/",
		"https://169.254.169.254/latest/meta-data",
		"https://[fd00::1]/",
		"https://[fe80::1]/",
	};
	for (size_t i = 0; i < sizeof internal / sizeof *internal; i++) {
		fed_fetch_result r = get(a, internal[i], &resp, &took);
		if (r != FED_FETCH_REFUSED || took >= 1.0)
			fail_msg("%s: result %d after %.2f s (want %d, at "
				 "once)",
				 internal[i], (int)r, took,
				 (int)FED_FETCH_REFUSED);
	}
	assert_int_equal(seen_connections(), 0);
	/* fetching a document goes through the same guard */
	fed_fetch_result why = FED_FETCH_OK;
	assert_null(fed_fetch_document(a, url_of(a, "https", "/x"), &why));
	assert_int_equal(why, FED_FETCH_REFUSED);
	/* and a POST too */
	fed_signer signer;
	assert_true(fed_signer_of(a, 0, &signer));
	assert_int_equal(fed_request_send(a, "POST",
					  url_of(a, "https", "/inbox"), "{}", 2,
					  &signer, &resp),
			 FED_FETCH_REFUSED);
	assert_int_equal(seen_connections(), 0);
	/* what is not a URL, or not an https one */
	const char *not_urls[] = {
		"not a url",	      "",
		"ftp://example.com/", "file:///etc/passwd",
		"/relative/path",     "gopher://example.com/"};
	for (size_t i = 0; i < sizeof not_urls / sizeof *not_urls; i++) {
		fed_fetch_result r = get(a, not_urls[i], &resp, &took);
		if (r != FED_FETCH_REFUSED)
			fail_msg("\"%s\": result %d, want refused", not_urls[i],
				 (int)r);
	}
}

static void test_allowing_private_addresses_allows_http_only_too(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = true;
	fed_response resp;
	/* other schemes stay refused */
	const char *not_http[] = {
		"ftp://127.0.0.1/",
		"file:///etc/passwd",
		arena_printf(a, "gopher://127.0.0.1:%d/", srv.port),
		arena_printf(a, "dict://127.0.0.1:%d/", srv.port),
	};
	for (size_t i = 0; i < sizeof not_http / sizeof *not_http; i++) {
		fed_fetch_result r = get(a, not_http[i], &resp, NULL);
		if (r != FED_FETCH_REFUSED)
			fail_msg("%s: result %d, want refused", not_http[i],
				 (int)r);
	}
	assert_int_equal(seen_connections(), 0);
	/* a redirect cannot take a fetch to another scheme either (ftp:
	 * one curl would follow by default) */
	cfg.fed_fetch_timeout_seconds = 2;
	serve_redirect("file:///etc/passwd");
	assert_int_not_equal(get(a, url_of(a, "http", "/x"), &resp, NULL),
			     FED_FETCH_OK);
	assert_int_equal(seen_requests(), 1);
	serve_redirect(arena_printf(a, "ftp://127.0.0.1:%d/", srv.port));
	assert_int_not_equal(get(a, url_of(a, "http", "/x"), &resp, NULL),
			     FED_FETCH_OK);
	assert_int_equal(seen_requests(), 2);
	assert_int_equal(seen_connections(), 2); /* the two http ones */
}

/* ---- what a server receives ---- */

static void test_a_get_is_signed_by_the_instance_actor(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = true;
	fed_response resp;
	assert_int_equal(get(a, url_of(a, "http", "/users/x"), &resp, NULL),
			 FED_FETCH_OK);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.len, strlen(json_body));
	assert_memory_equal(resp.body, json_body, resp.len);
	assert_int_equal(resp.body[resp.len], 0);
	assert_non_null(resp.content_type);
	assert_string_equal(resp.content_type, "application/activity+json");
	assert_int_equal(seen_connections(), 1);
	assert_int_equal(seen_requests(), 1);

	seen s;
	seen_last(a, &s);
	assert_string_equal(s.method, "GET");
	assert_string_equal(s.target, "/users/x");
	assert_int_equal(seen_count(&s, "host"), 1);
	assert_string_equal(seen_header(&s, "host"),
			    arena_printf(a, "127.0.0.1:%d", srv.port));
	assert_non_null(seen_header(&s, "date"));
	assert_non_null(seen_header(&s, "accept"));
	assert_non_null(
		strstr(seen_header(&s, "accept"), "application/activity+json"));
	assert_non_null(seen_header(&s, "signature"));
	assert_null(seen_header(&s, "digest"));
	assert_int_equal(s.len, 0);

	/* chorus's own verifier accepts it */
	fed_request rq = {.method = "GET",
			  .target = "/users/x",
			  .base = url_of(a, "http", ""),
			  .header = seen_header,
			  .ctx = &s};
	fed_signature sig;
	assert_int_equal(fed_signature_find(a, &rq, &sig), FED_SIG_OK);
	assert_false(sig.rfc9421);
	size_t kl = strlen(sig.key_id), sl = strlen("/actor#main-key");
	assert_true(kl > sl);
	assert_string_equal(sig.key_id + kl - sl, "/actor#main-key");
	assert_non_null(strstr(sig.components, "(request-target)"));
	assert_non_null(strstr(sig.components, "host"));
	assert_non_null(strstr(sig.components, "date"));
	store_key_pair pair;
	assert_true(store_actor_key(a, 0, &pair));
	assert_int_equal(fed_signature_check(a, &rq, &sig, NULL, 0,
					     pair.public_pem, time_now_ms()),
			 FED_SIG_OK);
	/* which means something: another key, another target, refused */
	store_key_pair other;
	assert_true(fed_key_generate(a, &other));
	assert_int_equal(fed_signature_check(a, &rq, &sig, NULL, 0,
					     other.public_pem, time_now_ms()),
			 FED_SIG_INVALID);
	rq.target = "/users/y";
	assert_int_equal(fed_signature_check(a, &rq, &sig, NULL, 0,
					     pair.public_pem, time_now_ms()),
			 FED_SIG_INVALID);
}

static void test_a_post_sends_its_body_signed_with_its_digest(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = true;
	serve(202, NULL, "", 0);
	static const char body[] =
		"{\"@context\":\"https://www.w3.org/ns/activitystreams\","
		"\"type\":\"Follow\",\"id\":\"https://example.com/f/1\","
		"\"actor\":\"https://example.com/users/a\","
		"\"object\":\"https://example.org/users/b\"}";
	fed_signer signer;
	assert_true(fed_signer_of(a, 0, &signer));
	fed_response resp;
	assert_int_equal(fed_request_send(a, "POST",
					  url_of(a, "http", "/users/b/inbox"),
					  body, strlen(body), &signer, &resp),
			 FED_FETCH_OK);
	assert_int_equal(resp.status, 202);
	assert_int_equal(resp.len, 0);
	assert_null(resp.content_type);

	seen s;
	seen_last(a, &s);
	assert_string_equal(s.method, "POST");
	assert_string_equal(s.target, "/users/b/inbox");
	assert_int_equal(s.len, strlen(body));
	assert_memory_equal(s.body, body, s.len);
	assert_non_null(seen_header(&s, "digest"));
	assert_string_equal(seen_header(&s, "digest"),
			    fed_digest(a, body, strlen(body)));
	assert_non_null(seen_header(&s, "content-type"));
	assert_string_equal(seen_header(&s, "content-type"),
			    "application/activity+json");
	assert_int_equal(seen_count(&s, "host"), 1);
	assert_string_equal(seen_header(&s, "host"),
			    arena_printf(a, "127.0.0.1:%d", srv.port));
	assert_non_null(seen_header(&s, "date"));
	assert_null(seen_header(&s, "expect"));

	fed_request rq = {.method = "POST",
			  .target = "/users/b/inbox",
			  .base = url_of(a, "http", ""),
			  .header = seen_header,
			  .ctx = &s};
	fed_signature sig;
	assert_int_equal(fed_signature_find(a, &rq, &sig), FED_SIG_OK);
	assert_non_null(strstr(sig.components, "digest"));
	assert_non_null(strstr(sig.components, "(request-target)"));
	store_key_pair pair;
	assert_true(store_actor_key(a, 0, &pair));
	assert_int_equal(fed_signature_check(a, &rq, &sig, s.body, s.len,
					     pair.public_pem, time_now_ms()),
			 FED_SIG_OK);
	/* another body than the one signed: refused */
	char *bent = arena_strdup(a, s.body);
	bent[2] = 'X';
	assert_int_equal(fed_signature_check(a, &rq, &sig, bent, s.len,
					     pair.public_pem, time_now_ms()),
			 FED_SIG_DIGEST);
}

/* "a delivery is not redirected" */
static void test_a_post_does_not_follow_a_redirect(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = true;
	serve_redirect(NULL);
	fed_signer signer;
	assert_true(fed_signer_of(a, 0, &signer));
	fed_response resp;
	assert_int_equal(fed_request_send(a, "POST",
					  url_of(a, "http", "/inbox"), "{}", 2,
					  &signer, &resp),
			 FED_FETCH_OK);
	assert_int_equal(resp.status, 302);
	assert_int_equal(seen_requests(), 1);
}

/* ---- fetching a document ---- */

static void test_a_document_is_a_json_object(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = true;
	fed_fetch_result why = FED_FETCH_FAILED;
	json_t *doc =
		fed_fetch_document(a, url_of(a, "http", "/users/x"), &why);
	assert_non_null(doc);
	assert_int_equal(why, FED_FETCH_OK);
	assert_true(json_is_object(doc));
	assert_string_equal(json_string_value(json_object_get(doc, "type")),
			    "Person");
	assert_string_equal(json_string_value(json_object_get(doc, "id")), "x");
	json_decref(doc);
	/* signed: the instance actor's key */
	seen s;
	seen_last(a, &s);
	assert_string_equal(s.method, "GET");
	assert_non_null(seen_header(&s, "signature"));

	/* gone */
	static const char not_found[] = "{\"error\":\"not found\"}";
	serve(404, "application/json", not_found, strlen(not_found));
	why = FED_FETCH_OK;
	assert_null(fed_fetch_document(a, url_of(a, "http", "/x"), &why));
	assert_int_equal(why, FED_FETCH_GONE);
	serve(410, "application/json", not_found, strlen(not_found));
	why = FED_FETCH_OK;
	assert_null(fed_fetch_document(a, url_of(a, "http", "/x"), &why));
	assert_int_equal(why, FED_FETCH_GONE);
	/* another error (a JSON object even): failed */
	serve(500, "application/activity+json", json_body, strlen(json_body));
	why = FED_FETCH_OK;
	assert_null(fed_fetch_document(a, url_of(a, "http", "/x"), &why));
	assert_int_equal(why, FED_FETCH_FAILED);
	/* not JSON, or JSON but not an object */
	static const char html[] = "<html><body>hello</body></html>";
	serve(200, "text/html", html, strlen(html));
	why = FED_FETCH_OK;
	assert_null(fed_fetch_document(a, url_of(a, "http", "/x"), &why));
	assert_int_equal(why, FED_FETCH_MALFORMED);
	static const char array[] = "[{\"type\":\"Person\"}]";
	serve(200, "application/activity+json", array, strlen(array));
	why = FED_FETCH_OK;
	assert_null(fed_fetch_document(a, url_of(a, "http", "/x"), &why));
	assert_int_equal(why, FED_FETCH_MALFORMED);
	serve(200, "application/activity+json", "", 0);
	why = FED_FETCH_OK;
	assert_null(fed_fetch_document(a, url_of(a, "http", "/x"), &why));
	assert_int_equal(why, FED_FETCH_MALFORMED);
	/* why may be NULL */
	assert_null(fed_fetch_document(a, url_of(a, "http", "/x"), NULL));
}

static void test_an_answer_over_the_limit_is_too_large(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = true;
	/* under the default limit (1 MiB): answered whole */
	serve(200, "application/activity+json", large_body, sizeof large_body);
	fed_response resp;
	assert_int_equal(get(a, url_of(a, "http", "/x"), &resp, NULL),
			 FED_FETCH_OK);
	assert_int_equal(resp.len, sizeof large_body);
	assert_memory_equal(resp.body, large_body, resp.len);
	/* over max_document_bytes: refused */
	cfg.fed_max_document_bytes = 1000;
	fed_fetch_result why = FED_FETCH_OK;
	assert_null(fed_fetch_document(a, url_of(a, "http", "/x"), &why));
	assert_int_equal(why, FED_FETCH_TOO_LARGE);
	assert_int_equal(get(a, url_of(a, "http", "/x"), &resp, NULL),
			 FED_FETCH_TOO_LARGE);
	/* the limit itself is allowed, a byte more is not */
	serve(200, "text/plain", large_body, 1000);
	assert_int_equal(get(a, url_of(a, "http", "/x"), &resp, NULL),
			 FED_FETCH_OK);
	assert_int_equal(resp.len, 1000);
	serve(200, "text/plain", large_body, 1001);
	assert_int_equal(get(a, url_of(a, "http", "/x"), &resp, NULL),
			 FED_FETCH_TOO_LARGE);
}

/* ---- redirects and time ---- */

static void test_redirects_are_followed_up_to_the_limit(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = true;
	/* one redirect: followed */
	serve_redirect("/final/x");
	fed_fetch_result why = FED_FETCH_FAILED;
	json_t *doc = fed_fetch_document(a, url_of(a, "http", "/x"), &why);
	assert_non_null(doc);
	assert_int_equal(why, FED_FETCH_OK);
	json_decref(doc);
	assert_int_equal(seen_requests(), 2);
	seen s;
	seen_last(a, &s);
	assert_string_equal(s.target, "/final/x");

	/* to itself forever: given up after max_redirects */
	serve_redirect(NULL);
	cfg.fed_max_redirects = 3;
	int before = seen_requests();
	fed_response resp;
	assert_int_equal(get(a, url_of(a, "http", "/loop"), &resp, NULL),
			 FED_FETCH_FAILED);
	int n = seen_requests() - before;
	assert_true(n >= 1);
	assert_true(n <= 4);
	why = FED_FETCH_OK;
	assert_null(fed_fetch_document(a, url_of(a, "http", "/loop"), &why));
	assert_int_equal(why, FED_FETCH_FAILED);
	/* none allowed: the first answer is the last request */
	cfg.fed_max_redirects = 0;
	before = seen_requests();
	assert_int_not_equal(get(a, url_of(a, "http", "/loop"), &resp, NULL),
			     FED_FETCH_OK);
	assert_int_equal(seen_requests() - before, 1);
}

/* "Every request is signed": the request a redirect leads to as well,
 * for its own target (a server that wants authorized fetch and
 * redirects, /@name to /users/name say, checks the second one). */
static void test_a_redirected_fetch_is_signed_for_where_it_goes(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = true;
	serve_redirect("/final/x");
	fed_response resp;
	assert_int_equal(get(a, url_of(a, "http", "/x"), &resp, NULL),
			 FED_FETCH_OK);
	assert_int_equal(resp.status, 200);
	assert_int_equal(seen_requests(), 2);
	seen s;
	seen_last(a, &s);
	assert_string_equal(s.target, "/final/x");
	fed_request rq = {.method = "GET",
			  .target = "/final/x",
			  .base = url_of(a, "http", ""),
			  .header = seen_header,
			  .ctx = &s};
	fed_signature sig;
	assert_int_equal(fed_signature_find(a, &rq, &sig), FED_SIG_OK);
	store_key_pair pair;
	assert_true(store_actor_key(a, 0, &pair));
	assert_int_equal(fed_signature_check(a, &rq, &sig, NULL, 0,
					     pair.public_pem, time_now_ms()),
			 FED_SIG_OK);
}

static void test_a_server_that_never_answers_is_given_up_on(void **state)
{
	(void)state;
	arena *a = &test_arena;
	cfg.fed_allow_private = true;
	cfg.fed_fetch_timeout_seconds = 1;
	pthread_mutex_lock(&srv.mu);
	srv.hang = true;
	pthread_mutex_unlock(&srv.mu);
	fed_response resp;
	double took;
	assert_int_equal(get(a, url_of(a, "http", "/x"), &resp, &took),
			 FED_FETCH_FAILED);
	assert_int_equal(seen_requests(), 1);
	assert_true(took >= 0.9);
	assert_true(took < 3.0);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
	defaults.allow_private = cfg.fed_allow_private;
	defaults.max_document_bytes = cfg.fed_max_document_bytes;
	defaults.max_redirects = cfg.fed_max_redirects;
	defaults.fetch_timeout_seconds = cfg.fed_fetch_timeout_seconds;
	for (size_t i = 0; i < sizeof large_body; i++)
		large_body[i] = (char)('a' + i % 26);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_internal_and_plain_urls_are_refused_before_connecting,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_allowing_private_addresses_allows_http_only_too,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_get_is_signed_by_the_instance_actor, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_post_sends_its_body_signed_with_its_digest,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_post_does_not_follow_a_redirect, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_document_is_a_json_object, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_an_answer_over_the_limit_is_too_large, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_redirects_are_followed_up_to_the_limit, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_redirected_fetch_is_signed_for_where_it_goes,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_server_that_never_answers_is_given_up_on, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
