/* SPDX-License-Identifier: MIT */
/*
 * The guest's stage-2 tables as a resource: Domus caps the table pages a
 * guest's map may take (one per 2 MiB of its RAM plus 256; Xen 4.17 bounds
 * them by the domain's p2m pool). This area exhausts them with grant
 * mappings at addresses 2 MiB apart (each needs a table of its own), then
 * asks for an unmap of a page of its RAM. Where Domus maps RAM with blocks
 * (stage2_blocks=on) that needs a block split: it must fail cleanly
 * (-ENOMEM, the page still there), and work once the grant mappings are gone
 * and their tables freed. Page by page, it needs no table and succeeds. Then two vCPUs race changes to one gfn:
 * one maps and unmaps a grant there while the other removes, repopulates and
 * puts shared_info on it; every answer must be one the rules allow, and at
 * the end the gfn is a hole. (A grant mapping that shared_info replaced
 * stays pinned until the domain ends, as in Xen: the system test's count of
 * free pages after the guest is gone shows it was released then.)
 */
#include "hostile.h"

#define MEM __HYPERVISOR_memory_op
/* Far above everything else the guest maps: 64 GiB, each mapping 2 MiB from the last. */
#define SPREAD_BASE 0x1000000000UL
#define SPREAD_STEP 0x200000UL
#define MAX_SPREAD 1200 /* more than any 64 MiB guest's table budget */
/* Refs for it, each granting one victim page to ourselves, read-only maps of it up to 128. */
#define REF_SPREAD 300
#define NR_SPREAD_REFS 10
/* A page of RAM in a 2 MiB block nothing else touches: its removal needs a split. */
#define SPLIT_PAGE 0x42601000UL
/* The raced gfn, and the ref mapped there. */
#define RACE_GFN ((HOLE_MAP_BASE >> 12) + 0x3000)
#define REF_RACE 320
#define RACE_ROUNDS 2000

static u32 handles[MAX_SPREAD];

static long remove_gfn(u64 gfn)
{
	static struct xen_remove_from_physmap r;

	r.domid = DOMID_SELF;
	r.gpfn = gfn;
	return hypercall(MEM, XENMEM_remove_from_physmap, &r, 0);
}

static long populate_gfn(u64 gfn)
{
	static u64 list[1];
	static struct xen_memory_reservation r;

	list[0] = gfn;
	r.extent_start = (u64)list;
	r.nr_extents = 1;
	r.extent_order = 0;
	r.mem_flags = 0;
	r.domid = DOMID_SELF;
	return hypercall(MEM, XENMEM_populate_physmap, &r, 0);
}

static long shared_info_at(u64 gfn)
{
	static struct xen_add_to_physmap a;

	a.domid = DOMID_SELF;
	a.space = XENMAPSPACE_shared_info;
	a.idx = 0;
	a.gpfn = gfn;
	return hypercall(MEM, XENMEM_add_to_physmap, &a, 0);
}

static void exhaustion_cases(void)
{
	unsigned int n = 0;
	s16 st = GNTST_okay;
	long rc;

	for (u32 i = 0; i < NR_SPREAD_REFS; i++) {
		fill_page(VICTIM(0x300 + i), 0x300 + i);
		grant_own(REF_SPREAD + i, VICTIM(0x300 + i) >> 12, GTF_readonly);
	}
	fill_page(SPLIT_PAGE, 0x5eed);
	for (; n < MAX_SPREAD; n++) {
		st = grant_map(REF_SPREAD + n / 100, env.domid, GNTMAP_host_map | GNTMAP_readonly,
			       SPREAD_BASE + n * SPREAD_STEP, &handles[n]);
		if (st != GNTST_okay)
			break;
	}
	checkf("grant maps 2 MiB apart run out of stage-2 tables before 1200", n > 0 && n < MAX_SPREAD &&
	       st == GNTST_general_error, "some maps, then general_error", "%u maps, then status %d", n, st);
	rc = remove_gfn(SPLIT_PAGE >> 12);
	if (env.stage2_blocks) {
		check("remove_from_physmap needing a split, with no table left", rc, -ENOMEM);
		check("the page is still there after the refused split", page_has(SPLIT_PAGE, 0x5eed), 1);
	} else {
		/* Page by page (Domus' default): only the leaf goes, no table is needed. */
		check("remove_from_physmap of a page with no table left", rc, 0);
	}
	for (unsigned int i = 0; i < n; i++)
		if (grant_unmap(handles[i], SPREAD_BASE + i * SPREAD_STEP) != GNTST_okay) {
			check("unmap of a spread grant mapping", i, n);
			break;
		}
	if (env.stage2_blocks)
		check("remove_from_physmap needing a split, once the tables are back",
		      remove_gfn(SPLIT_PAGE >> 12), 0);
	{
		u64 v;
		struct probe p = probe_read64(SPLIT_PAGE, &v);

		check("the page removed is a hole", p.trapped && ESR_EC(p.esr) == EC_DABT_CUR, 1);
	}
	for (u32 i = 0; i < NR_SPREAD_REFS; i++)
		check("a spread grant is unpinned after its unmaps",
		      gnttab_entries()[REF_SPREAD + i].flags & (GTF_reading | GTF_writing), 0);
}

/* vCPU 1's side of the race: map the grant at the gfn and unmap it, again and again. */
static volatile u64 race_bad_map, race_bad_unmap, race_maps;
static volatile bool race_stop;

static long grant_racer(long rounds)
{
	for (long i = 0; i < rounds && !race_stop; i++) {
		u32 h;
		s16 st = grant_map(REF_RACE, env.domid, GNTMAP_host_map, RACE_GFN << 12, &h);

		if (st == GNTST_okay) {
			race_maps++;
			st = grant_unmap(h, RACE_GFN << 12);
			/* okay, or the gfn holds something else now: the mapping was replaced. */
			if (st != GNTST_okay && st != GNTST_general_error)
				race_bad_unmap++;
		} else if (st != GNTST_general_error) {
			race_bad_map++; /* the gfn was taken: general_error; anything else is wrong */
		}
	}
	return 0;
}

static void race_cases(void)
{
	u64 bad_remove = 0, bad_populate = 0, bad_shared = 0;
	long rc, last_bad = 0;
	bool done;

	if (nr_cpus < 2 || !cpus[1].online) {
		check("the p2m race needs vCPU 1 online", cpus[1].online, 1);
		return;
	}
	fill_page(VICTIM(0x320), 0x320);
	grant_own(REF_RACE, VICTIM(0x320) >> 12, 0);
	/* shared_info leaves its place (memory.c left it there) to be raced with; it comes back. */
	check("shared_info out of its place for the race", remove_gfn(SHARED_INFO_GFN), 0);
	race_stop = false;
	race_bad_map = race_bad_unmap = race_maps = 0;
	smp_post(1, grant_racer, RACE_ROUNDS);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		switch (i % 3) {
		case 0:
			rc = remove_gfn(RACE_GFN);
			/* a hole, RAM or shared_info: gone or -ENOENT; a grant mapping: -EINVAL (unmap it) */
			if (rc != 0 && rc != -ENOENT && rc != -EINVAL)
				bad_remove++, last_bad = rc;
			break;
		case 1:
			rc = populate_gfn(RACE_GFN);
			if (rc != 0 && rc != 1)
				bad_populate++, last_bad = rc;
			break;
		default:
			rc = shared_info_at(RACE_GFN);
			/* placed (over RAM or a grant mapping), or already placed elsewhere: -EBUSY */
			if (rc != 0 && rc != -EBUSY)
				bad_shared++, last_bad = rc;
			if (rc == 0)
				remove_gfn(RACE_GFN);
		}
	}
	race_stop = true;
	done = smp_wait(1, NULL, 30000000000UL);
	checkf("vCPU 1's grant map/unmap race finishes", done, "finished", "%s", done ? "finished" : "stuck");
	checkf("raced p2m changes and grant maps at one gfn: every answer allowed",
	       !bad_remove && !bad_populate && !bad_shared && !race_bad_map && !race_bad_unmap,
	       "0 unexpected", "remove %lu, populate %lu, shared_info %lu, map %lu, unmap %lu unexpected "
	       "(%lu maps; last unexpected %ld)", bad_remove, bad_populate, bad_shared, (u64)race_bad_map,
	       (u64)race_bad_unmap, (u64)race_maps, last_bad);
	/* Whatever is left at the gfn goes. */
	while (remove_gfn(RACE_GFN) == 0)
		;
	check("the raced gfn is a hole at the end", remove_gfn(RACE_GFN), -ENOENT);
	check("shared_info back in its place", shared_info_at(SHARED_INFO_GFN), 0);
}

void cases_stage2(void)
{
	exhaustion_cases();
	race_cases();
}
