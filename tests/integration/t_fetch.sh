#!/usr/bin/env bash
# tapstack fetch against real servers: in the test's own namespace a bridge (10.0.0.1, the kernel,
# running Python's http.server on port 8000) joins two TAPs: tapS, where `tapstack up` serves FTP
# and HTTP as 10.0.0.7, and tapP, where `tapstack fetch` is the client 10.0.0.5.
#   - HTTP from the kernel and FTP (passive, then active) from tapstack, all at once: bodies
#     identical by sha256, one line per transfer, distinct source ports;
#   - failures say why (HTTP 404, FTP 550, refused, timed out) and the exit status is 1;
#   - 100 URLs at once: 100 distinct source ports, all in 49152-65535.
set -u
. "$(dirname "$0")/lib.sh"
ts_init fetch
D=$TS_LOGDIR/fetch.d
trap 'rc=$?; rm -rf "$D"; (exit $rc); ts_cleanup' EXIT
rm -rf "$D"
mkdir -p "$D/www" "$D/ftp/pub" "$D/out"
head -c 3000000 /dev/urandom >"$D/www/a.bin"
echo "a small page" >"$D/www/small.txt"
head -c 2000000 /dev/urandom >"$D/ftp/pub/f.bin"
head -c 500000 /dev/urandom >"$D/ftp/pub/g.bin"

# ---- usage errors: exit status 2, nothing created ----
usage() {   # usage WANT-IN-MESSAGE ARGS...
    local want=$1 msg rc
    shift
    msg=$("$TS_BIN" fetch "$@" 2>&1)
    rc=$?
    [ "$rc" = 2 ] || ts_fail "fetch $* exited $rc (expected 2): $msg"
    echo "$msg" | grep -q -- "$want" || ts_fail "fetch $*: '$msg' lacks '$want'"
}
usage "no DNS" http://example.com/
usage "only http:// and ftp://" https://10.0.0.1/
usage "no URL given" --tap tapP
usage "belongs to tapstack up" --ftp-root /tmp http://10.0.0.1/
usage "needs a value" http://10.0.0.1/ -o
usage "--timeout 'x'" --timeout x http://10.0.0.1/
usage "--ip 'nope'" --ip nope http://10.0.0.1/
ts_log "usage errors: exit status 2 with a reason"

ts_bridge tapS tapP

ts_bg ip netns exec "$TS_NS" python3 -m http.server 8000 --bind 10.0.0.1 --directory "$D/www"
for _ in $(seq 50); do ts_ns curl -s -o /dev/null http://10.0.0.1:8000/small.txt && break; sleep 0.1; done
SRV_LOG=$TS_LOGDIR/fetch.server.log
ts_bg ip netns exec "$TS_NS" "$TS_BIN" up --tap tapS --ip 10.0.0.7/24 --mac 02:00:00:00:00:07 --seed 7 \
    --ftp-root "$D/ftp" >"$SRV_LOG" 2>&1
SRV_PID=$TS_BG_PID
for _ in $(seq 100); do grep -q "^tapstack: up on" "$SRV_LOG" && break; sleep 0.1; done
grep -q "^tapstack: up on" "$SRV_LOG" || { cat "$SRV_LOG"; ts_fail "the tapstack server did not start"; }
ts_log "kernel http.server on 10.0.0.1:8000, tapstack FTP/HTTP on 10.0.0.7"

FETCH_ERR=$TS_LOGDIR/fetch.client.log
: >"$FETCH_ERR"
# Appends stderr to $FETCH_ERR (checked for sanitizer reports at the end).
fetch() { timeout 60 ip netns exec "$TS_NS" "$TS_BIN" fetch --tap tapP --ip 10.0.0.5/24 --mac 02:00:00:00:00:05 "$@" 2>>"$FETCH_ERR"; }
same() { [ "$(sha256sum <"$1")" = "$(sha256sum <"$2" 2>/dev/null)" ] || ts_fail "$3: differs from $1"; ts_log "$3: identical (sha256)"; }

# ---- all at once: HTTP from the kernel, FTP from tapstack ----
out=$(fetch -o "$D/out" http://10.0.0.1:8000/a.bin http://10.0.0.1:8000/small.txt ftp://10.0.0.7/pub/f.bin \
    ftp://10.0.0.7/pub/g.bin) || { echo "$out"; tail "$FETCH_ERR"; ts_fail "fetch of 4 URLs failed"; }
echo "$out"
same "$D/www/a.bin" "$D/out/a.bin" "HTTP a.bin (kernel http.server)"
same "$D/www/small.txt" "$D/out/small.txt" "HTTP small.txt"
same "$D/ftp/pub/f.bin" "$D/out/f.bin" "FTP f.bin (passive, tapstack server)"
same "$D/ftp/pub/g.bin" "$D/out/g.bin" "FTP g.bin"
[ "$(echo "$out" | wc -l)" = 4 ] || ts_fail "expected one line per transfer"
echo "$out" | grep -qE '^10\.0\.0\.5:[0-9]+ -> 10\.0\.0\.1:8000 +http://10\.0\.0\.1:8000/a\.bin  3000000 bytes  [0-9.]+ s  [0-9.]+ [kMG]?B/s$' ||
    ts_fail "no proper line for a.bin"
echo "$out" | grep -qE '^10\.0\.0\.5:[0-9]+ -> 10\.0\.0\.7:21 +ftp://10\.0\.0\.7/pub/f\.bin  2000000 bytes .*\(data 10\.0\.0\.5:[0-9]+ -> 10\.0\.0\.7:[0-9]+\)$' ||
    ts_fail "no proper line for f.bin"
n=$(echo "$out" | awk '{ split($1, a, ":"); print a[2] }' | sort -u | wc -l)
[ "$n" = 4 ] || ts_fail "4 transfers used $n distinct source ports"

# ---- active mode ----
rm -f "$D/out/f.bin"
out=$(fetch --active -o "$D/out" ftp://10.0.0.7/pub/f.bin) || { echo "$out"; ts_fail "active FTP failed"; }
echo "$out"
same "$D/ftp/pub/f.bin" "$D/out/f.bin" "FTP f.bin (active, PORT)"
echo "$out" | grep -qE '\(data 10\.0\.0\.7:20 -> 10\.0\.0\.5:[0-9]+, active\)$' || ts_fail "active data connection not from port 20"

# ---- failures say why ----
: >"$FETCH_ERR"
fetch --timeout 2 http://10.0.0.1:8000/nope ftp://10.0.0.7/pub/nope http://10.0.0.1:9/ http://10.0.0.99/x \
    http://10.0.0.1:8000/small.txt >"$D/fail.out"
rc=$?
cp "$FETCH_ERR" "$FETCH_ERR.why"
cat "$D/fail.out" "$FETCH_ERR.why"
[ "$rc" = 1 ] || ts_fail "exit status $rc with failed transfers (expected 1)"
grep -q "http://10.0.0.1:8000/nope failed: HTTP 404" "$FETCH_ERR.why" || ts_fail "404 not reported"
grep -q "ftp://10.0.0.7/pub/nope failed: FTP 550" "$FETCH_ERR.why" || ts_fail "FTP 550 not reported"
grep -q "http://10.0.0.1:9/ failed: connection refused" "$FETCH_ERR.why" || ts_fail "refused not reported"
grep -qE "http://10.0.0.99/x failed: (timed out|no route)" "$FETCH_ERR.why" || ts_fail "timeout not reported"
grep -q "4 of 5 transfers failed" "$FETCH_ERR.why" || ts_fail "no summary"
grep -qE "small.txt  13 bytes" "$D/fail.out" || ts_fail "the good transfer among failures did not complete"
rm -f "$FETCH_ERR.why"

# ---- 100 URLs at once: 100 source ports from the dynamic range ----
urls=()
for i in $(seq 100); do urls+=("http://10.0.0.7/bytes/$((1000 + i))"); done
out=$(fetch "${urls[@]}") || { echo "$out" | tail; tail "$FETCH_ERR"; ts_fail "100 URLs failed"; }
[ "$(echo "$out" | wc -l)" = 100 ] || ts_fail "expected 100 lines"
ports=$(echo "$out" | awk '{ split($1, a, ":"); print a[2] }')
n=$(echo "$ports" | sort -u | wc -l)
lo=$(echo "$ports" | sort -n | head -1)
hi=$(echo "$ports" | sort -n | tail -1)
[ "$n" = 100 ] || ts_fail "100 transfers used $n distinct source ports"
[ "$lo" -ge 49152 ] && [ "$hi" -le 65535 ] || ts_fail "source ports $lo..$hi outside 49152-65535"
ts_log "100 URLs at once: 100 distinct source ports in $lo..$hi"

grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: [A-Za-z]*Sanitizer' "$FETCH_ERR" &&
    { cat "$FETCH_ERR"; ts_fail "the sanitizer reported an error in tapstack fetch"; }
kill -TERM "$SRV_PID"
for _ in $(seq 50); do ts_alive "$SRV_PID" || break; sleep 0.1; done
wait "$SRV_PID"
rc=$?
[ "$rc" = 0 ] || { tail "$SRV_LOG"; ts_fail "the server exited with $rc"; }
grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: [A-Za-z]*Sanitizer' "$SRV_LOG" &&
    { cat "$SRV_LOG"; ts_fail "the sanitizer reported an error in the server"; }
ts_log "PASS"
