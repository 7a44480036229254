/* test_fed_signature.c — HTTP signatures (fed/signature.c): the
 * draft-cavage test vectors (its Appendix C: the "Test" key and the
 * POST /foo request) check as they should, a request chorus signs
 * checks, and each thing a signature guards (the body, the method and
 * target, the date, the key) refuses the request when it changes, for
 * draft-cavage and RFC 9421 alike. Signature bases are written out by
 * hand here and the digests computed with OpenSSL directly, so the
 * tests do not take signature.c's word for either. No database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "fed/fed.h"

/* ---- a request: a small table of headers ---- */

enum { MAX_HEADERS = 16 };

typedef struct headers {
	const char *name[MAX_HEADERS];
	const char *value[MAX_HEADERS];
	int n;
} headers;

static const char *header_of(void *ctx, const char *name)
{
	headers *t = ctx;
	for (int i = 0; i < t->n; i++)
		if (strcasecmp(t->name[i], name) == 0)
			return t->value[i];
	return NULL;
}

/* Set name to value (NULL: remove it). */
static void set_header(headers *t, const char *name, const char *value)
{
	for (int i = 0; i < t->n; i++)
		if (strcasecmp(t->name[i], name) == 0) {
			if (value) {
				t->value[i] = value;
			} else {
				t->n--;
				t->name[i] = t->name[t->n];
				t->value[i] = t->value[t->n];
			}
			return;
		}
	if (!value)
		return;
	assert_true(t->n < MAX_HEADERS);
	t->name[t->n] = name;
	t->value[t->n] = value;
	t->n++;
}

static fed_request request_of(headers *t, const char *method, const char *base,
			      const char *target)
{
	return (fed_request){.method = method,
			     .target = target,
			     .base = base,
			     .header = header_of,
			     .ctx = t};
}

/* find, then (when one is found) check: the verdict on the request */
static fed_verdict verdict_of(arena *a, const fed_request *rq, const char *body,
			      const char *public_pem, int64_t now_ms)
{
	fed_signature sig;
	fed_verdict v = fed_signature_find(a, rq, &sig);
	if (v != FED_SIG_OK)
		return v;
	return fed_signature_check(a, rq, &sig, body, body ? strlen(body) : 0,
				   public_pem, now_ms);
}

/* base64 of the SHA-256 of data, by OpenSSL itself */
static const char *sha256_b64(arena *a, const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
	unsigned char *out = arena_alloc(a, 64);
	EVP_EncodeBlock(out, md, (int)n);
	return (const char *)out;
}

/* ms as an IMF-fixdate: "Sun, 06 Dec 2026 10:00:00 GMT" */
static const char *imf_date(arena *a, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[64];
	strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	return arena_strdup(a, buf);
}

/* ---- draft-cavage-http-signatures, Appendix C ----
 * (the same key, request and signatures from draft 10 on; each checked
 * here with `openssl dgst -sha256 -verify` before being copied in) */

static const char vector_public_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3\n"
	"6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6\n"
	"Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw\n"
	"oYi+1hqp1fIekaxsyQIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

static const char vector_body[] = "{\"hello\": \"world\"}";
static const char vector_digest[] =
	"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";

/* C.1 Default Test: no headers parameter, so the date alone */
static const char vector_default[] =
	"keyId=\"Test\",algorithm=\"rsa-sha256\","
	"signature=\"SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79"
	"cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwb"
	"lDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM=\"";
/* C.2 Basic Test: (request-target) host date */
static const char vector_basic[] =
	"keyId=\"Test\",algorithm=\"rsa-sha256\","
	"headers=\"(request-target) host date\","
	"signature=\"qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+S"
	"brQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJ"
	"WeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=\"";
/* C.3 All Headers Test */
static const char vector_all[] =
	"keyId=\"Test\",algorithm=\"rsa-sha256\","
	"headers=\"(request-target) host date content-type digest "
	"content-length\","
	"signature=\"vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgO"
	"p+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTL"
	"MhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=\"";

/* Sun, 05 Jan 2014 21:31:40 GMT, and 2014-01-05T21:40:00Z */
static const int64_t vector_date_ms = 1388957500000LL;
static const int64_t vector_now_ms = 1388958000000LL;
static const int64_t hour_ms = 3600 * 1000LL;

static void vector_request(headers *t, const char *signature)
{
	*t = (headers){0};
	set_header(t, "Host", "example.com");
	set_header(t, "Date", "Sun, 05 Jan 2014 21:31:40 GMT");
	set_header(t, "Content-Type", "application/json");
	set_header(t, "Digest", vector_digest);
	set_header(t, "Content-Length", "18");
	set_header(t, "Signature", signature);
}

static void test_the_digest_of_the_vector_body_is_the_vectors(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	const char *d = fed_digest(&a, vector_body, strlen(vector_body));
	assert_non_null(d);
	assert_string_equal(d, vector_digest);
	/* and of no body, SHA-256's of nothing */
	assert_string_equal(
		fed_digest(&a, "", 0),
		"SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	arena_release(&a);
}

static void test_the_vector_signature_headers_are_read_as_given(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_signature sig;

	vector_request(&t, vector_basic);
	fed_request rq = request_of(&t, "POST", "https://example.com",
				    "/foo?param=value&pet=dog");
	assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_OK);
	assert_false(sig.rfc9421);
	assert_string_equal(sig.key_id, "Test");
	assert_non_null(sig.algorithm);
	assert_string_equal(sig.algorithm, "rsa-sha256");
	assert_string_equal(sig.components, "(request-target) host date");
	assert_string_equal(
		sig.value,
		"qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+S"
		"brQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/"
		"x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=");
	assert_int_equal(sig.created, 0);
	assert_int_equal(sig.expires, 0);

	vector_request(&t, vector_all);
	assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_OK);
	assert_string_equal(sig.key_id, "Test");
	assert_string_equal(sig.components,
			    "(request-target) host date "
			    "content-type digest content-length");

	/* no headers parameter: the date alone */
	vector_request(&t, vector_default);
	assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_OK);
	assert_string_equal(sig.key_id, "Test");
	assert_string_equal(sig.components, "date");
	arena_release(&a);
}

static void test_the_all_headers_vector_checks(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	vector_request(&t, vector_all);
	fed_request rq = request_of(&t, "POST", "https://example.com",
				    "/foo?param=value&pet=dog");
	assert_int_equal(verdict_of(&a, &rq, vector_body, vector_public_pem,
				    vector_now_ms),
			 FED_SIG_OK);
	/* right at the date, too */
	assert_int_equal(verdict_of(&a, &rq, vector_body, vector_public_pem,
				    vector_date_ms),
			 FED_SIG_OK);
	/* another body is not the one whose digest was signed */
	assert_int_equal(verdict_of(&a, &rq, "{\"hello\": \"World\"}",
				    vector_public_pem, vector_now_ms),
			 FED_SIG_DIGEST);
	/* another query string is another target */
	fed_request other = request_of(&t, "POST", "https://example.com",
				       "/foo?param=value&pet=cat");
	assert_int_equal(verdict_of(&a, &other, vector_body, vector_public_pem,
				    vector_now_ms),
			 FED_SIG_INVALID);
	arena_release(&a);
}

static void test_the_vectors_outside_the_window_are_stale(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	vector_request(&t, vector_all);
	fed_request rq = request_of(&t, "POST", "https://example.com",
				    "/foo?param=value&pet=dog");
	/* received 13 hours after its date, or today */
	assert_int_equal(verdict_of(&a, &rq, vector_body, vector_public_pem,
				    vector_date_ms + 13 * hour_ms),
			 FED_SIG_STALE);
	assert_int_equal(verdict_of(&a, &rq, vector_body, vector_public_pem,
				    1796551200000LL),
			 FED_SIG_STALE);
	/* or 2 hours before it */
	assert_int_equal(verdict_of(&a, &rq, vector_body, vector_public_pem,
				    vector_date_ms - 2 * hour_ms),
			 FED_SIG_STALE);
	arena_release(&a);
}

static void
test_vectors_that_leave_out_what_must_be_covered_are_incomplete(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = request_of(&t, "POST", "https://example.com",
				    "/foo?param=value&pet=dog");
	/* the Basic test does not cover the digest of the POST's body */
	vector_request(&t, vector_basic);
	assert_int_equal(verdict_of(&a, &rq, vector_body, vector_public_pem,
				    vector_now_ms),
			 FED_SIG_INCOMPLETE);
	/* the Default test covers neither the target nor the digest */
	vector_request(&t, vector_default);
	assert_int_equal(verdict_of(&a, &rq, vector_body, vector_public_pem,
				    vector_now_ms),
			 FED_SIG_INCOMPLETE);
	/* without a body there is no digest to cover: the Basic test is a
	 * whole signature then, and a good one */
	vector_request(&t, vector_basic);
	set_header(&t, "Digest", NULL);
	set_header(&t, "Content-Length", NULL);
	set_header(&t, "Content-Type", NULL);
	assert_int_equal(
		verdict_of(&a, &rq, NULL, vector_public_pem, vector_now_ms),
		FED_SIG_OK);
	/* and still the key's only: a changed host is refused (as not
	 * ours, before the key is asked) */
	set_header(&t, "Host", "example.org");
	assert_int_equal(
		verdict_of(&a, &rq, NULL, vector_public_pem, vector_now_ms),
		FED_SIG_WRONG_HOST);
	arena_release(&a);
}

/* ---- draft-cavage round trips with keys of our own ---- */

static store_key_pair key, other_key;
static arena key_arena;

static int make_keys(void **state)
{
	(void)state;
	arena_init(&key_arena);
	return fed_key_generate(&key_arena, &key) &&
			       fed_key_generate(&key_arena, &other_key)
		       ? 0
		       : -1;
}

static int drop_keys(void **state)
{
	(void)state;
	arena_release(&key_arena);
	return 0;
}

/* 2026-12-06T10:00:00Z */
static const int64_t now_ms = 1796551200000LL;
static const char key_id[] = "https://a.example/users/x#main-key";
static const char inbox_base[] = "https://b.example";
static const char inbox[] = "/users/y/inbox";
static const char note_body[] =
	"{\"type\":\"Create\",\"actor\":\"https://a.example/users/x\"}";

/* A POST of body to the inbox, dated date_ms, with its Digest (computed
 * here), and a Signature by fed_sign_request over signed. */
static fed_request signed_post(arena *a, headers *t, const char *body,
			       int64_t date_ms, const char *signed_headers,
			       const char *private_pem)
{
	*t = (headers){0};
	set_header(t, "Host", "b.example");
	set_header(t, "Date", imf_date(a, date_ms));
	set_header(t, "Content-Type", "application/activity+json");
	set_header(t, "Digest",
		   arena_printf(a, "SHA-256=%s",
				sha256_b64(a, body, strlen(body))));
	fed_request rq = request_of(t, "POST", inbox_base, inbox);
	const char *s =
		fed_sign_request(a, &rq, signed_headers, key_id, private_pem);
	assert_non_null(s);
	set_header(t, "Signature", s);
	return rq;
}

/* The signature="…" value of a cavage header, read here. */
static const char *signature_param(arena *a, const char *header)
{
	const char *p = strstr(header, "signature=\"");
	assert_non_null(p);
	p += strlen("signature=\"");
	const char *end = strchr(p, '"');
	assert_non_null(end);
	return arena_strndup(a, p, (size_t)(end - p));
}

static void test_a_request_chorus_signs_checks(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = signed_post(&a, &t, note_body, now_ms,
				     "(request-target) host date digest",
				     key.private_pem);
	const char *header = header_of(&t, "Signature");
	assert_non_null(strstr(header, "keyId=\"https://a.example/users/"
				       "x#main-key\""));
	assert_non_null(strstr(header, "algorithm=\"rsa-sha256\""));
	assert_non_null(strstr(
		header, "headers=\"(request-target) host date digest\""));

	/* the signature is the key's over the string the draft says */
	const char *text =
		arena_printf(&a,
			     "(request-target): post /users/y/inbox\n"
			     "host: b.example\n"
			     "date: %s\n"
			     "digest: SHA-256=%s",
			     imf_date(&a, now_ms),
			     sha256_b64(&a, note_body, strlen(note_body)));
	assert_true(fed_verify(key.public_pem, text, strlen(text),
			       signature_param(&a, header)));

	fed_signature sig;
	assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_OK);
	assert_false(sig.rfc9421);
	assert_string_equal(sig.key_id, key_id);
	assert_string_equal(sig.algorithm, "rsa-sha256");
	assert_string_equal(sig.components,
			    "(request-target) host date digest");
	assert_int_equal(fed_signature_check(&a, &rq, &sig, note_body,
					     strlen(note_body), key.public_pem,
					     now_ms),
			 FED_SIG_OK);
	arena_release(&a);
}

static void test_a_changed_body_fails_its_digest(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = signed_post(&a, &t, note_body, now_ms,
				     "(request-target) host date digest",
				     key.private_pem);
	const char *changed =
		"{\"type\":\"Delete\",\"actor\":\"https://a.example/users/x\"}";
	assert_int_equal(verdict_of(&a, &rq, changed, key.public_pem, now_ms),
			 FED_SIG_DIGEST);
	/* a body cut short */
	char *cut = arena_strndup(&a, note_body, strlen(note_body) - 1);
	assert_int_equal(verdict_of(&a, &rq, cut, key.public_pem, now_ms),
			 FED_SIG_DIGEST);
	arena_release(&a);
}

static void test_a_digest_header_that_is_not_the_bodys_is_refused(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	const char *changed =
		"{\"type\":\"Delete\",\"actor\":\"https://a.example/users/x\"}";
	const char *changed_digest = arena_printf(
		&a, "SHA-256=%s", sha256_b64(&a, changed, strlen(changed)));

	/* the header swapped after signing: neither the body's nor signed */
	fed_request rq = signed_post(&a, &t, note_body, now_ms,
				     "(request-target) host date digest",
				     key.private_pem);
	set_header(&t, "Digest", changed_digest);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_DIGEST);

	/* a good signature over a digest that is another body's: the key
	 * made it, but the body is not the one signed */
	rq = signed_post(&a, &t, note_body, now_ms,
			 "(request-target) host date digest", key.private_pem);
	set_header(&t, "Digest", changed_digest);
	set_header(&t, "Signature",
		   fed_sign_request(&a, &rq,
				    "(request-target) host date digest", key_id,
				    key.private_pem));
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_DIGEST);
	/* and the body it does name passes */
	assert_int_equal(verdict_of(&a, &rq, changed, key.public_pem, now_ms),
			 FED_SIG_OK);
	arena_release(&a);
}

static void test_another_target_or_method_is_refused(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = signed_post(&a, &t, note_body, now_ms,
				     "(request-target) host date digest",
				     key.private_pem);
	fed_request moved = rq;
	moved.target = "/users/z/inbox";
	assert_int_equal(
		verdict_of(&a, &moved, note_body, key.public_pem, now_ms),
		FED_SIG_INVALID);
	moved.target = "/users/y/inbox?x=1";
	assert_int_equal(
		verdict_of(&a, &moved, note_body, key.public_pem, now_ms),
		FED_SIG_INVALID);
	fed_request put = rq;
	put.method = "PUT";
	assert_int_equal(
		verdict_of(&a, &put, note_body, key.public_pem, now_ms),
		FED_SIG_INVALID);
	/* a changed signed header, too (a date still in the window) */
	char date[FED_HTTP_DATE_LEN];
	fed_http_date(now_ms - 60000, date);
	set_header(&t, "Date", date);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_INVALID);
	/* and a request well signed for another server, replayed here */
	fed_request replayed = rq;
	replayed.base = "https://c.example";
	assert_int_equal(
		verdict_of(&a, &replayed, note_body, key.public_pem, now_ms),
		FED_SIG_WRONG_HOST);
	arena_release(&a);
}

static void test_another_key_did_not_make_it(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = signed_post(&a, &t, note_body, now_ms,
				     "(request-target) host date digest",
				     key.private_pem);
	assert_int_equal(
		verdict_of(&a, &rq, note_body, other_key.public_pem, now_ms),
		FED_SIG_INVALID);
	/* a changed signature, or a key that is none */
	char *bent = arena_strdup(&a, header_of(&t, "Signature"));
	char *s = strstr(bent, "signature=\"") + strlen("signature=\"");
	s[5] = s[5] == 'A' ? 'B' : 'A';
	set_header(&t, "Signature", bent);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_INVALID);
	rq = signed_post(&a, &t, note_body, now_ms,
			 "(request-target) host date digest", key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body,
				    "-----BEGIN PUBLIC KEY-----\nnope\n"
				    "-----END PUBLIC KEY-----\n",
				    now_ms),
			 FED_SIG_INVALID);
	arena_release(&a);
}

static void test_a_stale_date_is_refused(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	const char *covered = "(request-target) host date digest";
	fed_request rq = signed_post(&a, &t, note_body, now_ms - 13 * hour_ms,
				     covered, key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_STALE);
	rq = signed_post(&a, &t, note_body, now_ms + 2 * hour_ms, covered,
			 key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_STALE);
	/* a date that is no date */
	rq = signed_post(&a, &t, note_body, now_ms, covered, key.private_pem);
	set_header(&t, "Date", "yesterday");
	set_header(&t, "Signature",
		   fed_sign_request(&a, &rq, covered, key_id, key.private_pem));
	assert_int_not_equal(
		verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
		FED_SIG_OK);
	arena_release(&a);
}

static void test_a_date_inside_the_window_is_accepted(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	const char *covered = "(request-target) host date digest";
	fed_request rq = signed_post(&a, &t, note_body, now_ms - 11 * hour_ms,
				     covered, key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_OK);
	/* a sender's clock half an hour ahead */
	rq = signed_post(&a, &t, note_body, now_ms + hour_ms / 2, covered,
			 key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_OK);
	arena_release(&a);
}

static void
test_a_signature_leaving_out_what_must_be_covered_is_incomplete(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	static const char *const partial[] = {
		"(request-target) host date",	/* no digest, body sent */
		"host date digest",		/* no (request-target) */
		"(request-target) host digest", /* no date nor (created) */
		"date",
	};
	for (size_t i = 0; i < sizeof partial / sizeof *partial; i++) {
		fed_request rq = signed_post(&a, &t, note_body, now_ms,
					     partial[i], key.private_pem);
		assert_int_equal(
			verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			FED_SIG_INCOMPLETE);
	}
	arena_release(&a);
}

/* A cavage Signature header signed by hand over text. */
static const char *cavage_header(arena *a, const char *params, const char *text)
{
	const char *sig = fed_sign(a, key.private_pem, text, strlen(text));
	assert_non_null(sig);
	return arena_printf(a, "keyId=\"%s\",%s,signature=\"%s\"", key_id,
			    params, sig);
}

static void test_hs2019_is_accepted_like_rsa_sha256(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = signed_post(&a, &t, note_body, now_ms,
				     "(request-target) host date digest",
				     key.private_pem);
	const char *text =
		arena_printf(&a,
			     "(request-target): post /users/y/inbox\n"
			     "host: b.example\n"
			     "date: %s\n"
			     "digest: %s",
			     header_of(&t, "Date"), header_of(&t, "Digest"));
	set_header(&t, "Signature",
		   cavage_header(&a,
				 "algorithm=\"hs2019\",headers=\"(request-"
				 "target) host date digest\"",
				 text));
	fed_signature sig;
	assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_OK);
	assert_string_equal(sig.algorithm, "hs2019");
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_OK);
	assert_int_equal(
		verdict_of(&a, &rq, note_body, other_key.public_pem, now_ms),
		FED_SIG_INVALID);
	arena_release(&a);
}

/* draft-cavage 12's (created) stands for the date: covered, it is the
 * date checked */
static void test_a_covered_created_stands_for_the_date(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = signed_post(&a, &t, note_body, now_ms,
				     "(request-target) host date digest",
				     key.private_pem);
	set_header(&t, "Date", NULL);
	int64_t created_s[] = {now_ms / 1000 - 60, now_ms / 1000 - 13 * 3600};
	fed_verdict expect[] = {FED_SIG_OK, FED_SIG_STALE};
	for (int i = 0; i < 2; i++) {
		const char *text = arena_printf(
			&a,
			"(request-target): post /users/y/inbox\n"
			"(created): %lld\n"
			"host: b.example\n"
			"digest: %s",
			(long long)created_s[i], header_of(&t, "Digest"));
		set_header(&t, "Signature",
			   cavage_header(
				   &a,
				   arena_printf(
					   &a,
					   "algorithm=\"hs2019\",created=%lld,"
					   "headers=\"(request-target) "
					   "(created) host digest\"",
					   (long long)created_s[i]),
				   text));
		fed_signature sig;
		assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_OK);
		assert_int_equal(sig.created, created_s[i]);
		assert_int_equal(
			verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			expect[i]);
	}
	arena_release(&a);
}

static void test_no_signature_header_is_none(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t = {0};
	set_header(&t, "Host", "b.example");
	set_header(&t, "Date", imf_date(&a, now_ms));
	fed_request rq = request_of(&t, "POST", inbox_base, inbox);
	fed_signature sig;
	assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_NONE);
	arena_release(&a);
}

static void test_malformed_signature_headers_are_malformed(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	/* a long one: a keyId of 70 000 characters and nothing after */
	size_t n = 70000;
	char *long_key = arena_alloc(&a, n + 32);
	strcpy(long_key, "keyId=\"");
	memset(long_key + 7, 'x', n);
	long_key[7 + n] = '\0';
	/* and a long run of separators */
	char *long_junk = arena_alloc(&a, n + 1);
	for (size_t i = 0; i < n; i++)
		long_junk[i] = ",=\" "[i % 4];
	const char *bad[] = {
		"keyId=",
		"keyId=\"Test,signature=\"abc",
		"keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"date\","
		"signature=\"abc",
		"keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"date\"",
		"algorithm=\"rsa-sha256\",headers=\"date\",signature=\"YWJj\"",
		"keyId=\"Test\",signature=",
		"garbage",
		",,,,",
		"=\"\"",
		long_key,
		long_junk,
		/* the same, short enough to be read */
		arena_strndup(&a, long_key, 4000),
		arena_strndup(&a, long_junk, 4000),
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		headers t = {0};
		set_header(&t, "Host", "b.example");
		set_header(&t, "Date", imf_date(&a, now_ms));
		set_header(&t, "Signature", bad[i]);
		fed_request rq = request_of(&t, "POST", inbox_base, inbox);
		fed_signature sig;
		if (fed_signature_find(&a, &rq, &sig) != FED_SIG_MALFORMED)
			fail_msg("not malformed: header %zu (%.60s)", i,
				 bad[i]);
	}
	/* an empty Signature header: no signature, or one that cannot be
	 * read, but never a good one */
	headers t = {0};
	set_header(&t, "Host", "b.example");
	set_header(&t, "Signature", "");
	fed_request rq = request_of(&t, "POST", inbox_base, inbox);
	fed_signature sig;
	fed_verdict v = fed_signature_find(&a, &rq, &sig);
	assert_true(v == FED_SIG_NONE || v == FED_SIG_MALFORMED);
	arena_release(&a);
}

static void test_signing_needs_every_listed_header_and_a_key(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t = {0};
	set_header(&t, "Host", "b.example");
	set_header(&t, "Date", imf_date(&a, now_ms));
	fed_request rq = request_of(&t, "POST", inbox_base, inbox);
	assert_null(fed_sign_request(&a, &rq,
				     "(request-target) host date digest",
				     key_id, key.private_pem));
	assert_null(fed_sign_request(&a, &rq, "(request-target) host date",
				     key_id, "not a key"));
	assert_non_null(fed_sign_request(&a, &rq, "(request-target) host date",
					 key_id, key.private_pem));
	arena_release(&a);
}

/* ---- RFC 9421 ---- */

static const char *component_value(arena *a, const fed_request *rq,
				   const char *name)
{
	if (strcmp(name, "@method") == 0)
		return rq->method;
	if (strcmp(name, "@target-uri") == 0)
		return arena_printf(a, "%s%s", rq->base, rq->target);
	const char *v = rq->header(rq->ctx, name);
	assert_non_null(v);
	return v;
}

/* Signature-Input and Signature for rq, labelled sig1, covering the
 * inner list components (as sent: "\"@method\" \"@target-uri\"") with
 * params (";created=…;keyid=…"), the base built here per §2.5. */
static void sign_9421(arena *a, headers *t, const fed_request *rq,
		      const char *components, const char *params,
		      const char *private_pem)
{
	char *base = arena_strdup(a, "");
	char *list = arena_strdup(a, components);
	for (char *save = NULL, *tok = strtok_r(list, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		size_t n = strlen(tok);
		assert_true(n > 2 && tok[0] == '"' && tok[n - 1] == '"');
		char *name = arena_strndup(a, tok + 1, n - 2);
		base = arena_printf(a, "%s\"%s\": %s\n", base, name,
				    component_value(a, rq, name));
	}
	const char *sig_params = arena_printf(a, "(%s)%s", components, params);
	base = arena_printf(a, "%s\"@signature-params\": %s", base, sig_params);
	const char *sig = fed_sign(a, private_pem, base, strlen(base));
	assert_non_null(sig);
	set_header(t, "Signature-Input",
		   arena_printf(a, "sig1=%s", sig_params));
	set_header(t, "Signature", arena_printf(a, "sig1=:%s:", sig));
}

static const char all_9421[] = "\"@method\" \"@target-uri\" \"content-digest\"";

static const char *params_9421(arena *a, int64_t created_s)
{
	return arena_printf(
		a, ";created=%lld;keyid=\"%s\";alg=\"rsa-v1_5-sha256\"",
		(long long)created_s, key_id);
}

/* A POST of body with its Content-Digest (computed here). */
static fed_request post_9421(arena *a, headers *t, const char *body)
{
	*t = (headers){0};
	set_header(t, "Host", "b.example");
	set_header(t, "Content-Type", "application/activity+json");
	set_header(t, "Content-Digest",
		   arena_printf(a, "sha-256=:%s:",
				sha256_b64(a, body, strlen(body))));
	return request_of(t, "POST", inbox_base, inbox);
}

static void test_an_rfc9421_signature_checks(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = post_9421(&a, &t, note_body);
	sign_9421(&a, &t, &rq, all_9421, params_9421(&a, now_ms / 1000),
		  key.private_pem);
	fed_signature sig;
	assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_OK);
	assert_true(sig.rfc9421);
	assert_string_equal(sig.key_id, key_id);
	assert_non_null(sig.algorithm);
	assert_string_equal(sig.algorithm, "rsa-v1_5-sha256");
	assert_int_equal(sig.created, now_ms / 1000);
	assert_int_equal(sig.expires, 0);
	assert_non_null(strstr(sig.components, "\"@target-uri\""));
	assert_non_null(strstr(sig.components, "\"content-digest\""));
	assert_int_equal(fed_signature_check(&a, &rq, &sig, note_body,
					     strlen(note_body), key.public_pem,
					     now_ms),
			 FED_SIG_OK);
	/* a sender a little behind, within the window */
	sign_9421(&a, &t, &rq, all_9421,
		  params_9421(&a, now_ms / 1000 - 11 * 3600), key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_OK);
	arena_release(&a);
}

static void test_an_rfc9421_signature_guards_body_target_and_key(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = post_9421(&a, &t, note_body);
	sign_9421(&a, &t, &rq, all_9421, params_9421(&a, now_ms / 1000),
		  key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, "{\"type\":\"Delete\"}",
				    key.public_pem, now_ms),
			 FED_SIG_DIGEST);
	assert_int_equal(
		verdict_of(&a, &rq, note_body, other_key.public_pem, now_ms),
		FED_SIG_INVALID);
	fed_request moved = rq;
	moved.target = "/users/z/inbox";
	assert_int_equal(
		verdict_of(&a, &moved, note_body, key.public_pem, now_ms),
		FED_SIG_INVALID);
	fed_request elsewhere = rq;
	elsewhere.base = "https://c.example";
	assert_int_equal(
		verdict_of(&a, &elsewhere, note_body, key.public_pem, now_ms),
		FED_SIG_INVALID);
	fed_request put = rq;
	put.method = "PUT";
	assert_int_equal(
		verdict_of(&a, &put, note_body, key.public_pem, now_ms),
		FED_SIG_INVALID);
	arena_release(&a);
}

static void test_a_stale_rfc9421_signature_is_refused(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = post_9421(&a, &t, note_body);
	sign_9421(&a, &t, &rq, all_9421,
		  params_9421(&a, now_ms / 1000 - 13 * 3600), key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_STALE);
	sign_9421(&a, &t, &rq, all_9421,
		  params_9421(&a, now_ms / 1000 + 2 * 3600), key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_STALE);
	/* created a minute ago, but expired (RFC 9421 §3.2.1) */
	sign_9421(&a, &t, &rq, all_9421,
		  arena_printf(&a, "%s;expires=%lld",
			       params_9421(&a, now_ms / 1000 - 60),
			       (long long)(now_ms / 1000 - 30)),
		  key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_STALE);
	arena_release(&a);
}

static void
test_an_rfc9421_signature_leaving_out_what_must_be_covered_is_incomplete(
	void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = post_9421(&a, &t, note_body);
	const char *keyid_alg = arena_printf(
		&a, ";keyid=\"%s\";alg=\"rsa-v1_5-sha256\"", key_id);
	const char *created = params_9421(&a, now_ms / 1000);
	/* no created */
	sign_9421(&a, &t, &rq, all_9421, keyid_alg, key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_INCOMPLETE);
	/* no target */
	sign_9421(&a, &t, &rq, "\"@method\" \"content-digest\"", created,
		  key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_INCOMPLETE);
	/* no method */
	sign_9421(&a, &t, &rq, "\"@target-uri\" \"content-digest\"", created,
		  key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_INCOMPLETE);
	/* no digest of the body sent */
	sign_9421(&a, &t, &rq, "\"@method\" \"@target-uri\"", created,
		  key.private_pem);
	assert_int_equal(verdict_of(&a, &rq, note_body, key.public_pem, now_ms),
			 FED_SIG_INCOMPLETE);
	arena_release(&a);
}

static void test_an_rfc9421_get_without_a_body_checks(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t = {0};
	set_header(&t, "Host", "b.example");
	set_header(&t, "Accept", "application/activity+json");
	fed_request rq =
		request_of(&t, "GET", inbox_base, "/users/y/outbox?page=true");
	sign_9421(&a, &t, &rq, "\"@method\" \"@target-uri\"",
		  params_9421(&a, now_ms / 1000), key.private_pem);
	fed_signature sig;
	assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_OK);
	assert_true(sig.rfc9421);
	assert_int_equal(fed_signature_check(&a, &rq, &sig, NULL, 0,
					     key.public_pem, now_ms),
			 FED_SIG_OK);
	fed_request other = rq;
	other.target = "/users/y/outbox?page=false";
	assert_int_equal(verdict_of(&a, &other, NULL, key.public_pem, now_ms),
			 FED_SIG_INVALID);
	arena_release(&a);
}

static void test_of_several_rfc9421_signatures_the_first_is_read(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	headers t;
	fed_request rq = post_9421(&a, &t, note_body);
	sign_9421(&a, &t, &rq, all_9421, params_9421(&a, now_ms / 1000),
		  key.private_pem);
	const char *input = header_of(&t, "Signature-Input");
	const char *value = header_of(&t, "Signature");
	set_header(&t, "Signature-Input",
		   arena_printf(&a,
				"%s, sig2=(\"@method\");created=%lld;"
				"keyid=\"https://c.example/actor#main-key\"",
				input, (long long)(now_ms / 1000)));
	set_header(&t, "Signature", arena_printf(&a, "sig2=:YWJj:, %s", value));
	fed_signature sig;
	assert_int_equal(fed_signature_find(&a, &rq, &sig), FED_SIG_OK);
	assert_true(sig.rfc9421);
	assert_string_equal(sig.key_id, key_id);
	assert_int_equal(fed_signature_check(&a, &rq, &sig, note_body,
					     strlen(note_body), key.public_pem,
					     now_ms),
			 FED_SIG_OK);
	arena_release(&a);
}

static void test_malformed_rfc9421_signatures_are_malformed(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	const char *keyid = "keyid=\"https://a.example/users/x#main-key\"";
	struct {
		const char *input, *signature;
	} bad[] = {
		{"garbage", "sig1=:YWJj:"},
		{"", "sig1=:YWJj:"},
		/* the list never closed */
		{arena_printf(&a, "sig1=(\"@method\" \"@target-uri\";%s",
			      keyid),
		 "sig1=:YWJj:"},
		/* a component never closed */
		{arena_printf(&a, "sig1=(\"@method;created=1;%s", keyid),
		 "sig1=:YWJj:"},
		/* no keyid */
		{"sig1=(\"@method\" \"@target-uri\");created=1796551200",
		 "sig1=:YWJj:"},
		/* no Signature of that label */
		{arena_printf(&a, "sig1=(\"@method\");created=1;%s", keyid),
		 "sig2=:YWJj:"},
		/* a Signature that is not a byte sequence */
		{arena_printf(&a, "sig1=(\"@method\");created=1;%s", keyid),
		 "sig1=:YWJj"},
		{arena_printf(&a, "sig1=(\"@method\");created=1;%s", keyid),
		 "garbage"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		headers t = {0};
		set_header(&t, "Host", "b.example");
		set_header(&t, "Signature-Input", bad[i].input);
		set_header(&t, "Signature", bad[i].signature);
		fed_request rq = request_of(&t, "POST", inbox_base, inbox);
		fed_signature sig;
		fed_verdict v = fed_signature_find(&a, &rq, &sig);
		if (v != FED_SIG_MALFORMED)
			fail_msg("not malformed (%d): Signature-Input %zu (%s)",
				 (int)v, i, bad[i].input);
	}
	arena_release(&a);
}

static void test_every_verdict_has_a_reason(void **state)
{
	(void)state;
	for (int v = FED_SIG_OK; v <= FED_SIG_INVALID; v++) {
		const char *r = fed_verdict_reason((fed_verdict)v);
		assert_non_null(r);
		assert_true(strlen(r) > 0);
	}
}

int main(void)
{
	log_set_quiet(1);
	config_defaults();
	config_finish();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_the_digest_of_the_vector_body_is_the_vectors),
		cmocka_unit_test(
			test_the_vector_signature_headers_are_read_as_given),
		cmocka_unit_test(test_the_all_headers_vector_checks),
		cmocka_unit_test(test_the_vectors_outside_the_window_are_stale),
		cmocka_unit_test(
			test_vectors_that_leave_out_what_must_be_covered_are_incomplete),
		cmocka_unit_test(test_a_request_chorus_signs_checks),
		cmocka_unit_test(test_a_changed_body_fails_its_digest),
		cmocka_unit_test(
			test_a_digest_header_that_is_not_the_bodys_is_refused),
		cmocka_unit_test(test_another_target_or_method_is_refused),
		cmocka_unit_test(test_another_key_did_not_make_it),
		cmocka_unit_test(test_a_stale_date_is_refused),
		cmocka_unit_test(test_a_date_inside_the_window_is_accepted),
		cmocka_unit_test(
			test_a_signature_leaving_out_what_must_be_covered_is_incomplete),
		cmocka_unit_test(test_hs2019_is_accepted_like_rsa_sha256),
		cmocka_unit_test(test_a_covered_created_stands_for_the_date),
		cmocka_unit_test(test_no_signature_header_is_none),
		cmocka_unit_test(
			test_malformed_signature_headers_are_malformed),
		cmocka_unit_test(
			test_signing_needs_every_listed_header_and_a_key),
		cmocka_unit_test(test_an_rfc9421_signature_checks),
		cmocka_unit_test(
			test_an_rfc9421_signature_guards_body_target_and_key),
		cmocka_unit_test(test_a_stale_rfc9421_signature_is_refused),
		cmocka_unit_test(
			test_an_rfc9421_signature_leaving_out_what_must_be_covered_is_incomplete),
		cmocka_unit_test(test_an_rfc9421_get_without_a_body_checks),
		cmocka_unit_test(
			test_of_several_rfc9421_signatures_the_first_is_read),
		cmocka_unit_test(
			test_malformed_rfc9421_signatures_are_malformed),
		cmocka_unit_test(test_every_verdict_has_a_reason),
	};
	return cmocka_run_group_tests(tests, make_keys, drop_keys);
}
