#!/usr/bin/env bash
# Load: wrk for 10 s with 50 connections (2 threads) against tapstack's HTTP server; every
# request must complete with a 2xx, with no socket errors (connect, read, write, timeout).
set -u
. "$(dirname "$0")/lib.sh"
ts_init http_wrk
command -v wrk >/dev/null || { echo "SKIP: wrk is not installed"; exit 77; }
ts_start

out=$(ts_ns timeout 40 wrk -t2 -c50 -d10s --timeout 5s http://10.0.0.2/bytes/1024 2>&1) \
    || { echo "$out"; ts_fail "wrk failed"; }
echo "$out"
echo "$out" | grep -q 'Socket errors' && ts_fail "wrk saw socket errors"
echo "$out" | grep -q 'Non-2xx' && ts_fail "wrk saw non-2xx responses"
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
[ -n "$reqs" ] && [ "$reqs" -gt 1000 ] || ts_fail "wrk completed only '$reqs' requests"
ts_log "wrk: $reqs requests, $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s under ASan, no errors"
ts_stop
echo "PASS"
