#!/usr/bin/env bash
# bench/run.sh — measure chorus against nginx serving the same bytes.
#
#   bench/run.sh            build, generate the data set once, measure
#   bench/run.sh --fresh    generate the data set again first
#
# Environment (defaults in brackets):
#   DURATION [10]  seconds per measurement     WARMUP [2]  seconds before it
#   CONNECTIONS [32]  THREADS [2]  (wrk)
#   ACCOUNTS [1000]  STATUSES [100000]  (data set)
#   WRK_TIMEOUT [10s]  a response slower than this counts as an error
#   PORT [38080]  NGINX_PORT [38081]  (both on 127.0.0.1)
#   MAX_SECONDS [300 + 12 * (DURATION + WARMUP)]  hard bound on the run
#
# Results go to bench/out/results.md (also printed); raw wrk output to
# bench/out/wrk/. The generated data set in bench/out/data stays pristine:
# each run serves a copy (bench/out/work), so the statuses POSTed by one run
# never show up in the next run's timelines.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
THREADS=${THREADS:-2}
ACCOUNTS=${ACCOUNTS:-1000}
STATUSES=${STATUSES:-100000}
PORT=${PORT:-38080}
NGINX_PORT=${NGINX_PORT:-38081}
MAX_SECONDS=${MAX_SECONDS:-$((300 + 12 * (DURATION + WARMUP)))}

# Targets (from the issue): reads at least this fraction of nginx, p99 at
# most this many ms, posts at least this many per second, RSS at most MB.
TARGET_RATIO=0.25
TARGET_P99_MS=20
TARGET_POSTS=2000
TARGET_RSS_MB=64

# Bound the whole run: re-run this script under timeout(1), which on expiry
# signals the script and its whole process group (chorus, nginx, wrk).
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_args 18 "$@"
bench_bound "$@"

# ---- build and data --------------------------------------------------------

bench_build

DATA=$OUT/data
INFO=$OUT/bench-data.txt
mkdir -p "$OUT"
bench_data_ensure "$DATA" "$OUT/bench-data.log" "$ACCOUNTS" "$STATUSES" "$FRESH"
STATUS_ID=$(info status_id)
USER_NAME=$(info user)
USER_PASS=$(info password)
TAG=$(info tag)
[ -n "$STATUS_ID" ] && [ -n "$USER_NAME" ] || die "no ids in $INFO"

WORK=$OUT/work
rm -rf "$WORK"
cp -a "$DATA" "$WORK"

# ---- chorus ---------------------------------------------------------------

port_busy "$PORT" && die "port $PORT is in use (set PORT)"
port_busy "$NGINX_PORT" && die "port $NGINX_PORT is in use (set NGINX_PORT)"

printf '[server]\naccess_log = false\n' >"$OUT/bench.ini"
build/chorus serve --config "$OUT/bench.ini" --data "$WORK" --port "$PORT" \
	>"$OUT/chorus.log" 2>&1 &
CHORUS_PID=$!
BASE=http://127.0.0.1:$PORT
chorus_wait "$BASE" "$OUT/chorus.log"
TOKEN=$(chorus_token "$BASE" "$USER_NAME" "$USER_PASS")
AUTH="Authorization: Bearer $TOKEN"

# ---- the endpoints and their saved bodies ---------------------------------

# name | path | needs the token
ENDPOINTS="status|/api/v1/statuses/$STATUS_ID|no
public|/api/v1/timelines/public?limit=20|no
tag|/api/v1/timelines/tag/$TAG?limit=20|no
home|/api/v1/timelines/home?limit=20|yes
trends_tags|/api/v1/trends/tags|no
trends_statuses|/api/v1/trends/statuses|no"

WWW=$OUT/www
rm -rf "$WWW" "$OUT/wrk"
mkdir -p "$WWW" "$OUT/wrk"
while IFS='|' read -r name path auth; do
	hdr=()
	[ "$auth" = yes ] && hdr=(-H "$AUTH")
	code=$(curl -sS --max-time 10 "${hdr[@]}" -o "$WWW/$name.json" \
		-w '%{http_code}' "$BASE$path")
	[ "$code" = 200 ] || die "GET $path answered $code: $(head -c 300 "$WWW/$name.json")"
	echo "   saved $name: $(wc -c <"$WWW/$name.json") bytes from $path"
	# the trends decay within hours: a data set generated long ago
	# would measure an empty list
	[ "$(head -c 2 "$WWW/$name.json")" != "[]" ] ||
		die "GET $path is empty (data set too old? try --fresh)"
done <<<"$ENDPOINTS"

# ---- nginx serving the same bytes -----------------------------------------

NGX=$OUT/nginx
rm -rf "$NGX"
nginx_start "$NGX" application/json "root $WWW;" "/status.json"
cmp -s <(curl -fsS --max-time 5 "$NBASE/status.json") "$WWW/status.json" ||
	die "nginx does not serve the saved bytes"

# ---- measuring ------------------------------------------------------------

# Wait until chorus is idle (under 5 CPU ticks in half a second), at most
# 60 s: a slow endpoint leaves requests queued after wrk stops, and they
# must not eat into the next measurement.

# wrk_run OUTFILE [wrk args…]: a warm-up, then the measured run.
wrk_run() {
	local out=$1
	shift
	wait_idle
	if [ "$WARMUP" -gt 0 ]; then
		timeout $((WARMUP + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" \
			-d "${WARMUP}s" --timeout "$WRK_TIMEOUT" "$@" >/dev/null
		wait_idle
	fi
	timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" \
		-d "${DURATION}s" --timeout "$WRK_TIMEOUT" --latency "$@" >"$out"
	wait_idle
}

# ge A B: A >= B, both numbers ("n/a" is never >= nor <= anything)
ge() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) exit 1
		exit !(a + 0 >= b + 0)
	}'
}
yesno() { if "$@"; then echo yes; else echo "**no**"; fi; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=""
MET_ALL=yes
while IFS='|' read -r name path auth; do
	hdr=()
	[ "$auth" = yes ] && hdr=(-H "$AUTH")
	echo "== GET $path"
	wrk_run "$OUT/wrk/$name-chorus.txt" "${hdr[@]}" "$BASE$path"
	wrk_run "$OUT/wrk/$name-nginx.txt" "$NBASE/$name.json"
	c=$(wrk_rps "$OUT/wrk/$name-chorus.txt")
	n=$(wrk_rps "$OUT/wrk/$name-nginx.txt")
	p99=$(wrk_ms "$OUT/wrk/$name-chorus.txt" 99)
	np99=$(wrk_ms "$OUT/wrk/$name-nginx.txt" 99)
	errs=$(wrk_errors "$OUT/wrk/$name-chorus.txt")
	ratio=$(awk -v c="$c" -v n="$n" 'BEGIN { printf "%.3f", n ? c / n : 0 }')
	ok_ratio=$(yesno ge "$ratio" "$TARGET_RATIO")
	ok_p99=$(yesno ge "$TARGET_P99_MS" "$p99")
	[ "$ok_ratio$ok_p99" = yesyes ] && [ "$errs" = 0 ] || MET_ALL=no
	echo "   chorus $c req/s (p99 $p99 ms, $errs errors), nginx $n req/s, ratio $ratio"
	ROWS="$ROWS| GET $path | $c | $n | $ratio | $p99 | $np99 | $errs | ratio ≥ $TARGET_RATIO: $ok_ratio; p99 ≤ $TARGET_P99_MS ms: $ok_p99 |
"
done <<<"$ENDPOINTS"

echo "== POST /api/v1/statuses"
wrk_run "$OUT/wrk/post-chorus.txt" -s bench/post.lua "$BASE/api/v1/statuses" -- "$TOKEN"
c=$(wrk_rps "$OUT/wrk/post-chorus.txt")
p99=$(wrk_ms "$OUT/wrk/post-chorus.txt" 99)
errs=$(wrk_errors "$OUT/wrk/post-chorus.txt")
ok_posts=$(yesno ge "$c" "$TARGET_POSTS")
ok_p99=$(yesno ge "$TARGET_P99_MS" "$p99")
[ "$ok_posts$ok_p99" = yesyes ] && [ "$errs" = 0 ] || MET_ALL=no
echo "   chorus $c req/s (p99 $p99 ms, $errs errors)"
ROWS="$ROWS| POST /api/v1/statuses | $c | – | – | $p99 | – | $errs | ≥ $TARGET_POSTS/s: $ok_posts; p99 ≤ $TARGET_P99_MS ms: $ok_p99 |
"

hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$CHORUS_PID/status")
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$CHORUS_PID/status")
hwm_mb=$(awk -v k="$hwm_kb" 'BEGIN { printf "%.1f", k / 1024 }')
rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
ok_rss=$(yesno ge "$TARGET_RSS_MB" "$hwm_mb")
[ "$ok_rss" = yes ] || MET_ALL=no

load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- src 2>/dev/null | head -1)
{
	echo "# chorus benchmark results"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev${dirty:+ (with uncommitted changes)};" \
		"$(nproc) cores ($cpu), loopback; wrk $THREADS threads," \
		"$CONNECTIONS connections, ${DURATION} s per run after ${WARMUP} s warm-up;" \
		"data set $(info accounts) accounts, $(info statuses) statuses" \
		"($(info replies) replies, $(info follows) follows, $(info favourites) favourites," \
		"$(info reblogs) reblogs); nginx $(nginx_version)" \
		"serving the same bytes with 2 workers; load average at the start $LOAD_START, at the end $load."
	echo
	echo "| endpoint | chorus req/s | nginx req/s | chorus/nginx | chorus p99 ms | nginx p99 ms | chorus errors | targets met |"
	echo "|---|---:|---:|---:|---:|---:|---:|---|"
	printf '%s' "$ROWS"
	echo
	echo "chorus peak RSS (VmHWM): $hwm_mb MB (VmRSS at the end $rss_mb MB);" \
		"target ≤ $TARGET_RSS_MB MB: $ok_rss."
	echo
	echo "All targets met: $MET_ALL."
} >"$OUT/results.md"
echo
cat "$OUT/results.md"
