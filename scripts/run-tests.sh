#!/usr/bin/env bash
# make test: every suite in turn; the last line sums the suites.
set -u
cd "$(dirname "$0")/.."
suites=0; bad=0; badnames=()
run() { local name=$1; shift; echo "=== $name"; suites=$((suites+1)); if "$@"; then :; else bad=$((bad+1)); badnames+=("$name"); fi; }
unit_bins=()
for f in build/asan/tests/test_*; do case $f in *.d) ;; *) [ -x "$f" ] && unit_bins+=("$f");; esac; done
run docs scripts/check-docs.py
run unit scripts/run-unit.sh "${unit_bins[@]}"
run conformance scripts/conformance.sh
run install tests/install/t_install.sh
if [ -x tests/integration/run.sh ]; then run integration tests/integration/run.sh; fi
if [ -x scripts/fuzz.sh ]; then run fuzz-smoke scripts/fuzz.sh "${FUZZ_SMOKE_SECONDS:-10}"; fi
echo "=== suites failed: ${badnames[*]:-none}"
echo "$((suites-bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
