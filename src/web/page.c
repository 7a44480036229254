/* page.c — the layout every page shares, the headers every HTML response
 * carries, conditional GET, and the error pages. */
#include "web/web.h"

#include "core/config.h"

#include <sodium.h>
#include <string.h>

/* Pages run only the script served from /assets (no inline script, no
 * inline style, no plugin), are never framed, and post forms only here. */
static const char page_csp[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; "
	"img-src 'self' data: blob:; media-src 'self' blob:; "
	"connect-src 'self'; object-src 'none'; base-uri 'none'; "
	"form-action 'self'; frame-ancestors 'none'";

void web_page_begin(web_page *p, http_req *r, const char *title)
{
	memset(p, 0, sizeof *p);
	p->r = r;
	p->title = title;
	p->og_type = "website";
	p->context = READ_PUBLIC;
	buf_init(&p->main, &r->arena);
}

static void put_meta(buf *b, const char *attr, const char *key,
		     const char *value)
{
	if (value && *value)
		html(b, "<meta %s=\"%s\" content=\"%s\">", attr, key, value);
}

static void put_head(buf *b, const web_page *p)
{
	const char *site = cfg.title;
	const char *lang = web_i18n_lang();
	html(b,
	     "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta "
	     "charset=\"utf-8\"><meta name=\"viewport\" "
	     "content=\"width=device-width, initial-scale=1\">"
	     "<meta name=\"color-scheme\" content=\"light dark\">"
	     /* named: no request for /favicon.ico on every view */
	     "<link rel=\"icon\" href=\"%s\" type=\"image/svg+xml\">"
	     "<title>",
	     lang, web_asset_path(WEB_ASSET_ICON));
	if (p->title && *p->title)
		html(b, "%s — %s", p->title, site);
	else
		html(b, "%s", site);
	buf_puts(b, "</title>");
	put_meta(b, "name", "description", p->description);
	if (p->noindex)
		buf_puts(b, "<meta name=\"robots\" content=\"noindex\">");
	if (p->canonical)
		html(b, "<link rel=\"canonical\" href=\"%s\">", p->canonical);
	put_meta(b, "property", "og:site_name", site);
	put_meta(b, "property", "og:title",
		 p->title && *p->title ? p->title : site);
	put_meta(b, "property", "og:description", p->description);
	put_meta(b, "property", "og:type", p->og_type);
	put_meta(b, "property", "og:url", p->canonical);
	put_meta(b, "property", "og:image", p->og_image);
	put_meta(b, "name", "twitter:card",
		 p->og_image ? "summary_large_image" : "summary");
	if (p->rss)
		html(b,
		     "<link rel=\"alternate\" type=\"application/rss+xml\" "
		     "href=\"%s\">",
		     p->rss);
	if (p->oembed)
		html(b,
		     "<link rel=\"alternate\" type=\"application/json+oembed\" "
		     "href=\"%s\">",
		     p->oembed);
	html(b,
	     "<meta name=\"chorus-strings\" content=\"%s\">"
	     "<link rel=\"stylesheet\" href=\"%s\"><script src=\"%s\" "
	     "defer></script></head>",
	     web_i18n_script_strings(), web_asset_path(WEB_ASSET_CSS),
	     web_asset_path(WEB_ASSET_JS));
}

static void put_header(buf *b, const web_page *p)
{
	html(b,
	     "<body><a class=\"skip-link\" href=\"#main\">%s</a>"
	     "<header class=\"site\"><nav aria-label=\"%s\">"
	     "<a class=\"brand\" href=\"/\">%s</a><ul class=\"nav\">"
	     "<li><a href=\"/explore\">%s</a></li>",
	     _("Skip to content"), _("Site"), cfg.title, _("Explore"));
	int64_t viewer = web_viewer(p->r);
	if (!viewer) {
		html(b,
		     "<li><a href=\"/auth/sign_in\">%s</a></li>"
		     "<li><a class=\"button\" href=\"/auth/sign_up\">%s</a>"
		     "</li>",
		     _("Sign in"), _("Sign up"));
	} else {
		const account *me = web_request_of(p->r)->account;
		html(b, "<li><a href=\"/@%s\">%s</a></li>", me->username,
		     web_display_name(me));
		html(b, "<li><a href=\"/filters\">%s</a></li>", _("Filters"));
		buf_puts(b, "<li>");
		web_sign_out_form(b, p->r);
		buf_puts(b, "</li>");
	}
	html(b,
	     "</ul></nav><form role=\"search\" action=\"/search\" "
	     "method=\"get\" class=\"search\"><label for=\"site-q\" "
	     "class=\"sr-only\">%s</label><input id=\"site-q\" name=\"q\" "
	     "type=\"search\" placeholder=\"%s\" maxlength=\"500\">"
	     "<button type=\"submit\">%s</button></form></header>",
	     _("Search posts, people and hashtags"), _("Search"), _("Search"));
}

static void put_footer(buf *b)
{
	html(b,
	     "</main><footer class=\"site\"><nav aria-label=\"%s\"><a "
	     "href=\"/about\">%s</a> · <a href=\"/explore\">%s</a></nav>"
	     "<p>%s</p></footer></body></html>\n",
	     _("About this server"), _("About"), _("Explore"),
	     _("Powered by chorus"));
}

/* A strong validator of the exact bytes: the page is the same page for
 * every viewer this cache key serves. */
static const char *body_etag(arena *a, const char *body, size_t len)
{
	unsigned char h[16];
	crypto_generichash(h, sizeof h, (const unsigned char *)body, len, NULL,
			   0);
	char *tag = arena_alloc(a, 2 * sizeof h + 1);
	sodium_bin2hex(tag, 2 * sizeof h + 1, h, sizeof h);
	return tag;
}

/* The OAuth authorize page: its form's answer is a redirect to the app
 * (any scheme), which form-action would block, so it has none. */
static const char redirect_csp[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; "
	"img-src 'self' data:; object-src 'none'; base-uri 'none'; "
	"frame-ancestors 'none'";

/* The same for a post embedded in another site's frame. */
static const char embed_csp[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; "
	"img-src 'self' data: blob:; media-src 'self' blob:; "
	"connect-src 'self'; object-src 'none'; base-uri 'none'; "
	"form-action 'self'; frame-ancestors *";

void web_reply_html(http_req *r, int status, const web_body *body)
{
	/* frame-ancestors overrides the X-Frame-Options the server adds */
	const web_request *w = web_request_of(r);
	http_set_header(r, "Content-Security-Policy",
			w->embed	   ? embed_csp
			: w->redirects_out ? redirect_csp
					   : page_csp);
	/* Accept: a profile's or a post's address is also its ActivityPub
	 * document, for a server that asks (fed/routes.c) */
	http_set_header(r, "Vary",
			"Accept, Accept-Language, Accept-Encoding, Cookie");
	/* a signed-in page is the viewer's own: never kept by a proxy; a
	 * form's CSRF token is the browser's own: never kept at all */
	http_set_header(r, "Cache-Control",
			w->no_store	? "no-store"
			: web_viewer(r) ? "private, no-cache"
					: "no-cache");
	bool gz = body->gz && web_accepts_gzip(r);
	if (status == 200 && body->etag && !w->no_store) {
		/* each encoding is its own representation (RFC 9110 8.8.3) */
		const char *etag =
			gz ? arena_printf(&r->arena, "%s-gz", body->etag)
			   : body->etag;
		http_set_header(r, "ETag",
				arena_printf(&r->arena, "\"%s\"", etag));
		const char *inm = http_header_get(r, "If-None-Match");
		if (inm && http_etag_listed(inm, etag)) {
			http_reply_raw(r, 304, NULL, "", 0);
			return;
		}
	}
	if (gz) {
		http_set_header(r, "Content-Encoding", "gzip");
		http_reply_raw(r, status, "text/html; charset=utf-8", body->gz,
			       body->gzlen);
	} else {
		http_reply_raw(r, status, "text/html; charset=utf-8",
			       body->html, body->len);
	}
}

void web_page_reply(web_page *p, int status)
{
	http_req *r = p->r;
	buf b;
	buf_init(&b, &r->arena);
	put_head(&b, p);
	if (p->embed) {
		buf_puts(&b, "<body class=\"embed\"><main id=\"main\">");
		buf_append(&b, p->main.data, p->main.len);
		buf_puts(&b, "</main></body></html>\n");
	} else {
		put_header(&b, p);
		buf_puts(&b, "<main id=\"main\" tabindex=\"-1\">");
		buf_append(&b, p->main.data, p->main.len);
		put_footer(&b);
	}
	web_body body = {.html = b.data, .len = b.len};
	/* a no-store page is never revalidated: no ETag to hash */
	if (status == 200 && !web_request_of(r)->no_store)
		body.etag = body_etag(&r->arena, b.data, b.len);
	bool keep = web_cache_wanted(r, status);
	char *gz;
	/* a page holding a secret (a CSRF token, a code) beside text the
	 * request chose (a login kept, return_to) goes uncompressed: its
	 * compressed size would tell the secret, a guess at a time
	 * (BREACH) */
	if ((keep || web_accepts_gzip(r)) && !web_request_of(r)->no_store &&
	    web_gzip(&r->arena, b.data, b.len, &gz, &body.gzlen))
		body.gz = gz;
	if (keep)
		web_cache_store(r, status, &body);
	web_reply_html(r, status, &body);
}

void web_reply_error(http_req *r, int status, const char *heading,
		     const char *message)
{
	web_page p;
	web_page_begin(&p, r, heading);
	p.noindex = true;
	html(&p.main,
	     "<div class=\"error-page\"><h1>%s</h1><p>%s</p><p><a "
	     "href=\"/\">%s</a></p></div>",
	     heading, message, _("Go to the home page"));
	web_page_reply(&p, status);
}

/* The API's paths (and media files), which answer errors in JSON even
 * when a page's catch-all pattern (/:acct/:id) matched them. "/api/v1/"
 * arrives as "/api/v1". */
static bool api_path(const char *path)
{
	return http_path_wants_cors(path) || !strncmp(path, "/media/", 7) ||
	       !strcmp(path, "/api") || !strcmp(path, "/oauth");
}

void web_not_found(http_req *r)
{
	if (api_path(r->path)) {
		http_reply_error(r, 404, "Not found");
		return;
	}
	web_reply_error(r, 404, _("Not found"),
			_("There is nothing here. The page may have been "
			  "deleted, or it may be visible only to some "
			  "people."));
}

void web_bad_request(http_req *r)
{
	web_reply_error(r, 400, _("Bad request"),
			_("This address is not one chorus understands. "
			  "Check the link and try again."));
}

void web_error_hook(http_req *r, int status, const char *msg)
{
	if (api_path(r->path)) {
		http_reply_error(r, status, msg);
		return;
	}
	web_i18n_select(http_header_get(r, "Accept-Language"));
	if (status == 404)
		web_not_found(r);
	else if (status == 413)
		web_reply_error(r, status, _("Too large"),
				_("What was sent is larger than this server "
				  "accepts."));
	else
		web_bad_request(r);
	web_i18n_reset();
}
