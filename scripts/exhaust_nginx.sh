#!/usr/bin/env bash
# The reference for t_exhaust (issue 25): the same attack against Linux with nginx. Two network
# namespaces made here (names with $$) joined by a veth pair: the server side 10.0.1.2 runs nginx
# (one worker, WORKER_CONNS connections, default 4096), the client side 10.0.1.1 runs
# tests/integration/exhaust_attack.py on its veth (spoofed 198.18.0.0/15 sources, handshakes completed,
# nothing sent, re-opened when closed; the server's answers go to the client namespace's kernel,
# which drops them) and curl as the real client, ROUNDS times. Prints each curl time and a summary
# line. Nothing outside the two namespaces is touched; both are deleted at the end.
#
#   scripts/exhaust_nginx.sh [CONNS [SECONDS [WORKER_CONNS]]]     (root; default 1000 40 4096)
set -u
CONNS=${1:-1000}
SECS=${2:-40}
WORKER_CONNS=${3:-4096}
ROUNDS=5
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "exhaust_nginx: needs root (network namespaces)"; exit 2; }
command -v nginx >/dev/null || { echo "exhaust_nginx: nginx is not installed (scripts/deps.sh installs it)"; exit 2; }
NS_S=tsx-ngx-s-$$
NS_C=tsx-ngx-c-$$
TMP=$(mktemp -d /tmp/tsx-ngx-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    ip netns del "$NS_S" 2>/dev/null
    ip netns del "$NS_C" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add veth-c netns "$NS_C" type veth peer name veth-s netns "$NS_S"
ip -n "$NS_S" addr add 10.0.1.2/24 dev veth-s
ip -n "$NS_C" addr add 10.0.1.1/24 dev veth-c
for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" link set veth-s up
ip -n "$NS_C" link set veth-c up
ip -n "$NS_S" route add default via 10.0.1.1
MAC_S=$(ip -n "$NS_S" -br link show veth-s | awk '{print $3}')

mkdir -p "$TMP/www"
head -c 1000 /dev/zero | tr '\0' x >"$TMP/www/bytes1000"
cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events { worker_connections $WORKER_CONNS; }
http {
    access_log off;
    client_body_temp_path $TMP; proxy_temp_path $TMP; fastcgi_temp_path $TMP;
    uwsgi_temp_path $TMP; scgi_temp_path $TMP;
    server { listen 10.0.1.2:80 backlog=128; root $TMP/www; }
}
EOF
ip netns exec "$NS_S" nginx -c "$TMP/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
for _ in $(seq 1 50); do
    ip netns exec "$NS_C" curl -s -o /dev/null --max-time 1 http://10.0.1.2/bytes1000 && break
    sleep 0.2
done

ip netns exec "$NS_C" python3 "$ROOT/tests/integration/exhaust_attack.py" veth-c "$MAC_S" 10.0.1.2 80 \
    "$CONNS" "$SECS" 300 "$TMP/status" >"$TMP/attack.log" 2>&1 &
PIDS+=($!)
sleep 8
echo "nginx (worker_connections $WORKER_CONNS) under attack: $(cat "$TMP/status" 2>/dev/null)"
ok=0
worst=0
for r in $(seq 1 $ROUNDS); do
    out=$(ip netns exec "$NS_C" curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 \
        http://10.0.1.2/bytes1000) || true
    echo "round $r: curl: ${out:-no answer in 5 s}"
    code=${out%% *}
    t=${out##* }
    if [ "$code" = 200 ]; then
        ok=$((ok + 1))
        if awk -v x="$t" -v y="$worst" 'BEGIN { exit !(x > y) }'; then worst=$t; fi
    fi
    sleep 1
done
echo "attack: $(cat "$TMP/status" 2>/dev/null)"
grep -m3 -i 'worker_connections\|alert' "$TMP/error.log" 2>/dev/null
echo "nginx: $ok of $ROUNDS served under attack, the slowest in ${worst} s"
echo "$ok passed, $((ROUNDS - ok)) failed"
