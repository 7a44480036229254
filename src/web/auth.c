/* auth.c — the sign-in, sign-up and sign-out forms. A password is checked
 * (or hashed) on the password pool, as the API's sign-in is, so a burst
 * of sign-ins never holds up the threads serving pages; when that pool is
 * full the answer is a 429 page. */
#include "web/web.h"

#include "api/api.h"
#include "core/config.h"

#include <string.h>

/* One labelled text input of a form, with its hint and its error tied
 * to it for screen readers (aria-describedby, aria-invalid). */
typedef struct form_input {
	const char *name, *type, *label, *autocomplete;
	const char *hint; /* or NULL */
	int minlength, maxlength;
} form_input;

static void put_input(buf *b, const form_input *f, const char *value,
		      const char *error)
{
	html(b, "<div class=\"field\"><label for=\"f-%s\">%s</label>", f->name,
	     f->label);
	html(b,
	     "<input id=\"f-%s\" name=\"%s\" type=\"%s\" autocomplete=\"%s\" "
	     "required",
	     f->name, f->name, f->type, f->autocomplete);
	if (f->minlength)
		html(b, " minlength=\"%d\"", f->minlength);
	if (f->maxlength)
		html(b, " maxlength=\"%d\"", f->maxlength);
	if (value && *value)
		html(b, " value=\"%s\"", value);
	if (error)
		buf_puts(b, " aria-invalid=\"true\"");
	if (f->hint || error) {
		buf_puts(b, " aria-describedby=\"");
		if (f->hint)
			html(b, "f-%s-hint%s", f->name, error ? " " : "");
		if (error)
			html(b, "f-%s-error", f->name);
		buf_putc(b, '"');
	}
	buf_putc(b, '>');
	if (f->hint)
		html(b, "<p class=\"hint\" id=\"f-%s-hint\">%s</p>", f->name,
		     f->hint);
	if (error)
		html(b, "<p class=\"form-error\" id=\"f-%s-error\">%s</p>",
		     f->name, error);
	buf_puts(b, "</div>");
}

/* The form's return_to, carried on when it is not the home page. */
static void put_return_to(buf *b, http_req *r)
{
	const char *to = web_return_to(r);
	if (strcmp(to, "/"))
		html(b,
		     "<input type=\"hidden\" name=\"return_to\" value=\"%s\">",
		     to);
}

/* Run fn with the request's language on this (work) thread. */
static void in_language(http_req *r, void (*fn)(http_req *r))
{
	web_i18n_select(http_header_get(r, "Accept-Language"));
	fn(r);
	web_i18n_reset();
}

void web_reply_busy(http_req *r)
{
	http_set_header(r, "Retry-After", api_busy_retry_after);
	web_reply_error(r, 429, _("Too many sign-ins at once"),
			_("Please try again in a moment."));
}

/* ---- sign in ---- */

void web_sign_in_fields(web_page *p, const char *login, const char *error)
{
	static const form_input login_input = {
		.name = "username",
		.type = "text",
		.autocomplete = "username",
	};
	static const form_input password_input = {
		.name = "password",
		.type = "password",
		.autocomplete = "current-password",
	};
	web_csrf_field(p);
	form_input l = login_input, pw = password_input;
	l.label = _("E-mail address or username");
	pw.label = _("Password");
	/* the error is the form's, not a field's: shown once, above */
	if (error)
		html(&p->main,
		     "<p class=\"form-error\" id=\"sign-in-error\" "
		     "role=\"alert\">%s</p>",
		     error);
	put_input(&p->main, &l, login, NULL);
	put_input(&p->main, &pw, NULL, NULL);
	html(&p->main, "<button type=\"submit\">%s</button>", _("Sign in"));
}

static void sign_in_form(http_req *r, int status, const char *error)
{
	web_page p;
	web_page_begin(&p, r, _("Sign in"));
	p.noindex = true;
	html(&p.main,
	     "<section class=\"auth\"><h1>%s</h1><form method=\"post\" "
	     "action=\"/auth/sign_in\" class=\"auth-form\">",
	     _("Sign in"));
	put_return_to(&p.main, r);
	web_sign_in_fields(&p, http_param_get(r, "username"), error);
	html(&p.main, "</form>");
	if (cfg.registration_mode != REGISTRATIONS_CLOSED)
		html(&p.main,
		     "<p>%s <a href=\"/auth/sign_up\">%s</a></p></section>",
		     _("No account yet?"), _("Sign up"));
	else
		buf_puts(&p.main, "</section>");
	web_page_reply(&p, status);
}

void web_sign_in_page(http_req *r)
{
	if (web_viewer(r)) {
		http_redirect(r, web_return_to(r));
		return;
	}
	sign_in_form(r, 200, NULL);
}

bool web_sign_in_posted(http_req *r, const char **error)
{
	account acc;
	int64_t wait_ms;
	*error = NULL;
	auth_result res = auth_sign_in(&r->arena, http_param_get(r, "username"),
				       http_param_get(r, "password"),
				       api_limit_source(r), &acc, &wait_ms);
	if (res == AUTH_LOCKED) {
		*error = _("Too many failed attempts: wait a while, then try "
			   "again.");
		return false;
	}
	if (res == AUTH_DISABLED) {
		*error = _("This account may not sign in: it is suspended, "
			   "disabled or not approved yet.");
		return false;
	}
	if (res != AUTH_SIGNED_IN) {
		*error = _("Wrong e-mail address, username or password.");
		return false;
	}
	if (!web_session_start(r, acc.id)) {
		web_reply_error(r, 500, _("Something went wrong"),
				_("You could not be signed in. Please try "
				  "again."));
		return false;
	}
	return true;
}

static void sign_in_check(http_req *r)
{
	const char *error;
	if (web_sign_in_posted(r, &error))
		http_redirect(r, web_return_to(r));
	else if (error)
		sign_in_form(r, 401, error);
}

static void sign_in_work(http_req *r, void *ctx)
{
	(void)ctx;
	in_language(r, sign_in_check);
}

void web_sign_in_submit(http_req *r)
{
	if (!web_csrf_ok(r)) {
		web_csrf_refuse(r);
		return;
	}
	if (!api_defer_password(r, sign_in_work, NULL))
		web_reply_busy(r);
}

/* ---- sign up ---- */

/* The error shown next to a sign-up field, from account_register's
 * detail code. */
static const char *sign_up_error(http_req *r, const char *field,
				 const char *code)
{
	if (!strcmp(code, "ERR_BLANK"))
		return _("This field is required.");
	if (!strcmp(code, "ERR_TAKEN"))
		return !strcmp(field, "email")
			       ? _("This e-mail address is already in use.")
			       : _("This username is already taken.");
	if (!strcmp(code, "ERR_RESERVED"))
		return _("This username is reserved.");
	if (!strcmp(field, "password") && !strcmp(code, "ERR_TOO_SHORT"))
		return arena_printf(
			&r->arena,
			web_trn("Use at least %d character.",
				"Use at least %d characters.",
				(unsigned long)cfg.password_min_length),
			cfg.password_min_length);
	if (!strcmp(field, "password"))
		return _("Use at most 72 characters.");
	if (!strcmp(field, "email"))
		return _("This is not an e-mail address.");
	if (!strcmp(field, "invite_code"))
		return _("This invite is not valid: it may have expired or "
			 "been used up.");
	if (!strcmp(field, "reason"))
		return _("Use at most 500 characters.");
	return _("Use at most 30 letters, numbers and underscores.");
}

static void sign_up_form(http_req *r, int status, const char *field,
			 const char *error)
{
	web_page p;
	web_page_begin(&p, r, _("Sign up"));
	p.noindex = true;
	html(&p.main, "<section class=\"auth\"><h1>%s</h1>",
	     arena_printf(&r->arena, _("Join %s"), cfg.title));
	const char *invite = http_param_get(r, "invite_code");
	if (!registrations_admit(invite)) {
		html(&p.main,
		     "<p>%s</p><p><a href=\"/auth/sign_in\">%s</a></p>"
		     "</section>",
		     _("Sign-ups are closed on this server for now."),
		     _("Sign in"));
		web_page_reply(&p, status);
		return;
	}
	form_input inputs[] = {
		{.name = "username",
		 .type = "text",
		 .label = _("Username"),
		 .autocomplete = "username",
		 .hint = _("Letters, numbers and underscores. Your address "
			   "will be @username."),
		 .maxlength = 30},
		{.name = "email",
		 .type = "email",
		 .label = _("E-mail address"),
		 .autocomplete = "email"},
		{.name = "password",
		 .type = "password",
		 .label = _("Password"),
		 .autocomplete = "new-password",
		 .hint = arena_printf(
			 &r->arena,
			 web_trn("At least %d character.",
				 "At least %d characters.",
				 (unsigned long)cfg.password_min_length),
			 cfg.password_min_length),
		 .minlength = cfg.password_min_length,
		 .maxlength = 72},
	};
	html(&p.main, "<form method=\"post\" action=\"/auth/sign_up\" "
		      "class=\"auth-form\">");
	web_csrf_field(&p);
	put_return_to(&p.main, r);
	if (invite && *invite) {
		html(&p.main,
		     "<input type=\"hidden\" name=\"invite_code\" "
		     "value=\"%s\">",
		     invite);
		if (field && !strcmp(field, "invite_code"))
			html(&p.main, "<p class=\"form-error\">%s</p>", error);
		else
			html(&p.main, "<p>%s</p>",
			     _("You were invited: your account is ready as "
			       "soon as you sign up."));
	}
	for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
		const char *name = inputs[i].name;
		bool bad = field && !strcmp(field, name);
		/* a password is never sent back */
		const char *value = strcmp(name, "password")
					    ? http_param_get(r, name)
					    : NULL;
		put_input(&p.main, &inputs[i], value, bad ? error : NULL);
	}
	if ((!invite || !*invite) &&
	    cfg.registration_mode == REGISTRATIONS_APPROVAL) {
		bool bad_reason = field && !strcmp(field, "reason");
		const char *reason = http_param_get(r, "reason");
		html(&p.main,
		     "<div class=\"field\"><label for=\"f-reason\">%s</label>"
		     "<p class=\"hint\" id=\"f-reason-hint\">%s</p>"
		     "<textarea id=\"f-reason\" name=\"reason\" "
		     "maxlength=\"500\" aria-describedby=\"f-reason-hint\"%s>"
		     "%s</textarea>",
		     _("Why do you want to join?"),
		     _("A moderator reads this and approves new accounts "
		       "before they can sign in."),
		     bad_reason ? " aria-invalid=\"true\"" : "",
		     reason ? reason : "");
		if (bad_reason)
			html(&p.main, "<p class=\"form-error\">%s</p>", error);
		buf_puts(&p.main, "</div>");
	}
	bool bad = field && !strcmp(field, "agreement");
	buf_puts(&p.main,
		 "<div class=\"field check\"><input id=\"f-agreement\" "
		 "name=\"agreement\" type=\"checkbox\" value=\"1\" "
		 "required");
	if (bad)
		buf_puts(&p.main, " aria-invalid=\"true\" "
				  "aria-describedby=\"f-agreement-error\"");
	buf rules;
	buf_init(&rules, &r->arena);
	html(&rules, "<a href=\"/about\">%s</a>", _("this server's rules"));
	const char *parts[] = {rules.data};
	buf_puts(&p.main, "><label for=\"f-agreement\">");
	/* TRANSLATORS: %s is a link reading "this server's rules" */
	web_tr_html(&p.main, _("I agree to %s"), 1, parts);
	buf_puts(&p.main, "</label>");
	if (bad)
		html(&p.main,
		     "<p class=\"form-error\" id=\"f-agreement-error\">%s</p>",
		     error);
	html(&p.main,
	     "</div><button type=\"submit\">%s</button></form>"
	     "<p>%s <a href=\"/auth/sign_in\">%s</a></p></section>",
	     _("Sign up"), _("Have an account?"), _("Sign in"));
	web_page_reply(&p, status);
}

void web_sign_up_page(http_req *r)
{
	if (web_viewer(r)) {
		http_redirect(r, web_return_to(r));
		return;
	}
	sign_up_form(r, 200, NULL, NULL);
}

/* The page a sign-up waiting for approval is answered with. */
static void sign_up_pending(http_req *r)
{
	web_page p;
	web_page_begin(&p, r, _("Sign up"));
	p.noindex = true;
	html(&p.main,
	     "<section class=\"auth\"><h1>%s</h1><p>%s</p>"
	     "<p><a href=\"/\">%s</a></p></section>",
	     _("Thank you for signing up"),
	     _("A moderator reviews new accounts on this server. You can "
	       "sign in as soon as yours is approved."),
	     _("Home"));
	web_page_reply(&p, 200);
}

void web_invite(http_req *r)
{
	http_redirect(r, arena_printf(&r->arena, "/auth/sign_up?invite_code=%s",
				      html_url_encode(&r->arena,
						      http_path_param(r, 0))));
}

static void sign_up_register(http_req *r)
{
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
		sign_up_form(r, 422, field, sign_up_error(r, field, code));
		return;
	}
	if (err == DOM_FORBIDDEN) {
		sign_up_form(r, 403, NULL, NULL);
		return;
	}
	account made;
	if (!err && store_account_get(&r->arena, id, &made) && !made.approved) {
		sign_up_pending(r);
		return;
	}
	if (err || !web_session_start(r, id)) {
		web_reply_error(r, 500, _("Something went wrong"),
				_("Your account could not be made. Please try "
				  "again."));
		return;
	}
	http_redirect(r, web_return_to(r));
}

static void sign_up_work(http_req *r, void *ctx)
{
	(void)ctx;
	in_language(r, sign_up_register);
}

void web_sign_up_submit(http_req *r)
{
	if (!web_csrf_ok(r)) {
		web_csrf_refuse(r);
		return;
	}
	if (!registrations_admit(http_param_get(r, "invite_code"))) {
		sign_up_form(r, 403, NULL, NULL);
		return;
	}
	if (!http_param_bool(r, "agreement", false)) {
		sign_up_form(r, 422, "agreement",
			     _("Agree to the rules to join."));
		return;
	}
	if (!api_defer_password(r, sign_up_work, NULL))
		web_reply_busy(r);
}

/* ---- sign out ---- */

void web_sign_out_form(buf *b, http_req *r)
{
	buf_puts(b, "<form method=\"post\" action=\"/auth/sign_out\" "
		    "class=\"sign-out\">");
	web_csrf_input(b, r);
	html(b, "<button type=\"submit\">%s</button></form>", _("Sign out"));
}

void web_sign_out(http_req *r)
{
	if (!web_csrf_ok(r)) {
		web_csrf_refuse(r);
		return;
	}
	if (web_session_end(r) < 0) {
		web_reply_error(r, 500, _("Something went wrong"),
				_("You could not be signed out. Please try "
				  "again."));
		return;
	}
	http_redirect(r, "/");
}
