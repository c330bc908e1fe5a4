// SOURCES: @core tests/unit/core_harness.c
/* SPDX-License-Identifier: MIT */
/*
 * Cloning (DOMUS_CTL_sharepages, hyp/core/clone.c) on the fake machine: a
 * stopped guest's RAM mapped copy-on-write into a clone being built; the
 * first write by either gives the writer a copy of its own, or the frame
 * itself to the last one sharing it; pinned pages (granted, mapped by
 * privcmd, holding a vcpu_info) are copied at once; every frame is freed
 * once, by whoever maps it last; each refusal is the documented one.
 *
 * The fake arch has no stage-2 faults: a guest's store into a read-only
 * page would simply land. So a guest's write is here what arm64 does for
 * it: the write fault's p2m_set_dirty, then the store into the frame the
 * stage 2 has after it. And the test reads frames, types and counts
 * straight from the core (p2m_lookup, mm_frame_owner, mm_frame_refs) as
 * its oracle, from dom0's program while the domains it looks at are
 * stopped or tell it they are done.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include <domus/arch.h>
#include <domus/clone.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <public/memory.h>
#include <public/vcpu.h>
#include <public/version.h>
#include <public/xen.h>

#include "core_harness.h"

#define RAM0_GFN (GUEST_RAM0_BASE / PAGE_SIZE)
#define PAGES 64 /* a parent's RAM: guest_domu_build's default */
/* The harness's pages at the start of a guest's RAM: its kernel page, two scratch pages a vCPU. */
#define HARNESS_PAGES 17
#define DATA_GFN (RAM0_GFN + HARNESS_PAGES) /* the first page the tests fill and look at */
#define DATA_PAGES (PAGES - HARNESS_PAGES)
/* Holes in dom0's guest-physical space, to map the parent's pages at. */
#define DOM0_MAP_GFN ((GUEST_MAGIC_BASE + MiB(1)) / PAGE_SIZE)

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* What the test's programs tell each other (host memory: the test's channel, not Domus'). */
static struct {
	u32 ready; /* the parent's program runs (the harness's page of its RAM is set up) */
	u32 step; /* dom0 -> a domU's program: go on to this step */
	u32 done; /* a domU's program -> dom0: the last step it finished */
	u64 gfn; /* the page dom0 names to a domU's program */
	long rc; /* the result of that program's call */
} run;

/* Each data page of a parent holds its own byte, so that a page in the wrong place shows. */
static u8 marker(u64 gfn)
{
	return (u8)(0x40 + (gfn - RAM0_GFN));
}

/* ---- the oracle: the core's own view ---- */

static struct domain *domain(struct guest *g, domid_t id)
{
	struct domain *d = domain_by_id(id);

	if (!d) {
		guest_fail(g, __FILE__, __LINE__, "no domain d%u", id);
		abort();
	}
	return d;
}

/* What backs gfn in domain id: the frame, with its p2m type in *type (P2M_NONE: a hole). */
static paddr_t frame(struct guest *g, domid_t id, u64 gfn, enum p2m_type *type)
{
	paddr_t pa = pa_init(0);

	if (p2m_lookup(domain(g, id), gfn, &pa, type))
		*type = P2M_NONE;
	return pa;
}

static u8 *bytes(paddr_t pa)
{
	return p2m_frame_va(pa);
}

/* Whether every byte of the page at pa is b. */
static bool page_is(paddr_t pa, u8 b)
{
	const u8 *p = bytes(pa);

	for (u64 i = 0; i < PAGE_SIZE; i++)
		if (p[i] != b)
			return false;
	return true;
}

/* gfn of domain id has type t at frame pa (a macro, so that a failure names its line). */
#define EXPECT_PAGE(g, id, gfn, t, pa)                                     \
	do {                                                               \
		enum p2m_type t_;                                          \
		paddr_t pa_ = frame(g, id, gfn, &t_);                      \
                                                                           \
		GUEST_EXPECT_EQ(g, t_, t);                                 \
		GUEST_EXPECT_EQ(g, pa_addr(pa_), pa_addr(pa));             \
	} while (0)

/* gfn of domain id is a page of that type, of its own (owner id), whose frame is not pa. */
#define EXPECT_OWN_COPY(g, id, gfn, pa)                                    \
	do {                                                               \
		enum p2m_type t_;                                          \
		paddr_t pa_ = frame(g, id, gfn, &t_);                      \
                                                                           \
		GUEST_EXPECT_EQ(g, t_, P2M_RAM);                           \
		GUEST_EXPECT(g, pa_addr(pa_) != pa_addr(pa));              \
		GUEST_EXPECT_EQ(g, mm_frame_owner(pa_), id);               \
	} while (0)

/*
 * A guest's store of b over all of gfn, as arm64 runs it: the stage-2 write
 * fault (p2m_set_dirty) first, then the store into the frame it left there.
 * 0, or the fault's error (the store does not happen).
 */
static long store(struct guest *g, domid_t id, u64 gfn, u8 b)
{
	enum p2m_type type;
	long rc = p2m_set_dirty(domain(g, id), gfn);
	paddr_t pa;

	if (rc)
		return rc;
	pa = frame(g, id, gfn, &type);
	GUEST_EXPECT_EQ(g, type, P2M_RAM);
	memset(bytes(pa), b, PAGE_SIZE);
	return 0;
}

/* ---- the toolstack ---- */

static struct domus_ctl_domaininfo info(struct guest *g, domid_t id)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_getdomaininfo, .domid = id };

	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT_EQ(g, c.domid, id);
	return c.u.domaininfo;
}

/* A parent of `pages` pages (from RAM0), each data page filled with its marker; not started. */
static domid_t build_parent(struct guest *g, u64 pages)
{
	long id = guest_domu_build(g, &(struct domu_spec){ .name = "parent", .mem_pages = pages });
	enum p2m_type type;

	GUEST_EXPECT(g, id > 0);
	for (u64 gfn = DATA_GFN; gfn < RAM0_GFN + pages; gfn++)
		memset(bytes(frame(g, (domid_t)id, gfn, &type)), marker(gfn), PAGE_SIZE);
	return (domid_t)id;
}

/*
 * Starts the parent with program fn and pauses it once fn runs: a clone
 * started later then finds the harness's page of its RAM set up, and reads
 * it without writing it.
 */
static void start_and_pause(struct guest *g, domid_t id, guest_fn fn)
{
	STORE(run.ready, 0);
	GUEST_EXPECT_EQ(g, guest_domu_start(g, id, fn, 0), 0);
	while (!LOAD(run.ready))
		guest_yield(g);
	GUEST_EXPECT_EQ(g, guest_domu_pause(g, id, true), 0);
}

static void parent_idles(struct guest *g)
{
	STORE(run.ready, 1);
	for (;;)
		guest_yield(g);
}

static domid_t paused_parent(struct guest *g)
{
	domid_t id = build_parent(g, PAGES);

	start_and_pause(g, id, parent_idles);
	return id;
}

/* A domain being built for a clone: one vCPU, up to max_pages of RAM, none yet. */
static domid_t new_clone(struct guest *g, u64 max_pages)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_createdomain };

	c.u.createdomain.nr_vcpus = 1;
	c.u.createdomain.max_mem_kib = max_pages * 4;
	snprintf(c.u.createdomain.name, sizeof(c.u.createdomain.name), "clone");
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	return c.domid;
}

/* DOMUS_CTL_sharepages from `from` as s asks; s gets the counts back (poisoned before). */
static long share(struct guest *g, domid_t from, struct domus_ctl_sharepages *s)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_sharepages, .domid = from };
	long rc;

	c.u.sharepages = *s;
	c.u.sharepages.shared = c.u.sharepages.copied = 0xdead;
	rc = guest_domus_ctl(g, &c);
	*s = c.u.sharepages;
	return rc;
}

/* All of the parent's RAM into clone to: the call's result; the counts in *s. */
static long share_all(struct guest *g, domid_t from, domid_t to, struct domus_ctl_sharepages *s)
{
	*s = (struct domus_ctl_sharepages){ .gfn = RAM0_GFN, .count = PAGES, .to = to };
	return share(g, from, s);
}

static void destroy(struct guest *g, domid_t id)
{
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, id), 0);
}

/* ================================================================
 * a. Sharing: the same frames, read-only in both, counted in both.
 * ================================================================ */

static void dom0_shares_a_paused_parent(struct guest *g)
{
	u64 free = guest_free_pages(g), before, tables;
	struct domus_ctl_sharepages s;
	domid_t parent = paused_parent(g), clone = new_clone(g, PAGES), second;
	paddr_t pa[PAGES];
	enum p2m_type type;

	for (u64 i = 0; i < PAGES; i++) {
		pa[i] = frame(g, parent, RAM0_GFN + i, &type);
		GUEST_EXPECT_EQ(g, type, P2M_RAM);
		GUEST_EXPECT_EQ(g, mm_frame_owner(pa[i]), parent);
	}
	GUEST_EXPECT_EQ(g, info(g, clone).mem_pages, 0);
	before = guest_free_pages(g);
	tables = info(g, clone).p2m_table_pages;
	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
	GUEST_EXPECT_EQ(g, s.shared, PAGES);
	GUEST_EXPECT_EQ(g, s.copied, 0);
	/* No frame was copied: what went is the clone's new stage-2 tables. */
	GUEST_EXPECT_EQ(g, before - guest_free_pages(g), info(g, clone).p2m_table_pages - tables);
	for (u64 i = 0; i < PAGES; i++) {
		EXPECT_PAGE(g, parent, RAM0_GFN + i, P2M_RAM_COW, pa[i]);
		EXPECT_PAGE(g, clone, RAM0_GFN + i, P2M_RAM_COW, pa[i]);
		GUEST_EXPECT_EQ(g, mm_frame_owner(pa[i]), DOMID_COW);
		GUEST_EXPECT_EQ(g, mm_frame_refs(pa[i]), 2);
	}
	GUEST_EXPECT(g, page_is(pa[PAGES - 1], marker(RAM0_GFN + PAGES - 1)));
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES);
	GUEST_EXPECT_EQ(g, info(g, parent).mem_pages, PAGES);
	GUEST_EXPECT_EQ(g, info(g, clone).shared_pages, PAGES);
	GUEST_EXPECT_EQ(g, info(g, clone).mem_pages, PAGES);

	/* A second clone: the same frames three ways; the parent had nothing more to give up. */
	second = new_clone(g, PAGES);
	GUEST_EXPECT_EQ(g, share_all(g, parent, second, &s), 0);
	GUEST_EXPECT_EQ(g, s.shared, PAGES);
	GUEST_EXPECT_EQ(g, s.copied, 0);
	for (u64 i = 0; i < PAGES; i++) {
		EXPECT_PAGE(g, second, RAM0_GFN + i, P2M_RAM_COW, pa[i]);
		GUEST_EXPECT_EQ(g, mm_frame_refs(pa[i]), 3);
	}
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES);
	GUEST_EXPECT_EQ(g, info(g, second).shared_pages, PAGES);
	GUEST_EXPECT_EQ(g, info(g, second).mem_pages, PAGES);

	destroy(g, second);
	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_sharing_maps_the_parents_frames_read_only_into_both_and_counts_them(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_shares_a_paused_parent });
}

/* A parent that suspends itself when told (Linux's own suspend, as `domus clone` has it). */
static void parent_suspends_when_told(struct guest *g)
{
	STORE(run.ready, 1);
	while (LOAD(run.step) < 1)
		guest_yield(g);
	guest_shutdown(g, SHUTDOWN_suspend);
	for (;;)
		guest_yield(g);
}

static void dom0_shares_a_suspended_parent(struct guest *g)
{
	u64 free = guest_free_pages(g);
	domid_t parent = build_parent(g, PAGES), clone = new_clone(g, PAGES + 16);
	struct domus_ctl_sharepages s;
	enum p2m_type type;

	memset(&run, 0, sizeof(run));
	GUEST_EXPECT_EQ(g, guest_domu_start(g, parent, parent_suspends_when_told, 0), 0);
	while (!LOAD(run.ready))
		guest_yield(g);
	/* Running: it could write a page while it is being shared. */
	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), -EBUSY);
	GUEST_EXPECT_EQ(g, s.shared + s.copied, 0);
	STORE(run.step, 1);
	while (info(g, parent).state != DOMUS_DOMAIN_SHUTDOWN)
		guest_yield(g);
	/* A range past its RAM: the holes there are skipped, and cost the clone nothing. */
	s = (struct domus_ctl_sharepages){ .gfn = RAM0_GFN, .count = PAGES + 64, .to = clone };
	GUEST_EXPECT_EQ(g, share(g, parent, &s), 0);
	GUEST_EXPECT_EQ(g, s.shared, PAGES);
	GUEST_EXPECT_EQ(g, s.copied, 0);
	GUEST_EXPECT_EQ(g, info(g, clone).mem_pages, PAGES);
	frame(g, clone, RAM0_GFN + PAGES, &type);
	GUEST_EXPECT_EQ(g, type, P2M_NONE);
	frame(g, clone, RAM0_GFN + PAGES - 1, &type);
	GUEST_EXPECT_EQ(g, type, P2M_RAM_COW);
	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_a_suspended_parent_is_shared_a_running_one_is_not(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_shares_a_suspended_parent });
}

/*
 * A clone as large as the parent's RAM, given a range that runs on past it:
 * once the clone has all the RAM there is, the holes left still cost nothing.
 */
static void dom0_shares_a_range_ending_in_holes_into_a_clone_at_its_limit(struct guest *g)
{
	u64 free = guest_free_pages(g);
	domid_t parent = paused_parent(g), clone = new_clone(g, PAGES);
	struct domus_ctl_sharepages s = { .gfn = RAM0_GFN, .count = PAGES + 64, .to = clone };

	GUEST_EXPECT_EQ(g, share(g, parent, &s), 0);
	GUEST_EXPECT_EQ(g, s.shared, PAGES);
	GUEST_EXPECT_EQ(g, s.copied, 0);
	GUEST_EXPECT_EQ(g, info(g, clone).mem_pages, PAGES);
	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_holes_past_the_ram_are_skipped_even_with_the_clone_at_its_limit(void **state)
{
	machine_run(&(struct machine_cfg){
		.dom0_main = dom0_shares_a_range_ending_in_holes_into_a_clone_at_its_limit });
}

/* ================================================================
 * b. A write: the writer's own copy; the last sharer takes the frame.
 * ================================================================ */

static void dom0_writes_as_the_clone_then_as_the_parent(struct guest *g)
{
	u64 free = guest_free_pages(g), gfn = DATA_GFN + 3, left;
	domid_t parent = paused_parent(g), clone = new_clone(g, PAGES);
	struct domus_ctl_sharepages s;
	paddr_t old, copy;
	enum p2m_type type;

	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
	old = frame(g, parent, gfn, &type);
	left = mm_free_count();

	/* The clone's write fault: a copy of its own, with the same bytes, for one page. */
	GUEST_EXPECT_EQ(g, p2m_set_dirty(domain(g, clone), gfn), 0);
	EXPECT_OWN_COPY(g, clone, gfn, old);
	copy = frame(g, clone, gfn, &type);
	GUEST_EXPECT_EQ(g, memcmp(bytes(copy), bytes(old), PAGE_SIZE), 0);
	GUEST_EXPECT_EQ(g, mm_frame_refs(copy), 0);
	GUEST_EXPECT_EQ(g, mm_free_count(), left - 1);
	/* The parent's page is as it was, shared with nobody now but still read-only. */
	EXPECT_PAGE(g, parent, gfn, P2M_RAM_COW, old);
	GUEST_EXPECT_EQ(g, mm_frame_owner(old), DOMID_COW);
	GUEST_EXPECT_EQ(g, mm_frame_refs(old), 1);
	GUEST_EXPECT_EQ(g, info(g, clone).shared_pages, PAGES - 1);
	GUEST_EXPECT_EQ(g, info(g, clone).mem_pages, PAGES);
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES);
	/* What the clone stores lands in its copy alone. */
	memset(bytes(copy), 0xc1, PAGE_SIZE);
	GUEST_EXPECT(g, page_is(old, marker(gfn)));

	/* The parent's write fault, as the last to map the frame: it takes it, no copy. */
	GUEST_EXPECT_EQ(g, p2m_set_dirty(domain(g, parent), gfn), 0);
	EXPECT_PAGE(g, parent, gfn, P2M_RAM, old);
	GUEST_EXPECT_EQ(g, mm_frame_owner(old), parent);
	GUEST_EXPECT_EQ(g, mm_frame_refs(old), 0);
	GUEST_EXPECT_EQ(g, mm_free_count(), left - 1);
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES - 1);
	GUEST_EXPECT_EQ(g, info(g, parent).mem_pages, PAGES);
	GUEST_EXPECT(g, page_is(old, marker(gfn)));
	memset(bytes(old), 0xb1, PAGE_SIZE);
	GUEST_EXPECT(g, page_is(copy, 0xc1));

	/* Its own page now: another fault there changes nothing. */
	GUEST_EXPECT_EQ(g, p2m_set_dirty(domain(g, clone), gfn), 0);
	EXPECT_PAGE(g, clone, gfn, P2M_RAM, copy);
	GUEST_EXPECT_EQ(g, mm_free_count(), left - 1);
	GUEST_EXPECT_EQ(g, info(g, clone).shared_pages, PAGES - 1);
	/* Every other page is still shared by both. */
	EXPECT_PAGE(g, clone, gfn + 1, P2M_RAM_COW, frame(g, parent, gfn + 1, &type));
	GUEST_EXPECT_EQ(g, type, P2M_RAM_COW);

	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_a_write_gives_the_writer_a_copy_and_the_last_sharer_the_frame(void **state)
{
	machine_run(&(struct machine_cfg){
		.dom0_main = dom0_writes_as_the_clone_then_as_the_parent });
}

/* ================================================================
 * c. Domus writing for a guest (copy_to_guest) unshares that guest's page.
 * ================================================================ */

/* A clone: asks Domus for its version string, into the page dom0 names (shared). */
static void clone_reads_its_version(struct guest *g)
{
	run.rc = guest_hypercall(g, __HYPERVISOR_xen_version, XENVER_extraversion,
				 LOAD(run.gfn) << PAGE_SHIFT, 0, 0, 0);
	STORE(run.done, 1);
}

static void dom0_has_domus_write_into_shared_pages(struct guest *g)
{
	u64 free = guest_free_pages(g), gfn = DATA_GFN + 5, other = DATA_GFN + 6;
	u64 version_at = guest_alloc_pages(g, 1);
	domid_t parent = paused_parent(g), clone = new_clone(g, PAGES);
	const u8 *version = guest_mem(g, version_at);
	struct domus_ctl_sharepages s;
	u8 buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, got[8];
	paddr_t old, mine;
	enum p2m_type type;

	GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_xen_version, XENVER_extraversion,
					   version_at, 0, 0, 0),
			0);
	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
	old = frame(g, parent, gfn, &type);
	memset(&run, 0, sizeof(run));
	run.gfn = gfn;
	GUEST_EXPECT_EQ(g, guest_domu_start(g, clone, clone_reads_its_version, 0), 0);
	while (!LOAD(run.done))
		guest_yield(g);
	GUEST_EXPECT_EQ(g, run.rc, 0);
	/* The clone's page: its own copy, with Domus' 16 bytes and the rest as it was. */
	EXPECT_OWN_COPY(g, clone, gfn, old);
	mine = frame(g, clone, gfn, &type);
	GUEST_EXPECT_EQ(g, memcmp(bytes(mine), version, 16), 0);
	GUEST_EXPECT_EQ(g, memcmp(bytes(mine) + 16, bytes(old) + 16, PAGE_SIZE - 16), 0);
	/* The parent's: the old frame and bytes, still shared. */
	EXPECT_PAGE(g, parent, gfn, P2M_RAM_COW, old);
	GUEST_EXPECT(g, page_is(old, marker(gfn)));
	GUEST_EXPECT_EQ(g, info(g, clone).shared_pages, PAGES - 1);
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES);

	/* Domus reading a shared page for a guest leaves it shared... */
	old = frame(g, parent, other, &type);
	GUEST_EXPECT_EQ(g, p2m_copy(domain(g, parent), ipa_init((other << PAGE_SHIFT) + 100), got,
				    sizeof(got), false),
			0);
	GUEST_EXPECT_EQ(g, got[0], marker(other));
	EXPECT_PAGE(g, parent, other, P2M_RAM_COW, old);
	/* ...writing gives the writer (the parent here) its own copy, the other keeps the frame. */
	GUEST_EXPECT_EQ(g, p2m_copy(domain(g, parent), ipa_init((other << PAGE_SHIFT) + 100), buf,
				    sizeof(buf), true),
			0);
	EXPECT_OWN_COPY(g, parent, other, old);
	mine = frame(g, parent, other, &type);
	GUEST_EXPECT_EQ(g, memcmp(bytes(mine) + 100, buf, sizeof(buf)), 0);
	GUEST_EXPECT_EQ(g, bytes(mine)[99], marker(other));
	GUEST_EXPECT_EQ(g, bytes(mine)[108], marker(other));
	EXPECT_PAGE(g, clone, other, P2M_RAM_COW, old);
	GUEST_EXPECT(g, page_is(old, marker(other)));
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES - 1);

	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_domus_writing_for_a_guest_unshares_only_that_guests_page(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_has_domus_write_into_shared_pages });
}

/* ================================================================
 * d. Pinned pages are copied, never shared; pinning a shared page
 *    gives its domain a frame of its own first.
 * ================================================================ */

#define VCPU_INFO_GFN (DATA_GFN + 0)
#define GRANTED_GFN (DATA_GFN + 1) /* granted to dom0 and mapped before the sharing */
#define FOREIGN_GFN (DATA_GFN + 2) /* mapped by dom0's privcmd before the sharing */
#define GRANTED_LATER_GFN (DATA_GFN + 3) /* the same, after */
#define FOREIGN_LATER_GFN (DATA_GFN + 4)
#define GRANTED_REF 2 /* reserved refs, which dom0 seeds while the parent is built */
#define GRANTED_LATER_REF 3

/* A parent with a vcpu_info in its RAM: Domus writes the page from then on. */
static void parent_places_its_vcpu_info(struct guest *g)
{
	struct vcpu_register_vcpu_info r = { .mfn = VCPU_INFO_GFN, .offset = 64 };

	GUEST_EXPECT_EQ(g, guest_vcpu_op(g, VCPUOP_register_vcpu_info, 0, &r, sizeof(r)), 0);
	parent_idles(g);
}

static long seed_grant(struct guest *g, domid_t id, u32 ref, u64 gfn)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_seedgrant, .domid = id };

	c.u.seedgrant = (struct domus_ctl_seedgrant){ .ref = ref, .grantee = 0, .gfn = gfn };
	return guest_domus_ctl(g, &c);
}

/* dom0 maps ref of domain id at its gfn at: the handle. */
static u32 map_grant(struct guest *g, domid_t id, u32 ref, u64 at)
{
	struct gnttab_map_grant_ref map = { .host_addr = at << PAGE_SHIFT, .flags = GNTMAP_host_map,
					    .ref = ref, .dom = id };

	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_map_grant_ref, &map, sizeof(map), 1), 0);
	GUEST_EXPECT_EQ(g, map.status, GNTST_okay);
	return map.handle;
}

static void unmap_grant(struct guest *g, u32 handle, u64 at)
{
	struct gnttab_unmap_grant_ref unmap = { .host_addr = at << PAGE_SHIFT, .handle = handle };

	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_unmap_grant_ref, &unmap, sizeof(unmap), 1),
			0);
	GUEST_EXPECT_EQ(g, unmap.status, GNTST_okay);
}

/* dom0's privcmd mapping of gfn of domain id at its gfn at (XENMEM_add_to_physmap_batch). */
static void map_foreign(struct guest *g, domid_t id, u64 gfn, u64 at)
{
	u64 list = guest_alloc_pages(g, 1); /* dom0's, never freed: a few pages a test */
	u64 *idxs = guest_mem(g, list), *gpfns = idxs + 1;
	s32 *errs = (s32 *)(gpfns + 1);
	struct xen_add_to_physmap_batch b = {
		.domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign, .size = 1,
		.foreign_domid = id, .idxs = list, .gpfns = list + 8, .errs = list + 16,
	};

	*idxs = gfn;
	*gpfns = at;
	*errs = 1;
	GUEST_EXPECT_EQ(g, guest_memory_op(g, XENMEM_add_to_physmap_batch, &b, sizeof(b)), 0);
	GUEST_EXPECT_EQ(g, *errs, 0);
}

static void unmap_foreign(struct guest *g, u64 at)
{
	struct xen_remove_from_physmap r = { .domid = DOMID_SELF, .gpfn = at };

	GUEST_EXPECT_EQ(g, guest_memory_op(g, XENMEM_remove_from_physmap, &r, sizeof(r)), 0);
}

static void dom0_shares_a_parent_with_pinned_pages(struct guest *g)
{
	static const u64 pinned[] = { VCPU_INFO_GFN, GRANTED_GFN, FOREIGN_GFN };
	u64 free = guest_free_pages_beside_dom0(g);
	domid_t parent = build_parent(g, PAGES), clone = new_clone(g, PAGES);
	struct domus_ctl_sharepages s;
	paddr_t pa[ARRAY_SIZE(pinned)], old, own;
	u32 handle, later;
	enum p2m_type type;

	GUEST_EXPECT_EQ(g, seed_grant(g, parent, GRANTED_REF, GRANTED_GFN), 0);
	GUEST_EXPECT_EQ(g, seed_grant(g, parent, GRANTED_LATER_REF, GRANTED_LATER_GFN), 0);
	start_and_pause(g, parent, parent_places_its_vcpu_info);
	handle = map_grant(g, parent, GRANTED_REF, DOM0_MAP_GFN);
	map_foreign(g, parent, FOREIGN_GFN, DOM0_MAP_GFN + 1);
	for (size_t i = 0; i < ARRAY_SIZE(pinned); i++) {
		pa[i] = frame(g, parent, pinned[i], &type);
		GUEST_EXPECT_EQ(g, mm_frame_refs(pa[i]), 1);
	}

	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
	GUEST_EXPECT_EQ(g, s.shared, PAGES - ARRAY_SIZE(pinned));
	GUEST_EXPECT_EQ(g, s.copied, ARRAY_SIZE(pinned));
	GUEST_EXPECT_EQ(g, info(g, clone).mem_pages, PAGES);
	GUEST_EXPECT_EQ(g, info(g, clone).shared_pages, PAGES - ARRAY_SIZE(pinned));
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES - ARRAY_SIZE(pinned));
	for (size_t i = 0; i < ARRAY_SIZE(pinned); i++) {
		print_message("  pinned gfn %#lx\n", pinned[i]);
		/* The parent keeps its frame, writable (whoever holds it sees what it writes)... */
		EXPECT_PAGE(g, parent, pinned[i], P2M_RAM, pa[i]);
		GUEST_EXPECT_EQ(g, mm_frame_owner(pa[i]), parent);
		GUEST_EXPECT_EQ(g, mm_frame_refs(pa[i]), 1);
		/* ...the clone has a copy of it. */
		EXPECT_OWN_COPY(g, clone, pinned[i], pa[i]);
		GUEST_EXPECT_EQ(g, memcmp(bytes(frame(g, clone, pinned[i], &type)), bytes(pa[i]),
					  PAGE_SIZE),
				0);
	}
	/* dom0's mappings are of the parent's frames still. */
	EXPECT_PAGE(g, 0, DOM0_MAP_GFN, P2M_FOREIGN_RW, pa[1]);
	EXPECT_PAGE(g, 0, DOM0_MAP_GFN + 1, P2M_MAP_FOREIGN, pa[2]);

	/* A grant map of a page now shared: the granter's own frame first, and that is mapped. */
	old = frame(g, parent, GRANTED_LATER_GFN, &type);
	later = map_grant(g, parent, GRANTED_LATER_REF, DOM0_MAP_GFN + 2);
	EXPECT_OWN_COPY(g, parent, GRANTED_LATER_GFN, old);
	own = frame(g, parent, GRANTED_LATER_GFN, &type);
	EXPECT_PAGE(g, 0, DOM0_MAP_GFN + 2, P2M_FOREIGN_RW, own);
	GUEST_EXPECT_EQ(g, mm_frame_refs(own), 1);
	EXPECT_PAGE(g, clone, GRANTED_LATER_GFN, P2M_RAM_COW, old);
	GUEST_EXPECT_EQ(g, mm_frame_refs(old), 1);
	/* What dom0 writes there the parent sees, and the clone does not. */
	memset(guest_mem(g, (DOM0_MAP_GFN + 2) << PAGE_SHIFT), 0xd0, PAGE_SIZE);
	GUEST_EXPECT(g, page_is(own, 0xd0));
	GUEST_EXPECT(g, page_is(old, marker(GRANTED_LATER_GFN)));
	/* The same for a privcmd mapping. */
	old = frame(g, parent, FOREIGN_LATER_GFN, &type);
	map_foreign(g, parent, FOREIGN_LATER_GFN, DOM0_MAP_GFN + 3);
	EXPECT_OWN_COPY(g, parent, FOREIGN_LATER_GFN, old);
	own = frame(g, parent, FOREIGN_LATER_GFN, &type);
	EXPECT_PAGE(g, 0, DOM0_MAP_GFN + 3, P2M_MAP_FOREIGN, own);
	GUEST_EXPECT_EQ(g, mm_frame_refs(own), 1);
	EXPECT_PAGE(g, clone, FOREIGN_LATER_GFN, P2M_RAM_COW, old);
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES - ARRAY_SIZE(pinned) - 2);
	GUEST_EXPECT_EQ(g, info(g, clone).shared_pages, PAGES - ARRAY_SIZE(pinned));

	/* Unmapped, the pins go; the vcpu_info's stays. */
	unmap_grant(g, handle, DOM0_MAP_GFN);
	unmap_grant(g, later, DOM0_MAP_GFN + 2);
	unmap_foreign(g, DOM0_MAP_GFN + 1);
	unmap_foreign(g, DOM0_MAP_GFN + 3);
	GUEST_EXPECT_EQ(g, mm_frame_refs(pa[0]), 1);
	GUEST_EXPECT_EQ(g, mm_frame_refs(pa[1]), 0);
	GUEST_EXPECT_EQ(g, mm_frame_refs(pa[2]), 0);
	GUEST_EXPECT_EQ(g, mm_frame_refs(own), 0);

	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages_beside_dom0(g), free);
}

static void test_pinned_pages_are_copied_and_pinning_a_shared_page_unshares_it(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_shares_a_parent_with_pinned_pages });
}

/*
 * A vcpu_info may also be placed in the guest's own frame as it maps it
 * through a grant of its own (vcpu_op.c): Domus writes that frame as much,
 * so it is pinned as much, and a refused second registration there takes
 * away no pin it did not add.
 */
#define SELF_REF 4
#define SELF_GFN (DATA_GFN + 8) /* granted to itself, mapped at SELF_MAP_GFN */
#define SELF_MAP_GFN (RAM0_GFN + 0x1000) /* a hole in the parent's space */
#define SELF_INFO_GFN (DATA_GFN + 9) /* granted to itself too, vcpu_info there, unmapped */
#define SELF_INFO_MAP_GFN (RAM0_GFN + 0x1001)

static void parent_places_vcpu_infos_in_its_own_granted_frames(struct guest *g)
{
	/* By its own id: DOMID_SELF names nobody in a grant map (gnttab.c, as Xen). */
	struct gnttab_map_grant_ref map = { .flags = GNTMAP_host_map, .dom = guest_domid(g) };
	struct gnttab_unmap_grant_ref unmap;
	struct vcpu_register_vcpu_info r = { .mfn = SELF_INFO_MAP_GFN, .offset = 0 };

	/* Its vcpu_info in a frame it maps by grant; the mapping then goes, the vcpu_info stays. */
	map.ref = SELF_REF + 1;
	map.host_addr = SELF_INFO_MAP_GFN << PAGE_SHIFT;
	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_map_grant_ref, &map, sizeof(map), 1), 0);
	GUEST_EXPECT_EQ(g, map.status, GNTST_okay);
	GUEST_EXPECT_EQ(g, guest_vcpu_op(g, VCPUOP_register_vcpu_info, 0, &r, sizeof(r)), 0);
	unmap = (struct gnttab_unmap_grant_ref){ .host_addr = map.host_addr, .handle = map.handle };
	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_unmap_grant_ref, &unmap, sizeof(unmap), 1),
			0);
	GUEST_EXPECT_EQ(g, unmap.status, GNTST_okay);
	/* Another frame it maps by grant, and keeps mapped: a second vcpu_info is refused. */
	map.ref = SELF_REF;
	map.host_addr = SELF_MAP_GFN << PAGE_SHIFT;
	GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_map_grant_ref, &map, sizeof(map), 1), 0);
	GUEST_EXPECT_EQ(g, map.status, GNTST_okay);
	r.mfn = SELF_MAP_GFN;
	GUEST_EXPECT_EQ(g, guest_vcpu_op(g, VCPUOP_register_vcpu_info, 0, &r, sizeof(r)), -EINVAL);
	parent_idles(g);
}

static long seed_self_grant(struct guest *g, domid_t id, u32 ref, u64 gfn)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_seedgrant, .domid = id };

	c.u.seedgrant = (struct domus_ctl_seedgrant){ .ref = ref, .grantee = id, .gfn = gfn };
	return guest_domus_ctl(g, &c);
}

static void dom0_shares_vcpu_infos_in_self_granted_frames(struct guest *g)
{
	u64 free = guest_free_pages(g);
	domid_t parent = build_parent(g, PAGES), clone = new_clone(g, PAGES);
	struct domus_ctl_sharepages s;
	paddr_t info_pa, mapped_pa;
	enum p2m_type type;

	GUEST_EXPECT_EQ(g, seed_self_grant(g, parent, SELF_REF, SELF_GFN), 0);
	GUEST_EXPECT_EQ(g, seed_self_grant(g, parent, SELF_REF + 1, SELF_INFO_GFN), 0);
	start_and_pause(g, parent, parent_places_vcpu_infos_in_its_own_granted_frames);
	info_pa = frame(g, parent, SELF_INFO_GFN, &type);
	mapped_pa = frame(g, parent, SELF_GFN, &type);
	EXPECT_PAGE(g, parent, SELF_MAP_GFN, P2M_FOREIGN_RW, mapped_pa);
	GUEST_EXPECT_EQ(g, mm_frame_refs(info_pa), 1); /* the vcpu_info's */
	GUEST_EXPECT_EQ(g, mm_frame_refs(mapped_pa), 1); /* the grant mapping's */

	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
	GUEST_EXPECT_EQ(g, s.copied, 2);
	GUEST_EXPECT_EQ(g, s.shared, PAGES - 2);
	EXPECT_PAGE(g, parent, SELF_INFO_GFN, P2M_RAM, info_pa);
	EXPECT_OWN_COPY(g, clone, SELF_INFO_GFN, info_pa);
	EXPECT_PAGE(g, parent, SELF_GFN, P2M_RAM, mapped_pa);
	EXPECT_OWN_COPY(g, clone, SELF_GFN, mapped_pa);

	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_a_vcpu_info_in_its_own_frame_mapped_by_grant_pins_it_too(void **state)
{
	machine_run(&(struct machine_cfg){
		.dom0_main = dom0_shares_vcpu_infos_in_self_granted_frames });
}

/* A page inside a 2 MiB block of the parent's cannot be made read-only alone: it is copied. */
static void dom0_shares_a_parent_whose_ram_is_one_block(struct guest *g)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_createdomain };
	u64 list = guest_alloc_pages(g, 1), free = guest_free_pages(g), attrs;
	struct xen_memory_reservation r = {
		.extent_start = list, .nr_extents = 1, .extent_order = 9,
	};
	struct domus_ctl_sharepages s;
	paddr_t pa, first;
	enum p2m_type type;
	domid_t parent, clone;

	c.u.createdomain.nr_vcpus = 1;
	c.u.createdomain.max_mem_kib = 512 * 4;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	parent = c.domid;
	r.domid = parent;
	*(u64 *)guest_mem(g, list) = RAM0_GFN;
	GUEST_EXPECT_EQ(g, guest_memory_op(g, XENMEM_populate_physmap, &r, sizeof(r)), 1);
	for (u64 gfn = DATA_GFN; gfn < RAM0_GFN + PAGES; gfn++)
		memset(bytes(frame(g, parent, gfn, &type)), marker(gfn), PAGE_SIZE);
	start_and_pause(g, parent, parent_idles);
	clone = new_clone(g, PAGES);
	first = frame(g, parent, RAM0_GFN, &type);

	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
	GUEST_EXPECT_EQ(g, s.shared, 0);
	GUEST_EXPECT_EQ(g, s.copied, PAGES);
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, 0);
	GUEST_EXPECT_EQ(g, info(g, clone).shared_pages, 0);
	for (u64 i = 0; i < PAGES; i++) {
		pa = frame(g, parent, RAM0_GFN + i, &type);
		/* Still the parent's, one block, writable, not pinned: as it was. */
		GUEST_EXPECT_EQ(g, type, P2M_RAM);
		GUEST_EXPECT_EQ(g, pa_addr(pa), pa_addr(first) + i * PAGE_SIZE);
		GUEST_EXPECT_EQ(g, mm_frame_owner(pa), parent);
		GUEST_EXPECT_EQ(g, mm_frame_refs(pa), 0);
		GUEST_EXPECT_EQ(g, arch_s2_lookup(domain(g, parent), gfn_ipa(RAM0_GFN + i), NULL,
						  &attrs),
				0);
		GUEST_EXPECT(g, attrs & S2_W);
		EXPECT_OWN_COPY(g, clone, RAM0_GFN + i, pa);
		GUEST_EXPECT_EQ(g, memcmp(bytes(frame(g, clone, RAM0_GFN + i, &type)), bytes(pa),
					  PAGE_SIZE),
				0);
	}
	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_a_page_inside_a_block_is_copied_and_stays_the_parents(void **state)
{
	machine_run(&(struct machine_cfg){
		.dom0_main = dom0_shares_a_parent_whose_ram_is_one_block });
}

/* ================================================================
 * e. Lifetime: whoever maps a shared frame last frees it, in either order.
 * ================================================================ */

static void dom0_destroys_parent_and_clone_in_both_orders(struct guest *g)
{
	u64 free = mm_free_count();

	for (int parent_first = 1; parent_first >= 0; parent_first--) {
		domid_t parent = paused_parent(g), clone = new_clone(g, PAGES), first, last;
		struct domus_ctl_sharepages s;
		enum p2m_type types[PAGES];
		paddr_t pa[PAGES];
		u64 left;

		print_message("  the %s first\n", parent_first ? "parent" : "clone");
		GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
		/* Each writes one page: a copy of its own for each. */
		GUEST_EXPECT_EQ(g, store(g, clone, DATA_GFN, 0xc0), 0);
		GUEST_EXPECT_EQ(g, store(g, parent, DATA_GFN + 1, 0xb0), 0);
		first = parent_first ? parent : clone;
		last = parent_first ? clone : parent;
		for (u64 i = 0; i < PAGES; i++)
			pa[i] = frame(g, last, RAM0_GFN + i, &types[i]);

		destroy(g, first);
		/* What the other maps is still there, with its bytes; the shared frames its alone. */
		for (u64 i = 0; i < PAGES; i++) {
			u64 gfn = RAM0_GFN + i;

			EXPECT_PAGE(g, last, gfn, types[i], pa[i]);
			if (types[i] == P2M_RAM_COW) {
				GUEST_EXPECT_EQ(g, mm_frame_owner(pa[i]), DOMID_COW);
				GUEST_EXPECT_EQ(g, mm_frame_refs(pa[i]), 1);
			} else {
				GUEST_EXPECT_EQ(g, mm_frame_owner(pa[i]), last);
			}
			if (gfn == DATA_GFN)
				GUEST_EXPECT(g, page_is(pa[i], parent_first ? 0xc0 : marker(gfn)));
			else if (gfn == DATA_GFN + 1)
				GUEST_EXPECT(g, page_is(pa[i], parent_first ? marker(gfn) : 0xb0));
			else if (gfn > DATA_GFN + 1)
				GUEST_EXPECT(g, page_is(pa[i], marker(gfn)));
		}
		GUEST_EXPECT_EQ(g, info(g, last).shared_pages, PAGES - 1);
		/* Its next write takes the frame: nobody else has it, no memory is needed. */
		left = mm_free_count();
		GUEST_EXPECT_EQ(g, store(g, last, DATA_GFN + 5, 0xee), 0);
		EXPECT_PAGE(g, last, DATA_GFN + 5, P2M_RAM, pa[5 + HARNESS_PAGES]);
		GUEST_EXPECT_EQ(g, mm_free_count(), left);
		GUEST_EXPECT_EQ(g, info(g, last).shared_pages, PAGES - 2);

		destroy(g, last);
		GUEST_EXPECT_EQ(g, mm_free_count(), free);
	}
}

static void test_destroying_parent_or_clone_first_frees_every_frame_once(void **state)
{
	machine_run(&(struct machine_cfg){
		.dom0_main = dom0_destroys_parent_and_clone_in_both_orders });
}

/* ================================================================
 * f. Refusals: each as documented, each changing nothing.
 * ================================================================ */

static void dom0_is_refused(struct guest *g)
{
	static const struct {
		const char *what;
		u64 gfn;
		u32 count;
		u16 pad;
	} bad[] = {
		{ "count 0", RAM0_GFN, 0, 0 },
		{ "count past DOMUS_SHARE_MAX", RAM0_GFN, DOMUS_SHARE_MAX + 1, 0 },
		{ "pad not 0", RAM0_GFN, PAGES, 1 },
		{ "gfn + count past the last frame number", (1ULL << 52) - 1, 2, 0 },
	};
	u64 free = guest_free_pages(g);
	domid_t parent = build_parent(g, PAGES), clone = new_clone(g, PAGES), small, other;
	struct domus_ctl_sharepages s;
	enum p2m_type type;
	long running;

	memset(&run, 0, sizeof(run));
	GUEST_EXPECT_EQ(g, guest_domu_start(g, parent, parent_suspends_when_told, 0), 0);
	while (!LOAD(run.ready))
		guest_yield(g);
	/* A parent that runs could write a page while it is shared. */
	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), -EBUSY);
	GUEST_EXPECT_EQ(g, s.shared + s.copied, 0);
	STORE(run.step, 1);
	while (info(g, parent).state != DOMUS_DOMAIN_SHUTDOWN)
		guest_yield(g);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("  %s\n", bad[i].what);
		s = (struct domus_ctl_sharepages){ .gfn = bad[i].gfn, .count = bad[i].count,
						   .to = clone, .pad = bad[i].pad };
		GUEST_EXPECT_EQ(g, share(g, parent, &s), -EINVAL);
		GUEST_EXPECT_EQ(g, s.shared + s.copied, 0);
	}
	/* Into itself, into the caller; a clone or a parent that is not there. */
	GUEST_EXPECT_EQ(g, share_all(g, parent, parent, &s), -EINVAL);
	GUEST_EXPECT_EQ(g, share_all(g, parent, 0, &s), -EINVAL);
	GUEST_EXPECT_EQ(g, share_all(g, parent, clone + 100, &s), -ESRCH);
	GUEST_EXPECT_EQ(g, share_all(g, parent, DOMID_SELF, &s), -ESRCH);
	GUEST_EXPECT_EQ(g, share_all(g, clone + 100, clone, &s), -ESRCH);
	/* dom0, the caller: refused as every call naming its own domain is. */
	GUEST_EXPECT_EQ(g, share_all(g, 0, clone, &s), -EINVAL);
	/* A clone that runs already: its memory is its own. */
	running = guest_domu_create(g, &(struct domu_spec){ .name = "running" }, parent_idles, 0);
	GUEST_EXPECT(g, running > 0);
	GUEST_EXPECT_EQ(g, share_all(g, parent, (domid_t)running, &s), -EBUSY);
	GUEST_EXPECT_EQ(g, s.shared + s.copied, 0);
	/*
	 * dom0's memory is the machine's, whoever asks: only dom0 can, and it is
	 * refused above as the caller, so the rule is checked with another caller.
	 */
	s = (struct domus_ctl_sharepages){ .gfn = RAM0_GFN, .count = 1, .to = clone };
	GUEST_EXPECT_EQ(g, clone_share_pages(domain(g, (domid_t)running)->vcpus[0], domain(g, 0),
					     &s),
			-EPERM);
	GUEST_EXPECT_EQ(g, s.shared + s.copied, 0);
	/* Nothing was given or taken by any of them. */
	for (u64 gfn = RAM0_GFN; gfn < RAM0_GFN + PAGES; gfn++) {
		frame(g, parent, gfn, &type);
		GUEST_EXPECT_EQ(g, type, P2M_RAM);
	}
	frame(g, clone, RAM0_GFN, &type);
	GUEST_EXPECT_EQ(g, type, P2M_NONE);
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, 0);
	GUEST_EXPECT_EQ(g, info(g, clone).mem_pages, 0);

	/* A clone whose limit is below the parent's RAM: as much as fits, then -ENOMEM. */
	small = new_clone(g, PAGES - 24);
	GUEST_EXPECT_EQ(g, share_all(g, parent, small, &s), -ENOMEM);
	GUEST_EXPECT_EQ(g, s.shared, PAGES - 24);
	GUEST_EXPECT_EQ(g, s.copied, 0);
	GUEST_EXPECT_EQ(g, info(g, small).mem_pages, PAGES - 24);
	GUEST_EXPECT_EQ(g, info(g, small).shared_pages, PAGES - 24);
	frame(g, small, RAM0_GFN + PAGES - 25, &type);
	GUEST_EXPECT_EQ(g, type, P2M_RAM_COW);
	frame(g, small, RAM0_GFN + PAGES - 24, &type);
	GUEST_EXPECT_EQ(g, type, P2M_NONE);
	/* The parent shared only what went. */
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES - 24);
	frame(g, parent, RAM0_GFN + PAGES - 24, &type);
	GUEST_EXPECT_EQ(g, type, P2M_RAM);
	/* And at its limit, nothing more. */
	s = (struct domus_ctl_sharepages){ .gfn = RAM0_GFN + PAGES - 24, .count = 1, .to = small };
	GUEST_EXPECT_EQ(g, share(g, parent, &s), -ENOMEM);
	GUEST_EXPECT_EQ(g, s.shared + s.copied, 0);

	/* A page the clone has already: -EEXIST, and the frame keeps its sharers. */
	other = new_clone(g, 2 * PAGES);
	s = (struct domus_ctl_sharepages){ .gfn = RAM0_GFN, .count = 1, .to = other };
	GUEST_EXPECT_EQ(g, share(g, parent, &s), 0);
	GUEST_EXPECT_EQ(g, mm_frame_refs(frame(g, parent, RAM0_GFN, &type)), 3);
	GUEST_EXPECT_EQ(g, share(g, parent, &s), -EEXIST);
	GUEST_EXPECT_EQ(g, s.shared + s.copied, 0);
	GUEST_EXPECT_EQ(g, mm_frame_refs(frame(g, parent, RAM0_GFN, &type)), 3);
	GUEST_EXPECT_EQ(g, info(g, other).mem_pages, 1);

	destroy(g, other);
	destroy(g, small);
	destroy(g, (domid_t)running);
	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_each_refusal_is_the_documented_one_and_changes_nothing(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_is_refused });
}

/*
 * A parent whose writes a migration logs is refused: a page written since
 * the last CLEAN is known only by its write right, which sharing would take
 * (the migration would then never send it).
 */
static void dom0_clones_a_migrating_parent(struct guest *g)
{
	u64 free = guest_free_pages(g);
	domid_t parent = paused_parent(g), clone = new_clone(g, PAGES);
	struct domus_ctl log = { .cmd = DOMUS_CTL_logdirty, .domid = parent };
	struct domus_ctl_sharepages s;
	enum p2m_type type;

	log.u.logdirty.op = DOMUS_LOGDIRTY_ENABLE;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &log), 0);
	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), -EBUSY);
	GUEST_EXPECT_EQ(g, s.shared + s.copied, 0);
	frame(g, parent, RAM0_GFN, &type);
	GUEST_EXPECT_EQ(g, type, P2M_RAM);
	GUEST_EXPECT_EQ(g, info(g, clone).mem_pages, 0);
	/* Once the migration is over, it may be cloned. */
	log.u.logdirty.op = DOMUS_LOGDIRTY_DISABLE;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &log), 0);
	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
	GUEST_EXPECT_EQ(g, s.shared, PAGES);
	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_a_parent_a_migration_logs_is_refused(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_clones_a_migrating_parent });
}

/* ================================================================
 * g. A clone giving back a shared page drops its share, nothing more.
 * ================================================================ */

/* A clone's scratch pages (core_harness.c): its memory calls write them. */
#define SCRATCH_GFN (RAM0_GFN + 1)
#define LIST_GFN (RAM0_GFN + 2)

static void clone_gives_back_a_shared_page(struct guest *g)
{
	struct domain *d = guest_vcpu(g)->dom;
	struct xen_memory_reservation r = {
		.extent_start = LIST_GFN << PAGE_SHIFT, .nr_extents = 1, .extent_order = 0,
		.domid = DOMID_SELF
	};

	/* Its stores into its scratch pages fault first, as they would on arm64. */
	GUEST_EXPECT_EQ(g, p2m_set_dirty(d, SCRATCH_GFN), 0);
	GUEST_EXPECT_EQ(g, p2m_set_dirty(d, LIST_GFN), 0);
	STORE(run.done, 1);
	while (LOAD(run.step) < 2)
		guest_yield(g);
	*(u64 *)guest_mem(g, LIST_GFN << PAGE_SHIFT) = LOAD(run.gfn);
	run.rc = guest_memory_op(g, XENMEM_decrease_reservation, &r, sizeof(r));
	STORE(run.done, 2);
}

static void dom0_watches_a_clone_give_back_a_page(struct guest *g)
{
	u64 free = guest_free_pages(g), gfn = DATA_GFN + 7;
	domid_t parent = paused_parent(g), clone = new_clone(g, PAGES);
	struct domus_ctl_domaininfo before;
	struct domus_ctl_sharepages s;
	enum p2m_type type;
	paddr_t pa;

	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
	pa = frame(g, parent, gfn, &type);
	memset(&run, 0, sizeof(run));
	run.gfn = gfn;
	GUEST_EXPECT_EQ(g, guest_domu_start(g, clone, clone_gives_back_a_shared_page, 0), 0);
	while (LOAD(run.done) < 1)
		guest_yield(g);
	before = info(g, clone);
	GUEST_EXPECT_EQ(g, before.shared_pages, PAGES - 2);
	STORE(run.step, 2);
	while (LOAD(run.done) < 2)
		guest_yield(g);
	GUEST_EXPECT_EQ(g, run.rc, 1);
	/* Its RAM and its shares are one page less; the page is a hole there. */
	GUEST_EXPECT_EQ(g, info(g, clone).mem_pages, before.mem_pages - 1);
	GUEST_EXPECT_EQ(g, info(g, clone).shared_pages, before.shared_pages - 1);
	frame(g, clone, gfn, &type);
	GUEST_EXPECT_EQ(g, type, P2M_NONE);
	/* The parent keeps the frame, as it was, its sharer alone now. */
	EXPECT_PAGE(g, parent, gfn, P2M_RAM_COW, pa);
	GUEST_EXPECT_EQ(g, mm_frame_refs(pa), 1);
	GUEST_EXPECT(g, page_is(pa, marker(gfn)));
	GUEST_EXPECT_EQ(g, info(g, parent).shared_pages, PAGES);
	GUEST_EXPECT_EQ(g, info(g, parent).mem_pages, PAGES);

	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_decrease_reservation_of_a_shared_page_drops_only_the_clones_share(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_watches_a_clone_give_back_a_page });
}

/* ================================================================
 * h. No memory for the copy: the write fails, and nothing changes.
 * ================================================================ */

/* Takes every free page of the heap, threaded into a list through the pages themselves. */
static void *exhaust_heap(void)
{
	void *head = NULL, *p;

	while ((p = mm_alloc_pages(1))) {
		*(void **)p = head;
		head = p;
	}
	return head;
}

static void *give_back_one(void *head)
{
	void *next = *(void **)head;

	mm_free_pages(head, 1);
	return next;
}

static void dom0_runs_out_of_memory_for_a_copy(struct guest *g)
{
	u64 free = guest_free_pages(g), gfn = DATA_GFN + 2;
	domid_t parent = paused_parent(g), clone = new_clone(g, PAGES);
	struct domus_ctl_sharepages s;
	u8 buf[8] = { 0 };
	enum p2m_type type;
	paddr_t old;
	void *held;

	GUEST_EXPECT_EQ(g, share_all(g, parent, clone, &s), 0);
	old = frame(g, parent, gfn, &type);
	held = exhaust_heap();
	GUEST_EXPECT_EQ(g, mm_free_count(), 0);

	/* The clone's write fault finds no frame for its copy; Domus' write for it neither. */
	GUEST_EXPECT_EQ(g, p2m_set_dirty(domain(g, clone), gfn), -ENOMEM);
	GUEST_EXPECT(g, p2m_copy(domain(g, clone), gfn_ipa(gfn), buf, sizeof(buf), true) != 0);
	EXPECT_PAGE(g, clone, gfn, P2M_RAM_COW, old);
	EXPECT_PAGE(g, parent, gfn, P2M_RAM_COW, old);
	GUEST_EXPECT_EQ(g, mm_frame_refs(old), 2);
	GUEST_EXPECT(g, page_is(old, marker(gfn)));
	/* Its counts as they were (read in the core: a hypercall now could find no memory). */
	GUEST_EXPECT_EQ(g, __atomic_load_n(&domain(g, clone)->shared_pages, __ATOMIC_RELAXED),
			PAGES);
	GUEST_EXPECT_EQ(g, __atomic_load_n(&domain(g, clone)->mem_pages, __ATOMIC_RELAXED), PAGES);

	/* One page back: the copy takes it. */
	held = give_back_one(held);
	GUEST_EXPECT_EQ(g, p2m_set_dirty(domain(g, clone), gfn), 0);
	EXPECT_OWN_COPY(g, clone, gfn, old);
	GUEST_EXPECT_EQ(g, mm_free_count(), 0);
	/* The parent, now the last to map it, takes the frame: no memory needed. */
	GUEST_EXPECT_EQ(g, p2m_set_dirty(domain(g, parent), gfn), 0);
	EXPECT_PAGE(g, parent, gfn, P2M_RAM, old);
	GUEST_EXPECT_EQ(g, mm_free_count(), 0);

	while (held)
		held = give_back_one(held);
	destroy(g, clone);
	destroy(g, parent);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_no_memory_for_the_copy_fails_the_write_and_changes_nothing(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_runs_out_of_memory_for_a_copy });
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sharing_maps_the_parents_frames_read_only_into_both_and_counts_them),
		cmocka_unit_test(test_a_suspended_parent_is_shared_a_running_one_is_not),
		cmocka_unit_test(test_holes_past_the_ram_are_skipped_even_with_the_clone_at_its_limit),
		cmocka_unit_test(test_a_write_gives_the_writer_a_copy_and_the_last_sharer_the_frame),
		cmocka_unit_test(test_domus_writing_for_a_guest_unshares_only_that_guests_page),
		cmocka_unit_test(test_pinned_pages_are_copied_and_pinning_a_shared_page_unshares_it),
		cmocka_unit_test(test_a_vcpu_info_in_its_own_frame_mapped_by_grant_pins_it_too),
		cmocka_unit_test(test_a_page_inside_a_block_is_copied_and_stays_the_parents),
		cmocka_unit_test(test_destroying_parent_or_clone_first_frees_every_frame_once),
		cmocka_unit_test(test_each_refusal_is_the_documented_one_and_changes_nothing),
		cmocka_unit_test(test_a_parent_a_migration_logs_is_refused),
		cmocka_unit_test(test_decrease_reservation_of_a_shared_page_drops_only_the_clones_share),
		cmocka_unit_test(test_no_memory_for_the_copy_fails_the_write_and_changes_nothing),
	};

	return harness_main(argc, argv, "core_clone", tests, ARRAY_SIZE(tests));
}
