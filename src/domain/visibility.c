/* visibility.c — the one rule for who may see a status. Every read path
 * (lookup, timelines, context, lists, streams, pages) goes through
 * visibility_can_see, and every list through visibility_listed.
 *
 * Who may see: the status's visibility, its mentions and the author's
 * followers, and the author's blocks: a blocked reader sees nothing of the
 * blocker. What a list shows besides: nothing by (or boosted from) an
 * account the reader blocks or mutes, or on a domain it blocks; a mute
 * leaves the muted person's own profile as it was, and notifications
 * unless it silences them too.
 *
 * A reader's blocks, mutes and domain blocks are read once and kept: in
 * cache_relations (shared, invalidated when either side changes them)
 * and, for the thread's current request, in a memo, so a check is a
 * binary search. */
#include "core/buf.h"
#include "core/cache.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

/* The cached form: this header, then n relations, then the domains as
 * NUL-terminated strings. */
typedef struct relations_head {
	uint64_t n, ndomains;
	int64_t until; /* the earliest end of a mute (0: none ends) */
} relations_head;

typedef struct relations {
	int64_t reader;
	uint64_t epoch; /* cache_thread_epoch() when read */
	bool valid;
	int64_t until;
	const store_relation *rel;
	size_t n;
	const char **domains;
	size_t ndomains;
	arena a; /* what rel and domains point into */
} relations;

static _Thread_local relations memo;

static bool relations_decode(relations *r, const char *data, size_t len)
{
	relations_head h;
	if (len < sizeof h)
		return false;
	memcpy(&h, data, sizeof h);
	size_t need = sizeof h + h.n * sizeof(store_relation);
	if (need > len)
		return false;
	/* arena memory is aligned for any scalar; the header keeps it so */
	r->rel = (const store_relation *)(data + sizeof h);
	r->n = h.n;
	r->until = h.until;
	r->domains = arena_alloc(&r->a, (h.ndomains + 1) * sizeof(char *));
	const char *p = data + need, *end = data + len;
	for (r->ndomains = 0; r->ndomains < h.ndomains && p < end;
	     r->ndomains++) {
		r->domains[r->ndomains] = p;
		p += strlen(p) + 1;
	}
	return true;
}

static void relations_read(relations *r, int64_t now)
{
	store_relation *rel;
	const char **domains;
	size_t nd;
	size_t n =
		store_relations_of(&r->a, r->reader, now, &rel, &domains, &nd);
	relations_head h = {n, nd, 0};
	for (size_t i = 0; i < n; i++)
		if (rel[i].until && (!h.until || rel[i].until < h.until))
			h.until = rel[i].until;
	buf b;
	buf_init(&b, &r->a);
	buf_append(&b, &h, sizeof h);
	buf_append(&b, rel, n * sizeof *rel);
	for (size_t i = 0; i < nd; i++)
		buf_append(&b, domains[i], strlen(domains[i]) + 1);
	cache_put(cache_relations, r->reader, b.data, b.len);
	r->rel = rel;
	r->n = n;
	r->until = h.until;
	r->domains = domains;
	r->ndomains = nd;
}

/* The reader's relations, as of this thread's snapshot. */
static const relations *relations_of(int64_t reader)
{
	relations *r = &memo;
	uint64_t epoch = cache_thread_epoch();
	int64_t now = r->until ? time_now_ms() : 0;
	/* the memo is only as fresh as the epochs, which move when
	 * cache_relations is invalidated: without that cache, read again */
	if (cache_relations && r->valid && r->reader == reader &&
	    r->epoch == epoch && (!r->until || now < r->until))
		return r;
	arena_release(&r->a);
	arena_init(&r->a);
	r->reader = reader;
	r->epoch = epoch;
	r->valid = true;
	if (!now)
		now = time_now_ms();
	size_t len;
	const char *data = cache_get(cache_relations, reader, &r->a, &len);
	if (!data || !relations_decode(r, data, len) ||
	    (r->until && now >= r->until))
		relations_read(r, now);
	return r;
}

/* What account is to the reader (STORE_REL_* flags; 0: nothing). */
static unsigned relation(int64_t reader, int64_t account)
{
	if (!reader || reader == account)
		return 0;
	const relations *r = relations_of(reader);
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->rel[mid].account_id < account)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->n && r->rel[lo].account_id == account ? r->rel[lo].flags
							     : 0;
}

bool visibility_can_see(int64_t viewer, const status *s)
{
	if (viewer && relation(viewer, s->account_id) & STORE_REL_BLOCKED_BY)
		return false;
	if (s->vis == VIS_PUBLIC || s->vis == VIS_UNLISTED)
		return true;
	if (viewer && viewer == s->account_id)
		return true;
	if (!viewer)
		return false;
	if (store_is_mentioned(s->id, viewer))
		return true;
	return s->vis == VIS_PRIVATE && store_follows(viewer, s->account_id);
}

/* Whether a domain the reader blocks is the account's. */
static bool domain_blocked(arena *a, int64_t reader, int64_t account_id)
{
	const relations *r = relations_of(reader);
	if (!r->ndomains)
		return false;
	account acc;
	if (!store_account_get(a, account_id, &acc) || !acc.domain)
		return false;
	for (size_t i = 0; i < r->ndomains; i++)
		if (!strcmp(r->domains[i], acc.domain))
			return true;
	return false;
}

bool visibility_account_listed(arena *a, int64_t viewer, int64_t account_id,
			       read_context ctx)
{
	if (!viewer || viewer == account_id)
		return true;
	unsigned f = relation(viewer, account_id);
	unsigned hides = STORE_REL_BLOCKS | STORE_REL_BLOCKED_BY |
			 (ctx == READ_NOTIFICATIONS ? STORE_REL_MUTES_NOTES
			  : ctx == READ_PROFILE	    ? 0
						    : STORE_REL_MUTES);
	return !(f & hides) && !domain_blocked(a, viewer, account_id);
}

bool visibility_listed(arena *a, int64_t viewer, const status *s,
		       read_context ctx)
{
	if (!viewer)
		return true;
	/* a boost on someone's profile is theirs; what it boosts is not */
	if (!visibility_account_listed(a, viewer, s->account_id, ctx))
		return false;
	if (s->reblog_of_id) {
		int64_t of = s->reblog ? s->reblog->account_id : 0;
		read_context inner = ctx == READ_PROFILE ? READ_PUBLIC : ctx;
		if (of && !visibility_account_listed(a, viewer, of, inner))
			return false;
	}
	return true;
}

enum { NEW_ACCOUNT_MS = 30LL * 86400 * 1000 }; /* Mastodon's "new" */

/* Whether a mention in status_id is an unsolicited private one: direct,
 * and not an answer to a post of the recipient's. */
static bool unsolicited_private(arena *a, int64_t recipient, const char *type,
				int64_t status_id)
{
	status s;
	if (strcmp(type, "mention") || !status_id ||
	    !store_status_get(a, status_id, &s) || s.vis != VIS_DIRECT)
		return false;
	return s.in_reply_to_account_id != recipient;
}

/* The conditions of a notification policy, each read only when the
 * policy does something about it (on a write path: a favourite, a
 * post). */
enum policy_condition {
	COND_NOT_FOLLOWING,
	COND_NOT_FOLLOWER,
	COND_NEW_ACCOUNT,
	COND_PRIVATE_MENTION,
};

static bool condition_holds(arena *a, enum policy_condition c,
			    int64_t recipient, int64_t from, const char *type,
			    int64_t status_id)
{
	account sender;
	switch (c) {
	case COND_NOT_FOLLOWING: return !store_follows(recipient, from);
	case COND_NOT_FOLLOWER: return !store_follows(from, recipient);
	case COND_NEW_ACCOUNT:
		return store_account_get(a, from, &sender) &&
		       sender.created_at > time_now_ms() - NEW_ACCOUNT_MS;
	case COND_PRIVATE_MENTION:
		return !store_follows(recipient, from) &&
		       unsolicited_private(a, recipient, type, status_id);
	}
	return false;
}

notification_fate visibility_notification_fate(arena *a, int64_t recipient,
					       int64_t from, const char *type,
					       int64_t status_id)
{
	if (!visibility_account_listed(a, recipient, from,
				       READ_NOTIFICATIONS) ||
	    (status_id && store_thread_muted(recipient, status_id)))
		return NOTE_DROP;
	/* an edit of a post one already had is always told */
	if (!strcmp(type, "update"))
		return NOTE_DELIVER;
	notification_policy p;
	store_notification_policy_get(recipient, &p);
	const policy_action says[] = {
		[COND_NOT_FOLLOWING] = p.for_not_following,
		[COND_NOT_FOLLOWER] = p.for_not_followers,
		[COND_NEW_ACCOUNT] = p.for_new_accounts,
		[COND_PRIVATE_MENTION] = p.for_private_mentions,
	};
	/* for_limited_accounts: no account is limited before moderation */
	policy_action act = POLICY_ACCEPT;
	for (size_t c = 0; c < sizeof says / sizeof says[0]; c++)
		if (says[c] > act &&
		    condition_holds(a, c, recipient, from, type, status_id))
			act = says[c];
	/* a sender whose request was accepted is let through */
	if (act != POLICY_ACCEPT &&
	    store_notification_permitted(recipient, from))
		act = POLICY_ACCEPT;
	return act == POLICY_DROP     ? NOTE_DROP
	       : act == POLICY_FILTER ? NOTE_FILTER
				      : NOTE_DELIVER;
}

size_t visibility_hidden_from(arena *a, const status *s, int64_t **out)
{
	int64_t *ids;
	size_t n =
		store_relations_toward(a, s->account_id, time_now_ms(), &ids);
	if (s->reblog) {
		int64_t *more;
		size_t m = store_relations_toward(a, s->reblog->account_id,
						  time_now_ms(), &more);
		int64_t *all = arena_alloc(a, (n + m + 1) * sizeof *all);
		memcpy(all, ids, n * sizeof *ids);
		memcpy(all + n, more, m * sizeof *more);
		n += m;
		ids = all;
		/* sorted again for visibility_hidden_has */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
				int64_t t = ids[j];
				ids[j] = ids[j - 1];
				ids[j - 1] = t;
			}
	}
	*out = ids;
	return n;
}

bool visibility_hidden_has(const int64_t *ids, size_t n, int64_t account)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < account)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == account;
}

/* May viewer read every version of s, or only the versions that
 * mentioned them? Mentions are the only way into a direct status, and
 * one added by an edit opens that version onward, never what was written
 * before to others; a mention an edit removed keeps the versions it
 * received. Followers (of a private status) and, on public and unlisted
 * ones, everyone read the whole history, as they read the status. */
static bool sees_every_version(int64_t viewer, const status *s)
{
	if (s->vis == VIS_PUBLIC || s->vis == VIS_UNLISTED)
		return true;
	if (viewer && viewer == s->account_id)
		return true;
	return viewer && s->vis == VIS_PRIVATE &&
	       store_follows(viewer, s->account_id);
}

size_t visibility_history(arena *a, int64_t viewer, const status *s,
			  size_t overhead, size_t max_bytes, status **out)
{
	bool *addressed;
	size_t n = store_status_edits(a, s->id, viewer, overhead, max_bytes,
				      out, &addressed);
	if (n == 0) {
		*out = (status *)s;
		return 1;
	}
	if (sees_every_version(viewer, s))
		return n;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (addressed[i])
			(*out)[kept++] = (*out)[i];
	return kept;
}

const account *status_author(arena *a, const status *s)
{
	if (s->account)
		return s->account;
	account *acc = arena_alloc(a, sizeof *acc);
	if (!store_account_get(a, s->account_id, acc))
		return NULL;
	((status *)s)->account = acc; /* memo: the same request only */
	return acc;
}

bool status_load_visible(arena *a, int64_t viewer, int64_t id, status *out)
{
	/* the author is loaded on demand (status_author): a page served
	 * from the render cache never needs it */
	if (!store_status_get(a, id, out) || !visibility_can_see(viewer, out))
		return false;
	if (out->reblog_of_id) {
		status *target = arena_alloc(a, sizeof *target);
		if (!store_status_get(a, out->reblog_of_id, target) ||
		    !visibility_can_see(viewer, target))
			return false;
		out->reblog = target;
	}
	return true;
}

bool status_load_listed(arena *a, int64_t viewer, int64_t id, read_context ctx,
			status *out)
{
	return status_load_visible(a, viewer, id, out) &&
	       visibility_listed(a, viewer, out, ctx);
}
