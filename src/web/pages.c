/* pages.c — the instance's own pages: the front page, about, explore and
 * search. Every read is a domain/ call the API makes too. */
#include "web/web.h"

#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "domain/trends.h"
#include "store/store.h"

#include <string.h>

enum {
	HOME_TAGS = 10,
	HOME_THREADS = 5,
	EXPLORE_TAGS = 20,
	EXPLORE_STATUSES = 20,
	FEED_PAGE = 20,
	SEARCH_LIMIT = 20,
	ABOUT_RULES = 64,
};

/* A viewer's page of a feed from ?max_id=, FEED_PAGE long. False (after
 * the 400 page) when max_id is not an id. */
bool web_page_param(http_req *r, page *pg)
{
	memset(pg, 0, sizeof *pg);
	pg->limit = FEED_PAGE;
	const char *max = http_param_get(r, "max_id");
	if (max && *max && !id_parse(max, &pg->max_id)) {
		web_bad_request(r);
		return false;
	}
	return true;
}

static void put_trending_tags(web_page *p, int limit)
{
	int64_t ids[EXPLORE_TAGS];
	const char *names[EXPLORE_TAGS];
	size_t n = trends_tags_page(&p->r->arena, false, time_now_ms(), 0,
				    limit, ids, names);
	if (!n) {
		html(&p->main, "<p class=\"empty\">%s</p>",
		     _("No hashtag is trending right now."));
		return;
	}
	buf_puts(&p->main, "<ul class=\"tag-list\">");
	for (size_t i = 0; i < n; i++)
		html(&p->main, "<li><a href=\"/tags/%s\">#%s</a></li>",
		     html_url_encode(&p->r->arena, names[i]), names[i]);
	buf_puts(&p->main, "</ul>");
}

/* The local timeline from pg on, continued on /explore. */
static void put_latest(web_page *p, const page *pg)
{
	html(&p->main,
	     "<section aria-labelledby=\"latest-h\"><h2 "
	     "id=\"latest-h\">%s</h2><div class=\"feed\">",
	     _("Latest posts"));
	status_page latest;
	timeline_feed(&p->r->arena, web_viewer(p->r), STORE_FEED_PUBLIC_LOCAL,
		      0, 0, pg, &latest);
	/* a short page is the last: the feed fills up to the limit */
	web_status_list(p, latest.items, latest.count, "/explore",
			latest.count == (size_t)pg->limit ? latest.next_max_id
							  : 0);
	buf_puts(&p->main, "</div></section>");
}

void web_home(http_req *r)
{
	web_page p;
	web_page_begin(&p, r, "");
	p.description = cfg.description;
	p.canonical = arena_printf(&r->arena, "%s/", cfg.base_url);
	/* not READ_HOME: the front page lists the local timeline and the
	 * day's threads, which the API (and visibility_listed here) reads
	 * in the public context; a filter folds a post where it would hide
	 * it */
	p.context = READ_PUBLIC;
	buf *b = &p.main;
	html(b,
	     "<section class=\"intro\" aria-labelledby=\"intro-h\"><h1 "
	     "id=\"intro-h\">%s</h1>",
	     cfg.title);
	if (cfg.description && *cfg.description)
		html(b, "<p>%s</p>", cfg.description);
	if (!web_viewer(r)) {
		buf_puts(b, "<p class=\"actions\">");
		if (cfg.registration_mode != REGISTRATIONS_CLOSED)
			html(b,
			     "<a class=\"button\" href=\"/auth/sign_up\">%s"
			     "</a> ",
			     _("Sign up"));
		html(b, "<a href=\"/auth/sign_in\">%s</a></p>", _("Sign in"));
	}
	buf_puts(b, "</section>");
	html(b,
	     "<section aria-labelledby=\"trending-h\"><h2 "
	     "id=\"trending-h\">%s</h2>",
	     _("Trending hashtags"));
	put_trending_tags(&p, HOME_TAGS);
	html(b,
	     "</section><section aria-labelledby=\"busy-h\"><h2 "
	     "id=\"busy-h\">%s</h2><div class=\"feed\">",
	     _("Busiest threads today"));
	status_page busy;
	trends_busiest_threads(&r->arena, web_viewer(r), 0, time_now_ms(),
			       HOME_THREADS, &busy);
	web_status_list(&p, busy.items, busy.count, NULL, 0);
	buf_puts(b, "</div></section>");
	page pg = {.limit = FEED_PAGE};
	put_latest(&p, &pg);
	web_page_reply(&p, 200);
}

void web_about(http_req *r)
{
	web_page p;
	web_page_begin(&p, r, _("About"));
	p.description = cfg.description;
	p.canonical = arena_printf(&r->arena, "%s/about", cfg.base_url);
	buf *b = &p.main;
	html(b, "<h1>%s</h1>", cfg.title);
	if (cfg.description && *cfg.description)
		html(b, "<p>%s</p>", cfg.description);
	long long users = (long long)store_count_local_users();
	long long posts = (long long)store_count_local_statuses();
	html(b, "<h2>%s</h2><ul class=\"stats\"><li>", _("On this server"));
	html(b, web_trn("%lld person", "%lld people", (unsigned long)users),
	     users);
	buf_puts(b, "</li><li>");
	html(b, web_trn("%lld post", "%lld posts", (unsigned long)posts),
	     posts);
	buf_puts(b, "</li></ul>");
	const char *rules[ABOUT_RULES];
	size_t nrules = config_rules(&r->arena, rules, ABOUT_RULES);
	if (nrules) {
		html(b, "<h2 id=\"rules\">%s</h2><ol class=\"rules\">",
		     _("Rules"));
		for (size_t i = 0; i < nrules; i++)
			html(b, "<li>%s</li>", rules[i]);
		buf_puts(b, "</ol>");
	}
	if (cfg.contact_email && *cfg.contact_email)
		html(b, "<h2>%s</h2><p><a href=\"mailto:%s\">%s</a></p>",
		     _("Contact"), cfg.contact_email, cfg.contact_email);
	html(b, "<h2>%s</h2><p>%s</p>", _("Registrations"),
	     cfg.registration_mode == REGISTRATIONS_OPEN
		     ? _("Anyone may sign up on this server.")
	     : cfg.registration_mode == REGISTRATIONS_APPROVAL
		     ? _("Anyone may sign up on this server; a moderator "
			 "approves each new account.")
		     : _("Sign-ups are closed on this server, but to those "
			 "invited."));
	web_page_reply(&p, 200);
}

void web_explore(http_req *r)
{
	page pg;
	if (!web_page_param(r, &pg))
		return;
	web_page p;
	web_page_begin(&p, r, _("Explore"));
	p.canonical = arena_printf(&r->arena, "%s/explore", cfg.base_url);
	p.description = _("What people are talking about right now.");
	buf *b = &p.main;
	html(b, "<h1>%s</h1>", _("Explore"));
	if (!pg.max_id) {
		html(b,
		     "<section aria-labelledby=\"tags-h\"><h2 "
		     "id=\"tags-h\">%s</h2>",
		     _("Trending hashtags"));
		put_trending_tags(&p, EXPLORE_TAGS);
		html(b,
		     "</section><section aria-labelledby=\"posts-h\"><h2 "
		     "id=\"posts-h\">%s</h2><div class=\"feed\">",
		     _("Trending posts"));
		status_page trending;
		trends_statuses_page(&r->arena, web_viewer(r), time_now_ms(), 0,
				     EXPLORE_STATUSES, &trending);
		web_status_list(&p, trending.items, trending.count, NULL, 0);
		buf_puts(b, "</div></section>");
	}
	put_latest(&p, &pg);
	web_page_reply(&p, 200);
}

static void put_search_form(buf *b, const char *q)
{
	html(b,
	     "<form role=\"search\" action=\"/search\" method=\"get\" "
	     "class=\"search-page\"><label for=\"search-q\">%s</label> <input "
	     "id=\"search-q\" name=\"q\" type=\"search\" value=\"%s\" "
	     "maxlength=\"500\"> <button type=\"submit\">%s</button></form>",
	     _("Search posts, people and hashtags"), q ? q : "", _("Search"));
}

static void put_found_accounts(web_page *p, const char *q)
{
	arena *a = &p->r->arena;
	search_options o = {.limit = SEARCH_LIMIT};
	account *accs = arena_alloc(a, SEARCH_LIMIT * sizeof *accs);
	size_t n = search_accounts(a, web_viewer(p->r), q, &o, accs);
	if (!n)
		return;
	html(&p->main, "<h2>%s</h2><ul class=\"people\">", _("People"));
	for (size_t i = 0; i < n; i++)
		html(&p->main,
		     "<li><a class=\"author\" href=\"/@%s\"><img "
		     "class=\"avatar\" src=\"%s\" alt=\"\" width=\"46\" "
		     "height=\"46\"><span class=\"names\"><span "
		     "class=\"display-name\">%s</span><span "
		     "class=\"acct\">@%s</span></span></a></li>",
		     account_acct(a, &accs[i]), web_avatar_url(a, &accs[i]),
		     web_display_name(&accs[i]), account_acct(a, &accs[i]));
	buf_puts(&p->main, "</ul>");
}

static void put_found_tags(web_page *p, const char *q)
{
	arena *a = &p->r->arena;
	search_options o = {.limit = SEARCH_LIMIT};
	int64_t ids[SEARCH_LIMIT];
	const char *names[SEARCH_LIMIT];
	size_t n = search_hashtags(a, q, &o, ids, names);
	size_t used = 0;
	for (size_t i = 0; i < n; i++)
		used += ids[i] != 0;
	if (!used)
		return;
	html(&p->main, "<h2>%s</h2><ul class=\"tag-list\">", _("Hashtags"));
	for (size_t i = 0; i < n; i++)
		if (ids[i])
			html(&p->main, "<li><a href=\"/tags/%s\">#%s</a></li>",
			     html_url_encode(a, names[i]), names[i]);
	buf_puts(&p->main, "</ul>");
}

void web_search(http_req *r)
{
	const char *q = http_param_get(r, "q");
	while (q && (*q == ' ' || *q == '\t'))
		q++;
	web_page p;
	web_page_begin(&p, r, q && *q ? q : _("Search"));
	p.noindex = true;
	html(&p.main, "<h1>%s</h1>", _("Search"));
	put_search_form(&p.main, q);
	if (!q || !*q) {
		web_page_reply(&p, 200);
		return;
	}
	search_query sq;
	const char *msg = NULL;
	if (strlen(q) > (size_t)cfg.search_max_query * 4 ||
	    search_query_parse(&r->arena, q, &sq, &msg) != DOM_OK) {
		html(&p.main, "<p class=\"form-error\" role=\"alert\">%s</p>",
		     msg ? msg : _("This search is too long."));
		web_page_reply(&p, 422);
		return;
	}
	bool at = strchr(q, '@') != NULL;
	if (q[0] != '#')
		put_found_accounts(&p, q);
	if (!at)
		put_found_tags(&p, q);
	search_options o = {.limit = SEARCH_LIMIT};
	status_page found = {0};
	search_statuses(&r->arena, web_viewer(r), &sq, &o, &found);
	html(&p.main, "<h2>%s</h2><div class=\"feed\">", _("Posts"));
	web_status_list(&p, found.items, found.count, NULL, 0);
	buf_puts(&p.main, "</div>");
	web_page_reply(&p, 200);
}
