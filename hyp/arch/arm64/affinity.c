// SPDX-License-Identifier: MIT
/* vCPUs by MPIDR affinity (arm64/affinity.h); the fake arch links this file too. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <arm64/affinity.h>

struct vcpu *vcpu_by_affinity(struct domain *d, u64 mpidr)
{
	mpidr &= 0xff00ffffffULL;
	for (u32 i = 0; i < d->nr_vcpus; i++)
		if (d->vcpus[i]->arch.mpidr == mpidr)
			return d->vcpus[i];
	return NULL;
}

u64 arch_vcpu_hwid(const struct vcpu *v)
{
	return v->arch.mpidr;
}
