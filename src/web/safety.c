/* safety.c — what a signed-in reader does about others from the pages:
 * block or mute someone on their profile, hide a reply from their own
 * thread. Every form carries the CSRF token and calls the same domain/
 * function as the API (account_block, account_mute, status_hide_reply);
 * what they change is read by the one rule in domain/visibility.c. */
#include "web/web.h"

#include "core/id.h"

#include <string.h>

void web_see_other(http_req *r, const char *location)
{
	http_set_header(r, "Location", location);
	http_reply_raw(r, 303, "text/html; charset=utf-8", "", 0);
}

bool web_form_principal(http_req *r, const char *back, principal *p)
{
	if (!web_csrf_ok(r)) {
		web_csrf_refuse(r);
		return false;
	}
	const web_request *w = web_request_of(r);
	if (!w->viewer) {
		web_see_other(
			r, arena_printf(&r->arena, "/auth/sign_in?return_to=%s",
					html_url_encode(&r->arena, back)));
		return false;
	}
	memset(p, 0, sizeof *p);
	p->account_id = w->viewer;
	p->account = w->account;
	return true;
}

/* A form of one button posting to action, with the CSRF field and, when
 * back is not NULL, where to come back to. */
static void put_button_form(web_page *p, const char *action, const char *back,
			    const char *label, bool secondary)
{
	buf *b = &p->main;
	html(b, "<form method=\"post\" action=\"%s\" class=\"inline\">",
	     action);
	web_csrf_field(p);
	if (back)
		html(b,
		     "<input type=\"hidden\" name=\"return_to\" value=\"%s\">",
		     back);
	/* markup is the format's, never an argument (html escapes those) */
	html(b,
	     secondary ? "<button type=\"submit\" class=\"secondary\">%s"
			 "</button></form>"
		       : "<button type=\"submit\">%s</button></form>",
	     label);
}

/* ---- blocks and mutes ---- */

void web_relation_controls(web_page *p, const account *acc)
{
	int64_t viewer = web_viewer(p->r);
	if (!viewer || viewer == acc->id)
		return;
	arena *a = &p->r->arena;
	store_relationship rel;
	store_relationship_get(viewer, acc->id, &rel);
	buf *b = &p->main;
	html(b, "<section class=\"relation\" aria-label=\"%s\">",
	     _("Your relationship"));
	if (rel.blocking)
		html(b, "<p class=\"relation-state\">%s</p>",
		     _("Blocked: you do not see their posts, and they cannot "
		       "follow you or see yours."));
	if (rel.muting)
		html(b, "<p class=\"relation-state\">%s</p>",
		     _("Muted: their posts are left out of your lists."));
	buf_puts(b, "<div class=\"relation-actions\">");
	const char *base = arena_printf(a, "/@%s", account_acct(a, acc));
	put_button_form(p,
			arena_printf(a, "%s/%s", base,
				     rel.blocking ? "unblock" : "block"),
			NULL, rel.blocking ? _("Unblock") : _("Block"),
			rel.blocking);
	put_button_form(
		p,
		arena_printf(a, "%s/%s", base, rel.muting ? "unmute" : "mute"),
		NULL, rel.muting ? _("Unmute") : _("Mute"), rel.muting);
	buf_puts(b, "</div></section>");
}

typedef enum relation_change {
	BLOCK,
	UNBLOCK,
	MUTE,
	UNMUTE,
} relation_change;

static void change_relation(http_req *r, relation_change what)
{
	/* the CSRF token is checked by web_form_principal, before any
	 * change: the path is read first to know where "back" is */
	account acc;
	if (!web_path_account(r, http_path_param(r, 0), &acc)) {
		web_not_found(r);
		return;
	}
	const char *back =
		arena_printf(&r->arena, "/@%s", account_acct(&r->arena, &acc));
	principal p;
	if (!web_form_principal(r, back, &p))
		return;
	const char *msg = NULL;
	/* a mute from the page is the API's default: notifications too,
	 * until undone */
	dom_err err = what == BLOCK || what == UNBLOCK
			      ? account_block(&r->arena, &p, acc.id,
					      what == BLOCK, &msg)
			      : account_mute(&r->arena, &p, acc.id,
					     what == MUTE, true, 0, &msg);
	switch (err) {
	case DOM_OK: web_see_other(r, back); return;
	case DOM_NOT_FOUND: web_not_found(r); return;
	case DOM_INVALID:
		web_reply_error(r, 422, _("You cannot block or mute yourself"),
				_("Blocking and muting are for other people's "
				  "accounts."));
		return;
	default:
		web_reply_error(r, 500, _("Something went wrong"),
				_("Nothing was changed. Please try again."));
	}
}

void web_account_block(http_req *r)
{
	change_relation(r, BLOCK);
}

void web_account_unblock(http_req *r)
{
	change_relation(r, UNBLOCK);
}

void web_account_mute(http_req *r)
{
	change_relation(r, MUTE);
}

void web_account_unmute(http_req *r)
{
	change_relation(r, UNMUTE);
}

/* ---- hidden replies ---- */

void web_reply_control(web_page *p, const status *s, bool on)
{
	arena *a = &p->r->arena;
	const account *author = status_author(a, s);
	if (!author)
		return;
	put_button_form(p,
			arena_printf(a, "/@%s/%lld/%s", account_acct(a, author),
				     (long long)s->id, on ? "hide" : "unhide"),
			p->r->path, on ? _("Hide reply") : _("Unhide"), true);
}

static void change_hidden(http_req *r, bool on)
{
	/* the CSRF token is checked by web_form_principal, before any
	 * change: the path is read first to know where "back" is */
	account acc;
	int64_t id;
	if (!web_path_account(r, http_path_param(r, 0), &acc)) {
		web_not_found(r);
		return;
	}
	if (!id_parse(http_path_param(r, 1), &id)) {
		web_bad_request(r);
		return;
	}
	/* back to the page the button was on, else the reply's own */
	const char *back = http_param_get(r, "return_to");
	if (!web_return_to_safe(back))
		back = arena_printf(&r->arena, "/@%s/%lld",
				    account_acct(&r->arena, &acc),
				    (long long)id);
	principal p;
	if (!web_form_principal(r, back, &p))
		return;
	status s;
	if (!status_load_visible(&r->arena, p.account_id, id, &s) ||
	    s.account_id != acc.id) {
		web_not_found(r);
		return;
	}
	const char *msg = NULL;
	switch (status_hide_reply(&r->arena, &p, id, on, &msg)) {
	case DOM_OK: web_see_other(r, back); return;
	case DOM_NOT_FOUND: web_not_found(r); return;
	case DOM_INVALID:
		web_reply_error(r, 422, _("This post is not a reply"),
				_("Only replies can be hidden from a thread."));
		return;
	case DOM_FORBIDDEN:
		web_reply_error(r, 403, _("You cannot hide this reply"),
				_("Only the author of the post it answers, or "
				  "of the thread, may hide a reply."));
		return;
	default:
		web_reply_error(r, 500, _("Something went wrong"),
				_("Nothing was changed. Please try again."));
	}
}

void web_reply_hide(http_req *r)
{
	change_hidden(r, true);
}

void web_reply_unhide(http_req *r)
{
	change_hidden(r, false);
}
