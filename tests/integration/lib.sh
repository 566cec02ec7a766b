# shellcheck shell=bash
# Helpers for the integration tests (tests/integration/t_<name>.sh). Source it, then:
#
#   ts_init NAME          Start a test: skip it (exit 77) unless root with build/asan/tapstack built,
#                         name its namespace TS_NS=ts-NAME-$$ and set an EXIT trap that cleans up.
#                         Logs go to build/integration/NAME.*.
#   ts_start [FLAGS...]   Start build/asan/tapstack up --netns $TS_NS --seed 1 FLAGS... in the
#                         background (TS_PID holds its PID; its output goes to $TS_OUT) and wait,
#                         at most $TS_READY_TIMEOUT seconds (10), for its ready line. Fails the test
#                         if it exits or does not get ready. tapstack creates the namespace and
#                         gives the kernel side 10.0.0.1/24 (the stack is 10.0.0.2/24 unless FLAGS
#                         say otherwise).
#   ts_ns CMD...          Run CMD inside the namespace (ip netns exec $TS_NS CMD...).
#   ts_stop               Stop tapstack (SIGTERM, or the signal named in $TS_STOP_SIG, then SIGKILL
#                         after 5 s), wait for it (returning within 10 ms of its exit), and fail
#                         the test if it did not exit with 0, a sanitizer (ASan, LSan, UBSan)
#                         printed anything, or it left its namespace behind (unless the test made
#                         the namespace itself and set TS_NS_KEEP=1). The EXIT trap calls it if the
#                         test did not.
#   ts_fail MSG           Print "FAIL: MSG" and exit 1 (the trap still cleans up).
#   ts_log MSG            Print a line with the time since the test started.
#   ts_bg CMD...          Run CMD in the background and record its PID for cleanup (sets TS_BG_PID).
#   ts_offloads_off NS DEV  Turn GSO, TSO and GRO off on DEV in namespace NS (ethtool), so that
#                         frames through DEV are single segments (a loss drops one segment).
#   ts_netns_add NAME     Make namespace NAME (lo up); the EXIT trap deletes it.
#   ts_bridge TAP...      Make the namespace $TS_NS itself (lo up, IPv6 off) with a bridge br0, the
#                         kernel's side as 10.0.0.1/24, and a TAP named TAP enslaved to it for each
#                         argument, for several tapstacks (`up --tap`, `fetch --tap`) on one link.
#                         Sets TS_NS_KEEP=1; the EXIT trap deletes the namespace.
#   ts_veth NS1 DEV1 ADDR1 NS2 DEV2 ADDR2   A veth pair made inside NS1 (nothing in the root
#                         namespace), DEV1 with ADDR1 in NS1 and DEV2 with ADDR2 in NS2, offloads off.
#   ts_loss_paths         Two paths with a router in the middle, for loss made by nftables in the
#                         router's forward hook (frames there are single segments; a drop at a
#                         host's own output hook is only a local send error to its TCP):
#                         tapstack path: client $TS_TCLIENT (10.2.0.2) -- veth -- $TS_NS (router)
#                         -- tap0 -- tapstack (start it with --gateway 10.0.0.1);
#                         kernel path: client $TS_KCLIENT (10.3.0.2) -- veth -- $TS_KROUTER -- veth
#                         -- $TS_KSERVER ($TS_K_IP = 10.1.0.2). Needs tapstack started first.
#   ts_loss_tap_path ROUTER CLIENT  One more tapstack path like the first: namespace CLIENT
#                         (10.2.0.2) -- veth -- ROUTER, the namespace of another tapstack's tap0
#                         (ts_start_more ROUTER ... --gateway 10.0.0.1).
#   ts_start_more NS LOG FLAGS...  Another tapstack: up --netns NS FLAGS... in the background, its
#                         output in LOG; waits for its ready line like ts_start. Sets TS_BG_PID.
#   ts_stop_more PID LOG  Stop it (SIGTERM, SIGKILL after 5 s); returns 1, after saying why, if it
#                         did not exit with 0 or a sanitizer printed anything in LOG.
#
# The EXIT trap kills what the test started (by PID, recorded in build/integration/NAME.pids so
# the runner can also clean up after a timeout), checks the sanitizer output, and deletes the
# namespace if it is still there. Tests configure nothing outside their own namespace.

TS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TS_BIN=${TS_BIN:-$TS_ROOT/build/asan/tapstack}
TS_LOGDIR=$TS_ROOT/build/integration
TS_READY_TIMEOUT=${TS_READY_TIMEOUT:-10}
TS_PID=
TS_STOPPED=0
TS_START_SECONDS=$SECONDS

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=66}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=66}

ts_log() { echo "[$((SECONDS - TS_START_SECONDS))s] $*"; }

ts_fail() {
    echo "FAIL: $*"
    exit 1
}

ts_init() {
    TS_NAME=$1
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP: $TS_NAME needs root (network namespaces and TAPs)"
        exit 77
    fi
    if [ ! -x "$TS_BIN" ]; then
        echo "SKIP: $TS_BIN is not built (make build/asan/tapstack)"
        exit 77
    fi
    TS_NS=ts-$TS_NAME-$$
    mkdir -p "$TS_LOGDIR"
    TS_OUT=$TS_LOGDIR/$TS_NAME.tapstack.log
    TS_PIDS=$TS_LOGDIR/$(basename "$0" .sh | sed 's/^t_//').pids   # the runner's name for the test
    : >"$TS_OUT"
    echo "netns $TS_NS" >"$TS_PIDS"
    trap ts_cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
}

# Is the process with PID $1 still running (and not a zombie)? Reads /proc/PID/stat with a
# builtin (no fork), so that it can be polled often: "PID (COMM) STATE ...".
ts_alive() {
    local st
    { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${st##*) }
    [ -n "$st" ] && [ "${st:0:1}" != Z ] && [ "${st:0:1}" != X ]
}

ts_start() {
    # The log may already hold an earlier run's lines: look only at what this run adds.
    local from
    from=$(($(wc -l <"$TS_OUT") + 1))
    "$TS_BIN" up --netns "$TS_NS" --seed 1 "$@" >>"$TS_OUT" 2>&1 &
    TS_PID=$!
    TS_STOPPED=0
    echo "pid $TS_PID" >>"$TS_PIDS"
    local deadline=$((SECONDS + TS_READY_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        if tail -n +"$from" "$TS_OUT" | grep -q '^tapstack: up on '; then
            ts_log "tapstack ready (pid $TS_PID, netns $TS_NS)"
            return 0
        fi
        if ! ts_alive "$TS_PID"; then
            cat "$TS_OUT"
            TS_STOPPED=1
            ts_fail "tapstack exited before it was ready"
        fi
        sleep 0.1
    done
    cat "$TS_OUT"
    ts_fail "tapstack not ready after ${TS_READY_TIMEOUT}s"
}

ts_ns() { ip netns exec "$TS_NS" "$@"; }

ts_offloads_off() {
    command -v ethtool >/dev/null || ts_fail "ethtool is missing (scripts/deps.sh test installs it)"
    ip netns exec "$1" ethtool -K "$2" gso off tso off gro off >/dev/null 2>&1 ||
        ts_fail "ethtool -K $2 gso off tso off gro off failed in $1"
}

ts_netns_add() {
    ip netns add "$1" || ts_fail "cannot create namespace $1"
    echo "netns $1" >>"$TS_PIDS"
    ip netns exec "$1" ip link set lo up
}

ts_bridge() {
    TS_NS_KEEP=1
    ip netns add "$TS_NS" || ts_fail "cannot create $TS_NS"
    ts_ns ip link set lo up
    ts_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
    ts_ns ip link add br0 type bridge
    ts_ns ip addr add 10.0.0.1/24 dev br0
    ts_ns ip link set br0 up
    local t
    for t in "$@"; do
        ts_ns ip tuntap add dev "$t" mode tap || ts_fail "cannot create $t"
        ts_ns ip link set "$t" master br0 up
    done
}

ts_veth() {
    ip netns exec "$1" ip link add "$2" type veth peer name "$5" netns "$4" ||
        ts_fail "cannot create the veth pair $2/$5"
    ip netns exec "$1" ip addr add "$3" dev "$2"
    ip netns exec "$4" ip addr add "$6" dev "$5"
    ip netns exec "$1" ip link set "$2" up
    ip netns exec "$4" ip link set "$5" up
    ts_offloads_off "$1" "$2"
    ts_offloads_off "$4" "$5"
}

ts_loss_paths() {
    TS_TCLIENT=$TS_NS-c
    TS_KCLIENT=$TS_NS-kc
    TS_KROUTER=$TS_NS-kr
    TS_KSERVER=$TS_NS-ks
    TS_K_IP=10.1.0.2
    local ns
    for ns in "$TS_KCLIENT" "$TS_KROUTER" "$TS_KSERVER"; do ts_netns_add "$ns"; done
    ts_loss_tap_path "$TS_NS" "$TS_TCLIENT"
    ts_veth "$TS_KROUTER" vrc 10.3.0.1/24 "$TS_KCLIENT" vc 10.3.0.2/24
    ts_veth "$TS_KROUTER" vrs 10.1.0.1/24 "$TS_KSERVER" vs "$TS_K_IP/24"
    ip netns exec "$TS_KCLIENT" ip route add default via 10.3.0.1
    ip netns exec "$TS_KSERVER" ip route add default via 10.1.0.1
    ip netns exec "$TS_KROUTER" sysctl -qw net.ipv4.ip_forward=1 || ts_fail "cannot turn forwarding on in $TS_KROUTER"
}

ts_loss_tap_path() {
    ts_netns_add "$2"
    ts_offloads_off "$1" tap0
    ts_veth "$1" vr 10.2.0.1/24 "$2" vc 10.2.0.2/24
    ip netns exec "$2" ip route add default via 10.2.0.1
    ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1 || ts_fail "cannot turn forwarding on in $1"
}

ts_start_more() {
    local ns=$1 log=$2 deadline=$((SECONDS + TS_READY_TIMEOUT))
    shift 2
    echo "netns $ns" >>"$TS_PIDS"     # tapstack makes it and deletes it; the trap, if it does not
    ts_bg "$TS_BIN" up --netns "$ns" "$@" >"$log" 2>&1
    while [ $SECONDS -lt $deadline ]; do
        grep -q '^tapstack: up on ' "$log" && return 0
        ts_alive "$TS_BG_PID" || { cat "$log"; ts_fail "tapstack in $ns exited before it was ready"; }
        sleep 0.1
    done
    cat "$log"
    ts_fail "tapstack in $ns not ready after ${TS_READY_TIMEOUT}s"
}

ts_stop_more() {
    local i rc
    kill -TERM "$1" 2>/dev/null
    for i in $(seq 500); do ts_alive "$1" || break; sleep 0.01; done
    ts_alive "$1" && { echo "tapstack $1 did not stop within 5 s of SIGTERM; killing it"; kill -KILL "$1"; }
    wait "$1" 2>/dev/null
    rc=$?
    if ! ts_sanitizer_clean "$2"; then
        cat "$2"
        echo "FAIL: the sanitizer reported an error (tapstack $1)"
        return 1
    fi
    [ "$rc" = 0 ] || { tail -20 "$2"; echo "FAIL: tapstack $1 exited with status $rc (expected 0 after SIGTERM)"; return 1; }
}

ts_bg() {
    "$@" &
    TS_BG_PID=$!
    echo "pid $TS_BG_PID" >>"$TS_PIDS"
}

# Did a sanitizer say anything in the tapstack log (or in the file given)?
ts_sanitizer_clean() {
    ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: [A-Za-z]*Sanitizer' "${1:-$TS_OUT}"
}

# Stop tapstack and check how it ended; returns 1 (after saying why) instead of exiting.
ts_stop_check() {
    [ -n "$TS_PID" ] && [ "$TS_STOPPED" = 0 ] || return 0
    TS_STOPPED=1
    kill -"${TS_STOP_SIG:-TERM}" "$TS_PID" 2>/dev/null
    local i rc
    for i in $(seq 500); do ts_alive "$TS_PID" || break; sleep 0.01; done
    if ts_alive "$TS_PID"; then
        echo "tapstack did not stop within 5 s of SIG${TS_STOP_SIG:-TERM}; killing it"
        kill -KILL "$TS_PID" 2>/dev/null
    fi
    wait "$TS_PID" 2>/dev/null
    rc=$?
    if ! ts_sanitizer_clean; then
        echo "--- tapstack output (sanitizer report):"
        cat "$TS_OUT"
        echo "FAIL: the sanitizer reported an error"
        return 1
    fi
    if [ "$rc" != 0 ]; then
        tail -20 "$TS_OUT"
        echo "FAIL: tapstack exited with status $rc (expected 0 after SIG${TS_STOP_SIG:-TERM})"
        return 1
    fi
    if [ "${TS_NS_KEEP:-0}" != 1 ] && [ -e "/run/netns/$TS_NS" ]; then
        echo "FAIL: tapstack left its namespace $TS_NS behind"
        return 1
    fi
    ts_log "tapstack stopped cleanly"
}

ts_stop() { ts_stop_check || exit 1; }

ts_cleanup() {
    local rc=$?
    trap - EXIT
    local kind pid
    # Background helpers first (recorded by ts_bg), then tapstack.
    if [ -f "$TS_PIDS" ]; then
        while read -r kind pid; do
            [ "$kind" = pid ] && [ "$pid" != "$TS_PID" ] && kill -TERM "$pid" 2>/dev/null
        done <"$TS_PIDS"
    fi
    ts_stop_check || rc=1
    if [ -e "/run/netns/$TS_NS" ]; then ip netns del "$TS_NS" 2>/dev/null; fi
    if [ -f "$TS_PIDS" ]; then    # namespaces the test made itself (ts_netns_add)
        while read -r kind pid; do
            [ "$kind" = netns ] && [ "$pid" != "$TS_NS" ] && [ -e "/run/netns/$pid" ] && ip netns del "$pid" 2>/dev/null
        done <"$TS_PIDS"
    fi
    rm -f "$TS_PIDS"
    exit "$rc"
}
