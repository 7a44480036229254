/* limits.c — the API's rate limits: which requests count against which
 * [limits] rate, and the X-RateLimit headers and 429s Mastodon clients
 * read (core/ratelimit.h counts). */
#include "api/api.h"

#include "core/buf.h"
#include "core/cidr.h"
#include "core/config.h"
#include "core/ratelimit.h"
#include "core/time.h"

#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

static ratelimit_rule rules[LIMIT_COUNT];
static cidr_list exempt;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void rule(api_limit which, const char *text)
{
	if (!config_rate(text, &rules[which].limit, &rules[which].period_ms))
		rules[which] = (ratelimit_rule){0}; /* checked at load */
}

static void load(void)
{
	rule(LIMIT_API, cfg.limit_api);
	rule(LIMIT_API_ANONYMOUS, cfg.limit_api_anonymous);
	rule(LIMIT_SIGN_IN, cfg.limit_sign_in);
	rule(LIMIT_SIGN_UP, cfg.limit_sign_up);
	rule(LIMIT_STATUSES, cfg.limit_statuses);
	rule(LIMIT_MEDIA, cfg.limit_media);
	rule(LIMIT_FOLLOWS, cfg.limit_follows);
	rule(LIMIT_REPORTS, cfg.limit_reports);
	if (cidr_list_parse(cfg.limits_exempt ? cfg.limits_exempt : "", &exempt,
			    NULL) < 0)
		exempt = (cidr_list){0};
	ratelimit_init();
}

bool api_limit_exempt(http_req *r)
{
	pthread_once(&once, load);
	const cidr_addr *a = http_client_address(r);
	return a && cidr_list_contains(&exempt, a);
}

const char *api_client_address(http_req *r)
{
	const cidr_addr *a = http_client_address(r);
	if (!a)
		return NULL;
	char *text = arena_alloc(&r->arena, CIDR_ADDR_TEXT);
	cidr_addr_format(a, text);
	return text;
}

const char *api_limit_source(http_req *r)
{
	return api_limit_exempt(r) ? NULL : api_client_address(r);
}

/* v in decimal in r's arena (printf's cost, three times a request, was
 * measurable on the fastest answers). */
static const char *decimal(http_req *r, long v)
{
	buf b;
	buf_init(&b, &r->arena);
	buf_put_int(&b, v);
	return b.data;
}

/* The headers' values live in r's arena: http_set_header keeps the
 * pointers until the reply goes. A window's end is the same for every
 * request in it: each thread keeps the last one it formatted. */
static void set_headers(http_req *r, const ratelimit_state *st)
{
	static _Thread_local int64_t last_reset = -1;
	static _Thread_local char last_text[TIME_RFC3339_LEN];
	if (st->reset_ms != last_reset) {
		time_format_rfc3339(st->reset_ms, last_text);
		last_reset = st->reset_ms;
	}
	http_set_header(r, "X-RateLimit-Limit", decimal(r, st->limit));
	http_set_header(r, "X-RateLimit-Remaining", decimal(r, st->remaining));
	http_set_header(
		r, "X-RateLimit-Reset",
		arena_strndup(&r->arena, last_text, TIME_RFC3339_LEN - 1));
}

bool api_limit_take(http_req *r, api_limit limit, int64_t who, bool headers)
{
	pthread_once(&once, load);
	if (r->limited || !rules[limit].limit)
		return true;
	if (api_limit_exempt(r)) {
		r->limited = true; /* settled for the rest of the request */
		return true;
	}
	const cidr_addr *a = http_client_address(r);
	ratelimit_state st;
	int64_t now = time_now_ms();
	bool ok = who ? ratelimit_hit((int)limit, &who, sizeof who,
				      &rules[limit], now, &st)
		  : a ? ratelimit_hit((int)limit, a->bytes,
				      a->family == AF_INET ? 4 : 16,
				      &rules[limit], now, &st)
		      : true;
	if (ok) {
		if (headers && (who || a))
			set_headers(r, &st);
		return true;
	}
	/* the limit that refused is the one the headers speak of */
	size_t kept = 0;
	for (size_t i = 0; i < r->nheaders; i++)
		if (strncmp(r->headers[i].name, "X-RateLimit-", 12))
			r->headers[kept++] = r->headers[i];
	r->nheaders = kept;
	set_headers(r, &st);
	http_set_header(
		r, "Retry-After",
		arena_printf(&r->arena, "%lld",
			     (long long)((st.reset_ms - now + 999) / 1000)));
	http_reply_error(r, 429, "Too many requests");
	return false;
}
