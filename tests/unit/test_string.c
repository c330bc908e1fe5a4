// SOURCES:
/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's own memcpy, memmove and memset (hyp/lib/string.c), built
 * here under other names beside the C library's, checked byte for byte
 * against a plain reference at every alignment and length that takes a
 * different path through them, with guard bytes either side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define memcpy domus_memcpy
#define memmove domus_memmove
#define memset domus_memset
#define memcmp domus_memcmp
#define strlen domus_strlen
#define strnlen domus_strnlen
#define strcmp domus_strcmp
#define strncmp domus_strncmp
#define strchr domus_strchr
#include "../../hyp/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr

#define GUARD 64
#define BUF (4096 + 2 * GUARD)

static unsigned char src[BUF], dst[BUF], want[BUF];

static void fill(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 131 + seed * 7 + (i >> 8));
}

static void test_memcpy_copies_every_alignment_and_length_and_nothing_else(void **state)
{
	for (size_t so = 0; so < 16; so++)
		for (size_t dof = 0; dof < 16; dof++)
			for (size_t n = 0; n < 300; n += n < 80 ? 1 : 13) {
				fill(src, BUF, (unsigned)(so + n));
				fill(dst, BUF, 99);
				memcpy(want, dst, BUF);
				memcpy(want + GUARD + dof, src + GUARD + so, n);
				assert_ptr_equal(domus_memcpy(dst + GUARD + dof, src + GUARD + so, n),
						 dst + GUARD + dof);
				assert_memory_equal(dst, want, BUF);
			}
}

static void test_memcpy_of_a_large_aligned_block_with_a_ragged_tail(void **state)
{
	size_t n = (1 << 20) + 13;
	unsigned char *s = malloc(n + 64), *d = malloc(n + 64);

	assert_non_null(s);
	assert_non_null(d);
	fill(s, n + 64, 5);
	memset(d, 0xa5, n + 64);
	domus_memcpy(d, s, n);
	assert_memory_equal(d, s, n);
	for (size_t i = n; i < n + 64; i++)
		assert_int_equal(d[i], 0xa5);
	free(s);
	free(d);
}

static void test_memmove_handles_overlap_in_both_directions(void **state)
{
	for (size_t from = GUARD; from < GUARD + 80; from += 3)
		for (size_t to = GUARD; to < GUARD + 80; to += 5)
			for (size_t n = 0; n < 200; n += 7) {
				fill(dst, BUF, (unsigned)n);
				memcpy(want, dst, BUF);
				memmove(want + to, want + from, n);
				domus_memmove(dst + to, dst + from, n);
				assert_memory_equal(dst, want, BUF);
			}
}

static void test_memset_sets_every_alignment_and_length_and_nothing_else(void **state)
{
	for (size_t o = 0; o < 16; o++)
		for (size_t n = 0; n < 200; n++)
			for (int c = 0; c < 2; c++) {
				fill(dst, BUF, (unsigned)(o + n));
				memcpy(want, dst, BUF);
				memset(want + GUARD + o, c ? 0x5a : 0, n);
				domus_memset(dst + GUARD + o, c ? 0x5a : 0, n);
				assert_memory_equal(dst, want, BUF);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy_copies_every_alignment_and_length_and_nothing_else),
		cmocka_unit_test(test_memcpy_of_a_large_aligned_block_with_a_ragged_tail),
		cmocka_unit_test(test_memmove_handles_overlap_in_both_directions),
		cmocka_unit_test(test_memset_sets_every_alignment_and_length_and_nothing_else),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
