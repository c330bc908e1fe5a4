/* SPDX-License-Identifier: MIT */
/* PSCI: Domus calls the firmware's over SMC (the guests' own is hyp/core/vpsci.c). */
#include <domus/arch.h>
#include <arm64/psci.h>
#include "arm64.h"

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
