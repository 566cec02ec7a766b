#!/usr/bin/env python3
"""Plot a soak's CSV (tests/integration/soak_load.py): memory and connections over time, as a PNG.

usage: soak_plot.py SOAK.csv OUT.png
Top: tapstack's RSS, the bytes of its glibc heap in use (release build), what of the heap and of its
other anonymous mappings (grown TCP rings, the driver's buffers) is resident, its frame pool and its
TCP buffers (MB). Bottom: TCP connections by state.
Needs python3-matplotlib (scripts/deps.sh soak installs it).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: soak_plot.py SOAK.csv OUT.png")
    rows = list(csv.DictReader(open(sys.argv[1])))
    if not rows:
        sys.exit(f"{sys.argv[1]}: no rows")
    t = [float(r["t_s"]) / 60 for r in rows]
    num = lambda k: [float(r.get(k) or 0) for r in rows]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    top.plot(t, [v / 1024 for v in num("rss_kb")], marker=".", label="RSS")
    if any(r.get("heap_used_kb") for r in rows):     # the release build: glibc's heap, walked
        top.plot(t, [v / 1024 for v in num("heap_used_kb")], marker=".", label="heap in use")
    if any(r.get("heap_rss_kb") for r in rows):      # resident: the heap, and the other anonymous mappings
        top.plot(t, [v / 1024 for v in num("heap_rss_kb")], linestyle="--", label="heap resident")
        top.plot(t, [v / 1024 for v in num("anon_maps_rss_kb")], linestyle=":", label="other anonymous, resident")
    top.plot(t, [v / 2**20 for v in num("mem_frames")], marker=".", label="frame pool")
    top.plot(t, [v / 2**20 for v in num("mem_tcp_buffers")], marker=".", label="TCP buffers")
    top.set_ylabel("MB")
    top.set_ylim(bottom=0)
    top.legend(loc="upper left")
    top.set_title("tapstack soak: memory and connections (--loss 0.01 --reorder 0.01 --dup 0.005)")
    for state in ("ESTABLISHED", "TIME_WAIT", "SYN_RECEIVED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "LAST_ACK"):
        v = num("tcp_" + state)
        if any(v):
            bottom.plot(t, v, marker=".", label=state)
    bottom.plot(t, num("arp_entries"), linestyle="--", label="ARP entries")
    bottom.set_ylabel("count")
    bottom.set_xlabel("minutes")
    bottom.set_ylim(bottom=0)
    bottom.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=90)


if __name__ == "__main__":
    main()
