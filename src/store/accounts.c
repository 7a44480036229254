/* accounts.c — accounts and the local users behind them. */
#include "core/cache.h"
#include "core/feeds.h"
#include "store/db.h"
#include "store/store.h"

#include <string.h>

/* ACCOUNT_NCOLUMNS: how many; a query may add its own columns after. */
enum { ACCOUNT_NCOLUMNS = 27 };
#define ACCOUNT_COLUMNS                                                        \
	"a.id, a.username, a.domain, a.display_name, a.note, a.note_html,"     \
	" a.fields, a.locked, a.bot, a.discoverable, a.created_at,"            \
	" a.last_status_at, a.statuses_count, a.followers_count,"              \
	" a.following_count, a.privacy, a.sensitive, a.language, u.role,"      \
	" u.email, a.avatar, a.header, a.suspended_at, a.silenced_at,"         \
	" a.sensitized_at, u.disabled, u.approved"

static void account_from_row(arena *ar, db_stmt *st, account *a)
{
	a->id = db_column_int64(st, 0);
	a->username = arena_strdup(ar, db_text(st, 1));
	a->domain = db_text_dup(ar, st, 2);
	a->display_name = arena_strdup(ar, db_text(st, 3));
	a->note = arena_strdup(ar, db_text(st, 4));
	a->note_html = arena_strdup(ar, db_text(st, 5));
	a->fields = arena_strdup(ar, db_text(st, 6));
	a->locked = db_column_int(st, 7);
	a->bot = db_column_int(st, 8);
	a->discoverable = db_column_int(st, 9);
	a->created_at = db_column_int64(st, 10);
	a->last_status_at = db_column_int64(st, 11);
	a->statuses_count = db_column_int64(st, 12);
	a->followers_count = db_column_int64(st, 13);
	a->following_count = db_column_int64(st, 14);
	a->privacy = arena_strdup(ar, db_text(st, 15));
	a->sensitive = db_column_int(st, 16);
	a->language = db_text_dup(ar, st, 17);
	a->role = db_text_dup(ar, st, 18);
	a->email = db_text_dup(ar, st, 19);
	a->avatar = db_text_dup(ar, st, 20);
	a->header = db_text_dup(ar, st, 21);
	a->suspended_at = db_column_int64(st, 22);
	a->silenced_at = db_column_int64(st, 23);
	a->sensitized_at = db_column_int64(st, 24);
	a->disabled = db_column_int(st, 25);
	a->approved = db_column_int(st, 26);
}

/* Take one use of the invite code names, valid at now: its id, or 0
 * when it is unknown, expired or used up (the constraint holds uses to
 * max_uses even for two sign-ups at once). */
static int64_t invite_take_tx(const char *code, int64_t now)
{
	db_stmt *st = db_prepare(
		"UPDATE invites SET uses = uses + 1 WHERE code = ?1"
		" AND (expires_at IS NULL OR expires_at > ?2)"
		" AND (max_uses IS NULL OR uses < max_uses) RETURNING id");
	db_bind_text(st, 1, code);
	db_bind_int64(st, 2, now);
	int64_t id = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return id;
}

int store_account_create(account *a, const char *email,
			 const char *password_hash, const char *role,
			 const store_sign_up *su)
{
	/* the checks run inside the transaction so two racing sign-ups get
	 * "taken", not a unique-index failure */
	if (db_begin() < 0)
		return STORE_ACCOUNT_ERROR;
	db_stmt *st = db_prepare(
		"SELECT 1 FROM accounts WHERE username_key = lower(?1)"
		" AND domain IS NULL");
	db_bind_text(st, 1, a->username);
	bool taken = db_step(st) == DB_ROW;
	db_reset(st);
	int conflict = taken ? STORE_ACCOUNT_USERNAME_TAKEN : STORE_ACCOUNT_OK;
	if (!conflict) {
		st = db_prepare("SELECT 1 FROM users WHERE email = lower(?1)");
		db_bind_text(st, 1, email);
		if (db_step(st) == DB_ROW)
			conflict = STORE_ACCOUNT_EMAIL_TAKEN;
		db_reset(st);
	}
	int64_t invite = 0;
	if (!conflict && su && su->invite_code &&
	    !(invite = invite_take_tx(su->invite_code, a->created_at)))
		conflict = STORE_ACCOUNT_INVITE_INVALID;
	if (conflict) {
		db_rollback();
		return conflict;
	}
	/* under the write lock: unique beside the CLI, or another server */
	a->id = DB_NEW_ID("accounts");
	st = db_prepare("INSERT INTO accounts (id, username, username_key,"
			" display_name, created_at)"
			" VALUES (?1, ?2, lower(?2), ?3, ?4)");
	db_bind_int64(st, 1, a->id);
	db_bind_text(st, 2, a->username);
	db_bind_text(st, 3, a->display_name ? a->display_name : "");
	db_bind_int64(st, 4, a->created_at);
	if (db_done(st) < 0)
		goto fail;
	st = db_prepare(
		"INSERT INTO users (account_id, email, password_hash,"
		" role, created_at, approved, sign_up_reason, sign_up_ip,"
		" invite_id) VALUES (?1, lower(?2), ?3, ?4, ?5, ?6, ?7, ?8, "
		"?9)");
	db_bind_int64(st, 1, a->id);
	db_bind_text(st, 2, email);
	db_bind_text(st, 3, password_hash);
	db_bind_text(st, 4, role);
	db_bind_int64(st, 5, a->created_at);
	db_bind_int(st, 6, !su || su->approved);
	db_bind_text_or_null(st, 7, su ? su->reason : NULL);
	db_bind_text_or_null(st, 8, su ? su->ip : NULL);
	if (invite)
		db_bind_int64(st, 9, invite);
	else
		db_bind_null(st, 9);
	if (db_done(st) < 0 || db_commit() < 0)
		goto fail;
	return STORE_ACCOUNT_OK;
fail:
	db_rollback();
	return STORE_ACCOUNT_ERROR;
}

static bool account_fetch(arena *ar, db_stmt *st, account *out)
{
	bool found = db_step(st) == DB_ROW;
	if (found)
		account_from_row(ar, st, out);
	db_reset(st);
	return found;
}

/* An account's row as a write leaves it, read with its COMMIT: a
 * statement of its own (db_prepare keys them by this pointer), so no
 * other read of an account resets it meanwhile. */
static const char sql_account_after[] =
	"SELECT " ACCOUNT_COLUMNS " FROM accounts a LEFT JOIN users u"
	" ON u.account_id = a.id WHERE a.id = ?1";

db_stmt *db_account_after_commit(int64_t id)
{
	db_stmt *st = db_prepare(sql_account_after);
	db_bind_int64(st, 1, id);
	db_read_after_commit(st);
	return st;
}

bool db_account_read(arena *ar, db_stmt *st, account *out)
{
	return account_fetch(ar, st, out);
}

bool store_account_get(arena *ar, int64_t id, account *out)
{
	db_stmt *st = db_prepare("SELECT " ACCOUNT_COLUMNS
				 " FROM accounts a LEFT JOIN users u"
				 " ON u.account_id = a.id WHERE a.id = ?1");
	db_bind_int64(st, 1, id);
	return account_fetch(ar, st, out);
}

bool store_token_lookup(arena *ar, const char *hash, principal *out,
			account *acc)
{
	/* every signed-in request begins here: one statement, not two */
	db_stmt *st = db_prepare("SELECT " ACCOUNT_COLUMNS
				 ", t.id, t.app_id, t.account_id,"
				 " t.scopes FROM tokens t"
				 " LEFT JOIN accounts a ON a.id = t.account_id"
				 " LEFT JOIN users u ON u.account_id = a.id"
				 " WHERE t.token_hash = ?1");
	db_bind_text(st, 1, hash);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		out->token_id = db_column_int64(st, ACCOUNT_NCOLUMNS);
		out->app_id = db_column_int64(st, ACCOUNT_NCOLUMNS + 1);
		out->account_id = db_column_int64(st, ACCOUNT_NCOLUMNS + 2);
		out->scopes =
			arena_strdup(ar, db_text(st, ACCOUNT_NCOLUMNS + 3));
		/* an app's own token has no account; a token whose account
		 * went is no token */
		if (out->account_id && db_column_is_null(st, 0))
			found = false;
		else if (out->account_id)
			account_from_row(ar, st, acc);
	}
	db_reset(st);
	return found;
}

bool store_account_by_username(arena *ar, const char *username,
			       const char *domain, account *out)
{
	db_stmt *st = db_prepare(
		"SELECT " ACCOUNT_COLUMNS " FROM accounts a LEFT JOIN users u"
		" ON u.account_id = a.id WHERE a.username_key = lower(?1)"
		" AND COALESCE(a.domain, '') = COALESCE(lower(?2), '')");
	db_bind_text(st, 1, username);
	if (domain)
		db_bind_text(st, 2, domain);
	return account_fetch(ar, st, out);
}

bool store_user_by_login(arena *ar, const char *login, account *out,
			 const char **hash)
{
	db_stmt *st = db_prepare(
		"SELECT " ACCOUNT_COLUMNS ", u.password_hash"
		" FROM users u JOIN accounts a ON a.id = u.account_id"
		" WHERE u.email = lower(?1) OR (a.username_key = lower(?1)"
		" AND a.domain IS NULL) LIMIT 1");
	db_bind_text(st, 1, login);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		account_from_row(ar, st, out);
		*hash = arena_strdup(ar, db_text(st, ACCOUNT_NCOLUMNS));
	}
	db_reset(st);
	return found;
}

int store_account_update_profile(const account *a)
{
	db_stmt *st = db_prepare(
		"UPDATE accounts SET display_name = ?2, note = ?3,"
		" note_html = ?4, fields = ?5, locked = ?6, bot = ?7,"
		" discoverable = ?8, privacy = ?9, sensitive = ?10,"
		" language = ?11, avatar = ?12, header = ?13"
		" WHERE id = ?1");
	db_bind_int64(st, 1, a->id);
	db_bind_text(st, 2, a->display_name);
	db_bind_text(st, 3, a->note);
	db_bind_text(st, 4, a->note_html);
	db_bind_text(st, 5, a->fields);
	db_bind_int(st, 6, a->locked);
	db_bind_int(st, 7, a->bot);
	db_bind_int(st, 8, a->discoverable);
	db_bind_text(st, 9, a->privacy);
	db_bind_int(st, 10, a->sensitive);
	if (a->language)
		db_bind_text(st, 11, a->language);
	if (a->avatar)
		db_bind_text(st, 12, a->avatar);
	if (a->header)
		db_bind_text(st, 13, a->header);
	if (db_done(st) < 0)
		return -1;
	db_touch(cache_accounts, a->id);
	return 0;
}

/* What deleting an account takes from others, gathered before the rows go
 * (foreign keys cascade the rows; counters are this code's job): replies
 * counted on their parents, reblogs and favourites on their statuses,
 * follows on both sides, and others' reblogs of the account's posts on
 * those others' statuses_count. */
static const char *const account_delete_sql[] = {
	/* bigint: PostgreSQL's integer is 32 bits, too narrow for ids
	 * (SQLite gives bigint the same INTEGER affinity) */
	"CREATE TEMP TABLE IF NOT EXISTS gone_counts"
	" (kind bigint, id bigint, n bigint, PRIMARY KEY (kind, id))",
	"DELETE FROM gone_counts",
	/* 0: replies_count of parents (public and unlisted replies only) */
	"INSERT INTO gone_counts SELECT 0, in_reply_to_id, count(*)"
	" FROM statuses WHERE account_id = ?1 AND in_reply_to_id IS NOT NULL"
	" AND visibility IN (0, 1) GROUP BY in_reply_to_id",
	/* 1: reblogs_count */
	"INSERT INTO gone_counts SELECT 1, reblog_of_id, count(*)"
	" FROM statuses WHERE account_id = ?1 AND reblog_of_id IS NOT NULL"
	" GROUP BY reblog_of_id",
	/* 2: favourites_count */
	"INSERT INTO gone_counts SELECT 2, status_id, count(*)"
	" FROM favourites WHERE account_id = ?1 GROUP BY status_id",
	/* 3: followers_count of those it followed */
	"INSERT INTO gone_counts SELECT 3, target_id, 1 FROM follows"
	" WHERE account_id = ?1",
	/* 4: following_count of its followers */
	"INSERT INTO gone_counts SELECT 4, account_id, 1 FROM follows"
	" WHERE target_id = ?1",
	/* 5: statuses_count of others who reblogged its posts */
	"INSERT INTO gone_counts SELECT 5, b.account_id, count(*)"
	" FROM statuses o JOIN statuses b ON b.reblog_of_id = o.id"
	" WHERE o.account_id = ?1 AND b.account_id <> ?1"
	" GROUP BY b.account_id",
	"DELETE FROM accounts WHERE id = ?1",
	"UPDATE statuses SET replies_count = greatest(0, replies_count -"
	" (SELECT n FROM gone_counts WHERE kind = 0 AND id = statuses.id))"
	" WHERE id IN (SELECT id FROM gone_counts WHERE kind = 0)",
	"UPDATE statuses SET reblogs_count = greatest(0, reblogs_count -"
	" (SELECT n FROM gone_counts WHERE kind = 1 AND id = statuses.id))"
	" WHERE id IN (SELECT id FROM gone_counts WHERE kind = 1)",
	"UPDATE statuses SET favourites_count = greatest(0, favourites_count -"
	" (SELECT n FROM gone_counts WHERE kind = 2 AND id = statuses.id))"
	" WHERE id IN (SELECT id FROM gone_counts WHERE kind = 2)",
	"UPDATE accounts SET followers_count = greatest(0, followers_count - 1)"
	" WHERE id IN (SELECT id FROM gone_counts WHERE kind = 3)",
	"UPDATE accounts SET following_count = greatest(0, following_count - 1)"
	" WHERE id IN (SELECT id FROM gone_counts WHERE kind = 4)",
	"UPDATE accounts SET statuses_count = greatest(0, statuses_count -"
	" (SELECT n FROM gone_counts WHERE kind = 5 AND id = accounts.id))"
	" WHERE id IN (SELECT id FROM gone_counts WHERE kind = 5)",
};

int store_account_delete(int64_t id)
{
	if (db_begin() < 0)
		return -1;
	for (size_t i = 0;
	     i < sizeof account_delete_sql / sizeof *account_delete_sql; i++) {
		db_stmt *st = db_prepare(account_delete_sql[i]);
		if (db_param_count(st) > 0)
			db_bind_int64(st, 1, id);
		if (db_done(st) < 0) {
			db_rollback();
			return -1;
		}
	}
	db_touch_all(); /* its posts and counts show up everywhere */
	if (db_commit() < 0) {
		db_rollback();
		return -1;
	}
	feeds_clear(feeds_home);
	return 0;
}

void store_users_each(void (*fn)(const account *a, void *ctx), void *ctx,
		      arena *ar)
{
	db_stmt *st = db_prepare("SELECT " ACCOUNT_COLUMNS
				 " FROM users u JOIN accounts a"
				 " ON a.id = u.account_id ORDER BY a.id");
	while (db_step(st) == DB_ROW) {
		account a;
		memset(&a, 0, sizeof a);
		account_from_row(ar, st, &a);
		fn(&a, ctx);
	}
	db_reset(st);
}

int64_t store_count_local_users(void)
{
	return db_int64("SELECT count(*) FROM users", 0, 0);
}

int64_t store_count_local_statuses(void)
{
	return db_int64("SELECT coalesce(sum(statuses_count), 0)"
			" FROM accounts WHERE domain IS NULL",
			0, 0);
}

size_t store_admin_accounts_list(arena *a, const store_account_query *q,
				 account *out)
{
	/* a filter longer than any name or address finds nothing anyway */
	enum { FILTER_MAX = 320 };
	size_t nname = q->username ? strnlen(q->username, FILTER_MAX) : 0;
	size_t nemail = q->email ? strnlen(q->email, FILTER_MAX) : 0;
	/* one text for every filter, as store_reports_list: an unset one
	 * is a bound that holds */
#define ADMIN_ACCOUNTS_WHERE                                                   \
	" FROM accounts a LEFT JOIN users u ON u.account_id = a.id"            \
	" WHERE (?1 = 0 OR (?1 = 1) = (a.domain IS NULL))"                     \
	" AND (?2 = 0 OR (?2 = 1 AND a.suspended_at IS NULL)"                  \
	" OR (?2 = 2 AND u.approved = 0) OR (?2 = 3 AND u.disabled <> 0)"      \
	" OR (?2 = 4 AND a.silenced_at IS NOT NULL)"                           \
	" OR (?2 = 5 AND a.suspended_at IS NOT NULL)"                          \
	" OR (?2 = 6 AND a.sensitized_at IS NOT NULL))"                        \
	" AND (?3 = 0 OR u.role IN ('owner', 'admin', 'moderator'))"           \
	" AND (?4 = 0 OR substr(a.username_key, 1, CAST(?4 AS INTEGER)) = "    \
	"lower(?5))"                                                           \
	" AND (?6 = 0 OR substr(u.email, 1, CAST(?6 AS INTEGER)) = lower(?7))" \
	" AND (?8 = '' OR u.sign_up_ip = ?8)"                                  \
	" AND (?9 = '' OR a.domain = lower(?9))"                               \
	" AND (?10 = 0 OR a.id < ?10) AND a.id > ?11"
	db_stmt *st = db_prepare(
		q->min_id ? "SELECT " ACCOUNT_COLUMNS ADMIN_ACCOUNTS_WHERE
			    " ORDER BY a.id LIMIT ?12"
			  : "SELECT " ACCOUNT_COLUMNS ADMIN_ACCOUNTS_WHERE
			    " ORDER BY a.id DESC LIMIT ?12");
#undef ADMIN_ACCOUNTS_WHERE
	db_bind_int(st, 1, q->origin);
	db_bind_int(st, 2, q->status);
	db_bind_int(st, 3, q->staff);
	db_bind_int(st, 4, (int)nname);
	db_bind_text(st, 5, q->username ? q->username : "");
	db_bind_int(st, 6, (int)nemail);
	db_bind_text(st, 7, q->email ? q->email : "");
	db_bind_text(st, 8, q->ip ? q->ip : "");
	db_bind_text(st, 9, q->domain ? q->domain : "");
	db_bind_int64(st, 10, q->max_id);
	db_bind_int64(st, 11, q->min_id ? q->min_id : q->since_id);
	db_bind_int(st, 12, q->limit);
	size_t n = 0;
	while (n < (size_t)q->limit && db_step(st) == DB_ROW)
		account_from_row(a, st, &out[n++]);
	db_reset(st);
	return n;
}

bool store_user_sign_up(arena *a, int64_t id, const char **ip,
			const char **reason)
{
	db_stmt *st = db_prepare("SELECT sign_up_ip, sign_up_reason FROM users"
				 " WHERE account_id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	*ip = found ? db_text_dup(a, st, 0) : NULL;
	*reason = found ? db_text_dup(a, st, 1) : NULL;
	db_reset(st);
	return found;
}
