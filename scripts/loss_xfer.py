#!/usr/bin/env python3
"""TCP under loss, tapstack beside the Linux kernel in the same run (issue 18).

Used by tests/integration/t_tcp_loss.sh (which makes the namespaces with lib.sh) and, through it,
by `make bench` (scripts/bench.py reads the JSON). Subcommands:

  table    --tap-client NS --tap-router NS --tap-ip IP --ref-client NS --ref-router NS --ref-server NS
           --ref-ip IP --tapstack BIN --ctl SOCK --mb N --loss "1 5 10" [--rounds R] [--limit S]
           [--dir send|recv|both] [--json FILE] [--ss DIR] [--pcap DIR --tap-ifs "IF..." --ref-ifs "IF..."]
      For each loss rate: nftables in each path's router namespace counts the forwarded TCP frames
      (SYNs aside) each way and drops that share of them (numgen random). Then R rounds, tapstack
      and the kernel alternating (tapstack first in odd rounds, the kernel in even ones): a download
      of N MB (curl; tapstack's /bytes/N, nginx's /pattern file with the same bytes) and an upload of
      N MB (into tapstack's discard on port 9; into `sink` on the kernel side), from the client
      namespaces; --dir keeps one of the two. Each transfer prints its goodput, the frames dropped
      of those forwarded each way, and both ends' counters over it: the sender's retransmitted
      segments, timeouts, tail loss probes and recoveries, the receiver's segments sent (ACKs),
      out-of-order segments, D-SACKs and drops (the kernel's from /proc/net/snmp and netstat in its
      namespace, tapstack's from `netstat -s --json` over SOCK), and for tapstack (process --pid) the
      CPU time it used, the time it waited for a CPU and the frames its TAP dropped. A transfer fails when its bytes
      differ (SHA-256 against the /bytes/N pattern; an upload must be fully taken: the server's FIN
      after ours, and the kernel-side sink returns the SHA-256 of what it read), when it is not done
      within --limit seconds, when fewer than half as many data frames passed as the transfer has
      segments (frames larger than one segment: offloads on), or when the drops either way are not
      the rate asked (more than 5 binomial standard deviations plus 2 frames off: about one false
      failure in a million checks). The table holds the medians per direction,
      the ratio tapstack/kernel and the median number of segments each sender retransmitted. Exit
      status 1 if any transfer failed; timing is printed, never judged.
      --ss DIR: `ss -tin` every 50 ms in the kernel's namespaces of each transfer, one file per
      transfer and namespace (PCT pct_WHO_DIR_rROUND.NS.ss). --pcap DIR: tcpdump (headers) on the given
      interfaces of the router of each transfer, one file per transfer and interface.
  pattern  PATH N           write the /bytes/N pattern to PATH (for nginx)
  sink     IP PORT          serve forever: read each connection to EOF, answer the SHA-256 hex, close
  upload   IP PORT N LIMIT  (run in the client namespace) send N pattern bytes, wait for the
                            server's FIN; prints "secs=S bytes=N reply=TEXT"
"""
import hashlib, json, os, re, socket, statistics, subprocess, sys, time

PAT = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"   # tapstack's /bytes/N


def pattern(n):
    return (PAT * (n // len(PAT) + 1))[:n]


def in_ns(ns, cmd):
    return ["ip", "netns", "exec", ns] + cmd


def nft_loss(router, ip, pct):
    """In the router namespace, drop pct % of the forwarded TCP frames to and from ip (replaces
    earlier rules; 0 removes them). SYNs pass: a lost SYN costs a 1 s timeout that would swamp
    the figure of a short transfer with noise; the bulk transfer's recovery is what we measure. The forward hook sees single frames (offloads off on the
    router's links); a drop at a host's own output hook would only be a local send error to
    that host's TCP, retried at once, not a loss."""
    subprocess.run(in_ns(router, ["nft", "delete", "table", "inet", "tsloss"]), capture_output=True)
    if pct <= 0:
        return
    rules = f"""table inet tsloss {{
    chain lossy {{ type filter hook forward priority 0;
        ip daddr {ip} tcp flags & syn == 0 counter
        ip saddr {ip} tcp flags & syn == 0 counter
        ip daddr {ip} tcp flags & syn == 0 numgen random mod 100 < {pct} counter drop
        ip saddr {ip} tcp flags & syn == 0 numgen random mod 100 < {pct} counter drop
    }}
}}
"""
    subprocess.run(in_ns(router, ["nft", "-f", "-"]), input=rules, text=True, check=True, capture_output=True)


def nft_counts(router):
    """The loss rules' counters in router so far: [frames to the server, from it, dropped of those
    to it, dropped of those from it] (TCP frames other than SYNs)."""
    r = subprocess.run(in_ns(router, ["nft", "list", "table", "inet", "tsloss"]), capture_output=True, text=True)
    got = [int(x) for x in re.findall(r"counter packets (\d+)", r.stdout)]
    return (got + [0, 0, 0, 0])[:4]


def loss_check(frames, drops, pct):
    """None if drops of frames fits a loss rate of pct % (within 5 binomial standard deviations,
    plus 2), else what is wrong."""
    p = pct / 100
    mean, sd = frames * p, (frames * p * (1 - p)) ** 0.5
    if abs(drops - mean) <= 5 * sd + 2:
        return None
    return f"{drops} of {frames} frames dropped ({100 * drops / max(frames, 1):.2f} %), not {pct} %"


def download(ns, url, n, limit, want):
    """curl url in ns; returns (MB/s or None, text)."""
    p = subprocess.Popen(in_ns(ns, ["curl", "-s", "--max-time", str(limit), "-w",
                                    "%{stderr}%{http_code} %{size_download} %{time_total}", url]),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    h, got = hashlib.sha256(), 0
    while True:
        b = p.stdout.read(1 << 20)
        if not b:
            break
        h.update(b)
        got += len(b)
    err = p.stderr.read().decode(errors="replace").split()
    p.wait()
    secs = float(err[2]) if len(err) == 3 else 0.0
    if p.returncode != 0 or got != n or h.hexdigest() != want:
        return None, f"{got} of {n} bytes, {'same' if h.hexdigest() == want else 'different'} SHA-256, " \
                     f"curl status {p.returncode} after {secs:.1f}s (limit {limit}s)"
    return n / secs / 1e6, f"{secs:.2f}s, SHA-256 equal"


def upload(ns, ip, port, n, limit, want):
    try:
        r = subprocess.run(in_ns(ns, [sys.executable, os.path.abspath(__file__), "upload", ip, str(port), str(n),
                                      str(limit)]), capture_output=True, text=True, timeout=limit + 30)
    except subprocess.TimeoutExpired:
        return None, f"not done in {limit + 30} s"

    kv = dict(x.split("=", 1) for x in r.stdout.split() if "=" in x)
    if r.returncode != 0 or int(kv.get("bytes", 0)) != n:
        return None, (r.stdout + r.stderr).strip()[-300:]
    reply = kv.get("reply", "")
    if reply and reply != want:
        return None, f"the receiver's SHA-256 differs: {reply}"
    secs = float(kv["secs"])
    return n / secs / 1e6, f"{secs:.2f}s, " + ("SHA-256 equal" if reply else "all taken (FIN after ours)")


def do_upload(ip, port, n, limit):
    data = pattern(n)
    t0 = time.time()
    s = socket.create_connection((ip, port), timeout=limit)
    s.settimeout(max(1.0, limit - (time.time() - t0)))
    view = memoryview(data)
    for off in range(0, n, 1 << 16):
        s.sendall(view[off:off + (1 << 16)])
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        reply += b
    secs = time.time() - t0
    s.close()
    print(f"secs={secs:.4f} bytes={n} reply={reply.decode(errors='replace').strip()}")


def sink(ip, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((ip, port))
    ls.listen(8)
    while True:
        c, _ = ls.accept()
        h = hashlib.sha256()
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            h.update(b)
        c.sendall(h.hexdigest().encode() + b"\n")
        c.close()


def med(v):
    return statistics.median(v) if v else None


def fmt(v):
    return "-" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.2f}")


def ratio(a, b):
    return a / b if a is not None and b else None


def kernel_counters(ns):
    """The TCP counters of the kernel in namespace ns: {"Tcp.RetransSegs": N, "TcpExt.TCPTimeouts": N, ...}
    (/proc/net/snmp and /proc/net/netstat, which are per namespace)."""
    r = subprocess.run(in_ns(ns, ["cat", "/proc/net/snmp", "/proc/net/netstat"]), capture_output=True, text=True)
    out, lines = {}, r.stdout.splitlines()
    for names, values in zip(lines[0::2], lines[1::2]):
        k, v = names.split(), values.split()
        if k and v and k[0] == v[0] and k[0] in ("Tcp:", "TcpExt:"):
            out.update({f"{k[0][:-1]}.{a}": int(b) for a, b in zip(k[1:], v[1:]) if b.lstrip("-").isdigit()})
    return out


def tapstack_counters(binary, ctl):
    """tapstack's TCP counters (netstat -s --json over its control socket), {"retransmits": N, ...}."""
    r = subprocess.run([binary, "netstat", "-s", "-t", "--json", "--ctl", ctl], capture_output=True, text=True)
    try:
        return json.loads(r.stdout)["stats"]["tcp"]
    except (ValueError, KeyError):
        return {}


def host_counters(pid, router):
    """tapstack's process and its TAP: [CPU time, time waiting for a CPU (ns, /proc/PID/schedstat),
    frames the TAP dropped on their way to tapstack (its queue full), frames it dropped from it]."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            cpu, wait = [int(x) for x in f.read().split()[:2]]
    except (OSError, ValueError):
        cpu = wait = 0
    r = subprocess.run(in_ns(router, ["ip", "-s", "-j", "link", "show", "tap0"]), capture_output=True, text=True)
    try:
        st = json.loads(r.stdout)[0]["stats64"]
        return [cpu, wait, st["tx"]["dropped"], st["rx"]["dropped"]]
    except (ValueError, KeyError, IndexError):
        return [cpu, wait, 0, 0]


def side_text(role, kind, c):
    """One side's counter differences over a transfer, in words. role: "sender" or "receiver"."""
    g = lambda *names: sum(c.get(x, 0) for x in names)
    if role == "sender" and kind == "kernel":
        return (f"{g('Tcp.RetransSegs')} retransmitted, {g('TcpExt.TCPTimeouts')} timeouts, "
                f"{g('TcpExt.TCPLossProbes')} probes, {g('TcpExt.TCPSackRecovery')} recoveries")
    if role == "sender":
        return (f"{g('retransmits')} retransmitted, {g('timeouts')} timeouts, {g('tail_loss_probes')} probes, "
                f"{g('recoveries')} recoveries")
    if kind == "kernel":
        return (f"{g('Tcp.OutSegs')} segments sent, {g('TcpExt.TCPOFOQueue')} out of order, "
                f"{g('TcpExt.TCPDSACKOldSent', 'TcpExt.TCPDSACKOfoSent')} D-SACKs, "
                f"{g('TcpExt.TCPOFODrop', 'TcpExt.TCPRcvQDrop', 'TcpExt.TCPZeroWindowDrop')} dropped")
    drops = ", ".join(f"{k} {c[k]}" for k in ("drop_reass_full", "drop_out_of_window", "drop_nomem", "drop_paws")
                      if c.get(k))
    return (f"{g('tx_segments') - g('acks_merged')} segments sent ({g('acks_merged')} ACKs merged), "
            f"{g('rx_out_of_order')} out of order, {g('dsacks_sent')} D-SACKs, dropped: {drops or 'none'}")


def sampler(ns, out, every):
    """Start `ss -tin` in ns every `every` seconds, each sample after a line "@ EPOCH-SECONDS", appended
    to out. Returns the process (a shell in ns; stop it with stop())."""
    cmd = f"while :; do echo \"@ $(date +%s.%N)\"; ss -tinH state established; sleep {every}; done >>'{out}'"
    return subprocess.Popen(in_ns(ns, ["sh", "-c", cmd]), start_new_session=True)


def capture(ns, ifname, out):
    """tcpdump of the TCP headers on ifname in ns (the router) into out."""
    return subprocess.Popen(in_ns(ns, ["tcpdump", "-i", ifname, "-s", "128", "-B", "16384", "-U", "-w", out, "tcp"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop(p):
    try:
        os.killpg(p.pid, 15)
    except ProcessLookupError:
        pass
    p.wait()


def one_transfer(a, t, d, pct, r, ends, n, want):
    """One timed transfer (t: "tapstack" or "kernel"; d: "send" = download, "recv" = upload) with its
    checks and counters. Returns (MB/s or None, the line to print, counter differences)."""
    ns, router, ip, url, server_ns, ifs = ends[t]
    tag = f"{pct}pct_{t}_{d}_r{r + 1}"
    aside = []
    if a.ss:
        aside += [sampler(x, os.path.join(a.ss, f"{tag}.{x}.ss"), 0.05) for x in (ns, server_ns) if x]
    if a.pcap:
        aside += [capture(router, f, os.path.join(a.pcap, f"{tag}.{f}.pcap")) for f in ifs]
        time.sleep(0.3)                          # tcpdump has begun listening
    kc = {x: kernel_counters(x) for x in (ns, server_ns) if x}
    tc = tapstack_counters(a.tapstack, a.ctl) if t == "tapstack" else {}
    hc = host_counters(a.pid, router) if t == "tapstack" else []
    before = nft_counts(router)
    if d == "send":
        v, why = download(ns, url, n, a.limit, want)
    else:
        v, why = upload(ns, ip, 9, n, a.limit, want)
    frames = [x - y for x, y in zip(nft_counts(router), before)]
    kc = {x: {k: c - kc[x].get(k, 0) for k, c in kernel_counters(x).items()} for x in kc}
    if t == "tapstack":
        tc = {k: c - tc.get(k, 0) for k, c in tapstack_counters(a.tapstack, a.ctl).items()}
        hc = [x - y for x, y in zip(host_counters(a.pid, router), hc)]
    if a.pcap:
        time.sleep(0.3)                          # tcpdump has written the last frames
    for p in aside:
        stop(p)
    # The server's side and the client's: tapstack is the server on its path, the kernel the client.
    server = ("tapstack", tc) if t == "tapstack" else ("kernel", kc[server_ns])
    client = ("kernel", kc[ns])
    snd, rcv = (server, client) if d == "send" else (client, server)
    pc = lambda d, f: f"{d} of {f} ({100 * d / max(f, 1):.1f} %)"
    why += (f"; nftables dropped {pc(frames[2], frames[0])} frames to {t}, {pc(frames[3], frames[1])} from it"
            f"; sender ({snd[0]}): {side_text('sender', *snd)}; receiver ({rcv[0]}): {side_text('receiver', *rcv)}")
    if hc:
        why += (f"; tapstack ran {hc[0] / 1e6:.0f} ms and waited {hc[1] / 1e6:.0f} ms for a CPU, its TAP dropped"
                f" {hc[2]} frames to it (queue full) and {hc[3]} from it")
    data = (frames[1], frames[3]) if d == "send" else (frames[0], frames[2])
    if v is not None and data[0] < 0.5 * n / 1500:
        v, why = None, why + (": far fewer data frames than segments of the transfer; are the frames larger than"
                              " one segment (offloads on)?")
    for frm, drp, way in ((frames[0], frames[2], "to"), (frames[1], frames[3], "from")):
        bad = loss_check(frm, drp, pct)
        if v is not None and bad:
            v, why = None, why + f": the loss {way} {t} was not what was asked: {bad}"
    return v, why, {"sender": snd[1], "receiver": rcv[1], "frames": frames, "host": hc}


def table(a):
    n = a.mb * 1000000
    want = hashlib.sha256(pattern(n)).hexdigest()
    ends = {"tapstack": (a.tap_client, a.tap_router, a.tap_ip, f"http://{a.tap_ip}/bytes/{n}", None,
                         a.tap_ifs.split()),
            "kernel": (a.ref_client, a.ref_router, a.ref_ip, f"http://{a.ref_ip}/pattern", a.ref_server,
                       a.ref_ifs.split())}
    dirs = ("send", "recv") if a.dir == "both" else (a.dir,)
    for x in (a.ss, a.pcap):
        if x:
            os.makedirs(x, exist_ok=True)
    rows, bad = [], 0
    for pct in [int(x) for x in a.loss.split()]:
        for _, router, ip, *_ in ends.values():
            nft_loss(router, ip, pct)
        runs = {(t, d): [] for t in ends for d in dirs}
        rexmt = {(t, d): [] for t in ends for d in dirs}
        rtos = {(t, d): [] for t in ends for d in dirs}
        for r in range(a.rounds):
            order = ("tapstack", "kernel") if r % 2 == 0 else ("kernel", "tapstack")   # alternating
            for d in dirs:
                for t in order:
                    v, why, c = one_transfer(a, t, d, pct, r, ends, n, want)
                    what = f"{t} {'sends (download)' if d == 'send' else 'receives (upload)'} {a.mb} MB at {pct} %"
                    print(f"  {what}, round {r + 1}: " + (f"{v:.2f} MB/s, {why}" if v else f"FAILED: {why}"),
                          flush=True)
                    rexmt[(t, d)].append(c["sender"].get("retransmits", c["sender"].get("Tcp.RetransSegs", 0)))
                    rtos[(t, d)].append(c["sender"].get("timeouts", c["sender"].get("TcpExt.TCPTimeouts", 0)))
                    if v is None:
                        bad += 1
                    else:
                        runs[(t, d)].append(v)
        for _, router, ip, *_ in ends.values():
            nft_loss(router, ip, 0)
        row = {"loss_pct": pct, "mb": a.mb}
        for d in dirs:
            ts, k = med(runs[("tapstack", d)]), med(runs[("kernel", d)])
            row[d] = {"tapstack": ts, "kernel": k, "ratio": ratio(ts, k),
                      "tapstack_runs": runs[("tapstack", d)], "kernel_runs": runs[("kernel", d)],
                      "tapstack_retransmits": rexmt[("tapstack", d)], "kernel_retransmits": rexmt[("kernel", d)],
                      "tapstack_timeouts": rtos[("tapstack", d)], "kernel_timeouts": rtos[("kernel", d)]}
        rows.append(row)
    print(f"\nTCP under loss, {a.mb} MB each transfer, medians of {a.rounds} alternating round(s) in MB/s "
          f"(segments the sender retransmitted, median), nftables dropping each way on both paths:")
    head = {"send": "tapstack sends | Linux sends | ratio", "recv": "tapstack receives | Linux receives | ratio"}
    print("| loss each way | " + " | ".join(head[d] for d in dirs) + " |")
    print("| --- |" + " ---: | ---: | ---: |" * len(dirs))
    for row in rows:
        cells = []
        for d in dirs:
            x = row[d]
            rt, rk = med(x["tapstack_retransmits"]), med(x["kernel_retransmits"])
            cells += [f"{fmt(x['tapstack'])} ({rt:.0f})", f"{fmt(x['kernel'])} ({rk:.0f})", fmt(x["ratio"])]
        print(f"| {row['loss_pct']} % | " + " | ".join(cells) + " |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"mb": a.mb, "rounds": a.rounds, "rows": rows}, f, indent=1)
    return 1 if bad else 0


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table")
    for k in ("tap-client", "tap-router", "tap-ip", "ref-client", "ref-router", "ref-server", "ref-ip",
              "tapstack", "ctl", "pid"):
        t.add_argument("--" + k, required=True)
    t.add_argument("--tap-ifs", default="", help="the tapstack router's interfaces to capture (--pcap)")
    t.add_argument("--ref-ifs", default="", help="the kernel router's interfaces to capture (--pcap)")
    t.add_argument("--dir", choices=("send", "recv", "both"), default="both")
    t.add_argument("--ss", help="directory: sample `ss -tin` in the kernel's namespaces every 50 ms")
    t.add_argument("--pcap", help="directory: capture each transfer on the routers' interfaces")
    t.add_argument("--mb", type=int, default=20)
    t.add_argument("--loss", default="1 5 10")
    t.add_argument("--rounds", type=int, default=1)
    t.add_argument("--limit", type=int, default=120)
    t.add_argument("--json")
    p = sub.add_parser("pattern")
    p.add_argument("path")
    p.add_argument("n", type=int)
    s = sub.add_parser("sink")
    s.add_argument("ip")
    s.add_argument("port", type=int)
    u = sub.add_parser("upload")
    u.add_argument("ip")
    u.add_argument("port", type=int)
    u.add_argument("n", type=int)
    u.add_argument("limit", type=float)
    a = ap.parse_args()
    if a.cmd == "table":
        sys.exit(table(a))
    if a.cmd == "pattern":
        with open(a.path, "wb") as f:
            f.write(pattern(a.n))
    elif a.cmd == "sink":
        sink(a.ip, a.port)
    elif a.cmd == "upload":
        do_upload(a.ip, a.port, a.n, a.limit)


if __name__ == "__main__":
    main()
