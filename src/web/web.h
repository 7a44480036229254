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
 * %x, with length modifiers) go as printf writes them; %% is a '%'. Any
 * other '%' is written as it is and consumes no argument (translated
 * formats come through here; msgfmt --check keeps them matching). */
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
/* Append a translated sentence that holds markup, as one string for the
 * translator (_("%s boosted"), _("Replying to %s")): the text of
 * translated escaped, each %s (or %1$s, %2$s… where a language reorders)
 * replaced by the next (or that) of parts[0..nparts), markup that chorus
 * made with html() — a link around a name — inserted as it is; %% is '%'.
 * A placeholder without a part writes nothing. */
void web_tr_html(buf *b, const char *translated, size_t nparts,
		 const char *const *parts);
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
/* The page script's strings (src/web/assets/chorus.js) in this thread's
 * language, for <meta name="chorus-strings" content=…>: a JSON object
 * with share, copy_link, copied, copy_failed and new_posts_<category> per
 * Intl.PluralRules category ("{n}" the number). Static ("{}" if it could
 * not be made, and the script keeps its English). */
const char *web_i18n_script_strings(void);

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
	bool embed; /* for other sites' frames: no site header or footer */
	/* a thread's page: replies are nested, so no "Replying to" lines */
	bool thread;
	/* where the page's lists are read (the context of the reader's
	 * filters: a post a warn or blur filter matches there is folded) */
	read_context context;
	/* the control each post web_status draws gets, for a reader who
	 * may use it (status_reply_hideable) */
	enum { WEB_CONTROL_NONE, WEB_CONTROL_HIDE, WEB_CONTROL_UNHIDE } control;
} web_page;

/* Start a page for r: main is empty, the language is the request's,
 * its lists are read in READ_PUBLIC, its posts have no controls. */
void web_page_begin(web_page *p, http_req *r, const char *title);
/* Wrap main in the layout (head, header with navigation, footer) and
 * reply with status, the HTML headers (Content-Security-Policy,
 * Cache-Control) and an ETag; a matching If-None-Match gets 304. */
void web_page_reply(web_page *p, int status);
/* A rendered page: its HTML, the same gzipped (NULL when not made), and
 * its ETag (unquoted, of the HTML; NULL for none). */
typedef struct web_body {
	const char *html, *gz;
	size_t len, gzlen;
	const char *etag;
} web_body;
/* Reply with a complete page: the page headers (CSP, Vary,
 * Cache-Control), the gzipped bytes when the client takes them, and for a
 * 200 with an etag the ETag, answering 304 when If-None-Match holds it. */
void web_reply_html(http_req *r, int status, const web_body *body);
/* The 404 and 400 pages. */
void web_not_found(http_req *r);
void web_bad_request(http_req *r);
/* An error page (404, 400, 403, 429, 500…) with a heading and message
 * (translated plain text). */
void web_reply_error(http_req *r, int status, const char *heading,
		     const char *message);
/* The server's own errors (no route, bad UTF-8, body too large): an HTML
 * page for a browser path, the API's JSON for /api/ and /oauth/ paths. */
void web_error_hook(http_req *r, int status, const char *msg);

/* ---- status.c: posts rendered for people ---- */

/* Append s (a boost shows as a boost of its target) as an <article>.
 * link: the time links to the post's own page. Folded in <details>
 * ("Filtered: title") when a warn or blur filter of the reader's for
 * p->context matches it (visibility_filtered); with p->control's form
 * when the reader may use it. */
void web_status(web_page *p, const status *s, bool link);
/* The post a thread page is about: larger, its time not a link. */
void web_status_focus(web_page *p, const status *s);
/* Append statuses (the caller wraps them in its feed element), or a
 * "nothing here" line, and, when next_max_id, an "Older posts" link
 * (rel=next) to base?max_id=next_max_id (base a path, may hold a query). */
void web_status_list(web_page *p, status *const *items, size_t n,
		     const char *base, int64_t next_max_id);
/* An account's display name (its username when empty). */
const char *web_display_name(const account *acc);
/* Absolute URLs of the pages. Arena memory. */
char *web_status_url(arena *a, const status *s);
char *web_account_url(arena *a, const account *acc);
char *web_tag_url(arena *a, const char *name);
/* Paths of a file under /media, and of an account's avatar. Arena. */
char *web_media_url(arena *a, const char *name);
const char *web_avatar_url(arena *a, const account *acc);
/* The start of s for a title or a summary: its content warning, else its
 * text, at most chars characters (UTF-8 safe, "…" when cut), on one line;
 * "" when it has neither. Arena. */
const char *web_status_summary(arena *a, const status *s, size_t chars);
/* <time datetime=…> with a relative text ("5 minutes ago"). */
void web_time(buf *b, int64_t ms);

/* ---- chart.c: a tag's month, drawn on the server ---- */

typedef struct web_chart {
	const char *id;	   /* unique in the page; prefixes the chart's ids */
	const char *title; /* plain text, e.g. "#Name over 30 days" */
	const int64_t *posts, *voices; /* per day, oldest first */
	int days;
	int64_t first_day_ms; /* the UTC midnight of posts[0] */
} web_chart;
/* Append a <figure> holding an SVG (class "chart": bars class "posts",
 * line class "voices", dots class "voices-dot", lines class "axis") that
 * scales to its box and is labelled by its <title> and <desc>, a legend,
 * and the same numbers as a table class "sr-only". Nothing for days ≤ 0. */
void web_chart_svg(buf *b, const web_chart *c);

/* ---- rss.c: feeds of public posts ---- */

/* /tags/NAME.rss: RSS 2.0 of the newest public posts under the tag that
 * an anonymous visitor may see. The 400 page for a name that cannot be a
 * hashtag, the 404 page for one nobody used. */
void web_rss_tag(http_req *r, const char *name);
/* /@name.rss: the same for acc's public posts (no boosts, no replies to
 * others). */
void web_rss_account(http_req *r, const account *acc);

/* ---- requests and sessions ---- */

/* What web_guard learnt about a browser request (r->session). */
typedef struct web_request {
	int64_t viewer;		/* the signed-in account, or 0 */
	const account *account; /* its account, or NULL */
	const char *csrf;	/* the token forms of this browser carry */
	const char *lang;	/* the language chosen for the request */
	bool embed;		/* a page for other sites' frames */
	/* the page holds this browser's CSRF token (web_csrf_input): sent
	 * with Cache-Control: no-store and kept by no cache */
	bool no_store;
	/* its form ends in a redirect to another site (the OAuth authorize
	 * page, to the app's redirect_uri): no form-action in the policy,
	 * which browsers apply to that redirect too */
	bool redirects_out;
} web_request;
/* r's web_request; an empty one (anonymous) when no web guard ran. */
const web_request *web_request_of(http_req *r);
/* The signed-in account of a browser request, or 0. */
int64_t web_viewer(http_req *r);

/* ---- session.c: browser sessions and CSRF ---- */

/* Fill w's viewer, account and csrf from r's cookies (chorus_session,
 * chorus_csrf); an ended or expired session's cookie is deleted. Call
 * from the guard inside the read snapshot: resolving may write (a
 * session's last use, once an hour) and begins the snapshot again. */
void web_session_load(http_req *r, web_request *w);
/* Begin a session of account_id for this browser: its cookie is set,
 * and a new CSRF token (a token planted before sign-in is worth nothing
 * after). False when the store failed. */
bool web_session_start(http_req *r, int64_t account_id);
/* End this browser's session (if any) and delete its cookie. 0, or -1
 * when the store failed. */
int web_session_end(http_req *r);
/* Append the hidden CSRF field to b (to p->main): the browser's token,
 * made and sent as its cookie if it has none yet. The page becomes
 * no_store. Web routes only. */
void web_csrf_input(buf *b, http_req *r);
void web_csrf_field(web_page *p);
/* Whether r (a POST) carries in its body the CSRF token its cookie
 * holds. Every web form that changes anything checks it first. */
bool web_csrf_ok(http_req *r);
/* The 403 page of a form that failed web_csrf_ok. */
void web_csrf_refuse(http_req *r);
/* The value of cookie name in a Cookie header (NULL: none), arena. */
const char *web_cookie_get(arena *a, const char *header, const char *name);
/* Two CSRF tokens, both well formed and equal (constant time). */
bool web_csrf_equal(const char *expected, const char *given);
/* Whether path is safe to send a browser to after signing in: a path on
 * this site ("/…"), never "//host", "/\host", a scheme, or a control
 * character or space a browser would drop. */
bool web_return_to_safe(const char *path);
/* r's return_to parameter when web_return_to_safe, else "/". */
const char *web_return_to(http_req *r);
/* Check the posted username and password (slow: call on a password
 * work thread) and start a session. True when signed in; else false with
 * *error set (no match: nothing written, the caller shows its form) or
 * NULL (the store failed: the 500 page was replied). */
bool web_sign_in_posted(http_req *r, const char **error);
/* The 429 page with Retry-After: the password work queue is full. */
void web_reply_busy(http_req *r);
/* A sign-out button (a POST form with its CSRF field) into b. */
void web_sign_out_form(buf *b, http_req *r);

/* ---- safety.c: blocks, mutes and hidden replies from the pages ---- */

/* The reader of a signed-in form: checks the CSRF token (else the 403
 * page) and that someone is signed in (else a 303 to the sign-in page,
 * coming back to back, a path); fills *p. False when it replied. */
bool web_form_principal(http_req *r, const char *back, principal *p);
/* 303 See Other to location (a path): where a form's POST lands. */
void web_see_other(http_req *r, const char *location);
/* Into p->main: what the reader did to acc (blocked, muted) and the
 * forms to change it; nothing when signed out or acc is the reader. */
void web_relation_controls(web_page *p, const account *acc);
/* Into p->main: the Hide (on) or Unhide form of reply s, coming back to
 * this page. The caller checked status_reply_hideable. */
void web_reply_control(web_page *p, const status *s, bool on);

/* ---- assets.c: the stylesheet and the script, embedded ---- */
typedef enum web_asset_kind {
	WEB_ASSET_CSS,
	WEB_ASSET_JS,
	WEB_ASSET_ICON,
} web_asset_kind;
/* "/assets/chorus.<hash>.css": the path with the content hash, static. */
const char *web_asset_path(web_asset_kind kind);
/* Hash the assets into their paths, gzip them. 0. */
int web_assets_init(void);
void web_assets_shutdown(void);

/* ---- pagecache.c: anonymous pages, kept until something changes
 * (core/replies.h) ---- */
/* The cached page for r (an anonymous GET), replied with; false on a
 * miss. */
bool web_cache_reply(http_req *r);
/* Whether a page rendered for r may be kept (an anonymous GET). */
bool web_cache_wanted(http_req *r, int status);
/* Keep a page just rendered for r (web_cache_wanted said yes). */
void web_cache_store(http_req *r, int status, const web_body *body);

/* ---- gzip.c ---- */
/* in gzipped into *out (arena), *outn bytes. False on failure. */
bool web_gzip(arena *a, const char *in, size_t n, char **out, size_t *outn);
/* Whether the request's Accept-Encoding takes gzip. */
bool web_accepts_gzip(http_req *r);

/* ---- shared by the page handlers ---- */
/* ?max_id= into a page of the default length; false after the 400 page
 * when it is not an id. */
bool web_page_param(http_req *r, page *pg);
/* The local account a path segment "@name" names, or false. */
bool web_path_account(http_req *r, const char *seg, account *out);
/* Serve /@name/with_replies or /@name/media when tab is one; false
 * otherwise (nothing replied). */
bool web_profile_tab(http_req *r, const account *acc, const char *tab);

/* ---- routes ---- */

/* The auth value of every web route: web_guard runs instead of the API's
 * guard. */
#define WEB_ROUTE 100
extern const http_route web_routes[];
extern const size_t web_nroutes;
bool web_guard(http_req *r, const http_route *route);
void web_after(http_req *r);
/* Compute asset hashes, bind translations, make the page cache. 0 or
 * -1. */
int web_init(void);
void web_shutdown(void);

/* handlers, by file */
void web_home(http_req *r);
void web_about(http_req *r);
void web_profile(http_req *r);
void web_profile_tagged(http_req *r);
void web_account_by_uri(http_req *r);
void web_thread(http_req *r);
void web_thread_by_uri(http_req *r);
void web_thread_hidden(http_req *r);
/* safety.c */
void web_account_block(http_req *r);
void web_account_unblock(http_req *r);
void web_account_mute(http_req *r);
void web_account_unmute(http_req *r);
void web_reply_hide(http_req *r);
void web_reply_unhide(http_req *r);
/* filters.c: /filters */
void web_filters_page(http_req *r);
void web_filters_create(http_req *r);
void web_filters_delete(http_req *r);
void web_embed(http_req *r);
void web_tag(http_req *r);
void web_explore(http_req *r);
void web_search(http_req *r);
void web_asset(http_req *r);
void web_oembed(http_req *r);
/* auth.c: sign-in, sign-up, sign-out */
void web_sign_in_page(http_req *r);
void web_sign_in_submit(http_req *r);
void web_sign_up_page(http_req *r);
/* /invite/CODE: the sign-up page with the invite (chorus admin invite). */
void web_invite(http_req *r);
void web_sign_up_submit(http_req *r);
void web_sign_out(http_req *r);
/* Into p->main: the sign-in form's fields (CSRF, login, password, the
 * button) with an error above them (NULL: none) and login kept; the
 * caller writes <form> and any hidden fields of its own. */
void web_sign_in_fields(web_page *p, const char *login, const char *error);
/* authorize.c: OAuth 2's /oauth/authorize as a page */
void web_authorize_page(http_req *r);
void web_authorize_submit(http_req *r);

#endif
