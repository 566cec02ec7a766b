#!/usr/bin/env bash
# TCP under loss beside Linux, in one run (issue 18). nftables drops 1, 5 and 10 % of the TCP
# frames each way on two paths: tapstack (the kernel on the far side of the TAP, tap0's offloads
# off) and the kernel's own stack (two namespaces over veth, GSO/TSO/GRO off on both ends, so both
# sides lose single frames). On each path, alternating: a download with curl (tapstack's
# /bytes/N; nginx serving the same bytes) and an upload into discard (tapstack's port 9; a
# hashing sink on the kernel side). Prints MB/s per transfer and a table with the ratio
# tapstack/Linux (scripts/loss_xfer.py). Asserts that every download is byte-exact (SHA-256),
# every upload fully taken, each within TS_LOSS_LIMIT seconds; the ratio is printed, not judged.
# TS_LOSS_MB (default 4; the issue's figure and `make bench` use 20), TS_LOSS_PCTS ("1 5 10"),
# TS_LOSS_ROUNDS (1), TS_LOSS_LIMIT (120 s per transfer), TS_LOSS_JSON (write the table as JSON).
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

ts_start --no-ftp
ts_offloads_off "$TS_NS" tap0
ts_kernel_pair

python3 "$TS_ROOT/scripts/loss_xfer.py" pattern "$work/www/pattern" $((mb * 1000000))
cat >"$work/nginx.conf" <<EOF
user root; worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 64; }
http { access_log off; sendfile on; tcp_nopush on; client_body_temp_path $work; proxy_temp_path $work;
  fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen $TS_K_IP:80; root $work/www; } }
EOF
ts_bg ip netns exec "$TS_KNS_S" nginx -c "$work/nginx.conf"
ts_bg ip netns exec "$TS_KNS_S" python3 "$TS_ROOT/scripts/loss_xfer.py" sink "$TS_K_IP" 9
for i in $(seq 50); do
    ip netns exec "$TS_KNS_C" curl -s -o /dev/null --max-time 1 "http://$TS_K_IP/pattern" &&
        ip netns exec "$TS_KNS_C" python3 -c "import socket; socket.create_connection(('$TS_K_IP', 9), 1).close()" \
            2>/dev/null && break
    sleep 0.2
done
[ "$i" -lt 50 ] || ts_fail "the kernel-side nginx or sink did not come up (see $work/nginx.err)"
ts_log "both paths ready: tapstack at 10.0.0.2, the kernel at $TS_K_IP"

python3 "$TS_ROOT/scripts/loss_xfer.py" table --tap-ns "$TS_NS" --tap-ip 10.0.0.2 \
    --ref-ns "$TS_KNS_C" --ref-ip "$TS_K_IP" --mb "$mb" --loss "${TS_LOSS_PCTS:-1 5 10}" \
    --rounds "${TS_LOSS_ROUNDS:-1}" --limit "${TS_LOSS_LIMIT:-120}" ${TS_LOSS_JSON:+--json "$TS_LOSS_JSON"} ||
    ts_fail "a transfer under loss was not exact or not done in time (see above)"
ts_stop
echo "PASS"
