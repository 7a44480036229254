/* common.c — the auth guard and helpers every API resource uses. */
#include "api/api.h"

#include "core/cache.h"
#include "core/config.h"
#include "core/id.h"
#include "core/replies.h"
#include "core/time.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { LANGUAGE_SUBTAG_MAX = 16 };

bool api_language_valid(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz");
	if (n < 2 || n > 3)
		return false;
	if (!s[n])
		return true;
	if (s[n] != '-' && s[n] != '_')
		return false;
	size_t rest = strspn(s + n + 1, "abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	return rest >= 2 && rest <= LANGUAGE_SUBTAG_MAX && !s[n + 1 + rest];
}

static const char *bearer_token(http_req *r)
{
	const char *h = http_header_get(r, "Authorization");
	if (h && !strncasecmp(h, "Bearer ", 7)) {
		h += 7;
		while (*h == ' ')
			h++;
		return *h ? h : NULL;
	}
	/* legacy clients and streaming put it in the query */
	for (size_t i = 0; i < r->nparams; i++)
		if (r->params[i].from_query &&
		    !strcmp(r->params[i].key, "access_token"))
			return r->params[i].value;
	return NULL;
}

static bool kept_wanted(http_req *r)
{
	return r->route && r->route->kept && !strcmp(r->method, "GET") &&
	       !bearer_token(r);
}

/* Serve the answer kept for an anonymous GET of a kept route; false on a
 * miss. */
static bool kept_reply_sent(http_req *r)
{
	kept_reply k;
	if (!kept_wanted(r) ||
	    !replies_get(http_request_key(r, "api"), &r->arena, false, &k))
		return false;
	for (size_t i = 0; i < k.nheaders; i++)
		http_set_header(r, k.headers[2 * i], k.headers[2 * i + 1]);
	http_reply_raw(r, k.status, k.type, k.body, k.len);
	r->from_kept = true;
	return true;
}

/* Keep a 200 just made for an anonymous GET of a kept route. */
static void kept_store(http_req *r)
{
	if (r->work || !r->responded || r->from_kept || r->status != 200 ||
	    r->resp_fd >= 0 || !replies_enabled() || !kept_wanted(r))
		return;
	const char **h =
		arena_alloc(&r->arena, (2 * r->nheaders + 1) * sizeof *h);
	size_t nh = 0;
	for (size_t i = 0; i < r->nheaders; i++) {
		/* the client's own count is not part of the answer */
		if (!strncmp(r->headers[i].name, "X-RateLimit-", 12))
			continue;
		h[2 * nh] = r->headers[i].name;
		h[2 * nh++ + 1] = r->headers[i].value;
	}
	kept_reply k = {
		.status = r->status,
		.type = r->resp_type,
		.body = r->resp_body,
		.len = r->resp_len,
		.headers = h,
		.nheaders = nh,
	};
	replies_put(http_request_key(r, "api"), &k);
}

bool api_guard(http_req *r, const http_route *route)
{
	/* the answer's stamps, then one snapshot for the token lookup and
	 * the handler's reads (core/replies.h); a kept answer wants only
	 * the stamps */
	replies_begin();
	const char *token = bearer_token(r);
	/* without a token, a request counts against its address's limit
	 * (kept answers too), or its route's own (signing in) */
	if (!token && !api_limit_take(r,
				      route->limit ? (api_limit)route->limit
						   : LIMIT_API_ANONYMOUS,
				      0, true))
		return false;
	if (!token)
		r->limited = true;
	if (!token && route->auth == API_PUBLIC) {
		cache_request_begin();
		if (kept_reply_sent(r))
			return false;
	}
	store_read_begin();
	render_set_context(READ_THREAD);
	if (!token) {
		if (route->auth == API_PUBLIC)
			return true;
		http_reply_error(r, 401, "The access token is invalid");
		return false;
	}
	principal *p = arena_alloc(&r->arena, sizeof *p);
	if (!auth_principal(&r->arena, token, p)) {
		/* a wrong token counts as none: guessing them is limited */
		if (api_limit_take(r, LIMIT_API_ANONYMOUS, 0, true))
			http_reply_error(r, 401, "The access token is invalid");
		return false;
	}
	r->user = p;
	if (route->auth == API_USER && !p->account_id) {
		http_reply_error(r, 422,
				 "This method requires an authenticated user");
		return false;
	}
	/* a public route with a token still checks its read scope, as
	 * Mastodon's doorkeeper does */
	if (route->scope && !auth_scope_allows(p->scopes, route->scope)) {
		http_reply_error(r, 403,
				 "This action is outside the authorized "
				 "scopes");
		return false;
	}
	/* per token, then the route's own: per account, or per address
	 * for signing in and up */
	api_limit own = (api_limit)route->limit;
	bool within =
		api_limit_take(r, LIMIT_API, p->token_id, true) &&
		(!own ||
		 api_limit_take(r, own,
				own == LIMIT_SIGN_IN || own == LIMIT_SIGN_UP
					? 0
					: p->account_id,
				false));
	r->limited = true;
	return within;
}

void api_after(http_req *r)
{
	kept_store(r);
	store_read_end();
}

/* A queue that is full now drains in well under a second (32 sign-ins
 * over the hashing threads at ~40 ms each). */
const char api_busy_retry_after[] = "1";

bool api_defer_password(http_req *r, http_work_fn fn, void *ctx)
{
	return http_defer_to(r, API_POOL_PASSWORD, fn, ctx);
}

void api_reply_busy(http_req *r)
{
	http_set_header(r, "Retry-After", api_busy_retry_after);
	http_reply_error(r, 429, "Too many requests");
}

const principal *api_principal(http_req *r)
{
	return r->user;
}

int64_t api_viewer(http_req *r)
{
	const principal *p = r->user;
	return p ? p->account_id : 0;
}

bool api_path_id(http_req *r, int i, int64_t *id)
{
	if (id_parse(http_path_param(r, i), id))
		return true;
	http_reply_error(r, 404, "Record not found");
	return false;
}

static int64_t param_id(http_req *r, const char *key)
{
	int64_t v = 0;
	const char *s = http_param_get(r, key);
	return s && id_parse(s, &v) ? v : 0;
}

void api_page(http_req *r, page *p, int def, int max)
{
	p->max_id = param_id(r, "max_id");
	p->since_id = param_id(r, "since_id");
	p->min_id = param_id(r, "min_id");
	const char *l = http_param_get(r, "limit");
	long limit = l ? strtol(l, NULL, 10) : def;
	if (limit < 1)
		limit = l ? 1 : def;
	if (limit > max)
		limit = max;
	p->limit = (int)limit;
}

void api_link(http_req *r, int64_t next_max_id, int64_t prev_min_id)
{
	if (!next_max_id && !prev_min_id)
		return;
	static const char *const cursors[] = {"max_id", "min_id", "since_id",
					      NULL};
	buf b;
	buf_init(&b, &r->arena);
	/* next first: toot only finds it at the start of the header */
	if (next_max_id)
		buf_printf(&b, "<%s>; rel=\"next\"",
			   http_url_with(r, cfg.base_url, cursors, "max_id",
					 render_id(&r->arena, next_max_id)));
	if (prev_min_id)
		buf_printf(&b, "%s<%s>; rel=\"prev\"", b.len ? ", " : "",
			   http_url_with(r, cfg.base_url, cursors, "min_id",
					 render_id(&r->arena, prev_min_id)));
	http_set_header(r, "Link", b.data);
}

void api_reply_dom(http_req *r, dom_err err, const char *msg)
{
	switch (err) {
	case DOM_OK: http_reply_json(r, 200, json_object()); return;
	case DOM_NOT_FOUND:
		http_reply_error(r, 404, msg ? msg : "Record not found");
		return;
	case DOM_FORBIDDEN:
		http_reply_error(r, 403,
				 msg ? msg : "This action is not allowed");
		return;
	case DOM_INVALID:
		http_reply_error(r, 422, msg ? msg : "Validation failed");
		return;
	case DOM_BAD_REQUEST:
		http_reply_error(r, 400, msg ? msg : "Bad request");
		return;
	case DOM_INTERNAL:
		http_reply_error(r, 500, "Internal server error");
		return;
	}
}

void api_reply_status(http_req *r, int64_t id)
{
	status s;
	int64_t viewer = api_viewer(r);
	/* a page of one: on PostgreSQL its row, what it boosts and the
	 * reader's flags in one statement */
	if (viewer)
		store_statuses_prefetch(&r->arena, &id, 1, viewer);
	bool seen = status_load_visible(&r->arena, viewer, id, &s);
	store_statuses_prefetch_end();
	if (!seen) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	buf b;
	buf_init(&b, &r->arena);
	render_status_into(&r->arena, &b, &s, viewer);
	http_reply_raw(r, 200, "application/json; charset=utf-8", b.data,
		       b.len);
}

void api_reply_statuses(http_req *r, status *const *items, size_t n)
{
	buf b;
	buf_init(&b, &r->arena);
	render_statuses_into(&r->arena, &b, items, n, api_viewer(r));
	http_reply_raw(r, 200, "application/json; charset=utf-8", b.data,
		       b.len);
}

void api_reply_account_list(http_req *r, store_list kind, int64_t arg)
{
	enum { ACCOUNTS_PAGE_DEFAULT = 40, ACCOUNTS_PAGE_MAX = 80 };
	page p;
	api_page(r, &p, ACCOUNTS_PAGE_DEFAULT, ACCOUNTS_PAGE_MAX);
	int64_t *ids = arena_alloc(&r->arena, (size_t)p.limit * sizeof *ids);
	int64_t *keys = arena_alloc(&r->arena, (size_t)p.limit * sizeof *keys);
	size_t n = store_list_page(kind, arg, &p, ids, keys);
	/* who acted on a post is a list the reader's blocks and mutes
	 * apply to; their own lists are not */
	bool listed = kind == STORE_LIST_FAVOURITED_BY ||
		      kind == STORE_LIST_REBLOGGED_BY;
	int64_t viewer = api_viewer(r);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		account acc;
		if ((listed &&
		     !visibility_account_listed(&r->arena, viewer, ids[i],
						READ_PUBLIC)) ||
		    !store_account_get(&r->arena, ids[i], &acc))
			continue;
		json_t *j = render_account(&r->arena, &acc);
		int64_t until;
		if (kind == STORE_LIST_MUTES &&
		    store_mute_get(arg, ids[i], time_now_ms(), NULL, NULL,
				   &until))
			json_object_set_new(j, "mute_expires_at",
					    until ? render_time(until)
						  : json_null());
		json_array_append_new(arr, j);
	}
	if (n)
		api_link(r, keys[n - 1], keys[0]);
	http_reply_json(r, 200, arr);
}

bool api_param_ids(http_req *r, const char *key, int64_t **out, size_t *n)
{
	const char **v = http_param_list(r, key, n);
	*out = arena_alloc(&r->arena, (*n + 1) * sizeof **out);
	for (size_t i = 0; i < *n; i++)
		if (!id_parse(v[i], &(*out)[i]))
			return false;
	return true;
}

bool api_param_long(http_req *r, const char *key, long def, long *out)
{
	const char *s = http_param_get(r, key);
	if (!s || !*s) {
		*out = def;
		return true;
	}
	/* digits, with an optional '-': no spaces, no '+' */
	const char *digits = s + (*s == '-');
	if (!*digits || strspn(digits, "0123456789") != strlen(digits))
		return false;
	*out = strtol(s, NULL, 10); /* saturates */
	return true;
}
