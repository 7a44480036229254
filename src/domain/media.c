/* media.c — uploads: sniffed, processed, stored under data/media, attached
 * to statuses, and removed with them.
 *
 * Every file reaches its final name by rename from a temp name in the
 * same directory tree after an fsync, so a reader (or a crash) never sees
 * half a file. Images are processed while the upload request waits; video,
 * GIF animations and audio go to the "media" job, whose source file lives
 * in data/media/src until it is done. */
#include "domain/domain.h"

#include "core/config.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "media/media.h"
#include "media/video.h"
#include "store/store.h"
#include "text/text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	MEDIA_NAME_BYTES = 8, /* 16 hex digits: unguessable file names */
	MEDIA_WAIT_STEP_MS = 100,
};

static char media_root[4096], tmp_root[4200], src_root[4200];

static int make_dir(const char *path)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	log_error("cannot create %s: %s", path, strerror(errno));
	return -1;
}

static void remove_name(const char *dir, const char *name)
{
	if (!name)
		return;
	char path[8400];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (unlink(path) < 0 && errno != ENOENT)
		log_error("cannot remove %s: %s", path, strerror(errno));
}

void media_dirs_use(const char *data_dir)
{
	snprintf(media_root, sizeof media_root, "%s/media", data_dir);
	snprintf(tmp_root, sizeof tmp_root, "%s/tmp", media_root);
	snprintf(src_root, sizeof src_root, "%s/src", media_root);
}

int media_dirs_init(const char *data_dir)
{
	media_dirs_use(data_dir);
	if (make_dir(media_root) < 0 || make_dir(tmp_root) < 0 ||
	    make_dir(src_root) < 0)
		return -1;
	/* whatever is in tmp/ was being written when the process died */
	DIR *d = opendir(tmp_root);
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] != '.' || strlen(e->d_name) > 2)
			remove_name(tmp_root, e->d_name);
	if (d)
		closedir(d);
	return 0;
}

const char *media_upload_dir(void)
{
	return tmp_root;
}

char *media_file_path(arena *a, const char *name)
{
	return arena_printf(a, "%s/%s", media_root, name);
}

/* A fresh random name stem: 16 hex digits. Arena memory. */
static char *new_stem(arena *a)
{
	unsigned char raw[MEDIA_NAME_BYTES];
	randombytes_buf(raw, sizeof raw);
	char *hex = arena_alloc(a, 2 * sizeof raw + 1);
	sodium_bin2hex(hex, 2 * sizeof raw + 1, raw, sizeof raw);
	return hex;
}

static char *tmp_path(arena *a, const char *suffix)
{
	return arena_printf(a, "%s/%s.%s.part", tmp_root, new_stem(a), suffix);
}

/* fsync path, then rename it to dir/name; the temp is gone either way. */
static int install(const char *path, const char *dir, const char *name)
{
	char dest[8400];
	snprintf(dest, sizeof dest, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = fd < 0 || fsync(fd) < 0 ? -1 : 0;
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(path, dest) < 0)
		rc = -1;
	if (rc < 0) {
		log_error("cannot store %s: %s", dest, strerror(errno));
		unlink(path);
		return -1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) { /* the rename itself survives a crash */
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

void media_remove_name(const char *name)
{
	remove_name(media_root, name);
}

void media_remove_files(const media_attachment *m)
{
	remove_name(media_root, m->file);
	remove_name(media_root, m->preview);
	remove_name(src_root, m->source);
}

/* ---- meta ---- */

/* {"width":…,"height":…,"size":"WxH","aspect":…} */
static json_t *dims(int w, int h)
{
	char size[48];
	snprintf(size, sizeof size, "%dx%d", w, h);
	return json_pack("{s:i,s:i,s:s,s:f}", "width", w, "height", h, "size",
			 size, "aspect", h ? (double)w / h : 0.0);
}

/* meta (reference stolen) with its focus, as compact JSON in a. */
static char *dump_meta(arena *a, json_t *meta, double fx, double fy)
{
	json_object_set_new(meta, "focus",
			    json_pack("{s:f,s:f}", "x", fx, "y", fy));
	char *s = json_dumps(meta, JSON_COMPACT | JSON_REAL_PRECISION(6));
	char *out = arena_strdup(a, s ? s : "{}");
	free(s);
	json_decref(meta);
	return out;
}

static void merge(json_t *into, json_t *from)
{
	json_object_update(into, from);
	json_decref(from);
}

/* Mastodon's meta for video, gifv and audio, from the processed file. */
static json_t *av_meta(const media_av_info *v, const media_dims *small)
{
	char length[32];
	media_av_length(v->duration, length, sizeof length);
	json_t *m = json_pack("{s:s,s:f}", "length", length, "duration",
			      v->duration);
	json_t *orig = v->has_video ? dims(v->width, v->height) : json_object();
	json_object_set_new(orig, "duration", json_real(v->duration));
	json_object_set_new(orig, "bitrate",
			    json_integer((json_int_t)v->bitrate));
	if (v->has_video) {
		json_object_set_new(orig, "frame_rate",
				    json_string(v->frame_rate));
		merge(m, json_pack("{s:i,s:i,s:i}", "fps", (int)(v->fps + 0.5),
				   "width", v->width, "height", v->height));
		json_t *d = dims(v->width, v->height);
		json_object_set(m, "size", json_object_get(d, "size"));
		json_object_set(m, "aspect", json_object_get(d, "aspect"));
		json_decref(d);
	}
	json_object_set_new(m, "original", orig);
	if (v->has_audio) {
		char br[32];
		snprintf(br, sizeof br, "%ldk", v->audio_bitrate / 1000);
		merge(m, json_pack("{s:s,s:s,s:s}", "audio_encode",
				   v->audio_encode, "audio_bitrate", br,
				   "audio_channels",
				   v->audio_channels == 1 ? "mono" : "stereo"));
	}
	if (small && small->width)
		json_object_set_new(m, "small",
				    dims(small->width, small->height));
	return m;
}

static media_image_limits image_limits(void)
{
	media_image_limits l = {
		.max_pixels = cfg.image_max_pixels,
		.max_width = cfg.image_max_width,
		.max_height = cfg.image_max_height,
		.small_size = cfg.preview_size,
	};
	return l;
}

static media_av_limits av_limits(void)
{
	media_av_limits l = {
		.timeout_s = cfg.process_timeout,
		.max_width = cfg.video_max_width,
		.max_height = cfg.video_max_height,
		.max_bitrate = cfg.video_max_bitrate,
		.max_fps = cfg.video_max_fps,
		.max_duration = cfg.video_max_seconds,
	};
	return l;
}

/* ---- checks ---- */

/* "x,y" with both in [-1, 1]. */
static bool parse_focus(const char *s, double *x, double *y)
{
	char *end;
	double fx = strtod(s, &end);
	if (end == s || *end != ',')
		return false;
	const char *p = end + 1;
	double fy = strtod(p, &end);
	if (end == p || *end || !(fx >= -1 && fx <= 1 && fy >= -1 && fy <= 1))
		return false;
	*x = fx;
	*y = fy;
	return true;
}

static dom_err check_fields(arena *a, const media_upload *u, double *fx,
			    double *fy, const char **msg)
{
	if (u->focus && *u->focus && !parse_focus(u->focus, fx, fy)) {
		*msg = "Validation failed: Focus must be two numbers between "
		       "-1.0 and 1.0, as \"x,y\"";
		return DOM_INVALID;
	}
	if (u->description &&
	    text_code_points(u->description) > (size_t)cfg.description_limit) {
		*msg = arena_printf(a,
				    "Validation failed: Description is too "
				    "long (maximum is %d characters)",
				    cfg.description_limit);
		return DOM_INVALID;
	}
	return DOM_OK;
}

/* ---- images ---- */

/* Process an image upload into m's files. 0 done, 1 it is animated (a
 * GIF to treat as video), -1 refused (*msg), -2 internal error. */
static int store_image(arena *a, const char *path, const char *mime,
		       media_attachment *m, const char **msg)
{
	const char *ext = media_image_ext(mime);
	char *orig_tmp = tmp_path(a, ext), *small_tmp = tmp_path(a, "jpg");
	media_image_limits lim = image_limits();
	media_image_result res;
	memset(&res, 0, sizeof res);
	const char *err = NULL;
	int rc = media_image_process(path, orig_tmp, small_tmp, &lim, &res,
				     &err);
	/* decoding held tens of MB in this thread's malloc arena: give it
	 * back rather than keep it until the next upload */
	malloc_trim(0);
	if (rc < 0) {
		unlink(orig_tmp);
		unlink(small_tmp);
		*msg = err ? err : "Could not process the image";
		return -1;
	}
	if (res.animated)
		return 1;
	char *stem = new_stem(a);
	m->file = arena_printf(a, "%s.%s", stem, ext);
	m->preview = arena_printf(a, "%s-small.jpg", stem);
	if (install(orig_tmp, media_root, m->file) < 0) {
		unlink(small_tmp);
		return -2;
	}
	if (install(small_tmp, media_root, m->preview) < 0) {
		remove_name(media_root, m->file);
		return -2;
	}
	m->type = "image";
	m->state = MEDIA_READY;
	m->mime = media_image_mime(mime);
	m->blurhash = arena_strdup(a, res.blurhash);
	json_t *meta =
		json_pack("{s:o,s:o}", "original",
			  dims(res.original.width, res.original.height),
			  "small", dims(res.small.width, res.small.height));
	m->meta = dump_meta(a, meta, m->focus_x, m->focus_y);
	return 0;
}

/* A user's thumbnail (or a video's poster frame) as m's preview. */
static int store_preview(arena *a, const char *path, media_attachment *m,
			 media_dims *small, const char **msg)
{
	media_sniffed sn;
	if (!media_sniff(path, &sn) || sn.type != MEDIA_TYPE_IMAGE) {
		*msg = "Validation failed: Thumbnail content type is invalid";
		return -1;
	}
	char *small_tmp = tmp_path(a, "jpg");
	media_image_limits lim = image_limits();
	media_image_result res;
	memset(&res, 0, sizeof res);
	const char *err = NULL;
	if (media_image_preview(path, small_tmp, &lim, &res, &err) < 0) {
		unlink(small_tmp);
		*msg = err ? err : "Could not process the thumbnail";
		return -1;
	}
	const char *name = arena_printf(a, "%s-small.jpg", new_stem(a));
	if (install(small_tmp, media_root, name) < 0)
		return -2;
	remove_name(media_root, m->preview);
	m->preview = name;
	m->blurhash = arena_strdup(a, res.blurhash);
	*small = res.small;
	return 0;
}

/* ---- the API's operations ---- */

static dom_err internal(const char **msg)
{
	*msg = "could not store the file";
	return DOM_INTERNAL;
}

/* Video, GIF animation or audio: keep the upload as the job's source and
 * queue the job; with wait, run it before returning. */
static dom_err queue_av(arena *a, const media_upload *u, media_type type,
			const char *ext, bool wait, media_attachment *m,
			const char **msg)
{
	m->type = type == MEDIA_TYPE_GIFV    ? "gifv"
		  : type == MEDIA_TYPE_VIDEO ? "video"
					     : "audio";
	m->state = MEDIA_PROCESSING;
	m->source = arena_printf(a, "%s.%s", new_stem(a), ext);
	if (install(u->path, src_root, m->source) < 0)
		return internal(msg);
	media_dims small = {0, 0};
	json_t *meta = json_object();
	if (u->thumbnail_path && u->thumbnail_size) {
		int rc = store_preview(a, u->thumbnail_path, m, &small, msg);
		if (rc < 0) {
			remove_name(src_root, m->source);
			return rc == -1 ? DOM_INVALID : internal(msg);
		}
		json_object_set_new(meta, "small",
				    dims(small.width, small.height));
	}
	m->meta = dump_meta(a, meta, m->focus_x, m->focus_y);
	if (store_media_insert(m, MEDIA_JOB) < 0) {
		media_remove_files(m);
		return internal(msg);
	}
	jobs_wake();
	if (wait)
		jobs_run_now(MEDIA_JOB, m->id,
			     (int64_t)cfg.process_timeout * 2000);
	return DOM_OK;
}

dom_err media_create(arena *a, const principal *p, const media_upload *u,
		     bool wait, media_attachment *out, const char **msg)
{
	if (!u->path || u->size == 0) {
		*msg = "Validation failed: File can't be blank";
		return DOM_INVALID;
	}
	media_attachment m;
	memset(&m, 0, sizeof m);
	dom_err err = check_fields(a, u, &m.focus_x, &m.focus_y, msg);
	if (err)
		return err;
	media_sniffed sn;
	if (!media_sniff(u->path, &sn)) {
		*msg = "Validation failed: File content type is invalid";
		return DOM_INVALID;
	}
	long limit = sn.type == MEDIA_TYPE_IMAGE ? cfg.image_max_bytes
						 : cfg.video_max_bytes;
	if ((long)u->size > limit) {
		*msg = arena_printf(a,
				    "Validation failed: File file size must "
				    "be less than %ld MB",
				    limit / (1024 * 1024));
		return DOM_INVALID;
	}
	m.id = id_next();
	m.account_id = p->account_id;
	m.description =
		u->description && *u->description ? u->description : NULL;
	m.created_at = time_now_ms();
	m.mime = sn.mime;
	media_type type = sn.type;
	if (type == MEDIA_TYPE_IMAGE) {
		int rc = store_image(a, u->path, sn.mime, &m, msg);
		if (rc == -1)
			return DOM_INVALID;
		if (rc == -2)
			return internal(msg);
		if (rc == 0) {
			if (store_media_insert(&m, NULL) < 0) {
				media_remove_files(&m);
				return internal(msg);
			}
			*out = m;
			return DOM_OK;
		}
		type = MEDIA_TYPE_GIFV; /* animated */
	}
	err = queue_av(a, u, type, sn.ext, wait, &m, msg);
	if (err)
		return err;
	if (!store_media_get(a, m.id, out))
		return internal(msg);
	return DOM_OK;
}

static dom_err load_own_media(arena *a, const principal *p, int64_t id,
			      media_attachment *m)
{
	if (!store_media_get(a, id, m) || m->account_id != p->account_id)
		return DOM_NOT_FOUND;
	return DOM_OK;
}

dom_err media_get(arena *a, const principal *p, int64_t id,
		  media_attachment *out)
{
	return load_own_media(a, p, id, out);
}

dom_err media_update(arena *a, const principal *p, int64_t id,
		     const media_upload *u, media_attachment *out,
		     const char **msg)
{
	media_attachment m;
	/* like Mastodon, only before it is posted (edits go through the
	 * status) */
	if (load_own_media(a, p, id, &m) || m.status_id) {
		*msg = "Record not found";
		return DOM_NOT_FOUND;
	}
	double fx = m.focus_x, fy = m.focus_y;
	dom_err err = check_fields(a, u, &fx, &fy, msg);
	if (err)
		return err;
	json_t *meta = json_loads(m.meta, 0, NULL);
	if (!json_is_object(meta)) {
		json_decref(meta);
		meta = json_object();
	}
	if (u->thumbnail_path && u->thumbnail_size) {
		media_dims small;
		int rc = store_preview(a, u->thumbnail_path, &m, &small, msg);
		if (rc < 0) {
			json_decref(meta);
			return rc == -1 ? DOM_INVALID : internal(msg);
		}
		json_object_set_new(meta, "small",
				    dims(small.width, small.height));
	}
	if (u->description)
		m.description = *u->description ? u->description : NULL;
	m.focus_x = fx;
	m.focus_y = fy;
	m.meta = dump_meta(a, meta, fx, fy);
	if (store_media_update(&m) < 0)
		return internal(msg);
	*out = m;
	return DOM_OK;
}

dom_err media_delete(arena *a, const principal *p, int64_t id, const char **msg)
{
	media_attachment m;
	if (load_own_media(a, p, id, &m)) {
		*msg = "Record not found";
		return DOM_NOT_FOUND;
	}
	if (m.status_id) {
		*msg = "Media attachment is attached to a status";
		return DOM_INVALID;
	}
	if (store_media_delete(id) < 0)
		return internal(msg);
	media_remove_files(&m);
	return DOM_OK;
}

dom_err media_resolve(arena *a, const principal *p, const char *const *ids,
		      size_t n, int64_t status_id, int64_t **out, size_t *nout,
		      const char **msg)
{
	*out = arena_alloc(a, (n + 1) * sizeof **out);
	*nout = 0;
	if (n > (size_t)cfg.max_media_attachments) {
		*msg = arena_printf(a,
				    "Validation failed: A post can have at "
				    "most %d attachments",
				    cfg.max_media_attachments);
		return DOM_INVALID;
	}
	bool has_av = false;
	for (size_t i = 0; i < n; i++) {
		int64_t id;
		media_attachment m;
		if (!id_parse(ids[i], &id) || load_own_media(a, p, id, &m) ||
		    (m.status_id && m.status_id != status_id)) {
			*msg = arena_printf(a,
					    "Validation failed: Media "
					    "attachment %s was not found",
					    ids[i]);
			return DOM_INVALID;
		}
		if (m.state == MEDIA_PROCESSING) {
			*msg = "Cannot attach files that have not finished "
			       "processing. Try again in a moment!";
			return DOM_INVALID;
		}
		if (m.state == MEDIA_FAILED) {
			*msg = arena_printf(a,
					    "Validation failed: Media "
					    "attachment %s could not be "
					    "processed",
					    ids[i]);
			return DOM_INVALID;
		}
		bool dup = false;
		for (size_t k = 0; k < *nout; k++)
			dup |= (*out)[k] == id;
		if (dup)
			continue;
		has_av |= strcmp(m.type, "image") != 0;
		(*out)[(*nout)++] = id;
	}
	if (has_av && *nout > 1) {
		*msg = "Cannot attach a video to a post that already contains "
		       "images";
		return DOM_INVALID;
	}
	return DOM_OK;
}

enum {
	AVATAR_SIZE = 400, /* Mastodon's avatar box */
	HEADER_WIDTH = 1500,
	HEADER_HEIGHT = 500,
};

dom_err media_profile_image(arena *a, const char *path, size_t size,
			    bool header, const char **name, const char **msg)
{
	media_sniffed sn;
	if (!size || !media_sniff(path, &sn) || sn.type != MEDIA_TYPE_IMAGE) {
		*msg = header ? "Validation failed: Header content type is "
				"invalid"
			      : "Validation failed: Avatar content type is "
				"invalid";
		return DOM_INVALID;
	}
	if ((long)size > cfg.image_max_bytes) {
		*msg = "Validation failed: Image file size is too large";
		return DOM_INVALID;
	}
	media_image_limits lim = image_limits();
	lim.max_width = header ? HEADER_WIDTH : AVATAR_SIZE;
	lim.max_height = header ? HEADER_HEIGHT : AVATAR_SIZE;
	const char *ext = media_image_ext(sn.mime);
	char *out_tmp = tmp_path(a, ext), *small_tmp = tmp_path(a, "jpg");
	media_image_result res;
	memset(&res, 0, sizeof res);
	const char *err = NULL;
	int rc =
		media_image_process(path, out_tmp, small_tmp, &lim, &res, &err);
	unlink(small_tmp);
	if (rc < 0 || res.animated) {
		unlink(out_tmp);
		*msg = rc < 0 && err ? err
				     : "Validation failed: Animated images "
				       "are not supported here";
		return DOM_INVALID;
	}
	*name = arena_printf(a, "%s.%s", new_stem(a), ext);
	if (install(out_tmp, media_root, *name) < 0)
		return internal(msg);
	return DOM_OK;
}

dom_err account_delete(arena *a, int64_t id)
{
	account acc;
	if (!store_account_get(a, id, &acc))
		return DOM_NOT_FOUND;
	/* the names first: the rows go with the account */
	media_attachment *media;
	size_t n = store_media_of_account(a, id, &media);
	if (store_account_delete(id) < 0)
		return DOM_INTERNAL;
	/* its tokens went with it (cascade): its streams close now */
	events_publish(&(event){.kind = EVENT_SESSIONS_ENDED});
	for (size_t i = 0; i < n; i++)
		media_remove_files(&media[i]);
	remove_name(media_root, acc.avatar);
	remove_name(media_root, acc.header);
	return DOM_OK;
}

/* ---- background work ---- */

/* The media job: turn the source into the web-playable file and its
 * poster. 0 when the attachment is settled (ready or failed for good). */
int media_job_run(int64_t id, const char **error)
{
	arena a;
	arena_init(&a);
	media_attachment m;
	if (!store_media_get(&a, id, &m) || m.state != MEDIA_PROCESSING ||
	    !m.source) {
		arena_release(&a);
		return 0;
	}
	media_type type = !strcmp(m.type, "video")  ? MEDIA_TYPE_VIDEO
			  : !strcmp(m.type, "gifv") ? MEDIA_TYPE_GIFV
						    : MEDIA_TYPE_AUDIO;
	char *src = arena_printf(&a, "%s/%s", src_root, m.source);
	media_av_limits lim = av_limits();
	media_av_info info;
	memset(&info, 0, sizeof info);
	const char *err = NULL;
	bool audio = type == MEDIA_TYPE_AUDIO;
	const char *ext = audio ? "mp3" : "mp4";
	char *out_tmp = tmp_path(&a, ext);
	char *poster_tmp = audio ? NULL : tmp_path(&a, "jpg");
	int rc = media_av_transcode(src, type, out_tmp, poster_tmp, &lim, &info,
				    &err);
	media_av_info probed;
	const char *perr = NULL;
	if (rc < 0 && type == MEDIA_TYPE_VIDEO &&
	    media_av_probe(src, &lim, &probed, &perr) == 0 &&
	    !probed.has_video && probed.has_audio) {
		/* an MP4 or WebM holding only sound is a voice message (probed
		 * only now: a second ffprobe per video costs 0.15 s) */
		type = MEDIA_TYPE_AUDIO;
		m.type = "audio";
		audio = true;
		ext = "mp3";
		out_tmp = tmp_path(&a, ext);
		poster_tmp = NULL;
		rc = media_av_transcode(src, type, out_tmp, NULL, &lim, &info,
					&err);
	}
	media_attachment done = m;
	if (rc < 0) {
		done.state = MEDIA_FAILED;
		done.error = err ? err : "Could not process the file";
		unlink(out_tmp);
		if (poster_tmp)
			unlink(poster_tmp);
	} else {
		media_dims small = {0, 0};
		json_t *old = json_loads(m.meta, 0, NULL);
		json_t *osmall = json_object_get(old, "small");
		if (osmall) { /* a thumbnail the user chose */
			small.width = (int)json_integer_value(
				json_object_get(osmall, "width"));
			small.height = (int)json_integer_value(
				json_object_get(osmall, "height"));
		}
		json_decref(old);
		perr = NULL;
		if (poster_tmp && !m.preview &&
		    store_preview(&a, poster_tmp, &done, &small, &perr) < 0)
			log_error("media %lld: no poster: %s", (long long)id,
				  perr ? perr : "?");
		if (poster_tmp)
			unlink(poster_tmp);
		done.file = arena_printf(&a, "%s.%s", new_stem(&a), ext);
		if (install(out_tmp, media_root, done.file) < 0) {
			remove_name(media_root, done.preview);
			*error = "could not store the processed file";
			arena_release(&a);
			return -1;
		}
		done.mime = audio ? "audio/mpeg" : "video/mp4";
		done.state = MEDIA_READY;
		json_t *meta = av_meta(&info, &small);
		done.meta = dump_meta(&a, meta, m.focus_x, m.focus_y);
	}
	done.source = NULL;
	if (store_media_update(&done) < 0) {
		if (done.file)
			remove_name(media_root, done.file);
		*error = "could not record the processed file";
		arena_release(&a);
		return -1;
	}
	remove_name(src_root, m.source);
	if (!store_media_get(&a, id, &m)) /* deleted while we worked */
		media_remove_files(&done);
	arena_release(&a);
	return 0;
}

void media_sweep(void)
{
	enum { BATCH = 64 };
	arena a;
	arena_init(&a);
	int64_t before =
		time_now_ms() - (int64_t)cfg.unattached_hours * 3600 * 1000;
	media_attachment *stale = arena_alloc(&a, BATCH * sizeof *stale);
	size_t n = store_media_stale(&a, before, stale, BATCH);
	for (size_t i = 0; i < n; i++) {
		if (stale[i].state == MEDIA_PROCESSING)
			continue; /* its job still owns the files */
		if (store_media_delete(stale[i].id) == 0)
			media_remove_files(&stale[i]);
	}
	if (n)
		log_info("removed %zu unattached uploads", n);
	arena_release(&a);
}
