/* store_fixture.h — a fresh SQLite store in a temporary directory for
 * each test that needs one (setup/teardown for cmocka), shared by the
 * unit tests that use the store. Include once, after cmocka.h. */
#ifndef CHORUS_TEST_STORE_FIXTURE_H
#define CHORUS_TEST_STORE_FIXTURE_H

#include "core/arena.h"
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

#endif
