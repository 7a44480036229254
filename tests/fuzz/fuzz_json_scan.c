/* fuzz_json_scan.c — the inbox's JSON checker (core/json_scan.c) with
 * jansson's parser as its oracle, as test_json_scan.c uses it: the two
 * must agree on what is a JSON object, but for the differences
 * json_scan.h states (its nesting bound, numbers' range, and names
 * twice below the top level, which only jansson looks for) and one
 * leniency of jansson's (a raw NUL byte, below); members found as
 * strings must be jansson's strings. */
#include "fuzz.h"

#include "core/json_scan.h"

#include <jansson.h>

/* Objects and arrays inside each other, the outermost counted. */
static size_t depth_of(json_t *v)
{
	size_t deepest = 0, i;
	const char *k;
	json_t *c;
	if (json_is_object(v)) {
		json_object_foreach(v, k, c)
		{
			size_t d = depth_of(c);
			deepest = d > deepest ? d : deepest;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c)
		{
			size_t d = depth_of(c);
			deepest = d > deepest ? d : deepest;
		}
	} else {
		return 0;
	}
	return deepest + 1;
}

/* What jansson refuses that json_scan may take: see json_scan.h. */
static bool only_jansson_refuses(const json_error_t *err)
{
	return strstr(err->text, "duplicate") || strstr(err->text, "too big") ||
	       strstr(err->text, "overflow");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	json_scan_member m[] = {
		{.name = "id"}, {.name = "type"}, {.name = "actor"}};
	json_scan_result got = json_scan_object(s, size, m, 3);
	json_error_t err;
	json_t *j = json_loadb(s, size, JSON_REJECT_DUPLICATES, &err);
	bool jansson = json_is_object(j);
	/* jansson 2.14 takes a NUL byte after a number in an array ("[1\0
	 * ]"), which RFC 8259 does not: json_scan refuses every raw NUL */
	if (got == JSON_SCAN_BAD && jansson &&
	    depth_of(j) <= JSON_SCAN_DEPTH_MAX && !memchr(s, '\0', size)) {
		fprintf(stderr, "json_scan refused what jansson takes\n");
		FUZZ_CHECK(!"agree");
	}
	if (got != JSON_SCAN_BAD && !jansson) {
		/* jansson takes a non-object, or refuses: say which */
		FUZZ_CHECK(!j);
		if (!only_jansson_refuses(&err)) {
			fprintf(stderr, "jansson: %s\n", err.text);
			FUZZ_CHECK(!"agree");
		}
	}
	if (got == JSON_SCAN_OK && jansson) {
		for (int i = 0; i < 3; i++) {
			json_t *v = json_object_get(j, m[i].name);
			if (m[i].kind == JSON_SCAN_STRING) {
				FUZZ_CHECK(json_is_string(v));
				FUZZ_CHECK(json_string_length(v) == m[i].len);
				FUZZ_CHECK(!memcmp(json_string_value(v),
						   m[i].at, m[i].len));
			} else if (m[i].kind == JSON_SCAN_ABSENT) {
				FUZZ_CHECK(v == NULL);
			} else {
				FUZZ_CHECK(v != NULL);
			}
		}
	}
	json_decref(j);
	return 0;
}
