#!/usr/bin/env python3
"""How long a download's holes stay open, from t_tcp_loss.sh's captures (TS_LOSS_PCAP=DIR, issue 18).

    loss_holes.py CLIENT_SIDE.pcap [SERVER_SIDE.pcap]

CLIENT_SIDE is the router's interface toward the client (vr on a tapstack path, vrc on the kernel's):
what reached the receiver, after the router's drops. From it, per transfer: data segments and the
client's ACKs (ACKs per data segment), the episodes during which the receiver held data out of order
(from the first segment above a hole to the one that leaves nothing held), with the out-of-order
segments each took in and its length, and the segments that came twice (spurious retransmissions).
SERVER_SIDE (tap0, or vrs) is the other interface: what the sender sent and the ACKs that reached it;
from it, the sender's reaction: from the first ACK whose SACK block lies above a byte, to that byte's
retransmission leaving the sender, and the data segments the sender sent in between (new data sent
ahead of the retransmission). Reads classic pcap files (Ethernet, IPv4, TCP) with the standard
library only. The flow is the one carrying the most data bytes.
"""
import statistics
import struct
import sys


def packets(path):
    """(time in s, src, sport, dst, dport, seq, ack, flags, payload length, [SACK blocks]) per TCP frame."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    link = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / (1e9 if nano else 1e6)
        ip = 14 if link == 1 else 16 if link == 113 else 0
        if link == 1 and frame[12:14] != b"\x08\x00":
            continue
        if len(frame) < ip + 20 or frame[ip] >> 4 != 4 or frame[ip + 9] != 6:
            continue
        ihl = (frame[ip] & 15) * 4
        tot = struct.unpack(">H", frame[ip + 2:ip + 4])[0]
        src, dst = frame[ip + 12:ip + 16], frame[ip + 16:ip + 20]
        tcp = ip + ihl
        if len(frame) < tcp + 20:
            continue
        sport, dport, seq, ack = struct.unpack(">HHII", frame[tcp:tcp + 12])
        doff = (frame[tcp + 12] >> 4) * 4
        flags = frame[tcp + 13]
        plen = tot - ihl - doff
        sacks, o = [], tcp + 20
        while o < min(tcp + doff, len(frame)):
            k = frame[o]
            if k == 0:
                break
            if k == 1:
                o += 1
                continue
            if o + 1 >= len(frame):
                break
            ln = frame[o + 1]
            if ln < 2:
                break
            if k == 5:
                for b in range(o + 2, o + ln - 7, 8):
                    if b + 8 <= len(frame):
                        sacks.append(struct.unpack(">II", frame[b:b + 8]))
            o += ln
        yield t, src, sport, dst, dport, seq, ack, flags, plen, sacks


def lt(a, b):
    return ((a - b) & 0xffffffff) > 0x80000000


def flow_of(pk):
    """The (src, sport, dst, dport) that carried the most payload."""
    by = {}
    for p in pk:
        k = (p[1], p[2], p[3], p[4])
        by[k] = by.get(k, 0) + p[8]
    return max(by, key=by.get) if by else None


def receiver_side(pk, fl):
    data = [p for p in pk if (p[1], p[2], p[3], p[4]) == fl and p[8] > 0]
    acks = [p for p in pk if (p[3], p[4], p[1], p[2]) == fl and p[8] == 0]
    if not data:
        return None
    base = data[0][5]
    rel = lambda s: (s - base) & 0xffffffff
    nxt, held = 0, []           # held: sorted [start, end) above nxt
    episodes, ep, dups = [], None, 0
    for t, *_x, seq, _a, _f, n, _s in data:
        s, e = rel(seq), rel(seq) + n
        if e <= nxt or any(a <= s and e <= b for a, b in held):
            dups += 1
            continue
        if s > nxt:
            if ep is None:
                ep = {"t0": t, "ooo": 0, "fills": 0}
            ep["ooo"] += 1
            held.append([s, e])
            held.sort()
            merged = []
            for a, b in held:
                if merged and a <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            held = merged
            continue
        nxt = max(nxt, e)
        if ep is not None:
            ep["fills"] += 1
        while held and held[0][0] <= nxt:
            nxt = max(nxt, held.pop(0)[1])
        if ep is not None and not held:
            ep["dur"] = t - ep["t0"]
            episodes.append(ep)
            ep = None
    return {"data": len(data), "acks": len(acks), "episodes": episodes, "dups": dups,
            "secs": data[-1][0] - data[0][0], "bytes": nxt}


def sender_side(pk, fl):
    """For every byte range SACKed above an unacknowledged first byte: the delay from the first ACK
    that showed the hole to the retransmission of the hole's start, and the new segments sent in between."""
    base = None
    hole_seen = {}              # hole start (relative) -> (time first seen, data segments sent by then)
    sent_new, hi = 0, 0
    sent = set()
    out = []
    for t, src, sport, dst, dport, seq, ack, _f, n, sacks in pk:
        if (src, sport, dst, dport) == fl and n > 0:
            if base is None:
                base = seq
            s = (seq - base) & 0xffffffff
            if s >= hi:
                sent_new += 1
                hi = s + n
            elif s in hole_seen:
                t0, k = hole_seen.pop(s)
                out.append((t - t0, sent_new - k))
            sent.add(s)
        elif (dst, dport, src, sport) == fl and sacks and base is not None:
            a = (ack - base) & 0xffffffff
            if a >= hi:
                continue
            if any(lt(ack, l) for l, _r in sacks) and a not in hole_seen:
                hole_seen[a] = (t, sent_new)
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    pk = list(packets(sys.argv[1]))
    fl = flow_of(pk)
    if not fl:
        sys.exit(f"loss_holes: no TCP data in {sys.argv[1]}")
    r = receiver_side(pk, fl)
    eps = r["episodes"]
    ooo = [e["ooo"] for e in eps]
    dur = [e["dur"] * 1e6 for e in eps]
    fills = sum(e["fills"] for e in eps)
    md = lambda v: statistics.median(v) if v else 0
    print(f"{sys.argv[1]}: {r['data']} data segments in {r['secs'] * 1e3:.1f} ms, {r['acks']} ACKs "
          f"({r['acks'] / r['data']:.3f} per data segment), {r['dups']} came twice; "
          f"{len(eps)} out-of-order episodes: out-of-order segments per episode median {md(ooo):.0f} "
          f"mean {statistics.mean(ooo) if ooo else 0:.1f}, total {sum(ooo)} "
          f"({sum(ooo) / max(fills, 1):.1f} per filling segment), length median {md(dur):.0f} us "
          f"mean {statistics.mean(dur) if dur else 0:.0f} us, open {sum(dur) / 1e3:.1f} ms in all")
    if len(sys.argv) > 2:
        sk = list(packets(sys.argv[2]))
        s = sender_side(sk, fl)
        d = [x[0] * 1e6 for x in s]
        k = [x[1] for x in s]
        print(f"{sys.argv[2]}: {len(s)} holes shown by SACK and resent: from the ACK to the retransmission "
              f"median {md(d):.0f} us mean {statistics.mean(d) if d else 0:.0f} us; new segments sent in "
              f"between median {md(k):.0f} mean {statistics.mean(k) if k else 0:.1f}")


if __name__ == "__main__":
    main()
