// SOURCES: @core tests/unit/core_harness.c
/* SPDX-License-Identifier: MIT */
/*
 * memory_op on the fake machine: reservations counted and bounded by the
 * domain's limit, refusals that change nothing, long requests continued in
 * batches, queries, and shared_info placed, moved and removed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <domus/errno.h>

#include "core_harness.h"
#include "fake.h"

#define RAM0_GFN (GUEST_RAM0_BASE >> PAGE_SHIFT)

/* A domU made by createdomain alone: a limit of max_pages, no RAM yet. */
static domid_t empty_domu(struct guest *g, u64 max_pages)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_createdomain };

	c.u.createdomain.nr_vcpus = 1;
	c.u.createdomain.max_mem_kib = max_pages * 4;
	strcpy(c.u.createdomain.name, "memory");
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	return c.domid;
}

/* A reservation op over n extents of order at consecutive gfns (or gfns[] if given). */
static long reserve(struct guest *g, u32 op, domid_t dom, u64 first_gfn, u64 n, u32 order,
		    u32 flags)
{
	u64 list = guest_alloc_pages(g, (n * 8 + PAGE_SIZE - 1) / PAGE_SIZE);
	u64 *gfns = guest_mem(g, list);
	struct xen_memory_reservation r = { .extent_start = list, .nr_extents = n,
					    .extent_order = order, .mem_flags = flags,
					    .domid = dom };

	for (u64 i = 0; i < n; i++)
		gfns[i] = first_gfn + (i << order);
	return guest_memory_op(g, op, &r, sizeof(r));
}

static long query(struct guest *g, u32 op, domid_t dom)
{
	struct xen_memory_domain q = { .domid = dom };

	return guest_memory_op(g, op, &q, sizeof(q));
}

static void dom0_fills_a_domu_past_its_limit(struct guest *g)
{
	u64 before = guest_free_pages(g);
	domid_t id = empty_domu(g, 64);

	GUEST_EXPECT_EQ(g, query(g, XENMEM_current_reservation, id), 0);
	GUEST_EXPECT_EQ(g, query(g, XENMEM_maximum_reservation, id), 64);
	/* 100 pages asked, 64 allowed: the count says where it stopped. */
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_populate_physmap, id, RAM0_GFN, 100, 0, 0), 64);
	GUEST_EXPECT_EQ(g, query(g, XENMEM_current_reservation, id), 64);
	GUEST_EXPECT_EQ(g, query(g, XENMEM_maximum_gpfn, id), RAM0_GFN + 63);
	GUEST_EXPECT(g, before - guest_free_pages(g) >= 64);
	/* Full: not one more, in any form. */
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_populate_physmap, id, RAM0_GFN + 64, 1, 0, 0), 0);
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_increase_reservation, id, 0, 1, 0, 0), 0);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, id), 0);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), before);
}

static void test_populate_stops_at_the_domains_limit_and_says_how_far_it_got(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_fills_a_domu_past_its_limit });
}

static void dom0_asks_for_reservations_it_may_not_have(struct guest *g)
{
	domid_t id = empty_domu(g, 4096);
	u64 free = guest_free_pages(g);

	/* An order past dom0's limit (2^18 pages), any memory flag, too many extents. */
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_populate_physmap, id, RAM0_GFN, 1, 19, 0), 0);
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_populate_physmap, id, RAM0_GFN, 1, 0, 1), 0);
	/* An extent whose gfn is not aligned to its order: done up to it, not past. */
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_populate_physmap, id, RAM0_GFN, 2, 1, 0), 2);
	{
		u64 list = guest_alloc_pages(g, 1), *gfns = guest_mem(g, list);
		struct xen_memory_reservation r = { .extent_start = list, .nr_extents = 3,
						    .extent_order = 1, .domid = id };

		gfns[0] = RAM0_GFN + 8;
		gfns[1] = RAM0_GFN + 11; /* odd: refused */
		gfns[2] = RAM0_GFN + 12;
		GUEST_EXPECT_EQ(g, guest_memory_op(g, XENMEM_populate_physmap, &r, sizeof(r)), 1);
		/* A gfn whose address does not fit 64 bits. */
		gfns[0] = ~0ULL << 1;
		GUEST_EXPECT_EQ(g, guest_memory_op(g, XENMEM_populate_physmap, &r, sizeof(r)), 0);
	}
	GUEST_EXPECT_EQ(g, query(g, XENMEM_current_reservation, id), 6);
	/* Giving back what is not RAM there: nothing goes. */
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_decrease_reservation, id, RAM0_GFN + 100, 1, 0, 0),
			0);
	/* The same pages twice over: the first go, the second is refused. */
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_decrease_reservation, id, RAM0_GFN, 2, 0, 0), 2);
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_decrease_reservation, id, RAM0_GFN, 2, 0, 0), 0);
	/* Nobody there. */
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_populate_physmap, 77, RAM0_GFN, 1, 0, 0), 0);
	GUEST_EXPECT_EQ(g, query(g, XENMEM_current_reservation, 77), -ESRCH);
	GUEST_EXPECT(g, free - guest_free_pages(g) <= 8); /* the 6 pages, maybe a table page */
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, id), 0);
}

static void test_refused_reservations_do_nothing_past_the_refusal(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_asks_for_reservations_it_may_not_have });
}

#define LONG_POPULATE 600

static void dom0_populates_many_pages_in_one_call(struct guest *g)
{
	domid_t id = empty_domu(g, LONG_POPULATE);

	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_populate_physmap, id, RAM0_GFN, LONG_POPULATE, 0, 0),
			LONG_POPULATE);
	/*
	 * One call, entered again after each batch of 64 extents: no entry read
	 * more than a batch of the list and the request (600 reads without).
	 */
	GUEST_EXPECT(g, guest_max_trap_accesses(g) <= 64 + 8);
	GUEST_EXPECT_EQ(g, query(g, XENMEM_current_reservation, id), LONG_POPULATE);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, id), 0);
}

/*
 * A balloon gives back pages in lists: each page leaves the map without a TLB
 * invalidation of its own, and the call ends with one flush (before it
 * returns: those frames stay the guest's, nothing else may see them through
 * a stale entry, but the guest's next use of the gfn must not either).
 */
static void dom0_takes_back_a_list_of_a_domus_pages(struct guest *g)
{
	domid_t id = empty_domu(g, 64);
	u64 inval, flush;

	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_populate_physmap, id, RAM0_GFN, 64, 0, 0), 64);
	fake_s2_tlb_count(id);
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_decrease_reservation, id, RAM0_GFN, 32, 0, 0), 32);
	fake_s2_tlb_counts(&inval, &flush);
	GUEST_EXPECT_EQ(g, inval, 0);
	GUEST_EXPECT_EQ(g, flush, 1);
	/* Nothing given back, nothing owed. */
	fake_s2_tlb_count(id);
	GUEST_EXPECT_EQ(g, reserve(g, XENMEM_decrease_reservation, id, RAM0_GFN, 1, 0, 0), 0);
	fake_s2_tlb_counts(&inval, &flush);
	GUEST_EXPECT_EQ(g, inval + flush, 0);
	fake_s2_tlb_count((u16)~0U);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, id), 0);
}

static void test_a_list_given_back_costs_one_tlb_flush_not_one_a_page(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_takes_back_a_list_of_a_domus_pages });
}

static void test_a_long_populate_continues_a_batch_at_a_time(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_populates_many_pages_in_one_call });
}

/* ---- queries ---- */

static long domu_answers[4];

static void domu_asks_about_itself_and_dom0(struct guest *g)
{
	long a[4];

	a[0] = query(g, XENMEM_current_reservation, DOMID_SELF);
	a[1] = query(g, XENMEM_current_reservation, 0);
	a[2] = guest_hypercall(g, __HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0, 0, 0, 0);
	/* A query has no continuation: a start index in the command is refused. */
	a[3] = guest_hypercall(g, __HYPERVISOR_memory_op, XENMEM_maximum_ram_page | (1 << 6), 0,
			       0, 0, 0);
	for (int i = 0; i < 4; i++)
		__atomic_store_n(&domu_answers[i], a[i], __ATOMIC_RELEASE);
}

static long answer(int i)
{
	return __atomic_load_n(&domu_answers[i], __ATOMIC_ACQUIRE);
}

static void dom0_lets_a_domu_ask(struct guest *g)
{
	long id;

	memset(domu_answers, 0x55, sizeof(domu_answers));
	id = guest_domu_create(g, &(struct domu_spec){ .name = "asks", .mem_pages = 32 },
			       domu_asks_about_itself_and_dom0, 0);
	GUEST_EXPECT(g, id > 0);
	while (guest_vcpu_state(g, (domid_t)id, 0) != DOMUS_VCPU_OFFLINE)
		guest_yield(g);
	GUEST_EXPECT_EQ(g, answer(0), 32);
	GUEST_EXPECT_EQ(g, answer(1), -EPERM);
	/* The machine's last RAM frame + 1: the fake machine's 64 MiB from 0x40000000. */
	GUEST_EXPECT_EQ(g, answer(2), (0x40000000 + MiB(64)) >> PAGE_SHIFT);
	GUEST_EXPECT_EQ(g, answer(3), -EINVAL);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_a_domu_may_ask_about_itself_not_about_dom0(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_lets_a_domu_ask });
}

/* ---- shared_info's place ---- */

static long add_shared_info(struct guest *g, u64 gfn, u64 idx)
{
	struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
					.idx = idx, .gpfn = gfn };

	return guest_memory_op(g, XENMEM_add_to_physmap, &a, sizeof(a));
}

static long remove_gfn(struct guest *g, u64 gfn)
{
	struct xen_remove_from_physmap r = { .domid = DOMID_SELF, .gpfn = gfn };

	return guest_memory_op(g, XENMEM_remove_from_physmap, &r, sizeof(r));
}

#define HOLE_GFN ((GUEST_MAGIC_BASE + MiB(1)) >> PAGE_SHIFT)

static void dom0_moves_its_shared_info(struct guest *g)
{
	struct shared_info *first, *second;

	GUEST_EXPECT_EQ(g, add_shared_info(g, HOLE_GFN, 1), -EINVAL); /* only frame 0 */
	GUEST_EXPECT_EQ(g, add_shared_info(g, HOLE_GFN, 0), 0);
	first = guest_mem(g, HOLE_GFN << PAGE_SHIFT);
	first->wc_sec = 0x1234; /* the guest's mark on the page */
	/* One place at a time: a second is refused while the first holds it. */
	GUEST_EXPECT_EQ(g, add_shared_info(g, HOLE_GFN + 1, 0), -EBUSY);
	GUEST_EXPECT_EQ(g, remove_gfn(g, HOLE_GFN + 1), -ENOENT);
	/* Removed, it can be placed elsewhere: the same page, as the guest left it. */
	GUEST_EXPECT_EQ(g, remove_gfn(g, HOLE_GFN), 0);
	GUEST_EXPECT_EQ(g, remove_gfn(g, HOLE_GFN), -ENOENT);
	GUEST_EXPECT_EQ(g, add_shared_info(g, HOLE_GFN + 1, 0), 0);
	second = guest_mem(g, (HOLE_GFN + 1) << PAGE_SHIFT);
	GUEST_EXPECT(g, first == second);
	GUEST_EXPECT_EQ(g, second->wc_sec, 0x1234);
}

static void test_shared_info_has_one_place_at_a_time_and_keeps_its_page(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_moves_its_shared_info });
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_populate_stops_at_the_domains_limit_and_says_how_far_it_got),
		cmocka_unit_test(test_refused_reservations_do_nothing_past_the_refusal),
		cmocka_unit_test(test_a_long_populate_continues_a_batch_at_a_time),
		cmocka_unit_test(test_a_list_given_back_costs_one_tlb_flush_not_one_a_page),
		cmocka_unit_test(test_a_domu_may_ask_about_itself_not_about_dom0),
		cmocka_unit_test(test_shared_info_has_one_place_at_a_time_and_keeps_its_page),
	};

	return harness_main(argc, argv, "core_memory", tests, ARRAY_SIZE(tests));
}
