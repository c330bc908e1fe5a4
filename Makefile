# SPDX-License-Identifier: MIT
# Domus: build the hypervisor image, the guest images, and run the tests.
#
#   make          build/domus.img (and the host unit tests)
#   make run      boot Domus + dom0 in QEMU, dom0's shell on this terminal
#   make test     host unit tests, then the QEMU system tests
#   make bench    Domus vs native Linux vs Xen 4.17 (bench/), with the in-guest
#                 micro-benchmarks of build/bench/microbench.img

CROSS ?= aarch64-linux-gnu-
CC := $(CROSS)gcc
LD := $(CROSS)ld
OBJCOPY := $(CROSS)objcopy
HOSTCC ?= gcc
PYTHON := /usr/bin/python3
B := build

# The architecture Domus is built for: its code and headers are hyp/arch/$(ARCH), reached from the
# core only through hyp/include/domus/arch.h (`make check-layout`).
ARCH ?= arm64
HYP_SRCS := $(sort $(wildcard hyp/arch/$(ARCH)/*.c hyp/arch/$(ARCH)/*.S \
	hyp/core/*.c hyp/lib/*.c hyp/drivers/*.c))
HYP_OBJS := $(patsubst %,$(B)/%.o,$(HYP_SRCS))

# The cross compiler's own headers (stdbool.h, stdint.h...). Asked of the compiler when the first
# object is compiled, not when this file is read: on a new machine `deps` installs the compiler
# after make has read the Makefile. Asked once, then kept.
CC_INCLUDE = $(eval CC_INCLUDE := $$(shell $$(CC) -print-file-name=include))$(CC_INCLUDE)

HYP_CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-builtin -nostdinc -isystem $(CC_INCLUDE) \
	-fpie -fno-plt -fvisibility=hidden -fno-stack-protector -fno-omit-frame-pointer \
	-mgeneral-regs-only -mstrict-align -mno-outline-atomics -march=armv8-a \
	-Ihyp/arch/$(ARCH)/include -Ihyp/include -MMD -MP
HYP_LDFLAGS := -pie --no-dynamic-linker -z norelro -z noexecstack --no-warn-rwx-segments \
	-nostdlib -T hyp/arch/$(ARCH)/domus.lds

.PHONY: all run test check-layout unit races system bench guest tools deps deps-host clean size fuzz fuzz-guest fresh-check
all: $(B)/domus.img

# Whatever a cross tool or a host test builds waits for the packages it needs: `deps` installs
# what is missing (and is a quick no-op otherwise), so any target works on a new machine.
$(HYP_OBJS) $(B)/domus.elf $(B)/domus.img: | deps

$(B)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(HYP_CFLAGS) -c $< -o $@

$(B)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(HYP_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(B)/domus.elf: $(HYP_OBJS) hyp/arch/$(ARCH)/domus.lds
	$(LD) $(HYP_LDFLAGS) $(HYP_OBJS) -o $@

$(B)/domus.img: $(B)/domus.elf
	$(OBJCOPY) -O binary $< $@
	@echo "  IMAGE   $@ ($$(stat -c %s $@) bytes)"

-include $(HYP_OBJS:.o=.d)

# Freestanding guest kernels of ours, Linux-Image-shaped EL1 programs: the micro-benchmark
# guest (bench/microbench/), booted natively and as dom0, and the hostile guest
# (tests/hostile/), which dom0 starts with `domus create` to attack the hypervisor from an
# unprivileged domain. Linked at 0 and run wherever they are loaded, so they must need no
# relocation: the link fails if they would.
GUEST_LDS := bench/microbench/microbench.lds
KERNEL_LIB := guest/kernel/kernel.c guest/kernel/kernel.h
MB_SRCS := bench/microbench/head.S bench/microbench/microbench.c $(KERNEL_LIB)
CONF_SRCS := $(sort $(wildcard tests/conformance/*.c)) guest/kernel/head.S $(KERNEL_LIB)
HOSTILE_SRCS := $(sort $(wildcard tests/hostile/*.c)) guest/kernel/head.S
MB_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib \
	-fno-tree-loop-distribute-patterns -fpie -fvisibility=hidden -fno-stack-protector \
	-mgeneral-regs-only -mstrict-align -mno-outline-atomics -march=armv8-a -Ihyp/include \
	-Iguest/kernel

# link_guest: $@ from the sources in $^ that are not the linker script or headers.
define link_guest
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(MB_CFLAGS) -Wl,-pie,--no-dynamic-linker,-z,norelro,-z,noexecstack,--build-id=none \
		-Wl,--no-warn-rwx-segments -T $(GUEST_LDS) $(filter %.c %.S,$^) -o $@
	@if $(CROSS)readelf -rW $@ | grep R_AARCH64 | grep -qv R_AARCH64_NONE; then \
		echo "$@: needs relocations (an absolute address); it must run anywhere" >&2; \
		rm -f $@; exit 1; fi
endef

$(B)/bench/microbench.elf $(B)/hostile/guest.elf $(B)/conformance/conformance.elf: | deps

$(B)/bench/microbench.elf: $(MB_SRCS) $(GUEST_LDS)
	$(link_guest)

# The conformance kernel (tests/conformance/): one line per check of the virtual hardware,
# run natively, as a boot-time guest and as a `domus create` guest by tests/system.
$(B)/conformance/conformance.elf: $(CONF_SRCS) $(GUEST_LDS)
	$(link_guest)

$(B)/hostile/guest.elf: $(HOSTILE_SRCS) $(wildcard tests/hostile/*.h) $(GUEST_LDS) \
		$(wildcard hyp/include/public/*.h)
	$(link_guest)

$(B)/%.img: $(B)/%.elf
	$(OBJCOPY) -O binary $< $@
	@echo "  IMAGE   $@ ($$(stat -c %s $@) bytes)"

$(B)/hostile/hostile.img: $(B)/hostile/guest.elf
	$(OBJCOPY) -O binary $< $@

# Host unit tests: tests/unit/test_*.c, each naming the sources it links in a
# "// SOURCES: a.c b.c" line. "@core" there stands for the whole core over the fake arch
# (hyp/arch/fake/): every file of hyp/core and hyp/lib, and arm64's page tables and vGIC,
# which are plain C. Two files are left out: hyp/lib/printf.c and string.c, whose snprintf,
# memcpy and the rest would replace libc's in the whole test program (cmocka and the
# sanitizers use them); the host's are the same functions. The core is compiled once per sanitizer, into
# $(B)/unit/asan and $(B)/unit/tsan, and linked with palloc_alloc/palloc_free wrapped (the
# fake arch poisons free RAM for ASan). Each @core test also gets a ThreadSanitizer build,
# $(B)/unit/tsan/test_*; `make unit` runs both.
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/test_*.c))
UNIT_BASE_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter \
	-Ihyp/arch/fake/include -Ihyp/arch/fake -Ihyp/arch/arm64/include -Ihyp/include -Itests/unit -Itools \
	-fno-omit-frame-pointer
UNIT_CFLAGS := $(UNIT_BASE_CFLAGS) -fsanitize=address,undefined
# TSan does not model fences (the core's stage-2 publish and wall-clock seqlock use them).
TSAN_CFLAGS := $(UNIT_BASE_CFLAGS) -fsanitize=thread -Wno-tsan

CORE_SRCS := $(filter-out hyp/lib/printf.c hyp/lib/string.c,$(sort $(wildcard hyp/core/*.c hyp/lib/*.c))) \
	hyp/arch/arm64/affinity.c hyp/arch/arm64/pgtable.c hyp/arch/arm64/stage2.c hyp/arch/arm64/vgic.c \
	hyp/arch/arm64/vpl011.c hyp/arch/arm64/vpsci.c \
	$(sort $(wildcard hyp/arch/fake/*.c))
CORE_ASAN_OBJS := $(patsubst %.c,$(B)/unit/asan/%.o,$(CORE_SRCS))
CORE_TSAN_OBJS := $(patsubst %.c,$(B)/unit/tsan/%.o,$(CORE_SRCS))
CORE_LINK := -pthread -Wl,--wrap=palloc_alloc,--wrap=palloc_free
CORE_TESTS := $(patsubst tests/unit/%.c,%,$(shell grep -l '^// SOURCES:.*@core' tests/unit/test_*.c))
TSAN_TESTS := $(patsubst %,$(B)/unit/tsan/%,$(CORE_TESTS))

# Tests of known defects of the core: built by `make unit` but not run until the fixes
# land (then take them out of this list). `make races` runs each case of the race suite
# in a process of its own, under ASan and TSan, pending or not.
UNIT_PENDING :=
PENDING_BINS := $(foreach t,$(UNIT_PENDING),$(B)/unit/$(t) $(B)/unit/tsan/$(t))
UNIT_RUN := $(filter-out $(PENDING_BINS),$(UNIT_TESTS) $(TSAN_TESTS))
RACE_BINS := $(B)/unit/test_core_races $(B)/unit/tsan/test_core_races

$(B)/unit/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(UNIT_CFLAGS) -pthread -MMD -MP -c $< -o $@

$(B)/unit/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(TSAN_CFLAGS) -pthread -MMD -MP -c $< -o $@

-include $(CORE_ASAN_OBJS:.o=.d) $(CORE_TSAN_OBJS:.o=.d)

# unit_link: $@ from $< and its SOURCES, with flags $(1) and @core as the objects $(2).
define unit_link
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(HOSTCC) $(1) $< $$(sed -n 's|^// SOURCES:||p' $< | sed 's|@core|$(2) $(CORE_LINK)|') \
		-o $@ -lcmocka
endef

UNIT_DEPS := $(wildcard hyp/*/*.c hyp/*/*/*.c hyp/include/*/*.h hyp/arch/*/*.h \
	hyp/arch/*/include/*/*.h tests/unit/*.h tests/unit/*.c tools/*.c tools/*.h \
	tools/*/*.c tools/*/*.h)

$(B)/unit/%: tests/unit/%.c $(UNIT_DEPS)
	$(call unit_link,$(UNIT_CFLAGS),$(CORE_ASAN_OBJS))

$(B)/unit/tsan/%: tests/unit/%.c $(UNIT_DEPS) $(CORE_TSAN_OBJS)
	$(call unit_link,$(TSAN_CFLAGS),$(CORE_TSAN_OBJS))

$(patsubst %,$(B)/unit/%,$(CORE_TESTS)): $(CORE_ASAN_OBJS)

unit: deps-host $(UNIT_TESTS) $(TSAN_TESTS) fuzz
	@fail=0; for t in $(UNIT_RUN); do echo "== $$t"; $$t || fail=1; done; exit $$fail

races: deps-host $(RACE_BINS)
	@bash tests/unit/run_cases.sh $(RACE_BINS)

# libFuzzer targets (tests/fuzz/fuzz_*.c, clang): each runs briefly in `make unit`.
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 10

$(UNIT_TESTS) $(TSAN_TESTS) $(FUZZ_TARGETS) $(CORE_ASAN_OBJS) $(CORE_TSAN_OBJS): | deps-host

$(B)/fuzz/fuzz_xenstore_wire: tests/fuzz/fuzz_xenstore_wire.c tools/xenstore/wire.c tools/xenstore/wire.h
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $< tools/xenstore/wire.c -o $@

fuzz: deps-host $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do echo "== $$t ($(FUZZ_SECONDS) s)"; \
		if ! $$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 > $$t.log 2>&1; then \
			tail -n 40 $$t.log; exit 1; fi; tail -n 1 $$t.log; done

# Dom0 tools (tools/): static arm64 Linux programs that go into dom0's initramfs.
TOOLS_CC := $(CROSS)gcc
TOOLS_CFLAGS := -static -pthread -O2 -g0 -Wall -Wextra -Werror -Wno-unused-parameter -Ihyp/include -Itools
TOOLS := $(B)/tools/domus $(B)/tools/domus-selftest $(B)/tools/xenstored $(B)/tools/xenstore
TOOLS_DEPS := tools/libdomus.c tools/libdomus.h $(wildcard hyp/include/public/*.h)

DOMUS_TOOL_SRCS := tools/domus.c tools/config.c tools/build.c tools/consoled.c tools/console_filter.c \
	tools/console_log.c tools/domstore.c tools/vbd.c tools/vif.c tools/devices.c tools/errmsg.c \
	tools/vuart.c tools/save.c tools/savefile.c tools/clone.c tools/guestnodes.c tools/handover.c \
	tools/xenstore/client.c tools/xenstore/wire.c

# Debian's libfdt and zlib for arm64, unpacked from their .debs in the download cache
# (scripts/arm64-dev-lib.sh).
LIBFDT := $(B)/libfdt
ZLIB := $(B)/zlib
$(LIBFDT)/libfdt.a: scripts/arm64-dev-lib.sh scripts/arm64-debs.sh | deps
	@bash scripts/arm64-dev-lib.sh libfdt-dev libfdt.a $(LIBFDT) libfdt.h fdt.h libfdt_env.h
$(ZLIB)/libz.a: scripts/arm64-dev-lib.sh scripts/arm64-debs.sh | deps
	@bash scripts/arm64-dev-lib.sh zlib1g-dev libz.a $(ZLIB) zlib.h zconf.h

$(B)/tools/domus: $(DOMUS_TOOL_SRCS) $(wildcard tools/*.h) $(TOOLS_DEPS) $(LIBFDT)/libfdt.a \
		$(ZLIB)/libz.a
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(TOOLS_CC) $(TOOLS_CFLAGS) -I$(LIBFDT)/include -I$(ZLIB)/include $(DOMUS_TOOL_SRCS) \
		tools/libdomus.c $(LIBFDT)/libfdt.a $(ZLIB)/libz.a -o $@

$(B)/tools/domus-selftest: tools/domus-selftest.c tools/hostile.c tools/hostile.h tools/savefile.c \
		tools/savefile.h $(TOOLS_DEPS)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(TOOLS_CC) $(TOOLS_CFLAGS) tools/domus-selftest.c tools/hostile.c tools/libdomus.c \
		tools/savefile.c tools/errmsg.c -o $@

XENSTORED_SRCS := tools/xenstore/xenstored.c tools/xenstore/store.c tools/xenstore/nodeset.c \
	tools/xenstore/outq.c tools/xenstore/wire.c tools/xenstore/ring.c tools/libdomus.c
$(B)/tools/xenstored: $(XENSTORED_SRCS) $(wildcard tools/xenstore/*.h) $(TOOLS_DEPS)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(TOOLS_CC) $(TOOLS_CFLAGS) $(XENSTORED_SRCS) -o $@

# xenstore-read, -write, -ls, ...: one program; guest/build.sh links the names to it.
$(B)/tools/xenstore: tools/xenstore/xenstore.c tools/xenstore/client.c tools/xenstore/wire.c \
		$(wildcard tools/xenstore/*.h)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(TOOLS_CC) $(TOOLS_CFLAGS) $(filter %.c,$^) -o $@

$(TOOLS): | deps

tools: $(TOOLS)

# Guest images (stock Debian arm64 kernel + busybox initramfs, with the tools) in $(B)/guest.
guest: deps $(TOOLS) $(B)/hostile/hostile.img $(B)/conformance/conformance.img
	DOMUS_GUEST_TOOLS=$(B)/tools \
	DOMUS_GUEST_DOMU_FILES="$(B)/hostile/hostile.img $(B)/conformance/conformance.img" \
		bash guest/build.sh $(B)/guest

deps:
	@bash scripts/deps.sh

deps-host:
	@bash scripts/deps.sh host

run: all guest
	bash scripts/run.sh

system: all guest
	$(PYTHON) -m pytest -v tests/system $(PYTEST_ARGS)

test: deps all
	$(MAKE) check-layout
	$(MAKE) unit
	$(MAKE) system

# The core calls the arch only through hyp/include/domus/arch.h, no generic header includes an
# arch one, and the core does not reach into the arch's state (scripts/check-layout.py).
check-layout: $(B)/domus.elf
	@$(PYTHON) scripts/check-layout.py $(ARCH) $(CROSS)nm $(HYP_OBJS)

# Random hypercalls from a 2-vCPU domU (tests/hostile/fuzz.c), 10^6 a vCPU by default; not in
# CI. FUZZ_GUEST_ARGS="--seeds 1,2,3 --calls 200000" changes the run.
fuzz-guest: all guest
	$(PYTHON) tests/fuzz/guest.py $(FUZZ_GUEST_ARGS)

bench: all guest $(B)/bench/microbench.img
	bash bench/run.sh $(BENCH_ARGS)

size: $(B)/domus.img
	@echo "image bytes: $$(stat -c %s $(B)/domus.img)"
	@echo "hyp lines:   $$(cat $$(git ls-files 'hyp/*.c' 'hyp/*.h' 'hyp/*.S' ':!hyp/arch/fake') | grep -cv '^\s*$$')"

# Developer check, not CI: the README's commands in a minimal Debian 12 root made by
# debootstrap, from a clean clone of HEAD (scripts/fresh-check.sh says how).
fresh-check:
	bash scripts/fresh-check.sh

clean:
	rm -rf $(B)
