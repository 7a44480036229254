/* events.c — the seam between what happens (posting, notifying) and who
 * tells clients live (stream/). One listener, installed at start-up; and,
 * when several processes serve one database, a relay that carries each
 * event to the others (store/peers.c), whose listeners hear it as if it
 * happened there. */
#include "domain/domain.h"

#include "core/replies.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static _Atomic(event_sink) listener;
static _Atomic(event_relay) relay;
static _Atomic(event_sink) federator;
static _Atomic(status_federation) status_job;

void events_federate(event_sink sink)
{
	atomic_store(&federator, sink);
}

void events_federate_statuses(status_federation fn)
{
	atomic_store(&status_job, fn);
}

const char *events_status_job(const status *s)
{
	status_federation fn = atomic_load(&status_job);
	return fn ? fn(s) : NULL;
}

void events_listen(event_sink sink)
{
	atomic_store(&listener, sink);
}

void events_relay(event_relay fn)
{
	atomic_store(&relay, fn);
}

static void deliver(const event *e)
{
	replies_changed(); /* kept answers may list it */
	event_sink sink = atomic_load(&listener);
	if (sink)
		sink(e);
}

/* An event as text: "kind id account vis reblog entities" (entities last:
 * it may hold spaces). Deleted statuses' entities are short (a status's
 * tags and mentions); a longer one is cut, and the others then miss a
 * stream or two of it rather than the event. */
enum { EVENT_TEXT_MAX = 7800 };

void events_publish(const event *e)
{
	deliver(e);
	/* other servers hear of it from the process where it happened */
	event_sink fed = atomic_load(&federator);
	if (fed)
		fed(e);
	event_relay fn = atomic_load(&relay);
	if (!fn)
		return;
	char text[EVENT_TEXT_MAX];
	snprintf(text, sizeof text, "%d %" PRId64 " %" PRId64 " %d %d %s",
		 (int)e->kind, e->id, e->account_id, (int)e->vis,
		 e->reblog ? 1 : 0, e->entities ? e->entities : "");
	fn(text);
}

void events_receive(const char *text)
{
	event e = {0};
	char *end;
	e.kind = (event_kind)strtol(text, &end, 10);
	e.id = strtoll(end, &end, 10);
	e.account_id = strtoll(end, &end, 10);
	e.vis = (visibility)strtol(end, &end, 10);
	e.reblog = strtol(end, &end, 10) != 0;
	if (*end == ' ')
		end++;
	e.entities = *end ? end : NULL;
	deliver(&e);
}
