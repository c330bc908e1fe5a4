/* SPDX-License-Identifier: MIT */
/*
 * The toolstack's and the console domain's interfaces, called from a domU:
 * domctl and sysctl (common/domctl.c, sysctl.c: the struct is read, its
 * interface version checked, the domain looked up, then XSM says -EPERM),
 * platform_op (arch/arm/platform_hypercall.c, in the same order) and
 * console_io (drivers/char/console.c: XSM first, whatever the sub-op).
 */
#include "hostile.h"

static u64 ctl[64] __attribute__((aligned(16))); /* bigger than any of the structs */

static long call_ctl(u64 nr, u32 cmd, u32 version, domid_t dom)
{
	struct xen_ctl_head *h = (struct xen_ctl_head *)ctl;

	mem_set(ctl, 0, sizeof(ctl));
	h->cmd = cmd;
	h->interface_version = version;
	h->domain = dom;
	return hypercall(nr, ctl, 0, 0);
}

void cases_privileged(void)
{
	static char text[8] = "boo!";

	check("domctl getdomaininfo of dom0",
	      call_ctl(__HYPERVISOR_domctl, XEN_DOMCTL_getdomaininfo, XEN_DOMCTL_INTERFACE_VERSION, 0), -EPERM);
	check("domctl pausedomain of dom0",
	      call_ctl(__HYPERVISOR_domctl, XEN_DOMCTL_pausedomain, XEN_DOMCTL_INTERFACE_VERSION, 0), -EPERM);
	check("domctl pausedomain of itself",
	      call_ctl(__HYPERVISOR_domctl, XEN_DOMCTL_pausedomain, XEN_DOMCTL_INTERFACE_VERSION, env.domid),
	      -EPERM);
	check("domctl pausedomain of a domain nobody has",
	      call_ctl(__HYPERVISOR_domctl, XEN_DOMCTL_pausedomain, XEN_DOMCTL_INTERFACE_VERSION, 0x7fef),
	      -ESRCH);
	check("domctl with interface version 0", call_ctl(__HYPERVISOR_domctl, XEN_DOMCTL_getdomaininfo, 0, 0),
	      -EACCES);
	check("sysctl physinfo", call_ctl(__HYPERVISOR_sysctl, XEN_SYSCTL_physinfo, XEN_SYSCTL_INTERFACE_VERSION, 0),
	      -EPERM);
	check("sysctl with interface version 0", call_ctl(__HYPERVISOR_sysctl, XEN_SYSCTL_physinfo, 0, 0),
	      -EACCES);
	check("platform_op settime64", call_ctl(__HYPERVISOR_platform_op, XENPF_settime64, XENPF_INTERFACE_VERSION, 0),
	      -EPERM);
	check("platform_op with interface version 0", call_ctl(__HYPERVISOR_platform_op, XENPF_settime64, 0, 0),
	      -EACCES);
	check("console_io write on the hypervisor console",
	      hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 4, text), -EPERM);
	check("console_io read of the hypervisor console",
	      hypercall(__HYPERVISOR_console_io, CONSOLEIO_read, 4, text), -EPERM);
	check("console_io write of 2 GiB from an unmapped address",
	      hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 1UL << 31, BAD_PTR), -EPERM);
}
