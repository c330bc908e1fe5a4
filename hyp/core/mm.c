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

void mm_init(struct palloc *pa)
{
	u64 bytes = pa->npages * sizeof(*frame_owner);
	paddr_t table;

	heap = pa;
	if (palloc_alloc(pa, ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE, 1, &table) == 0) {
		frame_owner = pa_to_va(table);
		memset(frame_owner, 0, bytes);
	}
	BUG_ON(!frame_owner);
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
		frame_owner[f + i] = 0;
	palloc_free(heap, pa, npages);
	spin_unlock(&heap_lock);
}

domid_t mm_frame_owner(paddr_t pa)
{
	domid_t owner = DOMID_INVALID;

	spin_lock(&heap_lock);
	if (in_heap(pa, 1) && frame_owner[frame_index(pa)])
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

			while (f + run < end && frame_owner[f + run] == tag)
				frame_owner[f + run++] = 0;
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
