/* fed.h — ActivityPub (issue 14): discovery (WebFinger, host-meta), the
 * documents of actors, posts and their collections, and the keys they
 * are signed with. Handlers here are fronts like api/'s: they read
 * through domain/ (the one visibility rule) and answer JSON-LD.
 *
 * Ids: an account is {base}/users/NAME, a post {base}/users/NAME/
 * statuses/ID (render/'s uri fields say the same), the instance actor
 * {base}/actor. Paths shared with the web pages (/users/NAME, /@NAME,
 * /@NAME/ID, /users/NAME/statuses/ID) answer a document when the
 * request's Accept asks for one (fed_wants_activity). docs/federation.md
 * says what is served and why. */
#ifndef CHORUS_FED_H
#define CHORUS_FED_H

#include "domain/domain.h"
#include "http/http.h"
#include "store/store.h"

#include <jansson.h>

/* The routes' auth value: fed_guard's (the web's is WEB_ROUTE, 100). */
#define FED_ROUTE 200

extern const http_route fed_routes[];
extern const size_t fed_nroutes;
/* Before a federation handler: its read snapshot; after it, the end. */
bool fed_guard(http_req *r, const http_route *route);
void fed_after(http_req *r);

/* ---- keys.c ---- */
/* A new RSA-2048 pair as PEM text (SubjectPublicKeyInfo and PKCS #8) in
 * a; false when OpenSSL fails. */
bool fed_key_generate(arena *a, store_key_pair *out);
/* The pair account_id (0: the instance actor) signs with, in a: made and
 * kept on first use; false when it cannot be made or kept (logged). */
bool fed_actor_key(arena *a, int64_t account_id, store_key_pair *out);
/* data signed with private_pem (RSASSA-PKCS1-v1_5, SHA-256), as base64
 * in a; NULL when the key does not load. */
const char *fed_sign(arena *a, const char *private_pem, const void *data,
		     size_t len);
/* How many keys were read from their PEM text since the process
 * started (a parsed key is kept: see keys.c). */
uint64_t fed_key_parses(void);
/* Whether sig_b64 is public_pem's RSA signature of data (as fed_sign
 * makes). False for anything malformed. */
bool fed_verify(const char *public_pem, const void *data, size_t len,
		const char *sig_b64);

/* ---- signature.c ----
 * HTTP signatures: draft-cavage (what the fediverse sends; chorus signs
 * with it) and RFC 9421 (Mastodon 4.5 sends it too; both are checked),
 * each over RSASSA-PKCS1-v1_5 with SHA-256. */
/* The request a signature is made for or checked against. */
typedef struct fed_request {
	const char *method; /* "POST" */
	const char *target; /* path and query, as sent: "/inbox?x=1" */
	const char *base;   /* scheme and authority: "https://host:port" */
	/* a header's value by name (any case), NULL when absent */
	const char *(*header)(void *ctx, const char *name);
	void *ctx;
} fed_request;
/* A signature found on a request, either kind. */
typedef struct fed_signature {
	bool rfc9421;		/* Signature-Input; else draft-cavage */
	const char *key_id;	/* the key to check it with */
	const char *algorithm;	/* as given, NULL when absent */
	const char *components; /* cavage: headers="…" (default "date");
				   9421: the inner list and its parameters,
				   as sent (what @signature-params signs) */
	const char *value;	/* base64 */
	int64_t created;	/* seconds, 0 when absent */
	int64_t expires;	/* seconds, 0 when absent */
} fed_signature;
/* How a request's signature stands. */
typedef enum fed_verdict {
	FED_SIG_OK = 0,
	FED_SIG_NONE,	    /* no signature on it */
	FED_SIG_MALFORMED,  /* one that cannot be read */
	FED_SIG_INCOMPLETE, /* what must be signed is not covered */
	FED_SIG_STALE,	    /* its date is outside the window */
	FED_SIG_DIGEST,	    /* the body is not the one signed */
	FED_SIG_INVALID,    /* the key did not make it */
	FED_SIG_WRONG_HOST, /* its Host is another server's */
	/* fed_verify_request's: */
	FED_SIG_BLOCKED, /* its server is suspended here */
	FED_SIG_NO_KEY,	 /* its key cannot be found */
	FED_SIG_FETCH,	 /* its key must be fetched: ask on a fetch thread */
} fed_verdict;
/* A short English reason for v (for a 401's error and the log). */
const char *fed_verdict_reason(fed_verdict v);
/* The signature on rq, in *out (strings in a): FED_SIG_OK, FED_SIG_NONE
 * or FED_SIG_MALFORMED. A 9421 signature is preferred when both are
 * sent; of several 9421 signatures, the first. */
fed_verdict fed_signature_find(arena *a, const fed_request *rq,
			       fed_signature *out);
/* Check sig (from fed_signature_find on rq) with public_pem, for a
 * request whose body is body (len 0: none) received at now_ms: what
 * must be covered is (the method and target, a date or created, the
 * body's digest when there is a body), the date is at most 12 hours
 * old and 1 hour ahead, the digest header matches the body, and the
 * key made the signature. */
fed_verdict fed_signature_check(arena *a, const fed_request *rq,
				const fed_signature *sig, const void *body,
				size_t len, const char *public_pem,
				int64_t now_ms);
/* The Digest header of body (draft-cavage's): "SHA-256=<base64>". */
const char *fed_digest(arena *a, const void *body, size_t len);
/* The Signature header value that signs rq's listed headers
 * (space-separated, lowercase; "(request-target)" for the method and
 * target) with key key_id / private_pem: keyId, algorithm rsa-sha256,
 * headers, signature. NULL when a listed header is missing or the key
 * does not load. */
const char *fed_sign_request(arena *a, const fed_request *rq,
			     const char *headers, const char *key_id,
			     const char *private_pem);

/* An IMF-fixdate ("Sun, 06 Dec 2026 10:00:00 GMT"), HTTP's Date. */
enum { FED_HTTP_DATE_LEN = 64 }; /* room for any int64 date */
void fed_http_date(int64_t ms, char out[FED_HTTP_DATE_LEN]);

/* ---- client.c ---- */
/* Who signs a request: the key's id and its private half. */
typedef struct fed_signer {
	const char *key_id, *private_pem;
} fed_signer;
/* account_id's signer (0: the instance actor), in a; false when the
 * account is gone or its key cannot be made (keys.c). */
bool fed_signer_of(arena *a, int64_t account_id, fed_signer *out);
typedef struct fed_response {
	long status;
	const char *body; /* NUL-terminated, in the arena */
	size_t len;
	const char *content_type; /* NULL when not sent */
} fed_response;
typedef enum fed_fetch_result {
	FED_FETCH_OK = 0,
	FED_FETCH_REFUSED,   /* not https, or an internal address */
	FED_FETCH_FAILED,    /* no answer, or not a 2xx one */
	FED_FETCH_TOO_LARGE, /* over [federation] max_document_bytes */
	FED_FETCH_GONE,	     /* 404 or 410 */
	FED_FETCH_MALFORMED, /* not a JSON object */
} fed_fetch_result;
/* Send method ("GET" or "POST", with body) to url, signed by signer,
 * under client.c's rules; the answer in *out (arena a). FED_FETCH_OK
 * whatever the status; else nothing was answered. */
fed_fetch_result fed_request_send(arena *a, const char *method, const char *url,
				  const char *body, size_t len,
				  const fed_signer *signer, fed_response *out);
/* GET the file at url (a remote post's image or video, an avatar), at
 * most max bytes, signed by the instance actor, into a new file beside
 * the uploads: its path (the caller removes it when the media pipeline
 * did not take it) and *size, or NULL. */
const char *fed_fetch_media(arena *a, const char *url, size_t max,
			    size_t *size);
/* GET the ActivityStreams document at url, signed by the instance actor:
 * the JSON object (the caller decrefs), or NULL with why. */
json_t *fed_fetch_document(arena *a, const char *url, fed_fetch_result *why);

/* ---- actors.c ---- */
/* Whether two URLs share scheme, host and port. */
bool fed_same_origin(arena *a, const char *u1, const char *u2);
/* The domain of uri as handles name it: its host[:port]; NULL when uri
 * is no URL. */
const char *fed_domain_of(arena *a, const char *uri);
/* Fetch the actor at uri, check it (an id on the host it came from, a
 * name fit for a handle, an inbox there, a key it owns) and keep it as
 * an account with a domain: *acc and *act, strings in a. False when it
 * cannot be fetched or is not an actor. */
bool fed_actor_fetch(arena *a, const char *uri, account *acc, store_actor *act);
/* Read the actor document doc, fetched from url, as kept here: true
 * with *acc and *act filled (strings in a; acc's id unset), false when
 * it is no actor chorus can keep (an id on url's host, a type of
 * actor, a name fit for a handle, an inbox there, a key it owns). Reads
 * and writes nothing else: fed_actor_keep's first half, callable on its
 * own for the fuzz target (tests/fuzz/fuzz_activity.c). */
bool fed_actor_read(arena *a, json_t *doc, const char *url, account *acc,
		    store_actor *act);
/* Check and keep the actor document doc, fetched from url. */
bool fed_actor_keep(arena *a, json_t *doc, const char *url, account *acc,
		    store_actor *act);
/* The actor at uri: kept (fetched within a day), else fetched now;
 * when it cannot be fetched, what was kept, if anything. */
bool fed_actor_resolve(arena *a, const char *uri, account *acc,
		       store_actor *act);
/* The actor that key_id belongs to: kept, or fetched (the key's
 * document, or its owner's); refresh: fetched again even when kept (a
 * signature that did not verify: the key may have rotated). False when
 * no actor owns that key. */
bool fed_actor_by_key(arena *a, const char *key_id, bool refresh,
		      store_actor *act);
/* The account user@host: kept, else found by WebFinger at host and
 * fetched. */
bool fed_actor_by_handle(arena *a, const char *user, const char *host,
			 account *acc);

/* ---- inbox.c ---- */
void fed_inbox(http_req *r); /* POST /inbox, /users/:name/inbox */
/* How many posts up a thread is fetched for a reply or boost. */
enum { FED_THREAD_DEPTH = 5 };
/* The post uri names: known here, or fetched from its server and kept
 * (public and unlisted ones only), the posts it answers first (up to
 * depth in all). 0 when it cannot be had. Blocks on the network: call
 * off the I/O threads. */
int64_t fed_note_fetch(arena *a, const char *uri, int depth);
/* The job that fetches the direct answers a post fetched for itself
 * lists (its replies collection's first page, at most FED_REPLIES_MAX),
 * so its thread is not only its ancestors. */
#define FED_REPLIES_JOB "fed_replies"
enum { FED_REPLIES_MAX = 20 };
int fed_replies_job(int64_t id, const char **error);
/* The post a Note (an object received or fetched) by sender reads as,
 * as the inbox reads it before keeping it: true with *s filled (its
 * sanitised content, entities, visibility, dates; strings in a), false
 * when it is not a Note attributed to sender on sender's host. Reads the
 * store (the local accounts it mentions, the post it answers); writes
 * nothing and fetches nothing. The front of inbox.c's parsing, for the
 * fuzz target (tests/fuzz/fuzz_activity.c). */
bool fed_note_read(arena *a, const store_actor *sender, json_t *note,
		   status *s);
/* What url names: another server's post (*status_id), or account
 * (*acc); fetched when not known. The search's resolver. */
bool fed_resolve_url(arena *a, const char *url, account *acc,
		     int64_t *status_id);
/* The "fed_inbox" jobs (jobs_batch_handler): process the kept
 * activities ids, in order, their posts written together (each row is
 * let go in its job's finish: store_inbox_done). */
void fed_inbox_jobs(const int64_t *ids, size_t n, int *rc, const char **error);

/* ---- deliver.c ---- */
/* Install the listener of domain/'s acts toward other servers and the
 * jobs that process and deliver activities. Before jobs_start. */
void fed_start(void);
/* Owe activity (its reference taken) from signer (0: the instance
 * actor) to inbox, and wake a worker to deliver it. 0 or -1. */
int fed_deliver(json_t *activity, int64_t signer, const char *inbox);
/* The Accept or Reject (type) by local actor from of remote actor to's
 * Follow follow_id, embedded as Mastodon matches it either way. */
json_t *fed_follow_answer(arena *a, const char *type, const char *from,
			  const char *to, const char *follow_id);
/* An actor of another server was just kept: posts may have an audience
 * elsewhere from now on (deliver.c checks nothing before that). */
void fed_federating(void);
/* The job of a new local post (or boost), queued in its transaction:
 * its Create (Announce), one delivery per inbox of its audience
 * elsewhere. */
#define FED_POST_JOB "fed_post"
int fed_post_job(int64_t id, const char **error);
/* The ACCOUNT_SUSPENSION_JOB: local account id's followers elsewhere
 * are told of its suspension (a Delete of its actor), or of its undo (an
 * Update with its profile), as the account is when it runs. */
int fed_suspension_job(int64_t id, const char **error);
/* Install the maker of an account's archive documents (its actor and
 * outbox, domain/export.c's account_archive); fed_start does. */
void fed_archive_install(void);
/* The "fed_fanout" job: one delivery per inbox of a post's audience
 * elsewhere (an edit's, a deletion's). */
int fed_fanout_job(int64_t id, const char **error);
/* The "fed_deliver" job: send one delivery; on a failure that may pass,
 * try again later (seconds, then minutes, hours, days). */
int fed_deliver_job(int64_t id, const char **error);

/* ---- routes.c ---- */
/* Whether the request's Accept asks for ActivityStreams JSON
 * (application/activity+json, or application/ld+json). */
bool fed_wants_activity(http_req *r);
/* Answer doc (its reference taken) as application/activity+json. */
void fed_reply(http_req *r, int status, json_t *doc);
/* How r's signature stands: FED_SIG_OK with the actor that made it in
 * *act, or why not. Its key is the one kept; a key not kept, or kept
 * and failing (keys rotate), is fetched only when may_fetch (else
 * FED_SIG_FETCH), never from a suspended server (FED_SIG_BLOCKED). */
fed_verdict fed_verify_request(http_req *r, bool may_fetch, store_actor *act);
/* A GET of a document that may depend on who asks (a followers-only
 * post): serve(r, viewer) with the account of the actor that signed it,
 * or 0 for anyone. An unsigned or unverified GET is anyone's, or 401
 * under [federation] authorized_fetch; a key to fetch is waited for on
 * a fetch thread. */
typedef struct fed_get {
	void (*serve)(http_req *r, int64_t viewer);
	bool for_anyone; /* the same for every viewer: checked only
			  * under authorized_fetch */
} fed_get;
void fed_get_signed(http_req *r, const fed_get *g);
/* The local account the path names: NAME (param i) or, with at, @NAME;
 * false after answering 404. */
bool fed_path_account(http_req *r, int i, bool at, account *out);
/* o's string property key; NULL when absent, empty or not a string. */
const char *fed_str(json_t *o, const char *key);
/* An id-valued property's id: a string, or an object's "id". */
const char *fed_id_of(json_t *v);
/* A property's values as a list (a new reference): ActivityStreams lets
 * one value stand alone, not in a list. */
json_t *fed_list(json_t *v);
/* The address of an Image, a Document or an attachment's url: the value
 * itself when a string, else its url (a string, a Link's href, or the
 * first of a list); NULL when none. */
const char *fed_media_url(json_t *v);
/* t (ms) as ActivityStreams writes dates: "2026-12-04T10:30:00Z". */
json_t *fed_time(int64_t ms);

/* ---- handlers ---- */
void fed_webfinger(http_req *r);      /* /.well-known/webfinger */
void fed_host_meta(http_req *r);      /* /.well-known/host-meta */
void fed_actor(http_req *r);	      /* /users/:name */
void fed_actor_at(http_req *r);	      /* /@name */
void fed_instance_actor(http_req *r); /* /actor */
void fed_status(http_req *r);	      /* /users/:name/statuses/:id */
void fed_status_at(http_req *r);      /* /@name/:id */
void fed_status_activity(http_req *r);
void fed_replies(http_req *r);
void fed_outbox(http_req *r);
void fed_followers(http_req *r);
void fed_following(http_req *r);
void fed_featured(http_req *r);
void fed_featured_tags(http_req *r);

/* ---- note.c ---- */
/* A document of post s, whose author is author, in a; with_context: a
 * document of its own (adds @context). NULL when it cannot be made. */
typedef json_t *(*fed_post_document)(arena *a, const status *s,
				     const account *author, bool with_context);
/* The Note (or, for a boost, the Announce) of s. */
json_t *fed_note(arena *a, const status *s, const account *author,
		 bool with_context);
/* The Create of s's Note (or s's Announce). */
json_t *fed_create(arena *a, const status *s, const account *author,
		   bool with_context);
/* The Person (or Service) of local acc, with its context; NULL when its
 * key cannot be made. */
json_t *fed_person(arena *a, const account *acc);
/* An edited local post's Update (s->edited_at names it), with its
 * context. */
json_t *fed_update(arena *a, const status *s, const account *author);

#endif
