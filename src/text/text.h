/* text.h — post text → mentions, hashtags, links; HTML out; counting.
 *
 * Works on UTF-8 byte strings with explicit lengths. Everything returned is
 * allocated from the caller's arena. Nothing here touches the database: the
 * caller resolves mentions to accounts and fills text_entity.href before
 * rendering, so unknown mentions stay plain text as Mastodon renders them. */
#ifndef CHORUS_TEXT_H
#define CHORUS_TEXT_H

#include "core/arena.h"
#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Sanity bounds of the scanner, fixed because they decide what a stored
 * post's text contains (its links, its count) and must not change under
 * it. A run starting like a URL but longer than TEXT_URL_MAX_BYTES (the
 * longest URL browsers and sitemaps agree on) is plain text, counted
 * character by character instead of as one 23-character link; a
 * mention's domain longer than DNS allows (253 bytes) makes it no
 * mention, so @user@host counts in full. */
enum {
	TEXT_URL_MAX_BYTES = 2048,
	TEXT_DOMAIN_MAX_BYTES = 253,
};

typedef enum text_entity_kind {
	TEXT_URL,
	TEXT_MENTION,
	TEXT_HASHTAG,
} text_entity_kind;

typedef struct text_entity {
	text_entity_kind kind;
	size_t start, len;  /* byte range in the source, including '#'/'@' */
	const char *value;  /* URL; hashtag name as written (no '#');
			       mention username (no '@') */
	const char *domain; /* mention domain, or NULL for a local mention */
	const char *href;   /* set by the caller for mentions (NULL → plain
			       text); ignored for URLs and hashtags */
	const char *key;    /* hashtag only: text_tag_key() of value */
} text_entity;

typedef struct text_parsed {
	text_entity *items; /* in source order, never overlapping */
	size_t count;
} text_parsed;

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, no
 * code points above U+10FFFF) and holds no NUL byte. */
bool text_utf8_valid(const char *s, size_t n);
/* Code points in a (valid) UTF-8 string: what Mastodon's length limits
 * count (display names, bios, descriptions, queries, reports). */
size_t text_code_points(const char *s);
/* Byte length of the first max code points of s[0..n). */
size_t text_code_points_prefix(const char *s, size_t n, size_t max);

/* Find URLs, mentions and hashtags in s[0..n) the way Mastodon finds them.
 * Returns the entities in out (arena memory). s must be valid UTF-8. */
void text_parse(arena *a, const char *s, size_t n, text_parsed *out);

/* The lookup key of a hashtag name: NFKC, case-folded, Latin diacritics
 * folded (é → e), separators kept. Returns NULL when name is not a valid
 * hashtag name (empty, only digits, bad characters). */
char *text_tag_key(arena *a, const char *name, size_t n);

/* Search tokens. A token is a run of letters, digits and marks; every
 * other character separates. Han ideographs and kana are one token each
 * (those scripts do not space words, so a phrase of them matches any
 * substring). A token is folded: NFKC compatibility forms, full case
 * folding, and the U+0300..U+036F diacritics dropped from any base, so
 * "Café", "CAFE" and "cafe" agree, and so do "Ζεύς" and "ζευς", "Ёлка" and
 * "елка". Other scripts' marks (Devanagari, Arabic) stay. Malformed UTF-8
 * separates. fn receives each folded token (len bytes, not terminated,
 * valid until fn returns) and the source bytes [start, end) it came from;
 * a non-zero return stops the walk and is returned. Tokens longer than
 * TEXT_SEARCH_TOKEN_MAX bytes are cut there (both sides of a search are
 * cut alike). No allocation escapes. */
enum { TEXT_SEARCH_TOKEN_MAX = 128 };
typedef int (*text_token_fn)(void *ctx, const char *token, size_t len,
			     size_t start, size_t end);
int text_search_tokens(const char *s, size_t n, text_token_fn fn, void *ctx);

/* Length of a status as Mastodon counts it against max_characters: grapheme
 * clusters, every URL counting as url_weight (23), a remote mention
 * @user@host counting as @user (within the bounds above). */
size_t text_count_chars(const char *s, size_t n, size_t url_weight);

typedef struct text_render_opts {
	const char *tag_base; /* e.g. "https://host/tags/"; name appended */
} text_render_opts;

/* Render plain text as Mastodon's HTML: paragraphs split on blank lines
 * (<p>…</p>), single newlines as <br />, every user byte escaped, links
 * with invisible/ellipsis spans, hashtags and mentions as Mastodon marks
 * them up. Returns arena memory. */
char *text_render_html(arena *a, const char *s, size_t n, const text_parsed *p,
		       const text_render_opts *o);

/* Append s[0..n) to b with HTML special characters escaped. */
void text_escape_html(buf *b, const char *s, size_t n);

/* ---- sanitize.c ---- */
/* HTML from another server (a post's content, a bio; n bytes of UTF-8)
 * as the allow-list sanitize.c states keeps it: HTML in a, "" when
 * nothing is left. */
char *text_sanitize_html(arena *a, const char *html, size_t n);

#endif
