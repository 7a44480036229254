/* sanitize.c — HTML from other servers made safe to show: parsed by
 * libxml2's HTML parser (what a browser would build, never patterns over
 * the text) and written out again by our own writer, keeping only an
 * allow-list: Mastodon's (the research notes' §4.5), so a post reads here
 * as it reads there.
 *
 * Kept: p br span a del pre code em strong b i u ul ol li blockquote,
 * with a[href rel class], span[class], ol[start reversed], li[value];
 * classes only microformats' (h- p- u- dt- e-) and mention, hashtag,
 * ellipsis, invisible. A link keeps its text but loses its tag unless its
 * scheme is one people share (http, https, and the peer-to-peer ones
 * Mastodon allows), and gets rel="nofollow noopener noreferrer" and
 * target="_blank". A heading becomes a strong paragraph. What scripts,
 * styles or embeds carry goes with them; any other element gives up its
 * tag and keeps its text. Every attribute not listed goes (event
 * handlers, style, src). */
#include "text/text.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_parser(void)
{
	xmlInitParser();
}

/* Elements kept as they are. */
static bool kept(const char *name)
{
	static const char *const tags[] = {
		"p",	  "br", "span", "a", "del", "pre", "code", "em",
		"strong", "b",	"i",	"u", "ul",  "ol",  "li",   "blockquote",
	};
	for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
		if (!strcmp(name, tags[i]))
			return true;
	return false;
}

/* Elements whose content goes with them: it was never text. */
static bool dropped(const char *name)
{
	static const char *const tags[] = {
		"script",   "style",	"iframe", "object", "template",
		"noscript", "title",	"head",	  "svg",    "math",
		"frame",    "frameset", "applet", "select", "textarea",
		"button",   "form",	"video",  "audio",  "canvas",
	};
	for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
		if (!strcmp(name, tags[i]))
			return true;
	return false;
}

/* Elements HTML writes without an end tag, which libxml2 2.9 may still
 * make the parent of what follows them (<embed>, unclosed): they go,
 * what the parser put inside them stays. */
static bool void_element(const char *name)
{
	static const char *const tags[] = {
		"embed",  "img",   "input", "link", "meta", "base", "param",
		"source", "track", "area",  "col",  "hr",   "wbr",  "keygen",
	};
	for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
		if (!strcmp(name, tags[i]))
			return true;
	return false;
}

static bool heading(const char *name)
{
	return name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2];
}

static bool link_scheme_allowed(const char *href)
{
	static const char *const schemes[] = {
		"http:", "https:",  "dat:",  "dweb:",	"ipfs:",   "ipns:",
		"ssb:",	 "gopher:", "xmpp:", "magnet:", "gemini:",
	};
	for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
		if (!strncasecmp(href, schemes[i], strlen(schemes[i])))
			return true;
	return false;
}

/* The classes of value worth keeping, space-separated, in b; whether
 * any was. */
static bool put_classes(buf *b, const char *value)
{
	static const char *const whole[] = {"mention", "hashtag", "ellipsis",
					    "invisible"};
	static const char *const prefixes[] = {"h-", "p-", "u-", "dt-", "e-"};
	bool any = false;
	for (const char *p = value; *p;) {
		p += strspn(p, " \t\n");
		size_t n = strcspn(p, " \t\n");
		if (!n)
			break;
		bool ok = false;
		for (size_t i = 0; i < 4 && !ok; i++)
			ok = strlen(whole[i]) == n && !strncmp(p, whole[i], n);
		for (size_t i = 0; i < 5 && !ok; i++)
			ok = n > strlen(prefixes[i]) &&
			     !strncmp(p, prefixes[i], strlen(prefixes[i]));
		if (ok) {
			buf_puts(b, any ? " " : " class=\"");
			text_escape_html(b, p, n);
			any = true;
		}
		p += n;
	}
	if (any)
		buf_putc(b, '"');
	return any;
}

static xmlAttr *attr_node(xmlNode *n, const char *name)
{
	for (xmlAttr *a = n->properties; a; a = a->next)
		if (!strcasecmp((const char *)a->name, name))
			return a;
	return NULL;
}

/* An attribute's value; NULL when absent or written bare. */
static const char *attr(xmlNode *n, const char *name)
{
	xmlAttr *a = attr_node(n, name);
	return a && a->children && a->children->content
		       ? (const char *)a->children->content
		       : NULL;
}

static void put_attr(buf *b, const char *name, const char *value)
{
	buf_printf(b, " %s=\"", name);
	text_escape_html(b, value, strlen(value));
	buf_putc(b, '"');
}

/* Whether value is a number (ol start, li value). */
static bool numeric(const char *value)
{
	const char *p = value + (*value == '-');
	return *p && strspn(p, "0123456789") == strlen(p) && strlen(p) < 10;
}

static void put_children(buf *b, xmlNode *n);

/* The start tag of a kept element with its allowed attributes; false
 * when the element is to be unwrapped instead (a link nowhere). */
static bool put_start(buf *b, const char *name, xmlNode *n)
{
	const char *href = NULL;
	if (!strcmp(name, "a")) {
		href = attr(n, "href");
		if (!href || !link_scheme_allowed(href))
			return false;
	}
	buf_printf(b, "<%s", name);
	if (href) {
		put_attr(b, "href", href);
		buf_puts(b, " rel=\"nofollow noopener noreferrer\""
			    " target=\"_blank\"");
	}
	const char *cls = attr(n, "class");
	if (cls && (!strcmp(name, "a") || !strcmp(name, "span")))
		put_classes(b, cls);
	const char *v;
	if (!strcmp(name, "ol") && (v = attr(n, "start")) && numeric(v))
		put_attr(b, "start", v);
	if (!strcmp(name, "ol") && attr_node(n, "reversed"))
		buf_puts(b, " reversed");
	if (!strcmp(name, "li") && (v = attr(n, "value")) && numeric(v))
		put_attr(b, "value", v);
	buf_putc(b, '>');
	return true;
}

static void put_node(buf *b, xmlNode *n)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content)
			text_escape_html(b, (const char *)n->content,
					 strlen((const char *)n->content));
		return;
	}
	if (n->type != XML_ELEMENT_NODE)
		return; /* comments, processing instructions */
	const char *name = (const char *)n->name;
	if (dropped(name))
		return;
	if (void_element(name)) {
		put_children(b, n);
		return;
	}
	if (heading(name)) {
		buf_puts(b, "<p><strong>");
		put_children(b, n);
		buf_puts(b, "</strong></p>");
		return;
	}
	if (!kept(name) || !put_start(b, name, n)) {
		put_children(b, n);
		return;
	}
	if (strcmp(name, "br")) {
		put_children(b, n);
		buf_printf(b, "</%s>", name);
	}
}

static void put_children(buf *b, xmlNode *n)
{
	for (xmlNode *c = n->children; c; c = c->next)
		put_node(b, c);
}

char *text_sanitize_html(arena *a, const char *html, size_t n)
{
	pthread_once(&once, init_parser);
	buf b;
	buf_init(&b, a);
	/* what is not UTF-8 cannot be written out as UTF-8 */
	if (n > (size_t)INT32_MAX || !text_utf8_valid(html, n))
		return arena_strdup(a, "");
	htmlDocPtr doc = htmlReadMemory(
		html, (int)n, NULL, "UTF-8",
		HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	/* the parser wraps a fragment in html and body, and puts what
	 * follows a stray </body> or </html> beside the body: all of it
	 * is the text (head is dropped with its content) */
	if (root && !strcmp((const char *)root->name, "html"))
		for (xmlNode *c = root->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE &&
			    !strcmp((const char *)c->name, "body"))
				put_children(&b, c);
			else
				put_node(&b, c);
	else
		for (xmlNode *c = root; c; c = c->next)
			put_node(&b, c);
	xmlFreeDoc(doc);
	return b.len ? b.data : arena_strdup(a, "");
}
