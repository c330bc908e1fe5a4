/* SPDX-License-Identifier: MIT */
/*
 * Guests declared in the host device tree, started at boot without a
 * toolstack ("dom0less"), as Xen 4.17 reads them (docs/DOM0LESS-FACTS.md §1):
 * each direct child of /chosen compatible with "xen,domain", with its memory
 * (KiB, two cells), vCPUs, optional vpl011 and xen,enhanced, and module
 * children for its kernel and ramdisk ("multiboot,kernel", "multiboot,ramdisk",
 * with "bootargs" on one of them).
 */
#ifndef DOMUS_BOOT_DOMAINS_H
#define DOMUS_BOOT_DOMAINS_H

#include <domus/fdt.h>
#include <domus/types.h>

#define BOOT_DOMAINS_MAX 16

enum boot_enhanced {
	BOOT_ENHANCED_NONE, /* no Xen interfaces: a plain Arm machine */
	BOOT_ENHANCED_FULL, /* grant table, event channels, and XenStore once dom0 introduces it */
	BOOT_ENHANCED_NO_XENSTORE, /* grant table and event channels only */
};

struct boot_module {
	paddr_t base;
	u64 size;
};

struct boot_domain {
	char name[32]; /* the node's name: the domain's */
	u64 mem_kib;
	u32 cpus;
	u32 nr_spis; /* 0: the default */
	bool vpl011;
	enum boot_enhanced enhanced;
	struct boot_module kernel, ramdisk; /* ramdisk.size 0: none */
	const char *bootargs; /* in the host tree; NULL: none */
};

/*
 * Reads every "xen,domain" node under /chosen into out (at most max). A node
 * whose description is wrong (a property missing or malformed, a feature
 * Domus does not have) is left out with a log line naming it and the
 * property; properties Domus does not know are logged and ignored. Returns
 * how many were read.
 */
u32 boot_domains_parse(const struct fdt *fdt, struct boot_domain *out, u32 max);

#endif
