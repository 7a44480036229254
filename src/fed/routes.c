/* routes.c — what federation serves, the guard its requests pass, and
 * the helpers every document handler uses. */
#include "fed/fed.h"

#include "core/config.h"
#include "core/replies.h"
#include "core/time.h"

#include <string.h>
#include <strings.h>

/* F: a document at a path of its own. FN: a document at a path the web
 * pages share, chosen when the request asks for one. */
#define F(pattern_, handler_)                                                  \
	{                                                                      \
		.method = "GET", .pattern = (pattern_), .handler = (handler_), \
		.auth = FED_ROUTE,                                             \
	}
#define FN(pattern_, handler_)                                                 \
	{                                                                      \
		.method = "GET", .pattern = (pattern_), .handler = (handler_), \
		.auth = FED_ROUTE, .when = fed_wants_activity,                 \
		.name = pattern_ " (activity)",                                \
	}

const http_route fed_routes[] = {
	F("/.well-known/webfinger", fed_webfinger),
	F("/.well-known/host-meta", fed_host_meta),
	F("/actor", fed_instance_actor),
	FN("/users/:name", fed_actor),
	FN("/:acct", fed_actor_at),
	FN("/users/:name/statuses/:id", fed_status),
	FN("/:acct/:id", fed_status_at),
	F("/users/:name/statuses/:id/activity", fed_status_activity),
	F("/users/:name/statuses/:id/replies", fed_replies),
	F("/users/:name/outbox", fed_outbox),
	F("/users/:name/followers", fed_followers),
	F("/users/:name/following", fed_following),
	F("/users/:name/collections/featured", fed_featured),
	F("/users/:name/collections/tags", fed_featured_tags),
	{.method = "POST",
	 .pattern = "/inbox",
	 .handler = fed_inbox,
	 .auth = FED_ROUTE},
	{.method = "POST",
	 .pattern = "/users/:name/inbox",
	 .handler = fed_inbox,
	 .auth = FED_ROUTE},
};

const size_t fed_nroutes = sizeof fed_routes / sizeof fed_routes[0];

bool fed_guard(http_req *r, const http_route *route)
{
	(void)r;
	(void)route;
	/* one snapshot for the whole document (core/replies.h's order) */
	replies_begin();
	store_read_begin();
	return true;
}

void fed_after(http_req *r)
{
	(void)r;
	store_read_end();
}

bool fed_wants_activity(http_req *r)
{
	const char *accept = http_header_get(r, "Accept");
	if (!accept)
		return false;
	/* a browser's Accept names text/html and never these */
	for (const char *p = accept; (p = strcasestr(p, "application/"));) {
		p += strlen("application/");
		if (!strncasecmp(p, "activity+json", 13) ||
		    !strncasecmp(p, "ld+json", 7))
			return true;
	}
	return false;
}

void fed_reply(http_req *r, int status, json_t *doc)
{
	http_reply_json(r, status, doc);
	r->resp_type = "application/activity+json; charset=utf-8";
	/* the same URL is a page for a browser: caches must keep both */
	if (r->route && r->route->when)
		http_set_header(r, "Vary", "Accept");
}

bool fed_path_account(http_req *r, int i, bool at, account *out)
{
	const char *name = http_path_param(r, i);
	if (at)
		name = name && name[0] == '@' ? name + 1 : NULL;
	if (!name || !*name ||
	    !store_account_by_username(&r->arena, name, NULL, out)) {
		http_reply_error(r, 404, "Record not found");
		return false;
	}
	return true;
}

json_t *fed_time(int64_t ms)
{
	char t[TIME_RFC3339_LEN];
	time_format_rfc3339(ms, t);
	/* "2019-12-08T03:48:33.901Z" → "2019-12-08T03:48:33Z" */
	memcpy(t + 19, "Z", 2);
	return json_string(t);
}

const char *fed_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v && *v ? v : NULL;
}

const char *fed_id_of(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : fed_str(v, "id");
}

const char *fed_media_url(json_t *v)
{
	if (json_is_array(v))
		v = json_array_get(v, 0);
	if (json_is_string(v))
		return json_string_value(v);
	json_t *u = json_object_get(v, "url");
	if (json_is_array(u))
		u = json_array_get(u, 0);
	return json_is_string(u) ? json_string_value(u) : fed_str(u, "href");
}

json_t *fed_list(json_t *v)
{
	if (json_is_array(v))
		return json_incref(v);
	json_t *list = json_array();
	if (v && !json_is_null(v))
		json_array_append(list, v);
	return list;
}
