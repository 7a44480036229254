/* exports.c — your data is yours: the CSV files of what an account
 * follows, blocks, mutes, the domains it blocks and its bookmarks
 * (GoToSocial's /api/v1/exports/…csv, with Mastodon's columns), the
 * whole archive with its posts and media (archive.tar.gz), and the
 * CSVs' import (GoToSocial's /api/v1/import). domain/export.c holds
 * what they contain. */
#include "api/api.h"

#include "core/id.h"

#include <string.h>
#include <unistd.h>

/* The archive is written to a file first (media may be large): on the
 * fetch pool, off the request threads. */
static void archive_work(http_req *r, void *ctx)
{
	(void)ctx;
	const char *path =
		arena_printf(&r->arena, "%s/archive-%lld.tar.gz",
			     media_upload_dir(), (long long)id_next());
	if (account_archive(&r->arena, api_principal(r)->account_id, path) <
	    0) {
		api_reply_dom(r, DOM_INTERNAL, NULL);
		return;
	}
	http_set_header(r, "Content-Disposition",
			"attachment; filename=\"archive.tar.gz\"");
	/* the reply holds the file open: its name may go at once */
	http_reply_file(r, path, "application/gzip", NULL, "no-store");
	unlink(path);
}

void exports_csv(http_req *r)
{
	const char *file = http_path_param(r, 0);
	if (file && !strcmp(file, "archive.tar.gz")) {
		if (!http_defer_to(r, API_POOL_FETCH, archive_work, NULL))
			api_reply_busy(r);
		return;
	}
	const char *dot = file ? strrchr(file, '.') : NULL;
	export_kind kind;
	if (!dot || strcmp(dot, ".csv") ||
	    !export_kind_parse(
		    arena_strndup(&r->arena, file, (size_t)(dot - file)),
		    &kind)) {
		http_reply_error(r, 404, "Record not found");
		return;
	}
	const char *csv =
		account_export(&r->arena, api_principal(r)->account_id, kind);
	http_set_header(
		r, "Content-Disposition",
		arena_printf(&r->arena, "attachment; filename=\"%s\"", file));
	http_reply_raw(r, 200, "text/csv; charset=utf-8", csv, strlen(csv));
}

/* The import asks other servers of accounts and posts: on the fetch
 * pool. */
static void import_work(http_req *r, void *ctx)
{
	export_kind kind = *(export_kind *)ctx;
	const http_param *data = http_param_find(r, "data");
	import_result res;
	const char *msg;
	dom_err err = account_import(&r->arena, api_principal(r), kind,
				     data->value, data->len, &res, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	http_reply_json(r, 200,
			json_pack("{s:I,s:I}", "rows", (json_int_t)res.rows,
				  "imported", (json_int_t)res.done));
}

void imports_create(http_req *r)
{
	export_kind *kind = arena_alloc(&r->arena, sizeof *kind);
	const http_param *data = http_param_find(r, "data");
	const char *mode = http_param_get(r, "mode");
	if (!export_kind_parse(http_param_get(r, "type"), kind)) {
		http_reply_error(r, 422,
				 "Validation failed: type is following, "
				 "blocks, mutes, domain_blocks or bookmarks");
		return;
	}
	if (!data || !data->len) {
		http_reply_error(r, 422, "Validation failed: data is missing");
		return;
	}
	/* merge only: what is kept already stays */
	if (mode && *mode && strcmp(mode, "merge")) {
		http_reply_error(r, 422, "Validation failed: mode is merge");
		return;
	}
	if (!http_defer_to(r, API_POOL_FETCH, import_work, kind))
		api_reply_busy(r);
}
