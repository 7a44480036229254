#!/bin/sh
# Install what chorus needs, build it, seed a demo instance in ./data and
# serve it on http://127.0.0.1:3000 (Ctrl-C stops it).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
make -j"$(nproc 2>/dev/null || echo 2)"
exec build/chorus demo --data ./data "$@"
