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

void timeline_feed_filtered(arena *a, int64_t viewer, int kind, int64_t arg,
			    int64_t arg2, const page *p, status_filter keep,
			    void *ctx, status_page *out)
{
	read_context where = feed_context((store_feed)kind);
	memset(out, 0, sizeof *out);
	out->items = arena_alloc(a, (size_t)p->limit * sizeof *out->items);
	int64_t *ids = arena_alloc(a, (size_t)p->limit * sizeof *ids);
	page cur = *p;
	bool asc = p->min_id > 0;
	for (int batch = 0; batch < TIMELINE_MAX_BATCHES; batch++) {
		size_t n =
			store_feed_page((store_feed)kind, arg, arg2, &cur, ids);
		/* walk away from the cursor: oldest-first when paging up */
		for (size_t k = 0; k < n && out->count < (size_t)p->limit;
		     k++) {
			int64_t id = asc ? ids[n - 1 - k] : ids[k];
			status *s = arena_alloc(a, sizeof *s);
			if (status_load_listed(a, viewer, id, where, s) &&
			    (!keep || keep(s, ctx)))
				out->items[out->count++] = s;
		}
		if (n < (size_t)cur.limit || out->count == (size_t)p->limit)
			break;
		if (asc)
			cur.min_id = ids[0];
		else
			cur.max_id = ids[n - 1];
		cur.since_id = asc ? 0 : cur.since_id;
	}
	if (asc)
		for (size_t i = 0; i < out->count / 2; i++) {
			status *t = out->items[i];
			out->items[i] = out->items[out->count - 1 - i];
			out->items[out->count - 1 - i] = t;
		}
	page_cursors(out);
}

void timeline_from_ids(arena *a, int64_t viewer, const int64_t *ids, size_t n,
		       read_context where, status_page *out)
{
	memset(out, 0, sizeof *out);
	out->items = arena_alloc(a, (n + 1) * sizeof *out->items);
	for (size_t i = 0; i < n; i++) {
		status *s = arena_alloc(a, sizeof *s);
		if (status_load_listed(a, viewer, ids[i], where, s))
			out->items[out->count++] = s;
	}
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
	page_cursors(out);
}

/* Load hidden reply id into d when viewer is shown it there: the
 * thread's rule leaves it out; the rest of it (blocks, mutes, filters)
 * still applies, as to the listed ones. */
static bool hidden_reply_shown(arena *a, int64_t viewer, int64_t id, status *d)
{
	return status_load_visible(a, viewer, id, d) &&
	       visibility_account_listed(a, viewer, d->account_id, READ_THREAD);
}

void timeline_hidden_replies_page(arena *a, int64_t viewer, const status *s,
				  const page *p, status_page *out)
{
	memset(out, 0, sizeof *out);
	out->items =
		arena_alloc(a, ((size_t)p->limit + 1) * sizeof *out->items);
	int64_t root = 0;
	size_t len = 0;
	const void *path = store_thread_path(a, s->id, &root, &len);
	if (!path)
		return;
	int64_t *ids = arena_alloc(a, ((size_t)p->limit + 1) * sizeof *ids);
	page cur = *p;
	bool asc = p->min_id > 0;
	/* refilled in bounded batches, as the timelines, when some are
	 * hidden from viewer */
	for (int batch = 0; batch < TIMELINE_MAX_BATCHES; batch++) {
		size_t n =
			store_replies_hidden_page(root, path, len, &cur, ids);
		for (size_t k = 0; k < n && out->count < (size_t)p->limit;
		     k++) {
			status *d = arena_alloc(a, sizeof *d);
			if (hidden_reply_shown(a, viewer,
					       asc ? ids[n - 1 - k] : ids[k],
					       d))
				out->items[out->count++] = d;
		}
		if (n < (size_t)cur.limit || out->count == (size_t)p->limit)
			break;
		if (asc)
			cur.min_id = ids[0];
		else
			cur.max_id = ids[n - 1];
		cur.since_id = asc ? 0 : cur.since_id;
	}
	if (asc)
		for (size_t i = 0; i < out->count / 2; i++) {
			status *t = out->items[i];
			out->items[i] = out->items[out->count - 1 - i];
			out->items[out->count - 1 - i] = t;
		}
	page_cursors(out);
}

void timeline_hidden_replies(arena *a, int64_t viewer, const status *s,
			     size_t limit, status_page *out)
{
	memset(out, 0, sizeof *out);
	out->items = arena_alloc(a, (limit + 1) * sizeof *out->items);
	int64_t root = 0;
	size_t len = 0;
	const void *path = store_thread_path(a, s->id, &root, &len);
	if (!path)
		return;
	int64_t *ids = arena_alloc(a, (limit + 1) * sizeof *ids);
	size_t n = store_replies_hidden_under(root, path, len, ids, limit);
	for (size_t k = 0; k < n; k++) {
		status *d = arena_alloc(a, sizeof *d);
		if (hidden_reply_shown(a, viewer, ids[k], d))
			out->items[out->count++] = d;
	}
}
