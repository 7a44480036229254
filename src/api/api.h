/* api.h — the Mastodon client API: routes, auth guard, shared helpers.
 *
 * Handlers follow one shape: parse and check input, call domain/, render.
 * Each file holds one resource (accounts.c, statuses.c…). */
#ifndef CHORUS_API_H
#define CHORUS_API_H

#include "domain/domain.h"
#include "http/http.h"
#include "render/render.h"
#include "store/store.h"

enum api_auth {
	API_PUBLIC = 0, /* a token is optional; used for viewer flags */
	API_APP,	/* any valid token (app or user) */
	API_USER,	/* a user token */
};

/* The server's work-thread pools (http_defer_to): media processing is
 * pool 0 (http_defer), password hashing has its own, so do requests
 * that wait on another server (a key, an account or a post fetched),
 * and so does the keeping of verified inbox deliveries (a write that
 * may wait for the database's writer), so a flood of one cannot starve
 * the others, nor the reads the I/O threads serve. */
enum api_pool {
	API_POOL_MEDIA = 0,
	API_POOL_PASSWORD = 1,
	API_POOL_FETCH = 2,
	API_POOL_INBOX = 3,
};

/* The rate limits ([limits]; http_route.limit names a route's own). */
typedef enum api_limit {
	LIMIT_NONE = 0,
	LIMIT_API,	     /* every request with a token, per token */
	LIMIT_API_ANONYMOUS, /* every request without one, per address */
	LIMIT_SIGN_IN,	     /* per address */
	LIMIT_SIGN_UP,	     /* per address */
	LIMIT_STATUSES,	     /* posts and boosts, per account */
	LIMIT_MEDIA,	     /* uploads, per account */
	LIMIT_FOLLOWS,	     /* per account */
	LIMIT_REPORTS,	     /* per account */
	LIMIT_COUNT
} api_limit;
/* Whether r's client is one no limit applies to ([limits] exempt). */
bool api_limit_exempt(http_req *r);
/* Count r against limit, per who (a token's or an account's id, as the
 * limit says) or, for 0, per the client's address: true when within it,
 * with the X-RateLimit headers set when headers; else r is answered 429
 * with Retry-After and those headers. An exempt client is always
 * within. */
bool api_limit_take(http_req *r, api_limit limit, int64_t who, bool headers);
/* The client's address as text (cidr_addr_format), or NULL when it is
 * exempt from the limits or unknown: the source a sign-in's lockout is
 * counted for. */
const char *api_limit_source(http_req *r);
/* The client's address as text, or NULL when unknown (arena memory). */
const char *api_client_address(http_req *r);

extern const http_route api_routes[];
extern const size_t api_nroutes;

/* The guard the HTTP layer calls before every handler, and the hook it
 * calls after (ends the request's read transaction). */
bool api_guard(http_req *r, const http_route *route);
void api_after(http_req *r);

/* The principal of the request, or NULL when anonymous. */
const principal *api_principal(http_req *r);
/* The viewer's account id, 0 when anonymous. */
int64_t api_viewer(http_req *r);
/* Parse path parameter i as an id; replies 404 and returns false when it
 * is not one. */
bool api_path_id(http_req *r, int i, int64_t *id);
/* An optional integer parameter: def when absent or empty; false when
 * it is not digits with an optional '-' (out of range saturates). */
bool api_param_long(http_req *r, const char *key, long def, long *out);
/* The ids sent as key[] into *out (arena memory), *n of them: false when
 * one is not an id. */
bool api_param_ids(http_req *r, const char *key, int64_t **out, size_t *n);
/* Parse max_id/since_id/min_id/limit (limit clamped to [1, max]). */
void api_page(http_req *r, page *p, int def, int max);
/* Set the Link header for a page given its cursors (0 = omit). */
void api_link(http_req *r, int64_t next_max_id, int64_t prev_min_id);
/* Run fn (which hashes or checks a password) on the password pool.
 * False when its queue is full: nothing runs and the caller replies,
 * with api_reply_busy or its own page. */
bool api_defer_password(http_req *r, http_work_fn fn, void *ctx);
/* 429 {"error": …} with Retry-After: the work queue is full. */
void api_reply_busy(http_req *r);
/* The Retry-After value (seconds) that api_reply_busy sends. */
extern const char api_busy_retry_after[];
/* True for an ISO 639 code, optionally with a region or script ("en",
 * "pt-BR", "zh-Hant"): what a language field may hold. */
bool api_language_valid(const char *s);
/* Reply for a domain error (404 "Record not found" etc.). */
void api_reply_dom(http_req *r, dom_err err, const char *msg);
/* Reply 200 with a page of accounts from a list ordered by a hidden key
 * (followers, favourited_by…), with Link cursors on that key. */
void api_reply_account_list(http_req *r, store_list kind, int64_t arg);
/* Reply 200 with a page of statuses as the viewer sees them. */
void api_reply_statuses(http_req *r, status *const *items, size_t n);
/* Reply with one status as the viewer sees it (reloaded), or 404. */
void api_reply_status(http_req *r, int64_t id);

/* handlers, by file */
void oauth_apps_create(http_req *r);
void oauth_apps_verify(http_req *r);
void oauth_token(http_req *r);
void oauth_revoke(http_req *r);
void oauth_server_metadata(http_req *r);
/* Store a new access token and reply 200 with the Token entity. */
void oauth_reply_new_token(http_req *r, int64_t app_id, int64_t account_id,
			   const char *scopes);

void accounts_create(http_req *r);
void accounts_delete_own(http_req *r);
/* exports.c */
void exports_csv(http_req *r);
void imports_create(http_req *r);
void accounts_verify_credentials(http_req *r);
void accounts_update_credentials(http_req *r);
void accounts_show(http_req *r);
void accounts_lookup(http_req *r);
void accounts_statuses(http_req *r);
void accounts_followers(http_req *r);
void accounts_following(http_req *r);
void accounts_follow(http_req *r);
void accounts_unfollow(http_req *r);
/* safety.c */
void accounts_block(http_req *r);
void accounts_unblock(http_req *r);
void accounts_mute(http_req *r);
void accounts_unmute(http_req *r);
void blocks_index(http_req *r);
void mutes_index(http_req *r);
void domain_blocks_index(http_req *r);
void domain_blocks_create(http_req *r);
void domain_blocks_delete(http_req *r);
/* filters.c */
void filters_v1_index(http_req *r);
void filters_v1_create(http_req *r);
void filters_v1_show(http_req *r);
void filters_v1_update(http_req *r);
void filters_v1_delete(http_req *r);
void filters_v2_index(http_req *r);
void filters_v2_create(http_req *r);
void filter_keyword_show(http_req *r);
void filter_keyword_update(http_req *r);
void filter_keyword_delete(http_req *r);
void filter_status_show(http_req *r);
void filter_status_delete(http_req *r);
void filters_v2_show(http_req *r);
void filters_v2_update(http_req *r);
void filters_v2_delete(http_req *r);
void filter_keywords_index(http_req *r);
void filter_keywords_create(http_req *r);
void filter_statuses_index(http_req *r);
void filter_statuses_create(http_req *r);
void accounts_relationships(http_req *r);
void accounts_search(http_req *r);
void follow_requests_index(http_req *r);
void follow_requests_authorize(http_req *r);
void follow_requests_reject(http_req *r);

void statuses_create(http_req *r);
void statuses_show(http_req *r);
void statuses_delete(http_req *r);
void statuses_update(http_req *r);
void statuses_history(http_req *r);
void statuses_source(http_req *r);
void statuses_context(http_req *r);
void statuses_descendants(http_req *r);
void statuses_favourite(http_req *r);
void statuses_unfavourite(http_req *r);
void statuses_reblog(http_req *r);
void statuses_unreblog(http_req *r);
void statuses_bookmark(http_req *r);
void statuses_unbookmark(http_req *r);
void statuses_pin(http_req *r);
void statuses_mute(http_req *r);
void statuses_unmute(http_req *r);
void statuses_unpin(http_req *r);
void statuses_favourited_by(http_req *r);
void statuses_reblogged_by(http_req *r);
/* reply_controls.c */
/* Read prefix[can_reply|can_reblog|can_favourite][always|with_approval]
 * into *out (0: not sent); *given when any was sent. Replies 422 itself
 * (false) on a value chorus does not know. */
bool api_read_interaction_policy(http_req *r, const char *prefix,
				 interaction_policy *out, bool *given);
/* Read the form-friendly reply_policy (everyone, followers, following,
 * mentioned) into both of out's rules; replies 422 itself (false). */
bool api_read_reply_policy(http_req *r, interaction_policy *out);
void interaction_policies_defaults(http_req *r);
void interaction_policies_defaults_update(http_req *r);
void statuses_hide(http_req *r);
void statuses_unhide(http_req *r);
void statuses_hidden_replies(http_req *r);
void bookmarks_index(http_req *r);
void favourites_index(http_req *r);

void media_create_v1(http_req *r);
void media_create_v2(http_req *r);
void media_show(http_req *r);
void media_update_handler(http_req *r);
void media_delete_handler(http_req *r);
void media_file(http_req *r);
void tags_show(http_req *r);
void tags_follow(http_req *r);
void tags_unfollow(http_req *r);
void tags_followed(http_req *r);
void featured_tags_index(http_req *r);
void featured_tags_create(http_req *r);
void featured_tags_delete(http_req *r);
void featured_tags_suggestions(http_req *r);
void accounts_featured_tags(http_req *r);
void trends_tags(http_req *r);
void trends_statuses(http_req *r);
void trends_links(http_req *r);
void admin_trends_tags(http_req *r);
void admin_trends_tags_approve(http_req *r);
void admin_trends_tags_reject(http_req *r);
/* reports.c */
void reports_create(http_req *r);
/* admin.c */
void admin_accounts(http_req *r);
void admin_account_show(http_req *r);
void admin_account_action(http_req *r);
void admin_account_enable(http_req *r);
void admin_account_unsilence(http_req *r);
void admin_account_unsuspend(http_req *r);
void admin_account_unsensitive(http_req *r);
void admin_account_delete(http_req *r);
void admin_account_approve(http_req *r);
void admin_account_reject(http_req *r);
void admin_audit_log(http_req *r);
void admin_domain_blocks(http_req *r);
void admin_domain_block_show(http_req *r);
void admin_domain_block_create(http_req *r);
void admin_domain_block_update(http_req *r);
void admin_domain_block_delete(http_req *r);
void admin_reports(http_req *r);
void admin_report_show(http_req *r);
void admin_report_assign(http_req *r);
void admin_report_unassign(http_req *r);
void admin_report_resolve(http_req *r);
void admin_report_reopen(http_req *r);
void search_v2(http_req *r);
void timelines_home(http_req *r);
void timelines_public(http_req *r);
void timelines_tag(http_req *r);

void notifications_index(http_req *r);
void notifications_show(http_req *r);
void notifications_dismiss(http_req *r);
void notifications_unread_count(http_req *r);
/* notification_requests.c */
void notifications_policy_show(http_req *r);
void notifications_policy_update(http_req *r);
void notification_requests_index(http_req *r);
void notification_requests_show(http_req *r);
void notification_requests_accept(http_req *r);
void notification_requests_dismiss(http_req *r);
void notification_requests_accept_many(http_req *r);
void notification_requests_dismiss_many(http_req *r);
void notification_requests_merged(http_req *r);
void notifications_v2_index(http_req *r);
void notifications_v2_show(http_req *r);
void notifications_v2_accounts(http_req *r);
void notifications_v2_dismiss(http_req *r);
void notifications_v2_unread_count(http_req *r);
void notifications_clear(http_req *r);
/* conversations.c */
void conversations_index(http_req *r);
void conversations_delete(http_req *r);
void conversations_read(http_req *r);

void instance_v1(http_req *r);
void instance_v2(http_req *r);
void instance_custom_emojis(http_req *r);
void instance_empty_list(http_req *r);
void instance_rules(http_req *r);
void instance_preferences(http_req *r);
void markers_get(http_req *r);
void markers_set(http_req *r);
void nodeinfo_links(http_req *r);
void nodeinfo_document(http_req *r);
void streaming_health(http_req *r);
void streaming_socket(http_req *r);
void streaming_events(http_req *r);
void default_image(http_req *r);
/* ops.c: /health, /metrics (docs/monitoring.md) */
void ops_health(http_req *r);
void ops_metrics(http_req *r);
/* Record when serving began (the uptime /metrics reports). */
void ops_mark_start(void);

#endif
