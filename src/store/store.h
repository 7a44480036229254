/* store.h — the only door to the database: opening it, per-thread
 * connections and read snapshots, and one group of functions per aggregate
 * (accounts, apps, statuses, interactions, social). */
#ifndef CHORUS_STORE_H
#define CHORUS_STORE_H

#include "core/arena.h"
#include "domain/model.h"

/* Open (creating if needed) data_dir/chorus.db and run pending migrations.
 * Returns 0, or -1 after logging why. Call once before serving. */
int store_open(const char *data_dir);
/* While serving, WAL checkpoints run on a thread of their own (db.c
 * says why): start it before the workers open their connections, stop it
 * after they closed them. */
int store_checkpointer_start(void);
void store_checkpointer_stop(void);
/* Whether this process runs the instance's periodic tasks: always on
 * SQLite; on PostgreSQL, the one process of those sharing the database
 * that holds the leader's lock (another takes over when it goes). */
bool store_leader(void);
/* Processes sharing a PostgreSQL database (store/peers.c): start the
 * thread that applies what the others changed to this process's caches
 * and hands their events to on_event (the text store_peers_send_event
 * sent). Nothing on SQLite. 0 or -1. */
typedef void (*store_peer_event_fn)(const char *event);
int store_peers_start(store_peer_event_fn on_event);
void store_peers_stop(void);
/* Send an event (text, any length to 7 900 bytes) to the other processes'
 * on_event. 0 or -1; nothing on SQLite. */
int store_peers_send_event(const char *event);
/* The messages from other processes applied so far. */
uint64_t store_peers_applied(void);
/* Close the calling thread's connection, if it has one. */
void store_thread_close(void);
/* One read transaction around a whole request: every statement in it
 * shares one snapshot and one WAL read lock instead of taking and
 * dropping the lock per statement (two syscalls each). A write
 * (db_begin) ends it first. No-ops when already in/out of one. */
void store_read_begin(void);
void store_read_end(void);
/* Which snapshot the calling thread reads: a number that changes with
 * every transaction it begins, or 0 outside one (each statement then
 * reads its own). What is read under one non-zero number may be kept
 * for as long as it is the thread's. */
uint64_t store_snapshot(void);
/* The SQL of migration version (1-based, static), or NULL; for tests that
 * replay a migration over data the code no longer writes. */
const char *store_migration_sql(int version);
/* Schema version after migrations. */
int store_schema_version(void);
/* Write limit name ("max_pinned", "max_featured_tags") for the database
 * to enforce (a trigger refuses the insert going over it). Call after
 * store_open with the configured values. 0 or -1. */
int store_limit_set(const char *name, int64_t value);

/* backup.c — a copy of the database taken while a server serves it. */
typedef struct store_backup_report {
	int64_t bytes;		    /* size of the copy */
	int schema;		    /* its PRAGMA user_version */
	int64_t accounts, statuses; /* rows in the copy */
	int steps;		    /* backup steps the copy took */
	double longest_step_ms;	    /* the longest of them */
	double snapshot_ms;	    /* how long the source snapshot was held */
} store_backup_report;
/* Copy data_dir/chorus.db to file as it is at one moment, while other
 * processes keep reading and writing it. The copy is written to
 * "file.tmp", checked (PRAGMA quick_check), synced and only then renamed
 * to file, so file is never a partial copy. An existing file is refused
 * unless force. Opens the database without creating or migrating it
 * (refusing a newer schema, as store_open does); needs no store_open.
 * Media files are not in the database. 0 with *out filled, or -1 after
 * logging one line saying why. */
int store_backup(const char *data_dir, const char *file, bool force,
		 store_backup_report *out);

/* copy.c — an SQLite instance copied into an empty PostgreSQL database
 * (`chorus db migrate-to`): the schema, every row, then a count of every
 * table on both sides. The search indexes are rebuilt there from the
 * backlogs (store_search_flush, once the store is open on url). */
typedef struct store_copy_report {
	int tables;	/* tables copied */
	int64_t rows;	/* rows that arrived */
	int mismatched; /* tables whose counts differ */
} store_copy_report;
/* Copy data_dir/chorus.db (at the latest schema: store_open migrates
 * it) to the empty database at url, with a progress bar on stderr. 0, or
 * -1 after logging why (nothing is left half-copied: one transaction). */
int store_migrate_to(const char *data_dir, const char *url,
		     store_copy_report *out);
/* The schema version this binary's migrations end at. */
int store_schema_latest(void);

/* The visibility rule (domain's visibility_can_see, which reads only a
 * status's id, author and visibility): writes acting as an account on a
 * status re-check it inside their transaction. None set: existence only. */
typedef bool (*store_visibility_rule)(int64_t viewer, const status *s);
void store_set_visibility_rule(store_visibility_rule rule);
/* The interaction policy rule (visibility_may_interact), registered the
 * same way: a reply or boost is checked again inside its insert's
 * transaction, against the follows as they are then. */
typedef bool (*store_interaction_rule)(int64_t actor, const status *s,
				       interaction kind);
void store_set_interaction_rule(store_interaction_rule rule);

/* What a write found inside its own transaction, beyond 0 and -1: the
 * check and the write it guards share the transaction, and a constraint
 * the database enforces maps to the same code (db_done), never to an
 * internal error. Every one is < 0, so `rc < 0` still means "not done". */
enum store_result {
	STORE_OK = 0,
	STORE_ERROR = -1,
	STORE_GONE = -2,    /* the status acted on is gone (or hidden now) */
	STORE_LIMIT = -3,   /* a per-account limit is reached */
	STORE_TAKEN = -4,   /* an attachment is no longer attachable, or a row
			       that is unique exists already (a second boost) */
	STORE_BLOCKED = -5, /* one of the two accounts blocks the other */
	STORE_REFUSED = -6, /* the status's interaction policy refuses it */
	STORE_STALE = -7,   /* a newer version is stored (an edit come late) */
	STORE_UNCHANGED = -8, /* it was so already: nothing to change */
	STORE_NO_REPORT = -9, /* the report named is not of that account */
};

/* ---- the data functions; every one runs on the calling thread's
 * connection. Functions returning int give 0 on success and -1 on a
 * database error (already logged); lookups return false when not found.
 * Strings in returned structs live in the arena passed in. ---- */

/* accounts.c */
enum store_account_conflict {
	STORE_ACCOUNT_OK = 0,
	STORE_ACCOUNT_ERROR = -1,
	STORE_ACCOUNT_USERNAME_TAKEN = 1,
	STORE_ACCOUNT_EMAIL_TAKEN = 2,
	STORE_ACCOUNT_INVITE_INVALID = 3, /* unknown, expired or used up */
};
/* How a user signed up: NULL to store_account_create is an approved
 * account of the shell's. */
typedef struct store_sign_up {
	bool approved;		 /* false: it waits for a moderator */
	const char *invite_code; /* NULL: none; else one use of it taken */
	const char *reason, *ip; /* each NULL when not given */
} store_sign_up;
/* Insert a local account with its user row; a->id receives its id, taken
 * inside the transaction (DB_NEW_ID: unique across processes), and with
 * su->invite_code one use of the invite (valid at a->created_at),
 * checked in the same transaction. */
int store_account_create(account *a, const char *email,
			 const char *password_hash, const char *role,
			 const store_sign_up *su);
bool store_account_get(arena *ar, int64_t id, account *out);
/* Local account by username (case-insensitive) or, when domain is set,
 * remote account. */
bool store_account_by_username(arena *ar, const char *username,
			       const char *domain, account *out);
/* Local user by email or username; *hash receives the password hash. */
bool store_user_by_login(arena *ar, const char *login, account *out,
			 const char **hash);
/* Set a user's password hash and, in the same transaction, delete every
 * token of the account but keep (0: all of them) and every browser
 * session (web_sessions). 0, or -1 when the user
 * does not exist or the write failed (nothing changed). */
int store_user_set_password(int64_t account_id, const char *hash, int64_t keep);
int store_account_update_profile(const account *a);
/* Delete an account and everything that is its (statuses, follows,
 * favourites, media rows…), fixing the counters it moved on others'
 * statuses and accounts. The caller removes its files first listed. */
int store_account_delete(int64_t id);
/* All local users, oldest first; callback per row. */
void store_users_each(void (*fn)(const account *a, void *ctx), void *ctx,
		      arena *ar);
int64_t store_count_local_users(void);
int64_t store_count_local_statuses(void);

/* apps.c */
int store_app_create(const app *a);
bool store_app_by_client_id(arena *ar, const char *client_id, app *out);
bool store_app_get(arena *ar, int64_t id, app *out);
int store_token_create(int64_t id, const char *hash, int64_t app_id,
		       int64_t account_id, const char *scopes);
/* The token hash names, and the account it acts for (into acc, when it
 * has one): false when there is no such token or its account is gone. */
bool store_token_lookup(arena *ar, const char *hash, principal *out,
			account *acc);
/* Delete the token with this hash issued to app_id. Returns its id (and
 * its account in *account_id, 0 for an app token), 0 when there is no such
 * token, -1 on error. */
int64_t store_token_revoke(const char *hash, int64_t app_id,
			   int64_t *account_id);
/* Delete token_id if it is account_id's: 1, 0 when it is not, or -1. */
int store_token_revoke_of_account(int64_t account_id, int64_t token_id);
/* Delete every token of the account but keep (0: all); joins the caller's
 * transaction if any. The number deleted, or -1. */
int store_tokens_revoke_account(int64_t account_id, int64_t keep);
/* One session (access token) of an account, as listed to its owner:
 * never the token itself, which is stored only as a hash anyway. */
typedef struct store_session {
	int64_t token_id;
	const char *app_name, *scopes; /* the caller's arena */
	int64_t created_at;	       /* ms since the epoch */
} store_session;
typedef void (*store_session_fn)(const store_session *s, void *ctx);
/* Call fn for each token of the account, oldest first; strings in ar.
 * Returns how many, or -1. */
int store_tokens_each(int64_t account_id, store_session_fn fn, void *ctx,
		      arena *ar);
/* The token revision: a number that changes whenever any token is deleted
 * (revoked, its account's password changed or the account deleted), by
 * any process. 0 on success, -1 on error. */
int store_token_revision(int64_t *n);
/* Of the n token ids, call fn with each that still exists. One statement
 * for any number of ids. Returns how many exist, or -1 on error (then fn
 * may have been called for some). */
int store_tokens_alive(const int64_t *ids, size_t n,
		       void (*fn)(int64_t id, void *ctx), void *ctx);
/* sessions.c: the browser sessions of the web pages, by the hash of
 * their secret (auth_token_hash). */
/* Insert a session of account_id begun now_ms (its last use too); the id
 * is taken inside the transaction. 0, STORE_GONE when the account is
 * gone, -1. */
int store_web_session_create(const char *hash, int64_t account_id,
			     const char *user_agent, int64_t now_ms);
/* The session with this hash: its id, account and last use (ms). */
bool store_web_session_lookup(const char *hash, int64_t *id,
			      int64_t *account_id, int64_t *last_used_at);
/* Record a use of session id at now_ms. 0 or -1. */
int store_web_session_touch(int64_t id, int64_t now_ms);
/* Delete the session with this hash: 1, 0 when there is none, -1. */
int store_web_session_delete(const char *hash);
/* Delete session id if it is account_id's: 1, 0 when it is not, -1. */
int store_web_session_delete_of_account(int64_t account_id, int64_t id);
/* Delete every session of the account; joins the caller's transaction
 * if any. The number deleted, or -1. */
int store_web_sessions_delete_account(int64_t account_id);
/* One browser session as listed to its owner (never its secret). */
typedef struct store_web_session {
	int64_t id;
	int64_t created_at, last_used_at; /* ms since the epoch */
	const char *user_agent;		  /* the caller's arena; may be "" */
} store_web_session;
typedef void (*store_web_session_fn)(const store_web_session *s, void *ctx);
/* Call fn for each session of the account, oldest first; strings in ar.
 * Returns how many, or -1. */
int store_web_sessions_each(int64_t account_id, store_web_session_fn fn,
			    void *ctx, arena *ar);

int store_auth_code_create(const char *hash, int64_t app_id, int64_t account_id,
			   const char *scopes, const char *redirect_uri,
			   const char *challenge, int64_t expires_at);
/* Look up and delete a code in one step (a code is good once). */
bool store_auth_code_take(arena *ar, const char *hash, int64_t *app_id,
			  int64_t *account_id, const char **scopes,
			  const char **redirect_uri, const char **challenge,
			  int64_t *expires_at);

/* statuses.c */
typedef struct store_tag_ref {
	const char *name, *key;
} store_tag_ref;

/* Another server's status to insert (s->uri set), with its tags and
 * mentions; rc is its outcome. */
typedef struct store_new_status {
	status *s;
	const store_tag_ref *tags;
	size_t ntags;
	const int64_t *mentions;
	size_t nmentions;
	int rc; /* 0 inserted; STORE_TAKEN: its uri was kept before;
		 * STORE_GONE (or another answer): its parent is gone or
		 * refuses it */
} store_new_status;
/* Insert the n statuses in one transaction, as store_status_insert
 * does each (without reading the author back). 0; -1 when it failed:
 * then none was inserted. */
int store_remote_statuses_insert(store_new_status *p, size_t n);
/* Insert a status with its tags and mentions (s->id receives its id,
 * taken inside the transaction: see DB_NEW_ID), maintaining
 * thread path, reply/reblog/status counters and last_status_at, all in one
 * transaction. Counters follow Mastodon: replies_count counts only public
 * and unlisted replies, statuses_count leaves out direct posts. 0;
 * STORE_GONE when the parent or boosted status no longer exists,
 * STORE_TAKEN when an attachment was taken meanwhile; -1. With ar, s->account
 * receives its author's row as the commit left it (its counters moved),
 * read in the COMMIT's round trip on PostgreSQL (NULL if it could not be). */
int store_status_insert(arena *ar, status *s, const store_tag_ref *tags,
			size_t ntags, const int64_t *mentions,
			size_t nmentions);
/* The same, guarded by an idempotency key: inside the one transaction, if
 * (s->account_id, key) was used since since_ms, nothing is written and
 * *existing receives the earlier status id (return 1). Returns 0 when s
 * was inserted, -1 on error. Writers are serialised by BEGIN IMMEDIATE,
 * so concurrent requests with one key create one status. */
int store_status_insert_once(arena *ar, status *s, const store_tag_ref *tags,
			     size_t ntags, const int64_t *mentions,
			     size_t nmentions, const char *key,
			     int64_t since_ms, int64_t *existing);
bool store_status_get(arena *ar, int64_t id, status *out);
/* Read the statuses ids (and those they boost) in one statement, for the
 * store_status_get calls that follow in this snapshot, until
 * store_statuses_prefetch_end; what they get is what they would have read.
 * With a viewer, the viewer's flags come in the same statement, for this
 * snapshot's store_status_flags of those statuses. Rows and flags live in
 * ar, which must outlive the snapshot. PostgreSQL only: on SQLite a
 * lookup costs less than the list would. */
void store_statuses_prefetch(arena *ar, const int64_t *ids, size_t n,
			     int64_t viewer);
void store_statuses_prefetch_end(void);
/* Delete a status, its reblogs, and fix the counters. 0; STORE_GONE when
 * it was already deleted (by a concurrent delete); -1. */
int store_status_delete(const status *s);
/* Replace a status's text, keeping the previous version in its history
 * with the accounts each version mentioned. Mentions the edit drops stay
 * (flagged removed): store_is_mentioned still holds for them. 0;
 * STORE_GONE when the status was deleted meanwhile, STORE_TAKEN as for
 * an insert; -1. A local edit is dated now; another server's (s->uri
 * set) by its s->edited_at, and is STORE_STALE, with nothing written,
 * when the stored version is as new or newer. */
int store_status_update(const status *old, const status *s,
			const store_tag_ref *tags, size_t ntags,
			const int64_t *mentions, size_t nmentions);
/* Versions of an edited status, oldest first (the current one last): the
 * newest ones whose stored text (text, HTML, content warning) plus
 * overhead bytes each fits max_bytes; always the newest one. In
 * (*addressed)[i] whether version i mentioned viewer. Both arrays arena
 * memory. Returns the count, 0 for a status never edited. */
size_t store_status_edits(arena *ar, int64_t id, int64_t viewer,
			  size_t overhead, size_t max_bytes, status **out,
			  bool **addressed);
/* The reblog of status_id by account_id, or 0. */
int64_t store_reblog_find(int64_t account_id, int64_t status_id);
/* Whether the status mentions the account now or did before an edit. */
bool store_is_mentioned(int64_t status_id, int64_t account_id);
/* Accounts that reblogged a status (for edit notifications). */
size_t store_rebloggers(int64_t status_id, int64_t *out, size_t max);

/* A page of ids newest first for page p; the query kinds below. Each
 * returns the count written to out (at most p->limit). */
typedef enum store_feed {
	STORE_FEED_PUBLIC,	 /* public, no reblogs, no replies to others */
	STORE_FEED_PUBLIC_LOCAL, /* same, local authors */
	STORE_FEED_HOME,	 /* arg = viewer */
	STORE_FEED_HOME_RECENT,	 /* the same, over the newest window first */
	STORE_FEED_ACCOUNT,	 /* arg = author */
	STORE_FEED_ACCOUNT_NO_REPLIES,
	STORE_FEED_ACCOUNT_NO_REBLOGS,
	STORE_FEED_ACCOUNT_ORIGINALS, /* no replies, no reblogs */
	STORE_FEED_TAG,		      /* arg = tag id */
	STORE_FEED_PINNED,	      /* arg = author */
	STORE_FEED_ACCOUNT_TAGGED,    /* arg = author, arg2 = tag id */
	STORE_FEED_TAGGED,	      /* public statuses with any tag */
	STORE_FEED_PUBLIC_MEDIA,      /* the public feeds, with media only */
	STORE_FEED_PUBLIC_LOCAL_MEDIA,
	STORE_FEED_ACCOUNT_MEDIA, /* arg = author: own posts with media */
	STORE_FEED_PUBLIC_REMOTE, /* the public feed, other servers' authors */
	STORE_FEED_PUBLIC_REMOTE_MEDIA,
} store_feed;
size_t store_feed_page(store_feed kind, int64_t arg, int64_t arg2,
		       const page *p, int64_t *out);
/* Whether status has media attachments. */
bool store_status_has_media(int64_t status_id);
/* Whether status carries the tag with id tag_id. */
bool store_status_has_tag(int64_t status_id, int64_t tag_id);
/* Pages over a hidden key (favourites/bookmarks of arg, favourited_by /
 * reblogged_by of status arg): out_ids receive status or account ids,
 * out_keys the key for Link cursors. */
typedef enum store_list {
	STORE_LIST_FAVOURITES,
	STORE_LIST_BOOKMARKS,
	STORE_LIST_FAVOURITED_BY,
	STORE_LIST_REBLOGGED_BY,
	STORE_LIST_FOLLOWERS,
	STORE_LIST_FOLLOWING,
	STORE_LIST_FOLLOW_REQUESTS,
	STORE_LIST_FOLLOWED_TAGS, /* arg = account: tag ids */
	STORE_LIST_BLOCKS,	  /* arg = account: whom it blocks */
	STORE_LIST_MUTES,	  /* arg = account: whom it mutes now */
} store_list;
size_t store_list_page(store_list kind, int64_t arg, const page *p,
		       int64_t *out_ids, int64_t *out_keys);

/* Tag id by key, or 0. */
int64_t store_tag_id(const char *key);

/* tags.c — hashtags: names, follows, daily history */
/* The tag with key: *id and *name (as first written, arena); false when
 * nobody used or followed it yet. */
bool store_tag_by_key(arena *a, const char *key, int64_t *id,
		      const char **name);
/* The name of tag id (arena), or NULL. */
const char *store_tag_name(arena *a, int64_t id);
/* The tag with key, created with name if new; its id, or 0 on error. */
int64_t store_tag_ensure(const char *name, const char *key);
/* Follow (id: the follow's own id, for paging) or unfollow a tag. */
int store_tag_follow(int64_t id, int64_t account_id, int64_t tag_id);
int store_tag_unfollow(int64_t account_id, int64_t tag_id);
bool store_tag_followed(int64_t account_id, int64_t tag_id);
/* A hashtag featured on a profile, with the account's public and
 * unlisted posts carrying it. */
typedef struct store_featured_tag {
	int64_t id, tag_id;
	const char *name;
	int64_t statuses_count, last_status_at; /* ms, 0 when none */
} store_featured_tag;
/* The account's featured tags, oldest first, in *out (arena). */
size_t store_featured_tags(arena *a, int64_t account_id,
			   store_featured_tag **out);
/* ---- keys.c ---- */
/* An actor's RSA key pair, both halves PEM text. */
typedef struct store_key_pair {
	const char *public_pem, *private_pem;
} store_key_pair;
/* The key pair of account_id (0: the instance actor) in *out, strings in
 * a; false when it has none yet. */
bool store_actor_key(arena *a, int64_t account_id, store_key_pair *out);
/* Keep k as account_id's pair (0: the instance actor's) unless it has
 * one, or the account is gone: 0 either way, -1 on error. Read the pair
 * back: another may have been kept first. */
int store_actor_key_add(int64_t account_id, const store_key_pair *k);

/* ---- actors.c ---- */
/* Another server's actor: its account's id and what federation needs. */
typedef struct store_actor {
	int64_t account_id;
	const char *uri;	   /* its id */
	const char *url;	   /* its profile page, or NULL */
	const char *inbox;	   /* where to deliver to it */
	const char *shared_inbox;  /* its server's, or NULL */
	const char *followers_uri; /* its followers collection, or NULL */
	const char *key_id, *public_key_pem;
	int64_t fetched_at;  /* ms */
	int64_t moved_to_id; /* the account it moved to (Move), or 0 */
} store_actor;
/* Where the avatar (or header) of account_id's actor came from, or
 * NULL. */
const char *store_actor_image_source(arena *a, int64_t account_id, bool header);
/* Its avatar (or header) is now the media file name, from source; *old
 * gets the file it replaces (to remove), or NULL. 0 or -1. */
int store_actor_image_set(arena *a, int64_t account_id, bool header,
			  const char *name, const char *source,
			  const char **old);
/* account_id's actor moved to the account to. */
int store_actor_moved(int64_t account_id, int64_t to);
/* The actor of account_id, by its id (uri) or by its key's id, strings
 * in a; false when there is none. */
bool store_actor_get(arena *a, int64_t account_id, store_actor *out);
bool store_actor_by_uri(arena *a, const char *uri, store_actor *out);
bool store_actor_by_key(arena *a, const char *key_id, store_actor *out);
/* Save an actor just fetched: its account (username, domain, display
 * name, note_html, fields, locked, bot, discoverable; created_at when
 * new) and act, new or updated, in one transaction. The account found is
 * the actor's by uri, else the one of that name on that domain. Sets
 * acc->id and act->account_id. 0 or -1. */
int store_actor_save(account *acc, store_actor *act);
/* Take a verified activity (its id, sender and text) for processing:
 * kept with a "fed_inbox" job whose arg is *id, in one transaction.
 * 0; 1 when that activity id was taken before (nothing kept); -1. */
int store_inbox_accept(const char *activity_id, int64_t actor_id,
		       const char *body, int64_t now, int64_t *id);
/* Forget the ids of activities received before before (ms): a replay
 * older than that is refused by its signature's date anyway. */
int store_inbox_seen_prune(int64_t before);
/* A kept activity: its sender and text (in a); false when gone. */
bool store_inbox_activity(arena *a, int64_t id, int64_t *actor_id,
			  const char **body);
/* Let kept activity id go (inside the caller's transaction, if any): the
 * "fed_inbox" job's finish (store_job_also). 0 or -1. */
int store_inbox_done(int64_t id);
/* An activity owed to an inbox, signed by signer_id (0: the instance
 * actor) when sent. */
typedef struct store_delivery {
	int64_t id, signer_id, created_at;
	const char *inbox, *host, *body; /* host: the inbox's, port too */
	int attempts;
} store_delivery;
/* Owe body to inbox, with a "fed_deliver" job due now (inside the
 * caller's transaction, if any). 0 or -1. */
/* Whether deliveries signed by signer_id wait to be sent. */
bool store_deliveries_of_signer(int64_t signer_id);
int store_delivery_add(const char *inbox, int64_t signer_id, const char *body,
		       int64_t now);
bool store_delivery_get(arena *a, int64_t id, store_delivery *out);
/* Try again at run_at, a failed attempt counted (failed) or not (the
 * delivery waited its turn). */
int store_delivery_retry(int64_t id, int64_t run_at, bool failed);
int store_delivery_done(int64_t id);

/* A server whose deliveries fail: since when, and when one may next try
 * (0: any time). False when its deliveries do not fail. */
bool store_server_failing(const char *host, int64_t *since, int64_t *probe_at);
/* A delivery to host failed for a reason that may pass: it is failing,
 * since now if it was not. */
int store_server_failed(const char *host, int64_t now);
/* Whether this delivery is the one that tries host now: true for one
 * caller until probe_at, which the next try waits for. */
bool store_server_probe(const char *host, int64_t now, int64_t next);
/* host answered: it no longer fails, and its waiting deliveries are due
 * now. */
int store_server_answered(const char *host, int64_t now);

/* Another server's post id: its id (uri) and page (url, or NULL), in
 * a; false for a local post. */
bool store_status_remote(arena *a, int64_t id, const char **uri,
			 const char **url);
/* Whether any other server's actor is kept. */
bool store_actors_exist(void);

/* An instance block (chorus domain block). */
typedef struct store_instance_block {
	int64_t id;
	const char *domain;
	int severity; /* 1 silence, 2 suspend */
	bool reject_media;
	const char *public_comment, *private_comment; /* NULL: none */
	int64_t created_at;
} store_instance_block;
struct store_admin_action;
/* Add or change the block of b->domain (b->id set to its id, a new one
 * or the block's already), queue a job of job_kind (NULL: none) and
 * keep log (NULL: none) in the same transaction. 0 or -1. */
int store_instance_block_set(store_instance_block *b, const char *job_kind,
			     const struct store_admin_action *log);
/* Lift the block of domain, logged (log may be NULL): 1, 0 when there
 * was none, -1. */
int store_instance_block_delete(const char *domain,
				const struct store_admin_action *log);
/* The block with this id, into *out; false when there is none. */
bool store_instance_block_get(arena *a, int64_t id, store_instance_block *out);
/* Each block, by domain. 0 or -1. */
int store_instance_blocks_each(arena *a,
			       void (*fn)(const store_instance_block *b,
					  void *ctx),
			       void *ctx);
/* The block of the first of domains[n] (a host and its parents) that is
 * blocked, into *out; false when none is. */
bool store_instance_block_find(arena *a, const char *const *domains, size_t n,
			       store_instance_block *out);
/* The ids of accounts whose domain is domain or under it, up to max. */
size_t store_accounts_of_domain(const char *domain, int64_t *ids, size_t max);
/* Whether a local account follows account_id; whether another
 * server's does. */
bool store_followed_here(int64_t account_id);
bool store_followed_elsewhere(int64_t account_id);
/* The status of another server's post by its id, or 0. */
int64_t store_status_by_uri(const char *uri);
/* Owe body to every inbox of followers_of's followers on other servers
 * (0: none) and to the inboxes listed (newline-separated), signed by
 * signer_id, with a "fed_fanout" job: 0 or -1. */
int store_fanout_add(int64_t signer_id, int64_t followers_of,
		     const char *inboxes, const char *body, int64_t now);
/* The same at once, in a transaction of its own (no fan-out row, no
 * job): how many deliveries, or -1. */
int store_fanout_now(int64_t signer_id, int64_t followers_of,
		     const char *inboxes, const char *body, int64_t now);
/* Turn fan-out id into one delivery per distinct inbox (a server's
 * shared inbox once), in one transaction: how many, or -1. */
int store_fanout_expand(int64_t id, int64_t now);

/* How many tags the account features (cheap: no post counts). */
size_t store_featured_tags_count(int64_t account_id);
/* Feature a tag: 0, 1 when it already is, STORE_LIMIT when the account
 * already features max (counted inside the insert's transaction, and
 * enforced by the database), -1 on error. */
int store_featured_tag_add(int64_t id, int64_t account_id, int64_t tag_id,
			   int64_t max);
/* Unfeature (only the account's own): true when one was removed. */
bool store_featured_tag_remove(int64_t account_id, int64_t id);
/* Tags the account used most in its last max_posts posts and does not
 * feature yet, most used first: ids in out, at most max. */
size_t store_tag_suggestions(int64_t account_id, int max_posts, int64_t *out,
			     size_t max);
/* Descendant ids of the status with thread (root, path) in thread order,
 * strictly after after_path (NULL = from the start), at most max. */
size_t store_thread_descendants(int64_t root, const void *path, size_t path_len,
				const void *after_path, size_t after_len,
				int64_t *out, size_t max);
/* The thread path of a status (arena copy), or NULL. */
const void *store_thread_path(arena *ar, int64_t id, int64_t *root,
			      size_t *len);

/* trends.c — the counters behind trending tags and statuses */
/* Public posts (not boosts) with the tag per UTC day, and the distinct
 * accounts that wrote them, for days days from first_day_ms (a UTC
 * midnight) on; uses[0] is the oldest day. Read from the day counters
 * each post moves (store_trends_tag_use_tx): a deleted post still counts,
 * as in Mastodon's history. */
void store_tag_history(int64_t tag_id, int64_t first_day_ms, int days,
		       int64_t *uses, int64_t *accounts);
/* Inside a post's transaction: count account's use of the tag with key
 * (stored already) at at (ms) in the tag's day counters and, when it is a
 * new voice that day, recompute the tag's score from yesterday's and
 * today's distinct accounts and keep it if it is a new peak. O(1) per
 * tag; the same voice again is one read (the day's voice) and a queued
 * write (db_queue). */
int store_trends_tag_use_tx(const char *key, int64_t account_id, int64_t at);
/* Inside a write that moved a status's reblogs or favourites: recompute
 * its trend score, dropping its row when it scores 0 or is not eligible
 * (not public, a reply or boost, sensitive, with a content warning, or by
 * an account that is not discoverable). */
int store_trends_status_tx(int64_t status_id);
typedef enum store_trend_filter {
	STORE_TRENDS_ALL = 0,	       /* every candidate (moderators) */
	STORE_TRENDS_APPROVED = 1,     /* reviewed and approved only */
	STORE_TRENDS_NOT_REJECTED = 2, /* all but the rejected */
} store_trend_filter;
/* The tags whose rank key is at least floor (domain/trends.h), best
 * first, from offset on, at most limit: ids and names (arena). */
size_t store_trending_tags(arena *a, double floor, store_trend_filter filter,
			   int offset, int limit, int64_t *ids,
			   const char **names);
/* The same for statuses, eligible ones only (see above). */
size_t store_trending_statuses(double floor, int offset, int limit,
			       int64_t *out);
/* A tag's trend: its peak (score and ms) and review (times in ms, 0 when
 * never). */
typedef struct store_tag_trend {
	struct {
		double score;
		int64_t at;
	} peak;
	tag_review review;
	int64_t reviewed_at, requested_review_at;
} store_tag_trend;
/* The tag's trend row; all zero when it has none. */
void store_tag_trend_get(int64_t tag_id, store_tag_trend *out);
/* Record a moderator's review of the tag at now (ms). */
int store_tag_review_set(int64_t tag_id, tag_review review, int64_t now);
/* The threads with the most replies on a UTC day (day = ms /
 * TREND_DAY_MS), busiest first, newest root first among equals: roots
 * and, when replies is not NULL, their replies that day; at most limit.
 * tag_id 0: every thread; else the threads whose root or one of that
 * day's replies carries the tag. Counted when the replies were written
 * (migration 14); visibility is not checked here. An index range read. */
size_t store_busiest_threads(int64_t tag_id, int64_t day, int limit,
			     int64_t *roots, int64_t *replies);
/* Forget what no read needs any more: who counted on days before
 * yesterday, day counts older than the tag page's chart
 * (TREND_CHART_DAYS, today included), statuses decayed
 * below the floor at now (ms). Hourly, from a job. 0 or -1. */
int store_trends_prune(int64_t now);
/* search.c — full-text search (FTS5 indexes kept by triggers) */
/* A word or a quoted phrase of a query, as typed; negated: must not
 * occur. */
typedef struct store_search_term {
	const char *text;
	bool negated;
} store_search_term;
/* The FTS5 expression for terms: every term one FTS5 string (quoted, an
 * inner '"' doubled), so no user text is ever FTS5 syntax. Without
 * negated: the wanted terms ANDed, then each unwanted one subtracted with
 * NOT; with negated: the unwanted terms ORed. prefix: the last term
 * matches as a word prefix. Terms without a search token (punctuation
 * only) are left out. NULL when no term is left; arena memory. */
char *store_search_match(arena *a, const store_search_term *terms, size_t n,
			 bool negated, bool prefix);
/* A three-way filter: don't care, must, must not. */
typedef enum store_tri {
	STORE_ANY = 0,
	STORE_YES = 1,
	STORE_NO = 2,
} store_tri;
typedef struct store_status_query {
	const store_search_term *terms;
	size_t nterms;
	int64_t author;		/* only this account's posts; 0 = anyone's */
	int64_t not_author;	/* none of this account's; 0 = no such rule */
	store_tri media;	/* has attachments (of media_type if set) */
	const char *media_type; /* "image", "video" (gifv too), "audio" */
	store_tri reply, sensitive;
	const char *language; /* NULL = any */
	int64_t library; /* only posts this account wrote, was mentioned in,
			    favourited or bookmarked; 0 = all */
} store_status_query;
/* Ids of statuses (never reblogs) matching q strictly between lo and hi,
 * newest first, at most limit into out. Visibility is not checked here:
 * every id is a candidate for visibility_can_see(). */
size_t store_statuses_search(arena *a, const store_status_query *q, int64_t lo,
			     int64_t hi, int limit, int64_t *out);
/* Accounts whose username or display name holds the words of q (the last
 * one as a prefix) or whose username starts with q; the exact username
 * first, then username prefixes, then by followers. following_of: only
 * accounts that account follows (0 = everyone). Ids into out. */
size_t store_accounts_search(arena *a, const char *q, int64_t following_of,
			     int limit, int offset, int64_t *out);
/* Tags whose key starts with key (a text_tag_key), the exact one first,
 * then the most recently used: ids and names (arena) into the arrays. */
size_t store_tags_search(arena *a, const char *key, int limit, int offset,
			 int64_t *ids, const char **names);
/* Whether both indexes hold exactly what their content tokenizes to
 * (rebuilds them aside and compares: for tests and checks, O(rows)). */
bool store_search_index_ok(void);
/* Index the statuses posted since the last flush (search_backlog), in
 * transactions of a few thousand: from the indexer thread, and before a
 * status search reads the index. 0 or -1. */
int store_search_flush(void);
/* The thread that flushes the backlog ten times a second while serving;
 * stop joins it after a last flush. */
int store_search_indexer_start(void);
void store_search_indexer_stop(void);

/* media.c — attachments and the durable job queue */
/* Insert m; with job_kind, also a job (kind, m->id) due now, in the same
 * transaction, so an upload is never stored without its processing. */
int store_media_insert(const media_attachment *m, const char *job_kind);
/* Write every column of m back (by id); drops its status's rendering. */
int store_media_update(const media_attachment *m);
bool store_media_get(arena *a, int64_t id, media_attachment *out);
/* The attachments of a status in order, at most max. Arena strings. */
size_t store_media_of_status(arena *a, int64_t status_id, media_attachment *out,
			     size_t max);
int store_media_delete(int64_t id);
/* Record where another server's attachment id was fetched from. */
int store_media_remote_set(int64_t id, const char *url);
/* account_id's attachment of status_id fetched from url, or 0. */
int64_t store_media_remote_of_status(int64_t status_id, int64_t account_id,
				     const char *url);
/* Every attachment of an account, in *out (arena array and strings). */
size_t store_media_of_account(arena *a, int64_t account_id,
			      media_attachment **out);
/* Unattached, settled (ready or failed) attachments created before
 * before_ms, oldest first. */
size_t store_media_stale(arena *a, int64_t before_ms, media_attachment *out,
			 size_t max);
/* Inside a status write: make ids (ready, unattached, the account's) the
 * status's attachments in that order, detaching the ones it had.
 * STORE_TAKEN when one is no longer attachable, -1 on error. */
int store_media_attach_tx(int64_t status_id, int64_t account_id,
			  const int64_t *ids, size_t n);

typedef struct store_job {
	int64_t id, arg;
	const char *kind;
	int attempts; /* including this one */
} store_job;
/* Forget everything this process caches (and, on PostgreSQL, tell the
 * others to): what another process changed without telling it, such as
 * the shell on SQLite, is read again. */
void store_forget_cached(void);
/* Queue a job; inside the caller's transaction when one is open. */
int store_job_enqueue(const char *kind, int64_t arg, int64_t run_at);
/* Take the next due job (marking it running), or false. */
bool store_job_claim(arena *a, int64_t now, store_job *out);
/* The kind of job with workers of its own (jobs_lane): deliveries.
 * Its claims and the others' each have an index of their own. */
#define STORE_JOB_LANE "fed_deliver"
typedef enum store_job_side {
	STORE_JOBS_ANY,
	STORE_JOBS_LANE,    /* STORE_JOB_LANE's only */
	STORE_JOBS_GENERAL, /* any kind but STORE_JOB_LANE */
} store_job_side;
/* The same, of the side's kinds. */
bool store_job_claim_kind(arena *a, int64_t now, store_job_side side,
			  store_job *out);
/* What finishing a job of some kind also writes, in the same
 * transaction (its arg): 0 or -1. */
typedef int (*store_job_also)(int64_t arg);
/* Jobs a worker ran and will finish with its next claim: of one kind
 * (what also writes for each, with its arg), at most
 * STORE_JOB_BATCH_MAX. */
enum { STORE_JOB_BATCH_MAX = 32 };
typedef struct store_job_done {
	int64_t ids[STORE_JOB_BATCH_MAX], args[STORE_JOB_BATCH_MAX];
	size_t n;
	store_job_also also;
} store_job_done;
/* How many jobs of kind one claim may take (1: one at a time). */
typedef size_t (*store_job_batch)(const char *kind);
/* The same, first finishing the jobs in done (NULL: none) in the
 * claim's transaction: a busy worker's one write between two runs.
 * With the first due job, up to batch(its kind) - 1 more due jobs of
 * its kind are claimed (batch NULL: none; never of STORE_JOB_LANE),
 * into out (max of them), in id order: how many, 0 when none is due.
 * done->n becomes 0 once the finish committed: after that their ids
 * may be reused by new jobs (SQLite's rowids), so they must not be
 * finished again. */
size_t store_job_finish_claim(arena *a, store_job_done *done, int64_t now,
			      store_job_side side, store_job_batch batch,
			      store_job *out, size_t max);
/* Finish the jobs in done in one transaction (done->n becomes 0). 0 or
 * -1. */
int store_job_finish_done(store_job_done *done);
/* Take the waiting job (kind, arg) whatever its time, or false when none
 * waits (another worker has it, or it is done). */
bool store_job_claim_for(arena *a, const char *kind, int64_t arg,
			 store_job *out);
/* Whether job (kind, arg) is waiting or running. */
bool store_job_active(const char *kind, int64_t arg);
int store_job_finish(int64_t id);
int store_job_retry(int64_t id, int64_t run_at, const char *error);
int store_job_fail(int64_t id, const char *error);
/* Jobs left running by a crash wait again (call once at start). */
int store_jobs_recover(void);
/* Jobs left running by a process that has since died wait again (for
 * PostgreSQL, where processes share the table; a no-op on SQLite). */
int store_jobs_orphans(void);

/* interactions.c */
/* Insert/delete a favourite/bookmark/pin; return 1 when the row changed,
 * 0 when it already was so, STORE_GONE when the status is gone (checked
 * inside the write's transaction), -1 on error. Counters move with the
 * rows. A pin is STORE_LIMIT when the account already has max. */
/* x (may be NULL) is written in the favourite's transaction when it is
 * new (on, and not already there). */
int store_favourite_set(int64_t account_id, int64_t status_id, bool on,
			notice *x);
/* store_favourite_set, and *row the favourite's id (made, or gone) when
 * it changed, else 0. */
int store_favourite_toggle(int64_t account_id, int64_t status_id, bool on,
			   notice *x, int64_t *row);
int store_bookmark_set(int64_t account_id, int64_t status_id, bool on);
int store_pin_set(int64_t account_id, int64_t status_id, bool on, int64_t max);
/* Mute (on) or unmute for account the thread status_id is in. 0 or -1. */
int store_thread_mute_set(int64_t account_id, int64_t status_id, bool on);
/* How many threads account muted. */
int64_t store_thread_mutes_count(int64_t account_id);
/* Whether account muted the thread status_id is in. */
bool store_thread_muted(int64_t account_id, int64_t status_id);
/* Flags of viewer for n statuses (reblog wrappers resolved by caller). */
void store_status_flags(int64_t viewer, const int64_t *ids, size_t n,
			status_flags *out);
bool store_idempotency_get(int64_t account_id, const char *key,
			   int64_t since_ms, int64_t *status_id);
int store_idempotency_put(int64_t account_id, const char *key,
			  int64_t status_id, int64_t now_ms);
/* Call each(account, ctx) for the accounts whose home timeline s belongs
 * in, up to limit of them: HOME_WHERE turned around (the author, its
 * followers, a reply to someone else only for that someone and their
 * followers) and the followers of its hashtags when public. An account
 * may come twice. The number of calls, or -1. An author with a million
 * followers has a million: a caller that holds fewer accounts than that
 * (feeds in memory, streaming clients) stops at their number and asks
 * about its own with store_home_audience_among. */
long store_home_audience(const status *s, size_t limit,
			 void (*each)(int64_t, void *), void *ctx);
/* The same, only for the accounts among (n ids). 0 or -1. */
int store_home_audience_among(const status *s, const int64_t *among, size_t n,
			      void (*each)(int64_t, void *), void *ctx);
/* Whether a visibility moves the public counters (see above). */
bool store_counts_as_reply(visibility v);
bool store_counts_as_status(visibility v);

/* social.c — follows and follow requests */
typedef struct store_relationship {
	bool following, followed_by, requested, requested_by;
	bool showing_reblogs, notifying;
	bool blocking, blocked_by, muting, muting_notifications;
	bool domain_blocking;
} store_relationship;
void store_relationship_get(int64_t viewer, int64_t target,
			    store_relationship *out);
bool store_follows(int64_t account_id, int64_t target_id);
/* The id of account_id's follow of target_id, or of its request; 0. */
int64_t store_follow_id(int64_t account_id, int64_t target_id);
/* Create a follow (counters maintained); 0 ok, 1 already, -1 error. */
int store_follow_create(int64_t id, int64_t account_id, int64_t target_id,
			bool reblogs, bool notify);
/* End account_id's follow of target_id, and its request to follow, in
 * one transaction (counters maintained): 0 or -1. */
int store_follow_delete(int64_t account_id, int64_t target_id);
/* A request to follow; uri: the Follow activity's id when account_id is
 * another server's (NULL: local). 0 made, 1 there already, or
 * STORE_BLOCKED / -1. */
int store_follow_request_create(int64_t id, int64_t account_id,
				int64_t target_id, bool reblogs, bool notify,
				const char *uri);
/* The pending request of account_id to target_id: its Follow's id (""
 * when local; in a) and, when id is not NULL, its id in *id; NULL when
 * there is none. */
const char *store_follow_request_uri(arena *a, int64_t account_id,
				     int64_t target_id, int64_t *id);
int store_follow_request_delete(int64_t account_id, int64_t target_id);
/* Turn a pending request into a follow; false when there was none. */
bool store_follow_request_accept(int64_t account_id, int64_t target_id,
				 int64_t follow_id);
int64_t store_follow_requests_count(int64_t target_id);
/* each(follower, ctx) for every follower of target. */
/* The followers of target_id that are accounts of this server, in a
 * (*out); how many. */
size_t store_local_followers(arena *a, int64_t target_id, int64_t **out);
int store_followers_each(int64_t target_id, void (*each)(int64_t, void *),
			 void *ctx);
/* each(account, ctx) for every follower of the hashtag with this key. */
int store_tag_followers_each(const char *key, void (*each)(int64_t, void *),
			     void *ctx);

/* Block target: in one transaction the block and the end of follows and
 * follow requests both ways (counters kept). 0, 1 when it already was,
 * -1. */
int store_block_create(int64_t id, int64_t account_id, int64_t target_id);
int store_block_delete(int64_t account_id, int64_t target_id);
/* The id of account_id's block of target_id, or 0. */
int64_t store_block_id(int64_t account_id, int64_t target_id);

/* safety.c — mutes, domain blocks, and the relations the visibility rule
 * reads */
/* Mute target (replacing an earlier mute's terms): notifications too or
 * not, until expires_at (0: for good). 0 or -1. */
int store_mute_set(int64_t id, int64_t account_id, int64_t target_id,
		   bool notifications, int64_t expires_at);
int store_mute_delete(int64_t account_id, int64_t target_id);
/* Whether account mutes target at now; its terms into the pointers that
 * are not NULL (expires_at 0: for good). */
bool store_mute_get(int64_t account_id, int64_t target_id, int64_t now,
		    bool *muting, bool *notifications, int64_t *expires_at);
/* Add or remove a block of a whole domain (lower-case). 0, 1 when it
 * already was so, -1. */
int store_domain_block_set(int64_t id, int64_t account_id, const char *domain,
			   bool on);
/* A page of the account's domain blocks, newest first (keys: their ids,
 * for Link). */
size_t store_domain_blocks_page(arena *a, int64_t account_id, const page *p,
				const char **names, int64_t *keys);
/* What one account is to another (flags of store_relation). */
enum {
	STORE_REL_BLOCKS = 1,	   /* the reader blocks it */
	STORE_REL_BLOCKED_BY = 2,  /* it blocks the reader */
	STORE_REL_MUTES = 4,	   /* the reader mutes it */
	STORE_REL_MUTES_NOTES = 8, /* ... its notifications too */
};
typedef struct store_relation {
	int64_t account_id;
	int64_t until; /* when the mute ends (0: never) */
	unsigned flags;
} store_relation;
/* Every account the reader blocks, is blocked by or mutes at now, by id
 * ascending with one entry per account, and the domains it blocks; arena
 * arrays. */
size_t store_relations_of(arena *a, int64_t reader, int64_t now,
			  store_relation **out, const char ***domains,
			  size_t *ndomains);
/* The accounts from whom author's posts are hidden: who blocks the
 * author, whom it blocks, who mutes it at now, who blocks its domain;
 * ascending, maybe twice. */
size_t store_relations_toward(arena *a, int64_t author, int64_t now,
			      int64_t **out);

/* filters.c — keyword filters (migration 18). A filter belongs to one
 * account; its keywords and statuses are reached through it, so every
 * call takes the owner and answers "not found" for another's ids. Every
 * write touches the owner's cache_relations, where the visibility rule
 * keeps the reader's active filters. */
typedef struct store_filter_keyword {
	int64_t id, filter_id;
	const char *keyword;
	bool whole_word;
} store_filter_keyword;
typedef struct store_filter_status {
	int64_t id, filter_id, status_id;
} store_filter_status;
typedef struct store_filter {
	int64_t id, account_id;
	const char *title;
	unsigned contexts;  /* bit (1 << read_context) per context */
	int action;	    /* 0 warn, 1 hide, 2 blur */
	int64_t expires_at; /* ms; 0: never */
	store_filter_keyword *keywords;
	size_t nkeywords;
	store_filter_status *statuses;
	size_t nstatuses;
} store_filter;
/* The account's filters by id, each with its keywords and statuses
 * (arena arrays); only those not expired at now when active_only. */
size_t store_filters_of(arena *a, int64_t account_id, int64_t now,
			bool active_only, store_filter **out);
/* One of the account's filters with its keywords and statuses. */
bool store_filter_get(arena *a, int64_t account_id, int64_t id,
		      store_filter *out);
/* Insert (create) or update f's own fields, then in the same
 * transaction add the keywords with id 0 (new ids from id_next), update
 * those with an id, and delete the keyword ids in destroy; keyword ids
 * not of f are ignored. 0, STORE_GONE when f (update) is not the
 * account's, -1. */
int store_filter_save(const store_filter *f, bool create,
		      const store_filter_keyword *keywords, size_t nkeywords,
		      const int64_t *destroy, size_t ndestroy);
/* Delete one of the account's filters: 0, STORE_GONE, -1. */
int store_filter_delete(int64_t account_id, int64_t id);
/* One keyword, or one filtered status, of the account's filters. */
bool store_filter_keyword_get(arena *a, int64_t account_id, int64_t id,
			      store_filter_keyword *out);
bool store_filter_status_get(int64_t account_id, int64_t id,
			     store_filter_status *out);
/* Add (k->id 0: a new id is set) or update (k->id) a keyword of a filter
 * of the account: 0, STORE_GONE, -1. */
int store_filter_keyword_save(int64_t account_id, store_filter_keyword *k);
/* Delete a keyword of the account's; with its filter too when drop_empty
 * and it was the filter's last keyword (v1 filters): 0, STORE_GONE, -1. */
int store_filter_keyword_delete(int64_t account_id, int64_t id,
				bool drop_empty);
/* Add status_id to a filter of the account (fs->id set): 0, STORE_GONE
 * (no such filter or status), STORE_TAKEN (already there), -1. */
int store_filter_status_add(int64_t account_id, store_filter_status *fs);
int store_filter_status_delete(int64_t account_id, int64_t id);

/* notifications.c */
/* Store n unless the same act (recipient, sender, type, status) is
 * already notified; an "update" replaces its older row. n->id receives
 * its id, taken in the insert (commit order). 1 when a row was written
 * (publish it), 0 when it was already there, -1 on error. */
int store_notification_insert(notification *n);
/* Write x as it says (told: store_notification_insert, held:
 * store_notification_filter), in the caller's transaction if any;
 * x->told when a row joined the list. 0, or -1 on error. */
int store_notice_write(notice *x);
bool store_notification_get(int64_t account_id, int64_t id, notification *out,
			    arena *ar);
/* Newest-first page of a recipient's notifications; types/exclude are
 * NULL-terminated lists (NULL = no filter). */
size_t store_notifications_page(arena *ar, int64_t account_id, const page *p,
				const char *const *types,
				const char *const *exclude, notification *out);
/* The same, only those from one sender. */
size_t store_notifications_page_from(arena *ar, int64_t account_id,
				     int64_t from, const page *p,
				     const char *const *types,
				     const char *const *exclude,
				     notification *out);
int store_notification_dismiss(int64_t account_id, int64_t id);
int store_notifications_clear(int64_t account_id);
/* notification_policy.c — the notification policy and the requests that
 * hold what it filters (migration 18). The policy, or the defaults. */
void store_notification_policy_get(int64_t account_id,
				   notification_policy *out);
int store_notification_policy_set(int64_t account_id,
				  const notification_policy *p);
/* Whether account let from through (an accepted request). */
bool store_notification_permitted(int64_t account_id, int64_t from);
/* Keep n filtered, in its sender's request (made or brought forward):
 * 1 when written, 0 when the same act was filtered already, -1. */
int store_notification_filter(notification *n);
/* A page of the account's requests, newest first (cursors: their ids). */
size_t store_notification_requests_page(int64_t account_id, const page *p,
					notification_request *out);
bool store_notification_request_get(int64_t account_id, int64_t id,
				    notification_request *out);
/* Accept a request: in one transaction its notifications join the list,
 * its sender is let through from now on, and it is gone. Dismiss: it and
 * its notifications are gone. 0, 1 when there was none, -1. */
int store_notification_request_accept(int64_t account_id, int64_t id);
int store_notification_request_dismiss(int64_t account_id, int64_t id);
/* How many requests, and filtered notifications, the account has. */
void store_notification_requests_count(int64_t account_id, int64_t *requests,
				       int64_t *notifications);
/* A page of the filtered notifications from one sender (newest first). */
size_t store_filtered_notifications_page(arena *a, int64_t account_id,
					 int64_t from, const page *p,
					 notification *out);

/* notification_groups.c — the grouped view (migration 16). A page of the
 * account's groups by newest notification, newest first (p's cursors
 * are notification ids); types/exclude as above. */
size_t store_notification_groups_page(arena *a, int64_t account_id,
				      const page *p, const char *const *types,
				      const char *const *exclude,
				      notification_group *out);
bool store_notification_group_get(arena *a, int64_t account_id, const char *key,
				  notification_group *out);
/* The senders of a group's newest notifications with id < before (0: all),
 * newest first, at most max; their notification ids in ids when not
 * NULL. */
size_t store_notification_group_senders(int64_t account_id, const char *key,
					int64_t before, int64_t *accounts,
					int64_t *ids, size_t max);
/* Dismiss every notification of a group: 0, 1 when there was none, -1. */
int store_notification_group_dismiss(int64_t account_id, const char *key);
/* How many notifications (groups: of groups) are newer than after_id,
 * counting at most limit. */
int64_t store_notifications_unread(int64_t account_id, int64_t after_id,
				   bool groups, int64_t limit);

/* markers */
typedef struct store_marker {
	int64_t last_read_id, version, updated_at;
} store_marker;
bool store_marker_get(int64_t account_id, const char *timeline,
		      store_marker *out);
int store_marker_set(int64_t account_id, const char *timeline,
		     int64_t last_read_id, int64_t now_ms);

/* ---- reports.c: reports to the moderators ---- */
typedef struct store_report {
	int64_t id;
	int64_t account_id;	   /* who reported (here or elsewhere) */
	int64_t target_account_id; /* whom */
	const char *category;	   /* spam, legal, violation, other */
	const char *comment;
	const char *rule_ids; /* a JSON array of rule ids (strings), NULL */
	bool forwarded;	      /* a Flag went to the target's server */
	const char *uri;      /* an incoming Flag's id; NULL for a local one */
	int64_t assigned_account_id;	    /* 0: nobody */
	int64_t action_taken_by_account_id; /* 0: nobody */
	int64_t action_taken_at;	    /* 0: open */
	int64_t created_at, updated_at;
	const int64_t *status_ids; /* the statuses it names, in id order */
	size_t nstatus_ids;
} store_report;

/* Keep a new report with its statuses (r->id set). 0; STORE_TAKEN when
 * r->uri was kept before (a Flag delivered again); -1. */
int store_report_insert(store_report *r);
/* Report id, its strings and statuses in a; false when there is none. */
bool store_report_get(arena *a, int64_t id, store_report *out);
/* Which reports to list: open or resolved or both, and of whom. */
typedef struct store_report_query {
	int resolved;			       /* -1 any, 0 open, 1 resolved */
	int64_t account_id, target_account_id; /* 0: any */
	int64_t max_id, since_id, min_id;      /* 0: unbounded */
	int limit;
} store_report_query;
/* Up to q->limit reports with their statuses, newest first (oldest
 * first with min_id), into out: how many. */
size_t store_reports_list(arena *a, const store_report_query *q,
			  store_report *out);
/* A moderator's change to a report. */
typedef enum store_report_change {
	REPORT_ASSIGN,	 /* to by */
	REPORT_UNASSIGN, /* to nobody */
	REPORT_RESOLVE,	 /* action taken by by, now */
	REPORT_REOPEN,	 /* open again */
} store_report_change;
/* Apply what to report id, and keep log (the audit log's entry) in the
 * same transaction. 0; STORE_GONE when there is no such report; -1. */
struct store_admin_action;
int store_report_change_apply(int64_t id, store_report_change what, int64_t by,
			      int64_t now,
			      const struct store_admin_action *log);
/* ---- moderation.c: what moderators do to accounts; the audit log ---- */
/* One moderator's action, as the audit log keeps it. */
typedef struct store_admin_action {
	int64_t id;
	int64_t account_id;	 /* the moderator; 0: from the shell */
	const char *actor;	 /* their name then, or "chorus admin" */
	const char *action;	 /* suspend, unsuspend, silence, resolve, … */
	const char *target_type; /* account, report, domain_block */
	int64_t target_id;	 /* 0 when the target has no id */
	const char *target;	 /* its name then: acct, report id, domain */
	int64_t report_id;	 /* the report it answers; 0: none */
	const char *text;	 /* what the moderator wrote, or NULL */
	int64_t created_at;
} store_admin_action;
/* What a moderator may set on an account: a time on the account
 * (suspend, silence, sensitize) or a flag on its user (disable). */
typedef enum store_moderation {
	STORE_MOD_NONE,
	STORE_MOD_SUSPEND,
	STORE_MOD_SILENCE,
	STORE_MOD_SENSITIZE,
	STORE_MOD_DISABLE,
	STORE_MOD_APPROVE, /* a sign-up waiting for approval (no undo) */
} store_moderation;
/* Set (on, at log->created_at) or clear what on account id, resolve the
 * report log->report_id names (when not 0), and keep log, in one
 * transaction; a suspension or a disabled sign-in also ends every
 * session of the account; a job of job_kind (NULL: none) with the
 * account's id as its argument is queued with it. 0; STORE_GONE when the
 * account is gone; STORE_UNCHANGED when it was so already (or, for disable, it
 * has no user); STORE_NO_REPORT when the report is not of this account; -1. */
int store_account_moderate(int64_t id, store_moderation what, bool on,
			   const store_admin_action *log, const char *job_kind);
/* Keep one more entry in the audit log: its own transaction, or inside
 * the caller's (_tx). 0 or -1. */
int store_admin_action_log(const store_admin_action *l);
int store_admin_action_log_tx(const store_admin_action *l);
/* Accounts moderators acted on, by id. */
enum {
	STORE_MODERATED_SUSPENDED = 1,
	STORE_MODERATED_SILENCED = 2,
	STORE_MODERATED_SENSITIZED = 4,
};
typedef struct store_moderated {
	int64_t id;
	unsigned flags; /* STORE_MODERATED_* */
} store_moderated;
/* Every account with a STORE_MODERATED_* flag, ascending by id, into
 * *out (in a): how many. */
size_t store_moderated_accounts(arena *a, store_moderated **out);
/* Up to max accounts suspended before the time before, into ids: how
 * many. */
size_t store_accounts_suspended_before(int64_t before, int64_t *ids,
				       size_t max);
typedef struct store_admin_action_query {
	int64_t account_id;	   /* by this moderator; 0: any */
	int64_t target_account_id; /* on this account; 0: any */
	int64_t max_id, since_id, min_id;
	int limit;
} store_admin_action_query;
/* Up to q->limit entries of the audit log, newest first (oldest first
 * after min_id), into out: how many. */
size_t store_admin_actions_list(arena *a, const store_admin_action_query *q,
				store_admin_action *out);
/* An invite: who made it (0: the shell), how many may use it (0: any)
 * and how many did, until when (0: for ever). */
typedef struct store_invite {
	int64_t id;
	const char *code;
	int64_t account_id;
	int64_t max_uses, uses;
	int64_t expires_at, created_at;
} store_invite;
/* Keep inv (inv->id set) and log in one transaction. 0 or -1. */
int store_invite_create(store_invite *inv, const store_admin_action *log);
/* Up to max invites, newest first, into out: how many. */
size_t store_invites_list(arena *a, store_invite *out, size_t max);
/* The staff's list of accounts: each filter unset (0 or NULL) holds. */
typedef struct store_account_query {
	int origin; /* 1 local, 2 remote */
	int status; /* 1 active, 2 pending, 3 disabled, 4 silenced,
		     * 5 suspended, 6 sensitized */
	bool staff;
	const char *username, *email; /* prefixes, any case */
	const char *ip, *domain;
	int64_t max_id, since_id, min_id;
	int limit;
} store_account_query;
/* Up to q->limit accounts, newest first (oldest first after min_id),
 * into out: how many. (accounts.c) */
size_t store_admin_accounts_list(arena *a, const store_account_query *q,
				 account *out);
/* The address a user signed up from and the reason it gave, each NULL
 * when not known; false when id is no user. (accounts.c) */
bool store_user_sign_up(arena *a, int64_t id, const char **ip,
			const char **reason);

/* ---- reply_controls.c: interaction policies, hidden replies ---- */
/* The policy stored for status_id into *out; false when it has none (it
 * keeps its visibility's default). */
bool store_status_policy(int64_t status_id, interaction_policy *out);
/* Inside the status insert's transaction: store s->policy if set. */
int store_status_policy_put_tx(const status *s);
/* The account's default policy for new posts of visibility v; false when
 * it set none. */
bool store_policy_default(int64_t account_id, visibility v,
			  interaction_policy *out);
/* Set (p) or reset (NULL) the account's default for v. 0 or -1. */
int store_policy_default_set(int64_t account_id, visibility v,
			     const interaction_policy *p);
/* Hide (on) or unhide reply status_id, by account by, at now. 1 when it
 * changed, 0 when it already was so, STORE_GONE when the status is gone,
 * -1. */
int store_reply_hide(int64_t status_id, int64_t by, int64_t now, bool on);
/* The hidden replies of the thread root: each one's thread path and
 * author, in path order, into *out (arena); returns how many. */
typedef struct store_hidden_reply {
	const unsigned char *path;
	size_t path_len;
	int64_t author_id;
} store_hidden_reply;
size_t store_thread_hidden(arena *a, int64_t root, store_hidden_reply **out);
/* The hidden replies below path in thread root, in thread order, at most
 * max ids into out; returns how many. */
/* A page of them by the replies' ids (max_id, since_id, min_id; newest
 * first, as the timelines page), at most p->limit ids into out. */
size_t store_replies_hidden_page(int64_t root, const void *path,
				 size_t path_len, const page *p, int64_t *out);
size_t store_replies_hidden_under(int64_t root, const void *path,
				  size_t path_len, int64_t *out, size_t max);
/* conversations (conversations.c): an account's private conversations,
 * one per thread of direct statuses (schema.c's conversations
 * migration). */
typedef struct store_conversation {
	int64_t id, account_id, thread_root_id;
	int64_t last_status_id; /* also the paging cursor */
	bool unread;
	const int64_t *participants; /* owner included, ascending (arena) */
	size_t nparticipants;
} store_conversation;
/* Record direct status status_id in the conversation of its thread of
 * each of the recipients (its author among them), in one transaction:
 * created if need be, participants (author and mentioned, ascending)
 * joined to the ones it had, last status moved to this one, unread for
 * all but the author. 0 (also when the status is gone meanwhile), or
 * -1. */
/* Inside the write accepting account_id's notification request from
 * from: record the direct statuses its held mentions are of in
 * account_id's conversations, as store_conversations_add would have
 * when they were posted. 0 or -1. */
int store_conversations_add_held(int64_t account_id, int64_t from);
int store_conversations_add(int64_t status_id, int64_t author,
			    const int64_t *participants, size_t nparticipants,
			    const int64_t *recipients, size_t nrecipients);
/* A page of the account's conversations, newest last status first; the
 * page's cursors are last_status_id, as Mastodon's. Arena memory. */
size_t store_conversations_page(arena *a, int64_t account_id, const page *p,
				store_conversation *out);
/* The account's conversation id: false when it has none by that id. */
bool store_conversation_get(arena *a, int64_t account_id, int64_t id,
			    store_conversation *out);
/* The conversations whose last status is status_id (everyone it reached
 * and who has not removed it since), in *out (arena); their count. */
size_t store_conversations_of_status(arena *a, int64_t status_id,
				     store_conversation **out);
/* Mark the account's conversation id read; remove it from the list
 * (its statuses stay). 0, 1 when the account has no such one, -1. */
int store_conversation_read(int64_t account_id, int64_t id);
int store_conversation_remove(int64_t account_id, int64_t id);

/* db.c — the operator's view (/health, /metrics; docs/monitoring.md). */
typedef struct store_ops_stats {
	long connections;    /* SQLite connections this process holds open */
	uint64_t busy_waits; /* times a connection found the database locked
			      * and waited (db_busy_wait), since start */
	/* rows of the jobs table by state */
	int64_t jobs_waiting, jobs_running, jobs_failed;
} store_ops_stats;
/* Read the database on the calling thread's connection: with out NULL,
 * one page (the health check); else the jobs table's counts into *out,
 * and the open connections. 0, or -1 (logged) when it could not be
 * read. */
int store_ops_stats_read(store_ops_stats *out);

#endif
