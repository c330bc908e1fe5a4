/* SPDX-License-Identifier: MIT */
/*
 * AArch64 per-vCPU state: the trap frame, EL1, FP, timer, debug and the GIC
 * CPU interface. The core keeps a struct arch_vcpu in every vCPU and reaches
 * into it only through the arch_call_* accessors below (a trapped call's
 * number, arguments and result) and the functions of <domus/arch.h>.
 */
#ifndef DOMUS_ARCH_VCPU_H
#define DOMUS_ARCH_VCPU_H

#include <domus/types.h>
#include <arm64/regs.h>
#include <arm64/vgic.h>

struct arch_vcpu {
	struct cpu_regs regs; /* must stay first: the exception vectors use it */
	struct vgic_cpu vgic; /* the vGIC's view of this vCPU (vgic.c) */
	u64 mpidr; /* the affinity the guest sees (VMPIDR_EL2): vcpu_affinity(id) */
	bool ptimer_level; /* the emulated physical timer's line as last given to the vGIC */
	/* EL1/EL0 system registers, switched only when the pCPU changes vCPU. */
	u64 sctlr_el1, cpacr_el1; /* ACTLR_EL1 is the hardware's, read-only to guests (TACR) */
	u64 ttbr0_el1, ttbr1_el1, tcr_el1, mair_el1, amair_el1;
	u64 esr_el1, far_el1, afsr0_el1, afsr1_el1, par_el1;
	u64 vbar_el1, contextidr_el1, cntkctl_el1;
	u64 tpidr_el0, tpidrro_el0, tpidr_el1;
	u64 sp_el0, sp_el1, elr_el1, spsr_el1;
	u64 csselr_el1, mdscr_el1;
	/* FP/SIMD */
	u64 fp_q[64]; /* q0..q31, 128 bits each */
	u64 fpsr, fpcr;
	/* Virtual timer */
	u64 cntv_ctl, cntv_cval;
	/* Emulated EL1 physical timer (CNTP_* are trapped). */
	u64 cntp_ctl, cntp_cval;
	/*
	 * Debug state (vdebug.c), all of it this vCPU's own: breakpoint and
	 * watchpoint copies (loaded while it runs, once it has used them), the OS
	 * lock and its companions, claim tags and the debug channel's registers.
	 */
	bool dbg_used;
	u8 dbg_oslk, dbg_osdlk, dbg_prcr, dbg_claim;
	u32 dbg_mdccint, dbg_oseccr, dbg_osdtr[2];
	u64 dbg_bvr[16], dbg_bcr[16], dbg_wvr[16], dbg_wcr[16];
	/* GICv3 virtual CPU interface */
	u64 ich_vmcr;
	u64 ich_ap0r[4], ich_ap1r[4];
};

/* The core's accessors for a trapped call: they need struct arch_vcpu whole. */
#include <arm64/call.h>

#endif
