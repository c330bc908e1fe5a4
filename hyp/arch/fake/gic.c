/* SPDX-License-Identifier: MIT */
/* The fake GIC: list registers per pCPU for the real vGIC, and no physical interrupts to route. */
#include <domus/arch.h>
#include <domus/dom0.h>
#include <domus/printf.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <arm64/vgic.h>

#include "internal.h"

u32 arch_vgic_nr_lrs(void)
{
	return FAKE_NR_LRS;
}

u64 arch_vgic_read_lr(u32 n)
{
	return fake_this_cpu()->lr[n];
}

void arch_vgic_write_lr(u32 n, u64 val)
{
	fake_this_cpu()->lr[n] = val;
}

void arch_vgic_set_underflow(bool on)
{
	fake_this_cpu()->underflow = on;
}

u32 arch_vgic_empty_lrs(void)
{
	u32 empty = 0;

	for (u32 i = 0; i < FAKE_NR_LRS; i++)
		if (vgic_lr_empty(fake_this_cpu()->lr[i]))
			empty |= BIT(i);
	return empty;
}

/*
 * The list registers are the running guest's CPU interface: it reads and
 * acknowledges them while its pCPU waits for it to trap, so by index here.
 */
u64 fake_lr_read(unsigned int cpu, u32 n)
{
	return fake_cpus[cpu].lr[n];
}

void fake_lr_write(unsigned int cpu, u32 n, u64 val)
{
	fake_cpus[cpu].lr[n] = val;
}

/* No devices are passed through on the fake machine. */
void arch_hw_irq_enable(u32 intid, bool enable)
{
}

void arch_hw_irq_route(u32 intid, unsigned int pcpu)
{
}

u32 arch_gic_nr_spis(void)
{
	return FAKE_NR_SPIS;
}

void arch_pcpu_irqs_describe(unsigned int cpu, char *buf, unsigned long len)
{
	snprintf(buf, len, "no physical interrupts");
}

void arch_exitstats_dump(void)
{
	printk("exits: not counted on the fake machine\n");
}
