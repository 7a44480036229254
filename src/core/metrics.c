#include "core/metrics.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

/* ---- the allow list ---- */

/* Parse one entry (NUL-terminated, trimmed) into *net; false when it is
 * not an address with an optional /prefix in range. */
static bool parse_net(const char *entry, metrics_net *net)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(entry, '/');
	size_t alen = slash ? (size_t)(slash - entry) : strlen(entry);
	if (alen == 0 || alen >= sizeof addr)
		return false;
	memcpy(addr, entry, alen);
	addr[alen] = '\0';
	memset(net, 0, sizeof *net);
	int max;
	if (inet_pton(AF_INET, addr, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else {
		return false;
	}
	net->prefix = max;
	if (slash) {
		const char *p = slash + 1;
		/* 1 to 3 digits, no leading zero: "/008" is a typo */
		if (!*p || strlen(p) > 3 || (p[0] == '0' && p[1]))
			return false;
		for (const char *q = p; *q; q++)
			if (!isdigit((unsigned char)*q))
				return false;
		net->prefix = atoi(p);
		if (net->prefix > max)
			return false;
	}
	/* clear the host bits, so matching compares whole bytes */
	for (int bit = net->prefix; bit < max; bit++)
		net->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	return true;
}

int metrics_allow_parse(const char *list, metrics_net *out, size_t max,
			char *err, size_t errlen)
{
	size_t n = 0;
	const char *p = list ? list : "";
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *start = p, *end = p + len;
		p += len + (p[len] == ',');
		while (start < end && isspace((unsigned char)*start))
			start++;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		if (end == start)
			continue; /* "a, , b" and a trailing comma */
		char entry[64];
		size_t elen = (size_t)(end - start);
		metrics_net net;
		bool ok = elen < sizeof entry;
		if (ok) {
			memcpy(entry, start, elen);
			entry[elen] = '\0';
			ok = parse_net(entry, &net);
		}
		if (!ok) {
			snprintf(err, errlen,
				 "\"%.*s\" is not an IPv4 or IPv6 network "
				 "(address/prefix)",
				 (int)(elen > 64 ? 64 : elen), start);
			return -1;
		}
		if (n == max) {
			snprintf(err, errlen, "more than %zu networks", max);
			return -1;
		}
		out[n++] = net;
	}
	return (int)n;
}

/* Whether the first prefix bits of a and b agree. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, int prefix)
{
	int whole = prefix / 8, rest = prefix % 8;
	if (memcmp(a, b, (size_t)whole))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (a[whole] & mask) == (b[whole] & mask);
}

bool metrics_allow_match(const metrics_net *nets, size_t n,
			 const struct sockaddr *sa)
{
	if (!sa)
		return false;
	uint8_t addr[16];
	int family;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		memcpy(addr, &in->sin_addr, 4);
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			memcpy(addr, in6->sin6_addr.s6_addr + 12, 4);
			family = AF_INET;
		} else {
			memcpy(addr, in6->sin6_addr.s6_addr, 16);
			family = AF_INET6;
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (nets[i].family == family &&
		    prefix_equal(addr, nets[i].addr, nets[i].prefix))
			return true;
	return false;
}
