#!/usr/bin/env bash
# make coverage: clang source-based coverage (-fprofile-instr-generate -fcoverage-mapping) of the
# core, the apps and the command, by suite:
#   unit     every tests/unit/test_* program except test_pktscript
#   scripts  the packet scripts (tests/scripts/tcp by test_pktscript) and the external conformance
#            scripts (scripts/conformance.sh, when ../shared/tcp-testsuite or CONFORMANCE_DIR is there)
#   fuzz     every fuzz target over its seeds (tests/fuzz/corpus/T) and its saved corpus
#            (build/fuzz/corpus/T, when there is one) with -runs=0: each input once, no new fuzzing
# Writes build/coverage/index.html (llvm-cov show), build/coverage/files.txt (per file: lines,
# functions and branches by suite and in total), build/coverage/dirs.md (per directory of stack/, the
# table of docs/coverage.md), and ends with exactly one line:
#   coverage: core lines L%, core branches B%
# (core = stack/wire stack/net stack/udp stack/tcp stack/core). A failing test does not stop the
# measure: it is reported ("unit: N failed") and makes the exit status 1.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
out=build/coverage
scripts/deps.sh coverage || exit 1
pick() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 && { echo "$c"; return; }; done; echo "$1"; }
PROFDATA=$(pick llvm-profdata-14 llvm-profdata)
LLVMCOV=$(pick llvm-cov-14 llvm-cov)

covflags="-fprofile-instr-generate -fcoverage-mapping"
unit_srcs=(tests/unit/test_*.c)
unit_bins=()
for f in "${unit_srcs[@]}"; do unit_bins+=("$out/t/tests/$(basename "$f" .c)"); done
fuzz_targets=()
for f in tests/fuzz/fuzz_*.c; do fuzz_targets+=("$(basename "$f" .c)"); done
mkdir -p "$out"
echo "coverage: building with clang (build/coverage)"
# Warnings stay warnings here: a measure, not the build that lints (gcc's -Werror is `make`).
if ! make --no-print-directory -j2 B="$out" BA="$out/t" CC=clang OPT=-O0 SANFLAGS="$covflags" \
        WARN="-Wall -Wextra -Wshadow -Wno-unused-parameter" \
        FUZZ_CC=clang FUZZ_FLAGS="-fsanitize=fuzzer $covflags -O0 -g" \
        "${unit_bins[@]}" "$out/t/tests/pktrun" "${fuzz_targets[@]/#/$out/fuzz/}" >"$out/build.log" 2>&1; then
    tail -30 "$out/build.log" >&2; echo "coverage: the build failed (log: $out/build.log)" >&2; exit 1
fi
rm -rf "$out/prof" "$out/coverage" "$out/index.html" "$out/logs"; mkdir -p "$out/prof/unit" "$out/prof/scripts" "$out/prof/fuzz" "$out/logs"
status=0
# %p: one file per process (pktrun runs under xargs, tests fork); %m: per binary signature.
export LLVM_PROFILE_FILE

echo "coverage: unit tests"
LLVM_PROFILE_FILE="$root/$out/prof/unit/%p-%m.profraw"
ubins=(); for b in "${unit_bins[@]}"; do [ "$(basename "$b")" = test_pktscript ] || ubins+=("$b"); done
scripts/run-unit.sh "${ubins[@]}" >"$out/logs/unit.log" 2>&1 || status=1
tail -1 "$out/logs/unit.log" | sed 's/^/  unit: /'

echo "coverage: packet scripts"
LLVM_PROFILE_FILE="$root/$out/prof/scripts/%p-%m.profraw"
"$out/t/tests/test_pktscript" >"$out/logs/scripts.log" 2>&1 || status=1
grep -E '^\[  (PASSED|FAILED)' "$out/logs/scripts.log" | tail -1 | sed 's/^/  tests\/scripts\/tcp: /'
PKTRUN="$root/$out/t/tests/pktrun" scripts/conformance.sh >"$out/logs/conformance.log" 2>&1 || status=1
tail -1 "$out/logs/conformance.log" | sed 's/^/  /'

echo "coverage: fuzz targets over their seeds and saved corpus"
LLVM_PROFILE_FILE="$root/$out/prof/fuzz/%p-%m.profraw"
for t in "${fuzz_targets[@]}"; do
    dirs=(); for d in "tests/fuzz/corpus/$t" "build/fuzz/corpus/$t"; do [ -d "$d" ] && dirs+=("$d"); done
    [ ${#dirs[@]} -gt 0 ] || { echo "  $t: no seeds"; continue; }
    n=$(find "${dirs[@]}" -type f | wc -l)
    if timeout 900 "$out/fuzz/$t" -runs=0 -timeout=10 -rss_limit_mb=2048 -max_len=1048576 "${dirs[@]}" \
            >"$out/logs/$t.log" 2>&1; then
        echo "  $t: $n inputs"
    else
        echo "  $t: FAILED over $n inputs (log: $out/logs/$t.log)"; status=1
    fi
done

echo "coverage: merging profiles"
objs=()
for b in "${unit_bins[@]}" "$out/t/tests/pktrun" "${fuzz_targets[@]/#/$out/fuzz/}"; do
    [ ${#objs[@]} -eq 0 ] && objs+=("$b") || objs+=(-object "$b")
done
for s in unit scripts fuzz; do
    find "$out/prof/$s" -name '*.profraw' > "$out/prof/$s.list"
    if [ -s "$out/prof/$s.list" ]; then
        "$PROFDATA" merge -sparse -f "$out/prof/$s.list" -o "$out/prof/$s.profdata" 2>>"$out/logs/merge.log" || { tail -5 "$out/logs/merge.log" >&2; exit 1; }
    fi
done
have=(); for s in unit scripts fuzz; do [ -f "$out/prof/$s.profdata" ] && have+=("$out/prof/$s.profdata"); done
"$PROFDATA" merge -sparse "${have[@]}" -o "$out/prof/total.profdata" || exit 1
ignore='(^|/)tests/|^/usr/'
# llvm-cov warns "N functions have mismatched data" for the functions every test binary defines
# differently (main, LLVMFuzzerTestOneInput); the stack's own are the same objects in every binary.
for s in unit scripts fuzz total; do
    [ -f "$out/prof/$s.profdata" ] || continue
    "$LLVMCOV" export -summary-only -instr-profile="$out/prof/$s.profdata" -ignore-filename-regex="$ignore" \
        "${objs[@]}" > "$out/prof/$s.json" 2>>"$out/logs/merge.log" || { tail -5 "$out/logs/merge.log" >&2; exit 1; }
done
"$LLVMCOV" show -format=html -show-branches=count -instr-profile="$out/prof/total.profdata" \
    -ignore-filename-regex="$ignore" -output-dir="$out" "${objs[@]}" 2>>"$out/logs/merge.log" || { tail -5 "$out/logs/merge.log" >&2; exit 1; }
python3 scripts/coverage_table.py "$root" "$out/prof" "$out/files.txt" "$out/dirs.md" || exit 1
echo "coverage: report $out/index.html; per file $out/files.txt; per directory $out/dirs.md"
[ $status -eq 0 ] || echo "coverage: a suite failed (logs in $out/logs); the figures below count what ran"
tail -1 "$out/files.txt"
exit $status
