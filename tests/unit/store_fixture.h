/* store_fixture.h — a fresh SQLite store in a temporary directory for
 * each test that needs one (setup/teardown for cmocka), shared by the
 * unit tests that use the store. Include once, after cmocka.h.
 *
 * With CHORUS_TEST_BACKEND=postgresql (and the cluster scripts/pg.sh
 * started in CHORUS_TEST_PG_HOST/PORT) the store is a PostgreSQL database
 * instead, emptied before each test: make unit-pg. A test that reads
 * SQLite's own files or catalogue skips there (FIXTURE_SQLITE_ONLY). */
#ifndef CHORUS_TEST_STORE_FIXTURE_H
#define CHORUS_TEST_STORE_FIXTURE_H

#include "core/arena.h"
#include "core/config.h"
#include "core/id.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char test_dir[64];
static arena test_arena;

static bool fixture_pg;

/* The run's PostgreSQL database (one per test process), emptied: its
 * URL set as database.url. 0 or -1. */
static int fixture_pg_reset(void)
{
	const char *host = getenv("CHORUS_TEST_PG_HOST");
	const char *port = getenv("CHORUS_TEST_PG_PORT");
	if (!host || !port) {
		fprintf(stderr, "store_fixture: CHORUS_TEST_PG_HOST and _PORT"
				" name no cluster\n");
		return -1;
	}
	char url[512], name[64];
	snprintf(name, sizeof name, "chorus_unit_%ld", (long)getpid());
	snprintf(url, sizeof url, "postgresql://postgres@/%s?host=%s&port=%s",
		 "postgres", host, port);
	PGconn *c = PQconnectdb(url);
	char sql[256];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	PGresult *r = PQexec(c, sql); /* an error when it exists: fine */
	PQclear(r);
	PQfinish(c);
	snprintf(url, sizeof url, "postgresql://postgres@/%s?host=%s&port=%s",
		 name, host, port);
	c = PQconnectdb(url);
	r = PQexec(c, "SET client_min_messages = warning;"
		      "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "store_fixture: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? config_set("database.url", url) : -1;
}

/* Open a new database under /tmp/chorus-test-<name>-XXXXXX (its media
 * directory too on PostgreSQL). */
static int store_fixture_open(const char *name)
{
	snprintf(test_dir, sizeof test_dir, "/tmp/chorus-test-%s-XXXXXX", name);
	if (!mkdtemp(test_dir))
		return -1;
	arena_init(&test_arena);
	store_thread_close(); /* the next call opens the new database */
	const char *backend = getenv("CHORUS_TEST_BACKEND");
	fixture_pg = backend && !strcmp(backend, "postgresql");
	if (fixture_pg && fixture_pg_reset() < 0)
		return -1;
	return store_open(test_dir);
}

/* In a test that reads SQLite's own files, catalogue or C API. */
#define FIXTURE_SQLITE_ONLY()                                                  \
	do {                                                                   \
		if (fixture_pg)                                                \
			skip();                                                \
	} while (0)

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
	assert_int_equal(store_account_create(&a, email, "hash", "user", NULL),
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
