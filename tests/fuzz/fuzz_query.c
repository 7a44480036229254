/* fuzz_query.c — a query string (http_parse_urlencoded with from_query,
 * the normalisation of http_param_add that libmicrohttpd's parameters
 * go through too), then what handlers build from it: the kept-answers
 * key (http_request_key) and a pagination URL (http_url_with).
 * Invariants: every value is terminated at its length; the key exists
 * unless a value holds a NUL; the URL http_url_with writes parses back
 * to the same parameters plus the one it sets (when they can be written:
 * no NUL in them, no empty key). */
#include "fuzz.h"

#include "http/http.h"

static void req_init(http_req *r)
{
	memset(r, 0, sizeof *r);
	arena_init(&r->arena);
	r->path = "/api/v1/timelines/public";
}

/* A value holds a NUL byte: the request is never kept. */
static bool value_has_nul(const http_req *r)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (memchr(r->params[i].value, '\0', r->params[i].len))
			return true;
	return false;
}

/* A key that cannot be written back: empty (a NUL byte, decoded or
 * not, ends it where it began). */
static bool key_is_lossy(const http_req *r)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (!*r->params[i].key)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	http_req r, back;
	req_init(&r);
	req_init(&back);
	http_parse_urlencoded(&r, (const char *)data, size, true);
	bool nul = value_has_nul(&r);
	for (size_t i = 0; i < r.nparams; i++) {
		FUZZ_CHECK(r.params[i].value[r.params[i].len] == '\0');
		FUZZ_CHECK(r.params[i].from_query);
		size_t n;
		const char **list = http_param_list(&r, r.params[i].key, &n);
		FUZZ_CHECK(n >= 1 && list[n - 1] != NULL);
		(void)http_param_bool(&r, r.params[i].key, false);
	}
	const char *key = http_request_key(&r, "GET");
	FUZZ_CHECK(!key == nul);

	/* the page after this one, as a Link header names it */
	static const char *const drop[] = {"max_id", NULL};
	char *url = http_url_with(&r, "https://h", drop, "max_id", "42");
	const char *q = strchr(url, '?');
	FUZZ_CHECK(q != NULL);
	if (!nul && !key_is_lossy(&r)) {
		http_parse_urlencoded(&back, q + 1, strlen(q + 1), true);
		size_t kept = 0;
		for (size_t i = 0; i < r.nparams; i++) {
			const http_param *p = &r.params[i];
			if (!strcmp(p->key, "max_id"))
				continue;
			FUZZ_CHECK(kept < back.nparams);
			const http_param *b = &back.params[kept++];
			FUZZ_CHECK(!strcmp(p->key, b->key));
			FUZZ_CHECK(p->is_list == b->is_list);
			FUZZ_CHECK(p->len == b->len);
			FUZZ_CHECK(!memcmp(p->value, b->value, p->len));
		}
		FUZZ_CHECK(kept + 1 == back.nparams);
		FUZZ_CHECK(!strcmp(http_param_get(&back, "max_id"), "42"));
	}
	arena_release(&r.arena);
	arena_release(&back.arena);
	return 0;
}
