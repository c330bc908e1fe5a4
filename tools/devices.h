/* SPDX-License-Identifier: MIT */
/* A running guest's disks and network interfaces, added and taken away (see devices.c). */
#ifndef DOMUS_DEVICES_H
#define DOMUS_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenstore/client.h"

/* The xenbus states a device's `state` nodes hold that the toolstack looks for. */
enum { XENBUS_INITIALISING = 1, XENBUS_CONNECTED = 4, XENBUS_CLOSING = 5, XENBUS_CLOSED = 6 };
/* The XenbusState in dir's `state` node, or -errno (-ENOENT once the directory is gone). */
int device_state(struct xsc *h, const char *dir);

/* Each: 0, or -1 with a one-line reason in err. */
int device_attach_disk(uint16_t domid, const char *spec, char *err, size_t errlen);
/* vdev: the guest's name (xvdb). force: remove it even if the guest holds on to it. */
int device_detach_disk(uint16_t domid, const char *vdev, bool force, char *err, size_t errlen);
int device_attach_vif(uint16_t domid, const char *spec, char *err, size_t errlen);
/* which: the vif's number, as `network-attach` printed it. */
int device_detach_vif(uint16_t domid, const char *which, bool force, char *err, size_t errlen);
/* A guest's end: every disk and vif record goes at once, with loop devices and vifs. */
void device_remove_all(struct xsc *h, uint16_t domid);

#endif
