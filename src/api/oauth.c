/* oauth.c — OAuth 2 apps, tokens, revocation. The authorize page, where
 * a person signs in and consents, is a web page: web/authorize.c. */
#include "api/api.h"

#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "store/store.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

enum {
	CLIENT_NAME_MAX = 200,
	/* Mastodon's APP_WEBSITE_LIMIT and APP_REDIRECT_URI_LIMIT (all the
	 * URIs, newline-joined), in bytes */
	APP_WEBSITE_MAX = 2000,
	APP_REDIRECT_URIS_MAX = 2000,
};

static const char oob_uri[] = "urn:ietf:wg:oauth:2.0:oob";

static const char invalid_grant_desc[] =
	"The provided authorization grant is invalid, expired, revoked, does "
	"not match the redirection URI used in the authorization request, or "
	"was issued to another client.";

/* An absolute URI with a scheme and no fragment (RFC 6749 §3.1.2), or the
 * out-of-band marker; never a scheme that runs code in a browser. Custom
 * schemes (myapp://callback) stay allowed for mobile apps. */
static bool redirect_uri_valid(const char *uri)
{
	static const char *const banned[] = {
		"javascript:", "data:", "vbscript:", "file:"};
	if (!strcmp(uri, oob_uri))
		return true;
	for (size_t i = 0; i < sizeof banned / sizeof *banned; i++)
		if (!strncasecmp(uri, banned[i], strlen(banned[i])))
			return false;
	size_t scheme = strspn(uri, "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	if (scheme == 0 || uri[scheme] != ':' || !uri[scheme + 1] ||
	    !((uri[0] | 0x20) >= 'a' && (uri[0] | 0x20) <= 'z'))
		return false;
	for (const char *p = uri; *p; p++)
		if (*p == '#' || *p == ' ' || (unsigned char)*p < 0x20)
			return false;
	return true;
}

/* redirect_uris arrive as a string (newline-separated) or as an array
 * (Mastodon 4.3+); stored newline-separated. NULL when absent or when any
 * URI is invalid. */
static const char *collect_redirect_uris(http_req *r, bool *invalid)
{
	size_t n;
	const char **list = http_param_list(r, "redirect_uris", &n);
	buf b;
	buf_init(&b, &r->arena);
	*invalid = false;
	for (size_t i = 0; i < n; i++) {
		for (const char *p = list[i]; *p;) {
			size_t len = strcspn(p, "\r\n");
			char *uri = arena_strndup(&r->arena, p, len);
			p += len;
			p += strspn(p, "\r\n");
			if (!*uri)
				continue;
			if (!redirect_uri_valid(uri)) {
				*invalid = true;
				return NULL;
			}
			if (b.len)
				buf_putc(&b, '\n');
			buf_puts(&b, uri);
		}
	}
	return b.len ? b.data : NULL;
}

void oauth_apps_create(http_req *r)
{
	const char *name = http_param_get(r, "client_name");
	bool invalid;
	const char *uris = collect_redirect_uris(r, &invalid);
	if (!name || !*name) {
		http_reply_error(r, 422,
				 "Validation failed: Name can't be blank");
		return;
	}
	if (strlen(name) > CLIENT_NAME_MAX) {
		http_reply_error(r, 422, "Validation failed: Name is too long");
		return;
	}
	if (invalid) {
		http_reply_error(r, 422,
				 "Validation failed: Redirect URI must be an "
				 "absolute URI without a fragment");
		return;
	}
	if (!uris) {
		http_reply_error(r, 422,
				 "Validation failed: Redirect URI can't be "
				 "blank");
		return;
	}
	if (strlen(uris) > APP_REDIRECT_URIS_MAX) {
		http_reply_error(r, 422,
				 "Validation failed: Redirect URI is too long");
		return;
	}
	const char *website = http_param_get(r, "website");
	if (website && strlen(website) > APP_WEBSITE_MAX) {
		http_reply_error(r, 422,
				 "Validation failed: Website is too long");
		return;
	}
	const char *scopes_req = http_param_get(r, "scopes");
	char *scopes = auth_scopes_grant(
		&r->arena, scopes_req,
		"read write follow push profile admin:read admin:write");
	if (!scopes) {
		http_reply_error(r, 422,
				 "Validation failed: Scopes are invalid");
		return;
	}
	app a = {
		.id = id_next(),
		.name = name,
		.website = website,
		.redirect_uris = uris,
		.scopes = scopes,
		.client_id = auth_random_token(&r->arena),
		.client_secret = auth_random_token(&r->arena),
	};
	if (a.website && !*a.website)
		a.website = NULL;
	if (store_app_create(&a) < 0) {
		http_reply_error(r, 500, "Internal server error");
		return;
	}
	http_reply_json(r, 200, render_app(&r->arena, &a, true));
}

void oauth_apps_verify(http_req *r)
{
	const principal *p = api_principal(r);
	app a;
	if (!store_app_get(&r->arena, p->app_id, &a)) {
		http_reply_error(r, 401, "The access token is invalid");
		return;
	}
	http_reply_json(r, 200, render_app(&r->arena, &a, false));
}

/* Client credentials from the body or HTTP Basic auth. */
static bool client_auth(http_req *r, app *a)
{
	const char *id = http_param_get(r, "client_id");
	const char *secret = http_param_get(r, "client_secret");
	const char *basic = http_header_get(r, "Authorization");
	if ((!id || !secret) && basic && !strncasecmp(basic, "Basic ", 6)) {
		const char *b64 = basic + 6;
		size_t max = strlen(b64);
		unsigned char *raw = arena_alloc(&r->arena, max + 1);
		size_t len = 0;
		if (sodium_base642bin(raw, max, b64, max, NULL, &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) == 0) {
			raw[len] = '\0';
			char *colon = strchr((char *)raw, ':');
			if (colon) {
				*colon = '\0';
				id = (char *)raw;
				secret = colon + 1;
			}
		}
	}
	if (!id || !secret || !store_app_by_client_id(&r->arena, id, a))
		return false;
	size_t n = strlen(secret);
	return n == strlen(a->client_secret) &&
	       sodium_memcmp(secret, a->client_secret, n) == 0;
}

void oauth_reply_new_token(http_req *r, int64_t app_id, int64_t account_id,
			   const char *scopes)
{
	char *token = auth_random_token(&r->arena);
	int64_t id = id_next();
	if (store_token_create(id, auth_token_hash(&r->arena, token), app_id,
			       account_id, scopes) < 0) {
		http_reply_error(r, 500, "Internal server error");
		return;
	}
	http_set_header(r, "Cache-Control", "no-store");
	http_reply_json(r, 200,
			json_pack("{s:s,s:s,s:s,s:I}", "access_token", token,
				  "token_type", "Bearer", "scope", scopes,
				  "created_at",
				  (json_int_t)(id_to_ms(id) / 1000)));
}

static bool pkce_ok(const char *challenge, const char *verifier)
{
	if (!challenge)
		return true;
	if (!verifier)
		return false;
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)verifier,
			   strlen(verifier));
	char b64[sodium_base64_ENCODED_LEN(
		crypto_hash_sha256_BYTES,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	sodium_bin2base64(b64, sizeof b64, digest, sizeof digest,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return strlen(challenge) == strlen(b64) &&
	       sodium_memcmp(challenge, b64, strlen(b64)) == 0;
}

static void grant_authorization_code(http_req *r, const app *a)
{
	const char *code = http_param_get(r, "code");
	int64_t app_id, account_id, expires;
	const char *scopes, *redirect, *challenge;
	if (!code ||
	    !store_auth_code_take(&r->arena, auth_token_hash(&r->arena, code),
				  &app_id, &account_id, &scopes, &redirect,
				  &challenge, &expires) ||
	    app_id != a->id || expires < time_now_ms()) {
		http_reply_oauth_error(r, 400, "invalid_grant",
				       invalid_grant_desc);
		return;
	}
	const char *given = http_param_get(r, "redirect_uri");
	if ((given && strcmp(given, redirect)) ||
	    !pkce_ok(challenge, http_param_get(r, "code_verifier"))) {
		http_reply_oauth_error(r, 400, "invalid_grant",
				       invalid_grant_desc);
		return;
	}
	oauth_reply_new_token(r, a->id, account_id, scopes);
}

/* What the deferred password grant needs from the checks before it. */
typedef struct sign_in {
	app app;
	char *scopes;
} sign_in;

/* The password grant's check, on a password work thread. */
static void grant_password_work(http_req *r, void *ctx)
{
	const sign_in *si = ctx;
	account acc;
	int64_t wait_ms;
	auth_result res = auth_sign_in(&r->arena, http_param_get(r, "username"),
				       http_param_get(r, "password"),
				       api_limit_source(r), &acc, &wait_ms);
	if (res == AUTH_LOCKED) {
		http_set_header(
			r, "Retry-After",
			arena_printf(&r->arena, "%lld",
				     (long long)(wait_ms + 999) / 1000));
		http_reply_error(r, 429, "Too many failed sign-in attempts");
		return;
	}
	if (res == AUTH_DISABLED) {
		http_reply_error(r, 403,
				 acc.approved
					 ? "Your login is currently disabled"
					 : "Your login is currently pending "
					   "approval");
		return;
	}
	if (res != AUTH_SIGNED_IN) {
		http_reply_oauth_error(r, 400, "invalid_grant",
				       invalid_grant_desc);
		return;
	}
	oauth_reply_new_token(r, si->app.id, acc.id, si->scopes);
}

static void grant_password(http_req *r, const app *a, char *scopes)
{
	sign_in *si = arena_alloc(&r->arena, sizeof *si);
	*si = (sign_in){.app = *a, .scopes = scopes};
	if (!api_defer_password(r, grant_password_work, si))
		api_reply_busy(r);
}

void oauth_token(http_req *r)
{
	const char *grant = http_param_get(r, "grant_type");
	if (!grant) {
		http_reply_oauth_error(r, 400, "invalid_request",
				       "Missing required parameter: "
				       "grant_type.");
		return;
	}
	app a;
	if (!client_auth(r, &a)) {
		http_reply_oauth_error(
			r, 401, "invalid_client",
			"Client authentication failed due to unknown client, "
			"no client authentication included, or unsupported "
			"authentication method.");
		return;
	}
	if (!strcmp(grant, "authorization_code")) {
		grant_authorization_code(r, &a);
		return;
	}
	char *scopes = auth_scopes_grant(&r->arena, http_param_get(r, "scope"),
					 a.scopes);
	if (!scopes) {
		http_reply_oauth_error(r, 400, "invalid_scope",
				       "The requested scope is invalid, "
				       "unknown, or malformed.");
		return;
	}
	if (!strcmp(grant, "password"))
		grant_password(r, &a, scopes);
	else if (!strcmp(grant, "client_credentials"))
		oauth_reply_new_token(r, a.id, 0, scopes);
	else
		http_reply_oauth_error(r, 400, "unsupported_grant_type",
				       "The authorization grant type is not "
				       "supported by the authorization "
				       "server.");
}

void oauth_revoke(http_req *r)
{
	app a;
	if (!client_auth(r, &a)) {
		http_reply_oauth_error(r, 403, "unauthorized_client",
				       "You are not authorized to revoke this "
				       "token");
		return;
	}
	const char *token = http_param_get(r, "token");
	if (token && auth_revoke_token(&r->arena, token, a.id) < 0) {
		http_reply_error(r, 500, "Could not revoke the token");
		return;
	}
	http_reply_json(r, 200, json_object());
}

void oauth_server_metadata(http_req *r)
{
	const char *base = cfg.base_url;
	http_reply_json(
		r, 200,
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:[sssss],s:[s],s:[s],"
			  "s:[sss],s:[ss]}",
			  "issuer", arena_printf(&r->arena, "%s/", base),
			  "authorization_endpoint",
			  arena_printf(&r->arena, "%s/oauth/authorize", base),
			  "token_endpoint",
			  arena_printf(&r->arena, "%s/oauth/token", base),
			  "revocation_endpoint",
			  arena_printf(&r->arena, "%s/oauth/revoke", base),
			  "app_registration_endpoint",
			  arena_printf(&r->arena, "%s/api/v1/apps", base),
			  "scopes_supported", "read", "write", "follow", "push",
			  "profile", "response_types_supported", "code",
			  "code_challenge_methods_supported", "S256",
			  "grant_types_supported", "authorization_code",
			  "password", "client_credentials",
			  "token_endpoint_auth_methods_supported",
			  "client_secret_basic", "client_secret_post"));
}
