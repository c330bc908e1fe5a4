/* SPDX-License-Identifier: MIT */
/*
 * Every hypercall number from 0 to 63 (and a few beyond), each with a
 * sub-op or pointer no guest should pass, and what Xen 4.17 on arm64 answers
 * an unprivileged domain: -ENOSYS for what Xen on Arm lacks
 * (xen/include/hypercall-defs.c, the "arm" column; dep_* in arch/arm/traps.c),
 * the handler's own refusal for the rest. Then multicall, which Xen on Arm has.
 */
#include "hostile.h"

struct nr_case {
	u64 nr;
	u64 a0, a1, a2;
	long want;
	char name[64];
};

#define SUBOP 99 /* no hypercall has a sub-op 99 */
#define NOSYS(n, what) { n, SUBOP, BAD_PTR, 1, -ENOSYS, what }

static const struct nr_case numbers[] = {
	NOSYS(0, "hypercall 0 set_trap_table (x86 PV)"),
	NOSYS(1, "hypercall 1 mmu_update (x86 PV)"),
	NOSYS(2, "hypercall 2 set_gdt (x86 PV)"),
	NOSYS(3, "hypercall 3 stack_switch (x86 PV)"),
	NOSYS(4, "hypercall 4 set_callbacks (x86 PV)"),
	NOSYS(5, "hypercall 5 fpu_taskswitch (x86 PV)"),
	NOSYS(6, "hypercall 6 sched_op_compat (deprecated)"),
	{ 7, BAD_PTR, 0, 0, -EFAULT, "hypercall 7 platform_op from an unmapped address" },
	NOSYS(8, "hypercall 8 set_debugreg (x86 PV)"),
	NOSYS(9, "hypercall 9 get_debugreg (x86 PV)"),
	NOSYS(10, "hypercall 10 update_descriptor (x86 PV)"),
	NOSYS(11, "hypercall 11 (unused)"),
	{ 12, 63, BAD_PTR, 0, -ENOSYS, "hypercall 12 memory_op sub-op 63" },
	{ 13, BAD_PTR, 1, 0, -EFAULT, "hypercall 13 multicall of an unmapped list" },
	NOSYS(14, "hypercall 14 update_va_mapping (x86 PV)"),
	NOSYS(15, "hypercall 15 set_timer_op (not on Arm)"),
	NOSYS(16, "hypercall 16 event_channel_op_compat (deprecated)"),
	{ 17, SUBOP, BAD_PTR, 0, -ENOSYS, "hypercall 17 xen_version sub-op 99" },
	{ 18, SUBOP, 1, BAD_PTR, -EPERM, "hypercall 18 console_io sub-op 99 (not the console domain)" },
	NOSYS(19, "hypercall 19 physdev_op_compat (deprecated)"),
	{ 20, SUBOP, BAD_PTR, 1, -ENOSYS, "hypercall 20 grant_table_op sub-op 99" },
	{ 21, 0, SUBOP, 0, -EINVAL, "hypercall 21 vm_assist type 99" },
	NOSYS(22, "hypercall 22 update_va_mapping_otherdomain (x86 PV)"),
	NOSYS(23, "hypercall 23 iret (x86 PV)"),
	{ 24, SUBOP, 0, BAD_PTR, -EINVAL, "hypercall 24 vcpu_op sub-op 99 (Arm: -EINVAL)" },
	NOSYS(25, "hypercall 25 set_segment_base (x86 PV)"),
	NOSYS(26, "hypercall 26 mmuext_op (x86)"),
	{ 27, BAD_PTR, 0, 0, -ENOSYS, "hypercall 27 xsm_op (no FLASK policy)" },
	NOSYS(28, "hypercall 28 nmi_op (x86 PV)"),
	{ 29, SUBOP, BAD_PTR, 0, -ENOSYS, "hypercall 29 sched_op sub-op 99" },
	NOSYS(30, "hypercall 30 callback_op (x86 PV)"),
	NOSYS(31, "hypercall 31 xenoprof_op (x86)"),
	{ 32, SUBOP, BAD_PTR, 0, -ENOSYS, "hypercall 32 event_channel_op sub-op 99" },
	{ 33, SUBOP, BAD_PTR, 0, -ENOSYS, "hypercall 33 physdev_op sub-op 99 (no PCI on Arm)" },
	{ 34, SUBOP, BAD_PTR, 0, -ENOSYS, "hypercall 34 hvm_op sub-op 99" },
	{ 35, BAD_PTR, 0, 0, -EFAULT, "hypercall 35 sysctl from an unmapped address" },
	{ 36, BAD_PTR, 0, 0, -EFAULT, "hypercall 36 domctl from an unmapped address" },
	NOSYS(37, "hypercall 37 kexec_op (not on Arm)"),
	NOSYS(38, "hypercall 38 tmem_op (removed)"),
	NOSYS(39, "hypercall 39 argo_op (not built)"),
	NOSYS(40, "hypercall 40 xenpmu_op (x86)"),
	NOSYS(41, "hypercall 41 dm_op (no IOREQ server on Arm)"),
	{ 42, 0, 0, 0, -EPERM, "hypercall 42 hypfs_op (privileged)" },
	NOSYS(43, "hypercall 43 (unused)"),
	NOSYS(44, "hypercall 44 (unused)"),
	NOSYS(45, "hypercall 45 (unused)"),
	NOSYS(46, "hypercall 46 (unused)"),
	NOSYS(47, "hypercall 47 (unused)"),
	NOSYS(48, "hypercall 48 arch_0 (unused on Arm)"),
	NOSYS(49, "hypercall 49 arch_1 (unused on Arm)"),
	NOSYS(50, "hypercall 50 arch_2 (unused on Arm)"),
	NOSYS(51, "hypercall 51 arch_3 (unused on Arm)"),
	NOSYS(52, "hypercall 52 arch_4 (unused on Arm)"),
	NOSYS(53, "hypercall 53 arch_5 (unused on Arm)"),
	NOSYS(54, "hypercall 54 arch_6 (unused on Arm)"),
	NOSYS(55, "hypercall 55 arch_7 (unused on Arm)"),
	NOSYS(56, "hypercall 56 (unused)"),
	NOSYS(57, "hypercall 57 (unused)"),
	NOSYS(58, "hypercall 58 (unused)"),
	NOSYS(59, "hypercall 59 (unused)"),
	NOSYS(60, "hypercall 60 (unused)"),
	NOSYS(61, "hypercall 61 (unused)"),
	NOSYS(62, "hypercall 62 (unused)"),
	NOSYS(63, "hypercall 63 (unused)"),
	NOSYS(64, "hypercall 64 (past the table)"),
	NOSYS(0x10000, "hypercall 0x10000"),
	NOSYS(~0UL, "hypercall ~0"),
};

static struct multicall_entry calls[4] __attribute__((aligned(64)));

static void multicall_cases(void)
{
	long rc;

	mem_set(calls, 0, sizeof(calls));
	calls[0].op = __HYPERVISOR_xen_version;
	calls[0].args[0] = XENVER_version;
	calls[1].op = 9999;
	calls[2].op = __HYPERVISOR_multicall; /* a multicall inside a multicall */
	calls[2].args[0] = (u64)&calls[3];
	calls[2].args[1] = 1;
	calls[3].op = __HYPERVISOR_sched_op;
	calls[3].args[0] = SCHEDOP_yield;
	rc = hypercall(__HYPERVISOR_multicall, calls, 3, 0);
	check("multicall of three entries", rc, 0);
	check_hex("multicall entry xen_version(version) result", (u64)calls[0].result, 0x40011);
	check("multicall entry with hypercall 9999 result", calls[1].result, -ENOSYS);
	check("multicall nested in a multicall result", calls[2].result, -EINVAL);
	check("multicall of no entries", hypercall(__HYPERVISOR_multicall, BAD_PTR, 0, 0), 0);
}

void cases_hypercall_numbers(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(numbers); i++) {
		const struct nr_case *c = &numbers[i];

		check(c->name, hypercall5(c->nr, c->a0, c->a1, c->a2, BAD_PTR, BAD_PTR), c->want);
	}
	multicall_cases();
}
