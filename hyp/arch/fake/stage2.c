/* SPDX-License-Identifier: MIT */
/* Fake stage 2 and guest memory: the real page-table code over the fake RAM, identity stage 1. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/string.h>
#include <arm64/pgtable.h>

#include "internal.h"

/* Guests get a 39-bit IPA space, as on arm64 (a level-1 root). */
#define FAKE_IPA_BITS 39

/*
 * Table pages come from the hypervisor heap and are counted against the
 * domain, capped by s2_table_limit when it has one, as the arm64 code does
 * (a guest must not take the heap in table pages).
 */
static void *s2_alloc(void *ctx, paddr_t *pa)
{
	struct domain *d = ctx;
	u64 n = __atomic_add_fetch(&d->s2_table_pages, 1, __ATOMIC_RELAXED);
	void *p = NULL;

	if (!d->s2_table_limit || n <= d->s2_table_limit)
		p = mm_alloc_pages(1);
	if (!p) {
		__atomic_sub_fetch(&d->s2_table_pages, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	*pa = va_to_pa(p);
	return p;
}

static void s2_free(void *ctx, void *va, paddr_t pa)
{
	struct domain *d = ctx;

	__atomic_sub_fetch(&d->s2_table_pages, 1, __ATOMIC_RELAXED);
	mm_free_pages(va, 1);
}

static void *s2_phys_to_virt(void *ctx, paddr_t pa)
{
	return pa_to_va(pa);
}

/*
 * No TLBs: a guest reaches its memory through the table every time. What
 * would be invalidated is counted, for one domain at a time.
 */
static u32 counted_id = ~0U;
static u64 invalidations, flushes;

void fake_s2_tlb_count(u16 id)
{
	__atomic_store_n(&invalidations, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&flushes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&counted_id, id, __ATOMIC_RELEASE);
}

void fake_s2_tlb_counts(u64 *inval, u64 *flush)
{
	*inval = __atomic_load_n(&invalidations, __ATOMIC_ACQUIRE);
	*flush = __atomic_load_n(&flushes, __ATOMIC_ACQUIRE);
}

static void s2_tlb_invalidate(void *ctx, u64 ia, int level)
{
	if (((struct domain *)ctx)->id == __atomic_load_n(&counted_id, __ATOMIC_ACQUIRE))
		__atomic_add_fetch(&invalidations, 1, __ATOMIC_RELEASE);
}

static void s2_tlb_flush_all(void *ctx)
{
	if (((struct domain *)ctx)->id == __atomic_load_n(&counted_id, __ATOMIC_ACQUIRE))
		__atomic_add_fetch(&flushes, 1, __ATOMIC_RELEASE);
}

static const struct pgtable_mm_ops s2_ops = {
	.alloc_page = s2_alloc,
	.free_page = s2_free,
	.phys_to_virt = s2_phys_to_virt,
	.tlb_invalidate = s2_tlb_invalidate,
	.tlb_flush_all = s2_tlb_flush_all,
};

int arch_domain_init(struct domain *d, u32 nr_spis)
{
	int rc = pgtable_init(&d->arch.s2, PGT_STAGE2, FAKE_IPA_BITS, &s2_ops, d);

	if (!rc) {
		rc = vgic_domain_init(d, nr_spis);
		if (rc)
			pgtable_destroy(&d->arch.s2);
	}
	return rc;
}

void arch_domain_destroy(struct domain *d)
{
	pgtable_destroy(&d->arch.s2);
	vgic_domain_free(d);
}

/*
 * A fake guest runs with its MMU off: its virtual addresses are its
 * guest-physical ones. Each translation counts as one guest access for the
 * trap being handled: the measure of a hypercall's work per entry.
 */
int arch_gva_to_ipa(struct vcpu *v, vaddr_t va, bool write, ipa_t *ipa)
{
	if (va >> FAKE_IPA_BITS)
		return -EFAULT;
	v->arch.trap_accesses++;
	*ipa = ipa_init(va);
	return 0;
}

/* Host caches are coherent. */
void arch_cache_clean_range(void *va, u64 size)
{
}

void arch_zero_pages(void *va, u64 npages)
{
	memset(va, 0, npages * PAGE_SIZE);
}

void arch_cache_maintain(void *va, u64 size, bool clean, bool invalidate)
{
}

void arch_sync_icache(void *va, u64 size)
{
}
