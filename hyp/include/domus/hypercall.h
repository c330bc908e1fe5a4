/* SPDX-License-Identifier: MIT */
/* Xen hypercalls (HVC #0xEA1): the table, dispatch and continuations (hyp/core/hypercall.c). */
#ifndef DOMUS_HYPERCALL_H
#define DOMUS_HYPERCALL_H

#include <domus/types.h>

struct vcpu;

/* A call has six arguments at most (Xen's multicall_entry has room for six). */
#define HYPERCALL_ARGS 6

/* Runs the trapping vCPU's hypercall: its number and arguments in, its result out (arch_call_*). */
void hypercall_dispatch(struct vcpu *v);
/*
 * Runs call nr with args (a lone call's, or a multicall entry's): its result,
 * -ENOSYS for a number without a handler, or -ERESTART with what is left of
 * the work in args.
 */
long hypercall_call(struct vcpu *v, u64 nr, u64 args[HYPERCALL_ARGS]);
/*
 * For a handler whose entry continues, before it returns -ERESTART: argument
 * n of the call it is handling becomes val when the guest issues it again.
 */
void hypercall_set_arg(struct vcpu *v, unsigned int n, u64 val);

#endif
