/* media.c — uploads (v1 and v2), their state, alt text, and the files. */
#include "api/api.h"

#include <string.h>

/* The upload's fields from the request; file parts arrive on disk. */
static void read_upload(http_req *r, media_upload *u)
{
	memset(u, 0, sizeof *u);
	const http_param *file = http_param_find(r, "file");
	if (file && file->path) {
		u->path = file->path;
		u->size = file->len;
	}
	const http_param *thumb = http_param_find(r, "thumbnail");
	if (thumb && thumb->path) {
		u->thumbnail_path = thumb->path;
		u->thumbnail_size = thumb->len;
	}
	u->description = http_param_get(r, "description");
	u->focus = http_param_get(r, "focus");
}

/* 200 when ready; 202 (a new v2 upload) or 206 (polling) while the file
 * is processed; 422 with the reason when processing failed. */
static void reply_media(http_req *r, const media_attachment *m, int pending)
{
	if (m->state == MEDIA_FAILED) {
		http_reply_error(r, 422,
				 m->error ? m->error
					  : "The file could not be processed");
		return;
	}
	http_reply_json(r, m->state == MEDIA_READY ? 200 : pending,
			render_media(&r->arena, m));
}

/* Processing takes up to a second for an image (and a v1 upload waits
 * for video), so it runs on a work thread: the I/O thread keeps serving
 * everyone else meanwhile. ctx is non-NULL to wait for processing. */
static void create_work(http_req *r, void *wait)
{
	media_upload u;
	read_upload(r, &u);
	media_attachment m;
	const char *msg = NULL;
	dom_err err = media_create(&r->arena, api_principal(r), &u,
				   wait != NULL, &m, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	reply_media(r, &m, 202);
}

void media_create_v1(http_req *r)
{
	http_defer(r, create_work, r);
}

void media_create_v2(http_req *r)
{
	http_defer(r, create_work, NULL);
}

void media_show(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	media_attachment m;
	dom_err err = media_get(&r->arena, api_principal(r), id, &m);
	if (err) {
		api_reply_dom(r, err, NULL);
		return;
	}
	reply_media(r, &m, 206);
}

static void update_work(http_req *r, void *ctx)
{
	int64_t id = *(int64_t *)ctx;
	media_upload u;
	read_upload(r, &u);
	media_attachment m;
	const char *msg = NULL;
	dom_err err =
		media_update(&r->arena, api_principal(r), id, &u, &m, &msg);
	if (err) {
		api_reply_dom(r, err, msg);
		return;
	}
	reply_media(r, &m, 206);
}

void media_update_handler(http_req *r)
{
	int64_t *id = arena_alloc(&r->arena, sizeof *id);
	if (api_path_id(r, 0, id))
		http_defer(r, update_work, id); /* a thumbnail is processed */
}

void media_delete_handler(http_req *r)
{
	int64_t id;
	if (!api_path_id(r, 0, &id))
		return;
	const char *msg = NULL;
	dom_err err = media_delete(&r->arena, api_principal(r), id, &msg);
	api_reply_dom(r, err, msg);
}

/* Names the media code writes: 16 hex digits, an optional "-small",
 * one of the extensions below. Anything else is not ours. */
static const char *file_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".jpg", "image/jpeg"},	 {".png", "image/png"},
		{".webp", "image/webp"}, {".mp4", "video/mp4"},
		{".mp3", "audio/mpeg"},
	};
	size_t i = 0;
	while (i < 16 && strchr("0123456789abcdef", name[i]) && name[i])
		i++;
	if (i != 16)
		return NULL;
	const char *rest = name + 16;
	if (!strncmp(rest, "-small", 6))
		rest += 6;
	for (size_t k = 0; k < sizeof types / sizeof *types; k++)
		if (!strcmp(rest, types[k].ext))
			return types[k].type;
	return NULL;
}

void media_file(http_req *r)
{
	const char *name = http_path_param(r, 0);
	const char *type = file_type(name);
	if (!type) {
		http_reply_error(r, 404, "Not found");
		return;
	}
	/* a name is never reused for other bytes, so the name is the tag
	 * and the file may be cached for good */
	http_reply_file(r, media_file_path(&r->arena, name), type, name,
			"public, max-age=31536000, immutable");
}
