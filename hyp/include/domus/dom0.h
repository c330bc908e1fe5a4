/* SPDX-License-Identifier: MIT */
/* Building domain 0 from the boot modules, as Xen does on Arm. */
#ifndef DOMUS_DOM0_H
#define DOMUS_DOM0_H

#include <domus/types.h>

struct domain;

/* Dom0 built whole, not yet running: 0, or -errno with a message. */
int dom0_build(void);
/* Dom0 gets the console's input and its first vCPU starts (after the boot-time guests are built). */
void dom0_start(void);

#endif
