/* trends.h — the arithmetic of trending hashtags and statuses, after
 * Mastodon's Trends::Tags and Trends::Statuses (app/models/trends/).
 *
 * Pure functions: no I/O, no clock. store/ applies them inside the write
 * transactions that move the counters (a post, a favourite, a reblog), so
 * a trend is kept up to date incrementally and reading one is an index
 * range scan; the unit tests call them on constructed histories.
 *
 * A decayed score, s × 0.5^((now − at) / halflife), orders rows the same
 * way at every moment as the time-free key log2(s) + at / halflife, since
 * log2 of the decayed score is that key minus now / halflife. store/ keeps
 * the key in an index, so the trends of "now" are the rows whose key is at
 * least trends_rank_floor(now), read in key order. */
#ifndef CHORUS_TRENDS_H
#define CHORUS_TRENDS_H

#include <stdbool.h>
#include <stdint.h>

/* Mastodon's defaults (Trends::Tags / Trends::Statuses default_options).
 * The halflives are baked into the stored rank keys, so they are
 * constants rather than configuration: changing one would mix keys of two
 * scales in one index. */
#define TREND_TAG_MIN_ACCOUNTS	      5 /* distinct accounts today */
#define TREND_TAG_HALFLIFE_MS	      (4 * 3600 * 1000LL)
#define TREND_TAG_COOLDOWN_MS	      (2 * 86400 * 1000LL) /* a peak is kept */
#define TREND_TAG_FLOOR		      1.0 /* decayed score to show */
#define TREND_STATUS_MIN_INTERACTIONS 5	  /* reblogs + favourites */
#define TREND_STATUS_HALFLIFE_MS      (2 * 3600 * 1000LL)
#define TREND_STATUS_FLOOR	      0.3
#define TREND_DAY_MS		      (86400 * 1000LL)
#define TREND_HISTORY_DAYS	      7 /* a Tag's history: today and 6 more */
/* The tag page's chart: today and 29 more. Day counts are kept this long
 * (the API's history reads only the last TREND_HISTORY_DAYS of them). */
#define TREND_CHART_DAYS 30

/* How surprising today is for a tag: 0 unless at least
 * TREND_TAG_MIN_ACCOUNTS distinct accounts used it today and no fewer than
 * yesterday; else (observed − expected)² / expected, where expected is
 * yesterday's distinct accounts (1 when none). Counts are of accounts, not
 * uses: one account posting a tag a thousand times is one voice. */
double trends_tag_score(int64_t accounts_yesterday, int64_t accounts_today);

/* A tag's peak: its best score and when it was reached (ms; 0 = none). */
typedef struct trend_peak {
	double score;
	int64_t at;
} trend_peak;

/* Fold a score computed at now into the peak, as Mastodon does: a peak
 * older than TREND_TAG_COOLDOWN_MS counts as 0, and a higher score
 * replaces it (at = now). Returns true when *p changed. */
bool trends_peak_update(trend_peak *p, double score, int64_t now);

/* score × 0.5^((now − at) / halflife_ms); 0 for a score ≤ 0. */
double trends_decayed(double score, int64_t at, int64_t now,
		      int64_t halflife_ms);

/* The time-free ordering key of a score reached at at (see above); only
 * meaningful for score > 0. */
double trends_rank_key(double score, int64_t at, int64_t halflife_ms);

/* The smallest key whose decayed score at now is still ≥ floor. */
double trends_rank_floor(double floor, int64_t now, int64_t halflife_ms);

/* A status's score from its interactions (Mastodon: expected 1, observed
 * reblogs + favourites, 0 below TREND_STATUS_MIN_INTERACTIONS). It decays
 * from the status's creation, so its key is
 * trends_rank_key(score, created_at, TREND_STATUS_HALFLIFE_MS). */
double trends_status_score(int64_t reblogs, int64_t favourites);

#endif
