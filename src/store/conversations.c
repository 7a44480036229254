/* conversations.c — each account's private conversations: one row per
 * account and thread of direct statuses, kept by the posting path
 * (store_conversations_add) and, when a status is deleted, by a trigger
 * (schema.c). Who a direct status reaches is domain's to decide; this
 * file only records it. */
#include "core/id.h"
#include "store/db.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* participants is a JSON array of ids, written and read here only: a
 * plain "[1,2,3]" needs no JSON library. */
static size_t ids_parse(arena *a, const char *text, int64_t **out)
{
	size_t cap = 1;
	for (const char *p = text; *p; p++)
		cap += *p == ',';
	int64_t *ids = arena_alloc(a, cap * sizeof *ids);
	size_t n = 0;
	const char *p = text;
	while (*p && n < cap) {
		while (*p && (*p < '0' || *p > '9'))
			p++;
		if (!*p)
			break;
		char *end;
		ids[n++] = strtoll(p, &end, 10);
		p = end;
	}
	*out = ids;
	return n;
}

/* The union of two id lists as "[…]", ascending, arena memory. */
static char *ids_union(arena *a, const int64_t *x, size_t nx, const int64_t *y,
		       size_t ny)
{
	int64_t *all = arena_alloc(a, (nx + ny + 1) * sizeof *all);
	if (nx)
		memcpy(all, x, nx * sizeof *x);
	if (ny)
		memcpy(all + nx, y, ny * sizeof *y);
	qsort(all, nx + ny, sizeof *all, id_cmp);
	char *text = arena_alloc(a, (nx + ny) * 21 + 3), *p = text;
	*p++ = '[';
	for (size_t i = 0; i < nx + ny; i++) {
		if (i && all[i] == all[i - 1])
			continue;
		p += sprintf(p, "%s%lld", p == text + 1 ? "" : ",",
			     (long long)all[i]);
	}
	strcpy(p, "]");
	return text;
}

#define CONVERSATION_COLUMNS                                                   \
	"id, account_id, thread_root_id, participants, last_status_id, unread"

static void conversation_from_row(arena *a, db_stmt *st, store_conversation *c)
{
	c->id = db_column_int64(st, 0);
	c->account_id = db_column_int64(st, 1);
	c->thread_root_id = db_column_int64(st, 2);
	int64_t *ids;
	c->nparticipants = ids_parse(a, db_text(st, 3), &ids);
	c->participants = ids;
	c->last_status_id = db_column_int64(st, 4);
	c->unread = db_column_int(st, 5) != 0;
}

/* Inside the transaction: record the status in recipient's
 * conversation of thread root. */
static int add_one(arena *a, int64_t root, int64_t status_id, int64_t author,
		   const int64_t *participants, size_t np, int64_t recipient)
{
	db_stmt *st = db_prepare("SELECT participants FROM conversations"
				 " WHERE account_id = ?1"
				 " AND thread_root_id = ?2");
	db_bind_int64(st, 1, recipient);
	db_bind_int64(st, 2, root);
	int64_t *had = NULL;
	size_t nhad = 0;
	if (db_step(st) == DB_ROW)
		nhad = ids_parse(a, db_text(st, 0), &had);
	db_reset(st);
	st = db_prepare(
		"INSERT INTO conversations (id, account_id,"
		" thread_root_id, participants, last_status_id, unread)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (account_id, thread_root_id) DO UPDATE SET"
		" participants = excluded.participants,"
		" last_status_id = "
		"greatest(coalesce(conversations.last_status_id,"
		" 0), excluded.last_status_id),"
		" unread = excluded.unread");
	db_bind_int64(st, 1, id_next());
	db_bind_int64(st, 2, recipient);
	db_bind_int64(st, 3, root);
	db_bind_text_copy(st, 4, ids_union(a, had, nhad, participants, np));
	db_bind_int64(st, 5, status_id);
	db_bind_int(st, 6, recipient != author);
	return db_done(st);
}

int store_conversations_add(int64_t status_id, int64_t author,
			    const int64_t *participants, size_t nparticipants,
			    const int64_t *recipients, size_t nrecipients)
{
	if (db_begin() < 0)
		return -1;
	/* the thread is the status's: a direct reply to a public post is
	 * in that post's thread, as Mastodon's conversation is */
	int64_t root = db_int64("SELECT coalesce(thread_root_id, id)"
				" FROM statuses WHERE id = ?1",
				status_id, 0);
	if (!root) { /* deleted since it was posted: nothing to record */
		db_rollback();
		return 0;
	}
	arena a;
	arena_init(&a);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nrecipients; i++)
		rc = add_one(&a, root, status_id, author, participants,
			     nparticipants, recipients[i]);
	arena_release(&a);
	if (rc < 0 || db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

int store_conversations_add_held(int64_t account_id, int64_t from)
{
	/* the statuses first, then the writes (statements are not kept
	 * stepping across other writes) */
	db_stmt *st =
		db_prepare("SELECT s.id, coalesce(s.thread_root_id, s.id)"
			   " FROM filtered_notifications f JOIN statuses s"
			   " ON s.id = f.status_id WHERE f.account_id = ?1"
			   " AND f.from_account_id = ?2 AND f.type = 'mention'"
			   " AND s.visibility = 3 ORDER BY s.id");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, from);
	arena a;
	arena_init(&a);
	size_t n = 0, cap = 4;
	int64_t(*held)[2] = arena_alloc(&a, cap * sizeof *held);
	while (db_step(st) == DB_ROW) {
		held = db_grow(&a, held, n, &cap, sizeof *held);
		held[n][0] = db_column_int64(st, 0);
		held[n][1] = db_column_int64(st, 1);
		n++;
	}
	db_reset(st);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		/* its participants: the author and everyone it mentioned */
		st = db_prepare("SELECT account_id FROM mentions"
				" WHERE status_id = ?1");
		db_bind_int64(st, 1, held[i][0]);
		size_t np = 0, pcap = 4;
		int64_t *participants =
			arena_alloc(&a, pcap * sizeof *participants);
		participants[np++] = from;
		while (db_step(st) == DB_ROW) {
			participants = db_grow(&a, participants, np, &pcap,
					       sizeof *participants);
			participants[np++] = db_column_int64(st, 0);
		}
		db_reset(st);
		rc = add_one(&a, held[i][1], held[i][0], from, participants, np,
			     account_id);
	}
	arena_release(&a);
	return rc;
}

size_t store_conversations_page(arena *a, int64_t account_id, const page *p,
				store_conversation *out)
{
	static const char *const sql[2] = {
		"SELECT " CONVERSATION_COLUMNS " FROM conversations"
		" WHERE account_id = ?4 AND last_status_id > ?1"
		" AND last_status_id < ?2 ORDER BY last_status_id DESC"
		" LIMIT ?3",
		"SELECT " CONVERSATION_COLUMNS " FROM conversations"
		" WHERE account_id = ?4 AND last_status_id > ?1"
		" AND last_status_id < ?2 ORDER BY last_status_id ASC"
		" LIMIT ?3",
	};
	bool asc;
	db_stmt *st = db_page_stmt(sql, p, &asc);
	db_bind_int64(st, 4, account_id);
	size_t n = 0;
	while (n < (size_t)p->limit && db_step(st) == DB_ROW)
		conversation_from_row(a, st, &out[n++]);
	db_reset(st);
	if (asc)
		db_reverse(out, n, sizeof *out);
	return n;
}

bool store_conversation_get(arena *a, int64_t account_id, int64_t id,
			    store_conversation *out)
{
	db_stmt *st =
		db_prepare("SELECT " CONVERSATION_COLUMNS " FROM conversations"
			   " WHERE id = ?1 AND account_id = ?2");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, account_id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		conversation_from_row(a, st, out);
	db_reset(st);
	return found;
}

size_t store_conversations_of_status(arena *a, int64_t status_id,
				     store_conversation **out)
{
	db_stmt *st =
		db_prepare("SELECT " CONVERSATION_COLUMNS " FROM conversations"
			   " WHERE last_status_id = ?1");
	db_bind_int64(st, 1, status_id);
	size_t n = 0, cap = 4;
	store_conversation *c = arena_alloc(a, cap * sizeof *c);
	while (db_step(st) == DB_ROW) {
		if (n == cap) {
			store_conversation *more =
				arena_alloc(a, 2 * cap * sizeof *more);
			memcpy(more, c, n * sizeof *c);
			c = more;
			cap *= 2;
		}
		conversation_from_row(a, st, &c[n++]);
	}
	db_reset(st);
	*out = c;
	return n;
}

/* Run sql (?1 = account, ?2 = id) as one write: 0, 1 when it touched no
 * row, -1. */
static int write_one(const char *sql, int64_t account_id, int64_t id)
{
	db_stmt *st = db_prepare(sql);
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, id);
	if (db_done(st) < 0)
		return -1;
	return db_changes() ? 0 : 1;
}

int store_conversation_read(int64_t account_id, int64_t id)
{
	return write_one("UPDATE conversations SET unread = 0"
			 " WHERE account_id = ?1 AND id = ?2",
			 account_id, id);
}

int store_conversation_remove(int64_t account_id, int64_t id)
{
	return write_one("DELETE FROM conversations"
			 " WHERE account_id = ?1 AND id = ?2",
			 account_id, id);
}
