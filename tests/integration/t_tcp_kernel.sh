#!/usr/bin/env bash
# TCP against the Linux kernel through the TAP: Python connects to echo (7) and discard (9),
# sends a few MB and must get the echo back byte-exact; many connections at once; then the
# same over a lossy link (netem/nft drop inside the test's own namespace only).
set -u
. "$(dirname "$0")/lib.sh"
ts_init tcp_kernel
ts_start

ts_ns timeout 120 python3 - <<'PY' || ts_fail "TCP echo/discard check failed"
import os, socket, sys, threading, time
def echo(n, chunk=65536):
    s = socket.create_connection(("10.0.0.2", 7), timeout=10)
    data = os.urandom(n)
    got = bytearray()
    def reader():
        while len(got) < n:
            b = s.recv(1 << 16)
            if not b: break
            got.extend(b)
    th = threading.Thread(target=reader); th.start()
    for i in range(0, n, chunk): s.sendall(data[i:i + chunk])
    th.join(60)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(10)
    rest = s.recv(10)
    s.close()
    if bytes(got) != data: sys.exit(f"echo {n}: got {len(got)} bytes, differing")
    if rest != b"": sys.exit("echo: no EOF after our FIN")
t = time.time(); echo(4 << 20); print(f"echo 4 MB exact in {time.time()-t:.2f}s")
s = socket.create_connection(("10.0.0.2", 9), timeout=10)
buf = os.urandom(1 << 16); t = time.time()
for _ in range(256): s.sendall(buf)
s.shutdown(socket.SHUT_WR); s.settimeout(10)
if s.recv(10) != b"": sys.exit("discard: unexpected data")
s.close(); dt = time.time() - t
print(f"discard 16 MB in {dt:.2f}s ({16*8/dt:.0f} Mbit/s)")
# closed port: refused at once
try:
    socket.create_connection(("10.0.0.2", 1), timeout=5); sys.exit("port 1 accepted")
except ConnectionRefusedError:
    print("closed port: refused")
# many at once
socks = [socket.create_connection(("10.0.0.2", 7), timeout=10) for _ in range(200)]
for i, c in enumerate(socks): c.sendall(b"hello %d\n" % i)
for i, c in enumerate(socks):
    want = b"hello %d\n" % i; got = b""
    while len(got) < len(want): got += c.recv(100)
    if got != want: sys.exit(f"conn {i}: {got!r}")
for c in socks: c.close()
print("200 concurrent echo connections ok")
PY
ts_log "tcp echo/discard/refused/concurrent ok"

# 5% loss each way, made by nftables inside the test's namespace only.
ts_ns nft -f - <<'NFT' || ts_fail "nft setup failed"
table inet tsloss {
    chain out { type filter hook output priority 0; ip daddr 10.0.0.2 tcp dport 7 numgen random mod 100 < 5 drop; }
    chain in { type filter hook input priority 0; ip saddr 10.0.0.2 tcp sport 7 numgen random mod 100 < 5 drop; }
}
NFT
ts_ns timeout 120 python3 - <<'PY' || ts_fail "TCP echo over 5% loss failed"
import os, socket, sys, threading, time
n = 2 << 20
s = socket.create_connection(("10.0.0.2", 7), timeout=30)
data = os.urandom(n); got = bytearray()
def reader():
    while len(got) < n:
        b = s.recv(1 << 16)
        if not b: break
        got.extend(b)
th = threading.Thread(target=reader); th.start(); t = time.time()
s.sendall(data); th.join(100)
s.close()
if bytes(got) != data: sys.exit(f"lossy echo: got {len(got)} of {n} bytes, differing")
print(f"echo 2 MB exact over 5% loss each way in {time.time()-t:.2f}s")
PY
ts_log "tcp over loss ok"
ts_ns nft delete table inet tsloss
ts_stop
echo "PASS"
