/* SPDX-License-Identifier: MIT */
/* Physical page allocator: one bit per 4 KiB page over the span of RAM. */
#ifndef DOMUS_PALLOC_H
#define DOMUS_PALLOC_H

#include <domus/types.h>

/*
 * The allocator covers [base, base + npages * PAGE_SIZE). A set bit means the
 * page is in use or not RAM. It starts with every page in use; the boot code
 * frees the RAM banks and then reserves what is already taken (the hypervisor
 * image, the boot modules, the device tree).
 * No locking here: callers serialise (see mm.c).
 */
struct palloc {
	paddr_t base;
	u64 npages;
	u64 *bitmap; /* ceil(npages / 64) words */
	u64 free_pages;
	u64 hint; /* page index where single-page searches start */
};

/* Words of bitmap storage needed for npages. */
static inline u64 palloc_bitmap_words(u64 npages)
{
	return (npages + 63) / 64;
}

void palloc_init(struct palloc *pa, paddr_t base, u64 npages, u64 *bitmap);
/* Marks pages free. -EINVAL if outside the span or not page aligned. */
int palloc_add_free(struct palloc *pa, paddr_t addr, u64 npages);
/* Marks pages used; -EBUSY if any is already used (nothing changes then). */
int palloc_reserve(struct palloc *pa, paddr_t addr, u64 npages);
/* Marks pages used whatever their state (boot-time carve-outs). */
void palloc_reserve_force(struct palloc *pa, paddr_t addr, u64 npages);
/*
 * Allocates npages contiguous pages whose address is a multiple of
 * align_pages pages (a power of two). 0 or -ENOMEM.
 */
int palloc_alloc(struct palloc *pa, u64 npages, u64 align_pages, paddr_t *out);
/* Largest free run, in pages, whose start is aligned to align_pages. */
u64 palloc_largest_free(struct palloc *pa, u64 align_pages, paddr_t *start);
/* Frees pages; -EINVAL if outside the span or any page was already free. */
int palloc_free(struct palloc *pa, paddr_t addr, u64 npages);
bool palloc_is_free(const struct palloc *pa, paddr_t addr);
static inline u64 palloc_free_count(const struct palloc *pa)
{
	return pa->free_pages;
}

#endif
