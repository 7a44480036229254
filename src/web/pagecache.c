/* pagecache.c — anonymous pages served again without being rendered.
 *
 * A visitor who follows a shared link gets the same bytes as the one
 * before: the page depends only on the URL, the language and the data.
 * An entry is valid while the data it was read from is: no render cache
 * was invalidated since (core/cache.h's epoch: edits, favourites, profile
 * changes) and no event was published (new posts, deletions), and for at
 * most [cache] page_seconds, since relative times and trends age on their
 * own. Both stamps are taken before the request's read snapshot, so a
 * page read from data older than a change is never kept past it. */
#include "web/web.h"

#include "core/cache.h"
#include "core/config.h"
#include "core/time.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct page_entry {
	char *key;
	char *body; /* len bytes of HTML, then gzlen gzipped */
	size_t len, gzlen;
	char etag[40];
	int status;
	uint64_t epoch, generation;
	int64_t expires_ms;
} page_entry;

static page_entry *slots;
static size_t nslots;
static size_t bytes_held;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The stamps of this thread's current request, from web_cache_reply. */
static __thread uint64_t req_generation;

void web_cache_init(void)
{
	nslots = cfg.cache_pages > 0 ? (size_t)cfg.cache_pages : 0;
	slots = nslots ? calloc(nslots, sizeof *slots) : NULL;
	if (!slots)
		nslots = 0;
}

void web_cache_shutdown(void)
{
	for (size_t i = 0; i < nslots; i++) {
		free(slots[i].key);
		free(slots[i].body);
	}
	free(slots);
	slots = NULL;
	nslots = bytes_held = 0;
}

/* Language, path and query: all a page's bytes depend on besides data. */
static char *cache_key(http_req *r)
{
	buf b;
	buf_init(&b, &r->arena);
	buf_puts(&b, web_request_of(r)->lang);
	buf_putc(&b, ' ');
	buf_puts(&b, r->path);
	for (size_t i = 0; i < r->nparams; i++) {
		if (!r->params[i].from_query)
			continue;
		buf_putc(&b, i ? '&' : '?');
		buf_puts(&b, r->params[i].key);
		buf_putc(&b, '=');
		buf_append(&b, r->params[i].value, r->params[i].len);
	}
	return b.data;
}

static size_t slot_of(const char *key)
{
	unsigned char h[8];
	crypto_generichash(h, sizeof h, (const unsigned char *)key, strlen(key),
			   NULL, 0);
	uint64_t v;
	memcpy(&v, h, sizeof v);
	return (size_t)(v % nslots);
}

static void entry_clear(page_entry *e)
{
	bytes_held -= e->len + e->gzlen;
	free(e->key);
	free(e->body);
	memset(e, 0, sizeof *e);
}

void web_cache_begin(void)
{
	req_generation = events_generation();
}

bool web_cache_reply(http_req *r)
{
	if (!nslots)
		return false;
	char *key = cache_key(r);
	page_entry *e = &slots[slot_of(key)];
	pthread_mutex_lock(&lock);
	bool hit = e->key && !strcmp(e->key, key) &&
		   e->epoch == cache_thread_epoch() &&
		   e->generation == req_generation &&
		   time_now_ms() < e->expires_ms;
	web_body body = {0};
	int status = 0;
	if (hit) {
		/* only the encoding this client takes is copied out */
		bool gz = e->gzlen && web_accepts_gzip(r);
		size_t n = gz ? e->gzlen : e->len;
		char *copy = arena_alloc(&r->arena, n + 1);
		memcpy(copy, e->body + (gz ? e->len : 0), n);
		copy[n] = '\0';
		if (gz) {
			body.gz = copy;
			body.gzlen = n;
		} else {
			body.html = copy;
			body.len = n;
		}
		body.etag = *e->etag ? arena_strdup(&r->arena, e->etag) : NULL;
		status = e->status;
	}
	pthread_mutex_unlock(&lock);
	if (hit)
		web_reply_html(r, status, &body);
	return hit;
}

bool web_cache_wanted(http_req *r, int status)
{
	return nslots && !strcmp(r->method, "GET") && r->session &&
	       !web_viewer(r) && !web_request_of(r)->no_store &&
	       (status == 200 || status == 404);
}

void web_cache_store(http_req *r, int status, const web_body *body)
{
	size_t total = body->len + (body->gz ? body->gzlen : 0);
	if (total > (size_t)cfg.cache_pages_bytes / 8)
		return;
	char *key = strdup(cache_key(r));
	char *copy = malloc(total);
	if (!key || !copy) {
		free(key);
		free(copy);
		return;
	}
	memcpy(copy, body->html, body->len);
	if (body->gz)
		memcpy(copy + body->len, body->gz, body->gzlen);
	page_entry *e = &slots[slot_of(key)];
	pthread_mutex_lock(&lock);
	entry_clear(e);
	/* over budget: drop others, starting after this slot */
	for (size_t i = 1;
	     i < nslots && bytes_held + total > (size_t)cfg.cache_pages_bytes;
	     i++)
		if (slots[(e - slots + i) % nslots].key)
			entry_clear(&slots[(e - slots + i) % nslots]);
	e->key = key;
	e->body = copy;
	e->len = body->len;
	e->gzlen = body->gz ? body->gzlen : 0;
	snprintf(e->etag, sizeof e->etag, "%s", body->etag ? body->etag : "");
	e->status = status;
	e->epoch = cache_thread_epoch();
	e->generation = req_generation;
	e->expires_ms = time_now_ms() + (int64_t)cfg.cache_page_seconds * 1000;
	bytes_held += total;
	pthread_mutex_unlock(&lock);
}
