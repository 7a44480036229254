/* session.c — who a browser is: its session cookie, the CSRF token its
 * forms carry, and where it may be sent back to after signing in.
 *
 * CSRF (double submit): every browser gets a random chorus_csrf cookie
 * (256 bits, HttpOnly, SameSite=Lax) the first time a page shows it a
 * form, and every form carries the same value in a hidden field. A POST
 * is accepted only when the field, sent in the body, equals the cookie
 * (compared in constant time). Another site can make a browser send the
 * cookie (not even that: SameSite=Lax keeps it off cross-site POSTs) but
 * cannot read it, so it cannot write the field. Anonymous forms (sign-in,
 * sign-up) are covered as well, so no one can be signed in to someone
 * else's account by a forged form; signing in gives the browser a new
 * token, so one planted before is worth nothing after. */
#include "web/web.h"

#include "core/config.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

static const char session_cookie[] = "chorus_session";
static const char csrf_cookie[] = "chorus_csrf";
static const char csrf_field[] = "csrf_token";

enum {
	SECRET_LEN = 43, /* auth_random_token: 32 bytes, base64url */
	DAY_SECONDS = 24 * 60 * 60,
	RETURN_TO_MAX = 2000, /* bytes of a return_to path */
};

const char *web_cookie_get(arena *a, const char *header, const char *name)
{
	if (!header)
		return NULL;
	size_t n = strlen(name);
	const char *p = header;
	while (*p) {
		p += strspn(p, " \t;");
		size_t len = strcspn(p, ";");
		if (len > n && !strncmp(p, name, n) && p[n] == '=')
			return arena_strndup(a, p + n + 1, len - n - 1);
		p += len;
	}
	return NULL;
}

/* What auth_random_token makes: 43 characters of base64url. Anything
 * else in a cookie is not ours and is never looked up. */
static bool secret_shaped(const char *s)
{
	if (!s || strlen(s) != SECRET_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

bool web_csrf_equal(const char *expected, const char *given)
{
	if (!secret_shaped(expected) || !secret_shaped(given))
		return false;
	return sodium_memcmp(expected, given, SECRET_LEN) == 0;
}

bool web_return_to_safe(const char *path)
{
	/* "//host" and "/\host" are other sites to a browser, which also
	 * drops tabs and newlines before it reads the URL ("/\t/host") */
	if (!path || path[0] != '/' || path[1] == '/' || path[1] == '\\' ||
	    strlen(path) > RETURN_TO_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '\\')
			return false;
	return true;
}

const char *web_return_to(http_req *r)
{
	const char *to = http_param_get(r, "return_to");
	return web_return_to_safe(to) ? to : "/";
}

/* Set-Cookie for name: HttpOnly, SameSite=Lax, the whole site, Secure
 * when chorus is served over https; max_age 0 deletes it. */
static void set_cookie(http_req *r, const char *name, const char *value,
		       long max_age)
{
	bool secure = !strncasecmp(cfg.base_url, "https:", 6);
	http_set_header(r, "Set-Cookie",
			arena_printf(&r->arena,
				     "%s=%s; Path=/; Max-Age=%ld; HttpOnly; "
				     "SameSite=Lax%s",
				     name, value, max_age,
				     secure ? "; Secure" : ""));
}

static long cookie_max_age(void)
{
	return (long)cfg.web_session_idle_days * DAY_SECONDS;
}

void web_session_load(http_req *r, web_request *w)
{
	const char *cookies = http_header_get(r, "Cookie");
	if (!cookies)
		return;
	const char *secret = web_cookie_get(&r->arena, cookies, session_cookie);
	if (secret) {
		account *acc = arena_alloc(&r->arena, sizeof *acc);
		if (secret_shaped(secret) &&
		    auth_web_session_resolve(&r->arena, secret, acc)) {
			w->viewer = acc->id;
			w->account = acc;
		} else {
			/* ended or expired: the browser can stop sending it */
			set_cookie(r, session_cookie, "", 0);
		}
		store_read_begin(); /* resolving may have written */
	}
	const char *csrf = web_cookie_get(&r->arena, cookies, csrf_cookie);
	if (secret_shaped(csrf))
		w->csrf = csrf;
}

/* The request's own web_request, which the guard made. */
static web_request *request_state(http_req *r)
{
	return r->session;
}

/* A new CSRF token for this browser, sent as its cookie. */
static const char *csrf_renew(http_req *r, web_request *w)
{
	w->csrf = auth_random_token(&r->arena);
	set_cookie(r, csrf_cookie, w->csrf, cookie_max_age());
	return w->csrf;
}

void web_csrf_input(buf *b, http_req *r)
{
	web_request *w = request_state(r);
	assert(w); /* a web route: web_guard ran */
	/* the page holds this browser's token: no cache may keep it */
	w->no_store = true;
	const char *token = w->csrf ? w->csrf : csrf_renew(r, w);
	html(b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", csrf_field,
	     token);
}

void web_csrf_field(web_page *p)
{
	web_csrf_input(&p->main, p->r);
}

bool web_csrf_ok(http_req *r)
{
	const web_request *w = web_request_of(r);
	/* from the body only: a token in a URL leaks through logs and
	 * Referer */
	const http_param *field = http_param_find(r, csrf_field);
	return field && !field->from_query &&
	       web_csrf_equal(w->csrf, field->value);
}

void web_csrf_refuse(http_req *r)
{
	web_reply_error(r, 403, _("This form has expired"),
			_("The form was not sent from this site, or it was "
			  "open too long. Go back, reload the page and try "
			  "again."));
}

bool web_session_start(http_req *r, int64_t account_id)
{
	web_request *w = request_state(r);
	const char *secret = auth_web_session_begin(
		&r->arena, account_id, http_header_get(r, "User-Agent"));
	if (!secret)
		return false;
	set_cookie(r, session_cookie, secret, cookie_max_age());
	csrf_renew(r, w);
	return true;
}

int web_session_end(http_req *r)
{
	web_request *w = request_state(r);
	const char *secret = web_cookie_get(
		&r->arena, http_header_get(r, "Cookie"), session_cookie);
	int rc = secret_shaped(secret) ? auth_web_session_end(&r->arena, secret)
				       : 0;
	set_cookie(r, session_cookie, "", 0);
	w->viewer = 0;
	w->account = NULL;
	return rc;
}
