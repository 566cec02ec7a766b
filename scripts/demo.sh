#!/usr/bin/env bash
# make demo: two tapstack hosts and the kernel on one Ethernet, replaying the textbook picture of
# port numbers: a PC (192.168.1.5) asks a server (192.168.1.7) for a web page (port 80) and an FTP
# file (port 21) at the same time, and the kernel (192.168.1.1) fetches a page with curl too.
#
#   namespace tapstack-demo-PID:   br0 (192.168.1.1, the kernel) --+-- tapS: tapstack up    192.168.1.7
#                                                                  +-- tapP: tapstack fetch 192.168.1.5
#
# While the transfers run, `tapstack netstat` on both hosts shows each conversation's socket pair
# from both ends. Everything lives in a namespace of its own, removed on exit; nothing outside it
# is touched. Exit status 0 when every transfer arrived intact.
# For the tests: TS_DEMO_BIN picks the binary (default build/tapstack), TS_DEMO_NETNS names the namespace, TS_DEMO_WORK is a directory to work in and keep (logs),
# TS_DEMO_SERVER_FLAGS and TS_DEMO_FETCH_FLAGS add flags (--pcap FILE ...), TS_DEMO_PICTURES is where
# the pictures of the conversations go (default build/demo-pictures: the server's capture, drawn by
# tapstack plot at the end).
set -u
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "make demo: needs root (a network namespace, a bridge, two TAPs): sudo make demo" >&2
    exit 1
fi
bin=${TS_DEMO_BIN:-build/tapstack}
[ -x "$bin" ] || { echo "make demo: $bin is not built: run make first" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

NS=${TS_DEMO_NETNS:-tapstack-demo-$$}
PC=192.168.1.5
SERVER=192.168.1.7
KERNEL=192.168.1.1
if [ -n "${TS_DEMO_WORK:-}" ]; then
    WORK=$TS_DEMO_WORK
    rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
else
    WORK=$(mktemp -d /tmp/tapstack-demo.XXXXXX)
fi
PIDS=()

cleanup() {
    local rc=$?
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    ip netns del "$NS" 2>/dev/null
    [ -n "${TS_DEMO_WORK:-}" ] || rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }; else say() { printf '\n== %s\n' "$*"; }; fi
die() { echo "make demo: $*" >&2; exit 1; }
ns() { ip netns exec "$NS" "$@"; }
# In the background: exec, so that $! is the program itself and cleanup can end it by PID.
nsbg() { exec ip netns exec "$NS" "$@"; }

# ---- the wire: a bridge with the kernel on it, and two TAPs plugged in ----
say "Building the network: namespace $NS, bridge br0 ($KERNEL, the kernel), TAPs tapS and tapP"
ip netns add "$NS" || die "cannot create namespace $NS"
ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
ns ip link set lo up
ns ip link add br0 type bridge || die "cannot create the bridge"
ns ip addr add "$KERNEL/24" dev br0
ns ip link set br0 up
for t in tapS tapP; do
    ns ip tuntap add dev "$t" mode tap || die "cannot create TAP $t"
    ns ip link set "$t" master br0 up
done

# ---- the content ----
big=$((2 * 1024 * 1024)) page=$((1024 * 1024))
mkdir -p "$WORK/srv/pub" "$WORK/got"
{
    echo "<!doctype html><title>The web page</title><h1>Hello from $SERVER:80</h1><pre>"
    head -c $((page * 3 / 4)) /dev/urandom | base64
    echo "</pre>"
} | head -c "$page" >"$WORK/srv/index.html"
head -c "$big" /dev/urandom >"$WORK/srv/pub/file.bin"

# ---- the server: HTTP on 80, FTP on 21; its frames out are delayed by 200 ms (a long path, no
# loss), so that the transfers last long enough to be watched ----
say "Starting the server: tapstack up on tapS, $SERVER, HTTP on port 80 and FTP on port 21"
nsbg "$bin" up --tap tapS --ip "$SERVER/24" --mac 02:00:00:00:00:07 --ctl "$WORK/server.sock" --seed 7 \
    --http-root "$WORK/srv" --ftp-root "$WORK/srv" --delay-out 200 --pcap "$WORK/server.pcap" ${TS_DEMO_SERVER_FLAGS:-} >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
PIDS+=($SERVER_PID)
for _ in $(seq 100); do grep -q "up on" "$WORK/server.out" 2>/dev/null && break; sleep 0.1; done
grep -q "up on" "$WORK/server.out" || { cat "$WORK/server.err" >&2; die "the server did not start"; }
cat "$WORK/server.out"

# ---- the PC: one tapstack fetch, two URLs at once; and the kernel's curl ----
say "The PC ($PC) asks for a web page and an FTP file at the same time: one tapstack fetch"
echo "(and the kernel ($KERNEL), a third host on the same bridge, runs curl http://$SERVER/index.html)"
nsbg curl -sS --max-time 60 --limit-rate 200k -o "$WORK/curl.html" "http://$SERVER/index.html" 2>"$WORK/curl.err" &
CURL_PID=$!
PIDS+=($CURL_PID)
echo "tapstack fetch --tap tapP --ip $PC/24 http://$SERVER/index.html ftp://$SERVER/pub/file.bin"
nsbg "$bin" fetch --tap tapP --ip "$PC/24" --mac 02:00:00:00:00:05 --ctl "$WORK/pc.sock" --seed 5 -o "$WORK/got" ${TS_DEMO_FETCH_FLAGS:-} \
    "http://$SERVER/index.html" "ftp://$SERVER/pub/file.bin" >"$WORK/fetch.out" 2>"$WORK/fetch.err" &
FETCH_PID=$!
PIDS+=($FETCH_PID)

# ---- netstat on both hosts while the transfers run ----
netstat_of() { "$bin" netstat --ctl "$1" -tn 2>/dev/null; }
for _ in $(seq 100); do   # until both of the PC's conversations are up (at most ~5 s)
    pc_ns=$(netstat_of "$WORK/pc.sock")
    if echo "$pc_ns" | grep -q ":80 .*ESTABLISHED" && echo "$pc_ns" | grep -q ":21 .*ESTABLISHED"; then break; fi
    sleep 0.05
done
srv_ns=$(netstat_of "$WORK/server.sock")
say "While the transfers run: tapstack netstat -tn on the PC ($PC)"
echo "$pc_ns"
say "... and on the server ($SERVER)"
echo "$srv_ns"
say "Each conversation seen from both ends (the socket pair is the same, read the other way round)"
printf '%-54s| %s\n' "on the PC: local -> foreign, state" "on the server: local <- foreign, state"
echo "$pc_ns" | awk '$1 == "tcp" { print $4, $5, $6 }' | while read -r l f st; do
    other=$(echo "$srv_ns" | awk -v l="$f" -v f="$l" '$1 == "tcp" && $4 == l && $5 == f { print $6 }')
    printf '%-54s| %s\n' "$l -> $f  $st" "$f <- $l  ${other:-(gone)}"
done
echo "$srv_ns" | awk -v pc="$PC" '$1 == "tcp" && index($5, pc ":") != 1 { print $4, $5, $6 }' |
    while read -r l f st; do printf '%-54s| %s\n' "(not the PC's)" "$l <- $f  $st"; done

# ---- the results ----
for _ in $(seq 600); do kill -0 "$FETCH_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$FETCH_PID" 2>/dev/null && die "tapstack fetch did not finish within 60 s"
wait "$FETCH_PID"
fetch_rc=$?
wait "$CURL_PID"
curl_rc=$?
say "What tapstack fetch printed: one line per transfer (socket pair, URL, bytes, time, rate)"
cat "$WORK/fetch.out"
grep -v "SYN_SENT" "$WORK/fetch.err" >&2
ok=1
check() {   # check NAME GOT WANT
    if cmp -s "$2" "$3"; then echo "  $1: $(stat -c %s "$2") bytes, sha256 $(sha256sum <"$2" | cut -c1-16)... identical"
    else echo "  $1: DIFFERENT or missing"; ok=0; fi
}
say "Checking the bodies"
check "web page (HTTP)" "$WORK/got/index.html" "$WORK/srv/index.html"
check "file (FTP)     " "$WORK/got/file.bin" "$WORK/srv/pub/file.bin"
check "kernel's curl  " "$WORK/curl.html" "$WORK/srv/index.html"
[ "$curl_rc" = 0 ] || echo "  (curl exited with status $curl_rc: $(cat "$WORK/curl.err"))"
[ "$fetch_rc" = 0 ] && [ "$curl_rc" = 0 ] || ok=0

say "Afterwards: the server holds each closed conversation in TIME_WAIT (it closed first)"
netstat_of "$WORK/server.sock"

# ---- the pictures: stop the server (its capture is complete then) and draw each conversation ----
PICS=${TS_DEMO_PICTURES:-build/demo-pictures}
kill "$SERVER_PID" 2>/dev/null
for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
say "The pictures of each conversation the server had (tapstack plot $WORK/server.pcap -o $PICS)"
rm -rf "$PICS"
if "$bin" plot "$WORK/server.pcap" -o "$PICS"; then
    echo "Open them in a browser: the .seq.svg is the time-sequence graph (sequence number over time, the"
    echo "ACK line and the window above it), the .ladder.svg the sequence diagram (one arrow per segment)."
else
    echo "  (tapstack plot failed: no pictures)"; ok=0
fi

web=$(awk '/ http:/ { print $1; exit }' "$WORK/fetch.out")
ftp=$(awk '/ ftp:/ { print $1; exit }' "$WORK/fetch.out")
data=$(sed -n 's/.*(data \([^ ]*\) -> \([^ ,)]*\).*/\1 -> \2/p' "$WORK/fetch.out" | head -1)
wport=${web##*:} fport=${ftp##*:}
say "What to notice"
cat <<EOF
  1. Same addresses. Both of the PC's conversations run between the same two hosts: $PC and $SERVER
     (the same MAC addresses, the same IP addresses).
  2. Different source ports. The PC picked $wport for the web page and $fport for FTP, on its own,
     from the dynamic range 49152-65535 (RFC 6056): the source port is the return address that
     tells the two conversations apart.
  3. The destination port names the service: 80 asks for the web server, 21 for the FTP server,
     both on the same host $SERVER.
  4. The socket pair names the conversation: ($web, $SERVER:80) and ($ftp, $SERVER:21)
     are two conversations between one pair of hosts. Netstat on either host lists the same pair,
     read from its own end.
  5. FTP moves the file on a conversation of its own (its data connection: $data).
  6. The kernel ($KERNEL) is a third host: its curl to $SERVER:80 shares the server's socket
     $SERVER:80 with the PC's web conversation, yet its pair differs, so the server keeps them apart.
EOF
[ "$ok" = 1 ] || die "a transfer failed or a body differs (see above)"
echo
echo "make demo: done."
