/* actor.c — actor documents: an account as a Person (a bot as a
 * Service), and the instance actor, an Application that signs what no
 * account sends on its own. Mastodon's shape (the research notes' §4.2),
 * so Mastodon, GoToSocial and the rest read them as their own. */
#include "fed/fed.h"

#include "core/config.h"
#include "core/log.h"
#include "render/render.h"

#include <string.h>
#include <strings.h>

/* The JSON-LD context of an actor: ActivityStreams, the security
 * vocabulary (publicKey), and the terms Mastodon added. */
static json_t *actor_context(void)
{
	return json_pack(
		"[s,s,{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s},s:s,s:s,s:s,s:s,s:s,"
		"s:s,s:s}]",
		"https://www.w3.org/ns/activitystreams",
		"https://w3id.org/security/v1", "manuallyApprovesFollowers",
		"as:manuallyApprovesFollowers", "toot",
		"http://joinmastodon.org/ns#", "featured", "@id",
		"toot:featured", "@type", "@id", "featuredTags", "@id",
		"toot:featuredTags", "@type", "@id", "discoverable",
		"toot:discoverable", "indexable", "toot:indexable", "memorial",
		"toot:memorial", "schema", "http://schema.org#",
		"PropertyValue", "schema:PropertyValue", "value",
		"schema:value", "webfinger",
		"https://purl.archive.org/socialweb/webfinger#webfinger");
}

/* The media type of an image chorus stored, by its name. */
static const char *image_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")))
		return "image/jpeg";
	if (dot && !strcasecmp(dot, ".gif"))
		return "image/gif";
	if (dot && !strcasecmp(dot, ".webp"))
		return "image/webp";
	return "image/png";
}

static json_t *image(arena *a, const char *name)
{
	return json_pack("{s:s,s:s,s:s}", "type", "Image", "mediaType",
			 image_type(name), "url",
			 arena_printf(a, "%s/media/%s", cfg.base_url, name));
}

/* Profile fields as schema.org PropertyValues, values as HTML. */
static json_t *property_values(arena *a, const char *fields)
{
	json_t *shown = render_account_fields(a, fields), *out = json_array();
	size_t i;
	json_t *f;
	json_array_foreach(shown, i, f)
	{
		json_array_append_new(
			out, json_pack("{s:s,s:O,s:O}", "type", "PropertyValue",
				       "name", json_object_get(f, "name"),
				       "value", json_object_get(f, "value")));
	}
	json_decref(shown);
	return out;
}

static json_t *public_key(const char *owner, const store_key_pair *k)
{
	return json_pack("{s:s+,s:s,s:s}", "id", owner, "#main-key", "owner",
			 owner, "publicKeyPem", k->public_pem);
}

json_t *fed_person(arena *a, const account *acc)
{
	/* a suspended account keeps its key (its Delete is checked with
	 * it) and shows nothing it wrote */
	bool suspended = acc->suspended_at != 0;
	acc = account_shown(a, acc);
	store_key_pair key;
	if (!fed_actor_key(a, acc->id, &key))
		return NULL;
	const char *id = account_local_uri(a, acc->username);
	/* Mastodon rounds the date to its day, as the API does */
	int64_t day = acc->created_at - acc->created_at % 86400000;
	json_t *doc = json_pack(
		"{s:o,s:s,s:s,s:s+,s:s+,s:s+,s:s+,s:s+,s:s+,s:s,s:s,s:s,"
		"s:s++,s:b,s:b,s:b,s:b,s:o,s:o,s:o,s:o,s:{s:s+},s:s++}",
		"@context", actor_context(), "id", id, "type",
		acc->bot ? "Service" : "Person", "following", id, "/following",
		"followers", id, "/followers", "inbox", id, "/inbox", "outbox",
		id, "/outbox", "featured", id, "/collections/featured",
		"featuredTags", id, "/collections/tags", "preferredUsername",
		acc->username, "name", acc->display_name, "summary",
		acc->note_html, "url", cfg.base_url, "/@", acc->username,
		"manuallyApprovesFollowers", acc->locked, "discoverable",
		acc->discoverable, "indexable", acc->discoverable, "memorial",
		0, "published", fed_time(day), "publicKey",
		public_key(id, &key), "tag", json_array(), "attachment",
		property_values(a, acc->fields), "endpoints", "sharedInbox",
		cfg.base_url, "/inbox", "webfinger", acc->username, "@",
		cfg.domain);
	if (acc->avatar)
		json_object_set_new(doc, "icon", image(a, acc->avatar));
	if (acc->header)
		json_object_set_new(doc, "image", image(a, acc->header));
	if (suspended)
		json_object_set_new(doc, "suspended", json_true());
	return doc;
}

static void reply_person(http_req *r, const account *acc)
{
	json_t *doc = fed_person(&r->arena, acc);
	if (!doc) {
		http_reply_error(r, 500, "The actor's key is missing");
		return;
	}
	fed_reply(r, 200, doc);
}

void fed_actor(http_req *r)
{
	account acc;
	if (fed_path_account(r, 0, false, &acc))
		reply_person(r, &acc);
}

void fed_actor_at(http_req *r)
{
	account acc;
	if (fed_path_account(r, 0, true, &acc))
		reply_person(r, &acc);
}

void fed_instance_actor(http_req *r)
{
	arena *a = &r->arena;
	store_key_pair key;
	if (!fed_actor_key(a, 0, &key)) {
		http_reply_error(r, 500, "The instance actor's key is missing");
		return;
	}
	const char *id = arena_printf(a, "%s/actor", cfg.base_url);
	json_t *doc = json_pack(
		"{s:o,s:s,s:s,s:s,s:s+,s:s+,s:s,s:s+,s:b,s:o,s:{s:s+}}",
		"@context", actor_context(), "id", id, "type", "Application",
		"preferredUsername", cfg.domain, "inbox", id, "/inbox",
		"outbox", id, "/outbox", "name", cfg.domain, "url",
		cfg.base_url, "/about", "manuallyApprovesFollowers", 1,
		"publicKey", public_key(id, &key), "endpoints", "sharedInbox",
		cfg.base_url, "/inbox");
	fed_reply(r, 200, doc);
}
