/* SPDX-License-Identifier: MIT */
/*
 * The conformance kernel's Image header, entry points, stacks and EL1
 * vectors. A synchronous exception calls sync_handler(frame), which records it
 * and says where to resume (by changing the saved ELR); an IRQ calls
 * irq_handler(). CPU 0 enters at _start with x0 = the device tree; others
 * from PSCI CPU_ON at secondary_entry with x0 = their index (1..3).
 */
#define STACK_SIZE 8192
#define FRAME 272		/* x0..x30, elr, spsr: 33 words, padded to 16 */

	.section .text.head, "ax"
	.global _start
_start:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	__image_size		/* image_size */
	.quad	0xa			/* flags: LE, 4 KiB pages, anywhere in RAM */
	.quad	0, 0, 0
	.ascii	"ARM\x64"		/* magic */
	.long	0

primary_entry:
	msr	daifset, #0xf
	mov	x19, x0
	mov	x0, #0
	bl	set_stack
	msr	tpidr_el1, xzr
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	mov	x0, x19
	bl	conformance_main
1:	wfi
	b	1b

	.global secondary_entry
secondary_entry:
	msr	daifset, #0xf
	and	x0, x0, #3
	mov	x19, x0
	bl	set_stack
	msr	tpidr_el1, x19
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	mov	x0, x19
	bl	secondary_main
1:	wfi
	b	1b

/* sp = the top of CPU x0's stack. */
set_stack:
	adrp	x1, stacks
	add	x1, x1, :lo12:stacks
	add	x0, x0, #1
	mov	x2, #STACK_SIZE
	madd	x1, x0, x2, x1
	mov	sp, x1
	ret

.macro	save
	sub	sp, sp, #FRAME
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
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x0, elr_el1
	stp	x30, x0, [sp, #240]
	mrs	x0, spsr_el1
	str	x0, [sp, #256]
.endm

.macro	restore
	ldr	x0, [sp, #256]
	msr	spsr_el1, x0
	ldp	x30, x0, [sp, #240]
	msr	elr_el1, x0
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
	add	sp, sp, #FRAME
	eret
.endm

/* Only the current-EL-with-SP_ELx entries are expected; the rest report and stop. */
	.balign	2048
vectors:
	.irp	off, 0x000, 0x080, 0x100, 0x180
	.balign	0x80
	mov	x0, #\off
	b	bad_exception
	.endr
	.balign	0x80			/* 0x200: synchronous, EL1h */
	b	sync_entry
	.balign	0x80			/* 0x280: IRQ, EL1h */
	b	irq_entry
	.irp	off, 0x300, 0x380, 0x400, 0x480, 0x500, 0x580, 0x600, 0x680, 0x700, 0x780
	.balign	0x80
	mov	x0, #\off
	b	bad_exception
	.endr

sync_entry:
	save
	mov	x0, sp
	bl	sync_handler		/* may change the saved ELR in the frame */
	restore

irq_entry:
	save
	bl	irq_handler
	restore

	.section .bss
	.balign	16
stacks:
	.space	8192 * 5
