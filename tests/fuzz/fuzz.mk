# SPDX-License-Identifier: GPL-2.0
# libFuzzer targets (included by the Makefile).  Every tests/fuzz/fuzz_NAME.c
# becomes $(OUT)/fuzz/fuzz_NAME, linked against the user-space code built
# with clang's fuzzer, ASan and UBSan instrumentation.  session.c is swapped
# for a stub (no BPF, no attach) and main() is renamed ws_cli_main() so a
# target can drive the whole command line.  Seed corpora live in
# tests/fuzz/corpus/NAME/; tests/e2e/fuzz.sh runs each target for a bounded
# time.  See tests/fuzz/README.md to add a target.

FUZZ_DIR    := $(OUT)/fuzz
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wno-unused-parameter \
	-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined \
	-Iheaders -Iuser -I$(OUT) -Itests/unit -DWS_VERSION='"fuzz"'
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRCS))
FUZZ_LIBSRC := $(filter-out user/core/session.c,$(USER_SRCS)) tests/fuzz/stub_session.c
FUZZ_LIBOBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIBSRC))

$(FUZZ_DIR)/obj/%.o: %.c $(SKEL)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(if $(filter user/main.c,$<),-Dmain=ws_cli_main) \
		-MMD -MP -c $< -o $@

$(FUZZ_DIR)/libws.a: $(FUZZ_LIBOBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libws.a
	$(call msg,LINK,$@)
	$(Q)$(CLANG) -fsanitize=fuzzer,address,undefined $^ $(LINK) -o $@

fuzz: $(FUZZ_BINS)

.SECONDARY: $(FUZZ_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)

-include $(FUZZ_LIBOBJ:.o=.d) $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/obj/tests/fuzz/%.d)
