#!/usr/bin/env bash
# conformance.sh DIR...: play every .pkt under the directories (packetdrill syntax) against the
# core on a virtual clock (build/asan/tests/pktrun) and print one line per script:
#   PASS name | FAIL name: first mismatch | SKIP name: reason | DIFFERS name: RFC section
# then a table per directory and, last, exactly:
#   conformance: P passed, F failed, S skipped, D differ
#
# DIFFERS: a script listed in tests/conformance/differences.txt ("path: RFC section: the RFC's
# words") fails because tapstack does what the RFC states and the script's system does not.
# Exit status: 1 if a script fails that tests/conformance/known-failures.txt does not list (a
# regression), if pktrun crashed, or if a directory is missing; 0 otherwise. Listed scripts that
# now pass are reported as "(now passes: remove it from known-failures.txt)".
# The comparison is the lenient one for external scripts: see tests/lib/pktscript.c (lenient_mask).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
runner=${PKTRUN:-$root/build/asan/tests/pktrun}
diffs=$root/tests/conformance/differences.txt
known=$root/tests/conformance/known-failures.txt
# Without arguments: the suite's directories in ../shared/tcp-testsuite beside the repository
# (for a git worktree, beside the main checkout too), or $CONFORMANCE_DIR; skip if there is none.
if [ $# -eq 0 ]; then
    suite=${CONFORMANCE_DIR:-}
    if [ -z "$suite" ]; then
        for cand in "$root/../shared/tcp-testsuite" \
                    "$(cd "$root" && git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/../../shared/tcp-testsuite"; do
            if [ -d "$cand" ]; then suite=$(cd "$cand" && pwd); break; fi
        done
    fi
    if [ -z "$suite" ] || [ ! -d "$suite" ]; then
        echo "conformance: skipped: no tcp-testsuite beside the repository (../shared/tcp-testsuite); set CONFORMANCE_DIR=DIR to name it"
        exit 0
    fi
    set -- "$suite"/*/
fi
if [ ! -x "$runner" ]; then
    echo "conformance: $runner is not built (run: make build/asan/tests/pktrun)" >&2; exit 2
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for dir in "$@"; do
    if [ ! -d "$dir" ]; then echo "conformance: no directory $dir" >&2; status=1; continue; fi
    base=$(cd "$dir" && pwd)
    find "$base" -name '*.pkt' -type f | LC_ALL=C sort > "$tmp/list"
    [ -s "$tmp/list" ] || { echo "conformance: no .pkt scripts under $dir" >&2; continue; }
    xargs -d '\n' "$runner" < "$tmp/list" > "$tmp/out" 2> "$tmp/err"
    rc=$?   # xargs: 123 when pktrun exited 1 (a script failed), other values: it crashed
    if { [ $rc -ne 0 ] && [ $rc -ne 123 ]; } || [ "$(wc -l < "$tmp/out")" -ne "$(wc -l < "$tmp/list")" ]; then
        echo "conformance: the runner stopped (status $rc) in $dir:" >&2; tail -20 "$tmp/err" >&2; status=1
    fi
    # verdicts, with paths relative to the directory's parent (e.g. state-event-engine/rcv-.../x.pkt)
    parent=$(dirname "$base")
    awk -v parent="$parent/" -v diffs="$diffs" -v known="$known" -v dname="$(basename "$base")" '
        function rel(p) { return index(p, parent) == 1 ? substr(p, length(parent) + 1) : p }
        BEGIN {
            while ((getline l < diffs) > 0) if (l !~ /^#/ && l ~ /: /) { k = l; sub(/: .*/, "", k); v = l; sub(/^[^:]*: /, "", v); D[k] = v }
            while ((getline l < known) > 0) if (l !~ /^#/ && l != "") { k = l; sub(/:.*/, "", k); K[k] = 1 }
        }
        {
            verdict = $1; path = $2; sub(/:$/, "", path); r = rel(path)
            sub(/^[A-Z]+ [^ ]*/, ""); sub(/^:? */, ""); sub(/^[^ :]+\.pkt:/, "line "); why = $0
            n = split(r, parts, "/"); sub_ = n > 2 ? parts[2] : "."
            if (verdict == "FAIL" && (r in D)) { verdict = "DIFFERS"; why = D[r] }
            if (verdict == "FAIL" && !(r in K)) { why = why " (regression: not in known-failures.txt)"; reg++ }
            if (verdict == "PASS" && (r in K)) why = "(now passes: remove it from known-failures.txt)"
            if (verdict == "PASS" && (r in D)) why = "(passes: remove it from differences.txt)"
            printf "%-7s %s%s%s\n", verdict, r, why != "" ? ": " : "", why
            c[sub_, verdict]++; subs[sub_] = 1; tot[verdict]++
        }
        END {
            printf "\n%-58s %6s %6s %7s %6s\n", dname, "passed", "failed", "skipped", "differ"
            m = 0; for (s in subs) order[++m] = s
            for (i = 2; i <= m; i++) { v = order[i]; j = i - 1; while (j > 0 && order[j] > v) { order[j + 1] = order[j]; j-- } order[j + 1] = v }
            for (i = 1; i <= m; i++) { s = order[i]
                printf "  %-56s %6d %6d %7d %6d\n", s, c[s, "PASS"], c[s, "FAIL"], c[s, "SKIP"], c[s, "DIFFERS"] }
            printf "  %-56s %6d %6d %7d %6d\n\n", "total", tot["PASS"], tot["FAIL"], tot["SKIP"], tot["DIFFERS"]
            printf "%d %d %d %d %d\n", tot["PASS"], tot["FAIL"], tot["SKIP"], tot["DIFFERS"], reg > "/dev/stderr"
        }' "$tmp/out" 2> "$tmp/counts"
    read -r p f s d reg < "$tmp/counts"
    P=$(( ${P:-0} + p )); F=$(( ${F:-0} + f )); S=$(( ${S:-0} + s )); D=$(( ${D:-0} + d ))
    [ "$reg" -gt 0 ] && status=1
done
echo "conformance: ${P:-0} passed, ${F:-0} failed, ${S:-0} skipped, ${D:-0} differ"
exit $status
