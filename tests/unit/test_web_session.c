/* test_web_session.c — browser sessions: where a browser may be sent back
 * to after signing in, cookies, CSRF tokens, and sessions in the store
 * (begun, resolved, idle, ended with the password). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store_fixture.h"
#include "web/web.h"

#include <sodium.h>

/* ---- return_to ---------------------------------------------------------- */

static void test_return_to_accepts_local_paths(void **state)
{
	assert_true(web_return_to_safe("/"));
	assert_true(web_return_to_safe("/about"));
	assert_true(web_return_to_safe("/@ana/123?x=1&y=%2F%2F"));
	assert_true(web_return_to_safe("/oauth/authorize?client_id=a&scope=read"
				       "%20write"));
}

static void test_return_to_refuses_other_sites(void **state)
{
	static const char *const refused[] = {
		"//evil.example",
		"///evil.example",
		"/\\evil.example",
		"/\t/evil.example", /* browsers drop tabs and newlines */
		"/\n/evil.example",
		"/\r/evil.example",
		"https://evil.example/",
		"javascript:alert(1)",
		"evil.example",
		"",
		"/a b",
		"/a\\b",
		"/\x7f",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		assert_false(web_return_to_safe(refused[i]));
	assert_false(web_return_to_safe(NULL));
}

static void test_return_to_refuses_very_long_paths(void **state)
{
	char path[4096];
	memset(path, 'a', sizeof path - 1);
	path[0] = '/';
	path[sizeof path - 1] = '\0';
	assert_false(web_return_to_safe(path));
}

/* ---- cookies and CSRF tokens -------------------------------------------- */

static void test_cookie_get_finds_exact_names(void **state)
{
	const char *h = "a=1; chorus_session_x=no; chorus_session=yes;b=2";
	assert_string_equal(web_cookie_get(&test_arena, h, "chorus_session"),
			    "yes");
	assert_string_equal(web_cookie_get(&test_arena, h, "a"), "1");
	assert_string_equal(web_cookie_get(&test_arena, h, "b"), "2");
	assert_null(web_cookie_get(&test_arena, h, "chorus"));
	assert_null(web_cookie_get(&test_arena, h, "c"));
	assert_null(web_cookie_get(&test_arena, NULL, "a"));
	assert_string_equal(web_cookie_get(&test_arena, "a=", "a"), "");
}

static void test_csrf_equal_needs_two_equal_well_formed_tokens(void **state)
{
	const char *t = auth_random_token(&test_arena);
	char copy[64];
	strcpy(copy, t);
	assert_true(web_csrf_equal(t, copy));
	copy[42] = copy[42] == 'A' ? 'B' : 'A';
	assert_false(web_csrf_equal(t, copy));
	assert_false(web_csrf_equal(t, NULL));
	assert_false(web_csrf_equal(NULL, t));
	assert_false(web_csrf_equal(NULL, NULL));
	assert_false(web_csrf_equal("", ""));
	/* equal, but not a token: never accepted */
	assert_false(web_csrf_equal("abc", "abc"));
	char odd[44];
	memset(odd, '!', 43);
	odd[43] = '\0';
	assert_false(web_csrf_equal(odd, odd));
}

/* ---- sessions in the store ------------------------------------------------
 */

static int session_setup(void **state)
{
	return store_fixture_open("websession");
}

static void test_session_resolves_to_its_account(void **state)
{
	int64_t ana = fixture_account("ana");
	char *secret = auth_web_session_begin(&test_arena, ana, "Firefox");
	assert_non_null(secret);
	assert_int_equal(strlen(secret), 43);
	account acc;
	assert_true(auth_web_session_resolve(&test_arena, secret, &acc));
	assert_int_equal(acc.id, ana);
	assert_false(auth_web_session_resolve(&test_arena, "nope", &acc));
	assert_false(auth_web_session_resolve(&test_arena, NULL, &acc));
}

static void test_only_the_hash_is_stored(void **state)
{
	int64_t ana = fixture_account("ana");
	char *secret = auth_web_session_begin(&test_arena, ana, NULL);
	int64_t id, account_id, used;
	assert_false(store_web_session_lookup(secret, &id, &account_id, &used));
	assert_true(store_web_session_lookup(
		auth_token_hash(&test_arena, secret), &id, &account_id, &used));
	assert_int_equal(account_id, ana);
}

static void test_ended_session_resolves_to_no_one(void **state)
{
	int64_t ana = fixture_account("ana");
	char *secret = auth_web_session_begin(&test_arena, ana, NULL);
	assert_int_equal(auth_web_session_end(&test_arena, secret), 0);
	account acc;
	assert_false(auth_web_session_resolve(&test_arena, secret, &acc));
	/* ending it again, or nothing, is no error */
	assert_int_equal(auth_web_session_end(&test_arena, secret), 0);
	assert_int_equal(auth_web_session_end(&test_arena, NULL), 0);
}

static void test_idle_session_expires(void **state)
{
	int64_t ana = fixture_account("ana");
	char *secret = auth_web_session_begin(&test_arena, ana, NULL);
	int64_t id, account_id, used;
	const char *hash = auth_token_hash(&test_arena, secret);
	assert_true(store_web_session_lookup(hash, &id, &account_id, &used));
	int64_t day = 24LL * 60 * 60 * 1000;
	int64_t idle = cfg.web_session_idle_days * day;
	/* used just inside the limit: still good, and its use recorded */
	assert_int_equal(
		store_web_session_touch(id, time_now_ms() - idle + day), 0);
	account acc;
	assert_true(auth_web_session_resolve(&test_arena, secret, &acc));
	assert_true(store_web_session_lookup(hash, &id, &account_id, &used));
	assert_true(used > time_now_ms() - day);
	/* unused past it: gone, and deleted */
	assert_int_equal(store_web_session_touch(id, time_now_ms() - idle - 1),
			 0);
	assert_false(auth_web_session_resolve(&test_arena, secret, &acc));
	assert_false(store_web_session_lookup(hash, &id, &account_id, &used));
}

static void test_new_password_ends_every_session(void **state)
{
	int64_t ana = fixture_account("ana"), bob = fixture_account("bob");
	char *one = auth_web_session_begin(&test_arena, ana, NULL);
	char *two = auth_web_session_begin(&test_arena, ana, NULL);
	char *bobs = auth_web_session_begin(&test_arena, bob, NULL);
	assert_int_equal(
		auth_set_password(&test_arena, ana, "a-new-password", 0),
		DOM_OK);
	account acc;
	assert_false(auth_web_session_resolve(&test_arena, one, &acc));
	assert_false(auth_web_session_resolve(&test_arena, two, &acc));
	assert_true(auth_web_session_resolve(&test_arena, bobs, &acc));
}

static void count_session(const store_web_session *s, void *ctx)
{
	(void)s;
	(*(int *)ctx)++;
}

static void test_revoke_by_id_and_all(void **state)
{
	int64_t ana = fixture_account("ana"), bob = fixture_account("bob");
	char *one = auth_web_session_begin(&test_arena, ana, "one\tagent\n");
	char *two = auth_web_session_begin(&test_arena, ana, NULL);
	int64_t id, account_id, used;
	assert_true(store_web_session_lookup(auth_token_hash(&test_arena, one),
					     &id, &account_id, &used));
	/* not bob's to revoke */
	assert_int_equal(auth_revoke_session(bob, id), DOM_NOT_FOUND);
	assert_int_equal(auth_revoke_session(ana, id), DOM_OK);
	account acc;
	assert_false(auth_web_session_resolve(&test_arena, one, &acc));
	assert_true(auth_web_session_resolve(&test_arena, two, &acc));
	int n = 0;
	assert_int_equal(auth_revoke_sessions(ana, 0, &n), DOM_OK);
	assert_int_equal(n, 1);
	assert_false(auth_web_session_resolve(&test_arena, two, &acc));
	n = 0;
	assert_int_equal(
		store_web_sessions_each(ana, count_session, &n, &test_arena),
		0);
	assert_int_equal(n, 0);
}

static void first_agent(const store_web_session *s, void *ctx)
{
	*(const char **)ctx = s->user_agent;
}

static void test_user_agent_is_kept_clean_and_short(void **state)
{
	int64_t ana = fixture_account("ana");
	char ua[1000];
	memset(ua, 'x', sizeof ua - 1);
	ua[sizeof ua - 1] = '\0';
	ua[3] = '\t';
	assert_non_null(auth_web_session_begin(&test_arena, ana, ua));
	const char *kept = NULL;
	assert_int_equal(
		store_web_sessions_each(ana, first_agent, &kept, &test_arena),
		1);
	assert_non_null(kept);
	assert_true(strlen(kept) <= 200);
	assert_null(strchr(kept, '\t'));
}

static void test_deleting_the_account_deletes_its_sessions(void **state)
{
	int64_t ana = fixture_account("ana");
	char *secret = auth_web_session_begin(&test_arena, ana, NULL);
	assert_int_equal(store_account_delete(ana), 0);
	int64_t id, account_id, used;
	assert_false(store_web_session_lookup(
		auth_token_hash(&test_arena, secret), &id, &account_id, &used));
}

static int pure_setup(void **state)
{
	arena_init(&test_arena);
	return 0;
}

static int pure_teardown(void **state)
{
	arena_release(&test_arena);
	return 0;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	config_defaults();
	config_finish();
#define PURE(f) cmocka_unit_test_setup_teardown(f, pure_setup, pure_teardown)
#define STORED(f)                                                              \
	cmocka_unit_test_setup_teardown(f, session_setup,                      \
					store_fixture_teardown)
	const struct CMUnitTest tests[] = {
		PURE(test_return_to_accepts_local_paths),
		PURE(test_return_to_refuses_other_sites),
		PURE(test_return_to_refuses_very_long_paths),
		PURE(test_cookie_get_finds_exact_names),
		PURE(test_csrf_equal_needs_two_equal_well_formed_tokens),
		STORED(test_session_resolves_to_its_account),
		STORED(test_only_the_hash_is_stored),
		STORED(test_ended_session_resolves_to_no_one),
		STORED(test_idle_session_expires),
		STORED(test_new_password_ends_every_session),
		STORED(test_revoke_by_id_and_all),
		STORED(test_user_agent_is_kept_clean_and_short),
		STORED(test_deleting_the_account_deletes_its_sessions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
