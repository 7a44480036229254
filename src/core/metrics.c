#include "core/metrics.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double metrics_duration_bounds[METRICS_DURATION_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

int metrics_duration_bucket(int64_t ns)
{
	double s = (double)ns / 1e9;
	int i = 0;
	while (i < METRICS_DURATION_BUCKETS && s > metrics_duration_bounds[i])
		i++;
	return i;
}

/* A value as the format spells it: +Inf, -Inf, NaN, else the shortest
 * decimal that reads back as the same double. */
static void put_value(buf *b, double v)
{
	if (isnan(v)) {
		buf_puts(b, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	char s[32];
	snprintf(s, sizeof s, "%.15g", v);
	if (strtod(s, NULL) != v)
		snprintf(s, sizeof s, "%.17g", v);
	buf_puts(b, s);
}

/* HELP text escapes backslash and newline only. */
static void put_help(buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
}

void metrics_header(buf *b, const char *name, const char *type,
		    const char *help)
{
	buf_printf(b, "# HELP %s ", name);
	put_help(b, help);
	buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

void metrics_label_escape(buf *b, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			buf_puts(b, "\\\\");
		else if (*p == '"')
			buf_puts(b, "\\\"");
		else if (*p == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *p);
	}
}

/* {a="x",b="y"} with an optional extra label (the histogram's le); nothing
 * when there are no labels at all. */
static void put_labels(buf *b, const metrics_labels *labels,
		       const char *extra_name, const char *extra_value)
{
	size_t n = labels ? labels->n : 0;
	if (n == 0 && !extra_name)
		return;
	buf_putc(b, '{');
	for (size_t i = 0; i < n; i++) {
		buf_printf(b, "%s%s=\"", i ? "," : "", labels->names[i]);
		metrics_label_escape(b, labels->values[i]);
		buf_putc(b, '"');
	}
	if (extra_name) {
		buf_printf(b, "%s%s=\"", n ? "," : "", extra_name);
		metrics_label_escape(b, extra_value);
		buf_putc(b, '"');
	}
	buf_putc(b, '}');
}

void metrics_sample(buf *b, const char *name, const metrics_labels *labels,
		    double value)
{
	buf_puts(b, name);
	put_labels(b, labels, NULL, NULL);
	buf_putc(b, ' ');
	put_value(b, value);
	buf_putc(b, '\n');
}

void metrics_histogram(buf *b, const char *name, const metrics_labels *labels,
		       const double *bounds, const uint64_t *counts,
		       size_t nbounds, double sum)
{
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= nbounds; i++) {
		cumulative += counts[i];
		buf_printf(b, "%s_bucket", name);
		buf t;
		buf_init(&t, b->arena);
		put_value(&t, i < nbounds ? bounds[i] : INFINITY);
		put_labels(b, labels, "le", t.data);
		buf_putc(b, ' ');
		buf_put_int(b, (int64_t)cumulative);
		buf_putc(b, '\n');
	}
	buf_printf(b, "%s_sum", name);
	put_labels(b, labels, NULL, NULL);
	buf_putc(b, ' ');
	put_value(b, sum);
	buf_printf(b, "\n%s_count", name);
	put_labels(b, labels, NULL, NULL);
	buf_putc(b, ' ');
	buf_put_int(b, (int64_t)cumulative);
	buf_putc(b, '\n');
}
