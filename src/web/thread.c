/* thread.c — /@name/ID: a post and its whole thread. Ancestors above,
 * replies nested below in thread order, one page at a time: a thread of
 * forty thousand replies opens with its first page, and "More replies"
 * continues from the last reply shown (the API's paginated descendants). */
#include "web/web.h"

#include "core/config.h"
#include "core/id.h"
#include "store/store.h"

#include <jansson.h>
#include <string.h>

enum {
	THREAD_PAGE = 40,      /* replies a page shows */
	THREAD_ANCESTORS = 40, /* posts above, nearest kept */
	THREAD_MAX_DEPTH = 8,  /* deeper replies are drawn at this depth */
	DESCRIPTION_CHARS = 200,
	TITLE_CHARS = 60,
	HIDDEN_MAX = 200, /* hidden replies a page lists */
};

/* Replies in depth-first order, nested as lists: each reply sits one
 * level under the nearest earlier reply it answers (a reply whose parent
 * is not on this page starts at the top level). */
static void put_replies(web_page *p, int64_t root, status *const *items,
			size_t n)
{
	buf *b = &p->main;
	int *depth = arena_alloc(&p->r->arena, (n ? n : 1) * sizeof *depth);
	int cur = 1;
	buf_puts(b, "<ol class=\"replies\">");
	for (size_t i = 0; i < n; i++) {
		int d = 1;
		for (size_t j = i; j-- > 0;)
			if (items[j]->id == items[i]->in_reply_to_id) {
				d = depth[j] + 1;
				break;
			}
		if (items[i]->in_reply_to_id == root)
			d = 1;
		if (d > THREAD_MAX_DEPTH)
			d = THREAD_MAX_DEPTH;
		if (d > cur + 1)
			d = cur + 1;
		depth[i] = d;
		if (i && d > cur) {
			buf_puts(b, "<ol class=\"replies\">");
			cur = d;
		} else if (i) {
			buf_puts(b, "</li>");
			for (; cur > d; cur--)
				buf_puts(b, "</ol></li>");
		}
		buf_puts(b, "<li>");
		web_status(p, items[i], true);
	}
	if (n)
		buf_puts(b, "</li>");
	for (; cur > 1; cur--)
		buf_puts(b, "</ol></li>");
	buf_puts(b, "</ol>");
}

/* The first image of s (or a video's poster) as an absolute URL. */
static const char *first_image(arena *a, const status *s)
{
	media_attachment m[1];
	if (!store_media_of_status(a, s->id, m, 1) || m[0].state != MEDIA_READY)
		return NULL;
	const char *name = m[0].preview ? m[0].preview : m[0].file;
	return name && !status_sensitive(s)
		       ? arena_printf(a, "%s%s", cfg.base_url,
				      web_media_url(a, name))
		       : NULL;
}

/* "Hidden replies (N)", to the page listing them, when the thread's
 * author hid replies under s that the reader may see. */
static void put_hidden_link(web_page *p, const account *author, const status *s)
{
	arena *a = &p->r->arena;
	status_page hidden;
	timeline_hidden_replies(a, web_viewer(p->r), s, HIDDEN_MAX, &hidden);
	if (!hidden.count)
		return;
	html(&p->main,
	     "<p class=\"hidden-replies\"><a href=\"/@%s/%lld/hidden\">",
	     account_acct(a, author), (long long)s->id);
	buf n;
	buf_init(&n, a);
	html(&n, "%zu", hidden.count);
	const char *parts[] = {n.data};
	/* TRANSLATORS: a link to the replies the thread's author hid; %s
	 * is how many */
	web_tr_html(&p->main, _("Hidden replies (%s)"), 1, parts);
	buf_puts(&p->main, "</a></p>");
}

static void thread_page(http_req *r, const account *author, const status *s)
{
	arena *a = &r->arena;
	int64_t viewer = web_viewer(r);
	int64_t after = 0;
	const char *after_s = http_param_get(r, "after");
	if (after_s && *after_s && !id_parse(after_s, &after)) {
		web_bad_request(r);
		return;
	}
	web_page p;
	web_page_begin(&p, r,
		       arena_printf(a, "%s: %s", web_display_name(author),
				    web_status_summary(a, s, TITLE_CHARS)));
	p.og_type = "article";
	p.thread = !after; /* a later page: parents may be elsewhere */
	p.canonical = web_status_url(a, s);
	p.description = web_status_summary(a, s, DESCRIPTION_CHARS);
	p.og_image = first_image(a, s);
	p.oembed = arena_printf(a, "%s/api/oembed?url=%s", cfg.base_url,
				html_url_encode(a, p.canonical));
	p.noindex = s->vis != VIS_PUBLIC;
	p.context = READ_THREAD;
	buf *b = &p.main;
	html(b, "<div class=\"thread\" data-status-id=\"%lld\">",
	     (long long)s->id);
	if (!after) {
		context c;
		timeline_context(a, viewer, s, THREAD_ANCESTORS, 1, &c);
		if (c.nancestors) {
			html(b,
			     "<section class=\"ancestors\" aria-label=\"%s\">",
			     _("Earlier in the thread"));
			for (size_t i = 0; i < c.nancestors; i++)
				web_status(&p, c.ancestors[i], true);
			buf_puts(b, "</section>");
		}
	}
	/* TRANSLATORS: the heading of a post's page; %s is the author */
	html(b, "<h1 class=\"sr-only\">");
	buf name;
	buf_init(&name, a);
	html(&name, "%s", web_display_name(author));
	const char *parts[] = {name.data};
	web_tr_html(b, _("Post by %s"), 1, parts);
	buf_puts(b, "</h1>");
	web_status_focus(&p, s);
	status_page replies;
	bool more = false;
	timeline_descendants(a, viewer, s, after, THREAD_PAGE, &replies, &more);
	html(b,
	     "<section class=\"replies\" aria-labelledby=\"replies-h\"><h2 "
	     "id=\"replies-h\">%s</h2>",
	     after ? _("More replies") : _("Replies"));
	if (after)
		html(b, "<p><a href=\"/@%s/%lld\">%s</a></p>",
		     account_acct(a, author), (long long)s->id,
		     _("Back to the start of the thread"));
	if (!replies.count)
		html(b, "<p class=\"empty\">%s</p>", _("No replies yet."));
	else {
		p.control = WEB_CONTROL_HIDE;
		put_replies(&p, s->id, replies.items, replies.count);
		p.control = WEB_CONTROL_NONE;
	}
	if (more && replies.count)
		html(b,
		     "<a class=\"more-replies\" href=\"/@%s/%lld?after=%lld\">"
		     "%s</a>",
		     account_acct(a, author), (long long)s->id,
		     (long long)replies.items[replies.count - 1]->id,
		     _("More replies"));
	put_hidden_link(&p, author, s);
	buf_puts(b, "</section></div>");
	web_page_reply(&p, 200);
}

/* s (id from the path) if viewer may see it, else the 404 page. */
static bool load_status(http_req *r, const char *id_s, status *s)
{
	int64_t id;
	if (!id_parse(id_s, &id)) {
		web_bad_request(r);
		return false;
	}
	if (!status_load_visible(&r->arena, web_viewer(r), id, s)) {
		web_not_found(r);
		return false;
	}
	return true;
}

/* The post at /@name/ID that is name's own (not a boost) into acc and
 * s, or false with the error page answered. */
static bool load_own_post(http_req *r, account *acc, status *s)
{
	if (!web_path_account(r, http_path_param(r, 0), acc)) {
		web_not_found(r);
		return false;
	}
	if (!load_status(r, http_path_param(r, 1), s))
		return false;
	if (s->account_id != acc->id || s->reblog) {
		web_not_found(r);
		return false;
	}
	return true;
}

void web_thread(http_req *r)
{
	account acc;
	if (!web_path_account(r, http_path_param(r, 0), &acc)) {
		web_not_found(r);
		return;
	}
	const char *id_s = http_path_param(r, 1);
	if (web_profile_tab(r, &acc, id_s))
		return;
	status s;
	if (!load_status(r, id_s, &s))
		return;
	const account *author = status_author(&r->arena, &s);
	if (s.reblog || !author || author->id != acc.id) {
		/* a boost's page is its post's; a wrong name is corrected */
		const status *target = s.reblog ? s.reblog : &s;
		http_redirect(r, web_status_url(&r->arena, target));
		return;
	}
	thread_page(r, author, &s);
}

/* /@name/ID/hidden: the replies the thread's author hid under the post,
 * still readable, apart from the thread. */
void web_thread_hidden(http_req *r)
{
	account acc;
	status s;
	if (!load_own_post(r, &acc, &s))
		return;
	arena *a = &r->arena;
	web_page p;
	web_page_begin(&p, r, _("Hidden replies"));
	p.noindex = true;
	p.canonical = arena_printf(a, "%s/hidden", web_status_url(a, &s));
	p.context = READ_THREAD;
	p.control = WEB_CONTROL_UNHIDE;
	buf *b = &p.main;
	html(b,
	     "<section class=\"hidden-replies\" aria-labelledby=\"hidden-h\">"
	     "<h1 id=\"hidden-h\">%s</h1>"
	     "<p class=\"explain\">%s</p>"
	     "<p><a href=\"/@%s/%lld\">%s</a></p>",
	     _("Hidden replies"),
	     _("The author of the thread hid these replies from it."),
	     account_acct(a, &acc), (long long)s.id, _("Back to the thread"));
	status_page hidden;
	timeline_hidden_replies(a, web_viewer(r), &s, HIDDEN_MAX, &hidden);
	if (!hidden.count)
		html(b, "<p class=\"empty\">%s</p>", _("No hidden replies."));
	for (size_t i = 0; i < hidden.count; i++)
		web_status(&p, hidden.items[i], true);
	buf_puts(b, "</section>");
	web_page_reply(&p, 200);
}

void web_thread_by_uri(http_req *r)
{
	status s;
	if (!load_status(r, http_path_param(r, 1), &s))
		return;
	http_set_header(r, "Vary", "Accept"); /* as web_account_by_uri */
	http_redirect(r, web_status_url(&r->arena, s.reblog ? s.reblog : &s));
}

/* /api/oembed?url=<a post's page>: how other sites embed a post. */
void web_oembed(http_req *r)
{
	const char *url = http_param_get(r, "url");
	size_t base = strlen(cfg.base_url);
	const char *path =
		url && !strncmp(url, cfg.base_url, base) ? url + base : NULL;
	const char *slash = path && path[0] == '/' && path[1] == '@'
				    ? strchr(path + 2, '/')
				    : NULL;
	int64_t id;
	status s;
	if (!slash || !id_parse(slash + 1, &id) ||
	    !status_load_visible(&r->arena, 0, id, &s) || s.vis != VIS_PUBLIC ||
	    s.reblog) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	const account *author = status_author(&r->arena, &s);
	if (!author) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	const char *page = web_status_url(&r->arena, &s);
	buf frame;
	buf_init(&frame, &r->arena);
	html(&frame,
	     "<iframe src=\"%s/embed\" class=\"chorus-embed\" "
	     "style=\"max-width: 100%%; border: 0\" width=\"400\" "
	     "height=\"300\" allowfullscreen=\"allowfullscreen\" "
	     "sandbox=\"allow-scripts allow-same-origin allow-popups "
	     "allow-popups-to-escape-sandbox\" title=\"%s\"></iframe>",
	     page, web_display_name(author));
	json_t *j = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:n}", "type", "rich",
		"version", "1.0", "title",
		arena_printf(&r->arena, "New post by %s",
			     web_display_name(author)),
		"author_name", web_display_name(author), "author_url",
		web_account_url(&r->arena, author), "provider_name", cfg.title,
		"provider_url", arena_printf(&r->arena, "%s/", cfg.base_url),
		"cache_age", 86400, "html", frame.data, "width", 400, "height");
	http_reply_json(r, 200, j);
}

/* /@name/ID/embed: the post alone, for the frame oEmbed hands out. Only
 * public posts: an embed is a copy on someone else's site. */
void web_embed(http_req *r)
{
	account acc;
	status s;
	if (!load_own_post(r, &acc, &s))
		return;
	if (s.vis != VIS_PUBLIC) {
		web_not_found(r);
		return;
	}
	((web_request *)r->session)->embed = true;
	web_page p;
	web_page_begin(&p, r, web_display_name(status_author(&r->arena, &s)));
	p.embed = true;
	p.canonical = web_status_url(&r->arena, &s);
	web_status(&p, &s, true);
	web_page_reply(&p, 200);
}
