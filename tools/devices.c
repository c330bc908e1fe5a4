/* SPDX-License-Identifier: MIT */
/*
 * Disks and network interfaces added to and taken from a running guest
 * (`domus block-attach`, `network-detach`, ...). Attaching is what create
 * does for one device. Detaching follows Xen's protocol: the back end is
 * marked offline and Closing; the guest's front end sees that, lets go and
 * says Closed; the back end driver then goes, and so do the records. At a
 * guest's end all its devices' records go at once (device_remove_all).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "vbd.h"
#include "vif.h"

/* How long a guest gets to connect a new device or let go of an old one. */
#define DEVICE_WAIT_MS 15000
/* How often a front end still Initialising is reminded of its device. */
#define NUDGE_EVERY_MS 2000

static int open_store(struct xsc *h, char *err, size_t errlen)
{
	int rc = xsc_open(h);

	if (rc)
		snprintf(err, errlen, "cannot reach xenstored (%s): %s", XS_SOCKET, strerror(-rc));
	return rc ? -1 : 0;
}

int device_state(struct xsc *h, const char *dir)
{
	char path[128], val[16];
	long n;

	snprintf(path, sizeof(path), "%s/state", dir);
	n = xsc_read(h, 0, path, val, sizeof(val));
	return n < 0 ? (int)n : atoi(val);
}

/* Waits for dir's state to be want (or the node to go): true if it came. */
static bool wait_state(struct xsc *h, const char *dir, int want)
{
	for (int waited = 0; waited < DEVICE_WAIT_MS; waited += 50) {
		int s = device_state(h, dir);

		if (s == want || s == -ENOENT)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static bool exists(struct xsc *h, const char *path)
{
	char val[4];

	return xsc_read(h, 0, path, val, sizeof(val)) >= 0;
}

/* Runs write(h, tx, arg) in transactions until one commits: 0 or -errno. */
static int in_transaction(struct xsc *h, int (*write)(struct xsc *, uint32_t, const void *),
			  const void *arg)
{
	uint32_t tx;
	int rc, tries = 0;

	do {
		rc = xsc_transaction_start(h, &tx);
		if (rc)
			return rc;
		rc = write(h, tx, arg);
		if (rc) {
			xsc_transaction_end(h, tx, 0);
			return rc;
		}
		rc = xsc_transaction_end(h, tx, 1);
	} while (rc == -EAGAIN && ++tries < 10);
	return rc;
}

/*
 * Rewrites fe's state with the value it has, if that is still Initialising,
 * in a transaction, so a front end that moved meanwhile is never overwritten.
 * The write fires the guest's watch on "device" again. Linux enumerates its
 * devices first and registers that watch after (xenbus_probe_frontend.c,
 * frontend_probe_and_watch): a device whose records land in between, as they
 * do when `domus create` is followed at once by an attach, is seen by neither
 * and would wait forever. A guest that has the device already ignores it.
 */
static void nudge_frontend(struct xsc *h, const char *fe)
{
	char path[128], val[16];
	uint32_t tx;

	snprintf(path, sizeof(path), "%s/state", fe);
	if (xsc_transaction_start(h, &tx))
		return;
	if (xsc_read(h, tx, path, val, sizeof(val)) > 0 && atoi(val) == XENBUS_INITIALISING &&
	    !xsc_write(h, tx, path, val))
		xsc_transaction_end(h, tx, 1);
	else
		xsc_transaction_end(h, tx, 0);
}

/*
 * After an attach: the guest's front end should connect; says so if it does
 * not, with both ends' states (which of the two is waiting for the other).
 */
static void await_frontend(struct xsc *h, const char *be, const char *fe, const char *what)
{
	for (int waited = 0; waited < DEVICE_WAIT_MS; waited += 50) {
		int s = device_state(h, fe);

		if (s == XENBUS_CONNECTED || s == -ENOENT)
			return;
		if (waited && waited % NUDGE_EVERY_MS == 0)
			nudge_frontend(h, fe);
		usleep(50 * 1000);
	}
	fprintf(stderr,
		"domus: %s is attached but the guest has not connected it in %d s (front end "
		"state %d, back end state %d)\n",
		what, DEVICE_WAIT_MS / 1000, device_state(h, fe), device_state(h, be));
}

/*
 * Asks the guest to let go of the device whose back end is at be. true once
 * the front end is Closed (or gone); false if it holds on (a mounted disk).
 */
static bool close_device(struct xsc *h, const char *be, const char *fe)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/online", be);
	xsc_write(h, 0, path, "0");
	snprintf(path, sizeof(path), "%s/state", be);
	xsc_write(h, 0, path, "5");
	return wait_state(h, fe, XENBUS_CLOSED);
}

struct vbd_tx {
	uint16_t domid;
	const struct vbd *vbd;
};

static int write_vbd(struct xsc *h, uint32_t tx, const void *arg)
{
	const struct vbd_tx *v = arg;

	return vbd_write_records(h, tx, v->domid, v->vbd);
}

int device_attach_disk(uint16_t domid, const char *spec, char *err, size_t errlen)
{
	struct disk_config disk;
	struct vbd vbd;
	struct vbd_tx arg = { domid, &vbd };
	char be[96], fe[96];
	struct xsc h;
	int rc;

	if (disk_parse(spec, &disk, err, errlen) || open_store(&h, err, errlen))
		return -1;
	snprintf(be, sizeof(be), "/local/domain/0/backend/vbd/%u/%u", domid, disk.devid);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", domid, disk.devid);
	if (exists(&h, be)) {
		snprintf(err, errlen, "%s is attached already", disk.vdev);
		xsc_close(&h);
		return -1;
	}
	if (vbd_hotplug(&disk, &vbd, err, errlen)) {
		xsc_close(&h);
		return -1;
	}
	rc = in_transaction(&h, write_vbd, &arg);
	if (rc) {
		snprintf(err, errlen, "cannot write its XenStore records: %s", strerror(-rc));
		vbd_unplug(&vbd);
		xsc_close(&h);
		return -1;
	}
	await_frontend(&h, be, fe, disk.vdev);
	xsc_close(&h);
	return 0;
}

/* dom0's now empty parents of removed devices' records go too. */
static void prune(struct xsc *h, const char *kind, uint16_t domid)
{
	char path[64];

	snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u", kind, domid);
	xsc_prune(h, path, "/local/domain/0");
	snprintf(path, sizeof(path), "/local/domain/0/error/backend/%s/%u", kind, domid);
	xsc_prune(h, path, "/local/domain/0");
}

/* One device of kind ("vbd", "vif"): its records and what its hotplug made. */
static void remove_device(struct xsc *h, const char *kind, uint16_t domid, unsigned int devid)
{
	char path[96];

	if (!strcmp(kind, "vbd"))
		vbd_remove(h, domid, devid);
	else
		vif_remove(h, domid, devid);
	/* Where dom0's kernel reports a back end's failures (a probe that lost a race). */
	snprintf(path, sizeof(path), "/local/domain/0/error/backend/%s/%u/%u", kind, domid, devid);
	xsc_rm(h, 0, path);
}

void device_remove_all(struct xsc *h, uint16_t domid)
{
	static const char *const kinds[] = { "vbd", "vif" };
	char dir[64], *names = malloc(XS_PAYLOAD_MAX + 1);
	const char *p = dir;

	if (!names)
		return;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		long n;

		snprintf(dir, sizeof(dir), "/local/domain/0/backend/%s/%u", kinds[k], domid);
		n = xsc_call(h, XS_DIRECTORY, 0, &p, 1, 0, names, XS_PAYLOAD_MAX + 1);
		for (char *name = names; n > 0 && name < names + n; name += strlen(name) + 1)
			remove_device(h, kinds[k], domid, (unsigned int)strtoul(name, NULL, 10));
		/* So that dom0's tree is as it was before the guest's first device. */
		prune(h, kinds[k], domid);
	}
	free(names);
}

/* Detaches a device of kind ("vbd", "vif") with number devid, named what in messages. */
static int detach(uint16_t domid, const char *kind, unsigned int devid, const char *what,
		  bool force, char *err, size_t errlen)
{
	char be[96], fe[96];
	struct xsc h;

	if (open_store(&h, err, errlen))
		return -1;
	snprintf(be, sizeof(be), "/local/domain/0/backend/%s/%u/%u", kind, domid, devid);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/%s/%u", domid, kind, devid);
	if (!exists(&h, be)) {
		snprintf(err, errlen, "%s is not attached", what);
		xsc_close(&h);
		return -1;
	}
	if (!close_device(&h, be, fe) && !force) {
		snprintf(err, errlen,
			 "the guest did not let go of %s in %d s (in use?); it stays, offline "
			 "(-f removes it anyway)",
			 what, DEVICE_WAIT_MS / 1000);
		xsc_close(&h);
		return -1;
	}
	remove_device(&h, kind, domid, devid);
	prune(&h, kind, domid);
	xsc_close(&h);
	return 0;
}

int device_detach_disk(uint16_t domid, const char *vdev, bool force, char *err, size_t errlen)
{
	char spec[32];
	struct disk_config disk;

	/* The guest's name of the disk, parsed as a spec would be. */
	snprintf(spec, sizeof(spec), "phy:/x,%.8s,r", vdev);
	if (disk_parse(spec, &disk, err, errlen)) {
		snprintf(err, errlen, "'%s': a disk is named xvda .. xvdz", vdev);
		return -1;
	}
	return detach(domid, "vbd", disk.devid, vdev, force, err, errlen);
}

struct vif_tx {
	uint16_t domid;
	const struct vif_config *vif;
};

static int write_vif(struct xsc *h, uint32_t tx, const void *arg)
{
	const struct vif_tx *v = arg;

	return vif_write_records(h, tx, v->domid, v->vif);
}

int device_attach_vif(uint16_t domid, const char *spec, char *err, size_t errlen)
{
	struct vif_config vif;
	struct vif_tx arg = { domid, &vif };
	char be[96], fe[96], what[16];
	struct xsc h;
	int rc;

	if (vif_parse(spec, &vif, err, errlen))
		return -1;
	/* Before any record: netback would start on them at once. */
	if (!if_nametoindex(vif.bridge)) {
		snprintf(err, errlen, "dom0 has no bridge %s", vif.bridge);
		return -1;
	}
	if (open_store(&h, err, errlen))
		return -1;
	/* The lowest free number, as xl picks it. */
	for (vif.devid = 0;; vif.devid++) {
		snprintf(be, sizeof(be), "/local/domain/0/backend/vif/%u/%u", domid, vif.devid);
		if (!exists(&h, be))
			break;
	}
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", domid, vif.devid);
	snprintf(what, sizeof(what), "vif %u", vif.devid);
	vif_choose_mac(&vif);
	rc = in_transaction(&h, write_vif, &arg);
	if (rc) {
		snprintf(err, errlen, "cannot write its XenStore records: %s", strerror(-rc));
		xsc_close(&h);
		return -1;
	}
	if (vif_hotplug(&h, domid, &vif, err, errlen)) {
		remove_device(&h, "vif", domid, vif.devid);
		prune(&h, "vif", domid);
		xsc_close(&h);
		return -1;
	}
	printf("vif %u: %02x:%02x:%02x:%02x:%02x:%02x on %s\n", vif.devid, vif.mac[0], vif.mac[1],
	       vif.mac[2], vif.mac[3], vif.mac[4], vif.mac[5], vif.bridge);
	await_frontend(&h, be, fe, what);
	xsc_close(&h);
	return 0;
}

int device_detach_vif(uint16_t domid, const char *which, bool force, char *err, size_t errlen)
{
	char what[16], *end;
	unsigned long devid = strtoul(which, &end, 10);

	if (!*which || *end || devid >= 1000) {
		snprintf(err, errlen, "'%s': name a vif by its number (0, 1, ...)", which);
		return -1;
	}
	snprintf(what, sizeof(what), "vif %lu", devid);
	return detach(domid, "vif", (unsigned int)devid, what, force, err, errlen);
}
