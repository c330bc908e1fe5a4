/* SPDX-License-Identifier: MIT */
/* VMSAv8-64 translation tables with a 4 KiB granule, for EL2 stage 1 and for stage 2. */
#include <domus/errno.h>
#include <domus/string.h>
#include <arm64/pgtable.h>

/*
 * Each table is one 4 KiB page of 512 descriptors; each level resolves 9 bits
 * of the input address:
 *
 *   47      39 38      30 29      21 20      12 11        0
 *  +----------+----------+----------+----------+-----------+
 *  | level 0  | level 1  | level 2  | level 3  | page off  |
 *  +----------+----------+----------+----------+-----------+
 *     512 GiB    1 GiB      2 MiB      4 KiB     per entry
 *
 * Descriptor formats used here (bits [1:0] give the type):
 *
 *   63   55 54  53 52 51  48 47               12 11 10 9  8 7  6 5    2 1 0
 *  +-------+---+-----+-----+-------------------+--+--+----+----+------+---+
 *  |  ign  |XN |  0  |  0  | output address    |nG|AF| SH | AP | attr |t 1|
 *  +-------+---+-----+-----+-------------------+--+--+----+----+------+---+
 *   t=0: block (levels 1, 2)       t=1: page (level 3) or table (levels 0-2)
 *   Bits 53:52 (PXN, contiguous hint) and nG are left 0.
 *
 * "attr" is AttrIndx[2:0] (bits 4:2) indexing MAIR_EL2 at stage 1 and
 * MemAttr[3:0] (bits 5:2) at stage 2; AP means AP[2:1] at stage 1 and
 * S2AP (bit 6 read, bit 7 write) at stage 2. Table descriptors carry only
 * the next table's address; their hierarchical attribute bits stay 0.
 *
 * Invariant: no table other than the root is ever left empty (unmap frees
 * them, map fills what it allocates or rolls back). That lets map's rollback
 * free exactly the tables it created by unmapping its own range.
 */

#define ENTRIES 512
#define LEVEL_BITS 9

#define DESC_VALID BIT(0)
#define DESC_TYPE_MASK 3ULL
#define DESC_TYPE_BLOCK 1ULL
#define DESC_TYPE_TABLE 3ULL /* also the level 3 page type */
#define DESC_OA_MASK 0x0000fffffffff000ULL

#define DESC_ATTR_SHIFT 2
#define DESC_AP_RO BIT(7) /* stage 1 AP[2] */
#define DESC_AP_RES1 BIT(6) /* stage 1 AP[1], RES1 in the EL2 regime */
#define DESC_S2AP_R BIT(6)
#define DESC_S2AP_W BIT(7)
#define DESC_SH_INNER (3ULL << 8)
#define DESC_AF BIT(10)
#define DESC_XN BIT(54)

#define S1_ATTR_MASK (7ULL << DESC_ATTR_SHIFT)
#define S2_MEMATTR_MASK (0xfULL << DESC_ATTR_SHIFT)
#define S2_MEMATTR_NORMAL_WB (0xfULL << DESC_ATTR_SHIFT)
#define S2_MEMATTR_DEVICE_NGNRE (0x1ULL << DESC_ATTR_SHIFT)

#define PA_BITS 48
#define PGT_ATTR_ALL (PGT_R | PGT_W | PGT_X | PGT_DEVICE | PGT_SW_MASK)
#define DESC_SW_SHIFT 55

static inline int level_shift(int level)
{
	return PAGE_SHIFT + LEVEL_BITS * (3 - level);
}

static inline u64 level_size(int level)
{
	return 1ULL << level_shift(level);
}

static inline u64 level_index(u64 ia, int level)
{
	return (ia >> level_shift(level)) & (ENTRIES - 1);
}

static inline bool desc_valid(u64 d)
{
	return d & DESC_VALID;
}

/* A table pointer, as opposed to a leaf (block or page) or an invalid entry. */
static inline bool desc_is_table(u64 d, int level)
{
	return level < 3 && (d & DESC_TYPE_MASK) == DESC_TYPE_TABLE;
}

/* Level 3 with type 0b01 is reserved, so the walker treats it as invalid. */
static inline bool desc_is_leaf(u64 d, int level)
{
	if (level == 3)
		return (d & DESC_TYPE_MASK) == DESC_TYPE_TABLE;
	return (d & DESC_TYPE_MASK) == DESC_TYPE_BLOCK && level >= 1;
}

static inline u64 *table_va(const struct pgtable *pt, u64 d)
{
	return pt->ops->phys_to_virt(pt->ctx, pa_init(d & DESC_OA_MASK));
}

/* WRITE_ONCE keeps the compiler from tearing a descriptor the MMU may be reading. */
static inline void set_desc(u64 *ep, u64 d)
{
	WRITE_ONCE(*ep, d);
}

/*
 * Orders the writes that fill a new table before the write that links it in,
 * so a speculative walk never caches a stale entry of a recycled page. The
 * builtin emits DMB ISH on arm64 (no inline asm needed here); ordering, not
 * completion, is what this needs, and a DMB orders stores for the walker too.
 */
static inline void publish_barrier(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void tlb_inval(const struct pgtable *pt, u64 ia, int level)
{
	if (pt->ops->tlb_invalidate)
		pt->ops->tlb_invalidate(pt->ctx, ia, level);
}

static u64 *alloc_table(const struct pgtable *pt, paddr_t *pa)
{
	u64 *t = pt->ops->alloc_page(pt->ctx, pa);

	/* Zeroed by contract; clearing again is cheap insurance against stale entries. */
	if (t)
		memset(t, 0, PAGE_SIZE);
	return t;
}

static bool table_empty(const u64 *t)
{
	for (int i = 0; i < ENTRIES; i++)
		if (desc_valid(t[i]))
			return false;
	return true;
}

/* Leaf attribute bits (everything but the output address and type). */
static u64 leaf_attrs(const struct pgtable *pt, u64 attrs)
{
	bool device = attrs & PGT_DEVICE;
	u64 d = DESC_AF;

	/* Device memory is never executable: speculative fetches could touch registers. */
	if (!(attrs & PGT_X) || device)
		d |= DESC_XN;
	if (pt->stage == PGT_STAGE1_EL2) {
		d |= (u64)(device ? PGT_MAIR_IDX_DEVICE : PGT_MAIR_IDX_NORMAL) << DESC_ATTR_SHIFT;
		/* The EL2 regime has no write-only: W without R still maps readable. */
		d |= DESC_AP_RES1 | ((attrs & PGT_W) ? 0 : DESC_AP_RO);
	} else {
		d |= device ? S2_MEMATTR_DEVICE_NGNRE : S2_MEMATTR_NORMAL_WB;
		d |= ((attrs & PGT_R) ? DESC_S2AP_R : 0) | ((attrs & PGT_W) ? DESC_S2AP_W : 0);
	}
	if (!device)
		d |= DESC_SH_INNER;
	d |= ((attrs & PGT_SW_MASK) >> PGT_SW_SHIFT) << DESC_SW_SHIFT;
	return d;
}

/* The inverse of leaf_attrs, for lookup. */
static u64 decode_attrs(const struct pgtable *pt, u64 d)
{
	u64 attrs = (d & DESC_XN) ? 0 : PGT_X;

	attrs |= PGT_SW((d >> DESC_SW_SHIFT) & 7);

	if (pt->stage == PGT_STAGE1_EL2) {
		attrs |= PGT_R | ((d & DESC_AP_RO) ? 0 : PGT_W);
		if (((d & S1_ATTR_MASK) >> DESC_ATTR_SHIFT) == PGT_MAIR_IDX_DEVICE)
			attrs |= PGT_DEVICE;
	} else {
		attrs |= ((d & DESC_S2AP_R) ? PGT_R : 0) | ((d & DESC_S2AP_W) ? PGT_W : 0);
		if ((d & S2_MEMATTR_MASK) != S2_MEMATTR_NORMAL_WB)
			attrs |= PGT_DEVICE;
	}
	return attrs;
}

int pgtable_init(struct pgtable *pt, enum pgtable_stage stage, int ia_bits,
		 const struct pgtable_mm_ops *ops, void *ctx)
{
	if (stage != PGT_STAGE1_EL2 && stage != PGT_STAGE2)
		return -EINVAL;
	/*
	 * With the start level chosen below the root has at most 512 entries
	 * (2^(ia_bits - 39) at level 0, 2^(ia_bits - 30) at level 1), so one
	 * page always holds it and stage 2 never needs concatenated roots.
	 */
	if (ia_bits < 32 || ia_bits > 48)
		return -EINVAL;
	if (!ops || !ops->alloc_page || !ops->free_page || !ops->phys_to_virt)
		return -EINVAL;
	pt->stage = stage;
	pt->ia_bits = ia_bits;
	pt->start_level = ia_bits > 39 ? 0 : (ia_bits > 30 ? 1 : 2);
	pt->ops = ops;
	pt->ctx = ctx;
	pt->page_leaves = false;
	pt->root = alloc_table(pt, &pt->root_pa);
	return pt->root ? 0 : -ENOMEM;
}

/* ia + size inside the input range, without letting the sum overflow. */
static int check_range(const struct pgtable *pt, u64 ia, u64 size)
{
	u64 limit = 1ULL << pt->ia_bits;

	if (!size || !IS_ALIGNED(ia, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
		return -EINVAL;
	if (size > limit || ia > limit - size)
		return -EINVAL;
	return 0;
}

/* -EEXIST if any leaf in [ia, end) is valid. */
static int check_unmapped(const struct pgtable *pt, const u64 *table, int level, u64 ia,
			  u64 end)
{
	while (ia < end) {
		u64 next = (ia | (level_size(level) - 1)) + 1;
		u64 chunk_end = MIN(next, end);
		u64 d = table[level_index(ia, level)];

		if (desc_is_table(d, level)) {
			int rc = check_unmapped(pt, table_va(pt, d), level + 1, ia, chunk_end);

			if (rc)
				return rc;
		} else if (desc_valid(d)) {
			return -EEXIST;
		}
		ia = chunk_end;
	}
	return 0;
}

/* Fills [ia, end) -> oa with the biggest leaves that fit; allocates tables. */
static int map_level(const struct pgtable *pt, u64 *table, int level, u64 ia, u64 end,
		     u64 oa, u64 lattr)
{
	u64 bsize = level_size(level);

	while (ia < end) {
		u64 next = (ia | (bsize - 1)) + 1;
		u64 chunk_end = MIN(next, end);
		u64 *ep = &table[level_index(ia, level)];
		u64 d = *ep;

		if (level == 3) {
			set_desc(ep, oa | lattr | DESC_TYPE_TABLE);
		} else if (level >= 1 && !pt->page_leaves && !desc_valid(d) && IS_ALIGNED(ia, bsize) &&
			   IS_ALIGNED(oa, bsize) && chunk_end - ia == bsize) {
			set_desc(ep, oa | lattr | DESC_TYPE_BLOCK);
		} else {
			paddr_t tpa;
			u64 *t;
			int rc;

			if (!desc_valid(d)) {
				t = alloc_table(pt, &tpa);
				if (!t)
					return -ENOMEM;
				publish_barrier();
				set_desc(ep, pa_addr(tpa) | DESC_TYPE_TABLE);
			} else if (desc_is_table(d, level)) {
				t = table_va(pt, d);
			} else {
				return -EEXIST; /* excluded by check_unmapped */
			}
			rc = map_level(pt, t, level + 1, ia, chunk_end, oa, lattr);
			if (rc)
				return rc;
		}
		oa += chunk_end - ia;
		ia = chunk_end;
	}
	return 0;
}

/*
 * Removes every leaf in [ia, end), which must not cut any block (callers
 * split first), and frees tables that end up empty. Each removal is
 * invalidated before the table page can be reused; a leaf's, unless
 * leaf_inval is false (pgtable_unmap_lazy: the caller flushes them all).
 */
static void unmap_level(const struct pgtable *pt, u64 *table, int level, u64 ia, u64 end,
			bool leaf_inval)
{
	u64 bsize = level_size(level);

	while (ia < end) {
		u64 base = ia & ~(bsize - 1);
		u64 chunk_end = MIN(base + bsize, end);
		u64 *ep = &table[level_index(ia, level)];
		u64 d = *ep;

		if (desc_is_table(d, level)) {
			u64 *t = table_va(pt, d);

			unmap_level(pt, t, level + 1, ia, chunk_end, leaf_inval);
			if (table_empty(t)) {
				set_desc(ep, 0);
				/* Walk caches may hold the table entry: invalidate before freeing. */
				tlb_inval(pt, base, level);
				pt->ops->free_page(pt->ctx, t, pa_init(d & DESC_OA_MASK));
			}
		} else if (desc_valid(d)) {
			set_desc(ep, 0);
			if (leaf_inval)
				tlb_inval(pt, base, level);
		}
		ia = chunk_end;
	}
}

int pgtable_map(struct pgtable *pt, u64 ia, paddr_t pa, u64 size, u64 attrs)
{
	int rc = check_range(pt, ia, size);

	if (rc)
		return rc;
	if (!IS_ALIGNED(pa_addr(pa), PAGE_SIZE) || size > (1ULL << PA_BITS) ||
	    pa_addr(pa) > (1ULL << PA_BITS) - size)
		return -EINVAL;
	if (!(attrs & (PGT_R | PGT_W)) || (attrs & ~(u64)PGT_ATTR_ALL))
		return -EINVAL;

	rc = check_unmapped(pt, pt->root, pt->start_level, ia, ia + size);
	if (rc)
		return rc;
	rc = map_level(pt, pt->root, pt->start_level, ia, ia + size, pa_addr(pa),
		       leaf_attrs(pt, attrs));
	if (rc) {
		/*
		 * The whole range was unmapped before, so unmapping it again
		 * restores it exactly and frees the tables created on the way
		 * (they hold nothing but our leaves). No block is cut, so this
		 * cannot need memory itself.
		 */
		unmap_level(pt, pt->root, pt->start_level, ia, ia + size, true);
	}
	return rc;
}

/*
 * Replaces the block at *ep (covering block_ia at level) with a table of the
 * next level mapping the same memory with the same attributes. The table is
 * complete before it becomes visible; the swap is break-before-make.
 */
static int split_block(const struct pgtable *pt, u64 *ep, int level, u64 block_ia)
{
	u64 d = *ep;
	u64 oa = d & DESC_OA_MASK;
	u64 attr = d & ~(DESC_OA_MASK | DESC_TYPE_MASK);
	u64 type = level + 1 == 3 ? DESC_TYPE_TABLE : DESC_TYPE_BLOCK;
	u64 csize = level_size(level + 1);
	paddr_t tpa;
	u64 *t = alloc_table(pt, &tpa);

	if (!t)
		return -ENOMEM;
	for (u64 i = 0; i < ENTRIES; i++)
		t[i] = (oa + i * csize) | attr | type;
	publish_barrier();
	set_desc(ep, 0);
	tlb_inval(pt, block_ia, level);
	set_desc(ep, pa_addr(tpa) | DESC_TYPE_TABLE);
	return 0;
}

/*
 * Splits blocks containing b until b falls on a leaf boundary. Splitting
 * keeps every translation as it was, so a failure half way through changes
 * nothing anyone can observe.
 */
static int split_at(const struct pgtable *pt, u64 b)
{
	u64 *table = pt->root;
	int level = pt->start_level;

	for (;;) {
		u64 *ep = &table[level_index(b, level)];
		u64 d = *ep;
		int rc;

		if (desc_is_table(d, level)) {
			table = table_va(pt, d);
			level++;
			continue;
		}
		if (!desc_is_leaf(d, level) || level == 3 || IS_ALIGNED(b, level_size(level)))
			return 0;
		rc = split_block(pt, ep, level, ALIGN_DOWN(b, level_size(level)));
		if (rc)
			return rc;
	}
}

static int unmap(struct pgtable *pt, u64 ia, u64 size, bool leaf_inval)
{
	int rc = check_range(pt, ia, size);

	if (rc)
		return rc;
	/* Only the two ends can cut a block; split there, then remove whole leaves. */
	rc = split_at(pt, ia);
	if (!rc && ia + size < (1ULL << pt->ia_bits))
		rc = split_at(pt, ia + size);
	if (rc)
		return rc;
	unmap_level(pt, pt->root, pt->start_level, ia, ia + size, leaf_inval);
	return 0;
}

int pgtable_unmap(struct pgtable *pt, u64 ia, u64 size)
{
	return unmap(pt, ia, size, true);
}

int pgtable_unmap_lazy(struct pgtable *pt, u64 ia, u64 size)
{
	return unmap(pt, ia, size, false);
}

int pgtable_replace_page(struct pgtable *pt, u64 ia, paddr_t pa, u64 attrs)
{
	u64 *table = pt->root;
	int level = pt->start_level, rc = check_range(pt, ia, PAGE_SIZE);

	if (rc)
		return rc;
	if (!IS_ALIGNED(pa_addr(pa), PAGE_SIZE) || pa_addr(pa) >= (1ULL << PA_BITS) ||
	    !(attrs & (PGT_R | PGT_W)) || (attrs & ~(u64)PGT_ATTR_ALL))
		return -EINVAL;
	/* A block holding the page becomes tables first: that cannot change a translation. */
	rc = split_at(pt, ia);
	if (!rc && ia + PAGE_SIZE < (1ULL << pt->ia_bits))
		rc = split_at(pt, ia + PAGE_SIZE);
	if (rc)
		return rc;
	for (;;) {
		u64 *ep = &table[level_index(ia, level)];
		u64 d = *ep;

		if (level == 3) {
			/* The leaf in place, break-before-make: no table page comes or goes. */
			if (desc_valid(d)) {
				set_desc(ep, 0);
				tlb_inval(pt, ia, level);
			}
			publish_barrier();
			set_desc(ep, pa_addr(pa) | leaf_attrs(pt, attrs) | DESC_TYPE_TABLE);
			return 0;
		}
		if (!desc_is_table(d, level))
			return pgtable_map(pt, ia, pa, PAGE_SIZE, attrs); /* a hole this high up */
		table = table_va(pt, d);
		level++;
	}
}

int pgtable_protect_page(struct pgtable *pt, u64 ia, u64 attrs)
{
	u64 *table = pt->root;
	u64 rights = PGT_R | PGT_W | PGT_X;

	if (ia >= (1ULL << pt->ia_bits) || !IS_ALIGNED(ia, PAGE_SIZE) || (attrs & ~(u64)PGT_ATTR_ALL))
		return -EINVAL;
	for (int level = pt->start_level; level <= 3; level++) {
		u64 *ep = &table[level_index(ia, level)], d = *ep, old;

		if (desc_is_table(d, level)) {
			table = table_va(pt, d);
			continue;
		}
		if (!desc_is_leaf(d, level))
			return -ENOENT;
		if (level != 3)
			return -EOPNOTSUPP;
		old = decode_attrs(pt, d);
		/* Rights only go: no break-before-make, one TLB flush for many pages after. */
		if ((attrs & rights & ~old) || ((attrs ^ old) & PGT_DEVICE) || !(attrs & PGT_R))
			return -EINVAL;
		set_desc(ep, (d & DESC_OA_MASK) | leaf_attrs(pt, attrs) | DESC_TYPE_TABLE);
		return 0;
	}
	return -ENOENT;
}

void pgtable_flush_all(struct pgtable *pt)
{
	if (pt->ops->tlb_flush_all)
		pt->ops->tlb_flush_all(pt->ctx);
}

int pgtable_lookup(const struct pgtable *pt, u64 ia, paddr_t *pa, u64 *attrs)
{
	const u64 *table = pt->root;

	if (ia >= (1ULL << pt->ia_bits))
		return -ENOENT;
	for (int level = pt->start_level; level <= 3; level++) {
		u64 d = READ_ONCE(table[level_index(ia, level)]);

		if (desc_is_table(d, level)) {
			table = table_va(pt, d);
			continue;
		}
		if (!desc_is_leaf(d, level))
			return -ENOENT;
		if (pa)
			*pa = pa_init((d & DESC_OA_MASK) + (ia & (level_size(level) - 1)));
		if (attrs)
			*attrs = decode_attrs(pt, d);
		return 0;
	}
	return -ENOENT;
}

static void free_tables(const struct pgtable *pt, u64 *table, int level)
{
	for (int i = 0; i < ENTRIES; i++) {
		u64 d = table[i];

		if (desc_is_table(d, level)) {
			u64 *t = table_va(pt, d);

			free_tables(pt, t, level + 1);
			pt->ops->free_page(pt->ctx, t, pa_init(d & DESC_OA_MASK));
		}
	}
}

void pgtable_destroy(struct pgtable *pt)
{
	if (!pt->root)
		return;
	free_tables(pt, pt->root, pt->start_level);
	pt->ops->free_page(pt->ctx, pt->root, pt->root_pa);
	pt->root = NULL;
	pt->root_pa = pa_init(0);
}

static void walk_level(const struct pgtable *pt, const u64 *table, int level, u64 base,
		       pgtable_walk_fn fn, void *ctx)
{
	for (int i = 0; i < ENTRIES; i++) {
		u64 d = READ_ONCE(table[i]), ia = base + (u64)i * level_size(level);

		if (desc_is_table(d, level))
			walk_level(pt, table_va(pt, d), level + 1, ia, fn, ctx);
		else if (desc_is_leaf(d, level))
			fn(ctx, ia, pa_init(d & DESC_OA_MASK), level_size(level),
			   decode_attrs(pt, d));
	}
}

void pgtable_walk(const struct pgtable *pt, pgtable_walk_fn fn, void *ctx)
{
	if (pt->root)
		walk_level(pt, pt->root, pt->start_level, 0, fn, ctx);
}

struct clean_dirty {
	u64 start, end; /* the range asked for */
	u64 *bitmap; /* bit per page from start, or NULL */
	long found; /* pages found writable (dirty), or -EOPNOTSUPP */
	bool changed; /* some leaf lost W: the TLBs must forget it, even if a block stops us */
};

static void clean_level(const struct pgtable *pt, u64 *table, int level, u64 base,
			struct clean_dirty *c)
{
	for (int i = 0; i < ENTRIES && c->found >= 0; i++) {
		u64 ia = base + (u64)i * level_size(level), d = READ_ONCE(table[i]);

		if (ia + level_size(level) <= c->start || ia >= c->end)
			continue;
		if (desc_is_table(d, level)) {
			clean_level(pt, table_va(pt, d), level + 1, ia, c);
			continue;
		}
		if (!desc_is_leaf(d, level) || ((d >> DESC_SW_SHIFT) & 7) ||
		    (d & S2_MEMATTR_MASK) != S2_MEMATTR_NORMAL_WB)
			continue; /* a hole, or not RAM */
		if (level != 3) {
			c->found = -EOPNOTSUPP; /* a block: dirty pages are logged page by page */
			return;
		}
		if (!(d & DESC_S2AP_W))
			continue;
		set_desc(&table[i], d & ~DESC_S2AP_W);
		c->changed = true;
		if (c->bitmap)
			c->bitmap[(ia - c->start) >> (PAGE_SHIFT + 6)] |=
				1ULL << (((ia - c->start) >> PAGE_SHIFT) & 63);
		c->found++;
	}
}

long pgtable_clean_dirty(struct pgtable *pt, u64 ia, u64 size, u64 *bitmap)
{
	struct clean_dirty c = { ia, ia + size, bitmap, 0, false };
	int rc = check_range(pt, ia, size);

	if (rc)
		return rc;
	if (pt->stage != PGT_STAGE2)
		return -EINVAL;
	clean_level(pt, pt->root, pt->start_level, 0, &c);
	/* Fewer rights needs no break-before-make, but no TLB may keep the old ones. */
	if (c.changed && pt->ops->tlb_flush_all)
		pt->ops->tlb_flush_all(pt->ctx);
	return c.found;
}

