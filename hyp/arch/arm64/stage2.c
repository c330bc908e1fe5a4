// SPDX-License-Identifier: MIT
/*
 * A domain's stage 2 for the core (arch_s2_*): the AArch64 table walker of
 * pgtable.c over d->arch.s2, which arch_domain_init set up with the machine's
 * own table allocator and TLB maintenance (mmu.c; the fake arch's stage2.c).
 */
#include <domus/arch.h>
#include <domus/domain.h>

_Static_assert(S2_R == PGT_R && S2_W == PGT_W && S2_X == PGT_X && S2_DEVICE == PGT_DEVICE &&
		       S2_TYPE_MASK == PGT_SW_MASK,
	       "the core's stage-2 attributes are the walker's");

int arch_s2_map(struct domain *d, ipa_t ipa, paddr_t pa, u64 size, u64 attrs)
{
	return pgtable_map(&d->arch.s2, ipa_addr(ipa), pa, size, attrs);
}

int arch_s2_replace_page(struct domain *d, ipa_t ipa, paddr_t pa, u64 attrs)
{
	return pgtable_replace_page(&d->arch.s2, ipa_addr(ipa), pa, attrs);
}

int arch_s2_unmap(struct domain *d, ipa_t ipa, u64 size)
{
	return pgtable_unmap(&d->arch.s2, ipa_addr(ipa), size);
}

int arch_s2_unmap_lazy(struct domain *d, ipa_t ipa, u64 size)
{
	return pgtable_unmap_lazy(&d->arch.s2, ipa_addr(ipa), size);
}

long arch_s2_clean_dirty(struct domain *d, ipa_t ipa, u64 size, u64 *bitmap)
{
	return pgtable_clean_dirty(&d->arch.s2, ipa_addr(ipa), size, bitmap);
}

int arch_s2_protect_page(struct domain *d, ipa_t ipa, u64 attrs)
{
	return pgtable_protect_page(&d->arch.s2, ipa_addr(ipa), attrs);
}

void arch_s2_flush(struct domain *d)
{
	pgtable_flush_all(&d->arch.s2);
}

int arch_s2_lookup(struct domain *d, ipa_t ipa, paddr_t *pa, u64 *attrs)
{
	return pgtable_lookup(&d->arch.s2, ipa_addr(ipa), pa, attrs);
}

/* The walker's input addresses are plain numbers; the core's callback takes them as IPAs. */
struct s2_walk {
	arch_s2_walk_fn fn;
	void *ctx;
};

static void s2_walk_leaf(void *ctx, u64 ia, paddr_t pa, u64 size, u64 attrs)
{
	struct s2_walk *w = ctx;

	w->fn(w->ctx, ipa_init(ia), pa, size, attrs);
}

void arch_s2_walk(struct domain *d, arch_s2_walk_fn fn, void *ctx)
{
	struct s2_walk w = { fn, ctx };

	pgtable_walk(&d->arch.s2, s2_walk_leaf, &w);
}

ipa_t arch_s2_ipa_limit(const struct domain *d)
{
	return ipa_init(1ULL << d->arch.s2.ia_bits);
}
