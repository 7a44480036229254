/* json_scan.c — see json_scan.h. One pass, no recursion: the containers
 * open are a stack of bits (object or array). */
#include "core/json_scan.h"

#include <stdint.h>
#include <string.h>

typedef struct scanner {
	const unsigned char *p, *end;
} scanner;

static void skip_ws(scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool hex4(const unsigned char *p, const unsigned char *end,
		 unsigned *out)
{
	if (end - p < 4)
		return false;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
						    : 16u;
		if (d > 15)
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* One escape after its backslash, at s->p: past it. */
static bool escape(scanner *s)
{
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't': s->p++; return true;
	case 'u': break;
	default: return false;
	}
	unsigned u, lo;
	if (!hex4(s->p + 1, s->end, &u) || u == 0)
		return false;
	s->p += 5;
	if (u >= 0xDC00 && u <= 0xDFFF)
		return false; /* a low surrogate alone */
	if (u < 0xD800 || u > 0xDBFF)
		return true;
	/* a high surrogate: its low one must follow */
	if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
	    !hex4(s->p + 2, s->end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
		return false;
	s->p += 6;
	return true;
}

/* One UTF-8 character of two bytes or more at s->p: past it. Overlong
 * forms, surrogates and code points past U+10FFFF are refused. */
static bool utf8(scanner *s)
{
	const unsigned char *p = s->p;
	unsigned char c = *p;
	size_t more;
	unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
	if (c >= 0xC2 && c <= 0xDF)
		more = 1;
	else if (c >= 0xE0 && c <= 0xEF) {
		more = 2;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		more = 3;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return false;
	if ((size_t)(s->end - p) <= more || p[1] < lo || p[1] > hi)
		return false;
	for (size_t i = 2; i <= more; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return false;
	s->p = p + more + 1;
	return true;
}

/* A string at s->p (its opening quote): past it, *escaped whether it had
 * an escape. */
static bool string(scanner *s, bool *escaped)
{
	*escaped = false;
	s->p++;
	while (s->p < s->end) {
		unsigned char c = *s->p;
		if (c == '"') {
			s->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			*escaped = true;
			s->p++;
			if (!escape(s))
				return false;
		} else if (c < 0x80) {
			s->p++;
		} else if (!utf8(s)) {
			return false;
		}
	}
	return false;
}

static bool digits(scanner *s)
{
	const unsigned char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number(scanner *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return false;
	if (*s->p == '0') {
		s->p++;
		if (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			return false;
	} else if (!digits(s)) {
		return false;
	}
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits(s))
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digits(s))
			return false;
	}
	return true;
}

static bool literal(scanner *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return false;
	s->p += n;
	return true;
}

json_scan_result json_scan_object(const char *text, size_t n,
				  json_scan_member *m, size_t nm)
{
	scanner s = {(const unsigned char *)text,
		     (const unsigned char *)text + n};
	unsigned char arrays[JSON_SCAN_DEPTH_MAX / 8] = {0}; /* bit: an array */
	int depth = 0;
	const unsigned char *names[JSON_SCAN_NAMES_MAX];
	size_t name_len[JSON_SCAN_NAMES_MAX], nnames = 0;
	bool unsure = false, escaped;
	json_scan_member *member = NULL; /* the one whose value comes next */
	for (size_t i = 0; i < nm; i++)
		m[i].kind = JSON_SCAN_ABSENT;
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return JSON_SCAN_BAD;
	goto value;

member_name: /* inside an object, after '{' or ',' */
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '"')
		return JSON_SCAN_BAD;
	const unsigned char *name = s.p + 1;
	if (!string(&s, &escaped))
		return JSON_SCAN_BAD;
	if (depth == 1) {
		size_t len = (size_t)(s.p - 1 - name);
		if (escaped || nnames == JSON_SCAN_NAMES_MAX) {
			unsure = true;
		} else {
			for (size_t i = 0; i < nnames; i++)
				if (name_len[i] == len &&
				    !memcmp(names[i], name, len))
					return JSON_SCAN_BAD; /* twice */
			names[nnames] = name;
			name_len[nnames++] = len;
			for (size_t i = 0; i < nm; i++)
				if (strlen(m[i].name) == len &&
				    !memcmp(m[i].name, name, len))
					member = &m[i];
		}
	}
	skip_ws(&s);
	if (s.p >= s.end || *s.p != ':')
		return JSON_SCAN_BAD;
	s.p++;

value:
	skip_ws(&s);
	if (s.p >= s.end)
		return JSON_SCAN_BAD;
	const unsigned char *start = s.p;
	bool plain = false;
	switch (*s.p) {
	case '{':
	case '[':
		if (depth == JSON_SCAN_DEPTH_MAX)
			return JSON_SCAN_BAD;
		if (*s.p == '[')
			arrays[depth / 8] |= (unsigned char)(1u << depth % 8);
		else
			arrays[depth / 8] &= (unsigned char)~(1u << depth % 8);
		bool array = *s.p == '[';
		depth++;
		s.p++;
		skip_ws(&s);
		if (s.p < s.end && *s.p == (array ? ']' : '}')) {
			s.p++;
			depth--;
			break;
		}
		if (array)
			goto value;
		goto member_name;
	case '"':
		if (!string(&s, &escaped))
			return JSON_SCAN_BAD;
		plain = !escaped;
		break;
	case 't':
		if (!literal(&s, "true"))
			return JSON_SCAN_BAD;
		break;
	case 'f':
		if (!literal(&s, "false"))
			return JSON_SCAN_BAD;
		break;
	case 'n':
		if (!literal(&s, "null"))
			return JSON_SCAN_BAD;
		break;
	default:
		if (*s.p != '-' && (*s.p < '0' || *s.p > '9'))
			return JSON_SCAN_BAD;
		if (!number(&s))
			return JSON_SCAN_BAD;
	}

after: /* a value ended, at depth: the containers still open */
	if (depth == 1 && member) {
		member->kind = plain ? JSON_SCAN_STRING : JSON_SCAN_OTHER;
		member->at = plain ? (const char *)start + 1 : NULL;
		member->len = plain ? (size_t)(s.p - start - 2) : 0;
		member = NULL;
	}
	skip_ws(&s);
	if (depth == 0)
		return s.p < s.end ? JSON_SCAN_BAD
		       : unsure	   ? JSON_SCAN_UNSURE
				   : JSON_SCAN_OK;
	if (s.p >= s.end)
		return JSON_SCAN_BAD;
	bool in_array = arrays[(depth - 1) / 8] >> (depth - 1) % 8 & 1;
	if (*s.p == ',') {
		s.p++;
		if (in_array)
			goto value;
		goto member_name;
	}
	if (*s.p != (in_array ? ']' : '}'))
		return JSON_SCAN_BAD;
	s.p++;
	depth--;
	plain = false;
	goto after;
}
