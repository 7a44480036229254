/* tags.c — a hashtag, following it, and the tags one follows. */
#include "api/api.h"

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
