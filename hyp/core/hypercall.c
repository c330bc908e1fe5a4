/* SPDX-License-Identifier: MIT */
/*
 * Xen hypercalls: number in x16, arguments in x0..x4, result in x0, every
 * other register preserved. Each handler checks its own arguments; pointers
 * are guest virtual addresses, reached only through guest_access.
 */
#include <domus/arch.h>
#include <domus/console.h>
#include <domus/domain.h>
#include <domus/domus_ctl.h>
#include <domus/errno.h>
#include <domus/evtchn.h>
#include <domus/gnttab.h>
#include <domus/guest_access.h>
#include <domus/hypercall.h>
#include <domus/memory_op.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <domus/vcpu_op.h>
#include <domus/xen_version.h>
#include <public/grant_table.h>
#include <public/sched.h>
#include <public/xen.h>

struct domain *hypercall_target(struct vcpu *v, domid_t id, long *err)
{
	struct domain *d;

	if (id == DOMID_SELF || id == v->dom->id)
		return v->dom;
	/* As Xen: whether it exists first (-ESRCH), then whether the caller may (-EPERM). */
	d = id < DOMID_FIRST_RESERVED ? domain_by_id(id) : NULL;
	if (!d)
		*err = -ESRCH;
	else if (!v->dom->privileged)
		*err = -EPERM;
	return d && v->dom->privileged ? d : NULL;
}

static long do_sched_op(struct vcpu *v, int cmd, vaddr_t arg)
{
	u32 reason;

	switch (cmd) {
	case SCHEDOP_yield:
		vcpu_yield(v);
		return 0;
	case SCHEDOP_block:
		/* Wakes on any interrupt for the vCPU, event upcalls included. */
		vcpu_block(v);
		return 0;
	case SCHEDOP_poll: {
		struct sched_poll p;
		struct shared_info *s = v->dom->shared_info;

		if (copy_from_guest(v, &p, arg, sizeof(p)))
			return -EFAULT;
		if (p.nr_ports > 128)
			return -EINVAL;
		for (u32 i = 0; i < p.nr_ports; i++) {
			u32 port;

			if (copy_from_guest(v, &port, p.ports + i * 4, 4))
				return -EFAULT;
			if (port >= EVTCHN_2L_NR_CHANNELS)
				return -EINVAL;
			if (READ_ONCE(s->evtchn_pending[port / 64]) & BIT(port % 64))
				return 0;
		}
		if (p.timeout && counter_to_ns(arch_counter()) >= p.timeout)
			return 0;
		/*
		 * Blocks until an interrupt or event for this vCPU. It may return
		 * before one of its ports is pending (or after its timeout, which
		 * does not arm a timer of its own): Xen's callers re-check and loop.
		 */
		vcpu_block(v);
		return 0;
	}
	case SCHEDOP_shutdown:
	case SCHEDOP_shutdown_code:
		if (copy_from_guest(v, &reason, arg, sizeof(reason)))
			return -EFAULT;
		if (cmd == SCHEDOP_shutdown_code) {
			/* Any code, kept as 8 bits (common/sched/core.c). */
			v->dom->shutdown_reason = (u8)reason;
			return 0;
		}
		if (reason > SHUTDOWN_MAX)
			return -EINVAL;
		if (reason == SHUTDOWN_crash)
			domain_crash(v->dom, "the guest reported a crash (SCHEDOP_shutdown)");
		else
			domain_shutdown(v->dom, reason);
		return 0;
	case SCHEDOP_remote_shutdown: {
		struct sched_remote_shutdown rs;
		struct domain *d;

		if (copy_from_guest(v, &rs, arg, sizeof(rs)))
			return -EFAULT;
		if (rs.reason > SHUTDOWN_MAX)
			return -EINVAL;
		/*
		 * By id only, as Xen: DOMID_SELF names nobody here (-ESRCH), and a
		 * guest may not shut down any domain this way, itself included.
		 */
		d = rs.domain_id < DOMID_FIRST_RESERVED ? domain_by_id(rs.domain_id) : NULL;
		if (!d)
			return -ESRCH;
		if (!v->dom->privileged)
			return -EPERM;
		domain_shutdown(d, rs.reason);
		return 0;
	}
	case SCHEDOP_pin_override:
		/* The hardware domain's only; Domus has no pinning to override. */
		return v->dom->privileged ? -ENOSYS : -EPERM;
	case SCHEDOP_watchdog: {
		struct sched_watchdog wd;

		if (copy_from_guest(v, &wd, arg, sizeof(wd)))
			return -EFAULT;
		return sched_watchdog(v->dom, wd.id, wd.timeout);
	}
	}
	return -ENOSYS;
}

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

static long do_hvm_op(struct vcpu *v, u64 cmd, vaddr_t arg)
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
	d = hypercall_target(v, p.domid, &err);
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

static long do_vm_assist(struct vcpu *v, u64 cmd, u64 type)
{
	if (type != VMASST_TYPE_runstate_update_flag)
		return -EINVAL;
	if (cmd == VMASST_CMD_enable)
		v->dom->vm_assist |= BIT(type);
	else if (cmd == VMASST_CMD_disable)
		v->dom->vm_assist &= ~BIT(type);
	else
		return -ENOSYS;
	return 0;
}

#define CONSOLEIO_CHUNK 128
/* Bytes a console write prints between two preemption points. */
#define CONSOLEIO_BATCH 4096

static long do_console_io(struct vcpu *v, int cmd, u64 count, vaddr_t buf)
{
	char chunk[CONSOLEIO_CHUNK];
	u64 done = 0;

	/* The hypervisor console belongs to the privileged domain, as in Xen. */
	if (!v->dom->privileged)
		return -EPERM;
	switch (cmd) {
	case CONSOLEIO_write:
		if (count > INT32_MAX)
			return -EINVAL;
		while (done < count) {
			u64 n = MIN(count - done, sizeof(chunk));

			if (done == CONSOLEIO_BATCH) {
				arch_call_set_arg(&v->arch, 1, count - done);
				arch_call_set_arg(&v->arch, 2, buf + done);
				return -ERESTART;
			}
			if (copy_from_guest(v, chunk, buf + done, n))
				return -EFAULT;
			console_guest_write(v->dom, chunk, n);
			done += n;
		}
		return 0;
	case CONSOLEIO_read:
		if (count > INT32_MAX)
			return -EINVAL;
		while (done < count) {
			u64 n = console_peek_input(chunk, MIN(count - done, sizeof(chunk)));

			if (!n)
				break;
			/* Input leaves the ring only once it is in the guest's buffer. */
			if (copy_to_guest(v, buf + done, chunk, n))
				return done ? (long)done : -EFAULT;
			console_consume_input(n);
			done += n;
		}
		return (long)done;
	}
	return -ENOSYS;
}

static long do_platform_op(struct vcpu *v, vaddr_t arg)
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

/*
 * Xen's toolstack interfaces, which Domus does not offer (its toolstack uses
 * domus_ctl): dom0 is told so (-ENOSYS). A domU gets what Xen's default
 * policy gives it (common/domctl.c, sysctl.c): the struct is read (-EFAULT),
 * its version checked (-EACCES), for a domctl the domain it names looked up
 * (-ESRCH; getdomaininfo and the device ops' special ids go on without one),
 * then -EPERM.
 */
static long refuse_ctl(struct vcpu *v, u64 nr, vaddr_t arg)
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

/* Largest per-element struct of event_channel_op and grant_table_op (gnttab_copy: 40 bytes). */
#define OP_BUF_SIZE 64

static long do_event_channel_op(struct vcpu *v, int cmd, vaddr_t arg)
{
	u64 buf[OP_BUF_SIZE / 8];
	long size = evtchn_op_size(cmd), rc;

	if (size < 0)
		return size;
	if (copy_from_guest(v, buf, arg, (u64)size))
		return -EFAULT;
	rc = evtchn_op(v, cmd, buf);
	if (rc == 0 && copy_to_guest(v, arg, buf, (u64)size))
		return -EFAULT;
	return rc;
}

/*
 * Elements of a grant-table batch handled between two preemption points; a
 * cache flush may look through all of a domain's 16,384 mapping records for
 * its frame, so it goes a few at a time.
 */
#define GNTTAB_BATCH 128
#define GNTTAB_FLUSH_BATCH 4

/* An array of count elements, each copied in, handled and copied back with its status. */
static long do_grant_table_op(struct vcpu *v, u32 cmd, vaddr_t uop, u64 count)
{
	u64 buf[OP_BUF_SIZE / 8];
	long size, rc;

	/* As Xen (common/grant_table.c): the count must also be a non-negative int... */
	if (count > INT32_MAX)
		return -EINVAL;
	/* ...and only cache_flush may carry bits above the op (its progress). */
	if ((cmd & ~GNTTABOP_CMD_MASK) && (cmd & GNTTABOP_CMD_MASK) != GNTTABOP_cache_flush)
		return -EINVAL;
	cmd &= GNTTABOP_CMD_MASK;
	switch (cmd) {
	case GNTTABOP_query_size:
	case GNTTABOP_setup_table:
	case GNTTABOP_get_status_frames:
		if (count != 1)
			return -EINVAL;
		break;
	case GNTTABOP_set_version:
	case GNTTABOP_get_version:
		count = 1; /* one struct, whatever the count says */
		break;
	case GNTTABOP_transfer:
		return -EOPNOTSUPP; /* no page transfer but for x86 PV guests */
	}
	size = gnttab_op_size((int)cmd);
	if (size < 0)
		return size;
	for (u64 i = 0; i < count; i++) {
		vaddr_t at = uop + i * (u64)size;

		if (i == (cmd == GNTTABOP_cache_flush ? GNTTAB_FLUSH_BATCH : GNTTAB_BATCH)) {
			/* The rest: the same op on the elements not done yet. */
			arch_call_set_arg(&v->arch, 1, at);
			arch_call_set_arg(&v->arch, 2, count - i);
			return -ERESTART;
		}
		if (copy_from_guest(v, buf, at, (u64)size))
			return -EFAULT;
		rc = gnttab_op(v, (int)cmd, buf);
		if (rc)
			return rc;
		if (copy_to_guest(v, at, buf, (u64)size))
			return -EFAULT;
	}
	return 0;
}

static long do_multicall(struct vcpu *v, vaddr_t list, u64 nr);

/* A call has six arguments at most (Xen's multicall_entry has room for six). */
#define CALL_ARGS 6

static void get_call_args(const struct vcpu *v, u64 args[CALL_ARGS])
{
	for (unsigned int i = 0; i < CALL_ARGS; i++)
		args[i] = arch_call_arg(&v->arch, i);
}

static void set_call_args(struct vcpu *v, const u64 args[CALL_ARGS])
{
	for (unsigned int i = 0; i < CALL_ARGS; i++)
		arch_call_set_arg(&v->arch, i, args[i]);
}

/*
 * One call, number nr, its arguments in x0..x4 (a lone HVC's, or a multicall
 * entry's while it runs). Arguments are cast to the widths of Xen's
 * prototypes: the guest's calling convention leaves the upper half of a
 * 32-bit argument's register undefined.
 */
static long hypercall_call(struct vcpu *v, u64 nr)
{
	u64 x[CALL_ARGS];

	get_call_args(v, x);
	switch (nr) {
	case __HYPERVISOR_xen_version:
		return do_xen_version(v, (int)x[0], x[1]);
	case __HYPERVISOR_memory_op:
		return do_memory_op(v, (u32)x[0], x[1]);
	case __HYPERVISOR_multicall:
		return do_multicall(v, x[0], (u32)x[1]);
	case __HYPERVISOR_vcpu_op:
		return do_vcpu_op(v, (int)x[0], (u32)x[1], x[2]);
	case __HYPERVISOR_sched_op:
		return do_sched_op(v, (int)x[0], x[1]);
	case __HYPERVISOR_event_channel_op:
		return do_event_channel_op(v, (int)x[0], x[1]);
	case __HYPERVISOR_grant_table_op:
		return do_grant_table_op(v, (u32)x[0], x[1], (u32)x[2]);
	case __HYPERVISOR_hvm_op:
		return do_hvm_op(v, x[0], x[1]);
	case __HYPERVISOR_vm_assist:
		return do_vm_assist(v, (u32)x[0], (u32)x[1]);
	case __HYPERVISOR_console_io:
		return do_console_io(v, (int)x[0], (u32)x[1], x[2]);
	case __HYPERVISOR_platform_op:
		return do_platform_op(v, x[0]);
	case __HYPERVISOR_sysctl:
	case __HYPERVISOR_domctl:
		return refuse_ctl(v, nr, x[0]);
	case __HYPERVISOR_hypfs_op:
		/* Xen's policy refuses a domU first (common/hypfs.c); Domus has no hypfs. */
		return v->dom->privileged ? -ENOSYS : -EPERM;
	case __HYPERVISOR_domus_ctl:
		return do_domus_ctl(v, x[0]);
	}
	/* physdev_op, dm_op and anything unknown: as Xen on Arm for dom0's PCI calls. */
	return -ENOSYS;
}

/* Multicall entries run between two preemption points. */
#define MULTICALL_BATCH 16

/*
 * multicall (common/multicall.c): each entry goes through hypercall_call with
 * its arguments in x0..x4, and its result is written back to it. An entry
 * that continues (-ERESTART) gets its remaining arguments written back too,
 * and the multicall continues from that entry, as Xen's does. A multicall
 * inside one is refused (-EINVAL: Xen's re-entry check). The multicall's own
 * registers are the caller's again at the end.
 */
static long do_multicall(struct vcpu *v, vaddr_t list, u64 nr)
{
	u64 saved[CALL_ARGS];
	long rc = 0;
	u64 i;

	get_call_args(v, saved);
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
		set_call_args(v, e.args);
		e.result = e.op == __HYPERVISOR_multicall ? -EINVAL : hypercall_call(v, e.op);
		if (e.result == -ERESTART) {
			get_call_args(v, e.args);
			rc = copy_to_guest(v, at, &e, sizeof(e)) ? -EFAULT : -ERESTART;
			break;
		}
		if (copy_to_guest(v, at + 8, &e.result, sizeof(e.result)))
			rc = -EFAULT;
	}
	set_call_args(v, saved);
	if (rc == -ERESTART) {
		/* The rest, from entry i. */
		arch_call_set_arg(&v->arch, 0, list + i * sizeof(struct multicall_entry));
		arch_call_set_arg(&v->arch, 1, nr - i);
	}
	return rc;
}

void hypercall_dispatch(struct vcpu *v)
{
	long rc = hypercall_call(v, arch_call_nr(&v->arch));

	if (rc == -ERESTART) {
		/*
		 * The handler did a bounded part and left the rest in the argument
		 * registers: back to the HVC, so the guest issues the rest after
		 * whatever is due (an interrupt, another vCPU's turn). No pCPU is
		 * held by one call for longer than a batch.
		 */
		arch_call_repeat(&v->arch);
		sched_preempt_point();
		return;
	}
	arch_call_return(&v->arch, (u64)rc);
}
