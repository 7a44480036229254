/* export.c — your data is yours: what an account follows, blocks,
 * mutes, the domains it blocks and the posts it bookmarked, as the CSV
 * files Mastodon exports and imports; and their import, through the
 * same rules as each act one by one (domain/social.c, posting.c). */
#include "core/buf.h"
#include "core/config.h"
#include "core/time.h"
#include "domain/domain.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static const char *const kinds[] = {
	[EXPORT_FOLLOWING] = "following",
	[EXPORT_BLOCKS] = "blocks",
	[EXPORT_MUTES] = "mutes",
	[EXPORT_DOMAIN_BLOCKS] = "domain_blocks",
	[EXPORT_BOOKMARKS] = "bookmarks",
};

bool export_kind_parse(const char *name, export_kind *out)
{
	for (size_t i = 0; name && i < sizeof kinds / sizeof *kinds; i++)
		if (!strcmp(name, kinds[i])) {
			*out = (export_kind)i;
			return true;
		}
	return false;
}

/* The handle another server knows acc by: user@domain, ours too. */
static const char *portable_acct(arena *a, const account *acc)
{
	return arena_printf(a, "%s@%s", acc->username,
			    acc->domain ? acc->domain : cfg.domain);
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void csv_field(buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void account_rows(arena *a, int64_t me, export_kind kind, buf *b)
{
	enum { PAGE = 200 };
	store_list list = kind == EXPORT_FOLLOWING ? STORE_LIST_FOLLOWING
			  : kind == EXPORT_BLOCKS  ? STORE_LIST_BLOCKS
			  : kind == EXPORT_MUTES   ? STORE_LIST_MUTES
						   : STORE_LIST_BOOKMARKS;
	int64_t ids[PAGE], keys[PAGE];
	page p = {.limit = PAGE};
	int64_t now = time_now_ms();
	for (;;) {
		size_t n = store_list_page(list, me, &p, ids, keys);
		for (size_t i = 0; i < n; i++) {
			account acc;
			status s;
			const char *uri, *url;
			if (kind == EXPORT_BOOKMARKS) {
				if (!store_status_get(a, ids[i], &s) ||
				    !store_account_get(a, s.account_id, &acc))
					continue;
				csv_field(b, acc.domain && store_status_remote(
								   a, s.id,
								   &uri, &url)
						     ? uri
						     : status_local_uri(
							       a, acc.username,
							       s.id));
			} else if (store_account_get(a, ids[i], &acc)) {
				csv_field(b, portable_acct(a, &acc));
				bool muting, notes;
				int64_t until;
				if (kind == EXPORT_FOLLOWING)
					buf_puts(b, ",true,false,");
				else if (kind == EXPORT_MUTES)
					buf_puts(b,
						 store_mute_get(me, acc.id, now,
								&muting, &notes,
								&until) &&
								 notes
							 ? ",true"
							 : ",false");
			} else
				continue;
			buf_puts(b, "\n");
		}
		if (n < PAGE)
			return;
		p.max_id = keys[n - 1];
	}
}

const char *account_export(arena *a, int64_t me, export_kind kind)
{
	buf b;
	buf_init(&b, a);
	/* the header rows Mastodon writes (and skips when it imports) */
	if (kind == EXPORT_FOLLOWING)
		buf_puts(&b, "Account address,Show boosts,Notify on new posts,"
			     "Languages\n");
	else if (kind == EXPORT_MUTES)
		buf_puts(&b, "Account address,Hide notifications\n");
	if (kind != EXPORT_DOMAIN_BLOCKS) {
		account_rows(a, me, kind, &b);
		return b.data ? b.data : "";
	}
	enum { PAGE = 200 };
	const char *names[PAGE];
	int64_t keys[PAGE];
	page p = {.limit = PAGE};
	for (;;) {
		size_t n = store_domain_blocks_page(a, me, &p, names, keys);
		for (size_t i = 0; i < n; i++) {
			csv_field(&b, names[i]);
			buf_puts(&b, "\n");
		}
		if (n < PAGE)
			break;
		p.max_id = keys[n - 1];
	}
	return b.data ? b.data : "";
}

/* The first field of a CSV line (unquoted), into a; NULL for none. */
static const char *first_field(arena *a, const char *line, size_t len,
			       const char **rest)
{
	buf f;
	buf_init(&f, a);
	size_t i = 0;
	bool quoted = len && line[0] == '"';
	for (i = quoted; i < len; i++) {
		if (quoted && line[i] == '"') {
			if (i + 1 < len && line[i + 1] == '"') {
				buf_putc(&f, '"');
				i++;
				continue;
			}
			quoted = false;
			continue;
		}
		if (!quoted && line[i] == ',')
			break;
		buf_putc(&f, line[i]);
	}
	*rest = i < len ? line + i + 1 : line + len;
	return f.data && *f.data ? f.data : NULL;
}

/* One row's act for p; true when it was done (or was so already). */
static bool import_row(arena *a, const principal *p, export_kind kind,
		       const char *field, const char *rest)
{
	const char *msg;
	if (kind == EXPORT_DOMAIN_BLOCKS)
		return domain_block(a, p, field, true, &msg) == DOM_OK;
	if (kind == EXPORT_BOOKMARKS) {
		account acc;
		status s;
		bool is_status;
		return search_url(a, p->account_id, field, true, &acc, &s,
				  &is_status) &&
		       is_status && status_bookmark(a, p, s.id, true) == DOM_OK;
	}
	account acc;
	const char *handle = field[0] == '@' ? field + 1 : field;
	if (!account_lookup(a, handle, true, &acc) || acc.id == p->account_id)
		return false;
	if (kind == EXPORT_FOLLOWING)
		return account_follow(a, p, acc.id, true, false) == DOM_OK;
	if (kind == EXPORT_BLOCKS)
		return account_block(a, p, acc.id, true, &msg) == DOM_OK;
	/* mutes: the second field says whether notifications are hidden */
	return account_mute(a, p, acc.id, true, strncmp(rest, "false", 5) != 0,
			    0, &msg) == DOM_OK;
}

dom_err account_import(arena *a, const principal *p, export_kind kind,
		       const char *csv, size_t len, import_result *out,
		       const char **msg)
{
	memset(out, 0, sizeof *out);
	*msg = NULL;
	const char *end = csv + len;
	for (const char *line = csv; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)((nl ? nl : end) - line);
		const char *next = nl ? nl + 1 : end;
		if (n && line[n - 1] == '\r')
			n--;
		const char *rest;
		arena row;
		arena_init(&row);
		const char *field = first_field(&row, line, n, &rest);
		/* Mastodon's header row, and blank lines, are no rows */
		bool header = field && (!strcmp(field, "Account address") ||
					!strcmp(field, "#domain"));
		if (field && !header) {
			if (out->rows == IMPORT_ROWS_MAX) {
				arena_release(&row);
				*msg = "Validation failed: the file has too "
				       "many rows";
				return DOM_INVALID;
			}
			out->rows++;
			if (import_row(&row, p, kind, field, rest))
				out->done++;
		}
		arena_release(&row);
		line = next;
	}
	return DOM_OK;
}

/* ---- the archive: the CSV files, the account's ActivityPub documents
 * and its media, as a .tar.gz ---- */

static archive_documents_fn documents_of;

void export_documents_with(archive_documents_fn fn)
{
	documents_of = fn;
}

/* One ustar member: its 512-byte header, then len bytes padded to 512. */
static int tar_member(gzFile z, const char *name, const void *data, size_t len,
		      int64_t mtime_s)
{
	unsigned char h[512];
	memset(h, 0, sizeof h);
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)len);
	snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)mtime_s);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof h; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	static const unsigned char zero[512];
	size_t pad = (512 - len % 512) % 512;
	if (gzwrite(z, h, sizeof h) != (int)sizeof h ||
	    (len && gzwrite(z, data, (unsigned)len) != (int)len) ||
	    (pad && gzwrite(z, zero, (unsigned)pad) != (int)pad))
		return -1;
	return 0;
}

/* The file at path as a member named name. */
static int tar_file(gzFile z, arena *a, const char *name, const char *path,
		    int64_t mtime_s)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0; /* a file gone meanwhile is left out */
	buf b;
	buf_init(&b, a);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return tar_member(z, name, b.data ? b.data : "", b.len, mtime_s);
}

int account_archive(arena *a, int64_t me, const char *path)
{
	static const char *const csv_files[] = {
		[EXPORT_FOLLOWING] = "following_accounts.csv",
		[EXPORT_BLOCKS] = "blocked_accounts.csv",
		[EXPORT_MUTES] = "muted_accounts.csv",
		[EXPORT_DOMAIN_BLOCKS] = "blocked_domains.csv",
		[EXPORT_BOOKMARKS] = "bookmarks.csv",
	};
	account acc;
	if (!store_account_get(a, me, &acc) || acc.domain)
		return -1;
	gzFile z = gzopen(path, "wb6");
	if (!z)
		return -1;
	int64_t now = time_now_ms() / 1000;
	int rc = 0;
	for (size_t k = 0; rc == 0 && k < sizeof csv_files / sizeof *csv_files;
	     k++) {
		const char *csv = account_export(a, me, (export_kind)k);
		rc = tar_member(z, csv_files[k], csv, strlen(csv), now);
	}
	const char *actor = NULL, *outbox = NULL;
	if (rc == 0 && documents_of && documents_of(a, &acc, &actor, &outbox))
		rc = tar_member(z, "actor.json", actor, strlen(actor), now) ||
				     tar_member(z, "outbox.json", outbox,
						strlen(outbox), now)
			     ? -1
			     : 0;
	media_attachment *m;
	size_t n = store_media_of_account(a, me, &m);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *names[] = {m[i].file, m[i].preview};
		for (size_t j = 0; rc == 0 && j < 2; j++)
			if (names[j])
				rc = tar_file(z, a,
					      arena_printf(a,
							   "media_attachments/"
							   "%s",
							   names[j]),
					      media_file_path(a, names[j]),
					      m[i].created_at / 1000);
	}
	const char *images[] = {acc.avatar, acc.header};
	for (size_t j = 0; rc == 0 && j < 2; j++)
		if (images[j])
			rc = tar_file(z, a,
				      arena_printf(a, "media_attachments/%s",
						   images[j]),
				      media_file_path(a, images[j]), now);
	/* the end: two zero blocks */
	static const unsigned char end[1024];
	if (rc == 0 && gzwrite(z, end, sizeof end) != (int)sizeof end)
		rc = -1;
	if (gzclose(z) != Z_OK)
		rc = -1;
	if (rc < 0)
		unlink(path);
	return rc;
}
