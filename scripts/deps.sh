#!/bin/sh
# Install the Debian 12 packages chorus needs.
#   scripts/deps.sh          build and run (compiler included)
#   scripts/deps.sh test     also what the test suite needs
#   scripts/deps.sh bench    also what bench/ needs (wrk, nginx)
# Idempotent: packages already installed are skipped by apt.
set -eu

BUILD="build-essential pkg-config libmicrohttpd-dev libjansson-dev \
libsqlite3-dev libsodium-dev libutf8proc-dev libinih-dev libvips-dev \
libmagic-dev ffmpeg libssl-dev zlib1g-dev"
TEST="libcmocka-dev python3 python3-pytest python3-mastodon python3-requests \
toot clang-format libimage-exiftool-perl python3-pil libvips-tools \
python3-websocket python3-bs4 nodejs npm"
BENCH="wrk nginx-light python3-requests"

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

missing=""
for p in $want; do
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps.sh: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
