/* text.c — status text: UTF-8 checks, entity scanning, tag keys, counting
 * and Mastodon-shaped HTML.
 *
 * One scanner (text_next_match) finds URLs, mentions and hashtags; parsing,
 * counting and rendering all go through it so the three can never disagree
 * about where an entity is. Offsets are bytes; Unicode classes come from
 * utf8proc. */
#include "text/text.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* Mastodon's limits. */
enum {
	TEXT_TAG_MAX_CODEPOINTS = 100,	/* a longer name is not a hashtag */
	TEXT_URL_SHOWN_CODEPOINTS = 30, /* visible part of a link */
};

/* Code points the scanner and the tag key treat specially. */
enum {
	TEXT_NO_CP = -1,	      /* "before the start of the text" */
	TEXT_REPLACEMENT_CP = 0xFFFD, /* stands in for a malformed byte */
	/* Allowed inside a hashtag name, but not at either end. */
	TEXT_MIDDLE_DOT = 0x00B7,
	TEXT_KATAKANA_MIDDLE_DOT = 0x30FB,
	TEXT_ZWNJ = 0x200C,
	/* Another at sign right after a mention voids it (twitter-text). */
	TEXT_FULLWIDTH_AT = 0xFF20,
	/* Latin bases: everything below U+0250, plus Latin Extended
	 * Additional. Their diacritics fold away in tag keys. */
	TEXT_LATIN_LIMIT = 0x0250,
	TEXT_LATIN_EXT_ADD_FIRST = 0x1E00,
	TEXT_LATIN_EXT_ADD_LAST = 0x1EFF,
	/* Combining Diacritical Marks block. */
	TEXT_COMBINING_FIRST = 0x0300,
	TEXT_COMBINING_LAST = 0x036F,
	/* twitter-text's "latin accents" start at U+00C0, minus × and ÷. */
	TEXT_LATIN1_FIRST = 0x00C0,
	TEXT_LATIN1_TIMES = 0x00D7,
	TEXT_LATIN1_DIVIDE = 0x00F7,
};

/* UTF-8 encoding of U+FF03 FULLWIDTH NUMBER SIGN, which opens a hashtag. */
static const char TEXT_FULLWIDTH_HASH[] = "\xEF\xBC\x83";
/* Characters trimmed off the end of a URL, as sentence punctuation. */
static const char TEXT_URL_TRAILING_PUNCT[] = ".,;:!?'\"";
/* Bytes left as they are in a hashtag href; the rest are percent-encoded. */
static const char TEXT_HREF_SAFE_PUNCT[] = "_.~-";

typedef enum text_scan_kinds {
	TEXT_SCAN_URLS = 1 << 0,
	TEXT_SCAN_MENTIONS = 1 << 1,
	TEXT_SCAN_HASHTAGS = 1 << 2,
	TEXT_SCAN_ALL =
		TEXT_SCAN_URLS | TEXT_SCAN_MENTIONS | TEXT_SCAN_HASHTAGS,
} text_scan_kinds;

/* One entity found by the scanner, as byte offsets into the source. */
typedef struct text_match {
	text_entity_kind kind;
	size_t start, len;		 /* whole entity, '#'/'@' included */
	size_t value_start, value_len;	 /* URL, tag name or user name */
	size_t domain_start, domain_len; /* mention host; len 0 when local */
} text_match;

/* ---- UTF-8 ------------------------------------------------------------ */

/* UTF-8 lead and continuation byte shapes (Unicode 15, table 3-7). */
enum {
	UTF8_ASCII_END = 0x80,
	UTF8_CONT_MASK = 0xC0,
	UTF8_CONT_TAG = 0x80,
	UTF8_CONT_MIN = 0x80,
	UTF8_CONT_MAX = 0xBF,
	UTF8_LEAD2_MIN = 0xC2, /* C0 and C1 would only start overlongs */
	UTF8_LEAD2_MAX = 0xDF,
	UTF8_LEAD3_MIN = 0xE0,
	UTF8_LEAD3_MAX = 0xEF,
	UTF8_E0_CONT_MIN = 0xA0, /* E0 80..9F would be overlong */
	UTF8_SURROGATE_LEAD = 0xED,
	UTF8_ED_CONT_MAX = 0x9F, /* ED A0..BF would be a surrogate */
	UTF8_LEAD4_MIN = 0xF0,
	UTF8_LEAD4_MAX = 0xF4,
	UTF8_F0_CONT_MIN = 0x90, /* F0 80..8F would be overlong */
	UTF8_F4_CONT_MAX = 0x8F, /* F4 90.. would be above U+10FFFF */
	UTF8_MAX_BYTES = 4,
};

/* Length of the well-formed, non-NUL sequence starting u[0..n), n > 0;
 * 0 when the bytes there are not one. */
static size_t text_utf8_seq_len(const unsigned char *u, size_t n)
{
	unsigned char lead = u[0];
	if (lead == 0)
		return 0;
	if (lead < UTF8_ASCII_END)
		return 1;

	unsigned char lo = UTF8_CONT_MIN, hi = UTF8_CONT_MAX;
	size_t len;
	if (lead >= UTF8_LEAD2_MIN && lead <= UTF8_LEAD2_MAX) {
		len = 2;
	} else if (lead >= UTF8_LEAD3_MIN && lead <= UTF8_LEAD3_MAX) {
		len = 3;
		if (lead == UTF8_LEAD3_MIN)
			lo = UTF8_E0_CONT_MIN;
		if (lead == UTF8_SURROGATE_LEAD)
			hi = UTF8_ED_CONT_MAX;
	} else if (lead >= UTF8_LEAD4_MIN && lead <= UTF8_LEAD4_MAX) {
		len = 4;
		if (lead == UTF8_LEAD4_MIN)
			lo = UTF8_F0_CONT_MIN;
		if (lead == UTF8_LEAD4_MAX)
			hi = UTF8_F4_CONT_MAX;
	} else {
		return 0;
	}
	if (n < len || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((u[k] & UTF8_CONT_MASK) != UTF8_CONT_TAG)
			return 0;
	return len;
}

bool text_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t len = text_utf8_seq_len(u + i, n - i);
		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

/* Decode the code point at s[i] (i < n) into *cp and return its length in
 * bytes. A malformed byte reads as U+FFFD of length 1, so every loop over
 * text advances even on input its caller forgot to validate. */
static size_t text_decode(const char *s, size_t n, size_t i, int32_t *cp)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t len = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						(utf8proc_ssize_t)(n - i), &c);
	if (len <= 0) {
		*cp = TEXT_REPLACEMENT_CP;
		return 1;
	}
	*cp = c;
	return (size_t)len;
}

/* The code point that ends just before s[i], or TEXT_NO_CP when i is 0. */
static int32_t text_cp_before(const char *s, size_t i)
{
	if (i == 0)
		return TEXT_NO_CP;
	size_t j = i - 1;
	while (j > 0 && i - j < UTF8_MAX_BYTES &&
	       ((unsigned char)s[j] & UTF8_CONT_MASK) == UTF8_CONT_TAG)
		j--;
	int32_t cp;
	if (j + text_decode(s, i, j, &cp) != i)
		return TEXT_REPLACEMENT_CP;
	return cp;
}

size_t text_code_points_prefix(const char *s, size_t n, size_t max)
{
	size_t pos = 0;
	int32_t cp;
	for (size_t k = 0; k < max && pos < n; k++)
		pos += text_decode(s, n, pos, &cp);
	return pos;
}

size_t text_code_points(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* ---- character classes ------------------------------------------------ */

/* Letters, marks and decimal digits: what words are made of, for hashtags
 * and search alike. */
static bool text_is_alnum_category(utf8proc_category_t c)
{
	switch (c) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND: return true;
	default: return false;
	}
}

/* Regex \w in Unicode (Ruby's [[:word:]]): letters, marks, decimal digits
 * and connector punctuation such as '_'. */
static bool text_is_word(int32_t cp)
{
	if (cp < 0)
		return false;
	utf8proc_category_t c = utf8proc_category(cp);
	return text_is_alnum_category(c) || c == UTF8PROC_CATEGORY_PC;
}

static bool text_is_mark(int32_t cp)
{
	if (cp < 0)
		return false;
	utf8proc_category_t cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
	       cat == UTF8PROC_CATEGORY_ME;
}

static bool text_is_digit(int32_t cp)
{
	return cp >= 0 && utf8proc_category(cp) == UTF8PROC_CATEGORY_ND;
}

/* Unicode white space and control characters (tab, newline, NEL...). */
static bool text_is_space(int32_t cp)
{
	if (cp < 0)
		return false;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
	case UTF8PROC_CATEGORY_CC: return true;
	default: return false;
	}
}

/* Separators allowed inside, but not around, a hashtag name. */
static bool text_is_tag_separator(int32_t cp)
{
	return cp == TEXT_MIDDLE_DOT || cp == TEXT_KATAKANA_MIDDLE_DOT ||
	       cp == TEXT_ZWNJ;
}

/* A base letter whose U+0300..U+036F marks the tag key folds away. */
static bool text_is_latin_base(int32_t cp)
{
	return (cp >= 0 && cp < TEXT_LATIN_LIMIT) ||
	       (cp >= TEXT_LATIN_EXT_ADD_FIRST &&
		cp <= TEXT_LATIN_EXT_ADD_LAST);
}

static bool text_is_combining_diacritic(int32_t cp)
{
	return cp >= TEXT_COMBINING_FIRST && cp <= TEXT_COMBINING_LAST;
}

/* twitter-text's latin_accents: a mention directly followed by one of these
 * is a mangled word, not a mention. */
static bool text_is_latin_accent(int32_t cp)
{
	if (cp == TEXT_LATIN1_TIMES || cp == TEXT_LATIN1_DIVIDE)
		return false;
	return (cp >= TEXT_LATIN1_FIRST && cp < TEXT_LATIN_LIMIT) ||
	       text_is_combining_diacritic(cp) ||
	       (cp >= TEXT_LATIN_EXT_ADD_FIRST &&
		cp <= TEXT_LATIN_EXT_ADD_LAST);
}

static bool text_is_ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Ruby String#strip's white space: NUL, \t, \n, \v, \f, \r and space. */
static bool text_is_strip_space(char c)
{
	return c == ' ' || c == '\0' || (c >= '\t' && c <= '\r');
}

/* ---- URLs ------------------------------------------------------------- */

/* Length of a case-insensitive "http://" or "https://" opening s[0..n),
 * or 0 when there is none. */
static size_t text_url_scheme_len(const char *s, size_t n)
{
	static const char *const schemes[] = {"https://", "http://"};
	for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
		size_t len = strlen(schemes[k]);
		if (n >= len && strncasecmp(s, schemes[k], len) == 0)
			return len;
	}
	return 0;
}

/* True for a code point that cannot be part of a URL at all. */
static bool text_ends_url(int32_t cp)
{
	return text_is_space(cp) || cp == '<' || cp == '>' || cp == '"';
}

/* Length of url[0..len) once sentence punctuation and a closing paren
 * that has no opening partner are trimmed off its end. */
static size_t text_url_trim(const char *url, size_t len)
{
	size_t opens = 0, closes = 0;
	for (size_t k = 0; k < len; k++) {
		opens += url[k] == '(';
		closes += url[k] == ')';
	}
	while (len > 0) {
		char last = url[len - 1];
		if (last != '\0' && strchr(TEXT_URL_TRAILING_PUNCT, last)) {
			len--;
		} else if (last == ')' && closes > opens) {
			closes--;
			len--;
		} else {
			break;
		}
	}
	return len;
}

/* A URL starting at s[at]: a scheme at a word boundary, a host starting
 * with a word character, then anything up to white space or <, >, ".
 * A run longer than TEXT_URL_MAX_BYTES is not one (and is not walked
 * further, so a rejected candidate costs a bounded scan). */
static bool text_match_url(const char *s, size_t n, size_t at, text_match *m)
{
	if (text_is_word(text_cp_before(s, at)))
		return false;
	size_t scheme = text_url_scheme_len(s + at, n - at);
	if (scheme == 0 || at + scheme >= n)
		return false;

	size_t pos = at + scheme;
	int32_t cp;
	text_decode(s, n, pos, &cp);
	if (!text_is_word(cp))
		return false;
	while (pos < n) {
		size_t len = text_decode(s, n, pos, &cp);
		if (text_ends_url(cp))
			break;
		pos += len;
		if (pos - at > TEXT_URL_MAX_BYTES)
			return false;
	}
	*m = (text_match){.kind = TEXT_URL, .start = at};
	m->len = text_url_trim(s + at, pos - at);
	m->value_start = at;
	m->value_len = m->len;
	return true;
}

/* ---- mentions --------------------------------------------------------- */

static bool text_is_user_char(char c)
{
	return text_is_ascii_alnum(c) || c == '_';
}

/* End of a user name [A-Za-z0-9_]+([.-]+[A-Za-z0-9_]+)* starting at s[i];
 * i itself when there is none. */
static size_t text_user_end(const char *s, size_t n, size_t i)
{
	size_t end = i;
	for (size_t pos = i; pos < n; pos++) {
		char c = s[pos];
		if (text_is_user_char(c))
			end = pos + 1;
		else if ((c != '.' && c != '-') || pos == i)
			break;
	}
	return end;
}

/* End of a host \w+([.-]+\w+)* starting at s[i]; i when there is none
 * or when it is longer than TEXT_DOMAIN_MAX_BYTES. */
static size_t text_host_end(const char *s, size_t n, size_t i)
{
	size_t end = i, pos = i;
	while (pos < n) {
		int32_t cp;
		size_t len = text_decode(s, n, pos, &cp);
		if (text_is_word(cp))
			end = pos + len;
		else if ((cp != '.' && cp != '-') || pos == i)
			break;
		pos += len;
		if (end - i > TEXT_DOMAIN_MAX_BYTES)
			return i;
	}
	return end;
}

/* Whether what follows a mention ending at s[end] voids it, as
 * twitter-text's end_mention_match does: another '@', a Latin accent
 * (a word cut in two) or "://" (a URL's scheme). */
static bool text_mention_cut_short(const char *s, size_t n, size_t end)
{
	static const char url_sep[] = "://";
	if (end >= n)
		return false;
	if (n - end >= strlen(url_sep) &&
	    memcmp(s + end, url_sep, strlen(url_sep)) == 0)
		return true;
	int32_t cp;
	text_decode(s, n, end, &cp);
	return cp == '@' || cp == TEXT_FULLWIDTH_AT || text_is_latin_accent(cp);
}

/* A mention @user or @user@host at s[at] == '@', not glued to a word, '='
 * or '/' before it (so e-mail addresses and URL paths are left alone). */
static bool text_match_mention(const char *s, size_t n, size_t at,
			       text_match *m)
{
	int32_t before = text_cp_before(s, at);
	if (text_is_word(before) || before == '=' || before == '/')
		return false;
	size_t user = at + 1;
	size_t user_end = text_user_end(s, n, user);
	if (user_end == user)
		return false;

	size_t end = user_end, host = 0, host_end = 0;
	if (user_end < n && s[user_end] == '@') {
		host = user_end + 1;
		host_end = text_host_end(s, n, host);
		/* a port, as handles on one machine have (127.0.0.1:8081) */
		size_t digits = 0;
		if (host_end > host && host_end < n && s[host_end] == ':')
			while (host_end + 1 + digits < n && digits < 6 &&
			       s[host_end + 1 + digits] >= '0' &&
			       s[host_end + 1 + digits] <= '9')
				digits++;
		if (digits >= 1 && digits <= 5)
			host_end += 1 + digits;
		if (host_end > host)
			end = host_end;
	}
	if (text_mention_cut_short(s, n, end))
		return false;

	*m = (text_match){.kind = TEXT_MENTION, .start = at};
	m->len = end - at;
	m->value_start = user;
	m->value_len = user_end - user;
	if (end == host_end) {
		m->domain_start = host;
		m->domain_len = host_end - host;
	}
	return true;
}

/* ---- hashtags --------------------------------------------------------- */

/* Length in bytes of the hashtag name starting at s[i], or 0 when none
 * starts there. The name is word characters and inner separators, holds
 * a non-digit, and is at most TEXT_TAG_MAX_CODEPOINTS long; separators
 * trailing the name are left out of it. */
static size_t text_tag_name_len(const char *s, size_t n, size_t i)
{
	size_t pos = i, end = i, cps = 0, kept_cps = 0;
	bool non_digit = false, separator_inside = false;
	while (pos < n) {
		int32_t cp;
		size_t len = text_decode(s, n, pos, &cp);
		bool separator = text_is_tag_separator(cp);
		if (separator && pos == i)
			return 0;
		if (!separator && !text_is_word(cp))
			break;
		pos += len;
		cps++;
		if (separator) {
			separator_inside = true;
			continue;
		}
		non_digit |= separator_inside || !text_is_digit(cp);
		end = pos;
		kept_cps = cps;
	}
	if (end == i || !non_digit || kept_cps > TEXT_TAG_MAX_CODEPOINTS)
		return 0;
	return end - i;
}

/* Byte length of the '#' or '＃' opening a hashtag at s[at], or 0. */
static size_t text_hash_sign_len(const char *s, size_t n, size_t at)
{
	size_t wide = strlen(TEXT_FULLWIDTH_HASH);
	if (s[at] == '#')
		return 1;
	if (n - at >= wide && memcmp(s + at, TEXT_FULLWIDTH_HASH, wide) == 0)
		return wide;
	return 0;
}

/* A hashtag at s[at]: a hash sign not glued to a word, '/', ')', '=' or
 * '&' before it (URL fragments, "a#b", "&#39;"), then a tag name. */
static bool text_match_hashtag(const char *s, size_t n, size_t at,
			       text_match *m)
{
	size_t sign = text_hash_sign_len(s, n, at);
	if (sign == 0)
		return false;
	int32_t before = text_cp_before(s, at);
	if (text_is_word(before) || before == '/' || before == ')' ||
	    before == '=' || before == '&')
		return false;
	size_t name = text_tag_name_len(s, n, at + sign);
	if (name == 0)
		return false;
	*m = (text_match){.kind = TEXT_HASHTAG, .start = at};
	m->len = sign + name;
	m->value_start = at + sign;
	m->value_len = name;
	return true;
}

/* ---- scanning --------------------------------------------------------- */

/* The first entity of one of kinds starting at or after s[from]. At one
 * position a URL wins over a mention over a hashtag; the caller resumes
 * after the match, so entities never overlap. */
static bool text_next_match(const char *s, size_t n, size_t from,
			    unsigned kinds, text_match *m)
{
	for (size_t i = from; i < n; i++) {
		char c = s[i];
		if ((kinds & TEXT_SCAN_URLS) && (c == 'h' || c == 'H') &&
		    text_match_url(s, n, i, m))
			return true;
		if ((kinds & TEXT_SCAN_MENTIONS) && c == '@' &&
		    text_match_mention(s, n, i, m))
			return true;
		if ((kinds & TEXT_SCAN_HASHTAGS) &&
		    text_match_hashtag(s, n, i, m))
			return true;
	}
	return false;
}

static void text_entity_from_match(arena *a, const char *s, const text_match *m,
				   text_entity *e)
{
	*e = (text_entity){.kind = m->kind, .start = m->start, .len = m->len};
	e->value = arena_strndup(a, s + m->value_start, m->value_len);
	if (m->domain_len > 0)
		e->domain =
			arena_strndup(a, s + m->domain_start, m->domain_len);
	if (m->kind == TEXT_HASHTAG) {
		e->key = text_tag_key(a, s + m->value_start, m->value_len);
		assert(e->key); /* the scanner only accepts valid names */
	}
}

void text_parse(arena *a, const char *s, size_t n, text_parsed *out)
{
	text_match m;
	size_t count = 0;
	for (size_t pos = 0; text_next_match(s, n, pos, TEXT_SCAN_ALL, &m);
	     pos = m.start + m.len)
		count++;

	*out = (text_parsed){0};
	if (count == 0)
		return;
	out->items = arena_alloc(a, count * sizeof *out->items);
	for (size_t pos = 0; text_next_match(s, n, pos, TEXT_SCAN_ALL, &m);
	     pos = m.start + m.len)
		text_entity_from_match(a, s, &m, &out->items[out->count++]);
}

/* ---- tag keys --------------------------------------------------------- */

/* utf8proc_map into arena memory; NULL when utf8proc refuses the input. */
static char *text_map(arena *a, const char *s, size_t n, int options)
{
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t len =
		utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n,
			     &mapped, (utf8proc_option_t)options);
	if (len < 0)
		return NULL;
	char *copy = arena_strndup(a, (const char *)mapped, (size_t)len);
	free(mapped);
	return copy;
}

/* s decomposed, with U+0300..U+036F removed wherever they sit on a Latin
 * base; other scripts' marks (Devanagari, Arabic, Thai) stay. */
static char *text_drop_latin_diacritics(arena *a, const char *s)
{
	char *nfd =
		text_map(a, s, strlen(s), UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
	if (!nfd)
		return NULL;
	size_t n = strlen(nfd), out = 0;
	bool latin_base = false;
	for (size_t pos = 0; pos < n;) {
		int32_t cp;
		size_t len = text_decode(nfd, n, pos, &cp);
		if (!text_is_mark(cp))
			latin_base = text_is_latin_base(cp);
		if (!(latin_base && text_is_combining_diacritic(cp))) {
			memmove(nfd + out, nfd + pos, len);
			out += len;
		}
		pos += len;
	}
	nfd[out] = '\0';
	return nfd;
}

char *text_tag_key(arena *a, const char *name, size_t n)
{
	if (n == 0 || !text_utf8_valid(name, n) ||
	    text_tag_name_len(name, n, 0) != n)
		return NULL;
	char *nfkc =
		text_map(a, name, n,
			 UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
	if (!nfkc)
		return NULL;
	char *folded = text_map(a, nfkc, strlen(nfkc),
				UTF8PROC_STABLE | UTF8PROC_COMPOSE |
					UTF8PROC_CASEFOLD);
	if (!folded)
		return NULL;
	char *plain = text_drop_latin_diacritics(a, folded);
	if (!plain)
		return NULL;
	return text_map(a, plain, strlen(plain),
			UTF8PROC_STABLE | UTF8PROC_COMPOSE);
}

/* ---- search tokens ---------------------------------------------------- */

/* Scripts written without spaces between words, tokenised one character
 * at a time: CJK ideographs (with extensions and compatibility forms),
 * hiragana and katakana. */
enum {
	TEXT_KANA_FIRST = 0x3040, /* hiragana and katakana */
	TEXT_KANA_LAST = 0x30FF,
	TEXT_CJK_EXT_A_FIRST = 0x3400,
	TEXT_CJK_EXT_A_LAST = 0x4DBF,
	TEXT_CJK_FIRST = 0x4E00,
	TEXT_CJK_LAST = 0x9FFF,
	TEXT_CJK_COMPAT_FIRST = 0xF900,
	TEXT_CJK_COMPAT_LAST = 0xFAFF,
	TEXT_CJK_EXT_B_FIRST = 0x20000, /* and the later extensions */
	TEXT_CJK_EXT_LAST = 0x3FFFF,
};

static bool text_is_unspaced(int32_t cp)
{
	return (cp >= TEXT_KANA_FIRST && cp <= TEXT_KANA_LAST) ||
	       (cp >= TEXT_CJK_EXT_A_FIRST && cp <= TEXT_CJK_EXT_A_LAST) ||
	       (cp >= TEXT_CJK_FIRST && cp <= TEXT_CJK_LAST) ||
	       (cp >= TEXT_CJK_COMPAT_FIRST && cp <= TEXT_CJK_COMPAT_LAST) ||
	       (cp >= TEXT_CJK_EXT_B_FIRST && cp <= TEXT_CJK_EXT_LAST);
}

static bool text_is_token_char(int32_t cp)
{
	if (cp < 0 || cp == TEXT_REPLACEMENT_CP)
		return false;
	utf8proc_category_t c = utf8proc_category(cp);
	return text_is_alnum_category(c) || c == UTF8PROC_CATEGORY_NL ||
	       c == UTF8PROC_CATEGORY_NO;
}

/* Fold s[0..n) into out (TEXT_SEARCH_TOKEN_MAX bytes); returns the length
 * written. ASCII, most of any text, takes the short way. */
static size_t text_search_fold(const char *s, size_t n, char *out)
{
	bool ascii = true;
	for (size_t i = 0; i < n && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	size_t len = 0;
	if (ascii) {
		for (; len < n && len < TEXT_SEARCH_TOKEN_MAX; len++) {
			char c = s[len];
			out[len] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a')
							: c;
		}
		return len;
	}
	/* NFKD with case folding, combining diacritics dropped, then NFC */
	utf8proc_uint8_t *nfkd = NULL, *nfc = NULL;
	utf8proc_ssize_t m = utf8proc_map(
		(const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &nfkd,
		(utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPAT |
				    UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD));
	if (m < 0)
		return 0;
	size_t kept = 0;
	for (size_t pos = 0; pos < (size_t)m;) {
		int32_t cp;
		size_t l = text_decode((const char *)nfkd, (size_t)m, pos, &cp);
		if (!text_is_combining_diacritic(cp)) {
			memmove(nfkd + kept, nfkd + pos, l);
			kept += l;
		}
		pos += l;
	}
	m = utf8proc_map(
		nfkd, (utf8proc_ssize_t)kept, &nfc,
		(utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
	free(nfkd);
	if (m < 0)
		return 0;
	/* cut at a code point boundary */
	while (len < (size_t)m) {
		size_t l = text_utf8_seq_len(nfc + len, (size_t)m - len);
		if (l == 0 || len + l > TEXT_SEARCH_TOKEN_MAX)
			break;
		memcpy(out + len, nfc + len, l);
		len += l;
	}
	free(nfc);
	return len;
}

static int text_search_emit(const char *s, size_t start, size_t end,
			    text_token_fn fn, void *ctx)
{
	char folded[TEXT_SEARCH_TOKEN_MAX];
	size_t len = text_search_fold(s + start, end - start, folded);
	return len ? fn(ctx, folded, len, start, end) : 0;
}

/* Whether an ASCII byte is a token character: text_is_token_char's
 * answer for the only ASCII code points in its categories (Lu, Ll, Nd),
 * without a Unicode table lookup; test_text checks every byte. */
static bool text_is_ascii_token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

int text_search_tokens(const char *s, size_t n, text_token_fn fn, void *ctx)
{
	size_t start = 0;
	bool in_token = false;
	for (size_t pos = 0; pos < n;) {
		unsigned char c = (unsigned char)s[pos];
		if (c < 0x80) { /* most of any text: no decoding, no table */
			bool token = text_is_ascii_token_char(c);
			if (in_token && !token) {
				int rc = text_search_emit(s, start, pos, fn,
							  ctx);
				if (rc)
					return rc;
				in_token = false;
			} else if (!in_token && token) {
				start = pos;
				in_token = true;
			}
			pos++;
			continue;
		}
		int32_t cp;
		size_t len = text_decode(s, n, pos, &cp);
		bool unspaced = text_is_unspaced(cp);
		if (in_token && (unspaced || !text_is_token_char(cp))) {
			int rc = text_search_emit(s, start, pos, fn, ctx);
			if (rc)
				return rc;
			in_token = false;
		}
		if (unspaced) {
			int rc = text_search_emit(s, pos, pos + len, fn, ctx);
			if (rc)
				return rc;
		} else if (!in_token && text_is_token_char(cp)) {
			start = pos;
			in_token = true;
		}
		pos += len;
	}
	return in_token ? text_search_emit(s, start, n, fn, ctx) : 0;
}

/* ---- counting --------------------------------------------------------- */

/* Counts extended grapheme clusters over a stream of code points. */
typedef struct text_grapheme_counter {
	int32_t prev;
	utf8proc_int32_t state;
	size_t count;
} text_grapheme_counter;

static void text_count_cp(text_grapheme_counter *c, int32_t cp)
{
	if (c->prev == TEXT_NO_CP ||
	    utf8proc_grapheme_break_stateful(c->prev, cp, &c->state))
		c->count++;
	c->prev = cp;
}

static void text_count_span(text_grapheme_counter *c, const char *s, size_t n)
{
	for (size_t pos = 0; pos < n;) {
		int32_t cp;
		pos += text_decode(s, n, pos, &cp);
		text_count_cp(c, cp);
	}
}

/* Bounds of s[0..n) without the leading and trailing white space that
 * Mastodon strips off a status before storing it. */
static void text_strip(const char *s, size_t n, size_t *begin, size_t *end)
{
	size_t b = 0, e = n;
	while (b < e && text_is_strip_space(s[b]))
		b++;
	while (e > b && text_is_strip_space(s[e - 1]))
		e--;
	*begin = b;
	*end = e;
}

/* True when s[0..n) is empty or only Unicode white space (Ruby blank?). */
static bool text_is_blank(const char *s, size_t n)
{
	for (size_t pos = 0; pos < n;) {
		int32_t cp;
		pos += text_decode(s, n, pos, &cp);
		if (!text_is_space(cp))
			return false;
	}
	return true;
}

/* Mastodon rewrites each URL to url_weight 'x's and each mention to its
 * "@user" part, then counts grapheme clusters of the result; feeding the
 * same code points to one counter gives the same answer, joins included. */
size_t text_count_chars(const char *s, size_t n, size_t url_weight)
{
	size_t begin, end;
	text_strip(s, n, &begin, &end);
	if (text_is_blank(s + begin, end - begin))
		return 0;

	text_grapheme_counter c = {.prev = TEXT_NO_CP};
	text_match m;
	size_t pos = begin;
	while (text_next_match(s, end, pos, TEXT_SCAN_URLS | TEXT_SCAN_MENTIONS,
			       &m)) {
		text_count_span(&c, s + pos, m.start - pos);
		if (m.kind == TEXT_URL && url_weight > 0) {
			text_count_cp(&c, 'x');
			c.count += url_weight - 1; /* 'x' never joins 'x' */
		} else if (m.kind == TEXT_MENTION) {
			text_count_cp(&c, '@');
			text_count_span(&c, s + m.value_start, m.value_len);
		}
		pos = m.start + m.len;
	}
	text_count_span(&c, s + pos, end - pos);
	return c.count;
}

/* ---- HTML ------------------------------------------------------------- */

void text_escape_html(buf *b, const char *s, size_t n)
{
	buf_put_html_escaped(b, s, n);
}

/* Append s[0..n) percent-encoded except for [A-Za-z0-9_.~-]. */
static void text_put_percent_encoded(buf *b, const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];
		if (text_is_ascii_alnum((char)c) ||
		    (c != '\0' && strchr(TEXT_HREF_SAFE_PUNCT, c)))
			buf_putc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

/* Plain text with Rails simple_format's line handling: a run of two or
 * more newlines closes the paragraph, a single one is a <br />. "\r\n" and
 * a lone "\r" are newlines. Runs are always between non-newline text here
 * because the caller strips the status first. */
static void text_render_plain(buf *b, const char *s, size_t n)
{
	size_t pos = 0;
	while (pos < n) {
		size_t run = pos;
		while (run < n && s[run] != '\n' && s[run] != '\r')
			run++;
		text_escape_html(b, s + pos, run - pos);
		if (run == n)
			return;
		size_t newlines = 0;
		while (run < n && (s[run] == '\n' || s[run] == '\r')) {
			bool crlf = s[run] == '\r' && run + 1 < n &&
				    s[run + 1] == '\n';
			run += crlf ? 2 : 1;
			newlines++;
		}
		buf_puts(b, newlines > 1 ? "</p><p>" : "<br />");
		pos = run;
	}
}

/* Length of the part of a link Mastodon hides before the shown part:
 * the scheme and a "www.". */
static size_t text_url_hidden_prefix_len(const char *url, size_t n)
{
	static const char www[] = "www.";
	size_t len = text_url_scheme_len(url, n);
	if (n - len >= strlen(www) &&
	    strncasecmp(url + len, www, strlen(www)) == 0)
		len += strlen(www);
	return len;
}

static void text_render_url(buf *b, const char *url, size_t n)
{
	size_t prefix = text_url_hidden_prefix_len(url, n);
	size_t shown = text_code_points_prefix(url + prefix, n - prefix,
					       TEXT_URL_SHOWN_CODEPOINTS);
	size_t rest = prefix + shown;

	buf_puts(b, "<a href=\"");
	text_escape_html(b, url, n);
	buf_puts(b, "\" target=\"_blank\" rel=\"nofollow noopener\" "
		    "translate=\"no\"><span class=\"invisible\">");
	text_escape_html(b, url, prefix);
	buf_puts(b, rest < n ? "</span><span class=\"ellipsis\">"
			     : "</span><span class=\"\">");
	text_escape_html(b, url + prefix, shown);
	buf_puts(b, "</span><span class=\"invisible\">");
	text_escape_html(b, url + rest, n - rest);
	buf_puts(b, "</span></a>");
}

static void text_render_hashtag(buf *b, const char *key, const char *name,
				const text_render_opts *o)
{
	buf_puts(b, "<a href=\"");
	text_escape_html(b, o->tag_base, strlen(o->tag_base));
	text_put_percent_encoded(b, key, strlen(key));
	buf_puts(b, "\" class=\"mention hashtag\" rel=\"tag\">#<span>");
	text_escape_html(b, name, strlen(name));
	buf_puts(b, "</span></a>");
}

static void text_render_mention(buf *b, const text_entity *e)
{
	buf_puts(b, "<span class=\"h-card\" translate=\"no\"><a href=\"");
	text_escape_html(b, e->href, strlen(e->href));
	buf_puts(b, "\" class=\"u-url mention\">@<span>");
	text_escape_html(b, e->value, strlen(e->value));
	buf_puts(b, "</span></a></span>");
}

/* One entity as Mastodon marks it up; an entity that cannot be linked (an
 * unresolved mention, a caller-made tag with no valid key) stays text. */
static void text_render_entity(arena *a, buf *b, const char *s,
			       const text_entity *e, const text_render_opts *o)
{
	const char *raw = s + e->start;
	switch (e->kind) {
	case TEXT_URL: text_render_url(b, raw, e->len); return;
	case TEXT_HASHTAG: {
		const char *key = e->key;
		if (!key && e->value)
			key = text_tag_key(a, e->value, strlen(e->value));
		if (key && e->value) {
			text_render_hashtag(b, key, e->value, o);
			return;
		}
		break;
	}
	case TEXT_MENTION:
		if (e->href && e->value) {
			text_render_mention(b, e);
			return;
		}
		break;
	}
	text_escape_html(b, raw, e->len);
}

char *text_render_html(arena *a, const char *s, size_t n, const text_parsed *p,
		       const text_render_opts *o)
{
	static const text_render_opts relative = {.tag_base = "/tags/"};
	if (!o || !o->tag_base)
		o = &relative;
	size_t begin, end;
	text_strip(s, n, &begin, &end);
	if (text_is_blank(s + begin, end - begin))
		return arena_strdup(a, "");

	buf b;
	buf_init(&b, a);
	buf_puts(&b, "<p>");
	size_t pos = begin;
	for (size_t k = 0; p && k < p->count; k++) {
		const text_entity *e = &p->items[k];
		/* Out of order, overlapping or out of range: leave as text. */
		if (e->start < pos || e->start > end || e->len > end - e->start)
			continue;
		text_render_plain(&b, s + pos, e->start - pos);
		text_render_entity(a, &b, s, e, o);
		pos = e->start + e->len;
	}
	text_render_plain(&b, s + pos, end - pos);
	buf_puts(&b, "</p>");
	return b.data;
}
