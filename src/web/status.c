/* status.c — posts rendered for people: content warnings that fold,
 * sensitive media behind its blurhash, alt text, video that loads only
 * when played, boosts shown as boosts, times both relative and exact. */
#include "web/web.h"

#include "core/config.h"
#include "core/time.h"
#include "media/media.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

enum {
	MEDIA_PER_STATUS = 8,
	BLURHASH_W = 8, /* pixels the blurhash is decoded to */
	BLURHASH_H = 6,
};

const char *web_display_name(const account *acc)
{
	return acc->display_name && *acc->display_name ? acc->display_name
						       : acc->username;
}

char *web_account_url(arena *a, const account *acc)
{
	return arena_printf(a, "%s/@%s", cfg.base_url, account_acct(a, acc));
}

char *web_status_url(arena *a, const status *s)
{
	const account *author = status_author(a, s);
	return arena_printf(a, "%s/@%s/%lld", cfg.base_url,
			    author ? account_acct(a, author) : "",
			    (long long)s->id);
}

char *web_tag_url(arena *a, const char *name)
{
	return arena_printf(a, "%s/tags/%s", cfg.base_url,
			    html_url_encode(a, name));
}

char *web_media_url(arena *a, const char *name)
{
	return name ? arena_printf(a, "/media/%s", html_url_encode(a, name))
		    : NULL;
}

const char *web_avatar_url(arena *a, const account *acc)
{
	return acc->avatar ? web_media_url(a, acc->avatar)
			   : "/avatars/original/missing.png";
}

/* "5 min", "3 h", "2 d" for the last week, then the date: what the
 * script keeps fresh on an open page. */
static void put_relative(buf *b, int64_t ms)
{
	int64_t ago = (time_now_ms() - ms) / 1000;
	if (ago < 60) {
		html(b, "%s", _("just now"));
	} else if (ago < 3600) {
		long n = (long)(ago / 60);
		html(b,
		     web_trn("%ld minute ago", "%ld minutes ago",
			     (unsigned long)n),
		     n);
	} else if (ago < 86400) {
		long n = (long)(ago / 3600);
		html(b,
		     web_trn("%ld hour ago", "%ld hours ago", (unsigned long)n),
		     n);
	} else if (ago < 7 * 86400) {
		long n = (long)(ago / 86400);
		html(b,
		     web_trn("%ld day ago", "%ld days ago", (unsigned long)n),
		     n);
	} else {
		char date[11];
		time_format_date(ms, date);
		html(b, "%s", date);
	}
}

const char *web_status_summary(arena *a, const status *s, size_t chars)
{
	const char *src =
		s->spoiler_text && *s->spoiler_text ? s->spoiler_text : s->text;
	if (!src)
		return "";
	size_t i = 0, n = 0;
	while (src[i] && n < chars) {
		i++;
		while ((src[i] & 0xC0) == 0x80)
			i++;
		n++;
	}
	char *t = src[i] ? arena_printf(a, "%.*s…", (int)i, src)
			 : arena_strdup(a, src);
	for (char *c = t; *c; c++)
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	return t;
}

void web_time(buf *b, int64_t ms)
{
	char iso[TIME_RFC3339_LEN];
	time_format_rfc3339(ms, iso);
	html(b, "<time datetime=\"%s\" title=\"%s\">", iso, iso);
	put_relative(b, ms);
	buf_puts(b, "</time>");
}

/* A blurred stand-in drawn from the blurhash: a few rectangles, blurred
 * by the SVG filter; nothing of the image itself is sent. */
static void put_blurhash(buf *b, const char *hash, int64_t id)
{
	unsigned char px[BLURHASH_W * BLURHASH_H * 3];
	if (!hash || media_blurhash_decode(hash, BLURHASH_W, BLURHASH_H, px))
		memset(px, 96, sizeof px);
	html(b,
	     "<svg class=\"blurhash\" viewBox=\"0 0 %d %d\" "
	     "preserveAspectRatio=\"none\" aria-hidden=\"true\" "
	     "focusable=\"false\"><filter id=\"bh%lld\" x=\"0\" y=\"0\" "
	     "width=\"1\" height=\"1\"><feGaussianBlur stdDeviation=\".6\" "
	     "edgeMode=\"duplicate\"/></filter><g filter=\"url(#bh%lld)\">",
	     BLURHASH_W, BLURHASH_H, (long long)id, (long long)id);
	for (int y = 0; y < BLURHASH_H; y++)
		for (int x = 0; x < BLURHASH_W; x++) {
			const unsigned char *c = px + (y * BLURHASH_W + x) * 3;
			html(b,
			     "<rect x=\"%d\" y=\"%d\" width=\"1.05\" "
			     "height=\"1.05\" fill=\"#%02x%02x%02x\"/>",
			     x, y, c[0], c[1], c[2]);
		}
	buf_puts(b, "</g></svg>");
}

/* Width and height of an attachment's original, from its meta JSON, so
 * the page does not jump as media loads. */
static void original_dims(const media_attachment *m, int *w, int *h)
{
	*w = *h = 0;
	const char *o = m->meta ? strstr(m->meta, "\"original\"") : NULL;
	const char *pw = o ? strstr(o, "\"width\":") : NULL;
	const char *ph = o ? strstr(o, "\"height\":") : NULL;
	if (pw && ph) {
		*w = atoi(pw + 8);
		*h = atoi(ph + 9);
	}
}

static void put_one_media(buf *b, arena *a, const media_attachment *m)
{
	const char *file = web_media_url(a, m->file);
	const char *preview = web_media_url(a, m->preview);
	const char *alt = m->description ? m->description : "";
	int w, h;
	original_dims(m, &w, &h);
	if (!strcmp(m->type, "image")) {
		html(b, "<a href=\"%s\"><img src=\"%s\" alt=\"%s\" ", file,
		     preview ? preview : file, alt);
		if (w > 0 && h > 0)
			html(b, "width=\"%d\" height=\"%d\" ", w, h);
		buf_puts(b, "loading=\"lazy\" decoding=\"async\"></a>");
	} else if (!strcmp(m->type, "audio")) {
		html(b,
		     "<audio controls preload=\"none\" src=\"%s\" "
		     "aria-label=\"%s\"></audio>",
		     file, *alt ? alt : _("Audio"));
	} else { /* video, gifv */
		html(b,
		     "<video controls preload=\"none\" playsinline src=\"%s\" "
		     "aria-label=\"%s\"",
		     file, *alt ? alt : _("Video"));
		if (preview)
			html(b, " poster=\"%s\"", preview);
		if (w > 0 && h > 0)
			html(b, " width=\"%d\" height=\"%d\"", w, h);
		if (!strcmp(m->type, "gifv"))
			buf_puts(b, " loop muted");
		buf_puts(b, "></video>");
	}
}

static void put_media(buf *b, arena *a, const status *s)
{
	media_attachment m[MEDIA_PER_STATUS];
	size_t n = store_media_of_status(a, s->id, m, MEDIA_PER_STATUS);
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += m[i].state == MEDIA_READY && m[i].file;
	if (!shown)
		return;
	bool sensitive = status_sensitive(s);
	if (sensitive) {
		buf_puts(b, "<details class=\"sensitive\"><summary>");
		const char *hash = NULL;
		for (size_t i = 0; i < n && !hash; i++)
			hash = m[i].blurhash;
		put_blurhash(b, hash, s->id);
		html(b, "<span class=\"label\">%s</span></summary>",
		     _("Sensitive media — select to show"));
	}
	buf_puts(b, "<div class=\"media\">");
	for (size_t i = 0; i < n; i++)
		if (m[i].state == MEDIA_READY && m[i].file)
			put_one_media(b, a, &m[i]);
	buf_puts(b, "</div>");
	if (sensitive)
		buf_puts(b, "</details>");
}

static void put_counts(buf *b, const status *s)
{
	html(b, "<ul class=\"counts\"><li>");
	html(b,
	     web_trn("%lld reply", "%lld replies",
		     (unsigned long)s->replies_count),
	     (long long)s->replies_count);
	buf_puts(b, "</li><li>");
	html(b,
	     web_trn("%lld boost", "%lld boosts",
		     (unsigned long)s->reblogs_count),
	     (long long)s->reblogs_count);
	buf_puts(b, "</li><li>");
	html(b,
	     web_trn("%lld favourite", "%lld favourites",
		     (unsigned long)s->favourites_count),
	     (long long)s->favourites_count);
	buf_puts(b, "</li></ul>");
}

/* "Replying to @name", linking to the post replied to. */
static void put_in_reply_to(buf *b, arena *a, const status *s)
{
	account parent;
	if (!s->in_reply_to_id ||
	    !store_account_get(a, s->in_reply_to_account_id, &parent))
		return;
	buf name;
	buf_init(&name, a);
	const char *acct = account_acct(a, &parent);
	html(&name, "@%s", acct);
	const char *parts[] = {name.data};
	html(b, "<p class=\"in-reply-to\"><a href=\"/@%s/%lld\">", acct,
	     (long long)s->in_reply_to_id);
	/* TRANSLATORS: %s is the @name of the author replied to */
	web_tr_html(b, _("Replying to %s"), 1, parts);
	buf_puts(b, "</a></p>");
}

/* p's control for s (a reply the reader may hide or unhide), after it. */
static void put_control(web_page *p, const status *s)
{
	if (p->control == WEB_CONTROL_NONE ||
	    !status_reply_hideable(&p->r->arena, web_viewer(p->r), s))
		return;
	web_reply_control(p, s, p->control == WEB_CONTROL_HIDE);
}

static void put_status(web_page *p, const status *s, const status *boost,
		       bool link, bool focus)
{
	buf *b = &p->main;
	arena *a = &p->r->arena;
	const account *author = status_author(a, s);
	if (!author)
		return;
	html(b, "<article class=\"status%s%s\" id=\"s-%lld\" data-id=\"%lld\"",
	     boost ? " boost" : "", focus ? " focus" : "",
	     (long long)(boost ? boost->id : s->id), (long long)s->id);
	if (s->language && *s->language)
		html(b, " lang=\"%s\"", s->language);
	buf_putc(b, '>');
	if (boost) {
		const account *booster = status_author(a, boost);
		if (booster) {
			buf link;
			buf_init(&link, a);
			html(&link, "<a href=\"/@%s\">%s</a>",
			     account_acct(a, booster),
			     web_display_name(booster));
			const char *parts[] = {link.data};
			buf_puts(b, "<p class=\"boosted-by\">");
			/* TRANSLATORS: %s is the name of who boosted the post
			 */
			web_tr_html(b, _("%s boosted"), 1, parts);
			buf_puts(b, "</p>");
		}
	}
	html(b,
	     "<header><a class=\"author\" href=\"/@%s\"><img class=\"avatar\" "
	     "src=\"%s\" alt=\"\" width=\"46\" height=\"46\" "
	     "loading=\"lazy\"><span class=\"names\"><span "
	     "class=\"display-name\">%s</span><span class=\"acct\">@%s</span>"
	     "</span></a>",
	     account_acct(a, author), web_avatar_url(a, author),
	     web_display_name(author), account_acct(a, author));
	if (link)
		html(b, "<a class=\"permalink\" href=\"/@%s/%lld\">",
		     account_acct(a, author), (long long)s->id);
	else
		buf_puts(b, "<span class=\"permalink\">");
	web_time(b, s->created_at);
	buf_puts(b, link ? "</a></header>" : "</span></header>");
	if (!p->thread)
		put_in_reply_to(b, a, s);
	bool cw = s->spoiler_text && *s->spoiler_text;
	if (cw)
		html(b,
		     "<details class=\"cw\"><summary><span "
		     "class=\"spoiler\">%s</span><span class=\"show\">%s</span>"
		     "</summary>",
		     s->spoiler_text, _("Show content"));
	buf_puts(b, "<div class=\"content\">");
	html_trusted(b, s->content); /* made by text/ */
	buf_puts(b, "</div>");
	put_media(b, a, s);
	if (cw)
		buf_puts(b, "</details>");
	if (s->edited_at) {
		buf when;
		buf_init(&when, a);
		web_time(&when, s->edited_at);
		const char *parts[] = {when.data};
		buf_puts(b, "<p class=\"edited\">");
		/* TRANSLATORS: the post was edited; %s is when ("5 minutes
		 * ago") */
		web_tr_html(b, _("Edited %s"), 1, parts);
		buf_puts(b, "</p>");
	}
	put_counts(b, s);
	if (!focus && !boost)
		put_control(p, s);
	buf_puts(b, "</article>");
}

/* The title of the reader's first warn or blur filter for p's context
 * that s matches, or NULL (hide filters left it out of the list). */
static const char *filter_warning(web_page *p, const status *s)
{
	int64_t viewer = web_viewer(p->r);
	if (!viewer || p->embed)
		return NULL;
	filter_result *res;
	size_t n =
		visibility_filtered(&p->r->arena, viewer, s, p->context, &res);
	for (size_t i = 0; i < n; i++)
		if (res[i].filter->action != FILTER_HIDE)
			return res[i].filter->title;
	return NULL;
}

void web_status(web_page *p, const status *s, bool link)
{
	const char *filtered = filter_warning(p, s);
	if (filtered) {
		buf title;
		buf_init(&title, &p->r->arena);
		html(&title, "<span class=\"filter-title\">%s</span>",
		     filtered);
		const char *parts[] = {title.data};
		buf_puts(&p->main, "<details class=\"filtered\"><summary>");
		/* TRANSLATORS: a post folded by the reader's filter; %s is
		 * the filter's title */
		web_tr_html(&p->main, _("Filtered: %s"), 1, parts);
		buf_puts(&p->main, "</summary>");
	}
	if (s->reblog)
		put_status(p, s->reblog, s, true, false);
	else
		put_status(p, s, NULL, link, false);
	if (filtered)
		buf_puts(&p->main, "</details>");
}

void web_status_focus(web_page *p, const status *s)
{
	put_status(p, s, NULL, false, true);
}

void web_status_list(web_page *p, status *const *items, size_t n,
		     const char *base, int64_t next_max_id)
{
	if (!n)
		html(&p->main, "<p class=\"empty\">%s</p>",
		     _("Nothing here yet."));
	for (size_t i = 0; i < n; i++)
		web_status(p, items[i], true);
	if (next_max_id && base)
		html(&p->main,
		     "<a rel=\"next\" href=\"%s%smax_id=%lld\">%s</a>", base,
		     strchr(base, '?') ? "&" : "?", (long long)next_max_id,
		     _("Older posts"));
}
