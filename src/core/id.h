/* id.h — 64-bit time-sortable identifiers.
 *
 * id = (milliseconds since the Unix epoch << 16) | sequence. Ids are sent to
 * clients as decimal strings; ordering by id orders by creation time, so
 * max_id/since_id/min_id pagination is an index range scan. */
#ifndef CHORUS_ID_H
#define CHORUS_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { ID_SEQUENCE_BITS = 16 };

/* Processes sharing one database (PostgreSQL) each take a node number
 * below 1 << ID_NODE_BITS; their ids then end in it, so no two processes
 * can mint the same id. Set once, before the first id_next. */
enum { ID_NODE_BITS = 6 };
void id_set_node(unsigned node);

/* A fresh id, strictly greater than any earlier id from this process or
 * observed, and ending in this process's node number when it has one.
 * Thread-safe. */
int64_t id_next(void);
/* Tell the generator id is taken (by this process or, read from the
 * database, another one): later id_next() values are greater. */
void id_observe(int64_t id);
/* The smallest id that could have been minted at ms (for time ranges). */
int64_t id_from_ms(int64_t ms);
/* Milliseconds since the epoch encoded in id. */
int64_t id_to_ms(int64_t id);
/* The ascending order of two ids, for qsort and bsearch. */
int id_cmp(const void *a, const void *b);
/* Reverse ids[0..n) in place (a page read oldest first, shown newest
 * first). */
void id_reverse(int64_t *ids, size_t n);
/* Parse a decimal id string; false unless s is 1–19 digits with value > 0. */
bool id_parse(const char *s, int64_t *out);

#endif
