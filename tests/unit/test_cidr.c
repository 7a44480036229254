/* test_cidr.c — address ranges (core/cidr) and the client a trusted
 * proxy names in X-Forwarded-For (http_forwarded_client). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/cidr.h"
#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static cidr_addr addr(const char *text)
{
	cidr_addr a;
	assert_true(cidr_addr_parse(text, strlen(text), &a));
	return a;
}

static bool listed(const char *list, const char *text)
{
	cidr_list l;
	assert_int_equal(cidr_list_parse(list, &l, NULL), 0);
	cidr_addr a = addr(text);
	bool in = cidr_list_contains(&l, &a);
	cidr_list_free(&l);
	return in;
}

static void test_addresses_parse_and_format_back(void **state)
{
	(void)state;
	char out[CIDR_ADDR_TEXT];
	cidr_addr a = addr(" 10.1.2.3 ");
	assert_int_equal(a.family, AF_INET);
	cidr_addr_format(&a, out);
	assert_string_equal(out, "10.1.2.3");
	a = addr("2001:db8::1");
	cidr_addr_format(&a, out);
	assert_string_equal(out, "2001:db8::1");
	/* a mapped IPv4 address is the IPv4 address */
	a = addr("::ffff:192.0.2.7");
	assert_int_equal(a.family, AF_INET);
	cidr_addr_format(&a, out);
	assert_string_equal(out, "192.0.2.7");
}

static void test_non_addresses_are_refused(void **state)
{
	(void)state;
	const char *bad[] = {"",	  "unknown",   "1.2.3.4:80", "[::1]",
			     "1.2.3",	  "256.1.1.1", "1.2.3.4/8",  "_hidden",
			     "1.2.3.4 5", "::1::2"};
	cidr_addr a;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_false(cidr_addr_parse(bad[i], strlen(bad[i]), &a));
}

static void test_sockaddr_peers_are_read_and_unmapped(void **state)
{
	(void)state;
	struct sockaddr_in in = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	cidr_addr a;
	assert_true(cidr_addr_from_sockaddr((struct sockaddr *)&in, &a));
	cidr_addr want = addr("127.0.0.1");
	assert_memory_equal(&a, &want, sizeof a);
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
	assert_true(cidr_addr_from_sockaddr((struct sockaddr *)&in6, &a));
	assert_memory_equal(&a, &want, sizeof a);
	struct sockaddr un = {.sa_family = AF_UNIX};
	assert_false(cidr_addr_from_sockaddr(&un, &a));
	assert_false(cidr_addr_from_sockaddr(NULL, &a));
}

static void test_ranges_match_their_prefix_only(void **state)
{
	(void)state;
	assert_true(listed("10.0.0.0/8", "10.255.1.2"));
	assert_false(listed("10.0.0.0/8", "11.0.0.1"));
	assert_true(listed("192.168.4.0/22", "192.168.7.255"));
	assert_false(listed("192.168.4.0/22", "192.168.8.0"));
	assert_true(listed("127.0.0.1", "127.0.0.1"));
	assert_false(listed("127.0.0.1", "127.0.0.2"));
	assert_true(listed("0.0.0.0/0", "8.8.8.8"));
	assert_false(listed("0.0.0.0/0", "::1")); /* families never mix */
	assert_true(listed("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(listed("2001:db8::/32", "2001:db9::1"));
	assert_true(listed("::ffff:10.0.0.0/104", "10.9.9.9"));
	assert_true(listed("::1, 172.16.0.0/12\t , ,127.0.0.1,", "172.31.0.1"));
	assert_true(listed(" 10.0.0.0/8 ", "10.0.0.1"));
	assert_false(listed("", "127.0.0.1"));
	assert_false(cidr_list_contains(NULL, &(cidr_addr){AF_INET, {0}}));
}

static void test_a_bad_list_entry_is_refused_and_named(void **state)
{
	(void)state;
	const char *bad[] = {
		"10.0.0.0/33",	     "::/129",	    "10.0.0.0/", "10.0.0.0/08",
		"10.0.0.1 10.0.0.2", "10.0.0.0/8x", "localhost", "10.0.0.0/-1",
		"::ffff:1.0.0.0/95"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[64];
		snprintf(text, sizeof text, "127.0.0.1, %s", bad[i]);
		cidr_list l = {(cidr_range *)1, 7};
		const char *where = NULL;
		assert_int_equal(cidr_list_parse(text, &l, &where), -1);
		assert_null(l.ranges);
		assert_int_equal(l.n, 0);
		assert_string_equal(where, bad[i]);
	}
}

/* the client a request from peer with header xff is attributed to */
static const char *client_of(const char *peer, const char *xff,
			     const char *trusted, char *out)
{
	cidr_list l;
	assert_int_equal(cidr_list_parse(trusted, &l, NULL), 0);
	cidr_addr a = addr(peer);
	http_forwarded_client(xff, &l, &a);
	cidr_list_free(&l);
	cidr_addr_format(&a, out);
	return out;
}

static void
test_forwarded_for_is_believed_from_trusted_proxies_only(void **state)
{
	(void)state;
	char out[CIDR_ADDR_TEXT];
	assert_string_equal(
		client_of("127.0.0.1", "203.0.113.5", "127.0.0.1", out),
		"203.0.113.5");
	/* an untrusted peer's header is ignored */
	assert_string_equal(
		client_of("198.51.100.1", "203.0.113.5", "127.0.0.1", out),
		"198.51.100.1");
	/* no list, no trust */
	assert_string_equal(client_of("127.0.0.1", "203.0.113.5", "", out),
			    "127.0.0.1");
	/* no header: the proxy itself */
	assert_string_equal(client_of("127.0.0.1", NULL, "127.0.0.1", out),
			    "127.0.0.1");
}

static void test_the_right_most_untrusted_hop_is_the_client(void **state)
{
	(void)state;
	char out[CIDR_ADDR_TEXT];
	/* a client-sent (spoofed) entry on the left is passed over */
	assert_string_equal(client_of("127.0.0.1", "6.6.6.6, 203.0.113.5",
				      "127.0.0.1", out),
			    "203.0.113.5");
	/* trusted hops in the chain are skipped */
	assert_string_equal(client_of("127.0.0.1",
				      "6.6.6.6,203.0.113.5 , 10.0.0.2",
				      "127.0.0.1, 10.0.0.0/8", out),
			    "203.0.113.5");
	/* all trusted: the left-most */
	assert_string_equal(client_of("127.0.0.1", "10.0.0.3, 10.0.0.2",
				      "127.0.0.1, 10.0.0.0/8", out),
			    "10.0.0.3");
	/* garbage ends the walk at the last hop that could be checked */
	assert_string_equal(client_of("127.0.0.1",
				      "203.0.113.5, unknown, 10.0.0.2",
				      "127.0.0.1, 10.0.0.0/8", out),
			    "10.0.0.2");
	assert_string_equal(client_of("127.0.0.1", "junk", "127.0.0.1", out),
			    "127.0.0.1");
	assert_string_equal(client_of("127.0.0.1", "", "127.0.0.1", out),
			    "127.0.0.1");
	assert_string_equal(
		client_of("127.0.0.1", "203.0.113.5,", "127.0.0.1", out),
		"127.0.0.1");
	assert_string_equal(
		client_of("127.0.0.1", "2001:db8::7", "127.0.0.1", out),
		"2001:db8::7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses_parse_and_format_back),
		cmocka_unit_test(test_non_addresses_are_refused),
		cmocka_unit_test(test_sockaddr_peers_are_read_and_unmapped),
		cmocka_unit_test(test_ranges_match_their_prefix_only),
		cmocka_unit_test(test_a_bad_list_entry_is_refused_and_named),
		cmocka_unit_test(
			test_forwarded_for_is_believed_from_trusted_proxies_only),
		cmocka_unit_test(
			test_the_right_most_untrusted_hop_is_the_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
