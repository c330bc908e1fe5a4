/* SPDX-License-Identifier: MIT */
/* multicall: a list of calls in one trap. */
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/hypercall.h>
#include <domus/multicall.h>
#include <public/xen.h>

/* Multicall entries run between two preemption points. */
#define MULTICALL_BATCH 16

/*
 * multicall (common/multicall.c): each entry goes through hypercall_call with
 * its own arguments, and its result is written back to it. An entry that
 * continues (-ERESTART) gets its remaining arguments written back too, and
 * the multicall continues from that entry, as Xen's does. A multicall inside
 * one is refused (-EINVAL: Xen's re-entry check).
 */
long do_multicall(struct vcpu *v, vaddr_t list, u64 nr)
{
	long rc = 0;
	u64 i;

	for (i = 0; i < nr && !rc; i++) {
		struct multicall_entry e;
		vaddr_t at = list + i * sizeof(e);

		if (i == MULTICALL_BATCH) {
			rc = -ERESTART;
			break;
		}
		if (copy_from_guest(v, &e, at, sizeof(e))) {
			rc = -EFAULT;
			break;
		}
		e.result = e.op == __HYPERVISOR_multicall ? -EINVAL : hypercall_call(v, e.op, e.args);
		if (e.result == -ERESTART) {
			/* Its arguments say what is left of it. */
			rc = copy_to_guest(v, at, &e, sizeof(e)) ? -EFAULT : -ERESTART;
			break;
		}
		if (copy_to_guest(v, at + 8, &e.result, sizeof(e.result)))
			rc = -EFAULT;
	}
	if (rc == -ERESTART) {
		/* The rest, from entry i. */
		hypercall_set_arg(v, 0, list + i * sizeof(struct multicall_entry));
		hypercall_set_arg(v, 1, nr - i);
	}
	return rc;
}
