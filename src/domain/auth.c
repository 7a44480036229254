/* auth.c — passwords, tokens and OAuth scopes. */
#include "core/buf.h"
#include "core/config.h"
#include "core/ratelimit.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/store.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

char *auth_hash_password(arena *a, const char *password)
{
	char *out = arena_alloc(a, crypto_pwhash_STRBYTES);
	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  (unsigned long long)cfg.argon2_ops,
				  (size_t)cfg.argon2_mem_kib * 1024,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return NULL;
	return out;
}

bool auth_verify_password(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* The hash an unknown login's password is checked against: the same
 * parameters as real ones, so a refusal takes the same time. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static int dummy_rc = -1;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
	enum { DUMMY_PASSWORD_BYTES = 32 };
	unsigned char pw[DUMMY_PASSWORD_BYTES];
	randombytes_buf(pw, sizeof pw);
	dummy_rc =
		crypto_pwhash_str_alg(dummy_hash, (const char *)pw, sizeof pw,
				      (unsigned long long)cfg.argon2_ops,
				      (size_t)cfg.argon2_mem_kib * 1024,
				      crypto_pwhash_ALG_ARGON2ID13);
}

int auth_init(void)
{
	pthread_once(&dummy_once, dummy_make);
	return dummy_rc;
}

enum { LOCKOUT_BUCKET = 200 }; /* core/ratelimit's bucket for failures */

/* The lockout's key: login case-folded (ASCII: e-mail addresses and
 * usernames are matched so), a NUL, the source. */
static size_t lockout_key(const char *login, const char *source, char *out,
			  size_t cap)
{
	size_t n = 0;
	for (const char *p = login; *p && n + 1 < cap; p++)
		out[n++] = (char)tolower((unsigned char)*p);
	out[n++] = '\0';
	for (const char *p = source; *p && n < cap; p++)
		out[n++] = *p;
	return n;
}

auth_result auth_sign_in(arena *a, const char *login, const char *password,
			 const char *source, account *out, int64_t *wait_ms)
{
	*wait_ms = 0;
	if (!login || !password)
		return AUTH_REFUSED; /* says nothing about any account */
	char key[320];
	size_t klen = 0;
	int64_t now = time_now_ms();
	if (source && cfg.sign_in_failures > 0) {
		klen = lockout_key(login, source, key, sizeof key);
		*wait_ms = ratelimit_locked(
			LOCKOUT_BUCKET, key, klen, cfg.sign_in_failures,
			(int64_t)cfg.sign_in_lock_max_seconds * 1000, now);
		if (*wait_ms > 0)
			return AUTH_LOCKED;
	}
	const char *hash = NULL;
	bool found = store_user_by_login(a, login, out, &hash);
	if (!found && auth_init() < 0)
		return AUTH_REFUSED;
	bool match = auth_verify_password(found ? hash : dummy_hash, password);
	if (found && match) {
		if (klen)
			ratelimit_clear(LOCKOUT_BUCKET, key, klen);
		return account_may_sign_in(out) ? AUTH_SIGNED_IN
						: AUTH_DISABLED;
	}
	if (klen)
		ratelimit_fail(LOCKOUT_BUCKET, key, klen, now);
	return AUTH_REFUSED;
}

char *auth_random_token(arena *a)
{
	enum { TOKEN_BYTES = 32 };
	unsigned char raw[TOKEN_BYTES];
	randombytes_buf(raw, sizeof raw);
	size_t len = sodium_base64_ENCODED_LEN(
		TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = arena_alloc(a, len);
	sodium_bin2base64(out, len, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

char *auth_token_hash(arena *a, const char *token)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
	char *hex = arena_alloc(a, sizeof digest * 2 + 1);
	sodium_bin2hex(hex, sizeof digest * 2 + 1, digest, sizeof digest);
	return hex;
}

static const char *const known_scopes[] = {
	"read",
	"write",
	"follow",
	"push",
	"profile",
	"read:accounts",
	"read:blocks",
	"read:bookmarks",
	"read:favourites",
	"read:filters",
	"read:follows",
	"read:lists",
	"read:mutes",
	"read:notifications",
	"read:search",
	"read:statuses",
	"write:accounts",
	"write:blocks",
	"write:bookmarks",
	"write:conversations",
	"write:favourites",
	"write:filters",
	"write:follows",
	"write:lists",
	"write:media",
	"write:mutes",
	"write:notifications",
	"write:reports",
	"write:statuses",
	"admin:read",
	"admin:write",
	"admin:read:accounts",
	"admin:read:reports",
	"admin:read:domain_allows",
	"admin:read:domain_blocks",
	"admin:read:ip_blocks",
	"admin:read:email_domain_blocks",
	"admin:read:canonical_email_blocks",
	"admin:write:accounts",
	"admin:write:reports",
	"admin:write:domain_allows",
	"admin:write:domain_blocks",
	"admin:write:ip_blocks",
	"admin:write:email_domain_blocks",
	"admin:write:canonical_email_blocks",
};

static bool scope_known(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof known_scopes / sizeof *known_scopes; i++)
		if (strlen(known_scopes[i]) == n &&
		    !memcmp(known_scopes[i], s, n))
			return true;
	return false;
}

/* Does the single scope have[0..hn) cover need[0..nn)? */
static bool scope_covers(const char *have, size_t hn, const char *need,
			 size_t nn)
{
	if (hn == nn && !memcmp(have, need, nn))
		return true;
	/* "read" covers "read:x"; "admin:read" covers "admin:read:x" */
	if (nn > hn && !memcmp(have, need, hn) && need[hn] == ':')
		return true;
	if (hn == 6 && !memcmp(have, "follow", 6)) {
		static const char *const follow_scopes[] = {
			"read:follows", "write:follows", "read:blocks",
			"write:blocks", "read:mutes",	 "write:mutes",
		};
		for (size_t i = 0; i < 6; i++)
			if (strlen(follow_scopes[i]) == nn &&
			    !memcmp(follow_scopes[i], need, nn))
				return true;
	}
	return false;
}

/* Iterate the words of a scope string separated by spaces or '+'. */
static const char *next_word(const char *s, size_t *n)
{
	while (*s == ' ' || *s == '+' || *s == ',')
		s++;
	if (!*s)
		return NULL;
	*n = strcspn(s, " +,");
	return s;
}

static bool list_covers(const char *list, const char *need, size_t nn)
{
	size_t n;
	for (const char *w = list; (w = next_word(w, &n)); w += n)
		if (scope_covers(w, n, need, nn))
			return true;
	return false;
}

static bool list_has_exact(const char *list, const char *w, size_t wn)
{
	size_t n;
	for (const char *x = list; (x = next_word(x, &n)); x += n)
		if (n == wn && !memcmp(x, w, n))
			return true;
	return false;
}

char *auth_scopes_grant(arena *a, const char *requested, const char *allowed)
{
	if (!requested || !next_word(requested, &(size_t){0}))
		requested = "read";
	buf out;
	buf_init(&out, a);
	size_t n;
	for (const char *w = requested; (w = next_word(w, &n)); w += n) {
		if (!scope_known(w, n) || !list_covers(allowed, w, n))
			return NULL;
		/* skip duplicates */
		if (list_has_exact(out.data, w, n))
			continue;
		if (out.len)
			buf_putc(&out, ' ');
		buf_append(&out, w, n);
	}
	return out.data;
}

bool auth_scope_allows(const char *granted, const char *need)
{
	if (!need || !*need)
		return true;
	/* need may list alternatives separated by '|' */
	const char *p = need;
	while (*p) {
		size_t n = strcspn(p, "|");
		if (list_covers(granted, p, n))
			return true;
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

bool account_may_sign_in(const account *acc)
{
	return !acc->suspended_at && !acc->disabled && acc->approved;
}

bool auth_principal(arena *a, const char *token, principal *p)
{
	memset(p, 0, sizeof *p);
	account *acc = arena_alloc(a, sizeof *acc);
	if (!store_token_lookup(a, auth_token_hash(a, token), p, acc))
		return false;
	/* its sessions ended with the suspension: one a shell's write
	 * raced, or one made before a sign-up was approved, is none */
	if (p->account_id && !account_may_sign_in(acc))
		return false;
	p->account = p->account_id ? acc : NULL;
	return true;
}

/* Tell the streams (after the commit: the store functions commit
 * themselves) that tokens are gone, so they close at once instead of at
 * the streaming thread's next look at the token revision. */
static void publish_sessions_ended(void)
{
	events_publish(&(event){.kind = EVENT_SESSIONS_ENDED});
}

int auth_revoke_token(arena *a, const char *token, int64_t app_id)
{
	int64_t account_id = 0;
	int64_t id = store_token_revoke(auth_token_hash(a, token), app_id,
					&account_id);
	if (id > 0)
		publish_sessions_ended();
	return id < 0 ? -1 : 0;
}

dom_err auth_revoke_session(int64_t account_id, int64_t token_id)
{
	int n = store_token_revoke_of_account(account_id, token_id);
	if (n == 0) /* ids are unique across both: a browser session's? */
		n = store_web_session_delete_of_account(account_id, token_id);
	if (n < 0)
		return DOM_INTERNAL;
	if (n == 0)
		return DOM_NOT_FOUND;
	publish_sessions_ended();
	return DOM_OK;
}

dom_err auth_revoke_sessions(int64_t account_id, int64_t keep, int *n)
{
	*n = store_tokens_revoke_account(account_id, keep);
	if (*n < 0)
		return DOM_INTERNAL;
	int web = store_web_sessions_delete_account(account_id);
	if (web < 0)
		return DOM_INTERNAL;
	*n += web;
	publish_sessions_ended();
	return DOM_OK;
}

dom_err auth_set_password(arena *a, int64_t account_id, const char *password,
			  int64_t keep)
{
	if ((int)strlen(password) < cfg.password_min_length)
		return DOM_INVALID;
	const char *hash = auth_hash_password(a, password);
	if (!hash)
		return DOM_INTERNAL;
	if (store_user_set_password(account_id, hash, keep) < 0)
		return DOM_NOT_FOUND;
	publish_sessions_ended();
	return DOM_OK;
}

/* ---- browser sessions ---- */

enum {
	/* a session's last use is written at most this often: a page view
	 * costs no write, and idle expiry needs no finer grain */
	WEB_SESSION_TOUCH_MS = 60 * 60 * 1000,
	/* bytes of a User-Agent kept to tell sessions apart in a listing */
	WEB_SESSION_AGENT_MAX = 200,
	DAY_MS = 24 * 60 * 60 * 1000,
};

/* The User-Agent as listed: control characters (a tab would break the
 * CLI's columns) become spaces, cut at a character boundary. */
static char *agent_clean(arena *a, const char *ua)
{
	if (!ua)
		return "";
	size_t n = strlen(ua);
	if (n > WEB_SESSION_AGENT_MAX) {
		n = WEB_SESSION_AGENT_MAX;
		while (n && ((unsigned char)ua[n] & 0xC0) == 0x80)
			n--; /* not inside a UTF-8 sequence */
	}
	char *out = arena_strndup(a, ua, n);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

char *auth_web_session_begin(arena *a, int64_t account_id,
			     const char *user_agent)
{
	char *secret = auth_random_token(a);
	if (store_web_session_create(auth_token_hash(a, secret), account_id,
				     agent_clean(a, user_agent),
				     time_now_ms()) < 0)
		return NULL;
	return secret;
}

bool auth_web_session_resolve(arena *a, const char *secret, account *out)
{
	if (!secret || !*secret)
		return false;
	const char *hash = auth_token_hash(a, secret);
	int64_t id, account_id, last_used, now = time_now_ms();
	if (!store_web_session_lookup(hash, &id, &account_id, &last_used))
		return false;
	if (now - last_used > (int64_t)cfg.web_session_idle_days * DAY_MS) {
		store_web_session_delete(hash);
		return false;
	}
	if (now - last_used > WEB_SESSION_TOUCH_MS)
		store_web_session_touch(id, now); /* best effort */
	return store_account_get(a, account_id, out) &&
	       account_may_sign_in(out);
}

int auth_web_session_end(arena *a, const char *secret)
{
	if (!secret || !*secret)
		return 0;
	return store_web_session_delete(auth_token_hash(a, secret)) < 0 ? -1
									: 0;
}

/* ---- authorization codes (OAuth 2, RFC 6749 §4.1) ---- */

enum { AUTH_CODE_TTL_MS = 10 * 60 * 1000 };

char *auth_code_issue(arena *a, int64_t app_id, int64_t account_id,
		      const char *scopes, const char *redirect_uri,
		      const char *challenge)
{
	char *code = auth_random_token(a);
	if (store_auth_code_create(auth_token_hash(a, code), app_id, account_id,
				   scopes, redirect_uri, challenge,
				   time_now_ms() + AUTH_CODE_TTL_MS) < 0)
		return NULL;
	return code;
}
