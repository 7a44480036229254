/* test_fed_keys.c — the keys federation signs with (fed/keys.c): a pair
 * signs and verifies, nothing else verifies, a malformed signature or
 * key is refused rather than crashing, and an actor's pair is made once
 * however many threads ask for it first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "store_fixture.h"

#include "core/log.h"
#include "fed/fed.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

static int setup(void **state)
{
	(void)state;
	return store_fixture_open("fed_keys");
}

static const char message[] = "(request-target): post /users/bob/inbox\n"
			      "host: example.org\n"
			      "date: Sun, 06 Dec 2026 10:00:00 GMT";

static void test_a_signature_verifies_with_its_key_only(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	store_key_pair k1, k2;
	assert_true(fed_key_generate(&a, &k1));
	assert_true(fed_key_generate(&a, &k2));
	assert_non_null(strstr(k1.public_pem, "BEGIN PUBLIC KEY"));
	assert_non_null(strstr(k1.private_pem, "BEGIN PRIVATE KEY"));
	assert_string_not_equal(k1.public_pem, k2.public_pem);
	const char *sig =
		fed_sign(&a, k1.private_pem, message, strlen(message));
	assert_non_null(sig);
	assert_int_equal(strlen(sig), 344); /* 256 bytes in base64 */
	assert_true(fed_verify(k1.public_pem, message, strlen(message), sig));
	/* another key, another text, a changed signature: refused */
	assert_false(fed_verify(k2.public_pem, message, strlen(message), sig));
	assert_false(
		fed_verify(k1.public_pem, message, strlen(message) - 1, sig));
	char *bent = arena_strdup(&a, sig);
	bent[10] = bent[10] == 'A' ? 'B' : 'A';
	assert_false(fed_verify(k1.public_pem, message, strlen(message), bent));
	arena_release(&a);
}

/* The PEM text of key (its private form when private), copied into a. */
static const char *pem_of(arena *a, EVP_PKEY *key, bool private)
{
	BIO *bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(private ? PEM_write_bio_PrivateKey(bio, key, NULL,
							    NULL, 0, NULL, NULL)
				 : PEM_write_bio_PUBKEY(bio, key),
			 1);
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	const char *pem = arena_strndup(a, data, (size_t)n);
	BIO_free(bio);
	return pem;
}

/* A key is read from its PEM text once, then kept: the senders of a
 * flood of deliveries, verified in turn, are each parsed once (a
 * direct-mapped table had two of them take each other's slot, and
 * parse again at every turn). */
static void test_each_key_is_parsed_once_while_in_use(void **state)
{
	(void)state;
	enum { KEYS = 24, ROUNDS = 3 };
	arena a;
	arena_init(&a);
	const char *pub[KEYS], *sig[KEYS];
	for (int i = 0; i < KEYS; i++) {
		EVP_PKEY *key = EVP_RSA_gen(512); /* quick to make */
		assert_non_null(key);
		pub[i] = pem_of(&a, key, false);
		sig[i] = fed_sign(&a, pem_of(&a, key, true), message,
				  strlen(message));
		assert_non_null(sig[i]);
		EVP_PKEY_free(key);
	}
	uint64_t before = fed_key_parses();
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < KEYS; i++)
			assert_true(fed_verify(pub[i], message, strlen(message),
					       sig[i]));
	assert_int_equal(fed_key_parses() - before, KEYS);
	arena_release(&a);
}

static void test_malformed_signatures_and_keys_are_refused(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	store_key_pair k;
	assert_true(fed_key_generate(&a, &k));
	const char *sig = fed_sign(&a, k.private_pem, message, strlen(message));
	static const char *const bad_sigs[] = {
		"",
		"A",
		"!!!!",
		"AAAA",
		"====",
		/* longer than any signature of a 2048-bit key */
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB",
	};
	for (size_t i = 0; i < sizeof bad_sigs / sizeof *bad_sigs; i++)
		assert_false(fed_verify(k.public_pem, message, strlen(message),
					bad_sigs[i]));
	/* a key that is not one, or the private half where the public
	 * belongs */
	assert_false(fed_verify("-----BEGIN PUBLIC KEY-----\nnope\n"
				"-----END PUBLIC KEY-----\n",
				message, strlen(message), sig));
	assert_false(fed_verify("", message, strlen(message), sig));
	assert_null(fed_sign(&a, "not a key", message, strlen(message)));
	assert_null(fed_sign(&a, k.public_pem, message, strlen(message)));
	arena_release(&a);
}

static void test_an_actor_keeps_the_key_it_was_given_first(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	int64_t alice = fixture_account("alice");
	store_key_pair none;
	assert_false(store_actor_key(&a, alice, &none));
	store_key_pair first, again, instance;
	assert_true(fed_actor_key(&a, alice, &first));
	assert_true(fed_actor_key(&a, alice, &again));
	assert_string_equal(first.public_pem, again.public_pem);
	assert_string_equal(first.private_pem, again.private_pem);
	/* a second pair offered later is not kept */
	store_key_pair other;
	assert_true(fed_key_generate(&a, &other));
	assert_int_equal(store_actor_key_add(alice, &other), 0);
	assert_true(store_actor_key(&a, alice, &again));
	assert_string_equal(first.public_pem, again.public_pem);
	/* the instance actor's is its own */
	assert_true(fed_actor_key(&a, 0, &instance));
	assert_string_not_equal(instance.public_pem, first.public_pem);
	/* an account that is gone gets none */
	assert_int_equal(store_actor_key_add(alice + 1, &other), 0);
	assert_false(store_actor_key(&a, alice + 1, &none));
	/* and an account's goes with it */
	assert_int_equal(store_account_delete(alice), 0);
	assert_false(store_actor_key(&a, alice, &none));
	arena_release(&a);
}

enum { RACERS = 6 };

typedef struct racer {
	pthread_barrier_t *start;
	int64_t account;
	char pem[1024];
	bool ok;
} racer;

static void *race_first_key(void *p)
{
	racer *r = p;
	arena a;
	arena_init(&a);
	store_key_pair k;
	pthread_barrier_wait(r->start);
	r->ok = fed_actor_key(&a, r->account, &k) &&
		strlen(k.public_pem) < sizeof r->pem;
	if (r->ok)
		strcpy(r->pem, k.public_pem);
	arena_release(&a);
	store_thread_close();
	return NULL;
}

/* More threads than cores, all asking for a key no one has made yet:
 * each makes one, the database keeps one, and every thread answers the
 * one kept. */
static void test_threads_asking_first_all_get_the_one_key_kept(void **state)
{
	(void)state;
	int64_t bob = fixture_account("bob");
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, RACERS);
	racer r[RACERS];
	pthread_t t[RACERS];
	for (int i = 0; i < RACERS; i++) {
		r[i] = (racer){.start = &start, .account = bob};
		assert_int_equal(
			pthread_create(&t[i], NULL, race_first_key, &r[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	arena a;
	arena_init(&a);
	store_key_pair kept;
	assert_true(store_actor_key(&a, bob, &kept));
	for (int i = 0; i < RACERS; i++) {
		assert_true(r[i].ok);
		assert_string_equal(r[i].pem, kept.public_pem);
	}
	arena_release(&a);
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_signature_verifies_with_its_key_only),
		cmocka_unit_test(test_each_key_is_parsed_once_while_in_use),
		cmocka_unit_test(
			test_malformed_signatures_and_keys_are_refused),
		cmocka_unit_test_setup_teardown(
			test_an_actor_keeps_the_key_it_was_given_first, setup,
			store_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_threads_asking_first_all_get_the_one_key_kept,
			setup, store_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
