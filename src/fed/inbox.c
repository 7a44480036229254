/* inbox.c — what other servers send us. The request is answered once
 * the activity is verified and kept (202): its signature checked with
 * the key of the actor it names (fetched when unknown, fetched again
 * once when it does not verify: keys rotate), the actor that signed it
 * the actor it says sent it, its id on that actor's host, and its id
 * never taken before (a replayed delivery is taken once). What it means
 * is worked out on a job ("fed_inbox"), so a flood of activities waits
 * in the jobs table, not in front of the API.
 *
 * Processed so far: Follow, Undo of a Follow, Accept and Reject of ours.
 * Anything else is taken and dropped. */
#include "fed/fed.h"

#include "core/config.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"

#include <string.h>

static const char *request_header(void *ctx, const char *name)
{
	return http_header_get(ctx, name);
}

static void refuse(http_req *r, const char *why)
{
	log_info("fed: inbox refused %s: %s", r->path, why);
	http_reply_error(r, 401, why);
}

/* The verified sender of r's signature, in *act; false after answering
 * 401. */
static bool signed_by(http_req *r, store_actor *act)
{
	arena *a = &r->arena;
	fed_request rq = {.method = r->method,
			  .target = r->path,
			  .base = cfg.base_url,
			  .header = request_header,
			  .ctx = r};
	fed_signature sig;
	fed_verdict v = fed_signature_find(a, &rq, &sig);
	if (v != FED_SIG_OK) {
		refuse(r, fed_verdict_reason(v));
		return false;
	}
	if (!fed_actor_by_key(a, sig.key_id, false, act)) {
		refuse(r, "the signature's key cannot be found");
		return false;
	}
	int64_t now = time_now_ms();
	v = fed_signature_check(a, &rq, &sig, r->body.data, r->body.len,
				act->public_key_pem, now);
	/* the key may have rotated since it was kept */
	if (v == FED_SIG_INVALID && fed_actor_by_key(a, sig.key_id, true, act))
		v = fed_signature_check(a, &rq, &sig, r->body.data, r->body.len,
					act->public_key_pem, now);
	if (v != FED_SIG_OK) {
		refuse(r, fed_verdict_reason(v));
		return false;
	}
	return true;
}

void fed_inbox(http_req *r)
{
	account to;
	if (http_path_param(r, 0) && !fed_path_account(r, 0, false, &to))
		return;
	if (!r->body.len) {
		http_reply_error(r, 400, "an activity is required");
		return;
	}
	if (r->body.len > (size_t)cfg.fed_max_document_bytes) {
		http_reply_error(r, 413, "the activity is too large");
		return;
	}
	store_actor act;
	if (!signed_by(r, &act))
		return;
	json_t *doc = json_loadb(r->body.data, r->body.len,
				 JSON_REJECT_DUPLICATES, NULL);
	const char *id = fed_str(doc, "id"), *type = fed_str(doc, "type");
	const char *actor = fed_id_of(json_object_get(doc, "actor"));
	if (!json_is_object(doc) || !id || !type || !actor) {
		json_decref(doc);
		http_reply_error(r, 400, "not an activity");
		return;
	}
	if (strcmp(actor, act.uri)) {
		json_decref(doc);
		refuse(r, "the activity's actor did not sign it");
		return;
	}
	if (!fed_same_origin(&r->arena, id, actor)) {
		json_decref(doc);
		http_reply_error(r, 400,
				 "the activity's id is not its actor's");
		return;
	}
	int64_t kept;
	int rc = store_inbox_accept(
		id, act.account_id,
		arena_strndup(&r->arena, r->body.data, r->body.len),
		time_now_ms(), &kept);
	json_decref(doc);
	if (rc < 0) {
		http_reply_error(r, 500, "the activity could not be kept");
		return;
	}
	if (rc == 0)
		jobs_wake();
	http_reply_raw(r, 202, "application/activity+json", "", 0);
}

/* ---- processing ---- */

/* The local account whose id uri is ("{base}/users/NAME", a fragment
 * or path after it allowed: "…#follows/1"). */
static bool local_account(arena *a, const char *uri, account *out)
{
	size_t base = strlen(cfg.base_url);
	if (!uri || strncmp(uri, cfg.base_url, base) ||
	    strncmp(uri + base, "/users/", 7))
		return false;
	const char *name = uri + base + 7;
	return store_account_by_username(
		a, arena_strndup(a, name, strcspn(name, "#/?")), NULL, out);
}

static void on_follow(arena *a, const store_actor *sender, json_t *doc)
{
	account target;
	const char *object = fed_id_of(json_object_get(doc, "object"));
	const char *id = fed_str(doc, "id");
	if (!local_account(a, object, &target))
		return;
	remote_follow_result res =
		remote_follow(a, sender->account_id, target.id, id);
	if (res == REMOTE_REQUESTED)
		return; /* answered when the account decides */
	fed_deliver(fed_follow_answer(
			    a, res == REMOTE_FOLLOWED ? "Accept" : "Reject",
			    fed_actor_id(a, target.username), sender->uri, id),
		    target.id, sender->inbox);
}

static void on_undo(arena *a, const store_actor *sender, json_t *doc)
{
	json_t *object = json_object_get(doc, "object");
	const char *type = fed_str(object, "type");
	const char *follower = fed_id_of(json_object_get(object, "actor"));
	account target;
	if (type && !strcmp(type, "Follow") && follower &&
	    !strcmp(follower, sender->uri) &&
	    local_account(a, fed_id_of(json_object_get(object, "object")),
			  &target))
		remote_unfollow(sender->account_id, target.id);
}

/* An answer to a local account's Follow: its actor is that account
 * (embedded), or the Follow's id names it (…/users/NAME#follows/ID). */
static void on_answer(arena *a, const store_actor *sender, json_t *doc,
		      bool accepted)
{
	json_t *object = json_object_get(doc, "object");
	const char *follower =
		json_is_object(object)
			? fed_id_of(json_object_get(object, "actor"))
			: json_string_value(object);
	account local;
	if (local_account(a, follower, &local))
		remote_follow_answered(local.id, sender->account_id, accepted);
}

int fed_inbox_job(int64_t id, const char **error)
{
	arena a;
	arena_init(&a);
	int64_t actor_id;
	const char *body;
	store_actor sender;
	if (!store_inbox_activity(&a, id, &actor_id, &body) ||
	    !store_actor_get(&a, actor_id, &sender)) {
		arena_release(&a);
		return 0; /* gone with its actor */
	}
	json_t *doc = json_loads(body, 0, NULL);
	const char *type = fed_str(doc, "type");
	if (!type)
		;
	else if (!strcmp(type, "Follow"))
		on_follow(&a, &sender, doc);
	else if (!strcmp(type, "Undo"))
		on_undo(&a, &sender, doc);
	else if (!strcmp(type, "Accept") || !strcmp(type, "Reject"))
		on_answer(&a, &sender, doc, type[0] == 'A');
	json_decref(doc);
	arena_release(&a);
	if (store_inbox_done(id) < 0) {
		*error = "the activity could not be let go";
		return -1;
	}
	return 0;
}
