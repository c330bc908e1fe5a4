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

/* path and everything below it, depth first. */
static void walk(struct walk *w, const char *path)
{
	char *value = malloc(XS_PAYLOAD_MAX + 1), *perms = malloc(XS_PAYLOAD_MAX + 1),
	     *names = malloc(XS_PAYLOAD_MAX + 1);
	long vlen, plen, n;

	if (!value || !perms || !names) {
		w->rc = -ENOMEM;
		goto out;
	}
	vlen = xsc_call(w->h, XS_READ, 0, &path, 1, 0, value, XS_PAYLOAD_MAX + 1);
	plen = xsc_call(w->h, XS_GET_PERMS, 0, &path, 1, 0, perms, XS_PAYLOAD_MAX + 1);
	if (vlen == -ENOENT)
		goto out; /* the guest never made it, or took it away */
	if (vlen < 0 || plen <= 0) {
		w->rc = vlen < 0 ? (int)vlen : plen < 0 ? (int)plen : -EINVAL;
		goto out;
	}
	if (++w->count > NODES_MAX) {
		w->rc = -E2BIG;
		goto out;
	}
	struct save_xs_entry e = { .path_len = (uint16_t)(strlen(path) - w->base),
				   .value_len = (uint16_t)vlen, .perms_len = (uint16_t)plen };
	w->rc = append(w, &e, sizeof(e)) ?: append(w, path + w->base, e.path_len) ?:
		append(w, value, (size_t)vlen) ?: append(w, perms, (size_t)plen);
	n = w->rc ? 0 : xsc_call(w->h, XS_DIRECTORY, 0, &path, 1, 0, names, XS_PAYLOAD_MAX + 1);
	for (char *name = names; n > 0 && !w->rc && name < names + n; name += strlen(name) + 1) {
		char child[XSC_PATH_MAX];

		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, name) >= sizeof(child)) {
			w->rc = -ENAMETOOLONG;
			break;
		}
		walk(w, child);
	}
out:
	free(value);
	free(perms);
	free(names);
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
			walk(&w, path);
		}
	if (devices && !w.rc) {
		snprintf(path + w.base, sizeof(path) - w.base, "device");
		walk(&w, path);
	}
	xsc_close(&h);
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

/*
 * The nodes of body, in transaction tx: 0, or -errno with a reason in err.
 * Each node is a WRITE and a SET_PERMS; all are sent before the first reply
 * is read (xenstored answers in order): a round trip for them all, not two a
 * node, while the guest waits to run.
 */
/* Requests on their way at once: xenstored stops reading a connection whose replies pile up. */
#define PIPELINE 32

static int write_nodes(struct xsc *h, uint32_t tx, uint16_t domid, enum guestnodes_part part,
		       const char *body, char *err, size_t errlen)
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
		/* Each part at its time: its front ends' only once the source has let go (domus.c). */
		if ((part == GUESTNODES_DEVICES) != in_device(rel))
			continue;
		while (sent - done >= PIPELINE - 1)
			REPLY();
		snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
		args[0] = path;
		args[1] = value;
		id = xsc_send(h, XS_WRITE, tx, args, 2, e.value_len);
		if (id >= 0) {
			snprintf(names[sent], sizeof(names[0]), "%.63s", rel);
			ids[sent++] = (uint32_t)id;
		}
		n = translate_perms(perms, e.perms_len, x.domid, domid, perm_text, 64);
		for (int k = 0; k < n; k++)
			args[k + 1] = perm_text[k];
		if (id >= 0 && n) {
			id = xsc_send(h, XS_SET_PERMS, tx, args, n + 1, 0);
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
	bool devices = part == GUESTNODES_DEVICES;
	struct xsc h;
	uint32_t tx = 0;
	int rc = xsc_open(&h);

	(void)len;
	if (rc)
		return fail_with(err, errlen, "cannot reach xenstored: %s", strerror(-rc));
	/*
	 * A front end's nodes all at once: a back end that sees its state
	 * Connected reads its rings' references at that moment.
	 */
	for (int tries = 0; tries < 5; tries++) {
		if (devices && (rc = xsc_transaction_start(&h, &tx))) {
			fail_with(err, errlen, "cannot start a XenStore transaction: %s", strerror(-rc));
			break;
		}
		rc = write_nodes(&h, tx, domid, part, body, err, errlen);
		if (!devices)
			break;
		if (rc) {
			xsc_transaction_end(&h, tx, 0);
			break;
		}
		rc = xsc_transaction_end(&h, tx, 1);
		if (rc != -EAGAIN) {
			if (rc)
				fail_with(err, errlen, "cannot write its front ends' XenStore nodes: %s",
					  strerror(-rc));
			break;
		}
	}
	if (devices && rc == -EAGAIN)
		fail_with(err, errlen, "its front ends' XenStore nodes: every transaction met other "
				       "writers");
	xsc_close(&h);
	return rc ? -1 : 0;
}
