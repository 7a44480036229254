/* test_media.c — media: sniffing by content, image processing (orientation,
 * metadata stripping, fitting, bombs, corrupt input, animation), BlurHash
 * known answers, and concurrent use.
 *
 * Fixtures are made at test time in a temporary directory with the tools
 * scripts/deps.sh installs: Python with PIL (the script below), exiftool,
 * ffmpeg and the vips command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/log.h"
#include "media/media.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

enum {
	TEST_THREADS = 4,
	TEST_HASH_4X4_LEN = 1 + 1 + 4 + 2 * 15,
	TEST_HASH_4X3_LEN = 1 + 1 + 4 + 2 * 11,
	TEST_AC_ZERO = 9 * 19 * 19 + 9 * 19 + 9, /* every channel at 0 */
	TEST_BOMB_SIDE = 20000,
	TEST_BOMB_MAX_MS = 1000, /* refusing must not decode anything */
	TEST_COLOUR_TOLERANCE = 40,
};

static const media_image_limits TEST_LIMITS = {
	.max_pixels = 33177600,
	.max_width = 3840,
	.max_height = 2160,
	.small_size = 640,
};

static const char TEST_PYTHON[] = "/usr/bin/python3";

/* Fixture maker: fx.py KIND OUT [ARGS...]. */
static const char TEST_FIXTURE_PY[] =
	"import random, struct, sys, zlib\n"
	"from PIL import Image, ImageCms\n"
	"kind, path = sys.argv[1], sys.argv[2]\n"
	"arg = [int(a) if a.isdigit() else a for a in sys.argv[3:]]\n"
	"def halves(w, h):\n"
	"    im = Image.new('RGB', (w, h), (255, 0, 0))\n"
	"    im.paste((0, 0, 255), (w // 2, 0, w, h))\n"
	"    return im\n"
	"def chunk(t, d):\n"
	"    return struct.pack('>I', len(d)) + t + d + "
	"struct.pack('>I', zlib.crc32(t + d))\n"
	"if kind == 'halves':\n"
	"    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB'))\n"
	"    halves(arg[0], arg[1]).save(path, 'JPEG', quality=95, "
	"icc_profile=srgb.tobytes())\n"
	"elif kind == 'noise':\n"
	"    n = arg[0] * arg[1] * 3\n"
	"    px = random.Random(1).randbytes(n)\n"
	"    Image.frombytes('RGB', (arg[0], arg[1]), px).save(path, "
	"'JPEG', quality=90)\n"
	"elif kind == 'alpha_png':\n"
	"    im = Image.new('RGBA', (arg[0], arg[1]), (0, 0, 0, 0))\n"
	"    im.paste((0, 200, 0, 255), (arg[0] // 2, 0, arg[0], arg[1]))\n"
	"    im.save(path, 'PNG')\n"
	"elif kind == 'cmyk':\n"
	"    Image.new('CMYK', (arg[0], arg[1]), (0, 255, 255, 0)).save(path, "
	"'JPEG')\n"
	"elif kind == 'grey16':\n"
	"    Image.new('I;16', (arg[0], arg[1]), 40000).save(path, 'PNG')\n"
	"elif kind == 'gif':\n"
	"    frames = [Image.new('P', (20, 20), i) for i in range(arg[0])]\n"
	"    for f in frames:\n"
	"        f.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)\n"
	"    frames[0].save(path, 'GIF', save_all=arg[0] > 1, "
	"append_images=frames[1:], duration=100, loop=0)\n"
	"elif kind == 'anim_webp':\n"
	"    frames = [Image.new('RGB', (20, 20), c) for c in "
	"((255, 0, 0), (0, 0, 255))]\n"
	"    frames[0].save(path, 'WEBP', save_all=True, "
	"append_images=frames[1:], "
	"duration=100, loop=0)\n"
	"elif kind in ('webp', 'tiff'):\n"
	"    halves(arg[0], arg[1]).save(path, format=kind.upper())\n"
	"elif kind == 'bomb_png':\n"
	"    ihdr = struct.pack('>IIBBBBB', arg[0], arg[1], 8, 2, 0, 0, 0)\n"
	"    idat = zlib.compress(b'\\0' * (arg[0] * 3 + 1) * 4)\n"
	"    open(path, 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + "
	"chunk(b'IHDR', ihdr) + chunk(b'IDAT', idat) + chunk(b'IEND', b''))\n"
	"elif kind == 'bomb_jpeg':\n"
	"    buf = bytearray(open(arg[0], 'rb').read())\n"
	"    i = buf.index(b'\\xff\\xc0')\n"
	"    buf[i + 5:i + 9] = struct.pack('>HH', arg[2], arg[1])\n"
	"    open(path, 'wb').write(buf)\n"
	"elif kind == 'truncate':\n"
	"    buf = open(arg[0], 'rb').read()\n"
	"    open(path, 'wb').write(buf[:len(buf) // 2])\n"
	"else:\n"
	"    sys.exit(2)\n";

static char test_dir[PATH_MAX];

typedef struct test_path {
	char p[PATH_MAX];
} test_path;

/* name inside the test directory. */
static test_path tp(const char *name)
{
	test_path t;
	int n = snprintf(t.p, sizeof t.p, "%s/%s", test_dir, name);
	assert_true(n > 0 && (size_t)n < sizeof t.p);
	return t;
}

static bool test_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Run a shell command built like printf, quietly; the test fails unless it
 * exits 0. Paths are under test_dir, which holds no shell metacharacters. */
__attribute__((format(printf, 1, 2))) static void test_sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof cmd - 32, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof cmd - 32);
	strcat(cmd, " >/dev/null 2>&1");
	int rc = system(cmd);
	if (rc != 0)
		print_error("command failed (%d): %s\n", rc, cmd);
	assert_int_equal(rc, 0);
}

/* Make fixture name with fx.py kind args; returns its path. */
static test_path test_fixture(const char *name, const char *kind,
			      const char *args)
{
	test_path out = tp(name);
	test_sh("cd %s && %s fx.py %s %s %s", test_dir, TEST_PYTHON, kind,
		out.p, args);
	return out;
}

/* Make a media file with ffmpeg from a lavfi source. */
static test_path test_ffmpeg(const char *name, const char *input,
			     const char *options)
{
	test_path out = tp(name);
	test_sh("ffmpeg -nostdin -loglevel error -y -f lavfi -i %s %s %s",
		input, options, out.p);
	return out;
}

/* Every tag exiftool finds in path, as JSON with group names; the caller
 * frees. */
static char *test_exif_json(const char *path)
{
	char cmd[2 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "exiftool -json -a -G1 '%s' 2>/dev/null",
		 path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t n;
	while ((n = fread(buf + len, 1, cap - 1 - len, p)) > 0)
		len += n;
	buf[len] = '\0';
	assert_int_equal(pclose(p), 0);
	return buf;
}

typedef struct test_image_info {
	int width, height, bands;
	const char *loader; /* libvips nickname, static */
	bool has_exif, has_xmp, has_iptc, has_icc, has_orientation;
} test_image_info;

static test_image_info test_inspect(const char *path)
{
	test_image_info info = {0};
	VipsImage *img = vips_image_new_from_file(path, NULL);
	assert_non_null(img);
	info.width = vips_image_get_width(img);
	info.height = vips_image_get_height(img);
	info.bands = vips_image_get_bands(img);
	const char *loader = NULL;
	if (vips_image_get_string(img, "vips-loader", &loader) == 0)
		info.loader = strstr(loader, "jpeg")   ? "jpeg"
			      : strstr(loader, "png")  ? "png"
			      : strstr(loader, "webp") ? "webp"
						       : "other";
	info.has_exif = vips_image_get_typeof(img, VIPS_META_EXIF_NAME) != 0;
	info.has_xmp = vips_image_get_typeof(img, VIPS_META_XMP_NAME) != 0;
	info.has_iptc = vips_image_get_typeof(img, VIPS_META_IPTC_NAME) != 0;
	info.has_icc = vips_image_get_typeof(img, VIPS_META_ICC_NAME) != 0;
	info.has_orientation =
		vips_image_get_typeof(img, VIPS_META_ORIENTATION) != 0;
	g_object_unref(img);
	return info;
}

/* The colour at (x, y) of the image at path, bands 0..2. */
static void test_pixel(const char *path, int x, int y, double rgb[3])
{
	VipsImage *img = vips_image_new_from_file(path, NULL);
	assert_non_null(img);
	double *v = NULL;
	int n = 0;
	assert_int_equal(vips_getpoint(img, &v, &n, x, y, NULL), 0);
	for (int i = 0; i < 3; i++)
		rgb[i] = v[n >= 3 ? i : 0];
	g_free(v);
	g_object_unref(img);
}

static void assert_colour_near(const double rgb[3], int r, int g, int b)
{
	const int want[3] = {r, g, b};
	for (int i = 0; i < 3; i++)
		if (rgb[i] < want[i] - TEST_COLOUR_TOLERANCE ||
		    rgb[i] > want[i] + TEST_COLOUR_TOLERANCE)
			fail_msg("colour (%.0f,%.0f,%.0f), expected about "
				 "(%d,%d,%d)",
				 rgb[0], rgb[1], rgb[2], r, g, b);
}

static int test_b83(const char *s, int len)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz"
				     "#$%*+,-.:;=?@[]^_{|}~";
	int v = 0;
	for (int i = 0; i < len; i++) {
		const char *d = strchr(digits, s[i]);
		assert_non_null(d);
		v = v * 83 + (int)(d - digits);
	}
	return v;
}

static int test_group_setup(void **state)
{
	log_set_quiet(1);
	if (media_init("test_media") != 0)
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(test_dir, sizeof test_dir, "%s/chorus-test-media-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(test_dir))
		return -1;
	test_path py = tp("fx.py");
	FILE *f = fopen(py.p, "w");
	if (!f)
		return -1;
	fputs(TEST_FIXTURE_PY, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int test_group_teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir);
	int rc = system(cmd);
	media_shutdown();
	return rc == 0 ? 0 : -1;
}

/* ---- sniffing --------------------------------------------------------- */

static void assert_sniffs(const char *path, media_type type, const char *mime,
			  const char *ext)
{
	media_sniffed s;
	if (!media_sniff(path, &s))
		fail_msg("%s: not sniffed as %s", path, mime);
	assert_int_equal(s.type, type);
	assert_string_equal(s.mime, mime);
	assert_string_equal(s.ext, ext);
}

static void test_sniff_refuses_text_named_jpg_empty_and_missing(void **state)
{
	media_sniffed s;
	test_path text = tp("text.jpg");
	test_sh("echo 'not an image' > %s", text.p);
	assert_false(media_sniff(text.p, &s));
	test_path empty = tp("empty.jpg");
	test_sh(": > %s", empty.p);
	assert_false(media_sniff(empty.p, &s));
	assert_false(media_sniff(tp("missing.jpg").p, &s));
	assert_false(media_sniff(test_dir, &s)); /* a directory */
}

static void test_sniff_accepts_images_by_content_not_name(void **state)
{
	test_path jpeg = test_fixture("jpeg.png", "halves", "20 10");
	assert_sniffs(jpeg.p, MEDIA_TYPE_IMAGE, "image/jpeg", "jpg");
	test_path png = test_fixture("png.gif", "alpha_png", "20 10");
	assert_sniffs(png.p, MEDIA_TYPE_IMAGE, "image/png", "png");
	test_path webp = test_fixture("webp.bin", "webp", "20 10");
	assert_sniffs(webp.p, MEDIA_TYPE_IMAGE, "image/webp", "webp");
	test_path gif = test_fixture("gif.jpg", "gif", "1");
	assert_sniffs(gif.p, MEDIA_TYPE_IMAGE, "image/gif", "gif");
	test_path heic = tp("heic.heic");
	test_sh("vips copy %s %s", png.p, heic.p);
	assert_sniffs(heic.p, MEDIA_TYPE_IMAGE, "image/heic", "heic");
}

static void test_sniff_refuses_images_off_the_allow_list(void **state)
{
	media_sniffed s;
	test_path tiff = test_fixture("tiff.jpg", "tiff", "20 10");
	assert_false(media_sniff(tiff.p, &s));
	test_path svg = tp("svg.png");
	test_sh("echo '<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"9\" height=\"9\"/>' > %s",
		svg.p);
	assert_false(media_sniff(svg.p, &s));
}

static void test_sniff_accepts_video(void **state)
{
	const char *src = "testsrc=duration=1:size=64x64:rate=10";
	test_path mp4 = test_ffmpeg("v.mp4", src, "-pix_fmt yuv420p");
	assert_sniffs(mp4.p, MEDIA_TYPE_VIDEO, "video/mp4", "mp4");
	test_path webm = test_ffmpeg("v.webm", src, "-c:v libvpx");
	assert_sniffs(webm.p, MEDIA_TYPE_VIDEO, "video/webm", "webm");
	test_path mov = test_ffmpeg("v.mov", src, "-pix_fmt yuv420p");
	assert_sniffs(mov.p, MEDIA_TYPE_VIDEO, "video/quicktime", "mov");
}

static void test_sniff_accepts_audio_with_canonical_mimes(void **state)
{
	const char *src = "sine=duration=1";
	test_path wav = test_ffmpeg("a.wav", src, "");
	assert_sniffs(wav.p, MEDIA_TYPE_AUDIO, "audio/wav", "wav");
	test_path mp3 = test_ffmpeg("a.mp3", src, "");
	assert_sniffs(mp3.p, MEDIA_TYPE_AUDIO, "audio/mpeg", "mp3");
	test_path ogg = test_ffmpeg("a.ogg", src, "-c:a libvorbis");
	assert_sniffs(ogg.p, MEDIA_TYPE_AUDIO, "audio/ogg", "ogg");
	test_path flac = test_ffmpeg("a.flac", src, "");
	assert_sniffs(flac.p, MEDIA_TYPE_AUDIO, "audio/flac", "flac");
	test_path m4a = test_ffmpeg("a.m4a", src, "-c:a aac");
	assert_sniffs(m4a.p, MEDIA_TYPE_AUDIO, "audio/mp4", "m4a");
}

/* ---- output formats --------------------------------------------------- */

static void test_image_ext_and_mime_map_inputs_to_output_formats(void **state)
{
	assert_string_equal(media_image_ext("image/jpeg"), "jpg");
	assert_string_equal(media_image_mime("image/jpeg"), "image/jpeg");
	assert_string_equal(media_image_ext("image/heic"), "jpg");
	assert_string_equal(media_image_mime("image/heic"), "image/jpeg");
	assert_string_equal(media_image_ext("image/png"), "png");
	assert_string_equal(media_image_mime("image/png"), "image/png");
	assert_string_equal(media_image_ext("image/webp"), "webp");
	assert_string_equal(media_image_mime("image/webp"), "image/webp");
	assert_string_equal(media_image_ext("image/gif"), "png");
	assert_string_equal(media_image_mime("image/gif"), "image/png");
	assert_null(media_image_ext("video/mp4"));
	assert_null(media_image_mime("image/tiff"));
	assert_null(media_image_ext(NULL));
}

/* ---- processing ------------------------------------------------------- */

/* A 60x40 JPEG, red left half, blue right half, with an sRGB ICC profile,
 * EXIF Orientation=6 (display turned 90 degrees clockwise), GPS, XMP, IPTC
 * and a comment. */
static test_path test_tagged_jpeg(const char *name, const char *size)
{
	test_path in = test_fixture(name, "halves", size);
	test_sh("exiftool -q -overwrite_original -n -Orientation=6 "
		"-GPSLatitude=48.8583 -GPSLatitudeRef=N -GPSLongitude=2.2945 "
		"-GPSLongitudeRef=E -XMP-dc:Creator=Alice "
		"-IPTC:Keywords=secret -Comment=secret %s",
		in.p);
	return in;
}

static void assert_no_metadata(const char *path)
{
	char *json = test_exif_json(path);
	static const char *const forbidden[] = {
		"\"EXIF", "\"IFD0", "\"ExifIFD",   "\"GPS", "\"XMP",
		"\"IPTC", "\"ICC",  "Orientation", "Alice", "secret",
	};
	for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++)
		if (strstr(json, forbidden[i]))
			fail_msg("%s still has %s:\n%s", path, forbidden[i],
				 json);
	free(json);
	test_image_info info = test_inspect(path);
	assert_false(info.has_exif);
	assert_false(info.has_xmp);
	assert_false(info.has_iptc);
	assert_false(info.has_icc);
	assert_false(info.has_orientation);
}

static void
test_jpeg_with_orientation_and_gps_is_upright_and_stripped(void **state)
{
	test_path in = test_tagged_jpeg("tagged.jpg", "60 40");
	char *before = test_exif_json(in.p); /* the fixture has it all */
	assert_non_null(strstr(before, "\"GPS"));
	assert_non_null(strstr(before, "\"ICC"));
	assert_non_null(strstr(before, "Alice"));
	assert_non_null(strstr(before, "secret"));
	assert_non_null(strstr(before, "Rotate 90 CW"));
	free(before);

	test_path orig = tp("tagged-out.jpg"), small = tp("tagged-small.jpg");
	media_image_result res;
	const char *err = NULL;
	assert_int_equal(media_image_process(in.p, orig.p, small.p,
					     &TEST_LIMITS, &res, &err),
			 0);
	assert_false(res.animated);
	assert_int_equal(res.original.width, 40);
	assert_int_equal(res.original.height, 60);
	assert_int_equal(res.small.width, 40); /* fits, so not enlarged */
	assert_int_equal(res.small.height, 60);
	assert_int_equal(strlen(res.blurhash), TEST_HASH_4X4_LEN);

	test_image_info info = test_inspect(orig.p);
	assert_string_equal(info.loader, "jpeg");
	assert_int_equal(info.width, 40);
	assert_int_equal(info.height, 60);
	/* Turned clockwise: the left (red) half is now on top. */
	double rgb[3];
	test_pixel(orig.p, 20, 5, rgb);
	assert_colour_near(rgb, 255, 0, 0);
	test_pixel(orig.p, 20, 54, rgb);
	assert_colour_near(rgb, 0, 0, 255);
	test_pixel(small.p, 20, 5, rgb);
	assert_colour_near(rgb, 255, 0, 0);
	assert_no_metadata(orig.p);
	assert_no_metadata(small.p);
	assert_sniffs(orig.p, MEDIA_TYPE_IMAGE, "image/jpeg", "jpg");
}

static void test_png_with_alpha_stays_png_and_preview_is_flat_jpeg(void **state)
{
	test_path in = test_fixture("alpha.png", "alpha_png", "50 50");
	test_path orig = tp("alpha-out.png"), small = tp("alpha-small.jpg");
	media_image_result res;
	const char *err = NULL;
	assert_int_equal(media_image_process(in.p, orig.p, small.p,
					     &TEST_LIMITS, &res, &err),
			 0);
	test_image_info info = test_inspect(orig.p);
	assert_string_equal(info.loader, "png");
	assert_int_equal(info.bands, 4); /* alpha kept */
	info = test_inspect(small.p);
	assert_string_equal(info.loader, "jpeg");
	assert_int_equal(info.bands, 3);
	double rgb[3];
	test_pixel(small.p, 5, 25, rgb); /* transparent: flattened on white */
	assert_colour_near(rgb, 255, 255, 255);
	test_pixel(small.p, 45, 25, rgb);
	assert_colour_near(rgb, 0, 200, 0);
	assert_no_metadata(orig.p);
}

static void test_large_image_is_fitted_keeping_aspect(void **state)
{
	struct {
		const char *size;
		int w, h, sw, sh;
	} cases[] = {
		{"4000 1000", 3840, 960, 640, 160}, /* width-bound */
		{"1000 3000", 720, 2160, 213, 640}, /* height-bound */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		test_path in = test_fixture("big.jpg", "halves", cases[i].size);
		test_path orig = tp("big-out.jpg"), small = tp("big-small.jpg");
		media_image_result res;
		const char *err = NULL;
		assert_int_equal(media_image_process(in.p, orig.p, small.p,
						     &TEST_LIMITS, &res, &err),
				 0);
		assert_int_equal(res.original.width, cases[i].w);
		assert_int_equal(res.original.height, cases[i].h);
		assert_int_equal(res.small.width, cases[i].sw);
		assert_int_equal(res.small.height, cases[i].sh);
		test_image_info info = test_inspect(orig.p);
		assert_int_equal(info.width, cases[i].w);
		assert_int_equal(info.height, cases[i].h);
		info = test_inspect(small.p);
		assert_int_equal(info.width, cases[i].sw);
		assert_int_equal(info.height, cases[i].sh);
	}
}

static void test_small_image_is_not_upscaled(void **state)
{
	test_path in = test_fixture("tiny.webp", "webp", "300 200");
	test_path orig = tp("tiny-out.webp"), small = tp("tiny-small.jpg");
	media_image_result res;
	const char *err = NULL;
	assert_int_equal(media_image_process(in.p, orig.p, small.p,
					     &TEST_LIMITS, &res, &err),
			 0);
	assert_int_equal(res.original.width, 300);
	assert_int_equal(res.original.height, 200);
	assert_int_equal(res.small.width, 300);
	assert_int_equal(res.small.height, 200);
	test_image_info info = test_inspect(orig.p);
	assert_string_equal(info.loader, "webp");
	assert_int_equal(info.width, 300);
	assert_no_metadata(orig.p);
}

static long test_elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void assert_refused(const char *in, const media_image_limits *lim,
			   const char *message)
{
	test_path orig = tp("refused-out"), small = tp("refused-small");
	media_image_result res;
	const char *err = NULL;
	assert_int_equal(
		media_image_process(in, orig.p, small.p, lim, &res, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, message);
	assert_false(test_exists(orig.p));
	assert_false(test_exists(small.p));
	err = NULL;
	assert_int_equal(media_image_preview(in, small.p, lim, &res, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, message);
	assert_false(test_exists(small.p));
}

static void test_image_bomb_is_refused_from_its_header_quickly(void **state)
{
	char dims[64];
	snprintf(dims, sizeof dims, "%d %d", TEST_BOMB_SIDE, TEST_BOMB_SIDE);
	test_path png = test_fixture("bomb.png", "bomb_png", dims);
	test_path seed = test_fixture("seed.jpg", "halves", "60 40");
	char args[PATH_MAX + 64];
	snprintf(args, sizeof args, "%s %s", seed.p, dims);
	test_path jpeg = test_fixture("bomb.jpg", "bomb_jpeg", args);

	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_refused(png.p, &TEST_LIMITS, "Image dimensions are too large");
	assert_refused(jpeg.p, &TEST_LIMITS, "Image dimensions are too large");
	assert_true(test_elapsed_ms(&start) < TEST_BOMB_MAX_MS);
}

static void test_max_pixels_is_inclusive(void **state)
{
	test_path in = test_fixture("cap.jpg", "halves", "60 40");
	media_image_limits lim = TEST_LIMITS;
	lim.max_pixels = 60 * 40 - 1;
	assert_refused(in.p, &lim, "Image dimensions are too large");
	lim.max_pixels = 60 * 40;
	media_image_result res;
	const char *err = NULL;
	assert_int_equal(media_image_process(in.p, tp("cap-out.jpg").p,
					     tp("cap-small.jpg").p, &lim, &res,
					     &err),
			 0);
}

static void test_truncated_image_is_corrupt_and_leaves_no_output(void **state)
{
	test_path whole = test_fixture("whole.jpg", "noise", "400 300");
	test_path cut = test_fixture("cut.jpg", "truncate", whole.p);
	assert_refused(cut.p, &TEST_LIMITS,
		       "Could not process the image: the file is corrupt or "
		       "truncated");
	test_path whole_png = tp("whole.png");
	test_sh("vips copy %s %s", whole.p, whole_png.p);
	test_path cut_png = test_fixture("cut.png", "truncate", whole_png.p);
	assert_refused(cut_png.p, &TEST_LIMITS,
		       "Could not process the image: the file is corrupt or "
		       "truncated");
}

static void test_formats_off_the_allow_list_are_refused(void **state)
{
	test_path tiff = test_fixture("refuse.tif", "tiff", "20 10");
	assert_refused(tiff.p, &TEST_LIMITS, "Unsupported image format");
	test_path text = tp("refuse.txt");
	test_sh("echo 'P1 1 1 0' > %s", text.p); /* a PBM, also refused */
	assert_refused(text.p, &TEST_LIMITS, "Unsupported image format");
}

static void test_animated_images_are_reported_and_nothing_written(void **state)
{
	test_path gif = test_fixture("anim.gif", "gif", "2");
	test_path webp = test_fixture("anim.webp", "anim_webp", "");
	const char *inputs[] = {gif.p, webp.p};
	for (size_t i = 0; i < 2; i++) {
		test_path orig = tp("anim-out"), small = tp("anim-small");
		media_image_result res;
		const char *err = NULL;
		assert_int_equal(media_image_process(inputs[i], orig.p, small.p,
						     &TEST_LIMITS, &res, &err),
				 0);
		assert_true(res.animated);
		assert_int_equal(res.original.width, 20);
		assert_false(test_exists(orig.p));
		assert_false(test_exists(small.p));
	}
}

static void test_static_gif_becomes_png(void **state)
{
	test_path gif = test_fixture("still.gif", "gif", "1");
	test_path orig = tp("still-out"), small = tp("still-small");
	media_image_result res;
	const char *err = NULL;
	assert_int_equal(media_image_process(gif.p, orig.p, small.p,
					     &TEST_LIMITS, &res, &err),
			 0);
	assert_false(res.animated);
	assert_sniffs(orig.p, MEDIA_TYPE_IMAGE, "image/png", "png");
	assert_sniffs(small.p, MEDIA_TYPE_IMAGE, "image/jpeg", "jpg");
	double rgb[3];
	test_pixel(orig.p, 10, 10, rgb);
	assert_colour_near(rgb, 255, 0, 0);
}

static void test_heic_becomes_jpeg(void **state)
{
	test_path png = test_fixture("heic-src.png", "alpha_png", "64 48");
	test_path heic = tp("photo.heic");
	test_sh("vips copy %s %s", png.p, heic.p);
	test_path orig = tp("heic-out"), small = tp("heic-small");
	media_image_result res;
	const char *err = NULL;
	assert_int_equal(media_image_process(heic.p, orig.p, small.p,
					     &TEST_LIMITS, &res, &err),
			 0);
	assert_sniffs(orig.p, MEDIA_TYPE_IMAGE, "image/jpeg", "jpg");
	assert_int_equal(res.original.width, 64);
	double rgb[3];
	test_pixel(orig.p, 5, 24, rgb); /* its alpha flattened on white */
	assert_colour_near(rgb, 255, 255, 255);
}

static void test_cmyk_and_16_bit_inputs_come_out_8_bit(void **state)
{
	test_path cmyk = test_fixture("cmyk.jpg", "cmyk", "30 20");
	test_path grey = test_fixture("grey16.png", "grey16", "30 20");
	media_image_result res;
	const char *err = NULL;
	test_path orig = tp("cmyk-out"), small = tp("cmyk-small");
	assert_int_equal(media_image_process(cmyk.p, orig.p, small.p,
					     &TEST_LIMITS, &res, &err),
			 0);
	assert_int_equal(test_inspect(orig.p).bands, 3);
	double rgb[3];
	test_pixel(orig.p, 15, 10, rgb); /* C=0 M=100% Y=100%: red */
	assert_true(rgb[0] > 150 && rgb[1] < 100 && rgb[2] < 100);
	orig = tp("grey-out"), small = tp("grey-small");
	assert_int_equal(media_image_process(grey.p, orig.p, small.p,
					     &TEST_LIMITS, &res, &err),
			 0);
	VipsImage *img = vips_image_new_from_file(orig.p, NULL);
	assert_non_null(img);
	assert_int_equal(vips_image_get_format(img), VIPS_FORMAT_UCHAR);
	g_object_unref(img);
	test_pixel(orig.p, 15, 10, rgb); /* 40000/65535 of white */
	assert_true(rgb[0] > 150 && rgb[0] < 160);
}

static void test_preview_only_is_upright_stripped_and_fitted(void **state)
{
	test_path in = test_tagged_jpeg("poster.jpg", "1200 800");
	test_path small = tp("poster-small.jpg");
	media_image_result res;
	const char *err = NULL;
	assert_int_equal(
		media_image_preview(in.p, small.p, &TEST_LIMITS, &res, &err),
		0);
	assert_int_equal(res.original.width, 800);
	assert_int_equal(res.original.height, 1200);
	assert_int_equal(res.small.height, 640);
	assert_int_equal(res.small.width, 427);
	assert_int_equal(strlen(res.blurhash), TEST_HASH_4X4_LEN);
	test_image_info info = test_inspect(small.p);
	assert_int_equal(info.width, 427);
	assert_int_equal(info.height, 640);
	double rgb[3];
	test_pixel(small.p, 213, 20, rgb);
	assert_colour_near(rgb, 255, 0, 0);
	assert_no_metadata(small.p);
}

/* ---- blurhash --------------------------------------------------------- */

typedef void (*test_painter)(int x, int y, unsigned char px[3]);

static unsigned char *test_paint(int w, int h, test_painter paint)
{
	unsigned char *rgb = malloc((size_t)w * h * 3);
	assert_non_null(rgb);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			paint(x, y, rgb + ((size_t)y * w + x) * 3);
	return rgb;
}

static void test_paint_black(int x, int y, unsigned char px[3])
{
	px[0] = px[1] = px[2] = 0;
}

static void test_paint_pattern(int x, int y, unsigned char px[3])
{
	px[0] = (x * 7 + y * 3) & 255;
	px[1] = (x * x + y) & 255;
	px[2] = ((x ^ y) * 8) & 255;
}

static void test_paint_ramp(int x, int y, unsigned char px[3])
{
	px[0] = px[1] = px[2] = x * 255 / 31; /* dark left, light right */
}

static void test_blurhash_matches_reference_encoder(void **state)
{
	/* Produced by Wolt's reference C encoder (python3-blurhash) from the
	 * same pixels; black 4x3 is also the hash widely published for
	 * black images. */
	struct {
		int w, h, xc, yc;
		test_painter paint;
		const char *hash;
	} cases[] = {
		{8, 6, 4, 3, test_paint_black, "L00000fQfQfQfQfQfQfQfQfQfQfQ"},
		{20, 12, 1, 1, test_paint_pattern, "00A-I$"},
		{20, 12, 4, 4, test_paint_pattern,
		 "UPA-I$4mq.ltS]jGjDf,WUj]fkf9t7WBjJf}"},
		{32, 16, 4, 4, test_paint_ramp,
		 "U$HetW00xuWBt7WBj[ayfQfQfQfQt7WBj[ay"},
		{20, 12, 9, 9, test_paint_pattern,
		 "|PA-I$4mq.ltVJnWTmq-TUS]jGjDf,jJf5f+e-flWUj]fkf9fNfOfSfRfRt7"
		 "WBjJf}aejbbajJbXWUj[fgf9fSfRfPfOfRtRWAjKf}ahjbbXjJbYWWj?fkf6"
		 "fRfOfRfPfRtQWBjIg1afjcbXjIbYWUj[fhf9fPfPfSfOfQ"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		unsigned char *rgb =
			test_paint(cases[i].w, cases[i].h, cases[i].paint);
		char hash[200];
		assert_int_equal(media_blurhash_encode(rgb, cases[i].w,
						       cases[i].h, cases[i].xc,
						       cases[i].yc, hash,
						       sizeof hash),
				 0);
		assert_string_equal(hash, cases[i].hash);
		free(rgb);
	}
}

static void test_blurhash_of_uniform_colour_decodes_to_it(void **state)
{
	static const unsigned char colours[][3] = {
		{255, 0, 0}, {12, 200, 99}, {255, 255, 255}, {1, 2, 3}};
	enum { W = 16, H = 16 };
	unsigned char rgb[W * H * 3];
	for (size_t c = 0; c < sizeof colours / sizeof *colours; c++) {
		for (int i = 0; i < W * H; i++)
			memcpy(rgb + i * 3, colours[c], 3);
		char hash[64];
		assert_int_equal(media_blurhash_encode(rgb, W, H, 4, 4, hash,
						       sizeof hash),
				 0);
		int dc = test_b83(hash + 2, 4);
		assert_int_equal(dc >> 16, colours[c][0]);
		assert_int_equal((dc >> 8) & 255, colours[c][1]);
		assert_int_equal(dc & 255, colours[c][2]);
		/* The cosine basis sampled at pixel corners is not quite
		 * orthogonal to a constant, so odd components get a little
		 * energy (2/W of the DC); even ones are exactly zero. */
		for (int y = 0; y < 4; y++)
			for (int x = 0; x < 4; x++)
				if ((x > 0 && x % 2 == 0) ||
				    (y > 0 && y % 2 == 0))
					assert_int_equal(
						test_b83(hash + 6 +
								 2 * (y * 4 +
								      x - 1),
							 2),
						TEST_AC_ZERO);
	}
}

static void test_blurhash_of_ramp_puts_energy_in_first_horizontal(void **state)
{
	unsigned char *rgb = test_paint(32, 16, test_paint_ramp);
	char hash[64];
	assert_int_equal(
		media_blurhash_encode(rgb, 32, 16, 4, 4, hash, sizeof hash), 0);
	free(rgb);
	int strongest = -1, best = -1;
	for (int i = 0; i < 15; i++) {
		int ac = test_b83(hash + 6 + 2 * i, 2);
		int r = ac / (19 * 19) - 9; /* grey: all channels equal */
		assert_int_equal(r, ac / 19 % 19 - 9);
		assert_int_equal(r, ac % 19 - 9);
		/* AC i is component (x, y) = ((i + 1) % 4, (i + 1) / 4). */
		if ((i + 1) / 4 == 2)
			assert_int_equal(r, 0); /* even: orthogonal to it */
		if (abs(r) > best) {
			best = abs(r);
			strongest = i + 1;
		}
	}
	assert_int_equal(strongest, 1); /* component x=1, y=0 */
	/* Dark on the left, where cos(pi x / w) is positive. */
	assert_true(test_b83(hash + 6, 2) / (19 * 19) < 9);
}

static void test_blurhash_length_follows_components(void **state)
{
	unsigned char rgb[4 * 4 * 3] = {0};
	char hash[200];
	for (int yc = 1; yc <= 9; yc++)
		for (int xc = 1; xc <= 9; xc++) {
			assert_int_equal(media_blurhash_encode(rgb, 4, 4, xc,
							       yc, hash,
							       sizeof hash),
					 0);
			assert_int_equal(strlen(hash),
					 1 + 1 + 4 + 2 * (xc * yc - 1));
		}
	assert_int_equal(
		media_blurhash_encode(rgb, 4, 4, 4, 3, hash, sizeof hash), 0);
	assert_int_equal(strlen(hash), TEST_HASH_4X3_LEN);
}

static void test_blurhash_rejects_bad_arguments(void **state)
{
	unsigned char rgb[4 * 4 * 3] = {0};
	char hash[64];
	assert_int_equal(media_blurhash_encode(rgb, 4, 4, 0, 4, hash, 64), -1);
	assert_int_equal(media_blurhash_encode(rgb, 4, 4, 4, 10, hash, 64), -1);
	assert_int_equal(media_blurhash_encode(rgb, 0, 4, 4, 4, hash, 64), -1);
	assert_int_equal(media_blurhash_encode(NULL, 4, 4, 4, 4, hash, 64), -1);
	/* 4x4 needs 36 characters and the NUL. */
	assert_int_equal(
		media_blurhash_encode(rgb, 4, 4, 4, 4, hash, TEST_HASH_4X4_LEN),
		-1);
	assert_int_equal(media_blurhash_encode(rgb, 4, 4, 4, 4, hash,
					       TEST_HASH_4X4_LEN + 1),
			 0);
}

/* ---- concurrency ------------------------------------------------------ */

typedef struct test_worker {
	pthread_t thread;
	const char *in;
	test_path orig, small;
	media_image_result res;
	int rc;
	bool sniffed;
} test_worker;

static void *test_worker_run(void *arg)
{
	test_worker *w = arg;
	const char *err = NULL;
	media_sniffed s;
	w->sniffed = media_sniff(w->in, &s);
	w->rc = media_image_process(w->in, w->orig.p, w->small.p, &TEST_LIMITS,
				    &w->res, &err);
	return NULL;
}

static void test_concurrent_processing_from_four_threads(void **state)
{
	test_path in = test_fixture("conc.jpg", "noise", "1600 1200");
	test_sh("exiftool -q -overwrite_original -n -Orientation=6 %s", in.p);
	test_worker workers[TEST_THREADS];
	for (int i = 0; i < TEST_THREADS; i++) {
		char name[32];
		workers[i].in = in.p;
		snprintf(name, sizeof name, "conc-%d.jpg", i);
		workers[i].orig = tp(name);
		snprintf(name, sizeof name, "conc-small-%d.jpg", i);
		workers[i].small = tp(name);
		assert_int_equal(pthread_create(&workers[i].thread, NULL,
						test_worker_run, &workers[i]),
				 0);
	}
	for (int i = 0; i < TEST_THREADS; i++)
		pthread_join(workers[i].thread, NULL);
	for (int i = 0; i < TEST_THREADS; i++) {
		assert_int_equal(workers[i].rc, 0);
		assert_true(workers[i].sniffed);
		assert_int_equal(workers[i].res.original.width, 1200);
		assert_int_equal(workers[i].res.original.height, 1600);
		assert_int_equal(workers[i].res.small.width, 480);
		assert_string_equal(workers[i].res.blurhash,
				    workers[0].res.blurhash);
		assert_int_equal(test_inspect(workers[i].orig.p).height, 1600);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_sniff_refuses_text_named_jpg_empty_and_missing),
		cmocka_unit_test(test_sniff_accepts_images_by_content_not_name),
		cmocka_unit_test(test_sniff_refuses_images_off_the_allow_list),
		cmocka_unit_test(test_sniff_accepts_video),
		cmocka_unit_test(test_sniff_accepts_audio_with_canonical_mimes),
		cmocka_unit_test(
			test_image_ext_and_mime_map_inputs_to_output_formats),
		cmocka_unit_test(
			test_jpeg_with_orientation_and_gps_is_upright_and_stripped),
		cmocka_unit_test(
			test_png_with_alpha_stays_png_and_preview_is_flat_jpeg),
		cmocka_unit_test(test_large_image_is_fitted_keeping_aspect),
		cmocka_unit_test(test_small_image_is_not_upscaled),
		cmocka_unit_test(
			test_image_bomb_is_refused_from_its_header_quickly),
		cmocka_unit_test(test_max_pixels_is_inclusive),
		cmocka_unit_test(
			test_truncated_image_is_corrupt_and_leaves_no_output),
		cmocka_unit_test(test_formats_off_the_allow_list_are_refused),
		cmocka_unit_test(
			test_animated_images_are_reported_and_nothing_written),
		cmocka_unit_test(test_static_gif_becomes_png),
		cmocka_unit_test(test_heic_becomes_jpeg),
		cmocka_unit_test(test_cmyk_and_16_bit_inputs_come_out_8_bit),
		cmocka_unit_test(
			test_preview_only_is_upright_stripped_and_fitted),
		cmocka_unit_test(test_blurhash_matches_reference_encoder),
		cmocka_unit_test(test_blurhash_of_uniform_colour_decodes_to_it),
		cmocka_unit_test(
			test_blurhash_of_ramp_puts_energy_in_first_horizontal),
		cmocka_unit_test(test_blurhash_length_follows_components),
		cmocka_unit_test(test_blurhash_rejects_bad_arguments),
		cmocka_unit_test(test_concurrent_processing_from_four_threads),
	};
	return cmocka_run_group_tests(tests, test_group_setup,
				      test_group_teardown);
}
