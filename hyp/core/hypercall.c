/* SPDX-License-Identifier: MIT */
/*
 * Xen hypercalls: a table indexed by number. Each entry names its handler,
 * how many arguments it takes, and whether it may continue. A number past the
 * table or without an entry is -ENOSYS, as Xen on Arm answers physdev_op,
 * dm_op and anything unknown.
 *
 * The path of a call: the arch traps the guest's HVC and calls
 * hypercall_dispatch, which reads the number and arguments through
 * arch_call_*, runs the entry, and writes the result back. A handler checks
 * its own arguments; pointers are guest virtual addresses, reached only
 * through guest_access.
 *
 * Continuations: a handler whose entry says .continues may do a bounded part
 * of the work, leave the rest in its arguments (hypercall_set_arg) and return
 * -ERESTART. The guest is sent back to its HVC with those arguments, so it
 * issues the rest after whatever is due (an interrupt, another vCPU's turn):
 * no pCPU is held by one call for longer than a batch. Inside a multicall the
 * entry's own arguments are the ones rewritten.
 */
#include <domus/arch.h>
#include <domus/console_io.h>
#include <domus/domain.h>
#include <domus/domus_ctl.h>
#include <domus/errno.h>
#include <domus/event_channel_op.h>
#include <domus/grant_table_op.h>
#include <domus/hvm_op.h>
#include <domus/hypercall.h>
#include <domus/memory_op.h>
#include <domus/multicall.h>
#include <domus/platform_op.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/sched_op.h>
#include <domus/vcpu_op.h>
#include <domus/vm_assist.h>
#include <domus/xen_ctl.h>
#include <domus/xen_version.h>
#include <public/xen.h>

/*
 * The handlers, each called with the argument widths of Xen's prototypes: the
 * guest's calling convention leaves the upper half of a 32-bit argument's
 * register undefined, so the cast is part of the ABI.
 */
static long call_xen_version(struct vcpu *v, const u64 *a)
{
	return do_xen_version(v, (int)a[0], a[1]);
}

static long call_memory_op(struct vcpu *v, const u64 *a)
{
	return do_memory_op(v, (u32)a[0], a[1]);
}

static long call_multicall(struct vcpu *v, const u64 *a)
{
	return do_multicall(v, a[0], (u32)a[1]);
}

static long call_vcpu_op(struct vcpu *v, const u64 *a)
{
	return do_vcpu_op(v, (int)a[0], (u32)a[1], a[2]);
}

static long call_sched_op(struct vcpu *v, const u64 *a)
{
	return do_sched_op(v, (int)a[0], a[1]);
}

static long call_event_channel_op(struct vcpu *v, const u64 *a)
{
	return do_event_channel_op(v, (int)a[0], a[1]);
}

static long call_grant_table_op(struct vcpu *v, const u64 *a)
{
	return do_grant_table_op(v, (u32)a[0], a[1], (u32)a[2]);
}

static long call_hvm_op(struct vcpu *v, const u64 *a)
{
	return do_hvm_op(v, a[0], a[1]);
}

static long call_vm_assist(struct vcpu *v, const u64 *a)
{
	return do_vm_assist(v, (u32)a[0], (u32)a[1]);
}

static long call_console_io(struct vcpu *v, const u64 *a)
{
	return do_console_io(v, (int)a[0], (u32)a[1], a[2]);
}

static long call_platform_op(struct vcpu *v, const u64 *a)
{
	return do_platform_op(v, a[0]);
}

static long call_sysctl(struct vcpu *v, const u64 *a)
{
	return do_xen_ctl(v, __HYPERVISOR_sysctl, a[0]);
}

static long call_domctl(struct vcpu *v, const u64 *a)
{
	return do_xen_ctl(v, __HYPERVISOR_domctl, a[0]);
}

/* Xen's policy refuses a domU first (common/hypfs.c); Domus has no hypfs. */
static long call_hypfs_op(struct vcpu *v, const u64 *a)
{
	return v->dom->privileged ? -ENOSYS : -EPERM;
}

static long call_domus_ctl(struct vcpu *v, const u64 *a)
{
	return do_domus_ctl(v, a[0]);
}

struct hypercall {
	long (*call)(struct vcpu *v, const u64 *args);
	u8 nr_args; /* read from the guest; the others are 0 */
	bool continues; /* may return -ERESTART with the rest in its arguments */
};

static const struct hypercall hypercalls[] = {
	[__HYPERVISOR_platform_op] = { call_platform_op, 1 },
	[__HYPERVISOR_memory_op] = { call_memory_op, 2, .continues = true },
	[__HYPERVISOR_multicall] = { call_multicall, 2, .continues = true },
	[__HYPERVISOR_xen_version] = { call_xen_version, 2 },
	[__HYPERVISOR_console_io] = { call_console_io, 3, .continues = true },
	[__HYPERVISOR_grant_table_op] = { call_grant_table_op, 3, .continues = true },
	[__HYPERVISOR_vm_assist] = { call_vm_assist, 2 },
	[__HYPERVISOR_vcpu_op] = { call_vcpu_op, 3 },
	[__HYPERVISOR_sched_op] = { call_sched_op, 2 },
	[__HYPERVISOR_event_channel_op] = { call_event_channel_op, 2 },
	[__HYPERVISOR_hvm_op] = { call_hvm_op, 2 },
	[__HYPERVISOR_sysctl] = { call_sysctl, 1 },
	[__HYPERVISOR_domctl] = { call_domctl, 1 },
	[__HYPERVISOR_hypfs_op] = { call_hypfs_op, 0 },
	[__HYPERVISOR_domus_ctl] = { call_domus_ctl, 1 },
};

static const struct hypercall *hypercall_entry(u64 nr)
{
	return nr < ARRAY_SIZE(hypercalls) && hypercalls[nr].call ? &hypercalls[nr] : NULL;
}

long hypercall_call(struct vcpu *v, u64 nr, u64 args[HYPERCALL_ARGS])
{
	const struct hypercall *h = hypercall_entry(nr);
	u64 *outer = v->call_args;
	long rc;

	if (!h)
		return -ENOSYS;
	v->call_args = args;
	rc = h->call(v, args);
	v->call_args = outer;
	/* Only an entry that continues leaves work in its arguments. */
	BUG_ON(rc == -ERESTART && !h->continues);
	return rc;
}

void hypercall_set_arg(struct vcpu *v, unsigned int n, u64 val)
{
	BUG_ON(!v->call_args || n >= HYPERCALL_ARGS);
	v->call_args[n] = val;
}

void hypercall_dispatch(struct vcpu *v)
{
	u64 nr = arch_call_nr(&v->arch), args[HYPERCALL_ARGS] = { 0 };
	const struct hypercall *h = hypercall_entry(nr);
	unsigned int n = h ? h->nr_args : 0;
	long rc;

	for (unsigned int i = 0; i < n; i++)
		args[i] = arch_call_arg(&v->arch, i);
	rc = hypercall_call(v, nr, args);
	if (rc == -ERESTART) {
		for (unsigned int i = 0; i < n; i++)
			arch_call_set_arg(&v->arch, i, args[i]);
		arch_call_repeat(&v->arch);
		sched_preempt_point();
		return;
	}
	arch_call_return(&v->arch, (u64)rc);
}
