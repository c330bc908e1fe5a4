/* SPDX-License-Identifier: MIT */
/* What the guest sees of the CPU's features: the real ID registers, less what Domus does not virtualise. */
#include <arm64/decode.h>
#include "arm64.h"
#include "sysreg.h"

/*
 * HCR_EL2.TID3 traps the guest's reads of the feature ID registers
 * (op0=3, op1=0, CRn=0, CRm=1..7). Each read returns the hardware value with
 * the features hidden whose state Domus does not switch between vCPUs:
 * SVE and SME (vector registers wider than the FP state we save), MTE (tag
 * storage), MPAM, AMU, pointer authentication (its keys), the PMU and trace.
 */
struct hidden_field {
	u32 enc;
	u64 mask;
};

#define FIELD(shift) (0xfULL << (shift))

static const struct hidden_field hidden[] = {
	/* ID_AA64PFR0_EL1: SVE, MPAM, AMU */
	{ SYSREG_ENC(3, 0, 0, 4, 0), FIELD(32) | FIELD(40) | FIELD(44) },
	/* ID_AA64PFR1_EL1: MTE, SME, MPAM_frac, NMI-free: MTE_frac */
	{ SYSREG_ENC(3, 0, 0, 4, 1), FIELD(8) | FIELD(16) | FIELD(24) | FIELD(40) },
	/* ID_AA64ZFR0_EL1, ID_AA64SMFR0_EL1: all of it */
	{ SYSREG_ENC(3, 0, 0, 4, 4), ~0ULL },
	{ SYSREG_ENC(3, 0, 0, 4, 5), ~0ULL },
	/* ID_AA64ISAR1_EL1: APA, API, GPA, GPI */
	{ SYSREG_ENC(3, 0, 0, 6, 1), FIELD(4) | FIELD(8) | FIELD(24) | FIELD(28) },
	/* ID_AA64ISAR2_EL1: GPA3, APA3 */
	{ SYSREG_ENC(3, 0, 0, 6, 2), FIELD(8) | FIELD(12) },
	/*
	 * ID_AA64DFR0_EL1: PMUVer (no PMU: vdebug.c), and the trace, statistical
	 * profiling, branch record and multi-threaded PMU extensions (their state
	 * is not switched either). Breakpoints and watchpoints stay: each vCPU has
	 * its own.
	 */
	{ SYSREG_ENC(3, 0, 0, 5, 0), FIELD(4) | FIELD(8) | FIELD(32) | FIELD(40) | FIELD(44) |
					 FIELD(48) | FIELD(52) },
	/* ID_DFR0_EL1 (AArch32's view): PerfMon, and the trace fields */
	{ SYSREG_ENC(3, 0, 0, 1, 2), FIELD(12) | FIELD(16) | FIELD(24) | FIELD(28) },
};

/* Reads ID register (3, 0, 0, crm, op2) of this CPU; 0 for unallocated ones. */
#define ID_CASE(crm, op2)                                            \
	case (crm) * 8 + (op2):                                      \
		return read_sysreg(S3_0_C0_C##crm##_##op2);
#define ID_ROW(crm) ID_CASE(crm, 0) ID_CASE(crm, 1) ID_CASE(crm, 2) ID_CASE(crm, 3) \
		    ID_CASE(crm, 4) ID_CASE(crm, 5) ID_CASE(crm, 6) ID_CASE(crm, 7)

static u64 read_id(u32 crm, u32 op2)
{
	switch (crm * 8 + op2) {
	ID_ROW(1) ID_ROW(2) ID_ROW(3) ID_ROW(4) ID_ROW(5) ID_ROW(6) ID_ROW(7)
	}
	return 0;
}

bool idreg_emulate(const struct sysreg_access *s, u64 *val)
{
	u64 v;

	if (s->op0 != 3 || s->op1 != 0 || s->crn != 0 || s->crm < 1 || s->crm > 7)
		return false;
	v = read_id(s->crm, s->op2);
	for (u32 i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (hidden[i].enc == s->enc)
			v &= ~hidden[i].mask;
	*val = v;
	return true;
}
