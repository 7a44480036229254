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
