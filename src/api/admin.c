/* admin.c — the staff's accounts, the servers this one limits, and the
 * audit log (Mastodon's /api/v1/admin/accounts and /domain_blocks; the
 * log is a chorus extension). Who may do what is domain/moderation.c's. */
#include "api/api.h"

#include "core/id.h"

#include <string.h>

enum { ADMIN_PAGE_DEFAULT = 100, ADMIN_PAGE_MAX = 200 };

static bool may_see_private(http_req *r)
{
	return account_is_admin(api_principal(r)->account);
}

/* A non-empty parameter, or NULL. */
static const char *param(http_req *r, const char *key)
{
	const char *v = http_param_get(r, key);
	return v && *v ? v : NULL;
}

/* The v1 filters (flags), or v2's (origin, status, permissions). */
static void accounts_query(http_req *r, store_account_query *q)
{
	static const char *const statuses[] = {
		"",	    "active",	 "pending",   "disabled",
		"silenced", "suspended", "sensitized"};
	const char *origin = param(r, "origin");
	const char *status = param(r, "status");
	q->origin = origin && !strcmp(origin, "local")	  ? 1
		    : origin && !strcmp(origin, "remote") ? 2
		    : http_param_bool(r, "local", false)  ? 1
		    : http_param_bool(r, "remote", false) ? 2
							  : 0;
	for (int i = 1; i < (int)(sizeof statuses / sizeof *statuses); i++)
		if ((status && !strcmp(status, statuses[i])) ||
		    http_param_bool(r, statuses[i], false))
			q->status = i;
	const char *perm = param(r, "permissions");
	q->staff = (perm && !strcmp(perm, "staff")) ||
		   http_param_bool(r, "staff", false);
	q->username = param(r, "username");
	q->email = param(r, "email");
	q->ip = param(r, "ip");
	q->domain = param(r, "by_domain");
}

void admin_accounts(http_req *r)
{
	page p;
	api_page(r, &p, ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX);
	store_account_query q = {.max_id = p.max_id,
				 .since_id = p.since_id,
				 .min_id = p.min_id,
				 .limit = p.limit};
	accounts_query(r, &q);
	account *items =
		arena_alloc(&r->arena, (size_t)p.limit * sizeof *items);
	size_t n;
	dom_err err =
		admin_accounts_list(&r->arena, api_principal(r), &q, items, &n);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	bool private = may_see_private(r);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr,
			render_admin_account(&r->arena, &items[i], private));
	if (n) {
		int64_t lo = items[p.min_id ? 0 : n - 1].id;
		int64_t hi = items[p.min_id ? n - 1 : 0].id;
		api_link(r, (int)n == p.limit ? lo : 0, hi);
	}
	http_reply_json(r, 200, arr);
}

static void reply_account(http_req *r, int64_t id)
{
	account acc;
	dom_err err = admin_account_get(&r->arena, api_principal(r), id, &acc);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	http_reply_json(
		r, 200,
		render_admin_account(&r->arena, &acc, may_see_private(r)));
}

void admin_account_show(http_req *r)
{
	int64_t id;
	if (api_path_id(r, 0, &id))
		reply_account(r, id);
}

/* Take act on the path's account: answered with the account after it
 * (reply_account), or {} as Mastodon answers an action. */
static void act(http_req *r, account_action *a, bool with_account)
{
	const char *msg;
	if (!api_path_id(r, 0, &a->target_id))
		return;
	dom_err err =
		account_act(&r->arena, api_principal(r)->account, a, &msg);
	if (err)
		api_reply_dom(r, err, msg);
	else if (with_account)
		reply_account(r, a->target_id);
	else
		http_reply_json(r, 200, json_object());
}

void admin_account_action(http_req *r)
{
	const char *type = param(r, "type");
	account_action a = {.text = param(r, "text")};
	if (!type || !account_action_parse(type, &a.what, &a.undo) || a.undo ||
	    a.what == STORE_MOD_APPROVE) {
		http_reply_error(r, 422,
				 "Validation failed: type is none, sensitive, "
				 "disable, silence or suspend");
		return;
	}
	const char *report = param(r, "report_id");
	if (report && !id_parse(report, &a.report_id)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	act(r, &a, false);
}

static void undo(http_req *r, store_moderation what)
{
	act(r, &(account_action){.what = what, .undo = true}, true);
}

void admin_account_enable(http_req *r)
{
	undo(r, STORE_MOD_DISABLE);
}

void admin_account_unsilence(http_req *r)
{
	undo(r, STORE_MOD_SILENCE);
}

void admin_account_unsuspend(http_req *r)
{
	undo(r, STORE_MOD_SUSPEND);
}

void admin_account_unsensitive(http_req *r)
{
	undo(r, STORE_MOD_SENSITIZE);
}

void admin_account_approve(http_req *r)
{
	act(r, &(account_action){.what = STORE_MOD_APPROVE}, true);
}

/* Delete the path's account with how (account_reject, account_erase),
 * answered with the account as it was, as Mastodon does. */
static void remove_account(http_req *r,
			   dom_err (*how)(arena *a, const account *by,
					  int64_t id, bool shell,
					  const char **msg))
{
	int64_t id;
	const char *msg = NULL;
	account acc;
	if (!api_path_id(r, 0, &id))
		return;
	dom_err err = admin_account_get(&r->arena, api_principal(r), id, &acc);
	if (!err)
		err = how(&r->arena, api_principal(r)->account, id, false,
			  &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	http_reply_json(
		r, 200,
		render_admin_account(&r->arena, &acc, may_see_private(r)));
}

void admin_account_reject(http_req *r)
{
	remove_account(r, account_reject);
}

void admin_account_delete(http_req *r)
{
	remove_account(r, account_erase);
}

/* ---- the audit log ---- */

void admin_audit_log(http_req *r)
{
	page p;
	api_page(r, &p, ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX);
	store_admin_action_query q = {.max_id = p.max_id,
				      .since_id = p.since_id,
				      .min_id = p.min_id,
				      .limit = p.limit};
	const char *by = param(r, "account_id");
	const char *target = param(r, "target_account_id");
	if ((by && !id_parse(by, &q.account_id)) ||
	    (target && !id_parse(target, &q.target_account_id))) {
		http_reply_error(r, 400, "Bad request");
		return;
	}
	store_admin_action *items =
		arena_alloc(&r->arena, (size_t)p.limit * sizeof *items);
	size_t n;
	dom_err err =
		admin_log_list(&r->arena, api_principal(r), &q, items, &n);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr, render_admin_action(&r->arena, &items[i]));
	if (n) {
		int64_t lo = items[p.min_id ? 0 : n - 1].id;
		int64_t hi = items[p.min_id ? n - 1 : 0].id;
		api_link(r, (int)n == p.limit ? lo : 0, hi);
	}
	http_reply_json(r, 200, arr);
}

/* ---- the servers this one limits ---- */

typedef struct block_list {
	arena *a;
	json_t *arr;
} block_list;

static void block_json(const store_instance_block *b, void *ctx)
{
	block_list *l = ctx;
	json_array_append_new(l->arr, render_admin_domain_block(l->a, b));
}

void admin_domain_blocks(http_req *r)
{
	if (!may_see_private(r)) {
		api_reply_dom(r, DOM_FORBIDDEN, NULL);
		return;
	}
	block_list l = {&r->arena, json_array()};
	if (store_instance_blocks_each(&r->arena, block_json, &l) < 0) {
		json_decref(l.arr);
		api_reply_dom(r, DOM_INTERNAL, NULL);
		return;
	}
	http_reply_json(r, 200, l.arr);
}

/* The path's block (an admin's to see): false when answered. */
static bool path_block(http_req *r, store_instance_block *b)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return false;
	if (!may_see_private(r)) {
		api_reply_dom(r, DOM_FORBIDDEN, NULL);
		return false;
	}
	if (!store_instance_block_get(&r->arena, id, b)) {
		api_reply_dom(r, DOM_NOT_FOUND, NULL);
		return false;
	}
	return true;
}

void admin_domain_block_show(http_req *r)
{
	store_instance_block b;
	if (path_block(r, &b))
		http_reply_json(r, 200,
				render_admin_domain_block(&r->arena, &b));
}

/* Keep the block rq asks, answered with it as kept. */
static void block_keep(http_req *r, instance_block_request *rq)
{
	const char *sev = param(r, "severity");
	if (sev)
		rq->severity = !strcmp(sev, "suspend")	 ? INSTANCE_SUSPENDED
			       : !strcmp(sev, "silence") ? INSTANCE_SILENCED
							 : INSTANCE_OPEN;
	if (http_param_has(r, "reject_media"))
		rq->reject_media = http_param_bool(r, "reject_media", false);
	if (http_param_has(r, "public_comment"))
		rq->public_comment = http_param_get(r, "public_comment");
	if (http_param_has(r, "private_comment"))
		rq->private_comment = http_param_get(r, "private_comment");
	rq->by = api_principal(r)->account;
	store_instance_block kept;
	const char *msg;
	dom_err err = instance_block(&r->arena, rq, &kept, &msg);
	if (err) {
		api_reply_dom(r, err, err == DOM_INTERNAL ? NULL : msg);
		return;
	}
	http_reply_json(r, 200, render_admin_domain_block(&r->arena, &kept));
}

void admin_domain_block_create(http_req *r)
{
	const char *domain = param(r, "domain");
	if (!domain) {
		http_reply_error(r, 422,
				 "Validation failed: domain is missing");
		return;
	}
	/* Mastodon's default severity */
	block_keep(r, &(instance_block_request){.domain = domain,
						.severity = INSTANCE_SILENCED});
}

void admin_domain_block_update(http_req *r)
{
	store_instance_block b;
	if (!path_block(r, &b))
		return;
	block_keep(r, &(instance_block_request){
			      .domain = b.domain,
			      .severity = (instance_severity)b.severity,
			      .reject_media = b.reject_media,
			      .public_comment = b.public_comment,
			      .private_comment = b.private_comment});
}

void admin_domain_block_delete(http_req *r)
{
	store_instance_block b;
	const char *msg;
	if (!path_block(r, &b))
		return;
	dom_err err = instance_unblock(&r->arena, api_principal(r)->account,
				       false, b.domain, &msg);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	http_reply_json(r, 200, json_object());
}
