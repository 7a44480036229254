/* moderation.c — reports, and their review by the staff.
 *
 * Who may report what is the visibility rule's: a status is named in a
 * report only when its reporter can see it. Who may review is
 * account_is_staff's. */
#include "core/buf.h"
#include "core/cache.h"
#include "core/config.h"
#include "core/time.h"
#include "domain/domain.h"
#include "jobs/jobs.h"
#include "store/store.h"
#include "text/text.h"

#include <pthread.h>
#include <string.h>

static const char *const categories[] = {"spam", "legal", "violation", "other"};

static bool category_known(const char *c)
{
	for (size_t i = 0; i < sizeof categories / sizeof *categories; i++)
		if (!strcmp(c, categories[i]))
			return true;
	return false;
}

/* The rule ids as a JSON array of strings, each one of [instance] rules
 * (ids are positions from 1): NULL for none, "" for an unknown one. */
static const char *rule_ids_json(arena *a, const int64_t *ids, size_t n)
{
	if (!n)
		return NULL;
	const char *rules[REPORT_RULES_MAX];
	size_t known = config_rules(a, rules, REPORT_RULES_MAX);
	buf b;
	buf_init(&b, a);
	buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		if (ids[i] < 1 || (size_t)ids[i] > known)
			return "";
		buf_printf(&b, "%s\"%lld\"", i ? "," : "", (long long)ids[i]);
	}
	buf_putc(&b, ']');
	return b.data;
}

/* The statuses of target among ids that viewer can see, sorted and
 * without repeats, into *out: false when one is not (not found for
 * the reporter, as Mastodon answers). viewer 0: any of target's. */
static bool target_statuses(arena *a, int64_t viewer, int64_t target,
			    const int64_t *ids, size_t n, bool strict,
			    int64_t **out, size_t *nout)
{
	int64_t *kept = arena_alloc(a, (n + 1) * sizeof *kept);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		status s;
		bool ok = store_status_get(a, ids[i], &s) &&
			  s.account_id == target && !s.reblog_of_id &&
			  (!viewer || visibility_can_see(viewer, &s));
		if (!ok) {
			if (strict)
				return false;
			continue;
		}
		size_t j = k;
		while (j > 0 && kept[j - 1] > ids[i])
			j--;
		if (j > 0 && kept[j - 1] == ids[i])
			continue;
		memmove(kept + j + 1, kept + j, (k - j) * sizeof *kept);
		kept[j] = ids[i];
		k++;
	}
	*out = kept;
	*nout = k;
	return true;
}

dom_err report_file(arena *a, const principal *p, const report_request *rq,
		    store_report *out, const char **msg)
{
	account target;
	*msg = "Record not found";
	/* an account that blocks the reporter, or that the reporter mutes
	 * or blocks, can be reported all the same */
	if (!store_account_get(a, rq->target_id, &target))
		return DOM_NOT_FOUND;
	if (rq->nstatus_ids > REPORT_STATUSES_MAX) {
		*msg = "Validation failed: Status ids are too many";
		return DOM_INVALID;
	}
	int64_t *ids;
	size_t n;
	if (!target_statuses(a, p->account_id, target.id, rq->status_ids,
			     rq->nstatus_ids, true, &ids, &n))
		return DOM_NOT_FOUND;
	const char *category = rq->category    ? rq->category
			       : rq->nrule_ids ? "violation"
					       : "other";
	if (!category_known(category)) {
		*msg = "Validation failed: Category is not included in the "
		       "list";
		return DOM_INVALID;
	}
	if (rq->nrule_ids > REPORT_RULES_MAX ||
	    (rq->nrule_ids && strcmp(category, "violation"))) {
		*msg = "Validation failed: Rule ids are for a violation only";
		return DOM_INVALID;
	}
	const char *rules = rule_ids_json(a, rq->rule_ids, rq->nrule_ids);
	if (rules && !*rules) {
		*msg = "Validation failed: Rule ids contains invalid ids";
		return DOM_INVALID;
	}
	const char *comment = rq->comment ? rq->comment : "";
	if (text_code_points(comment) > REPORT_COMMENT_MAX) {
		*msg = "Validation failed: Comment is too long (maximum is "
		       "1000 characters)";
		return DOM_INVALID;
	}
	*out = (store_report){.account_id = p->account_id,
			      .target_account_id = target.id,
			      .category = category,
			      .comment = comment,
			      .rule_ids = rules,
			      .forwarded = rq->forward && target.domain,
			      .created_at = time_now_ms(),
			      .status_ids = ids,
			      .nstatus_ids = n};
	if (store_report_insert(out) < 0) {
		*msg = "could not keep the report";
		return DOM_INTERNAL;
	}
	if (out->forwarded)
		act_publish(&(social_act){.kind = ACT_FLAG,
					  .actor = p->account_id,
					  .object = target.id,
					  .id = out->id});
	return DOM_OK;
}

dom_err report_from_server(arena *a, int64_t reporter, int64_t target,
			   const int64_t *status_ids, size_t n,
			   const char *comment, const char *uri)
{
	account t;
	if (!store_account_get(a, target, &t) || t.domain)
		return DOM_NOT_FOUND;
	int64_t *ids;
	size_t k;
	target_statuses(a, 0, target, status_ids,
			n < REPORT_STATUSES_MAX ? n : REPORT_STATUSES_MAX,
			false, &ids, &k);
	/* a comment past the limit is cut, not refused: it is evidence */
	const char *c = comment ? comment : "";
	if (text_code_points(c) > REPORT_COMMENT_MAX)
		c = arena_strndup(a, c,
				  text_code_points_prefix(c, strlen(c),
							  REPORT_COMMENT_MAX));
	store_report r = {.account_id = reporter,
			  .target_account_id = target,
			  .category = "other",
			  .comment = c,
			  .uri = uri,
			  .created_at = time_now_ms(),
			  .status_ids = ids,
			  .nstatus_ids = k};
	int rc = store_report_insert(&r);
	return rc == 0 || rc == STORE_TAKEN ? DOM_OK : DOM_INTERNAL;
}

dom_err reports_review_list(arena *a, const principal *p,
			    const store_report_query *q, store_report *out,
			    size_t *n)
{
	if (!account_is_staff(p->account))
		return DOM_FORBIDDEN;
	*n = store_reports_list(a, q, out);
	return DOM_OK;
}

dom_err report_review_get(arena *a, const principal *p, int64_t id,
			  store_report *out)
{
	if (!account_is_staff(p->account))
		return DOM_FORBIDDEN;
	return store_report_get(a, id, out) ? DOM_OK : DOM_NOT_FOUND;
}

dom_err report_review(arena *a, const principal *p, int64_t id,
		      store_report_change what, store_report *out)
{
	static const char *const names[] = {
		[REPORT_ASSIGN] = "assign_to_self",
		[REPORT_UNASSIGN] = "unassign",
		[REPORT_RESOLVE] = "resolve",
		[REPORT_REOPEN] = "reopen",
	};
	if (!account_is_staff(p->account))
		return DOM_FORBIDDEN;
	int64_t now = time_now_ms();
	store_admin_action log = {
		.account_id = p->account_id,
		.actor = moderator_name(a, p->account),
		.action = names[what],
		.target_type = "report",
		.target_id = id,
		.target = arena_printf(a, "%lld", (long long)id),
		.report_id = id,
		.created_at = now};
	int rc = store_report_change_apply(id, what, p->account_id, now, &log);
	if (rc == STORE_GONE)
		return DOM_NOT_FOUND;
	if (rc < 0)
		return DOM_INTERNAL;
	return store_report_get(a, id, out) ? DOM_OK : DOM_NOT_FOUND;
}

size_t report_statuses(arena *a, const store_report *r, status ***out)
{
	*out = arena_alloc(a, (r->nstatus_ids + 1) * sizeof **out);
	size_t n = 0;
	for (size_t i = 0; i < r->nstatus_ids; i++) {
		status *s = arena_alloc(a, sizeof *s);
		if (store_status_get(a, r->status_ids[i], s))
			(*out)[n++] = s;
	}
	return n;
}

bool report_shows_email(const principal *p)
{
	return account_is_admin(p->account);
}

/* ---- what moderators do to accounts ---- */

/* The accounts moderators acted on, as this thread last read them: read
 * again when cache_generation moved (a change committed, here or in
 * another process). The visibility rule asks on every status it shows,
 * so a check is a binary search, and nothing when no account is. */
typedef struct moderated_memo {
	uint64_t generation; /* 0: never read */
	store_moderated *v;
	size_t n;
	arena a;
} moderated_memo;

static _Thread_local moderated_memo moderated;
static pthread_key_t moderated_key;
static pthread_once_t moderated_once = PTHREAD_ONCE_INIT;

static void moderated_release(void *p)
{
	moderated_memo *m = p;
	arena_release(&m->a);
	m->generation = 0;
}

static void moderated_key_create(void)
{
	pthread_key_create(&moderated_key, moderated_release);
}

unsigned account_moderation(int64_t id)
{
	moderated_memo *m = &moderated;
	uint64_t g = cache_generation();
	if (m->generation != g) {
		if (!m->generation) { /* released with its thread */
			pthread_once(&moderated_once, moderated_key_create);
			pthread_setspecific(moderated_key, m);
			arena_init(&m->a);
		}
		/* the generation first: a change committed while the set is
		 * read moves it again, and the next check reads again */
		arena_release(&m->a);
		arena_init(&m->a);
		m->n = store_moderated_accounts(&m->a, &m->v);
		m->generation = g;
	}
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->v[lo].id == id ? m->v[lo].flags : 0;
}

bool account_suspended(int64_t id)
{
	return account_moderation(id) & STORE_MODERATED_SUSPENDED;
}

bool status_sensitive(const status *s)
{
	return s->sensitive ||
	       (account_moderation(s->account_id) & STORE_MODERATED_SENSITIZED);
}

const account *account_shown(arena *a, const account *acc)
{
	if (!acc->suspended_at)
		return acc;
	/* what Mastodon shows of a suspended account: its name and when
	 * it came, nothing it wrote */
	account *c = arena_alloc(a, sizeof *c);
	*c = *acc;
	c->display_name = "";
	c->note = c->note_html = "";
	c->fields = "[]";
	c->avatar = c->header = NULL;
	c->statuses_count = c->followers_count = c->following_count = 0;
	c->last_status_at = 0;
	c->locked = false;
	c->bot = false;
	return c;
}

/* How far a role reaches: a moderator acts on users only, an admin on
 * moderators too, the owner on admins; the shell on anyone (NULL). */
static int rank(const account *acc, bool shell)
{
	if (shell)
		return 4;
	if (!acc || !acc->role || acc->domain)
		return 0;
	return !strcmp(acc->role, "owner")	 ? 3
	       : !strcmp(acc->role, "admin")	 ? 2
	       : !strcmp(acc->role, "moderator") ? 1
						 : 0;
}

/* The audit log's name of target. */
static const char *target_name(arena *a, const account *target)
{
	return target->domain ? arena_printf(a, "%s@%s", target->username,
					     target->domain)
			      : target->username;
}

static const char *const action_names[][2] = {
	[STORE_MOD_NONE] = {"none", NULL},
	[STORE_MOD_SUSPEND] = {"suspend", "unsuspend"},
	[STORE_MOD_SILENCE] = {"silence", "unsilence"},
	[STORE_MOD_SENSITIZE] = {"sensitive", "unsensitive"},
	[STORE_MOD_DISABLE] = {"disable", "enable"},
	[STORE_MOD_APPROVE] = {"approve", NULL},
};

bool account_action_parse(const char *name, store_moderation *what, bool *undo)
{
	for (size_t i = 0; i < sizeof action_names / sizeof *action_names; i++)
		for (int u = 0; u < 2; u++)
			if (action_names[i][u] &&
			    !strcmp(name, action_names[i][u])) {
				*what = (store_moderation)i;
				*undo = u;
				return true;
			}
	return false;
}

const char *moderator_name(arena *a, const account *by)
{
	return by ? arena_strdup(a, by->username) : "chorus admin";
}

dom_err account_act(arena *a, const account *by, const account_action *act,
		    const char **msg)
{
	account target;
	*msg = "Record not found";
	if (!by && !act->shell)
		return DOM_FORBIDDEN;
	if (!store_account_get(a, act->target_id, &target))
		return DOM_NOT_FOUND;
	*msg = "This action is not allowed";
	if (rank(by, act->shell) < 1 ||
	    rank(by, act->shell) <= rank(&target, false) ||
	    (by && by->id == target.id))
		return DOM_FORBIDDEN;
	if (act->undo && act->what == STORE_MOD_NONE)
		return DOM_INVALID;
	if ((act->what == STORE_MOD_DISABLE ||
	     act->what == STORE_MOD_APPROVE) &&
	    target.domain) {
		*msg = "Validation failed: the account is not of this server";
		return DOM_INVALID;
	}
	const char *text = act->text && *act->text ? act->text : NULL;
	if (text && text_code_points(text) > REPORT_COMMENT_MAX) {
		*msg = "Validation failed: Text is too long";
		return DOM_INVALID;
	}
	store_admin_action log = {
		.account_id = by ? by->id : 0,
		.actor = moderator_name(a, by),
		.action = action_names[act->what][act->undo],
		.target_type = "account",
		.target_id = target.id,
		.target = target_name(a, &target),
		.report_id = act->report_id,
		.text = text,
		.created_at = time_now_ms(),
	};
	const char *job = act->what == STORE_MOD_SUSPEND && !target.domain
				  ? ACCOUNT_SUSPENSION_JOB
				  : NULL;
	int rc = store_account_moderate(target.id, act->what, !act->undo, &log,
					job);
	if (rc == STORE_GONE) {
		*msg = "Record not found";
		return DOM_NOT_FOUND;
	}
	if (rc == STORE_UNCHANGED) {
		*msg = act->undo ? "This action is not allowed: the account "
				   "is not so"
				 : "This action is not allowed: the account "
				   "is so already";
		return DOM_FORBIDDEN;
	}
	if (rc == STORE_NO_REPORT) {
		*msg = "Record not found: the report is not of this account";
		return DOM_NOT_FOUND;
	}
	if (rc < 0) {
		*msg = "could not keep the action";
		return DOM_INTERNAL;
	}
	if (job)
		jobs_wake();
	bool signs_out = !act->undo && (act->what == STORE_MOD_SUSPEND ||
					act->what == STORE_MOD_DISABLE);
	if (signs_out) /* its tokens went: its streams close now */
		events_publish(&(event){.kind = EVENT_SESSIONS_ENDED});
	return DOM_OK;
}

dom_err account_delete_own(arena *a, const principal *p, const char *password,
			   const char **msg)
{
	account me;
	const char *hash;
	*msg = "Invalid password";
	if (!p->account || !password ||
	    !store_user_by_login(a, p->account->username, &me, &hash) ||
	    me.id != p->account_id || !auth_verify_password(hash, password))
		return DOM_FORBIDDEN;
	int64_t now = time_now_ms();
	store_admin_action log = {.account_id = me.id,
				  .actor = me.username,
				  .action = "delete_own",
				  .target_type = "account",
				  .target_id = me.id,
				  .target = me.username,
				  .created_at = now};
	int rc = store_account_moderate(me.id, STORE_MOD_SUSPEND, true, &log,
					ACCOUNT_SUSPENSION_JOB);
	/* suspended already: a moderator was first; its erasure stands */
	if (rc < 0 && rc != STORE_UNCHANGED) {
		*msg = "could not delete the account";
		return DOM_INTERNAL;
	}
	/* after the suspension's job, which queues the Delete (a crash
	 * before this leaves the 30 days' purge to erase it) */
	store_job_enqueue(ACCOUNT_ERASE_JOB, me.id, now + 1000);
	jobs_wake();
	events_publish(&(event){.kind = EVENT_SESSIONS_ENDED});
	return DOM_OK;
}

int account_erase_job(int64_t id, const char **error)
{
	enum { ERASE_WAIT_MS = 60000 };
	arena a;
	arena_init(&a);
	account acc;
	const char *msg;
	int rc = 0;
	if (!store_account_get(&a, id, &acc) || !acc.suspended_at)
		; /* gone already, or its suspension undone: nothing to do */
	else if (store_job_active(ACCOUNT_SUSPENSION_JOB, id) ||
		 store_deliveries_of_signer(id))
		/* its Delete is signed with its key: keep it until sent */
		rc = store_job_enqueue(ACCOUNT_ERASE_JOB, id,
				       time_now_ms() + ERASE_WAIT_MS);
	else if (account_erase(&a, NULL, id, true, &msg) != DOM_OK)
		rc = -1;
	arena_release(&a);
	if (rc < 0)
		*error = "the account could not be erased";
	return rc;
}

int caches_forget_job(int64_t arg, const char **error)
{
	(void)arg;
	(void)error;
	store_forget_cached();
	return 0;
}

/* Delete account id for by (logged as action, first: a deletion that
 * fails after its entry is tried again, and logged again), when
 * allowed says it may. */
static dom_err account_remove(arena *a, const account *by, int64_t id,
			      bool shell, const char *action,
			      bool (*allowed)(int by_rank, const account *t),
			      const char **msg)
{
	account target;
	*msg = "Record not found";
	if (!store_account_get(a, id, &target))
		return DOM_NOT_FOUND;
	*msg = "This action is not allowed";
	if (!allowed(rank(by, shell), &target))
		return DOM_FORBIDDEN;
	store_admin_action log = {
		.account_id = by ? by->id : 0,
		.actor = moderator_name(a, by),
		.action = action,
		.target_type = "account",
		.target_id = target.id,
		.target = target_name(a, &target),
		.created_at = time_now_ms(),
	};
	if (store_admin_action_log(&log) < 0 ||
	    account_delete(a, target.id) != DOM_OK) {
		*msg = "could not delete the account";
		return DOM_INTERNAL;
	}
	return DOM_OK;
}

/* An admin (or the shell) erases a suspended account it outranks. */
static bool erase_allowed(int by_rank, const account *t)
{
	return by_rank >= 2 && by_rank > rank(t, false) && t->suspended_at;
}

dom_err account_erase(arena *a, const account *by, int64_t id, bool shell,
		      const char **msg)
{
	return account_remove(a, by, id, shell, "erase", erase_allowed, msg);
}

/* Staff reject a local sign-up that waits for approval. */
static bool reject_allowed(int by_rank, const account *t)
{
	return by_rank >= 1 && !t->domain && !t->approved;
}

dom_err account_reject(arena *a, const account *by, int64_t id, bool shell,
		       const char **msg)
{
	return account_remove(a, by, id, shell, "reject", reject_allowed, msg);
}

dom_err invite_create(arena *a, const account *by, bool shell, int64_t max_uses,
		      int64_t expires_in_ms, store_invite *out,
		      const char **msg)
{
	enum { CODE_CHARS = 12 }; /* 72 random bits */
	*msg = "This action is not allowed";
	if (rank(by, shell) < 1)
		return DOM_FORBIDDEN;
	if (max_uses < 0 || expires_in_ms < 0) {
		*msg = "Validation failed: uses and expiry are not negative";
		return DOM_INVALID;
	}
	int64_t now = time_now_ms();
	*out = (store_invite){
		.code = arena_strndup(a, auth_random_token(a), CODE_CHARS),
		.account_id = by ? by->id : 0,
		.max_uses = max_uses,
		.expires_at = expires_in_ms ? now + expires_in_ms : 0,
		.created_at = now,
	};
	store_admin_action log = {
		.account_id = by ? by->id : 0,
		.actor = moderator_name(a, by),
		.action = "invite",
		.target_type = "invite",
		.target = out->code,
		.created_at = now,
	};
	if (store_invite_create(out, &log) < 0) {
		*msg = "could not keep the invite";
		return DOM_INTERNAL;
	}
	return DOM_OK;
}

enum { SUSPENSION_KEPT_MS = 30LL * 86400 * 1000 };

void account_suspensions_purge(void)
{
	enum { BATCH = 64 };
	int64_t ids[BATCH];
	size_t n = store_accounts_suspended_before(
		time_now_ms() - SUSPENSION_KEPT_MS, ids, BATCH);
	arena a;
	arena_init(&a);
	const char *msg;
	for (size_t i = 0; i < n; i++)
		account_erase(&a, NULL, ids[i], true, &msg);
	arena_release(&a);
}

dom_err admin_accounts_list(arena *a, const principal *p,
			    const store_account_query *q, account *out,
			    size_t *n)
{
	if (!account_is_staff(p->account))
		return DOM_FORBIDDEN;
	/* an address or e-mail asked about is a moderator's to ask only
	 * when it may see them */
	if ((q->email || q->ip) && !account_is_admin(p->account))
		return DOM_FORBIDDEN;
	*n = store_admin_accounts_list(a, q, out);
	return DOM_OK;
}

dom_err admin_account_get(arena *a, const principal *p, int64_t id,
			  account *out)
{
	if (!account_is_staff(p->account))
		return DOM_FORBIDDEN;
	return store_account_get(a, id, out) ? DOM_OK : DOM_NOT_FOUND;
}

dom_err admin_log_list(arena *a, const principal *p,
		       const store_admin_action_query *q,
		       store_admin_action *out, size_t *n)
{
	if (!account_is_admin(p->account))
		return DOM_FORBIDDEN;
	*n = store_admin_actions_list(a, q, out);
	return DOM_OK;
}
