/* SPDX-License-Identifier: MIT */
/*
 * A live migration the guest takes no part in (docs/MIGRATION.md, "without
 * the guest's help"): no suspend, no resume; its event channels, grant
 * table, XenStore watches and device rings are carried as they are, and its
 * back ends are handed from one dom0 to the other. The source's half stops
 * it and says what the target needs beyond a save's records; the target's
 * half puts each of those into the domain it builds, which keeps the id the
 * guest had (its front ends know their back ends' paths by it).
 */
#ifndef DOMUS_TOOLS_HANDOVER_H
#define DOMUS_TOOLS_HANDOVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/domus_ctl.h>

#include "config.h"
#include "savefile.h"

struct handover {
	bool unbound, paused, frozen; /* what handover_stop did, for handover_undo */
	/* The threads unbinding its back ends, one a device (handover.c). */
	struct handover_unbinder {
		pthread_t thread;
		bool started, done; /* done: rc is the unbind's (0 or -errno), the thread ending */
		bool may_outlast_pause; /* a netback that was connected: its pins tell when */
		int rc;
		const char *drv;
		uint16_t domid;
		unsigned int devid;
	} unbinders[MAX_DISKS + MAX_VIFS];
	struct domus_port ports[SAVE_PORTS_MAX];
	uint32_t nr_ports;
	char watches[SAVE_WATCHES_MAX];
	size_t watches_len;
	double unbound_at, paused_at, stopped_at; /* save_seconds() */
};

/*
 * Stops guest domid (configuration c) without its help: its back ends in
 * this dom0 let go of it (its I/O waits in its rings), it is paused, nobody
 * pins its grants any more, its ports are read and its XenStore connection
 * is frozen. 0; or -1 with why it cannot go this way (a port to another
 * guest, a back end that would not let go, a transaction it keeps open...),
 * everything undone: it runs as before.
 */
int handover_stop(uint16_t domid, const struct domu_config *c, struct handover *h, char *err,
		  size_t errlen);
/* Undoes what handover_stop did, for a migration that did not happen: the guest runs on here. */
void handover_undo(uint16_t domid, const struct domu_config *c, struct handover *h);
/*
 * Waits for the unbinding of its back ends to end (handover_stop pauses it
 * once they let go of it, while they may still be taking down their
 * interfaces): before its back ends are bound again or removed.
 */
void handover_unbound_wait(struct handover *h);
/*
 * For a `domus migrate` that was killed outright mid-handover (`domus
 * resume`): its XenStore connection thawed, each of its back ends that has
 * no driver bound again, and, if anything was, the guest unpaused if paused.
 * Whether anything was.
 */
bool handover_recover(uint16_t domid, const struct domu_config *c, bool paused);
/* The records a target needs beyond a save's: PORTS, each GRANT_FRAME, WATCHES. 0 or -1. */
int handover_write(uint16_t domid, const struct handover *h, struct save_writer *w, char *err,
		   size_t errlen);

/*
 * The target's half, into domain dom being built after its domain state:
 * the ports (a port that was connected to the source's dom0 waits, unbound,
 * for this dom0's back end; the console and XenStore ports made here when
 * the domain was created must be the guest's), a grant frame; and once the guest is
 * introduced to xenstored, its watches. 0, or -1 with a reason.
 */
int handover_ports_in(uint16_t dom, const void *body, size_t len, uint32_t console_port,
		      uint32_t store_port, char *err, size_t errlen);
int handover_grant_frame_in(uint16_t dom, const void *body, char *err, size_t errlen);
int handover_watches_in(uint16_t dom, const char *watches, size_t len, char *err, size_t errlen);

#endif
