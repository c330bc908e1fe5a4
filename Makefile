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

HYP_SRCS := $(sort $(wildcard hyp/arch/arm64/*.c hyp/arch/arm64/*.S \
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
	-Ihyp/include -MMD -MP
HYP_LDFLAGS := -pie --no-dynamic-linker -z norelro -z noexecstack --no-warn-rwx-segments \
	-nostdlib -T hyp/arch/arm64/domus.lds

.PHONY: all run test unit system bench guest tools deps deps-host clean size fuzz fresh-check
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

$(B)/domus.elf: $(HYP_OBJS) hyp/arch/arm64/domus.lds
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
MB_SRCS := bench/microbench/head.S bench/microbench/microbench.c
HOSTILE_SRCS := $(sort $(wildcard tests/hostile/*.S tests/hostile/*.c))
MB_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib \
	-fno-tree-loop-distribute-patterns -fpie -fvisibility=hidden -fno-stack-protector \
	-mgeneral-regs-only -mstrict-align -mno-outline-atomics -march=armv8-a -Ihyp/include

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

$(B)/bench/microbench.elf $(B)/hostile/guest.elf: | deps

$(B)/bench/microbench.elf: $(MB_SRCS) $(GUEST_LDS)
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
# "// SOURCES: a.c b.c" line.
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/test_*.c))
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -DHOST_TEST \
	-Ihyp/include -Itests/unit -fsanitize=address,undefined -fno-omit-frame-pointer

$(B)/unit/%: tests/unit/%.c $(wildcard hyp/*/*.c hyp/*/*/*.c hyp/include/domus/*.h tests/unit/*.h \
		tools/*/*.c tools/*/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) $< $$(sed -n 's|^// SOURCES:||p' $<) -o $@ -lcmocka

unit: deps-host $(UNIT_TESTS) fuzz
	@fail=0; for t in $(UNIT_TESTS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

# libFuzzer targets (tests/fuzz/fuzz_*.c, clang): each runs briefly in `make unit`.
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 10

$(UNIT_TESTS) $(FUZZ_TARGETS): | deps-host

$(B)/fuzz/fuzz_xenstore_wire: tests/fuzz/fuzz_xenstore_wire.c tools/xenstore/wire.c tools/xenstore/wire.h
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $< tools/xenstore/wire.c -o $@

fuzz: deps-host $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do echo "== $$t ($(FUZZ_SECONDS) s)"; \
		if ! $$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 > $$t.log 2>&1; then \
			tail -n 40 $$t.log; exit 1; fi; tail -n 1 $$t.log; done

# Dom0 tools (tools/): static arm64 Linux programs that go into dom0's initramfs.
TOOLS_CC := $(CROSS)gcc
TOOLS_CFLAGS := -static -O2 -g0 -Wall -Wextra -Werror -Ihyp/include -Itools
TOOLS := $(B)/tools/domus $(B)/tools/domus-selftest $(B)/tools/xenstored $(B)/tools/xenstore
TOOLS_DEPS := tools/libdomus.c tools/libdomus.h $(wildcard hyp/include/public/*.h)

DOMUS_TOOL_SRCS := tools/domus.c tools/config.c tools/build.c tools/consoled.c tools/domstore.c \
	tools/vbd.c tools/vif.c tools/devices.c \
	tools/xenstore/client.c tools/xenstore/wire.c hyp/lib/fdt.c hyp/lib/fdt_write.c

$(B)/tools/domus: $(DOMUS_TOOL_SRCS) $(wildcard tools/*.h) hyp/include/domus/fdt.h $(TOOLS_DEPS)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(TOOLS_CC) $(TOOLS_CFLAGS) -DHOST_TEST $(DOMUS_TOOL_SRCS) tools/libdomus.c -o $@

$(B)/tools/domus-selftest: tools/domus-selftest.c tools/hostile.c tools/hostile.h $(TOOLS_DEPS)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(TOOLS_CC) $(TOOLS_CFLAGS) tools/domus-selftest.c tools/hostile.c tools/libdomus.c -o $@

XENSTORED_SRCS := tools/xenstore/xenstored.c tools/xenstore/store.c tools/xenstore/wire.c \
	tools/xenstore/ring.c tools/libdomus.c
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
guest: deps $(TOOLS) $(B)/hostile/hostile.img
	DOMUS_GUEST_TOOLS=$(B)/tools DOMUS_GUEST_DOMU_FILES=$(B)/hostile/hostile.img \
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
	$(MAKE) unit
	$(MAKE) system

bench: all guest $(B)/bench/microbench.img
	bash bench/run.sh $(BENCH_ARGS)

size: $(B)/domus.img
	@echo "image bytes: $$(stat -c %s $(B)/domus.img)"
	@echo "hyp lines:   $$(cat $$(git ls-files 'hyp/*.c' 'hyp/*.h' 'hyp/*.S') | grep -cv '^\s*$$')"

# Developer check, not CI: the README's commands in a minimal Debian 12 root made by
# debootstrap, from a clean clone of HEAD (scripts/fresh-check.sh says how).
fresh-check:
	bash scripts/fresh-check.sh

clean:
	rm -rf $(B)
