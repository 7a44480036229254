#!/bin/sh
# The whole test suite: unit tests, API tests through real clients
# (Mastodon.py, toot, masto.js) on SQLite and on PostgreSQL, then both
# again on a build with AddressSanitizer + UndefinedBehaviorSanitizer; the
# HTML pages in a real browser (Debian's chromium driven by
# playwright-core) on both builds; each libFuzzer target briefly.
# Ends with one summary line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh test || exit 1

# Each step's output goes to the terminal and to a log of its own, so
# that the summary at the end can repeat what failed: a CI record often
# keeps only the last screenful.
passed=0
failed=0
failed_names=""
LOGDIR=$(mktemp -d /tmp/chorus-test-logs.XXXXXX)
nstep=0
step() {
	name=$1
	shift
	nstep=$((nstep + 1))
	log="$LOGDIR/$nstep"
	echo "==> $name"
	t0=$(date +%s)
	{
		"$@" 2>&1
		echo $? >"$log.rc"
	} | tee "$log"
	if [ "$(cat "$log.rc")" = 0 ]; then
		passed=$((passed + 1))
		result=ok
	else
		failed=$((failed + 1))
		failed_names="$failed_names $nstep"
		echo "$name" >"$log.name"
		result=FAILED
	fi
	echo "<== $name: $result ($(($(date +%s) - t0)) s)"
}

# For each failed step: its name, the lines that say what failed, and
# its last lines.
failure_summary() {
	for n in $failed_names; do
		echo
		echo "=== FAILED: $(cat "$LOGDIR/$n.name")"
		grep -E "^FAILED|^ERROR|^not ok|^ +not ok|[0-9]+ failed|error:|ERROR:|runtime error|AddressSanitizer|LeakSanitizer|\[  FAILED  \]|Assertion" "$LOGDIR/$n" | head -40
		echo "--- last lines:"
		tail -n 25 "$LOGDIR/$n"
	done
}

# Python from Debian: python3-mastodon lives there, not in a pyenv.
PY=/usr/bin/python3
JOBS=$(nproc 2>/dev/null || echo 2)

# A throwaway PostgreSQL cluster for the second backend (each chorus
# server the API tests start gets a database of its own on it, each store
# unit test process one it empties before every test),
# stopped and removed however this script ends. Its CHORUS_TEST_PG_* stay
# exported: the SQLite runs use it too, for test_database_config.py.
PGDIR=$(mktemp -d /tmp/chorus-pg.XXXXXX)
trap 'scripts/pg.sh stop "$PGDIR"; rm -rf "$LOGDIR"' EXIT
trap 'exit 130' INT TERM # through the EXIT trap
# (a step runs in a subshell: the cluster's settings come back in a file)
pg_start() {
	scripts/pg.sh start "$PGDIR" >"$LOGDIR/pg.env"
}

step "build" make -j"$JOBS"
step "format" make format-check
step "postgresql cluster" pg_start
[ -s "$LOGDIR/pg.env" ] && . "$LOGDIR/pg.env"
step "unit tests" make unit
step "unit tests (postgresql)" make unit-pg
# masto.js and ws at the versions in tests/js/package-lock.json, for
# tests/api/test_masto.py; from npm's cache when it has them
step "js packages" npm ci --prefix tests/js --no-audit --no-fund --prefer-offline --loglevel=error
# Fedify (an ActivityPub server of another hand) and Node 22 for it, from the
# `node` package, at the versions in tests/fedify/package-lock.json: the
# peer of tests/api/test_federation_fedify.py
step "fedify packages" npm ci --prefix tests/fedify --no-audit --no-fund --prefer-offline --loglevel=error
step "api tests" env CHORUS_BIN="$PWD/build/chorus" $PY -m pytest -q --tb=short -p no:cacheprovider tests/api
step "api tests (postgresql)" env CHORUS_BIN="$PWD/build/chorus" CHORUS_TEST_BACKEND=postgresql $PY -m pytest -q --tb=short -p no:cacheprovider tests/api
# playwright-core and axe-core at the versions in tests/web/package-lock.json
# (no browser download: the tests drive /usr/bin/chromium), then every
# tests/web/*.test.mjs, one chorus server and one browser per file
web_tests() {
	npm ci --prefix tests/web --no-audit --no-fund --prefer-offline --loglevel=error &&
		env CHORUS_BIN="$1" node --test tests/web/
}
step "web tests" web_tests "$PWD/build/chorus"
step "asan+ubsan build" make -j"$JOBS" asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "unit tests (asan+ubsan)" make asan-unit
step "unit tests (postgresql, asan+ubsan)" make asan-unit-pg
# every libFuzzer target (tests/fuzz/) for a short fixed budget, two at a
# time: a crash, a leak or a failed invariant fails the step
step "fuzz" make -j"$JOBS" fuzz FUZZ_SECONDS=10
step "api tests (asan+ubsan)" env CHORUS_BIN="$PWD/build-asan/chorus" CHORUS_SANITIZED=1 $PY -m pytest -q --tb=short -p no:cacheprovider tests/api
step "api tests (postgresql, asan+ubsan)" env CHORUS_BIN="$PWD/build-asan/chorus" CHORUS_SANITIZED=1 CHORUS_TEST_BACKEND=postgresql $PY -m pytest -q --tb=short -p no:cacheprovider tests/api
step "web tests (asan+ubsan)" env CHORUS_BIN="$PWD/build-asan/chorus" CHORUS_SANITIZED=1 node --test tests/web/

failure_summary
echo
echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
