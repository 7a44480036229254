#!/usr/bin/env bash
# bench/signin.sh — what a flood of wrong passwords costs everyone else.
#
#   bench/signin.sh              build, then measure build/chorus
#   CHORUS=/path/chorus BUILD=0 bench/signin.sh   measure another binary
#                                (the same run before and after a change)
#
# 1. reference: GET /api/v1/instance alone (bench/paced_get.py): p50/p99;
# 2. flood: FLOOD_CONNECTIONS clients send wrong-password sign-ins
#    (POST /oauth/token, bench/signin.lua) as fast as they are answered,
#    while the same GET /api/v1/instance runs beside them. Reported:
#    sign-ins checked per second (400 invalid_grant), sign-ins turned away
#    busy (429), and the p50/p99/max of the concurrent instance requests.
#
# Environment (defaults in brackets):
#   DURATION [10]  seconds per measurement
#   FLOOD_CONNECTIONS [16]  FLOOD_THREADS [2]  (wrk, the flood)
#   INSTANCE_RATE [50]  GET /api/v1/instance per second (paced, so the
#                       client does not compete with the server for a core)
#   PORT [38190]  BUILD [1]  0 skips `make`   CHORUS [build/chorus]
#   MAX_SECONDS [120 + 4 * DURATION]  hard bound on the whole run
#
# Results go to bench/out/signin-results.md (also printed); raw wrk output
# to bench/out/wrk-signin/. chorus runs on a throwaway data dir,
# bench/out/signin-data, deleted at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out

DURATION=${DURATION:-10}
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-16}
FLOOD_THREADS=${FLOOD_THREADS:-2}
INSTANCE_RATE=${INSTANCE_RATE:-50}
PORT=${PORT:-38190}
BUILD=${BUILD:-1}
CHORUS=${CHORUS:-$ROOT/build/chorus}
MAX_SECONDS=${MAX_SECONDS:-$((120 + 4 * DURATION))}

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_args 25 "$@"
bench_bound "$@"

command -v wrk >/dev/null || scripts/deps.sh bench

if [ "$BUILD" = 1 ]; then
	echo "== build"
	make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
[ -x "$CHORUS" ] || die "no chorus binary at $CHORUS"

DATA=$OUT/signin-data
WRKDIR=$OUT/wrk-signin
bench_cleanup_extra() { rm -rf "$DATA"; }
rm -rf "$DATA" "$WRKDIR"
mkdir -p "$DATA" "$WRKDIR"
LOGIN=flooded@example.com
"$CHORUS" user create flooded --email "$LOGIN" --password right-password-1 \
	--data "$DATA" >/dev/null

port_busy "$PORT" && die "port $PORT is in use (set PORT)"
printf '[server]\naccess_log = false\n' >"$OUT/signin-bench.ini"
"$CHORUS" serve --config "$OUT/signin-bench.ini" --data "$DATA" \
	--port "$PORT" >"$OUT/signin-chorus.log" 2>&1 &
CHORUS_PID=$!
BASE=http://127.0.0.1:$PORT
chorus_wait "$BASE" "$OUT/signin-chorus.log"
app=$(curl -fsS --max-time 10 -X POST "$BASE/api/v1/apps" \
	--data-urlencode client_name=chorus-signin-bench \
	--data-urlencode redirect_uris=urn:ietf:wg:oauth:2.0:oob \
	--data-urlencode scopes=read)
CLIENT_ID=$(printf '%s' "$app" | json_get client_id)
CLIENT_SECRET=$(printf '%s' "$app" | json_get client_secret)

instance_run() {
	timeout $((DURATION + 30)) /usr/bin/python3 bench/paced_get.py \
		"$BASE/api/v1/instance" "$DURATION" "$INSTANCE_RATE" >"$1"
}
# value FILE PREFIX KEY: a "PREFIX: KEY=value" line's value
value() { sed -n "s/^$2: $3=//p" "$1"; }

echo "== reference: GET /api/v1/instance alone"
wait_idle
instance_run "$WRKDIR/instance-alone.txt"
REF=$WRKDIR/instance-alone.txt
echo "   p50 $(value "$REF" paced p50) ms, p99 $(value "$REF" paced p99) ms"

echo "== flood: $FLOOD_CONNECTIONS clients with wrong passwords, instance beside"
wait_idle
timeout $((DURATION + 30)) wrk -t "$FLOOD_THREADS" -c "$FLOOD_CONNECTIONS" \
	-d "$((DURATION + 2))s" --timeout 30s --latency -s bench/signin.lua \
	"$BASE/oauth/token" -- "$CLIENT_ID" "$CLIENT_SECRET" "$LOGIN" \
	>"$WRKDIR/flood.txt" &
FLOOD_PID=$!
sleep 1 # let the flood build up
instance_run "$WRKDIR/instance-flood.txt"
wait "$FLOOD_PID"
INST=$WRKDIR/instance-flood.txt
FLOOD=$WRKDIR/flood.txt
CHECKED=$(value "$FLOOD" signin checked_per_s)
BUSY=$(value "$FLOOD" signin busy)
OTHER=$(value "$FLOOD" signin other)
echo "   $CHECKED sign-ins checked/s (p50 $(wrk_ms "$FLOOD" 50) ms," \
	"p99 $(wrk_ms "$FLOOD" 99) ms), $BUSY busy (429), $OTHER other;" \
	"instance p50 $(value "$INST" paced p50) ms," \
	"p99 $(value "$INST" paced p99) ms, max $(value "$INST" paced max) ms"

hwm_mb=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$CHORUS_PID/status")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# chorus sign-in flood benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($cpu), loopback;" \
		"$CHORUS;" \
		"${DURATION} s per measurement; flood: wrk $FLOOD_THREADS threads," \
		"$FLOOD_CONNECTIONS connections, wrong passwords for an existing e-mail;" \
		"instance: bench/paced_get.py, $INSTANCE_RATE requests/s on one connection."
	echo
	echo "| measurement | sign-ins checked/s | busy (429) | instance p50 ms | instance p99 ms | instance max ms |"
	echo "|---|---:|---:|---:|---:|---:|"
	echo "| instance alone | – | – | $(value "$REF" paced p50) | $(value "$REF" paced p99) | $(value "$REF" paced max) |"
	echo "| during the flood | $CHECKED | $BUSY | $(value "$INST" paced p50) | $(value "$INST" paced p99) | $(value "$INST" paced max) |"
	echo
	echo "Sign-in answer time during the flood (wrk): p50 $(wrk_ms "$FLOOD" 50) ms," \
		"p99 $(wrk_ms "$FLOOD" 99) ms; $OTHER answers neither 400 nor 429."
	echo
	echo "chorus peak RSS (VmHWM): $hwm_mb MB."
} >"$OUT/signin-results.md"
echo
cat "$OUT/signin-results.md"
