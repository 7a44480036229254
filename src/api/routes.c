/* routes.c — every endpoint chorus serves, with its auth and scope.
 * docs/api.md lists the same table for client authors. */
#include "api/api.h"

/* R: an ordinary route. RU: a route that accepts file uploads, whose
 * multipart bodies are streamed to disk (see http_route.upload). */
#define R(method_, pattern_, handler_, auth_, scope_)                          \
	{                                                                      \
		.method = (method_), .pattern = (pattern_),                    \
		.handler = (handler_), .auth = (auth_), .scope = (scope_),     \
	}
#define RU(method_, pattern_, handler_, auth_, scope_)                         \
	{                                                                      \
		.method = (method_), .pattern = (pattern_),                    \
		.handler = (handler_), .auth = (auth_), .scope = (scope_),     \
		.upload = true,                                                \
	}

/* RL: an ordinary route with a rate limit of its own (api_limit). */
#define RL(method_, pattern_, handler_, auth_, scope_, limit_)                 \
	{                                                                      \
		.method = (method_), .pattern = (pattern_),                    \
		.handler = (handler_), .auth = (auth_), .scope = (scope_),     \
		.limit = (limit_),                                             \
	}
/* RUL: an upload route with a rate limit of its own. */
#define RUL(method_, pattern_, handler_, auth_, scope_, limit_)                \
	{                                                                      \
		.method = (method_), .pattern = (pattern_),                    \
		.handler = (handler_), .auth = (auth_), .scope = (scope_),     \
		.upload = true, .limit = (limit_),                             \
	}

/* RK: a public GET whose anonymous answer depends only on the URL and
 * the data, so it may be kept and served again (core/replies.h). */
#define RK(pattern_, handler_, scope_)                                         \
	{                                                                      \
		.method = "GET", .pattern = (pattern_), .handler = (handler_), \
		.auth = API_PUBLIC, .scope = (scope_), .kept = true,           \
	}

const http_route api_routes[] = {
	/* OAuth and apps */
	R("POST", "/api/v1/apps", oauth_apps_create, API_PUBLIC, NULL),
	R("GET", "/api/v1/apps/verify_credentials", oauth_apps_verify, API_APP,
	  NULL),
	RL("POST", "/oauth/token", oauth_token, API_PUBLIC, NULL,
	   LIMIT_SIGN_IN),
	R("POST", "/oauth/revoke", oauth_revoke, API_PUBLIC, NULL),
	R("GET", "/.well-known/oauth-authorization-server",
	  oauth_server_metadata, API_PUBLIC, NULL),

	/* accounts */
	RL("POST", "/api/v1/accounts", accounts_create, API_APP,
	   "write:accounts", LIMIT_SIGN_UP),
	R("GET", "/api/v1/accounts/verify_credentials",
	  accounts_verify_credentials, API_USER, "read:accounts|profile"),
	RU("PATCH", "/api/v1/accounts/update_credentials",
	   accounts_update_credentials, API_USER, "write:accounts"),
	R("GET", "/api/v1/accounts/lookup", accounts_lookup, API_PUBLIC, NULL),
	R("GET", "/api/v1/accounts/relationships", accounts_relationships,
	  API_USER, "read:follows"),
	R("GET", "/api/v1/accounts/search", accounts_search, API_USER,
	  "read:accounts"),
	RK("/api/v1/accounts/:id", accounts_show, NULL),
	RK("/api/v1/accounts/:id/statuses", accounts_statuses, "read:statuses"),
	R("GET", "/api/v1/accounts/:id/followers", accounts_followers,
	  API_PUBLIC, "read:accounts"),
	R("GET", "/api/v1/accounts/:id/following", accounts_following,
	  API_PUBLIC, "read:accounts"),
	RL("POST", "/api/v1/accounts/:id/follow", accounts_follow, API_USER,
	   "write:follows", LIMIT_FOLLOWS),
	R("POST", "/api/v1/accounts/:id/unfollow", accounts_unfollow, API_USER,
	  "write:follows"),
	R("POST", "/api/v1/accounts/:id/block", accounts_block, API_USER,
	  "write:blocks"),
	R("POST", "/api/v1/accounts/:id/unblock", accounts_unblock, API_USER,
	  "write:blocks"),
	R("POST", "/api/v1/accounts/:id/mute", accounts_mute, API_USER,
	  "write:mutes"),
	R("POST", "/api/v1/accounts/:id/unmute", accounts_unmute, API_USER,
	  "write:mutes"),
	R("GET", "/api/v1/blocks", blocks_index, API_USER, "read:blocks"),
	R("GET", "/api/v1/mutes", mutes_index, API_USER, "read:mutes"),
	R("GET", "/api/v1/domain_blocks", domain_blocks_index, API_USER,
	  "read:blocks"),
	R("POST", "/api/v1/domain_blocks", domain_blocks_create, API_USER,
	  "write:blocks"),
	R("DELETE", "/api/v1/domain_blocks", domain_blocks_delete, API_USER,
	  "write:blocks"),
	R("GET", "/api/v1/follow_requests", follow_requests_index, API_USER,
	  "read:follows"),
	R("POST", "/api/v1/follow_requests/:id/authorize",
	  follow_requests_authorize, API_USER, "write:follows"),
	R("POST", "/api/v1/follow_requests/:id/reject", follow_requests_reject,
	  API_USER, "write:follows"),

	/* statuses */
	RL("POST", "/api/v1/statuses", statuses_create, API_USER,
	   "write:statuses", LIMIT_STATUSES),
	RK("/api/v1/statuses/:id", statuses_show, "read:statuses"),
	R("DELETE", "/api/v1/statuses/:id", statuses_delete, API_USER,
	  "write:statuses"),
	R("PUT", "/api/v1/statuses/:id", statuses_update, API_USER,
	  "write:statuses"),
	R("GET", "/api/v1/statuses/:id/history", statuses_history, API_PUBLIC,
	  "read:statuses"),
	R("GET", "/api/v1/statuses/:id/source", statuses_source, API_USER,
	  "read:statuses"),
	RK("/api/v1/statuses/:id/context", statuses_context, "read:statuses"),
	R("GET", "/api/v1/statuses/:id/context/descendants",
	  statuses_descendants, API_PUBLIC, "read:statuses"),
	R("POST", "/api/v1/statuses/:id/favourite", statuses_favourite,
	  API_USER, "write:favourites"),
	R("POST", "/api/v1/statuses/:id/unfavourite", statuses_unfavourite,
	  API_USER, "write:favourites"),
	RL("POST", "/api/v1/statuses/:id/reblog", statuses_reblog, API_USER,
	   "write:statuses", LIMIT_STATUSES),
	R("POST", "/api/v1/statuses/:id/unreblog", statuses_unreblog, API_USER,
	  "write:statuses"),
	R("POST", "/api/v1/statuses/:id/bookmark", statuses_bookmark, API_USER,
	  "write:bookmarks"),
	R("POST", "/api/v1/statuses/:id/unbookmark", statuses_unbookmark,
	  API_USER, "write:bookmarks"),
	R("POST", "/api/v1/statuses/:id/mute", statuses_mute, API_USER,
	  "write:mutes"),
	R("POST", "/api/v1/statuses/:id/unmute", statuses_unmute, API_USER,
	  "write:mutes"),
	R("POST", "/api/v1/statuses/:id/pin", statuses_pin, API_USER,
	  "write:accounts"),
	R("POST", "/api/v1/statuses/:id/unpin", statuses_unpin, API_USER,
	  "write:accounts"),
	R("POST", "/api/v1/statuses/:id/hide", statuses_hide, API_USER,
	  "write:statuses"),
	R("POST", "/api/v1/statuses/:id/unhide", statuses_unhide, API_USER,
	  "write:statuses"),
	R("GET", "/api/v1/statuses/:id/hidden_replies", statuses_hidden_replies,
	  API_PUBLIC, "read:statuses"),
	R("GET", "/api/v1/interaction_policies/defaults",
	  interaction_policies_defaults, API_USER, "read:accounts"),
	R("PATCH", "/api/v1/interaction_policies/defaults",
	  interaction_policies_defaults_update, API_USER, "write:accounts"),
	R("GET", "/api/v1/statuses/:id/favourited_by", statuses_favourited_by,
	  API_PUBLIC, "read:accounts"),
	R("GET", "/api/v1/statuses/:id/reblogged_by", statuses_reblogged_by,
	  API_PUBLIC, "read:accounts"),
	R("GET", "/api/v1/bookmarks", bookmarks_index, API_USER,
	  "read:bookmarks"),
	R("GET", "/api/v1/favourites", favourites_index, API_USER,
	  "read:favourites"),

	/* media: uploads stream to disk (RU) */
	RUL("POST", "/api/v1/media", media_create_v1, API_USER, "write:media",
	    LIMIT_MEDIA),
	RUL("POST", "/api/v2/media", media_create_v2, API_USER, "write:media",
	    LIMIT_MEDIA),
	R("GET", "/api/v1/media/:id", media_show, API_USER, "write:media"),
	RU("PUT", "/api/v1/media/:id", media_update_handler, API_USER,
	   "write:media"),
	R("DELETE", "/api/v1/media/:id", media_delete_handler, API_USER,
	  "write:media"),
	R("GET", "/media/:file", media_file, API_PUBLIC, NULL),

	/* hashtags */
	RK("/api/v1/tags/:name", tags_show, NULL),
	R("POST", "/api/v1/tags/:name/follow", tags_follow, API_USER,
	  "write:follows"),
	R("POST", "/api/v1/tags/:name/unfollow", tags_unfollow, API_USER,
	  "write:follows"),

	R("GET", "/api/v1/featured_tags", featured_tags_index, API_USER,
	  "read:accounts"),
	R("POST", "/api/v1/featured_tags", featured_tags_create, API_USER,
	  "write:accounts"),
	R("DELETE", "/api/v1/featured_tags/:id", featured_tags_delete, API_USER,
	  "write:accounts"),
	R("GET", "/api/v1/featured_tags/suggestions", featured_tags_suggestions,
	  API_USER, "read:accounts"),
	R("GET", "/api/v1/accounts/:id/featured_tags", accounts_featured_tags,
	  API_PUBLIC, NULL),

	/* timelines */
	R("GET", "/api/v1/timelines/home", timelines_home, API_USER,
	  "read:statuses"),
	RK("/api/v1/timelines/public", timelines_public, "read:statuses"),
	RK("/api/v1/timelines/tag/:hashtag", timelines_tag, "read:statuses"),

	/* trends, and their review by moderators */
	RK("/api/v1/trends", trends_tags, NULL),
	RK("/api/v1/trends/tags", trends_tags, NULL),
	RK("/api/v1/trends/statuses", trends_statuses, NULL),
	RK("/api/v1/trends/links", trends_links, NULL),
	/* reports, and the staff's review of them */
	RL("POST", "/api/v1/reports", reports_create, API_USER, "write:reports",
	   LIMIT_REPORTS),
	R("GET", "/api/v1/admin/reports", admin_reports, API_USER,
	  "admin:read:reports"),
	R("GET", "/api/v1/admin/reports/:id", admin_report_show, API_USER,
	  "admin:read:reports"),
	R("POST", "/api/v1/admin/reports/:id/assign_to_self",
	  admin_report_assign, API_USER, "admin:write:reports"),
	R("POST", "/api/v1/admin/reports/:id/unassign", admin_report_unassign,
	  API_USER, "admin:write:reports"),
	R("POST", "/api/v1/admin/reports/:id/resolve", admin_report_resolve,
	  API_USER, "admin:write:reports"),
	R("POST", "/api/v1/admin/reports/:id/reopen", admin_report_reopen,
	  API_USER, "admin:write:reports"),
	R("GET", "/api/v1/admin/trends/tags", admin_trends_tags, API_USER,
	  "admin:read"),
	R("POST", "/api/v1/admin/trends/tags/:id/approve",
	  admin_trends_tags_approve, API_USER, "admin:write"),
	R("POST", "/api/v1/admin/trends/tags/:id/reject",
	  admin_trends_tags_reject, API_USER, "admin:write"),
	/* search */
	R("GET", "/api/v2/search", search_v2, API_PUBLIC, "read:search"),

	/* notifications */
	R("GET", "/api/v1/notifications", notifications_index, API_USER,
	  "read:notifications"),
	R("POST", "/api/v1/notifications/clear", notifications_clear, API_USER,
	  "write:notifications"),
	R("GET", "/api/v1/notifications/unread_count",
	  notifications_unread_count, API_USER, "read:notifications"),
	R("GET", "/api/v1/notifications/requests", notification_requests_index,
	  API_USER, "read:notifications"),
	R("GET", "/api/v1/notifications/requests/merged",
	  notification_requests_merged, API_USER, "read:notifications"),
	R("POST", "/api/v1/notifications/requests/accept",
	  notification_requests_accept_many, API_USER, "write:notifications"),
	R("POST", "/api/v1/notifications/requests/dismiss",
	  notification_requests_dismiss_many, API_USER, "write:notifications"),
	R("GET", "/api/v1/notifications/requests/:id",
	  notification_requests_show, API_USER, "read:notifications"),
	R("POST", "/api/v1/notifications/requests/:id/accept",
	  notification_requests_accept, API_USER, "write:notifications"),
	R("POST", "/api/v1/notifications/requests/:id/dismiss",
	  notification_requests_dismiss, API_USER, "write:notifications"),
	R("GET", "/api/v1/notifications/:id", notifications_show, API_USER,
	  "read:notifications"),
	R("POST", "/api/v1/notifications/:id/dismiss", notifications_dismiss,
	  API_USER, "write:notifications"),
	R("GET", "/api/v2/notifications", notifications_v2_index, API_USER,
	  "read:notifications"),
	R("GET", "/api/v2/notifications/unread_count",
	  notifications_v2_unread_count, API_USER, "read:notifications"),
	R("GET", "/api/v2/notifications/policy", notifications_policy_show,
	  API_USER, "read:notifications"),
	R("PATCH", "/api/v2/notifications/policy", notifications_policy_update,
	  API_USER, "write:notifications"),
	R("GET", "/api/v2/notifications/:group_key", notifications_v2_show,
	  API_USER, "read:notifications"),
	R("GET", "/api/v2/notifications/:group_key/accounts",
	  notifications_v2_accounts, API_USER, "read:notifications"),
	R("POST", "/api/v2/notifications/:group_key/dismiss",
	  notifications_v2_dismiss, API_USER, "write:notifications"),

	/* private conversations */
	R("GET", "/api/v1/conversations", conversations_index, API_USER,
	  "read:statuses"),
	R("DELETE", "/api/v1/conversations/:id", conversations_delete, API_USER,
	  "write:conversations"),
	R("POST", "/api/v1/conversations/:id/read", conversations_read,
	  API_USER, "write:conversations"),

	/* instance and client bootstrap */
	R("GET", "/api/v1/instance", instance_v1, API_PUBLIC, NULL),
	R("GET", "/api/v2/instance", instance_v2, API_PUBLIC, NULL),
	R("GET", "/api/v1/instance/rules", instance_rules, API_PUBLIC, NULL),
	R("GET", "/api/v1/instance/peers", instance_empty_list, API_PUBLIC,
	  NULL),
	R("GET", "/api/v1/custom_emojis", instance_custom_emojis, API_PUBLIC,
	  NULL),
	R("GET", "/api/v1/announcements", instance_empty_list, API_USER, NULL),
	/* keyword filters (filters.c) */
	R("GET", "/api/v1/filters", filters_v1_index, API_USER, "read:filters"),
	R("POST", "/api/v1/filters", filters_v1_create, API_USER,
	  "write:filters"),
	R("GET", "/api/v1/filters/:id", filters_v1_show, API_USER,
	  "read:filters"),
	R("PUT", "/api/v1/filters/:id", filters_v1_update, API_USER,
	  "write:filters"),
	R("DELETE", "/api/v1/filters/:id", filters_v1_delete, API_USER,
	  "write:filters"),
	R("GET", "/api/v2/filters", filters_v2_index, API_USER, "read:filters"),
	R("POST", "/api/v2/filters", filters_v2_create, API_USER,
	  "write:filters"),
	R("GET", "/api/v2/filters/keywords/:id", filter_keyword_show, API_USER,
	  "read:filters"),
	R("PUT", "/api/v2/filters/keywords/:id", filter_keyword_update,
	  API_USER, "write:filters"),
	R("DELETE", "/api/v2/filters/keywords/:id", filter_keyword_delete,
	  API_USER, "write:filters"),
	R("GET", "/api/v2/filters/statuses/:id", filter_status_show, API_USER,
	  "read:filters"),
	R("DELETE", "/api/v2/filters/statuses/:id", filter_status_delete,
	  API_USER, "write:filters"),
	R("GET", "/api/v2/filters/:id", filters_v2_show, API_USER,
	  "read:filters"),
	R("PUT", "/api/v2/filters/:id", filters_v2_update, API_USER,
	  "write:filters"),
	R("DELETE", "/api/v2/filters/:id", filters_v2_delete, API_USER,
	  "write:filters"),
	R("GET", "/api/v2/filters/:filter_id/keywords", filter_keywords_index,
	  API_USER, "read:filters"),
	R("POST", "/api/v2/filters/:filter_id/keywords", filter_keywords_create,
	  API_USER, "write:filters"),
	R("GET", "/api/v2/filters/:filter_id/statuses", filter_statuses_index,
	  API_USER, "read:filters"),
	R("POST", "/api/v2/filters/:filter_id/statuses", filter_statuses_create,
	  API_USER, "write:filters"),
	R("GET", "/api/v1/lists", instance_empty_list, API_USER, "read:lists"),
	R("GET", "/api/v1/followed_tags", tags_followed, API_USER,
	  "read:follows"),
	R("GET", "/api/v1/preferences", instance_preferences, API_USER,
	  "read:accounts"),
	R("GET", "/api/v1/markers", markers_get, API_USER, "read:statuses"),
	R("POST", "/api/v1/markers", markers_set, API_USER, "write:statuses"),
	R("GET", "/.well-known/nodeinfo", nodeinfo_links, API_PUBLIC, NULL),
	R("GET", "/nodeinfo/2.0", nodeinfo_document, API_PUBLIC, NULL),
	/* streaming: the WebSocket, and server-sent events per stream */
	R("GET", "/api/v1/streaming/health", streaming_health, API_PUBLIC,
	  NULL),
	R("GET", "/api/v1/streaming", streaming_socket, API_PUBLIC, NULL),
	R("GET", "/api/v1/streaming/user", streaming_events, API_PUBLIC, NULL),
	R("GET", "/api/v1/streaming/user/notification", streaming_events,
	  API_PUBLIC, NULL),
	R("GET", "/api/v1/streaming/public", streaming_events, API_PUBLIC,
	  NULL),
	R("GET", "/api/v1/streaming/public/local", streaming_events, API_PUBLIC,
	  NULL),
	R("GET", "/api/v1/streaming/public/remote", streaming_events,
	  API_PUBLIC, NULL),
	R("GET", "/api/v1/streaming/hashtag", streaming_events, API_PUBLIC,
	  NULL),
	R("GET", "/api/v1/streaming/hashtag/local", streaming_events,
	  API_PUBLIC, NULL),
	R("GET", "/api/v1/streaming/list", streaming_events, API_PUBLIC, NULL),
	R("GET", "/api/v1/streaming/direct", streaming_events, API_PUBLIC,
	  NULL),
	/* chorus: the new replies of one thread (?id= a post of it) */
	R("GET", "/api/v1/streaming/thread", streaming_events, API_PUBLIC,
	  NULL),
	R("GET", "/avatars/original/missing.png", default_image, API_PUBLIC,
	  NULL),
	R("GET", "/headers/original/missing.png", default_image, API_PUBLIC,
	  NULL),

	/* operators: load balancers and Prometheus (docs/monitoring.md) */
	R("GET", "/health", ops_health, API_PUBLIC, NULL),
	R("GET", "/metrics", ops_metrics, API_PUBLIC, NULL),
};

const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];
