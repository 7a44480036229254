/* arena.h — request-scoped bump allocator.
 *
 * Everything a request handler allocates comes from its arena and is released
 * at once when the response has been sent. Allocation never fails silently:
 * on out-of-memory the process aborts, as malloc failure is not recoverable
 * in a server thread half-way through a response. */
#ifndef CHORUS_ARENA_H
#define CHORUS_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct arena {
	arena_block *head;
	size_t total; /* bytes handed out, for diagnostics */
} arena;

/* Initialise an empty arena; no memory is taken until the first alloc. */
void arena_init(arena *a);
/* Release every block; the arena may be reused after arena_init. */
void arena_release(arena *a);
/* Zeroed memory of n bytes, aligned for any scalar; owned by the arena. */
void *arena_alloc(arena *a, size_t n);
/* Grow p, the latest arena_alloc/arena_realloc of old_n bytes, to new_n
 * bytes, keeping its contents (bytes past old_n are not zeroed). When p
 * fills a block of its own (any allocation past the block size does) the
 * block is resized in place, so growing a large buffer wastes nothing;
 * otherwise the bytes are copied to a new allocation and the old one stays
 * until the arena is released. */
void *arena_realloc(arena *a, void *p, size_t old_n, size_t new_n);
/* Copy of s (or of its first n bytes), NUL-terminated; owned by the arena. */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
/* printf into arena memory. */
char *arena_printf(arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena *a, const char *fmt, va_list ap);

#endif
