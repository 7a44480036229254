/* log.h — one line per event on stderr, with a UTC timestamp and level.
 * Control characters and backslashes in a message are written escaped
 * (\x0a, \\), so no text a client sent can forge a line.
 *
 * In the JSON format ([log] format = json) each line is instead one JSON
 * object: {"time", "level", "message"}, and for the access log "method",
 * "path", "status", "duration_ms" and "client" as fields of their own.
 * Every string is valid JSON whatever bytes it came from. */
#ifndef CHORUS_LOG_H
#define CHORUS_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Suppress info lines (errors still print); used by tests and benchmarks. */
void log_set_quiet(int quiet);
/* Write JSON lines (true) or text lines (false, the default). Set once
 * at start, before other threads log. */
void log_set_json(bool json);
bool log_json_enabled(void);
/* The access log's line for one request (an info line): the client's
 * address (may be NULL; first on a text line), method, path, status, the
 * time it took in milliseconds and a note (" (aborted)", or ""; may be
 * NULL). */
void log_access(const char *method, const char *path, int status,
		double duration_ms, const char *client, const char *note);
/* Copy in to out (cap bytes, NUL included) with bytes below 0x20, 0x7f and
 * '\' escaped as \xNN and \\; cut at a whole escape when out is full.
 * Returns the length written. */
size_t log_escape(const char *in, char *out, size_t cap);
/* Copy in to out (cap bytes, NUL included) as the inside of a JSON string:
 * ", \ and bytes below 0x20 escaped, valid UTF-8 kept, every byte of an
 * invalid sequence written as \ufffd; cut at a whole character or escape
 * when out is full. Returns the length written. */
size_t log_json_escape(const char *in, char *out, size_t cap);

#endif
