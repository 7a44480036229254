/* notifications.c — /api/v1/notifications (ungrouped, v1). */
#include "api/api.h"

#include "store/store.h"

enum { NOTIFICATIONS_DEFAULT = 40, NOTIFICATIONS_MAX = 80 };

static const char *const *type_list(http_req *r, const char *key)
{
	size_t n;
	const char **list = http_param_list(r, key, &n);
	return n ? list : NULL; /* http_param_list NULL-terminates */
}

void notifications_index(http_req *r)
{
	page p;
	api_page(r, &p, NOTIFICATIONS_DEFAULT, NOTIFICATIONS_MAX);
	int64_t viewer = api_viewer(r);
	notification *items =
		arena_alloc(&r->arena, (size_t)p.limit * sizeof *items);
	size_t n = store_notifications_page(
		&r->arena, viewer, &p, type_list(r, "types"),
		type_list(r, "exclude_types"), items);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *j = render_notification(&r->arena, &items[i], viewer);
		if (j)
			json_array_append_new(arr, j);
	}
	if (n)
		api_link(r, items[n - 1].id, items[0].id);
	http_reply_json(r, 200, arr);
}

void notifications_show(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	notification n;
	json_t *j = NULL;
	if (store_notification_get(api_viewer(r), id, &n, &r->arena))
		j = render_notification(&r->arena, &n, api_viewer(r));
	if (!j) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	http_reply_json(r, 200, j);
}

void notifications_dismiss(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	int rc = store_notification_dismiss(api_viewer(r), id);
	if (rc < 0)
		http_reply_error(r, 500, "Internal server error");
	else if (rc > 0)
		http_reply_error(r, 404, "Record not found");
	else
		http_reply_json(r, 200, json_object());
}

void notifications_clear(http_req *r)
{
	if (store_notifications_clear(api_viewer(r)) < 0)
		http_reply_error(r, 500, "Internal server error");
	else
		http_reply_json(r, 200, json_object());
}
