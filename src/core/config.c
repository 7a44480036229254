#include "core/config.h"

#include "core/cidr.h"
#include "core/metrics.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

config cfg;

typedef enum { CFG_INT, CFG_LONG, CFG_BOOL, CFG_STR } cfg_type;

/* A value's check beyond its type: 0, or -1 with why in err. */
typedef int (*cfg_check)(const char *value, char *err, size_t errlen);

typedef struct cfg_key {
	const char *section, *name;
	cfg_type type;
	size_t offset;
	const char *def;
	cfg_check check; /* NULL: the type says it all */
} cfg_key;

#define KEY(sec, name, type, field, def)                                       \
	{                                                                      \
		sec, name, type, offsetof(config, field), def, NULL            \
	}
#define KEY_CHECKED(sec, name, type, field, def, check)                        \
	{                                                                      \
		sec, name, type, offsetof(config, field), def, check           \
	}

static const char *const registration_modes[] = {
	[REGISTRATIONS_OPEN] = "open",
	[REGISTRATIONS_APPROVAL] = "approval",
	[REGISTRATIONS_CLOSED] = "closed",
};

/* [instance] registrations: one of registration_modes. */
static int check_registrations(const char *value, char *err, size_t errlen)
{
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(value, registration_modes[i]))
			return 0;
	snprintf(err, errlen, "is open, approval or closed");
	return -1;
}

/* [server] trusted_proxies, [metrics] allow: a list cidr_list_parse
 * accepts. */
static int check_cidr_list(const char *value, char *err, size_t errlen)
{
	cidr_list l;
	const char *bad = NULL;
	if (cidr_list_parse(value, &l, &bad) == 0) {
		cidr_list_free(&l);
		return 0;
	}
	bad = bad ? bad : "";
	snprintf(err, errlen,
		 "\"%.*s\" is not an IPv4 or IPv6 address or network",
		 (int)strcspn(bad, ","), bad);
	return -1;
}

bool config_rate(const char *text, long *count, int64_t *period_ms)
{
	char *end;
	*count = 0;
	*period_ms = 0;
	if (!strcmp(text, "0"))
		return true;
	long n = strtol(text, &end, 10);
	if (end == text || n <= 0 || *end != '/')
		return false;
	const char *p = end + 1;
	long t = strtol(p, &end, 10);
	if (end == p || t <= 0 || end[0] == '\0' || end[1] != '\0')
		return false;
	int64_t unit = end[0] == 's'   ? 1000
		       : end[0] == 'm' ? 60000
		       : end[0] == 'h' ? 3600000
		       : end[0] == 'd' ? 86400000
				       : 0;
	if (!unit || t > 366 * 86400000LL / unit)
		return false;
	*count = n;
	*period_ms = t * unit;
	return true;
}

static int check_rate(const char *value, char *err, size_t errlen)
{
	long n;
	int64_t ms;
	if (config_rate(value, &n, &ms))
		return 0;
	snprintf(err, errlen,
		 "must be COUNT/PERIOD (\"300/5m\"; s, m, h or d) or 0");
	return -1;
}

static int check_log_format(const char *value, char *err, size_t errlen)
{
	if (!strcmp(value, "text") || !strcmp(value, "json"))
		return 0;
	snprintf(err, errlen, "must be text or json");
	return -1;
}

/* The one table of defaults; docs/configuration.md documents each row. */
static const cfg_key cfg_keys[] = {
	KEY("server", "port", CFG_INT, port, "3000"),
	KEY("server", "bind", CFG_STR, bind, "127.0.0.1"),
	KEY("server", "base_url", CFG_STR, base_url, ""),
	KEY("server", "threads", CFG_INT, threads, "0"),
	KEY("server", "max_body_bytes", CFG_LONG, max_body_bytes, "1048576"),
	KEY("server", "max_url_bytes", CFG_LONG, max_url_bytes, "8192"),
	KEY("server", "max_params", CFG_INT, max_params, "1000"),
	KEY("server", "max_list_items", CFG_INT, max_list_items, "200"),
	KEY("server", "max_json_depth", CFG_INT, max_json_depth, "16"),
	KEY("server", "max_output_bytes", CFG_LONG, max_output_bytes,
	    "33554432"),
	KEY("server", "access_log", CFG_BOOL, access_log, "true"),
	KEY("server", "header_timeout_seconds", CFG_INT, header_timeout_seconds,
	    "30"),
	KEY("server", "idle_timeout_seconds", CFG_INT, idle_timeout_seconds,
	    "30"),
	KEY("server", "max_connections_per_address", CFG_INT,
	    max_connections_per_address, "256"),
	KEY_CHECKED("server", "trusted_proxies", CFG_STR, trusted_proxies, "",
		    check_cidr_list),
	KEY_CHECKED("limits", "exempt", CFG_STR, limits_exempt,
		    "127.0.0.0/8, ::1", check_cidr_list),
	KEY_CHECKED("limits", "api", CFG_STR, limit_api, "300/5m", check_rate),
	KEY_CHECKED("limits", "api_anonymous", CFG_STR, limit_api_anonymous,
		    "300/5m", check_rate),
	KEY_CHECKED("limits", "sign_in", CFG_STR, limit_sign_in, "25/5m",
		    check_rate),
	KEY_CHECKED("limits", "sign_up", CFG_STR, limit_sign_up, "5/30m",
		    check_rate),
	KEY_CHECKED("limits", "statuses", CFG_STR, limit_statuses, "300/3h",
		    check_rate),
	KEY_CHECKED("limits", "media", CFG_STR, limit_media, "30/30m",
		    check_rate),
	KEY_CHECKED("limits", "follows", CFG_STR, limit_follows, "400/24h",
		    check_rate),
	KEY_CHECKED("limits", "reports", CFG_STR, limit_reports, "400/24h",
		    check_rate),
	KEY("limits", "sign_in_failures", CFG_INT, sign_in_failures, "5"),
	KEY("limits", "sign_in_lock_max_seconds", CFG_INT,
	    sign_in_lock_max_seconds, "3600"),
	KEY("data", "dir", CFG_STR, data_dir, "./data"),
	KEY("data", "synchronous", CFG_STR, synchronous, "normal"),
	KEY("database", "url", CFG_STR, database_url, ""),
	KEY("instance", "title", CFG_STR, title, "chorus"),
	KEY("instance", "description", CFG_STR, description,
	    "A place where one post can start a movement."),
	KEY("instance", "contact_email", CFG_STR, contact_email, ""),
	KEY("instance", "rules", CFG_STR, rules,
	    "Be kind: harassment, threats and hate have no place here. | "
	    "Respect content warnings and the boundaries people set."),
	KEY("instance", "registrations_open", CFG_BOOL, registrations_open,
	    "true"),
	KEY_CHECKED("instance", "registrations", CFG_STR, registrations, "open",
		    check_registrations),
	KEY("statuses", "max_characters", CFG_INT, max_characters, "500"),
	KEY("statuses", "characters_reserved_per_url", CFG_INT, url_weight,
	    "23"),
	KEY("statuses", "max_media_attachments", CFG_INT, max_media_attachments,
	    "4"),
	KEY("statuses", "max_bytes", CFG_INT, max_status_bytes, "16384"),
	KEY("statuses", "max_pinned", CFG_INT, max_pinned, "5"),
	KEY("statuses", "context_anonymous_ancestors", CFG_INT,
	    context_anonymous_ancestors, "40"),
	KEY("statuses", "context_anonymous_descendants", CFG_INT,
	    context_anonymous_descendants, "60"),
	KEY("statuses", "context_max", CFG_INT, context_max, "4096"),
	KEY("statuses", "list_max_bytes", CFG_LONG, list_max_bytes, "8388608"),
	KEY("statuses", "idempotency_seconds", CFG_INT, idempotency_seconds,
	    "3600"),
	KEY("accounts", "password_min_length", CFG_INT, password_min_length,
	    "8"),
	KEY("accounts", "web_session_idle_days", CFG_INT, web_session_idle_days,
	    "30"),
	KEY("accounts", "max_display_name", CFG_INT, max_display_name, "30"),
	KEY("accounts", "max_note", CFG_INT, max_note, "500"),
	KEY("accounts", "max_fields", CFG_INT, max_fields, "4"),
	KEY("accounts", "max_field_name", CFG_INT, max_field_name, "255"),
	KEY("accounts", "max_field_value", CFG_INT, max_field_value, "255"),
	KEY("accounts", "max_featured_tags", CFG_INT, max_featured_tags, "10"),
	KEY("trends", "require_review", CFG_BOOL, trends_require_review,
	    "false"),
	KEY("search", "max_query", CFG_INT, search_max_query, "1000"),
	KEY("search", "max_terms", CFG_INT, search_max_terms, "32"),
	KEY("search", "max_offset", CFG_INT, search_max_offset, "1000"),
	KEY("cache", "statuses", CFG_INT, cache_statuses, "8192"),
	KEY("cache", "statuses_bytes", CFG_LONG, cache_statuses_bytes,
	    "16777216"),
	KEY("cache", "accounts", CFG_INT, cache_accounts, "32768"),
	KEY("cache", "accounts_bytes", CFG_LONG, cache_accounts_bytes,
	    "8388608"),
	KEY("cache", "relations", CFG_INT, cache_relations, "4096"),
	KEY("cache", "relations_bytes", CFG_LONG, cache_relations_bytes,
	    "8388608"),
	KEY("cache", "home_feeds", CFG_INT, cache_home_feeds, "2048"),
	KEY("cache", "home_feed_length", CFG_INT, cache_home_feed_length,
	    "400"),
	KEY("cache", "pages", CFG_INT, cache_pages, "512"),
	KEY("cache", "pages_bytes", CFG_LONG, cache_pages_bytes, "16777216"),
	KEY("cache", "page_seconds", CFG_INT, cache_page_seconds, "30"),
	KEY("media", "image_max_bytes", CFG_LONG, image_max_bytes, "16777216"),
	KEY("media", "video_max_bytes", CFG_LONG, video_max_bytes, "103809024"),
	KEY("media", "image_max_pixels", CFG_LONG, image_max_pixels,
	    "33177600"),
	KEY("media", "image_max_width", CFG_INT, image_max_width, "3840"),
	KEY("media", "image_max_height", CFG_INT, image_max_height, "2160"),
	KEY("media", "preview_size", CFG_INT, preview_size, "640"),
	KEY("media", "video_max_width", CFG_INT, video_max_width, "1920"),
	KEY("media", "video_max_height", CFG_INT, video_max_height, "1080"),
	KEY("media", "video_max_bitrate", CFG_LONG, video_max_bitrate,
	    "4000000"),
	KEY("media", "video_max_fps", CFG_INT, video_max_fps, "60"),
	KEY("media", "video_max_seconds", CFG_INT, video_max_seconds, "600"),
	KEY("media", "process_timeout_seconds", CFG_INT, process_timeout,
	    "300"),
	KEY("media", "description_limit", CFG_INT, description_limit, "1500"),
	KEY("media", "unattached_hours", CFG_INT, unattached_hours, "24"),
	KEY("streaming", "heartbeat_seconds", CFG_INT, stream_heartbeat_seconds,
	    "15"),
	KEY("streaming", "max_queue_bytes", CFG_LONG, stream_max_queue_bytes,
	    "1048576"),
	KEY("streaming", "session_check_ms", CFG_INT, stream_session_check_ms,
	    "1000"),
	KEY("jobs", "workers", CFG_INT, job_workers, "1"),
	KEY("federation", "allow_private_addresses", CFG_BOOL,
	    fed_allow_private, "false"),
	KEY("federation", "fetch_timeout_seconds", CFG_INT,
	    fed_fetch_timeout_seconds, "10"),
	KEY("federation", "max_document_bytes", CFG_LONG,
	    fed_max_document_bytes, "1048576"),
	KEY("federation", "max_redirects", CFG_INT, fed_max_redirects, "3"),
	KEY("federation", "first_retry_seconds", CFG_INT,
	    fed_first_retry_seconds, "30"),
	KEY("federation", "fetch_threads", CFG_INT, fed_fetch_threads, "4"),
	KEY("federation", "authorized_fetch", CFG_BOOL, fed_authorized_fetch,
	    "false"),
	KEY("federation", "delivery_workers", CFG_INT, fed_delivery_workers,
	    "4"),
	KEY("federation", "server_concurrency", CFG_INT, fed_server_concurrency,
	    "2"),
	KEY("federation", "unreachable_after_seconds", CFG_INT,
	    fed_unreachable_after_seconds, "86400"),
	KEY("federation", "unreachable_retry_seconds", CFG_INT,
	    fed_unreachable_retry_seconds, "21600"),
	KEY("federation", "fetch_queue", CFG_INT, fed_fetch_queue, "256"),
	KEY("federation", "inbox_queue", CFG_INT, fed_inbox_queue, "1024"),
	KEY("security", "argon2_ops", CFG_LONG, argon2_ops, "2"),
	KEY("security", "argon2_mem_kib", CFG_LONG, argon2_mem_kib, "19456"),
	KEY("security", "password_threads", CFG_INT, password_threads, "0"),
	KEY("security", "password_queue", CFG_INT, password_queue, "32"),
	KEY("security", "password_nice", CFG_INT, password_nice, "10"),
	KEY_CHECKED("metrics", "allow", CFG_STR, metrics_allow,
		    "127.0.0.1/32, ::1/128", check_cidr_list),
	KEY_CHECKED("log", "format", CFG_STR, log_format, "text",
		    check_log_format),
};

enum { CFG_NKEYS = sizeof cfg_keys / sizeof cfg_keys[0] };

static int cfg_parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes") ||
	    !strcmp(v, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no") ||
	    !strcmp(v, "off")) {
		*out = false;
		return 0;
	}
	return -1;
}

/* Set k from value; -1 when value is malformed, with why in err when the
 * key's check said so (err[0] stays '\0' otherwise). */
static int cfg_assign(const cfg_key *k, const char *value, char *err,
		      size_t errlen)
{
	char *field = (char *)&cfg + k->offset;
	char *end;
	if (errlen)
		err[0] = '\0';
	if (k->check && k->check(value, err, errlen) < 0)
		return -1;
	switch (k->type) {
	case CFG_INT: {
		long v = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || v < 0 || v > 1 << 30)
			return -1;
		*(int *)field = (int)v;
		return 0;
	}
	case CFG_LONG: {
		long v = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || v < 0)
			return -1;
		*(long *)field = v;
		return 0;
	}
	case CFG_BOOL: return cfg_parse_bool(value, (bool *)field);
	case CFG_STR: {
		char **s = (char **)field;
		free(*s);
		*s = strdup(value);
		return *s ? 0 : -1;
	}
	}
	return -1;
}

static const cfg_key *cfg_find(const char *section, const char *name)
{
	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (!strcmp(cfg_keys[i].section, section) &&
		    !strcmp(cfg_keys[i].name, name))
			return &cfg_keys[i];
	return NULL;
}

void config_defaults(void)
{
	for (size_t i = 0; i < CFG_NKEYS; i++)
		cfg_assign(&cfg_keys[i], cfg_keys[i].def, NULL, 0);
}

int config_set(const char *dotted_key, const char *value)
{
	const char *dot = strchr(dotted_key, '.');
	if (!dot)
		return -1;
	char section[64];
	size_t n = (size_t)(dot - dotted_key);
	if (n >= sizeof section)
		return -1;
	memcpy(section, dotted_key, n);
	section[n] = '\0';
	const cfg_key *k = cfg_find(section, dot + 1);
	char err[160];
	if (!k)
		return -1;
	if (cfg_assign(k, value, err, sizeof err) < 0) {
		if (err[0])
			fprintf(stderr, "%s: %s\n", dotted_key, err);
		return -1;
	}
	return 0;
}

static int cfg_ini_handler(void *user, const char *section, const char *name,
			   const char *value)
{
	const char *path = user;
	const cfg_key *k = cfg_find(section, name);
	if (!k) {
		fprintf(stderr, "%s: unknown key [%s] %s\n", path, section,
			name);
		return 0;
	}
	char err[160];
	if (cfg_assign(k, value, err, sizeof err) < 0) {
		fprintf(stderr, "%s: bad value for [%s] %s: %s%s%s\n", path,
			section, name, value, err[0] ? ": " : "", err);
		return 0;
	}
	return 1;
}

int config_load(const char *path)
{
	int rc = ini_parse(path, cfg_ini_handler, (void *)path);
	if (rc == -1) {
		fprintf(stderr, "%s: cannot open config file\n", path);
		return -1;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: error on line %d\n", path, rc);
		return -1;
	}
	return 0;
}

void config_finish(void)
{
	if (!cfg.base_url || !*cfg.base_url) {
		char url[256];
		snprintf(url, sizeof url, "http://%s:%d",
			 strcmp(cfg.bind, "0.0.0.0") ? cfg.bind : "127.0.0.1",
			 cfg.port);
		free(cfg.base_url);
		cfg.base_url = strdup(url);
	}
	size_t n = strlen(cfg.base_url);
	while (n > 0 && cfg.base_url[n - 1] == '/')
		cfg.base_url[--n] = '\0';
	const char *host = strstr(cfg.base_url, "://");
	host = host ? host + 3 : cfg.base_url;
	free(cfg.domain);
	cfg.domain = strndup(host, strcspn(host, "/"));
	if (cfg.threads <= 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		cfg.threads = cores > 0 ? (int)cores : 2;
	}
	if (cfg.password_threads <= 0)
		cfg.password_threads = cfg.threads;
	cfg.registration_mode = REGISTRATIONS_CLOSED;
	for (size_t i = 0; cfg.registrations_open && i < 3; i++)
		if (!strcmp(cfg.registrations, registration_modes[i]))
			cfg.registration_mode = (registration_mode)i;
	if (cfg.fed_first_retry_seconds < 1)
		cfg.fed_first_retry_seconds = 1;
	if (cfg.fed_fetch_threads < 1)
		cfg.fed_fetch_threads = 1;
	if (cfg.fed_delivery_workers < 1)
		cfg.fed_delivery_workers = 1;
	if (cfg.fed_server_concurrency < 1)
		cfg.fed_server_concurrency = 1;
	if (cfg.fed_unreachable_retry_seconds < 1)
		cfg.fed_unreachable_retry_seconds = 1;
}

void config_print(void)
{
	const char *section = "";
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		const cfg_key *k = &cfg_keys[i];
		if (strcmp(section, k->section)) {
			section = k->section;
			printf("%s[%s]\n", i ? "\n" : "", section);
		}
		const char *field = (const char *)&cfg + k->offset;
		switch (k->type) {
		case CFG_INT:
			printf("%s = %d\n", k->name, *(int *)field);
			break;
		case CFG_LONG:
			printf("%s = %ld\n", k->name, *(long *)field);
			break;
		case CFG_BOOL:
			printf("%s = %s\n", k->name,
			       *(bool *)field ? "true" : "false");
			break;
		case CFG_STR:
			printf("%s = %s\n", k->name, *(char **)field);
			break;
		}
	}
}

size_t config_rules(arena *a, const char **out, size_t max)
{
	size_t n = 0;
	for (const char *p = cfg.rules ? cfg.rules : ""; *p && n < max;) {
		size_t len = strcspn(p, "|");
		const char *start = p, *end = p + len;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start)
			out[n++] = arena_printf(a, "%.*s", (int)(end - start),
						start);
		p += len + (p[len] == '|');
	}
	return n;
}
