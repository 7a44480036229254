/* test_trends.c — trending tags and statuses: the score arithmetic on
 * constructed histories (domain/trends.h), then the counters the posting
 * and favouriting transactions keep, against a real database file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/db.h"
#include "store_fixture.h"

#include "core/config.h"
#include "core/id.h"
#include "core/log.h"
#include "domain/domain.h"
#include "domain/trends.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	TEST_HOUR_MS = 3600 * 1000,
	TEST_MAX_IDS = 8,
	TEST_CROWD = 6,	    /* accounts: above the threshold of 5 */
	TEST_STEADY = 40,   /* accounts using a tag every day */
	TEST_WEEK_DAYS = 7, /* the steady tag's history */
};

/* A UTC midnight, as ms: the day the histories below are built around. */
static const int64_t test_day0 = 20000 * TREND_DAY_MS;

/* The decayed score a tag would show at now after folding in, hour by
 * hour, the scores its day counts give. */
static double fold(trend_peak *p, int64_t yesterday, int64_t today, int64_t at,
		   int64_t now)
{
	trends_peak_update(p, trends_tag_score(yesterday, today), at);
	return trends_decayed(p->score, p->at, now, TREND_TAG_HALFLIFE_MS);
}

/* ---- the arithmetic --------------------------------------------------- */

static void test_steady_tag_does_not_trend(void **state)
{
	/* the same 40 accounts every day for a week: no surprise, ever */
	trend_peak p = {0, 0};
	for (int d = 1; d <= TEST_WEEK_DAYS; d++) {
		int64_t at = test_day0 + d * TREND_DAY_MS + 20 * TEST_HOUR_MS;
		double shown = fold(&p, TEST_STEADY, TEST_STEADY, at, at);
		assert_true(shown < TREND_TAG_FLOOR);
	}
	assert_true(p.score == 0);
	/* nor does a day a little quieter than yesterday */
	assert_true(trends_tag_score(TEST_STEADY, TEST_STEADY - 5) == 0);
}

static void test_sudden_rise_from_many_accounts_trends(void **state)
{
	/* two accounts yesterday, fifty today: (50 − 2)² / 2 */
	assert_true(trends_tag_score(2, 50) == 1152.0);
	trend_peak p = {0, 0};
	int64_t at = test_day0 + 10 * TEST_HOUR_MS;
	assert_true(fold(&p, 2, 50, at, at) == 1152.0);
	/* and from nothing: yesterday counts as one account */
	assert_true(trends_tag_score(0, TEST_CROWD) == 25.0);
	assert_true(trends_tag_score(0, TEST_CROWD) >= TREND_TAG_FLOOR);
}

static void test_one_noisy_account_does_not_trend(void **state)
{
	/* the score reads distinct accounts only, whatever the uses */
	assert_true(trends_tag_score(0, 1) == 0);
	/* below five accounts nothing trends, even from nothing */
	assert_true(trends_tag_score(0, TREND_TAG_MIN_ACCOUNTS - 1) == 0);
	assert_true(trends_tag_score(0, TREND_TAG_MIN_ACCOUNTS) == 16.0);
}

static void test_peak_halves_every_halflife(void **state)
{
	int64_t at = test_day0;
	double s = trends_decayed(1152, at, at + TREND_TAG_HALFLIFE_MS,
				  TREND_TAG_HALFLIFE_MS);
	assert_true(fabs(s - 576) < 1e-9);
	s = trends_decayed(1152, at, at + 3 * TREND_TAG_HALFLIFE_MS,
			   TREND_TAG_HALFLIFE_MS);
	assert_true(fabs(s - 144) < 1e-9);
	assert_true(trends_decayed(0, at, at, TREND_TAG_HALFLIFE_MS) == 0);
}

static void
test_peak_is_replaced_only_by_a_higher_or_after_cooldown(void **state)
{
	trend_peak p = {0, 0};
	int64_t t0 = test_day0;
	assert_true(trends_peak_update(&p, 100, t0));
	/* lower: the old peak stands (and keeps decaying) */
	assert_false(trends_peak_update(&p, 60, t0 + TEST_HOUR_MS));
	assert_true(p.score == 100 && p.at == t0);
	assert_true(trends_peak_update(&p, 101, t0 + 2 * TEST_HOUR_MS));
	assert_true(p.at == t0 + 2 * TEST_HOUR_MS);
	/* past the cooldown any score starts a new peak */
	int64_t later = p.at + TREND_TAG_COOLDOWN_MS + 1;
	assert_true(trends_peak_update(&p, 5, later));
	assert_true(p.score == 5 && p.at == later);
	/* a zero score never makes a peak */
	trend_peak none = {0, 0};
	assert_false(trends_peak_update(&none, 0, t0));
}

static void test_rank_key_orders_like_the_decayed_score(void **state)
{
	/* a big old peak and a smaller fresh one, seen at several times */
	int64_t t0 = test_day0;
	double big = 100, fresh = 30;
	int64_t big_at = t0, fresh_at = t0 + 6 * TEST_HOUR_MS;
	double kb = trends_rank_key(big, big_at, TREND_TAG_HALFLIFE_MS);
	double kf = trends_rank_key(fresh, fresh_at, TREND_TAG_HALFLIFE_MS);
	for (int h = 6; h <= 48; h += 6) {
		int64_t now = t0 + h * TEST_HOUR_MS;
		double db =
			trends_decayed(big, big_at, now, TREND_TAG_HALFLIFE_MS);
		double df = trends_decayed(fresh, fresh_at, now,
					   TREND_TAG_HALFLIFE_MS);
		assert_int_equal(db > df, kb > kf);
		double floor = trends_rank_floor(TREND_TAG_FLOOR, now,
						 TREND_TAG_HALFLIFE_MS);
		assert_int_equal(db >= TREND_TAG_FLOOR, kb >= floor);
		assert_int_equal(df >= TREND_TAG_FLOOR, kf >= floor);
	}
}

static void test_status_score_needs_five_interactions(void **state)
{
	assert_true(trends_status_score(0, 4) == 0);
	assert_true(trends_status_score(2, 3) == 16.0);
	assert_true(trends_status_score(10, 0) == 81.0);
}

/* ---- the counters, in the store --------------------------------------- */

static int store_setup(void **state)
{
	(void)state;
	return store_fixture_open("trends");
}

static int64_t make_account(int n)
{
	char name[32];
	snprintf(name, sizeof name, "voice%d", n);
	return fixture_account(name);
}

/* Post a status by author with visibility vis (and #Movement when
 * tagged), replying to parent (0: none) or boosting reblog_of, at its
 * id's time; returns its id. */
static int64_t post_in(int64_t author, visibility vis, bool tagged,
		       int64_t reblog_of, int64_t parent)
{
	static const store_tag_ref tag = {"Movement", "movement"};
	status s;
	memset(&s, 0, sizeof s);
	s.id = id_next();
	s.account_id = author;
	s.text = tagged ? "#Movement" : "text";
	s.content = "<p>text</p>";
	s.spoiler_text = "";
	s.entities = "{}";
	s.vis = vis;
	s.reblog_of_id = reblog_of;
	s.in_reply_to_id = parent;
	s.in_reply_to_account_id = parent ? author : 0;
	s.created_at = id_to_ms(s.id);
	assert_int_equal(store_status_insert(NULL, &s, tagged ? &tag : NULL,
					     tagged ? 1 : 0, NULL, 0),
			 0);
	return s.id;
}

static int64_t post(int64_t author, visibility vis, bool tagged,
		    int64_t reblog_of)
{
	return post_in(author, vis, tagged, reblog_of, 0);
}

static int64_t today_ms(void)
{
	return id_to_ms(id_next()) / TREND_DAY_MS * TREND_DAY_MS;
}

static size_t trending_now(int64_t *ids)
{
	const char *names[TEST_MAX_IDS];
	return trends_tags_page(&test_arena, false, id_to_ms(id_next()), 0,
				TEST_MAX_IDS, ids, names);
}

static void test_noisy_account_counts_once_and_a_crowd_trends(void **state)
{
	int64_t noisy = make_account(0);
	for (int i = 0; i < 50; i++)
		post(noisy, VIS_PUBLIC, true, 0);
	int64_t tag = store_tag_id("movement");
	int64_t uses[1], accounts[1], ids[TEST_MAX_IDS];
	store_tag_history(tag, today_ms(), 1, uses, accounts);
	assert_int_equal(uses[0], 50);
	assert_int_equal(accounts[0], 1);
	assert_int_equal(trending_now(ids), 0);
	for (int i = 1; i < TEST_CROWD; i++)
		post(make_account(i), VIS_PUBLIC, true, 0);
	store_tag_history(tag, today_ms(), 1, uses, accounts);
	assert_int_equal(accounts[0], TEST_CROWD);
	assert_int_equal(trending_now(ids), 1);
	assert_int_equal(ids[0], tag);
}

static void test_only_public_originals_count(void **state)
{
	int64_t a = make_account(0), b = make_account(1);
	int64_t original = post(a, VIS_PUBLIC, true, 0);
	post(b, VIS_UNLISTED, true, 0);
	post(b, VIS_PRIVATE, true, 0);
	post(b, VIS_DIRECT, true, 0);
	post(b, VIS_PUBLIC, false, original); /* a boost */
	int64_t uses[1], accounts[1];
	store_tag_history(store_tag_id("movement"), today_ms(), 1, uses,
			  accounts);
	assert_int_equal(uses[0], 1);
	assert_int_equal(accounts[0], 1);
}

static void
test_rejected_tag_never_trends_and_review_can_be_required(void **state)
{
	int64_t ids[TEST_MAX_IDS];
	for (int i = 0; i < TEST_CROWD; i++)
		post(make_account(i), VIS_PUBLIC, true, 0);
	int64_t tag = store_tag_id("movement");
	store_tag_trend t;
	store_tag_trend_get(tag, &t);
	assert_true(t.requested_review_at > 0);
	assert_int_equal(t.review, TAG_REVIEW_NONE);
	cfg.trends_require_review = true;
	assert_int_equal(trending_now(ids), 0);
	/* the moderators' list holds it all the same */
	const char *names[TEST_MAX_IDS];
	assert_int_equal(trends_tags_page(&test_arena, true,
					  id_to_ms(id_next()), 0, TEST_MAX_IDS,
					  ids, names),
			 1);
	assert_string_equal(names[0], "Movement");
	assert_int_equal(store_tag_review_set(tag, TAG_REVIEW_APPROVED, 1), 0);
	assert_int_equal(trending_now(ids), 1);
	cfg.trends_require_review = false;
	assert_int_equal(store_tag_review_set(tag, TAG_REVIEW_REJECTED, 2), 0);
	assert_int_equal(trending_now(ids), 0);
	store_tag_trend_get(tag, &t);
	assert_int_equal(t.reviewed_at, 2);
}

static void test_favourites_make_a_status_trend(void **state)
{
	int64_t author = make_account(0);
	int64_t sid = post(author, VIS_PUBLIC, false, 0);
	int64_t cw = post(author, VIS_PUBLIC, false, 0);
	int64_t now = id_to_ms(id_next());
	int64_t fans[TREND_STATUS_MIN_INTERACTIONS];
	status_page page;
	for (int i = 0; i < TREND_STATUS_MIN_INTERACTIONS; i++) {
		fans[i] = make_account(i + 1);
		assert_int_equal(store_favourite_set(fans[i], sid, true, NULL),
				 1);
		assert_int_equal(store_favourite_set(fans[i], cw, true, NULL),
				 1);
		size_t n = trends_statuses_page(&test_arena, 0, now, 0,
						TEST_MAX_IDS, &page);
		/* the fifth makes them trend */
		assert_int_equal(n,
				 i + 1 < TREND_STATUS_MIN_INTERACTIONS ? 0 : 2);
	}
	/* hours later the score has decayed under the floor */
	int64_t later = now + 10 * TREND_STATUS_HALFLIFE_MS;
	assert_int_equal(trends_statuses_page(&test_arena, 0, later, 0,
					      TEST_MAX_IDS, &page),
			 0);
	/* a content warning added by an edit takes it out at once */
	status old, edited;
	assert_true(store_status_get(&test_arena, cw, &old));
	edited = old;
	edited.spoiler_text = "careful";
	edited.edited_at = now;
	assert_int_equal(store_status_update(&old, &edited, NULL, 0, NULL, 0),
			 0);
	trends_statuses_page(&test_arena, 0, now, 0, TEST_MAX_IDS, &page);
	assert_int_equal(page.count, 1);
	assert_int_equal(page.items[0]->id, sid);
	/* a favourite taken back: below five again */
	assert_int_equal(store_favourite_set(fans[0], sid, false, NULL), 1);
	assert_int_equal(trends_statuses_page(&test_arena, 0, now, 0,
					      TEST_MAX_IDS, &page),
			 0);
}

/* Rows in table (a literal: db_prepare keys its cache by the text's
 * address). */
#define rows(table) db_int64("SELECT count(*) FROM " table, 0, 0)

/* The hourly prune keeps what reads need: today's and yesterday's voters,
 * the chart's thirty days of counts (the history's seven among them),
 * statuses still above the floor. */
static void test_prune_keeps_what_reads_need(void **state)
{
	enum { BEFORE = TREND_CHART_DAYS + 4 };
	int64_t a = make_account(0), tag = 0;
	int64_t now = id_to_ms(id_next());
	post(a, VIS_PUBLIC, true, 0); /* today */
	tag = store_tag_id("movement");
	for (int d = 1; d <= BEFORE; d++) /* a use on each day before */
		assert_int_equal(store_trends_tag_use_tx(
					 "movement", a, now - d * TREND_DAY_MS),
				 0);
	assert_int_equal(rows("tag_day_accounts"), 1 + BEFORE);
	assert_int_equal(rows("tag_days"), 1 + BEFORE);
	int64_t uses[TREND_CHART_DAYS], accounts[TREND_CHART_DAYS];
	int64_t first = today_ms() - (TREND_CHART_DAYS - 1) * TREND_DAY_MS;
	store_tag_history(tag, first, TREND_CHART_DAYS, uses, accounts);
	for (int d = 0; d < TREND_CHART_DAYS; d++)
		assert_int_equal(accounts[d], 1);
	assert_int_equal(store_trends_prune(now), 0);
	assert_int_equal(rows("tag_day_accounts"), 2); /* today, yesterday */
	/* the day counts outlive the voters they were counted from */
	assert_int_equal(rows("tag_days"), TREND_CHART_DAYS);
	int64_t after[TREND_CHART_DAYS], after_acc[TREND_CHART_DAYS];
	store_tag_history(tag, first, TREND_CHART_DAYS, after, after_acc);
	assert_memory_equal(after, uses, sizeof uses);
	assert_memory_equal(after_acc, accounts, sizeof accounts);
	/* a trending status decays out of status_trends once below the
	 * floor, and only then */
	int64_t sid = post(a, VIS_PUBLIC, false, 0);
	for (int i = 1; i <= TREND_STATUS_MIN_INTERACTIONS; i++)
		assert_int_equal(
			store_favourite_set(make_account(i), sid, true, NULL),
			1);
	assert_int_equal(rows("status_trends"), 1);
	assert_int_equal(store_trends_prune(now), 0);
	assert_int_equal(rows("status_trends"), 1);
	assert_int_equal(
		store_trends_prune(now + 20 * TREND_STATUS_HALFLIFE_MS), 0);
	assert_int_equal(rows("status_trends"), 0);
}

/* The busiest threads: by the day's replies (public and unlisted
 * ones, as replies_count counts), public roots the viewer may see, and for a
 * tag the threads whose root or a recent reply carries it. */
static void test_busiest_threads_rank_by_recent_replies(void **state)
{
	int64_t a = make_account(0), b = make_account(1);
	int64_t old = post(a, VIS_PUBLIC, true, 0); /* the movement's post */
	int64_t quiet = post(a, VIS_PUBLIC, false, 0);
	int64_t hidden = post(a, VIS_PRIVATE, false, 0);
	int64_t now = id_to_ms(id_next());
	int64_t fresh = post(b, VIS_PUBLIC, false, 0);
	for (int i = 0; i < 3; i++)
		post_in(b, VIS_PUBLIC, false, 0, old);
	/* a reply to a reply is in the root's thread */
	int64_t mid = post_in(b, VIS_UNLISTED, false, 0, fresh);
	post_in(a, VIS_PUBLIC, true, 0, mid);
	for (int i = 0; i < 5; i++) /* not counted: direct */
		post_in(b, VIS_DIRECT, false, 0, quiet);
	post_in(b, VIS_PUBLIC, false, 0, quiet);
	for (int i = 0; i < 9; i++) /* counted, but the root is private */
		post_in(a, VIS_PUBLIC, false, 0, hidden);
	status_page out;
	trends_busiest_threads(&test_arena, 0, 0, now, 5, &out);
	assert_int_equal(out.count, 3);
	assert_true(out.items[0]->id == old);	/* 3 replies */
	assert_true(out.items[1]->id == fresh); /* 2, one nested */
	assert_true(out.items[2]->id == quiet); /* 1 counted */
	/* a listing shows public roots only: not even its author finds the
	 * private one there */
	trends_busiest_threads(&test_arena, a, 0, now, 1, &out);
	assert_int_equal(out.count, 1);
	assert_true(out.items[0]->id == old);
	/* the tag: its root (old) or a reply in the window (fresh) */
	int64_t tag = store_tag_id("movement");
	trends_busiest_threads(&test_arena, 0, tag, now, 5, &out);
	assert_int_equal(out.count, 2);
	assert_true(out.items[0]->id == old);
	assert_true(out.items[1]->id == fresh);
	/* the next day: nothing yet */
	trends_busiest_threads(&test_arena, 0, 0, now + TREND_DAY_MS, 5, &out);
	assert_int_equal(out.count, 0);
}

/* Migration 14 counts in the replies written before it: what it
 * computes from the statuses equals what posting counted as it went. */
static void test_busiest_backfill_matches_live_counts(void **state)
{
	FIXTURE_SQLITE_ONLY(); /* replays SQLite's migration 14 */
	int64_t a = make_account(0), b = make_account(1);
	int64_t root = post(a, VIS_PUBLIC, true, 0);
	int64_t other = post(b, VIS_PUBLIC, false, 0);
	int64_t mid = post_in(b, VIS_PUBLIC, false, 0, root);
	post_in(a, VIS_UNLISTED, true, 0, mid);
	post_in(a, VIS_PUBLIC, true, 0, other);
	post_in(b, VIS_DIRECT, false, 0, other); /* not counted */
	int64_t day = id_to_ms(id_next()) / TREND_DAY_MS;
	int64_t tag = store_tag_id("movement");
	int64_t live[2][4], live_n[2][4], again[2][4], again_n[2][4];
	size_t n[2];
	for (int t = 0; t < 2; t++)
		n[t] = store_busiest_threads(t ? tag : 0, day, 4, live[t],
					     live_n[t]);
	assert_int_equal(n[0], 2);
	assert_true(live[0][0] == root && live_n[0][0] == 2);
	assert_true(live[0][1] == other && live_n[0][1] == 1);
	assert_int_equal(n[1], 2); /* root by its tag, other by a reply's */
	char *err = NULL;
	assert_int_equal(sqlite3_exec(db_conn(),
				      "DROP TABLE thread_days;"
				      "DROP TABLE tag_thread_days;",
				      NULL, NULL, &err),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db_conn(), store_migration_sql(14), NULL,
				      NULL, &err),
			 SQLITE_OK);
	for (int t = 0; t < 2; t++) {
		assert_int_equal(store_busiest_threads(t ? tag : 0, day, 4,
						       again[t], again_n[t]),
				 n[t]);
		for (size_t i = 0; i < n[t]; i++) {
			assert_true(again[t][i] == live[t][i]);
			assert_true(again_n[t][i] == live_n[t][i]);
		}
	}
}

/* The chart's days: oldest first, today last. */
static void test_tag_days_end_today(void **state)
{
	int64_t a = make_account(0), b = make_account(1);
	post(a, VIS_PUBLIC, true, 0);
	post(a, VIS_PUBLIC, true, 0);
	post(b, VIS_PUBLIC, true, 0);
	post(b, VIS_UNLISTED, true, 0); /* public posts only */
	int64_t tag = store_tag_id("movement");
	int64_t now = id_to_ms(id_next());
	assert_int_equal(
		store_trends_tag_use_tx("movement", a, now - 2 * TREND_DAY_MS),
		0);
	int64_t posts[TREND_CHART_DAYS], voices[TREND_CHART_DAYS];
	trends_tag_days(tag, now, TREND_CHART_DAYS, posts, voices);
	assert_int_equal(posts[TREND_CHART_DAYS - 1], 3);
	assert_int_equal(voices[TREND_CHART_DAYS - 1], 2);
	assert_int_equal(posts[TREND_CHART_DAYS - 3], 1);
	assert_int_equal(voices[TREND_CHART_DAYS - 3], 1);
	assert_int_equal(posts[0], 0);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
#define STORE_TEST(f)                                                          \
	cmocka_unit_test_setup_teardown(f, store_setup, store_fixture_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_tag_does_not_trend),
		cmocka_unit_test(test_sudden_rise_from_many_accounts_trends),
		cmocka_unit_test(test_one_noisy_account_does_not_trend),
		cmocka_unit_test(test_peak_halves_every_halflife),
		cmocka_unit_test(
			test_peak_is_replaced_only_by_a_higher_or_after_cooldown),
		cmocka_unit_test(test_rank_key_orders_like_the_decayed_score),
		cmocka_unit_test(test_status_score_needs_five_interactions),
		STORE_TEST(test_noisy_account_counts_once_and_a_crowd_trends),
		STORE_TEST(test_only_public_originals_count),
		STORE_TEST(
			test_rejected_tag_never_trends_and_review_can_be_required),
		STORE_TEST(test_favourites_make_a_status_trend),
		STORE_TEST(test_prune_keeps_what_reads_need),
		STORE_TEST(test_busiest_threads_rank_by_recent_replies),
		STORE_TEST(test_busiest_backfill_matches_live_counts),
		STORE_TEST(test_tag_days_end_today),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
