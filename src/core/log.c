#include "core/log.h"

#include "core/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int log_quiet;

void log_set_quiet(int quiet)
{
	log_quiet = quiet;
}

size_t log_escape(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;
	if (cap == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		bool plain = *p >= 0x20 && *p != 0x7f && *p != '\\';
		size_t need = plain ? 1 : *p == '\\' ? 2 : 4;
		if (j + need >= cap)
			break;
		if (plain) {
			out[j++] = (char)*p;
		} else if (*p == '\\') {
			out[j++] = '\\';
			out[j++] = '\\';
		} else {
			out[j++] = '\\';
			out[j++] = 'x';
			out[j++] = hex[*p >> 4];
			out[j++] = hex[*p & 15];
		}
	}
	out[j] = '\0';
	return j;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char when[TIME_RFC3339_LEN];
	char msg[2048];
	/* every byte a client chose (a path, a header) passes through here:
	 * escaped, no message can begin a line of its own */
	char safe[4 * sizeof msg];
	time_format_rfc3339(time_now_ms(), when);
	vsnprintf(msg, sizeof msg, fmt, ap);
	log_escape(msg, safe, sizeof safe);
	/* one fprintf per line so concurrent workers never interleave */
	fprintf(stderr, "%s %s %s\n", when, level, safe);
}

void log_info(const char *fmt, ...)
{
	if (log_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_line("info", fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("error", fmt, ap);
	va_end(ap);
}

void log_error_v(const char *fmt, va_list ap)
{
	log_line("error", fmt, ap);
}
