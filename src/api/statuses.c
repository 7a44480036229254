/* statuses.c — /api/v1/statuses and the lists built from them. */
#include "api/api.h"

#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

enum {
	LIST_PAGE_DEFAULT = 20,
	LIST_PAGE_MAX = 40,
	DESCENDANTS_DEFAULT = 40,
	DESCENDANTS_MAX = 200,
};

/* The first text field sent as anything but one string (a list, a JSON
 * number), named as Mastodon's validation messages name it; NULL if none. */
static const char *field_not_text(http_req *r)
{
	static const char *const fields[][2] = {
		{"status", "Text"},
		{"spoiler_text", "Spoiler text"},
		{"language", "Language"},
		{"visibility", "Visibility"},
	};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		const http_param *p = http_param_find(r, fields[i][0]);
		if (p && (p->is_list || p->not_string))
			return fields[i][1];
	}
	return NULL;
}

/* What the request asks for that chorus does not do yet, so it is refused
 * rather than half done: a post in the future, a poll. NULL when none. */
static const char *unsupported_post_feature(http_req *r)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (!strncmp(r->params[i].key, "poll[", 5) ||
		    !strcmp(r->params[i].key, "poll"))
			return "Validation failed: Polls are not supported on "
			       "this server yet";
	const char *at = http_param_get(r, "scheduled_at");
	int64_t when;
	if (!at || !*at)
		return NULL;
	if (!time_parse_iso8601(at, &when))
		return "Validation failed: Scheduled at is not a valid date";
	/* a time already past is a post now, as Mastodon takes it */
	if (when > time_now_ms())
		return "Validation failed: Scheduled posts are not supported "
		       "on this server yet";
	return NULL;
}

/* Read the fields shared by create and edit; replies 422 itself. */
static bool read_post_fields(http_req *r, post_request *pr, bool creating)
{
	memset(pr, 0, sizeof *pr);
	const http_param *text = http_param_find(r, "status");
	const http_param *cw = http_param_find(r, "spoiler_text");
	const char *wrong = field_not_text(r);
	if (wrong) {
		http_reply_error(r, 422,
				 arena_printf(&r->arena,
					      "Validation failed: %s must be a "
					      "string",
					      wrong));
		return false;
	}
	const char *unsupported = unsupported_post_feature(r);
	if (unsupported) {
		http_reply_error(r, 422, unsupported);
		return false;
	}
	pr->text = text ? text->value : "";
	pr->spoiler_text = cw ? cw->value : NULL;
	pr->has_media_ids = http_param_has(r, "media_ids");
	pr->media_ids = http_param_list(r, "media_ids", &pr->nmedia_ids);
	/* blank items ("media_ids[]=", JSON []) say "no media", as in Rails */
	size_t kept = 0;
	for (size_t i = 0; i < pr->nmedia_ids; i++)
		if (*pr->media_ids[i])
			pr->media_ids[kept++] = pr->media_ids[i];
	pr->nmedia_ids = kept;
	pr->sensitive = http_param_bool(r, "sensitive", false);
	/* an unknown language is dropped, not stored: Mastodon does the
	 * same, and it keeps markup out of the field */
	pr->language = http_param_get(r, "language");
	if (pr->language && !api_language_valid(pr->language))
		pr->language = NULL;
	const principal *p = api_principal(r);
	const char *vis = http_param_get(r, "visibility");
	pr->vis = VIS_PUBLIC;
	if (p->account && p->account->privacy)
		visibility_parse(p->account->privacy, &pr->vis);
	if (creating && vis && *vis && !visibility_parse(vis, &pr->vis)) {
		http_reply_error(r, 422,
				 "Validation failed: Visibility is not "
				 "included in the list");
		return false;
	}
	if (creating) {
		const char *reply = http_param_get(r, "in_reply_to_id");
		if (reply && *reply && !id_parse(reply, &pr->in_reply_to_id)) {
			http_reply_error(r, 404, "Record not found");
			return false;
		}
		pr->idempotency_key = http_header_get(r, "Idempotency-Key");
		/* GoToSocial's interaction_policy object, or the simpler
		 * reply_policy; the object's rules win where both say */
		interaction_policy ip;
		bool given;
		if (!api_read_reply_policy(r, &pr->policy) ||
		    !api_read_interaction_policy(r, "interaction_policy", &ip,
						 &given))
			return false;
		if (ip.can_reply)
			pr->policy.can_reply = ip.can_reply;
		if (ip.can_reblog)
			pr->policy.can_reblog = ip.can_reblog;
	}
	return true;
}

void statuses_create(http_req *r)
{
	post_request pr;
	if (!read_post_fields(r, &pr, true))
		return;
	status s;
	const char *msg = NULL;
	dom_err err = status_post(&r->arena, api_principal(r), &pr, &s, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	if (!s.written) { /* an idempotent retry: the status that key made */
		api_reply_status(r, s.id);
		return;
	}
	/* rendered from what was written, not read back: its author can
	 * see it, and render.c reads only what the write did not say */
	buf b;
	buf_init(&b, &r->arena);
	render_status_into(&r->arena, &b, &s, s.account_id);
	http_reply_raw(r, 200, "application/json; charset=utf-8", b.data,
		       b.len);
}

void statuses_show(http_req *r)
{
	int64_t id;
	if (api_path_id(r, 0, &id))
		api_reply_status(r, id);
}

void statuses_delete(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	status s;
	const principal *p = api_principal(r);
	/* render before deleting: the response carries the source text for
	 * delete-and-redraft */
	if (!status_load_visible(&r->arena, p->account_id, id, &s)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	json_t *j = render_status(&r->arena, &s, p->account_id);
	status gone;
	dom_err err = status_delete(&r->arena, p, id, &gone);
	if (err) {
		json_decref(j);
		api_reply_dom(r, err, NULL);
		return;
	}
	json_object_set_new(j, "text", json_string(s.text));
	json_object_set_new(j, "reblogs_count", json_integer(0));
	json_object_set_new(j, "favourites_count", json_integer(0));
	http_reply_json(r, 200, j);
}

void statuses_update(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	post_request pr;
	if (!read_post_fields(r, &pr, false))
		return;
	const char *msg = NULL;
	dom_err err = status_edit(&r->arena, api_principal(r), id, &pr, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	api_reply_status(r, id);
}

void statuses_history(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	status s;
	if (!status_load_visible(&r->arena, api_viewer(r), id, &s) ||
	    s.reblog_of_id || !status_author(&r->arena, &s)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	/* the author is in every version: rendered once, and counted in the
	 * history's budget as often as it is written */
	json_t *author =
		render_account(&r->arena, status_author(&r->arena, &s));
	char *author_json = json_dumps(author, JSON_COMPACT);
	size_t author_len = author_json ? strlen(author_json) : 0;
	free(author_json);
	status *edits;
	size_t n = visibility_history(&r->arena, api_viewer(r), &s, author_len,
				      (size_t)cfg.list_max_bytes, &edits);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr,
			json_pack("{s:s,s:s,s:b,s:o,s:O,s:o,s:o}", "content",
				  edits[i].content, "spoiler_text",
				  edits[i].spoiler_text, "sensitive",
				  edits[i].sensitive, "created_at",
				  render_time(edits[i].created_at), "account",
				  author, "media_attachments", json_array(),
				  "emojis", json_array()));
	json_decref(author);
	http_reply_json(r, 200, arr);
}

void statuses_source(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	status s;
	const principal *p = api_principal(r);
	if (!status_load_visible(&r->arena, p->account_id, id, &s) ||
	    s.account_id != p->account_id) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	http_reply_json(r, 200,
			json_pack("{s:s,s:s,s:s}", "id",
				  render_id(&r->arena, id), "text", s.text,
				  "spoiler_text", s.spoiler_text));
}

/* Load the status of path parameter 0 for the viewer, or reply 404. */
static bool path_status(http_req *r, status *s)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return false;
	if (!status_load_visible(&r->arena, api_viewer(r), id, s)) {
		http_reply_error(r, 404, "Record not found");
		return false;
	}
	return true;
}

void statuses_context(http_req *r)
{
	status s;
	if (!path_status(r, &s))
		return;
	int64_t viewer = api_viewer(r);
	size_t up = (size_t)(viewer ? cfg.context_max
				    : cfg.context_anonymous_ancestors);
	size_t down = (size_t)(viewer ? cfg.context_max
				      : cfg.context_anonymous_descendants);
	context c;
	timeline_context(&r->arena, viewer, &s, up, down, &c);
	if (c.truncated)
		/* tell clients that know the extension where the rest is */
		http_set_header(
			r, "Link",
			arena_printf(
				&r->arena,
				"<%s/api/v1/statuses/%lld/context/"
				"descendants?after=%lld>; rel=\"next\"",
				cfg.base_url, (long long)s.id,
				(long long)c.descendants[c.ndescendants - 1]
					->id));
	buf b;
	buf_init(&b, &r->arena);
	buf_puts(&b, "{\"ancestors\":");
	render_statuses_into(&r->arena, &b, c.ancestors, c.nancestors, viewer);
	buf_puts(&b, ",\"descendants\":");
	render_statuses_into(&r->arena, &b, c.descendants, c.ndescendants,
			     viewer);
	buf_putc(&b, '}');
	http_reply_raw(r, 200, "application/json; charset=utf-8", b.data,
		       b.len);
}

/* chorus extension: a movement-sized thread read whole, page by page, in
 * the same depth-first order /context uses. */
void statuses_descendants(http_req *r)
{
	status s;
	if (!path_status(r, &s))
		return;
	int64_t after = 0;
	const char *a = http_param_get(r, "after");
	if (a && !id_parse(a, &after)) {
		http_reply_error(r, 400, "Invalid parameter: after");
		return;
	}
	const char *l = http_param_get(r, "limit");
	long limit = l ? strtol(l, NULL, 10) : DESCENDANTS_DEFAULT;
	if (limit < 1)
		limit = 1;
	if (limit > DESCENDANTS_MAX)
		limit = DESCENDANTS_MAX;
	int64_t viewer = api_viewer(r);
	status_page page;
	bool more;
	timeline_descendants(&r->arena, viewer, &s, after, (size_t)limit, &page,
			     &more);
	if (more && page.count) {
		static const char *const drop[] = {"after", NULL};
		http_set_header(
			r, "Link",
			arena_printf(
				&r->arena, "<%s>; rel=\"next\"",
				http_url_with(r, cfg.base_url, drop, "after",
					      render_id(&r->arena,
							page.next_max_id))));
	}
	api_reply_statuses(r, page.items, page.count);
}

typedef dom_err (*status_action)(arena *a, const principal *p, int64_t id,
				 bool on);

static void toggle(http_req *r, status_action act, bool on)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	dom_err err = act(&r->arena, api_principal(r), id, on);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	api_reply_status(r, id);
}

void statuses_favourite(http_req *r)
{
	toggle(r, status_favourite, true);
}

void statuses_unfavourite(http_req *r)
{
	toggle(r, status_favourite, false);
}

void statuses_bookmark(http_req *r)
{
	toggle(r, status_bookmark, true);
}

void statuses_unbookmark(http_req *r)
{
	toggle(r, status_bookmark, false);
}

void statuses_mute(http_req *r)
{
	toggle(r, status_mute_thread, true);
}

void statuses_unmute(http_req *r)
{
	toggle(r, status_mute_thread, false);
}

static void pin(http_req *r, bool on)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	const char *msg = NULL;
	dom_err err = status_pin(&r->arena, api_principal(r), id, on, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	api_reply_status(r, id);
}

void statuses_pin(http_req *r)
{
	pin(r, true);
}

void statuses_unpin(http_req *r)
{
	pin(r, false);
}

void statuses_reblog(http_req *r)
{
	int64_t id, reblog_id;
	if (!api_path_id(r, 0, &id))
		return;
	visibility vis = VIS_PUBLIC;
	const char *v = http_param_get(r, "visibility");
	if (v && *v && (!visibility_parse(v, &vis) || vis == VIS_DIRECT)) {
		http_reply_error(r, 422,
				 "Validation failed: Visibility is not "
				 "included in the list");
		return;
	}
	const char *msg = NULL;
	dom_err err = status_reblog(&r->arena, api_principal(r), id, vis,
				    &reblog_id, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	api_reply_status(r, reblog_id);
}

void statuses_unreblog(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	dom_err err = status_unreblog(&r->arena, api_principal(r), id);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	api_reply_status(r, id);
}

static void status_accounts(http_req *r, store_list kind)
{
	status s;
	if (!path_status(r, &s))
		return;
	api_reply_account_list(r, kind, s.id);
}

void statuses_favourited_by(http_req *r)
{
	status_accounts(r, STORE_LIST_FAVOURITED_BY);
}

void statuses_reblogged_by(http_req *r)
{
	status_accounts(r, STORE_LIST_REBLOGGED_BY);
}

static void own_list(http_req *r, store_list kind)
{
	page p;
	api_page(r, &p, LIST_PAGE_DEFAULT, LIST_PAGE_MAX);
	int64_t *ids = arena_alloc(&r->arena, (size_t)p.limit * sizeof *ids);
	int64_t *keys = arena_alloc(&r->arena, (size_t)p.limit * sizeof *keys);
	size_t n = store_list_page(kind, api_viewer(r), &p, ids, keys);
	status_page out;
	/* one's own library: blocks hide, mutes do not */
	timeline_from_ids(&r->arena, api_viewer(r), ids, n, READ_PROFILE, &out);
	if (n)
		api_link(r, keys[n - 1], keys[0]);
	api_reply_statuses(r, out.items, out.count);
}

void bookmarks_index(http_req *r)
{
	own_list(r, STORE_LIST_BOOKMARKS);
}

void favourites_index(http_req *r)
{
	own_list(r, STORE_LIST_FAVOURITES);
}
