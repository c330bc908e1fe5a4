/* SPDX-License-Identifier: MIT */
/*
 * A hostile guest domain: a freestanding kernel of ours, created from dom0
 * with `domus create`, that attacks the hypervisor from an unprivileged
 * domain, area by area (one file each), and asserts for every case what Xen
 * 4.17 answers. It reports on its console ring, one line a case,
 *   ok|FAIL <name>: <got> (want <want>)
 * and last
 *   hostile: N cases, F failed
 * then powers off (PSCI SYSTEM_OFF). With "race" on its command line it
 * instead runs the PSCI race until it is destroyed.
 */
#include "hostile.h"

void kernel_main(u64 fdt);

struct env env;

static u64 param(u32 index)
{
	static struct xen_hvm_param p;

	p.domid = DOMID_SELF;
	p.index = index;
	p.value = 0;
	return hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, &p, 0) ? 0 : p.value;
}

/* Runs one area: a heading with the area's name, its cases, and how long they took. */
#define AREA(name, call) do {                                                         \
	u64 _t0 = now_ns();                                                           \
	unsigned int _c0 = cases, _f0 = failed;                                       \
	con_printf("hostile: --- %s\n", (name));                                     \
	call;                                                                         \
	con_printf("hostile: --- %s: %u cases, %u failed, %lu ms\n", (name), cases - _c0, \
		   failed - _f0, (now_ns() - _t0) / 1000000);                         \
} while (0)

static bool has_word(const char *s, const char *w)
{
	size_t n = str_len(w);

	for (; *s; s++)
		if (mem_eq(s, w, n) && (s[n] == 0 || s[n] == ' '))
			return true;
	return false;
}

static void power_off(void)
{
	psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}

void kernel_main(u64 fdt)
{
	struct dt_info dt;

	env.console_gfn = param(HVM_PARAM_CONSOLE_PFN);
	env.console_port = (u32)param(HVM_PARAM_CONSOLE_EVTCHN);
	env.store_gfn = param(HVM_PARAM_STORE_PFN);
	env.store_port = (u32)param(HVM_PARAM_STORE_EVTCHN);
	if (!env.console_gfn || !env.console_port)
		power_off(); /* nowhere to report to */
	con_init(env.console_gfn, env.console_port);
	if (!dt_parse(fdt, &dt)) {
		con_puts("hostile: no device tree from the toolstack\nhostile: 1 cases, 1 failed\n");
		con_flush();
		power_off();
	}
	nr_cpus = dt.cpus < MAX_CPUS ? dt.cpus : MAX_CPUS;
	env.ram_pages = dt.ram_size >> 12;
	con_printf("hostile: starting: %u vCPUs, %lu MiB, command line '%s'\n", nr_cpus, dt.ram_size >> 20,
		   dt.bootargs);
	env.stage2_blocks = has_word(dt.bootargs, "stage2_blocks");
	if (has_word(dt.bootargs, "race"))
		psci_race_forever();
	if (has_word(dt.bootargs, "fuzz")) {
		fuzz_main(dt.bootargs);
		power_off();
	}

	env.domid = 0x7fef;
	if (!xs_init(env.store_gfn, env.store_port) || !xenstore_read_domid(&env.domid))
		check("XenStore tells us our domid", 0, 1);

	AREA("hypercall numbers", cases_hypercall_numbers());
	AREA("xen_version, hvm_op, vm_assist", cases_version());
	AREA("privileged interfaces", cases_privileged());
	AREA("memory_op queries", cases_memory_stat());
	AREA("grant tables", cases_grant());
	AREA("memory_op", cases_memory());
	{
		u64 vcpu_info_gfn = 0;

		AREA("vcpu_op", vcpu_info_gfn = cases_vcpu());
		AREA("shared pages over others", cases_memory_over_shared(vcpu_info_gfn));
	}
	AREA("event channels", cases_evtchn(SHARED_INFO_GFN));
	AREA("sched_op", cases_sched());
	AREA("PSCI and SMP", cases_psci());
	AREA("stage-2 tables and p2m races", cases_stage2());
	AREA("system registers", cases_sysreg());
	AREA("MMIO and aborts", cases_mmio());
	AREA("console", cases_console());
	AREA("XenStore", cases_xenstore());
	AREA("XenStore, last", cases_xenstore_last());
	AREA("dom0 still there", cases_console_last());
	AREA("PSCI, last", cases_psci_last());
	AREA("sched_op, last", cases_sched_last());

	con_printf("hostile: %u cases, %u failed\n", cases, failed);
	con_flush();
	power_off();
}
