/* safety.c — mutes, a user's domain blocks, and the relations of one
 * account to others that the visibility rule (domain/visibility.c)
 * reads. Blocks live beside the follows they end (social.c). */
#include "core/cache.h"
#include "core/id.h"
#include "store/db.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

int store_mute_set(int64_t id, int64_t account_id, int64_t target_id,
		   bool notifications, int64_t expires_at)
{
	db_stmt *st = db_prepare(
		"INSERT INTO mutes (id, account_id, target_id, notifications,"
		" expires_at) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (account_id, target_id) DO UPDATE SET"
		" notifications = ?4, expires_at = ?5");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	db_bind_int64(st, 3, target_id);
	db_bind_int(st, 4, notifications);
	if (expires_at)
		db_bind_int64(st, 5, expires_at);
	if (db_done(st) < 0)
		return -1;
	db_touch(cache_relations, account_id);
	db_touch(cache_relations, target_id);
	return 0;
}

int store_mute_delete(int64_t account_id, int64_t target_id)
{
	db_stmt *st = db_prepare("DELETE FROM mutes WHERE account_id = ?1"
				 " AND target_id = ?2");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, target_id);
	if (db_done(st) < 0)
		return -1;
	db_touch(cache_relations, account_id);
	db_touch(cache_relations, target_id);
	return 0;
}

bool store_mute_get(int64_t account_id, int64_t target_id, int64_t now,
		    bool *muting, bool *notifications, int64_t *expires_at)
{
	db_stmt *st = db_prepare(
		"SELECT notifications, coalesce(expires_at, 0) FROM mutes"
		" WHERE account_id = ?1 AND target_id = ?2"
		" AND (expires_at IS NULL OR expires_at > ?3)");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, target_id);
	db_bind_int64(st, 3, now);
	bool found = db_step(st) == DB_ROW;
	if (muting)
		*muting = found;
	if (notifications)
		*notifications = found && db_column_int(st, 0);
	if (expires_at)
		*expires_at = found ? db_column_int64(st, 1) : 0;
	db_reset(st);
	return found;
}

int store_domain_block_set(int64_t id, int64_t account_id, const char *domain,
			   bool on)
{
	db_stmt *st =
		on ? db_prepare("INSERT INTO domain_blocks (id, account_id,"
				" domain) VALUES (?1, ?2, ?3)"
				" ON CONFLICT (account_id, domain) DO NOTHING")
		   : db_prepare("DELETE FROM domain_blocks WHERE ?1 = ?1"
				" AND account_id = ?2 AND domain = ?3");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	db_bind_text(st, 3, domain);
	if (db_done(st) < 0)
		return -1;
	int changed = db_changes();
	db_touch(cache_relations, account_id);
	return changed ? 0 : 1;
}

size_t store_domain_blocks_page(arena *a, int64_t account_id, const page *p,
				const char **names, int64_t *keys)
{
	static const char *const sql[2] = {
		"SELECT domain, id FROM domain_blocks"
		" WHERE account_id = ?4 AND id > ?1 AND id < ?2"
		" ORDER BY id DESC LIMIT ?3",
		"SELECT domain, id FROM domain_blocks"
		" WHERE account_id = ?4 AND id > ?1 AND id < ?2"
		" ORDER BY id ASC LIMIT ?3",
	};
	bool asc;
	db_stmt *st = db_page_stmt(sql, p, &asc);
	db_bind_int64(st, 4, account_id);
	size_t n = 0;
	while (n < (size_t)p->limit && db_step(st) == DB_ROW) {
		names[n] = arena_strdup(a, db_text_or_null(st, 0));
		keys[n] = db_column_int64(st, 1);
		n++;
	}
	db_reset(st);
	if (asc) {
		db_reverse(names, n, sizeof *names);
		db_reverse(keys, n, sizeof *keys);
	}
	return n;
}

size_t store_relations_of(arena *a, int64_t reader, int64_t now,
			  store_relation **out, const char ***domains,
			  size_t *ndomains)
{
	/* one ordered scan of three indexes; one account may come from
	 * several (blocked and muted), merged below */
	db_stmt *st = db_prepare(
		"SELECT target_id, 1, 0 FROM blocks WHERE account_id = ?1"
		" UNION ALL SELECT account_id, 2, 0 FROM blocks"
		" WHERE target_id = ?1"
		" UNION ALL SELECT target_id, CASE WHEN notifications <> 0"
		" THEN 12 ELSE 4 END, coalesce(expires_at, 0) FROM mutes"
		" WHERE account_id = ?1"
		" AND (expires_at IS NULL OR expires_at > ?2)"
		" ORDER BY 1");
	db_bind_int64(st, 1, reader);
	db_bind_int64(st, 2, now);
	size_t n = 0, cap = 0;
	store_relation *rel = NULL;
	while (db_step(st) == DB_ROW) {
		int64_t id = db_column_int64(st, 0);
		unsigned flags = (unsigned)db_column_int(st, 1);
		int64_t until = db_column_int64(st, 2);
		if (n && rel[n - 1].account_id == id) {
			rel[n - 1].flags |= flags;
			if (until)
				rel[n - 1].until = until;
			continue;
		}
		rel = db_grow(a, rel, n, &cap, sizeof *rel);
		rel[n++] = (store_relation){id, until, flags};
	}
	db_reset(st);
	*out = rel;
	st = db_prepare("SELECT domain FROM domain_blocks WHERE account_id = ?1"
			" ORDER BY domain");
	db_bind_int64(st, 1, reader);
	size_t nd = 0, dcap = 0;
	const char **names = NULL;
	while (db_step(st) == DB_ROW) {
		names = db_grow(a, names, nd, &dcap, sizeof *names);
		names[nd++] = arena_strdup(a, db_text_or_null(st, 0));
	}
	db_reset(st);
	*domains = names;
	*ndomains = nd;
	return n;
}

size_t store_relations_toward(arena *a, int64_t author, int64_t now,
			      int64_t **out)
{
	db_stmt *st = db_prepare(
		"SELECT account_id FROM blocks WHERE target_id = ?1"
		" UNION ALL SELECT target_id FROM blocks WHERE account_id = ?1"
		" UNION ALL SELECT account_id FROM mutes WHERE target_id = ?1"
		" AND (expires_at IS NULL OR expires_at > ?2)"
		" UNION ALL SELECT d.account_id FROM accounts a"
		" JOIN domain_blocks d ON d.domain = a.domain WHERE a.id = ?1"
		" ORDER BY 1");
	db_bind_int64(st, 1, author);
	db_bind_int64(st, 2, now);
	size_t n = 0, cap = 0;
	int64_t *ids = NULL;
	while (db_step(st) == DB_ROW) {
		ids = db_grow(a, ids, n, &cap, sizeof *ids);
		ids[n++] = db_column_int64(st, 0);
	}
	db_reset(st);
	*out = ids;
	return n;
}
