/* config.h — every tunable of chorus, with its default, in one table.
 *
 * Values come from, in order: the defaults in config.c, the INI file given
 * with --config (sections and keys as in docs/configuration.md), then
 * command-line flags. After config_finish() the global config is read-only
 * and shared by all threads. */
#ifndef CHORUS_CONFIG_H
#define CHORUS_CONFIG_H

#include "core/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who may sign up through the API and the web pages ([instance]
 * registrations): anyone, anyone with a moderator's approval, or only
 * those with an invite (who never wait for approval). */
typedef enum registration_mode {
	REGISTRATIONS_OPEN,
	REGISTRATIONS_APPROVAL,
	REGISTRATIONS_CLOSED,
} registration_mode;

typedef struct config {
	/* [server] */
	int port;
	char *bind;
	char *base_url; /* absolute URL clients reach us at; derived if empty */
	char *domain;	/* host[:port] part of base_url, derived */
	int threads;	/* HTTP worker threads; 0 = one per core */
	long max_body_bytes;
	long max_url_bytes;    /* path and query; longer gets 414 */
	int max_params;	       /* parameters of one request */
	int max_list_items;    /* items of one list parameter */
	int max_json_depth;    /* nesting of a JSON request body */
	long max_output_bytes; /* large replies waiting for slow clients */
	bool access_log;
	/* a request's headers must be complete this long after its
	 * connection opened or its previous response went out */
	int header_timeout_seconds;
	int idle_timeout_seconds;	 /* a silent connection is closed */
	int max_connections_per_address; /* 0 = no cap */
	/* addresses and CIDR ranges whose X-Forwarded-For is believed */
	char *trusted_proxies;
	/* [limits]: each rate "COUNT/PERIOD" (config_rate), "0" for none */
	char *limits_exempt; /* addresses no limit applies to */
	char *limit_api, *limit_api_anonymous, *limit_sign_in, *limit_sign_up;
	char *limit_statuses, *limit_media, *limit_follows, *limit_reports;
	int sign_in_failures; /* an account's from one address before the
				 lockout; 0: no lockout */
	int sign_in_lock_max_seconds;
	/* [data] */
	char *data_dir;
	char *database_url; /* PostgreSQL (libpq URI); SQLite when "" */
	char *synchronous;  /* SQLite synchronous: full or normal */
	/* [instance] */
	char *title;
	char *description;
	char *contact_email;
	char *rules;		 /* the server's rules, separated by '|' */
	bool registrations_open; /* the older key: false is "closed" */
	char *registrations;	 /* open, approval or closed */
	registration_mode registration_mode; /* of both, as config_finish
						read them */
	/* [statuses] */
	int max_characters;
	int url_weight;
	int max_status_bytes; /* text + spoiler_text, raw UTF-8 bytes */
	int max_media_attachments;
	int max_pinned;
	int context_anonymous_ancestors;
	int context_anonymous_descendants;
	int context_max;
	long list_max_bytes; /* stored text one unpaged list loads */
	int idempotency_seconds;
	/* [accounts] */
	int password_min_length;
	int web_session_idle_days; /* a browser session unused this long ends */
	int max_display_name;
	int max_note;
	int max_fields;
	int max_field_name;  /* characters of a profile field's name */
	int max_field_value; /* characters of a profile field's value */
	int max_featured_tags;
	/* [trends] */
	bool trends_require_review; /* only approved tags trend */
	/* [search] */
	int search_max_query; /* characters in q; longer gets 422 */
	int search_max_terms; /* words, phrases and operators in q */
	int search_max_offset;
	/* [cache] */
	int cache_statuses;	    /* slots for rendered statuses */
	long cache_statuses_bytes;  /* their budget in bytes */
	int cache_accounts;	    /* slots for rendered accounts */
	long cache_accounts_bytes;  /* their budget in bytes */
	int cache_relations;	    /* readers' blocks and mutes kept */
	long cache_relations_bytes; /* their budget in bytes */
	int cache_home_feeds;	    /* home timelines kept in memory */
	int cache_home_feed_length; /* newest ids kept per home timeline */
	int cache_pages;	    /* anonymous web pages kept */
	long cache_pages_bytes;	    /* their budget in bytes */
	int cache_page_seconds;	    /* longest a page is kept */
	/* [media] */
	long image_max_bytes, video_max_bytes; /* upload size limits */
	long image_max_pixels;		       /* input width × height */
	int image_max_width, image_max_height; /* output box */
	int preview_size;		       /* the small image's box */
	int video_max_width, video_max_height; /* output box */
	long video_max_bitrate;		       /* bits/s */
	int video_max_fps;
	int video_max_seconds;
	int process_timeout;   /* seconds per ffmpeg run */
	int description_limit; /* alt text, characters */
	int unattached_hours;  /* uploads never attached are removed */
	/* [streaming] */
	int stream_heartbeat_seconds;
	int stream_session_check_ms; /* re-check open streams' tokens */
	long stream_max_queue_bytes; /* unsent bytes before a client is
				      * dropped as too slow */
	/* [jobs] */
	int job_workers;
	/* federation: fetches may reach internal addresses, and http */
	bool fed_allow_private;
	bool fed_authorized_fetch;     /* documents only for signed GETs */
	int fed_fetch_timeout_seconds; /* a whole request, redirects too */
	long fed_max_document_bytes;   /* a fetched or received document */
	int fed_max_redirects;	       /* a fetch follows at most these */
	int fed_first_retry_seconds;   /* a failed delivery's first wait */
	int fed_fetch_threads;	       /* requests waiting on another server */
	int fed_fetch_queue;	    /* …and those waiting for them, or 429 */
	int fed_inbox_queue;	    /* verified deliveries waiting to be kept */
	int fed_delivery_workers;   /* job workers that only deliver */
	int fed_server_concurrency; /* deliveries to one server at once */
	int fed_unreachable_after_seconds; /* failing this long: tried… */
	int fed_unreachable_retry_seconds; /* …this rarely */
	/* [security] */
	long argon2_ops;
	long argon2_mem_kib;
	int password_threads; /* hashing work threads; 0 = one per core */
	int password_queue;   /* sign-ins waiting for them, else 429 */
	int password_nice;    /* their nice value: requests go first */
	/* [metrics] */
	char *metrics_allow; /* networks /metrics answers (core/cidr.h) */
	/* [log] */
	char *log_format; /* text or json */
} config;

extern config cfg;

/* Fill cfg with the defaults. */
void config_defaults(void);
/* Read an INI file over the current values. Returns 0, or -1 with a message
 * on stderr naming the file and line. */
int config_load(const char *path);
/* Set one key ("section.key") from a string; -1 if unknown or malformed. */
int config_set(const char *dotted_key, const char *value);
/* Derive base_url/domain and other dependent values; call once after all
 * sources were applied. */
void config_finish(void);
/* The server's rules ([instance] rules split at '|', trimmed, empty ones
 * dropped) into out[0..max), arena copies; returns how many. */
size_t config_rules(arena *a, const char **out, size_t max);
/* A [limits] rate, "COUNT/PERIOD" (PERIOD a number and s, m, h or d:
 * "300/5m"), or "0" for none: *count and *period_ms (0, 0 for none).
 * False when text is neither. */
bool config_rate(const char *text, long *count, int64_t *period_ms);
/* Print every key with its current value in INI form (for `chorus config`). */
void config_print(void);

#endif
