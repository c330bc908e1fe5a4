/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's architectural state out of and into struct domus_vcpu_state, for
 * save and restore. Only for a vCPU on no pCPU: everything is in struct
 * arch_vcpu then (context.c saves it all at a switch, nothing lazily), and
 * its list registers were folded back at its last exit (vgic_sync_lrs).
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/string.h>
#include <public/domus_ctl.h>
#include "sysreg.h"

/* The fields both have under the same name. */
#define EL1_STATE(X)                                                                      \
	X(sp_el0) X(sp_el1) X(elr_el1) X(spsr_el1) X(sctlr_el1) X(cpacr_el1) X(ttbr0_el1)  \
	X(ttbr1_el1) X(tcr_el1) X(mair_el1) X(amair_el1) X(esr_el1) X(far_el1)              \
	X(afsr0_el1) X(afsr1_el1) X(par_el1) X(vbar_el1) X(contextidr_el1) X(cntkctl_el1)   \
	X(tpidr_el0) X(tpidrro_el0) X(tpidr_el1) X(csselr_el1) X(mdscr_el1) X(fpsr) X(fpcr) \
	X(cntv_ctl) X(cntv_cval) X(cntp_ctl) X(ich_vmcr)

_Static_assert(sizeof(((struct domus_vcpu_state *)0)->x) == sizeof(((struct cpu_regs *)0)->x),
	       "general registers");
_Static_assert(sizeof(((struct domus_vcpu_state *)0)->fp_q) == sizeof(((struct arch_vcpu *)0)->fp_q),
	       "FP/SIMD registers");

void arch_vcpu_state_get(const struct vcpu *v, struct domus_vcpu_state *s)
{
	const struct arch_vcpu *a = &v->arch;

	memcpy(s->x, a->regs.x, sizeof(s->x));
	s->pc = a->regs.pc;
	s->pstate = a->regs.pstate;
#define GET(f) s->f = a->f;
	EL1_STATE(GET)
#undef GET
	memcpy(s->fp_q, a->fp_q, sizeof(s->fp_q));
	/* The emulated physical timer compares with the host's counter: carried as the guest's. */
	s->cntp_cval = a->cntp_cval - v->dom->cntvoff;
	memcpy(s->ich_ap0r, a->ich_ap0r, sizeof(s->ich_ap0r));
	memcpy(s->ich_ap1r, a->ich_ap1r, sizeof(s->ich_ap1r));
	vgic_state_get(v, s);
}

/*
 * A PSTATE to enter the guest with: AArch64 EL0t, EL1t or EL1h. Never EL2
 * (an eret would run the guest as Domus), and not AArch32 EL0 either: on a
 * CPU without AArch32 at EL0 that eret is an illegal return, taken at EL2.
 * A suspended Linux is at EL1h. (SPSR_EL1 needs no check: the guest's own
 * eret from EL1 cannot reach EL2.)
 */
static bool guest_pstate(u64 pstate)
{
	u64 mode = pstate & 0x1f;

	return mode == 0 || mode == 4 || mode == PSR_MODE_EL1H;
}

int arch_vcpu_state_set(struct vcpu *v, const struct domus_vcpu_state *s)
{
	struct arch_vcpu *a = &v->arch;

	if (!guest_pstate(s->pstate))
		return -EINVAL;
	memcpy(a->regs.x, s->x, sizeof(s->x));
	a->regs.pc = s->pc;
	a->regs.pstate = s->pstate;
#define SET(f) a->f = s->f;
	EL1_STATE(SET)
#undef SET
	memcpy(a->fp_q, s->fp_q, sizeof(a->fp_q));
	a->cntp_cval = s->cntp_cval + v->dom->cntvoff;
	memcpy(a->ich_ap0r, s->ich_ap0r, sizeof(a->ich_ap0r));
	memcpy(a->ich_ap1r, s->ich_ap1r, sizeof(a->ich_ap1r));
	vgic_state_set(v, s);
	return 0;
}
