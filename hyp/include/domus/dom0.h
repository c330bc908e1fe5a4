/* SPDX-License-Identifier: MIT */
/* Building domain 0 from the boot modules, as Xen does on Arm. */
#ifndef DOMUS_DOM0_H
#define DOMUS_DOM0_H

#include <domus/types.h>

struct domain;

int dom0_build(void);

#endif
