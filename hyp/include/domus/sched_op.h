/* SPDX-License-Identifier: MIT */
/* sched_op (hyp/core/sched_op.c). */
#ifndef DOMUS_SCHED_OP_H
#define DOMUS_SCHED_OP_H

#include <domus/types.h>

struct vcpu;

long do_sched_op(struct vcpu *v, int cmd, vaddr_t arg);

#endif
