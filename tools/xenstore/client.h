/* SPDX-License-Identifier: MIT */
/*
 * A XenStore client for our tools: dom0's tools talk to xenstored's socket,
 * a guest's to its kernel's /dev/xen/xenbus, with the same messages. Replies
 * come in order; watch events may arrive between them and are kept for
 * xsc_next_event.
 */
#ifndef XENSTORE_CLIENT_H
#define XENSTORE_CLIENT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "xenstore/wire.h"

#define XS_SOCKET "/run/xenstored/socket"
#define XSC_PATH_MAX 3073 /* an absolute path and its NUL */

struct xsc_event;

struct xsc {
	int fd;
	uint32_t next_req;
	struct xsc_event *events, **events_tail;
};

/* The socket if xenstored runs here, else /dev/xen/xenbus: 0 or -errno. */
int xsc_open(struct xsc *h);
void xsc_close(struct xsc *h);

/*
 * Sends request type with nargs arguments (each sent with its NUL, except a
 * WRITE's value, which is raw: pass its length in vlen; so is a CONTROL's
 * last argument when vlen is not 0) in transaction tx.
 * The reply's payload goes into out (cap bytes, NUL-terminated if room):
 * returns its length, or -errno (xenstored's error name turned back into errno).
 */
long xsc_call(struct xsc *h, uint32_t type, uint32_t tx, const char *const *args, int nargs,
	      size_t vlen, char *out, size_t cap);

/*
 * The same in two halves, so that several requests can be on their way at
 * once (xenstored answers a connection's requests in order): send gives the
 * request's id (or -errno), wait its reply as xsc_call does. Wait for each
 * id sent, in the order sent.
 */
long xsc_send(struct xsc *h, uint32_t type, uint32_t tx, const char *const *args, int nargs,
	      size_t vlen);
long xsc_wait(struct xsc *h, uint32_t req_id, char *out, size_t cap);

/* Convenience wrappers: 0 / length, or -errno. */
long xsc_read(struct xsc *h, uint32_t tx, const char *path, char *out, size_t cap);
int xsc_write(struct xsc *h, uint32_t tx, const char *path, const char *value);
int xsc_mkdir(struct xsc *h, uint32_t tx, const char *path);
int xsc_rm(struct xsc *h, uint32_t tx, const char *path);
/* Removes path and then each parent while empty, stopping below top (a prefix of path). */
void xsc_prune(struct xsc *h, const char *path, const char *top);
/* perms as Xen's text: "n0", "r5", ... (owner first). */
int xsc_set_perms(struct xsc *h, uint32_t tx, const char *path, const char *const *perms, int n);
/*
 * The toolstack's way to make a node: dir/name (name "" is dir itself) gets the
 * printf-formatted value, then Xen's permissions: owner's, with no access for
 * others, and reader's read access (reader < 0: nobody else's). 0 or -errno.
 */
int xsc_put(struct xsc *h, uint32_t tx, unsigned int owner, int reader, const char *dir,
	    const char *name, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
int xsc_vput(struct xsc *h, uint32_t tx, unsigned int owner, int reader, const char *dir,
	     const char *name, const char *fmt, va_list ap);
int xsc_transaction_start(struct xsc *h, uint32_t *tx);
int xsc_transaction_end(struct xsc *h, uint32_t tx, int commit);

/* Waits up to timeout_ms (-1: forever) for a watch event: 0, -ETIMEDOUT, or -errno. */
int xsc_next_event(struct xsc *h, char *path, size_t pcap, char *token, size_t tcap,
		   int timeout_ms);

#endif
