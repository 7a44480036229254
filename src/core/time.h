/* time.h — clocks and the date formats clients parse. */
#ifndef CHORUS_TIME_H
#define CHORUS_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TIME_RFC3339_LEN = 25 }; /* "2019-12-08T03:48:33.901Z" + NUL */

/* Wall-clock milliseconds since the Unix epoch. */
int64_t time_now_ms(void);
/* Monotonic nanoseconds, for durations. */
int64_t time_mono_ns(void);
/* Format ms as RFC 3339 with milliseconds and 'Z' into out (>= 25 bytes). */
void time_format_rfc3339(int64_t ms, char out[TIME_RFC3339_LEN]);
/* Format ms as the date YYYY-MM-DD into out (>= 11 bytes). */
void time_format_date(int64_t ms, char out[11]);
/* Parse an ISO 8601 date or date-time as clients send them ("2026-12-04",
 * "2026-12-04T10:30:00.123Z", "…+01:00"; no zone means UTC) into ms
 * since the epoch. False when s is anything else. */
bool time_parse_iso8601(const char *s, int64_t *ms);

#endif
