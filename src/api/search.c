/* search.c — /api/v2/search: accounts, hashtags and statuses at once. */
#include "api/api.h"
#include "text/text.h"

#include "core/config.h"
#include "core/id.h"

#include <stdlib.h>
#include <string.h>

enum { SEARCH_LIMIT_DEFAULT = 20, SEARCH_LIMIT_MAX = 40 };

/* q without the white space around it (arena copy). */
static char *strip(arena *a, const char *q)
{
	while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
		q++;
	size_t n = strlen(q);
	while (n && (q[n - 1] == ' ' || q[n - 1] == '\t' || q[n - 1] == '\n' ||
		     q[n - 1] == '\r'))
		n--;
	return arena_strndup(a, q, n);
}

/* An optional id parameter: 0 when absent; false when present and not an
 * id (then nothing can match it). */
static bool id_param(http_req *r, const char *key, int64_t *out)
{
	const char *s = http_param_get(r, key);
	*out = 0;
	return !s || !*s || id_parse(s, out);
}

/* Parse everything but q into o, replying and returning false on bad
 * input. Mastodon's rules: a negative limit or offset is 400; limit caps
 * at 40; offset only pages a search of one type. */
static bool search_params(http_req *r, const char *type, search_options *o)
{
	long limit, offset;
	memset(o, 0, sizeof *o);
	if (!api_param_long(r, "limit", SEARCH_LIMIT_DEFAULT, &limit) ||
	    !api_param_long(r, "offset", 0, &offset) || limit < 0 ||
	    offset < 0) {
		http_reply_error(r, 400,
				 "Pagination values for `offset` and `limit` "
				 "must be positive");
		return false;
	}
	o->limit = limit > SEARCH_LIMIT_MAX ? SEARCH_LIMIT_MAX : (int)limit;
	o->offset = !type || offset > INT32_MAX ? 0 : (int)offset;
	if (type && offset > cfg.search_max_offset)
		o->offset = cfg.search_max_offset + 1; /* past the end */
	o->following = http_param_bool(r, "following", false);
	return true;
}

/* Which of the three a query is for, as Mastodon decides: "#tag" alone
 * is no account and no full-text search; anything with '@' is no
 * hashtag; "@user" alone (no space) is no full-text search. */
static void search_kinds(const char *q, const char *type, bool signed_in,
			 bool *accounts, bool *hashtags, bool *statuses)
{
	bool space = strchr(q, ' ') != NULL, at = strchr(q, '@') != NULL;
	*accounts = (!type || !strcmp(type, "accounts")) && q[0] != '#' &&
		    !(at && space);
	*hashtags = (!type || !strcmp(type, "hashtags")) && !at;
	*statuses = (!type || !strcmp(type, "statuses")) && signed_in &&
		    !((q[0] == '#' || at) && !space);
}

static json_t *found_accounts(http_req *r, const char *q,
			      const search_options *o)
{
	json_t *arr = json_array();
	account *accs =
		arena_alloc(&r->arena, ((size_t)o->limit + 1) * sizeof *accs);
	size_t n = search_accounts(&r->arena, api_viewer(r), q, o, accs);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, render_account(&r->arena, &accs[i]));
	return arr;
}

static json_t *found_hashtags(http_req *r, const char *q,
			      const search_options *o)
{
	json_t *arr = json_array();
	size_t cap = (size_t)o->limit + 1;
	int64_t *ids = arena_alloc(&r->arena, cap * sizeof *ids);
	const char **names = arena_alloc(&r->arena, cap * sizeof *names);
	size_t n = search_hashtags(&r->arena, q, o, ids, names);
	int64_t viewer = api_viewer(r);
	for (size_t i = 0; i < n; i++) {
		int following =
			viewer ? ids[i] && store_tag_followed(viewer, ids[i])
			       : -1;
		json_array_append_new(arr, render_tag(&r->arena, ids[i],
						      names[i], following));
	}
	return arr;
}

/* A search as its request asked it, for search_answer. */
typedef struct search_query_ctx {
	char *q;
	const char *type;
	int64_t viewer;
	search_options o;
} search_query_ctx;

static bool is_url(const char *q)
{
	return !strncmp(q, "https://", 8) || !strncmp(q, "http://", 7);
}

static void search_work(http_req *r, void *ctx);
static void search_answer(http_req *r, void *ctx);

void search_v2(http_req *r)
{
	render_set_context(READ_PUBLIC);
	const char *raw = http_param_get(r, "q");
	char *q = raw ? strip(&r->arena, raw) : NULL;
	if (!q || !*q) {
		http_reply_error(r, 400,
				 "param is missing or the value is empty: q");
		return;
	}
	int64_t viewer = api_viewer(r);
	if (!viewer && http_param_get(r, "offset")) {
		http_reply_error(r, 401,
				 "Search queries pagination is not supported "
				 "without authentication");
		return;
	}
	if (!viewer && http_param_bool(r, "resolve", false)) {
		http_reply_error(r, 401,
				 "Search queries that resolve remote resources "
				 "are not supported without authentication");
		return;
	}
	const char *type = http_param_get(r, "type");
	if (type && !*type)
		type = NULL;
	search_options o;
	if (!search_params(r, type, &o))
		return;
	if (text_code_points(q) > (size_t)cfg.search_max_query) {
		http_reply_error(r, 422,
				 arena_printf(&r->arena,
					      "Search query is too long (at "
					      "most %d characters)",
					      cfg.search_max_query));
		return;
	}
	o.resolve = viewer && http_param_bool(r, "resolve", false);
	search_query_ctx *ctx = arena_alloc(&r->arena, sizeof *ctx);
	*ctx = (search_query_ctx){q, type, viewer, o};
	/* asking another server takes a while: not on the I/O thread */
	if (o.resolve && (is_url(q) || strchr(q + (q[0] == '@'), '@'))) {
		if (!http_defer_to(r, API_POOL_FETCH, search_work, ctx))
			api_reply_busy(r);
	} else
		search_answer(r, ctx);
}

/* A URL's post or account, alone, as Mastodon answers a resolved URL;
 * false when it names nothing to show (then the query is searched). */
static bool answer_url(http_req *r, const search_query_ctx *c)
{
	account acc;
	status s;
	bool is_status;
	if (!is_url(c->q) || !search_url(&r->arena, c->viewer, c->q,
					 c->o.resolve, &acc, &s, &is_status))
		return false;
	json_t *accounts = json_array(), *statuses = json_array();
	if (is_status)
		json_array_append_new(statuses,
				      render_status(&r->arena, &s, c->viewer));
	else
		json_array_append_new(accounts,
				      render_account(&r->arena, &acc));
	http_reply_json(r, 200,
			json_pack("{s:o,s:o,s:[]}", "accounts", accounts,
				  "statuses", statuses, "hashtags"));
	return true;
}

static void search_work(http_req *r, void *ctx)
{
	render_set_context(READ_PUBLIC);
	search_answer(r, ctx);
}

static void search_answer(http_req *r, void *ctx)
{
	search_query_ctx *c = ctx;
	const char *q = c->q, *type = c->type;
	int64_t viewer = c->viewer;
	search_options o = c->o;
	if (answer_url(r, c))
		return;
	bool accounts, hashtags, statuses;
	search_kinds(q, type, viewer != 0, &accounts, &hashtags, &statuses);
	/* an unknown type searches nothing, as in Mastodon */
	if (o.limit == 0)
		accounts = hashtags = statuses = false;
	status_page found = {0};
	if (statuses) {
		search_query sq;
		const char *msg = NULL;
		dom_err err = search_query_parse(&r->arena, q, &sq, &msg);
		if (err) {
			api_reply_dom(r, err, msg);
			return;
		}
		bool ids_ok = id_param(r, "account_id", &o.account_id) &&
			      id_param(r, "max_id", &o.max_id) &&
			      id_param(r, "min_id", &o.min_id);
		if (ids_ok)
			search_statuses(&r->arena, viewer, &sq, &o, &found);
	}
	json_t *body = json_pack(
		"{s:o,s:o,s:o}", "accounts",
		accounts ? found_accounts(r, q, &o) : json_array(), "statuses",
		render_statuses(&r->arena, found.items, found.count, viewer),
		"hashtags", hashtags ? found_hashtags(r, q, &o) : json_array());
	http_reply_json(r, 200, body);
}
