/* SPDX-License-Identifier: MIT */
/*
 * memory_op (common/memory.c, arch/arm/mm.c): a domU reshaping its own
 * guest-physical map and trying to reach others'. Reservation ops never fail
 * as a whole: they return how many extents were done (so a refusal is 0).
 * Frames the guest removes, gives back or hides under shared pages stay
 * accounted to it and come back when it ends (the system test counts them).
 */
#include "hostile.h"

#define MEM __HYPERVISOR_memory_op
#define NOBODY 0x7fef
#define LIST ((u64 *)SCRATCH_BASE)
#define BATCH_IDX ((u64 *)(SCRATCH_BASE + 0x100000))
#define BATCH_GPFN ((u64 *)(SCRATCH_BASE + 0x200000))
#define BATCH_ERR ((s32 *)(SCRATCH_BASE + 0x300000))

static long memop(u64 cmd, void *arg)
{
	return hypercall(MEM, cmd, arg, 0);
}

static long reservation(int op, domid_t dom, u64 list, u64 nr, u32 order, u32 flags)
{
	static struct xen_memory_reservation r;

	r.extent_start = list;
	r.nr_extents = nr;
	r.extent_order = order;
	r.mem_flags = flags;
	r.domid = dom;
	return memop(op, &r);
}

static long domain_stat(int op, domid_t dom)
{
	static struct xen_memory_domain d;

	d.domid = dom;
	return memop(op, &d);
}

static long add_to_physmap(domid_t dom, u32 space, u64 idx, u64 gpfn, u16 size, u64 start)
{
	static struct xen_add_to_physmap a;

	a.domid = dom;
	a.space = space;
	a.idx = idx;
	a.gpfn = gpfn;
	a.size = size;
	return memop(XENMEM_add_to_physmap | start << MEMOP_EXTENT_SHIFT, &a);
}

static long remove_from_physmap(domid_t dom, u64 gpfn)
{
	static struct xen_remove_from_physmap r;

	r.domid = dom;
	r.gpfn = gpfn;
	return memop(XENMEM_remove_from_physmap, &r);
}

static long batch(domid_t dom, u16 space, u16 size, domid_t foreign, u64 idxs, u64 gpfns, u64 errs,
		  u64 start)
{
	static struct xen_add_to_physmap_batch b;

	b.domid = dom;
	b.space = space;
	b.size = size;
	b.foreign_domid = foreign;
	b.idxs = idxs;
	b.gpfns = gpfns;
	b.errs = errs;
	return memop(XENMEM_add_to_physmap_batch | start << MEMOP_EXTENT_SHIFT, &b);
}

static bool is_hole(u64 pa)
{
	u64 v;
	struct probe p = probe_read64(pa, &v);

	return p.trapped && ESR_EC(p.esr) == EC_DABT_CUR && p.far == pa;
}

/* What a domain may ask about memory: run before anything is mapped above its RAM. */
static void stat_cases(void)
{
	long cur = domain_stat(XENMEM_current_reservation, DOMID_SELF);
	long max = domain_stat(XENMEM_maximum_reservation, DOMID_SELF);
	u64 last_ram = RAM_GFN(env.ram_pages) - 1;

	checkf("current_reservation of itself covers its RAM", cur >= (long)env.ram_pages,
	       ">= its RAM pages", "%ld (RAM %lu pages)", cur, env.ram_pages);
	checkf("maximum_reservation of itself is at least current", max >= cur && max > 0, ">= current",
	       "%ld", max);
	check_hex("maximum_gpfn of itself is its last RAM frame",
		  (u64)domain_stat(XENMEM_maximum_gpfn, DOMID_SELF), last_ram);
	checkf("maximum_ram_page (the host's, any domain may ask)",
	       memop(XENMEM_maximum_ram_page, 0) > 0, "> 0", "%ld", memop(XENMEM_maximum_ram_page, 0));
	check("current_reservation of dom0", domain_stat(XENMEM_current_reservation, 0), -EPERM);
	check("maximum_reservation of a domain nobody has", domain_stat(XENMEM_maximum_reservation, NOBODY),
	      -ESRCH);
	check("current_reservation from an unmapped address", memop(XENMEM_current_reservation, (void *)BAD_PTR),
	      -EFAULT);
	check("current_reservation with a continuation index",
	      memop(XENMEM_current_reservation | 1 << MEMOP_EXTENT_SHIFT, (void *)BAD_PTR), -EINVAL);
	check("get_sharing_shared_pages (Arm: 0)", memop(XENMEM_get_sharing_shared_pages, 0), 0);
	check("get_sharing_freed_pages (Arm: 0)", memop(XENMEM_get_sharing_freed_pages, 0), 0);
	check("claim_pages for DOMID_SELF (by id only)", reservation(XENMEM_claim_pages, DOMID_SELF, 0, 16, 0, 0),
	      -EINVAL);
	check("claim_pages for itself (privileged)", reservation(XENMEM_claim_pages, env.domid, 0, 16, 0, 0),
	      -EPERM);
	{
		static struct xen_vnuma_topology_info t;

		t.domid = DOMID_SELF;
		check("get_vnumainfo of itself (no vNUMA)", memop(XENMEM_get_vnumainfo, &t), -EOPNOTSUPP);
	}
	check("exchange from an unmapped address", memop(XENMEM_exchange, (void *)BAD_PTR), -EFAULT);
	check("memory_op 9 (x86's memory_map)", memop(9, (void *)BAD_PTR), -ENOSYS);
}

static void reservation_cases(void)
{
	long n;

	n = reservation(XENMEM_increase_reservation, DOMID_SELF, 0, 4096, 0, 0);
	checkf("increase_reservation of 4096 pages stops at its limit", n >= 0 && n < 4096, "0 <= done < 4096",
	       "%ld", n);
	for (u64 i = 0; i < 4096; i++)
		LIST[i] = (HOLE_POPULATE_BASE >> 12) + i;
	n = reservation(XENMEM_populate_physmap, DOMID_SELF, (u64)LIST, 4096, 0, 0);
	checkf("populate_physmap of 4096 pages past its maximum stops short", n >= 0 && n < 4096,
	       "0 <= done < 4096", "%ld", n);
	LIST[0] = (HOLE_POPULATE_BASE >> 12) + 4096;
	check("populate_physmap of one more page", reservation(XENMEM_populate_physmap, DOMID_SELF, (u64)LIST, 1,
								0, 0), 0);
	LIST[0] = (HOLE_POPULATE_BASE >> 12) + 8192;
	check("populate_physmap of order 10 (a domU's limit is 9)",
	      reservation(XENMEM_populate_physmap, DOMID_SELF, (u64)LIST, 1, 10, 0), 0);
	check("populate_physmap on demand for itself",
	      reservation(XENMEM_populate_physmap, DOMID_SELF, (u64)LIST, 1, 0, XENMEMF_populate_on_demand), 0);
	check("populate_physmap of 2^60 extents", reservation(XENMEM_populate_physmap, DOMID_SELF, (u64)LIST,
							      1UL << 60, 0, 0), 0);
	check("populate_physmap from an unmapped list",
	      reservation(XENMEM_populate_physmap, DOMID_SELF, BAD_PTR, 1, 0, 0), 0);
	check("populate_physmap for dom0", reservation(XENMEM_populate_physmap, 0, (u64)LIST, 1, 0, 0), 0);
	check("populate_physmap for a domain nobody has",
	      reservation(XENMEM_populate_physmap, NOBODY, (u64)LIST, 1, 0, 0), 0);
	check("populate_physmap from an unmapped header", memop(XENMEM_populate_physmap, (void *)BAD_PTR), 0);

	fill_page(VICTIM(1), 1);
	LIST[0] = VICTIM(1) >> 12;
	check("decrease_reservation of a page of its RAM",
	      reservation(XENMEM_decrease_reservation, DOMID_SELF, (u64)LIST, 1, 0, 0), 1);
	check("the page given back is a hole", is_hole(VICTIM(1)), 1);
	check("decrease_reservation of the same page again",
	      reservation(XENMEM_decrease_reservation, DOMID_SELF, (u64)LIST, 1, 0, 0), 0);
	LIST[0] = VICTIM(0x200) >> 12;
	check("decrease_reservation of order 10",
	      reservation(XENMEM_decrease_reservation, DOMID_SELF, (u64)LIST, 1, 10, 0), 0);
	LIST[0] = NOWHERE >> 12;
	check("decrease_reservation of a frame with no memory",
	      reservation(XENMEM_decrease_reservation, DOMID_SELF, (u64)LIST, 1, 0, 0), 0);
	LIST[0] = 0x40000;
	check("decrease_reservation of dom0's frame",
	      reservation(XENMEM_decrease_reservation, 0, (u64)LIST, 1, 0, 0), 0);
	check("decrease_reservation of 2^40 extents from an unmapped list",
	      reservation(XENMEM_decrease_reservation, DOMID_SELF, BAD_PTR, 1UL << 40, 0, 0), 0);
}

static void physmap_cases(void)
{
	fill_page(VICTIM(2), 2);
	check("remove_from_physmap of a page of its RAM", remove_from_physmap(DOMID_SELF, VICTIM(2) >> 12), 0);
	check("the removed page is a hole", is_hole(VICTIM(2)), 1);
	check("remove_from_physmap of the same page again", remove_from_physmap(DOMID_SELF, VICTIM(2) >> 12),
	      -ENOENT);
	check("remove_from_physmap of a frame with no memory", remove_from_physmap(DOMID_SELF, NOWHERE >> 12),
	      -ENOENT);
	check("remove_from_physmap of gfn ~0", remove_from_physmap(DOMID_SELF, ~0UL), -ENOENT);
	check("remove_from_physmap in dom0", remove_from_physmap(0, 0x40000), -EPERM);
	check("remove_from_physmap in a domain nobody has", remove_from_physmap(NOBODY, 0x40000), -ESRCH);
	check("remove_from_physmap with a continuation index",
	      memop(XENMEM_remove_from_physmap | 1 << MEMOP_EXTENT_SHIFT, (void *)BAD_PTR), -EINVAL);

	check("add_to_physmap of a foreign frame (batch only)",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 0x40000, HOLE_MAP_BASE >> 12, 0, 0), -ENOSYS);
	check("add_to_physmap space gmfn (Arm has none)",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_gmfn, VICTIM(7) >> 12, HOLE_MAP_BASE >> 12, 0, 0), -ENOSYS);
	check("add_to_physmap gmfn_range of 0 pages",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_gmfn_range, VICTIM(7) >> 12, HOLE_MAP_BASE >> 12, 0, 0), 0);
	check("add_to_physmap gmfn_range of 1 page",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_gmfn_range, VICTIM(7) >> 12, HOLE_MAP_BASE >> 12, 1, 0),
	      -ENOSYS);
	check("add_to_physmap space 99", add_to_physmap(DOMID_SELF, 99, 0, HOLE_MAP_BASE >> 12, 0, 0), -ENOSYS);
	check("add_to_physmap of device MMIO (hardware domain only)",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_dev_mmio, 0x09000, HOLE_MAP_BASE >> 12, 0, 0), -EACCES);
	check("add_to_physmap shared_info at gfn ~0",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, ~0UL, 0, 0), -EINVAL);
	check("add_to_physmap shared_info idx 1",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 1, HOLE_MAP_BASE >> 12, 0, 0), -EINVAL);
	check("add_to_physmap of dom0's shared_info",
	      add_to_physmap(0, XENMAPSPACE_shared_info, 0, VICTIM(8) >> 12, 0, 0), -EPERM);
	check("add_to_physmap for a domain nobody has",
	      add_to_physmap(NOBODY, XENMAPSPACE_shared_info, 0, VICTIM(8) >> 12, 0, 0), -ESRCH);
	check("add_to_physmap with a continuation index past 16 bits",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, VICTIM(8) >> 12, 0, 1UL << 16), -EDOM);
	check("add_to_physmap from an unmapped address", memop(XENMEM_add_to_physmap, (void *)BAD_PTR), -EFAULT);

	/* shared_info over RAM: allowed; moving it while it is mapped is not (Xen 4.17: -EBUSY). */
	fill_page(VICTIM(3), 3);
	check("add_to_physmap shared_info over a page of RAM",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, VICTIM(3) >> 12, 0, 0), 0);
	check("the RAM under shared_info is no longer seen", page_has(VICTIM(3), 3), 0);
	check("add_to_physmap shared_info at a second place while mapped",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, VICTIM(4) >> 12, 0, 0), -EBUSY);
	check("add_to_physmap shared_info at the same place again",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, VICTIM(3) >> 12, 0, 0), -EBUSY);
	check("remove_from_physmap of shared_info", remove_from_physmap(DOMID_SELF, VICTIM(3) >> 12), 0);
	check("where shared_info was is a hole", is_hole(VICTIM(3)), 1);

	/* A grant-table frame over RAM, likewise. */
	fill_page(VICTIM(5), 5);
	check("add_to_physmap grant frame 1 over a page of RAM",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_grant_table, 1, VICTIM(5) >> 12, 0, 0), 0);
	check("add_to_physmap grant frame 1 at a second place",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_grant_table, 1, VICTIM(6) >> 12, 0, 0), -EBUSY);
	check("add_to_physmap grant frame 1000",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_grant_table, 1000, VICTIM(6) >> 12, 0, 0), -EINVAL);
	check("add_to_physmap grant status frame of a v1 table",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_grant_table, XENMAPIDX_grant_table_status,
			     VICTIM(6) >> 12, 0, 0), -EINVAL);
}

static void batch_cases(void)
{
	u64 n = 65535, eperm = 0;
	long rc;

	for (u64 i = 0; i < n; i++) {
		BATCH_IDX[i] = 0x40000 + i;
		BATCH_GPFN[i] = (HOLE_MAP_BASE >> 12) + 0x1000 + i;
		BATCH_ERR[i] = 0x7777;
	}
	rc = batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, (u16)n, 0, (u64)BATCH_IDX, (u64)BATCH_GPFN,
		   (u64)BATCH_ERR, 0);
	for (u64 i = 0; i < n; i++)
		eperm += BATCH_ERR[i] == -EPERM;
	checkf("add_to_physmap_batch of 65535 of dom0's frames: completes, each refused",
	       rc == 0 && eperm == n, "rc 0, 65535 x -EPERM", "rc %ld, %lu x -EPERM", rc, eperm);

	BATCH_ERR[0] = BATCH_ERR[1] = BATCH_ERR[2] = 0x7777;
	BATCH_GPFN[1] = ~0UL;
	rc = batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 3, 0, (u64)BATCH_IDX, (u64)BATCH_GPFN, (u64)BATCH_ERR, 0);
	checkf("add_to_physmap_batch stops at a gpfn of ~0", rc == -EINVAL && BATCH_ERR[0] == -EPERM &&
	       BATCH_ERR[1] == 0x7777, "rc -22, errs -1 then untouched", "rc %ld, errs %d %d", rc, BATCH_ERR[0],
	       BATCH_ERR[1]);
	BATCH_GPFN[1] = (HOLE_MAP_BASE >> 12) + 0x1001;
	batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 1, DOMID_SELF, (u64)BATCH_IDX, (u64)BATCH_GPFN,
	      (u64)BATCH_ERR, 0);
	check("add_to_physmap_batch foreign DOMID_SELF (err)", BATCH_ERR[0], -EINVAL);
	batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 1, env.domid, (u64)BATCH_IDX, (u64)BATCH_GPFN,
	      (u64)BATCH_ERR, 0);
	check("add_to_physmap_batch foreign = its own id (err)", BATCH_ERR[0], -ESRCH);
	batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 1, NOBODY, (u64)BATCH_IDX, (u64)BATCH_GPFN, (u64)BATCH_ERR, 0);
	check("add_to_physmap_batch foreign = a domain nobody has (err)", BATCH_ERR[0], -ESRCH);
	check("add_to_physmap_batch space gmfn_range",
	      batch(DOMID_SELF, XENMAPSPACE_gmfn_range, 1, 0, (u64)BATCH_IDX, (u64)BATCH_GPFN, (u64)BATCH_ERR, 0),
	      -EOPNOTSUPP);
	check("add_to_physmap_batch of device MMIO",
	      batch(DOMID_SELF, XENMAPSPACE_dev_mmio, 1, 0, (u64)BATCH_IDX, (u64)BATCH_GPFN, (u64)BATCH_ERR, 0),
	      -EACCES);
	check("add_to_physmap_batch of 0 entries",
	      batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 0, 0, BAD_PTR, BAD_PTR, BAD_PTR, 0), 0);
	check("add_to_physmap_batch with unmapped lists",
	      batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 1, 0, BAD_PTR, BAD_PTR, BAD_PTR, 0), -EFAULT);
	check("add_to_physmap_batch into dom0",
	      batch(0, XENMAPSPACE_gmfn_foreign, 1, 0, (u64)BATCH_IDX, (u64)BATCH_GPFN, (u64)BATCH_ERR, 0), -EPERM);
	check("add_to_physmap_batch with a continuation index past 16 bits",
	      batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 1, 0, (u64)BATCH_IDX, (u64)BATCH_GPFN, (u64)BATCH_ERR,
		    1UL << 16), -EDOM);
	check("add_to_physmap_batch with a continuation index past its size",
	      batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 1, 0, (u64)BATCH_IDX, (u64)BATCH_GPFN, (u64)BATCH_ERR, 2),
	      -EILSEQ);
}

void cases_memory_stat(void)
{
	stat_cases();
}

void cases_memory(void)
{
	reservation_cases();
	physmap_cases();
	batch_cases();
}

/*
 * shared_info over pages that are something else: a page mapped from a grant
 * (the mapping is simply replaced; the grant then cannot be unmapped where it
 * was and stays pinned until the domain ends) and the page holding vCPU 0's
 * vcpu_info (which stays in use behind it). Then it is left at a hole.
 */
void cases_memory_over_shared(u64 vcpu_info_gfn)
{
	u64 host = HOLE_MAP_BASE + 0x42 * PAGE_SIZE;
	u32 h = ~0U;

	fill_page(VICTIM(19), 0x19);
	grant_own(REF_OVER_SHARED, VICTIM(19) >> 12, 0);
	check("map of its own grant to put shared_info over",
	      grant_map(REF_OVER_SHARED, env.domid, GNTMAP_host_map, host, &h), GNTST_okay);
	check("add_to_physmap shared_info over a mapped grant",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, host >> 12, 0, 0), 0);
	check("unmap of the grant shared_info displaced (status)", grant_unmap(h, host), GNTST_general_error);
	check("remove_from_physmap of shared_info from over the grant",
	      remove_from_physmap(DOMID_SELF, host >> 12), 0);
	check("add_to_physmap shared_info over vCPU 0's vcpu_info page",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, vcpu_info_gfn, 0, 0), 0);
	check("remove_from_physmap of shared_info from over vcpu_info",
	      remove_from_physmap(DOMID_SELF, vcpu_info_gfn), 0);
	check("add_to_physmap shared_info at a hole, where it stays",
	      add_to_physmap(DOMID_SELF, XENMAPSPACE_shared_info, 0, SHARED_INFO_GFN, 0, 0), 0);
}
