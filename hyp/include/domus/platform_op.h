/* SPDX-License-Identifier: MIT */
/* platform_op (hyp/core/platform_op.c). */
#ifndef DOMUS_PLATFORM_OP_H
#define DOMUS_PLATFORM_OP_H

#include <domus/types.h>

struct vcpu;

long do_platform_op(struct vcpu *v, vaddr_t arg);

#endif
