/* SPDX-License-Identifier: MIT */
/* EL2 exception vectors: guest exits save into the vCPU, Domus' own traps into a frame. */

#include "asm_offsets.h"

/*
 * While a guest runs, SP_EL2 sits at the top of the pCPU's stack and
 * TPIDR_EL2 points at the pCPU, whose first word is the running vCPU, whose
 * first words are its registers. An exit stores the guest's x0-x30, PC and
 * PSTATE there and calls guest_exit(kind) on the clean stack; arch_guest_enter
 * then returns to whichever vCPU is current by then.
 */
/* With the guest's x0, x1 on the stack: x0 = the vCPU, its x2-x19 stored there. */
.macro save_guest_x2_x19
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #PCPU_CURRENT]
	stp	x2, x3, [x0, #16]
	stp	x4, x5, [x0, #32]
	stp	x6, x7, [x0, #48]
	stp	x8, x9, [x0, #64]
	stp	x10, x11, [x0, #80]
	stp	x12, x13, [x0, #96]
	stp	x14, x15, [x0, #112]
	stp	x16, x17, [x0, #128]
	stp	x18, x19, [x0, #144]
.endm

.macro guest_vector kind
	.balign 128
	stp	x0, x1, [sp, #-16]!
	save_guest_x2_x19
	b	guest_exit_\kind
.endm

/* Domus' own exceptions: a frame on the current stack, same layout as cpu_regs. */
.macro hyp_vector handler
	.balign 128
	sub	sp, sp, #272
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	b	\handler
.endm

	.text
	.balign 2048
	.global el2_vectors
el2_vectors:
	/* Current EL with SP_EL0: never used by Domus. */
	hyp_vector hyp_sync_entry
	hyp_vector hyp_irq_entry
	hyp_vector hyp_sync_entry
	hyp_vector hyp_sync_entry
	/* Current EL with SP_EL2. */
	hyp_vector hyp_sync_entry
	hyp_vector hyp_irq_entry
	hyp_vector hyp_sync_entry
	hyp_vector hyp_sync_entry
	/* Lower EL, AArch64: the guest. */
	.balign 128
	stp	x0, x1, [sp, #-16]!
	b	guest_sync_fast
	guest_vector irq
	guest_vector sync
	guest_vector serror
	/* Lower EL, AArch32: never enabled (HCR_EL2.RW = 1). */
	hyp_vector hyp_sync_entry
	hyp_vector hyp_sync_entry
	hyp_vector hyp_sync_entry
	hyp_vector hyp_sync_entry

.macro save_rest_and_call kind
	stp	x20, x21, [x0, #160]
	stp	x22, x23, [x0, #176]
	stp	x24, x25, [x0, #192]
	stp	x26, x27, [x0, #208]
	stp	x28, x29, [x0, #224]
	ldp	x2, x3, [sp], #16	/* the guest's x0, x1 */
	stp	x2, x3, [x0, #0]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x30, x2, [x0, #REGS_X30]
	str	x3, [x0, #REGS_PSTATE]
	mov	x29, #0
	mov	x0, #\kind
	bl	guest_exit
	b	arch_guest_enter
.endm

/*
 * Fast calls: the two calls a guest makes to ask who is there, PSCI_VERSION
 * (HVC #0, w0 = 0x84000000) and Xen's xen_version(XENVER_version) (HVC
 * #0xEA1, x16 = 17, w0 = 0), are answered here with x0 and x1 as the only
 * scratch, and the guest resumed. Neither reads or changes any state, so
 * skipping the rest of an exit (list registers, timers, the scheduler) is
 * safe: whatever those would have found is still there at the next exit,
 * and whatever another pCPU asks of this one comes as an interrupt, taken
 * as soon as the guest runs again. Anything else goes the usual way with
 * x0 and x1 on the stack, as guest_vector leaves them.
 */
guest_sync_fast:
	mrs	x1, esr_el2
	mov	x0, #ESR_HVC64_IMM0
	sub	x1, x1, x0		/* the immediate, if an HVC64; else above 0xffff */
	cbz	x1, 1f
	cmp	x1, #FAST_XEN_TAG
	b.ne	guest_sync_slow
	cmp	x16, #FAST_XEN_VERSION_NR
	b.ne	guest_sync_slow
	ldr	w0, [sp]		/* the guest's w0: the command */
	cmp	w0, #FAST_XENVER_VERSION
	b.ne	guest_sync_slow
	mov	x0, #(FAST_XEN_VERSION & 0xffff)
	movk	x0, #(FAST_XEN_VERSION >> 16), lsl #16
	b	2f
1:	ldr	w0, [sp]		/* the guest's w0: the function id */
	mov	w1, #FAST_PSCI_VERSION_FID
	cmp	w0, w1
	b.ne	guest_sync_slow
	mov	x0, #(FAST_PSCI_VERSION & 0xffff)
	movk	x0, #(FAST_PSCI_VERSION >> 16), lsl #16
2:	ldr	x1, [sp, #8]
	add	sp, sp, #16
	eret

guest_sync_slow:
	save_guest_x2_x19
guest_exit_sync:
	save_rest_and_call EXIT_SYNC
guest_exit_irq:
	save_rest_and_call EXIT_IRQ
guest_exit_serror:
	save_rest_and_call EXIT_SERROR

/* Enters the current vCPU of this pCPU. Runs on an otherwise empty stack. */
	.global arch_guest_enter
arch_guest_enter:
	bl	guest_prepare_entry	/* scheduling, list registers; IRQs masked */
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #PCPU_CURRENT]
	ldp	x30, x2, [x0, #REGS_X30]
	ldr	x3, [x0, #REGS_PSTATE]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldp	x0, x1, [x0, #0]
	eret

.macro hyp_save_rest
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x1, elr_el2
	mrs	x2, spsr_el2
	stp	x30, x1, [sp, #REGS_X30]
	str	x2, [sp, #REGS_PSTATE]
.endm

hyp_sync_entry:
	hyp_save_rest
	mov	x0, sp
	bl	hyp_sync_trap		/* does not return */
	b	.

/* An interrupt while Domus itself runs (only in the idle loop's WFI). */
hyp_irq_entry:
	hyp_save_rest
	bl	irq_handle
	ldp	x30, x1, [sp, #REGS_X30]
	ldr	x2, [sp, #REGS_PSTATE]
	msr	elr_el2, x1
	msr	spsr_el2, x2
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	add	sp, sp, #272
	eret
