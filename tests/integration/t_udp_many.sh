#!/usr/bin/env bash
# 1,000 kernel sockets talk to the UDP echo service at once; every datagram must come back to
# the socket that sent it (each carries its socket's number and a nonce). A socket whose echo is
# lost (the TAP's queue is finite) resends, at most 5 rounds; a datagram at the wrong socket or
# with the wrong bytes fails the test at once.
set -u
. "$(dirname "$0")/lib.sh"
ts_init udp_many
ts_start

ts_ns timeout 60 python3 - <<'PY' || ts_fail "1,000-socket echo failed"
import os, resource, select, socket, sys, time
N = 1000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
socks = []
for i in range(N):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    socks.append(s)
nonce = os.urandom(8).hex()
msg = [f"{i}:{nonce}:".encode() + os.urandom(16 + i % 200) for i in range(N)]
by_fd = {s.fileno(): i for i, s in enumerate(socks)}
pending = set(range(N))
poller = select.poll()
for s in socks:
    poller.register(s, select.POLLIN)
t0 = time.time()
for rnd in range(5):
    for i in sorted(pending):
        socks[i].sendto(msg[i], ("10.0.0.2", 7))
    deadline = time.time() + 3.0
    while pending and time.time() < deadline:
        for fd, _ in poller.poll(200):
            i = by_fd[fd]
            while True:
                try:
                    got, peer = socks[i].recvfrom(2048)
                except BlockingIOError:
                    break
                if got != msg[i] or peer != ("10.0.0.2", 7):
                    sys.exit(f"socket {i} got {got[:24]!r} from {peer}")
                pending.discard(i)
    print(f"round {rnd + 1}: {N - len(pending)}/{N} echoed, {1000 * (time.time() - t0):.0f} ms since the first send")
    if not pending:
        break
if pending:
    sys.exit(f"{len(pending)} sockets never got their echo")
# measured: request/response round trips on one socket for one second (not a pass criterion)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.0.0.2", 7))
s.settimeout(1.0)
n, t0 = 0, time.time()
while time.time() - t0 < 1.0:
    s.send(b"x" * 64)
    try:
        s.recv(100)
        n += 1
    except socket.timeout:
        pass
print(f"measured: {n} UDP echo round trips in 1 s ({1e6 / max(n, 1):.0f} us each)")
PY
ts_log "1000 sockets echoed"
ts_stop
echo "PASS"
