#!/usr/bin/env bash
# HTTP over a bad network: tapstack drops 3 % of frames, duplicates 2 %, reorders 3 % and corrupts
# 1 % (both directions). curl must still get byte-exact bodies (checked against the /bytes/N
# pattern by SHA-256), pipelined requests must still be answered in order, and a Range request
# must still return exactly its bytes.
set -u
. "$(dirname "$0")/lib.sh"
ts_init http_lossy
ts_start --loss 0.03 --dup 0.02 --reorder 0.03 --corrupt 0.01

ts_ns timeout 90 python3 - <<'PY' || ts_fail "transfers over the lossy link were not exact"
import hashlib, socket, subprocess, sys, time

PAT = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"
def pattern(off, n):
    whole = PAT * ((off + n) // 64 + 2)
    return whole[off % 64: off % 64 + n]

for n in (1, 1460, 100000, 3000000):
    t0 = time.time()
    got = subprocess.run(["curl", "-sS", "-m", "60", f"http://10.0.0.2/bytes/{n}"],
                         capture_output=True, check=True).stdout
    if hashlib.sha256(got).digest() != hashlib.sha256(pattern(0, n)).digest():
        sys.exit(f"/bytes/{n}: {len(got)} bytes, content differs")
    print(f"/bytes/{n}: exact in {time.time() - t0:.2f}s")

got = subprocess.run(["curl", "-sS", "-m", "30", "-r", "1000000-1000099",
                      "http://10.0.0.2/bytes/3000000"], capture_output=True, check=True).stdout
if got != pattern(1000000, 100):
    sys.exit(f"range: {got[:40]!r}")
print("range exact")

s = socket.create_connection(("10.0.0.2", 80), timeout=30)
sizes = [10, 20000, 1, 50000, 7]
s.sendall(b"".join(b"GET /bytes/%d HTTP/1.1\r\nHost: t\r\n\r\n" % n for n in sizes))
f = s.makefile("rb")
for n in sizes:
    status = f.readline()
    length = None
    while True:
        line = f.readline()
        if line == b"\r\n":
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    body = f.read(length)
    if not status.startswith(b"HTTP/1.1 200") or body != pattern(0, n):
        sys.exit(f"pipelined /bytes/{n}: {status!r}, {len(body)} bytes")
print("pipelined answers exact and in order")
PY
ts_log "exact transfers over loss, duplication, reordering and corruption"
ts_stop
echo "PASS"
