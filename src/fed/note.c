/* note.c — a post as ActivityPub sees it: a Note (a boost an Announce),
 * addressed to the audience its visibility names, served at its id to
 * whoever may see it anonymously (public and unlisted posts: the one
 * visibility rule decides, with no reader). Followers-only and direct
 * posts need a signed fetch, which is not served yet: 404. */
#include "fed/fed.h"

#include "core/config.h"
#include "core/id.h"

#include <string.h>

static const char as_public[] = "https://www.w3.org/ns/activitystreams#Public";

/* The actor id of acc: ours, or its kept actor's (NULL when none). */
static const char *actor_of(arena *a, const account *acc)
{
	const char *uri, *url;
	return account_addresses(a, acc, &uri, &url) ? uri : NULL;
}

/* The id of post id by author: ours, or another server's own (NULL
 * when none is kept). */
static const char *post_id(arena *a, int64_t id, const account *author)
{
	const char *uri, *url;
	return status_addresses(a, id, author, &uri, &url) ? uri : NULL;
}

/* ActivityStreams and the terms Mastodon and GoToSocial add to a Note. */
static json_t *note_context(void)
{
	json_t *terms = json_pack(
		"{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s}", "sensitive",
		"as:sensitive", "Hashtag", "as:Hashtag", "toot",
		"http://joinmastodon.org/ns#", "blurhash", "toot:blurhash",
		"focalPoint", "@container", "@list", "@id", "toot:focalPoint",
		"gts", "https://gotosocial.org/ns#", "interactionPolicy",
		"gts:interactionPolicy");
	static const char *const gts_ids[] = {"canLike", "canReply",
					      "canAnnounce", "always",
					      "approvalRequired"};
	for (size_t i = 0; i < sizeof gts_ids / sizeof *gts_ids; i++) {
		char id[32];
		snprintf(id, sizeof id, "gts:%s", gts_ids[i]);
		json_object_set_new(
			terms, gts_ids[i],
			json_pack("{s:s,s:s}", "@id", id, "@type", "@id"));
	}
	return json_pack("[s,o]", "https://www.w3.org/ns/activitystreams",
			 terms);
}

/* The actor id of a mention in a post's entities ({id, username, acct}):
 * a local account's, or the kept actor's of another server's. */
static const char *mention_actor(arena *a, json_t *m)
{
	const char *name = json_string_value(json_object_get(m, "username"));
	const char *acct = json_string_value(json_object_get(m, "acct"));
	const char *id = json_string_value(json_object_get(m, "id"));
	int64_t account_id;
	store_actor actor;
	if (acct && strchr(acct, '@'))
		return id && id_parse(id, &account_id) &&
				       store_actor_get(a, account_id, &actor)
			       ? actor.uri
			       : NULL;
	return name ? account_local_uri(a, name) : NULL;
}

/* The actor ids of the accounts s mentions, from its entities. */
static json_t *mentioned(arena *a, const status *s)
{
	json_t *e = json_loads(s->entities ? s->entities : "{}", 0, NULL);
	json_t *out = json_array(), *m;
	size_t i;
	json_array_foreach(json_object_get(e, "mentions"), i, m)
	{
		const char *actor = mention_actor(a, m);
		if (actor)
			json_array_append_new(out, json_string(actor));
	}
	json_decref(e);
	return out;
}

/* Hashtag and Mention objects for s's tags and mentions. */
static json_t *note_tags(arena *a, const status *s)
{
	json_t *e = json_loads(s->entities ? s->entities : "{}", 0, NULL);
	json_t *out = json_array(), *item;
	size_t i;
	json_array_foreach(json_object_get(e, "tags"), i, item)
	{
		const char *name =
			json_string_value(json_object_get(item, "name"));
		if (name)
			json_array_append_new(
				out,
				json_pack("{s:s,s:s+,s:s++}", "type", "Hashtag",
					  "name", "#", name, "href",
					  cfg.base_url, "/tags/", name));
	}
	json_array_foreach(json_object_get(e, "mentions"), i, item)
	{
		const char *actor = mention_actor(a, item);
		const char *acct =
			json_string_value(json_object_get(item, "acct"));
		if (!actor || !acct)
			continue;
		const char *name =
			strchr(acct, '@')
				? arena_printf(a, "@%s", acct)
				: arena_printf(a, "@%s@%s", acct, cfg.domain);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "type",
						     "Mention", "href", actor,
						     "name", name));
	}
	json_decref(e);
	return out;
}

/* to and cc of a post by actor of visibility vis mentioning mentions
 * (the reference taken): Mastodon's mapping, so a receiver gives it the
 * same visibility back. */
static void address(arena *a, const char *actor, visibility vis,
		    json_t *mentions, json_t **to, json_t **cc)
{
	const char *followers = arena_printf(a, "%s/followers", actor);
	switch (vis) {
	case VIS_PUBLIC:
		*to = json_pack("[s]", as_public);
		*cc = json_pack("[s]", followers);
		break;
	case VIS_UNLISTED:
		*to = json_pack("[s]", followers);
		*cc = json_pack("[s]", as_public);
		break;
	case VIS_PRIVATE:
		*to = json_pack("[s]", followers);
		*cc = json_array();
		break;
	case VIS_DIRECT:
		*to = json_array();
		*cc = json_array();
		break;
	}
	json_array_extend(vis == VIS_DIRECT ? *to : *cc, mentions);
	json_decref(mentions);
}

/* The audience bits of a policy as the values GoToSocial's
 * interactionPolicy lists: the Public collection, the author's
 * collections, the mentioned (and the account replied to), the author. */
static json_t *policy_audience(arena *a, unsigned bits, const char *actor,
			       const status *s)
{
	json_t *out = json_array();
	if (bits & AUDIENCE_PUBLIC)
		json_array_append_new(out, json_string(as_public));
	if (bits & AUDIENCE_FOLLOWERS)
		json_array_append_new(out, json_string(arena_printf(
						   a, "%s/followers", actor)));
	if (bits & AUDIENCE_FOLLOWING)
		json_array_append_new(out, json_string(arena_printf(
						   a, "%s/following", actor)));
	if (bits & AUDIENCE_MENTIONED) {
		json_t *m = mentioned(a, s);
		json_array_extend(out, m);
		json_decref(m);
		account parent;
		const char *parent_actor =
			s->in_reply_to_account_id &&
					store_account_get(
						a, s->in_reply_to_account_id,
						&parent)
				? actor_of(a, &parent)
				: NULL;
		if (parent_actor)
			json_array_append_new(out, json_string(parent_actor));
	}
	if (bits & AUDIENCE_AUTHOR)
		json_array_append_new(out, json_string(actor));
	return out;
}

static json_t *policy_rule(arena *a, unsigned bits, const char *actor,
			   const status *s)
{
	/* chorus asks no one's approval: what is not always allowed is
	 * refused */
	return json_pack("{s:o,s:[]}", "always",
			 policy_audience(a, bits, actor, s),
			 "approvalRequired");
}

static json_t *note_policy(arena *a, const char *actor, const status *s)
{
	interaction_policy p = visibility_policy_of(s);
	/* a favourite is open to whoever may see the post */
	unsigned like = visibility_policy_default(s->vis).can_reply;
	return json_pack("{s:o,s:o,s:o}", "canLike",
			 policy_rule(a, like, actor, s), "canReply",
			 policy_rule(a, p.can_reply, actor, s), "canAnnounce",
			 policy_rule(a, p.can_reblog, actor, s));
}

/* s's attachments as Documents. */
static json_t *attachments(arena *a, const status *s)
{
	enum { MEDIA_MAX = 16 };
	media_attachment m[MEDIA_MAX];
	size_t n = store_media_of_status(a, s->id, m, MEDIA_MAX);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		if (m[i].state != MEDIA_READY || !m[i].file)
			continue;
		json_t *d =
			json_pack("{s:s,s:s,s:s++,s:s?,s:s?,s:[f,f]}", "type",
				  "Document", "mediaType", m[i].mime, "url",
				  cfg.base_url, "/media/", m[i].file, "name",
				  m[i].description, "blurhash", m[i].blurhash,
				  "focalPoint", m[i].focus_x, m[i].focus_y);
		json_t *meta =
			json_loads(m[i].meta ? m[i].meta : "{}", 0, NULL);
		json_t *original = json_object_get(meta, "original");
		static const char *const sizes[] = {"width", "height"};
		for (size_t k = 0; k < 2; k++) {
			json_t *v = json_object_get(original, sizes[k]);
			if (json_is_integer(v))
				json_object_set(d, sizes[k], v);
		}
		json_decref(meta);
		json_array_append_new(out, d);
	}
	return out;
}

/* The id of the post s answers (another server's at its own id), or
 * null. */
static json_t *in_reply_to(arena *a, const status *s)
{
	account parent;
	const char *id =
		s->in_reply_to_id &&
				store_account_get(a, s->in_reply_to_account_id,
						  &parent)
			? post_id(a, s->in_reply_to_id, &parent)
			: NULL;
	return id ? json_string(id) : json_null();
}

static json_t *announce(arena *a, const status *s, const account *author)
{
	const account *original = status_author(a, s->reblog);
	const char *original_actor = original ? actor_of(a, original) : NULL;
	const char *object =
		original ? post_id(a, s->reblog->id, original) : NULL;
	if (!original_actor || !object)
		return NULL;
	const char *actor = account_local_uri(a, author->username);
	json_t *to, *cc;
	json_t *audience = json_pack("[s]", original_actor);
	address(a, actor, s->vis, audience, &to, &cc);
	return json_pack("{s:s,s:s,s:s,s:o,s:s,s:o,s:o}", "id",
			 status_local_uri(a, author->username, s->id), "type",
			 "Announce", "actor", actor, "published",
			 fed_time(s->created_at), "object", object, "to", to,
			 "cc", cc);
}

json_t *fed_note(arena *a, const status *s, const account *author,
		 bool with_context)
{
	json_t *doc;
	if (s->reblog) {
		doc = announce(a, s, author);
	} else {
		const char *actor = account_local_uri(a, author->username);
		const char *id = status_local_uri(a, author->username, s->id);
		json_t *to, *cc;
		address(a, actor, s->vis, mentioned(a, s), &to, &cc);
		doc = json_pack(
			"{s:s,s:s,s:o,s:o,s:o,s:s++,s:s,s:o,s:o,s:b,s:s,"
			"s:o,s:o,s:s+,s:{s:s+,s:s,s:I},s:{s:s+,s:s,s:I},s:o}",
			"id", id, "type", "Note", "summary",
			s->spoiler_text && *s->spoiler_text
				? json_string(s->spoiler_text)
				: json_null(),
			"inReplyTo", in_reply_to(a, s), "published",
			fed_time(s->created_at), "url", cfg.base_url, "/@",
			arena_printf(a, "%s/%lld", author->username,
				     (long long)s->id),
			"attributedTo", actor, "to", to, "cc", cc, "sensitive",
			status_sensitive(s), "content",
			s->content ? s->content : "", "attachment",
			attachments(a, s), "tag", note_tags(a, s), "replies",
			id, "/replies", "likes", "id", id, "/likes", "type",
			"Collection", "totalItems",
			(json_int_t)s->favourites_count, "shares", "id", id,
			"/shares", "type", "Collection", "totalItems",
			(json_int_t)s->reblogs_count, "interactionPolicy",
			note_policy(a, actor, s));
		if (doc && s->language && *s->language)
			json_object_set_new(
				doc, "contentMap",
				json_pack("{s:s}", s->language,
					  s->content ? s->content : ""));
		if (doc && s->edited_at)
			json_object_set_new(doc, "updated",
					    fed_time(s->edited_at));
	}
	if (doc && with_context)
		json_object_set_new(doc, "@context", note_context());
	return doc;
}

/* The Note of s in an activity of type (Create, Update) with id. */
static json_t *note_activity(arena *a, const status *s, const account *author,
			     const char *type, const char *id_suffix,
			     bool with_context)
{
	json_t *note = fed_note(a, s, author, false);
	if (!note || s->reblog) {
		if (note && with_context)
			json_object_set_new(note, "@context", note_context());
		return note;
	}
	json_t *doc = json_pack("{s:s+,s:s,s:O,s:O,s:O,s:O,s:o}", "id",
				json_string_value(json_object_get(note, "id")),
				id_suffix, "type", type, "actor",
				json_object_get(note, "attributedTo"),
				"published", json_object_get(note, "published"),
				"to", json_object_get(note, "to"), "cc",
				json_object_get(note, "cc"), "object", note);
	if (doc && with_context)
		json_object_set_new(doc, "@context", note_context());
	return doc;
}

json_t *fed_create(arena *a, const status *s, const account *author,
		   bool with_context)
{
	return note_activity(a, s, author, "Create", "/activity", with_context);
}

json_t *fed_update(arena *a, const status *s, const account *author)
{
	return note_activity(
		a, s, author, "Update",
		arena_printf(a, "#updates/%lld", (long long)s->edited_at),
		true);
}

/* The post the path names, if its author is the account named and
 * viewer (0: anyone) may see it; false after answering 404. */
static bool path_status(http_req *r, int name_at, bool at, int64_t viewer,
			status *s, const account **author)
{
	account acc;
	int64_t id;
	if (!fed_path_account(r, name_at, at, &acc))
		return false;
	if (!id_parse(http_path_param(r, name_at + 1), &id) ||
	    !status_load_visible(&r->arena, viewer, id, s) ||
	    s->account_id != acc.id ||
	    !(*author = status_author(&r->arena, s))) {
		http_reply_error(r, 404, "Record not found");
		return false;
	}
	return true;
}

/* The post the path names as make's document (its Note, its Create). */
static void reply_post(http_req *r, bool at, int64_t viewer,
		       fed_post_document make)
{
	status s;
	const account *author;
	if (!path_status(r, 0, at, viewer, &s, &author))
		return;
	json_t *doc = make(&r->arena, &s, author, true);
	if (!doc) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	/* what only some may see is not for a cache to keep */
	if (s.vis != VIS_PUBLIC && s.vis != VIS_UNLISTED)
		http_set_header(r, "Cache-Control", "private, no-store");
	fed_reply(r, 200, doc);
}

/* A post is served to who may see it: a followers-only one to a
 * follower's server that signs its GET (authorized fetch). */
static void serve_note(http_req *r, int64_t viewer)
{
	reply_post(r, false, viewer, fed_note);
}

static void serve_note_at(http_req *r, int64_t viewer)
{
	reply_post(r, true, viewer, fed_note);
}

static void serve_create(http_req *r, int64_t viewer)
{
	reply_post(r, false, viewer, fed_create);
}

static const fed_get note_get = {serve_note, false},
		     note_at_get = {serve_note_at, false},
		     create_get = {serve_create, false};

void fed_status(http_req *r)
{
	fed_get_signed(r, &note_get);
}

void fed_status_at(http_req *r)
{
	fed_get_signed(r, &note_at_get);
}

void fed_status_activity(http_req *r)
{
	fed_get_signed(r, &create_get);
}

/* The direct answers to a post that an anonymous reader may see, as one
 * page of their ids (the first of its thread's order: a movement's
 * thousands are read through the API, not fetched here). */
static void serve_replies(http_req *r, int64_t viewer)
{
	enum { REPLIES_PAGE = 40 };
	status s;
	const account *author;
	if (!path_status(r, 0, false, viewer, &s, &author))
		return;
	arena *a = &r->arena;
	const char *id = arena_printf(
		a, "%s/replies", status_local_uri(a, author->username, s.id));
	status_page page;
	bool more = false;
	timeline_descendants(a, viewer, &s, 0, REPLIES_PAGE, &page, &more);
	json_t *items = json_array();
	for (size_t i = 0; i < page.count; i++) {
		const status *d = page.items[i];
		const account *by = status_author(a, d);
		if (d->in_reply_to_id == s.id && by)
			json_array_append_new(items,
					      json_string(status_local_uri(
						      a, by->username, d->id)));
	}
	fed_reply(r, 200,
		  json_pack("{s:o,s:s,s:s,s:{s:s,s:s,s:o}}", "@context",
			    note_context(), "id", id, "type", "Collection",
			    "first", "type", "CollectionPage", "partOf", id,
			    "items", items));
}

static const fed_get replies_get = {serve_replies, false};

void fed_replies(http_req *r)
{
	fed_get_signed(r, &replies_get);
}
