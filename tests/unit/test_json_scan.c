/* test_json_scan.c — the JSON checker the inbox reads activities with
 * (core/json_scan): each rule on its own, then against jansson's parser
 * on thousands of damaged activities, which it must judge alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/json_scan.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_scan_result scan(const char *text)
{
	return json_scan_object(text, strlen(text), NULL, 0);
}

static const char ACTIVITY[] =
	"{\"@context\": [\"https://www.w3.org/ns/activitystreams\","
	" {\"sensitive\": \"as:sensitive\"}],\n"
	" \"id\": \"https://a.example/users/ann/statuses/1/activity\",\n"
	" \"type\": \"Create\", \"actor\": \"https://a.example/users/ann\",\n"
	" \"published\": \"2026-12-06T10:00:00Z\", \"to\": [\"https://www.w3."
	"org/ns/activitystreams#Public\"], \"cc\": [],\n"
	" \"object\": {\"id\": \"https://a.example/users/ann/statuses/1\","
	" \"type\": \"Note\", \"content\": \"<p>caf\xc3\xa9 \\u00e9 \\ud83d"
	"\\ude00 \xf0\x9f\x98\x80 \\\"q\\\" \\n</p>\", \"sensitive\": false,"
	" \"inReplyTo\": null, \"n\": -12.5e+3, \"z\": 0, \"t\": true,"
	" \"tag\": [{\"type\": \"Hashtag\", \"name\": \"#movement\"}],"
	" \"attachment\": [[], {}, [1, [2, [3]]]]}}";

static void test_members_are_found_where_they_lie(void **state)
{
	json_scan_member m[] = {{.name = "id"},
				{.name = "type"},
				{.name = "actor"},
				{.name = "object"},
				{.name = "missing"}};
	assert_int_equal(json_scan_object(ACTIVITY, strlen(ACTIVITY), m, 5),
			 JSON_SCAN_OK);
	assert_int_equal(m[0].kind, JSON_SCAN_STRING);
	assert_int_equal(m[0].len, strlen("https://a.example/users/ann/"
					  "statuses/1/activity"));
	assert_memory_equal(m[0].at, "https://a.example/users/ann/statuses/1/",
			    39);
	assert_int_equal(m[1].kind, JSON_SCAN_STRING);
	assert_int_equal(m[1].len, 6);
	assert_memory_equal(m[1].at, "Create", 6);
	assert_int_equal(m[2].kind, JSON_SCAN_STRING);
	assert_memory_equal(m[2].at, "https://a.example/users/ann", m[2].len);
	assert_int_equal(m[3].kind, JSON_SCAN_OTHER); /* an object */
	assert_int_equal(m[4].kind, JSON_SCAN_ABSENT);
	/* the nested "id" and "type" are not the activity's */
	json_scan_member esc[] = {{.name = "a"}, {.name = "b"}, {.name = "c"}};
	assert_int_equal(scan("{\"a\": \"x\\/y\", \"b\": {}, \"c\": 1}"),
			 JSON_SCAN_OK);
	const char *two = "{\"a\": \"x\\/y\", \"b\": []}";
	assert_int_equal(json_scan_object(two, strlen(two), esc, 3),
			 JSON_SCAN_OK);
	assert_int_equal(esc[0].kind, JSON_SCAN_OTHER); /* escaped: parse it */
	assert_int_equal(esc[1].kind, JSON_SCAN_OTHER);
	assert_int_equal(esc[2].kind, JSON_SCAN_ABSENT);
}

static void test_what_jansson_refuses_is_refused(void **state)
{
	const char *bad[] = {
		"",
		"   ",
		"[1, 2, 3]",
		"\"a string\"",
		"{",
		"{\"a\": 1",
		"{\"a\": 1,}",
		"{\"a\" 1}",
		"{a: 1}",
		"{\"a\": 1} x",
		"{\"a\": 1}{}",
		"{\"a\": [1, 2,]}",
		"{\"a\": 01}",
		"{\"a\": -}",
		"{\"a\": 1.}",
		"{\"a\": .5}",
		"{\"a\": 1e}",
		"{\"a\": +1}",
		"{\"a\": tru}",
		"{\"a\": nulll}",
		"{\"a\": \"tab\there\"}",
		"{\"a\": \"\\x\"}",
		"{\"a\": \"\\u12\"}",
		"{\"a\": \"\\u0000\"}",
		"{\"a\": \"\\udc00\"}",
		"{\"a\": \"\\ud800\"}",
		"{\"a\": \"\\ud800\\u0041\"}",
		"{\"a\": \"\xc0\xaf\"}",	 /* overlong */
		"{\"a\": \"\xed\xa0\x80\"}",	 /* a surrogate in UTF-8 */
		"{\"a\": \"\xf4\x90\x80\x80\"}", /* past U+10FFFF */
		"{\"a\": \"\xe2\x82\"}",	 /* cut short */
		"{\"a\": \"\x80\"}",
		"{\"a\": 1, \"a\": 2}", /* a top-level name twice */
		"\xef\xbb\xbf{}",	/* a byte-order mark */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(scan(bad[i]), JSON_SCAN_BAD);
		json_t *j = json_loads(bad[i], JSON_REJECT_DUPLICATES, NULL);
		if (json_is_object(j))
			fail_msg("jansson takes %s", bad[i]);
		json_decref(j);
	}
	assert_int_equal(scan("{}"), JSON_SCAN_OK);
	assert_int_equal(scan(" \r\n\t{ } \n"), JSON_SCAN_OK);
	/* a NUL byte inside is not the end of the text */
	assert_int_equal(json_scan_object("{\"a\": \"x\0\"}", 10, NULL, 0),
			 JSON_SCAN_BAD);
	assert_int_equal(json_scan_object("{}\0", 3, NULL, 0), JSON_SCAN_BAD);
}

/* {"a": [[…]]} with arrays inside the object: containers in all. */
static json_scan_result nested(int containers)
{
	int arrays = containers - 1;
	char *text = malloc((size_t)(2 * arrays + 8));
	size_t k = 0;
	k += (size_t)sprintf(text, "{\"a\":");
	for (int i = 0; i < arrays; i++)
		text[k++] = '[';
	for (int i = 0; i < arrays; i++)
		text[k++] = ']';
	text[k++] = '}';
	json_scan_result r = json_scan_object(text, k, NULL, 0);
	free(text);
	return r;
}

static void test_depth_is_bounded(void **state)
{
	assert_int_equal(nested(JSON_SCAN_DEPTH_MAX), JSON_SCAN_OK);
	assert_int_equal(nested(JSON_SCAN_DEPTH_MAX + 1), JSON_SCAN_BAD);
	assert_int_equal(nested(100000), JSON_SCAN_BAD);
}

static void test_escaped_or_many_names_leave_it_unsure(void **state)
{
	/* "\u0069d" is "id": a second id the scanner cannot compare */
	assert_int_equal(scan("{\"id\": \"x\", \"\\u0069d\": \"y\"}"),
			 JSON_SCAN_UNSURE);
	char many[JSON_SCAN_NAMES_MAX * 16 + 8];
	size_t k = 0;
	many[k++] = '{';
	for (int i = 0; i <= JSON_SCAN_NAMES_MAX; i++)
		k += (size_t)sprintf(many + k, "%s\"k%d\": %d", i ? "," : "", i,
				     i);
	many[k++] = '}';
	assert_int_equal(json_scan_object(many, k, NULL, 0), JSON_SCAN_UNSURE);
	/* unsure is still checked to the end */
	assert_int_equal(scan("{\"\\u0069d\": 1,}"), JSON_SCAN_BAD);
}

/* Damaged copies of ACTIVITY (a byte changed, dropped or doubled, or the
 * text cut), each judged by both: the same verdict, and the same
 * members when both take it. */
static void test_damaged_activities_are_judged_as_jansson_does(void **state)
{
	size_t n = strlen(ACTIVITY);
	char *buf = malloc(n + 2);
	uint32_t seed = 12345;
	const char alphabet[] = "{}[]\",:\\u0123456789abcdefeEtrnl.-+ \x80\xc3"
				"\xe2\xf0\x01";
	int taken = 0;
	for (int round = 0; round < 20000; round++) {
		memcpy(buf, ACTIVITY, n + 1);
		size_t len = n;
		for (int edits = 0; edits < 1 + round % 3 && len; edits++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			char c = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
			switch ((seed >> 20) % 4) {
			case 0: buf[at] = c; break;
			case 1:
				memmove(buf + at, buf + at + 1, len - at);
				len--;
				break;
			case 2:
				memmove(buf + at + 1, buf + at, len - at + 1);
				buf[at] = c;
				len++;
				if (len > n) { /* keep within buf */
					len = n;
					buf[len] = '\0';
				}
				break;
			default: len = at; buf[len] = '\0';
			}
		}
		json_scan_member m[] = {{.name = "id"}, {.name = "type"}};
		json_scan_result got = json_scan_object(buf, len, m, 2);
		json_error_t err;
		json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
		bool jansson = json_is_object(j);
		if (got == JSON_SCAN_BAD && jansson)
			fail_msg("refused what jansson takes: %.*s", (int)len,
				 buf);
		if (got != JSON_SCAN_BAD && !jansson &&
		    !strstr(err.text, "duplicate"))
			fail_msg("took what jansson refuses (%s): %.*s",
				 err.text, (int)len, buf);
		if (got == JSON_SCAN_OK && jansson) {
			taken++;
			const char *names[] = {"id", "type"};
			for (int i = 0; i < 2; i++) {
				json_t *v = json_object_get(j, names[i]);
				if (m[i].kind == JSON_SCAN_STRING) {
					assert_true(json_is_string(v));
					assert_int_equal(json_string_length(v),
							 m[i].len);
					assert_memory_equal(
						json_string_value(v), m[i].at,
						m[i].len);
				} else if (m[i].kind == JSON_SCAN_ABSENT) {
					assert_null(v);
				}
			}
		}
		json_decref(j);
	}
	assert_true(taken > 1000); /* both sides of the line were tried */
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_are_found_where_they_lie),
		cmocka_unit_test(test_what_jansson_refuses_is_refused),
		cmocka_unit_test(test_depth_is_bounded),
		cmocka_unit_test(test_escaped_or_many_names_leave_it_unsure),
		cmocka_unit_test(
			test_damaged_activities_are_judged_as_jansson_does),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
