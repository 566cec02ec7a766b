#!/usr/bin/env bash
# make bench: see scripts/bench.py. Extra arguments go to it (--rounds N, --only a,b, --json PATH).
set -u
cd "$(dirname "$0")/.."
exec python3 scripts/bench.py "$@"
