/* trends.c — trending hashtags and statuses: the score arithmetic
 * (trends.h, pure) and the pages the API reads, which pass every status
 * through the one visibility rule. */
#include "domain/trends.h"

#include "core/config.h"
#include "core/id.h"
#include "domain/domain.h"
#include "store/store.h"

#include <assert.h>
#include <math.h>
#include <string.h>

double trends_tag_score(int64_t accounts_yesterday, int64_t accounts_today)
{
	double expected =
		accounts_yesterday > 0 ? (double)accounts_yesterday : 1.0;
	double observed = (double)accounts_today;
	if (observed < TREND_TAG_MIN_ACCOUNTS || expected > observed)
		return 0;
	return (observed - expected) * (observed - expected) / expected;
}

bool trends_peak_update(trend_peak *p, double score, int64_t now)
{
	double peak = p->score;
	/* a peak past its cooldown no longer stands in a new one's way */
	if (!p->at || p->at < now - TREND_TAG_COOLDOWN_MS)
		peak = 0;
	if (score <= peak)
		return false;
	p->score = score;
	p->at = now;
	return true;
}

double trends_decayed(double score, int64_t at, int64_t now,
		      int64_t halflife_ms)
{
	assert(halflife_ms > 0);
	if (score <= 0)
		return 0;
	return score * pow(0.5, (double)(now - at) / (double)halflife_ms);
}

double trends_rank_key(double score, int64_t at, int64_t halflife_ms)
{
	assert(score > 0 && halflife_ms > 0);
	return log2(score) + (double)at / (double)halflife_ms;
}

double trends_rank_floor(double floor, int64_t now, int64_t halflife_ms)
{
	assert(floor > 0 && halflife_ms > 0);
	return log2(floor) + (double)now / (double)halflife_ms;
}

double trends_status_score(int64_t reblogs, int64_t favourites)
{
	const double expected = 1.0;
	double observed = (double)(reblogs + favourites);
	if (observed < TREND_STATUS_MIN_INTERACTIONS || expected > observed)
		return 0;
	return (observed - expected) * (observed - expected) / expected;
}

/* ---- the pages ---- */

size_t trends_tags_page(arena *a, bool review_list, int64_t now, int offset,
			int limit, int64_t *ids, const char **names)
{
	store_trend_filter filter = review_list ? STORE_TRENDS_ALL
				    : cfg.trends_require_review
					    ? STORE_TRENDS_APPROVED
					    : STORE_TRENDS_NOT_REJECTED;
	double floor =
		trends_rank_floor(TREND_TAG_FLOOR, now, TREND_TAG_HALFLIFE_MS);
	return store_trending_tags(a, floor, filter, offset, limit, ids, names);
}

bool trends_tag_trendable(tag_review review)
{
	return review == TAG_REVIEW_APPROVED ||
	       (review == TAG_REVIEW_NONE && !cfg.trends_require_review);
}

size_t trends_statuses_page(arena *a, int64_t viewer, int64_t now, int offset,
			    int limit, status_page *out)
{
	memset(out, 0, sizeof *out);
	out->items = arena_alloc(a, ((size_t)limit + 1) * sizeof *out->items);
	int64_t *ids = arena_alloc(a, ((size_t)limit + 1) * sizeof *ids);
	double floor = trends_rank_floor(TREND_STATUS_FLOOR, now,
					 TREND_STATUS_HALFLIFE_MS);
	size_t n = store_trending_statuses(floor, offset, limit, ids);
	store_statuses_prefetch(a, ids, n, viewer);
	for (size_t i = 0; i < n; i++) {
		status *s = arena_alloc(a, sizeof *s);
		if (status_load_listed(a, viewer, ids[i], READ_PUBLIC, s))
			out->items[out->count++] = s;
	}
	store_statuses_prefetch_end();
	return n;
}

void trends_tag_days(int64_t tag_id, int64_t now, int days, int64_t *posts,
		     int64_t *voices)
{
	assert(days > 0 && days <= TREND_CHART_DAYS);
	int64_t today = now / TREND_DAY_MS * TREND_DAY_MS;
	store_tag_history(tag_id, today - (days - 1) * TREND_DAY_MS, days,
			  posts, voices);
}

/* Candidates read per thread shown: roots not public (a private post
 * with public replies) are skipped, not made up for. */
enum { BUSIEST_OVERREAD = 3 };

void trends_busiest_threads(arena *a, int64_t viewer, int64_t tag_id,
			    int64_t now, int limit, status_page *out)
{
	int want = limit * BUSIEST_OVERREAD;
	int64_t *roots = arena_alloc(a, ((size_t)want + 1) * sizeof *roots);
	size_t n = store_busiest_threads(tag_id, now / TREND_DAY_MS, want,
					 roots, NULL);
	timeline_from_ids(a, viewer, roots, n, READ_PUBLIC, out);
	/* a listing: only public roots, as in the public timelines (an
	 * unlisted post's author asked to stay out of them) */
	size_t kept = 0;
	for (size_t i = 0; i < out->count && kept < (size_t)limit; i++)
		if (out->items[i]->vis == VIS_PUBLIC)
			out->items[kept++] = out->items[i];
	out->count = kept;
	out->next_max_id = out->prev_min_id = 0; /* a ranking, not a feed */
}
