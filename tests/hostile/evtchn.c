/* SPDX-License-Identifier: MIT */
/*
 * Event channels (common/event_channel.c, the 2-level ABI; FIFO refused by
 * bad arguments only): every op with bad ports, vCPUs, VIRQs and domains, a
 * loopback channel bound to itself, close twice, unmask out of range, and
 * every port the domain may have taken, then given back.
 */
#include "hostile.h"

#define EV __HYPERVISOR_event_channel_op
#define NOBODY 0x7fef
#define PORTS ((u32 *)(SCRATCH_BASE + 0x400000))

static long ev(int op, void *arg)
{
	return hypercall(EV, op, arg, 0);
}

static long alloc_unbound(domid_t dom, domid_t remote, u32 *port)
{
	static struct evtchn_alloc_unbound a;
	long rc;

	a.dom = dom;
	a.remote_dom = remote;
	a.port = 0;
	rc = ev(EVTCHNOP_alloc_unbound, &a);
	if (port)
		*port = a.port;
	return rc;
}

static long bind_interdomain(domid_t dom, u32 rport, u32 *lport)
{
	static struct evtchn_bind_interdomain b;
	long rc;

	b.remote_dom = dom;
	b.remote_port = rport;
	b.local_port = 0;
	rc = ev(EVTCHNOP_bind_interdomain, &b);
	if (lport)
		*lport = b.local_port;
	return rc;
}

static long bind_virq(u32 virq, u32 vcpu, u32 *port)
{
	static struct evtchn_bind_virq b;
	long rc;

	b.virq = virq;
	b.vcpu = vcpu;
	rc = ev(EVTCHNOP_bind_virq, &b);
	if (port)
		*port = b.port;
	return rc;
}

static long bind_ipi(u32 vcpu, u32 *port)
{
	static struct evtchn_bind_ipi b;
	long rc;

	b.vcpu = vcpu;
	rc = ev(EVTCHNOP_bind_ipi, &b);
	if (port)
		*port = b.port;
	return rc;
}

static long port_op(int op, u32 port)
{
	static struct evtchn_send s; /* close, send and unmask share the layout */

	s.port = port;
	return ev(op, &s);
}

static long bind_vcpu(u32 port, u32 vcpu)
{
	static struct evtchn_bind_vcpu b;

	b.port = port;
	b.vcpu = vcpu;
	return ev(EVTCHNOP_bind_vcpu, &b);
}

static long status(domid_t dom, u32 port, struct evtchn_status *out)
{
	static struct evtchn_status s;
	long rc;

	mem_set(&s, 0, sizeof(s));
	s.dom = dom;
	s.port = port;
	s.status = 0x77;
	rc = ev(EVTCHNOP_status, &s);
	if (out)
		*out = s;
	return rc;
}

/* The pending bit of a port, in shared_info (mapped at gfn by memory.c). */
static u64 shinfo_gfn;

static bool pending(u32 port)
{
	u64 word = rd64((shinfo_gfn << 12) + 48 + (port / 64) * 8);

	return word >> (port % 64) & 1;
}

static void loopback_cases(void)
{
	struct evtchn_status s;
	u32 p1 = 0, p2 = 0;

	check("alloc_unbound offered to itself", alloc_unbound(DOMID_SELF, DOMID_SELF, &p1), 0);
	status(DOMID_SELF, p1, &s);
	checkf("status of the new port: unbound, for our own id", s.status == EVTCHNSTAT_unbound &&
	       s.u.unbound.dom == env.domid, "unbound, dom = our id", "status %u, dom %u", s.status,
	       s.u.unbound.dom);
	check("bind_interdomain to its own unbound port", bind_interdomain(DOMID_SELF, p1, &p2), 0);
	status(DOMID_SELF, p1, &s);
	checkf("status of the other end: interdomain to the new port", s.status == EVTCHNSTAT_interdomain &&
	       s.u.interdomain.dom == env.domid && s.u.interdomain.port == p2, "interdomain, our id, the new port",
	       "status %u, dom %u, port %u (new %u)", s.status, s.u.interdomain.dom, s.u.interdomain.port, p2);
	check("send on one end of the loopback", port_op(EVTCHNOP_send, p2), 0);
	check("the other end is pending", pending(p1), 1);
	check("bind_interdomain to a port already bound", bind_interdomain(DOMID_SELF, p1, 0), -EINVAL);
	check("close of one end", port_op(EVTCHNOP_close, p2), 0);
	check("close of the same end again", port_op(EVTCHNOP_close, p2), -EINVAL);
	status(DOMID_SELF, p1, &s);
	checkf("the other end is unbound again, for us", s.status == EVTCHNSTAT_unbound &&
	       s.u.unbound.dom == env.domid, "unbound, dom = our id", "status %u, dom %u", s.status,
	       s.u.unbound.dom);
	check("send on an unbound port (dropped)", port_op(EVTCHNOP_send, p1), 0);
	check("close of the other end", port_op(EVTCHNOP_close, p1), 0);
	check("send on a closed port", port_op(EVTCHNOP_send, p1), -EINVAL);
	check("status of a closed port", status(DOMID_SELF, p1, &s), 0);
	check("status of a closed port says closed", s.status, EVTCHNSTAT_closed);
}

static void bad_port_cases(void)
{
	check("close of port 0 (reserved)", port_op(EVTCHNOP_close, 0), -EINVAL);
	check("close of port 4096", port_op(EVTCHNOP_close, 4096), -EINVAL);
	check("close of port ~0", port_op(EVTCHNOP_close, ~0U), -EINVAL);
	check("send on port 4096", port_op(EVTCHNOP_send, 4096), -EINVAL);
	check("unmask of port 4096", port_op(EVTCHNOP_unmask, 4096), -EINVAL);
	check("unmask of port ~0", port_op(EVTCHNOP_unmask, ~0U), -EINVAL);
	check("status of port 4096", status(DOMID_SELF, 4096, 0), -EINVAL);
	check("status of dom0's port 1", status(0, 1, 0), -EPERM);
	check("status in a domain nobody has", status(NOBODY, 1, 0), -ESRCH);
	check("alloc_unbound in dom0", alloc_unbound(0, DOMID_SELF, 0), -EPERM);
	check("alloc_unbound in a domain nobody has", alloc_unbound(NOBODY, DOMID_SELF, 0), -ESRCH);
	check("bind_interdomain to a dom0 port not offered to us", bind_interdomain(0, 1, 0), -EINVAL);
	check("bind_interdomain to a domain nobody has", bind_interdomain(NOBODY, 1, 0), -ESRCH);
	check("bind_interdomain to its own port 4095", bind_interdomain(DOMID_SELF, 4095, 0), -EINVAL);
	check("bind_vcpu of port 4096", bind_vcpu(4096, 0), -EINVAL);
	{
		static struct evtchn_bind_pirq b = { .pirq = ~0U };

		check("bind_pirq of pirq ~0", ev(EVTCHNOP_bind_pirq, &b), -EINVAL);
	}
	{
		static struct evtchn_reset r;

		r.dom = 0;
		check("reset of dom0's channels", ev(EVTCHNOP_reset, &r), -EPERM);
		r.dom = NOBODY;
		check("reset of a domain nobody has", ev(EVTCHNOP_reset, &r), -ESRCH);
	}
	check("alloc_unbound from an unmapped address", ev(EVTCHNOP_alloc_unbound, (void *)BAD_PTR), -EFAULT);
	check("send from NULL", ev(EVTCHNOP_send, 0), -EFAULT);
}

static void virq_ipi_cases(void)
{
	struct evtchn_status s;
	u32 pv = 0, pc = 0, pi = 0, p = 0;

	check("bind_virq TIMER on vCPU 0", bind_virq(VIRQ_TIMER, 0, &pv), 0);
	status(DOMID_SELF, pv, &s);
	checkf("status of the VIRQ port", s.status == EVTCHNSTAT_virq && s.u.virq == VIRQ_TIMER && s.vcpu == 0,
	       "virq 0 on vCPU 0", "status %u, virq %u, vCPU %u", s.status, s.u.virq, s.vcpu);
	check("bind_virq TIMER on vCPU 0 again", bind_virq(VIRQ_TIMER, 0, 0), -EEXIST);
	check("bind_virq 24 (past NR_VIRQS)", bind_virq(NR_VIRQS, 0, 0), -EINVAL);
	check("bind_virq ~0", bind_virq(~0U, 0, 0), -EINVAL);
	check("bind_virq of a global VIRQ (DOM_EXC) on vCPU 1", bind_virq(VIRQ_DOM_EXC, 1, 0), -EINVAL);
	check("bind_virq TIMER on vCPU 99", bind_virq(VIRQ_TIMER, 99, 0), -ENOENT);
	check("bind_virq TIMER on vCPU ~0", bind_virq(VIRQ_TIMER, ~0U, 0), -ENOENT);
	check("bind_virq CONSOLE (global) on vCPU 0", bind_virq(VIRQ_CONSOLE, 0, &pc), 0);
	check("bind_vcpu of a per-vCPU VIRQ to vCPU 1", bind_vcpu(pv, 1), -EINVAL);
	check("bind_vcpu of a global VIRQ to vCPU 1", bind_vcpu(pc, 1), 0);
	check("bind_ipi on vCPU 0", bind_ipi(0, &pi), 0);
	check("bind_ipi on vCPU 99", bind_ipi(99, 0), -ENOENT);
	check("send on the IPI port", port_op(EVTCHNOP_send, pi), 0);
	check("the IPI port is pending", pending(pi), 1);
	check("bind_vcpu of an IPI port", bind_vcpu(pi, 1), -EINVAL);
	check("bind_vcpu to vCPU 99", bind_vcpu(pi, 99), -ENOENT);
	check("unmask of the IPI port", port_op(EVTCHNOP_unmask, pi), 0);
	alloc_unbound(DOMID_SELF, DOMID_SELF, &p);
	check("bind_vcpu of an unbound port to the last vCPU", bind_vcpu(p, nr_cpus - 1), 0);

	/* FIFO ABI: only refusals (a good init_control would switch the domain's ABI). */
	{
		static struct evtchn_init_control ic;

		ic.control_gfn = VICTIM(40) >> 12;
		ic.vcpu = 99;
		check("init_control on vCPU 99", ev(EVTCHNOP_init_control, &ic), -ENOENT);
		ic.vcpu = 0;
		ic.offset = 4090;
		check("init_control at offset 4090 (crosses the page)", ev(EVTCHNOP_init_control, &ic), -EINVAL);
		ic.offset = 4;
		check("init_control at offset 4 (misaligned)", ev(EVTCHNOP_init_control, &ic), -EINVAL);
		ic.offset = 0;
		ic.control_gfn = NOWHERE >> 12;
		check("init_control on a frame with no memory", ev(EVTCHNOP_init_control, &ic), -EINVAL);
	}
	{
		static struct evtchn_expand_array ea = { .array_gfn = VICTIM(41) >> 12 };
		static struct evtchn_set_priority sp;

		check("expand_array without FIFO", ev(EVTCHNOP_expand_array, &ea), -EOPNOTSUPP);
		sp.port = pi;
		check("set_priority without FIFO", ev(EVTCHNOP_set_priority, &sp), -ENOSYS);
		sp.port = 4096;
		check("set_priority of port 4096", ev(EVTCHNOP_set_priority, &sp), -EINVAL);
	}
	{
		/* Close what was bound (a port never given stays 0, which is reserved: skip it). */
		u32 bound[4] = { pv, pc, pi, p };
		long bad = 0;

		for (int i = 0; i < 4; i++)
			if (bound[i])
				bad += port_op(EVTCHNOP_close, bound[i]) != 0;
		check("close of the VIRQ, IPI and unbound ports", bad, 0);
	}
}

/* Every port the domain may have, then all of them given back. */
static void exhaustion_cases(void)
{
	unsigned int n = 0;
	long rc = 0, closed_bad = 0;

	while (n < 8192) {
		rc = alloc_unbound(DOMID_SELF, DOMID_SELF, &PORTS[n]);
		if (rc)
			break;
		n++;
	}
	checkf("alloc_unbound until refused: refused with -ENOSPC", rc == -ENOSPC && n > 0, "-28 after some",
	       "%ld after %u ports", rc, n);
	for (unsigned int i = 0; i < n; i++)
		closed_bad += port_op(EVTCHNOP_close, PORTS[i]) != 0;
	check("close of every port it took", closed_bad, 0);
	check("alloc_unbound works again once they are closed", alloc_unbound(DOMID_SELF, DOMID_SELF, &PORTS[0]), 0);
	port_op(EVTCHNOP_close, PORTS[0]);
}

void cases_evtchn(u64 shared_info_gfn)
{
	shinfo_gfn = shared_info_gfn;
	loopback_cases();
	bad_port_cases();
	virq_ipi_cases();
	exhaustion_cases();
}
