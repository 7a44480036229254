/* test_http.c — request parameters from the three body encodings, Rails
 * booleans, query/body precedence, routing and pagination URLs, the
 * streaming multipart parser and Range parsing, all without a running
 * server; then uploads and file replies against a live one on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/time.h"
#include "http/http.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	TEST_PARSE_THREADS = 4,	   /* concurrent multipart parsers */
	TEST_PARSE_ROUNDS = 20000, /* parses per thread */
	TEST_FILE_BYTES = 10,	   /* size of the binary upload below */
};

static const char FORM[] = "application/x-www-form-urlencoded";
static const char JSON[] = "application/json";
static const char MULTIPART[] = "multipart/form-data; boundary=XyZzy";

/* A file whose bytes hold a NUL, a CRLF and a near-miss of the boundary. */
static const char FILE_BYTES[TEST_FILE_BYTES] = "\x89P\0\r\n--Xy\xff";

static http_req req;

static int test_setup(void **state)
{
	memset(&req, 0, sizeof req);
	arena_init(&req.arena);
	buf_init(&req.body, &req.arena);
	return 0;
}

static int test_teardown(void **state)
{
	http_multipart_cleanup(req.upload);
	arena_release(&req.arena);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* Parse body as content_type into req; the parse must succeed. */
static void parse_ok(const char *content_type, const char *body, size_t n)
{
	buf_append(&req.body, body, n);
	const char *err = http_body_parse(&req, content_type);
	if (err)
		fail_msg("unexpected parse error: %s", err);
}

static void parse_str_ok(const char *content_type, const char *body)
{
	parse_ok(content_type, body, strlen(body));
}

/* Parse must fail; returns the error message. */
static const char *parse_error(const char *content_type, const char *body)
{
	buf_append(&req.body, body, strlen(body));
	const char *err = http_body_parse(&req, content_type);
	assert_non_null(err);
	assert_true(*err != '\0');
	return err;
}

static void assert_param(const char *key, const char *value)
{
	const char *got = http_param_get(&req, key);
	if (!got)
		fail_msg("param %s missing", key);
	assert_string_equal(got, value);
}

static void assert_list(const char *key, const char *const *values, size_t n)
{
	size_t got = 99;
	const char **list = http_param_list(&req, key, &got);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(list[i], values[i]);
}

/* ---- form-urlencoded -------------------------------------------------- */

static void test_form_decodes_plus_and_percent(void **state)
{
	parse_str_ok(FORM, "status=hello+world%21&spoiler_text=caf%C3%A9"
			   "&k%65y=v&bad=%zz%4");
	assert_param("status", "hello world!");
	assert_param("spoiler_text", "caf\xC3\xA9");
	assert_param("key", "v");
	assert_param("bad", "%zz%4"); /* malformed escapes stay literal */
}

static void test_form_value_may_be_empty_or_missing(void **state)
{
	parse_str_ok(FORM, "a=&b&=orphan&&c=3");
	assert_param("a", "");
	assert_param("b", "");
	assert_param("c", "3");
	assert_true(http_param_has(&req, "b"));
	assert_false(http_param_has(&req, ""));
	assert_false(http_param_has(&req, "orphan"));
}

static void test_form_percent_encoded_value_keeps_length(void **state)
{
	parse_str_ok(FORM, "bin=a%00b");
	const http_param *p = http_param_find(&req, "bin");
	assert_non_null(p);
	assert_int_equal(p->len, 3);
	assert_memory_equal(p->value, "a\0b", 3);
}

static void test_form_bracket_list(void **state)
{
	parse_str_ok(FORM, "media_ids[]=1&status=x&media_ids[]=2");
	assert_list("media_ids", (const char *const[]){"1", "2"}, 2);
	const http_param *p = http_param_find(&req, "media_ids");
	assert_true(p->is_list);
	assert_false(http_param_find(&req, "status")->is_list);
}

static void test_form_percent_encoded_brackets_are_a_list(void **state)
{
	parse_str_ok(FORM, "media_ids%5B%5D=1&media_ids%5B%5D=2");
	assert_list("media_ids", (const char *const[]){"1", "2"}, 2);
}

static void test_form_indexed_list(void **state)
{
	parse_str_ok(FORM, "a[0]=x&a[1]=y");
	assert_list("a", (const char *const[]){"x", "y"}, 2);
	assert_param("a", "x");
	assert_false(http_param_has(&req, "a[0]"));
}

static void test_form_nested_list(void **state)
{
	parse_str_ok(FORM, "poll[options][]=yes&poll[options][]=no"
			   "&poll[expires_in]=300&source[privacy]=private");
	assert_list("poll[options]", (const char *const[]){"yes", "no"}, 2);
	assert_param("poll[expires_in]", "300");
	assert_param("source[privacy]", "private");
	assert_false(http_param_find(&req, "source[privacy]")->is_list);
}

/* A key ending in ']' with no '[' before it is a plain key (found by
 * fuzz_form: the list check read from a null pointer). */
static void test_form_key_with_bracket_never_opened_is_plain(void **state)
{
	parse_str_ok(FORM, "a]=1&%5D%5D=2&media_ids]=3");
	assert_param("a]", "1");
	assert_param("]]", "2");
	assert_param("media_ids]", "3");
	assert_false(http_param_find(&req, "a]")->is_list);
	assert_false(http_param_has(&req, "a"));
}

static void test_list_of_absent_key_is_empty(void **state)
{
	parse_str_ok(FORM, "a=1");
	assert_list("b", NULL, 0);
}

static void test_missing_content_type_is_form(void **state)
{
	parse_str_ok(NULL, "a=1");
	assert_param("a", "1");
}

static void test_unknown_content_type_is_ignored(void **state)
{
	parse_str_ok("text/plain", "a=1");
	assert_false(http_param_has(&req, "a"));
}

/* ---- JSON ------------------------------------------------------------- */

static void test_json_scalars_become_strings(void **state)
{
	parse_str_ok(JSON, "{\"status\":\"hi \\u00e9\",\"limit\":40,"
			   "\"ratio\":1.5,\"sensitive\":true,\"bot\":false,"
			   "\"in_reply_to_id\":null}");
	assert_param("status", "hi \xC3\xA9");
	assert_param("limit", "40");
	assert_param("ratio", "1.5");
	assert_param("sensitive", "true");
	assert_param("bot", "false");
	assert_false(http_param_has(&req, "in_reply_to_id"));
}

static void test_json_content_type_with_charset(void **state)
{
	parse_str_ok("application/json; charset=utf-8", "{\"a\":\"b\"}");
	assert_param("a", "b");
}

static void test_json_array_is_list(void **state)
{
	parse_str_ok(JSON, "{\"media_ids\":[\"1\",2,null,\"3\"]}");
	assert_list("media_ids", (const char *const[]){"1", "2", "3"}, 3);
	assert_true(http_param_find(&req, "media_ids")->is_list);
}

static void test_json_nested_object_becomes_bracket_keys(void **state)
{
	parse_str_ok(JSON, "{\"source\":{\"privacy\":\"unlisted\","
			   "\"sensitive\":true},"
			   "\"poll\":{\"options\":[\"a\",\"b\"],"
			   "\"expires_in\":3600}}");
	assert_param("source[privacy]", "unlisted");
	assert_param("source[sensitive]", "true");
	assert_list("poll[options]", (const char *const[]){"a", "b"}, 2);
	assert_param("poll[expires_in]", "3600");
	assert_false(http_param_has(&req, "source"));
}

static void test_json_array_of_objects_is_indexed(void **state)
{
	parse_str_ok(JSON, "{\"fields_attributes\":["
			   "{\"name\":\"web\",\"value\":\"https://x\"},"
			   "{\"name\":\"pronouns\",\"value\":\"they\"}]}");
	assert_param("fields_attributes[0][name]", "web");
	assert_param("fields_attributes[0][value]", "https://x");
	assert_param("fields_attributes[1][name]", "pronouns");
	assert_param("fields_attributes[1][value]", "they");
	assert_false(
		http_param_find(&req, "fields_attributes[1][name]")->is_list);
}

/* Parameters are C strings to handlers; a NUL inside one is refused
 * rather than silently cutting the text short. */
static void test_json_nul_escape_is_an_error(void **state)
{
	parse_error(JSON, "{\"a\":\"x\\u0000y\"}");
}

static void test_json_malformed_is_an_error(void **state)
{
	const char *err = parse_error(JSON, "{\"status\": \"hi\"");
	assert_non_null(strstr(err, "JSON"));
}

static void test_json_non_object_is_an_error(void **state)
{
	const char *err = parse_error(JSON, "[1,2,3]");
	assert_non_null(strstr(err, "object"));
	assert_int_equal(req.nparams, 0);
}

/* ---- multipart -------------------------------------------------------- */

/* Two text fields and a file part, closed by the final delimiter. */
static size_t build_multipart(char *out, size_t cap)
{
	static const char head[] =
		"--XyZzy\r\n"
		"Content-Disposition: form-data; name=\"status\"\r\n"
		"\r\n"
		"hello\r\nworld\r\n"
		"--XyZzy\r\n"
		"Content-Disposition: form-data; name=\"description\"\r\n"
		"\r\n"
		"alt text\r\n"
		"--XyZzy\r\n"
		"Content-Disposition: form-data; filename=\"a b.png\"; "
		"name=\"file\"\r\n"
		"Content-Type: image/png\r\n"
		"\r\n";
	static const char tail[] = "\r\n--XyZzy--\r\n";
	size_t n = 0;
	assert_true(sizeof head + sizeof FILE_BYTES + sizeof tail < cap);
	memcpy(out + n, head, sizeof head - 1);
	n += sizeof head - 1;
	memcpy(out + n, FILE_BYTES, sizeof FILE_BYTES);
	n += sizeof FILE_BYTES;
	memcpy(out + n, tail, sizeof tail - 1);
	n += sizeof tail - 1;
	return n;
}

static void test_multipart_text_fields_and_binary_file(void **state)
{
	char body[1024];
	parse_ok(MULTIPART, body, build_multipart(body, sizeof body));
	assert_param("status", "hello\r\nworld");
	assert_param("description", "alt text");
	assert_null(http_param_find(&req, "status")->filename);
	const http_param *f = http_param_find(&req, "file");
	assert_non_null(f);
	assert_string_equal(f->filename, "a b.png");
	assert_string_equal(f->content_type, "image/png");
	assert_int_equal(f->len, TEST_FILE_BYTES);
	assert_memory_equal(f->value, FILE_BYTES, TEST_FILE_BYTES);
}

static void test_multipart_quoted_boundary(void **state)
{
	parse_str_ok("multipart/form-data; boundary=\"XyZzy\"",
		     "--XyZzy\r\n"
		     "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
		     "1\r\n--XyZzy--\r\n");
	assert_param("a", "1");
}

static void test_multipart_missing_boundary_is_an_error(void **state)
{
	const char *err = parse_error("multipart/form-data", "--x\r\n");
	assert_non_null(strstr(err, "boundary"));
}

static void test_multipart_absent_boundary_is_an_error(void **state)
{
	parse_error(MULTIPART, "no delimiter here");
}

static void test_multipart_unterminated_part_is_an_error(void **state)
{
	parse_error(MULTIPART, "--XyZzy\r\n"
			       "Content-Disposition: form-data; name=\"a\"\r\n"
			       "\r\n"
			       "data that never ends");
}

static void test_multipart_unterminated_headers_is_an_error(void **state)
{
	parse_error(MULTIPART,
		    "--XyZzy\r\n"
		    "Content-Disposition: form-data; name=\"a\"\r\n");
}

static void test_multipart_part_without_name_is_an_error(void **state)
{
	parse_error(MULTIPART, "--XyZzy\r\n"
			       "Content-Type: text/plain\r\n\r\n"
			       "x\r\n--XyZzy--\r\n");
}

typedef struct parse_job {
	int failures;
} parse_job;

static void *parse_multipart_repeatedly(void *arg)
{
	parse_job *job = arg;
	char body[1024];
	size_t n = build_multipart(body, sizeof body);
	for (int i = 0; i < TEST_PARSE_ROUNDS; i++) {
		http_req r;
		memset(&r, 0, sizeof r);
		arena_init(&r.arena);
		buf_init(&r.body, &r.arena);
		buf_append(&r.body, body, n);
		const http_param *f = NULL;
		const char *desc = NULL;
		if (!http_body_parse(&r, MULTIPART)) {
			f = http_param_find(&r, "file");
			desc = http_param_get(&r, "description");
		}
		if (!f || !f->filename || strcmp(f->filename, "a b.png") ||
		    !f->content_type || strcmp(f->content_type, "image/png") ||
		    !desc || strcmp(desc, "alt text"))
			job->failures++;
		arena_release(&r.arena);
	}
	return NULL;
}

/* Worker threads parse uploads at the same time; one request's part
 * headers must never be read from another's. */
static void test_multipart_parse_is_thread_safe(void **state)
{
	pthread_t th[TEST_PARSE_THREADS];
	parse_job jobs[TEST_PARSE_THREADS];
	memset(jobs, 0, sizeof jobs);
	for (int t = 0; t < TEST_PARSE_THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL,
						parse_multipart_repeatedly,
						&jobs[t]),
				 0);
	int failures = 0;
	for (int t = 0; t < TEST_PARSE_THREADS; t++) {
		pthread_join(th[t], NULL);
		failures += jobs[t].failures;
	}
	assert_int_equal(failures, 0);
}

/* ---- booleans and precedence ------------------------------------------ */

/* ---- limits on what a request sends ------------------------------------ */

static void test_json_depth_counts_objects_and_arrays(void **state)
{
	static const char three[] = "{\"a\":[{\"b\":1}]}";
	assert_true(http_json_depth_within(three, strlen(three), 3));
	assert_false(http_json_depth_within(three, strlen(three), 2));
	assert_true(http_json_depth_within("", 0, 0));
	assert_true(http_json_depth_within("{}", 2, 1));
	assert_false(http_json_depth_within("[[[]]]", 6, 2));
}

static void test_json_depth_ignores_brackets_in_strings(void **state)
{
	/* an escaped quote does not end the string: "[[" stays text */
	static const char s[] = "{\"a\":\"\\\"[[[{{{\",\"b\":\"\\\\\"}";
	assert_true(http_json_depth_within(s, strlen(s), 1));
	/* a text cut inside a string reads no further than n */
	assert_true(http_json_depth_within("{\"[[[[", 6, 1));
}

static void test_params_past_the_limit_are_dropped_and_flagged(void **state)
{
	static const http_param_limits lim = {.max_params = 3};
	req.limits = &lim;
	parse_str_ok(FORM, "a=1&b=2&c=3");
	assert_false(req.params_over);
	assert_null(http_params_check(&req));
	assert_null(http_param_add(&req, "d", "4", 1, false));
	assert_true(req.params_over);
	assert_int_equal(req.nparams, 3);
	assert_string_equal(http_params_check(&req),
			    "Too many parameters (more than 3)");
}

static void test_json_members_count_even_when_null(void **state)
{
	static const http_param_limits lim = {.max_params = 2};
	req.limits = &lim;
	parse_str_ok(JSON, "{\"a\":null,\"b\":null,\"c\":null}");
	assert_int_equal(req.nparams, 0);
	assert_non_null(http_params_check(&req));
}

static void test_json_too_deep_is_an_error_before_parsing(void **state)
{
	static const http_param_limits lim = {.max_json_depth = 2};
	req.limits = &lim;
	const char *err = parse_error(JSON, "{\"a\":{\"b\":[1]}}");
	assert_string_equal(err, "Invalid JSON: nested more than 2 deep");
	assert_int_equal(req.nparams, 0);
}

static void
test_list_longest_finds_the_longest_list_whatever_the_order(void **state)
{
	parse_str_ok(FORM, "a[]=1&b[]=1&a[]=2&x=1&b[]=2&a[]=3&c[0]=1");
	const char *key;
	assert_int_equal(
		http_list_longest(&req.arena, req.params, req.nparams, &key),
		3);
	assert_string_equal(key, "a");
	assert_int_equal(http_list_longest(&req.arena, req.params, 0, &key), 0);
	assert_null(key);
}

static void test_list_items_past_the_limit_name_their_key(void **state)
{
	static const http_param_limits lim = {.max_list_items = 2};
	req.limits = &lim;
	parse_str_ok(FORM, "a[]=1&b[]=1&a[]=2&b[]=2");
	assert_null(http_params_check(&req)); /* 4 items, 2 per list */
	assert_non_null(http_param_add(&req, "b[]", "3", 1, false));
	assert_string_equal(http_params_check(&req),
			    "Too many items in b[] (more than 2)");
}

static void test_json_array_items_count_as_list_items(void **state)
{
	static const http_param_limits lim = {.max_list_items = 2};
	req.limits = &lim;
	parse_str_ok(JSON, "{\"ids\":[\"1\",\"2\",\"3\"]}");
	assert_string_equal(http_params_check(&req),
			    "Too many items in ids[] (more than 2)");
}

static void test_rails_booleans(void **state)
{
	parse_str_ok(FORM, "t1=1&t2=true&t3=on&t4=TRUE&t5=yes"
			   "&f1=0&f2=false&f3=&f4=off&f5=no");
	for (int i = 1; i <= 5; i++) {
		char key[4] = {'t', (char)('0' + i), 0};
		assert_true(http_param_bool(&req, key, false));
		key[0] = 'f';
		assert_false(http_param_bool(&req, key, true));
	}
	assert_true(http_param_bool(&req, "absent", true));
	assert_false(http_param_bool(&req, "absent", false));
}

static void test_json_booleans_work_with_param_bool(void **state)
{
	parse_str_ok(JSON, "{\"a\":true,\"b\":false,\"c\":1,\"d\":0}");
	assert_true(http_param_bool(&req, "a", false));
	assert_false(http_param_bool(&req, "b", true));
	assert_true(http_param_bool(&req, "c", false));
	assert_false(http_param_bool(&req, "d", true));
}

static void test_body_params_win_over_query_params(void **state)
{
	const char query[] = "visibility=public&only_query=q";
	http_parse_urlencoded(&req, query, strlen(query), true);
	parse_str_ok(FORM, "visibility=private");
	assert_param("visibility", "private");
	assert_param("only_query", "q");
	assert_true(http_param_find(&req, "only_query")->from_query);
	assert_false(http_param_find(&req, "visibility")->from_query);
}

static void test_body_params_win_whatever_the_order(void **state)
{
	parse_str_ok(JSON, "{\"limit\":\"5\"}");
	http_parse_urlencoded(&req, "limit=40", 8, true);
	assert_param("limit", "5");
}

/* ---- router ----------------------------------------------------------- */

static void handler_stub(http_req *r)
{
}

#define ROUTE(m, p, a, s)                                                      \
	{                                                                      \
		.method = (m), .pattern = (p), .handler = handler_stub,        \
		.auth = (a), .scope = (s)                                      \
	}
static const http_route routes[] = {
	ROUTE("GET", "/api/v1/accounts/:id", 0, NULL),
	ROUTE("GET", "/api/v1/accounts/verify_credentials", 1, "read"),
	ROUTE("GET", "/api/v1/accounts/:id/statuses", 0, NULL),
	ROUTE("POST", "/api/v1/accounts/:id/follow", 1, "follow"),
	ROUTE("GET", "/api/v1/tags/:tag/:kind", 0, NULL),
	ROUTE("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m", 0, NULL),
};
enum { NROUTES = sizeof routes / sizeof routes[0] };

static const http_route *route(const char *method, const char *path)
{
	req.method = method;
	req.path = path;
	http_router *rt = http_router_new(routes, NROUTES);
	assert_non_null(rt);
	const http_route *match = http_router_match(rt, &req);
	http_router_free(rt);
	return match;
}

static void test_route_literal_beats_param(void **state)
{
	assert_ptr_equal(route("GET", "/api/v1/accounts/verify_credentials"),
			 &routes[1]);
	assert_ptr_equal(req.route, &routes[1]);
}

static void test_route_param_is_extracted(void **state)
{
	assert_ptr_equal(route("GET", "/api/v1/accounts/109"), &routes[0]);
	assert_string_equal(http_path_param(&req, 0), "109");
	assert_ptr_equal(route("GET", "/api/v1/accounts/7/statuses"),
			 &routes[2]);
	assert_string_equal(http_path_param(&req, 0), "7");
}

static void test_route_two_params_in_order(void **state)
{
	assert_ptr_equal(route("GET", "/api/v1/tags/cats/followers"),
			 &routes[4]);
	assert_string_equal(http_path_param(&req, 0), "cats");
	assert_string_equal(http_path_param(&req, 1), "followers");
	assert_null(http_path_param(&req, HTTP_MAX_PATH_PARAMS));
	assert_null(http_path_param(&req, -1));
}

static void test_route_wrong_method_is_null(void **state)
{
	assert_null(route("POST", "/api/v1/accounts/109"));
	assert_null(route("GET", "/api/v1/accounts/109/follow"));
	assert_non_null(route("POST", "/api/v1/accounts/109/follow"));
}

static void test_route_segment_count_must_match(void **state)
{
	assert_null(route("GET", "/api/v1/accounts"));
	assert_null(route("GET", "/api/v1/accounts/1/statuses/extra"));
	assert_null(route("GET", "/"));
}

static void test_route_too_many_segments_is_null(void **state)
{
	/* 13 segments: one past HTTP_MAX_SEGMENTS, even with a literal
	 * pattern spelling the same path */
	assert_null(route("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m"));
}

/* ---- pagination URLs -------------------------------------------------- */

static const char *const cursor_keys[] = {"max_id", "since_id", "min_id", NULL};

static void test_url_with_keeps_query_and_drops_cursors(void **state)
{
	const char query[] = "local=true&max_id=100&limit=20"
			     "&types[]=mention&q=a+b%26c";
	http_parse_urlencoded(&req, query, strlen(query), true);
	parse_str_ok(FORM, "body_only=1");
	req.path = "/api/v1/timelines/public";
	char *url = http_url_with(&req, "https://h.example", cursor_keys,
				  "max_id", "42");
	assert_string_equal(url, "https://h.example/api/v1/timelines/public"
				 "?local=true&limit=20&types%5B%5D=mention"
				 "&q=a%20b%26c&max_id=42");
}

static void test_url_with_no_query_starts_with_question_mark(void **state)
{
	req.path = "/api/v1/notifications";
	char *url = http_url_with(&req, "http://127.0.0.1:3000", cursor_keys,
				  "min_id", "7");
	assert_string_equal(
		url, "http://127.0.0.1:3000/api/v1/notifications?min_id=7");
}

static void test_url_with_replaces_existing_key(void **state)
{
	const char query[] = "limit=5&only_media=1";
	http_parse_urlencoded(&req, query, strlen(query), true);
	req.path = "/x";
	char *url = http_url_with(&req, "https://h", NULL, "limit", "10");
	assert_string_equal(url, "https://h/x?only_media=1&limit=10");
}

/* ---- streaming multipart ---------------------------------------------- */

static const http_multipart_limits no_limits = {SIZE_MAX, SIZE_MAX};

/* A fresh empty directory under /tmp; caller removes it (rmdir_all). */
static char *make_temp_dir(void)
{
	char tmpl[] = "/tmp/chorus-test-http-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	return strdup(dir);
}

/* Entries in dir other than . and .. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void rmdir_all(char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		for (struct dirent *e; (e = readdir(d));) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char path[512];
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

/* Feed body to a fresh parser in chunks of at most step bytes (0: split
 * once at split); returns the parser's final status. */
static int stream_parse(const char *upload_dir,
			const http_multipart_limits *limits, const char *body,
			size_t n, size_t split, size_t step)
{
	const char *err = NULL;
	http_multipart *m =
		http_multipart_begin(&req, MULTIPART, upload_dir, limits, &err);
	assert_non_null(m);
	req.upload = m;
	int st = 0;
	if (step) {
		for (size_t i = 0; i < n && !st; i += step)
			st = http_multipart_feed(m, body + i,
						 n - i < step ? n - i : step);
	} else {
		st = http_multipart_feed(m, body, split);
		if (!st)
			st = http_multipart_feed(m, body + split, n - split);
	}
	return st ? st : http_multipart_end(m);
}

static void reset_req(void)
{
	http_multipart_cleanup(req.upload);
	arena_release(&req.arena);
	memset(&req, 0, sizeof req);
	arena_init(&req.arena);
	buf_init(&req.body, &req.arena);
}

/* The delimiter, the near-miss "\r\n--Xy" in the file and the part
 * headers are found wherever the chunk borders fall. */
static void test_multipart_stream_any_split_matches_whole(void **state)
{
	char body[1024];
	size_t n = build_multipart(body, sizeof body);
	for (size_t split = 0; split <= n; split++) {
		assert_int_equal(
			stream_parse(NULL, &no_limits, body, n, split, 0), 0);
		assert_param("status", "hello\r\nworld");
		assert_param("description", "alt text");
		const http_param *f = http_param_find(&req, "file");
		assert_non_null(f);
		assert_null(f->path);
		assert_int_equal(f->len, TEST_FILE_BYTES);
		assert_memory_equal(f->value, FILE_BYTES, TEST_FILE_BYTES);
		reset_req();
	}
	for (size_t step = 1; step <= 16; step++) {
		assert_int_equal(
			stream_parse(NULL, &no_limits, body, n, 0, step), 0);
		assert_int_equal(http_param_find(&req, "file")->len,
				 TEST_FILE_BYTES);
		assert_param("status", "hello\r\nworld");
		reset_req();
	}
}

static void test_multipart_stream_file_part_goes_to_temp_file(void **state)
{
	char *dir = make_temp_dir();
	char body[1024];
	size_t n = build_multipart(body, sizeof body);
	assert_int_equal(stream_parse(dir, &no_limits, body, n, 0, 7), 0);
	const http_param *f = http_param_find(&req, "file");
	assert_non_null(f);
	assert_non_null(f->path);
	assert_string_equal(f->value, "");
	assert_int_equal(f->len, TEST_FILE_BYTES);
	assert_string_equal(f->filename, "a b.png");
	assert_string_equal(f->content_type, "image/png");
	assert_true(!strncmp(f->path, dir, strlen(dir)));
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, TEST_FILE_BYTES);
	char got[TEST_FILE_BYTES];
	FILE *fp = fopen(f->path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(got, 1, sizeof got, fp), TEST_FILE_BYTES);
	fclose(fp);
	assert_memory_equal(got, FILE_BYTES, TEST_FILE_BYTES);
	assert_null(http_param_find(&req, "status")->path); /* text stays */
	http_multipart_cleanup(req.upload);
	assert_int_equal(dir_entries(dir), 0);
	rmdir_all(dir);
}

static void test_multipart_stream_renamed_file_survives_cleanup(void **state)
{
	char *dir = make_temp_dir();
	char body[1024];
	size_t n = build_multipart(body, sizeof body);
	assert_int_equal(stream_parse(dir, &no_limits, body, n, 0, 64), 0);
	const http_param *f = http_param_find(&req, "file");
	char kept[512];
	snprintf(kept, sizeof kept, "%s/kept", dir);
	assert_int_equal(rename(f->path, kept), 0);
	http_multipart_cleanup(req.upload);
	assert_int_equal(access(kept, F_OK), 0);
	assert_int_equal(dir_entries(dir), 1);
	rmdir_all(dir);
}

/* Each malformed body is cut or broken after its file part began; the
 * temp file must be gone as soon as the parser fails. */
static void test_multipart_stream_malformed_leaves_no_file(void **state)
{
	static const char file_head[] =
		"--XyZzy\r\n"
		"Content-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n"
		"\r\n"
		"bytes\r\n--Xy";
	static const char *const bodies[] = {
		file_head, /* unterminated part */
		"--XyZzy\r\nContent-Disposition: form-data; name=\"f\"; "
		"filename=\"x\"\r\n\r\nbytes\r\n--XyZzyGARBAGE", /* delimiter */
		"--XyZzy\r\nContent-Disposition: form-data; name=\"f\"; "
		"filename=\"x\"\r\n\r\nb\r\n--XyZzy\r\nNo-Name: 1\r\n\r\nx"
		"\r\n--XyZzy--", /* a part without a name */
		"--XyZzy\r\nContent-Disposition: form-data; name=\"f\"; "
		"filename=\"x\"\r\n\r\nb\r\n--XyZzy\r\nX: unterminated",
		"preamble only, no delimiter",
	};
	char *dir = make_temp_dir();
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		int st = stream_parse(dir, &no_limits, bodies[i],
				      strlen(bodies[i]), 0, 3);
		assert_int_equal(st, 400);
		const char *err = http_multipart_error(req.upload);
		assert_non_null(err);
		assert_true(!strncmp(err, "Invalid multipart body: ", 24));
		assert_int_equal(dir_entries(dir), 0);
		reset_req();
	}
	rmdir_all(dir);
}

static void test_multipart_stream_empty_body_is_no_body(void **state)
{
	assert_int_equal(stream_parse(NULL, &no_limits, "", 0, 0, 0), 0);
	assert_int_equal(req.nparams, 0);
}

static void test_multipart_stream_field_over_cap_is_413(void **state)
{
	static const char body[] =
		"--XyZzy\r\nContent-Disposition: form-data; name=\"d\"\r\n\r\n"
		"0123456789\r\n--XyZzy--\r\n";
	const http_multipart_limits small_field = {.field_max = 9,
						   .memory_max = SIZE_MAX};
	assert_int_equal(
		stream_parse(NULL, &small_field, body, sizeof body - 1, 0, 4),
		413);
	reset_req();
	const http_multipart_limits fits = {.field_max = 10,
					    .memory_max = SIZE_MAX};
	assert_int_equal(stream_parse(NULL, &fits, body, sizeof body - 1, 0, 4),
			 0);
	assert_param("d", "0123456789");
}

/* Many tiny parts cost memory per part even with short values. */
static void test_multipart_stream_memory_budget_is_413(void **state)
{
	char body[4096];
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(body + n, sizeof body - n,
				      "--XyZzy\r\nContent-Disposition: "
				      "form-data; name=\"a[]\"\r\n\r\nx\r\n");
	n += (size_t)snprintf(body + n, sizeof body - n, "--XyZzy--\r\n");
	const http_multipart_limits budget = {.field_max = 100,
					      .memory_max = 1024};
	assert_int_equal(stream_parse(NULL, &budget, body, n, 0, 100), 413);
}

/* RFC 2046: a preamble before the first delimiter, padding after a
 * delimiter and an epilogue after the last are not data. A part with a
 * Content-Type but no filename is a field, kept in memory. */
static void test_multipart_stream_preamble_padding_epilogue(void **state)
{
	static const char body[] =
		"This is the preamble.\r\n"
		"--XyZzy \t\r\n"
		"Content-Disposition: form-data; name=\"media_ids[]\"\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"\r\n"
		"1\r\n"
		"--XyZzy\r\n"
		"Content-Disposition: form-data; name=\"media_ids[]\"\r\n"
		"\r\n"
		"2\r\n"
		"--XyZzy--\r\nepilogue --XyZzy garbage";
	char *dir = make_temp_dir();
	assert_int_equal(
		stream_parse(dir, &no_limits, body, sizeof body - 1, 0, 5), 0);
	assert_list("media_ids", (const char *const[]){"1", "2"}, 2);
	const http_param *p = http_param_find(&req, "media_ids");
	assert_null(p->path);
	assert_null(p->filename);
	assert_string_equal(p->content_type, "text/plain; charset=utf-8");
	assert_int_equal(dir_entries(dir), 0);
	rmdir_all(dir);
}

static void test_multipart_stream_headers_too_long_is_an_error(void **state)
{
	size_t n = 20000;
	char *body = malloc(n);
	assert_non_null(body);
	memset(body, 'h', n);
	memcpy(body, "--XyZzy\r\nX: ", 12);
	assert_int_equal(stream_parse(NULL, &no_limits, body, n, 0, 1000), 400);
	free(body);
}

static void test_multipart_boundary_with_newline_is_refused(void **state)
{
	const char *err = NULL;
	assert_null(http_multipart_begin(
		&req, "multipart/form-data; boundary=\"a\r\nb\"", NULL,
		&no_limits, &err));
	assert_non_null(strstr(err, "boundary"));
}

/* ---- Range ------------------------------------------------------------ */

enum { RANGE_MAX = 4 };

static http_range ranges[RANGE_MAX];
static size_t nranges;

static http_range_result range(const char *header, uint64_t size)
{
	nranges = 99;
	return http_range_parse(header, size, ranges, RANGE_MAX, &nranges);
}

static void assert_one_range(uint64_t first, uint64_t last)
{
	assert_int_equal(nranges, 1);
	assert_int_equal(ranges[0].first, first);
	assert_int_equal(ranges[0].last, last);
}

static void test_range_first_last(void **state)
{
	assert_int_equal(range("bytes=0-99", 1000), HTTP_RANGE_SATISFIABLE);
	assert_one_range(0, 99);
	assert_int_equal(range("bytes=999-999", 1000), HTTP_RANGE_SATISFIABLE);
	assert_one_range(999, 999);
}

static void test_range_open_ended(void **state)
{
	assert_int_equal(range("bytes=100-", 1000), HTTP_RANGE_SATISFIABLE);
	assert_one_range(100, 999);
}

static void test_range_suffix(void **state)
{
	assert_int_equal(range("bytes=-100", 1000), HTTP_RANGE_SATISFIABLE);
	assert_one_range(900, 999);
	/* longer than the file: all of it */
	assert_int_equal(range("bytes=-5000", 1000), HTTP_RANGE_SATISFIABLE);
	assert_one_range(0, 999);
}

static void test_range_last_past_the_end_is_clamped(void **state)
{
	assert_int_equal(range("bytes=500-1000", 1000), HTTP_RANGE_SATISFIABLE);
	assert_one_range(500, 999);
	assert_int_equal(range("bytes=0-99999999999999999999999", 1000),
			 HTTP_RANGE_SATISFIABLE);
	assert_one_range(0, 999);
}

static void test_range_whitespace_and_case(void **state)
{
	assert_int_equal(range(" Bytes = 0 - 9 ,\t-5 ", 1000),
			 HTTP_RANGE_SATISFIABLE);
	assert_int_equal(nranges, 2);
	assert_int_equal(ranges[0].first, 0);
	assert_int_equal(ranges[0].last, 9);
	assert_int_equal(ranges[1].first, 995);
	assert_int_equal(ranges[1].last, 999);
}

static void test_range_several_are_sorted(void **state)
{
	assert_int_equal(range("bytes=500-599,0-9", 1000),
			 HTTP_RANGE_SATISFIABLE);
	assert_int_equal(nranges, 2);
	assert_int_equal(ranges[0].first, 0);
	assert_int_equal(ranges[1].first, 500);
}

static void test_range_overlapping_and_adjacent_merge(void **state)
{
	assert_int_equal(range("bytes=0-99,50-149", 1000),
			 HTTP_RANGE_SATISFIABLE);
	assert_one_range(0, 149);
	assert_int_equal(range("bytes=100-199,0-99", 1000),
			 HTTP_RANGE_SATISFIABLE);
	assert_one_range(0, 199);
	assert_int_equal(range("bytes=0-10,-1,5-", 1000),
			 HTTP_RANGE_SATISFIABLE);
	assert_one_range(0, 999);
}

static void test_range_empty_list_elements_are_skipped(void **state)
{
	assert_int_equal(range("bytes=,0-1,,", 1000), HTTP_RANGE_SATISFIABLE);
	assert_one_range(0, 1);
}

static void test_range_first_past_the_end_is_unsatisfiable(void **state)
{
	assert_int_equal(range("bytes=1000-", 1000), HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(nranges, 0);
	assert_int_equal(range("bytes=2000-3000", 1000),
			 HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(range("bytes=99999999999999999999-", 1000),
			 HTTP_RANGE_UNSATISFIABLE);
}

static void test_range_suffix_zero_is_unsatisfiable(void **state)
{
	assert_int_equal(range("bytes=-0", 1000), HTTP_RANGE_UNSATISFIABLE);
}

/* One satisfiable range is enough; the others are dropped. */
static void test_range_unsatisfiable_parts_are_dropped(void **state)
{
	assert_int_equal(range("bytes=5000-,10-19,-0", 1000),
			 HTTP_RANGE_SATISFIABLE);
	assert_one_range(10, 19);
}

/* RFC 9110 §14.2: an invalid Range is ignored, the whole is sent. */
static void test_range_invalid_is_ignored(void **state)
{
	static const char *const invalid[] = {
		"bytes=abc",	 "items=0-1",  "bytes=5-2",  "bytes=",
		"bytes=-",	 "bytes 0-1",  "bytes=0-1x", "bytes=1-2;3-4",
		"bytes=0-1,abc", "bytesx=0-1", "",	     "bytes=--1",
	};
	for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
		if (range(invalid[i], 1000) != HTTP_RANGE_IGNORE)
			fail_msg("\"%s\" was not ignored", invalid[i]);
		assert_int_equal(nranges, 0);
	}
	assert_int_equal(range(NULL, 1000), HTTP_RANGE_IGNORE);
}

static void test_range_more_than_max_is_ignored(void **state)
{
	assert_int_equal(range("bytes=0-0,2-2,4-4,6-6", 1000),
			 HTTP_RANGE_SATISFIABLE);
	assert_int_equal(nranges, RANGE_MAX);
	assert_int_equal(range("bytes=0-0,2-2,4-4,6-6,8-8", 1000),
			 HTTP_RANGE_IGNORE);
}

static void test_range_of_empty_file_is_ignored(void **state)
{
	assert_int_equal(range("bytes=0-1", 0), HTTP_RANGE_IGNORE);
	assert_int_equal(range("bytes=-1", 0), HTTP_RANGE_IGNORE);
}

/* ---- a live server ---------------------------------------------------- */

/* A server on a loopback port with upload and file routes, driven by
 * plain sockets: uploads stream to disk byte-exact and leave nothing
 * behind, files go out with ranges and validators. */

enum {
	LIVE_MAX_BODY = 64 * 1024,
	LIVE_MAX_UPLOAD = 4 * 1024 * 1024,
	LIVE_UPLOAD_BYTES = 3 * 1024 * 1024,
	LIVE_SERVED_BYTES = 1024 * 1024,
	LIVE_SEND_STEP = 4093, /* odd, so borders fall everywhere */
	LIVE_WAIT_MS = 3000,   /* for a temp file to go after a request */
};

static const char LIVE_BOUNDARY[] = "chorus-boundary-7f3a";

static struct {
	http_server *server;
	int port;
	char *upload_dir, *keep_dir, *files_dir;
	char served_path[512];
} live;

/* Byte i of every uploaded file: noise mixed with CR/LF runs and near
 * misses of the boundary, so the delimiter search is exercised. */
static unsigned char upload_byte(size_t i)
{
	static const char motif[] = "\r\n--chorus-boundary-7f\r\n\r\n--\r";
	if ((i / 61) % 3 == 0)
		return (unsigned char)motif[i % (sizeof motif - 1)];
	uint32_t x = (uint32_t)i * 2654435761u;
	return (unsigned char)(x >> 24);
}

static unsigned char served_byte(size_t i)
{
	return (unsigned char)((i * 31 + i / 251) & 0xff);
}

/* Does the file at path hold exactly upload_byte(0..len)? */
static bool file_holds_upload(const char *path, size_t len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	unsigned char chunk[65536];
	size_t off = 0, got;
	bool same = true;
	while (same && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		for (size_t j = 0; j < got && same; j++)
			same = chunk[j] == upload_byte(off + j);
		off += got;
	}
	fclose(f);
	return same && off == len;
}

/* Describe every parameter as JSON: lengths, paths, whether a file's
 * bytes are the expected ones (on disk or in memory), its mode. */
static void live_report(http_req *r)
{
	json_t *out = json_object();
	for (size_t i = 0; i < r->nparams; i++) {
		const http_param *p = &r->params[i];
		json_t *o = json_pack("{s:I,s:b}", "len", (json_int_t)p->len,
				      "has_path", p->path != NULL);
		if (p->path) {
			struct stat st;
			bool mode_ok = stat(p->path, &st) == 0 &&
				       (st.st_mode & 0777) == 0600;
			json_object_set_new(o, "path", json_string(p->path));
			json_object_set_new(o, "mode_ok",
					    json_boolean(mode_ok));
			json_object_set_new(o, "bytes_ok",
					    json_boolean(file_holds_upload(
						    p->path, p->len)));
		} else if (p->filename) {
			bool same = true;
			for (size_t j = 0; j < p->len && same; j++)
				same = (unsigned char)p->value[j] ==
				       upload_byte(j);
			json_object_set_new(o, "bytes_ok", json_boolean(same));
		} else {
			json_object_set_new(o, "value", json_string(p->value));
		}
		if (p->filename)
			json_object_set_new(o, "filename",
					    json_string(p->filename));
		if (p->content_type)
			json_object_set_new(o, "content_type",
					    json_string(p->content_type));
		json_object_set_new(out, p->key, o);
	}
	http_reply_json(r, 200, out);
}

/* Take the upload by renaming it away, as a media handler would. */
static void live_keep(http_req *r)
{
	const http_param *f = http_param_find(r, "file");
	if (!f || !f->path) {
		http_reply_error(r, 422, "no file");
		return;
	}
	char *dest = arena_printf(&r->arena, "%s/kept", live.keep_dir);
	if (rename(f->path, dest) < 0) {
		http_reply_error(r, 500, "rename failed");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:s}", "kept", dest));
}

static void live_file(http_req *r)
{
	http_reply_file(r, live.served_path, "video/mp4", "v1",
			"public, max-age=31536000, immutable");
}

static void live_missing(http_req *r)
{
	char *path = arena_printf(&r->arena, "%s/absent", live.files_dir);
	http_reply_file(r, path, "image/png", "v1", NULL);
}

static void live_directory(http_req *r)
{
	http_reply_file(r, live.files_dir, "image/png", NULL, NULL);
}

enum { LIVE_SLOW_MS = 500 };

/* Deferred work that takes long (as image processing does). */
static void live_slow_work(http_req *r, void *ctx)
{
	struct timespec ts = {0, LIVE_SLOW_MS * 1000000L};
	nanosleep(&ts, NULL);
	http_reply_raw(r, 200, "text/plain", ctx, strlen(ctx));
}

static void live_slow(http_req *r)
{
	http_defer(r, live_slow_work, "slow");
}

enum { LIVE_POOL = 1 }; /* one thread, one waiting request at most */

static void live_pooled(http_req *r)
{
	if (!http_defer_to(r, LIVE_POOL, live_slow_work, "pool"))
		http_reply_raw(r, 429, "text/plain", "busy", 4);
}

static void live_fast(http_req *r)
{
	http_reply_raw(r, 200, "text/plain", "fast", 4);
}

static const http_route live_routes[] = {
	{.method = "GET", .pattern = "/slow", .handler = live_slow},
	{.method = "GET", .pattern = "/fast", .handler = live_fast},
	{.method = "GET", .pattern = "/pooled", .handler = live_pooled},
	{.method = "POST",
	 .pattern = "/upload",
	 .handler = live_report,
	 .upload = true},
	{.method = "PUT",
	 .pattern = "/upload",
	 .handler = live_report,
	 .upload = true},
	{.method = "POST",
	 .pattern = "/upload/keep",
	 .handler = live_keep,
	 .upload = true},
	{.method = "POST", .pattern = "/plain", .handler = live_report},
	{.method = "GET", .pattern = "/media/file", .handler = live_file},
	{.method = "GET", .pattern = "/media/missing", .handler = live_missing},
	{.method = "GET", .pattern = "/media/dir", .handler = live_directory},
};

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	close(fd);
	return ntohs(a.sin_port);
}

static int live_setup(void **state)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_quiet(1);
	live.upload_dir = make_temp_dir();
	live.keep_dir = make_temp_dir();
	live.files_dir = make_temp_dir();
	snprintf(live.served_path, sizeof live.served_path, "%s/served.mp4",
		 live.files_dir);
	FILE *f = fopen(live.served_path, "wb");
	if (!f)
		return -1;
	for (size_t i = 0; i < LIVE_SERVED_BYTES; i++)
		fputc(served_byte(i), f);
	fclose(f);
	live.port = free_port();
	http_server_opts opts = {
		.bind = "127.0.0.1",
		.port = live.port,
		.threads = 2,
		.max_body_bytes = LIVE_MAX_BODY,
		.upload_dir = live.upload_dir,
		.max_upload_bytes = LIVE_MAX_UPLOAD,
		.routes = live_routes,
		.nroutes = sizeof live_routes / sizeof live_routes[0],
		.work_threads = 2,
		.pools = &(http_pool_opts){.threads = 1, .max_waiting = 1},
		.npools = 1,
	};
	live.server = http_server_start(&opts);
	return live.server ? 0 : -1;
}

static int live_teardown(void **state)
{
	http_server_stop(live.server);
	rmdir_all(live.upload_dir);
	rmdir_all(live.keep_dir);
	rmdir_all(live.files_dir);
	return 0;
}

typedef struct live_resp {
	int status;
	char *head; /* status line and headers, NUL-terminated */
	char *body;
	size_t body_len;
	bool reset; /* the connection failed before a full reply */
} live_resp;

static void live_resp_free(live_resp *r)
{
	free(r->head);
	r->head = NULL;
}

static int live_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)live.port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static bool send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

/* Read to EOF (every request says Connection: close) and split the
 * reply. */
static live_resp read_reply(int fd)
{
	live_resp r = {0};
	size_t cap = 65536, len = 0;
	char *data = malloc(cap + 1);
	assert_non_null(data);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			data = realloc(data, cap + 1);
			assert_non_null(data);
		}
		ssize_t got = recv(fd, data + len, cap - len, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			r.reset = true;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	data[len] = '\0';
	r.head = data;
	char *end = strstr(data, "\r\n\r\n");
	if (!end || sscanf(data, "HTTP/1.%*d %d", &r.status) != 1) {
		r.status = 0;
		r.body = data + len;
		return r;
	}
	*end = '\0';
	r.body = end + 4;
	r.body_len = len - (size_t)(r.body - data);
	return r;
}

/* The value of a reply header, or NULL; a thread-local buffer, valid
 * until the next call. */
static const char *resp_header(const live_resp *r, const char *name)
{
	static __thread char value[512];
	size_t n = strlen(name);
	for (const char *p = strstr(r->head, "\r\n"); p;
	     p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
			const char *v = p + 3 + n;
			while (*v == ' ')
				v++;
			size_t l = strcspn(v, "\r");
			snprintf(value, sizeof value, "%.*s", (int)l, v);
			return value;
		}
	}
	return NULL;
}

/* A request without a body. */
static live_resp live_get(const char *method, const char *path,
			  const char *extra_headers)
{
	int fd = live_connect();
	char req_text[1024];
	snprintf(req_text, sizeof req_text,
		 "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n",
		 method, path, extra_headers ? extra_headers : "");
	assert_true(send_all(fd, req_text, strlen(req_text)));
	return read_reply(fd);
}

/* A multipart body: a text field, then a file of file_len upload bytes,
 * closed properly; malloc'd, *n its length. */
static char *upload_body(size_t file_len, size_t *n)
{
	char head[512];
	int hl = snprintf(head, sizeof head,
			  "--%s\r\n"
			  "Content-Disposition: form-data; "
			  "name=\"description\"\r\n\r\n"
			  "a cat\r\n"
			  "--%s\r\n"
			  "Content-Disposition: form-data; name=\"file\"; "
			  "filename=\"cat.bin\"\r\n"
			  "Content-Type: application/octet-stream\r\n\r\n",
			  LIVE_BOUNDARY, LIVE_BOUNDARY);
	char tail[128];
	int tl = snprintf(tail, sizeof tail, "\r\n--%s--\r\n", LIVE_BOUNDARY);
	*n = (size_t)hl + file_len + (size_t)tl;
	char *body = malloc(*n);
	assert_non_null(body);
	memcpy(body, head, (size_t)hl);
	for (size_t i = 0; i < file_len; i++)
		body[hl + i] = (char)upload_byte(i);
	memcpy(body + hl + file_len, tail, (size_t)tl);
	return body;
}

static void send_request_head(int fd, const char *method, const char *path,
			      const char *ctype, size_t len)
{
	char head[512];
	snprintf(head, sizeof head,
		 "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		 "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		 method, path, ctype, len);
	assert_true(send_all(fd, head, strlen(head)));
}

/* POST body in LIVE_SEND_STEP pieces; the closing delimiter goes out in
 * two halves with a pause between, so the server sees it split. */
static live_resp live_upload(const char *path, const char *body, size_t n)
{
	char ctype[128];
	snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s",
		 LIVE_BOUNDARY);
	int fd = live_connect();
	send_request_head(fd, "POST", path, ctype, n);
	size_t cut = n - 12; /* inside "\r\n--boundary--\r\n" */
	for (size_t i = 0; i < cut; i += LIVE_SEND_STEP) {
		size_t step =
			cut - i < LIVE_SEND_STEP ? cut - i : LIVE_SEND_STEP;
		if (!send_all(fd, body + i, step))
			break;
	}
	usleep(20000);
	send_all(fd, body + cut, n - cut);
	return read_reply(fd);
}

/* Wait until dir is empty; false if it is not within LIVE_WAIT_MS. */
static bool wait_dir_empty(const char *dir)
{
	for (int ms = 0; ms < LIVE_WAIT_MS; ms += 10) {
		if (dir_entries(dir) == 0)
			return true;
		usleep(10000);
	}
	return false;
}

static bool wait_dir_nonempty(const char *dir)
{
	for (int ms = 0; ms < LIVE_WAIT_MS; ms += 10) {
		if (dir_entries(dir) > 0)
			return true;
		usleep(10000);
	}
	return false;
}

static json_t *resp_json(const live_resp *r)
{
	json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
	if (!j)
		fail_msg("not JSON: %.*s", (int)r->body_len, r->body);
	return j;
}

static void assert_error_body(const live_resp *r, const char *prefix)
{
	json_t *j = resp_json(r);
	const char *msg = json_string_value(json_object_get(j, "error"));
	assert_non_null(msg);
	if (strncmp(msg, prefix, strlen(prefix)))
		fail_msg("error \"%s\" does not start with \"%s\"", msg,
			 prefix);
	json_decref(j);
}

/* Deferred work runs off the I/O threads: while four slow requests are
 * being worked on (more than there are I/O threads), a fast one is
 * answered at once, and every slow one gets its own reply. */
static void test_live_deferred_work_leaves_io_threads_free(void **state)
{
	enum { SLOW = 4 };
	int fds[SLOW];
	for (int i = 0; i < SLOW; i++) {
		fds[i] = live_connect();
		const char *req = "GET /slow HTTP/1.1\r\nHost: t\r\n"
				  "Connection: close\r\n\r\n";
		assert_true(send_all(fds[i], req, strlen(req)));
	}
	struct timespec settle = {0, 50 * 1000000L};
	nanosleep(&settle, NULL); /* the slow ones are in the work queue */
	int64_t t0 = time_mono_ns();
	live_resp fast = live_get("GET", "/fast", NULL);
	int64_t fast_ms = (time_mono_ns() - t0) / 1000000;
	assert_int_equal(fast.status, 200);
	assert_int_equal(fast.body_len, 4);
	assert_true(fast_ms < LIVE_SLOW_MS / 2);
	live_resp_free(&fast);
	for (int i = 0; i < SLOW; i++) {
		live_resp slow = read_reply(fds[i]);
		assert_int_equal(slow.status, 200);
		assert_int_equal(slow.body_len, 4);
		assert_memory_equal(slow.body, "slow", 4);
		live_resp_free(&slow);
	}
}

/* A pool's queue is bounded: with its one thread busy and its one
 * waiting place taken, a third request is refused at once (the handler
 * answers 429), while both accepted ones get their replies; pool 0
 * (http_defer) is not held up by it. */
static void test_live_pool_refuses_past_its_queue(void **state)
{
	enum { SENT = 3 };
	int fds[SENT];
	const char *req = "GET /pooled HTTP/1.1\r\nHost: t\r\n"
			  "Connection: close\r\n\r\n";
	struct timespec settle = {0, 50 * 1000000L};
	for (int i = 0; i < SENT; i++) {
		fds[i] = live_connect();
		assert_true(send_all(fds[i], req, strlen(req)));
		nanosleep(&settle, NULL); /* in order: running, waiting, … */
	}
	live_resp refused = read_reply(fds[SENT - 1]);
	assert_int_equal(refused.status, 429);
	live_resp_free(&refused);
	live_resp other = live_get("GET", "/slow", NULL);
	assert_int_equal(other.status, 200);
	live_resp_free(&other);
	for (int i = 0; i < SENT - 1; i++) {
		live_resp r = read_reply(fds[i]);
		assert_int_equal(r.status, 200);
		assert_memory_equal(r.body, "pool", 4);
		live_resp_free(&r);
	}
	/* the queue drained: room again */
	live_resp again = live_get("GET", "/pooled", NULL);
	assert_int_equal(again.status, 200);
	live_resp_free(&again);
}

static void test_live_upload_streams_byte_exact_and_is_removed(void **state)
{
	size_t n;
	char *body = upload_body(LIVE_UPLOAD_BYTES, &n);
	live_resp r = live_upload("/upload", body, n);
	free(body);
	assert_int_equal(r.status, 200);
	json_t *j = resp_json(&r);
	json_t *file = json_object_get(j, "file");
	assert_non_null(file);
	assert_int_equal(json_integer_value(json_object_get(file, "len")),
			 LIVE_UPLOAD_BYTES);
	assert_true(json_is_true(json_object_get(file, "has_path")));
	assert_true(json_is_true(json_object_get(file, "bytes_ok")));
	assert_true(json_is_true(json_object_get(file, "mode_ok")));
	assert_string_equal(
		json_string_value(json_object_get(file, "filename")),
		"cat.bin");
	assert_string_equal(
		json_string_value(json_object_get(file, "content_type")),
		"application/octet-stream");
	const char *path = json_string_value(json_object_get(file, "path"));
	assert_true(!strncmp(path, live.upload_dir, strlen(live.upload_dir)));
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(j, "description"), "value")),
		"a cat");
	assert_true(wait_dir_empty(live.upload_dir));
	json_decref(j);
	live_resp_free(&r);
}

static void test_live_upload_renamed_by_handler_is_kept(void **state)
{
	size_t n;
	char *body = upload_body(100000, &n);
	live_resp r = live_upload("/upload/keep", body, n);
	free(body);
	assert_int_equal(r.status, 200);
	json_t *j = resp_json(&r);
	const char *kept = json_string_value(json_object_get(j, "kept"));
	assert_non_null(kept);
	assert_true(wait_dir_empty(live.upload_dir));
	assert_true(file_holds_upload(kept, 100000));
	unlink(kept);
	json_decref(j);
	live_resp_free(&r);
}

static void test_live_malformed_upload_is_400_and_leaves_no_file(void **state)
{
	size_t n;
	char *body = upload_body(500000, &n);
	/* break the closing delimiter: "--" becomes "XX" */
	body[n - 4] = 'X';
	body[n - 3] = 'X';
	live_resp r = live_upload("/upload", body, n);
	assert_int_equal(r.status, 400);
	assert_error_body(&r, "Invalid multipart body: ");
	live_resp_free(&r);
	assert_true(wait_dir_empty(live.upload_dir));
	/* cut short: the part never ends */
	r = live_upload("/upload", body, n - 200);
	assert_int_equal(r.status, 400);
	assert_error_body(&r, "Invalid multipart body: unterminated part");
	live_resp_free(&r);
	free(body);
	assert_true(wait_dir_empty(live.upload_dir));
}

static void test_live_upload_without_boundary_is_400(void **state)
{
	int fd = live_connect();
	send_request_head(fd, "POST", "/upload", "multipart/form-data", 4);
	send_all(fd, "abcd", 4);
	live_resp r = read_reply(fd);
	assert_int_equal(r.status, 400);
	assert_error_body(&r, "Invalid multipart body: missing boundary");
	live_resp_free(&r);
}

/* A declared length over the limit is refused before the body is read. */
static void test_live_declared_length_over_limit_is_413(void **state)
{
	char ctype[128];
	snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s",
		 LIVE_BOUNDARY);
	int fd = live_connect();
	send_request_head(fd, "POST", "/upload", ctype, LIVE_MAX_UPLOAD + 1);
	live_resp r = read_reply(fd);
	assert_int_equal(r.status, 413);
	assert_error_body(&r, "Request body too large");
	live_resp_free(&r);
	assert_int_equal(dir_entries(live.upload_dir), 0);
}

/* Chunked, with no length to refuse up front: the limit is found while
 * streaming, the partial temp file goes, the rest is read and dropped and
 * the 413 follows (libmicrohttpd 0.9 cannot reply mid-body). */
static void test_live_streamed_body_over_limit_is_413(void **state)
{
	char head[256];
	snprintf(head, sizeof head,
		 "POST /upload HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		 "Content-Type: multipart/form-data; boundary=%s\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
		 LIVE_BOUNDARY);
	int fd = live_connect();
	assert_true(send_all(fd, head, strlen(head)));
	size_t n;
	char *body = upload_body(LIVE_MAX_UPLOAD + 100000, &n);
	bool sent_all = true;
	for (size_t i = 0; i < n && sent_all; i += 65536) {
		size_t step = n - i < 65536 ? n - i : 65536;
		char size_line[32];
		snprintf(size_line, sizeof size_line, "%zx\r\n", step);
		sent_all = send_all(fd, size_line, strlen(size_line)) &&
			   send_all(fd, body + i, step) &&
			   send_all(fd, "\r\n", 2);
	}
	if (sent_all)
		send_all(fd, "0\r\n\r\n", 5);
	free(body);
	assert_true(sent_all);
	live_resp r = read_reply(fd);
	assert_int_equal(r.status, 413);
	assert_error_body(&r, "Request body too large");
	live_resp_free(&r);
	assert_true(wait_dir_empty(live.upload_dir));
}

static void test_live_client_gone_mid_upload_leaves_no_file(void **state)
{
	size_t n;
	char *body = upload_body(LIVE_UPLOAD_BYTES, &n);
	char ctype[128];
	snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s",
		 LIVE_BOUNDARY);
	int fd = live_connect();
	send_request_head(fd, "POST", "/upload", ctype, n);
	assert_true(send_all(fd, body, n / 3));
	free(body);
	/* the temp file exists while the upload is under way… */
	assert_true(wait_dir_nonempty(live.upload_dir));
	close(fd);
	/* …and goes when the client does */
	assert_true(wait_dir_empty(live.upload_dir));
}

/* An upload route still takes JSON (PUT /api/v1/media/:id), buffered. */
static void test_live_upload_route_takes_json_body(void **state)
{
	static const char json_body[] = "{\"description\":\"alt\"}";
	int fd = live_connect();
	send_request_head(fd, "PUT", "/upload", "application/json",
			  sizeof json_body - 1);
	send_all(fd, json_body, sizeof json_body - 1);
	live_resp r = read_reply(fd);
	assert_int_equal(r.status, 200);
	json_t *j = resp_json(&r);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(j, "description"), "value")),
		"alt");
	json_decref(j);
	live_resp_free(&r);
}

/* Other routes keep buffering multipart in memory under max_body_bytes. */
static void test_live_plain_route_keeps_files_in_memory(void **state)
{
	size_t n;
	char *body = upload_body(1000, &n);
	live_resp r = live_upload("/plain", body, n);
	free(body);
	assert_int_equal(r.status, 200);
	json_t *j = resp_json(&r);
	json_t *file = json_object_get(j, "file");
	assert_true(json_is_false(json_object_get(file, "has_path")));
	assert_true(json_is_true(json_object_get(file, "bytes_ok")));
	assert_int_equal(json_integer_value(json_object_get(file, "len")),
			 1000);
	json_decref(j);
	live_resp_free(&r);
	assert_int_equal(dir_entries(live.upload_dir), 0);
	/* and the old limit still holds there */
	body = upload_body(LIVE_MAX_BODY, &n);
	r = live_upload("/plain", body, n);
	free(body);
	assert_int_equal(r.status, 413);
	live_resp_free(&r);
}

static void assert_served_bytes(const live_resp *r, size_t first, size_t len)
{
	assert_int_equal(r->body_len, len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)r->body[i] != served_byte(first + i))
			fail_msg("byte %zu of the range differs", i);
}

static void test_live_file_whole_with_validators(void **state)
{
	live_resp r = live_get("GET", "/media/file", NULL);
	assert_int_equal(r.status, 200);
	assert_served_bytes(&r, 0, LIVE_SERVED_BYTES);
	assert_string_equal(resp_header(&r, "Content-Length"), "1048576");
	assert_string_equal(resp_header(&r, "Content-Type"), "video/mp4");
	assert_string_equal(resp_header(&r, "ETag"), "\"v1\"");
	assert_string_equal(resp_header(&r, "Accept-Ranges"), "bytes");
	assert_string_equal(resp_header(&r, "Cache-Control"),
			    "public, max-age=31536000, immutable");
	assert_string_equal(resp_header(&r, "Access-Control-Allow-Origin"),
			    "*");
	assert_non_null(strstr(resp_header(&r, "Last-Modified"), " GMT"));
	live_resp_free(&r);
}

static void test_live_file_ranges(void **state)
{
	live_resp r = live_get("GET", "/media/file", "Range: bytes=0-99\r\n");
	assert_int_equal(r.status, 206);
	assert_string_equal(resp_header(&r, "Content-Range"),
			    "bytes 0-99/1048576");
	assert_served_bytes(&r, 0, 100);
	live_resp_free(&r);

	r = live_get("GET", "/media/file", "Range: bytes=100-\r\n");
	assert_int_equal(r.status, 206);
	assert_string_equal(resp_header(&r, "Content-Range"),
			    "bytes 100-1048575/1048576");
	assert_served_bytes(&r, 100, LIVE_SERVED_BYTES - 100);
	live_resp_free(&r);

	r = live_get("GET", "/media/file", "Range: bytes=-100\r\n");
	assert_int_equal(r.status, 206);
	assert_string_equal(resp_header(&r, "Content-Range"),
			    "bytes 1048476-1048575/1048576");
	assert_served_bytes(&r, LIVE_SERVED_BYTES - 100, 100);
	live_resp_free(&r);
}

static void test_live_file_unsatisfiable_range_is_416(void **state)
{
	live_resp r =
		live_get("GET", "/media/file", "Range: bytes=2000000-\r\n");
	assert_int_equal(r.status, 416);
	assert_string_equal(resp_header(&r, "Content-Range"),
			    "bytes */1048576");
	live_resp_free(&r);
}

static void test_live_file_invalid_or_several_ranges_get_200(void **state)
{
	static const char *const headers[] = {
		"Range: bytes=5-2\r\n",
		"Range: items=0-1\r\n",
		"Range: bytes=0-9,500-599\r\n",
	};
	for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
		live_resp r = live_get("GET", "/media/file", headers[i]);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.body_len, LIVE_SERVED_BYTES);
		assert_null(resp_header(&r, "Content-Range"));
		live_resp_free(&r);
	}
	/* overlapping ranges merge into one */
	live_resp r =
		live_get("GET", "/media/file", "Range: bytes=0-99,50-199\r\n");
	assert_int_equal(r.status, 206);
	assert_served_bytes(&r, 0, 200);
	live_resp_free(&r);
}

static void test_live_file_if_none_match_is_304(void **state)
{
	live_resp r = live_get("GET", "/media/file",
			       "If-None-Match: \"other\", W/\"v1\"\r\n");
	assert_int_equal(r.status, 304);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(resp_header(&r, "ETag"), "\"v1\"");
	/* RFC 9110 §8.6: a 304 may only state the 200's length */
	assert_string_equal(resp_header(&r, "Content-Length"), "1048576");
	live_resp_free(&r);
	r = live_get("GET", "/media/file", "If-None-Match: \"v2\"\r\n");
	assert_int_equal(r.status, 200);
	live_resp_free(&r);
}

static void test_live_file_if_modified_since(void **state)
{
	live_resp first = live_get("HEAD", "/media/file", NULL);
	char hdr[256];
	snprintf(hdr, sizeof hdr, "If-Modified-Since: %s\r\n",
		 resp_header(&first, "Last-Modified"));
	live_resp_free(&first);
	live_resp r = live_get("GET", "/media/file", hdr);
	assert_int_equal(r.status, 304);
	live_resp_free(&r);
	r = live_get("GET", "/media/file",
		     "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
	assert_int_equal(r.status, 200);
	live_resp_free(&r);
}

static void test_live_file_if_range(void **state)
{
	live_resp r = live_get("GET", "/media/file",
			       "Range: bytes=0-9\r\nIf-Range: \"v1\"\r\n");
	assert_int_equal(r.status, 206);
	assert_served_bytes(&r, 0, 10);
	live_resp_free(&r);
	/* a different or weak tag: the file changed, send all of it */
	r = live_get("GET", "/media/file",
		     "Range: bytes=0-9\r\nIf-Range: \"v0\"\r\n");
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, LIVE_SERVED_BYTES);
	live_resp_free(&r);
	r = live_get("GET", "/media/file",
		     "Range: bytes=0-9\r\nIf-Range: W/\"v1\"\r\n");
	assert_int_equal(r.status, 200);
	live_resp_free(&r);
	/* by date: the exact Last-Modified */
	live_resp head = live_get("HEAD", "/media/file", NULL);
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Range: bytes=0-9\r\nIf-Range: %s\r\n",
		 resp_header(&head, "Last-Modified"));
	live_resp_free(&head);
	r = live_get("GET", "/media/file", hdr);
	assert_int_equal(r.status, 206);
	live_resp_free(&r);
	r = live_get("GET", "/media/file",
		     "Range: bytes=0-9\r\n"
		     "If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
	assert_int_equal(r.status, 200);
	live_resp_free(&r);
}

static void test_live_file_head_has_headers_only(void **state)
{
	live_resp r = live_get("HEAD", "/media/file", NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(resp_header(&r, "Content-Length"), "1048576");
	assert_string_equal(resp_header(&r, "ETag"), "\"v1\"");
	live_resp_free(&r);
	r = live_get("HEAD", "/media/file", "Range: bytes=0-99\r\n");
	assert_int_equal(r.status, 206);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(resp_header(&r, "Content-Length"), "100");
	live_resp_free(&r);
}

/* A 304 or HEAD states the file's length but sends no body, so the next
 * response on a kept-alive connection starts right after the headers. */
static void test_live_file_bodyless_replies_keep_connection_usable(void **state)
{
	static const char *const first[] = {
		"GET /media/file HTTP/1.1\r\nHost: t\r\n"
		"If-None-Match: \"v1\"\r\n\r\n",
		"HEAD /media/file HTTP/1.1\r\nHost: t\r\n\r\n",
		"HEAD /media/file HTTP/1.1\r\nHost: t\r\n"
		"Range: bytes=5-\r\n\r\n",
	};
	static const char second[] = "GET /media/file HTTP/1.1\r\nHost: t\r\n"
				     "Range: bytes=0-9\r\n"
				     "Connection: close\r\n\r\n";
	for (size_t i = 0; i < sizeof first / sizeof *first; i++) {
		int fd = live_connect();
		assert_true(send_all(fd, first[i], strlen(first[i])));
		assert_true(send_all(fd, second, sizeof second - 1));
		live_resp r = read_reply(fd);
		assert_true(r.status == 304 || r.status == 200 ||
			    r.status == 206);
		/* the first reply's "body" is the whole second reply */
		assert_true(!strncmp(r.body, "HTTP/1.1 206", 12));
		char *end = strstr(r.body, "\r\n\r\n");
		assert_non_null(end);
		size_t second_body = r.body_len - (size_t)(end + 4 - r.body);
		assert_int_equal(second_body, 10);
		live_resp_free(&r);
	}
}

static void test_live_file_missing_or_not_regular_is_404(void **state)
{
	live_resp r = live_get("GET", "/media/missing", NULL);
	assert_int_equal(r.status, 404);
	assert_error_body(&r, "Not found");
	live_resp_free(&r);
	r = live_get("GET", "/media/dir", NULL);
	assert_int_equal(r.status, 404);
	live_resp_free(&r);
}

int main(void)
{
#define HTTP_TEST(f)                                                           \
	cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
	const struct CMUnitTest tests[] = {
		HTTP_TEST(test_form_decodes_plus_and_percent),
		HTTP_TEST(test_form_value_may_be_empty_or_missing),
		HTTP_TEST(test_form_percent_encoded_value_keeps_length),
		HTTP_TEST(test_form_bracket_list),
		HTTP_TEST(test_form_percent_encoded_brackets_are_a_list),
		HTTP_TEST(test_form_indexed_list),
		HTTP_TEST(test_form_nested_list),
		HTTP_TEST(test_form_key_with_bracket_never_opened_is_plain),
		HTTP_TEST(test_list_of_absent_key_is_empty),
		HTTP_TEST(test_missing_content_type_is_form),
		HTTP_TEST(test_unknown_content_type_is_ignored),
		HTTP_TEST(test_json_scalars_become_strings),
		HTTP_TEST(test_json_content_type_with_charset),
		HTTP_TEST(test_json_array_is_list),
		HTTP_TEST(test_json_nested_object_becomes_bracket_keys),
		HTTP_TEST(test_json_array_of_objects_is_indexed),
		HTTP_TEST(test_json_nul_escape_is_an_error),
		HTTP_TEST(test_json_malformed_is_an_error),
		HTTP_TEST(test_json_non_object_is_an_error),
		HTTP_TEST(test_multipart_text_fields_and_binary_file),
		HTTP_TEST(test_multipart_quoted_boundary),
		HTTP_TEST(test_multipart_missing_boundary_is_an_error),
		HTTP_TEST(test_multipart_absent_boundary_is_an_error),
		HTTP_TEST(test_multipart_unterminated_part_is_an_error),
		HTTP_TEST(test_multipart_unterminated_headers_is_an_error),
		HTTP_TEST(test_multipart_part_without_name_is_an_error),
		HTTP_TEST(test_json_depth_counts_objects_and_arrays),
		HTTP_TEST(test_json_depth_ignores_brackets_in_strings),
		HTTP_TEST(test_params_past_the_limit_are_dropped_and_flagged),
		HTTP_TEST(test_json_members_count_even_when_null),
		HTTP_TEST(test_json_too_deep_is_an_error_before_parsing),
		HTTP_TEST(
			test_list_longest_finds_the_longest_list_whatever_the_order),
		HTTP_TEST(test_list_items_past_the_limit_name_their_key),
		HTTP_TEST(test_json_array_items_count_as_list_items),
		HTTP_TEST(test_rails_booleans),
		HTTP_TEST(test_json_booleans_work_with_param_bool),
		HTTP_TEST(test_body_params_win_over_query_params),
		HTTP_TEST(test_body_params_win_whatever_the_order),
		HTTP_TEST(test_route_literal_beats_param),
		HTTP_TEST(test_route_param_is_extracted),
		HTTP_TEST(test_route_two_params_in_order),
		HTTP_TEST(test_route_wrong_method_is_null),
		HTTP_TEST(test_route_segment_count_must_match),
		HTTP_TEST(test_route_too_many_segments_is_null),
		HTTP_TEST(test_url_with_keeps_query_and_drops_cursors),
		HTTP_TEST(test_url_with_no_query_starts_with_question_mark),
		HTTP_TEST(test_url_with_replaces_existing_key),
		HTTP_TEST(test_multipart_stream_any_split_matches_whole),
		HTTP_TEST(test_multipart_stream_file_part_goes_to_temp_file),
		HTTP_TEST(test_multipart_stream_renamed_file_survives_cleanup),
		HTTP_TEST(test_multipart_stream_malformed_leaves_no_file),
		HTTP_TEST(test_multipart_stream_empty_body_is_no_body),
		HTTP_TEST(test_multipart_stream_field_over_cap_is_413),
		HTTP_TEST(test_multipart_stream_memory_budget_is_413),
		HTTP_TEST(test_multipart_stream_preamble_padding_epilogue),
		HTTP_TEST(test_multipart_stream_headers_too_long_is_an_error),
		HTTP_TEST(test_multipart_boundary_with_newline_is_refused),
		cmocka_unit_test(test_range_first_last),
		cmocka_unit_test(test_range_open_ended),
		cmocka_unit_test(test_range_suffix),
		cmocka_unit_test(test_range_last_past_the_end_is_clamped),
		cmocka_unit_test(test_range_whitespace_and_case),
		cmocka_unit_test(test_range_several_are_sorted),
		cmocka_unit_test(test_range_overlapping_and_adjacent_merge),
		cmocka_unit_test(test_range_empty_list_elements_are_skipped),
		cmocka_unit_test(
			test_range_first_past_the_end_is_unsatisfiable),
		cmocka_unit_test(test_range_suffix_zero_is_unsatisfiable),
		cmocka_unit_test(test_range_unsatisfiable_parts_are_dropped),
		cmocka_unit_test(test_range_invalid_is_ignored),
		cmocka_unit_test(test_range_more_than_max_is_ignored),
		cmocka_unit_test(test_range_of_empty_file_is_ignored),
		/* last: under ASan a failure here aborts the run */
		HTTP_TEST(test_multipart_parse_is_thread_safe),
	};
	const struct CMUnitTest live_tests[] = {
		cmocka_unit_test(
			test_live_deferred_work_leaves_io_threads_free),
		cmocka_unit_test(test_live_pool_refuses_past_its_queue),
		cmocka_unit_test(
			test_live_upload_streams_byte_exact_and_is_removed),
		cmocka_unit_test(test_live_upload_renamed_by_handler_is_kept),
		cmocka_unit_test(
			test_live_malformed_upload_is_400_and_leaves_no_file),
		cmocka_unit_test(test_live_upload_without_boundary_is_400),
		cmocka_unit_test(test_live_declared_length_over_limit_is_413),
		cmocka_unit_test(test_live_streamed_body_over_limit_is_413),
		cmocka_unit_test(
			test_live_client_gone_mid_upload_leaves_no_file),
		cmocka_unit_test(test_live_upload_route_takes_json_body),
		cmocka_unit_test(test_live_plain_route_keeps_files_in_memory),
		cmocka_unit_test(test_live_file_whole_with_validators),
		cmocka_unit_test(test_live_file_ranges),
		cmocka_unit_test(test_live_file_unsatisfiable_range_is_416),
		cmocka_unit_test(
			test_live_file_invalid_or_several_ranges_get_200),
		cmocka_unit_test(test_live_file_if_none_match_is_304),
		cmocka_unit_test(test_live_file_if_modified_since),
		cmocka_unit_test(test_live_file_if_range),
		cmocka_unit_test(test_live_file_head_has_headers_only),
		cmocka_unit_test(
			test_live_file_bodyless_replies_keep_connection_usable),
		cmocka_unit_test(test_live_file_missing_or_not_regular_is_404),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("live server", live_tests,
					      live_setup, live_teardown);
	return failed;
}
