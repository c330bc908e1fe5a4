/* SPDX-License-Identifier: MIT */
/* The hypervisor's page allocator: palloc behind one lock, plus zeroing. */
#include <domus/mm.h>
#include <domus/spinlock.h>
#include <domus/string.h>

static struct palloc *heap;
static spinlock_t heap_lock = SPINLOCK_INIT;
static u64 total_pages;

void mm_init(struct palloc *pa)
{
	heap = pa;
	total_pages = palloc_free_count(pa);
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
	memset(pa_to_va(pa), 0, npages * PAGE_SIZE);
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

int mm_alloc_guest(u64 npages, u64 align_pages, paddr_t *pa)
{
	int rc;

	spin_lock(&heap_lock);
	rc = palloc_alloc(heap, npages, align_pages, pa);
	spin_unlock(&heap_lock);
	return rc;
}

void mm_free_guest(paddr_t pa, u64 npages)
{
	spin_lock(&heap_lock);
	palloc_free(heap, pa, npages);
	spin_unlock(&heap_lock);
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
