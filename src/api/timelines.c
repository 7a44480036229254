/* timelines.c — home, public and hashtag timelines. */
#include "api/api.h"

#include "store/store.h"
#include "text/text.h"

#include <string.h>

enum { TIMELINE_DEFAULT = 20, TIMELINE_MAX = 40, TAG_FILTER_MAX = 8 };

static void reply_page(http_req *r, const status_page *out)
{
	api_link(r, out->next_max_id, out->prev_min_id);
	api_reply_statuses(r, out->items, out->count);
}

void timelines_home(http_req *r)
{
	render_set_context(READ_HOME);
	page p;
	api_page(r, &p, TIMELINE_DEFAULT, TIMELINE_MAX);
	status_page out;
	timeline_feed(&r->arena, api_viewer(r), STORE_FEED_HOME_RECENT,
		      api_viewer(r), 0, &p, &out);
	reply_page(r, &out);
}

void timelines_public(http_req *r)
{
	render_set_context(READ_PUBLIC);
	page p;
	api_page(r, &p, TIMELINE_DEFAULT, TIMELINE_MAX);
	status_page out;
	/* Mastodon: local wins over remote when both are asked */
	bool local = http_param_bool(r, "local", false),
	     remote = !local && http_param_bool(r, "remote", false),
	     media = http_param_bool(r, "only_media", false);
	store_feed kind = local	   ? media ? STORE_FEED_PUBLIC_LOCAL_MEDIA
					   : STORE_FEED_PUBLIC_LOCAL
			  : remote ? media ? STORE_FEED_PUBLIC_REMOTE_MEDIA
					   : STORE_FEED_PUBLIC_REMOTE
			  : media  ? STORE_FEED_PUBLIC_MEDIA
				   : STORE_FEED_PUBLIC;
	timeline_feed(&r->arena, api_viewer(r), kind, 0, 0, &p, &out);
	reply_page(r, &out);
}

/* any[] / all[] / none[] turned into tag ids. */
typedef struct tag_filter {
	int64_t main;
	int64_t any[TAG_FILTER_MAX], all[TAG_FILTER_MAX], none[TAG_FILTER_MAX];
	size_t nany, nall, nnone;
	bool media;	    /* only_media */
	bool local, remote; /* only this server's authors, only others' */
	bool impossible;    /* an all[] tag nobody used */
	arena *a;
} tag_filter;

static size_t tag_ids(http_req *r, const char *key, int64_t *out, bool *missing)
{
	size_t n, k = 0;
	const char **names = http_param_list(r, key, &n);
	for (size_t i = 0; i < n && k < TAG_FILTER_MAX; i++) {
		char *tk = text_tag_key(&r->arena, names[i], strlen(names[i]));
		int64_t id = tk ? store_tag_id(tk) : 0;
		if (id)
			out[k++] = id;
		else if (missing)
			*missing = true;
	}
	return k;
}

static bool tag_filter_keep(const status *s, void *ctx)
{
	const tag_filter *f = ctx;
	if (f->media && !store_status_has_media(s->id))
		return false;
	account author;
	if ((f->local || f->remote) &&
	    (!store_account_get(f->a, s->account_id, &author) ||
	     (author.domain != NULL) != f->remote))
		return false;
	if (f->nany) {
		bool hit = f->main && store_status_has_tag(s->id, f->main);
		for (size_t i = 0; i < f->nany && !hit; i++)
			hit = store_status_has_tag(s->id, f->any[i]);
		if (!hit)
			return false;
	}
	for (size_t i = 0; i < f->nall; i++)
		if (!store_status_has_tag(s->id, f->all[i]))
			return false;
	for (size_t i = 0; i < f->nnone; i++)
		if (store_status_has_tag(s->id, f->none[i]))
			return false;
	return true;
}

void timelines_tag(http_req *r)
{
	render_set_context(READ_PUBLIC);
	page p;
	api_page(r, &p, TIMELINE_DEFAULT, TIMELINE_MAX);
	const char *name = http_path_param(r, 0);
	tag_filter f = {0};
	char *key = text_tag_key(&r->arena, name, strlen(name));
	f.main = key ? store_tag_id(key) : 0;
	f.nany = tag_ids(r, "any", f.any, NULL);
	f.nall = tag_ids(r, "all", f.all, &f.impossible);
	f.nnone = tag_ids(r, "none", f.none, NULL);
	f.media = http_param_bool(r, "only_media", false);
	f.local = http_param_bool(r, "local", false);
	f.remote = !f.local && http_param_bool(r, "remote", false);
	f.a = &r->arena;
	status_page out;
	memset(&out, 0, sizeof out);
	bool filtered =
		f.nany || f.nall || f.nnone || f.media || f.local || f.remote;
	if (f.impossible || (!f.main && !f.nany)) {
		/* unknown tag: an empty timeline, as Mastodon answers */
	} else if (f.nany) {
		timeline_feed_filtered(&r->arena, api_viewer(r),
				       STORE_FEED_TAGGED, 0, 0, &p,
				       tag_filter_keep, &f, &out);
	} else {
		timeline_feed_filtered(
			&r->arena, api_viewer(r), STORE_FEED_TAG, f.main, 0, &p,
			filtered ? tag_filter_keep : NULL, &f, &out);
	}
	reply_page(r, &out);
}
