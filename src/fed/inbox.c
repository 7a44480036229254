/* inbox.c — what other servers send us. The request is answered once
 * the activity is verified and kept (202): its signature checked with
 * the key of the actor it names (fetched when unknown, fetched again
 * once when it does not verify: keys rotate), the actor that signed it
 * the actor it says sent it, its id on that actor's host, and its id
 * never taken before (a replayed delivery is taken once). What it means
 * is worked out on a job ("fed_inbox"), so a flood of activities waits
 * in the jobs table, not in front of the API.
 *
 * Processed: Follow, Accept and Reject of ours; Create of a Note (by
 * someone followed here, or to someone here), Update and Delete of one;
 * Like and Announce of a post known here; Block; Update and Delete of
 * the sending actor; Move of it; Undo of a Follow, Like, Announce or Block.
 * Anything else is taken and dropped. */
#include "fed/fed.h"

#include "api/api.h"
#include "core/config.h"
#include "core/id.h"
#include "core/json_scan.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "text/text.h"

#include <string.h>
#include <unistd.h>

static const char *request_header(void *ctx, const char *name)
{
	return http_header_get(ctx, name);
}

static void refuse(http_req *r, const char *why)
{
	log_info("fed: inbox refused %s: %s", r->path, why);
	http_reply_error(r, 401, why);
}

fed_verdict fed_verify_request(http_req *r, bool may_fetch, store_actor *act)
{
	arena *a = &r->arena;
	fed_request rq = {.method = r->method,
			  .target = r->path,
			  .base = cfg.base_url,
			  .header = request_header,
			  .ctx = r};
	fed_signature sig;
	fed_verdict v = fed_signature_find(a, &rq, &sig);
	if (v != FED_SIG_OK)
		return v;
	/* a suspended server is not heard, and its keys not fetched */
	if (instance_policy(a, fed_domain_of(a, sig.key_id), NULL) ==
	    INSTANCE_SUSPENDED)
		return FED_SIG_BLOCKED;
	bool kept = store_actor_by_key(a, sig.key_id, act);
	if (kept) {
		v = fed_signature_check(a, &rq, &sig, r->body.data, r->body.len,
					act->public_key_pem, time_now_ms());
		if (v != FED_SIG_INVALID)
			return v;
	}
	/* not kept, or kept and failing: the key may have rotated */
	if (!may_fetch)
		return FED_SIG_FETCH;
	if (!fed_actor_by_key(a, sig.key_id, kept, act))
		return kept ? FED_SIG_INVALID : FED_SIG_NO_KEY;
	return fed_signature_check(a, &rq, &sig, r->body.data, r->body.len,
				   act->public_key_pem, time_now_ms());
}

/* A scanned member's string, or NULL when empty (as fed_str). */
static const char *scanned(arena *a, const json_scan_member *m)
{
	return m->len ? arena_strndup(a, m->at, m->len) : NULL;
}

/* Keep the activity its verified sender act signed, and answer. Its id,
 * type and actor are read by a scan that builds nothing; only one whose
 * members are spelt with escapes (or whose actor is an object) is parsed
 * here in full. The job parses each once, to act on it. */
static void take(http_req *r, const store_actor *act)
{
	json_scan_member m[] = {
		{.name = "id"}, {.name = "type"}, {.name = "actor"}};
	json_scan_result scan =
		json_scan_object(r->body.data, r->body.len, m, 3);
	json_t *doc = NULL;
	const char *id = NULL, *type = NULL, *actor = NULL;
	if (scan == JSON_SCAN_OK && m[0].kind == JSON_SCAN_STRING &&
	    m[1].kind == JSON_SCAN_STRING && m[2].kind == JSON_SCAN_STRING) {
		id = scanned(&r->arena, &m[0]);
		type = scanned(&r->arena, &m[1]);
		actor = arena_strndup(&r->arena, m[2].at, m[2].len);
	} else if (scan != JSON_SCAN_BAD) {
		doc = json_loadb(r->body.data, r->body.len,
				 JSON_REJECT_DUPLICATES, NULL);
		id = fed_str(doc, "id");
		type = fed_str(doc, "type");
		actor = fed_id_of(json_object_get(doc, "actor"));
	}
	if (!id || !type || !actor) {
		json_decref(doc);
		http_reply_error(r, 400, "not an activity");
		return;
	}
	if (strcmp(actor, act->uri)) {
		json_decref(doc);
		refuse(r, "the activity's actor did not sign it");
		return;
	}
	if (!fed_same_origin(&r->arena, id, actor)) {
		json_decref(doc);
		http_reply_error(r, 400,
				 "the activity's id is not its actor's");
		return;
	}
	int64_t kept;
	int rc = store_inbox_accept(
		id, act->account_id,
		arena_strndup(&r->arena, r->body.data, r->body.len),
		time_now_ms(), &kept);
	json_decref(doc);
	if (rc < 0) {
		http_reply_error(r, 500, "the activity could not be kept");
		return;
	}
	if (rc == 0)
		jobs_wake();
	http_reply_raw(r, 202, "application/activity+json", "", 0);
}

static void inbox_verified(http_req *r, bool may_fetch);

/* On a fetch thread: the key asked of its server. */
static void inbox_fetched(http_req *r, void *ctx)
{
	(void)ctx;
	inbox_verified(r, true);
}

/* On an inbox thread: the verified delivery kept. */
static void inbox_take(http_req *r, void *ctx)
{
	take(r, ctx);
}

/* A kept key is checked on the I/O thread (a parsed key is kept too: a
 * check costs some tens of microseconds), and the delivery is kept on
 * an inbox thread, as its write may wait for the database's writer; a
 * key to fetch is waited for on a thread that waits on other servers,
 * which then keeps the delivery itself. */
static void inbox_verified(http_req *r, bool may_fetch)
{
	store_actor *act = arena_alloc(&r->arena, sizeof *act);
	fed_verdict v = fed_verify_request(r, may_fetch, act);
	if (v == FED_SIG_OK && may_fetch) {
		take(r, act);
	} else if (v == FED_SIG_OK) {
		if (!http_defer_to(r, API_POOL_INBOX, inbox_take, act))
			api_reply_busy(r);
	} else if (v == FED_SIG_FETCH) {
		if (!http_defer_to(r, API_POOL_FETCH, inbox_fetched, NULL))
			api_reply_busy(r);
	} else if (v == FED_SIG_BLOCKED) {
		log_info("fed: inbox refused %s: its server is suspended",
			 r->path);
		http_reply_error(r, 403, fed_verdict_reason(v));
	} else {
		refuse(r, fed_verdict_reason(v));
	}
}

void fed_inbox(http_req *r)
{
	account to;
	if (http_path_param(r, 0) && !fed_path_account(r, 0, false, &to))
		return;
	if (!r->body.len) {
		http_reply_error(r, 400, "an activity is required");
		return;
	}
	if (r->body.len > (size_t)cfg.fed_max_document_bytes) {
		http_reply_error(r, 413, "the activity is too large");
		return;
	}
	inbox_verified(r, false);
}

/* ---- GETs that depend on who asks ---- */

static void get_verified(http_req *r, const fed_get *g, bool may_fetch);

static void get_fetched(http_req *r, void *ctx)
{
	get_verified(r, ctx, true);
}

static void get_verified(http_req *r, const fed_get *g, bool may_fetch)
{
	store_actor act;
	fed_verdict v = fed_verify_request(r, may_fetch, &act);
	if (v == FED_SIG_OK) {
		g->serve(r, act.account_id);
	} else if (v == FED_SIG_FETCH) {
		if (!http_defer_to(r, API_POOL_FETCH, get_fetched, (void *)g))
			api_reply_busy(r);
	} else if (v == FED_SIG_BLOCKED) {
		http_reply_error(r, 403, fed_verdict_reason(v));
	} else if (cfg.fed_authorized_fetch) {
		/* as Mastodon's secure mode: who asks must say who */
		http_reply_error(r, 401, fed_verdict_reason(v));
	} else {
		g->serve(r, 0); /* anyone's */
	}
}

void fed_get_signed(http_req *r, const fed_get *g)
{
	if (g->for_anyone && !cfg.fed_authorized_fetch)
		g->serve(r, 0);
	else
		get_verified(r, g, false);
}

/* ---- processing ---- */

/* The local account whose id uri is ("{base}/users/NAME", a fragment
 * or path after it allowed: "…#follows/1"). */
static bool local_account(arena *a, const char *uri, account *out)
{
	size_t base = strlen(cfg.base_url);
	if (!uri || strncmp(uri, cfg.base_url, base) ||
	    strncmp(uri + base, "/users/", 7))
		return false;
	const char *name = uri + base + 7;
	return store_account_by_username(
		a, arena_strndup(a, name, strcspn(name, "#/?")), NULL, out);
}

static void on_follow(arena *a, const store_actor *sender, json_t *doc)
{
	account target;
	const char *object = fed_id_of(json_object_get(doc, "object"));
	const char *id = fed_str(doc, "id");
	if (!local_account(a, object, &target))
		return;
	remote_follow_result res =
		remote_follow(a, sender->account_id, target.id, id);
	if (res == REMOTE_REQUESTED)
		return; /* answered when the account decides */
	fed_deliver(fed_follow_answer(
			    a, res == REMOTE_FOLLOWED ? "Accept" : "Reject",
			    account_local_uri(a, target.username), sender->uri,
			    id),
		    target.id, sender->inbox);
}

static int64_t known_post(arena *a, const char *uri);

static void on_undo(arena *a, const store_actor *sender, json_t *doc)
{
	json_t *object = json_object_get(doc, "object");
	const char *type = fed_str(object, "type");
	const char *id = fed_id_of(object);
	const char *by = fed_id_of(json_object_get(object, "actor"));
	principal them = {.account_id = sender->account_id};
	account target;
	const char *msg;
	/* an Announce is known by its id; what else is undone is named
	 * by the activity embedded, which must be the sender's */
	if (id && (!type || !strcmp(type, "Announce"))) {
		remote_unreblog(a, sender->account_id, id);
		return;
	}
	if (!type || !by || strcmp(by, sender->uri))
		return;
	const char *what = fed_id_of(json_object_get(object, "object"));
	if (!strcmp(type, "Follow") && local_account(a, what, &target))
		follow_end(sender->account_id, target.id);
	else if (!strcmp(type, "Block") && local_account(a, what, &target))
		account_block(a, &them, target.id, false, &msg);
	else if (!strcmp(type, "Like")) {
		int64_t post = known_post(a, what);
		if (post)
			status_favourite(a, &them, post, false);
	}
}

/* An answer to a local account's Follow: its actor is that account
 * (embedded), or the Follow's id names it (…/users/NAME#follows/ID). */
static void on_answer(arena *a, const store_actor *sender, json_t *doc,
		      bool accepted)
{
	json_t *object = json_object_get(doc, "object");
	const char *follower =
		json_is_object(object)
			? fed_id_of(json_object_get(object, "actor"))
			: json_string_value(object);
	account local;
	if (local_account(a, follower, &local))
		remote_follow_answered(local.id, sender->account_id, accepted);
}

enum {
	REMOTE_TAGS_MAX = 64,
	REMOTE_MENTIONS_MAX = 64,
	REMOTE_SPOILER_MAX = 1000, /* bytes of a content warning kept */
	REMOTE_MEDIA_MAX = 4,	   /* attachments kept, as Mastodon keeps */
};

static const char as_public[] = "https://www.w3.org/ns/activitystreams#Public";

/* Whether the audience (to or cc: a string or a list) holds uri; the
 * Public collection under any of its names when uri is as_public. */
static bool addressed(json_t *audience, const char *uri)
{
	bool public = !strcmp(uri, as_public), found = false;
	json_t *list = fed_list(audience), *one;
	size_t i;
	json_array_foreach(list, i, one)
	{
		const char *v = fed_id_of(one);
		found |= v && (!strcmp(v, uri) ||
			       (public && (!strcmp(v, "as:Public") ||
					   !strcmp(v, "Public"))));
	}
	json_decref(list);
	return found;
}

/* Mastodon's mapping of a Note's addressing back to a visibility. */
static visibility visibility_of(json_t *note, const store_actor *author)
{
	json_t *to = json_object_get(note, "to"),
	       *cc = json_object_get(note, "cc");
	if (addressed(to, as_public))
		return VIS_PUBLIC;
	if (addressed(cc, as_public))
		return VIS_UNLISTED;
	if (author->followers_uri && (addressed(to, author->followers_uri) ||
				      addressed(cc, author->followers_uri)))
		return VIS_PRIVATE;
	return VIS_DIRECT;
}

/* The post uri names: a local one ({base}/users/NAME/statuses/ID) or
 * another server's kept here; 0 when unknown. */
static int64_t known_post(arena *a, const char *uri)
{
	if (!uri)
		return 0;
	size_t base = strlen(cfg.base_url);
	const char *ids = strstr(uri, "/statuses/");
	int64_t id;
	status s;
	account author;
	if (!strncmp(uri, cfg.base_url, base) && ids &&
	    id_parse(ids + 10, &id) && local_account(a, uri, &author) &&
	    store_status_get(a, id, &s) && s.account_id == author.id)
		return id;
	return store_status_by_uri(uri);
}

/* A Note's hashtags and the local accounts it mentions, from its tag
 * list; the entities JSON render/ reads. */
static void note_entities(arena *a, json_t *note, store_tag_ref *tags,
			  size_t *ntags, int64_t *mentions, size_t *nmentions,
			  const char **entities)
{
	json_t *tj = json_array(), *mj = json_array(), *t;
	size_t i;
	*ntags = *nmentions = 0;
	/* one tag may come as the object itself (Fedify sends it so) */
	json_t *list = fed_list(json_object_get(note, "tag"));
	json_array_foreach(list, i, t)
	{
		const char *type = fed_str(t, "type"),
			   *name = fed_str(t, "name");
		if (!type || !name)
			continue;
		if (!strcmp(type, "Hashtag") && *ntags < REMOTE_TAGS_MAX) {
			name += name[0] == '#';
			char *key = text_tag_key(a, name, strlen(name));
			bool seen = false;
			for (size_t k = 0; key && k < *ntags; k++)
				seen |= !strcmp(tags[k].key, key);
			if (!key || seen)
				continue;
			tags[*ntags] =
				(store_tag_ref){arena_strdup(a, name), key};
			(*ntags)++;
			json_array_append_new(
				tj, json_pack("{s:s,s:s++}", "name", key, "url",
					      cfg.base_url, "/tags/", key));
		} else if (!strcmp(type, "Mention") &&
			   *nmentions < REMOTE_MENTIONS_MAX) {
			account local;
			if (!local_account(a, fed_str(t, "href"), &local))
				continue;
			mentions[(*nmentions)++] = local.id;
			json_array_append_new(
				mj,
				json_pack("{s:s,s:s,s:s++,s:s}", "id",
					  arena_printf(a, "%lld",
						       (long long)local.id),
					  "username", local.username, "url",
					  cfg.base_url, "/@", local.username,
					  "acct", local.username));
		}
	}
	json_decref(list);
	json_t *e = json_pack("{s:o,s:o}", "tags", tj, "mentions", mj);
	char *dumped = json_dumps(e, JSON_COMPACT);
	*entities = arena_strdup(a, dumped ? dumped : "{}");
	free(dumped);
	json_decref(e);
}

/* The first language and its content of a contentMap, when the Note has
 * no content of its own. */
static const char *content_of(json_t *note, const char **language)
{
	const char *content = fed_str(note, "content");
	json_t *map = json_object_get(note, "contentMap");
	const char *key;
	json_t *v;
	json_object_foreach(map, key, v)
	{
		if (!json_is_string(v) || strlen(key) > 16)
			continue;
		*language = key;
		return content ? content : json_string_value(v);
	}
	return content;
}

/* A Note by the sender as a status (its hashtags and the local accounts
 * it mentions in tags and mentions); false when it is not one: not a
 * Note, not attributed to the sender, or its id on another host. */
static bool note_status(arena *a, const store_actor *sender, json_t *note,
			status *s, store_tag_ref *tags, size_t *ntags,
			int64_t *mentions, size_t *nmentions)
{
	const char *type = fed_str(note, "type"), *id = fed_str(note, "id");
	const char *by = fed_id_of(json_object_get(note, "attributedTo"));
	if (!type || strcmp(type, "Note") || !id || !by ||
	    strcmp(by, sender->uri) || !fed_same_origin(a, id, sender->uri))
		return false;
	*s = (status){0};
	note_entities(a, note, tags, ntags, mentions, nmentions, &s->entities);
	s->in_reply_to_id =
		known_post(a, fed_id_of(json_object_get(note, "inReplyTo")));
	const char *language = NULL, *content = content_of(note, &language);
	const char *summary = fed_str(note, "summary");
	s->account_id = sender->account_id;
	s->content =
		content ? text_sanitize_html(a, content, strlen(content)) : "";
	s->spoiler_text =
		summary && text_utf8_valid(summary, strlen(summary)) &&
				strlen(summary) <= REMOTE_SPOILER_MAX
			? summary
			: "";
	s->sensitive = json_is_true(json_object_get(note, "sensitive")) ||
		       *s->spoiler_text;
	s->vis = visibility_of(note, sender);
	s->language = language;
	const char *published = fed_str(note, "published");
	if (!published || !time_parse_iso8601(published, &s->created_at))
		s->created_at = time_now_ms();
	const char *updated = fed_str(note, "updated");
	if (!updated || !time_parse_iso8601(updated, &s->edited_at))
		s->edited_at = 0;
	s->uri = id;
	json_t *url = json_object_get(note, "url");
	s->url = json_is_string(url) ? json_string_value(url) : NULL;
	return true;
}

bool fed_note_read(arena *a, const store_actor *sender, json_t *note, status *s)
{
	store_tag_ref *tags = arena_alloc(a, REMOTE_TAGS_MAX * sizeof *tags);
	int64_t *mentions =
		arena_alloc(a, REMOTE_MENTIONS_MAX * sizeof *mentions);
	size_t ntags, nmentions;
	return note_status(a, sender, note, s, tags, &ntags, mentions,
			   &nmentions);
}

/* A Note's attachments, fetched (size-limited, through the outgoing
 * guard) and taken by the media pipeline as the sender's uploads are
 * taken (sniffed, metadata stripped, a preview and blurhash made, a
 * video transcoded), into s->media_ids: readers get them from here, so
 * their addresses never reach the other server. One that cannot be
 * fetched or read is left out. An edit's (kept: the post's id here)
 * that the post already has, from the same address, is kept rather
 * than fetched again, its description brought up to date. */
static void note_media_list(arena *a, const store_actor *sender, json_t *list,
			    int64_t kept, status *s)
{
	int64_t *ids = arena_alloc(a, REMOTE_MEDIA_MAX * sizeof *ids);
	size_t n = 0, i;
	json_t *att;
	principal owner = {.account_id = sender->account_id};
	long max = cfg.image_max_bytes > cfg.video_max_bytes
			   ? cfg.image_max_bytes
			   : cfg.video_max_bytes;
	json_array_foreach(list, i, att)
	{
		const char *url = fed_media_url(att);
		if (n == REMOTE_MEDIA_MAX || !url)
			continue;
		const char *name = fed_str(att, "name"), *msg;
		if (name && (!text_utf8_valid(name, strlen(name)) ||
			     strlen(name) > (size_t)cfg.description_limit))
			name = NULL;
		media_attachment m;
		int64_t had = kept ? store_media_remote_of_status(
					     kept, sender->account_id, url)
				   : 0;
		if (had && store_media_get(a, had, &m)) {
			if ((name || m.description) &&
			    (!name || !m.description ||
			     strcmp(name, m.description))) {
				m.description = name;
				store_media_update(&m);
			}
			ids[n++] = had;
			continue;
		}
		json_t *focal = json_object_get(att, "focalPoint");
		media_upload u = {.description = name};
		if (json_is_number(json_array_get(focal, 0)) &&
		    json_is_number(json_array_get(focal, 1)))
			u.focus = arena_printf(
				a, "%.2f,%.2f",
				json_number_value(json_array_get(focal, 0)),
				json_number_value(json_array_get(focal, 1)));
		u.path = fed_fetch_media(a, url, (size_t)max, &u.size);
		if (u.path &&
		    media_create(a, &owner, &u, false, &m, &msg) == DOM_OK &&
		    store_media_remote_set(m.id, url) == 0)
			ids[n++] = m.id;
		if (u.path)
			unlink(u.path); /* left when it was not taken */
	}
	s->media_ids = ids;
	s->nmedia = n;
}

/* Whether sender's server may send media here (domain block
 * --reject-media refuses them). */
static bool media_welcome(arena *a, const store_actor *sender)
{
	bool reject = false;
	instance_policy(a, fed_domain_of(a, sender->uri), &reject);
	return !reject;
}

/* A new post's attachments (note_media_list): a post delivered before
 * has its own, and a server whose media are refused here sends none. */
static void note_media(arena *a, const store_actor *sender, json_t *note,
		       status *s)
{
	/* most posts have none */
	json_t *list = fed_list(json_object_get(note, "attachment"));
	if (json_array_size(list) && !store_status_by_uri(s->uri) &&
	    media_welcome(a, sender))
		note_media_list(a, sender, list, 0, s);
	json_decref(list);
}

/* The posts of a batch of activities, written in one transaction when
 * the batch ends or an activity that is not a post comes (which may
 * concern them: a Delete, an Announce), with the documents they point
 * into. */
typedef struct inbox_stage {
	store_new_status p[STORE_JOB_BATCH_MAX];
	json_t *docs[STORE_JOB_BATCH_MAX];
	size_t n;
} inbox_stage;

static void stage_flush(arena *a, inbox_stage *st)
{
	if (st->n)
		remote_statuses_post(a, st->p, st->n);
	for (size_t i = 0; i < st->n; i++)
		json_decref(st->docs[i]);
	st->n = 0;
}

static void on_create(arena *a, const store_actor *sender, json_t *doc,
		      bool silenced, inbox_stage *stage)
{
	status *s = arena_alloc(a, sizeof *s);
	store_tag_ref *tags = arena_alloc(a, REMOTE_TAGS_MAX * sizeof *tags);
	int64_t *mentions =
		arena_alloc(a, REMOTE_MENTIONS_MAX * sizeof *mentions);
	size_t ntags, nmentions;
	if (!note_status(a, sender, json_object_get(doc, "object"), s, tags,
			 &ntags, mentions, &nmentions))
		return;
	/* what no one here follows, and that is to no one here, is not
	 * kept: an open inbox is no open door. From a silenced server only
	 * what someone here follows is kept, and it mentions only those
	 * who follow its author. */
	bool followed = store_followed_here(sender->account_id);
	if (silenced) {
		size_t kept = 0;
		for (size_t i = 0; i < nmentions; i++)
			if (store_follows(mentions[i], sender->account_id))
				mentions[kept++] = mentions[i];
		nmentions = kept;
		if (!followed)
			return;
	}
	/* an answer to a post not known here: it may be one of the
	 * batch's, else its thread is fetched (a few posts up), so the
	 * reply is not an orphan */
	const char *parent = fed_id_of(
		json_object_get(json_object_get(doc, "object"), "inReplyTo"));
	if (parent && !s->in_reply_to_id && stage->n) {
		stage_flush(a, stage);
		s->in_reply_to_id = known_post(a, parent);
	}
	if (!nmentions && !s->in_reply_to_id && !followed)
		return;
	if (parent && !s->in_reply_to_id)
		s->in_reply_to_id = fed_note_fetch(a, parent, FED_THREAD_DEPTH);
	s->edited_at = 0; /* a post's first version, whatever it says */
	note_media(a, sender, json_object_get(doc, "object"), s);
	stage->p[stage->n] = (store_new_status){
		.s = s,
		.tags = tags,
		.ntags = ntags,
		.mentions = mentions,
		.nmentions = nmentions,
	};
	stage->docs[stage->n++] = json_incref(doc);
	if (stage->n == STORE_JOB_BATCH_MAX)
		stage_flush(a, stage);
}

/* Whether uri is one of ours: known here or not at all, never fetched
 * from ourselves. */
static bool ours(const char *uri)
{
	return !strncmp(uri, cfg.base_url, strlen(cfg.base_url));
}

/* The Note doc, fetched from uri, kept (fed_note_fetch); 0 when it is
 * none or not kept. */
static int64_t note_keep(arena *a, json_t *doc, const char *uri, int depth)
{
	int64_t id = 0;
	const char *nid = fed_str(doc, "id");
	const char *by = fed_id_of(json_object_get(doc, "attributedTo"));
	account acc;
	store_actor author;
	/* a document fetched at another address than its id is the one
	 * at its id only on the same host */
	if (!nid || !fed_same_origin(a, nid, uri) || !by ||
	    !fed_actor_resolve(a, by, &acc, &author) ||
	    (strcmp(nid, uri) && (id = known_post(a, nid))))
		return id;
	status s;
	store_tag_ref tags[REMOTE_TAGS_MAX];
	int64_t mentions[REMOTE_MENTIONS_MAX];
	size_t ntags, nmentions;
	/* what it answers first, so the thread holds together */
	const char *parent = fed_id_of(json_object_get(doc, "inReplyTo"));
	if (parent && !known_post(a, parent))
		fed_note_fetch(a, parent, depth - 1);
	/* only what anyone may read is kept on a fetch: what is not
	 * addressed to the public is someone's else to deliver */
	if (note_status(a, &author, doc, &s, tags, &ntags, mentions,
			&nmentions) &&
	    (s.vis == VIS_PUBLIC || s.vis == VIS_UNLISTED)) {
		s.edited_at = 0;
		note_media(a, &author, doc, &s);
		remote_status_post(a, &s, tags, ntags, mentions, nmentions);
		id = store_status_by_uri(s.uri);
		/* a post fetched for itself (not as an ancestor): its
		 * answers are fetched too, later, on a job */
		if (id && depth == FED_THREAD_DEPTH &&
		    store_job_enqueue(FED_REPLIES_JOB, id, time_now_ms()) == 0)
			jobs_wake();
	}
	return id;
}

/* The items of a collection doc: its own, or its first page's (fetched
 * when it is only named, from the collection's host). A new reference,
 * or NULL. */
static json_t *collection_items(arena *a, json_t *doc, const char *from)
{
	json_t *items = json_object_get(doc, "orderedItems");
	if (!items)
		items = json_object_get(doc, "items");
	if (items)
		return fed_list(items);
	json_t *first = json_object_get(doc, "first");
	if (json_is_object(first))
		return collection_items(a, first, NULL);
	const char *page = json_string_value(first);
	if (!page || !from || !fed_same_origin(a, page, from))
		return NULL;
	json_t *fetched = fed_fetch_document(a, page, NULL);
	json_t *out = fetched ? collection_items(a, fetched, NULL) : NULL;
	json_decref(fetched);
	return out;
}

int fed_replies_job(int64_t id, const char **error)
{
	(void)error;
	arena a;
	arena_init(&a);
	const char *uri, *url;
	json_t *doc = store_status_remote(&a, id, &uri, &url)
			      ? fed_fetch_document(&a, uri, NULL)
			      : NULL;
	json_t *replies = json_object_get(doc, "replies");
	const char *named = json_string_value(replies);
	json_t *fetched = NULL;
	/* the answers a post lists are its own server's to list */
	if (named && fed_same_origin(&a, named, uri))
		replies = fetched = fed_fetch_document(&a, named, NULL);
	else if (named)
		replies = NULL;
	json_t *items =
		json_is_object(replies)
			? collection_items(&a, replies, named ? named : uri)
			: NULL;
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		const char *reply = fed_id_of(item);
		if (i == FED_REPLIES_MAX)
			break;
		/* one level: each answer is kept with what it answers */
		if (reply)
			fed_note_fetch(&a, reply, 1);
	}
	json_decref(items);
	json_decref(fetched);
	json_decref(doc);
	arena_release(&a);
	return 0;
}

int64_t fed_note_fetch(arena *a, const char *uri, int depth)
{
	int64_t id = known_post(a, uri);
	if (id || depth <= 0 || !uri || ours(uri))
		return id;
	json_t *doc = fed_fetch_document(a, uri, NULL);
	id = doc ? note_keep(a, doc, uri, depth) : 0;
	json_decref(doc);
	return id;
}

static void on_delete(arena *a, const store_actor *sender, json_t *doc)
{
	const char *object = fed_id_of(json_object_get(doc, "object"));
	if (!object)
		return;
	if (!strcmp(object, sender->uri)) /* the account itself: all goes */
		account_delete(a, sender->account_id);
	else if (fed_same_origin(a, object, sender->uri))
		remote_status_delete(a, sender->account_id, object);
}

/* Whether the author of post (0: none) hears from sender: anyone does,
 * but from a silenced server only those who follow the sender. */
static bool heard(arena *a, const store_actor *sender, bool silenced,
		  int64_t post)
{
	status s;
	return post &&
	       (!silenced || (store_status_get(a, post, &s) &&
			      store_follows(s.account_id, sender->account_id)));
}

static void on_like(arena *a, const store_actor *sender, json_t *doc,
		    bool silenced)
{
	int64_t post = known_post(a, fed_id_of(json_object_get(doc, "object")));
	/* refused by the rules as a local favourite would be */
	if (heard(a, sender, silenced, post))
		status_favourite(a,
				 &(principal){.account_id = sender->account_id},
				 post, true);
}

static void on_announce(arena *a, const store_actor *sender, json_t *doc,
			bool silenced)
{
	const char *id = fed_str(doc, "id");
	const char *object = fed_id_of(json_object_get(doc, "object"));
	int64_t post = known_post(a, object);
	/* a post not known here is fetched when someone here follows the
	 * booster (their home shows the boost); else the boost is let go */
	if (!post && object && !silenced &&
	    store_followed_here(sender->account_id))
		post = fed_note_fetch(a, object, FED_THREAD_DEPTH);
	if (heard(a, sender, silenced, post) && id &&
	    fed_same_origin(a, id, sender->uri))
		remote_reblog(a, sender->account_id, post,
			      visibility_of(doc, sender), id);
}

/* A report from another server: its object names a local account and
 * posts of it (ids, or objects with ids); it becomes a report here,
 * by the sender (often its instance actor), once per Flag id. */
static void on_flag(arena *a, const store_actor *sender, json_t *doc)
{
	json_t *object = json_object_get(doc, "object");
	size_t n = json_is_array(object) ? json_array_size(object) : 1;
	if (n > REPORT_STATUSES_MAX + 1)
		n = REPORT_STATUSES_MAX + 1;
	int64_t *posts = arena_alloc(a, (n + 1) * sizeof *posts), target = 0;
	size_t nposts = 0;
	for (size_t i = 0; i < n; i++) {
		const char *uri = fed_id_of(json_is_array(object)
						    ? json_array_get(object, i)
						    : object);
		account acc;
		int64_t post;
		if (!target && local_account(a, uri, &acc) &&
		    !strstr(uri, "/statuses/"))
			target = acc.id;
		else if ((post = known_post(a, uri)))
			posts[nposts++] = post;
	}
	if (target)
		report_from_server(a, sender->account_id, target, posts, nposts,
				   fed_str(doc, "content"), fed_str(doc, "id"));
}

static void on_block(arena *a, const store_actor *sender, json_t *doc)
{
	account target;
	const char *msg;
	/* applied as a block here: follows end both ways, and the blocked
	 * account sees nothing more of the blocker */
	if (local_account(a, fed_id_of(json_object_get(doc, "object")),
			  &target))
		account_block(a, &(principal){.account_id = sender->account_id},
			      target.id, true, &msg);
}

static void on_update(arena *a, const store_actor *sender, json_t *doc)
{
	json_t *object = json_object_get(doc, "object");
	const char *type = fed_str(object, "type"), *id = fed_id_of(object);
	if (type && !strcmp(type, "Note")) {
		status s;
		store_tag_ref tags[REMOTE_TAGS_MAX];
		int64_t mentions[REMOTE_MENTIONS_MAX];
		size_t ntags, nmentions;
		if (!note_status(a, sender, object, &s, tags, &ntags, mentions,
				 &nmentions))
			return;
		/* its attachments as the edit lists them, when it lists
		 * them (none: all gone); else the post keeps its own */
		json_t *att = json_object_get(object, "attachment");
		int64_t kept = store_status_by_uri(s.uri);
		status post;
		if (att && kept && store_status_get(a, kept, &post) &&
		    post.account_id == sender->account_id &&
		    media_welcome(a, sender)) {
			json_t *list = fed_list(att);
			note_media_list(a, sender, list, kept, &s);
			json_decref(list);
		}
		remote_status_edit(a, &s, tags, ntags, mentions, nmentions);
	} else if (id && !strcmp(id, sender->uri)) {
		/* the sender's profile: read again from its id, what the
		 * activity carries being only what the sender says */
		account acc;
		store_actor act;
		fed_actor_fetch(a, sender->uri, &acc, &act);
	}
}

/* A Move of the sender to another account elsewhere: believed only when
 * that account, fetched now from its own server, names the sender among
 * its alsoKnownAs (as Mastodon checks). The sender is then shown as
 * moved, and each account here that followed it follows the new one
 * instead (under the follow's own rules: a block still refuses). */
static void on_move(arena *a, const store_actor *sender, json_t *doc)
{
	const char *object = fed_id_of(json_object_get(doc, "object"));
	const char *target = fed_id_of(json_object_get(doc, "target"));
	if (!object || strcmp(object, sender->uri) || !target ||
	    !strcmp(target, sender->uri) || ours(target))
		return;
	json_t *found = fed_fetch_document(a, target, NULL);
	json_t *aliases = fed_list(json_object_get(found, "alsoKnownAs"));
	bool alias = false;
	size_t i;
	json_t *v;
	json_array_foreach(aliases, i, v)
	{
		const char *uri = fed_id_of(v);
		alias = alias || (uri && !strcmp(uri, sender->uri));
	}
	json_decref(aliases);
	account to;
	store_actor moved;
	bool kept = alias && fed_actor_keep(a, found, target, &to, &moved);
	json_decref(found);
	if (!kept || store_actor_moved(sender->account_id, to.id) < 0)
		return;
	/* an account of another server is moved by its own server */
	int64_t *followers;
	size_t n = store_local_followers(a, sender->account_id, &followers);
	for (size_t k = 0; k < n; k++) {
		account f;
		if (!store_account_get(a, followers[k], &f))
			continue;
		principal p = {.account_id = f.id, .account = &f};
		account_follow(a, &p, to.id, true, false);
		account_unfollow(a, &p, sender->account_id);
	}
}

/* Process the kept activity id; a post goes on stage. */
static void inbox_one(arena *a, int64_t id, inbox_stage *stage)
{
	int64_t actor_id;
	const char *body;
	store_actor sender;
	/* its reads in one snapshot, as a request's (a write ends it) */
	store_read_begin();
	if (!store_inbox_activity(a, id, &actor_id, &body) ||
	    !store_actor_get(a, actor_id, &sender)) {
		store_read_end();
		return; /* gone with its actor */
	}
	/* a name twice in an object is refused, as it was at the door
	 * for the activity's own (json_scan) */
	json_t *doc = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
	const char *type = fed_str(doc, "type");
	/* the server may have been blocked since the activity arrived */
	instance_severity severity =
		instance_policy(a, fed_domain_of(a, sender.uri), NULL);
	bool silenced = severity == INSTANCE_SILENCED;
	/* what comes after the posts before it may concern them */
	if (!type || strcmp(type, "Create"))
		stage_flush(a, stage);
	if (!type || severity == INSTANCE_SUSPENDED)
		;
	else if (!strcmp(type, "Follow"))
		on_follow(a, &sender, doc);
	else if (!strcmp(type, "Undo"))
		on_undo(a, &sender, doc);
	else if (!strcmp(type, "Accept") || !strcmp(type, "Reject"))
		on_answer(a, &sender, doc, type[0] == 'A');
	else if (!strcmp(type, "Create"))
		on_create(a, &sender, doc, silenced, stage);
	else if (!strcmp(type, "Delete"))
		on_delete(a, &sender, doc);
	else if (!strcmp(type, "Update"))
		on_update(a, &sender, doc);
	else if (!strcmp(type, "Like"))
		on_like(a, &sender, doc, silenced);
	else if (!strcmp(type, "Announce"))
		on_announce(a, &sender, doc, silenced);
	else if (!strcmp(type, "Block"))
		on_block(a, &sender, doc);
	else if (!strcmp(type, "Flag"))
		on_flag(a, &sender, doc);
	else if (!strcmp(type, "Move"))
		on_move(a, &sender, doc);
	json_decref(doc);
	store_read_end();
}

void fed_inbox_jobs(const int64_t *ids, size_t n, int *rc, const char **error)
{
	(void)error;
	arena a;
	arena_init(&a);
	inbox_stage stage;
	stage.n = 0;
	for (size_t i = 0; i < n; i++) {
		inbox_one(&a, ids[i], &stage);
		rc[i] = 0; /* its row goes with the job's (store_inbox_done) */
	}
	stage_flush(&a, &stage);
	arena_release(&a);
}

bool fed_resolve_url(arena *a, const char *url, account *acc,
		     int64_t *status_id)
{
	store_actor act;
	/* a kept actor or post, else the document fetched once: a post or
	 * an actor */
	*status_id = 0;
	if (store_actor_by_uri(a, url, &act) &&
	    store_account_get(a, act.account_id, acc))
		return true;
	if ((*status_id = known_post(a, url)))
		return true;
	if (ours(url))
		return false;
	json_t *doc = fed_fetch_document(a, url, NULL);
	bool found = doc &&
		     ((*status_id = note_keep(a, doc, url, FED_THREAD_DEPTH)) ||
		      fed_actor_keep(a, doc, url, acc, &act));
	json_decref(doc);
	return found;
}
