/* SPDX-License-Identifier: MIT */
/* domus_ctl: the toolstack's hypercall (hyp/core/domus_ctl.c). */
#ifndef DOMUS_DOMUS_CTL_H
#define DOMUS_DOMUS_CTL_H

#include <domus/types.h>

struct vcpu;

long do_domus_ctl(struct vcpu *v, vaddr_t arg);

#endif
