// SOURCES: tools/xenstore/nodeset.c
/* SPDX-License-Identifier: MIT */
/* Host tests of the ordered node set (a treap) that holds the XenStore tree and transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/xenstore/nodeset.h"

static struct xs_node *mknode(const char *path)
{
	struct xs_node *n = calloc(1, sizeof(*n));

	assert_non_null(n);
	n->path = strdup(path);
	assert_non_null(n->path);
	return n;
}

static void freenode(struct xs_node *n)
{
	free(n->path);
	free(n);
}

static int cmp_q(const void *a, const void *b)
{
	return xs_path_cmp(*(char *const *)a, *(char *const *)b);
}

/* Checks order, heap priorities and parent links under n; returns the height. */
static unsigned int check(const struct xs_node *n, const struct xs_node *up, size_t *count)
{
	unsigned int l, r;

	if (!n)
		return 0;
	assert_ptr_equal(n->up, up);
	if (up)
		assert_true(up->prio >= n->prio);
	if (n->left)
		assert_true(xs_path_cmp(n->left->path, n->path) < 0);
	if (n->right)
		assert_true(xs_path_cmp(n->right->path, n->path) > 0);
	++*count;
	l = check(n->left, n, count);
	r = check(n->right, n, count);
	return 1 + (l > r ? l : r);
}

static unsigned int check_set(const struct xs_nodeset *ns)
{
	size_t count = 0;
	unsigned int h = check(ns->root, NULL, &count);

	assert_int_equal(count, ns->n);
	return h;
}

static const struct {
	const char *a, *b;
	int sign;
} order_cases[] = {
	{ "/", "/a", -1 },
	{ "/a", "/a/b", -1 },
	{ "/a/b", "/a-b", -1 }, /* '/' before every other character: children stay together */
	{ "/a/z", "/a0", -1 },
	{ "/a", "/a", 0 },
	{ "/b", "/a/b", 1 },
};

static void test_path_order(void **state)
{
	for (size_t i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		int c = xs_path_cmp(order_cases[i].a, order_cases[i].b);

		assert_int_equal(c < 0 ? -1 : c > 0, order_cases[i].sign);
	}
}

/* Random inserts and removes against a plain sorted array of the same paths. */
static void test_matches_a_sorted_array(void **state)
{
	enum { N = 3000, ROUNDS = 20000 };
	struct xs_nodeset ns = { 0 };
	struct xs_node *nodes[N] = { 0 };
	char *want[N];
	unsigned int seed = 12345;

	for (int r = 0; r < ROUNDS; r++) {
		int i = (int)((seed = seed * 1103515245 + 12345) >> 8) % N;
		char p[32];

		snprintf(p, sizeof(p), "/d/%d/%d", i % 17, i);
		if (nodes[i]) {
			assert_ptr_equal(ns_get(&ns, p), nodes[i]);
			ns_remove(&ns, nodes[i]);
			assert_null(ns_get(&ns, p));
			freenode(nodes[i]);
			nodes[i] = NULL;
		} else {
			assert_null(ns_get(&ns, p));
			nodes[i] = mknode(p);
			ns_insert(&ns, nodes[i]);
		}
		if (r % 1000 == 0)
			check_set(&ns);
	}
	check_set(&ns);
	/* In-order walk = the sorted array. */
	size_t k = 0;

	for (int i = 0; i < N; i++)
		if (nodes[i])
			want[k++] = nodes[i]->path;
	qsort(want, k, sizeof(*want), cmp_q);
	assert_int_equal(ns.n, k);
	size_t j = 0;

	for (struct xs_node *x = ns_first(&ns); x; x = ns_next(x))
		assert_string_equal(x->path, want[j++]);
	assert_int_equal(j, k);
	/* ceil: the first at or after a path, present or not. */
	for (size_t q = 0; q + 1 < k; q++) {
		assert_string_equal(ns_ceil(&ns, want[q])->path, want[q]);
		char between[64];

		snprintf(between, sizeof(between), "%s!", want[q]); /* '!' sorts after '/' */
		if (xs_path_cmp(between, want[q + 1]) < 0)
			assert_string_equal(ns_ceil(&ns, between)->path, want[q + 1]);
	}
	assert_null(ns_ceil(&ns, "/e"));
	ns_drain(&ns, freenode);
	assert_null(ns.root);
	assert_int_equal(ns.n, 0);
}

/* Paths in sorted order (what a guest writing k0, k1, ... sends) still make a shallow tree. */
static void test_sorted_inserts_stay_shallow(void **state)
{
	enum { N = 100000 };
	struct xs_nodeset ns = { 0 };
	unsigned int h;

	for (int i = 0; i < N; i++) {
		char p[32];

		snprintf(p, sizeof(p), "/k/%08d", i);
		ns_insert(&ns, mknode(p));
	}
	h = check_set(&ns);
	/* log2(100000) is 17; a treap's expected height is under 3 log2 n. */
	assert_true(h < 60);
	/* Removing in order too. */
	for (int i = 0; i < N / 2; i++) {
		struct xs_node *x = ns_first(&ns);

		ns_remove(&ns, x);
		freenode(x);
	}
	assert_true(check_set(&ns) < 60);
	ns_drain(&ns, freenode);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_order),
		cmocka_unit_test(test_matches_a_sorted_array),
		cmocka_unit_test(test_sorted_inserts_stay_shallow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
