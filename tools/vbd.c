/* SPDX-License-Identifier: MIT */
/* Guests' block devices: hotplug and the records of both ends (see vbd.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "errmsg.h"
#include "vbd.h"

/* Attaches path to a free loop device, as `losetup -f [-r]` would: 0 with its name, or -errno. */
static int loop_attach(const char *path, int readonly, char *dev, size_t cap)
{
	struct loop_info64 info = { 0 };
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC), file, loop, n, rc = 0;

	if (ctl < 0)
		return -errno;
	file = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (file < 0) {
		rc = -errno;
		close(ctl);
		return rc;
	}
	/* Another attach may take the device we were given between the two calls: retry. */
	for (int tries = 0; tries < 8; tries++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			rc = -errno;
			break;
		}
		snprintf(dev, cap, "/dev/loop%d", n);
		loop = open(dev, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (loop < 0) {
			rc = -errno;
			break;
		}
		if (ioctl(loop, LOOP_SET_FD, file) == 0) {
			if (readonly)
				info.lo_flags = LO_FLAGS_READ_ONLY;
			/* The name losetup shows (truncated to the kernel's 63 bytes). */
			memcpy(info.lo_file_name, path,
			       strlen(path) < sizeof(info.lo_file_name) ? strlen(path)
									: sizeof(info.lo_file_name) - 1);
			ioctl(loop, LOOP_SET_STATUS64, &info);
			close(loop);
			rc = 0;
			goto out;
		}
		rc = -errno;
		close(loop);
		if (rc != -EBUSY)
			break;
	}
out:
	close(file);
	close(ctl);
	return rc;
}

/* Detaches a loop device; if blkback still holds it, the kernel detaches it when it lets go. */
static void loop_detach(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ioctl(fd, LOOP_CLR_FD, 0);
		close(fd);
	}
}

int vbd_hotplug(const struct disk_config *disk, struct vbd *v, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	memset(v, 0, sizeof(*v));
	v->disk = disk;
	if (stat(disk->target, &st))
		return fail_with(err, errlen, "disk %s: %s", disk->target, strerror(errno));
	if (disk->is_file) {
		if (!S_ISREG(st.st_mode))
			return fail_with(err, errlen, "disk %s: not a regular file (use phy: for devices)",
				    disk->target);
		rc = loop_attach(disk->target, disk->readonly, v->device, sizeof(v->device));
		if (rc)
			return fail_with(err, errlen, "disk %s: no loop device for it: %s", disk->target,
				    strerror(-rc));
		if (stat(v->device, &st)) {
			loop_detach(v->device);
			return fail_with(err, errlen, "disk %s: %s: %s", disk->target, v->device,
				    strerror(errno));
		}
	} else {
		if (!S_ISBLK(st.st_mode))
			return fail_with(err, errlen, "disk %s: not a block device (use file: for images)",
				    disk->target);
		snprintf(v->device, sizeof(v->device), "%s", disk->target);
	}
	v->major = major(st.st_rdev);
	v->minor = minor(st.st_rdev);
	return 0;
}

void vbd_unplug(const struct vbd *v)
{
	if (v->disk->is_file && v->device[0])
		loop_detach(v->device);
}

int vbd_write_records(struct xsc *h, uint32_t tx, uint16_t domid, const struct vbd *v)
{
	const struct disk_config *d = v->disk;
	char be[96], fe[96];
	int rc = 0;

	snprintf(be, sizeof(be), "/local/domain/0/backend/vbd/%u/%u", domid, d->devid);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", domid, d->devid);
	/* The back end's, dom0's: the guest may read it. */
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "", "%s", "");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "frontend", "%s", fe);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "frontend-id", "%u", domid);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "online", "1");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "removable", "0");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "bootable", "1");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "dev", "%s", d->vdev);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "type", "%s", d->is_file ? "file" : "phy");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "mode", "%s", d->readonly ? "r" : "w");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "device-type", "disk");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "params", "%s", d->target);
	/* What the hotplug script writes, and blkback waits for: the device to open. */
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "physical-device", "%x:%x", v->major, v->minor);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "physical-device-path", "%s", v->device);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "hotplug-status", "connected");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "state", "1");
	/* The front end's, the guest's: dom0 reads it. */
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "", "%s", "");
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "backend", "%s", be);
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "backend-id", "0");
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "virtual-device", "%u", d->devid);
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "device-type", "disk");
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "state", "1");
	return rc;
}

void vbd_remove(struct xsc *h, uint16_t domid, unsigned int devid)
{
	char be[96], path[128], type[16], dev[64];

	snprintf(be, sizeof(be), "/local/domain/0/backend/vbd/%u/%u", domid, devid);
	snprintf(path, sizeof(path), "%s/type", be);
	if (xsc_read(h, 0, path, type, sizeof(type)) < 0)
		type[0] = 0;
	snprintf(path, sizeof(path), "%s/physical-device-path", be);
	if (xsc_read(h, 0, path, dev, sizeof(dev)) < 0)
		dev[0] = 0;
	snprintf(path, sizeof(path), "/local/domain/%u/device/vbd/%u", domid, devid);
	xsc_rm(h, 0, path);
	/* blkback sees its directory go, disconnects and closes the device. */
	xsc_rm(h, 0, be);
	if (!strcmp(type, "file") && !strncmp(dev, "/dev/loop", 9))
		loop_detach(dev);
}
