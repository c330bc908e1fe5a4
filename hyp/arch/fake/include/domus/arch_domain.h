/* SPDX-License-Identifier: MIT */
/* The fake arch's per-domain state: arm64's stage-2 table (over fake RAM) and vGIC distributor. */
#ifndef DOMUS_ARCH_DOMAIN_H
#define DOMUS_ARCH_DOMAIN_H

#include <arm64/pgtable.h>
#include <arm64/vgic.h>
#include <arm64/vpl011.h>

struct arch_domain {
	struct pgtable s2;
	struct vgic_dist vgic;
	struct vpl011 vpl011; /* arm64's emulated UART, linked as the vGIC is */
};

#endif
