#include "core/id.h"

#include "core/time.h"

#include <stdatomic.h>
#include <stdlib.h>

static _Atomic int64_t id_last;
/* The low bits every id of this process ends in, and the step between
 * its ids within one millisecond (1 on a database of its own). */
static int64_t id_node, id_step = 1;

void id_set_node(unsigned node)
{
	id_step = (int64_t)1 << ID_NODE_BITS;
	id_node = node & (id_step - 1);
}

/* The smallest id above x that ends in this process's node. */
static int64_t id_after(int64_t x)
{
	int64_t y = (x & ~(id_step - 1)) | id_node;
	return y > x ? y : y + id_step;
}

int64_t id_next(void)
{
	int64_t candidate = id_from_ms(time_now_ms()) | id_node;
	int64_t last = atomic_load(&id_last);
	for (;;) {
		int64_t next = candidate > last ? candidate : id_after(last);
		if (atomic_compare_exchange_weak(&id_last, &last, next))
			return next;
	}
}

void id_observe(int64_t id)
{
	int64_t last = atomic_load(&id_last);
	while (last < id && !atomic_compare_exchange_weak(&id_last, &last, id))
		;
}

int64_t id_from_ms(int64_t ms)
{
	return ms << ID_SEQUENCE_BITS;
}

int64_t id_to_ms(int64_t id)
{
	return id >> ID_SEQUENCE_BITS;
}

bool id_parse(const char *s, int64_t *out)
{
	enum { ID_MAX_DIGITS = 19 };
	if (!s || !*s)
		return false;
	int64_t v = 0;
	int digits = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || ++digits > ID_MAX_DIGITS)
			return false;
		int d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v <= 0)
		return false;
	*out = v;
	return true;
}

int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void id_reverse(int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		int64_t t = ids[i];
		ids[i] = ids[n - 1 - i];
		ids[n - 1 - i] = t;
	}
}
