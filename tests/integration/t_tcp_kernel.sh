#!/usr/bin/env bash
# TCP against the Linux kernel through the TAP (issue 4): Python sends 100 MB to discard (9) and
# 100 MB through echo (7), compared by SHA-256; a closed port is refused at once; 500 kernel-side
# connections to echo at the same time all get their echo; then 5% loss each way (nftables inside
# the test's own namespace) and the 100 MB echo must still come back byte-exact.
# TS_TCP_MB=N sets the clean transfers (default 100), TS_TCP_LOSS_MB the lossy echo (default 100, as
# the issue says: about 100 s on a quiet 2-core machine, our loss recovery runs near 1 MB/s),
# TS_TCP_CONNS the concurrent connections (500).
# timeout: 600
set -u
. "$(dirname "$0")/lib.sh"
ts_init tcp_kernel
# The echo service takes up to 16384 TCP connections by default (ts_services_opts.max_tcp_conns).
export TS_TCP_CONNS=${TS_TCP_CONNS:-500}
ts_start
MB=${TS_TCP_MB:-100}

# echo.py MB TIMEOUT: MB through echo, hashed both ways
cat >"$TS_LOGDIR/tcp_kernel_echo.py" <<'PY'
import hashlib, os, socket, sys, threading, time
mb, limit = int(sys.argv[1]), float(sys.argv[2])
base = os.urandom(1 << 20)
s = socket.create_connection(("10.0.0.2", 7), timeout=30)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
want, got, n = hashlib.sha256(), hashlib.sha256(), [0]
def reader():
    while n[0] < mb << 20:
        b = s.recv(1 << 18)
        if not b: break
        got.update(b); n[0] += len(b)
th = threading.Thread(target=reader); th.start(); t = time.time()
for k in range(mb):
    chunk = base[k:] + base[:k]
    want.update(chunk); s.sendall(chunk)
    if time.time() - t > limit: sys.exit(f"echo: sent only {k} MB in {limit:.0f}s")
th.join(max(1.0, limit - (time.time() - t)))
dt = time.time() - t
s.close()
if n[0] != mb << 20 or got.digest() != want.digest():
    sys.exit(f"echo {mb} MB: got {n[0]} bytes, {'same' if got.digest() == want.digest() else 'different'} hash")
print(f"echo {mb} MB exact (sha256) in {dt:.1f}s ({mb * 8 / dt:.0f} Mbit/s each way)")
PY

ts_ns timeout 100 python3 - "$MB" <<'PY' || ts_fail "TCP discard failed"
import os, socket, sys, time
mb = int(sys.argv[1])
s = socket.create_connection(("10.0.0.2", 9), timeout=30)
buf = os.urandom(1 << 20); t = time.time()
for _ in range(mb): s.sendall(buf)
s.shutdown(socket.SHUT_WR); s.settimeout(30)
if s.recv(10) != b"": sys.exit("discard: unexpected data")
s.close(); dt = time.time() - t
print(f"discard {mb} MB in {dt:.1f}s ({mb * 8 / dt:.0f} Mbit/s)")
PY
ts_ns timeout 120 python3 "$TS_LOGDIR/tcp_kernel_echo.py" "$MB" 110 || ts_fail "TCP echo failed"

ts_ns timeout 60 python3 - <<'PY' || ts_fail "TCP refused / concurrent check failed"
import os, socket, sys, time
try:
    socket.create_connection(("10.0.0.2", 1), timeout=5); sys.exit("port 1 accepted")
except ConnectionRefusedError:
    print("closed port: refused")
t = time.time()
socks = [socket.create_connection(("10.0.0.2", 7), timeout=20) for _ in range(int(os.environ.get("TS_TCP_CONNS", "500")))]
for i, c in enumerate(socks): c.sendall(b"hello %d\n" % i)
for i, c in enumerate(socks):
    c.settimeout(20)
    want = b"hello %d\n" % i; got = b""
    while len(got) < len(want):
        b = c.recv(100)
        if not b: sys.exit(f"conn {i}: closed after {got!r}")
        got += b
    if got != want: sys.exit(f"conn {i}: {got!r}")
for c in socks: c.close()
print(f"{len(socks)} concurrent echo connections ok in {time.time() - t:.1f}s")
PY
ts_log "tcp discard/echo/refused/concurrent ok"

# 5% loss each way, made by nftables inside the test's namespace only.
ts_ns nft -f - <<'NFT' || ts_fail "nft setup failed"
table inet tsloss {
    chain out { type filter hook output priority 0; ip daddr 10.0.0.2 tcp dport 7 numgen random mod 100 < 5 drop; }
    chain in { type filter hook input priority 0; ip saddr 10.0.0.2 tcp sport 7 numgen random mod 100 < 5 drop; }
}
NFT
LMB=${TS_TCP_LOSS_MB:-100}
ts_ns timeout 460 python3 "$TS_LOGDIR/tcp_kernel_echo.py" "$LMB" 450 || ts_fail "TCP echo over 5% loss failed"
ts_log "tcp over 5% loss ok"
ts_ns nft delete table inet tsloss
ts_stop
echo "PASS"
