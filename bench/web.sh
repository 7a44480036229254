#!/usr/bin/env bash
# bench/web.sh — the web pages, measured as a visitor meets them.
#
#   bench/web.sh            build, generate the data set once, measure
#   bench/web.sh --fresh    generate the data set again first
#
# Measures, on a thread of REPLIES replies made for the run and the data
# set's trending tag:
#   - the anonymous thread page (first page of replies) and the tag page,
#     requests/s against nginx serving the same bytes (target ratio ≥ 0.5);
#   - the same thread page cold: chorus restarted with the page cache off
#     ([cache] pages = 0), every request rendered (target p99 ≤ 20 ms; the
#     issue asks it at STATUSES=1000000);
#   - the thread page's weight: HTML + CSS + JS as served (target ≤ 60 KB).
#
# Environment (defaults in brackets):
#   DURATION [10]  WARMUP [2]  CONNECTIONS [32]  THREADS [2]  (wrk)
#   ACCOUNTS [1000]  STATUSES [100000]  REPLIES [200]
#   PORT [38094]  NGINX_PORT [38095]  MAX_SECONDS [600 + 8 * (DURATION + WARMUP)]
#
# Results go to bench/out/web-results.md (also printed). The data set for
# STATUSES other than 100000 lives in bench/out/data-STATUSES.
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
REPLIES=${REPLIES:-200}
PORT=${PORT:-38094}
NGINX_PORT=${NGINX_PORT:-38095}
MAX_SECONDS=${MAX_SECONDS:-$((600 + 8 * (DURATION + WARMUP)))}

TARGET_RATIO=0.5
TARGET_P99_MS=20
TARGET_WEIGHT_KB=60

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_args 22 "$@"
bench_bound "$@"

bench_build

if [ "$STATUSES" = 100000 ]; then
	DATA=$OUT/data
	INFO=$OUT/bench-data.txt
else
	DATA=$OUT/data-$STATUSES
	INFO=$OUT/bench-data-$STATUSES.txt
fi
mkdir -p "$OUT"
bench_data_ensure "$DATA" "$DATA.log" "$ACCOUNTS" "$STATUSES" "$FRESH"
USER_NAME=$(info user)
USER_PASS=$(info password)
TAG=$(info tag)

WORK=$OUT/web-work
rm -rf "$WORK"
cp -a "$DATA" "$WORK"
port_busy "$PORT" && die "port $PORT is in use (set PORT)"
port_busy "$NGINX_PORT" && die "port $NGINX_PORT is in use (set NGINX_PORT)"

# serve INI: (re)start chorus on the work copy with that configuration
serve() {
	if [ -n "$CHORUS_PID" ]; then
		kill -TERM "$CHORUS_PID"
		wait "$CHORUS_PID" 2>/dev/null || true
	fi
	printf '[server]\naccess_log = false\n%s\n' "$1" >"$OUT/web.ini"
	build/chorus serve --config "$OUT/web.ini" --data "$WORK" \
		--port "$PORT" >"$OUT/web-chorus.log" 2>&1 &
	CHORUS_PID=$!
	chorus_wait "$BASE" "$OUT/web-chorus.log"
}
BASE=http://127.0.0.1:$PORT
serve ""
TOKEN=$(chorus_token "$BASE" "$USER_NAME" "$USER_PASS")

# ---- a thread of REPLIES replies: most answer the post, every fifth the
# reply before it, so the page nests ------------------------------------------
post() { # post TEXT [IN_REPLY_TO] → id
	curl -fsS --max-time 10 -H "Authorization: Bearer $TOKEN" \
		--data-urlencode "status=$1" ${2:+--data-urlencode "in_reply_to_id=$2"} \
		"$BASE/api/v1/statuses" | json_get id
}
echo "== a thread of $REPLIES replies"
ROOT_ID=$(post "A thread for the web benchmark #$TAG")
last=$ROOT_ID
for i in $(seq 1 "$REPLIES"); do
	if [ $((i % 5)) = 0 ]; then parent=$last; else parent=$ROOT_ID; fi
	last=$(post "Reply $i: I hear you, and I was there too. #$TAG" "$parent")
done
THREAD=/@$USER_NAME/$ROOT_ID
TAGPAGE=/tags/$TAG

WWW=$OUT/web-www
rm -rf "$WWW" "$OUT/wrk-web"
mkdir -p "$WWW" "$OUT/wrk-web"
save() { # save NAME PATH
	local code
	code=$(curl -sS --max-time 10 -o "$WWW/$1.html" -w '%{http_code}' "$BASE$2")
	[ "$code" = 200 ] || die "GET $2 answered $code"
	echo "   saved $1: $(wc -c <"$WWW/$1.html") bytes from $2"
}
save thread "$THREAD"
save tag "$TAGPAGE"

NGX=$OUT/nginx-web
rm -rf "$NGX"
nginx_start "$NGX" "text/html" "root $WWW;" "/thread.html"

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
}
ratio() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.3f", n ? c / n : 0 }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
yesno() { if "$@"; then echo yes; else echo "**no**"; fi; }

ROWS=""
for name in thread tag; do
	path=$THREAD
	[ "$name" = tag ] && path=$TAGPAGE
	echo "== GET $path (anonymous, page cache on)"
	wrk_run "$OUT/wrk-web/$name-chorus.txt" "$BASE$path"
	wrk_run "$OUT/wrk-web/$name-nginx.txt" "$NBASE/$name.html"
	c=$(wrk_rps "$OUT/wrk-web/$name-chorus.txt")
	n=$(wrk_rps "$OUT/wrk-web/$name-nginx.txt")
	p99=$(wrk_ms "$OUT/wrk-web/$name-chorus.txt" 99)
	errs=$(wrk_errors "$OUT/wrk-web/$name-chorus.txt")
	r=$(ratio "$c" "$n")
	echo "   chorus $c req/s (p99 $p99 ms, $errs errors), nginx $n req/s, ratio $r"
	ROWS="$ROWS| GET $path | $c | $n | $r | $p99 | $errs | ratio ≥ $TARGET_RATIO: $(yesno ge "$r" "$TARGET_RATIO") |
"
done

echo "== GET $THREAD cold (page cache off)"
serve "[cache]
pages = 0"
wrk_run "$OUT/wrk-web/thread-cold.txt" "$BASE$THREAD"
c=$(wrk_rps "$OUT/wrk-web/thread-cold.txt")
p50=$(wrk_ms "$OUT/wrk-web/thread-cold.txt" 50)
p99=$(wrk_ms "$OUT/wrk-web/thread-cold.txt" 99)
errs=$(wrk_errors "$OUT/wrk-web/thread-cold.txt")
echo "   chorus $c req/s, p50 $p50 ms, p99 $p99 ms, $errs errors"
COLD="| GET $THREAD, cold | $c | p50 $p50 ms | p99 $p99 ms | $errs | p99 ≤ $TARGET_P99_MS ms: $(yesno ge "$TARGET_P99_MS" "$p99") |"

# weight: what a browser downloads for the page, asking for compression
weigh() { curl -sS --compressed -o /dev/null -w '%{size_download}' --max-time 10 "$BASE$1"; }
css=$(sed -n 's/.*<link rel="stylesheet" href="\([^"]*\)".*/\1/p' "$WWW/thread.html")
js=$(sed -n 's/.*<script src="\([^"]*\)".*/\1/p' "$WWW/thread.html")
w_html=$(weigh "$THREAD")
w_css=$(weigh "$css")
w_js=$(weigh "$js")
total=$((w_html + w_css + w_js))
total_kb=$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1024 }')
echo "   weight: html $w_html + css $w_css + js $w_js = $total_kb KB"

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	echo "# chorus web page benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev; $ACCOUNTS accounts, $STATUSES statuses, a thread of $REPLIES replies;"
	echo "wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s after ${WARMUP}s warm-up; nginx $(nginx_version) serving the saved bytes."
	echo
	echo "| page | chorus req/s | nginx req/s | ratio | chorus p99 ms | errors | target |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s' "$ROWS"
	echo
	echo "| page | req/s | p50 | p99 | errors | target |"
	echo "|---|---|---|---|---|---|"
	echo "$COLD"
	echo
	echo "Thread page weight as served: HTML $w_html B + CSS $w_css B + JS $w_js B = $total_kb KB (target ≤ $TARGET_WEIGHT_KB KB: $(yesno ge "$TARGET_WEIGHT_KB" "$total_kb"))."
} >"$OUT/web-results.md"
echo
cat "$OUT/web-results.md"
