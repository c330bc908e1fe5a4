// SOURCES: @core tests/unit/core_harness.c
/* SPDX-License-Identifier: MIT */
/*
 * The toolstack's interface (domus_ctl) and vcpu_op on the fake machine: who
 * may call, what each command refuses, the ABI's states as a domain goes
 * through them, and where a vCPU's vcpu_info and runstate may be put.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <domus/errno.h>
#include <arm64/psci.h>
#include <public/vcpu.h>

#include "core_harness.h"

static long ctl_info(struct guest *g, domid_t from, struct domus_ctl *c)
{
	*c = (struct domus_ctl){ .cmd = DOMUS_CTL_getdomaininfo, .domid = from };
	return guest_domus_ctl(g, c);
}

static struct domus_ctl_physinfo physinfo(struct guest *g)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_physinfo };

	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	return c.u.physinfo;
}

/* What a domU program saw, for dom0's program to check. */
static long domu_saw;
static bool domu_may_end;

/* ---- who may call ---- */

static void domu_calls_domus_ctl(struct guest *g)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_physinfo };

	__atomic_store_n(&domu_saw, guest_domus_ctl(g, &c), __ATOMIC_RELEASE);
}

static void dom0_lets_a_domu_call_domus_ctl(struct guest *g)
{
	long id;

	domu_saw = 1;
	id = guest_domu_create(g, &(struct domu_spec){ .name = "caller" }, domu_calls_domus_ctl, 0);
	GUEST_EXPECT(g, id > 0);
	while (guest_vcpu_state(g, (domid_t)id, 0) != DOMUS_VCPU_OFFLINE)
		guest_yield(g);
	GUEST_EXPECT_EQ(g, __atomic_load_n(&domu_saw, __ATOMIC_ACQUIRE), -ENOSYS);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_domus_ctl_is_enosys_to_a_domu_as_on_xen(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_lets_a_domu_call_domus_ctl });
}

/* ---- what a call must carry ---- */

static void dom0_calls_with_bad_requests(struct guest *g)
{
	u64 page = guest_alloc_pages(g, 1);
	struct domus_ctl *c = guest_mem(g, page);

	*c = (struct domus_ctl){ .version = DOMUS_CTL_VERSION + 1, .cmd = DOMUS_CTL_physinfo };
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_domus_ctl, page, 0, 0, 0, 0), -EACCES);
	*c = (struct domus_ctl){ .version = DOMUS_CTL_VERSION, .cmd = 99 };
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_domus_ctl, page, 0, 0, 0, 0), -ENOSYS);
	/* The request straddles the end of dom0's RAM: nothing past it is read. */
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_domus_ctl,
					   guest_ram_base(g) + MiB(4) - 64, 0, 0, 0, 0),
			-EFAULT);
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_domus_ctl, ~0ULL - 7, 0, 0, 0, 0),
			-EFAULT);
}

static void test_another_version_unknown_commands_and_bad_pointers_are_refused(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_calls_with_bad_requests });
}

/* ---- a domain's states as the toolstack sees them ---- */

static void domu_runs_until_told(struct guest *g)
{
	while (!__atomic_load_n(&domu_may_end, __ATOMIC_ACQUIRE))
		guest_yield(g);
}

static void dom0_follows_a_domu_through_its_states(struct guest *g)
{
	struct domus_ctl c;
	long id;

	domu_may_end = false;
	GUEST_EXPECT_EQ(g, ctl_info(g, 0, &c), 0);
	GUEST_EXPECT_EQ(g, c.domid, 0);
	GUEST_EXPECT_EQ(g, c.u.domaininfo.flags, 1); /* privileged */
	GUEST_EXPECT_EQ(g, c.u.domaininfo.state, DOMUS_DOMAIN_RUNNING);
	GUEST_EXPECT_EQ(g, ctl_info(g, 1, &c), -ESRCH);

	id = guest_domu_build(g, &(struct domu_spec){ .name = "states", .nr_vcpus = 2 });
	GUEST_EXPECT(g, id > 0);
	/* Asked from 1, the next domain up is the new one. */
	GUEST_EXPECT_EQ(g, ctl_info(g, 1, &c), 0);
	GUEST_EXPECT_EQ(g, c.domid, id);
	GUEST_EXPECT_EQ(g, c.u.domaininfo.state, DOMUS_DOMAIN_BUILDING);
	GUEST_EXPECT_EQ(g, c.u.domaininfo.nr_vcpus, 2);
	GUEST_EXPECT_EQ(g, c.u.domaininfo.flags, 0);
	GUEST_EXPECT_EQ(g, c.u.domaininfo.mem_pages, 64);
	GUEST_EXPECT(g, !strcmp(c.u.domaininfo.name, "states"));
	GUEST_EXPECT_EQ(g, ctl_info(g, (domid_t)(id + 1), &c), -ESRCH);
	/* Building: neither paused nor unpaused by hand, only started. */
	GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)id, true), -EINVAL);

	GUEST_EXPECT_EQ(g, guest_domu_start(g, (domid_t)id, domu_runs_until_told, 0), 0);
	GUEST_EXPECT_EQ(g, ctl_info(g, (domid_t)id, &c), 0);
	GUEST_EXPECT_EQ(g, c.u.domaininfo.state, DOMUS_DOMAIN_RUNNING);
	GUEST_EXPECT_EQ(g, guest_vcpu_state(g, (domid_t)id, 1), DOMUS_VCPU_OFFLINE);
	GUEST_EXPECT_EQ(g, guest_vcpu_state(g, (domid_t)id, 2), -ENOENT);

	GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)id, true), 0);
	GUEST_EXPECT_EQ(g, ctl_info(g, (domid_t)id, &c), 0);
	GUEST_EXPECT_EQ(g, c.u.domaininfo.state, DOMUS_DOMAIN_PAUSED);
	GUEST_EXPECT_EQ(g, guest_vcpu_state(g, (domid_t)id, 0), DOMUS_VCPU_PAUSED);

	GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)id, false), 0);
	GUEST_EXPECT_EQ(g, ctl_info(g, (domid_t)id, &c), 0);
	GUEST_EXPECT_EQ(g, c.u.domaininfo.state, DOMUS_DOMAIN_RUNNING);

	__atomic_store_n(&domu_may_end, true, __ATOMIC_RELEASE);
	while (guest_vcpu_state(g, (domid_t)id, 0) != DOMUS_VCPU_OFFLINE)
		guest_yield(g);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
	GUEST_EXPECT_EQ(g, ctl_info(g, 1, &c), -ESRCH);
}

static void test_getdomaininfo_walks_domains_by_id_with_the_abi_states(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_follows_a_domu_through_its_states });
}

/* ---- refusals ---- */

static long create(struct guest *g, u32 vcpus, u64 kib)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_createdomain };

	c.u.createdomain.nr_vcpus = vcpus;
	c.u.createdomain.max_mem_kib = kib;
	strcpy(c.u.createdomain.name, "refused");
	return guest_domus_ctl(g, &c);
}

static void dom0_asks_for_what_cannot_be(struct guest *g)
{
	struct domus_ctl_physinfo before = physinfo(g);
	struct domus_ctl c = { .cmd = DOMUS_CTL_pausedomain, .domid = 0 };

	/* Memory not in whole pages, or more KiB than bytes can count. */
	GUEST_EXPECT_EQ(g, create(g, 1, 6), -EINVAL);
	GUEST_EXPECT_EQ(g, create(g, 1, ~0ULL & ~3ULL), -EINVAL);
	GUEST_EXPECT_EQ(g, physinfo(g).nr_domains, before.nr_domains);
	GUEST_EXPECT_EQ(g, physinfo(g).free_pages, before.free_pages);

	/* A domain cannot pause or end itself: nobody would be left to undo it. */
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_destroydomain, .domid = 0 };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	/* Ids nobody has, reserved ids, vCPUs a domain does not have. */
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_unpausedomain, .domid = 77 };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -ESRCH);
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_destroydomain, .domid = DOMID_FIRST_RESERVED };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -ESRCH);
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_getvcpuinfo, .domid = 0 };
	c.u.vcpuinfo.vcpu = 1;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -ENOENT);
	c.u.vcpuinfo.vcpu = ~0U;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -ENOENT);
	GUEST_EXPECT_EQ(g, physinfo(g).free_pages, before.free_pages);
}

static void test_impossible_and_self_directed_requests_are_refused_without_change(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_asks_for_what_cannot_be });
}

static void dom0_seeds_grants_and_sets_contexts_too_late(struct guest *g)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_seedgrant };
	long id;

	domu_may_end = false;
	id = guest_domu_build(g, &(struct domu_spec){ .name = "seeded" });
	GUEST_EXPECT(g, id > 0);
	c.domid = (domid_t)id;
	c.u.seedgrant = (struct domus_ctl_seedgrant){ .ref = 1, .grantee = 0, .gfn = 0x40000 };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	/* Only the reserved refs, and only gfns a grant entry can hold. */
	c.u.seedgrant.ref = GNTTAB_NR_RESERVED_ENTRIES;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	c.u.seedgrant = (struct domus_ctl_seedgrant){ .ref = 2, .gfn = 1ULL << 32 };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EINVAL);
	/* A vCPU it does not have. */
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_setvcpucontext, .domid = (domid_t)id };
	c.u.vcpucontext.vcpu = 1;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -ENOENT);

	GUEST_EXPECT_EQ(g, guest_domu_start(g, (domid_t)id, domu_runs_until_told, 0), 0);
	/* Once it runs, its grant table and its vCPUs are its own. */
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_seedgrant, .domid = (domid_t)id };
	c.u.seedgrant = (struct domus_ctl_seedgrant){ .ref = 1, .gfn = 0x40001 };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EBUSY);
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_setvcpucontext, .domid = (domid_t)id };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), -EBUSY);

	__atomic_store_n(&domu_may_end, true, __ATOMIC_RELEASE);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_grants_and_vcpu_contexts_are_set_only_while_building(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_seeds_grants_and_sets_contexts_too_late });
}

static void dom0_counts_domains_and_pages(struct guest *g)
{
	struct domus_ctl_physinfo before = physinfo(g), during;
	long id;

	GUEST_EXPECT_EQ(g, before.nr_cpus, 2);
	GUEST_EXPECT_EQ(g, before.nr_domains, 1);
	/* The machine's 64 MiB less the few pages Domus keeps for itself at boot. */
	GUEST_EXPECT(g, before.total_pages <= MiB(64) / PAGE_SIZE &&
			before.total_pages > MiB(63) / PAGE_SIZE);
	GUEST_EXPECT(g, before.free_pages < before.total_pages);
	id = guest_domu_build(g, &(struct domu_spec){ .name = "counted", .mem_pages = 256 });
	GUEST_EXPECT(g, id > 0);
	during = physinfo(g);
	GUEST_EXPECT_EQ(g, during.nr_domains, 2);
	/* Its RAM, and the hypervisor's pages for it besides. */
	GUEST_EXPECT(g, before.free_pages - during.free_pages > 256);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
	GUEST_EXPECT_EQ(g, physinfo(g).nr_domains, 1);
}

static void test_physinfo_counts_domains_and_the_pages_they_take(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_counts_domains_and_pages });
}

/* ---- vcpu_op ---- */

static void dom0_names_vcpus_and_ops_it_has_not(struct guest *g)
{
	u64 va = 0;

	GUEST_EXPECT_EQ(g, guest_vcpu_op(g, VCPUOP_register_runstate_memory_area, 1, &va,
					 sizeof(va)),
			-ENOENT);
	GUEST_EXPECT_EQ(g, guest_vcpu_op(g, VCPUOP_register_runstate_memory_area, ~0U, &va,
					 sizeof(va)),
			-ENOENT);
	/* Xen on Arm has only the two registrations: vCPUs come and go by PSCI. */
	GUEST_EXPECT_EQ(g, guest_vcpu_op(g, VCPUOP_up, 0, &va, sizeof(va)), -EINVAL);
	GUEST_EXPECT_EQ(g, guest_vcpu_op(g, VCPUOP_is_up, 0, &va, sizeof(va)), -EINVAL);
}

static void test_vcpu_op_refuses_vcpus_out_of_range_and_ops_arm_lacks(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_names_vcpus_and_ops_it_has_not });
}

static bool second_may_end;

static void dom0_second_vcpu_waits(struct guest *g)
{
	while (!__atomic_load_n(&second_may_end, __ATOMIC_ACQUIRE))
		guest_yield(g);
}

static long register_info(struct guest *g, u32 vcpu, u64 gfn, u32 offset)
{
	struct vcpu_register_vcpu_info r = { .mfn = gfn, .offset = offset };

	return guest_vcpu_op(g, VCPUOP_register_vcpu_info, vcpu, &r, sizeof(r));
}

static void dom0_places_vcpu_infos(struct guest *g)
{
	u64 page = guest_alloc_pages(g, 1);
	u64 gfn = page >> PAGE_SHIFT;
	struct vcpu_info *at = (struct vcpu_info *)((char *)guest_mem(g, page) + 64);

	second_may_end = false;
	/* Not 8-aligned, or running past its page. */
	GUEST_EXPECT_EQ(g, register_info(g, 0, gfn, 4), -ENXIO);
	GUEST_EXPECT_EQ(g, register_info(g, 0, gfn, PAGE_SIZE - 8), -ENXIO);
	/* Not a frame of its own: nothing there, or past any address. */
	GUEST_EXPECT_EQ(g, register_info(g, 0, GUEST_MAGIC_BASE >> PAGE_SHIFT, 64), -EINVAL);
	GUEST_EXPECT_EQ(g, register_info(g, 0, ~0ULL, 64), -EINVAL);

	GUEST_EXPECT_EQ(g, register_info(g, 0, gfn, 64), 0);
	/* Moved with everything pending flagged, so the guest looks at every word. */
	GUEST_EXPECT_EQ(g, __atomic_load_n(&at->evtchn_upcall_pending, __ATOMIC_ACQUIRE), 1);
	GUEST_EXPECT_EQ(g, at->evtchn_pending_sel, ~0ULL);
	/* Once only: an upcall in flight may still use the first place. */
	GUEST_EXPECT_EQ(g, register_info(g, 0, gfn, 128), -EINVAL);

	/* Another vCPU's only while it is down. */
	GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, 1, (u64)(uintptr_t)dom0_second_vcpu_waits,
				      0),
			PSCI_SUCCESS);
	GUEST_EXPECT_EQ(g, register_info(g, 1, gfn, 256), -EINVAL);
	GUEST_EXPECT_EQ(g, register_info(g, 2, gfn, 256), 0);
	__atomic_store_n(&second_may_end, true, __ATOMIC_RELEASE);
	while (guest_psci(g, PSCI_AFFINITY_INFO_64, 1, 0, 0) != 1)
		guest_yield(g);
}

static void test_a_vcpu_info_goes_once_aligned_in_own_memory_and_not_under_a_running_vcpu(
	void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_vcpus = 3, .dom0_main = dom0_places_vcpu_infos });
}

static void dom0_second_vcpu_returns(struct guest *g)
{
}

static void dom0_places_runstates(struct guest *g)
{
	u64 page = guest_alloc_pages(g, 1), mine = page, its = page + 512;
	struct vcpu_runstate_info *r0 = guest_mem(g, mine), *r1 = guest_mem(g, its);

	GUEST_EXPECT_EQ(g, guest_vcpu_op(g, VCPUOP_register_runstate_memory_area, 0, &mine,
					 sizeof(mine)),
			0);
	/* Its own: written at once, running. */
	GUEST_EXPECT_EQ(g, r0->state, RUNSTATE_running);
	GUEST_EXPECT(g, r0->state_entry_time != 0);
	/* Another's: written when that vCPU next runs, by then in a state of its own. */
	GUEST_EXPECT_EQ(g, guest_vcpu_op(g, VCPUOP_register_runstate_memory_area, 1, &its,
					 sizeof(its)),
			0);
	GUEST_EXPECT_EQ(g, r1->state_entry_time, 0);
	GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, 1, (u64)(uintptr_t)dom0_second_vcpu_returns,
				      0),
			PSCI_SUCCESS);
	while (guest_psci(g, PSCI_AFFINITY_INFO_64, 1, 0, 0) != 1)
		guest_yield(g);
	GUEST_EXPECT(g, __atomic_load_n(&r1->state_entry_time, __ATOMIC_ACQUIRE) != 0);
}

static void test_a_runstate_is_written_at_once_for_the_caller_and_at_switch_in_for_another(
	void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_vcpus = 2, .dom0_main = dom0_places_runstates });
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domus_ctl_is_enosys_to_a_domu_as_on_xen),
		cmocka_unit_test(test_another_version_unknown_commands_and_bad_pointers_are_refused),
		cmocka_unit_test(test_getdomaininfo_walks_domains_by_id_with_the_abi_states),
		cmocka_unit_test(test_impossible_and_self_directed_requests_are_refused_without_change),
		cmocka_unit_test(test_grants_and_vcpu_contexts_are_set_only_while_building),
		cmocka_unit_test(test_physinfo_counts_domains_and_the_pages_they_take),
		cmocka_unit_test(test_vcpu_op_refuses_vcpus_out_of_range_and_ops_arm_lacks),
		cmocka_unit_test(test_a_vcpu_info_goes_once_aligned_in_own_memory_and_not_under_a_running_vcpu),
		cmocka_unit_test(test_a_runstate_is_written_at_once_for_the_caller_and_at_switch_in_for_another),
	};

	return harness_main(argc, argv, "core_ctl", tests, ARRAY_SIZE(tests));
}
