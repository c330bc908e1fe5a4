/* SPDX-License-Identifier: MIT */
/* console_io (hyp/core/console_io.c). */
#ifndef DOMUS_CONSOLE_IO_H
#define DOMUS_CONSOLE_IO_H

#include <domus/types.h>

struct vcpu;

long do_console_io(struct vcpu *v, int cmd, u64 count, vaddr_t buf);

#endif
