#!/usr/bin/env bash
# Install and embed: `make install` into a temporary PREFIX (and with DESTDIR), build examples/
# against the installed copy with pkg-config, run the virtual-clock example, run the TAP echo
# example inside a network namespace this test creates (root only), render the man page with
# `man -l`, check it against --help, and `make uninstall`. Nothing outside the temporary
# directory and the namespace is touched.
set -u
cd "$(dirname "$0")/../.."
pass=0; fail=0
ok()  { echo "ok: $*"; pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
TMP=$(mktemp -d)
NS=ts-install-$$
ECHO_PID=
cleanup() {
    [ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null && wait "$ECHO_PID" 2>/dev/null
    ip netns list 2>/dev/null | grep -qw "$NS" && ip netns delete "$NS"
    rm -rf "$TMP"
}
trap cleanup EXIT

P=$TMP/prefix
if make --no-print-directory install PREFIX="$P" >"$TMP/install.log" 2>&1; then ok "make install PREFIX=DIR"
else bad "make install: $(tail -3 "$TMP/install.log")"; echo "0 passed, 1 failed"; exit 1; fi
for f in bin/tapstack include/tapstack/stack.h include/tapstack/socket.h include/tapstack/counters/tcp.def \
         lib/libtapstack.a lib/pkgconfig/tapstack.pc share/man/man1/tapstack.1; do
    [ -e "$P/$f" ] || bad "make install did not install $f"
done
ok "installed bin, include, lib, pkgconfig and man files are present"

make --no-print-directory install DESTDIR="$TMP/dest" PREFIX=/opt/ts >/dev/null 2>&1
if [ -x "$TMP/dest/opt/ts/bin/tapstack" ] && grep -q '^prefix=/opt/ts$' "$TMP/dest/opt/ts/lib/pkgconfig/tapstack.pc"; then
    ok "DESTDIR is honoured and the .pc names the final PREFIX"
else bad "make install DESTDIR=... PREFIX=/opt/ts"; fi

export PKG_CONFIG_PATH=$P/lib/pkgconfig
CC=${CC:-gcc}
for ex in virtual_clock echo_tap; do
    # shellcheck disable=SC2046
    if $CC -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -o "$TMP/$ex" examples/$ex.c \
           $(pkg-config --cflags --libs tapstack) 2>"$TMP/$ex.cc.log"; then
        ok "examples/$ex.c builds against the installed copy with pkg-config"
    else bad "examples/$ex.c: $(head -5 "$TMP/$ex.cc.log")"; fi
done

if out=$(timeout 20 "$TMP/virtual_clock" 2>&1); then ok "virtual_clock: $(echo "$out" | tail -1)"
else bad "virtual_clock: $out"; fi

if [ "$(id -u)" = 0 ] && [ -x "$TMP/echo_tap" ]; then
    ip netns add "$NS"
    ip netns exec "$NS" "$TMP/echo_tap" tapex 30 >"$TMP/echo.log" 2>&1 &
    ECHO_PID=$!
    for _ in $(seq 50); do ip -n "$NS" link show tapex >/dev/null 2>&1 && break; sleep 0.1; done
    ip -n "$NS" addr add 10.0.0.1/24 dev tapex && ip -n "$NS" link set tapex up && ip -n "$NS" link set lo up
    reply=$(ip netns exec "$NS" timeout 15 python3 -c '
import socket
t = socket.create_connection(("10.0.0.2", 7), timeout=5); t.sendall(b"hello tcp"); a = t.recv(100); t.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5); u.sendto(b"hello udp", ("10.0.0.2", 7))
print(a.decode(), u.recvfrom(100)[0].decode())' 2>&1)
    if [ "$reply" = "hello tcp hello udp" ]; then ok "echo_tap echoes TCP and UDP on its own TAP loop (in $NS)"
    else bad "echo_tap: got '$reply'; its log: $(cat "$TMP/echo.log")"; fi
    kill "$ECHO_PID"; wait "$ECHO_PID" 2>/dev/null; ECHO_PID=
    ip netns delete "$NS"
else
    echo "skip: echo_tap needs root for its namespace and TAP"
fi

if out=$(MANWIDTH=80 man -l "$P/share/man/man1/tapstack.1" 2>&1) && echo "$out" | grep -q 'tapstack up'; then
    ok "man -l renders the installed page ($(echo "$out" | wc -l) lines)"
else bad "man -l: $(echo "$out" | head -3)"; fi
if warn=$(groff -man -ww -z "$P/share/man/man1/tapstack.1" 2>&1) && [ -z "$warn" ]; then ok "groff -ww: no warnings"
else bad "groff warnings: $warn"; fi

if tests/install/man_vs_help.py "$P/bin/tapstack" "$P/share/man/man1/tapstack.1"; then ok "man page and --help agree"
else bad "man page and --help disagree (lines above)"; fi

make --no-print-directory uninstall PREFIX="$P" >/dev/null 2>&1
left=$(find "$P" -type f | sed "s|^$P/||")
if [ -z "$left" ]; then ok "make uninstall removes every installed file"; else bad "make uninstall left: $left"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
