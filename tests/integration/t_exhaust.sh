#!/usr/bin/env bash
# Issue 25: connections an attacker opens and abandons must not lock real clients out. Through the
# TAP, exhaust_attack.py completes TCP handshakes from 300 spoofed addresses to HTTP (80), FTP (21)
# and echo (7), sends nothing, and re-opens each connection tapstack closes, TS_EXHAUST_CONNS per
# service (1000). Meanwhile a real curl, lftp and nc (the kernel side, 10.0.0.1) must be served,
# 5 rounds each; each time is printed (the issue wants each within a second: this test allows 5 s,
# the machine is shared). tapstack must log its evictions (at most once a second per service), keep
# its memory bounded, and serve normally after the attack.
# With 1000 connections the limits are set below it (HTTP 500, FTP 200, echo 500) so that eviction
# runs; TS_EXHAUST_CONNS=10000 keeps the default limits (sized from memory and the TCP limit: 8192).
# timeout: 300
set -u
. "$(dirname "$0")/lib.sh"
ts_init exhaust
CONNS=${TS_EXHAUST_CONNS:-1000}
SECS=${TS_EXHAUST_SECONDS:-40}
ROUNDS=5
if [ "$CONNS" -le 5000 ]; then
    LIMITS=(--http-max-conns 500 --ftp-max-sessions 200 --echo-max-conns 500)
else
    LIMITS=()
fi
ts_start --gateway 10.0.0.1 "${LIMITS[@]}"
STATUS=$TS_LOGDIR/exhaust.status
rm -f "$STATUS"

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$TS_PID/status"; }
now() { date +%s.%N; }
RSS0=$(rss_kb)

ts_ns python3 "$TS_ROOT/tests/integration/exhaust_attack.py" tap0 02:00:00:00:00:02 10.0.0.2 \
    80,21,7 "$CONNS" "$SECS" 300 "$STATUS" >"$TS_LOGDIR/exhaust.attack.log" 2>&1 &
ATTACK=$!
echo "pid $ATTACK" >>"$TS_PIDS"

# Wait (at most 60 s) until every service is at its limit and evicting.
for _ in $(seq 1 120); do
    if grep -q '^http: at ' "$TS_OUT" && grep -q '^tapstack: ftp: at ' "$TS_OUT" &&
        grep -q '^tapstack: echo: at ' "$TS_OUT"; then
        break
    fi
    ts_alive "$ATTACK" || { cat "$TS_LOGDIR/exhaust.attack.log"; ts_fail "the attacker stopped early"; }
    sleep 0.5
done
grep -q '^http: at ' "$TS_OUT" && grep -q '^tapstack: ftp: at ' "$TS_OUT" &&
    grep -q '^tapstack: echo: at ' "$TS_OUT" || {
    tail -5 "$TS_LOGDIR/exhaust.attack.log"
    ts_fail "the attack did not bring every service to its limit in 60 s"
}
ts_log "under attack: $(cat "$STATUS")"

failed=0
worst=0
note_time() {   # name start: print, remember the worst
    local dt
    dt=$(echo "$(now) - $2" | bc)
    ts_log "$1 served in ${dt} s"
    if [ "$(echo "$dt > $worst" | bc)" = 1 ]; then worst=$dt; fi
}
for r in $(seq 1 $ROUNDS); do
    t=$(now)
    code=$(ts_ns curl -s -o "$TS_LOGDIR/exhaust.body" -w '%{http_code}' --max-time 5 \
        http://10.0.0.2/bytes/1000) || code="curl failed ($?)"
    size=$(stat -c %s "$TS_LOGDIR/exhaust.body" 2>/dev/null || echo 0)
    if [ "$code" = 200 ] && [ "$size" = 1000 ]; then note_time "round $r: curl" "$t"; else
        echo "round $r: curl: $code, $size bytes"; failed=$((failed + 1)); fi

    t=$(now)
    out=$(ts_ns timeout 10 lftp -e 'set net:max-retries 1; set net:timeout 5; set cmd:fail-exit yes; cls /pub; bye' \
        ftp://10.0.0.2 2>&1)
    if echo "$out" | grep -q .; then note_time "round $r: lftp" "$t"; else
        echo "round $r: lftp: '$out'"; failed=$((failed + 1)); fi

    t=$(now)
    got=$(printf 'hello %s\n' "$r" | ts_ns timeout 5 nc -N 10.0.0.2 7 2>&1)
    if [ "$got" = "hello $r" ]; then note_time "round $r: nc echo" "$t"; else
        echo "round $r: nc: '$got'"; failed=$((failed + 1)); fi
    sleep 1
done
RSS1=$(rss_kb)
ts_log "attack status: $(cat "$STATUS")"
ts_log "tapstack resident memory: ${RSS0} kB before, ${RSS1} kB under attack ($TS_BIN)"
"$TS_BIN" netstat --netns "$TS_NS" -s >"$TS_LOGDIR/exhaust.netstat" 2>&1 || true
ts_log "TCP under attack: $(grep -iE 'SYN cookie|accept queue full' "$TS_LOGDIR/exhaust.netstat" |
    sed 's/^ *//' | tr '\n' ';')"
[ "$failed" = 0 ] || ts_fail "$failed of $((3 * ROUNDS)) real-client requests failed under attack"
ts_log "every real client served; the slowest in ${worst} s"

# Evictions: counted in the log lines, at most one line a second per service.
for svc in '^http: at ' '^tapstack: ftp: at ' '^tapstack: echo: at '; do
    lines=$(grep -c "$svc" "$TS_OUT")
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
