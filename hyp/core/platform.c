/* SPDX-License-Identifier: MIT */
/* Reads memory, CPUs, GIC, timer, UART and boot modules from the host device tree. */
#include <domus/console.h>
#include <domus/errno.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/string.h>
#include <domus/uart.h>

struct platform platform;

/* Interrupt specifier (GIC: type, number, flags) to INTID. */
static u32 gic_intid(const u8 *spec)
{
	u32 type = fdt_be32(spec), num = fdt_be32(spec + 4);

	return type == 1 ? num + 16 : num + 32;
}

/* Entry idx of node's "reg" as a host-physical region. */
static int region_reg(const struct fdt *fdt, int node, int idx, struct region *r)
{
	u64 base;
	int rc = fdt_reg(fdt, node, idx, &base, &r->size);

	r->base = pa_init(base);
	return rc;
}

static int parse_gic(struct platform *p)
{
	const struct fdt *fdt = &p->fdt;
	int node = fdt_find_compatible(fdt, -1, "arm,gic-v3");
	const u8 *irq;
	u32 len;

	if (node < 0) {
		printk("no GICv3 in the device tree (Domus needs gic-version=3)\n");
		return -ENODEV;
	}
	p->gic_node = node;
	if (region_reg(fdt, node, 0, &p->gicd) || region_reg(fdt, node, 1, &p->gicr))
		return -EINVAL;
	irq = fdt_prop(fdt, node, "interrupts", &len);
	p->ppi_maintenance = irq && len >= 12 ? gic_intid(irq) : 25;
	return 0;
}

static int parse_timer(struct platform *p)
{
	int node = fdt_find_compatible(&p->fdt, -1, "arm,armv8-timer");
	const u8 *irq;
	u32 len;

	if (node < 0 || !(irq = fdt_prop(&p->fdt, node, "interrupts", &len)) || len < 48) {
		printk("no arm,armv8-timer with four interrupts in the device tree\n");
		return -ENODEV;
	}
	/* Order: secure physical, non-secure physical, virtual, hypervisor. */
	p->ppi_virt_timer = gic_intid(irq + 24);
	p->ppi_hyp_timer = gic_intid(irq + 36);
	return 0;
}

static int parse_cpus(struct platform *p)
{
	const struct fdt *fdt = &p->fdt;
	int cpus = fdt_path(fdt, "/cpus");

	if (cpus < 0)
		return -ENODEV;
	for (int n = fdt_first_child(fdt, cpus); n >= 0; n = fdt_next_sibling(fdt, n)) {
		const char *type = fdt_prop_str(fdt, n, "device_type");
		const u8 *reg;
		u32 len, cells = fdt_address_cells(fdt, cpus);

		if (!type || strcmp(type, "cpu"))
			continue;
		reg = fdt_prop(fdt, n, "reg", &len);
		if (!reg || len < cells * 4 || cells > 2)
			return -EINVAL;
		if (p->nr_cpus == PLATFORM_MAX_CPUS) {
			printk("more than %u CPUs: using the first %u\n", PLATFORM_MAX_CPUS,
			       PLATFORM_MAX_CPUS);
			break;
		}
		p->cpu_mpidr[p->nr_cpus++] = fdt_read_cells(reg, cells);
	}
	return p->nr_cpus ? 0 : -ENODEV;
}

static int parse_memory(struct platform *p)
{
	const struct fdt *fdt = &p->fdt;
	int depth = 0;

	for (int n = 0; n >= 0; n = fdt_next_node(fdt, n, &depth)) {
		const char *type = fdt_prop_str(fdt, n, "device_type");
		u64 base, size;

		if (depth != 1 || !type || strcmp(type, "memory"))
			continue;
		for (int i = 0; fdt_reg(fdt, n, i, &base, &size) == 0; i++) {
			if (!size)
				continue;
			if (p->nr_ram == PLATFORM_MAX_RAM)
				break;
			p->ram[p->nr_ram++] = (struct region){ pa_init(base), size };
		}
	}
	return p->nr_ram ? 0 : -ENODEV;
}

static int parse_uart(struct platform *p)
{
	const struct fdt *fdt = &p->fdt;
	int chosen = fdt_path(fdt, "/chosen");
	const char *path = chosen >= 0 ? fdt_prop_str(fdt, chosen, "stdout-path") : NULL;
	char buf[128];
	int node = -ENOENT;
	const u8 *irq;
	u32 len;

	if (path) {
		size_t n = strchr(path, ':') ? (size_t)(strchr(path, ':') - path) : strlen(path);

		if (n < sizeof(buf)) {
			memcpy(buf, path, n);
			buf[n] = 0;
			node = fdt_path(fdt, buf);
		}
	}
	if (node < 0)
		node = fdt_find_compatible(fdt, -1, "arm,pl011");
	if (node < 0 || !fdt_is_compatible(fdt, node, "arm,pl011"))
		return -ENODEV;
	if (region_reg(fdt, node, 0, &p->uart))
		return -EINVAL;
	irq = fdt_prop(fdt, node, "interrupts", &len);
	p->uart_intid = irq && len >= 12 ? gic_intid(irq) : 0;
	p->uart_node = node;
	return 0;
}

/*
 * Module "reg" under /chosen: QEMU's guest-loader and Xen both take /chosen's
 * cell sizes as inherited from the root when /chosen does not set its own.
 */
static int module_reg(const struct fdt *fdt, int chosen, int node, struct region *r)
{
	u32 ac, sc, len;
	const u8 *reg = fdt_prop(fdt, node, "reg", &len);

	if (fdt_prop_u32(fdt, chosen, "#address-cells", &ac))
		ac = fdt_address_cells(fdt, 0);
	if (fdt_prop_u32(fdt, chosen, "#size-cells", &sc))
		sc = fdt_size_cells(fdt, 0);
	if (!reg || ac < 1 || ac > 2 || sc < 1 || sc > 2 || len < (ac + sc) * 4)
		return -EINVAL;
	r->base = pa_init(fdt_read_cells(reg, ac));
	r->size = fdt_read_cells(reg + ac * 4, sc);
	return 0;
}

static void parse_chosen(struct platform *p)
{
	const struct fdt *fdt = &p->fdt;
	int chosen = fdt_path(fdt, "/chosen");

	if (chosen < 0)
		return;
	p->bootargs = fdt_prop_str(fdt, chosen, "xen,xen-bootargs");
	if (!p->bootargs)
		p->bootargs = fdt_prop_str(fdt, chosen, "bootargs");
	p->dom0_bootargs = fdt_prop_str(fdt, chosen, "xen,dom0-bootargs");
	for (int n = fdt_first_child(fdt, chosen); n >= 0; n = fdt_next_sibling(fdt, n)) {
		struct region r;

		if (!fdt_is_compatible(fdt, n, "multiboot,module") &&
		    !fdt_is_compatible(fdt, n, "xen,multiboot-module"))
			continue;
		if (module_reg(fdt, chosen, n, &r))
			continue;
		if (fdt_is_compatible(fdt, n, "multiboot,kernel") ||
		    fdt_is_compatible(fdt, n, "xen,linux-zimage") || !p->kernel.size) {
			if (fdt_is_compatible(fdt, n, "multiboot,ramdisk") ||
			    fdt_is_compatible(fdt, n, "xen,linux-initrd")) {
				p->initrd = r;
				continue;
			}
			p->kernel = r;
			p->kernel_bootargs = fdt_prop_str(fdt, n, "bootargs");
		} else if (fdt_is_compatible(fdt, n, "multiboot,ramdisk") ||
			   fdt_is_compatible(fdt, n, "xen,linux-initrd") || !p->initrd.size) {
			p->initrd = r;
		}
	}
}

int platform_parse(struct platform *p, const void *dtb)
{
	int rc = fdt_init(&p->fdt, dtb, fdt_totalsize(dtb));

	if (rc)
		return rc;
	/* The console first, so that whatever is missing can be reported. */
	if (parse_uart(p))
		p->uart.base = pa_init(0);
	uart_init(p->uart.base);
	if ((rc = parse_memory(p)) || (rc = parse_cpus(p)) || (rc = parse_gic(p)) ||
	    (rc = parse_timer(p)))
		return rc;
	parse_chosen(p);
	return 0;
}

void platform_parse_boot_domains(struct platform *p)
{
	p->nr_boot_domains = boot_domains_parse(&p->fdt, p->boot_domains, BOOT_DOMAINS_MAX);
}

const char *platform_option(const char *name, size_t *len)
{
	const char *s = platform.bootargs;
	size_t nl = strlen(name);

	while (s && *s) {
		const char *end;

		while (*s == ' ')
			s++;
		end = s;
		while (*end && *end != ' ')
			end++;
		if ((size_t)(end - s) > nl && !strncmp(s, name, nl) && s[nl] == '=') {
			*len = end - s - nl - 1;
			return s + nl + 1;
		}
		s = end;
	}
	return NULL;
}
