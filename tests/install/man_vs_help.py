#!/usr/bin/env python3
"""Check that man/tapstack.1 and `tapstack --help` agree: the same subcommands, and for each
subcommand the same flags in its section of the page as in `tapstack COMMAND --help`.
Usage: man_vs_help.py TAPSTACK_BINARY MAN_PAGE. Prints one line per mismatch, then a summary;
exits 1 on any mismatch."""
import re
import subprocess
import sys

FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*[a-z0-9]|-[a-zA-Z])(?![\w-])")


def flags(text):
    return set(FLAG.findall(text))


def help_text(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True, timeout=10)
    return r.stdout + r.stderr


def man_sections(path):
    """{subcommand: plain text of its .SS "tapstack NAME" section}."""
    sections, cur = {}, None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        m = re.match(r'\.SS "tapstack (\S+)"', line)
        if m:
            cur = m.group(1)
            sections[cur] = []
            continue
        if line.startswith(".SH") or line.startswith(".SS"):
            cur = None
            continue
        if cur is None or line.startswith('.\\"'):
            continue
        line = re.sub(r"^\.[A-Z]+ ?", "", line)           # macro names (.TP, .BI ...)
        line = line.replace("\\-", "-").replace('"', " ")
        line = re.sub(r"\\f[BIRP]", "", line)
        line = re.sub(r"\\\(\w\w", " ", line)             # \(en, \(sc ...
        sections[cur].append(line)
    return {k: "\n".join(v) for k, v in sections.items()}


def main():
    binary, page = sys.argv[1], sys.argv[2]
    top = help_text(binary, "--help")
    cmds = re.findall(r"^  (\S+)\s", top.split("Commands:", 1)[1], re.M)
    cmds = [c for c in cmds if not c.startswith("-")]
    man = man_sections(page)
    bad = 0
    for c in sorted(set(cmds) ^ set(man)):
        where = "--help" if c in cmds else "the man page"
        print(f"MISMATCH: subcommand {c} is only in {where}")
        bad += 1
    checked = 0
    for c in cmds:
        if c not in man:
            continue
        h, m = flags(help_text(binary, c, "--help")), flags(man[c])
        checked += len(h)
        for f in sorted(h - m):
            print(f"MISMATCH: tapstack {c}: {f} is in --help but not in the man page")
            bad += 1
        for f in sorted(m - h):
            print(f"MISMATCH: tapstack {c}: {f} is in the man page but not in --help")
            bad += 1
    print(f"man page vs --help: {len(cmds)} subcommands, {checked} flags; {bad} mismatches")
    return 1 if bad or not cmds else 0


if __name__ == "__main__":
    sys.exit(main())
