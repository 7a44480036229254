#include "core/log.h"

#include "core/time.h"

#include <stdarg.h>
#include <stdio.h>

static int log_quiet;

void log_set_quiet(int quiet)
{
	log_quiet = quiet;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char when[TIME_RFC3339_LEN];
	char msg[2048];
	time_format_rfc3339(time_now_ms(), when);
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* one fprintf per line so concurrent workers never interleave */
	fprintf(stderr, "%s %s %s\n", when, level, msg);
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
