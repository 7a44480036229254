#include "core/feeds.h"

#include "core/cache.h"
#include "core/id.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { FEEDS_WAYS = 2 };

typedef struct feed {
	int64_t owner; /* 0: free */
	uint64_t used; /* tick of the last use, for eviction */
	bool complete; /* nothing older than ids[n - 1] exists */
	size_t n;
	int64_t *ids; /* newest first; length entries, allocated once */
} feed;

typedef struct feed_set {
	pthread_mutex_t lock;
	uint64_t invalidated; /* epoch of the last push or drop here */
	/* commit epoch of the newest drop applied here: a push committed
	 * before it may land after it, on a feed refilled meanwhile */
	uint64_t dropped;
	feed way[FEEDS_WAYS];
} feed_set;

struct feeds {
	size_t mask, length;
	_Atomic uint64_t tick;
	feed_set *sets;
};

feeds *feeds_home;

void feeds_init(size_t slots, size_t length)
{
	if (slots == 0 || length == 0)
		return;
	size_t n = 1;
	while (n * FEEDS_WAYS < slots)
		n <<= 1;
	feeds *f = calloc(1, sizeof *f);
	if (!f)
		return;
	f->sets = calloc(n, sizeof *f->sets);
	if (!f->sets) {
		free(f);
		return;
	}
	f->mask = n - 1;
	f->length = length;
	for (size_t i = 0; i < n; i++)
		pthread_mutex_init(&f->sets[i].lock, NULL);
	feeds_home = f;
}

void feeds_shutdown(void)
{
	feeds *f = feeds_home;
	if (!f)
		return;
	for (size_t i = 0; i <= f->mask; i++) {
		for (int w = 0; w < FEEDS_WAYS; w++)
			free(f->sets[i].way[w].ids);
		pthread_mutex_destroy(&f->sets[i].lock);
	}
	free(f->sets);
	free(f);
	feeds_home = NULL;
}

size_t feeds_length(const feeds *f)
{
	return f ? f->length : 0;
}

static feed_set *set_of(feeds *f, int64_t owner)
{
	uint64_t h = (uint64_t)owner * 0x9E3779B97F4A7C15ull;
	return &f->sets[(size_t)(h >> 32) & f->mask];
}

static feed *find(feed_set *s, int64_t owner)
{
	for (int w = 0; w < FEEDS_WAYS; w++)
		if (s->way[w].owner == owner)
			return &s->way[w];
	return NULL;
}

/* The page of fd in (lo, hi); see feeds_page. */
static feeds_answer window(const feed *fd, int64_t lo, int64_t hi, bool asc,
			   size_t limit, int64_t *out, size_t *n)
{
	size_t k = 0;
	if (!asc) {
		size_t i = 0;
		while (i < fd->n && fd->ids[i] >= hi)
			i++;
		while (i < fd->n && fd->ids[i] > lo && k < limit)
			out[k++] = fd->ids[i++];
		*n = k;
		/* exact when full, stopped at lo, or nothing older exists */
		return k == limit || i < fd->n || fd->complete ? FEEDS_HIT
							       : FEEDS_OUTSIDE;
	}
	size_t j = 0; /* one past the oldest id above lo */
	while (j < fd->n && fd->ids[j] > lo)
		j++;
	if (j == fd->n && !fd->complete)
		return FEEDS_OUTSIDE; /* ids just above lo may be older */
	while (j-- > 0 && k < limit && fd->ids[j] < hi)
		out[k++] = fd->ids[j];
	id_reverse(out, k);
	*n = k;
	return FEEDS_HIT;
}

feeds_answer feeds_page(feeds *f, int64_t owner, int64_t lo, int64_t hi,
			bool asc, size_t limit, int64_t *out, size_t *n)
{
	*n = 0;
	if (!f)
		return FEEDS_OUTSIDE;
	feed_set *s = set_of(f, owner);
	pthread_mutex_lock(&s->lock);
	feed *fd = find(s, owner);
	feeds_answer a = FEEDS_ABSENT;
	if (fd) {
		fd->used = atomic_fetch_add_explicit(&f->tick, 1,
						     memory_order_relaxed);
		a = window(fd, lo, hi, asc, limit, out, n);
	}
	pthread_mutex_unlock(&s->lock);
	return a;
}

bool feeds_put(feeds *f, int64_t owner, const int64_t *ids, size_t n,
	       bool complete)
{
	uint64_t epoch = cache_thread_epoch();
	if (!f || owner == 0 || n > f->length || epoch == 0)
		return false;
	feed_set *s = set_of(f, owner);
	pthread_mutex_lock(&s->lock);
	feed *fd = find(s, owner);
	if (s->invalidated > epoch) {
		/* a writer pushed or dropped after our snapshot began */
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	if (!fd) {
		fd = &s->way[0];
		for (int w = 1; w < FEEDS_WAYS && fd->owner; w++)
			if (!s->way[w].owner || s->way[w].used < fd->used)
				fd = &s->way[w];
	}
	if (!fd->ids)
		fd->ids = malloc(f->length * sizeof *fd->ids);
	bool ok = fd->ids != NULL;
	if (ok) {
		memcpy(fd->ids, ids, n * sizeof *ids);
		fd->n = n;
		fd->complete = complete;
		fd->owner = owner;
		fd->used = atomic_fetch_add_explicit(&f->tick, 1,
						     memory_order_relaxed);
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static void insert(feed *fd, size_t length, int64_t id)
{
	size_t i = 0;
	while (i < fd->n && fd->ids[i] > id)
		i++;
	if (i < fd->n && fd->ids[i] == id)
		return;
	/* older than all we hold: unless nothing older exists, listing it
	 * would claim the ids between it and ids[n - 1] were all seen */
	if (i == fd->n && !fd->complete)
		return;
	if (fd->n == length) {
		if (i == length)
			return;
		fd->n--; /* the oldest falls off */
		fd->complete = false;
	}
	memmove(&fd->ids[i + 1], &fd->ids[i], (fd->n - i) * sizeof *fd->ids);
	fd->ids[i] = id;
	fd->n++;
}

/* A writer's change to owner's feed: push id, or drop the feed (id 0),
 * committed at epoch at (0: now). The set is stamped either way, so no
 * fill read before it lands. A push committed before a drop already
 * applied here may come late, after a refill that rightly left it out
 * (an unfollow): the feed goes, and the next read refills it. */
static void change(feeds *f, int64_t owner, int64_t id, uint64_t at)
{
	if (!f)
		return;
	uint64_t epoch = cache_epoch_next();
	if (!at)
		at = epoch;
	feed_set *s = set_of(f, owner);
	pthread_mutex_lock(&s->lock);
	s->invalidated = epoch;
	if (!id && at > s->dropped)
		s->dropped = at;
	feed *fd = find(s, owner);
	if (fd && id && at > s->dropped)
		insert(fd, f->length, id);
	else if (fd)
		fd->owner = 0;
	pthread_mutex_unlock(&s->lock);
}

void feeds_push(feeds *f, int64_t owner, int64_t id)
{
	change(f, owner, id, 0);
}

void feeds_drop(feeds *f, int64_t owner)
{
	change(f, owner, 0, 0);
}

void feeds_push_at(feeds *f, int64_t owner, int64_t id, uint64_t at)
{
	change(f, owner, id, at);
}

void feeds_drop_at(feeds *f, int64_t owner, uint64_t at)
{
	change(f, owner, 0, at);
}

size_t feeds_capacity(const feeds *f)
{
	return f ? (f->mask + 1) * FEEDS_WAYS : 0;
}

size_t feeds_owners(feeds *f, int64_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; f && i <= f->mask; i++) {
		feed_set *s = &f->sets[i];
		pthread_mutex_lock(&s->lock);
		for (int w = 0; w < FEEDS_WAYS && n < max; w++)
			if (s->way[w].owner)
				out[n++] = s->way[w].owner;
		pthread_mutex_unlock(&s->lock);
	}
	qsort(out, n, sizeof *out, id_cmp);
	return n;
}

static bool listed(const int64_t *ids, size_t n, int64_t id)
{
	return n && bsearch(&id, ids, n, sizeof id, id_cmp) != NULL;
}

void feeds_push_asked_at(feeds *f, int64_t id, const int64_t *asked,
			 size_t nasked, const int64_t *in, size_t nin,
			 uint64_t at)
{
	if (!f)
		return;
	uint64_t epoch = cache_epoch_next();
	if (!at)
		at = epoch;
	for (size_t i = 0; i <= f->mask; i++) {
		feed_set *s = &f->sets[i];
		pthread_mutex_lock(&s->lock);
		s->invalidated = epoch;
		for (int w = 0; w < FEEDS_WAYS; w++) {
			feed *fd = &s->way[w];
			if (!fd->owner)
				continue;
			/* as change(): a drop committed later wins */
			if (listed(in, nin, fd->owner) && at > s->dropped)
				insert(fd, f->length, id);
			else if (!listed(asked, nasked, fd->owner) ||
				 listed(in, nin, fd->owner))
				fd->owner = 0;
		}
		pthread_mutex_unlock(&s->lock);
	}
}

void feeds_clear(feeds *f)
{
	if (!f)
		return;
	uint64_t epoch = cache_epoch_next();
	for (size_t i = 0; i <= f->mask; i++) {
		feed_set *s = &f->sets[i];
		pthread_mutex_lock(&s->lock);
		s->invalidated = epoch;
		for (int w = 0; w < FEEDS_WAYS; w++)
			s->way[w].owner = 0;
		pthread_mutex_unlock(&s->lock);
	}
}
