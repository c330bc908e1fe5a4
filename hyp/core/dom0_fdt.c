/* SPDX-License-Identifier: MIT */
/* Dom0's device tree: the host's, less what Domus keeps, plus its own CPUs, memory, PSCI. */
#include <domus/arch.h>
#include <domus/dom0.h>
#include <domus/dom0_fdt.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/fdt_write.h>
#include <domus/guest_fdt.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/string.h>

/*
 * Devices with registers that dom0 gets: passed through (virtio-mmio, the
 * RTC), emulated at the same address (the GIC). Anything else with registers
 * stays with the host, the UART included (dom0's console is hvc0, as on Xen):
 * dom0 must not see a device it cannot reach.
 */
static const char *const dom0_devices[] = { "virtio,mmio", "arm,pl031", "arm,gic-v3" };

bool dom0_device_passthrough(const struct fdt *fdt, int node)
{
	return fdt_is_compatible(fdt, node, "virtio,mmio") ||
	       fdt_is_compatible(fdt, node, "arm,pl031");
}

static bool keep_node(const struct fdt *fdt, int node)
{
	const char *type = fdt_prop_str(fdt, node, "device_type");
	const char *name = fdt_node_name(fdt, node);

	if (type && (!strcmp(type, "memory") || !strcmp(type, "pci")))
		return false;
	if (!strcmp(name, "cpus") || !strcmp(name, "psci") || !strcmp(name, "chosen") ||
	    !strncmp(name, "psci@", 5))
		return false;
	if (fdt_is_compatible(fdt, node, "arm,armv8-pmuv3") ||
	    fdt_is_compatible(fdt, node, "gpio-keys") ||
	    fdt_is_compatible(fdt, node, "arm,armv7-timer-mem"))
		return false;
	if (fdt_prop(fdt, node, "reg", NULL)) {
		for (u32 i = 0; i < ARRAY_SIZE(dom0_devices); i++)
			if (fdt_is_compatible(fdt, node, dom0_devices[i]))
				return true;
		return false;
	}
	return true;
}

static void copy_props(struct fdt_writer *w, const struct fdt *fdt, int node,
		       const char *const *skip, u32 nskip)
{
	for (int p = fdt_first_prop(fdt, node); p >= 0; p = fdt_next_prop(fdt, p)) {
		const char *name;
		u32 len;
		const void *val = fdt_prop_at(fdt, p, &name, &len);
		bool skipped = false;

		if (!val)
			continue;
		for (u32 i = 0; i < nskip; i++)
			skipped |= !strcmp(name, skip[i]);
		if (!skipped)
			fdtw_prop(w, name, val, len);
	}
}

static void copy_subtree(struct fdt_writer *w, const struct fdt *fdt, int node)
{
	fdtw_begin_node(w, fdt_node_name(fdt, node));
	copy_props(w, fdt, node, NULL, 0);
	for (int c = fdt_first_child(fdt, node); c >= 0; c = fdt_next_sibling(fdt, c))
		copy_subtree(w, fdt, c);
	fdtw_end_node(w);
}

static void put_cells(u32 *cells, u32 *n, u64 v, u32 count)
{
	if (count == 2)
		cells[(*n)++] = v >> 32;
	cells[(*n)++] = (u32)v;
}

static void write_gic(struct fdt_writer *w, const struct fdt *fdt, int node, struct domain *d)
{
	static const char *const skip[] = { "reg", "interrupts", "#redistributor-regions" };
	u32 ac = fdt_address_cells(fdt, fdt_parent(fdt, node));
	u32 sc = fdt_size_cells(fdt, fdt_parent(fdt, node));
	u32 cells[8], n = 0;
	ipa_t dist_base, rdist_base;
	u64 rdist_size;

	arch_vgic_frames(d, &dist_base, &rdist_base, &rdist_size);
	fdtw_begin_node(w, fdt_node_name(fdt, node));
	copy_props(w, fdt, node, skip, ARRAY_SIZE(skip));
	put_cells(cells, &n, ipa_addr(dist_base), ac);
	put_cells(cells, &n, 0x10000, sc);
	put_cells(cells, &n, ipa_addr(rdist_base), ac);
	put_cells(cells, &n, rdist_size, sc);
	fdtw_prop_cells(w, "reg", cells, n);
	fdtw_prop_u32(w, "#redistributor-regions", 1);
	/* No ITS: its child nodes stay out. */
	fdtw_end_node(w);
}

static void write_timer(struct fdt_writer *w, const struct fdt *fdt, int node)
{
	static const char *const skip[] = { "interrupts" };
	u32 len;
	const void *irqs = fdt_prop(fdt, node, "interrupts", &len);

	fdtw_begin_node(w, fdt_node_name(fdt, node));
	copy_props(w, fdt, node, skip, ARRAY_SIZE(skip));
	/* Secure, non-secure physical and virtual; the hypervisor timer is ours. */
	if (irqs && len >= 36)
		fdtw_prop(w, "interrupts", irqs, 36);
	fdtw_end_node(w);
}

/* Dom0's vCPUs are what the host's first CPU says it is. */
static const char *host_cpu_compatible(const struct fdt *fdt)
{
	int cpu = fdt_path(fdt, "/cpus/cpu");
	const char *compat = cpu >= 0 ? fdt_prop_str(fdt, cpu, "compatible") : NULL;

	return compat ? compat : "arm,armv8";
}

static void write_memory(struct fdt_writer *w, struct domain *d, u32 ac, u32 sc)
{
	u32 cells[DOMAIN_MAX_BANKS * 4], n = 0;
	char name[32];

	snprintf(name, sizeof(name), "memory@%lx", ipa_addr(d->banks[0].ipa));
	fdtw_begin_node(w, name);
	fdtw_prop_str(w, "device_type", "memory");
	for (u32 i = 0; i < d->nr_banks; i++) {
		put_cells(cells, &n, ipa_addr(d->banks[i].ipa), ac);
		put_cells(cells, &n, d->banks[i].size, sc);
	}
	fdtw_prop_cells(w, "reg", cells, n);
	fdtw_end_node(w);
}

static void write_chosen(struct fdt_writer *w, const struct fdt *fdt, ipa_t initrd_start,
			 u64 initrd_size, const char *bootargs)
{
	int chosen = fdt_path(fdt, "/chosen");
	u32 len;
	const void *seed = chosen >= 0 ? fdt_prop(fdt, chosen, "rng-seed", &len) : NULL;

	fdtw_begin_node(w, "chosen");
	fdtw_prop_str(w, "bootargs", bootargs ? bootargs : "");
	if (initrd_size) {
		fdtw_prop_u64(w, "linux,initrd-start", ipa_addr(initrd_start));
		fdtw_prop_u64(w, "linux,initrd-end", ipa_addr(initrd_start) + initrd_size);
	}
	if (seed)
		fdtw_prop(w, "rng-seed", seed, len);
	fdtw_end_node(w);
}

#define EXT_REGION_MIN MiB(64)
#define EXT_REGION_ALIGN MiB(2)
#define EXT_REGIONS_MAX 8

/* A range of dom0's guest-physical space (which is the host's: dom0 is mapped 1:1). */
struct span {
	u64 base, size;
};

static void add_piece(struct span *out, u32 *n, u64 start, u64 end)
{
	start = ALIGN_UP(start, EXT_REGION_ALIGN);
	end = ALIGN_DOWN(end, EXT_REGION_ALIGN);
	if (*n < EXT_REGIONS_MAX && end > start && end - start >= EXT_REGION_MIN)
		out[(*n)++] = (struct span){ start, end - start };
}

/*
 * Extended regions, as Xen gives a dom0 without an IOMMU: host RAM that is
 * not dom0's, so guest-physical space where nothing of dom0's can be, for
 * it to map foreign pages into. Only addresses: none of that RAM is mapped.
 */
static u32 extended_regions(const struct domain *d, ipa_t gnt, struct span *out)
{
	struct span busy[DOMAIN_MAX_BANKS + 1];
	u32 nbusy = 0, n = 0;

	for (u32 i = 0; i < d->nr_banks; i++)
		busy[nbusy++] = (struct span){ ipa_addr(d->banks[i].ipa), d->banks[i].size };
	busy[nbusy++] = (struct span){ ipa_addr(gnt), GNTTAB_DEFAULT_MAX_FRAMES * PAGE_SIZE };
	for (u32 r = 0; r < platform.nr_ram; r++) {
		u64 cur = pa_addr(platform.ram[r].base), end = cur + platform.ram[r].size;

		for (;;) {
			/* The next busy range that ends after cur, by start address. */
			struct span *next = NULL;

			for (u32 i = 0; i < nbusy; i++)
				if (busy[i].base + busy[i].size > cur && busy[i].base < end &&
				    (!next || busy[i].base < next->base))
					next = &busy[i];
			if (!next)
				break;
			if (next->base > cur)
				add_piece(out, &n, cur, next->base);
			cur = next->base + next->size;
		}
		if (cur < end)
			add_piece(out, &n, cur, end);
	}
	return n;
}

/*
 * What makes Linux see Xen: compatible "xen,xen-<version>" first, the grant
 * table window, the extended regions, and the PPI that signals events.
 * Depth 1, named exactly "hypervisor" (Linux matches the full name).
 */
static void write_hypervisor(struct fdt_writer *w, const struct fdt *fdt, struct domain *d,
			     ipa_t gnttab_base, u32 ac, u32 sc)
{
	static const char compat[] = "xen,xen-4.17\0xen,xen";
	u32 cells[(EXT_REGIONS_MAX + 1) * 4], n = 0;
	u32 irq[3] = { 1, EVTCHN_PPI - 16, 0xf08 }; /* PPI, all CPUs, level-low */
	struct span ext[EXT_REGIONS_MAX];
	u32 next = extended_regions(d, gnttab_base, ext), len;
	const void *gic_phandle = fdt_prop(fdt, platform.gic_node, "phandle", &len);

	fdtw_begin_node(w, "hypervisor");
	fdtw_prop(w, "compatible", compat, sizeof(compat));
	put_cells(cells, &n, ipa_addr(gnttab_base), ac);
	put_cells(cells, &n, GNTTAB_DEFAULT_MAX_FRAMES * PAGE_SIZE, sc);
	for (u32 i = 0; i < next; i++) {
		put_cells(cells, &n, ext[i].base, ac);
		put_cells(cells, &n, ext[i].size, sc);
	}
	fdtw_prop_cells(w, "reg", cells, n);
	fdtw_prop_cells(w, "interrupts", irq, 3);
	if (gic_phandle && len == 4)
		fdtw_prop(w, "interrupt-parent", gic_phandle, 4);
	fdtw_end_node(w);
}

int dom0_make_fdt(struct domain *d, void *buf, size_t cap, ipa_t initrd_start, u64 initrd_size,
		  const char *bootargs, ipa_t gnttab_base)
{
	const struct fdt *fdt = &platform.fdt;
	struct fdt_writer w;
	u32 ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);

	fdtw_init(&w, buf, cap);
	fdtw_begin_node(&w, "");
	copy_props(&w, fdt, 0, NULL, 0);
	for (int n = fdt_first_child(fdt, 0); n >= 0; n = fdt_next_sibling(fdt, n)) {
		if (!keep_node(fdt, n))
			continue;
		if (n == platform.gic_node)
			write_gic(&w, fdt, n, d);
		else if (fdt_is_compatible(fdt, n, "arm,armv8-timer"))
			write_timer(&w, fdt, n);
		else
			copy_subtree(&w, fdt, n);
	}
	write_memory(&w, d, ac, sc);
	guest_fdt_cpus(&w, d, host_cpu_compatible(fdt));
	guest_fdt_psci(&w);
	write_hypervisor(&w, fdt, d, gnttab_base, ac, sc);
	write_chosen(&w, fdt, initrd_start, initrd_size, bootargs);
	fdtw_end_node(&w);
	return fdtw_finish(&w);
}
