/* tag.c — /tags/NAME: the movement view. How many posts and people used
 * the tag today, a month of it drawn, its busiest threads, then its posts
 * newest first (the API's hashtag timeline, through the same domain
 * call), paged by links and continued live by the script. */
#include "web/web.h"

#include "core/time.h"
#include "domain/trends.h"
#include "store/store.h"
#include "text/text.h"

#include <string.h>

enum {
	TAG_BUSIEST = 3,	/* busiest threads shown */
	TAG_NAME_SAMPLE = 20,	/* newest public posts the name is read from */
	TAG_NAME_SPELLINGS = 8, /* distinct spellings tallied */
};

/* Busiest threads are those of the last day: the read scans the window's
 * statuses, so a longer one costs more on every uncached view. */

/* The spelling of the tag (key) most used in the texts of items, or
 * fallback: "#BlackLivesMatter" rather than whichever case came first. */
static const char *most_used_name(arena *a, const char *key,
				  status *const *items, size_t n,
				  const char *fallback)
{
	const char *names[TAG_NAME_SPELLINGS];
	int uses[TAG_NAME_SPELLINGS] = {0};
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const status *s =
			items[i]->reblog ? items[i]->reblog : items[i];
		if (!s->text)
			continue;
		text_parsed parsed;
		text_parse(a, s->text, strlen(s->text), &parsed);
		for (size_t e = 0; e < parsed.count; e++) {
			const text_entity *t = &parsed.items[e];
			if (t->kind != TEXT_HASHTAG || !t->key ||
			    strcmp(t->key, key))
				continue;
			size_t j = 0;
			while (j < k && strcmp(names[j], t->value))
				j++;
			if (j == k && k < TAG_NAME_SPELLINGS)
				names[k++] = t->value;
			if (j < k)
				uses[j]++;
			break; /* one vote per post */
		}
	}
	const char *best = fallback;
	int most = 0;
	for (size_t j = 0; j < k; j++)
		if (uses[j] > most) {
			most = uses[j];
			best = names[j];
		}
	return best;
}

static void put_counts(buf *b, int64_t posts, int64_t voices)
{
	html(b, "<ul class=\"tag-stats\"><li><strong>%lld</strong> %s</li>",
	     (long long)posts,
	     web_trn("post today", "posts today", (unsigned long)posts));
	html(b, "<li><strong>%lld</strong> %s</li></ul>", (long long)voices,
	     web_trn("person today", "people today", (unsigned long)voices));
}

static void put_chart(web_page *p, const char *name, const int64_t *posts,
		      const int64_t *voices, int64_t now)
{
	buf *b = &p->main;
	html(b,
	     "<section aria-labelledby=\"chart-h\"><h2 id=\"chart-h\">%s"
	     "</h2>",
	     _("The last 30 days"));
	int64_t today = now / TREND_DAY_MS * TREND_DAY_MS;
	web_chart c = {
		.id = "tag-chart",
		.title =
			arena_printf(&p->r->arena, _("#%s over 30 days"), name),
		.posts = posts,
		.voices = voices,
		.days = TREND_CHART_DAYS,
		.first_day_ms = today - (TREND_CHART_DAYS - 1) * TREND_DAY_MS,
	};
	web_chart_svg(b, &c);
	buf_puts(b, "</section>");
}

static void put_busiest(web_page *p, int64_t tag_id, int64_t now)
{
	status_page busy;
	trends_busiest_threads(&p->r->arena, web_viewer(p->r), tag_id, now,
			       TAG_BUSIEST, &busy);
	if (!busy.count)
		return;
	html(&p->main,
	     "<section aria-labelledby=\"busy-h\"><h2 id=\"busy-h\">%s</h2>"
	     "<div class=\"feed busiest\">",
	     _("Busiest threads today"));
	web_status_list(p, busy.items, busy.count, NULL, 0);
	buf_puts(&p->main, "</div></section>");
}

static void tag_page(http_req *r, const char *seg)
{
	arena *a = &r->arena;
	const char *key = text_tag_key(a, seg, strlen(seg));
	if (!key) {
		web_bad_request(r);
		return;
	}
	int64_t tag_id;
	const char *name;
	if (!store_tag_by_key(a, key, &tag_id, &name)) {
		web_not_found(r);
		return;
	}
	page pg;
	if (!web_page_param(r, &pg))
		return;
	int64_t viewer = web_viewer(r), now = time_now_ms();
	status_page out;
	timeline_feed(a, viewer, STORE_FEED_TAG, tag_id, 0, &pg, &out);
	/* the name is read from public posts only: a private post's
	 * spelling is not for every visitor */
	status_page sample = out;
	if (viewer || pg.max_id) {
		page newest = {.limit = TAG_NAME_SAMPLE};
		timeline_feed(a, 0, STORE_FEED_TAG, tag_id, 0, &newest,
			      &sample);
	}
	name = most_used_name(a, key, sample.items, sample.count, name);
	int64_t posts[TREND_CHART_DAYS], voices[TREND_CHART_DAYS];
	trends_tag_days(tag_id, now, TREND_CHART_DAYS, posts, voices);
	int64_t today_posts = posts[TREND_CHART_DAYS - 1];
	int64_t today_voices = voices[TREND_CHART_DAYS - 1];

	web_page p;
	web_page_begin(&p, r, arena_printf(a, "#%s", name));
	p.canonical = web_tag_url(a, name);
	p.rss = arena_printf(a, "%s.rss", p.canonical);
	p.og_type = "website";
	const char *posts_today =
		arena_printf(a,
			     web_trn("%lld post today", "%lld posts today",
				     (unsigned long)today_posts),
			     (long long)today_posts);
	const char *people_today =
		arena_printf(a,
			     web_trn("%lld person today", "%lld people today",
				     (unsigned long)today_voices),
			     (long long)today_voices);
	/* TRANSLATORS: a tag page's summary for link previews: the tag,
	 * then "3 posts today" and "2 people today" */
	p.description = arena_printf(a, _("#%1$s: %2$s, %3$s."), name,
				     posts_today, people_today);
	buf *b = &p.main;
	html(b, "<header class=\"tag-header\"><h1>#%s</h1>", name);
	put_counts(b, today_posts, today_voices);
	buf_puts(b, "</header>");
	if (!pg.max_id) {
		put_chart(&p, name, posts, voices, now);
		put_busiest(&p, tag_id, now);
	}
	html(b,
	     "<section aria-labelledby=\"posts-h\"><h2 id=\"posts-h\">%s</h2>"
	     "<div class=\"feed\" data-stream=\"hashtag\" data-tag=\"%s\">",
	     _("Latest posts"), name);
	/* a short page is the last: the feed fills up to the limit */
	web_status_list(&p, out.items, out.count,
			arena_printf(a, "/tags/%s", html_url_encode(a, name)),
			out.count == (size_t)pg.limit ? out.next_max_id : 0);
	buf_puts(b, "</div></section>");
	web_page_reply(&p, 200);
}

void web_tag(http_req *r)
{
	const char *seg = http_path_param(r, 0);
	size_t n = strlen(seg);
	if (n > 4 && !strcmp(seg + n - 4, ".rss")) {
		char *name = arena_strdup(&r->arena, seg);
		name[n - 4] = '\0';
		web_rss_tag(r, name);
		return;
	}
	tag_page(r, seg);
}
