/* filters.c — keyword filters (Mastodon's Filters v2, and v1 on top):
 * what a valid filter is, and the matcher the visibility rule runs over
 * each status a reader is shown. Which filters apply where is decided in
 * visibility.c, which keeps a reader's compiled filters with its
 * relations. */
#include "core/buf.h"
#include "core/id.h"
#include "core/time.h"
#include "domain/domain.h"
#include "text/text.h"

#include <string.h>

static const char *const context_names[] = {
	[READ_HOME] = "home",	    [READ_NOTIFICATIONS] = "notifications",
	[READ_PUBLIC] = "public",   [READ_THREAD] = "thread",
	[READ_PROFILE] = "account",
};
static const char *const action_names[] = {
	[FILTER_WARN] = "warn",
	[FILTER_HIDE] = "hide",
	[FILTER_BLUR] = "blur",
};
enum {
	NCONTEXTS = sizeof context_names / sizeof context_names[0],
	NACTIONS = sizeof action_names / sizeof action_names[0],
};
_Static_assert((1 << NCONTEXTS) - 1 == FILTER_CONTEXTS_ALL,
	       "a bit for every read_context");

const char *filter_context_name(read_context c)
{
	return (unsigned)c < NCONTEXTS ? context_names[c] : "";
}

int filter_context_parse(const char *name)
{
	for (int i = 0; name && i < NCONTEXTS; i++)
		if (!strcmp(name, context_names[i]))
			return i;
	return -1;
}

const char *filter_action_name(int action)
{
	return action >= 0 && action < NACTIONS ? action_names[action] : "warn";
}

int filter_action_parse(const char *name)
{
	for (int i = 0; name && i < NACTIONS; i++)
		if (!strcmp(name, action_names[i]))
			return i;
	return -1;
}

/* ---- matching ---- */

/* A pattern matched as written (a keyword with no letters or digits)
 * begins with this byte, which no folded text holds. */
static const char RAW_MARK = '\x01';

static int append_token(void *ctx, const char *token, size_t len, size_t start,
			size_t end)
{
	(void)start, (void)end;
	buf *b = ctx;
	buf_append(b, token, len);
	buf_putc(b, ' ');
	return 0;
}

const char *filter_pattern(arena *a, const char *keyword, bool whole_word)
{
	buf b;
	buf_init(&b, a);
	buf_putc(&b, ' ');
	text_search_tokens(keyword, strlen(keyword), append_token, &b);
	if (b.len == 1)
		return arena_printf(a, "%c%s", RAW_MARK, keyword);
	/* " tok tok " for a whole word, "tok tok" inside words */
	if (!whole_word)
		return arena_strndup(a, b.data + 1, b.len - 2);
	return arena_strndup(a, b.data, b.len);
}

static uint32_t bucket_of(const char *p)
{
	return ((uint32_t)(unsigned char)p[0] * 31u +
		(uint32_t)(unsigned char)p[1]) &
	       (FILTER_BUCKETS - 1);
}

void filter_matcher_build(filter_matcher *m, arena *a,
			  const char *const *patterns, size_t n)
{
	memset(m, 0, sizeof *m);
	m->n = n;
	const char **text = arena_alloc(a, (n + 1) * sizeof *text);
	m->patterns = text;
	m->lens = arena_alloc(a, (n + 1) * sizeof *m->lens);
	m->next = arena_alloc(a, (n + 1) * sizeof *m->next);
	m->singles = arena_alloc(a, (n + 1) * sizeof *m->singles);
	/* backwards, so each bucket lists its patterns in order */
	for (size_t i = n; i-- > 0;) {
		const char *p = patterns[i];
		if (p[0] == RAW_MARK) {
			p++;
			m->raw = true;
		}
		size_t len = strlen(p);
		text[i] = p;
		m->lens[i] = len;
		if (len == 0)
			continue;
		if (len == 1) {
			m->singles[m->nsingles++] = (uint32_t)i;
			continue;
		}
		uint32_t h = bucket_of(p);
		m->next[i] = m->head[h];
		m->head[h] = (uint32_t)i + 1;
	}
}

const char *filter_fold(arena *a, const char *const *texts, size_t ntexts,
			size_t *len)
{
	buf b;
	buf_init(&b, a);
	buf_putc(&b, ' ');
	for (size_t i = 0; i < ntexts; i++)
		if (texts[i])
			text_search_tokens(texts[i], strlen(texts[i]),
					   append_token, &b);
	*len = b.len;
	return b.data;
}

const char *filter_haystack(arena *a, const filter_matcher *m,
			    const char *folded, size_t folded_len,
			    const char *const *texts, size_t ntexts,
			    size_t *len)
{
	if (!m->raw) {
		*len = folded_len;
		return folded;
	}
	buf b;
	buf_init(&b, a);
	buf_append(&b, folded, folded_len);
	/* the texts as written, for the patterns that are */
	for (size_t i = 0; i < ntexts; i++)
		if (texts[i]) {
			buf_putc(&b, '\n');
			buf_puts(&b, texts[i]);
		}
	*len = b.len;
	return b.len ? b.data : "";
}

size_t filter_matcher_scan(const filter_matcher *m, const char *hay, size_t len,
			   bool *hit)
{
	size_t found = 0;
	for (size_t k = 0; k < m->nsingles; k++) {
		uint32_t i = m->singles[k];
		if (!hit[i] && memchr(hay, m->patterns[i][0], len)) {
			hit[i] = true;
			found++;
		}
	}
	for (size_t at = 0; at + 1 < len; at++) {
		for (uint32_t e = m->head[bucket_of(hay + at)]; e;
		     e = m->next[e - 1]) {
			uint32_t i = e - 1;
			if (hit[i] || m->lens[i] > len - at ||
			    memcmp(hay + at, m->patterns[i], m->lens[i]))
				continue;
			hit[i] = true;
			found++;
		}
	}
	return found;
}

/* ---- what a valid filter is ---- */

static bool keyword_valid(const char *kw, const char **msg)
{
	size_t n = kw ? strlen(kw) : 0;
	size_t blank = strspn(kw ? kw : "", " \t\r\n");
	if (blank == n) {
		*msg = "Validation failed: Keyword can't be blank";
		return false;
	}
	if (n > FILTER_KEYWORD_MAX || !text_utf8_valid(kw, n)) {
		*msg = "Validation failed: Keyword is too long";
		return false;
	}
	return true;
}

static dom_err apply_change(const filter_change *c, store_filter *f,
			    const char **msg)
{
	if (c->title) {
		size_t n = strlen(c->title);
		if (strspn(c->title, " \t\r\n") == n) {
			*msg = "Validation failed: Title can't be blank";
			return DOM_INVALID;
		}
		if (n > FILTER_TITLE_MAX * 4 || !text_utf8_valid(c->title, n) ||
		    text_count_chars(c->title, n, 0) > FILTER_TITLE_MAX) {
			*msg = "Validation failed: Title is too long";
			return DOM_INVALID;
		}
		f->title = c->title;
	}
	if (c->contexts) {
		unsigned bits = 0;
		for (size_t i = 0; i < c->ncontexts; i++) {
			if (!*c->contexts[i])
				continue; /* "context[]=": none */
			int ctx = filter_context_parse(c->contexts[i]);
			if (ctx < 0) {
				*msg = "Validation failed: Context contains "
				       "invalid values";
				return DOM_INVALID;
			}
			bits |= 1u << ctx;
		}
		if (!bits) {
			*msg = "Validation failed: Context can't be blank";
			return DOM_INVALID;
		}
		f->contexts = bits;
	}
	if (c->action) {
		int action = filter_action_parse(c->action);
		if (action < 0) {
			*msg = "Validation failed: Filter action is not "
			       "included in the list";
			return DOM_INVALID;
		}
		f->action = action;
	}
	if (c->has_expires) {
		if (c->expires_in < 0 || c->expires_in > FILTER_EXPIRES_MAX) {
			*msg = "Validation failed: Expires in is out of range";
			return DOM_INVALID;
		}
		f->expires_at = c->expires_in
					? time_now_ms() + c->expires_in * 1000
					: 0;
	}
	for (size_t i = 0; i < c->nkeywords; i++)
		if (!keyword_valid(c->keywords[i].keyword, msg))
			return DOM_INVALID;
	return DOM_OK;
}

/* Tell p's streams that p's filters changed (Mastodon's filters_changed
 * event, after the commit, as its CustomFilter's after_commit): clients
 * reload them, and the hub re-reads which contexts p filters in. */
static void filters_changed(const principal *p)
{
	events_publish(&(event){.kind = EVENT_FILTERS_CHANGED,
				.account_id = p->account_id});
}

/* A store write's answer as a domain one, telling the streams when it
 * changed something. */
static dom_err changed(const principal *p, int rc)
{
	if (rc == STORE_GONE)
		return DOM_NOT_FOUND;
	if (rc < 0)
		return DOM_INTERNAL;
	filters_changed(p);
	return DOM_OK;
}

dom_err filter_save(arena *a, const principal *p, int64_t id,
		    const filter_change *c, store_filter *out, const char **msg)
{
	store_filter f;
	if (id) {
		if (!store_filter_get(a, p->account_id, id, &f))
			return DOM_NOT_FOUND;
	} else {
		memset(&f, 0, sizeof f);
		f.id = id_next();
		f.account_id = p->account_id;
		if (!c->title) {
			*msg = "Validation failed: Title can't be blank";
			return DOM_INVALID;
		}
		if (!c->contexts) {
			*msg = "Validation failed: Context can't be blank";
			return DOM_INVALID;
		}
	}
	/* a keyword updated without its text keeps it */
	for (size_t i = 0; i < c->nkeywords; i++)
		for (size_t k = 0; !c->keywords[i].keyword && k < f.nkeywords;
		     k++)
			if (f.keywords[k].id == c->keywords[i].id)
				c->keywords[i].keyword = f.keywords[k].keyword;
	dom_err err = apply_change(c, &f, msg);
	if (err)
		return err;
	int rc = store_filter_save(&f, id == 0, c->keywords, c->nkeywords,
				   c->destroy, c->ndestroy);
	if (rc == STORE_GONE)
		return DOM_NOT_FOUND;
	if (rc < 0)
		return DOM_INTERNAL;
	filters_changed(p);
	return store_filter_get(a, p->account_id, f.id, out) ? DOM_OK
							     : DOM_NOT_FOUND;
}

dom_err filter_keyword_save(const principal *p, store_filter_keyword *k,
			    const char **msg)
{
	if (!keyword_valid(k->keyword, msg))
		return DOM_INVALID;
	return changed(p, store_filter_keyword_save(p->account_id, k));
}

dom_err filter_status_add(arena *a, const principal *p, int64_t filter_id,
			  int64_t status_id, store_filter_status *fs,
			  const char **msg)
{
	status s;
	if (!status_load_visible(a, p->account_id, status_id, &s))
		return DOM_NOT_FOUND;
	*fs = (store_filter_status){0, filter_id, status_id};
	int rc = store_filter_status_add(p->account_id, fs);
	if (rc == STORE_TAKEN) {
		*msg = "Validation failed: Status has already been taken";
		return DOM_INVALID;
	}
	return changed(p, rc);
}

dom_err filter_remove(const principal *p, int64_t id)
{
	return changed(p, store_filter_delete(p->account_id, id));
}

dom_err filter_keyword_remove(const principal *p, int64_t id, bool v1)
{
	return changed(p, store_filter_keyword_delete(p->account_id, id, v1));
}

dom_err filter_status_remove(const principal *p, int64_t id)
{
	return changed(p, store_filter_status_delete(p->account_id, id));
}
