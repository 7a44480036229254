#!/bin/sh
# Install the Debian 12 packages chorus needs.
#   scripts/deps.sh          build and run (compiler included)
#   scripts/deps.sh test     also what the test suite needs (nginx and
#                            openssl: tests/api/test_contrib_nginx.py;
#                            PostgreSQL: the suite's second backend;
#                            clang and its libFuzzer runtime: make fuzz)
#   scripts/deps.sh bench    also what bench/ needs (wrk, nginx)
# Idempotent: packages already installed are skipped by apt, and a locale
# already generated is not generated again.
set -eu

BUILD="build-essential pkg-config libmicrohttpd-dev libjansson-dev \
libsqlite3-dev libsodium-dev libutf8proc-dev libinih-dev libvips-dev \
libmagic-dev ffmpeg libssl-dev libcurl4-openssl-dev libxml2-dev zlib1g-dev \
gettext locales libpq-dev"
TEST="libcmocka-dev python3 python3-pytest python3-mastodon python3-requests \
python3-psycopg2 \
toot clang-format libimage-exiftool-perl python3-pil libvips-tools \
python3-websocket python3-bs4 nodejs npm chromium fonts-dejavu-core \
nginx openssl postgresql postgresql-client clang libclang-rt-dev"
BENCH="wrk nginx-light python3-requests sqlite3 postgresql postgresql-client"

want="$BUILD"
for extra in "$@"; do
	case "$extra" in
	test) want="$want $TEST" ;;
	bench) want="$want $BENCH" ;;
	*) echo "deps.sh: unknown set '$extra' (use test or bench)" >&2; exit 2 ;;
	esac
done

# installed PACKAGE: it is, or an installed package provides it (NodeSource's
# nodejs provides npm and conflicts with Debian's npm package)
installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" &&
		return 0
	dpkg-query -W -f='${Status}\t${Provides}\n' 2>/dev/null |
		awk -F'\t' -v p="$1" '$1 == "install ok installed" {
			n = split($2, a, /, */)
			for (i = 1; i <= n; i++) { sub(/ .*/, "", a[i]); if (a[i] == p) found = 1 }
		} END { exit !found }'
}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=""
for p in $want; do
	installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps.sh: installing$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The web pages' translations: glibc's gettext translates only when the
# locale itself exists, and Debian's minimal images carry C.UTF-8 alone.
# The line in /etc/locale.gen keeps the locale when locale-gen later
# rebuilds the archive from that file (it drops what the file lacks).
# LOCALES: "language_TERRITORY" per catalogue in po/ (src/web/i18n.c's table).
LOCALES="es_ES"
for l in $LOCALES; do
	locale -a 2>/dev/null | grep -qix "$l.utf-\{0,1\}8" && continue
	echo "deps.sh: generating locale $l.UTF-8"
	if [ -f /etc/locale.gen ] && ! grep -q "^$l.UTF-8 UTF-8" /etc/locale.gen; then
		$SUDO sed -i "s/^# *\($l.UTF-8 UTF-8\)/\1/" /etc/locale.gen
		grep -q "^$l.UTF-8 UTF-8" /etc/locale.gen ||
			echo "$l.UTF-8 UTF-8" | $SUDO tee -a /etc/locale.gen >/dev/null
	fi
	$SUDO localedef -i "$l" -f UTF-8 "$l.UTF-8"
done
