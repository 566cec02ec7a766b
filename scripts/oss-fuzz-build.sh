#!/usr/bin/env bash
# oss-fuzz-build.sh: build every fuzz target the way OSS-Fuzz (and ClusterFuzzLite) call a project's
# build.sh: the compiler, its flags and the fuzzing engine come from the environment.
#   CC, CFLAGS            compile (default: clang, -O1 -g -fsanitize=address,undefined,fuzzer-no-link)
#   CXX, CXXFLAGS         link, since an engine may be C++ (default: clang++ when there is one, else CC)
#   LIB_FUZZING_ENGINE    the engine to link (default: -fsanitize=fuzzer, libFuzzer)
#   OUT                   where the targets go (default: build/oss-fuzz); WORK: objects (default: OUT/work)
# Beside each target in OUT: TARGET.options and TARGET.dict from tests/fuzz/ when there are, and
# TARGET_seed_corpus.zip with its seeds (tests/fuzz/corpus/TARGET).
# An OSS-Fuzz project's build.sh is one line: `"$SRC/tapstack/scripts/oss-fuzz-build.sh"`.
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-clang}
CFLAGS=${CFLAGS:--O1 -g -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer}
if [ -z "${CXX:-}" ]; then CXX=$(command -v clang++ || echo "$CC"); fi
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
OUT=${OUT:-build/oss-fuzz}
WORK=${WORK:-$OUT/work}
mkdir -p "$OUT" "$WORK/obj"

# The sources are the Makefile's (FUZZ_LIB_SRCS: the core, the apps and what the harnesses need).
srcs=$(make -s --no-print-directory --eval 'ts-fuzz-srcs: ; @echo $(FUZZ_LIB_SRCS)' ts-fuzz-srcs)
[ -n "$srcs" ] || { echo "oss-fuzz-build: no sources from the Makefile (FUZZ_LIB_SRCS)" >&2; exit 1; }
inc="-std=gnu11 -Iinclude -Istack -Itests/fuzz -D_GNU_SOURCE -DTS_FUZZING"
objs=()
for s in $srcs; do
    o="$WORK/obj/$(echo "${s%.c}" | tr / _).o"
    # shellcheck disable=SC2086  # CFLAGS is a list of flags
    $CC $CFLAGS $inc -c "$s" -o "$o"
    objs+=("$o")
done
rm -f "$WORK/libfz.a"; ar rcs "$WORK/libfz.a" "${objs[@]}"
n=0
for f in tests/fuzz/fuzz_*.c; do
    t=$(basename "$f" .c)
    # shellcheck disable=SC2086
    $CC $CFLAGS $inc -c "$f" -o "$WORK/obj/$t.o"
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS "$WORK/obj/$t.o" "$WORK/libfz.a" $LIB_FUZZING_ENGINE -o "$OUT/$t"
    for ext in options dict; do [ -f "tests/fuzz/$t.$ext" ] && cp "tests/fuzz/$t.$ext" "$OUT/"; done
    if [ -d "tests/fuzz/corpus/$t" ]; then
        rm -f "$OUT/${t}_seed_corpus.zip"
        python3 -c 'import sys, os, zipfile
z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)
for n in sorted(os.listdir(sys.argv[2])): z.write(os.path.join(sys.argv[2], n), n)' \
            "$OUT/${t}_seed_corpus.zip" "tests/fuzz/corpus/$t"
    fi
    n=$((n + 1))
done
echo "oss-fuzz-build: $n targets in $OUT (CC=$CC, LIB_FUZZING_ENGINE=$LIB_FUZZING_ENGINE)"
