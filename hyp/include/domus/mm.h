/* SPDX-License-Identifier: MIT */
/* Hypervisor memory: the global page allocator and the identity-mapped view. */
#ifndef DOMUS_MM_H
#define DOMUS_MM_H

#include <domus/palloc.h>
#include <domus/types.h>

/* Domus maps all RAM 1:1 at EL2, so a hypervisor pointer is its physical address. */
static inline void *pa_to_va(paddr_t pa)
{
	return (void *)(uintptr_t)pa_addr(pa);
}

static inline paddr_t va_to_pa(const void *va)
{
	return pa_init((uintptr_t)va);
}

void mm_init(struct palloc *pa);
/* Zeroed pages; NULL when memory is exhausted. */
void *mm_alloc_pages(u64 npages);
void mm_free_pages(void *va, u64 npages);
/* Zeroed object of at least size bytes (page granular: for long-lived structures). */
void *mm_zalloc(size_t size);
void mm_free(void *p, size_t size);
/*
 * Guest memory: npages aligned to align_pages, not zeroed, recorded as
 * owner's until freed (mm_free_guest, or mm_free_domain_frames when owner ends).
 */
int mm_alloc_guest(domid_t owner, u64 npages, u64 align_pages, paddr_t *pa);
void mm_free_guest(paddr_t pa, u64 npages);
/*
 * The domain a frame was given to, DOMID_COW if domains share it
 * copy-on-write, DOMID_INVALID if none (free, or the hypervisor's).
 */
domid_t mm_frame_owner(paddr_t pa);
/*
 * Pins of a domain's own frame (mm.c): something outside its stage 2 sees
 * it, so it must stay this frame (a grant pin, a privcmd mapping, a
 * vcpu_info). Nothing for a frame that is free, shared or the hypervisor's.
 */
void mm_frame_pin(paddr_t pa);
void mm_frame_unpin(paddr_t pa);
/* Pins (a domain's frame) or sharers (a shared one): for tests and the debug keys. */
u32 mm_frame_refs(paddr_t pa);
/*
 * Copy-on-write sharing (p2m.c): owner's unpinned frame becomes shared, with
 * one sharer (owner's leaf). false, and nothing changes, if it is pinned or
 * not owner's.
 */
bool mm_share_frame(domid_t owner, paddr_t pa);
/* One more stage-2 leaf maps the shared frame. */
void mm_share_get(paddr_t pa);
/* One leaf less; the last frees the frame (true then). */
bool mm_share_put(paddr_t pa);
/* Sharer d, about to write, is the last: the frame becomes d's own (true); else nothing changes. */
bool mm_share_take(domid_t d, paddr_t pa);
/* Frees every frame owner still has, wherever it is mapped or not; how many. */
u64 mm_free_domain_frames(domid_t owner);
u64 mm_free_count(void);
u64 mm_total_pages(void);
/* The largest free run with the given alignment (for dom0's banks). */
u64 mm_largest_free(u64 align_pages, paddr_t *start);

#endif
