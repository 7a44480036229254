/* gzip.c — pages and assets compressed for the browsers that ask. A
 * thread page is mostly repeated markup and compresses about sevenfold,
 * which is most of what a phone on a slow network waits for. */
#include "web/web.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Speed over the last percent: a cold page is compressed per request. */
enum { GZIP_LEVEL = 4, GZIP_WINDOW = 15 + 16 /* + 16: gzip framing */ };

bool web_gzip(arena *a, const char *in, size_t n, char **out, size_t *outn)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, GZIP_WINDOW, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	uLong cap = deflateBound(&z, (uLong)n);
	char *dst = arena_alloc(a, cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)dst;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*outn = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
		return false;
	*out = dst;
	return true;
}

bool web_accepts_gzip(http_req *r)
{
	const char *ae = http_header_get(r, "Accept-Encoding");
	const char *g = ae ? strstr(ae, "gzip") : NULL;
	if (!g)
		return false;
	/* "gzip;q=0" refuses it */
	const char *q = g + 4 + strspn(g + 4, " ");
	if (*q != ';')
		return true;
	q++;
	q += strspn(q, " ");
	return strncmp(q, "q=", 2) || strtod(q + 2, NULL) > 0;
}
