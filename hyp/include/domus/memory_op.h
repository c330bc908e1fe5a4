/* SPDX-License-Identifier: MIT */
/* memory_op (hyp/core/memory_op.c). */
#ifndef DOMUS_MEMORY_OP_H
#define DOMUS_MEMORY_OP_H

#include <domus/types.h>

struct domain;
struct vcpu;

long do_memory_op(struct vcpu *v, u64 cmd, vaddr_t arg);
/* Maps d's shared_info page at gfn, as add_to_physmap does (and a restore, where it was). */
int memory_place_shared_info(struct domain *d, u64 gfn);
/* Maps frame idx of d's grant table at gfn, as add_to_physmap does (and a migration, where it was). */
int memory_place_grant_frame(struct domain *d, u64 idx, u64 gfn);
/*
 * Gives d 2^order new, zeroed frames at gfn (GFN_NONE: nowhere), within its
 * max_pages, as populate_physmap does: 0, -ENOMEM, or -EINVAL/-EBUSY.
 */
int memory_populate_extent(struct domain *d, u64 gfn, u32 order);

#endif
