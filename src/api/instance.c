/* instance.c — what clients read at startup: instance, preferences,
 * markers, custom emojis, NodeInfo. */
#include "api/api.h"

#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "store/store.h"

#include <string.h>

#define CHORUS_VERSION "0.1.0"
/* Mastodon.py needs three numeric parts and gates methods on the version
 * it reads; 4.3.0 enables everything Mastodon.py 1.8 and toot 0.34 use. */
#define COMPAT_VERSION "4.3.0 (compatible; chorus " CHORUS_VERSION ")"

static json_t *status_limits(void)
{
	return json_pack("{s:i,s:i,s:i}", "max_characters", cfg.max_characters,
			 "max_media_attachments", cfg.max_media_attachments,
			 "characters_reserved_per_url", cfg.url_weight);
}

/* What media/sniff.c accepts, as clients pre-check it. */
static const char *const supported_mime_types[] = {
	"image/jpeg",	   "image/png",	  "image/webp", "image/gif",
	"image/heic",	   "image/heif",  "video/mp4",	"video/webm",
	"video/quicktime", "audio/mpeg",  "audio/mp3",	"audio/ogg",
	"audio/wav",	   "audio/x-wav", "audio/flac", "audio/mp4",
	"audio/x-m4a",
};

static json_t *media_limits(void)
{
	json_t *types = json_array();
	for (size_t i = 0;
	     i < sizeof supported_mime_types / sizeof *supported_mime_types;
	     i++)
		json_array_append_new(types,
				      json_string(supported_mime_types[i]));
	return json_pack(
		"{s:o,s:i,s:I,s:I,s:I,s:i,s:I}", "supported_mime_types", types,
		"description_limit", cfg.description_limit, "image_size_limit",
		(json_int_t)cfg.image_max_bytes, "image_matrix_limit",
		(json_int_t)cfg.image_max_pixels, "video_size_limit",
		(json_int_t)cfg.video_max_bytes, "video_frame_rate_limit",
		cfg.video_max_fps, "video_matrix_limit",
		(json_int_t)((long)cfg.video_max_width * cfg.video_max_height *
			     4));
}

static json_t *poll_limits(void)
{
	return json_pack("{s:i,s:i,s:i,s:i}", "max_options", 4,
			 "max_characters_per_option", 50, "min_expiration", 300,
			 "max_expiration", 2629746);
}

static const char *streaming_url(arena *a)
{
	const char *base = cfg.base_url;
	if (!strncmp(base, "https://", 8))
		return arena_printf(a, "wss://%s", base + 8);
	if (!strncmp(base, "http://", 7))
		return arena_printf(a, "ws://%s", base + 7);
	return base;
}

enum { RULES_MAX = 64 };

/* The Rule entities of [instance] rules: ids are their positions. */
static json_t *rules_json(arena *a)
{
	const char *rules[RULES_MAX];
	size_t n = config_rules(a, rules, RULES_MAX);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
				      render_rule(a, (int64_t)i + 1, rules[i]));
	return arr;
}

void instance_v1(http_req *r)
{
	arena *a = &r->arena;
	http_reply_json(
		r, 200,
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s},s:{s:I,s:I,s:i},"
			  "s:n,s:[s],s:b,s:b,s:b,s:{s:{s:i},s:o,s:o,s:o},"
			  "s:n,s:o,s:i}",
			  "uri", cfg.domain, "title", cfg.title,
			  "short_description", cfg.description, "description",
			  cfg.description, "email", cfg.contact_email,
			  "version", COMPAT_VERSION, "urls", "streaming_api",
			  streaming_url(a), "stats", "user_count",
			  (json_int_t)store_count_local_users(), "status_count",
			  (json_int_t)store_count_local_statuses(),
			  "domain_count", 0, "thumbnail", "languages", "en",
			  "registrations",
			  cfg.registration_mode != REGISTRATIONS_CLOSED,
			  "approval_required",
			  cfg.registration_mode == REGISTRATIONS_APPROVAL,
			  "invites_enabled", 1, "configuration", "accounts",
			  "max_featured_tags", cfg.max_featured_tags,
			  "statuses", status_limits(), "media_attachments",
			  media_limits(), "polls", poll_limits(),
			  "contact_account", "rules", rules_json(a),
			  "max_toot_chars", cfg.max_characters));
}

void instance_v2(http_req *r)
{
	arena *a = &r->arena;
	json_t *config = json_pack(
		"{s:{s:s,s:n,s:s,s:n,s:n},s:{s:s},s:{s:i,s:i,s:i,s:i,s:i,s:i,"
		"s:i,s:i,s:i},s:o,s:o,s:o,s:{s:b},s:b}",
		"urls", "streaming", streaming_url(a), "status", "about",
		arena_printf(a, "%s/about", cfg.base_url), "privacy_policy",
		"terms_of_service", "vapid", "public_key", "", "accounts",
		"max_featured_tags", cfg.max_featured_tags,
		"max_pinned_statuses", cfg.max_pinned,
		"max_display_name_length", cfg.max_display_name,
		"max_note_length", cfg.max_note,
		"max_avatar_description_length", 1500,
		"max_header_description_length", 1500, "max_profile_fields",
		cfg.max_fields, "profile_field_name_limit", 255,
		"profile_field_value_limit", 255, "statuses", status_limits(),
		"media_attachments", media_limits(), "polls", poll_limits(),
		"translation", "enabled", 0, "limited_federation", 0);
	http_reply_json(
		r, 200,
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:{s:I}},s:{s:s},s:[],"
			  "s:[s],s:o,s:{s:b,s:b,s:n,s:n,s:b,s:n},s:{s:i},"
			  "s:{s:s,s:n},s:o}",
			  "domain", cfg.domain, "title", cfg.title, "version",
			  COMPAT_VERSION, "source_url",
			  "https://example.invalid/chorus", "description",
			  cfg.description, "usage", "users", "active_month",
			  (json_int_t)store_count_local_users(), "thumbnail",
			  "url",
			  arena_printf(a, "%s/headers/original/missing.png",
				       cfg.base_url),
			  "icon", "languages", "en", "configuration", config,
			  "registrations", "enabled",
			  cfg.registration_mode != REGISTRATIONS_CLOSED,
			  "approval_required",
			  cfg.registration_mode == REGISTRATIONS_APPROVAL,
			  "message", "min_age", "reason_required", 0, "url",
			  "api_versions", "mastodon", 2, "contact", "email",
			  cfg.contact_email, "account", "rules",
			  rules_json(a)));
}

void instance_custom_emojis(http_req *r)
{
	http_reply_json(r, 200, json_array());
}

void instance_empty_list(http_req *r)
{
	http_reply_json(r, 200, json_array());
}

void instance_rules(http_req *r)
{
	http_reply_json(r, 200, rules_json(&r->arena));
}

void instance_preferences(http_req *r)
{
	const account *acc = api_principal(r)->account;
	http_reply_json(r, 200,
			json_pack("{s:s,s:b,s:o,s:s,s:b}",
				  "posting:default:visibility",
				  acc->privacy ? acc->privacy : "public",
				  "posting:default:sensitive", acc->sensitive,
				  "posting:default:language",
				  acc->language ? json_string(acc->language)
						: json_null(),
				  "reading:expand:media", "default",
				  "reading:expand:spoilers", 0));
}

static const char *const marker_timelines[] = {"home", "notifications"};

void markers_get(http_req *r)
{
	size_t n;
	const char **wanted = http_param_list(r, "timeline", &n);
	json_t *out = json_object();
	for (size_t i = 0; i < 2; i++) {
		bool asked = n == 0;
		for (size_t k = 0; k < n; k++)
			asked |= !strcmp(wanted[k], marker_timelines[i]);
		store_marker m;
		if (!asked ||
		    !store_marker_get(api_viewer(r), marker_timelines[i], &m))
			continue;
		json_object_set_new(
			out, marker_timelines[i],
			json_pack("{s:s,s:I,s:o}", "last_read_id",
				  render_id(&r->arena, m.last_read_id),
				  "version", (json_int_t)m.version,
				  "updated_at", render_time(m.updated_at)));
	}
	http_reply_json(r, 200, out);
}

void markers_set(http_req *r)
{
	int64_t now = time_now_ms();
	for (size_t i = 0; i < 2; i++) {
		const char *v = http_param_get(
			r, arena_printf(&r->arena, "%s[last_read_id]",
					marker_timelines[i]));
		int64_t id;
		if (!v)
			continue;
		if (!id_parse(v, &id)) {
			http_reply_error(r, 422,
					 "Validation failed: Last read id is "
					 "invalid");
			return;
		}
		if (store_marker_set(api_viewer(r), marker_timelines[i], id,
				     now) < 0) {
			http_reply_error(r, 500, "Internal server error");
			return;
		}
	}
	markers_get(r);
}

void nodeinfo_links(http_req *r)
{
	http_reply_json(
		r, 200,
		json_pack("{s:[{s:s,s:s}]}", "links", "rel",
			  "http://nodeinfo.diaspora.software/ns/schema/2.0",
			  "href",
			  arena_printf(&r->arena, "%s/nodeinfo/2.0",
				       cfg.base_url)));
}

void nodeinfo_document(http_req *r)
{
	json_int_t users = (json_int_t)store_count_local_users();
	http_reply_json(
		r, 200,
		json_pack("{s:s,s:{s:s,s:s},s:[s],s:{s:[],s:[]},"
			  "s:{s:{s:I,s:I,s:I},s:I},s:b,s:{s:s,s:{s:s,s:s}}}",
			  "version", "2.0", "software", "name", "chorus",
			  "version", CHORUS_VERSION, "protocols", "activitypub",
			  "services", "inbound", "outbound", "usage", "users",
			  "total", users, "activeMonth", users,
			  "activeHalfyear", users, "localPosts",
			  (json_int_t)store_count_local_statuses(),
			  "openRegistrations",
			  cfg.registration_mode == REGISTRATIONS_OPEN,
			  "metadata", "nodeName", cfg.title, "upstream", "name",
			  "mastodon", "version", "4.3.0"));
}

void streaming_health(http_req *r)
{
	http_reply_raw(r, 200, "text/plain; charset=utf-8", "OK", 2);
}

/* The stand-in avatar and header: a 1×1 grey PNG, so every account has
 * the image URLs clients expect. */
void default_image(http_req *r)
{
	static const unsigned char png[] = {
		0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00,
		0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a,
		0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41,
		0x54, 0x78, 0x9c, 0x63, 0x38, 0x06, 0x00, 0x00, 0xc8, 0x00,
		0xc7, 0x60, 0xf3, 0x94, 0xaf, 0x00, 0x00, 0x00, 0x00, 0x49,
		0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
	};
	http_set_header(r, "Cache-Control", "public, max-age=31536000");
	http_reply_raw(r, 200, "image/png", (const char *)png, sizeof png);
}
