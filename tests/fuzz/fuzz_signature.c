/* fuzz_signature.c — the HTTP signature on a request to the inbox
 * (fed/signature.c): its Signature (draft-cavage) or Signature-Input and
 * Signature (RFC 9421) headers read by fed_signature_find, then checked
 * by fed_signature_check against the draft-cavage test key, as the
 * inbox checks one against its sender's key.
 *
 * The input is a request as text: "METHOD target" on the first line,
 * then "Name: value" header lines, a blank line and the body. The clock
 * stands at the draft's test vectors' date, so a seed built on them
 * reaches the key.
 *
 * Invariants: finding gives OK, NONE or MALFORMED, and OK only with a
 * key id and a signature value; checking gives one of the verdicts a
 * check can give. */
#include "fuzz.h"

#include "fed/fed.h"

enum { MAX_HEADERS = 32 };

/* draft-cavage-http-signatures, Appendix C's public key ("Test") */
static const char test_public_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3\n"
	"6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6\n"
	"Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw\n"
	"oYi+1hqp1fIekaxsyQIDAQAB\n"
	"-----END PUBLIC KEY-----\n";
static const int64_t test_now_ms = 1388958000000LL; /* 2014-01-05 21:40 */

typedef struct headers {
	const char *name[MAX_HEADERS], *value[MAX_HEADERS];
	int n;
} headers;

static const char *header_of(void *ctx, const char *name)
{
	headers *t = ctx;
	for (int i = 0; i < t->n; i++)
		if (!strcasecmp(t->name[i], name))
			return t->value[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena a;
	arena_init(&a);
	fuzz_input in = {data, size};
	size_t len;
	char *line = fuzz_piece(&a, &in, '\n', &len);
	char *sp = strchr(line, ' ');
	const char *method = line, *target = "/inbox";
	if (sp) {
		*sp = '\0';
		target = sp + 1;
	}
	headers t = {.n = 0};
	while (in.n && t.n < MAX_HEADERS) {
		line = fuzz_piece(&a, &in, '\n', &len);
		if (!*line)
			break; /* the blank line before the body */
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		t.name[t.n] = line;
		t.value[t.n++] = colon + 1 + (colon[1] == ' ');
	}
	size_t body_len;
	const char *body = fuzz_rest(&a, &in, &body_len);

	fed_request rq = {.method = method,
			  .target = target,
			  .base = "https://example.com",
			  .header = header_of,
			  .ctx = &t};
	fed_signature sig;
	fed_verdict v = fed_signature_find(&a, &rq, &sig);
	FUZZ_CHECK(v == FED_SIG_OK || v == FED_SIG_NONE ||
		   v == FED_SIG_MALFORMED);
	if (v == FED_SIG_OK) {
		FUZZ_CHECK(sig.key_id && *sig.key_id);
		FUZZ_CHECK(sig.value && *sig.value);
		FUZZ_CHECK(sig.components != NULL);
		v = fed_signature_check(&a, &rq, &sig, body, body_len,
					test_public_pem, test_now_ms);
		FUZZ_CHECK(v <= FED_SIG_WRONG_HOST);
		FUZZ_CHECK(*fed_verdict_reason(v));
	}
	FUZZ_CHECK(fed_digest(&a, body, body_len) != NULL);
	arena_release(&a);
	return 0;
}
