/* moderation.c — the Report and Admin::Report entities. */
#include "render/render.h"

#include "core/config.h"

#include <stdlib.h>

static json_t *id_list(arena *a, const int64_t *ids, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(render_id(a, ids[i])));
	return arr;
}

static json_t *time_or_null(int64_t ms)
{
	return ms ? render_time(ms) : json_null();
}

/* The fields both entities share. */
static json_t *report_fields(arena *a, const store_report *r)
{
	json_t *rules = r->rule_ids ? json_loads(r->rule_ids, 0, NULL) : NULL;
	return json_pack(
		"{s:s,s:b,s:o,s:s,s:s,s:b,s:o,s:o,s:o}", "id",
		render_id(a, r->id), "action_taken", r->action_taken_at != 0,
		"action_taken_at", time_or_null(r->action_taken_at), "category",
		r->category, "comment", r->comment, "forwarded", r->forwarded,
		"created_at", render_time(r->created_at), "rule_ids",
		rules ? rules : json_null(), "status_ids",
		r->nstatus_ids ? id_list(a, r->status_ids, r->nstatus_ids)
			       : json_null());
}

json_t *render_report(arena *a, const store_report *r)
{
	json_t *j = report_fields(a, r);
	account target;
	json_object_set_new(j, "target_account",
			    store_account_get(a, r->target_account_id, &target)
				    ? render_account(a, &target)
				    : json_null());
	return j;
}

json_t *render_admin_account(arena *a, const account *acc, bool with_private)
{
	const char *ip = NULL, *reason = NULL;
	if (!acc->domain)
		store_user_sign_up(a, acc->id, &ip, &reason);
	json_t *ips = json_array();
	if (with_private && ip)
		json_array_append_new(
			ips, json_pack("{s:s,s:o}", "ip", ip, "used_at",
				       render_time(acc->created_at)));
	json_t *j = json_pack(
		"{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:b,s:b,s:b,"
		"s:b,s:o}",
		"id", render_id(a, acc->id), "username", acc->username,
		"domain", acc->domain ? json_string(acc->domain) : json_null(),
		"created_at", render_time(acc->created_at), "email",
		with_private && acc->email ? json_string(acc->email)
					   : json_null(),
		"ip", with_private && ip ? json_string(ip) : json_null(), "ips",
		ips, "locale",
		acc->language ? json_string(acc->language) : json_null(),
		"invite_request", reason ? json_string(reason) : json_null(),
		"confirmed", !acc->domain, "approved",
		acc->domain || acc->approved, "disabled", acc->disabled,
		"silenced", acc->silenced_at != 0, "suspended",
		acc->suspended_at != 0, "sensitized", acc->sensitized_at != 0,
		"account", render_account(a, acc));
	json_object_set_new(j, "role",
			    acc->domain ? json_null() : render_role(acc->role));
	return j;
}

/* An Admin::Account of id, or null when it is gone. */
static json_t *admin_account(arena *a, int64_t id, bool with_email)
{
	account acc;
	if (!id || !store_account_get(a, id, &acc))
		return json_null();
	return render_admin_account(a, &acc, with_email);
}

json_t *render_admin_action(arena *a, const store_admin_action *l)
{
	return json_pack(
		"{s:s,s:s,s:o,s:s,s:s,s:o,s:s,s:o,s:o,s:o}", "id",
		render_id(a, l->id), "action", l->action, "account_id",
		l->account_id ? json_string(render_id(a, l->account_id))
			      : json_null(),
		"actor", l->actor, "target_type", l->target_type, "target_id",
		l->target_id ? json_string(render_id(a, l->target_id))
			     : json_null(),
		"target", l->target, "report_id",
		l->report_id ? json_string(render_id(a, l->report_id))
			     : json_null(),
		"text", l->text ? json_string(l->text) : json_null(),
		"created_at", render_time(l->created_at));
}

json_t *render_admin_domain_block(arena *a, const store_instance_block *b)
{
	return json_pack("{s:s,s:s,s:o,s:s,s:b,s:b,s:o,s:o,s:b}", "id",
			 render_id(a, b->id), "domain", b->domain, "created_at",
			 render_time(b->created_at), "severity",
			 b->severity == 2 ? "suspend" : "silence",
			 "reject_media", b->reject_media, "reject_reports", 0,
			 "private_comment",
			 b->private_comment ? json_string(b->private_comment)
					    : json_null(),
			 "public_comment",
			 b->public_comment ? json_string(b->public_comment)
					   : json_null(),
			 "obfuscate", 0);
}

json_t *render_admin_report(arena *a, const store_report *r,
			    status *const *statuses, size_t nstatuses,
			    int64_t viewer, bool with_email)
{
	json_t *j = report_fields(a, r);
	json_object_set_new(j, "updated_at", render_time(r->updated_at));
	json_object_set_new(j, "account",
			    admin_account(a, r->account_id, with_email));
	json_object_set_new(j, "target_account",
			    admin_account(a, r->target_account_id, with_email));
	json_object_set_new(
		j, "assigned_account",
		admin_account(a, r->assigned_account_id, with_email));
	json_object_set_new(
		j, "action_taken_by_account",
		admin_account(a, r->action_taken_by_account_id, with_email));
	json_object_set_new(j, "statuses",
			    render_statuses(a, statuses, nstatuses, viewer));
	/* the rules it names, as Rule entities */
	json_t *rules = json_array();
	const char *texts[REPORT_RULES_MAX];
	size_t known = config_rules(a, texts, REPORT_RULES_MAX);
	json_t *ids = json_object_get(j, "rule_ids");
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		long n = strtol(json_string_value(v), NULL, 10);
		if (n >= 1 && (size_t)n <= known)
			json_array_append_new(rules,
					      render_rule(a, n, texts[n - 1]));
	}
	json_object_set_new(j, "rules", rules);
	return j;
}
