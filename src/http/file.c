/* file.c — files from disk as responses: conditional requests, byte ranges,
 * bodies sent with sendfile.
 *
 * Media players seek with Range and browsers revalidate with If-None-Match,
 * so both are answered here without ever reading the file in user space:
 * the response names the fd, an offset and a length, and libmicrohttpd
 * hands them to sendfile. */
#include "http/http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	/* "Sun, 06 Nov 1994 08:49:37 GMT" + NUL is 30; the rest quiets
	 * -Wformat-truncation about years of 11 digits */
	HTTP_DATE_LEN = 80,
	FILE_MAX_RANGES = 16,
};

/* ---- Range ------------------------------------------------------------ */

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Digits at *p into *v, saturating; false when there are none. */
static bool parse_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
	}
	*p = s;
	*v = n;
	return true;
}

typedef enum spec_result {
	SPEC_INVALID,
	SPEC_UNSATISFIABLE,
	SPEC_OK,
} spec_result;

/* One range-spec at *p: "a-b", "a-" or "-n"; *p moved past it. */
static spec_result parse_spec(const char **p, uint64_t size, http_range *out)
{
	uint64_t first = 0, last = 0;
	const char *s = skip_ows(*p);
	if (*s == '-') {
		s++;
		if (!parse_u64(&s, &last))
			return SPEC_INVALID;
		*p = s;
		if (last == 0)
			return SPEC_UNSATISFIABLE;
		out->first = last >= size ? 0 : size - last;
		out->last = size - 1;
		return SPEC_OK;
	}
	if (!parse_u64(&s, &first))
		return SPEC_INVALID;
	s = skip_ows(s);
	if (*s++ != '-')
		return SPEC_INVALID;
	s = skip_ows(s);
	bool has_last = parse_u64(&s, &last);
	*p = s;
	if (has_last && last < first)
		return SPEC_INVALID;
	if (first >= size)
		return SPEC_UNSATISFIABLE;
	out->first = first;
	out->last = has_last && last < size ? last : size - 1;
	return SPEC_OK;
}

static int range_cmp(const void *a, const void *b)
{
	const http_range *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Sort and merge overlapping or adjacent ranges; returns the new count. */
static size_t coalesce(http_range *r, size_t n)
{
	if (n < 2)
		return n;
	qsort(r, n, sizeof *r, range_cmp);
	size_t j = 0;
	for (size_t i = 1; i < n; i++) {
		if (r[i].first <= r[j].last + 1) {
			if (r[i].last > r[j].last)
				r[j].last = r[i].last;
		} else {
			r[++j] = r[i];
		}
	}
	return j + 1;
}

http_range_result http_range_parse(const char *header, uint64_t size,
				   http_range *out, size_t max, size_t *n)
{
	*n = 0;
	if (!header || size == 0)
		return HTTP_RANGE_IGNORE;
	const char *p = skip_ows(header);
	if (strncasecmp(p, "bytes", 5))
		return HTTP_RANGE_IGNORE;
	p = skip_ows(p + 5);
	if (*p++ != '=')
		return HTTP_RANGE_IGNORE;
	size_t specs = 0, ok = 0;
	for (;;) {
		p = skip_ows(p);
		if (*p == ',') { /* empty list elements are allowed */
			p++;
			continue;
		}
		if (!*p)
			break;
		http_range r;
		spec_result s = parse_spec(&p, size, &r);
		if (s == SPEC_INVALID || ++specs > max)
			return HTTP_RANGE_IGNORE;
		if (s == SPEC_OK)
			out[ok++] = r;
		p = skip_ows(p);
		if (*p && *p != ',')
			return HTTP_RANGE_IGNORE;
	}
	if (specs == 0)
		return HTTP_RANGE_IGNORE;
	if (ok == 0)
		return HTTP_RANGE_UNSATISFIABLE;
	*n = coalesce(out, ok);
	return HTTP_RANGE_SATISFIABLE;
}

/* ---- dates and validators --------------------------------------------- */

static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
				"Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* IMF-fixdate, whatever the locale. */
static void format_http_date(time_t t, char out[HTTP_DATE_LEN])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, HTTP_DATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Parse an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); false for
 * anything else, including the obsolete formats. */
static bool parse_http_date(const char *s, time_t *out)
{
	char day[4], mon[4];
	int mday, year, hh, mm, ss, used = 0;
	if (sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d GMT%n", day, &mday, mon,
		   &year, &hh, &mm, &ss, &used) != 7 ||
	    !used || s[used] != '\0' || strlen(day) != 3)
		return false;
	int month = -1;
	for (int i = 0; i < 12; i++)
		if (!strcmp(mon, months[i]))
			month = i;
	if (month < 0 || mday < 1 || mday > 31 || hh > 23 || mm > 59 || ss > 60)
		return false;
	struct tm tm = {.tm_year = year - 1900,
			.tm_mon = month,
			.tm_mday = mday,
			.tm_hour = hh,
			.tm_min = mm,
			.tm_sec = ss};
	*out = timegm(&tm);
	return true;
}

bool http_etag_listed(const char *list, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = list;
	for (;;) {
		p = skip_ows(p);
		if (!*p)
			return false;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (*p == '"' && !strncmp(p + 1, etag, elen) &&
		    p[1 + elen] == '"')
			return true;
		p = strchr(p, ',');
		if (!p)
			return false;
		p++;
	}
}

/* 304 when the client's copy is current: If-None-Match, or, without it,
 * If-Modified-Since. */
static bool not_modified(http_req *r, const char *etag, time_t mtime)
{
	const char *inm = http_header_get(r, "If-None-Match");
	if (inm)
		return etag && http_etag_listed(inm, etag);
	const char *ims = http_header_get(r, "If-Modified-Since");
	time_t since;
	return ims && parse_http_date(ims, &since) && mtime <= since;
}

/* If-Range: the Range applies only to the representation the client
 * already holds part of: its strong ETag, or its exact Last-Modified. */
static bool if_range_holds(http_req *r, const char *etag, time_t mtime)
{
	const char *ir = http_header_get(r, "If-Range");
	if (!ir)
		return true;
	ir = skip_ows(ir);
	if (*ir == '"' || !strncmp(ir, "W/", 2)) {
		size_t elen = etag ? strlen(etag) : 0;
		return etag && *ir == '"' && !strncmp(ir + 1, etag, elen) &&
		       ir[1 + elen] == '"' && *skip_ows(ir + 2 + elen) == '\0';
	}
	time_t date;
	return parse_http_date(ir, &date) && date == mtime;
}

/* ---- the reply -------------------------------------------------------- */

static void set_file_body(http_req *r, int status, const char *type, int fd,
			  uint64_t offset, uint64_t len)
{
	http_reply_raw(r, status, type, "", 0);
	r->resp_fd = fd;
	r->resp_offset = offset;
	r->resp_len = (size_t)len;
}

void http_reply_file(http_req *r, const char *path, const char *content_type,
		     const char *etag, const char *cache_control)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		http_reply_error(r, 404, "Not found");
		return;
	}
	uint64_t size = (uint64_t)st.st_size;
	char *modified = arena_alloc(&r->arena, HTTP_DATE_LEN);
	format_http_date(st.st_mtime, modified);
	/* validators go out on 200, 206 and 304 alike */
	if (etag)
		http_set_header(r, "ETag",
				arena_printf(&r->arena, "\"%s\"", etag));
	if (cache_control)
		http_set_header(r, "Cache-Control", cache_control);
	http_set_header(r, "Last-Modified", modified);
	http_set_header(r, "Accept-Ranges", "bytes");
	/* media is public; web clients may read it from script (canvas,
	 * fetch). API paths get their CORS headers from the server. */
	if (!http_path_wants_cors(r->path))
		http_set_header(r, "Access-Control-Allow-Origin", "*");
	if (not_modified(r, etag, st.st_mtime)) {
		/* with the file as its body, libmicrohttpd gives the 304 the
		 * 200's Content-Length (RFC 9110 §8.6 forbids any other) and
		 * sends no body, as for HEAD */
		set_file_body(r, 304, content_type, fd, 0, size);
		return;
	}
	http_range ranges[FILE_MAX_RANGES];
	size_t n = 0;
	http_range_result rr =
		if_range_holds(r, etag, st.st_mtime)
			? http_range_parse(http_header_get(r, "Range"), size,
					   ranges, FILE_MAX_RANGES, &n)
			: HTTP_RANGE_IGNORE;
	if (rr == HTTP_RANGE_UNSATISFIABLE) {
		close(fd);
		http_set_header(r, "Content-Range",
				arena_printf(&r->arena, "bytes */%llu",
					     (unsigned long long)size));
		http_reply_error(r, 416, "Range not satisfiable");
		return;
	}
	if (rr == HTTP_RANGE_SATISFIABLE && n == 1) {
		http_set_header(
			r, "Content-Range",
			arena_printf(&r->arena, "bytes %llu-%llu/%llu",
				     (unsigned long long)ranges[0].first,
				     (unsigned long long)ranges[0].last,
				     (unsigned long long)size));
		set_file_body(r, 206, content_type, fd, ranges[0].first,
			      ranges[0].last - ranges[0].first + 1);
		return;
	}
	/* no Range, or several disjoint ones: the whole file */
	set_file_body(r, 200, content_type, fd, 0, size);
}
