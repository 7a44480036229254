/* test_web_html.c — the web's one HTML writer: every %s argument escaped
 * for text and attributes, numbers as printf writes them, markup only from
 * the format; and the blurhash decoder behind sensitive media. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "media/media.h"
#include "web/web.h"

#include <string.h>

static arena test_arena;

static int test_setup(void **state)
{
	arena_init(&test_arena);
	return 0;
}

static int test_teardown(void **state)
{
	arena_release(&test_arena);
	return 0;
}

static buf fresh(void)
{
	buf b;
	buf_init(&b, &test_arena);
	return b;
}

static void test_html_escapes_every_special_character(void **state)
{
	buf b = fresh();
	html(&b, "<p title=\"%s\">%s</p>", "\"><script>alert(1)</script>",
	     "a & b < c > d ' e");
	assert_string_equal(b.data,
			    "<p title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/"
			    "script&gt;\">a &amp; b &lt; c &gt; d &#39; e</p>");
}

static void test_html_single_quoted_attribute_cannot_be_left(void **state)
{
	buf b = fresh();
	html(&b, "<a href='%s'>", "x' onmouseover='alert(1)");
	assert_string_equal(b.data,
			    "<a href='x&#39; onmouseover=&#39;alert(1)'>");
}

static void test_html_keeps_utf8_and_markup_of_the_format(void **state)
{
	buf b = fresh();
	html(&b, "<b>%s</b>", "Yo también 🤝 #MeToo");
	assert_string_equal(b.data, "<b>Yo también 🤝 #MeToo</b>");
}

static void test_html_numbers_and_percent(void **state)
{
	buf b = fresh();
	html(&b, "%d %ld %lld %zu %u %x %05d 100%%", -1, 2L, 3LL, (size_t)4, 5u,
	     255u, 42);
	assert_string_equal(b.data, "-1 2 3 4 5 ff 00042 100%");
}

static void test_html_null_string_writes_nothing(void **state)
{
	buf b = fresh();
	const char *volatile none = NULL; /* not a constant gcc sees */
	html(&b, "[%s]", none);
	assert_string_equal(b.data, "[]");
}

static void test_html_text_replaces_nul_bytes(void **state)
{
	buf b = fresh();
	html_text(&b, "a\0b", 3);
	assert_string_equal(b.data, "a\xEF\xBF\xBD"
				    "b");
}

static void test_url_encode_leaves_only_unreserved(void **state)
{
	assert_string_equal(html_url_encode(&test_arena, "a b/c?d=e&f\"<é"),
			    "a%20b%2Fc%3Fd%3De%26f%22%3C%C3%A9");
	assert_string_equal(html_url_encode(&test_arena, ""), "");
	assert_string_equal(html_url_encode(&test_arena, "AZaz09-._~"),
			    "AZaz09-._~");
}

static void test_blurhash_round_trip_keeps_the_average_colour(void **state)
{
	enum { W = 16, H = 12 };
	unsigned char rgb[W * H * 3];
	for (int i = 0; i < W * H; i++) {
		rgb[i * 3] = 200;
		rgb[i * 3 + 1] = 40;
		rgb[i * 3 + 2] = 90;
	}
	/* the average alone (one component) comes back exactly */
	char hash[64];
	assert_int_equal(
		media_blurhash_encode(rgb, W, H, 1, 1, hash, sizeof hash), 0);
	unsigned char out[4 * 3 * 3];
	assert_int_equal(media_blurhash_decode(hash, 4, 3, out), 0);
	for (int i = 0; i < 4 * 3; i++) {
		assert_int_equal(out[i * 3], 200);
		assert_int_equal(out[i * 3 + 1], 40);
		assert_int_equal(out[i * 3 + 2], 90);
	}
	/* with more components the picture varies, the average stays */
	assert_int_equal(
		media_blurhash_encode(rgb, W, H, 4, 3, hash, sizeof hash), 0);
	assert_int_equal(media_blurhash_decode(hash, 4, 3, out), 0);
	int sum[3] = {0, 0, 0};
	for (int i = 0; i < 4 * 3; i++)
		for (int c = 0; c < 3; c++)
			sum[c] += out[i * 3 + c];
	assert_in_range(sum[0] / 12, 185, 215);
	assert_in_range(sum[1] / 12, 30, 50);
	assert_in_range(sum[2] / 12, 80, 100);
}

static void test_blurhash_decode_refuses_malformed_hashes(void **state)
{
	unsigned char out[3 * 4 * 4];
	assert_int_equal(media_blurhash_decode(NULL, 4, 4, out), -1);
	assert_int_equal(media_blurhash_decode("", 4, 4, out), -1);
	assert_int_equal(media_blurhash_decode("LEHV6nWB2yk8pyo0adR*.7kCMdnj",
					       0, 4, out),
			 -1);
	/* the size digit says 4x3 components: the length must match */
	assert_int_equal(media_blurhash_decode("LEHV6nWB2yk8", 4, 4, out), -1);
	assert_int_equal(media_blurhash_decode("LEHV6nWB2yk8pyo0adR*.7kCMd\"j",
					       4, 4, out),
			 -1);
	assert_int_equal(media_blurhash_decode("LEHV6nWB2yk8pyo0adR*.7kCMdnj",
					       4, 4, out),
			 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_html_escapes_every_special_character),
		T(test_html_single_quoted_attribute_cannot_be_left),
		T(test_html_keeps_utf8_and_markup_of_the_format),
		T(test_html_numbers_and_percent),
		T(test_html_null_string_writes_nothing),
		T(test_html_text_replaces_nul_bytes),
		T(test_url_encode_leaves_only_unreserved),
		T(test_blurhash_round_trip_keeps_the_average_colour),
		T(test_blurhash_decode_refuses_malformed_hashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
