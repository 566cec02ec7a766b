#!/usr/bin/env bash
# TCP under loss beside Linux, in one run, controller for controller (issue 18). Paths, each client --
# router -- server (lib.sh ts_loss_paths, ts_loss_tap_path): one to a tapstack per congestion
# controller in TS_LOSS_CCS (the router is the namespace that holds its tap0; tapstack with --cc CC
# and --no-offload), and one to the kernel's own stack (three namespaces over veth), where one
# Python server (scripts/loss_xfer.py kserve) serves the same bytes as tapstack's /bytes/N with
# sendfile on a port per controller, each listener given its controller by
# setsockopt(TCP_CONGESTION) (this host's default, which namespaces inherit and cannot change, is not
# what is compared), and a hashing sink for uploads. GSO/TSO/GRO are off on every link, so each
# router's nftables forward hook sees single frames and drops the given share of the TCP frames each
# way on every path. Per loss rate, rounds alternating every transfer: tapstack sending (a download
# with curl) beside the kernel sending with the same controller, and tapstack receiving (an upload
# into its discard port, the kernel client's socket given the controller) beside the kernel
# receiving the same. Prints MB/s per transfer with the load average and the kernel socket's
# controller (getsockopt), and a table with the ratio tapstack/Linux per controller
# (scripts/loss_xfer.py). Asserts that every download is byte-exact (SHA-256), every upload fully
# taken, each within TS_LOSS_LIMIT seconds, the kernel's socket on the controller asked, and the
# loss each way what was asked; the ratio is printed, not judged.
# TS_LOSS_MB (default 4; `make bench` uses 20), TS_LOSS_MB_FOR ("CC@PCT=MB ...", another size for a
# controller at a rate; default "cubic@10=" a quarter of TS_LOSS_MB, at least 1: Linux CUBIC sends
# about 0.2 MB/s at 10 %), TS_LOSS_CCS ("cubic bbr"), TS_LOSS_PCTS (rates tapstack sends at, "1 5
# 10"; "" none), TS_LOSS_RECV_PCTS (rates it receives at, "5"; "" none), TS_LOSS_ROUNDS (1),
# TS_LOSS_LIMIT (60 s per transfer), TS_LOSS_JSON (write the table as JSON),
# TS_LOSS_SS=DIR (`ss -tin` every 50 ms in the kernel's namespaces, a file per transfer),
# TS_LOSS_PCAP=DIR (tcpdump on both interfaces of each path's router, a file per transfer),
# TS_LOSS_FLAGS (more flags for every tapstack up, e.g. "--trace"), TS_LOSS_CSUM (1, the default:
# tapstack with --no-tso, the offloads the kernel's veth paths have; 0: --no-offload, plain frames
# whose checksums tapstack computes and the kernel verifies, work the Linux side never does).
# timeout: 900
set -u
. "$(dirname "$0")/lib.sh"
ts_init tcp_loss
"$TS_BIN" up --help | grep -q -- '--http-root' || { echo "SKIP: the HTTP app is not built"; exit 77; }
command -v nft >/dev/null || ts_fail "nft is missing (scripts/deps.sh test installs nftables)"
mb=${TS_LOSS_MB:-4}
ccs=${TS_LOSS_CCS:-cubic bbr}
q=$(awk -v m="$mb" 'BEGIN { q = int(m / 4); print (q < 1 ? 1 : q) }')
mb_for=${TS_LOSS_MB_FOR-cubic@10=$q}
work=$TS_LOGDIR/tcp_loss.work
rm -rf "$work"; mkdir -p "$work"

# Frames of one MSS from tapstack too: with TSO it hands the TAP 64 KB segments, which the router
# would drop whole (dozens of segments in one loss). Like for like with the kernel's veth paths
# (checksumming on, GSO/TSO/GRO off): partial checksums on the TAP, no super-segment (--no-tso).
# TS_LOSS_CSUM=0: plain frames (--no-offload), tapstack computing every checksum.
offload=
"$TS_BIN" up --help | grep -q -- '--no-offload' && offload=--no-offload
[ "${TS_LOSS_CSUM:-1}" = 1 ] && "$TS_BIN" up --help | grep -q -- '--no-tso' && offload=--no-tso
ts_log "tapstack's frames: ${offload:-plain (a build without offloads)}"
taps=() pids=() logs=() first=1
for cc in $ccs; do
    ctl=$work/ctl-$cc.sock
    if [ "$first" = 1 ]; then
        # shellcheck disable=SC2086
        ts_start --no-ftp --gateway 10.0.0.1 --ctl "$ctl" --cc "$cc" $offload ${TS_LOSS_FLAGS:-}
        ts_loss_paths
        taps+=(--tap "$cc:$TS_TCLIENT:$TS_NS:10.0.0.2:$ctl:$TS_PID")
        first=0
    else
        router=$TS_NS-$cc
        # shellcheck disable=SC2086
        ts_start_more "$router" "$work/tapstack-$cc.log" --seed 2 --no-ftp --gateway 10.0.0.1 --ctl "$ctl" \
            --cc "$cc" $offload ${TS_LOSS_FLAGS:-}
        pids+=("$TS_BG_PID") logs+=("$work/tapstack-$cc.log")
        ts_loss_tap_path "$router" "$router-c"
        taps+=(--tap "$cc:$router-c:$router:10.0.0.2:$ctl:$TS_BG_PID")
    fi
    ts_log "tapstack --cc $cc ready"
done

size=$(echo "$mb $mb_for" | tr -s ' =' '\n' | awk '$1 ~ /^[0-9.]+$/ && $1 > m { m = $1 } END { printf "%d", m * 1000000 }')
python3 "$TS_ROOT/scripts/loss_xfer.py" pattern "$work/pattern" "$size"
ts_bg ip netns exec "$TS_KSERVER" python3 "$TS_ROOT/scripts/loss_xfer.py" kserve "$TS_K_IP" "$work/pattern"
for i in $(seq 50); do
    ip netns exec "$TS_KCLIENT" curl -s -o /dev/null --max-time 1 "http://$TS_K_IP/bytes/1" &&
        ip netns exec "$TS_KCLIENT" python3 -c "import socket; socket.create_connection(('$TS_K_IP', 9), 1).close()" \
            2>/dev/null && break
    sleep 0.2
done
[ "$i" -lt 50 ] || ts_fail "the kernel-side server (loss_xfer.py kserve) did not come up"
for t in "${taps[@]}"; do
    [ "$t" = --tap ] && continue
    IFS=: read -r cc client _ <<<"$t"
    ip netns exec "$client" curl -s -o /dev/null --max-time 5 http://10.0.0.2/bytes/1 ||
        ts_fail "tapstack --cc $cc is not reachable from $client through its router (--gateway)"
done
ts_log "all paths ready: tapstack ($ccs) at 10.0.0.2 behind each router, the kernel at $TS_K_IP"

rc=0
python3 "$TS_ROOT/scripts/loss_xfer.py" table "${taps[@]}" --tapstack "$TS_BIN" \
    --ref-client "$TS_KCLIENT" --ref-router "$TS_KROUTER" --ref-server "$TS_KSERVER" --ref-ip "$TS_K_IP" \
    --tap-ifs "vr tap0" --ref-ifs "vrc vrs" --mb "$mb" --mb-for "$mb_for" \
    --send "${TS_LOSS_PCTS-1 5 10}" --recv "${TS_LOSS_RECV_PCTS-5}" --rounds "${TS_LOSS_ROUNDS:-1}" \
    --limit "${TS_LOSS_LIMIT:-60}" --ref-cpu "$work/pattern.cpu" ${TS_LOSS_JSON:+--json "$TS_LOSS_JSON"} ${TS_LOSS_SS:+--ss "$TS_LOSS_SS"} \
    ${TS_LOSS_PCAP:+--pcap "$TS_LOSS_PCAP"} || rc=1
for i in "${!pids[@]}"; do ts_stop_more "${pids[$i]}" "${logs[$i]}" || rc=1; done
[ "$rc" = 0 ] || ts_fail "a transfer under loss was not exact, not in time or not as asked (see above), or a tapstack did not stop cleanly"
ts_stop
echo "PASS"
