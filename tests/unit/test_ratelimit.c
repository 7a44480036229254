/* test_ratelimit.c — core/ratelimit: fixed windows counted per key and
 * bucket, and the lockout's doubling waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/ratelimit.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	ratelimit_reset();
	return 0;
}

static bool hit(int bucket, const char *key, const ratelimit_rule *r,
		int64_t now, ratelimit_state *st)
{
	return ratelimit_hit(bucket, key, strlen(key), r, now, st);
}

static void test_a_window_counts_to_its_limit_then_refuses(void **state)
{
	ratelimit_rule r = {.limit = 3, .period_ms = 60000};
	ratelimit_state st;
	int64_t t0 = 1000000;
	for (long i = 0; i < 3; i++) {
		assert_true(hit(1, "10.0.0.1", &r, t0 + i, &st));
		assert_int_equal(st.limit, 3);
		assert_int_equal(st.remaining, 2 - i);
		assert_int_equal(st.reset_ms, t0 + 60000);
	}
	assert_false(hit(1, "10.0.0.1", &r, t0 + 10, &st));
	assert_int_equal(st.remaining, 0);
	assert_false(hit(1, "10.0.0.1", &r, t0 + 59999, &st));
	/* another key, another bucket: their own counts */
	assert_true(hit(1, "10.0.0.2", &r, t0 + 10, &st));
	assert_int_equal(st.remaining, 2);
	assert_true(hit(2, "10.0.0.1", &r, t0 + 10, &st));
	/* the window over, a new one opens */
	assert_true(hit(1, "10.0.0.1", &r, t0 + 60000, &st));
	assert_int_equal(st.remaining, 2);
	assert_int_equal(st.reset_ms, t0 + 120000);
	/* no limit: always within, no state */
	ratelimit_rule none = {0};
	assert_true(hit(1, "10.0.0.1", &none, t0, &st));
	assert_int_equal(st.limit, 0);
}

static void test_the_lockout_doubles_its_wait_up_to_the_most(void **state)
{
	const char *k = "ann\0"
			"10.0.0.9";
	size_t n = 12;
	int64_t t = 5000000;
	for (int i = 0; i < 3; i++) { /* three free failures */
		assert_int_equal(ratelimit_locked(9, k, n, 3, 8000, t), 0);
		ratelimit_fail(9, k, n, t);
	}
	assert_int_equal(ratelimit_locked(9, k, n, 3, 8000, t), 0);
	ratelimit_fail(9, k, n, t); /* the fourth: one second */
	assert_int_equal(ratelimit_locked(9, k, n, 3, 8000, t), 1000);
	assert_int_equal(ratelimit_locked(9, k, n, 3, 8000, t + 1000), 0);
	ratelimit_fail(9, k, n, t + 1000); /* two seconds */
	assert_int_equal(ratelimit_locked(9, k, n, 3, 8000, t + 1500), 1500);
	for (int i = 0; i < 10; i++)
		ratelimit_fail(9, k, n, t + 3000);
	/* the wait stops growing at the most */
	assert_int_equal(ratelimit_locked(9, k, n, 3, 8000, t + 3000), 8000);
	/* the same login from elsewhere is not held back */
	assert_int_equal(ratelimit_locked(9,
					  "ann\0"
					  "10.0.0.8",
					  12, 3, 8000, t + 3000),
			 0);
	/* a day without failures forgets them */
	assert_int_equal(ratelimit_locked(9, k, n, 3, 8000,
					  t + 3000 + 24 * 3600 * 1000 + 1),
			 0);
	/* a success forgets them at once */
	for (int i = 0; i < 6; i++)
		ratelimit_fail(9, k, n, t);
	assert_true(ratelimit_locked(9, k, n, 3, 8000, t) > 0);
	ratelimit_clear(9, k, n);
	assert_int_equal(ratelimit_locked(9, k, n, 3, 8000, t), 0);
}

/* Far more keys than slots: the table keeps working, each key counted
 * from its own slot or a fresh one, never another's count. */
static void test_a_full_table_forgets_but_never_overcounts(void **state)
{
	ratelimit_rule r = {.limit = 2, .period_ms = 60000};
	ratelimit_state st;
	char key[32];
	for (int i = 0; i < RATELIMIT_SLOTS * 2; i++) {
		snprintf(key, sizeof key, "k%d", i);
		assert_true(hit(3, key, &r, 1000 + i, &st));
		assert_int_equal(st.remaining, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
			test_a_window_counts_to_its_limit_then_refuses, setup),
		cmocka_unit_test_setup(
			test_the_lockout_doubles_its_wait_up_to_the_most,
			setup),
		cmocka_unit_test_setup(
			test_a_full_table_forgets_but_never_overcounts, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
