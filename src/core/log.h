/* log.h — one line per event on stderr, with a UTC timestamp and level.
 * Control characters and backslashes in a message are written escaped
 * (\x0a, \\), so no text a client sent can forge a line. */
#ifndef CHORUS_LOG_H
#define CHORUS_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_error with a va_list (libraries' log callbacks). */
void log_error_v(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
/* Suppress info lines (errors still print); used by tests and benchmarks. */
void log_set_quiet(int quiet);
/* Copy in to out (cap bytes, NUL included) with bytes below 0x20, 0x7f and
 * '\' escaped as \xNN and \\; cut at a whole escape when out is full.
 * Returns the length written. */
size_t log_escape(const char *in, char *out, size_t cap);

#endif
