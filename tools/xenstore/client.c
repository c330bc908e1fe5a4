/* SPDX-License-Identifier: MIT */
/* A XenStore client over xenstored's socket or a guest's /dev/xen/xenbus (see client.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenstore/client.h"

struct xsc_event {
	char *path, *token;
	struct xsc_event *next;
};

int xsc_open(struct xsc *h)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	memset(h, 0, sizeof(*h));
	h->events_tail = &h->events;
	h->next_req = 1;
	strcpy(addr.sun_path, XS_SOCKET);
	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd >= 0 && connect(h->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return 0;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = open("/dev/xen/xenbus", O_RDWR | O_CLOEXEC);
	return h->fd < 0 ? -errno : 0;
}

void xsc_close(struct xsc *h)
{
	while (h->events) {
		struct xsc_event *e = h->events;

		h->events = e->next;
		free(e->path);
		free(e->token);
		free(e);
	}
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

static int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t got = read(fd, p, n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EPIPE;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/* One whole message: its header, and its payload NUL-terminated in buf (XS_PAYLOAD_MAX + 1). */
static int read_msg(struct xsc *h, struct xs_header *hdr, char *buf)
{
	int rc = read_full(h->fd, hdr, sizeof(*hdr));

	if (rc)
		return rc;
	if (hdr->len > XS_PAYLOAD_MAX)
		return -EIO;
	rc = read_full(h->fd, buf, hdr->len);
	buf[hdr->len] = 0;
	return rc;
}

static void keep_event(struct xsc *h, const char *payload, size_t len)
{
	struct xsc_event *e = calloc(1, sizeof(*e));
	size_t pl = strnlen(payload, len);

	if (!e || pl == len || !(e->path = strdup(payload)) ||
	    !(e->token = strndup(payload + pl + 1, len - pl - 1))) {
		if (e)
			free(e->path);
		free(e);
		return;
	}
	*h->events_tail = e;
	h->events_tail = &e->next;
}

long xsc_send(struct xsc *h, uint32_t type, uint32_t tx, const char *const *args, int nargs,
	      size_t vlen)
{
	static char buf[XS_HEADER_SIZE + XS_PAYLOAD_MAX + 1];
	struct xs_header req = { type, h->next_req++, tx, 0 };
	size_t len = XS_HEADER_SIZE;

	for (int i = 0; i < nargs; i++) {
		/* A WRITE's value, and a CONTROL's parameters given with their length, are raw. */
		bool raw = (type == XS_WRITE || (type == XS_CONTROL && vlen)) && i == nargs - 1;
		size_t n = raw ? vlen : strlen(args[i]) + 1;

		if (len + n > sizeof(buf) - 1)
			return -E2BIG;
		memcpy(buf + len, args[i], n);
		len += n;
	}
	req.len = (uint32_t)(len - XS_HEADER_SIZE);
	memcpy(buf, &req, sizeof(req));
	/* One write: /dev/xen/xenbus takes a message per write as a whole. */
	if (write(h->fd, buf, len) != (ssize_t)len)
		return -EIO;
	return req.req_id;
}

long xsc_wait(struct xsc *h, uint32_t req_id, char *out, size_t cap)
{
	static char buf[XS_PAYLOAD_MAX + 1];
	struct xs_header rep;
	int rc;

	for (;;) {
		rc = read_msg(h, &rep, buf);
		if (rc)
			return rc;
		if (rep.type == XS_WATCH_EVENT) {
			keep_event(h, buf, rep.len);
			continue;
		}
		if (rep.req_id != req_id)
			continue; /* a late reply to something we gave up on */
		break;
	}
	if (rep.type == XS_ERROR)
		return -xs_errno_from_name(buf, strnlen(buf, rep.len));
	if (out && cap) {
		size_t n = rep.len < cap - 1 ? rep.len : cap - 1;

		memcpy(out, buf, n);
		out[n] = 0;
	}
	return rep.len;
}

long xsc_call(struct xsc *h, uint32_t type, uint32_t tx, const char *const *args, int nargs,
	      size_t vlen, char *out, size_t cap)
{
	long id = xsc_send(h, type, tx, args, nargs, vlen);

	return id < 0 ? id : xsc_wait(h, (uint32_t)id, out, cap);
}

long xsc_read(struct xsc *h, uint32_t tx, const char *path, char *out, size_t cap)
{
	return xsc_call(h, XS_READ, tx, &path, 1, 0, out, cap);
}

int xsc_write(struct xsc *h, uint32_t tx, const char *path, const char *value)
{
	const char *args[2] = { path, value };
	long rc = xsc_call(h, XS_WRITE, tx, args, 2, strlen(value), NULL, 0);

	return rc < 0 ? (int)rc : 0;
}

int xsc_mkdir(struct xsc *h, uint32_t tx, const char *path)
{
	long rc = xsc_call(h, XS_MKDIR, tx, &path, 1, 0, NULL, 0);

	return rc < 0 ? (int)rc : 0;
}

int xsc_rm(struct xsc *h, uint32_t tx, const char *path)
{
	long rc = xsc_call(h, XS_RM, tx, &path, 1, 0, NULL, 0);

	return rc < 0 ? (int)rc : 0;
}

/* Removes path if it has no children (checked and removed in one transaction). */
static void xsc_rm_if_empty(struct xsc *h, const char *path)
{
	char names[64];
	uint32_t tx;

	if (xsc_transaction_start(h, &tx))
		return;
	/* In a transaction: a child added meanwhile makes the commit fail, and the node stays. */
	if (xsc_call(h, XS_DIRECTORY, tx, &path, 1, 0, names, sizeof(names)) == 0)
		xsc_rm(h, tx, path);
	xsc_transaction_end(h, tx, 1);
}

void xsc_prune(struct xsc *h, const char *path, const char *top)
{
	char p[256];
	size_t keep = strlen(top);

	if (strlen(path) >= sizeof(p) || strncmp(path, top, keep))
		return;
	strcpy(p, path);
	while (strlen(p) > keep) {
		char *slash = strrchr(p, '/');

		xsc_rm_if_empty(h, p);
		if (!slash)
			break;
		*slash = 0;
	}
}

int xsc_set_perms(struct xsc *h, uint32_t tx, const char *path, const char *const *perms, int n)
{
	const char **args;
	long rc;

	/* As many as one message holds (xsc_call says E2BIG past that), as Xen's xenstored takes. */
	if (n < 1 || n > XS_PAYLOAD_MAX / 2)
		return -EINVAL;
	if (!(args = malloc((size_t)(n + 1) * sizeof(*args))))
		return -ENOMEM;
	args[0] = path;
	memcpy(args + 1, perms, (size_t)n * sizeof(*perms));
	rc = xsc_call(h, XS_SET_PERMS, tx, args, n + 1, 0, NULL, 0);
	free(args);
	return rc < 0 ? (int)rc : 0;
}

int xsc_vput(struct xsc *h, uint32_t tx, unsigned int owner, int reader, const char *dir,
	     const char *name, const char *fmt, va_list ap)
{
	char path[XSC_PATH_MAX], value[512], o[16], r[16];
	const char *perms[2] = { o, r };
	int rc;

	snprintf(path, sizeof(path), "%s%s%s", dir, *name ? "/" : "", name);
	vsnprintf(value, sizeof(value), fmt, ap);
	rc = xsc_write(h, tx, path, value);
	if (rc)
		return rc;
	snprintf(o, sizeof(o), "n%u", owner);
	snprintf(r, sizeof(r), "r%d", reader);
	return xsc_set_perms(h, tx, path, perms, reader < 0 ? 1 : 2);
}

int xsc_put(struct xsc *h, uint32_t tx, unsigned int owner, int reader, const char *dir,
	    const char *name, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = xsc_vput(h, tx, owner, reader, dir, name, fmt, ap);
	va_end(ap);
	return rc;
}

int xsc_transaction_start(struct xsc *h, uint32_t *tx)
{
	const char *empty = "";
	char id[16];
	long rc = xsc_call(h, XS_TRANSACTION_START, 0, &empty, 1, 0, id, sizeof(id));

	if (rc < 0)
		return (int)rc;
	*tx = (uint32_t)strtoul(id, NULL, 10);
	return 0;
}

int xsc_transaction_end(struct xsc *h, uint32_t tx, int commit)
{
	const char *arg = commit ? "T" : "F";
	long rc = xsc_call(h, XS_TRANSACTION_END, tx, &arg, 1, 0, NULL, 0);

	return rc < 0 ? (int)rc : 0;
}

int xsc_next_event(struct xsc *h, char *path, size_t pcap, char *token, size_t tcap,
		   int timeout_ms)
{
	static char buf[XS_PAYLOAD_MAX + 1];

	while (!h->events) {
		struct pollfd p = { h->fd, POLLIN, 0 };
		struct xs_header hdr;
		int rc = poll(&p, 1, timeout_ms);

		if (rc == 0)
			return -ETIMEDOUT;
		if (rc < 0)
			return -errno;
		rc = read_msg(h, &hdr, buf);
		if (rc)
			return rc;
		if (hdr.type == XS_WATCH_EVENT)
			keep_event(h, buf, hdr.len);
	}
	struct xsc_event *e = h->events;

	h->events = e->next;
	if (!h->events)
		h->events_tail = &h->events;
	snprintf(path, pcap, "%s", e->path);
	snprintf(token, tcap, "%s", e->token);
	free(e->path);
	free(e->token);
	free(e);
	return 0;
}
