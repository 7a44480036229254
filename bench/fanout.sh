#!/usr/bin/env bash
# bench/fanout.sh — what a post costs when its author has a million
# followers. On a copy of the bench/run.sh data set, FOLLOWERS accounts are
# added that all follow user0001; then POST /api/v1/statuses is measured
# for user0001 and for user0002 (its 50 followers), same server, same data.
#
#   bench/fanout.sh            generate the data set once, then measure
#   bench/fanout.sh --fresh    generate the data set again first
#
# Environment (defaults in brackets):
#   DURATION [10]  WARMUP [2]  CONNECTIONS [8]  THREADS [2]  (wrk)
#   FOLLOWERS [1000000]  ACCOUNTS [1000]  STATUSES [100000]  PORT [38095]
#   HOME_FEEDS: [cache] home_feeds for the server (its default, 2048,
#   when unset): the feeds in memory, which a post is pushed onto
#
# The added accounts go in with SQL (python3's sqlite3), so the account
# search index of the copy does not hold them: its triggers are dropped
# first (they need chorus's tokenizer). Results: bench/out/fanout/results.md.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/fanout

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
FOLLOWERS=${FOLLOWERS:-1000000}
ACCOUNTS=${ACCOUNTS:-1000}
STATUSES=${STATUSES:-100000}
PORT=${PORT:-38095}
MAX_SECONDS=${MAX_SECONDS:-1800}

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_args 18 "$@"
bench_bound "$@"

bench_build

mkdir -p "$OUT"
DATA=$ROOT/bench/out/data
INFO=$ROOT/bench/out/bench-data.txt
bench_data_ensure "$DATA" "$ROOT/bench/out/bench-data.log" "$ACCOUNTS" "$STATUSES" "$FRESH"
USER_PASS=$(info password)

echo "== copying the data set, adding $FOLLOWERS followers of user0001"
rm -rf "$OUT/work"
cp -a "$DATA" "$OUT/work"
t0=$(date +%s)
/usr/bin/python3 - "$OUT/work/chorus.db" "$FOLLOWERS" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
for t in ("account_search_insert", "account_search_update", "account_search_delete"):
    db.execute(f"DROP TRIGGER IF EXISTS {t}")
star = db.execute("SELECT id FROM accounts WHERE username = 'user0001'").fetchone()[0]
base = db.execute("SELECT max(id) FROM accounts").fetchone()[0] + 1
now = int(time.time() * 1000)
with db:
    db.executemany(
        "INSERT INTO accounts (id, username, username_key, created_at, following_count)"
        " VALUES (?, ?, ?, ?, 1)",
        ((base + i, f"fan{i:07d}", f"fan{i:07d}", now) for i in range(n)))
    db.executemany(
        "INSERT INTO follows (id, account_id, target_id, local_follower)"
        " VALUES (?, ?, ?, 1)",  # local fans (migration 33)
        ((base + n + i, base + i, star) for i in range(n)))
    db.execute("UPDATE accounts SET followers_count = followers_count + ? WHERE id = ?",
               (n, star))
db.close()
EOF
echo "   $(($(date +%s) - t0)) s"

INI=$OUT/bench.ini
printf '[server]\naccess_log = false\n' >"$INI"
[ -n "${HOME_FEEDS:-}" ] && printf '[cache]\nhome_feeds = %s\n' "$HOME_FEEDS" >>"$INI"
port_busy "$PORT" && die "port $PORT is in use (set PORT)"
build/chorus serve --config "$INI" --data "$OUT/work" --port "$PORT" >"$OUT/chorus.log" 2>&1 &
CHORUS_PID=$!
BASE=http://127.0.0.1:$PORT
chorus_wait "$BASE" "$OUT/chorus.log"

ROWS=""
for user in user0001 user0002; do
	tok=$(chorus_token "$BASE" "$user" "$USER_PASS")
	followers=$(curl -fsS -H "Authorization: Bearer $tok" "$BASE/api/v1/accounts/verify_credentials" |
		json_get followers_count)
	echo "== POST as $user ($followers followers)"
	timeout $((WARMUP + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" \
		-s bench/post.lua "$BASE/api/v1/statuses" -- "$tok" >/dev/null
	wait_idle
	timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" \
		--latency -s bench/post.lua "$BASE/api/v1/statuses" -- "$tok" >"$OUT/post-$user.txt"
	rps=$(wrk_rps "$OUT/post-$user.txt")
	p50=$(wrk_ms "$OUT/post-$user.txt" 50)
	p99=$(wrk_ms "$OUT/post-$user.txt" 99)
	errs=$(wrk_errors "$OUT/post-$user.txt")
	echo "   $rps posts/s, p50 $p50 ms, p99 $p99 ms, $errs errors"
	ROWS="$ROWS| $user | $followers | $rps | $p50 | $p99 | $errs |
"
	wait_idle
done

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	echo "# A post's cost by its author's followers"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev; SQLite; $ACCOUNTS + $FOLLOWERS accounts, $STATUSES statuses;"
	echo "wrk -t $THREADS -c $CONNECTIONS, ${DURATION} s after ${WARMUP} s of warm-up."
	echo
	echo "| author | followers | posts/s | p50 ms | p99 ms | errors |"
	echo "|---|---:|---:|---:|---:|---:|"
	printf '%s' "$ROWS"
} | tee "$OUT/results.md"
