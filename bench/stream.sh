#!/usr/bin/env bash
# bench/stream.sh — measure chorus's streaming fan-out.
#
#   bench/stream.sh
#
# Starts chorus on an empty data dir with one user, opens CLIENTS WebSocket
# connections to /api/v1/streaming?stream=hashtag&tag=TAG (bench/wsfan.c,
# one epoll thread), then POSTs POSTS statuses with #TAG, INTERVAL_MS apart,
# and times every (client, post) delivery of the `update` event: the time
# from the POST's start until the last client had it (per post), delivery
# latency over all pairs, deliveries lost after TIMEOUT_MS, and chorus's
# resident memory per open connection.
#
# Environment (defaults in brackets):
#   CLIENTS [5000]  WebSocket connections   POSTS [20]  statuses posted
#   INTERVAL_MS [200]  between POST starts    TIMEOUT_MS [10000]  wait for
#   deliveries after the last POST           BATCH [200]  handshakes in flight
#   AUTH [query]  token as query | header | protocol (Sec-WebSocket-Protocol)
#   TAG [fanout]  PORT [38280]  (127.0.0.1)  BUILD [1]  0 skips `make`
#   MAX_SECONDS [300 + ...]  hard bound on the whole run
#
# Results go to bench/out/stream-results.md (also printed); wsfan's own
# report to bench/out/stream-wsfan.txt. chorus runs on a throwaway data dir,
# bench/out/stream-data, deleted at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out

CLIENTS=${CLIENTS:-5000}
POSTS=${POSTS:-20}
INTERVAL_MS=${INTERVAL_MS:-200}
TIMEOUT_MS=${TIMEOUT_MS:-10000}
BATCH=${BATCH:-200}
AUTH=${AUTH:-query}
TAG=${TAG:-fanout}
PORT=${PORT:-38280}
BUILD=${BUILD:-1}
MAX_SECONDS=${MAX_SECONDS:-$((300 + CLIENTS / 100 + \
	POSTS * INTERVAL_MS / 1000 + 2 * TIMEOUT_MS / 1000))}

for arg in "$@"; do
	case "$arg" in
	-h | --help)
		sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "stream.sh: unknown argument $arg (try --help)" >&2
		exit 2
		;;
	esac
done

# Bound the whole run: re-run this script under timeout(1), which on expiry
# signals the script and its whole process group (chorus, wsfan).
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_bound "$@"

DATA=$OUT/stream-data
WSFAN=$ROOT/build/bench/wsfan
WSFAN_OUT=$OUT/stream-wsfan.txt
CHORUS_LOG=$OUT/stream-chorus.log
RESULTS=$OUT/stream-results.md
bench_cleanup_extra() { rm -rf "$DATA"; }

scripts/deps.sh
for tool in curl cc; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done

# ---- build ------------------------------------------------------------------

if [ "$BUILD" != 0 ]; then
	echo "== build"
	make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
[ -x build/chorus ] || die "no build/chorus (make)"
mkdir -p "$(dirname "$WSFAN")" "$OUT"
cc -std=c11 -O2 -Wall -Wextra -Werror -o "$WSFAN" bench/wsfan.c

# Every connection is a descriptor in chorus and in wsfan (which raises its
# own soft limit; chorus inherits ours).
need=$((CLIENTS + 256))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
	die "CLIENTS=$CLIENTS needs $need open files, the hard limit is $hard (raise it, e.g. in /etc/security/limits.conf)"
fi
ulimit -n "$hard"

# ---- chorus -----------------------------------------------------------------

port_busy "$PORT" && die "port $PORT is in use (set PORT)"
rm -rf "$DATA"
mkdir -p "$DATA"
USER_NAME=streamer
USER_PASS=stream-bench-pass
build/chorus user create "$USER_NAME" --email "$USER_NAME@bench.invalid" \
	--password "$USER_PASS" --data "$DATA" >"$OUT/stream-user.log" 2>&1 ||
	die "chorus user create failed: $(tail -5 "$OUT/stream-user.log")"
# every client comes from 127.0.0.1: lift the per-address cap
printf '[server]\naccess_log = false\nmax_connections_per_address = 0\n' \
	>"$OUT/stream.ini"
build/chorus serve --config "$OUT/stream.ini" --data "$DATA" --port "$PORT" \
	>"$CHORUS_LOG" 2>&1 &
CHORUS_PID=$!
BASE=http://127.0.0.1:$PORT
chorus_wait "$BASE" "$CHORUS_LOG"
TOKEN=$(chorus_token "$BASE" "$USER_NAME" "$USER_PASS")

wsfan() {
	"$WSFAN" --host 127.0.0.1 --port "$PORT" --token "$TOKEN" --tag "$TAG" \
		--auth "$AUTH" "$@"
}

# One client, one post: does streaming work at all? Says why not, quickly.
echo "== smoke test: 1 client, 1 post"
if ! smoke=$(wsfan --clients 1 --posts 1 --settle 200 --timeout 3000 2>&1) ||
	! grep -q '(1 of 1 deliveries, 0 lost' <<<"$smoke"; then
	die "streaming does not deliver to one client:
$smoke"
fi

# ---- measuring --------------------------------------------------------------

wait_idle
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $CLIENTS clients on #$TAG, $POSTS posts ${INTERVAL_MS} ms apart"
wsfan --clients "$CLIENTS" --posts "$POSTS" --interval "$INTERVAL_MS" \
	--batch "$BATCH" --timeout "$TIMEOUT_MS" --pid "$CHORUS_PID" |
	tee "$WSFAN_OUT" || die "wsfan failed (see $WSFAN_OUT)"

# after LINE KEY: the word after KEY on wsfan's line starting "wsfan: LINE"
after() {
	awk -v l="wsfan: $1" -v k="$2" 'index($0, l) == 1 {
		for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit }
	}' "$WSFAN_OUT"
}
# before LINE KEY: the word before KEY (counts: "12 lost")
before() {
	awk -v l="wsfan: $1" -v k="$2" 'index($0, l) == 1 {
		for (i = 2; i <= NF; i++) if ($i == k || $i == k ",") {
			v = $(i - 1); gsub(/[(,]/, "", v); print v; exit
		}
	}' "$WSFAN_OUT"
}
connected=$(after connected connected)
connect_s=$(after connected in)
failed=$(before connected failed:)
per_conn=$(after "server VmRSS" open:)
rss_before=$(after "server VmRSS" VmRSS)
rss_open=$(after "server VmRSS" before,)
last_p50=$(after "post to last client" p50)
last_p99=$(after "post to last client" p99)
last_max=$(after "post to last client" max)
complete=$(before "post to last client" of)
del_p50=$(after delivery p50)
del_p99=$(after delivery p99)
del_max=$(after delivery max)
delivered=$(before delivery of)
expected=$(before delivery deliveries)
lost=$(before delivery lost)
dups=$(before delivery duplicates)
post_p50=$(after posts p50)
post_p99=$(after posts p99)
closed=$(before "at the end" closed)
cpu=$(sed -n 's/^wsfan: own cpu //p' "$WSFAN_OUT")
[ -n "$connected" ] && [ -n "$del_p50" ] || die "no figures in $WSFAN_OUT"
hwm_mb=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$CHORUS_PID/status")

load=$(cut -d' ' -f1-3 /proc/loadavg)
cpuname=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- src 2>/dev/null | head -1)
{
	echo "# chorus streaming fan-out results"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev${dirty:+ (with uncommitted changes)};" \
		"$(nproc) cores ($cpuname), loopback; chorus and wsfan share them." \
		"Load average at the start $LOAD_START, at the end $load."
	echo
	echo "\`wsfan --clients $CLIENTS --posts $POSTS --interval $INTERVAL_MS --batch $BATCH" \
		"--timeout $TIMEOUT_MS --auth $AUTH --tag $TAG\`: $CLIENTS WebSocket clients on" \
		"\`/api/v1/streaming?stream=hashtag&tag=$TAG\`, one user posting" \
		"\`POST /api/v1/statuses\` with #$TAG; latency is from the start of the POST" \
		"to the client's reading the \`update\` frame with that status's id."
	echo
	echo "| measure | value |"
	echo "|---|---:|"
	echo "| connections established | $connected of $CLIENTS ($failed failed) in $connect_s s |"
	echo "| post → last client, p50 / p99 / max | $last_p50 / $last_p99 / $last_max ms ($complete of $POSTS posts reached every client) |"
	echo "| delivery latency over all pairs, p50 / p99 / max | $del_p50 / $del_p99 / $del_max ms |"
	echo "| deliveries | $delivered of $expected; lost $lost (after ${TIMEOUT_MS} ms), duplicates $dups |"
	echo "| POST answered, p50 / p99 | $post_p50 / $post_p99 ms |"
	echo "| chorus memory per connection (VmRSS delta / open) | ${per_conn:-n/a} kB ($rss_before → $rss_open kB) |"
	echo "| connections closed by chorus during the run | $closed |"
	echo "| chorus peak RSS (VmHWM) | $hwm_mb MB |"
	echo "| wsfan CPU | $cpu |"
} >"$RESULTS"
echo
cat "$RESULTS"
