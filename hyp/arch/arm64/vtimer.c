// SPDX-License-Identifier: MIT
/*
 * A vCPU's two EL1 timers, as the architecture has them: each drives its PPI
 * as a level, high while the timer is enabled, unmasked and due.
 *
 * The virtual timer is the CPU's own (its registers are the guest's, saved and
 * restored on a switch); its PPI is passed through and reaches the vGIC as a
 * latch when it fires. While that latch is not with the guest (not in a list
 * register, not active: the guest has the PPI disabled, say) it is checked
 * against the timer at every exit, and dropped, with the physical PPI released,
 * once the condition no longer holds, so that GICR_ISPENDR0 follows the line.
 *
 * The physical timer is Domus' own (EL2 uses CNTHP); the guest's is emulated on
 * a software copy: its accesses trap, its line is recomputed on every access
 * and every entry, and its deadline wakes the vCPU when blocked and ends its
 * run when running (the scheduler asks arch_vcpu_running_deadline).
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/platform.h>
#include <domus/sched.h>
#include <arm64/decode.h>
#include <arm64/vgic.h>
#include "arm64.h"
#include "sysreg.h"

#define CNT_ENABLE BIT(0)
#define CNT_IMASK BIT(1)
#define CNT_ISTATUS BIT(2)
/* The guest's EL1 physical (non-secure) timer: PPI 14 in its device tree, as Xen's. */
#define PTIMER_PPI 30

/* When an enabled, unmasked timer fires; 0 if it does not. */
static u64 deadline(u64 ctl, u64 cval)
{
	return (ctl & CNT_ENABLE) && !(ctl & CNT_IMASK) ? cval : 0;
}

/*
 * The physical timer's deadline, until its line is up: from then on it stays
 * up without Domus looking (only a trapped write changes it), and a deadline
 * in the past would only make the pCPU's timer fire again at every entry.
 */
u64 arch_vcpu_running_deadline(const struct vcpu *v)
{
	if (READ_ONCE(v->arch.ptimer_level))
		return 0;
	return deadline(READ_ONCE(v->arch.cntp_ctl), READ_ONCE(v->arch.cntp_cval));
}

u64 arch_vcpu_timer_deadline(const struct vcpu *v)
{
	u64 vt = deadline(v->arch.cntv_ctl, v->arch.cntv_cval + v->dom->cntvoff);
	u64 pt = arch_vcpu_running_deadline(v);

	return !vt ? pt : !pt ? vt : MIN(vt, pt);
}

/* The physical timer's line into the vGIC, as of now. */
void vtimer_update_ptimer(struct vcpu *v)
{
	u64 due = deadline(v->arch.cntp_ctl, v->arch.cntp_cval);
	bool level = due && arch_counter() >= due;

	if (level || v->arch.ptimer_level) {
		v->arch.ptimer_level = level;
		vgic_set_level(v->dom, v, PTIMER_PPI, level);
	}
}

void vtimer_reset(struct vcpu *v)
{
	/* The copy is cleared with the rest of the vCPU's state; the line in the vGIC is not. */
	if (v->arch.ptimer_level) {
		v->arch.ptimer_level = false;
		vgic_set_level(v->dom, v, PTIMER_PPI, false);
	}
}

void vtimer_resample(struct vcpu *v)
{
	struct vgic_irq *vt = &v->arch.vgic.priv[platform.ppi_virt_timer];
	u64 ctl;
	bool dropped = false;

	if (!READ_ONCE(vt->pending)) /* the common case (guest_exit looks first) */
		return;
	ctl = read_sysreg(cntv_ctl_el0);
	if ((ctl & (CNT_ENABLE | CNT_IMASK | CNT_ISTATUS)) == (CNT_ENABLE | CNT_ISTATUS))
		return; /* still asserted */
	spin_lock(&v->arch.vgic.lock);
	if (vt->pending && !vt->in_lr && !vt->active) {
		vt->pending = false;
		dropped = true;
	}
	spin_unlock(&v->arch.vgic.lock);
	if (dropped)
		gic_set_vtimer_active(false); /* fires again when the condition does */
}

bool vtimer_emulate_cntp(struct vcpu *v, const struct sysreg_access *s, u64 *val)
{
	u64 now = arch_counter();
	u64 *ctl = &v->arch.cntp_ctl, *cval = &v->arch.cntp_cval;

	switch (s->enc) {
	case SYSREG_CNTP_CTL_EL0:
		if (s->read)
			*val = (*ctl & 3) | ((*ctl & CNT_ENABLE) && now >= *cval ? CNT_ISTATUS : 0);
		else
			*ctl = *val & 3;
		break;
	case SYSREG_CNTP_CVAL_EL0:
		if (s->read)
			*val = *cval;
		else
			*cval = *val;
		break;
	case SYSREG_CNTP_TVAL_EL0:
		if (s->read)
			*val = (u32)(*cval - now);
		else
			*cval = now + (s64)(s32)*val;
		break;
	case SYSREG_CNTPCT_EL0:
		if (s->read)
			*val = now;
		return true;
	default:
		return false;
	}
	if (!s->read) {
		vtimer_update_ptimer(v);
		sched_timer_changed(); /* a new deadline to end the run at */
	}
	return true;
}
