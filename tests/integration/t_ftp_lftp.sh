#!/usr/bin/env bash
# lftp mirrors a directory tree (nested directories, empty files, a name with spaces, a 2 MB
# file) from the FTP server, in passive and in active mode; the copies must equal the original.
# Then lftp mirrors the built-in sample tree (no --ftp-root).
set -u
. "$(dirname "$0")/lib.sh"
ts_init ftp_lftp
"$TS_BIN" up --help 2>&1 | grep -q -- --ftp-root || { echo "SKIP: this tapstack has no FTP server"; exit 77; }
ROOT=$TS_LOGDIR/ftp_lftp.root
OUT=$TS_LOGDIR/ftp_lftp.out
trap 'rc=$?; rm -rf "$ROOT" "$OUT"; (exit $rc); ts_cleanup' EXIT
rm -rf "$ROOT" "$OUT"
mkdir -p "$ROOT/tree/a/b/c" "$ROOT/tree/empty dir" "$OUT"
head -c 2000000 /dev/urandom >"$ROOT/tree/a/2m.bin"
: >"$ROOT/tree/a/b/empty.txt"
echo "deep" >"$ROOT/tree/a/b/c/deep.txt"
echo "spaces" >"$ROOT/tree/name with spaces.txt"
for i in $(seq 1 20); do head -c $((i * 997)) /dev/urandom >"$ROOT/tree/a/b/f$i.bin"; done
ts_start --ftp-root "$ROOT"

LFTP_SET="set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 20; set ftp:ssl-allow no"
for mode in on off; do
    ts_ns timeout 120 lftp -e "$LFTP_SET; set ftp:passive-mode $mode; mirror /tree $OUT/$mode; quit" \
        ftp://10.0.0.2 || ts_fail "lftp mirror (passive-mode $mode) failed"
    diff -r "$ROOT/tree" "$OUT/$mode" || ts_fail "mirror (passive-mode $mode) differs"
    ts_log "lftp mirror, passive-mode $mode: identical ($(find "$OUT/$mode" -type f | wc -l) files)"
done
ts_stop

: >"$TS_OUT"    # lib.sh waits for a ready line in it: forget the first run's
ts_start
ts_ns timeout 120 lftp -e "$LFTP_SET; mirror /pub $OUT/sample; quit" ftp://10.0.0.2 ||
    ts_fail "lftp mirror of the sample tree failed"
sizes=$(cd "$OUT/sample/files" && stat -c '%n %s' *.bin | sort | tr '\n' ' ')
[ "$sizes" = "1k.bin 1024 1m.bin 1048576 64k.bin 65536 8m.bin 8388608 empty.bin 0 " ] ||
    ts_fail "sample tree sizes: $sizes"
python3 - "$OUT/sample/files/1m.bin" <<'PY' || ts_fail "sample file content differs"
import sys
def byte(i):
    m = (1 << 64) - 1
    z = ((i >> 3) + 0x9e3779b97f4a7c15) & m
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & m
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & m
    z ^= z >> 31
    return (z >> ((i & 7) * 8)) & 255
data = open(sys.argv[1], "rb").read()
want = bytes(byte(i) for i in range(0, len(data)))
sys.exit(0 if data == want else "differs")
PY
ts_log "sample tree mirrored, contents as generated"
ts_stop
echo "PASS"
