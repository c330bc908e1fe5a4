/* SPDX-License-Identifier: MIT */
/* PSCI as guests see it, over HVC or SMC: starting and stopping their vCPUs, and powering off. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/sched.h>
#include <arm64/affinity.h>
#include <arm64/psci.h>
#include <arm64/vpsci.h>

static bool supported(u32 fid)
{
	switch (fid) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
	case SMCCC_VERSION:
		return true;
	}
	return false;
}

static s64 cpu_on(struct vcpu *v, u64 target, u64 entry, u64 ctx)
{
	struct vcpu *t = vcpu_by_affinity(v->dom, target);
	int rc;

	if (!t)
		return PSCI_INVALID_PARAMETERS;
	if (!arch_vcpu_entry_valid(entry))
		return PSCI_INVALID_ADDRESS;
	/* -EAGAIN: t just went down and its pCPU is saving it, a matter of a switch. */
	while ((rc = vcpu_bring_up(t, entry, ctx)) == -EAGAIN)
		arch_cpu_relax();
	return rc ? PSCI_ALREADY_ON : PSCI_SUCCESS;
}

/*
 * ON if any vCPU whose affinity matches target at and above level is on, OFF
 * otherwise (a vCPU nobody has is off). A vCPU is off once it is down and its
 * state saved: a CPU_ON after an OFF answer works at once.
 */
static s64 affinity_info(struct vcpu *v, u64 target, u64 level)
{
	/* Aff0..Aff2 in bits 0..23, Aff3 in 32..39; level n ignores the n lowest. */
	static const u64 masks[] = { 0xff00ffffffULL, 0xff00ffff00ULL, 0xff00ff0000ULL,
				     0xff00000000ULL };
	struct domain *d = v->dom;

	if (level >= ARRAY_SIZE(masks))
		return PSCI_INVALID_PARAMETERS;
	for (u32 i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *t = d->vcpus[i];

		if ((t->arch.mpidr & masks[level]) == (target & masks[level]) &&
		    !(READ_ONCE(t->down) && !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)))
			return 0;
	}
	return 1;
}

/* Called for HVC #0 and SMC #0 from a guest; the result goes to x0. */
void vpsci_handle(struct vcpu *v)
{
	struct arch_vcpu *a = &v->arch;
	u32 fid = (u32)arch_call_arg(a, 0);
	/* SMC32 calls leave the upper halves of their argument registers undefined. */
	u64 wide = fid & 0x40000000 ? ~0ULL : 0xffffffffULL;
	u64 a1 = arch_call_arg(a, 1) & wide, a2 = arch_call_arg(a, 2) & wide,
	    a3 = arch_call_arg(a, 3) & wide;
	s64 ret;

	switch (fid) {
	case PSCI_VERSION: /* answered by the exception vector, unless over SMC */
		ret = VPSCI_VERSION;
		break;
	case SMCCC_VERSION:
		ret = 0x10001; /* SMCCC 1.1 */
		break;
	case PSCI_FEATURES:
		ret = supported((u32)a1) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
		break;
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		/* Standby is a WFI; a power-down state resumes the same way. */
		vcpu_block(v);
		ret = PSCI_SUCCESS;
		break;
	case PSCI_CPU_OFF:
		vcpu_set_offline(v);
		ret = PSCI_SUCCESS;
		break;
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		ret = cpu_on(v, a1, a2, a3);
		break;
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
		ret = affinity_info(v, a1, a2);
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		ret = 2; /* no trusted OS that would need migrating */
		break;
	case PSCI_SYSTEM_OFF:
		domain_shutdown(v->dom, SHUTDOWN_POWEROFF);
		ret = PSCI_SUCCESS;
		break;
	case PSCI_SYSTEM_RESET:
		domain_shutdown(v->dom, SHUTDOWN_REBOOT);
		ret = PSCI_SUCCESS;
		break;
	case SMCCC_HYP_CALL_COUNT:
		ret = 3; /* Xen's count of its hypervisor service calls */
		break;
	case SMCCC_HYP_CALL_UID:
		/* Xen's UID, a71812dc-c698-4369-9acf-79d18ddee667, in SMCCC's four words. */
		arch_call_set_arg(a, 1, 0x694398c6);
		arch_call_set_arg(a, 2, 0xd179cf9a);
		arch_call_set_arg(a, 3, 0x67e6de8d);
		ret = 0xdc1218a7;
		break;
	case SMCCC_HYP_REVISION:
		arch_call_set_arg(a, 1, 1); /* 0.1, as Xen */
		ret = 0;
		break;
	default:
		ret = PSCI_NOT_SUPPORTED; /* includes SMCCC_ARCH_FEATURES */
	}
	arch_call_return(a, (u64)ret);
}
