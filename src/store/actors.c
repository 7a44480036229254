/* actors.c — other servers' actors (migration 25), the activities they
 * send us until a job has processed them, and the deliveries we owe
 * them. An actor is an account with a domain plus its row in actors;
 * both are written in one transaction. */
#include "core/cache.h"
#include "core/id.h"
#include "store/db.h"
#include "store/store.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#define ACTOR_COLUMNS                                                          \
	"account_id, uri, url, inbox, shared_inbox, followers_uri, key_id,"    \
	" public_key_pem, fetched_at"
/* what is read: the columns written, and what a Move sets */
#define ACTOR_READ_COLUMNS ACTOR_COLUMNS ", moved_to_id"

static bool actor_fetch(arena *a, db_stmt *st, store_actor *out)
{
	bool found = db_step(st) == DB_ROW;
	if (found) {
		out->account_id = db_column_int64(st, 0);
		out->uri = arena_strdup(a, db_text(st, 1));
		out->url = db_text_dup(a, st, 2);
		out->inbox = arena_strdup(a, db_text(st, 3));
		out->shared_inbox = db_text_dup(a, st, 4);
		out->followers_uri = db_text_dup(a, st, 5);
		out->key_id = arena_strdup(a, db_text(st, 6));
		out->public_key_pem = arena_strdup(a, db_text(st, 7));
		out->fetched_at = db_column_int64(st, 8);
		out->moved_to_id =
			db_column_is_null(st, 9) ? 0 : db_column_int64(st, 9);
	}
	db_reset(st);
	return found;
}

int store_actor_moved(int64_t account_id, int64_t to)
{
	db_stmt *st = db_prepare("UPDATE actors SET moved_to_id = ?2"
				 " WHERE account_id = ?1");
	db_bind_int64(st, 1, account_id);
	db_bind_int64(st, 2, to);
	if (db_done(st) < 0)
		return -1;
	db_touch(cache_accounts, account_id); /* after: no stale copy kept */
	return 0;
}

const char *store_actor_image_source(arena *a, int64_t account_id, bool header)
{
	db_stmt *st = db_prepare(header ? "SELECT header_source FROM actors"
					  " WHERE account_id = ?1"
					: "SELECT avatar_source FROM actors"
					  " WHERE account_id = ?1");
	db_bind_int64(st, 1, account_id);
	const char *src = db_step(st) == DB_ROW ? db_text_dup(a, st, 0) : NULL;
	db_reset(st);
	return src;
}

int store_actor_image_set(arena *a, int64_t account_id, bool header,
			  const char *name, const char *source,
			  const char **old)
{
	*old = NULL;
	if (db_begin() < 0)
		return -1;
	db_stmt *st = db_prepare(header ? "SELECT header FROM accounts"
					  " WHERE id = ?1"
					: "SELECT avatar FROM accounts"
					  " WHERE id = ?1");
	db_bind_int64(st, 1, account_id);
	if (db_step(st) == DB_ROW)
		*old = db_text_dup(a, st, 0);
	db_reset(st);
	st = db_prepare(header ? "UPDATE accounts SET header = ?2"
				 " WHERE id = ?1"
			       : "UPDATE accounts SET avatar = ?2"
				 " WHERE id = ?1");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, name);
	if (db_done(st) < 0)
		goto fail;
	st = db_prepare(header ? "UPDATE actors SET header_source = ?2"
				 " WHERE account_id = ?1"
			       : "UPDATE actors SET avatar_source = ?2"
				 " WHERE account_id = ?1");
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, source);
	if (db_done(st) < 0)
		goto fail;
	db_touch(cache_accounts, account_id);
	if (db_commit() < 0)
		goto fail;
	return 0;
fail:
	db_rollback();
	*old = NULL;
	return -1;
}

bool store_actor_get(arena *a, int64_t account_id, store_actor *out)
{
	db_stmt *st = db_prepare("SELECT " ACTOR_READ_COLUMNS
				 " FROM actors WHERE account_id = ?1");
	db_bind_int64(st, 1, account_id);
	return actor_fetch(a, st, out);
}

bool store_actor_by_uri(arena *a, const char *uri, store_actor *out)
{
	db_stmt *st = db_prepare("SELECT " ACTOR_READ_COLUMNS
				 " FROM actors WHERE uri = ?1");
	db_bind_text(st, 1, uri);
	return actor_fetch(a, st, out);
}

bool store_actor_by_key(arena *a, const char *key_id, store_actor *out)
{
	db_stmt *st = db_prepare("SELECT " ACTOR_READ_COLUMNS
				 " FROM actors WHERE key_id = ?1");
	db_bind_text(st, 1, key_id);
	return actor_fetch(a, st, out);
}

/* The account row of a remote actor: new (id given) or updated. */
static int account_write(const account *acc, bool is_new)
{
	db_stmt *st = db_prepare(
		is_new ? "INSERT INTO accounts (id, username, username_key,"
			 " domain, display_name, note, note_html, fields,"
			 " locked, bot, discoverable, created_at)"
			 " VALUES (?1, ?2, lower(?2), ?3, ?4, '', ?5, ?6, ?7,"
			 " ?8, ?9, ?10)"
		       : "UPDATE accounts SET username = ?2,"
			 " username_key = lower(?2), domain = ?3,"
			 " display_name = ?4, note_html = ?5, fields = ?6,"
			 " locked = ?7, bot = ?8, discoverable = ?9"
			 " WHERE id = ?1");
	db_bind_int64(st, 1, acc->id);
	db_bind_text(st, 2, acc->username);
	db_bind_text(st, 3, acc->domain);
	db_bind_text(st, 4, acc->display_name ? acc->display_name : "");
	db_bind_text(st, 5, acc->note_html ? acc->note_html : "");
	db_bind_text(st, 6, acc->fields ? acc->fields : "[]");
	db_bind_int64(st, 7, acc->locked);
	db_bind_int64(st, 8, acc->bot);
	db_bind_int64(st, 9, acc->discoverable);
	if (is_new)
		db_bind_int64(st, 10, acc->created_at);
	return db_done(st) < 0 ? -1 : 0;
}

static int actor_write(const store_actor *act, bool is_new)
{
	db_stmt *st = db_prepare(
		is_new ? "INSERT INTO actors (" ACTOR_COLUMNS ")"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		       : "UPDATE actors SET uri = ?2, url = ?3, inbox = ?4,"
			 " shared_inbox = ?5, followers_uri = ?6,"
			 " key_id = ?7, public_key_pem = ?8, fetched_at = ?9"
			 " WHERE account_id = ?1");
	db_bind_int64(st, 1, act->account_id);
	db_bind_text(st, 2, act->uri);
	db_bind_text_or_null(st, 3, act->url);
	db_bind_text(st, 4, act->inbox);
	db_bind_text_or_null(st, 5, act->shared_inbox);
	db_bind_text_or_null(st, 6, act->followers_uri);
	db_bind_text(st, 7, act->key_id);
	db_bind_text(st, 8, act->public_key_pem);
	db_bind_int64(st, 9, act->fetched_at);
	return db_done(st) < 0 ? -1 : 0;
}

int store_actor_save(account *acc, store_actor *act)
{
	if (db_begin() < 0)
		return -1;
	/* the actor by its id, else an account of that name: a server
	 * that changed an actor's id keeps the account and its follows */
	arena tmp;
	arena_init(&tmp);
	store_actor old;
	int64_t id = 0;
	if (store_actor_by_uri(&tmp, act->uri, &old)) {
		id = old.account_id;
	} else {
		db_stmt *st = db_prepare(
			"SELECT id FROM accounts WHERE username_key ="
			" lower(?1) AND domain = ?2");
		db_bind_text(st, 1, acc->username);
		db_bind_text(st, 2, acc->domain);
		if (db_step(st) == DB_ROW)
			id = db_column_int64(st, 0);
		db_reset(st);
	}
	bool is_new = !id, actor_new = is_new;
	if (!is_new && !store_actor_get(&tmp, id, &old))
		actor_new = true;
	arena_release(&tmp);
	acc->id = is_new ? DB_NEW_ID("accounts") : id;
	act->account_id = acc->id;
	if (account_write(acc, is_new) < 0 || actor_write(act, actor_new) < 0) {
		db_rollback();
		return -1;
	}
	if (!is_new)
		db_touch(cache_accounts, acc->id);
	if (db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

/* One activity to keep, and what became of it. */
typedef struct inbox_accept {
	const char *activity_id, *body;
	int64_t actor_id, now, id;
	int rc;
	bool done;
	struct inbox_accept *next;
} inbox_accept;

/* Keep q inside the caller's transaction: 0, 1 for a replay (nothing
 * written), or -1. */
static int accept_tx(inbox_accept *q)
{
	db_stmt *st = db_prepare("INSERT INTO inbox_seen (activity_id,"
				 " received_at) VALUES (?1, ?2)"
				 " ON CONFLICT (activity_id) DO NOTHING");
	db_bind_text(st, 1, q->activity_id);
	db_bind_int64(st, 2, q->now);
	if (db_done(st) < 0)
		return -1;
	if (db_changes() == 0) /* a replay: taken once already */
		return 1;
	q->id = id_next();
	st = db_prepare("INSERT INTO inbox_activities (id, actor_id, body,"
			" received_at) VALUES (?1, ?2, ?3, ?4)");
	db_bind_int64(st, 1, q->id);
	db_bind_int64(st, 2, q->actor_id);
	db_bind_text(st, 3, q->body);
	db_bind_int64(st, 4, q->now);
	if (db_done(st) < 0 ||
	    store_job_enqueue("fed_inbox", q->id, q->now) < 0)
		return -1;
	return 0;
}

/* Keep the activities from q on in one transaction, each one's rc set;
 * when that fails, each in one of its own. */
static void accept_all(inbox_accept *q)
{
	bool ok = db_begin() == 0;
	for (inbox_accept *i = q; ok && i; i = i->next)
		ok = (i->rc = accept_tx(i)) >= 0;
	if (ok && db_commit() == 0)
		return;
	db_rollback();
	for (inbox_accept *i = q; i; i = i->next) {
		if (db_begin() < 0) {
			i->rc = -1;
			continue;
		}
		i->rc = accept_tx(i);
		if (i->rc == 0 && db_commit() < 0)
			i->rc = -1;
		if (i->rc != 0)
			db_rollback();
	}
}

/* Group commit: the activities waiting while a transaction keeps others
 * are kept in the next one, together: a delivery's commit costs its
 * pages (the inbox's, the jobs' and their indexes'), shared by all.
 * When the last group was of more than one (deliveries come from several
 * senders at once), the writer first waits up to ACCEPT_LINGER_US for
 * more, up to ACCEPT_GROUP_MAX: a commit takes less time than the next
 * deliveries take to arrive, so without the wait most groups were of
 * one or two (1.6 on average in bench/fed_in.sh, 7.2 with it). A sender
 * that delivers one at a time is never kept waiting. */
enum { ACCEPT_LINGER_US = 1000, ACCEPT_GROUP_MAX = 64 };
static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t accept_over = PTHREAD_COND_INITIALIZER;
static pthread_cond_t accept_more; /* on the monotonic clock: accept_once */
static pthread_once_t accept_once = PTHREAD_ONCE_INIT;

static void accept_init(void)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&accept_more, &attr);
	pthread_condattr_destroy(&attr);
}
static inbox_accept *accept_head, **accept_tail = &accept_head;
static bool accept_writing;
static size_t accept_waiting, accept_last_group;

/* The writer waits for more deliveries (accept_lock held): until
 * ACCEPT_GROUP_MAX wait, or for ACCEPT_LINGER_US. */
static void accept_gather(void)
{
	struct timespec t; /* a wall clock stepped back cannot stretch it */
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += ACCEPT_LINGER_US * 1000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	while (accept_waiting < ACCEPT_GROUP_MAX &&
	       pthread_cond_timedwait(&accept_more, &accept_lock, &t) == 0)
		;
}

int store_inbox_accept(const char *activity_id, int64_t actor_id,
		       const char *body, int64_t now, int64_t *id)
{
	inbox_accept me = {.activity_id = activity_id,
			   .body = body,
			   .actor_id = actor_id,
			   .now = now};
	pthread_once(&accept_once, accept_init);
	pthread_mutex_lock(&accept_lock);
	*accept_tail = &me;
	accept_tail = &me.next;
	if (++accept_waiting == ACCEPT_GROUP_MAX)
		pthread_cond_signal(&accept_more);
	while (!me.done && accept_writing)
		pthread_cond_wait(&accept_over, &accept_lock);
	if (!me.done) { /* no one writing: this thread writes them all */
		accept_writing = true;
		if (accept_last_group > 1)
			accept_gather();
		inbox_accept *all = accept_head;
		accept_head = NULL;
		accept_tail = &accept_head;
		accept_last_group = accept_waiting;
		accept_waiting = 0;
		pthread_mutex_unlock(&accept_lock);
		accept_all(all);
		pthread_mutex_lock(&accept_lock);
		for (inbox_accept *i = all; i; i = i->next)
			i->done = true;
		accept_writing = false;
		pthread_cond_broadcast(&accept_over);
	}
	pthread_mutex_unlock(&accept_lock);
	*id = me.id;
	return me.rc;
}

int store_inbox_seen_prune(int64_t before)
{
	db_stmt *st =
		db_prepare("DELETE FROM inbox_seen WHERE received_at < ?1");
	db_bind_int64(st, 1, before);
	return db_done(st) < 0 ? -1 : 0;
}

bool store_inbox_activity(arena *a, int64_t id, int64_t *actor_id,
			  const char **body)
{
	db_stmt *st = db_prepare("SELECT actor_id, body FROM inbox_activities"
				 " WHERE id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		*actor_id = db_column_int64(st, 0);
		*body = arena_strdup(a, db_text(st, 1));
	}
	db_reset(st);
	return found;
}

int store_inbox_done(int64_t id)
{
	db_stmt *st = db_prepare("DELETE FROM inbox_activities WHERE id = ?1");
	db_bind_int64(st, 1, id);
	return db_done(st) < 0 ? -1 : 0;
}

/* Step st (an insert of row id) and queue its job, in one transaction:
 * the caller's, or one of its own. 0 or -1. */
static int insert_with_job(db_stmt *st, const char *kind, int64_t id,
			   int64_t now)
{
	bool own = !db_in_transaction();
	if (own && db_begin() < 0)
		return -1;
	if (db_done(st) < 0 || store_job_enqueue(kind, id, now) < 0 ||
	    (own && db_commit() < 0)) {
		if (own)
			db_rollback();
		return -1;
	}
	return 0;
}

/* The host (and port) of an inbox's URL: the server a delivery goes
 * to. */
static const char *inbox_host(arena *a, const char *inbox)
{
	const char *p = strstr(inbox, "://");
	p = p ? p + 3 : inbox;
	return arena_strndup(a, p, strcspn(p, "/?#"));
}

/* Owe body (or, with body_id, the kept body of that id) to inbox. */
static int delivery_insert(const char *inbox, int64_t signer_id,
			   const char *body, int64_t body_id, int64_t now)
{
	arena a;
	arena_init(&a);
	int64_t id = id_next();
	db_stmt *st = db_prepare("INSERT INTO deliveries (id, inbox, host,"
				 " signer_id, body, body_id, created_at)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, inbox);
	db_bind_text(st, 3, inbox_host(&a, inbox));
	db_bind_int64(st, 4, signer_id);
	db_bind_text(st, 5, body_id ? "" : body);
	if (body_id)
		db_bind_int64(st, 6, body_id);
	db_bind_int64(st, 7, now);
	int rc = insert_with_job(st, STORE_JOB_LANE, id, now);
	arena_release(&a);
	return rc;
}

bool store_deliveries_of_signer(int64_t signer_id)
{
	db_stmt *st = db_prepare(
		"SELECT 1 FROM deliveries WHERE signer_id = ?1 LIMIT 1");
	db_bind_int64(st, 1, signer_id);
	bool found = db_step(st) == DB_ROW;
	db_reset(st);
	return found;
}

int store_delivery_add(const char *inbox, int64_t signer_id, const char *body,
		       int64_t now)
{
	return delivery_insert(inbox, signer_id, body, 0, now);
}

bool store_delivery_get(arena *a, int64_t id, store_delivery *out)
{
	db_stmt *st = db_prepare(
		"SELECT d.inbox, d.signer_id, coalesce(b.body, d.body),"
		" d.attempts, d.created_at FROM deliveries d"
		" LEFT JOIN delivery_bodies b ON b.id = d.body_id"
		" WHERE d.id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		out->id = id;
		out->inbox = arena_strdup(a, db_text(st, 0));
		out->host = inbox_host(a, out->inbox);
		out->signer_id = db_column_int64(st, 1);
		out->body = arena_strdup(a, db_text(st, 2));
		out->attempts = db_column_int(st, 3);
		out->created_at = db_column_int64(st, 4);
	}
	db_reset(st);
	return found;
}

int store_delivery_retry(int64_t id, int64_t run_at, bool failed)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st = db_prepare("UPDATE deliveries SET attempts ="
				 " attempts + ?2 WHERE id = ?1");
	db_bind_int64(st, 1, id);
	db_bind_int(st, 2, failed ? 1 : 0);
	if (db_done(st) < 0 ||
	    store_job_enqueue(STORE_JOB_LANE, id, run_at) < 0 ||
	    db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

bool store_server_failing(const char *host, int64_t *since, int64_t *probe_at)
{
	db_stmt *st = db_prepare("SELECT failing_since, probe_at"
				 " FROM failing_servers WHERE host = ?1");
	db_bind_text(st, 1, host);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		*since = db_column_int64(st, 0);
		*probe_at = db_column_int64(st, 1);
	}
	db_reset(st);
	return found;
}

int store_server_failed(const char *host, int64_t now)
{
	db_stmt *st = db_prepare("INSERT INTO failing_servers (host,"
				 " failing_since) VALUES (?1, ?2)"
				 " ON CONFLICT (host) DO NOTHING");
	db_bind_text(st, 1, host);
	db_bind_int64(st, 2, now);
	return db_done(st) < 0 ? -1 : 0;
}

bool store_server_probe(const char *host, int64_t now, int64_t next)
{
	db_stmt *st = db_prepare("UPDATE failing_servers SET probe_at = ?3"
				 " WHERE host = ?1 AND probe_at <= ?2");
	db_bind_text(st, 1, host);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, next);
	return db_done(st) == 0 && db_changes() > 0;
}

int store_server_answered(const char *host, int64_t now)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st = db_prepare("DELETE FROM failing_servers WHERE host = ?1");
	db_bind_text(st, 1, host);
	if (db_done(st) < 0)
		goto fail;
	st = db_prepare("UPDATE jobs SET run_at = ?2 WHERE kind ="
			" '" STORE_JOB_LANE "' AND state = 0 AND run_at > ?2"
			" AND arg IN (SELECT id FROM deliveries"
			" WHERE host = ?1)");
	db_bind_text(st, 1, host);
	db_bind_int64(st, 2, now);
	if (db_done(st) < 0 || db_commit() < 0)
		goto fail;
	return 0;
fail:
	db_rollback();
	return -1;
}

int store_delivery_done(int64_t id)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st = db_prepare("DELETE FROM deliveries WHERE id = ?1"
				 " RETURNING body_id");
	db_bind_int64(st, 1, id);
	int rc = db_step(st);
	int64_t body_id = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	if (rc < 0)
		goto fail;
	/* the last of its fan-out takes the kept body along */
	st = db_prepare("DELETE FROM delivery_bodies WHERE id = ?1"
			" AND NOT EXISTS (SELECT 1 FROM deliveries"
			" WHERE body_id = ?1)");
	db_bind_int64(st, 1, body_id);
	if ((body_id && db_done(st) < 0) || db_commit() < 0)
		goto fail;
	return 0;
fail:
	db_rollback();
	return -1;
}

bool store_status_remote(arena *a, int64_t id, const char **uri,
			 const char **url)
{
	db_stmt *st = db_prepare("SELECT uri, url FROM remote_statuses"
				 " WHERE status_id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	if (found) {
		*uri = arena_strdup(a, db_text(st, 0));
		*url = db_text_dup(a, st, 1);
	}
	db_reset(st);
	return found;
}

int64_t store_status_by_uri(const char *uri)
{
	db_stmt *st = db_prepare("SELECT status_id FROM remote_statuses"
				 " WHERE uri = ?1");
	db_bind_text(st, 1, uri);
	int64_t id = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return id;
}

int store_fanout_add(int64_t signer_id, int64_t followers_of,
		     const char *inboxes, const char *body, int64_t now)
{
	int64_t id = id_next();
	db_stmt *st = db_prepare("INSERT INTO fanouts (id, signer_id,"
				 " followers_of, inboxes, body, created_at)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, signer_id);
	db_bind_int64(st, 3, followers_of);
	db_bind_text(st, 4, inboxes);
	db_bind_text(st, 5, body);
	db_bind_int64(st, 6, now);
	return insert_with_job(st, "fed_fanout", id, now);
}

/* Whether inbox is among the n in list. */
static bool listed(const char **list, size_t n, const char *inbox)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], inbox))
			return true;
	return false;
}

/* Inside a write: one delivery of body per distinct inbox of
 * followers_of's followers elsewhere (a server's shared inbox once) and
 * of inboxes: how many, or -1. */
static int fanout_expand_tx(arena *a, int64_t signer, int64_t followers_of,
			    const char *inboxes, const char *body, int64_t now)
{
	const char **list = NULL;
	size_t count = 0, cap = 0;
	db_stmt *st = db_prepare(
		"SELECT DISTINCT coalesce(a.shared_inbox, a.inbox)"
		" FROM follows f JOIN actors a ON a.account_id = f.account_id"
		" WHERE f.target_id = ?1 AND f.local_follower = 0");
	db_bind_int64(st, 1, followers_of);
	while (followers_of && db_step(st) == DB_ROW) {
		list = db_grow(a, list, count, &cap, sizeof *list);
		list[count++] = arena_strdup(a, db_text(st, 0));
	}
	db_reset(st);
	for (const char *p = inboxes; *p;) {
		size_t len = strcspn(p, "\n");
		const char *inbox = arena_strndup(a, p, len);
		if (len && !listed(list, count, inbox)) {
			list = db_grow(a, list, count, &cap, sizeof *list);
			list[count++] = inbox;
		}
		p += len + (p[len] == '\n');
	}
	/* more than one: the body kept once, the deliveries pointing at it */
	int64_t body_id = 0;
	if (count > 1) {
		body_id = id_next();
		db_stmt *kept = db_prepare("INSERT INTO delivery_bodies (id,"
					   " body, created_at)"
					   " VALUES (?1, ?2, ?3)");
		db_bind_int64(kept, 1, body_id);
		db_bind_text(kept, 2, body);
		db_bind_int64(kept, 3, now);
		if (db_done(kept) < 0)
			return -1;
	}
	for (size_t i = 0; i < count; i++)
		if (delivery_insert(list[i], signer, body, body_id, now) < 0)
			return -1;
	return (int)count;
}

int store_fanout_now(int64_t signer_id, int64_t followers_of,
		     const char *inboxes, const char *body, int64_t now)
{
	arena a;
	arena_init(&a);
	if (db_begin() < 0) {
		arena_release(&a);
		return -1;
	}
	int n = fanout_expand_tx(&a, signer_id, followers_of, inboxes, body,
				 now);
	if (n < 0 || db_commit() < 0) {
		db_rollback();
		n = -1;
	}
	arena_release(&a);
	return n;
}

int store_fanout_expand(int64_t id, int64_t now)
{
	arena a;
	arena_init(&a);
	if (db_begin() < 0) {
		arena_release(&a);
		return -1;
	}
	int64_t signer = 0, followers_of = 0;
	const char *inboxes = NULL, *body = NULL;
	db_stmt *st = db_prepare("SELECT signer_id, followers_of, inboxes,"
				 " body FROM fanouts WHERE id = ?1");
	db_bind_int64(st, 1, id);
	if (db_step(st) == DB_ROW) {
		signer = db_column_int64(st, 0);
		followers_of = db_column_int64(st, 1);
		inboxes = arena_strdup(&a, db_text(st, 2));
		body = arena_strdup(&a, db_text(st, 3));
	}
	db_reset(st);
	int n = 0;
	if (!body)
		goto done; /* expanded already */
	n = fanout_expand_tx(&a, signer, followers_of, inboxes, body, now);
	if (n < 0)
		goto fail;
	st = db_prepare("DELETE FROM fanouts WHERE id = ?1");
	db_bind_int64(st, 1, id);
	if (db_done(st) < 0)
		goto fail;
done:
	if (db_commit() < 0)
		goto fail;
	arena_release(&a);
	return n;
fail:
	db_rollback();
	arena_release(&a);
	return -1;
}

bool store_followed_here(int64_t account_id)
{
	db_stmt *st = db_prepare("SELECT 1 FROM follows f JOIN accounts a"
				 " ON a.id = f.account_id WHERE f.target_id ="
				 " ?1 AND a.domain IS NULL LIMIT 1");
	db_bind_int64(st, 1, account_id);
	bool found = db_step(st) == DB_ROW;
	db_reset(st);
	return found;
}

bool store_followed_elsewhere(int64_t account_id)
{
	db_stmt *st = db_prepare("SELECT 1 FROM follows f JOIN accounts a"
				 " ON a.id = f.account_id WHERE f.target_id ="
				 " ?1 AND a.domain IS NOT NULL LIMIT 1");
	db_bind_int64(st, 1, account_id);
	bool found = db_step(st) == DB_ROW;
	db_reset(st);
	return found;
}

bool store_actors_exist(void)
{
	db_stmt *st = db_prepare("SELECT 1 FROM actors LIMIT 1");
	bool found = db_step(st) == DB_ROW;
	db_reset(st);
	return found;
}

/* ---- instance blocks ---- */

#define INSTANCE_BLOCK_COLUMNS                                                 \
	"domain, severity, reject_media, created_at, id, public_comment,"      \
	" private_comment"

int store_instance_block_set(store_instance_block *b, const char *job_kind,
			     const store_admin_action *log)
{
	if (db_begin() < 0)
		return -1;
	/* the id a block keeps when it changes: the admin API's */
	db_stmt *st = db_prepare(
		"INSERT INTO instance_blocks (domain, severity, reject_media,"
		" created_at, id, public_comment, private_comment)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (domain)"
		" DO UPDATE SET severity = excluded.severity,"
		" reject_media = excluded.reject_media,"
		" public_comment = excluded.public_comment,"
		" private_comment = excluded.private_comment RETURNING id");
	db_bind_text(st, 1, b->domain);
	db_bind_int64(st, 2, b->severity);
	db_bind_int64(st, 3, b->reject_media);
	db_bind_int64(st, 4, b->created_at);
	db_bind_int64(st, 5, DB_NEW_ID("instance_blocks"));
	db_bind_text_or_null(st, 6, b->public_comment);
	db_bind_text_or_null(st, 7, b->private_comment);
	bool kept = db_step(st) == DB_ROW;
	if (kept)
		b->id = db_column_int64(st, 0);
	db_reset(st);
	if (!kept ||
	    (job_kind && store_job_enqueue(job_kind, 0, b->created_at) < 0) ||
	    (log && store_admin_action_log_tx(log) < 0) || db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

int store_instance_block_delete(const char *domain,
				const store_admin_action *log)
{
	if (db_begin() < 0)
		return -1;
	db_stmt *st =
		db_prepare("DELETE FROM instance_blocks WHERE domain = ?1");
	db_bind_text(st, 1, domain);
	int rc = db_done(st) < 0 ? -1 : db_changes() > 0;
	if (rc == 1 && log && store_admin_action_log_tx(log) < 0)
		rc = -1;
	if (rc < 0 || db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return rc;
}

static void instance_block_row(arena *a, db_stmt *st, store_instance_block *b)
{
	b->domain = arena_strdup(a, db_text(st, 0));
	b->severity = db_column_int(st, 1);
	b->reject_media = db_column_int(st, 2) != 0;
	b->created_at = db_column_int64(st, 3);
	b->id = db_column_int64(st, 4);
	b->public_comment = db_text_dup(a, st, 5);
	b->private_comment = db_text_dup(a, st, 6);
}

int store_instance_blocks_each(arena *a,
			       void (*fn)(const store_instance_block *b,
					  void *ctx),
			       void *ctx)
{
	db_stmt *st = db_prepare("SELECT " INSTANCE_BLOCK_COLUMNS
				 " FROM instance_blocks ORDER BY domain");
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		store_instance_block b;
		instance_block_row(a, st, &b);
		fn(&b, ctx);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

bool store_instance_block_get(arena *a, int64_t id, store_instance_block *out)
{
	db_stmt *st = db_prepare("SELECT " INSTANCE_BLOCK_COLUMNS
				 " FROM instance_blocks WHERE id = ?1");
	db_bind_int64(st, 1, id);
	bool found = db_step(st) == DB_ROW;
	if (found)
		instance_block_row(a, st, out);
	db_reset(st);
	return found;
}

bool store_instance_block_find(arena *a, const char *const *domains, size_t n,
			       store_instance_block *out)
{
	db_stmt *st = db_prepare("SELECT " INSTANCE_BLOCK_COLUMNS
				 " FROM instance_blocks WHERE domain = ?1");
	bool found = false;
	for (size_t i = 0; i < n && !found; i++) {
		db_bind_text(st, 1, domains[i]);
		if ((found = db_step(st) == DB_ROW))
			instance_block_row(a, st, out);
		db_reset(st);
	}
	return found;
}

size_t store_accounts_of_domain(const char *domain, int64_t *ids, size_t max)
{
	/* a domain is letters, digits, dots, hyphens and a port: nothing
	 * LIKE reads as a pattern (domain/ checked it) */
	db_stmt *st = db_prepare("SELECT id FROM accounts WHERE domain = ?1"
				 " OR domain LIKE '%.' || ?1 LIMIT ?2");
	db_bind_text(st, 1, domain);
	db_bind_int64(st, 2, (int64_t)max);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW)
		ids[n++] = db_column_int64(st, 0);
	db_reset(st);
	return n;
}
