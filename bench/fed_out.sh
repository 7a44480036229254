#!/usr/bin/env bash
# bench/fed_out.sh — outgoing federation: one post to FOLLOWERS_PER_SERVER
# x SERVERS remote followers (10 000 on 1 000 servers by default), the time
# until every server has it, and what the post's own request costs.
#
#   bench/fed_out.sh
#
# The servers are loopback addresses 127.1.X.Y, all played by one process,
# bench/tools/fedsink.py serve, on SINK_PORT: it checks each delivery's
# signature (draft-cavage rsa-sha256, against the author's key fetched from
# chorus once), digest and date, and that its Host is the address it
# reached, and counts a post once per server. The followers go into a
# fresh database with SQL (fedsink.py seed), each with a per-user inbox and
# its server's shared inbox, so chorus owes one delivery per server. Two
# local authors: "loud", followed by all of them, and "quiet", followed by
# none. For each [jobs] workers setting in WORKERS, on a fresh copy and one
# server:
#   b0. posting alone: quiet's POST /api/v1/statuses paced at RATE a
#       second for DURATION s (no delivery anywhere);
#   a.  delivery: POSTS posts by loud, one at a time, each timed from the
#       POST's answer until the last server has it verified;
#   b.  posting with remote followers: loud and quiet take turns at RATE a
#       second in all for DURATION s (same server, same moment: the ratio
#       of their latencies is the followers' cost); the deliveries owed
#       pile up meanwhile and run beside the posts, as they would;
#   c.  the backlog of (b): how long until every server has every post.
# Latencies are from sending to the answer (a slow one delays the next of
# its author: p99_sched counts that too, from when each was due).
#
# Environment (defaults in brackets):
#   SERVERS [1000]  FOLLOWERS_PER_SERVER [10]
#   POSTS [5]  posts timed one at a time in (a)
#   RATE [10]  DURATION [15]  posts a second (both authors), seconds
#   WORKERS ["1 4"]  [jobs] workers settings, one server each; "J/D" also
#                sets [federation] delivery_workers = D (when chorus has it)
#   DRAIN_MAX [150]  seconds (c) may take before it is reported unfinished
#   PORT [38110]  SINK_PORT [38111]  MAX_SECONDS [600] (bound on the run)
#
# The measuring holds flock /tmp/bench.lock, so two benchmarks on this
# machine never measure at once. Results: bench/out/fed_out/results.md
# (also printed); the logs of chorus and the sink beside it.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/fed_out

SERVERS=${SERVERS:-1000}
FOLLOWERS_PER_SERVER=${FOLLOWERS_PER_SERVER:-10}
POSTS=${POSTS:-5}
RATE=${RATE:-10}
DURATION=${DURATION:-15}
WORKERS=${WORKERS:-1 4}
DRAIN_MAX=${DRAIN_MAX:-150}
PORT=${PORT:-38110}
SINK_PORT=${SINK_PORT:-38111}
MAX_SECONDS=${MAX_SECONDS:-600}

PY=/usr/bin/python3 # the system's, with python3-cryptography
SINK_TOOL=bench/tools/fedsink.py
PASSWORD=fed-out-bench-password

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_args 41 "$@"
bench_bound "$@"

RUN_START=$(date +%s)
STEP_START=""
# step NAME: print how long the step before took, then NAME
step() {
	local now
	now=$(date +%s)
	[ -z "$STEP_START" ] || echo "   ($((now - STEP_START)) s)"
	STEP_START=$now
	echo "== $*"
}

SINK_PID=""
bench_cleanup_extra() {
	[ -z "$SINK_PID" ] && return 0
	kill -TERM "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
}

if [ "$SERVERS" -lt 1 ] || [ "$SERVERS" -gt 63500 ]; then
	die "SERVERS must be 1..63500"
fi
"$PY" -c 'import cryptography' 2>/dev/null ||
	die "$PY lacks the cryptography module (apt-get install python3-cryptography)"

BASE=http://127.0.0.1:$PORT
SINK=http://127.0.0.1:$SINK_PORT
FOLLOWERS=$((SERVERS * FOLLOWERS_PER_SERVER))

# ---- build, authors, followers ---------------------------------------------

STEP_START=$RUN_START # bench_build prints its own "== build"
bench_build
mkdir -p "$OUT"
port_busy "$PORT" && die "port $PORT is in use (set PORT)"
port_busy "$SINK_PORT" && die "port $SINK_PORT is in use (set SINK_PORT)"

# ini FILE JOBS_WORKERS [DELIVERY_WORKERS]: the server's configuration
ini() {
	{
		printf '[server]\naccess_log = false\n[jobs]\nworkers = %s\n' "$2"
		printf '[federation]\nallow_private_addresses = true\n'
		[ -z "${3:-}" ] || printf 'delivery_workers = %s\n' "$3"
	} >"$1"
}

chorus_start() {
	local data=$1 conf=$2 log=$3
	build/chorus serve --config "$conf" --data "$data" --port "$PORT" \
		--base-url "$BASE" >"$log" 2>&1 &
	CHORUS_PID=$!
	chorus_wait "$BASE" "$log"
}

chorus_stop() {
	kill -TERM "$CHORUS_PID"
	wait "$CHORUS_PID" || true
	CHORUS_PID=""
}

# The copy every server starts from: the two authors, their tokens, loud's
# key pair (made when its actor is first fetched; the sink caches it, so
# every server must have the same one), then the followers, put in with
# the server stopped.
step "authors, tokens and keys (a server on the copy to be seeded)"
SEEDED=$OUT/seeded
# an earlier run's files, settings included, would read as this run's
rm -rf "$SEEDED" "$OUT/work" "$OUT"/{bench-,chorus-,config-,pace,time-}* "$OUT/sink."*
build/chorus init --data "$SEEDED" >"$OUT/init.log" 2>&1 ||
	die "chorus init failed: $(tail -3 "$OUT/init.log")"
for who in loud quiet; do
	build/chorus user create "$who" --email "$who@example.com" \
		--password "$PASSWORD" --data "$SEEDED" >>"$OUT/init.log" 2>&1 ||
		die "user create $who failed: $(tail -3 "$OUT/init.log")"
done
ini "$OUT/seed.ini" 1
chorus_start "$SEEDED" "$OUT/seed.ini" "$OUT/chorus-seed.log"
LOUD_TOKEN=$(chorus_token "$BASE" loud "$PASSWORD")
QUIET_TOKEN=$(chorus_token "$BASE" quiet "$PASSWORD")
curl -fsS -o /dev/null -H 'Accept: application/activity+json' "$BASE/users/loud" ||
	die "GET /users/loud failed"
chorus_stop

step "$FOLLOWERS followers of loud on $SERVERS servers (SQL)"
"$PY" "$SINK_TOOL" seed --db "$SEEDED/chorus.db" --author loud \
	--servers "$SERVERS" --per-server "$FOLLOWERS_PER_SERVER" --port "$SINK_PORT"

step "the sink: $SERVERS servers on 127.1.x.y:$SINK_PORT"
"$PY" "$SINK_TOOL" serve --port "$SINK_PORT" --servers "$SERVERS" \
	--log "$OUT/sink.log" >"$OUT/sink.out" 2>&1 &
SINK_PID=$!
for _ in $(seq 1 40); do
	curl -fs -o /dev/null --max-time 1 "$SINK/stats" && break
	kill -0 "$SINK_PID" 2>/dev/null || die "the sink exited: $(tail -5 "$OUT/sink.out")"
	sleep 0.25
done
curl -fs -o /dev/null --max-time 1 "$SINK/stats" || die "the sink did not answer"

# ---- helpers for measuring ---------------------------------------------------

now_ms() { date +%s%3N; }
ticks_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# cpu_mark / cpu_since MARK: cores busy on average since MARK, chorus's
# and the sink's ("chorus sink")
cpu_mark() { echo "$(ticks_of "$CHORUS_PID") $(ticks_of "$SINK_PID") $(now_ms)"; }
cpu_since() {
	local c0 s0 t0 c1 s1 t1
	read -r c0 s0 t0 <<<"$1"
	read -r c1 s1 t1 <<<"$(cpu_mark)"
	awk -v c="$((c1 - c0))" -v s="$((s1 - s0))" -v ms="$((t1 - t0))" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN {
		printf "%.2f %.2f", c / hz / (ms / 1000), s / hz / (ms / 1000) }'
}

# sink_stat KEY: a total from the sink's /stats
sink_stat() { curl -fsS --max-time 5 "$SINK/stats" | json_get "$1"; }

# dbq SQL: the first row of SQL on the served database, read-only
dbq() {
	"$PY" - "$WORK/chorus.db" "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
print(" ".join(str(v) for v in db.execute(sys.argv[2]).fetchone()))
EOF
}

# field LINE KEY: KEY's value in a "key=value …" line
field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }
# median_max DECIMALS: "median max" of the numbers on stdin, one a line
median_max() {
	sort -n | awk -v d="$1" '{ v[NR] = $1 } END {
		if (!NR) { print "n/a n/a"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%." d "f %." d "f", m, v[NR] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# pace LOUD_TOKEN FILE: the paced posting, its report into FILE
pace() {
	timeout $((DURATION + 60)) "$PY" "$SINK_TOOL" pace --base "$BASE" \
		--quiet-token "$QUIET_TOKEN" --loud-token "$1" --rate "$RATE" \
		--seconds "$DURATION" --uris "$2.uris" >"$2"
}

# pace_row FILE WHO LABEL: a row of the posting table, and the line printed
pace_row() {
	local line n e p50 p99 max sched
	line=$(grep "^pace: $2 " "$1")
	n=$(field "$line" n)
	e=$(field "$line" errors)
	p50=$(field "$line" p50)
	p99=$(field "$line" p99)
	max=$(field "$line" max)
	sched=$(field "$line" p99_sched)
	echo "   $3: n $n, errors $e, p50 $p50 ms, p99 $p99 ms, max $max ms, p99 from due $sched ms" >&2
	echo "| $SETTING | $3 | $n | $e | $p50 | $p99 | $max | $sched |"
}

# ---- measuring ----------------------------------------------------------------

step "waiting for /tmp/bench.lock (another benchmark measuring?)"
exec 9>/tmp/bench.lock
flock 9

WORK=$OUT/work
ROWS_DELIVERY=""
ROWS_POST=""
ROWS_RATIO=""
ROWS_DRAIN=""
PROBLEMS=""
for setting in $WORKERS; do
	jobs_w=${setting%/*}
	deliv_w=""
	[ "$setting" = "$jobs_w" ] || deliv_w=${setting#*/}
	tag=w${setting//\//-}
	step "[jobs] workers = $jobs_w${deliv_w:+, delivery_workers = $deliv_w}: server on a fresh copy"
	rm -rf "$WORK"
	cp -a "$SEEDED" "$WORK"
	ini "$OUT/bench-$tag.ini" "$jobs_w" "$deliv_w"
	# what the server will run with (a key this chorus lacks is refused
	# here, before the server starts)
	build/chorus config --config "$OUT/bench-$tag.ini" >"$OUT/config-$tag.txt" 2>&1 ||
		die "chorus config: $(tail -3 "$OUT/config-$tag.txt")"
	eff_jobs=$(awk '/^\[/ { s = $0 } s == "[jobs]" && $1 == "workers" { print $3 }' "$OUT/config-$tag.txt")
	eff_deliv=$(awk '/^\[/ { s = $0 } s == "[federation]" && $1 == "delivery_workers" { print $3 }' "$OUT/config-$tag.txt")
	SETTING="$eff_jobs / ${eff_deliv:-–}"
	chorus_start "$WORK" "$OUT/bench-$tag.ini" "$OUT/chorus-$tag.log"
	followers=$(curl -fsS -H "Authorization: Bearer $LOUD_TOKEN" \
		"$BASE/api/v1/accounts/verify_credentials" | json_get followers_count)
	[ "$followers" = "$FOLLOWERS" ] || die "loud has $followers followers, not $FOLLOWERS"

	# one post of each, the loud one to every server: connections, caches
	# and the sink's copy of loud's key are warm before anything counts
	step "$tag warm-up: one post each, loud's to every server"
	warm=$("$PY" "$SINK_TOOL" time --base "$BASE" --token "$LOUD_TOKEN" \
		--sink "$SINK" --posts 1 --timeout 60)
	echo "   $warm"
	[ "$(field "$warm" hosts)" = "$SERVERS" ] || die "the warm-up post did not reach every server"
	curl -fsS -o /dev/null -H "Authorization: Bearer $QUIET_TOKEN" \
		--data-urlencode status=warm "$BASE/api/v1/statuses"
	wait_idle 60

	step "$tag b0. posting, no deliveries: quiet alone, $RATE/s for $DURATION s"
	pace "$QUIET_TOKEN" "$OUT/pace0-$tag.txt"
	# both connections post as quiet here: their latencies together
	ROWS_POST="$ROWS_POST$(pace_row "$OUT/pace0-$tag.txt" all "b0. quiet alone, no federation work")
"
	wait_idle 60

	step "$tag a. delivery: $POSTS posts by loud, one at a time"
	pairs0=$(sink_stat accepted)
	mark=$(cpu_mark)
	t0=$(now_ms)
	"$PY" "$SINK_TOOL" time --base "$BASE" --token "$LOUD_TOKEN" --sink "$SINK" \
		--posts "$POSTS" --timeout 120 | tee "$OUT/time-$tag.txt" | sed 's/^/   /'
	t1=$(now_ms)
	cpu_a=$(cpu_since "$mark")
	pairs1=$(sink_stat accepted)
	complete=$(grep -c "hosts=$SERVERS " "$OUT/time-$tag.txt" || true)
	read -r post_med post_max <<<"$(sed -n 's/.*post_ms=\(-\{0,1\}[0-9.]*\) .*/\1/p' "$OUT/time-$tag.txt" | median_max 1)"
	read -r first_med _ <<<"$(sed -n 's/.*first_ms=\(-\{0,1\}[0-9.]*\) .*/\1/p' "$OUT/time-$tag.txt" | median_max 1)"
	read -r all_med all_max <<<"$(sed -n 's/.*all_ms=\(-\{0,1\}[0-9.]*\) .*/\1/p' "$OUT/time-$tag.txt" | median_max 0)"
	rate_a=$(awk -v n="$((pairs1 - pairs0))" -v ms="$((t1 - t0))" 'BEGIN { printf "%.0f", n * 1000 / ms }')
	# chorus's CPU time per delivery: what a faster machine would divide
	cpu_per=$(awk -v c="${cpu_a% *}" -v r="$rate_a" 'BEGIN { printf "%.2f", (r > 0 ? c * 1000 / r : 0) }')
	echo "   every server had it after median $all_med ms, max $all_max ms ($complete of $POSTS complete);" \
		"$rate_a deliveries/s over the step; CPU cores busy (chorus, sink): $cpu_a;" \
		"chorus CPU per delivery $cpu_per ms"
	ROWS_DELIVERY="$ROWS_DELIVERY| $SETTING | $complete / $POSTS | $post_med / $post_max | $first_med | **$all_med** | $all_max | $rate_a | ${cpu_a// / \/ } | $cpu_per |
"
	wait_idle 60

	step "$tag b. posting with remote followers: loud and quiet in turn, $RATE/s for $DURATION s"
	pairs0=$(sink_stat accepted)
	mark=$(cpu_mark)
	pace "$LOUD_TOKEN" "$OUT/pace-$tag.txt"
	cpu_b=$(cpu_since "$mark")
	ended=$(sed -n 's/^pace: ended=//p' "$OUT/pace-$tag.txt")
	read -r backlog fanouts <<<"$(dbq "SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM fanouts)")"
	pairs1=$(sink_stat accepted)
	ROWS_POST="$ROWS_POST$(pace_row "$OUT/pace-$tag.txt" quiet "b. quiet (0 remote followers)")
"
	ROWS_POST="$ROWS_POST$(pace_row "$OUT/pace-$tag.txt" loud "b. loud ($FOLLOWERS remote followers)")
"
	q99=$(field "$(grep '^pace: quiet ' "$OUT/pace-$tag.txt")" p99)
	l99=$(field "$(grep '^pace: loud ' "$OUT/pace-$tag.txt")" p99)
	q50=$(field "$(grep '^pace: quiet ' "$OUT/pace-$tag.txt")" p50)
	l50=$(field "$(grep '^pace: loud ' "$OUT/pace-$tag.txt")" p50)
	b099=$(field "$(grep '^pace: all ' "$OUT/pace0-$tag.txt")" p99)
	echo "   loud / quiet: p50 $(ratio "$l50" "$q50"), p99 $(ratio "$l99" "$q99");" \
		"loud p99 / b0 p99 $(ratio "$l99" "$b099"); CPU cores busy (chorus, sink): $cpu_b;" \
		"$((pairs1 - pairs0)) deliveries made meanwhile"
	ROWS_RATIO="$ROWS_RATIO| $SETTING | $(ratio "$l50" "$q50") | $(ratio "$l99" "$q99") | $(ratio "$l99" "$b099") | ${cpu_b// / \/ } |
"

	step "$tag c. the backlog: $backlog deliveries and $fanouts fan-outs owed when posting stopped"
	loud_posts=$(wc -l <"$OUT/pace-$tag.txt.uris")
	drain=$("$PY" "$SINK_TOOL" drain --sink "$SINK" --uris "$OUT/pace-$tag.txt.uris" \
		--servers "$SERVERS" --timeout "$DRAIN_MAX")
	echo "   $drain"
	n_done=$(field "$drain" complete)
	last=$(field "$drain" last_done)
	missing=$(field "$drain" deliveries_missing)
	pairs2=$(sink_stat accepted)
	if [ "$n_done" = "$loud_posts" ]; then
		drained=$(awk -v a="$last" -v b="$ended" 'BEGIN { printf "%.1f", (a > b ? a - b : 0) }')
		# under a second is no rate worth quoting
		drain_rate=$(awk -v n="$((pairs2 - pairs1))" -v s="$drained" 'BEGIN {
			if (s >= 1) printf "%.0f", n / s; else printf "–" }')
		echo "   every server had every post $drained s after posting stopped ($drain_rate deliveries/s meanwhile)"
	else
		drained="**not within $DRAIN_MAX s**: $missing deliveries missing"
		drain_rate=$(awk -v n="$((pairs2 - pairs1))" -v s="$DRAIN_MAX" 'BEGIN { printf "%.0f", n / s }')
		PROBLEMS="$PROBLEMS- $SETTING: the backlog of (b) did not drain within $DRAIN_MAX s ($missing deliveries missing).
"
	fi
	ROWS_DRAIN="$ROWS_DRAIN| $SETTING | $loud_posts | $((loud_posts * SERVERS)) | $backlog + $fanouts fan-outs | $drained | $drain_rate |
"
	chorus_stop
	# what went wrong on chorus's side, from its log
	errs=$(grep -ciE 'error|dropped|fail' "$OUT/chorus-$tag.log" || true)
	if [ "$errs" -gt 0 ]; then
		PROBLEMS="$PROBLEMS- $SETTING: $errs error/dropped/fail lines in chorus-$tag.log, e.g. \`$(grep -iE 'error|dropped|fail' "$OUT/chorus-$tag.log" | head -1 | cut -c1-200)\`
"
	fi
done

flock -u 9

# what the sink refused or saw twice over the whole run
SINK_TOTALS=$(curl -fsS --max-time 5 "$SINK/stats")
for k in bad_signature bad_request wrong_host user_inbox not_found duplicate; do
	v=$(json_get "$k" <<<"$SINK_TOTALS")
	[ "$v" = 0 ] || PROBLEMS="$PROBLEMS- the sink counted $v $k (see sink.log)
"
done

# ---- results -------------------------------------------------------------------

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- src 2>/dev/null | head -1)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# Outgoing federation: one post to $FOLLOWERS remote followers on $SERVERS servers"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev${dirty:+ (with uncommitted changes)};" \
		"$(nproc) cores ($cpu); SQLite. Command:" \
		"\`SERVERS=$SERVERS FOLLOWERS_PER_SERVER=$FOLLOWERS_PER_SERVER POSTS=$POSTS RATE=$RATE" \
		"DURATION=$DURATION WORKERS=\"$WORKERS\" bench/fed_out.sh\`."
	echo "The $SERVERS servers are 127.1.x.y:$SINK_PORT, all one Python process" \
		"(bench/tools/fedsink.py) that verifies every delivery's signature, digest, date and Host;" \
		"each follower has a per-user inbox and its server's shared inbox: one delivery per server a post."
	echo "Settings are \"[jobs] workers / [federation] delivery_workers\" (– when chorus has no such key)."
	echo
	echo "**Delivery** (a): posts by loud one at a time; times from the POST's answer;" \
		"CPU = cores busy over the step (chorus / the sink):"
	echo
	echo "| setting | complete | POST ms median / max | first server ms (median) | every server ms (median) | every server ms (max) | deliveries/s | CPU chorus / sink | chorus CPU ms a delivery |"
	echo "|---|---:|---:|---:|---:|---:|---:|---|---:|"
	printf '%s' "$ROWS_DELIVERY"
	echo
	echo "**Posting** (b0, b): POST /api/v1/statuses at $RATE/s in all for $DURATION s, two" \
		"keep-alive connections taking turns; ms from sending to the answer (p99 from due: from" \
		"when it was due, which counts a slow answer's delay of the next). In b0 both connections" \
		"post as quiet, with no federation work anywhere; in b, loud's deliveries pile up and run meanwhile."
	echo
	echo "| setting | phase, author | n | errors | p50 ms | p99 ms | max ms | p99 from due ms |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	printf '%s' "$ROWS_POST"
	echo
	if [ $((RATE * DURATION / 2)) -lt 100 ]; then
		echo "(Under 100 posts an author, p99 is the slowest one: a single stall sets it.)"
		echo
	fi
	echo "| setting | loud / quiet p50 (b) | loud / quiet p99 (b) | loud p99 (b) / quiet p99 alone (b0) | CPU chorus / sink during b |"
	echo "|---|---:|---:|---:|---|"
	printf '%s' "$ROWS_RATIO"
	echo
	echo "**Backlog** (c): the deliveries loud's posts in (b) owed; drained = from the end of (b)" \
		"until the last server had the last post:"
	echo
	echo "| setting | loud's posts | deliveries | still owed when posting stopped | drained in s | deliveries/s while draining |"
	echo "|---|---:|---:|---:|---:|---:|"
	printf '%s' "$ROWS_DRAIN"
	echo
	if [ -n "$PROBLEMS" ]; then
		echo "Problems seen:"
		echo
		printf '%s' "$PROBLEMS"
	else
		echo "No problems seen: every delivery verified, none refused, none twice, no errors in chorus's logs."
	fi
	echo
	echo "Sink totals over the run: \`$SINK_TOTALS\`."
} >"$OUT/results.md"
echo
cat "$OUT/results.md"
echo
echo "(whole run $(($(date +%s) - RUN_START)) s)"
