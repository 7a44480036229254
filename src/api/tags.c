/* tags.c — a hashtag, following it, and the tags one follows. */
#include "api/api.h"

#include "core/config.h"
#include "core/id.h"
#include "text/text.h"

#include <string.h>

typedef struct tag_ref {
	int64_t id; /* 0 while nobody used or followed it */
	const char *name, *key;
} tag_ref;

/* The tag named by path parameter 0; replies 404 when the name cannot be
 * a hashtag. A valid name nobody used yet is a tag without id, as in
 * Mastodon, so a client can show and follow it. */
static bool path_tag(http_req *r, tag_ref *t)
{
	const char *name = http_path_param(r, 0);
	t->key = text_tag_key(&r->arena, name, strlen(name));
	if (!t->key) {
		http_reply_error(r, 404, "Record not found");
		return false;
	}
	t->id = 0;
	t->name = name;
	store_tag_by_key(&r->arena, t->key, &t->id, &t->name);
	return true;
}

void tags_show(http_req *r)
{
	tag_ref t;
	if (!path_tag(r, &t))
		return;
	int64_t viewer = api_viewer(r);
	int following =
		viewer ? (t.id && store_tag_followed(viewer, t.id)) : -1;
	http_reply_json(r, 200, render_tag(&r->arena, t.id, t.name, following));
}

static void set_follow(http_req *r, bool on)
{
	tag_ref t;
	if (!path_tag(r, &t))
		return;
	int64_t viewer = api_viewer(r);
	if (on && !t.id)
		t.id = store_tag_ensure(t.name, t.key);
	int rc = !t.id ? (on ? -1 : 0)
		 : on  ? store_tag_follow(id_next(), viewer, t.id)
		       : store_tag_unfollow(viewer, t.id);
	if (rc < 0) {
		http_reply_error(r, 500, "Internal server error");
		return;
	}
	http_reply_json(r, 200, render_tag(&r->arena, t.id, t.name, on));
}

void tags_follow(http_req *r)
{
	set_follow(r, true);
}

void tags_unfollow(http_req *r)
{
	set_follow(r, false);
}

void tags_followed(http_req *r)
{
	enum { TAGS_PAGE_DEFAULT = 100, TAGS_PAGE_MAX = 200 };
	page p;
	api_page(r, &p, TAGS_PAGE_DEFAULT, TAGS_PAGE_MAX);
	int64_t *ids = arena_alloc(&r->arena, (size_t)p.limit * sizeof *ids);
	int64_t *keys = arena_alloc(&r->arena, (size_t)p.limit * sizeof *keys);
	size_t n = store_list_page(STORE_LIST_FOLLOWED_TAGS, api_viewer(r), &p,
				   ids, keys);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *name = store_tag_name(&r->arena, ids[i]);
		if (name)
			json_array_append_new(
				arr, render_tag(&r->arena, ids[i], name, 1));
	}
	if (n)
		api_link(r, keys[n - 1], keys[0]);
	http_reply_json(r, 200, arr);
}

/* ---- featured tags ---- */

static void reply_featured(http_req *r, int64_t account_id,
			   const char *username)
{
	store_featured_tag *f;
	size_t n = store_featured_tags(&r->arena, account_id, &f);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr, render_featured_tag(&r->arena, &f[i], username));
	http_reply_json(r, 200, arr);
}

void featured_tags_index(http_req *r)
{
	const principal *p = api_principal(r);
	reply_featured(r, p->account_id, p->account->username);
}

void accounts_featured_tags(http_req *r)
{
	int64_t id;
	account acc;
	if (!api_path_id(r, 0, &id))
		return;
	if (!store_account_get(&r->arena, id, &acc)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	reply_featured(r, acc.id, acc.username);
}

void featured_tags_create(http_req *r)
{
	const principal *p = api_principal(r);
	const char *name = http_param_get(r, "name");
	if (name && *name == '#')
		name++;
	char *key = name ? text_tag_key(&r->arena, name, strlen(name)) : NULL;
	if (!key) {
		http_reply_error(r, 422, "Validation failed: Tag is invalid");
		return;
	}
	/* the limit is counted inside the insert's transaction (and
	 * enforced by the database): a count here could be raced past */
	int64_t tag = store_tag_ensure(name, key);
	int64_t id = id_next();
	int rc = tag ? store_featured_tag_add(id, p->account_id, tag,
					      cfg.max_featured_tags)
		     : -1;
	if (rc == STORE_LIMIT) {
		http_reply_error(r, 422,
				 arena_printf(&r->arena,
					      "Validation failed: You can only "
					      "feature up to %d hashtags",
					      cfg.max_featured_tags));
		return;
	}
	if (rc == 1) {
		http_reply_error(r, 422,
				 "Validation failed: Tag has already been "
				 "taken");
		return;
	}
	if (rc < 0) {
		http_reply_error(r, 500, "Internal server error");
		return;
	}
	store_featured_tag *f;
	size_t n = store_featured_tags(&r->arena, p->account_id, &f);
	for (size_t i = 0; i < n; i++)
		if (f[i].id == id) {
			http_reply_json(
				r, 200,
				render_featured_tag(&r->arena, &f[i],
						    p->account->username));
			return;
		}
	http_reply_error(r, 500, "Internal server error");
}

void featured_tags_delete(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	if (!store_featured_tag_remove(api_viewer(r), id)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	http_reply_json(r, 200, json_object());
}

void featured_tags_suggestions(http_req *r)
{
	enum { SUGGESTIONS = 10, RECENT_POSTS = 1000 };
	int64_t ids[SUGGESTIONS];
	size_t n = store_tag_suggestions(api_viewer(r), RECENT_POSTS, ids,
					 SUGGESTIONS);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *name = store_tag_name(&r->arena, ids[i]);
		if (name)
			json_array_append_new(
				arr,
				render_tag(&r->arena, ids[i], name,
					   store_tag_followed(api_viewer(r),
							      ids[i])));
	}
	http_reply_json(r, 200, arr);
}
