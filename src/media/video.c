#include "media/video.h"

#include "core/log.h"
#include "media/proc.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const media_av_limits av_defaults = {
	.timeout_s = 300,
	.max_width = 1920,
	.max_height = 1080,
	.max_bitrate = 4000000,
	.max_fps = 60,
	.max_duration = 600,
};

enum {
	AV_PROBE_MAX_OUT = 1 << 20,	   /* ffprobe JSON we accept */
	AV_ERR_MAX_OUT = 4096,		   /* ffmpeg stderr kept for the log */
	AV_MAX_ARGS = 64,		   /* longest command line we build */
	AV_ARG_POOL = 3 * PATH_MAX + 2048, /* its text: paths plus options */
	AV_CRF = 23,			   /* x264 quality when under the cap */
	AV_AUDIO_BITRATE = 128000,	   /* AAC in transcoded videos */
};

/* Demuxers an upload may use (Mastodon's accepted video and audio types).
 * Everything else, playlists (hls, concat) above all, is refused. */
static const char av_demuxers[] = "mov,matroska,gif,ogg,wav,mp3,flac,aac,asf";
/* Seconds into the clip the poster frame is taken from, and how long a
 * clip must be for that; shorter ones show their first frame. */
static const double av_poster_at = 1.0, av_poster_min_duration = 1.5;
/* An input of unknown duration cut this close to max_duration was longer. */
static const double av_cut_slack = 0.5;

static const char err_unreadable[] =
	"Could not read the media file: it is corrupt or not a supported "
	"format";
static const char err_video_too_long[] = "The video is too long";
static const char err_audio_too_long[] = "The audio is too long";
static const char err_no_video[] = "The file has no video track";
static const char err_no_audio[] = "The file has no audio track";
static const char err_video_timeout[] = "Processing the video took too long";
static const char err_audio_timeout[] = "Processing the audio took too long";
static const char err_failed[] = "Could not process the media file";
static const char err_unavailable[] =
	"Media processing is not available on this server";

/* What the probe learns beyond media_av_info, to decide how to convert. */
typedef struct av_source {
	media_av_info info;
	char format[64];  /* ffprobe's format_name, "mov,mp4,m4a,..." */
	char pix_fmt[24]; /* of the video stream */
	long video_bitrate;
	int rotation;	       /* degrees, 0/90/180/270 */
	bool square_pixels;    /* SAR 1:1 or unknown */
	bool duration_unknown; /* e.g. browser-recorded WebM */
} av_source;

/* ---- command lines ------------------------------------------------------ */

/* An argv under construction; its strings live in pool. */
typedef struct av_cmd {
	char *argv[AV_MAX_ARGS + 1];
	int argc;
	char pool[AV_ARG_POOL];
	size_t used;
	bool overflow;
} av_cmd;

static void av_addf(av_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void av_addf(av_cmd *c, const char *fmt, ...)
{
	if (c->argc >= AV_MAX_ARGS || c->used >= sizeof c->pool) {
		c->overflow = true;
		return;
	}
	size_t room = sizeof c->pool - c->used;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->pool + c->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		c->overflow = true;
		return;
	}
	c->argv[c->argc++] = c->pool + c->used;
	c->argv[c->argc] = NULL;
	c->used += (size_t)n + 1;
}

/* Literal arguments, NULL-terminated. */
static void av_add(av_cmd *c, ...) __attribute__((sentinel));

static void av_add(av_cmd *c, ...)
{
	va_list ap;
	va_start(ap, c);
	for (const char *s; (s = va_arg(ap, const char *));)
		av_addf(c, "%s", s);
	va_end(ap);
}

/* The program, quiet, non-interactive, and reading through the file
 * protocol and the allowed demuxers only; the input follows. */
static void av_begin(av_cmd *c, const char *program)
{
	c->argc = 0;
	c->used = 0;
	c->overflow = false;
	av_add(c, program, "-hide_banner", "-loglevel", "error", NULL);
	if (strcmp(program, "ffmpeg") == 0)
		av_add(c, "-nostdin", "-y", NULL);
	av_add(c, "-protocol_whitelist", "file", "-format_whitelist",
	       av_demuxers, NULL);
}

/* The "file:" prefix keeps a name from being read as a URL or option. */
static void av_add_input(av_cmd *c, const char *in)
{
	av_add(c, "-i", NULL);
	av_addf(c, "file:%s", in);
}

/* Run c; 0, or -1 with *err for the failure (stderr logged). */
static int av_run(av_cmd *c, const media_av_limits *lim, char **out,
		  const char *failed, const char *timed_out, const char **err)
{
	if (c->overflow) {
		*err = failed;
		return -1;
	}
	char *errout = NULL;
	int timeout_ms = lim->timeout_s > INT_MAX / 1000
				 ? INT_MAX
				 : lim->timeout_s * 1000;
	int rc = proc_run(c->argv, timeout_ms, out, &errout,
			  out ? AV_PROBE_MAX_OUT : AV_ERR_MAX_OUT);
	if (rc == 0) {
		free(errout);
		return 0;
	}
	if (rc == PROC_TIMEOUT) {
		*err = timed_out;
		log_error("media: %s ran past %d s and was killed", c->argv[0],
			  lim->timeout_s);
	} else if (rc == PROC_SPAWN_FAILED) {
		*err = err_unavailable;
		log_error("media: could not start %s", c->argv[0]);
	} else {
		*err = failed;
		log_error("media: %s failed (%d): %.300s", c->argv[0], rc,
			  errout ? errout : "");
	}
	free(errout);
	if (out) {
		free(*out);
		*out = NULL;
	}
	return -1;
}

/* ---- probing ------------------------------------------------------------ */

/* A number ffprobe prints either as a JSON number or as a string. */
static double av_json_num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v)) {
		char *end;
		const char *s = json_string_value(v);
		double d = strtod(s, &end);
		if (end != s && isfinite(d))
			return d;
	}
	return NAN;
}

static long av_json_long(json_t *obj, const char *key)
{
	double d = av_json_num(obj, key);
	return isfinite(d) && d > 0 && d < (double)LONG_MAX ? (long)d : 0;
}

static void av_json_str(json_t *obj, const char *key, char *out, size_t n)
{
	const char *s = json_string_value(json_object_get(obj, key));
	snprintf(out, n, "%s", s ? s : "");
}

/* "num/den" as a number; 0 when absent or "0/0". */
static double av_ratio(const char *s, char sep)
{
	char *end;
	double num = strtod(s, &end);
	if (end == s || *end != sep)
		return 0;
	double den = strtod(end + 1, NULL);
	return num > 0 && den > 0 ? num / den : 0;
}

static int av_rotation(json_t *stream)
{
	double deg = NAN;
	size_t i;
	json_t *side;
	json_array_foreach(json_object_get(stream, "side_data_list"), i, side)
	{
		if (isfinite(av_json_num(side, "rotation")))
			deg = av_json_num(side, "rotation");
	}
	if (!isfinite(deg))
		deg = av_json_num(json_object_get(stream, "tags"), "rotate");
	if (!isfinite(deg))
		return 0;
	return (int)(((long)lround(deg) % 360 + 360) % 360);
}

static void av_read_video(json_t *stream, av_source *src)
{
	media_av_info *info = &src->info;
	char rate[24];
	info->has_video = true;
	av_json_str(stream, "codec_name", info->video_codec,
		    sizeof info->video_codec);
	av_json_str(stream, "pix_fmt", src->pix_fmt, sizeof src->pix_fmt);
	src->video_bitrate = av_json_long(stream, "bit_rate");
	long w = av_json_long(stream, "width"),
	     h = av_json_long(stream, "height");

	char sar[24];
	av_json_str(stream, "sample_aspect_ratio", sar, sizeof sar);
	double aspect = av_ratio(sar, ':');
	src->square_pixels = aspect == 0 || fabs(aspect - 1) < 1e-6;
	if (!src->square_pixels)
		w = lround(w * aspect);
	src->rotation = av_rotation(stream);
	bool sideways = src->rotation == 90 || src->rotation == 270;
	info->width = (int)(sideways ? h : w);
	info->height = (int)(sideways ? w : h);

	av_json_str(stream, "avg_frame_rate", rate, sizeof rate);
	if (av_ratio(rate, '/') == 0)
		av_json_str(stream, "r_frame_rate", rate, sizeof rate);
	info->fps = av_ratio(rate, '/');
	snprintf(info->frame_rate, sizeof info->frame_rate, "%s",
		 info->fps > 0 ? rate : "0/1");
}

static void av_read_audio(json_t *stream, media_av_info *info)
{
	char profile[32];
	info->has_audio = true;
	av_json_str(stream, "codec_name", info->audio_codec,
		    sizeof info->audio_codec);
	av_json_str(stream, "profile", profile, sizeof profile);
	if (profile[0])
		snprintf(info->audio_encode, sizeof info->audio_encode,
			 "%s (%s)", info->audio_codec, profile);
	else
		snprintf(info->audio_encode, sizeof info->audio_encode, "%s",
			 info->audio_codec);
	info->audio_channels = (int)av_json_long(stream, "channels");
	info->audio_bitrate = av_json_long(stream, "bit_rate");
	info->audio_sample_rate = (int)av_json_long(stream, "sample_rate");
}

/* Fill src from ffprobe's JSON: the first real video stream (cover art
 * skipped, as ffmpeg's 0:V:0 does) and the first audio stream. */
static int av_read_probe(json_t *root, av_source *src)
{
	json_t *format = json_object_get(root, "format"), *stream;
	size_t i;
	if (!json_is_object(format))
		return -1;
	av_json_str(format, "format_name", src->format, sizeof src->format);
	src->info.bitrate = av_json_long(format, "bit_rate");
	double duration = av_json_num(format, "duration");

	json_array_foreach(json_object_get(root, "streams"), i, stream)
	{
		const char *kind = json_string_value(
			json_object_get(stream, "codec_type"));
		json_t *disp = json_object_get(stream, "disposition");
		bool cover = json_integer_value(json_object_get(
				     disp, "attached_pic")) == 1;
		if (!kind)
			continue;
		if (!strcmp(kind, "video") && !cover && !src->info.has_video)
			av_read_video(stream, src);
		else if (!strcmp(kind, "audio") && !src->info.has_audio)
			av_read_audio(stream, &src->info);
		double d = av_json_num(stream, "duration");
		if (!(duration > 0) && d > 0)
			duration = d;
	}
	src->duration_unknown = !(duration > 0);
	src->info.duration = src->duration_unknown ? 0 : duration;
	if (!src->info.has_video && !src->info.has_audio)
		return -1;
	if (src->info.has_video &&
	    (src->info.width <= 0 || src->info.height <= 0))
		return -1; /* e.g. animated WebP, which this ffmpeg can't read
			    */
	return 0;
}

static void av_resolve_limits(const media_av_limits *lim, media_av_limits *l)
{
	*l = av_defaults;
	if (!lim)
		return;
	if (lim->timeout_s > 0)
		l->timeout_s = lim->timeout_s;
	if (lim->max_width > 0)
		l->max_width = lim->max_width;
	if (lim->max_height > 0)
		l->max_height = lim->max_height;
	if (lim->max_bitrate > 0)
		l->max_bitrate = lim->max_bitrate;
	if (lim->max_fps > 0)
		l->max_fps = lim->max_fps;
	if (lim->max_duration > 0)
		l->max_duration = lim->max_duration;
}

/* Probe in into *src with c; refuse it when it runs past max_duration (0:
 * no check). 0, or -1 with *err. */
static int av_probe_source(av_cmd *c, const char *in, const media_av_limits *l,
			   double max_duration, av_source *src,
			   const char **err)
{
	char *json = NULL;
	memset(src, 0, sizeof *src);
	av_begin(c, "ffprobe");
	av_addf(c, "file:%s", in);
	av_add(c, "-print_format", "json", "-show_format", "-show_streams",
	       NULL);
	if (av_run(c, l, &json, err_unreadable, err_video_timeout, err) != 0)
		return -1;

	json_t *root = json_loads(json, 0, NULL);
	free(json);
	int rc = root ? av_read_probe(root, src) : -1;
	json_decref(root);
	if (rc != 0) {
		*err = err_unreadable;
		return -1;
	}
	if (max_duration > 0 && src->info.duration > max_duration) {
		*err = src->info.has_video ? err_video_too_long
					   : err_audio_too_long;
		return -1;
	}
	return 0;
}

void media_av_limits_default(media_av_limits *lim)
{
	*lim = av_defaults;
}

int media_av_probe(const char *in, const media_av_limits *lim,
		   media_av_info *info, const char **err)
{
	media_av_limits l;
	av_source src;
	av_cmd *c = malloc(sizeof *c);
	if (!c) {
		*err = err_failed;
		return -1;
	}
	av_resolve_limits(lim, &l);
	int rc = av_probe_source(c, in, &l, l.max_duration, &src, err);
	free(c);
	if (rc == 0)
		*info = src.info;
	return rc;
}

/* ---- converting --------------------------------------------------------- */

/* Round num/den to the nearest even integer, at least 2. */
static int av_even(long long num, long long den)
{
	long long v = 2 * ((num + den) / (2 * den));
	return v < 2 ? 2 : (int)v;
}

/* The output size: the display size fitted into the box, aspect kept,
 * never upscaled, both sides even. */
static void av_fit(int w, int h, const media_av_limits *l, int *out_w,
		   int *out_h)
{
	int box_w = l->max_width < 2 ? 2 : l->max_width & ~1;
	int box_h = l->max_height < 2 ? 2 : l->max_height & ~1;
	if (w <= box_w && h <= box_h) {
		*out_w = w < 2 ? 2 : w & ~1;
		*out_h = h < 2 ? 2 : h & ~1;
	} else if ((long long)w * box_h >= (long long)h * box_w) {
		*out_w = box_w;
		*out_h = av_even((long long)h * box_w, w);
	} else {
		*out_h = box_h;
		*out_w = av_even((long long)w * box_h, h);
	}
	if (*out_w > box_w)
		*out_w = box_w;
	if (*out_h > box_h)
		*out_h = box_h;
}

static long av_video_bitrate(const av_source *src)
{
	return src->video_bitrate ? src->video_bitrate : src->info.bitrate;
}

/* Whether in can go out as it is, remuxed: already what we would make. */
static bool av_can_copy(const av_source *src, const media_av_limits *l)
{
	const media_av_info *in = &src->info;
	return strstr(src->format, "mp4") && !strcmp(in->video_codec, "h264") &&
	       !strcmp(src->pix_fmt, "yuv420p") &&
	       (!in->has_audio || !strcmp(in->audio_codec, "aac")) &&
	       src->rotation == 0 && src->square_pixels &&
	       !src->duration_unknown && in->width % 2 == 0 &&
	       in->height % 2 == 0 && in->width <= l->max_width &&
	       in->height <= l->max_height && in->fps > 0 &&
	       in->fps <= l->max_fps && av_video_bitrate(src) > 0 &&
	       av_video_bitrate(src) <= l->max_bitrate;
}

/* Everything after the input that strips metadata and picks streams. */
static void av_add_streams(av_cmd *c, const av_source *src, bool audio)
{
	av_add(c, "-map", "0:V:0", NULL);
	if (audio && src->info.has_audio)
		av_add(c, "-map", "0:a:0", NULL);
	av_add(c, "-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn",
	       NULL);
	if (!audio || !src->info.has_audio)
		av_add(c, "-an", NULL);
}

static void av_add_h264(av_cmd *c, const av_source *src,
			const media_av_limits *l)
{
	int w, h;
	av_fit(src->info.width, src->info.height, l, &w, &h);
	av_add(c, "-vf", NULL);
	/* Frames are dropped before they are scaled; setsar=1 because the
	 * size already accounts for non-square input pixels. */
	if (src->info.fps > l->max_fps)
		av_addf(c, "fps=%.6g,scale=%d:%d,setsar=1", l->max_fps, w, h);
	else
		av_addf(c, "scale=%d:%d,setsar=1", w, h);
	av_add(c, "-c:v", "libx264", "-preset", "veryfast", "-profile:v",
	       "high", "-pix_fmt", "yuv420p", "-crf", NULL);
	av_addf(c, "%d", AV_CRF);
	av_add(c, "-maxrate", NULL);
	av_addf(c, "%ld", l->max_bitrate);
	av_add(c, "-bufsize", NULL);
	av_addf(c, "%ld", 2 * l->max_bitrate);
}

/* The ffmpeg command making out from in for type. */
static void av_build(av_cmd *c, const char *in, media_type type,
		     const char *out, const av_source *src,
		     const media_av_limits *l)
{
	av_begin(c, "ffmpeg");
	av_add_input(c, in);
	if (src->duration_unknown) {
		/* Cut where a known duration would have been refused; the
		 * output's length then tells whether the input was longer. */
		av_add(c, "-t", NULL);
		av_addf(c, "%.3f", l->max_duration);
	}
	if (type == MEDIA_TYPE_AUDIO) {
		av_add(c, "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata",
		       "-1", "-map_chapters", "-1", "-c:a", "libmp3lame",
		       "-q:a", "2", "-id3v2_version", "0", "-f", "mp3", NULL);
	} else if (type == MEDIA_TYPE_VIDEO && av_can_copy(src, l)) {
		av_add_streams(c, src, true);
		av_add(c, "-c", "copy", NULL);
	} else {
		av_add_streams(c, src, type == MEDIA_TYPE_VIDEO);
		av_add_h264(c, src, l);
		if (type == MEDIA_TYPE_VIDEO && src->info.has_audio) {
			av_add(c, "-c:a", "aac", "-b:a", NULL);
			av_addf(c, "%d", AV_AUDIO_BITRATE);
		}
	}
	if (type != MEDIA_TYPE_AUDIO)
		av_add(c, "-movflags", "+faststart", "-f", "mp4", NULL);
	av_addf(c, "file:%s", out);
}

static bool av_nonempty_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* A JPEG of the frame near av_poster_at (the first one for short clips)
 * of the video we wrote. 0, or -1 with *err. */
static int av_poster(av_cmd *c, const char *video, double duration,
		     const char *poster, const media_av_limits *l,
		     const char **err)
{
	bool seek = duration >= av_poster_min_duration;
	for (;;) {
		av_begin(c, "ffmpeg");
		if (seek) {
			av_add(c, "-ss", NULL);
			av_addf(c, "%.3f", av_poster_at);
		}
		av_add_input(c, video);
		av_add(c, "-map", "0:V:0", "-frames:v", "1", "-map_metadata",
		       "-1", "-c:v", "mjpeg", "-q:v", "2", "-f", "image2",
		       "-update", "1", NULL);
		av_addf(c, "file:%s", poster);
		if (av_run(c, l, NULL, err_failed, err_video_timeout, err) != 0)
			return -1;
		if (av_nonempty_file(poster))
			return 0;
		if (!seek)
			break;
		seek = false; /* nothing at the seek point: take the first */
	}
	*err = err_failed;
	return -1;
}

/* Refuse type when in lacks the stream it needs. */
static int av_check_type(const av_source *src, media_type type,
			 const char **err)
{
	switch (type) {
	case MEDIA_TYPE_VIDEO:
	case MEDIA_TYPE_GIFV:
		if (src->info.has_video)
			return 0;
		*err = err_no_video;
		return -1;
	case MEDIA_TYPE_AUDIO:
		if (src->info.has_audio)
			return 0;
		*err = err_no_audio;
		return -1;
	default: *err = err_unreadable; return -1;
	}
}

/* Convert, make the poster and probe the result; the caller removes the
 * outputs when this fails. */
static int av_convert(av_cmd *c, const char *in, media_type type,
		      const char *out, const char *poster,
		      const media_av_limits *l, media_av_info *info,
		      const char **err)
{
	const char *timed_out = type == MEDIA_TYPE_AUDIO ? err_audio_timeout
							 : err_video_timeout;
	av_source src, made;
	if (av_probe_source(c, in, l, l->max_duration, &src, err) != 0 ||
	    av_check_type(&src, type, err) != 0)
		return -1;
	av_build(c, in, type, out, &src, l);
	if (av_run(c, l, NULL, err_failed, timed_out, err) != 0)
		return -1;
	if (av_probe_source(c, out, l, 0, &made, err) != 0) {
		*err = err_failed;
		return -1;
	}
	if (src.duration_unknown &&
	    made.info.duration >= l->max_duration - av_cut_slack) {
		*err = made.info.has_video ? err_video_too_long
					   : err_audio_too_long;
		return -1;
	}
	if (type != MEDIA_TYPE_AUDIO && poster &&
	    av_poster(c, out, made.info.duration, poster, l, err) != 0)
		return -1;
	*info = made.info;
	return 0;
}

int media_av_transcode(const char *in, media_type type, const char *out,
		       const char *poster, const media_av_limits *lim,
		       media_av_info *info, const char **err)
{
	media_av_limits l;
	av_cmd *c = malloc(sizeof *c);
	if (!c) {
		*err = err_failed;
		return -1;
	}
	av_resolve_limits(lim, &l);
	int rc = av_convert(c, in, type, out, poster, &l, info, err);
	free(c);
	if (rc != 0) {
		unlink(out);
		if (poster && type != MEDIA_TYPE_AUDIO)
			unlink(poster);
	}
	return rc;
}

void media_av_length(double seconds, char *out, size_t n)
{
	long long cs =
		isfinite(seconds) && seconds > 0 ? llround(seconds * 100) : 0;
	snprintf(out, n, "%lld:%02lld:%02lld.%02lld", cs / 360000,
		 cs / 6000 % 60, cs / 100 % 60, cs % 100);
}
