#!/usr/bin/env python3
"""make bench: tapstack against the Linux kernel's own stack, side by side, in one run.

A = tapstack: `tapstack up --netns` in a namespace of its own; the load runs in that namespace
    (the kernel on the far side of the TAP). With the TAP's offloads (checksum, TSO), the default.
P = the same with --no-offload (plain 1,514-byte frames), for the rows marked no_offload.
O = with --compare PATH: another tapstack binary (an older build, say) set up as A is, and as P is
    for the no_offload rows; every row but the memory ones runs it too, in the same alternation,
    and prints its figures, the ratio this/compare of the medians, and the median of the rounds'
    own ratios ("paired": A and O run back to back in each round, so the host's drift cancels).
B = the kernel: two namespaces joined by a veth pair; the same load from one to servers in the
    other (bench_server for echo/discard, nginx for HTTP).
Each scenario runs A B A B ... for --rounds rounds; the table shows medians, min-max and the ratio
A/B. Figures are printed and written as JSON; nothing here fails on a number.
Everything it makes (namespaces, files, processes) is its own, and is removed on exit.
"""
import argparse, json, os, platform, re, shutil, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build")
TAPSTACK = os.path.join(B, "tapstack")
CLIENT = os.path.join(B, "bench", "bench_client")
SERVER = os.path.join(B, "bench", "bench_server")
PID = os.getpid()
NS_T = f"tsb-tap-{PID}"
NS_A = f"tsb-ka-{PID}"
NS_B = f"tsb-kb-{PID}"
NS_P = f"tsb-plain-{PID}"
NS_O = f"tsb-old-{PID}"
NS_OP = f"tsb-oldp-{PID}"
TS_IP, K_SRV = "10.0.0.2", "10.1.0.2"
BIG = 1_000_000_000

procs, namespaces = [], []
tmp = tempfile.mkdtemp(prefix="tapstack-bench-")


def sh(cmd, ns=None, timeout=60, check=True, **kw):
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()[:300]}")
    return r.stdout


def spawn(cmd, ns=None, **kw):
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    p = subprocess.Popen(cmd, **kw)
    procs.append(p)
    return p


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    for ns in namespaces:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    for ns in (NS_T, NS_P, NS_O, NS_OP):
        if os.path.exists(f"/run/netns/{ns}"):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    shutil.rmtree(tmp, ignore_errors=True)


def setup_kernel():
    for ns in (NS_A, NS_B):
        sh(["ip", "netns", "add", ns])
        namespaces.append(ns)
        sh(["ip", "link", "set", "lo", "up"], ns)
    sh(["ip", "link", "add", "veth-a", "netns", NS_A, "type", "veth", "peer", "name", "veth-b", "netns", NS_B])
    sh(["ip", "addr", "add", "10.1.0.1/24", "dev", "veth-a"], NS_A)
    sh(["ip", "addr", "add", f"{K_SRV}/24", "dev", "veth-b"], NS_B)
    sh(["ip", "link", "set", "veth-a", "up"], NS_A)
    sh(["ip", "link", "set", "veth-b", "up"], NS_B)
    www = os.path.join(tmp, "www")
    os.makedirs(www)
    with open(os.path.join(www, "bytes100"), "wb") as f:
        f.write(b"x" * 100)
    with open(os.path.join(www, "big.bin"), "wb") as f:
        f.truncate(BIG)          # sparse: nginx reads zeros from the page cache
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""user root; worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/nginx.err;
events {{ worker_connections 20000; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 10000000;
  server {{ listen 80 backlog=4096; root {www}; }} }}
""")
    SERVER_PID["B_http"] = spawn(["nginx", "-c", conf], NS_B, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
    SERVER_PID["B"] = spawn([SERVER, "7", "9"], NS_B).pid
    time.sleep(0.5)


def setup_tapstack(ns=NS_T, extra=(), binary=None):
    log = open(os.path.join(tmp, f"tapstack-{ns}.log"), "w")
    p = spawn([binary or TAPSTACK, "up", "--netns", ns, "--ip", f"{TS_IP}/24", *extra], stdout=subprocess.PIPE, stderr=log,
              text=True)
    import threading
    ready = threading.Event()

    def pump():  # the ready line comes on stdout; keep reading so tapstack never blocks on the pipe
        for line in p.stdout:
            log.write(line)
            if "up on" in line:
                ready.set()
    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(20):
        raise RuntimeError("tapstack did not come up; see its log")
    sh(["ping", "-c", "1", "-W", "2", TS_IP], ns)
    return p


def kv(out):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", out)}


# Each scenario: (name, unit, better, fn(target) -> value). target is "A" or "B".
def where(t):
    return {"A": (NS_T, TS_IP), "P": (NS_P, TS_IP), "O": (NS_O, TS_IP), "OP": (NS_OP, TS_IP)}.get(t, (NS_A, K_SRV))


# The process that serves each target (tapstack, or bench_server / nginx for the kernel), for the
# CPU it uses per GB moved (bulk rows): throughput on 2 shared cores is noisy, CPU per GB less so.
SERVER_PID = {}
CPU_GB = {}      # (scenario, target) -> [(server s/GB, whole machine busy s/GB), ...]


def proc_cpu_s(pid):
    """CPU seconds (user + system) of pid and its children (nginx's worker), or 0 if gone."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(c) for c in f.read().split()]
    except OSError:
        pass
    for q in pids:
        try:
            with open(f"/proc/{q}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick   # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def machine_busy_s():
    """CPU seconds all cores spent on anything but idle (user nice system irq softirq steal)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def with_cpu(name, fn, kernel_server):
    """fn(t) -> (MB/s, bytes moved); notes the serving process's (tapstack, or the kernel's
    kernel_server: "B" bench_server, "B_http" nginx) and the whole machine's CPU per GB moved."""
    def run(t):
        pid = SERVER_PID.get(kernel_server if t == "B" else t)
        c0, m0 = proc_cpu_s(pid) if pid else 0.0, machine_busy_s()
        mbps, nbytes = fn(t)
        c1, m1 = proc_cpu_s(pid) if pid else 0.0, machine_busy_s()
        if nbytes > 0:
            gb = nbytes / 1e9
            CPU_GB.setdefault((name, t), []).append(((c1 - c0) / gb if pid else None, (m1 - m0) / gb))
        return mbps
    return run


def bulk_up(t):
    ns, ip = where(t)
    r = kv(sh([CLIENT, "upload", ip, "9", "5", str(BIG)], ns, timeout=60))
    return r["MBps"], r.get("bytes", 0)


def bulk_down(t):
    ns, ip = where(t)
    url = f"http://{ip}/bytes/{BIG}" if t != "B" else f"http://{ip}/big.bin"
    out = sh(["curl", "-s", "-o", "/dev/null", "--max-time", "10", "-w",
              "%{http_code} %{speed_download} %{size_download}", url], ns, timeout=30, check=False).split()
    if len(out) != 3 or out[0] not in ("200", "000"):
        raise RuntimeError(f"download: HTTP status {out[0] if out else '?'}")
    return float(out[1]) / 1e6, float(out[2])


def wrk(t, close):
    ns, ip = where(t)
    url = f"http://{ip}/bytes/100" if t != "B" else f"http://{ip}/bytes100"
    cmd = ["wrk", "-t2", "-c50", "-d5s", url]
    if close:
        cmd[1:1] = ["-H", "Connection: close"]
    out = sh(cmd, ns, timeout=60)
    m = re.search(r"Requests/sec:\s*([0-9.]+)", out)
    return float(m.group(1)) if m else 0.0


def connrate(t):
    ns, ip = where(t)
    return kv(sh([CLIENT, "connrate", ip, "7", "5", "64"], ns, timeout=60))["conn_per_s"]


def rr(t, key):
    ns, ip = where(t)
    return kv(sh([CLIENT, "rr", ip, "7", "3000"], ns, timeout=60))[key]


CPU_RT = {}      # (scenario, target) -> [(server µs, whole machine busy µs) per round trip, ...]
RR_CROSS_N = 10000


def rr_cross_core(name):
    """The 1-byte round trip with the client on CPU 0 and the server (tapstack, or the kernel's
    bench_server) on CPU 1, so that every wakeup crosses cores: p50, and CPU per round trip of the
    server and of the whole machine (with --busy-poll, what waiting awake costs shows here). The
    server is pinned for the run and given all CPUs back after."""
    def run(t):
        pid = SERVER_PID[t]
        every = f"0-{os.cpu_count() - 1}"
        subprocess.run(["taskset", "-a", "-p", "-c", "1", str(pid)], capture_output=True, check=True)
        try:
            c0, m0 = proc_cpu_s(pid), machine_busy_s()
            ns, ip = where(t)
            r = kv(sh(["taskset", "-c", "0", CLIENT, "rr", ip, "7", str(RR_CROSS_N)], ns, timeout=60))
            c1, m1 = proc_cpu_s(pid), machine_busy_s()
        finally:
            subprocess.run(["taskset", "-a", "-p", "-c", every, str(pid)], capture_output=True)
        CPU_RT.setdefault((name, t), []).append(((c1 - c0) * 1e6 / RR_CROSS_N, (m1 - m0) * 1e6 / RR_CROSS_N))
        return r["p50_us"]
    return run


def ping_rtt(t):
    ns, ip = where(t)
    out = sh(["ping", "-q", "-c", "200", "-i", "0.002", ip], ns, timeout=60)
    m = re.search(r"= [0-9.]+/([0-9.]+)/", out)
    return float(m.group(1)) if m else 0.0


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def slab_kb():
    with open("/proc/meminfo") as f:
        return int(re.search(r"Slab:\s+(\d+)", f.read()).group(1))


TOTAL_RSS = []   # tapstack's whole resident memory while holding the idle connections, per round


def hold(t, n, tapstack_pid):
    """Idle connections held open: resident memory per connection. For tapstack a fresh instance
    each round (freed memory stays resident, so a reused process would under-count); for the
    kernel the growth of its slab, halved (both ends of a veth connection live in the kernel)."""
    if t != "B":
        ns = f"tsb-mem-{PID}-{len(TOTAL_RSS)}"
        extra = ["--no-offload"] if t == "P" else []
        # one client address holds them all: lift discard's limits (per address: a quarter) above n
        p = spawn([TAPSTACK, "up", "--netns", ns, "--ip", f"{TS_IP}/24", "--no-http", "--no-ftp",
                   "--discard-max-conns", str(2 * n), "--discard-max-per-peer", str(2 * n), *extra],
                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if "up on" not in (p.stdout.readline() or ""):
            raise RuntimeError("memory scenario: tapstack did not come up")
        pid, ip = p.pid, TS_IP
    else:
        ns, ip, p, pid = NS_A, K_SRV, None, None
    try:
        before = rss_kb(pid) if pid else slab_kb()
        c = spawn(["sh", "-c", f"ulimit -n $(ulimit -Hn); exec {CLIENT} hold {ip} 9 {n} 30"], ns,
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        held = kv(c.stdout.readline()).get("held", 0)
        time.sleep(0.5)
        after = rss_kb(pid) if pid else slab_kb()
        c.stdin.close()
        c.wait(timeout=40)
    finally:
        if p:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=20)
    if held < n:
        print(f"  hold {t}: only {held:.0f} of {n} connections held", file=sys.stderr)
    if pid:
        TOTAL_RSS.append(after / 1024)
    per = (after - before) * 1024 / max(held, 1)
    return per / 2 if t == "B" else per


def time_wait_mem(t):
    """Bytes per TIME_WAIT connection after 2 s of HTTP with Connection: close (the server closes
    first, so it holds the TIME_WAITs). tapstack: its compact records, from netstat -s's memory by
    kind; the kernel: the size of its timewait socket (the tw_sock_TCP slab object)."""
    ns, ip = where(t)
    url = f"http://{ip}/bytes/100" if t != "B" else f"http://{ip}/bytes100"
    sh(["wrk", "-H", "Connection: close", "-t2", "-c50", "-d2s", url], ns, timeout=60)
    if t == "B":
        with open("/proc/slabinfo") as f:
            m = re.search(r"^tw_sock_TCP\s+\d+\s+\d+\s+(\d+)", f.read(), re.M)
        return float(m.group(1)) if m else None
    out = sh([TAPSTACK, "netstat", "--netns", ns, "-s"], timeout=30)
    m = re.search(r"(\d+) bytes in (\d+) TIME_WAIT records", out)
    if not m or int(m.group(2)) == 0:
        raise RuntimeError("no TIME_WAIT records after the close run")
    return int(m.group(1)) / int(m.group(2))


def loss_rows(rounds):
    """TCP under 1 % and 5 % loss each way (nftables, all paths), 20 MB, tapstack beside the kernel
    controller for controller (tapstack --cc cubic beside the kernel's CUBIC, --cc bbr beside its BBR, the
    kernel's given per socket): tests/integration/t_tcp_loss.sh with the release binary, tapstack sending
    at 1 and 5 % and receiving at 5 %, every transfer alternating for `rounds` rounds; it writes its
    medians as JSON (scripts/loss_xfer.py). Returns bench rows."""
    out = os.path.join(tmp, "loss.json")
    env = dict(os.environ, TS_BIN=TAPSTACK, TS_LOSS_MB="20", TS_LOSS_PCTS="1 5", TS_LOSS_RECV_PCTS="5",
               TS_LOSS_CCS="cubic bbr", TS_LOSS_ROUNDS=str(rounds), TS_LOSS_LIMIT="300", TS_LOSS_JSON=out)
    r = subprocess.run(["bash", os.path.join(ROOT, "tests", "integration", "t_tcp_loss.sh")], env=env,
                       capture_output=True, text=True, timeout=3600)
    if not os.path.exists(out):
        print(f"  tcp_loss: no figures (t_tcp_loss.sh exit {r.returncode}):\n{r.stdout[-1500:]}", file=sys.stderr)
        return []
    if r.returncode != 0:
        print(f"  tcp_loss: a transfer failed (t_tcp_loss.sh exit {r.returncode}); figures of the others follow",
              file=sys.stderr)
    with open(out) as f:
        res = json.load(f)
    rows = []
    for c in res["cells"]:
        # loss_5pct_20MB_cubic_send: tapstack sending (a download) with CUBIC beside the kernel's CUBIC;
        # ..._recv: tapstack receiving (an upload) from the kernel sending with CUBIC, beside the kernel.
        row = {"scenario": f"loss_{c['loss_pct']}pct_{c['mb']:g}MB_{c['cc']}_{c['dir']}", "unit": "MB/s",
               "better": "higher", "cc": c["cc"], "kernel_cc": c["kernel_cc"],
               "load": [float(x.split()[0]) for x in res["load"]]}     # the 1-minute load at start and end
        for key in ("tapstack", "kernel"):
            v = c[key]["runs"]
            row[key] = {"median": statistics.median(v) if v else None, "min": min(v) if v else None,
                        "max": max(v) if v else None, "runs": v,
                        "retransmits": c[key]["retransmits"], "timeouts": c[key]["timeouts"]}  # the sender's
        row["ratio"] = c["ratio"]
        rows.append(row)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default=os.path.join(ROOT, "bench", "results.json"))
    ap.add_argument("--only", default="", help="comma-separated scenario names (tcp_loss: the rows under loss)")
    ap.add_argument("--hold", type=int, default=10000, help="idle connections for the memory scenario")
    ap.add_argument("--compare", default="", help="another tapstack binary, run beside this one (target O)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (it makes network namespaces); run: sudo make bench")
    for f in (TAPSTACK, CLIENT, SERVER):
        if not os.path.exists(f):
            sys.exit(f"bench: {f} is missing; run make bench (it builds them)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        setup_kernel()
        ts = setup_tapstack()
        SERVER_PID["A"] = ts.pid
        SERVER_PID["P"] = setup_tapstack(NS_P, ["--no-offload"]).pid
        if a.compare:
            SERVER_PID["O"] = setup_tapstack(NS_O, binary=os.path.abspath(a.compare)).pid
            try:
                SERVER_PID["OP"] = setup_tapstack(NS_OP, ["--no-offload"], binary=os.path.abspath(a.compare)).pid
            except RuntimeError:    # a build from before the offloads has no --no-offload: its frames are plain
                if os.path.exists(f"/run/netns/{NS_OP}"):
                    subprocess.run(["ip", "netns", "del", NS_OP], capture_output=True)
                SERVER_PID["OP"] = setup_tapstack(NS_OP, binary=os.path.abspath(a.compare)).pid
        plain = ("P", "B")
        scen = [
            ("bulk_upload", "MB/s", "higher", with_cpu("bulk_upload", bulk_up, "B")),
            ("bulk_upload_no_offload", "MB/s", "higher", with_cpu("bulk_upload_no_offload", bulk_up, "B"), plain),
            ("bulk_download_http", "MB/s", "higher", with_cpu("bulk_download_http", bulk_down, "B_http")),
            ("bulk_download_http_no_offload", "MB/s", "higher", with_cpu("bulk_download_http_no_offload", bulk_down,
                                                                         "B_http"), plain),
            ("http_keepalive", "req/s", "higher", lambda t: wrk(t, False)),
            ("http_close", "req/s", "higher", lambda t: wrk(t, True)),
            ("connect_1byte_close", "conn/s", "higher", connrate),
            ("rr_1byte_p50", "us", "lower", lambda t: rr(t, "p50_us")),
            ("rr_1byte_p99", "us", "lower", lambda t: rr(t, "p99_us")),
            ("rr_1byte_p50_no_offload", "us", "lower", lambda t: rr(t, "p50_us"), plain),
            ("rr_1byte_p50_cross_core", "us", "lower", rr_cross_core("rr_1byte_p50_cross_core")),
            ("ping_rtt", "ms", "lower", ping_rtt),
            ("time_wait_mem", "B/conn", "lower", time_wait_mem),
            (f"idle_conn_{a.hold}_mem", "B/conn", "lower", lambda t: hold(t, a.hold, ts.pid)),
            (f"idle_conn_{a.hold}_mem_no_offload", "B/conn", "lower", lambda t: hold(t, a.hold, ts.pid), plain),
        ]
        only = set(filter(None, a.only.split(",")))
        rows = []
        for name, unit, better, fn, *pair in scen:
            if only and name not in only:
                continue
            pair = pair[0] if pair else ("A", "B")
            old = a.compare and "_mem" not in name
            o = "O" if pair == ("A", "B") else "OP"      # the compared binary, with or without offloads
            targets = (pair[0], o, pair[1]) if old else pair
            by_round = {t: {} for t in targets}    # round -> value (rounds in order; paired ratios)
            load0 = os.getloadavg()[0]
            for r in range(a.rounds):
                for t in (targets if r % 2 == 0 or not old else (o, pair[0], pair[1])):
                    try:
                        by_round[t][r] = fn(t)
                    except Exception as e:  # a failed run is reported, never fatal
                        print(f"  {name} {t} round {r}: {e}", file=sys.stderr)
            row = {"scenario": name, "unit": unit, "better": better, "load": [load0, os.getloadavg()[0]]}
            for t, key in ((pair[0], "tapstack"), (pair[1], "kernel")):
                v = list(by_round[t].values())
                row[key] = {"median": statistics.median(v) if v else None, "min": min(v) if v else None,
                            "max": max(v) if v else None, "runs": v}
            ma, mb = row["tapstack"]["median"], row["kernel"]["median"]
            row["ratio"] = (ma / mb) if ma is not None and mb else None
            if old:
                v = list(by_round[o].values())
                row["old"] = {"median": statistics.median(v) if v else None, "min": min(v) if v else None,
                              "max": max(v) if v else None, "runs": v, "binary": os.path.abspath(a.compare)}
                mo = row["old"]["median"]
                row["ratio_old"] = (ma / mo) if ma is not None and mo else None
                # Each round runs this binary and the compared one back to back: the median of the
                # rounds' own ratios is steadier than the ratio of medians when the machine drifts.
                pr = [by_round[pair[0]][r] / by_round[o][r] for r in by_round[pair[0]]
                      if by_round[o].get(r)]
                row["ratio_old_paired"] = statistics.median(pr) if pr else None
            cpu_row(row, name, ((pair[0], "tapstack"), (pair[1], "kernel")) + (((o, "old"),) if old else ()))
            rows.append(row)
            print_row(row)
        if not only or "tcp_loss" in only:
            for row in loss_rows(a.rounds):
                rows.append(row)
                print_row(row)
        if TOTAL_RSS:
            row = {"scenario": f"idle_conn_{a.hold}_total_rss", "unit": "MB", "better": "lower",
                   "tapstack": {"median": statistics.median(TOTAL_RSS), "min": min(TOTAL_RSS),
                                "max": max(TOTAL_RSS), "runs": TOTAL_RSS},
                   "kernel": {"median": None, "min": None, "max": None, "runs": []}, "ratio": None}
            rows.append(row)
            print_row(row)
        micro = micro_bench()
        cpu = callgrind_cost() if not only or "cpu" in only else None
        result = {"cpu_cost": cpu, "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "rounds": a.rounds,
                  "command": "make bench", "rows": rows, "micro": micro}
        os.makedirs(os.path.dirname(a.json), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
        print(f"\nwrote {a.json}")
    finally:
        cleanup()


def cpu_row(row, name, keys):
    """A bulk row's CPU per GB moved (or a round trip's, in µs), medians over its rounds: the serving
    process's (tapstack; the kernel's bench_server or nginx, whose TCP receive/send work runs in
    softirq, partly charged to the client) and the whole machine's (both ends, everything that ran)."""
    for src, field in ((CPU_GB, "cpu_s_per_GB"), (CPU_RT, "cpu_us_per_round_trip")):
        for t, key in keys:
            v = src.get((name, t))
            if not v:
                continue
            srv = [a for a, _ in v if a is not None]
            row.setdefault(field, {})[key] = {"server": statistics.median(srv) if srv else None,
                                              "machine": statistics.median([b for _, b in v])}


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.2f}"


header_done = []


def print_row(row):
    if not header_done:
        print(f"{'scenario':<28} {'unit':<7} {'tapstack median (min-max)':<30} {'kernel median (min-max)':<30} ratio")
        header_done.append(1)
    cell = lambda d: f"{fmt(d['median'])} ({fmt(d['min'])}-{fmt(d['max'])})"
    ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
    load = f"  load {row['load'][0]:.1f}-{row['load'][1]:.1f}" if row.get("load") else ""
    print(f"{row['scenario']:<28} {row['unit']:<7} {cell(row['tapstack']):<30} {cell(row['kernel']):<30} {ratio}{load}",
          flush=True)
    for field, label, f in (("cpu_s_per_GB", "  CPU s/GB server / machine", ".3f"),
                            ("cpu_us_per_round_trip", "  CPU us/round trip srv / machine", ".1f")):
        cpu = row.get(field)
        if not cpu:
            continue
        c = lambda k: (f"{cpu[k]['server']:{f}} / {cpu[k]['machine']:{f}}" if k in cpu and cpu[k]["server"] is not None
                       else "-")
        print(f"{label:<36} {c('tapstack'):<30} {c('kernel'):<30}"
              + (f" compare {c('old')}" if "old" in cpu else ""), flush=True)
    if row.get("old"):
        r = f"{row['ratio_old']:.2f}" if row.get("ratio_old") is not None else "-"
        rk = row["old"]["median"] / row["kernel"]["median"] if row["old"]["median"] and row["kernel"]["median"] else None
        if row.get("ratio_old_paired") is not None:
            r += f", paired {row['ratio_old_paired']:.3f}"
        print(f"{'  --compare binary':<28} {row['unit']:<7} {cell(row['old']):<30} {'(this/compare ' + r + ')':<30} "
              f"{fmt(rk) if rk is not None else '-'}", flush=True)


CAPTURE = os.path.join(ROOT, "bench", "capture-http-256k.pcap")


def callgrind_cost():
    """Instructions per frame and per delivered byte: valgrind counts instructions, so the figure
    repeats exactly for the same binary and capture. The capture is a 256 KiB HTTP download
    recorded with --seed 1; `tapstack replay` feeds it to a stack with the same seed, whose
    HTTP server answers it again. Counted: everything the driver calls per frame (receive,
    transmit, poll, dispatch: the core and the apps' callbacks)."""
    if not shutil.which("valgrind") or not os.path.exists(CAPTURE):
        return None
    out = os.path.join(tmp, "cg.out")
    toggles = [f"--toggle-collect={f}" for f in
               ("ts_stack_receive", "ts_stack_transmit", "ts_stack_poll", "ts_stack_dispatch")]
    r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--collect-atstart=no",
                        *toggles, TAPSTACK, "replay", CAPTURE, "--seed", "1", "--quiet", "--no-offload"],
                       capture_output=True, text=True, timeout=600)
    m = re.search(r"(\d+) frames in the capture: (\d+) fed to the stack", r.stdout + r.stderr)
    sent = re.search(r"the stack sent (\d+) frames", r.stdout + r.stderr)
    ann = subprocess.run(["callgrind_annotate", out], capture_output=True, text=True).stdout
    tot = re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", ann)
    gen = re.search(r"([\d,]+) \([\d.]+%\)\s+\S*http_gen_fill", ann)
    if not (m and sent and tot):
        return None
    total = int(tot.group(1).replace(",", ""))
    body = int(gen.group(1).replace(",", "")) if gen else 0
    frames = int(m.group(2)) + int(sent.group(1))
    res = {"instructions": total, "body_generator": body, "frames": frames, "bytes": 262144,
           "per_frame": total / frames, "per_byte": total / 262144,
           "per_frame_without_generator": (total - body) / frames}
    print(f"\ncpu cost (callgrind, {os.path.basename(CAPTURE)}): {res['per_frame']:.0f} instructions/frame, "
          f"{res['per_byte']:.2f}/delivered byte; without the /bytes body generator "
          f"{res['per_frame_without_generator']:.0f}/frame ({frames} frames)")
    return res


def micro_bench():
    out = {}
    exe = os.path.join(B, "bench", "bench_demux")
    if os.path.exists(exe):
        r = subprocess.run([exe], capture_output=True, text=True, timeout=300)
        print("\n" + r.stdout.strip())
        out["demux"] = r.stdout
    return out


def machine():
    return {"cores": os.cpu_count(), "kernel": platform.release(), "cpu": cpu_model()}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except Exception:
        return "?"


if __name__ == "__main__":
    main()
