/* SPDX-License-Identifier: MIT */
/* Dom0's device tree (hyp/core/dom0_fdt.c). */
#ifndef DOMUS_DOM0_FDT_H
#define DOMUS_DOM0_FDT_H

#include <domus/types.h>

struct domain;

/* Writes dom0's device tree from the host's; returns its size or -errno. */
int dom0_make_fdt(struct domain *d, void *buf, size_t cap, ipa_t initrd_start, u64 initrd_size,
		  const char *bootargs, ipa_t gnttab_base);

#endif
