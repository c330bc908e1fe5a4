/* SPDX-License-Identifier: MIT */
/* Ownership of physical interrupts passed through to domains. */
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/irq.h>

#define MAX_INTID 1020

static struct domain *owner[MAX_INTID];

int irq_assign(u32 intid, struct domain *d)
{
	int rc;

	if (intid < 32 || intid >= MAX_INTID)
		return -EINVAL;
	if (owner[intid] && owner[intid] != d)
		return -EBUSY;
	rc = arch_irq_passthrough(d, intid);
	if (!rc)
		owner[intid] = d;
	return rc;
}

void irq_release_all(struct domain *d)
{
	for (u32 i = 0; i < MAX_INTID; i++)
		if (owner[i] == d)
			owner[i] = NULL;
}

bool irq_route_to_guest(u32 intid)
{
	struct domain *d = intid < MAX_INTID ? owner[intid] : NULL;

	if (!d)
		return false;
	arch_irq_inject(d, NULL, intid);
	return true;
}
