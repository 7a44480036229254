/* web.h — the HTML pages: the instance's public face (profile, thread,
 * hashtag, explore, search), sign-up and sign-in.
 *
 * Handlers have the API's shape: parse, call domain/ (the same functions
 * the API calls, so no rule has a second copy), render. Rendering goes
 * through the one HTML writer below, which escapes every byte of data it
 * is handed; a post's content (HTML that text/ made) is the only markup
 * inserted raw, and only through html_trusted. */
#ifndef CHORUS_WEB_H
#define CHORUS_WEB_H

#include "core/buf.h"
#include "domain/domain.h"
#include "http/http.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- html.c: the one HTML writer ---- */

/* Append fmt to b. The format is markup written by chorus (a string
 * literal); every %s argument is data and is escaped for text and for
 * quoted attribute values alike (& < > " '). Numbers (%d %ld %lld %zu %u
 * %x, with length modifiers) go as printf writes them; %% is a '%'. No
 * other conversion is accepted (the writer aborts: a bug, not input). */
void html(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append the n bytes of s escaped (text or attribute value). */
void html_text(buf *b, const char *s, size_t n);
/* Append markup that is safe by origin: a post's or a bio's content as
 * text/ rendered it, or an SVG chorus drew. Never user input. */
void html_trusted(buf *b, const char *markup);
/* s with every character but [A-Za-z0-9-._~] percent-encoded, for a
 * path segment or a query value. Arena memory. */
char *html_url_encode(arena *a, const char *s);

/* ---- i18n.c: translations (gettext, domain "chorus") ---- */

/* The user-facing string s in the calling thread's language (set by
 * web_i18n_select); s itself when untranslated or in English. Static
 * memory (the catalogue's, or s). */
const char *web_tr(const char *s);
/* The singular or plural form for n, by the language's plural rule
 * (English: one when n == 1). Static memory. */
const char *web_trn(const char *one, const char *many, unsigned long n);
#define _(s)  web_tr(s)
#define N_(s) (s) /* marks a string for the catalogue, translated later */
/* Bind the catalogue and make one locale per language: the directory is
 * $CHORUS_LOCALE_DIR, else locale/ beside the binary, else ../share/locale
 * from it, else /usr/share/locale. A language whose catalogue or system
 * locale is missing is left out (one log line; its readers get English).
 * Unsets LANGUAGE, which would outrank the reader's choice. Call once at
 * start, before any thread that translates. */
void web_i18n_init(void);
/* Pick the best language for an Accept-Language header (NULL, empty or
 * malformed: English) and make its locale the calling thread's; returns
 * its tag ("en", "es"), static, for <html lang>. */
const char *web_i18n_select(const char *accept_language);
/* The index in offered[0..n) of the best language tag for an
 * Accept-Language header, by q-value then order written; a range matches
 * by primary subtag ("es-MX" is "es"), "*" any tag not named, q=0 refuses.
 * offered[0] is the default, returned when nothing fits (or header NULL).
 * Pure: web_i18n_select's choice, exposed for tests. */
size_t web_i18n_choose(const char *accept_language, const char *const *offered,
		       size_t n);
/* Back to the process's global locale on this thread (after a request). */
void web_i18n_reset(void);
/* The language tag web_i18n_select chose on this thread ("en" before any
 * or after web_i18n_reset), for <html lang>. Static. */
const char *web_i18n_lang(void);

/* ---- page.c: the layout every page shares ---- */

typedef struct web_page {
	http_req *r;
	buf main;	   /* what goes inside <main> */
	const char *title; /* plain text; "" for the home page */
	/* for <meta name=description> and Open Graph; plain text or NULL */
	const char *description;
	const char *canonical; /* absolute URL or NULL */
	const char *og_type;   /* "article", "profile", "website" */
	const char *og_image;  /* absolute URL or NULL */
	const char *rss;       /* absolute URL of an RSS feed, or NULL */
	const char *oembed;    /* absolute URL of the oEmbed JSON, or NULL */
	bool noindex;	       /* <meta name=robots content=noindex> */
} web_page;

/* Start a page for r: main is empty, the language is the request's. */
void web_page_begin(web_page *p, http_req *r, const char *title);
/* Wrap main in the layout (head, header with navigation, footer) and
 * reply with status, the HTML headers (Content-Security-Policy,
 * Cache-Control) and an ETag; a matching If-None-Match gets 304. */
void web_page_reply(web_page *p, int status);
/* An error page (404, 400, 403, 429, 500…) with a heading and message
 * (translated plain text). */
void web_reply_error(http_req *r, int status, const char *heading,
		     const char *message);
/* The server's own errors (no route, bad UTF-8, body too large): an HTML
 * page for a browser path, the API's JSON for /api/ and /oauth/ paths. */
void web_error_hook(http_req *r, int status, const char *msg);

/* ---- status.c: posts rendered for people ---- */

/* Append s (a boost shows as a boost of its target) as an <article>.
 * link: the time links to the post's own page. */
void web_status(web_page *p, const status *s, bool link);
/* Append a list of statuses (<div class=feed>) and, when next_max_id,
 * an "Older posts" link to base?max_id=next_max_id. */
void web_status_list(web_page *p, status *const *items, size_t n,
		     const char *base, int64_t next_max_id);
/* An account's display name (its username when empty). */
const char *web_display_name(const account *acc);
/* Absolute URLs of the pages. Arena memory. */
char *web_status_url(arena *a, const status *s);
char *web_account_url(arena *a, const account *acc);
char *web_tag_url(arena *a, const char *name);

/* ---- sessions (session.c) ---- */

/* The signed-in account of a browser request, or 0. */
int64_t web_viewer(http_req *r);

/* ---- routes ---- */

/* The auth value of every web route: web_guard runs instead of the API's
 * guard. */
#define WEB_ROUTE 100
extern const http_route web_routes[];
extern const size_t web_nroutes;
bool web_guard(http_req *r, const http_route *route);
void web_after(http_req *r);
/* Compute asset hashes, bind translations. 0 or -1. */
int web_init(void);

/* handlers, by file */
void web_home(http_req *r);
void web_about(http_req *r);
void web_profile(http_req *r);
void web_thread(http_req *r);
void web_thread_by_uri(http_req *r);
void web_tag(http_req *r);
void web_explore(http_req *r);
void web_search(http_req *r);
void web_asset(http_req *r);
void web_oembed(http_req *r);

#endif
