/* SPDX-License-Identifier: MIT */
/* Structure offsets the assembly uses; context.c checks them with static asserts. */
#ifndef ARM64_ASM_OFFSETS_H
#define ARM64_ASM_OFFSETS_H

#define PCPU_CURRENT 0
#define PCPU_STACK_TOP 8
#define REGS_X30 240
#define REGS_PC 248
#define REGS_PSTATE 256

#define EXIT_SYNC 0
#define EXIT_IRQ 1
#define EXIT_SERROR 2

#endif
