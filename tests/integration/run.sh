#!/usr/bin/env bash
# Run the integration tests: every tests/integration/t_*.sh in name order, or only those named as
# arguments or in $TESTS (e.g. `run.sh ping http`, TESTS="ping http" or TESTS=t_ping.sh). Each runs in its own process with a time
# limit ($TEST_TIMEOUT seconds, default 300, at most 900); its output goes to
# build/integration/<name>.log and is printed if it fails. Exit status 77 means skipped.
# Prints "<name>: PASS|FAIL|SKIP (Ns)" per test and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
root=$(pwd)
logdir=$root/build/integration
mkdir -p "$logdir"
limit=${TEST_TIMEOUT:-300}
case $limit in '' | *[!0-9]*) limit=300 ;; esac
[ "$limit" -gt 900 ] && limit=900

tests=()
[ "$#" -gt 0 ] && TESTS="${TESTS:+$TESTS }$*"
if [ -n "${TESTS:-}" ]; then
    for t in $TESTS; do
        t=${t%.sh}; t=${t#t_}
        [ -f "tests/integration/t_$t.sh" ] || { echo "integration: no test tests/integration/t_$t.sh"; exit 2; }
        tests+=("tests/integration/t_$t.sh")
    done
else
    for t in tests/integration/t_*.sh; do [ -f "$t" ] && tests+=("$t"); done
fi

# After a timeout: kill what the test recorded that it started (by PID) and delete its namespace.
cleanup_after() {
    local pids=$logdir/$1.pids kind val
    [ -f "$pids" ] || return 0
    while read -r kind val; do
        case $kind in
            pid) kill -KILL "$val" 2>/dev/null ;;
            netns) [ -e "/run/netns/$val" ] && ip netns del "$val" 2>/dev/null ;;
        esac
    done <"$pids"
    rm -f "$pids"
}

pass=0; fail=0; skip=0; failed=()
for t in "${tests[@]}"; do
    name=$(basename "$t" .sh); name=${name#t_}
    log=$logdir/$name.log
    start=$SECONDS
    # A test may ask for more time with a line "# timeout: N" (seconds, at most 900).
    tl=$(sed -n 's/^# timeout: *\([0-9][0-9]*\).*/\1/p' "$t" | head -n 1)
    [ -n "$tl" ] && [ "$tl" -le 900 ] || tl=$limit
    timeout -k 10 "$tl" bash "$t" >"$log" 2>&1
    rc=$?
    secs=$((SECONDS - start))
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        echo "(timed out after ${limit}s)" >>"$log"
        cleanup_after "$name"
    fi
    if [ $rc = 0 ]; then
        echo "$name: PASS (${secs}s)"; pass=$((pass + 1))
    elif [ $rc = 77 ]; then
        echo "$name: SKIP (${secs}s) $(grep -m1 '^SKIP' "$log")"; skip=$((skip + 1))
    else
        echo "$name: FAIL (${secs}s), exit status $rc; output ($log):"
        sed 's/^/    /' "$log"
        if [ -s "$logdir/$name.tapstack.log" ]; then
            echo "    --- last lines of tapstack's output ($logdir/$name.tapstack.log):"
            tail -30 "$logdir/$name.tapstack.log" | sed 's/^/    /'
        fi
        fail=$((fail + 1)); failed+=("$name")
    fi
done
[ $skip -gt 0 ] && echo "integration: $skip skipped"
[ $fail -gt 0 ] && echo "integration: failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
