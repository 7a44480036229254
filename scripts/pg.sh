#!/bin/sh
# A throwaway PostgreSQL cluster for the tests (Debian's PostgreSQL 15).
#
#   scripts/pg.sh start DIR   create and start a cluster in DIR, print the
#                             shell lines that point the tests at it
#   scripts/pg.sh stop DIR    stop it and remove DIR
#
# The cluster runs as the unprivileged user postgres (initdb refuses root),
# listens on a unix socket in DIR (trusted) and on 127.0.0.1 at a free port
# (password required: the tests' wrong-password case), and is tuned for
# tests, not for keeping data: no fsync, no full-page writes (unless
# PG_BENCH=1: bench/backends.sh measures a server's settings).
set -eu
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "pg.sh: PostgreSQL is not installed (scripts/deps.sh test)" >&2; exit 1; }
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: scripts/pg.sh start|stop DIR" >&2; exit 2; }

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case $cmd in
start)
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	password=chorus-test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	echo "$password" > "$dir/.pw"
	[ "$(id -u)" = 0 ] && chown postgres "$dir/.pw"
	as_postgres "$BIN/initdb" -D "$dir/data" -U postgres -A trust \
		--pwfile="$dir/.pw" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat > "$dir/data/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 scram-sha-256
EOF
	# tests keep nothing: no fsync; PG_BENCH=1 keeps a server's settings
	tuning="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	[ "${PG_BENCH:-}" = 1 ] && tuning="-c shared_buffers=1GB"
	as_postgres "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir
		    $tuning -c max_connections=400" start >/dev/null 2>&1 ||
		{ cat "$dir/server.log" >&2; exit 1; }
	echo "export CHORUS_TEST_PG_HOST=$dir"
	echo "export CHORUS_TEST_PG_PORT=$port"
	echo "export CHORUS_TEST_PG_PASSWORD=$password"
	;;
stop)
	if [ -d "$dir/data" ]; then
		as_postgres "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: scripts/pg.sh start|stop DIR" >&2
	exit 2
	;;
esac
