/* SPDX-License-Identifier: MIT */
/* domctl and sysctl: Xen's toolstack calls, refused as Xen's policy refuses them. */
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/xen_ctl.h>
#include <public/xen.h>

/*
 * Xen's toolstack interfaces, which Domus does not offer (its toolstack uses
 * domus_ctl): dom0 is told so (-ENOSYS). A domU gets what Xen's default
 * policy gives it (common/domctl.c, sysctl.c): the struct is read (-EFAULT),
 * its version checked (-EACCES), for a domctl the domain it names looked up
 * (-ESRCH; getdomaininfo and the device ops' special ids go on without one),
 * then -EPERM.
 */
long do_xen_ctl(struct vcpu *v, u64 nr, vaddr_t arg)
{
	u64 buf[XEN_DOMCTL_SIZE / 8];
	struct xen_domctl_head *h = (struct xen_domctl_head *)buf;
	bool domctl = nr == __HYPERVISOR_domctl;

	if (v->dom->privileged)
		return -ENOSYS;
	if (copy_from_guest(v, buf, arg, domctl ? XEN_DOMCTL_SIZE : XEN_SYSCTL_SIZE))
		return -EFAULT;
	if (h->interface_version != (domctl ? XEN_DOMCTL_INTERFACE_VERSION : XEN_SYSCTL_INTERFACE_VERSION))
		return -EACCES;
	if (domctl && h->cmd != XEN_DOMCTL_createdomain && h->cmd != XEN_DOMCTL_getdomaininfo &&
	    !domain_by_id(h->domain) &&
	    !((h->cmd == XEN_DOMCTL_assign_device || h->cmd == XEN_DOMCTL_deassign_device) &&
	      h->domain == DOMID_IO) &&
	    !((h->cmd == XEN_DOMCTL_test_assign_device || h->cmd == XEN_DOMCTL_vm_event_op) &&
	      h->domain == DOMID_INVALID))
		return -ESRCH;
	return -EPERM;
}
