/* SPDX-License-Identifier: MIT */
/* A boot-time guest's device tree (hyp/core/domu_fdt.c). */
#ifndef DOMUS_DOMU_FDT_H
#define DOMUS_DOMU_FDT_H

#include <domus/types.h>

struct domain;

struct domu_fdt_spec {
	u64 mem_bytes; /* RAM from GUEST_RAM0_BASE */
	const char *bootargs; /* NULL: none */
	u64 initrd_start, initrd_size; /* guest-physical; size 0: none */
	bool vpl011; /* the SBSA UART node */
	bool xen; /* the hypervisor node: grant table and event-channel PPI */
};

/*
 * Writes the tree `domus create` gives a guest (tools/build.c, Xen's guest
 * layout): root, chosen, a cpu node per vCPU, PSCI, memory, the vGIC, the
 * timer, and as asked the UART and the hypervisor node. Its size, or -errno.
 */
int domu_make_fdt(const struct domain *d, const struct domu_fdt_spec *s, void *buf, size_t cap);

#endif
