#!/usr/bin/env bash
# Pipelining: Python writes many requests on one connection before reading any answer, then
# parses the answers in order with http.client's own response parser; an HTTP/1.0 client and
# Python's http.client keep-alive use follow.
set -u
. "$(dirname "$0")/lib.sh"
ts_init http_pipeline
ts_start

ts_ns timeout 60 python3 - <<'PY' || ts_fail "pipelining check failed"
import http.client, io, socket, sys

class KeepOpen(io.BufferedReader):
    def close(self):            # HTTPResponse closes its file after each body: keep reading
        pass

class OneFile:
    """A socket stand-in whose makefile() always returns the same buffered reader, so that
    consecutive HTTPResponse objects read the pipelined answers in order without losing bytes."""
    def __init__(self, sock):
        self.f = KeepOpen(socket.SocketIO(sock, "rb"))
    def makefile(self, *a, **k):
        return self.f

def pattern(off, n):
    pat = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"
    return bytes(pat[(off + i) & 63] for i in range(n))

sizes = [0, 1, 100, 1460, 70000, 5, 300000, 64, 2, 1000000] * 3
s = socket.create_connection(("10.0.0.2", 80), timeout=20)
reqs = b"".join(b"%s /bytes/%d HTTP/1.1\r\nHost: t\r\n\r\n" % (b"HEAD" if i % 7 == 3 else b"GET", n)
                for i, n in enumerate(sizes))
s.sendall(reqs)
wrapper = OneFile(s)
for i, n in enumerate(sizes):
    method = "HEAD" if i % 7 == 3 else "GET"
    r = http.client.HTTPResponse(wrapper, method=method)
    r.begin()
    body = r.read()
    if r.status != 200 or int(r.getheader("Content-Length")) != n:
        sys.exit(f"request {i}: status {r.status}, length {r.getheader('Content-Length')}")
    if method == "GET" and body != pattern(0, n):
        sys.exit(f"request {i}: body differs ({len(body)} bytes)")
    if method == "HEAD" and body:
        sys.exit(f"request {i}: HEAD with a body")
print(f"{len(sizes)} pipelined requests answered in order")
s.close()

# http.client proper: several requests on one kept-alive connection
c = http.client.HTTPConnection("10.0.0.2", 80, timeout=10)
for n in (10, 20000, 3):
    c.request("GET", f"/bytes/{n}")
    r = c.getresponse()
    if r.status != 200 or len(r.read()) != n or r.will_close:
        sys.exit(f"http.client keep-alive: {r.status} will_close={r.will_close}")
first = c.sock.getsockname()
c.request("GET", "/bytes/1")
r = c.getresponse(); r.read()
if c.sock.getsockname() != first:
    sys.exit("http.client opened a new connection")
c.close()
print("http.client keep-alive ok")

# HTTP/1.0: answered, then closed
s = socket.create_connection(("10.0.0.2", 80), timeout=10)
s.sendall(b"GET /bytes/10 HTTP/1.0\r\n\r\n")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
if not data.startswith(b"HTTP/1.1 200 OK\r\n") or not data.endswith(b"\r\n\r\n" + pattern(0, 10)):
    sys.exit(f"HTTP/1.0: {data!r}")
print("HTTP/1.0 ok")
PY
ts_log "pipelining, keep-alive and HTTP/1.0 ok"
ts_stop
echo "PASS"
