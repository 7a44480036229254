#!/usr/bin/env bash
# bench/backends.sh — the bench/run.sh endpoints on SQLite, on PostgreSQL
# with one process, and on PostgreSQL with two processes behind nginx,
# side by side on the same data; and `chorus db migrate-to` on that data,
# checked by comparing the API's answers on both backends byte for byte.
#
#   bench/backends.sh            generate the data set once, then measure
#   bench/backends.sh --fresh    generate the data set again first
#
# Environment (defaults in brackets):
#   DURATION [10]  WARMUP [2]  CONNECTIONS [32]  THREADS [2]  (wrk)
#   ACCOUNTS [1000]  STATUSES [1000000]  (data set)
#   PORT [38090]: SQLite on PORT, PostgreSQL on PORT+1, the two
#   processes on PORT+2 and PORT+3, nginx in front of them on PORT+4
#   EXTRA_INI  lines added to every server's configuration, e.g.
#              $'[cache]\npages = 0' to measure without kept answers
#
# Results go to bench/out/backends/results.md (also printed). The
# PostgreSQL cluster is a throwaway one (scripts/pg.sh), with fsync on:
# the figures are a server's, not a test cluster's.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/backends

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
THREADS=${THREADS:-2}
ACCOUNTS=${ACCOUNTS:-1000}
STATUSES=${STATUSES:-1000000}
PORT=${PORT:-38090}
NGINX_PORT=$((PORT + 4))
MAX_SECONDS=${MAX_SECONDS:-$((1800 + 30 * (DURATION + WARMUP)))}

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_args 18 "$@"
bench_bound "$@"

bench_build

mkdir -p "$OUT"
DATA=$OUT/data
INFO=$OUT/bench-data.txt
bench_data_ensure "$DATA" "$OUT/bench-data.log" "$ACCOUNTS" "$STATUSES" "$FRESH"
STATUS_ID=$(info status_id)
USER_NAME=$(info user)
USER_PASS=$(info password)
TAG=$(info tag)

PIDS=()
PGDIR=$(mktemp -d /tmp/chorus-bench-pg.XXXXXX)
stop_all() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	scripts/pg.sh stop "$PGDIR"
	bench_cleanup
}
# after bench/lib.sh, which sets its own trap
trap stop_all EXIT INT TERM

# ---- PostgreSQL, and the data moved there ----------------------------------

echo "== PostgreSQL cluster"
# fsync on, as a server keeps it (pg.sh's test settings turn it off)
PG_BENCH=1 scripts/pg.sh start "$PGDIR" >"$OUT/pg.env"
. "$OUT/pg.env"
psql -h "$CHORUS_TEST_PG_HOST" -p "$CHORUS_TEST_PG_PORT" -U postgres -qc "CREATE DATABASE bench"
URL="postgresql:///bench?host=$CHORUS_TEST_PG_HOST&port=$CHORUS_TEST_PG_PORT&user=postgres"

rm -rf "$OUT/sqlite" "$OUT/pg"
cp -a "$DATA" "$OUT/sqlite"
cp -a "$DATA" "$OUT/pg"
echo "== chorus db migrate-to ($STATUSES statuses)"
t0=$(date +%s.%N)
build/chorus db migrate-to "$URL" --data "$OUT/pg" 2>"$OUT/migrate.log" | tee "$OUT/migrate.out"
MIGRATE_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "   $MIGRATE_S s"

# ---- the servers ------------------------------------------------------------

# one base URL for all: the answers compared hold it
printf '[server]\naccess_log = false\nbase_url = https://chorus.example\n%s\n' \
	"${EXTRA_INI:-}" >"$OUT/bench.ini"
serve() { # name port [args…]
	local name=$1 port=$2
	shift 2
	port_busy "$port" && die "port $port is in use (set PORT)"
	build/chorus serve --config "$OUT/bench.ini" --port "$port" "$@" \
		>"$OUT/$name.log" 2>&1 &
	PIDS+=($!)
	CHORUS_PID=$! # chorus_wait watches it
	chorus_wait "http://127.0.0.1:$port" "$OUT/$name.log"
}
serve sqlite "$PORT" --data "$OUT/sqlite"
serve pg1 $((PORT + 1)) --data "$OUT/pg" --database "$URL"
serve pg2a $((PORT + 2)) --data "$OUT/pg" --database "$URL"
serve pg2b $((PORT + 3)) --data "$OUT/pg" --database "$URL"

NGX=$OUT/nginx
rm -rf "$NGX"
nginx_start "$NGX" application/json \
	"location / { proxy_pass http://chorus2; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
	}
	upstream chorus2 {
		server 127.0.0.1:$((PORT + 2));
		server 127.0.0.1:$((PORT + 3));
		keepalive 64;" "/api/v1/instance"
PIDS+=("$NGINX_PID")

declare -A BASE=([sqlite]=http://127.0.0.1:$PORT [pg1]=http://127.0.0.1:$((PORT + 1))
	[pg2]=$NBASE)
declare -A AUTH
for b in sqlite pg1 pg2; do
	AUTH[$b]="Authorization: Bearer $(chorus_token "${BASE[$b]}" "$USER_NAME" "$USER_PASS")"
done

# ---- the same answers on both backends --------------------------------------

echo "== comparing answers (SQLite, PostgreSQL)"
SAMPLE="/api/v1/statuses/$STATUS_ID
/api/v1/statuses/$STATUS_ID/context
/api/v1/timelines/public?limit=40
/api/v1/timelines/public?local=true&limit=40&max_id=$STATUS_ID
/api/v1/timelines/tag/$TAG?limit=40
/api/v1/timelines/home?limit=40
/api/v1/accounts/lookup?acct=$USER_NAME
/api/v2/search?q=$TAG&type=statuses&limit=20
/api/v2/search?q=${USER_NAME:0:4}&type=accounts
/api/v1/trends/tags"
SAME=0
DIFFER=0
mkdir -p "$OUT/answers"
while read -r path; do
	f=$(echo "$path" | tr -c 'a-zA-Z0-9' _)
	curl -sS --max-time 30 -H "${AUTH[sqlite]}" "${BASE[sqlite]}$path" >"$OUT/answers/$f.sqlite"
	curl -sS --max-time 30 -H "${AUTH[pg1]}" "${BASE[pg1]}$path" >"$OUT/answers/$f.pg"
	if cmp -s "$OUT/answers/$f.sqlite" "$OUT/answers/$f.pg"; then
		SAME=$((SAME + 1))
		echo "   same ($(wc -c <"$OUT/answers/$f.sqlite") bytes): $path"
	else
		DIFFER=$((DIFFER + 1))
		echo "   DIFFERENT: $path (bench/out/backends/answers/$f.*)"
	fi
done <<<"$SAMPLE"

# ---- measuring --------------------------------------------------------------

wrk_run() { # OUTFILE [wrk args…]
	local out=$1
	shift
	if [ "$WARMUP" -gt 0 ]; then
		timeout $((WARMUP + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" \
			-d "${WARMUP}s" --timeout "$WRK_TIMEOUT" "$@" >/dev/null
	fi
	sleep 1
	timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" \
		-d "${DURATION}s" --timeout "$WRK_TIMEOUT" --latency "$@" >"$out"
	sleep 1
}

ENDPOINTS="status|/api/v1/statuses/$STATUS_ID|no
public|/api/v1/timelines/public?limit=20|no
tag|/api/v1/timelines/tag/$TAG?limit=20|no
home|/api/v1/timelines/home?limit=20|yes
trends_tags|/api/v1/trends/tags|no
trends_statuses|/api/v1/trends/statuses|no
post|/api/v1/statuses|post"

mkdir -p "$OUT/wrk"
ROWS=""
while IFS='|' read -r name path kind; do
	declare -A rps=() p99=() errs=()
	for b in sqlite pg1 pg2; do
		echo "== $b: $name"
		args=()
		[ "$kind" = yes ] && args=(-H "${AUTH[$b]}")
		if [ "$kind" = post ]; then
			tok=${AUTH[$b]#Authorization: Bearer }
			wrk_run "$OUT/wrk/$name-$b.txt" -s bench/post.lua "${BASE[$b]}$path" -- "$tok"
		else
			wrk_run "$OUT/wrk/$name-$b.txt" "${args[@]}" "${BASE[$b]}$path"
		fi
		rps[$b]=$(wrk_rps "$OUT/wrk/$name-$b.txt")
		p99[$b]=$(wrk_ms "$OUT/wrk/$name-$b.txt" 99)
		errs[$b]=$(wrk_errors "$OUT/wrk/$name-$b.txt")
		echo "   ${rps[$b]} req/s, p99 ${p99[$b]} ms, ${errs[$b]} errors"
	done
	r1=$(awk -v a="${rps[pg1]}" -v b="${rps[sqlite]}" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
	r2=$(awk -v a="${rps[pg2]}" -v b="${rps[sqlite]}" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
	label="GET $path"
	[ "$kind" = post ] && label="POST $path"
	ROWS="$ROWS| $label | ${rps[sqlite]} (${p99[sqlite]}) | ${rps[pg1]} (${p99[pg1]}) | $r1 | ${rps[pg2]} (${p99[pg2]}) | $r2 | ${errs[sqlite]}/${errs[pg1]}/${errs[pg2]} |
"
done <<<"$ENDPOINTS"

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	echo "# chorus on SQLite and PostgreSQL"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev; $ACCOUNTS accounts, $STATUSES statuses;"
	echo "wrk -t $THREADS -c $CONNECTIONS, ${DURATION} s each after ${WARMUP} s of warm-up;"
	echo "PostgreSQL $(psql -V | awk '{print $3}') on the same $(nproc) cores, fsync on;"
	echo "migrate-to: $MIGRATE_S s; answers compared: $SAME the same, $DIFFER different."
	echo
	echo "| request | SQLite req/s (p99 ms) | PostgreSQL, 1 process | ratio | PostgreSQL, 2 processes + nginx | ratio | errors |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	printf '%s' "$ROWS"
} | tee "$OUT/results.md"
[ "$DIFFER" = 0 ]
