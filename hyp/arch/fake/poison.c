/* SPDX-License-Identifier: MIT */
/*
 * Free RAM is poisoned for ASan: whoever touches a page after it went back
 * to the allocator (a freed grant table, a destroyed domain's vCPU) gets a
 * use-after-poison report with both stacks, instead of reading stale data.
 */
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/palloc.h>

#include "fake.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

/*
 * The link wraps palloc_alloc and palloc_free (-Wl,--wrap=...): every page
 * that leaves or enters the free pool passes here, whichever core file
 * asked, with no change to the core.
 */
int __real_palloc_alloc(struct palloc *pa, u64 npages, u64 align_pages, paddr_t *out);
int __real_palloc_free(struct palloc *pa, paddr_t addr, u64 npages);

void fake_ram_poison(paddr_t pa, u64 size, bool poison)
{
#ifdef __SANITIZE_ADDRESS__
	if (poison)
		ASAN_POISON_MEMORY_REGION(pa_to_va(pa), size);
	else
		ASAN_UNPOISON_MEMORY_REGION(pa_to_va(pa), size);
#endif
}

int fake_palloc_fail_in = -1;

int __wrap_palloc_alloc(struct palloc *pa, u64 npages, u64 align_pages, paddr_t *out)
{
	int rc;

	/* An allocation a test chose to fail: -ENOMEM, as from an empty pool. */
	if (__atomic_load_n(&fake_palloc_fail_in, __ATOMIC_RELAXED) >= 0 &&
	    __atomic_fetch_sub(&fake_palloc_fail_in, 1, __ATOMIC_RELAXED) == 0)
		return -ENOMEM;
	rc = __real_palloc_alloc(pa, npages, align_pages, out);

	if (!rc)
		fake_ram_poison(*out, npages * PAGE_SIZE, false);
	return rc;
}

int __wrap_palloc_free(struct palloc *pa, paddr_t addr, u64 npages)
{
	int rc = __real_palloc_free(pa, addr, npages);

	if (!rc)
		fake_ram_poison(addr, npages * PAGE_SIZE, true);
	return rc;
}
