/* SPDX-License-Identifier: MIT */
/* EL2's own translation: all RAM and the devices Domus drives, mapped 1:1. */
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/string.h>
#include <arm64/pgtable.h>
#include "arm64.h"
#include "sysreg.h"

static struct pgtable hyp_pt;

/*
 * VMIDs tag each domain's stage-2 TLB entries: 8 bits wide, or 16 where the
 * CPU has them. They are not domain ids (those outgrow 8 bits): each domain
 * takes a free one, round robin and never 0, so a freed one (its entries
 * invalidated by arch_domain_destroy) comes back as late as possible.
 */
static u64 vmid_used[(1U << 16) / 64];
static u32 nr_vmids = 1U << 8, vmid_last;
static spinlock_t vmid_lock = SPINLOCK_INIT;

static int vmid_alloc(u32 *vmid)
{
	int rc = -ENOSPC;

	spin_lock(&vmid_lock);
	for (u32 n = 1; n < nr_vmids; n++) {
		u32 id = (vmid_last + n) % nr_vmids;

		if (id && !(vmid_used[id / 64] & BIT(id % 64))) {
			vmid_used[id / 64] |= BIT(id % 64);
			vmid_last = id;
			*vmid = id;
			rc = 0;
			break;
		}
	}
	spin_unlock(&vmid_lock);
	return rc;
}

static void vmid_free(u32 vmid)
{
	spin_lock(&vmid_lock);
	vmid_used[vmid / 64] &= ~BIT(vmid % 64);
	spin_unlock(&vmid_lock);
}
static u64 tcr_value;
u64 vtcr_el2_value;
u32 ipa_bits;

static void *pt_alloc(void *ctx, paddr_t *pa)
{
	void *p = mm_alloc_pages(1);

	*pa = va_to_pa(p);
	return p;
}

static void pt_free(void *ctx, void *va, paddr_t pa)
{
	mm_free_pages(va, 1);
}

static void *pt_p2v(void *ctx, paddr_t pa)
{
	return pa_to_va(pa);
}

static void hyp_tlb_invalidate(void *ctx, u64 ia, int level)
{
	dsb(ishst);
	asm volatile("tlbi alle2is" ::: "memory");
	dsb(ish);
	isb();
}

static const struct pgtable_mm_ops hyp_mm_ops = {
	.alloc_page = pt_alloc,
	.free_page = pt_free,
	.phys_to_virt = pt_p2v,
	.tlb_invalidate = hyp_tlb_invalidate,
};

static const u32 parange_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

static int map_device(const struct region *r)
{
	u64 base = ALIGN_DOWN(pa_addr(r->base), PAGE_SIZE);
	u64 size = ALIGN_UP(pa_addr(r->base) + r->size, PAGE_SIZE) - base;

	if (!r->size)
		return 0;
	return pgtable_map(&hyp_pt, base, pa_init(base), size, PGT_RW | PGT_DEVICE);
}

/*
 * Guests' RAM is mapped page by page in stage 2 unless stage2_blocks=on.
 * On hardware 2 MiB and 1 GiB blocks mean fewer TLB misses and shorter
 * walks. Under QEMU's TCG, Domus' platform, they cost more than they save:
 * QEMU's TLB holds 4 KiB entries whatever the leaf size, and remembers a
 * block as a "large page" region, so that each of the guest's TLBI by
 * address inside it (Linux issues thousands) flushes the vCPU's whole TLB.
 * User space (exec, munmap, fork: TLBIs) gains most; the kernel's own boot,
 * with few TLBIs and now a walk a level deeper, gains nothing or loses a
 * little. Figures in docs/ARCHITECTURE.md ("Stage 2 page by page"). The
 * cost is one table page per 2 MiB mapped (1 MiB for a 512 MiB dom0); a
 * domU's table quota already allows it.
 */
static bool s2_blocks;

static bool stage2_blocks_option(void)
{
	size_t len;
	const char *s = platform_option("stage2_blocks", &len);

	if (!s || (len == 3 && !memcmp(s, "off", 3)))
		return false;
	if (len == 2 && !memcmp(s, "on", 2))
		return true;
	printk("ignoring stage2_blocks=%.*s: on or off\n", (int)len, s);
	return false;
}

int mmu_init(void)
{
	u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	u32 parange = mmfr0 & 0xf, pa_bits, va_bits = 39;
	u64 top = 0;
	int rc;

	if (parange > 6)
		parange = 6;
	pa_bits = parange_bits[parange];
	for (u32 i = 0; i < platform.nr_ram; i++)
		top = MAX(top, pa_addr(platform.ram[i].base) + platform.ram[i].size);
	while (va_bits < 48 && top > (1ULL << va_bits))
		va_bits++;
	if (pa_bits < 40) {
		printk("the CPU's physical address range (%u bits) is below 40 bits\n", pa_bits);
		return -ENODEV;
	}
	rc = pgtable_init(&hyp_pt, PGT_STAGE1_EL2, va_bits, &hyp_mm_ops, NULL);
	if (rc)
		return rc;
	for (u32 i = 0; i < platform.nr_ram && !rc; i++)
		rc = pgtable_map(&hyp_pt, pa_addr(platform.ram[i].base), platform.ram[i].base,
				 platform.ram[i].size, PGT_RWX);
	if (!rc)
		rc = map_device(&platform.gicd);
	if (!rc)
		rc = map_device(&platform.gicr);
	if (!rc)
		rc = map_device(&platform.uart);
	if (rc)
		return rc;

	/* MAIR: index 0 normal write-back, index 1 Device-nGnRE. */
	write_sysreg(mair_el2, 0xffUL | (0x04UL << 8));
	tcr_value = BIT(31) | BIT(23) | ((u64)(parange > 5 ? 5 : parange) << 16) |
		    (3UL << 12) | (1UL << 10) | (1UL << 8) | (64 - va_bits);
	/* Guests get a 39-bit IPA space: one root table at level 1 (VTCR.SL0 = 1). */
	ipa_bits = 39;
	vtcr_el2_value = BIT(31) | ((u64)(parange > 5 ? 5 : parange) << 16) | (3UL << 12) |
			 (1UL << 10) | (1UL << 8) | (1UL << 6) | (64 - ipa_bits);
	/* 16-bit VMIDs where the CPU has them (VMIDBits = 2): VTCR_EL2.VS. */
	if (((read_sysreg(id_aa64mmfr1_el1) >> 4) & 0xf) == 2) {
		vtcr_el2_value |= BIT(19);
		nr_vmids = 1U << 16;
	}
	s2_blocks = stage2_blocks_option();
	return 0;
}

void mmu_enable_this_cpu(void)
{
	write_sysreg(mair_el2, 0xffUL | (0x04UL << 8));
	write_sysreg(tcr_el2, tcr_value);
	write_sysreg(ttbr0_el2, pa_addr(hyp_pt.root_pa));
	write_sysreg(vtcr_el2, vtcr_el2_value);
	isb();
	asm volatile("tlbi alle2" ::: "memory");
	asm volatile("tlbi alle1" ::: "memory");
	dsb(nsh);
	isb();
	write_sysreg(sctlr_el2, SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I);
	isb();
}

/* Stage 2 of a domain. */
static void s2_tlb_invalidate(void *ctx, u64 ia, int level)
{
	struct domain *d = ctx;
	u64 saved = read_sysreg(vttbr_el2);

	(void)d;
	write_sysreg(vttbr_el2, ((u64)((struct domain *)ctx)->arch.vmid << 48) |
				    pa_addr(((struct domain *)ctx)->arch.s2.root_pa));
	isb();
	dsb(ishst);
	asm volatile("tlbi ipas2e1is, %0" : : "r"(ia >> 12) : "memory");
	dsb(ish);
	asm volatile("tlbi vmalle1is" ::: "memory");
	dsb(ish);
	write_sysreg(vttbr_el2, saved);
	isb();
}

/* Everything d's VMID has in any TLB, stage 1 and 2 (after dirty logging took write rights). */
static void s2_tlb_flush_all(void *ctx)
{
	struct domain *d = ctx;
	u64 saved = read_sysreg(vttbr_el2);

	write_sysreg(vttbr_el2, ((u64)d->arch.vmid << 48) | pa_addr(d->arch.s2.root_pa));
	isb();
	dsb(ishst);
	asm volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	write_sysreg(vttbr_el2, saved);
	isb();
}

/*
 * A domain's stage-2 table pages are counted against it, and a guest's are
 * capped: otherwise one mapping grants at scattered addresses could take the
 * whole heap in table pages (Xen's XSA-409). Dom0 has no cap.
 */
static void *s2_pt_alloc(void *ctx, paddr_t *pa)
{
	struct domain *d = ctx;
	void *p;

	if (d->s2_table_limit &&
	    __atomic_add_fetch(&d->s2_table_pages, 1, __ATOMIC_RELAXED) > d->s2_table_limit) {
		__atomic_sub_fetch(&d->s2_table_pages, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	if (!d->s2_table_limit)
		__atomic_add_fetch(&d->s2_table_pages, 1, __ATOMIC_RELAXED);
	p = pt_alloc(ctx, pa);
	if (!p)
		__atomic_sub_fetch(&d->s2_table_pages, 1, __ATOMIC_RELAXED);
	return p;
}

static void s2_pt_free(void *ctx, void *va, paddr_t pa)
{
	__atomic_sub_fetch(&((struct domain *)ctx)->s2_table_pages, 1, __ATOMIC_RELAXED);
	pt_free(ctx, va, pa);
}

static const struct pgtable_mm_ops s2_mm_ops = {
	.alloc_page = s2_pt_alloc,
	.free_page = s2_pt_free,
	.phys_to_virt = pt_p2v,
	.tlb_invalidate = s2_tlb_invalidate,
	.tlb_flush_all = s2_tlb_flush_all,
};

int arch_domain_init(struct domain *d, u32 nr_spis)
{
	int rc = vmid_alloc(&d->arch.vmid);

	if (rc) {
		printk("d%u: no VMID left (%u domains at once is the most)\n", d->id, nr_vmids - 1);
		return rc;
	}
	rc = pgtable_init(&d->arch.s2, PGT_STAGE2, ipa_bits, &s2_mm_ops, d);
	if (rc)
		goto no_s2;
	d->arch.s2.page_leaves = !s2_blocks;
	rc = vgic_domain_init(d, nr_spis);
	if (rc)
		goto no_vgic;
	return 0;
no_vgic:
	pgtable_destroy(&d->arch.s2);
no_s2:
	vmid_free(d->arch.vmid);
	return rc;
}

void arch_domain_destroy(struct domain *d)
{
	u64 saved = read_sysreg(vttbr_el2), hcr = read_sysreg(hcr_el2);

	/*
	 * No pCPU runs d any more, and idle ones hold the reserved VMID: drop
	 * whatever the TLBs keep under d's VMID first (with stage 2 off meanwhile,
	 * so no walk refills it), then free its tables, then hand the VMID on.
	 */
	write_sysreg(hcr_el2, HCR_IDLE);
	write_sysreg(vttbr_el2, (u64)d->arch.vmid << 48);
	isb();
	dsb(ishst);
	asm volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	write_sysreg(vttbr_el2, saved);
	write_sysreg(hcr_el2, hcr);
	isb();
	pgtable_destroy(&d->arch.s2);
	vmid_free(d->arch.vmid);
	vgic_domain_free(d);
}

void arch_cache_clean_range(void *va, u64 size)
{
	u64 line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf);
	u64 p = ALIGN_DOWN((u64)(uintptr_t)va, line);

	for (; p < (u64)(uintptr_t)va + size; p += line)
		asm volatile("dc cvac, %0" : : "r"(p) : "memory");
	dsb(sy);
}

/*
 * Every page a domain is given is zeroed first (it may have held another
 * domain's data): 256 MiB for a guest of that size, at each create. DC ZVA
 * zeroes a whole cache block (DCZID_EL0: 64 bytes on Cortex-A57) without
 * reading it, an eighth of the instructions of a store loop; under QEMU it
 * is one host memset a block. Stores instead while DCZID_EL0.DZP prohibits
 * it, and before mmu_init(): with the MMU off all of memory is Device, where
 * DC ZVA takes an alignment fault (boot allocates stacks and page tables then).
 */
void arch_zero_pages(void *va, u64 npages)
{
	u64 dczid = read_sysreg(dczid_el0);
	u64 block = 4UL << (dczid & 0xf);
	u64 p = (u64)(uintptr_t)va, end = p + npages * PAGE_SIZE;

	if ((dczid & BIT(4)) || block > PAGE_SIZE || !(read_sysreg(sctlr_el2) & SCTLR_M)) {
		memset(va, 0, npages * PAGE_SIZE);
		return;
	}
	for (; p < end; p += block)
		asm volatile("dc zva, %0" : : "r"(p) : "memory");
	dsb(ish);
}

void arch_sync_icache(void *va, u64 size)
{
	u64 ctr = read_sysreg(ctr_el0);
	u64 line = 4UL << ((ctr >> 16) & 0xf);
	u64 p = ALIGN_DOWN((u64)(uintptr_t)va, line);

	/* CTR_EL0.IDC: data writes reach the point of unification without a clean. */
	if (!(ctr & BIT(28))) {
		for (; p < (u64)(uintptr_t)va + size; p += line)
			asm volatile("dc cvau, %0" : : "r"(p) : "memory");
		dsb(ish);
	}
	/*
	 * CTR_EL0.DIC: instruction caches need no invalidation. Otherwise all of
	 * them, on every CPU: the frame may have held another guest's code, and
	 * a VIPT cache could hold it under any of its guests' addresses.
	 */
	if (!(ctr & BIT(29))) {
		asm volatile("ic ialluis" : : : "memory");
		dsb(ish);
	}
	isb();
}

void arch_cache_maintain(void *va, u64 size, bool clean, bool invalidate)
{
	u64 line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf);
	u64 p = ALIGN_DOWN((u64)(uintptr_t)va, line);

	if (!clean && !invalidate)
		return;
	/* Invalidate-only is done as clean+invalidate: dropping dirty lines of
	 * a page shared with another domain would lose that domain's writes. */
	for (; p < (u64)(uintptr_t)va + size; p += line) {
		if (invalidate)
			asm volatile("dc civac, %0" : : "r"(p) : "memory");
		else
			asm volatile("dc cvac, %0" : : "r"(p) : "memory");
	}
	dsb(sy);
}
