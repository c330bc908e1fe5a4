/* SPDX-License-Identifier: MIT */
/*
 * A live migration the guest takes no part in (handover.h, docs/MIGRATION.md).
 *
 * Linux's blkback and netback may be unbound from a device and bound again
 * while its front end stays connected (their xenbus drivers set
 * allow_rebind): unbinding one unmaps its rings and closes its ports and
 * says nothing in XenStore, so the front end sees only a pause in its I/O;
 * a back end that finds its front end Connected attaches to the rings where
 * they are. That is how a guest's devices change hosts here: unbound at the
 * source, probed at the target, which carries the guest's ports (a port
 * that was connected to dom0 waits there, unbound for dom0), its grant
 * table and its device nodes as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <public/xen.h>

#include "errmsg.h"
#include "handover.h"
#include "libdomus.h"
#include "save.h"
#include "vif.h"
#include "xenstore/client.h"

_Static_assert(SAVE_WATCHES_MAX == XS_WATCHES_MAX, "a watches record is one migrate-in's");

/* How long the back ends may take to let go of its grants: blkback first finishes what is in flight. */
#define LET_GO_MS 5000
#define LET_GO_POLL_MS 2
/* A guest paused mid-request to xenstored runs this long before the next look, this many times. */
#define FREEZE_RUN_MS 2
#define FREEZE_TRIES 50

/*
 * Domus writes into a buffer of ours through dom0's page tables: its pages
 * must be there (touched) and stay (locked), or the call fails with -EFAULT.
 */
static void hold(void *p, size_t n)
{
	memset(p, 0, n);
	mlock(p, n);
}

/* A page Domus copies a grant frame into. */
static char *frame_buffer(void)
{
	static char page[4096];
	static bool held;

	if (!held) {
		hold(page, sizeof(page));
		held = true;
	}
	return page;
}

/* Unbinds or binds (what) the back end drv-DOMID-DEVID in this dom0's xenbus: 0 or -errno. */
static int backend(const char *drv, const char *what, uint16_t domid, unsigned int devid)
{
	char path[96], name[48];
	int fd, n, rc = 0;

	snprintf(path, sizeof(path), "/sys/bus/xen-backend/drivers/%s/%s", drv, what);
	n = snprintf(name, sizeof(name), "%s-%u-%u", drv, domid, devid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, name, (size_t)n) != n)
		rc = -errno;
	close(fd);
	return rc;
}

/* The guest's devices, disks first: drv and devid of the i-th. False past the last. */
static bool device_at(const struct domu_config *c, unsigned int i, const char **drv,
		      unsigned int *devid)
{
	if (i < c->nr_disks) {
		*drv = "vbd";
		*devid = c->disks[i].devid;
		return true;
	}
	if (i - c->nr_disks < c->nr_vifs) {
		*drv = "vif";
		*devid = c->vifs[i - c->nr_disks].devid;
		return true;
	}
	return false;
}

/* Whether back end drv-DOMID-DEVID exists here with no driver: unbound (nothing else unbinds them). */
static bool unbound(const char *drv, uint16_t domid, unsigned int devid)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/xen-backend/devices/%s-%u-%u", drv, domid, devid);
	if (access(path, F_OK))
		return false;
	snprintf(path, sizeof(path), "/sys/bus/xen-backend/devices/%s-%u-%u/driver", drv, domid, devid);
	return access(path, F_OK) != 0;
}

/*
 * Binds again each of the first n devices that is unbound; a vif's interface,
 * made anew, goes back into its bridge. How many it bound.
 */
static unsigned int bind_again(uint16_t domid, const struct domu_config *c, unsigned int n)
{
	const char *drv;
	unsigned int devid, bound = 0;
	struct xsc xs;
	bool have_xs = xsc_open(&xs) == 0;

	for (unsigned int i = 0; i < n && device_at(c, i, &drv, &devid); i++) {
		char why[256];
		int rc;

		if (!unbound(drv, domid, devid))
			continue;
		rc = backend(drv, "bind", domid, devid);
		if (rc) {
			fprintf(stderr, "domus: %s: cannot give %s-%u-%u its back end again: %s\n",
				c->name, drv, domid, devid, strerror(-rc));
			continue;
		}
		bound++;
		if (i >= c->nr_disks && have_xs &&
		    vif_hotplug(&xs, domid, &c->vifs[i - c->nr_disks], why, sizeof(why)))
			fprintf(stderr, "domus: %s: %s\n", c->name, why);
	}
	if (have_xs)
		xsc_close(&xs);
	return bound;
}

static long pause_domain(uint16_t domid, bool pause)
{
	struct domus_ctl ctl = { .cmd = pause ? DOMUS_CTL_pausedomain : DOMUS_CTL_unpausedomain,
				 .domid = domid };

	return domus_ctl(&ctl);
}

/*
 * Frame idx of its grant table into page (the guest stopped), or with page
 * NULL only the table's use (any time). 0, -ENOENT past its frames.
 */
static long grant_frame(uint16_t domid, uint32_t idx, void *page, struct domus_ctl_grantframe *g)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_getgrantframe, .domid = domid };
	long rc;

	ctl.u.grantframe = (struct domus_ctl_grantframe){
		.idx = idx, .buffer = (uintptr_t)page };
	rc = domus_ctl(&ctl);
	*g = ctl.u.grantframe;
	return rc;
}

static void *unbinder(void *arg)
{
	struct handover_unbinder *u = arg;

	u->rc = backend(u->drv, "unbind", u->domid, u->devid);
	__atomic_store_n(&u->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Starts the unbinding of each of its back ends, each in a thread of its own
 * (not a process: a fork would make the buffers Domus writes through our page
 * tables copy-on-write), with every signal left to this one. 0 or -errno.
 */
static int unbind_all(uint16_t domid, const struct domu_config *c, struct handover *h)
{
	sigset_t all, was;
	struct xsc xs;
	bool have_xs = xsc_open(&xs) == 0;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &was);
	for (unsigned int i = 0; !rc && device_at(c, i, &h->unbinders[i].drv, &h->unbinders[i].devid);
	     i++) {
		struct handover_unbinder *u = &h->unbinders[i];

		u->domid = domid;
		/* Read before its unbinding starts: connected then, it holds its rings till it lets go. */
		u->may_outlast_pause = !strcmp(u->drv, "vif") && have_xs &&
				       vif_connected(&xs, domid, u->devid);
		rc = -pthread_create(&u->thread, NULL, unbinder, u);
		u->started = !rc;
	}
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	if (have_xs)
		xsc_close(&xs);
	return rc;
}

/* The unbinders that have ended (block: each, once it has): 0, or -1 with the first that failed. */
static int reap_unbinders(struct handover *h, bool block, char *err, size_t errlen)
{
	int rc = 0;

	for (unsigned int i = 0; i < MAX_DISKS + MAX_VIFS; i++) {
		struct handover_unbinder *u = &h->unbinders[i];

		if (!u->started || (!block && !__atomic_load_n(&u->done, __ATOMIC_ACQUIRE)))
			continue;
		pthread_join(u->thread, NULL);
		u->started = false;
		if (u->rc && !rc)
			rc = fail_with(err, errlen, "its back end %s-%u-%u would not let go: %s",
				       u->drv, u->domid, u->devid, strerror(-u->rc));
	}
	return rc;
}

/* Whether a back end whose unbinding must end before the pause (handover_stop) has not. */
static bool unbinding_in_the_way(const struct handover *h)
{
	for (unsigned int i = 0; i < MAX_DISKS + MAX_VIFS; i++)
		if (h->unbinders[i].started && !h->unbinders[i].may_outlast_pause)
			return true;
	return false;
}

void handover_unbound_wait(struct handover *h)
{
	char why[256];

	/* What ended after the pause: the guest is stopped or gone by now; it is only said. */
	if (reap_unbinders(h, true, why, sizeof(why)))
		fprintf(stderr, "domus: %s\n", why);
}

/*
 * Waits until no back end pins a grant of the guest's and those that must
 * are unbound (handover_stop): then none writes its memory or its disks any
 * more. Grants it maps of others' are refused once it is paused (a mapping
 * held a moment while it runs is not).
 */
static int wait_let_go(uint16_t domid, struct handover *h, bool paused, char *err, size_t errlen)
{
	struct domus_ctl_grantframe g;

	for (int waited = 0;; waited += LET_GO_POLL_MS) {
		long rc;

		if (reap_unbinders(h, false, err, errlen))
			return -1;
		rc = grant_frame(domid, 0, NULL, &g);
		if (rc)
			return fail_with(err, errlen, "cannot read its grant table: %s",
					 strerror((int)-rc));
		if (paused && g.maps)
			return fail_with(err, errlen, "it maps %u of other domains' grants", g.maps);
		if (!g.pins && !unbinding_in_the_way(h))
			return 0;
		if (waited >= LET_GO_MS && g.pins)
			return fail_with(err, errlen, "its back ends still hold %u of its grants after "
					 "%d s", g.pins, LET_GO_MS / 1000);
		if (waited >= LET_GO_MS)
			return fail_with(err, errlen, "its back ends are still being unbound after %d s "
					 "(waiting for them to end)", LET_GO_MS / 1000);
		usleep(LET_GO_POLL_MS * 1000);
	}
}

static int read_ports(uint16_t domid, struct handover *h, char *err, size_t errlen)
{
	uint32_t first = 1;

	h->nr_ports = 0;
	do {
		struct domus_ctl ctl = { .cmd = DOMUS_CTL_getports, .domid = domid };
		uint32_t room = SAVE_PORTS_MAX - h->nr_ports;
		long rc;

		ctl.u.ports = (struct domus_ctl_ports){
			.buffer = (uintptr_t)(h->ports + h->nr_ports), .first = first,
			.count = room < DOMUS_PORTS_MAX ? room : DOMUS_PORTS_MAX };
		rc = domus_ctl(&ctl);
		if (rc)
			return fail_with(err, errlen, "cannot read its event channels: %s",
					 strerror((int)-rc));
		h->nr_ports += ctl.u.ports.count;
		first = ctl.u.ports.next;
	} while (first && h->nr_ports < SAVE_PORTS_MAX);
	for (uint32_t i = 0; i < h->nr_ports; i++)
		if (h->ports[i].state == DOMUS_PORT_INTERDOMAIN && h->ports[i].remote_dom != 0)
			return fail_with(err, errlen, "its port %u is bound to domain %u, which does not "
					 "move with it", h->ports[i].port, h->ports[i].remote_dom);
	return 0;
}

/* xenstored serves its ring to the end and freezes it: the watches come back. */
static int freeze_store(uint16_t domid, struct handover *h, char *err, size_t errlen)
{
	static char reply[XS_PAYLOAD_MAX + 1];
	char id[8];
	const char *args[2] = { "migrate-out", id };
	struct xsc xs;
	long rc = xsc_open(&xs);

	if (rc)
		return fail_with(err, errlen, "cannot reach xenstored: %s", strerror((int)-rc));
	snprintf(id, sizeof(id), "%u", domid);
	for (int i = 0; i < FREEZE_TRIES; i++) {
		rc = xsc_call(&xs, XS_CONTROL, 0, args, 2, 0, reply, sizeof(reply));
		if (rc != -EAGAIN)
			break;
		/* Mid-request, or a reply it has not taken: let it run a moment. */
		if (pause_domain(domid, false) == 0) {
			usleep(FREEZE_RUN_MS * 1000);
			pause_domain(domid, true);
		}
	}
	xsc_close(&xs);
	if (rc == -EAGAIN)
		return fail_with(err, errlen, "it kept a XenStore request or transaction open");
	if (rc < 0)
		return fail_with(err, errlen, "xenstored would not freeze its connection: %s",
				 strerror((int)-rc));
	if ((size_t)rc > sizeof(h->watches))
		return fail_with(err, errlen, "its XenStore watches take more than %zu bytes",
				 sizeof(h->watches));
	memcpy(h->watches, reply, (size_t)rc);
	h->watches_len = (size_t)rc;
	h->frozen = true;
	return 0;
}

/* Whether it was frozen. */
static bool thaw_store(uint16_t domid)
{
	char id[8], was[4] = "";
	const char *args[2] = { "migrate-thaw", id };
	struct xsc xs;

	snprintf(id, sizeof(id), "%u", domid);
	if (xsc_open(&xs) == 0) {
		xsc_call(&xs, XS_CONTROL, 0, args, 2, 0, was, sizeof(was));
		xsc_close(&xs);
	}
	return was[0] == '1';
}

int handover_stop(uint16_t domid, const struct domu_config *c, struct handover *h, char *err,
		  size_t errlen)
{
	long rc;

	hold(h, sizeof(*h)); /* Domus writes its ports here */
	/*
	 * The back ends first, while it runs: what it asks of them meanwhile
	 * waits in its rings. Each is unbound by a thread of its own, and the
	 * guest paused once no back end pins its grants and the unbinding of
	 * each but a connected netback's has ended. A netback stops its
	 * threads, closes its ports and unmaps its rings first, then takes
	 * down its interface (RCU grace periods: most of the ~90 ms its unbind
	 * takes), which need not keep the guest's network waiting. One not
	 * connected yet pins nothing to watch, and could still connect and
	 * write the guest's memory while its last pages are copied; a
	 * blkback's late write could land after the target's: theirs end
	 * before the pause, as every unbinding did.
	 */
	h->unbound_at = save_seconds();
	h->unbound = true;
	rc = unbind_all(domid, c, h);
	if (rc) {
		handover_undo(domid, c, h);
		return fail_with(err, errlen, "cannot unbind its back ends: %s", strerror((int)-rc));
	}
	if (wait_let_go(domid, h, false, err, errlen)) {
		handover_undo(domid, c, h);
		return -1;
	}
	rc = pause_domain(domid, true);
	if (rc) {
		handover_undo(domid, c, h);
		return fail_with(err, errlen, "cannot pause it: %s", strerror((int)-rc));
	}
	h->paused = true;
	h->paused_at = save_seconds();
	/*
	 * The freeze may let it run a moment more; nothing of it runs after.
	 * Then the grants, and its ports last, their bits as it will find them.
	 */
	if (freeze_store(domid, h, err, errlen) || wait_let_go(domid, h, true, err, errlen) ||
	    read_ports(domid, h, err, errlen)) {
		handover_undo(domid, c, h);
		return -1;
	}
	h->stopped_at = save_seconds();
	return 0;
}

void handover_undo(uint16_t domid, const struct domu_config *c, struct handover *h)
{
	if (h->frozen)
		thaw_store(domid);
	if (h->unbound) {
		handover_unbound_wait(h);
		bind_again(domid, c, c->nr_disks + c->nr_vifs);
	}
	if (h->paused)
		pause_domain(domid, false);
	h->frozen = h->unbound = h->paused = false;
}

bool handover_recover(uint16_t domid, const struct domu_config *c, bool paused)
{
	bool frozen = thaw_store(domid);
	unsigned int rebound = bind_again(domid, c, c->nr_disks + c->nr_vifs);

	if ((frozen || rebound) && paused)
		pause_domain(domid, false);
	return frozen || rebound;
}

int handover_write(uint16_t domid, const struct handover *h, struct save_writer *w, char *err,
		   size_t errlen)
{
	char *page = frame_buffer();
	struct domus_ctl_grantframe g;
	struct save_grant_frame f = { 0 };

	if (save_write_record(w, SAVE_PORTS,
			      (struct iovec[]){ { (void *)h->ports, h->nr_ports * sizeof(h->ports[0]) } },
			      1, err, errlen))
		return -1;
	for (f.idx = 0;; f.idx++) {
		long rc = grant_frame(domid, f.idx, page, &g);

		if (rc == -ENOENT && f.idx)
			break;
		if (rc)
			return fail_with(err, errlen, "cannot read its grant table: %s",
					 strerror((int)-rc));
		if (f.idx >= SAVE_GRANT_FRAMES_MAX)
			return fail_with(err, errlen, "its grant table has %u frames", g.nr_frames);
		f.gfn = g.gfn;
		if (save_write_record(w, SAVE_GRANT_FRAME,
				      (struct iovec[]){ { &f, sizeof(f) }, { page, 4096 } }, 2,
				      err, errlen))
			return -1;
	}
	return save_write_record(w, SAVE_WATCHES,
				 (struct iovec[]){ { (void *)h->watches, h->watches_len } }, 1, err,
				 errlen);
}

int handover_ports_in(uint16_t dom, const void *body, size_t len, uint32_t console_port,
		      uint32_t store_port, char *err, size_t errlen)
{
	static struct domus_port ports[SAVE_PORTS_MAX];
	uint32_t n = (uint32_t)(len / sizeof(ports[0])); /* the record's length is checked */
	int found = 0;

	memcpy(ports, body, len);
	for (uint32_t i = 0; i < n; i++) {
		struct domus_port *p = &ports[i];

		/* The ports made here for its console and XenStore must be where it has them. */
		if ((p->port == console_port || p->port == store_port) && p->remote_dom == 0 &&
		    (p->state == DOMUS_PORT_UNBOUND || p->state == DOMUS_PORT_INTERDOMAIN))
			found++;
		if (p->state != DOMUS_PORT_INTERDOMAIN)
			continue;
		/* Its peer was the source's dom0: this dom0's back end, console or xenstored binds it. */
		if (p->remote_dom != 0)
			return fail_with(err, errlen, "its port %u is bound to domain %u, not dom0",
					 p->port, p->remote_dom);
		*p = (struct domus_port){ .port = p->port, .state = DOMUS_PORT_UNBOUND,
					  .flags = p->flags, .notify_vcpu = p->notify_vcpu };
	}
	if (found != 2)
		return fail_with(err, errlen, "its console and XenStore ports are not %u and %u, "
				 "where this machine made them", console_port, store_port);
	for (uint32_t done = 0; done < n; done += DOMUS_PORTS_MAX) {
		struct domus_ctl ctl = { .cmd = DOMUS_CTL_setports, .domid = dom };
		long rc;

		ctl.u.ports = (struct domus_ctl_ports){
			.buffer = (uintptr_t)(ports + done),
			.count = n - done < DOMUS_PORTS_MAX ? n - done : DOMUS_PORTS_MAX };
		rc = domus_ctl(&ctl);
		if (rc)
			return fail_with(err, errlen, "Domus refused its event channels: %s",
					 strerror((int)-rc));
	}
	return 0;
}

int handover_grant_frame_in(uint16_t dom, const void *body, char *err, size_t errlen)
{
	const struct save_grant_frame *f = body;
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_setgrantframe, .domid = dom };
	long rc;

	ctl.u.grantframe = (struct domus_ctl_grantframe){
		.idx = f->idx, .gfn = f->gfn, .buffer = (uintptr_t)(f + 1) };
	rc = domus_ctl(&ctl);
	if (rc)
		return fail_with(err, errlen, "Domus refused frame %u of its grant table: %s", f->idx,
				 strerror((int)-rc));
	return 0;
}

int handover_watches_in(uint16_t dom, const char *watches, size_t len, char *err, size_t errlen)
{
	char id[8];
	const char *args[3] = { "migrate-in", id, watches };
	struct xsc xs;
	long rc = xsc_open(&xs);

	if (rc)
		return fail_with(err, errlen, "cannot reach xenstored: %s", strerror((int)-rc));
	snprintf(id, sizeof(id), "%u", dom);
	rc = xsc_call(&xs, XS_CONTROL, 0, args, len ? 3 : 2, len, NULL, 0);
	xsc_close(&xs);
	if (rc < 0)
		return fail_with(err, errlen, "xenstored would not take its watches: %s",
				 strerror((int)-rc));
	return 0;
}
