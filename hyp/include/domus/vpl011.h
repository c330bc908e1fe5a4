/* SPDX-License-Identifier: MIT */
/* An emulated PL011 UART whose other side is Domus' console. */
#ifndef DOMUS_VPL011_H
#define DOMUS_VPL011_H

#include <domus/spinlock.h>
#include <domus/types.h>

struct domain;
struct vcpu;

/*
 * Console input waits here for the guest. Larger than the UART's 32-byte FIFO,
 * which the guest cannot see: a pasted line must not lose characters while
 * the guest's vCPU waits for a pCPU.
 */
#define VPL011_FIFO 4096

struct vpl011 {
	spinlock_t lock;
	struct domain *dom;
	u32 intid;
	u8 rx[VPL011_FIFO];
	u32 rx_head, rx_count;
	u32 imsc, ris;
	u32 cr, lcr_h, ibrd, fbrd, ifls, dmacr;
};

int vpl011_init(struct vpl011 *u, struct domain *d, ipa_t base, u32 intid);
/* A character typed on the console for this domain. false if the FIFO is full. */
bool vpl011_receive(struct vpl011 *u, u8 c);
int vpl011_access(struct vcpu *v, ipa_t ipa, u32 size, bool write, u64 *val, void *ctx);

#endif
