/* SPDX-License-Identifier: MIT */
/* event_channel_op (hyp/core/event_channel_op.c). */
#ifndef DOMUS_EVENT_CHANNEL_OP_H
#define DOMUS_EVENT_CHANNEL_OP_H

#include <domus/types.h>

struct vcpu;

long do_event_channel_op(struct vcpu *v, int cmd, vaddr_t arg);

#endif
