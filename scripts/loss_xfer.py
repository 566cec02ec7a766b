#!/usr/bin/env python3
"""TCP under loss, tapstack beside the Linux kernel in the same run (issue 18).

Used by tests/integration/t_tcp_loss.sh (which makes the namespaces with lib.sh) and, through it,
by `make bench` (scripts/bench.py reads the JSON). Subcommands:

  table    --tap-client NS --tap-router NS --tap-ip IP --ref-client NS --ref-router NS --ref-ip IP
           --mb N --loss "1 5 10" [--rounds R] [--limit S] [--json FILE]
      For each loss rate: nftables in each path's router namespace drops that share of the
      forwarded TCP frames each way (numgen random, counted), then, alternating tapstack and kernel for R rounds, a download of N MB
      (curl; tapstack's /bytes/N, nginx's /pattern file with the same bytes) and an upload of N MB
      (into tapstack's discard on port 9; into `sink` on the kernel side), from the client
      namespaces. A path whose rules dropped nothing one way over the whole table fails (a single
      transfer may see none: Linux acknowledges a fast transfer with a hundred ACKs or so, and 1 %
      of those is often 0); a transfer that lost far fewer data frames than the rate says fails.
      Prints goodput per run
      and a table of medians with the ratio tapstack/kernel. Every download is compared by SHA-256
      with the /bytes/N pattern; every upload must be fully taken (the server's FIN after our
      FIN; the kernel-side sink also returns the SHA-256 of what it read, which must match). Exit
      status 1 if any transfer was not exact or not done within --limit seconds. Timing is printed,
      never judged.
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
        ip daddr {ip} tcp flags & syn == 0 numgen random mod 100 < {pct} counter drop
        ip saddr {ip} tcp flags & syn == 0 numgen random mod 100 < {pct} counter drop
    }}
}}
"""
    subprocess.run(in_ns(router, ["nft", "-f", "-"]), input=rules, text=True, check=True, capture_output=True)


def nft_dropped(router):
    """Frames dropped so far by the loss rules in router: (to the server, from it)."""
    r = subprocess.run(in_ns(router, ["nft", "list", "table", "inet", "tsloss"]), capture_output=True, text=True)
    got = [int(x) for x in re.findall(r"counter packets (\d+)", r.stdout)]
    return (got + [0, 0])[:2]


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


def table(a):
    n = a.mb * 1000000
    want = hashlib.sha256(pattern(n)).hexdigest()
    who = {"tapstack": (a.tap_client, a.tap_router, a.tap_ip, f"http://{a.tap_ip}/bytes/{n}"),
           "kernel": (a.ref_client, a.ref_router, a.ref_ip, f"http://{a.ref_ip}/pattern")}
    rows, bad = [], 0
    total = {t: [0, 0] for t in who}        # frames dropped to and from each server, whole table
    for pct in [int(x) for x in a.loss.split()]:
        for _, router, ip, _ in who.values():
            nft_loss(router, ip, pct)
        runs = {(t, d): [] for t in who for d in ("send", "recv")}
        for r in range(a.rounds):
            for d in ("send", "recv"):
                for t, (ns, router, ip, url) in who.items():
                    before = nft_dropped(router)
                    if d == "send":
                        v, why = download(ns, url, n, a.limit, want)
                    else:
                        v, why = upload(ns, ip, 9, n, a.limit, want)
                    drops = [x - y for x, y in zip(nft_dropped(router), before)]
                    why += f"; nftables dropped {drops[0]} frames to {t}, {drops[1]} from it"
                    data_drops = drops[1] if d == "send" else drops[0]
                    total[t] = [x + y for x, y in zip(total[t], drops)]
                    if v is not None and data_drops < 0.3 * pct / 100 * n / 1500:
                        v, why = None, why + (": far fewer data frames dropped than the loss rate says; are the"
                                              " frames larger than one segment (offloads on)?")
                    what = f"{t} {'sends (download)' if d == 'send' else 'receives (upload)'} {a.mb} MB at {pct} %"
                    print(f"  {what}, round {r + 1}: " + (f"{v:.2f} MB/s, {why}" if v else f"FAILED: {why}"),
                          flush=True)
                    if v is None:
                        bad += 1
                    else:
                        runs[(t, d)].append(v)
        for _, router, ip, _ in who.values():
            nft_loss(router, ip, 0)
        row = {"loss_pct": pct, "mb": a.mb}
        for d in ("send", "recv"):
            ts, k = med(runs[("tapstack", d)]), med(runs[("kernel", d)])
            row[d] = {"tapstack": ts, "kernel": k, "ratio": ratio(ts, k),
                      "tapstack_runs": runs[("tapstack", d)], "kernel_runs": runs[("kernel", d)]}
        rows.append(row)
    for t, (to, frm) in total.items():
        if any(int(x) > 0 for x in a.loss.split()) and min(to, frm) == 0:
            print(f"  FAILED: the loss was not applied both ways on the {t} path: nftables dropped {to} "
                  f"frames to it and {frm} from it over the whole table", flush=True)
            bad += 1
    print(f"\nTCP under loss, {a.mb} MB each transfer, medians of {a.rounds} round(s) in MB/s, "
          f"nftables dropping each way on both paths:")
    print("| loss each way | tapstack sends | Linux sends | ratio | tapstack receives | Linux receives | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        s, r = row["send"], row["recv"]
        print(f"| {row['loss_pct']} % | {fmt(s['tapstack'])} | {fmt(s['kernel'])} | {fmt(s['ratio'])} "
              f"| {fmt(r['tapstack'])} | {fmt(r['kernel'])} | {fmt(r['ratio'])} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"mb": a.mb, "rounds": a.rounds, "rows": rows}, f, indent=1)
    return 1 if bad else 0


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table")
    for k in ("tap-client", "tap-router", "tap-ip", "ref-client", "ref-router", "ref-ip"):
        t.add_argument("--" + k, required=True)
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
