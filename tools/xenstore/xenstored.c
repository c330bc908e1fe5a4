/* SPDX-License-Identifier: MIT */
/*
 * xenstored: dom0's XenStore daemon. One process, one thread, one poll loop
 * over three kinds of connection, all speaking the same wire protocol:
 *
 *   dom0's kernel  the page Linux allocated for itself (XS_LOCAL), reached
 *                  through /dev/xen/xenbus_backend, and its port
 *   guests         the page the toolstack granted us as ref 1, mapped with
 *                  /dev/xen/gntdev once dom0 sends INTRODUCE, and its port
 *   dom0's tools   a unix socket each, on XS_SOCKET
 *
 * Requests go to store.c, which knows nothing of any of this. Guests write
 * their ring indices and messages while we read them, so nothing they write
 * is trusted (ring.c, wire.c), and a guest that breaks the ring's rules loses
 * its connection and nothing else. Output a connection does not take (a
 * guest that never reads) is bounded (outq.c): past 20 replies waiting we
 * stop reading its requests, and watch events past a bound are dropped,
 * with a log line.
 *
 * VIRQ_DOM_EXC tells us that some domain changed state: we then ask the
 * hypervisor about each guest we serve, tell dom0's watchers of
 * @releaseDomain, and let go of the ring of a guest that is dying or gone, so
 * that its memory can go back to Domus.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <public/domus_ctl.h>
#include <public/grant_table.h> /* domid_t and grant_ref_t, which Linux's headers need */
#include <public/xen.h>
#include <xen/evtchn.h>
#include <xen/gntdev.h>

#include "libdomus.h"
#include "xenstore/client.h"
#include "xenstore/outq.h"
#include "xenstore/ring.h"
#include "xenstore/store.h"
#include "xenstore/wire.h"

/* Linux's include/xen/xenbus_dev.h, which is not exported to user space. */
#define IOCTL_XENBUS_BACKEND_EVTCHN _IOC(_IOC_NONE, 'B', 0, 0)

#define MSG_MAX (XS_HEADER_SIZE + XS_PAYLOAD_MAX)
#define MAX_SOCKETS 64

struct conn {
	uint32_t id; /* the store's connection: domid for rings, XS_CONN_LOCAL + n for sockets */
	xs_domid_t dom;
	int fd; /* a socket, or -1 for a ring */
	volatile struct xs_ring_page *ring;
	int local_port; /* ours, bound to the ring's port */
	uint64_t gnt_index; /* the gntdev mapping of a guest's ring */
	bool shutdown_told; /* @releaseDomain fired for its shutdown */
	bool dead;
	bool frozen; /* migrating without its help: its ring is neither read nor written */
	char in[MSG_MAX];
	size_t inlen;
	struct xs_outq out;
	unsigned long dropped_told; /* events dropped, as last logged */
	unsigned long store_dropped_told; /* the same, for those its memory quota dropped */
	struct conn *next;
};

static struct xs_store *store;
static struct conn *conns;
static int evtchn_fd = -1, gntdev_fd = -1, listen_fd = -1, virq_port = -1;
static uint32_t next_sock_id = XS_CONN_LOCAL;
static unsigned int nr_sockets;

static void logmsg(const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "xenstored: %ld.%03ld: ", (long)ts.tv_sec, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- output ---- */

static void reply(struct conn *c, const struct xs_header *req, uint32_t type, const void *p,
		  size_t n)
{
	if (xs_outq_reply(&c->out, req, type, p, n))
		logmsg("connection %u (dom%u): reply lost (out of memory)", c->id, c->dom);
}

/* Whether c's next request may be handled: a guest that leaves its replies waits. */
static bool may_read(const struct conn *c)
{
	return xs_outq_may_read(&c->out, c->dom != 0);
}

static void reply_err(struct conn *c, const struct xs_header *req, int err)
{
	const char *name = xs_errno_name(err);

	reply(c, req, XS_ERROR, name, strlen(name) + 1);
}

static void reply_str(struct conn *c, const struct xs_header *req, const char *s)
{
	reply(c, req, req->type, s, strlen(s) + 1);
}

static struct conn *conn_by_id(uint32_t id)
{
	for (struct conn *c = conns; c; c = c->next)
		if (c->id == id && !c->dead)
			return c;
	return NULL;
}

/* Hands each queued watch event to its connection. */
static void deliver_events(void)
{
	static struct xs_event ev; /* 7 KiB: not on the stack */

	while (xs_next_event(store, &ev)) {
		struct conn *c = conn_by_id(ev.conn);

		if (c && xs_outq_event(&c->out, ev.path, ev.token) == -ENOSPC &&
		    c->out.events_dropped == c->dropped_told + 1)
			logmsg("connection %u (dom%u) is not reading its watch events: dropping them",
			       c->id, c->dom);
	}
}

/* Says how many events a connection lost, once it takes them again, and what the quota cost it. */
static void tell_drops(struct conn *c)
{
	unsigned long quota = xs_domain_events_dropped(store, c->dom);

	if (c->out.events_dropped != c->dropped_told && !c->out.events) {
		logmsg("connection %u (dom%u): %lu watch events dropped", c->id, c->dom,
		       c->out.events_dropped - c->dropped_told);
		c->dropped_told = c->out.events_dropped;
	}
	if (c->fd < 0 && quota > c->store_dropped_told) {
		logmsg("dom%u: %lu watch events dropped at its memory quota", c->dom,
		       quota - c->store_dropped_told);
		c->store_dropped_told = quota;
	}
}

/* ---- rings and ports ---- */

static void notify(int port)
{
	struct ioctl_evtchn_notify n = { .port = (unsigned int)port };

	ioctl(evtchn_fd, IOCTL_EVTCHN_NOTIFY, &n);
}

/* Moves what fits of c's output into its ring or socket. */
static void flush(struct conn *c)
{
	bool wrote = false;
	const void *p;
	size_t len;

	if (c->frozen)
		return; /* its ring's page is being copied: what waits goes after a thaw */
	/* (a dead connection has no ring or socket left to write to) */
	while (!c->dead && (len = xs_outq_peek(&c->out, &p))) {
		long n;

		if (c->ring) {
			n = xs_ring_write(c->ring, p, len);
			if (n < 0) {
				logmsg("dom%u broke its XenStore ring (response indices): disconnected",
				       c->dom);
				c->ring->error = XS_ERROR_RINGIDX;
				c->dead = true;
				return;
			}
		} else {
			n = write(c->fd, p, len);
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					c->dead = true;
				n = 0;
			}
		}
		xs_outq_consume(&c->out, (size_t)n);
		wrote |= n > 0;
		if ((size_t)n < len)
			break; /* full for now */
	}
	if (wrote && c->ring)
		notify(c->local_port);
	if (!c->dead)
		tell_drops(c);
}

/* Lets go of c's ring and port at once: a guest's memory cannot be freed while we map it. */
static void disconnect(struct conn *c)
{
	if (c->ring) {
		munmap((void *)c->ring, 4096);
		if (c->dom != 0) {
			struct ioctl_gntdev_unmap_grant_ref u = { .index = c->gnt_index, .count = 1 };

			ioctl(gntdev_fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
		}
		c->ring = NULL;
	}
	if (c->local_port >= 0) {
		struct ioctl_evtchn_unbind u = { .port = (unsigned int)c->local_port };

		ioctl(evtchn_fd, IOCTL_EVTCHN_UNBIND, &u);
		c->local_port = -1;
	}
	c->dead = true;
}

static void conn_free(struct conn *c)
{
	disconnect(c);
	if (c->fd >= 0) {
		close(c->fd);
		nr_sockets--;
	}
	xs_release_conn(store, c->id);
	xs_outq_free(&c->out);
	free(c);
}

static struct conn *conn_new(uint32_t id, xs_domid_t dom, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->id = id;
	c->dom = dom;
	c->fd = fd;
	c->local_port = -1;
	c->next = conns;
	conns = c;
	return c;
}

/* ---- requests ---- */

static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	char *end;

	if (!len || len > 20 || s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && end == s + len && *out <= max;
}

static struct conn *ring_of(xs_domid_t dom)
{
	for (struct conn *c = conns; c; c = c->next)
		if (c->ring && c->dom == dom && !c->dead)
			return c;
	return NULL;
}

static void service_ring(struct conn *c);

/* INTRODUCE domid gfn port: the toolstack built a guest; map its ring (grant ref 1) and bind. */
static int introduce(unsigned long dom, unsigned long port)
{
	struct ioctl_gntdev_map_grant_ref map = { .count = 1 };
	struct ioctl_evtchn_bind_interdomain bind = { .remote_domain = (unsigned int)dom,
						      .remote_port = (unsigned int)port };
	struct conn *c;
	void *page;
	int local, err;

	if (ring_of((xs_domid_t)dom))
		return -EEXIST;
	map.refs[0].domid = (domid_t)dom;
	map.refs[0].ref = GNTTAB_RESERVED_XENSTORE;
	if (ioctl(gntdev_fd, IOCTL_GNTDEV_MAP_GRANT_REF, &map) < 0) {
		err = errno;
		logmsg("INTRODUCE dom%lu: gntdev: %s", dom, strerror(err));
		return -err;
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, gntdev_fd, (off_t)map.index);
	if (page == MAP_FAILED) {
		struct ioctl_gntdev_unmap_grant_ref u = { .index = map.index, .count = 1 };

		err = errno;
		ioctl(gntdev_fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
		logmsg("INTRODUCE dom%lu: cannot map grant ref %u (not seeded?): %s", dom,
		       GNTTAB_RESERVED_XENSTORE, strerror(err));
		return -EINVAL;
	}
	c = conn_new((uint32_t)dom, (xs_domid_t)dom, -1);
	if (!c) {
		struct ioctl_gntdev_unmap_grant_ref u = { .index = map.index, .count = 1 };

		munmap(page, 4096);
		ioctl(gntdev_fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
		return -ENOMEM;
	}
	c->ring = page;
	c->gnt_index = map.index;
	local = ioctl(evtchn_fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);
	if (local < 0) {
		err = errno;
		logmsg("INTRODUCE dom%lu: cannot bind its port %lu: %s", dom, port, strerror(err));
		c->dead = true;
		return -EINVAL;
	}
	c->local_port = local;
	/*
	 * A guest started before dom0 (dom0less) waits for this before it
	 * uses the ring: the page says connected, and the port says look.
	 */
	c->ring->connection = XS_CONNECTED;
	notify(local);
	logmsg("dom%lu introduced (port %lu)", dom, port);
	xs_fire_special(store, "@introduceDomain");
	service_ring(c); /* it may have written before we came */
	return 0;
}

/* The domain is going: its ring, its watches and transactions, and its id in the tree. */
static void release(struct conn *c)
{
	logmsg("dom%u released", c->dom);
	disconnect(c);
	xs_release_domain(store, c->dom);
	xs_fire_special(store, "@releaseDomain");
}

/*
 * XS_CONTROL, dom0's tools only (xs_wire_privileged): a guest that migrates
 * without its help (docs/MIGRATION.md). "migrate-out" DOMID, the guest
 * paused: its ring is served to the end, and if nothing of it is left half
 * done (a request half read, a reply or event not in its ring, a
 * transaction open) it is frozen and its watches are the answer; else
 * EAGAIN (let it run a moment and ask again). "migrate-thaw" DOMID: it is
 * served again (the migration failed); the answer says whether it was frozen. "migrate-in" DOMID PATH TOKEN...:
 * a guest introduced here gets the watches it had (each fires once, as any
 * new watch).
 */
static int control(struct conn *c, const struct xs_header *h, const struct xs_msg *m, char *buf)
{
	const char *cmd = m->argv[0], *arg = m->argv[1], *end = m->argv[1] + m->arglen[1];
	unsigned long dom;
	struct conn *r;
	int rc;

	if (!m->arglen[1] || !parse_uint(arg, strlen(arg), DOMID_FIRST_RESERVED - 1, &dom) || !dom)
		return -EINVAL;
	r = ring_of((xs_domid_t)dom);
	if (!r)
		return -ENOENT;
	arg += strlen(arg) + 1;
	if (!strcmp(cmd, "migrate-out")) {
		if (arg != end)
			return -EINVAL;
		r->frozen = false;
		service_ring(r);
		deliver_events();
		flush(r);
		if (r->dead || r->inlen || xs_outq_peek(&r->out, &(const void *){ NULL }) ||
		    r->ring->req_prod != r->ring->req_cons || xs_conn_busy(store, r->id))
			return -EAGAIN;
		/* What migrate-in can take back in one message, after its command and the id. */
		rc = xs_conn_watches(store, r->id, buf, XS_WATCHES_MAX);
		if (rc < 0)
			return rc;
		r->frozen = true;
		logmsg("dom%lu frozen for a migration (%d bytes of watches)", dom, rc);
		reply(c, h, XS_CONTROL, buf, (size_t)rc);
		return 0;
	}
	if (!strcmp(cmd, "migrate-thaw")) { /* answers whether it was frozen */
		if (arg != end)
			return -EINVAL;
		reply_str(c, h, r->frozen ? "1" : "0");
		if (!r->frozen)
			return 0;
		r->frozen = false;
		logmsg("dom%lu thawed: its migration did not happen", dom);
		service_ring(r);
		flush(r);
		return 0;
	}
	if (!strcmp(cmd, "migrate-in")) {
		while (arg < end) {
			const char *token = arg + strlen(arg) + 1;

			if (token >= end)
				return -EINVAL;
			rc = xs_watch_conn(store, r->dom, r->id, arg, token);
			if (rc && rc != -EEXIST)
				return rc;
			arg = token + strlen(token) + 1;
		}
		reply_str(c, h, "OK");
		return 0;
	}
	return -ENOSYS;
}

static void handle(struct conn *c, struct xs_msg *m)
{
	static char buf[XS_PAYLOAD_MAX + 1];
	const struct xs_header *h = &m->hdr;
	uint32_t tx = h->tx_id;
	unsigned long a, b;
	int rc;

	/* As Xen (xenstored_core.c process_message): is it a request, may c make it, its arguments. */
	if (!xs_wire_known(h->type)) {
		reply_err(c, h, ENOSYS);
		return;
	}
	if (c->dom != 0 && xs_wire_privileged(h->type)) {
		reply_err(c, h, EACCES);
		return;
	}
	if (xs_wire_args(m)) {
		reply_err(c, h, EINVAL);
		return;
	}
	/* Every string argument is NUL-terminated in the payload (wire.c checked). */
	switch (h->type) {
	case XS_READ:
		rc = xs_read(store, c->dom, tx, m->argv[0], buf, XS_PAYLOAD_MAX);
		if (rc >= 0)
			reply(c, h, XS_READ, buf, (size_t)rc);
		break;
	case XS_WRITE:
		rc = xs_write(store, c->dom, tx, m->argv[0], m->argv[1], m->arglen[1]);
		break;
	case XS_MKDIR:
		rc = xs_mkdir(store, c->dom, tx, m->argv[0]);
		break;
	case XS_RM:
		rc = xs_rm(store, c->dom, tx, m->argv[0]);
		break;
	case XS_DIRECTORY:
		rc = xs_directory(store, c->dom, tx, m->argv[0], buf, XS_PAYLOAD_MAX);
		if (rc >= 0)
			reply(c, h, XS_DIRECTORY, buf, (size_t)rc);
		break;
	case XS_GET_PERMS:
		rc = xs_get_perms(store, c->dom, tx, m->argv[0], buf, XS_PAYLOAD_MAX);
		if (rc >= 0)
			reply(c, h, XS_GET_PERMS, buf, (size_t)rc);
		break;
	case XS_SET_PERMS: /* the path, then all the permissions in one argument */
		rc = xs_set_perms(store, c->dom, tx, m->argv[0], m->argv[1], m->arglen[1]);
		break;
	case XS_WATCH:
		rc = xs_watch_conn(store, c->dom, c->id, m->argv[0], m->argv[1]);
		if (!rc) {
			reply_str(c, h, "OK");
			return; /* the reply goes before the event the watch fires at once */
		}
		break;
	case XS_UNWATCH:
		rc = xs_unwatch_conn(store, c->dom, c->id, m->argv[0], m->argv[1]);
		break;
	case XS_TRANSACTION_START: {
		uint32_t id;

		/* None nested (xenstored_transaction.c): inside an open one EBUSY, an unknown one ENOENT. */
		if (tx) {
			rc = xs_transaction_open(store, c->dom, tx) ? -EBUSY : -ENOENT;
			break;
		}
		rc = xs_transaction_start_conn(store, c->dom, c->id, &id);
		if (!rc) {
			snprintf(buf, sizeof(buf), "%u", id);
			reply_str(c, h, buf);
			return;
		}
		break;
	}
	case XS_TRANSACTION_END:
		if (strcmp(m->argv[0], "T") && strcmp(m->argv[0], "F")) {
			rc = -EINVAL;
			break;
		}
		rc = xs_transaction_end(store, c->dom, tx, m->argv[0][0] == 'T');
		break;
	case XS_GET_DOMAIN_PATH:
		if (!parse_uint(m->argv[0], m->arglen[0], DOMID_FIRST_RESERVED - 1, &a)) {
			rc = -EINVAL;
			break;
		}
		snprintf(buf, sizeof(buf), "/local/domain/%lu", a);
		reply_str(c, h, buf);
		return;
	case XS_IS_DOMAIN_INTRODUCED:
		if (!parse_uint(m->argv[0], m->arglen[0], DOMID_FIRST_RESERVED - 1, &a)) {
			rc = -EINVAL;
			break;
		}
		reply_str(c, h, a == 0 || ring_of((xs_domid_t)a) ? "T" : "F");
		return;
	case XS_INTRODUCE:
		if (!parse_uint(m->argv[0], m->arglen[0], DOMID_FIRST_RESERVED - 1, &a) || !a ||
		    !parse_uint(m->argv[2], m->arglen[2], 0xffffffff, &b)) {
			rc = -EINVAL;
			break;
		}
		rc = introduce(a, b);
		break;
	case XS_RELEASE: {
		struct conn *r;

		if (!parse_uint(m->argv[0], m->arglen[0], DOMID_FIRST_RESERVED - 1, &a) || !a) {
			rc = -EINVAL;
			break;
		}
		r = ring_of((xs_domid_t)a);
		if (!r) {
			/* Never connected (or gone already): its id still leaves the tree. */
			xs_release_domain(store, (xs_domid_t)a);
			rc = -ENOENT;
			break;
		}
		release(r);
		rc = 0;
		break;
	}
	case XS_RESET_WATCHES:
		xs_release_conn(store, c->id);
		rc = 0;
		break;
	case XS_CONTROL:
		rc = control(c, h, m, buf);
		if (!rc)
			return; /* it replied */
		break;
	case XS_SET_TARGET:
	case XS_RESUME:
		rc = -ENOSYS; /* (dom0's only: see xs_wire_privileged) */
		break;
	default: /* DIRECTORY_PART, replies sent as requests */
		rc = -ENOSYS;
		break;
	}
	if (rc < 0)
		reply_err(c, h, -rc);
	else if (h->type != XS_READ && h->type != XS_DIRECTORY && h->type != XS_GET_PERMS)
		reply_str(c, h, "OK");
}

/* Handles every whole message in c->in. False if the stream cannot be framed any more. */
static bool handle_input(struct conn *c)
{
	size_t off = 0;
	bool ok = true;

	/* A connection that leaves its replies waiting gets no more handled until it takes them. */
	while (!c->dead && may_read(c)) {
		struct xs_msg m;
		long n = xs_wire_parse(c->in + off, c->inlen - off, &m);

		if (n == 0)
			break;
		if (n < 0) {
			ok = false; /* too long: no frame to find after it */
			break;
		}
		handle(c, &m);
		deliver_events();
		off += (size_t)n;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return ok;
}

/* Handles what c sent that may be handled now, and sends what it can take. */
static void pump(struct conn *c)
{
	if (!handle_input(c)) {
		/* As Xen's (xenstored_core.c handle_input): no reply, the ring's error says why. */
		if (c->ring)
			logmsg("dom%u sent a message longer than %u bytes: disconnected", c->dom,
			       XS_PAYLOAD_MAX);
		flush(c); /* the replies before it */
		if (c->ring && !c->dead)
			c->ring->error = XS_ERROR_PROTO;
		c->dead = true;
		return;
	}
	flush(c);
}

#define RING_READS_A_TURN 8 /* so that one busy guest cannot keep the daemon from the others */
static bool more_to_do; /* a ring was left with requests: poll without sleeping */

static void service_ring(struct conn *c)
{
	uint32_t before = c->ring->req_cons;
	int reads = 0;

	if (c->frozen)
		return;
	for (pump(c); !c->dead && may_read(c); pump(c)) {
		long n;

		if (reads++ == RING_READS_A_TURN) {
			more_to_do = true;
			break;
		}
		n = xs_ring_read(c->ring, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n < 0) {
			logmsg("dom%u broke its XenStore ring (request indices): disconnected", c->dom);
			c->ring->error = XS_ERROR_RINGIDX;
			c->dead = true;
			break;
		}
		if (n == 0)
			break;
		c->inlen += (size_t)n;
	}
	if (!c->dead && c->ring->req_cons != before)
		notify(c->local_port); /* room for more requests */
}

static void service_socket(struct conn *c)
{
	/* (a whole message may be waiting for its turn: then there is nothing to read into) */
	if (c->inlen < sizeof(c->in)) {
		ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);

		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				c->dead = true;
			return;
		}
		c->inlen += (size_t)n;
	}
	pump(c);
}

/* ---- domains coming and going ---- */

/* VIRQ_DOM_EXC: some domain shut down, crashed or is being destroyed. */
static void check_domains(void)
{
	for (struct conn *c = conns; c; c = c->next) {
		struct domus_ctl ctl = { .cmd = DOMUS_CTL_getdomaininfo, .domid = c->dom };
		long rc;

		if (!c->ring || c->dom == 0 || c->dead)
			continue;
		rc = domus_ctl(&ctl);
		if (rc || ctl.domid != c->dom || ctl.u.domaininfo.state == DOMUS_DOMAIN_DYING) {
			release(c); /* lets go of its ring: the hypervisor can then free it */
		} else if (ctl.u.domaininfo.state == DOMUS_DOMAIN_SHUTDOWN && !c->shutdown_told) {
			c->shutdown_told = true;
			xs_fire_special(store, "@releaseDomain");
		}
	}
	deliver_events();
}

static void reap(void)
{
	for (struct conn **pp = &conns; *pp;) {
		struct conn *c = *pp;

		if (c->dead) {
			*pp = c->next;
			conn_free(c);
		} else {
			pp = &c->next;
		}
	}
}

/* ---- setup ---- */

static int die(const char *what)
{
	logmsg("%s: %s", what, strerror(errno));
	return 1;
}

/* Dom0's own ring: the page its kernel allocated at boot (XS_LOCAL), and its port. */
static int connect_dom0(void)
{
	struct ioctl_evtchn_bind_interdomain bind = { .remote_domain = 0 };
	int fd = open("/dev/xen/xenbus_backend", O_RDWR | O_CLOEXEC), port, local;
	struct conn *c;
	void *page;

	if (fd < 0)
		return die("/dev/xen/xenbus_backend (is this dom0?)");
	port = ioctl(fd, IOCTL_XENBUS_BACKEND_EVTCHN);
	if (port < 0)
		return die("dom0's xenstore port");
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED)
		return die("mapping dom0's xenstore page");
	bind.remote_port = (unsigned int)port;
	local = ioctl(evtchn_fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);
	if (local < 0)
		return die("binding dom0's xenstore port");
	c = conn_new(0, 0, -1);
	if (!c)
		return die("dom0");
	c->ring = page;
	c->local_port = local;
	/* Linux probes its xenbus devices on the first event: we are here. */
	service_ring(c);
	notify(local);
	return 0;
}

static void seed_tree(void)
{
	static const char *const nodes[][2] = {
		{ "/tool/xenstored", "" }, { "/local/domain/0/name", "Domain-0" },
		{ "/local/domain/0/domid", "0" },
	};

	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		xs_write(store, 0, 0, nodes[i][0], nodes[i][1], strlen(nodes[i][1]));
	/* Their permissions are the root's, "n0", as on Xen: guests cannot see them. */
	while (xs_next_event(store, &(struct xs_event){ 0 }))
		;
}

static int setup(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct ioctl_evtchn_bind_virq virq = { .virq = VIRQ_DOM_EXC };

	store = xs_store_new(NULL);
	if (!store)
		return die("store");
	seed_tree();
	evtchn_fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	if (evtchn_fd < 0)
		return die("/dev/xen/evtchn");
	gntdev_fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	if (gntdev_fd < 0)
		return die("/dev/xen/gntdev");
	virq_port = ioctl(evtchn_fd, IOCTL_EVTCHN_BIND_VIRQ, &virq);
	if (virq_port < 0)
		return die("binding VIRQ_DOM_EXC (is another toolstack daemon holding it?)");
	mkdir("/run/xenstored", 0755);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", XS_SOCKET);
	unlink(addr.sun_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listen_fd, 16))
		return die(XS_SOCKET);
	return connect_dom0();
}

static void accept_socket(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct conn *c;

	if (fd < 0)
		return;
	if (nr_sockets >= MAX_SOCKETS || !(c = conn_new(++next_sock_id, 0, fd))) {
		logmsg("refusing a local connection: %u open", nr_sockets);
		close(fd);
		return;
	}
	nr_sockets++;
}

static void pending_ports(void)
{
	uint32_t ports[64];
	ssize_t n = read(evtchn_fd, ports, sizeof(ports));

	if (n <= 0)
		return;
	write(evtchn_fd, ports, (size_t)n); /* unmask: we look at every ring below anyway */
	for (ssize_t i = 0; i < n / 4; i++)
		if ((int)ports[i] == virq_port)
			check_domains();
}

int main(int argc, char **argv)
{
	int ready[2];
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "-F")) {
		fprintf(stderr, "usage: xenstored [-F]   (-F: stay in the foreground)\n");
		return 2;
	}
	if (argc == 1) {
		/* Detach once the socket and dom0's ring are up, so that init can go on at once. */
		if (pipe(ready))
			return die("pipe");
		pid = fork();
		if (pid < 0)
			return die("fork");
		if (pid > 0) {
			char ok;

			close(ready[1]);
			return read(ready[0], &ok, 1) == 1 ? 0 : 1;
		}
		close(ready[0]);
		setsid();
	}
	if (setup())
		return 1;
	logmsg("serving dom0 and %s", XS_SOCKET);
	if (argc == 1) {
		write(ready[1], "R", 1);
		close(ready[1]);
	}
	for (;;) {
		struct pollfd p[2 + MAX_SOCKETS];
		struct conn *polled[MAX_SOCKETS];
		int n = 2;

		p[0] = (struct pollfd){ evtchn_fd, POLLIN, 0 };
		p[1] = (struct pollfd){ listen_fd, POLLIN, 0 };
		for (struct conn *c = conns; c; c = c->next) {
			if (c->fd < 0)
				continue;
			polled[n - 2] = c;
			p[n++] = (struct pollfd){ c->fd,
						  (short)((may_read(c) ? POLLIN : 0) |
							  (c->out.bytes ? POLLOUT : 0)), 0 };
		}
		if (poll(p, (nfds_t)n, more_to_do ? 0 : -1) < 0)
			continue;
		more_to_do = false;
		if (p[0].revents & POLLIN)
			pending_ports();
		if (p[1].revents & POLLIN)
			accept_socket();
		for (int i = 2; i < n; i++) {
			struct conn *c = polled[i - 2];

			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				service_socket(c);
			if (p[i].revents & POLLOUT)
				flush(c);
		}
		/* Rings are cheap to look at: all of them, each time round. */
		for (struct conn *c = conns; c; c = c->next)
			if (c->ring && !c->dead)
				service_ring(c);
		/* (pump, not just flush: a request that waited for room may go now) */
		for (struct conn *c = conns; c; c = c->next)
			pump(c);
		reap();
	}
}
