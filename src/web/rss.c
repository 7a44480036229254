/* rss.c — /tags/NAME.rss and /@name.rss: the newest public posts as RSS
 * 2.0, for feed readers and for sites that republish a movement's posts.
 *
 * A feed is read as nobody (viewer 0) through the same domain feeds as
 * the pages, so it holds only what an anonymous visitor may see; of that,
 * only what belongs on public timelines (timeline_public_has: no
 * unlisted post, no boost, no reply to someone else). Every value goes
 * through html_text, whose five escapes are XML's too; a post's content
 * (HTML) is the text of <description>, escaped once more, as RSS wants. */
#include "web/web.h"

#include "core/config.h"
#include "store/store.h"
#include "text/text.h"

#include <string.h>
#include <time.h>

enum {
	RSS_ITEMS = 20,
	RSS_TITLE_CHARS = 80, /* an item's title: the start of the text */
};

static void xml(buf *b, const char *element, const char *value)
{
	html(b, "<%s>", element); /* element names are chorus's */
	html_text(b, value ? value : "", value ? strlen(value) : 0);
	html(b, "</%s>", element);
}

/* RFC 822 (as RFC 1123 writes it), in English whatever the locale. */
static const char *rfc822(arena *a, int64_t ms)
{
	static const char days[][4] = {"Sun", "Mon", "Tue", "Wed",
				       "Thu", "Fri", "Sat"};
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr",
					 "May", "Jun", "Jul", "Aug",
					 "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	return arena_printf(a, "%s, %02d %s %04d %02d:%02d:%02d +0000",
			    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
			    tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			    tm.tm_sec);
}

/* An item's title: the start of the post, or who wrote it. */
static const char *title_of(arena *a, const status *s)
{
	const char *t = web_status_summary(a, s, RSS_TITLE_CHARS);
	if (*t)
		return t;
	const account *author = status_author(a, s);
	return arena_printf(a, _("Post by @%s"),
			    author ? account_acct(a, author) : "");
}

static void put_item(buf *b, arena *a, const status *s)
{
	const char *url = web_status_url(a, s);
	buf_puts(b, "<item>");
	xml(b, "title", title_of(a, s));
	xml(b, "link", url);
	html(b, "<guid isPermaLink=\"true\">%s</guid>", url);
	xml(b, "pubDate", rfc822(a, s->created_at));
	const char *content = s->content ? s->content : "";
	if (s->spoiler_text && *s->spoiler_text)
		content = arena_printf(a, "<p><strong>%s</strong></p>%s",
				       _("Content warning"), content);
	xml(b, "description", content);
	buf_puts(b, "</item>");
}

static bool rss_keep(const status *s, void *ctx)
{
	(void)ctx;
	return timeline_public_has(s);
}

/* Reply with the channel (title, link and description plain text) and
 * its items. */
static void reply_channel(http_req *r, const char *title, const char *link,
			  const char *description, const status_page *items)
{
	arena *a = &r->arena;
	buf b;
	buf_init(&b, a);
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<rss version=\"2.0\"><channel>");
	xml(&b, "title", title);
	xml(&b, "link", link);
	xml(&b, "description", description);
	xml(&b, "generator", "chorus");
	if (items->count)
		xml(&b, "lastBuildDate",
		    rfc822(a, items->items[0]->created_at));
	for (size_t i = 0; i < items->count; i++)
		put_item(&b, a, items->items[i]);
	buf_puts(&b, "</channel></rss>\n");
	http_set_header(r, "Cache-Control", "public, max-age=300");
	http_set_header(r, "X-Content-Type-Options", "nosniff");
	http_reply_raw(r, 200, "application/rss+xml; charset=utf-8", b.data,
		       b.len);
}

void web_rss_tag(http_req *r, const char *name)
{
	arena *a = &r->arena;
	const char *key = text_tag_key(a, name, strlen(name));
	if (!key) {
		web_bad_request(r);
		return;
	}
	int64_t tag_id;
	const char *stored;
	if (!store_tag_by_key(a, key, &tag_id, &stored)) {
		web_not_found(r);
		return;
	}
	page pg = {.limit = RSS_ITEMS};
	status_page out;
	timeline_feed_filtered(a, 0, STORE_FEED_TAG, tag_id, 0, &pg, rss_keep,
			       NULL, &out);
	reply_channel(r, arena_printf(a, "#%s", stored), web_tag_url(a, stored),
		      arena_printf(a, _("Public posts tagged #%s on %s"),
				   stored, cfg.title),
		      &out);
}

void web_rss_account(http_req *r, const account *acc)
{
	arena *a = &r->arena;
	page pg = {.limit = RSS_ITEMS};
	status_page out;
	timeline_feed_filtered(a, 0, STORE_FEED_ACCOUNT_ORIGINALS, acc->id, 0,
			       &pg, rss_keep, NULL, &out);
	const char *who = web_display_name(acc);
	reply_channel(
		r,
		arena_printf(a, "%s (@%s@%s)", who, acc->username, cfg.domain),
		web_account_url(a, acc),
		acc->note && *acc->note
			? acc->note
			: arena_printf(a, _("Public posts by %s"), who),
		&out);
}
