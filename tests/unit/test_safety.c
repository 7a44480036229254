/* test_safety.c — blocks, mutes and domain blocks in the store, and the
 * one rule (domain/visibility.c) that reads them: who sees a status, what
 * a list shows in each context, and that a change is seen at once by a
 * reader whose relations were cached. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_fixture.h"

#include "core/cache.h"
#include "core/config.h"
#include "core/log.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/db.h"
#include "store/store.h"

enum { TEST_CACHE_SLOTS = 64, TEST_CACHE_BYTES = 1 << 20 };

static int64_t alice, bob, carol;

static int setup(void **state)
{
	(void)state;
	if (store_fixture_open("safety") < 0)
		return -1;
	cache_init(TEST_CACHE_SLOTS, TEST_CACHE_BYTES, TEST_CACHE_SLOTS,
		   TEST_CACHE_BYTES, TEST_CACHE_SLOTS, TEST_CACHE_BYTES);
	alice = fixture_account("alice");
	bob = fixture_account("bob");
	carol = fixture_account("carol");
	return 0;
}

static int teardown(void **state)
{
	cache_shutdown();
	return store_fixture_teardown(state);
}

/* A request begins: a new snapshot, and the epoch the memo is keyed by. */
static void request(void)
{
	store_read_end();
	store_read_begin();
}

static status post(int64_t author, visibility vis)
{
	status s = fixture_status(author, vis);
	assert_int_equal(store_status_insert(NULL, &s, NULL, 0, NULL, 0), 0);
	return s;
}

static status boost(int64_t booster, const status *of)
{
	status s = fixture_status(booster, VIS_PUBLIC);
	s.reblog_of_id = of->id;
	assert_int_equal(store_status_insert(NULL, &s, NULL, 0, NULL, 0), 0);
	s.reblog = (status *)of;
	return s;
}

static void test_block_hides_the_blocker_from_the_blocked(void **state)
{
	(void)state;
	status s = post(alice, VIS_PUBLIC);
	request();
	assert_true(visibility_can_see(bob, &s));
	assert_int_equal(store_block_create(id_next(), alice, bob), 0);
	request();
	/* the blocked sees nothing of the blocker, even by id */
	assert_false(visibility_can_see(bob, &s));
	/* the blocker still opens the blocked one's posts by id, but no
	 * list shows them */
	status theirs = post(bob, VIS_PUBLIC);
	request();
	assert_true(visibility_can_see(alice, &theirs));
	for (read_context c = READ_HOME; c <= READ_PROFILE; c++)
		assert_false(visibility_listed(&test_arena, alice, &theirs, c));
	/* others are untouched */
	assert_true(visibility_can_see(carol, &s));
	assert_true(visibility_listed(&test_arena, carol, &s, READ_PUBLIC));
	assert_true(visibility_can_see(0, &s));
	assert_int_equal(store_block_delete(alice, bob), 0);
	request();
	assert_true(visibility_can_see(bob, &s));
	assert_true(visibility_listed(&test_arena, alice, &theirs, READ_HOME));
}

static void test_block_ends_follows_and_refuses_new_ones(void **state)
{
	(void)state;
	assert_int_equal(
		store_follow_create(id_next(), alice, bob, true, false), 0);
	assert_int_equal(
		store_follow_create(id_next(), bob, alice, true, false), 0);
	assert_int_equal(store_follow_request_create(id_next(), carol, alice,
						     true, false, NULL),
			 0);
	assert_int_equal(store_block_create(id_next(), alice, bob), 0);
	assert_int_equal(store_block_create(id_next(), alice, carol), 0);
	assert_false(store_follows(alice, bob));
	assert_false(store_follows(bob, alice));
	account a;
	assert_true(store_account_get(&test_arena, alice, &a));
	assert_int_equal(a.followers_count, 0);
	assert_int_equal(a.following_count, 0);
	assert_int_equal(store_follow_requests_count(alice), 0);
	/* the database itself refuses a follow across a block, either way */
	assert_int_equal(
		store_follow_create(id_next(), bob, alice, true, false),
		STORE_BLOCKED);
	assert_int_equal(
		store_follow_create(id_next(), alice, bob, true, false),
		STORE_BLOCKED);
	assert_int_equal(store_follow_request_create(id_next(), carol, alice,
						     true, false, NULL),
			 STORE_BLOCKED);
	assert_false(store_follows(bob, alice));
	/* blocking twice is one block; blocking oneself is refused */
	assert_int_equal(store_block_create(id_next(), alice, bob), 1);
	assert_true(store_block_create(id_next(), alice, alice) < 0);
}

static void test_mute_hides_from_lists_but_not_the_profile(void **state)
{
	(void)state;
	status s = post(bob, VIS_PUBLIC);
	assert_int_equal(store_mute_set(id_next(), alice, bob, false, 0), 0);
	request();
	assert_true(visibility_can_see(alice, &s));
	assert_false(visibility_listed(&test_arena, alice, &s, READ_HOME));
	assert_false(visibility_listed(&test_arena, alice, &s, READ_PUBLIC));
	assert_false(visibility_listed(&test_arena, alice, &s, READ_THREAD));
	assert_true(visibility_listed(&test_arena, alice, &s, READ_PROFILE));
	/* notifications only when the mute silences them */
	assert_true(visibility_account_listed(&test_arena, alice, bob,
					      READ_NOTIFICATIONS));
	assert_int_equal(store_mute_set(id_next(), alice, bob, true, 0), 0);
	request();
	assert_false(visibility_account_listed(&test_arena, alice, bob,
					       READ_NOTIFICATIONS));
	/* a mute is one-way */
	status mine = post(alice, VIS_PUBLIC);
	assert_true(visibility_listed(&test_arena, bob, &mine, READ_HOME));
	/* carol's boost of bob on carol's profile is still bob's post */
	status b = boost(carol, &s);
	assert_false(visibility_listed(&test_arena, alice, &b, READ_PROFILE));
	assert_false(visibility_listed(&test_arena, alice, &b, READ_HOME));
	assert_int_equal(store_mute_delete(alice, bob), 0);
	request();
	assert_true(visibility_listed(&test_arena, alice, &b, READ_HOME));
}

static void test_a_mute_ends_by_itself(void **state)
{
	(void)state;
	status s = post(bob, VIS_PUBLIC);
	int64_t now = time_now_ms();
	assert_int_equal(store_mute_set(id_next(), alice, bob, true, now + 300),
			 0);
	request();
	assert_false(visibility_listed(&test_arena, alice, &s, READ_HOME));
	bool muting, notes;
	int64_t until;
	assert_true(store_mute_get(alice, bob, now, &muting, &notes, &until));
	assert_true(muting && notes);
	assert_int_equal(until, now + 300);
	usleep(400 * 1000);
	/* the same request's memo knows when its mutes end */
	assert_true(visibility_listed(&test_arena, alice, &s, READ_HOME));
	assert_false(
		store_mute_get(alice, bob, time_now_ms(), NULL, NULL, NULL));
}

static void test_relations_merge_and_turn_around(void **state)
{
	(void)state;
	assert_int_equal(store_block_create(id_next(), alice, bob), 0);
	assert_int_equal(store_mute_set(id_next(), alice, bob, false, 0), 0);
	assert_int_equal(store_block_create(id_next(), carol, alice), 0);
	assert_int_equal(
		store_domain_block_set(id_next(), alice, "spam.example", true),
		0);
	assert_int_equal(
		store_domain_block_set(id_next(), alice, "spam.example", true),
		1);
	store_relation *rel;
	const char **domains;
	size_t nd;
	size_t n = store_relations_of(&test_arena, alice, time_now_ms(), &rel,
				      &domains, &nd);
	assert_int_equal(n, 2); /* bob once, blocked and muted; carol */
	assert_int_equal(rel[0].account_id, bob);
	assert_int_equal(rel[0].flags, STORE_REL_BLOCKS | STORE_REL_MUTES);
	assert_int_equal(rel[1].account_id, carol);
	assert_int_equal(rel[1].flags, STORE_REL_BLOCKED_BY);
	assert_int_equal(nd, 1);
	assert_string_equal(domains[0], "spam.example");
	/* whom alice's posts are hidden from: bob (blocked), carol
	 * (blocks her); and for a boost, those of the boosted too */
	status s = post(alice, VIS_PUBLIC);
	int64_t *ids;
	size_t k = visibility_hidden_from(&test_arena, &s, &ids);
	assert_int_equal(k, 2);
	assert_true(visibility_hidden_has(ids, k, bob));
	assert_true(visibility_hidden_has(ids, k, carol));
	assert_false(visibility_hidden_has(ids, k, alice));
	int64_t dave = fixture_account("dave");
	status b = boost(dave, &s);
	k = visibility_hidden_from(&test_arena, &b, &ids);
	assert_true(visibility_hidden_has(ids, k, bob));
	assert_true(visibility_hidden_has(ids, k, carol));
	for (size_t i = 1; i < k; i++)
		assert_true(ids[i - 1] <= ids[i]);
}

static void test_a_change_reaches_a_cached_reader(void **state)
{
	(void)state;
	status s = post(bob, VIS_PUBLIC);
	/* read (and cache) alice's relations, then change them: the next
	 * request must see the change, from the cache or the memo */
	request();
	assert_true(visibility_listed(&test_arena, alice, &s, READ_HOME));
	request();
	assert_true(visibility_listed(&test_arena, alice, &s, READ_HOME));
	assert_int_equal(store_block_create(id_next(), bob, alice), 0);
	request();
	assert_false(visibility_can_see(alice, &s));
	assert_int_equal(store_block_delete(bob, alice), 0);
	request();
	assert_true(visibility_can_see(alice, &s));
	assert_int_equal(store_mute_set(id_next(), alice, bob, true, 0), 0);
	request();
	assert_false(visibility_listed(&test_arena, alice, &s, READ_HOME));
}

static void test_the_notification_policy_decides_the_fate(void **state)
{
	(void)state;
	status dm = fixture_status(bob, VIS_DIRECT);
	assert_int_equal(store_status_insert(NULL, &dm, NULL, 0, NULL, 0), 0);
	status pub = post(bob, VIS_PUBLIC);
	request();
	/* the defaults: an unsolicited private mention waits, the rest is
	 * told */
	assert_int_equal(visibility_notification_fate(&test_arena, alice, bob,
						      "mention", dm.id),
			 NOTE_FILTER);
	assert_int_equal(visibility_notification_fate(&test_arena, alice, bob,
						      "mention", pub.id),
			 NOTE_DELIVER);
	assert_int_equal(visibility_notification_fate(&test_arena, alice, bob,
						      "follow", 0),
			 NOTE_DELIVER);
	/* one follows bob: his private mention is solicited */
	assert_int_equal(
		store_follow_create(id_next(), alice, bob, true, false), 0);
	assert_int_equal(visibility_notification_fate(&test_arena, alice, bob,
						      "mention", dm.id),
			 NOTE_DELIVER);
	/* the strictest condition that holds wins: bob is new (filter) and
	 * no follower of alice's (drop) */
	notification_policy p = {.for_new_accounts = POLICY_FILTER,
				 .for_not_followers = POLICY_DROP};
	assert_int_equal(store_notification_policy_set(alice, &p), 0);
	request(); /* the policy is read with the reader's rules */
	assert_int_equal(visibility_notification_fate(&test_arena, alice, bob,
						      "favourite", pub.id),
			 NOTE_DROP);
	assert_int_equal(
		store_follow_create(id_next(), bob, alice, true, false), 0);
	assert_int_equal(visibility_notification_fate(&test_arena, alice, bob,
						      "favourite", pub.id),
			 NOTE_FILTER);
	/* edits are always told; a block drops everything */
	assert_int_equal(visibility_notification_fate(&test_arena, alice, bob,
						      "update", pub.id),
			 NOTE_DELIVER);
	/* an accepted request lets the sender through */
	notification n = {.account_id = alice,
			  .from_account_id = bob,
			  .type = "favourite",
			  .status_id = pub.id,
			  .created_at = time_now_ms()};
	assert_int_equal(store_notification_filter(&n), 1);
	assert_int_equal(store_notification_filter(&n), 0);
	page pg = {.limit = 10};
	notification_request q[10];
	assert_int_equal(store_notification_requests_page(alice, &pg, q), 1);
	assert_int_equal(q[0].count, 1);
	assert_int_equal(store_notification_request_accept(alice, q[0].id), 0);
	assert_int_equal(store_notification_request_accept(alice, q[0].id), 1);
	assert_int_equal(visibility_notification_fate(&test_arena, alice, bob,
						      "favourite", pub.id),
			 NOTE_DELIVER);
	assert_int_equal(store_block_create(id_next(), alice, bob), 0);
	request();
	assert_int_equal(visibility_notification_fate(&test_arena, alice, bob,
						      "update", pub.id),
			 NOTE_DROP);
}

/* A remote account: there is no federation yet (issue 14) to make one,
 * so a local one is moved to domain by hand. Returns its id. */
static int64_t remote_account(const char *username, const char *domain)
{
	int64_t id = fixture_account(username);
	/* a literal: statements are cached by the text's address */
	db_stmt *st = db_prepare("UPDATE accounts SET domain = ?1"
				 " WHERE id = ?2");
	db_bind_text(st, 1, domain);
	db_bind_int64(st, 2, id);
	assert_int_equal(db_done(st), 0);
	return id;
}

/* What a reader who blocks (blocked true) or does not block the remote
 * author's domain is shown of s (the author's post), b (a local boost of
 * it) and mine (the reader's own post, for the notifications the author
 * would send), in every read context. */
static void assert_domain_listing(int64_t reader, int64_t author,
				  const status *s, const status *b,
				  const status *mine, bool blocked)
{
	static const char *const acts[] = {"mention", "favourite", "reblog",
					   "follow"};
	for (read_context c = READ_HOME; c <= READ_PROFILE; c++) {
		assert_int_equal(visibility_listed(&test_arena, reader, s, c),
				 !blocked);
		assert_int_equal(visibility_listed(&test_arena, reader, b, c),
				 !blocked);
		assert_int_equal(visibility_account_listed(&test_arena, reader,
							   author, c),
				 !blocked);
	}
	for (size_t i = 0; i < sizeof acts / sizeof *acts; i++) {
		int64_t on = !strcmp(acts[i], "mention")  ? s->id
			     : !strcmp(acts[i], "follow") ? 0
							  : mine->id;
		assert_int_equal(visibility_notification_fate(&test_arena,
							      reader, author,
							      acts[i], on),
				 blocked ? NOTE_DROP : NOTE_DELIVER);
	}
	/* a domain block hides from lists; by id the post stays, as a
	 * block of the account leaves it to the blocker */
	assert_true(visibility_can_see(reader, s));
}

static void test_domain_blocked_author_is_listed_nowhere(void **state)
{
	(void)state;
	int64_t remy = remote_account("remy", "remote.example");
	status s = post(remy, VIS_PUBLIC);
	status b = boost(carol, &s);
	status alices = post(alice, VIS_PUBLIC), bobs = post(bob, VIS_PUBLIC);
	status local = post(carol, VIS_PUBLIC);
	request();
	assert_domain_listing(alice, remy, &s, &b, &alices, false);
	assert_int_equal(store_domain_block_set(id_next(), alice,
						"remote.example", true),
			 0);
	assert_int_equal(store_domain_block_set(id_next(), alice,
						"remote.example", true),
			 1);
	request();
	assert_domain_listing(alice, remy, &s, &b, &alices, true);
	/* streams: the hub leaves alice out of the post's and the boost's
	 * deliveries, and no one else */
	int64_t *hidden;
	size_t nh = visibility_hidden_from(&test_arena, &s, &hidden);
	assert_true(visibility_hidden_has(hidden, nh, alice));
	assert_false(visibility_hidden_has(hidden, nh, bob));
	b.reblog = &s;
	nh = visibility_hidden_from(&test_arena, &b, &hidden);
	assert_true(visibility_hidden_has(hidden, nh, alice));
	nh = visibility_hidden_from(&test_arena, &local, &hidden);
	assert_false(visibility_hidden_has(hidden, nh, alice));
	/* only the domain's accounts: carol's own post, and everything for a
	 * reader without the block, is as before */
	for (read_context c = READ_HOME; c <= READ_PROFILE; c++)
		assert_true(visibility_listed(&test_arena, alice, &local, c));
	assert_domain_listing(bob, remy, &s, &b, &bobs, false);
	/* the unblock gives it all back */
	assert_int_equal(store_domain_block_set(id_next(), alice,
						"remote.example", false),
			 0);
	request();
	assert_domain_listing(alice, remy, &s, &b, &alices, false);
}

static status reply_to(int64_t author, const status *parent)
{
	status s = fixture_status(author, VIS_PUBLIC);
	s.in_reply_to_id = parent->id;
	s.in_reply_to_account_id = parent->account_id;
	return s;
}

static void test_the_policy_decides_who_may_reply_and_boost(void **state)
{
	(void)state;
	/* bob follows alice; alice follows carol */
	assert_int_equal(
		store_follow_create(id_next(), bob, alice, true, false), 0);
	assert_int_equal(
		store_follow_create(id_next(), alice, carol, true, false), 0);
	status s = fixture_status(alice, VIS_PUBLIC);
	s.policy = (interaction_policy){AUDIENCE_AUTHOR | AUDIENCE_FOLLOWING |
						AUDIENCE_MENTIONED,
					AUDIENCE_PUBLIC};
	assert_int_equal(store_status_insert(NULL, &s, NULL, 0, NULL, 0), 0);
	request();
	assert_true(visibility_may_interact(alice, &s, INTERACT_REPLY));
	assert_true(visibility_may_interact(carol, &s, INTERACT_REPLY));
	assert_false(visibility_may_interact(bob, &s, INTERACT_REPLY));
	assert_false(visibility_may_interact(0, &s, INTERACT_REPLY));
	assert_true(visibility_may_interact(bob, &s, INTERACT_REBLOG));
	/* the insert asks the rule again, inside its transaction */
	store_set_interaction_rule(visibility_may_interact);
	status r = reply_to(bob, &s);
	assert_int_equal(store_status_insert(NULL, &r, NULL, 0, NULL, 0),
			 STORE_REFUSED);
	r = reply_to(carol, &s);
	assert_int_equal(store_status_insert(NULL, &r, NULL, 0, NULL, 0), 0);
	store_set_interaction_rule(NULL);
	/* a post with none stored has its visibility's default */
	status d = post(alice, VIS_DIRECT);
	interaction_policy p = visibility_policy_of(&d);
	assert_int_equal(p.can_reply, AUDIENCE_AUTHOR | AUDIENCE_MENTIONED);
}

static void
test_a_hidden_reply_and_what_is_under_it_leave_the_thread(void **state)
{
	(void)state;
	status root = post(alice, VIS_PUBLIC);
	status r = reply_to(bob, &root);
	assert_int_equal(store_status_insert(NULL, &r, NULL, 0, NULL, 0), 0);
	status c = reply_to(carol, &r);
	assert_int_equal(store_status_insert(NULL, &c, NULL, 0, NULL, 0), 0);
	assert_int_equal(store_reply_hide(r.id, alice, time_now_ms(), true), 1);
	assert_int_equal(store_reply_hide(r.id, alice, time_now_ms(), true), 0);
	request();
	arena *a = &test_arena;
	assert_false(visibility_listed(a, 0, &r, READ_THREAD));
	assert_false(visibility_listed(a, alice, &r, READ_THREAD));
	assert_false(visibility_listed(a, 0, &c, READ_THREAD));
	/* their authors keep them; the hidden reply's keeps what is under */
	assert_true(visibility_listed(a, bob, &r, READ_THREAD));
	assert_true(visibility_listed(a, bob, &c, READ_THREAD));
	assert_true(visibility_listed(a, carol, &c, READ_THREAD));
	assert_false(visibility_listed(a, carol, &r, READ_THREAD));
	/* other lists, and the post itself, are not the thread's */
	assert_true(visibility_listed(a, alice, &r, READ_HOME));
	assert_true(visibility_can_see(0, &r));
	int64_t under[4];
	const void *path;
	int64_t rid;
	size_t len;
	path = store_thread_path(a, root.id, &rid, &len);
	assert_int_equal(store_replies_hidden_under(rid, path, len, under, 4),
			 1);
	assert_true(under[0] == r.id);
	assert_int_equal(store_reply_hide(r.id, alice, time_now_ms(), false),
			 1);
	request();
	assert_true(visibility_listed(a, 0, &c, READ_THREAD));
}

/* Block domain from the shell, as `chorus domain block` does. */
static dom_err block_as_shell(const char *domain, instance_severity sev,
			      bool reject_media)
{
	const char *msg;
	store_instance_block kept;
	return instance_block(
		&test_arena,
		&(instance_block_request){.domain = domain,
					  .severity = sev,
					  .reject_media = reject_media,
					  .shell = true},
		&kept, &msg);
}

static void
test_an_instance_block_covers_subdomains_not_lookalikes(void **state)
{
	(void)state;
	const char *msg = NULL;
	int64_t near = remote_account("near", "social.example.com");
	int64_t far = remote_account("far", "notexample.com");
	assert_int_equal(instance_policy(&test_arena, "example.com", NULL),
			 INSTANCE_OPEN);
	assert_int_equal(block_as_shell("Example.COM", INSTANCE_SILENCED, true),
			 DOM_OK);
	bool reject = false;
	assert_int_equal(
		instance_policy(&test_arena, "a.social.example.com", &reject),
		INSTANCE_SILENCED);
	assert_true(reject);
	assert_int_equal(instance_policy(&test_arena, "example.com:8443", NULL),
			 INSTANCE_SILENCED);
	assert_int_equal(instance_policy(&test_arena, "notexample.com", NULL),
			 INSTANCE_OPEN);
	assert_int_equal(instance_policy(&test_arena, "com", NULL),
			 INSTANCE_OPEN);
	/* a stricter block replaces the first; suspension queues the
	 * purge, which removes the domain's accounts and no others */
	assert_int_equal(
		block_as_shell("example.com", INSTANCE_SUSPENDED, false),
		DOM_OK);
	assert_int_equal(
		instance_policy(&test_arena, "social.example.com", &reject),
		INSTANCE_SUSPENDED);
	assert_false(reject);
	assert_true(store_job_active(INSTANCE_PURGE_JOB, 0));
	const char *error = NULL;
	assert_int_equal(instance_purge_job(0, &error), 0);
	account acc;
	assert_false(store_account_get(&test_arena, near, &acc));
	assert_true(store_account_get(&test_arena, far, &acc));
	assert_true(store_account_get(&test_arena, alice, &acc));
	/* an address blocks itself only, not its "parents" */
	assert_int_equal(
		block_as_shell("10.0.0.1:8080", INSTANCE_SUSPENDED, false),
		DOM_OK);
	assert_int_equal(instance_policy(&test_arena, "10.0.0.1:8080", NULL),
			 INSTANCE_SUSPENDED);
	assert_int_equal(instance_policy(&test_arena, "0.0.1", NULL),
			 INSTANCE_OPEN);
	assert_int_equal(
		instance_unblock(&test_arena, NULL, true, "example.com", &msg),
		DOM_OK);
	assert_int_equal(
		instance_unblock(&test_arena, NULL, true, "example.com", &msg),
		DOM_NOT_FOUND);
	assert_int_equal(block_as_shell("bad host", INSTANCE_SILENCED, false),
			 DOM_INVALID);
	assert_int_equal(
		instance_policy(&test_arena, "social.example.com", NULL),
		INSTANCE_OPEN);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_block_hides_the_blocker_from_the_blocked),
		T(test_block_ends_follows_and_refuses_new_ones),
		T(test_mute_hides_from_lists_but_not_the_profile),
		T(test_a_mute_ends_by_itself),
		T(test_relations_merge_and_turn_around),
		T(test_a_change_reaches_a_cached_reader),
		T(test_the_notification_policy_decides_the_fate),
		T(test_the_policy_decides_who_may_reply_and_boost),
		T(test_a_hidden_reply_and_what_is_under_it_leave_the_thread),
		T(test_domain_blocked_author_is_listed_nowhere),
		T(test_an_instance_block_covers_subdomains_not_lookalikes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
