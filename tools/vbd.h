/* SPDX-License-Identifier: MIT */
/*
 * Guests' block devices, the toolstack's half: what Xen's hotplug script
 * does (a loop device for an image file; the device numbers blkback opens)
 * and the XenStore records through which Linux's xen-blkback in dom0 and
 * xen-blkfront in the guest find each other.
 */
#ifndef DOMUS_VBD_H
#define DOMUS_VBD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "xenstore/client.h"

struct vbd {
	const struct disk_config *disk;
	char device[256]; /* the block device blkback opens: the loop device of a file: disk */
	unsigned int major, minor;
};

/* The hotplug half: a loop device for a file: disk, the numbers of the device. 0 or -1 + err. */
int vbd_hotplug(const struct disk_config *disk, struct vbd *v, char *err, size_t errlen);
/* Undoes vbd_hotplug (the loop device goes once nothing holds it). */
void vbd_unplug(const struct vbd *v);
/* Both ends' records, in transaction tx: 0 or -errno. */
int vbd_write_records(struct xsc *h, uint32_t tx, uint16_t domid, const struct vbd *v);
/* One disk's records go (blkback lets go of the device), then its loop device. */
void vbd_remove(struct xsc *h, uint16_t domid, unsigned int devid);

#endif
