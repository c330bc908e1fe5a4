/* SPDX-License-Identifier: MIT */
/* Decoding of trapped guest accesses for emulation: abort syndromes, load/store words, MSR/MRS. */
#include <domus/errno.h>
#include <domus/string.h>
#include <arm64/decode.h>

static inline u32 bits(u32 x, int hi, int lo)
{
	return (x >> lo) & ((1U << (hi - lo + 1)) - 1);
}

static inline s64 sign_extend(u64 v, int nbits)
{
	u64 sign = 1ULL << (nbits - 1);

	v &= (sign << 1) - 1;
	return (s64)((v ^ sign) - sign);
}

int decode_dabt(u64 esr, struct mmio_access *out)
{
	u32 ec = esr_ec(esr);

	/* A compound literal, not memset: on every MMIO exit, a few stores rather than a loop. */
	*out = (struct mmio_access){ .fault = ABORT_OTHER };
	if (ec != EC_DABT_LOW && ec != EC_DABT_CUR)
		return -EINVAL;
	out->write = esr & ESR_DABT_WNR;
	out->fault = esr_abort_fault(esr);
	out->fault_level = out->fault == ABORT_OTHER ? 0 : esr_abort_level(esr);
	if (!(esr & ESR_DABT_ISV))
		return -EINVAL;

	out->size = 1U << ((esr >> ESR_DABT_SAS_SHIFT) & 3);
	out->sign_extend = esr & ESR_DABT_SSE;
	out->rt = (esr >> ESR_DABT_SRT_SHIFT) & 31;
	out->sf = esr & ESR_DABT_SF;
	/* No instruction moves a doubleword through a W register. */
	if (out->size == 8 && !out->sf)
		return -EINVAL;
	return 0;
}

/*
 * The A64 "load/store register" group, the only one handled here:
 *
 *   31:30   29:27   26   25:24   23:22   21      20:12         11:10   9:5   4:0
 *   size    111     V    01      opc        <-- imm12 (scaled) -->     Rn    Rt   unsigned offset
 *   size    111     V    00      opc     0       imm9          op      Rn    Rt   imm9 forms
 *   size    111     V    00      opc     1       Rm,option,S   10      Rn    Rt   register offset
 *
 * op (bits 11:10) with bit 21 clear: 00 LDUR/STUR, 01 post-index,
 * 10 LDTR/STTR, 11 pre-index. Bit 21 set with op 00 is the atomics
 * (and LDAPR), with op x1 LDRAA/LDRAB.
 */
enum ldst_form { FORM_UIMM, FORM_UNSCALED, FORM_POST, FORM_UNPRIV, FORM_PRE, FORM_REG };

int decode_ldst_insn(u32 insn, struct mmio_access *out)
{
	u32 size = bits(insn, 31, 30), opc = bits(insn, 23, 22);
	enum ldst_form form;

	memset(out, 0, sizeof(*out));
	out->fault = ABORT_OTHER;
	/* Pairs, exclusives, literals, LDAPUR, tags: all outside this group. */
	if (bits(insn, 29, 27) != 7 || bits(insn, 25, 25))
		return -EOPNOTSUPP;
	if (bits(insn, 26, 26)) /* SIMD&FP register */
		return -EOPNOTSUPP;

	if (bits(insn, 24, 24)) {
		form = FORM_UIMM;
	} else if (!bits(insn, 21, 21)) {
		static const enum ldst_form by_op[4] = { FORM_UNSCALED, FORM_POST, FORM_UNPRIV,
							 FORM_PRE };

		form = by_op[bits(insn, 11, 10)];
	} else if (bits(insn, 11, 10) == 2) {
		form = FORM_REG;
		/* option<1> clear would be a 16-bit or 8-bit index: unallocated. */
		if (!(bits(insn, 15, 13) & 2))
			return -EINVAL;
	} else {
		return -EOPNOTSUPP; /* atomics, LDAPR, LDRAA/LDRAB */
	}

	out->size = 1U << size;
	out->rt = bits(insn, 4, 0);
	out->rn = bits(insn, 9, 5);
	switch (opc) {
	case 0: /* STRx */
	case 1: /* LDRx, zero-extending */
		out->write = opc == 0;
		out->sf = size == 3;
		break;
	case 2: /* LDRSB/LDRSH/LDRSW to X; PRFM for size 3 */
		if (size == 3) {
			/* Prefetches never abort; the other forms are unallocated. */
			if (form == FORM_UIMM || form == FORM_REG || form == FORM_UNSCALED)
				return -EOPNOTSUPP;
			return -EINVAL;
		}
		out->sign_extend = true;
		out->sf = true;
		break;
	case 3: /* LDRSB/LDRSH to W */
		if (size >= 2)
			return -EINVAL;
		out->sign_extend = true;
		out->sf = false;
		break;
	}

	if (form == FORM_PRE || form == FORM_POST) {
		/*
		 * Either way the FAR already is the accessed address; what is
		 * left is the base update. Loading into the base register
		 * itself is CONSTRAINED UNPREDICTABLE (SP and XZR differ, so
		 * 31 is fine). A store of the base has the old value as one of
		 * its permitted results, which is what the caller stores.
		 */
		if (!out->write && out->rn == out->rt && out->rn != 31)
			return -EINVAL;
		out->writeback = true;
		out->wb_offset = sign_extend(bits(insn, 20, 12), 9);
	}
	return 0;
}

u64 mmio_load_value(const struct mmio_access *a, u64 raw)
{
	if (a->size < 8) {
		int nbits = a->size * 8;

		raw &= (1ULL << nbits) - 1;
		if (a->sign_extend)
			raw = (u64)sign_extend(raw, nbits);
	}
	/* Writing a W register zeroes the upper half of the X register. */
	if (!a->sf)
		raw &= 0xffffffffULL;
	return raw;
}

u64 mmio_store_value(const struct mmio_access *a, u64 reg)
{
	if (a->size >= 8)
		return reg;
	return reg & ((1ULL << (a->size * 8)) - 1);
}

/*
 * ISS of a trapped MSR/MRS/SYS (EC 0x18):
 *
 *   24  22 21 20 19  17 16  14 13  10 9    5 4   1  0
 *  +------+-----+------+------+------+------+-----+---+
 *  | RES0 | Op0 | Op2  | Op1  | CRn  |  Rt  | CRm |Dir|
 *  +------+-----+------+------+------+------+-----+---+
 */
int sysreg_decode(u64 esr, struct sysreg_access *out)
{
	u32 iss = esr_iss(esr);

	if (esr_ec(esr) != EC_SYSREG) {
		*out = (struct sysreg_access){ 0 };
		return -EINVAL;
	}
	/* Every field set at once: no memset on the path of every trapped register. */
	*out = (struct sysreg_access){
		.op0 = bits(iss, 21, 20),
		.op2 = bits(iss, 19, 17),
		.op1 = bits(iss, 16, 14),
		.crn = bits(iss, 13, 10),
		.rt = bits(iss, 9, 5),
		.crm = bits(iss, 4, 1),
		.read = iss & 1,
	};
	out->enc = SYSREG_ENC(out->op0, out->op1, out->crn, out->crm, out->op2);
	return 0;
}
