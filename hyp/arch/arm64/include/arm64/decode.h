/* SPDX-License-Identifier: MIT */
/* Decoding of trapped guest accesses: ESR_EL2 syndromes and load/store instructions. */
#ifndef DOMUS_DECODE_H
#define DOMUS_DECODE_H

#include <domus/types.h>

/*
 * ESR_ELx layout (the fields this header reads):
 *
 *   63    37 36  32 31  26 25 24                                  0
 *  +--------+------+------+--+-------------------------------------+
 *  |  RES0  | ISS2 |  EC  |IL|                ISS                  |
 *  +--------+------+------+--+-------------------------------------+
 */
#define ESR_EC_SHIFT 26
#define ESR_EC_MASK 0x3fULL
#define ESR_IL_BIT BIT(25)
#define ESR_ISS_MASK 0x1ffffffULL

/* Exception classes (ESR_ELx.EC). */
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_CP15_32 0x03
#define EC_CP15_64 0x04
#define EC_CP14_MR 0x05
#define EC_CP14_LS 0x06
#define EC_FP 0x07
#define EC_CP10_ID 0x08
#define EC_PAC 0x09
#define EC_CP14_64 0x0c
#define EC_BTI 0x0d
#define EC_ILLEGAL 0x0e
#define EC_SVC32 0x11
#define EC_HVC32 0x12
#define EC_SMC32 0x13
#define EC_SVC64 0x15
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_SVE 0x19
#define EC_ERET 0x1a
#define EC_SME 0x1d
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_FP_EXC32 0x28
#define EC_FP_EXC64 0x2c
#define EC_SERROR 0x2f
#define EC_BREAKPT_LOW 0x30
#define EC_BREAKPT_CUR 0x31
#define EC_SOFTSTP_LOW 0x32
#define EC_SOFTSTP_CUR 0x33
#define EC_WATCHPT_LOW 0x34
#define EC_WATCHPT_CUR 0x35
#define EC_BKPT32 0x38
#define EC_BRK 0x3c

static inline u32 esr_ec(u64 esr)
{
	return (esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
}

/* True for a 32-bit instruction (always so for A64 traps), false for 16-bit T32. */
static inline bool esr_il(u64 esr)
{
	return esr & ESR_IL_BIT;
}

static inline u32 esr_iss(u64 esr)
{
	return esr & ESR_ISS_MASK;
}

/* Data abort ISS bits (EC 0x24 / 0x25). */
#define ESR_DABT_ISV BIT(24) /* bits 23:14 below are valid */
#define ESR_DABT_SAS_SHIFT 22 /* access size: 0 byte .. 3 doubleword */
#define ESR_DABT_SSE BIT(21) /* load sign-extends */
#define ESR_DABT_SRT_SHIFT 16 /* transfer register, 5 bits */
#define ESR_DABT_SF BIT(15) /* 64-bit register */
#define ESR_DABT_AR BIT(14) /* acquire / release */
#define ESR_DABT_FNV BIT(10) /* FAR not valid */
#define ESR_DABT_EA BIT(9)
#define ESR_DABT_CM BIT(8) /* cache maintenance */
#define ESR_DABT_S1PTW BIT(7) /* fault on the stage-1 walk */
#define ESR_DABT_WNR BIT(6) /* write */
#define ESR_DABT_DFSC_MASK 0x3fULL

/* The fault status (DFSC / IFSC), reduced to what an abort handler branches on. */
enum abort_fault {
	ABORT_TRANSLATION, /* no mapping at that level */
	ABORT_ACCESS_FLAG,
	ABORT_PERMISSION,
	ABORT_OTHER, /* external, alignment, TLB conflict, ... */
};

/* Kind of fault in a data or instruction abort syndrome. */
static inline enum abort_fault esr_abort_fault(u64 esr)
{
	switch (esr & ESR_DABT_DFSC_MASK & ~3ULL) {
	case 0x04:
		return ABORT_TRANSLATION;
	case 0x08:
		return ABORT_ACCESS_FLAG;
	case 0x0c:
		return ABORT_PERMISSION;
	}
	return ABORT_OTHER;
}

/* Table level of a translation, access flag or permission fault. */
static inline int esr_abort_level(u64 esr)
{
	return esr & 3;
}

/*
 * One general-purpose-register load or store, as MMIO emulation needs it:
 * the access is `size` bytes at the faulting address (FAR/HPFAR), the data
 * goes from/to register rt, and afterwards rn += wb_offset if writeback.
 */
struct mmio_access {
	u32 size; /* bytes: 1, 2, 4 or 8 */
	u32 rt; /* 31 is XZR: a load to it is dropped, a store writes 0 */
	bool write;
	bool sign_extend; /* loads: sign-extend the value to the register width */
	bool sf; /* the register is X (64-bit); else W and the upper half is zeroed */
	bool writeback; /* pre/post-indexed forms, only from decode_ldst_insn */
	u32 rn; /* base register for writeback; 31 is SP here */
	s64 wb_offset; /* add to rn after the access */
	/* From the syndrome (decode_dabt only; ABORT_OTHER / 0 otherwise). */
	enum abort_fault fault;
	int fault_level;
};

/*
 * Fills *out from a data abort's ESR with a valid instruction syndrome.
 * -EINVAL if it is not a data abort, if ISV is 0 (the caller then decodes
 * the instruction with decode_ldst_insn) or if the syndrome is impossible.
 * Even on -EINVAL for ISV=0, out->write, out->fault and out->fault_level
 * are filled in.
 */
int decode_dabt(u64 esr, struct mmio_access *out);

/*
 * Decodes an A64 load/store of one general-purpose register: LDR/STR with an
 * unsigned, pre- or post-indexed immediate, LDUR/STUR, LDTR/STTR, register
 * offset; B/H/W/X sizes, LDRSB/LDRSH/LDRSW to W or X. -EOPNOTSUPP for other
 * memory instructions (pairs, SIMD&FP, exclusives, atomics, literal, PRFM,
 * LDAPR, ...), -EINVAL for unallocated or CONSTRAINED UNPREDICTABLE ones
 * (writeback load with rn == rt). out->fault is ABORT_OTHER.
 */
int decode_ldst_insn(u32 insn, struct mmio_access *out);

/* The register value after a load of raw: truncate, sign-extend, truncate to W. */
u64 mmio_load_value(const struct mmio_access *a, u64 raw);
/* The bytes a store writes: reg truncated to the access size. */
u64 mmio_store_value(const struct mmio_access *a, u64 reg);

/*
 * A trapped MSR/MRS (EC 0x18). enc packs the register like the MRS/MSR
 * instruction's bits 20:5, so it can be compared with SYSREG_ENC values.
 */
#define SYSREG_ENC(op0, op1, crn, crm, op2) \
	((u32)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))

#define SYSREG_ICC_SGI1R_EL1 SYSREG_ENC(3, 0, 12, 11, 5)
#define SYSREG_ICC_ASGI1R_EL1 SYSREG_ENC(3, 0, 12, 11, 6)
#define SYSREG_ICC_SGI0R_EL1 SYSREG_ENC(3, 0, 12, 11, 7)
#define SYSREG_CNTP_TVAL_EL0 SYSREG_ENC(3, 3, 14, 2, 0)
#define SYSREG_CNTP_CTL_EL0 SYSREG_ENC(3, 3, 14, 2, 1)
#define SYSREG_CNTP_CVAL_EL0 SYSREG_ENC(3, 3, 14, 2, 2)
#define SYSREG_CNTPCT_EL0 SYSREG_ENC(3, 3, 14, 0, 1)

struct sysreg_access {
	u32 op0, op1, crn, crm, op2;
	u32 enc; /* SYSREG_ENC(op0, op1, crn, crm, op2) */
	u32 rt; /* 31 is XZR */
	bool read; /* MRS */
};

/* Fills *out from an EC 0x18 syndrome; -EINVAL for any other class. */
int sysreg_decode(u64 esr, struct sysreg_access *out);

#endif
