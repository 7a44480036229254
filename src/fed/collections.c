/* collections.c — an actor's collections: its outbox (what an anonymous
 * reader may see of its posts, as the activities that made them), its
 * followers and following, and what its profile features (pinned posts,
 * hashtags). A collection answers its size and the address of its first
 * page; a page is asked with ?page=true and walked by max_id, as
 * Mastodon's are. */
#include "fed/fed.h"

#include "core/config.h"
#include "core/id.h"

enum {
	OUTBOX_PAGE = 20,
	ACCOUNTS_PAGE = 40,
};

static const char as_context[] = "https://www.w3.org/ns/activitystreams";

/* The page the query asks for: the first, or the one below max_id. */
static page query_page(http_req *r, int limit)
{
	page p = {.limit = limit};
	const char *max = http_param_get(r, "max_id");
	if (max && !id_parse(max, &p.max_id))
		p.max_id = 0;
	return p;
}

/* The collection itself: its size and where its pages start. */
static void reply_collection(http_req *r, const char *id, int64_t total)
{
	fed_reply(r, 200,
		  json_pack("{s:s,s:s,s:s,s:I,s:s+}", "@context", as_context,
			    "id", id, "type", "OrderedCollection", "totalItems",
			    (json_int_t)total, "first", id, "?page=true"));
}

/* The address of collection id's page below max_id (0: the first). */
static const char *page_id(arena *a, const char *id, int64_t max_id)
{
	return max_id ? arena_printf(a, "%s?max_id=%lld&page=true", id,
				     (long long)max_id)
		      : arena_printf(a, "%s?page=true", id);
}

/* Page p of collection id with items; next when another page is below
 * next_max_id (0: none). */
static void reply_page(http_req *r, const char *id, const page *p,
		       json_t *items, int64_t next_max_id)
{
	arena *a = &r->arena;
	json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:o}", "@context", as_context,
				"id", page_id(a, id, p->max_id), "type",
				"OrderedCollectionPage", "partOf", id,
				"orderedItems", items);
	if (next_max_id)
		json_object_set_new(doc, "next",
				    json_string(page_id(a, id, next_max_id)));
	fed_reply(r, 200, doc);
}

/* Page p of acc's feed of kind, as an anonymous reader sees it, as
 * make's documents; *next the max_id of the page after it (0: none). */
static json_t *post_documents(arena *a, store_feed kind, const account *acc,
			      const page *p, fed_post_document make,
			      int64_t *next)
{
	status_page out;
	timeline_feed(a, 0, kind, acc->id, 0, p, &out);
	json_t *items = json_array();
	for (size_t i = 0; i < out.count; i++) {
		json_t *doc = make(a, out.items[i], acc, false);
		if (doc)
			json_array_append_new(items, doc);
	}
	*next = out.next_max_id;
	return items;
}

static void serve_outbox(http_req *r, int64_t viewer)
{
	(void)viewer;
	account acc;
	if (!fed_path_account(r, 0, false, &acc))
		return;
	arena *a = &r->arena;
	const char *id = arena_printf(a, "%s/outbox",
				      account_local_uri(a, acc.username));
	if (!http_param_has(r, "page")) {
		reply_collection(r, id, account_shown(a, &acc)->statuses_count);
		return;
	}
	page p = query_page(r, OUTBOX_PAGE);
	int64_t next;
	json_t *items = post_documents(a, STORE_FEED_ACCOUNT, &acc, &p,
				       fed_create, &next);
	reply_page(r, id, &p, items, next);
}

/* followers or following of the account the path names. */
static void account_list(http_req *r, store_list kind, const char *name)
{
	account acc;
	if (!fed_path_account(r, 0, false, &acc))
		return;
	arena *a = &r->arena;
	const char *id = arena_printf(a, "%s/%s",
				      account_local_uri(a, acc.username), name);
	const account *shown = account_shown(a, &acc);
	if (!http_param_has(r, "page")) {
		reply_collection(r, id,
				 kind == STORE_LIST_FOLLOWERS
					 ? shown->followers_count
					 : shown->following_count);
		return;
	}
	page p = query_page(r, ACCOUNTS_PAGE);
	int64_t ids[ACCOUNTS_PAGE], keys[ACCOUNTS_PAGE];
	size_t n = visibility_account_shown(&acc)
			   ? store_list_page(kind, acc.id, &p, ids, keys)
			   : 0;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		account other;
		if (store_account_get(a, ids[i], &other))
			json_array_append_new(items,
					      json_string(account_local_uri(
						      a, other.username)));
	}
	reply_page(r, id, &p, items, n == ACCOUNTS_PAGE ? keys[n - 1] : 0);
}

static void serve_followers(http_req *r, int64_t viewer)
{
	(void)viewer;
	account_list(r, STORE_LIST_FOLLOWERS, "followers");
}

static void serve_following(http_req *r, int64_t viewer)
{
	(void)viewer;
	account_list(r, STORE_LIST_FOLLOWING, "following");
}

static void serve_featured(http_req *r, int64_t viewer)
{
	(void)viewer;
	enum { PINNED_MAX = 20 };
	account acc;
	if (!fed_path_account(r, 0, false, &acc))
		return;
	arena *a = &r->arena;
	page p = {.limit = PINNED_MAX};
	int64_t next;
	json_t *items =
		post_documents(a, STORE_FEED_PINNED, &acc, &p, fed_note, &next);
	fed_reply(r, 200,
		  json_pack("{s:s,s:s++,s:s,s:I,s:o}", "@context", as_context,
			    "id", account_local_uri(a, acc.username),
			    "/collections/", "featured", "type",
			    "OrderedCollection", "totalItems",
			    (json_int_t)json_array_size(items), "orderedItems",
			    items));
}

static void serve_featured_tags(http_req *r, int64_t viewer)
{
	(void)viewer;
	account acc;
	if (!fed_path_account(r, 0, false, &acc))
		return;
	arena *a = &r->arena;
	store_featured_tag *tags;
	size_t n = store_featured_tags(a, acc.id, &tags);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items,
				      json_pack("{s:s,s:s++,s:s+}", "type",
						"Hashtag", "href", cfg.base_url,
						"/tags/", tags[i].name, "name",
						"#", tags[i].name));
	fed_reply(r, 200,
		  json_pack("{s:s,s:s+,s:s,s:I,s:o}", "@context", as_context,
			    "id", account_local_uri(a, acc.username),
			    "/collections/tags", "type", "Collection",
			    "totalItems", (json_int_t)n, "items", items));
}

/* Under [federation] authorized_fetch these too are for signed GETs
 * only; what they list is the same for whoever signs. */
static const fed_get outbox_get = {serve_outbox, true},
		     followers_get = {serve_followers, true},
		     following_get = {serve_following, true},
		     featured_get = {serve_featured, true},
		     featured_tags_get = {serve_featured_tags, true};

void fed_outbox(http_req *r)
{
	fed_get_signed(r, &outbox_get);
}

void fed_followers(http_req *r)
{
	fed_get_signed(r, &followers_get);
}

void fed_following(http_req *r)
{
	fed_get_signed(r, &following_get);
}

void fed_featured(http_req *r)
{
	fed_get_signed(r, &featured_get);
}

void fed_featured_tags(http_req *r)
{
	fed_get_signed(r, &featured_tags_get);
}

/* The account's archive documents (domain/export.c): its actor, and its
 * outbox with every post of its as its author reads them, newest first. */
static bool archive_documents(arena *a, const account *acc, const char **actor,
			      const char **outbox)
{
	enum { PAGE = 40, POSTS_MAX = 100000 };
	json_t *person = fed_person(a, acc);
	if (!person)
		return false;
	json_t *items = json_array();
	page p = {.limit = PAGE};
	for (size_t seen = 0; seen < POSTS_MAX;) {
		status_page out;
		timeline_feed(a, acc->id, STORE_FEED_ACCOUNT, acc->id, 0, &p,
			      &out);
		for (size_t i = 0; i < out.count; i++) {
			json_t *doc = fed_create(a, out.items[i], acc, false);
			if (doc)
				json_array_append_new(items, doc);
		}
		seen += out.count;
		if (!out.next_max_id || out.count == 0)
			break;
		p.max_id = out.next_max_id;
	}
	const char *id = arena_printf(a, "%s/outbox",
				      account_local_uri(a, acc->username));
	json_t *box = json_pack("{s:s,s:s,s:s,s:I,s:o}", "@context",
				"https://www.w3.org/ns/activitystreams", "id",
				id, "type", "OrderedCollection", "totalItems",
				(json_int_t)json_array_size(items),
				"orderedItems", items);
	char *actor_text = json_dumps(person, JSON_COMPACT);
	char *outbox_text = json_dumps(box, JSON_COMPACT);
	json_decref(person);
	json_decref(box);
	*actor = actor_text ? arena_strdup(a, actor_text) : NULL;
	*outbox = outbox_text ? arena_strdup(a, outbox_text) : NULL;
	free(actor_text);
	free(outbox_text);
	return *actor && *outbox;
}

void fed_archive_install(void)
{
	export_documents_with(archive_documents);
}
