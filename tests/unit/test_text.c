/* test_text.c — text module: UTF-8 checks, entity parsing in several
 * scripts, hashtag keys, character counting and Mastodon's HTML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "text/text.h"

#include <ctype.h>
#include <utf8proc.h>

#include <string.h>

enum {
	TEST_URL_WEIGHT = 23, /* Mastodon's per-link cost */
	TEST_MAX_CHARS = 500, /* Mastodon's default max_characters */
	TEST_TAG_MAX = 100,   /* longest hashtag name in code points */
};

static const char TEST_TAG_BASE[] = "https://h.example/tags/";

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

/* ---- helpers ---------------------------------------------------------- */

static text_parsed parse(const char *s)
{
	text_parsed p;
	text_parse(&test_arena, s, strlen(s), &p);
	return p;
}

/* s must hold exactly one entity, of kind, whose value is value. */
static const text_entity *only_entity(const char *s, text_entity_kind kind,
				      const char *value)
{
	text_parsed p = parse(s);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.items[0].kind, kind);
	assert_string_equal(p.items[0].value, value);
	return &p.items[0];
}

static void assert_no_entity(const char *s)
{
	assert_int_equal(parse(s).count, 0);
}

static void assert_tag(const char *s, const char *name, const char *key)
{
	const text_entity *e = only_entity(s, TEXT_HASHTAG, name);
	assert_string_equal(e->key, key);
}

static const char *key(const char *name)
{
	return text_tag_key(&test_arena, name, strlen(name));
}

static bool valid(const char *s, size_t n)
{
	return text_utf8_valid(s, n);
}

static size_t count(const char *s)
{
	return text_count_chars(s, strlen(s), TEST_URL_WEIGHT);
}

/* s with no mention resolved, rendered with TEST_TAG_BASE. */
static const char *render(const char *s)
{
	text_parsed p = parse(s);
	text_render_opts o = {.tag_base = TEST_TAG_BASE};
	return text_render_html(&test_arena, s, strlen(s), &p, &o);
}

/* s with its single mention resolved to href, rendered. */
static const char *render_mention(const char *s, const char *href)
{
	text_parsed p = parse(s);
	assert_int_equal(p.count, 1);
	p.items[0].href = href;
	text_render_opts o = {.tag_base = TEST_TAG_BASE};
	return text_render_html(&test_arena, s, strlen(s), &p, &o);
}

/* n copies of c followed by tail, in arena memory. */
static char *repeat(char c, size_t n, const char *tail)
{
	size_t tail_len = strlen(tail);
	char *s = arena_alloc(&test_arena, n + tail_len + 1);
	memset(s, c, n);
	memcpy(s + n, tail, tail_len + 1);
	return s;
}

/* ---- UTF-8 validation ------------------------------------------------- */

static void test_utf8_accepts_multilingual_text(void **state)
{
	const char *s = "café 日本語 हिंदी 🙂";
	assert_true(valid(s, strlen(s)));
	assert_true(valid("", 0));
}

static void test_utf8_accepts_boundary_code_points(void **state)
{
	assert_true(valid("\xED\x9F\xBF", 3));	   /* U+D7FF */
	assert_true(valid("\xEE\x80\x80", 3));	   /* U+E000 */
	assert_true(valid("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF */
}

static void test_utf8_rejects_overlong(void **state)
{
	assert_false(valid("\xC0\xAF", 2)); /* '/' in 2 bytes */
	assert_false(valid("\xC1\xBF", 2));
	assert_false(valid("\xE0\x80\xAF", 3));	    /* '/' in 3 bytes */
	assert_false(valid("\xF0\x80\x80\xAF", 4)); /* '/' in 4 bytes */
}

static void test_utf8_rejects_surrogates(void **state)
{
	assert_false(valid("\xED\xA0\x80", 3)); /* U+D800 */
	assert_false(valid("\xED\xBF\xBF", 3)); /* U+DFFF */
}

static void test_utf8_rejects_above_max_code_point(void **state)
{
	assert_false(valid("\xF4\x90\x80\x80", 4)); /* U+110000 */
	assert_false(valid("\xF5\x80\x80\x80", 4));
	assert_false(valid("\xFF", 1));
}

static void test_utf8_rejects_truncated_sequence(void **state)
{
	assert_false(valid("caf\xC3", 4));
	assert_false(valid("\xE6\x97", 2));
	assert_false(valid("\xF0\x9F\x99", 3));
	assert_false(valid("\xE6\x97x", 3));
}

static void test_utf8_rejects_stray_continuation(void **state)
{
	assert_false(valid("a\x80z", 3));
	assert_false(valid("\xBF", 1));
}

static void test_utf8_rejects_nul(void **state)
{
	assert_false(valid("ab\0cd", 5));
}

/* ---- hashtags --------------------------------------------------------- */

static void test_hashtag_ascii_has_offsets(void **state)
{
	const text_entity *e =
		only_entity("hi #Chorus!", TEXT_HASHTAG, "Chorus");
	assert_int_equal(e->start, 3);
	assert_int_equal(e->len, 7);
	assert_string_equal(e->key, "chorus");
	assert_null(e->domain);
}

static void test_hashtag_latin_accent_folds_in_key(void **state)
{
	assert_tag("#café", "café", "cafe");
	assert_tag("#Cafe\xCC\x81", "Cafe\xCC\x81", "cafe"); /* e + U+0301 */
}

static void test_hashtag_in_japanese(void **state)
{
	assert_tag("今日は #日本語 です", "日本語", "日本語");
}

static void test_hashtag_with_fullwidth_hash_sign(void **state)
{
	const text_entity *e = only_entity("＃タグ", TEXT_HASHTAG, "タグ");
	assert_int_equal(e->start, 0);
	assert_int_equal(e->len, strlen("＃タグ"));
}

static void test_hashtag_in_arabic(void **state)
{
	assert_tag("سلام #مرحبا", "مرحبا", "مرحبا");
}

static void test_hashtag_in_devanagari_keeps_marks(void **state)
{
	assert_tag("#हिंदी दिवस", "हिंदी", "हिंदी");
}

static void test_hashtag_in_cyrillic_is_case_folded(void **state)
{
	assert_tag("#Привет", "Привет", "привет");
}

static void test_hashtag_in_korean(void **state)
{
	assert_tag("#한국어", "한국어", "한국어");
}

static void test_hashtag_stops_at_emoji(void **state)
{
	assert_tag("#metoo🙂", "metoo", "metoo");
}

static void test_hashtag_keeps_underscores(void **state)
{
	assert_tag("#_snake_case_", "_snake_case_", "_snake_case_");
}

static void test_hashtag_trailing_dot_excluded(void **state)
{
	assert_tag("I say #MeToo.", "MeToo", "metoo");
}

static void test_hashtag_middle_dot_inside_is_kept(void **state)
{
	assert_tag("#a·b", "a·b", "a·b");
	assert_tag("#ハッシュ・タグ", "ハッシュ・タグ", "ハッシュ・タグ");
}

static void test_hashtag_zwnj_inside_is_kept(void **state)
{
	/* Persian writes ZWNJ (U+200C) inside words. */
	assert_tag("#می\u200cخواهم", "می\u200cخواهم", "می\u200cخواهم");
	assert_tag("#ab\u200c c", "ab", "ab");
}

static void test_hashtag_trailing_separator_dropped(void **state)
{
	assert_tag("#tag· x", "tag", "tag");
}

static void test_hashtag_cannot_start_with_separator(void **state)
{
	assert_no_entity("#·tag");
}

static void test_hashtag_pure_digits_rejected(void **state)
{
	assert_no_entity("in #2017 we");
}

static void test_hashtag_digits_then_letters_accepted(void **state)
{
	assert_tag("#2017metoo", "2017metoo", "2017metoo");
}

static void test_hashtag_inside_url_is_not_tag(void **state)
{
	only_entity("https://x.org/page#section", TEXT_URL,
		    "https://x.org/page#section");
}

static void test_hashtag_after_paren(void **state)
{
	assert_tag("(#tag)", "tag", "tag");
}

static void test_hashtag_glued_to_word_or_entity_rejected(void **state)
{
	assert_no_entity("a#b");
	assert_no_entity("it&#39;s");
	assert_no_entity("it&#x27;s");
	assert_no_entity("path/#frag");
	assert_no_entity("f(x)#y");
}

static void test_hashtag_length_limit(void **state)
{
	char *at_limit = repeat('a', TEST_TAG_MAX, "");
	char *over = repeat('a', TEST_TAG_MAX + 1, "");
	char tag[TEST_TAG_MAX + 3] = "#";
	strcat(tag, at_limit);
	assert_tag(tag, at_limit, at_limit);
	assert_no_entity(arena_printf(&test_arena, "#%s", over));
}

/* ---- hashtag keys ----------------------------------------------------- */

static void test_tag_key_folds_case_and_width(void **state)
{
	assert_string_equal(key("MeToo"), "metoo");
	assert_string_equal(key("metoo"), "metoo");
	assert_string_equal(key("ＭｅＴｏｏ"), "metoo");
	assert_string_equal(key("Straße"), "strasse");
}

static void test_tag_key_folds_stacked_latin_diacritics(void **state)
{
	assert_string_equal(key("Việt"), "viet");
	assert_string_equal(key("Ñandú"), "nandu");
}

static void test_tag_key_keeps_separators(void **state)
{
	assert_string_equal(key("A·B"), "a·b");
}

static void test_tag_key_rejects_invalid_names(void **state)
{
	assert_null(key(""));
	assert_null(key("2017"));
	assert_null(key("two words"));
	assert_null(key("#tag"));
	assert_null(key("·tag"));
	assert_null(key("tag·"));
	assert_null(text_tag_key(&test_arena, "ta\xFFg", 4));
}

/* ---- mentions --------------------------------------------------------- */

static void test_mention_local(void **state)
{
	const text_entity *e = only_entity("hi @alice!", TEXT_MENTION, "alice");
	assert_null(e->domain);
	assert_int_equal(e->start, 3);
	assert_int_equal(e->len, 6);
}

static void test_mention_remote(void **state)
{
	const text_entity *e =
		only_entity("@bob@social.example", TEXT_MENTION, "bob");
	assert_string_equal(e->domain, "social.example");
	assert_int_equal(e->len, strlen("@bob@social.example"));
}

/* Instances side by side on one machine have handles with a port; a
 * colon and more than five digits is no port, and stays text. */
static void test_mention_remote_with_port(void **state)
{
	const text_entity *e = only_entity("hi @bob@127.0.0.1:8081 there",
					   TEXT_MENTION, "bob");
	assert_string_equal(e->domain, "127.0.0.1:8081");
	assert_int_equal(e->len, strlen("@bob@127.0.0.1:8081"));
	e = only_entity("@bob@host.example:", TEXT_MENTION, "bob");
	assert_string_equal(e->domain, "host.example");
	e = only_entity("@bob@host.example:123456", TEXT_MENTION, "bob");
	assert_string_equal(e->domain, "host.example");
	/* the port's digits end where the text does */
	e = only_entity("@bob@h.example:80", TEXT_MENTION, "bob");
	assert_string_equal(e->domain, "h.example:80");
}

static void test_mention_trailing_dot_excluded(void **state)
{
	only_entity("thanks @alice.", TEXT_MENTION, "alice");
	const text_entity *e =
		only_entity("cc @bob@x.example.", TEXT_MENTION, "bob");
	assert_string_equal(e->domain, "x.example");
}

static void test_mention_user_with_inner_dot_and_dash(void **state)
{
	only_entity("@al.ice-b_2", TEXT_MENTION, "al.ice-b_2");
}

static void test_mention_email_is_not_mention(void **state)
{
	assert_no_entity("mail a@b.com now");
}

static void test_mention_after_slash_or_equals_rejected(void **state)
{
	assert_no_entity("x/@bob");
	assert_no_entity("user=@bob");
}

static void test_mention_followed_by_latin_accent_rejected(void **state)
{
	assert_no_entity("@useré");
}

/* ---- URLs ------------------------------------------------------------- */

static void test_url_plain(void **state)
{
	const text_entity *e = only_entity("see https://x.org/a?b=c ok",
					   TEXT_URL, "https://x.org/a?b=c");
	assert_int_equal(e->start, 4);
}

static void test_url_trailing_punctuation_trimmed(void **state)
{
	only_entity("Go to http://x.org/a.", TEXT_URL, "http://x.org/a");
	only_entity("'https://x.org/a'!?", TEXT_URL, "https://x.org/a");
}

static void test_url_unbalanced_paren_trimmed(void **state)
{
	only_entity("(see https://x.org/a)", TEXT_URL, "https://x.org/a");
}

static void test_url_balanced_paren_kept(void **state)
{
	only_entity("https://en.wikipedia.org/wiki/Foo_(bar)", TEXT_URL,
		    "https://en.wikipedia.org/wiki/Foo_(bar)");
	only_entity("(https://en.wikipedia.org/wiki/Foo_(bar))", TEXT_URL,
		    "https://en.wikipedia.org/wiki/Foo_(bar)");
}

static void test_url_scheme_is_case_insensitive(void **state)
{
	only_entity("HTTPS://X.org", TEXT_URL, "HTTPS://X.org");
}

static void test_url_stops_at_angle_bracket_and_quote(void **state)
{
	only_entity("<https://x.org/a>", TEXT_URL, "https://x.org/a");
	only_entity("https://x.org/\"><script>", TEXT_URL, "https://x.org/");
}

static void test_url_needs_host_and_boundary(void **state)
{
	assert_no_entity("http:// x");
	assert_no_entity("xhttp://a.b");
	assert_no_entity("https://");
}

static void test_entities_in_source_order(void **state)
{
	text_parsed p = parse("@a #b https://c.d/#e");
	assert_int_equal(p.count, 3);
	assert_int_equal(p.items[0].kind, TEXT_MENTION);
	assert_int_equal(p.items[1].kind, TEXT_HASHTAG);
	assert_int_equal(p.items[2].kind, TEXT_URL);
	assert_string_equal(p.items[2].value, "https://c.d/#e");
}

/* ---- counting --------------------------------------------------------- */

static void test_count_plain_text(void **state)
{
	assert_int_equal(count("hello"), 5);
	assert_int_equal(count("日本語"), 3);
}

static void test_count_combining_accent_is_one(void **state)
{
	assert_int_equal(count("e\xCC\x81"), 1);
	assert_int_equal(count("हिंदी"), 2);
}

static void test_count_emoji_zwj_family_is_one(void **state)
{
	assert_int_equal(count("👨‍👩‍👧"), 1);
	assert_int_equal(count("🇫🇷"), 1);
	assert_int_equal(count("👍🏽"), 1);
}

static void test_count_url_weighs_fixed(void **state)
{
	assert_int_equal(count("https://x.org"), TEST_URL_WEIGHT);
	assert_int_equal(
		count("see https://example.com/a/very/long/path/indeed/yes"),
		strlen("see ") + TEST_URL_WEIGHT);
}

static void test_count_remote_mention_counts_local_part(void **state)
{
	assert_int_equal(count("@alice@social.example hi"),
			 strlen("@alice hi"));
	assert_int_equal(count("@alice hi"), strlen("@alice hi"));
}

/* "https://x.example/" followed by 'a's, len bytes in all (arena). */
static char *long_url(size_t len)
{
	static const char base[] = "https://x.example/";
	char *u = arena_alloc(&test_arena, len + 1);
	memset(u, 'a', len);
	memcpy(u, base, strlen(base));
	return u;
}

static void test_count_url_up_to_the_cap_weighs_fixed(void **state)
{
	const char *u = long_url(TEXT_URL_MAX_BYTES);
	assert_int_equal(count(u), TEST_URL_WEIGHT);
	only_entity(u, TEXT_URL, u);
}

static void test_count_url_over_the_cap_counts_every_character(void **state)
{
	const char *u = long_url(TEXT_URL_MAX_BYTES + 1);
	assert_int_equal(count(u), TEXT_URL_MAX_BYTES + 1);
	assert_no_entity(u);
}

/* "@mal@" + a host of len bytes + " hi" (arena). */
static char *mention_with_host(size_t len)
{
	char *s = arena_printf(&test_arena, "@mal@%*s hi", (int)len, "");
	memset(s + strlen("@mal@"), 'h', len);
	return s;
}

static void test_count_mention_domain_up_to_dns_limit(void **state)
{
	const char *s = mention_with_host(TEXT_DOMAIN_MAX_BYTES);
	assert_int_equal(count(s), strlen("@mal hi"));
	only_entity(s, TEXT_MENTION, "mal");
}

static void test_count_mention_domain_over_dns_limit_is_no_mention(void **state)
{
	const char *s = mention_with_host(TEXT_DOMAIN_MAX_BYTES + 1);
	assert_int_equal(count(s), strlen(s));
	assert_no_entity(s);
}

static void test_count_ignores_surrounding_whitespace(void **state)
{
	assert_int_equal(count("  hi\n"), 2);
	assert_int_equal(count(" \n "), 0);
}

static void test_count_500_boundary(void **state)
{
	assert_int_equal(count(repeat('a', TEST_MAX_CHARS, "")),
			 TEST_MAX_CHARS);
	assert_int_equal(
		count(repeat('a', TEST_MAX_CHARS - 1, "👨‍👩‍👧")),
		TEST_MAX_CHARS);
	assert_int_equal(count(repeat('a', TEST_MAX_CHARS + 1, "")),
			 TEST_MAX_CHARS + 1);
	size_t before_url = TEST_MAX_CHARS - TEST_URL_WEIGHT - 1;
	assert_int_equal(count(repeat('a', before_url, " https://x.org/a/b")),
			 TEST_MAX_CHARS);
}

/* ---- HTML ------------------------------------------------------------- */

static void test_render_empty_is_empty(void **state)
{
	assert_string_equal(render(""), "");
	assert_string_equal(render(" \n\n\t "), "");
}

static void test_render_single_paragraph(void **state)
{
	assert_string_equal(render("hello"), "<p>hello</p>");
	assert_string_equal(render("\n hello \n"), "<p>hello</p>");
}

static void test_render_paragraphs_and_line_breaks(void **state)
{
	assert_string_equal(render("a\nb\n\nc"), "<p>a<br />b</p><p>c</p>");
	assert_string_equal(render("a\n\n\n\nb"), "<p>a</p><p>b</p>");
}

static void test_render_crlf_is_newline(void **state)
{
	assert_string_equal(render("a\r\nb\r\n\r\nc"),
			    "<p>a<br />b</p><p>c</p>");
}

static void test_render_escapes_script_and_quotes(void **state)
{
	assert_string_equal(render("<script>alert(\"x\" & 'y')</script>"),
			    "<p>&lt;script&gt;alert(&quot;x&quot; &amp; "
			    "&#39;y&#39;)&lt;/script&gt;</p>");
}

static void test_render_hashtag(void **state)
{
	assert_string_equal(render("#MeToo"),
			    "<p><a href=\"https://h.example/tags/metoo\" "
			    "class=\"mention hashtag\" rel=\"tag\">"
			    "#<span>MeToo</span></a></p>");
}

static void test_render_hashtag_href_is_percent_encoded(void **state)
{
	assert_string_equal(render("＃日本語"),
			    "<p><a href=\"https://h.example/tags/"
			    "%E6%97%A5%E6%9C%AC%E8%AA%9E\" "
			    "class=\"mention hashtag\" rel=\"tag\">"
			    "#<span>日本語</span></a></p>");
}

static void test_render_hashtag_next_to_script_is_escaped(void **state)
{
	assert_string_equal(render("#tag<script>"),
			    "<p><a href=\"https://h.example/tags/tag\" "
			    "class=\"mention hashtag\" rel=\"tag\">"
			    "#<span>tag</span></a>&lt;script&gt;</p>");
}

static void test_render_hashtag_base_is_escaped(void **state)
{
	const char *s = "#t";
	text_parsed p = parse(s);
	text_render_opts o = {.tag_base = "/\"><x>/"};
	assert_string_equal(text_render_html(&test_arena, s, strlen(s), &p, &o),
			    "<p><a href=\"/&quot;&gt;&lt;x&gt;/t\" "
			    "class=\"mention hashtag\" rel=\"tag\">"
			    "#<span>t</span></a></p>");
}

static void test_render_mention_with_href(void **state)
{
	assert_string_equal(
		render_mention("hi @alice", "https://h.example/@alice"),
		"<p>hi <span class=\"h-card\" translate=\"no\">"
		"<a href=\"https://h.example/@alice\" class=\"u-url mention\">"
		"@<span>alice</span></a></span></p>");
}

static void test_render_mention_href_is_escaped(void **state)
{
	assert_string_equal(
		render_mention("@bob", "https://h/\"><x>"),
		"<p><span class=\"h-card\" translate=\"no\">"
		"<a href=\"https://h/&quot;&gt;&lt;x&gt;\" "
		"class=\"u-url mention\">@<span>bob</span></a></span></p>");
}

static void test_render_unresolved_mention_is_text(void **state)
{
	assert_string_equal(render("@bob@remote.example"),
			    "<p>@bob@remote.example</p>");
}

static void test_render_short_url(void **state)
{
	assert_string_equal(
		render("https://example.com/a"),
		"<p><a href=\"https://example.com/a\" target=\"_blank\" "
		"rel=\"nofollow noopener\" translate=\"no\">"
		"<span class=\"invisible\">https://</span>"
		"<span class=\"\">example.com/a</span>"
		"<span class=\"invisible\"></span></a></p>");
}

static void test_render_url_hides_www(void **state)
{
	assert_string_equal(
		render("http://www.example.com"),
		"<p><a href=\"http://www.example.com\" target=\"_blank\" "
		"rel=\"nofollow noopener\" translate=\"no\">"
		"<span class=\"invisible\">http://www.</span>"
		"<span class=\"\">example.com</span>"
		"<span class=\"invisible\"></span></a></p>");
}

static void test_render_long_url_is_cut_at_30(void **state)
{
	assert_string_equal(
		render("https://example.com/0123456789012345678901234567890"),
		"<p><a href=\"https://example.com/"
		"0123456789012345678901234567890\" target=\"_blank\" "
		"rel=\"nofollow noopener\" translate=\"no\">"
		"<span class=\"invisible\">https://</span>"
		"<span class=\"ellipsis\">example.com/012345678901234567</span>"
		"<span class=\"invisible\">8901234567890</span></a></p>");
}

static void test_render_url_of_exactly_30_is_not_cut(void **state)
{
	const char *html = render("https://example.com/012345678901234567");
	assert_non_null(strstr(html, "<span class=\"\">example.com/"
				     "012345678901234567</span>"
				     "<span class=\"invisible\"></span>"));
}

static void test_render_url_cut_counts_code_points(void **state)
{
	const char *html = render("https://x.org/ééééééééééééééééééééééééééé");
	assert_non_null(strstr(html, "<span class=\"ellipsis\">x.org/"
				     "éééééééééééééééééééééééé</span>"
				     "<span class=\"invisible\">ééé</span>"));
}

static void test_render_url_with_quote_script_is_escaped(void **state)
{
	const char *html = render("https://x.org/\"><script>");
	assert_non_null(strstr(html, "href=\"https://x.org/\""));
	assert_non_null(strstr(html, "</a>&quot;&gt;&lt;script&gt;</p>"));
	assert_null(strstr(html, "<script>"));
}

static void test_render_url_apostrophe_escaped_in_href(void **state)
{
	const char *html = render("https://x.org/it's");
	assert_non_null(strstr(html, "href=\"https://x.org/it&#39;s\""));
}

static void test_escape_html_escapes_all_five(void **state)
{
	buf b;
	buf_init(&b, &test_arena);
	text_escape_html(&b, "<a href=\"x\">'&'</a>", 19);
	assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
				    "&#39;&lt;/a&gt;");
}

/* ---- search tokens ---------------------------------------------------- */

typedef struct token_log {
	buf joined;	   /* tokens joined with '|' */
	size_t starts[16]; /* source offsets of the first tokens */
	size_t count;
	int stop_after; /* return 7 after this many tokens; 0 = never */
} token_log;

static int log_token(void *ctx, const char *token, size_t len, size_t start,
		     size_t end)
{
	token_log *l = ctx;
	assert_true(len > 0 && len <= TEXT_SEARCH_TOKEN_MAX);
	assert_true(start < end);
	if (l->joined.len)
		buf_putc(&l->joined, '|');
	buf_append(&l->joined, token, len);
	if (l->count < sizeof l->starts / sizeof *l->starts)
		l->starts[l->count] = start;
	l->count++;
	return l->stop_after && (int)l->count == l->stop_after ? 7 : 0;
}

static token_log tokens_of(const char *s, size_t n)
{
	token_log l = {0};
	buf_init(&l.joined, &test_arena);
	buf_puts(&l.joined, "");
	assert_int_equal(text_search_tokens(s, n, log_token, &l), 0);
	return l;
}

static const char *tokens(const char *s)
{
	return tokens_of(s, strlen(s)).joined.data;
}

static void test_search_tokens_fold_case_and_latin_accents(void **state)
{
	assert_string_equal(tokens("Café in ZÜRICH"), "cafe|in|zurich");
	/* a decomposed accent folds the same as a precomposed one */
	assert_string_equal(tokens("Cafe\u0301 NAI\u0308VE"), "cafe|naive");
	assert_string_equal(tokens("Việt Ñandú"), "viet|nandu");
}

static void test_search_tokens_fold_greek_and_cyrillic(void **state)
{
	assert_string_equal(tokens("Καλημέρα ΚΌΣΜΕ"), "καλημερα|κοσμε");
	assert_string_equal(tokens("ПРИВЕТ, мир! Ёлка"), "привет|мир|елка");
}

static void test_search_tokens_fold_compatibility_forms(void **state)
{
	assert_string_equal(tokens("ﬁsh ＡＢＣ Straße"), "fish|abc|strasse");
}

static void test_search_tokens_split_on_punctuation_and_symbols(void **state)
{
	assert_string_equal(tokens("foo_bar-baz🙂qux #tag @user:x"),
			    "foo|bar|baz|qux|tag|user|x");
	assert_string_equal(tokens("\"NEAR(a* OR b)\" AND -c"),
			    "near|a|or|b|and|c");
	assert_string_equal(tokens("https://example.com/story/42"),
			    "https|example|com|story|42");
}

static void test_search_tokens_one_per_cjk_character(void **state)
{
	assert_string_equal(tokens("日本語のテキスト"),
			    "日|本|語|の|テ|キ|ス|ト");
	/* glued to Latin letters, still alone */
	assert_string_equal(tokens("abc日本def"), "abc|日|本|def");
	/* Hangul spaces its words: kept whole */
	assert_string_equal(tokens("안녕하세요 세계"), "안녕하세요|세계");
}

static void test_search_tokens_keep_other_scripts_marks(void **state)
{
	/* Devanagari vowel signs and virama are part of the word */
	assert_string_equal(tokens("नमस्ते दुनिया"), "नमस्ते|दुनिया");
}

static void test_search_tokens_report_source_offsets(void **state)
{
	token_log l = tokens_of("  ab, Çd", 9);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.starts[0], 2);
	assert_int_equal(l.starts[1], 6);
}

static void test_search_tokens_of_nothing(void **state)
{
	assert_string_equal(tokens(""), "");
	assert_string_equal(tokens("  !!! ... --- 🙂 "), "");
	assert_int_equal(tokens_of(NULL, 0).count, 0);
}

/* The tokenizer takes ASCII bytes the short way; each must split or join
 * exactly as its Unicode category says (letters, marks, digits, NL, NO). */
static void test_search_tokens_ascii_as_unicode_says(void **state)
{
	for (int c = 1; c < 0x80; c++) {
		utf8proc_category_t cat = utf8proc_category(c);
		bool token = cat == UTF8PROC_CATEGORY_LU ||
			     cat == UTF8PROC_CATEGORY_LL ||
			     cat == UTF8PROC_CATEGORY_LT ||
			     cat == UTF8PROC_CATEGORY_LM ||
			     cat == UTF8PROC_CATEGORY_LO ||
			     cat == UTF8PROC_CATEGORY_MN ||
			     cat == UTF8PROC_CATEGORY_MC ||
			     cat == UTF8PROC_CATEGORY_ME ||
			     cat == UTF8PROC_CATEGORY_ND ||
			     cat == UTF8PROC_CATEGORY_NL ||
			     cat == UTF8PROC_CATEGORY_NO;
		char in[4] = {'q', (char)c, 'z', 0};
		char want[4] = {'q', token ? (char)tolower(c) : '|', 'z', 0};
		assert_string_equal(tokens(in), want);
	}
}

static void test_search_tokens_malformed_utf8_separates(void **state)
{
	assert_string_equal(tokens("ab\xff\xfe"
				   "cd\xc3"),
			    "ab|cd");
}

static void test_search_tokens_cut_long_words(void **state)
{
	char ascii[300], cyr[201];
	memset(ascii, 'A', sizeof ascii - 1);
	ascii[sizeof ascii - 1] = '\0';
	const char *t = tokens(ascii);
	assert_int_equal(strlen(t), TEXT_SEARCH_TOKEN_MAX);
	assert_int_equal(t[0], 'a');
	for (int i = 0; i < 100; i++)
		memcpy(cyr + 2 * i, "ж", 2);
	cyr[200] = '\0';
	t = tokens(cyr);
	/* cut on a character boundary: 64 two-byte letters */
	assert_int_equal(strlen(t), TEXT_SEARCH_TOKEN_MAX);
	assert_true(text_utf8_valid(t, strlen(t)));
}

static void test_search_tokens_stop_when_asked(void **state)
{
	token_log l = {.stop_after = 2};
	buf_init(&l.joined, &test_arena);
	assert_int_equal(text_search_tokens("a b c d", 7, log_token, &l), 7);
	assert_int_equal(l.count, 2);
}

#define TEXT_TEST(f)                                                           \
	cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEXT_TEST(test_utf8_accepts_multilingual_text),
		TEXT_TEST(test_utf8_accepts_boundary_code_points),
		TEXT_TEST(test_utf8_rejects_overlong),
		TEXT_TEST(test_utf8_rejects_surrogates),
		TEXT_TEST(test_utf8_rejects_above_max_code_point),
		TEXT_TEST(test_utf8_rejects_truncated_sequence),
		TEXT_TEST(test_utf8_rejects_stray_continuation),
		TEXT_TEST(test_utf8_rejects_nul),
		TEXT_TEST(test_hashtag_ascii_has_offsets),
		TEXT_TEST(test_hashtag_latin_accent_folds_in_key),
		TEXT_TEST(test_hashtag_in_japanese),
		TEXT_TEST(test_hashtag_with_fullwidth_hash_sign),
		TEXT_TEST(test_hashtag_in_arabic),
		TEXT_TEST(test_hashtag_in_devanagari_keeps_marks),
		TEXT_TEST(test_hashtag_in_cyrillic_is_case_folded),
		TEXT_TEST(test_hashtag_in_korean),
		TEXT_TEST(test_hashtag_stops_at_emoji),
		TEXT_TEST(test_hashtag_keeps_underscores),
		TEXT_TEST(test_hashtag_trailing_dot_excluded),
		TEXT_TEST(test_hashtag_middle_dot_inside_is_kept),
		TEXT_TEST(test_hashtag_zwnj_inside_is_kept),
		TEXT_TEST(test_hashtag_trailing_separator_dropped),
		TEXT_TEST(test_hashtag_cannot_start_with_separator),
		TEXT_TEST(test_hashtag_pure_digits_rejected),
		TEXT_TEST(test_hashtag_digits_then_letters_accepted),
		TEXT_TEST(test_hashtag_inside_url_is_not_tag),
		TEXT_TEST(test_hashtag_after_paren),
		TEXT_TEST(test_hashtag_glued_to_word_or_entity_rejected),
		TEXT_TEST(test_hashtag_length_limit),
		TEXT_TEST(test_tag_key_folds_case_and_width),
		TEXT_TEST(test_tag_key_folds_stacked_latin_diacritics),
		TEXT_TEST(test_tag_key_keeps_separators),
		TEXT_TEST(test_tag_key_rejects_invalid_names),
		TEXT_TEST(test_mention_local),
		TEXT_TEST(test_mention_remote),
		TEXT_TEST(test_mention_remote_with_port),
		TEXT_TEST(test_mention_trailing_dot_excluded),
		TEXT_TEST(test_mention_user_with_inner_dot_and_dash),
		TEXT_TEST(test_mention_email_is_not_mention),
		TEXT_TEST(test_mention_after_slash_or_equals_rejected),
		TEXT_TEST(test_mention_followed_by_latin_accent_rejected),
		TEXT_TEST(test_url_plain),
		TEXT_TEST(test_url_trailing_punctuation_trimmed),
		TEXT_TEST(test_url_unbalanced_paren_trimmed),
		TEXT_TEST(test_url_balanced_paren_kept),
		TEXT_TEST(test_url_scheme_is_case_insensitive),
		TEXT_TEST(test_url_stops_at_angle_bracket_and_quote),
		TEXT_TEST(test_url_needs_host_and_boundary),
		TEXT_TEST(test_entities_in_source_order),
		TEXT_TEST(test_count_plain_text),
		TEXT_TEST(test_count_combining_accent_is_one),
		TEXT_TEST(test_count_emoji_zwj_family_is_one),
		TEXT_TEST(test_count_url_weighs_fixed),
		TEXT_TEST(test_count_remote_mention_counts_local_part),
		TEXT_TEST(test_count_url_up_to_the_cap_weighs_fixed),
		TEXT_TEST(test_count_url_over_the_cap_counts_every_character),
		TEXT_TEST(test_count_mention_domain_up_to_dns_limit),
		TEXT_TEST(
			test_count_mention_domain_over_dns_limit_is_no_mention),
		TEXT_TEST(test_count_ignores_surrounding_whitespace),
		TEXT_TEST(test_count_500_boundary),
		TEXT_TEST(test_render_empty_is_empty),
		TEXT_TEST(test_render_single_paragraph),
		TEXT_TEST(test_render_paragraphs_and_line_breaks),
		TEXT_TEST(test_render_crlf_is_newline),
		TEXT_TEST(test_render_escapes_script_and_quotes),
		TEXT_TEST(test_render_hashtag),
		TEXT_TEST(test_render_hashtag_href_is_percent_encoded),
		TEXT_TEST(test_render_hashtag_next_to_script_is_escaped),
		TEXT_TEST(test_render_hashtag_base_is_escaped),
		TEXT_TEST(test_render_mention_with_href),
		TEXT_TEST(test_render_mention_href_is_escaped),
		TEXT_TEST(test_render_unresolved_mention_is_text),
		TEXT_TEST(test_render_short_url),
		TEXT_TEST(test_render_url_hides_www),
		TEXT_TEST(test_render_long_url_is_cut_at_30),
		TEXT_TEST(test_render_url_of_exactly_30_is_not_cut),
		TEXT_TEST(test_render_url_cut_counts_code_points),
		TEXT_TEST(test_render_url_with_quote_script_is_escaped),
		TEXT_TEST(test_render_url_apostrophe_escaped_in_href),
		TEXT_TEST(test_escape_html_escapes_all_five),
		TEXT_TEST(test_search_tokens_fold_case_and_latin_accents),
		TEXT_TEST(test_search_tokens_fold_greek_and_cyrillic),
		TEXT_TEST(test_search_tokens_fold_compatibility_forms),
		TEXT_TEST(test_search_tokens_split_on_punctuation_and_symbols),
		TEXT_TEST(test_search_tokens_one_per_cjk_character),
		TEXT_TEST(test_search_tokens_keep_other_scripts_marks),
		TEXT_TEST(test_search_tokens_report_source_offsets),
		TEXT_TEST(test_search_tokens_of_nothing),
		TEXT_TEST(test_search_tokens_malformed_utf8_separates),
		TEXT_TEST(test_search_tokens_ascii_as_unicode_says),
		TEXT_TEST(test_search_tokens_cut_long_words),
		TEXT_TEST(test_search_tokens_stop_when_asked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
