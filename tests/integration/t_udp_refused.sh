#!/usr/bin/env bash
# ICMP port unreachable: a datagram from a connected kernel socket to a closed port of the stack
# must come back as ConnectionRefusedError on that socket (the kernel matches our ICMP error's
# quote to the socket, so the quote must be right). The other way round, a connected socket of
# ours gets TS_ECONNREFUSED; that half is in tests/unit/test_udp.c.
set -u
. "$(dirname "$0")/lib.sh"
ts_init udp_refused
ts_start

ts_ns timeout 30 python3 - <<'PY' || ts_fail "closed port did not refuse"
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.0.0.2", 4321))
s.settimeout(2.0)
for attempt in range(5):
    s.send(b"anyone there?")
    try:
        s.recv(100)
        sys.exit("a closed port answered")
    except ConnectionRefusedError:
        print(f"ConnectionRefusedError after {attempt + 1} datagram(s)")
        break
    except socket.timeout:
        print("no error yet (ARP?)")
else:
    sys.exit("no ConnectionRefusedError")
# the echo port on the same stack still answers a connected socket
e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
e.connect(("10.0.0.2", 7))
e.settimeout(2.0)
e.send(b"still here")
if e.recv(100) != b"still here":
    sys.exit("echo after refusal differs")
print("echo still answers")
PY
ts_log "port unreachable seen as ConnectionRefusedError"
ts_stop
echo "PASS"
