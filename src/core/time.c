#include "core/time.h"

#include <stdio.h>
#include <time.h>

int64_t time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void time_format_rfc3339(int64_t ms, char out[TIME_RFC3339_LEN])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(out, TIME_RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	unsigned millis = (unsigned)(ms % 1000);
	out[n++] = '.';
	out[n++] = (char)('0' + millis / 100);
	out[n++] = (char)('0' + millis / 10 % 10);
	out[n++] = (char)('0' + millis % 10);
	out[n++] = 'Z';
	out[n] = '\0';
}

void time_format_date(int64_t ms, char out[11])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

bool time_parse_iso8601(const char *s, int64_t *ms)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return false;
	int64_t frac_ms = 0;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p = strptime(p + 1, "%H:%M", &tm);
		if (!p)
			return false;
		if (*p == ':' && !(p = strptime(p + 1, "%S", &tm)))
			return false;
		if (*p == '.' || *p == ',') {
			int64_t scale = 100;
			for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
				frac_ms += (*p - '0') * scale;
		}
	}
	int64_t offset_s = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		unsigned hh, mm = 0;
		int used = 0;
		if (sscanf(p + 1, "%2u%n", &hh, &used) != 1 || used != 2)
			return false;
		p += 3;
		if (*p == ':')
			p++;
		if (*p && (sscanf(p, "%2u%n", &mm, &used) != 1 || used != 2))
			return false;
		if (*p)
			p += 2;
		if (hh > 23 || mm > 59)
			return false;
		offset_s = sign * (int64_t)(hh * 3600 + mm * 60);
	}
	if (*p)
		return false;
	*ms = ((int64_t)timegm(&tm) - offset_s) * 1000 + frac_ms;
	return true;
}
