/* reports.c — a user's reports to the moderators, and the staff's review
 * of them (Mastodon's /api/v1/reports and /api/v1/admin/reports). */
#include "api/api.h"

#include "core/config.h"
#include "core/id.h"

#include <stdlib.h>
#include <string.h>

enum { REPORTS_DEFAULT = 100, REPORTS_MAX = 200 };

void reports_create(http_req *r)
{
	report_request rq = {
		.comment = http_param_get(r, "comment"),
		.category = http_param_get(r, "category"),
		.forward = http_param_bool(r, "forward", false),
	};
	const char *target = http_param_get(r, "account_id");
	int64_t *statuses, *rules;
	if (!target) {
		http_reply_error(r, 422,
				 "Validation failed: account_id is "
				 "missing");
		return;
	}
	if (!id_parse(target, &rq.target_id) ||
	    !api_param_ids(r, "status_ids", &statuses, &rq.nstatus_ids)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	if (!api_param_ids(r, "rule_ids", &rules, &rq.nrule_ids)) {
		http_reply_error(r, 422,
				 "Validation failed: Rule ids contains "
				 "invalid ids");
		return;
	}
	if (rq.category && !*rq.category)
		rq.category = NULL;
	rq.status_ids = statuses;
	rq.rule_ids = rules;
	store_report out;
	const char *msg;
	dom_err err = report_file(&r->arena, api_principal(r), &rq, &out, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	http_reply_json(r, 200, render_report(&r->arena, &out));
}

/* ---- the staff's review ---- */

static json_t *admin_report(http_req *r, const store_report *rep)
{
	const principal *p = api_principal(r);
	status **statuses;
	size_t n = report_statuses(&r->arena, rep, &statuses);
	return render_admin_report(&r->arena, rep, statuses, n, p->account_id,
				   report_shows_email(p));
}

/* An id parameter: 0 when absent; false (answered 400) when not an id. */
static bool param_id(http_req *r, const char *key, int64_t *out)
{
	const char *v = http_param_get(r, key);
	*out = 0;
	if (!v || !*v || id_parse(v, out))
		return true;
	http_reply_error(r, 400, "Bad request");
	return false;
}

void admin_reports(http_req *r)
{
	page p;
	api_page(r, &p, REPORTS_DEFAULT, REPORTS_MAX);
	store_report_query q = {
		.resolved = http_param_has(r, "resolved")
				    ? http_param_bool(r, "resolved", false)
				    : 0,
		.max_id = p.max_id,
		.since_id = p.since_id,
		.min_id = p.min_id,
		.limit = p.limit,
	};
	if (!param_id(r, "account_id", &q.account_id) ||
	    !param_id(r, "target_account_id", &q.target_account_id))
		return;
	store_report *items =
		arena_alloc(&r->arena, (size_t)p.limit * sizeof *items);
	size_t n;
	dom_err err =
		reports_review_list(&r->arena, api_principal(r), &q, items, &n);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, admin_report(r, &items[i]));
	if (n) {
		/* newest first, or oldest first after min_id */
		int64_t lo = items[p.min_id ? 0 : n - 1].id;
		int64_t hi = items[p.min_id ? n - 1 : 0].id;
		api_link(r, (int)n == p.limit ? lo : 0, hi);
	}
	http_reply_json(r, 200, arr);
}

void admin_report_show(http_req *r)
{
	int64_t id;
	store_report rep;
	if (!api_path_id(r, 0, &id))
		return;
	dom_err err = report_review_get(&r->arena, api_principal(r), id, &rep);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	http_reply_json(r, 200, admin_report(r, &rep));
}

static void review(http_req *r, store_report_change what)
{
	int64_t id;
	store_report rep;
	if (!api_path_id(r, 0, &id))
		return;
	dom_err err =
		report_review(&r->arena, api_principal(r), id, what, &rep);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	http_reply_json(r, 200, admin_report(r, &rep));
}

void admin_report_assign(http_req *r)
{
	review(r, REPORT_ASSIGN);
}

void admin_report_unassign(http_req *r)
{
	review(r, REPORT_UNASSIGN);
}

void admin_report_resolve(http_req *r)
{
	review(r, REPORT_RESOLVE);
}

void admin_report_reopen(http_req *r)
{
	review(r, REPORT_REOPEN);
}
