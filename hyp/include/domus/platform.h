/* SPDX-License-Identifier: MIT */
/* What the host device tree says about the machine, read once at boot. */
#ifndef DOMUS_PLATFORM_H
#define DOMUS_PLATFORM_H

#include <domus/boot_domains.h>
#include <domus/fdt.h>
#include <domus/types.h>

#define PLATFORM_MAX_RAM 16
#define PLATFORM_MAX_CPUS 256

struct region {
	paddr_t base;
	u64 size;
};

struct platform {
	struct fdt fdt; /* the host tree (copied into hypervisor memory) */
	u32 nr_ram;
	struct region ram[PLATFORM_MAX_RAM];
	struct region gicd, gicr;
	int gic_node;
	u32 nr_cpus;
	u64 cpu_mpidr[PLATFORM_MAX_CPUS];
	u32 ppi_virt_timer, ppi_hyp_timer, ppi_maintenance; /* INTIDs */
	struct region uart;
	u32 uart_intid;
	int uart_node;
	struct region kernel, initrd;
	const char *kernel_bootargs;
	const char *bootargs; /* Domus' own: /chosen bootargs or xen,xen-bootargs */
	const char *dom0_bootargs; /* xen,dom0-bootargs, when given */
	u32 nr_boot_domains; /* guests declared under /chosen (dom0less) */
	struct boot_domain boot_domains[BOOT_DOMAINS_MAX];
};

extern struct platform platform;

/* Fills platform from a device tree; -errno with a message on what is missing. */
int platform_parse(struct platform *p, const void *dtb);
/* The boot-time guests under /chosen (after the banner: what is wrong in them is logged). */
void platform_parse_boot_domains(struct platform *p);
/* Value of "name=" in Domus' bootargs, NULL if absent; *len gets its length. */
const char *platform_option(const char *name, size_t *len);

#endif
