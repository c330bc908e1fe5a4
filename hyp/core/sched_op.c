/* SPDX-License-Identifier: MIT */
/* sched_op: a vCPU yields, blocks or polls, a domain shuts down, a watchdog is set. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/evtchn.h>
#include <domus/guest_access.h>
#include <domus/sched.h>
#include <domus/sched_op.h>
#include <domus/vcpu_op.h>
#include <public/sched.h>
#include <public/xen.h>

long do_sched_op(struct vcpu *v, int cmd, vaddr_t arg)
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
			if (evtchn_port_pending(v->dom, port))
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
			__atomic_store_n(&v->dom->shutdown_reason, (u8)reason, __ATOMIC_RELAXED);
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
