/* search.c — search: the query language Mastodon's search box speaks, and
 * the three searches (statuses, accounts, hashtags) built on the store's
 * full-text indexes. Every status found passes visibility_can_see(). */
#include "core/config.h"
#include "core/id.h"
#include "domain/domain.h"
#include "store/store.h"
#include "text/text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	DAY_MS = 24 * 3600 * 1000,
	SEARCH_MAX_BATCHES = 8, /* bound the scan when much is hidden */
};

/* ---- the query language ----------------------------------------------- */

/* The operators Mastodon's parser knows; any other "word:" is text. */
static const char *const search_prefixes[] = {
	"from", "has", "is", "language", "before", "after", "during", "in",
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* The operator name at s (followed by ':'), or NULL. */
static const char *prefix_at(const char *s, size_t *len)
{
	for (size_t i = 0; i < sizeof search_prefixes / sizeof *search_prefixes;
	     i++) {
		size_t n = strlen(search_prefixes[i]);
		if (!strncmp(s, search_prefixes[i], n) && s[n] == ':') {
			*len = n + 1;
			return search_prefixes[i];
		}
	}
	return NULL;
}

/* One clause's value at *s: a quoted phrase (an unclosed quote runs to
 * the end) or a run of characters other than space and '"'. Advances *s;
 * arena copy, "" when there is none. */
static char *clause_value(arena *a, const char **s)
{
	const char *p = *s, *start, *end;
	if (*p == '"') {
		start = ++p;
		while (*p && *p != '"')
			p++;
		end = p;
		if (*p == '"')
			p++;
	} else {
		start = p;
		while (*p && !is_space(*p) && *p != '"')
			p++;
		end = p;
	}
	*s = p;
	return arena_strndup(a, start, (size_t)(end - start));
}

static bool days_in_month_ok(int y, int m, int d)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int max = days[m - 1] + (m == 2 && leap);
	return d >= 1 && d <= max;
}

bool search_parse_date(const char *s, int64_t *ms)
{
	/* YYYY-MM-DD, nothing else */
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || !days_in_month_ok(y, m, d))
		return false;
	/* days from the epoch to y-m-d (civil calendar, y >= 1970) */
	int64_t yy = m <= 2 ? y - 1 : y;
	int64_t era = yy / 400, yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*ms = (era * 146097 + doe - 719468) * DAY_MS;
	return true;
}

/* A has: or is: value: which flag it sets. False when unknown. */
static bool property_filter(search_query *q, const char *prefix,
			    const char *value, bool negated)
{
	store_tri t = negated ? STORE_NO : STORE_YES;
	if (!strcmp(prefix, "is")) {
		if (!strcmp(value, "reply"))
			q->reply = t;
		else if (!strcmp(value, "sensitive"))
			q->sensitive = t;
		else
			return false;
		return true;
	}
	if (!strcmp(value, "media") || !strcmp(value, "image") ||
	    !strcmp(value, "video") || !strcmp(value, "audio")) {
		q->media = t;
		q->media_type = strcmp(value, "media") ? value : NULL;
		return true;
	}
	return false; /* has:poll, has:link…: chorus has no such posts */
}

/* Apply one date operator to q's range; false when value is no date. */
static bool date_filter(search_query *q, const char *prefix, const char *value)
{
	int64_t day;
	if (!search_parse_date(value, &day))
		return false;
	/* before: earlier than that day; after: later than that day;
	 * during: on it (UTC days, as Mastodon's default time zone) */
	int64_t lo = 0, hi = 0;
	if (!strcmp(prefix, "before"))
		hi = day;
	else if (!strcmp(prefix, "after"))
		lo = day + DAY_MS;
	else {
		lo = day;
		hi = day + DAY_MS;
	}
	if (lo && lo > q->after_ms)
		q->after_ms = lo;
	if (hi && (!q->before_ms || hi < q->before_ms))
		q->before_ms = hi;
	return true;
}

/* Apply operator prefix with value. DOM_OK, or DOM_INVALID with *msg. */
static dom_err apply_operator(arena *a, search_query *q, const char *prefix,
			      char *value, bool negated, const char **msg)
{
	for (char *p = value; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!strcmp(prefix, "from")) {
		q->from = value[0] == '@' ? value + 1 : value;
		q->from_negated = negated;
	} else if (!strcmp(prefix, "has") || !strcmp(prefix, "is")) {
		/* a property no post has: nothing matches, unless negated */
		if (!property_filter(q, prefix, value, negated) && !negated)
			q->impossible = true;
	} else if (!strcmp(prefix, "language")) {
		if (negated) {
			*msg = "Operator not allowed for language:";
			return DOM_INVALID;
		}
		q->language = value;
	} else if (!strcmp(prefix, "in")) {
		q->library = !strcmp(value, "library");
	} else {
		if (negated) {
			*msg = arena_printf(
				a, "Operator not allowed for %s:", prefix);
			return DOM_INVALID;
		}
		if (!date_filter(q, prefix, value)) {
			*msg = arena_printf(a,
					    "Invalid date for %s: (expected "
					    "YYYY-MM-DD)",
					    prefix);
			return DOM_INVALID;
		}
	}
	return DOM_OK;
}

dom_err search_query_parse(arena *a, const char *s, search_query *q,
			   const char **msg)
{
	memset(q, 0, sizeof *q);
	size_t max = (size_t)cfg.search_max_terms;
	q->terms = arena_alloc(a, (max + 1) * sizeof *q->terms);
	size_t clauses = 0;
	while (*s) {
		while (is_space(*s))
			s++;
		if (!*s)
			break;
		if (++clauses > max) {
			*msg = arena_printf(a,
					    "Too many search terms (at most "
					    "%zu)",
					    max);
			return DOM_INVALID;
		}
		bool negated = *s == '-', must = *s == '+';
		if ((negated || must) && s[1] && !is_space(s[1]))
			s++;
		else
			negated = false;
		size_t plen = 0;
		const char *prefix = prefix_at(s, &plen);
		/* "from:" with nothing after it is just text */
		if (prefix && s[plen] && !is_space(s[plen])) {
			s += plen;
			dom_err err = apply_operator(a, q, prefix,
						     clause_value(a, &s),
						     negated, msg);
			if (err)
				return err;
			continue;
		}
		char *value = clause_value(a, &s);
		if (*value)
			q->terms[q->nterms++] = (store_search_term){
				.text = value, .negated = negated};
	}
	return DOM_OK;
}

bool search_query_has_filter(const search_query *q)
{
	return q->from || q->media || q->reply || q->sensitive || q->language ||
	       q->library || q->after_ms || q->before_ms;
}

/* ---- statuses --------------------------------------------------------- */

/* The account a from: value names ("me", "user", "user@our.domain"); 0
 * when there is none (a remote one: chorus holds none yet). */
static int64_t from_account(arena *a, int64_t viewer, const char *from)
{
	if (!strcmp(from, "me"))
		return viewer;
	account acc;
	return account_lookup(a, from, false, &acc) ? acc.id : 0;
}

/* Turn the parsed query into the store's, with the id range it implies.
 * False when nothing can match. */
static bool status_query(arena *a, int64_t viewer, const search_query *sq,
			 const search_options *o, store_status_query *q,
			 int64_t *lo, int64_t *hi)
{
	memset(q, 0, sizeof *q);
	q->terms = sq->terms;
	q->nterms = sq->nterms;
	q->media = sq->media;
	q->media_type = sq->media_type;
	q->reply = sq->reply;
	q->sensitive = sq->sensitive;
	q->language = sq->language;
	q->library = sq->library ? viewer : 0;
	if (sq->impossible || (sq->library && !viewer))
		return false;
	if (sq->from) {
		int64_t who = from_account(a, viewer, sq->from);
		if (!sq->from_negated && !who)
			return false; /* nobody by that name wrote anything */
		if (sq->from_negated)
			q->not_author = who;
		else
			q->author = who;
	}
	if (o->account_id) {
		if (q->author && q->author != o->account_id)
			return false;
		q->author = o->account_id;
	}
	/* ids grow with time: a date range is an id range */
	*lo = o->min_id;
	if (sq->after_ms && id_from_ms(sq->after_ms) - 1 > *lo)
		*lo = id_from_ms(sq->after_ms) - 1;
	*hi = o->max_id ? o->max_id : INT64_MAX;
	if (sq->before_ms && id_from_ms(sq->before_ms) < *hi)
		*hi = id_from_ms(sq->before_ms);
	return *lo < *hi;
}

void search_statuses(arena *a, int64_t viewer, const search_query *sq,
		     const search_options *o, status_page *out)
{
	memset(out, 0, sizeof *out);
	store_status_query q;
	int64_t lo, hi;
	bool any = false;
	for (size_t i = 0; i < sq->nterms && !any; i++)
		any = !sq->terms[i].negated;
	/* words to find or a filter to apply: "-word" alone finds nothing */
	if ((!any && !search_query_has_filter(sq)) ||
	    o->offset > cfg.search_max_offset ||
	    !status_query(a, viewer, sq, o, &q, &lo, &hi))
		return;
	/* the offset counts visible statuses, so skip them here */
	size_t want = (size_t)o->offset + (size_t)o->limit, seen = 0;
	out->items = arena_alloc(a, (size_t)o->limit * sizeof *out->items);
	int64_t *ids = arena_alloc(a, want * sizeof *ids);
	for (int batch = 0; batch < SEARCH_MAX_BATCHES; batch++) {
		size_t n = store_statuses_search(a, &q, lo, hi, (int)want, ids);
		store_statuses_prefetch(a, ids, n, viewer);
		for (size_t k = 0; k < n && out->count < (size_t)o->limit;
		     k++) {
			status *s = arena_alloc(a, sizeof *s);
			if (!status_load_listed(a, viewer, ids[k], READ_PUBLIC,
						s))
				continue;
			if (seen++ >= (size_t)o->offset)
				out->items[out->count++] = s;
		}
		if (n < want || out->count == (size_t)o->limit)
			break;
		hi = ids[n - 1];
	}
	store_statuses_prefetch_end();
	out->next_max_id = out->count ? out->items[out->count - 1]->id : 0;
	out->prev_min_id = out->count ? out->items[0]->id : 0;
}

/* ---- accounts --------------------------------------------------------- */

size_t search_accounts(arena *a, int64_t viewer, const char *q,
		       const search_options *o, account *out)
{
	if (o->offset > cfg.search_max_offset || (o->following && !viewer))
		return 0;
	while (*q == '@')
		q++;
	/* "user@our.domain" is the local user; another domain names one
	 * account there, found by its handle */
	const char *at = strchr(q, '@');
	char *local = at ? arena_strndup(a, q, (size_t)(at - q)) : (char *)q;
	size_t n = 0;
	if (at && strcasecmp(at + 1, cfg.domain))
		return o->offset == 0 && o->limit > 0 && !o->following &&
		       account_lookup(a, q, o->resolve && viewer, &out[0]) &&
		       visibility_account_shown(&out[0]);
	if (!*local)
		return 0;
	/* the exact username sorts first, so "resolving" a local account
	 * needs nothing more */
	int64_t *ids = arena_alloc(a, (size_t)o->limit * sizeof *ids);
	size_t found = store_accounts_search(
		a, local, o->following ? viewer : 0, o->limit, o->offset, ids);
	for (size_t i = 0; i < found; i++)
		if (store_account_get(a, ids[i], &out[n]) &&
		    visibility_account_shown(&out[n]))
			n++;
	return n;
}

/* ---- hashtags --------------------------------------------------------- */

size_t search_hashtags(arena *a, const char *q, const search_options *o,
		       int64_t *ids, const char **names)
{
	if (*q == '#')
		q++;
	char *key = text_tag_key(a, q, strlen(q));
	if (!key || o->offset > cfg.search_max_offset)
		return 0;
	size_t n = store_tags_search(a, key, o->limit, o->offset, ids, names);
	/* the tag typed is always offered first, used or not, so a client
	 * can open or follow it (Mastodon does the same) */
	if (o->offset ||
	    (n && !strcmp(text_tag_key(a, names[0], strlen(names[0])), key)))
		return n;
	if (n == (size_t)o->limit)
		n--;
	memmove(ids + 1, ids, n * sizeof *ids);
	memmove(names + 1, names, n * sizeof *names);
	ids[0] = 0;
	names[0] = q;
	return n + 1;
}

/* ---- URLs ------------------------------------------------------------- */

static url_resolver url_resolve;

void search_resolve_with(url_resolver fn)
{
	url_resolve = fn;
}

bool search_url(arena *a, int64_t viewer, const char *url, bool resolve,
		account *acc, status *s, bool *is_status)
{
	int64_t id = 0;
	*is_status = false;
	if (!resolve || !viewer || !url_resolve ||
	    !url_resolve(a, url, acc, &id))
		return false;
	if (!id)
		return true;
	/* the rule every read goes through: a post fetched is still shown
	 * only to whom may see it */
	*is_status = status_load_visible(a, viewer, id, s);
	return *is_status;
}
