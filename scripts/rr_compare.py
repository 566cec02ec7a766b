#!/usr/bin/env python3
"""rr_compare.py: the 1-byte round trip of several tapstack binaries, side by side in one run.

    scripts/rr_compare.py [--rounds 100] [--count 2000] [--pin 0:1|0:0|none] BIN[@FLAGS] ...

Each binary runs `up --netns rrc<i>-<pid> --seed 1 FLAGS` in a namespace of its own (tapstack makes
it and deletes it when it stops), all at once; then, for --rounds rounds, `bench_client rr` makes
--count 1-byte round trips to the echo service of each in turn (the order reversed every other
round), and its p50 is kept. The first binary is the reference. Per binary it prints the median
p50, the median of the per-round ratios to the reference (two runs a few milliseconds apart see the
same machine, so these are far steadier than a ratio of medians when the host drifts) with a 95 %
bootstrap interval (within this run: the same binaries in another run moved by about 1 %), and the CPU time of tapstack's thread per round trip (/proc/PID/schedstat) with
its kernel share. --pin CLIENT:STACK pins the client and the stacks (taskset) to those CPUs; 0:1 is
the case where the stack's own work is all on the round trip's path. Nothing here fails on a number;
nothing is sent outside the namespaces. Needs root and build/bench/bench_client.
"""
import argparse, os, random, re, signal, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENT = os.path.join(ROOT, "build", "bench", "bench_client")


def pstat(pid):
    """(ns on a CPU, user ticks, system ticks) of a process."""
    with open(f"/proc/{pid}/schedstat") as f:
        ns = int(f.read().split()[0])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return ns, int(fields[11]), int(fields[12])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--count", type=int, default=2000, help="round trips per round")
    ap.add_argument("--pin", default="none", help="CLIENT_CPU:STACK_CPU, or none")
    ap.add_argument("bins", nargs="+", help="tapstack binaries, each optionally @\"FLAGS\" for up")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("rr_compare: needs root (each tapstack makes a network namespace); run it with sudo")
    if not os.access(CLIENT, os.X_OK):
        sys.exit(f"rr_compare: {CLIENT} is missing; build it with: make build/bench/bench_client")
    if not 1 <= a.rounds <= 10000 or not 1 <= a.count <= 1000000:
        sys.exit("rr_compare: --rounds is 1-10000 and --count 1-1000000")
    if a.pin == "none":
        pin_c = pin_s = []
    else:
        m = re.fullmatch(r"(\d+):(\d+)", a.pin)
        if not m:
            sys.exit(f"rr_compare: --pin {a.pin}: give CLIENT_CPU:STACK_CPU (0:1) or none")
        pin_c, pin_s = ["taskset", "-c", m.group(1)], ["taskset", "-c", m.group(2)]
    stacks = []   # (label, Popen, namespace)
    try:
        for i, spec in enumerate(a.bins):
            path, _, flags = spec.partition("@")
            if not os.access(path, os.X_OK):
                sys.exit(f"rr_compare: {path} is not an executable")
            ns = f"rrc{i}-{os.getpid()}"
            p = subprocess.Popen(pin_s + [path, "up", "--netns", ns, "--seed", "1"] + flags.split(),
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            stacks.append((spec, p, ns))
            if not p.stdout.readline():
                sys.exit(f"rr_compare: {spec} did not come up")
        p50 = {s[0]: {} for s in stacks}
        cpu = {s[0]: [0, 0, 0, 0] for s in stacks}
        for r in range(a.rounds):
            for label, p, ns in (stacks if r % 2 == 0 else stacks[::-1]):
                s0 = pstat(p.pid)
                out = subprocess.run(["ip", "netns", "exec", ns] + pin_c +
                                     [CLIENT, "rr", "10.0.0.2", "7", str(a.count)],
                                     capture_output=True, text=True, timeout=120).stdout
                s1 = pstat(p.pid)
                m = re.search(r"p50_us=([0-9.]+)", out)
                if not m:
                    print(f"  {label} round {r}: no result ({out.strip() or 'no output'})", file=sys.stderr)
                    continue
                p50[label][r] = float(m.group(1))
                c = cpu[label]
                for j in range(3):
                    c[j] += s1[j] - s0[j]
                c[3] += a.count
        ref = p50[stacks[0][0]]
        print(f"{a.rounds} rounds of {a.count} round trips, pin {a.pin}; ratios to {stacks[0][0]}")
        for label, _, _ in stacks:
            v = p50[label]
            if not v:
                print(f"{label}: no results")
                continue
            pr = [v[r] / ref[r] for r in v if ref.get(r)]
            boots = sorted(statistics.median(random.choices(pr, k=len(pr))) for _ in range(1000))
            c = cpu[label]
            ticks = c[1] + c[2]
            print(f"{label}\n    p50 median {statistics.median(v.values()):.2f} us (min {min(v.values()):.2f})"
                  f"  paired ratio {statistics.median(pr):.3f} [{boots[25]:.3f}-{boots[974]:.3f}]"
                  f"  CPU {c[0] / c[3] / 1000:.2f} us per round trip"
                  + (f", {c[2] / ticks:.0%} in the kernel" if ticks else ""))
    finally:
        for label, p, ns in stacks:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


if __name__ == "__main__":
    main()
