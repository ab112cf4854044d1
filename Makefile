# SPDX-License-Identifier: GPL-2.0
# wirescope: build one static binary with every BPF object embedded.
#   make            build ./wirescope
#   make test       install test dependencies, build, run every test
#   make demo       install dependencies, build, run the lab demo
#   make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel
#   make fuzz       libFuzzer targets tests/fuzz/fuzz_*.c -> build/fuzz/
#   make deb        Debian package wirescope_VERSION_ARCH.deb (tools/deb/)
#   V=1             show the commands
#   SANITIZE=1      ASan+UBSan, dynamic, in build-san/ (make test SANITIZE=1)
#   DYNAMIC=1       dynamic, in build-dyn/ (for valgrind)

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
ARCH     ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
CLANG    ?= clang
CC       ?= gcc
BPFTOOL  ?= bpftool
SANITIZE ?=
DYNAMIC  ?=
ifeq ($(SANITIZE),1)
OUT      := build-san
else ifeq ($(DYNAMIC),1)
OUT      := build-dyn
else
OUT      := build
endif
# The static binary stays at ./wirescope; variant builds live in their dir.
BIN      := $(if $(filter build,$(OUT)),wirescope,$(OUT)/wirescope)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# clang -target bpf does not see the host's system include paths; pass
# them with -idirafter so <asm/types.h> and friends resolve.
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall \
	-Ivmlinux/$(ARCH) -Iheaders -Ibpf $(CLANG_BPF_SYS_INCLUDES)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -fno-strict-aliasing -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Iheaders -Iuser -I$(OUT) -MMD -MP
LINK    := -lbpf -lelf -lz

# ASan cannot be linked statically: sanitized and valgrind builds are dynamic.
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifneq ($(DYNAMIC),1)
LDFLAGS += -static
endif

BPF_SRC   := bpf/wirescope.bpf.c
BPF_OBJ   := $(OUT)/wirescope.bpf.o
SKEL      := $(OUT)/wirescope.skel.h
# user/: core (lifecycle, attach, output), collectors (one per concern),
# commands (front-ends); includes point only down that list.
USER_SRCS := $(wildcard user/*.c user/core/*.c user/collectors/*.c user/commands/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.PHONY: all clean test unit e2e demo bench vmlinux deps dist format fuzz deb
.DEFAULT_GOAL := all

all: $(BIN)

$(OUT) $(OUT)/tests:
	$(Q)mkdir -p $@

$(OUT)/wirescope.tmp.bpf.o: $(BPF_SRC) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(OUT)/wirescope.bpf.d -MT $@ -c $< -o $@

$(BPF_OBJ): $(OUT)/wirescope.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(SKEL): $(BPF_OBJ)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name wirescope_bpf > $@

$(OUT)/user/%.o: user/%.c $(SKEL)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The version -V and export's build_info give, in a file rewritten only when
# it changes (a commit, an edit): the two objects that print it follow it.
VERSION_OBJS := $(OUT)/user/main.o $(OUT)/user/commands/export.o
$(VERSION_OBJS): CFLAGS += -DWS_VERSION='"$(VERSION)"'
$(VERSION_OBJS): $(OUT)/version
$(OUT)/version: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)[ "$$(cat $@ 2>/dev/null)" = '$(VERSION)' ] || echo '$(VERSION)' >$@
FORCE:
.PHONY: FORCE

$(BIN): $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LINK) -o $@

$(OUT)/tests/%: tests/unit/%.c $(LIB_OBJS) $(SKEL) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB_OBJS) $(LINK) -o $@

unit-bins: $(UNIT_BINS)

deps:
	$(Q)tools/deps.sh

# The plain run also builds the fuzzers and the dynamic binary valgrind
# needs, and then runs the kernel matrix (make vmtest; VMTEST=0: not), even
# when a host test failed; SANITIZE=1 runs the same suite on build-san/.
RUN_VMTEST := $(if $(filter 1,$(SANITIZE))$(filter 0,$(VMTEST)),,yes)
test: deps
	$(Q)$(MAKE) --no-print-directory all unit-bins $(OUT)/bench/xdp_pass.bpf.o \
		$(OUT)/bench/tcx_pass $(OUT)/bench/tc_pass.bpf.o \
		$(OUT)/bench/tc_touch.bpf.o
ifneq ($(SANITIZE),1)
	$(Q)$(MAKE) --no-print-directory fuzz
	$(Q)$(MAKE) --no-print-directory DYNAMIC=1 all
endif
	$(Q)rc=0; OUT=$(OUT) WS=$(abspath $(BIN)) WS_SANITIZE=$(SANITIZE) \
		WS_RESULTS=$(OUT)/host-suite.log tests/run.sh || rc=1; \
	$(if $(RUN_VMTEST),$(if $(T),,VMTEST_HOST_RESULTS=$(OUT)/host-suite.log) \
		$(MAKE) --no-print-directory vmtest || rc=1;) exit $$rc

demo:
	$(Q)tools/deps.sh demo
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

include tests/fuzz/fuzz.mk

vmlinux:
	$(call msg,BTF,vmlinux/$(ARCH)/vmlinux.h)
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

# A tarball: the static binary, the man page, the docs and the systemd
# unit when there is one; dist/wirescope is the binary alone.  Elsewhere:
# DIST_OUT=DIR (instead of dist/), DIST_STAGE=DIR (the tree it packs,
# instead of $(OUT)/dist), DIST_BIN=PATH (another binary, packed as it
# is: the tests pack the one under test, neither rebuilt nor relinked).
DIST_OUT   ?= dist
DIST_STAGE ?= $(OUT)/dist
DIST_BIN   ?= wirescope
DIST_DIR   := $(DIST_STAGE)/wirescope-$(VERSION)-$(ARCH)
DIST_FILES := $(wildcard LICENSE README.md docs/*.md docs/*.8 tools/deploy/*)
dist: $(DIST_BIN)
	$(call msg,DIST,$(DIST_OUT)/wirescope.tar.gz)
	$(Q)rm -rf $(DIST_STAGE) && mkdir -p $(DIST_DIR) $(DIST_OUT)
	$(Q)strip -o $(DIST_DIR)/wirescope $(DIST_BIN)
	$(Q)$(if $(DIST_FILES),cp --parents $(DIST_FILES) $(DIST_DIR)/)
	$(Q)cp $(DIST_DIR)/wirescope $(DIST_OUT)/wirescope
	$(Q)tar -C $(DIST_STAGE) -czf $(DIST_OUT)/wirescope.tar.gz $(notdir $(DIST_DIR))

format:
	$(Q)clang-format -i bpf/*.c bpf/*.h $(wildcard user/*.c user/*/*.[ch]) headers/*.h tests/unit/*.c

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf build build-san build-dyn wirescope dist wirescope_*.deb

-include $(OUT)/wirescope.bpf.d $(USER_OBJS:.o=.d) $(UNIT_BINS:=.d)

BENCH_BINS := $(OUT)/bench/progcost $(OUT)/bench/churn $(OUT)/bench/tcx_pass \
	      $(OUT)/bench/xdp_pass.bpf.o $(OUT)/bench/tc_pass.bpf.o \
	      $(OUT)/bench/tc_touch.bpf.o

$(OUT)/bench:
	$(Q)mkdir -p $@

$(OUT)/bench/%: tools/bench/%.c tools/bench/bench_setup.h $(LIB_OBJS) $(SKEL) | $(OUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB_OBJS) $(LINK) -o $@

$(OUT)/bench/%.bpf.o: tools/bench/%.bpf.c | $(OUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(OUT)/bench/tc_touch.bpf.o: bpf/pull.bpf.h headers/parse.h

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)tools/bench/bench.sh

# The Debian package, from the static binary; the version is git describe's,
# made a valid Debian version (tools/deb/build.sh says how).
deb: wirescope
	$(Q)deb=$$(VERSION=$(VERSION) tools/deb/build.sh) && printf '  %-8s %s\n' DEB "$${deb##*/}"

# The kernel matrix: tools/vmtest/tests.list in a VM of each kernel of
# tools/vmtest/kernels (Debian's and Ubuntu's, fetched and cached in
# /var/cache/wirescope-vmtest); docs/kernels.md.
vmtest: deps $(BIN) $(OUT)/bench/tcx_pass $(OUT)/bench/tc_pass.bpf.o \
	$(OUT)/bench/tc_touch.bpf.o
	$(Q)WS=$(abspath $(BIN)) BENCH_OUT=$(OUT)/bench tools/vmtest/matrix.sh $(VMTEST_KERNELS)
.PHONY: vmtest
