/* authorize.c — OAuth 2's authorization endpoint (RFC 6749 §4.1) as a
 * page: apps (Tusky, Elk, Phanpy, toot…) open it in a browser. Signed
 * out, it is a sign-in form that comes back here; signed in, it names the
 * app, its website and what it asks for in words, with Authorize and
 * Deny. Authorize sends the browser to the app's redirect_uri with a
 * code (or shows the code, out of band); Deny with error=access_denied.
 * Both are forms with the CSRF field, so no other site can make a
 * signed-in browser grant an app access. */
#include "web/web.h"

#include "api/api.h"
#include "core/config.h"
#include "store/store.h"

#include <string.h>

static const char oob_uri[] = "urn:ietf:wg:oauth:2.0:oob";

/* The request's OAuth parameters, checked. */
typedef struct authz {
	app app;
	const char *redirect;
	char *scopes; /* granted: requested ∩ the app's */
} authz;

/* The parameters a form carries from page to page. */
static const char *const carried[] = {
	"client_id",
	"redirect_uri",
	"scope",
	"state",
	"response_type",
	"code_challenge",
	"code_challenge_method",
};

static bool redirect_allowed(const app *a, const char *uri)
{
	const char *p = a->redirect_uris;
	size_t n = strlen(uri);
	while (*p) {
		size_t len = strcspn(p, "\n");
		if (len == n && !memcmp(p, uri, n))
			return true;
		p += len;
		if (*p == '\n')
			p++;
	}
	return false;
}

/* Check the authorize parameters; on failure replies with an error page
 * (never a redirect: the redirect_uri is not trusted yet). */
static bool authorize_params(http_req *r, authz *z)
{
	const char *client_id = http_param_get(r, "client_id");
	z->redirect = http_param_get(r, "redirect_uri");
	const char *rt = http_param_get(r, "response_type");
	if (!client_id ||
	    !store_app_by_client_id(&r->arena, client_id, &z->app)) {
		web_reply_error(r, 400, _("Unknown application"),
				_("The application's client_id is not valid "
				  "on this server."));
		return false;
	}
	if (rt && strcmp(rt, "code")) {
		web_reply_error(r, 400, _("Unsupported response type"),
				_("Only response_type=code is supported."));
		return false;
	}
	if (!z->redirect || !redirect_allowed(&z->app, z->redirect)) {
		web_reply_error(r, 400, _("Invalid redirect URI"),
				_("The redirect_uri is not registered for this "
				  "application."));
		return false;
	}
	z->scopes = auth_scopes_grant(&r->arena, http_param_get(r, "scope"),
				      z->app.scopes);
	if (!z->scopes) {
		web_reply_error(r, 400, _("Invalid scope"),
				_("The application asks for access it did not "
				  "register for."));
		return false;
	}
	const char *method = http_param_get(r, "code_challenge_method");
	if (http_param_get(r, "code_challenge") && method &&
	    strcmp(method, "S256")) {
		web_reply_error(r, 400, _("Unsupported code_challenge_method"),
				_("Only S256 is supported."));
		return false;
	}
	return true;
}

/* This page's address with its OAuth parameters (a path, arena). */
static const char *authorize_path(http_req *r)
{
	buf b;
	buf_init(&b, &r->arena);
	buf_puts(&b, "/oauth/authorize");
	char sep = '?';
	for (size_t i = 0; i < sizeof carried / sizeof *carried; i++) {
		const char *v = http_param_get(r, carried[i]);
		if (!v)
			continue;
		buf_printf(&b, "%c%s=%s", sep, carried[i],
			   html_url_encode(&r->arena, v));
		sep = '&';
	}
	return b.data;
}

/* What a scope lets the app do, in words. */
static const char *scope_words(http_req *r, const char *scope)
{
	static const struct {
		const char *scope, *words;
	} known[] = {
		{"read", N_("Read everything in your account")},
		{"write", N_("Post, edit, delete, favourite and boost for you, "
			     "and change your profile")},
		{"follow", N_("Follow, mute and block accounts for you")},
		{"push", N_("Receive your notifications as push messages")},
		{"profile", N_("Know who you are (your public profile only)")},
		{"admin:read", N_("Read all data of this server (staff)")},
		{"admin:write", N_("Moderate and change this server (staff)")},
	};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (!strcmp(scope, known[i].scope))
			return _(known[i].words);
	if (!strncmp(scope, "read:", 5))
		return arena_printf(&r->arena, _("Read your %s"), scope + 5);
	if (!strncmp(scope, "write:", 6))
		return arena_printf(&r->arena, _("Change your %s"), scope + 6);
	return scope;
}

/* The app, its website and the scopes it asks for. */
static void put_request(web_page *p, const authz *z)
{
	http_req *r = p->r;
	const char *site = z->app.website;
	bool linkable = site && (!strncmp(site, "https://", 8) ||
				 !strncmp(site, "http://", 7));
	buf app;
	buf_init(&app, &r->arena);
	html(&app, "<strong>%s</strong>", z->app.name);
	if (linkable)
		html(&app,
		     " (<a href=\"%s\" rel=\"noopener noreferrer nofollow\" "
		     "target=\"_blank\">%s</a>)",
		     site, site);
	buf server;
	buf_init(&server, &r->arena);
	html(&server, "%s", cfg.title);
	const char *parts[] = {app.data, server.data};
	buf_puts(&p->main, "<p class=\"app\">");
	/* TRANSLATORS: %1$s is the application (its name and website),
	 * %2$s this server's name */
	web_tr_html(&p->main,
		    _("%1$s asks for access to your account on %2$s. It will "
		      "be able to:"),
		    2, parts);
	buf_puts(&p->main, "</p><ul class=\"scopes\">");
	char *scopes = arena_strdup(&r->arena, z->scopes);
	for (char *save, *s = strtok_r(scopes, " ", &save); s;
	     s = strtok_r(NULL, " ", &save))
		html(&p->main, "<li>%s <code>%s</code></li>", scope_words(r, s),
		     s);
	buf_puts(&p->main, "</ul>");
}

static void put_carried(web_page *p)
{
	for (size_t i = 0; i < sizeof carried / sizeof *carried; i++) {
		const char *v = http_param_get(p->r, carried[i]);
		if (v)
			html(&p->main,
			     "<input type=\"hidden\" name=\"%s\" value=\"%s\">",
			     carried[i], v);
	}
}

/* The page: sign-in form when signed out, consent when signed in. */
static void authorize_form(http_req *r, const authz *z, int status,
			   const char *error)
{
	((web_request *)r->session)->redirects_out = true;
	web_page p;
	web_page_begin(&p, r, _("Authorize an application"));
	p.noindex = true;
	const account *me = web_request_of(r)->account;
	html(&p.main, "<section class=\"auth authorize\"><h1>%s</h1>",
	     me ? arena_printf(&r->arena, _("Authorize %s?"), z->app.name)
		: _("Sign in to authorize an application"));
	put_request(&p, z);
	html(&p.main, "<form method=\"post\" action=\"/oauth/authorize\" "
		      "class=\"auth-form\">");
	put_carried(&p);
	if (!me) {
		web_sign_in_fields(&p, http_param_get(r, "username"), error);
		buf_puts(&p.main, "</form>");
		if (cfg.registration_mode != REGISTRATIONS_CLOSED)
			html(&p.main,
			     "<p>%s <a href=\"/auth/sign_up?return_to=%s\">%s"
			     "</a></p>",
			     _("No account yet?"),
			     html_url_encode(&r->arena, authorize_path(r)),
			     _("Sign up"));
		buf_puts(&p.main, "</section>");
		web_page_reply(&p, status);
		return;
	}
	web_csrf_field(&p);
	html(&p.main,
	     "<p>%s</p><div class=\"actions\"><button type=\"submit\" "
	     "name=\"decision\" value=\"authorize\">%s</button> <button "
	     "type=\"submit\" name=\"decision\" value=\"deny\" "
	     "class=\"secondary\">%s</button></div></form>",
	     arena_printf(&r->arena, _("You are signed in as @%s."),
			  me->username),
	     _("Authorize"), _("Deny"));
	html(&p.main, "<p>%s</p>", _("Not you?"));
	web_sign_out_form(&p.main, r);
	buf_puts(&p.main, "</section>");
	web_page_reply(&p, status);
}

void web_authorize_page(http_req *r)
{
	authz z;
	if (authorize_params(r, &z))
		authorize_form(r, &z, 200, NULL);
}

/* Send the browser back to the app with query (key=value&…) and state. */
static void redirect_back(http_req *r, const authz *z, const char *query)
{
	const char *state = http_param_get(r, "state");
	buf loc;
	buf_init(&loc, &r->arena);
	buf_puts(&loc, z->redirect);
	buf_putc(&loc, strchr(z->redirect, '?') ? '&' : '?');
	buf_puts(&loc, query);
	if (state)
		buf_printf(&loc, "&state=%s",
			   html_url_encode(&r->arena, state));
	http_redirect(r, loc.data);
}

static void grant(http_req *r, const authz *z, int64_t account_id)
{
	const char *code = auth_code_issue(&r->arena, z->app.id, account_id,
					   z->scopes, z->redirect,
					   http_param_get(r, "code_challenge"));
	if (!code) {
		web_reply_error(r, 500, _("Something went wrong"),
				_("Please try again."));
		return;
	}
	if (strcmp(z->redirect, oob_uri)) {
		redirect_back(r, z, arena_printf(&r->arena, "code=%s", code));
		return;
	}
	web_page p;
	web_page_begin(&p, r, _("Authorization code"));
	p.noindex = true;
	((web_request *)r->session)->no_store = true; /* the code is secret */
	html(&p.main,
	     "<section class=\"auth\"><h1>%s</h1><p>%s</p><p><code "
	     "id=\"code\" class=\"oob-code\">%s</code></p></section>",
	     _("Authorization code"),
	     arena_printf(&r->arena, _("Copy this code and paste it into %s."),
			  z->app.name),
	     code);
	web_page_reply(&p, 200);
}

static void deny(http_req *r, const authz *z)
{
	if (strcmp(z->redirect, oob_uri)) {
		redirect_back(
			r, z,
			"error=access_denied&error_description="
			"The%20resource%20owner%20denied%20the%20request.");
		return;
	}
	web_reply_error(r, 403, _("Access denied"),
			arena_printf(&r->arena,
				     _("%s was not given access to your "
				       "account."),
				     z->app.name));
}

/* The sign-in form of the page, on a password work thread: signed in,
 * the browser comes back to the page, now the consent. */
static void sign_in_work(http_req *r, void *ctx)
{
	const authz *z = ctx;
	web_i18n_select(http_header_get(r, "Accept-Language"));
	const char *error;
	if (web_sign_in_posted(r, &error))
		http_redirect(r, authorize_path(r));
	else if (error)
		authorize_form(r, z, 401, error);
	web_i18n_reset();
}

void web_authorize_submit(http_req *r)
{
	if (!web_csrf_ok(r)) {
		web_csrf_refuse(r);
		return;
	}
	authz *z = arena_alloc(&r->arena, sizeof *z);
	if (!authorize_params(r, z))
		return;
	const char *decision = http_param_get(r, "decision");
	int64_t viewer = web_viewer(r);
	if (decision && viewer) {
		if (!strcmp(decision, "authorize"))
			grant(r, z, viewer);
		else if (!strcmp(decision, "deny"))
			deny(r, z);
		else
			web_bad_request(r);
		return;
	}
	if (decision) { /* the session ended since the page was shown */
		authorize_form(r, z, 401, NULL);
		return;
	}
	if (!api_defer_password(r, sign_in_work, z))
		web_reply_busy(r);
}
