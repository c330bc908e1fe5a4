/* SPDX-License-Identifier: MIT */
/*
 * memory_op: how a guest changes its guest-physical map. Shared pages
 * (shared_info, grant frames) are placed where the guest asks; RAM can be
 * handed back (ballooning) and taken again; dom0 maps other domains' frames
 * for the toolstack. Pages a direct-mapped dom0 gives back stay its own, so
 * populate can only ever give it back the same frames: nothing else can reach
 * them in between.
 */
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/evtchn.h>
#include <domus/guest_access.h>
#include <domus/hypercall.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/printk.h>
#include <domus/string.h>
#include <public/memory.h>
#include <public/xen.h>

/* Largest extent a guest may balloon in one piece: 2 MiB. */
#define MAX_EXTENT_ORDER 9

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

/* Has the guest re-issue op from entry next: -ERESTART, or 0 if next cannot be encoded. */
static long memop_continue(struct vcpu *v, u64 op, u64 next)
{
	if (next > MEMOP_MAX_START)
		return 0;
	v->regs.x[0] = op | next << MEMOP_EXTENT_SHIFT;
	return -ERESTART;
}

static bool in_banks(struct domain *d, u64 gfn, u64 npages)
{
	ipa_t ipa = gfn << PAGE_SHIFT;

	for (u32 i = 0; i < d->nr_banks; i++) {
		struct mem_bank *b = &d->banks[i];

		if (ipa >= b->ipa && ipa - b->ipa < b->size &&
		    npages <= (b->size - (ipa - b->ipa)) >> PAGE_SHIFT)
			return true;
	}
	return false;
}

/*
 * Puts a hypervisor page where the guest asked: whatever RAM was there is
 * unmapped (it stays the domain's, recorded as such by mm, and is freed with
 * it), and the page leaves its old place only once the new one is in, so a
 * bad request leaves the guest as it was.
 */
static int place_shared_page(struct domain *d, u64 *where, u64 gfn, paddr_t pa)
{
	enum p2m_type type;
	paddr_t old;
	int rc;

	if (p2m_lookup(d, gfn, &old, &type) == 0) {
		if (type == P2M_SHARED && old == pa)
			return 0;
		if (type != P2M_RAM)
			return -EBUSY;
		p2m_unmap_page(d, gfn);
	}
	rc = p2m_map_page(d, gfn, pa, P2M_SHARED);
	if (rc) {
		if (type == P2M_RAM)
			p2m_map_page(d, gfn, old, P2M_RAM);
		return rc;
	}
	if (*where != GFN_NONE)
		p2m_unmap_page(d, *where);
	*where = gfn;
	return 0;
}

static void forget_shared_gfn(struct domain *d, u64 gfn)
{
	if (d->shared_info_gfn == gfn)
		d->shared_info_gfn = GFN_NONE;
	for (u32 i = 0; i < GNTTAB_DEFAULT_MAX_FRAMES; i++)
		if (d->gnttab_gfn[i] == gfn)
			d->gnttab_gfn[i] = GFN_NONE;
}

static int map_foreign(struct vcpu *v, struct domain *d, domid_t fdom, u64 fgfn, u64 gfn)
{
	struct domain *f;
	enum p2m_type type;
	paddr_t pa;

	if (!v->dom->privileged)
		return -EPERM;
	f = fdom < DOMID_FIRST_RESERVED ? domain_by_id(fdom) : NULL;
	if (!f)
		return -ESRCH;
	if (f == d)
		return -EINVAL;
	if (p2m_lookup(f, fgfn, &pa, &type) || type != P2M_RAM)
		return -EINVAL;
	return p2m_map_page(d, gfn, pa, P2M_MAP_FOREIGN);
}

static long add_to_physmap(struct vcpu *v, vaddr_t arg)
{
	struct xen_add_to_physmap a;
	struct domain *d;
	paddr_t pa;
	long err = 0;
	int rc;

	if (copy_from_guest(v, &a, arg, sizeof(a)))
		return -EFAULT;
	d = hypercall_target(v, a.domid, &err);
	if (!d)
		return err;
	switch (a.space) {
	case XENMAPSPACE_shared_info:
		if (a.idx != 0)
			return -EINVAL;
		spin_lock(&d->lock);
		rc = place_shared_page(d, &d->shared_info_gfn, a.gpfn, va_to_pa(d->shared_info));
		spin_unlock(&d->lock);
		if (!rc) {
			wallclock_update(d);
			evtchn_shared_info_ready(d);
		}
		return rc;
	case XENMAPSPACE_grant_table:
		/* Version 1 has no status frames. */
		if (a.idx >= GNTTAB_DEFAULT_MAX_FRAMES)
			return -EINVAL;
		rc = gnttab_get_frame(d, (u32)a.idx, &pa);
		if (rc)
			return rc;
		spin_lock(&d->lock);
		rc = place_shared_page(d, &d->gnttab_gfn[a.idx], a.gpfn, pa);
		spin_unlock(&d->lock);
		return rc;
	}
	/* gmfn_foreign only comes in batches (it needs a foreign domain id), as in Xen. */
	return -EOPNOTSUPP;
}

static long add_to_physmap_batch(struct vcpu *v, u64 start, vaddr_t arg)
{
	struct xen_add_to_physmap_batch b;
	struct domain *d;
	long err = 0;

	if (copy_from_guest(v, &b, arg, sizeof(b)))
		return -EFAULT;
	if (b.space != XENMAPSPACE_gmfn_foreign)
		return -EOPNOTSUPP;
	d = hypercall_target(v, b.domid, &err);
	if (!d)
		return err;
	for (u64 i = start; i < b.size; i++) {
		u64 idx, gpfn;
		s32 rc;

		if (i - start == MEMOP_BATCH_ENTRIES)
			return memop_continue(v, XENMEM_add_to_physmap_batch, i);
		if (copy_from_guest(v, &idx, b.idxs + i * 8, 8) ||
		    copy_from_guest(v, &gpfn, b.gpfns + i * 8, 8))
			return -EFAULT;
		rc = map_foreign(v, d, b.foreign_domid, idx, gpfn);
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
	d = hypercall_target(v, r.domid, &err);
	if (!d)
		return err;
	if (p2m_lookup(d, r.gpfn, &pa, &type))
		return -ENOENT;
	switch (type) {
	case P2M_RAM:
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
 * Gives back RAM: the frames leave the guest's map but stay the domain's.
 * Only a direct-mapped dom0 balloons for now: freeing a guest's frame needs
 * to know nobody maps it through a grant or privcmd (Xen counts references).
 */
static int release_extent(struct domain *d, u64 gfn, u32 order)
{
	enum p2m_type type;
	paddr_t pa;

	if (!d->direct_map)
		return -EOPNOTSUPP;
	for (u64 i = 0; i < (1ULL << order); i++)
		if (p2m_lookup(d, gfn + i, &pa, &type) || type != P2M_RAM ||
		    (d->direct_map && pa != (gfn + i) << PAGE_SHIFT))
			return -EINVAL;
	for (u64 i = 0; i < (1ULL << order); i++)
		p2m_unmap_page(d, gfn + i);
	return 0;
}

/*
 * Takes back RAM it gave away earlier (a direct-mapped domain: the same
 * frames), or gives a guest domain new RAM, up to its limit: fresh frames,
 * scrubbed, since they may have held another domain's data.
 */
static int populate_extent(struct domain *d, u64 gfn, u32 order)
{
	u64 n = 1ULL << order;
	enum p2m_type type;
	paddr_t pa;
	int rc;

	if (d->direct_map) {
		if (!in_banks(d, gfn, n))
			return -EINVAL;
		for (u64 i = 0; i < n; i++)
			if (p2m_lookup(d, gfn + i, &pa, &type) == 0 && type != P2M_NONE)
				return -EBUSY;
		for (u64 i = 0; i < n; i++)
			if (p2m_map_page(d, gfn + i, (gfn + i) << PAGE_SHIFT, P2M_RAM))
				return -ENOMEM;
		return 0;
	}
	if (__atomic_add_fetch(&d->mem_pages, n, __ATOMIC_RELAXED) > d->max_pages) {
		__atomic_sub_fetch(&d->mem_pages, n, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	rc = mm_alloc_guest(d->id, n, n, &pa);
	if (!rc) {
		memset(pa_to_va(pa), 0, n << PAGE_SHIFT);
		spin_lock(&d->p2m_lock);
		rc = pgtable_map(&d->s2, gfn << PAGE_SHIFT, pa, n << PAGE_SHIFT, PGT_RWX);
		spin_unlock(&d->p2m_lock);
		if (rc)
			mm_free_guest(pa, n);
	}
	if (rc)
		__atomic_sub_fetch(&d->mem_pages, n, __ATOMIC_RELAXED);
	return rc;
}

static long reservation(struct vcpu *v, int op, u64 start, vaddr_t arg)
{
	struct xen_memory_reservation r;
	struct domain *d;
	long err = 0;
	u64 done, pages = 0;

	if (copy_from_guest(v, &r, arg, sizeof(r)))
		return -EFAULT;
	if (r.extent_order > MAX_EXTENT_ORDER || r.mem_flags)
		return -EINVAL;
	d = hypercall_target(v, r.domid, &err);
	if (!d)
		return err;
	/* Like Xen: the number of extents done; the caller sees a short count. */
	for (done = start; done < r.nr_extents; done++) {
		u64 gfn;

		if (done - start == MEMOP_BATCH_ENTRIES || pages >= MEMOP_BATCH_PAGES) {
			long rc = memop_continue(v, (u64)op, done);

			if (rc)
				return rc;
			break; /* further than a continuation can say: a short count */
		}
		pages += 1ULL << r.extent_order;
		if (copy_from_guest(v, &gfn, r.extent_start + done * 8, 8))
			break;
		if (gfn >> (64 - PAGE_SHIFT) || !IS_ALIGNED(gfn, 1ULL << r.extent_order))
			break;
		if (op == XENMEM_decrease_reservation ? release_extent(d, gfn, r.extent_order)
						      : populate_extent(d, gfn, r.extent_order))
			break;
	}
	return (long)done;
}

long do_memory_op(struct vcpu *v, u64 cmd, vaddr_t arg)
{
	u64 op = cmd & MEMOP_CMD_MASK, start = cmd >> MEMOP_EXTENT_SHIFT;

	switch (op) {
	case XENMEM_add_to_physmap_batch:
		return add_to_physmap_batch(v, start, arg);
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return reservation(v, (int)op, start, arg);
	}
	/* Only the batch operations above continue: a start index on any other is unknown. */
	if (start)
		return -ENOSYS;
	switch (op) {
	case XENMEM_add_to_physmap:
		return add_to_physmap(v, arg);
	case XENMEM_remove_from_physmap:
		return remove_from_physmap(v, arg);
	}
	return -ENOSYS;
}
