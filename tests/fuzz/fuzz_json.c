/* fuzz_json.c — a JSON request body (http_body_parse's JSON branch: the
 * object flattened into the parameters form bodies give). Invariants:
 * it is taken exactly when jansson reads it as an object with no name
 * twice; every parameter is a terminated string, a scalar's marked
 * not_string unless it was a string. */
#include "fuzz.h"

#include "http/http.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	http_req r;
	memset(&r, 0, sizeof r);
	arena_init(&r.arena);
	buf_init(&r.body, &r.arena);
	buf_append(&r.body, data, size);
	const char *err =
		http_body_parse(&r, "application/json; charset=utf-8");
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
			       NULL);
	FUZZ_CHECK(!err == (!size || json_is_object(j)));
	json_decref(j);
	for (size_t i = 0; !err && i < r.nparams; i++) {
		const http_param *p = &r.params[i];
		FUZZ_CHECK(p->key && p->value && p->value[p->len] == '\0');
		if (p->not_string)
			FUZZ_CHECK(strlen(p->value) == p->len && p->len);
		(void)http_param_bool(&r, p->key, true);
	}
	arena_release(&r.arena);
	return 0;
}
