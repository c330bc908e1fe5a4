/* SPDX-License-Identifier: MIT */
/* Guest domains the toolstack builds (hyp/core/domu.c). */
#ifndef DOMUS_DOMU_H
#define DOMUS_DOMU_H

#include <domus/types.h>

struct domain;

int domu_create(const char *name, u32 nr_vcpus, u64 max_pages, bool vuart, domid_t *id);
int domu_set_vcpu_context(struct domain *d, u32 vcpu, u64 pc, u64 x0);
int domu_start(struct domain *d);

#endif
