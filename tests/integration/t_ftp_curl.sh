#!/usr/bin/env bash
# FTP with curl as the client, the kernel as the peer: RETR over EPSV (curl's default), over
# PASV, and in active mode (-P -, with EPRT and with PORT); directory listings (LIST, NLST);
# a ranged download (REST); SIZE/MDTM through -I. Then a second start with one account and
# --ftp-writable: uploads (STOR) land in the root, a wrong password and anonymous are refused.
set -u
. "$(dirname "$0")/lib.sh"
ts_init ftp_curl
"$TS_BIN" up --help 2>&1 | grep -q -- --ftp-root || { echo "SKIP: this tapstack has no FTP server"; exit 77; }
ROOT=$TS_LOGDIR/ftp_curl.root
OUT=$TS_LOGDIR/ftp_curl.out
trap 'rc=$?; rm -rf "$ROOT" "$OUT"; (exit $rc); ts_cleanup' EXIT
rm -rf "$ROOT" "$OUT"
mkdir -p "$ROOT/pub" "$ROOT/upload" "$OUT"
head -c 5000000 /dev/urandom >"$ROOT/pub/5m.bin"
printf 'line one\nline two\n' >"$ROOT/pub/text.txt"
ts_start --ftp-root "$ROOT"
URL=ftp://10.0.0.2
CURL=(ts_ns timeout 60 curl -sS --max-time 50)

same() { cmp -s "$1" "$2" || ts_fail "$3: $(stat -c %s "$2" 2>/dev/null || echo no) bytes, differing from $1"; ts_log "$3: identical"; }

"${CURL[@]}" -o "$OUT/epsv.bin" "$URL/pub/5m.bin" || ts_fail "curl EPSV RETR failed"
same "$ROOT/pub/5m.bin" "$OUT/epsv.bin" "RETR over EPSV"
"${CURL[@]}" --disable-epsv -o "$OUT/pasv.bin" "$URL/pub/5m.bin" || ts_fail "curl PASV RETR failed"
same "$ROOT/pub/5m.bin" "$OUT/pasv.bin" "RETR over PASV"
"${CURL[@]}" -P - -o "$OUT/eprt.bin" "$URL/pub/5m.bin" || ts_fail "curl -P - (EPRT) RETR failed"
same "$ROOT/pub/5m.bin" "$OUT/eprt.bin" "RETR active (EPRT)"
"${CURL[@]}" -P - --disable-eprt -o "$OUT/port.bin" "$URL/pub/text.txt" || ts_fail "curl -P - (PORT) RETR failed"
same "$ROOT/pub/text.txt" "$OUT/port.bin" "RETR active (PORT)"
"${CURL[@]}" -r 1000000- -o "$OUT/rest.bin" "$URL/pub/5m.bin" || ts_fail "curl ranged RETR failed"
tail -c +1000001 "$ROOT/pub/5m.bin" >"$OUT/rest.want"
same "$OUT/rest.want" "$OUT/rest.bin" "REST 1000000 + RETR"

list=$("${CURL[@]}" "$URL/pub/") || ts_fail "curl LIST failed"
echo "$list"
echo "$list" | grep -qE '^-rw-r--r-- +1 ftp +ftp +5000000 [A-Z][a-z]{2} [ 0-9]{2} ([0-9]{2}:[0-9]{2}| [0-9]{4}) 5m.bin$' ||
    ts_fail "LIST has no ls -l line for 5m.bin"
names=$("${CURL[@]}" -l "$URL/pub/" | tr -d '\r' | sort | tr '\n' ' ')
[ "$names" = "5m.bin text.txt " ] || ts_fail "NLST gave '$names'"
ts_log "LIST and NLST ok"
head=$("${CURL[@]}" -I "$URL/pub/5m.bin" | tr -d '\r')
echo "$head"
echo "$head" | grep -qx 'Content-Length: 5000000' || ts_fail "SIZE not reported"
echo "$head" | grep -q '^Last-Modified: ' || ts_fail "MDTM not reported"
"${CURL[@]}" --path-as-is -o /dev/null "$URL/pub/../../etc/passwd" 2>/dev/null && ts_fail "traversal accepted"
"${CURL[@]}" -T "$ROOT/pub/text.txt" "$URL/upload/x.txt" 2>/dev/null && ts_fail "upload accepted on a read-only server"
[ -e "$ROOT/upload/x.txt" ] && ts_fail "a file appeared on a read-only server"
ts_log "refusals ok"
ts_stop

: >"$TS_OUT"    # lib.sh waits for a ready line in it: forget the first run's
ts_start --ftp-root "$ROOT" --ftp-user alice:s3cret --ftp-writable
"${CURL[@]}" -u alice:s3cret -T "$ROOT/pub/5m.bin" "$URL/upload/up.bin" || ts_fail "upload failed"
same "$ROOT/pub/5m.bin" "$ROOT/upload/up.bin" "STOR 5 MB (EPSV)"
"${CURL[@]}" -u alice:s3cret -P - -T "$ROOT/pub/text.txt" "$URL/upload/t.txt" || ts_fail "active upload failed"
same "$ROOT/pub/text.txt" "$ROOT/upload/t.txt" "STOR active (EPRT)"
"${CURL[@]}" -u alice:s3cret --ftp-create-dirs -T "$ROOT/pub/text.txt" "$URL/upload/new/dir/t.txt" || ts_fail "MKD + upload failed"
same "$ROOT/pub/text.txt" "$ROOT/upload/new/dir/t.txt" "MKD + STOR"
"${CURL[@]}" -u alice:s3cret -Q "DELE upload/t.txt" -Q "DELE upload/new/dir/t.txt" -Q "RMD upload/new/dir" "$URL/" -o /dev/null 2>/dev/null
[ -e "$ROOT/upload/t.txt" ] && ts_fail "DELE did not delete"
[ -e "$ROOT/upload/new/dir" ] && ts_fail "RMD did not remove"
"${CURL[@]}" -u alice:wrong -o /dev/null "$URL/pub/text.txt" 2>/dev/null; rc=$?
[ "$rc" = 67 ] || ts_fail "wrong password: curl exit $rc, want 67 (login denied)"
"${CURL[@]}" -o /dev/null "$URL/pub/text.txt" 2>/dev/null; rc=$?
[ "$rc" = 67 ] || ts_fail "anonymous with an account set: curl exit $rc, want 67"
ts_log "account, uploads, DELE/RMD ok"
ts_stop
echo "PASS"
