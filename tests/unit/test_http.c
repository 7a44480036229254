/* test_http.c — request parameters from the three body encodings, Rails
 * booleans, query/body precedence, routing and pagination URLs, all
 * without a running server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/http.h"

#include <pthread.h>
#include <string.h>

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

static const http_route routes[] = {
	{"GET", "/api/v1/accounts/:id", handler_stub, 0, NULL},
	{"GET", "/api/v1/accounts/verify_credentials", handler_stub, 1, "read"},
	{"GET", "/api/v1/accounts/:id/statuses", handler_stub, 0, NULL},
	{"POST", "/api/v1/accounts/:id/follow", handler_stub, 1, "follow"},
	{"GET", "/api/v1/tags/:tag/:kind", handler_stub, 0, NULL},
	{"GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m", handler_stub, 0, NULL},
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
		/* last: under ASan a failure here aborts the run */
		HTTP_TEST(test_multipart_parse_is_thread_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
