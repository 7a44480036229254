/* stream.h — the streaming API: WebSocket and server-sent-event clients
 * parked on one thread, fed by domain events.
 *
 * api/streaming.c checks the request and hands the connection over
 * (http_reply_upgrade / http_reply_feed); from then on the streaming
 * thread owns it: subscriptions, rendering each event once, fan-out,
 * heartbeats, and dropping clients that stop reading. */
#ifndef CHORUS_STREAM_H
#define CHORUS_STREAM_H

#include "core/arena.h"
#include "domain/model.h"
#include "http/http.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum stream_kind {
	STREAM_USER,
	STREAM_USER_NOTIFICATION,
	STREAM_PUBLIC,
	STREAM_PUBLIC_MEDIA,
	STREAM_PUBLIC_LOCAL,
	STREAM_PUBLIC_LOCAL_MEDIA,
	STREAM_PUBLIC_REMOTE,
	STREAM_PUBLIC_REMOTE_MEDIA,
	STREAM_HASHTAG,
	STREAM_HASHTAG_LOCAL,
	STREAM_LIST,
	STREAM_DIRECT,
	STREAM_THREAD, /* chorus: the replies to one thread */
	STREAM_KINDS
} stream_kind;

/* One stream a client asked for. */
typedef struct stream_spec {
	stream_kind kind;
	const char *tag; /* hashtags: the name as the client gave it */
	/* hashtags: the tag's lookup key (text_tag_key); thread: the root
	 * post's id, in decimal */
	const char *key;
	int64_t list; /* lists: the list id */
} stream_spec;

/* "user", "public:local"… */
const char *stream_kind_name(stream_kind k);

/* Check a stream request: name as Mastodon spells it ("user",
 * "public:local", "hashtag"…, and chorus's "thread"), its tag, list or id
 * parameter, and who asks (account 0 and scopes NULL: anonymous). Returns
 * NULL with *out filled (arena memory), or an error message with *status
 * set: 400 unknown stream or a missing or invalid tag or id, 401 missing
 * token or a list not the caller's, 403 a token without the read scope it
 * needs, 404 a thread post the caller may not see. */
const char *stream_spec_parse(arena *a, const char *name, const char *tag,
			      const char *list, const char *id, int64_t account,
			      const char *scopes, stream_spec *out,
			      int *status);

/* Start the streaming thread and listen to domain events; 0 or -1. */
int stream_start(void);
/* Close every stream and join the thread. Call before stopping the HTTP
 * server: libmicrohttpd must get its upgraded and suspended connections
 * back first. */
void stream_stop(void);

/* A WebSocket client about to be handed over: who it is (p NULL:
 * anonymous; its token is remembered, so the stream closes when the token
 * is revoked) and the stream its URL asked for (spec NULL: none yet).
 * Heap memory, consumed by stream_ws_upgraded. */
typedef struct stream_client stream_client;
stream_client *stream_client_new(const principal *p, const stream_spec *spec);
/* Free a client whose upgrade never happened (http_reply_upgrade's drop). */
void stream_client_drop(void *ctx);
/* The http_upgrade_fn that takes the socket over; ctx is the client. */
void stream_ws_upgraded(int fd, const char *extra, size_t extra_len,
			void *handle, void *ctx);
/* Take over a server-sent-events feed for one stream; p as above. */
void stream_sse_open(http_feed *feed, const principal *p,
		     const stream_spec *spec);

/* Counters for the benchmark and the tests. */
typedef struct stream_stats {
	long connections; /* open, WebSocket and SSE */
	long websocket;	  /* of them, handed to the hub as WebSocket */
	long sse;	  /* of them, handed to the hub as SSE feeds */
	long dropped;	  /* slow or dead clients closed by the server */
	long revoked;	  /* closed because their session ended */
	long checks;	  /* session checks that ran a query */
} stream_stats;
void stream_get_stats(stream_stats *out);

#endif
