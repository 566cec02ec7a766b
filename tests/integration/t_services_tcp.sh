#!/usr/bin/env bash
# The small services over TCP, with the kernel's sockets as clients: echo (7) returns 1 MB
# exactly and closes after the client's FIN; discard (9) swallows 1 MB and closes after the
# client's FIN; daytime (13) sends one line and closes. Then nc (if installed) does quick checks.
set -u
. "$(dirname "$0")/lib.sh"
ts_init services_tcp
ts_start

ts_ns timeout 60 python3 - <<'PY' || ts_fail "TCP services check failed"
import os, socket, sys, threading, time

def conn(port):
    s = socket.create_connection(("10.0.0.2", port), timeout=10)
    return s

def read_all(s):
    out = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            return bytes(out)
        out += b

# echo: write 1 MB from a thread while reading, then half-close and expect EOF after the echo
data = os.urandom(1 << 20)
s = conn(7)
def writer():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=writer)
t0 = time.time()
t.start()
got = read_all(s)
t.join()
s.close()
if got != data:
    sys.exit(f"echo: got {len(got)} bytes back, not the 1 MB sent")
print(f"echo: 1 MB back exactly in {time.time() - t0:.2f} s")

# a small echo round trip
s = conn(7)
s.sendall(b"hello\r\n")
if s.recv(100) != b"hello\r\n":
    sys.exit("echo: small round trip differs")
s.close()

# discard: 1 MB in, nothing out, EOF after our FIN
s = conn(9)
s.sendall(os.urandom(1 << 20))
s.shutdown(socket.SHUT_WR)
rest = read_all(s)
s.close()
if rest:
    sys.exit(f"discard: sent back {len(rest)} bytes")
print("discard: 1 MB swallowed, closed after our FIN")

# daytime: one line, then EOF
s = conn(13)
text = read_all(s).decode("ascii")
s.close()
if not text.endswith("\r\n") or text.count("\n") != 1 or len(text) < 20:
    sys.exit(f"daytime: odd answer {text!r}")
print("daytime:", text.strip())
PY

if command -v nc >/dev/null; then
    out=$(echo "quick check" | ts_ns timeout 10 nc -q 2 10.0.0.2 7 2>&1)
    [ "$out" = "quick check" ] || ts_fail "nc to echo: got '$out'"
    out=$(ts_ns timeout 10 nc 10.0.0.2 13 </dev/null 2>&1)
    echo "nc daytime: $out"
    echo "$out" | grep -q '[0-9][0-9]:[0-9][0-9]:[0-9][0-9]' || ts_fail "nc to daytime: no time in '$out'"
else
    ts_log "nc not installed: the Python checks above stand alone"
fi
ts_log "tcp echo/discard/daytime ok"
ts_stop
echo "PASS"
