#!/usr/bin/env bash
# Soak (issue 23): one `tapstack up` with --loss 0.01 --reorder 0.01 --dup 0.005 serves, all at once
# and without pause, wrk (close and keep-alive), curl downloads checked by SHA-256, lftp mirrors
# (passive and active), UDP echo from 100 sockets, TCP echo of random sizes, downloads reset
# half-way, a slow reader (zero window), `tapstack fetch` from a second tapstack on the bridge, and
# hostile frames at ~10/s (tests/integration/soak_load.py). Every SOAK_SAMPLE seconds a CSV row
# (RSS, connections by state, memory by kind, ARP, counters); a PNG plot at the end.
# Fails on: a byte wrong or an operation lost; a client kind that never completes; the tables not
# back to idle size after the load; a ping not answered (and, with SOAK_PING_MS, slower than that);
# RSS growing more than 5 % after minute 5 (runs of 10 minutes and more); any sanitizer report.
#
#   make test:  SOAK_MINUTES=1 (this file's defaults), the ASan build, samples every 10 s.
#   make soak:  SOAK_MINUTES (default 60), the release build (SOAK_ASAN=1: the ASan build),
#               samples every 60 s, ping within 100 ms. Output in build/soak/.
# timeout: 300
set -u
SOAK_MINUTES=${SOAK_MINUTES:-1}
case $SOAK_MINUTES in '' | *[!0-9]* | 0) echo "SOAK_MINUTES='$SOAK_MINUTES': give whole minutes, at least 1"; exit 2 ;; esac
SOAK_SAMPLE=${SOAK_SAMPLE:-10}
SOAK_SEED=${SOAK_SEED:-1}
# A long run (10 minutes or more) runs from a private copy of its scripts and of the binary, in
# SOAK_OUT.run (or build/integration/soak.run): a rebuild or a merge in the tree while it runs
# changes nothing under it (an 18-minute run once failed on a binary rebuilt mid-run).
if [ -z "${SOAK_PRIVATE:-}" ] && [ "$SOAK_MINUTES" -ge 10 ]; then
    src=$(cd "$(dirname "$0")/../.." && pwd)
    bin=${TS_BIN:-$src/build/asan/tapstack}
    out=${SOAK_OUT:-$src/build/integration/soak.d}
    run=$out.run
    rm -rf "$run" && mkdir -p "$run/tests/integration" "$run/scripts" || exit 1
    cp "$src"/tests/integration/{lib.sh,t_soak.sh,soak_load.py,exhaust_attack.py} "$run/tests/integration/" &&
        cp "$src/scripts/soak_plot.py" "$run/scripts/" && cp "$bin" "$run/tapstack" || exit 1
    echo "running from the private copy $run"
    SOAK_PRIVATE=1 TS_BIN=$run/tapstack SOAK_OUT=$out exec bash "$run/tests/integration/t_soak.sh"
fi
. "$(dirname "$0")/lib.sh"
ts_init soak
for c in wrk lftp curl ping; do command -v $c >/dev/null || { echo "SKIP: $c is not installed"; exit 77; }; done
D=${SOAK_OUT:-$TS_LOGDIR/soak.d}
CTL=/run/tapstack/soak-$$.sock
trap 'rc=$?; rm -rf "$D/root" "$D/lftp"; (exit $rc); ts_cleanup' EXIT
rm -rf "$D"
mkdir -p "$D/root/tree/a/b" "$D/root/tree/empty dir"
# Sizes that finish under 1 % loss in seconds even with slow loss recovery.
head -c 1000000 /dev/urandom >"$D/root/big.bin"
head -c 200000 /dev/urandom >"$D/root/mid.bin"
head -c 300000 /dev/urandom >"$D/root/tree/a/300k.bin"
for i in 1 2 3 4 5; do head -c $((i * 4099)) /dev/urandom >"$D/root/tree/a/b/f$i.bin"; done
: >"$D/root/tree/a/empty.txt"
echo spaces >"$D/root/tree/name with spaces.txt"

# The namespace: a bridge (the kernel, 10.0.0.1) joining tapS (tapstack up, 10.0.0.2, with the
# faults) and tapP (tapstack fetch, 10.0.0.5, the second stack).
ts_bridge tapS tapP

ip netns exec "$TS_NS" "$TS_BIN" up --tap tapS --ip 10.0.0.2/24 --mac 02:00:00:00:00:02 --ctl "$CTL" \
    --loss 0.01 --reorder 0.01 --dup 0.005 --seed "$SOAK_SEED" --msl 1000 \
    --http-root "$D/root" --ftp-root "$D/root" >"$TS_OUT" 2>&1 &
TS_PID=$!
echo "pid $TS_PID" >>"$TS_PIDS"
for _ in $(seq 100); do grep -q '^tapstack: up on' "$TS_OUT" && break; ts_alive "$TS_PID" || break; sleep 0.1; done
grep -q '^tapstack: up on' "$TS_OUT" || { cat "$TS_OUT"; ts_fail "tapstack up did not start"; }
ts_log "tapstack up (pid $TS_PID) with --loss 0.01 --reorder 0.01 --dup 0.005 --seed $SOAK_SEED; load for $SOAK_MINUTES min"

ping_arg=()
[ -n "${SOAK_PING_MS:-}" ] && ping_arg=(--ping-ms "$SOAK_PING_MS")
ts_ns timeout $((SOAK_MINUTES * 60 + 600)) python3 "$TS_ROOT/tests/integration/soak_load.py" \
    --seconds $((SOAK_MINUTES * 60)) --sample "$SOAK_SAMPLE" --ctl "$CTL" --pid "$TS_PID" --bin "$TS_BIN" \
    --root "$D/root" --out "$D" "${ping_arg[@]}" | tee "$D/soak.log"
rc=${PIPESTATUS[0]}
plot_py=
for py in /usr/bin/python3 python3; do "$py" -c 'import matplotlib' 2>/dev/null && { plot_py=$py; break; }; done
if [ -n "$plot_py" ]; then
    "$plot_py" "$TS_ROOT/scripts/soak_plot.py" "$D/soak.csv" "$D/soak.png" && ts_log "plot: $D/soak.png"
else
    echo "no python3-matplotlib: no plot (scripts/deps.sh soak installs it)"
fi
ts_log "CSV: $D/soak.csv"
[ "$rc" = 0 ] || ts_fail "the soak failed (see above)"
ts_stop
echo "PASS"
