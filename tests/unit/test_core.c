/* test_core.c — core: arena, buf, ids, time formats and configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/cache.h"
#include "core/config.h"
#include "core/feeds.h"
#include "core/id.h"
#include "core/log.h"
#include "core/replies.h"
#include "core/time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	TEST_ALIGN = 16,		  /* arena's promised alignment */
	TEST_BIG_ALLOC = 3 * 1024 * 1024, /* larger than any arena block */
	TEST_ID_THREADS = 4,		  /* concurrent id_next callers */
	TEST_IDS_PER_THREAD = 50000,	  /* enough to share milliseconds */
	TEST_KNOWN_MS_SECS = 1575776913,  /* 2019-12-08T03:48:33Z */
};

static const int64_t TEST_KNOWN_MS = (int64_t)TEST_KNOWN_MS_SECS * 1000 + 901;

static arena test_arena;

static int test_setup(void **state)
{
	arena_init(&test_arena);
	return 0;
}

static int test_teardown(void **state)
{
	arena_release(&test_arena);
	return 0;
}

/* ---- arena ------------------------------------------------------------ */

static void test_arena_alloc_is_aligned_for_any_size(void **state)
{
	for (size_t n = 1; n < 100; n++) {
		unsigned char *p = arena_alloc(&test_arena, n);
		assert_int_equal((uintptr_t)p % TEST_ALIGN, 0);
		p[n - 1] = 0xAA; /* writable up to its last byte */
	}
}

static void test_arena_alloc_returns_zeroed_distinct_memory(void **state)
{
	unsigned char *a = arena_alloc(&test_arena, 32);
	memset(a, 0xFF, 32);
	unsigned char *b = arena_alloc(&test_arena, 32);
	assert_true(b >= a + 32 || b + 32 <= a);
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(a[31], 0xFF);
}

static void test_arena_allocation_larger_than_a_block_works(void **state)
{
	char *small = arena_strdup(&test_arena, "before");
	unsigned char *big = arena_alloc(&test_arena, TEST_BIG_ALLOC);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % TEST_ALIGN, 0);
	assert_int_equal(big[0], 0);
	assert_int_equal(big[TEST_BIG_ALLOC - 1], 0);
	memset(big, 0x5A, TEST_BIG_ALLOC);
	char *after = arena_strdup(&test_arena, "after");
	assert_string_equal(small, "before");
	assert_string_equal(after, "after");
	assert_int_equal(big[TEST_BIG_ALLOC - 1], 0x5A);
	assert_true(test_arena.total >= TEST_BIG_ALLOC);
}

static void test_arena_realloc_of_a_large_block_keeps_its_bytes(void **state)
{
	(void)state;
	unsigned char *big = arena_alloc(&test_arena, TEST_BIG_ALLOC);
	memset(big, 'x', TEST_BIG_ALLOC);
	char *other = arena_strdup(&test_arena, "other");
	size_t before = test_arena.total;
	unsigned char *grown = arena_realloc(&test_arena, big, TEST_BIG_ALLOC,
					     2 * TEST_BIG_ALLOC);
	for (size_t i = 0; i < TEST_BIG_ALLOC; i += 4096)
		assert_int_equal(grown[i], 'x');
	assert_int_equal(grown[TEST_BIG_ALLOC - 1], 'x');
	/* resized in place: the arena grew by the difference only */
	assert_int_equal(test_arena.total, before + TEST_BIG_ALLOC);
	assert_string_equal(other, "other");
}

static void test_arena_realloc_of_a_shared_block_copies(void **state)
{
	(void)state;
	char *a = arena_strdup(&test_arena, "abc");
	char *b = arena_strdup(&test_arena, "def");
	char *grown = arena_realloc(&test_arena, a, 4, 64);
	assert_ptr_not_equal(grown, a);
	assert_string_equal(grown, "abc");
	assert_string_equal(b, "def");
}

static void test_arena_many_small_allocations_span_blocks(void **state)
{
	char *first = arena_printf(&test_arena, "item-%d", 0);
	char *last = NULL;
	for (int i = 1; i < 5000; i++)
		last = arena_printf(&test_arena, "item-%d", i);
	assert_string_equal(first, "item-0");
	assert_string_equal(last, "item-4999");
}

static void test_arena_strdup_and_strndup_copy(void **state)
{
	char src[] = "hello world";
	char *dup = arena_strdup(&test_arena, src);
	char *part = arena_strndup(&test_arena, src, 5);
	src[0] = 'J';
	assert_string_equal(dup, "hello world");
	assert_string_equal(part, "hello");
	assert_string_equal(arena_strdup(&test_arena, ""), "");
}

static void test_arena_printf_formats_long_output(void **state)
{
	char *s = arena_printf(&test_arena, "%s=%d;%lld", "k", 42,
			       (long long)INT64_MAX);
	assert_string_equal(s, "k=42;9223372036854775807");
	char *wide = arena_printf(&test_arena, "%10000d", 7);
	assert_int_equal(strlen(wide), 10000);
	assert_int_equal(wide[9999], '7');
}

static void test_arena_release_allows_reuse(void **state)
{
	arena a;
	arena_init(&a);
	arena_alloc(&a, TEST_BIG_ALLOC);
	arena_release(&a);
	assert_null(a.head);
	assert_int_equal(a.total, 0);
	assert_string_equal(arena_strdup(&a, "again"), "again");
	arena_release(&a);
}

/* ---- buf -------------------------------------------------------------- */

static void test_buf_starts_empty_and_terminated(void **state)
{
	buf b;
	buf_init(&b, &test_arena);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
}

static void test_buf_grows_and_keeps_content(void **state)
{
	buf b;
	buf_init(&b, &test_arena);
	for (int i = 0; i < 2000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	buf_puts(&b, "END");
	assert_int_equal(b.len, 2003);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[0], 'a');
	assert_int_equal(b.data[1999], (char)('a' + 1999 % 26));
	assert_string_equal(b.data + 2000, "END");
}

static void test_buf_append_keeps_embedded_nul(void **state)
{
	buf b;
	buf_init(&b, &test_arena);
	buf_append(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);
}

static void test_buf_put_int_writes_what_printf_writes(void **state)
{
	const int64_t values[] = {
		0, 7, -1, 10, 117727899019051008LL, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		buf b;
		buf_init(&b, &test_arena);
		buf_puts(&b, "[");
		buf_put_int(&b, values[i]);
		char want[32];
		snprintf(want, sizeof want, "[%lld", (long long)values[i]);
		assert_string_equal(b.data, want);
	}
	buf empty;
	buf_init(&empty, &test_arena);
	buf_append(&empty, NULL, 0); /* nothing, and no memcpy from NULL */
	assert_int_equal(empty.len, 0);
}

static void test_buf_printf_appends_past_capacity(void **state)
{
	buf b;
	buf_init(&b, &test_arena);
	buf_puts(&b, "x");
	buf_printf(&b, "%0200d|%s", 5, "tail");
	assert_int_equal(b.len, 1 + 200 + 5);
	assert_int_equal(b.data[200], '5');
	assert_string_equal(b.data + 201, "|tail");
}

static void test_buf_html_escapes_all_five(void **state)
{
	buf b;
	buf_init(&b, &test_arena);
	const char *s = "<a href=\"x\">Tom & 'Jerry'</a>";
	buf_put_html_escaped(&b, s, strlen(s));
	assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;Tom &amp; "
				    "&#39;Jerry&#39;&lt;/a&gt;");
}

static void test_buf_html_escape_stops_at_n(void **state)
{
	buf b;
	buf_init(&b, &test_arena);
	buf_put_html_escaped(&b, "a&b<c", 3);
	assert_string_equal(b.data, "a&amp;b");
	buf_put_html_escaped(&b, "", 0);
	assert_string_equal(b.data, "a&amp;b");
}

/* ---- id --------------------------------------------------------------- */

static void test_id_next_is_strictly_increasing(void **state)
{
	int64_t prev = id_next();
	for (int i = 0; i < 100000; i++) {
		int64_t id = id_next();
		assert_true(id > prev);
		prev = id;
	}
}

static void test_id_next_encodes_current_time(void **state)
{
	int64_t before = time_now_ms();
	int64_t ms = id_to_ms(id_next());
	int64_t after = time_now_ms();
	/* the sequence may borrow from the future when ids are minted fast */
	assert_true(ms >= before - 1);
	assert_true(ms <= after + 1000);
}

/* Runs last: the node stays set for the rest of the process. */
static void test_id_next_ends_in_the_node(void **state)
{
	enum { NODE = 5, STEP = 1 << ID_NODE_BITS };
	id_set_node(NODE);
	int64_t prev = id_next();
	for (int i = 0; i < 100000; i++) {
		int64_t id = id_next();
		assert_true(id > prev);
		assert_int_equal(id % STEP, NODE);
		prev = id;
	}
	/* another process's id (node 9), read from the database, is passed */
	int64_t theirs = ((id_from_ms(time_now_ms() + 5000)) | 9);
	id_observe(theirs);
	int64_t next = id_next();
	assert_true(next > theirs);
	assert_int_equal(next % STEP, NODE);
	assert_true(next - theirs < STEP);
	/* and one ending below ours, a step on */
	theirs = id_from_ms(time_now_ms() + 10000) | 2;
	id_observe(theirs);
	next = id_next();
	assert_int_equal(next, theirs - 2 + NODE);
}

typedef struct id_batch {
	int64_t ids[TEST_IDS_PER_THREAD];
} id_batch;

static void *mint_ids(void *arg)
{
	id_batch *b = arg;
	for (int i = 0; i < TEST_IDS_PER_THREAD; i++)
		b->ids[i] = id_next();
	return NULL;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void test_id_next_is_strictly_increasing_across_threads(void **state)
{
	id_batch *batches = calloc(TEST_ID_THREADS, sizeof *batches);
	assert_non_null(batches);
	pthread_t th[TEST_ID_THREADS];
	for (int t = 0; t < TEST_ID_THREADS; t++)
		assert_int_equal(
			pthread_create(&th[t], NULL, mint_ids, &batches[t]), 0);
	for (int t = 0; t < TEST_ID_THREADS; t++)
		pthread_join(th[t], NULL);
	/* each thread sees its own ids rise, and no id is handed out twice */
	for (int t = 0; t < TEST_ID_THREADS; t++)
		for (int i = 1; i < TEST_IDS_PER_THREAD; i++)
			assert_true(batches[t].ids[i] > batches[t].ids[i - 1]);
	int64_t *all = (int64_t *)batches;
	size_t n = (size_t)TEST_ID_THREADS * TEST_IDS_PER_THREAD;
	qsort(all, n, sizeof *all, cmp_id);
	for (size_t i = 1; i < n; i++)
		assert_true(all[i] > all[i - 1]);
	free(batches);
}

static void test_id_ms_round_trip(void **state)
{
	assert_int_equal(id_to_ms(id_from_ms(TEST_KNOWN_MS)), TEST_KNOWN_MS);
	assert_int_equal(id_from_ms(1), 1 << ID_SEQUENCE_BITS);
	/* any sequence within a millisecond maps back to that millisecond */
	int64_t id = id_from_ms(TEST_KNOWN_MS) + (1 << ID_SEQUENCE_BITS) - 1;
	assert_int_equal(id_to_ms(id), TEST_KNOWN_MS);
	assert_true(id_from_ms(TEST_KNOWN_MS + 1) > id);
}

static void assert_id_rejected(const char *s)
{
	int64_t out = 12345;
	assert_false(id_parse(s, &out));
	assert_int_equal(out, 12345); /* untouched on failure */
}

static void test_id_parse_rejects_malformed(void **state)
{
	assert_false(id_parse(NULL, &(int64_t){0}));
	assert_id_rejected("");
	assert_id_rejected("0");
	assert_id_rejected("000");
	assert_id_rejected("-1");
	assert_id_rejected("+1");
	assert_id_rejected(" 1");
	assert_id_rejected("12a");
	assert_id_rejected("1.5");
	assert_id_rejected("00000000000000000001"); /* 20 digits */
	assert_id_rejected("9223372036854775808");  /* INT64_MAX + 1 */
	assert_id_rejected("9999999999999999999");
}

static void test_id_parse_accepts_valid(void **state)
{
	int64_t out = 0;
	assert_true(id_parse("1", &out));
	assert_int_equal(out, 1);
	assert_true(id_parse("9223372036854775807", &out));
	assert_true(out == INT64_MAX);
	assert_true(id_parse("0000000000000000042", &out)); /* 19 digits */
	assert_int_equal(out, 42);
	char text[32];
	int64_t id = id_next();
	snprintf(text, sizeof text, "%lld", (long long)id);
	assert_true(id_parse(text, &out));
	assert_true(out == id);
}

/* ---- time ------------------------------------------------------------- */

static void test_time_format_rfc3339_known_instant(void **state)
{
	char out[TIME_RFC3339_LEN];
	time_format_rfc3339(TEST_KNOWN_MS, out);
	assert_string_equal(out, "2019-12-08T03:48:33.901Z");
	assert_int_equal(strlen(out), TIME_RFC3339_LEN - 1);
}

static void test_time_format_rfc3339_pads_milliseconds(void **state)
{
	char out[TIME_RFC3339_LEN];
	time_format_rfc3339((int64_t)TEST_KNOWN_MS_SECS * 1000 + 7, out);
	assert_string_equal(out, "2019-12-08T03:48:33.007Z");
	time_format_rfc3339(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
}

static void test_time_format_date(void **state)
{
	char out[11];
	time_format_date(TEST_KNOWN_MS, out);
	assert_string_equal(out, "2019-12-08");
	time_format_date(0, out);
	assert_string_equal(out, "1970-01-01");
}

static void test_time_now_ms_is_wall_clock(void **state)
{
	int64_t ms = time_now_ms();
	assert_true(ms > TEST_KNOWN_MS); /* after 2019 */
	int64_t a = time_mono_ns();
	int64_t b = time_mono_ns();
	assert_true(b >= a);
}

/* ---- config ----------------------------------------------------------- */

static int config_setup(void **state)
{
	config_defaults();
	return 0;
}

static void test_config_defaults(void **state)
{
	assert_int_equal(cfg.port, 3000);
	assert_int_equal(cfg.max_characters, 500);
	assert_string_equal(cfg.bind, "127.0.0.1");
	assert_string_equal(cfg.base_url, "");
	assert_true(cfg.registrations_open);
	assert_int_equal(cfg.max_body_bytes, 1048576);
}

static void test_config_set_changes_value(void **state)
{
	assert_int_equal(config_set("statuses.max_characters", "600"), 0);
	assert_int_equal(cfg.max_characters, 600);
	assert_int_equal(config_set("instance.title", "My place"), 0);
	assert_string_equal(cfg.title, "My place");
	assert_int_equal(config_set("instance.registrations_open", "off"), 0);
	assert_false(cfg.registrations_open);
}

static void test_config_set_rejects_unknown_key(void **state)
{
	assert_int_equal(config_set("statuses.max_chars", "600"), -1);
	assert_int_equal(config_set("nosuch.port", "1"), -1);
	assert_int_equal(config_set("max_characters", "600"), -1);
	assert_int_equal(cfg.max_characters, 500);
}

static void test_config_set_rejects_malformed_values(void **state)
{
	assert_int_equal(config_set("server.port", "80a"), -1);
	assert_int_equal(config_set("server.port", ""), -1);
	assert_int_equal(config_set("server.port", "-1"), -1);
	assert_int_equal(config_set("server.port", "99999999999"), -1);
	assert_int_equal(config_set("server.access_log", "maybe"), -1);
	assert_int_equal(cfg.port, 3000);
	assert_true(cfg.access_log);
}

static char *write_temp_file(const char *content)
{
	char *path = strdup("/tmp/chorus-test-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(content);
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	close(fd);
	return path;
}

static void test_config_load_reads_ini_file(void **state)
{
	char *path = write_temp_file("[server]\n"
				     "port = 4000\n"
				     "base_url = https://social.example\n"
				     "\n"
				     "[statuses]\n"
				     "max_characters = 1000\n");
	assert_int_equal(config_load(path), 0);
	assert_int_equal(cfg.port, 4000);
	assert_string_equal(cfg.base_url, "https://social.example");
	assert_int_equal(cfg.max_characters, 1000);
	assert_int_equal(cfg.max_pinned, 5); /* untouched keys keep defaults */
	unlink(path);
	free(path);
}

static void test_config_load_rejects_unknown_key_and_missing_file(void **state)
{
	char *path = write_temp_file("[server]\nprot = 4000\n");
	assert_int_equal(config_load(path), -1);
	unlink(path);
	free(path);
	assert_int_equal(config_load("/nonexistent/chorus.ini"), -1);
}

static void test_config_finish_derives_base_url_and_domain(void **state)
{
	config_finish();
	assert_string_equal(cfg.base_url, "http://127.0.0.1:3000");
	assert_string_equal(cfg.domain, "127.0.0.1:3000");
	assert_true(cfg.threads > 0);
}

static void test_config_finish_maps_wildcard_bind_to_loopback(void **state)
{
	assert_int_equal(config_set("server.bind", "0.0.0.0"), 0);
	assert_int_equal(config_set("server.port", "8080"), 0);
	config_finish();
	assert_string_equal(cfg.base_url, "http://127.0.0.1:8080");
	assert_string_equal(cfg.domain, "127.0.0.1:8080");
}

static void test_config_finish_strips_trailing_slash(void **state)
{
	assert_int_equal(
		config_set("server.base_url", "https://social.example/"), 0);
	config_finish();
	assert_string_equal(cfg.base_url, "https://social.example");
	assert_string_equal(cfg.domain, "social.example");
}

/* ---- cache ---- */

enum { CACHE_TEST_BUDGET = 64 }; /* bytes per test cache */

static int cache_setup(void **state)
{
	(void)state;
	cache_init(16, CACHE_TEST_BUDGET, 16, CACHE_TEST_BUDGET, 16,
		   CACHE_TEST_BUDGET);
	return 0;
}

static int cache_teardown(void **state)
{
	(void)state;
	cache_shutdown();
	return 0;
}

static int cache_setup_arena(void **state)
{
	cache_setup(state);
	return test_setup(state);
}

static int cache_teardown_arena(void **state)
{
	cache_teardown(state);
	return test_teardown(state);
}

static void test_cache_returns_what_was_put(void **state)
{
	arena *a = &test_arena;
	(void)state;
	size_t len = 0;
	cache_request_begin();
	cache_put(cache_statuses, 42, "{\"id\":1}", 8);
	const char *got = cache_get(cache_statuses, 42, a, &len);
	assert_non_null(got);
	assert_int_equal(len, 8);
	assert_string_equal(got, "{\"id\":1}");
	assert_null(cache_get(cache_statuses, 43, a, &len));
	assert_null(cache_get(cache_accounts, 42, a, &len));
}

static void test_cache_invalidate_drops_the_entry(void **state)
{
	arena *a = &test_arena;
	(void)state;
	size_t len;
	cache_request_begin();
	cache_put(cache_accounts, 7, "old", 3);
	cache_invalidate(cache_accounts, 7);
	assert_null(cache_get(cache_accounts, 7, a, &len));
}

static void test_cache_put_read_before_an_invalidation_is_refused(void **state)
{
	arena *a = &test_arena;
	(void)state;
	size_t len;
	/* a reader starts, a writer commits and invalidates, then the reader
	 * tries to store what it read before the commit */
	cache_request_begin();
	cache_invalidate(cache_statuses, 9);
	cache_put(cache_statuses, 9, "stale", 5);
	assert_null(cache_get(cache_statuses, 9, a, &len));
	/* a reader that began after the invalidation may store */
	cache_request_begin();
	cache_put(cache_statuses, 9, "fresh", 5);
	assert_string_equal(cache_get(cache_statuses, 9, a, &len), "fresh");
}

static void test_cache_clear_drops_everything(void **state)
{
	arena *a = &test_arena;
	(void)state;
	size_t len;
	cache_request_begin();
	for (int64_t k = 1; k <= 8; k++)
		cache_put(cache_statuses, k, "x", 1);
	cache_clear(cache_statuses);
	for (int64_t k = 1; k <= 8; k++)
		assert_null(cache_get(cache_statuses, k, a, &len));
}

static void test_cache_stays_within_its_byte_budget(void **state)
{
	arena *a = &test_arena;
	(void)state;
	size_t len;
	char big[CACHE_TEST_BUDGET / 2 + 1];
	memset(big, 'b', sizeof big);
	cache_request_begin();
	/* each entry fits, but no two do: the newest stays, the rest go */
	for (int64_t k = 1; k <= 8; k++) {
		cache_put(cache_statuses, k, big, sizeof big);
		assert_true(cache_bytes(cache_statuses) <= CACHE_TEST_BUDGET);
	}
	size_t kept = 0;
	for (int64_t k = 1; k <= 8; k++)
		kept += cache_get(cache_statuses, k, a, &len) != NULL;
	assert_true(kept <= 1);
	/* an entry larger than the whole budget is not cached at all */
	char huge[CACHE_TEST_BUDGET + 1];
	memset(huge, 'h', sizeof huge);
	cache_put(cache_accounts, 1, huge, sizeof huge);
	assert_null(cache_get(cache_accounts, 1, a, &len));
	assert_int_equal(cache_bytes(cache_accounts), 0);
}

static void test_cache_bytes_follow_invalidations(void **state)
{
	(void)state;
	cache_request_begin();
	cache_put(cache_statuses, 1, "abcd", 4);
	cache_put(cache_statuses, 1, "ab", 2); /* replaced: 2 bytes held */
	assert_int_equal(cache_bytes(cache_statuses), 2);
	cache_invalidate(cache_statuses, 1);
	assert_int_equal(cache_bytes(cache_statuses), 0);
	cache_put(cache_statuses, 2, "xyz", 3);
	cache_clear(cache_statuses);
	assert_int_equal(cache_bytes(cache_statuses), 0);
}

static void test_cache_disabled_is_a_no_op(void **state)
{
	arena *a = &test_arena;
	(void)state;
	size_t len;
	cache_shutdown();
	cache_init(0, CACHE_TEST_BUDGET, 16, 0, 0, 0);
	cache_request_begin();
	cache_put(cache_statuses, 1, "x", 1);
	cache_put(cache_accounts, 1, "x", 1);
	assert_null(cache_get(cache_statuses, 1, a, &len));
	assert_null(cache_get(cache_accounts, 1, a, &len));
	cache_invalidate(cache_statuses, 1);
	cache_clear(cache_accounts);
	assert_int_equal(cache_bytes(cache_accounts), 0);
}

/* ---- home feeds ---- */

static int feeds_setup(void **state)
{
	feeds_init(2, 5); /* one set of two feeds, five ids each */
	cache_request_begin();
	return feeds_home ? 0 : -1;
}

static int feeds_teardown(void **state)
{
	feeds_shutdown();
	return 0;
}

#define FEED_IDS(...)                                                          \
	(const int64_t[])                                                      \
	{                                                                      \
		__VA_ARGS__                                                    \
	}
#define FEED_N(...) (sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define ASSERT_FEED(answer, got, n, ...)                                       \
	do {                                                                   \
		assert_int_equal(answer, FEEDS_HIT);                           \
		assert_int_equal(n, FEED_N(__VA_ARGS__));                      \
		assert_memory_equal(got, FEED_IDS(__VA_ARGS__),                \
				    (n) * sizeof(int64_t));                    \
	} while (0)

static void test_feeds_page_newest_first_within_bounds(void **state)
{
	int64_t out[8];
	size_t n;
	assert_true(
		feeds_put(feeds_home, 1, FEED_IDS(50, 40, 30, 20), 4, true));
	feeds_answer a =
		feeds_page(feeds_home, 1, 0, INT64_MAX, false, 2, out, &n);
	ASSERT_FEED(a, out, n, 50, 40);
	a = feeds_page(feeds_home, 1, 0, 40, false, 8, out, &n);
	ASSERT_FEED(a, out, n, 30, 20);
	a = feeds_page(feeds_home, 1, 25, INT64_MAX, false, 8, out, &n);
	ASSERT_FEED(a, out, n, 50, 40, 30);
	/* asc (min_id): the oldest above lo, still newest first */
	a = feeds_page(feeds_home, 1, 20, INT64_MAX, true, 2, out, &n);
	ASSERT_FEED(a, out, n, 40, 30);
	assert_int_equal(
		feeds_page(feeds_home, 2, 0, INT64_MAX, false, 2, out, &n),
		FEEDS_ABSENT);
}

static void test_feeds_incomplete_feed_sends_older_pages_away(void **state)
{
	int64_t out[8];
	size_t n;
	assert_true(feeds_put(feeds_home, 1, FEED_IDS(50, 40, 30), 3, false));
	/* a full page inside the feed is exact ... */
	feeds_answer a =
		feeds_page(feeds_home, 1, 0, INT64_MAX, false, 3, out, &n);
	ASSERT_FEED(a, out, n, 50, 40, 30);
	/* ... one that runs past its oldest id is not */
	assert_int_equal(feeds_page(feeds_home, 1, 0, 40, false, 3, out, &n),
			 FEEDS_OUTSIDE);
	/* nor is min_id below the oldest id, unless bounded inside */
	assert_int_equal(
		feeds_page(feeds_home, 1, 10, INT64_MAX, true, 2, out, &n),
		FEEDS_OUTSIDE);
	a = feeds_page(feeds_home, 1, 30, INT64_MAX, true, 5, out, &n);
	ASSERT_FEED(a, out, n, 50, 40);
	a = feeds_page(feeds_home, 1, 30, 50, false, 5, out, &n);
	ASSERT_FEED(a, out, n, 40);
}

static void test_feeds_push_keeps_order_and_length(void **state)
{
	int64_t out[8];
	size_t n;
	assert_true(feeds_put(feeds_home, 1, FEED_IDS(50, 30), 2, true));
	feeds_push(feeds_home, 1, 60);
	feeds_push(feeds_home, 1, 40);
	feeds_push(feeds_home, 1, 40); /* twice: listed once */
	feeds_push(feeds_home, 1, 10); /* older, but the feed is complete */
	feeds_answer a =
		feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n);
	ASSERT_FEED(a, out, n, 60, 50, 40, 30, 10);
	feeds_push(feeds_home, 1, 70); /* full: the oldest falls off */
	a = feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n);
	assert_int_equal(a, FEEDS_OUTSIDE); /* 10 is gone, so not complete */
	a = feeds_page(feeds_home, 1, 0, INT64_MAX, false, 5, out, &n);
	ASSERT_FEED(a, out, n, 70, 60, 50, 40, 30);
	feeds_push(feeds_home, 1, 5); /* older than an incomplete feed */
	a = feeds_page(feeds_home, 1, 0, 30, false, 1, out, &n);
	assert_int_equal(a, FEEDS_OUTSIDE);
}

static void test_feeds_put_read_before_a_push_is_refused(void **state)
{
	int64_t out[8];
	size_t n;
	/* a writer commits and pushes after this reader's snapshot began:
	 * the reader's list lacks the new id and must not be installed */
	feeds_push(feeds_home, 1, 99);
	assert_false(feeds_put(feeds_home, 1, FEED_IDS(50), 1, true));
	assert_int_equal(
		feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n),
		FEEDS_ABSENT);
	cache_request_begin(); /* the next request reads after the push */
	assert_true(feeds_put(feeds_home, 1, FEED_IDS(99, 50), 2, true));
	feeds_drop(feeds_home, 1);
	assert_int_equal(
		feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n),
		FEEDS_ABSENT);
}

/* A status for more homes than the feeds hold is pushed to the held
 * feeds the writer asked about and found in its audience; a held feed it
 * did not ask about was filled since (it may lack the status) and goes;
 * one asked about and not in the audience stays as it was. */
static void test_feeds_push_asked_reaches_only_the_asked(void **state)
{
	int64_t out[8];
	size_t n;
	assert_int_equal(feeds_capacity(feeds_home), 2);
	assert_true(feeds_put(feeds_home, 1, FEED_IDS(50), 1, true));
	assert_true(feeds_put(feeds_home, 2, FEED_IDS(40), 1, true));
	int64_t asked[4];
	assert_int_equal(feeds_owners(feeds_home, asked, 4), 2);
	assert_memory_equal(asked, FEED_IDS(1, 2), 2 * sizeof(int64_t));

	/* owner 2 is asked about and not in the audience; 1 is in it */
	feeds_push_asked_at(feeds_home, 99, asked, 2, FEED_IDS(1), 1, 0);
	feeds_answer a =
		feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n);
	ASSERT_FEED(a, out, n, 99, 50);
	a = feeds_page(feeds_home, 2, 0, INT64_MAX, false, 8, out, &n);
	ASSERT_FEED(a, out, n, 40);
	/* a fill read before the push is refused, as after any push */
	assert_false(feeds_put(feeds_home, 3, FEED_IDS(30), 1, true));

	/* owner 2 was not asked about (filled after the question) */
	feeds_push_asked_at(feeds_home, 100, FEED_IDS(1), 1, FEED_IDS(1), 1, 0);
	a = feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n);
	ASSERT_FEED(a, out, n, 100, 99, 50);
	assert_int_equal(
		feeds_page(feeds_home, 2, 0, INT64_MAX, false, 8, out, &n),
		FEEDS_ABSENT);
}

static void
test_feeds_push_landing_after_a_later_unfollow_is_not_listed(void **state)
{
	int64_t out[8];
	size_t n;
	/* a post commits (epoch e1) and is to be pushed to owner 1's feed;
	 * before that push lands, owner 1 unfollows the author (commit e2),
	 * the drop lands and a read refills the feed without the post */
	uint64_t post_committed = cache_epoch_next();
	uint64_t unfollow_committed = cache_epoch_next();
	feeds_drop_at(feeds_home, 1, unfollow_committed);
	cache_request_begin();
	assert_true(feeds_put(feeds_home, 1, FEED_IDS(50), 1, true));
	/* the late push must not put the unfollowed author's post back */
	feeds_push_at(feeds_home, 1, 99, post_committed);
	assert_int_not_equal(
		feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n),
		FEEDS_HIT);
	/* a post committed after the unfollow is pushed as usual */
	cache_request_begin();
	assert_true(feeds_put(feeds_home, 1, FEED_IDS(50), 1, true));
	feeds_push_at(feeds_home, 1, 120, cache_epoch_next());
	assert_int_equal(
		feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n),
		FEEDS_HIT);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 120);
}

static void test_feeds_third_owner_evicts_least_recently_read(void **state)
{
	int64_t out[8];
	size_t n;
	assert_true(feeds_put(feeds_home, 1, FEED_IDS(10), 1, true));
	assert_true(feeds_put(feeds_home, 2, FEED_IDS(20), 1, true));
	feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n);
	assert_true(feeds_put(feeds_home, 3, FEED_IDS(30), 1, true));
	assert_int_equal(
		feeds_page(feeds_home, 2, 0, INT64_MAX, false, 8, out, &n),
		FEEDS_ABSENT);
	feeds_answer a =
		feeds_page(feeds_home, 1, 0, INT64_MAX, false, 8, out, &n);
	ASSERT_FEED(a, out, n, 10);
	a = feeds_page(feeds_home, 3, 0, INT64_MAX, false, 8, out, &n);
	ASSERT_FEED(a, out, n, 30);
	feeds_clear(feeds_home);
	assert_int_equal(
		feeds_page(feeds_home, 3, 0, INT64_MAX, false, 8, out, &n),
		FEEDS_ABSENT);
}

/* ---- replies: whole answers kept until the data changes ---- */

enum { REPLIES_TEST_SLOTS = 8, REPLIES_TEST_BUDGET = 4096 };

static int replies_setup(void **state)
{
	replies_init(REPLIES_TEST_SLOTS, REPLIES_TEST_BUDGET, 30);
	return test_setup(state);
}

static int replies_teardown(void **state)
{
	replies_shutdown();
	return test_teardown(state);
}

/* A request's stamps, as the guards take them: replies, then the
 * snapshot's cache epoch. */
static void replies_request(void)
{
	replies_begin();
	cache_request_begin();
}

static void replies_keep(const char *key, const char *body)
{
	static const char *const link[] = {"Link", "<next>; rel=\"next\""};
	kept_reply k = {.status = 200,
			.type = "application/json",
			.body = body,
			.len = strlen(body),
			.alt = "GZ",
			.altlen = 2,
			.headers = link,
			.nheaders = 1};
	replies_put(key, &k);
}

static void test_replies_serve_what_was_kept_with_its_headers(void **state)
{
	(void)state;
	kept_reply k;
	replies_request();
	replies_keep("api /a", "[1,2]");
	replies_request();
	assert_true(replies_get("api /a", &test_arena, false, &k));
	assert_int_equal(k.status, 200);
	assert_string_equal(k.type, "application/json");
	assert_int_equal(k.len, 5);
	assert_string_equal(k.body, "[1,2]");
	assert_null(k.alt);
	assert_int_equal(k.nheaders, 1);
	assert_string_equal(k.headers[0], "Link");
	assert_string_equal(k.headers[1], "<next>; rel=\"next\"");
	/* the other encoding, when asked for */
	assert_true(replies_get("api /a", &test_arena, true, &k));
	assert_null(k.body);
	assert_string_equal(k.alt, "GZ");
	assert_false(replies_get("api /b", &test_arena, false, &k));
	assert_false(replies_get(NULL, &test_arena, false, &k));
}

static void test_replies_end_when_a_cache_epoch_or_event_moves(void **state)
{
	(void)state;
	kept_reply k;
	replies_request();
	replies_keep("api /a", "old");
	/* a cached rendering invalidated since (an edit, a favourite) */
	cache_epoch_next();
	replies_request();
	assert_false(replies_get("api /a", &test_arena, false, &k));
	replies_keep("api /a", "new");
	replies_request();
	assert_true(replies_get("api /a", &test_arena, false, &k));
	/* an event published since (a post, a deletion) */
	replies_changed();
	replies_request();
	assert_false(replies_get("api /a", &test_arena, false, &k));
}

static void test_replies_read_before_a_change_are_not_kept_past_it(void **state)
{
	(void)state;
	kept_reply k;
	/* a reader stamps, a writer commits and publishes, then the reader
	 * keeps what it read before: the next request must not get it */
	replies_request();
	replies_changed();
	replies_keep("api /a", "stale");
	replies_request();
	assert_false(replies_get("api /a", &test_arena, false, &k));
}

static void test_replies_expire_after_their_age(void **state)
{
	(void)state;
	kept_reply k;
	replies_shutdown();
	replies_init(REPLIES_TEST_SLOTS, REPLIES_TEST_BUDGET, 0);
	replies_request();
	replies_keep("api /a", "now");
	assert_false(replies_get("api /a", &test_arena, false, &k));
}

static void test_replies_stay_within_their_budget(void **state)
{
	(void)state;
	kept_reply k;
	char big[REPLIES_TEST_BUDGET / 8 + 1];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	replies_request();
	/* over an eighth of the budget: never kept */
	replies_keep("api /big", big);
	assert_false(replies_get("api /big", &test_arena, false, &k));
	/* many just under it: more than the budget holds, though each
	 * has a slot of its own at first; older ones go, the newest stays */
	big[REPLIES_TEST_BUDGET / 8 - 2] = '\0';
	char key[32];
	for (int i = 0; i < 4 * REPLIES_TEST_SLOTS; i++) {
		snprintf(key, sizeof key, "api /%d", i);
		replies_keep(key, big);
	}
	int held = 0;
	for (int i = 0; i < 4 * REPLIES_TEST_SLOTS; i++) {
		snprintf(key, sizeof key, "api /%d", i);
		held += replies_get(key, &test_arena, false, &k);
	}
	assert_true(held > 0 && held < REPLIES_TEST_SLOTS);
	assert_true(replies_get(key, &test_arena, false, &k));
}

static void test_log_escape_turns_control_bytes_into_escapes(void **state)
{
	char out[128];
	/* a forged access-log line: a newline and a fake entry */
	log_escape("/tag/x\n2026 info POST\r\x1b[2J\x7f\\", out, sizeof out);
	assert_string_equal(out, "/tag/x\\x0a2026 info POST\\x0d\\x1b[2J"
				 "\\x7f\\\\");
	assert_null(strchr(out, '\n'));
}

static void test_log_escape_keeps_utf8_and_cuts_at_a_whole_escape(void **state)
{
	char out[8];
	log_escape("caf\xc3\xa9", out, sizeof out);
	assert_string_equal(out, "caf\xc3\xa9");
	/* "ab" + "\x0a" needs 6 bytes + NUL: fits; a second escape does not */
	assert_int_equal(log_escape("ab\n\n", out, sizeof out), 6);
	assert_string_equal(out, "ab\\x0a");
}

static void test_time_parse_iso8601_accepts_what_clients_send(void **state)
{
	int64_t ms = 0;
	const int64_t known = (int64_t)TEST_KNOWN_MS_SECS * 1000;
	assert_true(time_parse_iso8601("2019-12-08T03:48:33Z", &ms));
	assert_int_equal(ms, known);
	assert_true(time_parse_iso8601("2019-12-08T03:48:33.901Z", &ms));
	assert_int_equal(ms, known + 901);
	assert_true(time_parse_iso8601("2019-12-08T04:48:33+01:00", &ms));
	assert_int_equal(ms, known);
	assert_true(time_parse_iso8601("2019-12-07T22:48:33-0500", &ms));
	assert_int_equal(ms, known);
	assert_true(time_parse_iso8601("2019-12-08T03:48:33", &ms));
	assert_int_equal(ms, known);
	assert_true(time_parse_iso8601("2019-12-08", &ms));
	assert_int_equal(ms, known - (3 * 3600 + 48 * 60 + 33) * 1000);
}

static void test_time_parse_iso8601_rejects_the_rest(void **state)
{
	int64_t ms = 0;
	static const char *const bad[] = {
		"",
		"tomorrow",
		"2019-12-08T03:48:33Zjunk",
		"12345",
		"2019-13-08T00:00Z",
		"2019-12-08T25:00Z",
		"2019-12-08T03:48:33+1",
		"2019-12-08T03:48:33+24:00",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_false(time_parse_iso8601(bad[i], &ms));
}

int main(void)
{
#define CORE_TEST(f)                                                           \
	cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
#define CONFIG_TEST(f) cmocka_unit_test_setup_teardown(f, config_setup, NULL)
#define CACHE_TEST(f)                                                          \
	cmocka_unit_test_setup_teardown(f, cache_setup_arena,                  \
					cache_teardown_arena)
#define FEEDS_TEST(f)                                                          \
	cmocka_unit_test_setup_teardown(f, feeds_setup, feeds_teardown)
#define REPLIES_TEST(f)                                                        \
	cmocka_unit_test_setup_teardown(f, replies_setup, replies_teardown)
	const struct CMUnitTest tests[] = {
		CORE_TEST(test_arena_alloc_is_aligned_for_any_size),
		CORE_TEST(test_arena_alloc_returns_zeroed_distinct_memory),
		CORE_TEST(test_arena_allocation_larger_than_a_block_works),
		CORE_TEST(test_arena_realloc_of_a_large_block_keeps_its_bytes),
		CORE_TEST(test_arena_realloc_of_a_shared_block_copies),
		CORE_TEST(test_arena_many_small_allocations_span_blocks),
		CORE_TEST(test_arena_strdup_and_strndup_copy),
		CORE_TEST(test_arena_printf_formats_long_output),
		CORE_TEST(test_arena_release_allows_reuse),
		CORE_TEST(test_buf_starts_empty_and_terminated),
		CORE_TEST(test_buf_grows_and_keeps_content),
		CORE_TEST(test_buf_append_keeps_embedded_nul),
		CORE_TEST(test_buf_put_int_writes_what_printf_writes),
		CORE_TEST(test_buf_printf_appends_past_capacity),
		CORE_TEST(test_buf_html_escapes_all_five),
		CORE_TEST(test_buf_html_escape_stops_at_n),
		CORE_TEST(test_id_next_is_strictly_increasing),
		CORE_TEST(test_id_next_encodes_current_time),
		CORE_TEST(test_id_next_is_strictly_increasing_across_threads),
		CORE_TEST(test_id_ms_round_trip),
		CORE_TEST(test_id_parse_rejects_malformed),
		CORE_TEST(test_id_parse_accepts_valid),
		CORE_TEST(test_time_format_rfc3339_known_instant),
		CORE_TEST(test_time_format_rfc3339_pads_milliseconds),
		CORE_TEST(test_time_format_date),
		CORE_TEST(test_time_now_ms_is_wall_clock),
		CORE_TEST(test_time_parse_iso8601_accepts_what_clients_send),
		CORE_TEST(test_time_parse_iso8601_rejects_the_rest),
		CORE_TEST(test_log_escape_turns_control_bytes_into_escapes),
		CORE_TEST(
			test_log_escape_keeps_utf8_and_cuts_at_a_whole_escape),
		CONFIG_TEST(test_config_defaults),
		CONFIG_TEST(test_config_set_changes_value),
		CONFIG_TEST(test_config_set_rejects_unknown_key),
		CONFIG_TEST(test_config_set_rejects_malformed_values),
		CONFIG_TEST(test_config_load_reads_ini_file),
		CONFIG_TEST(
			test_config_load_rejects_unknown_key_and_missing_file),
		CONFIG_TEST(test_config_finish_derives_base_url_and_domain),
		CONFIG_TEST(test_config_finish_maps_wildcard_bind_to_loopback),
		CONFIG_TEST(test_config_finish_strips_trailing_slash),
		CACHE_TEST(test_cache_returns_what_was_put),
		CACHE_TEST(test_cache_invalidate_drops_the_entry),
		CACHE_TEST(
			test_cache_put_read_before_an_invalidation_is_refused),
		CACHE_TEST(test_cache_clear_drops_everything),
		CACHE_TEST(test_cache_stays_within_its_byte_budget),
		CACHE_TEST(test_cache_bytes_follow_invalidations),
		CACHE_TEST(test_cache_disabled_is_a_no_op),
		FEEDS_TEST(test_feeds_page_newest_first_within_bounds),
		FEEDS_TEST(test_feeds_incomplete_feed_sends_older_pages_away),
		FEEDS_TEST(test_feeds_push_keeps_order_and_length),
		FEEDS_TEST(test_feeds_put_read_before_a_push_is_refused),
		FEEDS_TEST(test_feeds_push_asked_reaches_only_the_asked),
		FEEDS_TEST(
			test_feeds_push_landing_after_a_later_unfollow_is_not_listed),
		FEEDS_TEST(test_feeds_third_owner_evicts_least_recently_read),
		REPLIES_TEST(test_replies_serve_what_was_kept_with_its_headers),
		REPLIES_TEST(
			test_replies_end_when_a_cache_epoch_or_event_moves),
		REPLIES_TEST(
			test_replies_read_before_a_change_are_not_kept_past_it),
		REPLIES_TEST(test_replies_expire_after_their_age),
		REPLIES_TEST(test_replies_stay_within_their_budget),
		/* last: it gives the process a node number */
		CORE_TEST(test_id_next_ends_in_the_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
