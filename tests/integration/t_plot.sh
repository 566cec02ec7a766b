#!/usr/bin/env bash
# `tapstack plot`: the pictures of a connection (issue 22).
#   1. the sample capture bench/capture-http-256k.pcap: both pictures, one line per file, valid XML
#      (xmllint and Python's xml.etree), the classes data/ack/window, axes and legend;
#   2. bad input: not a pcap, truncated, no TCP, unknown or malformed --conn, unwritable -o: a
#      message and a non-zero exit;
#   3. a 2 MB download with --loss-out 0.02 --seed 1 --pcap (and --pcap-per-conn, and tcpdump -i any
#      on the kernel side at the same time): plot draws the HTTP conversation with data, ack,
#      window and retransmit marks, names it as --pcap-per-conn does, and reads tcpdump's capture;
#   3b. the same pictures live: /conn/PAIR/seq.svg and ladder.svg linked from /netstat, served as
#      image/svg+xml, well-formed, with retransmit marks; 404 for an unknown pair; /netstat shows
#      wall-clock times and the record's cost;
#   4. headless Chromium screenshots of both pictures, kept in build/integration/plot/*.png.
# timeout: 300
set -u
. "$(dirname "$0")/lib.sh"
ts_init plot
TAPSTACK=$TS_ROOT/build/tapstack
[ -x "$TAPSTACK" ] || TAPSTACK=$TS_BIN
"$TAPSTACK" plot --help >/dev/null 2>&1 || { echo "SKIP: tapstack plot is not built"; exit 77; }
command -v xmllint >/dev/null || { echo "SKIP: xmllint missing (scripts/deps.sh test installs libxml2-utils)"; exit 77; }
work=$TS_LOGDIR/plot
rm -rf "$work"; mkdir -p "$work"
pass=0; failed=0
ok() { pass=$((pass + 1)); ts_log "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# check_svg FILE KIND [MIN_RETRANSMITS]: well-formed, and the elements a picture of KIND must have.
check_svg() {
    xmllint --noout "$1" || { bad "$1 is not well-formed XML (xmllint)"; return 1; }
    python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
path, kind = sys.argv[1], sys.argv[2]
min_retx = int(sys.argv[3]) if len(sys.argv) > 3 else 0
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(path).getroot()
assert root.tag == ns + "svg", root.tag
def cls(c):   # marks, not the legend's swatches
    return [e for e in root.iter() if e.get("class") == c]
texts = " ".join("".join(e.itertext()) for e in root.iter(ns + "text"))
if kind == "seq":
    n = {c: len(cls(c)) for c in ("data", "retransmit", "ack", "window", "sack", "rto")}
    print(path.rsplit("/", 1)[-1], n)
    assert n["data"] > 0 and n["ack"] > 0 and n["window"] > 0, n
    assert n["retransmit"] >= min_retx, f"{n['retransmit']} retransmit marks, expected at least {min_retx}"
    assert "time since the first segment" in texts and "sequence offset from the ISN (bytes)" in texts
    assert len(cls("legend")) >= 1
    for c in ("data", "retransmit", "ack", "window", "sack"):
        assert any(e.get("class") == "swatch " + c for e in root.iter()), "legend without " + c
else:
    segs = [e for e in root.iter() if (e.get("class") or "").split()[:1] == ["segment"]]
    states = [e.text for e in cls("state")]
    print(path.rsplit("/", 1)[-1], len(segs), "segments,", "states:", " ".join(states))
    assert len(segs) > 0 and "ESTABLISHED" in states, states
    assert "Flags [S]" in texts
PY
}

# ---- 1. the sample capture ----
sample=$TS_ROOT/bench/capture-http-256k.pcap
if out=$("$TAPSTACK" plot "$sample" -o "$work/sample" 2>&1); then
    echo "$out"
    [ "$(echo "$out" | wc -l)" = 2 ] && echo "$out" | grep -q 'seq.svg  time-sequence graph' &&
        echo "$out" | grep -q 'ladder.svg  sequence diagram' || bad "plot did not print one line per file"
    stem=$(basename "$(echo "$out" | head -1 | cut -d' ' -f1)" .seq.svg)
    check_svg "$work/sample/$stem.seq.svg" seq && check_svg "$work/sample/$stem.ladder.svg" ladder &&
        ok "sample capture: $stem.seq.svg and .ladder.svg" || bad "the sample capture's pictures lack what they must show"
else
    bad "plot of the sample capture failed: $out"
fi

# ---- 2. bad input ----
expect_fail() {   # expect_fail RC PATTERN ARGS...
    local want=$1 pat=$2 out rc
    shift 2
    out=$("$TAPSTACK" plot "$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ] && echo "$out" | grep -q -- "$pat"; then ok "plot $* -> $rc: $(echo "$out" | head -1)"
    else bad "plot $*: exit $rc (expected $want), said: $out"; fi
}
printf "this is a text file, not a capture at all\n" >"$work/text.pcap"
head -c 3000 "$sample" >"$work/cut.pcap"
head -c 24 "$sample" >"$work/empty.pcap"
expect_fail 1 "not a pcap file" "$work/text.pcap" -o "$work/x"
expect_fail 1 "truncated record" "$work/cut.pcap" -o "$work/cut"
[ -s "$work/cut/$stem.seq.svg" ] && xmllint --noout "$work/cut/$stem.seq.svg" &&
    ok "truncated capture: what was read before the cut is drawn" || bad "truncated capture: nothing drawn"
expect_fail 1 "no IPv4 TCP segment" "$work/empty.pcap" -o "$work/x"
expect_fail 1 "No such file" "$work/missing.pcap"
expect_fail 1 "no conversation 10.9.9.9_1-10.0.0.2_80" "$sample" --conn 10.9.9.9_1-10.0.0.2_80 -o "$work/x"
expect_fail 2 "expected A.B.C.D_PORT-E.F.G.H_PORT" "$sample" --conn 10.0.0.1:80
expect_fail 1 "not a directory" "$sample" -o "$work/text.pcap"
expect_fail 1 "cannot make the directory" "$sample" -o /proc/tapstack-plot-test
expect_fail 2 "unknown flag" "$sample" --bogus
expect_fail 2 "which capture" -o "$work/x"

# ---- 3. a lossy download, captured by tapstack and by tcpdump ----
mkdir -p "$work/root" "$work/conns"
head -c 2000000 /dev/urandom >"$work/root/big.bin"
ts_start --loss-out 0.02 --http-root "$work/root" --pcap "$work/run.pcap" --pcap-per-conn "$work/conns"
tcpd=
if command -v tcpdump >/dev/null; then
    ts_bg ip netns exec "$TS_NS" tcpdump -i any -U -s 256 -w "$work/tcpdump.pcap" tcp port 80 2>"$work/tcpdump.log"
    tcpd=$TS_BG_PID
    for _ in $(seq 50); do grep -q listening "$work/tcpdump.log" && break; sleep 0.1; done
fi
ts_ns curl -s --max-time 120 -o "$work/got.bin" http://10.0.0.2/big.bin
cmp -s "$work/got.bin" "$work/root/big.bin" || bad "the 2 MB download with 2 % loss out is not byte-exact"
[ -n "$tcpd" ] && { sleep 0.3; kill -INT "$tcpd" 2>/dev/null; wait "$tcpd" 2>/dev/null; }

# ---- 3b. the same pictures live, from the running stack's own record, linked from /netstat ----
ts_ns curl -sf --max-time 10 "http://10.0.0.2/netstat?refresh=0" >"$work/netstat.html" || bad "no /netstat page"
# The download is the largest capture: by name, the /netstat request sorts first whenever the
# kernel gave curl a lower port for it (its ports are not handed out in order).
conn=$(ls -S "$work/conns" | grep '_80\.pcap$' | head -1)
conn=${conn%.pcap}
live=/conn/$conn/seq.svg
if [ -z "$conn" ] || ! grep -q "href=\"$live\"" "$work/netstat.html"; then
    bad "/netstat does not link to the download's $live"
else
    hdr=$(ts_ns curl -s --max-time 10 -D - -o "$work/live.seq.svg" "http://10.0.0.2$live" | tr -d '\r')
    echo "$hdr" | grep -qi '^content-type: image/svg+xml' || bad "$live is not served as image/svg+xml: $hdr"
    check_svg "$work/live.seq.svg" seq 1 &&
        ok "live $live (linked from /netstat): image/svg+xml, well-formed, retransmit marks" ||
        bad "live $live: not the picture expected"
    ts_ns curl -sf --max-time 10 -o "$work/live.ladder.svg" "http://10.0.0.2/conn/$conn/ladder.svg" &&
        check_svg "$work/live.ladder.svg" ladder && ok "live /conn/$conn/ladder.svg" ||
        bad "live /conn/$conn/ladder.svg: not the picture expected"
fi
code=$(ts_ns curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://10.0.0.2/conn/10.9.9.9_1-10.0.0.2_80/seq.svg")
[ "$code" = 404 ] && ok "an unknown conversation's picture: 404" || bad "an unknown conversation's picture: HTTP $code"
grep -Eq ' at [0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3} local time' "$work/netstat.html" &&
    ok "/netstat shows the wall-clock time with milliseconds" || bad "/netstat shows no wall-clock time"
grep -q 'Pictures of the recent TCP conversations' "$work/netstat.html" && grep -q 'KiB in use of a' "$work/netstat.html" &&
    ok "/netstat lists the recorded conversations and what the record costs" || bad "/netstat has no record table"
ts_stop
[ -n "$conn" ] || bad "no per-connection capture of the HTTP conversation"
if out=$("$TAPSTACK" plot "$work/run.pcap" -o "$work/lossy" --conn "$conn" 2>&1); then
    echo "$out"
    [ -f "$work/lossy/$conn.seq.svg" ] && [ -f "$work/lossy/$conn.ladder.svg" ] ||
        bad "the pictures are not named as --pcap-per-conn names $conn"
    check_svg "$work/lossy/$conn.seq.svg" seq 1 && check_svg "$work/lossy/$conn.ladder.svg" ladder &&
        ok "2 MB with --loss-out 0.02: $conn drawn with data, ack, window and retransmit marks" ||
        bad "the pictures of the lossy download lack what they must show"
    grep -q 'class="summary" data-segments=' "$work/lossy/$conn.ladder.svg" ||
        bad "the long conversation's sequence diagram does not sum up its middle"
else
    bad "plot of the lossy run failed: $out"
fi
if [ -n "$tcpd" ] && [ -s "$work/tcpdump.pcap" ]; then
    if out=$("$TAPSTACK" plot "$work/tcpdump.pcap" -o "$work/tcpdump" 2>&1); then
        f=$(echo "$out" | grep -m1 'seq.svg' | cut -d' ' -f1)
        check_svg "$f" seq 1 || bad "tcpdump's capture: the picture lacks what it must show"
        check_svg "$f" seq 1 >/dev/null && ok "tcpdump -i any capture (link type $(python3 -c "import struct,sys; print(struct.unpack('<I', open(sys.argv[1],'rb').read()[20:24])[0])" "$work/tcpdump.pcap")) drawn: $(basename "$f")"
    else
        bad "plot of tcpdump's capture failed: $out"
    fi
fi

# ---- 4. screenshots ----
if command -v chromium >/dev/null 2>&1 && [ -f "$work/lossy/$conn.seq.svg" ]; then
    for pic in seq ladder; do
        d=$(mktemp -d "$work/chrome-XXXXXX")
        h=$([ $pic = seq ] && echo 1116 || echo 2000)
        timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
            --user-data-dir="$d" --window-size=1000,$h --screenshot="$work/$pic.png" \
            "file://$work/lossy/$conn.$pic.svg" >/dev/null 2>>"$work/chromium.log"
        rm -rf "$d"
        if [ -s "$work/$pic.png" ]; then ok "screenshot build/integration/plot/$pic.png"
        else bad "chromium made no screenshot of the $pic picture"; fi
    done
else
    ts_log "chromium not installed: no screenshots"
fi
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
