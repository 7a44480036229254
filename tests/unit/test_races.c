/* test_races.c — issue #10 at store level: each interleaving the API
 * tests can only hope to hit is forced here. The caller's check ran and a
 * concurrent write committed before the store write begins; the write must
 * see that inside its own transaction and answer with a store_result, and
 * the database must refuse what no code path may do (limits). */
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
#include "domain/domain.h"
#include "store/store.h"

#include <string.h>

enum {
	TEST_MAX_PINNED = 5,
	TEST_MAX_FEATURED = 3,
	TEST_CACHE_SLOTS = 16,
	TEST_CACHE_BYTES = 4096,
};

static int test_setup(void **state)
{
	(void)state;
	return store_fixture_open("races");
}

static int64_t post(int64_t author)
{
	status s = fixture_status(author, VIS_PUBLIC);
	assert_int_equal(store_status_insert(NULL, &s, NULL, 0, NULL, 0), 0);
	return s.id;
}

static status load(int64_t id)
{
	status s;
	assert_true(store_status_get(&test_arena, id, &s));
	return s;
}

/* The status was loaded (the caller's check passed), then deleted by
 * another request before the caller's write: every write on it is
 * STORE_GONE, and nothing is left pointing at it. */
static void
test_writes_on_a_status_deleted_after_the_check_are_gone(void **state)
{
	int64_t alice = fixture_account("alice"), bob = fixture_account("bob");
	status checked = load(post(alice));
	status other = checked; /* the deleting request's copy */
	assert_int_equal(store_status_delete(&other), 0);

	assert_int_equal(store_favourite_set(bob, checked.id, true, NULL),
			 STORE_GONE);
	assert_int_equal(store_bookmark_set(bob, checked.id, true), STORE_GONE);
	assert_int_equal(
		store_pin_set(alice, checked.id, true, TEST_MAX_PINNED),
		STORE_GONE);
	status boost = fixture_status(bob, VIS_PUBLIC);
	boost.reblog_of_id = checked.id;
	assert_int_equal(store_status_insert(NULL, &boost, NULL, 0, NULL, 0),
			 STORE_GONE);
	status answer = fixture_status(bob, VIS_PUBLIC);
	answer.in_reply_to_id = checked.id;
	answer.in_reply_to_account_id = alice;
	assert_int_equal(store_status_insert(NULL, &answer, NULL, 0, NULL, 0),
			 STORE_GONE);
	status edited = checked;
	edited.text = "edited";
	edited.edited_at = checked.created_at + 1;
	assert_int_equal(
		store_status_update(&checked, &edited, NULL, 0, NULL, 0),
		STORE_GONE);
	/* the second of two deletes */
	assert_int_equal(store_status_delete(&checked), STORE_GONE);

	status gone;
	assert_false(store_status_get(&test_arena, boost.id, &gone));
	assert_false(store_status_get(&test_arena, answer.id, &gone));
	account a;
	assert_true(store_account_get(&test_arena, bob, &a));
	assert_int_equal(a.statuses_count, 0);
}

/* Two posts were given one attachment; the second to commit finds it
 * taken: STORE_TAKEN, and nothing of that post is stored. */
static void test_an_attachment_taken_meanwhile_is_taken(void **state)
{
	int64_t alice = fixture_account("alice");
	media_attachment m;
	memset(&m, 0, sizeof m);
	m.id = id_next();
	m.account_id = alice;
	m.type = "image";
	m.state = MEDIA_READY;
	m.mime = "image/png";
	m.meta = "{}";
	m.created_at = id_to_ms(m.id);
	assert_int_equal(store_media_insert(&m, NULL), 0);
	status first = fixture_status(alice, VIS_PUBLIC),
	       second = fixture_status(alice, VIS_PUBLIC);
	first.media_ids = second.media_ids = &m.id;
	first.nmedia = second.nmedia = 1;
	assert_int_equal(store_status_insert(NULL, &first, NULL, 0, NULL, 0),
			 0);
	assert_int_equal(store_status_insert(NULL, &second, NULL, 0, NULL, 0),
			 STORE_TAKEN);
	status gone;
	assert_false(store_status_get(&test_arena, second.id, &gone));
}

/* Pins are counted inside the pin's transaction; one already pinned is
 * no new pin. */
static void test_pins_stop_at_the_limit(void **state)
{
	int64_t alice = fixture_account("alice");
	int64_t ids[TEST_MAX_PINNED + 1];
	for (int i = 0; i <= TEST_MAX_PINNED; i++)
		ids[i] = post(alice);
	for (int i = 0; i < TEST_MAX_PINNED; i++)
		assert_int_equal(
			store_pin_set(alice, ids[i], true, TEST_MAX_PINNED), 1);
	assert_int_equal(store_pin_set(alice, ids[TEST_MAX_PINNED], true,
				       TEST_MAX_PINNED),
			 STORE_LIMIT);
	assert_int_equal(store_pin_set(alice, ids[0], true, TEST_MAX_PINNED),
			 0);
}

/* The backstop: with the limit written into the database, an insert
 * whose own count is wrong (here: a larger max) is still refused. */
static void test_the_database_enforces_the_pin_limit(void **state)
{
	int64_t alice = fixture_account("alice");
	assert_int_equal(store_limit_set("max_pinned", 2), 0);
	int64_t a = post(alice), b = post(alice), c = post(alice);
	assert_int_equal(store_pin_set(alice, a, true, INT64_MAX), 1);
	assert_int_equal(store_pin_set(alice, b, true, INT64_MAX), 1);
	assert_int_equal(store_pin_set(alice, c, true, INT64_MAX), STORE_LIMIT);
	assert_int_equal(store_pin_set(alice, a, true, INT64_MAX), 0);
}

static void test_featured_tags_stop_at_the_limit(void **state)
{
	int64_t alice = fixture_account("alice");
	int64_t tags[TEST_MAX_FEATURED + 1];
	for (int i = 0; i <= TEST_MAX_FEATURED; i++) {
		char key[16];
		snprintf(key, sizeof key, "tag%d", i);
		tags[i] = store_tag_ensure(key, key);
	}
	for (int i = 0; i < TEST_MAX_FEATURED; i++)
		assert_int_equal(store_featured_tag_add(id_next(), alice,
							tags[i],
							TEST_MAX_FEATURED),
				 0);
	assert_int_equal(store_featured_tag_add(id_next(), alice, tags[0],
						TEST_MAX_FEATURED),
			 1);
	assert_int_equal(store_featured_tag_add(id_next(), alice,
						tags[TEST_MAX_FEATURED],
						TEST_MAX_FEATURED),
			 STORE_LIMIT);
	/* and the database refuses it too */
	assert_int_equal(
		store_limit_set("max_featured_tags", TEST_MAX_FEATURED), 0);
	assert_int_equal(store_featured_tag_add(id_next(), alice,
						tags[TEST_MAX_FEATURED],
						INT64_MAX),
			 STORE_LIMIT);
}

/* A boost committed after the delete loaded its status (reblogs_count 0
 * then) goes with it, and so does its booster's cached account. */
static void test_delete_drops_boosters_cached_after_it_loaded(void **state)
{
	int64_t alice = fixture_account("alice"), bob = fixture_account("bob");
	status loaded = load(post(alice));
	status boost = fixture_status(bob, VIS_PUBLIC);
	boost.reblog_of_id = loaded.id;
	assert_int_equal(store_status_insert(NULL, &boost, NULL, 0, NULL, 0),
			 0);
	cache_init(TEST_CACHE_SLOTS, TEST_CACHE_BYTES, TEST_CACHE_SLOTS,
		   TEST_CACHE_BYTES, TEST_CACHE_SLOTS, TEST_CACHE_BYTES);
	cache_request_begin();
	cache_put(cache_accounts, bob, "bob", 3);
	assert_int_equal(loaded.reblogs_count, 0);
	assert_int_equal(store_status_delete(&loaded), 0);
	size_t len;
	assert_null(cache_get(cache_accounts, bob, &test_arena, &len));
	cache_shutdown();
}

/* Checked, then the follow that let bob see alice's private post went:
 * a reply or favourite arriving after that is refused inside its
 * transaction, by domain's visibility rule. */
static void test_a_post_hidden_after_the_check_is_gone(void **state)
{
	int64_t alice = fixture_account("alice"), bob = fixture_account("bob");
	assert_int_equal(
		store_follow_create(id_next(), bob, alice, true, false), 0);
	status private_post = fixture_status(alice, VIS_PUBLIC);
	private_post.vis = VIS_PRIVATE;
	assert_int_equal(
		store_status_insert(NULL, &private_post, NULL, 0, NULL, 0), 0);
	store_set_visibility_rule(visibility_can_see);
	assert_true(visibility_can_see(bob, &private_post)); /* the check */
	assert_int_equal(store_follow_delete(bob, alice), 0);
	status answer = fixture_status(bob, VIS_PUBLIC);
	answer.in_reply_to_id = private_post.id;
	answer.in_reply_to_account_id = alice;
	assert_int_equal(store_status_insert(NULL, &answer, NULL, 0, NULL, 0),
			 STORE_GONE);
	assert_int_equal(store_favourite_set(bob, private_post.id, true, NULL),
			 STORE_GONE);
	store_set_visibility_rule(NULL);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
	const struct CMUnitTest tests[] = {
#define T(f)                                                                   \
	cmocka_unit_test_setup_teardown(f, test_setup, store_fixture_teardown)
		T(test_writes_on_a_status_deleted_after_the_check_are_gone),
		T(test_an_attachment_taken_meanwhile_is_taken),
		T(test_pins_stop_at_the_limit),
		T(test_the_database_enforces_the_pin_limit),
		T(test_featured_tags_stop_at_the_limit),
		T(test_delete_drops_boosters_cached_after_it_loaded),
		T(test_a_post_hidden_after_the_check_is_gone),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
