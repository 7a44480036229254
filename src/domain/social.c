/* social.c — follows, follow requests. */
#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/store.h"

#include <string.h>

/* The one listener of acts toward other servers (fed/ installs it). */
static social_act_sink act_sink;

void social_acts_listen(social_act_sink sink)
{
	act_sink = sink;
}

void act_publish(social_act_kind kind, int64_t actor, int64_t object,
		 int64_t id, const char *uri)
{
	if (act_sink)
		act_sink(&(social_act){.kind = kind,
				       .actor = actor,
				       .object = object,
				       .id = id,
				       .uri = uri});
}

dom_err account_follow(arena *a, const principal *p, int64_t target,
		       bool reblogs, bool notify_posts)
{
	account t;
	if (!store_account_get(a, target, &t))
		return DOM_NOT_FOUND;
	if (target == p->account_id)
		return DOM_FORBIDDEN;
	/* another server's account answers a request (its Accept), as a
	 * locked one here does */
	if ((t.locked || t.domain) && !store_follows(p->account_id, target)) {
		int64_t id = id_next();
		int rc = store_follow_request_create(
			id, p->account_id, target, reblogs, notify_posts, NULL);
		if (rc == STORE_BLOCKED)
			return DOM_FORBIDDEN;
		if (rc < 0)
			return DOM_INTERNAL;
		if (rc == 0 && !t.domain)
			notify(target, "follow_request", p->account_id, 0);
		if (t.domain) {
			/* asked again: the same request, sent again */
			store_follow_request_uri(a, p->account_id, target, &id);
			act_publish(ACT_FOLLOW, p->account_id, target, id,
				    NULL);
		}
		return DOM_OK;
	}
	int rc = store_follow_create(id_next(), p->account_id, target, reblogs,
				     notify_posts);
	if (rc == STORE_BLOCKED) /* either blocks the other */
		return DOM_FORBIDDEN;
	if (rc < 0)
		return DOM_INTERNAL;
	if (rc == 0)
		notify(target, "follow", p->account_id, 0);
	return DOM_OK;
}

void account_profile_changed(int64_t id)
{
	act_publish(ACT_PROFILE, id, 0, 0, NULL);
}

dom_err account_unfollow(arena *a, const principal *p, int64_t target)
{
	account t;
	if (!store_account_get(a, target, &t))
		return DOM_NOT_FOUND;
	if (follow_end(p->account_id, target) != DOM_OK)
		return DOM_INTERNAL;
	if (t.domain)
		act_publish(ACT_UNFOLLOW, p->account_id, target, 0, NULL);
	return DOM_OK;
}

dom_err follow_request_decide(arena *a, const principal *p, int64_t from,
			      bool accept)
{
	account f;
	if (!store_account_get(a, from, &f))
		return DOM_NOT_FOUND;
	/* another server's request is answered with its Follow's id */
	const char *uri =
		f.domain
			? store_follow_request_uri(a, from, p->account_id, NULL)
			: NULL;
	if (!accept) {
		if (store_follow_request_delete(from, p->account_id) < 0)
			return DOM_INTERNAL;
		if (uri)
			act_publish(ACT_REJECT, p->account_id, from, 0, uri);
		return DOM_OK;
	}
	if (!store_follow_request_accept(from, p->account_id, id_next()))
		return DOM_NOT_FOUND;
	if (uri)
		act_publish(ACT_ACCEPT, p->account_id, from, 0, uri);
	return DOM_OK;
}

remote_follow_result remote_follow(arena *a, int64_t follower, int64_t target,
				   const char *uri)
{
	account t;
	if (!store_account_get(a, target, &t) || t.domain || follower == target)
		return REMOTE_REFUSED;
	if (t.locked && !store_follows(follower, target)) {
		int rc = store_follow_request_create(id_next(), follower,
						     target, true, false, uri);
		if (rc < 0)
			return REMOTE_REFUSED; /* a block, either way */
		if (rc == 0)
			notify(target, "follow_request", follower, 0);
		return REMOTE_REQUESTED;
	}
	int rc = store_follow_create(id_next(), follower, target, true, false);
	if (rc < 0)
		return REMOTE_REFUSED;
	if (rc == 0)
		notify(target, "follow", follower, 0);
	return REMOTE_FOLLOWED;
}

dom_err follow_end(int64_t follower, int64_t target)
{
	return store_follow_delete(follower, target) < 0 ? DOM_INTERNAL
							 : DOM_OK;
}

dom_err remote_follow_answered(int64_t follower, int64_t target, bool accepted)
{
	if (!accepted)
		return follow_end(follower, target);
	/* an Accept of a follow already accepted changes nothing */
	if (!store_follow_request_accept(follower, target, id_next()))
		return store_follows(follower, target) ? DOM_OK : DOM_NOT_FOUND;
	return DOM_OK;
}

/* The target of a block or mute: another account that exists. */
static dom_err other_account(arena *a, const principal *p, int64_t target,
			     account *t, const char **msg)
{
	if (!store_account_get(a, target, t)) {
		*msg = "Record not found";
		return DOM_NOT_FOUND;
	}
	if (target == p->account_id) {
		*msg = "You cannot do this to yourself";
		return DOM_INVALID;
	}
	return DOM_OK;
}

dom_err account_block(arena *a, const principal *p, int64_t target, bool on,
		      const char **msg)
{
	account t;
	dom_err err = other_account(a, p, target, &t, msg);
	if (err)
		return err;
	int rc = on ? store_block_create(id_next(), p->account_id, target)
		    : store_block_delete(p->account_id, target);
	if (rc < 0)
		return DOM_INTERNAL;
	/* another server is told, so its account stops seeing p there */
	if (t.domain && p->account && !p->account->domain)
		act_publish(on ? ACT_BLOCK : ACT_UNBLOCK, p->account_id, target,
			    0, NULL);
	return DOM_OK;
}

dom_err account_mute(arena *a, const principal *p, int64_t target, bool on,
		     bool notifications, int64_t seconds, const char **msg)
{
	account t;
	dom_err err = other_account(a, p, target, &t, msg);
	if (err)
		return err;
	if (seconds < 0 || seconds > MUTE_MAX_SECONDS) {
		*msg = "Validation failed: duration is out of range";
		return DOM_INVALID;
	}
	int rc = on ? store_mute_set(
			      id_next(), p->account_id, target, notifications,
			      seconds ? time_now_ms() + seconds * 1000 : 0)
		    : store_mute_delete(p->account_id, target);
	return rc < 0 ? DOM_INTERNAL : DOM_OK;
}

/* A domain as a user may block it: a host name (letters, digits, '-',
 * '.', an IDN in its ASCII form), lower-cased into out. */
static bool domain_normalise(arena *a, const char *in, const char **out)
{
	size_t n = in ? strlen(in) : 0;
	if (n == 0 || n > DOMAIN_MAX || in[0] == '.' || in[n - 1] == '.')
		return false;
	char *d = arena_alloc(a, n + 1);
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
		if (c == '.' && in[i + 1] == '.')
			return false;
		d[i] = c;
	}
	*out = d;
	return true;
}

dom_err domain_block(arena *a, const principal *p, const char *domain, bool on,
		     const char **msg)
{
	const char *d;
	if (!domain_normalise(a, domain, &d)) {
		*msg = "Validation failed: domain is not a valid domain name";
		return DOM_INVALID;
	}
	if (!strcmp(d, cfg.domain)) {
		*msg = "Validation failed: domain is this server's own";
		return DOM_INVALID;
	}
	return store_domain_block_set(id_next(), p->account_id, d, on) < 0
		       ? DOM_INTERNAL
		       : DOM_OK;
}
