#!/usr/bin/env bash
# ICMP echo through the TAP: the kernel pings the stack 200 times at 10 ms intervals with
# payloads of 0, 56 and 1472 bytes (1472 + 8 + 20 = a full 1500-byte packet) and must get every
# reply back with the same payload (ping prints "wrong data" otherwise). Then the kernel's ARP
# entry for the stack must carry the stack's MAC.
set -u
. "$(dirname "$0")/lib.sh"
ts_init ping
ts_start --mac 02:00:00:00:00:02

for size in 0 56 1472; do
    out=$(ts_ns ping -n -q -c 200 -i 0.01 -W 2 -w 30 -s "$size" 10.0.0.2 2>&1)
    echo "$out" | tail -3
    # With -w, ping keeps probing until 200 replies have come: a reply still on its way when the
    # 200th probe went makes it send one more (201 transmitted, 201 received). Every probe must be
    # answered, and at least 200 of them.
    tx=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
    rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
    if [ -z "$tx" ] || [ -z "$rx" ] || [ "$rx" -ne "$tx" ] || [ "$rx" -lt 200 ]; then
        ts_fail "ping -s $size lost replies (${rx:-?} of ${tx:-?} answered, 200 needed)"
    fi
    if echo "$out" | grep -qi 'wrong data\|DUP!'; then ts_fail "ping -s $size: a reply differed from the request"; fi
    ts_log "ping -s $size: $rx/$tx replies"
done

# Without -q ping prints mismatched bytes per reply; check a few replies verbosely too.
out=$(ts_ns ping -n -c 5 -i 0.05 -W 2 -p a5c3 -s 100 10.0.0.2 2>&1)
echo "$out" | grep -qi 'wrong data' && ts_fail "ping -p a5c3: wrong data in a reply"
echo "$out" | grep -q ' 5 received' || ts_fail "ping -p a5c3 lost replies"

neigh=$(ts_ns ip neigh show 10.0.0.2 dev tap0)
echo "ip neigh: $neigh"
echo "$neigh" | grep -q 'lladdr 02:00:00:00:00:02' || ts_fail "the kernel's ARP entry for 10.0.0.2 does not show our MAC"

ts_stop
echo "PASS"
