/* test_store.c — the SQLite store against a real database file: accounts,
 * statuses and their counters, feeds and their cursors, thread order,
 * favourites, deletion, notifications, idempotency keys and markers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_fixture.h"

#include "core/cache.h"
#include "core/config.h"
#include "core/feeds.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "store/db.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	TEST_MAX_IDS = 16, /* room for any page or thread below */
	TEST_WINDOW_MS = 60 * 1000,
};

static int test_setup(void **state)
{
	(void)state;
	return store_fixture_open("store");
}

/* ---- helpers ---------------------------------------------------------- */

/* Create an account; *id (when given) receives its id. */
static int create_account(int64_t *id, const char *username, const char *email)
{
	account a;
	memset(&a, 0, sizeof a);
	a.username = username;
	a.created_at = time_now_ms();
	int rc =
		store_account_create(&a, email, "hash-of-secret", "user", NULL);
	if (id)
		*id = a.id;
	return rc;
}

/* A new local account named username (email username@example.com). */
static int64_t make_account(const char *username)
{
	char email[128];
	snprintf(email, sizeof email, "%s@example.com", username);
	int64_t id = 0;
	assert_int_equal(create_account(&id, username, email),
			 STORE_ACCOUNT_OK);
	return id;
}

static account load_account(int64_t id)
{
	account a;
	assert_true(store_account_get(&test_arena, id, &a));
	return a;
}

static status load_status(int64_t id)
{
	status s;
	assert_true(store_status_get(&test_arena, id, &s));
	return s;
}

static int64_t insert(status *s)
{
	assert_int_equal(store_status_insert(NULL, s, NULL, 0, NULL, 0), 0);
	return s->id;
}

static int64_t post(int64_t author, visibility vis)
{
	status s = fixture_status(author, vis);
	return insert(&s);
}

static int64_t reply(int64_t author, int64_t parent_id)
{
	status parent = load_status(parent_id);
	status s = fixture_status(author, VIS_PUBLIC);
	s.in_reply_to_id = parent.id;
	s.in_reply_to_account_id = parent.account_id;
	return insert(&s);
}

static int64_t reblog(int64_t author, int64_t target_id)
{
	status s = fixture_status(author, VIS_PUBLIC);
	s.reblog_of_id = target_id;
	return insert(&s);
}

static page page_of(int limit)
{
	page p = {.limit = limit};
	return p;
}

static void assert_ids(const int64_t *got, size_t n, const int64_t *want,
		       size_t nwant)
{
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("id %zu: got %lld, want %lld", i,
				 (long long)got[i], (long long)want[i]);
}

#define ASSERT_IDS(got, n, ...)                                                \
	assert_ids(got, n, (const int64_t[]){__VA_ARGS__},                     \
		   sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))

static size_t feed(store_feed kind, int64_t arg, page p, int64_t *out)
{
	return store_feed_page(kind, arg, 0, &p, out);
}

/* ---- accounts --------------------------------------------------------- */

static void test_schema_is_migrated(void **state)
{
	assert_true(store_schema_version() >= 1);
	assert_int_equal(store_count_local_users(), 0);
}

/* A delete cascades through every foreign key that points at the row:
 * without an index on the child column SQLite scans the child table for
 * each deleted row (an unreblog read every notification). The one
 * exception, chosen and measured: a notification's sender (only an
 * account's deletion cascades through it; its index cost a quarter of
 * favourite throughput). */
static void test_every_foreign_key_has_an_index(void **state)
{
	static const char unindexed_keys[] =
		"SELECT m.name || '.' || f.\"from\""
		" FROM sqlite_schema m, pragma_foreign_key_list(m.name) f"
		" WHERE m.type = 'table'"
		" AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name) l,"
		"  pragma_index_info(l.name) i"
		"  WHERE i.seqno = 0 AND i.name = f.\"from\")"
		" AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) c"
		"  WHERE c.pk = 1 AND c.name = f.\"from\")"
		" AND m.name || '.' || f.\"from\" <>"
		"  'notifications.from_account_id'";
	/* PostgreSQL's catalogue: a foreign key's first column that no
	 * index (the primary key's included) leads with */
	static const char unindexed_keys_pg[] =
		"SELECT CAST(c.conrelid AS regclass) || '.' || a.attname"
		" FROM pg_constraint c JOIN pg_attribute a"
		" ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
		" WHERE c.contype = 'f'"
		" AND NOT EXISTS (SELECT 1 FROM pg_index i"
		"  WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])"
		" AND CAST(c.conrelid AS regclass) || '.' || a.attname <>"
		"  'notifications.from_account_id'";
	db_stmt *st = db_prepare(DB_SQL(unindexed_keys, unindexed_keys_pg));
	char unindexed[1024] = "";
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		strncat(unindexed, db_text(st, 0),
			sizeof unindexed - strlen(unindexed) - 2);
		strcat(unindexed, " ");
	}
	db_reset(st);
	assert_int_equal(rc, DB_DONE);
	assert_string_equal(unindexed, "");
}

static void test_account_create_then_get(void **state)
{
	int64_t id = make_account("Alice");
	account a = load_account(id);
	assert_string_equal(a.username, "Alice");
	assert_null(a.domain);
	assert_string_equal(a.email, "alice@example.com");
	assert_string_equal(a.role, "user");
	assert_int_equal(a.statuses_count, 0);
	assert_int_equal(store_count_local_users(), 1);
	account b;
	assert_true(store_account_by_username(&test_arena, "ALICE", NULL, &b));
	assert_true(b.id == id);
}

static void test_account_duplicate_username_is_taken(void **state)
{
	make_account("alice");
	assert_int_equal(create_account(NULL, "ALICE", "other@example.com"),
			 STORE_ACCOUNT_USERNAME_TAKEN);
	assert_int_equal(store_count_local_users(), 1);
}

static void test_account_duplicate_email_is_taken(void **state)
{
	make_account("alice");
	assert_int_equal(create_account(NULL, "alice2", "Alice@Example.COM"),
			 STORE_ACCOUNT_EMAIL_TAKEN);
	assert_int_equal(store_count_local_users(), 1);
}

static void test_user_by_login_email_or_username_any_case(void **state)
{
	int64_t id = make_account("alice");
	account a;
	const char *hash = NULL;
	assert_true(store_user_by_login(&test_arena, "ALICE@example.com", &a,
					&hash));
	assert_true(a.id == id);
	assert_string_equal(hash, "hash-of-secret");
	memset(&a, 0, sizeof a);
	assert_true(store_user_by_login(&test_arena, "aLiCe", &a, &hash));
	assert_true(a.id == id);
	assert_false(store_user_by_login(&test_arena, "bob", &a, &hash));
	assert_false(
		store_user_by_login(&test_arena, "alice@example", &a, &hash));
}

/* ---- statuses and counters -------------------------------------------- */

static void test_status_insert_round_trips_and_counts(void **state)
{
	int64_t alice = make_account("alice");
	status s = fixture_status(alice, VIS_UNLISTED);
	s.spoiler_text = "cw";
	s.sensitive = true;
	insert(&s);
	status got = load_status(s.id);
	assert_true(got.account_id == alice);
	assert_string_equal(got.text, "text");
	assert_string_equal(got.content, "<p>text</p>");
	assert_string_equal(got.spoiler_text, "cw");
	assert_true(got.sensitive);
	assert_int_equal(got.vis, VIS_UNLISTED);
	assert_true(got.created_at == s.created_at);
	account a = load_account(alice);
	assert_int_equal(a.statuses_count, 1);
	assert_true(a.last_status_at == s.created_at);
}

static void test_reply_bumps_replies_count(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t root = post(alice, VIS_PUBLIC);
	int64_t r = reply(bob, root);
	reply(alice, root);
	assert_int_equal(load_status(root).replies_count, 2);
	status got = load_status(r);
	assert_true(got.in_reply_to_id == root);
	assert_true(got.in_reply_to_account_id == alice);
	assert_int_equal(load_account(bob).statuses_count, 1);
	assert_int_equal(load_account(alice).statuses_count, 2);
}

static void test_reblog_bumps_reblogs_count(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t s = post(alice, VIS_PUBLIC);
	int64_t rb = reblog(bob, s);
	assert_int_equal(load_status(s).reblogs_count, 1);
	assert_true(store_reblog_find(bob, s) == rb);
	assert_true(store_reblog_find(alice, s) == 0);
}

static void test_status_delete_fixes_counters_and_deletes_reblogs(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t parent = post(bob, VIS_PUBLIC);
	int64_t s = reply(alice, parent);
	int64_t rb = reblog(bob, s);
	assert_int_equal(load_account(bob).statuses_count, 2);
	assert_int_equal(load_status(parent).replies_count, 1);

	status victim = load_status(s);
	assert_int_equal(store_status_delete(&victim), 0);
	status gone;
	assert_false(store_status_get(&test_arena, s, &gone));
	assert_false(store_status_get(&test_arena, rb, &gone));
	assert_int_equal(load_status(parent).replies_count, 0);
	assert_int_equal(load_account(alice).statuses_count, 0);
	assert_int_equal(load_account(bob).statuses_count, 1);
}

static void test_unreblog_moves_reblogs_count(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t s = post(alice, VIS_PUBLIC);
	status rb = load_status(reblog(bob, s));
	assert_int_equal(store_status_delete(&rb), 0);
	assert_int_equal(load_status(s).reblogs_count, 0);
	assert_int_equal(load_account(bob).statuses_count, 0);
}

/* Two DELETE requests for one status can both load it before either
 * deletes it; the second must not move the counters again. */
static void test_status_delete_twice_moves_counters_once(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t parent = post(bob, VIS_PUBLIC);
	reply(alice, parent);
	reply(bob, parent);
	status mine = load_status(reply(alice, parent));
	assert_int_equal(store_status_delete(&mine), 0);
	store_status_delete(&mine);
	assert_int_equal(load_account(alice).statuses_count, 1);
	assert_int_equal(load_status(parent).replies_count, 2);
}

/* ---- feeds ------------------------------------------------------------ */

static void test_public_feed_shows_only_public_originals(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t pub = post(alice, VIS_PUBLIC);
	post(alice, VIS_UNLISTED);
	post(alice, VIS_PRIVATE);
	post(alice, VIS_DIRECT);
	reply(bob, pub);		  /* reply to someone else */
	int64_t self = reply(alice, pub); /* a self-thread stays */
	reblog(bob, pub);
	int64_t ids[TEST_MAX_IDS];
	size_t n = feed(STORE_FEED_PUBLIC, 0, page_of(20), ids);
	ASSERT_IDS(ids, n, self, pub);
	n = feed(STORE_FEED_PUBLIC_LOCAL, 0, page_of(20), ids);
	ASSERT_IDS(ids, n, self, pub);
}

/* Five public statuses s[0] (oldest) … s[4] (newest). */
static void post_five(int64_t *s)
{
	int64_t alice = make_account("alice");
	for (int i = 0; i < 5; i++)
		s[i] = post(alice, VIS_PUBLIC);
}

static void test_feed_is_newest_first_and_limited(void **state)
{
	int64_t s[5], ids[TEST_MAX_IDS];
	post_five(s);
	size_t n = feed(STORE_FEED_PUBLIC, 0, page_of(2), ids);
	ASSERT_IDS(ids, n, s[4], s[3]);
}

static void test_feed_max_id_pages_older(void **state)
{
	int64_t s[5], ids[TEST_MAX_IDS];
	post_five(s);
	page p = page_of(2);
	p.max_id = s[3];
	size_t n = feed(STORE_FEED_PUBLIC, 0, p, ids);
	ASSERT_IDS(ids, n, s[2], s[1]);
	p.max_id = s[1];
	n = feed(STORE_FEED_PUBLIC, 0, p, ids);
	ASSERT_IDS(ids, n, s[0]);
}

static void test_feed_since_id_gives_newest_above_cursor(void **state)
{
	int64_t s[5], ids[TEST_MAX_IDS];
	post_five(s);
	page p = page_of(2);
	p.since_id = s[1];
	size_t n = feed(STORE_FEED_PUBLIC, 0, p, ids);
	ASSERT_IDS(ids, n, s[4], s[3]);
}

static void test_feed_min_id_gives_page_right_after_cursor(void **state)
{
	int64_t s[5], ids[TEST_MAX_IDS];
	post_five(s);
	page p = page_of(2);
	p.min_id = s[1];
	size_t n = feed(STORE_FEED_PUBLIC, 0, p, ids);
	ASSERT_IDS(ids, n, s[3], s[2]);
	p.min_id = s[3];
	n = feed(STORE_FEED_PUBLIC, 0, p, ids);
	ASSERT_IDS(ids, n, s[4]);
}

static void test_feed_min_id_with_max_id_is_bounded(void **state)
{
	int64_t s[5], ids[TEST_MAX_IDS];
	post_five(s);
	page p = page_of(10);
	p.min_id = s[0];
	p.max_id = s[3];
	size_t n = feed(STORE_FEED_PUBLIC, 0, p, ids);
	ASSERT_IDS(ids, n, s[2], s[1]);
}

static void test_home_feed_includes_followed_only_after_follow(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t carol = make_account("carol");
	int64_t own = post(alice, VIS_PUBLIC);
	int64_t b1 = post(bob, VIS_PRIVATE);
	post(carol, VIS_PUBLIC);
	int64_t ids[TEST_MAX_IDS];
	size_t n = feed(STORE_FEED_HOME, alice, page_of(20), ids);
	ASSERT_IDS(ids, n, own);

	assert_int_equal(
		store_follow_create(id_next(), alice, bob, true, false), 0);
	assert_true(store_follows(alice, bob));
	assert_false(store_follows(bob, alice));
	int64_t b2 = post(bob, VIS_PUBLIC);
	n = feed(STORE_FEED_HOME, alice, page_of(20), ids);
	ASSERT_IDS(ids, n, b2, b1, own);
}

/* The windowed home query must give the same pages as the full one: when
 * the followed account's posts lie beyond the newest 4000 statuses, and
 * when paging up with min_id. */
static void test_home_recent_matches_full_query_beyond_the_window(void **state)
{
	enum { NOISE = 4100 };
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t crowd = make_account("crowd");
	assert_int_equal(
		store_follow_create(id_next(), alice, bob, true, false), 0);
	int64_t old1 = post(bob, VIS_PUBLIC);
	int64_t old2 = post(bob, VIS_PUBLIC);
	for (int i = 0; i < NOISE; i++)
		post(crowd, VIS_PUBLIC);
	int64_t recent = post(bob, VIS_PUBLIC);
	int64_t ids[TEST_MAX_IDS], full[TEST_MAX_IDS];
	size_t n = feed(STORE_FEED_HOME_RECENT, alice, page_of(20), ids);
	size_t nf = feed(STORE_FEED_HOME, alice, page_of(20), full);
	ASSERT_IDS(ids, n, recent, old2, old1);
	assert_ids(ids, n, full, nf);
	page up = {.limit = 2, .min_id = old1};
	n = store_feed_page(STORE_FEED_HOME_RECENT, alice, 0, &up, ids);
	ASSERT_IDS(ids, n, recent, old2);
}

/* A reader's home page, as a request reads it (a fresh epoch first). */
static size_t home(int64_t viewer, page p, int64_t *out)
{
	cache_request_begin();
	return store_feed_page(STORE_FEED_HOME_RECENT, viewer, 0, &p, out);
}

/* The home feed kept in memory must list exactly what the home query
 * finds: filled from the database, then fed by each post's fan-out
 * (replies only to those who see both sides), then dropped and read again
 * when the viewer follows someone new. */
static void test_home_feed_in_memory_matches_the_query(void **state)
{
	feeds_init(16, 8);
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t carol = make_account("carol");
	assert_int_equal(
		store_follow_create(id_next(), alice, bob, true, false), 0);
	int64_t b1 = post(bob, VIS_PUBLIC);
	int64_t c1 = post(carol, VIS_PUBLIC);
	int64_t ids[TEST_MAX_IDS], want[TEST_MAX_IDS];
	size_t n = home(alice, page_of(20), ids);
	ASSERT_IDS(ids, n, b1);
	int64_t kept[TEST_MAX_IDS];
	size_t nkept;
	assert_int_equal(feeds_page(feeds_home, alice, 0, INT64_MAX, false,
				    TEST_MAX_IDS, kept, &nkept),
			 FEEDS_HIT); /* the read filled the feed */

	int64_t to_carol = reply(bob, c1); /* alice doesn't follow carol */
	int64_t to_alice = reply(bob, b1); /* bob's own thread */
	int64_t self = post(alice, VIS_PRIVATE);
	int64_t alice_to_carol = reply(alice, c1);
	int64_t boost = reblog(bob, c1);
	int64_t b2 = post(bob, VIS_DIRECT);
	n = home(alice, page_of(20), ids);
	size_t nw = feed(STORE_FEED_HOME, alice, page_of(20), want);
	assert_ids(ids, n, want, nw);
	ASSERT_IDS(ids, n, b2, boost, self, to_alice, b1);
	(void)to_carol;
	(void)alice_to_carol;

	/* paging inside the feed, and past its eight ids into the query */
	for (int i = 0; i < 6; i++)
		post(bob, VIS_PUBLIC);
	page older = {.limit = 3, .max_id = boost};
	n = home(alice, older, ids);
	ASSERT_IDS(ids, n, self, to_alice, b1);
	page up = {.limit = 2, .min_id = b1};
	n = home(alice, up, ids);
	nw = store_feed_page(STORE_FEED_HOME, alice, 0, &up, want);
	assert_ids(ids, n, want, nw);

	assert_int_equal(
		store_follow_create(id_next(), alice, carol, true, false), 0);
	n = home(alice, page_of(TEST_MAX_IDS), ids);
	nw = feed(STORE_FEED_HOME, alice, page_of(TEST_MAX_IDS), want);
	assert_ids(ids, n, want, nw);
	assert_int_equal(n, 14); /* all: carol's post and the replies to her */
	feeds_shutdown();
}

/* An author followed by more accounts than the feeds can hold: a post is
 * not pushed by listing every follower (a million, under the write lock)
 * but to the feeds held, those of followers only; the others read it
 * from the database when they fill. */
static void test_home_fan_out_beyond_the_feeds_asks_the_held_ones(void **state)
{
	feeds_init(4, 8); /* two sets of two: four feeds */
	int64_t star = make_account("star");
	int64_t fans[5];
	for (int i = 0; i < 5; i++) {
		char name[16];
		snprintf(name, sizeof name, "fan%d", i);
		fans[i] = make_account(name);
		assert_int_equal(store_follow_create(id_next(), fans[i], star,
						     true, false),
				 0);
	}
	int64_t stranger = make_account("stranger");
	int64_t old = post(star, VIS_PUBLIC);
	int64_t ids[TEST_MAX_IDS], want[TEST_MAX_IDS];
	size_t n = home(fans[0], page_of(20), ids);
	ASSERT_IDS(ids, n, old);
	int64_t own = post(stranger, VIS_PUBLIC);
	n = home(stranger, page_of(20), ids);
	ASSERT_IDS(ids, n, own);

	int64_t fresh = post(star, VIS_PUBLIC);
	int64_t kept[TEST_MAX_IDS];
	size_t nkept;
	/* pushed onto the fan's feed in memory, not dropped and read again */
	assert_int_equal(feeds_page(feeds_home, fans[0], 0, INT64_MAX, false,
				    TEST_MAX_IDS, kept, &nkept),
			 FEEDS_HIT);
	ASSERT_IDS(kept, nkept, fresh, old);
	/* the stranger's feed is held still, without it */
	assert_int_equal(feeds_page(feeds_home, stranger, 0, INT64_MAX, false,
				    TEST_MAX_IDS, kept, &nkept),
			 FEEDS_HIT);
	ASSERT_IDS(kept, nkept, own);
	/* a fan whose feed was not held reads it from the database */
	n = home(fans[3], page_of(20), ids);
	size_t nw = feed(STORE_FEED_HOME, fans[3], page_of(20), want);
	assert_ids(ids, n, want, nw);
	ASSERT_IDS(ids, n, fresh, old);
	feeds_shutdown();
}

static void exec_sql(const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db_conn(), sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fail_msg("%s (in %.200s)", err ? err : "?", sql);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void audience_add(int64_t id, void *ctx)
{
	int64_t *ids = ctx;
	if (ids[0] < TEST_MAX_IDS - 1)
		ids[++ids[0]] = id;
}

/* The accounts s's home audience lists, sorted into ids: how many. */
static size_t home_audience(int64_t status_id, int64_t *ids)
{
	status s = load_status(status_id);
	int64_t got[TEST_MAX_IDS] = {0};
	assert_true(store_home_audience(&s, 100, audience_add, got) >= 0);
	size_t n = (size_t)got[0];
	memcpy(ids, got + 1, n * sizeof *ids);
	qsort(ids, n, sizeof *ids, cmp_id);
	return n;
}

enum { MIGRATION_FOLLOWS_LOCAL = 33 }; /* schema.c: local_follower */

/* An account of another server, with its actor: its own inbox, and its
 * server's shared one when shared. */
static int64_t remote_actor(const char *name, const char *host, bool shared)
{
	char uri[128], inbox[160], shared_inbox[128];
	snprintf(uri, sizeof uri, "https://%s/users/%s", host, name);
	snprintf(inbox, sizeof inbox, "%s/inbox", uri);
	snprintf(shared_inbox, sizeof shared_inbox, "https://%s/inbox", host);
	account acc = {.username = name,
		       .domain = host,
		       .display_name = "",
		       .note_html = "",
		       .fields = "[]",
		       .discoverable = true,
		       .created_at = time_now_ms()};
	store_actor act = {.uri = uri,
			   .inbox = inbox,
			   .shared_inbox = shared ? shared_inbox : NULL,
			   .key_id = uri,
			   .public_key_pem = "-",
			   .fetched_at = time_now_ms()};
	assert_int_equal(store_actor_save(&acc, &act), 0);
	return acc.id;
}

/* A post's home audience is its author and the followers who have a
 * home here: a follower on another server is its server's to feed, and
 * reading 10 000 of them under the write lock fed no one. Migration 33
 * tells the follows it finds apart the same way. */
static void test_home_audience_leaves_out_other_servers_followers(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t carol = make_account("carol");
	db_stmt *st =
		db_prepare("UPDATE accounts SET domain = 'elsewhere.example'"
			   " WHERE id = ?1");
	db_bind_int64(st, 1, carol);
	assert_int_equal(db_done(st), 0);
	assert_int_equal(
		store_follow_create(id_next(), bob, alice, true, false), 0);
	assert_int_equal(
		store_follow_create(id_next(), carol, alice, true, false), 0);
	int64_t s = post(alice, VIS_PUBLIC);
	int64_t ids[TEST_MAX_IDS];
	size_t n = home_audience(s, ids);
	int64_t want[] = {alice < bob ? alice : bob, alice < bob ? bob : alice};
	assert_ids(ids, n, want, 2);
	assert_true(store_followed_here(alice));
	assert_true(store_followed_elsewhere(alice));
	assert_true(store_followed_elsewhere(carol) == false);
	assert_false(store_followed_here(bob));

	if (fixture_pg)
		return; /* replays SQLite's migration */
	exec_sql("DROP INDEX follows_by_target_local;"
		 "ALTER TABLE follows DROP COLUMN local_follower;");
	exec_sql(store_migration_sql(MIGRATION_FOLLOWS_LOCAL));
	n = home_audience(s, ids);
	assert_ids(ids, n, want, 2);
	assert_true(store_followed_here(alice));
	assert_true(store_followed_elsewhere(alice));
}

static int64_t count_of(const char *sql)
{
	db_stmt *st = db_prepare(sql);
	assert_int_equal(db_step(st), DB_ROW);
	int64_t n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

enum { ACCEPTERS = 12, ACCEPTED = 20 };

typedef struct accepter {
	pthread_barrier_t *start;
	int64_t actor;
	int rc[ACCEPTED];
	int64_t id[ACCEPTED];
} accepter;

static void *accept_all_of_them(void *p)
{
	accepter *t = p;
	pthread_barrier_wait(t->start);
	for (int i = 0; i < ACCEPTED; i++) {
		char activity[64];
		snprintf(activity, sizeof activity,
			 "https://g.example/activities/%d", i);
		t->rc[i] = store_inbox_accept(activity, t->actor, "{}",
					      time_now_ms(), &t->id[i]);
	}
	store_thread_close();
	return NULL;
}

/* More threads than cores deliver the same activities at once: the
 * ones waiting while another writes are kept in one commit together
 * (store_inbox_accept), and each activity is still kept once, with its
 * one job, every other delivery of it answered as a replay. */
static void test_deliveries_kept_together_are_each_kept_once(void **state)
{
	int64_t actor = remote_actor("gc", "g.example", true);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, ACCEPTERS);
	accepter t[ACCEPTERS];
	pthread_t th[ACCEPTERS];
	for (int i = 0; i < ACCEPTERS; i++) {
		t[i] = (accepter){.start = &start, .actor = actor};
		assert_int_equal(
			pthread_create(&th[i], NULL, accept_all_of_them, &t[i]),
			0);
	}
	for (int i = 0; i < ACCEPTERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (int a = 0; a < ACCEPTED; a++) {
		int kept = 0;
		for (int i = 0; i < ACCEPTERS; i++) {
			assert_true(t[i].rc[a] == 0 || t[i].rc[a] == 1);
			if (t[i].rc[a] == 0) {
				kept++;
				assert_true(store_job_active("fed_inbox",
							     t[i].id[a]));
			}
		}
		assert_int_equal(kept, 1);
	}
	assert_int_equal(count_of("SELECT count(*) FROM inbox_activities"),
			 ACCEPTED);
	assert_int_equal(
		count_of("SELECT count(*) FROM jobs WHERE kind = 'fed_inbox'"),
		ACCEPTED);
}

/* Other servers' posts written in one transaction: each one's outcome
 * its own (one kept before, one twice in the batch, a reply to a post
 * gone), the others inserted as one at a time would be. */
static void test_remote_statuses_are_inserted_together(void **state)
{
	int64_t ren = remote_actor("ren", "r.example", true);
	int64_t alice = make_account("alice");
	int64_t parent = post(alice, VIS_PUBLIC);
	status kept = fixture_status(ren, VIS_PUBLIC);
	kept.uri = "https://r.example/notes/0";
	assert_int_equal(insert(&kept) > 0, 1);

	status s[5];
	const char *uris[] = {
		"https://r.example/notes/1", "https://r.example/notes/1",
		"https://r.example/notes/2", "https://r.example/notes/3",
		"https://r.example/notes/0"};
	store_new_status p[5];
	store_tag_ref tag = {.name = "together", .key = "together"};
	for (int i = 0; i < 5; i++) {
		s[i] = fixture_status(ren, VIS_PUBLIC);
		s[i].uri = uris[i];
		p[i] = (store_new_status){.s = &s[i], .tags = &tag, .ntags = 1};
	}
	s[2].in_reply_to_id = parent;
	s[2].in_reply_to_account_id = alice;
	s[3].in_reply_to_id = parent + 1000000; /* no such post */
	s[3].in_reply_to_account_id = alice;
	assert_int_equal(store_remote_statuses_insert(p, 5), 0);
	assert_int_equal(p[0].rc, 0);
	assert_int_equal(p[1].rc, STORE_TAKEN);
	assert_int_equal(p[2].rc, 0);
	assert_int_equal(p[3].rc, STORE_GONE);
	assert_int_equal(p[4].rc, STORE_TAKEN);
	assert_int_equal(store_status_by_uri(uris[0]), s[0].id);
	assert_int_equal(store_status_by_uri(uris[2]), s[2].id);
	assert_int_equal(store_status_by_uri(uris[3]), 0);
	assert_true(s[2].id > s[0].id); /* ids in the batch's order */
	assert_int_equal(load_status(parent).replies_count, 1);
	assert_int_equal(load_status(s[2].id).in_reply_to_id, parent);
	assert_int_equal(
		count_of("SELECT statuses_count FROM accounts WHERE domain"
			 " = 'r.example'"),
		3);
	assert_int_equal(count_of("SELECT count(*) FROM status_tags st"
				  " JOIN tags t ON t.id = st.tag_id"
				  " WHERE t.key = 'together'"),
			 2);
}

/* Another server's edit is dated by its server, and one no newer than
 * the stored version is STORE_STALE with nothing written: two edits
 * processed at once cannot leave the older one shown. */
static void test_a_remote_edit_older_than_the_stored_one_is_stale(void **state)
{
	int64_t ren = remote_actor("ren", "r.example", true);
	status s = fixture_status(ren, VIS_PUBLIC);
	s.uri = "https://r.example/notes/7";
	s.text = "first";
	insert(&s);
	status newer = s;
	newer.text = "newer";
	newer.edited_at = s.created_at - 60000; /* dated there, a minute ago */
	assert_int_equal(store_status_update(&s, &newer, NULL, 0, NULL, 0), 0);
	assert_int_equal(load_status(s.id).edited_at, newer.edited_at);
	status older = s;
	older.text = "older";
	older.edited_at = newer.edited_at - 1000;
	assert_int_equal(store_status_update(&s, &older, NULL, 0, NULL, 0),
			 STORE_STALE);
	older.edited_at = newer.edited_at; /* the same version again */
	assert_int_equal(store_status_update(&s, &older, NULL, 0, NULL, 0),
			 STORE_STALE);
	assert_string_equal(load_status(s.id).text, "newer");
	assert_int_equal(count_of("SELECT count(*) FROM status_edits"), 2);
}

/* A report keeps the statuses it names, even once deleted; a Flag's id
 * makes one report of it; the list filters by state and account; a
 * change to a report that is not there is STORE_GONE. */
static void test_reports_are_kept_listed_and_reviewed(void **state)
{
	int64_t me = make_account("reporter"), them = make_account("reported");
	int64_t mod = make_account("moderator");
	int64_t p1 = post(them, VIS_PUBLIC), p2 = post(them, VIS_PUBLIC);
	int64_t named[] = {p1, p2};
	store_report r = {.account_id = me,
			  .target_account_id = them,
			  .category = "violation",
			  .comment = "look",
			  .rule_ids = "[\"2\"]",
			  .created_at = time_now_ms(),
			  .status_ids = named,
			  .nstatus_ids = 2};
	assert_int_equal(store_report_insert(&r), 0);
	store_report flag = {.account_id = me,
			     .target_account_id = them,
			     .category = "other",
			     .comment = "",
			     .uri = "https://r.example/flags/1",
			     .created_at = time_now_ms()};
	assert_int_equal(store_report_insert(&flag), 0);
	store_report again = flag;
	assert_int_equal(store_report_insert(&again), STORE_TAKEN);
	status gone = load_status(p1);
	assert_int_equal(store_status_delete(&gone), 0);
	store_report got;
	assert_true(store_report_get(&test_arena, r.id, &got));
	assert_int_equal(got.nstatus_ids, 2);
	assert_int_equal(got.status_ids[0], p1);
	assert_string_equal(got.rule_ids, "[\"2\"]");
	assert_int_equal(got.action_taken_at, 0);

	store_admin_action review_log = {.account_id = mod,
					 .actor = "moderator",
					 .action = "resolve",
					 .target_type = "report",
					 .target = "a report",
					 .created_at = time_now_ms()};
	store_report out[4];
	store_report_query open = {.resolved = 0, .limit = 4};
	assert_int_equal(store_reports_list(&test_arena, &open, out), 2);
	assert_int_equal(out[0].id, flag.id); /* newest first */
	assert_int_equal(store_report_change_apply(r.id, REPORT_ASSIGN, mod,
						   time_now_ms(), &review_log),
			 0);
	assert_int_equal(store_report_change_apply(r.id, REPORT_RESOLVE, mod,
						   time_now_ms(), &review_log),
			 0);
	assert_int_equal(store_reports_list(&test_arena, &open, out), 1);
	store_report_query done = {.resolved = 1, .limit = 4};
	assert_int_equal(store_reports_list(&test_arena, &done, out), 1);
	assert_int_equal(out[0].assigned_account_id, mod);
	assert_int_equal(out[0].action_taken_by_account_id, mod);
	store_report_query of_me = {.resolved = -1,
				    .account_id = me,
				    .target_account_id = them,
				    .limit = 4};
	assert_int_equal(store_reports_list(&test_arena, &of_me, out), 2);
	of_me.account_id = mod;
	assert_int_equal(store_reports_list(&test_arena, &of_me, out), 0);
	assert_int_equal(store_report_change_apply(r.id, REPORT_REOPEN, mod,
						   time_now_ms(), &review_log),
			 0);
	assert_true(store_report_get(&test_arena, r.id, &got));
	assert_int_equal(got.action_taken_at, 0);
	assert_int_equal(store_report_change_apply(r.id + 1000000,
						   REPORT_RESOLVE, mod,
						   time_now_ms(), &review_log),
			 STORE_GONE);
	/* each change kept its log entry; the one that found nothing none */
	assert_int_equal(count_of("SELECT count(*) FROM admin_actions"), 3);
}

static int64_t make_app(const char *name);
static int64_t make_token(int64_t app_id, int64_t account, const char *hash);

static int64_t token_count(int64_t account)
{
	db_stmt *st = db_prepare("SELECT count(*) FROM tokens"
				 " WHERE account_id = ?1");
	db_bind_int64(st, 1, account);
	assert_int_equal(db_step(st), DB_ROW);
	int64_t n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

/* A moderator's change is checked and written in one transaction with
 * its log entry and the report it answers: a change that is so already,
 * or a report of another account, writes nothing at all. A suspension
 * ends the account's sessions; the moderated list holds what is set. */
static void test_moderation_is_checked_logged_and_listed(void **state)
{
	int64_t troll = make_account("troll"), other = make_account("other");
	int64_t mod = make_account("mod");
	store_report rep = {.account_id = other,
			    .target_account_id = troll,
			    .category = "spam",
			    .comment = "",
			    .created_at = time_now_ms()};
	assert_int_equal(store_report_insert(&rep), 0);
	store_report not_troll = rep;
	not_troll.target_account_id = other;
	not_troll.account_id = troll;
	assert_int_equal(store_report_insert(&not_troll), 0);
	store_admin_action log = {.account_id = mod,
				  .actor = "mod",
				  .action = "suspend",
				  .target_type = "account",
				  .target_id = troll,
				  .target = "troll",
				  .report_id = not_troll.id,
				  .created_at = time_now_ms()};
	make_token(make_app("app"), troll, "hash-of-troll");
	/* the wrong report: nothing is done, nothing logged */
	assert_int_equal(store_account_moderate(troll, STORE_MOD_SUSPEND, true,
						&log, "a_job"),
			 STORE_NO_REPORT);
	assert_int_equal(load_account(troll).suspended_at, 0);
	assert_int_equal(count_of("SELECT count(*) FROM admin_actions"), 0);
	assert_int_equal(count_of("SELECT count(*) FROM jobs"), 0);
	assert_int_equal(token_count(troll), 1);
	log.report_id = rep.id;
	uint64_t g = cache_generation();
	assert_int_equal(store_account_moderate(troll, STORE_MOD_SUSPEND, true,
						&log, "a_job"),
			 0);
	assert_true(cache_generation() != g);
	assert_int_equal(load_account(troll).suspended_at, log.created_at);
	assert_int_equal(token_count(troll), 0);
	store_report got;
	assert_true(store_report_get(&test_arena, rep.id, &got));
	assert_int_equal(got.action_taken_by_account_id, mod);
	assert_int_equal(count_of("SELECT count(*) FROM admin_actions"), 1);
	assert_int_equal(count_of("SELECT count(*) FROM jobs"), 1);
	/* so already: unchanged, and not logged twice */
	log.report_id = 0;
	assert_int_equal(store_account_moderate(troll, STORE_MOD_SUSPEND, true,
						&log, NULL),
			 STORE_UNCHANGED);
	assert_int_equal(count_of("SELECT count(*) FROM admin_actions"), 1);
	store_admin_action silence = log;
	silence.target_id = other;
	silence.target = "other";
	assert_int_equal(store_account_moderate(other, STORE_MOD_SILENCE, true,
						&silence, NULL),
			 0);
	store_moderated *m;
	size_t n = store_moderated_accounts(&test_arena, &m);
	assert_int_equal(n, 2);
	assert_int_equal(m[0].id < m[1].id, 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(m[i].flags,
				 m[i].id == troll ? STORE_MODERATED_SUSPENDED
						  : STORE_MODERATED_SILENCED);
	int64_t old[4];
	assert_int_equal(
		store_accounts_suspended_before(log.created_at + 1, old, 4), 1);
	assert_int_equal(old[0], troll);
	assert_int_equal(
		store_accounts_suspended_before(log.created_at, old, 4), 0);
	assert_int_equal(store_account_moderate(troll, STORE_MOD_SUSPEND, false,
						&log, NULL),
			 0);
	assert_int_equal(load_account(troll).suspended_at, 0);
	assert_int_equal(store_account_moderate(troll + 1000000,
						STORE_MOD_SILENCE, true, &log,
						NULL),
			 STORE_GONE);
	store_admin_action entries[8];
	store_admin_action_query q = {.target_account_id = troll, .limit = 8};
	assert_int_equal(store_admin_actions_list(&test_arena, &q, entries), 2);
	assert_int_equal(entries[0].report_id, 0);
	assert_int_equal(entries[1].report_id, rep.id);
}

/* The deliveries owed now, claimed: how many, their ids into ids and
 * each one's inbox into inboxes. */
static size_t claim_deliveries(int64_t *ids, const char **inboxes, size_t max)
{
	size_t n = 0;
	store_job j;
	while (n < max && store_job_claim_kind(&test_arena, time_now_ms(),
					       STORE_JOBS_LANE, &j)) {
		store_delivery d;
		assert_true(store_delivery_get(&test_arena, j.arg, &d));
		assert_int_equal(store_job_finish(j.id), 0);
		ids[n] = j.arg;
		inboxes[n++] = d.inbox;
	}
	return n;
}

static bool named(const char **list, size_t n, const char *inbox)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], inbox))
			return true;
	return false;
}

/* A fan-out owes one delivery per distinct inbox of the followers
 * elsewhere (a server's shared inbox once, never a local follower) and
 * of those addressed; the activity is kept once for all of them, each
 * reads it whole, and the last one done takes it along. */
static void test_fan_out_keeps_one_body_for_its_deliveries(void **state)
{
	int64_t alice = make_account("alice");
	int64_t followers[] = {remote_actor("bob", "a.example", true),
			       remote_actor("dan", "a.example", true),
			       remote_actor("carol", "b.example", false),
			       make_account("eve")};
	for (size_t i = 0; i < sizeof followers / sizeof *followers; i++)
		assert_int_equal(store_follow_create(id_next(), followers[i],
						     alice, true, false),
				 0);
	const char *body = "{\"type\":\"Create\"}";
	assert_int_equal(store_fanout_now(alice, alice,
					  "https://c.example/users/zed/inbox\n"
					  "https://a.example/inbox\n",
					  body, time_now_ms()),
			 3);
	assert_int_equal(count_of("SELECT count(*) FROM delivery_bodies"), 1);
	int64_t ids[8];
	const char *inboxes[8];
	size_t n = claim_deliveries(ids, inboxes, 8);
	assert_int_equal(n, 3);
	assert_true(named(inboxes, n, "https://a.example/inbox"));
	assert_true(named(inboxes, n, "https://b.example/users/carol/inbox"));
	assert_true(named(inboxes, n, "https://c.example/users/zed/inbox"));
	for (size_t i = 0; i < n; i++) {
		store_delivery d;
		assert_true(store_delivery_get(&test_arena, ids[i], &d));
		assert_string_equal(d.body, body);
		assert_int_equal(store_delivery_done(ids[i]), 0);
		assert_false(store_delivery_get(&test_arena, ids[i], &d));
		assert_int_equal(
			count_of("SELECT count(*) FROM delivery_bodies"),
			i + 1 < n ? 1 : 0);
	}

	/* one delivery keeps its own body: nothing shared */
	assert_int_equal(store_fanout_now(alice, 0,
					  "https://c.example/users/zed/inbox\n",
					  body, time_now_ms()),
			 1);
	assert_int_equal(count_of("SELECT count(*) FROM delivery_bodies"), 0);
	n = claim_deliveries(ids, inboxes, 8);
	assert_int_equal(n, 1);
	store_delivery d;
	assert_true(store_delivery_get(&test_arena, ids[0], &d));
	assert_string_equal(d.body, body);
	assert_int_equal(store_delivery_done(ids[0]), 0);
}

/* A followed hashtag brings public posts carrying it into home, from
 * anyone, in memory and in the query alike; private ones and reblogs do
 * not come; unfollowing takes them out again. */
static void test_home_holds_public_posts_with_a_followed_tag(void **state)
{
	feeds_init(16, 8);
	int64_t alice = make_account("alice");
	int64_t carol = make_account("carol");
	store_tag_ref tag = {.name = "MeToo", .key = "metoo"};
	int64_t tag_id = store_tag_ensure(tag.name, tag.key);
	assert_true(tag_id > 0);
	int64_t ids[TEST_MAX_IDS], want[TEST_MAX_IDS];
	size_t n = home(alice, page_of(20), ids); /* fills an empty feed */
	assert_int_equal(n, 0);
	assert_int_equal(store_tag_follow(id_next(), alice, tag_id), 0);
	assert_true(store_tag_followed(alice, tag_id));

	status pub = fixture_status(carol, VIS_PUBLIC);
	assert_int_equal(store_status_insert(NULL, &pub, &tag, 1, NULL, 0), 0);
	status priv = fixture_status(carol, VIS_PRIVATE);
	assert_int_equal(store_status_insert(NULL, &priv, &tag, 1, NULL, 0), 0);
	post(carol, VIS_PUBLIC); /* no tag */
	reblog(carol, pub.id);
	n = home(alice, page_of(20), ids);
	size_t nw = feed(STORE_FEED_HOME, alice, page_of(20), want);
	assert_ids(ids, n, want, nw);
	ASSERT_IDS(ids, n, pub.id);
	/* pushed after the fill as well */
	status later = fixture_status(carol, VIS_PUBLIC);
	assert_int_equal(store_status_insert(NULL, &later, &tag, 1, NULL, 0),
			 0);
	n = home(alice, page_of(20), ids);
	ASSERT_IDS(ids, n, later.id, pub.id);

	assert_int_equal(store_tag_unfollow(alice, tag_id), 0);
	n = home(alice, page_of(20), ids);
	assert_int_equal(n, 0);
	feeds_shutdown();
}

static void test_follow_twice_counts_once(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	assert_int_equal(
		store_follow_create(id_next(), alice, bob, true, false), 0);
	assert_int_equal(
		store_follow_create(id_next(), alice, bob, false, true), 1);
	assert_int_equal(load_account(alice).following_count, 1);
	assert_int_equal(load_account(bob).followers_count, 1);
	store_relationship rel;
	store_relationship_get(alice, bob, &rel);
	assert_true(rel.following);
	assert_false(rel.showing_reblogs); /* the second call updated them */
	assert_true(rel.notifying);
	assert_int_equal(store_follow_delete(alice, bob), 0);
	assert_int_equal(load_account(bob).followers_count, 0);
}

/* ---- threads ---------------------------------------------------------- */

typedef struct tree {
	int64_t root, a, b, a1, a2, a1x, b1;
} tree;

/* root → a, b; a → a1, a2; a1 → a1x; b → b1 — created breadth-first so
 * id order differs from thread order. */
static tree build_tree(void)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	tree t;
	t.root = post(alice, VIS_PUBLIC);
	t.a = reply(bob, t.root);
	t.b = reply(alice, t.root);
	t.a1 = reply(alice, t.a);
	t.a2 = reply(bob, t.a);
	t.b1 = reply(bob, t.b);
	t.a1x = reply(bob, t.a1);
	return t;
}

static size_t descendants(int64_t of, int64_t after, int64_t *out, size_t max)
{
	int64_t root = 0, after_root = 0;
	size_t len = 0, after_len = 0;
	const void *path = store_thread_path(&test_arena, of, &root, &len);
	assert_non_null(path);
	const void *after_path = NULL;
	if (after) {
		after_path = store_thread_path(&test_arena, after, &after_root,
					       &after_len);
		assert_non_null(after_path);
		assert_true(after_root == root);
	}
	return store_thread_descendants(root, path, len, after_path, after_len,
					out, max);
}

static void test_thread_path_extends_parent_path(void **state)
{
	tree t = build_tree();
	int64_t root = 0, r2 = 0;
	size_t len = 0, len2 = 0;
	const unsigned char *a =
		store_thread_path(&test_arena, t.a, &root, &len);
	const unsigned char *a1x =
		store_thread_path(&test_arena, t.a1x, &r2, &len2);
	assert_true(root == t.root);
	assert_true(r2 == t.root);
	assert_int_equal(len, 16);
	assert_int_equal(len2, 32);
	assert_memory_equal(a, a1x, len);
}

static void test_thread_descendants_depth_first_from_root(void **state)
{
	tree t = build_tree();
	int64_t ids[TEST_MAX_IDS];
	size_t n = descendants(t.root, 0, ids, TEST_MAX_IDS);
	ASSERT_IDS(ids, n, t.a, t.a1, t.a1x, t.a2, t.b, t.b1);
}

static void test_thread_descendants_of_subtree(void **state)
{
	tree t = build_tree();
	int64_t ids[TEST_MAX_IDS];
	size_t n = descendants(t.a, 0, ids, TEST_MAX_IDS);
	ASSERT_IDS(ids, n, t.a1, t.a1x, t.a2);
	n = descendants(t.b1, 0, ids, TEST_MAX_IDS);
	assert_int_equal(n, 0);
}

static void test_thread_descendants_resume_after_path(void **state)
{
	tree t = build_tree();
	int64_t ids[TEST_MAX_IDS];
	size_t n = descendants(t.root, t.a1x, ids, TEST_MAX_IDS);
	ASSERT_IDS(ids, n, t.a2, t.b, t.b1);
	n = descendants(t.a, t.a1x, ids, TEST_MAX_IDS);
	ASSERT_IDS(ids, n, t.a2);
}

static void test_thread_descendants_respects_max(void **state)
{
	tree t = build_tree();
	int64_t ids[TEST_MAX_IDS];
	size_t n = descendants(t.root, 0, ids, 2);
	ASSERT_IDS(ids, n, t.a, t.a1);
	n = descendants(t.root, ids[1], ids, 2);
	ASSERT_IDS(ids, n, t.a1x, t.a2);
}

/* ---- favourites ------------------------------------------------------- */

static void test_favourite_toggle_is_idempotent_and_counts(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t s = post(alice, VIS_PUBLIC);
	assert_int_equal(store_favourite_set(bob, s, true, NULL), 1);
	assert_int_equal(store_favourite_set(bob, s, true, NULL), 0);
	assert_int_equal(load_status(s).favourites_count, 1);
	status_flags f;
	store_status_flags(bob, &s, 1, &f);
	assert_true(f.favourited);
	assert_false(f.bookmarked);
	assert_int_equal(store_favourite_set(bob, s, false, NULL), 1);
	assert_int_equal(store_favourite_set(bob, s, false, NULL), 0);
	assert_int_equal(load_status(s).favourites_count, 0);
	store_status_flags(bob, &s, 1, &f);
	assert_false(f.favourited);
}

/* ---- notifications ---------------------------------------------------- */

static int64_t notify(int64_t to, int64_t from, const char *type,
		      int64_t status_id)
{
	notification n = {.id = id_next(),
			  .account_id = to,
			  .from_account_id = from,
			  .status_id = status_id,
			  .type = type};
	n.created_at = id_to_ms(n.id);
	assert_int_equal(store_notification_insert(&n), 1);
	return n.id;
}

/* How many notifications of type the account has. */
static int count_notifications(int64_t to, const char *type)
{
	db_stmt *st = db_prepare("SELECT count(*) FROM notifications"
				 " WHERE account_id = ?1 AND type = ?2");
	db_bind_int64(st, 1, to);
	db_bind_text(st, 2, type);
	assert_int_equal(db_step(st), DB_ROW);
	int n = (int)db_column_int64(st, 0);
	db_reset(st);
	return n;
}

static void test_the_same_act_is_notified_once(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t s = post(alice, VIS_PUBLIC);
	notify(alice, bob, "favourite", s);
	notify(alice, bob, "follow", 0);
	notification again = {.id = id_next(),
			      .account_id = alice,
			      .from_account_id = bob,
			      .status_id = s,
			      .type = "favourite",
			      .created_at = 1};
	assert_int_equal(store_notification_insert(&again), 0);
	again.id = id_next();
	again.type = "follow";
	again.status_id = 0;
	assert_int_equal(store_notification_insert(&again), 0);
	assert_int_equal(count_notifications(alice, "favourite"), 1);
	assert_int_equal(count_notifications(alice, "follow"), 1);
	/* an edit tells again: the one row moves to the newest id */
	notify(alice, bob, "update", s);
	int64_t newest = notify(alice, bob, "update", s);
	assert_int_equal(count_notifications(alice, "update"), 1);
	notification got;
	assert_true(store_notification_get(alice, newest, &got, &test_arena));
}

static void test_undoing_an_act_removes_its_notification(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t s = post(alice, VIS_PUBLIC);
	assert_int_equal(store_favourite_set(bob, s, true, NULL), 1);
	notify(alice, bob, "favourite", s);
	int64_t boost = reblog(bob, s);
	notify(alice, bob, "reblog", s);
	assert_int_equal(
		store_follow_create(id_next(), bob, alice, true, false), 0);
	notify(alice, bob, "follow", 0);

	assert_int_equal(store_favourite_set(bob, s, false, NULL), 1);
	assert_int_equal(count_notifications(alice, "favourite"), 0);
	status r = load_status(boost);
	assert_int_equal(store_status_delete(&r), 0);
	assert_int_equal(count_notifications(alice, "reblog"), 0);
	assert_int_equal(store_follow_delete(bob, alice), 0);
	assert_int_equal(count_notifications(alice, "follow"), 0);
}

/* The groups as the triggers keep them must equal the groups recounted
 * from the notifications themselves: the newest member of each is its
 * head, with the group's size and oldest id, and no other row is. */
static void assert_groups_match_rows(void)
{
	assert_int_equal(
		db_int64("SELECT count(*) FROM notifications n"
			 " LEFT JOIN (SELECT account_id, group_key,"
			 " max(id) AS latest, min(id) AS oldest,"
			 " count(*) AS size"
			 " FROM notifications GROUP BY account_id, group_key)"
			 " AS r ON r.latest = n.id"
			 " WHERE n.group_size IS DISTINCT FROM r.size"
			 " OR n.group_oldest_id IS DISTINCT FROM r.oldest",
			 0, 0),
		0);
}

static void test_notification_groups_follow_every_change(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t carol = make_account("carol");
	int64_t s = post(alice, VIS_PUBLIC), t = post(alice, VIS_PUBLIC);
	assert_int_equal(store_favourite_set(bob, s, true, NULL), 1);
	notify(alice, bob, "favourite", s);
	assert_int_equal(store_favourite_set(carol, s, true, NULL), 1);
	notify(alice, carol, "favourite", s);
	notify(alice, carol, "favourite", t);
	notify(alice, bob, "follow", 0);
	notify(alice, carol, "follow", 0);
	notify(alice, bob, "mention", t);
	notify(alice, bob, "update", t);
	assert_groups_match_rows();
	page p = page_of(TEST_MAX_IDS);
	notification_group g[TEST_MAX_IDS];
	size_t n = store_notification_groups_page(&test_arena, alice, &p, NULL,
						  NULL, g);
	/* favourites of s, of t, the follows, the mention, the update */
	assert_int_equal(n, 5);
	assert_string_equal(g[0].type, "update");
	int64_t counts[2] = {0};
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(g[i].type, "favourite") && g[i].status_id == s)
			counts[0] = g[i].count;
		if (!strcmp(g[i].type, "follow"))
			counts[1] = g[i].count;
	}
	assert_int_equal(counts[0], 2);
	assert_int_equal(counts[1], 2);
	/* a late arrival (an accepted request keeps its id) joins below
	 * the head; when the head goes, the next newest takes over */
	int64_t dave = make_account("dave");
	db_stmt *late =
		db_prepare("INSERT INTO notifications (id, account_id, type,"
			   " from_account_id, status_id, created_at, group_key)"
			   " SELECT id - 1, account_id, type, ?1, status_id,"
			   " created_at, group_key FROM notifications"
			   " WHERE account_id = ?2 AND type = 'favourite'"
			   " AND status_id = ?3 ORDER BY id LIMIT 1");
	db_bind_int64(late, 1, dave);
	db_bind_int64(late, 2, alice);
	db_bind_int64(late, 3, s);
	assert_int_equal(db_done(late), 0);
	assert_groups_match_rows();
	const char *key = NULL;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(g[i].type, "favourite") && g[i].status_id == s)
			key = g[i].key;
	notification_group fav;
	assert_true(
		store_notification_group_get(&test_arena, alice, key, &fav));
	assert_int_equal(fav.count, 3);
	int64_t head = fav.latest_id;
	assert_int_equal(store_favourite_set(carol, s, false, NULL), 1);
	assert_groups_match_rows();
	assert_true(
		store_notification_group_get(&test_arena, alice, key, &fav));
	assert_true(fav.count == 2 && fav.latest_id < head);
	/* an edit moves its notification, undoing and deleting remove
	 * theirs: the groups follow */
	notify(alice, bob, "update", t);
	assert_int_equal(store_favourite_set(bob, s, false, NULL), 1);
	assert_groups_match_rows();
	status gone = load_status(t);
	assert_int_equal(store_status_delete(&gone), 0);
	assert_groups_match_rows();
	assert_int_equal(store_notifications_clear(alice), 0);
	assert_groups_match_rows();
	n = store_notification_groups_page(&test_arena, alice, &p, NULL, NULL,
					   g);
	assert_int_equal(n, 0);
}

static void test_a_second_boost_by_one_account_is_refused(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t s = post(alice, VIS_PUBLIC);
	reblog(bob, s);
	/* what a racing request that passed the same check would insert */
	status again = fixture_status(bob, VIS_PUBLIC);
	again.reblog_of_id = s;
	assert_int_equal(store_status_insert(NULL, &again, NULL, 0, NULL, 0),
			 STORE_TAKEN);
	assert_int_equal(load_status(s).reblogs_count, 1);
	assert_int_equal(load_account(bob).statuses_count, 1);
}

enum {
	MIGRATION_ONE_PER_ACT = 12
}; /* schema.c: unique boosts and
      notifications */

/* What the code before migration 12 could leave (racing boosts, undone
 * acts) is cleaned by it, counters recounted, constraints then on. */
static void
test_migration_removes_doubled_boosts_and_stale_notifications(void **state)
{
	FIXTURE_SQLITE_ONLY(); /* replays SQLite's migration 12 */
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t s = post(alice, VIS_PUBLIC);
	exec_sql("DROP INDEX statuses_one_reblog;"
		 "DROP INDEX notifications_one_per_act;"
		 "DROP TRIGGER favourites_unnotify;"
		 "DROP TRIGGER reblogs_unnotify;"
		 "DROP TRIGGER follows_unnotify;"
		 "DROP TRIGGER follow_requests_unnotify;"
		 /* nor were there notification groups (migration 16) */
		 "DROP TRIGGER notification_heads_add;"
		 "DROP TRIGGER notification_heads_remove;"
		 "DROP TRIGGER notification_heads_move;"
		 "CREATE INDEX statuses_by_reblog ON statuses(reblog_of_id,"
		 " account_id) WHERE reblog_of_id IS NOT NULL;");
	reblog(bob, s);
	reblog(bob, s); /* the race the index now prevents */
	assert_int_equal(load_status(s).reblogs_count, 2);
	assert_int_equal(load_account(bob).statuses_count, 2);
	/* as the old INSERT wrote them (the upsert needs the index) */
	char sql[512];
	snprintf(sql, sizeof sql,
		 "INSERT INTO notifications (id, account_id, type,"
		 " from_account_id, status_id, created_at) VALUES"
		 " (%lld, %lld, 'reblog', %lld, %lld, 0),"
		 " (%lld, %lld, 'reblog', %lld, %lld, 0),"
		 /* a favourite since undone */
		 " (%lld, %lld, 'favourite', %lld, %lld, 0)",
		 (long long)id_next(), (long long)alice, (long long)bob,
		 (long long)s, (long long)id_next(), (long long)alice,
		 (long long)bob, (long long)s, (long long)id_next(),
		 (long long)alice, (long long)bob, (long long)s);
	exec_sql(sql);

	exec_sql(store_migration_sql(MIGRATION_ONE_PER_ACT));
	assert_int_equal(load_status(s).reblogs_count, 1);
	assert_int_equal(load_account(bob).statuses_count, 1);
	assert_int_equal(count_notifications(alice, "reblog"), 1);
	assert_int_equal(count_notifications(alice, "favourite"), 0);
	status again = fixture_status(bob, VIS_PUBLIC);
	again.reblog_of_id = s;
	assert_int_equal(store_status_insert(NULL, &again, NULL, 0, NULL, 0),
			 STORE_TAKEN);
}

/* A favourite's notification is written in the favourite's transaction:
 * told once, when the favourite is new; held ones wait in a request. */
static void test_favourite_writes_its_notice(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t carol = make_account("carol");
	int64_t s = post(alice, VIS_PUBLIC);
	notice x = {.how = NOTICE_TELL,
		    .n = {.account_id = alice,
			  .type = "favourite",
			  .from_account_id = bob,
			  .status_id = s,
			  .created_at = 1}};
	assert_int_equal(store_favourite_set(bob, s, true, &x), 1);
	assert_true(x.told && x.n.id);
	notice again = x;
	assert_int_equal(store_favourite_set(bob, s, true, &again), 0);
	assert_false(again.told); /* not new: not written */
	notification out[TEST_MAX_IDS];
	page p = page_of(10);
	assert_int_equal(store_notifications_page(&test_arena, alice, &p, NULL,
						  NULL, out),
			 1);
	assert_true(out[0].id == x.n.id && out[0].from_account_id == bob);
	notice held = {.how = NOTICE_HOLD,
		       .n = {.account_id = alice,
			     .type = "favourite",
			     .from_account_id = carol,
			     .status_id = s,
			     .created_at = 2}};
	assert_int_equal(store_favourite_set(carol, s, true, &held), 1);
	assert_false(held.told);
	assert_int_equal(store_notifications_page(&test_arena, alice, &p, NULL,
						  NULL, out),
			 1);
	notification_request r[4];
	assert_int_equal(store_notification_requests_page(alice, &p, r), 1);
	assert_true(r[0].from_account_id == carol);
}

static void test_notifications_page_filters_types(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t s = post(alice, VIS_PUBLIC);
	int64_t follow = notify(alice, bob, "follow", 0);
	int64_t fav = notify(alice, bob, "favourite", s);
	int64_t mention = notify(alice, bob, "mention", s);
	notify(bob, alice, "mention", s); /* someone else's */
	notification out[TEST_MAX_IDS];
	page p = page_of(10);

	size_t n = store_notifications_page(&test_arena, alice, &p, NULL, NULL,
					    out);
	assert_int_equal(n, 3);
	assert_true(out[0].id == mention && out[2].id == follow);
	assert_string_equal(out[0].type, "mention");
	assert_true(out[0].status_id == s);
	assert_true(out[2].status_id == 0);

	const char *const only[] = {"mention", "follow", NULL};
	n = store_notifications_page(&test_arena, alice, &p, only, NULL, out);
	assert_int_equal(n, 2);
	assert_true(out[0].id == mention && out[1].id == follow);

	const char *const exclude[] = {"mention", NULL};
	n = store_notifications_page(&test_arena, alice, &p, NULL, exclude,
				     out);
	assert_int_equal(n, 2);
	assert_true(out[0].id == fav && out[1].id == follow);
}

static void test_notifications_page_min_id(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	/* one follow notification per follower: four followers */
	int64_t n1 = notify(alice, bob, "follow", 0);
	int64_t n2 = notify(alice, make_account("carol"), "follow", 0);
	int64_t n3 = notify(alice, make_account("dave"), "follow", 0);
	notify(alice, make_account("erin"), "follow", 0);
	notification out[TEST_MAX_IDS];
	page p = page_of(2);
	p.min_id = n1;
	size_t n = store_notifications_page(&test_arena, alice, &p, NULL, NULL,
					    out);
	assert_int_equal(n, 2);
	assert_true(out[0].id == n3 && out[1].id == n2);
}

/* ---- idempotency and markers ------------------------------------------ */

static void test_idempotency_key_holds_within_window(void **state)
{
	int64_t alice = make_account("alice");
	int64_t bob = make_account("bob");
	int64_t now = id_to_ms(id_next());
	int64_t got = 0;
	assert_false(
		store_idempotency_get(alice, "k1", now - TEST_WINDOW_MS, &got));
	assert_int_equal(store_idempotency_put(alice, "k1", 42, now), 0);
	assert_true(
		store_idempotency_get(alice, "k1", now - TEST_WINDOW_MS, &got));
	assert_int_equal(got, 42);
	/* older than the window, another key, another account: no hit */
	assert_false(store_idempotency_get(alice, "k1", now + 1, &got));
	assert_false(store_idempotency_get(alice, "k2", 0, &got));
	assert_false(store_idempotency_get(bob, "k1", 0, &got));
	/* a later put under the same key replaces the old one */
	assert_int_equal(store_idempotency_put(alice, "k1", 43, now + 5), 0);
	assert_true(store_idempotency_get(alice, "k1", now + 1, &got));
	assert_int_equal(got, 43);
}

static void test_marker_set_twice_bumps_version(void **state)
{
	int64_t alice = make_account("alice");
	store_marker m;
	assert_false(store_marker_get(alice, "home", &m));
	assert_int_equal(store_marker_set(alice, "home", 100, 1000), 0);
	assert_true(store_marker_get(alice, "home", &m));
	assert_int_equal(m.last_read_id, 100);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.updated_at, 1000);
	assert_int_equal(store_marker_set(alice, "home", 200, 2000), 0);
	assert_true(store_marker_get(alice, "home", &m));
	assert_int_equal(m.last_read_id, 200);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.updated_at, 2000);
	assert_false(store_marker_get(alice, "notifications", &m));
}

/* ---- search index ------------------------------------------------------ */

/* Statuses whose text holds words, newest first. */
static size_t search_words(const char *words, int64_t *out)
{
	store_search_term t = {.text = words};
	store_status_query q = {.terms = &t, .nterms = 1};
	return store_statuses_search(&test_arena, &q, 0, INT64_MAX,
				     TEST_MAX_IDS, out);
}

static media_attachment attachment(int64_t owner, int64_t status_id,
				   const char *description)
{
	media_attachment m;
	memset(&m, 0, sizeof m);
	m.id = id_next();
	m.account_id = owner;
	m.status_id = status_id;
	m.type = "image";
	m.state = MEDIA_READY;
	m.mime = "image/png";
	m.description = description;
	m.created_at = id_to_ms(m.id);
	assert_int_equal(store_media_insert(&m, NULL), 0);
	return m;
}

static void test_search_index_follows_status_writes(void **state)
{
	int64_t a = make_account("indexer"), out[TEST_MAX_IDS];
	status s = fixture_status(a, VIS_PUBLIC);
	s.text = "first words";
	s.spoiler_text = "warning";
	insert(&s);
	ASSERT_IDS(out, search_words("first", out), s.id);
	ASSERT_IDS(out, search_words("warning", out), s.id);
	reblog(make_account("booster"), s.id); /* not a document */
	ASSERT_IDS(out, search_words("first", out), s.id);
	status edited = s;
	edited.text = "second words";
	edited.edited_at = s.created_at + 1;
	assert_int_equal(store_status_update(&s, &edited, NULL, 0, NULL, 0), 0);
	assert_int_equal(search_words("first", out), 0);
	ASSERT_IDS(out, search_words("second words", out), s.id);
	assert_true(store_search_index_ok());
	assert_int_equal(store_status_delete(&edited), 0);
	assert_int_equal(search_words("second", out), 0);
	assert_true(store_search_index_ok());
}

static void test_search_index_follows_attachment_writes(void **state)
{
	int64_t a = make_account("alts"), out[TEST_MAX_IDS];
	int64_t p1 = post(a, VIS_PUBLIC), p2 = post(a, VIS_PUBLIC);
	media_attachment m = attachment(a, p1, "a red kite");
	attachment(a, p1, NULL);
	ASSERT_IDS(out, search_words("kite", out), p1);
	m.description = "a blue heron";
	assert_int_equal(store_media_update(&m), 0);
	assert_int_equal(search_words("kite", out), 0);
	ASSERT_IDS(out, search_words("heron", out), p1);
	assert_true(store_search_index_ok());
	/* moved to another status, then detached */
	m.status_id = p2;
	assert_int_equal(store_media_update(&m), 0);
	ASSERT_IDS(out, search_words("heron", out), p2);
	m.status_id = 0;
	assert_int_equal(store_media_update(&m), 0);
	assert_int_equal(search_words("heron", out), 0);
	ASSERT_IDS(out, search_words("text", out), p2, p1);
	assert_true(store_search_index_ok());
	m.status_id = p1;
	assert_int_equal(store_media_update(&m), 0);
	assert_int_equal(store_media_delete(m.id), 0);
	assert_int_equal(search_words("heron", out), 0);
	assert_true(store_search_index_ok());
}

/* Statuses wait in search_backlog until a flush or a search indexes them;
 * edits, attachments and deletes while they wait must leave the index
 * exactly right once they are indexed. */
static void test_search_backlog_takes_changes_before_the_flush(void **state)
{
	int64_t a = make_account("waiting"), out[TEST_MAX_IDS];
	status s = fixture_status(a, VIS_PUBLIC);
	s.text = "draft words";
	insert(&s);
	status edited = s;
	edited.text = "final words";
	edited.edited_at = s.created_at + 1;
	assert_int_equal(store_status_update(&s, &edited, NULL, 0, NULL, 0), 0);
	attachment(a, s.id, "a lighthouse");
	int64_t gone = post(a, VIS_PUBLIC);
	status g;
	assert_true(store_status_get(&test_arena, gone, &g));
	assert_int_equal(store_status_delete(&g), 0);
	assert_true(db_exists("SELECT 1 FROM search_backlog", 0, 0));
	/* the search flushes first: what was posted before it is found */
	ASSERT_IDS(out, search_words("final", out), s.id);
	assert_false(db_exists("SELECT 1 FROM search_backlog", 0, 0));
	assert_int_equal(search_words("draft", out), 0);
	ASSERT_IDS(out, search_words("lighthouse", out), s.id);
	assert_true(store_search_index_ok());
	/* and after the flush, the triggers take over again */
	status again = edited;
	again.text = "revised words";
	again.edited_at = edited.edited_at + 1;
	assert_int_equal(store_status_update(&edited, &again, NULL, 0, NULL, 0),
			 0);
	ASSERT_IDS(out, search_words("revised", out), s.id);
	assert_true(store_search_index_ok());
}

static void test_search_index_forgets_a_deleted_account(void **state)
{
	int64_t a = make_account("leaving"), b = make_account("staying");
	int64_t out[TEST_MAX_IDS];
	int64_t p = post(a, VIS_PUBLIC), q = post(b, VIS_PUBLIC);
	attachment(a, p, "goodbye note");
	reply(b, p);
	assert_int_equal(store_account_delete(a), 0);
	assert_int_equal(search_words("goodbye", out), 0);
	assert_true(store_search_index_ok());
	size_t n = search_words("text", out);
	assert_true(n >= 1 && out[n - 1] == q);
	int64_t ids[4];
	assert_int_equal(
		store_accounts_search(&test_arena, "leaving", 0, 4, 0, ids), 0);
	ASSERT_IDS(ids,
		   store_accounts_search(&test_arena, "stay", 0, 4, 0, ids), b);
}

static void test_search_index_check_notices_a_stale_index(void **state)
{
	int64_t a = make_account("stale");
	status s = fixture_status(a, VIS_PUBLIC);
	insert(&s);
	assert_true(store_search_index_ok());
	/* without its trigger, an edit leaves the index behind */
	assert_int_equal(db_exec(DB_SQL("DROP TRIGGER status_search_reindex",
					"DROP TRIGGER status_search_reindex"
					" ON statuses")),
			 0);
	status edited = s;
	edited.text = "changed";
	edited.edited_at = s.created_at + 1;
	assert_int_equal(store_status_update(&s, &edited, NULL, 0, NULL, 0), 0);
	assert_false(store_search_index_ok());
}

static void test_account_search_prefix_and_rename(void **state)
{
	int64_t exact = make_account("kim"), longer = make_account("kimberly");
	int64_t other = make_account("zed");
	account z = load_account(other);
	z.display_name = "Kimi Räikkönen";
	assert_int_equal(store_account_update_profile(&z), 0);
	int64_t ids[8];
	/* exact username, then username prefix, then display name words */
	ASSERT_IDS(ids, store_accounts_search(&test_arena, "kim", 0, 8, 0, ids),
		   exact, longer, other);
	ASSERT_IDS(ids,
		   store_accounts_search(&test_arena, "raikk", 0, 8, 0, ids),
		   other);
	z.display_name = "Someone";
	assert_int_equal(store_account_update_profile(&z), 0);
	assert_int_equal(
		store_accounts_search(&test_arena, "raikk", 0, 8, 0, ids), 0);
	assert_true(store_search_index_ok());
}

/* ---- sessions (access tokens) ----------------------------------------- */

static int64_t make_app(const char *name)
{
	int64_t id = id_next();
	char client_id[32];
	snprintf(client_id, sizeof client_id, "cid-%lld", (long long)id);
	app a = {.id = id,
		 .name = name,
		 .redirect_uris = "urn:ietf:wg:oauth:2.0:oob",
		 .scopes = "read write",
		 .client_id = client_id,
		 .client_secret = "secret"};
	assert_int_equal(store_app_create(&a), 0);
	return id;
}

static int64_t make_token(int64_t app_id, int64_t account, const char *hash)
{
	int64_t id = id_next();
	assert_int_equal(store_token_create(id, hash, app_id, account, "read"),
			 0);
	return id;
}

static bool token_exists(const char *hash)
{
	principal p;
	account a;
	return store_token_lookup(&test_arena, hash, &p, &a);
}

/* A token names its account, read in the same statement; an app's own
 * token names none. */
static void test_token_lookup_brings_its_account(void **state)
{
	int64_t me = make_account("signed_in");
	int64_t app_id = make_app("Phone");
	int64_t t = make_token(app_id, me, "lh1");
	int64_t bare = make_token(app_id, 0, "lh2");
	principal p;
	account a;
	memset(&a, 0, sizeof a);
	assert_true(store_token_lookup(&test_arena, "lh1", &p, &a));
	assert_int_equal(p.token_id, t);
	assert_int_equal(p.app_id, app_id);
	assert_int_equal(p.account_id, me);
	assert_string_equal(p.scopes, "read");
	assert_int_equal(a.id, me);
	assert_string_equal(a.username, "signed_in");
	assert_true(store_token_lookup(&test_arena, "lh2", &p, &a));
	assert_int_equal(p.token_id, bare);
	assert_int_equal(p.account_id, 0);
	assert_false(store_token_lookup(&test_arena, "nope", &p, &a));
}

static void count_session(const store_session *s, void *ctx)
{
	assert_string_equal(s->app_name, "Phone");
	assert_string_equal(s->scopes, "read");
	assert_true(s->created_at > 0);
	(*(int *)ctx)++;
}

static void test_password_change_revokes_every_token_at_once(void **state)
{
	int64_t me = make_account("pw_changer"),
		other = make_account("bystander");
	int64_t app_id = make_app("Phone");
	make_token(app_id, me, "h1");
	int64_t keep = make_token(app_id, me, "h2");
	make_token(app_id, other, "h3");
	int seen = 0;
	assert_int_equal(
		store_tokens_each(me, count_session, &seen, &test_arena), 2);
	assert_int_equal(seen, 2);

	assert_int_equal(store_user_set_password(me, "new-hash", keep), 0);
	assert_false(token_exists("h1"));
	assert_true(token_exists("h2")); /* the one kept */
	assert_int_equal(store_user_set_password(me, "newer-hash", 0), 0);
	assert_false(token_exists("h2"));
	assert_true(token_exists("h3")); /* someone else's */
	/* no such user: nothing changes, nothing is revoked */
	assert_int_equal(store_user_set_password(other + 1, "x", 0), -1);
	assert_true(token_exists("h3"));
}

static void test_token_revoke_tells_which_token_and_whose(void **state)
{
	int64_t me = make_account("revoker");
	int64_t app_id = make_app("Phone"), other_app = make_app("Other");
	int64_t t = make_token(app_id, me, "rh1");
	int64_t who = -1;
	assert_int_equal(store_token_revoke("rh1", other_app, &who), 0);
	assert_true(token_exists("rh1")); /* another app cannot */
	assert_int_equal(store_token_revoke("rh1", app_id, &who), t);
	assert_int_equal(who, me);
	assert_false(token_exists("rh1"));
	assert_int_equal(store_token_revoke("rh1", app_id, &who), 0);
}

static void test_revoke_one_session_only_of_its_account(void **state)
{
	int64_t me = make_account("one_rev"), other = make_account("not_me");
	int64_t app_id = make_app("Phone");
	int64_t mine = make_token(app_id, me, "oh1");
	int64_t theirs = make_token(app_id, other, "oh2");
	assert_int_equal(store_token_revoke_of_account(me, theirs), 0);
	assert_true(token_exists("oh2"));
	assert_int_equal(store_token_revoke_of_account(me, mine), 1);
	assert_false(token_exists("oh1"));
	assert_int_equal(store_tokens_revoke_account(other, 0), 1);
	assert_false(token_exists("oh2"));
}

static void mark_alive(int64_t id, void *ctx)
{
	int64_t *alive = ctx;
	for (int i = 0; i < 4; i++)
		if (!alive[i]) {
			alive[i] = id;
			return;
		}
	fail_msg("more live tokens than asked about");
}

static void test_tokens_alive_finds_what_survives_deletes(void **state)
{
	int64_t me = make_account("alive"), gone = make_account("deleted");
	int64_t app_id = make_app("Phone");
	int64_t a = make_token(app_id, me, "ah1");
	int64_t b = make_token(app_id, me, "ah2");
	int64_t c = make_token(app_id, gone, "ah3");
	assert_int_equal(store_token_revoke_of_account(me, b), 1);
	assert_int_equal(store_account_delete(gone), 0); /* cascades */
	int64_t asked[] = {a, b, c, 12345};
	int64_t alive[4] = {0};
	assert_int_equal(store_tokens_alive(asked, 4, mark_alive, alive), 1);
	assert_int_equal(alive[0], a);
	assert_int_equal(store_tokens_alive(asked, 0, mark_alive, alive), 0);
}

/* On PostgreSQL a write commits under the write lock without waiting for
 * the WAL's fsync (db_begin): db_commit still returns only once what it
 * wrote is flushed, so a client told "written" never loses it. */
static void test_a_commit_returns_once_its_wal_is_flushed(void **state)
{
	(void)state;
	if (!fixture_pg)
		skip(); /* SQLite's commit is one fsync, under its own lock */
	/* the test cluster commits asynchronously; a server does not */
	assert_int_equal(db_exec("SET synchronous_commit = on"), 0);
	int64_t me = make_account("durable");
	assert_int_equal(db_begin(), 0);
	db_stmt *st = db_prepare("UPDATE accounts SET note = 'kept'"
				 " WHERE id = ?1");
	db_bind_int64(st, 1, me);
	assert_int_equal(db_done(st), 0);
	int64_t written = db_int64("SELECT CAST(pg_current_wal_insert_lsn()"
				   " - '0/0' AS bigint) WHERE ?1 = ?2",
				   0, 0);
	assert_int_equal(db_commit(), 0);
	int64_t flushed = db_int64("SELECT CAST(pg_current_wal_flush_lsn()"
				   " - '0/0' AS bigint) WHERE ?1 = ?2",
				   0, 0);
	assert_true(written > 0);
	assert_true(flushed >= written);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
#define STORE_TEST(f)                                                          \
	cmocka_unit_test_setup_teardown(f, test_setup, store_fixture_teardown)
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_schema_is_migrated),
		STORE_TEST(test_every_foreign_key_has_an_index),
		STORE_TEST(test_the_same_act_is_notified_once),
		STORE_TEST(test_undoing_an_act_removes_its_notification),
		STORE_TEST(test_notification_groups_follow_every_change),
		STORE_TEST(test_a_second_boost_by_one_account_is_refused),
		STORE_TEST(
			test_migration_removes_doubled_boosts_and_stale_notifications),
		STORE_TEST(test_password_change_revokes_every_token_at_once),
		STORE_TEST(test_token_lookup_brings_its_account),
		STORE_TEST(test_token_revoke_tells_which_token_and_whose),
		STORE_TEST(test_revoke_one_session_only_of_its_account),
		STORE_TEST(test_tokens_alive_finds_what_survives_deletes),
		STORE_TEST(test_a_commit_returns_once_its_wal_is_flushed),
		STORE_TEST(test_account_create_then_get),
		STORE_TEST(test_account_duplicate_username_is_taken),
		STORE_TEST(test_account_duplicate_email_is_taken),
		STORE_TEST(test_user_by_login_email_or_username_any_case),
		STORE_TEST(test_status_insert_round_trips_and_counts),
		STORE_TEST(test_reply_bumps_replies_count),
		STORE_TEST(test_reblog_bumps_reblogs_count),
		STORE_TEST(
			test_status_delete_fixes_counters_and_deletes_reblogs),
		STORE_TEST(test_unreblog_moves_reblogs_count),
		STORE_TEST(test_status_delete_twice_moves_counters_once),
		STORE_TEST(test_public_feed_shows_only_public_originals),
		STORE_TEST(test_feed_is_newest_first_and_limited),
		STORE_TEST(test_feed_max_id_pages_older),
		STORE_TEST(test_feed_since_id_gives_newest_above_cursor),
		STORE_TEST(test_feed_min_id_gives_page_right_after_cursor),
		STORE_TEST(test_feed_min_id_with_max_id_is_bounded),
		STORE_TEST(test_home_feed_includes_followed_only_after_follow),
		STORE_TEST(
			test_home_recent_matches_full_query_beyond_the_window),
		STORE_TEST(test_home_feed_in_memory_matches_the_query),
		STORE_TEST(
			test_home_fan_out_beyond_the_feeds_asks_the_held_ones),
		STORE_TEST(
			test_home_audience_leaves_out_other_servers_followers),
		STORE_TEST(test_remote_statuses_are_inserted_together),
		STORE_TEST(test_deliveries_kept_together_are_each_kept_once),
		STORE_TEST(test_fan_out_keeps_one_body_for_its_deliveries),
		STORE_TEST(test_home_holds_public_posts_with_a_followed_tag),
		STORE_TEST(test_follow_twice_counts_once),
		STORE_TEST(test_thread_path_extends_parent_path),
		STORE_TEST(test_thread_descendants_depth_first_from_root),
		STORE_TEST(test_thread_descendants_of_subtree),
		STORE_TEST(test_thread_descendants_resume_after_path),
		STORE_TEST(test_thread_descendants_respects_max),
		STORE_TEST(test_favourite_toggle_is_idempotent_and_counts),
		STORE_TEST(test_favourite_writes_its_notice),
		STORE_TEST(test_notifications_page_filters_types),
		STORE_TEST(test_notifications_page_min_id),
		STORE_TEST(test_idempotency_key_holds_within_window),
		STORE_TEST(test_marker_set_twice_bumps_version),
		STORE_TEST(test_search_index_follows_status_writes),
		STORE_TEST(test_search_index_follows_attachment_writes),
		STORE_TEST(test_search_backlog_takes_changes_before_the_flush),
		STORE_TEST(
			test_a_remote_edit_older_than_the_stored_one_is_stale),
		STORE_TEST(test_reports_are_kept_listed_and_reviewed),
		STORE_TEST(test_moderation_is_checked_logged_and_listed),
		STORE_TEST(test_search_index_forgets_a_deleted_account),
		STORE_TEST(test_search_index_check_notices_a_stale_index),
		STORE_TEST(test_account_search_prefix_and_rename),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
