#include "core/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0,    0,
					    0, 0, 0, 0, 0xff, 0xff};

/* ::ffff:a.b.c.d is a.b.c.d */
static void unmap(cidr_addr *a)
{
	if (a->family != AF_INET6 || memcmp(a->bytes, v4_mapped, 12))
		return;
	a->family = AF_INET;
	memmove(a->bytes, a->bytes + 12, 4);
	memset(a->bytes + 4, 0, 12);
}

bool cidr_addr_parse(const char *text, size_t len, cidr_addr *out)
{
	while (len && (*text == ' ' || *text == '\t'))
		text++, len--;
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	char buf[CIDR_ADDR_TEXT];
	if (!len || len >= sizeof buf)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, buf, out->bytes) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
		out->family = AF_INET6;
		unmap(out);
		return true;
	}
	return false;
}

bool cidr_addr_from_sockaddr(const struct sockaddr *sa, cidr_addr *out)
{
	memset(out, 0, sizeof *out);
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		out->family = AF_INET;
		memcpy(out->bytes, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;
		out->family = AF_INET6;
		memcpy(out->bytes, &in6->sin6_addr, 16);
		unmap(out);
		return true;
	}
	return false;
}

void cidr_addr_format(const cidr_addr *a, char *out)
{
	if (!inet_ntop(a->family, a->bytes, out, CIDR_ADDR_TEXT))
		strcpy(out, "?");
}

/* One entry: an address, optionally /prefix. */
static bool range_parse(const char *text, size_t len, cidr_range *out)
{
	const char *slash = memchr(text, '/', len);
	size_t alen = slash ? (size_t)(slash - text) : len;
	if (!cidr_addr_parse(text, alen, &out->addr))
		return false;
	int max = out->addr.family == AF_INET ? 32 : 128;
	out->prefix = max;
	if (!slash)
		return true;
	const char *p = slash + 1, *end = text + len;
	/* 1 to 3 digits, no leading zero: "/008" is a typo */
	if (p == end || end - p > 3 || (p[0] == '0' && end - p > 1))
		return false;
	int v = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	/* ::ffff:10.0.0.0/104 was unmapped to 10.0.0.0: its prefix too */
	if (max == 32 && memchr(text, ':', alen)) {
		if (v < 96)
			return false;
		v -= 96;
	}
	if (v > max)
		return false;
	out->prefix = v;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int cidr_list_parse(const char *text, cidr_list *out, const char **bad)
{
	out->ranges = NULL;
	out->n = 0;
	size_t cap = 0;
	for (const char *p = text; *p;) {
		/* blanks around entries, and empty entries ("a, , b") */
		if (*p == ',' || is_blank(*p)) {
			p++;
			continue;
		}
		size_t len = strcspn(p, ",");
		while (is_blank(p[len - 1]))
			len--;
		if (out->n == cap) {
			cap = cap ? 2 * cap : 4;
			cidr_range *grown =
				realloc(out->ranges, cap * sizeof *grown);
			if (!grown) {
				cidr_list_free(out);
				return -1;
			}
			out->ranges = grown;
		}
		if (!range_parse(p, len, &out->ranges[out->n])) {
			if (bad)
				*bad = p;
			cidr_list_free(out);
			return -1;
		}
		out->n++;
		p += len;
	}
	return 0;
}

void cidr_list_free(cidr_list *l)
{
	free(l->ranges);
	l->ranges = NULL;
	l->n = 0;
}

static bool range_contains(const cidr_range *r, const cidr_addr *a)
{
	if (r->addr.family != a->family)
		return false;
	int full = r->prefix / 8, rest = r->prefix % 8;
	if (memcmp(r->addr.bytes, a->bytes, (size_t)full))
		return false;
	if (!rest)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (r->addr.bytes[full] & mask) == (a->bytes[full] & mask);
}

bool cidr_list_contains(const cidr_list *l, const cidr_addr *a)
{
	if (!l)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (range_contains(&l->ranges[i], a))
			return true;
	return false;
}
