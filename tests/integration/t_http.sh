#!/usr/bin/env bash
# HTTP/1.1 server on tapstack's TCP, with the kernel's curl as the client: GET, HEAD, keep-alive
# over several requests on one connection, Range (206, 416), If-Modified-Since (304), 404,
# directory redirect and listing, traversal attempts with --path-as-is (no byte from outside the
# root may leak), and a 50 MB file compared by SHA-256.
set -u
. "$(dirname "$0")/lib.sh"
ts_init http

D=$(mktemp -d /tmp/ts-http-XXXXXX)
trap 'rc=$?; rm -rf "$D"; (exit $rc); ts_cleanup' EXIT
mkdir -p "$D/www/docs" "$D/www/site"
echo "TOP-SECRET-OUTSIDE-THE-ROOT" >"$D/secret.txt"
printf 'hello, world\n' >"$D/www/hello.txt"
printf '0123456789' >"$D/www/digits.txt"
printf '<h1>site</h1>\n' >"$D/www/site/index.html"
printf 'a doc\n' >"$D/www/docs/a.txt"
ln -s ../secret.txt "$D/www/leak"
ln -s "$D/secret.txt" "$D/www/abs-leak"
ln -s hello.txt "$D/www/alias.txt"
touch -d '2001-02-03 04:05:06 UTC' "$D/www/hello.txt"
head -c 50000000 /dev/urandom >"$D/www/big.bin"

ts_start --http-root "$D/www"
U=http://10.0.0.2
C="ts_ns curl -sS -m 20"

# GET and HEAD
body=$($C "$U/hello.txt") || ts_fail "GET /hello.txt failed"
[ "$body" = "hello, world" ] || ts_fail "GET /hello.txt: got '$body'"
hdrs=$($C -I "$U/hello.txt" | tr -d '\r') || ts_fail "HEAD failed"
echo "$hdrs" | grep -q '^HTTP/1.1 200 OK$' || ts_fail "HEAD: no 200: $hdrs"
echo "$hdrs" | grep -q '^Content-Length: 13$' || ts_fail "HEAD: Content-Length: $hdrs"
echo "$hdrs" | grep -q '^Content-Type: text/plain; charset=utf-8$' || ts_fail "HEAD: Content-Type: $hdrs"
echo "$hdrs" | grep -q '^Last-Modified: Sat, 03 Feb 2001 04:05:06 GMT$' || ts_fail "HEAD: Last-Modified: $hdrs"
ts_log "GET and HEAD ok"

# keep-alive: three requests on one connection (curl says it re-used it; the log shows one port)
out=$($C -v -o /dev/null -o /dev/null -o /dev/null "$U/hello.txt" "$U/digits.txt" "$U/bytes/1000" 2>&1)
[ "$(echo "$out" | grep -c 'Re-using existing connection')" = 2 ] || { echo "$out"; ts_fail "keep-alive: connection not re-used"; }
ports=$(grep -E '"GET /(hello.txt|digits.txt|bytes/1000) ' "$TS_OUT" | tail -3 | awk '{print $1}' | sort -u | wc -l)
[ "$ports" = 1 ] || ts_fail "keep-alive: the three requests came on $ports connections"
ts_log "keep-alive ok"

# Range
[ "$($C -r 2-5 "$U/digits.txt")" = "2345" ] || ts_fail "Range 2-5"
code=$($C -o /dev/null -w '%{http_code}' -r 2-5 "$U/digits.txt")
[ "$code" = 206 ] || ts_fail "Range: status $code"
[ "$($C -r -3 "$U/digits.txt")" = "789" ] || ts_fail "Range -3"
hdrs=$($C -D - -o /dev/null -r 20-30 "$U/digits.txt" | tr -d '\r')
echo "$hdrs" | grep -q '^HTTP/1.1 416 ' || ts_fail "Range past the end: $hdrs"
echo "$hdrs" | grep -q '^Content-Range: bytes \*/10$' || ts_fail "416 Content-Range: $hdrs"
ts_log "Range ok"

# If-Modified-Since
code=$($C -o /dev/null -w '%{http_code}' -H 'If-Modified-Since: Sat, 03 Feb 2001 04:05:06 GMT' "$U/hello.txt")
[ "$code" = 304 ] || ts_fail "If-Modified-Since (same time): $code"
code=$($C -o /dev/null -w '%{http_code}' -z 'Sat, 03 Feb 2001 04:05:05 GMT' "$U/hello.txt")
[ "$code" = 200 ] || ts_fail "If-Modified-Since (older): $code"
ts_log "304 ok"

# 404, directory redirect, index.html, listing, symlink inside the root
code=$($C -o /dev/null -w '%{http_code}' "$U/no/such/file")
[ "$code" = 404 ] || ts_fail "missing file: $code"
loc=$($C -o /dev/null -w '%{http_code} %{redirect_url}' "$U/docs")
[ "$loc" = "301 http://10.0.0.2/docs/" ] || ts_fail "directory redirect: $loc"
[ "$($C -L "$U/site")" = "<h1>site</h1>" ] || ts_fail "index.html"
$C "$U/docs/" | grep -q '<a href="a.txt">a.txt</a>' || ts_fail "listing"
[ "$($C "$U/alias.txt")" = "hello, world" ] || ts_fail "symlink inside the root"
ts_log "404, directories ok"

# Traversal: every attempt is refused and nothing from outside the root comes back.
for p in /../secret.txt /docs/../../secret.txt /%2e%2e/secret.txt /%2E%2E/%2E%2E/etc/passwd \
         /..%2fsecret.txt /docs/%2e%2e/%2e%2e/secret.txt /leak /abs-leak /hello.txt%00.html \
         /./../secret.txt "/..\\secret.txt" //../secret.txt; do
    resp=$($C --path-as-is -D - "$U$p" 2>&1)
    code=$(echo "$resp" | head -1 | awk '{print $2}')
    case $code in 400 | 403 | 404) ;; *) echo "$resp"; ts_fail "traversal $p: status '$code'" ;; esac
    if echo "$resp" | grep -q -e TOP-SECRET -e 'root:x:'; then ts_fail "traversal $p leaked: $resp"; fi
done
ts_log "traversal attempts refused, nothing leaked"

# 50 MB file, compared by hash
want=$(sha256sum <"$D/www/big.bin" | awk '{print $1}')
start=$(date +%s.%N)
got=$($C -m 60 "$U/big.bin" | sha256sum | awk '{print $1}')
end=$(date +%s.%N)
[ "$got" = "$want" ] || ts_fail "50 MB file: hash differs"
ts_log "50 MB file identical ($(echo "50 / ($end - $start)" | bc -l | cut -c1-6) MB/s under ASan)"

grep -q '"GET /hello.txt HTTP/1.1" 200 13$' "$TS_OUT" || ts_fail "no log line for GET /hello.txt"
ts_stop
echo "PASS"
