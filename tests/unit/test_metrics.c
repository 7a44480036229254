/* test_metrics.c — the /metrics allow list (CIDR matching, config
 * checks), the Prometheus exposition writers, and JSON log escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/cidr.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the allow list ---- */

static struct sockaddr_storage v4(const char *addr)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	in->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *addr)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	in6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
	return ss;
}

/* Whether addr (v4 or v6 text) is allowed by list, which must parse. */
static bool allowed(const char *list, const char *addr)
{
	cidr_list l;
	const char *bad = NULL;
	if (cidr_list_parse(list, &l, &bad) < 0)
		fail_msg("%s: at %s", list, bad ? bad : "?");
	struct sockaddr_storage ss = strchr(addr, ':') ? v6(addr) : v4(addr);
	cidr_addr a;
	assert_true(cidr_addr_from_sockaddr((const struct sockaddr *)&ss, &a));
	bool yes = cidr_list_contains(&l, &a);
	cidr_list_free(&l);
	return yes;
}

static void test_allow_v4_prefix_matches_its_network_only(void **state)
{
	assert_true(allowed("10.1.0.0/16", "10.1.255.7"));
	assert_true(allowed("10.1.0.0/16", "10.1.0.0"));
	assert_false(allowed("10.1.0.0/16", "10.2.0.1"));
	/* a prefix that is not a whole number of bytes */
	assert_true(allowed("192.168.4.0/22", "192.168.7.255"));
	assert_false(allowed("192.168.4.0/22", "192.168.8.0"));
	assert_false(allowed("192.168.4.0/22", "192.168.3.255"));
	/* host bits set in the entry are ignored, as the prefix says */
	assert_true(allowed("10.1.2.3/8", "10.200.0.1"));
}

static void test_allow_edge_prefixes(void **state)
{
	/* /0: everyone of that family, and only of that family */
	assert_true(allowed("0.0.0.0/0", "203.0.113.9"));
	assert_false(allowed("0.0.0.0/0", "2001:db8::1"));
	assert_true(allowed("::/0", "2001:db8::1"));
	assert_false(allowed("::/0", "203.0.113.9"));
	/* /32 and a bare address: one host */
	assert_true(allowed("127.0.0.1/32", "127.0.0.1"));
	assert_false(allowed("127.0.0.1/32", "127.0.0.2"));
	assert_true(allowed("127.0.0.1", "127.0.0.1"));
	assert_false(allowed("127.0.0.1", "127.0.0.2"));
	/* /128 */
	assert_true(allowed("::1/128", "::1"));
	assert_false(allowed("::1/128", "::2"));
	/* /127 differs in the last bit only */
	assert_true(allowed("2001:db8::/127", "2001:db8::1"));
	assert_false(allowed("2001:db8::/127", "2001:db8::2"));
}

static void test_allow_v6_prefix_and_mapped_v4(void **state)
{
	assert_true(allowed("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(allowed("2001:db8::/32", "2001:db9::1"));
	/* an IPv4 client on a dual-stack socket is matched as IPv4 */
	assert_true(allowed("127.0.0.1/32", "::ffff:127.0.0.1"));
	assert_false(allowed("127.0.0.1/32", "::ffff:127.0.0.2"));
	assert_false(allowed("::1/128", "127.0.0.1"));
}

static void test_allow_list_of_several_and_blank_entries(void **state)
{
	const char *list = " 127.0.0.1/32 ,, ::1/128,10.0.0.0/8, ";
	cidr_list l;
	assert_int_equal(cidr_list_parse(list, &l, NULL), 0);
	assert_int_equal(l.n, 3);
	cidr_list_free(&l);
	assert_true(allowed(list, "10.9.9.9"));
	assert_true(allowed(list, "::1"));
	assert_false(allowed(list, "11.0.0.1"));
	/* an empty list allows no one */
	assert_int_equal(cidr_list_parse("", &l, NULL), 0);
	assert_int_equal(l.n, 0);
	assert_false(allowed("", "127.0.0.1"));
}

static void test_allow_malformed_entries_are_refused(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0/33",	   "::1/129",	  "127.0.0.1/",	 "/8",
		"localhost",	   "10.0.0/8",	  "10.0.0.0/-1", "10.0.0.0/8x",
		"1.2.3.4/ 8",	   "1.2.3.4/008", "::1/1280",	 "300.1.1.1",
		"1.2.3.4 5.6.7.8",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cidr_list l;
		const char *at = NULL;
		char list[64];
		snprintf(list, sizeof list, "127.0.0.1/32, %s", bad[i]);
		if (cidr_list_parse(list, &l, &at) != -1)
			fail_msg("accepted %s", bad[i]);
		/* it points at the entry */
		assert_non_null(at);
		assert_int_equal(strncmp(at, bad[i], strlen(bad[i])), 0);
	}
}

/* Load an INI file holding text, with stderr captured into err. */
static int load_config(const char *text, char *err, size_t errlen)
{
	char path[] = "/tmp/chorus-test-metrics-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char errpath[] = "/tmp/chorus-test-metrics-err-XXXXXX";
	int efd = mkstemp(errpath);
	assert_true(efd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(efd, 2);
	int rc = config_load(path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(efd, 0, SEEK_SET);
	ssize_t n = read(efd, err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(efd);
	unlink(path);
	unlink(errpath);
	return rc;
}

static void test_config_refuses_a_bad_allow_list_saying_which(void **state)
{
	char err[512];
	config_defaults();
	assert_string_equal(cfg.metrics_allow, "127.0.0.1/32, ::1/128");
	assert_int_equal(load_config("[metrics]\nallow = 127.0.0.1/32, "
				     "10.0.0.0/40\n",
				     err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "[metrics] allow"));
	assert_non_null(strstr(err, "\"10.0.0.0/40\" is not an IPv4 or IPv6 "
				    "address or network"));
	/* the refused value was not taken */
	assert_string_equal(cfg.metrics_allow, "127.0.0.1/32, ::1/128");
	assert_int_equal(load_config("[metrics]\nallow = 10.0.0.0/8, ::/0\n",
				     err, sizeof err),
			 0);
	assert_string_equal(cfg.metrics_allow, "10.0.0.0/8, ::/0");
	assert_int_equal(config_set("metrics.allow", "nonsense"), -1);
}

static void test_config_log_format_is_text_or_json(void **state)
{
	char err[512];
	config_defaults();
	assert_string_equal(cfg.log_format, "text");
	assert_int_equal(load_config("[log]\nformat = xml\n", err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "must be text or json"));
	assert_int_equal(config_set("log.format", "json"), 0);
	assert_string_equal(cfg.log_format, "json");
}

/* ---- exposition ---- */

typedef struct fixture {
	arena a;
	buf b;
} fixture;

static int buf_setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	arena_init(&f->a);
	buf_init(&f->b, &f->a);
	*state = f;
	return 0;
}

static int buf_teardown(void **state)
{
	fixture *f = *state;
	arena_release(&f->a);
	free(f);
	return 0;
}

static void test_histogram_buckets_are_cumulative(void **state)
{
	fixture *f = *state;
	static const double bounds[] = {0.01, 0.1, 1};
	/* per bucket: 2 under 10 ms, none to 100 ms, 3 to 1 s, 1 above */
	static const uint64_t counts[] = {2, 0, 3, 1};
	static const char *const names[] = {"route"};
	static const char *const values[] = {"/api/v1/statuses/:id"};
	metrics_labels l = {names, values, 1};
	metrics_histogram(&f->b, "t_seconds", &l, bounds, counts, 3, 2.5);
	assert_string_equal(
		f->b.data,
		"t_seconds_bucket{route=\"/api/v1/statuses/:id\",le=\"0.01\"} "
		"2\n"
		"t_seconds_bucket{route=\"/api/v1/statuses/:id\",le=\"0.1\"} "
		"2\n"
		"t_seconds_bucket{route=\"/api/v1/statuses/:id\",le=\"1\"} 5\n"
		"t_seconds_bucket{route=\"/api/v1/statuses/:id\",le=\"+Inf\"} "
		"6\n"
		"t_seconds_sum{route=\"/api/v1/statuses/:id\"} 2.5\n"
		"t_seconds_count{route=\"/api/v1/statuses/:id\"} 6\n");
}

static void test_histogram_without_labels_has_le_alone(void **state)
{
	fixture *f = *state;
	static const double bounds[] = {0.5};
	static const uint64_t counts[] = {0, 0};
	metrics_histogram(&f->b, "h", NULL, bounds, counts, 1, 0);
	assert_string_equal(f->b.data, "h_bucket{le=\"0.5\"} 0\n"
				       "h_bucket{le=\"+Inf\"} 0\n"
				       "h_sum 0\n"
				       "h_count 0\n");
}

static void test_label_values_are_escaped(void **state)
{
	fixture *f = *state;
	static const char *const names[] = {"path", "kind"};
	static const char *const values[] = {"a\"b\\c\nd", "plain"};
	metrics_labels l = {names, values, 2};
	metrics_sample(&f->b, "m_total", &l, 3);
	assert_string_equal(
		f->b.data,
		"m_total{path=\"a\\\"b\\\\c\\nd\",kind=\"plain\"} 3\n");
}

static void test_header_and_values_as_the_format_spells_them(void **state)
{
	fixture *f = *state;
	metrics_header(&f->b, "x", "gauge", "a \\ and\na newline");
	metrics_sample(&f->b, "x", NULL, INFINITY);
	metrics_sample(&f->b, "x", NULL, -INFINITY);
	metrics_sample(&f->b, "x", NULL, NAN);
	metrics_sample(&f->b, "x", NULL, 0.0025);
	metrics_sample(&f->b, "x", NULL, 12345678901.0);
	assert_string_equal(f->b.data, "# HELP x a \\\\ and\\na newline\n"
				       "# TYPE x gauge\n"
				       "x +Inf\n"
				       "x -Inf\n"
				       "x NaN\n"
				       "x 0.0025\n"
				       "x 12345678901\n");
}

static void test_duration_bucket_edges(void **state)
{
	assert_int_equal(metrics_duration_bucket(0), 0);
	/* a bound is inclusive: le means less than or equal */
	assert_int_equal(metrics_duration_bucket(1000000), 0);
	assert_int_equal(metrics_duration_bucket(1000001), 1);
	assert_int_equal(metrics_duration_bucket(5000000000LL),
			 METRICS_DURATION_BUCKETS - 1);
	assert_int_equal(metrics_duration_bucket(5000000001LL),
			 METRICS_DURATION_BUCKETS);
	assert_true(metrics_duration_bounds[0] == 0.001);
	assert_true(metrics_duration_bounds[METRICS_DURATION_BUCKETS - 1] == 5);
}

/* ---- JSON log lines ---- */

static void test_json_escape_any_bytes(void **state)
{
	char out[256];
	log_json_escape("a\"b\\c\n\x01\x7f caf\xc3\xa9 \xf0\x9f\x8e\xb5", out,
			sizeof out);
	assert_string_equal(out, "a\\\"b\\\\c\\u000a\\u0001\\u007f caf\xc3\xa9 "
				 "\xf0\x9f\x8e\xb5");
	/* invalid UTF-8: a lone continuation, an overlong, a surrogate, a
	 * cut sequence, a byte past U+10FFFF */
	log_json_escape("\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xf5", out,
			sizeof out);
	assert_string_equal(out, "\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
				 "\\ufffd\\ufffd|\\ufffd");
}

static void test_json_escape_cuts_at_a_whole_character(void **state)
{
	char out[6];
	/* "ab" + é (2 bytes) fits in 5; the next é does not */
	assert_int_equal(log_json_escape("ab\xc3\xa9\xc3\xa9", out, sizeof out),
			 4);
	assert_string_equal(out, "ab\xc3\xa9");
	/* an escape is never cut in the middle */
	assert_int_equal(log_json_escape("a\n", out, sizeof out), 1);
	assert_string_equal(out, "a");
}

int main(void)
{
#define BUF_TEST(f) cmocka_unit_test_setup_teardown(f, buf_setup, buf_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_v4_prefix_matches_its_network_only),
		cmocka_unit_test(test_allow_edge_prefixes),
		cmocka_unit_test(test_allow_v6_prefix_and_mapped_v4),
		cmocka_unit_test(test_allow_list_of_several_and_blank_entries),
		cmocka_unit_test(test_allow_malformed_entries_are_refused),
		cmocka_unit_test(
			test_config_refuses_a_bad_allow_list_saying_which),
		cmocka_unit_test(test_config_log_format_is_text_or_json),
		BUF_TEST(test_histogram_buckets_are_cumulative),
		BUF_TEST(test_histogram_without_labels_has_le_alone),
		BUF_TEST(test_label_values_are_escaped),
		BUF_TEST(test_header_and_values_as_the_format_spells_them),
		cmocka_unit_test(test_duration_bucket_edges),
		cmocka_unit_test(test_json_escape_any_bytes),
		cmocka_unit_test(test_json_escape_cuts_at_a_whole_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
