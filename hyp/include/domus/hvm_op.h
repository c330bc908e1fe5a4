/* SPDX-License-Identifier: MIT */
/* hvm_op (hyp/core/hvm_op.c). */
#ifndef DOMUS_HVM_OP_H
#define DOMUS_HVM_OP_H

#include <domus/types.h>

struct vcpu;

long do_hvm_op(struct vcpu *v, u64 cmd, vaddr_t arg);

#endif
