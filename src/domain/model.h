/* model.h — the values domain/, store/ and render/ pass between them.
 *
 * Plain structs; strings point into the arena of whoever loaded them. */
#ifndef CHORUS_MODEL_H
#define CHORUS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum visibility {
	VIS_PUBLIC = 0,
	VIS_UNLISTED = 1,
	VIS_PRIVATE = 2,
	VIS_DIRECT = 3,
} visibility;

/* Who may reply to or boost a status, as GoToSocial's
 * interaction_policy values: bits of AUDIENCE_*. Anything in none of
 * them is refused (chorus has no approval flow); the author always may. */
enum {
	AUDIENCE_PUBLIC = 1,	/* whoever may see the status */
	AUDIENCE_FOLLOWERS = 2, /* the author's followers */
	AUDIENCE_FOLLOWING = 4, /* whom the author follows */
	AUDIENCE_MENTIONED = 8, /* mentioned in it, or the one it answers */
	AUDIENCE_AUTHOR = 16,
	AUDIENCE_ALL = 31,
};
typedef struct interaction_policy {
	unsigned can_reply, can_reblog; /* AUDIENCE_* bits; 0: unset */
} interaction_policy;
typedef enum interaction {
	INTERACT_REPLY,
	INTERACT_REBLOG,
} interaction;

typedef struct account {
	int64_t id;
	const char *username;
	const char *domain; /* NULL for local */
	const char *display_name;
	const char *note;      /* source text */
	const char *note_html; /* rendered */
	const char *fields;    /* JSON array of {name, value} */
	bool locked, bot, discoverable, sensitive;
	const char *privacy; /* default posting visibility */
	const char *language;
	int64_t created_at, last_status_at; /* ms; last 0 when none */
	int64_t statuses_count, followers_count, following_count;
	const char *avatar, *header; /* names under the media directory */
	const char *role; /* users only: owner/admin/moderator/user */
	const char *email;
	/* what moderators did (domain/moderation.c): each when, 0 when not */
	int64_t suspended_at, silenced_at, sensitized_at;
	/* users only: sign-in disabled; sign-up approved (false: waiting) */
	bool disabled, approved;
} account;

typedef enum media_state {
	MEDIA_PROCESSING = 0,
	MEDIA_READY = 1,
	MEDIA_FAILED = 2,
} media_state;

/* An uploaded file and what processing made of it. */
typedef struct media_attachment {
	int64_t id, account_id, status_id; /* status 0 while unattached */
	const char *type;		   /* image, gifv, video, audio */
	media_state state;
	const char *mime;    /* of file */
	const char *file;    /* name under the media directory, or NULL */
	const char *preview; /* small image or poster frame, or NULL */
	const char *source;  /* the upload awaiting processing, or NULL */
	const char *meta;    /* JSON object: original, small, focus, … */
	const char *description, *blurhash, *error; /* each may be NULL */
	double focus_x, focus_y;
	int64_t created_at;
} media_attachment;

typedef struct status {
	int64_t id, account_id;
	const char *text, *content, *spoiler_text, *language;
	visibility vis;
	bool sensitive;
	int64_t in_reply_to_id, in_reply_to_account_id, reblog_of_id;
	int64_t app_id;
	const char *entities; /* {"tags":[…],"mentions":[…]} JSON */
	/* writes only: the attachments to set, in order (on edit, NULL
	 * keeps the ones it has) */
	const int64_t *media_ids;
	size_t nmedia;
	/* writes only: the policy to store; unset (0s) keeps the default
	 * of its visibility (visibility_policy_default) */
	interaction_policy policy;
	/* writes only: a boost's notification, written in its transaction */
	struct notice *notice;
	/* writes only: a job (this kind, the status's id for its argument)
	 * queued in its transaction, or NULL: federation's (events.c) */
	const char *then_job;
	/* writes only: another server's post, its id and page (NULL for a
	 * local one; render/ reads them with store_status_remote) */
	const char *uri, *url;
	int64_t created_at, edited_at;
	int64_t replies_count, reblogs_count, favourites_count;
	/* where it sits in its thread (read only): the root's id, and the
	 * ids from the root down to it, 8 bytes each, big-endian (NULL for
	 * a boost) */
	int64_t thread_root_id;
	const unsigned char *thread_path;
	size_t thread_path_len;
	/* set on the status a request has just written (status_post), not
	 * on one read: its attachments and policy are media_ids and policy
	 * above, and none of its author's flags can be set yet (a reply's
	 * muted thread aside), so rendering it needs none of them read */
	bool written;
	/* filled by loaders */
	const account *account;
	struct status *reblog;
	const char *app_name, *app_website;
} status;

/* What the viewer has done to a status (filled per page, never cached). */
typedef struct status_flags {
	bool favourited, reblogged, bookmarked, pinned, muted;
} status_flags;

typedef struct app {
	int64_t id;
	const char *name, *website, *redirect_uris, *scopes;
	const char *client_id, *client_secret;
} app;

/* The authenticated principal of a request. */
typedef struct principal {
	int64_t token_id, app_id, account_id; /* account 0 for app tokens */
	const char *scopes;		      /* space-separated */
	const account *account;
	const app *app;
} principal;

typedef struct notification {
	int64_t id, account_id, from_account_id, status_id;
	const char *type;
	int64_t created_at;
	const char *group_key; /* the group it is shown in (grouped API) */
} notification;

/* The notification an act's write adds in its own transaction, as the
 * recipient's rules decided before it: told, held in the sender's
 * request (the notification policy), or nothing. One commit for the act
 * and its notification, and no act stored without it. */
typedef enum notice_how { NOTICE_NONE, NOTICE_TELL, NOTICE_HOLD } notice_how;
typedef struct notice {
	notification n;
	notice_how how;
	bool told; /* written to the list: publish it once committed */
} notice;

/* What a notification policy does with a kind of sender. */
typedef enum policy_action {
	POLICY_ACCEPT,
	POLICY_FILTER, /* to the notification requests */
	POLICY_DROP,
} policy_action;
typedef struct notification_policy {
	policy_action for_not_following, for_not_followers, for_new_accounts,
		for_private_mentions, for_limited_accounts;
} notification_policy;
/* The filtered notifications of one sender, waiting for a decision. */
typedef struct notification_request {
	int64_t id, account_id, from_account_id, last_status_id;
	int64_t created_at, updated_at, count;
} notification_request;

/* A group of notifications: favourites or boosts of one post, or
 * follows, within twelve hours; else one notification alone. */
typedef struct notification_group {
	const char *key, *type;
	int64_t status_id; /* 0: none */
	int64_t latest_id, oldest_id;
	int64_t latest_at; /* when the newest arrived (ms) */
	int64_t count;
} notification_group;

/* A moderator's review of a hashtag for the trends (stored as the
 * number). */
typedef enum tag_review {
	TAG_REVIEW_NONE = 0,
	TAG_REVIEW_APPROVED = 1,
	TAG_REVIEW_REJECTED = 2,
} tag_review;

/* A page request: Mastodon's max_id / since_id / min_id / limit. */
typedef struct page {
	int64_t max_id, since_id, min_id; /* 0 when absent */
	int limit;
} page;

#endif
