/* test_video.c — media/proc (running programs under a time limit) and
 * media/video (ffprobe/ffmpeg). Fixtures are made with ffmpeg at start-up
 * in a temporary directory, so no media file is committed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "media/proc.h"
#include "media/video.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	TEST_TIMEOUT_MS = 200,	      /* proc_run limit for sleepers */
	TEST_FAST_MS = 2000,	      /* a timed-out run must return by then */
	TEST_BIG_OUTPUT = 2000000,    /* bytes a child writes */
	TEST_KEEP = 1000,	      /* bytes of it we keep */
	TEST_FIXTURE_TIMEOUT = 60000, /* making one fixture */
	TEST_TRUNCATED_BYTES = 2048,  /* of a valid mp4 */
	TEST_SPAWN_THREADS = 2,	      /* sleepers spawned alongside */
	TEST_SPAWN_ROUNDS = 40,	      /* quick runs among them */
	TEST_QUICK_RUN_MS = 400,      /* a quick run must never wait longer */
	TEST_PATHS = 32,	      /* path_of results alive at once */
};

static const double TEST_DURATION_SLACK = 0.1; /* seconds */

static char test_dir[] = "/tmp/chorus-video-XXXXXX";
static char fake_bin[PATH_MAX], saved_path[8192];

/* ---- helpers ------------------------------------------------------------ */

static int64_t test_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A path in the test directory, in one of TEST_PATHS rotating buffers, so
 * a caller can hold that many at once (the fixture table needs ten). */
static const char *path_of(const char *name)
{
	static char bufs[TEST_PATHS][PATH_MAX];
	static int next;
	char *p = bufs[next++ % TEST_PATHS];
	snprintf(p, PATH_MAX, "%s/%s", test_dir, name);
	return p;
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Run argv (ffmpeg making a fixture); 0 on success. */
static int run_quietly(char *const argv[])
{
	char *err = NULL;
	int rc = proc_run(argv, TEST_FIXTURE_TIMEOUT, NULL, &err, 65536);
	if (rc != 0)
		fprintf(stderr, "%s failed (%d): %s\n", argv[0], rc,
			err ? err : "");
	free(err);
	return rc;
}

/* ffprobe's JSON for path; the caller json_decref()s it. */
static json_t *probe_json(const char *path)
{
	char *argv[] = {"ffprobe",	 "-v",	       "error",
			"-print_format", "json",       "-show_format",
			"-show_streams", (char *)path, NULL};
	char *out = NULL;
	int rc = proc_run(argv, TEST_FIXTURE_TIMEOUT, &out, NULL, 1 << 20);
	assert_int_equal(rc, 0);
	json_t *root = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(root);
	return root;
}

/* The first stream of codec_type kind (NULL if none). */
static json_t *stream_of(json_t *root, const char *kind)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(root, "streams"), i, s)
	{
		const char *t =
			json_string_value(json_object_get(s, "codec_type"));
		if (t && !strcmp(t, kind))
			return s;
	}
	return NULL;
}

static const char *str_of(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

/* Whether any tag of the file or of a stream has a key starting with
 * prefix (location also appears as "location-eng"). */
static bool has_tag(json_t *root, const char *prefix)
{
	size_t i;
	json_t *s;
	const char *key;
	json_t *v;
	json_object_foreach(
		json_object_get(json_object_get(root, "format"), "tags"), key,
		v)
	{
		if (!strncmp(key, prefix, strlen(prefix)))
			return true;
	}
	json_array_foreach(json_object_get(root, "streams"), i, s)
	{
		json_object_foreach(json_object_get(s, "tags"), key, v)
		{
			if (!strncmp(key, prefix, strlen(prefix)))
				return true;
		}
	}
	return false;
}

/* ---- fixtures ----------------------------------------------------------- */

static int make_truncated_copy(const char *from, const char *to, size_t n)
{
	char bytes[TEST_TRUNCATED_BYTES];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t got = in ? fread(bytes, 1, n, in) : 0;
	bool ok = out && got == n && fwrite(bytes, 1, n, out) == n;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		ok = false;
	return ok ? 0 : -1;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return chmod(path, mode);
}

/* A bin directory with a real ffprobe and an ffmpeg that writes a partial
 * output and then hangs, to exercise the timeout through the video API. */
static int make_fake_bin(void)
{
	snprintf(fake_bin, sizeof fake_bin, "%s/bin", test_dir);
	char ffmpeg[PATH_MAX + 16];
	snprintf(ffmpeg, sizeof ffmpeg, "%s/ffmpeg", fake_bin);
	if (mkdir(fake_bin, 0700) != 0)
		return -1;
	if (symlink("/usr/bin/ffprobe", path_of("bin/ffprobe")) != 0)
		return -1;
	return write_file(ffmpeg,
			  "#!/bin/sh\n"
			  "for last; do :; done\n"
			  "printf partial > \"${last#file:}\"\n"
			  "exec sleep 10\n",
			  0700);
}

#define FFMPEG	   "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"
#define LAVFI(src) "-f", "lavfi", "-i", (src)

static int make_fixtures(void)
{
	char *clip[] = {FFMPEG,
			LAVFI("testsrc=duration=3:size=320x240:rate=25"),
			LAVFI("sine=duration=3"),
			"-c:v",
			"libx264",
			"-profile:v",
			"baseline",
			"-pix_fmt",
			"yuv420p",
			"-c:a",
			"aac",
			"-shortest",
			"-metadata",
			"title=secret",
			"-metadata",
			"comment=hush",
			"-metadata",
			"location=+40.7-074.0/",
			(char *)path_of("clip.mp4"),
			NULL};
	char *rotated[] = {FFMPEG,
			   "-i",
			   (char *)path_of("clip.mp4"),
			   "-c",
			   "copy",
			   "-metadata:s:v",
			   "rotate=90",
			   (char *)path_of("rotated.mp4"),
			   NULL};
	char *webm[] = {FFMPEG,
			LAVFI("testsrc=duration=3:size=320x240:rate=25"),
			LAVFI("sine=duration=3"),
			"-c:v",
			"libvpx",
			"-deadline",
			"realtime",
			"-cpu-used",
			"8",
			"-c:a",
			"libvorbis",
			"-shortest",
			(char *)path_of("clip.webm"),
			NULL};
	char *hd60[] = {FFMPEG,
			LAVFI("testsrc=duration=1:size=1280x720:rate=60"),
			"-c:v",
			"libx264",
			"-preset",
			"ultrafast",
			"-pix_fmt",
			"yuv420p",
			(char *)path_of("hd60.mp4"),
			NULL};
	char *gif[] = {FFMPEG, LAVFI("testsrc=duration=2:size=161x121:rate=10"),
		       (char *)path_of("anim.gif"), NULL};
	char *wav[] = {FFMPEG, LAVFI("sine=duration=3"),
		       (char *)path_of("tone.wav"), NULL};
	char *ogg[] = {FFMPEG,
		       LAVFI("sine=duration=3"),
		       "-c:a",
		       "libvorbis",
		       "-metadata",
		       "title=secret",
		       (char *)path_of("tone.ogg"),
		       NULL};
	char *cover[] = {FFMPEG,
			 "-i",
			 (char *)path_of("tone.wav"),
			 LAVFI("testsrc=size=64x64:rate=1:duration=1"),
			 "-map",
			 "0",
			 "-map",
			 "1",
			 "-frames:v",
			 "1",
			 "-c:a",
			 "libmp3lame",
			 "-c:v",
			 "mjpeg",
			 "-disposition:v",
			 "attached_pic",
			 (char *)path_of("cover.mp3"),
			 NULL};
	char *const *all[] = {clip, rotated, webm, hd60, gif, wav, ogg, cover};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		if (run_quietly(all[i]) != 0)
			return -1;
	if (make_truncated_copy(path_of("clip.mp4"), path_of("truncated.mp4"),
				TEST_TRUNCATED_BYTES) != 0)
		return -1;
	if (write_file(path_of("notes.txt"), "just some words, not a video\n",
		       0600) != 0)
		return -1;
	return make_fake_bin();
}

static int group_setup(void **state)
{
	const char *path = getenv("PATH");
	snprintf(saved_path, sizeof saved_path, "%s", path ? path : "");
	if (!mkdtemp(test_dir))
		return -1;
	return make_fixtures();
}

static int group_teardown(void **state)
{
	char *argv[] = {"rm", "-rf", test_dir, NULL};
	return proc_run(argv, TEST_FIXTURE_TIMEOUT, NULL, NULL, 0) == 0 ? 0
									: -1;
}

/* ---- proc --------------------------------------------------------------- */

static void test_proc_captures_stdout(void **state)
{
	char *argv[] = {"printf", "hello %s", "world", NULL};
	char *out = NULL;
	assert_int_equal(proc_run(argv, TEST_FIXTURE_TIMEOUT, &out, NULL, 100),
			 0);
	assert_string_equal(out, "hello world");
	free(out);
}

static void test_proc_keeps_stdout_and_stderr_apart(void **state)
{
	char *argv[] = {"sh", "-c", "echo out; echo err >&2", NULL};
	char *out = NULL, *err = NULL;
	assert_int_equal(proc_run(argv, TEST_FIXTURE_TIMEOUT, &out, &err, 100),
			 0);
	assert_string_equal(out, "out\n");
	assert_string_equal(err, "err\n");
	free(out);
	free(err);
}

static void test_proc_returns_exit_status_and_signal(void **state)
{
	char *exits[] = {"sh", "-c", "exit 42", NULL};
	char *killed[] = {"sh", "-c", "kill -9 $$", NULL};
	char *fails[] = {"false", NULL};
	assert_int_equal(proc_run(exits, TEST_FIXTURE_TIMEOUT, NULL, NULL, 0),
			 42);
	assert_int_equal(proc_run(fails, TEST_FIXTURE_TIMEOUT, NULL, NULL, 0),
			 1);
	assert_int_equal(proc_run(killed, TEST_FIXTURE_TIMEOUT, NULL, NULL, 0),
			 PROC_SIGNALLED);
}

static void test_proc_stdin_is_empty(void **state)
{
	char *argv[] = {"wc", "-c", NULL};
	char *out = NULL;
	assert_int_equal(proc_run(argv, TEST_FIXTURE_TIMEOUT, &out, NULL, 100),
			 0);
	assert_int_equal(atoi(out), 0);
	free(out);
}

/* Whether pid is gone or dead (a zombie is dead, but only its parent,
 * which in a container may be a non-reaping init, can clear it). */
static bool pid_is_dead(pid_t pid)
{
	char path[64], stat[256];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	size_t n = fread(stat, 1, sizeof stat - 1, f);
	fclose(f);
	stat[n] = '\0';
	const char *end = strrchr(stat, ')');
	return !end || end[2] == 'Z' || end[2] == 'X';
}

static void test_proc_timeout_kills_the_whole_group_quickly(void **state)
{
	/* The shell prints its background child's pid, then waits. */
	char *argv[] = {"sh", "-c", "sleep 10 & echo $!; wait", NULL};
	char *out = NULL;
	int64_t start = test_now_ms();
	int rc = proc_run(argv, TEST_TIMEOUT_MS, &out, NULL, 100);
	int64_t took = test_now_ms() - start;
	assert_int_equal(rc, PROC_TIMEOUT);
	assert_true(took >= TEST_TIMEOUT_MS && took < TEST_FAST_MS);
	/* Output up to the kill is kept. */
	pid_t grandchild = (pid_t)atoi(out);
	free(out);
	assert_true(grandchild > 0);
	for (int i = 0; i < 100 && !pid_is_dead(grandchild); i++)
		usleep(10000);
	assert_true(pid_is_dead(grandchild));
	/* And the child itself was reaped: no children are left. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_proc_large_output_is_drained_not_blocking(void **state)
{
	char *argv[] = {"sh", "-c", "yes | head -c 2000000; echo done >&2",
			NULL};
	char *out = NULL, *err = NULL;
	assert_int_equal(
		proc_run(argv, TEST_FIXTURE_TIMEOUT, &out, &err, TEST_KEEP), 0);
	assert_int_equal(strlen(out), TEST_KEEP);
	assert_memory_equal(out, "y\ny\ny\n", 6);
	assert_string_equal(err, "done\n");
	free(out);
	free(err);

	char *zeros[] = {"head", "-c", "2000000", "/dev/zero", NULL};
	assert_int_equal(proc_run(zeros, TEST_FIXTURE_TIMEOUT, NULL, NULL, 0),
			 0);
	assert_int_equal(
		proc_run(argv, TEST_FIXTURE_TIMEOUT, &out, NULL, 1 << 22), 0);
	assert_int_equal(strlen(out), TEST_BIG_OUTPUT);
	free(out);
}

static void test_proc_missing_program_fails_to_spawn(void **state)
{
	char *argv[] = {"chorus-no-such-program", NULL};
	char *out = (char *)"untouched", *err = (char *)"untouched";
	int rc = proc_run(argv, TEST_FIXTURE_TIMEOUT, &out, &err, 100);
	assert_true(rc == PROC_SPAWN_FAILED || rc == 127);
	if (rc == PROC_SPAWN_FAILED) {
		assert_null(out);
		assert_null(err);
	} else {
		free(out);
		free(err);
	}
}

static void *spawn_sleepers(void *arg)
{
	char *argv[] = {"sleep", "0.3", NULL};
	for (int i = 0; i < 3; i++) {
		char *out = NULL;
		proc_run(argv, TEST_FIXTURE_TIMEOUT, &out, NULL, 16);
		free(out);
	}
	return NULL;
}

/* Pipes are close-on-exec: a quick run never waits for EOF on a pipe that
 * leaked into a sleeper spawned by another thread. */
static void test_proc_concurrent_spawns_do_not_share_pipes(void **state)
{
	pthread_t threads[TEST_SPAWN_THREADS];
	for (int i = 0; i < TEST_SPAWN_THREADS; i++)
		assert_int_equal(
			pthread_create(&threads[i], NULL, spawn_sleepers, NULL),
			0);
	char *argv[] = {"echo", "quick", NULL};
	int64_t slowest = 0;
	for (int i = 0; i < TEST_SPAWN_ROUNDS; i++) {
		char *out = NULL, *err = NULL;
		int64_t start = test_now_ms();
		assert_int_equal(
			proc_run(argv, TEST_FIXTURE_TIMEOUT, &out, &err, 16),
			0);
		int64_t took = test_now_ms() - start;
		slowest = took > slowest ? took : slowest;
		assert_string_equal(out, "quick\n");
		free(out);
		free(err);
		usleep(20000);
	}
	for (int i = 0; i < TEST_SPAWN_THREADS; i++)
		pthread_join(threads[i], NULL);
	assert_true(slowest < TEST_QUICK_RUN_MS);
}

/* ---- probe -------------------------------------------------------------- */

static void test_av_probe_reads_an_mp4(void **state)
{
	media_av_info info;
	const char *err = NULL;
	assert_int_equal(media_av_probe(path_of("clip.mp4"), NULL, &info, &err),
			 0);
	assert_true(fabs(info.duration - 3) < TEST_DURATION_SLACK);
	assert_true(info.has_video && info.has_audio);
	assert_int_equal(info.width, 320);
	assert_int_equal(info.height, 240);
	assert_string_equal(info.frame_rate, "25/1");
	assert_true(fabs(info.fps - 25) < 1e-9);
	assert_string_equal(info.video_codec, "h264");
	assert_string_equal(info.audio_codec, "aac");
	assert_string_equal(info.audio_encode, "aac (LC)");
	assert_int_equal(info.audio_channels, 1);
	assert_int_equal(info.audio_sample_rate, 44100);
	assert_true(info.audio_bitrate > 0 && info.bitrate > 0);
}

static void test_av_probe_applies_rotation_to_the_size(void **state)
{
	media_av_info info;
	const char *err = NULL;
	assert_int_equal(
		media_av_probe(path_of("rotated.mp4"), NULL, &info, &err), 0);
	assert_int_equal(info.width, 240);
	assert_int_equal(info.height, 320);
}

static void test_av_probe_does_not_count_cover_art_as_video(void **state)
{
	media_av_info info;
	const char *err = NULL;
	assert_int_equal(
		media_av_probe(path_of("cover.mp3"), NULL, &info, &err), 0);
	assert_false(info.has_video);
	assert_true(info.has_audio);
	assert_string_equal(info.audio_codec, "mp3");
}

static void test_av_probe_refuses_corrupt_and_foreign_files(void **state)
{
	const char *names[] = {"truncated.mp4", "notes.txt", "missing.mp4"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		media_av_info info;
		const char *err = NULL;
		assert_int_equal(
			media_av_probe(path_of(names[i]), NULL, &info, &err),
			-1);
		assert_string_equal(err, "Could not read the media file: it is "
					 "corrupt or not a supported format");
	}
}

static void test_av_probe_refuses_what_runs_too_long(void **state)
{
	media_av_limits lim = {.max_duration = 2};
	media_av_info info;
	const char *err = NULL;
	assert_int_equal(media_av_probe(path_of("clip.mp4"), &lim, &info, &err),
			 -1);
	assert_string_equal(err, "The video is too long");
	assert_int_equal(media_av_probe(path_of("tone.wav"), &lim, &info, &err),
			 -1);
	assert_string_equal(err, "The audio is too long");
}

/* ---- transcode ---------------------------------------------------------- */

/* Transcode name as type with lim into out.mp4 and poster.jpg; asserts
 * success and returns ffprobe's view of the output (caller decrefs). */
static json_t *transcode_ok(const char *name, media_type type,
			    const media_av_limits *lim, media_av_info *info)
{
	const char *err = NULL;
	const char *out = path_of("out.tmp"), *poster = path_of("poster.tmp");
	unlink(out);
	unlink(poster);
	int rc = media_av_transcode(path_of(name), type, out,
				    type == MEDIA_TYPE_AUDIO ? NULL : poster,
				    lim, info, &err);
	if (rc != 0)
		fail_msg("%s: %s", name, err);
	return probe_json(out);
}

static void assert_poster_is_a_jpeg(void)
{
	unsigned char magic[3] = {0};
	FILE *f = fopen(path_of("poster.tmp"), "rb");
	assert_non_null(f);
	assert_int_equal(fread(magic, 1, 3, f), 3);
	fclose(f);
	assert_memory_equal(magic, "\xFF\xD8\xFF", 3);
}

static void assert_no_outputs(void)
{
	assert_false(file_exists(path_of("out.tmp")));
	assert_false(file_exists(path_of("poster.tmp")));
}

/* The fixture is H.264/AAC MP4 within every limit: it is remuxed, not
 * re-encoded, and loses its metadata all the same. */
static void test_av_transcode_within_limits_is_a_clean_copy(void **state)
{
	media_av_info info;
	json_t *root = transcode_ok("clip.mp4", MEDIA_TYPE_VIDEO, NULL, &info);
	assert_true(fabs(info.duration - 3) < TEST_DURATION_SLACK);
	assert_false(has_tag(root, "title"));
	assert_false(has_tag(root, "comment"));
	assert_false(has_tag(root, "location"));
	assert_string_equal(
		str_of(json_object_get(root, "format"), "format_name"),
		"mov,mp4,m4a,3gp,3g2,mj2");
	/* A re-encode would be High profile; the copy keeps baseline. */
	assert_string_equal(str_of(stream_of(root, "video"), "profile"),
			    "Constrained Baseline");
	assert_string_equal(str_of(stream_of(root, "audio"), "codec_name"),
			    "aac");
	json_decref(root);
	assert_true(file_size(path_of("poster.tmp")) > 0);
	assert_poster_is_a_jpeg();
}

/* Over the bitrate cap it is re-encoded; a box far larger than the video
 * does not upscale it. */
static void test_av_transcode_reencodes_over_the_bitrate_cap(void **state)
{
	media_av_limits lim = {
		.max_width = 4000, .max_height = 4000, .max_bitrate = 1000};
	media_av_info info;
	json_t *root = transcode_ok("clip.mp4", MEDIA_TYPE_VIDEO, &lim, &info);
	json_t *video = stream_of(root, "video");
	assert_string_equal(str_of(video, "profile"), "High");
	assert_string_equal(str_of(video, "pix_fmt"), "yuv420p");
	assert_true(fabs(info.duration - 3) < TEST_DURATION_SLACK);
	assert_int_equal(info.width, 320);
	assert_int_equal(info.height, 240);
	assert_false(has_tag(root, "title"));
	assert_false(has_tag(root, "location"));
	json_decref(root);
}

static void test_av_transcode_turns_rotated_video_upright(void **state)
{
	media_av_info info;
	json_t *root =
		transcode_ok("rotated.mp4", MEDIA_TYPE_VIDEO, NULL, &info);
	json_t *video = stream_of(root, "video");
	assert_int_equal(json_integer_value(json_object_get(video, "width")),
			 240);
	assert_int_equal(json_integer_value(json_object_get(video, "height")),
			 320);
	assert_null(json_object_get(video, "side_data_list"));
	assert_int_equal(info.width, 240);
	json_decref(root);
}

static void test_av_transcode_webm_to_h264_aac(void **state)
{
	media_av_info info;
	json_t *root = transcode_ok("clip.webm", MEDIA_TYPE_VIDEO, NULL, &info);
	assert_string_equal(str_of(stream_of(root, "video"), "codec_name"),
			    "h264");
	assert_string_equal(str_of(stream_of(root, "audio"), "codec_name"),
			    "aac");
	assert_string_equal(info.video_codec, "h264");
	assert_string_equal(info.audio_encode, "aac (LC)");
	assert_true(fabs(info.duration - 3) < TEST_DURATION_SLACK);
	assert_int_equal(info.width, 320);
	json_decref(root);
	assert_poster_is_a_jpeg();
}

static void test_av_transcode_fits_the_box_and_caps_fps(void **state)
{
	media_av_limits lim = {
		.max_width = 640, .max_height = 360, .max_fps = 30};
	media_av_info info;
	json_t *root = transcode_ok("hd60.mp4", MEDIA_TYPE_VIDEO, &lim, &info);
	assert_int_equal(info.width, 640);
	assert_int_equal(info.height, 360);
	assert_true(fabs(info.fps - 30) < 1e-9);
	assert_false(info.has_audio);
	json_decref(root);

	/* A box of another shape: aspect kept, even, inside the box. */
	lim = (media_av_limits){.max_width = 500, .max_height = 500};
	root = transcode_ok("hd60.mp4", MEDIA_TYPE_VIDEO, &lim, &info);
	assert_int_equal(info.width, 500);
	assert_int_equal(info.height, 282);
	assert_true(fabs(info.fps - 60) < 1e-9);
	json_decref(root);
}

static void test_av_transcode_gif_to_silent_even_mp4(void **state)
{
	media_av_info info;
	json_t *root = transcode_ok("anim.gif", MEDIA_TYPE_GIFV, NULL, &info);
	assert_null(stream_of(root, "audio"));
	assert_string_equal(str_of(stream_of(root, "video"), "codec_name"),
			    "h264");
	assert_false(info.has_audio);
	assert_int_equal(info.width, 160);
	assert_int_equal(info.height, 120);
	assert_true(fabs(info.duration - 2) < TEST_DURATION_SLACK);
	json_decref(root);
	assert_poster_is_a_jpeg();
}

static void test_av_transcode_audio_to_mp3(void **state)
{
	const char *names[] = {"tone.wav", "tone.ogg", "cover.mp3"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		media_av_info info;
		json_t *root =
			transcode_ok(names[i], MEDIA_TYPE_AUDIO, NULL, &info);
		assert_string_equal(
			str_of(json_object_get(root, "format"), "format_name"),
			"mp3");
		assert_null(stream_of(root, "video")); /* no cover art */
		assert_false(has_tag(root, "title"));
		assert_string_equal(info.audio_codec, "mp3");
		assert_false(info.has_video);
		assert_true(fabs(info.duration - 3) < TEST_DURATION_SLACK);
		json_decref(root);
	}
}

static void test_av_transcode_refuses_bad_input_leaving_nothing(void **state)
{
	const char *names[] = {"truncated.mp4", "notes.txt"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		media_av_info info;
		const char *err = NULL;
		assert_int_equal(media_av_transcode(path_of(names[i]),
						    MEDIA_TYPE_VIDEO,
						    path_of("out.tmp"),
						    path_of("poster.tmp"), NULL,
						    &info, &err),
				 -1);
		assert_string_equal(err, "Could not read the media file: it is "
					 "corrupt or not a supported format");
		assert_no_outputs();
	}
}

static void test_av_transcode_refuses_the_wrong_kind(void **state)
{
	media_av_info info;
	const char *err = NULL;
	assert_int_equal(
		media_av_transcode(path_of("tone.wav"), MEDIA_TYPE_VIDEO,
				   path_of("out.tmp"), path_of("poster.tmp"),
				   NULL, &info, &err),
		-1);
	assert_string_equal(err, "The file has no video track");
	assert_int_equal(
		media_av_transcode(path_of("anim.gif"), MEDIA_TYPE_AUDIO,
				   path_of("out.tmp"), NULL, NULL, &info, &err),
		-1);
	assert_string_equal(err, "The file has no audio track");
	assert_no_outputs();
}

static void test_av_transcode_refuses_too_long(void **state)
{
	media_av_limits lim = {.max_duration = 2.5};
	media_av_info info;
	const char *err = NULL;
	assert_int_equal(
		media_av_transcode(path_of("clip.mp4"), MEDIA_TYPE_VIDEO,
				   path_of("out.tmp"), path_of("poster.tmp"),
				   &lim, &info, &err),
		-1);
	assert_string_equal(err, "The video is too long");
	assert_no_outputs();
}

static void test_av_transcode_timeout_removes_partial_output(void **state)
{
	char path[sizeof saved_path + PATH_MAX];
	snprintf(path, sizeof path, "%s:%s", fake_bin, saved_path);
	setenv("PATH", path, 1);
	media_av_limits lim = {.timeout_s = 1};
	media_av_info info;
	const char *err = NULL;
	int64_t start = test_now_ms();
	int rc = media_av_transcode(path_of("clip.webm"), MEDIA_TYPE_VIDEO,
				    path_of("out.tmp"), path_of("poster.tmp"),
				    &lim, &info, &err);
	int64_t took = test_now_ms() - start;
	setenv("PATH", saved_path, 1);
	assert_int_equal(rc, -1);
	assert_string_equal(err, "Processing the video took too long");
	assert_true(took < 1000 + TEST_FAST_MS);
	assert_no_outputs();
}

static void test_av_transcode_without_ffmpeg_says_so(void **state)
{
	setenv("PATH", fake_bin, 1); /* ffprobe only, through the symlink */
	unlink(path_of("bin/ffmpeg"));
	media_av_info info;
	const char *err = NULL;
	int rc = media_av_transcode(path_of("clip.webm"), MEDIA_TYPE_VIDEO,
				    path_of("out.tmp"), path_of("poster.tmp"),
				    NULL, &info, &err);
	setenv("PATH", saved_path, 1);
	assert_int_equal(rc, -1);
	assert_string_equal(err,
			    "Media processing is not available on this server");
	assert_no_outputs();
}

/* ---- length ------------------------------------------------------------- */

static void test_av_length_formats_like_mastodon(void **state)
{
	char s[32];
	media_av_length(88.65, s, sizeof s);
	assert_string_equal(s, "0:01:28.65");
	media_av_length(3, s, sizeof s);
	assert_string_equal(s, "0:00:03.00");
	media_av_length(3723.456, s, sizeof s);
	assert_string_equal(s, "1:02:03.46");
	media_av_length(-1, s, sizeof s);
	assert_string_equal(s, "0:00:00.00");
	media_av_length(NAN, s, sizeof s);
	assert_string_equal(s, "0:00:00.00");
}

static void test_av_limits_default_and_zero_fields(void **state)
{
	media_av_limits lim;
	media_av_limits_default(&lim);
	assert_int_equal(lim.timeout_s, 300);
	assert_int_equal(lim.max_width, 1920);
	assert_int_equal(lim.max_height, 1080);
	assert_int_equal(lim.max_bitrate, 4000000);
	assert_true(lim.max_fps == 60 && lim.max_duration == 600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_captures_stdout),
		cmocka_unit_test(test_proc_keeps_stdout_and_stderr_apart),
		cmocka_unit_test(test_proc_returns_exit_status_and_signal),
		cmocka_unit_test(test_proc_stdin_is_empty),
		cmocka_unit_test(
			test_proc_timeout_kills_the_whole_group_quickly),
		cmocka_unit_test(
			test_proc_large_output_is_drained_not_blocking),
		cmocka_unit_test(test_proc_missing_program_fails_to_spawn),
		cmocka_unit_test(
			test_proc_concurrent_spawns_do_not_share_pipes),
		cmocka_unit_test(test_av_probe_reads_an_mp4),
		cmocka_unit_test(test_av_probe_applies_rotation_to_the_size),
		cmocka_unit_test(
			test_av_probe_does_not_count_cover_art_as_video),
		cmocka_unit_test(
			test_av_probe_refuses_corrupt_and_foreign_files),
		cmocka_unit_test(test_av_probe_refuses_what_runs_too_long),
		cmocka_unit_test(
			test_av_transcode_within_limits_is_a_clean_copy),
		cmocka_unit_test(
			test_av_transcode_reencodes_over_the_bitrate_cap),
		cmocka_unit_test(test_av_transcode_turns_rotated_video_upright),
		cmocka_unit_test(test_av_transcode_webm_to_h264_aac),
		cmocka_unit_test(test_av_transcode_fits_the_box_and_caps_fps),
		cmocka_unit_test(test_av_transcode_gif_to_silent_even_mp4),
		cmocka_unit_test(test_av_transcode_audio_to_mp3),
		cmocka_unit_test(
			test_av_transcode_refuses_bad_input_leaving_nothing),
		cmocka_unit_test(test_av_transcode_refuses_the_wrong_kind),
		cmocka_unit_test(test_av_transcode_refuses_too_long),
		cmocka_unit_test(
			test_av_transcode_timeout_removes_partial_output),
		cmocka_unit_test(test_av_transcode_without_ffmpeg_says_so),
		cmocka_unit_test(test_av_length_formats_like_mastodon),
		cmocka_unit_test(test_av_limits_default_and_zero_fields),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
