/* video.h — video, GIFV and audio uploads through ffprobe and ffmpeg.
 *
 * Both run as child processes (media/proc.h) under a time limit, reading
 * only local files through the "file" protocol and only the demuxers an
 * upload can legitimately need, so a crafted file cannot make ffmpeg open
 * playlists, URLs or other local files. Every output is stripped of
 * metadata (titles, GPS locations, chapters, rotation, cover art).
 *
 * Error strings returned through `err` are static, English and safe to send
 * to clients; ffmpeg's own messages are only ever logged. */
#ifndef CHORUS_VIDEO_H
#define CHORUS_VIDEO_H

#include "media/media.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct media_av_limits {
	int timeout_s;		   /* per ffmpeg/ffprobe run, default 300 */
	int max_width, max_height; /* output box, default 1920x1080: fitted,
				      aspect kept, even, never upscaled */
	long max_bitrate;	   /* video bits/s, default 4000000; kept
				      originals above it get transcoded */
	double max_fps;		   /* default 60 */
	double max_duration;	   /* seconds, longer inputs are refused;
				      default 600 */
} media_av_limits;

typedef struct media_av_info {
	bool has_video, has_audio; /* cover art does not count as video */
	double duration;	   /* seconds */
	int width, height;	   /* display size (rotation, SAR applied) */
	char frame_rate[24];	   /* "30/1", ffprobe's avg (else r) rate */
	double fps;
	long bitrate; /* overall bits/s */
	char video_codec[24], audio_codec[24];
	char audio_encode[64]; /* "aac (LC)": codec and profile */
	int audio_channels;
	long audio_bitrate;
	int audio_sample_rate;
} media_av_info;

/* Fill *lim with the defaults above. Any field of a caller's limits that is
 * zero or negative also means its default, and lim may be NULL. */
void media_av_limits_default(media_av_limits *lim);

/* Probe in with ffprobe and fill *info. Returns 0, or -1 with *err set to a
 * static client-facing message: unreadable/unsupported/corrupt, no audio or
 * video at all, longer than lim->max_duration, or the probe timed out. */
int media_av_probe(const char *in, const media_av_limits *lim,
		   media_av_info *info, const char **err);

/* Make the web-playable file out from in:
 *  - MEDIA_TYPE_VIDEO: H.264 (yuv420p, high) + AAC MP4, +faststart, fitted
 *    into the box, fps and bitrate capped; or, when in is already H.264
 *    (yuv420p) / AAC in MP4 within every limit and unrotated, a stream copy;
 *  - MEDIA_TYPE_GIFV (animated GIF): silent H.264 MP4, same caps;
 *  - MEDIA_TYPE_AUDIO: MP3 (libmp3lame -q:a 2), no cover art.
 * All metadata is stripped. For video and gifv a JPEG poster frame (near
 * 1 s, or the first frame of short clips) is written to poster; it may be
 * NULL for audio. Writes only out and poster and leaves neither behind on
 * failure. Returns 0 with *info describing out (probed after writing), or -1
 * with *err a static client-facing message. */
int media_av_transcode(const char *in, media_type type, const char *out,
		       const char *poster, const media_av_limits *lim,
		       media_av_info *info, const char **err);

/* Mastodon's "length" for a duration, h:mm:ss.cc ("0:01:28.65"), written
 * NUL-terminated into out (truncated to n). */
void media_av_length(double seconds, char *out, size_t n);

#endif
