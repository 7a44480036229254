/* trends.c — the counters behind trending tags and statuses, kept inside
 * the write transactions that move them, and the reads of the trends.
 * The arithmetic is domain/trends.h's (pure); this file only stores it. */
#include "domain/trends.h"
#include "store/db.h"
#include "store/store.h"

#include <string.h>

/* What makes a status (s, by account a) a candidate for the trending
 * statuses, as Mastodon's Trends::Statuses#eligible?: public, an original
 * (no boost, no reply), no content warning, not sensitive, by an account
 * that is discoverable. Checked when the score is written and again when
 * the trends are read, since an edit can add a content warning. P is the
 * unary '+' that keeps SQLite's planner off an index: "+" on
 * SQLite, "" on PostgreSQL (where it would keep the planner off any). */
#define STATUS_TRENDABLE(P)                                                    \
	" " P "s.visibility = 0 AND s.reblog_of_id IS NULL"                    \
	" AND s.in_reply_to_id IS NULL AND s.sensitive = 0"                    \
	" AND s.spoiler_text = '' AND a.discoverable = 1"

static int64_t day_accounts(int64_t tag_id, int64_t day)
{
	return db_int64("SELECT accounts FROM tag_days"
			" WHERE tag_id = ?1 AND day = ?2",
			tag_id, day);
}

/* Store a new peak of the tag. The first time an unreviewed tag's peak
 * is high enough to show, requested_review_at records when it asked for
 * a moderator's look. */
static int tag_peak_put(int64_t tag_id, const trend_peak *p)
{
	db_stmt *st = db_prepare(
		"INSERT INTO tag_trends (tag_id, max_score, max_score_at,"
		" rank_key, requested_review_at) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (tag_id) DO UPDATE SET"
		" max_score = excluded.max_score,"
		" max_score_at = excluded.max_score_at,"
		" rank_key = excluded.rank_key,"
		" requested_review_at = CASE WHEN tag_trends.review = 0"
		" THEN coalesce(tag_trends.requested_review_at,"
		" excluded.requested_review_at)"
		" ELSE tag_trends.requested_review_at END");
	db_bind_int64(st, 1, tag_id);
	db_bind_double(st, 2, p->score);
	db_bind_int64(st, 3, p->at);
	db_bind_double(st, 4,
		       trends_rank_key(p->score, p->at, TREND_TAG_HALFLIFE_MS));
	if (p->score >= TREND_TAG_FLOOR)
		db_bind_int64(st, 5, p->at);
	return db_done(st);
}

int store_trends_tag_use_tx(const char *key, int64_t account_id, int64_t at)
{
	int64_t day = at / TREND_DAY_MS;
	/* a row back (the tag's id) when the account is a new voice */
	db_stmt *st = db_prepare(
		"INSERT INTO tag_day_accounts (tag_id, day, account_id)"
		" SELECT id, ?2, ?3 FROM tags WHERE key = ?1"
		" ON CONFLICT DO NOTHING RETURNING tag_id");
	db_bind_text(st, 1, key);
	db_bind_int64(st, 2, day);
	db_bind_int64(st, 3, account_id);
	int rc = db_step(st);
	int64_t tag_id = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	if (rc == DB_ROW)
		rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return rc < 0 ? rc : -1;
	bool new_voice = tag_id != 0;
	st = db_prepare("INSERT INTO tag_days (tag_id, day, uses, accounts)"
			" SELECT id, ?2, 1, ?3 FROM tags WHERE key = ?1"
			" ON CONFLICT (tag_id, day)"
			" DO UPDATE SET uses = tag_days.uses + 1,"
			" accounts = tag_days.accounts + excluded.accounts");
	db_bind_text(st, 1, key);
	db_bind_int64(st, 2, day);
	db_bind_int(st, 3, new_voice ? 1 : 0);
	if ((rc = db_queue(st)) < 0)
		return rc;
	/* the same voice again moves neither count the score reads */
	if (!new_voice)
		return 0;
	double score = trends_tag_score(day_accounts(tag_id, day - 1),
					day_accounts(tag_id, day));
	if (score <= 0)
		return 0;
	trend_peak peak = {0, 0};
	st = db_prepare("SELECT max_score, max_score_at FROM tag_trends"
			" WHERE tag_id = ?1");
	db_bind_int64(st, 1, tag_id);
	if (db_step(st) == DB_ROW) {
		peak.score = db_column_double(st, 0);
		peak.at = db_column_int64(st, 1);
	}
	db_reset(st);
	if (!trends_peak_update(&peak, score, at))
		return 0;
	return tag_peak_put(tag_id, &peak);
}

int store_trends_status_tx(int64_t status_id)
{
#define TRENDABLE_SQL(P)                                                       \
	"SELECT s.reblogs_count, s.favourites_count, s.created_at"             \
	" FROM statuses s JOIN accounts a ON a.id = s.account_id"              \
	" WHERE s.id = ?1 AND" STATUS_TRENDABLE(P)
	db_stmt *st = db_prepare(DB_SQL(TRENDABLE_SQL("+"), TRENDABLE_SQL("")));
#undef TRENDABLE_SQL
	db_bind_int64(st, 1, status_id);
	double score = 0;
	int64_t created_at = 0;
	if (db_step(st) == DB_ROW) {
		score = trends_status_score(db_column_int64(st, 0),
					    db_column_int64(st, 1));
		created_at = db_column_int64(st, 2);
	}
	db_reset(st);
	if (score <= 0) {
		st = db_prepare(
			"DELETE FROM status_trends WHERE status_id = ?1");
		db_bind_int64(st, 1, status_id);
		return db_done(st);
	}
	st = db_prepare(
		"INSERT INTO status_trends (status_id, score, rank_key)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (status_id) DO UPDATE"
		" SET score = excluded.score, rank_key = excluded.rank_key");
	db_bind_int64(st, 1, status_id);
	db_bind_double(st, 2, score);
	db_bind_double(
		st, 3,
		trends_rank_key(score, created_at, TREND_STATUS_HALFLIFE_MS));
	return db_done(st);
}

size_t store_trending_tags(arena *a, double floor, store_trend_filter filter,
			   int offset, int limit, int64_t *ids,
			   const char **names)
{
	/* walks tag_trends_by_rank down from the top and stops after the
	 * page: the rows below floor are never visited */
#define TRENDING_TAGS_SQL(P)                                                   \
	"SELECT t.tag_id, g.name FROM tag_trends t"                            \
	" JOIN tags g ON g.id = t.tag_id WHERE t.rank_key >= ?1"               \
	" AND (?2 = 0 OR (?2 = 1 AND " P "t.review = 1)"                       \
	" OR (?2 = 2 AND " P "t.review <> 2))"                                 \
	" ORDER BY t.rank_key DESC LIMIT ?3 OFFSET ?4"
	db_stmt *st = db_prepare(
		DB_SQL(TRENDING_TAGS_SQL("+"), TRENDING_TAGS_SQL("")));
#undef TRENDING_TAGS_SQL
	db_bind_double(st, 1, floor);
	db_bind_int(st, 2, (int)filter);
	db_bind_int(st, 3, limit);
	db_bind_int(st, 4, offset);
	size_t n = 0;
	while (n < (size_t)limit && db_step(st) == DB_ROW) {
		ids[n] = db_column_int64(st, 0);
		names[n++] = arena_strdup(a, db_text(st, 1));
	}
	db_reset(st);
	return n;
}

size_t store_trending_statuses(double floor, int offset, int limit,
			       int64_t *out)
{
#define TRENDING_STATUSES_SQL(P)                                               \
	"SELECT t.status_id FROM status_trends t"                              \
	" JOIN statuses s ON s.id = t.status_id"                               \
	" JOIN accounts a ON a.id = s.account_id"                              \
	" WHERE t.rank_key >= ?1 AND" STATUS_TRENDABLE(                        \
		P) " ORDER BY t.rank_key DESC LIMIT ?2 OFFSET ?3"
	db_stmt *st = db_prepare(
		DB_SQL(TRENDING_STATUSES_SQL("+"), TRENDING_STATUSES_SQL("")));
#undef TRENDING_STATUSES_SQL
	db_bind_double(st, 1, floor);
	db_bind_int(st, 2, limit);
	db_bind_int(st, 3, offset);
	size_t n = 0;
	while (n < (size_t)limit && db_step(st) == DB_ROW)
		out[n++] = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

void store_tag_trend_get(int64_t tag_id, store_tag_trend *out)
{
	memset(out, 0, sizeof *out);
	db_stmt *st = db_prepare(
		"SELECT max_score, max_score_at, review, reviewed_at,"
		" requested_review_at FROM tag_trends WHERE tag_id = ?1");
	db_bind_int64(st, 1, tag_id);
	if (db_step(st) == DB_ROW) {
		out->peak.score = db_column_double(st, 0);
		out->peak.at = db_column_int64(st, 1);
		out->review = (tag_review)db_column_int(st, 2);
		out->reviewed_at = db_column_int64(st, 3);
		out->requested_review_at = db_column_int64(st, 4);
	}
	db_reset(st);
}

int store_tag_review_set(int64_t tag_id, tag_review review, int64_t now)
{
	db_stmt *st = db_prepare(
		"INSERT INTO tag_trends (tag_id, review, reviewed_at)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (tag_id) DO UPDATE"
		" SET review = excluded.review,"
		" reviewed_at = excluded.reviewed_at");
	db_bind_int64(st, 1, tag_id);
	db_bind_int(st, 2, (int)review);
	db_bind_int64(st, 3, now);
	int rc = db_done(st);
	/* the trends shown change: kept answers end (core/replies.h) */
	if (rc == 0)
		db_touch_epoch();
	return rc;
}

void store_tag_history(int64_t tag_id, int64_t first_day_ms, int days,
		       int64_t *uses, int64_t *accounts)
{
	memset(uses, 0, (size_t)days * sizeof *uses);
	memset(accounts, 0, (size_t)days * sizeof *accounts);
	int64_t first = first_day_ms / TREND_DAY_MS;
	db_stmt *st = db_prepare("SELECT day, uses, accounts FROM tag_days"
				 " WHERE tag_id = ?1 AND day >= ?2"
				 " AND day < ?3");
	db_bind_int64(st, 1, tag_id);
	db_bind_int64(st, 2, first);
	db_bind_int64(st, 3, first + days);
	while (db_step(st) == DB_ROW) {
		int64_t d = db_column_int64(st, 0) - first;
		uses[d] = db_column_int64(st, 1);
		accounts[d] = db_column_int64(st, 2);
	}
	db_reset(st);
}

size_t store_busiest_threads(int64_t tag_id, int64_t day, int limit,
			     int64_t *roots, int64_t *replies)
{
	/* the top of an index: (day, replies, root_id), or the same after
	 * the tag */
	db_stmt *st =
		tag_id ? db_prepare(
				 "SELECT root_id, replies FROM tag_thread_days"
				 " WHERE tag_id = ?2 AND day = ?1"
				 " ORDER BY replies DESC, root_id DESC"
				 " LIMIT ?3")
		       : db_prepare("SELECT root_id, replies FROM thread_days"
				    " WHERE day = ?1 AND ?2 = ?2"
				    " ORDER BY replies DESC, root_id DESC"
				    " LIMIT ?3");
	db_bind_int64(st, 1, day);
	db_bind_int64(st, 2, tag_id);
	db_bind_int(st, 3, limit);
	size_t n = 0;
	while (n < (size_t)limit && db_step(st) == DB_ROW) {
		roots[n] = db_column_int64(st, 0);
		if (replies)
			replies[n] = db_column_int64(st, 1);
		n++;
	}
	db_reset(st);
	return n;
}

int store_trends_prune(int64_t now)
{
	int64_t today = now / TREND_DAY_MS;
	/* who already counted: today's only deduplicates (yesterday kept
	 * for posts racing midnight) */
	db_stmt *st = db_prepare("DELETE FROM tag_day_accounts WHERE day < ?1");
	db_bind_int64(st, 1, today - 1);
	if (db_done(st) < 0)
		return -1;
	/* the tag page charts today and the 29 days before (the API's
	 * history, 7 days, is the newest part of that) */
	/* the busiest threads are today's (yesterday's kept for posts
	 * racing midnight) */
	st = db_prepare("DELETE FROM thread_days WHERE day < ?1");
	db_bind_int64(st, 1, today - 1);
	if (db_done(st) < 0)
		return -1;
	st = db_prepare("DELETE FROM tag_thread_days WHERE day < ?1");
	db_bind_int64(st, 1, today - 1);
	if (db_done(st) < 0)
		return -1;
	st = db_prepare("DELETE FROM tag_days WHERE day < ?1");
	db_bind_int64(st, 1, today - (TREND_CHART_DAYS - 1));
	if (db_done(st) < 0)
		return -1;
	/* statuses decayed below the floor are never shown again; a new
	 * favourite or reblog scores them afresh */
	st = db_prepare("DELETE FROM status_trends WHERE rank_key < ?1");
	db_bind_double(st, 1,
		       trends_rank_floor(TREND_STATUS_FLOOR, now,
					 TREND_STATUS_HALFLIFE_MS));
	return db_done(st);
}
