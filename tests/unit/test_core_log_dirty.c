// SOURCES: @core tests/unit/core_harness.c
/* SPDX-License-Identifier: MIT */
/*
 * Dirty-page logging (DOMUS_CTL_logdirty) on the fake machine: a running
 * domU's first CLEAN reports every page of its RAM, the next ones only what
 * was written since (here by Domus itself, through copy_to_guest), readpages
 * works on it only while it is logged, its memory calls do nothing while it
 * is, and each refusal is the documented one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <domus/domain.h>
#include <domus/errno.h>
#include <public/memory.h>
#include <public/version.h>
#include <public/xen.h>

#include "core_harness.h"

#define DOMU_PAGES 64 /* guest_domu_build's default: one bitmap word */
#define RAM0_GFN (GUEST_RAM0_BASE / PAGE_SIZE)

/* What the domU tells dom0, and what dom0 asks of it. */
static struct {
	u64 marker_gfn, buffer_gfn; /* 0 until the domU has set them */
	int step; /* dom0: 1 write through Domus, 2 and 3 give a page back */
	int done; /* domU: the last step it finished */
	long released[4]; /* decrease_reservation's result at steps 2 and 3 */
	long removed[4]; /* remove_from_physmap of a RAM page, the same */
	long grant_frame; /* add_to_physmap of a grant frame at step 2 (logged) */
	bool may_end;
} run;

static void wait_step(struct guest *g, int step)
{
	while (__atomic_load_n(&run.step, __ATOMIC_ACQUIRE) < step)
		guest_yield(g);
}

static void give_back_last_page(struct guest *g, u64 list, int step)
{
	struct xen_memory_reservation r = {
		.extent_start = list, .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF
	};

	struct xen_remove_from_physmap rm = { .domid = DOMID_SELF, .gpfn = RAM0_GFN + DOMU_PAGES - 2 };
	struct xen_add_to_physmap grant = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
					    .idx = 0, .gpfn = RAM0_GFN + DOMU_PAGES - 3 };

	run.released[step] = guest_memory_op(g, XENMEM_decrease_reservation, &r, sizeof(r));
	run.removed[step] = guest_memory_op(g, XENMEM_remove_from_physmap, &rm, sizeof(rm));
	/* A grant frame may come while it is logged (its RAM keeps its shape otherwise). */
	if (step == 2)
		run.grant_frame = guest_memory_op(g, XENMEM_add_to_physmap, &grant, sizeof(grant));
}

static void domu_main(struct guest *g)
{
	u64 marker = guest_alloc_pages(g, 1), buffer = guest_alloc_pages(g, 1);
	u64 list = guest_alloc_pages(g, 1);

	memset(guest_mem(g, marker), 0x5a, PAGE_SIZE);
	*(u64 *)guest_mem(g, list) = RAM0_GFN + DOMU_PAGES - 1; /* never allocated here */
	run.buffer_gfn = buffer / PAGE_SIZE;
	__atomic_store_n(&run.marker_gfn, marker / PAGE_SIZE, __ATOMIC_RELEASE);
	wait_step(g, 1);
	/* Domus writes 16 bytes of its version into the buffer. */
	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_xen_version, XENVER_extraversion, buffer,
					   0, 0, 0),
			0);
	__atomic_store_n(&run.done, 1, __ATOMIC_RELEASE);
	for (int step = 2; step <= 3; step++) {
		wait_step(g, step);
		give_back_last_page(g, list, step);
		__atomic_store_n(&run.done, step, __ATOMIC_RELEASE);
	}
	while (!__atomic_load_n(&run.may_end, __ATOMIC_ACQUIRE))
		guest_yield(g);
}

static void ask_domu(struct guest *g, int step)
{
	__atomic_store_n(&run.step, step, __ATOMIC_RELEASE);
	while (__atomic_load_n(&run.done, __ATOMIC_ACQUIRE) < step)
		guest_yield(g);
}

static long logdirty(struct guest *g, domid_t id, u32 op, u64 gfn, u32 count, u64 bitmap)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_logdirty, .domid = id };

	c.u.logdirty = (struct domus_ctl_logdirty){ .op = op, .count = count, .gfn = gfn,
						    .bitmap = bitmap };
	return guest_domus_ctl(g, &c);
}

/* The bitmap buffer in dom0's memory, poisoned past the count / 8 bytes a CLEAN may write. */
static long clean(struct guest *g, domid_t id, u32 count, u64 bitmap_at)
{
	u8 *bitmap = guest_mem(g, bitmap_at);
	long rc;

	memset(bitmap, 0xee, PAGE_SIZE);
	rc = logdirty(g, id, DOMUS_LOGDIRTY_CLEAN, RAM0_GFN, count, bitmap_at);
	GUEST_EXPECT_EQ(g, bitmap[count / 8], 0xee);
	return rc;
}

/* readpages of one gfn into dom0's buffer: 0 with the page copied, or -errno. */
static long read_page(struct guest *g, domid_t id, u64 gfn, u64 gfns_at, u64 buffer_at,
		      u64 missing_at)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_readpages, .domid = id };

	*(u64 *)guest_mem(g, gfns_at) = gfn;
	memset(guest_mem(g, buffer_at), 0, PAGE_SIZE);
	*(u8 *)guest_mem(g, missing_at) = 7;
	c.u.readpages = (struct domus_ctl_readpages){ .gfns = gfns_at, .buffer = buffer_at,
						      .missing = missing_at, .count = 1 };
	return guest_domus_ctl(g, &c);
}

static void dom0_logs_a_running_domu(struct guest *g)
{
	u64 bitmap_at = guest_alloc_pages(g, 1), gfns_at = guest_alloc_pages(g, 1);
	u64 buffer_at = guest_alloc_pages(g, 1), missing_at = guest_alloc_pages(g, 1);
	u64 *bitmap = guest_mem(g, bitmap_at);
	const u8 *page = guest_mem(g, buffer_at);
	u64 free = guest_free_pages_beside_dom0(g), marker;
	domid_t id;
	long rc;

	memset(&run, 0, sizeof(run));
	rc = guest_domu_create(g, &(struct domu_spec){ .name = "logged" }, domu_main, 0);
	GUEST_EXPECT(g, rc > 0);
	id = (domid_t)rc;
	while (!(marker = __atomic_load_n(&run.marker_gfn, __ATOMIC_ACQUIRE)))
		guest_yield(g);

	/* Not logged yet: a running domain is neither read nor cleaned. */
	GUEST_EXPECT_EQ(g, read_page(g, id, marker, gfns_at, buffer_at, missing_at), -EBUSY);
	GUEST_EXPECT_EQ(g, clean(g, id, DOMU_PAGES, bitmap_at), -EINVAL);
	/* ENABLE and DISABLE take no range nor bitmap. */
	GUEST_EXPECT_EQ(g, logdirty(g, id, DOMUS_LOGDIRTY_ENABLE, 0, 64, 0), -EINVAL);
	GUEST_EXPECT_EQ(g, logdirty(g, id, DOMUS_LOGDIRTY_ENABLE, RAM0_GFN, 0, 0), -EINVAL);
	GUEST_EXPECT_EQ(g, logdirty(g, id, DOMUS_LOGDIRTY_ENABLE, 0, 0, bitmap_at), -EINVAL);
	GUEST_EXPECT_EQ(g, logdirty(g, id, 0, 0, 0, 0), -EINVAL); /* no such op */
	GUEST_EXPECT_EQ(g, clean(g, id, DOMU_PAGES, bitmap_at), -EINVAL); /* still not enabled */
	GUEST_EXPECT_EQ(g, logdirty(g, id, DOMUS_LOGDIRTY_ENABLE, 0, 0, 0), 0);
	/* One migration at a time: a second would take the first one's dirty pages. */
	GUEST_EXPECT_EQ(g, logdirty(g, id, DOMUS_LOGDIRTY_ENABLE, 0, 0, 0), -EBUSY);

	/* Logged: readpages copies its page while it runs. */
	GUEST_EXPECT_EQ(g, read_page(g, id, marker, gfns_at, buffer_at, missing_at), 0);
	GUEST_EXPECT_EQ(g, *(u8 *)guest_mem(g, missing_at), 0);
	GUEST_EXPECT_EQ(g, page[0], 0x5a);
	GUEST_EXPECT_EQ(g, page[PAGE_SIZE - 1], 0x5a);

	/* A count that is 0, not a multiple of 64, or past the maximum. */
	GUEST_EXPECT_EQ(g, clean(g, id, 0, bitmap_at), -EINVAL);
	GUEST_EXPECT_EQ(g, clean(g, id, 32, bitmap_at), -EINVAL);
	GUEST_EXPECT_EQ(g, clean(g, id, 65, bitmap_at), -EINVAL);
	GUEST_EXPECT_EQ(g, logdirty(g, id, DOMUS_LOGDIRTY_CLEAN, RAM0_GFN, DOMUS_LOGDIRTY_MAX + 64,
				    bitmap_at),
			-EINVAL);

	/* The first CLEAN: every page it has; the next: none. */
	GUEST_EXPECT_EQ(g, clean(g, id, DOMU_PAGES, bitmap_at), DOMU_PAGES);
	GUEST_EXPECT_EQ(g, bitmap[0], ~0ULL);
	GUEST_EXPECT_EQ(g, clean(g, id, DOMU_PAGES, bitmap_at), 0);
	GUEST_EXPECT_EQ(g, bitmap[0], 0);
	/* Domus writes into its buffer (copy_to_guest): that page, and only it. */
	ask_domu(g, 1);
	GUEST_EXPECT_EQ(g, clean(g, id, DOMU_PAGES, bitmap_at), 1);
	GUEST_EXPECT_EQ(g, bitmap[0], 1ULL << (run.buffer_gfn - RAM0_GFN));
	GUEST_EXPECT_EQ(g, clean(g, id, DOMU_PAGES, bitmap_at), 0);

	/* Its memory cannot shrink while it is logged... */
	ask_domu(g, 2);
	GUEST_EXPECT_EQ(g, run.released[2], 0);
	GUEST_EXPECT_EQ(g, run.removed[2], -EBUSY);
	GUEST_EXPECT_EQ(g, run.grant_frame, 0);
	/* ...and can once logging ends; readpages of the running domain is refused again. */
	GUEST_EXPECT_EQ(g, logdirty(g, id, DOMUS_LOGDIRTY_DISABLE, RAM0_GFN, 0, 0), -EINVAL);
	GUEST_EXPECT_EQ(g, logdirty(g, id, DOMUS_LOGDIRTY_DISABLE, 0, 0, 0), 0);
	GUEST_EXPECT_EQ(g, read_page(g, id, marker, gfns_at, buffer_at, missing_at), -EBUSY);
	GUEST_EXPECT_EQ(g, clean(g, id, DOMU_PAGES, bitmap_at), -EINVAL);
	ask_domu(g, 3);
	GUEST_EXPECT_EQ(g, run.released[3], 1);
	GUEST_EXPECT_EQ(g, run.removed[3], 0);

	__atomic_store_n(&run.may_end, true, __ATOMIC_RELEASE);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, id), 0);
	GUEST_EXPECT_EQ(g, guest_free_pages_beside_dom0(g), free);
}

static void test_clean_reports_every_page_then_only_those_written_since(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_logs_a_running_domu });
}

static void dom0_enables_only_a_built_domu(struct guest *g)
{
	u64 free = guest_free_pages_beside_dom0(g);
	long id = guest_domu_build(g, &(struct domu_spec){ .name = "building" });

	GUEST_EXPECT(g, id > 0);
	/* Being built: there is nothing to migrate yet. */
	GUEST_EXPECT_EQ(g, logdirty(g, (domid_t)id, DOMUS_LOGDIRTY_ENABLE, 0, 0, 0), -EBUSY);
	GUEST_EXPECT_EQ(g, logdirty(g, (domid_t)id, DOMUS_LOGDIRTY_CLEAN, RAM0_GFN, 64,
				    guest_alloc_pages(g, 1)),
			-EINVAL);
	/* Its own domain, and one that does not exist. */
	GUEST_EXPECT_EQ(g, logdirty(g, 0, DOMUS_LOGDIRTY_ENABLE, 0, 0, 0), -EINVAL);
	GUEST_EXPECT_EQ(g, logdirty(g, (domid_t)(id + 1), DOMUS_LOGDIRTY_ENABLE, 0, 0, 0), -ESRCH);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
	GUEST_EXPECT_EQ(g, guest_free_pages_beside_dom0(g), free);
}

static void test_enable_refuses_a_domain_being_built(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_enables_only_a_built_domu });
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_reports_every_page_then_only_those_written_since),
		cmocka_unit_test(test_enable_refuses_a_domain_being_built),
	};

	return harness_main(argc, argv, "core_log_dirty", tests, ARRAY_SIZE(tests));
}
