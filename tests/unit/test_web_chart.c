/* test_web_chart.c — the tag page's SVG chart: thirty bars scaled to the
 * busiest day, a line of voices on the same scale, labels and a data
 * table with formatted numbers, and a title that is data, so escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "web/web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DAYS = 30 };

/* 2025-01-01T00:00:00Z */
static const int64_t first_day = 1735689600000LL;

static arena test_arena;
static int64_t posts[DAYS], voices[DAYS];

static int test_setup(void **state)
{
	arena_init(&test_arena);
	memset(posts, 0, sizeof posts);
	memset(voices, 0, sizeof voices);
	return 0;
}

static int test_teardown(void **state)
{
	arena_release(&test_arena);
	return 0;
}

/* The chart of posts and voices as a NUL-terminated string. */
static const char *draw(const char *title)
{
	buf b;
	buf_init(&b, &test_arena);
	web_chart c = {.id = "tc",
		       .title = title,
		       .posts = posts,
		       .voices = voices,
		       .days = DAYS,
		       .first_day_ms = first_day};
	web_chart_svg(&b, &c);
	buf_putc(&b, '\0');
	return b.data;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p;
	     p = strstr(p + strlen(needle), needle))
		n++;
	return n;
}

/* The value of attribute attr (e.g. " height=\"") of the i-th element
 * starting with tag (e.g. "<rect "). */
static int nth_attr(const char *s, const char *tag, int i, const char *attr)
{
	const char *p = strstr(s, tag);
	for (int k = 0; k < i && p; k++)
		p = strstr(p + 1, tag);
	assert_non_null(p);
	const char *end = strchr(p, '>');
	const char *a = strstr(p, attr);
	assert_true(a && a < end);
	return atoi(a + strlen(attr));
}

static void test_chart_has_thirty_bars_and_thirty_table_rows(void **state)
{
	const char *out = draw("#Movement");
	assert_int_equal(count(out, "<rect "), DAYS);
	assert_int_equal(count(out, "<circle "), DAYS);
	assert_int_equal(count(out, "<tr><th scope=\"row\">"), DAYS);
	assert_int_equal(count(out, "<svg "), 1);
	assert_int_equal(count(out, "</svg>"), 1);
}

static void test_chart_is_labelled_and_scales_to_its_box(void **state)
{
	const char *out = draw("#Movement");
	assert_non_null(strstr(out, "role=\"img\""));
	assert_non_null(strstr(out, "aria-labelledby=\"tc-title tc-desc\""));
	assert_non_null(
		strstr(out, "<title id=\"tc-title\">#Movement</title>"));
	assert_non_null(strstr(out, "<desc id=\"tc-desc\">"));
	assert_non_null(strstr(out, "viewBox=\"0 0 "));
	/* no fixed size: the page decides */
	const char *svg = strstr(out, "<svg ");
	const char *svg_end = strchr(svg, '>');
	const char *w = strstr(svg, " width=");
	assert_true(!w || w > svg_end);
	assert_non_null(strstr(out, "<table class=\"sr-only\">"));
	assert_non_null(strstr(out, "class=\"posts\""));
	assert_non_null(strstr(out, "class=\"voices\""));
	assert_non_null(strstr(out, "currentColor"));
	/* the first and the last day label the time axis */
	assert_non_null(strstr(out, ">2025-01-01</text>"));
	assert_non_null(strstr(out, ">2025-01-30</text>"));
}

static void test_chart_of_all_zeros_draws_flat(void **state)
{
	const char *out = draw("#quiet");
	for (int i = 0; i < DAYS; i++)
		assert_int_equal(nth_attr(out, "<rect ", i, " height=\""), 0);
	/* every voice on the baseline */
	int base = nth_attr(out, "<circle ", 0, " cy=\"");
	for (int i = 1; i < DAYS; i++)
		assert_int_equal(nth_attr(out, "<circle ", i, " cy=\""), base);
	assert_non_null(strstr(out, "text-anchor=\"end\">0</text>"));
}

static void test_one_spike_fills_the_height_alone(void **state)
{
	posts[12] = 50;
	voices[12] = 7;
	const char *out = draw("#spike");
	int top = nth_attr(out, "<rect ", 12, " height=\"");
	assert_true(top > 100);
	for (int i = 0; i < DAYS; i++)
		if (i != 12)
			assert_int_equal(
				nth_attr(out, "<rect ", i, " height=\""), 0);
	/* the bar reaches the top line, where the max is labelled */
	int y = nth_attr(out, "<rect ", 12, " y=\"");
	int top_line = nth_attr(out, "<line ", 1, " y1=\"");
	assert_int_equal(y, top_line);
	assert_non_null(strstr(out, ">50</text>"));
	assert_non_null(strstr(out, "2025-01-13: 50</title>"));
}

static void test_bars_and_voices_share_the_scale_of_the_max(void **state)
{
	posts[0] = 100;
	posts[1] = 50;
	posts[2] = 25;
	voices[0] = 40;
	const char *out = draw("#scale");
	int full = nth_attr(out, "<rect ", 0, " height=\"");
	assert_int_equal(nth_attr(out, "<rect ", 1, " height=\""),
			 (full + 1) / 2);
	int quarter = nth_attr(out, "<rect ", 2, " height=\"");
	assert_true(abs(quarter * 4 - full) <= 2);
	int base = nth_attr(out, "<circle ", 1, " cy=\"");
	int v = base - nth_attr(out, "<circle ", 0, " cy=\"");
	assert_true(abs(v * 10 - full * 4) <= 5); /* 40 % of the height */
	/* a higher voice count sets the scale too */
	memset(posts, 0, sizeof posts);
	voices[3] = 10;
	posts[3] = 5;
	out = draw("#voices");
	assert_non_null(strstr(out, ">40</text>"));
}

static void test_numbers_are_grouped_and_axis_compact(void **state)
{
	posts[DAYS - 1] = 1234567;
	voices[DAYS - 1] = 4321;
	const char *out = draw("#big");
	assert_non_null(strstr(out, "<td>1,234,567</td><td>4,321</td>"));
	assert_non_null(strstr(out, ">1.2M</text>"));
	assert_non_null(strstr(out, "1,234,567 posts by 4,321 people"));
	posts[DAYS - 1] = 56789;
	out = draw("#mid");
	assert_non_null(strstr(out, ">56k</text>"));
	assert_non_null(strstr(out, "<td>56,789</td>"));
}

static void test_title_is_escaped_everywhere(void **state)
{
	const char *out = draw("#x\"><script>alert(1)</script>");
	assert_null(strstr(out, "<script"));
	assert_int_equal(count(out, "&lt;script&gt;"), 2); /* title, caption */
	assert_non_null(strstr(out, "#x&quot;&gt;"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_chart_has_thirty_bars_and_thirty_table_rows),
		T(test_chart_is_labelled_and_scales_to_its_box),
		T(test_chart_of_all_zeros_draws_flat),
		T(test_one_spike_fills_the_height_alone),
		T(test_bars_and_voices_share_the_scale_of_the_max),
		T(test_numbers_are_grouped_and_axis_compact),
		T(test_title_is_escaped_everywhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
