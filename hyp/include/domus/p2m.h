/* SPDX-License-Identifier: MIT */
/*
 * A domain's guest-physical map (stage 2) as the Xen interface sees it: what a
 * guest frame number is backed by, and foreign mappings of other domains'
 * frames (grants, privcmd). Frame numbers are in 4 KiB pages.
 */
#ifndef DOMUS_P2M_H
#define DOMUS_P2M_H

#include <domus/types.h>

struct domain;

enum p2m_type {
	P2M_NONE, /* nothing mapped: a hole */
	P2M_RAM, /* the domain's own memory */
	P2M_SHARED, /* a hypervisor page shared with the guest (shared_info, grant table) */
	P2M_FOREIGN_RW, /* another domain's frame, mapped writable */
	P2M_FOREIGN_RO, /* another domain's frame, mapped read-only */
	P2M_MMIO, /* a passed-through device */
	P2M_MAP_FOREIGN, /* another domain's frame mapped by privcmd (add_to_physmap) */
	P2M_RAM_COW, /* its memory, shared copy-on-write with clones: read-only until written */
};

/* What backs gfn in d: 0 with *pa and *type, or -ENOENT (then *type is P2M_NONE). */
int p2m_lookup(struct domain *d, u64 gfn, paddr_t *pa, enum p2m_type *type);
/*
 * Maps the host frame pa at gfn, where gfn must be a hole: -EEXIST if anything
 * is mapped there, -EINVAL if gfn is outside the guest-physical space.
 */
int p2m_map_page(struct domain *d, u64 gfn, paddr_t pa, enum p2m_type type);
/*
 * Maps pa at gfn whatever is there, in one hold of the map's lock, so no
 * other vCPU's change to gfn comes in between; what was there (P2M_NONE for a
 * hole) is reported for the caller to account for. -EBUSY over a device,
 * -ENOMEM for want of a table page (nothing changes then), -EINVAL.
 */
int p2m_replace_page(struct domain *d, u64 gfn, paddr_t pa, enum p2m_type type, paddr_t *old_pa,
		     enum p2m_type *old_type);
/*
 * Unmaps the grant mapping of frame pa at gfn, checked and done in one hold
 * of the map's lock: -ENOENT if gfn holds anything else now (that stays).
 */
int p2m_unmap_foreign(struct domain *d, u64 gfn, paddr_t pa);
/* Unmaps gfn; -ENOENT if nothing was mapped. */
int p2m_unmap_page(struct domain *d, u64 gfn);
/*
 * The same for RAM the domain gives back (decrease_reservation): a page of
 * its own RAM keeps its TLB entries until the caller's arch_s2_flush, and
 * *flush_owed is set. Such a frame stays the domain's (memory_op.c), so
 * nothing of anyone else's is reached meanwhile, and a balloon's hundreds of
 * pages cost one broadcast invalidation instead of two each (each stops
 * every CPU; in QEMU's TCG, every vCPU thread). Anything else, a shared
 * frame whose reference goes with its leaf, is invalidated at once.
 */
int p2m_release_page(struct domain *d, u64 gfn, bool *flush_owed);
/*
 * Copies len bytes (within one page) to or from what backs ipa, holding the
 * map's lock, so the frame cannot be unmapped and handed on midway. Only
 * memory the domain may use as memory; -EFAULT otherwise.
 */
int p2m_copy(struct domain *d, ipa_t ipa, void *buf, u64 len, bool to_guest);
/*
 * A write to gfn (by the guest, through a fault, or by a back end or Domus
 * behind stage 2) while dirty logging had made it read-only: it is dirty, and
 * writable again. A shared page (P2M_RAM_COW) becomes d's own first. 0 if
 * gfn is RAM; -EFAULT otherwise; -ENOMEM if no frame is left for the copy.
 */
int p2m_set_dirty(struct domain *d, u64 gfn);
/*
 * The frame of d's RAM at gfn, made d's own if it was shared (a copy, or the
 * frame if d was the last to share it), and pinned if pin (mm_frame_pin: it
 * stays this frame, never shared, until mm_frame_unpin or d's end): for
 * whoever keeps the frame's address after the map's lock (a grant pin, a
 * privcmd mapping, a vcpu_info). -EINVAL if gfn is not RAM, -ENOMEM.
 */
int p2m_own_ram(struct domain *d, u64 gfn, paddr_t *pa, bool pin);
/*
 * Cloning (docs/CLONE.md): gives domain to (being built, a hole at gfn) the
 * page from has at gfn. Unpinned RAM is shared copy-on-write (both map it
 * read-only, P2M_RAM_COW): 1. A pinned page, or one inside a block, is
 * copied: 0. -ENOENT if from has no RAM there, -ENOMEM, -EEXIST. from must
 * be stopped and off its pCPUs; the caller flushes from's TLBs
 * (arch_s2_flush) before it runs again.
 */
int p2m_share_page(struct domain *from, struct domain *to, u64 gfn);
/*
 * At d's end: what its leaves held of others' frames (shared ones, privcmd
 * pins) goes. The shared frames it was the last to hold are freed.
 */
struct p2m_released {
	u64 freed; /* shared frames d was the last to map: free now */
	u64 still_shared; /* those others still map */
};
struct p2m_released p2m_release(struct domain *d);
/*
 * A copy of gfn's page if it is d's own RAM (-ENOENT otherwise), taken under
 * the map's lock: a running guest cannot free the frame midway.
 */
int p2m_read_ram(struct domain *d, u64 gfn, void *buf);
/* The hypervisor's pointer to a host frame (its first byte). */
void *p2m_frame_va(paddr_t pa);

#endif
