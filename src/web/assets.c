/* assets.c — the stylesheet and the script, built into the binary (the
 * Makefile links src/web/assets/ in with `ld -b binary`) and served under
 * names carrying their content hash, so a browser may keep each for a
 * year and still never run a stale one. */
#include "web/web.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

extern const char _binary_chorus_css_start[], _binary_chorus_css_end[];
extern const char _binary_chorus_js_start[], _binary_chorus_js_end[];
extern const char _binary_icon_svg_start[], _binary_icon_svg_end[];

typedef struct asset {
	const char *start, *end;
	const char *ext, *type;
	char path[64]; /* /assets/chorus.<hash>.<ext> */
	char etag[24];
	char *gz; /* gzipped once at start, or NULL */
	size_t gzlen;
} asset;

static arena assets_arena; /* the gzipped copies, for the process */

static asset assets[] = {
	[WEB_ASSET_CSS] = {_binary_chorus_css_start, _binary_chorus_css_end,
			   "css", "text/css; charset=utf-8", "", ""},
	[WEB_ASSET_JS] = {_binary_chorus_js_start, _binary_chorus_js_end, "js",
			  "text/javascript; charset=utf-8", "", ""},
	[WEB_ASSET_ICON] = {_binary_icon_svg_start, _binary_icon_svg_end, "svg",
			    "image/svg+xml", "", ""},
};

int web_assets_init(void)
{
	arena_init(&assets_arena);
	for (size_t i = 0; i < sizeof assets / sizeof *assets; i++) {
		asset *a = &assets[i];
		unsigned char h[8];
		crypto_generichash(h, sizeof h, (const unsigned char *)a->start,
				   (size_t)(a->end - a->start), NULL, 0);
		char hex[2 * sizeof h + 1];
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		snprintf(a->path, sizeof a->path, "/assets/chorus.%s.%s", hex,
			 a->ext);
		snprintf(a->etag, sizeof a->etag, "%s", hex);
		if (!web_gzip(&assets_arena, a->start,
			      (size_t)(a->end - a->start), &a->gz, &a->gzlen))
			a->gz = NULL;
	}
	return 0;
}

void web_assets_shutdown(void)
{
	arena_release(&assets_arena);
	for (size_t i = 0; i < sizeof assets / sizeof *assets; i++)
		assets[i].gz = NULL;
}

const char *web_asset_path(web_asset_kind kind)
{
	return assets[kind].path;
}

void web_asset(http_req *r)
{
	for (size_t i = 0; i < sizeof assets / sizeof *assets; i++) {
		asset *a = &assets[i];
		if (strcmp(r->path, a->path))
			continue;
		bool gz = a->gz && web_accepts_gzip(r);
		http_set_header(r, "Cache-Control",
				"public, max-age=31536000, immutable");
		http_set_header(r, "Vary", "Accept-Encoding");
		http_set_header(r, "ETag",
				arena_printf(&r->arena, "\"%s%s\"", a->etag,
					     gz ? "-gz" : ""));
		if (gz) {
			http_set_header(r, "Content-Encoding", "gzip");
			http_reply_raw(r, 200, a->type, a->gz, a->gzlen);
		} else {
			http_reply_raw(r, 200, a->type, a->start,
				       (size_t)(a->end - a->start));
		}
		return;
	}
	/* an old hash: the page that named it is stale, not the link */
	web_not_found(r);
}
