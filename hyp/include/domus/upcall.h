/* SPDX-License-Identifier: MIT */
/* The event-channel upcall interrupt (hyp/core/upcall.c). */
#ifndef DOMUS_UPCALL_H
#define DOMUS_UPCALL_H

#include <domus/types.h>

struct vcpu;

/*
 * v's evtchn_upcall_pending has just been set: inject the upcall interrupt
 * and kick v. Called with an event-channel lock held: it must not call back
 * into evtchn.c.
 *
 * Events for a vCPU without a vcpu_info only set pending bits. Whoever
 * registers a vcpu_info must then, as Xen does, set evtchn_pending_sel to ~0
 * and evtchn_upcall_pending to 1 and notify, so the guest scans them.
 */
void evtchn_notify_vcpu(struct vcpu *v);

#endif
