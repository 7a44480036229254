/* keys.c — the RSA key pairs federation signs with (migration 24): one
 * per account, and the instance actor's. A pair is kept only if its
 * actor has none, in one statement, so two threads (or processes) that
 * make one at once both end up with the one the database kept. */
#include "store/db.h"
#include "store/store.h"

/* The instance actor's row in instance_keys. */
static const char instance_key_name[] = "actor";

bool store_actor_key(arena *a, int64_t account_id, store_key_pair *out)
{
	db_stmt *st =
		account_id
			? db_prepare("SELECT public_pem, private_pem"
				     " FROM account_keys WHERE account_id = ?1")
			: db_prepare("SELECT public_pem, private_pem"
				     " FROM instance_keys WHERE name = ?1");
	if (account_id)
		db_bind_int64(st, 1, account_id);
	else
		db_bind_text(st, 1, instance_key_name);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		out->public_pem = arena_strdup(a, db_text(st, 0));
		out->private_pem = arena_strdup(a, db_text(st, 1));
	}
	db_reset(st);
	return found;
}

int store_actor_key_add(int64_t account_id, const store_key_pair *k)
{
	db_stmt *st =
		account_id
			? db_prepare("INSERT INTO account_keys (account_id,"
				     " public_pem, private_pem)"
				     " SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1"
				     " FROM accounts WHERE id = ?1)"
				     " ON CONFLICT (account_id) DO NOTHING")
			: db_prepare("INSERT INTO instance_keys (name,"
				     " public_pem, private_pem)"
				     " VALUES (?1, ?2, ?3)"
				     " ON CONFLICT (name) DO NOTHING");
	if (account_id)
		db_bind_int64(st, 1, account_id);
	else
		db_bind_text(st, 1, instance_key_name);
	db_bind_text(st, 2, k->public_pem);
	db_bind_text(st, 3, k->private_pem);
	return db_done(st) < 0 ? -1 : 0;
}
