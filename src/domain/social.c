/* social.c — follows, follow requests. */
#include "core/id.h"
#include "domain/domain.h"
#include "store/store.h"

dom_err account_follow(arena *a, const principal *p, int64_t target,
		       bool reblogs, bool notify_posts)
{
	account t;
	if (!store_account_get(a, target, &t))
		return DOM_NOT_FOUND;
	if (target == p->account_id)
		return DOM_FORBIDDEN;
	if (t.locked && !store_follows(p->account_id, target)) {
		int rc = store_follow_request_create(id_next(), p->account_id,
						     target, reblogs,
						     notify_posts);
		if (rc < 0)
			return DOM_INTERNAL;
		if (rc == 0)
			notify(target, "follow_request", p->account_id, 0);
		return DOM_OK;
	}
	int rc = store_follow_create(id_next(), p->account_id, target, reblogs,
				     notify_posts);
	if (rc < 0)
		return DOM_INTERNAL;
	if (rc == 0)
		notify(target, "follow", p->account_id, 0);
	return DOM_OK;
}

dom_err account_unfollow(arena *a, const principal *p, int64_t target)
{
	account t;
	if (!store_account_get(a, target, &t))
		return DOM_NOT_FOUND;
	if (store_follow_delete(p->account_id, target) < 0 ||
	    store_follow_request_delete(p->account_id, target) < 0)
		return DOM_INTERNAL;
	return DOM_OK;
}

dom_err follow_request_decide(arena *a, const principal *p, int64_t from,
			      bool accept)
{
	account f;
	if (!store_account_get(a, from, &f))
		return DOM_NOT_FOUND;
	if (!accept)
		return store_follow_request_delete(from, p->account_id) < 0
			       ? DOM_INTERNAL
			       : DOM_OK;
	if (!store_follow_request_accept(from, p->account_id, id_next()))
		return DOM_NOT_FOUND;
	return DOM_OK;
}
