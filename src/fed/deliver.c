/* deliver.c — what chorus sends: local posts made or gone (to the
 * author's followers elsewhere and the accounts they address, through a
 * fan-out), and the activities domain/'s acts toward other servers'
 * accounts make (a follow asked or ended, a request answered), kept as
 * deliveries in the database and sent by a job, one per inbox. A delivery that
 * fails for a reason that may pass (no answer, a 5xx, 408, 429) is tried again
 * later, first within a minute, at last days apart; one its inbox refuses
 * (another 4xx) is dropped. Kept in the database, a delivery outlives a
 * restart. */
#include "fed/fed.h"

#include "core/buf.h"
#include "core/config.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* Seconds before each retry, a week in all, with [federation]
 * first_retry_seconds at its default (30); the schedule scales with it. */
static const int retry_after_s[] = {30,	      120,	 600,	    3600,
				    6 * 3600, 24 * 3600, 48 * 3600, 96 * 3600};
enum { RETRY_SCHEDULE_FIRST = 30 };
/* A delivery to a server already busy with as many of ours as it may
 * have is put off this long. */
enum { SENDING_WAIT_MS = 200 };
enum { RETRIES = sizeof retry_after_s / sizeof *retry_after_s };

/* activity (its reference taken) as the text sent, with a context when
 * it has none of its own; malloc'd (NULL when it cannot be made). */
static char *activity_text(json_t *activity)
{
	if (!json_object_get(activity, "@context"))
		json_object_set_new(
			activity, "@context",
			json_string("https://www.w3.org/ns/activitystreams"));
	char *body = json_dumps(activity, JSON_COMPACT);
	json_decref(activity);
	return body;
}

int fed_deliver(json_t *activity, int64_t signer, const char *inbox)
{
	if (!activity)
		return -1;
	char *body = activity_text(activity);
	int rc = body ? store_delivery_add(inbox, signer, body, time_now_ms())
		      : -1;
	free(body);
	if (rc == 0)
		jobs_wake_lane();
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

static bool any_actor_known(void);
static void fan_out(json_t *activity, const account *author, bool to_followers,
		    const char *inboxes);

/* A local account's new profile, as an Update of its actor, to its
 * followers elsewhere. */
static void profile_changed(arena *a, int64_t id)
{
	account acc;
	json_t *person;
	if (!store_followed_elsewhere(id) || !store_account_get(a, id, &acc) ||
	    acc.domain || !(person = fed_person(a, &acc)))
		return;
	/* the actor's context (security terms too) heads the activity */
	json_t *context = json_incref(json_object_get(person, "@context"));
	json_object_del(person, "@context");
	const char *me = account_local_uri(a, acc.username);
	fan_out(json_pack("{s:o,s:s++,s:s,s:s,s:o,s:[s]}", "@context", context,
			  "id", me, "#updates/",
			  arena_printf(a, "%lld", (long long)id_next()), "type",
			  "Update", "actor", me, "object", person, "to",
			  "https://www.w3.org/ns/activitystreams#Public"),
		&acc, true, "");
}

/* A local account suspended: a Delete of its actor to its followers
 * elsewhere, as Mastodon tells a suspension (they forget it and what it
 * wrote; its undo is told as a new profile, profile_changed). */
static void actor_suspended(arena *a, int64_t id)
{
	account acc;
	if (!store_followed_elsewhere(id) || !store_account_get(a, id, &acc) ||
	    acc.domain)
		return;
	const char *me = account_local_uri(a, acc.username);
	fan_out(json_pack("{s:s,s:s++,s:s,s:s,s:s,s:[s]}", "@context",
			  "https://www.w3.org/ns/activitystreams", "id", me,
			  "#delete/",
			  arena_printf(a, "%lld", (long long)id_next()), "type",
			  "Delete", "actor", me, "object", me, "to",
			  "https://www.w3.org/ns/activitystreams#Public"),
		&acc, true, "");
}

/* The activity for a local account's act toward another server's
 * (remote); NULL when there is none to send. */
static json_t *act_activity(arena *a, const social_act *act, const char *me,
			    const store_actor *remote)
{
	const char *uri, *url;
	switch (act->kind) {
	case ACT_FOLLOW:
		return json_pack("{s:s,s:s,s:s,s:s}", "id",
				 follow_id(a, me, act->id), "type", "Follow",
				 "actor", me, "object", remote->uri);
	case ACT_UNFOLLOW: {
		/* Mastodon matches the Follow undone by its actor and
		 * object, GoToSocial by its id */
		json_t *undone = json_pack("{s:s,s:s,s:s}", "type", "Follow",
					   "actor", me, "object", remote->uri);
		if (act->id)
			json_object_set_new(
				undone, "id",
				json_string(follow_id(a, me, act->id)));
		return json_pack("{s:s,s:s,s:s,s:o}", "id",
				 arena_printf(a, "%s#follows/undo/%lld", me,
					      (long long)id_next()),
				 "type", "Undo", "actor", me, "object", undone);
	}
	case ACT_ACCEPT:
	case ACT_REJECT:
		return fed_follow_answer(
			a, act->kind == ACT_ACCEPT ? "Accept" : "Reject", me,
			remote->uri, act->uri);
	case ACT_LIKE:
	case ACT_UNLIKE: {
		if (!store_status_remote(a, act->id, &uri, &url))
			return NULL;
		/* named by the favourite's row: a like after an unlike is
		 * another Like, which a server that takes an id once
		 * would drop */
		const char *id = arena_printf(a, "%s#likes/%lld", me,
					      (long long)act->ref);
		json_t *like = json_pack("{s:s,s:s,s:s,s:s}", "id", id, "type",
					 "Like", "actor", me, "object", uri);
		if (act->kind == ACT_LIKE)
			return like;
		return json_pack("{s:s+,s:s,s:s,s:o}", "id", id, "/undo",
				 "type", "Undo", "actor", me, "object", like);
	}
	case ACT_BLOCK:
	case ACT_UNBLOCK: {
		/* named by the block's row, so the Undo names the Block it
		 * ends and a block after an unblock is a new one */
		const char *id = arena_printf(a, "%s#blocks/%lld", me,
					      (long long)act->ref);
		json_t *block =
			json_pack("{s:s,s:s,s:s,s:s}", "id", id, "type",
				  "Block", "actor", me, "object", remote->uri);
		if (act->kind == ACT_BLOCK)
			return block;
		return json_pack("{s:s+,s:s,s:s,s:o}", "id", id, "/undo",
				 "type", "Undo", "actor", me, "object", block);
	}
	case ACT_PROFILE:     /* to followers, not to one account: on_act */
	case ACT_FLAG: break; /* from the instance actor: on_act */
	}
	return NULL;
}

/* Report id of another server's account forwarded to that server: a
 * Flag from the instance actor (the reporter stays unnamed, as Mastodon
 * sends it) naming the account and its statuses the report names. */
static void flag_forward(arena *a, int64_t id, int64_t target)
{
	store_report r;
	store_actor them;
	if (!store_report_get(a, id, &r) || !store_actor_get(a, target, &them))
		return;
	json_t *object = json_array();
	json_array_append_new(object, json_string(them.uri));
	for (size_t i = 0; i < r.nstatus_ids; i++) {
		const char *uri, *url;
		if (store_status_remote(a, r.status_ids[i], &uri, &url))
			json_array_append_new(object, json_string(uri));
	}
	fed_deliver(json_pack("{s:s,s:s,s:s,s:s,s:o}", "id",
			      arena_printf(a, "%s/reports/%lld", cfg.base_url,
					   (long long)id),
			      "type", "Flag", "actor",
			      arena_printf(a, "%s/actor", cfg.base_url),
			      "content", r.comment, "object", object),
		    0, them.inbox);
}

static void on_act(const social_act *act)
{
	/* favourites are acts of every local account on every post: most
	 * are of local posts, and no read is spent on them before another
	 * server's actor is known */
	if ((act->kind == ACT_LIKE || act->kind == ACT_UNLIKE ||
	     act->kind == ACT_PROFILE) &&
	    !any_actor_known())
		return;
	arena a;
	arena_init(&a);
	account local;
	store_actor remote;
	if (act->kind == ACT_PROFILE) {
		profile_changed(&a, act->actor);
	} else if (act->kind == ACT_FLAG) {
		flag_forward(&a, act->id, act->object);
	} else if (store_actor_get(&a, act->object, &remote) &&
		   store_account_get(&a, act->actor, &local) && !local.domain) {
		const char *me = account_local_uri(&a, local.username);
		json_t *activity = act_activity(&a, act, me, &remote);
		if (activity)
			fed_deliver(activity, local.id, remote.inbox);
	}
	arena_release(&a);
}

/* Deliveries this process is sending now, per server: at most
 * [federation] server_concurrency each. Every sending thread holds at
 * most one, so a slot per job worker is enough. */
enum { SENDING_MAX = 32, HOST_MAX = 256 };
static struct {
	char host[HOST_MAX];
	int n;
} sending[SENDING_MAX];
static pthread_mutex_t sending_lock = PTHREAD_MUTEX_INITIALIZER;

static bool sending_take(const char *host)
{
	pthread_mutex_lock(&sending_lock);
	int free_slot = -1, found = -1;
	for (int i = 0; i < SENDING_MAX && found < 0; i++) {
		if (sending[i].n && !strcmp(sending[i].host, host))
			found = i;
		else if (!sending[i].n && free_slot < 0)
			free_slot = i;
	}
	bool taken = false;
	if (found >= 0 && sending[found].n < cfg.fed_server_concurrency) {
		sending[found].n++;
		taken = true;
	} else if (found < 0 && free_slot >= 0) {
		snprintf(sending[free_slot].host, HOST_MAX, "%s", host);
		sending[free_slot].n = 1;
		taken = true;
	}
	pthread_mutex_unlock(&sending_lock);
	return taken;
}

static void sending_give(const char *host)
{
	pthread_mutex_lock(&sending_lock);
	for (int i = 0; i < SENDING_MAX; i++)
		if (sending[i].n && !strcmp(sending[i].host, host)) {
			sending[i].n--;
			break;
		}
	pthread_mutex_unlock(&sending_lock);
}

/* ms, scaled as [federation] first_retry_seconds scales the schedule */
static int64_t scaled_ms(int64_t seconds)
{
	return seconds * 1000 * cfg.fed_first_retry_seconds /
	       RETRY_SCHEDULE_FIRST;
}

/* How long a delivery may live: its whole retry schedule. */
static int64_t lifetime_ms(void)
{
	int64_t s = 0;
	for (int i = 0; i < RETRIES; i++)
		s += retry_after_s[i];
	return scaled_ms(s);
}

/* Whether d may be sent now; if not, it is put off (or dropped, its
 * time over) and false. A server failing for longer than [federation]
 * unreachable_after_seconds is tried by one delivery every
 * unreachable_retry_seconds (a probe); its other deliveries wait for
 * the probe's answer, which, when the server answers, sends them. */
static bool may_send(const store_delivery *d, int64_t now, bool *failing)
{
	int64_t since, probe_at;
	*failing = store_server_failing(d->host, &since, &probe_at);
	if (*failing &&
	    now - since >= (int64_t)cfg.fed_unreachable_after_seconds * 1000) {
		int64_t retry =
			(int64_t)cfg.fed_unreachable_retry_seconds * 1000;
		if (now - d->created_at > lifetime_ms()) {
			log_info("fed: delivery to %s dropped (unreachable)",
				 d->inbox);
			store_delivery_done(d->id);
			return false;
		}
		if (!store_server_probe(d->host, now, now + retry)) {
			store_delivery_retry(
				d->id, probe_at > now ? probe_at : now + retry,
				false);
			return false;
		}
	}
	/* a server busy with our deliveries is asked again soon */
	if (!sending_take(d->host)) {
		store_delivery_retry(d->id, now + SENDING_WAIT_MS, false);
		return false;
	}
	return true;
}

int fed_deliver_job(int64_t id, const char **error)
{
	(void)error;
	arena a;
	arena_init(&a);
	store_delivery d;
	fed_signer signer;
	fed_response resp;
	bool failing;
	if (!store_delivery_get(&a, id, &d) ||
	    !may_send(&d, time_now_ms(), &failing)) {
		arena_release(&a);
		return 0;
	}
	fed_fetch_result r = FED_FETCH_FAILED;
	if (fed_signer_of(&a, d.signer_id, &signer))
		r = fed_request_send(&a, "POST", d.inbox, d.body,
				     strlen(d.body), &signer, &resp);
	sending_give(d.host);
	bool taken =
		r == FED_FETCH_OK && resp.status >= 200 && resp.status < 300;
	bool refused =
		r == FED_FETCH_REFUSED ||
		(r == FED_FETCH_OK && resp.status >= 400 && resp.status < 500 &&
		 resp.status != 408 && resp.status != 429);
	int64_t now = time_now_ms();
	/* an answer, whatever it says, is a server that is there */
	if (r == FED_FETCH_OK && (taken || refused) && failing)
		store_server_answered(d.host, now);
	else if (!taken && !refused && !failing)
		store_server_failed(d.host, now);
	if (taken || refused || d.attempts >= RETRIES) {
		if (!taken)
			log_info("fed: delivery to %s dropped (%s)", d.inbox,
				 refused ? "refused" : "never taken");
		store_delivery_done(id);
	} else {
		store_delivery_retry(
			id, now + scaled_ms(retry_after_s[d.attempts]), true);
	}
	arena_release(&a);
	return 0;
}

/* The inboxes, newline-separated, of the accounts of other servers s
 * mentions, and of the authors of the post it boosts or answers when
 * they are another server's: each is told even when it does not
 * follow. A server's shared inbox stands for its accounts' (as the
 * followers' do), so a server that has both a follower and a mentioned
 * account gets the post once. */
static const char *inbox_of(const store_actor *actor)
{
	return actor->shared_inbox ? actor->shared_inbox : actor->inbox;
}

static const char *addressed_inboxes(arena *a, const status *s)
{
	buf b;
	buf_init(&b, a);
	json_t *e = json_loads(s->entities ? s->entities : "{}", 0, NULL);
	json_t *m;
	size_t i;
	store_actor actor;
	int64_t id;
	json_array_foreach(json_object_get(e, "mentions"), i, m)
	{
		const char *sid = json_string_value(json_object_get(m, "id"));
		if (sid && id_parse(sid, &id) && store_actor_get(a, id, &actor))
			buf_printf(&b, "%s\n", inbox_of(&actor));
	}
	json_decref(e);
	if (s->reblog && store_actor_get(a, s->reblog->account_id, &actor))
		buf_printf(&b, "%s\n", inbox_of(&actor));
	/* the author of the post it answers, to see the reply there */
	if (s->in_reply_to_account_id &&
	    store_actor_get(a, s->in_reply_to_account_id, &actor))
		buf_printf(&b, "%s\n", inbox_of(&actor));
	return b.len ? b.data : "";
}

/* Owe activity to the author's followers elsewhere (but for a direct
 * post) and to inboxes: one fan-out, expanded by a job. */
static void fan_out(json_t *activity, const account *author, bool to_followers,
		    const char *inboxes)
{
	if (!activity)
		return;
	if (!to_followers && !*inboxes) {
		json_decref(activity);
		return;
	}
	char *body = activity_text(activity);
	if (body && store_fanout_add(author->id, to_followers ? author->id : 0,
				     inboxes, body, time_now_ms()) == 0)
		jobs_wake();
	else
		log_error("fed: a post's fan-out could not be kept");
	free(body);
}

/* Whether any other server's actor is known: until one is, no post has
 * an audience elsewhere, and deciding so costs a post nothing. Once
 * true it stays true; while false the database is asked at most once a
 * second (another process may have met the first actor). */
static _Atomic bool federating;
static _Atomic int64_t federating_checked_ms;

void fed_federating(void)
{
	atomic_store(&federating, true);
}

static bool any_actor_known(void)
{
	if (atomic_load(&federating))
		return true;
	int64_t now = time_now_ms();
	if (now - atomic_load(&federating_checked_ms) < 1000)
		return false;
	atomic_store(&federating_checked_ms, now);
	if (!store_actors_exist())
		return false;
	fed_federating();
	return true;
}

/* Whether local status s (not yet written, or as stored) has an
 * audience elsewhere: followers on other servers (but for a direct
 * post), or an addressed account there; *inboxes receives the latter.
 * Most posts have none: two reads decide, and nothing is built or
 * written for them. */
static bool heard_elsewhere(arena *a, const status *s, const char **inboxes)
{
	status with = *s;
	status boosted;
	if (s->reblog_of_id && !s->reblog &&
	    store_status_get(a, s->reblog_of_id, &boosted))
		with.reblog = &boosted;
	*inboxes = addressed_inboxes(a, &with);
	return **inboxes || (s->vis != VIS_DIRECT &&
			     store_followed_elsewhere(s->account_id));
}

/* The federation of a new local status: its job's kind, queued in the
 * status's transaction, or NULL. */
static const char *status_job(const status *s)
{
	if (!any_actor_known())
		return NULL;
	arena a;
	arena_init(&a);
	const char *inboxes;
	bool heard = heard_elsewhere(&a, s, &inboxes);
	arena_release(&a);
	return heard ? FED_POST_JOB : NULL;
}

/* Local status id as it now stands, created (its Create, a boost's
 * Announce) or edited (its Update), to whoever elsewhere should hear of
 * it: at once (the post's job), or by a fan-out's job. 0, or -1 when
 * what was owed could not be kept. */
static int tell_status(arena *a, int64_t id, bool created, bool now)
{
	status s;
	account author;
	const char *inboxes;
	if (!store_status_get(a, id, &s) || !heard_elsewhere(a, &s, &inboxes) ||
	    !store_account_get(a, s.account_id, &author) || author.domain ||
	    !status_load_visible(a, author.id, id, &s))
		return 0; /* gone, or no one elsewhere to tell */
	bool followers = s.vis != VIS_DIRECT;
	json_t *activity = created ? fed_create(a, &s, &author, true)
				   : fed_update(a, &s, &author);
	if (!now) {
		fan_out(activity, &author, followers, inboxes);
		return 0;
	}
	char *body = activity ? activity_text(activity) : NULL;
	int n = body ? store_fanout_now(author.id, followers ? author.id : 0,
					inboxes, body, time_now_ms())
		     : -1;
	free(body);
	/* as many deliveries as the lane has workers to send them */
	for (int i = 0; i < n && i < cfg.fed_delivery_workers; i++)
		jobs_wake_lane();
	return n < 0 ? -1 : 0;
}

/* A local post edited or gone: its Update, or Delete (a boost's Undo),
 * to whoever elsewhere should hear of it. A new one is told by its own
 * job (status_job). */
static void on_event(const event *e)
{
	if ((e->kind != EVENT_STATUS_EDITED &&
	     e->kind != EVENT_STATUS_DELETED) ||
	    !any_actor_known())
		return;
	arena a;
	arena_init(&a);
	account author;
	status s;
	if (e->kind == EVENT_STATUS_EDITED) {
		tell_status(&a, e->id, false, false);
	} else if (store_account_get(&a, e->account_id, &author) &&
		   !author.domain) {
		const char *me = account_local_uri(&a, author.username);
		const char *id = status_local_uri(&a, author.username, e->id);
		s = (status){.entities = e->entities};
		/* an undone boost goes to the boosted post's author too, as
		 * its Announce did */
		status boosted;
		if (e->reblog_of &&
		    store_status_get(&a, e->reblog_of, &boosted))
			s.reblog = &boosted;
		json_t *activity =
			e->reblog
				? json_pack("{s:s+,s:s,s:s,s:{s:s,s:s,s:s}}",
					    "id", id, "#undo", "type", "Undo",
					    "actor", me, "object", "id", id,
					    "type", "Announce", "actor", me)
				: json_pack("{s:s+,s:s,s:s,s:{s:s,s:s},s:[s]}",
					    "id", id, "#delete", "type",
					    "Delete", "actor", me, "object",
					    "id", id, "type", "Tombstone", "to",
					    "https://www.w3.org/ns/"
					    "activitystreams#Public");
		fan_out(activity, &author, e->vis != VIS_DIRECT,
			addressed_inboxes(&a, &s));
	}
	arena_release(&a);
}

int fed_suspension_job(int64_t id, const char **error)
{
	(void)error;
	arena a;
	arena_init(&a);
	account acc;
	/* told as it is now: a suspension undone before its job ran is
	 * told as the profile it has again */
	if (store_account_get(&a, id, &acc) && !acc.domain) {
		if (acc.suspended_at)
			actor_suspended(&a, id);
		else
			profile_changed(&a, id);
	}
	arena_release(&a);
	return 0;
}

int fed_post_job(int64_t id, const char **error)
{
	arena a;
	arena_init(&a);
	int rc = tell_status(&a, id, true, true);
	arena_release(&a);
	if (rc < 0)
		*error = "the post's deliveries could not be kept";
	return rc;
}

int fed_fanout_job(int64_t id, const char **error)
{
	int n = store_fanout_expand(id, time_now_ms());
	if (n < 0) {
		*error = "the fan-out could not be expanded";
		return -1;
	}
	/* as many deliveries as the lane has workers to send them */
	for (int i = 0; i < n && i < cfg.fed_delivery_workers; i++)
		jobs_wake_lane();
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
	events_federate(on_event);
	events_federate_statuses(status_job);
	jobs_register(FED_POST_JOB, fed_post_job);
	jobs_register(ACCOUNT_SUSPENSION_JOB, fed_suspension_job);
	jobs_register("fed_fanout", fed_fanout_job);
	accounts_resolve_with(fed_actor_by_handle);
	search_resolve_with(fed_resolve_url);
	fed_archive_install();
	jobs_register_batch("fed_inbox", fed_inbox_jobs, store_inbox_done,
			    STORE_JOB_BATCH_MAX);
	jobs_register(FED_REPLIES_JOB, fed_replies_job);
	jobs_register(STORE_JOB_LANE, fed_deliver_job);
	/* deliveries wait on other servers: on workers of their own */
	jobs_lane(cfg.fed_delivery_workers);
}
