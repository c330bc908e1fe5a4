/* SPDX-License-Identifier: MIT */
/*
 * The XenStore tree, as our xenstored keeps it: pure logic, no I/O.
 *
 * The tree is one ordered set of nodes (nodeset.c), sorted by path so that
 * a node's descendants follow it: a recursive rm or a directory listing is
 * one walk from the node onwards.
 *
 * Every operation runs in a transaction. Outside a transaction the caller
 * gets a private one that commits at once; that is what makes a refused
 * operation leave the tree untouched. A transaction keeps its own ordered
 * set of the nodes it touched ("overlay"): read (remembering the node's
 * generation when first seen, 0 if absent), written (a full copy) or
 * deleted. Commit fails with -EAGAIN if any of them now has another
 * generation; otherwise the written copies move into the tree. Adding or
 * removing a child bumps the parent's generation too, so a transaction that
 * listed a directory conflicts with one that changed it.
 *
 * Watch events are recorded per operation in the transaction and queued for
 * the caller only after the commit succeeded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodeset.h"
#include "store.h"

#define XS_DOMID_MAX 0x7ff0 /* DOMID_FIRST_RESERVED: no real domain has a larger id */
#define PERM_R 1
#define PERM_W 2

enum { TX_READ, TX_WRITTEN, TX_DELETED };
enum { CH_NODE = 1, CH_SUBTREE = 2 }; /* xs_node.changed */

struct change {
	char *path;
	bool subtree; /* an rm: watches below the path fire too */
};

struct xs_tx {
	uint32_t id;
	xs_domid_t dom;
	uint32_t conn;
	struct xs_nodeset ov; /* the nodes it touched */
	struct change *ch;
	size_t nch, chcap;
	int node_delta; /* nodes dom gains at commit, for its quota */
	unsigned long owned; /* calls of tx_own: an op that failed after one left a part done */
	long mem; /* what its entries cost, charged to dom */
	bool failed; /* so commit refuses, as Xen's does (ENOMEM) */
	struct xs_tx *next;
};

struct watch {
	xs_domid_t dom;
	uint32_t conn;
	char *path; /* absolute, or "@..." */
	char *token;
	bool relative;
	struct watch *next;
};

struct event {
	xs_domid_t dom;
	uint32_t conn;
	char *path, *token;
	struct event *next;
};

/*
 * What a domain holds in the store. mem counts the bytes, near enough, of
 * the nodes it owns, its transactions' entries, its watches and the events
 * queued for them: Xen's quota-memory-per-domain, the one bound on all of
 * it together (paths, values and tokens are each bounded, their numbers
 * only by the other quotas, whose product is far too big).
 */
struct dom_acct {
	unsigned int nodes, watches, txs;
	long mem;
	unsigned long events_dropped;
};

struct xs_store {
	struct xs_nodeset tree;
	uint64_t gen;
	uint32_t next_tx;
	struct xs_tx *txs;
	struct watch *watches;
	struct event *ev_head, **ev_tail;
	struct dom_acct *acct; /* [XS_DOMID_MAX]: indexed, so counting never fails */
	struct xs_quota q;
};

/* ---- paths ---- */

static int path_cmp_q(const void *a, const void *b)
{
	return xs_path_cmp(*(char *const *)a, *(char *const *)b);
}

/* path is strictly below anc. */
static bool is_below(const char *path, const char *anc)
{
	size_t la = strlen(anc);

	if (la == 1)
		return path[1] != 0;
	return !strncmp(path, anc, la) && path[la] == '/';
}

static bool is_child(const char *path, const char *parent)
{
	return is_below(path, parent) && !strchr(path + strlen(parent) + 1, '/');
}

/* The parent of path ("/" has none) into out. */
static void parent_of(const char *path, char *out)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == path ? 1 : (size_t)(slash - path);

	memmove(out, path, n); /* out may be path */
	out[n] = 0;
}

bool xs_path_valid(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/' || n > XS_ABS_PATH_MAX || (n > 1 && p[n - 1] == '/'))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = p[i];

		if (c == '/' && p[i - 1] == '/')
			return false;
		/* Xen's set: no '.', whatever else a guest might like */
		if (c != '/' && c != '-' && c != '_' && c != '@' &&
		    !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

int xs_canonical(xs_domid_t domid, const char *path, char out[XS_ABS_PATH_MAX + 1])
{
	size_t n = path ? strlen(path) : 0;

	if (!n)
		return -EINVAL;
	if (path[0] == '/') {
		if (n > XS_ABS_PATH_MAX)
			return -EINVAL;
		memcpy(out, path, n + 1);
	} else {
		if (n > XS_REL_PATH_MAX)
			return -EINVAL;
		snprintf(out, XS_ABS_PATH_MAX + 1, "/local/domain/%u/%s", domid, path);
	}
	return xs_path_valid(out) ? 0 : -EINVAL;
}

/* ---- nodes ---- */

static struct xs_node *node_new(const char *path)
{
	struct xs_node *n = calloc(1, sizeof(*n));

	if (n && !(n->path = strdup(path))) {
		free(n);
		return NULL;
	}
	return n;
}

static void node_clear(struct xs_node *n)
{
	free(n->val);
	free(n->perms);
	n->val = NULL;
	n->perms = NULL;
	n->len = n->nperms = 0;
}

static void node_free(struct xs_node *n)
{
	if (!n)
		return;
	node_clear(n);
	free(n->path);
	free(n);
}

/* Replaces n's value and permissions with copies. */
static int node_set(struct xs_node *n, const void *val, size_t len, const struct xs_perm *p,
		    unsigned int np)
{
	uint8_t *v = malloc(len ? len : 1);
	struct xs_perm *pc = malloc(np * sizeof(*p));

	if (!v || !pc) {
		free(v);
		free(pc);
		return -ENOMEM;
	}
	memcpy(v, val, len);
	memcpy(pc, p, np * sizeof(*p));
	node_clear(n);
	n->val = v;
	n->len = len;
	n->perms = pc;
	n->nperms = np;
	return 0;
}

/* What n costs its domain's memory quota. */
static long node_mem(const struct xs_node *n)
{
	return (long)(sizeof(*n) + strlen(n->path) + 1 + n->len + n->nperms * sizeof(*n->perms));
}

/* A node in the tree is charged to its owner. */
static void tree_charge(struct xs_store *s, const struct xs_node *n, int sign)
{
	s->acct[n->perms[0].id].mem += sign * node_mem(n);
}

/* A transaction's entries are charged to its domain; before is e's cost before a change. */
static void tx_charge(struct xs_store *s, struct xs_tx *t, const struct xs_node *e, long before)
{
	long d = node_mem(e) - before;

	t->mem += d;
	s->acct[t->dom].mem += d;
}

static struct xs_node *tree_get(struct xs_store *s, const char *path)
{
	return ns_get(&s->tree, path);
}

static unsigned int access_of(const struct xs_node *n, xs_domid_t dom)
{
	if (dom == 0 || n->perms[0].id == dom)
		return PERM_R | PERM_W;
	for (unsigned int i = 1; i < n->nperms; i++)
		if (n->perms[i].id == dom)
			return n->perms[i].access;
	return n->perms[0].access;
}

/* ---- the transaction's view ---- */

/* t's record of path, made (as "read") on first touch. */
static int tx_entry(struct xs_store *s, struct xs_tx *t, const char *path, struct xs_node **out)
{
	struct xs_node *e = ns_get(&t->ov, path), *m;

	if (e) {
		*out = e;
		return 0;
	}
	/*
	 * A guest's transaction may touch only so many nodes (Xen's
	 * quota-nodes-per-transaction): each is remembered until the end. The
	 * private transaction of a single request is not held to it.
	 */
	if (t->id && t->dom && t->ov.n >= s->q.trans_nodes)
		return -ENOSPC;
	e = node_new(path);
	if (!e)
		return -ENOMEM;
	m = tree_get(s, path);
	e->gen_seen = m ? m->gen : 0;
	e->state = TX_READ;
	ns_insert(&t->ov, e);
	tx_charge(s, t, e, 0);
	*out = e;
	return 0;
}

/*
 * The node at path as t sees it, or NULL.
 *
 * A node t finds is remembered (with its generation) so that commit can
 * tell whether someone changed it since. A node t finds absent is not: it
 * can only appear by becoming a child of its nearest ancestor that exists,
 * which bumps that ancestor's generation, so t remembers that ancestor
 * instead. However many absent paths a guest asks about, they cost t at
 * most one entry per existing node. (The price: a transaction that looked
 * for an absent node conflicts with any other change to that ancestor, a
 * retry Xen's clients are written for.)
 */
static int view_get(struct xs_store *s, struct xs_tx *t, const char *path, struct xs_node **out)
{
	char p[XS_ABS_PATH_MAX + 1];
	struct xs_node *e = ns_get(&t->ov, path);

	if (e) {
		*out = e->state == TX_READ ? tree_get(s, path) : e->state == TX_WRITTEN ? e : NULL;
		return 0;
	}
	*out = tree_get(s, path);
	if (*out)
		return tx_entry(s, t, path, &e);
	/*
	 * Up to an ancestor t knows already (whose entry guards it, whatever its
	 * state) or one in the tree; "/" is always there.
	 */
	strcpy(p, path);
	do {
		parent_of(p, p);
		if (ns_get(&t->ov, p))
			return 0;
	} while (!tree_get(s, p));
	return tx_entry(s, t, p, &e);
}

/* t's own copy of path, to change; an invisible node comes back empty for the caller to fill. */
static int tx_own(struct xs_store *s, struct xs_tx *t, const char *path, struct xs_node **out)
{
	struct xs_node *e, *cur;
	int rc = tx_entry(s, t, path, &e);

	if (rc)
		return rc;
	if (e->state == TX_READ) {
		long before = node_mem(e);

		cur = tree_get(s, path);
		if (cur && node_set(e, cur->val, cur->len, cur->perms, cur->nperms))
			return -ENOMEM;
		tx_charge(s, t, e, before);
	}
	t->owned++;
	e->state = TX_WRITTEN;
	*out = e;
	return 0;
}

/*
 * Records that path changed (with everything below it if subtree), for the
 * watches to hear at commit, once per path and kind. The op has t's own copy
 * of path by now, which remembers what was recorded: no search of the list.
 */
static int tx_change(struct xs_tx *t, const char *path, bool subtree)
{
	struct xs_node *e = ns_get(&t->ov, path);
	uint8_t kind = subtree ? CH_SUBTREE : CH_NODE;
	struct change *c;

	if (e && (e->changed & kind))
		return 0;
	if (t->nch == t->chcap) {
		size_t cap = t->chcap ? 2 * t->chcap : 8;

		if (!(c = realloc(t->ch, cap * sizeof(*c))))
			return -ENOMEM;
		t->ch = c;
		t->chcap = cap;
	}
	if (!(t->ch[t->nch].path = strdup(path)))
		return -ENOMEM;
	t->ch[t->nch++].subtree = subtree;
	if (e)
		e->changed |= kind;
	return 0;
}

/* The visible paths below abs (only children if direct), sorted, each to be freed. */
static int collect(struct xs_store *s, struct xs_tx *t, const char *abs, bool direct,
		   char ***out, size_t *count)
{
	const struct xs_nodeset *sets[2] = { &s->tree, &t->ov };
	char **v = NULL, **nv;
	size_t n = 0, k = 0, cap = 0;
	int rc = 0;

	for (int j = 0; j < 2; j++) {
		struct xs_node *x = ns_ceil(sets[j], abs);

		if (x && !strcmp(x->path, abs))
			x = ns_next(x);
		for (; x && is_below(x->path, abs); x = ns_next(x)) {
			if (direct && !is_child(x->path, abs))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				if (!(nv = realloc(v, cap * sizeof(*v)))) {
					rc = -ENOMEM;
					goto out;
				}
				v = nv;
			}
			if (!(v[n] = strdup(x->path))) {
				rc = -ENOMEM;
				goto out;
			}
			n++;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), path_cmp_q);
	for (size_t i = 0; i < n; i++) {
		struct xs_node *node;

		if (k && !strcmp(v[k - 1], v[i])) {
			free(v[i]);
			continue;
		}
		if ((rc = view_get(s, t, v[i], &node))) {
			/* v[k..i) were moved down or freed already */
			memmove(&v[k], &v[i], (n - i) * sizeof(*v));
			n = k + n - i;
			goto out;
		}
		if (node)
			v[k++] = v[i];
		else
			free(v[i]);
	}
	*out = v;
	*count = k;
	return 0;
out:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return rc;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- operations, inside a transaction ---- */

struct args {
	const void *in;
	size_t len;
	void *out;
	size_t cap;
};

/*
 * Makes abs and its missing parents in t. They take the permissions of the
 * nearest existing ancestor, on which the caller needs write access; a domU
 * becomes the owner of what it creates, as in Xen.
 */
static int create(struct xs_store *s, struct xs_tx *t, xs_domid_t dom, const char *abs)
{
	char p[XS_ABS_PATH_MAX + 1];
	struct xs_node *anc = NULL, *e;
	struct xs_perm *perms;
	unsigned int missing = 0, np;
	size_t i;
	int rc;

	strcpy(p, abs);
	while (!anc) {
		char *slash = strrchr(p, '/');

		slash[slash == p] = 0;
		missing++;
		if ((rc = view_get(s, t, p, &anc)))
			return rc;
	}
	if (!(access_of(anc, dom) & PERM_W))
		return -EACCES;
	if (dom && (long)s->acct[dom].nodes + t->node_delta + missing > (long)s->q.nodes)
		return -ENOSPC;
	np = anc->nperms;
	perms = malloc(np * sizeof(*perms));
	if (!perms)
		return -ENOMEM;
	memcpy(perms, anc->perms, np * sizeof(*perms));
	if (dom)
		perms[0].id = dom;
	/* Each missing level in turn, from the ancestor down to abs. */
	for (i = strlen(p) == 1 ? 1 : strlen(p) + 1; !rc; i++) {
		size_t end = i + strcspn(abs + i, "/");

		memcpy(p, abs, end);
		p[end] = 0;
		rc = tx_own(s, t, p, &e);
		if (!rc) {
			long before = node_mem(e);

			rc = node_set(e, "", 0, perms, np);
			tx_charge(s, t, e, before);
		}
		if (!abs[end])
			break;
		i = end;
	}
	free(perms);
	if (!rc && dom)
		t->node_delta += missing;
	return rc;
}

/* The node at abs as t sees it, if dom may read it: 0, -ENOENT or -EACCES. */
static int view_get_readable(struct xs_store *s, struct xs_tx *t, const char *abs, xs_domid_t dom,
			     struct xs_node **n)
{
	int rc = view_get(s, t, abs, n);

	if (rc)
		return rc;
	if (!*n)
		return -ENOENT;
	return access_of(*n, dom) & PERM_R ? 0 : -EACCES;
}

static int op_read(struct xs_store *s, struct xs_tx *t, xs_domid_t dom, const char *abs,
		   struct args *a)
{
	struct xs_node *n;
	int rc = view_get_readable(s, t, abs, dom, &n);

	if (rc)
		return rc;
	if (n->len > a->cap)
		return -E2BIG;
	memcpy(a->out, n->val, n->len);
	return (int)n->len;
}

static int op_write(struct xs_store *s, struct xs_tx *t, xs_domid_t dom, const char *abs,
		    struct args *a)
{
	struct xs_node *n;
	uint8_t *v;
	long before;
	int rc;

	if (a->len > XS_VALUE_MAX)
		return -E2BIG;
	if (dom && a->len > s->q.value_size)
		return -ENOSPC; /* Xen's quota-maxsize answer */
	if ((rc = view_get(s, t, abs, &n)))
		return rc;
	if (n && !(access_of(n, dom) & PERM_W))
		return -EACCES;
	if (!n && (rc = create(s, t, dom, abs)))
		return rc;
	if ((rc = tx_own(s, t, abs, &n)))
		return rc;
	v = malloc(a->len ? a->len : 1);
	if (!v)
		return -ENOMEM;
	before = node_mem(n);
	memcpy(v, a->in, a->len);
	free(n->val);
	n->val = v;
	n->len = a->len;
	tx_charge(s, t, n, before);
	return tx_change(t, abs, false);
}

static int op_mkdir(struct xs_store *s, struct xs_tx *t, xs_domid_t dom, const char *abs,
		    struct args *a)
{
	struct xs_node *n;
	int rc = view_get(s, t, abs, &n);

	(void)a;
	if (rc)
		return rc;
	if (n) /* not an error in Xen, but still only for writers */
		return access_of(n, dom) & PERM_W ? 0 : -EACCES;
	if ((rc = create(s, t, dom, abs)))
		return rc;
	return tx_change(t, abs, false);
}

static int op_rm(struct xs_store *s, struct xs_tx *t, xs_domid_t dom, const char *abs,
		 struct args *a)
{
	char parent[XS_ABS_PATH_MAX + 1];
	struct xs_node *n, *e;
	char **below;
	size_t nb;
	int rc, gone = 0;

	(void)a;
	if (!strcmp(abs, "/"))
		return -EINVAL;
	if ((rc = view_get(s, t, abs, &n)))
		return rc;
	if (!n) {
		/* Xen: gone already is fine, as long as the parent is there */
		parent_of(abs, parent);
		if ((rc = view_get(s, t, parent, &n)))
			return rc;
		return n ? 0 : -ENOENT;
	}
	if (!(access_of(n, dom) & PERM_W))
		return -EACCES;
	if ((rc = collect(s, t, abs, false, &below, &nb)))
		return rc;
	for (size_t i = 0; i <= nb && !rc; i++) {
		const char *p = i < nb ? below[i] : abs;

		if (!(rc = tx_own(s, t, p, &e))) {
			long before = node_mem(e);

			gone += e->nperms && e->perms[0].id == dom;
			node_clear(e);
			tx_charge(s, t, e, before);
			e->state = TX_DELETED;
		}
	}
	free_list(below, nb);
	if (dom)
		t->node_delta -= gone;
	return rc ? rc : tx_change(t, abs, true);
}

static int op_directory(struct xs_store *s, struct xs_tx *t, xs_domid_t dom, const char *abs,
			struct args *a)
{
	struct xs_node *n;
	char **kids;
	size_t nk, used = 0, skip = strlen(abs) == 1 ? 1 : strlen(abs) + 1;
	int rc = view_get_readable(s, t, abs, dom, &n);

	if (rc)
		return rc;
	if ((rc = collect(s, t, abs, true, &kids, &nk)))
		return rc;
	for (size_t i = 0; i < nk && !rc; i++) {
		size_t l = strlen(kids[i] + skip) + 1;

		if (used + l > a->cap)
			rc = -E2BIG;
		else
			memcpy((char *)a->out + used, kids[i] + skip, l);
		used += l;
	}
	free_list(kids, nk);
	return rc ? rc : (int)used;
}

static int op_get_perms(struct xs_store *s, struct xs_tx *t, xs_domid_t dom, const char *abs,
			struct args *a)
{
	static const char letter[] = "nrwb";
	struct xs_node *n;
	size_t used = 0;
	int rc = view_get_readable(s, t, abs, dom, &n);

	if (rc)
		return rc;
	for (unsigned int i = 0; i < n->nperms; i++) {
		int l = snprintf((char *)a->out + used, a->cap - used, "%c%u",
				 letter[n->perms[i].access], n->perms[i].id);

		if (used + l + 1 > a->cap)
			return -E2BIG;
		used += l + 1; /* keep the NUL */
	}
	return (int)used;
}

static int op_set_perms(struct xs_store *s, struct xs_tx *t, xs_domid_t dom, const char *abs,
			struct args *a)
{
	const char *in = a->in, *end = in + a->len;
	unsigned int np = 0, max = 0;
	struct xs_perm *p;
	struct xs_node *n;
	long before;
	int rc;

	/* "b3\0r0\0": as many as the message holds, the last NUL optional. */
	for (const char *c = in; c < end; c++)
		max += !*c;
	max += in < end && end[-1];
	if (!max)
		return -EINVAL;
	/* Xen's quota-permissions-per-node: 5 entries for a guest, counted before they are read. */
	if (dom && max > s->q.perms)
		return -ENOSPC;
	if (!(p = malloc(max * sizeof(*p))))
		return -ENOMEM;
	/* Decode all of it first. */
	for (rc = -EINVAL; in < end;) {
		const char *at = strchr("nrwb", *in), *d = in + 1;
		unsigned long id = 0;

		if (!*in || !at || d >= end || *d < '0' || *d > '9')
			goto out;
		for (; d < end && *d >= '0' && *d <= '9'; d++)
			if ((id = id * 10 + (unsigned long)(*d - '0')) >= XS_DOMID_MAX)
				goto out;
		if (d < end && *d)
			goto out;
		p[np].id = (xs_domid_t)id;
		p[np++].access = (uint8_t)(at - "nrwb");
		in = d < end ? d + 1 : end;
	}
	if ((rc = view_get(s, t, abs, &n)))
		goto out;
	rc = -ENOENT;
	if (!n)
		goto out;
	/* Only the owner may (EACCES), and a domU may not give its node away (EPERM, as Xen). */
	rc = -EACCES;
	if (dom && n->perms[0].id != dom)
		goto out;
	rc = -EPERM;
	if (dom && p[0].id != dom)
		goto out;
	if ((rc = tx_own(s, t, abs, &n)))
		goto out;
	before = node_mem(n);
	if ((rc = node_set(n, n->val, n->len, p, np)))
		goto out;
	tx_charge(s, t, n, before);
	rc = tx_change(t, abs, false);
out:
	free(p);
	return rc;
}

/* ---- commit ---- */

static void tx_free(struct xs_store *s, struct xs_tx *t)
{
	s->acct[t->dom].mem -= t->mem;
	ns_drain(&t->ov, node_free);
	for (size_t i = 0; i < t->nch; i++)
		free(t->ch[i].path);
	free(t->ch);
}

static long event_mem(const char *path, const char *token)
{
	return (long)(sizeof(struct event) + strlen(path) + 1 + strlen(token) + 1);
}

static void event_free(struct xs_store *s, struct event *e)
{
	s->acct[e->dom].mem -= event_mem(e->path, e->token);
	free(e->path);
	free(e->token);
	free(e);
}

static void queue_event(struct xs_store *s, const struct watch *w, const char *abs)
{
	char home[32];
	struct event *ev;
	size_t hl = (size_t)snprintf(home, sizeof(home), "/local/domain/%u/", w->dom);
	long cost;

	if (w->relative && !strncmp(abs, home, hl))
		abs += hl;
	cost = event_mem(abs, w->token);
	/* A guest over its memory quota loses events, as Xen's does, rather than grow us. */
	if (w->dom && s->acct[w->dom].mem + cost > (long)s->q.memory) {
		s->acct[w->dom].events_dropped++;
		return;
	}
	ev = calloc(1, sizeof(*ev));
	if (!ev || !(ev->path = strdup(abs)) || !(ev->token = strdup(w->token))) {
		if (ev)
			free(ev->path);
		free(ev);
		return; /* out of memory: the event is lost, as a full ring would lose it */
	}
	s->acct[w->dom].mem += cost;
	ev->dom = w->dom;
	ev->conn = w->conn;
	*s->ev_tail = ev;
	s->ev_tail = &ev->next;
}

/* A watcher hears of a path only if it could read it, or what is left above it. */
static bool can_see(struct xs_store *s, xs_domid_t dom, const char *abs)
{
	char p[XS_ABS_PATH_MAX + 1];
	struct xs_node *n;

	if (!dom)
		return true;
	strcpy(p, abs);
	while (!(n = tree_get(s, p)))
		parent_of(p, p);
	return access_of(n, dom) & PERM_R;
}

static void fire(struct xs_store *s, const char *abs, bool subtree)
{
	for (struct watch *w = s->watches; w; w = w->next) {
		const char *report;

		if (w->path[0] == '@')
			continue;
		if (!strcmp(abs, w->path) || is_below(abs, w->path))
			report = abs;
		else if (subtree && is_below(w->path, abs))
			report = w->path; /* Xen reports the watch's own path here */
		else
			continue;
		if (can_see(s, w->dom, report))
			queue_event(s, w, report);
	}
}

static void bump_parent(struct xs_store *s, const char *path)
{
	char p[XS_ABS_PATH_MAX + 1];
	struct xs_node *n;

	parent_of(path, p);
	if ((n = tree_get(s, p)))
		n->gen = ++s->gen;
}

static int tx_commit(struct xs_store *s, struct xs_tx *t)
{
	struct xs_node *e, *next;
	long grow = 0; /* what dom's own nodes in the tree will cost more */

	for (e = ns_first(&t->ov); e; e = ns_next(e)) {
		struct xs_node *m = tree_get(s, e->path);

		if ((m ? m->gen : 0) != e->gen_seen)
			return -EAGAIN;
		if (e->state == TX_READ)
			continue;
		if (m && m->perms[0].id == t->dom)
			grow -= node_mem(m);
		if (e->state == TX_WRITTEN && e->perms[0].id == t->dom)
			grow += node_mem(e);
	}
	/* Its entries go as the nodes come: what counts is the tree after. */
	if (t->dom && grow > 0 && s->acct[t->dom].mem - t->mem + grow > (long)s->q.memory)
		return -ENOMEM;
	/*
	 * From here on nothing can fail: the tree's links live in the nodes.
	 * t's entries are as good as gone (tx_free follows): the events below
	 * should not find its domain's quota taken by them twice over.
	 */
	s->acct[t->dom].mem -= t->mem;
	t->mem = 0;
	/*
	 * Removals are announced against the tree as it was: a watcher that could
	 * read a node hears of its removal even if what is left above is closed to it.
	 */
	for (size_t i = 0; i < t->nch; i++)
		if (t->ch[i].subtree)
			fire(s, t->ch[i].path, true);
	/* In path order, so parents go in before their children. */
	for (e = ns_first(&t->ov); e; e = next) {
		struct xs_node *m;

		next = ns_next(e); /* before e can move to the tree */
		if (e->state == TX_READ)
			continue;
		m = tree_get(s, e->path);
		if (m) {
			s->acct[m->perms[0].id].nodes--;
			tree_charge(s, m, -1);
		}
		if (e->state == TX_DELETED) {
			if (m) {
				ns_remove(&s->tree, m);
				node_free(m);
				bump_parent(s, e->path);
			}
			continue;
		}
		s->acct[e->perms[0].id].nodes++;
		if (m) {
			struct xs_node tmp = *m;

			m->val = e->val;
			m->len = e->len;
			m->perms = e->perms;
			m->nperms = e->nperms;
			e->val = tmp.val;
			e->len = tmp.len;
			e->perms = tmp.perms;
			e->nperms = tmp.nperms;
			m->gen = ++s->gen;
			tree_charge(s, m, 1);
		} else {
			ns_remove(&t->ov, e);
			ns_insert(&s->tree, e);
			e->gen = ++s->gen;
			tree_charge(s, e, 1);
			bump_parent(s, e->path);
		}
	}
	for (size_t i = 0; i < t->nch; i++)
		if (!t->ch[i].subtree)
			fire(s, t->ch[i].path, false);
	return 0;
}

typedef int (*op_fn)(struct xs_store *, struct xs_tx *, xs_domid_t, const char *, struct args *);

/* Resolves the path and the transaction, runs op in it, and commits at once if it was not a real one. */
static int run(struct xs_store *s, xs_domid_t dom, uint32_t txid, const char *path, op_fn op,
	       struct args *a)
{
	char abs[XS_ABS_PATH_MAX + 1];
	struct xs_tx once = { .dom = dom }, *t = &once;
	unsigned long before;
	long mem;
	int rc, rc2;

	/* "@introduceDomain" and friends name events, not nodes */
	if (dom >= XS_DOMID_MAX || !path || path[0] == '@' || xs_canonical(dom, path, abs))
		return -EINVAL;
	if (txid) {
		for (t = s->txs; t && (t->id != txid || t->dom != dom); t = t->next)
			;
		if (!t)
			return -ENOENT;
		before = t->owned;
		mem = t->mem;
		rc = op(s, t, dom, abs, a);
		/* What the transaction holds counts at once: it may live long. */
		if (rc >= 0 && dom && t->mem > mem && s->acct[dom].mem > (long)s->q.memory)
			rc = -ENOMEM;
		/* A refusal half-way (a quota) cannot be undone in t: t may not commit. */
		if (rc < 0 && t->owned != before)
			t->failed = true;
		return rc;
	}
	rc = op(s, t, dom, abs, a);
	if (rc >= 0 && (rc2 = tx_commit(s, t)))
		rc = rc2;
	tx_free(s, t);
	return rc;
}

int xs_read(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path, void *val,
	    size_t cap)
{
	struct args a = { .out = val, .cap = cap };

	return run(s, dom, tx, path, op_read, &a);
}

int xs_write(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path, const void *val,
	     size_t len)
{
	struct args a = { .in = val, .len = len };

	return run(s, dom, tx, path, op_write, &a);
}

int xs_mkdir(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path)
{
	return run(s, dom, tx, path, op_mkdir, NULL);
}

int xs_rm(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path)
{
	return run(s, dom, tx, path, op_rm, NULL);
}

int xs_directory(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path, char *buf,
		 size_t cap)
{
	struct args a = { .out = buf, .cap = cap };

	return run(s, dom, tx, path, op_directory, &a);
}

int xs_get_perms(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path, char *buf,
		 size_t cap)
{
	struct args a = { .out = buf, .cap = cap };

	return run(s, dom, tx, path, op_get_perms, &a);
}

int xs_set_perms(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path,
		 const char *perms, size_t len)
{
	struct args a = { .in = perms, .len = len };

	return run(s, dom, tx, path, op_set_perms, &a);
}

/* ---- transactions, watches, domains ---- */

int xs_transaction_start(struct xs_store *s, xs_domid_t dom, uint32_t *id)
{
	return xs_transaction_start_conn(s, dom, dom, id);
}

int xs_transaction_start_conn(struct xs_store *s, xs_domid_t dom, uint32_t conn, uint32_t *id)
{
	struct xs_tx *t;

	if (dom >= XS_DOMID_MAX)
		return -EINVAL;
	/* Xen counts before this one (xenstored_transaction.c): the quota's worth, and one more. */
	if (dom && s->acct[dom].txs > s->q.transactions)
		return -ENOSPC;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	if (!s->next_tx)
		s->next_tx = 1; /* 0 means "no transaction" on the wire */
	t->id = *id = s->next_tx++;
	t->dom = dom;
	t->conn = conn;
	t->next = s->txs;
	s->txs = t;
	s->acct[dom].txs++;
	return 0;
}

bool xs_transaction_open(const struct xs_store *s, xs_domid_t dom, uint32_t id)
{
	for (const struct xs_tx *t = s->txs; t; t = t->next)
		if (t->id == id && t->dom == dom)
			return true;
	return false;
}

int xs_transaction_end(struct xs_store *s, xs_domid_t dom, uint32_t id, bool commit)
{
	struct xs_tx **pp, *t;
	int rc = 0;

	for (pp = &s->txs; *pp && ((*pp)->id != id || (*pp)->dom != dom); pp = &(*pp)->next)
		;
	if (!id || !(t = *pp))
		return -ENOENT;
	if (commit)
		rc = t->failed ? -ENOMEM : tx_commit(s, t);
	*pp = t->next;
	s->acct[dom].txs--;
	tx_free(s, t);
	free(t);
	return rc;
}

static long watch_mem(const char *path, const char *token)
{
	return (long)(sizeof(struct watch) + strlen(path) + 1 + strlen(token) + 1);
}

int xs_watch(struct xs_store *s, xs_domid_t dom, const char *path, const char *token)
{
	return xs_watch_conn(s, dom, dom, path, token);
}

int xs_watch_conn(struct xs_store *s, xs_domid_t dom, uint32_t conn, const char *path,
		  const char *token)
{
	char abs[XS_ABS_PATH_MAX + 1];
	struct watch *w, **pp;

	if (dom >= XS_DOMID_MAX || !path || !token || strlen(token) > XS_TOKEN_MAX)
		return -EINVAL;
	/* "@anything" may be watched; only what xs_fire_special names will fire */
	if (path[0] == '@' && strlen(path) <= XS_ABS_PATH_MAX)
		strcpy(abs, path);
	else if (xs_canonical(dom, path, abs))
		return -EINVAL;
	for (pp = &s->watches; *pp; pp = &(*pp)->next)
		if ((*pp)->conn == conn && !strcmp((*pp)->path, abs) && !strcmp((*pp)->token, token))
			return -EEXIST;
	/* Xen's answer past its watch quota, counted before this one (xenstored_watch.c). */
	if (dom && s->acct[dom].watches > s->q.watches)
		return -E2BIG;
	if (dom && s->acct[dom].mem + watch_mem(abs, token) > (long)s->q.memory)
		return -ENOMEM;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(abs)) || !(w->token = strdup(token))) {
		if (w)
			free(w->path);
		free(w);
		return -ENOMEM;
	}
	w->dom = dom;
	w->conn = conn;
	w->relative = path[0] != '/' && path[0] != '@';
	*pp = w; /* at the tail: events come out in registration order */
	s->acct[dom].watches++;
	s->acct[dom].mem += watch_mem(w->path, w->token);
	queue_event(s, w, abs);
	return 0;
}

static void watch_free(struct xs_store *s, struct watch **pp)
{
	struct watch *w = *pp;

	*pp = w->next;
	s->acct[w->dom].watches--;
	s->acct[w->dom].mem -= watch_mem(w->path, w->token);
	free(w->path);
	free(w->token);
	free(w);
}

int xs_unwatch(struct xs_store *s, xs_domid_t dom, const char *path, const char *token)
{
	return xs_unwatch_conn(s, dom, dom, path, token);
}

int xs_unwatch_conn(struct xs_store *s, xs_domid_t dom, uint32_t conn, const char *path,
		    const char *token)
{
	char abs[XS_ABS_PATH_MAX + 1];

	if (dom >= XS_DOMID_MAX || !path || !token)
		return -EINVAL;
	/* "@anything" may be watched; only what xs_fire_special names will fire */
	if (path[0] == '@' && strlen(path) <= XS_ABS_PATH_MAX)
		strcpy(abs, path);
	else if (xs_canonical(dom, path, abs))
		return -EINVAL;
	for (struct watch **pp = &s->watches; *pp; pp = &(*pp)->next) {
		if ((*pp)->conn == conn && !strcmp((*pp)->path, abs) && !strcmp((*pp)->token, token)) {
			watch_free(s, pp);
			return 0;
		}
	}
	return -ENOENT;
}

void xs_reset_watches(struct xs_store *s, uint32_t conn)
{
	for (struct watch **pp = &s->watches; *pp;) {
		if ((*pp)->conn == conn)
			watch_free(s, pp);
		else
			pp = &(*pp)->next;
	}
}

void xs_fire_special(struct xs_store *s, const char *name)
{
	/*
	 * Xen sends these to privileged domains and to those SET_PERMS let in;
	 * we have no permissions on special paths yet, so only dom0 hears them.
	 */
	for (struct watch *w = s->watches; w; w = w->next)
		if (w->dom == 0 && !strcmp(w->path, name))
			queue_event(s, w, name);
}

bool xs_next_event(struct xs_store *s, struct xs_event *ev)
{
	struct event *e = s->ev_head;

	if (!e)
		return false;
	ev->domid = e->dom;
	ev->conn = e->conn;
	snprintf(ev->path, sizeof(ev->path), "%s", e->path);
	snprintf(ev->token, sizeof(ev->token), "%s", e->token);
	s->ev_head = e->next;
	if (!s->ev_head)
		s->ev_tail = &s->ev_head;
	event_free(s, e);
	return true;
}

/* Drops the watches, transactions and undelivered events for which match() holds. */
static void release(struct xs_store *s, uint32_t key, bool by_conn)
{
#define MATCHES(x) ((by_conn ? (x)->conn : (x)->dom) == key)
	for (struct watch **pp = &s->watches; *pp;) {
		if (MATCHES(*pp))
			watch_free(s, pp);
		else
			pp = &(*pp)->next;
	}
	for (struct xs_tx **pp = &s->txs; *pp;) {
		struct xs_tx *t = *pp;

		if (!MATCHES(t)) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		s->acct[t->dom].txs--;
		tx_free(s, t);
		free(t);
	}
	/* Nobody is left to read what was queued for it. */
	s->ev_tail = &s->ev_head;
	for (struct event **pp = &s->ev_head; *pp;) {
		struct event *e = *pp;

		if (MATCHES(e)) {
			*pp = e->next;
			event_free(s, e);
		} else {
			pp = &e->next;
			s->ev_tail = pp;
		}
	}
#undef MATCHES
}

/* Takes dom out of n's permissions: its entries go, and if it owned n, dom0 does now. */
static bool forget_in(struct xs_node *n, xs_domid_t dom)
{
	unsigned int k = 1;
	bool changed = false;

	if (!n->nperms)
		return false;
	if (n->perms[0].id == dom) {
		n->perms[0].id = 0;
		changed = true;
	}
	for (unsigned int i = 1; i < n->nperms; i++) {
		if (n->perms[i].id == dom)
			changed = true;
		else
			n->perms[k++] = n->perms[i];
	}
	n->nperms = k;
	return changed;
}

/*
 * Domain ids come back: whatever a domain was given must not pass to the
 * next one with its id. As Xen's xenstored, every node it owned passes to
 * dom0 (Xen's --keep-orphans; by default Xen deletes them, but our toolstack
 * still reads and removes a guest's records after releasing it), and its
 * entries in other nodes' permissions go. A node changed so gets a new
 * generation: a transaction that read it will not commit on the old view.
 * Transactions still open hold copies to commit later; those are fixed too.
 */
static void forget_domain(struct xs_store *s, xs_domid_t dom)
{
	for (struct xs_node *n = ns_first(&s->tree); n; n = ns_next(n)) {
		bool owned = n->perms[0].id == dom;

		tree_charge(s, n, -1);
		if (forget_in(n, dom)) {
			n->gen = ++s->gen;
			if (owned) {
				s->acct[dom].nodes--;
				s->acct[0].nodes++;
			}
		}
		tree_charge(s, n, 1);
	}
	for (struct xs_tx *t = s->txs; t; t = t->next) {
		for (struct xs_node *e = ns_first(&t->ov); e; e = ns_next(e)) {
			long before = node_mem(e);

			if (e->state == TX_WRITTEN && forget_in(e, dom))
				tx_charge(s, t, e, before);
		}
	}
	s->acct[dom].events_dropped = 0;
}

void xs_release_domain(struct xs_store *s, xs_domid_t dom)
{
	if (dom >= XS_DOMID_MAX)
		return;
	release(s, dom, false);
	if (dom)
		forget_domain(s, dom);
}

void xs_release_conn(struct xs_store *s, uint32_t conn)
{
	release(s, conn, true);
}

int xs_conn_watches(const struct xs_store *s, uint32_t conn, char *buf, size_t cap)
{
	size_t len = 0;

	for (const struct watch *w = s->watches; w; w = w->next) {
		/* As registered: a relative one without its /local/domain/<id>/ prefix. */
		const char *path = w->relative ? strchr(w->path + strlen("/local/domain/"), '/') + 1
					       : w->path;
		size_t pl = strlen(path) + 1, tl = strlen(w->token) + 1;

		if (w->conn != conn)
			continue;
		if (len + pl + tl > cap)
			return -E2BIG;
		memcpy(buf + len, path, pl);
		memcpy(buf + len + pl, w->token, tl);
		len += pl + tl;
	}
	return (int)len;
}

bool xs_conn_busy(const struct xs_store *s, uint32_t conn)
{
	for (const struct xs_tx *t = s->txs; t; t = t->next)
		if (t->conn == conn)
			return true;
	for (const struct event *e = s->ev_head; e; e = e->next)
		if (e->conn == conn)
			return true;
	return false;
}

struct xs_store *xs_store_new(const struct xs_quota *q)
{
	static const struct xs_quota def = XS_QUOTA_DEFAULT;
	static const struct xs_perm root_perm = { 0, 0 }; /* "n0" */
	struct xs_store *s = calloc(1, sizeof(*s));
	struct xs_node *root = node_new("/");

	if (!s || !root || !(s->acct = calloc(XS_DOMID_MAX, sizeof(*s->acct))) ||
	    node_set(root, "", 0, &root_perm, 1)) {
		node_free(root);
		if (s)
			free(s->acct);
		free(s);
		return NULL;
	}
	ns_insert(&s->tree, root);
	root->gen = s->gen = 1;
	s->acct[0].nodes = 1;
	tree_charge(s, root, 1);
	s->q = q ? *q : def;
	s->next_tx = 1;
	s->ev_tail = &s->ev_head;
	return s;
}

void xs_store_free(struct xs_store *s)
{
	struct event *e;

	if (!s)
		return;
	for (uint32_t d = 0; d < XS_DOMID_MAX; d++)
		if (s->acct[d].watches || s->acct[d].txs)
			release(s, d, false);
	while ((e = s->ev_head)) {
		s->ev_head = e->next;
		event_free(s, e);
	}
	ns_drain(&s->tree, node_free);
	free(s->acct);
	free(s);
}

size_t xs_node_count(const struct xs_store *s)
{
	return s->tree.n;
}

unsigned int xs_domain_nodes(const struct xs_store *s, xs_domid_t dom)
{
	return dom < XS_DOMID_MAX ? s->acct[dom].nodes : 0;
}

size_t xs_domain_memory(const struct xs_store *s, xs_domid_t dom)
{
	return dom < XS_DOMID_MAX ? (size_t)s->acct[dom].mem : 0;
}

unsigned long xs_domain_events_dropped(const struct xs_store *s, xs_domid_t dom)
{
	return dom < XS_DOMID_MAX ? s->acct[dom].events_dropped : 0;
}
