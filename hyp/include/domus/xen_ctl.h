/* SPDX-License-Identifier: MIT */
/* domctl and sysctl (hyp/core/xen_ctl.c). */
#ifndef DOMUS_XEN_CTL_H
#define DOMUS_XEN_CTL_H

#include <domus/types.h>

struct vcpu;

/* nr: __HYPERVISOR_domctl or __HYPERVISOR_sysctl. */
long do_xen_ctl(struct vcpu *v, u64 nr, vaddr_t arg);

#endif
