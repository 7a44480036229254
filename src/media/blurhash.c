/* blurhash.c — BlurHash encoder, after Wolt's reference C encoder.
 *
 * The arithmetic deliberately follows the reference step for step (single
 * precision, the same summation order, the same rounding), so a hash made
 * here is byte-identical to the one Mastodon's encoder (a wrapper around that
 * reference) makes from the same pixels. Only the cosines and the sRGB to
 * linear conversion are tabulated, which yields the very same floats. */
#include "media/media.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
	BLURHASH_MAX_COMP = 9,
	BLURHASH_BASE = 83,
	BLURHASH_AC_LEVELS = 19, /* quantisation steps per AC channel */
	BLURHASH_MAX_QUANT = 82, /* largest quantised AC maximum */
};

static const char blurhash_digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz"
				      "#$%*+,-.:;=?@[]^_{|}~";

static float blurhash_linear[256]; /* sRGB byte -> linear light */
static pthread_once_t blurhash_once = PTHREAD_ONCE_INIT;

static void blurhash_init_linear(void)
{
	for (int i = 0; i < 256; i++) {
		float v = (float)i / 255;
		blurhash_linear[i] = v <= 0.04045
					     ? v / 12.92
					     : powf((v + 0.055) / 1.055, 2.4);
	}
}

static int blurhash_to_srgb(float value)
{
	float v = fmaxf(0, fminf(1, value));
	if (v <= 0.0031308)
		return v * 12.92 * 255 + 0.5;
	return (1.055 * powf(v, 1 / 2.4) - 0.055) * 255 + 0.5;
}

static float blurhash_sign_pow(float value, float exp)
{
	return copysignf(powf(fabsf(value), exp), value);
}

static char *blurhash_put(int value, int length, char *dst)
{
	int divisor = 1;
	for (int i = 1; i < length; i++)
		divisor *= BLURHASH_BASE;
	for (int i = 0; i < length; i++) {
		*dst++ = blurhash_digits[(value / divisor) % BLURHASH_BASE];
		divisor /= BLURHASH_BASE;
	}
	return dst;
}

/* cos(pi * comp * i / n) for comp < ncomp, i < n, as the reference computes
 * it per pixel; row-major by component. Caller frees. */
static float *blurhash_cosines(int ncomp, int n)
{
	float *t = malloc(sizeof *t * (size_t)ncomp * (size_t)n);
	if (!t)
		return NULL;
	for (int c = 0; c < ncomp; c++)
		for (int i = 0; i < n; i++)
			t[(size_t)c * n + i] = cosf(M_PI * c * i / n);
	return t;
}

/* One component's factor: the image projected on its cosine basis. */
static void blurhash_factor(const unsigned char *rgb, int width, int height,
			    const float *cx, const float *cy, bool dc,
			    float factor[3])
{
	float r = 0, g = 0, b = 0;
	for (int y = 0; y < height; y++) {
		const unsigned char *row = rgb + (size_t)y * width * 3;
		for (int x = 0; x < width; x++) {
			float basis = cx[x] * cy[y];
			r += basis * blurhash_linear[row[3 * x + 0]];
			g += basis * blurhash_linear[row[3 * x + 1]];
			b += basis * blurhash_linear[row[3 * x + 2]];
		}
	}
	float scale = (dc ? 1.0f : 2.0f) / (width * height);
	factor[0] = r * scale;
	factor[1] = g * scale;
	factor[2] = b * scale;
}

static int blurhash_quant_ac(float v, float maximum)
{
	return fmaxf(0, fminf(BLURHASH_AC_LEVELS - 1,
			      floorf(blurhash_sign_pow(v / maximum, 0.5) * 9 +
				     9.5)));
}

int media_blurhash_encode(const unsigned char *rgb, int width, int height,
			  int x_comp, int y_comp, char *out, size_t out_size)
{
	if (!rgb || !out || width < 1 || height < 1 || x_comp < 1 ||
	    x_comp > BLURHASH_MAX_COMP || y_comp < 1 ||
	    y_comp > BLURHASH_MAX_COMP)
		return -1;
	int ac_count = x_comp * y_comp - 1;
	if (out_size < (size_t)(2 + 4 + 2 * ac_count + 1))
		return -1;
	pthread_once(&blurhash_once, blurhash_init_linear);

	float *cx = blurhash_cosines(x_comp, width);
	float *cy = blurhash_cosines(y_comp, height);
	float(*factors)[3] = malloc(sizeof *factors * (size_t)(ac_count + 1));
	if (!cx || !cy || !factors) {
		free(cx);
		free(cy);
		free(factors);
		return -1;
	}
	for (int y = 0; y < y_comp; y++)
		for (int x = 0; x < x_comp; x++)
			blurhash_factor(
				rgb, width, height, cx + (size_t)x * width,
				cy + (size_t)y * height, x == 0 && y == 0,
				factors[y * x_comp + x]);
	free(cx);
	free(cy);

	char *p = blurhash_put((x_comp - 1) + (y_comp - 1) * 9, 1, out);
	float maximum = 1;
	if (ac_count > 0) {
		float actual = 0;
		for (int i = 1; i <= ac_count; i++)
			for (int c = 0; c < 3; c++)
				actual = fmaxf(fabsf(factors[i][c]), actual);
		int quant = fmaxf(0, fminf(BLURHASH_MAX_QUANT,
					   floorf(actual * 166 - 0.5)));
		maximum = ((float)quant + 1) / 166;
		p = blurhash_put(quant, 1, p);
	} else {
		p = blurhash_put(0, 1, p);
	}
	int dc = (blurhash_to_srgb(factors[0][0]) << 16) +
		 (blurhash_to_srgb(factors[0][1]) << 8) +
		 blurhash_to_srgb(factors[0][2]);
	p = blurhash_put(dc, 4, p);
	for (int i = 1; i <= ac_count; i++) {
		int ac = blurhash_quant_ac(factors[i][0], maximum) *
				 BLURHASH_AC_LEVELS * BLURHASH_AC_LEVELS +
			 blurhash_quant_ac(factors[i][1], maximum) *
				 BLURHASH_AC_LEVELS +
			 blurhash_quant_ac(factors[i][2], maximum);
		p = blurhash_put(ac, 2, p);
	}
	*p = '\0';
	free(factors);
	return 0;
}

/* The value of the length base-83 digits at s, or -1 for a bad digit. */
static int blurhash_get(const char *s, int length)
{
	int value = 0;
	for (int i = 0; i < length; i++) {
		const char *d = s[i] ? strchr(blurhash_digits, s[i]) : NULL;
		if (!d)
			return -1;
		value = value * BLURHASH_BASE + (int)(d - blurhash_digits);
	}
	return value;
}

int media_blurhash_decode(const char *hash, int width, int height,
			  unsigned char *rgb)
{
	pthread_once(&blurhash_once, blurhash_init_linear);
	size_t len = hash ? strlen(hash) : 0;
	int size = len >= 6 ? blurhash_get(hash, 1) : -1;
	if (size < 0 || width < 1 || height < 1)
		return -1;
	int nx = size % 9 + 1, ny = size / 9 + 1;
	if (len != (size_t)(4 + 2 * nx * ny))
		return -1;
	int quant = blurhash_get(hash + 1, 1);
	int dc = blurhash_get(hash + 2, 4);
	if (quant < 0 || dc < 0)
		return -1;
	float maximum = (float)(quant + 1) / 166;
	float colors[BLURHASH_MAX_COMP * BLURHASH_MAX_COMP][3];
	colors[0][0] = blurhash_linear[dc >> 16];
	colors[0][1] = blurhash_linear[(dc >> 8) & 255];
	colors[0][2] = blurhash_linear[dc & 255];
	for (int i = 1; i < nx * ny; i++) {
		int v = blurhash_get(hash + 4 + 2 * i, 2);
		if (v < 0)
			return -1;
		int q[3] = {v / (19 * 19), v / 19 % 19, v % 19};
		for (int c = 0; c < 3; c++)
			colors[i][c] =
				blurhash_sign_pow(((float)q[c] - 9) / 9, 2) *
				maximum;
	}
	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++) {
			float px[3] = {0, 0, 0};
			for (int j = 0; j < ny; j++)
				for (int i = 0; i < nx; i++) {
					float basis = cosf((float)M_PI * x * i /
							   width) *
						      cosf((float)M_PI * y * j /
							   height);
					for (int c = 0; c < 3; c++)
						px[c] += colors[j * nx + i][c] *
							 basis;
				}
			for (int c = 0; c < 3; c++)
				rgb[(y * width + x) * 3 + c] =
					(unsigned char)blurhash_to_srgb(px[c]);
		}
	return 0;
}
