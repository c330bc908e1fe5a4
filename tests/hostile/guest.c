/* SPDX-License-Identifier: MIT */
/*
 * A hostile guest domain: a freestanding kernel of ours, created from dom0
 * with `domus create`, that makes hypercalls no unprivileged guest may
 * make: toward dom0's memory, ports, grants and parameters, the toolstack
 * interface, the hypervisor console. Each must be refused with Xen's error.
 * It reports on its own console ring (HVM params, as Linux's hvc_xen finds
 * it) and powers off, so dom0 reads the verdict in the guest's console log:
 *   HOSTILE-GUEST: N cases, M failed
 * Then it turns on xenstored through its own XenStore ring: requests for
 * other domains' nodes and for the toolstack's operations, messages no
 * client should send, node creation past its quota, and last a message too
 * long to frame, after which xenstored must have dropped it (and no one else).
 * The MMU stays off: pointers are guest-physical addresses. (Its ring writes
 * are then non-cacheable; fine under QEMU, which models no caches.)
 */
#include <stddef.h>
#include <stdint.h>

#include <public/domus_ctl.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>
#include <public/xen.h>

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINVAL 22
#define ENOSYS 38

void hostile_main(void);

static long hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	register uint64_t x0 asm("x0") = a0, x1 asm("x1") = a1, x2 asm("x2") = a2;
	register uint64_t x16 asm("x16") = nr;

	asm volatile("hvc #0xea1" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x16) : : "memory");
	return (long)x0;
}

/* Xen's struct xencons_interface. */
struct ring {
	char in[1024];
	char out[2048];
	uint32_t in_cons, in_prod, out_cons, out_prod;
};

static volatile struct ring *cons;
static uint32_t cons_port;

static void putc_ring(char c)
{
	while (cons->out_prod - cons->out_cons >= sizeof(cons->out))
		hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
	cons->out[cons->out_prod % sizeof(cons->out)] = c;
	asm volatile("dmb sy" ::: "memory");
	cons->out_prod++;
}

static void puts_ring(const char *s)
{
	struct evtchn_send send = { .port = cons_port };

	for (; *s; s++) {
		if (*s == '\n')
			putc_ring('\r');
		putc_ring(*s);
	}
	hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uintptr_t)&send, 0);
}

static void put_num(long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;

	buf[i] = 0;
	do
		buf[--i] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		buf[--i] = '-';
	puts_ring(buf + i);
}

static unsigned int cases, failed;

/* One case: the call's result (or a status field) must be want. */
static void check(const char *what, long got, long want)
{
	cases++;
	if (got == want) {
		puts_ring("ok   ");
	} else {
		failed++;
		puts_ring("FAIL ");
	}
	puts_ring(what);
	puts_ring(": ");
	put_num(got);
	puts_ring("\n");
}

/* ---- XenStore, spoken by hand over the ring (Xen's xenstore_domain_interface) ---- */

struct xs_ring {
	char req[1024], rsp[1024];
	uint32_t req_cons, req_prod, rsp_cons, rsp_prod;
	uint32_t server_features, connection, error;
};

enum { XS_READ = 2, XS_INTRODUCE = 8, XS_RELEASE = 9, XS_WRITE = 11, XS_ERROR = 16 };

static volatile struct xs_ring *xs;
static uint32_t xs_port;
static char reply_buf[4097];

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static int same(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static void xs_put(const void *p, size_t n)
{
	const char *c = p;

	for (size_t i = 0; i < n; i++) {
		while (xs->req_prod - xs->req_cons >= sizeof(xs->req))
			hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
		xs->req[xs->req_prod % sizeof(xs->req)] = c[i];
		asm volatile("dmb sy" ::: "memory");
		xs->req_prod++;
	}
}

/* Takes n reply bytes, waiting a bounded time: 0, or -1 if xenstored never sent them. */
static int xs_get(void *p, size_t n)
{
	char *c = p;

	for (size_t i = 0; i < n; i++) {
		for (long spins = 0; xs->rsp_cons == xs->rsp_prod; spins++) {
			if (spins > 200000)
				return -1;
			hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
		}
		asm volatile("dmb sy" ::: "memory");
		c[i] = xs->rsp[xs->rsp_cons % sizeof(xs->rsp)];
		xs->rsp_cons++;
	}
	return 0;
}

/* One request (len is what the header claims; sent is how much payload follows). */
static long xs_call(uint32_t type, const char *payload, uint32_t len, uint32_t sent)
{
	struct { uint32_t type, req_id, tx_id, len; } h = { type, 7, 0, len };
	struct evtchn_send kick = { .port = xs_port };

	xs_put(&h, sizeof(h));
	xs_put(payload, sent);
	hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uintptr_t)&kick, 0);
	if (xs_get(&h, sizeof(h)) || h.len > 4096 || xs_get(reply_buf, h.len))
		return -1;
	reply_buf[h.len] = 0;
	hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uintptr_t)&kick, 0);
	return h.type;
}

/* The request must be answered with XS_ERROR and this error's name. */
static void xs_refused(const char *what, uint32_t type, const char *payload, uint32_t len,
		       const char *err)
{
	long t = xs_call(type, payload, len, len);

	check(what, t == XS_ERROR && same(reply_buf, err, slen(err) + 1) ? 0 : t, 0);
}

static void xenstore_cases(void)
{
	static char big[64];
	long t;
	int n;

	xs_refused("xenstore read of dom0's name", XS_READ, "/local/domain/0/name", 21, "EACCES");
	xs_refused("xenstore write under dom0's home", XS_WRITE, "/local/domain/0/x\0y", 19,
		   "EACCES");
	xs_refused("xenstore INTRODUCE of a domain", XS_INTRODUCE, "5\0" "1234\0" "1", 9,
		   "EACCES");
	xs_refused("xenstore RELEASE of dom0", XS_RELEASE, "0", 2, "EACCES");
	xs_refused("xenstore message of an unknown type", 99, "", 0, "EINVAL");
	xs_refused("xenstore path with a bad character", XS_READ, "a*b", 4, "EINVAL");
	xs_refused("xenstore read without its NUL", XS_READ, "name", 4, "EINVAL");
	t = xs_call(XS_READ, "name", 5, 5);
	check("xenstore still answers our own name", t == XS_READ && same(reply_buf, "hostile", 8) ? 0 : t, 0);
	/* Node quota: Xen's default is 1000 nodes a domain; the 1001st write must be refused. */
	for (n = 0; n < 1100; n++) {
		int i = 0, v = n;

		for (const char *p = "data/q"; *p; p++)
			big[i++] = *p;
		do
			big[i++] = (char)('0' + v % 10);
		while (v /= 10);
		big[i++] = 0;
		big[i++] = 'x';
		t = xs_call(XS_WRITE, big, (uint32_t)i, (uint32_t)i);
		if (t != XS_WRITE)
			break;
	}
	check("xenstore node quota refuses before 1000 nodes more",
	      n < 1000 && t == XS_ERROR && same(reply_buf, "ENOSPC", 7) ? 0 : n, 0);
	/* A length no message may have: refused, and the connection dropped. */
	t = xs_call(XS_READ, "name", 5000, 5);
	check("xenstore 5000-byte message refused", t == XS_ERROR ? 0 : t, 0);
	for (int i = 0; i < 100000 && !xs->error; i++)
		hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
	check("xenstore ring marked broken", xs->error, 1);
}

static uint64_t param(uint32_t index)
{
	struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };

	return hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (uintptr_t)&p, 0) ? 0 : p.value;
}

void hostile_main(void)
{
	static struct domus_ctl ctl;
	static char text[8] = "boo!";
	uint64_t gfn = 0x51000; /* where dom0's RAM usually starts: anything not ours will do */
	uint64_t gpfn = 0x7ff00; /* a frame of our own RAM to map over */

	cons = (volatile struct ring *)(uintptr_t)(param(HVM_PARAM_CONSOLE_PFN) << 12);
	cons_port = (uint32_t)param(HVM_PARAM_CONSOLE_EVTCHN);
	if (!cons || !cons_port)
		goto off; /* nowhere to report: a dom0 without our console would see no verdict */
	puts_ring("HOSTILE-GUEST: starting\n");

	ctl.version = DOMUS_CTL_VERSION;
	ctl.cmd = DOMUS_CTL_getdomaininfo;
	check("domus_ctl getdomaininfo", hypercall(__HYPERVISOR_domus_ctl, (uintptr_t)&ctl, 0, 0), -EPERM);
	ctl.cmd = DOMUS_CTL_destroydomain;
	check("domus_ctl destroy dom0", hypercall(__HYPERVISOR_domus_ctl, (uintptr_t)&ctl, 0, 0), -EPERM);
	check("console_io write on the hypervisor console",
	      hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 4, (uintptr_t)text), -EPERM);
	check("xen_version commandline",
	      hypercall(__HYPERVISOR_xen_version, XENVER_commandline, (uintptr_t)cons + 2048, 0), -EPERM);
	{
		static struct xen_platform_op op = { .cmd = XENPF_settime64,
						     .interface_version = XENPF_INTERFACE_VERSION };

		check("platform_op settime64", hypercall(__HYPERVISOR_platform_op, (uintptr_t)&op, 0, 0), -EPERM);
	}
	{
		static struct xen_hvm_param p = { .domid = 0, .index = HVM_PARAM_STORE_PFN };

		check("hvm_op get_param of dom0", hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (uintptr_t)&p, 0), -EPERM);
		p.domid = DOMID_SELF;
		p.index = HVM_PARAM_CONSOLE_PFN;
		check("hvm_op set_param of itself", hypercall(__HYPERVISOR_hvm_op, HVMOP_set_param, (uintptr_t)&p, 0), -EPERM);
	}
	{
		static struct sched_remote_shutdown rs = { .domain_id = 0, .reason = SHUTDOWN_poweroff };

		check("remote_shutdown of dom0", hypercall(__HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, (uintptr_t)&rs, 0), -EPERM);
	}
	{
		static uint64_t gfns[1];
		static struct xen_memory_reservation r = { .nr_extents = 1, .domid = 0 };

		gfns[0] = gfn;
		r.extent_start = (uintptr_t)gfns;
		check("populate_physmap for dom0", hypercall(__HYPERVISOR_memory_op, XENMEM_populate_physmap, (uintptr_t)&r, 0), -EPERM);
		r.domid = DOMID_SELF;
		check("decrease_reservation of dom0's frame as ours (none done)",
		      hypercall(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, (uintptr_t)&r, 0), 0);
	}
	{
		static struct xen_remove_from_physmap rm = { .domid = 0, .gpfn = 0x51000 };

		check("remove_from_physmap in dom0", hypercall(__HYPERVISOR_memory_op, XENMEM_remove_from_physmap, (uintptr_t)&rm, 0), -EPERM);
	}
	{
		static struct xen_add_to_physmap a = { .domid = 0, .space = XENMAPSPACE_shared_info };

		a.gpfn = gpfn;
		check("add_to_physmap of dom0's shared_info", hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uintptr_t)&a, 0), -EPERM);
	}
	{
		static uint64_t idx, gp;
		static int32_t errs;
		static struct xen_add_to_physmap_batch b = { .domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign,
							     .size = 1, .foreign_domid = 0 };
		long rc;

		idx = gfn;
		gp = gpfn;
		b.idxs = (uintptr_t)&idx;
		b.gpfns = (uintptr_t)&gp;
		b.errs = (uintptr_t)&errs;
		rc = hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap_batch, (uintptr_t)&b, 0);
		check("map a frame of dom0's (add_to_physmap_batch foreign)", rc ? rc : errs, -EPERM);
	}
	{
		static struct evtchn_alloc_unbound au = { .dom = 0, .remote_dom = DOMID_SELF };
		static struct evtchn_status st = { .dom = 0, .port = 1 };
		static struct evtchn_bind_interdomain bi = { .remote_dom = 0, .remote_port = 1 };

		check("evtchn alloc_unbound in dom0", hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (uintptr_t)&au, 0), -EPERM);
		check("evtchn status of dom0's port", hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_status, (uintptr_t)&st, 0), -EPERM);
		check("evtchn bind to a dom0 port not offered to us",
		      hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (uintptr_t)&bi, 0), -EINVAL);
	}
	{
		static struct gnttab_query_size q = { .dom = 0 };
		static struct gnttab_map_grant_ref m = { .flags = GNTMAP_host_map, .ref = 8, .dom = 0 };
		static struct gnttab_copy c = { .len = 8 };

		hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (uintptr_t)&q, 1);
		check("gnttab query_size of dom0 (status)", q.status, GNTST_permission_denied);
		m.host_addr = gpfn << 12;
		hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, (uintptr_t)&m, 1);
		check("gnttab map of a dom0 grant not given to us (status)", m.status, GNTST_general_error);
		c.source.u.gmfn = gfn;
		c.source.domid = 0;
		c.dest.u.gmfn = gpfn;
		c.dest.domid = DOMID_SELF;
		hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_copy, (uintptr_t)&c, 1);
		check("gnttab copy from dom0's memory by frame (status)", c.status, GNTST_permission_denied);
	}
	check("vcpu_op on vCPU 99", hypercall(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 99, 0), -ENOENT);
	check("domctl", hypercall(__HYPERVISOR_domctl, (uintptr_t)&ctl, 0, 0), -ENOSYS);

	xs = (volatile struct xs_ring *)(uintptr_t)(param(HVM_PARAM_STORE_PFN) << 12);
	xs_port = (uint32_t)param(HVM_PARAM_STORE_EVTCHN);
	if (xs && xs_port)
		xenstore_cases();
	else
		check("a XenStore ring from the toolstack", 0, 1);

	puts_ring("HOSTILE-GUEST: ");
	put_num(cases);
	puts_ring(" cases, ");
	put_num(failed);
	puts_ring(" failed\n");
	/* Let dom0's console daemon take the last line before we go. */
	for (int i = 0; i < 100 && cons->out_cons != cons->out_prod; i++)
		hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
off:
	{
		register uint64_t x0 asm("x0") = 0x84000008; /* PSCI SYSTEM_OFF */

		asm volatile("hvc #0" : "+r"(x0) : : "memory");
	}
	for (;;)
		asm volatile("wfi");
}
