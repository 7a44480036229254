/* filters.c — keyword filters: /api/v2/filters with their keywords and
 * statuses, and /api/v1/filters for older clients (a v1 filter is one
 * keyword of a v2 filter, by the keyword's id). What they decide is read
 * by the one rule in domain/visibility.c. */
#include "api/api.h"

#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void reply_filter(http_req *r, const store_filter *f)
{
	http_reply_json(r, 200, render_filter(&r->arena, f, true));
}

/* The filter named by path parameter i, p's; replies 404 when none. */
static bool path_filter(http_req *r, int i, store_filter *f)
{
	int64_t id;
	if (!api_path_id(r, i, &id))
		return false;
	if (store_filter_get(&r->arena, api_viewer(r), id, f))
		return true;
	http_reply_error(r, 404, "Record not found");
	return false;
}

/* The expires_in parameter: absent leaves c unchanged, empty means
 * never; false (422 sent) when it is not a number. */
static bool parse_expires(http_req *r, filter_change *c)
{
	const char *v = http_param_get(r, "expires_in");
	if (!v)
		return true;
	long seconds;
	if (!api_param_long(r, "expires_in", 0, &seconds)) {
		http_reply_error(
			r, 422,
			"Validation failed: expires_in is not a number");
		return false;
	}
	c->has_expires = true;
	c->expires_in = seconds;
	return true;
}

/* One item of keywords_attributes as sent. */
typedef struct item {
	char index[24];
	const char *keyword, *whole_word, *id, *destroy, *other;
} item;

/* Where field of it goes (unknown fields to one slot nobody reads). */
static const char **item_field(item *it, const char *field)
{
	return !strcmp(field, "keyword")      ? &it->keyword
	       : !strcmp(field, "whole_word") ? &it->whole_word
	       : !strcmp(field, "id")	      ? &it->id
	       : !strcmp(field, "_destroy")   ? &it->destroy
					      : &it->other;
}

/* keywords_attributes[][keyword|whole_word|id|_destroy], in Rails'
 * forms: "k[][f]" items (a field seen twice starts the next item) or
 * "k[N][f]" (JSON and multipart). Keywords to save go to c->keywords,
 * ids to delete to c->destroy. False (422 sent) on a bad id. */
static bool parse_keywords(http_req *r, filter_change *c)
{
	static const char prefix[] = "keywords_attributes[";
	enum { FIELD_MAX = 16 };
	size_t cap = r->nparams + 1;
	item *items = arena_alloc(&r->arena, cap * sizeof *items);
	size_t n = 0;
	for (size_t i = 0; i < r->nparams; i++) {
		const char *key = r->params[i].key;
		if (strncmp(key, prefix, sizeof prefix - 1))
			continue;
		const char *idx = key + sizeof prefix - 1;
		const char *close = strchr(idx, ']');
		if (!close || close[1] != '[' || (size_t)(close - idx) >= 24)
			continue;
		char field[FIELD_MAX];
		const char *f = close + 2, *fend = strchr(f, ']');
		if (!fend || (size_t)(fend - f) >= FIELD_MAX)
			continue;
		snprintf(field, sizeof field, "%.*s", (int)(fend - f), f);
		size_t ilen = (size_t)(close - idx);
		item *it = NULL;
		if (ilen) { /* k[N][f]: the item of index N */
			for (size_t k = 0; k < n && !it; k++)
				if (!strncmp(items[k].index, idx, ilen) &&
				    !items[k].index[ilen])
					it = &items[k];
		} else if (n && !items[n - 1].index[0] &&
			   !*item_field(&items[n - 1], field)) {
			it = &items[n - 1]; /* k[][f]: until f comes again */
		}
		if (!it) {
			it = &items[n++];
			memset(it, 0, sizeof *it);
			memcpy(it->index, idx, ilen);
		}
		*item_field(it, field) = r->params[i].value;
	}
	c->keywords = arena_alloc(&r->arena, (n + 1) * sizeof *c->keywords);
	int64_t *destroy = arena_alloc(&r->arena, (n + 1) * sizeof *destroy);
	for (size_t k = 0; k < n; k++) {
		int64_t id = 0;
		if (items[k].id && *items[k].id &&
		    sscanf(items[k].id, "%" SCNd64, &id) != 1) {
			http_reply_error(r, 422, "Validation failed: bad id");
			return false;
		}
		bool gone = items[k].destroy && *items[k].destroy &&
			    strcmp(items[k].destroy, "0") &&
			    strcmp(items[k].destroy, "false");
		if (gone && id) {
			destroy[c->ndestroy++] = id;
			continue;
		}
		if (gone || (id && !items[k].keyword && !items[k].whole_word))
			continue; /* nothing to change */
		bool whole = !items[k].whole_word ||
			     (strcmp(items[k].whole_word, "0") &&
			      strcmp(items[k].whole_word, "false") &&
			      *items[k].whole_word);
		c->keywords[c->nkeywords++] =
			(store_filter_keyword){id, 0, items[k].keyword, whole};
	}
	c->destroy = destroy;
	return true;
}

/* The fields of a v2 filter from the request into c. */
static bool parse_change(http_req *r, filter_change *c)
{
	memset(c, 0, sizeof *c);
	c->title = http_param_get(r, "title");
	if (http_param_has(r, "context"))
		c->contexts = http_param_list(r, "context", &c->ncontexts);
	c->action = http_param_get(r, "filter_action");
	return parse_expires(r, c) && parse_keywords(r, c);
}

static void save(http_req *r, int64_t id)
{
	filter_change c;
	if (!parse_change(r, &c))
		return;
	store_filter f;
	const char *msg = NULL;
	dom_err err =
		filter_save(&r->arena, api_principal(r), id, &c, &f, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	reply_filter(r, &f);
}

void filters_v2_index(http_req *r)
{
	store_filter *f;
	size_t n = store_filters_of(&r->arena, api_viewer(r), 0, false, &f);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
				      render_filter(&r->arena, &f[i], true));
	http_reply_json(r, 200, arr);
}

void filters_v2_show(http_req *r)
{
	store_filter f;
	if (path_filter(r, 0, &f))
		reply_filter(r, &f);
}

void filters_v2_create(http_req *r)
{
	save(r, 0);
}

void filters_v2_update(http_req *r)
{
	int64_t id;
	if (api_path_id(r, 0, &id))
		save(r, id);
}

/* {} for a delete done, 404 for one that found nothing of the caller's. */
static void reply_deleted(http_req *r, dom_err err)
{
	api_reply_dom(r, err, NULL);
}

void filters_v2_delete(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	reply_deleted(r, filter_remove(api_principal(r), id));
}

void filter_keywords_index(http_req *r)
{
	store_filter f;
	if (!path_filter(r, 0, &f))
		return;
	json_t *arr = json_array();
	for (size_t i = 0; i < f.nkeywords; i++)
		json_array_append_new(
			arr, render_filter_keyword(&r->arena, &f.keywords[i]));
	http_reply_json(r, 200, arr);
}

/* Save k with the keyword and whole_word parameters and reply it. */
static void keyword_save(http_req *r, store_filter_keyword *k)
{
	const char *kw = http_param_get(r, "keyword");
	if (kw || !k->id)
		k->keyword = kw;
	k->whole_word =
		http_param_bool(r, "whole_word", k->id ? k->whole_word : true);
	const char *msg = NULL;
	dom_err err = filter_keyword_save(api_principal(r), k, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	http_reply_json(r, 200, render_filter_keyword(&r->arena, k));
}

void filter_keywords_create(http_req *r)
{
	int64_t filter_id;
	if (!api_path_id(r, 0, &filter_id))
		return;
	store_filter_keyword k = {0, filter_id, NULL, true};
	keyword_save(r, &k);
}

/* The keyword of path parameter 0, p's; replies 404 when none. */
static bool path_keyword(http_req *r, store_filter_keyword *k)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return false;
	if (store_filter_keyword_get(&r->arena, api_viewer(r), id, k))
		return true;
	http_reply_error(r, 404, "Record not found");
	return false;
}

void filter_keyword_show(http_req *r)
{
	store_filter_keyword k;
	if (path_keyword(r, &k))
		http_reply_json(r, 200, render_filter_keyword(&r->arena, &k));
}

void filter_keyword_update(http_req *r)
{
	store_filter_keyword k;
	if (path_keyword(r, &k))
		keyword_save(r, &k);
}

void filter_keyword_delete(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	reply_deleted(r, filter_keyword_remove(api_principal(r), id, false));
}

void filter_statuses_index(http_req *r)
{
	store_filter f;
	if (!path_filter(r, 0, &f))
		return;
	json_t *arr = json_array();
	for (size_t i = 0; i < f.nstatuses; i++)
		json_array_append_new(
			arr, render_filter_status(&r->arena, &f.statuses[i]));
	http_reply_json(r, 200, arr);
}

void filter_statuses_create(http_req *r)
{
	int64_t filter_id, status_id;
	if (!api_path_id(r, 0, &filter_id))
		return;
	const char *sid = http_param_get(r, "status_id");
	if (!sid || sscanf(sid, "%" SCNd64, &status_id) != 1) {
		http_reply_error(r, 422,
				 "Validation failed: Status can't be blank");
		return;
	}
	store_filter_status fs;
	const char *msg = NULL;
	dom_err err = filter_status_add(&r->arena, api_principal(r), filter_id,
					status_id, &fs, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	http_reply_json(r, 200, render_filter_status(&r->arena, &fs));
}

void filter_status_show(http_req *r)
{
	int64_t id;
	store_filter_status fs;
	if (!api_path_id(r, 0, &id))
		return;
	if (!store_filter_status_get(api_viewer(r), id, &fs)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	http_reply_json(r, 200, render_filter_status(&r->arena, &fs));
}

void filter_status_delete(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	reply_deleted(r, filter_status_remove(api_principal(r), id));
}

/* ---- v1: one keyword of a filter, by the keyword's id ---- */

void filters_v1_index(http_req *r)
{
	store_filter *f;
	size_t n = store_filters_of(&r->arena, api_viewer(r), 0, false, &f);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < f[i].nkeywords; k++)
			json_array_append_new(
				arr, render_filter_v1(&r->arena, &f[i],
						      &f[i].keywords[k]));
	http_reply_json(r, 200, arr);
}

/* The v1 filter of path parameter 0: the keyword and its filter. */
static bool path_v1(http_req *r, store_filter_keyword *k, store_filter *f)
{
	if (!path_keyword(r, k))
		return false;
	if (store_filter_get(&r->arena, api_viewer(r), k->filter_id, f))
		return true;
	http_reply_error(r, 404, "Record not found");
	return false;
}

void filters_v1_show(http_req *r)
{
	store_filter_keyword k;
	store_filter f;
	if (path_v1(r, &k, &f))
		http_reply_json(r, 200, render_filter_v1(&r->arena, &f, &k));
}

/* Create (k NULL) or change a v1 filter: phrase, context[],
 * irreversible, whole_word, expires_in. */
static void v1_save(http_req *r, store_filter_keyword *k, int64_t filter_id)
{
	filter_change c;
	memset(&c, 0, sizeof c);
	if (http_param_has(r, "context"))
		c.contexts = http_param_list(r, "context", &c.ncontexts);
	if (http_param_has(r, "irreversible"))
		c.action = http_param_bool(r, "irreversible", false) ? "hide"
								     : "warn";
	if (!parse_expires(r, &c))
		return;
	const char *phrase = http_param_get(r, "phrase");
	store_filter_keyword one = {
		k ? k->id : 0, filter_id,
		phrase ? phrase
		: k    ? k->keyword
		       : NULL,
		http_param_bool(r, "whole_word", k ? k->whole_word : true)};
	c.title = phrase ? phrase : NULL;
	if (!filter_id && !c.title) {
		http_reply_error(r, 422,
				 "Validation failed: Phrase can't be blank");
		return;
	}
	c.keywords = &one;
	c.nkeywords = 1;
	store_filter f;
	const char *msg = NULL;
	dom_err err = filter_save(&r->arena, api_principal(r), filter_id, &c,
				  &f, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	/* the keyword as saved: the filter's only one when just made */
	for (size_t i = 0; i < f.nkeywords; i++)
		if (k ? f.keywords[i].id == k->id : true) {
			http_reply_json(r, 200,
					render_filter_v1(&r->arena, &f,
							 &f.keywords[i]));
			return;
		}
	http_reply_error(r, 404, "Record not found");
}

void filters_v1_create(http_req *r)
{
	v1_save(r, NULL, 0);
}

void filters_v1_update(http_req *r)
{
	store_filter_keyword k;
	store_filter f;
	if (path_v1(r, &k, &f))
		v1_save(r, &k, f.id);
}

void filters_v1_delete(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	/* the keyword, and its filter when nothing else is left in it */
	reply_deleted(r, filter_keyword_remove(api_principal(r), id, true));
}
