/* fuzz_sanitize.c — HTML from other servers (text/sanitize.c), the input
 * being a post's content or a bio as it arrives. Invariants: what comes
 * out holds only the allow-list's tags and attributes, every value
 * quoted and escaped, and is UTF-8; sanitising it again keeps its text
 * exactly (no markup hides in the output to come alive when it is read
 * again). The tags and white space may differ the second time: libxml2
 * wraps text that opens a body in an implied <p>, dropping the blanks
 * before it. */
#include "fuzz.h"

#include "text/text.h"

static const char *const kept_tags[] = {
	"p", "br", "span", "a",	 "del", "pre", "code",	     "em", "strong",
	"b", "i",  "u",	   "ul", "ol",	"li",  "blockquote", NULL,
};
static const char *const kept_attrs[] = {
	"href", "rel", "target", "class", "start", "reversed", "value", NULL,
};

/* What html shows: its tags gone (their text stays, escaped), and its
 * white space, which libxml2 drops where it deems it blank. */
static char *text_of(arena *a, const char *html)
{
	char *out = arena_alloc(a, strlen(html) + 1), *o = out;
	for (const char *p = html; *p;) {
		if (*p == '<') {
			p += strcspn(p, ">");
			p += *p == '>';
		} else if (strchr(" \t\n\r\f", *p)) {
			p++;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena a;
	arena_init(&a);
	const char *html = (const char *)data;
	char *once = text_sanitize_html(&a, html, size);
	FUZZ_CHECK(once != NULL);
	FUZZ_CHECK(text_utf8_valid(once, strlen(once)));
	FUZZ_CHECK(fuzz_html_only(once, kept_tags, kept_attrs));
	char *twice = text_sanitize_html(&a, once, strlen(once));
	FUZZ_CHECK(fuzz_html_only(twice, kept_tags, kept_attrs));
	if (strcmp(text_of(&a, once), text_of(&a, twice))) {
		fprintf(stderr, "once:  %s\ntwice: %s\n", once, twice);
		FUZZ_CHECK(!"sanitising twice changes the text");
	}
	arena_release(&a);
	return 0;
}
