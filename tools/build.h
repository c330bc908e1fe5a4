/* SPDX-License-Identifier: MIT */
/* Building a guest domain from dom0: the toolstack's half of domain creation. */
#ifndef DOMUS_BUILD_H
#define DOMUS_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct domu_built {
	uint16_t domid;
	uint32_t console_port; /* the guest's end; dom0 binds to it */
	uint64_t console_gfn;
	uint32_t store_port; /* the guest's end; xenstored binds to it */
	uint64_t store_gfn;
};

/*
 * Creates the domain, gives it memory, loads its kernel, initramfs and
 * device tree, sets up its console and XenStore pages and ports (HVM params)
 * and grants them to dom0 (refs 0 and 1, which Linux leaves to the
 * toolstack); leaves it paused (unpause starts it).
 * 0, or -1 with a one-line reason in err; a half-built domain is destroyed.
 */
int domu_build(const struct domu_config *c, struct domu_built *out, char *err, size_t errlen);

#endif
