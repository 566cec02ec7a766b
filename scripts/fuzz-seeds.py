#!/usr/bin/env python3
"""Write the small seed corpora under tests/fuzz/corpus/ from the conversations our own tests use.

Each seed is an input in the target's own format (see the comment at the top of each
tests/fuzz/fuzz_*.c). Run it again after changing a format; the seeds are committed.
"""
import os, struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

OUR_MAC, PEER_MAC = bytes.fromhex("020000000002"), bytes.fromhex("021122334455")
OUR_IP, PEER_IP = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])

def eth(t, payload, dst=OUR_MAC): return dst + PEER_MAC + struct.pack("!H", t) + payload
def ip(proto, payload, ident=1, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, PEER_IP, OUR_IP)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload
def tcp(sport, dport, seq, ack, flags, win=65535, opts=b"", data=b""):
    opts += b"\0" * (-len(opts) % 4)
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (20 + len(opts)) // 4 << 4, flags, win, 0, 0) + opts
    seg = h + data
    ph = PEER_IP + OUR_IP + struct.pack("!BBH", 0, 6, len(seg))
    c = csum(ph + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]
def udp(sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(PEER_IP + OUR_IP + struct.pack("!BBH", 0, 17, len(seg)) + seg) or 0xffff
    return seg[:6] + struct.pack("!H", c) + seg[8:]
def icmp_echo(n):
    m = struct.pack("!BBHHH", 8, 0, 0, 7, 1) + bytes(i * 7 % 256 for i in range(n))
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]
def arp(op, tpa=OUR_IP):
    return eth(0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, PEER_MAC, PEER_IP, b"\0" * 6, tpa),
               dst=b"\xff" * 6)

MSS_WS = bytes([2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0])

def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# fuzz_frame: mode byte, then the rest
write("fuzz_frame", "arp-request", b"\0" + arp(1))
write("fuzz_frame", "ping-56", b"\0" + eth(0x0800, ip(1, icmp_echo(56))))
write("fuzz_frame", "syn-options", b"\0" + eth(0x0800, ip(6, tcp(40001, 80, 7, 0, 0x02, opts=MSS_WS))))
write("fuzz_frame", "syn-closed-port", b"\0" + eth(0x0800, ip(6, tcp(40001, 81, 7, 0, 0x02))))
write("fuzz_frame", "udp-echo", b"\0" + eth(0x0800, ip(17, udp(5000, 7, b"hello"))))
write("fuzz_frame", "tcp-fixed", b"\1" + tcp(40000, 80, 1001, 0, 0x18, data=b"GET / HTTP/1.1\r\n\r\n")[0:])
write("fuzz_frame", "udp-fixed", b"\2\0" + b"x" * 32)
write("fuzz_frame", "ip-fixed-frag", b"\3" + bytes([17]) + struct.pack("!HH", 9, 0x2000) + b"y" * 64)

# fuzz_frames: records (see fuzz_frames.c)
def rec_tcp(conn, flags, sd=0, ad=0, win=65535, opts=b"", data=b"", bad=False, kind=2):
    op = kind | (conn << 3)
    return bytes([op, flags, sd & 255, ad & 255]) + struct.pack("!H", win) + bytes([len(opts)]) + opts + \
        struct.pack("!H", len(data)) + data
def rec_time(ms100=False, d=10): return bytes([0 | (8 if ms100 else 0), d])
def rec_app(conn, act, arg): return bytes([6 | (conn << 3), act]) + struct.pack("!H", arg)

write("fuzz_frames", "data-both-ways", rec_tcp(0, 0x18, data=b"hello") + rec_time() +
      rec_app(1, 0, 3000) + rec_time(d=50) + rec_tcp(1, 0x10, ad=0) + rec_time(True, 5))
write("fuzz_frames", "out-of-order", rec_tcp(0, 0x18, sd=5, data=b"world") + rec_tcp(0, 0x18, data=b"hello") +
      rec_time(d=250))
write("fuzz_frames", "peer-close", rec_tcp(0, 0x11) + rec_time(d=5) + rec_app(0, 3, 0) + rec_time(True, 30))
write("fuzz_frames", "we-close", rec_app(1, 3, 0) + rec_time(d=5) + rec_tcp(1, 0x10) + rec_tcp(1, 0x11) +
      rec_time(True, 30))
write("fuzz_frames", "rst-in-window", rec_tcp(0, 0x04, sd=3) + rec_tcp(0, 0x04))
write("fuzz_frames", "syn-in-established", rec_tcp(0, 0x02) + rec_time(d=1))
write("fuzz_frames", "zero-window", rec_app(1, 0, 8000) + rec_tcp(1, 0x10, win=0) + rec_time(True, 50) +
      rec_tcp(1, 0x10, win=65535) + rec_time(True, 5))
write("fuzz_frames", "bad-options", rec_tcp(0, 0x10, opts=bytes([2, 0, 3, 1, 8, 99])) +
      rec_tcp(0, 0x10, opts=bytes([1, 1, 4])))
write("fuzz_frames", "retransmit-timeout", rec_app(1, 0, 4000) + rec_time(True, 100) + rec_time(True, 200))
write("fuzz_frames", "udp-and-icmp", bytes([3, 4]) + b"ping" + bytes([3 | 8, 2]) + b"no" +
      bytes([4, 3, 3, 8]) + b"\0" * 8)
write("fuzz_frames", "fragments", bytes([5, 1]) + struct.pack("!HBH", 1, 1, 16) + b"a" * 16 +
      bytes([5, 1]) + struct.pack("!HBH", 0, 0, 8 + 8) + udp(5, 7, b"")[:8] + b"b" * 8)

# fuzz_frames seeds for states the first seeds did not reach (make coverage, docs/coverage.md):
# duplicate and partial ACKs (fast retransmit, recovery), SACK and timestamp options on data,
# urgent data, FIN carrying data, a half-closed side receiving, abort, a refused connect, an
# ICMP "fragmentation needed" for the connection, and a long idle.
TS_OPT = lambda val, ecr: bytes([1, 1, 8, 10]) + struct.pack("!II", val, ecr)
SACK_OPT = bytes([1, 1, 5, 10]) + struct.pack("!II", 1000, 2000)
write("fuzz_frames", "dupacks", rec_app(1, 0, 4000) + rec_time(d=1) + rec_tcp(1, 0x10, ad=-120) +
      rec_tcp(1, 0x10, ad=-120) + rec_tcp(1, 0x10, ad=-120) + rec_tcp(1, 0x10, ad=-120) + rec_time(d=1) +
      rec_tcp(1, 0x10, ad=-60) + rec_time(d=1) + rec_tcp(1, 0x10) + rec_time(True, 5))
write("fuzz_frames", "sack-blocks", rec_app(1, 0, 6000) + rec_time(d=1) + rec_tcp(1, 0x10, ad=-100, opts=SACK_OPT) +
      rec_tcp(1, 0x10, ad=-100, opts=SACK_OPT) + rec_tcp(1, 0x10, ad=-100, opts=SACK_OPT) + rec_time(d=200))
write("fuzz_frames", "timestamps", rec_tcp(0, 0x18, opts=TS_OPT(100, 0), data=b"one") +
      rec_tcp(0, 0x18, opts=TS_OPT(200, 0), data=b"two") + rec_tcp(0, 0x18, sd=-3, opts=TS_OPT(50, 0), data=b"old") +
      rec_time(d=5))
write("fuzz_frames", "urgent", rec_tcp(0, 0x38, data=b"urgent!") + rec_time(d=1) + rec_app(0, 1, 100))
write("fuzz_frames", "fin-with-data", rec_tcp(0, 0x19, data=b"bye") + rec_time(d=1) + rec_app(0, 1, 100) +
      rec_app(0, 3, 0) + rec_time(d=5) + rec_tcp(0, 0x10, ad=0) + rec_time(True, 255))
write("fuzz_frames", "half-closed-receives", rec_app(0, 2, 0) + rec_time(d=1) + rec_tcp(0, 0x10) +
      rec_tcp(0, 0x18, data=b"more") + rec_tcp(0, 0x11) + rec_time(True, 255))
write("fuzz_frames", "abort", rec_app(0, 0, 500) + rec_app(0, 4, 0) + rec_tcp(0, 0x10, data=b"late"))
write("fuzz_frames", "connect-refused", rec_app(0, 5, 6001) + rec_time(d=1) + rec_tcp(2, 0x14, ad=0) + rec_time(d=1))
write("fuzz_frames", "icmp-frag-needed", rec_app(0, 0, 3000) + bytes([4, 3, 4, 8]) + b"\0\0\x02\x40" + b"\0" * 4 +
      rec_time(d=1) + rec_tcp(0, 0x10) + rec_time(True, 3))
write("fuzz_frames", "long-idle", rec_time(True, 255) * 40 + rec_tcp(0, 0x18, data=b"after") + rec_time(True, 255) * 40)

# fuzz_frag: flags id offset len data
def frag(mf, ident, off, data, step=0, icmp=False):
    return bytes([(1 if mf else 0) | (2 if icmp else 0) | (step << 2), ident]) + struct.pack("!HH", off, len(data)) + data
dgram = udp(5000, 7, b"z" * 40)
write("fuzz_frag", "in-order", frag(1, 1, 0, dgram[:24]) + frag(0, 1, 3, dgram[24:]))
write("fuzz_frag", "reversed", frag(0, 2, 3, dgram[24:]) + frag(1, 2, 0, dgram[:24]))
write("fuzz_frag", "overlap", frag(1, 3, 0, dgram[:24]) + frag(0, 3, 2, dgram[16:]))
write("fuzz_frag", "timeout", frag(1, 4, 0, dgram[:24], step=3) + frag(0, 4, 3, dgram[24:]))
write("fuzz_frag", "ping-frags", frag(1, 5, 0, icmp_echo(40)[:24], icmp=True) + frag(0, 5, 3, icmp_echo(40)[24:], icmp=True))

# fuzz_ftp_parse: chunk byte, then a session
write("fuzz_ftp_parse", "session", b"\x07USER anonymous\r\nPASS x@y\r\nSYST\r\nFEAT\r\nPWD\r\nCWD /pub\r\n"
      b"TYPE I\r\nPASV\r\nEPSV\r\nEPSV ALL\r\nPORT 10,0,0,1,200,10\r\nEPRT |1|10.0.0.1|51210|\r\n"
      b"REST 100\r\nRETR big.bin\r\nSIZE a b\r\nMDTM x\r\nQUIT\r\n")
write("fuzz_ftp_parse", "long-and-telnet", b"\xffNOOP " + b"A" * 600 + b"\r\n\xff\xf4\xff\xfdABOR\r\n")
# fuzz_ftp_args: the same format, lines whose arguments the checks take apart
write("fuzz_ftp_args", "ports", b"\x05PORT 10,0,0,1,200,10\r\nPORT 255,255,255,255,255,255\r\nPORT 1,2,3,4,5\r\n"
      b"EPRT |1|10.0.0.1|51210|\r\nEPRT |2|::1|21|\r\nEPRT |1|10.0.0.1|0|\r\nEPSV 1\r\nREST 18446744073709551616\r\n")
write("fuzz_ftp_args", "paths", b"\x03CWD ../../etc\r\nRETR /pub/./a//b/../c\r\nMKD \"q\"\"x\"\r\n"
      b"DELE a\rb\nc\r\nSTOR " + b"d/" * 200 + b"\r\n")

# fuzz_http_parse: chunk byte, then requests (see fuzz_http_parse.c)
write("fuzz_http_parse", "pipelined", b"\x05GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /x HTTP/1.1\r\nHost: a\r\n"
      b"Range: bytes=0-9\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n")
write("fuzz_http_parse", "bad", b"\x00GET /%2e%2e/etc/passwd HTTP/1.1\nHost: a\r\nHost: b\r\n"
      b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
write("fuzz_http_parse", "http10", b"\x40GET /bytes/100 HTTP/1.0\r\n\r\n")
# fuzz_offload: offload byte, then records (see fuzz_offload.c)
def vnet(flags=0, gso_type=0, hdr_len=0, gso_size=0, cstart=0, coff=0):
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, cstart, coff)
def rec_vnet(hdr, frame): return bytes([1]) + struct.pack("!H", len(frame)) + hdr + frame
def rec_otcp(conn, flags, sd=0, ad=0, win=65535, length=0, info=0, gso=1460, data=b"ab"):
    return bytes([2 | (conn << 2), flags, sd & 255]) + struct.pack("!hHHBH", ad, win, length, info, gso) + data
def rec_oapp(conn, act, arg): return bytes([3 | (conn << 2), act]) + struct.pack("!H", arg)
def rec_otime(d=10, big=False): return bytes([0 | (4 if big else 0), d])
big = tcp(40000, 80, 1001, 0, 0x18, data=bytes(range(256)) * 40)
partial = big[:16] + b"\0\0" + big[18:]
write("fuzz_offload", "gso-in-valid", b"\0" + rec_otcp(0, 0x18, length=40000, info=5) + rec_otime() + rec_oapp(0, 1, 0))
write("fuzz_offload", "gso-in-partial-spoiled", b"\0" + rec_otcp(0, 0x18, length=64000, info=6 | 8) +
      rec_otcp(0, 0x18, length=3000, info=0 | 8) + rec_otime())
write("fuzz_offload", "vnet-frames", b"\0" + rec_vnet(vnet(2, 1, 54, 1460), eth(0x0800, ip(6, big))) +
      rec_vnet(vnet(1, 1, 54, 1460, 34, 16), eth(0x0800, ip(6, partial))) +
      rec_vnet(vnet(0, 3, 42, 1472), eth(0x0800, ip(17, udp(5000, 7, b"u" * 3000)))) + rec_otime())
write("fuzz_offload", "tso-out-acked", b"\1" + rec_oapp(0, 0, 20000) + rec_otime(1) + rec_otcp(0, 0x10, ad=700) +
      rec_otcp(0, 0x10, ad=2000) + rec_oapp(1, 0, 30000) + rec_otime(1) + rec_otcp(1, 0x10, ad=3000) + rec_otime(50, True))
write("fuzz_offload", "tso-out-loss", b"\1" + rec_oapp(0, 0, 40000) + rec_otime(1) + rec_otcp(0, 0x10, ad=0) +
      rec_otcp(0, 0x10, ad=0) + rec_otcp(0, 0x10, ad=0) + rec_otime(250) + rec_otime(30, True) + rec_otcp(0, 0x10, ad=9000))
# fuzz_plot: link-type byte, then records (2 bytes length, 2 bytes time step in us, the frame), made
# from the first and last frames of bench/capture-http-256k.pcap (an HTTP download: the opening with
# its options, data, the close) and the same frames as raw IP and cut to their headers
def capture_records(path):
    raw = open(path, "rb").read()
    off, recs = 24, []
    while off + 16 <= len(raw):
        sec, usec, incl, _ = struct.unpack("<IIII", raw[off:off + 16])
        recs.append((sec * 1000000 + usec, raw[off + 16:off + 16 + incl]))
        off += 16 + incl
    return recs
def plot_seed(link, recs, strip=0, cut=None):
    out, prev = bytearray([link]), recs[0][0]
    for t, f in recs:
        f = f[strip:][:cut] if cut else f[strip:]
        out += struct.pack(">HH", len(f), min(t - prev, 65535)) + f
        prev = t
    return bytes(out)
recs = capture_records(os.path.join(ROOT, "bench", "capture-http-256k.pcap"))
write("fuzz_plot", "opening-ethernet", plot_seed(0, recs[:12]))
write("fuzz_plot", "closing-ethernet", plot_seed(0, recs[-10:]))
write("fuzz_plot", "opening-raw", plot_seed(3, recs[:8], strip=14))
write("fuzz_plot", "headers-only", plot_seed(0, recs[:20], cut=80))
print("seeds written under", OUT)
