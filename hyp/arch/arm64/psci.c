/* SPDX-License-Identifier: MIT */
/* PSCI: Domus calls the firmware's over SMC, and serves its own to guests over HVC. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include "arm64.h"

#define PSCI_VERSION 0x84000000
#define PSCI_CPU_SUSPEND_32 0x84000001
#define PSCI_CPU_SUSPEND_64 0xc4000001
#define PSCI_CPU_OFF 0x84000002
#define PSCI_CPU_ON_32 0x84000003
#define PSCI_CPU_ON_64 0xc4000003
#define PSCI_AFFINITY_INFO_32 0x84000004
#define PSCI_AFFINITY_INFO_64 0xc4000004
#define PSCI_MIGRATE_INFO_TYPE 0x84000006
#define PSCI_SYSTEM_OFF 0x84000008
#define PSCI_SYSTEM_RESET 0x84000009
#define PSCI_FEATURES 0x8400000a
#define SMCCC_VERSION 0x80000000
#define SMCCC_ARCH_FEATURES 0x80000001

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED -1
#define PSCI_INVALID_PARAMETERS -2
#define PSCI_ALREADY_ON -4
#define PSCI_ON_PENDING -5

static u64 smc(u64 fid, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 asm("x0") = fid;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;

	asm volatile("smc #0"
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
		     :
		     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
		       "x15", "x16", "x17", "memory");
	return x0;
}

int psci_cpu_on(u64 mpidr, u64 entry, u64 context)
{
	return (int)smc(PSCI_CPU_ON_64, mpidr, entry, context);
}

void arch_system_off(void)
{
	smc(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}

void arch_system_reset(void)
{
	smc(PSCI_SYSTEM_RESET, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}

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
