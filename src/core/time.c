#include "core/time.h"

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
