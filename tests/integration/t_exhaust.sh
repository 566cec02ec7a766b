#!/usr/bin/env bash
# Issue 25: connections an attacker opens and abandons must not lock real clients out. Through the
# TAP, exhaust_attack.py completes TCP handshakes from 300 spoofed addresses to HTTP (80), FTP (21),
# echo (7) and daytime (13), sends nothing (not even an ACK of what it is sent), and re-opens each
# connection tapstack closes, TS_EXHAUST_CONNS per service (1000). Meanwhile a real curl, lftp and
# nc (echo and daytime, from the kernel side, 10.0.0.1) must be served,
# 5 rounds each; each time is printed (the issue wants each within a second: this test allows 5 s,
# the machine is shared). scripts/exhaust_nginx.sh runs the same attack against Linux with nginx. tapstack must log its evictions (at most once a second per service), keep
# its memory bounded, and serve normally after the attack.
# With 1000 connections the limits are set below it (500 each: HTTP, FTP, echo) so that eviction
# runs; TS_EXHAUST_CONNS=10000 (opt-in, with TS_BIN=build/tapstack for the release build) keeps the
# default limits (sized from memory and the TCP limit: 8192).
# Besides the commands (whose times include their own start-up, measured once before the attack),
# exhaust_probe.py times each service's answer from connect() to its end, 3 rounds of all four
# (TS_EXHAUST_PROBES=N for more);
# netstat -s gives what each server's limits did (evictions, timeouts) and TCP's orphans.
# timeout: 300
set -u
. "$(dirname "$0")/lib.sh"
ts_init exhaust
CONNS=${TS_EXHAUST_CONNS:-1000}
SECS=${TS_EXHAUST_SECONDS:-40}
ROUNDS=5
if [ "$CONNS" -le 5000 ]; then
    LIMITS=(--http-max-conns 500 --ftp-max-sessions 500 --echo-max-conns 500)
else
    LIMITS=()
fi
ts_start --gateway 10.0.0.1 "${LIMITS[@]}"
STATUS=$TS_LOGDIR/exhaust.status
rm -f "$STATUS"

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$TS_PID/status"; }
now() { date +%s.%N; }
tap_drops() { ts_ns ip -s link show tap0 | awk '/TX:/ { getline; print $4 }'; }
RSS0=$(rss_kb)

# The same commands before the attack: what their own start-up costs on this machine now.
t=$(now)
ts_ns curl -s -o /dev/null --max-time 5 http://10.0.0.2/bytes/1000 || ts_fail "curl before the attack"
t1=$(now)
ts_ns timeout 10 lftp -e 'set net:max-retries 1; set cmd:fail-exit yes; cls /pub; bye' ftp://10.0.0.2 >/dev/null ||
    ts_fail "lftp before the attack"
t2=$(now)
printf 'hi\n' | ts_ns timeout 5 nc -N 10.0.0.2 7 >/dev/null || ts_fail "nc before the attack"
t3=$(now)
ts_log "before the attack: curl $(awk -v a="$t1" -v b="$t" 'BEGIN { printf "%.3f", a - b }') s," \
    "lftp $(awk -v a="$t2" -v b="$t1" 'BEGIN { printf "%.3f", a - b }') s," \
    "nc $(awk -v a="$t3" -v b="$t2" 'BEGIN { printf "%.3f", a - b }') s (with the commands' start-up)"

ts_ns python3 "$TS_ROOT/tests/integration/exhaust_attack.py" tap0 02:00:00:00:00:02 10.0.0.2 \
    80,21,7,13 "$CONNS" "$SECS" 300 "$STATUS" >"$TS_LOGDIR/exhaust.attack.log" 2>&1 &
ATTACK=$!
echo "pid $ATTACK" >>"$TS_PIDS"

# Wait (at most 60 s) until every service is evicting, or the attacker holds 60 % of its
# connections to HTTP, FTP and echo (with the default limits their tightened timeouts may keep them
# under the limit; daytime resets its ghosts after 3 s).
evicting() {
    grep -q '^http: at ' "$TS_OUT" && grep -q '^tapstack: ftp: at ' "$TS_OUT" &&
        grep -q '^tapstack: echo: at ' "$TS_OUT"
}
holding() {
    [ -s "$STATUS" ] && awk -v want=$((CONNS * 6 / 10)) '{
        for (i = 1; i <= NF; i++) if ($i ~ /^held_(80|21|7)=/) { split($i, kv, "="); if (kv[2] < want) bad = 1 }
    } END { exit bad }' "$STATUS"
}
for _ in $(seq 1 120); do
    evicting && break
    holding && break
    ts_alive "$ATTACK" || { cat "$TS_LOGDIR/exhaust.attack.log"; ts_fail "the attacker stopped early"; }
    sleep 0.5
done
evicting || holding || {
    tail -5 "$TS_LOGDIR/exhaust.attack.log"
    ts_fail "the attack did not reach its connections or the services' limits in 60 s"
}
ts_log "under attack: $(cat "$STATUS"); tap0 dropped $(tap_drops) frames so far (queue full)"
DROPS0=$(tap_drops)

failed=0
worst=0
curl_worst=0
greater() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x > y) }'; }
note_time() {   # name start: print, remember the worst
    local dt
    dt=$(awk -v a="$(now)" -v b="$2" 'BEGIN { printf "%.3f", a - b }')
    ts_log "$1 served in ${dt} s"
    if greater "$dt" "$worst"; then worst=$dt; fi
}
for r in $(seq 1 $ROUNDS); do
    t=$(now)
    rm -f "$TS_LOGDIR/exhaust.body"
    out=$(ts_ns curl -s -o "$TS_LOGDIR/exhaust.body" -w '%{http_code} %{time_total}' --max-time 5 \
        http://10.0.0.2/bytes/1000) || out="curl failed ($?)"
    code=${out%% *}
    size=$(stat -c %s "$TS_LOGDIR/exhaust.body" 2>/dev/null || echo 0)
    if [ "$code" = 200 ] && [ "$size" = 1000 ]; then
        note_time "round $r: curl (its own time_total ${out##* } s)" "$t"
        if greater "${out##* }" "$curl_worst"; then curl_worst=${out##* }; fi
    else
        echo "round $r: curl: $out, $size bytes"; failed=$((failed + 1))
    fi

    t=$(now)
    out=$(ts_ns timeout 10 lftp -e 'set net:max-retries 1; set net:timeout 5; set cmd:fail-exit yes; cls /pub; bye' \
        ftp://10.0.0.2 2>&1)
    if echo "$out" | grep -q .; then note_time "round $r: lftp" "$t"; else
        echo "round $r: lftp: '$out'"; failed=$((failed + 1)); fi

    t=$(now)
    got=$(printf 'hello %s\n' "$r" | ts_ns timeout 5 nc -N 10.0.0.2 7 2>&1)
    if [ "$got" = "hello $r" ]; then note_time "round $r: nc echo" "$t"; else
        echo "round $r: nc: '$got'"; failed=$((failed + 1)); fi

    t=$(now)
    got=$(ts_ns timeout 5 nc 10.0.0.2 13 </dev/null 2>&1)
    if echo "$got" | grep -q "$(date -u +%Y)"; then note_time "round $r: nc daytime" "$t"; else
        echo "round $r: daytime: '$got'"; failed=$((failed + 1)); fi
    sleep 1
done
# The same services timed from connect() to the end of the answer, without a command's start-up.
if ts_ns python3 "$TS_ROOT/tests/integration/exhaust_probe.py" 10.0.0.2 "${TS_EXHAUST_PROBES:-3}" 0.5 >"$TS_LOGDIR/exhaust.probe" 2>&1; then
    :
else
    grep -v ' ok$' "$TS_LOGDIR/exhaust.probe" | head -5
    failed=$((failed + 1))
fi
while read -r _ svc served nfail max over; do
    ts_log "probe $svc: $served $nfail, slowest ${max#max=} s, $over"
done < <(grep '^summary ' "$TS_LOGDIR/exhaust.probe")
# A client that waits half a second between its handshake and its request: the attack turns each
# service's connections over in tens of milliseconds, so ranking victims by age alone reset it.
slow=$(ts_ns timeout 10 python3 -c '
import socket, time
s = socket.create_connection(("10.0.0.2", 80), timeout=5)
time.sleep(0.5)
s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n")
b = b""
while True:
    x = s.recv(4096)
    if not x:
        break
    b += x
print(b.split(b"\r\n")[0].decode())
' 2>&1)
if [ "$slow" = "HTTP/1.1 200 OK" ]; then ts_log "a client 0.5 s slow to send its request: served"; else
    echo "slow client: '$slow'"; failed=$((failed + 1)); fi
RSS1=$(rss_kb)
ts_log "attack status: $(cat "$STATUS")"
ts_log "tapstack resident memory: ${RSS0} kB before, ${RSS1} kB under attack ($TS_BIN)"
"$TS_BIN" netstat --netns "$TS_NS" -s >"$TS_LOGDIR/exhaust.netstat" 2>&1 || true
# TCP's table holds what the servers admitted plus handshakes: no orphans piling up towards the
# 65,536 TCBs (a ghost's FIN retransmitted for minutes would lock every service out).
tcbs=$("$TS_BIN" netstat --netns "$TS_NS" -tn 2>/dev/null | grep -c '^tcp')
ts_log "TCP connections under attack: $tcbs"
ts_log "tap0, towards tapstack: $(ts_ns ip -s link show tap0 | awk '/TX:/ { getline; print $2 " frames, " $4 " dropped (queue full)" }'), $(($(tap_drops) - DROPS0)) of them while the real clients ran"
[ "$tcbs" -lt $((CONNS * 4 + 4096)) ] || ts_fail "$tcbs TCP connections: more than the attack holds"
ts_log "TCP under attack: $(grep -iE 'SYN cookie|accept queue full|orphan' "$TS_LOGDIR/exhaust.netstat" |
    sed 's/^ *//' | tr '\n' ';')"
# What each server's limits did (netstat -s, from the guards): evictions and timeouts counted.
"$TS_BIN" netstat --netns "$TS_NS" -s --json >"$TS_LOGDIR/exhaust.netstat.json" 2>&1 || true
python3 - "$TS_LOGDIR/exhaust.netstat.json" "${#LIMITS[@]}" <<'PY' || ts_fail "the servers' figures in netstat -s --json are wrong"
import json, sys
d = json.load(open(sys.argv[1]))
sv, mem = d["servers"], d["memory"]
for name in ("http", "ftp", "echo", "daytime"):
    s = sv[name]
    print("[servers] %s: %d of %d held, %d admitted, %d evicted, %d timed out, %d refused" % (
        name, s["conns"], s["max_conns"], s["admitted"], s["evicted"], s["expired"],
        s["refused_full"] + s["refused_peer"]))
    assert s["conns"] <= s["max_conns"], name
    # below the attack's size (1000) every server evicts; with the defaults timeouts may do it all
    assert sys.argv[2] == "0" or name == "daytime" or s["evicted"] > 0, name + " never evicted"
print("[servers] TCP: %d connections, %d orphans" % (mem["tcp_conns"], mem["tcp_orphans"]))
assert mem["tcp_orphans"] <= mem["tcp_conns"]
PY
[ "$failed" = 0 ] || ts_fail "$failed real-client checks failed under attack (of $((4 * ROUNDS)) commands, the probe and the slow client)"
ts_log "every real client served; the slowest in ${worst} s (with the command's start-up); curl's own time_total at most ${curl_worst} s"

# Evictions: counted in the log lines, at most one line a second per service. With the limits
# below the attack (1000) every service must have evicted; with the defaults (10000 against 8192)
# the tightened timeouts may keep a service under its limit (then there is nothing to evict).
for svc in '^http: at ' '^tapstack: ftp: at ' '^tapstack: echo: at '; do
    lines=$(grep -c "$svc" "$TS_OUT")
    [ "${#LIMITS[@]}" = 0 ] || [ "$lines" -gt 0 ] || ts_fail "${svc#^} never evicted"
    last=$(grep "$svc" "$TS_OUT" | tail -1)
    ts_log "${svc#^} $lines log lines; last: ${last##*: at }"
    [ "$lines" -le $((SECONDS - TS_START_SECONDS + 2)) ] || ts_fail "$svc logged $lines lines in $SECONDS s"
done
[ "$RSS1" -lt $((1536 * 1024)) ] || ts_fail "tapstack grew to $RSS1 kB"

kill "$ATTACK" 2>/dev/null
wait "$ATTACK" 2>/dev/null
# After the attack: the idle ghosts time out and the services answer as usual.
code=$(ts_ns curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://10.0.0.2/) || true
[ "$code" = 200 ] || ts_fail "after the attack: curl got '$code'"
ts_stop
echo "PASS"
