/* SPDX-License-Identifier: MIT */
/*
 * Guests' network interfaces, the toolstack's half: the XenStore records
 * through which Linux's xen-netback in dom0 and xen-netfront in the guest
 * find each other, and what Xen's vif-bridge hotplug script does (the vif
 * netback makes joins the bridge and comes up; hotplug-status says so).
 */
#ifndef DOMUS_VIF_H
#define DOMUS_VIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "xenstore/client.h"

/* Picks a random 00:16:3e:xx:xx:xx (Xen's prefix) unless the config named one. */
void vif_choose_mac(struct vif_config *v);
/* Both ends' records, in transaction tx: 0 or -errno. */
int vif_write_records(struct xsc *h, uint32_t tx, uint16_t domid, const struct vif_config *v);
/*
 * After the records are in: waits for netback's vif<domid>.<devid>, adds it to
 * its bridge, brings it up and writes hotplug-status, which netback waits for
 * before it connects. 0, or -1 with why in err.
 */
int vif_hotplug(struct xsc *h, uint16_t domid, const struct vif_config *v, char *err,
		size_t errlen);
/*
 * For a guest that arrives from elsewhere (a restore, a migration) as domain
 * domid: its bridge forgets the port it learned the guest's MAC on, if any
 * but vif<domid>.<devid>, so that frames for it are flooded, to its vif as
 * soon as netback connects, until the guest's own frames teach the bridge
 * where it is. Entries the bridge did not learn (a port's own address, one set
 * by hand) stay. 1 if an entry went, 0 if there was none to forget, -1 with
 * why in err.
 */
int vif_bridge_forget(uint16_t domid, const struct vif_config *v, char *err, size_t errlen);
/* Whether vif devid's back end in this dom0 says it is connected (its state node). */
bool vif_connected(struct xsc *h, uint16_t domid, unsigned int devid);
/* One vif's records go: netback unregisters the interface, which leaves its bridge. */
void vif_remove(struct xsc *h, uint16_t domid, unsigned int devid);

#endif
