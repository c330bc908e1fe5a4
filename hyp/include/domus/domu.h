/* SPDX-License-Identifier: MIT */
/* Guest domains the toolstack builds (hyp/core/domu.c). */
#ifndef DOMUS_DOMU_H
#define DOMUS_DOMU_H

#include <domus/types.h>

struct domain;

struct domu_params {
	const char *name;
	domid_t id; /* 0: the next free one */
	u32 nr_vcpus;
	u64 max_pages; /* what populate_physmap may bring it to */
	bool vuart; /* an emulated SBSA UART */
	u32 nr_spis; /* 0: Xen's default of 32 */
};

/*
 * A new, paused domain (BUILDING): its id in *id, or -EINVAL, -ENOMEM,
 * -ENOSPC; -EEXIST if the id asked for is taken.
 */
int domu_create(const struct domu_params *p, domid_t *id);
int domu_set_vcpu_context(struct domain *d, u32 vcpu, u64 pc, u64 x0);
int domu_start(struct domain *d);

#endif
