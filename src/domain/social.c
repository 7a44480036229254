/* social.c — follows, follow requests. */
#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/store.h"
#include "text/text.h"

#include <string.h>

/* The one listener of acts toward other servers (fed/ installs it). */
static social_act_sink act_sink;

void social_acts_listen(social_act_sink sink)
{
	act_sink = sink;
}

void act_publish(const social_act *act)
{
	if (act_sink)
		act_sink(act);
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
			act_publish(&(social_act){.kind = ACT_FOLLOW,
						  .actor = p->account_id,
						  .object = target,
						  .id = id});
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
	act_publish(&(social_act){.kind = ACT_PROFILE, .actor = id});
}

dom_err account_unfollow(arena *a, const principal *p, int64_t target)
{
	account t;
	if (!store_account_get(a, target, &t))
		return DOM_NOT_FOUND;
	/* the Undo names the Follow it ends by its id (a follow of
	 * another server's account keeps its request's) */
	int64_t id = t.domain ? store_follow_id(p->account_id, target) : 0;
	if (follow_end(p->account_id, target) != DOM_OK)
		return DOM_INTERNAL;
	if (t.domain)
		act_publish(&(social_act){.kind = ACT_UNFOLLOW,
					  .actor = p->account_id,
					  .object = target,
					  .id = id});
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
			act_publish(&(social_act){.kind = ACT_REJECT,
						  .actor = p->account_id,
						  .object = from,
						  .uri = uri});
		return DOM_OK;
	}
	if (!store_follow_request_accept(from, p->account_id, id_next()))
		return DOM_NOT_FOUND;
	if (uri)
		act_publish(&(social_act){.kind = ACT_ACCEPT,
					  .actor = p->account_id,
					  .object = from,
					  .uri = uri});
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
	/* the follow keeps its request's id: the Follow sent was named
	 * by it, and an Undo names it again */
	arena a;
	arena_init(&a);
	int64_t id = 0;
	store_follow_request_uri(&a, follower, target, &id);
	arena_release(&a);
	/* an Accept of a follow already accepted changes nothing */
	if (!store_follow_request_accept(follower, target, id ? id : id_next()))
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
	/* another server is told, so its account stops seeing p there: a
	 * Block named by the block's id, and its Undo by the same */
	bool tell = t.domain && p->account && !p->account->domain;
	int64_t block_id = on	  ? id_next()
			   : tell ? store_block_id(p->account_id, target)
				  : 0;
	int rc = on ? store_block_create(block_id, p->account_id, target)
		    : store_block_delete(p->account_id, target);
	if (rc < 0)
		return DOM_INTERNAL;
	if (tell && block_id && (!on || rc == 0))
		act_publish(&(social_act){.kind = on ? ACT_BLOCK : ACT_UNBLOCK,
					  .actor = p->account_id,
					  .object = target,
					  .ref = block_id});
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

/* A domain as it may be blocked: a host name (letters, digits, '-',
 * '.', an IDN in its ASCII form) and perhaps a port (":8443", as
 * handles on loopback have), lower-cased into out. */
static bool domain_normalise(arena *a, const char *in, const char **out)
{
	size_t n = in ? strlen(in) : 0;
	if (n == 0 || n > DOMAIN_MAX || in[0] == '.' || in[n - 1] == '.')
		return false;
	char *d = arena_alloc(a, n + 1);
	const char *port = strchr(in, ':');
	size_t host = port ? (size_t)(port - in) : n;
	if (host == 0 || in[host - 1] == '.' ||
	    (port &&
	     (!port[1] || strspn(port + 1, "0123456789") != strlen(port + 1))))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (i < host &&
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
		if (c == '.' && in[i + 1] == '.')
			return false;
		d[i] = c;
	}
	d[n] = '\0';
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

/* ---- instance blocks ---- */

dom_err instance_block(arena *a, const instance_block_request *rq,
		       store_instance_block *out, const char **msg)
{
	const char *d;
	*msg = "This action is not allowed";
	if (!rq->shell && !account_is_admin(rq->by))
		return DOM_FORBIDDEN;
	if (!domain_normalise(a, rq->domain, &d)) {
		*msg = "Validation failed: domain is not a valid domain name";
		return DOM_INVALID;
	}
	if (!strcmp(d, cfg.domain)) {
		*msg = "Validation failed: domain is this server's own";
		return DOM_INVALID;
	}
	if (rq->severity != INSTANCE_SILENCED &&
	    rq->severity != INSTANCE_SUSPENDED) {
		*msg = "Validation failed: severity is silence or suspend";
		return DOM_INVALID;
	}
	const char *comments[] = {rq->public_comment, rq->private_comment};
	for (size_t i = 0; i < 2; i++)
		if (comments[i] &&
		    text_code_points(comments[i]) > REPORT_COMMENT_MAX) {
			*msg = "Validation failed: a comment is too long";
			return DOM_INVALID;
		}
	*out = (store_instance_block){
		.domain = d,
		.severity = (int)rq->severity,
		.reject_media = rq->reject_media,
		.public_comment = rq->public_comment && *rq->public_comment
					  ? rq->public_comment
					  : NULL,
		.private_comment = rq->private_comment && *rq->private_comment
					   ? rq->private_comment
					   : NULL,
		.created_at = time_now_ms()};
	store_admin_action log = {
		.account_id = rq->by ? rq->by->id : 0,
		.actor = moderator_name(a, rq->by),
		.action = rq->severity == INSTANCE_SUSPENDED ? "domain_suspend"
							     : "domain_silence",
		.target_type = "domain_block",
		.target = d,
		.text = out->private_comment,
		.created_at = out->created_at,
	};
	/* suspended, what was kept of the server goes, as Mastodon purges
	 * it: by the server's job, whose caches forget it too (this may
	 * run in the command line beside a running server) */
	if (store_instance_block_set(out,
				     rq->severity == INSTANCE_SUSPENDED
					     ? INSTANCE_PURGE_JOB
					     : NULL,
				     &log) < 0) {
		*msg = "could not keep the block";
		return DOM_INTERNAL;
	}
	return DOM_OK;
}

typedef struct domain_list {
	const char **domains;
	size_t n, max;
} domain_list;

static void collect_suspended(const store_instance_block *b, void *ctx)
{
	domain_list *l = ctx;
	if (b->severity == INSTANCE_SUSPENDED && l->n < l->max)
		l->domains[l->n++] = b->domain;
}

int instance_purge_job(int64_t arg, const char **error)
{
	(void)arg;
	enum { DOMAINS = 1024, BATCH = 256 };
	arena a;
	arena_init(&a);
	domain_list l = {arena_alloc(&a, DOMAINS * sizeof *l.domains), 0,
			 DOMAINS};
	int rc = 0;
	/* blocks past DOMAINS wait for the next purge */
	if (store_instance_blocks_each(&a, collect_suspended, &l) < 0)
		rc = -1;
	int64_t ids[BATCH];
	for (size_t k = 0; rc == 0 && k < l.n; k++) {
		size_t n;
		while (rc == 0 && (n = store_accounts_of_domain(
					   l.domains[k], ids, BATCH)) > 0)
			for (size_t i = 0; i < n && rc == 0; i++)
				if (account_delete(&a, ids[i]) != DOM_OK)
					rc = -1;
	}
	arena_release(&a);
	if (rc < 0)
		*error = "a suspended server's accounts could not all be "
			 "removed";
	return rc;
}

dom_err instance_unblock(arena *a, const account *by, bool shell,
			 const char *domain, const char **msg)
{
	const char *d;
	*msg = "This action is not allowed";
	if (!shell && !account_is_admin(by))
		return DOM_FORBIDDEN;
	if (!domain_normalise(a, domain, &d)) {
		*msg = "not a domain name";
		return DOM_INVALID;
	}
	store_admin_action log = {
		.account_id = by ? by->id : 0,
		.actor = moderator_name(a, by),
		.action = "domain_unblock",
		.target_type = "domain_block",
		.target = d,
		.created_at = time_now_ms(),
	};
	int rc = store_instance_block_delete(d, &log);
	if (rc == 0)
		*msg = "that domain is not blocked";
	return rc < 0 ? DOM_INTERNAL : rc == 0 ? DOM_NOT_FOUND : DOM_OK;
}

instance_severity instance_policy(arena *a, const char *host,
				  bool *reject_media)
{
	const char *d;
	if (reject_media)
		*reject_media = false;
	if (!host || !domain_normalise(a, host, &d))
		return INSTANCE_OPEN;
	/* the host as given, without its port, then each parent domain */
	enum { LEVELS = 8 };
	const char *candidates[LEVELS + 1];
	size_t n = 0;
	candidates[n++] = d;
	const char *colon = strchr(d, ':');
	const char *name = colon ? arena_strndup(a, d, (size_t)(colon - d)) : d;
	if (colon)
		candidates[n++] = name;
	bool address = strspn(name, "0123456789.") == strlen(name);
	for (const char *dot = address ? NULL : strchr(name, '.');
	     dot && n < LEVELS; dot = strchr(dot + 1, '.'))
		if (strchr(dot + 1, '.')) /* not a bare top-level domain */
			candidates[n++] = dot + 1;
	store_instance_block b;
	if (!store_instance_block_find(a, candidates, n, &b))
		return INSTANCE_OPEN;
	if (reject_media)
		*reject_media = b.reject_media;
	return (instance_severity)b.severity;
}
