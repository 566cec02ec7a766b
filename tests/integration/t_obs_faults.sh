#!/usr/bin/env bash
# Fault injection is deterministic for a given --seed: the kernel pings the stack 40 times while
# the stack's outbound frames are lost (30 %), duplicated (10 %) and corrupted (5 %); two runs
# with --seed 1 must inject the same faults (same counters, same replies lost) and a run with
# --seed 2 other ones. Only outbound faults are used: the inbound frames include the kernel's
# IPv6 chatter, whose timing varies between runs, while the stack's own output (an ARP reply and
# one echo reply per request) is the same every time.
set -u
. "$(dirname "$0")/lib.sh"
ts_init obs_faults

RESULT=
run_once() {   # run_once SEED: sets RESULT to "fault counters|replies received"
    : >"$TS_OUT"
    ts_start --seed "$1" --loss-out 0.3 --dup-out 0.1 --corrupt-out 0.05
    local out seqs faults
    out=$(ts_ns ping -n -c 40 -i 0.02 -W 1 10.0.0.2 2>&1)
    seqs=$(echo "$out" | grep -o 'icmp_seq=[0-9]*' | tr '\n' ' ')
    ts_stop
    faults=$(grep '^tapstack: faults injected out:' "$TS_OUT")
    [ -n "$faults" ] || { cat "$TS_OUT"; ts_fail "no fault counters printed at exit"; }
    RESULT="$faults|$seqs"
}

run_once 1; a=$RESULT
run_once 1; b=$RESULT
run_once 2; c=$RESULT
echo "seed 1: ${a%%|*}"
echo "seed 1: ${b%%|*}"
echo "seed 2: ${c%%|*}"
echo "${a%%|*}" | grep -q 'loss 0,' && ts_fail "--loss-out 0.3 lost nothing"
echo "${a%%|*}" | grep -Eq 'loss [0-9]+, dup 0,' && ts_fail "--dup-out 0.1 duplicated nothing in 40+ frames"
[ "$a" = "$b" ] || { echo "run 1: $a"; echo "run 2: $b"; ts_fail "two runs with --seed 1 injected different faults"; }
[ "$a" != "$c" ] || ts_fail "--seed 2 injected exactly the faults of --seed 1"
ts_log "same seed, same faults; another seed, other faults"
echo "PASS"
