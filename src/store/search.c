/* search.c — full-text search: the FTS5 tokenizer every connection
 * registers, the match expressions built from user words, and the
 * candidate queries for statuses, accounts and hashtags.
 *
 * The indexes (migration 5 in schema.c) are FTS5 tables over external
 * content, kept in step by triggers, so every write that changes indexed
 * text updates the index in its own transaction, whichever code path
 * made it. */
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"
#include "text/text.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

/* The tokenizer's name in CREATE VIRTUAL TABLE … tokenize = '…'. */
#define SEARCH_TOKENIZER "chorus"

/* U+10FFFF: sorts after every character a key can hold, so key + this
 * bounds the range of keys starting with key. */
static const char key_range_end[] = "\xF4\x8F\xBF\xBF";

/* ---- the tokenizer ---------------------------------------------------- */

typedef struct fts_emit {
	void *ctx;
	int (*token)(void *ctx, int flags, const char *token, int len,
		     int start, int end);
} fts_emit;

static int fts_token(void *ctx, const char *token, size_t len, size_t start,
		     size_t end)
{
	const fts_emit *e = ctx;
	return e->token(e->ctx, 0, token, (int)len, (int)start, (int)end);
}

static int fts_tokenize(Fts5Tokenizer *t, void *ctx, int flags,
			const char *text, int n,
			int (*token)(void *, int, const char *, int, int, int))
{
	(void)t;
	(void)flags;
	if (!text || n <= 0)
		return SQLITE_OK;
	fts_emit e = {ctx, token};
	return text_search_tokens(text, (size_t)n, fts_token, &e);
}

/* The tokenizer keeps no state: every instance is this one. */
static int fts_tokenizer_instance;

static int fts_create(void *ctx, const char **argv, int argc,
		      Fts5Tokenizer **out)
{
	(void)ctx;
	(void)argv;
	(void)argc;
	*out = (Fts5Tokenizer *)&fts_tokenizer_instance;
	return SQLITE_OK;
}

static void fts_delete(Fts5Tokenizer *t)
{
	(void)t;
}

int db_search_register(sqlite3 *conn)
{
	static fts5_tokenizer tokenizer = {fts_create, fts_delete,
					   fts_tokenize};
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(conn, "SELECT fts5(?1)", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (!api || api->xCreateTokenizer(api, SEARCH_TOKENIZER, NULL,
					  &tokenizer, NULL) != SQLITE_OK) {
		log_error("cannot register the search tokenizer");
		return -1;
	}
	return 0;
}

/* ---- match expressions ------------------------------------------------ */

static int count_token(void *ctx, const char *token, size_t len, size_t start,
		       size_t end)
{
	(void)token;
	(void)len;
	(void)start;
	(void)end;
	++*(size_t *)ctx;
	return 0;
}

/* Whether term holds a search token (an all-punctuation term does not,
 * and FTS5 would match nothing with it). */
static bool term_has_token(const char *term)
{
	size_t n = 0;
	text_search_tokens(term, strlen(term), count_token, &n);
	return n > 0;
}

/* Append term to b as one FTS5 string: in double quotes, each inner
 * quote doubled. Inside a string FTS5 sees no operators at all. */
static void put_fts_string(buf *b, const char *term)
{
	buf_putc(b, '"');
	for (const char *p = term; *p; p++) {
		if (*p == '"')
			buf_putc(b, '"');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

char *store_search_match(arena *a, const store_search_term *terms, size_t n,
			 bool negated, bool prefix)
{
	size_t last = n;
	for (size_t i = 0; i < n; i++)
		if (terms[i].negated == negated &&
		    term_has_token(terms[i].text))
			last = i;
	if (last == n)
		return NULL;
	buf b;
	buf_init(&b, a);
	/* the wanted terms, ANDed, or the unwanted ones, ORed */
	for (size_t i = 0; i <= last; i++) {
		if (terms[i].negated != negated ||
		    !term_has_token(terms[i].text))
			continue;
		if (b.len)
			buf_puts(&b, negated ? " OR " : " ");
		put_fts_string(&b, terms[i].text);
		if (prefix && i == last)
			buf_putc(&b, '*');
	}
	if (negated)
		return b.data;
	/* then subtract the unwanted: (a b) NOT "c" NOT "d" */
	for (size_t i = 0; i < n; i++) {
		if (!terms[i].negated || !term_has_token(terms[i].text))
			continue;
		buf_puts(&b, " NOT ");
		put_fts_string(&b, terms[i].text);
	}
	return b.data;
}

/* ---- PostgreSQL: chorus's tokens as lexemes ----------------------------
 * PostgreSQL cannot run chorus's tokenizer, so chorus runs it: a document
 * is stored as the tsvector of its tokens ('tok':position …) and a query
 * is a tsquery of tokens, each quoted so PostgreSQL takes it as it is
 * (no parser, no stemming). The same tokens on both backends give the
 * same matches: a term of several tokens is a phrase (<->, FTS5's
 * adjacent positions), the last term of a prefix search ends in :*. */

enum { PG_POSITION_MAX = 16383 }; /* tsvector's largest position */

static void put_lexeme(buf *b, const char *tok, size_t len)
{
	buf_putc(b, '\'');
	for (size_t i = 0; i < len; i++) {
		if (tok[i] == '\'' || tok[i] == '\\')
			buf_putc(b, tok[i]);
		buf_putc(b, tok[i]);
	}
	buf_putc(b, '\'');
}

typedef struct lexemes {
	buf *b;
	int pos;    /* the next token's position (tsvector) */
	bool query; /* a tsquery phrase instead of a tsvector */
	bool first;
} lexemes;

static int put_token(void *ctx, const char *token, size_t len, size_t start,
		     size_t end)
{
	(void)start;
	(void)end;
	lexemes *l = ctx;
	if (l->query) {
		if (!l->first)
			buf_puts(l->b, " <-> ");
		put_lexeme(l->b, token, len);
	} else {
		if (!l->first)
			buf_putc(l->b, ' ');
		put_lexeme(l->b, token, len);
		buf_printf(l->b, ":%d", l->pos);
		if (l->pos < PG_POSITION_MAX)
			l->pos++;
	}
	l->first = false;
	return 0;
}

/* The tsvector text of a document's fields; a gap between fields keeps
 * a phrase from matching across two. */
static void pg_document(buf *b, const char *const *fields, size_t n)
{
	enum { FIELD_GAP = 64 };
	lexemes l = {.b = b, .pos = 1, .first = true};
	for (size_t i = 0; i < n; i++) {
		if (!fields[i])
			continue;
		text_search_tokens(fields[i], strlen(fields[i]), put_token, &l);
		l.pos = l.pos + FIELD_GAP > PG_POSITION_MAX ? PG_POSITION_MAX
							    : l.pos + FIELD_GAP;
	}
	buf_putc(b, '\0');
	b->len--;
}

/* One term as a tsquery phrase, in parentheses. */
static void pg_term(buf *b, const char *term, bool prefix)
{
	lexemes l = {.b = b, .query = true, .first = true};
	buf_putc(b, '(');
	text_search_tokens(term, strlen(term), put_token, &l);
	if (prefix)
		buf_puts(b, ":*");
	buf_putc(b, ')');
}

/* store_search_match's expression as a tsquery. */
static char *pg_search_match(arena *a, const store_search_term *terms, size_t n,
			     bool negated, bool prefix)
{
	size_t last = n;
	for (size_t i = 0; i < n; i++)
		if (terms[i].negated == negated &&
		    term_has_token(terms[i].text))
			last = i;
	if (last == n)
		return NULL;
	buf b;
	buf_init(&b, a);
	for (size_t i = 0; i <= last; i++) {
		if (terms[i].negated != negated ||
		    !term_has_token(terms[i].text))
			continue;
		if (b.len)
			buf_puts(&b, negated ? " | " : " & ");
		pg_term(&b, terms[i].text, prefix && i == last);
	}
	if (!negated)
		for (size_t i = 0; i < n; i++) {
			if (!terms[i].negated || !term_has_token(terms[i].text))
				continue;
			buf_puts(&b, " & !");
			pg_term(&b, terms[i].text, false);
		}
	buf_putc(&b, '\0');
	return b.data;
}

/* The backend's match expression for terms. */
static char *search_match(arena *a, const store_search_term *terms, size_t n,
			  bool negated, bool prefix)
{
	return db_pg ? pg_search_match(a, terms, n, negated, prefix)
		     : store_search_match(a, terms, n, negated, prefix);
}

/* ---- statuses --------------------------------------------------------- */

/* The filters every status query shares; parameters ?5 on (see
 * bind_status_filters). Filter columns carry a unary '+' so SQLite keeps
 * walking the index that orders the page. */
#define STATUS_FILTERS                                                         \
	" AND +s.reblog_of_id IS NULL"                                         \
	" AND (?5 = 0 OR +s.account_id = ?5) AND +s.account_id <> ?6"          \
	" AND (?7 = 0 OR (?7 = 1) = EXISTS (SELECT 1 FROM media_attachments"   \
	" m WHERE m.status_id = s.id AND (?8 IS NULL OR m.type = ?8"           \
	" OR (?8 = 'video' AND m.type = 'gifv'))))"                            \
	" AND (?9 = 0 OR (?9 = 1) = (+s.in_reply_to_id IS NOT NULL))"          \
	" AND (?10 = 0 OR (?10 = 1) = (+s.sensitive <> 0))"                    \
	" AND (?11 IS NULL OR +s.language = ?11)"                              \
	" AND (?12 = 0 OR +s.account_id = ?12 OR EXISTS (SELECT 1 FROM"        \
	" mentions x WHERE x.status_id = s.id AND x.account_id = ?12)"         \
	" OR EXISTS (SELECT 1 FROM favourites x WHERE x.account_id = ?12"      \
	" AND x.status_id = s.id) OR EXISTS (SELECT 1 FROM bookmarks x"        \
	" WHERE x.account_id = ?12 AND x.status_id = s.id))"

/* The words checked per row, for the walks that do not start from the
 * index: ?1 wanted (with its NOTs), ?13 unwanted (ORed). A MATCH with a
 * rowid is a seek in the index, not a scan. */
#define STATUS_WORDS_PER_ROW                                                   \
	" AND (?1 IS NULL OR EXISTS (SELECT 1 FROM status_search"              \
	" WHERE status_search MATCH ?1 AND rowid = s.id))"                     \
	" AND (?13 IS NULL OR NOT EXISTS (SELECT 1 FROM status_search"         \
	" WHERE status_search MATCH ?13 AND rowid = s.id))"

/* The same for PostgreSQL: its planner needs no '+' (and takes none
 * on text), and the words are a tsquery on status_search's doc. */
#define STATUS_FILTERS_PG                                                      \
	" AND s.reblog_of_id IS NULL"                                          \
	" AND (?5 = 0 OR s.account_id = ?5) AND s.account_id <> ?6"            \
	" AND (?7 = 0 OR (?7 = 1) = EXISTS (SELECT 1 FROM media_attachments"   \
	" m WHERE m.status_id = s.id AND (?8 IS NULL OR m.type = ?8"           \
	" OR (?8 = 'video' AND m.type = 'gifv'))))"                            \
	" AND (?9 = 0 OR (?9 = 1) = (s.in_reply_to_id IS NOT NULL))"           \
	" AND (?10 = 0 OR (?10 = 1) = (s.sensitive <> 0))"                     \
	" AND (?11 IS NULL OR s.language = ?11)"                               \
	" AND (?12 = 0 OR s.account_id = ?12 OR EXISTS (SELECT 1 FROM"         \
	" mentions x WHERE x.status_id = s.id AND x.account_id = ?12)"         \
	" OR EXISTS (SELECT 1 FROM favourites x WHERE x.account_id = ?12"      \
	" AND x.status_id = s.id) OR EXISTS (SELECT 1 FROM bookmarks x"        \
	" WHERE x.account_id = ?12 AND x.status_id = s.id))"

#define STATUS_WORDS_PER_ROW_PG                                                \
	" AND (?1 IS NULL OR EXISTS (SELECT 1 FROM status_search"              \
	" WHERE doc @@ CAST(?1 AS tsquery) AND status_id = s.id))"             \
	" AND (?13 IS NULL OR NOT EXISTS (SELECT 1 FROM status_search"         \
	" WHERE doc @@ CAST(?13 AS tsquery) AND status_id = s.id))"

/* Words, no author: the index's matches, newest first. */
static const char sql_search_by_words[] =
	"SELECT s.id FROM status_search f JOIN statuses s ON s.id = f.rowid"
	" WHERE status_search MATCH ?1"
	" AND f.rowid > ?2 AND f.rowid < ?3" STATUS_FILTERS
	" ORDER BY f.rowid DESC LIMIT ?4";
/* PostgreSQL: the author is a filter (?5), not a term of the match. */
static const char sql_search_by_words_pg[] =
	"SELECT s.id FROM status_search f JOIN statuses s ON s.id ="
	" f.status_id WHERE f.doc @@ CAST(?1 AS tsquery)"
	" AND f.status_id > ?2 AND f.status_id < ?3" STATUS_FILTERS_PG
	" ORDER BY f.status_id DESC LIMIT ?4";

/* An author without wanted words: their posts, newest first, each
 * checked for the unwanted ones. */
static const char sql_search_by_author[] =
	"SELECT s.id FROM statuses s WHERE s.account_id = ?5 AND s.id > ?2"
	" AND s.id < ?3" STATUS_WORDS_PER_ROW STATUS_FILTERS
	" ORDER BY s.id DESC LIMIT ?4";
static const char sql_search_by_author_pg[] =
	"SELECT s.id FROM statuses s WHERE s.account_id = ?5 AND s.id > ?2"
	" AND s.id < ?3" STATUS_WORDS_PER_ROW_PG STATUS_FILTERS_PG
	" ORDER BY s.id DESC LIMIT ?4";

/* Filters alone (or only unwanted words): every status, newest first. */
static const char sql_search_all[] =
	"SELECT s.id FROM statuses s WHERE s.id > ?2 AND s.id < "
	"?3" STATUS_WORDS_PER_ROW STATUS_FILTERS " ORDER BY s.id DESC LIMIT ?4";
static const char sql_search_all_pg[] =
	"SELECT s.id FROM statuses s WHERE s.id > ?2 AND s.id < "
	"?3" STATUS_WORDS_PER_ROW_PG STATUS_FILTERS_PG
	" ORDER BY s.id DESC LIMIT ?4";

static void bind_status_filters(db_stmt *st, const store_status_query *q)
{
	db_bind_int64(st, 5, q->author);
	db_bind_int64(st, 6, q->not_author);
	db_bind_int(st, 7, (int)q->media);
	db_bind_text_or_null(st, 8, q->media_type);
	db_bind_int(st, 9, (int)q->reply);
	db_bind_int(st, 10, (int)q->sensitive);
	db_bind_text_or_null(st, 11, q->language);
	db_bind_int64(st, 12, q->library);
}

enum {
	SEARCH_FLUSH_BATCH = 5000, /* statuses per indexing transaction */
	SEARCH_FLUSH_PERIOD_MS = 100,
	/* PostgreSQL indexes a status per statement: smaller batches */
	SEARCH_FLUSH_BATCH_PG = 500,
};

static bool search_backlogged(void)
{
	return db_exists("SELECT 1 FROM search_backlog LIMIT 1", 0, 0);
}

/* A PostgreSQL backlog (statuses or accounts) and the statements that
 * index it. take[wait] takes a batch off the backlog and answers each
 * taken id with its fields to tokenize (nfields after the id), in one
 * statement: the indexer thread skips the backlog rows another indexer
 * holds; a flush before a search waits for them, so what was posted
 * before the search is indexed when it reads. Either locks each taken
 * id's own row too (FOR KEY SHARE, SKIP LOCKED), so storing the tsvector
 * (a foreign key to that row) never waits: a delete holds the row and
 * waits for the backlog row the take holds, and an indexer that then
 * waited for the row was a deadlock that failed the delete. An id whose
 * row is gone is never taken; orphans clears those. */
typedef struct pg_backlog {
	const char *any;     /* a row on the backlog? */
	const char *take[2]; /* [wait] */
	const char *orphans;
	const char *store;
	int nfields;
} pg_backlog;

#define TAKE(BACKLOG, KEY, TABLE, WAIT, FIELDS, DOCS)                          \
	"WITH taken AS (DELETE FROM " BACKLOG " WHERE " KEY " IN"              \
	" (SELECT r.id FROM " TABLE " r WHERE r.id IN"                         \
	" (SELECT " KEY " FROM " BACKLOG " ORDER BY " KEY " LIMIT ?1"          \
	" FOR UPDATE" WAIT ") FOR KEY SHARE SKIP LOCKED)"                      \
	" RETURNING " KEY ") SELECT t." KEY ", " FIELDS " FROM taken t"        \
	" LEFT JOIN " DOCS " d ON d.id = t." KEY
#define BACKLOG(BACKLOG, KEY, TABLE, FIELDS, DOCS)                             \
	.any = "SELECT 1 FROM " BACKLOG " LIMIT 1",                            \
	.take = {TAKE(BACKLOG, KEY, TABLE, " SKIP LOCKED", FIELDS, DOCS),      \
		 TAKE(BACKLOG, KEY, TABLE, "", FIELDS, DOCS)},                 \
	.orphans = "DELETE FROM " BACKLOG " b WHERE NOT EXISTS"                \
		   " (SELECT 1 FROM " TABLE " r WHERE r.id = b." KEY ")"

static const pg_backlog status_backlog = {
	BACKLOG("search_backlog", "status_id", "statuses",
		"d.text, d.spoiler_text, d.media", "status_search_docs"),
	.store = "INSERT INTO status_search (status_id, doc)"
		 " VALUES (?1, CAST(?2 AS tsvector))"
		 " ON CONFLICT (status_id) DO UPDATE SET doc = excluded.doc",
	.nfields = 3,
};
static const pg_backlog account_backlog = {
	BACKLOG("account_search_backlog", "account_id", "accounts",
		"d.username, d.display_name", "accounts"),
	.store = "INSERT INTO account_search (account_id, doc)"
		 " VALUES (?1, CAST(?2 AS tsvector))"
		 " ON CONFLICT (account_id) DO UPDATE SET doc = excluded.doc",
	.nfields = 2,
};
#undef BACKLOG
#undef TAKE

/* Index one batch of bl in a plain transaction, not db_begin's write
 * lock: the rows taken are locked (SKIP LOCKED lets other processes'
 * indexers take others), and a change committed after the take puts its
 * id back on the backlog. The documents go out queued (db_queue), their
 * answers read with the COMMIT: a batch is three round trips, not two a
 * status. 1 when it indexed some, 0 when nothing was left to take
 * (orphans cleared), -1. An empty backlog costs one statement. */
static int pg_flush_batch(const pg_backlog *bl, bool wait)
{
	if (!db_exists(bl->any, 0, 0))
		return 0;
	arena a;
	arena_init(&a);
	int rc = pg_simple("BEGIN");
	db_stmt *take = rc < 0 ? NULL : db_prepare(bl->take[wait]);
	size_t n = 0;
	if (take) {
		db_bind_int(take, 1, SEARCH_FLUSH_BATCH_PG);
		while ((rc = db_step(take)) == DB_ROW) {
			const char *fields[4] = {0};
			for (int f = 0; f < bl->nfields; f++)
				fields[f] = db_text_or_null(take, 1 + f);
			buf b;
			buf_init(&b, &a);
			pg_document(&b, fields, (size_t)bl->nfields);
			db_stmt *put = db_prepare(bl->store);
			db_bind_int64(put, 1, db_column_int64(take, 0));
			db_bind_text(put, 2, b.len ? b.data : "");
			if (db_queue(put) < 0) {
				rc = -1;
				break;
			}
			n++;
		}
		db_reset(take);
	}
	arena_release(&a);
	if (rc < 0 || pg_simple("COMMIT") < 0) {
		pg_simple("ROLLBACK");
		return -1;
	}
	if (n == 0 && pg_simple(bl->orphans) < 0)
		return -1;
	return n > 0;
}

static int pg_search_flush(bool wait)
{
	int rc;
	while ((rc = pg_flush_batch(&status_backlog, wait)) > 0)
		;
	if (rc < 0)
		return -1;
	while ((rc = pg_flush_batch(&account_backlog, wait)) > 0)
		;
	return rc;
}

static int search_flush(bool wait)
{
	if (db_pg) {
		/* the flush's transactions are its own: a request's read
		 * snapshot ends first, as before a write (db_begin) */
		store_read_end();
		return pg_search_flush(wait);
	}
	while (search_backlogged()) {
		if (db_begin() < 0)
			return -1;
		db_stmt *st = db_prepare(
			"INSERT INTO status_search (rowid, text, spoiler_text,"
			" media, author) SELECT d.id, d.text, d.spoiler_text,"
			" d.media, d.author FROM (SELECT status_id FROM"
			" search_backlog ORDER BY status_id LIMIT ?1) b"
			" JOIN status_search_docs d ON d.id = b.status_id");
		db_bind_int(st, 1, SEARCH_FLUSH_BATCH);
		int rc = db_done(st);
		if (rc == 0) {
			st = db_prepare(
				"DELETE FROM search_backlog WHERE status_id"
				" IN (SELECT status_id FROM search_backlog"
				" ORDER BY status_id LIMIT ?1)");
			db_bind_int(st, 1, SEARCH_FLUSH_BATCH);
			rc = db_done(st);
		}
		if (rc < 0 || db_commit() < 0) {
			db_rollback();
			return -1;
		}
	}
	return 0;
}

int store_search_flush(void)
{
	return search_flush(true);
}

size_t store_statuses_search(arena *a, const store_status_query *q, int64_t lo,
			     int64_t hi, int limit, int64_t *out)
{
	/* what was posted before this search is found by it */
	if (search_backlogged() && store_search_flush() < 0)
		return 0;
	char *want = search_match(a, q->terms, q->nterms, false, false);
	char *unwanted =
		want ? NULL : search_match(a, q->terms, q->nterms, true, false);
	/* user words match the text columns only, never the author id */
	if (want && !db_pg)
		want = arena_printf(
			a, "{text spoiler_text media} : (%s)%s", want,
			q->author ? arena_printf(a,
						 " AND author : "
						 "\"%lld\"",
						 (long long)q->author)
				  : "");
	const char *sql =
		want ? DB_SQL(sql_search_by_words, sql_search_by_words_pg)
		: q->author
			? DB_SQL(sql_search_by_author, sql_search_by_author_pg)
			: DB_SQL(sql_search_all, sql_search_all_pg);
	db_stmt *st = db_prepare(sql);
	db_bind_text_or_null(st, 1, want);
	db_bind_int64(st, 2, lo);
	db_bind_int64(st, 3, hi);
	db_bind_int(st, 4, limit);
	bind_status_filters(st, q);
	db_bind_text_or_null(st, 13, unwanted);
	size_t n = 0;
	int rc;
	while (n < (size_t)limit && (rc = db_step(st)) == DB_ROW)
		out[n++] = db_column_int64(st, 0);
	if (n < (size_t)limit && rc != DB_DONE)
		log_error("status search: %s", db_errmsg());
	db_reset(st);
	return n;
}

/* ---- accounts --------------------------------------------------------- */

/* Accounts whose username or display name holds the words (the last one
 * as a prefix), or whose username starts with the query: the exact
 * username first, then username prefixes, then by followers. */
static const char sql_accounts_search[] =
	"SELECT a.id FROM accounts a WHERE"
	" ((?1 IS NOT NULL AND a.id IN (SELECT rowid FROM account_search"
	" WHERE account_search MATCH ?1))"
	" OR (a.username_key >= ?2 AND a.username_key < ?3))"
	" AND (?4 = 0 OR a.id IN (SELECT target_id FROM follows"
	" WHERE account_id = ?4))"
	" ORDER BY a.username_key = ?2 DESC,"
	" (a.username_key >= ?2 AND a.username_key < ?3) DESC,"
	" a.followers_count DESC, a.id LIMIT ?5 OFFSET ?6";
static const char sql_accounts_search_pg[] =
	"SELECT a.id FROM accounts a WHERE"
	" ((?1 IS NOT NULL AND a.id IN (SELECT account_id FROM account_search"
	" WHERE doc @@ CAST(?1 AS tsquery)))"
	" OR (a.username_key >= ?2 AND a.username_key < ?3))"
	" AND (?4 = 0 OR a.id IN (SELECT target_id FROM follows"
	" WHERE account_id = ?4))"
	" ORDER BY a.username_key = ?2 DESC NULLS LAST,"
	" (a.username_key >= ?2 AND a.username_key < ?3) DESC NULLS LAST,"
	" a.followers_count DESC, a.id LIMIT ?5 OFFSET ?6";

size_t store_accounts_search(arena *a, const char *q, int64_t following_of,
			     int limit, int offset, int64_t *out)
{
	/* what was renamed before this search is found by it: PostgreSQL
	 * indexes accounts through a backlog, SQLite's triggers at once */
	if (db_pg && db_exists(account_backlog.any, 0, 0) &&
	    store_search_flush() < 0)
		return 0;
	/* the words of q, the last one a prefix */
	store_search_term term = {.text = q};
	char *match = search_match(a, &term, 1, false, true);
	/* the username range: q as a lower-case key, if it can be one */
	char *key = arena_strdup(a, q);
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	db_stmt *st =
		db_prepare(DB_SQL(sql_accounts_search, sql_accounts_search_pg));
	db_bind_text_or_null(st, 1, match);
	if (*key) {
		db_bind_text(st, 2, key);
		db_bind_text(st, 3,
			     arena_printf(a, "%s%s", key, key_range_end));
	}
	db_bind_int64(st, 4, following_of);
	db_bind_int(st, 5, limit);
	db_bind_int(st, 6, offset);
	size_t n = 0;
	while (n < (size_t)limit && db_step(st) == DB_ROW)
		out[n++] = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

/* ---- hashtags --------------------------------------------------------- */

/* Tags whose key starts with the query's: the exact one first, then the
 * most recently used (status ids grow with time, so the largest id in
 * the tag's status_tags range is its last use). */
static const char sql_tags_search[] =
	"SELECT t.id, t.name FROM tags t WHERE t.key >= ?1 AND t.key < ?2"
	" ORDER BY t.key = ?1 DESC, (SELECT max(x.status_id) FROM status_tags"
	" x WHERE x.tag_id = t.id) DESC NULLS LAST, t.key LIMIT ?3 OFFSET ?4";

size_t store_tags_search(arena *a, const char *key, int limit, int offset,
			 int64_t *ids, const char **names)
{
	db_stmt *st = db_prepare(sql_tags_search);
	db_bind_text(st, 1, key);
	db_bind_text(st, 2, arena_printf(a, "%s%s", key, key_range_end));
	db_bind_int(st, 3, limit);
	db_bind_int(st, 4, offset);
	size_t n = 0;
	while (n < (size_t)limit && db_step(st) == DB_ROW) {
		ids[n] = db_column_int64(st, 0);
		names[n] = arena_strdup(a, db_text(st, 1));
		n++;
	}
	db_reset(st);
	return n;
}

/* ---- checks ----------------------------------------------------------- */

/* Whether index (an external-content FTS5 table with columns cols) holds
 * exactly what its content tokenizes to: a fresh index is built in a temp
 * table from content_sql and the two compared entry by entry (term,
 * row, column, position) through fts5vocab. FTS5's own integrity-check
 * does not read external content back in SQLite 3.40. */
static bool index_matches(const char *index, const char *cols,
			  const char *content_sql)
{
	sqlite3 *conn = db_conn();
	char *sql = sqlite3_mprintf(
		"DROP TABLE IF EXISTS temp.check_fresh;"
		"DROP TABLE IF EXISTS temp.check_vocab_a;"
		"DROP TABLE IF EXISTS temp.check_vocab_b;"
		"CREATE VIRTUAL TABLE temp.check_fresh USING fts5(%s,"
		" tokenize = '" SEARCH_TOKENIZER "');"
		"INSERT INTO temp.check_fresh (rowid, %s) %s;"
		"CREATE VIRTUAL TABLE temp.check_vocab_a USING fts5vocab(main,"
		" %s, instance);"
		"CREATE VIRTUAL TABLE temp.check_vocab_b USING fts5vocab(temp,"
		" check_fresh, instance);",
		cols, cols, content_sql, index);
	int rc = sqlite3_exec(conn, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	sqlite3_stmt *st = NULL;
	bool same = rc == SQLITE_OK &&
		    sqlite3_prepare_v2(
			    conn,
			    "SELECT (SELECT count(*) FROM (SELECT * FROM"
			    " temp.check_vocab_a EXCEPT SELECT * FROM"
			    " temp.check_vocab_b)) + (SELECT count(*) FROM"
			    " (SELECT * FROM temp.check_vocab_b EXCEPT"
			    " SELECT * FROM temp.check_vocab_a))",
			    -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_int64(st, 0) == 0;
	sqlite3_finalize(st);
	sqlite3_exec(conn,
		     "DROP TABLE IF EXISTS temp.check_vocab_a;"
		     "DROP TABLE IF EXISTS temp.check_vocab_b;"
		     "DROP TABLE IF EXISTS temp.check_fresh;",
		     NULL, NULL, NULL);
	return same;
}

/* PostgreSQL: whether every document's stored tsvector is what its
 * text tokenizes to now, and no other is stored. */
static bool pg_index_matches(const char *docs_sql, const char *check_sql,
			     const char *extra_sql, int nfields)
{
	arena a;
	arena_init(&a);
	bool ok = true;
	db_stmt *docs = db_prepare(docs_sql);
	while (ok && db_step(docs) == DB_ROW) {
		const char *fields[4] = {0};
		for (int f = 0; f < nfields; f++)
			fields[f] = db_text_or_null(docs, f + 1);
		buf b;
		buf_init(&b, &a);
		pg_document(&b, fields, (size_t)nfields);
		db_stmt *check = db_prepare(check_sql);
		db_bind_int64(check, 1, db_column_int64(docs, 0));
		db_bind_text(check, 2, b.len ? b.data : "");
		ok = db_step(check) == DB_ROW;
		if (!ok)
			log_error("search index: %lld is not what its text"
				  " tokenizes to",
				  (long long)db_column_int64(docs, 0));
		db_reset(check);
	}
	db_reset(docs);
	arena_release(&a);
	return ok && db_int64(extra_sql, 0, 0) == 0;
}

bool store_search_index_ok(void)
{
	if (store_search_flush() < 0)
		return false;
	if (db_pg)
		return pg_index_matches(
			       "SELECT id, text, spoiler_text, media FROM"
			       " status_search_docs",
			       "SELECT 1 FROM status_search WHERE status_id"
			       " = ?1 AND doc = CAST(?2 AS tsvector)",
			       "SELECT count(*) FROM status_search f WHERE"
			       " NOT EXISTS (SELECT 1 FROM status_search_docs"
			       " d WHERE d.id = f.status_id)",
			       3) &&
		       pg_index_matches(
			       "SELECT id, username, display_name FROM"
			       " accounts",
			       "SELECT 1 FROM account_search WHERE account_id"
			       " = ?1 AND doc = CAST(?2 AS tsvector)",
			       "SELECT count(*) FROM account_search f WHERE"
			       " NOT EXISTS (SELECT 1 FROM accounts a"
			       " WHERE a.id = f.account_id)",
			       2);
	return index_matches("status_search",
			     "text, spoiler_text, media, author",
			     "SELECT id, text, spoiler_text, media, author"
			     " FROM status_search_docs") &&
	       index_matches("account_search", "username, display_name",
			     "SELECT id, username, display_name FROM accounts");
}

/* ---- the indexer thread ----
 * Flushes the backlog every SEARCH_FLUSH_PERIOD_MS. Each flush holds the
 * write lock while it indexes: at 3 000 posts/s a flush a second held it
 * 20-50 ms, which every POST behind it waited; a tenth of that backlog
 * ten times a second holds it a few ms, and still writes one FTS segment
 * per flush instead of one per post. */
static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop;
} indexer = {.lock = PTHREAD_MUTEX_INITIALIZER,
	     .wake = PTHREAD_COND_INITIALIZER};

static void *indexer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&indexer.lock);
	while (!indexer.stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += SEARCH_FLUSH_PERIOD_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&indexer.wake, &indexer.lock, &until);
		pthread_mutex_unlock(&indexer.lock);
		search_flush(false);
		pthread_mutex_lock(&indexer.lock);
	}
	pthread_mutex_unlock(&indexer.lock);
	store_thread_close();
	return NULL;
}

int store_search_indexer_start(void)
{
	pthread_mutex_lock(&indexer.lock);
	indexer.stop = false;
	indexer.running =
		pthread_create(&indexer.thread, NULL, indexer_main, NULL) == 0;
	bool ok = indexer.running;
	pthread_mutex_unlock(&indexer.lock);
	if (!ok)
		log_error("cannot start the search indexer thread");
	return ok ? 0 : -1;
}

void store_search_indexer_stop(void)
{
	pthread_mutex_lock(&indexer.lock);
	bool running = indexer.running;
	indexer.stop = true;
	indexer.running = false;
	pthread_cond_signal(&indexer.wake);
	pthread_mutex_unlock(&indexer.lock);
	if (running)
		pthread_join(indexer.thread, NULL); /* its last flush done */
}
