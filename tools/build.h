/* SPDX-License-Identifier: MIT */
/* Building a guest domain from dom0: the toolstack's half of domain creation. */
#ifndef DOMUS_BUILD_H
#define DOMUS_BUILD_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define DOMU_MAGIC_PAGES 2 /* console, XenStore: at GUEST_MAGIC_BASE */

struct domu_built {
	uint16_t domid;
	uint32_t console_port; /* the guest's end; dom0 binds to it */
	uint64_t console_gfn;
	uint32_t store_port; /* the guest's end; xenstored binds to it */
	uint64_t store_gfn;
	bool records_ready; /* its XenStore records and back ends are there (domstore_records) */
	bool restored; /* from a save or a migration: it lived elsewhere until now */
	/* A SAVE_XENSTORE body (guestnodes.h) to write before it runs, or NULL; not owned. */
	const char *guest_nodes;
	size_t guest_nodes_len;
	/* Migrated without its help (handover.h): its front ends' nodes and its watches go in too. */
	bool handover;
	const char *watches; /* not owned */
	size_t watches_len;
};

/*
 * Creates the domain, gives it memory, loads its kernel, initramfs and
 * device tree, sets up its console and XenStore pages and ports (HVM params)
 * and grants them to dom0 (refs 0 and 1, which Linux leaves to the
 * toolstack); leaves it paused (unpause starts it).
 * 0, or -1 with a one-line reason in err; a half-built domain is destroyed.
 */
int domu_build(const struct domu_config *c, struct domu_built *out, char *err, size_t errlen);
/* What the domain may hold: its RAM and the magic pages. */
uint64_t domu_max_mem_kib(const struct domu_config *c);

/* Where a guest domu_build built has memory: its RAM, then the console and XenStore pages. */
struct ram_range {
	uint64_t gfn, count;
};
void domu_ram_ranges(const struct domu_config *c, struct ram_range r[2]);

/*
 * Gives domain dom (being built, its magic pages populated) its console and
 * XenStore ports and HVM params, and seeds the grants of both pages to dom0.
 * Fills out. 0, or -1 with a reason in err; the caller destroys dom.
 */
int domu_connect_magic(uint16_t dom, struct domu_built *out, char *err, size_t errlen);

#endif
