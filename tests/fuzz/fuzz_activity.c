/* fuzz_activity.c — an ActivityPub document as another server sends it
 * (fed/inbox.c, fed/actors.c): the scan that reads an activity's id,
 * type and actor at the inbox's door (json_scan, as take() reads it),
 * the parse the job makes, the reading of its Note (fed_note_read:
 * content sanitised, tags and mentions, addressing, dates) as a
 * Create's or an Update's object and as a fetched post, and the reading
 * of an actor's document (fed_actor_read). The store is a fresh SQLite
 * database holding one local account, alice, so a mention of hers
 * resolves; it is only read.
 *
 * Invariants: a Note that reads as a post has an id, content that is
 * sanitised HTML (the allow-list's tags only, UTF-8), a content warning
 * of UTF-8 within its bound, a visibility, and entities that are JSON;
 * an actor that reads as one has a handle's name, a display name of
 * plain UTF-8 text within its bound, a sanitised bio, an inbox and a
 * key. */
#include "fuzz.h"

#include "core/config.h"
#include "core/json_scan.h"
#include "core/log.h"
#include "core/time.h"
#include "fed/fed.h"
#include "store/store.h"
#include "text/text.h"

#include <jansson.h>
#include <unistd.h>

static const char *const kept_tags[] = {
	"p", "br", "span", "a",	 "del", "pre", "code",	     "em", "strong",
	"b", "i",  "u",	   "ul", "ol",	"li",  "blockquote", NULL,
};
static const char *const kept_attrs[] = {
	"href", "rel", "target", "class", "start", "reversed", "value", NULL,
};

static char data_dir[64];

static void remove_store(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", data_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_activity: cannot remove %s\n", data_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_quiet(1);
	config_defaults();
	FUZZ_CHECK(config_set("server.base_url", "https://chorus.example") ==
		   0);
	config_finish();
	snprintf(data_dir, sizeof data_dir, "/tmp/chorus-fuzz-XXXXXX");
	FUZZ_CHECK(mkdtemp(data_dir) != NULL);
	atexit(remove_store);
	FUZZ_CHECK(store_open(data_dir) == 0);
	account alice = {.username = "alice", .created_at = time_now_ms()};
	FUZZ_CHECK(store_account_create(&alice, "alice@chorus.example", "x",
					"user", NULL) == 0);
	return 0;
}

static void check_actor(const account *acc, const store_actor *act)
{
	size_t n = strlen(acc->username);
	FUZZ_CHECK(n && n <= 64);
	FUZZ_CHECK(strspn(acc->username, "abcdefghijklmnopqrstuvwxyz"
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789_.-") == n);
	n = strlen(acc->display_name);
	FUZZ_CHECK(n <= 200 && text_utf8_valid(acc->display_name, n));
	for (const char *c = acc->display_name; *c; c++)
		FUZZ_CHECK((unsigned char)*c >= 0x20);
	FUZZ_CHECK(fuzz_html_only(acc->note_html, kept_tags, kept_attrs));
	FUZZ_CHECK(acc->domain && act->uri && act->inbox && act->key_id &&
		   act->public_key_pem);
}

static void check_post(const status *s)
{
	FUZZ_CHECK(s->uri && *s->uri);
	FUZZ_CHECK(s->content != NULL);
	FUZZ_CHECK(text_utf8_valid(s->content, strlen(s->content)));
	FUZZ_CHECK(fuzz_html_only(s->content, kept_tags, kept_attrs));
	FUZZ_CHECK(s->spoiler_text &&
		   text_utf8_valid(s->spoiler_text, strlen(s->spoiler_text)));
	FUZZ_CHECK(strlen(s->spoiler_text) <= 1000);
	FUZZ_CHECK(s->vis == VIS_PUBLIC || s->vis == VIS_UNLISTED ||
		   s->vis == VIS_PRIVATE || s->vis == VIS_DIRECT);
	json_t *e = json_loads(s->entities, 0, NULL);
	FUZZ_CHECK(json_is_object(e));
	json_decref(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena a;
	arena_init(&a);
	const char *body = (const char *)data;
	json_scan_member m[] = {
		{.name = "id"}, {.name = "type"}, {.name = "actor"}};
	if (json_scan_object(body, size, m, 3) == JSON_SCAN_BAD) {
		arena_release(&a);
		return 0; /* refused at the door: 400 */
	}
	json_t *doc = json_loadb(body, size, JSON_REJECT_DUPLICATES, NULL);
	const char *actor = fed_id_of(json_object_get(doc, "actor"));
	const char *type = fed_str(doc, "type");
	store_actor sender = {
		.account_id = 2,
		.uri = actor ? actor : "https://remote.example/users/bob",
	};
	sender.followers_uri = arena_printf(&a, "%s/followers", sender.uri);
	status s;
	json_t *object = json_object_get(doc, "object");
	if (type && (!strcmp(type, "Create") || !strcmp(type, "Update")) &&
	    fed_note_read(&a, &sender, object, &s))
		check_post(&s);
	/* a post fetched by its id is the Note itself */
	const char *by = fed_id_of(json_object_get(doc, "attributedTo"));
	if (by)
		sender.uri = by;
	if (fed_note_read(&a, &sender, doc, &s))
		check_post(&s);
	/* an actor's document, as fetched from its id */
	account acc;
	store_actor act;
	const char *id = fed_str(doc, "id");
	if (id && fed_actor_read(&a, doc, id, &acc, &act))
		check_actor(&acc, &act);
	/* what the other activities read of theirs */
	json_t *att = fed_list(json_object_get(object, "attachment")), *one;
	size_t i;
	json_array_foreach(att, i, one)
	{
		(void)fed_media_url(one);
	}
	json_decref(att);
	(void)fed_id_of(object);
	(void)fed_domain_of(&a, sender.uri);
	json_decref(doc);
	arena_release(&a);
	return 0;
}
