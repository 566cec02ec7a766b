#!/usr/bin/env bash
# tapstack netstat against a running stack, with the kernel as the peer:
#   - -l shows LISTEN on 21 and 80 and udp on 7, by service name and (-n) by number;
#   - while Python holds a connection to port 80, -n shows tcp 10.0.0.2:80 <-> 10.0.0.1:<its port>
#     ESTABLISHED, and without -n the port reads http; -e --history shows its variables and the
#     handshake; --json parses and agrees with the text line for line;
#   - -s counters move by exactly what a known exchange causes (5 UDP echoes, 1 TCP connection);
#   - after the client closes, the line reaches TIME_WAIT or goes;
#   - the ARP cache shows the kernel's side; bad flags and a missing socket say so;
#   - headless Chromium loads /netstat inside the namespace and the page shows the connection
#     (screenshots kept as build/integration/netstat.png and netstat-phone.png).
set -u
. "$(dirname "$0")/lib.sh"
ts_init netstat
ts_start

ns() { "$TS_BIN" netstat --netns "$TS_NS" "$@"; }
tmp=$(mktemp -d /tmp/ts-netstat-XXXXXX)
trap 'ts_rc=$?; rm -rf "$tmp"; (exit $ts_rc); ts_cleanup' EXIT

# ---- listening sockets ----
out=$(ns -l) || ts_fail "netstat -l failed"
echo "$out"
echo "$out" | head -2 | grep -q '^Proto Recv-Q Send-Q Local Address           Foreign Address         State$' ||
    ts_fail "netstat -l: header is not net-tools'"
echo "$out" | grep -Eq '^tcp +0 +[0-9]+ 0\.0\.0\.0:http +0\.0\.0\.0:\* +LISTEN$' || ts_fail "no LISTEN on http"
echo "$out" | grep -Eq '^tcp +0 +[0-9]+ 0\.0\.0\.0:ftp +0\.0\.0\.0:\* +LISTEN$' || ts_fail "no LISTEN on ftp"
echo "$out" | grep -Eq '^udp +0 +0 0\.0\.0\.0:echo +0\.0\.0\.0:\*$' || ts_fail "no udp on echo"
out=$(ns -tlnp)
echo "$out" | grep -Eq '^tcp +0 +[0-9]+ 0\.0\.0\.0:80 +0\.0\.0\.0:\* +LISTEN +[0-9]+/tapstack$' || ts_fail "-tlnp: no 80"
echo "$out" | grep -Eq '^tcp .* 0\.0\.0\.0:21 ' || ts_fail "-tlnp: no 21"
echo "$out" | grep -q '^udp' && ts_fail "-tlnp shows udp"
ns -uln | grep -Eq '^udp +0 +0 0\.0\.0\.0:7 +0\.0\.0\.0:\*$' || ts_fail "-uln: no udp 7"
ts_log "listening sockets: http/80, ftp/21 LISTEN; udp echo/7"

# ---- a connection held open by Python ----
cat >"$tmp/hold.py" <<'PY'
import os, socket, sys, time
d = sys.argv[1]
s = socket.create_connection(("10.0.0.2", 80), timeout=10)
with open(d + "/port.tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(d + "/port.tmp", d + "/port")
for i in range(900):                      # hold it until told, 90 s at most
    if os.path.exists(d + "/close"):
        break
    # A request at once, then every 5 s: a connection that has sent nothing is reset by the
    # server's first-byte timeout (5 s), one kept alive by its idle timeout (15 s).
    if i % 50 == 0:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n")
        got = b""
        while b"\r\n\r\n" not in got:
            got += s.recv(4096)
    time.sleep(0.1)
s.close()
open(d + "/closed", "w").close()
time.sleep(5)
PY
ts_bg ts_ns timeout 120 python3 "$tmp/hold.py" "$tmp"
for _ in $(seq 100); do [ -f "$tmp/port" ] && break; sleep 0.1; done
ts_log "python connected"
[ -f "$tmp/port" ] || ts_fail "the Python client did not connect"
port=$(cat "$tmp/port")
ts_log "python holds 10.0.0.1:$port -> 10.0.0.2:80"

out=$(ns -n)
echo "$out"
echo "$out" | head -1 | grep -q '^Active Internet connections (w/o servers)$' || ts_fail "-n: title"
echo "$out" | grep -Eq "^tcp +[0-9]+ +[0-9]+ 10\.0\.0\.2:80 +10\.0\.0\.1:$port +ESTABLISHED$" ||
    ts_fail "netstat -n: no ESTABLISHED line for 10.0.0.2:80 <-> 10.0.0.1:$port"
echo "$out" | grep -q LISTEN && ts_fail "netstat without -a shows listeners"
ns | grep -Eq "^tcp +[0-9]+ +[0-9]+ 10\.0\.0\.2:http +10\.0\.0\.1:$port +ESTABLISHED$" ||
    ts_fail "netstat (no -n): port 80 does not read http"
out=$(ns -a -n)
echo "$out" | grep -q LISTEN || ts_fail "-a: no listeners"

group=registered   # Linux picks its ports from 32768-60999: either IANA group
[ "$port" -ge 49152 ] && group=dynamic/private
out=$(ns -tn -e --history)
echo "$out"
for want in "ports: local 80 well-known (http), foreign $port $group" "snd_una " "snd_nxt " "snd_wnd " \
    "rcv_nxt " "rcv_wnd " "cwnd " "ssthresh " "srtt " "rttvar " "rto " "retransmits 0" "timers:" \
    "history (oldest first):" "LISTEN -> SYN_RECEIVED: " "SYN_RECEIVED -> ESTABLISHED: "; do
    echo "$out" | grep -qF -- "$want" || ts_fail "netstat -e --history: missing '$want'"
done
ts_log "-n, names, -e --history: the connection and its variables are shown"

# ---- JSON agrees with the text ----
# (Taken twice, one after the other: a keep-alive request in between may move a queue; retry then.)
agree() {
ns -a -e --json >"$tmp/all.json" || ts_fail "--json failed"
ns -a >"$tmp/all.txt"
python3 - "$tmp/all.json" "$tmp/all.txt" "$port" <<'PY'

import json, sys
d = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().splitlines()[2:]
port = int(sys.argv[3])
assert d["schema"] == "tapstack-netstat/1" and d["view"] == "sockets" and d["select"] == "all", d.keys()
rows = [l for l in text if l.startswith(("tcp", "udp"))]
def line(s):
    t = "%-4s  %6d %6d %-23s %-23s %-11s" % (s["proto"], s["recv_q"], s["send_q"], s["local"]["text"],
                                            s["foreign"]["text"], s["state"] or "")
    return t.rstrip()
mine = [line(s) for s in d["sockets"]]
if sorted(mine) != sorted(rows):
    sys.exit("json rows:\n%s\ntext rows:\n%s" % ("\n".join(mine), "\n".join(rows)))
c = [s for s in d["sockets"] if s["foreign"]["port"] == port]
assert len(c) == 1 and c[0]["state"] == "ESTABLISHED" and c[0]["local"]["port"] == 80, c
assert c[0]["local"]["service"] == "http", c
assert c[0]["foreign"]["group"] == ("dynamic/private" if port >= 49152 else "registered"), c
t = c[0]["tcp"]
assert t["snd_una"] == t["snd_nxt"] and t["rto_us"] > 0 and t["mss"] > 0, t
print("json: %d sockets agree with the text" % len(mine))
PY
}
agree || agree || agree || ts_fail "--json does not agree with the text"

# ---- a known exchange moves the counters by known amounts ----
ns -s --json >"$tmp/before.json" || ts_fail "netstat -s --json failed"
ts_ns timeout 20 python3 - <<'PY' || ts_fail "the known exchange failed"
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(3)
for i in range(5):
    u.sendto(b"ping %d" % i, ("10.0.0.2", 7))
    assert u.recvfrom(100)[0] == b"ping %d" % i
t = socket.create_connection(("10.0.0.2", 21), timeout=5)
t.recv(200)            # the FTP greeting
t.close()
PY
sleep 0.3
ns -s --json >"$tmp/after.json"
ns -s >"$tmp/after.txt"
python3 - "$tmp/before.json" "$tmp/after.json" "$tmp/after.txt" <<'PY' || ts_fail "-s counters did not move as expected"
import json, sys
b = json.load(open(sys.argv[1]))["stats"]
a = json.load(open(sys.argv[2]))["stats"]
txt = open(sys.argv[3]).read()
def delta(p, n): return a[p][n] - b[p][n]
want = {("udp", "rx_datagrams"): 5, ("udp", "tx_datagrams"): 5, ("tcp", "passive_opens"): 1,
        ("tcp", "established"): 1, ("tcp", "active_opens"): 0, ("tcp", "retransmits"): 0}
bad = {k: delta(*k) for k, v in want.items() if delta(*k) != v}
if bad:
    sys.exit("unexpected deltas: %s (wanted %s)" % (bad, want))
for sect in ("Ethernet:", "Arp:", "Ip:", "Icmp:", "Udp:", "Tcp:"):
    assert "\n" + sect + "\n" in "\n" + txt, sect
# the text shows the same numbers (they did not move between the two reads)
assert "    %d datagrams received\n" % a["udp"]["rx_datagrams"] in txt
assert "    %d connections opened passively (SYN received on a listener)\n" % a["tcp"]["passive_opens"] in txt
print("counters: udp +5/+5, tcp passive_opens +1, established +1, no retransmits")
PY

# ---- the ARP cache ----
out=$("$TS_BIN" arp --netns "$TS_NS" -n)
echo "$out"
echo "$out" | grep -Eq '^10\.0\.0\.1 +ether +([0-9a-f]{2}:){5}[0-9a-f]{2} +(reachable|stale) ' || ts_fail "arp: no entry for 10.0.0.1"
ns --arp --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["arp"][0]["addr"]=="10.0.0.1"' ||
    ts_fail "--arp --json"

# ---- /netstat in a headless Chromium, inside the namespace ----
if command -v chromium >/dev/null 2>&1; then
    for page in netstat.json stats.json; do
        ts_ns curl -sf --max-time 5 "http://10.0.0.2/$page" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
            ts_fail "/$page is not JSON"
    done
    chrome() {
        local dir
        dir=$(mktemp -d "$tmp/chrome-XXXXXX")
        ts_ns timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --user-data-dir="$dir" "$@" 2>>"$TS_LOGDIR/netstat.chromium.log"
    }
    ts_log "chromium: loading /netstat"
    chrome --window-size=1000,900 --dump-dom "http://10.0.0.2/netstat?refresh=0" >"$tmp/dom.html" ||
        ts_fail "chromium could not load /netstat"
    grep -q "10.0.0.1:$port</td><td class=\"ESTABLISHED\">ESTABLISHED" "$tmp/dom.html" ||
        { cp "$tmp/dom.html" "$TS_LOGDIR/netstat.dom.html"; ts_fail "the page does not show 10.0.0.1:$port ESTABLISHED (DOM: build/integration/netstat.dom.html)"; }
    rm -f "$TS_LOGDIR/netstat.png"
    chrome --window-size=1000,900 --screenshot="$TS_LOGDIR/netstat.png" "http://10.0.0.2/netstat?refresh=0" \
        >/dev/null || ts_fail "chromium could not take the screenshot"
    [ -s "$TS_LOGDIR/netstat.png" ] || ts_fail "no screenshot"
    # and as a phone sees it (390 px wide): the tables scroll inside their boxes, the text stays readable
    chrome --window-size=390,844 --screenshot="$TS_LOGDIR/netstat-phone.png" "http://10.0.0.2/netstat?refresh=0" \
        >/dev/null && [ -s "$TS_LOGDIR/netstat-phone.png" ] || ts_fail "no phone-sized screenshot"
    ts_log "chromium: /netstat shows 10.0.0.1:$port ESTABLISHED; screenshot build/integration/netstat.png"
else
    ts_log "chromium not installed (scripts/deps.sh test installs it): page check skipped"
fi

# ---- the client closes: the line reaches TIME_WAIT or goes ----
touch "$tmp/close"
for _ in $(seq 50); do [ -f "$tmp/closed" ] && break; sleep 0.1; done
[ -f "$tmp/closed" ] || ts_fail "the Python client's held connection broke or did not close (its output is above)"
gone=0
for _ in $(seq 30); do
    line=$(ns -tn | grep -E " 10\.0\.0\.1:$port( |$)" || true)
    if [ -z "$line" ] || echo "$line" | grep -q TIME_WAIT; then gone=1; break; fi
    sleep 0.1
done
[ "$gone" = 1 ] || ts_fail "after the client closed the line is still: $line"
ts_log "after close: ${line:-the line is gone}"

# ---- mistakes say what is wrong ----
err=$(ns -x 2>&1); rc=$?
[ "$rc" = 2 ] && echo "$err" | grep -q -- '-x: unknown flag' || ts_fail "bad flag: rc=$rc '$err'"
err=$("$TS_BIN" netstat --ctl "$tmp/nope.sock" 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$err" | grep -qF "is tapstack up running? (looked for $tmp/nope.sock)" ||
    ts_fail "missing socket: rc=$rc '$err'"
out=$(ns -n -c 2)
[ "$(echo "$out" | grep -c '^Active Internet connections')" = 2 ] || ts_fail "-c 2 did not print twice"

ts_stop
echo "PASS"
