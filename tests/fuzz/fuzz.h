/* fuzz.h — what the libFuzzer targets in tests/fuzz/ share: a check that
 * aborts (libFuzzer keeps the input that made it), cutting an input into
 * the pieces a target needs, and a reader of the HTML chorus writes that
 * says whether it holds any tag or attribute it should not.
 *
 * Header-only: each target is one program (make fuzz). */
#ifndef CHORUS_FUZZ_H
#define CHORUS_FUZZ_H

#include "core/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: when it does not hold, say which and abort, so libFuzzer
 * reports the input as a crash. */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/* An input read piece by piece: a cursor over its bytes. */
typedef struct fuzz_input {
	const uint8_t *p;
	size_t n;
} fuzz_input;

/* The next byte (0 when none is left). */
static inline uint8_t fuzz_byte(fuzz_input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* The bytes up to the next sep (or the end), NUL-terminated in a, *len
 * set; the separator is consumed. The piece may hold NUL bytes. */
static inline char *fuzz_piece(arena *a, fuzz_input *in, char sep, size_t *len)
{
	const uint8_t *end = memchr(in->p, sep, in->n);
	size_t k = end ? (size_t)(end - in->p) : in->n;
	char *s = arena_strndup(a, (const char *)in->p, k);
	*len = k;
	in->p += k + (end != NULL);
	in->n -= k + (end != NULL);
	return s;
}

/* What is left, NUL-terminated in a, *len set. */
static inline char *fuzz_rest(arena *a, fuzz_input *in, size_t *len)
{
	char *s = arena_alloc(a, in->n + 1);
	memcpy(s, in->p, in->n);
	*len = in->n;
	in->p += in->n;
	in->n = 0;
	return s;
}

static inline bool fuzz_word_in(const char *s, size_t n,
				const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && !memcmp(s, *words, n))
			return true;
	return false;
}

/* Whether html, as chorus writes it, holds only tags named in tags
 * (their end tags too) with only the attributes named in attrs, each
 * written name="value" with no '<' or '"' inside its value, and no '>'
 * outside a tag: what escaping user text everywhere guarantees. The
 * lists end with NULL. */
static inline bool fuzz_html_only(const char *html, const char *const *tags,
				  const char *const *attrs)
{
	const char *p = html;
	while (*p) {
		if (*p == '>')
			return false;
		if (*p != '<') {
			p++;
			continue;
		}
		p++;
		bool end = *p == '/';
		p += end;
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (!fuzz_word_in(p, n, tags))
			return false;
		p += n;
		for (;;) {
			if (*p == '>' || (!end && p[0] == '/' && p[1] == '>'))
				break;
			if (end || *p != ' ')
				return false;
			p++;
			if (p[0] == '/' && p[1] == '>')
				break; /* <br /> */
			n = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
			if (!fuzz_word_in(p, n, attrs))
				return false;
			p += n;
			if (*p != '=')
				continue; /* a bare attribute (reversed) */
			if (p[1] != '"')
				return false;
			p += 2;
			size_t v = strcspn(p, "\"<>");
			if (p[v] != '"')
				return false;
			p += v + 1;
		}
		p += *p == '/' ? 2 : 1;
	}
	return true;
}

#endif
