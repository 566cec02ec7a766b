#!/usr/bin/env bash
# The cost of a 1-byte echo round trip, in counts (issue 19: "1-byte latency no worse than
# before"). The release build runs under callgrind; a client makes 2,000 one-byte round trips on
# one connection to echo, and per round trip the test requires:
#   - one frame in and one frame out (the echo carries the ACK: no pure ACK before it);
#   - one wait of the ring, one io_uring_enter that submits the answer and sleeps until the next
#     request (it used to return at once with the answer's write completed, and the loop went
#     round again to sleep in a second one);
#   - at most RR_MAX_INSTR (8,400) instructions of tapstack's own, counted by callgrind (the
#     kernel's are not), which repeat to a few per round trip from run to run.
# The instruction count is what latency on this path is made of besides the kernel: bbc825b (before
# issue 19's work) took 7,885 per round trip; main after it 11,499 (the driver asked every app for
# its next deadline three times per wakeup instead of twice, each ask scanning six classes of each
# server's connection guard); with the deadline kept by the guard and the wait's deadline reused
# after it, 8,256; with one wait per round trip, 7,055; with the timestamp option read at once, 6,915;
# built with link-time optimization (the release build since then), 5,969.
# Runs build/tapstack (TS_RR_BIN overrides): a sanitizer's instrumentation would be counted too.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REAL=${TS_RR_BIN:-$ROOT/build/tapstack}
TS_BIN=$REAL
RR_MAX_INSTR=${RR_MAX_INSTR:-8400}
N=2000
. "$(dirname "$0")/lib.sh"
ts_init rr_cost
command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
    ts_fail "valgrind is missing (scripts/deps.sh test installs it)"
CG=$TS_LOGDIR/rr_cost.cg
rm -f "$CG" "$CG".*
WRAP=$TS_LOGDIR/rr_cost.run.sh
cat >"$WRAP" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$CG --log-file=$TS_LOGDIR/rr_cost.valgrind "$REAL" "\$@"
EOF
chmod +x "$WRAP"
# The sleeping path is what is counted (the default): busy polling (rx_spin.h) would add the looks
# it makes while the client answers, as many as its timing gives, to the instructions.
TS_BIN=$WRAP TS_READY_TIMEOUT=60 ts_start --busy-poll 0

status() { "$REAL" status --netns "$TS_NS" || ts_fail "tapstack status failed"; }
# "frames in A (.. bytes), out B (..)" and "... ring waits W"
counts() { status | sed -n 's/^frames in \([0-9]*\) .*, out \([0-9]*\) .*/\1 \2/p; s/.*ring waits \([0-9]*\)$/\1/p' | tr '\n' ' '; }

# A first connection warms the path up (every allocation and cache it uses is made); then the
# counts start, and a second one makes the N round trips.
ts_ns timeout 120 python3 - "$TS_PID" <<'PY' || ts_fail "the warm-up round trips failed"
import socket, subprocess, sys
s = socket.create_connection(("10.0.0.2", 7), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i in range(200):
    s.sendall(b"x")
    if s.recv(1) != b"x":
        sys.exit(f"warm-up round trip {i}: no echo")
s.close()
subprocess.run(["callgrind_control", "-z", sys.argv[1]], check=True, capture_output=True)
PY
before=$(counts)
ts_ns timeout 120 python3 - "$TS_PID" "$N" <<'PY' || ts_fail "the round trips failed"
import socket, subprocess, sys
pid, n = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("10.0.0.2", 7), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i in range(n):
    s.sendall(b"x")
    if s.recv(1) != b"x":
        sys.exit(f"round trip {i}: no echo")
subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
s.close()
PY
after=$(counts)
ts_stop
ts_log "status counts before: $before; after: $after (frames in, out, ring waits)"
read -r in0 out0 w0 <<<"$before"
read -r in1 out1 w1 <<<"$after"
[ -n "${w1:-}" ] || ts_fail "no counts from tapstack status"
dump=$(ls "$CG".* 2>/dev/null | head -1)
[ -n "$dump" ] || ts_fail "callgrind wrote no dump"
instr=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$dump")
[ -n "$instr" ] || ts_fail "no instruction count in $dump"
fails=0
check() {   # check NAME VALUE*1000/N MAX*1000
    local per=$(($2 * 1000 / N))
    printf 'per round trip: %-22s %d.%03d (at most %d.%03d)\n' "$1" $((per / 1000)) $((per % 1000)) $(($3 / 1000)) $(($3 % 1000))
    [ "$per" -le "$3" ] || { echo "FAIL: $1 per round trip above the bound"; fails=$((fails + 1)); }
}
# The counts include the connection's handshake and close (a few frames and waits in all).
check "frames in" $((in1 - in0)) 1010
check "frames out" $((out1 - out0)) 1010
check "ring waits" $((w1 - w0)) 1050
check "instructions" "$instr" $((RR_MAX_INSTR * 1000))
passed=$((4 - fails))
echo "$passed passed, $fails failed"
[ "$fails" = 0 ]
