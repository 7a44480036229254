#!/usr/bin/env bash
# bench/media.sh — measure chorus's media pipeline.
#
#   bench/media.sh            build, generate the inputs once, measure
#   bench/media.sh --fresh    generate the inputs again first
#
# 1. image upload-to-ready: a 4000x3000 JPEG of ~4 MB with EXIF (GPS,
#    Orientation) POSTed to /api/v2/media by wrk (bench/upload.lua), which
#    answers 200 once processed: images/s, p50/p99, non-200 answers;
# 2. video processing time, upload to ready, against the ffmpeg command
#    chorus runs (src/media/video.c), alone, on the same file: a 30 s 720p
#    WebM that is transcoded, and an H.264/AAC MP4 that is stream-copied;
# 3. Range requests for random 1 MiB slices of a 50 MB file
#    (bench/range.lua), chorus against nginx serving the same file.
#
# Environment (defaults in brackets):
#   IMAGE_DURATION [15]  seconds per upload run
#   IMAGE_CONNECTIONS ["2 4"]  one upload run per count (wrk thread each)
#   VIDEO_RUNS [3]  runs per video case and timing (median reported)
#   CLIP_SECONDS [30]  length of the generated clips
#   RANGE_DURATION [10]  RANGE_WARMUP [2]  RANGE_CONNECTIONS [16]
#   RANGE_MB [50]  size of the served file   SEED [42]  of the slices
#   THREADS [2]  wrk threads for the Range runs
#   PORT [38180]  NGINX_PORT [38181]  (both on 127.0.0.1)
#   BUILD [1]  0 skips `make`
#   MAX_SECONDS [420 + ...]  hard bound on the whole run
#
# Results go to bench/out/media-results.md (also printed); raw wrk output to
# bench/out/media-wrk/. Inputs are generated at run time into
# bench/out/media-in (kept for the next run; --fresh redoes them). chorus
# runs on a throwaway data dir, bench/out/media-data, deleted at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out

IMAGE_DURATION=${IMAGE_DURATION:-15}
IMAGE_CONNECTIONS=${IMAGE_CONNECTIONS:-2 4}
VIDEO_RUNS=${VIDEO_RUNS:-3}
CLIP_SECONDS=${CLIP_SECONDS:-30}
RANGE_DURATION=${RANGE_DURATION:-10}
RANGE_WARMUP=${RANGE_WARMUP:-2}
RANGE_CONNECTIONS=${RANGE_CONNECTIONS:-16}
RANGE_MB=${RANGE_MB:-50}
SEED=${SEED:-42}
THREADS=${THREADS:-2}
PORT=${PORT:-38180}
NGINX_PORT=${NGINX_PORT:-38181}
BUILD=${BUILD:-1}
n_img=$(echo "$IMAGE_CONNECTIONS" | wc -w)
MAX_SECONDS=${MAX_SECONDS:-$((420 + n_img * (IMAGE_DURATION + 90) + \
	VIDEO_RUNS * 6 * (CLIP_SECONDS + 10) + \
	2 * (RANGE_DURATION + RANGE_WARMUP + 60)))}

# Bound the whole run: re-run this script under timeout(1), which on expiry
# signals the script and its whole process group (chorus, nginx, wrk, ffmpeg).
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_args 30 "$@"
bench_bound "$@"


IN=$OUT/media-in      # generated inputs, kept between runs
DATA=$OUT/media-data  # chorus's throwaway data dir
TMP=$OUT/media-tmp    # ffmpeg-alone outputs, scratch
WRKOUT=$OUT/media-wrk # raw wrk output
NGX=$OUT/media-nginx
CHORUS_LOG=$OUT/media-chorus.log
RESULTS=$OUT/media-results.md

bench_cleanup_extra() { rm -rf "$DATA" "$TMP"; }

scripts/deps.sh test bench # ffmpeg, exiftool, PIL, wrk, nginx
PY=/usr/bin/python3 # Debian's, with python3-pil and python3-requests
for tool in ffmpeg ffprobe exiftool wrk curl; do
	command -v "$tool" >/dev/null || die "$tool is missing (scripts/deps.sh test)"
done
"$PY" -c 'import PIL, requests' 2>/dev/null ||
	die "$PY lacks PIL or requests (scripts/deps.sh test)"


now() { date +%s.%N; }
# elapsed START: seconds since START (from now), 3 decimals
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
# median of the numbers given
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]
		      else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
filesize() { stat -c %s "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e6 }'; }

# ---- build and inputs -----------------------------------------------------

if [ "$BUILD" != 0 ]; then
	echo "== build"
	make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
[ -x build/chorus ] || die "no build/chorus (make)"

JPG=$IN/photo.jpg
WEBM=$IN/clip.webm
MP4=$IN/clip.mp4
STAMP=$IN/.inputs
want_stamp="v1 clip_seconds=$CLIP_SECONDS"
if [ "$FRESH" = 1 ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want_stamp" ]; then
	echo "== generating inputs in $IN"
	rm -rf "$IN"
	mkdir -p "$IN"
	# A photo-like 4000x3000 picture: colour gradients modulated by
	# low-frequency blobs, plus fine noise, so JPEG can't shrink it much;
	# the quality is stepped until the file is 3.5-4.5 MB.
	"$PY" - "$JPG" <<'PY'
import os, sys
from PIL import Image, ImageChops

out = sys.argv[1]
W, H = 4000, 3000

def blobs():
    return Image.effect_noise((W // 40, H // 40), 80).resize((W, H), Image.BICUBIC)

def channel(base):
    return ImageChops.add(ImageChops.multiply(base, blobs()),
                          Image.effect_noise((W, H), 11), scale=1.0, offset=-128)

grad = Image.linear_gradient("L")
img = Image.merge("RGB", (channel(grad.resize((W, H))),
                          channel(grad.rotate(90).resize((W, H))),
                          channel(Image.new("L", (W, H), 255))))
lo, hi = 3_500_000, 4_500_000
q = 90
for _ in range(12):
    img.save(out, quality=q)
    size = os.path.getsize(out)
    if lo <= size <= hi - 20_000:  # room for the EXIF added next
        break
    q += -3 if size > hi else 2
    q = max(50, min(98, q))
else:
    sys.exit(f"could not reach 3.5-4.5 MB (last {size} bytes at quality {q})")
print(f"   photo.jpg: {W}x{H}, quality {q}, {size} bytes")
with open(out + ".quality", "w") as f:
    f.write(str(q))
PY
	# GPS and Orientation (6: rotate 90° clockwise) so that chorus's
	# stripping and turning upright both run
	exiftool -q -overwrite_original -n -Orientation=6 \
		-GPSLatitude=48.858370 -GPSLatitudeRef=N \
		-GPSLongitude=2.294481 -GPSLongitudeRef=E -GPSAltitude=35 \
		-Make=ChorusBench -Model="Noise 4000" \
		-DateTimeOriginal="2024:05:01 12:00:00" "$JPG"
	size=$(filesize "$JPG")
	[ "$size" -ge 3500000 ] && [ "$size" -le 4500000 ] ||
		die "photo.jpg is $size bytes, not 3.5-4.5 MB"
	# realtime VP8 so that making the clip takes seconds, not minutes
	ffmpeg -hide_banner -loglevel error -nostdin -y \
		-f lavfi -i "testsrc2=duration=$CLIP_SECONDS:size=1280x720:rate=30" \
		-f lavfi -i "sine=duration=$CLIP_SECONDS" \
		-c:v libvpx -b:v 2M -deadline realtime -cpu-used 8 -threads 2 \
		-c:a libvorbis "$WEBM"
	ffmpeg -hide_banner -loglevel error -nostdin -y \
		-f lavfi -i "testsrc2=duration=$CLIP_SECONDS:size=1280x720:rate=30" \
		-f lavfi -i "sine=duration=$CLIP_SECONDS" \
		-c:v libx264 -preset veryfast -pix_fmt yuv420p \
		-b:v 2M -maxrate 3M -bufsize 4M \
		-c:a aac -b:a 128k -movflags +faststart "$MP4"
	echo "$want_stamp" >"$STAMP"
else
	echo "== inputs present ($IN); --fresh generates them again"
fi
JPG_Q=$(cat "$JPG.quality")
exif_in=$(exiftool -s -s -s -n -Orientation -GPSLatitude -GPSLongitude "$JPG" | tr '\n' ' ')
[ "$(exiftool -s -s -s -n -Orientation "$JPG")" = 6 ] || die "photo.jpg lost its Orientation"
[ -n "$(exiftool -s -s -s -GPSLatitude "$JPG")" ] || die "photo.jpg lost its GPS"

# ---- chorus on a throwaway data dir ---------------------------------------

port_busy "$PORT" && die "port $PORT is in use (set PORT)"
port_busy "$NGINX_PORT" && die "port $NGINX_PORT is in use (set NGINX_PORT)"

rm -rf "$DATA" "$TMP" "$WRKOUT" "$NGX"
mkdir -p "$DATA" "$TMP" "$WRKOUT" "$NGX/tmp"
printf '[server]\naccess_log = false\n' >"$OUT/media.ini"
build/chorus user create bench --email bench@example.com \
	--password bench-password-1 --data "$DATA" >"$CHORUS_LOG" 2>&1 ||
	die "could not create the bench user"
build/chorus serve --config "$OUT/media.ini" --data "$DATA" --port "$PORT" \
	>>"$CHORUS_LOG" 2>&1 &
CHORUS_PID=$!
BASE=http://127.0.0.1:$PORT
chorus_wait "$BASE" "$CHORUS_LOG"
TOKEN=$(chorus_token "$BASE" bench bench-password-1)
AUTH="Authorization: Bearer $TOKEN"

# Wait until chorus is idle (under 5 CPU ticks in half a second), at most
# 120 s: uploads cut off when wrk stops are still processed, and they must
# not eat into the next measurement.
wait_idle_long() { wait_idle 120; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- 1. image upload-to-ready ---------------------------------------------

echo "== 1. image upload-to-ready ($(filesize "$JPG") bytes, EXIF: $exif_in)"
# one upload by hand first: 200, upright, no metadata left
code=$(curl -sS --max-time 120 -H "$AUTH" -F "file=@$JPG;filename=x.jpg" \
	-o "$TMP/upload.json" -w '%{http_code}' "$BASE/api/v2/media")
[ "$code" = 200 ] || die "POST /api/v2/media answered $code: $(head -c 300 "$TMP/upload.json")"
read -r img_name img_w img_h prev_w prev_h < <("$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
o, s = m["meta"]["original"], m["meta"]["small"]
print(m["url"].rsplit("/", 1)[1], o["width"], o["height"], s["width"], s["height"])' \
	"$TMP/upload.json") || die "unexpected upload answer: $(head -c 300 "$TMP/upload.json")"
img_file=$DATA/media/$img_name
[ -f "$img_file" ] || die "no $img_file"
left=$(exiftool -s -s -s -GPS:all -Orientation -Make "$img_file")
[ -z "$left" ] || die "metadata left in the processed image: $left"
[ "$img_w" -lt "$img_h" ] || die "processed image ${img_w}x$img_h is not upright (portrait)"
IMG_OUT="${img_w}x$img_h JPEG of $(filesize "$img_file") bytes (EXIF gone, turned upright) + ${prev_w}x$prev_h preview"
echo "   one upload: 200, $IMG_OUT"

IMG_ROWS=""
IMG_OK=yes
for c in $IMAGE_CONNECTIONS; do
	f=$WRKOUT/upload-c$c.txt
	echo "   wrk: $c connections, ${IMAGE_DURATION} s"
	wait_idle_long
	timeout $((IMAGE_DURATION + 150)) wrk -t "$c" -c "$c" -d "${IMAGE_DURATION}s" \
		--timeout 120s --latency -s bench/upload.lua "$BASE/api/v2/media" \
		-- "$TOKEN" "$JPG" >"$f" 2>&1 || die "wrk failed: $(tail -5 "$f")"
	wait_idle_long
	rps=$(awk '/^Requests\/sec:/ { printf "%.2f", $2 }' "$f")
	n=$(awk '$1 == "upload:" && $2 == "timed" { print $3 }' "$f")
	p50=$(awk '$1 == "upload:" && $2 == "timed" { printf "%.0f", $5 }' "$f")
	p99=$(awk '$1 == "upload:" && $2 == "timed" { printf "%.0f", $7 }' "$f")
	max=$(awk '$1 == "upload:" && $2 == "timed" { printf "%.0f", $9 }' "$f")
	non200=$(awk '/^upload: non-200 answers:/ { print $NF }' "$f")
	sock=$(awk '/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
		END { print n + 0 }' "$f")
	[ -n "$n" ] && [ -n "$non200" ] || die "no upload figures in $f"
	[ "$non200" = 0 ] && [ "$sock" = 0 ] || IMG_OK=no
	echo "   $c connections: $rps images/s, p50 $p50 ms, p99 $p99 ms" \
		"($n uploads, $non200 non-200, $sock socket errors)"
	IMG_ROWS="$IMG_ROWS| $c | $rps | $p50 | $p99 | $max | $n | $non200 | $sock |
"
done
hwm_mb=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$CHORUS_PID/status")

# ---- 2. video processing time ---------------------------------------------

DEMUXERS=mov,matroska,gif,ogg,wav,mp3,flac,aac,asf
# The commands of src/media/video.c for a 1280x720 30 fps input, within
# every limit (default [media] settings: 1920x1080 box, 4 Mbit/s, 60 fps).
ffprobe_cmd() { # FILE
	ffprobe -hide_banner -loglevel error -protocol_whitelist file \
		-format_whitelist "$DEMUXERS" "file:$1" \
		-print_format json -show_format -show_streams >/dev/null
}
ffmpeg_transcode() { # IN OUT
	ffmpeg -hide_banner -loglevel error -nostdin -y -protocol_whitelist file \
		-format_whitelist "$DEMUXERS" -i "file:$1" -map 0:V:0 -map 0:a:0 \
		-map_metadata -1 -map_chapters -1 -sn -dn \
		-vf scale=1280:720,setsar=1 -c:v libx264 -preset veryfast \
		-profile:v high -pix_fmt yuv420p -crf 23 -maxrate 4000000 \
		-bufsize 8000000 -c:a aac -b:a 128000 -movflags +faststart \
		-f mp4 "file:$2"
}
ffmpeg_copy() { # IN OUT
	ffmpeg -hide_banner -loglevel error -nostdin -y -protocol_whitelist file \
		-format_whitelist "$DEMUXERS" -i "file:$1" -map 0:V:0 -map 0:a:0 \
		-map_metadata -1 -map_chapters -1 -sn -dn -c copy \
		-movflags +faststart -f mp4 "file:$2"
}
ffmpeg_poster() { # VIDEO JPEG (clips of 1.5 s or more: the frame at 1 s)
	ffmpeg -hide_banner -loglevel error -nostdin -y -protocol_whitelist file \
		-format_whitelist "$DEMUXERS" -ss 1.000 -i "file:$1" -map 0:V:0 \
		-frames:v 1 -map_metadata -1 -c:v mjpeg -q:v 2 -f image2 \
		-update 1 "file:$2"
}

# chorus_video FILE: upload it, poll until ready; prints "SECONDS NAME"
chorus_video() {
	"$PY" - "$BASE" "$TOKEN" "$1" <<'PY'
import json, sys, time
import requests

base, token, path = sys.argv[1:4]
auth = {"Authorization": "Bearer " + token}
boundary = "----chorus-bench-video-5b2e"
with open(path, "rb") as f:
    data = f.read()
name = path.rsplit("/", 1)[1]
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
hdr = dict(auth, **{"Content-Type": "multipart/form-data; boundary=" + boundary})
s = requests.Session()
t0 = time.monotonic()
r = s.post(base + "/api/v2/media", data=body, headers=hdr, timeout=120)
if r.status_code != 202:
    sys.exit(f"POST /api/v2/media answered {r.status_code}: {r.text[:300]}")
mid = r.json()["id"]
while True:
    time.sleep(0.05)
    g = s.get(f"{base}/api/v1/media/{mid}", headers=auth, timeout=30)
    if g.status_code == 200:
        break
    if g.status_code != 206:
        sys.exit(f"GET /api/v1/media/{mid} answered {g.status_code}: {g.text[:300]}")
    if time.monotonic() - t0 > 600:
        sys.exit("still processing after 600 s")
t = time.monotonic() - t0
print(f"{t:.3f} {g.json()['url'].rsplit('/', 1)[1]}")
PY
}

# the video stream's packets, hashed: equal for a stream copy
video_md5() { ffmpeg -hide_banner -loglevel error -nostdin -i "$1" -map 0:v:0 -c copy -f md5 - 2>/dev/null; }
describe() { # FILE: "h264 1280x720 + aac, 30.0 s"
	"$PY" - "$1" <<'PY'
import json, subprocess, sys
j = json.loads(subprocess.run(
    ["ffprobe", "-v", "error", "-show_entries",
     "stream=codec_type,codec_name,width,height", "-show_entries",
     "format=duration", "-of", "json", sys.argv[1]],
    check=True, capture_output=True, text=True).stdout)
v = [s for s in j["streams"] if s["codec_type"] == "video"][0]
a = [s["codec_name"] for s in j["streams"] if s["codec_type"] == "audio"]
desc = "%s %dx%d" % (v["codec_name"], v["width"], v["height"])
if a:
    desc += " + " + a[0]
print("%s, %.1f s" % (desc, float(j["format"]["duration"])))
PY
}

VIDEO_ROWS=""
for case in transcode copy; do
	if [ $case = transcode ]; then src=$WEBM; else src=$MP4; fi
	echo "== 2. video, $case: $(basename "$src") ($(describe "$src"), $(filesize "$src") bytes)"
	ct=() ft=() pt=()
	for i in $(seq 1 "$VIDEO_RUNS"); do
		wait_idle_long
		read -r t name < <(chorus_video "$src") || die "chorus video upload failed"
		[ -n "${name:-}" ] || die "chorus video upload failed"
		ct+=("$t")
		made=$DATA/media/$name
		[ -f "$made" ] || die "no $made"
		# the ffmpeg command alone
		wait_idle_long
		start=$(now)
		if [ $case = transcode ]; then
			ffmpeg_transcode "$src" "$TMP/alone.mp4"
		else
			ffmpeg_copy "$src" "$TMP/alone.mp4"
		fi
		ft+=("$(elapsed "$start")")
		# every process chorus runs, alone: ffprobe, ffmpeg, ffprobe
		# of the result, poster ffmpeg
		start=$(now)
		ffprobe_cmd "$src"
		if [ $case = transcode ]; then
			ffmpeg_transcode "$src" "$TMP/pipe.mp4"
		else
			ffmpeg_copy "$src" "$TMP/pipe.mp4"
		fi
		ffprobe_cmd "$TMP/pipe.mp4"
		ffmpeg_poster "$TMP/pipe.mp4" "$TMP/pipe.jpg"
		pt+=("$(elapsed "$start")")
		echo "   run $i: chorus ${ct[-1]} s, ffmpeg alone ${ft[-1]} s, all its processes alone ${pt[-1]} s"
	done
	out_desc=$(describe "$made")
	if [ $case = copy ]; then
		[ "$(video_md5 "$made")" = "$(video_md5 "$src")" ] ||
			die "chorus did not stream-copy $(basename "$src") (video packets differ)"
		out_desc="$out_desc, video packets identical to the input's (stream copy)"
	else
		case "$out_desc" in
		"h264 1280x720 + aac"*) ;;
		*) die "unexpected chorus output for $(basename "$src"): $out_desc" ;;
		esac
	fi
	cm=$(median "${ct[@]}")
	fm=$(median "${ft[@]}")
	pm=$(median "${pt[@]}")
	echo "   median: chorus $cm s, ffmpeg alone $fm s, ratio $(ratio "$cm" "$fm"); output $out_desc"
	VIDEO_ROWS="$VIDEO_ROWS| $case | $(basename "$src"): $(describe "$src"), $(mb "$(filesize "$src")") MB | $cm (${ct[*]}) | $fm (${ft[*]}) | **$(ratio "$cm" "$fm")** | $pm (${pt[*]}) | $(ratio "$cm" "$pm") | $out_desc |
"
done

# ---- 3. Range requests, chorus and nginx ----------------------------------

RANGE_NAME=0123456789abcdef.mp4
RANGE_FILE=$DATA/media/$RANGE_NAME
head -c $((RANGE_MB * 1000 * 1000)) /dev/urandom >"$RANGE_FILE"
RANGE_SIZE=$(filesize "$RANGE_FILE")

nginx_start "$NGX" video/mp4 "location /media/ { root $DATA; }" "/media/$RANGE_NAME"

# check_range URL FIRST LAST: 206, the right Content-Range, the exact bytes
check_range() {
	local url=$1 first=$2 last=$3 code cr
	code=$(curl -sS --max-time 10 -D "$TMP/range.hdr" -o "$TMP/range.body" \
		-w '%{http_code}' -H "Range: bytes=$first-$last" "$url")
	[ "$code" = 206 ] || die "GET $url bytes=$first-$last answered $code"
	cr=$(tr -d '\r' <"$TMP/range.hdr" | sed -n 's/^[Cc]ontent-[Rr]ange: //p')
	[ "$cr" = "bytes $first-$last/$RANGE_SIZE" ] ||
		die "GET $url bytes=$first-$last: Content-Range '$cr'"
	dd if="$RANGE_FILE" iflag=skip_bytes,count_bytes bs=1M skip="$first" \
		count=$((last - first + 1)) status=none | cmp -s - "$TMP/range.body" ||
		die "GET $url bytes=$first-$last: not the file's bytes"
}
MIB=1048576
slices=$((RANGE_SIZE / MIB))
mid=$(((SEED * 7919) % slices))
for url in "$BASE/media/$RANGE_NAME" "$NBASE/media/$RANGE_NAME"; do
	check_range "$url" 0 $((MIB - 1))
	check_range "$url" $(((slices - 1) * MIB)) $((slices * MIB - 1))
	check_range "$url" $((mid * MIB)) $((mid * MIB + MIB - 1))
	check_range "$url" 12345 678900                      # unaligned
	check_range "$url" $((RANGE_SIZE - 1000)) $((RANGE_SIZE - 1)) # the tail
done
echo "== 3. Range: $RANGE_SIZE-byte file; 5 ranges checked by hand on each server (206, Content-Range, bytes = dd)"

RANGE_ROWS=""
declare -A RPS
for server in chorus nginx; do
	if [ $server = chorus ]; then url=$BASE/media/$RANGE_NAME; else url=$NBASE/media/$RANGE_NAME; fi
	f=$WRKOUT/range-$server.txt
	echo "   $server: warm-up ${RANGE_WARMUP} s checking every answer, then ${RANGE_DURATION} s"
	wait_idle_long
	if [ "$RANGE_WARMUP" -gt 0 ]; then
		timeout $((RANGE_WARMUP + 30)) wrk -t "$THREADS" -c "$RANGE_CONNECTIONS" \
			-d "${RANGE_WARMUP}s" --timeout 10s -s bench/range.lua "$url" \
			-- "$RANGE_SIZE" "$SEED" "$RANGE_CONNECTIONS" check \
			>"$WRKOUT/range-$server-warmup.txt" 2>&1 ||
			die "$server failed the Range check: $(grep -h FAIL "$WRKOUT/range-$server-warmup.txt" | head -3)"
	fi
	timeout $((RANGE_DURATION + 30)) wrk -t "$THREADS" -c "$RANGE_CONNECTIONS" \
		-d "${RANGE_DURATION}s" --timeout 10s --latency -s bench/range.lua "$url" \
		-- "$RANGE_SIZE" "$SEED" "$RANGE_CONNECTIONS" >"$f" 2>&1 ||
		die "$server failed the Range run: $(grep -h FAIL "$f" | head -3)"
	rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")
	RPS[$server]=$rps
	mbs=$(awk -v r="$rps" 'BEGIN { printf "%.0f", r * 1048576 / 1e6 }')
	p50=$(wrk_ms "$f" 50)
	p99=$(wrk_ms "$f" 99)
	sock=$(awk '/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
		END { print n + 0 }' "$f")
	echo "   $server: $rps req/s ($mbs MB/s of slices), p50 $p50 ms, p99 $p99 ms, $sock socket errors"
	RANGE_ROWS="$RANGE_ROWS| $server | $rps | $mbs | $p50 | $p99 | $sock |
"
done
RANGE_RATIO=$(ratio "${RPS[chorus]}" "${RPS[nginx]}")

# ---- results ----------------------------------------------------------------

load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- src 2>/dev/null | head -1)
ffv=$(ffmpeg -version | sed -n '1s/^ffmpeg version \([^ ]*\).*/\1/p')
{
	echo "# chorus media benchmark results"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev${dirty:+ (with uncommitted changes)};" \
		"$(nproc) cores ($cpu), loopback; ffmpeg $ffv," \
		"nginx $(nginx_version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2);" \
		"load average at the start $LOAD_START, at the end $load." \
		"chorus with default [media] settings and 2 HTTP threads (one per core)."
	echo
	echo "## 1. Image upload-to-ready"
	echo
	echo "Input: \`photo.jpg\`, 4000x3000, $(filesize "$JPG") bytes (PIL, quality $JPG_Q," \
		"gradients + noise), EXIF Orientation=6 and GPS. Each upload" \
		"answers 200 when processed; chorus made a $IMG_OUT."
	echo "\`wrk -t C -c C -d ${IMAGE_DURATION}s --timeout 120s -s bench/upload.lua $BASE/api/v2/media -- TOKEN photo.jpg\`;" \
		"latencies are timed per request by upload.lua. chorus peak RSS after the uploads: $hwm_mb MB."
	echo
	echo "| connections | images/s | p50 ms | p99 ms | max ms | uploads | non-200 | socket errors |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
	printf '%s' "$IMG_ROWS"
	echo
	echo "No non-200 answers: $IMG_OK."
	echo
	echo "## 2. Video processing time"
	echo
	echo "chorus: from the start of \`POST /api/v2/media\` (202) to \`GET /api/v1/media/:id\` answering 200" \
		"(polled every 50 ms). ffmpeg alone: wall time of the command chorus runs (src/media/video.c)," \
		"same input. Medians of $VIDEO_RUNS runs (each run in brackets), seconds."
	echo "\"all processes alone\": the 4 processes chorus runs for a video, one after the other:" \
		"ffprobe, the ffmpeg command, ffprobe of the result, poster ffmpeg."
	echo
	echo "| case | input | chorus s | ffmpeg alone s | chorus/ffmpeg | all processes alone s | chorus/all processes | chorus output |"
	echo "|---|---|---:|---:|---:|---:|---:|---|"
	printf '%s' "$VIDEO_ROWS"
	echo
	echo "Inputs (made at run time):"
	echo
	echo '```'
	echo "transcode: ffmpeg -f lavfi -i testsrc2=duration=$CLIP_SECONDS:size=1280x720:rate=30 -f lavfi -i sine=duration=$CLIP_SECONDS -c:v libvpx -b:v 2M -deadline realtime -cpu-used 8 -threads 2 -c:a libvorbis clip.webm"
	echo "copy:      ffmpeg -f lavfi -i testsrc2=duration=$CLIP_SECONDS:size=1280x720:rate=30 -f lavfi -i sine=duration=$CLIP_SECONDS -c:v libx264 -preset veryfast -pix_fmt yuv420p -b:v 2M -maxrate 3M -bufsize 4M -c:a aac -b:a 128k -movflags +faststart clip.mp4"
	echo '```'
	echo
	echo "ffmpeg alone:"
	echo
	echo '```'
	echo "transcode: ffmpeg -hide_banner -loglevel error -nostdin -y -protocol_whitelist file -format_whitelist $DEMUXERS -i file:clip.webm -map 0:V:0 -map 0:a:0 -map_metadata -1 -map_chapters -1 -sn -dn -vf scale=1280:720,setsar=1 -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p -crf 23 -maxrate 4000000 -bufsize 8000000 -c:a aac -b:a 128000 -movflags +faststart -f mp4 file:OUT.mp4"
	echo "copy:      ffmpeg -hide_banner -loglevel error -nostdin -y -protocol_whitelist file -format_whitelist $DEMUXERS -i file:clip.mp4 -map 0:V:0 -map 0:a:0 -map_metadata -1 -map_chapters -1 -sn -dn -c copy -movflags +faststart -f mp4 file:OUT.mp4"
	echo "ffprobe:   ffprobe -hide_banner -loglevel error -protocol_whitelist file -format_whitelist $DEMUXERS file:F -print_format json -show_format -show_streams"
	echo "poster:    ffmpeg -hide_banner -loglevel error -nostdin -y -protocol_whitelist file -format_whitelist $DEMUXERS -ss 1.000 -i file:OUT.mp4 -map 0:V:0 -frames:v 1 -map_metadata -1 -c:v mjpeg -q:v 2 -f image2 -update 1 file:POSTER.jpg"
	echo '```'
	echo
	echo "## 3. Range requests"
	echo
	echo "A $RANGE_SIZE-byte file of random bytes, \`media/$RANGE_NAME\`, served by chorus" \
		"(\`GET /media/$RANGE_NAME\`) and by nginx (2 workers, sendfile on) from the same path." \
		"Each request asks \`Range: bytes=A-B\` for a random 1 MiB-aligned 1 MiB slice" \
		"(bench/range.lua, seed $SEED)." \
		"\`wrk -t $THREADS -c $RANGE_CONNECTIONS -d ${RANGE_DURATION}s --latency -s bench/range.lua URL -- $RANGE_SIZE $SEED $RANGE_CONNECTIONS\`" \
		"after a ${RANGE_WARMUP} s warm-up that checks every answer (206, Content-Range, 1 MiB body);" \
		"5 ranges per server checked beforehand with curl against dd. MB/s = slices only (10^6 bytes)."
	echo
	echo "| server | req/s | MB/s | p50 ms | p99 ms | socket errors |"
	echo "|---|---:|---:|---:|---:|---:|"
	printf '%s' "$RANGE_ROWS"
	echo
	echo "chorus/nginx: **$RANGE_RATIO**."
} >"$RESULTS"
echo
cat "$RESULTS"
