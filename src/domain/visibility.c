/* visibility.c — the one rule for who may see a status. Every read path
 * (lookup, timelines, context, lists) goes through visibility_can_see. */
#include "domain/domain.h"
#include "store/store.h"

#include <string.h>

bool visibility_can_see(int64_t viewer, const status *s)
{
	if (s->vis == VIS_PUBLIC || s->vis == VIS_UNLISTED)
		return true;
	if (viewer && viewer == s->account_id)
		return true;
	if (!viewer)
		return false;
	if (store_is_mentioned(s->id, viewer))
		return true;
	return s->vis == VIS_PRIVATE && store_follows(viewer, s->account_id);
}

/* May viewer read every version of s, or only the versions that
 * mentioned them? Mentions are the only way into a direct status, and
 * one added by an edit opens that version onward, never what was written
 * before to others; a mention an edit removed keeps the versions it
 * received. Followers (of a private status) and, on public and unlisted
 * ones, everyone read the whole history, as they read the status. */
static bool sees_every_version(int64_t viewer, const status *s)
{
	if (s->vis == VIS_PUBLIC || s->vis == VIS_UNLISTED)
		return true;
	if (viewer && viewer == s->account_id)
		return true;
	return viewer && s->vis == VIS_PRIVATE &&
	       store_follows(viewer, s->account_id);
}

size_t visibility_history(arena *a, int64_t viewer, const status *s,
			  size_t overhead, size_t max_bytes, status **out)
{
	bool *addressed;
	size_t n = store_status_edits(a, s->id, viewer, overhead, max_bytes,
				      out, &addressed);
	if (n == 0) {
		*out = (status *)s;
		return 1;
	}
	if (sees_every_version(viewer, s))
		return n;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (addressed[i])
			(*out)[kept++] = (*out)[i];
	return kept;
}

const account *status_author(arena *a, const status *s)
{
	if (s->account)
		return s->account;
	account *acc = arena_alloc(a, sizeof *acc);
	if (!store_account_get(a, s->account_id, acc))
		return NULL;
	((status *)s)->account = acc; /* memo: the same request only */
	return acc;
}

bool status_load_visible(arena *a, int64_t viewer, int64_t id, status *out)
{
	/* the author is loaded on demand (status_author): a page served
	 * from the render cache never needs it */
	if (!store_status_get(a, id, out) || !visibility_can_see(viewer, out))
		return false;
	if (out->reblog_of_id) {
		status *target = arena_alloc(a, sizeof *target);
		if (!store_status_get(a, out->reblog_of_id, target) ||
		    !visibility_can_see(viewer, target))
			return false;
		out->reblog = target;
	}
	return true;
}
