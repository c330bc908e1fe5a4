/* SPDX-License-Identifier: MIT */
/* vCPUs by their MPIDR affinity, the id PSCI, the vGIC's routing and the guest's DT name them by. */
#ifndef ARM64_AFFINITY_H
#define ARM64_AFFINITY_H

#include <domus/types.h>

struct domain;
struct vcpu;

/* The affinity Xen gives vCPU id: Aff0 = id % 16, Aff1 = id / 16 (16 per GICv3 SGI target list). */
static inline u64 vcpu_affinity(vcpuid_t id)
{
	return ((u64)(id / 16) << 8) | (id % 16);
}

/* d's vCPU whose affinity is mpidr's Aff3..Aff0 (other bits ignored); NULL if none. */
struct vcpu *vcpu_by_affinity(struct domain *d, u64 mpidr);

#endif
