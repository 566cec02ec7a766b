#!/usr/bin/env bash
# UDP echo (RFC 862) through the TAP, with the kernel as the peer: a Python socket sends
# datagrams of 0, 1, 512, 1472, 8000 and 65507 bytes to port 7 and must get each back exactly
# (8000 and 65507 cross as IPv4 fragments both ways: our reassembly and our fragmentation).
# Then discard (9) stays silent and daytime (13) answers with a line of text.
set -u
. "$(dirname "$0")/lib.sh"
ts_init udp_echo
ts_start

ts_ns timeout 60 python3 - <<'PY' || ts_fail "UDP echo check failed"
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.settimeout(2.0)
for n in (0, 1, 512, 1472, 8000, 65507):
    msg = os.urandom(n)
    for attempt in range(3):          # the first may wait for ARP; a retry is not a failure
        s.sendto(msg, ("10.0.0.2", 7))
        try:
            got, peer = s.recvfrom(70000)
        except socket.timeout:
            print(f"size {n}: no reply (attempt {attempt + 1})")
            continue
        break
    else:
        sys.exit(f"size {n}: no echo after 3 tries")
    if got != msg or peer != ("10.0.0.2", 7):
        sys.exit(f"size {n}: got {len(got)} bytes from {peer}, differing")
    print(f"size {n}: echoed exactly")
# discard: nothing comes back
s.sendto(b"x" * 100, ("10.0.0.2", 9))
s.settimeout(0.5)
try:
    s.recvfrom(100)
    sys.exit("discard answered")
except socket.timeout:
    print("discard: silent")
# daytime: one line of text ending in CRLF
s.settimeout(2.0)
s.sendto(b"", ("10.0.0.2", 13))
got, _ = s.recvfrom(1000)
text = got.decode("ascii")
if not text.endswith("\r\n") or len(text) < 20:
    sys.exit(f"daytime: odd answer {text!r}")
print("daytime:", text.strip())
PY
ts_log "udp echo/discard/daytime ok"
ts_stop
echo "PASS"
