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

/*
 * The two calls the exception vector answers itself (vectors.S, "fast
 * calls"); traps.c checks them against the C side's definitions.
 */
#define ESR_HVC64_IMM0 0x5a000000 /* EC 0x16 (HVC64), IL; the ISS is the immediate */
#define FAST_PSCI_VERSION_FID 0x84000000
#define FAST_PSCI_VERSION 0x10001 /* PSCI 1.1 */
#define FAST_XEN_TAG 0xea1 /* HVC #0xEA1: a Xen hypercall */
#define FAST_XEN_VERSION_NR 17 /* __HYPERVISOR_xen_version, in x16 */
#define FAST_XENVER_VERSION 0 /* its command, in w0 */
#define FAST_XEN_VERSION 0x40011 /* 4.17 */

#endif
