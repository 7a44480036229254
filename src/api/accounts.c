/* accounts.c — /api/v1/accounts and follow requests. */
#include "api/api.h"

#include "core/config.h"
#include "core/id.h"
#include "store/store.h"
#include "text/text.h"

#include <stdlib.h>
#include <string.h>

enum {
	ACCOUNTS_PAGE_DEFAULT = 40,
	ACCOUNTS_PAGE_MAX = 80,
	STATUSES_PAGE_DEFAULT = 20,
	STATUSES_PAGE_MAX = 40,
	RELATIONSHIPS_MAX = 100,
};

/* Registration hashes the password: on a password work thread. */
static void register_work(http_req *r, void *ctx)
{
	(void)ctx;
	registration reg = {
		.username = http_param_get(r, "username"),
		.email = http_param_get(r, "email"),
		.password = http_param_get(r, "password"),
		.self_service = true,
		.invite_code = http_param_get(r, "invite_code"),
		.reason = http_param_get(r, "reason"),
		.ip = api_client_address(r),
	};
	const char *field = NULL, *code = NULL, *msg = NULL;
	int64_t id;
	dom_err err =
		account_register(&r->arena, &reg, &id, &field, &code, &msg);
	if (err == DOM_INVALID) {
		json_t *details = json_object();
		json_object_set_new(details, field,
				    json_pack("[{s:s,s:s}]", "error", code,
					      "description", msg));
		char *label = arena_strdup(&r->arena, field);
		label[0] = (char)(label[0] - 'a' + 'A');
		http_reply_json(
			r, 422,
			json_pack("{s:s,s:o}", "error",
				  arena_printf(&r->arena,
					       "Validation failed: %s %s",
					       label, msg),
				  "details", details));
		return;
	}
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	/* the new user is signed in at once with the app's scopes */
	const principal *p = api_principal(r);
	oauth_reply_new_token(r, p->app_id, id, p->scopes);
}

void accounts_create(http_req *r)
{
	if (!registrations_admit(http_param_get(r, "invite_code"))) {
		http_reply_error(r, 403, "Registrations are closed");
		return;
	}
	if (!http_param_bool(r, "agreement", false)) {
		json_t *details = json_pack("{s:[{s:s,s:s}]}", "agreement",
					    "error", "ERR_ACCEPTED",
					    "description", "must be accepted");
		http_reply_json(r, 422,
				json_pack("{s:s,s:o}", "error",
					  "Validation failed: Agreement must "
					  "be accepted",
					  "details", details));
		return;
	}
	if (!api_defer_password(r, register_work, NULL))
		api_reply_busy(r);
}

/* The password is checked on a password work thread. */
static void delete_own_work(http_req *r, void *ctx)
{
	(void)ctx;
	const char *msg;
	dom_err err = account_delete_own(&r->arena, api_principal(r),
					 http_param_get(r, "password"), &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	/* accepted: the erasure follows once other servers are told */
	http_reply_json(r, 202, json_object());
}

void accounts_delete_own(http_req *r)
{
	if (!api_defer_password(r, delete_own_work, NULL))
		api_reply_busy(r);
}

void accounts_verify_credentials(http_req *r)
{
	const principal *p = api_principal(r);
	http_reply_json(r, 200,
			render_credential_account(&r->arena, p->account));
}

/* The 422 message for a profile field part over its limit, or NULL. */
static const char *field_too_long(http_req *r, const char *part, const char *s,
				  int max)
{
	if (!s || text_code_points(s) <= (size_t)max)
		return NULL;
	return arena_printf(&r->arena,
			    "Validation failed: Fields %s is too long "
			    "(maximum is %d characters)",
			    part, max);
}

/* fields_attributes[i][name|value] arrive flattened by the HTTP layer as
 * "fields_attributes[0][name]" keys (or as a JSON array of objects).
 * NULL with *error set when a name or value is over its limit: the
 * account is embedded in every status of its author, so its size is
 * multiplied by every page it appears on. */
static json_t *collect_fields(http_req *r, bool *present, const char **error)
{
	json_t *fields = json_array();
	*present = false;
	for (int i = 0; i < cfg.max_fields; i++) {
		const char *name = http_param_get(
			r, arena_printf(&r->arena,
					"fields_attributes[%d][name]", i));
		const char *value = http_param_get(
			r, arena_printf(&r->arena,
					"fields_attributes[%d][value]", i));
		if (!name && !value)
			continue;
		*present = true;
		if ((*error = field_too_long(r, "name", name,
					     cfg.max_field_name)) ||
		    (*error = field_too_long(r, "value", value,
					     cfg.max_field_value))) {
			json_decref(fields);
			return NULL;
		}
		if ((!name || !*name) && (!value || !*value))
			continue;
		json_array_append_new(
			fields, json_pack("{s:s,s:s}", "name", name ? name : "",
					  "value", value ? value : ""));
	}
	return fields;
}

/* A new avatar or header sent as file part key: processed into *name.
 * False after replying with the error. */
static bool read_profile_image(http_req *r, const char *key, const char **name)
{
	const http_param *f = http_param_find(r, key);
	if (!f || !f->path)
		return true; /* not sent (a text value is ignored) */
	const char *msg = NULL;
	dom_err err = media_profile_image(&r->arena, f->path, f->len,
					  !strcmp(key, "header"), name, &msg);
	if (err)
		api_reply_dom(r, err, msg);
	return err == DOM_OK;
}

static void update_credentials(http_req *r, void *ctx)
{
	(void)ctx;
	const principal *p = api_principal(r);
	account acc = *p->account;
	const char *v;
	if ((v = http_param_get(r, "display_name"))) {
		if (text_code_points(v) > (size_t)cfg.max_display_name) {
			http_reply_error(r, 422,
					 "Validation failed: Display name is "
					 "too long");
			return;
		}
		acc.display_name = v;
	}
	if ((v = http_param_get(r, "note"))) {
		if (text_code_points(v) > (size_t)cfg.max_note) {
			http_reply_error(r, 422,
					 "Validation failed: Note is too long");
			return;
		}
		acc.note = v;
		acc.note_html = profile_text_html(&r->arena, v);
	}
	acc.locked = http_param_bool(r, "locked", acc.locked);
	acc.bot = http_param_bool(r, "bot", acc.bot);
	acc.discoverable = http_param_bool(r, "discoverable", acc.discoverable);
	if ((v = http_param_get(r, "source[privacy]"))) {
		visibility vis;
		if (!visibility_parse(v, &vis)) {
			http_reply_error(r, 422,
					 "Validation failed: Privacy is not "
					 "included in the list");
			return;
		}
		acc.privacy = v;
	}
	acc.sensitive = http_param_bool(r, "source[sensitive]", acc.sensitive);
	if ((v = http_param_get(r, "source[language]"))) {
		if (*v && !api_language_valid(v)) {
			http_reply_error(r, 422,
					 "Validation failed: Language is not "
					 "included in the list");
			return;
		}
		acc.language = *v ? v : NULL;
	}
	bool present;
	const char *error = NULL;
	json_t *fields = collect_fields(r, &present, &error);
	if (!fields) {
		http_reply_error(r, 422, error);
		return;
	}
	if (present) {
		char *dumped = json_dumps(fields, JSON_COMPACT);
		acc.fields = arena_strdup(&r->arena, dumped);
		free(dumped);
	}
	json_decref(fields);
	const char *old_avatar = acc.avatar, *old_header = acc.header;
	if (!read_profile_image(r, "avatar", &acc.avatar) ||
	    !read_profile_image(r, "header", &acc.header)) {
		media_remove_name(acc.avatar != old_avatar ? acc.avatar : NULL);
		return;
	}
	if (store_account_update_profile(&acc) < 0) {
		media_remove_name(acc.avatar != old_avatar ? acc.avatar : NULL);
		media_remove_name(acc.header != old_header ? acc.header : NULL);
		http_reply_error(r, 500, "Internal server error");
		return;
	}
	account_profile_changed(acc.id);
	/* the account now points at the new files */
	media_remove_name(acc.avatar != old_avatar ? old_avatar : NULL);
	media_remove_name(acc.header != old_header ? old_header : NULL);
	account fresh;
	store_account_get(&r->arena, acc.id, &fresh);
	http_reply_json(r, 200, render_credential_account(&r->arena, &fresh));
}

void accounts_update_credentials(http_req *r)
{
	const http_param *avatar = http_param_find(r, "avatar");
	const http_param *header = http_param_find(r, "header");
	/* new images are processed on a work thread, like media uploads */
	if ((avatar && avatar->path) || (header && header->path))
		http_defer(r, update_credentials, NULL);
	else
		update_credentials(r, NULL);
}

/* Load the account named by path parameter 0, or reply 404. */
static bool path_account(http_req *r, account *acc)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return false;
	if (!store_account_get(&r->arena, id, acc)) {
		http_reply_error(r, 404, "Record not found");
		return false;
	}
	return true;
}

void accounts_show(http_req *r)
{
	account acc;
	if (path_account(r, &acc))
		http_reply_json(r, 200, render_account(&r->arena, &acc));
}

/* On a fetch thread: the account asked of its server. */
static void lookup_resolved(http_req *r, void *ctx)
{
	(void)ctx;
	account acc;
	if (account_lookup(&r->arena, http_param_get(r, "acct"), true, &acc))
		http_reply_json(r, 200, render_account(&r->arena, &acc));
	else
		http_reply_error(r, 404, "Record not found");
}

void accounts_lookup(http_req *r)
{
	account acc;
	const char *acct = http_param_get(r, "acct");
	if (account_lookup(&r->arena, acct, false, &acc)) {
		http_reply_json(r, 200, render_account(&r->arena, &acc));
		return;
	}
	/* asking another server is what a signed-in reader may make
	 * chorus do, not anyone; and it waits on a fetch thread */
	if (!api_viewer(r) || !acct || !strchr(acct + (*acct == '@'), '@'))
		http_reply_error(r, 404, "Record not found");
	else if (!http_defer_to(r, API_POOL_FETCH, lookup_resolved, NULL))
		api_reply_busy(r);
}

void accounts_statuses(http_req *r)
{
	render_set_context(READ_PROFILE);
	account acc;
	if (!path_account(r, &acc))
		return;
	page p;
	api_page(r, &p, STATUSES_PAGE_DEFAULT, STATUSES_PAGE_MAX);
	int64_t viewer = api_viewer(r);
	bool no_replies = http_param_bool(r, "exclude_replies", false);
	bool no_reblogs = http_param_bool(r, "exclude_reblogs", false);
	status_page out;
	if (http_param_bool(r, "only_media", false)) {
		timeline_feed(&r->arena, viewer, STORE_FEED_ACCOUNT_MEDIA,
			      acc.id, 0, &p, &out);
	} else if (http_param_bool(r, "pinned", false)) {
		timeline_feed(&r->arena, viewer, STORE_FEED_PINNED, acc.id, 0,
			      &p, &out);
	} else if (http_param_get(r, "tagged")) {
		const char *name = http_param_get(r, "tagged");
		char *key = text_tag_key(&r->arena, name, strlen(name));
		int64_t tag = key ? store_tag_id(key) : 0;
		timeline_feed(&r->arena, viewer, STORE_FEED_ACCOUNT_TAGGED,
			      acc.id, tag, &p, &out);
	} else {
		store_feed kind = no_replies && no_reblogs
					  ? STORE_FEED_ACCOUNT_ORIGINALS
				  : no_replies ? STORE_FEED_ACCOUNT_NO_REPLIES
				  : no_reblogs ? STORE_FEED_ACCOUNT_NO_REBLOGS
					       : STORE_FEED_ACCOUNT;
		timeline_feed(&r->arena, viewer, kind, acc.id, 0, &p, &out);
	}
	api_link(r, out.next_max_id, out.prev_min_id);
	api_reply_statuses(r, out.items, out.count);
}

void accounts_followers(http_req *r)
{
	account acc;
	if (path_account(r, &acc))
		api_reply_account_list(r, STORE_LIST_FOLLOWERS, acc.id);
}

void accounts_following(http_req *r)
{
	account acc;
	if (path_account(r, &acc))
		api_reply_account_list(r, STORE_LIST_FOLLOWING, acc.id);
}

void accounts_follow(http_req *r)
{
	account acc;
	if (!path_account(r, &acc))
		return;
	const principal *p = api_principal(r);
	dom_err err = account_follow(&r->arena, p, acc.id,
				     http_param_bool(r, "reblogs", true),
				     http_param_bool(r, "notify", false));
	if (err == DOM_FORBIDDEN) {
		http_reply_error(r, 403, "This action is not allowed");
		return;
	}
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	http_reply_json(r, 200,
			render_relationship(&r->arena, p->account_id, acc.id));
}

void accounts_unfollow(http_req *r)
{
	account acc;
	if (!path_account(r, &acc))
		return;
	const principal *p = api_principal(r);
	dom_err err = account_unfollow(&r->arena, p, acc.id);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	http_reply_json(r, 200,
			render_relationship(&r->arena, p->account_id, acc.id));
}

void accounts_relationships(http_req *r)
{
	size_t n;
	const char **ids = http_param_list(r, "id", &n);
	if (n == 0) {
		const char *one = http_param_get(r, "id");
		if (one) {
			ids = &one;
			n = 1;
		}
	}
	if (n > RELATIONSHIPS_MAX)
		n = RELATIONSHIPS_MAX;
	json_t *arr = json_array();
	int64_t viewer = api_viewer(r);
	for (size_t i = 0; i < n; i++) {
		int64_t id;
		account acc;
		if (id_parse(ids[i], &id) &&
		    store_account_get(&r->arena, id, &acc))
			json_array_append_new(
				arr,
				render_relationship(&r->arena, viewer, id));
	}
	http_reply_json(r, 200, arr);
}

void accounts_search(http_req *r)
{
	const char *q = http_param_get(r, "q");
	if (!q) {
		http_reply_error(r, 400, "Missing required parameter: q");
		return;
	}
	page p;
	api_page(r, &p, ACCOUNTS_PAGE_DEFAULT, ACCOUNTS_PAGE_MAX);
	const char *off = http_param_get(r, "offset");
	search_options o = {
		.limit = p.limit,
		.offset = off && atoi(off) > 0 ? atoi(off) : 0,
		.following = http_param_bool(r, "following", false),
	};
	account *accs = arena_alloc(&r->arena, (size_t)p.limit * sizeof *accs);
	size_t n = search_accounts(&r->arena, api_viewer(r), q, &o, accs);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, render_account(&r->arena, &accs[i]));
	http_reply_json(r, 200, arr);
}

void follow_requests_index(http_req *r)
{
	api_reply_account_list(r, STORE_LIST_FOLLOW_REQUESTS, api_viewer(r));
}

static void follow_request_decision(http_req *r, bool accept)
{
	int64_t from;
	if (!api_path_id(r, 0, &from))
		return;
	const principal *p = api_principal(r);
	dom_err err = follow_request_decide(&r->arena, p, from, accept);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	http_reply_json(r, 200,
			render_relationship(&r->arena, p->account_id, from));
}

void follow_requests_authorize(http_req *r)
{
	follow_request_decision(r, true);
}

void follow_requests_reject(http_req *r)
{
	follow_request_decision(r, false);
}
