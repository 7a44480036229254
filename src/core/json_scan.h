/* json_scan.h — check a JSON text without building it, and find a few of
 * its top-level members where they lie. The inbox takes thousands of
 * activities a second and needs three strings of each (its id, type and
 * actor) before keeping it; the job that acts on it parses it, once.
 * Parsing it in full at the door too was a twentieth of the server's
 * work under a flood of deliveries.
 *
 * The grammar is RFC 8259's, as strict as jansson's parser is on all but
 * numbers' range (jansson refuses an integer past 64 bits, this does
 * not): UTF-8 checked, no control character in a string, escapes well
 * formed, \u0000 refused and surrogates paired, nothing but whitespace
 * after the value, nesting bounded. No memory is allocated. */
#ifndef CHORUS_JSON_SCAN_H
#define CHORUS_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

enum {
	JSON_SCAN_DEPTH_MAX = 512, /* objects and arrays inside each other */
	JSON_SCAN_NAMES_MAX = 64,  /* top-level names compared for twice */
};

typedef enum json_scan_kind {
	JSON_SCAN_ABSENT = 0,
	JSON_SCAN_STRING, /* a string without escapes: at, len its text */
	JSON_SCAN_OTHER,  /* any other value, escaped strings included */
} json_scan_kind;

/* A top-level member asked for: name in, the rest out. */
typedef struct json_scan_member {
	const char *name; /* NUL-terminated, no character JSON escapes */
	json_scan_kind kind;
	const char *at; /* JSON_SCAN_STRING: the text, inside the quotes */
	size_t len;
} json_scan_member;

typedef enum json_scan_result {
	JSON_SCAN_BAD = 0, /* not JSON, not an object, too deep, or a
			      top-level name twice */
	JSON_SCAN_OK,	   /* an object; the members asked are filled */
	JSON_SCAN_UNSURE,  /* well-formed, but a top-level name has escapes
			      or there are more than JSON_SCAN_NAMES_MAX:
			      the members may be spelt another way, so
			      parse it in full to know */
} json_scan_result;

/* Scan s[0, n) as one JSON object, filling m[0, nm) from its top level. */
json_scan_result json_scan_object(const char *s, size_t n, json_scan_member *m,
				  size_t nm);

#endif
