#!/usr/bin/env bash
# Run the fuzz targets (libFuzzer, ASan, UBSan).
#   scripts/fuzz.sh SECONDS [TARGET ...]   each target for SECONDS (default: every tests/fuzz/fuzz_*.c)
#   scripts/fuzz.sh --repro TARGET FILE    run one input again (a crash file from build/fuzz/artifacts/)
# FUZZ_RUNS=N stops each target after N executions instead (SECONDS is then only a cap), and a target
# that stops short of N is reported SHORT, not PASS: `FUZZ_RUNS=10000000 FUZZ_SECONDS=7200 make fuzz`.
# A crash, leak, timeout or sanitizer report fails the run and prints the one command that reproduces it.
# The working corpus grows in build/fuzz/corpus/TARGET; the seeds in tests/fuzz/corpus/TARGET stay small.
set -u
cd "$(dirname "$0")/.."
if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz: clang is missing (apt-get install clang libclang-rt-14-dev); skipped" >&2
  echo "0 passed, 0 failed"; exit 0
fi
if [ "${1:-}" = --repro ]; then
  [ $# -eq 3 ] || { echo "usage: scripts/fuzz.sh --repro TARGET FILE" >&2; exit 2; }
  [ -f "$3" ] || { echo "fuzz: no such file: $3" >&2; exit 2; }
  make --no-print-directory -s "build/fuzz/$2" || exit 1
  exec "build/fuzz/$2" -runs=1 "$3"
fi
secs=${1:-60}
case $secs in ''|*[!0-9]*) echo "fuzz: SECONDS must be a whole number, got '$secs'" >&2; exit 2;; esac
shift || true
runs=${FUZZ_RUNS:-}
case $runs in *[!0-9]*) echo "fuzz: FUZZ_RUNS must be a whole number of executions, got '$runs'" >&2; exit 2;; esac
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
mkdir -p build
if ! make --no-print-directory -j2 fuzz-build >build/fuzz-build.log 2>&1; then
  cat build/fuzz-build.log >&2
  echo "fuzz: the targets did not build"; echo "0 passed, 1 failed"; exit 1
fi
mkdir -p build/fuzz/artifacts build/fuzz/logs
pass=0; fail=0; short=0
printf '%-16s %-6s %12s %8s %8s %8s %7s\n' target result execs exec/s cov features seconds
for t in "${targets[@]}"; do
  bin=build/fuzz/$t
  [ -x "$bin" ] || { echo "fuzz: no target $t" >&2; fail=$((fail+1)); continue; }
  corpus=build/fuzz/corpus/$t; seeds=tests/fuzz/corpus/$t
  mkdir -p "$corpus" "$seeds"
  log=build/fuzz/logs/$t.log
  dict=; [ -f "tests/fuzz/$t.dict" ] && dict=tests/fuzz/$t.dict   # tokens: HTTP, FTP, TCP option bytes
  t0=$(date +%s)
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=16:malloc_context_size=10} timeout -k 10 $((secs + 120)) "$bin" \
    -max_total_time="$secs" ${runs:+-runs="$runs"} -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=4096 ${dict:+-dict="$dict"} \
    -artifact_prefix="build/fuzz/artifacts/$t-" -print_final_stats=1 "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - t0 ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  if [ $rc -eq 0 ] && [ -n "$runs" ] && [ "${execs:-0}" -lt "$runs" ]; then
    short=$((short+1)); res=SHORT
  elif [ $rc -eq 0 ]; then
    pass=$((pass+1)); res=PASS
  else
    fail=$((fail+1)); res=FAIL
  fi
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-16s %-6s %12s %8s %8s %8s %7s\n' "$t" "$res" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$took"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -5 | sed 's/^/    /'
    art=$(ls -t build/fuzz/artifacts/"$t"-* 2>/dev/null | head -1)
    [ -n "$art" ] && echo "    reproduce: scripts/fuzz.sh --repro $t $art"
    echo "    log: $log"
  fi
done
[ $short -gt 0 ] && echo "fuzz: $short target(s) stopped at FUZZ_SECONDS=$secs before FUZZ_RUNS=$runs executions; give them more time"
echo "$pass passed, $((fail + short)) failed"
[ $((fail + short)) -eq 0 ]
