#!/usr/bin/env bash
# A stop is finished when the process exits. In a namespace the test makes (tapstack joins it
# and must leave it), tapstack is started and stopped 20 times in a row, stops alternating
# SIGTERM and SIGINT: each start must answer ping, and right after each exit (no waiting) the
# TAP it created must be gone, so that the next start finds the name free. Then the same for a
# fatal setup error after the TAP was made (FTP asked for HTTP's port 80) and for
# `tapstack fetch`, which makes its own TAP: neither may leave a TAP behind. Last, 10 fetches in a
# row attached to a persistent TAP: each must find it free (not "already in use" because the
# previous process's io_uring still held it) and leave it in place.
set -u
. "$(dirname "$0")/lib.sh"
ts_init restart

ip netns add "$TS_NS" || ts_fail "ip netns add failed"
TS_NS_KEEP=1

gone() {   # gone TAP WHAT: fail unless the TAP is gone from the namespace
    if ts_ns ip link show "$1" >/dev/null 2>&1; then ts_fail "$2: $1 is still there after tapstack exited"; fi
}

CYCLES=20
for i in $(seq "$CYCLES"); do
    if [ $((i % 2)) = 0 ]; then TS_STOP_SIG=INT; else TS_STOP_SIG=TERM; fi
    ts_start
    ts_ns ping -n -q -c 1 -W 5 10.0.0.2 >/dev/null || ts_fail "cycle $i: no ping reply within 5 s"
    ts_stop
    gone tap0 "cycle $i (SIG$TS_STOP_SIG)"
    [ -e "/run/netns/$TS_NS" ] || ts_fail "cycle $i: tapstack removed a namespace it did not create"
done
TS_STOP_SIG=TERM
ts_log "$CYCLES start/ping/stop cycles: each exit left no TAP"

# A fatal setup error once the TAP exists: exit status 1, a message, no TAP.
out=$("$TS_BIN" up --netns "$TS_NS" --tap tapE --ftp 80 2>&1); rc=$?
[ $rc = 1 ] || ts_fail "a setup error after the TAP was made exited $rc (expected 1): $out"
echo "$out" | grep -q 'cannot start ftp' || ts_fail "the setup error lacks its reason: $out"
gone tapE "a fatal setup error"
ts_log "a fatal setup error after the TAP was made: exit 1, no TAP"

# tapstack fetch makes its own TAP (kernel side 10.9.0.1, nothing listening): the transfer is
# refused, fetch exits 1, and its TAP is gone.
out=$("$TS_BIN" fetch --netns "$TS_NS" --tap tapF --ip 10.9.0.5/24 --timeout 5 http://10.9.0.1:9/ 2>&1); rc=$?
[ $rc = 1 ] || ts_fail "fetch of a refused URL exited $rc (expected 1): $out"
echo "$out" | grep -qi 'refused' || ts_fail "fetch does not say the connection was refused: $out"
gone tapF "tapstack fetch"
ts_log "tapstack fetch: its TAP is gone when it exits"

# A persistent TAP (made here, kernel side 10.8.0.1): tapstack only attaches to it.
ts_ns ip tuntap add dev tapP mode tap || ts_fail "ip tuntap add failed"
ts_ns ip addr add 10.8.0.1/24 dev tapP
ts_ns ip link set tapP up
for i in $(seq 10); do
    out=$(ts_ns "$TS_BIN" fetch --tap tapP --ip 10.8.0.5/24 --timeout 5 http://10.8.0.1:9/ 2>&1); rc=$?
    echo "$out" | grep -qi 'refused' || ts_fail "attached fetch $i (exit $rc) did not get its answer: $out"
    ts_ns ip link show tapP >/dev/null 2>&1 || ts_fail "attached fetch $i deleted a TAP it did not create"
done
ts_log "10 fetches in a row on a persistent TAP: each found it free and left it"

ip netns del "$TS_NS"
echo PASS
