/* domain.h — the rules: who may see, post, reply, boost; what a post's
 * text contains; timelines; notifications. Knows nothing of HTTP or JSON.
 *
 * Functions that can fail return a dom_err; on failure *msg (when given)
 * receives a human-readable reason in arena or static memory. */
#ifndef CHORUS_DOMAIN_H
#define CHORUS_DOMAIN_H

#include "core/arena.h"
#include "domain/model.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum dom_err {
	DOM_OK = 0,
	DOM_NOT_FOUND,	 /* also "exists but hidden from you" */
	DOM_FORBIDDEN,	 /* 403 */
	DOM_INVALID,	 /* 422: validation */
	DOM_BAD_REQUEST, /* 400: malformed */
	DOM_INTERNAL,	 /* 500 */
} dom_err;

/* ---- auth.c ---- */
/* Argon2id hash of password (libsodium string form), arena memory; NULL on
 * failure. */
char *auth_hash_password(arena *a, const char *password);
bool auth_verify_password(const char *hash, const char *password);
/* Hash the stand-in password an unknown login is checked against, with
 * the configured Argon2id cost (cfg must be final). Optional: the first
 * auth_sign_in does it otherwise. 0, or -1 when hashing fails. */
int auth_init(void);
/* The account whose e-mail or username is login, into *out, if password
 * is its password. Costs one Argon2id check whether or not the account
 * exists, so the time of a refusal does not tell which. Slow (~40 ms):
 * call it off the I/O threads.
 *
 * The lockout: after [limits] sign_in_failures wrong passwords for one
 * login from one source (the client's address; NULL: none is counted),
 * each further try from there waits twice as long as the last, from one
 * second up to sign_in_lock_max_seconds: AUTH_LOCKED, *wait_ms until it
 * may try again, no password checked. The lock is that login's from
 * that source only, so an attacker cannot lock its owner out from
 * everywhere; a success forgets the failures. */
typedef enum auth_result {
	AUTH_SIGNED_IN,
	AUTH_REFUSED,
	AUTH_LOCKED,
	AUTH_DISABLED, /* the password is right, but the account may not
			* sign in: suspended, disabled or not approved yet */
} auth_result;
auth_result auth_sign_in(arena *a, const char *login, const char *password,
			 const char *source, account *out, int64_t *wait_ms);
/* Whether a local account may sign in and use its sessions: not
 * suspended, not disabled, its sign-up approved. */
bool account_may_sign_in(const account *acc);
/* 43 url-safe random characters (256 bits), arena memory. */
char *auth_random_token(arena *a);
/* Hex SHA-256 of a token, the only form stored. */
char *auth_token_hash(arena *a, const char *token);
/* Expand and check requested scopes against allowed ones. Returns the
 * normalised space-separated scope string, or NULL if any requested scope
 * is unknown or not allowed. An empty request yields "read". */
char *auth_scopes_grant(arena *a, const char *requested, const char *allowed);
/* True when granted (space-separated) satisfies need ("read:statuses" is
 * satisfied by "read" or "read:statuses"; "follow" covers follows, blocks
 * and mutes). */
bool auth_scope_allows(const char *granted, const char *need);
/* Resolve a bearer token; fills p (account loaded when a user token). */
bool auth_principal(arena *a, const char *token, principal *p);
/* Revoke the token (the secret itself) if app_id issued it, and tell the
 * streams using it to close. Unknown tokens are not an error (RFC 7009).
 * 0, or -1 when the store failed. */
int auth_revoke_token(arena *a, const char *token, int64_t app_id);
/* Revoke one of the account's tokens, or browser sessions, by id: DOM_OK,
 * DOM_NOT_FOUND when it is not the account's, DOM_INTERNAL. Its streams
 * close. */
dom_err auth_revoke_session(int64_t account_id, int64_t token_id);
/* Revoke every token of the account but keep (0: all) and every browser
 * session; their streams close. *n receives how many. DOM_OK or
 * DOM_INTERNAL. */
dom_err auth_revoke_sessions(int64_t account_id, int64_t keep, int *n);
/* Set the account's password, revoking in the same transaction every
 * token but keep (0: all of them, as from the CLI; a signed-in password
 * change keeps its own) and every browser session. DOM_INVALID when too short,
 * DOM_NOT_FOUND when no such user, DOM_INTERNAL. */
dom_err auth_set_password(arena *a, int64_t account_id, const char *password,
			  int64_t keep);
/* Begin a browser session of account_id (the web's sign-in); user_agent
 * (may be NULL) is kept, cleaned and cut, to tell sessions apart in a
 * listing. Returns the session's secret for the cookie (43 url-safe
 * characters, arena memory; only its hash is stored), or NULL. */
char *auth_web_session_begin(arena *a, int64_t account_id,
			     const char *user_agent);
/* The account of the browser session whose secret this is, into *out.
 * False when there is none, or it went unused for [accounts]
 * web_session_idle_days (then it is deleted). Records the use at most
 * once an hour: may write, ending the thread's read snapshot. */
bool auth_web_session_resolve(arena *a, const char *secret, account *out);
/* End the browser session whose secret this is (none: not an error).
 * 0, or -1 when the store failed. */
int auth_web_session_end(arena *a, const char *secret);
/* A new authorization code (RFC 6749 §4.1) for app_id to exchange for a
 * token of account_id with scopes, good once and for ten minutes, bound to
 * redirect_uri and to the PKCE challenge (NULL: none). Returns the code
 * (arena memory; only its hash is stored), or NULL. */
char *auth_code_issue(arena *a, int64_t app_id, int64_t account_id,
		      const char *scopes, const char *redirect_uri,
		      const char *challenge);

/* ---- accounts.c ---- */
typedef struct registration {
	const char *username, *email, *password, *display_name, *role;
	/* a sign-up through the API or the web pages, where the server's
	 * registration mode applies; with an invite code (one use of it
	 * taken), the reason it gives for a moderator, and where from */
	bool self_service;
	const char *invite_code, *reason, *ip;
} registration;
/* Validate and create a local account. On DOM_INVALID, *field names the
 * offending field and *code a Mastodon detail code (ERR_TAKEN…); a
 * self-service sign-up is DOM_FORBIDDEN (*msg) when registrations are
 * closed and it brings no invite, and is made waiting for approval
 * (account.approved false) when they need it and it brings none. */
dom_err account_register(arena *a, const registration *reg, int64_t *id,
			 const char **field, const char **code,
			 const char **msg);
/* Whether a self-service sign-up may be tried: registrations are not
 * closed, or it brings an invite code (checked as the account is made). */
bool registrations_admit(const char *invite_code);
enum { SIGN_UP_REASON_MAX = 500 }; /* characters */
/* Lookup by "user" or "user@domain" (our own domain counts as local);
 * resolve: another server's account not known yet is asked for (the
 * resolver below), which only a signed-in reader may make chorus do. */
bool account_lookup(arena *a, const char *acct, bool resolve, account *out);
/* Where an account and a post live: their ids (ActivityPub's, and the
 * API's uri fields) and pages (url), in a. A local one's are ours
 * ({base}/users/NAME, {base}/@NAME; …/statuses/ID, /@NAME/ID); another
 * server's are its own, as kept. False when another server's has none
 * kept (then *uri and *url are what a local one's would be). */
bool account_addresses(arena *a, const account *acc, const char **uri,
		       const char **url);
bool status_addresses(arena *a, int64_t id, const account *author,
		      const char **uri, const char **url);
/* How an account is named to readers here: "name" for a local one,
 * "name@host" for another server's (the API's acct; the pages' paths). */
const char *account_acct(arena *a, const account *acc);
/* The ids of a local account and of its post id, by its name. */
const char *account_local_uri(arena *a, const char *username);
const char *status_local_uri(arena *a, const char *username, int64_t id);
/* How an account of another server (user@domain) not known yet is found
 * (fed/ installs it: WebFinger, then the actor); without one, lookups
 * find only what is known. */
typedef bool (*account_resolver)(arena *a, const char *user, const char *domain,
				 account *out);
void accounts_resolve_with(account_resolver fn);
/* Whether the account is staff (owner, admin or moderator): may review
 * trends and reports. */
bool account_is_staff(const account *acc);
/* Whether the account is an owner or admin: staff who may also see
 * what belongs to accounts themselves (their e-mail addresses). */
bool account_is_admin(const account *acc);
/* Profile text (a bio, a field value) as HTML: escaped, links and local
 * tag links made; mentions stay plain text. Arena memory. */
char *profile_text_html(arena *a, const char *text);

/* ---- posting.c ---- */
typedef struct post_request {
	const char *text, *spoiler_text, *language;
	visibility vis;
	bool sensitive;
	int64_t in_reply_to_id;
	const char *idempotency_key;
	/* media_ids[] as sent; has_media_ids tells an edit that sent none
	 * (remove all) from one that did not send the key (keep them) */
	const char **media_ids;
	size_t nmedia_ids;
	bool has_media_ids;
	/* who may reply and boost; unset (0s): the author's default for
	 * vis, else visibility_policy_default */
	interaction_policy policy;
} post_request;
/* Create a status by author. *out receives it as written (out->written
 * set, strings in a), or, for a request with an idempotency key already
 * used, only the id of the status that key made (out->written unset). */
dom_err status_post(arena *a, const principal *author, const post_request *r,
		    status *out, const char **msg);
/* Edit a status; only its author may. */
dom_err status_edit(arena *a, const principal *author, int64_t id,
		    const post_request *r, const char **msg);
/* Delete; *out receives the deleted status (for redraft). */
dom_err status_delete(arena *a, const principal *author, int64_t id,
		      status *out);
dom_err status_favourite(arena *a, const principal *p, int64_t id, bool on);
dom_err status_bookmark(arena *a, const principal *p, int64_t id, bool on);
/* Mute (on) or unmute the thread of status id for p: no more
 * notifications from it. */
dom_err status_mute_thread(arena *a, const principal *p, int64_t id, bool on);
dom_err status_pin(arena *a, const principal *p, int64_t id, bool on,
		   const char **msg);
/* Hide (on) or unhide reply id from its thread, by the author of the
 * post it answers or of the thread's root: DOM_NOT_FOUND, DOM_INVALID
 * when it is not a reply, DOM_FORBIDDEN when p wrote neither. */
dom_err status_hide_reply(arena *a, const principal *p, int64_t id, bool on,
			  const char **msg);
/* Whether account_id may hide or unhide reply s (loaded, seen by them):
 * it answers a post of theirs, or its thread's root is theirs. The
 * permission status_hide_reply checks, for pages that offer the button. */
bool status_reply_hideable(arena *a, int64_t account_id, const status *s);
/* Reblog; *reblog_id receives the wrapper's id. DOM_FORBIDDEN (*msg
 * says why) when its visibility or interaction policy refuses it. */
dom_err status_reblog(arena *a, const principal *p, int64_t id, visibility vis,
		      int64_t *reblog_id, const char **msg);
dom_err status_unreblog(arena *a, const principal *p, int64_t id);
bool visibility_parse(const char *s, visibility *out);
const char *visibility_name(visibility v);

/* ---- events.c ----
 * What happened, told after it committed, to whoever listens (the
 * streaming API). Publishing never blocks on the listener. */
typedef enum event_kind {
	EVENT_STATUS,	       /* id: a new status (boosts too) */
	EVENT_STATUS_EDITED,   /* id: an edited status */
	EVENT_STATUS_DELETED,  /* id: gone; the fields below say where it was */
	EVENT_NOTIFICATION,    /* id: notification of account_id */
	EVENT_SESSIONS_ENDED,  /* tokens were deleted (revoked, a new
				* password, an account gone) */
	EVENT_FILTERS_CHANGED, /* account_id's filters changed */
	EVENT_NOTIFICATIONS_MERGED, /* account_id accepted a request: the
				     * held notifications joined the list */
} event_kind;
typedef struct event {
	event_kind kind;
	int64_t id;
	int64_t account_id; /* the author; a notification's recipient */
	/* deleted statuses: what the store no longer has */
	visibility vis;
	bool reblog;
	int64_t reblog_of;    /* a deleted boost's post (this process only) */
	const char *entities; /* its tags and mentions (status.entities) */
} event;
typedef void (*event_sink)(const event *e);
/* Install the one listener (NULL: none, the default). */
void events_listen(event_sink sink);
/* A second listener, for federation: hears only the events published in
 * this process (not those relayed from others), so one process tells
 * other servers of each (NULL: none, the default). */
void events_federate(event_sink sink);
/* Federation's say on a new local status before it is written: the kind
 * of job (its argument the status's id) that tells other servers of it,
 * queued in the status's own transaction so a post and its telling
 * commit together; NULL when no other server is to hear of it. */
typedef const char *(*status_federation)(const status *s);
void events_federate_statuses(status_federation fn);
/* NULL when none is installed (the default). */
const char *events_status_job(const status *s);
void events_publish(const event *e);
/* Carry every published event, as text, to the other processes serving
 * the database (NULL: none, the default); and hand one they sent to the
 * listener here. */
typedef int (*event_relay)(const char *text);
void events_relay(event_relay fn);
void events_receive(const char *text);
/* ---- visibility.c ---- */
/* The one visibility check every read path uses: may viewer (0 =
 * anonymous) see s? Its visibility, mentions and the author's followers
 * say, and a blocked viewer sees nothing of the blocker. */
bool visibility_can_see(int64_t viewer, const status *s);
/* Where a status is read: the contexts of Mastodon's filters. */
typedef enum read_context {
	READ_HOME,	    /* the home timeline (and its stream) */
	READ_NOTIFICATIONS, /* notifications */
	READ_PUBLIC,	    /* public and tag timelines, search, trends */
	READ_THREAD,	    /* a thread's ancestors and replies */
	READ_PROFILE,	    /* an account's own timeline ("account") */
} read_context;
/* Whether a list read in ctx shows s (which viewer may see): not when
 * viewer blocks its author (or the boosted post's), or mutes them
 * (except on the muted one's profile; in notifications only a mute that
 * silences them), or blocks their domain, or a hide filter of viewer's
 * for ctx matches it (visibility_filtered); in READ_THREAD, not when it
 * is (or answers) a reply the thread's author hid. */
bool visibility_listed(arena *a, int64_t viewer, const status *s,
		       read_context ctx);
/* The same in a thread's list of hidden replies: READ_THREAD without
 * the thread's rule that leaves hidden replies out. */
bool visibility_hidden_reply_listed(arena *a, int64_t viewer, const status *s);
/* Whether acc is shown at all, to anyone: not when suspended (its
 * profile, pages and collections are gone, and searches do not find it;
 * visibility_account_listed says the same of an id in a list). */
bool visibility_account_shown(const account *acc);
/* The same for an account in a list read in ctx (favourited_by, the
 * sender of a notification). */
bool visibility_account_listed(arena *a, int64_t viewer, int64_t account_id,
			       read_context ctx);
/* The interaction policy a new status of visibility v has when its
 * author chose none (GoToSocial's defaults, by value). */
interaction_policy visibility_policy_default(visibility v);
/* The policy of s: stored, or its visibility's default. */
interaction_policy visibility_policy_of(const status *s);
/* May actor reply to (kind INTERACT_REPLY) or boost s? They must see it
 * (visibility_can_see) and be in the policy's audience; its author
 * always may. Reads s's id, author, visibility and in_reply_to_account_id
 * only. The insert's transaction asks again (store_set_interaction_rule). */
bool visibility_may_interact(int64_t actor, const status *s, interaction kind);
/* What becomes of a notification of type for recipient of an act by from
 * (on status_id, 0: none). Dropped when a block or a mute of
 * notifications stands between them, or recipient muted the thread of
 * status_id; else the recipient's notification policy decides (the
 * strictest answer of the conditions that hold: not followed, not a
 * follower, an account under 30 days old, an unsolicited private
 * mention), unless recipient accepted a request of from's before. */
typedef enum notification_fate {
	NOTE_DELIVER,
	NOTE_FILTER, /* kept in from's notification request */
	NOTE_DROP,
} notification_fate;
notification_fate visibility_notification_fate(arena *a, int64_t recipient,
					       int64_t from, const char *type,
					       int64_t status_id);
/* One of the viewer's filters that a status matched (Mastodon's
 * FilterResult): the filter without its rules, the keywords that matched
 * (as the viewer wrote them) and the filtered status ids that did. */
typedef struct filter_result {
	const store_filter *filter;
	const char **keyword_matches;
	size_t nkeyword_matches;
	int64_t *status_matches;
	size_t nstatus_matches;
} filter_result;
/* The viewer's active filters of ctx that s (or what it boosts)
 * matches, in *out (arena), their count. The viewer's own posts match
 * none. Matching reads no database: the filters are kept with the
 * relations, their keywords folded (filter_pattern). */
size_t visibility_filtered(arena *a, int64_t viewer, const status *s,
			   read_context ctx, filter_result **out);
/* The contexts (bits 1 << read_context) some active filter of viewer's
 * applies in; 0 when none does. A stream asks once per reader, and again
 * when the reader's filters change, so that a reader without filters
 * costs a delivery no filter check. */
unsigned visibility_filter_contexts(int64_t viewer);
/* Everyone a list would not show s to (visibility_listed turned around,
 * for a stream's many readers at once): ascending ids in *out (arena),
 * their count: who blocks or mutes its author (or the boosted post's),
 * whom they block, and who blocks their domain. */
size_t visibility_hidden_from(arena *a, const status *s, int64_t **out);
bool visibility_hidden_has(const int64_t *ids, size_t n, int64_t account);
/* The versions of s (which viewer may see) that viewer may read, oldest
 * first, in *out (arena memory); returns their count. A status never
 * edited has one version, s itself. Only the newest versions whose stored
 * text plus overhead bytes each fits max_bytes are read (always one). */
size_t visibility_history(arena *a, int64_t viewer, const status *s,
			  size_t overhead, size_t max_bytes, status **out);
/* Load a status (and its reblog target) if viewer may see it. The author
 * is not loaded: ask status_author. */
bool status_load_visible(arena *a, int64_t viewer, int64_t id, status *out);
/* The same, and only when a list read in ctx shows it. */
bool status_load_listed(arena *a, int64_t viewer, int64_t id, read_context ctx,
			status *out);
/* The author of s, loaded on first use and remembered in s->account for
 * the rest of the request; NULL if the account is gone. */
const account *status_author(arena *a, const status *s);

/* ---- conversations.c ----
 * Private conversations (Mastodon's /api/v1/conversations): an account's
 * threads of direct statuses, one per thread, read through the one
 * visibility rule in the notifications' context (a direct message is a
 * private mention: what hides a mention's notification hides it). */
/* Whether direct status s reaches recipient's conversation list (its
 * author's always). The notification policy's hook: a private mention
 * it filters or drops, or that a block, mute or muted thread stops,
 * does not arrive, as in Mastodon, where NotifyService adds the
 * conversation only with a delivered mention. */
bool conversation_reaches(arena *a, int64_t recipient, const status *s);
/* Record a new direct status s, mentioning mentions[0..n), in the
 * conversations of its author and of those it reaches. Call before
 * publishing s: the direct stream reads what this wrote. */
void conversations_record(arena *a, const status *s, const int64_t *mentions,
			  size_t n);
/* A conversation as viewer is shown it: its last status and the other
 * participants viewer may list (arena memory). */
typedef struct conversation_view {
	store_conversation row;
	status *last_status;
	account *accounts;
	size_t naccounts;
} conversation_view;
/* Load row as viewer (its owner) is shown it into *out; false when
 * the list hides it: its last status is gone or hidden (a block or
 * mute of its author, a hide filter for notifications), or every other
 * participant is. */
bool conversation_view_load(arena *a, int64_t viewer,
			    const store_conversation *row,
			    conversation_view *out);
/* A page of viewer's conversations as the list shows them, newest last
 * status first, in out (at least p->limit entries); their count. The
 * Link cursors (last status ids of the first and last rows read, shown
 * or not) go to *next_max_id and *prev_min_id (0: none). Hidden ones
 * are refilled from further down, a few batches at most. */
size_t conversations_page(arena *a, int64_t viewer, const page *p,
			  conversation_view *out, int64_t *next_max_id,
			  int64_t *prev_min_id);

/* ---- timelines.c ---- */
typedef struct status_page {
	status **items;
	size_t count;
	/* cursors for Link: the ids to put in max_id / min_id (0 = none) */
	int64_t next_max_id, prev_min_id;
} status_page;
/* Whether a status belongs on the public timelines: public, not a
 * boost, not a reply to someone else (the STORE_FEED_PUBLIC rule). */
bool timeline_public_has(const status *s);
/* Fill up to p->limit visible statuses from a feed (store_feed kind). */
void timeline_feed(arena *a, int64_t viewer, int kind, int64_t arg,
		   int64_t arg2, const page *p, status_page *out);
/* Optional extra filter for timeline_feed_filtered: keep s or not. */
typedef bool (*status_filter)(const status *s, void *ctx);
void timeline_feed_filtered(arena *a, int64_t viewer, int kind, int64_t arg,
			    int64_t arg2, const page *p, status_filter keep,
			    void *ctx, status_page *out);
/* Statuses by id list, keeping only those a list read in where shows
 * (order kept). */
void timeline_from_ids(arena *a, int64_t viewer, const int64_t *ids, size_t n,
		       read_context where, status_page *out);
typedef struct context {
	status **ancestors, **descendants;
	size_t nancestors, ndescendants;
	bool truncated; /* more descendants than returned */
} context;
/* Thread context; limits per Mastodon (anonymous caps lower). Each list
 * also stops once its statuses' stored text reaches [statuses]
 * list_max_bytes: ancestors keep the nearest, descendants set
 * truncated so the rest is read through timeline_descendants. */
void timeline_context(arena *a, int64_t viewer, const status *s,
		      size_t max_ancestors, size_t max_descendants,
		      context *out);
/* Descendants of s in thread order after the status after_id (0 = from
 * the start), at most limit visible ones and at most list_max_bytes
 * of stored text (always at least one); the chorus extension for
 * movement-sized threads. *more set when another page exists. */
void timeline_descendants(arena *a, int64_t viewer, const status *s,
			  int64_t after_id, size_t limit, status_page *out,
			  bool *more);

/* The hidden replies under s in its thread (the replies its thread's
 * authors hid, not what is under them) that viewer may see, in thread
 * order, at most limit, into out (arena). */
void timeline_hidden_replies(arena *a, int64_t viewer, const status *s,
			     size_t limit, status_page *out);
/* The same as a page by the replies' ids (max_id, since_id, min_id,
 * limit), newest first, with its Link cursors. */
void timeline_hidden_replies_page(arena *a, int64_t viewer, const status *s,
				  const page *p, status_page *out);

/* ---- trends.c (the score arithmetic is in domain/trends.h) ---- */
/* The tags trending at now, best first, from offset on, at most limit:
 * ids and names (arena). The public list holds the tags allowed to trend (with
 * [trends] require_review only approved ones, else all but rejected);
 * review_list holds every candidate, for moderators. */
size_t trends_tags_page(arena *a, bool review_list, int64_t now, int offset,
			int limit, int64_t *ids, const char **names);
/* Whether a tag under this review may trend: approved yes, rejected no,
 * unreviewed unless [trends] require_review. */
bool trends_tag_trendable(tag_review review);
/* The statuses trending at now, best first, from offset on: out->items
 * (arena) holds those of at most limit candidates that viewer may see.
 * Returns the number of candidates read (limit when more may follow). */
size_t trends_statuses_page(arena *a, int64_t viewer, int64_t now, int offset,
			    int limit, status_page *out);
/* The tag's public posts (not boosts) and distinct people posting them
 * per UTC day, for the days (≤ TREND_CHART_DAYS) days ending with the day
 * of now, oldest first: posts[days - 1] is today. Deleted posts still
 * count (the day counters, as Mastodon's history). */
void trends_tag_days(int64_t tag_id, int64_t now, int days, int64_t *posts,
		     int64_t *voices);
/* The threads with the most replies on now's UTC day, busiest first: the
 * public roots a list shows viewer (visibility_listed) in out (arena), at
 * most limit. tag_id 0: all threads; else those whose root or one of the
 * day's replies carries the tag. Reads the top of an index. */
void trends_busiest_threads(arena *a, int64_t viewer, int64_t tag_id,
			    int64_t now, int limit, status_page *out);
/* ---- search.c ---- */
/* A search query as Mastodon's search box reads it: words, "quoted
 * phrases" and operators, each optionally negated with '-' ('+' is
 * accepted and means nothing more). Operators: from:user (from:@user,
 * from:me, from:user@our.domain), has:media|image|video|audio,
 * is:reply|sensitive, language:xx, before:/after:/during:YYYY-MM-DD (UTC
 * days) and in:library (posts of one's own, mentioning one, favourited or
 * bookmarked). A word with another "name:" is text. */
typedef struct search_query {
	store_search_term *terms; /* the words and phrases, arena */
	size_t nterms;
	const char *from; /* the from: value without '@', or NULL */
	bool from_negated;
	store_tri media, reply, sensitive;
	const char *media_type; /* has:image/video/audio, else NULL */
	const char *language;
	bool library;
	int64_t after_ms, before_ms; /* created in [after, before); 0 open */
	bool impossible; /* an operator no post satisfies (has:poll) */
} search_query;
/* Parse q (valid UTF-8). DOM_INVALID with *msg for a malformed date, a
 * negated date or language, or more than [search] max_terms clauses. */
dom_err search_query_parse(arena *a, const char *q, search_query *out,
			   const char **msg);
/* Whether q has an operator that narrows the statuses (so a query of
 * operators alone lists statuses, as in Mastodon). */
bool search_query_has_filter(const search_query *q);
/* YYYY-MM-DD (from 1970) → the UTC midnight starting it, in ms. */
bool search_parse_date(const char *s, int64_t *ms);
/* What /api/v2/search asks besides q. */
typedef struct search_options {
	int limit, offset;
	int64_t max_id, min_id; /* statuses: exclusive id bounds, 0 = none */
	int64_t account_id;	/* statuses: only this author's, 0 = any */
	bool following;		/* accounts: only those the viewer follows */
	bool resolve; /* another server may be asked (a signed-in viewer) */
} search_options;
/* How what a URL names is found on another server (fed/ installs it):
 * a post (*status_id) or an account (*acc); false when neither. */
typedef bool (*url_resolver)(arena *a, const char *url, account *acc,
			     int64_t *status_id);
void search_resolve_with(url_resolver fn);
/* What url names, fetched from its server when not known (o->resolve):
 * a post viewer may see (*s, true returned with *is_status), or an
 * account (*acc). False when it names nothing viewer may see. Blocks on
 * the network: call off the I/O threads. */
bool search_url(arena *a, int64_t viewer, const char *url, bool resolve,
		account *acc, status *s, bool *is_status);
/* Statuses matching q that viewer may see, newest first: at most
 * o->limit after skipping o->offset visible ones (past [search]
 * max_offset: none). A query without a wanted word or a filter finds
 * nothing. */
void search_statuses(arena *a, int64_t viewer, const search_query *q,
		     const search_options *o, status_page *out);
/* Accounts for q ("name", "@name", "name@our.domain"; another domain:
 * the one account of that handle, asked of its server when not known
 * and o->resolve): the exact username first,
 * then usernames starting with q, then accounts whose name holds q's
 * words, by followers. At most o->limit into out. */
size_t search_accounts(arena *a, int64_t viewer, const char *q,
		       const search_options *o, account *out);
/* Hashtags whose key starts with q's (a leading '#' dropped), the exact
 * one first even when nobody used it yet (then ids[i] is 0), then by
 * last use. At most o->limit into ids and names (arena). */
size_t search_hashtags(arena *a, const char *q, const search_options *o,
		       int64_t *ids, const char **names);

/* ---- media.c ---- */
#define MEDIA_JOB "media" /* the job kind that processes video and audio */

/* Create data_dir/media and its tmp/ and src/ folders, and empty tmp/
 * (what a dead process was writing): for the server. 0 or -1. */
int media_dirs_init(const char *data_dir);
/* Only point at data_dir/media: for commands run beside a server. */
void media_dirs_use(const char *data_dir);
/* Where the HTTP layer streams uploads (data/media/tmp): the same file
 * system as the media, so an upload is kept by rename. Static. */
const char *media_upload_dir(void);
/* data/media/name, arena memory. */
char *media_file_path(arena *a, const char *name);

/* An upload as the API received it. */
typedef struct media_upload {
	const char *path; /* temp file with the bytes; taken by rename */
	size_t size;
	const char *thumbnail_path; /* a user-chosen preview, or NULL */
	size_t thumbnail_size;
	const char *description, *focus; /* NULL when not sent */
} media_upload;

/* Take an upload: an image is processed now (*out ready); video, GIF
 * animation and audio are queued (*out processing) unless wait, which
 * processes them before returning (API v1). */
dom_err media_create(arena *a, const principal *p, const media_upload *u,
		     bool wait, media_attachment *out, const char **msg);
/* The principal's own attachment, or DOM_NOT_FOUND. */
dom_err media_get(arena *a, const principal *p, int64_t id,
		  media_attachment *out);
/* Change description, focus or thumbnail of an unattached upload. */
dom_err media_update(arena *a, const principal *p, int64_t id,
		     const media_upload *u, media_attachment *out,
		     const char **msg);
/* Delete an unattached upload and its files. */
dom_err media_delete(arena *a, const principal *p, int64_t id,
		     const char **msg);
/* Check media_ids[] for a post (status_id 0) or an edit: the principal's,
 * ready, unattached or already on that status, at most the configured
 * number, a video/audio alone. *out gets the ids, deduplicated. */
dom_err media_resolve(arena *a, const principal *p, const char *const *ids,
		      size_t n, int64_t status_id, int64_t **out, size_t *nout,
		      const char **msg);
/* The local account's profile was changed (its followers elsewhere
 * hear of it). */
void account_profile_changed(int64_t id);
/* Delete an account with all it posted and uploaded, its files too. */
dom_err account_delete(arena *a, int64_t id);
/* Process an avatar (or, with header, a header image) upload into a new
 * file under the media directory; *name gets its name (arena). The
 * caller stores the name and then removes the old file. */
dom_err media_profile_image(arena *a, const char *path, size_t size,
			    bool header, const char **name, const char **msg);
/* Remove one file of the media directory by name (NULL: nothing). */
void media_remove_name(const char *name);
/* Remove an attachment's files (after its row is gone). */
void media_remove_files(const media_attachment *m);
/* The MEDIA_JOB handler: 0 when the attachment is settled, -1 to retry
 * later (*error says why). */
int media_job_run(int64_t id, const char **error);
/* Delete uploads never attached within [media] unattached_hours. */
void media_sweep(void);

/* ---- social.c ---- */
/* Follow target; locked targets get a request. */
dom_err account_follow(arena *a, const principal *p, int64_t target,
		       bool reblogs, bool notify);
dom_err account_unfollow(arena *a, const principal *p, int64_t target);
dom_err follow_request_decide(arena *a, const principal *p, int64_t from,
			      bool accept);
/* A post of another server's account (s->account_id), as its Create
 * said: fed/ fills s (content sanitised, spoiler_text, sensitive, vis,
 * language, in_reply_to_id of a post known here or 0, entities,
 * created_at, uri, url), its tags and the local accounts it mentions.
 * Stored as a local post is (home feeds, tag timelines, trends,
 * streams, mention notifications); once, however often delivered.
 * DOM_FORBIDDEN: a reply its parent's rules refuse. */
dom_err remote_status_post(arena *a, status *s, const store_tag_ref *tags,
			   size_t ntags, const int64_t *mentions,
			   size_t nmentions);
/* The same for n posts, written in one transaction (p[i].rc: each
 * one's outcome, as store_remote_statuses_insert's): a flood of them
 * takes the write lock, and changes what readers see, once a batch. */
void remote_statuses_post(arena *a, store_new_status *p, size_t n);
/* Another server's edit of a post kept here: s as for
 * remote_status_post (uri and account_id name the post and its author;
 * edited_at its time, 0: now; media_ids the attachments it lists, in
 * order, NULL: those it has are kept). An edit older than the last one
 * kept is let go. DOM_NOT_FOUND: no such post of that author. */
dom_err remote_status_edit(arena *a, const status *s, const store_tag_ref *tags,
			   size_t ntags, const int64_t *mentions,
			   size_t nmentions);
/* Another server's account boosts post id (uri: its Announce), under
 * the rules a local boost meets; once, however often delivered. */
dom_err remote_reblog(arena *a, int64_t account_id, int64_t id, visibility vis,
		      const char *uri);
/* That account's boost whose Announce is uri is undone. */
dom_err remote_unreblog(arena *a, int64_t account_id, const char *uri);
/* Delete author's post whose id is uri; DOM_NOT_FOUND when it has none
 * such. */
dom_err remote_status_delete(arena *a, int64_t author, const char *uri);
/* Acts toward another server's account, which it must be told of: a
 * follow asked (id: the request's), ended, or an account's request
 * answered (uri: the request's Follow). Published after the write;
 * fed/ listens and delivers. */
typedef enum social_act_kind {
	ACT_FOLLOW,
	ACT_UNFOLLOW,
	ACT_ACCEPT,
	ACT_REJECT,
	ACT_LIKE,    /* id: the post favourited (object: its author) */
	ACT_UNLIKE,  /* id: the post no longer favourited */
	ACT_BLOCK,   /* object: the account blocked */
	ACT_UNBLOCK, /* object: the account unblocked */
	ACT_PROFILE, /* the actor's profile changed (object: 0) */
	ACT_FLAG,    /* id: a report of object forwarded to its server */
} social_act_kind;
typedef struct social_act {
	social_act_kind kind;
	int64_t actor, object; /* local actor; the remote account */
	int64_t id;
	const char *uri;
	int64_t ref; /* a like's or block's row id: what names it there */
} social_act;
typedef void (*social_act_sink)(const social_act *act);
void social_acts_listen(social_act_sink sink);
/* Another server's actor follower asked to follow local target (uri:
 * its Follow): it follows now, or asks (a locked account, notified), or
 * is refused (a block either way, a target that is not local). */
typedef enum remote_follow_result {
	REMOTE_FOLLOWED,
	REMOTE_REQUESTED,
	REMOTE_REFUSED,
} remote_follow_result;
remote_follow_result remote_follow(arena *a, int64_t follower, int64_t target,
				   const char *uri);
/* follower no longer follows target, nor asks to (another server's
 * Undo; account_unfollow's write). */
dom_err follow_end(int64_t follower, int64_t target);
/* target (another server's) accepted or refused local follower's
 * request; a refusal ends a follow too. DOM_NOT_FOUND: nothing asked. */
dom_err remote_follow_answered(int64_t follower, int64_t target, bool accepted);
enum {
	MUTE_MAX_SECONDS = 366 * 86400 * 10, /* a decade at most */
	DOMAIN_MAX = 253,		     /* a DNS name's longest */
};
/* Block (on) or unblock target: a block ends follows and requests both
 * ways at once. DOM_NOT_FOUND, DOM_INVALID (oneself) with *msg. */
dom_err account_block(arena *a, const principal *p, int64_t target, bool on,
		      const char **msg);
/* Mute (on) or unmute target, its notifications too or not, for seconds
 * (0: until unmuted). DOM_NOT_FOUND, DOM_INVALID with *msg. */
dom_err account_mute(arena *a, const principal *p, int64_t target, bool on,
		     bool notifications, int64_t seconds, const char **msg);
/* Block (on) or unblock a whole domain for p. DOM_INVALID with *msg for
 * something not a host name, or our own. */
dom_err domain_block(arena *a, const principal *p, const char *domain, bool on,
		     const char **msg);
/* Instance blocks (chorus domain block): another server's traffic
 * limited. Silenced, its accounts reach only those here who follow
 * them; suspended, nothing of it is fetched, taken or sent, and what was
 * kept of it goes. */
typedef enum instance_severity {
	INSTANCE_OPEN = 0,
	INSTANCE_SILENCED = 1,
	INSTANCE_SUSPENDED = 2,
} instance_severity;
/* A block of another server, as an admin or the shell asks it. */
typedef struct instance_block_request {
	const char *domain;
	instance_severity severity;
	bool reject_media;
	const char *public_comment, *private_comment; /* NULL: none */
	const account *by; /* who (an admin), or NULL with shell */
	bool shell;
} instance_block_request;
/* Block rq->domain (and its subdomains), or change its block, logged in
 * the audit log; *out as kept. On suspension an INSTANCE_PURGE_JOB is
 * queued with it. DOM_FORBIDDEN when rq->by is no admin; DOM_INVALID
 * with *msg for a bad domain, our own, a bad severity or a comment too
 * long. */
dom_err instance_block(arena *a, const instance_block_request *rq,
		       store_instance_block *out, const char **msg);
#define INSTANCE_PURGE_JOB "instance_purge"
/* The INSTANCE_PURGE_JOB handler: the accounts kept of every suspended
 * server are deleted. */
int instance_purge_job(int64_t arg, const char **error);
/* Lift the block of domain, logged: by (an admin), or the shell.
 * DOM_NOT_FOUND (with *msg) when domain is not blocked. */
dom_err instance_unblock(arena *a, const account *by, bool shell,
			 const char *domain, const char **msg);
/* How the server at host (a name, perhaps with a port) is treated: the
 * block of the host, or of the nearest domain above it. *reject_media
 * (may be NULL) says whether its media are refused. */
instance_severity instance_policy(arena *a, const char *host,
				  bool *reject_media);
/* ---- filters.c ---- */
typedef enum filter_action {
	FILTER_WARN = 0, /* shown, with Status.filtered */
	FILTER_HIDE = 1, /* left out of lists server-side */
	FILTER_BLUR = 2, /* shown blurred (Mastodon 4.4) */
} filter_action;
enum {
	FILTER_TITLE_MAX = 256,		       /* characters, as Mastodon */
	FILTER_KEYWORD_MAX = 512,	       /* bytes of one keyword */
	FILTER_EXPIRES_MAX = MUTE_MAX_SECONDS, /* expires_in's longest */
	FILTER_CONTEXTS_ALL = (1 << 5) - 1,    /* every read_context */
	FILTER_BUCKETS = 1024,		       /* matcher hash buckets */
};
/* Mastodon's names of a context (home, notifications, public, thread,
 * account) and of an action; static strings. The parsers return -1 for
 * a name that is none. */
const char *filter_context_name(read_context c);
int filter_context_parse(const char *name);
const char *filter_action_name(int action);
int filter_action_parse(const char *name);

/* A change to a filter as a client sends it; NULL / false: unchanged
 * (on create, title and contexts are required, the action is warn). */
typedef struct filter_change {
	const char *title;
	const char *const *contexts;
	size_t ncontexts;
	const char *action;
	bool has_expires;
	int64_t expires_in; /* seconds; 0: never */
	/* keywords to add (id 0) or update (id), ids to delete */
	store_filter_keyword *keywords;
	size_t nkeywords;
	const int64_t *destroy;
	size_t ndestroy;
} filter_change;
/* Create (id 0) or update one of p's filters; *out receives it as
 * stored (arena). DOM_NOT_FOUND (not p's), DOM_INVALID with *msg; on
 * failure nothing is changed. */
dom_err filter_save(arena *a, const principal *p, int64_t id,
		    const filter_change *c, store_filter *out,
		    const char **msg);
/* Add (k->id 0) or update a keyword of one of p's filters (k->filter_id);
 * k->id receives a new keyword's id. DOM_NOT_FOUND, DOM_INVALID. */
dom_err filter_keyword_save(const principal *p, store_filter_keyword *k,
			    const char **msg);
/* Filter status_id (which p may see) under p's filter; fs->id receives
 * the new id. DOM_NOT_FOUND, DOM_INVALID (already filtered there). */
dom_err filter_status_add(arena *a, const principal *p, int64_t filter_id,
			  int64_t status_id, store_filter_status *fs,
			  const char **msg);
/* Delete one of p's filters, keywords (v1: with its filter when nothing
 * else is left in it) or filtered statuses. DOM_NOT_FOUND when it is
 * not p's. Every change to p's filters, these and the saves above, is
 * told to p's streams (EVENT_FILTERS_CHANGED) after it committed. */
dom_err filter_remove(const principal *p, int64_t id);
dom_err filter_keyword_remove(const principal *p, int64_t id, bool v1);
dom_err filter_status_remove(const principal *p, int64_t id);

/* Matching. A keyword becomes a pattern: its search tokens
 * (text_search_tokens: NFKC, case and Latin diacritics folded, each Han
 * ideograph or kana its own token) joined by single spaces, between
 * spaces when whole_word; so "Café" matches "cafe", "cat" as a whole
 * word does not match "category", and a Han keyword matches inside a Han
 * run, where no spaces separate words. A keyword with no letters or
 * digits (an emoji) is matched as it is written. A status's texts become
 * the haystack the same way (filter_haystack), and the matcher finds
 * every pattern in it in one pass over the haystack, buckets keyed by
 * the pattern's first two bytes. */
const char *filter_pattern(arena *a, const char *keyword, bool whole_word);
typedef struct filter_matcher {
	const char *const *patterns;
	size_t *lens;
	size_t n;
	uint32_t head[FILTER_BUCKETS]; /* 1 + the first pattern, 0: none */
	uint32_t *next;		       /* 1 + the next in the bucket */
	uint32_t *singles;	       /* one-byte patterns */
	size_t nsingles;
	bool raw; /* some pattern is matched as written */
} filter_matcher;
/* Compile n patterns (kept by pointer) into m; arena memory. */
void filter_matcher_build(filter_matcher *m, arena *a,
			  const char *const *patterns, size_t n);
/* The texts (NULL ones skipped) folded as patterns are, " tok tok … ",
 * in *len bytes (arena): the same for every reader, so visibility.c
 * keeps a status's in cache_folds. */
const char *filter_fold(arena *a, const char *const *texts, size_t ntexts,
			size_t *len);
/* What m scans: the folded texts, and after them the texts as written
 * when some pattern is matched as written; *len bytes. */
const char *filter_haystack(arena *a, const filter_matcher *m,
			    const char *folded, size_t folded_len,
			    const char *const *texts, size_t ntexts,
			    size_t *len);
/* Set hit[i] for every pattern i found in the haystack; the number of
 * patterns found. */
size_t filter_matcher_scan(const filter_matcher *m, const char *hay, size_t len,
			   bool *hit);

/* Accept (or, !accept, dismiss) the account's notification request id:
 * 0, 1 when it has no such request, -1 on failure. An accepted
 * request's notifications join the list in one transaction, and the
 * account's streams are told after it (notifications_merged). */
int notification_request_decide(int64_t account_id, int64_t id, bool accept);

/* ---- moderation.c: reports, and their review by the staff ---- */
enum {
	REPORT_COMMENT_MAX = 1000, /* characters, as Mastodon's */
	REPORT_STATUSES_MAX = 100,
	REPORT_RULES_MAX = 64,
};
typedef struct report_request {
	int64_t target_id;
	const int64_t *status_ids;
	size_t nstatus_ids;
	const char *comment;  /* NULL: none */
	const char *category; /* NULL: "violation" with rules, else "other" */
	const int64_t *rule_ids;
	size_t nrule_ids;
	bool forward; /* a target elsewhere: tell its server (a Flag) */
} report_request;
/* p reports an account, with statuses of its that p can see: kept into
 * *out. DOM_NOT_FOUND (no such account, or a status not the target's or
 * hidden from p); DOM_INVALID (*msg: a category or rule unknown, a rule
 * outside "violation", a comment too long). A forwarded report of an
 * account elsewhere is told to fed/ (ACT_FLAG) once kept. */
dom_err report_file(arena *a, const principal *p, const report_request *rq,
		    store_report *out, const char **msg);
/* Another server's report (a Flag, id uri) by its actor reporter of
 * local account target, naming those of statuses that are target's. */
dom_err report_from_server(arena *a, int64_t reporter, int64_t target,
			   const int64_t *status_ids, size_t n,
			   const char *comment, const char *uri);
/* The staff's review: DOM_FORBIDDEN for anyone else. */
dom_err reports_review_list(arena *a, const principal *p,
			    const store_report_query *q, store_report *out,
			    size_t *n);
dom_err report_review_get(arena *a, const principal *p, int64_t id,
			  store_report *out);
/* The statuses report r names that are still there, loaded for the
 * staff reviewing it: all of them, whatever their visibility (they were
 * shown to the staff by the report). Returns how many, in *out. */
size_t report_statuses(arena *a, const store_report *r, status ***out);
/* Whether p may see the e-mail addresses of the accounts in a report
 * (an owner or admin; a moderator may not). */
bool report_shows_email(const principal *p);
/* Assign to p, unassign, resolve or reopen report id; *out as it is
 * after. */
dom_err report_review(arena *a, const principal *p, int64_t id,
		      store_report_change what, store_report *out);

/* ---- moderation.c: what moderators do to accounts ---- */
/* What moderators did to account id (STORE_MODERATED_* bits), from a
 * memo of this thread's, read again when any account's changed: the
 * visibility rule asks it on every status it shows. */
unsigned account_moderation(int64_t id);
bool account_suspended(int64_t id);
/* Whether s's media are shown as sensitive: its author marked them so,
 * or a moderator marks every post of the author's so. */
bool status_sensitive(const status *s);
/* acc as others see it: a suspended account without anything it wrote
 * (name, note, fields, images, counts); acc itself when not suspended,
 * else a copy in a. */
const account *account_shown(arena *a, const account *acc);
/* A moderator's action on an account: what (STORE_MOD_NONE only warns
 * and logs), or its undo; the report it answers (resolved with it) and
 * what the moderator wrote. */
typedef struct account_action {
	int64_t target_id;
	store_moderation what;
	bool undo;
	bool shell; /* from `chorus admin`, with the owner's reach */
	int64_t report_id;
	const char *text;
} account_action;
/* The action or undo named as the API and the shell name them (none,
 * suspend, unsuspend, silence, unsilence, sensitive, unsensitive,
 * disable, enable): false when name is none of them. */
bool account_action_parse(const char *name, store_moderation *what, bool *undo);
/* The job a local account's suspension (or its undo) queues with it:
 * fed/ tells other servers of it, as the account is when it runs. */
#define ACCOUNT_SUSPENSION_JOB "account_suspension"
/* by (NULL with act->shell) takes act, logged in the audit log with the
 * change, in one transaction. DOM_FORBIDDEN when by is not staff, does
 * not outrank the target (moderator < admin < owner < the shell), acts
 * on itself, or the account is so already (or not so, for an undo);
 * DOM_NOT_FOUND for no such account or a report not of it; DOM_INVALID
 * (*msg) for a disable of another server's account or a text too long.
 * A suspension or disable ends every session; a local account's
 * suspension, or its undo, queues an ACCOUNT_SUSPENSION_JOB with it. */
dom_err account_act(arena *a, const account *by, const account_action *act,
		    const char **msg);
/* Erase suspended account id now, logged: an admin's (or the shell's)
 * to do; DOM_FORBIDDEN when not suspended. */
dom_err account_erase(arena *a, const account *by, int64_t id, bool shell,
		      const char **msg);
/* Reject a sign-up waiting for approval: the account is deleted,
 * logged. DOM_FORBIDDEN when by is no staff member or the account is not
 * waiting. (An approval is account_act's STORE_MOD_APPROVE.) */
dom_err account_reject(arena *a, const account *by, int64_t id, bool shell,
		       const char **msg);
/* An invite (`chorus admin invite`), logged: up to max_uses sign-ups
 * (0: any number), for expires_in_ms (0: for ever); *out with its code.
 * DOM_FORBIDDEN when by is no staff member and not the shell;
 * DOM_INVALID for a negative count or time. */
dom_err invite_create(arena *a, const account *by, bool shell, int64_t max_uses,
		      int64_t expires_in_ms, store_invite *out,
		      const char **msg);
/* The job the shell queues after a change a running server may have
 * cached (`chorus admin`, `chorus user delete`): the server that runs it
 * forgets what it cached. */
#define CACHES_FORGET_JOB "caches_forget"
int caches_forget_job(int64_t arg, const char **error);
/* p deletes its own account, password confirming it: at once it is
 * suspended (gone from every read path, its sessions ended, other
 * servers sent a Delete of it), and an ACCOUNT_ERASE_JOB erases it and
 * its media once that Delete is out. DOM_FORBIDDEN (*msg) for a wrong
 * or missing password. */
dom_err account_delete_own(arena *a, const principal *p, const char *password,
			   const char **msg);
#define ACCOUNT_ERASE_JOB "account_erase"
/* The ACCOUNT_ERASE_JOB: erase account id if it is still suspended,
 * once nothing signed by it waits to be sent (until then it comes back
 * a minute later). */
int account_erase_job(int64_t id, const char **error);
/* Periodic: erase the accounts suspended more than 30 days ago. */
void account_suspensions_purge(void);
/* The name the audit log keeps for by (NULL: the shell). */
const char *moderator_name(arena *a, const account *by);
/* The staff's lists: DOM_FORBIDDEN for anyone else, and for a
 * moderator asking by e-mail or address (admins only); the audit log is
 * an admin's to read. */
dom_err admin_accounts_list(arena *a, const principal *p,
			    const store_account_query *q, account *out,
			    size_t *n);
dom_err admin_account_get(arena *a, const principal *p, int64_t id,
			  account *out);
dom_err admin_log_list(arena *a, const principal *p,
		       const store_admin_action_query *q,
		       store_admin_action *out, size_t *n);

/* ---- export.c: your data is yours ---- */
typedef enum export_kind {
	EXPORT_FOLLOWING,
	EXPORT_BLOCKS,
	EXPORT_MUTES,
	EXPORT_DOMAIN_BLOCKS,
	EXPORT_BOOKMARKS,
} export_kind;
/* The kind named following, blocks, mutes, domain_blocks or bookmarks:
 * false for another name. */
bool export_kind_parse(const char *name, export_kind *out);
/* What account me keeps of kind as the CSV file Mastodon exports
 * (accounts as user@domain, ours too; bookmarks as the posts' URIs),
 * in a. */
const char *account_export(arena *a, int64_t me, export_kind kind);
enum { IMPORT_ROWS_MAX = 5000 };
typedef struct import_result {
	size_t rows, done; /* read; done or so already */
} import_result;
/* p takes each row of csv (len bytes, a file account_export or
 * Mastodon wrote) as kind's act, through the rules that act has
 * (follow, block, mute, domain block, bookmark): accounts and posts
 * elsewhere are asked of their servers. Rows nothing comes of are
 * counted, not refused. DOM_INVALID (*msg) past IMPORT_ROWS_MAX rows.
 * Blocks on the network: off the I/O threads. */
dom_err account_import(arena *a, const principal *p, export_kind kind,
		       const char *csv, size_t len, import_result *out,
		       const char **msg);

/* The account's ActivityPub documents for its archive, as text in a:
 * its actor and its outbox (every post of its, a Create each); false
 * when they cannot be made. fed/ installs it. */
typedef bool (*archive_documents_fn)(arena *a, const account *acc,
				     const char **actor, const char **outbox);
void export_documents_with(archive_documents_fn fn);
/* Write local account me's archive to path as a .tar.gz: the five CSV
 * files under Mastodon's archive names, actor.json and outbox.json (when
 * fed/ installed their maker), and media_attachments/ with every file of
 * its media, avatar and header. 0, or -1 (nothing left at path). */
int account_archive(arena *a, int64_t me, const char *path);

/* Record a notification unless recipient == actor, or the recipient
 * would not be shown it (visibility_account_listed). */
void notify(int64_t recipient, const char *type, int64_t from,
	    int64_t status_id);
/* Tell the acts listener (social_acts_listen) of a local account's act
 * toward another server's (domain/ only). */
void act_publish(const social_act *act);

#endif
