// SOURCES: @core tests/unit/core_harness.c
/* SPDX-License-Identifier: MIT */
/* Hypercall dispatch on the fake machine: the table's bounds, argument widths, continuations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <domus/errno.h>
#include <public/sched.h>
#include <public/version.h>
#include <public/xen.h>

#include "core_harness.h"

#define XEN_4_17 ((4 << 16) | 17)

static void dom0_calls_numbers_without_a_handler(struct guest *g)
{
	/* Below, between, past the table's entries, and far past it. */
	static const u64 numbers[] = { 0, 1, 33, 41, 54, 56, 63, 64, 4096, 1ULL << 32, ~0ULL };

	for (size_t i = 0; i < ARRAY_SIZE(numbers); i++)
		GUEST_EXPECT_EQ(g, guest_hypercall(g, numbers[i], 0, 0, 0, 0, 0), -ENOSYS);
	/* The table still answers the calls it has. */
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0),
			XEN_4_17);
}

static void test_a_number_without_a_handler_is_enosys(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_calls_numbers_without_a_handler });
}

static void dom0_passes_junk_in_the_upper_halves(struct guest *g)
{
	/* xen_version's cmd is an int: what a 32-bit argument's upper half holds is not read. */
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_xen_version,
					   0xdeadbeef00000000ULL | XENVER_version, 0, 0, 0, 0),
			XEN_4_17);
	/* Arguments a call does not take are not read either. */
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_xen_version, XENVER_version, 0, ~0ULL,
					   ~0ULL, ~0ULL),
			XEN_4_17);
}

static void test_a_32_bit_argument_is_read_as_32_bits(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_passes_junk_in_the_upper_halves });
}

/*
 * 40 entries, more than a batch: the multicall continues at least twice.
 * Entry 7 is a multicall (refused), entry 20 a console write of 10 KiB, which
 * continues on its own, inside the multicall.
 */
#define ENTRIES 40

static void dom0_multicalls_past_a_batch(struct guest *g)
{
	u64 list = guest_alloc_pages(g, 1), text = guest_alloc_pages(g, 3);
	struct multicall_entry *e = guest_mem(g, list);

	memset(guest_mem(g, text), 'x', 10240);
	for (int i = 0; i < ENTRIES; i++) {
		e[i] = (struct multicall_entry){ .op = __HYPERVISOR_xen_version, .result = 12345 };
		e[i].args[0] = XENVER_version;
	}
	e[7].op = __HYPERVISOR_multicall;
	e[20] = (struct multicall_entry){ .op = __HYPERVISOR_console_io,
					  .args = { CONSOLEIO_write, 10240, text } };
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_multicall, list, ENTRIES, 0, 0, 0), 0);
	/*
	 * No trap did more than a batch: 16 entries (a copy in and out each), or
	 * a console write's 4 KiB (32 copies of 128 bytes) with a few entries
	 * around it; 48 guest accesses at most here. Without continuations this
	 * one HVC would make over 160.
	 */
	GUEST_EXPECT(g, guest_max_trap_accesses(g) <= 64);
	for (int i = 0; i < ENTRIES; i++) {
		long want = i == 7 ? -EINVAL : i == 20 ? 0 : XEN_4_17;

		GUEST_EXPECT_EQ(g, e[i].result, want);
	}
	/* The console write continued twice: its arguments were last the third 4 KiB's. */
	GUEST_EXPECT_EQ(g, e[20].args[0], CONSOLEIO_write);
	GUEST_EXPECT_EQ(g, e[20].args[1], 10240 - 8192);
	GUEST_EXPECT_EQ(g, e[20].args[2], text + 8192);
}

static void test_a_multicall_continues_by_batches_and_its_entries_continue_inside_it(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_multicalls_past_a_batch });
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_number_without_a_handler_is_enosys),
		cmocka_unit_test(test_a_32_bit_argument_is_read_as_32_bits),
		cmocka_unit_test(test_a_multicall_continues_by_batches_and_its_entries_continue_inside_it),
	};

	return harness_main(argc, argv, "core_hypercall", tests, ARRAY_SIZE(tests));
}
