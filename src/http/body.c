/* body.c — request parameters from query strings and the three body
 * encodings clients use: form-urlencoded, JSON and multipart/form-data
 * (the last through multipart.c's parser, which upload routes stream). */
#include "http/http.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) ('+' as space) into arena memory; *out_len set. */
static char *url_decode(arena *a, const char *s, size_t n, size_t *out_len)
{
	char *out = arena_alloc(a, n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < n &&
			   hex_value(s[i + 1]) >= 0 &&
			   hex_value(s[i + 2]) >= 0) {
			out[j++] = (char)(hex_value(s[i + 1]) * 16 +
					  hex_value(s[i + 2]));
			i += 2;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	*out_len = j;
	return out;
}

http_param *http_param_add(http_req *r, const char *raw_key, const char *value,
			   size_t len, bool from_query)
{
	if (r->limits && r->limits->max_params > 0 &&
	    r->nparams >= (size_t)r->limits->max_params) {
		r->params_over = true;
		return NULL;
	}
	size_t klen = strlen(raw_key);
	bool is_list = false;
	/* "key[]" and "key[3]" are list items; "a[b]" stays a nested key,
	 * and "a]" (no '[' at all) a plain one */
	const char *open = klen >= 2 && raw_key[klen - 1] == ']'
				   ? strrchr(raw_key, '[')
				   : NULL;
	if (open) {
		size_t inner = (size_t)(raw_key + klen - 1 - open) - 1;
		bool numeric = inner > 0;
		for (size_t i = 0; i < inner; i++)
			if (!isdigit((unsigned char)open[1 + i]))
				numeric = false;
		if (inner == 0 || numeric) {
			is_list = true;
			klen = (size_t)(open - raw_key);
		}
	}
	if (r->nparams == r->params_cap) {
		size_t cap = r->params_cap ? r->params_cap * 2 : 16;
		http_param *p = arena_alloc(&r->arena, cap * sizeof *p);
		if (r->nparams)
			memcpy(p, r->params, r->nparams * sizeof *p);
		r->params = p;
		r->params_cap = cap;
	}
	http_param *p = &r->params[r->nparams++];
	memset(p, 0, sizeof *p);
	p->key = arena_strndup(&r->arena, raw_key, klen);
	p->value = value;
	p->len = len;
	p->is_list = is_list;
	p->from_query = from_query;
	r->nlist_items += is_list;
	return p;
}

void http_parse_urlencoded(http_req *r, const char *s, size_t n,
			   bool from_query)
{
	size_t i = 0;
	while (i < n && !r->params_over) {
		size_t end = i;
		while (end < n && s[end] != '&')
			end++;
		size_t eq = i;
		while (eq < end && s[eq] != '=')
			eq++;
		if (eq > i) {
			size_t klen, vlen;
			char *key = url_decode(&r->arena, s + i, eq - i, &klen);
			const char *val = eq < end ? s + eq + 1 : s + end;
			char *value = url_decode(
				&r->arena, val, (size_t)(s + end - val), &vlen);
			http_param_add(r, key, value, vlen, from_query);
		}
		i = end + 1;
	}
}

/* JSON bodies are flattened into the same parameter list so handlers read
 * one shape whatever the encoding: scalars become strings, arrays list
 * items, objects nested keys. */
static void json_flatten(http_req *r, const char *key, json_t *v, bool in_list)
{
	char *text = NULL;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *child;
		json_object_foreach(v, k, child)
		{
			char *nested =
				arena_printf(&r->arena, "%s[%s]", key, k);
			json_flatten(r, nested, child, false);
		}
		return;
	}
	case JSON_ARRAY: {
		if (in_list)
			return; /* arrays of arrays have no form equivalent */
		char *lkey = arena_printf(&r->arena, "%s[]", key);
		size_t i;
		json_t *child;
		/* [] is sent, and means "none": one empty item, as a form's
		 * "key[]=" (Rails drops the blank; handlers do too) */
		if (!json_array_size(v))
			http_param_add(r, lkey, "", 0, false);
		json_array_foreach(v, i, child)
		{
			if (json_is_object(child)) {
				char *nested = arena_printf(&r->arena,
							    "%s[%zu]", key, i);
				/* "a[0][b]": an object inside a list */
				const char *k;
				json_t *c2;
				json_object_foreach(child, k, c2)
				{
					json_flatten(r,
						     arena_printf(&r->arena,
								  "%s[%s]",
								  nested, k),
						     c2, false);
				}
			} else {
				json_flatten(r, lkey, child, true);
			}
		}
		return;
	}
	case JSON_STRING:
		http_param_add(r, key,
			       arena_strndup(&r->arena, json_string_value(v),
					     json_string_length(v)),
			       json_string_length(v), false);
		return;
	case JSON_INTEGER:
		text = arena_printf(&r->arena, "%" JSON_INTEGER_FORMAT,
				    json_integer_value(v));
		break;
	case JSON_REAL:
		text = arena_printf(&r->arena, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE: text = "true"; break;
	case JSON_FALSE: text = "false"; break;
	case JSON_NULL: return; /* toot and others send nulls for "unset" */
	}
	http_param *p = http_param_add(r, key, text, strlen(text), false);
	if (p)
		p->not_string = true;
}

bool http_json_depth_within(const char *s, size_t n, int max)
{
	int depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++; /* the escaped character, '"' included */
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return false;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return true;
}

static const char *parse_json_body(http_req *r)
{
	const http_param_limits *lim = r->limits;
	/* before jansson builds it: a deep text is refused in one pass */
	if (lim && lim->max_json_depth > 0 &&
	    !http_json_depth_within(r->body.data, r->body.len,
				    lim->max_json_depth))
		return arena_printf(&r->arena,
				    "Invalid JSON: nested more than %d deep",
				    lim->max_json_depth);
	json_error_t err;
	json_t *root = json_loadb(r->body.data, r->body.len,
				  JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return arena_printf(&r->arena, "Invalid JSON: %s", err.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return "Invalid JSON: the body must be an object";
	}
	/* members that are null add no parameter, but cost as much */
	if (lim && lim->max_params > 0 &&
	    json_object_size(root) > (size_t)lim->max_params)
		r->params_over = true;
	const char *k;
	json_t *v;
	json_object_foreach(root, k, v)
	{
		if (r->params_over)
			break;
		json_flatten(r, k, v, false);
	}
	json_decref(root);
	return NULL;
}

/* A buffered multipart body: the streaming parser fed in one go, files
 * kept in memory; the whole body is already under max_body_bytes. */
static const char *parse_multipart(http_req *r, const char *ctype)
{
	static const http_multipart_limits unlimited = {SIZE_MAX, SIZE_MAX};
	const char *err = NULL;
	http_multipart *m =
		http_multipart_begin(r, ctype, NULL, &unlimited, &err);
	if (!m)
		return err;
	if (http_multipart_feed(m, r->body.data, r->body.len) ||
	    http_multipart_end(m))
		return http_multipart_error(m);
	return NULL;
}

const char *http_body_parse(http_req *r, const char *content_type)
{
	if (r->body.len == 0)
		return NULL;
	if (!content_type)
		content_type = "application/x-www-form-urlencoded";
	if (!strncasecmp(content_type, "application/json", 16))
		return parse_json_body(r);
	if (!strncasecmp(content_type, "multipart/form-data", 19))
		return parse_multipart(r, content_type);
	if (!strncasecmp(content_type, "application/x-www-form-urlencoded",
			 33)) {
		http_parse_urlencoded(r, r->body.data, r->body.len, false);
		return NULL;
	}
	/* Unknown types: Rails ignores the body; so do we. */
	return NULL;
}

static int param_key_order(const void *a, const void *b)
{
	const http_param *const *x = a, *const *y = b;
	return strcmp((*x)->key, (*y)->key);
}

size_t http_list_longest(arena *a, const http_param *p, size_t n,
			 const char **key)
{
	size_t nlist = 0;
	for (size_t i = 0; i < n; i++)
		nlist += p[i].is_list;
	*key = NULL;
	if (!nlist)
		return 0;
	/* sorted by key, each list's items are one run */
	const http_param **items = arena_alloc(a, nlist * sizeof *items);
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].is_list)
			items[j++] = &p[i];
	qsort(items, nlist, sizeof *items, param_key_order);
	size_t best = 0;
	for (size_t start = 0, end; start < nlist; start = end) {
		for (end = start + 1;
		     end < nlist && !strcmp(items[end]->key, items[start]->key);
		     end++)
			;
		if (end - start > best) {
			best = end - start;
			*key = items[start]->key;
		}
	}
	return best;
}

const char *http_params_check(http_req *r)
{
	const http_param_limits *lim = r->limits;
	if (!lim)
		return NULL;
	if (r->params_over)
		return arena_printf(&r->arena,
				    "Too many parameters (more than %d)",
				    lim->max_params);
	/* no list can be too long while all of them together are not,
	 * which is every ordinary request: no sort then */
	if (lim->max_list_items <= 0 ||
	    r->nlist_items <= (size_t)lim->max_list_items)
		return NULL;
	const char *key;
	size_t longest =
		http_list_longest(&r->arena, r->params, r->nparams, &key);
	if (longest <= (size_t)lim->max_list_items)
		return NULL;
	return arena_printf(&r->arena, "Too many items in %s[] (more than %d)",
			    key, lim->max_list_items);
}

const http_param *http_param_find(http_req *r, const char *key)
{
	/* body parameters win over query parameters, as in Rails */
	const http_param *found = NULL;
	for (size_t i = 0; i < r->nparams; i++) {
		if (strcmp(r->params[i].key, key))
			continue;
		if (!found || (found->from_query && !r->params[i].from_query))
			found = &r->params[i];
	}
	return found;
}

const char *http_param_get(http_req *r, const char *key)
{
	const http_param *p = http_param_find(r, key);
	return p ? p->value : NULL;
}

const char *http_request_key(http_req *r, const char *prefix)
{
	buf b;
	buf_init(&b, &r->arena);
	buf_puts(&b, prefix);
	buf_putc(&b, ' ');
	buf_puts(&b, r->path);
	for (size_t i = 0; i < r->nparams; i++) {
		const http_param *p = &r->params[i];
		/* a body's parameters (a GET may carry one) would change the
		 * answer behind the URL's back: such a request is its own */
		if (!p->from_query || memchr(p->value, '\0', p->len))
			return NULL;
		/* lengths first: no value can pass for two parameters */
		buf_printf(&b, " %zu:%s=%zu:", strlen(p->key), p->key, p->len);
		buf_append(&b, p->value, p->len);
	}
	return b.data;
}

bool http_param_has(http_req *r, const char *key)
{
	return http_param_find(r, key) != NULL;
}

const char **http_param_list(http_req *r, const char *key, size_t *n)
{
	size_t count = 0;
	for (size_t i = 0; i < r->nparams; i++)
		if (!strcmp(r->params[i].key, key))
			count++;
	const char **out = arena_alloc(&r->arena, (count + 1) * sizeof *out);
	size_t j = 0;
	for (size_t i = 0; i < r->nparams; i++)
		if (!strcmp(r->params[i].key, key))
			out[j++] = r->params[i].value;
	*n = count;
	return out;
}

bool http_param_bool(http_req *r, const char *key, bool def)
{
	const char *v = http_param_get(r, key);
	if (!v)
		return def;
	static const char *const falsy[] = {"",	  "0", "false", "off",
					    "no", "f", "n"};
	for (size_t i = 0; i < sizeof falsy / sizeof *falsy; i++)
		if (!strcasecmp(v, falsy[i]))
			return false;
	return true;
}
