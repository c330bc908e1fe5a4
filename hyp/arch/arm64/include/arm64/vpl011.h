/* SPDX-License-Identifier: MIT */
/*
 * An emulated SBSA UART (a PL011 subset) for a guest that asks for one, at
 * Xen's guest address (public/xen.h GUEST_PL011_BASE, SPI GUEST_VPL011_SPI).
 * What the guest sends goes to Domus' log a line at a time, prefixed "(dN) "
 * as Xen prints a domU's output, and to the terminal the same way, or byte by
 * byte as it comes while the guest has the console input (so a shell's prompt
 * shows), or not at all while dom0 reads it (then dom0's terminal shows it);
 * all within a quota (a burst of VPL011_BURST bytes, then VPL011_RATE
 * a second: a Linux boot log fits). What is typed while it has the input
 * waits in a buffer of VPL011_IN bytes, which the guest sees as a 32-byte
 * receive FIFO.
 */
#ifndef ARM64_VPL011_H
#define ARM64_VPL011_H

#include <domus/spinlock.h>
#include <domus/types.h>

struct domain;
struct vcpu;

#define VPL011_LINE 128 /* output is sent on a newline or when this much is waiting */
#define VPL011_BURST 65536
#define VPL011_RATE 8192
/*
 * The rate in force: VPL011_RATE. A variable so that a host test can slow it
 * and make its guest outrun it whatever the test machine's speed.
 */
extern u32 vpl011_rate;
#define VPL011_IN 1024 /* typed input not yet read by the guest */
#define VPL011_KEPT 16384 /* output kept for dom0's reader: DOMUS_VUART_KEPT */

struct vpl011 {
	spinlock_t lock; /* taken before the vGIC's and the console's */
	u32 imsc; /* interrupt mask set/clear: which raw interrupts reach the line */
	u32 ris; /* raw interrupt status */
	u32 line_len;
	u32 line_unpaid; /* bytes of this line refused on the terminal (over the quota) */
	char line[VPL011_LINE];
	bool level; /* the SPI's line as last set */
	u64 budget, refilled; /* bytes it may still send; counter value of the last refill */
	u64 dropped; /* bytes dropped over the quota, not yet reported */
	char in[VPL011_IN]; /* typed input: in_cons <= in_prod, free-running */
	u32 in_prod, in_cons;
	char kept[VPL011_KEPT]; /* the last output bytes, for dom0 (`domus console -t vuart`) */
	u64 kept_pos; /* bytes written in all: kept[] holds those from kept_pos - VPL011_KEPT */
	u64 dom0_read_at; /* counter value of dom0's last read; 0: never */
};

/* A byte typed to the guest: 0, or -ENOSPC if its input buffer is full (the byte is dropped). */
int vpl011_receive(struct domain *d, struct vpl011 *u, char c);
/* Dom0's reader and writer (arch_vuart_dom0_io). */
u32 vpl011_dom0_io(struct domain *d, struct vpl011 *u, char *out, u32 out_size, u64 *index,
		   u64 *lost, const char *in, u32 in_count, u32 *in_taken);

/* The guest's MMIO access at offset off of the UART's page: 0, or -EINVAL (an abort). */
int vpl011_access(struct vcpu *v, struct vpl011 *u, u64 off, u32 size, bool write, u64 *val);

#endif
