#!/usr/bin/env bash
# bench/fed_in.sh — incoming federation: signed Create(Note) activities
# verified and stored per second, alone and with a tag timeline read load
# beside them (the issue's targets: ≥ 2 000/s, and the reads keep ≥ 0.8 of
# their speed without it).
#
#   bench/fed_in.sh            build, make what is missing, measure
#   bench/fed_in.sh --fresh    generate bench/run.sh's data set again first
#
# On a copy of bench/run.sh's data set, ACTORS remote actors on 4 fake
# hosts (127.0.0.1:39101…39104, where nothing listens) are put into the
# database with their public keys, as if chorus had fetched them, each
# followed by FOLLOWERS local accounts, so chorus never fetches anything
# and keeps every Note. bench/tools/fedsign.py signs ACTIVITIES deliveries
# of Create(Note) ahead of time (draft-cavage rsa-sha256, the way Mastodon
# signs), each tagged #movement: the tag the reads read, so the posts
# arriving are the ones the timeline shows (the harder case: every read
# sees a timeline that just changed). wrk replays them to POST /inbox
# (bench/fed_in.lua), each once. For each [jobs] workers in WORKERS, on a
# fresh copy and one server:
#   a. GET /api/v1/timelines/tag/movement alone;
#   b. deliveries alone: accepted (202) per second, and stored per second
#      (until the jobs have made the last one a status);
#   c. both at once: deliveries for DURATION + 2 s, the reads for DURATION
#      from 1 s in; the reads' rate against (a);
#   a'. the reads alone again (the drift of the machine over the run).
# The rates come from the server's clock: inbox_seen.received_at (when a
# delivery was accepted) and the ids of the statuses (when each was
# stored), read from the database read-only.
#
# Environment (defaults in brackets):
#   DURATION [10]  WARMUP [2]  seconds per measurement, and before the reads
#   ACTIVITIES [80000]  deliveries signed; each phase b and c has half
#   ACTORS [100]  FOLLOWERS [10]  remote actors, local followers of each
#   CONNECTIONS [16]  the sender's connections   READ_CONNECTIONS [32]
#   RATE [0]  deliveries offered per second (0: each connection sends the
#             next as soon as the last is answered); e.g. RATE=500 shows
#             what a moderate flow costs the reads
#   THREADS [1]  threads of each wrk (two wrk run at once in c)
#   WORKERS ["1 2"]  [jobs] workers settings measured, one server each
#   ACCOUNTS [1000]  STATUSES [100000]  (bench/run.sh's data set)
#   PORT [28100]  below the kernel's ephemeral ports (32768-60999 here),
#                 so no client connection of another program holds it
#   DRAIN_MAX [120]  seconds to wait for the jobs to finish
#   MAX_SECONDS [600]  hard bound on the whole run, waiting for the lock too
#
# The measuring holds flock /tmp/bench.lock, so two benchmarks on this
# machine never measure at once. Results: bench/out/fed_in/results.md (also
# printed); wrk's reports and chorus's logs beside it.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/fed_in

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ACTIVITIES=${ACTIVITIES:-80000}
ACTORS=${ACTORS:-100}
FOLLOWERS=${FOLLOWERS:-10}
CONNECTIONS=${CONNECTIONS:-16}
READ_CONNECTIONS=${READ_CONNECTIONS:-32}
THREADS=${THREADS:-1}
RATE=${RATE:-0}
WORKERS=${WORKERS:-1 2}
ACCOUNTS=${ACCOUNTS:-1000}
STATUSES=${STATUSES:-100000}
PORT=${PORT:-28100}
DRAIN_MAX=${DRAIN_MAX:-120}
MAX_SECONDS=${MAX_SECONDS:-600}

TARGET_RATE=2000
TARGET_READ_RATIO=0.8
HOSTS=127.0.0.1:39101,127.0.0.1:39102,127.0.0.1:39103,127.0.0.1:39104
PY=/usr/bin/python3 # the system's, with python3-cryptography

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_args 49 "$@"
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

now_ms() { date +%s%3N; }

# dbq SQL: the first row of SQL on the served database, read-only, its
# values separated by spaces (chorus keeps writing meanwhile: WAL mode lets
# a reader in)
dbq() {
	"$PY" - "$WORK/chorus.db" "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
row = db.execute(sys.argv[2]).fetchone()
print(" ".join("" if v is None else str(v) for v in row))
EOF
}

# the machine's busy and total CPU ticks (all cores), from /proc/stat
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }

[ $((ACTIVITIES / 2)) -ge "$THREADS" ] || die "ACTIVITIES too small"
"$PY" -c 'import cryptography' 2>/dev/null ||
	die "$PY lacks the cryptography module (apt-get install python3-cryptography)"

# ---- build, data, actors, signed deliveries --------------------------------

STEP_START=$(date +%s) # bench_build says "== build" itself
bench_build
# What is measured is a copy: a rebuild of build/chorus while this runs
# (someone's make) neither finds the file busy nor changes the binary
# between one setting and the next.
mkdir -p "$OUT"
CHORUS=$OUT/chorus
cp build/chorus "$CHORUS.tmp"
mv "$CHORUS.tmp" "$CHORUS"
"$CHORUS" --help >/dev/null || die "the copy of build/chorus does not run (rebuilt meanwhile? run again)"
export CHORUS_LOCALE_DIR=$ROOT/build/locale # found beside build/chorus

step "data set"
DATA=$ROOT/bench/out/data
INFO=$ROOT/bench/out/bench-data.txt
mkdir -p "$OUT"
bench_data_ensure "$DATA" "$ROOT/bench/out/bench-data.log" "$ACCOUNTS" "$STATUSES" "$FRESH"
TAG=$(info tag)
[ -n "$TAG" ] || die "no tag in $INFO"

# Key pairs take ~0.1 s each to make: kept across runs.
ACTORS_FILE=$OUT/actors-$ACTORS.json
step "$ACTORS remote actors and their keys"
if [ -s "$ACTORS_FILE" ]; then
	echo "   kept from an earlier run: $ACTORS_FILE"
else
	"$PY" bench/tools/fedsign.py actors --out "$ACTORS_FILE" \
		--count "$ACTORS" --hosts "$HOSTS"
fi

# The copy every server starts from: the data set at chorus's current
# schema (chorus init migrates it), plus the actors and their followers.
step "seeding a copy of the data set"
SEEDED=$OUT/seeded
rm -rf "$SEEDED" "$OUT/work"
cp -a "$DATA" "$SEEDED"
"$CHORUS" init --data "$SEEDED" >"$OUT/init.log" 2>&1 ||
	die "chorus init failed: $(tail -3 "$OUT/init.log")"
"$PY" bench/tools/fedsign.py seed --actors "$ACTORS_FILE" \
	--db "$SEEDED/chorus.db" --followers "$FOLLOWERS"

# Signing costs ~1 ms a delivery. A set signed for the same server, tag
# and actors within 6 hours is used again: chorus takes a signature's date
# up to 12 hours old, and each server here starts from a fresh copy, to
# which every activity id is new.
REQS=$OUT/requests.bin
META="activities=$ACTIVITIES port=$PORT tag=$TAG actors=$(basename "$ACTORS_FILE") $(stat -c %Y "$ACTORS_FILE")"
step "signing $ACTIVITIES deliveries"
if [ -s "$REQS" ] && [ "$(cat "$REQS.meta" 2>/dev/null)" = "$META" ] &&
	[ -n "$(find "$REQS" -mmin -360)" ]; then
	echo "   kept from an earlier run (signed $(stat -c %y "$REQS" | cut -d. -f1))"
else
	rm -f "$REQS.meta"
	"$PY" bench/tools/fedsign.py sign --actors "$ACTORS_FILE" --out "$REQS" \
		--count "$ACTIVITIES" --host "127.0.0.1:$PORT" --path /inbox --tag "$TAG"
	echo "$META" >"$REQS.meta"
fi
echo "   $(du -m "$REQS" | cut -f1) MB"

# ---- measuring ------------------------------------------------------------

step "waiting for /tmp/bench.lock (another benchmark measuring?)"
exec 9>/tmp/bench.lock
flock 9

port_busy "$PORT" && die "port $PORT is in use (set PORT)"
BASE=http://127.0.0.1:$PORT
READ_URL="$BASE/api/v1/timelines/tag/$TAG?limit=20"
WORK=$OUT/work
HALF=$((ACTIVITIES / 2))
rm -rf "$OUT/wrk"
mkdir -p "$OUT/wrk"

chorus_start() {
	local workers=$1
	rm -rf "$WORK"
	cp -a "$SEEDED" "$WORK"
	printf '[server]\naccess_log = false\n[jobs]\nworkers = %s\n[federation]\nallow_private_addresses = true\n' \
		"$workers" >"$OUT/bench-w$workers.ini"
	"$CHORUS" serve --config "$OUT/bench-w$workers.ini" --data "$WORK" \
		--port "$PORT" >"$OUT/chorus-w$workers.log" 2>&1 &
	CHORUS_PID=$!
	chorus_wait "$BASE" "$OUT/chorus-w$workers.log"
}

chorus_stop() {
	kill -TERM "$CHORUS_PID"
	wait "$CHORUS_PID" || true
	CHORUS_PID=""
}

# measured CMD…: run CMD (a wrk for DURATION), and halfway through note
# in SPLIT how chorus's threads share the connections (conn_split)
measured() {
	"$@" &
	local pid=$!
	sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')"
	SPLIT=$(conn_split)
	wait "$pid"
}

# read_run OUTFILE: the tag timeline read for DURATION (after a warm-up)
read_run() {
	if [ "$WARMUP" -gt 0 ]; then
		timeout $((WARMUP + 30)) wrk -t "$THREADS" -c "$READ_CONNECTIONS" \
			-d "${WARMUP}s" "$READ_URL" >/dev/null
	fi
	measured timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$READ_CONNECTIONS" \
		-d "${DURATION}s" --latency "$READ_URL" >"$1"
}

# send_run OUTFILE FIRST SECONDS: deliveries FIRST..FIRST+HALF-1, for at
# most SECONDS. The answers may be slow while the jobs catch up: only one
# slower than 30 s counts as an error.
send_run() {
	timeout $(($3 + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${3}s" \
		--timeout 30s --latency -s bench/fed_in.lua "$BASE/inbox" \
		-- "$REQS" "$2" "$HALF" "$THREADS" "$RATE" >"$1"
}

# drain: wait until the jobs have processed every delivery taken; prints
# the backlog found at the start, and how long the rest took (s)
drain() {
	local t0 backlog left
	t0=$(now_ms)
	backlog=$(dbq "SELECT count(*) FROM inbox_activities")
	left=$backlog
	while [ "$left" -gt 0 ]; do
		[ $(($(now_ms) - t0)) -lt $((DRAIN_MAX * 1000)) ] ||
			die "$left deliveries still unprocessed after $DRAIN_MAX s"
		sleep 0.2
		left=$(dbq "SELECT count(*) FROM inbox_activities")
	done
	echo "$backlog $(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')"
}

# server_rates T0 [R0 R1]: from the server's clock, for what arrived since
# T0 (ms): "accepted first_rx last_rx stored last_stored" and, with a
# window R0..R1 (ms), "accepted_in stored_in" within it
server_rates() {
	local t0=$1 r0=${2:-0} r1=${3:-0}
	dbq "SELECT
		(SELECT count(*) FROM inbox_seen WHERE received_at >= $t0),
		(SELECT min(received_at) FROM inbox_seen WHERE received_at >= $t0),
		(SELECT max(received_at) FROM inbox_seen WHERE received_at >= $t0),
		(SELECT count(*) FROM remote_statuses WHERE status_id >= ($t0 << 16)),
		(SELECT max(status_id) >> 16 FROM remote_statuses WHERE status_id >= ($t0 << 16)),
		(SELECT count(*) FROM inbox_seen WHERE received_at BETWEEN $r0 AND $r1),
		(SELECT count(*) FROM remote_statuses
		  WHERE status_id BETWEEN ($r0 << 16) AND ($r1 << 16))"
}

per_s() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0 ? n * 1000 / ms : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? a / b : 0 }'; }
# ge A B: A >= B, both numbers
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
yesno() { if "$@"; then echo yes; else echo "**no**"; fi; }
# fed_field FILE KEY: KEY of the sender's "fed_in: …" line
fed_field() { sed -n "s/^fed_in: .*\\b$2=\\([^ ]*\\).*/\\1/p" "$1"; }
# socket_errors FILE: wrk's connect, read, write and timeout errors (its
# non-2xx count would count again what fed_in.lua counts as not 202)
socket_errors() {
	awk '/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
	     END { print n + 0 }' "$1"
}

# cpu_mark / cpu_since MARK: chorus's CPU (cores busy on average) and the
# machine's (% of all cores busy) since MARK
cpu_mark() { echo "$(cpu_ticks) $(machine_ticks) $(now_ms)"; }
cpu_since() {
	local c0 b0 t0 w0 c1 b1 t1 w1
	read -r c0 b0 t0 w0 <<<"$1"
	read -r c1 b1 t1 w1 <<<"$(cpu_mark)"
	awk -v c0="$c0" -v b0="$b0" -v t0="$t0" -v w0="$w0" -v c1="$c1" -v b1="$b1" \
		-v t1="$t1" -v w1="$w1" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		printf "%.2f %.0f", (c1 - c0) / hz / ((w1 - w0) / 1000),
			(t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0) }'
}

# conn_split: how chorus's HTTP threads share the open connections now,
# e.g. "8 sending + 0 reading, 8 sending + 32 reading": a thread serves
# its connections a request at a time, so a reading connection on a
# thread with sending ones waits behind deliveries. Each thread has an
# epoll set of its own (/proc/PID/fdinfo lists its fds); the other end of
# a connection tells which wrk has it (the sender runs bench/fed_in.lua).
conn_split() {
	"$PY" - "$CHORUS_PID" "$PORT" <<'EOF' || true
import os, re, subprocess, sys
pid, port = sys.argv[1], sys.argv[2]
def ss(option, expression):
    return subprocess.run(["ss", "-tnH", option, "state", "established", expression],
                          capture_output=True, text=True).stdout.splitlines()
peer_of = {}  # our socket's inode -> the client's port
for line in ss("-e", f"( sport = :{port} )"):
    ino = re.search(r"ino:(\d+)", line)
    if ino:
        peer_of[ino.group(1)] = line.split()[3].rsplit(":", 1)[1]
kind_of = {}  # the client's port -> sending or reading
for line in ss("-p", f"( dport = :{port} )"):
    owner = re.search(r"pid=(\d+)", line)
    if owner:
        with open(f"/proc/{owner.group(1)}/cmdline", "rb") as f:
            sender = b"fed_in.lua" in f.read()
        kind_of[line.split()[2].rsplit(":", 1)[1]] = "sending" if sender else "reading"
parts = []
fds = f"/proc/{pid}/fd"
for fd in os.listdir(fds):
    try:
        if os.readlink(f"{fds}/{fd}") != "anon_inode:[eventpoll]":
            continue
        info = open(f"/proc/{pid}/fdinfo/{fd}").read().splitlines()
    except OSError:
        continue
    n = {"sending": 0, "reading": 0}
    for line in info:
        if not line.startswith("tfd:"):
            continue
        try:
            target = os.readlink(f"{fds}/{line.split()[1]}")
        except OSError:
            continue
        kind = kind_of.get(peer_of.get(target[8:-1]))
        if kind:
            n[kind] += 1
    if n["sending"] or n["reading"]:
        parts.append(f"{n['sending']} sending + {n['reading']} reading")
print(", ".join(parts) or "none seen")
EOF
}

# chorus's bytes written to disk so far (the WAL, then the checkpoints'
# copies into the database)
written_bytes() { awk '/^write_bytes:/ { print $2 }' "/proc/$CHORUS_PID/io"; }

# one_setting W: phases a, b, c, a' on a fresh server with W job workers;
# appends its rows to ROWS_READ and ROWS_FED
ROWS_READ=""
ROWS_FED=""
NOTES=""
MET_ALL=yes
one_setting() {
	local w=$1 pre=$OUT/wrk/w$1 mark t0 r0 r1 st
	step "[jobs] workers = $w: server on a fresh copy"
	chorus_start "$w"
	local far_before
	far_before=$(dbq "SELECT count(*) FROM remote_statuses")

	step "w=$w a. reads alone: GET $READ_URL"
	wait_idle 60
	mark=$(cpu_mark)
	read_run "$pre-read-alone.txt"
	local cpu_a read_a
	cpu_a=$(cpu_since "$mark")
	read_a=$(wrk_rps "$pre-read-alone.txt")
	echo "   $read_a req/s (p99 $(wrk_ms "$pre-read-alone.txt" 99) ms); chorus CPU, machine %: $cpu_a"
	echo "   connections of chorus's HTTP threads: $SPLIT"
	local split_a=$SPLIT

	step "w=$w b. deliveries alone: $HALF signed Create(Note) to POST /inbox"
	wait_idle 60
	local wb0 kb_b
	wb0=$(written_bytes)
	mark=$(cpu_mark)
	t0=$(now_ms)
	measured send_run "$pre-send-alone.txt" 0 "$DURATION"
	local split_b=$SPLIT
	local cpu_b dr_b
	cpu_b=$(cpu_since "$mark")
	dr_b=$(drain)
	local acc_b rx0_b rx1_b sto_b st1_b
	read -r acc_b rx0_b rx1_b sto_b st1_b _ _ <<<"$(server_rates "$t0")"
	local acc_rate_b sto_rate_b
	acc_rate_b=$(per_s "$acc_b" $((rx1_b - rx0_b)))
	sto_rate_b=$(per_s "$sto_b" $((st1_b - rx0_b)))
	local other_b exh_b
	other_b=$(($(fed_field "$pre-send-alone.txt" other) + $(socket_errors "$pre-send-alone.txt")))
	exh_b=$(fed_field "$pre-send-alone.txt" exhausted)
	kb_b=$(awk -v b=$(($(written_bytes) - wb0)) -v n="$acc_b" 'BEGIN { printf "%.0f", n ? b / n / 1024 : 0 }')
	echo "   accepted $acc_b in $((rx1_b - rx0_b)) ms: $acc_rate_b/s;" \
		"stored $sto_b, the last $((st1_b - rx0_b)) ms after the first arrived: $sto_rate_b/s"
	echo "   backlog when sending stopped ${dr_b% *}, processed in ${dr_b#* } s;" \
		"non-202 answers and socket errors: $other_b; p50/p99 $(wrk_ms "$pre-send-alone.txt" 50)/$(wrk_ms "$pre-send-alone.txt" 99) ms;" \
		"chorus CPU, machine %: $cpu_b; written to disk: $kb_b KB a delivery"
	local ms_b
	ms_b=$(awk -v c="${cpu_b% *}" -v r="$acc_rate_b" 'BEGIN { printf "%.2f", r ? c * 1000 / r : 0 }')
	echo "   chorus CPU a delivery (accepted and stored): $ms_b ms"
	echo "   connections of chorus's HTTP threads: $split_b"
	[ "$exh_b" = 0 ] || echo "   (all $HALF sent within $DURATION s: raise ACTIVITIES for a longer run)"

	step "w=$w c. deliveries ($((DURATION + 2)) s) with the reads ($DURATION s, from 1 s in)"
	wait_idle 60
	t0=$(now_ms)
	send_run "$pre-send-with.txt" "$HALF" $((DURATION + 2)) &
	st=$!
	sleep 1
	mark=$(cpu_mark)
	r0=$(now_ms)
	measured timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$READ_CONNECTIONS" \
		-d "${DURATION}s" --latency "$READ_URL" >"$pre-read-with.txt"
	r1=$(now_ms)
	local split_c=$SPLIT
	local cpu_c
	cpu_c=$(cpu_since "$mark")
	wait "$st"
	local dr_c
	dr_c=$(drain)
	local acc_c rx0_c rx1_c sto_c st1_c acc_in sto_in
	read -r acc_c rx0_c rx1_c sto_c st1_c acc_in sto_in <<<"$(server_rates "$t0" "$r0" "$r1")"
	local acc_rate_c sto_rate_c acc_in_rate sto_in_rate read_c
	acc_rate_c=$(per_s "$acc_c" $((rx1_c - rx0_c)))
	sto_rate_c=$(per_s "$sto_c" $((st1_c - rx0_c)))
	acc_in_rate=$(per_s "$acc_in" $((r1 - r0)))
	sto_in_rate=$(per_s "$sto_in" $((r1 - r0)))
	read_c=$(wrk_rps "$pre-read-with.txt")
	local other_c
	other_c=$(($(fed_field "$pre-send-with.txt" other) + $(socket_errors "$pre-send-with.txt")))
	local overlap=yes
	[ "$rx1_c" -ge "$r1" ] || overlap="**no**: the deliveries ran out $((r1 - rx1_c)) ms before the reads ended (raise ACTIVITIES)"
	echo "   reads $read_c req/s (p99 $(wrk_ms "$pre-read-with.txt" 99) ms);" \
		"during them accepted $acc_in_rate/s, stored $sto_in_rate/s"
	echo "   connections of chorus's HTTP threads: $split_c"
	echo "   over all: accepted $acc_c, $acc_rate_c/s; stored $sto_c, $sto_rate_c/s;" \
		"backlog ${dr_c% *}, processed in ${dr_c#* } s; non-202 and errors: $other_c;" \
		"chorus CPU, machine %: $cpu_c; deliveries for all of the reads: $overlap"

	step "w=$w a'. reads alone again"
	wait_idle 60
	read_run "$pre-read-after.txt"
	local read_a2 read_mean read_ratio
	read_a2=$(wrk_rps "$pre-read-after.txt")
	local split_a2=$SPLIT
	read_mean=$(awk -v a="$read_a" -v b="$read_a2" 'BEGIN { printf "%.0f", (a + b) / 2 }')
	read_ratio=$(ratio "$read_c" "$read_mean")
	echo "   $read_a2 req/s; with deliveries / alone (mean of a and a'): $read_ratio"
	echo "   connections of chorus's HTTP threads: $split_a2"
	NOTES="$NOTES- workers = $w: deliveries alone cost $ms_b ms of chorus CPU and $kb_b KB written to disk each. Connections on each of chorus's HTTP threads, halfway through: a. $split_a; b. $split_b; c. $split_c; a'. $split_a2.
"

	# what was kept: every accepted Create is a status, every answer a 202
	local far_total far_statuses sent_total
	far_total=$(dbq "SELECT count(*) FROM remote_statuses")
	far_statuses=$((far_total - far_before))
	sent_total=$((acc_b + acc_c))
	local top
	top=$(curl -fsS "$BASE/api/v1/timelines/tag/$TAG?limit=1" |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["account"]["acct"])')
	echo "   statuses stored: $far_statuses of $sent_total accepted; newest on #$TAG by $top"
	chorus_stop
	# a refused delivery, a failed job or a fetch (none should happen:
	# every key is kept) is logged
	local log_re='^[^ ]+ (warn|error) |inbox refused' log_lines
	log_lines=$(grep -cE "$log_re" "$OUT/chorus-w$w.log" || true)
	echo "   chorus log: $log_lines warnings, errors and refusals (in $OUT/chorus-w$w.log)"
	grep -E "$log_re" "$OUT/chorus-w$w.log" | head -3 | sed 's/^/   | /' || true

	# verified and stored: the lower of the two rates is what lasts
	local ok_rate ok_ratio ok_kept sustained
	sustained=$(awk -v a="$acc_in_rate" -v b="$sto_in_rate" 'BEGIN { print (a < b ? a : b) }')
	ok_rate=$(yesno ge "$sustained" "$TARGET_RATE")
	ok_ratio=$(yesno ge "$read_ratio" "$TARGET_READ_RATIO")
	ok_kept=$(yesno test "$far_statuses.$((other_b + other_c))" = "$sent_total.0")
	[ "$ok_rate$ok_ratio$ok_kept" = yesyesyes ] && [ "$overlap" = yes ] || MET_ALL=no
	ROWS_FED="$ROWS_FED| $w | alone | $acc_b | $acc_rate_b | $sto_rate_b | – | – | ${dr_b% *} | ${dr_b#* } | $other_b | $cpu_b |
| $w | with reads | $acc_c | $acc_rate_c | $sto_rate_c | $acc_in_rate | $sto_in_rate | ${dr_c% *} | ${dr_c#* } | $other_c | $cpu_c |
"
	ROWS_READ="$ROWS_READ| $w | $read_a | $read_a2 | $read_c | $read_ratio | $(wrk_ms "$pre-read-alone.txt" 99) | $(wrk_ms "$pre-read-with.txt" 99) | $cpu_a | $cpu_c | ≥ $TARGET_RATE/s accepted and stored with reads: $ok_rate; reads ≥ $TARGET_READ_RATIO: $ok_ratio; all kept, all 202: $ok_kept; overlap: ${overlap%%:*} |
"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for w in $WORKERS; do
	one_setting "$w"
done
flock -u 9
step "results"

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- src 2>/dev/null | head -1)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# Incoming federation: Create(Note) deliveries, and tag reads beside them"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev${dirty:+ (with uncommitted changes in src/)};" \
		"$(nproc) cores ($cpu), loopback, SQLite; load average at the start $LOAD_START," \
		"at the end $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "Command: \`ACTIVITIES=$ACTIVITIES ACTORS=$ACTORS FOLLOWERS=$FOLLOWERS DURATION=$DURATION" \
		"CONNECTIONS=$CONNECTIONS READ_CONNECTIONS=$READ_CONNECTIONS THREADS=$THREADS RATE=$RATE" \
		"WORKERS=\"$WORKERS\" bench/fed_in.sh\`. Data set: $(info accounts) accounts, $(info statuses)" \
		"statuses, plus $ACTORS remote actors on 4 hosts, each followed by $FOLLOWERS local accounts." \
		"Each delivery: one signed POST /inbox (draft-cavage rsa-sha256 over (request-target) host date digest," \
		"RSA-2048 keys kept in the database), a Mastodon-shaped Create(Note) of $(head -c 20000 "$REQS" | sed -n 's/^Content-Length: //p' | head -1 | tr -d '\r') bytes," \
		"public, tagged #$TAG. wrk: $THREADS thread(s) each, $CONNECTIONS connections sending" \
		"($([ "$RATE" = 0 ] && echo "each the next as soon as one is answered" || echo "$RATE/s offered")),"  \
		"$READ_CONNECTIONS reading GET /api/v1/timelines/tag/$TAG?limit=20; ${DURATION} s per measurement."
	echo
	echo "Deliveries (rates from the server's clock: accepted = 202s over first to last arrival;" \
		"stored = statuses made by the jobs, over first arrival to last status; \"during reads\" = within" \
		"the reads' ${DURATION} s window of c.; backlog = deliveries accepted but not yet processed" \
		"when sending stopped; CPU = chorus's cores busy, and the machine's % busy, wrk included):"
	echo
	echo "| jobs workers | phase | accepted | accepted/s | stored/s | accepted/s during reads | stored/s during reads | backlog | drained in s | non-202 + errors | CPU chorus cores, machine % |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	printf '%s' "$ROWS_FED"
	echo
	printf '%s' "$NOTES"
	echo
	echo "Tag timeline reads (req/s):"
	echo
	echo "| jobs workers | alone (a) | alone after (a') | with deliveries (c) | c / mean(a, a') | p99 ms alone | p99 ms with | CPU alone | CPU with | targets |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
	printf '%s' "$ROWS_READ"
	echo
	echo "All targets met: $MET_ALL (≥ $TARGET_RATE deliveries stored per second while the reads run," \
		"reads ≥ $TARGET_READ_RATIO of their rate alone, every delivery answered 202 and stored)."
} >"$OUT/results.md"
echo
cat "$OUT/results.md"
echo
echo "(whole run $(($(date +%s) - RUN_START)) s)"
