/* pagecache.c — anonymous pages served again without being rendered.
 *
 * A visitor who follows a shared link gets the same bytes as the one
 * before: the page depends only on the URL, the language and the data.
 * When an answer stays valid is core/replies.h's rule, shared with the
 * API's anonymous answers; this file keys a page and keeps its ETag. */
#include "web/web.h"

#include "core/replies.h"

#include <string.h>

/* Language, path and query: all a page's bytes depend on besides data. */
static const char *cache_key(http_req *r)
{
	return http_request_key(
		r, arena_printf(&r->arena, "web %s", web_request_of(r)->lang));
}

bool web_cache_reply(http_req *r)
{
	kept_reply k;
	if (!replies_get(cache_key(r), &r->arena, web_accepts_gzip(r), &k))
		return false;
	web_body body = {
		.html = k.body, .len = k.len, .gz = k.alt, .gzlen = k.altlen};
	body.etag = k.nheaders ? k.headers[1] : NULL;
	web_reply_html(r, k.status, &body);
	return true;
}

bool web_cache_wanted(http_req *r, int status)
{
	return replies_enabled() && !strcmp(r->method, "GET") && r->session &&
	       !web_viewer(r) && !web_request_of(r)->no_store &&
	       (status == 200 || status == 404);
}

void web_cache_store(http_req *r, int status, const web_body *body)
{
	const char *etag[] = {"ETag", body->etag};
	kept_reply k = {
		.status = status,
		.body = body->html,
		.len = body->len,
		.alt = body->gz,
		.altlen = body->gz ? body->gzlen : 0,
		.headers = etag,
		.nheaders = body->etag ? 1 : 0,
	};
	replies_put(cache_key(r), &k);
}
