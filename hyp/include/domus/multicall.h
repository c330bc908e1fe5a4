/* SPDX-License-Identifier: MIT */
/* multicall (hyp/core/multicall.c). */
#ifndef DOMUS_MULTICALL_H
#define DOMUS_MULTICALL_H

#include <domus/types.h>

struct vcpu;

long do_multicall(struct vcpu *v, vaddr_t list, u64 nr);

#endif
