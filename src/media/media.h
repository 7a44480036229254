/* media.h — uploaded media: sniffing, image processing, blurhash.
 *
 * Uploads are judged by their bytes only (libmagic), never by their name or
 * the client's Content-Type. Images are decoded with libvips under a pixel
 * cap, turned upright, stripped of every metadata block (EXIF with GPS, XMP,
 * IPTC, ICC), fitted into a box and re-encoded, with a JPEG preview and its
 * BlurHash. The video side lives in media/video.h.
 *
 * Error strings returned through `err` are static, English and safe to send
 * to clients; libvips' own messages are only ever logged. */
#ifndef CHORUS_MEDIA_H
#define CHORUS_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

typedef enum media_type {
	MEDIA_TYPE_UNKNOWN,
	MEDIA_TYPE_IMAGE,
	MEDIA_TYPE_GIFV,
	MEDIA_TYPE_VIDEO,
	MEDIA_TYPE_AUDIO,
} media_type;

/* Once per process, before any thread calls into media: initialise libvips
 * (argv0 as for VIPS_INIT) with no operation cache, so memory stays bounded,
 * 2 threads per pipeline unless VIPS_CONCURRENCY says otherwise, its warnings
 * sent to our log, and, process-wide, only the JPEG, PNG, WebP, GIF and HEIF
 * loaders allowed. Returns 0, or -1 (logged) when libvips cannot start. */
int media_init(const char *argv0);
/* Release libvips' global state; after the last media call, once. */
void media_shutdown(void);

/* What libmagic reads from the file's bytes. Both strings are static. */
typedef struct media_sniffed {
	/* IMAGE: jpeg/png/webp/gif/heic; VIDEO: mp4/webm/mov;
	 * AUDIO: mp3/ogg/wav/flac/m4a */
	media_type type;
	const char *mime; /* canonical, e.g. "image/jpeg", "audio/wav" */
	const char *ext;  /* without the dot, e.g. "jpg", "wav" */
} media_sniffed;

/* True, with *out filled, when path is a non-empty regular file whose content
 * is on the allow-list; false otherwise (text named .jpg, unknown, empty,
 * unreadable). HEIC only when this libvips can load it (needs media_init).
 * Thread-safe: each call opens and closes its own libmagic handle. */
bool media_sniff(const char *path, media_sniffed *out);

typedef struct media_image_limits {
	long max_pixels;	   /* input width*height cap, checked from the
				      header before decoding (image bombs) */
	int max_width, max_height; /* box the original is fitted into, never
				      upscaled */
	int small_size; /* the preview is fitted into small_size squared */
} media_image_limits;

typedef struct media_dims {
	int width, height;
} media_dims;

typedef struct media_image_result {
	media_dims original, small; /* of the files written */
	char blurhash[64]; /* of the preview, 4x4 components, NUL-terminated */
	/* More than one frame (animated GIF/WebP): media_image_process wrote
	 * nothing, and the caller sends the file to the video pipeline as a
	 * gifv. */
	bool animated;
} media_image_result;

/* The extension / MIME type the processed original is written in, given the
 * sniffed input MIME: jpeg and heic -> jpg (image/jpeg), png -> png, webp ->
 * webp, static gif -> png. Static strings; NULL for anything else. */
const char *media_image_ext(const char *mime);
const char *media_image_mime(const char *mime);

/* Process the image at in: refuse it when its header's width*height exceeds
 * lim->max_pixels (before any pixel is decoded); turn it upright by its EXIF
 * orientation; fit it into max_width x max_height; write it to out_original
 * (format of media_image_ext) and a JPEG preview fitted into small_size,
 * alpha flattened on white, to out_small; both without any metadata. Writes
 * only those two paths, and leaves neither behind on failure. Returns 0 with
 * *res filled (res->animated: nothing written, see above), or -1 with *err
 * set to a static client-facing message. Thread-safe after media_init. */
int media_image_process(const char *in, const char *out_original,
			const char *out_small, const media_image_limits *lim,
			media_image_result *res, const char **err);

/* Only the preview, for a video's poster frame or a user-supplied thumbnail:
 * same checks and rules as media_image_process (first frame when animated),
 * writes the JPEG out_small and fills res->small, res->blurhash, res->animated
 * and res->original (the input's upright size). 0, or -1 with *err as above
 * and out_small not left behind. Thread-safe after media_init. */
int media_image_preview(const char *in, const char *out_small,
			const media_image_limits *lim, media_image_result *res,
			const char **err);

/* BlurHash (https://blurha.sh, Wolt's reference algorithm) of 8-bit sRGB
 * pixels (3 bytes each, stride width*3) with x_comp x y_comp components (1..9
 * each). Writes the NUL-terminated hash, 6 + 2*(x_comp*y_comp-1) chars, into
 * out. Returns 0, or -1 on bad arguments or when out_size is too small. */
int media_blurhash_encode(const unsigned char *rgb, int width, int height,
			  int x_comp, int y_comp, char *out, size_t out_size);
/* Decode hash into width x height 8-bit sRGB pixels (3 bytes each) at rgb.
 * Returns 0, or -1 for a malformed hash (rgb then unspecified). */
int media_blurhash_decode(const char *hash, int width, int height,
			  unsigned char *rgb);

#endif
