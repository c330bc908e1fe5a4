/* SPDX-License-Identifier: MIT */
/* vm_assist (hyp/core/vm_assist.c). */
#ifndef DOMUS_VM_ASSIST_H
#define DOMUS_VM_ASSIST_H

#include <domus/types.h>

struct vcpu;

long do_vm_assist(struct vcpu *v, u64 cmd, u64 type);

#endif
