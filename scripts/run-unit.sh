#!/usr/bin/env bash
# Run each unit-test binary (cmocka, ASan+UBSan) in its own process with a time limit; sum the results.
set -u
pass=0; fail=0; failed=()
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "$@"; do
  if timeout 300 "$t"; then pass=$((pass+1)); else fail=$((fail+1)); failed+=("$(basename "$t")"); fi
done
echo "unit: ${#@} programs; failed: ${failed[*]:-none}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
