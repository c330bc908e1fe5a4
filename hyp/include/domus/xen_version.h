/* SPDX-License-Identifier: MIT */
/* xen_version (hyp/core/xen_version.c). */
#ifndef DOMUS_XEN_VERSION_H
#define DOMUS_XEN_VERSION_H

#include <domus/types.h>

struct vcpu;

long do_xen_version(struct vcpu *v, int cmd, vaddr_t arg);

#endif
