/* fuzz_text.c — a post's text (text/text.c): finding its links, mentions
 * and hashtags, counting it, its search tokens, and rendering it as HTML.
 * The input is the text as a client posts it. Invariants: the entities
 * lie inside the text, in order, apart, each starting with what makes it
 * one; a hashtag has a key; the rendered HTML holds no tag or attribute
 * render does not write (no user '<' comes through raw), whether a
 * mention resolves or not; escaped text holds no markup. */
#include "fuzz.h"

#include "text/text.h"

static const char *const render_tags[] = {"p", "br", "a", "span", NULL};
static const char *const render_attrs[] = {"href",   "class",	  "rel",
					   "target", "translate", NULL};

/* A token lies inside the text and is at most the cut length. */
static int check_token(void *ctx, const char *token, size_t len, size_t start,
		       size_t end)
{
	size_t n = *(size_t *)ctx;
	FUZZ_CHECK(len > 0 && len <= TEXT_SEARCH_TOKEN_MAX);
	FUZZ_CHECK(start < end && end <= n);
	(void)token;
	return 0;
}

static void check_entities(const char *s, size_t n, const text_parsed *p)
{
	size_t pos = 0;
	for (size_t i = 0; i < p->count; i++) {
		const text_entity *e = &p->items[i];
		FUZZ_CHECK(e->start >= pos && e->len > 0);
		FUZZ_CHECK(e->start + e->len <= n);
		FUZZ_CHECK(e->value != NULL);
		pos = e->start + e->len;
		switch (e->kind) {
		case TEXT_URL: FUZZ_CHECK(e->len <= TEXT_URL_MAX_BYTES); break;
		case TEXT_MENTION:
			/* '@' or the fullwidth one (U+FF20) */
			FUZZ_CHECK(s[e->start] == '@' ||
				   !memcmp(s + e->start, "\xef\xbc\xa0", 3));
			FUZZ_CHECK(!e->domain ||
				   strlen(e->domain) <= TEXT_DOMAIN_MAX_BYTES);
			break;
		case TEXT_HASHTAG:
			FUZZ_CHECK(s[e->start] == '#' ||
				   !memcmp(s + e->start, "\xef\xbc\x83", 3));
			FUZZ_CHECK(e->key != NULL);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena a;
	arena_init(&a);
	char *s = arena_strndup(&a, (const char *)data, size);
	/* the API refuses what is not UTF-8 before anything here sees it */
	if (!text_utf8_valid(s, size)) {
		arena_release(&a);
		return 0;
	}
	text_parsed p;
	text_parse(&a, s, size, &p);
	check_entities(s, size, &p);
	FUZZ_CHECK(text_code_points(s) <= size);
	FUZZ_CHECK(text_code_points_prefix(s, size, 10) <= size);
	(void)text_count_chars(s, size, 23);
	FUZZ_CHECK(text_search_tokens(s, size, check_token, &size) == 0);

	text_render_opts o = {.tag_base = "https://chorus.example/tags/"};
	char *html = text_render_html(&a, s, size, &p, &o);
	FUZZ_CHECK(fuzz_html_only(html, render_tags, render_attrs));
	/* mentions resolved, as the poster's server does before rendering */
	for (size_t i = 0; i < p.count; i++)
		if (p.items[i].kind == TEXT_MENTION)
			p.items[i].href = arena_printf(
				&a, "https://%s/@%s",
				p.items[i].domain ? p.items[i].domain
						  : "chorus.example",
				p.items[i].value);
	html = text_render_html(&a, s, size, &p, &o);
	FUZZ_CHECK(fuzz_html_only(html, render_tags, render_attrs));

	buf b;
	buf_init(&b, &a);
	text_escape_html(&b, s, size);
	FUZZ_CHECK(strcspn(b.data, "<>\"") == b.len);
	arena_release(&a);
	return 0;
}
