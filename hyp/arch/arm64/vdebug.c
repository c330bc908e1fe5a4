/* SPDX-License-Identifier: MIT */
/* Debug and PMU registers as a guest sees them: the PMU hidden, the debug state one vCPU's own. */
#include <domus/arch.h>
#include <domus/decode.h>
#include <domus/domain.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include "arm64.h"
#include "sysreg.h"

/*
 * The PMU is not virtualised: ID_AA64DFR0_EL1 says there is none (idregs.c),
 * MDCR_EL2.TPM/TPMCR trap every PMU register, and an access is undefined, as
 * on a CPU without one. So no guest's counters run in another's time or count
 * Domus' own events.
 *
 * Debug registers cannot be hidden (every Armv8 CPU has breakpoints, and the
 * ID registers must say so), so each vCPU gets its own:
 *
 *   - The OS lock and its companions (OSLAR, OSLSR, OSDLR, DBGPRCR) are always
 *     trapped (TDOSA) and kept per vCPU in software; the hardware's stays
 *     unlocked for everybody.
 *   - MDSCR_EL1 is switched with the EL1 state; while trapped it is written
 *     straight through.
 *   - The breakpoint and watchpoint registers and the claim tags are trapped
 *     (TDA) until the vCPU first touches one; it then owns the hardware's set:
 *     its values (zero at first) are loaded, the trap goes, and from then on
 *     they are saved and restored when it is switched. A vCPU that never asked
 *     for them runs with every breakpoint and watchpoint disabled, whatever the
 *     vCPU before it set. Linux touches them only when a debugger does.
 *   - The debug communication channel and the ROM address read as zero and
 *     ignore writes while trapped (there is no external debugger to talk to).
 */

#define MDCR_HPMN_MASK 0x1fULL
#define MDCR_TPMCR BIT(5)
#define MDCR_TPM BIT(6)
#define MDCR_TDA BIT(9)
#define MDCR_TDOSA BIT(10)
#define MDCR_TDRA BIT(11)

#define OSLSR_OSLM_IMPLEMENTED BIT(3) /* OSLM = 0b10: the OS lock is implemented */
#define OSLSR_OSLK BIT(1)

/* MDCR_EL2 for a vCPU that does not own the breakpoints (TDA also traps the claim tags). */
static u64 mdcr_base;
static u32 nr_brps, nr_wrps;

/* Debug state the hardware holds for an owner (what another vCPU must not inherit). */
struct hw_debug {
	bool owner_loaded;
};
static struct hw_debug hw_state[PLATFORM_MAX_CPUS];

static void disable_all(void);

/* Each pCPU at boot: its debug hardware in a known state, owned by nobody, and the traps. */
void vdebug_cpu_init(void)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);

	nr_brps = ((dfr0 >> 12) & 0xf) + 1;
	nr_wrps = ((dfr0 >> 20) & 0xf) + 1;
	/* HPMN: every counter on the EL1 side (where all of them trap). */
	mdcr_base = ((read_sysreg(pmcr_el0) >> 11) & MDCR_HPMN_MASK) | MDCR_TPM | MDCR_TPMCR |
		    MDCR_TDOSA | MDCR_TDRA;
	/* The OS lock comes up locked; an owner's breakpoints need it open. */
	write_sysreg(osdlr_el1, 0);
	write_sysreg(oslar_el1, 0);
	disable_all();
	hw_state[arch_this_pcpu()->id].owner_loaded = false;
	write_sysreg(mdcr_el2, vdebug_mdcr(NULL));
	isb();
}

u64 vdebug_mdcr(const struct vcpu *v)
{
	return mdcr_base | (v && v->arch.dbg_owned ? 0 : MDCR_TDA);
}

/* Reads/writes breakpoint or watchpoint register n of one of the four kinds (op2 4..7). */
#define DBG_CASE(n)                                                                 \
	case n:                                                                      \
		if (write) {                                                         \
			switch (kind) {                                              \
			case 4: write_sysreg(dbgbvr##n##_el1, *val); break;          \
			case 5: write_sysreg(dbgbcr##n##_el1, *val); break;          \
			case 6: write_sysreg(dbgwvr##n##_el1, *val); break;          \
			default: write_sysreg(dbgwcr##n##_el1, *val); break;         \
			}                                                            \
		} else {                                                             \
			switch (kind) {                                              \
			case 4: *val = read_sysreg(dbgbvr##n##_el1); break;          \
			case 5: *val = read_sysreg(dbgbcr##n##_el1); break;          \
			case 6: *val = read_sysreg(dbgwvr##n##_el1); break;          \
			default: *val = read_sysreg(dbgwcr##n##_el1); break;         \
			}                                                            \
		}                                                                    \
		break;

static void hw_dbg_reg(u32 kind, u32 n, bool write, u64 *val)
{
	switch (n) {
	DBG_CASE(0) DBG_CASE(1) DBG_CASE(2) DBG_CASE(3) DBG_CASE(4) DBG_CASE(5) DBG_CASE(6)
	DBG_CASE(7) DBG_CASE(8) DBG_CASE(9) DBG_CASE(10) DBG_CASE(11) DBG_CASE(12)
	DBG_CASE(13) DBG_CASE(14) DBG_CASE(15)
	}
}

static u32 count_of(u32 kind)
{
	return kind <= 5 ? nr_brps : nr_wrps;
}

/*
 * Between the hardware and a vCPU's copy (kind 4..7: BVR, BCR, WVR, WCR). The
 * claim tags are not carried over: kept in software while trapped, the
 * hardware's (if the CPU model has them) once owned. They are only a note
 * between debuggers, and QEMU's Cortex-A57 has none to switch.
 */
static void transfer(struct arch_vcpu *a, bool to_hw)
{
	for (u32 kind = 4; kind <= 7; kind++) {
		u64 *copy = kind == 4 ? a->dbg_bvr : kind == 5 ? a->dbg_bcr :
			    kind == 6 ? a->dbg_wvr : a->dbg_wcr;

		for (u32 n = 0; n < count_of(kind); n++)
			hw_dbg_reg(kind, n, to_hw, &copy[n]);
	}
}

/* Every breakpoint and watchpoint off: what a vCPU that owns none runs with. */
static void disable_all(void)
{
	u64 zero = 0;

	for (u32 n = 0; n < nr_brps; n++)
		hw_dbg_reg(5, n, true, &zero);
	for (u32 n = 0; n < nr_wrps; n++)
		hw_dbg_reg(7, n, true, &zero);
}

void vdebug_switch(struct vcpu *prev, struct vcpu *next)
{
	struct hw_debug *hw = &hw_state[arch_this_pcpu()->id];

	if (prev && prev->arch.dbg_owned)
		transfer(&prev->arch, false);
	if (next && next->arch.dbg_owned) {
		transfer(&next->arch, true);
		hw->owner_loaded = true;
	} else if (hw->owner_loaded) {
		disable_all();
		hw->owner_loaded = false;
	}
	write_sysreg(mdcr_el2, vdebug_mdcr(next));
}

/* The vCPU takes the hardware's breakpoints for good: loaded now, switched from now on. */
static void take_ownership(struct vcpu *v)
{
	v->arch.dbg_owned = true;
	transfer(&v->arch, true);
	hw_state[arch_this_pcpu()->id].owner_loaded = true;
	write_sysreg(mdcr_el2, vdebug_mdcr(v));
	isb();
}

/* Debug registers (op0 = 2, op1 = 0 or 3): see above. */
static enum vdebug_result debug_access(struct vcpu *v, const struct sysreg_access *s, u64 *val)
{
	struct arch_vcpu *a = &v->arch;

	if (s->op1 == 0 && s->crn == 0 && s->op2 >= 4) {
		/* DBGBVR/BCR/WVR/WCR<crm>_EL1: beyond what the CPU has is undefined there too. */
		if (s->crm >= count_of(s->op2))
			return VDEBUG_UNDEF;
		take_ownership(v);
		return VDEBUG_RETRY;
	}
	switch (s->enc) {
	case SYSREG_ENC(2, 0, 0, 2, 2): /* MDSCR_EL1: switched with the EL1 state */
		if (s->read)
			*val = read_sysreg(mdscr_el1);
		else
			write_sysreg(mdscr_el1, *val);
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 1, 0, 4): /* OSLAR_EL1 */
		if (!s->read)
			a->dbg_oslk = *val & 1;
		return s->read ? VDEBUG_UNDEF : VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 1, 1, 4): /* OSLSR_EL1 */
		if (!s->read)
			return VDEBUG_UNDEF;
		*val = OSLSR_OSLM_IMPLEMENTED | (a->dbg_oslk ? OSLSR_OSLK : 0);
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 1, 3, 4): /* OSDLR_EL1: the double lock */
		if (s->read)
			*val = a->dbg_osdlk;
		else
			a->dbg_osdlk = *val & 1;
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 1, 4, 4): /* DBGPRCR_EL1 */
		if (s->read)
			*val = a->dbg_prcr;
		else
			a->dbg_prcr = *val & 1;
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 7, 8, 6): /* DBGCLAIMSET_EL1 */
		if (s->read)
			*val = 0xff; /* the claim tags implemented */
		else
			a->dbg_claim |= *val & 0xff;
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 7, 9, 6): /* DBGCLAIMCLR_EL1 */
		if (s->read)
			*val = a->dbg_claim;
		else
			a->dbg_claim &= ~(*val & 0xff);
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 7, 14, 6): /* DBGAUTHSTATUS_EL1 */
		if (!s->read)
			return VDEBUG_UNDEF;
		*val = read_sysreg(dbgauthstatus_el1);
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 1, 0, 0): /* MDRAR_EL1: no ROM table */
	case SYSREG_ENC(2, 0, 0, 2, 0): /* MDCCINT_EL1 */
	case SYSREG_ENC(2, 3, 0, 1, 0): /* MDCCSR_EL0 */
	case SYSREG_ENC(2, 3, 0, 4, 0): /* DBGDTR_EL0 */
	case SYSREG_ENC(2, 3, 0, 5, 0): /* DBGDTRRX_EL0 / DBGDTRTX_EL0 */
	case SYSREG_ENC(2, 0, 0, 0, 2): /* OSDTRRX_EL1 */
	case SYSREG_ENC(2, 0, 0, 3, 2): /* OSDTRTX_EL1 */
	case SYSREG_ENC(2, 0, 0, 6, 2): /* OSECCR_EL1 */
		if (s->read)
			*val = 0;
		return VDEBUG_DONE;
	}
	return VDEBUG_UNDEF;
}

enum vdebug_result vdebug_access(struct vcpu *v, const struct sysreg_access *s, u64 *val)
{
	if (s->op0 == 2)
		return debug_access(v, s, val);
	/* PMU registers: op0 = 3 with CRn = 9 (CRm 12..14) or CRn = 14 (CRm 8..15): no PMU. */
	if (s->op0 == 3 && ((s->crn == 9 && s->crm >= 12 && s->crm <= 14) ||
			    (s->crn == 14 && s->op1 == 3 && s->crm >= 8)))
		return VDEBUG_UNDEF;
	return VDEBUG_NOT_MINE;
}
