/* SPDX-License-Identifier: MIT */
/*
 * memory_op: how a guest changes its guest-physical map. Shared pages
 * (shared_info, grant frames) are placed where the guest asks; RAM can be
 * handed back (ballooning) and taken again; dom0 maps other domains' frames
 * for the toolstack; a domain asks what it has. Pages a direct-mapped dom0
 * gives back stay its own, so populate can only ever give it back the same
 * frames: nothing else can reach them in between.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/evtchn.h>
#include <domus/guest_access.h>
#include <domus/hypercall.h>
#include <domus/memory_op.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/log_dirty.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/string.h>
#include <domus/vcpu_op.h>
#include <public/memory.h>
#include <public/xen.h>

/*
 * Work a batch operation does between two preemption points: entries, and
 * pages an extent brings (each is zeroed). The rest is a continuation, as in
 * Xen: the index to go on from rides in the command's bits above
 * MEMOP_CMD_MASK, and the guest issues the call again (hypercall_dispatch).
 */
#define MEMOP_BATCH_ENTRIES 64
#define MEMOP_BATCH_PAGES 1024
/* The command is 32 bits wide (Linux passes an unsigned int): what fits above the op. */
#define MEMOP_MAX_START ((1ULL << (32 - MEMOP_EXTENT_SHIFT)) - 1)

/* Has the guest re-issue op from entry next (which fits: callers bound their counts). */
static long memop_continue(struct vcpu *v, u64 op, u64 next)
{
	hypercall_set_arg(v, 0, op | next << MEMOP_EXTENT_SHIFT);
	return -ERESTART;
}

/* The largest extent the caller may ask for (common/memory.c max_order, Arm's defaults). */
static u32 max_order(const struct domain *caller)
{
	return caller->privileged ? 18 : 9;
}

static bool in_banks(struct domain *d, u64 gfn, u64 npages)
{
	ipa_t ipa = gfn_ipa(gfn);

	for (u32 i = 0; i < d->nr_banks; i++) {
		struct mem_bank *b = &d->banks[i];

		if (ipa_in_range(ipa, b->ipa, b->size) &&
		    npages <= (b->size - ipa_offset(ipa, b->ipa)) >> PAGE_SHIFT)
			return true;
	}
	return false;
}

static void forget_shared_gfn(struct domain *d, u64 gfn)
{
	if (d->shared_info_gfn == gfn)
		d->shared_info_gfn = GFN_NONE;
	for (u32 i = 0; i < GNTTAB_DEFAULT_MAX_FRAMES; i++)
		if (d->gnttab_gfn[i] == gfn)
			d->gnttab_gfn[i] = GFN_NONE;
}

/*
 * Puts a hypervisor page (shared_info, a grant frame) at gfn, as Xen 4.17's
 * xenmem_add_to_physmap_one (arch/arm/mm.c): a page mapped somewhere already
 * must be removed first (-EBUSY, even to the same place), and whatever gfn
 * held is replaced. Replaced RAM stays the domain's (mm records it); a
 * replaced grant mapping stays pinned, and its unmap fails (gnttab.c), until
 * the domain ends; a replaced shared page is no longer mapped anywhere.
 * With d->lock held (where and the shared gfns).
 */
static int place_shared_page(struct domain *d, u64 *where, u64 gfn, paddr_t pa)
{
	enum p2m_type type;
	paddr_t old;
	int rc;

	if (*where != GFN_NONE)
		return -EBUSY;
	/* In one step: another vCPU's change to gfn (a grant map, say) cannot come in between. */
	rc = p2m_replace_page(d, gfn, pa, P2M_SHARED, &old, &type);
	if (rc)
		return rc;
	if (type == P2M_SHARED)
		forget_shared_gfn(d, gfn);
	*where = gfn;
	return 0;
}

int memory_place_shared_info(struct domain *d, u64 gfn)
{
	int rc;

	spin_lock(&d->lock);
	rc = place_shared_page(d, &d->shared_info_gfn, gfn, va_to_pa(d->shared_info));
	spin_unlock(&d->lock);
	if (!rc) {
		wallclock_update(d);
		evtchn_shared_info_ready(d);
	}
	return rc;
}

int memory_place_grant_frame(struct domain *d, u64 idx, u64 gfn)
{
	paddr_t pa;
	int rc;

	/* Version 1 has no status frames. */
	if (idx >= GNTTAB_DEFAULT_MAX_FRAMES)
		return -EINVAL;
	rc = gnttab_get_frame(d, (u32)idx, &pa);
	if (rc)
		return rc;
	spin_lock(&d->lock);
	rc = place_shared_page(d, &d->gnttab_gfn[idx], gfn, pa);
	spin_unlock(&d->lock);
	return rc;
}

/* A frame of another domain's RAM mapped for dom0's toolstack (privcmd). */
static int map_foreign(struct vcpu *v, struct domain *d, domid_t fdom, u64 fgfn, u64 gfn)
{
	struct domain *f;
	paddr_t pa;
	int rc;

	/* As Xen's get_pg_owner (common/page_alloc.c): never the caller's own id. */
	if (fdom == v->dom->id)
		return -ESRCH;
	f = fdom == DOMID_SELF ? v->dom : fdom < DOMID_FIRST_RESERVED ? domain_by_id(fdom) : NULL;
	if (!f)
		return -ESRCH;
	if (f == d)
		return -EINVAL;
	if (!v->dom->privileged)
		return -EPERM;
	/* Pinned (its own, never shared) while mapped; the pin goes with the leaf (p2m.c). */
	if (p2m_own_ram(f, fgfn, &pa, true))
		return -EINVAL;
	rc = p2m_map_page(d, gfn, pa, P2M_MAP_FOREIGN);
	if (rc)
		mm_frame_unpin(pa);
	return rc;
}

/* One page of add_to_physmap(_batch), as xenmem_add_to_physmap_one (arch/arm/mm.c). */
static int physmap_add_one(struct vcpu *v, struct domain *d, u32 space, domid_t foreign, u64 idx,
			   u64 gfn)
{
	switch (space) {
	case XENMAPSPACE_shared_info:
		if (idx != 0)
			return -EINVAL;
		return memory_place_shared_info(d, gfn);
	case XENMAPSPACE_grant_table:
		return memory_place_grant_frame(d, idx, gfn);
	case XENMAPSPACE_gmfn_foreign:
		return map_foreign(v, d, foreign, idx, gfn);
	}
	/* gmfn and gmfn_range are x86's; device MMIO Domus maps at build time. */
	return -ENOSYS;
}

/*
 * The domain an add_to_physmap names (common/memory.c): it must exist
 * (-ESRCH); device MMIO is the hardware domain's, into itself only
 * (xatp_permission_check, -EACCES); another domain is dom0's (-EPERM).
 */
static struct domain *physmap_target(struct vcpu *v, domid_t id, u32 space, long *err)
{
	struct domain *d = domain_target(v, id, err);

	if (*err == -ESRCH)
		return NULL;
	if (space == XENMAPSPACE_dev_mmio && (!v->dom->privileged || d != v->dom)) {
		*err = -EACCES;
		return NULL;
	}
	return d;
}

/*
 * While a guest migrates (log_dirty.c) its RAM keeps its shape; a grant
 * frame or its shared_info may still be mapped (a guest short of grant
 * references adds frames as it goes).
 */
static bool moves_ram(u32 space)
{
	return space != XENMAPSPACE_grant_table && space != XENMAPSPACE_shared_info;
}

static long add_to_physmap(struct vcpu *v, u64 start, vaddr_t arg)
{
	struct xen_add_to_physmap a;
	struct domain *d;
	long err = 0;

	if (start > 0xffff)
		return -EDOM; /* more than its 16-bit size can have reached */
	if (copy_from_guest(v, &a, arg, sizeof(a)))
		return -EFAULT;
	/* Foreign frames come only in batches (they need a foreign domain id). */
	if (a.space == XENMAPSPACE_gmfn_foreign)
		return -ENOSYS;
	d = physmap_target(v, a.domid, a.space, &err);
	if (!d)
		return err;
	if (moves_ram(a.space) && log_dirty_refuses(d))
		return -EBUSY;
	if (a.gpfn == GFN_NONE)
		return -EINVAL;
	if (a.space != XENMAPSPACE_gmfn_range)
		return physmap_add_one(v, d, a.space, DOMID_INVALID, a.idx, a.gpfn);
	/* A range is gmfn pages, which Arm has none of: only an empty one succeeds. */
	if (a.size < start)
		return -EILSEQ;
	if (a.gpfn + a.size < a.gpfn || a.idx + a.size < a.idx)
		return -EOVERFLOW;
	return a.size > start ? -ENOSYS : 0;
}

static long add_to_physmap_batch(struct vcpu *v, u64 start, vaddr_t arg)
{
	struct xen_add_to_physmap_batch b;
	struct domain *d;
	long err = 0;

	if (start > 0xffff)
		return -EDOM;
	if (copy_from_guest(v, &b, arg, sizeof(b)))
		return -EFAULT;
	if (b.space == XENMAPSPACE_gmfn_range)
		return -EOPNOTSUPP;
	d = physmap_target(v, b.domid, b.space, &err);
	if (!d)
		return err;
	if (moves_ram(b.space) && log_dirty_refuses(d))
		return -EBUSY;
	if (b.size < start || (b.size == start && start))
		return -EILSEQ;
	for (u64 i = start; i < b.size; i++) {
		u64 idx, gpfn;
		s32 rc;

		if (i - start == MEMOP_BATCH_ENTRIES)
			return memop_continue(v, XENMEM_add_to_physmap_batch, i);
		if (copy_from_guest(v, &idx, b.idxs + i * 8, 8) ||
		    copy_from_guest(v, &gpfn, b.gpfns + i * 8, 8))
			return -EFAULT;
		if (gpfn == GFN_NONE)
			return -EINVAL;
		rc = physmap_add_one(v, d, b.space, b.foreign_domid, idx, gpfn);
		if (copy_to_guest(v, b.errs + i * 4, &rc, 4))
			return -EFAULT;
	}
	return 0;
}

static long remove_from_physmap(struct vcpu *v, vaddr_t arg)
{
	struct xen_remove_from_physmap r;
	struct domain *d;
	enum p2m_type type;
	paddr_t pa;
	long err = 0;

	if (copy_from_guest(v, &r, arg, sizeof(r)))
		return -EFAULT;
	d = domain_target(v, r.domid, &err);
	if (!d)
		return err;
	if (p2m_lookup(d, r.gpfn, &pa, &type))
		return -ENOENT;
	if ((type == P2M_RAM || type == P2M_RAM_COW) && log_dirty_refuses(d))
		return -EBUSY;
	switch (type) {
	case P2M_RAM:
	case P2M_RAM_COW:
	case P2M_MAP_FOREIGN:
		break;
	case P2M_SHARED:
		spin_lock(&d->lock);
		forget_shared_gfn(d, r.gpfn);
		spin_unlock(&d->lock);
		break;
	default: /* grant mappings go through GNTTABOP_unmap_grant_ref */
		return -EINVAL;
	}
	return p2m_unmap_page(d, r.gpfn);
}

/*
 * Gives back RAM: every page of the extent must be the domain's own RAM,
 * checked before any goes. A direct-mapped dom0's frames stay its own, to
 * take back. A guest's leave its map, as Xen's, but stay its own and charged
 * to it until it ends: its pins (mm.c) are counted only to decide what a
 * clone may share, and a grant copy's own-frame side uses a frame without
 * one, so Domus cannot tell that nothing still reaches them (docs/SECURITY.md,
 * known limitations). A shared page (P2M_RAM_COW) is not the guest's: its
 * leaf's count goes with it (p2m.c), the last sharer's frees the frame.
 */
static int release_extent(struct domain *d, u64 gfn, u32 order, bool *flush_owed)
{
	enum p2m_type type;
	paddr_t pa;

	for (u64 i = 0; i < (1ULL << order); i++)
		if (p2m_lookup(d, gfn + i, &pa, &type) || (type != P2M_RAM && type != P2M_RAM_COW) ||
		    (d->direct_map && pa_addr(pa) != ipa_addr(gfn_ipa(gfn + i))))
			return -EINVAL;
	for (u64 i = 0; i < (1ULL << order); i++)
		if (p2m_release_page(d, gfn + i, flush_owed))
			return -ENOMEM; /* a block could not be split: the rest stays */
	return 0;
}

/*
 * Takes back RAM it gave away earlier (a direct-mapped domain: the same
 * frames), or gives a guest domain new RAM, up to its limit: fresh frames,
 * scrubbed, since they may have held another domain's data, mapped at gfn,
 * or nowhere for GFN_NONE (increase_reservation: Xen gives a translated
 * guest's frames no place either; they are its own until it ends).
 */
int memory_populate_extent(struct domain *d, u64 gfn, u32 order)
{
	u64 n = 1ULL << order;
	enum p2m_type type;
	paddr_t pa;
	int rc;

	if (d->direct_map) {
		if (gfn == GFN_NONE || !in_banks(d, gfn, n))
			return -EINVAL;
		for (u64 i = 0; i < n; i++)
			if (p2m_lookup(d, gfn + i, &pa, &type) == 0 && type != P2M_NONE)
				return -EBUSY;
		for (u64 i = 0; i < n; i++)
			/* direct map: the frame at the same address */
			if (p2m_map_page(d, gfn + i, mfn_pa(gfn + i), P2M_RAM))
				return -ENOMEM;
		return 0;
	}
	if (__atomic_add_fetch(&d->mem_pages, n, __ATOMIC_RELAXED) > d->max_pages) {
		__atomic_sub_fetch(&d->mem_pages, n, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	rc = mm_alloc_guest(d->id, n, n, &pa);
	if (!rc && gfn != GFN_NONE) {
		arch_zero_pages(pa_to_va(pa), n);
		spin_lock(&d->p2m_lock);
		rc = arch_s2_map(d, gfn_ipa(gfn), pa, n << PAGE_SHIFT, S2_RWX);
		if (!rc && gfn + n - 1 > d->max_mapped_gfn)
			__atomic_store_n(&d->max_mapped_gfn, gfn + n - 1, __ATOMIC_RELAXED);
		spin_unlock(&d->p2m_lock);
		if (rc)
			mm_free_guest(pa, n);
	}
	if (rc)
		__atomic_sub_fetch(&d->mem_pages, n, __ATOMIC_RELAXED);
	return rc;
}

/*
 * increase_reservation, decrease_reservation, populate_physmap. As Xen's
 * (common/memory.c), they never fail as a whole but say how many extents
 * were done: a request refused outright (unreadable, too long to continue,
 * naming a domain the caller may not, an order past the caller's limit, any
 * memory flag: Domus honours no address width, node or populate-on-demand)
 * does none, and returns the index it started from.
 */
static long reservation(struct vcpu *v, int op, u64 start, vaddr_t arg)
{
	struct xen_memory_reservation r;
	struct domain *d;
	long err = 0;
	u64 done, pages = 0;
	bool flush_owed = false; /* p2m_release_page's: before this call returns */
	bool more = false;

	if (copy_from_guest(v, &r, arg, sizeof(r)) || r.nr_extents > MEMOP_MAX_START ||
	    start >= r.nr_extents || r.extent_order > max_order(v->dom) || r.mem_flags)
		return (long)start;
	d = domain_target(v, r.domid, &err);
	if (!d)
		return (long)start;
	for (done = start; done < r.nr_extents; done++) {
		u64 gfn = GFN_NONE;

		/* Each extent: logging may start while a long list is under way. */
		if (log_dirty_refuses(d))
			break;
		if (done - start == MEMOP_BATCH_ENTRIES || pages >= MEMOP_BATCH_PAGES) {
			more = true;
			break;
		}
		pages += 1ULL << r.extent_order;
		if (op != XENMEM_increase_reservation &&
		    (copy_from_guest(v, &gfn, r.extent_start + done * 8, 8) ||
		     gfn >> (64 - PAGE_SHIFT) || !IS_ALIGNED(gfn, 1ULL << r.extent_order)))
			break;
		if (op == XENMEM_decrease_reservation
			    ? release_extent(d, gfn, r.extent_order, &flush_owed)
			    : memory_populate_extent(d, gfn, r.extent_order))
			break;
	}
	if (flush_owed)
		arch_s2_flush(d);
	if (more)
		return memop_continue(v, (u64)op, done);
	return (long)done;
}

/* The highest gfn the domain has had mapped: Xen's p2m max_mapped_gfn. */
static u64 max_gfn(struct domain *d)
{
	u64 top = __atomic_load_n(&d->max_mapped_gfn, __ATOMIC_RELAXED);

	for (u32 i = 0; i < d->nr_banks; i++)
		top = MAX(top, ipa_gfn(ipa_add(d->banks[i].ipa, d->banks[i].size)) - 1);
	return top;
}

/* The host's last RAM frame + 1 (Xen's max_page), which any domain may ask. */
static long max_ram_page(void)
{
	u64 top = 0;

	for (u32 i = 0; i < platform.nr_ram; i++)
		top = MAX(top, pa_mfn(pa_add(platform.ram[i].base, platform.ram[i].size)));
	return (long)top;
}

/*
 * The ops that never continue (a start index is -EINVAL for them): what a
 * domain may ask about itself or, for dom0, others (common/memory.c), and the
 * refusals of what Domus does not do, in Xen's order: claims are dom0's (by
 * id only), no domain has a virtual NUMA layout, memory is not exchanged.
 */
static long memory_query(struct vcpu *v, u64 op, vaddr_t arg)
{
	union {
		struct xen_memory_domain dom;
		struct xen_memory_reservation res;
		struct xen_vnuma_topology_info vnuma;
		struct xen_memory_exchange exch;
	} u;
	struct domain *d;
	long err = 0;

	switch (op) {
	case XENMEM_maximum_ram_page:
		return max_ram_page();
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
	case XENMEM_maximum_gpfn:
		if (copy_from_guest(v, &u.dom, arg, sizeof(u.dom)))
			return -EFAULT;
		d = domain_target(v, u.dom.domid, &err);
		if (!d)
			return err;
		if (op == XENMEM_current_reservation)
			return (long)__atomic_load_n(&d->mem_pages, __ATOMIC_RELAXED);
		if (op == XENMEM_maximum_reservation)
			return (long)MAX(d->max_pages, __atomic_load_n(&d->mem_pages, __ATOMIC_RELAXED));
		return (long)max_gfn(d);
	case XENMEM_remove_from_physmap:
		return remove_from_physmap(v, arg);
	case XENMEM_claim_pages:
		if (copy_from_guest(v, &u.res, arg, sizeof(u.res)))
			return -EFAULT;
		if (u.res.extent_start || u.res.extent_order || u.res.mem_flags ||
		    u.res.domid >= DOMID_FIRST_RESERVED || !domain_by_id(u.res.domid))
			return -EINVAL;
		return v->dom->privileged ? -ENOSYS : -EPERM;
	case XENMEM_get_vnumainfo:
		if (copy_from_guest(v, &u.vnuma, arg, sizeof(u.vnuma)))
			return -EFAULT;
		if (u.vnuma.pad)
			return -EINVAL;
		return domain_target(v, u.vnuma.domid, &err) ? -EOPNOTSUPP : err;
	case XENMEM_exchange:
		return copy_from_guest(v, &u.exch, arg, sizeof(u.exch)) ? -EFAULT : -ENOSYS;
	}
	return -ENOSYS;
}

long do_memory_op(struct vcpu *v, u64 cmd, vaddr_t arg)
{
	u64 op = cmd & MEMOP_CMD_MASK, start = cmd >> MEMOP_EXTENT_SHIFT;

	switch (op) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return reservation(v, (int)op, start, arg);
	case XENMEM_add_to_physmap:
		return add_to_physmap(v, start, arg);
	case XENMEM_add_to_physmap_batch:
		return add_to_physmap_batch(v, start, arg);
	case XENMEM_get_sharing_freed_pages:
	case XENMEM_get_sharing_shared_pages:
		/* Arm shares no pages; its arch_memory_op sees the whole command, start and all. */
		return start ? -ENOSYS : 0;
	case XENMEM_maximum_ram_page:
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
	case XENMEM_maximum_gpfn:
	case XENMEM_remove_from_physmap:
	case XENMEM_claim_pages:
	case XENMEM_get_vnumainfo:
	case XENMEM_exchange:
		return start ? -EINVAL : memory_query(v, op, arg);
	}
	return -ENOSYS;
}
