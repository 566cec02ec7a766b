#!/usr/bin/env bash
# HTTP server against broken requests, over a raw kernel socket: each must get the right status
# with a short body and then a clean close (FIN, no reset). Ends with a slowloris request that
# must get 408 after 10 s, and checks the server still answers afterwards.
set -u
. "$(dirname "$0")/lib.sh"
ts_init http_errors
ts_start

ts_ns timeout 60 python3 - <<'PY' || ts_fail "broken requests were not answered as they should be"
import socket, sys, time

def ask(raw, want, close=True, pieces=1):
    s = socket.create_connection(("10.0.0.2", 80), timeout=5)
    if pieces == 1:
        s.sendall(raw)
    else:                                   # one byte per segment
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(raw)):
            s.send(raw[i:i + 1])
            time.sleep(0.001)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if not close and b"\r\n\r\n" in data:
                break
    except ConnectionResetError:
        sys.exit(f"{raw[:40]!r}: connection reset (got {data[:80]!r})")
    s.close()
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    if not line.startswith(f"HTTP/1.1 {want} "):
        sys.exit(f"{raw[:60]!r}: got {line!r}, want {want}")
    head, _, body = data.partition(b"\r\n\r\n")
    if b"Content-Length: %d\r\n" % len(body) not in head + b"\r\n":
        sys.exit(f"{raw[:40]!r}: Content-Length does not match the body: {data!r}")
    if close and b"Connection: close" not in head:
        sys.exit(f"{raw[:40]!r}: no Connection: close: {head!r}")
    print(f"{want} for {raw[:50]!r}{' (byte by byte)' if pieces > 1 else ''}")
    return head

H = b"Host: 10.0.0.2\r\n"
cases = [
    (b"GET / HTTP/1.1\r\n" + H + b"\r\n", 200, False),
    (b"GET  / HTTP/1.1\r\n" + H + b"\r\n", 400, True),              # malformed request line
    (b"GET / HTTP/1.x\r\n" + H + b"\r\n", 400, True),               # bad version
    (b"GET / HTTP/1.1\n" + H + b"\r\n", 400, True),                 # bare LF
    (b"GET /\0 HTTP/1.1\r\n" + H + b"\r\n", 400, True),             # NUL
    (b"GET / HTTP/1.1\r\n\r\n", 400, True),                         # no Host
    (b"GET / HTTP/1.1\r\n" + H + H + b"\r\n", 400, True),           # two Hosts
    (b"GET / HTTP/1.1\r\n" + H + b"Content-Length: x\r\n\r\n", 400, True),
    (b"GET / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400, True),
    (b"GET /nope HTTP/1.1\r\n" + H + b"\r\n", 404, False),
    (b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello", 405, True),
    (b"BREW / HTTP/1.1\r\n" + H + b"\r\n", 501, True),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + H + b"\r\n", 414, True),
    (b"GET / HTTP/1.1\r\n" + H + b"X-Big: " + b"v" * 17000 + b"\r\n\r\n", 431, True),
    (b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n", 431, True),
    (b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505, True),
]
for raw, want, close in cases:
    ask(raw, want, close)
head = ask(b"PUT / HTTP/1.1\r\n" + H + b"\r\n", 405)
if b"\r\nAllow: GET, HEAD" not in head:
    sys.exit("405 without Allow")
for raw, want, close in cases[:6]:        # the same answers when every byte is its own segment
    ask(raw, want, close, pieces=len(raw))

# slowloris: half a request, then silence: 408 after 10 s, then a close
s = socket.create_connection(("10.0.0.2", 80), timeout=20)
s.sendall(b"GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nX-Slow: ")
t0 = time.time()
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
took = time.time() - t0
if not data.startswith(b"HTTP/1.1 408 ") or not 9 <= took <= 13:
    sys.exit(f"slowloris: got {data[:40]!r} after {took:.1f}s")
print(f"408 after {took:.1f}s, then closed")
ask(b"GET / HTTP/1.1\r\n" + H + b"\r\n", 200, False)
PY
grep -q '" 408 ' "$TS_OUT" || ts_fail "no log line for the 408"
ts_log "every broken request answered and closed"
ts_stop
echo "PASS"
