/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's page allocator (palloc behind one lock, plus zeroing), and
 * the record of which domain owns each guest frame.
 *
 * Every frame given to a domain as RAM is recorded as its own here until it is
 * freed, whatever the domain does with its map meanwhile (removes it, puts a
 * shared page over it, hands it to a grant): destroy frees what this record
 * says, not what the stage 2 still shows, so no frame can be lost (Xen keeps a
 * page list per domain for the same reason).
 *
 * A frame is one of three things, told by its owner tag, and counted by
 * frame_refs (docs/CLONE.md):
 *   free or the hypervisor's   owner 0
 *   a domain's own             owner id + 1; refs = its pins: references from
 *                              outside the domain's own stage 2 that must see
 *                              what the domain writes there (a grant pinned by
 *                              another domain, a privcmd mapping, a vcpu_info
 *                              Domus writes). A pinned frame is never shared.
 *   shared copy-on-write       OWNER_SHARED; refs = the stage-2 leaves (of the
 *                              domains sharing it) that map it, read-only. The
 *                              last one to go frees it.
 * Over-counting pins is safe (a frame is copied where it could have been
 * shared); under-counting is not, so pins are dropped only where the
 * reference certainly ends, and all of them when the owner ends.
 */
#include <domus/arch.h>
#include <domus/mm.h>
#include <domus/printk.h>
#include <domus/spinlock.h>
#include <domus/string.h>
#include <public/xen.h>

static struct palloc *heap;
static spinlock_t heap_lock = SPINLOCK_INIT;
static u64 total_pages;
/* Per frame of the heap's span: the owning domain's id + 1, 0 for none. Under heap_lock. */
static u16 *frame_owner;
/* Per frame: its pins (a domain's own) or its sharers (shared). Under heap_lock. */
static u32 *frame_refs;
/* The owner tag of a shared frame: no domain id + 1 reaches it. */
#define OWNER_SHARED 0xffffU
_Static_assert(DOMID_FIRST_RESERVED < OWNER_SHARED - 1, "domain ids stay below the shared tag");

/* A zeroed array of npages elements of size bytes, from the heap itself, for life. */
static void *frame_array(struct palloc *pa, u64 size)
{
	u64 bytes = pa->npages * size;
	paddr_t table;

	if (palloc_alloc(pa, ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE, 1, &table))
		return NULL;
	memset(pa_to_va(table), 0, bytes);
	return pa_to_va(table);
}

void mm_init(struct palloc *pa)
{
	heap = pa;
	frame_owner = frame_array(pa, sizeof(*frame_owner));
	frame_refs = frame_array(pa, sizeof(*frame_refs));
	BUG_ON(!frame_owner || !frame_refs);
	total_pages = palloc_free_count(pa);
}

static u64 frame_index(paddr_t pa)
{
	return (pa_addr(pa) - pa_addr(heap->base)) >> PAGE_SHIFT;
}

static bool in_heap(paddr_t pa, u64 npages)
{
	return pa_addr(pa) >= pa_addr(heap->base) && frame_index(pa) < heap->npages &&
	       npages <= heap->npages - frame_index(pa);
}

void *mm_alloc_pages(u64 npages)
{
	paddr_t pa;
	int rc;

	spin_lock(&heap_lock);
	rc = palloc_alloc(heap, npages, 1, &pa);
	spin_unlock(&heap_lock);
	if (rc)
		return NULL;
	arch_zero_pages(pa_to_va(pa), npages);
	return pa_to_va(pa);
}

void mm_free_pages(void *va, u64 npages)
{
	spin_lock(&heap_lock);
	palloc_free(heap, va_to_pa(va), npages);
	spin_unlock(&heap_lock);
}

void *mm_zalloc(size_t size)
{
	return mm_alloc_pages(ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
}

void mm_free(void *p, size_t size)
{
	if (p)
		mm_free_pages(p, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
}

int mm_alloc_guest(domid_t owner, u64 npages, u64 align_pages, paddr_t *pa)
{
	int rc;

	spin_lock(&heap_lock);
	rc = palloc_alloc(heap, npages, align_pages, pa);
	if (!rc)
		for (u64 i = 0, f = frame_index(*pa); i < npages; i++)
			frame_owner[f + i] = (u16)(owner + 1);
	spin_unlock(&heap_lock);
	return rc;
}

void mm_free_guest(paddr_t pa, u64 npages)
{
	spin_lock(&heap_lock);
	BUG_ON(!in_heap(pa, npages));
	for (u64 i = 0, f = frame_index(pa); i < npages; i++)
		frame_owner[f + i] = 0, frame_refs[f + i] = 0;
	palloc_free(heap, pa, npages);
	spin_unlock(&heap_lock);
}

domid_t mm_frame_owner(paddr_t pa)
{
	domid_t owner = DOMID_INVALID;

	spin_lock(&heap_lock);
	if (in_heap(pa, 1) && frame_owner[frame_index(pa)] == OWNER_SHARED)
		owner = DOMID_COW;
	else if (in_heap(pa, 1) && frame_owner[frame_index(pa)])
		owner = (domid_t)(frame_owner[frame_index(pa)] - 1);
	spin_unlock(&heap_lock);
	return owner;
}

/* Frames looked at under one hold of the heap lock: others may allocate in between. */
#define OWNER_SCAN_BATCH 4096

u64 mm_free_domain_frames(domid_t owner)
{
	u16 tag = (u16)(owner + 1);
	u64 freed = 0;

	for (u64 at = 0; at < heap->npages; at += OWNER_SCAN_BATCH) {
		u64 end = MIN(heap->npages, at + OWNER_SCAN_BATCH);

		spin_lock(&heap_lock);
		for (u64 f = at; f < end; f++) {
			u64 run = 0;

			while (f + run < end && frame_owner[f + run] == tag) {
				frame_refs[f + run] = 0; /* its pins end with it */
				frame_owner[f + run++] = 0;
			}
			if (run) {
				palloc_free(heap, pa_add(heap->base, f << PAGE_SHIFT), run);
				freed += run;
				f += run - 1;
			}
		}
		spin_unlock(&heap_lock);
	}
	return freed;
}

void mm_frame_pin(paddr_t pa)
{
	spin_lock(&heap_lock);
	if (in_heap(pa, 1) && frame_owner[frame_index(pa)] &&
	    frame_owner[frame_index(pa)] != OWNER_SHARED)
		frame_refs[frame_index(pa)]++;
	spin_unlock(&heap_lock);
}

void mm_frame_unpin(paddr_t pa)
{
	spin_lock(&heap_lock);
	if (in_heap(pa, 1) && frame_owner[frame_index(pa)] &&
	    frame_owner[frame_index(pa)] != OWNER_SHARED && frame_refs[frame_index(pa)])
		frame_refs[frame_index(pa)]--;
	spin_unlock(&heap_lock);
}

bool mm_share_frame(domid_t owner, paddr_t pa)
{
	bool ok;

	spin_lock(&heap_lock);
	ok = in_heap(pa, 1) && frame_owner[frame_index(pa)] == (u16)(owner + 1) &&
	     !frame_refs[frame_index(pa)];
	if (ok) {
		frame_owner[frame_index(pa)] = OWNER_SHARED;
		frame_refs[frame_index(pa)] = 1;
	}
	spin_unlock(&heap_lock);
	return ok;
}

void mm_share_get(paddr_t pa)
{
	spin_lock(&heap_lock);
	BUG_ON(!in_heap(pa, 1) || frame_owner[frame_index(pa)] != OWNER_SHARED ||
	       frame_refs[frame_index(pa)] == 0xffffffffU);
	frame_refs[frame_index(pa)]++;
	spin_unlock(&heap_lock);
}

bool mm_share_put(paddr_t pa)
{
	bool freed;

	spin_lock(&heap_lock);
	BUG_ON(!in_heap(pa, 1) || frame_owner[frame_index(pa)] != OWNER_SHARED ||
	       !frame_refs[frame_index(pa)]);
	freed = --frame_refs[frame_index(pa)] == 0;
	if (freed) {
		frame_owner[frame_index(pa)] = 0;
		palloc_free(heap, pa, 1);
	}
	spin_unlock(&heap_lock);
	return freed;
}

bool mm_share_take(domid_t d, paddr_t pa)
{
	bool last;

	spin_lock(&heap_lock);
	BUG_ON(!in_heap(pa, 1) || frame_owner[frame_index(pa)] != OWNER_SHARED);
	last = frame_refs[frame_index(pa)] == 1;
	if (last) {
		frame_owner[frame_index(pa)] = (u16)(d + 1);
		frame_refs[frame_index(pa)] = 0;
	}
	spin_unlock(&heap_lock);
	return last;
}

u32 mm_frame_refs(paddr_t pa)
{
	u32 n = 0;

	spin_lock(&heap_lock);
	if (in_heap(pa, 1))
		n = frame_refs[frame_index(pa)];
	spin_unlock(&heap_lock);
	return n;
}

u64 mm_free_count(void)
{
	return palloc_free_count(heap);
}

u64 mm_total_pages(void)
{
	return total_pages;
}

u64 mm_largest_free(u64 align_pages, paddr_t *start)
{
	u64 n;

	spin_lock(&heap_lock);
	n = palloc_largest_free(heap, align_pages, start);
	spin_unlock(&heap_lock);
	return n;
}
