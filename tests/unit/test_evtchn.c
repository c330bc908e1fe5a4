// SOURCES: hyp/core/evtchn.c tests/unit/support.c
/* SPDX-License-Identifier: MIT */
/* Host tests of 2-level event channels: every op's arguments, and delivery into shared_info. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/evtchn.h>
#include <domus/p2m.h>
#include <domus/upcall.h>

#include "support.h"
#include <public/domus_ctl.h>
#include <public/event_channel.h>

/* ---- fakes for what evtchn.c calls ---- */
#define NDOM 3
static struct domain doms[NDOM];
static struct vcpu vcpu_store[NDOM][2];
static struct vcpu *vcpu_ptrs[NDOM][2];
static struct shared_info si_store[NDOM];
static struct vcpu_info vi1_store[NDOM]; /* vCPU 1's registered vcpu_info */
static bool present[NDOM];
static int notified[NDOM][2];

struct domain *domain_by_id(domid_t id)
{
	for (int i = 0; i < NDOM; i++)
		if (present[i] && doms[i].id == id)
			return &doms[i];
	return NULL;
}

/* Each domain's RAM is the one frame at gfn 0x40000 (init_control's control block). */
int p2m_lookup(struct domain *d, u64 gfn, paddr_t *pa, enum p2m_type *type)
{
	*type = gfn == 0x40000 ? P2M_RAM : P2M_NONE;
	*pa = mfn_pa(gfn);
	return *type == P2M_RAM ? 0 : -ENOENT;
}

void evtchn_notify_vcpu(struct vcpu *v)
{
	__atomic_fetch_add(&notified[v->dom - doms][v->id], 1, __ATOMIC_RELAXED);
}


/* d0: privileged, 2 vCPUs; d1: 2 vCPUs; d2: 1 vCPU. All with shared_info. */
#define D0 (&doms[0])
#define D1 (&doms[1])
#define D2 (&doms[2])

static int setup(void **state)
{
	static const u32 nr_vcpus[NDOM] = { 2, 2, 1 };

	memset(doms, 0, sizeof(doms));
	memset(vcpu_store, 0, sizeof(vcpu_store));
	memset(si_store, 0, sizeof(si_store));
	memset(vi1_store, 0, sizeof(vi1_store));
	memset(notified, 0, sizeof(notified));
	support_reset();
	for (int i = 0; i < NDOM; i++) {
		struct domain *d = &doms[i];

		d->id = (domid_t)i;
		d->privileged = i == 0;
		d->nr_vcpus = nr_vcpus[i];
		d->vcpus = vcpu_ptrs[i];
		d->shared_info = &si_store[i];
		for (u32 v = 0; v < nr_vcpus[i]; v++) {
			vcpu_store[i][v].dom = d;
			vcpu_store[i][v].id = v;
			vcpu_ptrs[i][v] = &vcpu_store[i][v];
		}
		vcpu_store[i][0].vcpu_info = &si_store[i].vcpu_info[0];
		vcpu_store[i][1].vcpu_info = &vi1_store[i];
		present[i] = true;
		assert_int_equal(evtchn_domain_init(d), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < NDOM; i++) {
		evtchn_domain_close(&doms[i]);
		evtchn_domain_free(&doms[i]);
	}
	return 0;
}

/* ---- the guest's side ---- */
static long op(struct domain *d, int cmd, void *arg)
{
	assert_true(evtchn_op_size(cmd) > 0);
	return evtchn_op(d->vcpus[0], cmd, arg);
}

static long alloc_unbound(struct domain *d, domid_t dom, domid_t remote, u32 *port)
{
	struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = remote, .port = 0xdead };
	long rc = op(d, EVTCHNOP_alloc_unbound, &a);

	if (port)
		*port = a.port;
	return rc;
}

static u32 must_alloc(struct domain *d, domid_t remote)
{
	u32 port;

	assert_int_equal(alloc_unbound(d, DOMID_SELF, remote, &port), 0);
	return port;
}

static long bind_interdomain(struct domain *d, domid_t rdom, u32 rport, u32 *lport)
{
	struct evtchn_bind_interdomain b = { rdom, rport, 0xdead };
	long rc = op(d, EVTCHNOP_bind_interdomain, &b);

	if (lport)
		*lport = b.local_port;
	return rc;
}

static u32 must_bind(struct domain *d, domid_t rdom, u32 rport)
{
	u32 port;

	assert_int_equal(bind_interdomain(d, rdom, rport, &port), 0);
	return port;
}

static long bind_virq(struct domain *d, u32 virq, u32 vcpu, u32 *port)
{
	struct evtchn_bind_virq b = { virq, vcpu, 0xdead };
	long rc = op(d, EVTCHNOP_bind_virq, &b);

	if (port)
		*port = b.port;
	return rc;
}

static long send(struct domain *d, u32 port)
{
	return op(d, EVTCHNOP_send, &(struct evtchn_send){ port });
}

static long close_port(struct domain *d, u32 port)
{
	return op(d, EVTCHNOP_close, &(struct evtchn_close){ port });
}

static long unmask(struct domain *d, u32 port)
{
	return op(d, EVTCHNOP_unmask, &(struct evtchn_unmask){ port });
}

static long bind_vcpu(struct domain *d, u32 port, u32 vcpu)
{
	return op(d, EVTCHNOP_bind_vcpu, &(struct evtchn_bind_vcpu){ port, vcpu });
}

static long status(struct domain *d, domid_t dom, u32 port, struct evtchn_status *s)
{
	memset(s, 0xa5, sizeof(*s));
	s->dom = dom;
	s->port = port;
	return op(d, EVTCHNOP_status, s);
}

static bool pending(struct domain *d, u32 port)
{
	return d->shared_info->evtchn_pending[port / 64] >> (port % 64) & 1;
}

static void mask(struct domain *d, u32 port)
{
	d->shared_info->evtchn_mask[port / 64] |= 1ULL << (port % 64);
}

static int notes(struct domain *d)
{
	return notified[d - doms][0] + notified[d - doms][1];
}

/* What Linux's upcall handler leaves behind once it has handled everything. */
static void guest_handles_all(struct domain *d)
{
	for (u32 v = 0; v < d->nr_vcpus; v++) {
		d->vcpus[v]->vcpu_info->evtchn_upcall_pending = 0;
		d->vcpus[v]->vcpu_info->evtchn_pending_sel = 0;
	}
	memset(d->shared_info->evtchn_pending, 0, sizeof(d->shared_info->evtchn_pending));
	memset(notified[d - doms], 0, sizeof(notified[0]));
}

/* ---- argument checking, op by op ---- */

static void test_op_sizes_and_unsupported_ops(void **state)
{
	static const struct {
		int cmd;
		long size;
	} cases[] = {
		{ EVTCHNOP_bind_interdomain, 12 }, { EVTCHNOP_bind_virq, 12 },
		{ EVTCHNOP_bind_pirq, 12 },	   { EVTCHNOP_close, 4 },
		{ EVTCHNOP_send, 4 },		   { EVTCHNOP_status, 24 },
		{ EVTCHNOP_alloc_unbound, 8 },	   { EVTCHNOP_bind_ipi, 8 },
		{ EVTCHNOP_bind_vcpu, 8 },	   { EVTCHNOP_unmask, 4 },
		{ EVTCHNOP_reset, 2 },		   { EVTCHNOP_init_control, 24 },
		{ EVTCHNOP_expand_array, 8 },	   { EVTCHNOP_set_priority, 8 },
		{ EVTCHNOP_reset_cont, -ENOSYS },  { 15, -ENOSYS },
		{ -1, -ENOSYS },		   { INT_MIN, -ENOSYS },
		{ INT_MAX, -ENOSYS },
	};
	u8 arg[64] = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(evtchn_op_size(cases[i].cmd), cases[i].size);
		if (cases[i].size < 0)
			assert_int_equal(evtchn_op(D0->vcpus[0], cases[i].cmd, arg), -ENOSYS);
	}
}

static void test_alloc_unbound_arguments(void **state)
{
	static const struct {
		int caller;
		domid_t dom, remote;
		long rc;
		domid_t expect_remote;
	} cases[] = {
		{ 1, DOMID_SELF, DOMID_SELF, 0, 1 }, /* DOMID_SELF on both sides: the caller */
		{ 1, DOMID_SELF, 0, 0, 0 },
		{ 1, 1, 0, 0, 0 }, /* its own id works like DOMID_SELF */
		{ 1, DOMID_SELF, 0x1234, 0, 0x1234 }, /* Xen checks remote only at bind */
		{ 1, 0, 1, -EPERM, 0 }, /* for another domain: privileged only */
		{ 1, 2, DOMID_SELF, -EPERM, 0 },
		{ 1, 7, 0, -ESRCH, 0 },
		{ 1, DOMID_IO, 0, -ESRCH, 0 },
		{ 1, DOMID_INVALID, 0, -ESRCH, 0 },
		{ 0, 1, 0, 0, 0 }, /* dom0 for d1: d1 owns the port */
		{ 0, 2, DOMID_SELF, 0, 0 }, /* DOMID_SELF remote: the caller, not dom */
		{ 0, 7, 0, -ESRCH, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct domain *caller = &doms[cases[i].caller];
		struct evtchn_status s;
		u32 port;
		domid_t owner;

		assert_int_equal(alloc_unbound(caller, cases[i].dom, cases[i].remote, &port),
				 cases[i].rc);
		if (cases[i].rc) {
			assert_int_equal(port, 0xdead); /* nothing written back */
			continue;
		}
		owner = cases[i].dom == DOMID_SELF ? caller->id : cases[i].dom;
		assert_in_range(port, 1, 4095);
		assert_int_equal(status(D0, owner, port, &s), 0);
		assert_int_equal(s.status, EVTCHNSTAT_unbound);
		assert_int_equal(s.u.unbound.dom, cases[i].expect_remote);
	}
}

static void test_bind_interdomain_arguments(void **state)
{
	u32 for_d1 = must_alloc(D0, 1), for_d2 = must_alloc(D0, 2);
	u32 loop1 = must_alloc(D1, DOMID_SELF), loop2 = must_alloc(D1, 1);
	u32 in_d2 = must_alloc(D2, 1);
	const struct {
		struct domain *caller;
		domid_t rdom;
		u32 rport;
		long rc;
	} cases[] = {
		{ D1, 0, for_d2, -EINVAL }, /* not offered to d1 */
		{ D1, 0, 0, -EINVAL },
		{ D1, 0, 4095, -EINVAL }, /* free */
		{ D1, 0, 4096, -EINVAL },
		{ D1, 0, 0xffffffff, -EINVAL },
		{ D1, 9, for_d1, -ESRCH },
		{ D1, DOMID_XEN, for_d1, -ESRCH },
		{ D1, 0, for_d1, 0 },
		{ D1, 0, for_d1, -EINVAL }, /* already connected */
		{ D1, DOMID_SELF, loop1, 0 }, /* loopback, as /dev/xen/evtchn does */
		{ D1, 1, loop2, 0 },
		{ D1, 2, in_d2, 0 },
		{ D2, 0, for_d2, 0 },
		{ D2, 0, for_d1, -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 lport = 0xdead;

		assert_int_equal(bind_interdomain(cases[i].caller, cases[i].rdom, cases[i].rport,
						  &lport),
				 cases[i].rc);
		if (cases[i].rc)
			assert_int_equal(lport, 0xdead);
	}
}

static void test_bind_virq_arguments(void **state)
{
	static const struct {
		u32 virq, vcpu;
		long rc;
	} cases[] = {
		{ VIRQ_CONSOLE, 0, 0 },
		{ VIRQ_CONSOLE, 0, -EEXIST },
		{ VIRQ_DOM_EXC, 1, -EINVAL }, /* global VIRQs live on vCPU 0 */
		{ 16, 1, -EINVAL }, /* arch VIRQs are global on Arm */
		{ VIRQ_DEBUG, 1, 0 }, /* per-vCPU: once on each */
		{ VIRQ_DEBUG, 0, 0 },
		{ VIRQ_DEBUG, 1, -EEXIST },
		{ VIRQ_DEBUG, 2, -ENOENT },
		{ VIRQ_TIMER, 0xffffffff, -ENOENT },
		{ VIRQ_XENPMU, 1, 0 },
		{ VIRQ_XENOPROF, 1, 0 },
		{ NR_VIRQS, 0, -EINVAL },
		{ 0xffffffff, 0, -EINVAL },
		{ VIRQ_DOM_EXC, 0, 0 },
		{ NR_VIRQS - 1, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 port = 0xdead;

		assert_int_equal(bind_virq(D0, cases[i].virq, cases[i].vcpu, &port), cases[i].rc);
		if (cases[i].rc)
			assert_int_equal(port, 0xdead);
		else
			assert_in_range(port, 1, 4095);
	}
}

/* A port of each kind in d1, for the tables below. */
struct ports {
	u32 unbound, inter, global_virq, vcpu_virq, closed;
};

static struct ports make_ports(void)
{
	struct ports p;

	p.unbound = must_alloc(D1, 0);
	p.inter = must_bind(D1, 0, must_alloc(D0, 1));
	assert_int_equal(bind_virq(D1, VIRQ_CONSOLE, 0, &p.global_virq), 0);
	assert_int_equal(bind_virq(D1, VIRQ_DEBUG, 1, &p.vcpu_virq), 0);
	p.closed = must_alloc(D1, 0);
	assert_int_equal(close_port(D1, p.closed), 0);
	return p;
}

static void test_bind_vcpu_arguments(void **state)
{
	struct ports p = make_ports();
	const struct {
		u32 port, vcpu;
		long rc;
	} cases[] = {
		{ p.unbound, 1, 0 },   { p.inter, 1, 0 },	  { p.global_virq, 1, 0 },
		{ p.vcpu_virq, 0, -EINVAL }, { p.closed, 1, -EINVAL }, { 0, 1, -EINVAL },
		{ 4095, 0, -EINVAL },  { 4096, 0, -EINVAL },	  { 0xffffffff, 0, -EINVAL },
		{ p.inter, 2, -ENOENT }, { p.inter, 0xffffffff, -ENOENT },
		{ 4096, 2, -ENOENT }, /* the vCPU is checked first, as in Xen */
		{ p.inter, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(bind_vcpu(D1, cases[i].port, cases[i].vcpu), cases[i].rc);
}

static void test_send_arguments(void **state)
{
	struct ports p = make_ports();
	const struct {
		u32 port;
		long rc;
	} cases[] = {
		{ p.unbound, 0 }, /* nobody listens: dropped */
		{ p.inter, 0 },
		{ p.global_virq, -EINVAL },
		{ p.vcpu_virq, -EINVAL },
		{ p.closed, -EINVAL },
		{ 0, -EINVAL },
		{ 4095, -EINVAL },
		{ 4096, -EINVAL },
		{ 0xffffffff, -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(send(D1, cases[i].port), cases[i].rc);
}

static void test_close_arguments(void **state)
{
	struct ports p = make_ports();
	const struct {
		u32 port;
		long rc;
	} cases[] = {
		{ 0, -EINVAL },		 { 4095, -EINVAL },	   { 4096, -EINVAL },
		{ 0xffffffff, -EINVAL }, { p.closed, -EINVAL },	   { p.unbound, 0 },
		{ p.unbound, -EINVAL },	 { p.inter, 0 },	   { p.global_virq, 0 },
		{ p.vcpu_virq, 0 },	 { p.vcpu_virq, -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(close_port(D1, cases[i].port), cases[i].rc);
	/* The VIRQs are free to bind again. */
	assert_int_equal(bind_virq(D1, VIRQ_CONSOLE, 0, NULL), 0);
	assert_int_equal(bind_virq(D1, VIRQ_DEBUG, 1, NULL), 0);
}

static void test_unmask_arguments(void **state)
{
	static const struct {
		u32 port;
		long rc;
	} cases[] = {
		{ 0, 0 }, { 1, 0 }, { 4095, 0 }, /* any valid port, bound or not, as in Xen */
		{ 4096, -EINVAL }, { 0xffffffff, -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(unmask(D1, cases[i].port), cases[i].rc);
}

static void test_status_of_every_state(void **state)
{
	struct ports p = make_ports();
	u32 d0_port = must_alloc(D0, 2);
	const struct {
		struct domain *caller;
		domid_t dom;
		u32 port;
		long rc;
		u32 status, vcpu, u_dom, u_port;
	} cases[] = {
		{ D1, DOMID_SELF, p.unbound, 0, EVTCHNSTAT_unbound, 0, 0, 0 },
		{ D1, 1, p.inter, 0, EVTCHNSTAT_interdomain, 0, 0, 1 },
		{ D1, DOMID_SELF, p.global_virq, 0, EVTCHNSTAT_virq, 0, VIRQ_CONSOLE, 0 },
		{ D1, DOMID_SELF, p.vcpu_virq, 0, EVTCHNSTAT_virq, 1, VIRQ_DEBUG, 0 },
		{ D1, DOMID_SELF, p.closed, 0, EVTCHNSTAT_closed, 0, 0, 0 },
		{ D1, DOMID_SELF, 0, 0, EVTCHNSTAT_closed, 0, 0, 0 }, /* reserved: closed */
		{ D1, DOMID_SELF, 4095, 0, EVTCHNSTAT_closed, 0, 0, 0 },
		{ D1, DOMID_SELF, 4096, -EINVAL, 0, 0, 0, 0 },
		{ D1, DOMID_SELF, 0xffffffff, -EINVAL, 0, 0, 0, 0 },
		{ D1, 0, d0_port, -EPERM, 0, 0, 0, 0 },
		{ D1, 7, 1, -ESRCH, 0, 0, 0, 0 },
		{ D0, 1, p.inter, 0, EVTCHNSTAT_interdomain, 0, 0, 1 }, /* privileged */
		{ D0, DOMID_SELF, d0_port, 0, EVTCHNSTAT_unbound, 0, 2, 0 },
		{ D0, 0, 1, 0, EVTCHNSTAT_interdomain, 0, 1, p.inter },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct evtchn_status s;

		assert_int_equal(status(cases[i].caller, cases[i].dom, cases[i].port, &s),
				 cases[i].rc);
		if (cases[i].rc)
			continue;
		assert_int_equal(s.status, cases[i].status);
		assert_int_equal(s.vcpu, cases[i].vcpu);
		if (s.status == EVTCHNSTAT_virq)
			assert_int_equal(s.u.virq, cases[i].u_dom);
		else if (s.status == EVTCHNSTAT_closed)
			assert_int_equal(s.u.virq, 0);
		else
			assert_int_equal(s.u.interdomain.dom, cases[i].u_dom);
		if (s.status == EVTCHNSTAT_interdomain)
			assert_int_equal(s.u.interdomain.port, cases[i].u_port);
	}
}

/* ---- delivery ---- */

static void test_loopback_delivers_to_own_pending_bits_once(void **state)
{
	u32 a = must_alloc(D1, DOMID_SELF);
	u32 b = must_bind(D1, DOMID_SELF, a);
	struct evtchn_status s;

	assert_int_equal(status(D1, DOMID_SELF, a, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_interdomain);
	assert_int_equal(s.u.interdomain.dom, 1);
	assert_int_equal(s.u.interdomain.port, b);
	/* Binding raises the new port once, in case a send to the unbound end was dropped. */
	assert_true(pending(D1, b));
	assert_int_equal(notified[1][0], 1);
	guest_handles_all(D1);

	assert_int_equal(send(D1, b), 0);
	assert_true(pending(D1, a));
	assert_false(pending(D1, b));
	assert_int_equal(D1->vcpus[0]->vcpu_info->evtchn_upcall_pending, 1);
	assert_int_equal(D1->vcpus[0]->vcpu_info->evtchn_pending_sel, 1ULL << (a / 64));
	assert_int_equal(notified[1][0], 1);
	assert_int_equal(notes(D0) + notes(D2) + notified[1][1], 0);
	/* Already pending: nothing more to say. */
	assert_int_equal(send(D1, b), 0);
	assert_int_equal(notified[1][0], 1);
	/* The other direction: same selector word, upcall still outstanding. */
	assert_int_equal(send(D1, a), 0);
	assert_true(pending(D1, b));
	assert_int_equal(notified[1][0], 1);
}

static void test_masked_port_is_pending_but_silent_until_unmask(void **state)
{
	u32 remote = must_alloc(D0, 1);
	u32 port = must_bind(D1, 0, remote);

	guest_handles_all(D1);
	mask(D1, port);
	assert_int_equal(send(D0, remote), 0);
	assert_true(pending(D1, port));
	assert_int_equal(D1->vcpus[0]->vcpu_info->evtchn_pending_sel, 0);
	assert_int_equal(D1->vcpus[0]->vcpu_info->evtchn_upcall_pending, 0);
	assert_int_equal(notes(D1), 0);

	assert_int_equal(unmask(D1, port), 0);
	assert_int_equal(D1->vcpus[0]->vcpu_info->evtchn_pending_sel, 1ULL << (port / 64));
	assert_int_equal(D1->vcpus[0]->vcpu_info->evtchn_upcall_pending, 1);
	assert_int_equal(notified[1][0], 1);
	/* Unmasking an unmasked port does nothing, even while it is pending. */
	D1->vcpus[0]->vcpu_info->evtchn_pending_sel = 0;
	assert_int_equal(unmask(D1, port), 0);
	assert_int_equal(notified[1][0], 1);
	/* Unmasking a masked port that is not pending does nothing either. */
	guest_handles_all(D1);
	mask(D1, port);
	assert_int_equal(unmask(D1, port), 0);
	assert_int_equal(notes(D1), 0);
	assert_int_equal(D1->shared_info->evtchn_mask[port / 64], 0);
}

static void test_selector_bit_already_set_suppresses_second_notify(void **state)
{
	u32 low[2], high, r;

	/* Ports 1..3 share selector word 0; fill up to 64 for a port in word 1. */
	for (int i = 0; i < 2; i++)
		low[i] = must_bind(D1, 0, must_alloc(D0, 1));
	while ((r = must_alloc(D0, 1)) < 100)
		;
	while ((high = must_alloc(D1, 0)) < 64)
		;
	assert_int_equal(close_port(D1, high), 0);
	high = must_bind(D1, 0, r);
	assert_true(high >= 64);
	guest_handles_all(D1);

	assert_int_equal(send(D0, 1), 0);
	assert_int_equal(send(D0, 2), 0);
	assert_true(pending(D1, low[0]) && pending(D1, low[1]));
	assert_int_equal(notified[1][0], 1);
	assert_int_equal(send(D0, r), 0);
	assert_int_equal(notified[1][0], 2);
	assert_int_equal(D1->vcpus[0]->vcpu_info->evtchn_pending_sel, 1ULL | 1ULL << (high / 64));
}

static void test_send_on_closed_port_fails(void **state)
{
	u32 remote = must_alloc(D0, 1);
	u32 port = must_bind(D1, 0, remote);

	assert_int_equal(close_port(D1, port), 0);
	assert_int_equal(send(D1, port), -EINVAL);
	assert_int_equal(close_port(D1, port), -EINVAL);
}

static void test_closing_one_end_makes_the_other_unbound_again(void **state)
{
	u32 remote = must_alloc(D0, 1);
	u32 port = must_bind(D1, 0, remote);
	struct evtchn_status s;

	assert_true(pending(D1, port));
	assert_int_equal(close_port(D1, port), 0);
	assert_false(pending(D1, port)); /* no stale event for the next binding */
	assert_int_equal(status(D0, 0, remote, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_unbound);
	assert_int_equal(s.u.unbound.dom, 1);
	/* A send on the orphan is dropped; d1 may connect again. */
	guest_handles_all(D1);
	assert_int_equal(send(D0, remote), 0);
	assert_int_equal(notes(D1), 0);
	port = must_bind(D1, 0, remote);

	/* Now from the other side: d1's end waits for d0. */
	assert_int_equal(close_port(D0, remote), 0);
	assert_int_equal(status(D1, DOMID_SELF, port, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_unbound);
	assert_int_equal(s.u.unbound.dom, 0);
	assert_int_equal(send(D1, port), 0);
	assert_int_equal(bind_interdomain(D2, 1, port, NULL), -EINVAL);
	assert_int_equal(must_bind(D0, 1, port), remote); /* lowest free port again */
}

static void test_port_exhaustion(void **state)
{
	u32 remote = must_alloc(D0, 1), port;

	for (u32 want = 1; want < 4096; want++) {
		assert_int_equal(alloc_unbound(D1, DOMID_SELF, 0, &port), 0);
		assert_int_equal(port, want);
	}
	assert_int_equal(alloc_unbound(D1, DOMID_SELF, 0, &port), -ENOSPC);
	assert_int_equal(bind_virq(D1, VIRQ_CONSOLE, 0, NULL), -ENOSPC);
	assert_int_equal(bind_interdomain(D1, 0, remote, NULL), -ENOSPC);
	assert_int_equal(alloc_unbound(D0, 1, 0, &port), -ENOSPC);
	assert_int_equal(close_port(D1, 77), 0);
	assert_int_equal(must_bind(D1, 0, remote), 77);
	assert_int_equal(alloc_unbound(D1, DOMID_SELF, 0, &port), -ENOSPC);
}

static void test_bind_vcpu_moves_delivery(void **state)
{
	u32 remote = must_alloc(D0, 1);
	u32 port = must_bind(D1, 0, remote);
	struct evtchn_status s;

	guest_handles_all(D1);
	assert_int_equal(bind_vcpu(D1, port, 1), 0);
	assert_int_equal(status(D1, DOMID_SELF, port, &s), 0);
	assert_int_equal(s.vcpu, 1);
	assert_int_equal(send(D0, remote), 0);
	assert_int_equal(notified[1][0], 0);
	assert_int_equal(notified[1][1], 1);
	assert_int_equal(vi1_store[1].evtchn_pending_sel, 1ULL << (port / 64));
	assert_int_equal(si_store[1].vcpu_info[0].evtchn_pending_sel, 0);
	/* Closing resets the vCPU: the next binding of the port starts on vCPU 0. */
	assert_int_equal(close_port(D1, port), 0);
	assert_int_equal(status(D1, DOMID_SELF, port, &s), 0);
	assert_int_equal(s.vcpu, 0);
}

static void test_hypervisor_virqs(void **state)
{
	u32 console, debug1, debug0;

	assert_int_equal(evtchn_send_virq(D0, VIRQ_CONSOLE), -ENOENT);
	assert_int_equal(evtchn_send_virq(D0, NR_VIRQS), -EINVAL);
	assert_int_equal(bind_virq(D0, VIRQ_CONSOLE, 0, &console), 0);
	assert_int_equal(bind_virq(D0, VIRQ_DEBUG, 1, &debug1), 0);
	assert_int_equal(bind_virq(D0, VIRQ_DEBUG, 0, &debug0), 0);
	guest_handles_all(D0);

	assert_int_equal(evtchn_send_virq(D0, VIRQ_CONSOLE), 0);
	assert_true(pending(D0, console));
	assert_int_equal(notified[0][0], 1);
	/* A global VIRQ follows bind_vcpu; a per-vCPU one may not move. */
	guest_handles_all(D0);
	assert_int_equal(bind_vcpu(D0, console, 1), 0);
	assert_int_equal(bind_vcpu(D0, debug1, 0), -EINVAL);
	assert_int_equal(evtchn_send_virq(D0, VIRQ_CONSOLE), 0);
	assert_int_equal(notified[0][1], 1);
	assert_int_equal(notified[0][0], 0);
	/* Per-vCPU: the binding of the vCPU named. */
	guest_handles_all(D0);
	assert_int_equal(evtchn_send_vcpu_virq(D0->vcpus[1], VIRQ_DEBUG), 0);
	assert_true(pending(D0, debug1));
	assert_false(pending(D0, debug0));
	assert_int_equal(evtchn_send_vcpu_virq(D0->vcpus[1], VIRQ_XENPMU), -ENOENT);
	/* A global VIRQ named on vCPU 1 is vCPU 0's binding. */
	assert_int_equal(evtchn_send_vcpu_virq(D0->vcpus[1], VIRQ_CONSOLE), 0);
	assert_true(pending(D0, console));
	/* Closing unbinds it. */
	assert_int_equal(close_port(D0, console), 0);
	assert_int_equal(evtchn_send_virq(D0, VIRQ_CONSOLE), -ENOENT);
}

static void test_events_before_shared_info_are_kept(void **state)
{
	u32 remote = must_alloc(D0, 2);
	u32 port = must_bind(D2, 0, remote);

	D2->shared_info = NULL;
	D2->vcpus[0]->vcpu_info = NULL;
	guest_handles_all(D0);
	memset(&si_store[2], 0, sizeof(si_store[2]));
	memset(notified, 0, sizeof(notified));
	assert_int_equal(send(D0, remote), 0);
	assert_int_equal(unmask(D2, port), 0);
	assert_int_equal(notes(D2), 0);
	/* The guest registers its page: the event shows up there. */
	D2->shared_info = &si_store[2];
	D2->vcpus[0]->vcpu_info = &si_store[2].vcpu_info[0];
	evtchn_shared_info_ready(D2);
	assert_true(pending(D2, port));
	assert_int_equal(notified[2][0], 1);

	/* Without the ready call, the next event brings it along. */
	guest_handles_all(D2);
	D2->shared_info = NULL;
	assert_int_equal(send(D0, remote), 0);
	D2->shared_info = &si_store[2];
	assert_false(pending(D2, port));
	assert_int_equal(evtchn_send_virq(D2, VIRQ_CONSOLE), -ENOENT);
	assert_int_equal(bind_virq(D2, VIRQ_CONSOLE, 0, NULL), 0);
	assert_int_equal(evtchn_send_virq(D2, VIRQ_CONSOLE), 0);
	assert_true(pending(D2, port));
	assert_int_equal(notified[2][0], 1);
}

static void test_vcpu_without_vcpu_info_gets_pending_bits_only(void **state)
{
	u32 remote = must_alloc(D0, 1);
	u32 port = must_bind(D1, 0, remote);

	guest_handles_all(D1);
	D1->vcpus[1]->vcpu_info = NULL;
	assert_int_equal(bind_vcpu(D1, port, 1), 0); /* Xen accepts it too */
	assert_int_equal(send(D0, remote), 0);
	assert_true(pending(D1, port));
	assert_int_equal(notes(D1), 0);
}

static void test_destroy_orphans_peers_and_forgets_the_domain(void **state)
{
	u32 r0 = must_alloc(D0, 1), r2 = must_alloc(D2, 1);
	struct evtchn_status s;
	u32 port;

	must_bind(D1, 0, r0);
	must_bind(D1, 2, r2);
	must_bind(D1, DOMID_SELF, must_alloc(D1, DOMID_SELF));
	assert_int_equal(bind_virq(D1, VIRQ_CONSOLE, 0, NULL), 0);
	evtchn_domain_close(D1);
	assert_non_null(D1->evtchn); /* until the grace period is over: others may look */
	evtchn_domain_close(D1); /* twice is harmless */
	evtchn_domain_free(D1);
	assert_null(D1->evtchn);
	evtchn_domain_free(D1);

	assert_int_equal(status(D0, DOMID_SELF, r0, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_unbound);
	assert_int_equal(s.u.unbound.dom, 1);
	assert_int_equal(status(D2, DOMID_SELF, r2, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_unbound);
	assert_int_equal(send(D0, r0), 0);
	assert_int_equal(evtchn_op(D1->vcpus[0], EVTCHNOP_send, &(struct evtchn_send){ 1 }),
			 -ENOSYS);
	assert_int_equal(status(D0, 1, 1, &s), -ESRCH);
	assert_int_equal(alloc_unbound(D0, 1, 0, NULL), -ESRCH);
	assert_int_equal(evtchn_alloc_unbound_port(D1, 0, &port), -ESRCH);
	assert_int_equal(evtchn_send_virq(D1, VIRQ_CONSOLE), -EINVAL);

	/* A new life: d0's orphan is for d1 again. */
	assert_int_equal(evtchn_domain_init(D1), 0);
	assert_int_equal(must_bind(D1, 0, r0), 1);
}

static void test_domain_init_errors(void **state)
{
	struct domain d = { .id = 9, .nr_vcpus = 1 };

	assert_int_equal(evtchn_domain_init(D0), -EEXIST);
	d.nr_vcpus = 0;
	assert_int_equal(evtchn_domain_init(&d), -EINVAL);
	d.nr_vcpus = 0x10001;
	assert_int_equal(evtchn_domain_init(&d), -EINVAL);
	d.nr_vcpus = 1;
	support_alloc_fails = true;
	assert_int_equal(evtchn_domain_init(&d), -ENOMEM);
	assert_null(d.evtchn);
}

static void test_toolstack_alloc_unbound_port(void **state)
{
	struct evtchn_status s;
	u32 port;

	assert_int_equal(evtchn_alloc_unbound_port(D2, 1, &port), 0);
	assert_int_equal(status(D2, DOMID_SELF, port, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_unbound);
	assert_int_equal(s.u.unbound.dom, 1);
	assert_int_equal(must_bind(D1, 2, port), 1);
}

static void test_dump_lists_bound_ports(void **state)
{
	u32 remote = must_alloc(D0, 1);

	must_bind(D1, 0, remote);
	assert_int_equal(bind_virq(D1, VIRQ_DOM_EXC, 0, NULL), 0);
	must_alloc(D1, 2);
	mask(D1, 3);
	evtchn_dump(D1);
	assert_non_null(strstr(support_log, "d1 event channels"));
	assert_non_null(strstr(support_log, "1 v0   P- to d0 port 1"));
	assert_non_null(strstr(support_log, "2 v0   -- virq 3"));
	assert_non_null(strstr(support_log, "3 v0   -M unbound, for d2"));
	assert_null(strstr(support_log, "  4 "));
}

/* Two domains sending to each other at once, while one moves and unmasks: no deadlock. */
#define ROUNDS 20000
static u32 ping_port, pong_port;

static void *pinger(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		assert_int_equal(send(D0, ping_port), 0);
		__atomic_store_n(&D1->shared_info->evtchn_pending[0], 0, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void *ponger(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		assert_int_equal(send(D1, pong_port), 0);
		assert_int_equal(bind_vcpu(D1, pong_port, i & 1), 0);
		assert_int_equal(unmask(D1, pong_port), 0);
		__atomic_store_n(&D0->shared_info->evtchn_pending[0], 0, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void test_crossed_sends_do_not_deadlock(void **state)
{
	pthread_t a, b;

	ping_port = must_alloc(D0, 1);
	pong_port = must_bind(D1, 0, ping_port);
	assert_int_equal(pthread_create(&a, NULL, pinger, NULL), 0);
	assert_int_equal(pthread_create(&b, NULL, ponger, NULL), 0);
	assert_int_equal(pthread_join(a, NULL), 0);
	assert_int_equal(pthread_join(b, NULL), 0);
	assert_true(notes(D0) >= 1 && notes(D1) >= 1);
}

/* IPI ports: raised by a send on themselves, on their own vCPU; not movable (Xen's evtchn_bind_ipi). */
static void test_ipi_ports(void **state)
{
	struct evtchn_bind_ipi b = { .vcpu = 1, .port = 0xdead };
	struct evtchn_status s;

	assert_int_equal(op(D1, EVTCHNOP_bind_ipi, &(struct evtchn_bind_ipi){ .vcpu = 2 }), -ENOENT);
	assert_int_equal(op(D1, EVTCHNOP_bind_ipi, &b), 0);
	assert_int_equal(status(D1, DOMID_SELF, b.port, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_ipi);
	assert_int_equal(s.vcpu, 1);
	assert_int_equal(send(D1, b.port), 0);
	assert_true(pending(D1, b.port));
	assert_int_equal(notified[1][1], 1);
	assert_int_equal(bind_vcpu(D1, b.port, 0), -EINVAL);
	assert_int_equal(close_port(D1, b.port), 0);
	assert_false(pending(D1, b.port));
}

/* What Domus does not offer gets Xen's refusals, in Xen's order (event_channel.c, event_fifo.c). */
static void test_pirq_fifo_and_reset_refusals(void **state)
{
	static const struct {
		u32 vcpu, offset;
		u64 gfn;
		long rc;
	} inits[] = {
		{ 2, 0, 0x40000, -ENOENT }, { 0, 4096 - 71, 0x40000, -EINVAL }, { 0, 4, 0x40000, -EINVAL },
		{ 0, 0, 0x1234, -EINVAL },  { 0, 4096 - 72, 0x40000, -ENOSYS },
	};

	assert_int_equal(op(D1, EVTCHNOP_bind_pirq, &(struct evtchn_bind_pirq){ .pirq = 0 }), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(inits); i++) {
		struct evtchn_init_control c = { .control_gfn = inits[i].gfn, .offset = inits[i].offset,
						 .vcpu = inits[i].vcpu };

		assert_int_equal(op(D1, EVTCHNOP_init_control, &c), inits[i].rc);
	}
	assert_int_equal(op(D1, EVTCHNOP_expand_array, &(struct evtchn_expand_array){ 0x40000 }),
			 -EOPNOTSUPP);
	assert_int_equal(op(D1, EVTCHNOP_set_priority, &(struct evtchn_set_priority){ 1, 0 }), -ENOSYS);
	assert_int_equal(op(D1, EVTCHNOP_set_priority, &(struct evtchn_set_priority){ 4096, 0 }), -EINVAL);
	assert_int_equal(op(D1, EVTCHNOP_reset, &(struct evtchn_reset){ 0 }), -EPERM);
	assert_int_equal(op(D1, EVTCHNOP_reset, &(struct evtchn_reset){ 7 }), -ESRCH);
	/* dom0 resets a domain only while it is paused */
	assert_int_equal(op(D0, EVTCHNOP_reset, &(struct evtchn_reset){ 1 }), -EINVAL);
}

/* A reset closes every port of the domain: a peer's end goes back to unbound. */
static void test_reset_closes_every_port(void **state)
{
	u32 p0 = must_alloc(D0, 1), p1 = must_bind(D1, 0, p0), v;
	struct evtchn_status s;

	assert_int_equal(bind_virq(D1, VIRQ_TIMER, 0, &v), 0);
	assert_int_equal(op(D1, EVTCHNOP_reset, &(struct evtchn_reset){ DOMID_SELF }), 0);
	assert_int_equal(status(D1, DOMID_SELF, p1, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_closed);
	assert_int_equal(status(D1, DOMID_SELF, v, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_closed);
	assert_int_equal(status(D0, DOMID_SELF, p0, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_unbound);
	D1->state = DOMAIN_PAUSED;
	assert_int_equal(bind_virq(D1, VIRQ_TIMER, 0, &v), 0);
	assert_int_equal(op(D0, EVTCHNOP_reset, &(struct evtchn_reset){ 1 }), 0);
	assert_int_equal(status(D1, DOMID_SELF, v, &s), 0);
	assert_int_equal(s.status, EVTCHNSTAT_closed);
}

/* ---- a domain's ports carried as they are (getports, setports) ---- */

/* D1 torn down and made again with no ports, its shared_info cleared: the target's new domain. */
static void rebuild(struct domain *d)
{
	evtchn_domain_close(d);
	evtchn_domain_free(d);
	memset(d->shared_info, 0, sizeof(*d->shared_info));
	assert_int_equal(evtchn_domain_init(d), 0);
}

static u32 all_ports(struct domain *d, struct domus_port *out, u32 n)
{
	u32 next, got = evtchn_ports_get(d, 1, out, n, &next);

	assert_int_equal(next, 0);
	return got;
}

static void test_ports_carried_to_a_new_domain_work_as_before(void **state)
{
	struct domus_port before[16], after[16];
	u32 store, ring, timer1, console, ipi, n;

	/* The guest's store port (unbound for dom0), a front end's ring bound by dom0, ... */
	store = must_alloc(D1, 0);
	ring = must_alloc(D1, 0);
	u32 back = must_bind(D0, 1, ring);
	/* ... vCPU 1's timer, a global VIRQ moved to vCPU 1, an IPI of vCPU 1. */
	assert_int_equal(bind_virq(D1, VIRQ_TIMER, 1, &timer1), 0);
	assert_int_equal(bind_virq(D1, VIRQ_CONSOLE, 0, &console), 0);
	assert_int_equal(bind_vcpu(D1, console, 1), 0);
	struct evtchn_bind_ipi bi = { .vcpu = 1 };
	assert_int_equal(op(D1, EVTCHNOP_bind_ipi, &bi), 0);
	ipi = bi.port;
	/* The ring has an event waiting; the console port is masked. */
	assert_int_equal(send(D0, back), 0);
	mask(D1, console);

	n = all_ports(D1, before, 16);
	assert_int_equal(n, 5);
	assert_int_equal(before[0].port, store);
	assert_int_equal(before[0].state, DOMUS_PORT_UNBOUND);
	assert_int_equal(before[0].remote_dom, 0);
	assert_int_equal(before[1].port, ring);
	assert_int_equal(before[1].state, DOMUS_PORT_INTERDOMAIN);
	assert_int_equal(before[1].remote_port, back);
	assert_int_equal(before[1].flags, DOMUS_PORT_PENDING);
	assert_int_equal(before[2].state, DOMUS_PORT_VIRQ);
	assert_int_equal(before[2].virq, VIRQ_TIMER);
	assert_int_equal(before[2].notify_vcpu, 1);
	assert_int_equal(before[3].virq, VIRQ_CONSOLE);
	assert_int_equal(before[3].notify_vcpu, 1);
	assert_int_equal(before[3].flags, DOMUS_PORT_MASKED);
	assert_int_equal(before[4].state, DOMUS_PORT_IPI);
	assert_int_equal(before[4].port, ipi);

	/* The target: the ring's port waits for its new back end in dom0. */
	rebuild(D1);
	for (u32 i = 0; i < n; i++) {
		struct domus_port p = before[i];

		if (p.state == DOMUS_PORT_INTERDOMAIN)
			p = (struct domus_port){ .port = p.port, .state = DOMUS_PORT_UNBOUND,
						 .flags = p.flags, .notify_vcpu = p.notify_vcpu };
		assert_int_equal(evtchn_port_set(D1, &p), 0);
	}
	assert_int_equal(all_ports(D1, after, 16), n);
	for (u32 i = 0; i < n; i++) {
		if (before[i].state == DOMUS_PORT_INTERDOMAIN) {
			assert_int_equal(after[i].state, DOMUS_PORT_UNBOUND);
			assert_int_equal(after[i].flags, DOMUS_PORT_PENDING);
			continue;
		}
		assert_memory_equal(&after[i], &before[i], sizeof(after[i]));
	}

	/* Each works as it did: a new back end binds the ring's port and its events arrive. */
	guest_handles_all(D1);
	back = must_bind(D0, 1, ring);
	assert_int_equal(send(D0, back), 0);
	assert_true(pending(D1, ring));
	assert_int_equal(evtchn_send_vcpu_virq(D1->vcpus[1], VIRQ_TIMER), 0);
	assert_true(pending(D1, timer1));
	assert_int_equal(notified[1][1], 1);
	assert_int_equal(evtchn_send_virq(D1, VIRQ_CONSOLE), 0);
	assert_true(pending(D1, console));
	assert_int_equal(send(D1, ipi), 0);
	assert_true(pending(D1, ipi));
	/* Bound once, as before: binding them again is refused. */
	assert_int_equal(bind_virq(D1, VIRQ_TIMER, 1, NULL), -EEXIST);
	assert_int_equal(bind_virq(D1, VIRQ_CONSOLE, 0, NULL), -EEXIST);
	assert_int_equal(bind_interdomain(D0, 1, store, NULL) >= 0, true);
}

static void test_getports_goes_on_where_it_stopped(void **state)
{
	struct domus_port got[2];
	u32 p[5], next;

	for (int i = 0; i < 5; i++)
		p[i] = must_alloc(D1, 0);
	assert_int_equal(close_port(D1, p[2]), 0);
	assert_int_equal(evtchn_ports_get(D1, 1, got, 2, &next), 2);
	assert_int_equal(got[0].port, p[0]);
	assert_int_equal(got[1].port, p[1]);
	/* The freed port is skipped: next names the next bound one. */
	assert_int_equal(next, p[3]);
	assert_int_equal(evtchn_ports_get(D1, next, got, 2, &next), 2);
	assert_int_equal(got[0].port, p[3]);
	assert_int_equal(got[1].port, p[4]);
	assert_int_equal(next, 0);
	assert_int_equal(evtchn_ports_get(D1, p[4] + 1, got, 2, &next), 0);
	assert_int_equal(next, 0);
}

static void test_setports_refuses_what_it_cannot_make(void **state)
{
	const struct domus_port good = { .port = 7, .state = DOMUS_PORT_IPI, .notify_vcpu = 1 };
	static const struct {
		const char *what;
		struct domus_port p;
		int rc;
	} cases[] = {
		{ "port 0", { .port = 0, .state = DOMUS_PORT_UNBOUND }, -EINVAL },
		{ "past the last port", { .port = EVTCHN_2L_NR_CHANNELS, .state = DOMUS_PORT_UNBOUND }, -EINVAL },
		{ "free", { .port = 9, .state = 0 }, -EINVAL },
		{ "interdomain", { .port = 9, .state = DOMUS_PORT_INTERDOMAIN, .remote_port = 3 }, -EINVAL },
		{ "unknown state", { .port = 9, .state = 5 }, -EINVAL },
		{ "no such vCPU", { .port = 9, .state = DOMUS_PORT_IPI, .notify_vcpu = 2 }, -EINVAL },
		{ "VIRQ past the last", { .port = 9, .state = DOMUS_PORT_VIRQ, .virq = NR_VIRQS }, -EINVAL },
		{ "a VIRQ number on an IPI", { .port = 9, .state = DOMUS_PORT_IPI, .virq = 1 }, -EINVAL },
		{ "a peer on a VIRQ", { .port = 9, .state = DOMUS_PORT_VIRQ, .remote_dom = 3 }, -EINVAL },
		{ "a peer's port", { .port = 9, .state = DOMUS_PORT_UNBOUND, .remote_port = 3 }, -EINVAL },
		{ "unknown flags", { .port = 9, .state = DOMUS_PORT_UNBOUND, .flags = 4 }, -EINVAL },
		{ "pad", { .port = 9, .state = DOMUS_PORT_UNBOUND, .pad = 1 }, -EINVAL },
		{ "a port set already", { .port = 7, .state = DOMUS_PORT_UNBOUND }, -EEXIST },
		{ "unbound already, for another domain", { .port = 1, .state = DOMUS_PORT_UNBOUND,
							   .remote_dom = 3 }, -EEXIST },
		{ "unbound already, for the same domain", { .port = 1, .state = DOMUS_PORT_UNBOUND,
							    .flags = DOMUS_PORT_PENDING }, 0 },
		{ "a VIRQ bound already", { .port = 9, .state = DOMUS_PORT_VIRQ, .virq = VIRQ_TIMER,
					    .notify_vcpu = 1 }, -EEXIST },
		{ "a global VIRQ, wherever it notifies", { .port = 9, .state = DOMUS_PORT_VIRQ,
							     .virq = VIRQ_CONSOLE }, -EEXIST },
		{ "the same VIRQ on the other vCPU", { .port = 9, .state = DOMUS_PORT_VIRQ,
						       .virq = VIRQ_TIMER }, 0 },
	};
	struct domus_port out[5];

	rebuild(D1);
	assert_int_equal(evtchn_port_set(D1, &good), 0);
	assert_int_equal(evtchn_port_set(D1, &(struct domus_port){ .port = 8, .state = DOMUS_PORT_VIRQ,
							       .virq = VIRQ_TIMER, .notify_vcpu = 1 }), 0);
	assert_int_equal(evtchn_port_set(D1, &(struct domus_port){ .port = 10, .state = DOMUS_PORT_VIRQ,
							       .virq = VIRQ_CONSOLE, .notify_vcpu = 1 }), 0);
	/* The toolstack's console port, made when the domain was: the first free, 1. */
	u32 console;
	assert_int_equal(evtchn_alloc_unbound_port(D1, 0, &console), 0);
	assert_int_equal(console, 1);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = evtchn_port_set(D1, &cases[i].p);

		if (rc != cases[i].rc)
			fail_msg("%s: %d, not %d", cases[i].what, rc, cases[i].rc);
	}
	/* Nothing refused left a trace; the toolstack's port kept its binding, with the bit. */
	assert_int_equal(all_ports(D1, out, 5), 5);
	assert_int_equal(out[0].port, 1);
	assert_int_equal(out[0].remote_dom, 0);
	assert_int_equal(out[0].flags, DOMUS_PORT_PENDING);
	assert_int_equal(out[1].port, 7);
	assert_int_equal(out[2].port, 8);
	assert_int_equal(out[3].port, 9);
	assert_int_equal(out[4].port, 10);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_op_sizes_and_unsupported_ops),
		T(test_alloc_unbound_arguments),
		T(test_bind_interdomain_arguments),
		T(test_bind_virq_arguments),
		T(test_bind_vcpu_arguments),
		T(test_send_arguments),
		T(test_close_arguments),
		T(test_unmask_arguments),
		T(test_status_of_every_state),
		T(test_loopback_delivers_to_own_pending_bits_once),
		T(test_masked_port_is_pending_but_silent_until_unmask),
		T(test_selector_bit_already_set_suppresses_second_notify),
		T(test_send_on_closed_port_fails),
		T(test_closing_one_end_makes_the_other_unbound_again),
		T(test_port_exhaustion),
		T(test_bind_vcpu_moves_delivery),
		T(test_hypervisor_virqs),
		T(test_events_before_shared_info_are_kept),
		T(test_vcpu_without_vcpu_info_gets_pending_bits_only),
		T(test_destroy_orphans_peers_and_forgets_the_domain),
		T(test_domain_init_errors),
		T(test_toolstack_alloc_unbound_port),
		T(test_dump_lists_bound_ports),
		T(test_crossed_sends_do_not_deadlock),
		T(test_ipi_ports),
		T(test_pirq_fifo_and_reset_refusals),
		T(test_reset_closes_every_port),
		T(test_ports_carried_to_a_new_domain_work_as_before),
		T(test_getports_goes_on_where_it_stopped),
		T(test_setports_refuses_what_it_cannot_make),
	};

	/* A deadlock fails the run rather than hanging it. */
	alarm(120);
	return cmocka_run_group_tests_name("evtchn", tests, NULL, NULL);
}
