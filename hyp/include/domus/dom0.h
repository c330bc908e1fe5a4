/* SPDX-License-Identifier: MIT */
/* Building domain 0 from the boot modules, as Xen does on Arm. */
#ifndef DOMUS_DOM0_H
#define DOMUS_DOM0_H

#include <domus/types.h>

struct domain;

int dom0_build(void);
/* Writes dom0's device tree from the host's; returns its size or -errno. */
int dom0_make_fdt(struct domain *d, void *buf, size_t cap, u64 initrd_start, u64 initrd_size,
		  const char *bootargs, paddr_t gnttab_base);

#endif
