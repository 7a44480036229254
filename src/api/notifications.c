/* notifications.c — /api/v1/notifications (one by one) and
 * /api/v2/notifications (grouped). */
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
	render_set_context(READ_NOTIFICATIONS);
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
	render_set_context(READ_NOTIFICATIONS);
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

/* ---- grouped notifications (/api/v2/notifications, Mastodon 4.3) ---- */

enum {
	GROUP_SAMPLES = 8, /* sample_account_ids, as Mastodon */
	UNREAD_DEFAULT = 100,
	UNREAD_MAX = 1000,
};

/* What a grouped answer gathers: each account and status once. */
typedef struct grouped {
	json_t *groups, *accounts, *statuses;
	json_t *seen_accounts, *seen_statuses; /* id → true */
} grouped;

static void grouped_init(grouped *g)
{
	g->groups = json_array();
	g->accounts = json_array();
	g->statuses = json_array();
	g->seen_accounts = json_object();
	g->seen_statuses = json_object();
}

static json_t *grouped_finish(grouped *g)
{
	json_decref(g->seen_accounts);
	json_decref(g->seen_statuses);
	return json_pack("{s:o,s:o,s:o}", "accounts", g->accounts, "statuses",
			 g->statuses, "notification_groups", g->groups);
}

/* Add one group as viewer may see it; false when nothing of it may be
 * shown (its post is hidden or gone, every sender is blocked or
 * muted). */
static bool grouped_add(arena *a, grouped *g, const notification_group *ng,
			int64_t viewer)
{
	status s;
	if (ng->status_id && !status_load_listed(a, viewer, ng->status_id,
						 READ_NOTIFICATIONS, &s))
		return false;
	int64_t senders[GROUP_SAMPLES * 2];
	size_t n = store_notification_group_senders(viewer, ng->key, 0, senders,
						    NULL, GROUP_SAMPLES * 2);
	json_t *sample = json_array();
	for (size_t i = 0; i < n && json_array_size(sample) < GROUP_SAMPLES;
	     i++) {
		account acc;
		const char *id = render_id(a, senders[i]);
		if (!visibility_account_listed(a, viewer, senders[i],
					       READ_NOTIFICATIONS) ||
		    !store_account_get(a, senders[i], &acc))
			continue;
		json_array_append_new(sample, json_string(id));
		if (!json_object_get(g->seen_accounts, id)) {
			json_object_set_new(g->seen_accounts, id, json_true());
			json_array_append_new(g->accounts,
					      render_account(a, &acc));
		}
	}
	if (!json_array_size(sample)) {
		json_decref(sample);
		return false;
	}
	const char *latest = render_id(a, ng->latest_id);
	json_t *j = json_pack(
		"{s:s,s:I,s:s,s:s,s:s,s:s,s:o,s:o}", "group_key", ng->key,
		"notifications_count", (json_int_t)ng->count, "type", ng->type,
		"most_recent_notification_id", latest, "page_max_id", latest,
		"page_min_id", render_id(a, ng->oldest_id),
		"latest_page_notification_at", render_time(ng->latest_at),
		"sample_account_ids", sample);
	if (ng->status_id) {
		const char *sid = render_id(a, ng->status_id);
		json_object_set_new(j, "status_id", json_string(sid));
		if (!json_object_get(g->seen_statuses, sid)) {
			json_object_set_new(g->seen_statuses, sid, json_true());
			json_array_append_new(g->statuses,
					      render_status(a, &s, viewer));
		}
	}
	json_array_append_new(g->groups, j);
	return true;
}

void notifications_v2_index(http_req *r)
{
	render_set_context(READ_NOTIFICATIONS);
	page p;
	api_page(r, &p, NOTIFICATIONS_DEFAULT, NOTIFICATIONS_MAX);
	int64_t viewer = api_viewer(r);
	notification_group *items =
		arena_alloc(&r->arena, (size_t)p.limit * sizeof *items);
	size_t n = store_notification_groups_page(
		&r->arena, viewer, &p, type_list(r, "types"),
		type_list(r, "exclude_types"), items);
	grouped g;
	grouped_init(&g);
	for (size_t i = 0; i < n; i++)
		grouped_add(&r->arena, &g, &items[i], viewer);
	if (n)
		api_link(r, items[n - 1].latest_id, items[0].latest_id);
	http_reply_json(r, 200, grouped_finish(&g));
}

void notifications_v2_show(http_req *r)
{
	render_set_context(READ_NOTIFICATIONS);
	int64_t viewer = api_viewer(r);
	notification_group ng;
	grouped g;
	grouped_init(&g);
	if (!store_notification_group_get(&r->arena, viewer,
					  http_path_param(r, 0), &ng) ||
	    !grouped_add(&r->arena, &g, &ng, viewer)) {
		json_decref(grouped_finish(&g));
		http_reply_error(r, 404, "Record not found");
		return;
	}
	http_reply_json(r, 200, grouped_finish(&g));
}

void notifications_v2_accounts(http_req *r)
{
	int64_t viewer = api_viewer(r);
	const char *key = http_path_param(r, 0);
	notification_group ng;
	if (!store_notification_group_get(&r->arena, viewer, key, &ng)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	page p;
	api_page(r, &p, NOTIFICATIONS_DEFAULT, NOTIFICATIONS_MAX);
	int64_t *senders =
		arena_alloc(&r->arena, (size_t)p.limit * sizeof *senders);
	int64_t *ids = arena_alloc(&r->arena, (size_t)p.limit * sizeof *ids);
	size_t n = store_notification_group_senders(
		viewer, key, p.max_id, senders, ids, (size_t)p.limit);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		account acc;
		if (visibility_account_listed(&r->arena, viewer, senders[i],
					      READ_NOTIFICATIONS) &&
		    store_account_get(&r->arena, senders[i], &acc))
			json_array_append_new(arr,
					      render_account(&r->arena, &acc));
	}
	if (n == (size_t)p.limit)
		api_link(r, ids[n - 1], 0);
	http_reply_json(r, 200, arr);
}

void notifications_v2_dismiss(http_req *r)
{
	int rc = store_notification_group_dismiss(api_viewer(r),
						  http_path_param(r, 0));
	if (rc < 0)
		http_reply_error(r, 500, "Internal server error");
	else if (rc > 0)
		http_reply_error(r, 404, "Record not found");
	else
		http_reply_json(r, 200, json_object());
}

/* {"count": n}: notifications (or groups) past the notifications
 * marker, counted up to ?limit. */
static void unread_count(http_req *r, bool groups)
{
	long limit;
	if (!api_param_long(r, "limit", UNREAD_DEFAULT, &limit)) {
		http_reply_error(r, 422, "Validation failed: limit");
		return;
	}
	limit = limit < 1 ? 1 : limit > UNREAD_MAX ? UNREAD_MAX : limit;
	store_marker m = {0};
	store_marker_get(api_viewer(r), "notifications", &m);
	int64_t n = store_notifications_unread(api_viewer(r), m.last_read_id,
					       groups, limit);
	http_reply_json(r, 200, json_pack("{s:I}", "count", (json_int_t)n));
}

void notifications_unread_count(http_req *r)
{
	unread_count(r, false);
}

void notifications_v2_unread_count(http_req *r)
{
	unread_count(r, true);
}
