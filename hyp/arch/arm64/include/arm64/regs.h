/* SPDX-License-Identifier: MIT */
/* The AArch64 trap frame: a guest's general registers, saved at every exit. */
#ifndef ARM64_REGS_H
#define ARM64_REGS_H

#include <domus/types.h>

/* Offset 0 of struct arch_vcpu, itself offset 0 of struct vcpu: the exception vectors use it. */
struct cpu_regs {
	u64 x[31];
	u64 pc;
	u64 pstate;
};

#endif
