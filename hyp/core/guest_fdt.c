/* SPDX-License-Identifier: MIT */
/* Device-tree nodes every guest's tree has alike (guest_fdt.h). */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/fdt_write.h>
#include <domus/guest_fdt.h>
#include <domus/printf.h>

void guest_fdt_cpus(struct fdt_writer *w, const struct domain *d, const char *compatible)
{
	fdtw_begin_node(w, "cpus");
	fdtw_prop_u32(w, "#address-cells", 1);
	fdtw_prop_u32(w, "#size-cells", 0);
	for (u32 i = 0; i < d->nr_vcpus; i++) {
		u32 hwid = (u32)arch_vcpu_hwid(d->vcpus[i]);
		char name[24];

		snprintf(name, sizeof(name), "cpu@%x", hwid);
		fdtw_begin_node(w, name);
		fdtw_prop_str(w, "device_type", "cpu");
		fdtw_prop_str(w, "compatible", compatible);
		fdtw_prop_u32(w, "reg", hwid);
		fdtw_prop_str(w, "enable-method", "psci");
		fdtw_end_node(w);
	}
	fdtw_end_node(w);
}

void guest_fdt_psci(struct fdt_writer *w)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";

	fdtw_begin_node(w, "psci");
	fdtw_prop(w, "compatible", compat, sizeof(compat));
	fdtw_prop_str(w, "method", "hvc");
	fdtw_prop_u32(w, "cpu_off", 0x84000002);
	fdtw_prop_u32(w, "cpu_on", 0xc4000003);
	fdtw_end_node(w);
}
