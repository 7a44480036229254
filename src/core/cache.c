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

struct cache {
	size_t mask;
	cache_slot *slots;
	pthread_mutex_t locks[CACHE_STRIPES];
};

cache *cache_statuses, *cache_accounts;

static _Atomic uint64_t cache_epoch_now = 1;
static _Thread_local uint64_t thread_epoch;

static cache *cache_create(size_t slots)
{
	if (slots == 0)
		return NULL;
	size_t n = 1;
	while (n < slots)
		n <<= 1;
	cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->slots = calloc(n, sizeof *c->slots);
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->mask = n - 1;
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

void cache_init(size_t status_slots, size_t account_slots)
{
	cache_statuses = cache_create(status_slots);
	cache_accounts = cache_create(account_slots);
}

void cache_shutdown(void)
{
	cache_destroy(cache_statuses);
	cache_destroy(cache_accounts);
	cache_statuses = cache_accounts = NULL;
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

static size_t slot_of(const cache *c, int64_t key)
{
	uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 32) & c->mask;
}

static pthread_mutex_t *lock_of(cache *c, size_t slot)
{
	return &c->locks[slot % CACHE_STRIPES];
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
	pthread_mutex_unlock(m);
	return out;
}

void cache_put(cache *c, int64_t key, const char *data, size_t len)
{
	if (!c || thread_epoch == 0)
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
	s->key = key;
	s->data = copy;
	s->len = len;
	pthread_mutex_unlock(m);
	free(old);
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
	if (s->key == key) {
		old = s->data;
		s->data = NULL;
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
		free(c->slots[i].data);
		c->slots[i].data = NULL;
		c->slots[i].invalidated = epoch;
		pthread_mutex_unlock(m);
	}
}
