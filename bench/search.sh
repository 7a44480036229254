#!/usr/bin/env bash
# bench/search.sh — search latency on a large data set.
#
#   bench/search.sh            build, generate the data set once, measure
#   bench/search.sh --fresh    generate the data set again first
#
# Environment (defaults in brackets):
#   DURATION [10]  seconds per query     WARMUP [2]  seconds before it
#   CONNECTIONS [8]  THREADS [2]  (wrk)
#   ACCOUNTS [1000]  STATUSES [1000000]  (data set, bench/out/search-data)
#   PORT [38090]  WRK_TIMEOUT [10s]
#   MAX_SECONDS [1500 + 12 * (DURATION + WARMUP)]  hard bound on the run
#
# Each query of QUERIES below is measured with wrk as user0001 (status
# search needs a user), and so is the public timeline as the reference: a
# page of 20 statuses read and rendered without searching. Results go to
# bench/out/search-results.md (also printed), raw wrk output to
# bench/out/wrk-search/. Searching writes nothing but the login's token,
# so the server reads the generated data set in place.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
ACCOUNTS=${ACCOUNTS:-1000}
STATUSES=${STATUSES:-1000000}
PORT=${PORT:-38090}
MAX_SECONDS=${MAX_SECONDS:-$((1500 + 12 * (DURATION + WARMUP)))}

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_args 19 "$@"
bench_bound "$@"

command -v wrk >/dev/null || scripts/deps.sh bench

echo "== build"
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

DATA=$OUT/search-data
INFO=$OUT/search-bench-data.txt
mkdir -p "$OUT"
bench_data_ensure "$DATA" "$OUT/search-bench-data.log" "$ACCOUNTS" "$STATUSES" "$FRESH"
USER_NAME=$(info user)
USER_PASS=$(info password)
RARE=$(info rare_word)
[ -n "$USER_NAME" ] && [ -n "$RARE" ] || die "no user or rare word in $INFO"
DB_MB=$(du -m "$DATA/chorus.db" | cut -f1)
TOMORROW=$(date -u -d tomorrow +%Y-%m-%d)

# name | query string (URL-encoded) | what it measures
QUERIES="reference|/api/v1/timelines/public?limit=20|public timeline, no search (the reference)
common|/api/v2/search?type=statuses&q=together|a word in ~14 % of posts
rare|/api/v2/search?type=statuses&q=$RARE|a word in one post (a link's number)
and|/api/v2/search?type=statuses&q=courage+ni%C3%B1o+hope|three words, all required
phrase|/api/v2/search?type=statuses&q=%22thank+you%22|a quoted phrase
accent|/api/v2/search?type=statuses&q=cafe+STRASSE|folded: finds café and straße
from|/api/v2/search?type=statuses&q=story+from%3Auser0002|a word from one author
operators|/api/v2/search?type=statuses&q=city+is%3Areply+after%3A2020-01-01+before%3A$TOMORROW|a word, is:reply, after: and before:
negated|/api/v2/search?type=statuses&q=night+-morning|a word without another
accounts|/api/v2/search?type=accounts&q=user00|account prefix (100 match)
hashtags|/api/v2/search?type=hashtags&q=mov|hashtag prefix: #movement, 100 000 posts today
hashtags_small|/api/v2/search?type=hashtags&q=open|hashtag prefix: #opensource, 6 000 posts today
all|/api/v2/search?q=solidarity|accounts, hashtags and statuses at once"

port_busy "$PORT" && die "port $PORT is in use (set PORT)"
printf '[server]\naccess_log = false\n' >"$OUT/search-bench.ini"
build/chorus serve --config "$OUT/search-bench.ini" --data "$DATA" \
	--port "$PORT" >"$OUT/search-chorus.log" 2>&1 &
CHORUS_PID=$!
BASE=http://127.0.0.1:$PORT
chorus_wait "$BASE" "$OUT/search-chorus.log"
TOKEN=$(chorus_token "$BASE" "$USER_NAME" "$USER_PASS")
AUTH="Authorization: Bearer $TOKEN"

# each query once, to check it answers and to count what it finds
WRKDIR=$OUT/wrk-search
rm -rf "$WRKDIR"
mkdir -p "$WRKDIR"
count_found() {
	/usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)
print(len(d) if isinstance(d, list) else
      sum(len(d[k]) for k in ("accounts", "statuses", "hashtags")))'
}
while IFS='|' read -r name path _; do
	body=$(curl -fsS --max-time 30 -H "$AUTH" "$BASE$path") ||
		die "GET $path failed"
	echo "   $name: $(printf '%s' "$body" | count_found) results"
done <<<"$QUERIES"

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

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=""
REF_P50=""
while IFS='|' read -r name path what; do
	echo "== $name: GET $path"
	wrk_run "$WRKDIR/$name.txt" -H "$AUTH" "$BASE$path"
	rps=$(wrk_rps "$WRKDIR/$name.txt")
	p50=$(wrk_ms "$WRKDIR/$name.txt" 50)
	p99=$(wrk_ms "$WRKDIR/$name.txt" 99)
	errs=$(wrk_errors "$WRKDIR/$name.txt")
	[ -n "$REF_P50" ] || REF_P50=$p50
	ratio=$(awk -v a="$p50" -v b="$REF_P50" 'BEGIN { printf "%.1f", b ? a / b : 0 }')
	echo "   $rps req/s, p50 $p50 ms, p99 $p99 ms, $errs errors"
	ROWS="$ROWS| $name | \`${path#/api/v2/search?}\` | $what | $p50 | $p99 | $ratio× | $rps | $errs |
"
done <<<"$QUERIES"

hwm_mb=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$CHORUS_PID/status")
load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# chorus search benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($cpu), loopback;" \
		"wrk $THREADS threads, $CONNECTIONS connections, ${DURATION} s per query" \
		"after ${WARMUP} s warm-up, as $USER_NAME; data set $(info accounts) accounts," \
		"$(info statuses) statuses ($(info reblogs) reblogs), database $DB_MB MB;" \
		"load average at the start $LOAD_START, at the end $load."
	echo
	echo "| query | parameters | what | p50 ms | p99 ms | p50 / reference | req/s | errors |"
	echo "|---|---|---|---:|---:|---:|---:|---:|"
	printf '%s' "$ROWS"
	echo
	echo "chorus peak RSS (VmHWM): $hwm_mb MB."
} >"$OUT/search-results.md"
echo
cat "$OUT/search-results.md"
