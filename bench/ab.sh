#!/usr/bin/env bash
# bench/ab.sh — one binary against another on the same data, alternating.
#
#   bench/ab.sh OLD_BINARY NEW_BINARY     e.g. a build of the commit before
#                                         a change, and build/chorus
#
# Each round starts each binary in turn (order alternating: A B, B A, …) on
# a fresh copy of bench/run.sh's data set and measures the hot paths with
# wrk: GET a status, the public, tag and home timelines, POST a status and a
# reply, and
# favourite and reblog (each alternating with its undoing, over the 40
# newest public statuses: bench/act.lua).
# The machine is noisy: compare the ratio new/old of medians from one run
# of this script, never absolute numbers from different runs.
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [5]  WARMUP [1]  CONNECTIONS [32]  THREADS [2]
#   ACCOUNTS [1000]  STATUSES [100000]  PORT [38090]
#   ENDPOINTS  a subset, space-separated, of: status public tag home post
#              reply favourite reblog page_thread page_tag (web pages:
#              the status's thread page, the tag's page; AB_CONFIG=FILE
#              serves both binaries with that INI, e.g. [cache] pages = 0)
#              AB_CONFIG_NEW=FILE is added for the new binary alone
#              (settings the old one does not know)
#              context context_deep (signed in: GET /context of the data
#              set's big thread, 4 096 statuses, and of its 50-deep reply
#              chain; not in the default set)
#   CONTEXT_CONNECTIONS [2]  wrk's connections for context (7 MB replies:
#              with many more, chorus turns most away with 503)
#   MAX_SECONDS [120 + ROUNDS * 2 * 8 * (DURATION + WARMUP + 6)]
#
# Results go to bench/out/ab-results.md (also printed); raw wrk output to
# bench/out/ab/.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ACCOUNTS=${ACCOUNTS:-1000}
STATUSES=${STATUSES:-100000}
PORT=${PORT:-38090}
ENDPOINTS=${ENDPOINTS:-status public tag home post reply favourite reblog}
MAX_SECONDS=${MAX_SECONDS:-$((120 + ROUNDS * 2 * 8 * (DURATION + WARMUP + 6)))}

[ $# -eq 2 ] || {
	sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
OLD=$(realpath "$1")
NEW=$(realpath "$2")
[ -x "$OLD" ] && [ -x "$NEW" ] || {
	echo "ab.sh: both binaries must be executable" >&2
	exit 2
}

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_bound "$@"

scripts/deps.sh bench
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null # the data generator

DATA=$OUT/data
INFO=$OUT/bench-data.txt
mkdir -p "$OUT"
bench_data_ensure "$DATA" "$OUT/bench-data.log" "$ACCOUNTS" "$STATUSES" 0
STATUS_ID=$(info status_id)
DEEP_ID=$(info deep_status_id)
USER_NAME=$(info user)
USER_PASS=$(info password)
TAG=$(info tag)

AB=$OUT/ab
rm -rf "$AB"
mkdir -p "$AB"
printf '[server]\naccess_log = false\n' >"$AB/bench.ini"
[ -n "${AB_CONFIG:-}" ] && cat "$AB_CONFIG" >>"$AB/bench.ini"
# the new binary's settings that the old one does not know
cp "$AB/bench.ini" "$AB/bench-new.ini"
[ -n "${AB_CONFIG_NEW:-}" ] && cat "$AB_CONFIG_NEW" >>"$AB/bench-new.ini"
BASE=http://127.0.0.1:$PORT
port_busy "$PORT" && die "port $PORT is in use (set PORT)"

path_of() {
	case $1 in
	status) echo "/api/v1/statuses/$STATUS_ID" ;;
	public) echo "/api/v1/timelines/public?limit=20" ;;
	tag) echo "/api/v1/timelines/tag/$TAG?limit=20" ;;
	home) echo "/api/v1/timelines/home?limit=20" ;;
	post | reply) echo "/api/v1/statuses" ;;
	favourite | reblog) echo "" ;; # bench/act.lua builds the path
	page_thread) echo "$THREAD_PAGE" ;; # the status's page (measure)
	page_tag) echo "/tags/$TAG" ;;
	context) echo "/api/v1/statuses/$STATUS_ID/context" ;;
	context_deep) echo "/api/v1/statuses/$DEEP_ID/context" ;;
	*) die "unknown endpoint $1" ;;
	esac
}

# measure LABEL BINARY ROUND: serve a fresh copy of the data with BINARY and
# run wrk on every endpoint; raw output in $AB/LABEL-ENDPOINT-ROUND.txt.
measure() {
	local label=$1 bin=$2 round=$3 work=$AB/work name hdr
	rm -rf "$work"
	cp -a "$DATA" "$work"
	# each binary migrates the copy to its schema and checkpoints it
	# before it is measured: a newer binary's migrations leave tens of
	# MB in the WAL, which would otherwise be read through and copied
	# back during the first endpoints measured, a one-time cost charged
	# to it alone
	"$bin" user list --data "$work" >/dev/null 2>&1 ||
		die "$bin could not open the data set"
	sqlite3 "$work/chorus.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	local ini=$AB/bench.ini
	[ "$label" = new ] && ini=$AB/bench-new.ini
	"$bin" serve --config "$ini" --data "$work" --port "$PORT" \
		>"$AB/$label-chorus.log" 2>&1 &
	CHORUS_PID=$!
	chorus_wait "$BASE" "$AB/$label-chorus.log"
	local token targets
	token=$(chorus_token "$BASE" "$USER_NAME" "$USER_PASS")
	# the status's web page: its url, without the scheme and host
	THREAD_PAGE=$(curl -fsS --max-time 10 "$BASE/api/v1/statuses/$STATUS_ID" |
		json_get url | sed 's|^[a-z]*://[^/]*||')
	targets=$(curl -fsS --max-time 10 "$BASE/api/v1/timelines/public?limit=40" |
		/usr/bin/python3 -c 'import json,sys; print(",".join(s["id"] for s in json.load(sys.stdin)))')
	for name in $ENDPOINTS; do
		hdr=()
		local conns=$CONNECTIONS
		case $name in
		home | context_deep) hdr=(-H "Authorization: Bearer $token") ;;
		context)
			hdr=(-H "Authorization: Bearer $token")
			conns=${CONTEXT_CONNECTIONS:-2}
			;;
		esac
		local script=() args=()
		case $name in
		post) script=(-s bench/post.lua) args=(-- "$token") ;;
		reply) script=(-s bench/post.lua) args=(-- "$token" "$STATUS_ID") ;;
		favourite | reblog)
			script=(-s bench/act.lua) args=(-- "$token" "$name" "$targets") ;;
		esac
		wait_idle
		if [ "$WARMUP" -gt 0 ]; then
			timeout $((WARMUP + 30)) wrk -t "$THREADS" \
				-c "$conns" -d "${WARMUP}s" "${hdr[@]}" \
				"${script[@]}" "$BASE$(path_of "$name")" \
				"${args[@]}" >/dev/null
			wait_idle
		fi
		timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$conns" \
			-d "${DURATION}s" --latency "${hdr[@]}" "${script[@]}" \
			"$BASE$(path_of "$name")" "${args[@]}" \
			>"$AB/$label-$name-$round.txt"
	done
	kill -TERM "$CHORUS_PID"
	wait "$CHORUS_PID" || true
	CHORUS_PID=""
}

for round in $(seq 1 "$ROUNDS"); do
	if [ $((round % 2)) = 1 ]; then order="old new"; else order="new old"; fi
	for label in $order; do
		echo "== round $round: $label"
		if [ "$label" = old ]; then measure old "$OLD" "$round"; else measure new "$NEW" "$round"; fi
	done
done

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

{
	echo "# A/B: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "old: $OLD; new: $NEW; $ROUNDS rounds alternating, wrk -t$THREADS" \
		"-c$CONNECTIONS ${DURATION} s after ${WARMUP} s warm-up; data set" \
		"$(info accounts) accounts, $(info statuses) statuses; load at the end" \
		"$(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "| endpoint | old req/s (runs) | new req/s (runs) | new/old (medians) | old p99 ms | new p99 ms |"
	echo "|---|---|---|---:|---:|---:|"
	for name in $ENDPOINTS; do
		o=$(for f in "$AB"/old-"$name"-*.txt; do wrk_rps "$f"; echo; done | grep . | tr '\n' ' ')
		n=$(for f in "$AB"/new-"$name"-*.txt; do wrk_rps "$f"; echo; done | grep . | tr '\n' ' ')
		om=$(echo "$o" | tr ' ' '\n' | grep . | median)
		nm=$(echo "$n" | tr ' ' '\n' | grep . | median)
		op=$(for f in "$AB"/old-"$name"-*.txt; do wrk_ms "$f" 99; echo; done | grep . | median)
		np=$(for f in "$AB"/new-"$name"-*.txt; do wrk_ms "$f" 99; echo; done | grep . | median)
		ratio=$(awk -v a="$nm" -v b="$om" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
		echo "| $name | $o| $n| $ratio | $op | $np |"
	done
} >"$OUT/ab-results.md"
echo
cat "$OUT/ab-results.md"
