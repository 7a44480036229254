/* peers.c — processes sharing one PostgreSQL database tell each other
 * what they changed. Each process caches what it read (core/cache.h,
 * core/feeds.h) and streams what happened (domain events); a write one
 * process commits must reach the others' caches and streams. A commit
 * carries a NOTIFY on channel "chorus" listing what it touched (delivered
 * with the commit, never without it); events go the same way once
 * published. A thread per process LISTENs and applies what the others
 * sent, in the order they committed.
 *
 * A message is "<node> <items>": the sender's node number (core/id.h), so
 * a process skips its own, then space-separated items: s<id>, a<id>,
 * r<id>, f<id> (a status, account, relation or fold entry to drop), e (a
 * new epoch for the page cache), g (a new generation of the whole sets),
 * h<owner> (a home feed to drop: the others rebuild it from the database), H
 * (every home feed: a status for more homes than are held, or too many h), X
 * (drop everything), or E and the rest of the message, an event for the
 * streams. */
#include "core/cache.h"
#include "core/config.h"
#include "core/feeds.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
	pthread_t thread;
	_Atomic bool stop;
	bool running;
	store_peer_event_fn on_event;
	char *url;
	int node;
} peers;

/* The others' messages applied so far (tests and /metrics). */
static _Atomic uint64_t applied;

static void apply_items(const char *p)
{
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		char kind = *p++;
		if (kind == 'E') {
			if (peers.on_event)
				peers.on_event(p);
			return;
		}
		char *end;
		long long id = strtoll(p, &end, 10);
		p = end;
		switch (kind) {
		case 's': cache_invalidate(cache_statuses, id); break;
		case 'a': cache_invalidate(cache_accounts, id); break;
		case 'r': cache_invalidate(cache_relations, id); break;
		case 'f': cache_invalidate(cache_folds, id); break;
		case 'e': cache_epoch_next(); break;
		case 'g': cache_generation_next(); break;
		case 'h':
			if (feeds_home)
				feeds_drop(feeds_home, id);
			break;
		case 'H':
			if (feeds_home)
				feeds_clear(feeds_home);
			break;
		case 'X':
			cache_clear(cache_statuses);
			cache_clear(cache_accounts);
			cache_clear(cache_relations);
			cache_clear(cache_folds);
			if (feeds_home)
				feeds_clear(feeds_home);
			cache_epoch_next();
			cache_generation_next();
			break;
		default: return; /* not ours to read */
		}
	}
}

static void apply(const char *msg)
{
	char *end;
	long node = strtol(msg, &end, 10);
	if (end == msg || node == peers.node)
		return;
	apply_items(end);
	atomic_fetch_add_explicit(&applied, 1, memory_order_relaxed);
}

/* Connect and LISTEN; NULL (logged) when the database is away. */
static PGconn *listen_conn(void)
{
	PGconn *c = PQconnectdb(peers.url);
	if (PQstatus(c) != CONNECTION_OK) {
		log_error("peers: cannot connect to the database: %s",
			  PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PGresult *r = PQexec(c, "LISTEN chorus");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void *peers_main(void *arg)
{
	PGconn *c = arg;
	while (!atomic_load(&peers.stop)) {
		if (!c && !(c = listen_conn())) {
			poll(NULL, 0, 500);
			continue;
		}
		/* a lost connection loses messages: what was cached may be
		 * stale, so it all goes once the new one listens */
		struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
		if (poll(&pfd, 1, 200) < 0)
			continue;
		if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK) {
			PQfinish(c);
			c = NULL;
			apply_items("X");
			continue;
		}
		PGnotify *n;
		while ((n = PQnotifies(c))) {
			apply(n->extra);
			PQfreemem(n);
		}
	}
	PQfinish(c);
	return NULL;
}

int store_peers_start(store_peer_event_fn on_event)
{
	if (!db_pg)
		return 0;
	peers.on_event = on_event;
	peers.node = pg_node();
	free(peers.url);
	peers.url = strdup(cfg.database_url);
	atomic_store(&peers.stop, false);
	/* listening before the first request is served: nothing committed
	 * after start-up is missed */
	PGconn *c = listen_conn();
	if (!c)
		return -1;
	peers.running = pthread_create(&peers.thread, NULL, peers_main, c) == 0;
	if (!peers.running) {
		PQfinish(c);
		log_error("cannot start the peers thread");
		return -1;
	}
	return 0;
}

void store_peers_stop(void)
{
	if (!peers.running)
		return;
	atomic_store(&peers.stop, true);
	pthread_join(peers.thread, NULL);
	peers.running = false;
}

uint64_t store_peers_applied(void)
{
	return atomic_load_explicit(&applied, memory_order_relaxed);
}

int store_peers_send_event(const char *event)
{
	if (!db_pg)
		return 0;
	char head[24];
	snprintf(head, sizeof head, "%d E", pg_node());
	return pg_notify(head, event);
}
