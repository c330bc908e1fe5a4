/* SPDX-License-Identifier: MIT */
/*
 * The event-channel upcall: how a vCPU learns that it has events to look at.
 * The event-channel code sets evtchn_upcall_pending in its vcpu_info; this
 * raises the PPI the guest's device tree names for it. One interrupt per
 * 0 -> 1 transition is enough: Linux's handler loops until the flag stays
 * clear, and the vGIC keeps a second one pending while the first is active.
 */
#include <domus/domain.h>
#include <domus/evtchn.h>
#include <domus/upcall.h>

void evtchn_notify_vcpu(struct vcpu *v)
{
	arch_irq_inject(v->dom, v, EVTCHN_PPI);
}
