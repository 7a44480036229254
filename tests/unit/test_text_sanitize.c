/* test_text_sanitize.c — HTML from other servers (text/sanitize.c):
 * Mastodon's markup passes as it reads there, anything that runs or
 * embeds (scripts, styles, handlers, javascript: links, frames, images)
 * goes, other elements give up their tags and keep their text, and
 * whatever the input the output is well-formed, escaped HTML of the
 * allow-list only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/log.h"
#include "text/text.h"

/* What every kept link gains. */
#define LINK_ATTRS " rel=\"nofollow noopener noreferrer\" target=\"_blank\""

static char *san(arena *a, const char *html)
{
	return text_sanitize_html(a, html, strlen(html));
}

static bool allowed_tag(const char *name, size_t n)
{
	static const char *const tags[] = {
		"p",	  "br", "span", "a", "del", "pre", "code", "em",
		"strong", "b",	"i",	"u", "ul",  "ol",  "li",   "blockquote",
	};
	for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
		if (strlen(tags[i]) == n && !strncmp(name, tags[i], n))
			return true;
	return false;
}

/* An entity the writer may put out: the five it escapes. */
static size_t entity_len(const char *s)
{
	static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;",
					   "&#39;"};
	for (size_t i = 0; i < sizeof ents / sizeof *ents; i++)
		if (!strncmp(s, ents[i], strlen(ents[i])))
			return strlen(ents[i]);
	return 0;
}

/* Whether out is well-formed output of the writer: only allow-listed
 * tags, every one but br closed in order, attribute values double-quoted,
 * no raw '<', '>' or bare '&' in text or values. */
static bool well_formed(arena *a, const char *out)
{
	size_t cap = strlen(out) / 2 + 1, depth = 0;
	const char **names = arena_alloc(a, cap * sizeof *names);
	size_t *lens = arena_alloc(a, cap * sizeof *lens);
	for (const char *p = out; *p;) {
		if (*p == '>' || *p == '"')
			return false;
		if (*p == '&') {
			size_t n = entity_len(p);
			if (!n)
				return false;
			p += n;
			continue;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		bool closing = p[1] == '/';
		const char *name = p + 1 + closing;
		size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (!allowed_tag(name, n))
			return false;
		p = name + n;
		if (closing) {
			if (*p != '>' || !depth || lens[depth - 1] != n ||
			    strncmp(names[depth - 1], name, n))
				return false;
			depth--;
			p++;
			continue;
		}
		/* attributes: name or name="value" */
		while (*p == ' ') {
			p++;
			p += strspn(p, "abcdefghijklmnopqrstuvwxyz-");
			if (*p != '=')
				continue;
			if (p[1] != '"')
				return false;
			for (p += 2; *p != '"'; p++) {
				if (!*p || *p == '<' || *p == '>')
					return false;
				if (*p == '&') {
					size_t e = entity_len(p);
					if (!e)
						return false;
					p += e - 1;
				}
			}
			p++;
		}
		if (*p != '>')
			return false;
		p++;
		if (n == 2 && !strncmp(name, "br", 2))
			continue;
		names[depth] = name;
		lens[depth] = n;
		depth++;
	}
	return depth == 0;
}

static void test_the_checker_refuses_broken_html(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_true(well_formed(&a, "<p>a<br>b &amp; <a href=\"x&quot;\" "
				    "reversed>c</a></p>"));
	assert_false(well_formed(&a, "<p>a"));
	assert_false(well_formed(&a, "<p><b>a</p></b>"));
	assert_false(well_formed(&a, "<script>a</script>"));
	assert_false(well_formed(&a, "a < b"));
	assert_false(well_formed(&a, "a & b"));
	assert_false(well_formed(&a, "<a href=\"x\"y\">l</a>"));
	arena_release(&a);
}

static void test_mastodon_content_keeps_its_meaning(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	const char *in =
		"<p>Hello <span class=\"h-card\"><a href=\"https://x.example/"
		"@bob\" class=\"u-url mention\">@<span>bob</span></a></span> "
		"<a href=\"https://x.example/tags/metoo\" class=\"mention "
		"hashtag\" rel=\"tag\">#<span>metoo</span></a></p>";
	assert_string_equal(
		san(&a, in),
		"<p>Hello <span class=\"h-card\"><a href=\"https://x.example/"
		"@bob\"" LINK_ATTRS " class=\"u-url mention\">@<span>bob</span>"
		"</a></span> <a "
		"href=\"https://x.example/tags/metoo\"" LINK_ATTRS
		" class=\"mention hashtag\">#<span>metoo</span></a></p>");
	/* a long link as Mastodon cuts it, in two paragraphs */
	in = "<p>see <a href=\"https://example.com/a/long/path\" "
	     "rel=\"nofollow noopener\" target=\"_blank\"><span "
	     "class=\"invisible\">https://</span><span class=\"ellipsis\">"
	     "example.com/a/lo</span><span class=\"invisible\">ng/path</span>"
	     "</a></p><p>bye<br>now</p>";
	assert_string_equal(
		san(&a, in),
		"<p>see <a href=\"https://example.com/a/long/path\"" LINK_ATTRS
		"><span class=\"invisible\">https://</span><span "
		"class=\"ellipsis\">example.com/a/lo</span><span "
		"class=\"invisible\">ng/path</span></a></p><p>bye<br>now</p>");
	arena_release(&a);
}

static void test_the_allowed_elements_pass_unchanged(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	const char *in = "<blockquote><p><em>a</em> <strong>b</strong> "
			 "<del>c</del> <i>d</i> <u>e</u> <b>f</b> "
			 "<code>g</code></p></blockquote><ul><li>x</li>"
			 "<li>y</li></ul><ol><li>z</li></ol>";
	assert_string_equal(san(&a, in), in);
	arena_release(&a);
}

static void
test_a_link_gets_our_rel_and_target_in_place_of_its_own(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(
		san(&a, "<p><a href=\"https://x.example/\" rel=\"opener\" "
			"target=\"_self\" title=\"t\">l</a></p>"),
		"<p><a href=\"https://x.example/\"" LINK_ATTRS ">l</a></p>");
	/* the peer-to-peer schemes Mastodon allows stay links */
	assert_string_equal(
		san(&a, "<p><a href=\"gemini://x.example/\">g</a> "
			"<a href=\"magnet:?xt=urn:btih:abc\">m</a> "
			"<a href=\"HTTP://X.EXAMPLE/\">h</a></p>"),
		"<p><a href=\"gemini://x.example/\"" LINK_ATTRS ">g</a> "
		"<a href=\"magnet:?xt=urn:btih:abc\"" LINK_ATTRS ">m</a> "
		"<a href=\"HTTP://X.EXAMPLE/\"" LINK_ATTRS ">h</a></p>");
	/* no href, or one going nowhere shareable: the text stays */
	assert_string_equal(san(&a, "<p><a name=\"x\">anchor</a> "
				    "<a href=\"/relative\">rel</a></p>"),
			    "<p>anchor rel</p>");
	arena_release(&a);
}

static void test_a_script_and_its_text_are_gone(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<p>a<script>alert(1)</script>b</p>"),
			    "<p>ab</p>");
	assert_string_equal(
		san(&a, "<p>a</p><script>alert(1)</script><p>b</p>"),
		"<p>a</p><p>b</p>");
	assert_string_equal(san(&a, "<p>a<script type=\"text/javascript\">"
				    "document.write('<b>x</b>')</script>b</p>"),
			    "<p>ab</p>");
	arena_release(&a);
}

static void test_a_style_and_its_rules_are_gone(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<style>p { color: red }</style><p>x</p>"),
			    "<p>x</p>");
	assert_string_equal(
		san(&a, "<p>a<style>body { display: none }</style>b</p>"),
		"<p>ab</p>");
	arena_release(&a);
}

static void test_event_handlers_are_dropped(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<p onclick=\"x()\">hi</p>"), "<p>hi</p>");
	assert_string_equal(
		san(&a, "<p><a href=\"https://x.example/\" onmouseover=\"x()\" "
			"ONCLICK=\"y()\">l</a><span onload=\"z()\" "
			"class=\"h-card\">s</span></p>"),
		"<p><a href=\"https://x.example/\"" LINK_ATTRS ">l</a>"
		"<span class=\"h-card\">s</span></p>");
	assert_string_equal(san(&a, "<p><b onfocus=\"x()\" "
				    "onerror=\"y()\">b</b></p>"),
			    "<p><b>b</b></p>");
	arena_release(&a);
}

static void test_style_and_id_attributes_are_dropped(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<p style=\"color:red\" id=\"top\">hi</p>"),
			    "<p>hi</p>");
	assert_string_equal(
		san(&a, "<p><span style=\"background:url(javascript:x)\" "
			"id=\"y\" class=\"h-card\">x</span></p>"),
		"<p><span class=\"h-card\">x</span></p>");
	arena_release(&a);
}

static void test_a_javascript_link_keeps_its_text_but_not_its_tag(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<a href=\"javascript:alert(1)\">x</a>"),
			    "x");
	assert_string_equal(
		san(&a, "<p>a <a href=\"javascript:alert(1)\">x</a> b</p>"),
		"<p>a x b</p>");
	arena_release(&a);
}

static void test_data_and_vbscript_links_keep_only_their_text(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a,
				"<a href=\"data:text/html;base64,"
				"PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>"),
			    "x");
	assert_string_equal(san(&a, "<a href=\"vbscript:msgbox(1)\">x</a>"),
			    "x");
	arena_release(&a);
}

static void test_a_disguised_javascript_link_keeps_only_its_text(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<a href=\"JaVaScRiPt:alert(1)\">x</a>"),
			    "x");
	/* the parser decodes the entity: still javascript: */
	assert_string_equal(
		san(&a, "<a href=\"&#106;avascript:alert(1)\">x</a>"), "x");
	assert_string_equal(san(&a, "<a href=\" javascript:alert(1)\">x</a>"),
			    "x");
	assert_string_equal(
		san(&a, "<a href=\"java&#9;script:alert(1)\">x</a>"), "x");
	arena_release(&a);
}

static void test_an_image_with_a_handler_is_gone_entirely(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<img src=x onerror=alert(1)>"), "");
	assert_string_equal(
		san(&a,
		    "<p>a<img src=\"x\" onerror=\"alert(1)\" alt=\"t\">b</p>"),
		"<p>ab</p>");
	arena_release(&a);
}

static void test_frames_objects_svg_and_forms_are_gone(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	static const char *const embeds[] = {
		"<iframe src=\"https://evil.example/\">inner</iframe>",
		"<object data=\"evil.swf\"><param name=\"a\" "
		"value=\"b\">inner</object>",
		"<embed src=\"evil.swf\" />",
		"<svg onload=\"alert(1)\"><script>alert(1)</script></svg>",
		"<svg><text>inner</text></svg>",
		"<form action=\"https://evil.example/\"><input name=\"pw\" "
		"value=\"inner\"><button>inner</button></form>",
		"<input type=\"text\" value=\"inner\">",
		"<textarea>inner</textarea>",
		"<video src=\"v.mp4\">inner</video>",
		"<math><mi>inner</mi></math>",
		"<noscript><p>inner</p></noscript>",
		"<template><p>inner</p></template>",
		"<select><option>inner</option></select>",
		"<title>inner</title>",
	};
	for (size_t i = 0; i < sizeof embeds / sizeof *embeds; i++) {
		char *in = arena_alloc(&a, strlen(embeds[i]) + 32);
		strcpy(in, "<p>a</p>");
		strcat(in, embeds[i]);
		strcat(in, "<p>b</p>");
		char *out = san(&a, in);
		if (strcmp(out, "<p>a</p><p>b</p>"))
			fail_msg("%s\n gave %s", in, out);
	}
	arena_release(&a);
}

static void test_an_unclosed_embed_does_not_swallow_what_follows(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	/* embed is a void element: HTML writes it without an end tag */
	assert_string_equal(san(&a, "<p>a</p><embed src=\"evil.swf\"><p>b</p>"),
			    "<p>a</p><p>b</p>");
	assert_string_equal(
		san(&a, "<p>a<embed src=\"evil.swf\">b</p><p>c</p>"),
		"<p>ab</p><p>c</p>");
	arena_release(&a);
}

static void
test_a_stray_document_end_tag_does_not_hide_what_follows(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<p>a</p></body><p>b</p>"),
			    "<p>a</p><p>b</p>");
	assert_string_equal(san(&a, "<p>a</p></html><p>b</p>"),
			    "<p>a</p><p>b</p>");
	arena_release(&a);
}

static void
test_unknown_elements_give_up_their_tags_and_keep_their_text(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<div><p>one</p></div>"), "<p>one</p>");
	assert_string_equal(
		san(&a, "<section><p>two <font color=\"red\">three</font> "
			"<abbr title=\"x\">four</abbr></p></section>"),
		"<p>two three four</p>");
	assert_string_equal(san(&a, "<p><marquee>five</marquee></p>"),
			    "<p>five</p>");
	arena_release(&a);
}

static void test_a_heading_becomes_a_strong_paragraph(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<h1>Title</h1>"),
			    "<p><strong>Title</strong></p>");
	assert_string_equal(
		san(&a, "<h3 class=\"h-x\" id=\"t\">Sub <em>x</em></h3>"
			"<p>body</p>"),
		"<p><strong>Sub <em>x</em></strong></p><p>body</p>");
	assert_string_equal(san(&a, "<h6>six</h6>"),
			    "<p><strong>six</strong></p>");
	arena_release(&a);
}

static void test_only_microformat_and_mastodon_classes_are_kept(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(
		san(&a, "<p><span class=\"evil h-card\">x</span></p>"),
		"<p><span class=\"h-card\">x</span></p>");
	assert_string_equal(san(&a, "<p><span class=\"evil\">x</span></p>"),
			    "<p><span>x</span></p>");
	/* a bare prefix is no class; spacing is normalised */
	assert_string_equal(
		san(&a, "<p><span class=\" h-  mention\tp-name e-content "
			"dt-published u-photo invisible ellipsis hashtag "
			"Mention\">x</span></p>"),
		"<p><span class=\"mention p-name e-content dt-published "
		"u-photo invisible ellipsis hashtag\">x</span></p>");
	/* only a link and a span keep classes */
	assert_string_equal(san(&a, "<p class=\"x\">y</p>"), "<p>y</p>");
	assert_string_equal(san(&a, "<p class=\"h-entry\">y</p>"), "<p>y</p>");
	assert_string_equal(san(&a, "<p><b class=\"mention\">y</b></p>"),
			    "<p><b>y</b></p>");
	arena_release(&a);
}

static void test_list_numbering_is_kept_when_numeric(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<ol start=\"3\" reversed=\"reversed\">"
				    "<li value=\"2\">a</li><li>b</li></ol>"),
			    "<ol start=\"3\" reversed><li value=\"2\">a</li>"
			    "<li>b</li></ol>");
	assert_string_equal(san(&a, "<ol start=\"-1\"><li>a</li></ol>"),
			    "<ol start=\"-1\"><li>a</li></ol>");
	assert_string_equal(
		san(&a, "<ol start=\"x\" type=\"i\"><li value=\"3;x\">a</li>"
			"</ol>"),
		"<ol><li>a</li></ol>");
	assert_string_equal(
		san(&a, "<ol start=\"\"><li value=\"-\">a</li></ol>"),
		"<ol><li>a</li></ol>");
	/* start belongs to ol only */
	assert_string_equal(san(&a, "<ul start=\"3\" reversed><li>a</li></ul>"),
			    "<ul><li>a</li></ul>");
	arena_release(&a);
}

static void test_a_bare_reversed_attribute_is_kept(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	/* how HTML writes a boolean attribute, as Mastodon's own does */
	assert_string_equal(
		san(&a, "<ol start=\"3\" reversed><li value=\"2\">a</li></ol>"),
		"<ol start=\"3\" reversed><li value=\"2\">a</li></ol>");
	arena_release(&a);
}

static void test_text_stays_escaped(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<p>a &lt; b &amp;&amp; c</p>"),
			    "<p>a &lt; b &amp;&amp; c</p>");
	assert_string_equal(
		san(&a, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
		"<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
	assert_string_equal(san(&a, "<p>\"q\" 's' &quot;&#39;</p>"),
			    "<p>&quot;q&quot; &#39;s&#39; &quot;&#39;</p>");
	/* a raw '<' or '>' the parser takes as text comes out escaped */
	assert_string_equal(san(&a, "<p>1 < 2 > 0</p>"),
			    "<p>1 &lt; 2 &gt; 0</p>");
	/* other entities become their characters */
	assert_string_equal(san(&a, "<p>caf&eacute; &#8364;</p>"),
			    "<p>caf\xC3\xA9 \xE2\x82\xAC</p>");
	arena_release(&a);
}

static void test_attribute_quoting_cannot_be_broken(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(
		san(&a, "<a href='https://x.example/\"onmouseover=\"x'>l</a>"),
		"<a "
		"href=\"https://x.example/"
		"&quot;onmouseover=&quot;x\"" LINK_ATTRS ">l</a>");
	assert_string_equal(
		san(&a, "<p><a href=\"https://x.example/?a=1&amp;b=<2>\" "
			"class='mention\"x u-url\"onclick=\"y'>l</a></p>"),
		"<p><a "
		"href=\"https://x.example/?a=1&amp;b=&lt;2&gt;\"" LINK_ATTRS
		" class=\"u-url&quot;onclick=&quot;y\">l</a></p>");
	arena_release(&a);
}

static void test_comments_and_doctype_are_dropped(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(
		san(&a, "<!DOCTYPE html><!-- top --><p>a<!-- <script>x() "
			"</script> -->b</p><!-- end -->"),
		"<p>ab</p>");
	assert_string_equal(san(&a, "<!-- only a comment -->"), "");
	arena_release(&a);
}

static void test_malformed_tags_give_well_formed_output(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	char *out = san(&a, "<p><b>bold<p>next");
	assert_true(well_formed(&a, out));
	assert_string_equal(out, "<p><b>bold</b></p><p>next</p>");
	out = san(&a, "<a href=\"https://x\">unclosed");
	assert_true(well_formed(&a, out));
	assert_string_equal(out,
			    "<a href=\"https://x\"" LINK_ATTRS ">unclosed</a>");
	assert_string_equal(san(&a, "<ul><li>one<li>two</ul>"),
			    "<ul><li>one</li><li>two</li></ul>");
	assert_string_equal(san(&a, "<p><em><strong>a</em></strong>b"),
			    "<p><em><strong>a</strong></em>b</p>");
	assert_string_equal(san(&a, "<pre><code>unclosed code"),
			    "<pre><code>unclosed code</code></pre>");
	static const char *const broken[] = {
		"<p><em><strong>a</em></strong>b",
		"</p></b>stray closers<br></br>",
		"<ul><li>one<li>two</ul>",
		"<p>a<blockquote>b</p>c</blockquote>",
		"<a href=\"https://x.example/\"><a href=\"https://y.example/\">"
		"nested</a></a>",
		"<p><span class=\"h-card\"",
		"<p a=\"unterminated>text</p>",
		"<scr<script>ipt>alert(1)</script>",
		"<<script>script>alert(1)<</script>/script>",
		"<p/onclick=alert(1)>x</p>",
		"<![CDATA[<script>alert(1)</script>]]>",
		"<pre><code>unclosed code",
	};
	for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
		out = san(&a, broken[i]);
		if (!well_formed(&a, out))
			fail_msg("%s\n gave %s", broken[i], out);
	}
	arena_release(&a);
}

static void test_empty_input_and_a_lone_script_give_nothing(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(text_sanitize_html(&a, "", 0), "");
	assert_string_equal(text_sanitize_html(&a, "<p>x</p>", 0), "");
	assert_string_equal(san(&a, "<script>alert(1)</script>"), "");
	assert_string_equal(san(&a, "<p><script>alert(1)</script>"), "<p></p>");
	assert_string_equal(
		san(&a, "<style>*{}</style><img src=x><iframe></iframe>"), "");
	arena_release(&a);
}

static void test_only_n_bytes_are_read(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	const char *in = "<p>kept</p><script>alert(1)</script>";
	assert_string_equal(text_sanitize_html(&a, in, 11), "<p>kept</p>");
	arena_release(&a);
}

static void test_deep_nesting_does_not_crash(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	enum { DEPTH = 10000 };
	size_t n = DEPTH * (sizeof "<span>" - 1) + 1;
	char *in = arena_alloc(&a, n + 1);
	char *p = in;
	for (int i = 0; i < DEPTH; i++, p += sizeof "<span>" - 1)
		memcpy(p, "<span>", sizeof "<span>" - 1);
	*p++ = 'x';
	*p = '\0';
	char *out = text_sanitize_html(&a, in, n);
	assert_non_null(out);
	assert_true(well_formed(&a, out));
	arena_release(&a);
}

static void test_a_megabyte_of_input_does_not_crash(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	static const char unit[] =
		"<p>hello <b>world</b> &amp; <a href=\"https://x.example/\" "
		"onclick=\"x()\">link</a><script>alert(1)</script></p>";
	size_t count = (1 << 20) / (sizeof unit - 1) + 1;
	size_t n = count * (sizeof unit - 1);
	char *in = arena_alloc(&a, n + 1);
	for (size_t i = 0; i < count; i++)
		memcpy(in + i * (sizeof unit - 1), unit, sizeof unit - 1);
	in[n] = '\0';
	char *out = text_sanitize_html(&a, in, n);
	assert_non_null(out);
	assert_null(strstr(out, "script"));
	assert_null(strstr(out, "onclick"));
	arena_release(&a);
}

static void test_arbitrary_bytes_do_not_crash(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	static const char *const inputs[] = {
		"\xff\xfe",
		"\xff\xfe<p>x</p>",
		"<p>\x80\xc3</p>",
		"<p \xff=\xfe>x</p>",
		"<\xff\xfe>",
		"&#0; &#xD800; &#x110000; &#99999999999;",
		"\xef\xbb\xbf<p>bom</p>",
	};
	for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
		char *out = san(&a, inputs[i]);
		assert_non_null(out);
		assert_true(well_formed(&a, out));
	}
	/* every byte value but NUL, once */
	char all[255];
	for (int i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	assert_non_null(text_sanitize_html(&a, all, sizeof all));
	arena_release(&a);
}

/* What is not UTF-8 is refused whole; what is comes out as UTF-8, even
 * where character references name no character. */
static void test_only_utf8_goes_in_and_comes_out(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "\xff\xfe<p>x</p>"), "");
	assert_string_equal(san(&a, "<p>\x80\xc3</p>"), "");
	const char *out =
		san(&a, "<p>&#0; &#xD800; &#x110000; caf\xc3\xa9</p>");
	assert_true(text_utf8_valid(out, strlen(out)));
	assert_non_null(strstr(out, "caf\xc3\xa9"));
	arena_release(&a);
}

static void test_bare_text_is_kept_escaped_in_a_paragraph(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "hello"), "<p>hello</p>");
	assert_string_equal(san(&a, "a < b & \"c\""),
			    "<p>a &lt; b &amp; &quot;c&quot;</p>");
	arena_release(&a);
}

static void test_a_line_break_stays_a_void_tag(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(san(&a, "<p>a<br>b<br/>c<br />d</p>"),
			    "<p>a<br>b<br>c<br>d</p>");
	assert_string_equal(san(&a, "<p>a<br class=\"x\" onclick=\"y\">b</p>"),
			    "<p>a<br>b</p>");
	arena_release(&a);
}

static void test_preformatted_code_is_kept(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	assert_string_equal(
		san(&a, "<pre><code>int x = 1 &lt; 2;\n    y(&amp;x);"
			"</code></pre>"),
		"<pre><code>int x = 1 &lt; 2;\n    y(&amp;x);</code></pre>");
	arena_release(&a);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_checker_refuses_broken_html),
		cmocka_unit_test(test_mastodon_content_keeps_its_meaning),
		cmocka_unit_test(test_the_allowed_elements_pass_unchanged),
		cmocka_unit_test(
			test_a_link_gets_our_rel_and_target_in_place_of_its_own),
		cmocka_unit_test(test_a_script_and_its_text_are_gone),
		cmocka_unit_test(test_a_style_and_its_rules_are_gone),
		cmocka_unit_test(test_event_handlers_are_dropped),
		cmocka_unit_test(test_style_and_id_attributes_are_dropped),
		cmocka_unit_test(
			test_a_javascript_link_keeps_its_text_but_not_its_tag),
		cmocka_unit_test(
			test_data_and_vbscript_links_keep_only_their_text),
		cmocka_unit_test(
			test_a_disguised_javascript_link_keeps_only_its_text),
		cmocka_unit_test(test_an_image_with_a_handler_is_gone_entirely),
		cmocka_unit_test(test_frames_objects_svg_and_forms_are_gone),
		cmocka_unit_test(
			test_an_unclosed_embed_does_not_swallow_what_follows),
		cmocka_unit_test(
			test_a_stray_document_end_tag_does_not_hide_what_follows),
		cmocka_unit_test(
			test_unknown_elements_give_up_their_tags_and_keep_their_text),
		cmocka_unit_test(test_a_heading_becomes_a_strong_paragraph),
		cmocka_unit_test(
			test_only_microformat_and_mastodon_classes_are_kept),
		cmocka_unit_test(test_list_numbering_is_kept_when_numeric),
		cmocka_unit_test(test_a_bare_reversed_attribute_is_kept),
		cmocka_unit_test(test_text_stays_escaped),
		cmocka_unit_test(test_attribute_quoting_cannot_be_broken),
		cmocka_unit_test(test_comments_and_doctype_are_dropped),
		cmocka_unit_test(test_malformed_tags_give_well_formed_output),
		cmocka_unit_test(
			test_empty_input_and_a_lone_script_give_nothing),
		cmocka_unit_test(test_only_n_bytes_are_read),
		cmocka_unit_test(test_deep_nesting_does_not_crash),
		cmocka_unit_test(test_a_megabyte_of_input_does_not_crash),
		cmocka_unit_test(test_arbitrary_bytes_do_not_crash),
		cmocka_unit_test(test_only_utf8_goes_in_and_comes_out),
		cmocka_unit_test(test_bare_text_is_kept_escaped_in_a_paragraph),
		cmocka_unit_test(test_a_line_break_stays_a_void_tag),
		cmocka_unit_test(test_preformatted_code_is_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
