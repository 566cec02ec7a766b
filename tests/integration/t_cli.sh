#!/usr/bin/env bash
# The `tapstack` command itself: usage and bad flags (exit 2 with a message), the namespace
# lifecycle (create and remove; join an existing one and leave it), attaching to an existing
# TAP without --netns (configuring nothing), and `tapstack status` over the control socket.
set -u
. "$(dirname "$0")/lib.sh"
ts_init cli

# --- usage and bad flags: no root needed, nothing created
"$TS_BIN" >/dev/null 2>&1; [ $? = 2 ] || ts_fail "tapstack with no command should exit 2"
"$TS_BIN" --help | grep -q 'up ' || ts_fail "tapstack --help does not list up"
"$TS_BIN" up --help | grep -q -- '--netns NAME' || ts_fail "tapstack up --help does not list --netns"
"$TS_BIN" frobnicate 2>/dev/null; [ $? = 2 ] || ts_fail "an unknown command should exit 2"
check_bad() {   # check_bad "expected text" args...
    local want=$1; shift
    local out rc
    out=$("$TS_BIN" up "$@" 2>&1); rc=$?
    [ $rc = 2 ] || ts_fail "tapstack up $*: exit $rc, wanted 2"
    echo "$out" | grep -qF -- "$want" || ts_fail "tapstack up $*: message '$out' lacks '$want'"
}
check_bad "--ip '10.0.0.2'" --ip 10.0.0.2
check_bad "unknown flag --nope" --nope
check_bad "--mtu '99999'" --mtu 99999
check_bad "needs a value" --tap
check_bad "not on 10.0.0.2/24" --gateway 192.168.1.1
[ -e "/run/netns/$TS_NS" ] && ts_fail "a bad flag left a namespace behind"
ts_log "usage and bad flags: ok"

# --- create, status over the control socket, remove
ts_start
ts_ns ping -n -q -c 3 -i 0.05 -W 2 10.0.0.2 >/dev/null || ts_fail "no ping replies"
st=$("$TS_BIN" status --netns "$TS_NS") || ts_fail "tapstack status failed"
echo "$st"
echo "$st" | grep -q '^address 10.0.0.2/24 mac 02:00:00:00:00:02' || ts_fail "status lacks the address"
echo "$st" | grep -qE '^frames in [1-9]' || ts_fail "status shows no frames in"
echo "$st" | grep -q '^receive: one multishot read' || echo "note: this kernel has no multishot read; plain reads"
[ -S "/run/tapstack/$TS_NS.sock" ] || ts_fail "no control socket at /run/tapstack/$TS_NS.sock"
ts_ns ip -br addr show dev tap0 | grep -q '10.0.0.1/24' || ts_fail "the kernel side lacks 10.0.0.1/24"
ts_stop
[ -e "/run/tapstack/$TS_NS.sock" ] && ts_fail "the control socket was left behind"
ts_log "create, status, remove: ok"

# --- join a namespace that exists (made here), with another address, MTU and MAC; it stays
ip netns add "$TS_NS" || ts_fail "ip netns add failed"
TS_NS_KEEP=1
# (and receive with plain reads rather than the multishot read, to keep that path tested)
TAPSTACK_RX_PLAIN=1 ts_start --ip 192.168.50.9/28 --mtu 1400 --mac 02:aa:bb:cc:dd:ee --ctl "$TS_LOGDIR/cli.ctl.sock"
ts_ns ip -br addr show dev tap0 | grep -q '192.168.50.1/28' || ts_fail "the kernel side lacks 192.168.50.1/28"
ts_ns ip link show dev tap0 | grep -q 'mtu 1400' || ts_fail "the TAP's MTU is not 1400"
ts_ns ping -n -q -c 3 -i 0.05 -W 2 -s 1372 192.168.50.9 >/dev/null || ts_fail "no ping replies at MTU 1400"
ts_ns ip neigh show 192.168.50.9 | grep -q 'lladdr 02:aa:bb:cc:dd:ee' || ts_fail "ARP shows the wrong MAC"
st=$("$TS_BIN" status --ctl "$TS_LOGDIR/cli.ctl.sock") || ts_fail "status over --ctl failed"
echo "$st" | grep -q 'mtu 1400' || ts_fail "status over --ctl shows the wrong MTU"
echo "$st" | grep -q 'receive: plain reads' || ts_fail "TAPSTACK_RX_PLAIN=1 did not select plain reads"
ts_stop
[ -e "/run/netns/$TS_NS" ] || ts_fail "tapstack removed a namespace it did not create"
ts_ns ip link show tap0 >/dev/null 2>&1 && ts_fail "the TAP tapstack created is still there"
ts_log "join an existing namespace: ok"

# --- attach to an existing persistent TAP without --netns: configure nothing, leave it
ts_ns ip tuntap add dev tapP mode tap || ts_fail "ip tuntap add failed"
ts_ns ip addr add 10.7.0.1/24 dev tapP
ts_ns ip link set tapP up
out=$TS_LOGDIR/cli.attach.log
ts_bg ip netns exec "$TS_NS" "$TS_BIN" up --tap tapP --ip 10.7.0.2/24 --ctl "$TS_LOGDIR/cli.ctl2.sock" >"$out" 2>&1
for _ in $(seq 100); do grep -q '^tapstack: up on tapP 10.7.0.2/24' "$out" && break; sleep 0.1; done
grep -q '^tapstack: up on tapP 10.7.0.2/24 mac 02:00:00:00:00:02$' "$out" || { cat "$out"; ts_fail "attach mode not ready"; }
ts_ns ping -n -q -c 3 -i 0.05 -W 2 10.7.0.2 >/dev/null || ts_fail "no ping replies in attach mode"
[ "$(ts_ns ip -br -4 addr show dev tapP | wc -w)" -le 3 ] || ts_fail "attach mode changed the TAP's addresses"
kill -TERM "$TS_BG_PID"; wait "$TS_BG_PID"; rc=$?
[ $rc = 0 ] || { cat "$out"; ts_fail "attach mode exited with $rc"; }
grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$out" && { cat "$out"; ts_fail "sanitizer report in attach mode"; }
ts_ns ip link show tapP >/dev/null 2>&1 || ts_fail "tapstack removed a TAP it did not create"
ts_log "attach to an existing TAP: ok"

ip netns del "$TS_NS"
echo PASS
