/* test_auth.c — passwords, bearer tokens and OAuth scopes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/config.h"
#include "domain/domain.h"

#include <sodium.h>
#include <string.h>

enum {
	TEST_TOKEN_LEN = 43, /* 32 bytes, base64url without padding */
	TEST_HASH_LEN = 64,  /* hex SHA-256 */
};

static const char ALL_SCOPES[] = "read write follow push";

static arena test_arena;

static int test_setup(void **state)
{
	arena_init(&test_arena);
	return 0;
}

static int test_teardown(void **state)
{
	arena_release(&test_arena);
	return 0;
}

static const char *grant(const char *requested, const char *allowed)
{
	return auth_scopes_grant(&test_arena, requested, allowed);
}

/* ---- passwords -------------------------------------------------------- */

static void test_password_hash_verifies_right_password_only(void **state)
{
	char *hash = auth_hash_password(&test_arena, "correct horse");
	assert_non_null(hash);
	assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
	assert_true(auth_verify_password(hash, "correct horse"));
	assert_false(auth_verify_password(hash, "correct horsE"));
	assert_false(auth_verify_password(hash, ""));
}

static void test_password_hashes_are_salted(void **state)
{
	char *h1 = auth_hash_password(&test_arena, "same");
	char *h2 = auth_hash_password(&test_arena, "same");
	assert_string_not_equal(h1, h2);
	assert_true(auth_verify_password(h2, "same"));
}

static void test_password_verify_rejects_garbage_hash(void **state)
{
	assert_false(auth_verify_password("not-a-hash", "x"));
	assert_false(auth_verify_password("", ""));
}

/* ---- tokens ----------------------------------------------------------- */

static void test_random_token_is_43_url_safe_chars(void **state)
{
	char *t = auth_random_token(&test_arena);
	assert_int_equal(strlen(t), TEST_TOKEN_LEN);
	for (const char *p = t; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
			    "yz"
			    "0123456789-_",
			    *p))
			fail_msg("token char %c is not url-safe", *p);
}

static void test_random_tokens_differ(void **state)
{
	char *a = auth_random_token(&test_arena);
	char *b = auth_random_token(&test_arena);
	assert_string_not_equal(a, b);
}

static void test_token_hash_is_hex_sha256_and_stable(void **state)
{
	char *h = auth_token_hash(&test_arena, "abc");
	assert_int_equal(strlen(h), TEST_HASH_LEN);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223"
			       "b00361a396177a9cb410ff61f20015ad");
	char *t = auth_random_token(&test_arena);
	assert_string_equal(auth_token_hash(&test_arena, t),
			    auth_token_hash(&test_arena, t));
	assert_string_not_equal(auth_token_hash(&test_arena, "abd"), h);
}

/* ---- scopes: granting ------------------------------------------------- */

static void test_grant_all_requested_scopes(void **state)
{
	assert_string_equal(grant(ALL_SCOPES, ALL_SCOPES), ALL_SCOPES);
}

static void test_grant_granular_scope_under_its_parent(void **state)
{
	assert_string_equal(grant("read:statuses", "read"), "read:statuses");
	assert_string_equal(grant("write:media read:accounts", "read write"),
			    "write:media read:accounts");
	assert_string_equal(grant("admin:read:accounts", "admin:read"),
			    "admin:read:accounts");
}

static void test_grant_refuses_scope_not_allowed(void **state)
{
	assert_null(grant("write", "read"));
	assert_null(grant("read write", "read"));
	assert_null(grant("read", "read:statuses")); /* child can't widen */
	assert_null(grant("admin:read", "read"));
}

static void test_grant_refuses_unknown_scope(void **state)
{
	assert_null(grant("bogus", ALL_SCOPES));
	assert_null(grant("read bogus", ALL_SCOPES));
	assert_null(grant("read:bogus", ALL_SCOPES));
	assert_null(grant("rea", ALL_SCOPES));
}

static void test_grant_empty_request_is_read(void **state)
{
	assert_string_equal(grant("", ALL_SCOPES), "read");
	assert_string_equal(grant(NULL, ALL_SCOPES), "read");
	assert_string_equal(grant("  ", ALL_SCOPES), "read");
	assert_null(grant("", "write")); /* the default still has to fit */
}

static void test_grant_accepts_plus_separated(void **state)
{
	assert_string_equal(grant("read+write+follow", ALL_SCOPES),
			    "read write follow");
}

static void test_grant_removes_duplicates(void **state)
{
	assert_string_equal(grant("read write read  write follow", ALL_SCOPES),
			    "read write follow");
	assert_string_equal(grant("read:statuses read:statuses", "read"),
			    "read:statuses");
}

/* ---- scopes: checking ------------------------------------------------- */

static void test_scope_allows_parent_covers_child(void **state)
{
	assert_true(auth_scope_allows("read", "read:statuses"));
	assert_true(auth_scope_allows("write follow", "write:statuses"));
	assert_true(auth_scope_allows("read:statuses", "read:statuses"));
	assert_false(auth_scope_allows("read:statuses", "read"));
	assert_false(auth_scope_allows("read:statuses", "read:accounts"));
	assert_false(auth_scope_allows("read", "write:statuses"));
	assert_false(auth_scope_allows("read", "admin:read:accounts"));
}

static void test_scope_allows_follow_legacy_scope(void **state)
{
	assert_true(auth_scope_allows("follow", "write:follows"));
	assert_true(auth_scope_allows("follow", "read:blocks"));
	assert_true(auth_scope_allows("follow", "write:mutes"));
	assert_false(auth_scope_allows("follow", "write:statuses"));
	assert_false(auth_scope_allows("follow", "read:statuses"));
}

static void test_scope_allows_alternatives(void **state)
{
	assert_true(auth_scope_allows("profile", "read:accounts|profile"));
	assert_true(auth_scope_allows("read", "read:accounts|profile"));
	assert_false(auth_scope_allows("write push", "read:accounts|profile"));
}

static void test_scope_allows_empty_need(void **state)
{
	assert_true(auth_scope_allows("", NULL));
	assert_true(auth_scope_allows("", ""));
	assert_false(auth_scope_allows("", "read"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	config_defaults();
	config_finish();
#define AUTH_TEST(f)                                                           \
	cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
	const struct CMUnitTest tests[] = {
		AUTH_TEST(test_password_hash_verifies_right_password_only),
		AUTH_TEST(test_password_hashes_are_salted),
		AUTH_TEST(test_password_verify_rejects_garbage_hash),
		AUTH_TEST(test_random_token_is_43_url_safe_chars),
		AUTH_TEST(test_random_tokens_differ),
		AUTH_TEST(test_token_hash_is_hex_sha256_and_stable),
		AUTH_TEST(test_grant_all_requested_scopes),
		AUTH_TEST(test_grant_granular_scope_under_its_parent),
		AUTH_TEST(test_grant_refuses_scope_not_allowed),
		AUTH_TEST(test_grant_refuses_unknown_scope),
		AUTH_TEST(test_grant_empty_request_is_read),
		AUTH_TEST(test_grant_accepts_plus_separated),
		AUTH_TEST(test_grant_removes_duplicates),
		AUTH_TEST(test_scope_allows_parent_covers_child),
		AUTH_TEST(test_scope_allows_follow_legacy_scope),
		AUTH_TEST(test_scope_allows_alternatives),
		AUTH_TEST(test_scope_allows_empty_need),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
