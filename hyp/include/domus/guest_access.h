/* SPDX-License-Identifier: MIT */
/*
 * Copies between the hypervisor and a hypercall's pointer arguments, which are
 * virtual addresses of the calling vCPU: translated through its stage 1, then
 * its stage 2, page by page. Only memory the domain may use as memory (its
 * RAM, pages shared with it, frames mapped from others) is accepted.
 */
#ifndef DOMUS_GUEST_ACCESS_H
#define DOMUS_GUEST_ACCESS_H

#include <domus/types.h>

struct vcpu;

/* 0, or -EFAULT if any byte is unmapped or not memory (nothing is copied back then: partial writes may remain). */
int copy_from_guest(struct vcpu *v, void *dst, vaddr_t src, u64 len);
int copy_to_guest(struct vcpu *v, vaddr_t dst, const void *src, u64 len);

#endif
