#!/usr/bin/env bash
# Install what tapstack needs on Debian, if it is missing.  Usage: scripts/deps.sh build|run|test|soak|bench|coverage
# build: gcc, make, liburing-dev, libcmocka-dev.  test: + iproute2, python3, curl, wget, lftp, nftables, tcpdump,
# ethtool, nginx-light, pkg-config, man-db, valgrind...  bench: + iperf3.  coverage: build + clang, libclang-rt-14-dev, llvm-14
set -u
what=${1:-build}
need_pkgs=()
have_hdr() { echo "#include <$1>" | ${CC:-gcc} -E -x c - >/dev/null 2>&1; }
have_cmd() { command -v "$1" >/dev/null 2>&1; }

have_hdr liburing.h || need_pkgs+=(liburing-dev)
have_hdr stdarg.h && { printf '#include <stdarg.h>\n#include <stddef.h>\n#include <setjmp.h>\n#include <stdint.h>\n#include <cmocka.h>\n' | ${CC:-gcc} -E -x c - >/dev/null 2>&1 || need_pkgs+=(libcmocka-dev); }
have_cmd gcc || need_pkgs+=(gcc)
have_cmd ip || need_pkgs+=(iproute2)
if [ "$what" != build ]; then   # run, test, bench: what the hints and tests use as clients
  have_cmd nc || need_pkgs+=(netcat-openbsd)
  have_cmd curl || need_pkgs+=(curl)
  have_cmd ping || need_pkgs+=(iputils-ping)
fi
[ "$what" = soak ] && what=test    # make soak: what make test needs (the soak's plot is in it)
if [ "$what" = test ] || [ "$what" = bench ]; then
  have_cmd python3 || need_pkgs+=(python3)
  have_cmd wget || need_pkgs+=(wget)
  have_cmd lftp || need_pkgs+=(lftp)
  have_cmd nft || need_pkgs+=(nftables)
  have_cmd tcpdump || need_pkgs+=(tcpdump)
  have_cmd clang || need_pkgs+=(clang)
  [ -d /usr/lib/llvm-14/lib/clang ] && ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need_pkgs+=(libclang-rt-14-dev)
  have_cmd wrk || need_pkgs+=(wrk)
  have_cmd chromium || need_pkgs+=(chromium)
  have_cmd ethtool || need_pkgs+=(ethtool)          # t_tcp_loss: offloads off on the reference path
  have_cmd nginx || need_pkgs+=(nginx-light)        # t_exhaust and make bench: the kernel's HTTP server
  have_cmd xmllint || need_pkgs+=(libxml2-utils)
  /usr/bin/python3 -c 'import matplotlib' 2>/dev/null || need_pkgs+=(python3-matplotlib)   # t_soak's plot
  have_cmd pkg-config || need_pkgs+=(pkg-config)    # tests/install: examples built against an installed copy
  have_cmd man || need_pkgs+=(man-db)               # tests/install: man -l renders the page
  have_cmd groff || need_pkgs+=(groff-base)
  have_cmd valgrind || need_pkgs+=(valgrind)        # t_rr_cost: instructions per echo round trip
fi
if [ "$what" = coverage ]; then   # make coverage: clang, libFuzzer, llvm-profdata/llvm-cov, python3
  have_cmd clang || need_pkgs+=(clang)
  ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need_pkgs+=(libclang-rt-14-dev)
  { have_cmd llvm-profdata-14 && have_cmd llvm-cov-14; } || { have_cmd llvm-profdata && have_cmd llvm-cov; } || need_pkgs+=(llvm-14)
  have_cmd python3 || need_pkgs+=(python3)
fi
if [ "$what" = bench ]; then
  have_cmd iperf3 || need_pkgs+=(iperf3)
  have_cmd valgrind || need_pkgs+=(valgrind)
fi
[ ${#need_pkgs[@]} -eq 0 ] && exit 0
echo "deps: missing Debian packages: ${need_pkgs[*]}" >&2
if [ "$(id -u)" != 0 ] || ! have_cmd apt-get; then
  echo "deps: run as root on Debian, or install them yourself: apt-get install ${need_pkgs[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null 2>&1 || echo "deps: apt-get update failed; trying the install anyway" >&2
if ! apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/tmp/tapstack-deps.log 2>&1; then
  echo "deps: apt-get install ${need_pkgs[*]} failed; see /tmp/tapstack-deps.log" >&2
  exit 1
fi
echo "deps: installed ${need_pkgs[*]}" >&2
