/* SPDX-License-Identifier: MIT */
/* Physical page allocator: a bitmap with one bit per 4 KiB page, set = in use. */
#include <domus/palloc.h>
#include <domus/errno.h>
#include <domus/string.h>

/*
 * Page index i (counted from pa->base) lives in word i / 64, bit i % 64:
 *
 *   word 0                        word 1
 *   bit 63 ............... bit 0  bit 63 ............... bit 0
 *   [p63 ............... p1 p0]   [p127 ............. p65 p64]
 *
 * Bits past npages in the last word stay set forever, so scans never have
 * to special-case the tail: a scan sees them as used pages.
 *
 * Invariant kept by every function here: every page below pa->hint is in
 * use. Searches may therefore start at the hint, and freeing a page below it
 * moves it down. This keeps single-page allocations O(1) in the common case
 * (they walk forward from where the last one stopped) without a free list.
 */

#define WORD_BITS 64

/*
 * Open-coded population count: __builtin_popcountll becomes a libgcc call
 * under -mgeneral-regs-only (no CNT without SIMD), and Domus has no libgcc.
 */
static inline u64 popcount64(u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static inline u64 word_mask(u64 lo, u64 hi)
{
	return (~0ULL << lo) & (~0ULL >> (WORD_BITS - hi));
}

enum range_op { RANGE_COUNT, RANGE_SET, RANGE_CLEAR };

/*
 * Counts the set (used) bits in [idx, idx + n), then applies op to the
 * range. One pass, a word at a time; callers decide from the count whether
 * the operation was legal, so they call it first with RANGE_COUNT.
 */
static u64 range_apply(struct palloc *pa, u64 idx, u64 n, enum range_op op)
{
	u64 end = idx + n, used = 0;

	while (idx < end) {
		u64 w = idx / WORD_BITS;
		u64 lo = idx % WORD_BITS;
		u64 hi = MIN((u64)WORD_BITS, lo + (end - idx));
		u64 m = word_mask(lo, hi);

		used += popcount64(pa->bitmap[w] & m);
		if (op == RANGE_SET)
			pa->bitmap[w] |= m;
		else if (op == RANGE_CLEAR)
			pa->bitmap[w] &= ~m;
		idx += hi - lo;
	}
	return used;
}

/* First clear bit in [from, limit), or limit. Skips words that are all ones. */
static u64 find_next_free(const struct palloc *pa, u64 from, u64 limit)
{
	u64 w, word;

	if (from >= limit)
		return limit;
	w = from / WORD_BITS;
	word = ~pa->bitmap[w] & (~0ULL << (from % WORD_BITS));
	while (!word) {
		if (++w * WORD_BITS >= limit)
			return limit;
		word = ~pa->bitmap[w];
	}
	return MIN(limit, w * WORD_BITS + (u64)__builtin_ctzll(word));
}

/* First set bit in [from, limit), or limit. Skips words that are all zeros. */
static u64 find_next_used(const struct palloc *pa, u64 from, u64 limit)
{
	u64 w, word;

	if (from >= limit)
		return limit;
	w = from / WORD_BITS;
	word = pa->bitmap[w] & (~0ULL << (from % WORD_BITS));
	while (!word) {
		if (++w * WORD_BITS >= limit)
			return limit;
		word = pa->bitmap[w];
	}
	return MIN(limit, w * WORD_BITS + (u64)__builtin_ctzll(word));
}

/*
 * Turns [addr, addr + npages pages) into a page index, or -EINVAL when it is
 * empty, misaligned or not wholly inside the span. Works on page counts so
 * that no addr + npages * PAGE_SIZE can overflow.
 */
static int range_index(const struct palloc *pa, paddr_t addr, u64 npages, u64 *idx)
{
	u64 off, i;

	if (!npages || pa_addr(addr) < pa_addr(pa->base))
		return -EINVAL;
	off = pa_addr(addr) - pa_addr(pa->base);
	if (!IS_ALIGNED(off, PAGE_SIZE))
		return -EINVAL;
	i = off >> PAGE_SHIFT;
	if (i >= pa->npages || npages > pa->npages - i)
		return -EINVAL;
	*idx = i;
	return 0;
}

static inline bool is_pow2(u64 x)
{
	return x && !(x & (x - 1));
}

/*
 * Smallest index >= idx whose address is a multiple of align pages. The base
 * need not be aligned itself, so alignment is computed on the page frame
 * number, not on the index. Saturates instead of wrapping.
 */
static u64 align_index(const struct palloc *pa, u64 idx, u64 align)
{
	u64 pfn = pa_mfn(pa->base) + idx;
	u64 up = (align - (pfn & (align - 1))) & (align - 1);

	return idx > ~0ULL - up ? ~0ULL : idx + up;
}

void palloc_init(struct palloc *pa, paddr_t base, u64 npages, u64 *bitmap)
{
	pa->base = base;
	pa->npages = npages;
	pa->bitmap = bitmap;
	pa->free_pages = 0;
	pa->hint = 0;
	/* Everything starts used: RAM banks are handed over with add_free. */
	memset(bitmap, 0xff, palloc_bitmap_words(npages) * sizeof(u64));
}

int palloc_add_free(struct palloc *pa, paddr_t addr, u64 npages)
{
	u64 idx;
	int rc = range_index(pa, addr, npages, &idx);

	if (rc)
		return rc;
	/* Overlapping banks must not count a page twice. */
	pa->free_pages += range_apply(pa, idx, npages, RANGE_CLEAR);
	pa->hint = MIN(pa->hint, idx);
	return 0;
}

int palloc_reserve(struct palloc *pa, paddr_t addr, u64 npages)
{
	u64 idx;
	int rc = range_index(pa, addr, npages, &idx);

	if (rc)
		return rc;
	if (range_apply(pa, idx, npages, RANGE_COUNT))
		return -EBUSY;
	range_apply(pa, idx, npages, RANGE_SET);
	pa->free_pages -= npages;
	return 0;
}

void palloc_reserve_force(struct palloc *pa, paddr_t addr, u64 npages)
{
	u64 idx;

	/* No return value to report a bad range: ignoring it is the safe choice. */
	if (range_index(pa, addr, npages, &idx))
		return;
	pa->free_pages -= npages - range_apply(pa, idx, npages, RANGE_SET);
}

int palloc_alloc(struct palloc *pa, u64 npages, u64 align_pages, paddr_t *out)
{
	u64 idx, used;

	if (!out || !npages || !is_pow2(align_pages))
		return -EINVAL;
	if (npages > pa->free_pages)
		return -ENOMEM;

	if (npages == 1 && align_pages == 1) {
		idx = find_next_free(pa, pa->hint, pa->npages);
		if (idx >= pa->npages)
			return -ENOMEM; /* cannot happen while free_pages is exact */
		pa->bitmap[idx / WORD_BITS] |= BIT(idx % WORD_BITS);
		pa->free_pages--;
		pa->hint = idx + 1;
		*out = pa_add(pa->base, idx << PAGE_SHIFT);
		return 0;
	}

	/*
	 * First fit: jump to the next free page, round up to the alignment,
	 * and look for a used page inside the candidate run. If there is one,
	 * no run can start before it, so resume just past it.
	 */
	idx = pa->hint;
	for (;;) {
		idx = find_next_free(pa, idx, pa->npages);
		idx = align_index(pa, idx, align_pages);
		if (idx >= pa->npages || npages > pa->npages - idx)
			return -ENOMEM;
		used = find_next_used(pa, idx, idx + npages);
		if (used == idx + npages)
			break;
		idx = used + 1;
	}
	range_apply(pa, idx, npages, RANGE_SET);
	pa->free_pages -= npages;
	*out = pa_add(pa->base, idx << PAGE_SHIFT);
	return 0;
}

u64 palloc_largest_free(struct palloc *pa, u64 align_pages, paddr_t *start)
{
	u64 best = 0, best_idx = 0, idx = pa->hint;

	if (!is_pow2(align_pages))
		return 0;
	/* Walk the free runs [s, e) in order; each counts from its aligned start. */
	while (idx < pa->npages) {
		u64 s = find_next_free(pa, idx, pa->npages);
		u64 e, a;

		if (s >= pa->npages)
			break;
		e = find_next_used(pa, s, pa->npages);
		a = align_index(pa, s, align_pages);
		if (a < e && e - a > best) {
			best = e - a;
			best_idx = a;
		}
		idx = e;
	}
	if (start)
		*start = pa_init(best ? pa_addr(pa->base) + (best_idx << PAGE_SHIFT) : 0);
	return best;
}

int palloc_free(struct palloc *pa, paddr_t addr, u64 npages)
{
	u64 idx;
	int rc = range_index(pa, addr, npages, &idx);

	if (rc)
		return rc;
	/* A page already free means a double free or a wrong length: refuse it all. */
	if (range_apply(pa, idx, npages, RANGE_COUNT) != npages)
		return -EINVAL;
	range_apply(pa, idx, npages, RANGE_CLEAR);
	pa->free_pages += npages;
	pa->hint = MIN(pa->hint, idx);
	return 0;
}

bool palloc_is_free(const struct palloc *pa, paddr_t addr)
{
	u64 idx;

	if (pa_addr(addr) < pa_addr(pa->base))
		return false;
	idx = (pa_addr(addr) - pa_addr(pa->base)) >> PAGE_SHIFT;
	if (idx >= pa->npages)
		return false;
	return !(pa->bitmap[idx / WORD_BITS] & BIT(idx % WORD_BITS));
}
