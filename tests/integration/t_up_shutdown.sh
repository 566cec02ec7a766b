#!/usr/bin/env bash
# `tapstack up` stopping leaves no peer waiting (issue 23): it resets, as it exits, every
# connection it still has (ts_stack_shutdown), those its apps had already closed included. In a
# namespace the test makes (it stays after tapstack exits, with the kernel's sockets in it):
#   drain: a "Connection: close" response the client does not read; the HTTP app has written it
#          all and closed, the rest waits behind a closed window. Without the reset the client
#          waited for ever (ESTABLISHED, window shut, no frame will come);
#   idle:  a keep-alive connection after a complete response (the app holds it and aborts it);
#   half:  the client sent its FIN after a complete response; the app saw EOF and closed, and
#          the stack's FIN is lost (nftables in the namespace drops it): tapstack sits in
#          LAST_ACK resending it, the client in FIN_WAIT_2. Its RST must be one the client takes
#          (RFC 5961: at exactly its RCV.NXT, which is before our FIN it never got).
# After SIGTERM each client must see its connection end (ECONNRESET or EOF, within 5 s), the
# kernel must hold no connection to 10.0.0.2 but TIME-WAIT. 
set -u
. "$(dirname "$0")/lib.sh"
ts_init up_shutdown
ip netns add "$TS_NS" || ts_fail "ip netns add failed"
TS_NS_KEEP=1
ts_start
GO=$TS_LOGDIR/up_shutdown.go.$$
rm -f "$GO"

ts_ns timeout 60 python3 - "$GO" >"$TS_LOGDIR/up_shutdown.py.log" 2>&1 <<'PY' &
import os, socket, sys, time
go = sys.argv[1]

def conn(rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("10.0.0.2", 80))
    return s

def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < n:
        body += s.recv(65536)
    return body

drain = conn(rcvbuf=4096)
drain.sendall(b"GET /bytes/50000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
idle = conn()
idle.sendall(b"GET /bytes/100 HTTP/1.1\r\nHost: t\r\n\r\n")
read_response(idle)
half = conn()
half.sendall(b"GET /bytes/100 HTTP/1.1\r\nHost: t\r\n\r\n")
read_response(half)
port = half.getsockname()[1]
if os.system("nft add table inet upsd && nft add chain inet upsd in '{ type filter hook input priority 0; }' && "
             f"nft add rule inet upsd in ip saddr 10.0.0.2 tcp sport 80 tcp dport {port} tcp flags fin drop") != 0:
    sys.exit("nft failed")
half.shutdown(socket.SHUT_WR)
time.sleep(1)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
bad = 0
for name, s in (("drain", drain), ("idle", idle), ("half", half)):
    s.settimeout(5)
    got, end = 0, "?"
    try:
        while True:
            b = s.recv(65536)
            if not b:
                end = "EOF"
                break
            got += len(b)
    except ConnectionResetError:
        end = "reset"
    except socket.timeout:
        end = "nothing for 5 s"
        bad += 1
    print(f"{name}: {got} bytes more, then {end}", flush=True)
os.system("ss -tan state all dst 10.0.0.2 > " + go + ".ss")
sys.exit(1 if bad else 0)
PY
PY_PID=$!
echo "pid $PY_PID" >>"$TS_PIDS"
for _ in $(seq 100); do grep -q ready "$TS_LOGDIR/up_shutdown.py.log" && break; sleep 0.1; done
grep -q ready "$TS_LOGDIR/up_shutdown.py.log" || { cat "$TS_LOGDIR/up_shutdown.py.log"; ts_fail "the clients did not get ready"; }
ts_stop
touch "$GO"
wait "$PY_PID"
rc=$?
cat "$TS_LOGDIR/up_shutdown.py.log"
left=$(grep -v -e '^State' -e '^TIME-WAIT' "$GO.ss" 2>/dev/null)
rm -f "$GO" "$GO.ss"
[ "$rc" = 0 ] || ts_fail "a client still waited on a connection of a tapstack that had exited"
[ -z "$left" ] || ts_fail "the kernel still holds connections to the stopped tapstack: $left"
echo "PASS"
