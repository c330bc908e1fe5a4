/* SPDX-License-Identifier: MIT */
/*
 * The Image header, entry points and exception vectors of our freestanding
 * test kernels (tests/hostile, tests/conformance): the first vCPU enters at
 * _start from the loader or toolstack, the others at secondary_entry from
 * PSCI CPU_ON with their index as the context id. MMU off, interrupts masked;
 * each vCPU has its own stack. The program provides:
 *   kernel_main(fdt)             the first vCPU, after kernel_cpu_init(0)
 *   kernel_cpu_init(idx)         per vCPU, on its own stack (VBAR, TPIDR)
 *   kernel_secondary_main(idx)   the others, after kernel_cpu_init(idx)
 *   kernel_trap(kind, frame)     every exception (kind: the vector's index);
 *                                it may change the saved ELR to resume elsewhere
 */
#define STACK_SIZE 16384
#define MAX_CPUS 4
#define FRAME 288	/* x0..x30, elr, spsr, padded to 16 */

	.section .text.head, "ax"
	.global _start
_start:
	/* Linux arm64 Image header: the toolstack loads us as a guest kernel. */
	b	entry			/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	__image_size		/* image_size */
	.quad	0xa			/* flags: LE, 4 KiB pages, anywhere */
	.quad	0, 0, 0
	.ascii	"ARM\x64"		/* magic */
	.long	0

entry:
	msr	daifset, #0xf
	mov	x19, x0			/* the device tree */
	mov	x0, #0
	bl	set_stack
	mov	x0, #0
	bl	kernel_cpu_init
	mov	x0, x19
	bl	kernel_main
1:	wfi
	b	1b

/* PSCI CPU_ON lands here, MMU off, with x0 = the context id: our vCPU index. */
	.global secondary_entry
secondary_entry:
	msr	daifset, #0xf
	cmp	x0, #MAX_CPUS
	b.hs	1f			/* not a context id of ours: stop here */
	mov	x19, x0
	bl	set_stack
	mov	x0, x19
	bl	kernel_cpu_init
	mov	x0, x19
	bl	kernel_secondary_main
1:	wfi
	b	1b

/* sp = the top of vCPU x0's stack. Uses x1, x2 only. */
set_stack:
	adrp	x1, stacks
	add	x1, x1, :lo12:stacks
	add	x0, x0, #1
	mov	x2, #STACK_SIZE
	madd	x1, x0, x2, x1
	mov	sp, x1
	ret

/*
 * Exception vectors: every entry saves the interrupted state and calls
 * kernel_trap(kind, frame).
 */
.macro	vec kind
	.balign	0x80
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	trap_common
.endm

	.balign	0x800
	.global	vectors
vectors:
	vec	0
	vec	1
	vec	2
	vec	3
	vec	4	/* synchronous, current EL with SP_EL1: what probes take */
	vec	5
	vec	6
	vec	7
	vec	8
	vec	9
	vec	10
	vec	11
	vec	12
	vec	13
	vec	14
	vec	15

trap_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mrs	x1, elr_el1
	mrs	x2, spsr_el1
	stp	x1, x2, [sp, #248]
	mov	x1, sp
	bl	kernel_trap
	ldp	x1, x2, [sp, #248]
	msr	elr_el1, x1
	msr	spsr_el1, x2
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
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME
	eret

	.section .bss
	.balign	16
	.global	stacks
stacks:
	.space	STACK_SIZE * (MAX_CPUS + 1)
