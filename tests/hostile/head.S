/* SPDX-License-Identifier: MIT */
/* The hostile guest's Image header and entry: one CPU, MMU off, no interrupts. */

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
	adrp	x1, stack_top
	add	x1, x1, :lo12:stack_top
	mov	sp, x1
	bl	hostile_main
	b	.

	.section .bss
	.balign	16
	.space	16384
stack_top:
