/* i18n.c — translations: glibc's gettext, domain "chorus", one locale_t
 * per language made at start and switched per request with uselocale.
 *
 * Why a thread locale and not setlocale: the server answers requests for
 * different languages at once on a pool of threads; uselocale changes the
 * calling thread only, and dgettext consults the thread's LC_MESSAGES.
 * The locales cover LC_MESSAGES and LC_CTYPE alone, so numbers, dates and
 * collation (LC_NUMERIC, LC_TIME…: strtod, strftime, JSON) stay "C" in
 * every language. glibc translates only when the locale named exists on
 * the system (scripts/deps.sh generates it); a language whose locale or
 * catalogue is missing is dropped at start with one log line, and its
 * readers get English. */
#include "web/web.h"

#include "core/log.h"

#include <jansson.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define I18N_DOMAIN "chorus"
/* The catalogue of an installed chorus whose binary has no locale/ beside
 * it nor a ../share/locale: Debian's place for every package's .mo. */
#define I18N_SYSTEM_DIR "/usr/share/locale"
/* glibc locale names tried per language, most usual first. */
#define I18N_MAX_NAMES 4
/* q-values in thousandths, as RFC 9110 writes them (three decimals). */
#define I18N_Q_MAX 1000

typedef struct i18n_lang {
	const char *tag; /* BCP 47 primary subtag: <html lang>, po/<tag>.po */
	const char *names[I18N_MAX_NAMES]; /* NULL-terminated */
	locale_t loc;			   /* (locale_t)0: not offered */
	char *script_strings; /* web_i18n_script_strings, made at init */
} i18n_lang;

/* English first: the msgids are English and the "C" locale makes gettext
 * return them without looking for a catalogue; it is the fallback.
 * A new language is a line here, its po/<tag>.po and its locale in
 * scripts/deps.sh (LOCALES). Any territory's locale serves: gettext looks
 * for es_MX.UTF-8, then es_MX, then es, and the catalogue is es/. */
static i18n_lang i18n_langs[] = {
	{"en", {"C"}, (locale_t)0, NULL},
	{"es",
	 {"es_ES.UTF-8", "es_MX.UTF-8", "es_AR.UTF-8", "es_US.UTF-8"},
	 (locale_t)0,
	 NULL},
};
#define I18N_NLANGS (sizeof i18n_langs / sizeof i18n_langs[0])

/* The tags offered (their locale exists), English at 0; set by init. */
static const char *i18n_offered[I18N_NLANGS] = {"en"};
static size_t i18n_offered_lang[I18N_NLANGS]; /* index into i18n_langs */
static size_t i18n_noffered = 1;
/* The language web_i18n_select chose on this thread (English before). */
static __thread const i18n_lang *i18n_current = &i18n_langs[0];

const char *web_tr(const char *s)
{
	/* "" is the catalogue's header entry, never a user-facing string */
	if (!*s)
		return s;
	return dgettext(I18N_DOMAIN, s);
}

const char *web_trn(const char *one, const char *many, unsigned long n)
{
	return dngettext(I18N_DOMAIN, one, many, n);
}

void web_tr_html(buf *b, const char *translated, size_t nparts,
		 const char *const *parts)
{
	const char *text = translated;
	size_t next = 0; /* the part a bare %s takes */
	for (const char *p = translated; *p; p++) {
		if (*p != '%')
			continue;
		html_text(b, text, (size_t)(p - text));
		const char *spec = p + 1;
		size_t index = next;
		if (*spec >= '1' && *spec <= '9') { /* %2$s: a reordered part */
			char *end;
			unsigned long k = strtoul(spec, &end, 10);
			if (*end == '$') {
				index = (size_t)(k - 1);
				spec = end + 1;
			}
		}
		if (*spec == 's') {
			if (index < nparts && parts[index])
				html_trusted(b, parts[index]);
			next = index + 1;
			p = spec;
		} else if (*spec == '%') {
			buf_putc(b, '%');
			p = spec;
		} else {
			html_text(b, "%", 1); /* not a placeholder: text */
		}
		text = p + 1;
	}
	html_text(b, text, strlen(text));
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The catalogue directory into out (PATH_MAX bytes): CHORUS_LOCALE_DIR;
 * else locale/ beside the binary (build/chorus finds build/locale, which
 * make writes); else ../share/locale from the binary (an install under a
 * prefix: /usr/local/bin/chorus reads /usr/local/share/locale); else the
 * system's. Absolute when the directory exists, so a later chdir does not
 * lose it. */
static void catalogue_dir(char *out)
{
	char want[PATH_MAX] = "";
	const char *env = getenv("CHORUS_LOCALE_DIR");
	if (env && *env) {
		if (snprintf(want, sizeof want, "%s", env) >= PATH_MAX)
			want[0] = '\0';
	} else {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
		if (slash) {
			*slash = '\0';
			if (snprintf(want, sizeof want, "%s/locale", exe) >=
				    PATH_MAX ||
			    !is_dir(want))
				want[0] = '\0';
			if (!want[0] &&
			    (snprintf(want, sizeof want, "%s/../share/locale",
				      exe) >= PATH_MAX ||
			     !is_dir(want)))
				want[0] = '\0';
		}
	}
	if (!want[0])
		snprintf(want, sizeof want, "%s", I18N_SYSTEM_DIR);
	if (!realpath(want, out))
		memcpy(out, want, sizeof want);
}

static bool has_catalogue(const char *dir, const char *tag)
{
	char mo[PATH_MAX];
	int n = snprintf(mo, sizeof mo, "%s/%s/LC_MESSAGES/%s.mo", dir, tag,
			 I18N_DOMAIN);
	return n > 0 && (size_t)n < sizeof mo && access(mo, R_OK) == 0;
}

static locale_t open_locale(const i18n_lang *l)
{
	for (size_t i = 0; i < I18N_MAX_NAMES && l->names[i]; i++) {
		locale_t loc = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK,
					 l->names[i], (locale_t)0);
		if (loc)
			return loc;
	}
	return (locale_t)0;
}

/* Intl.PluralRules categories and a number gettext puts in the same form
 * in every language chorus may get (one 1, two 2, few 3 as in Polish or
 * Russian, many 11, other 100 as in Arabic), so a count's translation per
 * category comes from the catalogue's own plural rule. */
static const char *const i18n_categories[] = {"one", "two", "few", "many",
					      "other"};
static const unsigned long i18n_category_sample[] = {1, 2, 3, 11, 100};

/* The script's strings in the calling thread's language, as JSON; malloc'd
 * (kept for the process's life), NULL when out of memory. */
static char *make_script_strings(void)
{
	json_t *o = json_object();
	for (size_t i = 0;
	     o && i < sizeof i18n_categories / sizeof i18n_categories[0]; i++) {
		char key[32];
		snprintf(key, sizeof key, "new_posts_%s", i18n_categories[i]);
		/* TRANSLATORS: a button above a feed when new posts arrived
		   while the page was open; {n} is their number, keep it. */
		const char *text = web_trn("{n} new post", "{n} new posts",
					   i18n_category_sample[i]);
		json_object_set_new(o, key, json_string(text));
	}
	if (o) {
		/* TRANSLATORS: a button on a post: shares its link */
		json_object_set_new(o, "share", json_string(_("Share")));
		/* TRANSLATORS: a button on a post: copies its link */
		json_object_set_new(o, "copy_link",
				    json_string(_("Copy link")));
		/* TRANSLATORS: said once the post's link has been copied */
		json_object_set_new(o, "copied", json_string(_("Link copied")));
		/* TRANSLATORS: copying failed; the link follows it */
		json_object_set_new(o, "copy_failed",
				    json_string(_("Copy this link:")));
	}
	char *json = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return json;
}

void web_i18n_init(void)
{
	char dir[PATH_MAX];
	catalogue_dir(dir);
	if (!bindtextdomain(I18N_DOMAIN, dir) ||
	    !bind_textdomain_codeset(I18N_DOMAIN, "UTF-8"))
		log_error("web: cannot bind the catalogue in %s", dir);
	/* LANGUAGE in the server's environment outranks the thread's locale
	 * in gettext, so LANGUAGE=en would turn every Spanish page English.
	 * The page's language is the reader's, never the server's. */
	if (getenv("LANGUAGE")) {
		log_info("web: ignoring LANGUAGE=%s (the reader's "
			 "Accept-Language chooses)",
			 getenv("LANGUAGE"));
		unsetenv("LANGUAGE");
	}

	char names[I18N_NLANGS * 8] = "";
	size_t used = 0;
	i18n_noffered = 0;
	for (size_t i = 0; i < I18N_NLANGS; i++) {
		i18n_lang *l = &i18n_langs[i];
		if (!l->loc && i > 0 && !has_catalogue(dir, l->tag)) {
			log_info("web: no %s catalogue in %s (make builds it); "
				 "%s readers get English",
				 l->tag, dir, l->tag);
			continue;
		}
		if (!l->loc)
			l->loc = open_locale(l);
		if (!l->loc && i > 0) {
			log_info("web: locale %s is not installed "
				 "(scripts/deps.sh generates it); %s readers "
				 "get English",
				 l->names[0], l->tag);
			continue;
		}
		if (!l->script_strings) {
			locale_t was =
				uselocale(l->loc ? l->loc : LC_GLOBAL_LOCALE);
			l->script_strings = make_script_strings();
			uselocale(was);
		}
		i18n_offered[i18n_noffered] = l->tag;
		i18n_offered_lang[i18n_noffered++] = i;
		int w = snprintf(names + used, sizeof names - used, " %s",
				 l->tag);
		if (w > 0 && (size_t)w < sizeof names - used)
			used += (size_t)w;
	}
	log_info("web: pages in%s, catalogue %s", names, dir);
}

/* ---- Accept-Language (RFC 9110 12.5.4) ---- */

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The weight "0", "0.5", "1.000"… in thousandths, or -1 when it is not a
 * qvalue. */
static int parse_q(const char *s, size_t n)
{
	if (n == 0 || (s[0] != '0' && s[0] != '1') || n > 5)
		return -1;
	int q = (s[0] - '0') * I18N_Q_MAX;
	if (n == 1)
		return q;
	if (s[1] != '.')
		return -1;
	int scale = I18N_Q_MAX / 10;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q <= I18N_Q_MAX ? q : -1;
}

/* A language range: "*", or a primary subtag of 1-8 letters and subtags of
 * 1-8 letters or digits after '-' ('_' too, which some clients send).
 * Sets *primary_len to the primary subtag's length. */
static bool valid_range(const char *s, size_t n, size_t *primary_len)
{
	if (n == 1 && s[0] == '*') {
		*primary_len = 1;
		return true;
	}
	size_t i = 0;
	while (i < n && is_alpha(s[i]))
		i++;
	if (i == 0 || i > 8)
		return false;
	*primary_len = i;
	while (i < n) {
		if (s[i] != '-' && s[i] != '_')
			return false;
		size_t start = ++i;
		while (i < n && is_alnum(s[i]))
			i++;
		if (i == start || i - start > 8)
			return false;
	}
	return true;
}

/* One element "range *(OWS ; OWS param)" of s[0..n): its range and its
 * weight (1000 without q). False when malformed. */
static bool parse_element(const char *s, size_t n, const char **range,
			  size_t *range_len, int *q)
{
	size_t i = 0;
	while (i < n && s[i] != ';' && !is_ows(s[i]))
		i++;
	*range = s;
	*range_len = i;
	*q = I18N_Q_MAX;
	while (i < n) {
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n)
			break;
		if (s[i++] != ';')
			return false;
		while (i < n && is_ows(s[i]))
			i++;
		size_t start = i;
		while (i < n && s[i] != ';' && !is_ows(s[i]))
			i++;
		const char *param = s + start;
		size_t len = i - start;
		if (len >= 2 && lower(param[0]) == 'q' && param[1] == '=') {
			*q = parse_q(param + 2, len - 2);
			if (*q < 0)
				return false;
		}
	}
	return true;
}

/* The weight header gives tag (NULL: the "*" range) — the highest of the
 * ranges whose primary subtag is tag, -1 when none is — and in *at the
 * position of the first such range. */
static int weigh(const char *header, const char *tag, size_t *at)
{
	int best = -1;
	*at = SIZE_MAX;
	const char *p = header;
	for (size_t pos = 0; *p; pos++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *elem = p;
		p += len + (end ? 1 : 0);
		while (len > 0 && is_ows(*elem))
			elem++, len--;
		const char *range;
		size_t range_len, primary_len;
		int q;
		if (!parse_element(elem, len, &range, &range_len, &q) ||
		    !valid_range(range, range_len, &primary_len))
			continue;
		bool star = range[0] == '*';
		if (tag ? star || strlen(tag) != primary_len ||
				    strncasecmp(tag, range, primary_len) != 0
			: !star)
			continue;
		if (q > best)
			best = q;
		if (pos < *at)
			*at = pos;
	}
	return best;
}

size_t web_i18n_choose(const char *accept_language, const char *const *offered,
		       size_t n)
{
	if (!accept_language)
		return 0;
	size_t star_at;
	int star_q = weigh(accept_language, NULL, &star_at);
	/* the highest weight above 0 wins; a tie goes to the range written
	 * first, and a language only "*" accepts comes after every one
	 * named, the default first */
	size_t best = 0, best_at = SIZE_MAX;
	int best_q = 0;
	for (size_t i = 0; i < n; i++) {
		size_t at;
		int q = weigh(accept_language, offered[i], &at);
		if (q < 0)
			q = star_q;
		if (q > best_q || (q == best_q && q > 0 && at < best_at)) {
			best = i;
			best_q = q;
			best_at = at;
		}
	}
	return best;
}

const char *web_i18n_select(const char *accept_language)
{
	size_t i =
		web_i18n_choose(accept_language, i18n_offered, i18n_noffered);
	const i18n_lang *l = &i18n_langs[i18n_offered_lang[i]];
	if (l->loc)
		uselocale(l->loc);
	i18n_current = l;
	return l->tag;
}

void web_i18n_reset(void)
{
	uselocale(LC_GLOBAL_LOCALE);
	i18n_current = &i18n_langs[0];
}

const char *web_i18n_lang(void)
{
	return i18n_current->tag;
}

const char *web_i18n_script_strings(void)
{
	return i18n_current->script_strings ? i18n_current->script_strings
					    : "{}";
}
