/* SPDX-License-Identifier: MIT */
/* Device-tree nodes every guest's tree has alike, dom0's and a boot-time guest's (guest_fdt.c). */
#ifndef DOMUS_GUEST_FDT_H
#define DOMUS_GUEST_FDT_H

struct domain;
struct fdt_writer;

/* /cpus: a node per vCPU, named and numbered by its hardware id, started by PSCI. */
void guest_fdt_cpus(struct fdt_writer *w, const struct domain *d, const char *compatible);
/* /psci: PSCI 1.0 over HVC, as Domus answers it. */
void guest_fdt_psci(struct fdt_writer *w);

#endif
