/* keys.c — the RSA keys ActivityPub actors sign with, and the signature
 * arithmetic: RSASSA-PKCS1-v1_5 over SHA-256, which is what Mastodon,
 * GoToSocial and the rest send and accept (draft-cavage's rsa-sha256 and
 * RFC 9421's rsa-v1_5-sha256 alike).
 *
 * A pair is made the first time its actor needs one (its document is
 * fetched, or it sends), not at sign-up: making an RSA-2048 key costs
 * about 100 ms of CPU here, which would make every sign-up (and every
 * account the tests and the benchmark data make) that much slower, and
 * a sign-up flood that much cheaper to mount; most accounts of a
 * community never federate. */
#include "fed/fed.h"

#include "core/config.h"
#include "core/log.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { RSA_BITS = 2048 };

/* Keys parsed, by their PEM text. Reading a PEM key costs about 300 us
 * here, a verification 20: every delivery and signed fetch would parse
 * its sender's key again, and every delivery sent its signer's. Set
 * associative, KEY_WAYS keys a set, the one used longest ago making
 * room: direct-mapped, 100 senders already shared slots (one in six
 * keys, each parsed again at every use in turn: 12 % of the CPU of a
 * flood of deliveries). */
enum { KEY_SETS = 256, KEY_WAYS = 4 };
static struct {
	uint64_t hash, used; /* used: the table's clock at its last use */
	char *pem;
	EVP_PKEY *key;
} parsed[KEY_SETS][KEY_WAYS];
static uint64_t parsed_clock, parses;
static pthread_mutex_t parsed_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t fed_key_parses(void)
{
	pthread_mutex_lock(&parsed_lock);
	uint64_t n = parses;
	pthread_mutex_unlock(&parsed_lock);
	return n;
}

static uint64_t text_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The key pem holds (a private one when private), parsed or from the
 * table; the caller frees it (EVP_PKEY_free). NULL when it is none. */
static EVP_PKEY *key_of(const char *pem, bool private)
{
	uint64_t h = text_hash(pem);
	size_t set = h % KEY_SETS;
	EVP_PKEY *key = NULL;
	pthread_mutex_lock(&parsed_lock);
	for (int w = 0; w < KEY_WAYS && !key; w++)
		if (parsed[set][w].pem && parsed[set][w].hash == h &&
		    !strcmp(parsed[set][w].pem, pem) &&
		    EVP_PKEY_up_ref(parsed[set][w].key) == 1) {
			key = parsed[set][w].key;
			parsed[set][w].used = ++parsed_clock;
		}
	pthread_mutex_unlock(&parsed_lock);
	if (key)
		return key;
	BIO *bio = BIO_new_mem_buf(pem, -1);
	if (bio)
		key = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
			      : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	char *copy = key ? strdup(pem) : NULL;
	if (!copy || EVP_PKEY_up_ref(key) != 1) {
		free(copy);
		return key;
	}
	pthread_mutex_lock(&parsed_lock);
	parses++;
	int way = 0; /* the one used longest ago (an empty one: never) */
	for (int w = 1; w < KEY_WAYS; w++)
		if (parsed[set][w].used < parsed[set][way].used)
			way = w;
	EVP_PKEY *old = parsed[set][way].key;
	free(parsed[set][way].pem);
	parsed[set][way].hash = h;
	parsed[set][way].used = ++parsed_clock;
	parsed[set][way].pem = copy;
	parsed[set][way].key = key;
	pthread_mutex_unlock(&parsed_lock);
	EVP_PKEY_free(old);
	return key;
}

/* The PEM text a writer left in a memory BIO, copied into a. */
static const char *bio_text(arena *a, BIO *bio)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	return n > 0 ? arena_strndup(a, data, (size_t)n) : NULL;
}

bool fed_key_generate(arena *a, store_key_pair *out)
{
	EVP_PKEY *key = EVP_RSA_gen(RSA_BITS);
	BIO *pub = BIO_new(BIO_s_mem()), *priv = BIO_new(BIO_s_mem());
	bool ok =
		key && pub && priv && PEM_write_bio_PUBKEY(pub, key) &&
		PEM_write_bio_PrivateKey(priv, key, NULL, NULL, 0, NULL, NULL);
	if (ok) {
		out->public_pem = bio_text(a, pub);
		out->private_pem = bio_text(a, priv);
		ok = out->public_pem && out->private_pem;
	}
	BIO_free(pub);
	BIO_free(priv);
	EVP_PKEY_free(key);
	return ok;
}

bool fed_actor_key(arena *a, int64_t account_id, store_key_pair *out)
{
	if (store_actor_key(a, account_id, out))
		return true;
	store_key_pair made;
	if (!fed_key_generate(a, &made)) {
		log_error("cannot make a key pair for actor %lld",
			  (long long)account_id);
		return false;
	}
	/* kept unless another was first: read back whichever it is */
	if (store_actor_key_add(account_id, &made) < 0)
		return false;
	return store_actor_key(a, account_id, out);
}

const char *fed_sign(arena *a, const char *private_pem, const void *data,
		     size_t len)
{
	EVP_PKEY *key = key_of(private_pem, true);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[RSA_BITS / 8 * 2];
	size_t siglen = sizeof sig;
	bool ok = key && md &&
		  EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		  EVP_DigestSign(md, sig, &siglen, data, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	if (!ok)
		return NULL;
	char *b64 = arena_alloc(a, 4 * ((siglen + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	return b64;
}

bool fed_verify(const char *public_pem, const void *data, size_t len,
		const char *sig_b64)
{
	/* the signature of a key no larger than ours decodes to at most
	 * this; a longer one is not one of its signatures */
	unsigned char sig[RSA_BITS / 8 * 4];
	size_t b64len = strlen(sig_b64);
	if (b64len % 4 || b64len / 4 * 3 > sizeof sig)
		return false;
	int n = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64,
				(int)b64len);
	if (n < 0)
		return false;
	/* EVP_DecodeBlock counts the padding as bytes */
	for (size_t i = b64len; i > 0 && sig_b64[i - 1] == '='; i--)
		n--;
	EVP_PKEY *key = key_of(public_pem, false);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok =
		key && md && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
		EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		EVP_DigestVerify(md, sig, (size_t)n, data, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return ok;
}

bool fed_signer_of(arena *a, int64_t account_id, fed_signer *out)
{
	store_key_pair k;
	account acc;
	if (account_id && !store_account_get(a, account_id, &acc))
		return false;
	if (!fed_actor_key(a, account_id, &k))
		return false;
	out->key_id =
		account_id ? arena_printf(a, "%s#main-key",
					  account_local_uri(a, acc.username))
			   : arena_printf(a, "%s/actor#main-key", cfg.base_url);
	out->private_pem = k.private_pem;
	return true;
}
