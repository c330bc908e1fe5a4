/* SPDX-License-Identifier: MIT */
/* Xen hypercalls (HVC #0xEA1): the dispatcher and the handlers it calls. */
#ifndef DOMUS_HYPERCALL_H
#define DOMUS_HYPERCALL_H

#include <domus/types.h>

struct vcpu;
struct domain;

/* Runs the hypercall in x16 with arguments x0..x4 and puts the result in x0. */
void hypercall_dispatch(struct vcpu *v);

long do_xen_version(struct vcpu *v, int cmd, vaddr_t arg);
long do_memory_op(struct vcpu *v, u64 cmd, vaddr_t arg);
long do_vcpu_op(struct vcpu *v, int cmd, u64 vcpuid, vaddr_t arg);
long do_domus_ctl(struct vcpu *v, vaddr_t arg);

/*
 * The domain a call names: the caller for DOMID_SELF or its own id, another
 * domain only for a privileged caller. NULL with *err set (-ESRCH, -EPERM).
 */
struct domain *hypercall_target(struct vcpu *v, domid_t id, long *err);

/* Runstate bookkeeping at each switch on a pCPU (either may be NULL: idle). */
void runstate_switch(struct vcpu *prev, struct vcpu *next, u64 now);
/* Wall clock: Xen's shared_info wc_* fields, set by dom0 with XENPF_settime64. */
void wallclock_update(struct domain *d);
/* The caller's wall time (ns since the epoch) was wall_ns at its system time at_ns. */
void wallclock_set(struct domain *caller, u64 wall_ns, u64 at_ns);
u64 counter_to_ns(u64 ticks);
/* Wall-clock time now in ns since the epoch, 0 if dom0 has not set it. */
u64 wallclock_now_ns(void);

#endif
