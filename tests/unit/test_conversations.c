/* test_conversations.c — the store of private conversations: one per
 * account and thread, participants joined, paged by last status, read and
 * removed, and moved back (or removed) by the trigger when its last
 * status is deleted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_fixture.h"

#include "core/config.h"
#include "core/log.h"

static int64_t alice, bob, carol;

static int setup(void **state)
{
	(void)state;
	if (store_fixture_open("conversations") < 0)
		return -1;
	alice = fixture_account("alice");
	bob = fixture_account("bob");
	carol = fixture_account("carol");
	return 0;
}

/* A direct status by author to the mentioned (replying to reply_to, 0:
 * none), recorded for its author and everyone it mentions. */
static status message(int64_t author, int64_t reply_to, const int64_t *to,
		      size_t n)
{
	status s = fixture_status(author, VIS_DIRECT);
	if (reply_to) {
		s.in_reply_to_id = reply_to;
		s.in_reply_to_account_id = author;
	}
	assert_int_equal(store_status_insert(NULL, &s, NULL, 0, to, n), 0);
	int64_t who[8] = {author};
	memcpy(who + 1, to, n * sizeof *to);
	assert_int_equal(
		store_conversations_add(s.id, author, who, n + 1, who, n + 1),
		0);
	return s;
}

static store_conversation only(int64_t account)
{
	page p = {.limit = 40};
	store_conversation c[2];
	assert_int_equal(store_conversations_page(&test_arena, account, &p, c),
			 1);
	return c[0];
}

static void test_a_thread_is_one_conversation_each(void **state)
{
	(void)state;
	status first = message(alice, 0, &bob, 1);
	store_conversation a = only(alice), b = only(bob);
	assert_int_not_equal(a.id, b.id);
	assert_false(a.unread);
	assert_true(b.unread);
	assert_int_equal(b.last_status_id, first.id);
	assert_int_equal(b.nparticipants, 2);
	status reply = message(bob, first.id, &alice, 1);
	store_conversation a2 = only(alice), b2 = only(bob);
	assert_int_equal(a2.id, a.id); /* the same row, moved on */
	assert_int_equal(a2.last_status_id, reply.id);
	assert_true(a2.unread);
	assert_false(b2.unread); /* one's own message reads it */
}

static void test_a_newcomer_joins_the_participants(void **state)
{
	(void)state;
	status first = message(alice, 0, &bob, 1);
	int64_t both[] = {alice, carol};
	message(bob, first.id, both, 2);
	store_conversation a = only(alice), c = only(carol);
	assert_int_equal(a.nparticipants, 3);
	assert_int_equal(c.nparticipants, 3);
	int64_t want[] = {alice, bob, carol}; /* ascending: created so */
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(a.participants[i], want[i]);
}

static void test_pages_go_by_last_status(void **state)
{
	(void)state;
	status one = message(bob, 0, &alice, 1);
	status two = message(carol, 0, &alice, 1);
	message(bob, one.id, &alice, 1); /* one's thread moves up */
	page p = {.limit = 1};
	store_conversation c[2];
	assert_int_equal(store_conversations_page(&test_arena, alice, &p, c),
			 1);
	int64_t top = c[0].last_status_id;
	assert_true(top > two.id);
	p.max_id = top;
	assert_int_equal(store_conversations_page(&test_arena, alice, &p, c),
			 1);
	assert_int_equal(c[0].last_status_id, two.id);
	p = (page){.limit = 1, .min_id = two.id};
	assert_int_equal(store_conversations_page(&test_arena, alice, &p, c),
			 1);
	assert_int_equal(c[0].last_status_id, top);
}

static void test_read_and_remove_are_the_owners(void **state)
{
	(void)state;
	message(alice, 0, &bob, 1);
	store_conversation b = only(bob);
	assert_int_equal(store_conversation_read(alice, b.id), 1);
	assert_int_equal(store_conversation_remove(alice, b.id), 1);
	assert_int_equal(store_conversation_read(bob, b.id), 0);
	assert_false(only(bob).unread);
	assert_int_equal(store_conversation_remove(bob, b.id), 0);
	page p = {.limit = 40};
	store_conversation c[1];
	assert_int_equal(store_conversations_page(&test_arena, bob, &p, c), 0);
	store_conversation_get(&test_arena, alice, only(alice).id, c);
	assert_int_equal(c[0].account_id, alice); /* alice's stays */
}

static void test_deleting_the_last_status_moves_it_back(void **state)
{
	(void)state;
	status first = message(alice, 0, &bob, 1);
	status second = message(bob, first.id, &alice, 1);
	assert_int_equal(store_status_delete(&second), 0);
	assert_int_equal(only(alice).last_status_id, first.id);
	assert_int_equal(only(bob).last_status_id, first.id);
	store_conversation *rows;
	assert_int_equal(
		store_conversations_of_status(&test_arena, first.id, &rows), 2);
	assert_int_equal(store_status_delete(&first), 0);
	page p = {.limit = 40};
	store_conversation c[1];
	assert_int_equal(store_conversations_page(&test_arena, alice, &p, c),
			 0);
	assert_int_equal(store_conversations_page(&test_arena, bob, &p, c), 0);
}

/* A direct status by alice to bob that the policy held: recorded for
 * alice alone, its mention waiting in alice's request to bob; the id of
 * that request. */
static int64_t held_message(status *out)
{
	*out = fixture_status(alice, VIS_DIRECT);
	assert_int_equal(store_status_insert(NULL, out, NULL, 0, &bob, 1), 0);
	assert_int_equal(store_conversations_add(out->id, alice,
						 (int64_t[]){alice, bob}, 2,
						 &alice, 1),
			 0);
	notification n = {.account_id = bob,
			  .from_account_id = alice,
			  .status_id = out->id,
			  .type = "mention",
			  .created_at = out->created_at};
	assert_int_equal(store_notification_filter(&n), 1);
	page p = {.limit = 40};
	notification_request r[2];
	assert_int_equal(store_notification_requests_page(bob, &p, r), 1);
	return r[0].id;
}

static void test_accepting_a_request_adds_its_held_message(void **state)
{
	(void)state;
	status s;
	int64_t request = held_message(&s);
	page p = {.limit = 40};
	store_conversation c[2];
	assert_int_equal(store_conversations_page(&test_arena, bob, &p, c), 0);
	assert_int_equal(store_notification_request_accept(bob, request), 0);
	store_conversation b = only(bob);
	assert_int_equal(b.last_status_id, s.id);
	assert_true(b.unread);
	assert_int_equal(b.nparticipants, 2);
	assert_int_equal(only(alice).last_status_id, s.id);
}

static void test_dismissing_a_request_adds_nothing(void **state)
{
	(void)state;
	status s;
	int64_t request = held_message(&s);
	assert_int_equal(store_notification_request_dismiss(bob, request), 0);
	page p = {.limit = 40};
	store_conversation c[2];
	assert_int_equal(store_conversations_page(&test_arena, bob, &p, c), 0);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
#define T(f) cmocka_unit_test_setup_teardown(f, setup, store_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_a_thread_is_one_conversation_each),
		T(test_a_newcomer_joins_the_participants),
		T(test_pages_go_by_last_status),
		T(test_read_and_remove_are_the_owners),
		T(test_deleting_the_last_status_moves_it_back),
		T(test_accepting_a_request_adds_its_held_message),
		T(test_dismissing_a_request_adds_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
