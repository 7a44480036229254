/* test_search.c — the search query language (domain/search.c) and the
 * FTS5 expressions built from it (store/search.c): words, phrases,
 * negation, operators, dates, and user text that looks like FTS5 syntax. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/config.h"
#include "domain/domain.h"
#include "store/store.h"

#include <string.h>

enum { TEST_DAY_MS = 24 * 3600 * 1000 };

/* date -u -d 2024-03-01 +%s, in ms */
static const int64_t test_2024_03_01 = 1709251200000LL;

static arena test_arena;

static int test_setup(void **state)
{
	config_defaults();
	arena_init(&test_arena);
	return 0;
}

static int test_teardown(void **state)
{
	arena_release(&test_arena);
	return 0;
}

static search_query parse(const char *q)
{
	search_query out;
	const char *msg = NULL;
	dom_err err = search_query_parse(&test_arena, q, &out, &msg);
	if (err)
		fail_msg("parse of %s failed: %s", q, msg ? msg : "?");
	return out;
}

static void assert_refused(const char *q)
{
	search_query out;
	const char *msg = NULL;
	assert_int_equal(search_query_parse(&test_arena, q, &out, &msg),
			 DOM_INVALID);
	assert_non_null(msg);
}

static void assert_term(const search_query *q, size_t i, const char *text,
			bool negated)
{
	assert_true(i < q->nterms);
	assert_string_equal(q->terms[i].text, text);
	assert_int_equal(q->terms[i].negated, negated);
}

/* ---- words and phrases ------------------------------------------------ */

static void test_words_and_phrases(void **state)
{
	search_query q = parse("  café \"in zürich\"\tnow ");
	assert_int_equal(q.nterms, 3);
	assert_term(&q, 0, "café", false);
	assert_term(&q, 1, "in zürich", false);
	assert_term(&q, 2, "now", false);
	assert_false(search_query_has_filter(&q));
}

static void test_minus_negates_plus_is_plain(void **state)
{
	search_query q = parse("-spoiler +must -\"two words\" - -");
	assert_int_equal(q.nterms, 5);
	assert_term(&q, 0, "spoiler", true);
	assert_term(&q, 1, "must", false);
	assert_term(&q, 2, "two words", true);
	/* a lone '-' is a (tokenless) word, not an operator */
	assert_term(&q, 3, "-", false);
}

static void test_unclosed_quote_runs_to_the_end(void **state)
{
	search_query q = parse("a \"b c");
	assert_int_equal(q.nterms, 2);
	assert_term(&q, 1, "b c", false);
	q = parse("\"\" x");
	assert_int_equal(q.nterms, 1);
	assert_term(&q, 0, "x", false);
}

static void test_quote_inside_a_word_starts_a_phrase(void **state)
{
	search_query q = parse("a\"b c\"d");
	assert_int_equal(q.nterms, 3);
	assert_term(&q, 0, "a", false);
	assert_term(&q, 1, "b c", false);
	assert_term(&q, 2, "d", false);
}

static void test_unknown_prefix_is_text(void **state)
{
	search_query q = parse("foo:bar NEAR(x) from:");
	assert_int_equal(q.nterms, 3);
	assert_term(&q, 0, "foo:bar", false);
	assert_term(&q, 1, "NEAR(x)", false);
	assert_term(&q, 2, "from:", false);
	assert_null(q.from);
}

static void test_too_many_terms_is_refused(void **state)
{
	buf b;
	buf_init(&b, &test_arena);
	for (int i = 0; i <= cfg.search_max_terms; i++)
		buf_puts(&b, "w ");
	assert_refused(b.data);
	b.data[b.len - 2] = '\0'; /* one fewer */
	parse(b.data);
}

/* ---- operators -------------------------------------------------------- */

static void test_from_variants(void **state)
{
	search_query q = parse("from:@Alice words");
	assert_string_equal(q.from, "alice");
	assert_false(q.from_negated);
	assert_int_equal(q.nterms, 1);
	q = parse("-from:bob@example.com");
	assert_string_equal(q.from, "bob@example.com");
	assert_true(q.from_negated);
	assert_true(search_query_has_filter(&q));
	assert_string_equal(parse("from:me").from, "me");
}

static void test_has_and_is(void **state)
{
	search_query q = parse("has:media is:reply -is:sensitive");
	assert_int_equal(q.media, STORE_YES);
	assert_null(q.media_type);
	assert_int_equal(q.reply, STORE_YES);
	assert_int_equal(q.sensitive, STORE_NO);
	q = parse("-has:video");
	assert_int_equal(q.media, STORE_NO);
	assert_string_equal(q.media_type, "video");
	assert_false(q.impossible);
	/* chorus has no polls: nothing has one, everything lacks one */
	assert_true(parse("has:poll").impossible);
	assert_false(parse("-has:poll").impossible);
	assert_true(parse("is:nonsense").impossible);
}

static void test_language_and_in(void **state)
{
	search_query q = parse("language:EN in:library");
	assert_string_equal(q.language, "en");
	assert_true(q.library);
	assert_false(parse("in:all").library);
	assert_refused("-language:en");
}

static void test_dates_make_a_utc_day_range(void **state)
{
	search_query q = parse("before:2024-03-01");
	assert_int_equal(q.before_ms, test_2024_03_01);
	assert_int_equal(q.after_ms, 0);
	q = parse("after:2024-02-29"); /* a leap day */
	assert_int_equal(q.after_ms, test_2024_03_01);
	q = parse("during:2024-03-01");
	assert_int_equal(q.after_ms, test_2024_03_01);
	assert_int_equal(q.before_ms, test_2024_03_01 + TEST_DAY_MS);
	/* several narrow each other */
	q = parse("after:2024-01-01 before:2024-12-31 before:2024-03-01");
	assert_int_equal(q.before_ms, test_2024_03_01);
	assert_true(search_query_has_filter(&q));
}

static void test_malformed_dates_are_refused(void **state)
{
	assert_refused("before:2023-02-29");
	assert_refused("after:2024-13-01");
	assert_refused("during:2024-1-1");
	assert_refused("before:yesterday");
	assert_refused("before:1969-12-31");
	assert_refused("before:\"\"");
	assert_refused("-before:2024-01-01");
}

static void test_parse_date_epoch(void **state)
{
	int64_t ms = -1;
	assert_true(search_parse_date("1970-01-01", &ms));
	assert_int_equal(ms, 0);
	assert_true(search_parse_date("2000-03-01", &ms));
	assert_int_equal(ms, 951868800000LL);
	assert_false(search_parse_date("2000-03-01x", &ms));
	assert_false(search_parse_date("20000-3-01", &ms));
}

/* ---- FTS5 expressions ------------------------------------------------- */

static const char *match(const char *q, bool negated, bool prefix)
{
	search_query s = parse(q);
	return store_search_match(&test_arena, s.terms, s.nterms, negated,
				  prefix);
}

static void test_match_quotes_every_term(void **state)
{
	assert_string_equal(match("a \"b c\" -d", false, false),
			    "\"a\" \"b c\" NOT \"d\"");
	assert_string_equal(match("a -d -e", true, false), "\"d\" OR \"e\"");
	assert_string_equal(match("ali", false, true), "\"ali\"*");
	assert_string_equal(match("a b", false, true), "\"a\" \"b\"*");
}

static void test_match_escapes_quotes_and_syntax(void **state)
{
	/* a '"' inside a term is doubled; operators stay inside strings */
	assert_string_equal(match("a\"\"b", false, false), "\"a\" \"b\"");
	store_search_term t[] = {{.text = "x\"y"},
				 {.text = "NEAR(a b)"},
				 {.text = "c*"},
				 {.text = "OR"}};
	assert_string_equal(store_search_match(&test_arena, t, 4, false, false),
			    "\"x\"\"y\" \"NEAR(a b)\" \"c*\" \"OR\"");
}

static void test_match_drops_tokenless_terms(void **state)
{
	assert_null(match("!!! - \"...\"", false, false));
	assert_null(match("-a", false, false)); /* nothing wanted */
	assert_null(match("a b", true, false)); /* nothing unwanted */
	assert_string_equal(match("!!! a ???", false, true), "\"a\"*");
}

#define SEARCH_TEST(f)                                                         \
	cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SEARCH_TEST(test_words_and_phrases),
		SEARCH_TEST(test_minus_negates_plus_is_plain),
		SEARCH_TEST(test_unclosed_quote_runs_to_the_end),
		SEARCH_TEST(test_quote_inside_a_word_starts_a_phrase),
		SEARCH_TEST(test_unknown_prefix_is_text),
		SEARCH_TEST(test_too_many_terms_is_refused),
		SEARCH_TEST(test_from_variants),
		SEARCH_TEST(test_has_and_is),
		SEARCH_TEST(test_language_and_in),
		SEARCH_TEST(test_dates_make_a_utc_day_range),
		SEARCH_TEST(test_malformed_dates_are_refused),
		SEARCH_TEST(test_parse_date_epoch),
		SEARCH_TEST(test_match_quotes_every_term),
		SEARCH_TEST(test_match_escapes_quotes_and_syntax),
		SEARCH_TEST(test_match_drops_tokenless_terms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
