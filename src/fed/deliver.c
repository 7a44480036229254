/* deliver.c — what chorus sends: the activities domain/'s acts toward
 * other servers' accounts make (a follow asked or ended, a request
 * answered), kept as deliveries in the database and sent by a job, one
 * per inbox. A delivery that fails for a reason that may pass (no
 * answer, a 5xx, 408, 429) is tried again later, first within a minute,
 * at last days apart; one its inbox refuses (another 4xx) is dropped.
 * Kept in the database, a delivery outlives a restart. */
#include "fed/fed.h"

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"

#include <string.h>

/* Seconds before each retry: a week in all. */
static const int retry_after_s[] = {30,	      120,	 600,	    3600,
				    6 * 3600, 24 * 3600, 48 * 3600, 96 * 3600};
enum { RETRIES = sizeof retry_after_s / sizeof *retry_after_s };

int fed_deliver(json_t *activity, int64_t signer, const char *inbox)
{
	if (!activity)
		return -1;
	json_object_set_new(
		activity, "@context",
		json_string("https://www.w3.org/ns/activitystreams"));
	char *body = json_dumps(activity, JSON_COMPACT);
	json_decref(activity);
	int rc = body ? store_delivery_add(inbox, signer, body, time_now_ms())
		      : -1;
	free(body);
	if (rc == 0)
		jobs_wake();
	else
		log_error("fed: a delivery to %s could not be kept", inbox);
	return rc;
}

json_t *fed_follow_answer(arena *a, const char *type, const char *from,
			  const char *to, const char *follow_id)
{
	/* unique per answer: one follow may be answered more than once */
	return json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s}}", "id",
			 arena_printf(a, "%s#%s/%lld", from,
				      type[0] == 'A' ? "accepts" : "rejects",
				      (long long)id_next()),
			 "type", type, "actor", from, "object", "id", follow_id,
			 "type", "Follow", "actor", to, "object", from);
}

/* The id of local follower's Follow (request id) of another account. */
static const char *follow_id(arena *a, const char *follower, int64_t id)
{
	return arena_printf(a, "%s#follows/%lld", follower, (long long)id);
}

static void on_act(const social_act *act)
{
	arena a;
	arena_init(&a);
	account local;
	store_actor remote;
	if (!store_account_get(&a, act->actor, &local) ||
	    !store_actor_get(&a, act->object, &remote)) {
		arena_release(&a);
		return;
	}
	const char *me = fed_actor_id(&a, local.username);
	json_t *activity = NULL;
	switch (act->kind) {
	case ACT_FOLLOW:
		activity = json_pack(
			"{s:s,s:s,s:s,s:s}", "id", follow_id(&a, me, act->id),
			"type", "Follow", "actor", me, "object", remote.uri);
		break;
	case ACT_UNFOLLOW:
		/* Mastodon matches the Follow undone by its actor and
		 * object */
		activity =
			json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "id",
				  arena_printf(&a, "%s#follows/undo/%lld", me,
					       (long long)id_next()),
				  "type", "Undo", "actor", me, "object", "type",
				  "Follow", "actor", me, "object", remote.uri);
		break;
	case ACT_ACCEPT:
	case ACT_REJECT:
		activity = fed_follow_answer(
			&a, act->kind == ACT_ACCEPT ? "Accept" : "Reject", me,
			remote.uri, act->uri);
		break;
	}
	fed_deliver(activity, local.id, remote.inbox);
	arena_release(&a);
}

int fed_deliver_job(int64_t id, const char **error)
{
	(void)error;
	arena a;
	arena_init(&a);
	store_delivery d;
	fed_signer signer;
	fed_response resp;
	if (!store_delivery_get(&a, id, &d)) {
		arena_release(&a);
		return 0;
	}
	fed_fetch_result r = FED_FETCH_FAILED;
	if (fed_signer_of(&a, d.signer_id, &signer))
		r = fed_request_send(&a, "POST", d.inbox, d.body,
				     strlen(d.body), &signer, &resp);
	bool taken =
		r == FED_FETCH_OK && resp.status >= 200 && resp.status < 300;
	bool refused =
		r == FED_FETCH_REFUSED ||
		(r == FED_FETCH_OK && resp.status >= 400 && resp.status < 500 &&
		 resp.status != 408 && resp.status != 429);
	if (taken || refused || d.attempts >= RETRIES) {
		if (!taken)
			log_info("fed: delivery to %s dropped (%s)", d.inbox,
				 refused ? "refused" : "never taken");
		store_delivery_done(id);
	} else {
		store_delivery_retry(
			id, time_now_ms() +
				    (int64_t)retry_after_s[d.attempts] * 1000);
	}
	arena_release(&a);
	return 0;
}

/* Activity ids are kept for replays two days: a signature is good for
 * 13 hours (12 back, 1 ahead), so an older replay fails on its date. */
static void forget_old_activity_ids(void)
{
	store_inbox_seen_prune(time_now_ms() - 2 * 86400 * 1000LL);
}

void fed_start(void)
{
	jobs_every(3600, forget_old_activity_ids);
	social_acts_listen(on_act);
	accounts_resolve_with(fed_actor_by_handle);
	jobs_register("fed_inbox", fed_inbox_job);
	jobs_register("fed_deliver", fed_deliver_job);
}
