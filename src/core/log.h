/* log.h — one line per event on stderr, with a UTC timestamp and level. */
#ifndef CHORUS_LOG_H
#define CHORUS_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Suppress info lines (errors still print); used by tests and benchmarks. */
void log_set_quiet(int quiet);

#endif
