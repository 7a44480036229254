/* conversations.c — private conversations (/api/v1/conversations): the
 * viewer's threads of direct statuses, newest last status first. What a
 * conversation shows is domain's (domain/conversations.c). */
#include "api/api.h"

enum { CONVERSATIONS_DEFAULT = 20, CONVERSATIONS_MAX = 40 };

void conversations_index(http_req *r)
{
	page p;
	api_page(r, &p, CONVERSATIONS_DEFAULT, CONVERSATIONS_MAX);
	int64_t viewer = api_viewer(r);
	conversation_view *items =
		arena_alloc(&r->arena, (size_t)p.limit * sizeof *items);
	int64_t next_max_id, prev_min_id;
	size_t n = conversations_page(&r->arena, viewer, &p, items,
				      &next_max_id, &prev_min_id);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr, render_conversation(&r->arena, &items[i], viewer));
	api_link(r, next_max_id, prev_min_id);
	http_reply_json(r, 200, arr);
}

/* The viewer's conversation of the path's id as the list shows it, into
 * *out; false after replying 404 when there is none or it is hidden. */
static bool load_own(http_req *r, conversation_view *out)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return false;
	store_conversation row;
	if (!store_conversation_get(&r->arena, api_viewer(r), id, &row) ||
	    !conversation_view_load(&r->arena, api_viewer(r), &row, out)) {
		http_reply_error(r, 404, "Record not found");
		return false;
	}
	return true;
}

void conversations_read(http_req *r)
{
	conversation_view v;
	if (!load_own(r, &v))
		return;
	int rc = store_conversation_read(api_viewer(r), v.row.id);
	if (rc < 0) {
		http_reply_error(r, 500, "Internal server error");
		return;
	}
	if (rc == 1) { /* removed meanwhile */
		http_reply_error(r, 404, "Record not found");
		return;
	}
	v.row.unread = false;
	http_reply_json(r, 200,
			render_conversation(&r->arena, &v, api_viewer(r)));
}

void conversations_delete(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	/* one's own conversation goes even when the list hides it: only
	 * the row goes, never a status */
	int rc = store_conversation_remove(api_viewer(r), id);
	if (rc < 0)
		http_reply_error(r, 500, "Internal server error");
	else if (rc == 1)
		http_reply_error(r, 404, "Record not found");
	else
		http_reply_json(r, 200, json_object());
}
