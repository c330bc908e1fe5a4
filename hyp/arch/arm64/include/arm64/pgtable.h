/* SPDX-License-Identifier: MIT */
/* AArch64 translation tables (4 KiB granule) for EL2 stage 1 and stage 2. */
#ifndef DOMUS_PGTABLE_H
#define DOMUS_PGTABLE_H

#include <domus/types.h>

/* Abstract attributes; pgtable.c turns them into descriptor bits. */
#define PGT_R BIT(0)
#define PGT_W BIT(1)
#define PGT_X BIT(2)
#define PGT_DEVICE BIT(3) /* Device-nGnRE instead of Normal write-back */
/* Three bits kept for software in the descriptor (bits 55..57); p2m.c stores a type there. */
#define PGT_SW_SHIFT 4
#define PGT_SW_MASK (7UL << PGT_SW_SHIFT)
#define PGT_SW(v) (((u64)(v) << PGT_SW_SHIFT) & PGT_SW_MASK)
#define PGT_RW (PGT_R | PGT_W)
#define PGT_RWX (PGT_R | PGT_W | PGT_X)

/*
 * Memory operations, injected so the same walker runs at EL2 and in host unit
 * tests. alloc_page returns a zeroed, page-aligned table page and its physical
 * address; phys_to_virt gives the walker a pointer to a table it finds by its
 * physical address; tlb_invalidate (optional) is called after a valid entry
 * is removed or replaced (break-before-make), with the first input address it
 * covered and its level; tlb_flush_all (optional) after rights are taken
 * from many leaves at once.
 */
struct pgtable_mm_ops {
	void *(*alloc_page)(void *ctx, paddr_t *pa);
	void (*free_page)(void *ctx, void *va, paddr_t pa);
	void *(*phys_to_virt)(void *ctx, paddr_t pa);
	void (*tlb_invalidate)(void *ctx, u64 ia, int level);
	void (*tlb_flush_all)(void *ctx); /* optional: every entry the table's TLBs keep */
};

enum pgtable_stage { PGT_STAGE1_EL2, PGT_STAGE2 };

struct pgtable {
	enum pgtable_stage stage;
	int ia_bits; /* 32..48 input address bits */
	int start_level; /* 0..2, from ia_bits */
	u64 *root; /* one page: stage 2 never uses concatenated roots here */
	paddr_t root_pa;
	const struct pgtable_mm_ops *ops;
	void *ctx;
	bool page_leaves; /* map page by page, never with blocks (set after pgtable_init) */
};

/* ia_bits must give a single-page root (stage 2: 30..39, 40..48 uses level 0). */
int pgtable_init(struct pgtable *pt, enum pgtable_stage stage, int ia_bits,
		 const struct pgtable_mm_ops *ops, void *ctx);
/*
 * Maps [ia, ia + size) to [pa, pa + size), page aligned, using 1 GiB and
 * 2 MiB blocks where both addresses and the size allow (unless page_leaves). -EEXIST if any part is
 * already mapped (nothing is changed then), -ENOMEM, -EINVAL (alignment,
 * range beyond ia_bits, no permission bits).
 */
int pgtable_map(struct pgtable *pt, u64 ia, paddr_t pa, u64 size, u64 attrs);
/*
 * Maps one page at ia to pa whatever was mapped there, in one step: a block
 * around it is split first (-ENOMEM changes nothing), then the leaf is
 * swapped in place, so that no walker sees anything but the old or the new.
 */
int pgtable_replace_page(struct pgtable *pt, u64 ia, paddr_t pa, u64 attrs);
/* Unmaps a range, splitting blocks where it cuts them; unmapped parts are fine. */
int pgtable_unmap(struct pgtable *pt, u64 ia, u64 size);
/*
 * The same, but the leaves it removes are not invalidated: the caller owes
 * a pgtable_flush_all (tables it frees and blocks it splits still are).
 */
int pgtable_unmap_lazy(struct pgtable *pt, u64 ia, u64 size);
/* Translates one address: 0 with pa and attrs filled in, or -ENOENT. */
int pgtable_lookup(const struct pgtable *pt, u64 ia, paddr_t *pa, u64 *attrs);
/* Calls fn for every leaf (block or page) in address order; fn must not change the table. */
typedef void (*pgtable_walk_fn)(void *ctx, u64 ia, paddr_t pa, u64 size, u64 attrs);
void pgtable_walk(const struct pgtable *pt, pgtable_walk_fn fn, void *ctx);
/*
 * Dirty logging, stage 2 only: every writable page of normal memory with
 * software bits 0 (the p2m's RAM) in [ia, ia + size) becomes read-only, and
 * bit i of bitmap (if not NULL; size / 4 KiB bits) is set for each page i that
 * was writable. A write to such a page then faults, and the fault handler
 * makes it writable again: writable means "written since the last call".
 * Returns how many pages were, -EOPNOTSUPP at a block in the range (logging
 * works page by page; pages cleaned before it stay clean), -EINVAL.
 */
long pgtable_clean_dirty(struct pgtable *pt, u64 ia, u64 size, u64 *bitmap);
/*
 * Gives the page leaf at ia the attributes attrs, which may take rights away
 * and change the software bits but add none (-EINVAL), in place: the caller
 * flushes the TLBs (pgtable_flush_all) before relying on the change.
 * -ENOENT for a hole, -EOPNOTSUPP inside a block.
 */
int pgtable_protect_page(struct pgtable *pt, u64 ia, u64 attrs);
/* Every TLB entry the table's translations made, gone. */
void pgtable_flush_all(struct pgtable *pt);
/* Frees every table page (not the mapped memory). */
void pgtable_destroy(struct pgtable *pt);

/* Descriptor bits, exposed for the arch code that programs MAIR/VTCR. */
#define PGT_MAIR_IDX_NORMAL 0
#define PGT_MAIR_IDX_DEVICE 1

#endif
