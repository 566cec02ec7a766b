#!/usr/bin/env bash
# --no-tso (issue 18): checksum offload on the TAP without 64 KB segments, as a kernel link with
# checksumming on and TSO off (the veth paths t_tcp_loss compares against: TS_LOSS_CSUM=1). A
# 10 MB download arrives byte-exact; status reports the virtio-net header and no super-segment
# out; a capture on tap0 (which sees what tapstack wrote, before any segmentation) has data frames
# and none longer than one MSS (1,514 bytes on the wire).
set -u
. "$(dirname "$0")/lib.sh"
ts_init no_tso
"$TS_BIN" up --help | grep -q -- '--no-tso' || ts_fail "tapstack up has no --no-tso"
command -v tcpdump >/dev/null || ts_fail "tcpdump is missing (scripts/deps.sh test installs it)"
MB=10
cap=$TS_LOGDIR/no_tso.pcap
rm -f "$cap"
ts_start --no-tso
ts_ns timeout 30 tcpdump -i tap0 -nn -s 96 -U -w "$cap" 'tcp src port 80' >/dev/null 2>&1 &
dump=$!
sleep 0.5
a=$(ts_ns timeout 30 curl -sS --max-time 20 "http://10.0.0.2/bytes/$((MB << 20))" | sha256sum | cut -d' ' -f1)
b=$(ts_ns timeout 30 curl -sS --max-time 20 "http://10.0.0.2/bytes/$((MB << 20))" | sha256sum | cut -d' ' -f1)
sleep 0.3
kill "$dump" 2>/dev/null; wait "$dump" 2>/dev/null
[ -n "$a" ] && [ "$a" = "$b" ] || ts_fail "two downloads of /bytes/$((MB << 20)) differ"
st=$("$TS_BIN" status --netns "$TS_NS" 2>&1)
echo "$st" | grep '^offloads'
echo "$st" | grep -q '^offloads: virtio-net header' || ts_fail "--no-tso: status does not report the virtio-net header: $st"
out=$(echo "$st" | sed -n 's/.*super-segments in \([0-9]*\), out \([0-9]*\).*/\2/p')
[ "${out:-x}" = 0 ] || ts_fail "--no-tso: ${out:-no count of} super-segments went out"
frames=$(tcpdump -r "$cap" -nn 2>/dev/null | wc -l)
big=$(tcpdump -r "$cap" -nn 'greater 1515' 2>/dev/null | wc -l)
[ "$frames" -gt 1000 ] || ts_fail "--no-tso: the capture on tap0 holds $frames frames (expected thousands)"
[ "$big" = 0 ] || ts_fail "--no-tso: $big of $frames frames on tap0 longer than 1,514 bytes"
ts_log "--no-tso: $frames frames from port 80 on tap0, none past 1,514 bytes; byte-exact"
ts_stop
rm -f "$cap"
ts_log "1 passed"
