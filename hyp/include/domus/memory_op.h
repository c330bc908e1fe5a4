/* SPDX-License-Identifier: MIT */
/* memory_op (hyp/core/memory_op.c). */
#ifndef DOMUS_MEMORY_OP_H
#define DOMUS_MEMORY_OP_H

#include <domus/types.h>

struct vcpu;

long do_memory_op(struct vcpu *v, u64 cmd, vaddr_t arg);

#endif
