/* bench_data.c — `chorus bench-data`: the benchmark data set.
 *
 * Fills an empty database, deterministically from a seed, with local
 * accounts, a follow graph, statuses (a trending #movement tag, threads up
 * to depth 50, mixed visibilities), favourites and reblogs. Everything goes
 * through domain/ (account_register, account_follow, status_post…) so the
 * rows are exactly those the server would have written. Ids are time-based
 * and so differ between runs; the content, the graph and the thread shapes
 * do not. bench/run.sh reads the `bench: key=value` lines printed last. */
#include "core/config.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/db.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bench_data_run(int accounts, int statuses, unsigned seed);

static const char bench_password[] = "benchmark-pass";
static const char bench_tag[] = "movement";

enum {
	BENCH_FOLLOWS_PER_ACCOUNT = 50,
	BENCH_MAX_DEPTH = 50,	/* deepest reply chain */
	BENCH_TAG_PERCENT = 10, /* statuses carrying #movement */
	BENCH_OTHER_TAG_PERCENT = 15,
	BENCH_REPLY_PERCENT = 40,
	BENCH_ROOT_REPLY_PERCENT = 10, /* of replies: to the movement's post */
	BENCH_RECENT_WINDOW = 2000,    /* replies go to recent statuses */
	BENCH_FAVOURITE_PERCENT = 50, /* one favourite per status, this often */
	BENCH_REBLOG_PERCENT = 5,
	BENCH_LINK_PERCENT = 5,
	BENCH_MIN_WORDS = 4,
	BENCH_MAX_WORDS = 24,
	BENCH_PROGRESS_STEPS = 10,
};

/* Visibility mix, in percent: public, unlisted, private, direct. */
static const int visibility_percent[] = {80, 10, 8, 2};

static const char *const words[] = {
	"the",	   "a",	      "we",	 "you",	     "they",	 "story",
	"voice",   "heard",   "believe", "together", "again",	 "never",
	"alone",   "today",   "years",	 "work",     "school",	 "home",
	"friend",  "sister",  "brother", "mother",   "city",	 "street",
	"night",   "morning", "long",	 "short",    "first",	 "last",
	"time",	   "thank",   "sharing", "reading",  "thread",	 "post",
	"courage", "support", "listen",	 "speak",    "change",	 "hope",
	"strong",  "quiet",   "loud",	 "enough",   "still",	 "here",
	"with",	   "for",     "and",	 "but",	     "because",	 "when",
	"after",   "before",  "every",	 "day",	     "week",	 "month",
	"people",  "many",    "some",	 "all",	     "more",	 "less",
	"said",	   "told",    "wrote",	 "asked",    "answered", "knew",
	"café",	   "naïve",   "über",	 "niño",     "straße",	 "日本",
	"🙂",	   "✊",	      "❤️",	 "is",	     "was",	 "will",
	"can",	   "must",    "should",	 "could",    "would",	 "not",
};
static const char *const other_tags[] = {
	"solidarity", "news",	   "photography", "art",   "music",
	"books",      "science",   "climate",	  "work",  "education",
	"health",     "cities",	   "travel",	  "food",  "sport",
	"politics",   "fediverse", "opensource",  "cats",  "dogs",
	"Café",	      "Straße",	   "日本語",	  "MeToo", "BlackLivesMatter",
};
#define COUNT(a) (sizeof(a) / sizeof *(a))

/* splitmix64: small, fast, and the same sequence on every platform. */
typedef struct rng {
	unsigned long long state;
} rng;

static unsigned long long rng_next(rng *r)
{
	unsigned long long z = (r->state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static size_t rng_below(rng *r, size_t n)
{
	return (size_t)(rng_next(r) % n);
}

static bool rng_percent(rng *r, int percent)
{
	return (int)rng_below(r, 100) < percent;
}

/* What the generator remembers of every status it posted. */
typedef struct posted {
	int64_t id;
	int author; /* index into the account table */
	unsigned char depth;
	visibility vis;
} posted;

typedef struct gen {
	rng r;
	int naccounts;
	int64_t *account_ids;
	posted *st;
	size_t nst;
	/* public/unlisted statuses below the depth cap, by index into st:
	 * what anyone may reply to, favourite or reblog */
	size_t *open;
	size_t nopen;
	size_t chain_tip; /* deepest status of the long chain */
	size_t last_link; /* the last status with a link: its number is a
			     word one post holds (for search) */
	int64_t replies;
	int64_t t0;
} gen;

static principal as_account(const gen *g, int who)
{
	principal p = {0};
	p.account_id = g->account_ids[who];
	p.scopes = "read write follow";
	return p;
}

static char *username(arena *a, int i)
{
	return arena_printf(a, "user%04d", i + 1);
}

static double elapsed_s(const gen *g)
{
	return (double)(time_mono_ns() - g->t0) / 1e9;
}

/* Register the accounts; ids into g->account_ids. Returns 0 or -1. */
static int make_accounts(gen *g)
{
	for (int i = 0; i < g->naccounts; i++) {
		arena a;
		arena_init(&a);
		const char *name = username(&a, i);
		registration reg = {
			.username = name,
			.email = arena_printf(&a, "%s@bench.invalid", name),
			.password = bench_password,
			.display_name = arena_printf(&a, "User %d", i + 1),
			.role = i == 0 ? "owner" : "user",
		};
		const char *field = NULL, *code = NULL, *msg = NULL;
		dom_err err = account_register(&a, &reg, &g->account_ids[i],
					       &field, &code, &msg);
		if (err)
			fprintf(stderr, "bench-data: %s: %s %s\n", name,
				field ? field : "account", msg ? msg : "");
		arena_release(&a);
		if (err)
			return -1;
	}
	printf("bench-data: %d accounts (%.1f s)\n", g->naccounts,
	       elapsed_s(g));
	return 0;
}

/* Each account follows BENCH_FOLLOWS_PER_ACCOUNT others (all others when
 * there are fewer), chosen uniformly. Returns the follow count or -1. */
static long make_follows(gen *g)
{
	int want = BENCH_FOLLOWS_PER_ACCOUNT;
	if (want > g->naccounts - 1)
		want = g->naccounts - 1;
	long total = 0;
	for (int i = 0; i < g->naccounts; i++) {
		principal p = as_account(g, i);
		for (int k = 0; k < want;) {
			int t = (int)rng_below(&g->r, (size_t)g->naccounts);
			if (t == i)
				continue;
			arena a;
			arena_init(&a);
			if (store_follows(p.account_id, g->account_ids[t])) {
				arena_release(&a);
				continue; /* drawn twice: draw again */
			}
			dom_err err = account_follow(&a, &p, g->account_ids[t],
						     true, false);
			arena_release(&a);
			if (err)
				return -1;
			k++;
			total++;
		}
	}
	printf("bench-data: %ld follows (%.1f s)\n", total, elapsed_s(g));
	return total;
}

static visibility pick_visibility(rng *r)
{
	int roll = (int)rng_below(r, 100);
	for (int v = 0; v < (int)COUNT(visibility_percent); v++) {
		if (roll < visibility_percent[v])
			return (visibility)v;
		roll -= visibility_percent[v];
	}
	return VIS_PUBLIC;
}

/* The parent index for the next status, or (size_t)-1 for a new thread.
 * Status 0 opens the movement; one chain grows steadily to
 * BENCH_MAX_DEPTH; other replies go to recent open statuses. */
static size_t pick_parent(gen *g, size_t i, size_t chain_every)
{
	if (i == 0)
		return (size_t)-1;
	if (i % chain_every == 0 && g->st[g->chain_tip].depth < BENCH_MAX_DEPTH)
		return g->chain_tip;
	if (!g->nopen || !rng_percent(&g->r, BENCH_REPLY_PERCENT))
		return (size_t)-1;
	if (rng_percent(&g->r, BENCH_ROOT_REPLY_PERCENT))
		return 0;
	size_t window =
		g->nopen < BENCH_RECENT_WINDOW ? g->nopen : BENCH_RECENT_WINDOW;
	return g->open[g->nopen - 1 - rng_below(&g->r, window)];
}

/* The text of status i: a mention of the parent's author for a reply (or
 * of someone for a direct message), random words, sometimes a link, the
 * movement's tag on a tenth, sometimes another tag. Arena memory. */
static const char *compose_text(arena *a, gen *g, size_t i, int mention,
				bool movement)
{
	char *t = mention >= 0 ? arena_printf(a, "@%s", username(a, mention))
			       : arena_strdup(a, "");
	size_t n = BENCH_MIN_WORDS +
		   rng_below(&g->r, BENCH_MAX_WORDS - BENCH_MIN_WORDS + 1);
	for (size_t k = 0; k < n; k++)
		t = arena_printf(a, "%s%s%s", t, *t ? " " : "",
				 words[rng_below(&g->r, COUNT(words))]);
	if (rng_percent(&g->r, BENCH_LINK_PERCENT)) {
		t = arena_printf(a, "%s https://example.com/story/%zu", t, i);
		g->last_link = i;
	}
	if (movement)
		t = arena_printf(a, "%s #%s", t, bench_tag);
	if (rng_percent(&g->r, BENCH_OTHER_TAG_PERCENT))
		t = arena_printf(
			a, "%s #%s", t,
			other_tags[rng_below(&g->r, COUNT(other_tags))]);
	return t;
}

/* After status i: maybe one favourite and one reblog of a recent open
 * status by a random account. Own-status and repeat attempts are fine:
 * the domain answers them as Mastodon does. */
static void interact(gen *g)
{
	if (!g->nopen)
		return;
	size_t window =
		g->nopen < BENCH_RECENT_WINDOW ? g->nopen : BENCH_RECENT_WINDOW;
	arena a;
	arena_init(&a);
	if (rng_percent(&g->r, BENCH_FAVOURITE_PERCENT)) {
		size_t target =
			g->open[g->nopen - 1 - rng_below(&g->r, window)];
		principal p = as_account(
			g, (int)rng_below(&g->r, (size_t)g->naccounts));
		status_favourite(&a, &p, g->st[target].id, true);
	}
	if (rng_percent(&g->r, BENCH_REBLOG_PERCENT)) {
		size_t target =
			g->open[g->nopen - 1 - rng_below(&g->r, window)];
		principal p = as_account(
			g, (int)rng_below(&g->r, (size_t)g->naccounts));
		int64_t rid;
		const char *msg;
		status_reblog(&a, &p, g->st[target].id, VIS_PUBLIC, &rid, &msg);
	}
	arena_release(&a);
}

/* Post status i. Returns 0 or -1. */
static int post_one(gen *g, size_t i, size_t chain_every)
{
	size_t parent = pick_parent(g, i, chain_every);
	bool reply = parent != (size_t)-1;
	bool movement = i == 0 || rng_percent(&g->r, BENCH_TAG_PERCENT);
	int author = (int)rng_below(&g->r, (size_t)g->naccounts);
	/* the movement's opening post and the chain stay public so the
	 * benchmark reads them anonymously */
	visibility vis = i == 0 || parent == g->chain_tip
				 ? VIS_PUBLIC
				 : pick_visibility(&g->r);
	int mention = reply ? g->st[parent].author : -1;
	if (vis == VIS_DIRECT && mention < 0)
		mention = (int)rng_below(&g->r, (size_t)g->naccounts);
	arena a;
	arena_init(&a);
	post_request r = {
		.text = compose_text(&a, g, i, mention, movement),
		.vis = vis,
		.language = "en",
		.in_reply_to_id = reply ? g->st[parent].id : 0,
	};
	principal p = as_account(g, author);
	status made;
	const char *msg = NULL;
	dom_err err = status_post(&a, &p, &r, &made, &msg);
	if (err)
		fprintf(stderr, "bench-data: status %zu: %s\n", i,
			msg ? msg : "refused");
	arena_release(&a);
	if (err)
		return -1;
	posted *s = &g->st[g->nst++];
	s->id = made.id;
	s->author = author;
	s->depth = reply ? (unsigned char)(g->st[parent].depth + 1) : 0;
	s->vis = vis;
	if (reply)
		g->replies++;
	if (reply && parent == g->chain_tip)
		g->chain_tip = i;
	if (vis <= VIS_UNLISTED && s->depth < BENCH_MAX_DEPTH)
		g->open[g->nopen++] = i;
	return 0;
}

static int make_statuses(gen *g, size_t total)
{
	/* extend the long chain often enough to reach full depth by half
	 * way through, whatever the data set size */
	size_t chain_every = total / (2 * BENCH_MAX_DEPTH);
	if (chain_every < 2)
		chain_every = 2;
	size_t step = total / BENCH_PROGRESS_STEPS;
	for (size_t i = 0; i < total; i++) {
		if (post_one(g, i, chain_every) < 0)
			return -1;
		interact(g);
		if (step && (i + 1) % step == 0) {
			double s = elapsed_s(g);
			printf("bench-data: %zu/%zu statuses (%.1f s)\n", i + 1,
			       total, s);
			fflush(stdout);
		}
	}
	return 0;
}

/* A count(*) over the generator's connection, or -1. */
static long long count_rows(const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;
	if (sqlite3_prepare_v2(db_conn(), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void print_summary(const gen *g)
{
	printf("bench-data: done in %.1f s\n", elapsed_s(g));
	printf("bench: accounts=%d\n", g->naccounts);
	printf("bench: statuses=%zu\n", g->nst);
	printf("bench: replies=%lld\n", (long long)g->replies);
	printf("bench: favourites=%lld\n",
	       count_rows("SELECT count(*) FROM favourites"));
	printf("bench: reblogs=%lld\n",
	       count_rows("SELECT count(*) FROM statuses"
			  " WHERE reblog_of_id IS NOT NULL"));
	printf("bench: follows=%lld\n",
	       count_rows("SELECT count(*) FROM follows"));
	printf("bench: user=user0001\n");
	printf("bench: password=%s\n", bench_password);
	printf("bench: tag=%s\n", bench_tag);
	if (g->nst) {
		/* the movement's opening post: public, most replied-to */
		printf("bench: status_id=%lld\n", (long long)g->st[0].id);
		printf("bench: deep_status_id=%lld\n",
		       (long long)g->st[g->chain_tip].id);
		printf("bench: deep_status_depth=%d\n",
		       g->st[g->chain_tip].depth);
		printf("bench: rare_word=%zu\n", g->last_link);
	}
	fflush(stdout);
}

/* Generate the data set into the (empty) open store. Returns 0, or -1
 * after printing why. */
int bench_data_run(int accounts, int statuses, unsigned seed)
{
	if (accounts < 2 || statuses < 0) {
		fputs("bench-data: need at least 2 accounts and 0 or more "
		      "statuses\n",
		      stderr);
		return -1;
	}
	if (store_count_local_users() > 0) {
		fputs("bench-data: the database is not empty; use a fresh "
		      "--data directory\n",
		      stderr);
		return -1;
	}
	/* This process only generates, so it may trade safety for speed:
	 * cheap Argon2 (the hashes carry their own parameters, so the server
	 * verifies them as usual) and no fsync per transaction (a crash
	 * here means generating again; bench/run.sh keeps a marker of
	 * completion). The server's own connections keep synchronous=FULL. */
	cfg.argon2_ops = 1;
	cfg.argon2_mem_kib = 8;
	if (sqlite3_exec(db_conn(), "PRAGMA synchronous=OFF", NULL, NULL,
			 NULL) != SQLITE_OK) {
		fprintf(stderr, "bench-data: %s\n", sqlite3_errmsg(db_conn()));
		return -1;
	}
	gen g = {.r = {seed}, .naccounts = accounts, .t0 = time_mono_ns()};
	g.account_ids = calloc((size_t)accounts, sizeof *g.account_ids);
	g.st = calloc((size_t)statuses + 1, sizeof *g.st);
	g.open = calloc((size_t)statuses + 1, sizeof *g.open);
	int rc = -1;
	if (!g.account_ids || !g.st || !g.open)
		fputs("bench-data: out of memory\n", stderr);
	else if (make_accounts(&g) == 0 && make_follows(&g) >= 0 &&
		 make_statuses(&g, (size_t)statuses) == 0 &&
		 store_search_flush() == 0) /* index it all now */
		rc = 0;
	/* leave a small WAL for the server that starts next */
	sqlite3_exec(db_conn(), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
		     NULL);
	if (rc == 0)
		print_summary(&g);
	free(g.account_ids);
	free(g.st);
	free(g.open);
	return rc;
}
