/* SPDX-License-Identifier: MIT */
/*
 * AArch64 per-domain state: the stage-2 translation table and the virtual
 * GICv3 distributor. The core keeps a struct arch_domain in every domain and
 * reaches it only through the functions of <domus/arch.h> (arch_s2_*,
 * arch_vgic_*, arch_domain_*).
 */
#ifndef DOMUS_ARCH_DOMAIN_H
#define DOMUS_ARCH_DOMAIN_H

#include <arm64/pgtable.h>
#include <arm64/vgic.h>
#include <arm64/vpl011.h>

struct arch_domain {
	u32 vmid; /* tags its TLB entries (mmu.c hands them out) */
	struct pgtable s2;
	struct vgic_dist vgic;
	struct vpl011 vpl011; /* its SBSA UART, if it asked for one (arch_vuart_init) */
};

#endif
