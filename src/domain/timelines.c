/* timelines.c — pages of statuses filtered by the one visibility rule. */
#include "core/config.h"
#include "domain/domain.h"
#include "store/store.h"

#include <string.h>

enum {
	TIMELINE_MAX_BATCHES = 8, /* bound the scan when much is hidden */
};

static void page_cursors(status_page *out)
{
	out->next_max_id = out->count ? out->items[out->count - 1]->id : 0;
	out->prev_min_id = out->count ? out->items[0]->id : 0;
}

bool timeline_public_has(const status *s)
{
	return s->vis == VIS_PUBLIC && !s->reblog_of_id &&
	       (!s->in_reply_to_id ||
		s->in_reply_to_account_id == s->account_id);
}

void timeline_feed(arena *a, int64_t viewer, int kind, int64_t arg,
		   int64_t arg2, const page *p, status_page *out)
{
	timeline_feed_filtered(a, viewer, kind, arg, arg2, p, NULL, NULL, out);
}

/* Where a feed of this kind is read, for visibility_listed. */
static read_context feed_context(store_feed kind)
{
	switch (kind) {
	case STORE_FEED_HOME:
	case STORE_FEED_HOME_RECENT: return READ_HOME;
	case STORE_FEED_ACCOUNT:
	case STORE_FEED_ACCOUNT_NO_REPLIES:
	case STORE_FEED_ACCOUNT_NO_REBLOGS:
	case STORE_FEED_ACCOUNT_ORIGINALS:
	case STORE_FEED_PINNED:
	case STORE_FEED_ACCOUNT_TAGGED:
	case STORE_FEED_ACCOUNT_MEDIA: return READ_PROFILE;
	default: return READ_PUBLIC;
	}
}

/* Fill out with up to p->limit statuses: batches of ids from fetch
 * (walking from p's cursor), each kept when load loads it into s. Some
 * are left out (hidden from the viewer), so it fetches again, in at most
 * TIMELINE_MAX_BATCHES batches, each sized for what is missing at the
 * rate kept so far (a reader who hides one status in five needs a few
 * more ids, not a second page of them); oldest-first when paging up
 * (min_id), then turned newest-first. ids holds p->limit. */
typedef size_t (*page_fetch)(void *ctx, const page *cur, int64_t *ids);
typedef bool (*page_load)(arena *a, void *ctx, int64_t id, status *s);
static void page_fill(arena *a, int64_t viewer, const page *p, int64_t *ids,
		      page_fetch fetch, page_load load, void *ctx,
		      status_page *out)
{
	page cur = *p;
	bool asc = p->min_id > 0;
	size_t fetched = 0;
	for (int batch = 0; batch < TIMELINE_MAX_BATCHES; batch++) {
		size_t n = fetch(ctx, &cur, ids);
		fetched += n;
		store_statuses_prefetch(a, ids, n, viewer);
		/* walk away from the cursor: oldest-first when paging up */
		for (size_t k = 0; k < n && out->count < (size_t)p->limit;
		     k++) {
			status *s = arena_alloc(a, sizeof *s);
			if (load(a, ctx, asc ? ids[n - 1 - k] : ids[k], s))
				out->items[out->count++] = s;
		}
		if (n < (size_t)cur.limit || out->count == (size_t)p->limit)
			break;
		size_t missing = (size_t)p->limit - out->count;
		size_t want = missing +
			      missing * fetched / (out->count ? out->count : 1);
		cur.limit = want < (size_t)p->limit ? (int)want : p->limit;
		if (asc)
			cur.min_id = ids[0];
		else
			cur.max_id = ids[n - 1];
		cur.since_id = asc ? 0 : cur.since_id;
	}
	store_statuses_prefetch_end();
	if (asc)
		for (size_t i = 0; i < out->count / 2; i++) {
			status *t = out->items[i];
			out->items[i] = out->items[out->count - 1 - i];
			out->items[out->count - 1 - i] = t;
		}
	page_cursors(out);
}

typedef struct feed_page {
	store_feed kind;
	int64_t arg, arg2, viewer;
	read_context where;
	status_filter keep;
	void *ctx;
} feed_page;

static size_t feed_fetch(void *ctx, const page *cur, int64_t *ids)
{
	feed_page *f = ctx;
	return store_feed_page(f->kind, f->arg, f->arg2, cur, ids);
}

static bool feed_load(arena *a, void *ctx, int64_t id, status *s)
{
	feed_page *f = ctx;
	return status_load_listed(a, f->viewer, id, f->where, s) &&
	       (!f->keep || f->keep(s, f->ctx));
}

void timeline_feed_filtered(arena *a, int64_t viewer, int kind, int64_t arg,
			    int64_t arg2, const page *p, status_filter keep,
			    void *ctx, status_page *out)
{
	feed_page f = {(store_feed)kind,
		       arg,
		       arg2,
		       viewer,
		       feed_context((store_feed)kind),
		       keep,
		       ctx};
	memset(out, 0, sizeof *out);
	out->items = arena_alloc(a, (size_t)p->limit * sizeof *out->items);
	int64_t *ids = arena_alloc(a, (size_t)p->limit * sizeof *ids);
	page_fill(a, viewer, p, ids, feed_fetch, feed_load, &f, out);
}

void timeline_from_ids(arena *a, int64_t viewer, const int64_t *ids, size_t n,
		       read_context where, status_page *out)
{
	memset(out, 0, sizeof *out);
	out->items = arena_alloc(a, (n + 1) * sizeof *out->items);
	store_statuses_prefetch(a, ids, n, viewer);
	for (size_t i = 0; i < n; i++) {
		status *s = arena_alloc(a, sizeof *s);
		if (status_load_listed(a, viewer, ids[i], where, s))
			out->items[out->count++] = s;
	}
	store_statuses_prefetch_end();
	page_cursors(out);
}

/* What a loaded status weighs in memory and, rendered, in a reply: its
 * stored text, HTML and entities. */
static size_t status_weight(const status *s)
{
	const char *const parts[] = {s->text, s->content, s->spoiler_text,
				     s->entities};
	size_t n = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		n += parts[i] ? strlen(parts[i]) : 0;
	return n;
}

/* Whether a list that already holds count statuses, having loaded used
 * bytes, may load one more weighing w: always until it holds one, then
 * while within list_max_bytes. A thread of thousands of maximal replies
 * would otherwise load and render hundreds of megabytes for one request. */
static bool context_has_room(size_t count, size_t used, size_t w)
{
	return count == 0 || used + w <= (size_t)cfg.list_max_bytes;
}

void timeline_context(arena *a, int64_t viewer, const status *s,
		      size_t max_ancestors, size_t max_descendants,
		      context *out)
{
	memset(out, 0, sizeof *out);
	/* ancestors: walk up the reply chain, then reverse to oldest first */
	out->ancestors = arena_alloc(a, (max_ancestors + 1) * sizeof(status *));
	int64_t up = s->in_reply_to_id;
	size_t used = 0;
	while (up && out->nancestors < max_ancestors) {
		status *parent = arena_alloc(a, sizeof *parent);
		if (!store_status_get(a, up, parent))
			break;
		up = parent->in_reply_to_id;
		/* hidden ones were loaded too: they count */
		size_t w = status_weight(parent);
		if (!context_has_room(out->nancestors, used, w))
			break;
		used += w;
		if (status_load_listed(a, viewer, parent->id, READ_THREAD,
				       parent))
			out->ancestors[out->nancestors++] = parent;
	}
	for (size_t i = 0; i < out->nancestors / 2; i++) {
		status *t = out->ancestors[i];
		out->ancestors[i] = out->ancestors[out->nancestors - 1 - i];
		out->ancestors[out->nancestors - 1 - i] = t;
	}
	status_page page;
	bool more = false;
	timeline_descendants(a, viewer, s, 0, max_descendants, &page, &more);
	out->descendants = page.items;
	out->ndescendants = page.count;
	out->truncated = more;
}

void timeline_descendants(arena *a, int64_t viewer, const status *s,
			  int64_t after_id, size_t limit, status_page *out,
			  bool *more)
{
	memset(out, 0, sizeof *out);
	*more = false;
	out->items = arena_alloc(a, (limit + 1) * sizeof *out->items);
	int64_t root = 0, after_root = 0;
	size_t len = 0, after_len = 0;
	const void *path = store_thread_path(a, s->id, &root, &len);
	if (!path)
		return;
	const void *after = NULL;
	if (after_id) {
		after = store_thread_path(a, after_id, &after_root, &after_len);
		/* a cursor outside this subtree starts from the top */
		if (!after || after_root != root || after_len <= len ||
		    memcmp(after, path, len))
			after = NULL;
	}
	size_t batch = limit + 1, used = 0;
	int64_t *ids = arena_alloc(a, batch * sizeof *ids);
	for (int round = 0; round < TIMELINE_MAX_BATCHES; round++) {
		size_t n = store_thread_descendants(root, path, len, after,
						    after_len, ids, batch);
		store_statuses_prefetch(a, ids, n, viewer);
		for (size_t k = 0; k < n; k++) {
			status *d = arena_alloc(a, sizeof *d);
			bool visible = status_load_listed(a, viewer, ids[k],
							  READ_THREAD, d);
			/* hidden ones were loaded too: they count */
			size_t w = status_weight(d);
			if (!context_has_room(out->count, used, w)) {
				*more = true;
				break;
			}
			used += w;
			if (!visible)
				continue;
			if (out->count == limit) {
				*more = true;
				break;
			}
			out->items[out->count++] = d;
		}
		if (*more || n < batch)
			break;
		after = store_thread_path(a, ids[n - 1], &after_root,
					  &after_len);
		if (!after)
			break;
	}
	store_statuses_prefetch_end();
	page_cursors(out);
}

/* The hidden replies under one post, as viewer is shown them: the
 * thread's rule leaves them out; the rest of it (blocks, mutes) still
 * applies, as to the listed ones. */
typedef struct hidden_page {
	int64_t root, viewer;
	const void *path;
	size_t len;
} hidden_page;

static size_t hidden_fetch(void *ctx, const page *cur, int64_t *ids)
{
	hidden_page *h = ctx;
	return store_replies_hidden_page(h->root, h->path, h->len, cur, ids);
}

static bool hidden_load(arena *a, void *ctx, int64_t id, status *d)
{
	hidden_page *h = ctx;
	return status_load_visible(a, h->viewer, id, d) &&
	       visibility_hidden_reply_listed(a, h->viewer, d);
}

void timeline_hidden_replies_page(arena *a, int64_t viewer, const status *s,
				  const page *p, status_page *out)
{
	memset(out, 0, sizeof *out);
	out->items =
		arena_alloc(a, ((size_t)p->limit + 1) * sizeof *out->items);
	hidden_page h = {.viewer = viewer};
	h.path = store_thread_path(a, s->id, &h.root, &h.len);
	if (!h.path)
		return;
	int64_t *ids = arena_alloc(a, ((size_t)p->limit + 1) * sizeof *ids);
	page_fill(a, viewer, p, ids, hidden_fetch, hidden_load, &h, out);
}

void timeline_hidden_replies(arena *a, int64_t viewer, const status *s,
			     size_t limit, status_page *out)
{
	memset(out, 0, sizeof *out);
	out->items = arena_alloc(a, (limit + 1) * sizeof *out->items);
	hidden_page h = {.viewer = viewer};
	h.path = store_thread_path(a, s->id, &h.root, &h.len);
	if (!h.path)
		return;
	int64_t *ids = arena_alloc(a, (limit + 1) * sizeof *ids);
	size_t n =
		store_replies_hidden_under(h.root, h.path, h.len, ids, limit);
	for (size_t k = 0; k < n; k++) {
		status *d = arena_alloc(a, sizeof *d);
		if (hidden_load(a, &h, ids[k], d))
			out->items[out->count++] = d;
	}
}
