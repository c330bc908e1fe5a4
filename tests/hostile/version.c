/* SPDX-License-Identifier: MIT */
/*
 * What a guest may learn and set about itself: xen_version (common/kernel.c:
 * what XSM denies an unprivileged domain comes back as "<denied>" data, not
 * as an error, except build_id), hvm_op parameters (arch/arm/hvm.c), and
 * vm_assist (common/domain.c).
 */
#include "hostile.h"

static char buf[1024] __attribute__((aligned(16)));

static long ver(int cmd, void *arg)
{
	return hypercall(__HYPERVISOR_xen_version, cmd, arg, 0);
}

static long hvm(int op, domid_t dom, u32 index, u64 *value)
{
	static struct xen_hvm_param p;
	long rc;

	p.domid = dom;
	p.index = index;
	p.value = value ? *value : 0;
	rc = hypercall(__HYPERVISOR_hvm_op, op, &p, 0);
	if (value)
		*value = p.value;
	return rc;
}

static void version_cases(void)
{
	static struct xen_feature_info fi;

	check_hex("xen_version version is 4.17", (u64)ver(XENVER_version, 0), 0x40011);
	check("xen_version extraversion to NULL", ver(XENVER_extraversion, 0), -EFAULT);
	check("xen_version extraversion", ver(XENVER_extraversion, buf), 0);
	check("xen_version compile_info to an unmapped address", ver(XENVER_compile_info, (void *)BAD_PTR),
	      -EFAULT);
	mem_set(buf, 0, sizeof(buf));
	check("xen_version capabilities", ver(XENVER_capabilities, buf), 0);
	checkf("xen_version capabilities names aarch64", mem_eq(buf, "xen-3.0-aarch64", 15),
	       "xen-3.0-aarch64 ...", "'%s'", buf);
	check("xen_version changeset", ver(XENVER_changeset, buf), 0);
	check("xen_version platform_parameters", ver(XENVER_platform_parameters, buf), 0);
	check("xen_version pagesize with no buffer", ver(XENVER_pagesize, 0), 4096);
	check("xen_version pagesize with a buffer", ver(XENVER_pagesize, buf), -EINVAL);
	check("xen_version guest_handle", ver(XENVER_guest_handle, buf), 0);
	/* Denied to a domU by XSM: the text "<denied>", rc 0 (kernel.c XENVER_commandline). */
	mem_set(buf, 0x55, 16);
	check("xen_version commandline (denied: data, not an error)", ver(XENVER_commandline, buf), 0);
	checkf("xen_version commandline reads <denied>", mem_eq(buf, "<denied>", 9), "<denied>", "'%s'",
	       buf[0] == 0x55 ? "(untouched)" : buf);
	check("xen_version build_id (denied)", ver(XENVER_build_id, 0), -EPERM);
	fi.submap_idx = 0;
	check("xen_version get_features", ver(XENVER_get_features, &fi), 0);
	check_hex("xen_version get_features submap of a domU", fi.submap, 0x16005);
	fi.submap_idx = 1;
	check("xen_version get_features submap 1", ver(XENVER_get_features, &fi), -EINVAL);
	check("xen_version get_features from an unmapped address",
	      ver(XENVER_get_features, (void *)BAD_PTR), -EFAULT);
}

static void hvm_cases(void)
{
	u64 v;

	v = 0;
	check("hvm_op get_param CALLBACK_IRQ", hvm(HVMOP_get_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, &v),
	      0);
	check("hvm_op get_param index 3 (not readable)", hvm(HVMOP_get_param, DOMID_SELF, 3, &v), -EINVAL);
	check("hvm_op get_param index 2^31", hvm(HVMOP_get_param, DOMID_SELF, 1U << 31, &v), -EINVAL);
	check("hvm_op get_param MONITOR_RING_PFN of itself",
	      hvm(HVMOP_get_param, DOMID_SELF, HVM_PARAM_MONITOR_RING_PFN, &v), -EPERM);
	check("hvm_op get_param of dom0", hvm(HVMOP_get_param, 0, HVM_PARAM_STORE_PFN, &v), -EPERM);
	check("hvm_op get_param of a domain nobody has", hvm(HVMOP_get_param, 0x7fef, 1, &v), -ESRCH);
	v = 0x12345;
	check("hvm_op set_param STORE_PFN of itself", hvm(HVMOP_set_param, DOMID_SELF, HVM_PARAM_STORE_PFN, &v),
	      -EPERM);
	check("hvm_op set_param CONSOLE_EVTCHN of itself",
	      hvm(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CONSOLE_EVTCHN, &v), -EPERM);
	check("hvm_op set_param index 39", hvm(HVMOP_set_param, DOMID_SELF, 39, &v), -EINVAL);
	check("hvm_op set_param of dom0", hvm(HVMOP_set_param, 0, HVM_PARAM_STORE_PFN, &v), -EPERM);
	check("hvm_op get_param from an unmapped address",
	      hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, BAD_PTR, 0), -EFAULT);
	check("hvm_op guest_request_vm_event with no argument",
	      hypercall(__HYPERVISOR_hvm_op, HVMOP_guest_request_vm_event, 0, 0), 0);
	check("hvm_op guest_request_vm_event with an argument",
	      hypercall(__HYPERVISOR_hvm_op, HVMOP_guest_request_vm_event, buf, 0), -EINVAL);
	v = 0;
	hvm(HVMOP_get_param, DOMID_SELF, HVM_PARAM_STORE_PFN, &v);
	check_hex("hvm_op STORE_PFN unchanged by the refused set", v, env.store_gfn);
}

static void vm_assist_cases(void)
{
	check("vm_assist enable runstate_update_flag",
	      hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag, 0), 0);
	check("vm_assist command 7", hypercall(__HYPERVISOR_vm_assist, 7, VMASST_TYPE_runstate_update_flag, 0),
	      -ENOSYS);
	check("vm_assist type 64", hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 64, 0), -EINVAL);
	check("vm_assist type 0 (x86's 4gb_segments)", hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 0, 0),
	      -EINVAL);
	check("vm_assist disable runstate_update_flag",
	      hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_disable, VMASST_TYPE_runstate_update_flag, 0), 0);
}

void cases_version(void)
{
	version_cases();
	hvm_cases();
	vm_assist_cases();
}
