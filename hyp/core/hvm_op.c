/* SPDX-License-Identifier: MIT */
/* hvm_op: the parameters the toolstack and a guest exchange (store and console rings). */
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/hvm_op.h>
#include <public/xen.h>

/*
 * Which parameters a domain may read or set (arch/arm/hvm.c): the toolstack
 * sets where the store and console live and the guest reads it; the monitor
 * ring is the toolstack's alone; every other index is -EINVAL.
 */
static long param_allowed(struct vcpu *v, struct domain *d, u32 index, bool set)
{
	switch (index) {
	case HVM_PARAM_CALLBACK_IRQ:
	case HVM_PARAM_STORE_PFN:
	case HVM_PARAM_STORE_EVTCHN:
	case HVM_PARAM_CONSOLE_PFN:
	case HVM_PARAM_CONSOLE_EVTCHN:
		return set && d == v->dom ? -EPERM : 0;
	case HVM_PARAM_MONITOR_RING_PFN:
		return d == v->dom ? -EPERM : 0;
	}
	return -EINVAL;
}

long do_hvm_op(struct vcpu *v, u64 cmd, vaddr_t arg)
{
	struct xen_hvm_param p;
	struct domain *d;
	long err = 0;

	/* No monitor (vm_event) listens: a request is told to nobody. */
	if (cmd == HVMOP_guest_request_vm_event)
		return arg ? -EINVAL : 0;
	if (cmd != HVMOP_set_param && cmd != HVMOP_get_param)
		return -ENOSYS;
	if (copy_from_guest(v, &p, arg, sizeof(p)))
		return -EFAULT;
	d = domain_target(v, p.domid, &err);
	if (!d)
		return err;
	err = param_allowed(v, d, p.index, cmd == HVMOP_set_param);
	if (err)
		return err;
	if (cmd == HVMOP_get_param) {
		p.value = d->hvm_params[p.index];
		return copy_to_guest(v, arg, &p, sizeof(p)) ? -EFAULT : 0;
	}
	d->hvm_params[p.index] = p.value;
	return 0;
}
