/* store_fixture.h — a fresh SQLite store in a temporary directory for
 * each test that needs one (setup/teardown for cmocka), shared by the
 * unit tests that use the store. Include once, after cmocka.h. */
#ifndef CHORUS_TEST_STORE_FIXTURE_H
#define CHORUS_TEST_STORE_FIXTURE_H

#include "core/arena.h"
#include "core/id.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char test_dir[64];
static arena test_arena;

/* Open a new database under /tmp/chorus-test-<name>-XXXXXX. */
static int store_fixture_open(const char *name)
{
	snprintf(test_dir, sizeof test_dir, "/tmp/chorus-test-%s-XXXXXX", name);
	if (!mkdtemp(test_dir))
		return -1;
	arena_init(&test_arena);
	store_thread_close(); /* the next call opens the new file */
	return store_open(test_dir);
}

static int store_fixture_teardown(void **state)
{
	static const char *const files[] = {"chorus.db", "chorus.db-wal",
					    "chorus.db-shm"};
	(void)state;
	store_thread_close();
	arena_release(&test_arena);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char path[128];
		snprintf(path, sizeof path, "%s/%s", test_dir, files[i]);
		unlink(path);
	}
	rmdir(test_dir);
	return 0;
}

/* A new local account named username (email username@example.com);
 * returns its id. */
static inline int64_t fixture_account(const char *username)
{
	char email[128];
	snprintf(email, sizeof email, "%s@example.com", username);
	account a;
	memset(&a, 0, sizeof a);
	a.username = username;
	a.created_at = id_to_ms(id_next());
	assert_int_equal(store_account_create(&a, email, "hash", "user"),
			 STORE_ACCOUNT_OK);
	return a.id;
}

/* A status by author with visibility vis, not stored yet (storing it
 * assigns its id). */
static inline status fixture_status(int64_t author, visibility vis)
{
	status s;
	memset(&s, 0, sizeof s);
	s.id = id_next();
	s.account_id = author;
	s.text = "text";
	s.content = "<p>text</p>";
	s.spoiler_text = "";
	s.entities = "{}";
	s.vis = vis;
	s.created_at = id_to_ms(s.id);
	return s;
}

#endif
