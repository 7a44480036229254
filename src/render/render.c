/* render.c — Mastodon entities. Field names, types and nullability follow
 * the Mastodon 4.x entity documentation; see docs/api.md. */
#include "render/render.h"

#include "core/cache.h"
#include "core/config.h"
#include "core/time.h"
#include "domain/trends.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

const char *render_id(arena *a, int64_t id)
{
	return arena_printf(a, "%lld", (long long)id);
}

json_t *render_time(int64_t ms)
{
	char buf[TIME_RFC3339_LEN];
	time_format_rfc3339(ms, buf);
	return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *id_or_null(arena *a, int64_t id)
{
	return id ? json_string(render_id(a, id)) : json_null();
}

/* A profile field value as HTML: escaped, URLs, mentions and tags linked,
 * without the paragraph wrapper Mastodon leaves off field values. */
static char *field_html(arena *a, const char *value)
{
	char *html = profile_text_html(a, value);
	size_t len = strlen(html);
	if (len >= 7 && !strncmp(html, "<p>", 3) &&
	    !strcmp(html + len - 4, "</p>") && !strstr(html + 3, "<p>")) {
		html[len - 4] = '\0';
		html += 3;
	}
	return html;
}

/* Stored fields are [{name, value}] with the value as typed; clients get
 * the value as HTML and the name escaped as plain text. */
json_t *render_account_fields(arena *a, const char *fields_json)
{
	json_t *stored = json_loads(fields_json ? fields_json : "[]", 0, NULL);
	json_t *out = json_array();
	size_t i;
	json_t *item;
	json_array_foreach(stored, i, item)
	{
		const char *name =
			json_string_value(json_object_get(item, "name"));
		const char *value =
			json_string_value(json_object_get(item, "value"));
		json_array_append_new(
			out,
			json_pack("{s:s,s:s,s:n}", "name", name ? name : "",
				  "value", field_html(a, value ? value : ""),
				  "verified_at"));
	}
	json_decref(stored);
	return out;
}

static json_t *account_json(arena *a, const account *acc, bool with_moved);

json_t *render_account(arena *a, const account *acc)
{
	return account_json(a, acc, true);
}

/* acc, and (with_moved) the account it moved to as "moved": one level,
 * so accounts that moved to each other do not render forever. */
static json_t *account_json(arena *a, const account *acc, bool with_moved)
{
	char day[11];
	/* a suspended account says so, and shows nothing it wrote */
	bool suspended = acc->suspended_at, limited = acc->silenced_at;
	acc = account_shown(a, acc);
	const char *acct = account_acct(a, acc);
	const char *url =
		arena_printf(a, "%s/@%s", cfg.base_url, acc->username);
	const char *uri =
		arena_printf(a, "%s/users/%s", cfg.base_url, acc->username);
	/* another server's account is its actor's */
	store_actor actor = {0};
	if (acc->domain && store_actor_get(a, acc->id, &actor)) {
		uri = actor.uri;
		url = actor.url ? actor.url : actor.uri;
	}
	const char *avatar =
		acc->avatar ? arena_printf(a, "%s/media/%s", cfg.base_url,
					   acc->avatar)
			    : arena_printf(a, "%s/avatars/original/missing.png",
					   cfg.base_url);
	const char *header =
		acc->header ? arena_printf(a, "%s/media/%s", cfg.base_url,
					   acc->header)
			    : arena_printf(a, "%s/headers/original/missing.png",
					   cfg.base_url);
	/* Mastodon rounds created_at to midnight so it says less about
	 * when someone is online */
	int64_t created_day = acc->created_at - acc->created_at % 86400000;
	json_t *j = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,"
		"s:b,s:b,s:o,s:o,s:o,s:I,s:I,s:I,s:o,s:o,s:b}",
		"id", render_id(a, acc->id), "username", acc->username, "acct",
		acct, "display_name", acc->display_name, "note", acc->note_html,
		"url", url, "uri", uri, "avatar", avatar, "avatar_static",
		avatar, "header", header, "header_static", header, "locked",
		acc->locked, "bot", acc->bot, "group", 0, "discoverable",
		acc->discoverable, "indexable", acc->discoverable, "created_at",
		render_time(created_day), "last_status_at", json_null(),
		"emojis", json_array(), "statuses_count",
		(json_int_t)acc->statuses_count, "followers_count",
		(json_int_t)acc->followers_count, "following_count",
		(json_int_t)acc->following_count, "fields",
		render_account_fields(a, acc->fields), "roles", json_array(),
		"hide_collections", 0);
	if (acc->last_status_at) {
		time_format_date(acc->last_status_at, day);
		json_object_set_new(j, "last_status_at", json_string(day));
	}
	if (suspended)
		json_object_set_new(j, "suspended", json_true());
	if (limited)
		json_object_set_new(j, "limited", json_true());
	account moved;
	if (with_moved && actor.moved_to_id &&
	    store_account_get(a, actor.moved_to_id, &moved))
		json_object_set_new(j, "moved", account_json(a, &moved, false));
	return j;
}

json_t *render_credential_account(arena *a, const account *acc)
{
	json_t *j = render_account(a, acc);
	json_t *fields = json_loads(acc->fields ? acc->fields : "[]", 0, NULL);
	if (!json_is_array(fields)) {
		json_decref(fields);
		fields = json_array();
	}
	json_object_set_new(
		j, "source",
		json_pack("{s:s,s:o,s:s,s:b,s:o,s:I,s:b,s:b,s:b}", "note",
			  acc->note, "fields", fields, "privacy",
			  acc->privacy ? acc->privacy : "public", "sensitive",
			  acc->sensitive, "language",
			  str_or_null(acc->language), "follow_requests_count",
			  (json_int_t)store_follow_requests_count(acc->id),
			  "discoverable", acc->discoverable, "indexable",
			  acc->discoverable, "hide_collections", 0));
	json_object_set_new(j, "role", render_role(acc->role));
	return j;
}

json_t *render_role(const char *role)
{
	role = role ? role : "user";
	return json_pack("{s:s,s:s,s:s,s:s,s:b}", "id", role, "name", role,
			 "color", "", "permissions", "0", "highlighted",
			 strcmp(role, "user") != 0);
}

json_t *render_rule(arena *a, int64_t position, const char *text)
{
	return json_pack("{s:s,s:s,s:s}", "id", render_id(a, position), "text",
			 text, "hint", "");
}

enum { TAG_HISTORY_DAYS = TREND_HISTORY_DAYS, DAY_MS = 24 * 3600 * 1000 };

/* Append s, valid UTF-8, as a JSON string: only what JSON requires is
 * escaped, runs of plain bytes are copied whole. */
static void put_json_string(buf *b, const char *s)
{
	buf_putc(b, '"');
	for (;;) {
		size_t run = 0;
		while (s[run] && s[run] != '"' && s[run] != '\\' &&
		       (unsigned char)s[run] >= 0x20)
			run++;
		buf_append(b, s, run);
		s += run;
		if (!*s)
			break;
		if (*s == '"' || *s == '\\')
			buf_printf(b, "\\%c", *s);
		else
			buf_printf(b, "\\u%04x", (unsigned char)*s);
		s++;
	}
	buf_putc(b, '"');
}

/* A Tag as JSON bytes: written straight into b rather than built with
 * jansson, because the trends list renders many with their histories
 * and the allocations were most of its cost. */
static void put_tag(arena *a, buf *b, int64_t id, const char *name,
		    int following)
{
	int64_t uses[TAG_HISTORY_DAYS], accounts[TAG_HISTORY_DAYS];
	int64_t today = time_now_ms() / DAY_MS * DAY_MS;
	int64_t first = today - (int64_t)(TAG_HISTORY_DAYS - 1) * DAY_MS;
	memset(uses, 0, sizeof uses);
	memset(accounts, 0, sizeof accounts);
	if (id)
		store_tag_history(id, first, TAG_HISTORY_DAYS, uses, accounts);
	buf_puts(b, "{\"name\":");
	put_json_string(b, name);
	buf_puts(b, ",\"url\":");
	put_json_string(b, arena_printf(a, "%s/tags/%s", cfg.base_url, name));
	buf_puts(b, ",\"history\":[");
	for (int d = TAG_HISTORY_DAYS - 1; d >= 0; d--) /* today first */
		buf_printf(b,
			   "%s{\"day\":\"%lld\",\"uses\":\"%lld\","
			   "\"accounts\":\"%lld\"}",
			   d == TAG_HISTORY_DAYS - 1 ? "" : ",",
			   (long long)((first + d * DAY_MS) / 1000),
			   (long long)uses[d], (long long)accounts[d]);
	buf_putc(b, ']');
	if (id)
		buf_printf(b, ",\"id\":\"%lld\"", (long long)id);
	if (following >= 0)
		buf_printf(b, ",\"following\":%s",
			   following ? "true" : "false");
	buf_putc(b, '}');
}

json_t *render_tag(arena *a, int64_t id, const char *name, int following)
{
	buf b;
	buf_init(&b, a);
	put_tag(a, &b, id, name, following);
	json_t *j = json_loadb(b.data, b.len, 0, NULL);
	return j ? j : json_object();
}

void render_tags_into(arena *a, buf *b, const int64_t *ids,
		      const char *const *names, const int *following, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		put_tag(a, b, ids[i], names[i], following[i]);
	}
	buf_putc(b, ']');
}

json_t *render_admin_tag(arena *a, int64_t id, const char *name, bool trendable,
			 bool requires_review)
{
	json_t *j = render_tag(a, id, name, -1);
	json_object_set_new(j, "trendable", json_boolean(trendable));
	json_object_set_new(j, "usable", json_true()); /* no tag is banned */
	json_object_set_new(j, "requires_review",
			    json_boolean(requires_review));
	return j;
}

json_t *render_featured_tag(arena *a, const store_featured_tag *f,
			    const char *username)
{
	json_t *last = json_null();
	if (f->last_status_at) {
		char day[11];
		time_format_date(f->last_status_at, day);
		last = json_string(day);
	}
	/* Mastodon sends the count as a string */
	return json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", render_id(a, f->id),
			 "name", f->name, "url",
			 arena_printf(a, "%s/@%s/tagged/%s", cfg.base_url,
				      username, f->name),
			 "statuses_count",
			 arena_printf(a, "%lld", (long long)f->statuses_count),
			 "last_status_at", last);
}

static json_t *media_url(arena *a, const char *name)
{
	return name ? json_string(arena_printf(a, "%s/media/%s", cfg.base_url,
					       name))
		    : json_null();
}

json_t *render_media(arena *a, const media_attachment *m)
{
	json_t *meta = json_loads(m->meta ? m->meta : "{}", 0, NULL);
	bool ready = m->state == MEDIA_READY;
	return json_pack("{s:s,s:s,s:o,s:o,s:n,s:n,s:n,s:o,s:o,s:o}", "id",
			 render_id(a, m->id), "type", m->type, "url",
			 media_url(a, ready ? m->file : NULL), "preview_url",
			 media_url(a, m->preview), "remote_url",
			 "preview_remote_url", "text_url", "meta",
			 meta ? meta : json_null(), "description",
			 str_or_null(m->description), "blurhash",
			 str_or_null(m->blurhash));
}

/* The status's attachments, in order. */
static json_t *media_list(arena *a, const status *s)
{
	enum { MEDIA_MAX = 16 };
	media_attachment m[MEDIA_MAX];
	/* a status just written without attachments has none */
	size_t n = s->written && !s->nmedia
			   ? 0
			   : store_media_of_status(a, s->id, m, MEDIA_MAX);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, render_media(a, &m[i]));
	return list;
}

static json_t *entities_part(const char *entities, const char *key)
{
	json_t *e = json_loads(entities ? entities : "{}", 0, NULL);
	json_t *part = json_incref(json_object_get(e, key));
	json_decref(e);
	return json_is_array(part) ? part : json_array();
}

/* The audience bits as GoToSocial's policy values. */
static json_t *policy_values(unsigned bits)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{AUDIENCE_PUBLIC, "public"},
		{AUDIENCE_FOLLOWERS, "followers"},
		{AUDIENCE_FOLLOWING, "following"},
		{AUDIENCE_MENTIONED, "mentioned"},
		{AUDIENCE_AUTHOR, "author"},
	};
	json_t *list = json_array();
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (bits & names[i].bit)
			json_array_append_new(list, json_string(names[i].name));
	return list;
}

static json_t *policy_rules(unsigned bits)
{
	/* nothing waits for approval in chorus: what is not always
	 * allowed is refused */
	return json_pack("{s:o,s:o}", "always", policy_values(bits),
			 "with_approval", json_array());
}

json_t *render_interaction_policy(const interaction_policy *p,
				  const interaction_policy *favourite)
{
	return json_pack("{s:o,s:o,s:o}", "can_favourite",
			 policy_rules(favourite->can_reply), "can_reply",
			 policy_rules(p->can_reply), "can_reblog",
			 policy_rules(p->can_reblog));
}

/* The status's interaction policy; a favourite is open to whoever may
 * see it, its visibility's default. */
static json_t *status_policy(const status *s)
{
	interaction_policy p = visibility_policy_of(s);
	interaction_policy fav = visibility_policy_default(s->vis);
	return render_interaction_policy(&p, &fav);
}

/* The viewer-independent fields of a status as a JSON object, without the
 * author (cached apart, its counters move with every post), without
 * reblog and viewer flags, and without its own counters, which move with
 * every favourite, boost and reply (put_status_fields adds them from
 * the row just read, so those acts leave the cached fields alone). */
static json_t *status_fields(arena *a, const status *s)
{
	const account *author = status_author(a, s);
	const char *username = author ? author->username : "";
	const char *uri =
		arena_printf(a, "%s/users/%s/statuses/%lld", cfg.base_url,
			     username, (long long)s->id);
	const char *url = arena_printf(a, "%s/@%s/%lld", cfg.base_url, username,
				       (long long)s->id);
	/* another server's post is at its own addresses */
	const char *remote_uri, *remote_url;
	if (author && author->domain &&
	    store_status_remote(a, s->id, &remote_uri, &remote_url)) {
		uri = remote_uri;
		url = remote_url ? remote_url : remote_uri;
	}
	return json_pack(
		"{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:b,s:s,s:o,s:o,s:o,s:o,"
		"s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o}",
		"id", render_id(a, s->id), "uri", uri, "url", url, "created_at",
		render_time(s->created_at), "edited_at",
		s->edited_at ? render_time(s->edited_at) : json_null(),
		"content", s->content, "visibility", visibility_name(s->vis),
		"sensitive", status_sensitive(s), "spoiler_text",
		s->spoiler_text, "media_attachments", media_list(a, s),
		"mentions", entities_part(s->entities, "mentions"), "tags",
		entities_part(s->entities, "tags"), "emojis", json_array(),
		"in_reply_to_id", id_or_null(a, s->in_reply_to_id),
		"quotes_count", (json_int_t)0, "in_reply_to_account_id",
		id_or_null(a, s->in_reply_to_account_id), "poll", json_null(),
		"card", json_null(), "language", str_or_null(s->language),
		"text", json_null(), "interaction_policy", status_policy(s));
}

static int dump_to_buf(const char *data, size_t size, void *ctx)
{
	buf_append(ctx, data, size);
	return 0;
}

/* Append j (reference stolen) as compact JSON; returns where it began. */
static size_t put_json(buf *b, json_t *j)
{
	size_t start = b->len;
	json_dump_callback(j, dump_to_buf, b,
			   JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(j);
	return start;
}

/* The status's members ("id":…,…) without the braces: the cached ones,
 * then its counters as read. */
static void put_status_fields(arena *a, buf *b, const status *s)
{
	if (!cache_append(cache_statuses, s->id, b)) {
		buf tmp;
		buf_init(&tmp, a);
		put_json(&tmp, status_fields(a, s));
		cache_put(cache_statuses, s->id, tmp.data + 1, tmp.len - 2);
		buf_append(b, tmp.data + 1, tmp.len - 2);
	}
	buf_puts(b, ",\"replies_count\":");
	buf_put_int(b, s->replies_count);
	buf_puts(b, ",\"reblogs_count\":");
	buf_put_int(b, s->reblogs_count);
	buf_puts(b, ",\"favourites_count\":");
	buf_put_int(b, s->favourites_count);
}

/* The author of s as Account JSON, cached by account id. */
static void put_author(arena *a, buf *b, const status *s)
{
	if (cache_append(cache_accounts, s->account_id, b))
		return;
	const account *acc = status_author(a, s);
	if (!acc) { /* deleted while we read: nothing to show */
		buf_puts(b, "null");
		return;
	}
	size_t start = put_json(b, render_account(a, acc));
	cache_put(cache_accounts, acc->id, b->data + start, b->len - start);
}

static void put_flags(buf *b, const status_flags *f, bool own)
{
	buf_printf(b,
		   ",\"favourited\":%s,\"reblogged\":%s,\"muted\":%s,"
		   "\"bookmarked\":%s",
		   f->favourited ? "true" : "false",
		   f->reblogged ? "true" : "false", f->muted ? "true" : "false",
		   f->bookmarked ? "true" : "false");
	if (own)
		buf_printf(b, ",\"pinned\":%s", f->pinned ? "true" : "false");
}

/* Where the statuses rendered on this thread are being read. */
static _Thread_local read_context render_context = READ_THREAD;

void render_set_context(read_context ctx)
{
	render_context = ctx;
}

json_t *render_filter(arena *a, const store_filter *f, bool with_rules)
{
	json_t *contexts = json_array();
	for (int i = 0; i <= READ_PROFILE; i++)
		if (f->contexts & (1u << i))
			json_array_append_new(contexts,
					      json_string(filter_context_name(
						      (read_context)i)));
	json_t *j = json_pack(
		"{s:s,s:s,s:o,s:o,s:s}", "id", render_id(a, f->id), "title",
		f->title, "context", contexts, "expires_at",
		f->expires_at ? render_time(f->expires_at) : json_null(),
		"filter_action", filter_action_name(f->action));
	if (!with_rules)
		return j;
	json_t *kws = json_array(), *sts = json_array();
	for (size_t i = 0; i < f->nkeywords; i++)
		json_array_append_new(
			kws, render_filter_keyword(a, &f->keywords[i]));
	for (size_t i = 0; i < f->nstatuses; i++)
		json_array_append_new(sts,
				      render_filter_status(a, &f->statuses[i]));
	json_object_set_new(j, "keywords", kws);
	json_object_set_new(j, "statuses", sts);
	return j;
}

json_t *render_filter_keyword(arena *a, const store_filter_keyword *k)
{
	return json_pack("{s:s,s:s,s:b}", "id", render_id(a, k->id), "keyword",
			 k->keyword, "whole_word", k->whole_word);
}

json_t *render_filter_status(arena *a, const store_filter_status *fs)
{
	return json_pack("{s:s,s:s}", "id", render_id(a, fs->id), "status_id",
			 render_id(a, fs->status_id));
}

json_t *render_filter_v1(arena *a, const store_filter *f,
			 const store_filter_keyword *k)
{
	json_t *j = render_filter(a, f, false);
	json_t *v1 = json_pack("{s:s,s:s,s:O,s:b,s:O,s:b}", "id",
			       render_id(a, k->id), "phrase", k->keyword,
			       "context", json_object_get(j, "context"),
			       "whole_word", k->whole_word, "expires_at",
			       json_object_get(j, "expires_at"), "irreversible",
			       f->action == FILTER_HIDE);
	json_decref(j);
	return v1;
}

/* Status.filtered: the viewer's filters of this thread's context that s
 * matches (FilterResult entities). */
static void put_filtered(arena *a, buf *b, const status *s, int64_t viewer)
{
	filter_result *res;
	size_t n = visibility_filtered(a, viewer, s, render_context, &res);
	buf_puts(b, ",\"filtered\":");
	if (!n) {
		buf_puts(b, "[]");
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *kw = json_null(), *st = json_null();
		if (res[i].nkeyword_matches) {
			kw = json_array();
			for (size_t k = 0; k < res[i].nkeyword_matches; k++)
				json_array_append_new(
					kw,
					json_string(res[i].keyword_matches[k]));
		}
		if (res[i].nstatus_matches) {
			st = json_array();
			for (size_t k = 0; k < res[i].nstatus_matches; k++)
				json_array_append_new(
					st,
					json_string(render_id(
						a, res[i].status_matches[k])));
		}
		json_array_append_new(
			arr,
			json_pack("{s:o,s:o,s:o}", "filter",
				  render_filter(a, res[i].filter, false),
				  "keyword_matches", kw, "status_matches", st));
	}
	put_json(b, arr);
}

/* One status: cached fields + cached author + reblog + the viewer's
 * flags (flags for s, rflags for its reblog target; NULL: none, as
 * without a viewer) and filters. */
static void put_status(arena *a, buf *b, const status *s,
		       const status_flags *flags, const status_flags *rflags,
		       int64_t viewer)
{
	buf_putc(b, '{');
	put_status_fields(a, b, s);
	put_filtered(a, b, s, viewer);
	buf_puts(b, ",\"account\":");
	put_author(a, b, s);
	if (s->reblog) {
		buf_puts(b, ",\"reblog\":");
		put_status(a, b, s->reblog, rflags, NULL, viewer);
		/* the wrapper mirrors the target's flags, as Mastodon does */
		if (viewer && rflags)
			put_flags(b, rflags, false);
	} else {
		buf_puts(b, ",\"reblog\":null");
		if (viewer && flags)
			put_flags(b, flags, s->account_id == viewer);
	}
	buf_putc(b, '}');
}

void render_statuses_into(arena *a, buf *b, status *const *items, size_t n,
			  int64_t viewer)
{
	int64_t *ids = arena_alloc(a, (2 * n + 1) * sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		ids[2 * i] = items[i]->id;
		ids[2 * i + 1] = items[i]->reblog ? items[i]->reblog->id : 0;
	}
	status_flags *flags = arena_alloc(a, (2 * n + 1) * sizeof *flags);
	store_status_flags(viewer, ids, 2 * n, flags);
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		put_status(a, b, items[i], &flags[2 * i], &flags[2 * i + 1],
			   viewer);
	}
	buf_putc(b, ']');
}

void render_status_into(arena *a, buf *b, const status *s, int64_t viewer)
{
	int64_t ids[2] = {s->id, s->reblog ? s->reblog->id : 0};
	status_flags flags[2] = {{0}};
	/* none set on a status just written by its viewer, unless it joins
	 * a thread the viewer muted */
	if (!(s->written && viewer == s->account_id && !s->in_reply_to_id &&
	      !s->reblog))
		store_status_flags(viewer, ids, 2, flags);
	put_status(a, b, s, &flags[0], &flags[1], viewer);
}

void render_status_filtered_into(arena *a, buf *b, const status *s,
				 int64_t viewer, read_context ctx)
{
	read_context was = render_context;
	render_context = ctx;
	put_status(a, b, s, NULL, NULL, viewer);
	render_context = was;
}

json_t *render_statuses(arena *a, status *const *items, size_t n,
			int64_t viewer)
{
	buf b;
	buf_init(&b, a);
	render_statuses_into(a, &b, items, n, viewer);
	json_t *j = json_loadb(b.data, b.len, 0, NULL);
	return j ? j : json_array();
}

json_t *render_status(arena *a, const status *s, int64_t viewer)
{
	status *one = (status *)s;
	json_t *arr = render_statuses(a, &one, 1, viewer);
	json_t *j = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return j;
}

json_t *render_relationship(arena *a, int64_t viewer, int64_t target)
{
	store_relationship r;
	store_relationship_get(viewer, target, &r);
	return json_pack("{s:s,s:b,s:b,s:b,s:o,s:b,s:b,s:b,s:b,s:b,s:b,s:b,"
			 "s:b,s:b,s:s}",
			 "id", render_id(a, target), "following", r.following,
			 "showing_reblogs", r.following ? r.showing_reblogs : 0,
			 "notifying", r.notifying, "languages", json_null(),
			 "followed_by", r.followed_by, "blocking", r.blocking,
			 "blocked_by", r.blocked_by, "muting", r.muting,
			 "muting_notifications", r.muting_notifications,
			 "requested", r.requested, "requested_by",
			 r.requested_by, "domain_blocking", r.domain_blocking,
			 "endorsed", 0, "note", "");
}

bool render_account_into(arena *a, buf *b, int64_t id)
{
	if (cache_append(cache_accounts, id, b))
		return true;
	account acc;
	if (!store_account_get(a, id, &acc))
		return false;
	size_t start = put_json(b, render_account(a, &acc));
	cache_put(cache_accounts, id, b->data + start, b->len - start);
	return true;
}

/* What a notification shows viewer, read before it is written: its
 * status (NULL: none), or false when it is not shown at all (the sender
 * is hidden from viewer, the status gone or hidden). */
static bool notification_load(arena *a, const notification *n, int64_t viewer,
			      status **out)
{
	*out = NULL;
	if (!visibility_account_listed(a, viewer, n->from_account_id,
				       READ_NOTIFICATIONS))
		return false;
	if (!n->status_id)
		return true;
	status *s = arena_alloc(a, sizeof *s);
	/* a list's rule: a hide filter drops the notification */
	if (!status_load_listed(a, viewer, n->status_id, READ_NOTIFICATIONS, s))
		return false;
	*out = s;
	return true;
}

/* Append s as a JSON string. */
static void put_string(buf *b, const char *s)
{
	json_t *j = json_string(s);
	json_dump_callback(j, dump_to_buf, b, JSON_ENCODE_ANY);
	json_decref(j);
}

/* One Notification; false (b as it was) when its sender is gone. */
static bool put_notification(arena *a, buf *b, const notification *n,
			     const status *s, const status_flags *flags,
			     int64_t viewer)
{
	size_t start = b->len;
	char when[TIME_RFC3339_LEN];
	time_format_rfc3339(n->created_at, when);
	buf_printf(b, "{\"id\":\"%lld\",\"type\":", (long long)n->id);
	put_string(b, n->type);
	buf_puts(b, ",\"group_key\":");
	put_string(b, n->group_key && *n->group_key
			      ? n->group_key
			      : arena_printf(a, "ungrouped-%lld",
					     (long long)n->id));
	buf_printf(b, ",\"created_at\":\"%s\",\"account\":", when);
	if (!render_account_into(a, b, n->from_account_id)) {
		b->len = start;
		b->data[start] = '\0';
		return false;
	}
	if (s) {
		buf_puts(b, ",\"status\":");
		put_status(a, b, s, &flags[0], &flags[1], viewer);
	}
	buf_putc(b, '}');
	return true;
}

size_t render_notifications_into(arena *a, buf *b, const notification *items,
				 size_t n, int64_t viewer)
{
	status **st = arena_alloc(a, (n + 1) * sizeof *st);
	bool *shown = arena_alloc(a, n + 1);
	/* the viewer's flags of every status on the page: one query */
	int64_t *ids = arena_alloc(a, (2 * n + 1) * sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		shown[i] = notification_load(a, &items[i], viewer, &st[i]);
		ids[2 * i] = st[i] ? st[i]->id : 0;
		ids[2 * i + 1] = st[i] && st[i]->reblog ? st[i]->reblog->id : 0;
	}
	status_flags *flags = arena_alloc(a, (2 * n + 1) * sizeof *flags);
	store_status_flags(viewer, ids, 2 * n, flags);
	size_t written = 0;
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (!shown[i])
			continue;
		size_t before = b->len;
		if (written)
			buf_putc(b, ',');
		if (put_notification(a, b, &items[i], st[i], &flags[2 * i],
				     viewer))
			written++;
		else
			b->data[b->len = before] = '\0';
	}
	buf_putc(b, ']');
	return written;
}

bool render_notification_into(arena *a, buf *b, const notification *n,
			      int64_t viewer)
{
	status *s;
	if (!notification_load(a, n, viewer, &s))
		return false;
	int64_t ids[2] = {s ? s->id : 0, s && s->reblog ? s->reblog->id : 0};
	status_flags flags[2];
	store_status_flags(viewer, ids, 2, flags);
	return put_notification(a, b, n, s, flags, viewer);
}

json_t *render_app(arena *a, const app *ap, bool with_secret)
{
	json_t *uris = json_array();
	const char *p = ap->redirect_uris;
	while (*p) {
		size_t n = strcspn(p, "\n ");
		if (n)
			json_array_append_new(uris, json_stringn(p, n));
		p += n;
		while (*p == '\n' || *p == ' ')
			p++;
	}
	json_t *scopes = json_array();
	p = ap->scopes;
	while (*p) {
		size_t n = strcspn(p, " ");
		if (n)
			json_array_append_new(scopes, json_stringn(p, n));
		p += n;
		while (*p == ' ')
			p++;
	}
	json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:s,s:o,s:n}", "id",
			      render_id(a, ap->id), "name", ap->name, "website",
			      str_or_null(ap->website), "redirect_uris", uris,
			      "redirect_uri", ap->redirect_uris, "scopes",
			      scopes, "vapid_key");
	if (with_secret) {
		json_object_set_new(j, "client_id", json_string(ap->client_id));
		json_object_set_new(j, "client_secret",
				    json_string(ap->client_secret));
		json_object_set_new(j, "client_secret_expires_at",
				    json_integer(0));
	}
	return j;
}

json_t *render_conversation(arena *a, const conversation_view *v,
			    int64_t viewer)
{
	json_t *accounts = json_array();
	for (size_t i = 0; i < v->naccounts; i++)
		json_array_append_new(accounts,
				      render_account(a, &v->accounts[i]));
	/* its last status is read where the conversation is listed */
	read_context was = render_context;
	render_context = READ_NOTIFICATIONS;
	json_t *last = render_status(a, v->last_status, viewer);
	render_context = was;
	return json_pack("{s:s,s:b,s:o,s:o}", "id", render_id(a, v->row.id),
			 "unread", v->row.unread, "accounts", accounts,
			 "last_status", last);
}
