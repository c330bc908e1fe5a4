// SOURCES: hyp/arch/arm64/decode.c
/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the trap decoders. Instruction words were produced by
 * aarch64-linux-gnu-as (-march=armv8.7-a+ls64) and read back with
 * aarch64-linux-gnu-objdump -d; the assembly is next to each word. Syndromes
 * are built from the field layout in the Arm ARM (ESR_EL2, ISS encoding for
 * data aborts and for trapped MSR/MRS), independently of decode.h's macros.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <domus/errno.h>
#include <arm64/decode.h>

/* ---- load/store instruction words ---- */

struct insn_case {
	u32 insn;
	const char *text;
	int rc;
	u32 size;
	bool sign, sf;
	u32 rt;
	bool write, wb;
	u32 rn;
	s64 off;
};

#define R false
#define W true
/* Refused words: only the return code matters. */
#define REJECT(w, t, e) { .insn = (w), .text = (t), .rc = (e) }

static const struct insn_case insn_cases[] = {
	/* unsigned offset */
	{ 0xb9400041, "ldr w1, [x2]", 0, 4, 0, 0, 1, R, 0, 2, 0 },
	{ 0xf9400483, "ldr x3, [x4, #8]", 0, 8, 0, 1, 3, R, 0, 4, 0 },
	{ 0x39800149, "ldrsb x9, [x10]", 0, 1, 1, 1, 9, R, 0, 10, 0 },
	{ 0xb980058b, "ldrsw x11, [x12, #4]", 0, 4, 1, 1, 11, R, 0, 12, 0 },
	{ 0x39c3fc20, "ldrsb w0, [x1, #255]", 0, 1, 1, 0, 0, R, 0, 1, 0 },
	{ 0x79800420, "ldrsh x0, [x1, #2]", 0, 2, 1, 1, 0, R, 0, 1, 0 },
	{ 0x3900001f, "strb wzr, [x0]", 0, 1, 0, 0, 31, W, 0, 0, 0 },
	{ 0xf940003f, "ldr xzr, [x1]", 0, 8, 0, 1, 31, R, 0, 1, 0 },
	{ 0xf97ffca4, "ldr x4, [x5, #32760]", 0, 8, 0, 1, 4, R, 0, 5, 0 },
	{ 0xf947fc62, "ldr x2, [x3, #4088]", 0, 8, 0, 1, 2, R, 0, 3, 0 },
	{ 0x393ffce6, "strb w6, [x7, #4095]", 0, 1, 0, 0, 6, W, 0, 7, 0 },
	{ 0x797ffd28, "ldrh w8, [x9, #8190]", 0, 2, 0, 0, 8, R, 0, 9, 0 },
	{ 0xb94003e0, "ldr w0, [sp]", 0, 4, 0, 0, 0, R, 0, 31, 0 },
	/* post-index */
	{ 0x384014c5, "ldrb w5, [x6], #1", 0, 1, 0, 0, 5, R, 1, 6, 1 },
	{ 0x78cff462, "ldrsh w2, [x3], #255", 0, 2, 1, 0, 2, R, 1, 3, 255 },
	{ 0xb80107e0, "str w0, [sp], #16", 0, 4, 0, 0, 0, W, 1, 31, 16 },
	{ 0xf84087ff, "ldr xzr, [sp], #8", 0, 8, 0, 1, 31, R, 1, 31, 8 },
	{ 0xb89fc420, "ldrsw x0, [x1], #-4", 0, 4, 1, 1, 0, R, 1, 1, -4 },
	{ 0x38dff483, "ldrsb w3, [x4], #-1", 0, 1, 1, 0, 3, R, 1, 4, -1 },
	{ 0xf8008421, "str x1, [x1], #8 (store of the base)", 0, 8, 0, 1, 1, W, 1, 1, 8 },
	{ 0x38001400, "strb w0, [x0], #1 (store of the base)", 0, 1, 0, 0, 0, W, 1, 0, 1 },
	/* pre-index */
	{ 0x781fed07, "strh w7, [x8, #-2]!", 0, 2, 0, 0, 7, W, 1, 8, -2 },
	{ 0x78900c62, "ldrsh x2, [x3, #-256]!", 0, 2, 1, 1, 2, R, 1, 3, -256 },
	{ 0xf85f0fe0, "ldr x0, [sp, #-16]!", 0, 8, 0, 1, 0, R, 1, 31, -16 },
	{ 0xf81f8fbe, "str x30, [x29, #-8]!", 0, 8, 0, 1, 30, W, 1, 29, -8 },
	/* unscaled and unprivileged: no writeback */
	{ 0x78dfd1cd, "ldursh w13, [x14, #-3]", 0, 2, 1, 0, 13, R, 0, 14, 0 },
	{ 0xf85f8020, "ldur x0, [x1, #-8]", 0, 8, 0, 1, 0, R, 0, 1, 0 },
	{ 0xb8001062, "stur w2, [x3, #1]", 0, 4, 0, 0, 2, W, 0, 3, 0 },
	{ 0xb89ff0c5, "ldursw x5, [x6, #-1]", 0, 4, 1, 1, 5, R, 0, 6, 0 },
	{ 0xf8408820, "ldtr x0, [x1, #8]", 0, 8, 0, 1, 0, R, 0, 1, 0 },
	{ 0x381ff862, "sttrb w2, [x3, #-1]", 0, 1, 0, 0, 2, W, 0, 3, 0 },
	{ 0x78c00907, "ldtrsh w7, [x8]", 0, 2, 1, 0, 7, R, 0, 8, 0 },
	/* register offset: no writeback, even with rn == rt */
	{ 0xf8317a0f, "str x15, [x16, x17, lsl #3]", 0, 8, 0, 1, 15, W, 0, 16, 0 },
	{ 0xb8745a72, "ldr w18, [x19, w20, uxtw #2]", 0, 4, 0, 0, 18, R, 0, 19, 0 },
	{ 0x38626820, "ldrb w0, [x1, x2]", 0, 1, 0, 0, 0, R, 0, 1, 0 },
	{ 0x7865d883, "ldrh w3, [x4, w5, sxtw #1]", 0, 2, 0, 0, 3, R, 0, 4, 0 },
	{ 0xb8a8e8e6, "ldrsw x6, [x7, x8, sxtx]", 0, 4, 1, 1, 6, R, 0, 7, 0 },
	{ 0xf82b4949, "str x9, [x10, w11, uxtw]", 0, 8, 0, 1, 9, W, 0, 10, 0 },
	{ 0xb862f820, "ldr w0, [x1, x2, sxtx #2]", 0, 4, 0, 0, 0, R, 0, 1, 0 },
	{ 0x38616821, "ldrb w1, [x1, x1]", 0, 1, 0, 0, 1, R, 0, 1, 0 },
	/* not single general-purpose register accesses */
	REJECT(0xa9000440, "stp x0, x1, [x2]", -EOPNOTSUPP),
	REJECT(0xa8c10440, "ldp x0, x1, [x2], #16", -EOPNOTSUPP),
	REJECT(0xa8400440, "ldnp x0, x1, [x2]", -EOPNOTSUPP),
	REJECT(0xc85f7c20, "ldxr x0, [x1]", -EOPNOTSUPP),
	REJECT(0x885ffc20, "ldaxr w0, [x1]", -EOPNOTSUPP),
	REJECT(0xc8dffc20, "ldar x0, [x1]", -EOPNOTSUPP),
	REJECT(0x889ffc20, "stlr w0, [x1]", -EOPNOTSUPP),
	REJECT(0x3dc00020, "ldr q0, [x1]", -EOPNOTSUPP),
	REJECT(0xfd400020, "ldr d0, [x1]", -EOPNOTSUPP),
	REJECT(0x3d000420, "str b0, [x1, #1]", -EOPNOTSUPP),
	REJECT(0xb8200041, "ldadd w0, w1, [x2]", -EOPNOTSUPP),
	REJECT(0xb8208041, "swp w0, w1, [x2]", -EOPNOTSUPP),
	REJECT(0xf8bfc020, "ldapr x0, [x1]", -EOPNOTSUPP),
	REJECT(0x99400020, "ldapur w0, [x1]", -EOPNOTSUPP),
	REJECT(0x99000020, "stlur w0, [x1]", -EOPNOTSUPP),
	REJECT(0xf8200420, "ldraa x0, [x1]", -EOPNOTSUPP),
	REJECT(0xf83f9020, "st64b x0, [x1]", -EOPNOTSUPP),
	REJECT(0x580001a0, "ldr x0, <literal>", -EOPNOTSUPP),
	REJECT(0xf9800000, "prfm pldl1keep, [x0]", -EOPNOTSUPP),
	REJECT(0xf8a16800, "prfm pldl1keep, [x0, x1]", -EOPNOTSUPP),
	REJECT(0xf8801000, "prfum pldl1keep, [x0, #1]", -EOPNOTSUPP),
	REJECT(0x0b020020, "add w0, w1, w2", -EOPNOTSUPP),
	/* CONSTRAINED UNPREDICTABLE: writeback load into the base */
	REJECT(0xf8408421, "ldr x1, [x1], #8", -EINVAL),
	REJECT(0xf8408c21, "ldr x1, [x1, #8]!", -EINVAL),
	REJECT(0x78c02400, "ldrsh w0, [x0], #2", -EINVAL),
	/* unallocated (objdump: "undefined") */
	REJECT(0xb9c00041, ".inst: size 10 opc 11, unsigned offset", -EINVAL),
	REJECT(0xf9c00041, ".inst: size 11 opc 11, unsigned offset", -EINVAL),
	REJECT(0xf8800441, ".inst: size 11 opc 10, post-index", -EINVAL),
	REJECT(0xb8600841, ".inst: register offset, option 000", -EINVAL),
	REJECT(0xb8608841, ".inst: register offset, option 100", -EINVAL),
	REJECT(0xf8a08820, ".inst: prfm register offset, option 100", -EINVAL),
};

static void test_load_store_words_decode_to_size_sign_register_and_writeback(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(insn_cases); i++) {
		const struct insn_case *c = &insn_cases[i];
		struct mmio_access a;
		int rc;

		memset(&a, 0x5a, sizeof(a));
		rc = decode_ldst_insn(c->insn, &a);
		if (rc != c->rc)
			fail_msg("%08x %s: rc %d, want %d", c->insn, c->text, rc, c->rc);
		if (rc)
			continue;
		if (a.size != c->size || a.sign_extend != c->sign || a.sf != c->sf || a.rt != c->rt ||
		    a.write != c->write || a.writeback != c->wb || (c->wb && a.rn != c->rn) ||
		    a.wb_offset != c->off)
			fail_msg("%08x %s: size %u sign %d sf %d rt %u write %d wb %d rn %u off %lld",
				 c->insn, c->text, a.size, a.sign_extend, a.sf, a.rt, a.write,
				 a.writeback, a.rn, (long long)a.wb_offset);
		assert_int_equal(a.rn, c->rn);
		assert_int_equal(a.fault, ABORT_OTHER);
	}
}

/* ---- data abort syndromes ---- */

#define EC(x) ((u64)(x) << 26)
#define IL (1ULL << 25)
#define ISV (1ULL << 24)
#define SAS(x) ((u64)(x) << 22)
#define SSE (1ULL << 21)
#define SRT(x) ((u64)(x) << 16)
#define SF (1ULL << 15)
#define WNR (1ULL << 6)

static void test_every_sas_sse_sf_combination_decodes(void **state)
{
	static const u32 regs[] = { 0, 7, 30, 31 };
	int checked = 0;

	for (u32 sas = 0; sas < 4; sas++)
		for (int sse = 0; sse < 2; sse++)
			for (int sf = 0; sf < 2; sf++)
				for (int wnr = 0; wnr < 2; wnr++)
					for (size_t r = 0; r < ARRAY_SIZE(regs); r++) {
						u64 esr = EC(0x24) | IL | ISV | SAS(sas) |
							  (sse ? SSE : 0) | SRT(regs[r]) |
							  (sf ? SF : 0) | (wnr ? WNR : 0) | 0x06;
						struct mmio_access a;
						int rc = decode_dabt(esr, &a);

						checked++;
						/* A doubleword never goes through a W register. */
						if (sas == 3 && !sf) {
							assert_int_equal(rc, -EINVAL);
							continue;
						}
						assert_int_equal(rc, 0);
						assert_int_equal(a.size, 1u << sas);
						assert_int_equal(a.sign_extend, sse);
						assert_int_equal(a.sf, sf);
						assert_int_equal(a.write, wnr);
						assert_int_equal(a.rt, regs[r]);
						assert_false(a.writeback);
						assert_int_equal(a.wb_offset, 0);
						assert_int_equal(a.fault, ABORT_TRANSLATION);
						assert_int_equal(a.fault_level, 2);
					}
	assert_int_equal(checked, 4 * 2 * 2 * 2 * 4);
}

struct esr_case {
	u64 esr;
	const char *what;
	int rc;
	u32 size;
	bool sign, sf, write;
	u32 rt;
	enum abort_fault fault;
	int level;
};

static const struct esr_case esr_cases[] = {
	/* 0x93810005: EC 0x24, IL, ISV, SAS 2, SRT 1, DFSC 0x05 */
	{ 0x93810005, "ldr w1 -> translation fault, level 1", 0, 4, 0, 0, 0, 1, ABORT_TRANSLATION, 1 },
	/* 0x93c08046: ISV, SAS 3, SRT 0, SF, WnR, DFSC 0x06 */
	{ 0x93c08046, "str x0 -> translation fault, level 2", 0, 8, 0, 1, 1, 0, ABORT_TRANSLATION, 2 },
	/* 0x93298007: ISV, SAS 0, SSE, SRT 9, SF, DFSC 0x07 */
	{ 0x93298007, "ldrsb x9 -> translation fault, level 3", 0, 1, 1, 1, 0, 9, ABORT_TRANSLATION,
	  3 },
	/* 0x931f0047: ISV, SAS 0, SRT 31, WnR, DFSC 0x07 */
	{ 0x931f0047, "strb wzr", 0, 1, 0, 0, 1, 31, ABORT_TRANSLATION, 3 },
	/* 0x9360400f: ISV, SAS 1, SSE, SRT 0, AR, DFSC 0x0f */
	{ 0x9360400f, "ldarh-like sign-extending halfword, permission level 3", 0, 2, 1, 0, 0, 0,
	  ABORT_PERMISSION, 3 },
	/* 0x9380000b: ISV, SAS 2, DFSC 0x0b */
	{ 0x9380000b, "access flag fault, level 3", 0, 4, 0, 0, 0, 0, ABORT_ACCESS_FLAG, 3 },
	/* 0x93800010: ISV, SAS 2, DFSC 0x10 */
	{ 0x93800010, "synchronous external abort", 0, 4, 0, 0, 0, 0, ABORT_OTHER, 0 },
	/* 0x93800021: ISV, SAS 2, DFSC 0x21 */
	{ 0x93800021, "alignment fault", 0, 4, 0, 0, 0, 0, ABORT_OTHER, 0 },
	/* 0x97810006: EC 0x25 (abort taken from EL2 itself), otherwise like the first */
	{ 0x97810006, "data abort from the current EL", 0, 4, 0, 0, 0, 1, ABORT_TRANSLATION, 2 },
	/* 0x92000046: ISV clear, WnR, DFSC 0x06 */
	{ 0x92000046, "ISV=0: decode the instruction instead", -EINVAL, 0, 0, 0, 1, 0,
	  ABORT_TRANSLATION, 2 },
	/* 0x9200000e: ISV clear, DFSC 0x0e */
	{ 0x9200000e, "ISV=0 permission fault", -EINVAL, 0, 0, 0, 0, 0, ABORT_PERMISSION, 2 },
	/* 0x83810005: EC 0x20, an instruction abort */
	{ 0x83810005, "instruction abort", -EINVAL, 0, 0, 0, 0, 0, ABORT_OTHER, 0 },
	/* 0x5a000000: EC 0x16, HVC */
	{ 0x5a000000, "hvc", -EINVAL, 0, 0, 0, 0, 0, ABORT_OTHER, 0 },
	/* 0x93c00005: ISV, SAS 3 without SF: no such instruction */
	{ 0x93c00005, "doubleword into a W register", -EINVAL, 0, 0, 0, 0, 0, ABORT_TRANSLATION, 1 },
};

static void test_data_abort_syndromes_decode_or_are_refused(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(esr_cases); i++) {
		const struct esr_case *c = &esr_cases[i];
		struct mmio_access a;
		int rc;

		print_message("  %#llx %s\n", (unsigned long long)c->esr, c->what);
		memset(&a, 0x5a, sizeof(a));
		rc = decode_dabt(c->esr, &a);
		assert_int_equal(rc, c->rc);
		/* Even when the access is not described, the fault kind and direction are. */
		assert_int_equal(a.fault, c->fault);
		assert_int_equal(a.fault_level, c->level);
		assert_int_equal(a.write, c->write);
		if (rc)
			continue;
		assert_int_equal(a.size, c->size);
		assert_int_equal(a.sign_extend, c->sign);
		assert_int_equal(a.sf, c->sf);
		assert_int_equal(a.rt, c->rt);
		assert_false(a.writeback);
	}
}

static void test_esr_helpers_extract_class_length_and_iss(void **state)
{
	static const struct {
		u64 esr;
		u32 ec;
	} cases[] = {
		{ 0x02000000, EC_UNKNOWN },   { 0x06000000, EC_WFX },	   { 0x1e000000, EC_FP },
		{ 0x5a000000, EC_HVC64 },     { 0x5e000000, EC_SMC64 },   { 0x623a3076, EC_SYSREG },
		{ 0x66000000, EC_SVE },	      { 0x83810005, EC_IABT_LOW }, { 0x93810005, EC_DABT_LOW },
		{ 0x97810006, EC_DABT_CUR }, { 0xf2000000, EC_BRK },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(esr_ec(cases[i].esr), cases[i].ec);
		assert_true(esr_il(cases[i].esr));
	}
	assert_int_equal(EC_WFX, 0x01);
	assert_int_equal(EC_HVC64, 0x16);
	assert_int_equal(EC_SMC64, 0x17);
	assert_int_equal(EC_SYSREG, 0x18);
	assert_int_equal(EC_IABT_LOW, 0x20);
	assert_int_equal(EC_DABT_LOW, 0x24);
	assert_int_equal(EC_DABT_CUR, 0x25);
	assert_int_equal(EC_FP, 0x07);
	assert_int_equal(EC_SVE, 0x19);
	assert_int_equal(EC_BRK, 0x3c);
	assert_false(esr_il(0x90000000)); /* a 16-bit T32 instruction */
	assert_int_equal(esr_iss(0xffffffffffffffffULL), 0x1ffffff);
	assert_int_equal(esr_ec(0x1f00000000ULL | 0x93810005), EC_DABT_LOW); /* ISS2 ignored */
}

/* ---- values moved by the emulated access ---- */

struct load_case {
	u32 size;
	bool sse, sf;
	u64 raw, want;
	const char *what;
};

static const struct load_case load_cases[] = {
	{ 1, 1, 0, 0x80, 0xffffff80, "ldrsb w: 0x80 fills only the W half" },
	{ 1, 1, 1, 0x80, 0xffffffffffffff80, "ldrsb x: 0x80" },
	{ 1, 1, 1, 0x7f, 0x7f, "ldrsb x: 0x7f stays positive" },
	{ 1, 1, 1, 0xffffffffffffff7f, 0x7f, "ldrsb x: bits above the byte are dropped" },
	{ 1, 0, 0, 0x80, 0x80, "ldrb: no extension" },
	{ 1, 0, 0, 0x12345678, 0x78, "ldrb: truncated" },
	{ 1, 1, 0, 0xff, 0xffffffff, "ldrsb w: -1" },
	{ 2, 1, 0, 0x8000, 0xffff8000, "ldrsh w: 0x8000" },
	{ 2, 1, 1, 0x8000, 0xffffffffffff8000, "ldrsh x: 0x8000" },
	{ 2, 1, 1, 0x7fff, 0x7fff, "ldrsh x: 0x7fff" },
	{ 2, 0, 0, 0x12348000, 0x8000, "ldrh: truncated, not extended" },
	{ 4, 1, 1, 0x80000000, 0xffffffff80000000, "ldrsw x: 0x80000000" },
	{ 4, 1, 1, 0x7fffffff, 0x7fffffff, "ldrsw x: 0x7fffffff" },
	{ 4, 0, 1, 0x80000000, 0x80000000, "32-bit load, X view, unsigned" },
	{ 4, 1, 0, 0x80000000, 0x80000000, "sign extension of a word into W is a no-op" },
	{ 4, 0, 0, 0xdeadbeef12345678, 0x12345678, "ldr w: upper half zeroed" },
	{ 8, 0, 1, 0x8000000000000000, 0x8000000000000000, "ldr x: untouched" },
	{ 8, 1, 1, 0xfedcba9876543210, 0xfedcba9876543210, "64-bit SSE is a no-op" },
};

static void test_loaded_values_are_truncated_then_sign_extended_then_sized(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(load_cases); i++) {
		const struct load_case *c = &load_cases[i];
		struct mmio_access a = { .size = c->size, .sign_extend = c->sse, .sf = c->sf };
		u64 got = mmio_load_value(&a, c->raw);

		if (got != c->want)
			fail_msg("%s: got %#llx, want %#llx", c->what, (unsigned long long)got,
				 (unsigned long long)c->want);
	}
}

static void test_stored_values_are_truncated_to_the_access_size(void **state)
{
	static const struct {
		u32 size;
		u64 reg, want;
	} cases[] = {
		{ 1, 0x1122334455667788, 0x88 },
		{ 2, 0x1122334455667788, 0x7788 },
		{ 4, 0x1122334455667788, 0x55667788 },
		{ 8, 0x1122334455667788, 0x1122334455667788 },
		{ 1, 0xffffffffffffffff, 0xff },
		{ 4, 0xffffffff80000000, 0x80000000 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mmio_access a = { .size = cases[i].size, .write = true, .sf = true };

		assert_int_equal(mmio_store_value(&a, cases[i].reg), cases[i].want);
		a.sign_extend = true; /* meaningless for stores, and ignored */
		assert_int_equal(mmio_store_value(&a, cases[i].reg), cases[i].want);
	}
}

/* Decoding a word and feeding a raw value through gives what the CPU would load. */
static void test_decoded_instruction_and_load_value_agree(void **state)
{
	static const struct {
		u32 insn;
		u64 raw, want;
	} cases[] = {
		{ 0x39800149, 0x80, 0xffffffffffffff80 }, /* ldrsb x9, [x10] */
		{ 0x39c3fc20, 0x80, 0xffffff80 }, /* ldrsb w0, [x1, #255] */
		{ 0x78dfd1cd, 0x8000, 0xffff8000 }, /* ldursh w13, [x14, #-3] */
		{ 0xb980058b, 0x80000000, 0xffffffff80000000 }, /* ldrsw x11, [x12, #4] */
		{ 0xb9400041, 0xffffffff80000000, 0x80000000 }, /* ldr w1, [x2] */
		{ 0x384014c5, 0x1ff, 0xff }, /* ldrb w5, [x6], #1 */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mmio_access a;

		assert_int_equal(decode_ldst_insn(cases[i].insn, &a), 0);
		assert_int_equal(mmio_load_value(&a, cases[i].raw), cases[i].want);
	}
}

/* ---- trapped system register accesses ---- */

/* The ISS of EC 0x18, packed from an MSR/MRS instruction's fields. */
static u64 esr_from_msr_mrs(u32 insn)
{
	u64 l = (insn >> 21) & 1, op0 = (insn >> 19) & 3, op1 = (insn >> 16) & 7;
	u64 crn = (insn >> 12) & 15, crm = (insn >> 8) & 15, op2 = (insn >> 5) & 7, rt = insn & 31;

	return EC(0x18) | IL | op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 |
	       l;
}

struct sysreg_case {
	u32 insn;
	const char *text;
	u32 enc;
	u32 op0, op1, crn, crm, op2, rt;
	bool read;
};

static const struct sysreg_case sysreg_cases[] = {
	{ 0xd518cba3, "msr icc_sgi1r_el1, x3", SYSREG_ICC_SGI1R_EL1, 3, 0, 12, 11, 5, 3, false },
	{ 0xd518cbc4, "msr icc_asgi1r_el1, x4", SYSREG_ICC_ASGI1R_EL1, 3, 0, 12, 11, 6, 4, false },
	{ 0xd518cbe5, "msr icc_sgi0r_el1, x5", SYSREG_ICC_SGI0R_EL1, 3, 0, 12, 11, 7, 5, false },
	{ 0xd53be226, "mrs x6, cntp_ctl_el0", SYSREG_CNTP_CTL_EL0, 3, 3, 14, 2, 1, 6, true },
	{ 0xd51be247, "msr cntp_cval_el0, x7", SYSREG_CNTP_CVAL_EL0, 3, 3, 14, 2, 2, 7, false },
	{ 0xd53be208, "mrs x8, cntp_tval_el0", SYSREG_CNTP_TVAL_EL0, 3, 3, 14, 2, 0, 8, true },
	{ 0xd53be029, "mrs x9, cntpct_el0", SYSREG_CNTPCT_EL0, 3, 3, 14, 0, 1, 9, true },
};

static void test_sysreg_traps_decode_to_the_named_registers(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(sysreg_cases); i++) {
		const struct sysreg_case *c = &sysreg_cases[i];
		struct sysreg_access s;

		print_message("  %s\n", c->text);
		assert_int_equal(sysreg_decode(esr_from_msr_mrs(c->insn), &s), 0);
		assert_int_equal(s.op0, c->op0);
		assert_int_equal(s.op1, c->op1);
		assert_int_equal(s.crn, c->crn);
		assert_int_equal(s.crm, c->crm);
		assert_int_equal(s.op2, c->op2);
		assert_int_equal(s.rt, c->rt);
		assert_int_equal(s.read, c->read);
		assert_int_equal(s.enc, c->enc);
		/* SYSREG_ENC is the instruction's own bits 20:5. */
		assert_int_equal(c->enc, (c->insn >> 5) & 0xffff);
	}
	/* All seven are distinct. */
	for (size_t i = 0; i < ARRAY_SIZE(sysreg_cases); i++)
		for (size_t j = i + 1; j < ARRAY_SIZE(sysreg_cases); j++)
			assert_int_not_equal(sysreg_cases[i].enc, sysreg_cases[j].enc);
}

static void test_sysreg_decode_reads_a_literal_syndrome_and_refuses_other_classes(void **state)
{
	struct sysreg_access s;

	/* msr icc_sgi1r_el1, x3: Op0 3, Op2 5, Op1 0, CRn 12, Rt 3, CRm 11, write */
	assert_int_equal(sysreg_decode(0x623a3076, &s), 0);
	assert_int_equal(s.enc, SYSREG_ICC_SGI1R_EL1);
	assert_int_equal(s.rt, 3);
	assert_false(s.read);
	/* mrs xzr, cntpct_el0: Rt 31 */
	assert_int_equal(sysreg_decode(esr_from_msr_mrs(0xd53be03f), &s), 0);
	assert_int_equal(s.rt, 31);
	assert_true(s.read);
	assert_int_equal(sysreg_decode(0x93810005, &s), -EINVAL);
	assert_int_equal(sysreg_decode(0x5a000000, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_store_words_decode_to_size_sign_register_and_writeback),
		cmocka_unit_test(test_every_sas_sse_sf_combination_decodes),
		cmocka_unit_test(test_data_abort_syndromes_decode_or_are_refused),
		cmocka_unit_test(test_esr_helpers_extract_class_length_and_iss),
		cmocka_unit_test(test_loaded_values_are_truncated_then_sign_extended_then_sized),
		cmocka_unit_test(test_stored_values_are_truncated_to_the_access_size),
		cmocka_unit_test(test_decoded_instruction_and_load_value_agree),
		cmocka_unit_test(test_sysreg_traps_decode_to_the_named_registers),
		cmocka_unit_test(test_sysreg_decode_reads_a_literal_syndrome_and_refuses_other_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
