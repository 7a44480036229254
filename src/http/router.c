/* router.c — match a path against route patterns with ":name" segments.
 *
 * The most specific route wins: among patterns that match, the one with the
 * most literal segments, so /accounts/verify_credentials beats
 * /accounts/:id whatever the table order; between two as specific, the one
 * whose `when` holds beats the one without. Patterns are split once, when
 * the router is built; a request splits only its own path. */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>

/* Split path into segments (pointers into path); returns the count or -1
 * when there are more than HTTP_MAX_SEGMENTS. */
static int split_segments(const char *path, const char *seg[HTTP_MAX_SEGMENTS],
			  size_t len[HTTP_MAX_SEGMENTS])
{
	int n = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		if (n == HTTP_MAX_SEGMENTS)
			return -1;
		const char *end = strchr(p, '/');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		seg[n] = p;
		len[n] = l;
		n++;
		p += l;
	}
	return n;
}

/* A route's pattern, split once when the router is built. */
typedef struct compiled_route {
	const http_route *route;
	int nseg; /* -1: the pattern has too many segments, never matches */
	const char *seg[HTTP_MAX_SEGMENTS];
	size_t len[HTTP_MAX_SEGMENTS];
} compiled_route;

struct http_router {
	size_t n;
	compiled_route routes[];
};

http_router *http_router_new(const http_route *routes, size_t n)
{
	http_router *rt = malloc(sizeof *rt + n * sizeof rt->routes[0]);
	if (!rt)
		return NULL;
	rt->n = n;
	for (size_t i = 0; i < n; i++) {
		compiled_route *c = &rt->routes[i];
		c->route = &routes[i];
		c->nseg = split_segments(routes[i].pattern, c->seg, c->len);
	}
	return rt;
}

void http_router_free(http_router *rt)
{
	free(rt);
}

const http_route *http_router_match(const http_router *router, http_req *r)
{
	const char *seg[HTTP_MAX_SEGMENTS];
	size_t len[HTTP_MAX_SEGMENTS];
	int nseg = split_segments(r->path, seg, len);
	if (nseg < 0)
		return NULL;
	const http_route *best = NULL;
	int best_rank = -1;
	const char *best_params[HTTP_MAX_PATH_PARAMS];
	size_t best_plen[HTTP_MAX_PATH_PARAMS];
	int best_nparams = 0;
	for (size_t i = 0; i < router->n; i++) {
		const compiled_route *c = &router->routes[i];
		if (c->nseg != nseg || strcmp(c->route->method, r->method))
			continue;
		int literals = 0, nparams = 0;
		const char *params[HTTP_MAX_PATH_PARAMS];
		size_t params_len[HTTP_MAX_PATH_PARAMS];
		bool ok = true;
		for (int s = 0; s < nseg && ok; s++) {
			if (c->seg[s][0] == ':') {
				if (nparams == HTTP_MAX_PATH_PARAMS) {
					ok = false;
					break;
				}
				params[nparams] = seg[s];
				params_len[nparams++] = len[s];
			} else if (c->len[s] == len[s] &&
				   !memcmp(c->seg[s], seg[s], len[s])) {
				literals++;
			} else {
				ok = false;
			}
		}
		/* twice the literal segments, one more for a condition */
		int rank = 2 * literals + (c->route->when != NULL);
		if (!ok || rank <= best_rank ||
		    (c->route->when && !c->route->when(r)))
			continue;
		best = c->route;
		best_rank = rank;
		best_nparams = nparams;
		memcpy(best_params, params, sizeof params);
		memcpy(best_plen, params_len, sizeof params_len);
	}
	if (!best)
		return NULL;
	for (int i = 0; i < best_nparams; i++)
		r->path_params[i] =
			arena_strndup(&r->arena, best_params[i], best_plen[i]);
	r->route = best;
	return best;
}

const char *http_path_param(http_req *r, int i)
{
	if (i < 0 || i >= HTTP_MAX_PATH_PARAMS)
		return NULL;
	return r->path_params[i];
}
