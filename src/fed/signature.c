/* signature.c — HTTP signatures on ActivityPub requests.
 *
 * Two kinds are read. draft-cavage-http-signatures (what every server
 * sends today): a Signature header of keyId, algorithm, headers and
 * signature, over lines "name: value" of the listed headers, where
 * "(request-target)" stands for the lowercase method and the target.
 * RFC 9421 (Mastodon verifies it since 4.4 and may send it): a
 * Signature-Input header naming the covered components and parameters,
 * and a Signature header with the bytes, over the "signature base".
 * Both are RSASSA-PKCS1-v1_5 over SHA-256 here: the one algorithm the
 * fediverse uses (hs2019 in cavage means "the key's", which is this).
 *
 * What must be covered, and the date window, are Mastodon's rules
 * (SignatureVerification), so what Mastodon accepts is accepted and what
 * it refuses is refused: the method and target, a date (or created),
 * the body's digest when there is a body; signed at most 12 hours ago
 * and at most 1 hour ahead. */
#include "fed/fed.h"

#include "core/buf.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
	WINDOW_PAST_S = 12 * 3600,
	WINDOW_FUTURE_S = 3600,
	SIGNATURE_MAX = 4096, /* bytes of a header we read at all */
};

const char *fed_verdict_reason(fed_verdict v)
{
	switch (v) {
	case FED_SIG_OK: return "signature verified";
	case FED_SIG_NONE: return "request not signed";
	case FED_SIG_MALFORMED: return "signature cannot be read";
	case FED_SIG_INCOMPLETE:
		return "signature does not cover the request target, its date "
		       "and its digest";
	case FED_SIG_STALE:
		return "signature date is outside the accepted window";
	case FED_SIG_DIGEST: return "body does not match its digest";
	case FED_SIG_INVALID: return "signature verification failed";
	case FED_SIG_WRONG_HOST: return "signed for another server";
	case FED_SIG_BLOCKED: return "this server is blocked here";
	case FED_SIG_NO_KEY: return "the signature's key cannot be found";
	case FED_SIG_FETCH: return "the signature's key is not known yet";
	}
	return "signature verification failed";
}

/* ---- digests ---- */

static const char *base64_of(arena *a, const unsigned char *bin, size_t n)
{
	char *out = arena_alloc(a, 4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, bin, (int)n);
	return out;
}

/* base64 of body's digest by md. */
static const char *digest_b64(arena *a, const EVP_MD *md, const void *body,
			      size_t len)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_Digest(body, len, d, &n, md, NULL) != 1)
		return "";
	return base64_of(a, d, n);
}

const char *fed_digest(arena *a, const void *body, size_t len)
{
	return arena_printf(a, "SHA-256=%s",
			    digest_b64(a, EVP_sha256(), body, len));
}

/* Whether header (a list of "ALG=value" or, RFC 9530, "alg=:value:")
 * holds a SHA-256 or SHA-512 digest, and every such one is body's. */
static bool digest_matches(arena *a, const char *header, const void *body,
			   size_t len)
{
	bool any = false;
	const char *p = header;
	while (*p) {
		p += strspn(p, " \t,");
		size_t name = strcspn(p, "=");
		if (!p[name])
			break;
		const char *v = p + name + 1;
		size_t vlen = strcspn(v, ",");
		const EVP_MD *md = NULL;
		if (name == 7 && !strncasecmp(p, "sha-256", 7))
			md = EVP_sha256();
		else if (name == 7 && !strncasecmp(p, "sha-512", 7))
			md = EVP_sha512();
		if (md) {
			/* RFC 9530 wraps the bytes in colons */
			while (vlen && v[vlen - 1] == ' ')
				vlen--;
			if (vlen >= 2 && v[0] == ':' && v[vlen - 1] == ':')
				v++, vlen -= 2;
			/* in constant time, as every comparison with what
			 * a request claims is: the digest is no secret, but
			 * then no reader has to work out which are */
			const char *want = digest_b64(a, md, body, len);
			if (strlen(want) != vlen ||
			    sodium_memcmp(want, v, vlen) != 0)
				return false;
			any = true;
		}
		p = v + strcspn(v, ",");
	}
	return any;
}

/* ---- dates ---- */

static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1-12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* An HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT", the one form RFC 9110
 * says to send) as seconds since the epoch; false for anything else.
 * Read by hand: strptime's %a and %b follow the thread's locale. */
static bool parse_http_date(const char *s, int64_t *out)
{
	char mon[4];
	int d, y, h, mi, sec, used = 0;
	const char *comma = strchr(s, ',');
	if (!comma ||
	    sscanf(comma + 1, " %2d %3s %4d %2d:%2d:%2d GMT%n", &d, mon, &y, &h,
		   &mi, &sec, &used) != 6 ||
	    comma[1 + used] != '\0')
		return false;
	int m = 0;
	while (m < 12 && strcmp(months[m], mon))
		m++;
	if (m == 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	*out = days_from_civil(y, m + 1, d) * 86400 + h * 3600 + mi * 60 + sec;
	return true;
}

void fed_http_date(int64_t ms, char out[FED_HTTP_DATE_LEN])
{
	static const char days[][4] = {"Thu", "Fri", "Sat", "Sun",
				       "Mon", "Tue", "Wed"};
	int64_t s = ms / 1000, day = s / 86400, rem = s % 86400;
	/* civil from days (Howard Hinnant's algorithm) */
	int64_t z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
	snprintf(out, FED_HTTP_DATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 days[day % 7], (int)d, months[m - 1], (int)y,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

static bool in_window(int64_t t, int64_t now_s)
{
	return t >= now_s - WINDOW_PAST_S && t <= now_s + WINDOW_FUTURE_S;
}

/* ---- reading headers ---- */

/* A parameter list "name=value,name="value"" (cavage) or
 * "name=value;name="value"" (9421's parameters): the next one after *p,
 * separated by sep; its name and value (unquoted) in a. False at the
 * end; *bad set when what is left cannot be read. */
static bool next_param(arena *a, const char **p, char sep, const char **name,
		       const char **value, bool *bad)
{
	const char *s = *p;
	while (*s == ' ' || *s == sep)
		s++;
	if (!*s)
		return false;
	size_t n = strcspn(s, "= ");
	if (!n || s[n] != '=') {
		*bad = true;
		return false;
	}
	*name = arena_strndup(a, s, n);
	s += n + 1;
	if (*s == '"') {
		const char *end = strchr(s + 1, '"');
		if (!end) {
			*bad = true;
			return false;
		}
		*value = arena_strndup(a, s + 1, (size_t)(end - s - 1));
		s = end + 1;
	} else {
		size_t v = strcspn(s, sep == ',' ? ", " : "; ,");
		*value = arena_strndup(a, s, v);
		s += v;
	}
	while (*s == ' ')
		s++;
	if (*s && *s != sep && !(sep == ';' && *s == ',')) {
		*bad = true;
		return false;
	}
	*p = s;
	return true;
}

static bool parse_seconds(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v <= 0)
		return false;
	*out = v;
	return true;
}

/* created= and expires=, as both kinds write them: false when one is
 * not a count of seconds (any other parameter: true). */
static bool time_param_ok(const char *name, const char *value,
			  fed_signature *out)
{
	if (!strcmp(name, "created"))
		return parse_seconds(value, &out->created);
	if (!strcmp(name, "expires"))
		return parse_seconds(value, &out->expires);
	return true;
}

static fed_verdict find_cavage(arena *a, const char *h, fed_signature *out)
{
	const char *p = h, *name, *value;
	bool bad = false;
	while (next_param(a, &p, ',', &name, &value, &bad)) {
		if (!strcmp(name, "keyId"))
			out->key_id = value;
		else if (!strcmp(name, "algorithm"))
			out->algorithm = value;
		else if (!strcmp(name, "headers"))
			out->components = value;
		else if (!strcmp(name, "signature"))
			out->value = value;
		else if (!time_param_ok(name, value, out))
			bad = true;
	}
	if (bad || !out->key_id || !*out->key_id || !out->value || !*out->value)
		return FED_SIG_MALFORMED;
	if (!out->components || !*out->components)
		out->components = "date"; /* the draft's default */
	return FED_SIG_OK;
}

/* The member labelled label of a 9421 dictionary header ("sig1=..."),
 * up to the next member; the first member when label is NULL. Its label
 * in *found. NULL when there is none. */
static const char *dict_member(arena *a, const char *h, const char *label,
			       const char **found)
{
	const char *p = h;
	while (*p) {
		p += strspn(p, " ,");
		size_t n = strcspn(p, "=");
		if (!p[n] || !n)
			return NULL;
		/* the member ends at a comma outside quotes, parentheses
		 * and byte sequences */
		const char *v = p + n + 1, *e = v;
		bool quoted = false, bytes = false;
		int depth = 0;
		for (; *e; e++) {
			if (*e == '\\' && quoted && e[1])
				e++;
			else if (*e == '"' && !bytes)
				quoted = !quoted;
			else if (*e == ':' && !quoted)
				bytes = !bytes;
			else if (!quoted && !bytes && *e == '(')
				depth++;
			else if (!quoted && !bytes && *e == ')')
				depth--;
			else if (!quoted && !bytes && !depth && *e == ',')
				break;
		}
		if (!label || (strlen(label) == n && !strncmp(p, label, n))) {
			*found = arena_strndup(a, p, n);
			const char *m = arena_strndup(a, v, (size_t)(e - v));
			return m;
		}
		p = e;
	}
	return NULL;
}

static fed_verdict find_rfc9421(arena *a, const char *input, const char *sig,
				fed_signature *out)
{
	const char *label;
	const char *member = dict_member(a, input, NULL, &label);
	if (!member || member[0] != '(' || !strchr(member, ')'))
		return FED_SIG_MALFORMED;
	out->rfc9421 = true;
	out->components = member; /* the list and its parameters, as sent */
	const char *p = strchr(member, ')') + 1, *name, *value;
	bool bad = false;
	while (*p == ';' && next_param(a, &p, ';', &name, &value, &bad)) {
		if (!strcmp(name, "keyid"))
			out->key_id = value;
		else if (!strcmp(name, "alg"))
			out->algorithm = value;
		else if (!time_param_ok(name, value, out))
			bad = true;
	}
	if (bad || *p || !out->key_id || !*out->key_id)
		return FED_SIG_MALFORMED;
	const char *found;
	const char *bytes = dict_member(a, sig, label, &found);
	size_t n = bytes ? strlen(bytes) : 0;
	if (n < 3 || bytes[0] != ':' || bytes[n - 1] != ':')
		return FED_SIG_MALFORMED;
	out->value = arena_strndup(a, bytes + 1, n - 2);
	return FED_SIG_OK;
}

fed_verdict fed_signature_find(arena *a, const fed_request *rq,
			       fed_signature *out)
{
	memset(out, 0, sizeof *out);
	const char *sig = rq->header(rq->ctx, "Signature");
	const char *input = rq->header(rq->ctx, "Signature-Input");
	if (!sig || !*sig)
		return FED_SIG_NONE;
	if (strlen(sig) > SIGNATURE_MAX ||
	    (input && strlen(input) > SIGNATURE_MAX))
		return FED_SIG_MALFORMED;
	return input ? find_rfc9421(a, input, sig, out)
		     : find_cavage(a, sig, out);
}

/* ---- what is signed ---- */

/* A header's value with the spaces around it gone. */
static const char *header_value(arena *a, const fed_request *rq,
				const char *name)
{
	const char *v = rq->header(rq->ctx, name);
	if (!v)
		return NULL;
	v += strspn(v, " \t");
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return arena_strndup(a, v, n);
}

static const char *lowercase(arena *a, const char *s, size_t n)
{
	char *out = arena_strndup(a, s, n);
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

/* draft-cavage's signing string of the listed headers, or NULL when one
 * is missing. */
static const char *cavage_string(arena *a, const fed_request *rq,
				 const char *headers, const fed_signature *sig)
{
	buf b;
	buf_init(&b, a);
	for (const char *p = headers; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		const char *name = lowercase(a, p, n);
		p += n;
		if (b.len)
			buf_putc(&b, '\n');
		if (!strcmp(name, "(request-target)")) {
			buf_printf(&b, "(request-target): %s %s",
				   lowercase(a, rq->method, strlen(rq->method)),
				   rq->target);
		} else if (!strcmp(name, "(created)") && sig && sig->created) {
			buf_printf(&b, "(created): %lld",
				   (long long)sig->created);
		} else if (!strcmp(name, "(expires)") && sig && sig->expires) {
			buf_printf(&b, "(expires): %lld",
				   (long long)sig->expires);
		} else {
			const char *v = name[0] == '('
						? NULL
						: header_value(a, rq, name);
			if (!v)
				return NULL;
			buf_printf(&b, "%s: %s", name, v);
		}
	}
	return b.len ? b.data : NULL;
}

/* Whether the space-separated list has the word. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strcasestr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	return false;
}

/* The value of a 9421 derived component, or NULL when unknown. */
static const char *derived(arena *a, const fed_request *rq, const char *name)
{
	size_t path = strcspn(rq->target, "?");
	if (!strcmp(name, "@method"))
		return rq->method;
	if (!strcmp(name, "@target-uri"))
		return arena_printf(a, "%s%s", rq->base, rq->target);
	if (!strcmp(name, "@request-target"))
		return rq->target;
	if (!strcmp(name, "@path"))
		return arena_strndup(a, rq->target, path);
	if (!strcmp(name, "@query"))
		return rq->target[path] ? rq->target + path : "?";
	if (!strcmp(name, "@authority") || !strcmp(name, "@scheme")) {
		const char *host = strstr(rq->base, "://");
		if (!host)
			return NULL;
		return !strcmp(name, "@scheme")
			       ? lowercase(a, rq->base,
					   (size_t)(host - rq->base))
			       : lowercase(a, host + 3, strlen(host + 3));
	}
	return NULL;
}

/* RFC 9421's signature base for sig's components, or NULL when one is
 * missing or cannot be read. *names receives the components, space-
 * separated, for the coverage check. */
static const char *rfc9421_base(arena *a, const fed_request *rq,
				const fed_signature *sig, const char **names)
{
	buf b, list;
	buf_init(&b, a);
	buf_init(&list, a);
	const char *p = sig->components + 1; /* after "(" */
	for (;;) {
		p += strspn(p, " ");
		if (*p == ')')
			break;
		if (*p != '"')
			return NULL;
		const char *end = strchr(p + 1, '"');
		/* a component with parameters (";sf", ";key") is not read */
		if (!end || (end[1] != ' ' && end[1] != ')'))
			return NULL;
		const char *name = lowercase(a, p + 1, (size_t)(end - p - 1));
		p = end + 1;
		const char *v = name[0] == '@' ? derived(a, rq, name)
					       : header_value(a, rq, name);
		if (!v)
			return NULL;
		buf_printf(&b, "\"%s\": %s\n", name, v);
		buf_printf(&list, " %s", name);
	}
	buf_printf(&b, "\"@signature-params\": %s", sig->components);
	*names = list.len ? list.data : "";
	return b.data;
}

/* ---- checking and signing ---- */

static bool algorithm_known(const fed_signature *sig)
{
	if (!sig->algorithm)
		return true;
	return sig->rfc9421 ? !strcmp(sig->algorithm, "rsa-v1_5-sha256")
			    : !strcasecmp(sig->algorithm, "rsa-sha256") ||
				      !strcasecmp(sig->algorithm, "hs2019");
}

fed_verdict fed_signature_check(arena *a, const fed_request *rq,
				const fed_signature *sig, const void *body,
				size_t len, const char *public_pem,
				int64_t now_ms)
{
	int64_t now_s = now_ms / 1000;
	const char *signed_text, *covered;
	const char *digest_header = sig->rfc9421 ? "content-digest" : "digest";
	if (sig->rfc9421) {
		signed_text = rfc9421_base(a, rq, sig, &covered);
		if (!signed_text)
			return FED_SIG_MALFORMED;
		if (!has_word(covered, "@method") ||
		    !has_word(covered, "@target-uri") || !sig->created)
			return FED_SIG_INCOMPLETE;
	} else {
		covered = sig->components;
		if (!has_word(covered, "(request-target)") ||
		    (!has_word(covered, "date") &&
		     !has_word(covered, "(created)")))
			return FED_SIG_INCOMPLETE;
		signed_text = cavage_string(a, rq, covered, sig);
		if (!signed_text)
			return FED_SIG_MALFORMED;
	}
	if (len && !has_word(covered, digest_header))
		return FED_SIG_INCOMPLETE;
	/* a request signed for another server is not one for us, whoever
	 * replays it here */
	if (!sig->rfc9421 && has_word(covered, "host") && rq->base) {
		const char *host = header_value(a, rq, "host");
		const char *ours = strstr(rq->base, "://");
		ours = ours ? ours + 3 : rq->base;
		size_t n = strcspn(ours, "/");
		if (!host || strlen(host) != n || strncasecmp(host, ours, n))
			return FED_SIG_WRONG_HOST;
	}
	/* every date the request carries is in the window */
	int64_t date;
	const char *date_header = header_value(a, rq, "date");
	if (has_word(covered, "date") &&
	    (!date_header || !parse_http_date(date_header, &date) ||
	     !in_window(date, now_s)))
		return FED_SIG_STALE;
	if ((sig->created && !in_window(sig->created, now_s)) ||
	    (sig->expires && sig->expires < now_s))
		return FED_SIG_STALE;
	if (has_word(covered, digest_header)) {
		const char *d = header_value(a, rq, digest_header);
		if (!d || !digest_matches(a, d, body ? body : "", len))
			return FED_SIG_DIGEST;
	}
	if (!algorithm_known(sig) ||
	    !fed_verify(public_pem, signed_text, strlen(signed_text),
			sig->value))
		return FED_SIG_INVALID;
	return FED_SIG_OK;
}

const char *fed_sign_request(arena *a, const fed_request *rq,
			     const char *headers, const char *key_id,
			     const char *private_pem)
{
	const char *text = cavage_string(a, rq, headers, NULL);
	const char *sig =
		text ? fed_sign(a, private_pem, text, strlen(text)) : NULL;
	if (!sig)
		return NULL;
	return arena_printf(a,
			    "keyId=\"%s\",algorithm=\"rsa-sha256\","
			    "headers=\"%s\",signature=\"%s\"",
			    key_id, headers, sig);
}
