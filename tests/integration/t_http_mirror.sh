#!/usr/bin/env bash
# wget mirrors a directory tree from tapstack's HTTP server (following the generated listings and
# the directory redirects), and the copy must be identical to the original, byte for byte.
set -u
. "$(dirname "$0")/lib.sh"
ts_init http_mirror

D=$(mktemp -d /tmp/ts-http-mirror-XXXXXX)
trap 'rc=$?; rm -rf "$D"; (exit $rc); ts_cleanup' EXIT
W=$D/www
mkdir -p "$W/a/b/c" "$W/empty" "$W/with space" "$W/x"
printf 'top\n' >"$W/top.txt"
head -c 3000000 /dev/urandom >"$W/a/random.bin"
head -c 1 /dev/urandom >"$W/a/b/one-byte"
: >"$W/a/b/c/empty-file"
printf 'spaced\n' >"$W/with space/file & name.txt"
printf 'pct\n' >"$W/x/100%.txt"
for i in $(seq 1 40); do printf 'file %d\n' "$i" >"$W/x/f$i.txt"; done

ts_start --http-root "$W"
ts_ns timeout 60 wget -q -r -np -nH -e robots=off -P "$D/copy" http://10.0.0.2/ \
    || ts_fail "wget -r failed (exit $?)"
# wget keeps the listings as index.html files; the originals have none.
find "$D/copy" -name index.html -delete
diff -r "$W" "$D/copy" || ts_fail "the mirror differs from the original"
n=$(find "$D/copy" -type f | wc -l)
ts_log "wget mirrored $n files identically"
ts_stop
echo "PASS"
