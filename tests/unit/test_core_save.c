// SOURCES: @core tests/unit/core_harness.c
/* SPDX-License-Identifier: MIT */
/*
 * Save and restore's hypervisor half on the fake machine: state is read only
 * from a domain that is stopped, written only into one being built and in
 * order, each refusal leaves nothing changed, and a cancelled suspend runs
 * the guest on with its call returning 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <domus/domain.h>
#include <domus/errno.h>
#include <public/sched.h>
#include <public/xen.h>

#include "core_harness.h"

static struct domus_vcpu_state state;

/* get or set through a buffer in dom0's own memory, as the toolstack's would be. */
static long vcpu_state(struct guest *g, u32 cmd, domid_t id, u32 vcpu, struct domus_vcpu_state *s)
{
	u64 buffer = guest_alloc_pages(g, 1); /* dom0's, never freed: a few pages a test */
	struct domus_ctl c = { .cmd = cmd, .domid = id };
	long rc;

	memcpy(guest_mem(g, buffer), s, sizeof(*s));
	c.u.vcpustate = (struct domus_ctl_vcpustate){ .vcpu = vcpu, .size = sizeof(*s),
						      .buffer = buffer };
	rc = guest_domus_ctl(g, &c);
	memcpy(s, guest_mem(g, buffer), sizeof(*s));
	return rc;
}

static long domain_state(struct guest *g, u32 cmd, domid_t id, struct domus_ctl_domainstate *s)
{
	struct domus_ctl c = { .cmd = cmd, .domid = id };
	long rc;

	c.u.domainstate = *s;
	rc = guest_domus_ctl(g, &c);
	*s = c.u.domainstate;
	return rc;
}

static bool may_end;

static void domu_runs_until_told(struct guest *g)
{
	while (!__atomic_load_n(&may_end, __ATOMIC_ACQUIRE))
		guest_yield(g);
}

static void dom0_reads_state_only_from_a_stopped_domain(struct guest *g)
{
	struct domus_ctl_domainstate ds = { 0 };
	struct domus_ctl c;
	long id;

	may_end = false;
	id = guest_domu_create(g, &(struct domu_spec){ .name = "read" }, domu_runs_until_told, 7);
	GUEST_EXPECT(g, id > 0);
	/* Running: its registers are in a CPU, or about to be. */
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_getvcpustate, (domid_t)id, 0, &state), -EBUSY);
	GUEST_EXPECT_EQ(g, domain_state(g, DOMUS_CTL_getdomainstate, (domid_t)id, &ds), -EBUSY);
	GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)id, true), 0);
	memset(&state, 0xee, sizeof(state));
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_getvcpustate, (domid_t)id, 0, &state), 0);
	GUEST_EXPECT_EQ(g, state.vcpu, 0);
	GUEST_EXPECT_EQ(g, state.flags & DOMUS_VCPU_STATE_DOWN, 0);
	GUEST_EXPECT_EQ(g, state.vcpu_info_gfn, GFN_NONE); /* it never registered one */
	GUEST_EXPECT_EQ(g, domain_state(g, DOMUS_CTL_getdomainstate, (domid_t)id, &ds), 0);
	/* A vCPU it does not have, a buffer of another size, its own dom0. */
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_getvcpustate, (domid_t)id, 1, &state), -ENOENT);
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_getvcpustate, .domid = (domid_t)id };
	c.u.vcpustate = (struct domus_ctl_vcpustate){ .size = 8, .buffer = guest_alloc_pages(g, 1) };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_getvcpustate, 0, 0, &state), -EINVAL);
	/* Nor may a running domain's state be written, or a paused one's. */
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_setvcpustate, (domid_t)id, 0, &state), -EBUSY);
	GUEST_EXPECT_EQ(g, domain_state(g, DOMUS_CTL_setdomainstate, (domid_t)id, &ds), -EBUSY);
	/* Resume is for a domain shut down for suspend only. */
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_resumedomain, .domid = (domid_t)id };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)id, false), 0);
	__atomic_store_n(&may_end, true, __ATOMIC_RELEASE);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_state_is_read_only_from_a_paused_or_suspended_domain(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_reads_state_only_from_a_stopped_domain });
}

static void dom0_writes_state_into_a_domain_being_built(struct guest *g)
{
	struct domus_ctl_domainstate ds = { .counter = 1000, .shared_info_gfn = GFN_NONE };
	struct domus_vcpu_state s = { .vcpu = 0, .pc = 0x1234, .vcpu_info_gfn = GFN_NONE };
	u64 free = guest_free_pages(g);
	long id = guest_domu_build(g, &(struct domu_spec){ .name = "restored", .nr_vcpus = 2 });

	GUEST_EXPECT(g, id > 0);
	/* The domain's counter first: the vCPUs' timers are set against it. */
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_setvcpustate, (domid_t)id, 0, &s), -EINVAL);
	ds.gicd_ctlr = 4; /* a group enable no distributor has */
	GUEST_EXPECT_EQ(g, domain_state(g, DOMUS_CTL_setdomainstate, (domid_t)id, &ds), -EINVAL);
	ds.gicd_ctlr = 2;
	ds.vm_assist = 1U << 31; /* an assist Domus does not have */
	GUEST_EXPECT_EQ(g, domain_state(g, DOMUS_CTL_setdomainstate, (domid_t)id, &ds), -EINVAL);
	ds.vm_assist = 1U << VMASST_TYPE_runstate_update_flag;
	GUEST_EXPECT_EQ(g, domain_state(g, DOMUS_CTL_setdomainstate, (domid_t)id, &ds), 0);
	GUEST_EXPECT_EQ(g, domain_state(g, DOMUS_CTL_setdomainstate, (domid_t)id, &ds), -EBUSY);
	/* A record for another vCPU than named, flags nobody defined, a state no guest has. */
	s.vcpu = 1;
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_setvcpustate, (domid_t)id, 0, &s), -EINVAL);
	s.vcpu = 0;
	s.flags = 1U << 7;
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_setvcpustate, (domid_t)id, 0, &s), -EINVAL);
	s.flags = 0;
	s.pstate = 0x9; /* EL2h */
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_setvcpustate, (domid_t)id, 0, &s), -EINVAL);
	s.pstate = 0;
	/* A vcpu_info where the domain has no RAM. */
	s.vcpu_info_gfn = 0x10;
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_setvcpustate, (domid_t)id, 0, &s), -EINVAL);
	s.vcpu_info_gfn = GFN_NONE;
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_setvcpustate, (domid_t)id, 0, &s), 0);
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_setvcpustate, (domid_t)id, 0, &s), -EBUSY);
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_setvcpustate, (domid_t)id, 2, &s), -ENOENT);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_state_is_written_only_into_a_domain_being_built_and_in_order(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_writes_state_into_a_domain_being_built });
}

static long ports(struct guest *g, u32 cmd, domid_t id, u64 buffer, u32 count, u32 *next)
{
	struct domus_ctl c = { .cmd = cmd, .domid = id };
	long rc;

	c.u.ports = (struct domus_ctl_ports){ .buffer = buffer, .first = 1, .count = count };
	if (cmd == DOMUS_CTL_setports)
		c.u.ports.first = 0;
	rc = guest_domus_ctl(g, &c);
	if (next)
		*next = c.u.ports.next;
	return rc ? rc : cmd == DOMUS_CTL_getports ? (long)c.u.ports.count : 0;
}

/* A port of the guest's, not the toolstack's: made by dom0 here for a peer nobody has. */
#define GUESTS_PORT_PEER 77

static void dom0_carries_ports_from_a_stopped_domain_into_a_built_one(struct guest *g)
{
	struct domus_ctl_domainstate ds = { .counter = 1000, .shared_info_gfn = GFN_NONE };
	struct evtchn_alloc_unbound a = { .remote_dom = GUESTS_PORT_PEER };
	u64 buffer = guest_alloc_pages(g, 2);
	struct domus_port *p = guest_mem(g, buffer), mine = { 0 };
	struct domus_ctl c;
	long id, to, n;
	u32 next, frames;

	may_end = false;
	id = guest_domu_create(g, &(struct domu_spec){ .name = "ports" }, domu_runs_until_told, 7);
	GUEST_EXPECT(g, id > 0);
	a.dom = (domid_t)id;
	GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_alloc_unbound, &a, sizeof(a)), 0);
	/* Running: it could bind or close one between two calls. */
	GUEST_EXPECT_EQ(g, ports(g, DOMUS_CTL_getports, (domid_t)id, buffer, 8, NULL), -EBUSY);
	GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)id, true), 0);
	GUEST_EXPECT_EQ(g, ports(g, DOMUS_CTL_getports, (domid_t)id, buffer, 0, NULL), -EINVAL);
	GUEST_EXPECT_EQ(g, ports(g, DOMUS_CTL_getports, (domid_t)id, buffer,
				 DOMUS_PORTS_MAX + 1, NULL), -EINVAL);
	n = ports(g, DOMUS_CTL_getports, (domid_t)id, buffer, DOMUS_PORTS_MAX, &next);
	GUEST_EXPECT(g, n >= 1);
	GUEST_EXPECT_EQ(g, next, 0);
	for (long i = 0; i < n; i++)
		if (p[i].port == a.port)
			mine = p[i];
	GUEST_EXPECT_EQ(g, mine.state, DOMUS_PORT_UNBOUND);
	GUEST_EXPECT_EQ(g, mine.remote_dom, GUESTS_PORT_PEER);
	/* Into a running domain, no. */
	GUEST_EXPECT_EQ(g, ports(g, DOMUS_CTL_setports, (domid_t)id, buffer, 1, NULL), -EBUSY);

	to = guest_domu_build(g, &(struct domu_spec){ .name = "ports-to" });
	GUEST_EXPECT(g, to > 0);
	p[0] = mine;
	/* Before its setdomainstate (which masks every port), no. */
	GUEST_EXPECT_EQ(g, ports(g, DOMUS_CTL_setports, (domid_t)to, buffer, 1, NULL), -EINVAL);
	GUEST_EXPECT_EQ(g, domain_state(g, DOMUS_CTL_setdomainstate, (domid_t)to, &ds), 0);
	GUEST_EXPECT_EQ(g, ports(g, DOMUS_CTL_setports, (domid_t)to, buffer, 1, NULL), 0);
	/* It is there: its number is taken now, but by the same binding (which takes the bits). */
	GUEST_EXPECT_EQ(g, ports(g, DOMUS_CTL_setports, (domid_t)to, buffer, 1, NULL), 0);
	p[0].remote_dom = GUESTS_PORT_PEER + 1;
	GUEST_EXPECT_EQ(g, ports(g, DOMUS_CTL_setports, (domid_t)to, buffer, 1, NULL), -EEXIST);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)to), 0);

	/* Its grant table: read from the stopped domain, frame by frame, and set into a built one. */
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_getgrantframe, .domid = (domid_t)id };
	c.u.grantframe = (struct domus_ctl_grantframe){ .idx = 0, .buffer = buffer };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT(g, c.u.grantframe.nr_frames >= 1);
	GUEST_EXPECT_EQ(g, c.u.grantframe.pins, 0);
	GUEST_EXPECT_EQ(g, c.u.grantframe.maps, 0);
	frames = c.u.grantframe.nr_frames;
	c.u.grantframe = (struct domus_ctl_grantframe){ .idx = frames, .buffer = buffer };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -ENOENT);
	GUEST_EXPECT_EQ(g, c.u.grantframe.nr_frames, frames); /* told with -ENOENT too */
	to = guest_domu_build(g, &(struct domu_spec){ .name = "grants-to" });
	GUEST_EXPECT(g, to > 0);
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_setgrantframe, .domid = (domid_t)to };
	c.u.grantframe = (struct domus_ctl_grantframe){ .idx = 64, .gfn = GFN_NONE, .buffer = buffer };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	c.u.grantframe.idx = 1;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	/* A stopped domain's table is its own: not written. */
	c.domid = (domid_t)id;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EBUSY);
	/* Neither read from a building one (not stopped) */
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_getgrantframe, .domid = (domid_t)to };
	c.u.grantframe = (struct domus_ctl_grantframe){ .buffer = buffer };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EBUSY);
	/* but its use, without a frame, any time: the toolstack waits on it while a guest runs */
	c.u.grantframe = (struct domus_ctl_grantframe){ .buffer = 0 };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT(g, c.u.grantframe.nr_frames >= 1);
	GUEST_EXPECT_EQ(g, c.u.grantframe.pins, 0);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)to), 0);

	/* A new domain may ask for its id (a migration keeps its guest's): not one that is taken. */
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_createdomain, .domid = (domid_t)id };
	c.u.createdomain = (struct domus_ctl_createdomain){ .nr_vcpus = 1, .max_mem_kib = 256,
							    .name = "same-id" };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EEXIST);
	c.domid = 200;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT_EQ(g, c.domid, 200);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, 200), 0);
	c.domid = DOMID_FIRST_RESERVED;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);

	GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)id, false), 0);
	__atomic_store_n(&may_end, true, __ATOMIC_RELEASE);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_ports_grants_and_id_carry_from_a_stopped_domain_into_a_built_one(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main =
						   dom0_carries_ports_from_a_stopped_domain_into_a_built_one });
}

static long suspend_returned = -1;

static void domu_suspends(struct guest *g)
{
	__atomic_store_n(&suspend_returned, guest_shutdown(g, SHUTDOWN_suspend), __ATOMIC_RELEASE);
	domu_runs_until_told(g);
}

static void dom0_cancels_a_suspend(struct guest *g)
{
	struct domus_vcpu_state s;
	struct domus_ctl c;
	long id;

	may_end = false;
	id = guest_domu_create(g, &(struct domu_spec){ .name = "cancelled" }, domu_suspends, 0);
	GUEST_EXPECT(g, id > 0);
	while (guest_vcpu_state(g, (domid_t)id, 0) != DOMUS_VCPU_PAUSED)
		guest_yield(g);
	/* Suspended: readable, and the call not yet returned. */
	GUEST_EXPECT_EQ(g, vcpu_state(g, DOMUS_CTL_getvcpustate, (domid_t)id, 0, &s), 0);
	GUEST_EXPECT_EQ(g, __atomic_load_n(&suspend_returned, __ATOMIC_ACQUIRE), -1);
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_resumedomain, .domid = (domid_t)id };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	while (__atomic_load_n(&suspend_returned, __ATOMIC_ACQUIRE) == -1)
		guest_yield(g);
	/* Xen's "cancelled": the guest resumes in the domain it was in. */
	GUEST_EXPECT_EQ(g, __atomic_load_n(&suspend_returned, __ATOMIC_ACQUIRE), 1);
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL); /* running again */
	__atomic_store_n(&may_end, true, __ATOMIC_RELEASE);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_a_cancelled_suspend_returns_1_in_the_same_domain(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_cancels_a_suspend });
}

static void domu_marks_its_memory(struct guest *g)
{
	u64 page = guest_alloc_pages(g, 1);

	memset(guest_mem(g, page), 0x5a, PAGE_SIZE);
	__atomic_store_n(&suspend_returned, (long)(page / PAGE_SIZE), __ATOMIC_RELEASE);
	domu_runs_until_told(g);
}

static void dom0_reads_pages(struct guest *g)
{
	u64 gfns_at = guest_alloc_pages(g, 1), buf_at = guest_alloc_pages(g, 2);
	u64 missing_at = guest_alloc_pages(g, 1), *gfns = guest_mem(g, gfns_at);
	u8 *missing = guest_mem(g, missing_at), *buf = guest_mem(g, buf_at);
	struct domus_ctl c;
	long id, marked;

	may_end = false;
	suspend_returned = -1;
	id = guest_domu_create(g, &(struct domu_spec){ .name = "read" }, domu_marks_its_memory, 0);
	GUEST_EXPECT(g, id > 0);
	while ((marked = __atomic_load_n(&suspend_returned, __ATOMIC_ACQUIRE)) == -1)
		guest_yield(g);
	gfns[0] = (u64)marked;
	gfns[1] = 0x10; /* no memory there */
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_readpages, .domid = (domid_t)id };
	c.u.readpages = (struct domus_ctl_readpages){ .gfns = gfns_at, .buffer = buf_at,
						      .missing = missing_at, .count = 2 };
	/* Running: its memory may change under the copy. */
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EBUSY);
	GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)id, true), 0);
	memset(buf, 0, 2 * PAGE_SIZE);
	memset(missing, 7, 2);
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT_EQ(g, missing[0], 0);
	GUEST_EXPECT_EQ(g, missing[1], 1);
	GUEST_EXPECT_EQ(g, buf[0], 0x5a);
	GUEST_EXPECT_EQ(g, buf[PAGE_SIZE - 1], 0x5a);
	GUEST_EXPECT_EQ(g, buf[PAGE_SIZE], 0); /* a missing page's is left as it was */
	c.u.readpages.count = DOMUS_READPAGES_MAX + 1;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	c.u.readpages.count = 0;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)id, false), 0);
	__atomic_store_n(&may_end, true, __ATOMIC_RELEASE);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_readpages_copies_a_stopped_domains_ram_and_names_what_is_not(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_reads_pages });
}

static void domu_reports_a_page(struct guest *g)
{
	const u8 *page = guest_mem(g, guest_ram_base(g) + 32 * PAGE_SIZE);

	__atomic_store_n(&suspend_returned, (long)page[0] << 8 | page[PAGE_SIZE - 1], __ATOMIC_RELEASE);
	domu_runs_until_told(g);
}

static void dom0_writes_pages(struct guest *g)
{
	u64 gfns_at = guest_alloc_pages(g, 1), buf_at = guest_alloc_pages(g, 1);
	u64 *gfns = guest_mem(g, gfns_at);
	struct domus_ctl c;
	long id = guest_domu_build(g, &(struct domu_spec){ .name = "written" });

	GUEST_EXPECT(g, id > 0);
	may_end = false;
	suspend_returned = -1;
	memset(guest_mem(g, buf_at), 0xc3, PAGE_SIZE);
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_writepages, .domid = (domid_t)id };
	c.u.readpages = (struct domus_ctl_readpages){ .gfns = gfns_at, .buffer = buf_at, .count = 1 };
	gfns[0] = 0x10; /* no RAM there */
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	gfns[0] = GUEST_RAM0_BASE / PAGE_SIZE + 32;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT_EQ(g, guest_domu_start(g, (domid_t)id, domu_reports_a_page, 0), 0);
	while (__atomic_load_n(&suspend_returned, __ATOMIC_ACQUIRE) == -1)
		guest_yield(g);
	GUEST_EXPECT_EQ(g, __atomic_load_n(&suspend_returned, __ATOMIC_ACQUIRE), 0xc3c3);
	/* Once it runs, its memory is its own. */
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EBUSY);
	__atomic_store_n(&may_end, true, __ATOMIC_RELEASE);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_writepages_fills_a_building_domains_ram_and_nothing_else(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_writes_pages });
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_is_read_only_from_a_paused_or_suspended_domain),
		cmocka_unit_test(test_state_is_written_only_into_a_domain_being_built_and_in_order),
		cmocka_unit_test(test_a_cancelled_suspend_returns_1_in_the_same_domain),
		cmocka_unit_test(test_readpages_copies_a_stopped_domains_ram_and_names_what_is_not),
		cmocka_unit_test(test_writepages_fills_a_building_domains_ram_and_nothing_else),
		cmocka_unit_test(test_ports_grants_and_id_carry_from_a_stopped_domain_into_a_built_one),
	};

	return harness_main(argc, argv, "core_save", tests, ARRAY_SIZE(tests));
}
