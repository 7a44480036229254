/* posting.c — creating, editing, deleting statuses and the interactions
 * on them (favourite, reblog, bookmark, pin). */
#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "domain/domain.h"
#include "jobs/jobs.h"
#include "store/store.h"
#include "text/text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { POST_MAX_MENTIONS = 64, POST_MAX_TAGS = 64 };

/* What a reply or boost the status's interaction policy refuses is told. */
#define REPLY_REFUSED                                                          \
	"The author of this post does not allow you to reply to it"
#define REBLOG_REFUSED "The author of this post does not allow you to boost it"

static const char *const visibility_names[] = {"public", "unlisted", "private",
					       "direct"};

bool visibility_parse(const char *s, visibility *out)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, visibility_names[i])) {
			*out = (visibility)i;
			return true;
		}
	return false;
}

const char *visibility_name(visibility v)
{
	return visibility_names[v];
}

/* What the text of a post resolves to: mentions bound to accounts, tags
 * deduplicated by key, the HTML and the entities JSON that render/ reads. */
typedef struct composed {
	const char *html, *entities;
	store_tag_ref tags[POST_MAX_TAGS];
	size_t ntags;
	int64_t mentions[POST_MAX_MENTIONS];
	size_t nmentions;
} composed;

static void compose(arena *a, const char *text, composed *c)
{
	memset(c, 0, sizeof *c);
	size_t n = strlen(text);
	text_parsed parsed;
	text_parse(a, text, n, &parsed);
	json_t *tags = json_array(), *mentions = json_array();
	for (size_t i = 0; i < parsed.count; i++) {
		text_entity *e = &parsed.items[i];
		if (e->kind == TEXT_MENTION) {
			const char *domain = e->domain;
			if (domain && !strcasecmp(domain, cfg.domain))
				domain = NULL;
			account acc;
			if (!store_account_by_username(a, e->value, domain,
						       &acc))
				continue; /* unknown: stays plain text */
			/* another server's account links to its own page */
			const char *uri;
			account_addresses(a, &acc, &uri, &e->href);
			if (c->nmentions == POST_MAX_MENTIONS)
				continue;
			bool seen = false;
			for (size_t k = 0; k < c->nmentions; k++)
				seen |= c->mentions[k] == acc.id;
			if (seen)
				continue;
			c->mentions[c->nmentions++] = acc.id;
			char id[24];
			snprintf(id, sizeof id, "%lld", (long long)acc.id);
			json_array_append_new(mentions,
					      json_pack("{s:s,s:s,s:s,s:s}",
							"id", id, "username",
							acc.username, "url",
							e->href, "acct",
							account_acct(a, &acc)));
		} else if (e->kind == TEXT_HASHTAG && e->key) {
			bool seen = false;
			for (size_t k = 0; k < c->ntags; k++)
				seen |= !strcmp(c->tags[k].key, e->key);
			if (seen || c->ntags == POST_MAX_TAGS)
				continue;
			c->tags[c->ntags].name = e->value;
			c->tags[c->ntags].key = e->key;
			c->ntags++;
			json_array_append_new(
				tags,
				json_pack("{s:s,s:s}", "name", e->key, "url",
					  arena_printf(a, "%s/tags/%s",
						       cfg.base_url, e->key)));
		}
	}
	text_render_opts o = {
		.tag_base = arena_printf(a, "%s/tags/", cfg.base_url)};
	c->html = text_render_html(a, text, n, &parsed, &o);
	json_t *ent =
		json_pack("{s:o,s:o}", "tags", tags, "mentions", mentions);
	char *dumped = json_dumps(ent, JSON_COMPACT);
	c->entities = arena_strdup(a, dumped ? dumped : "{}");
	free(dumped);
	json_decref(ent);
}

/* Only whitespace (ASCII or Unicode spaces) counts as blank, as Rails'
 * blank? does. */
static bool text_is_blank(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
			continue;
		/* U+00A0 NBSP, U+2000–U+200B, U+3000 ideographic space */
		if (p[0] == 0xC2 && p[1] == 0xA0) {
			p++;
			continue;
		}
		if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x80 &&
		    p[2] <= 0x8B) {
			p += 2;
			continue;
		}
		if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
			p += 2;
			continue;
		}
		return false;
	}
	return true;
}

static dom_err check_text(arena *a, const post_request *r, bool has_media,
			  const char **msg)
{
	const char *text = r->text ? r->text : "";
	const char *cw = r->spoiler_text ? r->spoiler_text : "";
	/* the character count lets a "short" post weigh megabytes (combining
	 * marks join one character), so the raw size has its own cap */
	if (strlen(text) + strlen(cw) > (size_t)cfg.max_status_bytes) {
		*msg = arena_printf(a,
				    "Validation failed: Text size limit of %d "
				    "bytes exceeded",
				    cfg.max_status_bytes);
		return DOM_INVALID;
	}
	if (text_is_blank(text) && !has_media) {
		*msg = "Validation failed: Text can't be blank";
		return DOM_INVALID;
	}
	size_t count =
		text_count_chars(text, strlen(text), (size_t)cfg.url_weight) +
		text_count_chars(cw, strlen(cw), (size_t)cfg.url_weight);
	if (count > (size_t)cfg.max_characters) {
		*msg = arena_printf(a,
				    "Validation failed: Text character limit "
				    "of %d exceeded",
				    cfg.max_characters);
		return DOM_INVALID;
	}
	return DOM_OK;
}

/* A store write's answer (store_result) as the client's: the status acted
 * on deleted meanwhile is "not found", an attachment taken meanwhile or a
 * limit reached is invalid (*msg says which), any other failure internal.
 * Those checks ran inside the write's transaction. */
static dom_err dom_from_store(int rc, const char *limit_msg, const char **msg)
{
	switch (rc) {
	case STORE_GONE: *msg = "Record not found"; return DOM_NOT_FOUND;
	case STORE_TAKEN:
		*msg = "Validation failed: Media attachment was not found";
		return DOM_INVALID;
	case STORE_LIMIT: *msg = limit_msg; return DOM_INVALID;
	default: *msg = "could not store the status"; return DOM_INTERNAL;
	}
}

/* What recipient is to be told of from's act, as the rules decide
 * before the act is written: x->how NOTICE_NONE when nothing (dropped,
 * or one's own act). */
static void notice_prepare(notice *x, int64_t recipient, const char *type,
			   int64_t from, int64_t status_id)
{
	memset(x, 0, sizeof *x);
	if (recipient == from)
		return;
	arena a;
	arena_init(&a);
	notification_fate fate = visibility_notification_fate(
		&a, recipient, from, type, status_id);
	arena_release(&a);
	if (fate == NOTE_DROP)
		return;
	x->n = (notification){
		.account_id = recipient,
		.type = type,
		.from_account_id = from,
		.status_id = status_id,
		.created_at = time_now_ms(),
	};
	/* held: waits in a request, untold */
	x->how = fate == NOTE_FILTER ? NOTICE_HOLD : NOTICE_TELL;
}

/* Once x is committed: a told notification goes to the streams. */
static void notice_publish(const notice *x)
{
	if (x->told)
		events_publish(&(event){.kind = EVENT_NOTIFICATION,
					.id = x->n.id,
					.account_id = x->n.account_id});
}

void notify(int64_t recipient, const char *type, int64_t from,
	    int64_t status_id)
{
	notice x;
	notice_prepare(&x, recipient, type, from, status_id);
	if (x.how != NOTICE_NONE && store_notice_write(&x) == 0)
		notice_publish(&x);
}

int notification_request_decide(int64_t account_id, int64_t id, bool accept)
{
	if (!accept)
		return store_notification_request_dismiss(account_id, id);
	int rc = store_notification_request_accept(account_id, id);
	if (rc == 0) /* Mastodon tells it when its merge job is done */
		events_publish(&(event){.kind = EVENT_NOTIFICATIONS_MERGED,
					.account_id = account_id});
	return rc;
}

dom_err status_post(arena *a, const principal *author, const post_request *r,
		    status *out, const char **msg)
{
	int64_t me = author->account_id;
	int64_t now = time_now_ms();
	*out = (status){0};
	if (r->idempotency_key && *r->idempotency_key &&
	    store_idempotency_get(me, r->idempotency_key,
				  now - (int64_t)cfg.idempotency_seconds * 1000,
				  &out->id))
		return DOM_OK;
	status s = {0};
	int64_t *media;
	size_t nmedia;
	dom_err err = media_resolve(a, author, r->media_ids, r->nmedia_ids, 0,
				    &media, &nmedia, msg);
	if (err || (err = check_text(a, r, nmedia > 0, msg)))
		return err;
	s.media_ids = media;
	s.nmedia = nmedia;
	if (r->in_reply_to_id) {
		status parent;
		if (!store_status_get(a, r->in_reply_to_id, &parent) ||
		    parent.reblog_of_id || !visibility_can_see(me, &parent)) {
			*msg = "Record not found";
			return DOM_NOT_FOUND;
		}
		if (!visibility_may_interact(me, &parent, INTERACT_REPLY)) {
			*msg = REPLY_REFUSED;
			return DOM_FORBIDDEN;
		}
		s.in_reply_to_id = parent.id;
		s.in_reply_to_account_id = parent.account_id;
	}
	composed c;
	compose(a, r->text, &c);
	s.account_id = me; /* its id is taken as it is stored */
	s.text = r->text;
	s.content = c.html;
	s.spoiler_text = r->spoiler_text ? r->spoiler_text : "";
	/* a content warning hides media too, as in Mastodon */
	s.sensitive = r->sensitive || *s.spoiler_text;
	s.vis = r->vis;
	s.language = r->language;
	s.app_id = author->app_id;
	s.entities = c.entities;
	s.created_at = now;
	/* a rule not chosen is the author's default for the visibility,
	 * else GoToSocial's; only one differing from that is stored */
	interaction_policy def, base = visibility_policy_default(s.vis);
	if (!store_policy_default(me, s.vis, &def))
		def = base;
	s.policy.can_reply =
		r->policy.can_reply ? r->policy.can_reply : def.can_reply;
	s.policy.can_reblog =
		r->policy.can_reblog ? r->policy.can_reblog : def.can_reblog;
	if (s.policy.can_reply == base.can_reply &&
	    s.policy.can_reblog == base.can_reblog)
		s.policy = (interaction_policy){0};
	s.then_job = events_status_job(&s);
	int rc;
	if (r->idempotency_key && *r->idempotency_key) {
		/* the key is checked again inside the insert's transaction:
		 * concurrent retries with one key create one status */
		rc = store_status_insert_once(
			a, &s, c.tags, c.ntags, c.mentions, c.nmentions,
			r->idempotency_key,
			now - (int64_t)cfg.idempotency_seconds * 1000,
			&out->id);
		if (rc == 1)
			return DOM_OK;
	} else {
		rc = store_status_insert(a, &s, c.tags, c.ntags, c.mentions,
					 c.nmentions);
	}
	if (rc == STORE_REFUSED) { /* an unfollow committed meanwhile */
		*msg = REPLY_REFUSED;
		return DOM_FORBIDDEN;
	}
	if (rc < 0)
		return dom_from_store(rc, NULL, msg);
	/* before the event: the direct stream sends what this records */
	conversations_record(a, &s, c.mentions, c.nmentions);
	if (s.then_job)
		jobs_wake();
	events_publish(&(event){.kind = EVENT_STATUS, .id = s.id});
	for (size_t i = 0; i < c.nmentions; i++)
		notify(c.mentions[i], "mention", me, s.id);
	*out = s;
	out->written = true;
	return DOM_OK;
}

static void publish_deleted(const status *s)
{
	events_publish(&(event){.kind = EVENT_STATUS_DELETED,
				.id = s->id,
				.account_id = s->account_id,
				.vis = s->vis,
				.reblog = s->reblog_of_id != 0,
				.reblog_of = s->reblog_of_id,
				.entities = s->entities});
}

/* Load a status the principal authored, for edit and delete. */
static dom_err load_own(arena *a, const principal *p, int64_t id, status *s)
{
	if (!store_status_get(a, id, s) || s->reblog_of_id ||
	    !visibility_can_see(p->account_id, s))
		return DOM_NOT_FOUND;
	/* someone else's post is "not found" for edit and delete, as in
	 * Mastodon, which looks it up among the caller's own statuses */
	return s->account_id == p->account_id ? DOM_OK : DOM_NOT_FOUND;
}

/* Write an edit of old as s, and tell who boosted it. */
static dom_err edit_commit(arena *a, const status *old, const status *s,
			   const store_tag_ref *tags, size_t ntags,
			   const int64_t *mentions, size_t nmentions,
			   const char **msg)
{
	int rc = store_status_update(old, s, tags, ntags, mentions, nmentions);
	if (rc == STORE_STALE)
		return DOM_OK; /* a newer edit is stored: this one is history */
	if (rc < 0)
		return dom_from_store(rc, NULL, msg);
	events_publish(&(event){.kind = EVENT_STATUS_EDITED, .id = s->id});
	enum { EDIT_NOTIFY_MAX = 1000 };
	int64_t *who = arena_alloc(a, EDIT_NOTIFY_MAX * sizeof *who);
	size_t n = store_rebloggers(s->id, who, EDIT_NOTIFY_MAX);
	for (size_t i = 0; i < n; i++)
		notify(who[i], "update", s->account_id, s->id);
	return DOM_OK;
}

dom_err status_edit(arena *a, const principal *author, int64_t id,
		    const post_request *r, const char **msg)
{
	status old;
	dom_err err = load_own(a, author, id, &old);
	if (err) {
		*msg = "Record not found";
		return err;
	}
	int64_t *media = NULL;
	size_t nmedia = 0;
	if (r->has_media_ids &&
	    (err = media_resolve(a, author, r->media_ids, r->nmedia_ids, id,
				 &media, &nmedia, msg)))
		return err;
	if (!r->has_media_ids) { /* kept: they count against blank text */
		media_attachment one;
		nmedia = store_media_of_status(a, id, &one, 1);
	}
	if ((err = check_text(a, r, nmedia > 0, msg)))
		return err;
	composed c;
	compose(a, r->text, &c);
	status s = old;
	s.media_ids = r->has_media_ids ? media : NULL;
	s.nmedia = r->has_media_ids ? nmedia : 0;
	s.text = r->text;
	s.content = c.html;
	s.spoiler_text = r->spoiler_text ? r->spoiler_text : "";
	s.sensitive = r->sensitive || *s.spoiler_text;
	if (r->language)
		s.language = r->language;
	s.entities = c.entities;
	s.edited_at = time_now_ms();
	return edit_commit(a, &old, &s, c.tags, c.ntags, c.mentions,
			   c.nmentions, msg);
}

dom_err status_delete(arena *a, const principal *author, int64_t id,
		      status *out)
{
	dom_err err = load_own(a, author, id, out);
	if (err)
		return err;
	enum { MEDIA_MAX = 16 };
	media_attachment *media = arena_alloc(a, MEDIA_MAX * sizeof *media);
	size_t n = store_media_of_status(a, id, media, MEDIA_MAX);
	const char *msg;
	int rc = store_status_delete(out);
	if (rc < 0) /* STORE_GONE: a concurrent delete won */
		return dom_from_store(rc, NULL, &msg);
	publish_deleted(out);
	for (size_t i = 0; i < n; i++) /* the rows went with the status */
		media_remove_files(&media[i]);
	return DOM_OK;
}

/* Load a visible, non-reblog status to act on (reblogs act on their
 * target, as Mastodon does). */
static dom_err load_target(arena *a, const principal *p, int64_t id, status *s)
{
	if (!store_status_get(a, id, s) ||
	    !visibility_can_see(p->account_id, s))
		return DOM_NOT_FOUND;
	if (s->reblog_of_id && (!store_status_get(a, s->reblog_of_id, s) ||
				!visibility_can_see(p->account_id, s)))
		return DOM_NOT_FOUND;
	return DOM_OK;
}

dom_err status_favourite(arena *a, const principal *p, int64_t id, bool on)
{
	status s;
	dom_err err = load_target(a, p, id, &s);
	if (err)
		return err;
	const char *msg;
	/* the favourite and its notification commit together */
	notice x = {0};
	if (on)
		notice_prepare(&x, s.account_id, "favourite", p->account_id,
			       s.id);
	int64_t row;
	int changed = store_favourite_toggle(p->account_id, s.id, on, &x, &row);
	if (changed < 0)
		return dom_from_store(changed, NULL, &msg);
	notice_publish(&x);
	/* a local account's favourite: the post's server, if another,
	 * hears of it */
	if (changed == 1 && p->account && !p->account->domain)
		act_publish(&(social_act){.kind = on ? ACT_LIKE : ACT_UNLIKE,
					  .actor = p->account_id,
					  .object = s.account_id,
					  .id = s.id,
					  .ref = row});
	return DOM_OK;
}

dom_err status_bookmark(arena *a, const principal *p, int64_t id, bool on)
{
	status s;
	dom_err err = load_target(a, p, id, &s);
	if (err)
		return err;
	const char *msg;
	int rc = store_bookmark_set(p->account_id, s.id, on);
	return rc < 0 ? dom_from_store(rc, NULL, &msg) : DOM_OK;
}

dom_err status_mute_thread(arena *a, const principal *p, int64_t id, bool on)
{
	status s;
	dom_err err = load_target(a, p, id, &s);
	if (err)
		return err;
	return store_thread_mute_set(p->account_id, s.id, on) < 0 ? DOM_INTERNAL
								  : DOM_OK;
}

dom_err status_pin(arena *a, const principal *p, int64_t id, bool on,
		   const char **msg)
{
	status s;
	dom_err err = load_target(a, p, id, &s);
	if (err)
		return err;
	if (on && s.account_id != p->account_id) {
		*msg = "Validation failed: Status must be one of your own";
		return DOM_INVALID;
	}
	if (on && s.vis == VIS_DIRECT) {
		*msg = "Validation failed: Direct messages can't be pinned";
		return DOM_INVALID;
	}
	/* the limit is counted inside the pin's transaction (and enforced
	 * by the database): a count here could be raced past */
	int rc = store_pin_set(p->account_id, s.id, on, cfg.max_pinned);
	return rc < 0 ? dom_from_store(rc,
				       "Validation failed: You have already "
				       "pinned the maximum number of posts",
				       msg)
		      : DOM_OK;
}

/* status_reblog, the boost kept with uri when it is another server's
 * (its Announce's id, which an Undo names). */
static dom_err reblog(arena *a, const principal *p, int64_t id, visibility vis,
		      const char *uri, int64_t *reblog_id, const char **msg)
{
	status s;
	dom_err err = load_target(a, p, id, &s);
	if (err)
		return err;
	bool own = s.account_id == p->account_id;
	if (s.vis == VIS_DIRECT || (s.vis == VIS_PRIVATE && !own))
		return DOM_FORBIDDEN;
	int64_t existing = store_reblog_find(p->account_id, s.id);
	if (existing) {
		*reblog_id = existing;
		return DOM_OK;
	}
	if (!visibility_may_interact(p->account_id, &s, INTERACT_REBLOG)) {
		*msg = REBLOG_REFUSED;
		return DOM_FORBIDDEN;
	}
	/* a reblog is never more visible than what it boosts */
	if (vis < s.vis)
		vis = s.vis;
	status r = {0}; /* its id is taken as it is stored */
	r.account_id = p->account_id;
	r.text = r.content = r.spoiler_text = "";
	r.entities = "{}";
	r.vis = vis;
	r.reblog_of_id = s.id;
	r.app_id = p->app_id;
	r.created_at = time_now_ms();
	r.uri = uri;
	/* the boost and its notification commit together */
	notice x;
	notice_prepare(&x, s.account_id, "reblog", p->account_id, s.id);
	r.notice = &x;
	r.then_job = events_status_job(&r);
	int rc = store_status_insert(NULL, &r, NULL, 0, NULL, 0);
	if (rc == STORE_REFUSED) { /* an unfollow committed meanwhile */
		*msg = REBLOG_REFUSED;
		return DOM_FORBIDDEN;
	}
	if (rc == STORE_TAKEN) { /* a concurrent boost by the same account
				    won (one per account and post: a unique
				    index): answer with it, as Mastodon does */
		*reblog_id = store_reblog_find(p->account_id, s.id);
		return *reblog_id ? DOM_OK : DOM_NOT_FOUND;
	}
	if (rc < 0) /* STORE_GONE: the boosted post was deleted meanwhile */
		return dom_from_store(rc, NULL, msg);
	if (r.then_job)
		jobs_wake();
	events_publish(&(event){.kind = EVENT_STATUS, .id = r.id});
	notice_publish(&x);
	*reblog_id = r.id;
	return DOM_OK;
}

dom_err status_reblog(arena *a, const principal *p, int64_t id, visibility vis,
		      int64_t *reblog_id, const char **msg)
{
	return reblog(a, p, id, vis, NULL, reblog_id, msg);
}

dom_err status_unreblog(arena *a, const principal *p, int64_t id)
{
	status s;
	dom_err err = load_target(a, p, id, &s);
	if (err)
		return err;
	int64_t existing = store_reblog_find(p->account_id, s.id);
	if (!existing)
		return DOM_OK;
	status r;
	if (!store_status_get(a, existing, &r))
		return DOM_OK;
	int rc = store_status_delete(&r);
	if (rc == STORE_GONE) /* undone meanwhile, or went with its post */
		return DOM_OK;
	if (rc < 0)
		return DOM_INTERNAL;
	publish_deleted(&r);
	return DOM_OK;
}

bool status_reply_hideable(arena *a, int64_t account_id, const status *s)
{
	if (!account_id || !s->in_reply_to_id || s->reblog_of_id)
		return false;
	/* the post it answers is the account's when it is still there
	 * (its author, kept on the reply, never changes) */
	status parent, top;
	if (s->in_reply_to_account_id == account_id &&
	    store_status_get(a, s->in_reply_to_id, &parent) &&
	    parent.account_id == account_id)
		return true;
	int64_t root = s->thread_root_id;
	size_t len;
	if (!root && !store_thread_path(a, s->id, &root, &len))
		return false;
	return root != s->in_reply_to_id && store_status_get(a, root, &top) &&
	       top.account_id == account_id;
}

dom_err status_hide_reply(arena *a, const principal *p, int64_t id, bool on,
			  const char **msg)
{
	status s;
	*msg = "Record not found";
	if (!store_status_get(a, id, &s) || s.reblog_of_id ||
	    !visibility_can_see(p->account_id, &s))
		return DOM_NOT_FOUND;
	if (!s.in_reply_to_id) {
		*msg = "Validation failed: Only a reply can be hidden";
		return DOM_INVALID;
	}
	if (!status_reply_hideable(a, p->account_id, &s)) {
		*msg = "Only the author of the post it answers or of the "
		       "thread may hide a reply";
		return DOM_FORBIDDEN;
	}
	int rc = store_reply_hide(s.id, p->account_id, time_now_ms(), on);
	return rc < 0 ? dom_from_store(rc, NULL, msg) : DOM_OK;
}

/* Whether another server's post s may be inserted (filling what the
 * insert needs): not a reply its parent's rules refuse, as a local one
 * is not written. Whether it was delivered before is the store's to
 * say, under the write lock. */
static bool remote_status_allowed(arena *a, status *s)
{
	if (s->in_reply_to_id) {
		status parent;
		if (!store_status_get(a, s->in_reply_to_id, &parent) ||
		    parent.reblog_of_id ||
		    !visibility_may_interact(s->account_id, &parent,
					     INTERACT_REPLY))
			return false;
		s->in_reply_to_account_id = parent.account_id;
	}
	s->text = "";
	if (!s->spoiler_text)
		s->spoiler_text = "";
	return true;
}

/* What follows another server's post inserted: its conversation, its
 * event (streams, kept answers), its mentions told. */
static void remote_status_after(arena *a, const status *s,
				const int64_t *mentions, size_t nmentions)
{
	conversations_record(a, s, mentions, nmentions);
	events_publish(&(event){.kind = EVENT_STATUS, .id = s->id});
	for (size_t i = 0; i < nmentions; i++)
		notify(mentions[i], "mention", s->account_id, s->id);
}

dom_err remote_status_post(arena *a, status *s, const store_tag_ref *tags,
			   size_t ntags, const int64_t *mentions,
			   size_t nmentions)
{
	if (store_status_by_uri(s->uri))
		return DOM_OK; /* delivered before (another inbox) */
	if (!remote_status_allowed(a, s))
		return DOM_FORBIDDEN;
	int rc = store_status_insert(a, s, tags, ntags, mentions, nmentions);
	const char *msg;
	if (rc == STORE_TAKEN) /* the same post, another delivery */
		return DOM_OK;
	if (rc < 0)
		return dom_from_store(rc, NULL, &msg);
	remote_status_after(a, s, mentions, nmentions);
	return DOM_OK;
}

void remote_statuses_post(arena *a, store_new_status *p, size_t n)
{
	/* the ones to insert, together, and where each came from */
	store_new_status *go = arena_alloc(a, (n + 1) * sizeof *go);
	size_t *from = arena_alloc(a, (n + 1) * sizeof *from), k = 0;
	for (size_t i = 0; i < n; i++) {
		/* one delivered before is found by the insert itself */
		p[i].rc = remote_status_allowed(a, p[i].s) ? 0 : STORE_GONE;
		if (p[i].rc == 0) {
			from[k] = i;
			go[k++] = p[i];
		}
	}
	if (!k)
		return;
	if (store_remote_statuses_insert(go, k) < 0) {
		/* one failed, and took the others with it: each on its own */
		for (size_t i = 0; i < k; i++)
			p[from[i]].rc =
				remote_status_post(a, go[i].s, go[i].tags,
						   go[i].ntags, go[i].mentions,
						   go[i].nmentions) == DOM_OK
					? 0
					: -1;
		return;
	}
	for (size_t i = 0; i < k; i++) {
		p[from[i]].rc = go[i].rc;
		if (go[i].rc == 0)
			remote_status_after(a, go[i].s, go[i].mentions,
					    go[i].nmentions);
	}
}

dom_err remote_status_edit(arena *a, const status *s, const store_tag_ref *tags,
			   size_t ntags, const int64_t *mentions,
			   size_t nmentions)
{
	status old;
	int64_t id = store_status_by_uri(s->uri);
	principal author = {.account_id = s->account_id};
	if (!id || load_own(a, &author, id, &old))
		return DOM_NOT_FOUND;
	status e = old;
	e.content = s->content;
	e.spoiler_text = s->spoiler_text ? s->spoiler_text : "";
	e.sensitive = s->sensitive;
	e.entities = s->entities;
	if (s->language)
		e.language = s->language;
	/* dated by its server (store_status_update checks the date again
	 * under the write lock: two edits may be processed at once) */
	e.uri = s->uri;
	e.edited_at = s->edited_at ? s->edited_at : time_now_ms();
	e.media_ids = s->media_ids; /* NULL: kept */
	e.nmedia = s->nmedia;
	if (old.edited_at && e.edited_at <= old.edited_at)
		return DOM_OK; /* an older edit, arriving late */
	const char *msg;
	return edit_commit(a, &old, &e, tags, ntags, mentions, nmentions, &msg);
}

dom_err remote_reblog(arena *a, int64_t account_id, int64_t id, visibility vis,
		      const char *uri)
{
	int64_t reblog_id;
	const char *msg;
	if (store_status_by_uri(uri))
		return DOM_OK; /* delivered before */
	return reblog(a, &(principal){.account_id = account_id}, id, vis, uri,
		      &reblog_id, &msg);
}

dom_err remote_unreblog(arena *a, int64_t account_id, const char *uri)
{
	status r;
	int64_t id = store_status_by_uri(uri);
	if (!id || !store_status_get(a, id, &r) || r.account_id != account_id ||
	    !r.reblog_of_id)
		return DOM_NOT_FOUND;
	return status_unreblog(a, &(principal){.account_id = account_id},
			       r.reblog_of_id);
}

dom_err remote_status_delete(arena *a, int64_t author, const char *uri)
{
	int64_t id = store_status_by_uri(uri);
	status gone;
	if (!id)
		return DOM_NOT_FOUND;
	return status_delete(a, &(principal){.account_id = author}, id, &gone);
}
