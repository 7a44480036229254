# bench/lib.sh — what the bench/ scripts share; sourced, not
# run. Set MAX_SECONDS first, then call bench_bound "$@". It defines:
#   bench_args LAST ARGS…   --fresh sets FRESH=1; -h/--help prints the
#                           script's header comment (lines 2..LAST)
#   bench_bound ARGS…       re-run the calling script under timeout(1), which
#                           on expiry signals its whole process group
#   die MSG                 "SCRIPT: MSG" on stderr, exit 1
#   bench_build             install wrk, nginx and the rest (scripts/deps.sh
#                           bench), then build chorus
#   CHORUS_PID NGINX_PID    set them when you start those: the EXIT trap
#                           stops both, then calls bench_cleanup_extra if
#                           the script defines it
#   port_busy PORT          something answers HTTP on 127.0.0.1:PORT
#   json_get KEY            print KEY of the JSON object on stdin
#   chorus_wait BASE LOG    wait (30 s at most) for chorus to answer at BASE
#   chorus_token BASE USER PASSWORD   an access token (password grant)
#   nginx_start DIR TYPE SERVER PROBE   nginx for the ratios (see below)
#   wait_idle [SECONDS]     until chorus burns under 5 CPU ticks in half a
#                           second (work queued when wrk stopped must not
#                           eat into the next measurement); 60 s default
#   wrk_rps FILE            requests/s of a wrk report, rounded
#   wrk_ms FILE PCT         its latency percentile PCT (50, 99…) in ms, or
#                           n/a (wrk must have run with --latency)
#   wrk_errors FILE         its non-2xx/3xx answers plus socket errors

BENCH_NAME=$(basename "$0")
CHORUS_PID=""
NGINX_PID=""

bench_args() {
	local last=$1 arg
	shift
	FRESH=0
	for arg in "$@"; do
		case "$arg" in
		--fresh) FRESH=1 ;;
		-h | --help)
			sed -n "2,${last}p" "$0" | sed 's/^# \{0,1\}//'
			exit 0
			;;
		*)
			echo "$BENCH_NAME: unknown argument $arg (try --help)" >&2
			exit 2
			;;
		esac
	done
}

bench_bound() {
	if [ -z "${BENCH_BOUNDED:-}" ]; then
		export BENCH_BOUNDED=1
		exec timeout -k 10 "$MAX_SECONDS" "$0" "$@"
	fi
}

bench_build() {
	scripts/deps.sh bench
	echo "== build"
	make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
}

die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

bench_cleanup() {
	local rc=$?
	for pid in $CHORUS_PID $NGINX_PID; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $CHORUS_PID $NGINX_PID; do
		# give each a few seconds, then insist
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if declare -F bench_cleanup_extra >/dev/null; then
		bench_cleanup_extra
	fi
	exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'echo "$BENCH_NAME: stopped (time limit MAX_SECONDS=$MAX_SECONDS?)" >&2; exit 143' TERM

port_busy() {
	curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"
}

json_get() {
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

chorus_wait() {
	local base=$1 log=$2
	for _ in $(seq 1 60); do
		curl -fs -o /dev/null --max-time 1 "$base/api/v1/instance" && return 0
		kill -0 "$CHORUS_PID" 2>/dev/null || die "chorus exited: $(tail -5 "$log")"
		sleep 0.5
	done
	die "chorus did not answer on $base"
}

chorus_token() {
	local base=$1 user=$2 password=$3 app id secret token
	app=$(curl -fsS --max-time 10 -X POST "$base/api/v1/apps" \
		--data-urlencode "client_name=chorus-$BENCH_NAME" \
		--data-urlencode redirect_uris=urn:ietf:wg:oauth:2.0:oob \
		--data-urlencode 'scopes=read write')
	id=$(printf '%s' "$app" | json_get client_id)
	secret=$(printf '%s' "$app" | json_get client_secret)
	token=$(curl -fsS --max-time 30 -X POST "$base/oauth/token" \
		--data-urlencode grant_type=password \
		--data-urlencode "client_id=$id" \
		--data-urlencode "client_secret=$secret" \
		--data-urlencode "username=$user" \
		--data-urlencode "password=$password" \
		--data-urlencode 'scope=read write' | json_get access_token)
	[ -n "$token" ] || die "no access token"
	printf '%s' "$token"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$CHORUS_PID/stat"; }
wait_idle() {
	local limit=${1:-60} a b
	for _ in $(seq 1 $((limit * 2))); do
		a=$(cpu_ticks)
		sleep 0.5
		b=$(cpu_ticks)
		[ $((b - a)) -lt 5 ] && return 0
	done
	echo "$BENCH_NAME: chorus still busy after $limit s" >&2
}

# nginx_start DIR TYPE SERVER PROBE: nginx on 127.0.0.1:$NGINX_PORT with its
# files under DIR, default_type TYPE and SERVER as the server block's body
# (root or location lines), sendfile on; waits until GET PROBE answers.
# Sets NGINX_PID and NBASE.
nginx_start() {
	local dir=$1 type=$2 server=$3 probe=$4
	mkdir -p "$dir/tmp"
	{
		# as root, nginx would drop its workers to nobody; keep them able
		# to read bench/out wherever the checkout lives
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<NGINX
worker_processes 2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	default_type $type;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	open_file_cache max=64;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		$server
	}
}
NGINX
	} >"$dir/nginx.conf"
	"$(command -v nginx || echo /usr/sbin/nginx)" -e "$dir/error.log" \
		-p "$dir" -c "$dir/nginx.conf" &
	NGINX_PID=$!
	NBASE=http://127.0.0.1:$NGINX_PORT
	for _ in $(seq 1 20); do
		curl -fs -o /dev/null --max-time 1 -r 0-0 "$NBASE$probe" && return 0
		kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited: $(tail -5 "$dir/error.log")"
		sleep 0.25
	done
	die "nginx did not answer on $NBASE"
}

nginx_version() { "$(command -v nginx || echo /usr/sbin/nginx)" -v 2>&1 | sed 's/.*nginx\///'; }

# bench_data_ensure DATA LOG ACCOUNTS STATUSES FRESH: generate the data set
# into DATA with `chorus bench-data` unless a complete one of that size is
# there (FRESH=1 always generates). The generator's log goes to LOG, its
# "bench: key=value" lines to the file $INFO (set by the caller).
bench_data_ensure() {
	local data=$1 log=$2 accounts=$3 statuses=$4 fresh=$5
	local mark=$data/.bench-complete
	if [ "$fresh" = 1 ] || [ ! -f "$mark" ] || [ ! -f "$INFO" ] ||
		! grep -qx "bench: accounts=$accounts" "$INFO" ||
		! grep -qx "bench: statuses=$statuses" "$INFO"; then
		echo "== generating $accounts accounts, $statuses statuses"
		rm -rf "$data"
		build/chorus bench-data "$accounts" "$statuses" --data "$data" |
			tee "$log"
		grep '^bench: ' "$log" >"$INFO"
		touch "$mark"
	else
		echo "== data set present ($data); --fresh generates it again"
	fi
}

# info KEY: a value the generator reported ("bench: KEY=value" in $INFO).
info() { sed -n "s/^bench: $1=//p" "$INFO"; }

# ---- wrk reports -----------------------------------------------------------

wrk_rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
wrk_ms() {
	awk -v p="$2%" '$1 == p {
		v = $2
		if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v) }
		else if (v ~ /m$/) { sub(/m$/, "", v); v *= 60000 }
		else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
		printf "%.2f", v
		found = 1
	}
	END { if (!found) printf "n/a" }' "$1"
}
wrk_errors() {
	awk '/Non-2xx or 3xx responses:/ { n += $NF }
	     /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
	     END { print n + 0 }' "$1"
}
