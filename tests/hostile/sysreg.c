/* SPDX-License-Identifier: MIT */
/*
 * System registers as a guest vCPU sees them. The expectations here are the
 * project's (DESIGN.md: virtual hardware that behaves as natively), stricter
 * than Xen 4.17 where Xen is inconsistent (arch/arm/arm64/vsysreg.c: Xen
 * shows the host's PMUVer yet makes the PMU registers RAZ/WI, keeps OSLSR at
 * a constant and the breakpoint registers RAZ/WI):
 *  - no PMU: ID_AA64DFR0_EL1.PMUVer reads 0, and every PMU register access
 *    is undefined, as on a CPU without one;
 *  - debug state per vCPU: the OS lock as last written, breakpoint registers
 *    up to ID_AA64DFR0.BRPs (WRPs) kept per vCPU and undefined beyond;
 *  - IMPLEMENTATION DEFINED registers (op0=3, CRn=11 or 15) undefined
 *    (HCR_EL2.TIDCP), ACTLR_EL1 writes ignored (TACR), DC ISW/CSW/CISW
 *    accepted (TSW, done as clean+invalidate).
 */
#include "hostile.h"

#define MRS(reg, out) ({                                                      \
	u64 _v = 0xbadbadUL;                                                  \
	struct probe _p;                                                      \
	probe_begin();                                                        \
	asm volatile("mrs %0, " #reg "; nop" : "+r"(_v) : : "memory");                \
	_p = probe_end();                                                     \
	*(out) = _v;                                                          \
	_p;                                                                   \
})
#define MSR(reg, val) ({                                                      \
	probe_begin();                                                        \
	asm volatile("msr " #reg ", %0; nop" : : "r"((u64)(val)) : "memory");      \
	probe_end();                                                          \
})
#define SYS_NOVAL(insn) ({                                                    \
	probe_begin();                                                        \
	asm volatile(insn "; nop" : : : "memory");                                    \
	probe_end();                                                          \
})

static u64 v;

static void pmu_cases(void)
{
	u64 dfr0 = 0, dfr0_32 = 0;

	check_no_trap("ID_AA64DFR0_EL1 reads", MRS(id_aa64dfr0_el1, &dfr0));
	check("ID_AA64DFR0_EL1.PMUVer says no PMU", (long)(dfr0 >> 8 & 0xf), 0);
	MRS(id_dfr0_el1, &dfr0_32);
	check("ID_DFR0_EL1.PerfMon says no PMU", (long)(dfr0_32 >> 24 & 0xf), 0);
	check_undef("PMCR_EL0 read", MRS(pmcr_el0, &v));
	check_undef("PMCR_EL0 write", MSR(pmcr_el0, 1));
	check_undef("PMCCNTR_EL0 read", MRS(pmccntr_el0, &v));
	check_undef("PMEVCNTR0_EL0 read", MRS(pmevcntr0_el0, &v));
	check_undef("PMEVTYPER0_EL0 write", MSR(pmevtyper0_el0, 0));
	check_undef("PMUSERENR_EL0 read", MRS(pmuserenr_el0, &v));
	check_undef("PMSELR_EL0 write", MSR(pmselr_el0, 0));
	check_undef("PMCNTENSET_EL0 read", MRS(pmcntenset_el0, &v));
	check_undef("PMINTENSET_EL1 read", MRS(pmintenset_el1, &v));
	check_undef("PMCEID0_EL0 read", MRS(pmceid0_el0, &v));
	check_undef("PMXEVCNTR_EL0 read", MRS(pmxevcntr_el0, &v));
	check_undef("PMOVSCLR_EL0 write", MSR(pmovsclr_el0, ~0UL));
	check_undef("PMCCFILTR_EL0 read", MRS(pmccfiltr_el0, &v));
}

/* DBG{B,W}{V,C}R<n>_EL1 = S2_0_C0_C<n>_<op2>, n only known at run time. */
#define DBG_ONE(n, op2, write, val, out)                                                \
	case n:                                                                       \
		p = (write) ? MSR(S2_0_C0_C##n##_##op2, val) : MRS(S2_0_C0_C##n##_##op2, out); \
		break;
#define DBG_ALL(op2, write, val, out)                                                     \
	switch (n) {                                                                  \
	DBG_ONE(0, op2, write, val, out) DBG_ONE(1, op2, write, val, out)             \
	DBG_ONE(2, op2, write, val, out) DBG_ONE(3, op2, write, val, out)             \
	DBG_ONE(4, op2, write, val, out) DBG_ONE(5, op2, write, val, out)             \
	DBG_ONE(6, op2, write, val, out) DBG_ONE(7, op2, write, val, out)             \
	DBG_ONE(8, op2, write, val, out) DBG_ONE(9, op2, write, val, out)             \
	DBG_ONE(10, op2, write, val, out) DBG_ONE(11, op2, write, val, out)           \
	DBG_ONE(12, op2, write, val, out) DBG_ONE(13, op2, write, val, out)           \
	DBG_ONE(14, op2, write, val, out) DBG_ONE(15, op2, write, val, out)           \
	}

/* kind: 4 DBGBVR, 5 DBGBCR, 6 DBGWVR, 7 DBGWCR. */
static struct probe dbg_access(unsigned int kind, unsigned int n, bool write, u64 val, u64 *out)
{
	struct probe p = { 0 };

	if (kind == 4) {
		DBG_ALL(4, write, val, out)
	} else if (kind == 5) {
		DBG_ALL(5, write, val, out)
	} else if (kind == 6) {
		DBG_ALL(6, write, val, out)
	} else {
		DBG_ALL(7, write, val, out)
	}
	return p;
}

/* On another vCPU: its own breakpoint value (written, then read back) and its OS lock state. */
static long other_vcpu_bvr(long val)
{
	u64 got = 0;

	MSR(dbgbvr0_el1, (u64)val);
	yield();
	MRS(dbgbvr0_el1, &got);
	return (long)got;
}

/* On another vCPU: OSLAR_EL1 written with lock (0 or 1, or -1 for no write), then OSLSR_EL1. */
static long other_vcpu_oslock(long lock)
{
	u64 got = 0;

	if (lock >= 0)
		MSR(oslar_el1, (u64)lock);
	MRS(oslsr_el1, &got);
	return (long)got;
}

static void debug_cases(void)
{
	u64 dfr0 = 0, got = 0;
	unsigned int brps, wrps;

	MRS(id_aa64dfr0_el1, &dfr0);
	brps = (unsigned int)(dfr0 >> 12 & 0xf);
	wrps = (unsigned int)(dfr0 >> 20 & 0xf);
	check_no_trap("MDSCR_EL1 read", MRS(mdscr_el1, &v));
	if (nr_cpus > 1)
		check_hex("OSLSR_EL1 on vCPU 1 after it unlocks", (u64)smp_call(1, other_vcpu_oslock, 0), 0x8);
	check_no_trap("OSLAR_EL1 write 1 (lock)", MSR(oslar_el1, 1));
	MRS(oslsr_el1, &got);
	check_hex("OSLSR_EL1 after locking: OSLM implemented, OSLK set", got, 0xa);
	if (nr_cpus > 1)
		check_hex("OSLSR_EL1 on vCPU 1 meanwhile: its own, still unlocked",
			  (u64)smp_call(1, other_vcpu_oslock, -1), 0x8);
	MSR(oslar_el1, 0);
	MRS(oslsr_el1, &got);
	check_hex("OSLSR_EL1 after unlocking", got, 0x8);
	check_no_trap("OSDLR_EL1 read", MRS(osdlr_el1, &v));
	MRS(mdrar_el1, &got);
	check_hex("MDRAR_EL1 reads 0 (no ROM table)", got, 0);
	MRS(mdccsr_el0, &got);
	check_hex("MDCCSR_EL0 reads 0 (no debugger attached)", got, 0);

	check_no_trap("DBGBVR0_EL1 write", MSR(dbgbvr0_el1, 0x40001000UL));
	check_no_trap("DBGBCR0_EL1 write (disabled, BAS 0xf)", MSR(dbgbcr0_el1, 0x1e0UL));
	MRS(dbgbvr0_el1, &got);
	check_hex("DBGBVR0_EL1 reads back", got, 0x40001000UL);
	MRS(dbgbcr0_el1, &got);
	check_hex("DBGBCR0_EL1 reads back", got, 0x1e0UL);
	if (nr_cpus > 1) {
		check_hex("DBGBVR0_EL1 on vCPU 1: its own value", (u64)smp_call(1, other_vcpu_bvr, 0x40002000L),
			  0x40002000UL);
		MRS(dbgbvr0_el1, &got);
		check_hex("DBGBVR0_EL1 on vCPU 0 after vCPU 1 wrote its own", got, 0x40001000UL);
	}
	if (brps < 15) {
		check_undef("DBGBVR<BRPs+1>_EL1 read (past the breakpoints)", dbg_access(4, brps + 1, false, 0, &v));
		check_undef("DBGBCR<BRPs+1>_EL1 write", dbg_access(5, brps + 1, true, 0, &v));
	}
	check_no_trap("DBGBVR<BRPs>_EL1 read (the last breakpoint)", dbg_access(4, brps, false, 0, &v));
	if (wrps < 15)
		check_undef("DBGWVR<WRPs+1>_EL1 read (past the watchpoints)", dbg_access(6, wrps + 1, false, 0, &v));
	check_no_trap("DBGWCR<WRPs>_EL1 write (the last watchpoint, disabled)",
		      dbg_access(7, wrps, true, 0, &v));
	MSR(dbgbvr0_el1, 0);
	MSR(dbgbcr0_el1, 0);
}

static void other_cases(void)
{
	u64 actlr = 0, after = 0;

	MRS(actlr_el1, &actlr);
	check_no_trap("ACTLR_EL1 write", MSR(actlr_el1, ~actlr));
	MRS(actlr_el1, &after);
	check_hex("ACTLR_EL1 write ignored", after, actlr);
	check_no_trap("DC ISW (set/way invalidate, done as clean+invalidate)", SYS_NOVAL("dc isw, xzr"));
	check_no_trap("DC CSW", SYS_NOVAL("dc csw, xzr"));
	check_no_trap("DC CISW", SYS_NOVAL("dc cisw, xzr"));
	check_undef("IMP DEF S3_0_C11_C0_0 read", MRS(S3_0_C11_C0_0, &v));
	/*
	 * Not the CPU's own IMP DEF registers (Cortex-A57's L2CTLR_EL1, CPUACTLR_EL1): QEMU 7.2 does
	 * not implement HCR_EL2.TIDCP, so those reach the emulated CPU whatever the hypervisor sets.
	 */
	check_undef("IMP DEF S3_2_C11_C15_7 write", MSR(S3_2_C11_C15_7, 0));
	check_undef("IMP DEF S3_0_C15_C0_0 read", MRS(S3_0_C15_C0_0, &v));
	check_undef("IMP DEF S3_3_C15_C1_0 read", MRS(S3_3_C15_C1_0, &v));
	check_undef("IMP DEF S3_7_C15_C15_7 write", MSR(S3_7_C15_C15_7, 0));
	check_undef("HCR_EL2 read from EL1", MRS(S3_4_C1_C1_0, &v));
	check_no_trap("ID_AA64PFR0_EL1 read", MRS(id_aa64pfr0_el1, &v));
	MRS(S3_0_C0_C3_3, &v);
	check_hex("reserved ID register S3_0_C0_C3_3 reads 0", v, 0);
	check_no_trap("ICC_SGI1R_EL1 to 16 vCPUs nobody has (Aff1 255)",
		      MSR(S3_0_C12_C11_5, 0x0000000000ffffffUL));
	check_no_trap("CNTP_CTL_EL0 read (emulated timer)", MRS(cntp_ctl_el0, &v));
}

void cases_sysreg(void)
{
	pmu_cases();
	debug_cases();
	other_cases();
	for (unsigned int c = 1; c < nr_cpus; c++)
		smp_stop(c);
}
