/* test_filters.c — the keyword matcher of filters (domain/filters.c) and
 * the one rule that applies filters (domain/visibility.c): folding, whole
 * words, Han text, the contexts and actions, expiry, filtered statuses,
 * and that a change reaches a reader whose filters were cached. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_fixture.h"

#include "core/cache.h"
#include "core/config.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/db.h"
#include "store/store.h"

#include <string.h>
#include <time.h>

enum { TEST_CACHE_SLOTS = 64, TEST_CACHE_BYTES = 1 << 20 };

/* The matcher tests use the arena alone, without a store. */
static int release_arena(void **state)
{
	(void)state;
	arena_release(&test_arena);
	arena_init(&test_arena);
	return 0;
}

/* What m scans of texts, folded as a status's are. */
static const char *haystack(const filter_matcher *m, const char *const *texts,
			    size_t n, size_t *len)
{
	size_t folded_len;
	const char *folded = filter_fold(&test_arena, texts, n, &folded_len);
	return filter_haystack(&test_arena, m, folded, folded_len, texts, n,
			       len);
}

/* Whether keyword (whole_word or not) matches text. */
static bool matches(const char *keyword, bool whole_word, const char *text)
{
	const char *pattern = filter_pattern(&test_arena, keyword, whole_word);
	filter_matcher m;
	filter_matcher_build(&m, &test_arena, &pattern, 1);
	size_t len;
	const char *texts[] = {text};
	const char *hay = haystack(&m, texts, 1, &len);
	bool hit[1] = {false};
	return filter_matcher_scan(&m, hay, len, hit) == 1 && hit[0];
}

static void test_whole_words_and_parts(void **state)
{
	(void)state;
	assert_true(matches("cat", true, "my cat sleeps"));
	assert_true(matches("cat", true, "Cat!"));
	assert_false(matches("cat", true, "a category"));
	assert_true(matches("cat", false, "a category"));
	assert_true(matches("new york", true, "I love New  York, really"));
	assert_false(matches("new york", true, "brand new yorkshire"));
	assert_true(matches("new york", false, "brand new yorkshire"));
	assert_false(matches("dog", false, "a cat"));
}

static void test_folding_and_scripts(void **state)
{
	(void)state;
	assert_true(matches("Café", true, "meet at the CAFE"));
	assert_true(matches("cafe", true, "un café noir"));
	assert_true(matches("ζευς", true, "Ζεύς"));
	/* Han has no spaces: a whole-word keyword matches inside a run */
	assert_true(matches("東京", true, "我在東京"));
	assert_true(matches("東京", false, "我在東京工作"));
	assert_false(matches("東京", true, "我在京東"));
	/* no letters or digits: as written */
	assert_true(matches("🍕", true, "pizza 🍕 time"));
	assert_false(matches("🍕", true, "pizza time"));
}

static void test_many_patterns_one_pass(void **state)
{
	(void)state;
	enum { N = 200 };
	const char *patterns[N];
	for (int i = 0; i < N; i++)
		patterns[i] = filter_pattern(
			&test_arena, arena_printf(&test_arena, "word%d", i),
			i % 2 == 0);
	filter_matcher m;
	filter_matcher_build(&m, &test_arena, patterns, N);
	const char *texts[] = {"spoiler word7", "WORD12 and word199x word3"};
	size_t len;
	const char *hay = haystack(&m, texts, 2, &len);
	bool hit[N];
	memset(hit, 0, sizeof hit);
	/* word3 (odd, part) and word199 (odd, part, inside word199x) and
	 * word12 (even, whole) and word7 (odd); word1 (odd, part) is inside
	 * word12 and word199x; word19 (odd) inside word199x */
	assert_int_equal(filter_matcher_scan(&m, hay, len, hit), 6);
	assert_true(hit[3] && hit[7] && hit[12] && hit[199] && hit[1] &&
		    hit[19]);
	assert_false(hit[2]);
}

/* ---- the rule, over the store ---- */

static int64_t alice, bob;

static int setup(void **state)
{
	(void)state;
	if (store_fixture_open("filters") < 0)
		return -1;
	cache_init(TEST_CACHE_SLOTS, TEST_CACHE_BYTES, TEST_CACHE_SLOTS,
		   TEST_CACHE_BYTES, TEST_CACHE_SLOTS, TEST_CACHE_BYTES);
	alice = fixture_account("alice");
	bob = fixture_account("bob");
	return 0;
}

static int teardown(void **state)
{
	cache_shutdown();
	return store_fixture_teardown(state);
}

static void request(void)
{
	store_read_end();
	store_read_begin();
}

static status post(int64_t author, const char *text)
{
	status s = fixture_status(author, VIS_PUBLIC);
	s.text = text;
	assert_int_equal(store_status_insert(NULL, &s, NULL, 0, NULL, 0), 0);
	return s;
}

static store_filter add_filter(int64_t owner, unsigned contexts, int action,
			       const char *keyword, int64_t expires_at)
{
	store_filter f = {.id = id_next(),
			  .account_id = owner,
			  .title = "t",
			  .contexts = contexts,
			  .action = action,
			  .expires_at = expires_at};
	store_filter_keyword k = {0, 0, keyword, true};
	assert_int_equal(
		store_filter_save(&f, true, &k, keyword ? 1 : 0, NULL, 0), 0);
	return f;
}

static void test_actions_apply_in_their_contexts_only(void **state)
{
	(void)state;
	status s = post(bob, "talk about politics");
	add_filter(alice, 1u << READ_HOME, FILTER_HIDE, "politics", 0);
	add_filter(alice, 1u << READ_PUBLIC, FILTER_WARN, "politics", 0);
	request();
	assert_false(visibility_listed(&test_arena, alice, &s, READ_HOME));
	assert_true(visibility_listed(&test_arena, alice, &s, READ_PUBLIC));
	assert_true(visibility_listed(&test_arena, alice, &s, READ_THREAD));
	filter_result *res;
	assert_int_equal(
		visibility_filtered(&test_arena, alice, &s, READ_PUBLIC, &res),
		1);
	assert_int_equal(res[0].filter->action, FILTER_WARN);
	assert_string_equal(res[0].keyword_matches[0], "politics");
	assert_int_equal(
		visibility_filtered(&test_arena, alice, &s, READ_THREAD, &res),
		0);
	/* others, and the author, are not filtered by alice's filters */
	assert_true(visibility_listed(&test_arena, bob, &s, READ_HOME));
	status own = post(alice, "my politics");
	request();
	assert_true(visibility_listed(&test_arena, alice, &own, READ_HOME));
}

static void test_a_change_and_an_expiry_reach_a_cached_reader(void **state)
{
	(void)state;
	status s = post(bob, "a spoiler ahead");
	request();
	assert_true(visibility_listed(&test_arena, alice, &s, READ_HOME));
	store_filter f = add_filter(alice, 1u << READ_HOME, FILTER_HIDE,
				    "spoiler", time_now_ms() + 300);
	request();
	assert_false(visibility_listed(&test_arena, alice, &s, READ_HOME));
	/* the memo holds until the filter's end, not past it */
	struct timespec ts = {0, 400 * 1000 * 1000};
	nanosleep(&ts, NULL);
	request();
	assert_true(visibility_listed(&test_arena, alice, &s, READ_HOME));
	f.expires_at = 0;
	assert_int_equal(store_filter_save(&f, false, NULL, 0, NULL, 0), 0);
	request();
	assert_false(visibility_listed(&test_arena, alice, &s, READ_HOME));
	assert_int_equal(store_filter_delete(alice, f.id), 0);
	request();
	assert_true(visibility_listed(&test_arena, alice, &s, READ_HOME));
}

static void test_filtered_statuses_and_boosts(void **state)
{
	(void)state;
	status s = post(bob, "nothing special");
	store_filter f =
		add_filter(alice, 1u << READ_HOME, FILTER_WARN, NULL, 0);
	store_filter_status fs = {0, f.id, s.id};
	assert_int_equal(store_filter_status_add(alice, &fs), 0);
	assert_int_equal(store_filter_status_add(alice, &fs), STORE_TAKEN);
	/* another's filter is not found */
	assert_int_equal(store_filter_status_add(bob, &fs), STORE_GONE);
	request();
	filter_result *res;
	assert_int_equal(
		visibility_filtered(&test_arena, alice, &s, READ_HOME, &res),
		1);
	assert_int_equal(res[0].nstatus_matches, 1);
	assert_int_equal(res[0].status_matches[0], s.id);
	assert_null(res[0].keyword_matches);
	/* a boost of it is filtered too */
	status b = fixture_status(bob, VIS_PUBLIC);
	b.reblog_of_id = s.id;
	assert_int_equal(store_status_insert(NULL, &b, NULL, 0, NULL, 0), 0);
	b.reblog = &s;
	request();
	assert_int_equal(
		visibility_filtered(&test_arena, alice, &b, READ_HOME, &res),
		1);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
	arena_init(&test_arena);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_whole_words_and_parts,
					  release_arena),
		cmocka_unit_test_teardown(test_folding_and_scripts,
					  release_arena),
		cmocka_unit_test_teardown(test_many_patterns_one_pass,
					  release_arena),
		T(test_actions_apply_in_their_contexts_only),
		T(test_a_change_and_an_expiry_reach_a_cached_reader),
		T(test_filtered_statuses_and_boosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
