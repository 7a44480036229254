/* streaming.c — the streaming API's doors: the WebSocket at
 * /api/v1/streaming and the server-sent-event paths under it. They check
 * the token and the stream, then hand the connection to stream/, whose
 * thread serves it from then on. */
#include "api/api.h"

#include "core/config.h"
#include "stream/stream.h"
#include "stream/ws.h"

#include <string.h>
#include <strings.h>

/* The principal from the token, wherever the client put it: the guard
 * read Authorization and access_token; browsers can only send it as the
 * WebSocket subprotocol. false after replying 401. */
static bool stream_principal(http_req *r, const principal **out)
{
	*out = api_principal(r);
	const char *proto = http_header_get(r, "Sec-WebSocket-Protocol");
	if (*out || !proto || !*proto)
		return true;
	principal *p = arena_alloc(&r->arena, sizeof *p);
	if (!auth_principal(&r->arena, proto, p)) {
		http_reply_error(r, 401, "The access token is invalid");
		return false;
	}
	http_set_header(r, "Sec-WebSocket-Protocol", proto);
	*out = p;
	return true;
}

/* Parse the stream named name with the request's tag/list parameters;
 * false after replying with the error. */
static bool stream_request(http_req *r, const principal *p, const char *name,
			   stream_spec *spec)
{
	int status;
	const char *err = stream_spec_parse(
		&r->arena, name, http_param_get(r, "tag"),
		http_param_get(r, "list"), http_param_get(r, "id"),
		p ? p->account_id : 0, p ? p->scopes : NULL, spec, &status);
	if (err)
		http_reply_error(r, status, err);
	return !err;
}

static bool header_has_token(const char *value, const char *token)
{
	size_t n = strlen(token);
	for (const char *v = value; v && *v;) {
		v += strspn(v, " \t,");
		size_t len = strcspn(v, ",");
		size_t end = len;
		while (end && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end == n && !strncasecmp(v, token, n))
			return true;
		v += len;
	}
	return false;
}

static void serve_sse(http_req *r, const principal *p, const char *name)
{
	stream_spec spec;
	if (!stream_request(r, p, name, &spec))
		return;
	http_set_header(r, "Cache-Control", "no-store");
	http_set_header(r, "X-Accel-Buffering", "no"); /* nginx: no buffer */
	http_feed *f = http_reply_feed(r, 200, "text/event-stream",
				       (size_t)cfg.stream_max_queue_bytes);
	if (!f) {
		http_reply_error(r, 503, "Out of memory");
		return;
	}
	http_feed_write(f, ":)\n", 3); /* headers out, and a first beat */
	stream_sse_open(f, p, &spec);
}

void streaming_socket(http_req *r)
{
	const principal *p;
	if (!stream_principal(r, &p))
		return;
	const char *name = http_param_get(r, "stream");
	if (!header_has_token(http_header_get(r, "Upgrade"), "websocket")) {
		/* a plain GET: the same stream as server-sent events */
		serve_sse(r, p, name);
		return;
	}
	const char *version = http_header_get(r, "Sec-WebSocket-Version");
	char accept[WS_ACCEPT_LEN + 1];
	if (!version || strcmp(version, "13")) {
		http_set_header(r, "Sec-WebSocket-Version", "13");
		http_reply_error(r, 426, "WebSocket version 13 is required");
		return;
	}
	if (!ws_accept_key(http_header_get(r, "Sec-WebSocket-Key"), accept)) {
		http_reply_error(r, 400, "Invalid Sec-WebSocket-Key");
		return;
	}
	stream_spec spec, *first = NULL;
	if (name && *name) {
		if (!stream_request(r, p, name, &spec))
			return;
		first = &spec;
	}
	stream_client *c = stream_client_new(p, first);
	if (!c) {
		http_reply_error(r, 503, "Out of memory");
		return;
	}
	http_set_header(r, "Upgrade", "websocket");
	http_set_header(r, "Sec-WebSocket-Accept",
			arena_strdup(&r->arena, accept));
	http_reply_upgrade(r, stream_ws_upgraded, stream_client_drop, c);
}

void streaming_events(http_req *r)
{
	const principal *p;
	if (!stream_principal(r, &p))
		return;
	/* /api/v1/streaming/public/local → "public:local" */
	const char *rest = r->path + strlen("/api/v1/streaming/");
	char *name = arena_strdup(&r->arena, rest);
	for (char *c = name; *c; c++)
		if (*c == '/')
			*c = ':';
	bool media = http_param_bool(r, "only_media", false);
	if (media && !strncmp(name, "public", 6))
		name = arena_printf(&r->arena, "%s:media", name);
	serve_sse(r, p, name);
}
