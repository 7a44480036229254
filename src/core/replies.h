/* replies.h — whole answers kept and served again without being made.
 *
 * An anonymous GET of a public page or API answer gets the same bytes as
 * the one before it: they depend only on the request (the caller's key:
 * path, query, language) and on the data. An entry is valid while the
 * data it was read from is: no cached rendering was invalidated since
 * (core/cache.h's epoch: edits, favourites, profile and relation changes)
 * and no event was published (replies_changed: posts, deletions), and for
 * at most max_age seconds, since relative times and trends age on their
 * own. A request's stamps are taken before its read snapshot
 * (replies_begin, then store_read_begin), so an answer read from data
 * older than a change is never kept past it. With several processes the
 * others' changes arrive the same way (store/peers.c) and end the entries
 * here when they are applied.
 *
 * Direct-mapped by a hash of the key, bounded by a slot count and a byte
 * budget; thread-safe. */
#ifndef CHORUS_REPLIES_H
#define CHORUS_REPLIES_H

#include "core/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One answer: a status, a body, optionally the same body in a second
 * encoding (gzip), and a few headers. */
typedef struct kept_reply {
	int status;
	const char *type; /* its content type; NULL: the caller's own */
	const char *body;
	size_t len;
	const char *alt; /* NULL: none */
	size_t altlen;
	const char *const *headers; /* names and values, alternating */
	size_t nheaders;	    /* pairs */
} kept_reply;

/* Keep up to slots answers in budget bytes, each at most max_age_s
 * seconds; 0 slots disables. Call once before serving. */
void replies_init(size_t slots, size_t budget, int max_age_s);
void replies_shutdown(void);
/* Whether answers are kept at all (slots configured). */
bool replies_enabled(void);

/* Note on this thread what the data is now; call before the request's
 * read snapshot (the cache epoch is core/cache.h's, taken by
 * cache_request_begin when the snapshot is begun). */
void replies_begin(void);
/* The data changed in a way no cache epoch records (an event published):
 * every kept answer ends. */
void replies_changed(void);

/* The answer kept for key, still valid for this thread's stamps, copied
 * into a (bodies NUL-terminated; want_alt: the alternative body instead
 * of the plain one when there is one, then out->alt is set and out->body
 * is not); false on a miss or a NULL key. */
bool replies_get(const char *key, arena *a, bool want_alt, kept_reply *out);
/* Keep r under key, stamped with this thread's stamps. Bodies over an
 * eighth of the budget, and a NULL key, are not kept. */
void replies_put(const char *key, const kept_reply *r);
/* Lookups that found a valid answer, those that did not, and the bytes
 * held now. */
void replies_stats(uint64_t *hits, uint64_t *misses, size_t *bytes);

#endif
