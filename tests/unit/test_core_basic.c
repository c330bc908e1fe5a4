// SOURCES: @core tests/unit/core_harness.c
/* SPDX-License-Identifier: MIT */
/* The real core on the fake machine: hypercalls, events, grants, PSCI and destroy, by guests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <domus/errno.h>
#include <arm64/psci.h>
#include <public/version.h>

#include "core_harness.h"
#include "fake.h"

/* ---- xen_version ---- */

static void dom0_asks_the_version(struct guest *g)
{
	char extra[16] = { 0 };

	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0),
			(4 << 16) | 17);
	GUEST_EXPECT_EQ(g, guest_xen_version(g, XENVER_extraversion, extra, sizeof(extra)), 0);
	GUEST_EXPECT(g, !strcmp(extra, "-domus"));
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_xen_version, XENVER_pagesize, 0, 0, 0, 0),
			4096);
	GUEST_EXPECT_EQ(g, guest_hypercall(g, 99, 0, 0, 0, 0, 0), -ENOSYS);
}

static void test_xen_version_says_4_17_domus(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_asks_the_version });
}

/* ---- event channels ---- */

/* The domU's end: bind to dom0's port (its x0), send, wait for the answer. */
static void domu_pings_dom0(struct guest *g)
{
	struct evtchn_bind_interdomain b = { .remote_dom = 0, .remote_port = (u32)guest_arg(g) };
	struct evtchn_send s;

	guest_shared_info(g);
	guest_enable_upcall(g);
	GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_bind_interdomain, &b, sizeof(b)), 0);
	/* Binding raises the new port once, in case a send to the unbound end was dropped. */
	GUEST_EXPECT(g, guest_event_take(g, b.local_port));
	s.port = b.local_port;
	GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_send, &s, sizeof(s)), 0);
	guest_wait_event(g, b.local_port);
	GUEST_EXPECT(g, guest_irqs(g, GUEST_EVTCHN_PPI) > 0);
}

/*
 * The toolstack's way: build the domain, give it a port it may bind to, pass
 * the port in its x0 and start it.
 */
static long create_with_port(struct guest *g, guest_fn entry, u32 *port)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF };
	long id = guest_domu_build(g, &(struct domu_spec){ .name = "peer" });

	GUEST_EXPECT(g, id > 0);
	a.remote_dom = (domid_t)id;
	GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_alloc_unbound, &a, sizeof(a)), 0);
	GUEST_EXPECT(g, a.port > 0);
	GUEST_EXPECT_EQ(g, guest_domu_start(g, (domid_t)id, entry, a.port), 0);
	*port = a.port;
	return id;
}

static void dom0_pongs(struct guest *g)
{
	struct evtchn_send s;
	struct evtchn_close c;
	u32 port;
	long id;

	guest_shared_info(g);
	guest_enable_upcall(g);
	id = create_with_port(g, domu_pings_dom0, &port);
	guest_wait_event(g, port);
	s.port = port;
	GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_send, &s, sizeof(s)), 0);
	/* The domU ends once the answer is in: its vCPU goes offline. */
	while (guest_vcpu_state(g, (domid_t)id, 0) != DOMUS_VCPU_OFFLINE)
		guest_yield(g);
	c.port = port;
	GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_close, &c, sizeof(c)), 0);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_event_channel_pings_between_dom0_and_a_domu(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_pongs });
}

/* ---- grants ---- */

#define GRANT_REF 8
#define GRANT_TEXT "granted by the domU"

/* Grants one page of its RAM to dom0 and says so on the port dom0 gave it (x0): its own port. */
static u32 domu_grant_page(struct guest *g)
{
	struct grant_entry_v1 *gt = guest_grant_table(g);
	u64 page = guest_alloc_pages(g, 1);
	struct evtchn_bind_interdomain b = { .remote_dom = 0, .remote_port = (u32)guest_arg(g) };
	struct evtchn_send s;

	strcpy(guest_mem(g, page), GRANT_TEXT);
	guest_shared_info(g);
	guest_enable_upcall(g);
	/* The entry is shared with the hypervisor: atomic stores, the flags last. */
	__atomic_store_n(&gt[GRANT_REF].domid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&gt[GRANT_REF].frame, (u32)(page >> PAGE_SHIFT), __ATOMIC_RELAXED);
	__atomic_store_n(&gt[GRANT_REF].flags, GTF_permit_access, __ATOMIC_RELEASE);
	GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_bind_interdomain, &b, sizeof(b)), 0);
	GUEST_EXPECT(g, guest_event_take(g, b.local_port));
	s.port = b.local_port;
	GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_send, &s, sizeof(s)), 0);
	return b.local_port;
}

/* ... then waits for dom0 to be done with it, and revokes it. */
static void domu_grants_a_page(struct guest *g)
{
	struct grant_entry_v1 *gt = guest_grant_table(g);

	guest_wait_event(g, domu_grant_page(g));
	/* Unmapped: the grant is free of the hypervisor's flags and can be revoked. */
	GUEST_EXPECT_EQ(g, __atomic_load_n(&gt[GRANT_REF].flags, __ATOMIC_ACQUIRE), GTF_permit_access);
	__atomic_store_n(&gt[GRANT_REF].flags, 0, __ATOMIC_RELEASE);
}

/* A hole in dom0's guest-physical space to map the grant at. */
#define DOM0_MAP_AT (GUEST_MAGIC_BASE + MiB(1))

static void dom0_maps_the_grant(struct guest *g)
{
	struct gnttab_map_grant_ref map = { .host_addr = DOM0_MAP_AT, .flags = GNTMAP_host_map,
					    .ref = GRANT_REF };
	struct gnttab_unmap_grant_ref unmap = { .host_addr = DOM0_MAP_AT };
	struct evtchn_send s;
	u32 port;
	long id;

	guest_shared_info(g);
	guest_enable_upcall(g);
	id = create_with_port(g, domu_grants_a_page, &port);
	guest_wait_event(g, port);
	map.dom = (domid_t)id;
	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_map_grant_ref, &map, sizeof(map), 1), 0);
	GUEST_EXPECT_EQ(g, map.status, GNTST_okay);
	GUEST_EXPECT(g, !strcmp(guest_mem(g, DOM0_MAP_AT), GRANT_TEXT));
	unmap.handle = map.handle;
	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_unmap_grant_ref, &unmap, sizeof(unmap), 1), 0);
	GUEST_EXPECT_EQ(g, unmap.status, GNTST_okay);
	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_unmap_grant_ref, &unmap, sizeof(unmap), 1), 0);
	GUEST_EXPECT_EQ(g, unmap.status, GNTST_bad_handle);
	s.port = port;
	GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_send, &s, sizeof(s)), 0);
	while (guest_vcpu_state(g, (domid_t)id, 0) != DOMUS_VCPU_OFFLINE)
		guest_yield(g);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_dom0_maps_reads_and_unmaps_a_domu_grant(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_maps_the_grant });
}

/* Grants a page as above, then stays up. */
static void domu_grants_and_stays(struct guest *g)
{
	domu_grant_page(g);
	for (;;)
		guest_yield(g);
}

/* Destroy waits for dom0 to let go of the domU's page: -EBUSY, and again after unmap it works. */
static void dom0_destroys_while_mapping(struct guest *g)
{
	struct gnttab_map_grant_ref map = { .host_addr = DOM0_MAP_AT, .flags = GNTMAP_host_map,
					    .ref = GRANT_REF };
	struct gnttab_unmap_grant_ref unmap = { .host_addr = DOM0_MAP_AT };
	struct domus_ctl c = { .cmd = DOMUS_CTL_destroydomain };
	u64 before = guest_free_pages_beside_dom0(g);
	u32 port;
	long id;

	guest_shared_info(g);
	guest_enable_upcall(g);
	id = create_with_port(g, domu_grants_and_stays, &port);
	guest_wait_event(g, port);
	map.dom = (domid_t)id;
	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_map_grant_ref, &map, sizeof(map), 1), 0);
	GUEST_EXPECT_EQ(g, map.status, GNTST_okay);
	c.domid = (domid_t)id;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EBUSY);
	GUEST_EXPECT(g, !strcmp(guest_mem(g, DOM0_MAP_AT), GRANT_TEXT));
	unmap.handle = map.handle;
	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_unmap_grant_ref, &unmap, sizeof(unmap), 1), 0);
	GUEST_EXPECT_EQ(g, unmap.status, GNTST_okay);
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT_EQ(g, guest_free_pages_beside_dom0(g), before);
}

static void test_destroy_of_a_domu_dom0_maps_waits_for_the_unmap(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_destroys_while_mapping });
}

/* 300 copies in one call: the hypercall continues after every 128 (pc back on the HVC). */
#define COPIES 300

static void dom0_copies_in_a_long_batch(struct guest *g)
{
	static struct gnttab_copy ops[COPIES];
	u64 src = guest_alloc_pages(g, 1), dst = guest_alloc_pages(g, 1);
	u64 at = guest_alloc_pages(g, (sizeof(ops) + PAGE_SIZE - 1) / PAGE_SIZE);
	u8 *from = guest_mem(g, src), *to = guest_mem(g, dst);
	long rc;

	for (int i = 0; i < COPIES; i++) {
		from[i] = (u8)i;
		ops[i] = (struct gnttab_copy){
			.source = { .u.gmfn = src >> PAGE_SHIFT, .domid = DOMID_SELF, .offset = (u16)i },
			.dest = { .u.gmfn = dst >> PAGE_SHIFT, .domid = DOMID_SELF, .offset = (u16)i },
			.len = 1,
		};
	}
	memcpy(guest_mem(g, at), ops, sizeof(ops)); /* the pages are contiguous: dom0 is 1:1 */
	rc = guest_hypercall(g, __HYPERVISOR_grant_table_op, GNTTABOP_copy, at, COPIES, 0, 0);
	GUEST_EXPECT_EQ(g, rc, 0);
	for (int i = 0; i < COPIES; i++)
		GUEST_EXPECT_EQ(g, to[i], (u8)i);
	memcpy(ops, guest_mem(g, at), sizeof(ops));
	for (int i = 0; i < COPIES; i++)
		GUEST_EXPECT_EQ(g, ops[i].status, GNTST_okay);
}

static void test_grant_copy_of_300_continues_after_each_batch(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_copies_in_a_long_batch });
}

/* ---- destroy ---- */

static u32 busy_vcpus;

/* Does what a guest does that costs the hypervisor memory, then idles. */
static void domu_busy_vcpu(struct guest *g)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = 0 };

	guest_shared_info(g);
	guest_grant_table(g);
	for (int i = 0; i < 10; i++)
		GUEST_EXPECT_EQ(g, guest_evtchn_op(g, EVTCHNOP_alloc_unbound, &a, sizeof(a)), 0);
	__atomic_add_fetch(&busy_vcpus, 1, __ATOMIC_RELEASE);
	for (;;)
		guest_yield(g);
}

/* vCPU 0 starts the others (x0 of them in all), then does the same. */
static void domu_uses_memory(struct guest *g)
{
	for (u32 i = 1; i < guest_arg(g); i++)
		GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, i, (u64)(uintptr_t)domu_busy_vcpu, 0),
				PSCI_SUCCESS);
	domu_busy_vcpu(g);
}

/* Destroyed once every vCPU is up and idling (a CPU_ON racing destroy is test_core_races'). */
static void dom0_destroys_a_busy_domu(struct guest *g)
{
	static const struct {
		u32 vcpus;
		u64 pages;
	} cases[] = { { 1, 64 }, { 2, 64 }, { 4, 1024 } };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 before = guest_free_pages_beside_dom0(g), after;
		long id;

		__atomic_store_n(&busy_vcpus, 0, __ATOMIC_RELAXED);
		id = guest_domu_create(g, &(struct domu_spec){ .nr_vcpus = cases[i].vcpus,
							       .mem_pages = cases[i].pages },
				       domu_uses_memory, cases[i].vcpus);
		GUEST_EXPECT(g, id > 0);
		GUEST_EXPECT(g, guest_free_pages_beside_dom0(g) < before - cases[i].pages);
		while (__atomic_load_n(&busy_vcpus, __ATOMIC_ACQUIRE) < cases[i].vcpus)
			guest_yield(g);
		GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
		after = guest_free_pages_beside_dom0(g);
		GUEST_EXPECT_EQ(g, after, before);
	}
}

static void test_destroyed_domu_returns_every_page(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_destroys_a_busy_domu });
}

/* ---- PSCI ---- */

static u64 second_vcpu_saw;

static void dom0_second_vcpu(struct guest *g)
{
	__atomic_store_n(&second_vcpu_saw, guest_arg(g), __ATOMIC_RELEASE);
}

static void dom0_starts_its_second_vcpu(struct guest *g)
{
	u64 entry = (u64)(uintptr_t)dom0_second_vcpu;

	second_vcpu_saw = 0;
	GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_AFFINITY_INFO_64, 1, 0, 0), 1); /* off */
	GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, 7, entry, 0), PSCI_INVALID_PARAMETERS);
	GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, 1, entry, 0x1234), PSCI_SUCCESS);
	while (!__atomic_load_n(&second_vcpu_saw, __ATOMIC_ACQUIRE))
		guest_yield(g);
	GUEST_EXPECT_EQ(g, second_vcpu_saw, 0x1234);
	/* Its program returned: CPU_OFF. */
	while (guest_psci(g, PSCI_AFFINITY_INFO_64, 1, 0, 0) != 1)
		guest_yield(g);
	GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, 0, entry, 0), PSCI_ALREADY_ON);
	GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_VERSION, 0, 0, 0), 0x10001);
}

static void test_psci_cpu_on_starts_a_second_vcpu_with_its_context(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_vcpus = 2, .dom0_main = dom0_starts_its_second_vcpu });
}

static void dom0_powers_off(struct guest *g)
{
	guest_psci(g, PSCI_SYSTEM_OFF, 0, 0, 0);
	GUEST_EXPECT(g, !"dom0 ran on after SYSTEM_OFF");
}

static void test_dom0_system_off_powers_the_machine_off(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_powers_off,
					   .expect_power = FAKE_POWER_OFF });
}

/* ---- scheduling ---- */

#define SPIN_VCPUS 4
static u64 spins[SPIN_VCPUS];

static void dom0_spinner(struct guest *g)
{
	for (int i = 0; i < 200; i++) {
		__atomic_add_fetch(&spins[guest_vcpu_id(g)], 1, __ATOMIC_RELAXED);
		guest_yield(g);
	}
}

/* Four vCPUs, two pCPUs: everyone gets its turn, through yields, steals and slices. */
static void dom0_starts_spinners(struct guest *g)
{
	memset(spins, 0, sizeof(spins));
	for (u32 i = 1; i < SPIN_VCPUS; i++)
		GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, i, (u64)(uintptr_t)dom0_spinner, 0),
				PSCI_SUCCESS);
	dom0_spinner(g);
	for (u32 i = 1; i < SPIN_VCPUS; i++)
		while (guest_psci(g, PSCI_AFFINITY_INFO_64, i, 0, 0) != 1)
			guest_yield(g);
	for (u32 i = 0; i < SPIN_VCPUS; i++)
		GUEST_EXPECT_EQ(g, __atomic_load_n(&spins[i], __ATOMIC_RELAXED), 200);
}

static void test_more_vcpus_than_pcpus_all_run_to_the_end(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_vcpus = SPIN_VCPUS,
					   .dom0_main = dom0_starts_spinners });
}

/* ---- a domain that cannot be built whole is undone whole ---- */

static void dom0_creates_a_domain_while_each_allocation_in_turn_fails(struct guest *g)
{
	u64 before = guest_free_pages_beside_dom0(g);
	int refused = 0;

	for (int n = 0; n < 200; n++) {
		struct domus_ctl c = { .cmd = DOMUS_CTL_createdomain };
		long rc;

		c.u.createdomain.nr_vcpus = 3;
		c.u.createdomain.max_mem_kib = 1024;
		snprintf(c.u.createdomain.name, sizeof(c.u.createdomain.name), "unwind-%d", n);
		__atomic_store_n(&fake_palloc_fail_in, n, __ATOMIC_RELAXED);
		rc = guest_domus_ctl(g, &c);
		__atomic_store_n(&fake_palloc_fail_in, -1, __ATOMIC_RELAXED);
		if (rc == 0) {
			/* Allocation n was not needed: every earlier one failed in its turn. */
			GUEST_EXPECT_EQ(g, guest_domu_destroy(g, c.domid), 0);
			break;
		}
		GUEST_EXPECT_EQ(g, rc, -ENOMEM);
		GUEST_EXPECT_EQ(g, guest_free_pages_beside_dom0(g), before);
		refused++;
	}
	/* The domain, its vCPU array, shared_info, stage 2, vGIC, grant table, 3 vCPUs, ports. */
	GUEST_EXPECT(g, refused >= 9);
	GUEST_EXPECT_EQ(g, guest_free_pages_beside_dom0(g), before);
}

static void test_domain_create_undoes_every_step_when_an_allocation_fails(void **state)
{
	machine_run(&(struct machine_cfg){
		.dom0_main = dom0_creates_a_domain_while_each_allocation_in_turn_fails });
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xen_version_says_4_17_domus),
		cmocka_unit_test(test_event_channel_pings_between_dom0_and_a_domu),
		cmocka_unit_test(test_dom0_maps_reads_and_unmaps_a_domu_grant),
		cmocka_unit_test(test_destroy_of_a_domu_dom0_maps_waits_for_the_unmap),
		cmocka_unit_test(test_grant_copy_of_300_continues_after_each_batch),
		cmocka_unit_test(test_destroyed_domu_returns_every_page),
		cmocka_unit_test(test_psci_cpu_on_starts_a_second_vcpu_with_its_context),
		cmocka_unit_test(test_dom0_system_off_powers_the_machine_off),
		cmocka_unit_test(test_more_vcpus_than_pcpus_all_run_to_the_end),
		cmocka_unit_test(test_domain_create_undoes_every_step_when_an_allocation_fails),
	};

	return harness_main(argc, argv, "core_basic", tests, ARRAY_SIZE(tests));
}
