#!/usr/bin/env python3
"""TCP under loss, tapstack beside the Linux kernel in the same run, controller for controller (issue 18).

Used by tests/integration/t_tcp_loss.sh (which makes the namespaces with lib.sh and starts one tapstack
per controller) and, through it, by `make bench` (scripts/bench.py reads the JSON). Subcommands:

  table    --tap CC:CLIENT:ROUTER:IP:CTL:PID ... --ref-client NS --ref-router NS --ref-server NS --ref-ip IP
           --tapstack BIN [--send "1 5 10"] [--recv "5"] [--mb N] [--mb-for "CC@PCT=MB ..."]
           [--rounds R] [--limit S] [--json FILE] [--ss DIR] [--pcap DIR --tap-ifs "IF..." --ref-ifs "IF..."]
      --tap, once per controller: a tapstack started with `--cc CC` (its client and router namespaces,
      address, control socket and PID). The kernel's side is one server (`kserve`, below) with a
      listener per controller, each set with setsockopt(TCP_CONGESTION): both Linux columns come from
      the same server. The cells: for each loss rate in --send and each controller, tapstack sending
      (a download with curl of /bytes/N from the tapstack with that --cc) beside the kernel sending
      with the same controller; for each rate in --recv and each controller, the kernel client
      sending (an upload of N bytes, its socket given that controller) into tapstack's discard
      (port 9) beside the same upload into the kernel's sink. N is --mb MB, or what --mb-for gives
      for that controller and rate (the same size for tapstack and the kernel in a cell: Linux
      CUBIC at 10 % sends about 0.2 MB/s).
      For each loss rate: nftables in each router namespace counts the forwarded TCP frames (SYNs
      aside) each way and drops that share of them (numgen random). Then R rounds; each round runs
      every transfer of every cell at that rate once, in an order that turns by one place each
      round (so each goes first in turn, and tapstack and the kernel alternate). Each transfer
      prints its goodput, the load average, the controller the kernel's socket used (getsockopt
      TCP_CONGESTION on that connection, by the server or the uploading client), the frames
      dropped of those forwarded each way, and both ends' counters over it: the sender's
      retransmitted segments, timeouts, tail loss probes and recoveries, the receiver's segments
      sent (ACKs), out-of-order segments, D-SACKs and drops (the kernel's from /proc/net/snmp and
      netstat in its namespace, tapstack's from `netstat -s --json` over its control socket), and
      for tapstack the CPU time it used, the time it waited for a CPU and the frames its TAP
      dropped. tapstack's controller is read from its listeners (`netstat -l -e --json`) before
      the first transfer. A transfer fails when its bytes differ (SHA-256 against the /bytes/N
      pattern; an upload must be fully taken: the server's FIN after ours, and the kernel-side
      sink returns the SHA-256 of what it read), when it is not done within --limit seconds, when
      the kernel's socket ran another controller than asked, when fewer than half as many data
      frames passed as the transfer has segments (frames larger than one segment: offloads on),
      or when the drops either way are not the rate asked (more than 5 binomial standard
      deviations plus 2 frames off: about one false failure in a million checks). The table holds
      the medians per cell, the ratio tapstack/kernel and the median number of segments each
      sender retransmitted. Exit status 1 if any transfer failed; timing is printed, never judged.
      --ss DIR: `ss -tin` every 50 ms in the kernel's namespaces of each transfer, one file per
      transfer and namespace. --pcap DIR: tcpdump (headers) on the given interfaces of the router
      of each transfer, one file per transfer and interface.
  kserve   IP FILE          the kernel's server, forever: HTTP GET /bytes/N (the first N bytes of FILE,
                            sendfile) on one port per controller (KPORT below; the listener's
                            TCP_CONGESTION set so), the reply carrying the connection's controller in
                            X-TCP-Congestion; and a sink on port 9: read each connection to EOF,
                            answer the SHA-256 hex, close
  pattern  PATH N           write the /bytes/N pattern to PATH (for kserve)
  upload   IP PORT N LIMIT CC  (run in the client namespace) send N pattern bytes from a socket given
                            congestion controller CC, wait for the server's FIN; prints
                            "secs=S bytes=N cc=USED reply=TEXT"
"""
import hashlib, json, os, re, resource, socket, statistics, subprocess, sys, threading, time

PAT = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"   # tapstack's /bytes/N
KCC = {"cubic": "cubic", "bbr": "bbr", "newreno": "reno"}   # tapstack's controller -> the kernel's
KPORT = {"cubic": 80, "bbr": 81, "reno": 82}                # kserve's listener per kernel controller
NAME = {"cubic": "CUBIC", "bbr": "BBR", "newreno": "NewReno"}


def pattern(n):
    return (PAT * (n // len(PAT) + 1))[:n]


def in_ns(ns, cmd):
    return ["ip", "netns", "exec", ns] + cmd


def load():
    return "load %.1f" % os.getloadavg()[0]


def nft_loss(router, ip, pct):
    """In the router namespace, drop pct % of the forwarded TCP frames to and from ip (replaces
    earlier rules; 0 removes them). SYNs pass: a lost SYN costs a 1 s timeout that would swamp
    the figure of a short transfer with noise; the bulk transfer's recovery is what we measure. The
    forward hook sees single frames (offloads off on the router's links); a drop at a host's own
    output hook would only be a local send error to that host's TCP, retried at once, not a loss."""
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
    to it, dropped of those from it] (TCP frames other than SYNs), or None (after saying why) when
    `nft list` did not give all four in three tries."""
    for _ in range(3):
        r = subprocess.run(in_ns(router, ["nft", "list", "table", "inet", "tsloss"]), capture_output=True, text=True)
        got = [int(x) for x in re.findall(r"counter packets (\d+)", r.stdout)]
        if len(got) == 4:
            return got
        time.sleep(0.1)
    print(f"  loss_xfer: nft list in {router} failed (exit {r.returncode}): {(r.stderr or r.stdout)[-300:]!r}",
          flush=True)
    return None


def loss_check(frames, drops, pct):
    """None if drops of frames fits a loss rate of pct % (within 5 binomial standard deviations,
    plus 2), else what is wrong."""
    if frames < 0 or drops < 0:
        return f"the router's counters went back ({drops} of {frames} frames): its rules were replaced"
    p = pct / 100
    mean, sd = frames * p, (frames * p * (1 - p)) ** 0.5
    if abs(drops - mean) <= 5 * sd + 2:
        return None
    return f"{drops} of {frames} frames dropped ({100 * drops / max(frames, 1):.2f} %), not {pct} %"


def download(ns, url, n, limit, want):
    """curl url in ns; returns (MB/s or None, text, the server's X-TCP-Congestion or "")."""
    p = subprocess.Popen(in_ns(ns, ["curl", "-s", "--max-time", str(limit), "-w",
                                    "%{stderr}%{http_code} %{size_download} %{time_total} "
                                    "%header{x-tcp-congestion}", url]),
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
    secs = float(err[2]) if len(err) >= 3 else 0.0
    cc = err[3] if len(err) >= 4 else ""
    if p.returncode != 0 or got != n or h.hexdigest() != want:
        return None, f"{got} of {n} bytes, {'same' if h.hexdigest() == want else 'different'} SHA-256, " \
                     f"curl status {p.returncode} after {secs:.1f}s (limit {limit}s)", cc
    return n / secs / 1e6, f"{secs:.2f}s, SHA-256 equal", cc


def upload(ns, ip, port, n, limit, want, cc):
    """The upload subcommand in ns; returns (MB/s or None, text, the controller its socket used)."""
    try:
        r = subprocess.run(in_ns(ns, [sys.executable, os.path.abspath(__file__), "upload", ip, str(port), str(n),
                                      str(limit), cc]), capture_output=True, text=True, timeout=limit + 30)
    except subprocess.TimeoutExpired:
        return None, f"not done in {limit + 30} s", ""
    kv = dict(x.split("=", 1) for x in r.stdout.split() if "=" in x)
    if r.returncode != 0 or int(kv.get("bytes", 0)) != n:
        return None, (r.stdout + r.stderr).strip()[-300:], kv.get("cc", "")
    reply = kv.get("reply", "")
    if reply and reply != want:
        return None, f"the receiver's SHA-256 differs: {reply}", kv.get("cc", "")
    secs = float(kv["secs"])
    return n / secs / 1e6, f"{secs:.2f}s, " + ("SHA-256 equal" if reply else "all taken (FIN after ours)"), kv["cc"]


def sock_cc(s):
    """The congestion controller a kernel socket uses (getsockopt TCP_CONGESTION)."""
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).split(b"\0")[0].decode()


def do_upload(ip, port, n, limit, cc):
    data = pattern(n)
    t0 = time.time()
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    s.settimeout(limit)
    s.connect((ip, port))
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
    used = sock_cc(s)
    s.close()
    print(f"secs={secs:.4f} bytes={n} cc={used} reply={reply.decode(errors='replace').strip()}")


def serve_http(c, path):
    """One kserve HTTP connection: GET /bytes/N answered from the file at path by sendfile."""
    req = b""
    while b"\r\n\r\n" not in req and len(req) < 8192:
        b = c.recv(4096)
        if not b:
            return
        req += b
    m = re.match(rb"GET /bytes/(\d+) HTTP/1\.[01]\r\n", req)
    size = os.path.getsize(path)
    if not m or int(m.group(1)) > size:
        c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return
    n = int(m.group(1))
    c.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nX-TCP-Congestion: {sock_cc(c)}\r\n"
              f"Connection: close\r\n\r\n".encode())
    with open(path, "rb") as f:
        off = 0
        while off < n:
            k = os.sendfile(c.fileno(), f.fileno(), off, n - off)
            if k <= 0:
                return
            off += k


def serve_sink(c, _):
    h = hashlib.sha256()
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        h.update(b)
    c.sendall(h.hexdigest().encode() + b"\n")


def kserve(ip, path):
    lock = threading.Lock()

    def conn(c, fn, port):
        try:
            fn(c, path)
        except OSError:
            pass
        finally:
            c.close()
            # the connection's thread's CPU time, for the table's CPU per MB (--ref-cpu)
            with lock, open(path + ".cpu", "a") as f:
                f.write(f"{port} {time.thread_time_ns()}\n")

    def listen(port, fn, cc=None):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if cc:       # accepted connections take the listener's controller
            ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
        ls.bind((ip, port))
        ls.listen(16)
        while True:
            c, _ = ls.accept()
            threading.Thread(target=conn, args=(c, fn, port), daemon=True).start()

    ts = [threading.Thread(target=listen, args=(p, serve_http, cc), daemon=True) for cc, p in KPORT.items()]
    ts.append(threading.Thread(target=listen, args=(9, serve_sink), daemon=True))
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def med(v):
    return statistics.median(v) if v else None


def fmt(v):
    return "-" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.3g}")


def fr(v):
    return "-" if v is None else f"{v:.2f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def kernel_counters(ns):
    """The TCP counters of the kernel in namespace ns: {"Tcp.RetransSegs": N, "TcpExt.TCPTimeouts": N, ...}
    (/proc/net/snmp and /proc/net/netstat, which are per namespace), or None (after saying why) when
    three tries gave none."""
    for _ in range(3):
        r = subprocess.run(in_ns(ns, ["cat", "/proc/net/snmp", "/proc/net/netstat"]), capture_output=True, text=True)
        out, lines = {}, r.stdout.splitlines()
        for names, values in zip(lines[0::2], lines[1::2]):
            k, v = names.split(), values.split()
            if k and v and k[0] == v[0] and k[0] in ("Tcp:", "TcpExt:"):
                out.update({f"{k[0][:-1]}.{a}": int(b) for a, b in zip(k[1:], v[1:]) if b.lstrip("-").isdigit()})
        if r.returncode == 0 and "Tcp.RetransSegs" in out:
            return out
        time.sleep(0.1)
    print(f"  loss_xfer: reading the kernel's counters in {ns} failed (exit {r.returncode}): {r.stderr[-300:]!r}",
          flush=True)
    return None


def tapstack_counters(binary, ctl):
    """tapstack's TCP counters (netstat -s --json over its control socket), {"retransmits": N, ...}, or
    None (after saying why) when three tries gave none."""
    for _ in range(3):
        r = subprocess.run([binary, "netstat", "-s", "-t", "--json", "--ctl", ctl], capture_output=True, text=True)
        try:
            return json.loads(r.stdout)["stats"]["tcp"]
        except (ValueError, KeyError) as e:
            err = f"exit {r.returncode}, {e!r}: {(r.stderr or r.stdout)[-300:]!r}"
        time.sleep(0.1)
    print(f"  loss_xfer: tapstack netstat -s over {ctl} failed ({err})", flush=True)
    return None


def tapstack_cc(binary, ctl):
    """The controller of tapstack's HTTP listener (port 80), from `netstat -t -l -e --json`."""
    r = subprocess.run([binary, "netstat", "-t", "-l", "-e", "--json", "--ctl", ctl], capture_output=True, text=True)
    try:
        for s in json.loads(r.stdout)["sockets"]:
            if s["local"]["port"] == 80:
                return s["tcp"]["cc"]
    except (ValueError, KeyError, TypeError):
        pass
    return "?"


def host_counters(pid, router):
    """tapstack's process and its TAP: [CPU time, time waiting for a CPU (ns, /proc/PID/schedstat),
    frames the TAP dropped on their way to tapstack (its queue full), frames it dropped from it,
    times it was put on a CPU (schedstat's third field: each wakeup after a wait for frames)]."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            cpu, wait, runs = [int(x) for x in f.read().split()[:3]]
    except (OSError, ValueError):
        cpu = wait = runs = 0
    r = subprocess.run(in_ns(router, ["ip", "-s", "-j", "link", "show", "tap0"]), capture_output=True, text=True)
    try:
        st = json.loads(r.stdout)[0]["stats64"]
        return [cpu, wait, st["tx"]["dropped"], st["rx"]["dropped"], runs]
    except (ValueError, KeyError, IndexError):
        return [cpu, wait, 0, 0, runs]


def ksoftirqd_pids():
    """The PIDs of the kernel's softirq threads (ksoftirqd/N)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().startswith("ksoftirqd/"):
                        out.append(int(d))
            except OSError:
                pass
    return out


def cpu_sample(ks):
    """[ns of CPU used by the ksoftirqd threads ks, by the whole machine (busy time of /proc/stat), by
    this process's waited-for children (curl)]."""
    soft = 0
    for pid in ks:
        try:
            with open(f"/proc/{pid}/schedstat") as f:
                soft += int(f.read().split()[0])
        except (OSError, ValueError):
            pass
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    tick = 1e9 / os.sysconf("SC_CLK_TCK")
    busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * tick
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [soft, busy, (ch.ru_utime + ch.ru_stime) * 1e9]


def kserve_cpu(path, port, seen):
    """The CPU time (ns) of kserve's newest connection thread on port whose line is past the first
    `seen` lines of path (kserve writes one when the connection ends), or None."""
    for _ in range(20):
        try:
            with open(path) as f:
                lines = f.read().splitlines()[seen:]
        except OSError:
            lines = []
        got = [int(x.split()[1]) for x in lines if x.split()[0] == str(port)]
        if got:
            return got[-1]
        time.sleep(0.05)
    return None


def lines_in(path):
    try:
        with open(path) as f:
            return len(f.read().splitlines())
    except OSError:
        return 0


def side_text(role, kind, c):
    """One side's counter differences over a transfer, in words. role: "sender" or "receiver"."""
    g = lambda *names: sum(c.get(x, 0) for x in names)
    if role == "sender" and kind == "kernel":
        return (f"{g('Tcp.RetransSegs')} retransmitted, {g('TcpExt.TCPTimeouts')} timeouts, "
                f"{g('TcpExt.TCPLossProbes')} probes, {g('TcpExt.TCPSackRecovery')} recoveries, "
                f"{g('TcpExt.TCPDSACKRecv')} D-SACKs received, {g('TcpExt.TCPSACKReorder')} reorderings seen")
    if role == "sender":
        return (f"{g('retransmits')} retransmitted, {g('timeouts')} timeouts, {g('tail_loss_probes')} probes, "
                f"{g('recoveries')} recoveries, {g('dsacks_received')} D-SACKs received, {g('rack_marks')} RACK marks, "
                f"{g('rack_timeouts')} RACK timer runs, {g('rack_reorderings')} reorderings seen")
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


class End:
    """One side of a cell: who ("tapstack" or "kernel"), its controller, the namespaces of the client, the
    router and (the kernel's) the server, the server's address and port, the router's interfaces to
    capture, and tapstack's control socket and PID."""
    def __init__(self, who, cc, client, router, ip, port, server=None, ifs=(), ctl=None, pid=None):
        self.who, self.cc, self.client, self.router, self.ip, self.port = who, cc, client, router, ip, port
        self.server, self.ifs, self.ctl, self.pid = server, list(ifs), ctl, pid


def transfer(a, e, d, n, want):
    """The timed transfer itself: (MB/s or None, text, the kernel socket's controller or None)."""
    if d == "send":
        v, why, cc = download(e.client, f"http://{e.ip}:{e.port}/bytes/{n}", n, a.limit, want)
        return v, why, (cc if e.who == "kernel" else None)
    v, why, cc = upload(e.client, e.ip, 9, n, a.limit, want, KCC[e.cc])
    return v, why, cc


def one_transfer(a, e, d, pct, tag, n, want):
    """One timed transfer (d: "send" = download, e sending; "recv" = upload, the kernel client sending
    into e) with its checks and counters. Returns (MB/s or None, the line to print, counters)."""
    aside = []
    if a.ss:
        aside += [sampler(x, os.path.join(a.ss, f"{tag}.{x}.ss"), 0.05) for x in (e.client, e.server) if x]
    if a.pcap:
        aside += [capture(e.router, f, os.path.join(a.pcap, f"{tag}.{f}.pcap")) for f in e.ifs]
        time.sleep(0.3)                          # tcpdump has begun listening
    kc = {x: kernel_counters(x) for x in (e.client, e.server) if x}
    tc = tapstack_counters(a.tapstack, e.ctl) if e.ctl else {}
    hc = host_counters(e.pid, e.router) if e.pid else []
    before = nft_counts(e.router)
    kseen = lines_in(a.ref_cpu) if a.ref_cpu and e.who == "kernel" else 0
    cpu0 = cpu_sample(a.ksoftirqd)
    v, why, kcc = transfer(a, e, d, n, want)
    cpu1 = cpu_sample(a.ksoftirqd)
    after = nft_counts(e.router)
    # A counter that could not be read (said above) fails the transfer: its loss is not known.
    unread = [] if before and after else ["the router's frame counts"]
    frames = [x - y for x, y in zip(after, before)] if not unread else [0, 0, 0, 0]
    diff = lambda b, a: {k: c - b.get(k, 0) for k, c in a.items()} if b is not None and a is not None else None
    kc = {x: diff(kc[x], kernel_counters(x)) for x in kc}
    unread += [f"the kernel's counters in {x}" for x, c in kc.items() if c is None]
    kc = {x: c or {} for x, c in kc.items()}
    if e.ctl:
        tc = diff(tc, tapstack_counters(a.tapstack, e.ctl))
        unread += [] if tc is not None else ["tapstack's counters"]
        tc = tc or {}
        hc = [x - y for x, y in zip(host_counters(e.pid, e.router), hc)]
    if a.pcap:
        time.sleep(0.3)                          # tcpdump has written the last frames
    for p in aside:
        stop(p)
    # The server's side and the client's: tapstack is the server on its path, the kernel the client.
    server = ("tapstack", tc) if e.who == "tapstack" else ("kernel", kc[e.server])
    client = ("kernel", kc[e.client])
    snd, rcv = (server, client) if d == "send" else (client, server)
    if kcc is not None:
        why += f"; the kernel's socket ran {kcc or '(not told)'}"
        if v is not None and kcc != KCC[e.cc]:
            v, why = None, why + f": not {KCC[e.cc]}, the controller asked"
    pc = lambda d, f: f"{d} of {f} ({100 * d / max(f, 1):.1f} %)"
    why += (f"; nftables dropped {pc(frames[2], frames[0])} frames to {e.who}, {pc(frames[3], frames[1])} from it"
            f"; sender ({snd[0]}): {side_text('sender', *snd)}; receiver ({rcv[0]}): {side_text('receiver', *rcv)}")
    if hc:
        why += (f"; tapstack ran {hc[0] / 1e6:.0f} ms and waited {hc[1] / 1e6:.0f} ms for a CPU ({hc[4]} times"
                f" put on one), its TAP dropped"
                f" {hc[2]} frames to it (queue full) and {hc[3]} from it")
    data = (frames[1], frames[3]) if d == "send" else (frames[0], frames[2])
    # CPU per MB of the sending server (tapstack, or kserve's connection thread), the client (curl,
    # downloads only), the softirq threads and the whole machine (others' load included); ACKs per
    # data frame and out-of-order segments per retransmission, as the routers and receivers saw them
    mb = n / 1e6
    srv = hc[0] if hc else (kserve_cpu(a.ref_cpu, e.port, kseen) if a.ref_cpu and d == "send" else None)
    dc = [y - x for x, y in zip(cpu0, cpu1)]
    why += (f"; CPU per MB: server {srv / 1e6 / mb:.2f} ms" if srv is not None else "; CPU per MB: server ?") + \
        (f", client {dc[2] / 1e6 / mb:.2f}" if d == "send" else "") + \
        f", ksoftirqd {dc[0] / 1e6 / mb:.2f}, machine {dc[1] / 1e6 / mb:.2f} ms"
    if d == "send" and data[0]:
        ack_frames = frames[0]
        rx = rcv[1]
        ooo = rx.get("rx_out_of_order", rx.get("TcpExt.TCPOFOQueue", 0))
        rt = snd[1].get("retransmits", snd[1].get("Tcp.RetransSegs", 0))
        why += f"; {ack_frames / data[0]:.3f} ACKs per data frame, {ooo / max(rt, 1):.1f} out-of-order per retransmission"
    if v is not None and unread:
        v, why = None, why + f": could not read {', '.join(unread)} (see above)"
    if v is not None and data[0] < 0.5 * n / 1500:
        v, why = None, why + (": far fewer data frames than segments of the transfer; are the frames larger than"
                              " one segment (offloads on)?")
    for frm, drp, way in ((frames[0], frames[2], "to"), (frames[1], frames[3], "from")):
        bad = loss_check(frm, drp, pct)
        if v is not None and bad:
            v, why = None, why + f": the loss {way} {e.who} was not what was asked: {bad}"
    return v, why, {"sender": snd[1], "receiver": rcv[1], "frames": frames, "host": hc}


def sizes(a):
    """{(cc, pct): MB} from --mb-for "CC@PCT=MB ..."."""
    out = {}
    for x in a.mb_for.split():
        m = re.fullmatch(r"(\w+)@(\d+)=(\d+(?:\.\d+)?)", x)
        if not m:
            sys.exit(f"loss_xfer: --mb-for '{x}': expected CC@PCT=MB, e.g. cubic@10=5")
        out[(m.group(1), int(m.group(2)))] = float(m.group(3))
    return out


def ends_of(a):
    """{(who, cc): End} for every controller given by --tap."""
    ends = {}
    for x in a.tap:
        f = x.split(":")
        if len(f) != 6 or f[0] not in KCC:
            sys.exit(f"loss_xfer: --tap '{x}': expected CC:CLIENT:ROUTER:IP:CTL:PID, CC one of {', '.join(KCC)}")
        cc = f[0]
        ends[("tapstack", cc)] = End("tapstack", cc, f[1], f[2], f[3], 80, ifs=a.tap_ifs.split(), ctl=f[4], pid=f[5])
        ends[("kernel", cc)] = End("kernel", cc, a.ref_client, a.ref_router, a.ref_ip, KPORT[KCC[cc]],
                                   server=a.ref_server, ifs=a.ref_ifs.split())
    return ends


def cell_runs(a, ends, pct, cells, mb_of, results):
    """R rounds at one loss rate: every transfer of every cell (d, cc) once per round; odd rounds in the
    reverse order of the even ones, whose order turns by one cell every two rounds. Results go to results[(pct, d, cc)][who]: {"runs", "retransmits", "timeouts"}."""
    jobs = [(d, cc, who) for d, cc in cells for who in ("tapstack", "kernel")]
    bad = 0
    for r in range(a.rounds):
        k = 2 * (r // 2) % len(jobs)                 # each cell's pair goes first in turn
        order = jobs[k:] + jobs[:k]
        if r % 2:                                    # and tapstack and the kernel swap places
            order = order[::-1]
        for d, cc, who in order:
            e, mb = ends[(who, cc)], mb_of(cc, pct)
            n = int(mb * 1000000)
            want = hashlib.sha256(pattern(n)).hexdigest()
            tag = f"{pct}pct_{who}_{cc}_{d}_r{r + 1}"
            ld = load()
            v, why, c = one_transfer(a, e, d, pct, tag, n, want)
            what = (f"{who} {'sends' if d == 'send' else 'receives'} {mb:g} MB at {pct} % "
                    f"({NAME[cc]}{'' if d == 'send' else ' sending'})")
            print(f"  {what}, round {r + 1}, {ld}: " + (f"{v:.2f} MB/s, {why}" if v else f"FAILED: {why}"),
                  flush=True)
            x = results.setdefault((pct, d, cc), {}).setdefault(who, {"runs": [], "retransmits": [],
                                                                     "timeouts": []})
            x["retransmits"].append(c["sender"].get("retransmits", c["sender"].get("Tcp.RetransSegs", 0)))
            x["timeouts"].append(c["sender"].get("timeouts", c["sender"].get("TcpExt.TCPTimeouts", 0)))
            if v is None:
                bad += 1
            else:
                x["runs"].append(v)
    return bad


def print_table(a, ccs, rows, results, loads):
    """The table: a line per loss rate and direction, a pair of columns and a ratio per controller."""
    print(f"\nTCP under loss, medians of {a.rounds} round(s) alternating every transfer, MB/s (the sender's "
          f"retransmitted segments, median); nftables dropping each way on both paths; load average "
          f"{loads[0]} at the start, {loads[1]} at the end; the kernel's controller per socket (TCP_CONGESTION):")
    head = " | ".join(f"tapstack {NAME[c]} | Linux {NAME[c]} | ratio" for c in ccs)
    print(f"| loss each way | transfer | {head} |")
    print("| --- | --- |" + " ---: | ---: | ---: |" * len(ccs))
    below = []
    for pct, d in sorted(rows, key=lambda x: (x[1] != "send", x[0])):    # sending first, then receiving
        mbs = {c: results[(pct, d, c)]["mb"] for c in ccs if (pct, d, c) in results}
        size = (f"{next(iter(mbs.values())):g} MB" if len(set(mbs.values())) == 1 else
                ", ".join(f"{NAME[c]} {m:g} MB" for c, m in mbs.items()))
        what = ("tapstack sends; Linux sends" if d == "send" else
                "Linux sends into tapstack; into Linux") + f" ({size})"
        cells = []
        for c in ccs:
            x = results.get((pct, d, c))
            if not x:
                cells += ["-", "-", "-"]
                continue
            for who in ("tapstack", "kernel"):
                rt = med(x[who]["retransmits"])
                cells.append(f"{fmt(x[who]['median'])}" + (f" ({rt:.0f})" if rt is not None else ""))
            cells.append(fr(x["ratio"]))
            if x["ratio"] is None or x["ratio"] < 1.0:
                below.append(f"{'sending' if d == 'send' else 'receiving'} at {pct} % with {NAME[c]} "
                             f"({fr(x['ratio'])})")
        print(f"| {pct} % | {what} | " + " | ".join(cells) + " |")
    print("ratios under 1.0: " + ("; ".join(below) if below else "none"))


def table(a):
    ends = ends_of(a)
    ccs = [x.split(":")[0] for x in a.tap]
    mb_for = sizes(a)
    mb_of = lambda cc, pct: mb_for.get((cc, pct), a.mb)
    for x in (a.ss, a.pcap):
        if x:
            os.makedirs(x, exist_ok=True)
    for cc in ccs:
        e = ends[("tapstack", cc)]
        got = tapstack_cc(a.tapstack, e.ctl)
        print(f"tapstack at {e.ip} (client {e.client}) runs {got}; the kernel's server at {a.ref_ip}:"
              f"{KPORT[KCC[cc]]} gives its connections {KCC[cc]}")
        if got != cc:
            sys.exit(f"loss_xfer: the tapstack given as {cc} runs {got}")
    send = [int(x) for x in a.send.split()]
    recv = [int(x) for x in a.recv.split()]
    results, bad, rows = {}, 0, []
    loads = ["%.1f %.1f %.1f" % os.getloadavg()]
    for pct in sorted(set(send) | set(recv)):
        cells = [(d, cc) for d, on in (("send", pct in send), ("recv", pct in recv)) if on for cc in ccs]
        rows += [(pct, d) for d in ("send", "recv") if (d == "send" and pct in send) or (d == "recv" and pct in recv)]
        routers = {(e.router, e.ip) for e in ends.values()}
        for router, ip in routers:
            nft_loss(router, ip, pct)
        raw = {}
        bad += cell_runs(a, ends, pct, cells, mb_of, raw)
        for router, ip in routers:
            nft_loss(router, ip, 0)
        for (p, d, cc), x in raw.items():
            cell = {"loss_pct": p, "dir": d, "cc": cc, "kernel_cc": KCC[cc], "mb": mb_of(cc, p)}
            for who in ("tapstack", "kernel"):
                y = x.get(who, {"runs": [], "retransmits": [], "timeouts": []})
                cell[who] = {"median": med(y["runs"]), "runs": y["runs"], "retransmits": y["retransmits"],
                             "timeouts": y["timeouts"]}
            cell["ratio"] = ratio(cell["tapstack"]["median"], cell["kernel"]["median"])
            results[(p, d, cc)] = cell
    loads.append("%.1f %.1f %.1f" % os.getloadavg())
    print_table(a, ccs, rows, results, loads)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d %H:%M"), "load": loads, "rounds": a.rounds,
                       "cells": list(results.values())}, f, indent=1)
    return 1 if bad else 0


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table")
    t.add_argument("--tap", action="append", required=True,
                   help="CC:CLIENT:ROUTER:IP:CTL:PID, a tapstack started with --cc CC (once per controller)")
    for k in ("ref-client", "ref-router", "ref-server", "ref-ip", "tapstack"):
        t.add_argument("--" + k, required=True)
    t.add_argument("--tap-ifs", default="", help="the tapstack routers' interfaces to capture (--pcap)")
    t.add_argument("--ref-ifs", default="", help="the kernel router's interfaces to capture (--pcap)")
    t.add_argument("--ss", help="directory: sample `ss -tin` in the kernel's namespaces every 50 ms")
    t.add_argument("--pcap", help="directory: capture each transfer on the routers' interfaces")
    t.add_argument("--mb", type=float, default=20)
    t.add_argument("--mb-for", default="", help='"CC@PCT=MB ...": another size for that controller and rate')
    t.add_argument("--send", default="1 5 10", help="loss rates (%%) at which tapstack sends")
    t.add_argument("--recv", default="5", help="loss rates (%%) at which tapstack receives")
    t.add_argument("--rounds", type=int, default=1)
    t.add_argument("--limit", type=int, default=120)
    t.add_argument("--json")
    t.add_argument("--ref-cpu", help="the file kserve writes its connections' CPU times to (FILE.cpu)")
    p = sub.add_parser("pattern")
    p.add_argument("path")
    p.add_argument("n", type=int)
    s = sub.add_parser("kserve")
    s.add_argument("ip")
    s.add_argument("path")
    u = sub.add_parser("upload")
    u.add_argument("ip")
    u.add_argument("port", type=int)
    u.add_argument("n", type=int)
    u.add_argument("limit", type=float)
    u.add_argument("cc")
    a = ap.parse_args()
    if a.cmd == "table":
        a.ksoftirqd = ksoftirqd_pids()
        sys.exit(table(a))
    if a.cmd == "pattern":
        with open(a.path, "wb") as f:
            f.write(pattern(a.n))
    elif a.cmd == "kserve":
        kserve(a.ip, a.path)
    elif a.cmd == "upload":
        do_upload(a.ip, a.port, a.n, a.limit, a.cc)


if __name__ == "__main__":
    main()
