/* render.h — domain values → Mastodon JSON entities (jansson).
 *
 * Returned json_t values are new references owned by the caller (usually
 * handed straight to http_reply_json). Strings are copied into the JSON. */
#ifndef CHORUS_RENDER_H
#define CHORUS_RENDER_H

#include "core/arena.h"
#include "core/buf.h"
#include "domain/domain.h"
#include "domain/model.h"
#include "store/store.h"

#include <jansson.h>

/* Decimal string form of an id, arena memory. */
const char *render_id(arena *a, int64_t id);
json_t *render_time(int64_t ms);
json_t *render_account(arena *a, const account *acc);
/* An account's profile fields (account.fields) as Mastodon's Field
 * entities: names as typed, values as HTML. */
json_t *render_account_fields(arena *a, const char *fields_json);
/* A Tag entity with its last days' history (today first) and, when
 * following is 0 or 1 (not -1), whether the viewer follows it. id 0: a
 * tag nobody used yet (no "id"). */
json_t *render_tag(arena *a, int64_t id, const char *name, int following);
/* Append n Tags (as render_tag renders each) as a JSON array to b. */
void render_tags_into(arena *a, buf *b, const int64_t *ids,
		      const char *const *names, const int *following, size_t n);
/* An Admin::Tag entity: the Tag (with id and history) plus whether it may
 * trend, may be used, and still awaits a moderator's review. */
json_t *render_admin_tag(arena *a, int64_t id, const char *name, bool trendable,
			 bool requires_review);
/* A FeaturedTag entity of the account named username. */
json_t *render_featured_tag(arena *a, const store_featured_tag *f,
			    const char *username);
/* A MediaAttachment entity (url null until processed). */
json_t *render_media(arena *a, const media_attachment *m);
/* Account plus source and role, for verify/update_credentials. */
json_t *render_credential_account(arena *a, const account *acc);
/* One status with the viewer's flags (viewer 0 = anonymous). */
json_t *render_status(arena *a, const status *s, int64_t viewer);
/* Append a page of statuses as a JSON array to b. Viewer flags are
 * fetched once for the whole page; each status's fields and author come
 * from the render caches when present (core/cache.h). */
void render_statuses_into(arena *a, buf *b, status *const *items, size_t n,
			  int64_t viewer);
/* Append one status to b, as render_statuses_into renders each. */
void render_status_into(arena *a, buf *b, const status *s, int64_t viewer);
/* Append s as rendered without a viewer (no viewer flags: a stream's
 * shared payload), but with viewer's Status.filtered read in ctx. */
void render_status_filtered_into(arena *a, buf *b, const status *s,
				 int64_t viewer, read_context ctx);
/* The same as a jansson value, for embedding in other entities. */
json_t *render_statuses(arena *a, status *const *items, size_t n,
			int64_t viewer);
/* Filters (Mastodon's Filter v2, with its keywords and statuses when
 * with_rules; FilterKeyword; FilterStatus; the v1 Filter of one
 * keyword). */
json_t *render_filter(arena *a, const store_filter *f, bool with_rules);
json_t *render_filter_keyword(arena *a, const store_filter_keyword *k);
json_t *render_filter_status(arena *a, const store_filter_status *fs);
json_t *render_filter_v1(arena *a, const store_filter *f,
			 const store_filter_keyword *k);
/* Set where the statuses this thread renders next are read (the
 * filters' context of Status.filtered); the API guard resets it to
 * READ_THREAD, the context of one status shown alone, each request. */
void render_set_context(read_context ctx);
/* A Role entity: the role's name is its id (roles are fixed here). */
json_t *render_role(const char *role);
/* A Rule entity of [instance] rules: its position (from 1) is its id. */
json_t *render_rule(arena *a, int64_t position, const char *text);
/* Reports (moderation.c): the Report entity its reporter is shown, and
 * the Admin::Report the staff review (its accounts as Admin::Accounts,
 * their e-mail addresses only when with_email: an admin's view; its
 * statuses as loaded by report_statuses, rendered for viewer). */
json_t *render_report(arena *a, const store_report *r);
/* The staff's view of an account (Admin::Account): its e-mail and the
 * address it signed up from with with_private (an admin's view). */
json_t *render_admin_account(arena *a, const account *acc, bool with_private);
/* An entry of the audit log (a chorus extension's entity). */
json_t *render_admin_action(arena *a, const store_admin_action *l);
/* A block of another server (Admin::DomainBlock). */
json_t *render_admin_domain_block(arena *a, const store_instance_block *b);
json_t *render_admin_report(arena *a, const store_report *r,
			    status *const *statuses, size_t nstatuses,
			    int64_t viewer, bool with_email);
json_t *render_relationship(arena *a, int64_t viewer, int64_t target);
/* Append the Account of id (cached; loaded on a miss) to b; false (b
 * untouched) when there is no such account. */
bool render_account_into(arena *a, buf *b, int64_t id);
/* Append the Notifications viewer may be shown of items[0..n) as a JSON
 * array to b (the others are left out: a hidden sender, a hidden or gone
 * status); returns how many were written. */
size_t render_notifications_into(arena *a, buf *b, const notification *items,
				 size_t n, int64_t viewer);
/* Append one Notification object to b, or false (b untouched) when viewer
 * is not shown it. */
bool render_notification_into(arena *a, buf *b, const notification *n,
			      int64_t viewer);
json_t *render_app(arena *a, const app *ap, bool with_secret);
/* GoToSocial's InteractionPolicy: can_reply and can_reblog from p,
 * can_favourite from favourite's can_reply; with_approval always empty. */
json_t *render_interaction_policy(const interaction_policy *p,
				  const interaction_policy *favourite);
/* A Conversation entity as its owner viewer is shown it (the REST list
 * and the direct stream render it alike): id, unread, the other
 * participants, the last status with viewer's flags. */
json_t *render_conversation(arena *a, const conversation_view *v,
			    int64_t viewer);

#endif
