/* trends.c — trending hashtags and statuses, and the moderators' review
 * of the hashtags (Mastodon's admin trends API). */
#include "api/api.h"

#include "core/config.h"
#include "core/time.h"

#include <stdlib.h>
#include <string.h>

enum {
	TRENDS_TAGS_DEFAULT = 10, /* Mastodon's limits */
	TRENDS_TAGS_MAX = 20,
	TRENDS_STATUSES_DEFAULT = 20,
	TRENDS_STATUSES_MAX = 40,
	TRENDS_OFFSET_MAX = 1 << 20, /* past any list; answers [] */
};

/* A page of a ranked list: skip offset items, show at most limit. */
typedef struct offset_page {
	int offset, limit;
} offset_page;

/* Parse limit as Mastodon does (clamped to [1, max], def when absent)
 * and offset, which must be a non-negative integer; replies 400 and
 * returns false otherwise. An offset past TRENDS_OFFSET_MAX is that
 * maximum: either is past the end of any list. */
static bool parse_offset_page(http_req *r, int def, int max, offset_page *p)
{
	page pg;
	api_page(r, &pg, def, max);
	p->limit = pg.limit;
	long v;
	if (!api_param_long(r, "offset", 0, &v) || v < 0) {
		http_reply_error(r, 400,
				 "offset must be a non-negative integer");
		return false;
	}
	p->offset = v > TRENDS_OFFSET_MAX ? TRENDS_OFFSET_MAX : (int)v;
	return true;
}

/* Link: next when the page was full, prev when it did not start at 0,
 * as Mastodon pages its trends (by offset, keeping limit). */
static void offset_link(http_req *r, const offset_page *p, size_t n)
{
	static const char *const drop[] = {"offset", NULL};
	buf b;
	buf_init(&b, &r->arena);
	if (n == (size_t)p->limit)
		buf_printf(&b, "<%s>; rel=\"next\"",
			   http_url_with(
				   r, cfg.base_url, drop, "offset",
				   render_id(&r->arena, p->offset + p->limit)));
	if (p->offset > 0) {
		int prev = p->offset > p->limit ? p->offset - p->limit : 0;
		buf_printf(&b, "%s<%s>; rel=\"prev\"", b.len ? ", " : "",
			   http_url_with(r, cfg.base_url, drop, "offset",
					 render_id(&r->arena, prev)));
	}
	if (b.len)
		http_set_header(r, "Link", b.data);
}

void trends_tags(http_req *r)
{
	offset_page p;
	if (!parse_offset_page(r, TRENDS_TAGS_DEFAULT, TRENDS_TAGS_MAX, &p))
		return;
	int64_t ids[TRENDS_TAGS_MAX];
	const char *names[TRENDS_TAGS_MAX];
	int following[TRENDS_TAGS_MAX];
	size_t n = trends_tags_page(&r->arena, false, time_now_ms(), p.offset,
				    p.limit, ids, names);
	int64_t viewer = api_viewer(r);
	for (size_t i = 0; i < n; i++)
		following[i] = viewer ? store_tag_followed(viewer, ids[i]) : -1;
	buf b;
	buf_init(&b, &r->arena);
	render_tags_into(&r->arena, &b, ids, names, following, n);
	offset_link(r, &p, n);
	http_reply_raw(r, 200, "application/json; charset=utf-8", b.data,
		       b.len);
}

void trends_statuses(http_req *r)
{
	render_set_context(READ_PUBLIC);
	offset_page p;
	if (!parse_offset_page(r, TRENDS_STATUSES_DEFAULT, TRENDS_STATUSES_MAX,
			       &p))
		return;
	status_page out;
	size_t n = trends_statuses_page(&r->arena, api_viewer(r), time_now_ms(),
					p.offset, p.limit, &out);
	offset_link(r, &p, n);
	api_reply_statuses(r, out.items, out.count);
}

void trends_links(http_req *r)
{
	/* no link previews are fetched yet, so nothing can trend */
	http_reply_json(r, 200, json_array());
}

/* ---- review (staff only) ---- */

/* Replies 403 unless the user is an owner, admin or moderator. */
static bool staff_only(http_req *r)
{
	const principal *p = api_principal(r);
	if (p && account_is_staff(p->account))
		return true;
	http_reply_error(r, 403, "This action is not allowed");
	return false;
}

static json_t *admin_tag(arena *a, int64_t id, const char *name)
{
	store_tag_trend t;
	store_tag_trend_get(id, &t);
	return render_admin_tag(a, id, name, trends_tag_trendable(t.review),
				t.review == TAG_REVIEW_NONE);
}

void admin_trends_tags(http_req *r)
{
	offset_page p;
	if (!staff_only(r) ||
	    !parse_offset_page(r, TRENDS_TAGS_DEFAULT, TRENDS_TAGS_MAX, &p))
		return;
	int64_t ids[TRENDS_TAGS_MAX];
	const char *names[TRENDS_TAGS_MAX];
	size_t n = trends_tags_page(&r->arena, true, time_now_ms(), p.offset,
				    p.limit, ids, names);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
				      admin_tag(&r->arena, ids[i], names[i]));
	offset_link(r, &p, n);
	http_reply_json(r, 200, arr);
}

static void review(http_req *r, tag_review verdict)
{
	int64_t id;
	if (!staff_only(r) || !api_path_id(r, 0, &id))
		return;
	const char *name = store_tag_name(&r->arena, id);
	if (!name) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	if (store_tag_review_set(id, verdict, time_now_ms()) < 0) {
		http_reply_error(r, 500, "Internal server error");
		return;
	}
	http_reply_json(r, 200, admin_tag(&r->arena, id, name));
}

void admin_trends_tags_approve(http_req *r)
{
	review(r, TAG_REVIEW_APPROVED);
}

void admin_trends_tags_reject(http_req *r)
{
	review(r, TAG_REVIEW_REJECTED);
}
