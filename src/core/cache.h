/* cache.h — bounded, thread-safe caches of rendered bytes keyed by id.
 *
 * Used for the viewer-independent JSON of statuses and accounts, which a
 * timeline renders over and over. Direct-mapped: each key has one slot, a
 * colliding key evicts it. Each cache also has a budget in bytes: a put
 * that takes the cached bytes past it evicts entries, sweeping the slots
 * round like a clock hand, until they fit again. So memory is bounded by
 * the budget however large the entries are, and a hostile entry can only
 * push others out, never grow the cache.
 *
 * Staleness is ruled out with epochs. Writers invalidate a key after their
 * transaction commits, which bumps a global epoch and stamps the key's
 * slot. A reader takes cache_request_epoch() before its database snapshot;
 * cache_put stores only when the slot was not invalidated after that
 * epoch, so data read before a commit can never be stored after the
 * commit's invalidation. (The stamp is per slot, so a colliding key's
 * invalidation can refuse a put; that costs a miss, never a stale hit.) */
#ifndef CHORUS_CACHE_H
#define CHORUS_CACHE_H

#include "core/arena.h"
#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cache cache;

extern cache *cache_statuses; /* status fields, without account/flags */
extern cache *cache_accounts; /* Account entity JSON */
/* a reader's blocks, mutes and domain blocks (domain/visibility.c) */
extern cache *cache_relations;
/* a status's texts folded for keyword filters (domain/visibility.c);
 * sized by the status cache's slots, a quarter of its bytes */
extern cache *cache_folds;

/* Create the global caches: slots rounded up to a power of two, a budget
 * of cached bytes each; 0 slots or 0 bytes disables a cache. Call once
 * before serving. */
void cache_init(size_t status_slots, size_t status_bytes, size_t account_slots,
		size_t account_bytes, size_t relation_slots,
		size_t relation_bytes);
void cache_shutdown(void);

/* Mark the start of a unit of reading (a request) on this thread: later
 * puts from this thread carry this epoch. */
void cache_request_begin(void);

/* The epoch clock the caches share, for other epoch-checked structures
 * (core/feeds.h): the calling thread's epoch from cache_request_begin
 * (0 before the first), and a fresh epoch for an invalidation. */
uint64_t cache_thread_epoch(void);
uint64_t cache_epoch_next(void);

/* The generation of the small whole sets a process keeps (the accounts
 * moderators acted on, domain/moderation.c): read the generation, then
 * the set, and read again when it moved. Moved by a change to such a
 * set after its commit (store's db_touch_generation), and by every
 * clear of everything. */
uint64_t cache_generation(void);
void cache_generation_next(void);

/* The bytes cached for key, copied into a (NUL-terminated), or NULL. */
const char *cache_get(cache *c, int64_t key, arena *a, size_t *len);
/* Append the bytes cached for key to b; false (b untouched) on a miss.
 * Saves the copy cache_get makes when the bytes go into a buffer. */
bool cache_append(cache *c, int64_t key, buf *b);
/* Store data for key unless it was invalidated since this thread's
 * cache_request_begin. c may be NULL (disabled): then nothing happens. */
void cache_put(cache *c, int64_t key, const char *data, size_t len);
/* Drop key; call after the change is committed. */
void cache_invalidate(cache *c, int64_t key);
/* Drop everything (rare, wide changes). */
void cache_clear(cache *c);
/* Lookups (cache_get, cache_append) that found their key, and those that
 * did not, since cache_init; both 0 for a disabled cache. */
void cache_stats(cache *c, uint64_t *hits, uint64_t *misses);
/* Bytes of data c holds now (0 for a disabled cache). */
size_t cache_bytes(cache *c);

#endif
