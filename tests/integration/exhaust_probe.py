#!/usr/bin/env python3
"""Real clients of tests/integration/t_exhaust.sh, timed without a command's start-up: one process
that, ROUNDS times, fetches /bytes/1000 over HTTP, logs in to FTP and lists /pub over a passive data
connection, sends a line to echo and reads daytime, each from connect() to its complete answer.

usage: exhaust_probe.py ADDR ROUNDS GAP_SECONDS
Prints one line per request ("http 0.012 ok") and a last line per service:
"summary SERVICE served=N failed=N max=S over1s=N". Each request has 5 s; exit status 0 when every
one was served correctly (the times are for the reader: tests do not assert timings).
"""
import socket
import sys
import time

TIMEOUT = 5.0


def recv_all(s):
    b = b""
    while True:
        x = s.recv(65536)
        if not x:
            return b
        b += x


def recv_line(f):
    line = f.readline()
    if not line:
        raise OSError("connection closed")
    return line.decode("ascii", "replace")


def ftp_reply(f):
    """One FTP reply (multi-line ones to their last line): its code."""
    line = recv_line(f)
    code = line[:3]
    if line[3:4] == "-":
        while not (line[:3] == code and line[3:4] == " "):
            line = recv_line(f)
    return int(code)


def http(addr):
    with socket.create_connection((addr, 80), timeout=TIMEOUT) as s:
        s.sendall(b"GET /bytes/1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        b = recv_all(s)
    head, _, body = b.partition(b"\r\n\r\n")
    return head.startswith(b"HTTP/1.1 200") and len(body) == 1000


def ftp(addr):
    with socket.create_connection((addr, 21), timeout=TIMEOUT) as s:
        f = s.makefile("rb")
        if ftp_reply(f) != 220:
            return False
        s.sendall(b"USER anonymous\r\n")
        if ftp_reply(f) != 331:
            return False
        s.sendall(b"PASS probe@\r\n")
        if ftp_reply(f) != 230:
            return False
        s.sendall(b"PASV\r\n")
        line = recv_line(f)
        if not line.startswith("227"):
            return False
        nums = line[line.index("(") + 1:line.index(")")].split(",")
        port = int(nums[4]) * 256 + int(nums[5])
        with socket.create_connection((addr, port), timeout=TIMEOUT) as d:
            s.sendall(b"NLST /pub\r\n")
            if ftp_reply(f) not in (125, 150):
                return False
            listing = recv_all(d)
        ok = ftp_reply(f) == 226 and len(listing) > 0
        s.sendall(b"QUIT\r\n")
        return ok


def echo(addr):
    with socket.create_connection((addr, 7), timeout=TIMEOUT) as s:
        s.sendall(b"hello probe\n")
        s.shutdown(socket.SHUT_WR)
        return recv_all(s) == b"hello probe\n"


def daytime(addr):
    with socket.create_connection((addr, 13), timeout=TIMEOUT) as s:
        return str(time.gmtime().tm_year).encode() in recv_all(s)


def main():
    addr, rounds, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    services = [("http", http), ("ftp", ftp), ("echo", echo), ("daytime", daytime)]
    times = {name: [] for name, _ in services}
    failed = {name: 0 for name, _ in services}
    for _ in range(rounds):
        for name, fn in services:
            t = time.monotonic()
            try:
                ok = fn(addr)
                why = "ok" if ok else "wrong answer"
            except (OSError, ValueError) as e:
                ok, why = False, str(e)
            dt = time.monotonic() - t
            print("%s %.3f %s" % (name, dt, why), flush=True)
            if ok:
                times[name].append(dt)
            else:
                failed[name] += 1
        time.sleep(gap)
    for name, _ in services:
        ts = times[name]
        print("summary %s served=%d failed=%d max=%.3f over1s=%d" % (
            name, len(ts), failed[name], max(ts) if ts else 0.0, sum(1 for x in ts if x > 1.0)), flush=True)
    sys.exit(0 if not any(failed.values()) else 1)


if __name__ == "__main__":
    main()
