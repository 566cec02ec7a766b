# tapstack build. Quiet unless V=1.  See README.md.
#   make            build/tapstack and build/libtapstack.a (the core: no I/O, no liburing)
#   make test       install missing deps, unit tests under ASan+UBSan, packet scripts, integration, fuzz smoke
#   make run        tapstack up --netns tapstack with the demo services
#   make bench      benchmarks against the kernel (prints figures; never fails on a number)
#   make fuzz       every fuzz target for FUZZ_SECONDS (default 60), or to FUZZ_RUNS executions
#   make install-test  install into a temporary PREFIX, build examples/ against it, check the man page
#   make install  PREFIX=DIR (default /usr/local; DESTDIR honoured): command, headers, core library,
#                 pkg-config file, man page; make uninstall removes them
#   make coverage   clang source-based coverage of unit tests, packet scripts and fuzz corpora (build/coverage/)
CC      ?= gcc
ifeq ($(origin CC),default)
CC      := gcc
endif
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)
CSTD    := -std=gnu11
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS_BASE := $(CSTD) $(WARN) -g -Iinclude -Istack -MMD -MP -D_GNU_SOURCE
# The release build is link-time optimized with gcc (issue 19): the core's small per-segment functions
# (ring, RTT, rate, RACK, option and checksum helpers, one file each) inline across files; a 1-byte echo
# round trip takes 14 % fewer instructions and touches 8 % fewer code lines. Fat objects keep
# libtapstack.a usable by any compiler and linker. OPT=... (or LTO=) replaces it.
LTO     ?= $(if $(findstring clang,$(CC)),,-flto=auto -ffat-lto-objects)
OPT     ?= -O2 $(LTO)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

CORE_DIRS   := stack/wire stack/net stack/udp stack/tcp stack/core
APP_DIRS    := stack/apps stack/apps/http stack/apps/ftp stack/apps/fetch stack/apps/services stack/netstat stack/plot stack/trace
DRIVER_DIRS := stack/driver stack/cli

find_c = $(sort $(foreach d,$(1),$(wildcard $(d)/*.c)))
CORE_SRCS   := $(call find_c,$(CORE_DIRS))
APP_SRCS    := $(call find_c,$(APP_DIRS))
DRIVER_SRCS := $(call find_c,$(DRIVER_DIRS))
UNIT_SRCS   := $(sort $(wildcard tests/unit/test_*.c))
TESTLIB_SRCS:= $(sort $(wildcard tests/lib/*.c))
BENCH_SRCS  := $(sort $(wildcard tests/bench/*.c))

B  := build
BA := build/asan

obj    = $(patsubst %.c,$(B)/obj/%.o,$(1))
objasan = $(patsubst %.c,$(BA)/obj/%.o,$(1))

.PHONY: all check-docs deps install uninstall install-test coverage fuzz-build test unit scripts-test conformance integration fuzz-smoke fuzz run bench soak demo clean
all: $(if $(DRIVER_SRCS),$(B)/tapstack) $(B)/libtapstack.a

deps:
	$(Q)scripts/deps.sh build

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_BASE) $(OPT) $(CFLAGS) -c $< -o $@

$(BA)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC[san] $<")
	$(Q)$(CC) $(CFLAGS_BASE) -O1 $(SANFLAGS) $(CFLAGS) -c $< -o $@

$(B)/libtapstack.a: $(call obj,$(CORE_SRCS))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libtsapps.a: $(call obj,$(APP_SRCS))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/tapstack: $(call obj,$(DRIVER_SRCS)) $(B)/libtsapps.a $(B)/libtapstack.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(OPT) -o $@ $^ -luring

$(BA)/libtapstack.a: $(call objasan,$(CORE_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^
$(BA)/libtsapps.a: $(call objasan,$(APP_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^
# Driver and command modules, so that unit tests can test them (pcap, fault, trace); archive
# members are pulled only when referenced, so main() never clashes with a test's.
$(BA)/libtsdriver.a: $(call objasan,$(DRIVER_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

# The sanitized tapstack binary, used by the integration tests so that a crash under real traffic is caught.
$(BA)/tapstack: $(call objasan,$(DRIVER_SRCS)) $(BA)/libtsapps.a $(BA)/libtapstack.a
	@$(if $(Q),echo "  LD[san] $@")
	$(Q)$(CC) $(SANFLAGS) -o $@ $^ -luring

# Test helpers are an archive, so a test links only the helpers it uses.
$(BA)/libtstest.a: $(call objasan,$(TESTLIB_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

# test_alloc_fail makes the core's allocations fail one by one through the linker's --wrap.
TEST_LDFLAGS_test_alloc_fail := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
UNIT_BINS := $(patsubst tests/unit/%.c,$(BA)/tests/%,$(UNIT_SRCS))
TEST_LIBS := $(BA)/libtstest.a $(BA)/libtsdriver.a $(BA)/libtsapps.a $(BA)/libtapstack.a
$(BA)/tests/%: tests/unit/%.c $(TEST_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS_BASE) -Itests -O1 $(SANFLAGS) -o $@ $< $(TEST_LIBS) -lcmocka -luring -lm $(TEST_LDFLAGS_$*)

BENCH_BINS := $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRCS))
$(B)/bench/%: tests/bench/%.c $(B)/obj/tests/lib/frames.o $(B)/libtsapps.a $(B)/libtapstack.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_BASE) -Itests $(OPT) -o $@ $^

# Fuzz targets (clang libFuzzer + ASan + UBSan). Each tests/fuzz/fuzz_*.c links tests/fuzz/harness.c and
# the whole core and apps. FUZZ_CC=afl-clang-fast builds the same targets for AFL++.
FUZZ_CC    ?= clang
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB_SRCS := $(CORE_SRCS) $(APP_SRCS) tests/fuzz/harness.c \
                 stack/driver/pcap.c stack/driver/vnet.c
$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC[fuzz] $<")
	$(Q)$(FUZZ_CC) $(CSTD) -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Istack -Itests/fuzz -MMD -MP -D_GNU_SOURCE -DTS_FUZZING $(FUZZ_FLAGS:-fsanitize=fuzzer,%=-fsanitize=fuzzer-no-link,%) -c $< -o $@
$(B)/fuzz/libfz.a: $(patsubst %.c,$(B)/fuzz/obj/%.o,$(FUZZ_LIB_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^
$(B)/fuzz/%: $(B)/fuzz/obj/tests/fuzz/%.o $(B)/fuzz/libfz.a
	@$(if $(Q),echo "  LD[fuzz] $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
fuzz-build: $(FUZZ_BINS)

# The conformance runner: packet scripts in packetdrill syntax, one verdict line each.
$(BA)/tests/pktrun: tests/conformance/pktrun.c $(TEST_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS_BASE) -Itests -O1 $(SANFLAGS) -o $@ $< $(TEST_LIBS) -lcmocka -luring

# The external suite tcp-testsuite (packetdrill scripts) in ../shared/tcp-testsuite beside the
# repository, or CONFORMANCE_DIR=...; skipped with a message when there is none.
conformance: $(BA)/tests/pktrun
	$(Q)scripts/conformance.sh

# README.md and docs/*.md against the tree: links, paths, function names, flags (also in make test).
check-docs:
	$(Q)scripts/check-docs.py

# The packet scripts alone (tests/scripts/tcp/*.pkt; they also run in `make unit`).
scripts-test: $(BA)/tests/test_pktscript
	$(Q)$(BA)/tests/test_pktscript

unit: $(UNIT_BINS)
	$(Q)scripts/run-unit.sh $(UNIT_BINS)

integration: $(BA)/tapstack $(B)/tapstack
	$(Q)tests/integration/run.sh

test:
	$(Q)scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory all $(BA)/tapstack $(UNIT_BINS) $(BA)/tests/pktrun
	$(Q)scripts/run-tests.sh

run:
	$(Q)scripts/deps.sh run
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/run.sh

bench:
	$(Q)scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)scripts/bench.sh

# The soak (issue 23): SOAK_MINUTES of mixed traffic under faults (default 60) against the release
# build, a sample a minute, ping within 100 ms; SOAK_ASAN=1 runs the ASan build. Output: build/soak/.
soak:
	$(Q)scripts/deps.sh soak
	$(Q)$(MAKE) --no-print-directory all $(BA)/tapstack
	$(Q)TS_BIN=$(if $(SOAK_ASAN),$(CURDIR)/$(BA)/tapstack,$(CURDIR)/$(B)/tapstack) SOAK_MINUTES=$${SOAK_MINUTES:-60} \
	    SOAK_SAMPLE=$${SOAK_SAMPLE:-60} SOAK_PING_MS=$${SOAK_PING_MS:-100} SOAK_OUT=$(CURDIR)/$(B)/soak \
	    bash tests/integration/t_soak.sh

fuzz:
	$(Q)scripts/deps.sh test
	$(Q)scripts/fuzz.sh $${FUZZ_SECONDS:-60}

# Coverage by suite (unit, scripts, fuzz) in build/coverage/: see scripts/coverage.sh.
coverage:
	$(Q)scripts/coverage.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# Install: the command, the public headers, the core (no I/O) as a static library, its pkg-config
# file and the man page. The apps (HTTP, FTP ...) are not a public library: their headers are internal.
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION ?= 0.1
IDIR := $(DESTDIR)$(PREFIX)
install: all
	$(Q)install -d $(IDIR)/bin $(IDIR)/include/tapstack/counters $(IDIR)/lib/pkgconfig $(IDIR)/share/man/man1
	$(Q)install -m 755 $(B)/tapstack $(IDIR)/bin/tapstack
	$(Q)install -m 644 include/tapstack/*.h $(IDIR)/include/tapstack/
	$(Q)install -m 644 include/tapstack/counters/*.def $(IDIR)/include/tapstack/counters/
	$(Q)install -m 644 $(B)/libtapstack.a $(IDIR)/lib/libtapstack.a
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' tapstack.pc.in >$(IDIR)/lib/pkgconfig/tapstack.pc
	$(Q)install -m 644 man/tapstack.1 $(IDIR)/share/man/man1/tapstack.1
	@echo "  INSTALL $(IDIR) (bin/tapstack, include/tapstack, lib/libtapstack.a, lib/pkgconfig/tapstack.pc, share/man/man1/tapstack.1)"

# examples/ built against an installed copy (part of make test).
install-test: all
	$(Q)tests/install/t_install.sh

uninstall:
	$(Q)rm -f $(IDIR)/bin/tapstack $(IDIR)/lib/libtapstack.a $(IDIR)/lib/pkgconfig/tapstack.pc \
	          $(IDIR)/share/man/man1/tapstack.1
	$(Q)rm -rf $(IDIR)/include/tapstack
	@echo "  UNINSTALL $(IDIR)"

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' -type f 2>/dev/null)
