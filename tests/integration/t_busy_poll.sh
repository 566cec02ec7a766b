#!/usr/bin/env bash
# Busy polling (driver/rx_spin.h): with --busy-poll 50 the loop waits awake up to 50 µs after a
# frame for the next one before it sleeps, and a watch that ends empty makes it sleep at once until
# a whole wait is again shorter than the budget. On plain frames (--no-offload), so that no
# super-segment is involved:
#   - 2,000 1-byte echo round trips: tapstack status counts waits awake;
#   - a slow client (a request every 20 ms, 25 requests): the waits that ended empty grow by at most
#     a few (one per slow spell, not one per request);
#   - by default (off, as Linux's busy_read): round trips work and no wait is awake.
# No timing is asserted: the figures are printed (make bench and scripts/rr_compare.py measure them).
set -u
. "$(dirname "$0")/lib.sh"
ts_init busy_poll

status() { "$TS_BIN" status --netns "$TS_NS" 2>&1; }
awake() { status | sed -n 's/.*awake for the next frame \([0-9]*\) times, \([0-9]*\) of them in vain.*/\1 \2/p'; }
echo_rr() {   # $1: round trips, $2: seconds between them
    ts_ns timeout 60 python3 - "$1" "$2" <<'PY'
import socket, sys, time
n, gap = int(sys.argv[1]), float(sys.argv[2])
s = socket.create_connection(("10.0.0.2", 7), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i in range(n):
    s.sendall(b"x")
    if s.recv(1) != b"x": raise SystemExit(f"round trip {i}: no echo")
    if gap: time.sleep(gap)
s.close()
print(f"{n} one-byte round trips ok")
PY
}
passed=0

ts_start --no-offload --busy-poll 50
status | grep '^receive'
status | grep -q '(--busy-poll 50)' || ts_fail "status does not show the budget: $(status)"
echo_rr 2000 0 || ts_fail "round trips failed with busy polling"
read -r n0 v0 <<<"$(awake)"
[ "${n0:-0}" -gt 0 ] || ts_fail "2,000 round trips and the loop never waited awake: $(status)"
ts_log "fast client: awake $n0 times, $v0 in vain"
passed=$((passed + 1))
echo_rr 25 0.02 || ts_fail "slow round trips failed"
read -r n1 v1 <<<"$(awake)"
ts_log "slow client (25 requests 20 ms apart): awake $((n1 - n0)) more times, $((v1 - v0)) in vain"
[ $((v1 - v0)) -le 8 ] || ts_fail "a slow client cost $((v1 - v0)) empty watches for 25 requests (cold after one)"
passed=$((passed + 1))
ts_stop

ts_start --no-offload
echo_rr 500 0 || ts_fail "round trips failed without busy polling"
read -r n2 v2 <<<"$(awake)"
status | grep -q '(--busy-poll 0)' || ts_fail "status does not show the default, --busy-poll 0: $(status)"
[ "${n2:-x}" = 0 ] || ts_fail "by default the loop waited awake ${n2:-?} times after requests"
ts_log "default: never awake after requests"
passed=$((passed + 1))
ts_stop
echo "$passed passed, 0 failed"
