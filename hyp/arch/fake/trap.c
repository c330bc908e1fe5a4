/* SPDX-License-Identifier: MIT */
/* The fake's guest entry and exit: run the current vCPU's guest, handle its trap, reschedule. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/hypercall.h>
#include <arm64/psci.h>
#include <domus/sched.h>
#include <arm64/vpsci.h>
#include <arm64/vgic.h>
#include <public/xen.h>

#include "internal.h"

/*
 * Where arm64 has its exception vectors and traps.c, the fake has this loop,
 * one per pCPU thread, entered from sched_start() with a vCPU to run:
 *
 *   for (;;) {
 *       fill the list registers          (guest_prepare_entry)
 *       run the guest until it traps     (eret ... exception)
 *       fold the list registers back     (guest_exit)
 *       handle the trap: HVC, SMC, MMIO, WFI/WFE
 *       take pending kicks and the timer (IRQs are taken here)
 *       reschedule if asked              (sched_check)
 *   }
 *
 * A vCPU whose pc was rewound onto its HVC (a hypercall continuation) traps
 * again at once without its guest running, as it would on hardware.
 */

/* The guest's virtual timer fired: its PPI, once, as the timer's level would raise it. */
static void fire_vtimer(struct vcpu *v)
{
	u64 deadline = __atomic_load_n(&v->arch.timer_deadline, __ATOMIC_RELAXED);

	if (deadline && arch_counter() >= deadline) {
		__atomic_store_n(&v->arch.timer_deadline, 0, __ATOMIC_RELAXED);
		arch_irq_inject(v->dom, v, GUEST_TIMER_VIRT_PPI);
	}
}

/* The vGIC's distributor and redistributors, then the domain's own handlers. */
static int mmio(struct vcpu *v, struct fake_trap *t)
{
	struct domain *d = v->dom;
	struct mmio_handler *h;
	struct vcpu *target;
	u64 off, val = t->write ? t->val : 0;
	ipa_t ipa = ipa_init(t->addr);
	int rc;

	if (vgic_is_dist(d, ipa)) {
		rc = vgic_dist_access(v, ipa_offset(ipa, d->arch.vgic.dist_base), t->size, t->write,
				      &val);
	} else if ((target = vgic_rdist_vcpu(d, ipa, &off))) {
		rc = vgic_rdist_access(v, target, off, t->size, t->write, &val);
	} else if ((h = domain_find_mmio(d, ipa))) {
		rc = h->access(v, ipa, t->size, t->write, &val, h->ctx);
	} else {
		rc = -ENODEV;
	}
	if (!t->write)
		t->val = rc ? 0 : val;
	return rc;
}

static void handle_trap(struct vcpu *v)
{
	struct fake_cpu *c = fake_this_cpu();
	struct fake_trap *t = &v->arch.trap;

	c->trap_nr = t->kind == FAKE_TRAP_HVC && t->imm == XEN_HYPERCALL_TAG ? v->arch.regs.x[16] : ~0ULL;
	c->trap_x0 = v->arch.regs.x[0];
	__atomic_store_n(&c->trap_vcpu, v, __ATOMIC_RELEASE);
	c->traps++;
	v->arch.trap_accesses = 0;
	switch (t->kind) {
	case FAKE_TRAP_HVC:
		if (t->imm == 0)
			vpsci_handle(v);
		else if (t->imm == XEN_HYPERCALL_TAG)
			hypercall_dispatch(v);
		else
			v->arch.regs.x[0] = (u64)-ENOSYS; /* hardware: an undefined instruction */
		break;
	case FAKE_TRAP_SMC:
		if (t->imm == 0)
			vpsci_handle(v);
		else
			v->arch.regs.x[0] = (u64)-1;
		break;
	case FAKE_TRAP_MMIO:
		t->mmio_rc = mmio(v, t);
		break;
	case FAKE_TRAP_WFI:
		vcpu_block(v);
		break;
	case FAKE_TRAP_WFE:
		vcpu_yield(v);
		break;
	case FAKE_TRAP_NONE:
		break;
	}
	if (v->arch.trap_accesses > v->arch.max_trap_accesses)
		v->arch.max_trap_accesses = v->arch.trap_accesses;
	__atomic_store_n(&c->trap_vcpu, NULL, __ATOMIC_RELEASE);
}

void arch_guest_enter(void)
{
	struct pcpu *p = arch_this_pcpu();

	for (;;) {
		struct vcpu *v = p->current;

		fire_vtimer(v);
		vgic_flush_lrs(v);
		sched_entering_guest();
		if (v->arch.trap.kind == FAKE_TRAP_HVC && v->arch.regs.pc == FAKE_HVC_PC)
			v->arch.regs.pc += 4; /* back on its HVC: it executes it again */
		else
			fake_ops->run(v);
		vgic_sync_lrs(v);
		handle_trap(v);
		fake_take_interrupts();
		sched_check();
	}
}
