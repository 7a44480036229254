/* events.c — the seam between what happens (posting, notifying) and who
 * tells clients live (stream/). One listener, installed at start-up. */
#include "domain/domain.h"

#include <stdatomic.h>

static _Atomic(event_sink) listener;
static _Atomic uint64_t generation;

uint64_t events_generation(void)
{
	return atomic_load(&generation);
}

void events_listen(event_sink sink)
{
	atomic_store(&listener, sink);
}

void events_publish(const event *e)
{
	atomic_fetch_add(&generation, 1);
	event_sink sink = atomic_load(&listener);
	if (sink)
		sink(e);
}
