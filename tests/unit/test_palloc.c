// SOURCES: hyp/core/palloc.c
/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the bitmap page allocator: argument checking, exact free
 * counts, aligned runs, double frees, fragmentation, and a random workload
 * checked step by step against a one-byte-per-page reference model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <domus/errno.h>
#include <domus/palloc.h>

/* Deliberately not 2 MiB aligned, so alignment is computed on addresses. */
#define BASE 0x40003000ULL
#define PG(i) (BASE + (u64)(i) * PAGE_SIZE)

static struct palloc pa;

/*
 * The allocator hands out host-physical addresses (paddr_t); the tests
 * write them as numbers, through these.
 */
static void num_init(struct palloc *p, u64 base, u64 npages, u64 *map)
{
	palloc_init(p, pa_init(base), npages, map);
}

static int num_add_free(struct palloc *p, u64 addr, u64 npages)
{
	return palloc_add_free(p, pa_init(addr), npages);
}

static int num_reserve(struct palloc *p, u64 addr, u64 npages)
{
	return palloc_reserve(p, pa_init(addr), npages);
}

static void num_reserve_force(struct palloc *p, u64 addr, u64 npages)
{
	palloc_reserve_force(p, pa_init(addr), npages);
}

static int num_alloc(struct palloc *p, u64 npages, u64 align, u64 *out)
{
	paddr_t got;
	int rc = palloc_alloc(p, npages, align, out ? &got : NULL);

	if (!rc)
		*out = pa_addr(got);
	return rc;
}

static u64 num_largest_free(struct palloc *p, u64 align, u64 *start)
{
	paddr_t at;
	u64 n = palloc_largest_free(p, align, start ? &at : NULL);

	if (start)
		*start = pa_addr(at);
	return n;
}

static int num_free(struct palloc *p, u64 addr, u64 npages)
{
	return palloc_free(p, pa_init(addr), npages);
}

static bool num_is_free(const struct palloc *p, u64 addr)
{
	return palloc_is_free(p, pa_init(addr));
}
static u64 *bitmap;

static void setup_span(u64 npages, bool all_free)
{
	free(bitmap);
	bitmap = malloc(palloc_bitmap_words(npages) * sizeof(u64));
	assert_non_null(bitmap);
	num_init(&pa, BASE, npages, bitmap);
	if (all_free)
		assert_int_equal(num_add_free(&pa, BASE, npages), 0);
}

static int teardown(void **state)
{
	free(bitmap);
	bitmap = NULL;
	return 0;
}

static u64 count_free_by_query(void)
{
	u64 n = 0;

	for (u64 i = 0; i < pa.npages; i++)
		n += num_is_free(&pa, PG(i));
	return n;
}

/* ---- init, add_free, reserve ---- */

static void test_init_starts_with_every_page_used(void **state)
{
	u64 out;

	setup_span(1000, false);
	assert_int_equal(palloc_free_count(&pa), 0);
	assert_int_equal(count_free_by_query(), 0);
	assert_int_equal(num_alloc(&pa, 1, 1, &out), -ENOMEM);
	assert_int_equal(palloc_bitmap_words(1000), 16);
	assert_int_equal(palloc_bitmap_words(1024), 16);
	assert_int_equal(palloc_bitmap_words(1025), 17);
}

static void test_add_free_counts_overlapping_banks_once(void **state)
{
	setup_span(1000, false);
	assert_int_equal(num_add_free(&pa, PG(0), 100), 0);
	assert_int_equal(num_add_free(&pa, PG(50), 100), 0);
	assert_int_equal(palloc_free_count(&pa), 150);
	assert_int_equal(count_free_by_query(), 150);
	assert_true(num_is_free(&pa, PG(149)));
	assert_false(num_is_free(&pa, PG(150)));
	/* The last page, in a partly used bitmap word. */
	assert_int_equal(num_add_free(&pa, PG(999), 1), 0);
	assert_int_equal(palloc_free_count(&pa), 151);
}

struct range_case {
	const char *what;
	u64 addr;
	u64 npages;
};

/* Every one of these is outside a 1000-page span at BASE, or malformed. */
static const struct range_case bad_ranges[] = {
	{ "unaligned address", PG(1) + 8, 1 },
	{ "below the base", BASE - PAGE_SIZE, 1 },
	{ "straddling the base", BASE - PAGE_SIZE, 2 },
	{ "first page past the end", PG(1000), 1 },
	{ "straddling the end", PG(999), 2 },
	{ "zero pages", PG(0), 0 },
	{ "page count whose byte size overflows", PG(0), 1ULL << 60 },
	{ "page count that wraps the index", PG(10), ~0ULL - 5 },
	{ "address at the top of the address space", ~0ULL & PAGE_MASK, 1 },
};

static void test_bad_ranges_are_refused_without_changes(void **state)
{
	u64 out;

	for (size_t i = 0; i < ARRAY_SIZE(bad_ranges); i++) {
		const struct range_case *c = &bad_ranges[i];

		setup_span(1000, true);
		assert_int_equal(num_alloc(&pa, 10, 1, &out), 0); /* pages 0..9 used */
		print_message("  %s\n", c->what);
		assert_int_equal(num_add_free(&pa, c->addr, c->npages), -EINVAL);
		assert_int_equal(num_reserve(&pa, c->addr, c->npages), -EINVAL);
		assert_int_equal(num_free(&pa, c->addr, c->npages), -EINVAL);
		num_reserve_force(&pa, c->addr, c->npages);
		assert_int_equal(palloc_free_count(&pa), 990);
		assert_int_equal(count_free_by_query(), 990);
	}
}

static void test_reserve_marks_pages_used_and_refuses_busy_ranges(void **state)
{
	setup_span(1000, true);
	assert_int_equal(num_reserve(&pa, PG(100), 50), 0);
	assert_int_equal(palloc_free_count(&pa), 950);
	assert_false(num_is_free(&pa, PG(100)));
	assert_false(num_is_free(&pa, PG(149)));
	assert_true(num_is_free(&pa, PG(150)));
	/* Overlaps the reserved run by one page: nothing may change. */
	assert_int_equal(num_reserve(&pa, PG(60), 41), -EBUSY);
	assert_int_equal(palloc_free_count(&pa), 950);
	assert_true(num_is_free(&pa, PG(60)));
	assert_true(num_is_free(&pa, PG(99)));
}

static void test_reserve_force_counts_only_pages_that_were_free(void **state)
{
	setup_span(1000, true);
	assert_int_equal(num_reserve(&pa, PG(100), 50), 0);
	num_reserve_force(&pa, PG(90), 70); /* 20 of these were free */
	assert_int_equal(palloc_free_count(&pa), 930);
	assert_int_equal(count_free_by_query(), 930);
	num_reserve_force(&pa, PG(90), 70);
	assert_int_equal(palloc_free_count(&pa), 930);
}

/* ---- allocation ---- */

static void test_single_pages_run_out_after_exactly_the_free_count(void **state)
{
	static const u64 sizes[] = { 1, 63, 64, 65, 1000, 4096 + 17 };

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		u64 n = sizes[s], got = 0;
		bool *seen = calloc(n, 1);
		u64 out;

		setup_span(n, true);
		while (num_alloc(&pa, 1, 1, &out) == 0) {
			u64 idx = (out - BASE) / PAGE_SIZE;

			assert_true(out >= BASE && idx < n);
			assert_int_equal(out % PAGE_SIZE, BASE % PAGE_SIZE);
			assert_false(seen[idx]);
			seen[idx] = true;
			got++;
			assert_int_equal(palloc_free_count(&pa), n - got);
		}
		assert_int_equal(got, n);
		assert_int_equal(num_alloc(&pa, 1, 1, &out), -ENOMEM);
		free(seen);
	}
}

struct aligned_case {
	u64 npages, align;
};

static const struct aligned_case aligned_cases[] = {
	{ 1, 512 }, { 512, 512 }, { 513, 512 }, { 3, 4 }, { 1024, 1024 }, { 7, 1 }, { 1, 2 },
};

static void test_aligned_runs_start_on_their_alignment(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(aligned_cases); i++) {
		const struct aligned_case *c = &aligned_cases[i];
		u64 out, prev = 0;

		setup_span(8192, true);
		/* Make the first aligned slot unusable, so the search must move on. */
		assert_int_equal(num_reserve(&pa, PG(0x1fd + 40), 1), 0);
		for (int k = 0; k < 3; k++) {
			u64 before = palloc_free_count(&pa);

			assert_int_equal(num_alloc(&pa, c->npages, c->align, &out), 0);
			assert_int_equal(out % (c->align * PAGE_SIZE), 0);
			assert_true(out > prev);
			for (u64 p = 0; p < c->npages; p++)
				assert_false(num_is_free(&pa, out + p * PAGE_SIZE));
			assert_int_equal(palloc_free_count(&pa), before - c->npages);
			prev = out;
		}
	}
}

static void test_alloc_rejects_bad_arguments(void **state)
{
	u64 out;

	setup_span(1000, true);
	assert_int_equal(num_alloc(&pa, 0, 1, &out), -EINVAL);
	assert_int_equal(num_alloc(&pa, 1, 0, &out), -EINVAL);
	assert_int_equal(num_alloc(&pa, 1, 3, &out), -EINVAL);
	assert_int_equal(num_alloc(&pa, 1, 1, NULL), -EINVAL);
	assert_int_equal(num_alloc(&pa, 1001, 1, &out), -ENOMEM);
	assert_int_equal(num_alloc(&pa, ~0ULL, 1, &out), -ENOMEM);
	/* 1000 pages fit, but no 2 MiB aligned run of 600 does. */
	assert_int_equal(num_alloc(&pa, 600, 512, &out), -ENOMEM);
	/* An alignment larger than the span: at most one candidate, or none. */
	assert_int_equal(num_alloc(&pa, 1, 1ULL << 40, &out), -ENOMEM);
	assert_int_equal(palloc_free_count(&pa), 1000);
}

/* The boot pattern: 8 GiB of RAM, 512 MiB for dom0, then page after page. */
static void test_8gib_span_gives_a_2mib_aligned_512mib_run_then_pages(void **state)
{
	u64 n = GiB(8) / PAGE_SIZE, run = MiB(512) / PAGE_SIZE;
	u64 out, page;

	setup_span(n, true);
	num_reserve_force(&pa, PG(0), 777); /* image, bitmap, dtb */
	num_reserve_force(&pa, PG(600000), 3); /* a module somewhere */
	assert_int_equal(num_alloc(&pa, run, 512, &out), 0);
	assert_int_equal(out % MiB(2), 0);
	assert_int_equal(palloc_free_count(&pa), n - 777 - 3 - run);
	/* Single pages fill the hole below the run first. */
	assert_int_equal(num_alloc(&pa, 1, 1, &page), 0);
	assert_int_equal(page, PG(777));
	for (int i = 0; i < 100000; i++)
		assert_int_equal(num_alloc(&pa, 1, 1, &page), 0);
	assert_int_equal(palloc_free_count(&pa), n - 777 - 3 - run - 100001);
	assert_int_equal(num_free(&pa, out, run), 0);
	assert_int_equal(palloc_free_count(&pa), n - 777 - 3 - 100001);
}

static void test_freed_page_is_handed_out_again(void **state)
{
	u64 p[10], q;

	setup_span(1000, true);
	for (int i = 0; i < 10; i++)
		assert_int_equal(num_alloc(&pa, 1, 1, &p[i]), 0);
	assert_int_equal(num_free(&pa, p[3], 1), 0);
	assert_true(num_is_free(&pa, p[3]));
	assert_int_equal(palloc_free_count(&pa), 991);
	assert_int_equal(num_alloc(&pa, 1, 1, &q), 0);
	assert_int_equal(q, p[3]);
	assert_int_equal(palloc_free_count(&pa), 990);
}

static void test_double_free_is_refused_and_changes_nothing(void **state)
{
	u64 run;

	setup_span(1000, true);
	assert_int_equal(num_alloc(&pa, 8, 1, &run), 0);
	assert_int_equal(num_free(&pa, run + 2 * PAGE_SIZE, 1), 0);
	assert_int_equal(num_free(&pa, run + 2 * PAGE_SIZE, 1), -EINVAL);
	/* A range with one free page in it: refused whole, the rest stay used. */
	assert_int_equal(num_free(&pa, run, 8), -EINVAL);
	assert_int_equal(palloc_free_count(&pa), 993);
	assert_false(num_is_free(&pa, run));
	assert_false(num_is_free(&pa, run + 7 * PAGE_SIZE));
	/* Never-allocated pages are not freeable either. */
	assert_int_equal(num_free(&pa, PG(500), 1), -EINVAL);
	assert_int_equal(palloc_free_count(&pa), 993);
}

static void test_pages_outside_the_span_are_never_free(void **state)
{
	setup_span(1000, true);
	assert_false(num_is_free(&pa, BASE - PAGE_SIZE));
	assert_false(num_is_free(&pa, PG(1000)));
	assert_false(num_is_free(&pa, ~0ULL));
	assert_true(num_is_free(&pa, PG(999)));
}

static void test_largest_free_follows_fragmentation(void **state)
{
	u64 start;

	setup_span(4096, false);
	/* Runs of 100 at 10, 700 at 300 (crosses 512), 1500 at 2000. */
	assert_int_equal(num_add_free(&pa, PG(10), 100), 0);
	assert_int_equal(num_add_free(&pa, PG(300), 700), 0);
	assert_int_equal(num_add_free(&pa, PG(2000), 1500), 0);
	assert_int_equal(num_largest_free(&pa, 1, &start), 1500);
	assert_int_equal(start, PG(2000));
	/* Addresses: BASE is page 0x40003; 2 MiB alignment is pfn % 512 == 0. */
	assert_int_equal(num_largest_free(&pa, 512, &start), 3500 - (512 * 4 - 3));
	assert_int_equal(start % MiB(2), 0);
	assert_int_equal(start, PG(512 * 4 - 3));
	/* Cut the big run in three: the 700-page run wins at alignment 1. */
	assert_int_equal(num_reserve(&pa, PG(2600), 1), 0);
	assert_int_equal(num_reserve(&pa, PG(3100), 1), 0);
	assert_int_equal(num_largest_free(&pa, 1, &start), 700);
	assert_int_equal(start, PG(300));
	assert_int_equal(num_largest_free(&pa, 3, &start), 0); /* not a power of two */
	setup_span(100, false);
	assert_int_equal(num_largest_free(&pa, 1, &start), 0);
	assert_int_equal(num_largest_free(&pa, 1, NULL), 0);
}

/* ---- random workload against a reference model ---- */

static u64 rng_state;

static u64 rng(void)
{
	/* xorshift64: fixed seed, reproducible on every host. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The model's pfn-based alignment must agree with palloc's. */
static bool model_aligned(u64 idx, u64 align)
{
	return ((BASE / PAGE_SIZE + idx) & (align - 1)) == 0;
}

static bool model_run_fits(const u8 *used, u64 n, u64 npages, u64 align)
{
	for (u64 s = 0; s + npages <= n; s++) {
		u64 k;

		if (!model_aligned(s, align))
			continue;
		for (k = 0; k < npages && !used[s + k]; k++)
			;
		if (k == npages)
			return true;
	}
	return false;
}

static u64 model_largest(const u8 *used, u64 n, u64 align)
{
	u64 best = 0;

	for (u64 s = 0; s < n; s++) {
		u64 k;

		if (used[s] || !model_aligned(s, align))
			continue;
		for (k = 0; s + k < n && !used[s + k]; k++)
			;
		best = MAX(best, k);
	}
	return best;
}

struct block {
	u64 addr;
	u64 npages;
};

static void test_random_alloc_free_matches_reference_model(void **state)
{
	enum { N = 3000, MAXBLK = 4000, STEPS = 20000 };
	static u8 used[N];
	static struct block blocks[MAXBLK];
	int nblocks = 0, nfailed = 0, nfreed = 0;
	u64 model_free = N;

	rng_state = 0x9e3779b97f4a7c15ULL;
	setup_span(N, true);
	memset(used, 0, sizeof(used));
	for (int step = 0; step < STEPS; step++) {
		u64 r = rng();

		if ((r & 1) && nblocks < MAXBLK) {
			static const u64 aligns[] = { 1, 1, 1, 2, 8, 64, 512 };
			u64 align = aligns[(r >> 8) % ARRAY_SIZE(aligns)];
			u64 npages = (r >> 16) % 8 == 0 ? 1 + (r >> 24) % 600 : 1 + (r >> 24) % 4;
			u64 out;
			int rc = num_alloc(&pa, npages, align, &out);

			if (rc) {
				assert_int_equal(rc, -ENOMEM);
				nfailed++;
				/* First fit must not miss a run the model has. */
				assert_false(model_run_fits(used, N, npages, align));
			} else {
				u64 idx = (out - BASE) / PAGE_SIZE;

				assert_true(idx + npages <= N);
				assert_true(model_aligned(idx, align));
				for (u64 k = 0; k < npages; k++) {
					assert_false(used[idx + k]);
					used[idx + k] = 1;
				}
				model_free -= npages;
				blocks[nblocks++] = (struct block){ out, npages };
			}
		} else if (nblocks) {
			int b = (r >> 8) % nblocks;
			u64 idx = (blocks[b].addr - BASE) / PAGE_SIZE;

			/* A length running into a free page is refused, whole. */
			if (idx + blocks[b].npages < N && !used[idx + blocks[b].npages]) {
				assert_int_equal(num_free(&pa, blocks[b].addr, blocks[b].npages + 1),
						 -EINVAL);
				assert_int_equal(palloc_free_count(&pa), model_free);
			}
			assert_int_equal(num_free(&pa, blocks[b].addr, blocks[b].npages), 0);
			assert_int_equal(num_free(&pa, blocks[b].addr, 1), -EINVAL);
			for (u64 k = 0; k < blocks[b].npages; k++)
				used[idx + k] = 0;
			model_free += blocks[b].npages;
			nfreed++;
			blocks[b] = blocks[--nblocks];
		}
		assert_int_equal(palloc_free_count(&pa), model_free);
		if (step % 500 == 0) {
			for (u64 i = 0; i < N; i++)
				assert_int_equal(num_is_free(&pa, PG(i)), !used[i]);
			assert_int_equal(num_largest_free(&pa, 1, NULL), model_largest(used, N, 1));
			assert_int_equal(num_largest_free(&pa, 64, NULL), model_largest(used, N, 64));
		}
	}
	for (u64 i = 0; i < N; i++)
		assert_int_equal(num_is_free(&pa, PG(i)), !used[i]);
	/* The workload must have reached both full memory and heavy churn. */
	print_message("  %d failed allocations, %d frees\n", nfailed, nfreed);
	assert_true(nfailed > 100);
	assert_true(nfreed > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_init_starts_with_every_page_used, teardown),
		cmocka_unit_test_teardown(test_add_free_counts_overlapping_banks_once, teardown),
		cmocka_unit_test_teardown(test_bad_ranges_are_refused_without_changes, teardown),
		cmocka_unit_test_teardown(test_reserve_marks_pages_used_and_refuses_busy_ranges,
					  teardown),
		cmocka_unit_test_teardown(test_reserve_force_counts_only_pages_that_were_free,
					  teardown),
		cmocka_unit_test_teardown(test_single_pages_run_out_after_exactly_the_free_count,
					  teardown),
		cmocka_unit_test_teardown(test_aligned_runs_start_on_their_alignment, teardown),
		cmocka_unit_test_teardown(test_alloc_rejects_bad_arguments, teardown),
		cmocka_unit_test_teardown(test_8gib_span_gives_a_2mib_aligned_512mib_run_then_pages,
					  teardown),
		cmocka_unit_test_teardown(test_freed_page_is_handed_out_again, teardown),
		cmocka_unit_test_teardown(test_double_free_is_refused_and_changes_nothing, teardown),
		cmocka_unit_test_teardown(test_pages_outside_the_span_are_never_free, teardown),
		cmocka_unit_test_teardown(test_largest_free_follows_fragmentation, teardown),
		cmocka_unit_test_teardown(test_random_alloc_free_matches_reference_model, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
