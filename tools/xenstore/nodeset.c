/* SPDX-License-Identifier: MIT */
/* An ordered set of XenStore nodes by path: a treap with parent links (see nodeset.h). */
#include <string.h>

#include "nodeset.h"

int xs_path_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = *a == '/' ? 1 : (unsigned char)*a;
		int cb = *b == '/' ? 1 : (unsigned char)*b;

		if (ca != cb || !ca)
			return ca - cb;
	}
}

struct xs_node *ns_get(const struct xs_nodeset *ns, const char *path)
{
	struct xs_node *n = ns->root;

	while (n) {
		int c = xs_path_cmp(path, n->path);

		if (!c)
			return n;
		n = c < 0 ? n->left : n->right;
	}
	return NULL;
}

struct xs_node *ns_ceil(const struct xs_nodeset *ns, const char *path)
{
	struct xs_node *n = ns->root, *best = NULL;

	while (n) {
		if (xs_path_cmp(n->path, path) >= 0) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

static struct xs_node *leftmost(struct xs_node *n)
{
	while (n && n->left)
		n = n->left;
	return n;
}

struct xs_node *ns_first(const struct xs_nodeset *ns)
{
	return leftmost(ns->root);
}

struct xs_node *ns_next(const struct xs_node *n)
{
	if (n->right)
		return leftmost(n->right);
	while (n->up && n->up->right == n)
		n = n->up;
	return n->up;
}

/* x takes its parent's place; the parent becomes x's child. Order is kept. */
static void rotate_up(struct xs_nodeset *ns, struct xs_node *x)
{
	struct xs_node *p = x->up, *g = p->up;

	if (p->left == x) {
		p->left = x->right;
		if (p->left)
			p->left->up = p;
		x->right = p;
	} else {
		p->right = x->left;
		if (p->right)
			p->right->up = p;
		x->left = p;
	}
	p->up = x;
	x->up = g;
	if (!g)
		ns->root = x;
	else if (g->left == p)
		g->left = x;
	else
		g->right = x;
}

/* xorshift32: priorities only need to be independent of the paths. */
static uint32_t next_prio(struct xs_nodeset *ns)
{
	uint32_t x = ns->seed ? ns->seed : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	ns->seed = x;
	return x;
}

void ns_insert(struct xs_nodeset *ns, struct xs_node *n)
{
	struct xs_node **link = &ns->root, *up = NULL;

	while (*link) {
		up = *link;
		link = xs_path_cmp(n->path, up->path) < 0 ? &up->left : &up->right;
	}
	n->left = n->right = NULL;
	n->up = up;
	n->prio = next_prio(ns);
	*link = n;
	while (n->up && n->up->prio < n->prio)
		rotate_up(ns, n);
	ns->n++;
}

void ns_remove(struct xs_nodeset *ns, struct xs_node *n)
{
	/* Sink n to a leaf, raising its higher-priority child each time, then cut it off. */
	while (n->left || n->right) {
		struct xs_node *c = !n->right ? n->left : !n->left ? n->right :
				    n->left->prio > n->right->prio ? n->left : n->right;

		rotate_up(ns, c);
	}
	if (!n->up)
		ns->root = NULL;
	else if (n->up->left == n)
		n->up->left = NULL;
	else
		n->up->right = NULL;
	n->up = NULL;
	ns->n--;
}

void ns_drain(struct xs_nodeset *ns, void (*fn)(struct xs_node *))
{
	struct xs_node *n = ns->root;

	/* Post-order without a stack: a node goes once both its subtrees are gone. */
	while (n) {
		if (n->left) {
			n = n->left;
		} else if (n->right) {
			n = n->right;
		} else {
			struct xs_node *up = n->up;

			if (up) {
				if (up->left == n)
					up->left = NULL;
				else
					up->right = NULL;
			}
			fn(n);
			n = up;
		}
	}
	ns->root = NULL;
	ns->n = 0;
}
