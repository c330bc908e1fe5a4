/* SPDX-License-Identifier: MIT */
/* PSCI as guests see it, over HVC or SMC: starting and stopping their vCPUs, and powering off. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/psci.h>
#include <domus/sched.h>

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
	struct vcpu *t = domain_vcpu_by_mpidr(v->dom, target);
	int rc;

	if (!t)
		return PSCI_INVALID_PARAMETERS;
	/* -EAGAIN: t just went down and its pCPU is saving it, a matter of a switch. */
	while ((rc = vcpu_bring_up(t, entry, ctx)) == -EAGAIN)
		arch_cpu_relax();
	return rc ? PSCI_ALREADY_ON : PSCI_SUCCESS;
}

static s64 affinity_info(struct vcpu *v, u64 target, u64 level)
{
	struct vcpu *t;

	if (level != 0)
		return PSCI_INVALID_PARAMETERS;
	t = domain_vcpu_by_mpidr(v->dom, target);
	if (!t)
		return PSCI_INVALID_PARAMETERS;
	/* Off once it is down and its state saved: a CPU_ON after this one works at once. */
	return READ_ONCE(t->down) && !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) ? 1 : 0;
}

/* Called for HVC #0 and SMC #0 from a guest; the result goes to x0. */
void vpsci_handle(struct vcpu *v)
{
	u64 *x = v->regs.x;
	u32 fid = (u32)x[0];
	bool is32 = !(fid & 0x40000000);
	u64 a1 = is32 ? (u32)x[1] : x[1], a2 = is32 ? (u32)x[2] : x[2],
	    a3 = is32 ? (u32)x[3] : x[3];
	s64 ret;

	switch (fid) {
	case PSCI_VERSION:
		ret = 0x10001; /* PSCI 1.1 */
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
	default:
		ret = PSCI_NOT_SUPPORTED; /* includes SMCCC_ARCH_FEATURES */
	}
	x[0] = (u64)ret;
}
