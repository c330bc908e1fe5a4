/* SPDX-License-Identifier: MIT */
/*
 * The guest-physical map as the Xen interface sees it. Each stage-2 leaf
 * carries its p2m type in the descriptor's software bits, so a lookup tells a
 * domain's own RAM from a shared hypervisor page or another domain's frame
 * without a second table. RAM is type 0 there: memory mapped at build time
 * needs no tag.
 *
 * Copy-on-write (docs/CLONE.md): a clone and its parent map the same frames
 * read-only as P2M_RAM_COW; the first write to one (a stage-2 fault, or
 * Domus writing for the guest) gives the writer a copy of its own, or the
 * frame itself if it is the last to map it. Lifetime rule: each COW leaf
 * holds one reference to its frame (mm.c), taken when the leaf is made and
 * dropped when it goes, always under its domain's map lock; so a frame can
 * be read under that lock while a leaf maps it. Anything that keeps a
 * frame's address beyond the lock (a grant pin, a privcmd mapping, a
 * vcpu_info) gets it through p2m_own_ram: the domain's own, pinned, never
 * shared.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/printk.h>
#include <domus/string.h>

/* A shared frame's leaf: readable and executable, written only after a fault gives a copy. */
#define COW_ATTRS (S2_R | S2_X | S2_TYPE(P2M_RAM_COW))

static enum p2m_type type_of(u64 attrs)
{
	u64 sw = S2_TYPE_OF(attrs);

	if (attrs & S2_DEVICE)
		return P2M_MMIO;
	return sw ? (enum p2m_type)sw : P2M_RAM;
}

int p2m_lookup(struct domain *d, u64 gfn, paddr_t *pa, enum p2m_type *type)
{
	u64 attrs;
	paddr_t out;
	int rc;

	*type = P2M_NONE;
	if (gfn >> (64 - PAGE_SHIFT))
		return -ENOENT;
	spin_lock(&d->p2m_lock);
	rc = arch_s2_lookup(d, gfn_ipa(gfn), &out, &attrs);
	spin_unlock(&d->p2m_lock);
	if (rc)
		return rc;
	*pa = pa_init(pa_addr(out) & PAGE_MASK);
	*type = type_of(attrs);
	return 0;
}

/* Stage-2 attributes of a p2m type; 0 for one that cannot be mapped by hand. */
static u64 attrs_of(enum p2m_type type)
{
	switch (type) {
	case P2M_RAM:
		return S2_RWX;
	case P2M_SHARED:
	case P2M_FOREIGN_RW:
	case P2M_MAP_FOREIGN:
		return S2_RW | S2_TYPE(type);
	case P2M_FOREIGN_RO:
		return S2_R | S2_TYPE(type);
	default:
		return 0;
	}
}

/* Whether gfn lies in d's guest-physical space (and its address fits 64 bits at all). */
static bool gfn_in_space(struct domain *d, u64 gfn)
{
	return !(gfn >> (64 - PAGE_SHIFT)) &&
	       ipa_addr(gfn_ipa(gfn)) < ipa_addr(arch_s2_ipa_limit(d));
}

/*
 * With d's map lock held, a leaf of d's that was pa of the given type has
 * gone: the reference it held goes with it (a shared frame's, a privcmd
 * mapping's pin of another domain's frame).
 */
static void leaf_gone(struct domain *d, paddr_t pa, enum p2m_type type)
{
	if (type == P2M_RAM_COW) {
		__atomic_sub_fetch(&d->shared_pages, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&d->mem_pages, 1, __ATOMIC_RELAXED);
		mm_share_put(pa);
	} else if (type == P2M_MAP_FOREIGN) {
		mm_frame_unpin(pa);
	}
}

/*
 * With d's map lock held: the shared frame *pa at gfn becomes d's own before
 * d writes it, the frame itself if d is the last to share it, else a copy.
 * *pa is then the frame d has there. -ENOMEM if no frame is left for the copy.
 */
static int unshare(struct domain *d, u64 gfn, paddr_t *pa)
{
	paddr_t copy;
	int rc;

	if (mm_share_take(d->id, *pa)) {
		copy = *pa;
	} else {
		if (mm_alloc_guest(d->id, 1, 1, &copy))
			return -ENOMEM;
		memcpy(pa_to_va(copy), pa_to_va(*pa), PAGE_SIZE);
		arch_sync_icache(pa_to_va(copy), PAGE_SIZE); /* it may be code */
	}
	/* A page leaf changes in place: no table is needed, so this cannot fail. */
	rc = arch_s2_replace_page(d, gfn_ipa(gfn), copy, S2_RWX);
	BUG_ON(rc);
	__atomic_sub_fetch(&d->shared_pages, 1, __ATOMIC_RELAXED);
	if (pa_addr(copy) != pa_addr(*pa))
		mm_share_put(*pa);
	*pa = copy;
	return 0;
}

int p2m_replace_page(struct domain *d, u64 gfn, paddr_t pa, enum p2m_type type, paddr_t *old_pa,
		     enum p2m_type *old_type)
{
	u64 attrs = attrs_of(type), old_attrs;
	int rc;

	*old_type = P2M_NONE;
	if (!attrs || !gfn_in_space(d, gfn))
		return -EINVAL;
	spin_lock(&d->p2m_lock);
	if (arch_s2_lookup(d, gfn_ipa(gfn), old_pa, &old_attrs) == 0) {
		*old_pa = pa_init(pa_addr(*old_pa) & PAGE_MASK);
		*old_type = type_of(old_attrs);
	}
	if (*old_type == P2M_MMIO)
		rc = -EBUSY; /* a device stays where it is */
	else
		rc = arch_s2_replace_page(d, gfn_ipa(gfn), pa, attrs);
	if (!rc)
		leaf_gone(d, *old_pa, *old_type);
	if (!rc && gfn > d->max_mapped_gfn)
		__atomic_store_n(&d->max_mapped_gfn, gfn, __ATOMIC_RELAXED);
	spin_unlock(&d->p2m_lock);
	return rc;
}

int p2m_map_page(struct domain *d, u64 gfn, paddr_t pa, enum p2m_type type)
{
	u64 attrs = attrs_of(type);
	int rc;

	if (!attrs)
		return -EINVAL;
	if (!gfn_in_space(d, gfn))
		return -EINVAL;
	spin_lock(&d->p2m_lock);
	if (arch_s2_lookup(d, gfn_ipa(gfn), NULL, NULL) == 0)
		rc = -EEXIST;
	else
		rc = arch_s2_map(d, gfn_ipa(gfn), pa, PAGE_SIZE, attrs);
	if (!rc && gfn > d->max_mapped_gfn)
		__atomic_store_n(&d->max_mapped_gfn, gfn, __ATOMIC_RELAXED);
	spin_unlock(&d->p2m_lock);
	return rc;
}

/* p2m_unmap_page, or with flush_owed p2m_release_page. */
static int unmap_page(struct domain *d, u64 gfn, bool *flush_owed)
{
	paddr_t pa;
	u64 attrs;
	int rc;

	if (gfn >> (64 - PAGE_SHIFT))
		return -ENOENT;
	spin_lock(&d->p2m_lock);
	rc = arch_s2_lookup(d, gfn_ipa(gfn), &pa, &attrs);
	if (!rc && flush_owed && type_of(attrs) == P2M_RAM) {
		rc = arch_s2_unmap_lazy(d, gfn_ipa(gfn), PAGE_SIZE);
		*flush_owed |= !rc;
	} else if (!rc) {
		rc = arch_s2_unmap(d, gfn_ipa(gfn), PAGE_SIZE);
		if (!rc)
			leaf_gone(d, pa_init(pa_addr(pa) & PAGE_MASK), type_of(attrs));
	}
	spin_unlock(&d->p2m_lock);
	return rc;
}

int p2m_unmap_page(struct domain *d, u64 gfn)
{
	return unmap_page(d, gfn, NULL);
}

int p2m_release_page(struct domain *d, u64 gfn, bool *flush_owed)
{
	return unmap_page(d, gfn, flush_owed);
}

int p2m_unmap_foreign(struct domain *d, u64 gfn, paddr_t pa)
{
	enum p2m_type type;
	paddr_t now;
	u64 attrs;
	int rc;

	if (gfn >> (64 - PAGE_SHIFT))
		return -ENOENT;
	spin_lock(&d->p2m_lock);
	rc = arch_s2_lookup(d, gfn_ipa(gfn), &now, &attrs);
	type = rc ? P2M_NONE : type_of(attrs);
	if (!rc && ((pa_addr(now) & PAGE_MASK) != pa_addr(pa) ||
		    (type != P2M_FOREIGN_RO && type != P2M_FOREIGN_RW)))
		rc = -ENOENT;
	if (!rc)
		rc = arch_s2_unmap(d, gfn_ipa(gfn), PAGE_SIZE);
	spin_unlock(&d->p2m_lock);
	return rc;
}

/*
 * With the map's lock held: dirty logging made the RAM page at ipa read-only
 * (arch_s2_clean_dirty); being written, it is dirty again, and writable.
 */
static int redirty(struct domain *d, ipa_t ipa, paddr_t pa, u64 attrs)
{
	if (attrs & S2_W)
		return 0;
	return arch_s2_replace_page(d, ipa_init(ipa_addr(ipa) & PAGE_MASK),
				    pa_init(pa_addr(pa) & PAGE_MASK), attrs | S2_W);
}

int p2m_set_dirty(struct domain *d, u64 gfn)
{
	paddr_t pa;
	u64 attrs;
	int rc;

	if (gfn >> (64 - PAGE_SHIFT))
		return -EFAULT;
	spin_lock(&d->p2m_lock);
	rc = arch_s2_lookup(d, gfn_ipa(gfn), &pa, &attrs);
	pa = pa_init(pa_addr(pa) & PAGE_MASK);
	if (!rc && type_of(attrs) == P2M_RAM)
		rc = redirty(d, gfn_ipa(gfn), pa, attrs);
	else if (!rc && type_of(attrs) == P2M_RAM_COW)
		rc = unshare(d, gfn, &pa);
	else
		rc = -EFAULT;
	spin_unlock(&d->p2m_lock);
	return rc;
}

int p2m_own_ram(struct domain *d, u64 gfn, paddr_t *pa, bool pin)
{
	enum p2m_type type = P2M_NONE;
	u64 attrs;
	int rc = -EINVAL;

	if (gfn >> (64 - PAGE_SHIFT))
		return -EINVAL;
	spin_lock(&d->p2m_lock);
	if (arch_s2_lookup(d, gfn_ipa(gfn), pa, &attrs) == 0) {
		type = type_of(attrs);
		*pa = pa_init(pa_addr(*pa) & PAGE_MASK);
	}
	if (type == P2M_RAM_COW)
		rc = unshare(d, gfn, pa);
	else if (type == P2M_RAM)
		rc = 0;
	if (!rc && pin)
		mm_frame_pin(*pa);
	spin_unlock(&d->p2m_lock);
	return rc;
}

int p2m_share_page(struct domain *from, struct domain *to, u64 gfn)
{
	enum p2m_type type = P2M_NONE;
	paddr_t pa, copy;
	u64 attrs;
	int rc = 0;

	if (!gfn_in_space(from, gfn) || !gfn_in_space(to, gfn))
		return -EINVAL;
	spin_lock(&from->p2m_lock);
	if (arch_s2_lookup(from, gfn_ipa(gfn), &pa, &attrs) == 0) {
		type = type_of(attrs);
		pa = pa_init(pa_addr(pa) & PAGE_MASK);
	}
	if (type != P2M_RAM && type != P2M_RAM_COW) {
		spin_unlock(&from->p2m_lock);
		return -ENOENT;
	}
	/* Unpinned RAM becomes shared; a pinned page, or one inside a block, is copied. */
	if (type == P2M_RAM && mm_share_frame(from->id, pa)) {
		if (arch_s2_protect_page(from, gfn_ipa(gfn), COW_ATTRS) == 0) {
			__atomic_add_fetch(&from->shared_pages, 1, __ATOMIC_RELAXED);
			type = P2M_RAM_COW;
		} else {
			mm_share_take(from->id, pa);
		}
	}
	if (type == P2M_RAM_COW)
		mm_share_get(pa);
	else if (mm_alloc_guest(to->id, 1, 1, &copy) == 0) {
		memcpy(pa_to_va(copy), pa_to_va(pa), PAGE_SIZE);
		arch_sync_icache(pa_to_va(copy), PAGE_SIZE);
	} else
		rc = -ENOMEM;
	spin_unlock(&from->p2m_lock);
	if (rc)
		return rc;
	/* The reference taken above keeps the shared frame while no lock is held. */
	spin_lock(&to->p2m_lock);
	rc = type == P2M_RAM_COW ? arch_s2_map(to, gfn_ipa(gfn), pa, PAGE_SIZE, COW_ATTRS)
				 : arch_s2_map(to, gfn_ipa(gfn), copy, PAGE_SIZE, S2_RWX);
	if (!rc && type == P2M_RAM_COW)
		__atomic_add_fetch(&to->shared_pages, 1, __ATOMIC_RELAXED);
	if (!rc && gfn > to->max_mapped_gfn)
		__atomic_store_n(&to->max_mapped_gfn, gfn, __ATOMIC_RELAXED);
	spin_unlock(&to->p2m_lock);
	if (rc && type == P2M_RAM_COW)
		mm_share_put(pa);
	else if (rc)
		mm_free_guest(copy, 1);
	return rc ? rc : type == P2M_RAM_COW;
}

static void release_leaf(void *ctx, ipa_t ipa, paddr_t pa, u64 size, u64 attrs)
{
	struct p2m_released *r = ctx;
	enum p2m_type type = type_of(attrs);

	if (type == P2M_RAM_COW && mm_share_put(pa))
		r->freed++;
	else if (type == P2M_RAM_COW)
		r->still_shared++;
	else if (type == P2M_MAP_FOREIGN)
		mm_frame_unpin(pa);
}

struct p2m_released p2m_release(struct domain *d)
{
	struct p2m_released r = { 0, 0 };

	spin_lock(&d->p2m_lock);
	arch_s2_walk(d, release_leaf, &r);
	d->shared_pages = 0;
	spin_unlock(&d->p2m_lock);
	return r;
}

int p2m_read_ram(struct domain *d, u64 gfn, void *buf)
{
	paddr_t pa;
	u64 attrs;
	int rc = -ENOENT;

	if (gfn >> (64 - PAGE_SHIFT))
		return -ENOENT;
	spin_lock(&d->p2m_lock);
	if (arch_s2_lookup(d, gfn_ipa(gfn), &pa, &attrs) == 0 &&
	    (type_of(attrs) == P2M_RAM || type_of(attrs) == P2M_RAM_COW)) {
		memcpy(buf, pa_to_va(pa), PAGE_SIZE);
		rc = 0;
	}
	spin_unlock(&d->p2m_lock);
	return rc;
}

void *p2m_frame_va(paddr_t pa)
{
	return pa_to_va(pa);
}

int p2m_copy(struct domain *d, ipa_t ipa, void *buf, u64 len, bool to_guest)
{
	enum p2m_type type;
	u64 attrs;
	paddr_t pa;
	int rc = -EFAULT;

	if ((ipa_addr(ipa) & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
		return -EINVAL;
	spin_lock(&d->p2m_lock);
	if (arch_s2_lookup(d, ipa, &pa, &attrs) == 0) {
		type = type_of(attrs);
		/* Written for the guest, a shared page becomes its own first (a copy). */
		if (type == P2M_RAM_COW && to_guest) {
			pa = pa_init(pa_addr(pa) & PAGE_MASK);
			if (unshare(d, ipa_gfn(ipa), &pa))
				goto out;
			pa = pa_add(pa, ipa_addr(ipa) & (PAGE_SIZE - 1));
			type = P2M_RAM;
			attrs = S2_RWX;
		}
		if (type == P2M_RAM || type == P2M_SHARED || type == P2M_FOREIGN_RW ||
		    type == P2M_MAP_FOREIGN || type == P2M_RAM_COW ||
		    (type == P2M_FOREIGN_RO && !to_guest)) {
			/* Written behind stage 2's back: dirty logging must still hear of it. */
			if (to_guest && type == P2M_RAM && redirty(d, ipa, pa, attrs))
				goto out;
			if (to_guest)
				memcpy(pa_to_va(pa), buf, len);
			else
				memcpy(buf, pa_to_va(pa), len);
			rc = 0;
		}
	}
out:
	spin_unlock(&d->p2m_lock);
	return rc;
}
