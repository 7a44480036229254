/* reply_controls.c — interaction policies in GoToSocial's shape (the
 * account's defaults per visibility; a post's own is read by
 * statuses_create), and hiding a reply from its thread (a chorus
 * extension). The rules are domain/visibility.c's. */
#include "api/api.h"

#include "core/id.h"

#include <string.h>

/* as the descendants extension's pages */
enum { HIDDEN_REPLIES_DEFAULT = 40, HIDDEN_REPLIES_MAX = 200 };

/* One policy value as written by GoToSocial (plain, or as its
 * "urn:gts:" / Mastodon's "urn:mastodon:" URNs) → AUDIENCE_* bit; "me",
 * in one's own policy, is the author. 0 when chorus knows no such
 * value (an account URI, "mutuals"). */
static unsigned audience_bit(const char *v)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{"public", AUDIENCE_PUBLIC},
		{"followers", AUDIENCE_FOLLOWERS},
		{"following", AUDIENCE_FOLLOWING},
		{"mentioned", AUDIENCE_MENTIONED},
		{"author", AUDIENCE_AUTHOR},
		{"me", AUDIENCE_AUTHOR},
	};
	if (!strncmp(v, "urn:gts:", 8))
		v += 8;
	else if (!strncmp(v, "urn:mastodon:", 13))
		v += 13;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(v, names[i].name))
			return names[i].bit;
	return 0;
}

/* The bits of the list prefix[rule][list] into *bits; false (with *bad
 * the offending value) when one is unknown. *given tells whether the
 * list was sent. An empty list is the author alone. */
static bool read_values(http_req *r, const char *key, unsigned *bits,
			bool *given, const char **bad)
{
	size_t n;
	const char **v = http_param_list(r, key, &n);
	*given = http_param_has(r, key);
	*bits = 0;
	for (size_t i = 0; i < n; i++) {
		if (!*v[i])
			continue; /* "key[]=" or []: none */
		unsigned b = audience_bit(v[i]);
		if (!b) {
			*bad = v[i];
			return false;
		}
		*bits |= b;
	}
	if (*given && !*bits)
		*bits = AUDIENCE_AUTHOR;
	return true;
}

bool api_read_interaction_policy(http_req *r, const char *prefix,
				 interaction_policy *out, bool *given)
{
	static const char *const rules[] = {"can_reply", "can_reblog",
					    "can_favourite"};
	static const char *const lists[] = {"always", "with_approval"};
	memset(out, 0, sizeof *out);
	*given = false;
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < 2; k++) {
			const char *key =
				arena_printf(&r->arena, "%s[%s][%s]", prefix,
					     rules[i], lists[k]);
			unsigned bits;
			bool sent;
			const char *bad = NULL;
			if (!read_values(r, key, &bits, &sent, &bad)) {
				http_reply_error(
					r, 422,
					arena_printf(
						&r->arena,
						"Validation failed: %s is not "
						"a policy value chorus knows "
						"(public, followers, "
						"following, mentioned, author, "
						"me)",
						bad));
				return false;
			}
			*given |= sent;
			/* with_approval is checked but, with no approval
			 * flow, refused; can_favourite is not restricted */
			if (k || i == 2 || !sent)
				continue;
			if (i == 0)
				out->can_reply = bits;
			else
				out->can_reblog = bits;
		}
	return true;
}

bool api_read_reply_policy(http_req *r, interaction_policy *out)
{
	static const struct {
		const char *name;
		unsigned bits;
	} choices[] = {
		{"everyone", AUDIENCE_PUBLIC},
		{"followers",
		 AUDIENCE_AUTHOR | AUDIENCE_FOLLOWERS | AUDIENCE_MENTIONED},
		{"following",
		 AUDIENCE_AUTHOR | AUDIENCE_FOLLOWING | AUDIENCE_MENTIONED},
		{"mentioned", AUDIENCE_AUTHOR | AUDIENCE_MENTIONED},
	};
	const char *v = http_param_get(r, "reply_policy");
	if (!v || !*v)
		return true;
	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
		if (!strcmp(v, choices[i].name)) {
			out->can_reply = out->can_reblog = choices[i].bits;
			return true;
		}
	http_reply_error(r, 422,
			 "Validation failed: Reply policy must be one of "
			 "everyone, followers, following, mentioned");
	return false;
}

static const visibility all_visibilities[] = {VIS_DIRECT, VIS_PRIVATE,
					      VIS_UNLISTED, VIS_PUBLIC};

static void reply_defaults(http_req *r, int64_t me)
{
	json_t *j = json_object();
	for (size_t i = 0; i < 4; i++) {
		visibility v = all_visibilities[i];
		interaction_policy p, fav = visibility_policy_default(v);
		if (!store_policy_default(me, v, &p))
			p = fav;
		json_object_set_new(j, visibility_name(v),
				    render_interaction_policy(&p, &fav));
	}
	http_reply_json(r, 200, j);
}

void interaction_policies_defaults(http_req *r)
{
	reply_defaults(r, api_principal(r)->account_id);
}

void interaction_policies_defaults_update(http_req *r)
{
	int64_t me = api_principal(r)->account_id;
	interaction_policy set[4];
	bool given[4];
	/* all read before any is written: bad input changes nothing */
	for (size_t i = 0; i < 4; i++) {
		visibility v = all_visibilities[i];
		if (!api_read_interaction_policy(r, visibility_name(v), &set[i],
						 &given[i]))
			return;
		interaction_policy def = visibility_policy_default(v);
		if (!set[i].can_reply)
			set[i].can_reply = def.can_reply;
		if (!set[i].can_reblog)
			set[i].can_reblog = def.can_reblog;
	}
	/* as GoToSocial: a visibility left out goes back to the default */
	for (size_t i = 0; i < 4; i++)
		if (store_policy_default_set(me, all_visibilities[i],
					     given[i] ? &set[i] : NULL) < 0) {
			http_reply_error(r, 500, "Internal server error");
			return;
		}
	reply_defaults(r, me);
}

static void hide(http_req *r, bool on)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	const char *msg = NULL;
	dom_err err =
		status_hide_reply(&r->arena, api_principal(r), id, on, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	api_reply_status(r, id);
}

void statuses_hide(http_req *r)
{
	hide(r, true);
}

void statuses_unhide(http_req *r)
{
	hide(r, false);
}

void statuses_hidden_replies(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	int64_t viewer = api_viewer(r);
	status s;
	if (!status_load_visible(&r->arena, viewer, id, &s) || s.reblog_of_id) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	page p;
	api_page(r, &p, HIDDEN_REPLIES_DEFAULT, HIDDEN_REPLIES_MAX);
	status_page out;
	timeline_hidden_replies_page(&r->arena, viewer, &s, &p, &out);
	api_link(r, out.next_max_id, out.prev_min_id);
	api_reply_statuses(r, out.items, out.count);
}
