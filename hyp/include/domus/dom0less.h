/* SPDX-License-Identifier: MIT */
/* Boot-time guests (hyp/core/dom0less.c). */
#ifndef DOMUS_DOM0LESS_H
#define DOMUS_DOM0LESS_H

#include <domus/types.h>

/*
 * Builds every guest the host device tree declares (platform.boot_domains),
 * after dom0 is built if there is one, then starts them all; a guest that
 * cannot be built is said so and left out. Then frees their boot modules, and
 * with no dom0 gives the console's input to the first guest with a UART.
 */
void dom0less_build(bool have_dom0);

#endif
