/* SPDX-License-Identifier: MIT */
/*
 * sched_op (common/sched/core.c): poll with many ports, bad ports and bad
 * pointers; shutdown codes (the first one set wins, any 8-bit value); remote
 * shutdown of others and of itself; the domain watchdogs.
 * The guest runs with interrupts masked, so a poll never returns early for
 * an upcall: it looks at its ports, or sleeps to its timeout.
 */
#include "hostile.h"

#define SCHED __HYPERVISOR_sched_op
#define NOBODY 0x7fef

static u32 ports[130];

static long poll(u64 list, u32 nr, u64 timeout)
{
	static struct sched_poll p;

	p.ports = list;
	p.nr_ports = nr;
	p.timeout = timeout;
	return hypercall(SCHED, SCHEDOP_poll, &p, 0);
}

static long watchdog(u32 id, u32 timeout)
{
	static struct sched_watchdog w;

	w.id = id;
	w.timeout = timeout;
	return hypercall(SCHED, SCHEDOP_watchdog, &w, 0);
}

static long remote_shutdown(domid_t dom, u32 reason)
{
	static struct sched_remote_shutdown r;

	r.domain_id = dom;
	r.reason = reason;
	return hypercall(SCHED, SCHEDOP_remote_shutdown, &r, 0);
}

static long evop(int op, void *arg)
{
	return hypercall(__HYPERVISOR_event_channel_op, op, arg, 0);
}

static void poll_cases(void)
{
	static struct evtchn_alloc_unbound a;
	static struct evtchn_bind_interdomain b;
	static struct evtchn_send s;
	static struct evtchn_close c;
	u32 idle, busy, other;
	bool ready;
	u64 t0;
	long rc;

	/* An idle port, and a loopback pair whose one end is made pending. */
	a.dom = a.remote_dom = DOMID_SELF;
	ready = !evop(EVTCHNOP_alloc_unbound, &a);
	idle = a.port;
	ready = ready && !evop(EVTCHNOP_alloc_unbound, &a);
	busy = a.port;
	b.remote_dom = DOMID_SELF;
	b.remote_port = busy;
	ready = ready && !evop(EVTCHNOP_bind_interdomain, &b);
	other = b.local_port;
	s.port = other;
	if (ready && !evop(EVTCHNOP_send, &s)) {
		u64 word = 0;

		ready = !probe_read64((SHARED_INFO_GFN << 12) + 48 + (busy / 64) * 8, &word).trapped &&
			(word >> (busy % 64) & 1);
	} else {
		ready = false;
	}
	check("yield", hypercall(SCHED, SCHEDOP_yield, 0, 0), 0);
	for (int i = 0; i < 128; i++)
		ports[i] = idle;
	ports[127] = busy;
	/* Only with a port known to be pending: else the poll would sleep for good. */
	if (ready)
		check("poll of 128 ports, the last one pending", poll((u64)ports, 128, 0), 0);
	else
		check("poll of 128 ports: a pending loopback port to poll (setup)", 0, 1);
	ports[128] = busy;
	check("poll of 129 ports", poll((u64)ports, 129, 0), -EINVAL);
	check("poll of 2^32-1 ports", poll((u64)ports, ~0U, 0), -EINVAL);
	ports[0] = 4096;
	check("poll of port 4096 before a pending one", poll((u64)ports, 128, 0), -EINVAL);
	ports[0] = idle;
	check("poll of a port list at an unmapped address", poll(BAD_PTR, 1, 0), -EFAULT);
	{
		u64 end = RAM_BASE + env.ram_pages * PAGE_SIZE; /* two idle ports, then no memory */

		wr32(end - 8, idle);
		wr32(end - 4, idle);
		check("poll of a list running off the end of its RAM", poll(end - 8, 4, 0), -EFAULT);
	}
	t0 = now_ns();
	rc = poll((u64)ports, 1, 1);
	checkf("poll of an idle port with a timeout already past", rc == 0 && now_ns() - t0 < 2000000000UL,
	       "0 at once", "%ld after %lu ms", rc, (now_ns() - t0) / 1000000);
	check("poll from an unmapped address", hypercall(SCHED, SCHEDOP_poll, BAD_PTR, 0), -EFAULT);
	c.port = idle;
	evop(EVTCHNOP_close, &c);
	c.port = busy;
	evop(EVTCHNOP_close, &c);
	c.port = other;
	evop(EVTCHNOP_close, &c);
}

static void shutdown_cases(void)
{
	static struct sched_shutdown sd;

	check("shutdown with the reason at an unmapped address", hypercall(SCHED, SCHEDOP_shutdown, BAD_PTR, 0),
	      -EFAULT);
	sd.reason = 0x100; /* Xen keeps the low 8 bits: poweroff */
	check("shutdown_code 0x100 (kept as 8 bits: poweroff)", hypercall(SCHED, SCHEDOP_shutdown_code, &sd, 0), 0);
	sd.reason = SHUTDOWN_crash;
	check("shutdown_code crash after one was set (the first wins)",
	      hypercall(SCHED, SCHEDOP_shutdown_code, &sd, 0), 0);
	check("shutdown_code from an unmapped address", hypercall(SCHED, SCHEDOP_shutdown_code, BAD_PTR, 0),
	      -EFAULT);
	check("remote_shutdown of dom0", remote_shutdown(0, SHUTDOWN_poweroff), -EPERM);
	check("remote_shutdown of a domain nobody has", remote_shutdown(NOBODY, SHUTDOWN_poweroff), -ESRCH);
	check("remote_shutdown from an unmapped address", hypercall(SCHED, SCHEDOP_remote_shutdown, BAD_PTR, 0),
	      -EFAULT);
	check("pin_override (hardware domain only)", hypercall(SCHED, SCHEDOP_pin_override, BAD_PTR, 0), -EPERM);
}

static void watchdog_cases(void)
{
	check("watchdog id 3", watchdog(3, 3600), -EINVAL);
	check("watchdog id 1 before any was set", watchdog(1, 3600), -EINVAL);
	check("watchdog new (an hour)", watchdog(0, 3600), 1);
	check("watchdog new, the second", watchdog(0, 3600), 2);
	check("watchdog new, a third", watchdog(0, 3600), -ENOSPC);
	check("watchdog 1 pushed back", watchdog(1, 7200), 0);
	check("watchdog 1 stopped", watchdog(1, 0), 0);
	check("watchdog 2 stopped", watchdog(2, 0), 0);
	check("watchdog 2 stopped again", watchdog(2, 0), -EINVAL);
	check("watchdog from an unmapped address", hypercall(SCHED, SCHEDOP_watchdog, BAD_PTR, 0), -EFAULT);
}

void cases_sched(void)
{
	poll_cases();
	shutdown_cases();
	watchdog_cases();
}

/*
 * Last of all (main.c): remote_shutdown aimed at itself, which Xen refuses.
 * A hypervisor that obeys ends the domain here, so the console says first
 * what is about to be tried.
 */
void cases_sched_last(void)
{
	con_printf("hostile: %u cases so far, %u failed; next: remote_shutdown of itself "
		   "(Xen refuses it; if nothing follows, the hypervisor obeyed)\n", cases, failed);
	con_flush();
	check("remote_shutdown of DOMID_SELF (by id only)", remote_shutdown(DOMID_SELF, SHUTDOWN_poweroff), -ESRCH);
	con_flush();
	check("remote_shutdown of itself by id (device-model privilege)",
	      remote_shutdown(env.domid, SHUTDOWN_poweroff), -EPERM);
}
