#!/usr/bin/env bash
# Capture, trace and replay of an HTTP download.
#  1. tapstack up --pcap --pcap-per-conn --trace-file; the kernel's curl downloads 300 kB from our
#     HTTP server byte-exact.
#  2. tcpdump -r reads the capture and shows the handshake (S, S.), the data and the close (F.);
#     the per-conversation file is named by the socket pair and holds that conversation's frames.
#  3. tapstack replay of the capture (same --seed, same --http-root) goes through the very same
#     TCP state changes, at the same times, and sends the same frames; --json lines parse.
set -u
. "$(dirname "$0")/lib.sh"
ts_init obs_capture
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump is not installed"; exit 77; }

work=$TS_LOGDIR/obs_capture.work
rm -rf "$work"; mkdir -p "$work/root" "$work/conns"
head -c 300000 /dev/urandom >"$work/root/f.bin"
cap=$work/cap.pcap

ts_start --http-root "$work/root" --pcap "$cap" --pcap-per-conn "$work/conns" --trace-file "$work/live.trace"
ts_ns curl -s --max-time 30 -o "$work/got.bin" http://10.0.0.2/f.bin || ts_fail "curl failed"
cmp -s "$work/got.bin" "$work/root/f.bin" || ts_fail "the download differs"
sleep 0.3
ts_stop
ts_log "downloaded 300 kB with capture and trace on"

# 2. tcpdump reads it
dump=$(tcpdump -n -r "$cap" 2>/dev/null) || ts_fail "tcpdump -r could not read the capture"
echo "$dump" | grep -q '10\.0\.0\.1\.[0-9]* > 10\.0\.0\.2\.80: Flags \[S\]' || ts_fail "no SYN in the capture"
echo "$dump" | grep -q '10\.0\.0\.2\.80 > 10\.0\.0\.1\.[0-9]*: Flags \[S\.\]' || ts_fail "no SYN,ACK in the capture"
data=$(echo "$dump" | grep -c '10\.0\.0\.2\.80 > .*length [1-9]')
# With TSO a data segment may hold up to 64 KB (a super-segment, as tcpdump shows on a GSO
# interface): count the bytes, not the segments.
bytes=$(echo "$dump" | grep '10\.0\.0\.2\.80 > ' | sed -n 's/.*length \([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
[ "$data" -ge 5 ] && [ "$bytes" -ge 300000 ] || ts_fail "only $data data segments ($bytes bytes) from port 80 in the capture"
echo "$dump" | grep -q 'Flags \[F\.\]' || ts_fail "no FIN in the capture"
echo "$dump" | grep -q 'ARP, Request who-has 10.0.0.2' || ts_fail "no ARP request in the capture"
ts_log "tcpdump -r: handshake, $data data segments, FIN"

port=$(echo "$dump" | grep -o '10\.0\.0\.1\.[0-9]* > 10\.0\.0\.2\.80: Flags \[S\]' | head -1 | sed 's/^10\.0\.0\.1\.\([0-9]*\) .*/\1/')
conn=$work/conns/10.0.0.1_$port-10.0.0.2_80.pcap
[ -f "$conn" ] || { ls "$work/conns"; ts_fail "no per-conversation file $conn"; }
n_conn=$(tcpdump -n -r "$conn" 2>/dev/null | wc -l)
n_all=$(tcpdump -n -r "$cap" "tcp port $port" 2>/dev/null | wc -l)
[ "$n_conn" -eq "$n_all" ] && [ "$n_conn" -gt 0 ] || ts_fail "per-conversation file has $n_conn frames, the capture $n_all"
ts_log "per-conversation file $(basename "$conn"): $n_conn frames"

# 3. replay
"$TS_BIN" replay "$cap" --seed 1 --http-root "$work/root" --trace-file "$work/replay.trace" >"$work/replay.out" 2>&1 ||
    { cat "$work/replay.out"; ts_fail "tapstack replay failed"; }
cat "$work/replay.out" | grep '^replay:'
grep ' state .*10\.0\.0\.1:' "$work/live.trace" >"$work/live.states"
grep ' state .*10\.0\.0\.1:' "$work/replay.trace" >"$work/replay.states"
[ -s "$work/live.states" ] || ts_fail "the live trace shows no state change"
if ! diff "$work/live.states" "$work/replay.states"; then
    ts_fail "replay went through other state changes than the live run"
fi
ts_log "replay: the same $(wc -l <"$work/live.states") state changes, at the same times"
# Byte for byte, the frames sent live are sent again; only the HTTP response's Date may differ.
notagain=$(sed -n 's/^replay: \([0-9]*\) of the [0-9]* frames sent live were not sent again.*/\1/p' "$work/replay.out")
[ "${notagain:-0}" -le 2 ] || ts_fail "replay: $notagain frames sent live were not sent again (at most 2 may differ: the HTTP Date)"
lo=$(grep -c ' out ' "$work/live.trace"); ro=$(grep -c ' out ' "$work/replay.trace")
grep ' out ' "$work/live.trace" | cut -d' ' -f2- >"$work/live.out"
grep ' out ' "$work/replay.trace" | cut -d' ' -f2- >"$work/replay.outf"
if cmp -s "$work/live.out" "$work/replay.outf"; then
    ts_log "replay: the same $ro frames sent"
else
    ts_log "replay: $ro frames sent, $lo live (the HTTP Date differs)"
fi
"$TS_BIN" replay "$cap" --seed 1 --http-root "$work/root" --json 2>/dev/null >"$work/replay.json" ||
    ts_fail "tapstack replay --json failed"
python3 - "$work/replay.json" <<'PY' || ts_fail "replay --json: not valid JSON lines with state events"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
kinds = {e["ev"] for e in evs}
assert {"frame", "state"} <= kinds, kinds
assert any(e["ev"] == "state" and e["to"] == "ESTABLISHED" for e in evs)
assert all("t_us" in e for e in evs)
print(f"{len(evs)} JSON events, kinds {sorted(kinds)}")
PY
echo "PASS"
