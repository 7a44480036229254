/* fuzz_form.c — a request body as http_body_parse takes it: the
 * Content-Type on the input's first line (form, JSON, multipart or any
 * other), the body after it. Invariants: a parse either fails with a
 * message or gives parameters whose keys and values are terminated
 * strings; the accessors handlers use read them without harm. */
#include "fuzz.h"

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	http_req r;
	memset(&r, 0, sizeof r);
	arena_init(&r.arena);
	buf_init(&r.body, &r.arena);
	r.path = "/api/v1/statuses";
	fuzz_input in = {data, size};
	size_t ctype_len, body_len;
	const char *ctype = fuzz_piece(&r.arena, &in, '\n', &ctype_len);
	const char *body = fuzz_rest(&r.arena, &in, &body_len);
	buf_append(&r.body, body, body_len);
	const char *err = http_body_parse(&r, ctype_len ? ctype : NULL);
	if (err) {
		FUZZ_CHECK(*err);
	} else {
		for (size_t i = 0; i < r.nparams; i++) {
			const http_param *p = &r.params[i];
			FUZZ_CHECK(p->key && p->value);
			FUZZ_CHECK(p->value[p->len] == '\0');
			FUZZ_CHECK(!p->from_query);
			size_t n;
			(void)http_param_list(&r, p->key, &n);
			FUZZ_CHECK(n >= 1);
			FUZZ_CHECK(http_param_find(&r, p->key) != NULL);
		}
		/* a body's parameters are never kept as a URL's */
		FUZZ_CHECK(!r.nparams || !http_request_key(&r, "GET"));
	}
	arena_release(&r.arena);
	return 0;
}
