#!/usr/bin/env bash
# make demo (scripts/demo.sh) runs to the end in the test's namespace, with the sanitized binary;
# its netstat output holds both of the PC's socket pairs (to port 80 and to port 21), from the
# PC's end and from the server's, and the kernel's third conversation.
set -u
. "$(dirname "$0")/lib.sh"
ts_init demo
W=$TS_LOGDIR/demo.work
OUT=$TS_LOGDIR/demo.out
trap 'rc=$?; rm -rf "$W"; (exit $rc); ts_cleanup' EXIT

TS_DEMO_BIN=$TS_BIN TS_DEMO_NETNS=$TS_NS TS_DEMO_WORK=$W TS_DEMO_PICTURES=$W/pictures \
    timeout -k 5 90 "$TS_ROOT/scripts/demo.sh" >"$OUT" 2>&1 &
DEMO_PID=$!
echo "pid $DEMO_PID" >>"$TS_PIDS"
wait "$DEMO_PID"
rc=$?
cat "$OUT"
[ "$rc" = 0 ] || ts_fail "the demo exited with status $rc"
grep -q "^make demo: done.$" "$OUT" || ts_fail "the demo did not run to the end"

# The netstat sections, as the demo printed them while the transfers ran.
pc=$(sed -n '/^== While the transfers run: tapstack netstat -tn on the PC/,/^== /p' "$OUT")
srv=$(sed -n '/^== \.\.\. and on the server/,/^== /p' "$OUT")
web=$(echo "$pc" | awk '$1 == "tcp" && $5 == "192.168.1.7:80" && $6 == "ESTABLISHED" { print $4 }')
ftp=$(echo "$pc" | awk '$1 == "tcp" && $5 == "192.168.1.7:21" && $6 == "ESTABLISHED" { print $4 }')
[ -n "$web" ] || ts_fail "the PC's netstat has no ESTABLISHED pair to 192.168.1.7:80"
[ -n "$ftp" ] || ts_fail "the PC's netstat has no ESTABLISHED pair to 192.168.1.7:21"
[ "$web" != "$ftp" ] || ts_fail "both conversations use the same socket $web"
for s in "$web" "$ftp"; do
    p=${s##*:}
    [ "${s%:*}" = 192.168.1.5 ] && [ "$p" -ge 49152 ] && [ "$p" -le 65535 ] || ts_fail "source socket $s"
done
echo "$srv" | awk -v f="$web" '$1 == "tcp" && $4 == "192.168.1.7:80" && $5 == f { ok = 1 } END { exit !ok }' ||
    ts_fail "the server's netstat lacks 192.168.1.7:80 <- $web"
echo "$srv" | awk -v f="$ftp" '$1 == "tcp" && $4 == "192.168.1.7:21" && $5 == f { ok = 1 } END { exit !ok }' ||
    ts_fail "the server's netstat lacks 192.168.1.7:21 <- $ftp"
echo "$srv" | grep -qE '192\.168\.1\.7:80 +192\.168\.1\.1:[0-9]+' || ts_fail "no third conversation from the kernel"
ts_log "socket pairs: ($web, 192.168.1.7:80) and ($ftp, 192.168.1.7:21), seen from both ends"
# The pictures of the server's conversations: both for the PC's web conversation, well-formed.
stem=${web/:/_}-192.168.1.7_80
grep -q "^$W/pictures/$stem.seq.svg  time-sequence graph" "$OUT" || ts_fail "the demo did not draw $stem.seq.svg"
for f in "$W/pictures/$stem.seq.svg" "$W/pictures/$stem.ladder.svg"; do
    python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$f" || ts_fail "$f is not well-formed"
done
ts_log "the demo drew $(ls "$W/pictures" | wc -l) pictures, among them $stem.seq.svg and .ladder.svg"
grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: [A-Za-z]*Sanitizer' "$W"/*.err &&
    { cat "$W"/*.err; ts_fail "the sanitizer reported an error"; }
[ -e "/run/netns/$TS_NS" ] && ts_fail "the demo left its namespace behind"
ts_log "PASS"
