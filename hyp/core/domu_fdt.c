/* SPDX-License-Identifier: MIT */
/*
 * A boot-time guest's device tree, on the layout `domus create` gives its
 * guests (the toolstack writes the same tree with libfdt in tools/build.c):
 * Xen's guest addresses and interrupts (public/xen.h), as Xen 4.17's
 * dom0less builder makes it.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/domu_fdt.h>
#include <domus/fdt_write.h>
#include <domus/guest_fdt.h>
#include <domus/printf.h>
#include <public/xen.h>

#define GIC_PHANDLE 1

static void prop_pair(struct fdt_writer *w, const char *name, u64 addr, u64 size)
{
	u32 cells[4] = { (u32)(addr >> 32), (u32)addr, (u32)(size >> 32), (u32)size };

	fdtw_prop_cells(w, name, cells, 4);
}

static void devices(struct fdt_writer *w, const struct domain *d, const struct domu_fdt_spec *s)
{
	/* Secure and non-secure physical, and virtual timers, as Xen lists them: level-low PPIs. */
	static const u32 timer_irqs[9] = { 1, 13, 0xf08, 1, 14, 0xf08, 1, 11, 0xf08 };
	ipa_t dist, rdist;
	u64 rdist_size;
	u32 gic_reg[8];
	char node[40];

	guest_fdt_psci(w);

	snprintf(node, sizeof(node), "memory@%llx", GUEST_RAM0_BASE);
	fdtw_begin_node(w, node);
	fdtw_prop_str(w, "device_type", "memory");
	prop_pair(w, "reg", GUEST_RAM0_BASE, s->mem_bytes);
	fdtw_end_node(w);

	arch_vgic_frames(d, &dist, &rdist, &rdist_size);
	gic_reg[0] = (u32)(ipa_addr(dist) >> 32);
	gic_reg[1] = (u32)ipa_addr(dist);
	gic_reg[2] = 0;
	gic_reg[3] = (u32)GUEST_GICV3_GICD_SIZE;
	gic_reg[4] = (u32)(ipa_addr(rdist) >> 32);
	gic_reg[5] = (u32)ipa_addr(rdist);
	gic_reg[6] = (u32)(rdist_size >> 32);
	gic_reg[7] = (u32)rdist_size;
	snprintf(node, sizeof(node), "interrupt-controller@%lx", ipa_addr(dist));
	fdtw_begin_node(w, node);
	fdtw_prop_str(w, "compatible", "arm,gic-v3");
	fdtw_prop_u32(w, "#interrupt-cells", 3);
	fdtw_prop_u32(w, "#address-cells", 0);
	fdtw_prop_empty(w, "interrupt-controller");
	fdtw_prop_u32(w, "#redistributor-regions", 1);
	fdtw_prop_cells(w, "reg", gic_reg, 8);
	fdtw_prop_u32(w, "phandle", GIC_PHANDLE);
	fdtw_end_node(w);

	fdtw_begin_node(w, "timer");
	fdtw_prop_str(w, "compatible", "arm,armv8-timer");
	fdtw_prop_cells(w, "interrupts", timer_irqs, 9);
	fdtw_prop_empty(w, "always-on");
	fdtw_end_node(w);
}

static void xen_devices(struct fdt_writer *w, const struct domu_fdt_spec *s)
{
	static const char hyp_compat[] = "xen,xen-4.17\0xen,xen";
	char node[40];

	if (s->vpl011) {
		/* Xen's vpl011: an SBSA UART, SPI 0 (GUEST_VPL011_SPI), level-high. */
		const u32 uart_irq[3] = { 0, GUEST_VPL011_SPI - 32, 4 };

		snprintf(node, sizeof(node), "sbsa-uart@%llx", GUEST_PL011_BASE);
		fdtw_begin_node(w, node);
		fdtw_prop_str(w, "compatible", "arm,sbsa-uart");
		prop_pair(w, "reg", GUEST_PL011_BASE, GUEST_PL011_SIZE);
		fdtw_prop_cells(w, "interrupts", uart_irq, 3);
		/* Linux's sbsa-uart driver refuses a UART without it. */
		fdtw_prop_u32(w, "current-speed", 115200);
		fdtw_end_node(w);
	}
	if (s->xen) {
		const u32 evtchn_irq[3] = { 1, EVTCHN_PPI - 16, 0xf08 };

		fdtw_begin_node(w, "hypervisor");
		fdtw_prop(w, "compatible", hyp_compat, sizeof(hyp_compat));
		prop_pair(w, "reg", GUEST_GNTTAB_BASE, GUEST_GNTTAB_SIZE);
		fdtw_prop_cells(w, "interrupts", evtchn_irq, 3);
		fdtw_end_node(w);
	}
}

int domu_make_fdt(const struct domain *d, const struct domu_fdt_spec *s, void *buf, size_t cap)
{
	static const char root_compat[] = "xen,xenvm-4.17\0xen,xenvm";
	struct fdt_writer w;

	fdtw_init(&w, buf, cap);
	fdtw_begin_node(&w, "");
	fdtw_prop(&w, "compatible", root_compat, sizeof(root_compat));
	fdtw_prop_u32(&w, "#address-cells", 2);
	fdtw_prop_u32(&w, "#size-cells", 2);
	fdtw_prop_u32(&w, "interrupt-parent", GIC_PHANDLE);

	fdtw_begin_node(&w, "chosen");
	if (s->bootargs)
		fdtw_prop_str(&w, "bootargs", s->bootargs);
	if (s->initrd_size) {
		fdtw_prop_u64(&w, "linux,initrd-start", s->initrd_start);
		fdtw_prop_u64(&w, "linux,initrd-end", s->initrd_start + s->initrd_size);
	}
	fdtw_end_node(&w);

	guest_fdt_cpus(&w, d, "arm,armv8");
	devices(&w, d, s);
	xen_devices(&w, s);
	fdtw_end_node(&w);
	return fdtw_finish(&w);
}
