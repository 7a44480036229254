/* replies.c — whole answers kept and served again (see replies.h). */
#include "core/replies.h"

#include "core/cache.h"
#include "core/time.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
	char *key;
	char *data; /* body, alt, then the headers' strings, NUL after each */
	size_t size;
	kept_reply r; /* its pointers into data */
	const char **headers;
	uint64_t epoch, generation;
	int64_t expires_ms;
} entry;

static entry *slots;
static size_t nslots, budget, bytes_held;
static int max_age_s;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t generation;
static _Atomic uint64_t hits, misses;

/* The stamp of this thread's current request, from replies_begin. */
static _Thread_local uint64_t req_generation;

void replies_init(size_t n, size_t bytes, int age_s)
{
	slots = n ? calloc(n, sizeof *slots) : NULL;
	nslots = slots ? n : 0;
	budget = bytes;
	max_age_s = age_s;
}

static void entry_clear(entry *e)
{
	bytes_held -= e->size;
	free(e->key);
	free(e->data);
	free(e->headers);
	memset(e, 0, sizeof *e);
}

void replies_shutdown(void)
{
	for (size_t i = 0; i < nslots; i++)
		entry_clear(&slots[i]);
	free(slots);
	slots = NULL;
	nslots = bytes_held = 0;
}

bool replies_enabled(void)
{
	return nslots > 0;
}

void replies_begin(void)
{
	req_generation = atomic_load(&generation);
}

void replies_changed(void)
{
	atomic_fetch_add(&generation, 1);
}

static size_t slot_of(const char *key)
{
	unsigned char h[8];
	crypto_generichash(h, sizeof h, (const unsigned char *)key, strlen(key),
			   NULL, 0);
	uint64_t v;
	memcpy(&v, h, sizeof v);
	return (size_t)(v % nslots);
}

bool replies_get(const char *key, arena *a, bool want_alt, kept_reply *out)
{
	if (!nslots || !key)
		return false;
	entry *e = &slots[slot_of(key)];
	pthread_mutex_lock(&lock);
	bool hit = e->key && !strcmp(e->key, key) &&
		   e->epoch == cache_thread_epoch() &&
		   e->generation == req_generation &&
		   time_now_ms() < e->expires_ms;
	if (hit) {
		/* only the encoding asked for is copied out */
		*out = e->r;
		if (want_alt && e->r.alt) {
			out->alt = arena_strndup(a, e->r.alt, e->r.altlen);
			out->body = NULL;
			out->len = 0;
		} else {
			out->body = arena_strndup(a, e->r.body, e->r.len);
			out->alt = NULL;
			out->altlen = 0;
		}
		if (e->r.type)
			out->type = arena_strdup(a, e->r.type);
		const char **h =
			arena_alloc(a, (2 * e->r.nheaders + 1) * sizeof *h);
		for (size_t i = 0; i < 2 * e->r.nheaders; i++)
			h[i] = arena_strdup(a, e->r.headers[i]);
		out->headers = h;
	}
	pthread_mutex_unlock(&lock);
	atomic_fetch_add(hit ? &hits : &misses, 1);
	return hit;
}

/* Copy n bytes of src to *p, NUL after them; the copy. */
static const char *put_bytes(char **p, const char *src, size_t n)
{
	char *at = *p;
	memcpy(at, src, n);
	at[n] = '\0';
	*p += n + 1;
	return at;
}

/* e's data: r's bodies and strings in one block. */
static bool entry_fill(entry *e, const kept_reply *r)
{
	size_t size = r->len + 1 + (r->alt ? r->altlen + 1 : 0) +
		      (r->type ? strlen(r->type) + 1 : 0);
	for (size_t i = 0; i < 2 * r->nheaders; i++)
		size += strlen(r->headers[i]) + 1;
	e->data = malloc(size);
	e->headers = malloc((2 * r->nheaders + 1) * sizeof *e->headers);
	if (!e->data || !e->headers)
		return false;
	e->size = size;
	e->r = *r;
	char *p = e->data;
	e->r.body = put_bytes(&p, r->body, r->len);
	if (r->alt)
		e->r.alt = put_bytes(&p, r->alt, r->altlen);
	if (r->type)
		e->r.type = put_bytes(&p, r->type, strlen(r->type));
	for (size_t i = 0; i < 2 * r->nheaders; i++)
		e->headers[i] =
			put_bytes(&p, r->headers[i], strlen(r->headers[i]));
	e->r.headers = e->headers;
	return true;
}

void replies_put(const char *key, const kept_reply *r)
{
	if (!nslots || !key || r->len + (r->alt ? r->altlen : 0) > budget / 8)
		return;
	entry fresh = {.key = strdup(key)};
	if (!fresh.key || !entry_fill(&fresh, r)) {
		free(fresh.key);
		free(fresh.data);
		free(fresh.headers);
		return;
	}
	fresh.epoch = cache_thread_epoch();
	fresh.generation = req_generation;
	fresh.expires_ms = time_now_ms() + (int64_t)max_age_s * 1000;
	entry *e = &slots[slot_of(key)];
	pthread_mutex_lock(&lock);
	entry_clear(e);
	/* over budget: drop others, starting after this slot */
	for (size_t i = 1; i < nslots && bytes_held + fresh.size > budget; i++)
		if (slots[(e - slots + i) % nslots].key)
			entry_clear(&slots[(e - slots + i) % nslots]);
	*e = fresh;
	bytes_held += fresh.size;
	pthread_mutex_unlock(&lock);
}

void replies_stats(uint64_t *h, uint64_t *m, size_t *bytes)
{
	*h = atomic_load(&hits);
	*m = atomic_load(&misses);
	pthread_mutex_lock(&lock);
	*bytes = bytes_held;
	pthread_mutex_unlock(&lock);
}
