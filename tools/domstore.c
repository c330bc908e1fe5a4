/* SPDX-License-Identifier: MIT */
/* A guest's XenStore records, its introduction to xenstored, and its end (see domstore.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <public/domus_ctl.h>
#include <public/sched.h>
#include <public/xen.h>

#include "domstore.h"
#include "libdomus.h"
#include "devices.h"
#include "vbd.h"
#include "vif.h"
#include "xenstore/client.h"
#include "xenstore/ring.h"

/* /local/domain/ID/rel (rel "" is the directory itself) with its value and permissions. */
static int put(struct xsc *h, uint32_t tx, uint16_t domid, const char *rel, bool guest_owns,
	       const char *fmt, ...)
{
	char dir[32];
	va_list ap;
	int rc;

	snprintf(dir, sizeof(dir), "/local/domain/%u", domid);
	va_start(ap, fmt);
	/* Xen's two kinds: dom0's, which the guest reads; the guest's own, which it writes. */
	rc = xsc_vput(h, tx, guest_owns ? domid : 0, guest_owns ? -1 : domid, dir, rel, fmt, ap);
	va_end(ap);
	return rc;
}

const char *const domstore_guest_dirs[DOMSTORE_GUEST_DIRS] = {
	"data", "drivers", "feature", "attr", "error", "control/shutdown", "control/feature-poweroff",
	"control/feature-reboot", "control/feature-suspend", "control/sysrq"
};

static int write_records(struct xsc *h, uint32_t tx, const struct domu_config *c,
			 const struct domu_built *b, const struct vbd *vbds,
			 const struct vif_config *vifs)
{
	uint16_t d = b->domid;
	uint64_t kib = c->memory_mib * 1024;
	char cpu[32];
	int rc = 0;

	rc = rc ?: put(h, tx, d, "", false, "");
	rc = rc ?: put(h, tx, d, "name", false, "%s", c->name);
	rc = rc ?: put(h, tx, d, "domid", false, "%u", d);
	rc = rc ?: put(h, tx, d, "memory", false, "");
	rc = rc ?: put(h, tx, d, "memory/static-max", false, "%llu", (unsigned long long)kib);
	/* The balloon driver's target: the size it has, so it gives nothing back. */
	rc = rc ?: put(h, tx, d, "memory/target", false, "%llu", (unsigned long long)kib);
	rc = rc ?: put(h, tx, d, "cpu", false, "");
	for (uint32_t i = 0; i < c->vcpus && !rc; i++) {
		snprintf(cpu, sizeof(cpu), "cpu/%u/availability", i);
		rc = put(h, tx, d, cpu, false, "online");
	}
	rc = rc ?: put(h, tx, d, "device", false, ""); /* the toolstack adds devices below */
	rc = rc ?: put(h, tx, d, "control", false, "");
	/* Linux then resets its watches at boot (XS_RESET_WATCHES), as on Xen. */
	rc = rc ?: put(h, tx, d, "control/platform-feature-xs_reset_watches", false, "1");
	rc = rc ?: put(h, tx, d, "store", false, "");
	rc = rc ?: put(h, tx, d, "store/port", false, "%u", b->store_port);
	rc = rc ?: put(h, tx, d, "store/ring-ref", false, "%llu",
		      (unsigned long long)b->store_gfn);
	if (b->console_gfn) { /* a guest started at boot has no PV console, as on Xen */
		rc = rc ?: put(h, tx, d, "console", false, "");
		rc = rc ?: put(h, tx, d, "console/port", false, "%u", b->console_port);
		rc = rc ?: put(h, tx, d, "console/ring-ref", false, "%llu",
			      (unsigned long long)b->console_gfn);
		rc = rc ?: put(h, tx, d, "console/type", false, "domus-consoled");
	}
	for (size_t i = 0; i < DOMSTORE_GUEST_DIRS && !rc; i++)
		rc = put(h, tx, d, domstore_guest_dirs[i], true, "");
	for (unsigned int i = 0; i < c->nr_disks && !rc; i++)
		rc = vbd_write_records(h, tx, d, &vbds[i]);
	for (unsigned int i = 0; i < c->nr_vifs && !rc; i++)
		rc = vif_write_records(h, tx, d, &vifs[i]);
	return rc;
}

int domstore_records(const struct domu_config *c, const struct domu_built *b, char *err,
		     size_t errlen)
{
	struct xsc h;
	struct vbd vbds[MAX_DISKS];
	struct vif_config vifs[MAX_VIFS];
	int rc = xsc_open(&h), tries = 0;
	unsigned int plugged = 0;
	uint32_t tx;

	if (rc) {
		snprintf(err, errlen, "cannot reach xenstored (%s): %s", XS_SOCKET, strerror(-rc));
		return -1;
	}
	for (unsigned int i = 0; i < c->nr_vifs; i++) {
		vifs[i] = c->vifs[i];
		vif_choose_mac(&vifs[i]);
	}
	for (; plugged < c->nr_disks; plugged++) {
		if (vbd_hotplug(&c->disks[plugged], &vbds[plugged], err, errlen)) {
			while (plugged--)
				vbd_unplug(&vbds[plugged]);
			xsc_close(&h);
			return -1;
		}
	}
	do {
		rc = xsc_transaction_start(&h, &tx);
		if (rc)
			break;
		rc = write_records(&h, tx, c, b, vbds, vifs);
		if (rc) {
			xsc_transaction_end(&h, tx, 0);
			break;
		}
		rc = xsc_transaction_end(&h, tx, 1);
	} while (rc == -EAGAIN && ++tries < 10);
	if (rc) {
		snprintf(err, errlen, "cannot write its XenStore records: %s", strerror(-rc));
		while (plugged--)
			vbd_unplug(&vbds[plugged]);
		xsc_close(&h);
		return -1;
	}
	/* The caller's domain_end() takes the records and devices away if this fails. */
	for (unsigned int i = 0; i < c->nr_vifs; i++) {
		if (vif_hotplug(&h, b->domid, &vifs[i], err, errlen)) {
			xsc_close(&h);
			return -1;
		}
	}
	xsc_close(&h);
	return 0;
}

int domstore_announce(const struct domu_built *b, char *err, size_t errlen)
{
	char id[8], gfn[24], port[12];
	const char *args[3] = { id, gfn, port };
	struct xsc h;
	int rc = xsc_open(&h);
	long r;

	if (rc) {
		snprintf(err, errlen, "cannot reach xenstored (%s): %s", XS_SOCKET, strerror(-rc));
		return -1;
	}
	snprintf(id, sizeof(id), "%u", b->domid);
	snprintf(gfn, sizeof(gfn), "%llu", (unsigned long long)b->store_gfn);
	snprintf(port, sizeof(port), "%u", b->store_port);
	r = xsc_call(&h, XS_INTRODUCE, 0, args, 3, 0, NULL, 0);
	xsc_close(&h);
	if (r < 0) {
		snprintf(err, errlen, "xenstored refused to introduce it: %s", strerror((int)-r));
		return -1;
	}
	return 0;
}

int domstore_introduce(const struct domu_config *c, const struct domu_built *b, char *err,
		       size_t errlen)
{
	return domstore_records(c, b, err, errlen) || domstore_announce(b, err, errlen) ? -1 : 0;
}

int domstore_request_shutdown(uint16_t domid, const char *how)
{
	struct xsc h;
	char path[64];
	int rc = xsc_open(&h);

	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
	rc = xsc_write(&h, 0, path, how);
	xsc_close(&h);
	return rc;
}

/* The XenStore page of a guest started at boot: populated, zeroed, "reconnect" until xenstored says. */
static long give_store_page(uint16_t id, uint64_t gfn)
{
	struct xs_ring_page *page;
	long r = domus_populate(id, &gfn, 1, 0);

	if (r != 1)
		return r < 0 ? r : -ENOMEM;
	page = domus_map_foreign(id, gfn, 1);
	if (!page)
		return -errno;
	memset(page, 0, sizeof(*page));
	page->connection = XS_RECONNECT;
	domus_unmap_foreign(page, 1);
	return 0;
}

static int introduce_boot_guest(uint16_t id, const struct domus_ctl_domaininfo *info)
{
	struct domu_config c = { .memory_mib = info->mem_pages / 256, .vcpus = info->nr_vcpus };
	struct domu_built b = { .domid = id };
	uint64_t port = 0, pfn = 0;
	char err[300];
	long r;

	/* Enhanced with XenStore, and not given it yet: Domus left the port and ~0. */
	if (domus_get_param(id, HVM_PARAM_STORE_EVTCHN, &port) || !port ||
	    domus_get_param(id, HVM_PARAM_STORE_PFN, &pfn) || pfn != ~0ULL)
		return 0;
	snprintf(c.name, sizeof(c.name), "%s", info->name);
	b.store_port = (uint32_t)port;
	b.store_gfn = (GUEST_MAGIC_BASE >> 12) + GUEST_XENSTORE_PFN_OFFSET;
	r = give_store_page(id, b.store_gfn);
	/* The guest looks for the page once xenstored's introduction wakes it. */
	r = r ?: domus_set_param(id, HVM_PARAM_STORE_PFN, b.store_gfn);
	if (r) {
		fprintf(stderr, "domus: introduce: '%s' (%u): its XenStore page: %s\n", c.name, id,
			strerror((int)-r));
		return -1;
	}
	if (domstore_introduce(&c, &b, err, sizeof(err))) {
		fprintf(stderr, "domus: introduce: '%s' (%u): %s\n", c.name, id, err);
		return -1;
	}
	printf("domus: introduced '%s' (domain %u) to XenStore\n", c.name, id);
	return 0;
}

int domstore_introduce_boot_guests(void)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_getdomaininfo, .domid = 1 };
	int rc = 0;

	while (domus_ctl(&c) == 0) {
		struct domus_ctl_domaininfo info = c.u.domaininfo;
		uint16_t id = c.domid;

		if (info.state == DOMUS_DOMAIN_RUNNING && introduce_boot_guest(id, &info))
			rc = -1;
		c = (struct domus_ctl){ .cmd = DOMUS_CTL_getdomaininfo, .domid = id + 1 };
	}
	return rc;
}

long domain_end(uint16_t domid)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_destroydomain, .domid = domid };
	struct xsc h;
	char id[8], path[32];
	const char *arg = id;
	long rc;

	snprintf(id, sizeof(id), "%u", domid);
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	if (xsc_open(&h) == 0) {
		/* ENOENT: never introduced, or xenstored saw it die and let go already. */
		xsc_call(&h, XS_RELEASE, 0, &arg, 1, 0, NULL, 0);
		device_remove_all(&h, domid);
		xsc_rm(&h, 0, path);
		xsc_close(&h);
	}
	/* -EBUSY while dom0 still maps one of its grants (blkback letting go takes a moment). */
	for (int i = 0; (rc = domus_ctl(&ctl)) == -EBUSY && i < 50; i++)
		usleep(100 * 1000);
	return rc;
}
