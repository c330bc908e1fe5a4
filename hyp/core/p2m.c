/* SPDX-License-Identifier: MIT */
/*
 * The guest-physical map as the Xen interface sees it. Each stage-2 leaf
 * carries its p2m type in the descriptor's software bits, so a lookup tells a
 * domain's own RAM from a shared hypervisor page or another domain's frame
 * without a second table. RAM is type 0 there: memory mapped at build time
 * needs no tag.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/string.h>

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

int p2m_unmap_page(struct domain *d, u64 gfn)
{
	int rc;

	if (gfn >> (64 - PAGE_SHIFT))
		return -ENOENT;
	spin_lock(&d->p2m_lock);
	rc = arch_s2_lookup(d, gfn_ipa(gfn), NULL, NULL);
	if (!rc)
		rc = arch_s2_unmap(d, gfn_ipa(gfn), PAGE_SIZE);
	spin_unlock(&d->p2m_lock);
	return rc;
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
	if (!rc && type_of(attrs) == P2M_RAM)
		rc = redirty(d, gfn_ipa(gfn), pa, attrs);
	else
		rc = -EFAULT;
	spin_unlock(&d->p2m_lock);
	return rc;
}

int p2m_read_ram(struct domain *d, u64 gfn, void *buf)
{
	paddr_t pa;
	u64 attrs;
	int rc = -ENOENT;

	if (gfn >> (64 - PAGE_SHIFT))
		return -ENOENT;
	spin_lock(&d->p2m_lock);
	if (arch_s2_lookup(d, gfn_ipa(gfn), &pa, &attrs) == 0 && type_of(attrs) == P2M_RAM) {
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
		if (type == P2M_RAM || type == P2M_SHARED || type == P2M_FOREIGN_RW ||
		    type == P2M_MAP_FOREIGN || (type == P2M_FOREIGN_RO && !to_guest)) {
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
