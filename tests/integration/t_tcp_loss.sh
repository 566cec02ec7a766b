#!/usr/bin/env bash
# TCP under loss beside Linux, in one run (issue 18). Two paths, each client -- router -- server
# (lib.sh ts_loss_paths): to tapstack (the router is the namespace that holds tap0; tapstack with
# --no-offload) and to the kernel's own stack (three namespaces over veth); GSO/TSO/GRO off on every
# link, so the router's
# nftables forward hook sees single frames and drops 1, 5 and 10 % of the TCP frames each way on
# both paths. On each path, alternating: a download with curl (tapstack's
# /bytes/N; nginx serving the same bytes) and an upload into discard (tapstack's port 9; a
# hashing sink on the kernel side). Prints MB/s per transfer and a table with the ratio
# tapstack/Linux (scripts/loss_xfer.py). Asserts that every download is byte-exact (SHA-256),
# every upload fully taken, each within TS_LOSS_LIMIT seconds; the ratio is printed, not judged.
# Each transfer also prints the frames dropped of those forwarded each way (checked against the
# rate) and both ends' retransmission and ACK counters.
# TS_LOSS_MB (default 4; the issue's figure and `make bench` use 20), TS_LOSS_PCTS ("1 5 10"),
# TS_LOSS_ROUNDS (1), TS_LOSS_LIMIT (60 s per transfer: 12 of them stay under the runner's 900 s),
# TS_LOSS_JSON (write the table as JSON),
# TS_LOSS_DIRECTION (send: downloads only, tapstack sending; recv: uploads only; both, the default),
# TS_LOSS_SS=DIR (`ss -tin` every 50 ms in the kernel's namespaces, a file per transfer),
# TS_LOSS_PCAP=DIR (tcpdump on both interfaces of each path's router, a file per transfer),
# TS_LOSS_FLAGS (more flags for tapstack up, e.g. "--pcap /tmp/x.pcap").
# timeout: 900
set -u
. "$(dirname "$0")/lib.sh"
ts_init tcp_loss
"$TS_BIN" up --help | grep -q -- '--http-root' || { echo "SKIP: the HTTP app is not built"; exit 77; }
command -v nginx >/dev/null || ts_fail "nginx is missing (scripts/deps.sh test installs nginx-light)"
command -v nft >/dev/null || ts_fail "nft is missing (scripts/deps.sh test installs nftables)"
mb=${TS_LOSS_MB:-4}
work=$TS_LOGDIR/tcp_loss.work
rm -rf "$work"; mkdir -p "$work/www"

# Plain frames from tapstack too: with TSO it hands the TAP 64 KB segments, which the router would
# drop whole (dozens of segments in one loss).
offload=
"$TS_BIN" up --help | grep -q -- '--no-offload' && offload=--no-offload
# shellcheck disable=SC2086
ctl=$work/ctl.sock
ts_start --no-ftp --gateway 10.0.0.1 --ctl "$ctl" $offload ${TS_LOSS_FLAGS:-}
ts_loss_paths

python3 "$TS_ROOT/scripts/loss_xfer.py" pattern "$work/www/pattern" $((mb * 1000000))
cat >"$work/nginx.conf" <<EOF
user root; worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 64; }
http { access_log off; sendfile on; tcp_nopush on; client_body_temp_path $work; proxy_temp_path $work;
  fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen $TS_K_IP:80; root $work/www; } }
EOF
ts_bg ip netns exec "$TS_KSERVER" nginx -c "$work/nginx.conf"
ts_bg ip netns exec "$TS_KSERVER" python3 "$TS_ROOT/scripts/loss_xfer.py" sink "$TS_K_IP" 9
for i in $(seq 50); do
    ip netns exec "$TS_KCLIENT" curl -s -o /dev/null --max-time 1 "http://$TS_K_IP/pattern" &&
        ip netns exec "$TS_KCLIENT" python3 -c "import socket; socket.create_connection(('$TS_K_IP', 9), 1).close()" \
            2>/dev/null && break
    sleep 0.2
done
[ "$i" -lt 50 ] || ts_fail "the kernel-side nginx or sink did not come up (see $work/nginx.err)"
ip netns exec "$TS_TCLIENT" curl -s -o /dev/null --max-time 5 http://10.0.0.2/bytes/1 ||
    ts_fail "tapstack is not reachable from $TS_TCLIENT through the router (--gateway)"
ts_log "both paths ready: tapstack at 10.0.0.2, the kernel at $TS_K_IP"

python3 "$TS_ROOT/scripts/loss_xfer.py" table --tap-client "$TS_TCLIENT" --tap-router "$TS_NS" --tap-ip 10.0.0.2 \
    --ref-client "$TS_KCLIENT" --ref-router "$TS_KROUTER" --ref-server "$TS_KSERVER" --ref-ip "$TS_K_IP" \
    --tapstack "$TS_BIN" --ctl "$ctl" --pid "$TS_PID" --tap-ifs "vr tap0" --ref-ifs "vrc vrs" --mb "$mb" \
    --loss "${TS_LOSS_PCTS:-1 5 10}" --rounds "${TS_LOSS_ROUNDS:-1}" --limit "${TS_LOSS_LIMIT:-60}" \
    --dir "${TS_LOSS_DIRECTION:-both}" ${TS_LOSS_JSON:+--json "$TS_LOSS_JSON"} ${TS_LOSS_SS:+--ss "$TS_LOSS_SS"} \
    ${TS_LOSS_PCAP:+--pcap "$TS_LOSS_PCAP"} ||
    ts_fail "a transfer under loss was not exact or not done in time (see above)"
ts_stop
echo "PASS"
