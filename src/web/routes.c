/* routes.c — the pages chorus serves, and the guard every page request
 * passes: one read snapshot, the reader's language, the browser's
 * session, and the anonymous page cache. */
#include "web/web.h"

#include "core/replies.h"
#include "store/store.h"

#include <string.h>

#define W(pattern_, handler_)                                                  \
	{                                                                      \
		.method = "GET", .pattern = (pattern_), .handler = (handler_), \
		.auth = WEB_ROUTE,                                             \
	}
#define WP(pattern_, handler_)                                                 \
	{                                                                      \
		.method = "POST", .pattern = (pattern_),                       \
		.handler = (handler_), .auth = WEB_ROUTE,                      \
	}

const http_route web_routes[] = {
	W("/", web_home),
	W("/about", web_about),
	W("/explore", web_explore),
	W("/search", web_search),
	W("/tags/:name", web_tag), /* and /tags/NAME.rss */
	/* /@name, /@name.rss; /@name/ID, /@name/with_replies, /@name/media */
	W("/:acct", web_profile),
	W("/:acct/:id", web_thread),
	W("/:acct/tagged/:tag", web_profile_tagged),
	W("/:acct/:id/embed", web_embed),
	W("/:acct/:id/hidden", web_thread_hidden),
	/* a signed-in reader's safety: blocks, mutes, hidden replies,
	 * filters (forms with the CSRF token; docs/web.md) */
	WP("/:acct/block", web_account_block),
	WP("/:acct/unblock", web_account_unblock),
	WP("/:acct/mute", web_account_mute),
	WP("/:acct/unmute", web_account_unmute),
	WP("/:acct/:id/hide", web_reply_hide),
	WP("/:acct/:id/unhide", web_reply_unhide),
	W("/filters", web_filters_page),
	WP("/filters", web_filters_create),
	WP("/filters/:id/delete", web_filters_delete),
	/* the ids (uri) of accounts and posts, opened in a browser */
	W("/users/:name", web_account_by_uri),
	W("/users/:name/statuses/:id", web_thread_by_uri),
	/* sign-in, sign-up, sign-out; OAuth's page for apps */
	W("/auth/sign_in", web_sign_in_page),
	WP("/auth/sign_in", web_sign_in_submit),
	W("/auth/sign_up", web_sign_up_page),
	W("/invite/:code", web_invite),
	WP("/auth/sign_up", web_sign_up_submit),
	WP("/auth/sign_out", web_sign_out),
	W("/oauth/authorize", web_authorize_page),
	WP("/oauth/authorize", web_authorize_submit),
	W("/assets/:file", web_asset),
	W("/api/oembed", web_oembed),
};

const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];

static const web_request anonymous = {.lang = "en"};

const web_request *web_request_of(http_req *r)
{
	return r->session ? r->session : &anonymous;
}

int64_t web_viewer(http_req *r)
{
	return web_request_of(r)->viewer;
}

bool web_guard(http_req *r, const http_route *route)
{
	(void)route;
	replies_begin(); /* before the snapshot: see core/replies.h */
	store_read_begin();
	web_request *w = arena_alloc(&r->arena, sizeof *w);
	memset(w, 0, sizeof *w);
	w->lang = web_i18n_select(http_header_get(r, "Accept-Language"));
	r->session = w;
	web_session_load(r, w);
	if (!strcmp(r->method, "GET") && !w->viewer && web_cache_reply(r))
		return false;
	return true;
}

void web_after(http_req *r)
{
	(void)r;
	store_read_end();
	web_i18n_reset();
}

int web_init(void)
{
	web_i18n_init();
	return web_assets_init();
}

void web_shutdown(void)
{
	web_assets_shutdown();
}
