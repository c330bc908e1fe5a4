/* SPDX-License-Identifier: MIT */
/*
 * The core's accessors for a trapped call (HVC, SMC), included by an
 * arch_vcpu.h once struct arch_vcpu (with its struct cpu_regs regs) is
 * defined. SMCCC and Xen's ABI put the arguments in x0..x5, Xen's hypercall
 * number in x16 and the result in x0.
 */
#ifndef ARM64_CALL_H
#define ARM64_CALL_H

static inline u64 arch_call_nr(const struct arch_vcpu *a)
{
	return a->regs.x[16];
}

static inline u64 arch_call_arg(const struct arch_vcpu *a, unsigned int n)
{
	return a->regs.x[n];
}

static inline void arch_call_set_arg(struct arch_vcpu *a, unsigned int n, u64 val)
{
	a->regs.x[n] = val;
}

static inline void arch_call_return(struct arch_vcpu *a, u64 val)
{
	a->regs.x[0] = val;
}

/* Back to the call's instruction (HVC: 4 bytes), so the guest issues it again. */
static inline void arch_call_repeat(struct arch_vcpu *a)
{
	a->regs.pc -= 4;
}

/* Where the vCPU is: for logs and debug keys. */
static inline u64 arch_vcpu_pc(const struct arch_vcpu *a)
{
	return a->regs.pc;
}

#endif
