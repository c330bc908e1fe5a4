/* SPDX-License-Identifier: MIT */
/* The fake arch's per-vCPU state: what a test's guest did last, and what the core asked of it. */
#ifndef DOMUS_ARCH_VCPU_H
#define DOMUS_ARCH_VCPU_H

#include <domus/types.h>
#include <arm64/regs.h>
#include <arm64/vgic.h>

/* The fake is an AArch64-like machine without hardware: arm64's vGIC and tables run on it. */


/* How a fake guest left the CPU: its "exception class". */
enum fake_trap_kind {
	FAKE_TRAP_NONE,
	FAKE_TRAP_HVC, /* imm: 0 PSCI, XEN_HYPERCALL_TAG a hypercall */
	FAKE_TRAP_SMC, /* imm 0: PSCI */
	FAKE_TRAP_MMIO, /* a load or store at addr that no memory backs */
	FAKE_TRAP_WFI,
	FAKE_TRAP_WFE,
};

/*
 * The fake's syndrome. The guest's registers stay in arch.regs: x16 and
 * x0..x5 for calls, pc at the instruction after the HVC (FAKE_HVC_PC + 4),
 * so a continuation that rewinds pc by 4 re-executes the HVC.
 */
struct fake_trap {
	enum fake_trap_kind kind;
	u32 imm;
	u64 addr; /* MMIO: the IPA */
	u32 size; /* MMIO: bytes */
	bool write; /* MMIO */
	u64 val; /* MMIO: the value stored, or the value loaded (set by the handler) */
	int mmio_rc; /* MMIO: 0, or -errno where hardware would inject an abort */
};

/* Where a fake guest's HVC "instruction" is: pc == FAKE_HVC_PC means "about to execute it". */
#define FAKE_HVC_PC 0xfffff000ULL

struct arch_vcpu {
	struct cpu_regs regs; /* first, as on arm64 */
	struct vgic_cpu vgic;
	u64 mpidr; /* as on arm64: vcpu_affinity(id), for the vGIC and PSCI (arm64's) */
	bool initialised; /* arch_vcpu_init ran */
	/* arch_vcpu_reset: where the guest (re)starts and with what x0, and how often. */
	u64 entry, entry_x0;
	u32 resets;
	/* arch_vcpu_switch: the pCPU it is loaded on (-1: none), and loads so far. */
	int loaded_on;
	u64 switches;
	/* The guest's virtual timer: the counter value it fires at, 0 if off. */
	u64 timer_deadline;
	struct fake_trap trap;
	/* Guest pointers the hypervisor translated while handling the last trap, and the most in one. */
	u64 trap_accesses, max_trap_accesses;
	/* The host test's state for this vCPU's guest program (opaque to the fake arch). */
	void *guest;
};

/* The core's accessors for a trapped call: they need struct arch_vcpu whole. */
#include <arm64/call.h>

#endif
