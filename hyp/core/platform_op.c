/* SPDX-License-Identifier: MIT */
/* platform_op: dom0 sets the wall clock; nothing else of Xen's is offered. */
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/platform_op.h>
#include <domus/vcpu_op.h>
#include <public/xen.h>

long do_platform_op(struct vcpu *v, vaddr_t arg)
{
	struct xen_platform_op op;

	/* Xen's order (arch/arm/platform_hypercall.c): read, version, then privilege. */
	if (copy_from_guest(v, &op, arg, sizeof(op)))
		return -EFAULT;
	if (op.interface_version != XENPF_INTERFACE_VERSION)
		return -EACCES;
	if (!v->dom->privileged)
		return -EPERM;
	switch (op.cmd) {
	case XENPF_settime64:
		if (op.u.settime64.mbz || op.u.settime64.nsecs >= 1000000000U)
			return -EINVAL;
		wallclock_set(v->dom, op.u.settime64.secs * 1000000000ULL + op.u.settime64.nsecs,
			      op.u.settime64.system_time);
		return 0;
	}
	return -ENOSYS;
}
