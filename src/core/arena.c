#include "core/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Blocks grow geometrically so a large response costs few mallocs; a single
 * allocation larger than a block gets a block of its own. */
enum { ARENA_FIRST_BLOCK = 8192, ARENA_ALIGN = 16 };

struct arena_block {
	arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

void arena_init(arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void arena_release(arena *a)
{
	arena_block *b = a->head;
	while (b) {
		arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}

void *arena_alloc(arena *a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	arena_block *b = a->head;
	if (!b || b->size - b->used < need) {
		size_t size = b ? b->size * 2 : ARENA_FIRST_BLOCK;
		if (size > (1u << 20))
			size = 1u << 20;
		if (size < need)
			size = need;
		b = malloc(sizeof(*b) + size);
		if (!b) {
			fputs("chorus: out of memory\n", stderr);
			abort();
		}
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->total += need;
	memset(p, 0, n);
	return p;
}

static size_t arena_aligned(size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	return need ? need : ARENA_ALIGN;
}

void *arena_realloc(arena *a, void *p, size_t old_n, size_t new_n)
{
	size_t old_need = arena_aligned(old_n);
	for (arena_block **link = &a->head; *link; link = &(*link)->next) {
		arena_block *b = *link;
		if ((void *)b->data != p)
			continue;
		if (b->used != old_need)
			break; /* shares its block: copy */
		size_t need = arena_aligned(new_n);
		if (need <= b->size) {
			b->used = need;
			a->total += need - old_need;
			return p;
		}
		arena_block *grown = realloc(b, sizeof(*b) + need);
		if (!grown) {
			fputs("chorus: out of memory\n", stderr);
			abort();
		}
		grown->size = grown->used = need;
		*link = grown;
		a->total += need - old_need;
		return grown->data;
	}
	void *q = arena_alloc(a, new_n);
	memcpy(q, p, old_n < new_n ? old_n : new_n);
	return q;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return arena_strdup(a, "");
	char *p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}
