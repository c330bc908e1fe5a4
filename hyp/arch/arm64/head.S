/* SPDX-License-Identifier: MIT */
/* Entry points: the Linux Image header QEMU loads, the boot CPU, secondary CPUs. */

#include "asm_offsets.h"

	.section .text.head, "ax"
	.global _start_header
_start_header:
	/* Linux arm64 Image header (Documentation/arch/arm64/booting.rst). */
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset: load at a 2 MiB aligned base */
	.quad	__image_size		/* image_size, including bss */
	.quad	0xa			/* flags: LE, 4 KiB pages, anywhere in RAM */
	.quad	0, 0, 0
	.ascii	"ARM\x64"		/* magic */
	.long	0

/*
 * x0 = physical address of the device tree. We run at EL2 with the MMU off,
 * linked at 0: apply our R_AARCH64_RELATIVE relocations for the load address,
 * clear bss, take the boot stack and enter C.
 */
primary_entry:
	msr	daifset, #0xf
	msr	tpidr_el2, xzr		/* no struct pcpu yet */
	mov	x19, x0
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	not_el2
	adr	x20, _start_header

	adrp	x1, __rela_start
	add	x1, x1, :lo12:__rela_start
	adrp	x2, __rela_end
	add	x2, x2, :lo12:__rela_end
1:	cmp	x1, x2
	b.hs	2f
	ldp	x3, x4, [x1], #16	/* r_offset, r_info */
	ldr	x5, [x1], #8		/* r_addend */
	cmp	w4, #1027		/* R_AARCH64_RELATIVE */
	b.ne	1b
	add	x5, x5, x20
	str	x5, [x20, x3]
	b	1b
2:
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
3:	cmp	x1, x2
	b.hs	4f
	str	xzr, [x1], #8
	b	3b
4:
	adrp	x1, boot_stack_top
	add	x1, x1, :lo12:boot_stack_top
	mov	sp, x1
	mov	x29, #0
	mov	x30, #0
	mov	x0, x19
	mov	x1, x20
	bl	boot_main
	b	.

not_el2:
	wfe
	b	not_el2

/*
 * Secondary CPUs arrive here from firmware PSCI CPU_ON, MMU off, with
 * x0 = their struct pcpu (context id).
 */
	.global secondary_entry
secondary_entry:
	msr	daifset, #0xf
	ldr	x1, [x0, #PCPU_STACK_TOP]
	mov	sp, x1
	mov	x29, #0
	mov	x30, #0
	bl	secondary_main
	b	.

	.section .bss
	.balign 16
boot_stack:
	.space	16384
	.global boot_stack_top
boot_stack_top:
