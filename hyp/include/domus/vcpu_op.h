/* SPDX-License-Identifier: MIT */
/* vcpu_op, runstate and the wall clock (hyp/core/vcpu_op.c). */
#ifndef DOMUS_VCPU_OP_H
#define DOMUS_VCPU_OP_H

#include <domus/types.h>

struct domain;
struct vcpu;

long do_vcpu_op(struct vcpu *v, int cmd, u64 vcpuid, vaddr_t arg);
/* A restore's: t's vcpu_info where its saved guest registered it, whose memory holds it already. */
long vcpu_info_restore(struct vcpu *t, u64 gfn, u32 offset);

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
