/* accounts.c — registration and lookup rules for local accounts. */
#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/store.h"
#include "text/text.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum {
	USERNAME_MAX = 30,
	PASSWORD_MAX = 72, /* bcrypt's limit, kept for parity with Mastodon */
	EMAIL_MAX = 320,
};

static const char *const reserved_usernames[] = {
	"admin",      "administrator", "root",	   "support",
	"help",	      "webmaster",     "mod",	   "moderator",
	"postmaster", "abuse",	       "instance", "actor",
};

/* Mastodon's rule: [a-z0-9_]+ with '.' or '-' allowed inside. */
static bool username_valid(const char *u)
{
	size_t n = strlen(u);
	if (n == 0 || n > USERNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];
		bool word = isalnum(c) || c == '_';
		bool inner = (c == '.' || c == '-') && i > 0 && i < n - 1;
		if (!word && !inner)
			return false;
	}
	return true;
}

static bool email_valid(const char *e)
{
	const char *at = strchr(e, '@');
	size_t n = strlen(e);
	if (!at || at == e || !at[1] || strchr(at + 1, '@') || n > EMAIL_MAX)
		return false;
	for (const char *p = e; *p; p++)
		if (isspace((unsigned char)*p) || *p == '<' || *p == '>')
			return false;
	return strchr(at + 1, '.') != NULL || !strcmp(at + 1, "localhost");
}

#define FAIL(f, c, m)                                                          \
	do {                                                                   \
		*field = f;                                                    \
		*code = c;                                                     \
		*msg = m;                                                      \
		return DOM_INVALID;                                            \
	} while (0)

dom_err account_register(arena *a, const registration *reg, int64_t *id,
			 const char **field, const char **code,
			 const char **msg)
{
	const char *u = reg->username ? reg->username : "";
	const char *e = reg->email ? reg->email : "";
	const char *p = reg->password ? reg->password : "";
	if (!*u)
		FAIL("username", "ERR_BLANK", "can't be blank");
	if (strlen(u) > USERNAME_MAX)
		FAIL("username", "ERR_TOO_LONG",
		     "is too long (maximum is 30 characters)");
	if (!username_valid(u))
		FAIL("username", "ERR_INVALID",
		     "must contain only letters, numbers and underscores");
	for (size_t i = 0;
	     i < sizeof reserved_usernames / sizeof *reserved_usernames; i++)
		if (!strcasecmp(u, reserved_usernames[i]))
			FAIL("username", "ERR_RESERVED", "is reserved");
	if (!*e)
		FAIL("email", "ERR_BLANK", "can't be blank");
	if (!email_valid(e))
		FAIL("email", "ERR_INVALID", "is invalid");
	if (!*p)
		FAIL("password", "ERR_BLANK", "can't be blank");
	if ((int)strlen(p) < cfg.password_min_length)
		FAIL("password", "ERR_TOO_SHORT",
		     arena_printf(a, "is too short (minimum is %d characters)",
				  cfg.password_min_length));
	if (strlen(p) > PASSWORD_MAX)
		FAIL("password", "ERR_TOO_LONG",
		     "is too long (maximum is 72 characters)");
	const char *invite =
		reg->self_service && reg->invite_code && *reg->invite_code
			? reg->invite_code
			: NULL;
	const char *reason = reg->self_service && reg->reason && *reg->reason
				     ? reg->reason
				     : NULL;
	if (reg->self_service && !registrations_admit(invite)) {
		*msg = "Registrations are closed";
		return DOM_FORBIDDEN;
	}
	if (reason && text_code_points(reason) > SIGN_UP_REASON_MAX)
		FAIL("reason", "ERR_TOO_LONG",
		     "is too long (maximum is 500 characters)");
	char *hash = auth_hash_password(a, p);
	if (!hash) {
		*msg = "could not hash the password";
		return DOM_INTERNAL;
	}
	account acc = {0}; /* its id is taken as it is stored */
	acc.username = u;
	acc.display_name = reg->display_name ? reg->display_name : "";
	acc.created_at = time_now_ms();
	/* with an invite nobody waits: whoever invited vouches */
	store_sign_up su = {
		.approved = !reg->self_service || invite ||
			    cfg.registration_mode != REGISTRATIONS_APPROVAL,
		.invite_code = invite,
		.reason = reason,
		.ip = reg->self_service ? reg->ip : NULL,
	};
	int rc = store_account_create(&acc, e, hash,
				      reg->role ? reg->role : "user", &su);
	if (rc == STORE_ACCOUNT_INVITE_INVALID)
		FAIL("invite_code", "ERR_INVALID",
		     "is invalid, expired or used up");
	if (rc == STORE_ACCOUNT_USERNAME_TAKEN)
		FAIL("username", "ERR_TAKEN", "has already been taken");
	if (rc == STORE_ACCOUNT_EMAIL_TAKEN)
		FAIL("email", "ERR_TAKEN", "has already been taken");
	if (rc != STORE_ACCOUNT_OK) {
		*msg = "could not store the account";
		return DOM_INTERNAL;
	}
	*id = acc.id;
	return DOM_OK;
}

bool registrations_admit(const char *invite_code)
{
	return cfg.registration_mode != REGISTRATIONS_CLOSED ||
	       (invite_code && *invite_code);
}

const char *account_acct(arena *a, const account *acc)
{
	return acc->domain
		       ? arena_printf(a, "%s@%s", acc->username, acc->domain)
		       : acc->username;
}

const char *account_local_uri(arena *a, const char *username)
{
	return arena_printf(a, "%s/users/%s", cfg.base_url, username);
}

const char *status_local_uri(arena *a, const char *username, int64_t id)
{
	return arena_printf(a, "%s/users/%s/statuses/%lld", cfg.base_url,
			    username, (long long)id);
}

bool account_addresses(arena *a, const account *acc, const char **uri,
		       const char **url)
{
	store_actor actor;
	if (acc->domain && store_actor_get(a, acc->id, &actor)) {
		*uri = actor.uri;
		*url = actor.url ? actor.url : actor.uri;
		return true;
	}
	*uri = account_local_uri(a, acc->username);
	*url = arena_printf(a, "%s/@%s", cfg.base_url, acc->username);
	return !acc->domain;
}

bool status_addresses(arena *a, int64_t id, const account *author,
		      const char **uri, const char **url)
{
	const char *username = author ? author->username : "";
	if (author && author->domain && store_status_remote(a, id, uri, url)) {
		if (!*url)
			*url = *uri;
		return true;
	}
	*uri = status_local_uri(a, username, id);
	*url = arena_printf(a, "%s/@%s/%lld", cfg.base_url, username,
			    (long long)id);
	return author && !author->domain;
}

static account_resolver resolver;

void accounts_resolve_with(account_resolver fn)
{
	resolver = fn;
}

bool account_lookup(arena *a, const char *acct, bool resolve, account *out)
{
	if (!acct)
		return false;
	if (*acct == '@')
		acct++;
	const char *at = strchr(acct, '@');
	if (!at)
		return store_account_by_username(a, acct, NULL, out);
	char *user = arena_strndup(a, acct, (size_t)(at - acct));
	const char *domain = at + 1;
	if (!strcasecmp(domain, cfg.domain))
		domain = NULL;
	if (store_account_by_username(a, user, domain, out))
		return true;
	return resolve && domain && *user && resolver &&
	       resolver(a, user, domain, out);
}

bool account_is_staff(const account *acc)
{
	static const char *const staff[] = {"owner", "admin", "moderator"};
	if (!acc || !acc->role)
		return false;
	for (size_t i = 0; i < sizeof staff / sizeof *staff; i++)
		if (!strcmp(acc->role, staff[i]))
			return true;
	return false;
}

bool account_is_admin(const account *acc)
{
	return acc && acc->role &&
	       (!strcmp(acc->role, "owner") || !strcmp(acc->role, "admin"));
}

char *profile_text_html(arena *a, const char *note)
{
	text_parsed parsed;
	size_t n = strlen(note);
	text_parse(a, note, n, &parsed);
	text_render_opts o = {
		.tag_base = arena_printf(a, "%s/tags/", cfg.base_url)};
	return text_render_html(a, note, n, &parsed, &o);
}
