/* SPDX-License-Identifier: MIT */
/* Xen hypercalls (HVC #0xEA1): the dispatcher and the handlers it calls. */
#ifndef DOMUS_HYPERCALL_H
#define DOMUS_HYPERCALL_H

#include <domus/types.h>

struct vcpu;
struct domain;

/* Runs the hypercall in x16 with arguments x0..x4 and puts the result in x0. */
void hypercall_dispatch(struct vcpu *v);

/*
 * The domain a call names: the caller for DOMID_SELF or its own id, another
 * domain only for a privileged caller. NULL with *err set (-ESRCH, -EPERM).
 */
struct domain *hypercall_target(struct vcpu *v, domid_t id, long *err);

#endif
