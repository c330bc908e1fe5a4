/* SPDX-License-Identifier: MIT */
/* `domus clone`: copies of a running guest sharing its memory copy-on-write (docs/CLONE.md). */
#ifndef DOMUS_TOOLS_CLONE_H
#define DOMUS_TOOLS_CLONE_H

#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "config.h"

struct clone_stats {
	uint64_t shared, copied; /* pages given to the clone shared, and copied (pinned at the parent) */
};

/*
 * Builds clone c->name (c: the parent's config with its name, and no disks
 * or networks) of guest parent, which has suspended (domu_suspend): a new
 * domain given the parent's memory (DOMUS_CTL_sharepages), domain and vCPU
 * state, and console and XenStore ports of its own; left paused, as
 * domu_restore leaves one. 0, or -1 with a reason in err (nothing left).
 */
int domu_clone(uint16_t parent, const struct domu_config *c, struct domu_built *b,
	       struct clone_stats *st, char *err, size_t errlen);

/* The front ends a guest's kernel has: its device/vbd/N and device/vif/N in XenStore. */
#define CLONE_DEVICES_MAX 64
struct clone_devices {
	unsigned int n;
	struct {
		const char *kind; /* "vbd", "vif" */
		unsigned int devid;
	} dev[CLONE_DEVICES_MAX];
};

/*
 * Lists guest parent's front ends (while it is suspended: what its memory,
 * and so each clone's kernel, has), whatever config or hotplug made them.
 * 0, or -1 with a reason.
 */
int clone_parent_devices(uint16_t parent, struct clone_devices *devs, char *err, size_t errlen);
/*
 * Those front ends, in clone's kernel: before the clone runs (its XenStore
 * records written, itself paused), each gets a front-end directory whose
 * back end reads Closed, so that Linux's resume closes it;
 * clone_unplug_parent_devices then waits (up to 30 s) until it has, and
 * removes the directories, which makes Linux unplug the device. Then the
 * clone's device numbers are free for devices of its own. 0, or -1 with a
 * reason.
 */
int clone_close_parent_devices(uint16_t clone, const struct clone_devices *devs, char *err,
			       size_t errlen);
/* Returns how many of them the clone did not close in time (they stay, unusable). */
int clone_unplug_parent_devices(uint16_t clone, const struct clone_devices *devs);

#endif
