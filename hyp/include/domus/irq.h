/* SPDX-License-Identifier: MIT */
/* Physical interrupts owned by domains. */
#ifndef DOMUS_IRQ_H
#define DOMUS_IRQ_H

#include <domus/types.h>

struct domain;

int irq_assign(u32 intid, struct domain *d);
void irq_release_all(struct domain *d);
/* Injects a passed-through interrupt into its owner; false if nobody owns it. */
bool irq_route_to_guest(u32 intid);

#endif
