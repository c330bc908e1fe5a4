/* SPDX-License-Identifier: MIT */
/* XenStore nodes and the ordered sets that hold them: the tree, and each transaction's overlay. */
#ifndef DOMUS_XS_NODESET_H
#define DOMUS_XS_NODESET_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct xs_perm {
	xs_domid_t id;
	uint8_t access; /* PERM_R | PERM_W (store.c) */
};

struct xs_node {
	char *path;
	uint8_t *val;
	size_t len;
	struct xs_perm *perms; /* [0] is the owner, with everyone else's access */
	unsigned int nperms;
	uint64_t gen; /* in the tree: changes on every write, set_perms, child added/removed */
	uint64_t gen_seen; /* in an overlay: the tree's gen when first touched, 0 = absent */
	int state; /* in an overlay: TX_* (store.c) */
	uint8_t changed; /* in an overlay: the watch events it holds for commit, CH_* (store.c) */
	/* Links within the one set that holds the node. */
	struct xs_node *left, *right, *up;
	uint32_t prio;
};

/*
 * A set of nodes ordered by path, where '/' sorts before every other
 * character, so that a node's descendants follow it without a gap:
 *
 *     /  /local  /local/domain  /local/domain/1  /local/domain/1/name  /local-x ...
 *
 * It is a treap: a binary search tree by path that is also a heap by a
 * random priority, which keeps it about 2 log2(n) deep whatever order the
 * paths come in (a guest chooses its paths, not the priorities). Lookup,
 * insert and remove are O(log n); nothing here allocates.
 */
struct xs_nodeset {
	struct xs_node *root;
	size_t n;
	uint32_t seed;
};

int xs_path_cmp(const char *a, const char *b);

struct xs_node *ns_get(const struct xs_nodeset *ns, const char *path);
/* The first node whose path sorts at or after path, or NULL. */
struct xs_node *ns_ceil(const struct xs_nodeset *ns, const char *path);
struct xs_node *ns_first(const struct xs_nodeset *ns);
/* The node after n in path order, or NULL. */
struct xs_node *ns_next(const struct xs_node *n);
/* n's path must not be in the set yet. */
void ns_insert(struct xs_nodeset *ns, struct xs_node *n);
void ns_remove(struct xs_nodeset *ns, struct xs_node *n);
/* Empties the set, handing each node to fn (which may free it). */
void ns_drain(struct xs_nodeset *ns, void (*fn)(struct xs_node *));

#endif
