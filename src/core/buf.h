/* buf.h — growable byte string whose memory lives in an arena.
 *
 * A buf is always NUL-terminated after its len bytes, so buf.data can be
 * used as a C string once the content has no embedded NULs. Growth copies
 * into a larger arena block; the old block is reclaimed with the arena. */
#ifndef CHORUS_BUF_H
#define CHORUS_BUF_H

#include "core/arena.h"

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
	arena *arena;
	char *data;
	size_t len, cap;
} buf;

/* Start an empty buffer drawing from arena a. */
void buf_init(buf *b, arena *a);
void buf_append(buf *b, const void *data, size_t n);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append v in decimal (what "%lld" writes, without printf's cost: ids
 * written by the hundred). */
void buf_put_int(buf *b, int64_t v);
/* Append s with &, <, >, " and ' replaced by HTML entities, and a NUL
 * byte by U+FFFD (it would end the text early). */
void buf_put_html_escaped(buf *b, const char *s, size_t n);

#endif
