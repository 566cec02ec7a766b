#!/usr/bin/env python3
"""Keep README.md and docs/*.md true to the tree (run by `make test` and `make check-docs`).

Checks, in every Markdown file given (default: README.md and docs/*.md):
  links      every relative link [text](path#anchor) names a file that exists, and an anchor
             names a heading of that file (GitHub's slugs);
  paths      every `code` span that is a repository path (stack/, include/, tests/, scripts/,
             docs/, bench/, examples/ ..., globs and <placeholders> allowed) matches a file;
  names      every `code` span that is a C name of the project (ts_..., tcp_..., TS_..., a name
             followed by ()) is found in the sources;
  flags      every --flag in a `code` span or code block line that runs tapstack (tapstack CMD,
             build/tapstack, TAPSTACK_FLAGS=) is a string in the command's sources.
Prints one line per problem (file:line: what), then `N passed, N failed` (one check per file).
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC_DIRS = ["stack", "include", "tests", "scripts", "bench", "examples"]
PATH_PREFIXES = ("stack/", "include/", "tests/", "scripts/", "docs/", "bench/", "examples/", "man/", ".ci/")
# Names the docs mention on purpose although they are no longer in the tree (history).
GONE = {"ts_frame_cap"}   # docs/coverage.md: dead code that was removed
# Flags of other programs that the docs name in `code` spans of their own.
OTHER_FLAGS = {"--path-as-is": "curl", "--wrap": "ld", "--limit-rate": "curl"}
NAME_RE = re.compile(r"^(?:(?:ts|tcp|TS|TF|sim|http|ftp|fetch|conn|udp|arp)_[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*\(\))$")


def read_sources():
    """All text of the sources, once: names and flags are searched in it."""
    chunks = []
    for d in SRC_DIRS + ["Makefile"]:
        p = os.path.join(ROOT, d)
        files = [p] if os.path.isfile(p) else glob.glob(os.path.join(p, "**", "*"), recursive=True)
        for f in files:
            if not os.path.isfile(f) or "/corpus/" in f or f.endswith((".pcap", ".png", ".svg", "check-docs.py")):
                continue
            try:
                with open(f, encoding="utf-8", errors="replace") as fh:
                    chunks.append(fh.read())
            except OSError:
                pass
    return "\n".join(chunks)


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    h = re.sub(r"[`*_]", "", heading.strip().lower())
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


def anchors(path):
    out, seen = set(), {}
    in_code = False
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            m = re.match(r"^#{1,6}\s+(.*)$", line)
            if m:
                s = slug(m.group(1))
                n = seen.get(s, 0)
                seen[s] = n + 1
                out.add(s if n == 0 else "%s-%d" % (s, n))
    return out


def path_exists(token):
    """token: a path, perhaps with globs, <placeholders>, ..., UPPER-CASE components, and
    :name after a file (the name must then be in the file)."""
    token, _, name = token.partition(":")
    pat = re.sub(r"<[^>]*>", "*", token)
    pat = pat.replace("...", "*").rstrip("/")
    pat = "/".join("*" if re.fullmatch(r"[A-Z][A-Z0-9_]*", c) else c for c in pat.split("/"))
    found = glob.glob(os.path.join(ROOT, pat)) if any(c in pat for c in "*?[") else \
        ([os.path.join(ROOT, pat)] if os.path.exists(os.path.join(ROOT, pat)) else [])
    if not found or not name:
        return bool(found)
    for f in found:
        if os.path.isfile(f):
            with open(f, encoding="utf-8", errors="replace") as fh:
                if re.search(r"\b%s\b" % re.escape(name), fh.read()):
                    return True
    return False


def check_file(md, sources, problems):
    base = os.path.dirname(md)
    rel = os.path.relpath(md, ROOT)
    in_code = False
    with open(md, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    for no, line in enumerate(lines, 1):
        where = "%s:%d" % (rel, no)
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            spans = [line] if re.search(r"(^|[\s$])(build/)?tapstack\s|TAPSTACK_FLAGS=", line) else []
            flag_spans = spans
        else:
            # links (not inside code spans)
            text = re.sub(r"`[^`]*`", "", line)
            for target in re.findall(r"\]\(([^)\s]+)\)", text):
                if re.match(r"^[a-z]+:", target):
                    continue
                file_part, _, anchor = target.partition("#")
                dest = md if not file_part else os.path.normpath(os.path.join(base, file_part))
                if file_part and not os.path.exists(dest):
                    problems.append("%s: link to %s: no such file" % (where, target))
                    continue
                if anchor and dest.endswith(".md") and anchor not in anchors(dest):
                    problems.append("%s: link to %s: no heading with that anchor" % (where, target))
            spans = re.findall(r"`([^`]+)`", line)
            flag_spans = [s for s in spans if re.match(r"^(sudo )?((build/(asan/)?)?tapstack\s|TAPSTACK_FLAGS=)", s)
                          or (re.match(r"^--[a-z]", s) and s.split()[0].split("=")[0] not in OTHER_FLAGS)]
        for s in spans if not in_code else []:
            tok = s.strip()
            if tok.startswith(PATH_PREFIXES) and " " not in tok:
                if not path_exists(tok):
                    problems.append("%s: `%s`: no such file in the tree" % (where, tok))
            elif NAME_RE.match(tok):
                name = tok[:-2] if tok.endswith("()") else tok
                if name not in GONE and not re.search(r"\b%s\b" % re.escape(name), sources):
                    problems.append("%s: `%s`: not found in the sources" % (where, tok))
        for s in flag_spans:
            for flag in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", s):
                if not any(f in sources for f in ('"%s' % flag, "'%s" % flag, "%s " % flag, '"%s"' % flag[2:])):
                    problems.append("%s: %s: no such flag in tapstack's sources" % (where, flag))


SELF_TEST_BAD = """# t
[gone](no-such-file.md) [anchor](#no-such-heading) `stack/no_such_dir/x.c` `ts_no_such_function()`
`tapstack up --no-such-flag` `--no-such-either`
"""
SELF_TEST_GOOD = """# t
## A heading
[ok](#a-heading) `stack/core/stack.c` `ts_stack_receive` `tapstack up --netns NAME --seed 1` `--http-root DIR`
"""


def self_test(sources):
    """The checker checks itself: a file with one of each mistake must give six problems, a
    correct one none. Returns a problem, or None."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        bad, good = os.path.join(d, "bad.md"), os.path.join(d, "good.md")
        with open(bad, "w", encoding="utf-8") as fh:
            fh.write(SELF_TEST_BAD)
        with open(good, "w", encoding="utf-8") as fh:
            fh.write(SELF_TEST_GOOD)
        pb, pg = [], []
        check_file(bad, sources, pb)
        check_file(good, sources, pg)
    if len(pb) != 6 or pg:
        return "self-test: expected 6 problems and 0, got %d (%s) and %d (%s)" % (len(pb), pb, len(pg), pg)
    return None


def main(argv):
    sources = read_sources()
    problem = self_test(sources)
    if problem:
        print(problem)
        print("check-docs: 0 passed, 1 failed")
        return 1
    files = argv[1:] or [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    passed = failed = 0
    for md in files:
        problems = []
        check_file(os.path.abspath(md), sources, problems)
        for p in problems:
            print(p)
        if problems:
            failed += 1
        else:
            passed += 1
    print("check-docs: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
