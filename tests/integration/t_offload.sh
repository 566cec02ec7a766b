#!/usr/bin/env bash
# Offloads on the TAP (issue 19): with the default (virtio-net header, checksum offload, TSO4 both
# ways) 30 MB up to discard and 30 MB down from HTTP arrive byte-exact, and `tapstack status`
# counts super-segments in and out; with --no-offload the same transfers work on plain frames and
# status says the offloads are off, and most segments went out gathered (headers and the send
# buffer's bytes in one writev). A small request/response still works on both (no batching).
# netstat -s reports memory by kind, and once the transfers are over no ring holds storage. The
# receive ring gives the kernel 4 of its 32 buffers while super-segments arrive: an echo across a
# 300 ms stall comes back intact. While super-segments arrive the loop waits awake for the next one
# before it sleeps (driver/rx_spin.c): status counts those waits with offloads, none without
# (t_busy_poll.sh tests --busy-poll, the same for other frames).
set -u
. "$(dirname "$0")/lib.sh"
ts_init offload
MB=${TS_OFFLOAD_MB:-30}

transfers() {   # $1: label
    ts_ns timeout 60 python3 - "$MB" <<'PY' || ts_fail "$1: upload to discard failed"
import os, socket, sys
mb = int(sys.argv[1])
s = socket.create_connection(("10.0.0.2", 9), timeout=20)
buf = os.urandom(1 << 20)
for _ in range(mb): s.sendall(buf)
s.shutdown(socket.SHUT_WR)
if s.recv(10) != b"": sys.exit("discard: unexpected data")
print(f"upload {mb} MB ok")
PY
    local sum want
    sum=$(ts_ns timeout 60 curl -sS --max-time 50 "http://10.0.0.2/bytes/$((MB << 20))" | sha256sum | cut -d' ' -f1)
    want=$(ts_ns timeout 60 curl -sS --max-time 50 "http://10.0.0.2/bytes/$((MB << 20))" | sha256sum | cut -d' ' -f1)
    [ -n "$sum" ] && [ "$sum" = "$want" ] || ts_fail "$1: two downloads of /bytes/$((MB << 20)) differ"
    local n
    n=$(ts_ns timeout 20 curl -sS --max-time 10 "http://10.0.0.2/bytes/$((MB << 20))" | wc -c)
    [ "$n" = $((MB << 20)) ] || ts_fail "$1: download gave $n bytes, expected $((MB << 20))"
    ts_ns timeout 20 python3 - <<'PY' || ts_fail "$1: 1-byte echo failed"
import socket
s = socket.create_connection(("10.0.0.2", 7), timeout=5)
for i in range(200):
    s.sendall(b"x")
    if s.recv(1) != b"x": raise SystemExit("echo: wrong byte")
print("200 one-byte round trips ok")
PY
}

status() { "$TS_BIN" status --netns "$TS_NS" 2>&1; }

# With offloads the receive ring is 32 buffers of 64 KB, of which the kernel is given only what
# 256 KB of recent frames fill (4 while super-segments arrive; rx_give in driver/loop.c): what the
# TAP queues beyond them waits for the next wakeup and the read is re-armed. Stop tapstack for 300 ms in the middle
# of an 8 MB echo (the kernel queues far more than 4 super-segments meanwhile) and check that every
# byte comes back in order and that the read was re-armed.
stalled_echo() {
    local before after
    before=$(status | sed -n 's/.*re-armed \([0-9]*\) times.*/\1/p')
    ts_ns timeout 60 python3 - <<'PY' &
import hashlib, os, socket, threading
data = os.urandom(8 << 20)
s = socket.create_connection(("10.0.0.2", 7), timeout=30)
threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)), daemon=True).start()
h, n = hashlib.sha256(), 0
while n < len(data):
    b = s.recv(1 << 20)
    if not b: break
    h.update(b); n += len(b)
if n != len(data) or h.digest() != hashlib.sha256(data).digest(): raise SystemExit(f"echo: {n} bytes back, or not the same")
print("8 MB echoed intact across a stall")
PY
    local py=$!
    sleep 0.2
    kill -STOP "$TS_PID"; sleep 0.3; kill -CONT "$TS_PID"
    wait "$py" || ts_fail "$1: the echo across a stall failed"
    after=$(status | sed -n 's/.*re-armed \([0-9]*\) times.*/\1/p')
    [ "${after:-0}" -gt "${before:-0}" ] || ts_fail "$1: the receive read was never re-armed (${before:-?} -> ${after:-?})"
    ts_log "$1: receive read re-armed $((after - before)) times across the stall"
}

ts_start
transfers offload
stalled_echo offload
st=$(status)
echo "$st" | grep '^offloads\|^receive'
echo "$st" | grep -q '^receive: .* into 32 buffers' || ts_fail "offloads on: the receive ring is not 32 buffers: $st"
echo "$st" | grep -q '^offloads: virtio-net header' || ts_fail "status does not report the virtio-net header: $st"
in=$(echo "$st" | sed -n 's/.*super-segments in \([0-9]*\), out \([0-9]*\).*/\1/p')
out=$(echo "$st" | sed -n 's/.*super-segments in \([0-9]*\), out \([0-9]*\).*/\2/p')
[ "${in:-0}" -gt 0 ] || ts_fail "no super-segment came in from the kernel (TSO4 on the TAP)"
[ "${out:-0}" -gt 0 ] || ts_fail "no super-segment went out (TSO)"
ts_log "offloads on: $in super-segments in, $out out"
aw=$(echo "$st" | sed -n 's/.*awake for the next frame \([0-9]*\) times.*/\1/p')
[ "${aw:-0}" -gt 0 ] || ts_fail "offloads on: the loop never waited awake for a frame: $st"
ts_log "offloads on: waited awake for the next frame $aw times"
mem=$("$TS_BIN" netstat -s --netns "$TS_NS" 2>&1)
echo "$mem" | grep -A6 '^Memory:'
echo "$mem" | grep -qE '^    [0-9]+ bytes in [0-9]+ TCP control blocks' || ts_fail "netstat -s shows no memory by kind"
echo "$mem" | grep -qE '^    0 bytes of TCP send and receive buffers' || ts_fail "idle connections still hold buffers"
ts_stop

ts_start --no-offload
transfers plain
st=$(status)
echo "$st" | grep -q '^offloads: off' || ts_fail "--no-offload: status does not say off: $st"
echo "$st" | grep -q 'awake for the next frame 0 times' || ts_fail "--no-offload: the loop waited awake: $st"
# plain frames too carry their payload from the send buffer (a writev of headers and payload)
g=$("$TS_BIN" netstat -s --netns "$TS_NS" 2>&1 | sed -n 's/^ *\([0-9]*\) data segments whose payload the driver wrote straight.*/\1/p')
[ "${g:-0}" -gt 1000 ] || ts_fail "--no-offload: ${g:-no} segments gathered from the send buffer (expected most of them)"
ts_log "no offloads: $g segments gathered"
ts_stop
ts_log "both paths ok"
