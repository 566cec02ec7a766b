#!/usr/bin/env python3
"""coverage_table.py ROOT PROFDIR FILES_TXT DIRS_MD: the tables of `make coverage`.

Reads PROFDIR/{unit,scripts,fuzz,total}.json (llvm-cov export -summary-only) and writes
FILES_TXT: per source file, lines / functions / branches covered in percent, by suite and in total,
then a per-directory summary and, last, exactly `coverage: core lines L%, core branches B%`;
DIRS_MD: the per-directory table (markdown) for docs/coverage.md.
"""
import json
import os
import sys

SUITES = ["unit", "scripts", "fuzz", "total"]
KINDS = ["lines", "functions", "branches"]
CORE = ["stack/wire", "stack/net", "stack/udp", "stack/tcp", "stack/core"]


def load(profdir, suite, root):
    path = os.path.join(profdir, suite + ".json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        data = json.load(f)["data"][0]["files"]
    files = {}
    for fi in data:
        name = os.path.relpath(fi["filename"], root)
        if name.startswith(".."):
            continue
        files[name] = {k: (fi["summary"][k]["covered"], fi["summary"][k]["count"]) for k in KINDS}
    return files


def pct(c, n):
    return "   -  " if n == 0 else "%5.1f%%" % (100.0 * c / n)


def add(acc, s):
    for k in KINDS:
        c, n = acc.get(k, (0, 0))
        acc[k] = (c + s[k][0], n + s[k][1])


def main():
    root, profdir, files_txt, dirs_md = sys.argv[1:5]
    by = {s: load(profdir, s, root) for s in SUITES}
    names = sorted(n for n in by["total"] if by["total"][n]["lines"][1] > 0)
    # The counts (lines, branches) of a file are the same in every suite; a suite that never loaded
    # a binary holding the file has no entry: count it as 0 covered.
    def get(s, name):
        t = by["total"][name]
        return by[s].get(name, {k: (0, t[k][1]) for k in KINDS})

    head = "%-36s %-7s" % ("file (lines / functions / branches)", "count") + "".join(
        " %-20s" % s for s in SUITES)
    lines = [head]
    dirs = {}
    for name in names:
        t = by["total"][name]
        row = "%-36s %7d" % (name, t["lines"][1])
        for s in SUITES:
            g = get(s, name)
            row += " " + " ".join(pct(*g[k]) for k in KINDS)
        lines.append(row)
        d = os.path.dirname(name)
        for s in SUITES:
            add(dirs.setdefault(d, {}).setdefault(s, {}), get(s, name))
    lines.append("")
    lines.append("%-36s %7s" % ("directory", "lines") + "".join(" %-20s" % s for s in SUITES))
    md = ["| directory | lines | " + " | ".join("%s L / F / B" % s for s in SUITES) + " |",
          "| --- | ---: | " + " | ".join("---" for _ in SUITES) + " |"]
    core = {}
    for d in sorted(dirs):
        row = "%-36s %7d" % (d, dirs[d]["total"]["lines"][1])
        cells = []
        for s in SUITES:
            a = dirs[d][s]
            row += " " + " ".join(pct(*a[k]) for k in KINDS)
            cells.append(" / ".join(pct(*a[k]).strip() for k in KINDS))
        lines.append(row)
        md.append("| %s | %d | %s |" % (d, dirs[d]["total"]["lines"][1], " | ".join(cells)))
        if d in CORE:
            for s in SUITES:
                add(core.setdefault(s, {}), dirs[d][s])
    row = "%-36s %7d" % ("core", core["total"]["lines"][1])
    cells = []
    for s in SUITES:
        row += " " + " ".join(pct(*core[s][k]) for k in KINDS)
        cells.append(" / ".join(pct(*core[s][k]).strip() for k in KINDS))
    lines.append(row)
    md.append("| **core** (wire net udp tcp core) | %d | %s |" % (core["total"]["lines"][1], " | ".join(cells)))
    lc, ln = core["total"]["lines"]
    bc, bn = core["total"]["branches"]
    lines.append("")
    lines.append("coverage: core lines %.1f%%, core branches %.1f%%" % (100.0 * lc / ln, 100.0 * bc / bn))
    with open(files_txt, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(dirs_md, "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
