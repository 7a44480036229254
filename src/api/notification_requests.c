/* notification_requests.c — the notification policy
 * (/api/v2/notifications/policy) and the requests holding what it
 * filtered (/api/v1/notifications/requests), in Mastodon 4.3's shapes.
 * What is filtered is decided by the one rule (domain/visibility.c). */
#include "api/api.h"

#include "store/store.h"

#include <string.h>

enum { REQUESTS_DEFAULT = 40, REQUESTS_MAX = 80, REQUESTS_BULK_MAX = 100 };

static const char *const policy_words[] = {
	[POLICY_ACCEPT] = "accept",
	[POLICY_FILTER] = "filter",
	[POLICY_DROP] = "drop",
};

static json_t *policy_json(int64_t account_id)
{
	notification_policy p;
	store_notification_policy_get(account_id, &p);
	int64_t requests, notifications;
	store_notification_requests_count(account_id, &requests,
					  &notifications);
	return json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:{s:I,s:I}}", "for_not_following",
		policy_words[p.for_not_following], "for_not_followers",
		policy_words[p.for_not_followers], "for_new_accounts",
		policy_words[p.for_new_accounts], "for_private_mentions",
		policy_words[p.for_private_mentions], "for_limited_accounts",
		policy_words[p.for_limited_accounts], "summary",
		"pending_requests_count", (json_int_t)requests,
		"pending_notifications_count", (json_int_t)notifications);
}

void notifications_policy_show(http_req *r)
{
	http_reply_json(r, 200, policy_json(api_viewer(r)));
}

/* Read key into *field when sent: false (and a 422) for another word. */
static bool policy_param(http_req *r, const char *key, policy_action *field)
{
	const char *v = http_param_get(r, key);
	if (!v)
		return true;
	for (size_t i = 0; i < sizeof policy_words / sizeof *policy_words; i++)
		if (!strcmp(v, policy_words[i])) {
			*field = (policy_action)i;
			return true;
		}
	http_reply_error(r, 422,
			 arena_printf(&r->arena,
				      "Validation failed: %s must be accept, "
				      "filter or drop",
				      key));
	return false;
}

void notifications_policy_update(http_req *r)
{
	int64_t me = api_viewer(r);
	notification_policy p;
	store_notification_policy_get(me, &p);
	if (!policy_param(r, "for_not_following", &p.for_not_following) ||
	    !policy_param(r, "for_not_followers", &p.for_not_followers) ||
	    !policy_param(r, "for_new_accounts", &p.for_new_accounts) ||
	    !policy_param(r, "for_private_mentions", &p.for_private_mentions) ||
	    !policy_param(r, "for_limited_accounts", &p.for_limited_accounts))
		return;
	if (store_notification_policy_set(me, &p) < 0) {
		http_reply_error(r, 500, "Internal server error");
		return;
	}
	http_reply_json(r, 200, policy_json(me));
}

/* A NotificationRequest, or NULL when its sender may not be shown. */
static json_t *request_json(arena *a, const notification_request *q,
			    int64_t viewer)
{
	account from;
	if (!visibility_account_listed(a, viewer, q->from_account_id,
				       READ_NOTIFICATIONS) ||
	    !store_account_get(a, q->from_account_id, &from))
		return NULL;
	json_t *j =
		json_pack("{s:s,s:o,s:o,s:o,s:s}", "id", render_id(a, q->id),
			  "created_at", render_time(q->created_at),
			  "updated_at", render_time(q->updated_at), "account",
			  render_account(a, &from), "notifications_count",
			  arena_printf(a, "%lld", (long long)q->count));
	status s;
	json_object_set_new(
		j, "last_status",
		q->last_status_id && status_load_visible(a, viewer,
							 q->last_status_id, &s)
			? render_status(a, &s, viewer)
			: json_null());
	return j;
}

void notification_requests_index(http_req *r)
{
	page p;
	api_page(r, &p, REQUESTS_DEFAULT, REQUESTS_MAX);
	int64_t viewer = api_viewer(r);
	notification_request *items =
		arena_alloc(&r->arena, (size_t)p.limit * sizeof *items);
	size_t n = store_notification_requests_page(viewer, &p, items);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *j = request_json(&r->arena, &items[i], viewer);
		if (j)
			json_array_append_new(arr, j);
	}
	if (n)
		api_link(r, items[n - 1].id, items[0].id);
	http_reply_json(r, 200, arr);
}

void notification_requests_show(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	notification_request q;
	json_t *j = NULL;
	if (store_notification_request_get(api_viewer(r), id, &q))
		j = request_json(&r->arena, &q, api_viewer(r));
	if (!j) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	http_reply_json(r, 200, j);
}

static void decide_one(http_req *r, bool accept)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	int rc = notification_request_decide(api_viewer(r), id, accept);
	if (rc < 0)
		http_reply_error(r, 500, "Internal server error");
	else if (rc > 0)
		http_reply_error(r, 404, "Record not found");
	else
		http_reply_json(r, 200, json_object());
}

void notification_requests_accept(http_req *r)
{
	decide_one(r, true);
}

void notification_requests_dismiss(http_req *r)
{
	decide_one(r, false);
}

/* id[]: each of the caller's requests; unknown ids are skipped (as
 * Mastodon), malformed ones refused before anything changes. */
static void decide_many(http_req *r, bool accept)
{
	size_t n;
	int64_t *parsed;
	bool ids_ok = api_param_ids(r, "id", &parsed, &n);
	if (n == 0 || n > REQUESTS_BULK_MAX) {
		http_reply_error(r, 422,
				 "Validation failed: id[] must name 1 to 100 "
				 "requests");
		return;
	}
	if (!ids_ok) {
		http_reply_error(r, 422,
				 "Validation failed: id[] is not an id");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (notification_request_decide(api_viewer(r), parsed[i],
						accept) < 0) {
			http_reply_error(r, 500, "Internal server error");
			return;
		}
	http_reply_json(r, 200, json_object());
}

void notification_requests_accept_many(http_req *r)
{
	decide_many(r, true);
}

void notification_requests_dismiss_many(http_req *r)
{
	decide_many(r, false);
}

void notification_requests_merged(http_req *r)
{
	/* accepting moves the notifications in its own transaction: by the
	 * time a client asks, they are merged */
	http_reply_json(r, 200, json_pack("{s:b}", "merged", 1));
}
