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

const http_route api_routes[] = {
	/* OAuth and apps */
	R("POST", "/api/v1/apps", oauth_apps_create, API_PUBLIC, NULL),
	R("GET", "/api/v1/apps/verify_credentials", oauth_apps_verify, API_APP,
	  NULL),
	R("POST", "/oauth/token", oauth_token, API_PUBLIC, NULL),
	R("POST", "/oauth/revoke", oauth_revoke, API_PUBLIC, NULL),
	R("GET", "/.well-known/oauth-authorization-server",
	  oauth_server_metadata, API_PUBLIC, NULL),

	/* accounts */
	R("POST", "/api/v1/accounts", accounts_create, API_APP,
	  "write:accounts"),
	R("GET", "/api/v1/accounts/verify_credentials",
	  accounts_verify_credentials, API_USER, "read:accounts|profile"),
	RU("PATCH", "/api/v1/accounts/update_credentials",
	   accounts_update_credentials, API_USER, "write:accounts"),
	R("GET", "/api/v1/accounts/lookup", accounts_lookup, API_PUBLIC, NULL),
	R("GET", "/api/v1/accounts/relationships", accounts_relationships,
	  API_USER, "read:follows"),
	R("GET", "/api/v1/accounts/search", accounts_search, API_USER,
	  "read:accounts"),
	R("GET", "/api/v1/accounts/:id", accounts_show, API_PUBLIC, NULL),
	R("GET", "/api/v1/accounts/:id/statuses", accounts_statuses, API_PUBLIC,
	  "read:statuses"),
	R("GET", "/api/v1/accounts/:id/followers", accounts_followers,
	  API_PUBLIC, "read:accounts"),
	R("GET", "/api/v1/accounts/:id/following", accounts_following,
	  API_PUBLIC, "read:accounts"),
	R("POST", "/api/v1/accounts/:id/follow", accounts_follow, API_USER,
	  "write:follows"),
	R("POST", "/api/v1/accounts/:id/unfollow", accounts_unfollow, API_USER,
	  "write:follows"),
	R("GET", "/api/v1/follow_requests", follow_requests_index, API_USER,
	  "read:follows"),
	R("POST", "/api/v1/follow_requests/:id/authorize",
	  follow_requests_authorize, API_USER, "write:follows"),
	R("POST", "/api/v1/follow_requests/:id/reject", follow_requests_reject,
	  API_USER, "write:follows"),

	/* statuses */
	R("POST", "/api/v1/statuses", statuses_create, API_USER,
	  "write:statuses"),
	R("GET", "/api/v1/statuses/:id", statuses_show, API_PUBLIC,
	  "read:statuses"),
	R("DELETE", "/api/v1/statuses/:id", statuses_delete, API_USER,
	  "write:statuses"),
	R("PUT", "/api/v1/statuses/:id", statuses_update, API_USER,
	  "write:statuses"),
	R("GET", "/api/v1/statuses/:id/history", statuses_history, API_PUBLIC,
	  "read:statuses"),
	R("GET", "/api/v1/statuses/:id/source", statuses_source, API_USER,
	  "read:statuses"),
	R("GET", "/api/v1/statuses/:id/context", statuses_context, API_PUBLIC,
	  "read:statuses"),
	R("GET", "/api/v1/statuses/:id/context/descendants",
	  statuses_descendants, API_PUBLIC, "read:statuses"),
	R("POST", "/api/v1/statuses/:id/favourite", statuses_favourite,
	  API_USER, "write:favourites"),
	R("POST", "/api/v1/statuses/:id/unfavourite", statuses_unfavourite,
	  API_USER, "write:favourites"),
	R("POST", "/api/v1/statuses/:id/reblog", statuses_reblog, API_USER,
	  "write:statuses"),
	R("POST", "/api/v1/statuses/:id/unreblog", statuses_unreblog, API_USER,
	  "write:statuses"),
	R("POST", "/api/v1/statuses/:id/bookmark", statuses_bookmark, API_USER,
	  "write:bookmarks"),
	R("POST", "/api/v1/statuses/:id/unbookmark", statuses_unbookmark,
	  API_USER, "write:bookmarks"),
	R("POST", "/api/v1/statuses/:id/pin", statuses_pin, API_USER,
	  "write:accounts"),
	R("POST", "/api/v1/statuses/:id/unpin", statuses_unpin, API_USER,
	  "write:accounts"),
	R("GET", "/api/v1/statuses/:id/favourited_by", statuses_favourited_by,
	  API_PUBLIC, "read:accounts"),
	R("GET", "/api/v1/statuses/:id/reblogged_by", statuses_reblogged_by,
	  API_PUBLIC, "read:accounts"),
	R("GET", "/api/v1/bookmarks", bookmarks_index, API_USER,
	  "read:bookmarks"),
	R("GET", "/api/v1/favourites", favourites_index, API_USER,
	  "read:favourites"),

	/* media: uploads stream to disk (RU) */
	RU("POST", "/api/v1/media", media_create_v1, API_USER, "write:media"),
	RU("POST", "/api/v2/media", media_create_v2, API_USER, "write:media"),
	R("GET", "/api/v1/media/:id", media_show, API_USER, "write:media"),
	RU("PUT", "/api/v1/media/:id", media_update_handler, API_USER,
	   "write:media"),
	R("DELETE", "/api/v1/media/:id", media_delete_handler, API_USER,
	  "write:media"),
	R("GET", "/media/:file", media_file, API_PUBLIC, NULL),

	/* hashtags */
	R("GET", "/api/v1/tags/:name", tags_show, API_PUBLIC, NULL),
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
	R("GET", "/api/v1/timelines/public", timelines_public, API_PUBLIC,
	  "read:statuses"),
	R("GET", "/api/v1/timelines/tag/:hashtag", timelines_tag, API_PUBLIC,
	  "read:statuses"),

	/* trends, and their review by moderators */
	R("GET", "/api/v1/trends", trends_tags, API_PUBLIC, NULL),
	R("GET", "/api/v1/trends/tags", trends_tags, API_PUBLIC, NULL),
	R("GET", "/api/v1/trends/statuses", trends_statuses, API_PUBLIC, NULL),
	R("GET", "/api/v1/trends/links", trends_links, API_PUBLIC, NULL),
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
	R("GET", "/api/v1/notifications/:id", notifications_show, API_USER,
	  "read:notifications"),
	R("POST", "/api/v1/notifications/:id/dismiss", notifications_dismiss,
	  API_USER, "write:notifications"),

	/* instance and client bootstrap */
	R("GET", "/api/v1/instance", instance_v1, API_PUBLIC, NULL),
	R("GET", "/api/v2/instance", instance_v2, API_PUBLIC, NULL),
	R("GET", "/api/v1/instance/rules", instance_rules, API_PUBLIC, NULL),
	R("GET", "/api/v1/instance/peers", instance_empty_list, API_PUBLIC,
	  NULL),
	R("GET", "/api/v1/custom_emojis", instance_custom_emojis, API_PUBLIC,
	  NULL),
	R("GET", "/api/v1/announcements", instance_empty_list, API_USER, NULL),
	R("GET", "/api/v1/filters", instance_empty_list, API_USER,
	  "read:filters"),
	R("GET", "/api/v2/filters", instance_empty_list, API_USER,
	  "read:filters"),
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
};

const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];
