/* filters.c — /filters: a signed-in reader's keyword filters, listed,
 * made and deleted from a form. A filter is checked and saved by
 * filter_save, as POST /api/v2/filters saves it, so the page refuses
 * what the API refuses; the domain's reasons are shown in the reader's
 * language. What a filter does to the pages is decided where they list
 * posts (visibility_listed leaves out what a hide filter matches,
 * web_status folds what a warn or blur filter matches). */
#include "web/web.h"

#include "core/id.h"
#include "core/time.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The contexts as the form offers them, in Mastodon's order. */
static const struct {
	read_context context;
	const char *label;
} contexts[] = {
	{READ_HOME, N_("Home timeline")},
	{READ_NOTIFICATIONS, N_("Notifications")},
	{READ_PUBLIC, N_("Public timelines, hashtags and search")},
	{READ_THREAD, N_("Threads")},
	{READ_PROFILE, N_("Profiles")},
};
enum { NCONTEXTS = sizeof contexts / sizeof contexts[0] };

static const struct {
	int action;
	const char *label;
} actions[] = {
	{FILTER_WARN, N_("Fold behind a warning")},
	{FILTER_BLUR, N_("Fold behind a warning, media blurred")},
	{FILTER_HIDE, N_("Hide completely")},
};
enum { NACTIONS = sizeof actions / sizeof actions[0] };

/* expires_in choices, in seconds ("" is never) */
static const struct {
	const char *seconds, *label;
} expiries[] = {
	{"", N_("Never")},	   {"1800", N_("30 minutes")},
	{"3600", N_("1 hour")},	   {"21600", N_("6 hours")},
	{"43200", N_("12 hours")}, {"86400", N_("1 day")},
	{"604800", N_("1 week")},
};
enum { NEXPIRIES = sizeof expiries / sizeof expiries[0] };

/* The domain's reasons (filter_save's *msg), the field each is about and
 * what the page says instead. A reason not here is shown as it is. */
static const struct {
	const char *reason, *field, *text;
} reasons[] = {
	{"Validation failed: Title can't be blank", "title",
	 N_("Give the filter a title.")},
	{"Validation failed: Title is too long", "title",
	 N_("Use at most 256 characters for the title.")},
	{"Validation failed: Context can't be blank", "context",
	 N_("Choose at least one place to filter.")},
	{"Validation failed: Context contains invalid values", "context",
	 N_("Choose places from the list.")},
	{"Validation failed: Filter action is not included in the list",
	 "action", N_("Choose an action from the list.")},
	{"Validation failed: Expires in is out of range", "expires",
	 N_("Choose when the filter ends from the list.")},
	{"Validation failed: Keyword can't be blank", "keywords",
	 N_("A keyword cannot be blank.")},
	{"Validation failed: Keyword is too long", "keywords",
	 N_("Each keyword may be at most 512 bytes long.")},
};

/* The form as sent (or blank), and what was wrong with it. */
typedef struct filter_form {
	const char *title, *keywords, *action, *expires;
	bool whole_word;
	unsigned contexts; /* bit (1 << read_context) per box ticked */
	const char *field; /* the field the error is about, or NULL */
	const char *error; /* translated, or NULL */
} filter_form;

static const char *action_label(int action)
{
	for (size_t i = 0; i < NACTIONS; i++)
		if (actions[i].action == action)
			return _(actions[i].label);
	return filter_action_name(action);
}

/* ---- the list ---- */

static void put_expiry(buf *b, int64_t expires_at)
{
	if (!expires_at) {
		html(b, "%s", _("Never"));
		return;
	}
	if (expires_at <= time_now_ms()) {
		html(b, "%s", _("Expired"));
		return;
	}
	char iso[TIME_RFC3339_LEN], when[32];
	time_format_rfc3339(expires_at, iso);
	time_t t = (time_t)(expires_at / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	html(b, "<time datetime=\"%s\">%s</time>", iso, when);
}

static void put_filter(web_page *p, const store_filter *f)
{
	buf *b = &p->main;
	html(b,
	     "<li class=\"filter\"><h3 id=\"filter-%lld\">%s</h3><dl>"
	     "<dt>%s</dt><dd>",
	     (long long)f->id, f->title, _("Keywords"));
	if (!f->nkeywords)
		html(b, "%s", _("None"));
	for (size_t k = 0; k < f->nkeywords; k++) {
		html(b, "%s<span class=\"keyword\">%s</span>", k ? ", " : "",
		     f->keywords[k].keyword);
		if (f->keywords[k].whole_word)
			html(b, " <span class=\"hint\">(%s)</span>",
			     _("whole word"));
	}
	html(b, "</dd><dt>%s</dt><dd>", _("Where"));
	bool first = true;
	for (size_t i = 0; i < NCONTEXTS; i++)
		if (f->contexts & (1u << contexts[i].context)) {
			html(b, "%s%s", first ? "" : ", ",
			     _(contexts[i].label));
			first = false;
		}
	html(b, "</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>", _("Action"),
	     action_label(f->action), _("Expires"));
	put_expiry(b, f->expires_at);
	html(b,
	     "</dd></dl><form method=\"post\" action=\"/filters/%lld/delete\" "
	     "class=\"inline\">",
	     (long long)f->id);
	web_csrf_field(p);
	html(b,
	     "<button type=\"submit\" class=\"secondary\" "
	     "aria-describedby=\"filter-%lld\">%s</button></form></li>",
	     (long long)f->id, _("Delete"));
}

/* ---- the form ---- */

/* aria-invalid and aria-describedby for the field the error is about. */
static void put_invalid(buf *b, const filter_form *form, const char *field)
{
	if (form->field && !strcmp(form->field, field))
		buf_puts(b, " aria-invalid=\"true\" "
			    "aria-describedby=\"filter-error\"");
}

static void put_form(web_page *p, const filter_form *form)
{
	buf *b = &p->main;
	html(b,
	     "<section aria-labelledby=\"new-filter-h\"><h2 "
	     "id=\"new-filter-h\">%s</h2>",
	     _("New filter"));
	if (form->error)
		html(b,
		     "<p class=\"form-error\" id=\"filter-error\" "
		     "role=\"alert\">%s</p>",
		     form->error);
	buf_puts(b, "<form method=\"post\" action=\"/filters\" "
		    "class=\"stack filter-form\">");
	web_csrf_field(p);
	html(b,
	     "<div class=\"field\"><label for=\"f-title\">%s</label><input "
	     "id=\"f-title\" name=\"title\" type=\"text\" required "
	     "maxlength=\"256\" autocomplete=\"off\" value=\"%s\"",
	     _("Title"), form->title ? form->title : "");
	put_invalid(b, form, "title");
	html(b,
	     "></div><div class=\"field\"><label for=\"f-keywords\">%s"
	     "</label><p class=\"hint\" id=\"f-keywords-hint\">%s</p>"
	     "<textarea id=\"f-keywords\" name=\"keywords\" rows=\"3\"",
	     _("Keywords"),
	     _("Separate them with commas, or write one on each line."));
	if (form->field && !strcmp(form->field, "keywords"))
		buf_puts(b, " aria-invalid=\"true\" aria-describedby=\""
			    "f-keywords-hint filter-error\"");
	else
		buf_puts(b, " aria-describedby=\"f-keywords-hint\"");
	html(b,
	     ">%s</textarea></div><div class=\"check\"><input "
	     "id=\"f-whole-word\" name=\"whole_word\" type=\"checkbox\" "
	     "value=\"1\"%s><label for=\"f-whole-word\">%s</label></div>",
	     form->keywords ? form->keywords : "",
	     form->whole_word ? " checked" : "", _("Whole words only"));
	buf_puts(b, "<fieldset");
	put_invalid(b, form, "context");
	html(b, "><legend>%s</legend>", _("Where to filter"));
	for (size_t i = 0; i < NCONTEXTS; i++) {
		const char *name = filter_context_name(contexts[i].context);
		html(b,
		     "<div class=\"check\"><input id=\"f-context-%s\" "
		     "name=\"context\" type=\"checkbox\" value=\"%s\"%s>"
		     "<label for=\"f-context-%s\">%s</label></div>",
		     name, name,
		     form->contexts & (1u << contexts[i].context) ? " checked"
								  : "",
		     name, _(contexts[i].label));
	}
	html(b,
	     "</fieldset><div class=\"field\"><label for=\"f-action\">%s"
	     "</label><select id=\"f-action\" name=\"filter_action\"",
	     _("Action"));
	put_invalid(b, form, "action");
	buf_putc(b, '>');
	for (size_t i = 0; i < NACTIONS; i++) {
		const char *name = filter_action_name(actions[i].action);
		html(b, "<option value=\"%s\"%s>%s</option>", name,
		     form->action && !strcmp(form->action, name) ? " selected"
								 : "",
		     _(actions[i].label));
	}
	html(b,
	     "</select></div><div class=\"field\"><label for=\"f-expires\">"
	     "%s</label><select id=\"f-expires\" name=\"expires_in\"",
	     _("Expires after"));
	put_invalid(b, form, "expires");
	buf_putc(b, '>');
	for (size_t i = 0; i < NEXPIRIES; i++)
		html(b, "<option value=\"%s\"%s>%s</option>",
		     expiries[i].seconds,
		     form->expires &&
				     !strcmp(form->expires, expiries[i].seconds)
			     ? " selected"
			     : "",
		     _(expiries[i].label));
	html(b,
	     "</select></div><button type=\"submit\">%s</button></form>"
	     "</section>",
	     _("Save filter"));
}

static void filters_reply(http_req *r, int status, const filter_form *form)
{
	web_page p;
	web_page_begin(&p, r, _("Filters"));
	p.noindex = true;
	buf *b = &p.main;
	html(b, "<h1>%s</h1><p class=\"explain\">%s</p>", _("Filters"),
	     _("A filter folds or hides the posts that contain words you "
	       "choose, in the places you choose. Your own posts are never "
	       "filtered."));
	store_filter *f;
	size_t n = store_filters_of(&r->arena, web_viewer(r), 0, false, &f);
	html(b,
	     "<section aria-labelledby=\"filters-h\"><h2 id=\"filters-h\">"
	     "%s</h2>",
	     _("Your filters"));
	if (!n)
		html(b, "<p class=\"empty\">%s</p>",
		     _("You have no filters yet."));
	else
		buf_puts(b, "<ul class=\"filters\">");
	for (size_t i = 0; i < n; i++)
		put_filter(&p, &f[i]);
	if (n)
		buf_puts(b, "</ul>");
	buf_puts(b, "</section>");
	put_form(&p, form);
	web_page_reply(&p, status);
}

void web_filters_page(http_req *r)
{
	if (!web_viewer(r)) {
		web_see_other(r, "/auth/sign_in?return_to=%2Ffilters");
		return;
	}
	filter_form blank = {
		.whole_word = true,
		.contexts = FILTER_CONTEXTS_ALL,
		.action = "warn",
		.expires = "",
	};
	filters_reply(r, 200, &blank);
}

/* ---- making one ---- */

/* The keywords of text, split at commas and line ends and trimmed; the
 * empty ones between separators are left out. Arena memory. */
static size_t split_keywords(arena *a, const char *text, bool whole_word,
			     store_filter_keyword **out)
{
	size_t cap = 1;
	for (const char *c = text; *c; c++)
		cap += *c == ',' || *c == '\n';
	store_filter_keyword *k = arena_alloc(a, cap * sizeof *k);
	size_t n = 0;
	for (const char *c = text; *c;) {
		size_t len = strcspn(c, ",\r\n");
		const char *start = c, *end = c + len;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start)
			k[n++] = (store_filter_keyword){
				0, 0, arena_strndup(a, start, end - start),
				whole_word};
		c += len;
		if (*c)
			c++;
	}
	*out = k;
	return n;
}

/* The form's fields from the request into form and c. False (form's
 * error set) when expires_in is not one of the choices' numbers. */
static bool parse_form(http_req *r, filter_form *form, filter_change *c)
{
	memset(form, 0, sizeof *form);
	memset(c, 0, sizeof *c);
	form->title = http_param_get(r, "title");
	form->keywords = http_param_get(r, "keywords");
	form->action = http_param_get(r, "filter_action");
	form->expires = http_param_get(r, "expires_in");
	form->whole_word = http_param_bool(r, "whole_word", false);
	c->contexts = http_param_list(r, "context", &c->ncontexts);
	for (size_t i = 0; i < c->ncontexts; i++) {
		int ctx = filter_context_parse(c->contexts[i]);
		if (ctx >= 0)
			form->contexts |= 1u << ctx;
	}
	/* no box ticked sends no context: the domain says it is blank */
	if (!c->ncontexts)
		c->contexts = NULL;
	c->title = form->title;
	c->action = form->action;
	c->nkeywords =
		split_keywords(&r->arena, form->keywords ? form->keywords : "",
			       form->whole_word, &c->keywords);
	if (form->expires && *form->expires) {
		char *end;
		errno = 0;
		long long seconds = strtoll(form->expires, &end, 10);
		if (errno || *end || end == form->expires) {
			form->field = "expires";
			form->error =
				_("Choose when the filter ends from the list.");
			return false;
		}
		c->has_expires = true;
		c->expires_in = seconds;
	}
	return true;
}

static void refuse(http_req *r, filter_form *form, const char *msg)
{
	form->field = NULL;
	form->error = msg;
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (msg && !strcmp(msg, reasons[i].reason)) {
			form->field = reasons[i].field;
			form->error = _(reasons[i].text);
		}
	filters_reply(r, 422, form);
}

void web_filters_create(http_req *r)
{
	principal p;
	if (!web_form_principal(r, "/filters", &p))
		return;
	filter_form form;
	filter_change c;
	if (!parse_form(r, &form, &c)) {
		filters_reply(r, 422, &form);
		return;
	}
	store_filter saved;
	const char *msg = NULL;
	dom_err err = filter_save(&r->arena, &p, 0, &c, &saved, &msg);
	if (err == DOM_INVALID) {
		refuse(r, &form, msg);
		return;
	}
	if (err) {
		web_reply_error(r, 500, _("Something went wrong"),
				_("Nothing was changed. Please try again."));
		return;
	}
	web_see_other(r, "/filters");
}

void web_filters_delete(http_req *r)
{
	principal p;
	if (!web_form_principal(r, "/filters", &p))
		return;
	int64_t id;
	if (!id_parse(http_path_param(r, 0), &id)) {
		web_bad_request(r);
		return;
	}
	int rc = store_filter_delete(p.account_id, id);
	if (rc == STORE_GONE) {
		web_not_found(r);
		return;
	}
	if (rc < 0) {
		web_reply_error(r, 500, _("Something went wrong"),
				_("Nothing was changed. Please try again."));
		return;
	}
	web_see_other(r, "/filters");
}
