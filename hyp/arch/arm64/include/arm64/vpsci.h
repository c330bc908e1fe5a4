/* SPDX-License-Identifier: MIT */
/* PSCI and SMCCC as Domus serves them to guests (hyp/arch/arm64/vpsci.c). */
#ifndef ARM64_VPSCI_H
#define ARM64_VPSCI_H

#include <domus/types.h>

struct vcpu;

/* The guest's PSCI call (HVC #0 or SMC #0): function in x0, arguments x1..x3, result to x0. */
void vpsci_handle(struct vcpu *v);

#endif
