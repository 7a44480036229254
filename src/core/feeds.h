/* feeds.h — the newest ids of each active account's home timeline, kept in
 * memory so a home page is a copy, not a query (Mastodon keeps the same
 * lists in Redis).
 *
 * A feed holds up to `length` status ids, newest first, and the promise
 * that it holds *every* home status between its oldest and newest id (and
 * nothing older exists when `complete`). It is filled from the database on
 * a miss (feeds_put), then kept current by the writers: after a status
 * commits, it is pushed onto the feed of each account whose home it
 * belongs in (feeds_push); a change to what an account's home contains —
 * it follows or unfollows someone — drops that feed (feeds_drop). Deleted
 * or hidden statuses may stay listed: readers check every status anyway.
 *
 * Sets of two slots, chosen by owner; a third owner evicts the set's
 * least recently used. Staleness is ruled out with the epochs of
 * core/cache.h: feeds_push and feeds_drop stamp the owner's set, and
 * feeds_put refuses a list read under an older epoch, so a fill that began
 * before a commit can never hide that commit's push. */
#ifndef CHORUS_FEEDS_H
#define CHORUS_FEEDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct feeds feeds;

extern feeds *feeds_home;

/* Create the home feeds (sets × 2 feeds of up to length ids; 0 slots
 * disables them, and feeds_home stays NULL). */
void feeds_init(size_t slots, size_t length);
void feeds_shutdown(void);
size_t feeds_length(const feeds *f);

typedef enum feeds_answer {
	FEEDS_ABSENT,  /* owner's feed is not in memory: fill it */
	FEEDS_OUTSIDE, /* cached, but the page reaches past it: query */
	FEEDS_HIT,     /* out holds the exact page */
} feeds_answer;

/* The page of owner's feed with ids in (lo, hi): the limit newest when
 * !asc, the limit oldest when asc; written newest first either way. */
feeds_answer feeds_page(feeds *f, int64_t owner, int64_t lo, int64_t hi,
			bool asc, size_t limit, int64_t *out, size_t *n);
/* Install owner's feed (ids newest first, n ≤ length), read from a
 * snapshot taken after this thread's cache_request_begin; complete when
 * nothing older exists. False when a writer touched it since. */
bool feeds_put(feeds *f, int64_t owner, const int64_t *ids, size_t n,
	       bool complete);
/* After a commit: id now belongs in owner's feed. */
void feeds_push(feeds *f, int64_t owner, int64_t id);
/* After a commit: owner's feed changed beyond pushes. */
void feeds_drop(feeds *f, int64_t owner);
/* The same for a write whose commit took epoch at (cache_epoch_next,
 * taken under the write lock just before COMMIT, so commits and their
 * epochs have one order): a push that lands after a later-committed drop
 * of its owner drops the feed instead of listing a post the drop's refill
 * rightly left out. */
void feeds_push_at(feeds *f, int64_t owner, int64_t id, uint64_t at);
void feeds_drop_at(feeds *f, int64_t owner, uint64_t at);
/* Forget every feed. */
void feeds_clear(feeds *f);

/* How many feeds f holds at most. */
size_t feeds_capacity(const feeds *f);
/* The owners whose feeds are held now (at most feeds_capacity), sorted:
 * for a writer whose status belongs in more homes than f can hold, who
 * asks which of these it belongs in instead of listing them all. */
size_t feeds_owners(feeds *f, int64_t *out, size_t max);
/* After that writer's commit at epoch at: id belongs in the feeds of in
 * and in no other feed of asked (both sorted, as feeds_owners wrote
 * asked). A feed of an owner not asked about was filled since, perhaps
 * before the commit: it goes. Every set is stamped, as by a push. */
void feeds_push_asked_at(feeds *f, int64_t id, const int64_t *asked,
			 size_t nasked, const int64_t *in, size_t nin,
			 uint64_t at);

#endif
