#include "core/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { CACHE_STRIPES = 64 };

typedef struct cache_slot {
	int64_t key;
	uint64_t invalidated; /* epoch of the last invalidation here */
	char *data;
	size_t len;
} cache_slot;

/* Lookups counted per stripe, under the stripe's lock, each stripe on a
 * cache line of its own: counting adds no contention to a lookup. */
typedef struct cache_counts {
	_Alignas(64) _Atomic uint64_t hits;
	_Atomic uint64_t misses;
} cache_counts;

struct cache {
	size_t mask;
	cache_slot *slots;
	size_t budget;	     /* most bytes of data held at once */
	_Atomic size_t used; /* bytes of data held now */
	_Atomic size_t hand; /* next slot the eviction sweep empties */
	pthread_mutex_t locks[CACHE_STRIPES];
	cache_counts counts[CACHE_STRIPES];
};

cache *cache_statuses, *cache_accounts, *cache_relations, *cache_folds;

static _Atomic uint64_t cache_epoch_now = 1;
static _Thread_local uint64_t thread_epoch;

static cache *cache_create(size_t slots, size_t budget)
{
	if (slots == 0 || budget == 0)
		return NULL;
	size_t n = 1;
	while (n < slots)
		n <<= 1;
	/* aligned: each stripe's counters keep a cache line of their own */
	size_t size = (sizeof(cache) + 63) / 64 * 64;
	cache *c = aligned_alloc(64, size);
	if (!c)
		return NULL;
	memset(c, 0, size);
	c->slots = calloc(n, sizeof *c->slots);
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->mask = n - 1;
	c->budget = budget;
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	return c;
}

static void cache_destroy(cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i <= c->mask; i++)
		free(c->slots[i].data);
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&c->locks[i]);
	free(c->slots);
	free(c);
}

void cache_init(size_t status_slots, size_t status_bytes, size_t account_slots,
		size_t account_bytes, size_t relation_slots,
		size_t relation_bytes)
{
	cache_statuses = cache_create(status_slots, status_bytes);
	/* a status's folded text is about a quarter of its rendering */
	cache_folds = cache_create(status_slots, status_bytes / 4);
	cache_accounts = cache_create(account_slots, account_bytes);
	cache_relations = cache_create(relation_slots, relation_bytes);
}

void cache_shutdown(void)
{
	cache_destroy(cache_statuses);
	cache_destroy(cache_accounts);
	cache_destroy(cache_relations);
	cache_destroy(cache_folds);
	cache_statuses = cache_accounts = cache_relations = cache_folds = NULL;
}

void cache_request_begin(void)
{
	thread_epoch = atomic_load(&cache_epoch_now);
}

uint64_t cache_thread_epoch(void)
{
	return thread_epoch;
}

uint64_t cache_epoch_next(void)
{
	return atomic_fetch_add(&cache_epoch_now, 1) + 1;
}

static _Atomic uint64_t generation_now = 1;

uint64_t cache_generation(void)
{
	return atomic_load_explicit(&generation_now, memory_order_acquire);
}

void cache_generation_next(void)
{
	atomic_fetch_add_explicit(&generation_now, 1, memory_order_acq_rel);
}

static size_t slot_of(const cache *c, int64_t key)
{
	uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 32) & c->mask;
}

static pthread_mutex_t *lock_of(cache *c, size_t slot)
{
	return &c->locks[slot % CACHE_STRIPES];
}

/* Count a lookup of slot; called with its stripe's lock held. */
static void count_lookup(cache *c, size_t slot, bool hit)
{
	cache_counts *k = &c->counts[slot % CACHE_STRIPES];
	atomic_fetch_add_explicit(hit ? &k->hits : &k->misses, 1,
				  memory_order_relaxed);
}

void cache_stats(cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = *misses = 0;
	if (!c)
		return;
	for (int i = 0; i < CACHE_STRIPES; i++) {
		*hits += atomic_load_explicit(&c->counts[i].hits,
					      memory_order_relaxed);
		*misses += atomic_load_explicit(&c->counts[i].misses,
						memory_order_relaxed);
	}
}

const char *cache_get(cache *c, int64_t key, arena *a, size_t *len)
{
	if (!c)
		return NULL;
	size_t i = slot_of(c, key);
	char *out = NULL;
	pthread_mutex_t *m = lock_of(c, i);
	pthread_mutex_lock(m);
	cache_slot *s = &c->slots[i];
	if (s->data && s->key == key) {
		out = arena_strndup(a, s->data, s->len);
		*len = s->len;
	}
	count_lookup(c, i, out != NULL);
	pthread_mutex_unlock(m);
	return out;
}

/* Empty slots at the clock hand until the data fits the budget again,
 * visiting each slot at most once. One stripe lock at a time, so it may
 * run after any put without ordering locks. */
static void cache_trim(cache *c)
{
	for (size_t visited = 0;
	     visited <= c->mask && atomic_load(&c->used) > c->budget;
	     visited++) {
		size_t i = atomic_fetch_add(&c->hand, 1) & c->mask;
		pthread_mutex_t *m = lock_of(c, i);
		pthread_mutex_lock(m);
		cache_slot *s = &c->slots[i];
		char *old = s->data;
		if (old)
			atomic_fetch_sub(&c->used, s->len);
		s->data = NULL;
		pthread_mutex_unlock(m);
		free(old);
	}
}

bool cache_append(cache *c, int64_t key, buf *b)
{
	if (!c)
		return false;
	size_t i = slot_of(c, key);
	bool hit = false;
	pthread_mutex_t *m = lock_of(c, i);
	pthread_mutex_lock(m);
	cache_slot *s = &c->slots[i];
	if (s->data && s->key == key) {
		buf_append(b, s->data, s->len);
		hit = true;
	}
	count_lookup(c, i, hit);
	pthread_mutex_unlock(m);
	return hit;
}

void cache_put(cache *c, int64_t key, const char *data, size_t len)
{
	if (!c || thread_epoch == 0 || len > c->budget)
		return;
	char *copy = malloc(len + 1);
	if (!copy)
		return;
	memcpy(copy, data, len);
	copy[len] = '\0';
	size_t i = slot_of(c, key);
	pthread_mutex_t *m = lock_of(c, i);
	pthread_mutex_lock(m);
	cache_slot *s = &c->slots[i];
	if (s->invalidated > thread_epoch) {
		/* changed after our snapshot began: ours may be old */
		pthread_mutex_unlock(m);
		free(copy);
		return;
	}
	char *old = s->data;
	if (old)
		atomic_fetch_sub(&c->used, s->len);
	s->key = key;
	s->data = copy;
	s->len = len;
	size_t used = atomic_fetch_add(&c->used, len) + len;
	pthread_mutex_unlock(m);
	free(old);
	if (used > c->budget)
		cache_trim(c);
}

void cache_invalidate(cache *c, int64_t key)
{
	if (!c)
		return;
	uint64_t epoch = cache_epoch_next();
	size_t i = slot_of(c, key);
	pthread_mutex_t *m = lock_of(c, i);
	pthread_mutex_lock(m);
	cache_slot *s = &c->slots[i];
	char *old = NULL;
	if (s->key == key && s->data) {
		old = s->data;
		s->data = NULL;
		atomic_fetch_sub(&c->used, s->len);
	}
	s->invalidated = epoch;
	pthread_mutex_unlock(m);
	free(old);
}

void cache_clear(cache *c)
{
	if (!c)
		return;
	uint64_t epoch = cache_epoch_next();
	for (size_t i = 0; i <= c->mask; i++) {
		pthread_mutex_t *m = lock_of(c, i);
		pthread_mutex_lock(m);
		if (c->slots[i].data)
			atomic_fetch_sub(&c->used, c->slots[i].len);
		free(c->slots[i].data);
		c->slots[i].data = NULL;
		c->slots[i].invalidated = epoch;
		pthread_mutex_unlock(m);
	}
}

size_t cache_bytes(cache *c)
{
	return c ? atomic_load(&c->used) : 0;
}
