/* webfinger.c — how another server turns a handle into an actor:
 * WebFinger (RFC 7033) and the host-meta document older software reads
 * first to find it. */
#include "fed/fed.h"

#include "core/config.h"

#include <string.h>
#include <strings.h>

/* The account name resource asks for, in a: "acct:NAME@DOMAIN" (the
 * acct: may be left out), or an account's id or page URL; NULL when it
 * names no one here. The instance actor's handle gives cfg.domain. */
static const char *resource_name(arena *a, const char *resource)
{
	size_t base = strlen(cfg.base_url);
	if (!strncmp(resource, cfg.base_url, base)) {
		const char *path = resource + base;
		if (!strncmp(path, "/users/", 7))
			path += 7;
		else if (!strncmp(path, "/@", 2))
			path += 2;
		else if (!strcmp(path, "/actor"))
			return cfg.domain;
		else
			return NULL;
		return *path && !strchr(path, '/') ? path : NULL;
	}
	if (!strncasecmp(resource, "acct:", 5))
		resource += 5;
	const char *at = strrchr(resource, '@');
	if (!at || at == resource || strcasecmp(at + 1, cfg.domain))
		return NULL;
	return arena_strndup(a, resource, (size_t)(at - resource));
}

static json_t *link(const char *rel, const char *type, const char *href)
{
	return json_pack("{s:s,s:s,s:s}", "rel", rel, "type", type, "href",
			 href);
}

void fed_webfinger(http_req *r)
{
	const char *resource = http_param_get(r, "resource");
	if (!resource || !*resource) {
		http_reply_error(r, 400, "resource is missing");
		return;
	}
	const char *name = resource_name(&r->arena, resource);
	arena *a = &r->arena;
	const char *actor, *page;
	if (name && !strcasecmp(name, cfg.domain)) {
		actor = arena_printf(a, "%s/actor", cfg.base_url);
		page = arena_printf(a, "%s/about", cfg.base_url);
		name = cfg.domain;
	} else {
		account acc;
		if (!name || !store_account_by_username(a, name, NULL, &acc)) {
			http_reply_error(r, 404, "Record not found");
			return;
		}
		name = acc.username;
		actor = account_local_uri(a, acc.username);
		page = arena_printf(a, "%s/@%s", cfg.base_url, acc.username);
	}
	json_t *links = json_pack(
		"[o,o,{s:s,s:s}]",
		link("self", "application/activity+json", actor),
		link("http://webfinger.net/rel/profile-page", "text/html",
		     page),
		"rel", "http://ostatus.org/schema/1.0/subscribe", "template",
		arena_printf(a, "%s/authorize_interaction?uri={uri}",
			     cfg.base_url));
	json_t *doc = json_pack("{s:s,s:[s,s],s:o}", "subject",
				arena_printf(a, "acct:%s@%s", name, cfg.domain),
				"aliases", page, actor, "links", links);
	http_reply_json(r, 200, doc);
	r->resp_type = "application/jrd+json; charset=utf-8";
}

void fed_host_meta(http_req *r)
{
	/* base_url is the operator's URL, written into an attribute: one
	 * that would need XML's escapes is refused, not mangled */
	if (strpbrk(cfg.base_url, "&<\"")) {
		http_reply_error(r, 500, "base_url cannot be written as XML");
		return;
	}
	const char *xml = arena_printf(
		&r->arena,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n"
		"  <Link rel=\"lrdd\" template=\"%s/.well-known/webfinger?"
		"resource={uri}\"/>\n"
		"</XRD>\n",
		cfg.base_url);
	http_reply_raw(r, 200, "application/xrd+xml; charset=utf-8", xml,
		       strlen(xml));
}
