/* test_web_i18n.c — the web pages' languages: which language an
 * Accept-Language header chooses (web_i18n_choose, pure), then gettext
 * through a thread's locale with a catalogue made here, so the test does
 * not depend on what po/es.po says today. The translation tests need the
 * es_ES.UTF-8 locale (scripts/deps.sh generates it) and msgfmt; without
 * them they are skipped, loudly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "web/web.h"

#include <jansson.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	TEST_THREAD_ROUNDS = 20000, /* translations per thread */
	TEST_LONG_RANGES = 20000,   /* ranges in the very long header */
};

static const char *const offered[] = {"en", "es"};
#define NOFFERED (sizeof offered / sizeof offered[0])

/* The tag the header chooses among en (the default) and es. */
static const char *choose(const char *header)
{
	return offered[web_i18n_choose(header, offered, NOFFERED)];
}

/* ---- choosing ---- */

static void test_no_header_is_english(void **state)
{
	(void)state;
	assert_string_equal(choose(NULL), "en");
	assert_string_equal(choose(""), "en");
	assert_string_equal(choose("   "), "en");
}

static void test_a_named_language_is_chosen(void **state)
{
	(void)state;
	assert_string_equal(choose("es"), "es");
	assert_string_equal(choose("en"), "en");
	assert_string_equal(choose("ES"), "es");
	assert_string_equal(choose("  es  "), "es");
}

static void test_a_region_counts_as_its_language(void **state)
{
	(void)state;
	assert_string_equal(choose("es-MX"), "es");
	assert_string_equal(choose("es-419"), "es");
	assert_string_equal(choose("eS-mX"), "es");
	assert_string_equal(choose("es_AR"), "es");
	assert_string_equal(choose("zh-Hant-TW, es-MX;q=0.5"), "es");
	/* a language is its primary subtag: "est" is Estonian, not es */
	assert_string_equal(choose("est"), "en");
	assert_string_equal(choose("e"), "en");
}

static void test_unknown_languages_fall_back_to_english(void **state)
{
	(void)state;
	assert_string_equal(choose("fr"), "en");
	assert_string_equal(choose("fr-CA, de;q=0.9, ja;q=0.1"), "en");
	assert_string_equal(choose("fr, de;q=0.9, es;q=0.1"), "es");
}

static void test_the_highest_q_wins(void **state)
{
	(void)state;
	assert_string_equal(choose("en;q=0.5, es;q=0.8"), "es");
	assert_string_equal(choose("es;q=0.5, en;q=0.8"), "en");
	assert_string_equal(choose("es;q=0.5, en"), "en");
	assert_string_equal(choose("en-US,en;q=0.9,es;q=0.8"), "en");
	assert_string_equal(choose("es-ES,es;q=0.9,en;q=0.8"), "es");
	assert_string_equal(choose("es;q=1.000, en;q=0.999"), "es");
	assert_string_equal(choose("en;q=0.001, es;q=0.002"), "es");
	/* the best range for a language counts, not the first */
	assert_string_equal(choose("es-MX;q=0.1, en;q=0.5, es;q=0.9"), "es");
	/* whitespace and upper case around the weight */
	assert_string_equal(choose("en;q=0.5 , es ; Q=0.7"), "es");
}

static void test_a_tie_goes_to_the_range_written_first(void **state)
{
	(void)state;
	assert_string_equal(choose("es, en"), "es");
	assert_string_equal(choose("en, es"), "en");
	assert_string_equal(choose("fr, es;q=0.7, en;q=0.7"), "es");
}

static void test_q_zero_refuses_a_language(void **state)
{
	(void)state;
	assert_string_equal(choose("es;q=0"), "en");
	assert_string_equal(choose("es;q=0.000"), "en");
	assert_string_equal(choose("en;q=0, es;q=0"), "en");
}

static void test_star_accepts_what_is_not_named(void **state)
{
	(void)state;
	assert_string_equal(choose("*"), "en");
	assert_string_equal(choose("fr, *;q=0.1"), "en");
	/* a language named beats one only the star accepts */
	assert_string_equal(choose("*, es"), "es");
	assert_string_equal(choose("en;q=0, *"), "es");
	assert_string_equal(choose("es;q=0, *"), "en");
	assert_string_equal(choose("es;q=0.2, *;q=0.5"), "en");
	assert_string_equal(choose("*;q=0"), "en");
}

static void test_malformed_ranges_are_skipped(void **state)
{
	(void)state;
	/* each bad element is dropped; the good ones still count */
	assert_string_equal(choose("es;q=abc"), "en");
	assert_string_equal(choose("es;q=2"), "en");
	assert_string_equal(choose("es;q=1.5"), "en");
	assert_string_equal(choose("es;q=-1"), "en");
	assert_string_equal(choose("es;q=0.5555"), "en");
	assert_string_equal(choose("es;q="), "en");
	assert_string_equal(choose("es;q=.5"), "en");
	assert_string_equal(choose("es q=0.5"), "en");
	assert_string_equal(choose("es-"), "en");
	assert_string_equal(choose("es--MX"), "en");
	assert_string_equal(choose("es-toolongsubtag"), "en");
	assert_string_equal(choose("abcdefghi"), "en");
	assert_string_equal(choose("e$, es;q=0.3"), "es");
	assert_string_equal(choose("es;q=abc, en;q=0.1, es-MX;q=0.5"), "es");
	/* parameters other than q are allowed and ignored */
	assert_string_equal(choose("es;level=1;q=0.9, en;q=0.5"), "es");
}

static void test_garbage_is_english(void **state)
{
	(void)state;
	assert_string_equal(choose(",,,;;;"), "en");
	assert_string_equal(choose(";q=1"), "en");
	assert_string_equal(choose("\xff\xfe\x01"), "en");
	assert_string_equal(choose("es\xff"), "en");
	assert_string_equal(choose("espa\xc3\xb1ol"), "en");
	assert_string_equal(choose("<script>alert(1)</script>"), "en");
	assert_string_equal(choose(",es,"), "es");
}

static void test_a_very_long_header_is_read_to_the_end(void **state)
{
	(void)state;
	const char *range = "fr;q=0.1, ";
	size_t len = strlen(range) * TEST_LONG_RANGES;
	char *header = malloc(len + sizeof "es;q=0.2");
	assert_non_null(header);
	for (size_t i = 0; i < TEST_LONG_RANGES; i++)
		memcpy(header + i * strlen(range), range, strlen(range));
	strcpy(header + len, "es;q=0.2");
	assert_string_equal(choose(header), "es");
	/* one enormous range is malformed, not a crash */
	memset(header, 'a', len);
	header[len] = '\0';
	assert_string_equal(choose(header), "en");
	free(header);
}

static void test_the_default_is_offered_first(void **state)
{
	(void)state;
	static const char *const one[] = {"en"};
	assert_int_equal(web_i18n_choose("es", one, 1), 0);
	static const char *const es_first[] = {"es", "en"};
	assert_int_equal(web_i18n_choose("fr", es_first, 2), 0);
	assert_int_equal(web_i18n_choose("en", es_first, 2), 1);
}

/* ---- sentences with markup ---- */

/* What web_tr_html writes for translated with parts, as a string. */
static char *sentence(arena *a, const char *translated, size_t n,
		      const char *const *parts)
{
	buf b;
	buf_init(&b, a);
	web_tr_html(&b, translated, n, parts);
	buf_putc(&b, '\0');
	return b.data;
}

static void test_a_sentence_escapes_its_text_and_keeps_its_parts(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	const char *link[] = {"<a href=\"/@ana\">Ana</a>"};
	assert_string_equal(sentence(&a, "%s boosted", 1, link),
			    "<a href=\"/@ana\">Ana</a> boosted");
	assert_string_equal(sentence(&a, "%s impulsó", 1, link),
			    "<a href=\"/@ana\">Ana</a> impulsó");
	/* the translation is text: markup in it is shown, not obeyed */
	assert_string_equal(sentence(&a, "<b>%s</b> & co", 1, link),
			    "&lt;b&gt;<a href=\"/@ana\">Ana</a>&lt;/b&gt; "
			    "&amp; co");
	assert_string_equal(sentence(&a, "100%% <sure>", 0, NULL),
			    "100% &lt;sure&gt;");
	assert_string_equal(sentence(&a, "50% off", 0, NULL), "50% off");
	assert_string_equal(sentence(&a, "trailing %", 0, NULL), "trailing %");
	arena_release(&a);
}

static void test_a_sentence_may_reorder_its_parts(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	const char *two[] = {"<i>A</i>", "<i>B</i>"};
	assert_string_equal(sentence(&a, "%s then %s", 2, two),
			    "<i>A</i> then <i>B</i>");
	assert_string_equal(sentence(&a, "%2$s before %1$s", 2, two),
			    "<i>B</i> before <i>A</i>");
	/* a placeholder beyond the parts writes nothing */
	assert_string_equal(sentence(&a, "%s, %s, %s", 2, two),
			    "<i>A</i>, <i>B</i>, ");
	assert_string_equal(sentence(&a, "%9$s!", 2, two), "!");
	assert_string_equal(sentence(&a, "%s", 1, (const char *[]){NULL}), "");
	arena_release(&a);
}

/* ---- translating ---- */

static char catalogue_dir[] = "/tmp/chorus-i18n-XXXXXX";
static bool spanish; /* the es_ES locale and the catalogue are there */

static const char test_po[] =
	"msgid \"\"\n"
	"msgstr \"\"\n"
	"\"Project-Id-Version: chorus test\\n\"\n"
	"\"PO-Revision-Date: 2024-01-01 00:00+0000\\n\"\n"
	"\"Last-Translator: test\\n\"\n"
	"\"Language-Team: test\\n\"\n"
	"\"Language: es\\n\"\n"
	"\"MIME-Version: 1.0\\n\"\n"
	"\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
	"\"Content-Transfer-Encoding: 8bit\\n\"\n"
	"\"Plural-Forms: nplurals=2; plural=(n != 1);\\n\"\n"
	"\n"
	"msgid \"Sign in\"\n"
	"msgstr \"Iniciar sesión\"\n"
	"\n"
	"#, c-format\n"
	"msgid \"%d post\"\n"
	"msgid_plural \"%d posts\"\n"
	"msgstr[0] \"%d publicación\"\n"
	"msgstr[1] \"%d publicaciones\"\n"
	"\n"
	"msgid \"{n} new post\"\n"
	"msgid_plural \"{n} new posts\"\n"
	"msgstr[0] \"{n} publicación nueva\"\n"
	"msgstr[1] \"{n} publicaciones nuevas\"\n"
	"\n"
	"msgid \"Share\"\n"
	"msgstr \"Compartir\"\n";

/* Write test_po's catalogue under catalogue_dir/es, point the server at
 * it, and start i18n as the server does. */
static int setup_catalogue(void **state)
{
	(void)state;
	log_set_quiet(1);
	if (!mkdtemp(catalogue_dir))
		return -1;
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "mkdir -p %s/es/LC_MESSAGES && "
		 "msgfmt --check -o %s/es/LC_MESSAGES/chorus.mo - ",
		 catalogue_dir, catalogue_dir);
	FILE *msgfmt = popen(cmd, "w");
	if (!msgfmt)
		return -1;
	fputs(test_po, msgfmt);
	bool made = pclose(msgfmt) == 0;
	locale_t es = newlocale(LC_MESSAGES_MASK, "es_ES.UTF-8", (locale_t)0);
	spanish = made && es;
	if (es)
		freelocale(es);
	if (!spanish)
		fprintf(stderr,
			"test_web_i18n: %s; translation tests skipped "
			"(run scripts/deps.sh)\n",
			made ? "no es_ES.UTF-8 locale" : "msgfmt failed");
	/* the server's environment must not outrank the reader's choice */
	setenv("LANGUAGE", "en", 1);
	setenv("CHORUS_LOCALE_DIR", catalogue_dir, 1);
	web_i18n_init();
	return 0;
}

static int teardown_catalogue(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s", catalogue_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_english_is_the_msgid_itself(void **state)
{
	(void)state;
	const char *msgid = "Sign in";
	assert_string_equal(web_i18n_select("en-GB"), "en");
	assert_ptr_equal(web_tr(msgid), msgid);
	assert_string_equal(web_trn("%d post", "%d posts", 1), "%d post");
	assert_string_equal(web_trn("%d post", "%d posts", 0), "%d posts");
	assert_string_equal(web_tr("not in any catalogue"),
			    "not in any catalogue");
	/* "" is the catalogue's header, never a page's string */
	assert_string_equal(web_tr(""), "");
	web_i18n_reset();
}

static void test_spanish_translates_with_plurals(void **state)
{
	(void)state;
	if (!spanish)
		skip();
	assert_string_equal(web_i18n_select("es-MX, en;q=0.5"), "es");
	assert_string_equal(web_i18n_lang(), "es");
	assert_string_equal(web_tr("Sign in"), "Iniciar sesión");
	assert_string_equal(web_trn("%d post", "%d posts", 1),
			    "%d publicación");
	assert_string_equal(web_trn("%d post", "%d posts", 0),
			    "%d publicaciones");
	assert_string_equal(web_trn("%d post", "%d posts", 7),
			    "%d publicaciones");
	assert_string_equal(web_tr("not in any catalogue"),
			    "not in any catalogue");
	assert_string_equal(web_tr(""), "");
	web_i18n_reset();
	assert_string_equal(web_i18n_lang(), "en");
	assert_string_equal(web_tr("Sign in"), "Sign in");
}

static void test_an_unavailable_language_is_english(void **state)
{
	(void)state;
	assert_string_equal(web_i18n_select("fr"), "en");
	assert_string_equal(web_tr("Sign in"), "Sign in");
	assert_string_equal(web_i18n_select("<garbage>"), "en");
	assert_string_equal(web_i18n_lang(), "en");
	web_i18n_reset();
}

typedef struct translator {
	const char *accept_language;
	const char *want;
	pthread_barrier_t *together;
	int wrong; /* translations that were not want */
	const char *lang;
} translator;

/* Select a language on this thread, wait until the other thread has
 * selected its own, then translate over and over while it does too. */
static void *translate_on_thread(void *arg)
{
	translator *t = arg;
	t->lang = web_i18n_select(t->accept_language);
	pthread_barrier_wait(t->together);
	for (int i = 0; i < TEST_THREAD_ROUNDS; i++) {
		if (strcmp(web_tr("Sign in"), t->want) != 0)
			t->wrong++;
		if (i == TEST_THREAD_ROUNDS / 2)
			pthread_barrier_wait(t->together);
	}
	if (strcmp(web_i18n_lang(), t->lang) != 0)
		t->wrong++;
	web_i18n_reset();
	return NULL;
}

static void test_two_threads_translate_into_their_own_languages(void **state)
{
	(void)state;
	if (!spanish)
		skip();
	pthread_barrier_t together;
	pthread_barrier_init(&together, NULL, 2);
	translator es = {"es", "Iniciar sesión", &together, 0, NULL};
	translator en = {"en", "Sign in", &together, 0, NULL};
	pthread_t a, b;
	assert_int_equal(pthread_create(&a, NULL, translate_on_thread, &es), 0);
	assert_int_equal(pthread_create(&b, NULL, translate_on_thread, &en), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_barrier_destroy(&together);
	assert_string_equal(es.lang, "es");
	assert_string_equal(en.lang, "en");
	assert_int_equal(es.wrong, 0);
	assert_int_equal(en.wrong, 0);
	/* and this thread never chose: English */
	assert_string_equal(web_i18n_lang(), "en");
	assert_string_equal(web_tr("Sign in"), "Sign in");
}

/* The script strings' value for key, in the thread's language. */
static char *script_string(const char *key)
{
	json_t *o = json_loads(web_i18n_script_strings(), 0, NULL);
	assert_non_null(o);
	const char *v = json_string_value(json_object_get(o, key));
	char *copy = v ? strdup(v) : NULL;
	json_decref(o);
	return copy;
}

static void assert_script_string(const char *key, const char *want)
{
	char *got = script_string(key);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_script_strings_follow_the_thread_language(void **state)
{
	(void)state;
	assert_script_string("new_posts_one", "{n} new post");
	assert_script_string("new_posts_other", "{n} new posts");
	assert_script_string("share", "Share");
	assert_script_string("copy_link", "Copy link");
	if (!spanish)
		skip();
	web_i18n_select("es");
	assert_script_string("new_posts_one", "{n} publicación nueva");
	/* es has "many" in Intl.PluralRules (un millón de…): the plural */
	assert_script_string("new_posts_many", "{n} publicaciones nuevas");
	assert_script_string("new_posts_other", "{n} publicaciones nuevas");
	assert_script_string("share", "Compartir");
	/* not in this test's catalogue: English */
	assert_script_string("copy_link", "Copy link");
	web_i18n_reset();
	assert_script_string("share", "Share");
}

static void test_language_env_was_dropped(void **state)
{
	(void)state;
	assert_null(getenv("LANGUAGE"));
}

int main(void)
{
	const struct CMUnitTest choosing[] = {
		cmocka_unit_test(test_no_header_is_english),
		cmocka_unit_test(test_a_named_language_is_chosen),
		cmocka_unit_test(test_a_region_counts_as_its_language),
		cmocka_unit_test(test_unknown_languages_fall_back_to_english),
		cmocka_unit_test(test_the_highest_q_wins),
		cmocka_unit_test(test_a_tie_goes_to_the_range_written_first),
		cmocka_unit_test(test_q_zero_refuses_a_language),
		cmocka_unit_test(test_star_accepts_what_is_not_named),
		cmocka_unit_test(test_malformed_ranges_are_skipped),
		cmocka_unit_test(test_garbage_is_english),
		cmocka_unit_test(test_a_very_long_header_is_read_to_the_end),
		cmocka_unit_test(test_the_default_is_offered_first),
		cmocka_unit_test(
			test_a_sentence_escapes_its_text_and_keeps_its_parts),
		cmocka_unit_test(test_a_sentence_may_reorder_its_parts),
	};
	const struct CMUnitTest translating[] = {
		cmocka_unit_test(test_english_is_the_msgid_itself),
		cmocka_unit_test(test_spanish_translates_with_plurals),
		cmocka_unit_test(test_an_unavailable_language_is_english),
		cmocka_unit_test(
			test_two_threads_translate_into_their_own_languages),
		cmocka_unit_test(
			test_script_strings_follow_the_thread_language),
		cmocka_unit_test(test_language_env_was_dropped),
	};
	int failed =
		cmocka_run_group_tests_name("choosing", choosing, NULL, NULL);
	failed += cmocka_run_group_tests_name("translating", translating,
					      setup_catalogue,
					      teardown_catalogue);
	return failed;
}
