/* SPDX-License-Identifier: MIT */
/* Reading the boot-time guests' descriptions from the host device tree (boot_domains.h). */
#include <domus/boot_domains.h>
#include <domus/errno.h>
#include <domus/printk.h>
#include <domus/string.h>

/* Properties of a domain node that Domus reads or knowingly passes over. */
static const char *const known_props[] = {
	"compatible", "#address-cells", "#size-cells", "memory", "cpus", "vpl011", "nr_spis",
	"xen,enhanced", "direct-map", "xen,static-mem", "domain-cpupool", "xen,domain-p2m-mem-mb",
};

/* Xen 4.17's properties that Domus does not have: the guest is not started, as it would be wrong. */
static const char *const unsupported_props[] = { "direct-map", "xen,static-mem" };

/* Xen 4.17's tuning that has no meaning in Domus: noted, and the guest starts. */
static const char *const ignored_props[] = { "domain-cpupool", "xen,domain-p2m-mem-mb" };

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/*
 * The cell count that applies to node's children: its own, else its
 * ancestors' (Xen inherits it, and QEMU's /chosen has none), else the root
 * default (2 for addresses, 1 for sizes).
 */
static u32 inherited_cells(const struct fdt *fdt, int node, const char *prop, u32 dflt)
{
	u32 v;

	for (; node >= 0; node = node ? fdt_parent(fdt, node) : -1)
		if (!fdt_prop_u32(fdt, node, prop, &v))
			return v;
	return dflt;
}

static void say(const char *name, const char *what)
{
	printk("dom0less: /chosen/%s: %s\n", name, what);
}

/* A module child's reg, decoded with the domain node's cells. */
static int module_region(const struct fdt *fdt, int dom, int node, struct boot_module *m)
{
	u32 ac = inherited_cells(fdt, dom, "#address-cells", 2);
	u32 sc = inherited_cells(fdt, dom, "#size-cells", 1);
	u32 len;
	const u8 *reg = fdt_prop(fdt, node, "reg", &len);

	if (!reg || ac < 1 || ac > 2 || sc < 1 || sc > 2 || len < (ac + sc) * 4)
		return -EINVAL;
	m->base = pa_init(fdt_read_cells(reg, ac));
	m->size = fdt_read_cells(reg + ac * 4, sc);
	return m->size ? 0 : -EINVAL;
}

/* The kernel and ramdisk children; false (said why) if the guest cannot start from them. */
static bool read_modules(const struct fdt *fdt, int dom, struct boot_domain *b)
{
	char why[96];

	for (int n = fdt_first_child(fdt, dom); n >= 0; n = fdt_next_sibling(fdt, n)) {
		const char *child = fdt_node_name(fdt, n);
		struct boot_module *m = NULL;

		if (fdt_is_compatible(fdt, n, "multiboot,kernel"))
			m = &b->kernel;
		else if (fdt_is_compatible(fdt, n, "multiboot,ramdisk"))
			m = &b->ramdisk;
		if (!m) {
			bool dt = fdt_is_compatible(fdt, n, "multiboot,device-tree");

			snprintf(why, sizeof(why), "%s: %s", child,
				 dt ? "a partial device tree (passthrough): Domus has none; not started"
				    : fdt_is_compatible(fdt, n, "xen,evtchn-v1")
					  ? "static event channels: Domus has none; not started"
					  : "not a kernel or ramdisk module; ignored");
			say(b->name, why);
			if (dt || fdt_is_compatible(fdt, n, "xen,evtchn-v1"))
				return false;
			continue;
		}
		if (m->size) {
			snprintf(why, sizeof(why), "%s: a second %s module; not started", child,
				 m == &b->kernel ? "kernel" : "ramdisk");
			say(b->name, why);
			return false;
		}
		if (module_region(fdt, dom, n, m)) {
			snprintf(why, sizeof(why), "%s: reg: missing, empty or not in this node's "
				 "#address-cells/#size-cells; not started", child);
			say(b->name, why);
			return false;
		}
		/* Xen takes the domain's command line from whichever module carries one. */
		if (!b->bootargs || m == &b->kernel)
			b->bootargs = fdt_prop_str(fdt, n, "bootargs") ?: b->bootargs;
	}
	if (!b->kernel.size) {
		say(b->name, "no \"multiboot,kernel\" module; not started");
		return false;
	}
	return true;
}

static bool read_enhanced(const struct fdt *fdt, int node, struct boot_domain *b)
{
	u32 len;
	const char *v = fdt_prop(fdt, node, "xen,enhanced", &len);

	/* As Xen: present with no value (or not a string) means enabled. */
	if (!v)
		b->enhanced = BOOT_ENHANCED_NONE;
	else if (!len || v[len - 1] || !strcmp(v, "enabled"))
		b->enhanced = BOOT_ENHANCED_FULL;
	else if (!strcmp(v, "no-xenstore"))
		b->enhanced = BOOT_ENHANCED_NO_XENSTORE;
	else if (!strcmp(v, "disabled"))
		b->enhanced = BOOT_ENHANCED_NONE;
	else {
		say(b->name, "xen,enhanced: not \"enabled\", \"no-xenstore\" or \"disabled\"; "
			     "not started");
		return false;
	}
	return true;
}

/* The node's own properties; false (said why) if the guest cannot start as described. */
static bool read_props(const struct fdt *fdt, int node, struct boot_domain *b)
{
	char why[96];
	const u8 *mem;
	u32 len;

	for (int p = fdt_first_prop(fdt, node); p >= 0; p = fdt_next_prop(fdt, p)) {
		const char *name;

		fdt_prop_at(fdt, p, &name, &len);
		if (!name)
			continue;
		if (in_list(unsupported_props, ARRAY_SIZE(unsupported_props), name)) {
			snprintf(why, sizeof(why), "%s: Domus does not support it; not started", name);
			say(b->name, why);
			return false;
		}
		if (in_list(ignored_props, ARRAY_SIZE(ignored_props), name)) {
			snprintf(why, sizeof(why), "%s: has no meaning in Domus; ignored", name);
			say(b->name, why);
		} else if (!in_list(known_props, ARRAY_SIZE(known_props), name)) {
			snprintf(why, sizeof(why), "%s: unknown property; ignored", name);
			say(b->name, why);
		}
	}
	mem = fdt_prop(fdt, node, "memory", &len);
	if (!mem || len != 8) {
		say(b->name, mem ? "memory: must be two cells (64-bit KiB); not started"
				 : "memory: missing; not started");
		return false;
	}
	b->mem_kib = fdt_read_cells(mem, 2);
	if (b->mem_kib < 4096 || b->mem_kib % 4) {
		say(b->name, "memory: under 4096 KiB or not whole pages; not started");
		return false;
	}
	if (fdt_prop_u32(fdt, node, "cpus", &b->cpus) || !b->cpus) {
		say(b->name, "cpus: missing, not one cell, or 0; not started");
		return false;
	}
	if (fdt_prop(fdt, node, "nr_spis", &len) &&
	    (fdt_prop_u32(fdt, node, "nr_spis", &b->nr_spis) || b->nr_spis > 960)) {
		say(b->name, "nr_spis: not one cell of at most 960; not started");
		return false;
	}
	if (fdt_prop(fdt, node, "vpl011", &len)) {
		if (len) {
			say(b->name, "vpl011: takes no value; not started");
			return false;
		}
		b->vpl011 = true;
	}
	return read_enhanced(fdt, node, b);
}

u32 boot_domains_parse(const struct fdt *fdt, struct boot_domain *out, u32 max)
{
	int chosen = fdt_path(fdt, "/chosen");
	u32 n = 0;

	if (chosen < 0)
		return 0;
	for (int node = fdt_first_child(fdt, chosen); node >= 0;
	     node = fdt_next_sibling(fdt, node)) {
		struct boot_domain *b = &out[n];
		const char *name;

		if (!fdt_is_compatible(fdt, node, "xen,domain"))
			continue;
		name = fdt_node_name(fdt, node);
		if (n == max) {
			say(name, "more boot-time guests than Domus takes; not started");
			continue;
		}
		*b = (struct boot_domain){ 0 };
		snprintf(b->name, sizeof(b->name), "%s", name ? name : "?");
		if (name && strlen(name) >= sizeof(b->name))
			say(b->name, "name longer than 31 characters; cut");
		if (read_props(fdt, node, b) && read_modules(fdt, node, b))
			n++;
	}
	return n;
}
