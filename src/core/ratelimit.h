/* ratelimit.h — requests counted per key in fixed windows, for the rate
 * limits (Mastodon's shape: so many a period, the window opened by the
 * first request), and failures counted per key for a lockout that backs
 * off exponentially.
 *
 * In memory, per process: a restart forgets, and behind one proxy each
 * of several processes counts its own (docs/operations.md). Keys are
 * hashed with SipHash under a key drawn at start, so nobody can aim
 * many keys at one slot. The table is fixed (RATELIMIT_SLOTS); when the
 * slots a key may take are all held, the one whose window is oldest is
 * taken over, which can only forget a count, never raise another. Every
 * call is a few hundred nanoseconds under a lock of its shard. */
#ifndef CHORUS_RATELIMIT_H
#define CHORUS_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { RATELIMIT_SLOTS = 1 << 17 };

typedef struct ratelimit_rule {
	long limit; /* 0: no limit */
	int64_t period_ms;
} ratelimit_rule;

typedef struct ratelimit_state {
	long limit, remaining;
	int64_t reset_ms; /* when the window ends */
} ratelimit_state;

/* Draw the hashing key (libsodium must be initialised). */
void ratelimit_init(void);
/* Count one request of key (len bytes) in bucket (a small number naming
 * the limit) at now: true when it is within rule's limit. *out says
 * where the window stands, for the X-RateLimit headers; a request over
 * the limit is not counted. */
bool ratelimit_hit(int bucket, const void *key, size_t len,
		   const ratelimit_rule *rule, int64_t now,
		   ratelimit_state *out);
/* The lockout: ms until key may try again after its failures (0: it may
 * now). After `free` failures each further one doubles the wait from
 * one second, up to max_ms; failures older than a day are forgotten. */
int64_t ratelimit_locked(int bucket, const void *key, size_t len, long free,
			 int64_t max_ms, int64_t now);
void ratelimit_fail(int bucket, const void *key, size_t len, int64_t now);
/* A success: key's failures forgotten. */
void ratelimit_clear(int bucket, const void *key, size_t len);
/* Forget every count (tests). */
void ratelimit_reset(void);

#endif
