#!/usr/bin/env bash
# bench/pg_ab.sh — one binary against another on PostgreSQL, alternating.
#
#   bench/pg_ab.sh OLD_BINARY NEW_BINARY
#
# bench/ab.sh's counterpart for a change to the PostgreSQL backend: bench/
# run.sh's data set (generated if missing) moved once with migrate-to into
# a throwaway cluster with a server's settings (PG_BENCH=1 scripts/pg.sh:
# fsync and synchronous_commit on), then each round serves each binary in
# turn (order alternating) on that database, after a CHECKPOINT, and
# measures POST /api/v1/statuses (bench/post.lua) and the signed-in home
# timeline with wrk. Compare the new/old ratio of medians from one run.
# The posts stay in the database: every binary sees it grow alike.
# Each run also reports the CPU a request cost, chorus's and PostgreSQL's
# (all its processes), from /proc over the run: on this noisy machine it
# swings far less than requests/s do.
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [8]  WARMUP [2]  CONNECTIONS [32]  THREADS [2]
#   ACCOUNTS [1000]  STATUSES [100000]  PORT [38300]
#   MAX_SECONDS [600 + ROUNDS * 2 * (2 * DURATION + WARMUP + 15)]
#
# Results go to bench/out/pg_ab/results.md (also printed).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/pg_ab

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ACCOUNTS=${ACCOUNTS:-1000}
STATUSES=${STATUSES:-100000}
PORT=${PORT:-38300}
MAX_SECONDS=${MAX_SECONDS:-$((600 + ROUNDS * 2 * (2 * DURATION + WARMUP + 15)))}

[ $# -eq 2 ] || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
OLD=$(realpath "$1")
NEW=$(realpath "$2")
if [ ! -x "$OLD" ] || [ ! -x "$NEW" ]; then
	echo "pg_ab.sh: $1 or $2 is not executable" >&2
	exit 2
fi

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_bound "$@"
bench_build

# shellcheck disable=SC2034 # read by bench/lib.sh's info
INFO=$ROOT/bench/out/bench-data.txt
bench_data_ensure "$ROOT/bench/out/data" "$ROOT/bench/out/bench-data.log" \
	"$ACCOUNTS" "$STATUSES" 0
USER_NAME=$(info user)
USER_PASS=$(info password)

PGDIR=$(mktemp -d /tmp/chorus-pg-ab.XXXXXX)
bench_cleanup_extra() { scripts/pg.sh stop "$PGDIR"; }

rm -rf "$OUT"
mkdir -p "$OUT/wrk"
echo "== PostgreSQL cluster (fsync on)"
PG_BENCH=1 scripts/pg.sh start "$PGDIR" >"$OUT/pg.env"
. "$OUT/pg.env"
# psql as the cluster's owner (scripts/pg.sh runs it as postgres when root)
psql() {
	local args=(-h "$CHORUS_TEST_PG_HOST" -p "$CHORUS_TEST_PG_PORT" -U postgres -q)
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- psql "${args[@]}" "$@"
	else
		command psql "${args[@]}" "$@"
	fi
}
psql -c "CREATE DATABASE bench"
URL="postgresql:///bench?host=$CHORUS_TEST_PG_HOST&port=$CHORUS_TEST_PG_PORT&user=postgres"
cp -a "$ROOT/bench/out/data" "$OUT/data"
echo "== migrate-to ($STATUSES statuses)"
"$OLD" db migrate-to "$URL" --data "$OUT/data" >"$OUT/migrate.out" 2>&1 ||
	die "migrate-to failed: $(tail -3 "$OUT/migrate.out")"
printf '[server]\naccess_log = false\n' >"$OUT/bench.ini"

# CPU clock ticks (utime + stime) of the processes listed
ticks() {
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}

# run_cpu FILE WRK_ARGS...: wrk's report to FILE, and to FILE.cpu the
# microseconds of CPU a request cost chorus and PostgreSQL
run_cpu() {
	local file=$1 pg c0 p0 c1 p1
	shift
	# the cluster's postmaster and its children (backends, writers)
	local pm
	pm=$(head -1 "$PGDIR/data/postmaster.pid")
	pg="$pm $(pgrep -d ' ' -P "$pm" || true)"
	c0=$(ticks "$CHORUS_PID")
	# shellcheck disable=SC2086 # a list of pids
	p0=$(ticks $pg)
	wrk "$@" >"$file" 2>&1
	c1=$(ticks "$CHORUS_PID")
	# shellcheck disable=SC2086
	p1=$(ticks $pg)
	awk -v c=$((c1 - c0)) -v p=$((p1 - p0)) -v hz="$(getconf CLK_TCK)" \
		'/requests in/ { n = $1 } END { if (n) printf "%.0f %.0f\n", c * 1e6 / hz / n, p * 1e6 / hz / n }' \
		"$file" >"$file.cpu"
}

# measure NAME BINARY ROUND: one server, a POST run and a home run
measure() {
	local name=$1 bin=$2 round=$3 base=http://127.0.0.1:$PORT token
	psql -c CHECKPOINT
	"$bin" serve --config "$OUT/bench.ini" --data "$OUT/data" \
		--database "$URL" --port "$PORT" >"$OUT/$name.log" 2>&1 &
	CHORUS_PID=$!
	chorus_wait "$base" "$OUT/$name.log"
	token=$(chorus_token "$base" "$USER_NAME" "$USER_PASS")
	wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" -s bench/post.lua \
		"$base/api/v1/statuses" -- "$token" >/dev/null 2>&1
	run_cpu "$OUT/wrk/$name-post-$round.txt" -t "$THREADS" \
		-c "$CONNECTIONS" -d "${DURATION}s" --latency \
		-s bench/post.lua "$base/api/v1/statuses" -- "$token"
	run_cpu "$OUT/wrk/$name-home-$round.txt" -t "$THREADS" \
		-c "$CONNECTIONS" -d "${DURATION}s" --latency \
		-H "Authorization: Bearer $token" \
		"$base/api/v1/timelines/home?limit=20"
	kill -TERM "$CHORUS_PID"
	wait "$CHORUS_PID" 2>/dev/null || true
	CHORUS_PID=""
	echo "   $name: post $(wrk_rps "$OUT/wrk/$name-post-$round.txt")/s" \
		"($(cat "$OUT/wrk/$name-post-$round.txt.cpu") µs chorus, PostgreSQL)," \
		"home $(wrk_rps "$OUT/wrk/$name-home-$round.txt")/s" \
		"($(cat "$OUT/wrk/$name-home-$round.txt.cpu") µs)"
}

for round in $(seq 1 "$ROUNDS"); do
	echo "== round $round"
	if [ $((round % 2)) = 1 ]; then
		measure old "$OLD" "$round"
		measure new "$NEW" "$round"
	else
		measure new "$NEW" "$round"
		measure old "$OLD" "$round"
	fi
done

# median of the rounds' req/s for NAME and ENDPOINT
median() {
	for f in "$OUT"/wrk/"$1"-"$2"-*.txt; do wrk_rps "$f"; echo; done |
		sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
runs() { for f in "$OUT"/wrk/"$1"-"$2"-*.txt; do printf '%s ' "$(wrk_rps "$f")"; done; }
# median CPU µs a request (column 1 chorus, 2 PostgreSQL) for NAME ENDPOINT
cpu_median() {
	cat "$OUT"/wrk/"$1"-"$2"-*.txt.cpu | awk -v c="$3" '{ print $c }' |
		sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

{
	echo "# PostgreSQL A/B: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "old: $OLD; new: $NEW; $ROUNDS rounds alternating, wrk -t$THREADS -c$CONNECTIONS ${DURATION} s;"
	echo "data set $ACCOUNTS accounts, $STATUSES statuses; fsync and synchronous_commit on."
	echo
	echo "| endpoint | old req/s (runs) | new req/s (runs) | new/old (medians) |"
	echo "|---|---|---|---:|"
	for e in post home; do
		o=$(median old "$e")
		n=$(median new "$e")
		echo "| $e | $(runs old "$e")| $(runs new "$e")| $(awk -v a="$n" -v b="$o" 'BEGIN { printf "%.3f", a / b }') |"
	done
	echo
	echo "CPU a request, µs (medians of the rounds), chorus + PostgreSQL:"
	echo
	echo "| endpoint | old | new | new/old (total) |"
	echo "|---|---:|---:|---:|"
	for e in post home; do
		oc=$(cpu_median old "$e" 1) op=$(cpu_median old "$e" 2)
		nc=$(cpu_median new "$e" 1) np=$(cpu_median new "$e" 2)
		echo "| $e | $oc + $op | $nc + $np | $(awk -v a="$((nc + np))" -v b="$((oc + op))" 'BEGIN { printf "%.3f", a / b }') |"
	done
} | tee "$OUT/results.md"
