/* visibility.c — the one rule for who may see a status. Every read path
 * (lookup, timelines, context, lists, streams, pages) goes through
 * visibility_can_see, and every list through visibility_listed.
 *
 * Who may see: the status's visibility, its mentions and the author's
 * followers, and the author's blocks: a blocked reader sees nothing of the
 * blocker; nobody sees anything of a suspended account (moderation.c's
 * account_moderation). A silenced account's posts stay out of the public
 * lists (public and tag timelines, search, trends) but for its followers,
 * and its notifications are limited ones (the policy's
 * for_limited_accounts). What a list shows besides: nothing by (or boosted
 * from) an account the reader blocks or mutes, or on a domain it blocks; a mute
 * leaves the muted person's own profile as it was, and notifications
 * unless it silences them too. A thread does not list a reply its
 * thread's author hid, nor what is under it, but to their authors.
 * Who may reply to or boost a status: its interaction policy
 * (visibility_may_interact).
 *
 * A reader's blocks, mutes and domain blocks are read once and kept: in
 * cache_relations (shared, invalidated when either side changes them)
 * and, for the thread's current request, in a memo, so a check is a
 * binary search. The reader's active keyword filters ride in the same
 * blob, their keywords folded, and are compiled into the memo
 * (filters.c), so matching a status reads no database. */
#include "core/buf.h"
#include "core/cache.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The cached form: this header, then n relations, then the domains as
 * NUL-terminated strings, then the filters (filters_put). */
typedef struct relations_head {
	uint64_t n, ndomains;
	int64_t until; /* the earliest end of a mute or filter (0: none) */
	uint64_t nfilters, nkeywords, nstatuses;
	/* what notify() asks on every act: are there muted threads at
	 * all, and the notification policy */
	uint64_t thread_mutes;
	notification_policy policy;
} relations_head;

/* A keyword or filtered status of the reader's, by its filter's index. */
typedef struct filter_keyword_ref {
	uint32_t filter;
	const char *keyword; /* as written, for keyword_matches */
} filter_keyword_ref;
typedef struct filter_status_ref {
	int64_t status_id;
	uint32_t filter;
} filter_status_ref;

typedef struct relations {
	int64_t reader;
	uint64_t epoch; /* cache_thread_epoch() when read */
	bool valid;
	int64_t until;
	const store_relation *rel;
	size_t n;
	const char **domains;
	size_t ndomains;
	/* active filters; contexts: those any applies in, hides: those a
	 * hide filter applies in, words: those a keyword applies in */
	store_filter *filters;
	size_t nfilters;
	filter_keyword_ref *keywords; /* the matcher's patterns, in order */
	filter_status_ref *statuses;  /* by status id */
	size_t nstatuses;
	unsigned contexts, hides, words;
	filter_matcher matcher;
	uint64_t thread_mutes;
	notification_policy policy;
	arena a; /* what rel, domains and the filters point into */
} relations;

static _Thread_local relations memo;

/* The memo's memory goes when its thread ends (the HTTP pool's workers,
 * the hub, the job runners): a key whose destructor releases it. */
static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

static void hidden_release(void);

static void memo_release(void *p)
{
	relations *r = p;
	arena_release(&r->a);
	r->valid = false;
	hidden_release();
}

static void memo_key_create(void)
{
	pthread_key_create(&memo_key, memo_release);
}

/* Have this thread's memos released when it ends. */
static void memo_watch(void)
{
	pthread_once(&memo_once, memo_key_create);
	pthread_setspecific(memo_key, &memo);
}

static void put_i64(buf *b, int64_t v)
{
	buf_append(b, &v, sizeof v);
}

/* Read what put_i64 and NUL-terminated strings wrote; false past end. */
static bool get_i64(const char **p, const char *end, int64_t *v)
{
	if ((size_t)(end - *p) < sizeof *v)
		return false;
	memcpy(v, *p, sizeof *v);
	*p += sizeof *v;
	return true;
}

static bool get_str(const char **p, const char *end, const char **s)
{
	const char *nul = memchr(*p, '\0', (size_t)(end - *p));
	if (!nul)
		return false;
	*s = *p;
	*p = nul + 1;
	return true;
}

/* Compile the decoded filters: their patterns into the matcher, and
 * the contexts they apply in. */
static void filters_compile(relations *r, const char **patterns, size_t nkw)
{
	r->contexts = r->hides = r->words = 0;
	for (size_t i = 0; i < r->nfilters; i++) {
		const store_filter *f = &r->filters[i];
		r->contexts |= f->contexts;
		if (f->action == FILTER_HIDE)
			r->hides |= f->contexts;
	}
	for (size_t i = 0; i < nkw; i++)
		r->words |= r->filters[r->keywords[i].filter].contexts;
	filter_matcher_build(&r->matcher, &r->a, patterns, nkw);
}

/* Append the reader's active filters in the cached form: per filter its
 * id, contexts, action, end and title; per keyword its filter's index,
 * the keyword and its pattern; per status its id and filter's index. */
static void filters_put(buf *b, arena *a, const store_filter *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		put_i64(b, f[i].id);
		put_i64(b, f[i].contexts);
		put_i64(b, f[i].action);
		put_i64(b, f[i].expires_at);
		buf_append(b, f[i].title, strlen(f[i].title) + 1);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < f[i].nkeywords; k++) {
			const store_filter_keyword *kw = &f[i].keywords[k];
			const char *pat =
				filter_pattern(a, kw->keyword, kw->whole_word);
			put_i64(b, (int64_t)i);
			buf_append(b, kw->keyword, strlen(kw->keyword) + 1);
			buf_append(b, pat, strlen(pat) + 1);
		}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < f[i].nstatuses; k++) {
			put_i64(b, f[i].statuses[k].status_id);
			put_i64(b, (int64_t)i);
		}
}

static int status_ref_order(const void *x, const void *y)
{
	const filter_status_ref *a = x, *b = y;
	return a->status_id < b->status_id ? -1 : a->status_id > b->status_id;
}

/* Decode what filters_put wrote at p; false when it is cut short. */
static bool filters_decode(relations *r, const relations_head *h, const char *p,
			   const char *end)
{
	r->nfilters = h->nfilters;
	r->filters =
		arena_alloc(&r->a, (h->nfilters + 1) * sizeof(store_filter));
	for (size_t i = 0; i < h->nfilters; i++) {
		store_filter *f = &r->filters[i];
		int64_t contexts, action;
		memset(f, 0, sizeof *f);
		if (!get_i64(&p, end, &f->id) || !get_i64(&p, end, &contexts) ||
		    !get_i64(&p, end, &action) ||
		    !get_i64(&p, end, &f->expires_at) ||
		    !get_str(&p, end, &f->title))
			return false;
		f->contexts = (unsigned)contexts;
		f->action = (int)action;
	}
	const char **patterns =
		arena_alloc(&r->a, (h->nkeywords + 1) * sizeof *patterns);
	r->keywords =
		arena_alloc(&r->a, (h->nkeywords + 1) * sizeof *r->keywords);
	for (size_t i = 0; i < h->nkeywords; i++) {
		int64_t fi;
		if (!get_i64(&p, end, &fi) || (uint64_t)fi >= h->nfilters ||
		    !get_str(&p, end, &r->keywords[i].keyword) ||
		    !get_str(&p, end, &patterns[i]))
			return false;
		r->keywords[i].filter = (uint32_t)fi;
	}
	r->nstatuses = h->nstatuses;
	r->statuses =
		arena_alloc(&r->a, (h->nstatuses + 1) * sizeof *r->statuses);
	for (size_t i = 0; i < h->nstatuses; i++) {
		int64_t fi;
		if (!get_i64(&p, end, &r->statuses[i].status_id) ||
		    !get_i64(&p, end, &fi) || (uint64_t)fi >= h->nfilters)
			return false;
		r->statuses[i].filter = (uint32_t)fi;
	}
	qsort(r->statuses, r->nstatuses, sizeof *r->statuses, status_ref_order);
	filters_compile(r, patterns, h->nkeywords);
	return true;
}

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
	r->thread_mutes = h.thread_mutes;
	r->policy = h.policy;
	r->domains = arena_alloc(&r->a, (h.ndomains + 1) * sizeof(char *));
	const char *p = data + need, *end = data + len;
	for (r->ndomains = 0; r->ndomains < h.ndomains && p < end;
	     r->ndomains++) {
		r->domains[r->ndomains] = p;
		p += strlen(p) + 1;
	}
	return filters_decode(r, &h, p, end);
}

static void relations_read(relations *r, int64_t now)
{
	store_relation *rel;
	const char **domains;
	size_t nd;
	size_t n =
		store_relations_of(&r->a, r->reader, now, &rel, &domains, &nd);
	store_filter *f;
	size_t nf = store_filters_of(&r->a, r->reader, now, true, &f);
	relations_head h = {n, nd, 0, nf, 0, 0, 0, {0}};
	h.thread_mutes = (uint64_t)store_thread_mutes_count(r->reader);
	store_notification_policy_get(r->reader, &h.policy);
	for (size_t i = 0; i < n; i++)
		if (rel[i].until && (!h.until || rel[i].until < h.until))
			h.until = rel[i].until;
	for (size_t i = 0; i < nf; i++) {
		if (f[i].expires_at && (!h.until || f[i].expires_at < h.until))
			h.until = f[i].expires_at;
		h.nkeywords += f[i].nkeywords;
		h.nstatuses += f[i].nstatuses;
	}
	buf b;
	buf_init(&b, &r->a);
	buf_append(&b, &h, sizeof h);
	buf_append(&b, rel, n * sizeof *rel);
	for (size_t i = 0; i < nd; i++)
		buf_append(&b, domains[i], strlen(domains[i]) + 1);
	size_t filters_at = b.len;
	filters_put(&b, &r->a, f, nf);
	cache_put(cache_relations, r->reader, b.data, b.len);
	r->rel = rel;
	r->n = n;
	r->until = h.until;
	r->domains = domains;
	r->ndomains = nd;
	r->thread_mutes = h.thread_mutes;
	r->policy = h.policy;
	/* the memo reads the filters back from the same bytes */
	filters_decode(r, &h, b.data + filters_at, b.data + b.len);
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
	if (!r->valid) /* this thread's first: release it at its end */
		memo_watch();
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
	/* a suspended account's posts are gone for everyone, itself too,
	 * until the suspension is undone */
	if (account_suspended(s->account_id))
		return false;
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

bool visibility_account_shown(const account *acc)
{
	return !acc->suspended_at;
}

bool visibility_account_listed(arena *a, int64_t viewer, int64_t account_id,
			       read_context ctx)
{
	if (account_suspended(account_id))
		return false;
	if (!viewer || viewer == account_id)
		return true;
	unsigned f = relation(viewer, account_id);
	unsigned hides = STORE_REL_BLOCKS | STORE_REL_BLOCKED_BY |
			 (ctx == READ_NOTIFICATIONS ? STORE_REL_MUTES_NOTES
			  : ctx == READ_PROFILE	    ? 0
						    : STORE_REL_MUTES);
	return !(f & hides) && !domain_blocked(a, viewer, account_id);
}

/* The keywords of r that the status's texts hold: hit[i] for pattern i;
 * *found of them. */
static bool *keyword_hits(arena *a, const relations *r, const status *s,
			  size_t *found)
{
	bool *hit = arena_alloc(a, (r->matcher.n + 1) * sizeof *hit);
	memset(hit, 0, (r->matcher.n + 1) * sizeof *hit);
	const char *texts[] = {s->spoiler_text, s->text ? s->text : s->content};
	/* folding is most of a match's cost, and the same for every
	 * reader: kept per status (dropped when it is edited) */
	size_t folded_len, len;
	const char *folded = cache_get(cache_folds, s->id, a, &folded_len);
	if (!folded) {
		folded = filter_fold(a, texts, 2, &folded_len);
		cache_put(cache_folds, s->id, folded, folded_len);
	}
	const char *hay = filter_haystack(a, &r->matcher, folded, folded_len,
					  texts, 2, &len);
	*found = filter_matcher_scan(&r->matcher, hay, len, hit);
	return hit;
}

static size_t status_ref_first(const relations *r, int64_t status_id)
{
	size_t lo = 0, hi = r->nstatuses;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->statuses[mid].status_id < status_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether some filter of r names status_id. */
static bool status_ref_has(const relations *r, int64_t status_id)
{
	size_t i = status_ref_first(r, status_id);
	return i < r->nstatuses && r->statuses[i].status_id == status_id;
}

/* Add status_id to the results of the filters of ctx that filter it. */
static void match_status_id(arena *a, const relations *r, int64_t status_id,
			    unsigned bit, filter_result *res)
{
	for (size_t i = status_ref_first(r, status_id);
	     i < r->nstatuses && r->statuses[i].status_id == status_id; i++) {
		filter_result *fr = &res[r->statuses[i].filter];
		if (!(fr->filter->contexts & bit))
			continue;
		if (!fr->status_matches)
			fr->status_matches =
				arena_alloc(a, 2 * sizeof *fr->status_matches);
		fr->status_matches[fr->nstatus_matches++] = status_id;
	}
}

size_t visibility_filtered(arena *a, int64_t viewer, const status *s,
			   read_context ctx, filter_result **out)
{
	*out = NULL;
	unsigned bit = 1u << ctx;
	const status *proper = s->reblog ? s->reblog : s;
	if (!viewer || proper->account_id == viewer)
		return 0;
	const relations *r = relations_of(viewer);
	if (!(r->contexts & bit))
		return 0;
	/* most statuses match nothing: know that before building results */
	size_t nhit = 0;
	bool *hit = r->words & bit ? keyword_hits(a, r, proper, &nhit) : NULL;
	if (!nhit && !status_ref_has(r, s->id) &&
	    !(s->reblog_of_id && status_ref_has(r, s->reblog_of_id)))
		return 0;
	filter_result *res = arena_alloc(a, (r->nfilters + 1) * sizeof *res);
	memset(res, 0, (r->nfilters + 1) * sizeof *res);
	for (size_t i = 0; i < r->nfilters; i++)
		res[i].filter = &r->filters[i];
	if (nhit) {
		for (size_t i = 0; i < r->matcher.n; i++) {
			filter_result *fr = &res[r->keywords[i].filter];
			if (!hit[i] || !(fr->filter->contexts & bit))
				continue;
			if (!fr->keyword_matches)
				fr->keyword_matches = arena_alloc(
					a, r->matcher.n *
						   sizeof *fr->keyword_matches);
			fr->keyword_matches[fr->nkeyword_matches++] =
				r->keywords[i].keyword;
		}
	}
	if (r->nstatuses) {
		match_status_id(a, r, s->id, bit, res);
		if (s->reblog_of_id)
			match_status_id(a, r, s->reblog_of_id, bit, res);
	}
	size_t n = 0;
	for (size_t i = 0; i < r->nfilters; i++)
		if (res[i].nkeyword_matches || res[i].nstatus_matches)
			res[n++] = res[i];
	*out = res;
	return n;
}

unsigned visibility_filter_contexts(int64_t viewer)
{
	return viewer ? relations_of(viewer)->contexts : 0;
}

/* Whether a hide filter of the viewer's removes s from lists of ctx. */
static bool filter_hides(arena *a, int64_t viewer, const status *s,
			 read_context ctx)
{
	if (!(relations_of(viewer)->hides & (1u << ctx)))
		return false;
	filter_result *res;
	size_t n = visibility_filtered(a, viewer, s, ctx, &res);
	for (size_t i = 0; i < n; i++)
		if (res[i].filter->action == FILTER_HIDE)
			return true;
	return false;
}

interaction_policy visibility_policy_default(visibility v)
{
	/* GoToSocial's defaults: "public" is whoever may see the status,
	 * so these only name what its visibility already allows */
	unsigned bits = v == VIS_PRIVATE
				? AUDIENCE_AUTHOR | AUDIENCE_FOLLOWERS |
					  AUDIENCE_MENTIONED
			: v == VIS_DIRECT ? AUDIENCE_AUTHOR | AUDIENCE_MENTIONED
					  : AUDIENCE_PUBLIC;
	return (interaction_policy){bits, bits};
}

interaction_policy visibility_policy_of(const status *s)
{
	/* what status_post stored, as store_status_policy_put_tx stores it */
	if (s->written)
		return s->policy.can_reply || s->policy.can_reblog
			       ? s->policy
			       : visibility_policy_default(s->vis);
	interaction_policy p;
	return store_status_policy(s->id, &p)
		       ? p
		       : visibility_policy_default(s->vis);
}

bool visibility_may_interact(int64_t actor, const status *s, interaction kind)
{
	if (!actor || !visibility_can_see(actor, s))
		return false;
	if (actor == s->account_id)
		return true; /* the author may always answer or boost */
	interaction_policy p = visibility_policy_of(s);
	unsigned who = kind == INTERACT_REPLY ? p.can_reply : p.can_reblog;
	if (who & AUDIENCE_PUBLIC)
		return true;
	if ((who & AUDIENCE_MENTIONED) && (s->in_reply_to_account_id == actor ||
					   store_is_mentioned(s->id, actor)))
		return true;
	if ((who & AUDIENCE_FOLLOWERS) && store_follows(actor, s->account_id))
		return true;
	return (who & AUDIENCE_FOLLOWING) &&
	       store_follows(s->account_id, actor);
}

/* The hidden replies of the thread last asked about, read once per
 * snapshot: a thread's replies are listed together, and most threads
 * have none. */
typedef struct hidden_memo {
	uint64_t snapshot; /* store_snapshot() when read; 0: none */
	int64_t root;
	store_hidden_reply *replies; /* in path order */
	size_t n;
	arena a;
} hidden_memo;
static _Thread_local hidden_memo hidden;

static void hidden_release(void)
{
	arena_release(&hidden.a);
	memset(&hidden, 0, sizeof hidden);
}

static const hidden_memo *thread_hidden(int64_t root)
{
	uint64_t snapshot = store_snapshot();
	if (snapshot && hidden.snapshot == snapshot && hidden.root == root)
		return &hidden;
	if (!hidden.snapshot) /* this thread's first: release it at its end */
		memo_watch();
	arena_release(&hidden.a);
	arena_init(&hidden.a);
	hidden.snapshot = snapshot;
	hidden.root = root;
	hidden.n = store_thread_hidden(&hidden.a, root, &hidden.replies);
	return &hidden;
}

/* SQLite's order of blobs: bytes, then length. */
static int path_cmp(const unsigned char *x, size_t xn, const unsigned char *y,
		    size_t yn)
{
	int c = memcmp(x, y, xn < yn ? xn : yn);
	return c ? c : (xn > yn) - (xn < yn);
}

/* The hidden reply at path[0..len), or NULL. */
static const store_hidden_reply *
hidden_at(const hidden_memo *m, const unsigned char *path, size_t len)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = path_cmp(m->replies[mid].path, m->replies[mid].path_len,
				 path, len);
		if (!c)
			return &m->replies[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Whether s sits in a thread under a reply its author hid (or is one),
 * out of the viewer's sight there: the author of s sees it, and the
 * author of a hidden reply what is under it. A hidden reply above s
 * has a path that begins s's. */
static bool under_hidden_reply(int64_t viewer, const status *s)
{
	if (!s->in_reply_to_id || s->reblog_of_id ||
	    (viewer && viewer == s->account_id))
		return false;
	arena tmp;
	arena_init(&tmp);
	int64_t root = s->thread_root_id;
	const unsigned char *path = s->thread_path;
	size_t len = s->thread_path_len;
	if (!path) /* not read by a loader */
		path = store_thread_path(&tmp, s->id, &root, &len);
	bool under = false;
	const hidden_memo *m = path ? thread_hidden(root) : NULL;
	/* the root (the first 8 bytes) is never a reply */
	for (size_t at = 2 * 8; m && m->n && at <= len && !under; at += 8) {
		const store_hidden_reply *h = hidden_at(m, path, at);
		under = h && (!viewer || h->author_id != viewer);
	}
	arena_release(&tmp);
	return under;
}

/* visibility_listed without the thread's hidden replies: what the
 * reader's own rules (blocks, mutes, domains, hide filters) leave. */
/* Whether a silenced (limited) author's post stays out of a public list
 * for viewer: it does unless viewer is the author or follows them. */
static bool limited_away(int64_t viewer, int64_t author)
{
	return (account_moderation(author) & STORE_MODERATED_SILENCED) &&
	       viewer != author && (!viewer || !store_follows(viewer, author));
}

static bool listed_by_reader(arena *a, int64_t viewer, const status *s,
			     read_context ctx)
{
	if (ctx == READ_PUBLIC &&
	    (limited_away(viewer, s->account_id) ||
	     (s->reblog && limited_away(viewer, s->reblog->account_id))))
		return false;
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
	return !filter_hides(a, viewer, s, ctx);
}

bool visibility_listed(arena *a, int64_t viewer, const status *s,
		       read_context ctx)
{
	if (ctx == READ_THREAD && under_hidden_reply(viewer, s))
		return false;
	return listed_by_reader(a, viewer, s, ctx);
}

bool visibility_hidden_reply_listed(arena *a, int64_t viewer, const status *s)
{
	return listed_by_reader(a, viewer, s, READ_THREAD);
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
	COND_LIMITED_ACCOUNT,
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
	case COND_PRIVATE_MENTION: /* the cheap test first: the type */
		return !strcmp(type, "mention") &&
		       unsolicited_private(a, recipient, type, status_id) &&
		       !store_follows(recipient, from);
	case COND_LIMITED_ACCOUNT:
		return (account_moderation(from) & STORE_MODERATED_SILENCED) &&
		       !store_follows(recipient, from);
	}
	return false;
}

notification_fate visibility_notification_fate(arena *a, int64_t recipient,
					       int64_t from, const char *type,
					       int64_t status_id)
{
	/* on every favourite, boost and post: what can come from the
	 * recipient's cached rules does, and SQL runs only when those say
	 * it may matter (a muted thread exists, a policy condition is on) */
	const relations *r = relations_of(recipient);
	if (!visibility_account_listed(a, recipient, from,
				       READ_NOTIFICATIONS) ||
	    (status_id && r->thread_mutes &&
	     store_thread_muted(recipient, status_id)))
		return NOTE_DROP;
	/* an edit of a post one already had is always told */
	if (!strcmp(type, "update"))
		return NOTE_DELIVER;
	notification_policy p = r->policy;
	const policy_action says[] = {
		[COND_NOT_FOLLOWING] = p.for_not_following,
		[COND_NOT_FOLLOWER] = p.for_not_followers,
		[COND_NEW_ACCOUNT] = p.for_new_accounts,
		[COND_PRIVATE_MENTION] = p.for_private_mentions,
		[COND_LIMITED_ACCOUNT] = p.for_limited_accounts,
	};
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
		if (n)
			memcpy(all, ids, n * sizeof *ids);
		if (m)
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
