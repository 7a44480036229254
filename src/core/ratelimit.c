/* ratelimit.c — see ratelimit.h. Open addressing in SHARDS tables, a key
 * looked for in PROBES slots from its hash's. */
#include "core/ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

enum {
	SHARDS = 256,
	SHARD_SLOTS = RATELIMIT_SLOTS / SHARDS,
	PROBES = 8,
	FORGET_MS = 24 * 3600 * 1000, /* failures kept at most this long */
};

typedef struct slot {
	uint64_t hash; /* 0: empty */
	int64_t start; /* the window's start, or the last failure's time */
	long count;
} slot;

static struct shard {
	pthread_mutex_t lock;
	slot slots[SHARD_SLOTS];
} shards[SHARDS];

static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
	randombytes_buf(hash_key, sizeof hash_key);
	for (int i = 0; i < SHARDS; i++)
		pthread_mutex_init(&shards[i].lock, NULL);
}

void ratelimit_init(void)
{
	pthread_once(&once, init_once);
}

static uint64_t hash_of(int bucket, const void *key, size_t len)
{
	unsigned char in[256];
	size_t n = len < sizeof in - 1 ? len : sizeof in - 1;
	in[0] = (unsigned char)bucket;
	memcpy(in + 1, key, n);
	unsigned char out[crypto_shorthash_BYTES];
	crypto_shorthash(out, in, n + 1, hash_key);
	uint64_t h;
	memcpy(&h, out, sizeof h);
	return h ? h : 1;
}

/* The slot of h in its shard (locked by the caller): its own, or an
 * empty one, or the one whose start is oldest (emptied), never NULL. */
static slot *find(struct shard *s, uint64_t h)
{
	size_t at = (size_t)(h / SHARDS) % SHARD_SLOTS;
	slot *oldest = NULL;
	for (int i = 0; i < PROBES; i++) {
		slot *x = &s->slots[(at + (size_t)i) % SHARD_SLOTS];
		if (x->hash == h)
			return x;
		if (!x->hash) {
			x->hash = h;
			x->start = 0;
			x->count = 0;
			return x;
		}
		if (!oldest || x->start < oldest->start)
			oldest = x;
	}
	oldest->hash = h;
	oldest->start = 0;
	oldest->count = 0;
	return oldest;
}

static struct shard *shard_of(uint64_t h)
{
	ratelimit_init();
	return &shards[h % SHARDS];
}

bool ratelimit_hit(int bucket, const void *key, size_t len,
		   const ratelimit_rule *rule, int64_t now,
		   ratelimit_state *out)
{
	if (rule->limit <= 0) {
		*out = (ratelimit_state){0};
		return true;
	}
	uint64_t h = hash_of(bucket, key, len);
	struct shard *s = shard_of(h);
	pthread_mutex_lock(&s->lock);
	slot *x = find(s, h);
	if (!x->start || now >= x->start + rule->period_ms) {
		x->start = now;
		x->count = 0;
	}
	bool ok = x->count < rule->limit;
	if (ok)
		x->count++;
	*out = (ratelimit_state){.limit = rule->limit,
				 .remaining = rule->limit - x->count,
				 .reset_ms = x->start + rule->period_ms};
	pthread_mutex_unlock(&s->lock);
	return ok;
}

int64_t ratelimit_locked(int bucket, const void *key, size_t len, long free,
			 int64_t max_ms, int64_t now)
{
	uint64_t h = hash_of(bucket, key, len);
	struct shard *s = shard_of(h);
	int64_t wait = 0;
	pthread_mutex_lock(&s->lock);
	slot *x = find(s, h);
	if (x->start && now - x->start > FORGET_MS)
		x->count = 0;
	if (free >= 0 && x->count > free) {
		long doublings = x->count - free - 1;
		int64_t backoff =
			doublings >= 40 ? max_ms : (int64_t)1000 << doublings;
		if (backoff > max_ms)
			backoff = max_ms;
		if (now < x->start + backoff)
			wait = x->start + backoff - now;
	}
	pthread_mutex_unlock(&s->lock);
	return wait;
}

void ratelimit_fail(int bucket, const void *key, size_t len, int64_t now)
{
	uint64_t h = hash_of(bucket, key, len);
	struct shard *s = shard_of(h);
	pthread_mutex_lock(&s->lock);
	slot *x = find(s, h);
	if (x->start && now - x->start > FORGET_MS)
		x->count = 0;
	x->count++;
	x->start = now;
	pthread_mutex_unlock(&s->lock);
}

void ratelimit_clear(int bucket, const void *key, size_t len)
{
	uint64_t h = hash_of(bucket, key, len);
	struct shard *s = shard_of(h);
	pthread_mutex_lock(&s->lock);
	slot *x = find(s, h);
	x->count = 0;
	x->start = 0;
	pthread_mutex_unlock(&s->lock);
}

void ratelimit_reset(void)
{
	ratelimit_init();
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_lock(&shards[i].lock);
		memset(shards[i].slots, 0, sizeof shards[i].slots);
		pthread_mutex_unlock(&shards[i].lock);
	}
}
