/* SPDX-License-Identifier: MIT */
/* vCPU state that lives in the CPU while a vCPU runs, and switching it. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <arm64/affinity.h>
#include "arm64.h"
#include "asm_offsets.h"
#include "sysreg.h"

_Static_assert(offsetof(struct pcpu, current) == PCPU_CURRENT, "asm offset");
_Static_assert(offsetof(struct pcpu, stack_top) == PCPU_STACK_TOP, "asm offset");
_Static_assert(offsetof(struct vcpu, arch.regs) == 0, "asm offset");
_Static_assert(offsetof(struct cpu_regs, x[30]) == REGS_X30, "asm offset");
_Static_assert(offsetof(struct cpu_regs, pc) == REGS_PC, "asm offset");
_Static_assert(offsetof(struct cpu_regs, pstate) == REGS_PSTATE, "asm offset");
_Static_assert(offsetof(struct arch_vcpu, fpcr) == offsetof(struct arch_vcpu, fpsr) + 8,
	       "fpsimd.S stores fpsr, fpcr as a pair");

#define CNT_ENABLE BIT(0)
#define CNT_IMASK BIT(1)
#define CNT_ISTATUS BIT(2)

struct pcpu *arch_this_pcpu(void)
{
	return (struct pcpu *)read_sysreg(tpidr_el2);
}

void arch_cpu_relax(void)
{
	asm volatile("yield" ::: "memory");
}

u64 arch_counter(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

u64 arch_counter_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

void arch_timer_set_deadline(u64 when)
{
	if (!when) {
		write_sysreg(cnthp_ctl_el2, 0);
		return;
	}
	write_sysreg(cnthp_cval_el2, when);
	write_sysreg(cnthp_ctl_el2, CNT_ENABLE);
	isb();
}

/*
 * WFI with interrupts still masked: a pending one wakes it all the same, and
 * only then is it taken. Unmasking first would let a wake-up arrive between
 * the unmask and the WFI, and the CPU would sleep through it.
 */
void arch_wait_for_interrupt(void)
{
	asm volatile("dsb sy; wfi; msr daifclr, #2; isb; msr daifset, #2" ::: "memory");
}

void arch_send_kick(unsigned int cpu)
{
	gic_send_sgi(cpu, SGI_KICK);
}

void arch_vcpu_init(struct vcpu *v)
{
	struct vgic_irq *vt = &v->arch.vgic.priv[platform.ppi_virt_timer];

	v->arch.mpidr = vcpu_affinity(v->id);
	vgic_cpu_init(v);
	/* The guest's virtual timer interrupt is the physical PPI, passed through. */
	vt->hw = true;
	vt->pintid = platform.ppi_virt_timer;
	v->arch.sctlr_el1 = SCTLR_EL1_RESET;
}

/* What a reset clears is one range of struct arch_vcpu: the vGIC's state lies before it. */
_Static_assert(offsetof(struct arch_vcpu, vgic) < offsetof(struct arch_vcpu, sctlr_el1) &&
		       offsetof(struct arch_vcpu, sctlr_el1) < offsetof(struct arch_vcpu, ich_vmcr),
	       "arch_vcpu_reset's range");

void arch_vcpu_reset(struct vcpu *v, u64 entry, u64 x0)
{
	/* The registers, then EL1, FP, timer and debug state: all but the vGIC's and the GIC's. */
	memset(&v->arch.regs, 0, sizeof(v->arch.regs));
	memset(&v->arch.sctlr_el1, 0,
	       offsetof(struct arch_vcpu, ich_vmcr) - offsetof(struct arch_vcpu, sctlr_el1));
	v->arch.regs.x[0] = x0;
	v->arch.regs.pc = entry;
	v->arch.regs.pstate = PSR_DAIF | PSR_MODE_EL1H;
	v->arch.sctlr_el1 = SCTLR_EL1_RESET;
	v->arch.dbg_oslk = 1;
	vtimer_reset(v);
}

bool arch_vcpu_entry_valid(u64 entry)
{
	return !(entry & 1); /* an AArch64 vCPU has no Thumb state to start in, as Xen says */
}

/* The saved copy: for a vCPU on a CPU now, as of its last exit that saved it. */
void arch_vcpu_timer_describe(struct vcpu *v, char *buf, unsigned long len)
{
	u64 ctl = READ_ONCE(v->arch.cntv_ctl), due = READ_ONCE(v->arch.cntv_cval) + v->dom->cntvoff;
	s64 in = (s64)(due - arch_counter());

	snprintf(buf, len, "ctl %#lx (%s%s%s), due %s%ld us", ctl,
		 ctl & CNT_ENABLE ? "on" : "off", ctl & CNT_IMASK ? ", masked" : "",
		 ctl & CNT_ISTATUS ? ", firing" : "", in < 0 ? "-" : "",
		 (in < 0 ? -in : in) * 1000000 / (s64)arch_counter_freq());
}

static void save_el1(struct arch_vcpu *a)
{
	a->sctlr_el1 = read_sysreg(sctlr_el1);
	a->cpacr_el1 = read_sysreg(cpacr_el1);
	a->ttbr0_el1 = read_sysreg(ttbr0_el1);
	a->ttbr1_el1 = read_sysreg(ttbr1_el1);
	a->tcr_el1 = read_sysreg(tcr_el1);
	a->mair_el1 = read_sysreg(mair_el1);
	a->amair_el1 = read_sysreg(amair_el1);
	a->esr_el1 = read_sysreg(esr_el1);
	a->far_el1 = read_sysreg(far_el1);
	a->afsr0_el1 = read_sysreg(afsr0_el1);
	a->afsr1_el1 = read_sysreg(afsr1_el1);
	a->par_el1 = read_sysreg(par_el1);
	a->vbar_el1 = read_sysreg(vbar_el1);
	a->contextidr_el1 = read_sysreg(contextidr_el1);
	a->cntkctl_el1 = read_sysreg(cntkctl_el1);
	a->tpidr_el0 = read_sysreg(tpidr_el0);
	a->tpidrro_el0 = read_sysreg(tpidrro_el0);
	a->tpidr_el1 = read_sysreg(tpidr_el1);
	a->sp_el0 = read_sysreg(sp_el0);
	a->sp_el1 = read_sysreg(sp_el1);
	a->elr_el1 = read_sysreg(elr_el1);
	a->spsr_el1 = read_sysreg(spsr_el1);
	a->csselr_el1 = read_sysreg(csselr_el1);
	a->mdscr_el1 = read_sysreg(mdscr_el1);
}

static void load_el1(const struct arch_vcpu *a)
{
	write_sysreg(sctlr_el1, a->sctlr_el1);
	write_sysreg(cpacr_el1, a->cpacr_el1);
	write_sysreg(ttbr0_el1, a->ttbr0_el1);
	write_sysreg(ttbr1_el1, a->ttbr1_el1);
	write_sysreg(tcr_el1, a->tcr_el1);
	write_sysreg(mair_el1, a->mair_el1);
	write_sysreg(amair_el1, a->amair_el1);
	write_sysreg(esr_el1, a->esr_el1);
	write_sysreg(far_el1, a->far_el1);
	write_sysreg(afsr0_el1, a->afsr0_el1);
	write_sysreg(afsr1_el1, a->afsr1_el1);
	write_sysreg(par_el1, a->par_el1);
	write_sysreg(vbar_el1, a->vbar_el1);
	write_sysreg(contextidr_el1, a->contextidr_el1);
	write_sysreg(cntkctl_el1, a->cntkctl_el1);
	write_sysreg(tpidr_el0, a->tpidr_el0);
	write_sysreg(tpidrro_el0, a->tpidrro_el0);
	write_sysreg(tpidr_el1, a->tpidr_el1);
	write_sysreg(sp_el0, a->sp_el0);
	write_sysreg(sp_el1, a->sp_el1);
	write_sysreg(elr_el1, a->elr_el1);
	write_sysreg(spsr_el1, a->spsr_el1);
	write_sysreg(csselr_el1, a->csselr_el1);
	write_sysreg(mdscr_el1, a->mdscr_el1);
}

static void save_gic(struct arch_vcpu *a)
{
	a->ich_vmcr = read_sysreg(ICH_VMCR_EL2);
	a->ich_ap1r[0] = read_sysreg(ICH_AP1R0_EL2);
	a->ich_ap0r[0] = read_sysreg(ICH_AP0R0_EL2);
	if (gic_nr_aprs > 1) {
		a->ich_ap1r[1] = read_sysreg(ICH_AP1R1_EL2);
		a->ich_ap0r[1] = read_sysreg(ICH_AP0R1_EL2);
	}
	if (gic_nr_aprs > 2) {
		a->ich_ap1r[2] = read_sysreg(ICH_AP1R2_EL2);
		a->ich_ap1r[3] = read_sysreg(ICH_AP1R3_EL2);
		a->ich_ap0r[2] = read_sysreg(ICH_AP0R2_EL2);
		a->ich_ap0r[3] = read_sysreg(ICH_AP0R3_EL2);
	}
}

static void load_gic(const struct arch_vcpu *a)
{
	write_sysreg(ICH_VMCR_EL2, a->ich_vmcr);
	write_sysreg(ICH_AP1R0_EL2, a->ich_ap1r[0]);
	write_sysreg(ICH_AP0R0_EL2, a->ich_ap0r[0]);
	if (gic_nr_aprs > 1) {
		write_sysreg(ICH_AP1R1_EL2, a->ich_ap1r[1]);
		write_sysreg(ICH_AP0R1_EL2, a->ich_ap0r[1]);
	}
	if (gic_nr_aprs > 2) {
		write_sysreg(ICH_AP1R2_EL2, a->ich_ap1r[2]);
		write_sysreg(ICH_AP1R3_EL2, a->ich_ap1r[3]);
		write_sysreg(ICH_AP0R2_EL2, a->ich_ap0r[2]);
		write_sysreg(ICH_AP0R3_EL2, a->ich_ap0r[3]);
	}
}

void arch_vcpu_switch(struct vcpu *prev, struct vcpu *next)
{
	if (prev) {
		struct arch_vcpu *a = &prev->arch;

		save_el1(a);
		fpsimd_save(a->fp_q, &a->fpsr);
		a->cntv_ctl = read_sysreg(cntv_ctl_el0);
		a->cntv_cval = read_sysreg(cntv_cval_el0);
		/* Silence its timer and release the physical PPI for the next vCPU. */
		write_sysreg(cntv_ctl_el0, 0);
		isb();
		gic_set_vtimer_active(false);
		save_gic(a);
	}
	if (next) {
		struct arch_vcpu *a = &next->arch;
		struct vgic_irq *vt = &next->arch.vgic.priv[platform.ppi_virt_timer];
		struct domain *d = next->dom;

		write_sysreg(vttbr_el2, ((u64)d->arch.vmid << 48) | pa_addr(d->arch.s2.root_pa));
		write_sysreg(vmpidr_el2, next->arch.mpidr | BIT(31));
		write_sysreg(hcr_el2, HCR_GUEST);
		load_el1(a);
		fpsimd_restore(a->fp_q, &a->fpsr);
		load_gic(a);
		gic_write_ich_hcr(1);
		/*
		 * While the guest still owns an earlier timer interrupt, keep the
		 * physical PPI active so it does not fire again until the guest's
		 * EOI deactivates it through the list register.
		 */
		if (vt->active || vt->pending)
			gic_set_vtimer_active(true);
		write_sysreg(cntvoff_el2, d->cntvoff);
		write_sysreg(cntv_cval_el0, a->cntv_cval);
		write_sysreg(cntv_ctl_el0, a->cntv_ctl);
		isb();
	} else {
		gic_write_ich_hcr(0);
		/*
		 * Idle: stage 2 off and the reserved VMID 0, so that nothing the CPU
		 * does speculatively meanwhile is tagged with, or walks the tables
		 * of, a domain that may be destroyed and its VMID handed on.
		 * Interrupts still come to EL2.
		 */
		write_sysreg(hcr_el2, HCR_IDLE);
		write_sysreg(vttbr_el2, 0);
		isb();
	}
	vdebug_switch(prev, next);
}
