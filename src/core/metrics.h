/* metrics.h — Prometheus' text exposition format (version 0.0.4;
 * docs/monitoring.md). The addresses allowed to read it are a cidr_list
 * (core/cidr.h).
 *
 * Pure: the writers append to a buf. What is counted, and where, is each
 * module's own (http/server.c, stream/hub.c, core/cache.c, jobs/jobs.c). */
#ifndef CHORUS_METRICS_H
#define CHORUS_METRICS_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* The request duration histogram's upper bounds, in seconds, ascending:
 * 1 ms to 5 s. A duration above the last falls in +Inf only. */
enum { METRICS_DURATION_BUCKETS = 12 };
extern const double metrics_duration_bounds[METRICS_DURATION_BUCKETS];

/* The bucket of a duration of ns nanoseconds: the index of the first
 * bound it does not exceed, or METRICS_DURATION_BUCKETS (+Inf only). */
int metrics_duration_bucket(int64_t ns);

/* "# HELP name help" and "# TYPE name type" (type: counter, gauge,
 * histogram). help must be plain text (backslashes and newlines are
 * escaped anyway). */
void metrics_header(buf *b, const char *name, const char *type,
		    const char *help);

/* A label set: nlabels pairs, names[i]="values[i]". Names are the
 * caller's literals; values may hold any bytes and are escaped (\\, \",
 * \n). */
typedef struct metrics_labels {
	const char *const *names;
	const char *const *values;
	size_t n;
} metrics_labels;

/* One sample line: name{labels} value. labels may be NULL (none). */
void metrics_sample(buf *b, const char *name, const metrics_labels *labels,
		    double value);

/* A histogram's samples: name_bucket{labels,le="…"} for each bound and
 * +Inf, cumulative, then name_sum and name_count. counts holds
 * nbounds + 1 per-bucket (not cumulative) counts, the last those above
 * every bound; sum is the observed total in the bounds' unit. */
void metrics_histogram(buf *b, const char *name, const metrics_labels *labels,
		       const double *bounds, const uint64_t *counts,
		       size_t nbounds, double sum);

/* Append a label value escaped as the format wants: \ → \\, " → \",
 * newline → \n; every other byte as is. */
void metrics_label_escape(buf *b, const char *value);

#endif
