/* SPDX-License-Identifier: MIT */
/* Fake vCPU state: resets and switches recorded, and checked as a real CPU would make them hold. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <arm64/affinity.h>
#include <public/domus_ctl.h>

#include "internal.h"

/*
 * Loading a vCPU on a pCPU is what arch_vcpu_switch does; the fake records
 * where, so it can see what hardware would silently get wrong: a vCPU loaded
 * on two pCPUs at once (its state in two register files), or reset (PSCI
 * CPU_ON) while a pCPU still holds its registers, which the switch away
 * then saves over the reset.
 */

void arch_vcpu_init(struct vcpu *v)
{
	v->arch.mpidr = vcpu_affinity(v->id);
	vgic_cpu_init(v);
	v->arch.initialised = true;
	v->arch.loaded_on = -1;
}

/* A fake vCPU's entry is a host function, whatever its alignment. */
bool arch_vcpu_entry_valid(u64 entry)
{
	return entry != 0;
}

void arch_vcpu_reset(struct vcpu *v, u64 entry, u64 x0)
{
	int on = __atomic_load_n(&v->arch.loaded_on, __ATOMIC_ACQUIRE);

	if (on >= 0)
		fake_violation(FAKE_RESET_WHILE_LOADED,
			       VCPU_LOG "reset (entry %#lx) while loaded on pCPU %d: the switch "
					"away will save the old state over it",
			       VCPU_ARGS(v), entry, on);
	memset(&v->arch.regs, 0, sizeof(v->arch.regs));
	v->arch.regs.x[0] = x0;
	v->arch.regs.pc = entry;
	v->arch.entry = entry;
	v->arch.entry_x0 = x0;
	v->arch.timer_deadline = 0;
	memset(&v->arch.trap, 0, sizeof(v->arch.trap));
	__atomic_add_fetch(&v->arch.resets, 1, __ATOMIC_RELEASE);
}

void arch_vcpu_switch(struct vcpu *prev, struct vcpu *next)
{
	int self = (int)arch_this_pcpu()->id;

	if (prev) {
		int on = __atomic_exchange_n(&prev->arch.loaded_on, -1, __ATOMIC_ACQ_REL);

		if (on != self)
			fake_violation(FAKE_SWITCH_MISMATCH,
				       VCPU_LOG "switched out of pCPU %d but loaded on %d",
				       VCPU_ARGS(prev), self, on);
	}
	if (next) {
		int was = -1;

		if (!__atomic_compare_exchange_n(&next->arch.loaded_on, &was, self, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			fake_violation(FAKE_LOADED_TWICE,
				       VCPU_LOG "loaded on pCPU %d while still loaded on pCPU %d",
				       VCPU_ARGS(next), self, was);
		next->arch.switches++;
	}
}

void arch_vcpu_timer_describe(struct vcpu *v, char *buf, unsigned long len)
{
	snprintf(buf, len, "due at %lu", (unsigned long)arch_vcpu_timer_deadline(v));
}

u64 arch_vcpu_timer_deadline(const struct vcpu *v)
{
	return __atomic_load_n(&v->arch.timer_deadline, __ATOMIC_RELAXED);
}

/* The fake's only timer is its "virtual" one: nothing runs in software. */
u64 arch_vcpu_running_deadline(const struct vcpu *v)
{
	return 0;
}

/*
 * Save and restore: the fake's vCPU has its registers, timer deadline and
 * vGIC state; the rest of the record stays as the caller zeroed it.
 */
void arch_vcpu_state_get(const struct vcpu *v, struct domus_vcpu_state *s)
{
	if (__atomic_load_n(&v->arch.loaded_on, __ATOMIC_ACQUIRE) >= 0)
		fake_violation(FAKE_RESET_WHILE_LOADED, VCPU_LOG "state read while loaded",
			       VCPU_ARGS(v));
	memcpy(s->x, v->arch.regs.x, sizeof(s->x));
	s->pc = v->arch.regs.pc;
	s->pstate = v->arch.regs.pstate;
	s->cntv_cval = v->arch.timer_deadline;
	vgic_state_get(v, s);
}

int arch_vcpu_state_set(struct vcpu *v, const struct domus_vcpu_state *s)
{
	if (s->pstate & 0x1f) /* the fake's guests run with PSTATE 0 only */
		return -EINVAL;
	memcpy(v->arch.regs.x, s->x, sizeof(s->x));
	v->arch.regs.pc = s->pc;
	v->arch.regs.pstate = s->pstate;
	v->arch.timer_deadline = s->cntv_cval;
	vgic_state_set(v, s);
	return 0;
}
