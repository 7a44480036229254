/* reports.c — reports to the moderators, and the statuses each names. */
#include "store/db.h"
#include "store/store.h"

#define REPORT_COLUMNS                                                         \
	"id, account_id, target_account_id, category, comment, rule_ids,"      \
	" forwarded, uri, assigned_account_id, action_taken_by_account_id,"    \
	" action_taken_at, created_at, updated_at"

static void report_read(arena *a, db_stmt *st, store_report *r)
{
	*r = (store_report){
		.id = db_column_int64(st, 0),
		.account_id = db_column_int64(st, 1),
		.target_account_id = db_column_int64(st, 2),
		.category = db_text_dup(a, st, 3),
		.comment = db_text_dup(a, st, 4),
		.rule_ids = db_text_dup(a, st, 5),
		.forwarded = db_column_int(st, 6) != 0,
		.uri = db_text_dup(a, st, 7),
		.assigned_account_id = db_column_int64(st, 8),
		.action_taken_by_account_id = db_column_int64(st, 9),
		.action_taken_at = db_column_int64(st, 10),
		.created_at = db_column_int64(st, 11),
		.updated_at = db_column_int64(st, 12),
	};
}

int store_report_insert(store_report *r)
{
	if (db_begin() < 0)
		return -1;
	int rc = -1;
	r->id = DB_NEW_ID("reports");
	db_stmt *st = db_prepare(
		"INSERT INTO reports (id, account_id, target_account_id,"
		" category, comment, rule_ids, forwarded, uri, created_at,"
		" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
		" ON CONFLICT DO NOTHING");
	db_bind_int64(st, 1, r->id);
	db_bind_int64(st, 2, r->account_id);
	db_bind_int64(st, 3, r->target_account_id);
	db_bind_text(st, 4, r->category);
	db_bind_text(st, 5, r->comment);
	db_bind_text_or_null(st, 6, r->rule_ids);
	db_bind_int(st, 7, r->forwarded);
	db_bind_text_or_null(st, 8, r->uri);
	db_bind_int64(st, 9, r->created_at);
	if (db_done(st) < 0)
		goto fail;
	if (db_changes() == 0) { /* its Flag was taken before */
		rc = STORE_TAKEN;
		goto fail;
	}
	for (size_t i = 0; i < r->nstatus_ids; i++) {
		st = db_prepare("INSERT INTO report_statuses (report_id,"
				" status_id) VALUES (?1, ?2)"
				" ON CONFLICT DO NOTHING");
		db_bind_int64(st, 1, r->id);
		db_bind_int64(st, 2, r->status_ids[i]);
		if (db_done(st) < 0)
			goto fail;
	}
	if (db_commit() < 0)
		goto fail;
	r->updated_at = r->created_at;
	return 0;
fail:
	db_rollback();
	return rc;
}

/* The statuses r names, into r (arena memory). */
static void statuses_read(arena *a, store_report *r)
{
	db_stmt *st = db_prepare("SELECT count(*) FROM report_statuses"
				 " WHERE report_id = ?1");
	db_bind_int64(st, 1, r->id);
	size_t n = db_step(st) == DB_ROW ? (size_t)db_column_int64(st, 0) : 0;
	db_reset(st);
	int64_t *ids = arena_alloc(a, (n + 1) * sizeof *ids);
	st = db_prepare("SELECT status_id FROM report_statuses"
			" WHERE report_id = ?1 ORDER BY status_id");
	db_bind_int64(st, 1, r->id);
	size_t k = 0;
	while (k < n && db_step(st) == DB_ROW)
		ids[k++] = db_column_int64(st, 0);
	db_reset(st);
	r->status_ids = ids;
	r->nstatus_ids = k;
}

bool store_report_get(arena *a, int64_t id, store_report *out)
{
	db_stmt *st = db_prepare("SELECT " REPORT_COLUMNS
				 " FROM reports WHERE id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		report_read(a, st, out);
	db_reset(st);
	if (found)
		statuses_read(a, out);
	return found;
}

size_t store_reports_list(arena *a, const store_report_query *q,
			  store_report *out)
{
	/* one text for every filter: an unset one is a bound that holds */
	db_stmt *st = db_prepare(
		q->min_id ? "SELECT " REPORT_COLUMNS " FROM reports"
			    " WHERE (?1 < 0 OR (action_taken_at IS NOT NULL)"
			    " = (?1 = 1)) AND (?2 = 0 OR account_id = ?2)"
			    " AND (?3 = 0 OR target_account_id = ?3)"
			    " AND (?4 = 0 OR id < ?4) AND id > ?5"
			    " ORDER BY id LIMIT ?6"
			  : "SELECT " REPORT_COLUMNS " FROM reports"
			    " WHERE (?1 < 0 OR (action_taken_at IS NOT NULL)"
			    " = (?1 = 1)) AND (?2 = 0 OR account_id = ?2)"
			    " AND (?3 = 0 OR target_account_id = ?3)"
			    " AND (?4 = 0 OR id < ?4) AND id > ?5"
			    " ORDER BY id DESC LIMIT ?6");
	db_bind_int(st, 1, q->resolved);
	db_bind_int64(st, 2, q->account_id);
	db_bind_int64(st, 3, q->target_account_id);
	db_bind_int64(st, 4, q->max_id);
	db_bind_int64(st, 5, q->min_id ? q->min_id : q->since_id);
	db_bind_int(st, 6, q->limit);
	size_t n = 0;
	while (n < (size_t)q->limit && db_step(st) == DB_ROW)
		report_read(a, st, &out[n++]);
	db_reset(st);
	for (size_t i = 0; i < n; i++)
		statuses_read(a, &out[i]);
	return n;
}

int store_report_change_apply(int64_t id, store_report_change what, int64_t by,
			      int64_t now, const store_admin_action *log)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st;
	switch (what) {
	case REPORT_ASSIGN:
	case REPORT_UNASSIGN:
		st = db_prepare("UPDATE reports SET assigned_account_id = ?2,"
				" updated_at = ?3 WHERE id = ?1");
		break;
	case REPORT_RESOLVE:
		st = db_prepare("UPDATE reports SET"
				" action_taken_by_account_id = ?2,"
				" action_taken_at = ?3, updated_at = ?3"
				" WHERE id = ?1");
		break;
	default:
		st = db_prepare("UPDATE reports SET"
				" action_taken_by_account_id = ?2,"
				" action_taken_at = NULL, updated_at = ?3"
				" WHERE id = ?1");
	}
	db_bind_int64(st, 1, id);
	if (what == REPORT_ASSIGN || what == REPORT_RESOLVE)
		db_bind_int64(st, 2, by);
	else
		db_bind_null(st, 2); /* nobody */
	db_bind_int64(st, 3, now);
	int rc = db_done(st) < 0 ? -1 : db_changes() ? 0 : STORE_GONE;
	if (rc == 0)
		rc = store_admin_action_log_tx(log);
	if (rc < 0 || db_commit() < 0) {
		db_rollback();
		return rc < 0 ? rc : -1;
	}
	return 0;
}
