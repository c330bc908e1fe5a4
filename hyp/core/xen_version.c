/* SPDX-License-Identifier: MIT */
/* xen_version: who the guest is talking to. Domus speaks Xen 4.17's interface. */
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/hypercall.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/string.h>
#include <domus/xen_version.h>
#include <public/version.h>

/* What /sys/hypervisor/version/extra shows: the interface is Xen's, the hypervisor is Domus. */
#define EXTRAVERSION "-domus"

static u32 features(const struct domain *d)
{
	u32 f = BIT(XENFEAT_writable_page_tables) | BIT(XENFEAT_auto_translated_physmap) |
		BIT(XENFEAT_memory_op_vnode_supported) | BIT(XENFEAT_ARM_SMCCC_supported);

	if (d->privileged)
		f |= BIT(XENFEAT_dom0);
	f |= d->direct_map ? BIT(XENFEAT_direct_mapped) : BIT(XENFEAT_not_direct_mapped);
	return f;
}

static long put_string(struct vcpu *v, vaddr_t arg, const char *s, u64 size)
{
	char buf[1024];

	memset(buf, 0, size);
	snprintf(buf, size, "%s", s);
	return copy_to_guest(v, arg, buf, size) ? -EFAULT : 0;
}

long do_xen_version(struct vcpu *v, int cmd, vaddr_t arg)
{
	struct domain *d = v->dom;

	switch (cmd) {
	case XENVER_version:
		return (XEN_MAJOR << 16) | XEN_MINOR;
	case XENVER_extraversion:
		return put_string(v, arg, EXTRAVERSION, 16);
	case XENVER_compile_info: {
		struct xen_compile_info ci;

		memset(&ci, 0, sizeof(ci));
		snprintf(ci.compiler, sizeof(ci.compiler), "%s", "gcc " __VERSION__);
		snprintf(ci.compile_by, sizeof(ci.compile_by), "%s", "domus");
		snprintf(ci.compile_domain, sizeof(ci.compile_domain), "%s", "domus");
		snprintf(ci.compile_date, sizeof(ci.compile_date), "%s", __DATE__ " " __TIME__);
		return copy_to_guest(v, arg, &ci, sizeof(ci)) ? -EFAULT : 0;
	}
	case XENVER_capabilities:
		return put_string(v, arg, "xen-3.0-aarch64 xen-3.0-armv7l ", 1024);
	case XENVER_changeset:
		return put_string(v, arg, "domus", 64);
	case XENVER_platform_parameters: {
		u64 virt_start = 0; /* no hypervisor hole in a guest's address space on Arm */

		return copy_to_guest(v, arg, &virt_start, sizeof(virt_start)) ? -EFAULT : 0;
	}
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (copy_from_guest(v, &fi, arg, sizeof(fi)))
			return -EFAULT;
		if (fi.submap_idx != 0)
			return -EINVAL;
		fi.submap = features(d);
		return copy_to_guest(v, arg, &fi, sizeof(fi)) ? -EFAULT : 0;
	}
	case XENVER_pagesize:
		return arg ? -EINVAL : (long)PAGE_SIZE;
	case XENVER_guest_handle: {
		u8 handle[16] = { 0 }; /* no toolstack-assigned UUID yet */

		handle[15] = (u8)d->id;
		handle[14] = (u8)(d->id >> 8);
		return copy_to_guest(v, arg, handle, sizeof(handle)) ? -EFAULT : 0;
	}
	/*
	 * Xen's default policy (include/xsm/dummy.h, common/kernel.c): a domU
	 * reads "<denied>" for the command line, and is refused the build id.
	 */
	case XENVER_commandline:
		if (!d->privileged)
			return copy_to_guest(v, arg, "<denied>", 9) ? -EFAULT : 0;
		return put_string(v, arg, platform.bootargs ? platform.bootargs : "", 1024);
	case XENVER_build_id:
		return d->privileged ? -ENODATA : -EPERM;
	}
	return -ENOSYS;
}
