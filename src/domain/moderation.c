/* moderation.c — reports, and their review by the staff.
 *
 * Who may report what is the visibility rule's: a status is named in a
 * report only when its reporter can see it. Who may review is
 * account_is_staff's. */
#include "core/buf.h"
#include "core/config.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/store.h"
#include "text/text.h"

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
	if (!account_is_staff(p->account))
		return DOM_FORBIDDEN;
	int rc = store_report_change_apply(id, what, p->account_id,
					   time_now_ms());
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
