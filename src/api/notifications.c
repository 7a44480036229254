/* notifications.c — /api/v1/notifications (one by one) and
 * /api/v2/notifications (grouped). */
#include "api/api.h"

#include "core/id.h"
#include "core/time.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

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
	/* account_id: one sender's; with include_filtered, what the
	 * notification policy holds back from them (their request) */
	const char *sender = http_param_get(r, "account_id");
	int64_t from = 0;
	if (sender && !id_parse(sender, &from)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	size_t n = from && http_param_bool(r, "include_filtered", false)
			   ? store_filtered_notifications_page(
				     &r->arena, viewer, from, &p, items)
			   : store_notifications_page_from(
				     &r->arena, viewer, from, &p,
				     type_list(r, "types"),
				     type_list(r, "exclude_types"), items);
	buf b;
	buf_init(&b, &r->arena);
	render_notifications_into(&r->arena, &b, items, n, viewer);
	if (n)
		api_link(r, items[n - 1].id, items[0].id);
	http_reply_raw(r, 200, "application/json; charset=utf-8", b.data,
		       b.len);
}

void notifications_show(http_req *r)
{
	render_set_context(READ_NOTIFICATIONS);
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	notification n;
	buf b;
	buf_init(&b, &r->arena);
	if (!store_notification_get(api_viewer(r), id, &n, &r->arena) ||
	    !render_notification_into(&r->arena, &b, &n, api_viewer(r))) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	http_reply_raw(r, 200, "application/json; charset=utf-8", b.data,
		       b.len);
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
	SAMPLES_SPARE = 4,
	UNREAD_DEFAULT = 100,
	UNREAD_MAX = 1000,
};

/* What a grouped answer gathers: the groups as JSON text, and each
 * account and status once. */
typedef struct grouped {
	buf groups;
	int64_t *accounts;
	status **statuses;
	size_t naccounts, nstatuses, cap, ngroups;
} grouped;

static void grouped_init(grouped *g, arena *a, size_t max_groups)
{
	memset(g, 0, sizeof *g);
	buf_init(&g->groups, a);
	g->cap = max_groups * GROUP_SAMPLES + 1;
	g->accounts = arena_alloc(a, g->cap * sizeof *g->accounts);
	g->statuses = arena_alloc(a, (max_groups + 1) * sizeof *g->statuses);
}

static bool has_id(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Reply with what g gathered: the Accounts and Statuses are written from
 * the render caches, as in a timeline. */
static void grouped_reply(http_req *r, grouped *g, int64_t viewer)
{
	buf b;
	buf_init(&b, &r->arena);
	buf_puts(&b, "{\"accounts\":[");
	bool first = true;
	for (size_t i = 0; i < g->naccounts; i++) {
		size_t before = b.len;
		if (!first)
			buf_putc(&b, ',');
		if (render_account_into(&r->arena, &b, g->accounts[i]))
			first = false;
		else
			b.data[b.len = before] = '\0';
	}
	buf_puts(&b, "],\"statuses\":");
	render_statuses_into(&r->arena, &b, g->statuses, g->nstatuses, viewer);
	buf_puts(&b, ",\"notification_groups\":[");
	buf_append(&b, g->groups.data, g->groups.len);
	buf_puts(&b, "]}");
	http_reply_raw(r, 200, "application/json; charset=utf-8", b.data,
		       b.len);
}

/* Add one group as viewer may see it; false when nothing of it may be
 * shown (its post is hidden or gone, every sender is blocked or
 * muted). Keys and types are ours (letters, digits, '-', '_', '.'):
 * written as they are. */
static bool grouped_add(arena *a, grouped *g, const notification_group *ng,
			int64_t viewer)
{
	status *s = NULL;
	if (ng->status_id) {
		s = arena_alloc(a, sizeof *s);
		if (!status_load_listed(a, viewer, ng->status_id,
					READ_NOTIFICATIONS, s))
			return false;
	}
	/* the newest senders the viewer's rules let through: as many as
	 * shown, and a few more when some were hidden */
	int64_t senders[GROUP_SAMPLES + SAMPLES_SPARE], sample[GROUP_SAMPLES];
	size_t want = GROUP_SAMPLES, n, k;
	for (;;) {
		n = store_notification_group_senders(viewer, ng->key, 0,
						     senders, NULL, want);
		k = 0;
		for (size_t i = 0; i < n && k < GROUP_SAMPLES; i++)
			if (visibility_account_listed(a, viewer, senders[i],
						      READ_NOTIFICATIONS))
				sample[k++] = senders[i];
		if (k == GROUP_SAMPLES || n < want ||
		    want == GROUP_SAMPLES + SAMPLES_SPARE)
			break;
		want = GROUP_SAMPLES + SAMPLES_SPARE;
	}
	if (!k)
		return false;
	char when[TIME_RFC3339_LEN];
	time_format_rfc3339(ng->latest_at, when);
	buf *b = &g->groups;
	buf_puts(b, g->ngroups++ ? ",{\"group_key\":\"" : "{\"group_key\":\"");
	buf_puts(b, ng->key);
	buf_puts(b, "\",\"notifications_count\":");
	buf_put_int(b, ng->count);
	buf_puts(b, ",\"type\":\"");
	buf_puts(b, ng->type);
	buf_puts(b, "\",\"most_recent_notification_id\":\"");
	buf_put_int(b, ng->latest_id);
	buf_puts(b, "\",\"page_max_id\":\"");
	buf_put_int(b, ng->latest_id);
	buf_puts(b, "\",\"page_min_id\":\"");
	buf_put_int(b, ng->oldest_id);
	buf_puts(b, "\",\"latest_page_notification_at\":\"");
	buf_puts(b, when);
	buf_puts(b, "\",\"sample_account_ids\":[");
	for (size_t i = 0; i < k; i++) {
		buf_puts(b, i ? ",\"" : "\"");
		buf_put_int(b, sample[i]);
		buf_putc(b, '"');
		if (!has_id(g->accounts, g->naccounts, sample[i]) &&
		    g->naccounts < g->cap)
			g->accounts[g->naccounts++] = sample[i];
	}
	buf_putc(b, ']');
	if (s) {
		buf_puts(b, ",\"status_id\":\"");
		buf_put_int(b, s->id);
		buf_putc(b, '"');
		bool seen = false;
		for (size_t i = 0; i < g->nstatuses && !seen; i++)
			seen = g->statuses[i]->id == s->id;
		if (!seen)
			g->statuses[g->nstatuses++] = s;
	}
	buf_putc(b, '}');
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
	grouped_init(&g, &r->arena, n);
	for (size_t i = 0; i < n; i++)
		grouped_add(&r->arena, &g, &items[i], viewer);
	if (n)
		api_link(r, items[n - 1].latest_id, items[0].latest_id);
	grouped_reply(r, &g, viewer);
}

void notifications_v2_show(http_req *r)
{
	render_set_context(READ_NOTIFICATIONS);
	int64_t viewer = api_viewer(r);
	notification_group ng;
	grouped g;
	grouped_init(&g, &r->arena, 1);
	if (!store_notification_group_get(&r->arena, viewer,
					  http_path_param(r, 0), &ng) ||
	    !grouped_add(&r->arena, &g, &ng, viewer)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	grouped_reply(r, &g, viewer);
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
