/* statuses.c — statuses, their threads, tags, mentions and feeds. */
#include "core/cache.h"
#include "core/feeds.h"
#include "core/id.h"
#include "core/time.h"
#include "domain/trends.h"
#include "store/db.h"
#include "store/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { THREAD_ID_BYTES = 8 };

#define STATUS_COLUMNS                                                         \
	"id, account_id, text, content, spoiler_text, sensitive, visibility,"  \
	" language, in_reply_to_id, in_reply_to_account_id, reblog_of_id,"     \
	" app_id, entities, created_at, edited_at, replies_count,"             \
	" reblogs_count, favourites_count, thread_root_id, thread_path"

static void status_from_row(arena *ar, db_stmt *st, status *s)
{
	memset(s, 0, sizeof *s);
	s->id = db_column_int64(st, 0);
	s->account_id = db_column_int64(st, 1);
	s->text = arena_strdup(ar, db_text(st, 2));
	s->content = arena_strdup(ar, db_text(st, 3));
	s->spoiler_text = arena_strdup(ar, db_text(st, 4));
	s->sensitive = db_column_int(st, 5);
	s->vis = (visibility)db_column_int(st, 6);
	const char *lang = db_text_or_null(st, 7);
	s->language = lang ? arena_strdup(ar, lang) : NULL;
	s->in_reply_to_id = db_column_int64(st, 8);
	s->in_reply_to_account_id = db_column_int64(st, 9);
	s->reblog_of_id = db_column_int64(st, 10);
	s->app_id = db_column_int64(st, 11);
	s->entities = arena_strdup(ar, db_text(st, 12));
	s->created_at = db_column_int64(st, 13);
	s->edited_at = db_column_int64(st, 14);
	s->replies_count = db_column_int64(st, 15);
	s->reblogs_count = db_column_int64(st, 16);
	s->favourites_count = db_column_int64(st, 17);
	s->thread_root_id = db_column_int64(st, 18);
	if (!db_column_is_null(st, 19)) {
		s->thread_path_len = db_column_bytes(st, 19);
		unsigned char *path = arena_alloc(ar, s->thread_path_len);
		memcpy(path, db_column_blob(st, 19), s->thread_path_len);
		s->thread_path = path;
	}
}

/* Rows read ahead by store_statuses_prefetch, for the store_status_get
 * calls of the same snapshot. */
static _Thread_local struct {
	status *rows;
	size_t n;
	uint64_t snapshot; /* store_snapshot() when read; 0: none */
} ahead;

/* The viewer's flags read with those rows, for the page's render
 * (db_page_flags): kept past store_statuses_prefetch_end, which comes
 * before the render, and gathered over the page's batches; good for one
 * snapshot and one viewer. */
typedef struct flagged_row {
	int64_t id;
	unsigned bits; /* 1 << FLAGS_SQL's kind */
} flagged_row;
static _Thread_local struct {
	flagged_row *rows;
	size_t n, cap;
	int64_t viewer;
	uint64_t snapshot;
} flagged;

/* The listed statuses (?N), then those they boost: two index walks (an
 * OR of the two made PostgreSQL filter every row of the table). */
/* clang-format off */
#define LISTED(N) DB_IN_IDS_PG("id", N)
#define PAGE_ROWS(N)                                                           \
	"SELECT " STATUS_COLUMNS " FROM statuses WHERE " LISTED(N)             \
	" UNION ALL SELECT " STATUS_COLUMNS                                    \
	" FROM statuses WHERE id IN (SELECT reblog_of_id"                      \
	" FROM statuses WHERE " LISTED(N) ")"
/* FLAGS_SQL over the page's rows, whatever they are */
#define IN_PAGE(col, n) col " = ANY(ARRAY(SELECT id FROM page))"
static const char sql_page[] = PAGE_ROWS(1);
/* A signed-in page's rows (?2) with its viewer's (?1) flags as one more
 * column, in one statement: a round trip less than the flags apart. */
static const char sql_page_flagged[] =
	"WITH page AS MATERIALIZED (" PAGE_ROWS(2) ")"
	" SELECT p.*, COALESCE(g.bits, 0) FROM page p LEFT JOIN"
	" (SELECT id, bit_or(1 << k) AS bits FROM (" FLAGS_SQL(IN_PAGE)
	") AS f (k, id) GROUP BY id) AS g ON g.id = p.id";
/* clang-format on */
#undef IN_PAGE
#undef PAGE_ROWS
#undef LISTED

/* Keep the flags column of st's row (read as s) for viewer. */
static void flags_keep(arena *ar, db_stmt *st, const status *s, int64_t viewer,
		       uint64_t snap)
{
	if (flagged.snapshot != snap || flagged.viewer != viewer) {
		flagged.rows = NULL;
		flagged.n = flagged.cap = 0;
		flagged.viewer = viewer;
		flagged.snapshot = snap;
	}
	flagged.rows = db_grow(ar, flagged.rows, flagged.n, &flagged.cap,
			       sizeof *flagged.rows);
	flagged.rows[flagged.n++] =
		(flagged_row){s->id, (unsigned)db_column_int(st, 20)};
}

void store_statuses_prefetch(arena *ar, const int64_t *ids, size_t n,
			     int64_t viewer)
{
	ahead.n = 0;
	ahead.snapshot = 0;
	/* SQLite answers a lookup in a function call; PostgreSQL in a round
	 * trip, and a page makes one per status */
	uint64_t snap = store_snapshot();
	if (!DB_PG || n == 0 || !snap)
		return;
	db_stmt *st = db_prepare(viewer ? sql_page_flagged : sql_page);
	if (viewer)
		db_bind_int64(st, 1, viewer);
	if (!db_bind_ids(st, viewer ? 2 : 1, ids, n))
		return;
	size_t cap = 0, got = 0;
	status *rows = NULL;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		rows = db_grow(ar, rows, got, &cap, sizeof *rows);
		status_from_row(ar, st, &rows[got]);
		if (viewer)
			flags_keep(ar, st, &rows[got], viewer, snap);
		got++;
	}
	db_reset(st);
	ahead.rows = rows;
	ahead.n = got;
	ahead.snapshot = rc == DB_DONE ? snap : 0;
	if (rc != DB_DONE)
		flagged.snapshot = 0; /* what it kept may be short */
}

bool db_page_flags(int64_t viewer, const int64_t *ids, size_t n,
		   status_flags *out)
{
	if (!flagged.snapshot || flagged.snapshot != store_snapshot() ||
	    flagged.viewer != viewer)
		return false;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (ids[i] && j < flagged.n && flagged.rows[j].id != ids[i])
			j++;
		if (ids[i] && j == flagged.n)
			return false;
		for (int kind = 0; ids[i] && kind <= 4; kind++)
			if (flagged.rows[j].bits & 1u << kind)
				db_flag_set(&out[i], kind);
	}
	return true;
}

void store_statuses_prefetch_end(void)
{
	ahead.n = 0;
	ahead.snapshot = 0;
}

bool store_status_get(arena *ar, int64_t id, status *out)
{
	if (ahead.snapshot && ahead.snapshot == store_snapshot())
		for (size_t i = 0; i < ahead.n; i++)
			if (ahead.rows[i].id == id) {
				*out = ahead.rows[i];
				return true;
			}
	db_stmt *st = db_prepare("SELECT " STATUS_COLUMNS
				 " FROM statuses WHERE id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		status_from_row(ar, st, out);
	db_reset(st);
	return found;
}

static void put_id_be(unsigned char *p, int64_t id)
{
	for (int i = THREAD_ID_BYTES - 1; i >= 0; i--) {
		p[i] = (unsigned char)(id & 0xff);
		id >>= 8;
	}
}

const void *store_thread_path(arena *ar, int64_t id, int64_t *root, size_t *len)
{
	db_stmt *st = db_prepare("SELECT thread_root_id, thread_path"
				 " FROM statuses WHERE id = ?1");
	db_bind_int64(st, 1, id);
	void *path = NULL;
	if (db_step(st) == DB_ROW && !db_column_is_null(st, 1)) {
		*root = db_column_int64(st, 0);
		*len = db_column_bytes(st, 1);
		path = arena_alloc(ar, *len);
		memcpy(path, db_column_blob(st, 1), *len);
	}
	db_reset(st);
	return path;
}

static int insert_tags_mentions(int64_t status_id, const store_tag_ref *tags,
				size_t ntags, const int64_t *mentions,
				size_t nmentions, int64_t now)
{
	int rc;
	for (size_t i = 0; i < ntags; i++) {
		db_stmt *st = db_prepare(
			"INSERT INTO tags (name, key, created_at)"
			" VALUES (?1, ?2, ?3) ON CONFLICT(key) DO NOTHING");
		db_bind_text(st, 1, tags[i].name);
		db_bind_text(st, 2, tags[i].key);
		db_bind_int64(st, 3, now);
		if ((rc = db_queue(st)) < 0)
			return rc;
		st = db_prepare("INSERT INTO status_tags (tag_id, status_id)"
				" SELECT id, ?2 FROM tags WHERE key = ?1"
				" ON CONFLICT DO NOTHING");
		db_bind_text(st, 1, tags[i].key);
		db_bind_int64(st, 2, status_id);
		if ((rc = db_queue(st)) < 0)
			return rc;
	}
	for (size_t i = 0; i < nmentions; i++) {
		/* a mention an edit removed and a later one restores is
		 * current again */
		db_stmt *st = db_prepare(
			"INSERT INTO mentions (status_id, account_id)"
			" VALUES (?1, ?2) ON CONFLICT (status_id, account_id)"
			" DO UPDATE SET removed = 0");
		db_bind_int64(st, 1, status_id);
		db_bind_int64(st, 2, mentions[i]);
		if ((rc = db_queue(st)) < 0)
			return rc;
	}
	return 0;
}

static int bump(const char *sql, int64_t id, int delta)
{
	db_stmt *st = db_prepare(sql);
	db_bind_int64(st, 1, id);
	db_bind_int(st, 2, delta);
	return db_queue(st);
}

static const char sql_bump_replies[] =
	"UPDATE statuses SET replies_count = greatest(0, replies_count + ?2)"
	" WHERE id = ?1";
static const char sql_bump_reblogs[] =
	"UPDATE statuses SET reblogs_count = greatest(0, reblogs_count + ?2)"
	" WHERE id = ?1";
static const char sql_bump_account_statuses[] =
	"UPDATE accounts SET statuses_count = greatest(0, statuses_count + ?2)"
	" WHERE id = ?1";

bool store_counts_as_reply(visibility v)
{
	return v == VIS_PUBLIC || v == VIS_UNLISTED;
}

bool store_counts_as_status(visibility v)
{
	return v != VIS_DIRECT;
}

/* Count a new reply (one replies_count counts) in its thread's day,
 * overall and under each hashtag of the reply or of the thread's root:
 * what the busiest-threads reads rank by (migration 14). */
static int count_thread_reply(const status *s, int64_t root)
{
	int64_t day = s->created_at / TREND_DAY_MS;
	db_stmt *st =
		db_prepare("INSERT INTO thread_days (day, root_id, replies)"
			   " VALUES (?1, ?2, 1) ON CONFLICT (day, root_id)"
			   " DO UPDATE SET replies = thread_days.replies + 1");
	db_bind_int64(st, 1, day);
	db_bind_int64(st, 2, root);
	int rc = db_queue(st);
	if (rc < 0)
		return rc;
	st = db_prepare("INSERT INTO tag_thread_days (tag_id, day, root_id,"
			" replies) SELECT DISTINCT tag_id, ?1, ?2, 1"
			" FROM status_tags WHERE status_id IN (?2, ?3)"
			" ON CONFLICT (tag_id, day, root_id)"
			" DO UPDATE SET replies = tag_thread_days.replies + 1");
	db_bind_int64(st, 1, day);
	db_bind_int64(st, 2, root);
	db_bind_int64(st, 3, s->id);
	return db_queue(st);
}

/* Count a new public original's hashtags (distinct keys, as posting
 * passes them) in their day counters and trend scores: what Mastodon's
 * Trends::Tags#register counts, no boosts and only public posts. */
static int count_tag_uses(const status *s, const store_tag_ref *tags,
			  size_t ntags)
{
	if (s->vis != VIS_PUBLIC || s->reblog_of_id)
		return 0;
	for (size_t i = 0; i < ntags; i++) {
		int rc = store_trends_tag_use_tx(tags[i].key, s->account_id,
						 s->created_at);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The accounts whose home s belongs in (HOME_FEED's rule turned
 * around), followers narrowed by FOLLOWERS (SQL, or ""), taggers by
 * TAGGERS. Only this server's followers have a home here: those on
 * other servers are left to their servers (migration 33's index). */
/* clang-format off */
#define HOME_AUDIENCE(FOLLOWERS, TAGGERS)                                       \
	"SELECT r FROM (SELECT ?1 AS r UNION ALL"                              \
	" SELECT account_id FROM follows WHERE target_id = ?1"                 \
	" AND local_follower = 1" FOLLOWERS                                    \
	") AS a WHERE ?2 = 0 OR ?3 = ?1 OR r = ?3 OR EXISTS (SELECT 1"         \
	" FROM follows WHERE account_id = r AND target_id = ?3)"               \
	/* FOLLOWED_TAG turned around (a repeat only pushes twice) */          \
	" UNION ALL SELECT tf.account_id FROM status_tags st"                  \
	" JOIN tag_follows tf ON tf.tag_id = st.tag_id"                        \
	" WHERE st.status_id = ?4 AND ?5 = 0 AND ?6 = 0" TAGGERS
/* clang-format on */

static void bind_audience(db_stmt *st, const status *s)
{
	db_bind_int64(st, 1, s->account_id);
	db_bind_int64(st, 2, s->in_reply_to_id);
	db_bind_int64(st, 3, s->in_reply_to_account_id);
	db_bind_int64(st, 4, s->id);
	db_bind_int(st, 5, (int)s->vis);
	db_bind_int64(st, 6, s->reblog_of_id);
}

/* Each row of st (one id a row) to each: how many, or -1. */
static long audience_rows(db_stmt *st, void (*each)(int64_t, void *), void *ctx)
{
	long n = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		each(db_column_int64(st, 0), ctx);
		n++;
	}
	db_reset(st);
	return rc == DB_DONE ? n : rc < 0 ? rc : -1;
}

long store_home_audience(const status *s, size_t limit,
			 void (*each)(int64_t, void *), void *ctx)
{
	db_stmt *st = db_prepare(HOME_AUDIENCE("", "") " LIMIT ?7");
	bind_audience(st, s);
	db_bind_int64(st, 7, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	return audience_rows(st, each, ctx);
}

int store_home_audience_among(const status *s, const int64_t *among, size_t n,
			      void (*each)(int64_t, void *), void *ctx)
{
	if (n == 0)
		return 0;
#define WHO(IN_IDS)    " AND " IN_IDS("account_id", 7)
#define TAGGER(IN_IDS) " AND " IN_IDS("tf.account_id", 7)
	/* the author's own row is not narrowed: one more, harmless */
	db_stmt *st = db_prepare(DB_SQL(
		HOME_AUDIENCE(WHO(DB_IN_IDS_SQLITE), TAGGER(DB_IN_IDS_SQLITE)),
		HOME_AUDIENCE(WHO(DB_IN_IDS_PG), TAGGER(DB_IN_IDS_PG))));
#undef WHO
#undef TAGGER
	bind_audience(st, s);
	if (!db_bind_ids(st, 7, among, n))
		return -1;
	long rc = audience_rows(st, each, ctx);
	return rc < 0 ? -1 : 0;
}

/* Ids gathered from audience_rows. */
typedef struct id_list {
	int64_t *ids;
	size_t n, cap;
	bool lost; /* out of memory */
} id_list;

static void id_list_add(int64_t id, void *ctx)
{
	id_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int64_t *more = realloc(l->ids, cap * sizeof *more);
		if (!more) {
			l->lost = true;
			return;
		}
		l->ids = more;
		l->cap = cap;
	}
	l->ids[l->n++] = id;
}

/* s belongs in more homes than the feeds can hold (a million followers):
 * reading them all, under the write lock, would cost more than every
 * feed is worth. Only the owners held now are asked about. */
static int fan_out_asked(const status *s, size_t capacity)
{
	int64_t *asked = malloc((capacity + 1) * sizeof *asked);
	if (!asked)
		return -1;
	size_t nasked = feeds_owners(feeds_home, asked, capacity);
	id_list in = {0};
	int rc = store_home_audience_among(s, asked, nasked, id_list_add, &in);
	if (rc == 0 && in.lost)
		rc = -1;
	if (rc == 0) {
		if (in.n) /* qsort wants an array, even of none */
			qsort(in.ids, in.n, sizeof *in.ids, id_cmp);
		rc = db_feed_push_asked(s->id, asked, nasked, in.ids, in.n);
	}
	free(in.ids);
	free(asked);
	return rc;
}

static void push_home(int64_t owner, void *ctx)
{
	db_feed_push(owner, ((const status *)ctx)->id);
}

/* Push a new status onto the home feed of each account whose home it
 * belongs in: each one read and pushed, up to one more than the feeds
 * hold; past that, the held ones are asked about (and those already
 * pushed get it twice, which a feed lists once). */
static int fan_out(const status *s)
{
	if (!feeds_home)
		return 0;
	size_t capacity = feeds_capacity(feeds_home);
	long n = store_home_audience(s, capacity + 1, push_home, (void *)s);
	if (n < 0)
		return (int)n;
	return (size_t)n > capacity ? fan_out_asked(s, capacity) : 0;
}

/* Whether s may be inserted, inside the insert's transaction, before
 * anything is written: what it replies to or boosts must still be
 * there, and visible to its author: a delete (or unfollow) that
 * committed since the caller's check answers STORE_GONE, not a foreign
 * key failure (nor a reply to a post already gone). 0, or the answer. */
static int status_insert_allowed(const status *s)
{
	int rc = 0;
	if ((s->in_reply_to_id &&
	     (rc = db_interaction_check(s->in_reply_to_id, s->account_id,
					INTERACT_REPLY)) < 0) ||
	    (s->reblog_of_id &&
	     (rc = db_interaction_check(s->reblog_of_id, s->account_id,
					INTERACT_REBLOG)) < 0))
		return rc;
	return 0;
}

/* The writes of an insert that status_insert_allowed allowed, inside
 * the caller's transaction: s->id is taken here, under the write lock,
 * so ids follow commit order. */
static int status_insert_allowed_tx(status *s, const store_tag_ref *tags,
				    size_t ntags, const int64_t *mentions,
				    size_t nmentions)
{
	s->id = DB_NEW_ID("statuses");
	/* thread path = parent's path + own id; a root's path is its id */
	unsigned char *path = NULL;
	size_t path_len = 0;
	int64_t root = 0;
	int rc;
	arena tmp;
	arena_init(&tmp);
	if (!s->reblog_of_id) {
		const unsigned char *parent = NULL;
		size_t plen = 0;
		if (s->in_reply_to_id)
			parent = store_thread_path(&tmp, s->in_reply_to_id,
						   &root, &plen);
		if (!parent)
			root = s->id;
		path_len = plen + THREAD_ID_BYTES;
		path = arena_alloc(&tmp, path_len);
		if (plen)
			memcpy(path, parent, plen);
		put_id_be(path + plen, s->id);
	}
	db_stmt *st = db_prepare(
		"INSERT INTO statuses (id, account_id, text, content,"
		" spoiler_text, sensitive, visibility, language, "
		"in_reply_to_id,"
		" in_reply_to_account_id, reblog_of_id, thread_root_id,"
		" thread_path, app_id, entities, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13, ?14, ?15, ?16)");
	db_bind_int64(st, 1, s->id);
	db_bind_int64(st, 2, s->account_id);
	db_bind_text(st, 3, s->text);
	db_bind_text(st, 4, s->content);
	db_bind_text(st, 5, s->spoiler_text);
	db_bind_int(st, 6, s->sensitive);
	db_bind_int(st, 7, s->vis);
	if (s->language)
		db_bind_text(st, 8, s->language);
	if (s->in_reply_to_id) {
		db_bind_int64(st, 9, s->in_reply_to_id);
		db_bind_int64(st, 10, s->in_reply_to_account_id);
	}
	if (s->reblog_of_id)
		db_bind_int64(st, 11, s->reblog_of_id);
	if (path) {
		db_bind_int64(st, 12, root);
		db_bind_blob(st, 13, path, path_len);
	}
	if (s->app_id)
		db_bind_int64(st, 14, s->app_id);
	db_bind_text(st, 15, s->entities);
	db_bind_int64(st, 16, s->created_at);
	rc = db_queue(st);
	arena_release(&tmp);
	if (rc < 0)
		return rc;
	if (s->uri) { /* another server's: unique by its id */
		st = db_prepare("INSERT INTO remote_statuses (status_id, uri,"
				" url) VALUES (?1, ?2, ?3)");
		db_bind_int64(st, 1, s->id);
		db_bind_text(st, 2, s->uri);
		db_bind_text_or_null(st, 3, s->url);
		if ((rc = db_done(st)) < 0)
			return rc;
	}
	if ((rc = insert_tags_mentions(s->id, tags, ntags, mentions, nmentions,
				       s->created_at)) < 0 ||
	    (rc = store_status_policy_put_tx(s)) < 0 ||
	    (rc = count_tag_uses(s, tags, ntags)) < 0)
		return rc;
	if (s->nmedia &&
	    (rc = store_media_attach_tx(s->id, s->account_id, s->media_ids,
					s->nmedia)) < 0)
		return rc;
	/* a queued write's failure (a second boost: STORE_TAKEN) is the
	 * answer of whichever statement reads next (db_queue) */
	if (s->in_reply_to_id && store_counts_as_reply(s->vis) &&
	    ((rc = bump(sql_bump_replies, s->in_reply_to_id, 1)) < 0 ||
	     (rc = count_thread_reply(s, root)) < 0))
		return rc;
	if (s->reblog_of_id &&
	    ((rc = bump(sql_bump_reblogs, s->reblog_of_id, 1)) < 0 ||
	     (rc = store_trends_status_tx(s->reblog_of_id)) < 0))
		return rc;
	st = db_prepare(
		"UPDATE accounts SET statuses_count = statuses_count + ?3,"
		" last_status_at = ?2 WHERE id = ?1");
	db_bind_int64(st, 1, s->account_id);
	db_bind_int64(st, 2, s->created_at);
	db_bind_int(st, 3, store_counts_as_status(s->vis) ? 1 : 0);
	if ((rc = db_queue(st)) < 0)
		return rc;
	db_touch(cache_accounts, s->account_id);
	/* the parent's or boosted post's counters moved; its cached
	 * rendering holds none (render.c) */
	if (s->in_reply_to_id || s->reblog_of_id)
		db_touch_epoch();
	if (s->then_job &&
	    (rc = store_job_enqueue(s->then_job, s->id, s->created_at)) < 0)
		return rc;
	return fan_out(s);
}

/* The body of an insert, inside the caller's transaction. */
static int status_insert_tx(status *s, const store_tag_ref *tags, size_t ntags,
			    const int64_t *mentions, size_t nmentions)
{
	int rc = status_insert_allowed(s);
	return rc < 0 ? rc
		      : status_insert_allowed_tx(s, tags, ntags, mentions,
						 nmentions);
}

int store_remote_statuses_insert(store_new_status *p, size_t n)
{
	if (db_begin() < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* under the write lock the answer is final; a post twice in
		 * the batch (two activities, one Note) finds its first */
		status *s = p[i].s;
		if (store_status_by_uri(s->uri)) {
			p[i].rc = STORE_TAKEN;
			continue;
		}
		int rc = status_insert_allowed(s);
		if (rc == -1 ||
		    (rc == 0 && (rc = status_insert_allowed_tx(
					 s, p[i].tags, p[i].ntags,
					 p[i].mentions, p[i].nmentions)) < 0)) {
			db_rollback(); /* a write of this one's failed */
			return -1;
		}
		p[i].rc = rc;
	}
	if (db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

/* After status_insert_tx: the author's row to read with the COMMIT,
 * for s->account (NULL: not wanted). */
static db_stmt *author_after(arena *ar, const status *s)
{
	return ar ? db_account_after_commit(s->account_id) : NULL;
}

/* Once committed (or not): the author's row into s->account. */
static void author_read(arena *ar, db_stmt *st, status *s, bool committed)
{
	if (!st)
		return;
	account *acc = committed ? arena_alloc(ar, sizeof *acc) : NULL;
	if (acc && db_account_read(ar, st, acc))
		s->account = acc;
	db_reset(st);
}

int store_status_insert(arena *ar, status *s, const store_tag_ref *tags,
			size_t ntags, const int64_t *mentions, size_t nmentions)
{
	if (db_begin() < 0)
		return -1;
	int rc = status_insert_tx(s, tags, ntags, mentions, nmentions);
	if (rc >= 0 && s->notice && store_notice_write(s->notice) < 0)
		rc = -1;
	db_stmt *author = rc < 0 ? NULL : author_after(ar, s);
	if (rc < 0 || (rc = db_commit()) < 0) {
		db_rollback();
		author_read(ar, author, s, false);
		return rc;
	}
	author_read(ar, author, s, true);
	return 0;
}

int store_status_insert_once(arena *ar, status *s, const store_tag_ref *tags,
			     size_t ntags, const int64_t *mentions,
			     size_t nmentions, const char *key,
			     int64_t since_ms, int64_t *existing)
{
	if (db_begin() < 0)
		return -1;
	if (store_idempotency_get(s->account_id, key, since_ms, existing)) {
		db_rollback();
		return 1;
	}
	int rc = status_insert_tx(s, tags, ntags, mentions, nmentions);
	if (rc >= 0 && s->notice && store_notice_write(s->notice) < 0)
		rc = -1;
	if (rc >= 0)
		rc = store_idempotency_put(s->account_id, key, s->id,
					   s->created_at);
	db_stmt *author = rc < 0 ? NULL : author_after(ar, s);
	if (rc < 0 || (rc = db_commit()) < 0) {
		db_rollback();
		author_read(ar, author, s, false);
		return rc;
	}
	author_read(ar, author, s, true);
	return 0;
}

int store_status_delete(const status *s)
{
	if (db_begin() < 0)
		return -1;
	/* a concurrent delete may have won since the caller loaded s: then
	 * there is nothing to do, and the counters must not move twice */
	if (!db_status_exists(s->id)) {
		db_rollback();
		return STORE_GONE;
	}
	/* reblogs of this status go with it; their authors' counts too */
	db_stmt *st =
		db_prepare("UPDATE accounts SET statuses_count = greatest(0, "
			   "statuses_count - 1)"
			   " WHERE id IN (SELECT account_id FROM statuses"
			   " WHERE reblog_of_id = ?1)");
	db_bind_int64(st, 1, s->id);
	if (db_done(st) < 0)
		goto fail;
	/* counted here, inside the transaction: a boost committed after the
	 * caller loaded s (reblogs_count 0 then) is deleted too, and its
	 * booster's cached account must go with it */
	bool had_reblogs = db_changes() > 0;
	/* its attachments go with it (the caller removes their files) */
	st = db_prepare("DELETE FROM media_attachments WHERE status_id = ?1");
	db_bind_int64(st, 1, s->id);
	if (db_done(st) < 0)
		goto fail;
	st = db_prepare("DELETE FROM statuses WHERE id = ?1");
	db_bind_int64(st, 1, s->id);
	if (db_done(st) < 0)
		goto fail;
	if (s->in_reply_to_id && store_counts_as_reply(s->vis) &&
	    bump(sql_bump_replies, s->in_reply_to_id, -1))
		goto fail;
	if (s->reblog_of_id && (bump(sql_bump_reblogs, s->reblog_of_id, -1) ||
				store_trends_status_tx(s->reblog_of_id) < 0))
		goto fail;
	db_touch(cache_statuses, s->id);
	db_touch(cache_folds, s->id);
	db_touch(cache_accounts, s->account_id);
	if (s->in_reply_to_id || s->reblog_of_id)
		db_touch_epoch(); /* their counters moved */
	if (had_reblogs)	  /* rebloggers' statuses_count moved */
		db_touch_all();
	if ((store_counts_as_status(s->vis) &&
	     bump(sql_bump_account_statuses, s->account_id, -1) < 0) ||
	    db_commit() < 0)
		goto fail;
	return 0;
fail:
	db_rollback();
	return -1;
}

static bool has_edits(int64_t status_id)
{
	db_stmt *st =
		db_prepare("SELECT 1 FROM status_edits WHERE status_id = ?1");
	db_bind_int64(st, 1, status_id);
	bool yes = db_step(st) == DB_ROW;
	db_reset(st);
	return yes;
}

/* Record one version of a status's text in its edit history; returns
 * the version's id, or -1. */
static int64_t insert_edit(const status *v, int64_t at)
{
	db_stmt *st =
		db_prepare("INSERT INTO status_edits (status_id, text, content,"
			   " spoiler_text, sensitive, created_at)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");
	db_bind_int64(st, 1, v->id);
	db_bind_text(st, 2, v->text);
	db_bind_text(st, 3, v->content);
	db_bind_text(st, 4, v->spoiler_text);
	db_bind_int(st, 5, v->sensitive);
	db_bind_int64(st, 6, at);
	int64_t id = db_step(st) == DB_ROW ? db_column_int64(st, 0) : -1;
	db_reset(st);
	return id;
}

/* The original version (the first edit records it): addressed to the
 * status's mentions as they are before the edit. 0 or -1. */
static int record_original(const status *old)
{
	int64_t edit = insert_edit(old, old->created_at);
	if (edit < 0)
		return -1;
	db_stmt *st = db_prepare(
		"INSERT INTO status_edit_mentions (edit_id, account_id)"
		" SELECT ?1, account_id FROM mentions WHERE status_id = ?2"
		" AND removed = 0");
	db_bind_int64(st, 1, edit);
	db_bind_int64(st, 2, old->id);
	return db_done(st);
}

/* The new version s, made at, addressed to mentions[0..n). 0 or -1. */
static int record_version(const status *s, int64_t at, const int64_t *mentions,
			  size_t n)
{
	int64_t edit = insert_edit(s, at);
	if (edit < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		db_stmt *st = db_prepare(
			"INSERT INTO status_edit_mentions (edit_id, account_id)"
			" VALUES (?1, ?2) ON CONFLICT DO NOTHING");
		db_bind_int64(st, 1, edit);
		db_bind_int64(st, 2, mentions[i]);
		if (db_done(st) < 0)
			return -1;
	}
	return 0;
}

int store_status_update(const status *old, const status *s,
			const store_tag_ref *tags, size_t ntags,
			const int64_t *mentions, size_t nmentions)
{
	if (db_begin() < 0)
		return -1;
	int rc = STORE_GONE; /* deleted since the caller loaded old */
	if (!db_status_exists(old->id))
		goto fail;
	rc = -1;
	int64_t at;
	if (s->uri) {
		/* another server's edit, dated there: one that comes after a
		 * newer one is dropped (the stored date was written by the
		 * same rule, under this lock) */
		at = s->edited_at;
		rc = STORE_STALE;
		if (at <= db_int64("SELECT edited_at FROM statuses"
				   " WHERE id = ?1 AND ?2 = ?2",
				   old->id, 0))
			goto fail;
		rc = -1;
	} else {
		/* the edit's time is taken here, under the write lock, so
		 * versions are dated in the order they commit (never before
		 * the last one, should the clock step back) */
		at = time_now_ms();
		int64_t last =
			db_int64("SELECT max(created_at) FROM status_edits"
				 " WHERE status_id = ?1 AND ?2 = ?2",
				 old->id, 0);
		if (at < last)
			at = last;
	}
	/* the first edit also records the original as version one */
	db_stmt *st;
	if ((!has_edits(old->id) && record_original(old) < 0) ||
	    record_version(s, at, mentions, nmentions) < 0)
		goto fail;
	st = db_prepare("UPDATE statuses SET text = ?2, content = ?3,"
			" spoiler_text = ?4, sensitive = ?5, language = ?6,"
			" entities = ?7, edited_at = ?8 WHERE id = ?1");
	db_bind_int64(st, 1, s->id);
	db_bind_text(st, 2, s->text);
	db_bind_text(st, 3, s->content);
	db_bind_text(st, 4, s->spoiler_text);
	db_bind_int(st, 5, s->sensitive);
	if (s->language)
		db_bind_text(st, 6, s->language);
	db_bind_text(st, 7, s->entities);
	db_bind_int64(st, 8, at);
	if (db_done(st) < 0)
		goto fail;
	st = db_prepare("DELETE FROM status_tags WHERE status_id = ?1");
	db_bind_int64(st, 1, s->id);
	if (db_done(st) < 0)
		goto fail;
	/* removed mentions keep their row (access to what they received);
	 * the new ones are upserted current below */
	st = db_prepare("UPDATE mentions SET removed = 1 WHERE status_id = ?1");
	db_bind_int64(st, 1, s->id);
	if (db_done(st) < 0)
		goto fail;
	db_touch(cache_statuses, s->id);
	db_touch(cache_folds, s->id); /* its texts changed */
	if (insert_tags_mentions(s->id, tags, ntags, mentions, nmentions, at) <
	    0)
		goto fail;
	if (s->media_ids &&
	    (rc = store_media_attach_tx(s->id, s->account_id, s->media_ids,
					s->nmedia)) < 0)
		goto fail;
	if ((rc = db_commit()) < 0)
		goto fail;
	return 0;
fail:
	db_rollback();
	return rc;
}

size_t store_status_edits(arena *ar, int64_t id, int64_t viewer,
			  size_t overhead, size_t max_bytes, status **out,
			  bool **addressed)
{
	db_stmt *st = db_prepare(
		"SELECT count(*) FROM status_edits WHERE status_id = ?1");
	db_bind_int64(st, 1, id);
	size_t n = db_step(st) == DB_ROW ? (size_t)db_column_int64(st, 0) : 0;
	db_reset(st);
	*out = arena_alloc(ar, (n + 1) * sizeof **out);
	*addressed = arena_alloc(ar, (n + 1) * sizeof **addressed);
	st = db_prepare(
		"SELECT text, content, spoiler_text, sensitive,"
		" created_at, EXISTS (SELECT 1 FROM status_edit_mentions m"
		" WHERE m.edit_id = e.id AND m.account_id = ?2)"
		" FROM status_edits e WHERE status_id = ?1"
		" ORDER BY id DESC");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, viewer);
	size_t i = 0, used = 0;
	while (i < n && db_step(st) == DB_ROW) {
		size_t w = overhead + db_column_bytes(st, 0) +
			   db_column_bytes(st, 1) + db_column_bytes(st, 2);
		if (i > 0 && used + w > max_bytes)
			break;
		used += w;
		status *e = &(*out)[i];
		memset(e, 0, sizeof *e);
		e->id = id;
		e->text = arena_strdup(ar, db_text(st, 0));
		e->content = arena_strdup(ar, db_text(st, 1));
		e->spoiler_text = arena_strdup(ar, db_text(st, 2));
		e->sensitive = db_column_int(st, 3);
		e->created_at = db_column_int64(st, 4);
		(*addressed)[i++] = db_column_int(st, 5) != 0;
	}
	db_reset(st);
	for (size_t k = 0; k < i / 2; k++) { /* newest first → oldest first */
		status t = (*out)[k];
		(*out)[k] = (*out)[i - 1 - k];
		(*out)[i - 1 - k] = t;
		bool f = (*addressed)[k];
		(*addressed)[k] = (*addressed)[i - 1 - k];
		(*addressed)[i - 1 - k] = f;
	}
	return i;
}

int64_t store_reblog_find(int64_t account_id, int64_t status_id)
{
	return db_int64("SELECT id FROM statuses WHERE reblog_of_id = ?1"
			" AND account_id = ?2",
			status_id, account_id);
}

static size_t collect_ids(db_stmt *st, int64_t *out, size_t max)
{
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW)
		out[n++] = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

bool store_is_mentioned(int64_t status_id, int64_t account_id)
{
	return db_exists("SELECT 1 FROM mentions WHERE status_id = ?1"
			 " AND account_id = ?2",
			 status_id, account_id);
}

size_t store_rebloggers(int64_t status_id, int64_t *out, size_t max)
{
	db_stmt *st = db_prepare(
		"SELECT account_id FROM statuses WHERE reblog_of_id = ?1");
	db_bind_int64(st, 1, status_id);
	return collect_ids(st, out, max);
}

int64_t store_tag_id(const char *key)
{
	db_stmt *st = db_prepare("SELECT id FROM tags WHERE key = ?1");
	db_bind_text(st, 1, key);
	int64_t id = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return id;
}

/* Each feed is written once as a FROM/WHERE body with the column it pages
 * on; the macro makes the newest-first form and the oldest-first form
 * min_id paging needs. ?1 and ?2 are the exclusive id bounds, ?3 the
 * limit, ?4 and ?5 the feed's arguments. Filter columns carry a unary '+'
 * so SQLite walks the paging key's index in order and stops after ?3 rows
 * instead of collecting every match through another index and sorting. */
#define FEED_ON(key, from_where)                                               \
	{                                                                      \
		"SELECT " key " " from_where " AND " key " > ?1 AND " key      \
		" < ?2"                                                        \
		" ORDER BY " key " DESC LIMIT ?3",                             \
			"SELECT " key " " from_where " AND " key               \
			" > ?1 AND " key " < ?2"                               \
			" ORDER BY " key " ASC LIMIT ?3"                       \
	}
#define FEED(from_where) FEED_ON("s.id", from_where)

/* P is the unary '+' on filter columns: "+" on SQLite, "" on PostgreSQL,
 * where '+' on a column is an operator call that keeps the planner off
 * every index on it, and the planner chooses by statistics anyway. */
#define NOT_REPLY_TO_OTHERS(P)                                                 \
	" (" P "s.in_reply_to_id IS NULL OR"                                   \
	" " P "s.in_reply_to_account_id = " P "s.account_id)"

#define PUBLIC_ORIGINAL(P)                                                     \
	" " P "s.visibility = 0 AND " P "s.reblog_of_id IS NULL AND"           \
	" ?4 = ?4 AND ?5 = ?5 AND" NOT_REPLY_TO_OTHERS(P)

#define HAS_MEDIA                                                              \
	" EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id)"

/* Home: own posts and followed accounts' posts, replies only when they
 * answer someone the viewer sees too. */
#define HOME_WHERE                                                             \
	" (s.account_id = ?4 OR s.account_id IN"                               \
	" (SELECT target_id FROM follows WHERE account_id = ?4))"              \
	" AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id"           \
	" = s.account_id OR s.in_reply_to_account_id = ?4 OR"                  \
	" s.in_reply_to_account_id IN (SELECT target_id FROM follows"          \
	" WHERE account_id = ?4)) AND ?5 = ?5"

/* The same rule in the form the windowed walk wants: unary '+' so SQLite
 * walks the primary key, and the follow-set probe for replies to others
 * only (CASE). */
#define HOME_RECENT_WHERE(P)                                                   \
	" (" P "s.account_id = ?4 OR " P "s.account_id IN"                     \
	" (SELECT target_id FROM follows WHERE account_id = ?4))"              \
	" AND CASE WHEN " P "s.in_reply_to_id IS NULL"                         \
	" OR " P "s.in_reply_to_account_id = " P "s.account_id"                \
	" OR " P "s.in_reply_to_account_id = ?4 THEN TRUE"                     \
	" ELSE " P "s.in_reply_to_account_id IN (SELECT target_id FROM"        \
	" follows WHERE account_id = ?4) END AND ?5 = ?5"

/* For a viewer who follows hashtags, home also holds public posts (not
 * reblogs) carrying one of them, whoever wrote them. A separate pair of
 * queries, so the many who follow no tag keep the plain ones. */
#define FOLLOWED_TAG(P)                                                        \
	" (" P "s.visibility = 0 AND " P "s.reblog_of_id IS NULL AND EXISTS"   \
	" (SELECT 1 FROM status_tags st JOIN tag_follows tf"                   \
	" ON tf.tag_id = st.tag_id WHERE st.status_id = s.id"                  \
	" AND tf.account_id = ?4))"

#define HOME_TAGS_SQL(P)                                                       \
	{                                                                      \
		FEED("FROM statuses s WHERE ((" HOME_WHERE                     \
		     ") OR" FOLLOWED_TAG(P) ")"),                              \
			FEED("FROM statuses s WHERE ((" HOME_RECENT_WHERE(     \
				P) ") OR" FOLLOWED_TAG(P) ")"),                \
	}
static const char *const home_tags_sqlite[][2] = HOME_TAGS_SQL("+");
static const char *const home_tags_pg[][2] = HOME_TAGS_SQL("");

/* Home looks first at the last hour before the cursor (its edge is
 * arithmetic on ids, so free), then at the HOME_WINDOW statuses next to
 * the cursor, and only then reads every followed account's posts. */
enum {
	HOME_WINDOW = 4000,
	HOME_RECENT_MS = 3600 * 1000, /* the first, free window: an hour */
};

/* The id HOME_WINDOW statuses away from the cursor (below ?2 going down,
 * above ?1 going up); no row when the range holds fewer. */
static const char *const home_edge_sql[2] = {
	"SELECT id FROM statuses WHERE id < ?2 AND id > ?1"
	" ORDER BY id DESC LIMIT 1 OFFSET ?3",
	"SELECT id FROM statuses WHERE id > ?1 AND id < ?2"
	" ORDER BY id ASC LIMIT 1 OFFSET ?3",
};

/* Every feed's pair of queries, indexed by store_feed. HOME_RECENT is home
 * over the id range the window edge leaves: it walks the primary key
 * newest first and stops at the page, no sort. */
#define FEED_SQL(P)                                                            \
	{                                                                      \
		[STORE_FEED_PUBLIC] =                                          \
			FEED("FROM statuses s WHERE" PUBLIC_ORIGINAL(P)),      \
		[STORE_FEED_PUBLIC_LOCAL] =                                    \
			FEED("FROM statuses s JOIN accounts a ON a.id = " P    \
			     "s.account_id WHERE a.domain IS NULL "            \
			     "AND" PUBLIC_ORIGINAL(P)),                        \
		[STORE_FEED_HOME] = FEED("FROM statuses s WHERE" HOME_WHERE),  \
		[STORE_FEED_HOME_RECENT] =                                     \
			FEED("FROM statuses s WHERE" HOME_RECENT_WHERE(P)),    \
		[STORE_FEED_ACCOUNT] = FEED("FROM statuses s WHERE "           \
					    "s.account_id = ?4 AND ?5 = ?5"),  \
		[STORE_FEED_ACCOUNT_NO_REPLIES] = FEED(                        \
			"FROM statuses s WHERE s.account_id = ?4 AND ?5 = ?5"  \
			" AND" NOT_REPLY_TO_OTHERS(P)),                        \
		[STORE_FEED_ACCOUNT_NO_REBLOGS] = FEED(                        \
			"FROM statuses s WHERE s.account_id = ?4 AND ?5 = ?5"  \
			" AND " P "s.reblog_of_id IS NULL"),                   \
		[STORE_FEED_ACCOUNT_ORIGINALS] = FEED(                         \
			"FROM statuses s WHERE s.account_id = ?4 AND ?5 = ?5"  \
			" AND " P                                              \
			"s.reblog_of_id IS NULL AND" NOT_REPLY_TO_OTHERS(P)),  \
		[STORE_FEED_TAG] =                                             \
			FEED_ON("t.status_id",                                 \
				"FROM status_tags t JOIN statuses s"           \
				" ON s.id = t.status_id WHERE t.tag_id = ?4"   \
				" AND ?5 = ?5 AND " P "s.visibility = 0"),     \
		[STORE_FEED_PINNED] = FEED(                                    \
			"FROM pins p JOIN statuses s ON s.id = p.status_id"    \
			" WHERE p.account_id = ?4 AND ?5 = ?5"),               \
		[STORE_FEED_ACCOUNT_TAGGED] =                                  \
			FEED_ON("t.status_id",                                 \
				"FROM status_tags t JOIN statuses s"           \
				" ON s.id = t.status_id WHERE t.tag_id = ?5"   \
				" AND " P "s.account_id = ?4"),                \
		[STORE_FEED_PUBLIC_MEDIA] =                                    \
			FEED("FROM statuses s WHERE" PUBLIC_ORIGINAL(          \
				P) " AND" HAS_MEDIA),                          \
		[STORE_FEED_PUBLIC_LOCAL_MEDIA] =                              \
			FEED("FROM statuses s JOIN accounts a ON a.id = " P    \
			     "s.account_id WHERE a.domain IS NULL "            \
			     "AND" PUBLIC_ORIGINAL(P) " AND" HAS_MEDIA),       \
		[STORE_FEED_PUBLIC_REMOTE] =                                   \
			FEED("FROM statuses s JOIN accounts a ON a.id = " P    \
			     "s.account_id WHERE a.domain IS NOT NULL "        \
			     "AND" PUBLIC_ORIGINAL(P)),                        \
		[STORE_FEED_PUBLIC_REMOTE_MEDIA] =                             \
			FEED("FROM statuses s JOIN accounts a ON a.id = " P    \
			     "s.account_id WHERE a.domain IS NOT NULL "        \
			     "AND" PUBLIC_ORIGINAL(P) " AND" HAS_MEDIA),       \
		[STORE_FEED_ACCOUNT_MEDIA] = FEED(                             \
			"FROM statuses s WHERE s.account_id = ?4 AND ?5 = ?5"  \
			" AND " P "s.reblog_of_id IS NULL AND" HAS_MEDIA),     \
		[STORE_FEED_TAGGED] =                                          \
			FEED("FROM statuses s WHERE " P "s.visibility = 0 AND" \
			     " ?4 = ?4 AND ?5 = ?5 AND EXISTS (SELECT 1 FROM"  \
			     " status_tags t WHERE t.status_id = s.id)"),      \
	}
static const char *const feed_sqlite[][2] = FEED_SQL("+");
static const char *const feed_pg[][2] = FEED_SQL("");

/* The feed queries for the backend in use (static). */
static const char *const (*feed_sql(void))[2]
{
	return DB_SQL(feed_sqlite, feed_pg);
}

/* The full home query and the windowed one, for this viewer. */
static void home_queries(int64_t viewer, const char *const **full,
			 const char *const **recent)
{
	bool tags = db_exists("SELECT 1 FROM tag_follows WHERE account_id = ?1"
			      " AND ?2 = ?2",
			      viewer, 0);
	const char *const(*home_tags)[2] =
		DB_SQL(home_tags_sqlite, home_tags_pg);
	*full = tags ? home_tags[0] : feed_sql()[STORE_FEED_HOME];
	*recent = tags ? home_tags[1] : feed_sql()[STORE_FEED_HOME_RECENT];
}

void db_page_bounds(const page *p, int64_t *lo, int64_t *hi, bool *asc)
{
	*lo = p->since_id > p->min_id ? p->since_id : p->min_id;
	*hi = p->max_id ? p->max_id : INT64_MAX;
	/* min_id asks for the page right after the cursor */
	*asc = p->min_id > 0;
}

db_stmt *db_page_stmt(const char *const sql[2], const page *p, bool *asc)
{
	int64_t lo, hi;
	db_page_bounds(p, &lo, &hi, asc);
	db_stmt *st = db_prepare(sql[*asc]);
	db_bind_int64(st, 1, lo);
	db_bind_int64(st, 2, hi);
	db_bind_int(st, 3, p->limit);
	return st;
}

static size_t feed_query(const char *sql, int64_t lo, int64_t hi, int limit,
			 int64_t arg, int64_t arg2, int64_t *out)
{
	db_stmt *st = db_prepare(sql);
	db_bind_int64(st, 1, lo);
	db_bind_int64(st, 2, hi);
	db_bind_int(st, 3, limit);
	db_bind_int64(st, 4, arg);
	db_bind_int64(st, 5, arg2);
	return collect_ids(st, out, (size_t)limit);
}

/* Run the home feed over the part of (lo, hi) next to the cursor that
 * edge leaves (0 = the whole range). True when that answer is exact: it
 * filled the page or covered the whole range. */
static bool home_in_window(const page *p, int64_t lo, int64_t hi, bool asc,
			   int64_t edge, int64_t viewer,
			   const char *const *recent, int64_t *out, size_t *n)
{
	bool whole = asc ? (!edge || edge >= hi) : (!edge || edge <= lo);
	int64_t wlo = !whole && !asc ? edge : lo;
	int64_t whi = !whole && asc ? edge : hi;
	*n = feed_query(recent[asc], wlo, whi, p->limit, viewer, 0, out);
	if (asc)
		id_reverse(out, *n);
	return whole || *n == (size_t)p->limit;
}

/* The id HOME_WINDOW statuses from the cursor, or 0 when fewer remain. */
static int64_t home_row_edge(int64_t lo, int64_t hi, bool asc)
{
	db_stmt *st = db_prepare(home_edge_sql[asc]);
	db_bind_int64(st, 1, lo);
	db_bind_int64(st, 2, hi);
	db_bind_int(st, 3, HOME_WINDOW);
	int64_t edge = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return edge;
}

static bool home_window(const page *p, int64_t lo, int64_t hi, bool asc,
			int64_t viewer, const char *const *recent, int64_t *out,
			size_t *n)
{
	/* the hour next to the cursor: from hi down, or from lo up */
	int64_t from_ms =
		asc ? id_to_ms(lo)
		    : (hi == INT64_MAX ? time_now_ms() : id_to_ms(hi));
	int64_t edge = asc ? id_from_ms(from_ms + HOME_RECENT_MS)
			   : id_from_ms(from_ms - HOME_RECENT_MS);
	if (edge > 0 &&
	    home_in_window(p, lo, hi, asc, edge, viewer, recent, out, n))
		return true;
	return home_in_window(p, lo, hi, asc, home_row_edge(lo, hi, asc),
			      viewer, recent, out, n);
}

/* Read the viewer's newest home ids into memory (its feed was absent),
 * then answer the page from there. */
static bool home_fill(const page *p, int64_t lo, int64_t hi, bool asc,
		      int64_t viewer, const char *const *full,
		      const char *const *recent, int64_t *out, size_t *n)
{
	page all = {.limit = (int)feeds_length(feeds_home)};
	int64_t *ids = malloc((size_t)all.limit * sizeof *ids);
	if (!ids)
		return false;
	size_t got;
	if (!home_window(&all, 0, INT64_MAX, false, viewer, recent, ids, &got))
		got = feed_query(full[0], 0, INT64_MAX, all.limit, viewer, 0,
				 ids);
	bool put = feeds_put(feeds_home, viewer, ids, got,
			     got < (size_t)all.limit);
	free(ids);
	return put && feeds_page(feeds_home, viewer, lo, hi, asc,
				 (size_t)p->limit, out, n) == FEEDS_HIT;
}

size_t store_feed_page(store_feed kind, int64_t arg, int64_t arg2,
		       const page *p, int64_t *out)
{
	int64_t lo, hi;
	bool asc;
	db_page_bounds(p, &lo, &hi, &asc);
	const char *const *sql = feed_sql()[kind];
	const char *const *recent;
	if (kind == STORE_FEED_HOME_RECENT) {
		/* the feed in memory first; the queries only when it can't
		 * answer, chosen once for the viewer */
		size_t n;
		feeds_answer a = feeds_page(feeds_home, arg, lo, hi, asc,
					    (size_t)p->limit, out, &n);
		if (a == FEEDS_HIT)
			return n;
		home_queries(arg, &sql, &recent);
		if ((a == FEEDS_ABSENT &&
		     home_fill(p, lo, hi, asc, arg, sql, recent, out, &n)) ||
		    home_window(p, lo, hi, asc, arg, recent, out, &n))
			return n;
	} else if (kind == STORE_FEED_HOME) {
		home_queries(arg, &sql, &recent);
	}
	size_t n = feed_query(sql[asc], lo, hi, p->limit, arg, arg2, out);
	if (asc)
		id_reverse(out, n);
	return n;
}

#define LIST(select, from_where, key)                                          \
	{                                                                      \
		select ", " key " " from_where " AND " key " > ?1 AND " key    \
		       " < ?2"                                                 \
		       " ORDER BY " key " DESC LIMIT ?3",                      \
			select ", " key " " from_where " AND " key             \
			       " > ?1 AND " key " < ?2"                        \
			       " ORDER BY " key " ASC LIMIT ?3"                \
	}

static const char *const list_sql[][2] = {
	[STORE_LIST_FAVOURITES] =
		LIST("SELECT status_id",
		     "FROM favourites WHERE account_id = ?4", "id"),
	[STORE_LIST_BOOKMARKS] =
		LIST("SELECT status_id", "FROM bookmarks WHERE account_id = ?4",
		     "id"),
	[STORE_LIST_FAVOURITED_BY] =
		LIST("SELECT account_id",
		     "FROM favourites WHERE status_id = ?4", "id"),
	[STORE_LIST_REBLOGGED_BY] =
		LIST("SELECT account_id",
		     "FROM statuses WHERE reblog_of_id = ?4", "id"),
	[STORE_LIST_FOLLOWERS] = LIST(
		"SELECT account_id", "FROM follows WHERE target_id = ?4", "id"),
	[STORE_LIST_FOLLOWING] = LIST(
		"SELECT target_id", "FROM follows WHERE account_id = ?4", "id"),
	[STORE_LIST_FOLLOWED_TAGS] =
		LIST("SELECT tag_id", "FROM tag_follows WHERE account_id = ?4",
		     "id"),
	[STORE_LIST_FOLLOW_REQUESTS] =
		LIST("SELECT account_id",
		     "FROM follow_requests WHERE target_id = ?4", "id"),
	[STORE_LIST_BLOCKS] = LIST("SELECT target_id",
				   "FROM blocks WHERE account_id = ?4", "id"),
	/* ?5: now; a mute that ended is no longer listed */
	[STORE_LIST_MUTES] =
		LIST("SELECT target_id",
		     "FROM mutes WHERE account_id = ?4"
		     " AND (expires_at IS NULL OR expires_at > ?5)",
		     "id"),
};

size_t store_list_page(store_list kind, int64_t arg, const page *p,
		       int64_t *out_ids, int64_t *out_keys)
{
	bool asc;
	db_stmt *st = db_page_stmt(list_sql[kind], p, &asc);
	db_bind_int64(st, 4, arg);
	if (kind == STORE_LIST_MUTES)
		db_bind_int64(st, 5, time_now_ms());
	size_t n = 0;
	while (n < (size_t)p->limit && db_step(st) == DB_ROW) {
		out_ids[n] = db_column_int64(st, 0);
		out_keys[n] = db_column_int64(st, 1);
		n++;
	}
	db_reset(st);
	if (asc) {
		id_reverse(out_ids, n);
		id_reverse(out_keys, n);
	}
	return n;
}

size_t store_thread_descendants(int64_t root, const void *path, size_t path_len,
				const void *after_path, size_t after_len,
				int64_t *out, size_t max)
{
	/* descendants share the path as prefix and sort after it; 0xFF is
	 * above every id's first byte, so path||FF bounds the subtree */
	unsigned char *upper = malloc(path_len + 1);
	if (!upper)
		return 0;
	memcpy(upper, path, path_len);
	upper[path_len] = 0xff;
	db_stmt *st =
		db_prepare("SELECT id FROM statuses WHERE thread_root_id = ?1"
			   " AND thread_path > ?2 AND thread_path < ?3"
			   " ORDER BY thread_path LIMIT ?4");
	db_bind_int64(st, 1, root);
	if (after_path)
		db_bind_blob(st, 2, after_path, after_len);
	else
		db_bind_blob(st, 2, path, path_len);
	db_bind_blob(st, 3, upper, path_len + 1);
	db_bind_int64(st, 4, (int64_t)max);
	size_t n = collect_ids(st, out, max);
	free(upper);
	return n;
}

bool store_status_has_media(int64_t status_id)
{
	return db_exists("SELECT 1 FROM media_attachments WHERE status_id = ?1"
			 " AND ?2 = ?2",
			 status_id, 0);
}

bool store_status_has_tag(int64_t status_id, int64_t tag_id)
{
	return db_exists("SELECT 1 FROM status_tags WHERE status_id = ?1"
			 " AND tag_id = ?2",
			 status_id, tag_id);
}
