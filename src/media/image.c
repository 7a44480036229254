/* image.c — still images through libvips: decode under a pixel cap, turn
 * upright, fit, strip, re-encode; and a JPEG preview with its BlurHash.
 *
 * The input is opened twice: once for its header alone (format, size, frame
 * count), so an image bomb is refused before a pixel is decoded, then through
 * vips_thumbnail, which shrinks on load (a 24 MP JPEG is decoded at 1/2 or
 * 1/4 scale by libjpeg itself), applies the EXIF orientation and converts an
 * embedded ICC profile to sRGB. The fitted result (at most the output box) is
 * then materialised in memory, which keeps decode failures (the client's
 * fault) apart from write failures (ours), and lets the original and the
 * preview be encoded from one decode. Every save strips all metadata. */
#include "media/media.h"

#include "core/log.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

enum {
	/* Threads one libvips pipeline may use. Uploads are processed by
	 * several server workers at once, so each pipeline stays narrow. */
	IMAGE_VIPS_CONCURRENCY = 2,
	IMAGE_JPEG_QUALITY = 85,
	IMAGE_PREVIEW_QUALITY = 80,
	IMAGE_WEBP_QUALITY = 85,
	/* The BlurHash is computed from a copy fitted into this box, as
	 * Mastodon does (Vips::Image.thumbnail(path, 100)). */
	IMAGE_BLURHASH_BOX = 100,
	IMAGE_BLURHASH_COMP = 4,
	IMAGE_WHITE = 255,
};

static const char ERR_TOO_LARGE[] = "Image dimensions are too large";
static const char ERR_CORRUPT[] =
	"Could not process the image: the file is corrupt or truncated";
static const char ERR_FORMAT[] = "Unsupported image format";
static const char ERR_STORE[] = "Could not store the processed image";

/* The loaders we accept, by libvips class-name prefix, with the MIME type
 * they stand for and whether a frame count above one means animation (for
 * HEIF it means several unrelated top-level images). */
typedef struct image_loader {
	const char *class_prefix;
	const char *mime;
	bool animates;
} image_loader;

static const image_loader image_loaders[] = {
	{"VipsForeignLoadJpeg", "image/jpeg", false},
	{"VipsForeignLoadPng", "image/png", false},
	{"VipsForeignLoadWebp", "image/webp", true},
	{"VipsForeignLoadNsgif", "image/gif", true},
	{"VipsForeignLoadGif", "image/gif", true},
	{"VipsForeignLoadHeif", "image/heic", false},
};

/* What the header says, before any decoding. */
typedef struct image_header {
	const image_loader *loader;
	media_dims upright; /* first frame's size after EXIF orientation */
	bool animated;
	bool has_icc; /* an embedded colour profile, to convert to sRGB */
} image_header;

/* libvips reports recoverable trouble (a damaged tile, an odd profile) as
 * GLib warnings on stderr; keep them in our log instead. */
static void image_log_glib(const gchar *domain, GLogLevelFlags level,
			   const gchar *message, gpointer data)
{
	log_info("media: %s: %s", domain ? domain : "glib", message);
}

int media_init(const char *argv0)
{
	if (VIPS_INIT(argv0 ? argv0 : "chorus") != 0) {
		log_error("media: libvips init: %s", vips_error_buffer());
		vips_error_clear();
		return -1;
	}
	/* The operation cache would keep decoded uploads alive between
	 * requests; every upload is seen once, so it only costs memory. */
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	if (!getenv("VIPS_CONCURRENCY")) /* the operator's choice wins */
		vips_concurrency_set(IMAGE_VIPS_CONCURRENCY);
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE,
			  image_log_glib, NULL);
	/* Untrusted input: no ImageMagick, PDF, SVG, TIFF or other loaders
	 * with a large attack surface, whatever the content claims. */
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (size_t i = 0; i < sizeof image_loaders / sizeof *image_loaders;
	     i++)
		vips_operation_block_set(image_loaders[i].class_prefix, FALSE);
	return 0;
}

void media_shutdown(void)
{
	vips_shutdown();
}

const char *media_image_ext(const char *mime)
{
	if (!mime)
		return NULL;
	if (strcmp(mime, "image/jpeg") == 0 || strcmp(mime, "image/heic") == 0)
		return "jpg";
	if (strcmp(mime, "image/png") == 0 || strcmp(mime, "image/gif") == 0)
		return "png";
	if (strcmp(mime, "image/webp") == 0)
		return "webp";
	return NULL;
}

const char *media_image_mime(const char *mime)
{
	const char *ext = media_image_ext(mime);
	if (!ext)
		return NULL;
	if (strcmp(ext, "jpg") == 0)
		return "image/jpeg";
	if (strcmp(ext, "png") == 0)
		return "image/png";
	return "image/webp";
}

/* Log libvips' pending error text (never shown to clients) and clear it. */
static void image_log_vips(const char *what, const char *path)
{
	/* The copy is taken and cleared under libvips' lock: other threads
	 * may be failing at the same moment. */
	char *msg = vips_error_buffer_copy();
	log_info("media: %s %s: %s", what, path, msg ? msg : "");
	g_free(msg);
}

static const image_loader *image_find_loader(const char *path)
{
	const char *name = vips_foreign_find_load(path);
	if (!name) {
		image_log_vips("identify", path);
		return NULL;
	}
	for (size_t i = 0; i < sizeof image_loaders / sizeof *image_loaders;
	     i++) {
		const char *prefix = image_loaders[i].class_prefix;
		if (strncmp(name, prefix, strlen(prefix)) == 0)
			return &image_loaders[i];
	}
	return NULL;
}

/* Read in's header into *h and refuse it unless an allowed loader takes it
 * and its first frame holds at most lim->max_pixels. 0, or -1 and *err. */
static int image_read_header(const char *in, const media_image_limits *lim,
			     image_header *h, const char **err)
{
	assert(lim->max_pixels > 0 && lim->max_width > 0 &&
	       lim->max_height > 0 && lim->small_size > 0);
	h->loader = image_find_loader(in);
	if (!h->loader) {
		*err = ERR_FORMAT;
		return -1;
	}
	VipsImage *img =
		vips_image_new_from_file(in, "access", VIPS_ACCESS_SEQUENTIAL,
					 "fail_on", VIPS_FAIL_ON_ERROR, NULL);
	if (!img) {
		image_log_vips("header", in);
		*err = ERR_CORRUPT;
		return -1;
	}
	long long width = vips_image_get_width(img);
	long long height = vips_image_get_page_height(img);
	bool swap = vips_image_get_orientation_swap(img);
	h->animated = h->loader->animates && vips_image_get_n_pages(img) > 1;
	h->has_icc = vips_image_get_typeof(img, VIPS_META_ICC_NAME) != 0;
	g_object_unref(img);
	if (width * height > lim->max_pixels) {
		*err = ERR_TOO_LARGE;
		return -1;
	}
	h->upright.width = (int)(swap ? height : width);
	h->upright.height = (int)(swap ? width : height);
	return 0;
}

/* Decode in's first frame upright, in sRGB (or grey), 8 bits per band,
 * fitted into box_w x box_h (never enlarged), into memory. h is in's header.
 * NULL on a decode failure, logged. The caller unrefs. */
static VipsImage *image_decode_fitted(const char *in, const image_header *h,
				      int box_w, int box_h)
{
	VipsImage *t[3] = {NULL, NULL, NULL};
	VipsImage *mem = NULL;
	/* An export profile makes vips_thumbnail colour-manage even images
	 * without a profile (an sRGB-to-sRGB pass), so ask only when one is
	 * embedded. CMYK is converted to sRGB either way. */
	int rc = h->has_icc ? vips_thumbnail(in, &t[0], box_w, "height", box_h,
					     "size", VIPS_SIZE_DOWN, "fail_on",
					     VIPS_FAIL_ON_ERROR,
					     "export_profile", "srgb", NULL)
			    : vips_thumbnail(in, &t[0], box_w, "height", box_h,
					     "size", VIPS_SIZE_DOWN, "fail_on",
					     VIPS_FAIL_ON_ERROR, NULL);
	if (rc != 0)
		goto done;
	/* 16-bit PNGs without a profile are not converted by the above. */
	VipsInterpretation target = vips_image_get_bands(t[0]) <= 2
					    ? VIPS_INTERPRETATION_B_W
					    : VIPS_INTERPRETATION_sRGB;
	if (vips_colourspace(t[0], &t[1], target, NULL) != 0)
		goto done;
	if (vips_image_get_format(t[1]) != VIPS_FORMAT_UCHAR) {
		if (vips_cast_uchar(t[1], &t[2], NULL) != 0)
			goto done;
	} else {
		t[2] = t[1];
		g_object_ref(t[2]);
	}
	mem = vips_image_copy_memory(t[2]);
done:
	if (!mem)
		image_log_vips("decode", in);
	for (int i = 0; i < 3; i++)
		if (t[i])
			g_object_unref(t[i]);
	return mem;
}

/* in without alpha, composed on white; a new reference either way. */
static int image_flatten(VipsImage *in, VipsImage **out)
{
	if (!vips_image_hasalpha(in)) {
		*out = in;
		g_object_ref(in);
		return 0;
	}
	/* One value serves every band, grey or colour. */
	VipsArrayDouble *white = vips_array_double_newv(1, (double)IMAGE_WHITE);
	int rc = vips_flatten(in, out, "background", white, NULL);
	vips_area_unref(VIPS_AREA(white));
	return rc;
}

/* A copy of img's header with every metadata item removed (EXIF, XMP, IPTC,
 * ICC, orientation, comments, loader hints), so no saver can write one back:
 * in libvips 8.14 webpsave writes the ICC profile despite "strip". NULL on
 * failure. */
static VipsImage *image_bare(VipsImage *img)
{
	VipsImage *copy = NULL;
	if (vips_copy(img, &copy, NULL) != 0)
		return NULL;
	gchar **fields = vips_image_get_fields(copy);
	for (gchar **f = fields; *f; f++)
		vips_image_remove(copy, *f); /* built-in fields stay */
	g_strfreev(fields);
	return copy;
}

static uint32_t image_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void image_put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Remove the ICCP, EXIF and "XMP " chunks from the WebP file in buf and
 * their flags from VP8X, in place: libvips 8.14's webpsave writes an EXIF
 * block (orientation, resolution) even with "strip". 0, or -1 when buf is
 * not a well-formed WebP. */
static int image_webp_strip(unsigned char *buf, size_t *len)
{
	enum { RIFF_HEADER = 12, CHUNK_HEADER = 8 };
	enum { VP8X_ICC = 0x20, VP8X_EXIF = 0x08, VP8X_XMP = 0x04 };
	if (*len < RIFF_HEADER || memcmp(buf, "RIFF", 4) != 0 ||
	    memcmp(buf + 8, "WEBP", 4) != 0)
		return -1;
	size_t in = RIFF_HEADER, out = RIFF_HEADER;
	while (in < *len) {
		if (*len - in < CHUNK_HEADER)
			return -1;
		size_t size = image_le32(buf + in + 4);
		if (size > *len - in - CHUNK_HEADER)
			return -1;
		size_t whole = CHUNK_HEADER + size;
		if ((size & 1) && whole < *len - in)
			whole++; /* the pad byte after an odd payload */
		const unsigned char *fourcc = buf + in;
		bool drop = memcmp(fourcc, "ICCP", 4) == 0 ||
			    memcmp(fourcc, "EXIF", 4) == 0 ||
			    memcmp(fourcc, "XMP ", 4) == 0;
		if (!drop) {
			memmove(buf + out, buf + in, whole);
			if (memcmp(buf + out, "VP8X", 4) == 0 && size > 0)
				buf[out + CHUNK_HEADER] &=
					~(VP8X_ICC | VP8X_EXIF | VP8X_XMP);
			out += whole;
		}
		in += whole;
	}
	image_put_le32(buf + 4, (uint32_t)(out - CHUNK_HEADER));
	*len = out;
	return 0;
}

/* Create path (mode 0666 less umask, as libvips does) holding buf. */
static int image_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		log_error("media: create %s: %s", path, strerror(errno));
		return -1;
	}
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("media: write %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0) {
		log_error("media: close %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int image_save_webp(VipsImage *img, const char *path)
{
	void *buf = NULL;
	size_t len = 0;
	if (vips_webpsave_buffer(img, &buf, &len, "Q", IMAGE_WEBP_QUALITY,
				 "strip", TRUE, NULL) != 0)
		return -1;
	int rc = -1;
	if (image_webp_strip(buf, &len) != 0)
		log_error("media: libvips wrote a malformed WebP");
	else
		rc = image_write_file(path, buf, len);
	g_free(buf);
	return rc;
}

static int image_save_as(VipsImage *img, const char *path, const char *ext,
			 int jpeg_quality)
{
	if (strcmp(ext, "jpg") == 0)
		return vips_jpegsave(img, path, "Q", jpeg_quality, "strip",
				     TRUE, "optimize_coding", TRUE, NULL);
	if (strcmp(ext, "png") == 0)
		return vips_pngsave(img, path, "strip", TRUE, NULL);
	return image_save_webp(img, path);
}

/* Write img (upright, 8-bit) to path as ext ("jpg", "png" or "webp"; JPEG
 * flattened on white) with no metadata at all. 0 or -1 (logged). */
static int image_save(VipsImage *img, const char *path, const char *ext,
		      int jpeg_quality)
{
	VipsImage *flat = NULL, *bare = NULL;
	int rc = -1;
	if (strcmp(ext, "jpg") == 0) {
		if (image_flatten(img, &flat) != 0)
			goto done;
	} else {
		flat = img;
		g_object_ref(flat);
	}
	bare = image_bare(flat);
	if (bare)
		rc = image_save_as(bare, path, ext, jpeg_quality);
done:
	if (rc != 0)
		image_log_vips("save", path);
	if (bare)
		g_object_unref(bare);
	if (flat)
		g_object_unref(flat);
	return rc;
}

/* img fitted into a box x box square, never enlarged; a new reference. */
static VipsImage *image_fit(VipsImage *img, int box)
{
	int w = vips_image_get_width(img), h = vips_image_get_height(img);
	if (w <= box && h <= box) {
		g_object_ref(img);
		return img;
	}
	int tw = w >= h ? box : (int)((double)w * box / h + 0.5);
	int th = w >= h ? (int)((double)h * box / w + 0.5) : box;
	tw = tw < 1 ? 1 : tw;
	th = th < 1 ? 1 : th;
	VipsImage *out = NULL;
	if (vips_resize(img, &out, (double)tw / w, "vscale", (double)th / h,
			NULL) != 0) {
		image_log_vips("resize", "");
		return NULL;
	}
	return out;
}

/* The preview of img as 3-band sRGB on white, fitted into box, in memory.
 * NULL on failure (logged). The caller unrefs. */
static VipsImage *image_preview_pixels(VipsImage *img, int box)
{
	VipsImage *t[3] = {NULL, NULL, NULL};
	VipsImage *mem = NULL;
	t[0] = image_fit(img, box);
	if (t[0] &&
	    vips_colourspace(t[0], &t[1], VIPS_INTERPRETATION_sRGB, NULL) ==
		    0 &&
	    image_flatten(t[1], &t[2]) == 0)
		mem = vips_image_copy_memory(t[2]);
	if (!mem)
		image_log_vips("preview", "");
	for (int i = 0; i < 3; i++)
		if (t[i])
			g_object_unref(t[i]);
	return mem;
}

/* Fill hash from preview (3-band sRGB uchar). 0 or -1. */
static int image_blurhash(VipsImage *preview, char *hash, size_t size)
{
	VipsImage *tiny = image_fit(preview, IMAGE_BLURHASH_BOX);
	if (!tiny)
		return -1;
	size_t len = 0;
	unsigned char *px = vips_image_write_to_memory(tiny, &len);
	int w = vips_image_get_width(tiny), h = vips_image_get_height(tiny);
	g_object_unref(tiny);
	if (!px || len != (size_t)w * h * 3) {
		image_log_vips("blurhash", "");
		g_free(px);
		return -1;
	}
	int rc = media_blurhash_encode(px, w, h, IMAGE_BLURHASH_COMP,
				       IMAGE_BLURHASH_COMP, hash, size);
	g_free(px);
	return rc;
}

/* Write the JPEG preview of img (upright, 8-bit) to out_small and fill
 * res->small and res->blurhash. 0, or -1 and *err. */
static int image_write_preview(VipsImage *img, int box, const char *out_small,
			       media_image_result *res, const char **err)
{
	VipsImage *preview = image_preview_pixels(img, box);
	if (!preview) {
		*err = ERR_CORRUPT;
		return -1;
	}
	int rc = image_blurhash(preview, res->blurhash, sizeof res->blurhash);
	if (rc != 0) {
		*err = ERR_CORRUPT;
	} else if (image_save(preview, out_small, "jpg",
			      IMAGE_PREVIEW_QUALITY) != 0) {
		unlink(out_small);
		*err = ERR_STORE;
		rc = -1;
	} else {
		res->small.width = vips_image_get_width(preview);
		res->small.height = vips_image_get_height(preview);
	}
	g_object_unref(preview);
	return rc;
}

int media_image_process(const char *in, const char *out_original,
			const char *out_small, const media_image_limits *lim,
			media_image_result *res, const char **err)
{
	memset(res, 0, sizeof *res);
	image_header h;
	if (image_read_header(in, lim, &h, err) != 0)
		return -1;
	if (h.animated) {
		res->animated = true;
		res->original = h.upright;
		return 0;
	}
	const char *ext = media_image_ext(h.loader->mime);
	VipsImage *fitted =
		image_decode_fitted(in, &h, lim->max_width, lim->max_height);
	if (!fitted) {
		*err = ERR_CORRUPT;
		return -1;
	}
	int rc = -1;
	if (image_save(fitted, out_original, ext, IMAGE_JPEG_QUALITY) != 0) {
		unlink(out_original);
		*err = ERR_STORE;
	} else if (image_write_preview(fitted, lim->small_size, out_small, res,
				       err) != 0) {
		unlink(out_original);
	} else {
		res->original.width = vips_image_get_width(fitted);
		res->original.height = vips_image_get_height(fitted);
		rc = 0;
	}
	g_object_unref(fitted);
	return rc;
}

int media_image_preview(const char *in, const char *out_small,
			const media_image_limits *lim, media_image_result *res,
			const char **err)
{
	memset(res, 0, sizeof *res);
	image_header h;
	if (image_read_header(in, lim, &h, err) != 0)
		return -1;
	VipsImage *fitted =
		image_decode_fitted(in, &h, lim->small_size, lim->small_size);
	if (!fitted) {
		*err = ERR_CORRUPT;
		return -1;
	}
	int rc = image_write_preview(fitted, lim->small_size, out_small, res,
				     err);
	g_object_unref(fitted);
	if (rc == 0) {
		res->original = h.upright;
		res->animated = h.animated;
	}
	return rc;
}
