/* profile.c — /@name: who someone is and what they posted, in three tabs
 * (posts, posts and replies, media), paged by links. */
#include "web/web.h"

#include "core/config.h"
#include "store/store.h"
#include "text/text.h"

#include <jansson.h>
#include <string.h>

typedef enum profile_tab {
	TAB_POSTS,
	TAB_REPLIES,
	TAB_MEDIA,
	TAB_TAGGED,
} profile_tab;

/* The account named by a path segment: "@name" here, "@name@host"
 * another server's account known here (never fetched for a page). A
 * suspended account has no pages. */
bool web_path_account(http_req *r, const char *seg, account *out)
{
	if (!seg || seg[0] != '@' || !seg[1])
		return false;
	const char *at = strchr(seg + 1, '@');
	if (at && (at == seg + 1 || !at[1] || strchr(at + 1, '@')))
		return false;
	bool found =
		at ? store_account_by_username(
			     &r->arena,
			     arena_strndup(&r->arena, seg + 1,
					   (size_t)(at - seg - 1)),
			     at + 1, out)
		   : store_account_by_username(&r->arena, seg + 1, NULL, out);
	return found && visibility_account_shown(out);
}

static void put_fields(buf *b, arena *a, const account *acc)
{
	json_t *fields = acc->fields ? json_loads(acc->fields, 0, NULL) : NULL;
	if (json_is_array(fields) && json_array_size(fields)) {
		buf_puts(b, "<dl class=\"fields\">");
		size_t i;
		json_t *f;
		json_array_foreach(fields, i, f)
		{
			const char *name =
				json_string_value(json_object_get(f, "name"));
			const char *value =
				json_string_value(json_object_get(f, "value"));
			if (!name || !value)
				continue;
			html(b, "<dt>%s</dt><dd>", name);
			html_trusted(b, profile_text_html(a, value));
			buf_puts(b, "</dd>");
		}
		buf_puts(b, "</dl>");
	}
	json_decref(fields);
}

static void put_profile_header(web_page *p, const account *acc)
{
	buf *b = &p->main;
	arena *a = &p->r->arena;
	buf_puts(b, "<section class=\"profile-header\">");
	if (acc->header)
		html(b, "<img class=\"banner\" src=\"%s\" alt=\"\">",
		     web_media_url(a, acc->header));
	else
		buf_puts(b, "<div class=\"banner\"></div>");
	html(b,
	     "<div class=\"who\"><img src=\"%s\" alt=\"\" width=\"96\" "
	     "height=\"96\"><div><h1>%s</h1><p class=\"acct\">@%s@%s</p>"
	     "</div></div>",
	     web_avatar_url(a, acc), web_display_name(acc), acc->username,
	     acc->domain ? acc->domain : cfg.domain);
	if (acc->note_html && *acc->note_html) {
		buf_puts(b, "<div class=\"bio\">");
		html_trusted(b, acc->note_html); /* made by text/ */
		buf_puts(b, "</div>");
	}
	put_fields(b, a, acc);
	html(b, "<ul class=\"stats\"><li>");
	html(b,
	     web_trn("%lld post", "%lld posts",
		     (unsigned long)acc->statuses_count),
	     (long long)acc->statuses_count);
	buf_puts(b, "</li><li>");
	html(b,
	     web_trn("%lld follower", "%lld followers",
		     (unsigned long)acc->followers_count),
	     (long long)acc->followers_count);
	buf_puts(b, "</li><li>");
	/* TRANSLATORS: how many accounts this person follows */
	html(b,
	     web_trn("%lld following", "%lld following",
		     (unsigned long)acc->following_count),
	     (long long)acc->following_count);
	buf_puts(b, "</li></ul></section>");
}

static void put_tab(buf *b, const char *href, const char *label, bool current)
{
	if (current)
		html(b, "<li><a href=\"%s\" aria-current=\"page\">%s</a></li>",
		     href, label);
	else
		html(b, "<li><a href=\"%s\">%s</a></li>", href, label);
}

static void profile_page(http_req *r, const account *acc, profile_tab tab,
			 const char *tag)
{
	page pg;
	if (!web_page_param(r, &pg))
		return;
	arena *a = &r->arena;
	int64_t viewer = web_viewer(r);
	web_page p;
	web_page_begin(&p, r,
		       arena_printf(a, "%s (@%s)", web_display_name(acc),
				    account_acct(a, acc)));
	p.og_type = "profile";
	p.canonical = web_account_url(a, acc);
	p.rss = arena_printf(a, "%s.rss", p.canonical);
	p.description = acc->note && *acc->note ? acc->note : NULL;
	p.og_image = acc->avatar ? arena_printf(a, "%s%s", cfg.base_url,
						web_media_url(a, acc->avatar))
				 : NULL;
	p.context = READ_PROFILE;
	put_profile_header(&p, acc);
	web_relation_controls(&p, acc);
	const char *base = arena_printf(a, "/@%s", account_acct(a, acc));
	html(&p.main, "<nav class=\"tabs\" aria-label=\"%s\"><ul>",
	     _("Posts by this person"));
	put_tab(&p.main, base, _("Posts"), tab == TAB_POSTS);
	put_tab(&p.main, arena_printf(a, "%s/with_replies", base),
		_("Posts and replies"), tab == TAB_REPLIES);
	put_tab(&p.main, arena_printf(a, "%s/media", base), _("Media"),
		tab == TAB_MEDIA);
	buf_puts(&p.main, "</ul></nav>");
	if (tab == TAB_POSTS && !pg.max_id) {
		page pins = {.limit = cfg.max_pinned > 0 ? cfg.max_pinned : 5};
		status_page pinned;
		timeline_feed(a, viewer, STORE_FEED_PINNED, acc->id, 0, &pins,
			      &pinned);
		if (pinned.count) {
			html(&p.main,
			     "<section aria-labelledby=\"pinned-h\"><h2 "
			     "id=\"pinned-h\">%s</h2><div class=\"feed\">",
			     _("Pinned"));
			web_status_list(&p, pinned.items, pinned.count, NULL,
					0);
			buf_puts(&p.main, "</div></section>");
		}
	}
	status_page out;
	const char *here = base;
	if (tab == TAB_REPLIES) {
		timeline_feed(a, viewer, STORE_FEED_ACCOUNT, acc->id, 0, &pg,
			      &out);
		here = arena_printf(a, "%s/with_replies", base);
	} else if (tab == TAB_MEDIA) {
		timeline_feed(a, viewer, STORE_FEED_ACCOUNT_MEDIA, acc->id, 0,
			      &pg, &out);
		here = arena_printf(a, "%s/media", base);
	} else if (tab == TAB_TAGGED) {
		char *key = text_tag_key(a, tag, strlen(tag));
		int64_t tag_id = key ? store_tag_id(key) : 0;
		timeline_feed(a, viewer, STORE_FEED_ACCOUNT_TAGGED, acc->id,
			      tag_id, &pg, &out);
		here = arena_printf(a, "%s/tagged/%s", base,
				    html_url_encode(a, tag));
	} else {
		timeline_feed(a, viewer, STORE_FEED_ACCOUNT_NO_REPLIES, acc->id,
			      0, &pg, &out);
	}
	html(&p.main, "<h2 class=\"sr-only\">%s</h2><div class=\"feed\">",
	     _("Posts"));
	/* a short page is the last: the feed fills up to the limit */
	web_status_list(&p, out.items, out.count, here,
			out.count == (size_t)pg.limit ? out.next_max_id : 0);
	buf_puts(&p.main, "</div>");
	web_page_reply(&p, 200);
}

void web_profile(http_req *r)
{
	const char *seg = http_path_param(r, 0);
	size_t n = strlen(seg);
	account acc;
	if (n > 4 && !strcmp(seg + n - 4, ".rss")) {
		char *name = arena_strdup(&r->arena, seg);
		name[n - 4] = '\0';
		if (!web_path_account(r, name, &acc)) {
			web_not_found(r);
			return;
		}
		web_rss_account(r, &acc);
		return;
	}
	if (!web_path_account(r, seg, &acc)) {
		web_not_found(r);
		return;
	}
	profile_page(r, &acc, TAB_POSTS, NULL);
}

/* /@name/with_replies and /@name/media share /@name/:id with posts. */
bool web_profile_tab(http_req *r, const account *acc, const char *tab)
{
	if (!strcmp(tab, "with_replies"))
		profile_page(r, acc, TAB_REPLIES, NULL);
	else if (!strcmp(tab, "media"))
		profile_page(r, acc, TAB_MEDIA, NULL);
	else
		return false;
	return true;
}

void web_profile_tagged(http_req *r)
{
	account acc;
	if (!web_path_account(r, http_path_param(r, 0), &acc)) {
		web_not_found(r);
		return;
	}
	profile_page(r, &acc, TAB_TAGGED, http_path_param(r, 1));
}

void web_account_by_uri(http_req *r)
{
	account acc;
	const char *name = http_path_param(r, 0);
	if (!store_account_by_username(&r->arena, name, NULL, &acc)) {
		web_not_found(r);
		return;
	}
	/* the same address answers a server its actor (fed/routes.c) */
	http_set_header(r, "Vary", "Accept");
	http_redirect(r, web_account_url(&r->arena, &acc));
}
