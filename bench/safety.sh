#!/usr/bin/env bash
# bench/safety.sh — what a reader's blocks and mutes cost on every read.
#
#   bench/safety.sh [BINARY]     BINARY defaults to build/chorus (built first)
#
# Issue 12: the visibility and filter checks run on every read. This serves
# BINARY on two copies of bench/run.sh's data set at once:
#   plain    untouched;
#   guarded  the data set's user (the reader) blocks 1 000 and mutes 1 000
#            of 2 000 extra accounts that never post (written with sqlite3
#            while no server has the copy open), and blocks 5 and mutes 5
#            real accounts that appear in the reads measured (through the
#            API, so a block ends its follows as it would for a user).
#            It also has 50 filters of 4 keywords (every context, warn),
#            keywords no post holds: the cost of matching, not of showing.
# and measures with wrk the same reads, signed in as that user, on both,
# alternating which goes first: the home and tag timelines, the thread
# (GET /api/v1/statuses/:id/context: the big thread and a deep reply chain)
# and the signed-in web page of the big thread.
# Reported per read: the median req/s of each, guarded/plain (target ≥ 0.8)
# and p99. The guarded reader sees a little less (what the real blocks and
# mutes hide): the output says how much.
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [5]  WARMUP [1]  CONNECTIONS [32]  THREADS [2]
#   WRK_TIMEOUT [10s]  ACCOUNTS [1000]  STATUSES [100000]
#   ENDPOINTS  a subset, space-separated, of [home tag context context_deep
#              page_thread]: context is the data set's big thread (4 096
#              statuses, 7 MB of JSON), context_deep its 50-deep reply chain
#   CONTEXT_CONNECTIONS [2]  wrk's connections for context: with many more,
#              chorus turns most of those 7 MB replies away (503: its
#              max_output_bytes of replies waiting for their clients)
#   PLAIN_PORT [38096]  GUARDED_PORT [38097]
#   BUILD [1 without BINARY, else 0]  0 skips `make`
#   MAX_SECONDS [300 + ROUNDS * 2 * (number of ENDPOINTS) * (DURATION + WARMUP + 10)]
#
# Results go to bench/out/safety-results.md (also printed); raw wrk output,
# the two copies and the servers' logs to bench/out/safety/. The data set in
# bench/out/data stays pristine.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out

case ${1:-} in
-h | --help)
	awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac
[ $# -le 1 ] || {
	echo "safety.sh: one binary at most (try --help)" >&2
	exit 2
}

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
ACCOUNTS=${ACCOUNTS:-1000}
STATUSES=${STATUSES:-100000}
ENDPOINTS=${ENDPOINTS:-home tag context context_deep page_thread}
CONTEXT_CONNECTIONS=${CONTEXT_CONNECTIONS:-2}
PLAIN_PORT=${PLAIN_PORT:-38096}
GUARDED_PORT=${GUARDED_PORT:-38097}
if [ $# -eq 1 ]; then BUILD=${BUILD:-0}; else BUILD=${BUILD:-1}; fi
NENDPOINTS=$(wc -w <<<"$ENDPOINTS")
MAX_SECONDS=${MAX_SECONDS:-$((300 + ROUNDS * 2 * NENDPOINTS * (DURATION + WARMUP + 10)))}

# The issue's target: guarded req/s at least this fraction of plain.
TARGET_RATIO=0.8
# What the guarded reader gets on top of the real accounts.
EXTRA_ACCOUNTS=2000
EXTRA_BLOCKS=1000
EXTRA_MUTES=1000
REAL_BLOCKS=5
REAL_MUTES=5

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_bound "$@"

scripts/deps.sh bench # wrk, nginx, the sqlite3 shell

if [ "$BUILD" = 1 ]; then
	echo "== build"
	make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
BIN_GIVEN=$(realpath "${1:-build/chorus}")
[ -x "$BIN_GIVEN" ] || die "no chorus binary at $BIN_GIVEN"

DATA=$OUT/data
INFO=$OUT/bench-data.txt
mkdir -p "$OUT"
[ -x build/chorus ] || [ -f "$DATA/.bench-complete" ] ||
	die "no build/chorus to generate the data set with (make, or BUILD=1)"
bench_data_ensure "$DATA" "$OUT/bench-data.log" "$ACCOUNTS" "$STATUSES" 0
STATUS_ID=$(info status_id)
DEEP_ID=$(info deep_status_id)
USER_NAME=$(info user)
USER_PASS=$(info password)
TAG=$(info tag)
[ -n "$STATUS_ID" ] || die "no ids in $INFO"

SAFETY=$OUT/safety
rm -rf "$SAFETY"
mkdir -p "$SAFETY/wrk" "$SAFETY/bodies"
# both servers run these very bytes, even if the build is replaced meanwhile
BIN=$SAFETY/chorus
cp "$BIN_GIVEN" "$BIN"
PLAIN=$SAFETY/plain
GUARDED=$SAFETY/guarded
for copy in "$PLAIN" "$GUARDED"; do
	cp -a "$DATA" "$copy"
	# the schema this binary wants (blocks and mutes came with 15)
	"$BIN" init --data "$copy" >>"$SAFETY/init.log" 2>&1 ||
		die "chorus init failed: $(tail -3 "$SAFETY/init.log")"
done
printf '[server]\naccess_log = false\n' >"$SAFETY/bench.ini"

sql() { sqlite3 -bail "$GUARDED/chorus.db"; }
count() { sqlite3 -readonly "$GUARDED/chorus.db" "$1"; }

# ---- the guarded reader's data ----------------------------------------------

READER_ID=$(sqlite3 -readonly "$PLAIN/chorus.db" \
	"SELECT id FROM accounts WHERE username_key = lower('$USER_NAME')
	 AND domain IS NULL")
[ -n "$READER_ID" ] || die "no account $USER_NAME in the data set"

# EXTRA_ACCOUNTS accounts that never post; the reader blocks the first
# EXTRA_BLOCKS and mutes the next EXTRA_MUTES, for good. Ids are time-sortable
# (core/id.h: milliseconds << 16 | sequence): these are minted from now (or
# above anything already there), one range each, so none collides.
# The trigger that indexes a new account for search needs chorus's own
# tokenizer, which the sqlite3 shell lacks: it is dropped for the insert and
# put back as it was, so these accounts alone are missing from the account
# search (no read measured here searches).
echo "== guarded: $EXTRA_ACCOUNTS accounts, $EXTRA_BLOCKS blocks, $EXTRA_MUTES mutes"
SEARCH_TRIGGER=$(sqlite3 -readonly "$GUARDED/chorus.db" \
	"SELECT sql FROM sqlite_master WHERE type = 'trigger'
	 AND name = 'account_search_insert'")
sql <<SQL
BEGIN;
DROP TRIGGER IF EXISTS account_search_insert;
CREATE TEMP TABLE base AS SELECT max(
	CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 65536,
	(SELECT coalesce(max(id), 0) FROM accounts),
	(SELECT coalesce(max(id), 0) FROM blocks),
	(SELECT coalesce(max(id), 0) FROM mutes)) + 1 AS id;
CREATE TEMP TABLE n AS WITH RECURSIVE seq(i) AS
	(SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $EXTRA_ACCOUNTS)
	SELECT i FROM seq;
INSERT INTO accounts (id, username, username_key, display_name, created_at)
	SELECT (SELECT id FROM base) + i, printf('safety%04d', i),
	       printf('safety%04d', i), printf('Safety %d', i),
	       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
	FROM n;
INSERT INTO blocks (id, account_id, target_id)
	SELECT (SELECT id FROM base) + $EXTRA_ACCOUNTS + i, $READER_ID,
	       (SELECT id FROM base) + i
	FROM n WHERE i <= $EXTRA_BLOCKS;
INSERT INTO mutes (id, account_id, target_id, notifications, expires_at)
	SELECT (SELECT id FROM base) + $EXTRA_ACCOUNTS + i, $READER_ID,
	       (SELECT id FROM base) + i, 1, NULL
	FROM n WHERE i > $EXTRA_BLOCKS AND i <= $EXTRA_BLOCKS + $EXTRA_MUTES;
${SEARCH_TRIGGER:+$SEARCH_TRIGGER;}
COMMIT;
SQL
got=$(count "SELECT (SELECT count(*) FROM accounts WHERE username_key
	LIKE 'safety%') || ' ' || (SELECT count(*) FROM blocks WHERE
	account_id = $READER_ID) || ' ' || (SELECT count(*) FROM mutes WHERE
	account_id = $READER_ID)")
[ "$got" = "$EXTRA_ACCOUNTS $EXTRA_BLOCKS $EXTRA_MUTES" ] ||
	die "guarded copy: expected $EXTRA_ACCOUNTS $EXTRA_BLOCKS $EXTRA_MUTES accounts, blocks, mutes; got $got"

# add_filters: the guarded reader's 50 filters (every context, "warn") of 4
# keywords each, 200 in all, written while no server has the copy open;
# the server folds them when it first reads the reader's rules. Words no
# post of the data set holds, half of them whole-word: what is measured is
# matching every status read against 200 keywords, not rendering matches.
FILTERS=50
KEYWORDS_PER_FILTER=4
add_filters() {
	sql <<SQL
BEGIN;
WITH RECURSIVE f(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM f
	WHERE i < $FILTERS)
INSERT INTO filters (account_id, title, contexts, action, expires_at)
	SELECT $READER_ID, printf('filter %d', i), 31, 0, NULL FROM f;
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k
	WHERE i < $FILTERS * $KEYWORDS_PER_FILTER - 1),
fs AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM filters
	WHERE account_id = $READER_ID)
INSERT INTO filter_keywords (filter_id, keyword, whole_word)
	SELECT fs.id, printf('qx%dzv', k.i), k.i % 2
	FROM k JOIN fs ON fs.n = k.i / $KEYWORDS_PER_FILTER;
COMMIT;
SQL
	local got
	got=$(count "SELECT (SELECT count(*) FROM filters WHERE account_id =
		$READER_ID) || ' ' || (SELECT count(*) FROM filter_keywords
		JOIN filters f ON f.id = filter_id WHERE f.account_id =
		$READER_ID)")
	[ "$got" = "$FILTERS $((FILTERS * KEYWORDS_PER_FILTER))" ] ||
		die "guarded copy: expected $FILTERS filters and" \
			"$((FILTERS * KEYWORDS_PER_FILTER)) keywords; got $got"
}
echo "== guarded: $FILTERS filters, $((FILTERS * KEYWORDS_PER_FILTER)) keywords"
add_filters

# ---- the two servers ----------------------------------------------------------

# with_pid PID CMD…: run CMD (wait_idle, chorus_wait) for that server
with_pid() {
	local CHORUS_PID=$1
	shift
	"$@"
}

# the two servers' pids, base URLs, tokens and web session cookies
declare -A PID BASE TOKEN COOKIE

# start NAME PORT: serve the copy NAME. CHORUS_PID lists both servers, so
# that the EXIT trap stops them.
start() {
	local name=$1 port=$2
	port_busy "$port" && die "port $port is in use (set ${name^^}_PORT)"
	"$BIN" serve --config "$SAFETY/bench.ini" --data "$SAFETY/$name" \
		--port "$port" >"$SAFETY/$name-chorus.log" 2>&1 &
	PID[$name]=$!
	CHORUS_PID="$CHORUS_PID ${PID[$name]}"
	BASE[$name]=http://127.0.0.1:$port
	with_pid "${PID[$name]}" chorus_wait "${BASE[$name]}" \
		"$SAFETY/$name-chorus.log"
}
start plain "$PLAIN_PORT"
start guarded "$GUARDED_PORT"

# web_cookie BASE: sign in on the web form (CSRF cookie and field, then the
# login) and print the Cookie header value a browser would send after it.
web_cookie() {
	local base=$1 jar form csrf code
	jar=$(mktemp "$SAFETY/jar.XXXXXX")
	form=$(curl -fsS --max-time 10 -c "$jar" "$base/auth/sign_in")
	csrf=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' <<<"$form")
	[ -n "$csrf" ] || die "no CSRF field on $base/auth/sign_in"
	code=$(curl -sS --max-time 30 -b "$jar" -c "$jar" -o /dev/null \
		-w '%{http_code}' --data-urlencode "csrf_token=$csrf" \
		--data-urlencode "username=$USER_NAME" \
		--data-urlencode "password=$USER_PASS" "$base/auth/sign_in")
	[ "$code" = 302 ] || [ "$code" = 303 ] ||
		die "web sign-in on $base answered $code"
	awk '$6 ~ /^chorus_(session|csrf)$/ { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar"
	rm -f "$jar"
}
for name in plain guarded; do
	TOKEN[$name]=$(chorus_token "${BASE[$name]}" "$USER_NAME" "$USER_PASS")
	COOKIE[$name]=$(web_cookie "${BASE[$name]}")
	grep -q chorus_session <<<"${COOKIE[$name]}" ||
		die "no session cookie from the $name server"
done

# the status's web page: its url, without the scheme and host
curl -fsS --max-time 10 -o "$SAFETY/bodies/status.json" \
	"${BASE[plain]}/api/v1/statuses/$STATUS_ID"
THREAD_PAGE=$(json_get url <"$SAFETY/bodies/status.json" | sed 's|^[a-z]*://[^/]*||')

path_of() {
	case $1 in
	home) echo "/api/v1/timelines/home?limit=20" ;;
	tag) echo "/api/v1/timelines/tag/$TAG?limit=20" ;;
	context) echo "/api/v1/statuses/$STATUS_ID/context" ;;
	context_deep) echo "/api/v1/statuses/$DEEP_ID/context" ;;
	page_thread) echo "$THREAD_PAGE" ;;
	*) die "unknown endpoint $1" ;;
	esac
}
# connections_of NAME: wrk's -c for that read
connections_of() {
	if [ "$1" = context ]; then echo "$CONTEXT_CONNECTIONS"; else echo "$CONNECTIONS"; fi
}
# auth_of NAME SERVER: the header that signs the read in on that server
auth_of() {
	case $1 in
	page_*) echo "Cookie: ${COOKIE[$2]}" ;;
	*) echo "Authorization: Bearer ${TOKEN[$2]}" ;;
	esac
}
for name in $ENDPOINTS; do path_of "$name" >/dev/null; done

# save SERVER TAG: every endpoint's body, as the reader gets it, to
# bodies/SERVER-NAME-TAG
save() {
	local server=$1 tag=$2 name code f
	for name in $ENDPOINTS home tag context; do
		f=$SAFETY/bodies/$server-$name-$tag
		[ -f "$f" ] && continue
		code=$(curl -sS --max-time 30 -H "$(auth_of "$name" "$server")" \
			-o "$f" -w '%{http_code}' "${BASE[$server]}$(path_of "$name")")
		[ "$code" = 200 ] || die "$server: GET $(path_of "$name") answered $code"
	done
}
save plain before

# ---- the real blocks and mutes: accounts the reads show -----------------------

# Round robin over the authors of the plain reader's home timeline, tag
# timeline and thread (its first 40 replies), newest or first shown first;
# never the reader, nor the author of a thread measured (that would hide
# the whole thread).
echo "== guarded: $REAL_BLOCKS blocks and $REAL_MUTES mutes of accounts the reads show"
author_id() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["account"]["id"])'; }
NEVER="$READER_ID $(author_id <"$SAFETY/bodies/status.json")"
if [[ " $ENDPOINTS " = *" context_deep "* ]]; then
	NEVER="$NEVER $(curl -fsS --max-time 10 \
		"${BASE[plain]}/api/v1/statuses/$DEEP_ID" | author_id)"
fi
PICKS=$(/usr/bin/python3 - "$SAFETY/bodies" "$NEVER" \
	$((REAL_BLOCKS + REAL_MUTES)) <<'PY'
import json, sys
bodies, never, want = sys.argv[1], set(sys.argv[2].split()), int(sys.argv[3])
load = lambda name: json.load(open(f"{bodies}/plain-{name}-before"))
lists = [[s["account"]["id"] for s in load("home")],
         [s["account"]["id"] for s in load("tag")],
         [s["account"]["id"] for s in load("context")["descendants"][:40]]]
picks = []
while len(picks) < want and any(lists):
    for lst in lists:
        while lst and (lst[0] in never or lst[0] in picks):
            lst.pop(0)
        if lst and len(picks) < want:
            picks.append(lst.pop(0))
print(" ".join(picks))
PY
)
[ "$(wc -w <<<"$PICKS")" = $((REAL_BLOCKS + REAL_MUTES)) ] ||
	die "found only these accounts to block and mute: $PICKS"
i=0
REAL_BLOCKED="" REAL_MUTED=""
for id in $PICKS; do
	# alternate, so that each rule meets accounts from every read
	if [ $((i % 2)) = 0 ] && [ "$(wc -w <<<"$REAL_BLOCKED")" -lt "$REAL_BLOCKS" ] ||
		[ "$(wc -w <<<"$REAL_MUTED")" -ge "$REAL_MUTES" ]; then
		what=block field=blocking REAL_BLOCKED="$REAL_BLOCKED $id"
	else
		what=mute field=muting REAL_MUTED="$REAL_MUTED $id"
	fi
	curl -fsS --max-time 10 -X POST -H "$(auth_of home guarded)" \
		"${BASE[guarded]}/api/v1/accounts/$id/$what" | json_get "$field" |
		grep -qx True || die "POST /api/v1/accounts/$id/$what did not take"
	i=$((i + 1))
done
BLOCKS=$(count "SELECT count(*) FROM blocks WHERE account_id = $READER_ID")
MUTES=$(count "SELECT count(*) FROM mutes WHERE account_id = $READER_ID")
GUARDED_ACCOUNTS=$(count "SELECT count(*) FROM accounts")
STATUS_COUNT=$(count "SELECT count(*) FROM statuses")
PLAIN_ACCOUNTS=$(sqlite3 -readonly "$PLAIN/chorus.db" "SELECT count(*) FROM accounts")
[ "$BLOCKS $MUTES" = "$((EXTRA_BLOCKS + REAL_BLOCKS)) $((EXTRA_MUTES + REAL_MUTES))" ] ||
	die "guarded copy: the reader has $BLOCKS blocks and $MUTES mutes"
echo "   the reader blocks $BLOCKS accounts, mutes $MUTES; $GUARDED_ACCOUNTS accounts in all"

# What the guarded reader does not see, from the same reads (after the
# real blocks and mutes; a block also ended the reader's follows of it).
save plain after
save guarded after
HIDDEN=$(/usr/bin/python3 - "$SAFETY/bodies" "$REAL_BLOCKED $REAL_MUTED" \
	"$ENDPOINTS" <<'PY'
import json, re, sys
bodies, hidden = sys.argv[1], set(sys.argv[2].split())
def read(server, name):
    return open(f"{bodies}/{server}-{name}-after").read()
def statuses(server, name):
    j = json.loads(read(server, name))
    return j if isinstance(j, list) else j["ancestors"] + j["descendants"]
def by_hidden(ss):
    return sum(1 for s in ss if s["account"]["id"] in hidden or
               (s.get("reblog") or {}).get("account", {}).get("id") in hidden)
for name in sys.argv[3].split():
    if name.startswith("page_"):
        ids = lambda server: re.findall(r'<article[^>]* data-id="(\d+)"',
                                        read(server, name))
        p, g = ids("plain"), ids("guarded")
        print(f"{name}: {len(p)} posts for plain, {len(g)} for guarded;"
              f" {len(set(p) - set(g))} of plain's not on guarded's page")
        continue
    p, g = statuses("plain", name), statuses("guarded", name)
    print(f"{name}: {len(p)} statuses for plain, {by_hidden(p)} of them by"
          f" the accounts blocked or muted; {len(g)} for guarded,"
          f" {by_hidden(g)} by them;"
          f" {len({s['id'] for s in p} - {s['id'] for s in g})}"
          " of plain's not in guarded's")
PY
)
awk '{ print "   " $0 }' <<<"$HIDDEN"

# ---- measuring -----------------------------------------------------------------

# run SERVER NAME ROUND: wrk on that read of that server, both servers idle
# first; raw output in wrk/SERVER-NAME-ROUND.txt
run() {
	local server=$1 name=$2 round=$3 url hdr c t
	url=${BASE[$server]}$(path_of "$name")
	hdr=$(auth_of "$name" "$server")
	c=$(connections_of "$name")
	t=$((THREADS < c ? THREADS : c)) # wrk wants no more threads than connections
	with_pid "${PID[plain]}" wait_idle
	with_pid "${PID[guarded]}" wait_idle
	if [ "$WARMUP" -gt 0 ]; then
		timeout $((WARMUP + 30)) wrk -t "$t" -c "$c" \
			-d "${WARMUP}s" --timeout "$WRK_TIMEOUT" -H "$hdr" "$url" \
			>/dev/null
		with_pid "${PID[plain]}" wait_idle
		with_pid "${PID[guarded]}" wait_idle
	fi
	timeout $((DURATION + 30)) wrk -t "$t" -c "$c" \
		-d "${DURATION}s" --timeout "$WRK_TIMEOUT" --latency -H "$hdr" \
		"$url" >"$SAFETY/wrk/$server-$name-$round.txt"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$ROUNDS"); do
	if [ $((round % 2)) = 1 ]; then order="plain guarded"; else order="guarded plain"; fi
	for name in $ENDPOINTS; do
		for server in $order; do
			echo "== round $round: $name, $server"
			run "$server" "$name" "$round"
		done
	done
done

# requests/s, to a tenth under 100 (the big thread's context makes a few a
# second, where whole numbers would blur the ratio)
rps() { awk '/^Requests\/sec:/ { printf($2 < 100 ? "%.1f" : "%.0f", $2) }' "$1"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# each WHAT SERVER NAME: one value per round (rps, p99 or errors), one a line
each() {
	local f
	for f in "$SAFETY/wrk/$2-$3"-*.txt; do
		case $1 in
		rps) rps "$f" ;;
		p99) wrk_ms "$f" 99 ;;
		errors) wrk_errors "$f" ;;
		esac
		echo
	done | grep .
}
ge() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) exit 1
		exit !(a + 0 >= b + 0)
	}'
}
yesno() { if "$@"; then echo yes; else echo "**no**"; fi; }

ROWS=""
MET_ALL=yes
for name in $ENDPOINTS; do
	p=$(each rps plain "$name" | tr '\n' ' ')
	g=$(each rps guarded "$name" | tr '\n' ' ')
	pm=$(each rps plain "$name" | median)
	gm=$(each rps guarded "$name" | median)
	pp=$(each p99 plain "$name" | median)
	gp=$(each p99 guarded "$name" | median)
	errs=$(each errors plain "$name" | awk '{ n += $1 } END { print n + 0 }')/$(each errors guarded "$name" | awk '{ n += $1 } END { print n + 0 }')
	ratio=$(awk -v a="$gm" -v b="$pm" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
	ok=$(yesno ge "$ratio" "$TARGET_RATIO")
	[ "$ok" = yes ] || MET_ALL=no
	ROWS="$ROWS| $name: GET $(path_of "$name") (-c$(connections_of "$name")) | $p| $g| $pm | $gm | $ratio | $ok | $pp | $gp | $errs |
"
done

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# Safety rules on every read: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Binary $BIN_GIVEN (bench commit $rev); $(nproc) cores ($cpu), loopback;" \
		"both servers up side by side, each read measured on one then the other," \
		"the order alternating by round; $ROUNDS rounds, wrk -t$THREADS" \
		"-c$CONNECTIONS (context: -c$CONTEXT_CONNECTIONS) ${DURATION} s after ${WARMUP} s warm-up; load average at" \
		"the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "Data: $STATUS_COUNT statuses (reblogs included); plain: $PLAIN_ACCOUNTS accounts, the" \
		"reader $USER_NAME blocks and mutes no one; guarded: $GUARDED_ACCOUNTS" \
		"accounts, the reader blocks $BLOCKS ($EXTRA_BLOCKS silent ones and" \
		"$REAL_BLOCKS that appear in the reads) and mutes $MUTES ($EXTRA_MUTES +" \
		"$REAL_MUTES), and has $FILTERS filters of $KEYWORDS_PER_FILTER" \
		"keywords (every context, warn; no post matches). Every read is signed in as the reader (a token, or the" \
		"web session cookie for page_thread). The thread is status $STATUS_ID;" \
		"context_deep's status $DEEP_ID."
	echo
	echo "What the guarded reader does not see (the real blocks and mutes;" \
		"blocking also ended the reader's follows of those accounts, so the" \
		"two readers' home timelines differ a little):"
	echo
	awk '{ print "- " $0 }' <<<"$HIDDEN"
	echo
	echo "| read | plain req/s (runs) | guarded req/s (runs) | plain median | guarded median | guarded/plain | ≥ $TARGET_RATIO | plain p99 ms | guarded p99 ms | errors plain/guarded |"
	echo "|---|---|---|---:|---:|---:|---|---:|---:|---:|"
	printf '%s' "$ROWS"
	echo
	echo "p99: the median of the rounds' p99. All targets met: $MET_ALL."
} >"$OUT/safety-results.md"
echo
cat "$OUT/safety-results.md"
