/* SPDX-License-Identifier: MIT */
/*
 * A guest's own XenStore nodes (guestnodes.h): what Linux and the guest's
 * programs wrote under data/, control/feature-*, attr/ and the like. Linux
 * writes its control/feature-* nodes once, at boot; a restored, migrated or
 * cloned guest does not write them again, so the toolstack carries them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domstore.h"
#include "errmsg.h"
#include "guestnodes.h"
#include "savefile.h"
#include "xenstore/client.h"

/* Nodes one guest may carry: its xenstored quota is far below this. */
#define NODES_MAX 8192

struct walk {
	struct xsc *h;
	char *body;
	size_t len, cap;
	uint32_t count;
	size_t base; /* strlen("/local/domain/ID/") */
	int rc;
};

static int append(struct walk *w, const void *p, size_t n)
{
	if (w->len + n > SAVE_SMALL_MAX)
		return -E2BIG;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16384;
		char *b;

		while (cap < w->len + n)
			cap *= 2;
		b = realloc(w->body, cap);
		if (!b)
			return -ENOMEM;
		w->body = b;
		w->cap = cap;
	}
	memcpy(w->body + w->len, p, n);
	w->len += n;
	return 0;
}

/* Requests on their way at once: xenstored stops reading a connection whose replies pile up. */
#define PIPELINE 32

/* The nodes still to read, breadth first: those sent (their requests' ids) and those not yet. */
struct queue {
	char **path;
	uint32_t (*ids)[3];
	size_t n, cap, sent, done;
};

static int enqueue(struct queue *q, const char *path)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		char **p = realloc(q->path, cap * sizeof(*p));
		uint32_t(*ids)[3] = p ? realloc(q->ids, cap * sizeof(*ids)) : NULL;

		if (p)
			q->path = p;
		if (!ids)
			return -ENOMEM;
		q->ids = ids;
		q->cap = cap;
	}
	q->path[q->n] = strdup(path);
	if (!q->path[q->n])
		return -ENOMEM;
	q->n++;
	return 0;
}

/* One node's three replies (its value, permissions and children's names): into the body. */
static void take_node(struct walk *w, struct queue *q, const char *path, const long got[3],
		      const char *value, const char *perms, const char *names)
{
	if (got[0] == -ENOENT)
		return; /* the guest never made it, or took it away */
	if (got[0] < 0 || got[1] <= 0 || got[2] < 0) {
		w->rc = got[0] < 0 ? (int)got[0] : got[1] < 0 ? (int)got[1] : got[2] < 0 ? (int)got[2]
											: -EINVAL;
		return;
	}
	if (++w->count > NODES_MAX) {
		w->rc = -E2BIG;
		return;
	}
	struct save_xs_entry e = { .path_len = (uint16_t)(strlen(path) - w->base),
				   .value_len = (uint16_t)got[0], .perms_len = (uint16_t)got[1] };
	w->rc = append(w, &e, sizeof(e)) ?: append(w, path + w->base, e.path_len) ?:
		append(w, value, (size_t)got[0]) ?: append(w, perms, (size_t)got[1]);
	for (const char *name = names; !w->rc && name < names + got[2]; name += strlen(name) + 1) {
		char child[XSC_PATH_MAX];

		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, name) >= sizeof(child))
			w->rc = -ENAMETOOLONG;
		else
			w->rc = enqueue(q, child);
	}
}

/*
 * The queued paths and everything below them, breadth first. A node is three
 * requests (READ, GET_PERMS, DIRECTORY), sent while the replies of up to
 * PIPELINE / 3 nodes before it are still to come: a round trip a level of
 * the tree rather than three a node, while the guest waits to run. On a
 * failure it stops (the caller closes the connection, replies owed and all).
 */
static void walk(struct walk *w, struct queue *q)
{
	static const uint32_t types[3] = { XS_READ, XS_GET_PERMS, XS_DIRECTORY };
	char *out[3] = { malloc(XS_PAYLOAD_MAX + 1), malloc(XS_PAYLOAD_MAX + 1),
			 malloc(XS_PAYLOAD_MAX + 1) };
	long got[3];

	if (!out[0] || !out[1] || !out[2])
		w->rc = -ENOMEM;
	while (!w->rc && q->done < q->n) {
		while (!w->rc && q->sent < q->n && q->sent - q->done < PIPELINE / 3) {
			const char *arg = q->path[q->sent];

			for (int k = 0; k < 3 && !w->rc; k++) {
				long id = xsc_send(w->h, types[k], 0, &arg, 1, 0);

				if (id < 0)
					w->rc = (int)id;
				else
					q->ids[q->sent][k] = (uint32_t)id;
			}
			q->sent++;
		}
		for (int k = 0; k < 3 && !w->rc; k++)
			got[k] = xsc_wait(w->h, q->ids[q->done][k], out[k], XS_PAYLOAD_MAX + 1);
		if (!w->rc)
			take_node(w, q, q->path[q->done], got, out[0], out[1], out[2]);
		q->done++;
	}
	for (int k = 0; k < 3; k++)
		free(out[k]);
}

/* control/shutdown is the toolstack's request to the guest: never carried. */
static bool carried(const char *top)
{
	return strcmp(top, "control/shutdown") != 0;
}

int guestnodes_read(uint16_t domid, bool devices, char **body, size_t *len, char *err,
		    size_t errlen)
{
	struct save_xs x = { .domid = domid };
	struct walk w = { 0 };
	struct queue q = { 0 };
	struct xsc h;
	char path[XSC_PATH_MAX];
	int rc = xsc_open(&h);

	if (rc)
		return fail_with(err, errlen, "cannot reach xenstored: %s", strerror(-rc));
	w.h = &h;
	w.rc = append(&w, &x, sizeof(x));
	w.base = (size_t)snprintf(path, sizeof(path), "/local/domain/%u/", domid);
	for (size_t i = 0; i < DOMSTORE_GUEST_DIRS && !w.rc; i++)
		if (carried(domstore_guest_dirs[i])) {
			snprintf(path + w.base, sizeof(path) - w.base, "%s", domstore_guest_dirs[i]);
			w.rc = enqueue(&q, path);
		}
	if (devices && !w.rc) {
		snprintf(path + w.base, sizeof(path) - w.base, "device");
		w.rc = enqueue(&q, path);
	}
	walk(&w, &q);
	xsc_close(&h);
	for (size_t i = 0; i < q.n; i++)
		free(q.path[i]);
	free(q.path);
	free(q.ids);
	if (w.rc) {
		free(w.body);
		return fail_with(err, errlen, "cannot read its XenStore nodes: %s", strerror(-w.rc));
	}
	x.count = w.count;
	memcpy(w.body, &x, sizeof(x));
	*body = w.body;
	*len = w.len;
	return 0;
}

/* A front end's own directory, device/TYPE/ID/...: its nodes are the guest's to write. */
static bool in_device(const char *rel)
{
	const char *type = rel + strlen("device/"), *id;

	if (strncmp(rel, "device/", strlen("device/")) || !(id = strchr(type, '/')) || id == type)
		return false;
	return id[1] && id[1] != '/';
}

/* Whether rel lies under one of the directories a guest may write in (and is no trick). */
static bool writable_by_guest(const char *rel, bool devices)
{
	if (strstr(rel, "..") || strstr(rel, "//") || rel[strlen(rel) - 1] == '/')
		return false;
	if (devices && in_device(rel))
		return true;
	for (size_t i = 0; i < DOMSTORE_GUEST_DIRS; i++) {
		size_t n = strlen(domstore_guest_dirs[i]);

		if (carried(domstore_guest_dirs[i]) && !strncmp(rel, domstore_guest_dirs[i], n) &&
		    (rel[n] == 0 || rel[n] == '/'))
			return true;
	}
	return false;
}

/* A permission list with old turned into domid, dom0 kept, others dropped: how many. */
static int translate_perms(const char *perms, size_t len, uint16_t old, uint16_t domid,
			   char out[][16], int max)
{
	int n = 0;

	/* (Each ends in a NUL inside len: savefile.c checks the record's last one.) */
	for (const char *p = perms; p < perms + len && n < max; p += strnlen(p, perms + len - p) + 1) {
		unsigned long id = strtoul(p + 1, NULL, 10);

		if (!*p)
			break;
		if (id == old)
			snprintf(out[n++], 16, "%c%u", *p, domid);
		else if (id == 0)
			snprintf(out[n++], 16, "%c0", *p);
		else if (n == 0)
			snprintf(out[n++], 16, "%c%u", *p, domid); /* an owner: the guest itself */
	}
	return n;
}

/* "device" and "device/TYPE": the toolstack's, written at the target already. */
static bool device_parent(const char *rel)
{
	return !strcmp(rel, "device") ||
	       (!strncmp(rel, "device/", strlen("device/")) && !strchr(rel + strlen("device/"), '/'));
}

/* A front end's state node, which its back end watches. */
static bool is_state(const char *rel)
{
	const char *last = strrchr(rel, '/');

	return last && !strcmp(last + 1, "state");
}

/*
 * The nodes of body (of part): 0, or -errno with a reason in err. Each node
 * is a WRITE and a SET_PERMS; up to PIPELINE are sent before a reply is read
 * (xenstored answers in order): a round trip for them all, not two a node,
 * while the guest waits to run. A front end's state goes in a part of its
 * own, after the rest (guestnodes.h): its back end reads the rest when it
 * sees the state change.
 */
static int write_nodes(struct xsc *h, uint16_t domid, enum guestnodes_part part, const char *body,
		       char *err, size_t errlen)
{
	char path[XSC_PATH_MAX], rel[XSC_PATH_MAX - 32], perm_text[64][16];
	const char *args[65];
	struct save_xs x;
	size_t at = sizeof(x);
	uint32_t *ids, sent = 0;
	uint32_t done = 0;
	char (*names)[64];
	bool devices = part != GUESTNODES_OWN;
	int rc = 0;

	memcpy(&x, body, sizeof(x)); /* the record's layout is checked (savefile.c) */
	ids = calloc((size_t)x.count * 2 + 1, sizeof(*ids));
	names = calloc((size_t)x.count * 2 + 1, sizeof(*names));
	if (!ids || !names) {
		free(ids);
		free(names);
		fail_with(err, errlen, "out of memory");
		return -ENOMEM;
	}
#define REPLY()                                                                             \
	do {                                                                                \
		long r_ = xsc_wait(h, ids[done], NULL, 0);                                  \
		if (r_ < 0 && !rc) {                                                        \
			rc = (int)r_;                                                       \
			fail_with(err, errlen, "cannot write its XenStore node %s: %s",     \
				  names[done], strerror(-rc));                              \
		}                                                                           \
		done++;                                                                     \
	} while (0)
	for (uint32_t i = 0; i < x.count && !rc; i++) {
		struct save_xs_entry e;
		const char *value, *perms;
		long id;
		int n;

		memcpy(&e, body + at, sizeof(e));
		at += sizeof(e);
		snprintf(rel, sizeof(rel), "%.*s", (int)e.path_len, body + at);
		value = body + at + e.path_len;
		perms = value + e.value_len;
		at += (size_t)e.path_len + e.value_len + e.perms_len;
		if (devices && device_parent(rel))
			continue;
		if (strlen(rel) != e.path_len || !e.path_len || !writable_by_guest(rel, devices)) {
			fail_with(err, errlen, "a XenStore node the guest may not have: %s", rel);
			rc = -EPERM;
			break;
		}
		/* Each part at its time: its front ends' states once the source let go (domus.c). */
		if (devices && (part == GUESTNODES_STATES) != (in_device(rel) && is_state(rel)))
			continue;
		while (sent - done >= PIPELINE - 1)
			REPLY();
		snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
		args[0] = path;
		args[1] = value;
		id = xsc_send(h, XS_WRITE, 0, args, 2, e.value_len);
		if (id >= 0) {
			snprintf(names[sent], sizeof(names[0]), "%.63s", rel);
			ids[sent++] = (uint32_t)id;
		}
		n = translate_perms(perms, e.perms_len, x.domid, domid, perm_text, 64);
		for (int k = 0; k < n; k++)
			args[k + 1] = perm_text[k];
		if (id >= 0 && n) {
			id = xsc_send(h, XS_SET_PERMS, 0, args, n + 1, 0);
			if (id >= 0) {
				snprintf(names[sent], sizeof(names[0]), "%.63s", rel);
				ids[sent++] = (uint32_t)id;
			}
		}
		if (id < 0) {
			rc = (int)id;
			fail_with(err, errlen, "cannot write its XenStore node %s: %s", rel,
				  strerror(-rc));
		}
	}
	/* Every reply, even after a refusal: the next request's must be the next read. */
	while (done < sent)
		REPLY();
#undef REPLY
	free(ids);
	free(names);
	return rc;
}

int guestnodes_write(uint16_t domid, enum guestnodes_part part, const char *body, size_t len,
		     char *err, size_t errlen)
{
	struct xsc h;
	int rc = xsc_open(&h);

	(void)len;
	if (rc)
		return fail_with(err, errlen, "cannot reach xenstored: %s", strerror(-rc));
	rc = write_nodes(&h, domid, part, body, err, errlen);
	xsc_close(&h);
	return rc ? -1 : 0;
}
