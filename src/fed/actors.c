/* actors.c — other servers' actors: fetched, checked, kept. An actor
 * document is a stranger's claim, so what is kept is only what it may
 * claim: an id on the host it was fetched from, a name fit for a handle,
 * an inbox, and a key the actor owns. Its bio is sanitised; its name is
 * plain text. A kept actor is fetched again after a day, or at once when
 * its key no longer verifies (a key rotation). */
#include "fed/fed.h"

#include "core/config.h"
#include "core/log.h"
#include "core/time.h"
#include "text/text.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum {
	ACTOR_STALE_MS = 86400 * 1000,
	USERNAME_MAX = 64,
	DISPLAY_NAME_MAX = 200, /* bytes kept of a remote name */
};

/* url's scheme and authority ("https://host:port"), in a; NULL when it
 * is not an absolute http(s) URL. */
static const char *origin_of(arena *a, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	const char *out = NULL;
	if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
	    !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
	    !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
	    (!strcmp(scheme, "https") || !strcmp(scheme, "http"))) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		out = port ? arena_printf(a, "%s://%s:%s", scheme, host, port)
			   : arena_printf(a, "%s://%s", scheme, host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

bool fed_same_origin(arena *a, const char *u1, const char *u2)
{
	const char *o1 = origin_of(a, u1), *o2 = origin_of(a, u2);
	return o1 && o2 && !strcasecmp(o1, o2);
}

const char *fed_domain_of(arena *a, const char *uri)
{
	const char *o = origin_of(a, uri);
	return o ? strstr(o, "://") + 3 : NULL;
}

static bool username_ok(const char *s)
{
	size_t n = strlen(s);
	return n && n <= USERNAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") == n;
}

/* The key of doc (an actor) that the actor owns: its publicKey, or one
 * of a list of them. */
static json_t *owned_key(json_t *doc, const char *id)
{
	json_t *k = json_object_get(doc, "publicKey");
	if (json_is_object(k))
		return fed_str(k, "owner") && !strcmp(fed_str(k, "owner"), id)
			       ? k
			       : NULL;
	size_t i;
	json_t *item;
	json_array_foreach(k, i, item)
	{
		if (fed_str(item, "owner") &&
		    !strcmp(fed_str(item, "owner"), id) &&
		    fed_str(item, "publicKeyPem"))
			return item;
	}
	return NULL;
}

/* Plain text of at most DISPLAY_NAME_MAX bytes, cut on a character, with
 * control characters gone. */
static const char *plain_name(arena *a, const char *s)
{
	if (!s || !text_utf8_valid(s, strlen(s)))
		return "";
	size_t n = strlen(s);
	if (n > DISPLAY_NAME_MAX) {
		n = DISPLAY_NAME_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	char *out = arena_strndup(a, s, n);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	return out;
}

/* The actor's icon and image as the account's avatar and header:
 * fetched (size-limited, through the outgoing guard) when they changed,
 * and processed as an uploaded avatar is (metadata stripped, resized),
 * so readers load them from here. Not from a server whose media are
 * refused here. */
static void profile_images(arena *a, json_t *doc, int64_t account_id,
			   const char *domain)
{
	const char *urls[2] = {fed_media_url(json_object_get(doc, "icon")),
			       fed_media_url(json_object_get(doc, "image"))};
	bool reject = false;
	if (!urls[0] && !urls[1])
		return;
	instance_policy(a, domain, &reject);
	for (int header = 0; header < 2 && !reject; header++) {
		const char *url = urls[header];
		const char *was =
			url ? store_actor_image_source(a, account_id, header)
			    : NULL;
		if (!url || (was && !strcmp(was, url)))
			continue;
		size_t size;
		const char *name, *msg, *old;
		const char *path = fed_fetch_media(
			a, url, (size_t)cfg.image_max_bytes, &size);
		if (path && media_profile_image(a, path, size, header, &name,
						&msg) == DOM_OK) {
			if (store_actor_image_set(a, account_id, header, name,
						  url, &old) < 0)
				old = name; /* not kept: its file goes */
			media_remove_name(old);
		}
		if (path)
			unlink(path);
	}
}

bool fed_actor_read(arena *a, json_t *doc, const char *url, account *acc,
		    store_actor *act)
{
	static const char *const types[] = {"Person", "Service", "Application",
					    "Group", "Organization"};
	const char *id = fed_str(doc, "id"), *type = fed_str(doc, "type");
	const char *name = fed_str(doc, "preferredUsername");
	const char *inbox = fed_str(doc, "inbox");
	json_t *key = id ? owned_key(doc, id) : NULL;
	bool typed = false;
	for (size_t i = 0; type && i < sizeof types / sizeof *types; i++)
		typed |= !strcmp(type, types[i]);
	if (!typed || !id || !name || !username_ok(name) || !inbox || !key ||
	    !fed_str(key, "id") || !fed_str(key, "publicKeyPem") ||
	    !fed_same_origin(a, id, url) || !fed_same_origin(a, inbox, id) ||
	    !fed_same_origin(a, fed_str(key, "id"), id))
		return false;
	const char *summary = fed_str(doc, "summary");
	memset(acc, 0, sizeof *acc);
	acc->username = name;
	acc->domain = fed_domain_of(a, id);
	acc->display_name = plain_name(a, fed_str(doc, "name"));
	acc->note_html =
		summary ? text_sanitize_html(a, summary, strlen(summary)) : "";
	acc->fields = "[]";
	acc->locked =
		json_is_true(json_object_get(doc, "manuallyApprovesFollowers"));
	acc->bot = !strcmp(type, "Service") || !strcmp(type, "Application");
	acc->discoverable = json_is_true(json_object_get(doc, "discoverable"));
	acc->created_at = time_now_ms();
	json_t *endpoints = json_object_get(doc, "endpoints");
	const char *shared = fed_str(endpoints, "sharedInbox");
	memset(act, 0, sizeof *act);
	act->uri = id;
	act->url = json_is_string(json_object_get(doc, "url"))
			   ? fed_str(doc, "url")
			   : NULL;
	act->inbox = inbox;
	act->shared_inbox =
		shared && fed_same_origin(a, shared, id) ? shared : NULL;
	act->followers_uri = fed_str(doc, "followers");
	act->key_id = fed_str(key, "id");
	act->public_key_pem = fed_str(key, "publicKeyPem");
	act->fetched_at = time_now_ms();
	/* the strings point into doc: copy them before it goes */
	const char **fields[] = {
		&acc->username,	     &acc->domain, &act->uri,
		&act->url,	     &act->inbox,  &act->shared_inbox,
		&act->followers_uri, &act->key_id, &act->public_key_pem};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		if (*fields[i])
			*fields[i] = arena_strdup(a, *fields[i]);
	return true;
}

bool fed_actor_keep(arena *a, json_t *doc, const char *url, account *acc,
		    store_actor *act)
{
	if (!fed_actor_read(a, doc, url, acc, act)) {
		log_info("fed: %s is not an actor chorus can keep", url);
		return false;
	}
	if (store_actor_save(acc, act) < 0)
		return false;
	profile_images(a, doc, acc->id, acc->domain);
	/* as kept, its images (and counts) too */
	store_account_get(a, acc->id, acc);
	fed_federating();
	return true;
}

bool fed_actor_fetch(arena *a, const char *uri, account *acc, store_actor *act)
{
	fed_fetch_result why;
	json_t *doc = fed_fetch_document(a, uri, &why);
	if (!doc)
		return false;
	/* a document fetched at another address than its id is the one at
	 * its id only when both are on one host (checked in fed_actor_keep) */
	bool ok = fed_actor_keep(a, doc, uri, acc, act);
	json_decref(doc);
	return ok;
}

bool fed_actor_resolve(arena *a, const char *uri, account *acc,
		       store_actor *act)
{
	if (store_actor_by_uri(a, uri, act) &&
	    time_now_ms() - act->fetched_at < ACTOR_STALE_MS &&
	    store_account_get(a, act->account_id, acc))
		return true;
	if (fed_actor_fetch(a, uri, acc, act))
		return true;
	/* unreachable now: what was kept still stands */
	return store_actor_by_uri(a, uri, act) &&
	       store_account_get(a, act->account_id, acc);
}

bool fed_actor_by_key(arena *a, const char *key_id, bool refresh,
		      store_actor *act)
{
	account acc;
	if (!refresh && store_actor_by_key(a, key_id, act))
		return true;
	if (refresh && store_actor_by_key(a, key_id, act))
		return fed_actor_fetch(a, act->uri, &acc, act) &&
		       !strcmp(act->key_id, key_id);
	/* Mastodon's key id is the actor's id and a fragment; GoToSocial's
	 * is a document of its own naming its owner */
	const char *hash = strchr(key_id, '#');
	const char *uri =
		hash ? arena_strndup(a, key_id, (size_t)(hash - key_id))
		     : key_id;
	if (!hash) {
		json_t *doc = fed_fetch_document(a, key_id, NULL);
		const char *owner = doc && !json_object_get(doc, "inbox")
					    ? fed_str(doc, "owner")
					    : NULL;
		if (owner)
			uri = arena_strdup(a, owner);
		json_decref(doc);
	}
	return fed_actor_fetch(a, uri, &acc, act) &&
	       !strcmp(act->key_id, key_id);
}

bool fed_actor_by_handle(arena *a, const char *user, const char *host,
			 account *acc)
{
	if (store_account_by_username(a, user, host, acc))
		return true;
	const char *scheme = cfg.fed_allow_private ? "http" : "https";
	char *escaped = curl_easy_escape(
		NULL, arena_printf(a, "acct:%s@%s", user, host), 0);
	if (!escaped)
		return false;
	const char *url =
		arena_printf(a, "%s://%s/.well-known/webfinger?resource=%s",
			     scheme, host, escaped);
	curl_free(escaped);
	json_t *jrd = fed_fetch_document(a, url, NULL);
	const char *self = NULL;
	size_t i;
	json_t *link;
	json_array_foreach(json_object_get(jrd, "links"), i, link)
	{
		const char *type = fed_str(link, "type");
		if (fed_str(link, "rel") &&
		    !strcmp(fed_str(link, "rel"), "self") && type &&
		    (!strncmp(type, "application/activity+json", 25) ||
		     !strncmp(type, "application/ld+json", 19)) &&
		    fed_str(link, "href"))
			self = arena_strdup(a, fed_str(link, "href"));
	}
	json_decref(jrd);
	store_actor act;
	return self && fed_actor_resolve(a, self, acc, &act);
}
