/* SPDX-License-Identifier: MIT */
/* grant_table_op (hyp/core/grant_table_op.c). */
#ifndef DOMUS_GRANT_TABLE_OP_H
#define DOMUS_GRANT_TABLE_OP_H

#include <domus/types.h>

struct vcpu;

long do_grant_table_op(struct vcpu *v, u32 cmd, vaddr_t uop, u64 count);

#endif
