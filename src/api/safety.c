/* safety.c — blocks, mutes and domain blocks: /api/v1/accounts/:id/block
 * and friends, /api/v1/blocks, /api/v1/mutes, /api/v1/domain_blocks. What
 * they change is read by the one rule in domain/visibility.c. */
#include "api/api.h"

#include "store/store.h"

/* Answer a block or mute of path account 0 with the Relationship. */
static void relation_reply(http_req *r, int64_t target, dom_err err,
			   const char *msg)
{
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	http_reply_json(r, 200,
			render_relationship(&r->arena, api_viewer(r), target));
}

static void block(http_req *r, bool on)
{
	int64_t target;
	if (!api_path_id(r, 0, &target))
		return;
	const char *msg = NULL;
	dom_err err =
		account_block(&r->arena, api_principal(r), target, on, &msg);
	relation_reply(r, target, err, msg);
}

void accounts_block(http_req *r)
{
	block(r, true);
}

void accounts_unblock(http_req *r)
{
	block(r, false);
}

void accounts_mute(http_req *r)
{
	int64_t target;
	if (!api_path_id(r, 0, &target))
		return;
	long seconds;
	if (!api_param_long(r, "duration", 0, &seconds)) {
		http_reply_error(r, 422,
				 "Validation failed: duration is not a number");
		return;
	}
	const char *msg = NULL;
	dom_err err = account_mute(&r->arena, api_principal(r), target, true,
				   http_param_bool(r, "notifications", true),
				   seconds, &msg);
	relation_reply(r, target, err, msg);
}

void accounts_unmute(http_req *r)
{
	int64_t target;
	if (!api_path_id(r, 0, &target))
		return;
	const char *msg = NULL;
	dom_err err = account_mute(&r->arena, api_principal(r), target, false,
				   false, 0, &msg);
	relation_reply(r, target, err, msg);
}

void blocks_index(http_req *r)
{
	api_reply_account_list(r, STORE_LIST_BLOCKS, api_viewer(r));
}

void mutes_index(http_req *r)
{
	api_reply_account_list(r, STORE_LIST_MUTES, api_viewer(r));
}

void domain_blocks_index(http_req *r)
{
	enum { DOMAINS_DEFAULT = 100, DOMAINS_MAX = 200 };
	page p;
	api_page(r, &p, DOMAINS_DEFAULT, DOMAINS_MAX);
	const char **names =
		arena_alloc(&r->arena, (size_t)p.limit * sizeof *names);
	int64_t *keys = arena_alloc(&r->arena, (size_t)p.limit * sizeof *keys);
	size_t n = store_domain_blocks_page(&r->arena, api_viewer(r), &p, names,
					    keys);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(names[i]));
	if (n)
		api_link(r, keys[n - 1], keys[0]);
	http_reply_json(r, 200, arr);
}

static void domain_block_change(http_req *r, bool on)
{
	const char *domain = http_param_get(r, "domain");
	if (!domain || !*domain) {
		http_reply_error(r, 400, "Missing required parameter: domain");
		return;
	}
	const char *msg = NULL;
	api_reply_dom(
		r, domain_block(&r->arena, api_principal(r), domain, on, &msg),
		msg);
}

void domain_blocks_create(http_req *r)
{
	domain_block_change(r, true);
}

void domain_blocks_delete(http_req *r)
{
	domain_block_change(r, false);
}
