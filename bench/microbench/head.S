/* SPDX-License-Identifier: MIT */
/* The micro-benchmark guest's Image header, entry points, stacks and EL1 vectors. */

	.section .text.head, "ax"
	.global _start
_start:
	/* Linux arm64 Image header: QEMU -kernel, Xen 4.17 and Domus load us as a kernel. */
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset: load at a 2 MiB aligned base */
	.quad	__image_size		/* image_size (bss is inside the file, see the .lds) */
	.quad	0xa			/* flags: LE, 4 KiB pages, anywhere in RAM */
	.quad	0, 0, 0
	.ascii	"ARM\x64"		/* magic */
	.long	0

/*
 * x0 = the device tree, EL1, MMU off, interrupts masked. Everything below is
 * PC-relative (adr/adrp), so no relocation is needed wherever we were put.
 */
primary_entry:
	msr	daifset, #0xf
	adrp	x1, stack0_top
	add	x1, x1, :lo12:stack0_top
	mov	sp, x1
	msr	tpidr_el1, xzr		/* our CPU index: 0 */
	b	common

/* CPU 1 arrives here from PSCI CPU_ON with x0 = the context id, our CPU index (1). */
	.global secondary_entry
secondary_entry:
	msr	daifset, #0xf
	adrp	x1, stack1_top
	add	x1, x1, :lo12:stack1_top
	mov	sp, x1
	msr	tpidr_el1, x0
common:
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	mov	x29, #0
	mov	x30, #0
	mrs	x1, tpidr_el1
	cbnz	x1, 1f
	bl	microbench_main		/* x0: the device tree */
	b	.
1:	bl	secondary_main
	b	.

/* Anything but an IRQ from EL1h is a bug of ours: bad_exception(vector offset) says which. */
	.balign	2048
vectors:
	.irp	off, 0x000, 0x080, 0x100, 0x180, 0x200
	.balign	0x80
	mov	x0, #\off
	b	bad_exception
	.endr
	.balign	0x80			/* 0x280: IRQ at EL1 on SP_EL1, the one we use */
	b	irq_entry
	.irp	off, 0x300, 0x380, 0x400, 0x480, 0x500, 0x580, 0x600, 0x680, 0x700, 0x780
	.balign	0x80
	mov	x0, #\off
	b	bad_exception
	.endr

/* The caller-saved registers around the C handler: it is a normal AAPCS64 function. */
irq_entry:
	sub	sp, sp, #176
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x29, [sp, #144]
	str	x30, [sp, #160]
	bl	irq_handler
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x29, [sp, #144]
	ldr	x30, [sp, #160]
	add	sp, sp, #176
	eret

	.section .bss
	.balign	16
	.space	8192
stack0_top:
	.space	8192
stack1_top:
