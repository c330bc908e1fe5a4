// SOURCES: hyp/arch/arm64/pgtable.c
/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the translation table code. Table pages come from
 * aligned_alloc and their "physical" address is the host pointer, so the
 * tests can walk the tables and check raw descriptors against values worked
 * out by hand from the Arm ARM. The injected mm_ops log every allocation,
 * free and TLB invalidation, and can fail allocations on demand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <domus/errno.h>
#include <arm64/pgtable.h>

/* ---- injected memory operations ---- */

enum ev_kind { EV_ALLOC, EV_FREE, EV_TLBI };

struct event {
	enum ev_kind kind;
	u64 addr; /* table pa, or ia for TLBI */
	int level;
	int lookup_rc; /* TLBI: pgtable_lookup(addr) at that moment (break-before-make) */
};

#define MAX_EVENTS 200000
#define MAX_LIVE 4096

static struct {
	struct event ev[MAX_EVENTS];
	int nev;
	void *live[MAX_LIVE];
	int nlive;
	long allocs, frees, tlbis;
	long flushes; /* tlb_flush_all calls */
	long fail_at; /* allocation number that fails, or -1 */
	struct pgtable *pt; /* for lookups from inside tlb_invalidate */
} mm;

static void log_event(enum ev_kind kind, u64 addr, int level, int lookup_rc)
{
	if (mm.nev < MAX_EVENTS)
		mm.ev[mm.nev++] = (struct event){ kind, addr, level, lookup_rc };
}

static void *t_alloc(void *ctx, paddr_t *pa)
{
	void *p;

	assert_ptr_equal(ctx, &mm);
	if (mm.fail_at >= 0 && mm.allocs >= mm.fail_at)
		return NULL;
	p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	assert_non_null(p);
	memset(p, 0, PAGE_SIZE); /* the ops contract: zeroed pages */
	assert_true(mm.nlive < MAX_LIVE);
	mm.live[mm.nlive++] = p;
	mm.allocs++;
	*pa = pa_init((uintptr_t)p);
	log_event(EV_ALLOC, pa_addr(*pa), -1, 0);
	return p;
}

static void t_free(void *ctx, void *va, paddr_t pa)
{
	int i;

	assert_ptr_equal(ctx, &mm);
	assert_int_equal((uintptr_t)va, pa_addr(pa));
	for (i = 0; i < mm.nlive && mm.live[i] != va; i++)
		;
	assert_true(i < mm.nlive); /* freeing something never allocated, or twice */
	mm.live[i] = mm.live[--mm.nlive];
	mm.frees++;
	log_event(EV_FREE, pa_addr(pa), -1, 0);
	/* Poison, so a use after free shows as a wild walk (and ASan catches it). */
	memset(va, 0xa5, PAGE_SIZE);
	free(va);
}

static void *t_p2v(void *ctx, paddr_t pa)
{
	return (void *)(uintptr_t)pa_addr(pa);
}

static void t_tlbi(void *ctx, u64 ia, int level)
{
	int rc = mm.pt ? pgtable_lookup(mm.pt, ia, NULL, NULL) : 0;

	mm.tlbis++;
	log_event(EV_TLBI, ia, level, rc);
}

static void t_flush_all(void *ctx)
{
	assert_ptr_equal(ctx, &mm);
	mm.flushes++;
}

static const struct pgtable_mm_ops ops = {
	.alloc_page = t_alloc,
	.free_page = t_free,
	.phys_to_virt = t_p2v,
	.tlb_invalidate = t_tlbi,
	.tlb_flush_all = t_flush_all,
};

static struct pgtable pt;

/* The walker's output addresses are host-physical (paddr_t); the tests write them as numbers. */
static int map_at(struct pgtable *t, u64 ia, u64 pa, u64 size, u64 attrs)
{
	return pgtable_map(t, ia, pa_init(pa), size, attrs);
}

static int replace_at(struct pgtable *t, u64 ia, u64 pa, u64 attrs)
{
	return pgtable_replace_page(t, ia, pa_init(pa), attrs);
}

static int lookup_at(const struct pgtable *t, u64 ia, u64 *pa, u64 *attrs)
{
	paddr_t out;
	int rc = pgtable_lookup(t, ia, pa ? &out : NULL, attrs);

	if (!rc && pa)
		*pa = pa_addr(out);
	return rc;
}

static void mm_reset(void)
{
	mm.nev = 0;
	mm.allocs = mm.frees = mm.tlbis = mm.flushes = 0;
	mm.fail_at = -1;
	mm.pt = &pt;
}

static void new_table(enum pgtable_stage stage, int ia_bits)
{
	mm_reset();
	assert_int_equal(pgtable_init(&pt, stage, ia_bits, &ops, &mm), 0);
	assert_int_equal(mm.nlive, 1);
}

static int teardown(void **state)
{
	if (pt.root)
		pgtable_destroy(&pt);
	assert_int_equal(mm.nlive, 0);
	memset(&pt, 0, sizeof(pt));
	return 0;
}

/* ---- walking the tables from the test side ---- */

static int lvl_shift(int level)
{
	return 12 + 9 * (3 - level);
}

/* The entry for ia at the given level, following table descriptors; NULL if none. */
static u64 *entry_at(u64 ia, int level)
{
	u64 *t = pt.root;

	for (int l = pt.start_level; l < level; l++) {
		u64 d = t[(ia >> lvl_shift(l)) & 511];

		if ((d & 3) != 3)
			return NULL;
		t = (u64 *)(uintptr_t)(d & 0x0000fffffffff000ULL);
	}
	return &t[(ia >> lvl_shift(level)) & 511];
}

struct leaf {
	u64 ia;
	int level;
	u64 desc;
};

struct snapshot {
	struct leaf leaves[8192];
	int n;
	int tables;
	int leaves_at[4];
};

static void snap_walk(struct snapshot *s, const u64 *t, int level, u64 base)
{
	s->tables++;
	for (u64 i = 0; i < 512; i++) {
		u64 d = t[i], ia = base + (i << lvl_shift(level));

		if (!(d & 1))
			continue;
		if (level < 3 && (d & 3) == 3) {
			snap_walk(s, (const u64 *)(uintptr_t)(d & 0x0000fffffffff000ULL), level + 1, ia);
			continue;
		}
		assert_true(s->n < (int)ARRAY_SIZE(s->leaves));
		s->leaves[s->n++] = (struct leaf){ ia, level, d };
		s->leaves_at[level]++;
	}
}

static void snapshot(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	snap_walk(s, pt.root, pt.start_level, 0);
}

static void assert_same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->tables, b->tables);
	assert_memory_equal(a->leaves, b->leaves, a->n * sizeof(a->leaves[0]));
}

static int count_events(enum ev_kind kind)
{
	int n = 0;

	for (int i = 0; i < mm.nev; i++)
		n += mm.ev[i].kind == kind;
	return n;
}

/* ---- descriptors worked out by hand ----
 *
 * Stage 1, EL2 regime: AttrIndx[4:2], AP[7:6] (AP[1] = bit 6 RES1, AP[2] =
 * bit 7 read-only), SH[9:8], AF bit 10, XN bit 54.
 *   normal RWX : AF 0x400 | SH 0x300 | AP 0x40                 = 0x740
 *   normal RW  : 0x740 | XN
 *   normal R-X : 0x400 | 0x300 | AP 0xc0                        = 0x7c0
 *   device RW  : AF 0x400 | AP 0x40 | AttrIndx 1 (0x4) | XN      = 0x444 | XN
 * Stage 2: MemAttr[5:2], S2AP[7:6] (6 read, 7 write), SH, AF, XN.
 *   normal RWX : 0x400 | 0x300 | S2AP 0xc0 | MemAttr 0xf (0x3c)  = 0x7fc
 *   normal R   : 0x400 | 0x300 | 0x40 | 0x3c | XN                = 0x77c | XN
 *   normal W-X : 0x400 | 0x300 | 0x80 | 0x3c                     = 0x7bc
 *   device RW  : 0x400 | 0xc0 | MemAttr 0x1 (0x4) | XN           = 0x4c4 | XN
 * Type bits: block 0b01, page 0b11.
 */
#define XN (1ULL << 54)
#define BLOCK 1ULL
#define PAGE 3ULL

/* ---- init ---- */

static void test_init_picks_start_level_from_ia_bits(void **state)
{
	static const struct {
		int ia_bits, level;
	} cases[] = { { 32, 1 }, { 36, 1 }, { 39, 1 }, { 40, 0 }, { 44, 0 }, { 48, 0 } };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		new_table(PGT_STAGE2, cases[i].ia_bits);
		assert_int_equal(pt.start_level, cases[i].level);
		assert_int_equal(pt.ia_bits, cases[i].ia_bits);
		assert_int_equal(pa_addr(pt.root_pa), (uintptr_t)pt.root);
		for (int k = 0; k < 512; k++)
			assert_int_equal(pt.root[k], 0);
		pgtable_destroy(&pt);
		assert_int_equal(mm.nlive, 0);
	}
}

static void test_init_rejects_bad_arguments(void **state)
{
	struct pgtable_mm_ops no_alloc = ops;

	no_alloc.alloc_page = NULL;
	mm_reset();
	assert_int_equal(pgtable_init(&pt, PGT_STAGE2, 31, &ops, &mm), -EINVAL);
	assert_int_equal(pgtable_init(&pt, PGT_STAGE2, 49, &ops, &mm), -EINVAL);
	assert_int_equal(pgtable_init(&pt, PGT_STAGE1_EL2, 0, &ops, &mm), -EINVAL);
	assert_int_equal(pgtable_init(&pt, (enum pgtable_stage)7, 39, &ops, &mm), -EINVAL);
	assert_int_equal(pgtable_init(&pt, PGT_STAGE2, 39, NULL, &mm), -EINVAL);
	assert_int_equal(pgtable_init(&pt, PGT_STAGE2, 39, &no_alloc, &mm), -EINVAL);
	mm.fail_at = 0;
	assert_int_equal(pgtable_init(&pt, PGT_STAGE2, 39, &ops, &mm), -ENOMEM);
	assert_int_equal(mm.nlive, 0);
	pt.root = NULL;
}

/* ---- exact descriptors ---- */

static void test_1gib_block_is_one_level1_descriptor(void **state)
{
	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, GiB(1), GiB(3), GiB(1), PGT_RWX), 0);
	assert_int_equal(mm.allocs, 1); /* the root only */
	assert_int_equal(pt.root[1], 0xc0000000ULL | 0x7fc | BLOCK);
	for (int i = 0; i < 512; i++)
		if (i != 1)
			assert_int_equal(pt.root[i], 0);
}

static void test_2mib_block_is_one_level2_descriptor(void **state)
{
	u64 *l1e, *l2;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, MiB(2), 0x40200000, MiB(2), PGT_RW), 0);
	assert_int_equal(mm.allocs, 2);
	l1e = &pt.root[0];
	assert_int_equal(*l1e & 0xfff0000000000fffULL, PAGE); /* table: only type bits */
	l2 = (u64 *)(uintptr_t)(*l1e & 0x0000fffffffff000ULL);
	assert_int_equal(l2[1], 0x40200000ULL | 0x7fc | XN | BLOCK);
	assert_int_equal(l2[0], 0);
	assert_int_equal(l2[2], 0);
}

static void test_4kib_page_is_one_level3_descriptor(void **state)
{
	new_table(PGT_STAGE1_EL2, 48);
	assert_int_equal(pt.start_level, 0);
	assert_int_equal(map_at(&pt, 0x8000405000ULL, 0x9000a000ULL, PAGE_SIZE, PGT_RWX), 0);
	assert_int_equal(mm.allocs, 4); /* root (L0), L1, L2, L3 */
	assert_int_equal(*entry_at(0x8000405000ULL, 3), 0x9000a000ULL | 0x740 | PAGE);
	assert_int_equal(*entry_at(0x8000404000ULL, 3), 0);
	assert_int_equal(*entry_at(0x8000406000ULL, 3), 0);
}

struct attr_case {
	const char *what;
	enum pgtable_stage stage;
	u64 attrs;
	u64 desc_attrs; /* expected, from the table above */
	u64 lookup_attrs; /* what lookup decodes back */
};

static const struct attr_case attr_cases[] = {
	{ "s1 normal RWX", PGT_STAGE1_EL2, PGT_RWX, 0x740, PGT_RWX },
	{ "s1 normal RW", PGT_STAGE1_EL2, PGT_RW, 0x740 | XN, PGT_RW },
	{ "s1 normal R", PGT_STAGE1_EL2, PGT_R, 0x7c0 | XN, PGT_R },
	{ "s1 normal RX", PGT_STAGE1_EL2, PGT_R | PGT_X, 0x7c0, PGT_R | PGT_X },
	{ "s1 write-only maps RW", PGT_STAGE1_EL2, PGT_W, 0x740 | XN, PGT_RW },
	{ "s1 device RW", PGT_STAGE1_EL2, PGT_RW | PGT_DEVICE, 0x444 | XN, PGT_RW | PGT_DEVICE },
	{ "s1 device never X", PGT_STAGE1_EL2, PGT_RWX | PGT_DEVICE, 0x444 | XN,
	  PGT_RW | PGT_DEVICE },
	{ "s1 device R", PGT_STAGE1_EL2, PGT_R | PGT_DEVICE, 0x4c4 | XN, PGT_R | PGT_DEVICE },
	{ "s2 normal RWX", PGT_STAGE2, PGT_RWX, 0x7fc, PGT_RWX },
	{ "s2 normal RW", PGT_STAGE2, PGT_RW, 0x7fc | XN, PGT_RW },
	{ "s2 normal R", PGT_STAGE2, PGT_R, 0x77c | XN, PGT_R },
	{ "s2 normal RX", PGT_STAGE2, PGT_R | PGT_X, 0x77c, PGT_R | PGT_X },
	{ "s2 normal WX", PGT_STAGE2, PGT_W | PGT_X, 0x7bc, PGT_W | PGT_X },
	{ "s2 device RW", PGT_STAGE2, PGT_RW | PGT_DEVICE, 0x4c4 | XN, PGT_RW | PGT_DEVICE },
	{ "s2 device R", PGT_STAGE2, PGT_R | PGT_DEVICE, 0x444 | XN, PGT_R | PGT_DEVICE },
	{ "s2 device never X", PGT_STAGE2, PGT_RWX | PGT_DEVICE, 0x4c4 | XN,
	  PGT_RW | PGT_DEVICE },
};

static void test_attributes_give_exact_stage1_and_stage2_bits(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(attr_cases); i++) {
		const struct attr_case *c = &attr_cases[i];
		u64 pa;
		u64 attrs;

		print_message("  %s\n", c->what);
		new_table(c->stage, 40);
		/* A page, a 2 MiB block and a 1 GiB block with the same attributes. */
		assert_int_equal(map_at(&pt, 0x7000, 0x123456000ULL, PAGE_SIZE, c->attrs), 0);
		assert_int_equal(map_at(&pt, MiB(4), MiB(6), MiB(2), c->attrs), 0);
		assert_int_equal(map_at(&pt, GiB(5), GiB(7), GiB(1), c->attrs), 0);
		assert_int_equal(*entry_at(0x7000, 3), 0x123456000ULL | c->desc_attrs | PAGE);
		assert_int_equal(*entry_at(MiB(4), 2), MiB(6) | c->desc_attrs | BLOCK);
		assert_int_equal(*entry_at(GiB(5), 1), GiB(7) | c->desc_attrs | BLOCK);
		assert_int_equal(lookup_at(&pt, 0x7abc, &pa, &attrs), 0);
		assert_int_equal(pa, 0x123456abcULL);
		assert_int_equal(attrs, c->lookup_attrs);
		assert_int_equal(lookup_at(&pt, GiB(5) + 0x12345678, &pa, &attrs), 0);
		assert_int_equal(pa, GiB(7) + 0x12345678);
		assert_int_equal(attrs, c->lookup_attrs);
		pgtable_destroy(&pt);
		assert_int_equal(mm.nlive, 0);
	}
}

/* ---- block selection ---- */

static void test_mixed_range_uses_the_biggest_blocks_that_fit(void **state)
{
	/* 2 pages, a 2 MiB block, a 1 GiB block, a 2 MiB block, 3 pages. */
	u64 ia = GiB(1) - MiB(2) - KiB(8), size = GiB(1) + MiB(4) + KiB(20);
	u64 off = GiB(4); /* keeps pa as aligned as ia */
	struct snapshot *s = malloc(sizeof(*s));
	u64 pa;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, ia, ia + off, size, PGT_RW), 0);
	snapshot(s);
	assert_int_equal(s->leaves_at[1], 1);
	assert_int_equal(s->leaves_at[2], 2);
	assert_int_equal(s->leaves_at[3], 5);
	assert_int_equal(s->tables, 5); /* root, 2 level-2, 2 level-3 */
	assert_int_equal(mm.allocs, 5);
	assert_int_equal(*entry_at(GiB(1), 1), (GiB(1) + off) | 0x7fc | XN | BLOCK);
	assert_int_equal(*entry_at(GiB(1) - MiB(2), 2), (GiB(1) - MiB(2) + off) | 0x7fc | XN | BLOCK);
	assert_int_equal(*entry_at(GiB(2), 2), (GiB(2) + off) | 0x7fc | XN | BLOCK);
	for (u64 a = ia; a < ia + size; a += KiB(4) * 997) {
		assert_int_equal(lookup_at(&pt, a + 0x123, &pa, NULL), 0);
		assert_int_equal(pa, a + 0x123 + off);
	}
	assert_int_equal(lookup_at(&pt, ia - 1, &pa, NULL), -ENOENT);
	assert_int_equal(lookup_at(&pt, ia + size, &pa, NULL), -ENOENT);
	assert_int_equal(lookup_at(&pt, ia + size - 1, &pa, NULL), 0);
	free(s);
}

struct walk_log {
	int n;
	u64 ia[16], pa[16], size[16], attrs[16];
};

static void record_leaf(void *ctx, u64 ia, paddr_t pa, u64 size, u64 attrs)
{
	struct walk_log *w = ctx;

	if (w->n < 16) {
		w->ia[w->n] = ia;
		w->pa[w->n] = pa_addr(pa);
		w->size[w->n] = size;
		w->attrs[w->n] = attrs;
	}
	w->n++;
}

static void test_walk_visits_every_leaf_in_order_with_its_size_and_software_bits(void **state)
{
	struct walk_log w = { 0 };

	new_table(PGT_STAGE2, 39);
	/* A 2 MiB block, then two separate pages, one tagged with software bits. */
	assert_int_equal(map_at(&pt, MiB(2), GiB(4) + MiB(2), MiB(2), PGT_RW), 0);
	assert_int_equal(map_at(&pt, GiB(3), GiB(5), KiB(4), PGT_R | PGT_SW(6)), 0);
	assert_int_equal(map_at(&pt, GiB(2) + KiB(8), GiB(6), KiB(4), PGT_RWX), 0);
	pgtable_walk(&pt, record_leaf, &w);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.ia[0], MiB(2));
	assert_int_equal(w.pa[0], GiB(4) + MiB(2));
	assert_int_equal(w.size[0], MiB(2));
	assert_int_equal(w.ia[1], GiB(2) + KiB(8));
	assert_int_equal(w.size[1], KiB(4));
	assert_int_equal(w.attrs[1], PGT_RWX);
	assert_int_equal(w.ia[2], GiB(3));
	assert_int_equal(w.pa[2], GiB(5));
	assert_int_equal(w.attrs[2], PGT_R | PGT_SW(6));
	/* After an unmap, the walk no longer sees the page. */
	assert_int_equal(pgtable_unmap(&pt, GiB(3), KiB(4)), 0);
	w.n = 0;
	pgtable_walk(&pt, record_leaf, &w);
	assert_int_equal(w.n, 2);
}

static void test_misaligned_pa_forces_pages(void **state)
{
	struct snapshot *s = malloc(sizeof(*s));

	new_table(PGT_STAGE2, 39);
	/* ia is 1 GiB aligned but pa only 4 KiB aligned: no blocks possible. */
	assert_int_equal(map_at(&pt, GiB(1), GiB(2) + KiB(4), MiB(4), PGT_RW), 0);
	snapshot(s);
	assert_int_equal(s->leaves_at[1] + s->leaves_at[2], 0);
	assert_int_equal(s->leaves_at[3], 1024);
	assert_int_equal(s->tables, 4);
	free(s);
}

static void test_page_leaves_map_block_aligned_ranges_page_by_page(void **state)
{
	struct snapshot *s = malloc(sizeof(*s));
	paddr_t pa;
	u64 attrs;

	new_table(PGT_STAGE2, 39);
	pt.page_leaves = true;
	/* 1 GiB and 2 MiB aligned on both sides: blocks would fit, pages are used. */
	assert_int_equal(map_at(&pt, GiB(1), GiB(2), MiB(4), PGT_RW), 0);
	snapshot(s);
	assert_int_equal(s->leaves_at[1] + s->leaves_at[2], 0);
	assert_int_equal(s->leaves_at[3], 1024);
	assert_int_equal(s->tables, 4); /* root, one level 2, two level 3 */
	assert_int_equal(pgtable_lookup(&pt, GiB(1) + MiB(3) + 5, &pa, &attrs), 0);
	assert_int_equal(pa_addr(pa), GiB(2) + MiB(3) + 5);
	free(s);
}

/* ---- overlap ---- */

static void test_overlapping_map_returns_eexist_and_changes_nothing(void **state)
{
	static const struct {
		u64 ia, size;
	} overlaps[] = {
		{ MiB(2) + KiB(8), KiB(4) }, /* exactly the mapped page */
		{ MiB(2), MiB(2) }, /* a block-sized range containing it */
		{ 0, GiB(1) }, /* a 1 GiB range containing it */
		{ GiB(2) - KiB(4), KiB(8) }, /* the last page before the block and its first */
		{ GiB(2) + MiB(512), KiB(4) }, /* inside the 1 GiB block */
		{ GiB(2) - MiB(2), GiB(2) }, /* everything */
	};
	struct snapshot *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, MiB(2) + KiB(8), GiB(8), KiB(4), PGT_RW), 0);
	assert_int_equal(map_at(&pt, GiB(2), GiB(9), GiB(1), PGT_RW), 0);
	snapshot(before);
	for (size_t i = 0; i < ARRAY_SIZE(overlaps); i++) {
		long allocs = mm.allocs;

		assert_int_equal(map_at(&pt, overlaps[i].ia, GiB(16), overlaps[i].size, PGT_RW),
				 -EEXIST);
		assert_int_equal(mm.allocs, allocs);
		snapshot(after);
		assert_same_snapshot(before, after);
	}
	assert_int_equal(mm.nlive, 3);
	free(before);
	free(after);
}

/* ---- unmap ---- */

static void test_unmapping_a_page_of_a_2mib_block_splits_it(void **state)
{
	u64 ia = MiB(6), pa0 = 0x80600000ULL, hole = ia + KiB(4) * 17;
	int bbm = -1;
	u64 pa;
	u64 attrs;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, ia, pa0, MiB(2), PGT_R | PGT_X), 0);
	mm.nev = 0;
	assert_int_equal(pgtable_unmap(&pt, hole, KiB(4)), 0);
	/* Every other page still translates, with the block's attributes. */
	for (u64 a = ia; a < ia + MiB(2); a += KiB(4)) {
		int rc = lookup_at(&pt, a + 8, &pa, &attrs);

		if (a == hole) {
			assert_int_equal(rc, -ENOENT);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(pa, pa0 + (a - ia) + 8);
		assert_int_equal(attrs, PGT_R | PGT_X);
		assert_int_equal(*entry_at(a, 3), (pa0 + (a - ia)) | 0x77c | PAGE);
	}
	assert_int_equal(*entry_at(hole, 3), 0);
	/* One new table, built before the swap; the swap went through zero. */
	assert_int_equal(count_events(EV_ALLOC), 1);
	assert_int_equal(mm.ev[0].kind, EV_ALLOC);
	for (int i = 0; i < mm.nev; i++)
		if (mm.ev[i].kind == EV_TLBI && mm.ev[i].level == 2)
			bbm = i;
	assert_true(bbm > 0);
	assert_int_equal(mm.ev[bbm].addr, ia);
	assert_int_equal(mm.ev[bbm].lookup_rc, -ENOENT);
	/* And the removed page itself was invalidated. */
	assert_int_equal(mm.ev[mm.nev - 1].kind, EV_TLBI);
	assert_int_equal(mm.ev[mm.nev - 1].addr, hole);
	assert_int_equal(mm.ev[mm.nev - 1].level, 3);
	assert_int_equal(count_events(EV_FREE), 0);
}

static void test_unmapping_inside_a_1gib_block_splits_down_to_pages(void **state)
{
	struct snapshot *s = malloc(sizeof(*s));
	u64 lo = GiB(1) + MiB(100) + KiB(12), hi = GiB(1) + MiB(300) + KiB(4);
	u64 pa;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, GiB(1), GiB(5), GiB(1), PGT_RWX), 0);
	assert_int_equal(pgtable_unmap(&pt, lo, hi - lo), 0);
	snapshot(s);
	/* Both ends cut 2 MiB blocks: one level-2 table, two level-3 tables. */
	assert_int_equal(s->tables, 4);
	assert_int_equal(s->leaves_at[1], 0);
	/* 3 pages left below lo, 511 above hi; 50 blocks below, 361 above. */
	assert_int_equal(s->leaves_at[3], 3 + 511);
	assert_int_equal(s->leaves_at[2], 50 + 361);
	for (u64 a = GiB(1); a < GiB(2); a += KiB(4) * 61) {
		int rc = lookup_at(&pt, a, &pa, NULL);

		if (a >= lo && a < hi) {
			assert_int_equal(rc, -ENOENT);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(pa, a + GiB(4));
		}
	}
	assert_int_equal(lookup_at(&pt, lo - 1, &pa, NULL), 0);
	assert_int_equal(lookup_at(&pt, lo, &pa, NULL), -ENOENT);
	assert_int_equal(lookup_at(&pt, hi - 1, &pa, NULL), -ENOENT);
	assert_int_equal(lookup_at(&pt, hi, &pa, NULL), 0);
	free(s);
}

static void test_unmapping_everything_frees_all_tables_but_the_root(void **state)
{
	u64 ia = GiB(1) - MiB(2) - KiB(8), size = GiB(1) + MiB(4) + KiB(20);

	new_table(PGT_STAGE1_EL2, 40);
	assert_int_equal(map_at(&pt, ia, ia, size, PGT_RWX), 0);
	assert_int_equal(map_at(&pt, GiB(600), GiB(1), KiB(4), PGT_RW | PGT_DEVICE), 0);
	assert_true(mm.nlive > 5);
	mm.nev = 0;
	assert_int_equal(pgtable_unmap(&pt, ia, size), 0);
	assert_int_equal(pgtable_unmap(&pt, GiB(600), KiB(4)), 0);
	assert_int_equal(mm.nlive, 1);
	assert_ptr_equal(mm.live[0], pt.root);
	for (int i = 0; i < 512; i++)
		assert_int_equal(pt.root[i], 0);
	/* Each table was unlinked and invalidated before it was freed. */
	for (int i = 0; i < mm.nev; i++) {
		if (mm.ev[i].kind != EV_FREE)
			continue;
		assert_true(i > 0);
		assert_int_equal(mm.ev[i - 1].kind, EV_TLBI);
	}
	assert_int_equal(count_events(EV_ALLOC), 0);
}

/*
 * decrease_reservation's unmapping: the leaves go without an invalidation each
 * (the caller flushes once), but a block cut is still break-before-make and a
 * table that empties is still invalidated before it is freed.
 */
static void test_lazy_unmap_defers_leaf_invalidations_but_not_table_frees(void **state)
{
	u64 ia = MiB(6), pa0 = 0x80600000ULL;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, ia, pa0, MiB(2), PGT_RWX), 0);
	mm.nev = 0;
	/* Cutting the block: its break is invalidated, the page removed is not. */
	assert_int_equal(pgtable_unmap_lazy(&pt, ia + KiB(4) * 5, KiB(4)), 0);
	assert_int_equal(count_events(EV_TLBI), 1);
	assert_int_equal(mm.ev[mm.nev - 1].kind, EV_TLBI);
	assert_int_equal(mm.ev[mm.nev - 1].level, 2);
	assert_int_equal(lookup_at(&pt, ia + KiB(4) * 5, NULL, NULL), -ENOENT);
	/* Pages out of a table: nothing at all. */
	mm.nev = 0;
	for (u64 i = 0; i < 100; i++)
		if (i != 5)
			assert_int_equal(pgtable_unmap_lazy(&pt, ia + KiB(4) * i, KiB(4)), 0);
	assert_int_equal(mm.nev, 0);
	assert_int_equal(lookup_at(&pt, ia + KiB(4) * 99, NULL, NULL), -ENOENT);
	assert_int_equal(lookup_at(&pt, ia + KiB(4) * 100, NULL, NULL), 0);
	/*
	 * The rest empties the page table and the level-2 table above it: each
	 * unlinked, invalidated, then freed; and no leaf invalidated.
	 */
	assert_int_equal(pgtable_unmap_lazy(&pt, ia + KiB(4) * 100, MiB(2) - KiB(4) * 100), 0);
	assert_int_equal(count_events(EV_FREE), 2);
	assert_int_equal(count_events(EV_TLBI), 2);
	for (int i = 0; i < mm.nev; i++)
		if (mm.ev[i].kind == EV_FREE)
			assert_int_equal(mm.ev[i - 1].kind, EV_TLBI);
	assert_int_equal(mm.flushes, 0); /* the flush is the caller's */
}

static void test_unmapping_unmapped_ranges_is_harmless(void **state)
{
	struct snapshot *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, MiB(2), MiB(2), MiB(2), PGT_RW), 0);
	snapshot(before);
	assert_int_equal(pgtable_unmap(&pt, MiB(4), MiB(2)), 0);
	assert_int_equal(pgtable_unmap(&pt, GiB(100), GiB(1)), 0);
	assert_int_equal(pgtable_unmap(&pt, GiB(512) - KiB(4), KiB(4)), 0); /* the very top */
	snapshot(after);
	assert_same_snapshot(before, after);
	assert_int_equal(mm.tlbis, 0);
	free(before);
	free(after);
}

static void test_map_after_unmap_reuses_the_range(void **state)
{
	u64 pa;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, GiB(1), GiB(1), GiB(1), PGT_RW), 0);
	assert_int_equal(pgtable_unmap(&pt, GiB(1) + MiB(2), KiB(4)), 0);
	assert_int_equal(map_at(&pt, GiB(1) + MiB(2), GiB(20), KiB(4), PGT_R), 0);
	assert_int_equal(lookup_at(&pt, GiB(1) + MiB(2) + 5, &pa, NULL), 0);
	assert_int_equal(pa, GiB(20) + 5);
	assert_int_equal(map_at(&pt, GiB(1) + MiB(2), GiB(20), KiB(4), PGT_R), -EEXIST);
}

/* ---- argument checking ---- */

struct bad_map {
	const char *what;
	u64 ia, pa, size, attrs;
};

static const struct bad_map bad_maps[] = {
	{ "ia not page aligned", 0x1800, 0x2000, KiB(4), PGT_RW },
	{ "pa not page aligned", 0x2000, 0x2010, KiB(4), PGT_RW },
	{ "size not page aligned", 0x2000, 0x2000, 100, PGT_RW },
	{ "size zero", 0x2000, 0x2000, 0, PGT_RW },
	{ "ia + size beyond 2^39", GiB(512) - KiB(4), 0, KiB(8), PGT_RW },
	{ "ia beyond 2^39", GiB(512), 0, KiB(4), PGT_RW },
	{ "ia + size wrapping", ~0ULL & PAGE_MASK, 0, KiB(8), PGT_RW },
	{ "size wrapping", KiB(4), 0, ~0ULL & PAGE_MASK, PGT_RW },
	{ "pa beyond 48 bits", 0, 1ULL << 48, KiB(4), PGT_RW },
	{ "pa + size beyond 48 bits", 0, (1ULL << 48) - KiB(4), KiB(8), PGT_RW },
	{ "no permission", 0x2000, 0x2000, KiB(4), 0 },
	{ "execute only", 0x2000, 0x2000, KiB(4), PGT_X },
	{ "device only", 0x2000, 0x2000, KiB(4), PGT_DEVICE },
	{ "unknown attribute bit", 0x2000, 0x2000, KiB(4), PGT_RW | BIT(9) },
};

static void test_bad_map_and_unmap_arguments_are_refused(void **state)
{
	struct snapshot *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, 0, 0, KiB(4), PGT_RW), 0);
	snapshot(before);
	for (size_t i = 0; i < ARRAY_SIZE(bad_maps); i++) {
		const struct bad_map *c = &bad_maps[i];

		print_message("  %s\n", c->what);
		assert_int_equal(map_at(&pt, c->ia, c->pa, c->size, c->attrs), -EINVAL);
		snapshot(after);
		assert_same_snapshot(before, after);
	}
	assert_int_equal(pgtable_unmap(&pt, 0x800, KiB(4)), -EINVAL);
	assert_int_equal(pgtable_unmap(&pt, 0, 0x800), -EINVAL);
	assert_int_equal(pgtable_unmap(&pt, 0, 0), -EINVAL);
	assert_int_equal(pgtable_unmap(&pt, GiB(512) - KiB(4), KiB(8)), -EINVAL);
	assert_int_equal(pgtable_unmap(&pt, ~0ULL & PAGE_MASK, KiB(8)), -EINVAL);
	snapshot(after);
	assert_same_snapshot(before, after);
	/* The largest valid range is fine. */
	assert_int_equal(map_at(&pt, GiB(511), (1ULL << 48) - GiB(1), GiB(1), PGT_R), 0);
	free(before);
	free(after);
}

static void test_lookup_outside_the_input_range_finds_nothing(void **state)
{
	u64 pa = 7;
	u64 attrs = 7;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, 0, 0, GiB(1), PGT_RW), 0);
	assert_int_equal(lookup_at(&pt, GiB(512), &pa, &attrs), -ENOENT);
	assert_int_equal(lookup_at(&pt, GiB(512) + 5, &pa, &attrs), -ENOENT);
	assert_int_equal(pa, 7);
	assert_int_equal(attrs, 7);
	assert_int_equal(lookup_at(&pt, GiB(1) - 1, &pa, &attrs), 0);
	assert_int_equal(pa, GiB(1) - 1);
}

/* ---- running out of memory ---- */

static void test_enomem_during_map_leaves_the_tables_as_they_were(void **state)
{
	struct snapshot *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
	/*
	 * Pages, a 2 MiB block, two 1 GiB blocks, a 2 MiB block, pages. The
	 * level-2 table at the start exists already; the run needs one new
	 * level-3 table there and a level-2 and a level-3 table at the end, so
	 * failing the 1st, 2nd or 3rd allocation fails at three different
	 * depths, the later ones after leaves were already written.
	 */
	u64 ia = GiB(3) - MiB(2) - KiB(8), size = GiB(2) + MiB(4) + KiB(20);
	int failures = 0;

	for (long n = 0;; n++) {
		long live;
		int rc;

		new_table(PGT_STAGE2, 40);
		assert_int_equal(map_at(&pt, GiB(3) - MiB(512), GiB(40), KiB(4), PGT_RW), 0);
		assert_int_equal(map_at(&pt, GiB(200), GiB(41), KiB(4), PGT_RW), 0);
		snapshot(before);
		live = mm.nlive;
		mm.fail_at = mm.allocs + n;
		rc = map_at(&pt, ia, ia + GiB(64), size, PGT_RWX);
		if (rc == 0) {
			assert_int_equal(mm.nlive, live + 3);
			pgtable_destroy(&pt);
			break;
		}
		assert_int_equal(rc, -ENOMEM);
		failures++;
		assert_int_equal(mm.nlive, live);
		snapshot(after);
		assert_same_snapshot(before, after);
		pgtable_destroy(&pt);
		assert_int_equal(mm.nlive, 0);
	}
	assert_int_equal(failures, 3);
	free(before);
	free(after);
}

static void test_enomem_during_unmap_split_keeps_every_translation(void **state)
{
	u64 pa;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, GiB(1), GiB(2), GiB(1), PGT_RW), 0);
	/* Splitting the start needs two tables; allow only one. */
	mm.fail_at = mm.allocs + 1;
	assert_int_equal(pgtable_unmap(&pt, GiB(1) + KiB(4), KiB(4)), -ENOMEM);
	for (u64 a = GiB(1); a < GiB(2); a += KiB(4) * 4099) {
		assert_int_equal(lookup_at(&pt, a, &pa, NULL), 0);
		assert_int_equal(pa, a + GiB(1));
	}
	assert_int_equal(lookup_at(&pt, GiB(1) + KiB(4), &pa, NULL), 0);
	mm.fail_at = -1;
	assert_int_equal(pgtable_unmap(&pt, GiB(1) + KiB(4), KiB(4)), 0);
	assert_int_equal(lookup_at(&pt, GiB(1) + KiB(4), &pa, NULL), -ENOENT);
	assert_int_equal(lookup_at(&pt, GiB(1) + KiB(8), &pa, NULL), 0);
}

static void test_replacing_a_page_of_a_2mib_block_splits_it_and_swaps_the_leaf(void **state)
{
	u64 ia = MiB(6), pa0 = 0x80600000ULL, at = ia + KiB(4) * 5, pa;
	u64 attrs;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, ia, pa0, MiB(2), PGT_RWX), 0);
	assert_int_equal(replace_at(&pt, at, 0x90000000ULL, PGT_R | PGT_SW(3)), 0);
	assert_int_equal(lookup_at(&pt, at, &pa, &attrs), 0);
	assert_int_equal(pa, 0x90000000ULL);
	assert_int_equal(attrs, PGT_R | PGT_SW(3));
	/* The rest of the block still translates as it did. */
	assert_int_equal(lookup_at(&pt, at + KiB(4), &pa, &attrs), 0);
	assert_int_equal(pa, pa0 + (at + KiB(4) - ia));
	assert_int_equal(attrs, PGT_RWX);
	/* Replacing the page again swaps the leaf in place: no table comes or goes. */
	mm.nev = 0;
	assert_int_equal(replace_at(&pt, at, 0x91000000ULL, PGT_RW), 0);
	assert_int_equal(count_events(EV_ALLOC) + count_events(EV_FREE), 0);
	assert_int_equal(lookup_at(&pt, at, &pa, NULL), 0);
	assert_int_equal(pa, 0x91000000ULL);
}

static void test_replacing_where_nothing_is_maps_and_enomem_changes_nothing(void **state)
{
	u64 pa;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(replace_at(&pt, GiB(3), 0x90000000ULL, PGT_RW), 0);
	assert_int_equal(lookup_at(&pt, GiB(3), &pa, NULL), 0);
	assert_int_equal(pa, 0x90000000ULL);
	/* A page inside a 1 GiB block needs two new tables: with one, nothing changes. */
	assert_int_equal(map_at(&pt, GiB(1), GiB(2), GiB(1), PGT_RW), 0);
	mm.fail_at = mm.allocs + 1;
	assert_int_equal(replace_at(&pt, GiB(1) + KiB(4), 0x92000000ULL, PGT_RW), -ENOMEM);
	assert_int_equal(lookup_at(&pt, GiB(1) + KiB(4), &pa, NULL), 0);
	assert_int_equal(pa, GiB(2) + KiB(4));
	mm.fail_at = -1;
	assert_int_equal(replace_at(&pt, ~0ULL & ~(KiB(4) - 1), 0x90000000ULL, PGT_RW), -EINVAL);
	assert_int_equal(replace_at(&pt, GiB(3), 0x90000001ULL, PGT_RW), -EINVAL);
}

/* ---- dirty logging ---- */

/*
 * 128 pages from 64 pages below a level-3 table's end (so the range spans two
 * tables and two bitmap words), with leaves of every kind at offsets in it
 * and one page just outside at each end. dirty: a page a clean must count.
 */
#define DIRTY_BASE (GiB(1) + MiB(2) - 64 * KiB(4))
#define DIRTY_PAGES 128

static const struct dirty_leaf {
	const char *what;
	long off; /* pages from DIRTY_BASE */
	u64 attrs;
	bool dirty;
} dirty_leaves[] = {
	{ "RAM page just below the range", -1, PGT_RW, false },
	{ "first page, RAM RW", 0, PGT_RW, true },
	{ "RAM RWX", 1, PGT_RWX, true },
	{ "RAM read-only", 2, PGT_R, false },
	{ "typed RW (software bits 1)", 3, PGT_RW | PGT_SW(1), false },
	{ "typed RW (software bits 4)", 4, PGT_RW | PGT_SW(4), false },
	{ "typed RWX (software bits 7)", 5, PGT_RWX | PGT_SW(7), false },
	{ "device RW", 6, PGT_RW | PGT_DEVICE, false },
	{ "last page of the first bitmap word", 63, PGT_RW, true },
	{ "first page of the next table and word", 64, PGT_RW, true },
	{ "RAM RWX in the second word", 100, PGT_RWX, true },
	{ "last page of the range", 127, PGT_RWX, true },
	{ "RAM page just above the range", 128, PGT_RW, false },
};

static u64 dirty_ia(long off)
{
	return DIRTY_BASE + (u64)off * KiB(4);
}

static u64 dirty_pa(long off)
{
	return GiB(8) + (u64)(off + 1) * KiB(4);
}

static void map_dirty_leaves(void)
{
	new_table(PGT_STAGE2, 39);
	for (size_t i = 0; i < ARRAY_SIZE(dirty_leaves); i++)
		assert_int_equal(map_at(&pt, dirty_ia(dirty_leaves[i].off),
					dirty_pa(dirty_leaves[i].off), KiB(4), dirty_leaves[i].attrs),
				 0);
}

/* Every leaf translates as before, the counted ones without W. */
static void check_dirty_leaves_after_clean(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(dirty_leaves); i++) {
		const struct dirty_leaf *c = &dirty_leaves[i];
		u64 pa, attrs;

		print_message("  %s\n", c->what);
		assert_int_equal(lookup_at(&pt, dirty_ia(c->off) + 0x10, &pa, &attrs), 0);
		assert_int_equal(pa, dirty_pa(c->off) + 0x10);
		assert_int_equal(attrs, c->dirty ? c->attrs & ~PGT_W : c->attrs);
	}
}

static void test_clean_dirty_takes_w_from_ram_pages_in_the_range_and_sets_their_bits(void **state)
{
	u64 bitmap[3] = { 0, 0, 0 }; /* two words, and one the call must not touch */
	u64 expect[2] = { 0, 0 };
	long n = 0;

	map_dirty_leaves();
	for (size_t i = 0; i < ARRAY_SIZE(dirty_leaves); i++)
		if (dirty_leaves[i].dirty) {
			expect[dirty_leaves[i].off / 64] |= 1ULL << (dirty_leaves[i].off % 64);
			n++;
		}
	assert_int_equal(n, 6);
	mm.nev = 0;
	assert_int_equal(pgtable_clean_dirty(&pt, DIRTY_BASE, DIRTY_PAGES * KiB(4), bitmap), n);
	assert_int_equal(bitmap[0], expect[0]);
	assert_int_equal(bitmap[1], expect[1]);
	assert_int_equal(bitmap[2], 0);
	check_dirty_leaves_after_clean();
	/* Exactly S2AP[1] (bit 7) went: normal RW 0x7fc | XN is now normal R 0x77c | XN. */
	assert_int_equal(*entry_at(dirty_ia(0), 3), dirty_pa(0) | 0x77c | XN | PAGE);
	assert_int_equal(*entry_at(dirty_ia(1), 3), dirty_pa(1) | 0x77c | PAGE);
	/* Rights taken in place, one flush for them all; no table came or went. */
	assert_int_equal(mm.flushes, 1);
	assert_int_equal(count_events(EV_ALLOC) + count_events(EV_FREE), 0);
}

static void test_clean_dirty_again_counts_only_pages_given_w_since(void **state)
{
	u64 bitmap[2] = { 0, 0 };
	u64 attrs;

	map_dirty_leaves();
	assert_int_equal(pgtable_clean_dirty(&pt, DIRTY_BASE, DIRTY_PAGES * KiB(4), bitmap), 6);
	assert_int_equal(mm.flushes, 1);
	/* Nothing written since: nothing found, nothing to flush. */
	bitmap[0] = bitmap[1] = 0;
	assert_int_equal(pgtable_clean_dirty(&pt, DIRTY_BASE, DIRTY_PAGES * KiB(4), bitmap), 0);
	assert_int_equal(bitmap[0], 0);
	assert_int_equal(bitmap[1], 0);
	assert_int_equal(mm.flushes, 1);
	check_dirty_leaves_after_clean();
	/* A write to page 100 faulted and got W back (as p2m_set_dirty does it). */
	assert_int_equal(replace_at(&pt, dirty_ia(100), dirty_pa(100), PGT_RW | PGT_X), 0);
	assert_int_equal(pgtable_clean_dirty(&pt, DIRTY_BASE, DIRTY_PAGES * KiB(4), bitmap), 1);
	assert_int_equal(bitmap[0], 0);
	assert_int_equal(bitmap[1], 1ULL << (100 - 64));
	assert_int_equal(mm.flushes, 2);
	assert_int_equal(lookup_at(&pt, dirty_ia(100), NULL, &attrs), 0);
	assert_int_equal(attrs, PGT_R | PGT_X);
	/* Without a bitmap, the count alone. */
	assert_int_equal(replace_at(&pt, dirty_ia(0), dirty_pa(0), PGT_RW), 0);
	assert_int_equal(pgtable_clean_dirty(&pt, DIRTY_BASE, DIRTY_PAGES * KiB(4), NULL), 1);
	assert_int_equal(mm.flushes, 3);
	check_dirty_leaves_after_clean();
}

static void test_clean_dirty_of_part_of_a_table_leaves_the_rest_writable(void **state)
{
	u64 bitmap = 0, attrs;

	map_dirty_leaves();
	/* Pages 63 and 64 only: the range cuts both level-3 tables. */
	assert_int_equal(pgtable_clean_dirty(&pt, dirty_ia(63), 2 * KiB(4), &bitmap), 2);
	assert_int_equal(bitmap, 3);
	assert_int_equal(lookup_at(&pt, dirty_ia(63), NULL, &attrs), 0);
	assert_int_equal(attrs, PGT_R);
	for (long off = 0; off <= 127; off += 127 - 27) { /* pages 0 and 100 */
		assert_int_equal(lookup_at(&pt, dirty_ia(off), NULL, &attrs), 0);
		assert_true(attrs & PGT_W);
	}
}

static void test_clean_dirty_at_a_ram_block_is_eopnotsupp_and_skips_other_blocks(void **state)
{
	u64 bitmap[17] = { 0 }, attrs; /* 1,025 pages from GiB(3) */

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, GiB(2), GiB(10), MiB(2), PGT_RW), 0);
	assert_int_equal(map_at(&pt, GiB(4), GiB(11), GiB(1), PGT_RW), 0);
	/* Device and typed blocks are not RAM: skipped, as pages of them are. */
	assert_int_equal(map_at(&pt, GiB(3), GiB(12), MiB(2), PGT_RW | PGT_DEVICE), 0);
	assert_int_equal(map_at(&pt, GiB(3) + MiB(2), GiB(12) + MiB(2), MiB(2), PGT_RW | PGT_SW(2)),
			 0);
	assert_int_equal(map_at(&pt, GiB(3) + MiB(4), GiB(13), KiB(4), PGT_RW), 0);
	assert_int_equal(pgtable_clean_dirty(&pt, GiB(3), MiB(4) + KiB(4), bitmap), 1);
	for (int i = 0; i < 16; i++)
		assert_int_equal(bitmap[i], 0);
	assert_int_equal(bitmap[16], 1); /* page 1,024: the RAM page after the two blocks */
	assert_int_equal(lookup_at(&pt, GiB(3), NULL, &attrs), 0);
	assert_int_equal(attrs, PGT_RW | PGT_DEVICE);
	assert_int_equal(lookup_at(&pt, GiB(3) + MiB(2), NULL, &attrs), 0);
	assert_int_equal(attrs, PGT_RW | PGT_SW(2));
	mm.flushes = 0;
	/* A 2 MiB block of RAM, whole or one page of it; a page of a 1 GiB block. */
	assert_int_equal(pgtable_clean_dirty(&pt, GiB(2), MiB(2), NULL), -EOPNOTSUPP);
	assert_int_equal(pgtable_clean_dirty(&pt, GiB(2) + KiB(8), KiB(4), NULL), -EOPNOTSUPP);
	assert_int_equal(pgtable_clean_dirty(&pt, GiB(4) + MiB(3), KiB(4), NULL), -EOPNOTSUPP);
	/* Still whole blocks, still writable; nothing was changed, so nothing flushed. */
	assert_int_equal(*entry_at(GiB(2), 2), GiB(10) | 0x7fc | XN | BLOCK);
	assert_int_equal(*entry_at(GiB(4), 1), GiB(11) | 0x7fc | XN | BLOCK);
	assert_int_equal(mm.flushes, 0);
}

/*
 * Pages cleaned before the call meets a block stay clean (pgtable.h): their
 * write rights are gone from the table, so no TLB may keep them either.
 */
static void test_clean_dirty_stopped_by_a_block_still_flushes_what_it_cleaned(void **state)
{
	u64 attrs;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, GiB(2) - KiB(4), GiB(10), KiB(4), PGT_RW), 0);
	assert_int_equal(map_at(&pt, GiB(2), GiB(11), MiB(2), PGT_RW), 0);
	assert_int_equal(pgtable_clean_dirty(&pt, GiB(2) - KiB(4), MiB(2) + KiB(4), NULL),
			 -EOPNOTSUPP);
	assert_int_equal(lookup_at(&pt, GiB(2) - KiB(4), NULL, &attrs), 0);
	assert_int_equal(attrs, PGT_R); /* cleaned before the block */
	assert_int_equal(mm.flushes, 1);
}

static void test_clean_dirty_refuses_bad_ranges_and_stage_1(void **state)
{
	static const struct {
		const char *what;
		u64 ia, size;
	} bad[] = {
		{ "size zero", DIRTY_BASE, 0 },
		{ "ia not page aligned", DIRTY_BASE + 8, KiB(4) },
		{ "size not page aligned", DIRTY_BASE, KiB(4) + 1 },
		{ "ia + size beyond 2^39", GiB(512) - KiB(4), KiB(8) },
		{ "ia beyond 2^39", GiB(512), KiB(4) },
		{ "ia + size wrapping", ~0ULL & PAGE_MASK, KiB(8) },
		{ "size wrapping", KiB(4), ~0ULL & PAGE_MASK },
	};
	struct snapshot *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
	u64 bitmap[2] = { 0, 0 };

	map_dirty_leaves();
	snapshot(before);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("  %s\n", bad[i].what);
		assert_int_equal(pgtable_clean_dirty(&pt, bad[i].ia, bad[i].size, bitmap), -EINVAL);
	}
	snapshot(after);
	assert_same_snapshot(before, after);
	assert_int_equal(bitmap[0] | bitmap[1], 0);
	assert_int_equal(mm.flushes, 0);
	/* The whole input range is fine. */
	assert_int_equal(pgtable_clean_dirty(&pt, 0, GiB(512), NULL), 6 + 2); /* and the two outside */
	pgtable_destroy(&pt);

	/* Stage 1 has no dirty logging: its writable page keeps W. */
	new_table(PGT_STAGE1_EL2, 39);
	assert_int_equal(map_at(&pt, MiB(2), GiB(8), KiB(4), PGT_RW), 0);
	snapshot(before);
	assert_int_equal(pgtable_clean_dirty(&pt, MiB(2), KiB(4), bitmap), -EINVAL);
	snapshot(after);
	assert_same_snapshot(before, after);
	assert_int_equal(bitmap[0], 0);
	assert_int_equal(mm.flushes, 0);
	free(before);
	free(after);
}

/* ---- protect: rights taken from one page in place (copy-on-write sharing, p2m.c) ---- */

#define PROT_IA (GiB(1) + MiB(6))

static void test_protect_takes_rights_and_sets_sw_bits_in_place_with_no_tlb_op(void **state)
{
	u64 pa, attrs;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, PROT_IA, GiB(8), KiB(4), PGT_RWX), 0);
	assert_int_equal(map_at(&pt, PROT_IA + KiB(4), GiB(8) + KiB(4), KiB(4), PGT_RWX), 0);
	mm.nev = 0;
	/* W goes, a type comes: normal RWX 0x7fc becomes normal R-X 0x77c, the type in bits 55..57. */
	assert_int_equal(pgtable_protect_page(&pt, PROT_IA, PGT_R | PGT_X | PGT_SW(7)), 0);
	assert_int_equal(*entry_at(PROT_IA, 3), GiB(8) | 0x77c | (7ULL << 55) | PAGE);
	assert_int_equal(lookup_at(&pt, PROT_IA + 0x123, &pa, &attrs), 0);
	assert_int_equal(pa, GiB(8) + 0x123);
	assert_int_equal(attrs, PGT_R | PGT_X | PGT_SW(7));
	/* X goes too, and the type changes again. */
	assert_int_equal(pgtable_protect_page(&pt, PROT_IA, PGT_R | PGT_SW(2)), 0);
	assert_int_equal(*entry_at(PROT_IA, 3), GiB(8) | 0x77c | XN | (2ULL << 55) | PAGE);
	/* The rights it has, again: nothing to take, nothing changes. */
	assert_int_equal(pgtable_protect_page(&pt, PROT_IA, PGT_R | PGT_SW(2)), 0);
	assert_int_equal(*entry_at(PROT_IA, 3), GiB(8) | 0x77c | XN | (2ULL << 55) | PAGE);
	/* Its neighbour in the same table is untouched. */
	assert_int_equal(*entry_at(PROT_IA + KiB(4), 3), (GiB(8) + KiB(4)) | 0x7fc | PAGE);
	/* In place: no table came or went, and no TLB op (the caller flushes once for all). */
	assert_int_equal(mm.nev, 0);
	assert_int_equal(mm.flushes, 0);
	pgtable_destroy(&pt);

	/* Stage 1 the same: normal RW 0x740 | XN becomes normal R 0x7c0 | XN. */
	new_table(PGT_STAGE1_EL2, 39);
	assert_int_equal(map_at(&pt, PROT_IA, GiB(8), KiB(4), PGT_RW), 0);
	mm.nev = 0;
	assert_int_equal(pgtable_protect_page(&pt, PROT_IA, PGT_R), 0);
	assert_int_equal(*entry_at(PROT_IA, 3), GiB(8) | 0x7c0 | XN | PAGE);
	assert_int_equal(mm.nev, 0);
	assert_int_equal(mm.flushes, 0);
}

static void test_protect_refuses_a_right_added_or_device_ness_changed(void **state)
{
	static const struct {
		const char *what;
		u64 ia, attrs;
	} bad[] = {
		{ "W added to an R page", PROT_IA, PGT_RW | PGT_SW(3) },
		{ "X added to an R page", PROT_IA, PGT_R | PGT_X | PGT_SW(3) },
		{ "X added to an RW page", PROT_IA + KiB(8), PGT_RWX },
		{ "device memory made normal", PROT_IA + KiB(4), PGT_RW },
		{ "normal memory made device", PROT_IA + KiB(8), PGT_R | PGT_DEVICE },
		{ "the read right taken", PROT_IA + KiB(8), PGT_W },
		{ "no right left", PROT_IA + KiB(8), 0 },
		{ "an attribute bit that does not exist", PROT_IA + KiB(8), PGT_R | BIT(10) },
		{ "ia not page aligned", PROT_IA + 8, PGT_R },
		{ "ia beyond 2^39", GiB(512), PGT_R },
	};
	struct snapshot *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, PROT_IA, GiB(8), KiB(4), PGT_R | PGT_SW(3)), 0);
	assert_int_equal(map_at(&pt, PROT_IA + KiB(4), GiB(9), KiB(4), PGT_RW | PGT_DEVICE), 0);
	assert_int_equal(map_at(&pt, PROT_IA + KiB(8), GiB(10), KiB(4), PGT_RW), 0);
	snapshot(before);
	mm.nev = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("  %s\n", bad[i].what);
		assert_int_equal(pgtable_protect_page(&pt, bad[i].ia, bad[i].attrs), -EINVAL);
	}
	snapshot(after);
	assert_same_snapshot(before, after);
	assert_int_equal(mm.nev, 0);
	assert_int_equal(mm.flushes, 0);
	/* Device memory may lose W as normal memory does: device R is 0x444 | XN. */
	assert_int_equal(pgtable_protect_page(&pt, PROT_IA + KiB(4), PGT_R | PGT_DEVICE), 0);
	assert_int_equal(*entry_at(PROT_IA + KiB(4), 3), GiB(9) | 0x444 | XN | PAGE);
	free(before);
	free(after);
}

static void test_protect_of_a_hole_is_enoent_and_inside_a_block_eopnotsupp(void **state)
{
	struct snapshot *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, GiB(1), GiB(8), KiB(4), PGT_RW), 0);
	assert_int_equal(map_at(&pt, MiB(2), GiB(10), MiB(2), PGT_RW), 0);
	assert_int_equal(map_at(&pt, GiB(4), GiB(11), GiB(1), PGT_RW), 0);
	snapshot(before);
	mm.nev = 0;
	/* A hole beside a page (its level-3 table there), and one with no table at all. */
	assert_int_equal(pgtable_protect_page(&pt, GiB(1) + KiB(4), PGT_R), -ENOENT);
	assert_int_equal(pgtable_protect_page(&pt, GiB(2), PGT_R), -ENOENT);
	/* A page of a 2 MiB block, its first or another, and of a 1 GiB block: not split. */
	assert_int_equal(pgtable_protect_page(&pt, MiB(2), PGT_R), -EOPNOTSUPP);
	assert_int_equal(pgtable_protect_page(&pt, MiB(2) + KiB(8), PGT_R), -EOPNOTSUPP);
	assert_int_equal(pgtable_protect_page(&pt, GiB(4) + MiB(3), PGT_R), -EOPNOTSUPP);
	snapshot(after);
	assert_same_snapshot(before, after);
	assert_int_equal(*entry_at(MiB(2), 2), GiB(10) | 0x7fc | XN | BLOCK);
	assert_int_equal(*entry_at(GiB(4), 1), GiB(11) | 0x7fc | XN | BLOCK);
	assert_int_equal(mm.nev, 0);
	assert_int_equal(mm.flushes, 0);
	free(before);
	free(after);
}

/* The same ops with no tlb_flush_all: a machine whose TLBs need no flush (the fake's). */
static const struct pgtable_mm_ops ops_no_flush = {
	.alloc_page = t_alloc,
	.free_page = t_free,
	.phys_to_virt = t_p2v,
	.tlb_invalidate = t_tlbi,
};

static void test_flush_all_calls_the_flush_op_once_and_no_other(void **state)
{
	struct pgtable other;

	new_table(PGT_STAGE2, 39);
	assert_int_equal(map_at(&pt, PROT_IA, GiB(8), KiB(4), PGT_RWX), 0);
	mm.nev = 0;
	pgtable_flush_all(&pt);
	assert_int_equal(mm.flushes, 1);
	assert_int_equal(mm.nev, 0);
	pgtable_flush_all(&pt);
	assert_int_equal(mm.flushes, 2);
	/* Optional: without the op there is nothing to call. */
	assert_int_equal(pgtable_init(&other, PGT_STAGE2, 39, &ops_no_flush, &mm), 0);
	pgtable_flush_all(&other);
	assert_int_equal(mm.flushes, 2);
	pgtable_destroy(&other);
}

static void test_destroy_frees_every_table_page(void **state)
{
	new_table(PGT_STAGE1_EL2, 48);
	assert_int_equal(map_at(&pt, 0, 0, GiB(2) + KiB(4), PGT_RWX), 0);
	assert_int_equal(map_at(&pt, 1ULL << 47, GiB(4), MiB(2) + KiB(4), PGT_RW), 0);
	assert_true(mm.nlive > 4);
	pgtable_destroy(&pt);
	assert_int_equal(mm.nlive, 0);
	assert_null(pt.root);
	pgtable_destroy(&pt); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_init_picks_start_level_from_ia_bits, teardown),
		cmocka_unit_test_teardown(test_init_rejects_bad_arguments, teardown),
		cmocka_unit_test_teardown(test_1gib_block_is_one_level1_descriptor, teardown),
		cmocka_unit_test_teardown(test_2mib_block_is_one_level2_descriptor, teardown),
		cmocka_unit_test_teardown(test_4kib_page_is_one_level3_descriptor, teardown),
		cmocka_unit_test_teardown(test_attributes_give_exact_stage1_and_stage2_bits, teardown),
		cmocka_unit_test_teardown(test_mixed_range_uses_the_biggest_blocks_that_fit, teardown),
		cmocka_unit_test_teardown(test_misaligned_pa_forces_pages, teardown),
		cmocka_unit_test_teardown(test_page_leaves_map_block_aligned_ranges_page_by_page,
					  teardown),
		cmocka_unit_test_teardown(
			test_walk_visits_every_leaf_in_order_with_its_size_and_software_bits, teardown),
		cmocka_unit_test_teardown(test_overlapping_map_returns_eexist_and_changes_nothing,
					  teardown),
		cmocka_unit_test_teardown(test_unmapping_a_page_of_a_2mib_block_splits_it, teardown),
		cmocka_unit_test_teardown(test_unmapping_inside_a_1gib_block_splits_down_to_pages,
					  teardown),
		cmocka_unit_test_teardown(test_unmapping_everything_frees_all_tables_but_the_root,
					  teardown),
		cmocka_unit_test_teardown(test_unmapping_unmapped_ranges_is_harmless, teardown),
		cmocka_unit_test_teardown(test_lazy_unmap_defers_leaf_invalidations_but_not_table_frees,
					  teardown),
		cmocka_unit_test_teardown(test_map_after_unmap_reuses_the_range, teardown),
		cmocka_unit_test_teardown(test_bad_map_and_unmap_arguments_are_refused, teardown),
		cmocka_unit_test_teardown(test_lookup_outside_the_input_range_finds_nothing, teardown),
		cmocka_unit_test_teardown(test_enomem_during_map_leaves_the_tables_as_they_were,
					  teardown),
		cmocka_unit_test_teardown(test_enomem_during_unmap_split_keeps_every_translation,
					  teardown),
		cmocka_unit_test_teardown(test_replacing_a_page_of_a_2mib_block_splits_it_and_swaps_the_leaf,
					  teardown),
		cmocka_unit_test_teardown(test_replacing_where_nothing_is_maps_and_enomem_changes_nothing,
					  teardown),
		cmocka_unit_test_teardown(test_destroy_frees_every_table_page, teardown),
		cmocka_unit_test_teardown(
			test_clean_dirty_takes_w_from_ram_pages_in_the_range_and_sets_their_bits,
			teardown),
		cmocka_unit_test_teardown(test_clean_dirty_again_counts_only_pages_given_w_since,
					  teardown),
		cmocka_unit_test_teardown(test_clean_dirty_of_part_of_a_table_leaves_the_rest_writable,
					  teardown),
		cmocka_unit_test_teardown(
			test_clean_dirty_at_a_ram_block_is_eopnotsupp_and_skips_other_blocks, teardown),
		cmocka_unit_test_teardown(
			test_clean_dirty_stopped_by_a_block_still_flushes_what_it_cleaned, teardown),
		cmocka_unit_test_teardown(test_clean_dirty_refuses_bad_ranges_and_stage_1, teardown),
		cmocka_unit_test_teardown(
			test_protect_takes_rights_and_sets_sw_bits_in_place_with_no_tlb_op, teardown),
		cmocka_unit_test_teardown(test_protect_refuses_a_right_added_or_device_ness_changed,
					  teardown),
		cmocka_unit_test_teardown(test_protect_of_a_hole_is_enoent_and_inside_a_block_eopnotsupp,
					  teardown),
		cmocka_unit_test_teardown(test_flush_all_calls_the_flush_op_once_and_no_other,
					  teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
