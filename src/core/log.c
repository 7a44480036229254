#include "core/log.h"

#include "core/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int log_quiet;
static bool log_json;

void log_set_quiet(int quiet)
{
	log_quiet = quiet;
}

void log_set_json(bool json)
{
	log_json = json;
}

bool log_json_enabled(void)
{
	return log_json;
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

/* The length of the valid UTF-8 sequence at p (1..4), or 0 when the
 * bytes there are not one (overlong, surrogate, past U+10FFFF, cut). */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

size_t log_json_escape(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;
	if (cap == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)in; *p;) {
		char esc[8];
		const char *piece = esc;
		size_t need, used;
		size_t seq = utf8_len(p);
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			need = 2;
			used = 1;
		} else if (*p < 0x20 || *p == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			need = 6;
			used = 1;
		} else if (seq == 0) {
			memcpy(esc, "\\ufffd", 6);
			need = 6;
			used = 1;
		} else {
			piece = (const char *)p;
			need = used = seq;
		}
		if (j + need >= cap)
			break;
		memcpy(out + j, piece, need);
		j += need;
		p += used;
	}
	out[j] = '\0';
	return j;
}

/* One JSON line: time, level, message, then fields (already JSON text:
 * ,"key":value… or ""). */
static void log_json_line(const char *when, const char *level, const char *msg,
			  const char *fields)
{
	char safe[6 * 2048];
	log_json_escape(msg, safe, sizeof safe);
	fprintf(stderr,
		"{\"time\":\"%s\",\"level\":\"%s\",\"message\":\"%s\"%s}\n",
		when, level, safe, fields);
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
	if (log_json) {
		log_json_line(when, level, msg, "");
		return;
	}
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

/* The access line as JSON: the message says it all for a reader, the
 * fields say it again for a machine. */
static void log_access_json(const char *method, const char *path, int status,
			    double duration_ms, const char *client,
			    const char *note)
{
	char when[TIME_RFC3339_LEN];
	char msg[2048];
	char m[64], pth[6 * 1024], addr[6 * 64];
	char fields[sizeof m + sizeof pth + sizeof addr + 128];
	time_format_rfc3339(time_now_ms(), when);
	snprintf(msg, sizeof msg, "%s %s %d %.2fms%s", method, path, status,
		 duration_ms, note);
	log_json_escape(method, m, sizeof m);
	log_json_escape(path, pth, sizeof pth);
	log_json_escape(client, addr, sizeof addr);
	snprintf(fields, sizeof fields,
		 ",\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,"
		 "\"duration_ms\":%.3f,\"client\":\"%s\"%s",
		 m, pth, status, duration_ms, addr,
		 *note ? ",\"aborted\":true" : "");
	log_json_line(when, "info", msg, fields);
}

void log_access(const char *method, const char *path, int status,
		double duration_ms, const char *client, const char *note)
{
	if (log_quiet)
		return;
	client = client ? client : "";
	note = note ? note : "";
	if (log_json) {
		log_access_json(method, path, status, duration_ms, client,
				note);
		return;
	}
	if (*client)
		log_info("%s %s %s %d %.2fms%s", client, method, path, status,
			 duration_ms, note);
	else
		log_info("%s %s %d %.2fms%s", method, path, status, duration_ms,
			 note);
}
