/* SPDX-License-Identifier: MIT */
/* xen_version (hyp/core/xen_version.c). */
#ifndef DOMUS_XEN_VERSION_H
#define DOMUS_XEN_VERSION_H

#include <domus/types.h>

struct vcpu;

/* The Xen release whose interface Domus speaks: XENVER_version's answer. */
#define XEN_MAJOR 4
#define XEN_MINOR 17

long do_xen_version(struct vcpu *v, int cmd, vaddr_t arg);

#endif
