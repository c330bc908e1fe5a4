/* SPDX-License-Identifier: MIT */
/* Debug and PMU registers as a guest sees them: the PMU hidden, the debug state one vCPU's own. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <arm64/decode.h>
#include "arm64.h"
#include "sysreg.h"

/*
 * The PMU is not virtualised: ID_AA64DFR0_EL1 says there is none (idregs.c),
 * MDCR_EL2.TPM/TPMCR trap every PMU register, and an access is undefined, as
 * on a CPU without one. So no guest's counters run in another's time or count
 * Domus' own events.
 *
 * Debug registers cannot be hidden (every Armv8 CPU has breakpoints, and the
 * ID registers must say so), so each vCPU gets its own. All of them trap, for
 * good (MDCR_EL2.TDA, TDOSA, TDRA), and each vCPU's values live in its
 * arch_vcpu:
 *
 *   - Breakpoint and watchpoint registers: a write goes to the vCPU's copy and
 *     to the hardware (the vCPU is the one running here); the copy is loaded
 *     into the hardware whenever a vCPU that has ever written one is switched
 *     in. A vCPU that never did runs with every breakpoint and watchpoint off,
 *     whatever the vCPU before it set. While the vCPU's OS lock (or double
 *     lock) is set, its breakpoints and watchpoints are loaded disabled: the
 *     architecture suppresses them then.
 *   - The OS lock and its companions, the claim tags, the debug communication
 *     channel and its interrupt enable: in software only; nothing of one vCPU
 *     reaches the hardware that another could read.
 *   - MDSCR_EL1 is switched with the EL1 state (context.c); trapped accesses
 *     go straight to it.
 *
 * Debuggers are rare, so the trap per access costs nothing that matters; the
 * switch loads the copies only for vCPUs that have them. Counts are per pCPU:
 * a system may mix cores with different numbers of breakpoints.
 */

#define MDCR_HPMN_MASK 0x1fULL
#define MDCR_TPMCR BIT(5)
#define MDCR_TPM BIT(6)
#define MDCR_TDA BIT(9)
#define MDCR_TDOSA BIT(10)
#define MDCR_TDRA BIT(11)

#define OSLSR_OSLM_IMPLEMENTED BIT(3) /* OSLM = 0b10: the OS lock is implemented */
#define OSLSR_OSLK BIT(1)
#define DBGBCR_E BIT(0) /* a breakpoint's or watchpoint's enable */

/* What this pCPU's debug hardware has, and whether a vCPU's values are loaded into it. */
struct hw_debug {
	u32 brps, wrps;
	bool has_double_lock;
	bool loaded; /* some breakpoint or watchpoint may be enabled */
};
static struct hw_debug hw_state[PLATFORM_MAX_CPUS];

static struct hw_debug *hw(void)
{
	return &hw_state[arch_this_pcpu()->id];
}

/* Reads/writes breakpoint or watchpoint register n of one of the four kinds (op2 4..7). */
#define DBG_CASE(n)                                                                 \
	case n:                                                                      \
		switch (kind) {                                                      \
		case 4: write_sysreg(dbgbvr##n##_el1, val); break;                   \
		case 5: write_sysreg(dbgbcr##n##_el1, val); break;                   \
		case 6: write_sysreg(dbgwvr##n##_el1, val); break;                   \
		default: write_sysreg(dbgwcr##n##_el1, val); break;                  \
		}                                                                    \
		break;

static void hw_write(u32 kind, u32 n, u64 val)
{
	switch (n) {
	DBG_CASE(0) DBG_CASE(1) DBG_CASE(2) DBG_CASE(3) DBG_CASE(4) DBG_CASE(5) DBG_CASE(6)
	DBG_CASE(7) DBG_CASE(8) DBG_CASE(9) DBG_CASE(10) DBG_CASE(11) DBG_CASE(12)
	DBG_CASE(13) DBG_CASE(14) DBG_CASE(15)
	}
}

/* How many of a kind (op2: 4, 5 breakpoints; 6, 7 watchpoints) this pCPU has. */
static u32 count_of(u32 kind)
{
	return kind <= 5 ? hw()->brps : hw()->wrps;
}

static u64 *copy_of(struct arch_vcpu *a, u32 kind)
{
	return kind == 4 ? a->dbg_bvr : kind == 5 ? a->dbg_bcr : kind == 6 ? a->dbg_wvr : a->dbg_wcr;
}

/* What the hardware gets for a vCPU's register: control registers disabled under the OS lock. */
static u64 effective(const struct arch_vcpu *a, u32 kind, u64 val)
{
	if ((kind == 5 || kind == 7) && (a->dbg_oslk || a->dbg_osdlk))
		return val & ~DBGBCR_E;
	return val;
}

/* The vCPU's breakpoints and watchpoints into this pCPU's hardware, or all off for NULL. */
static void load(struct arch_vcpu *a)
{
	for (u32 kind = 4; kind <= 7; kind++)
		for (u32 n = 0; n < count_of(kind); n++)
			hw_write(kind, n, a ? effective(a, kind, copy_of(a, kind)[n]) : 0);
	hw()->loaded = a != NULL;
}

/* MDCR_EL2 for every guest: the PMU and every debug register trapped. */
static u64 mdcr_guest;

/* Each pCPU at boot: what it has, its debug hardware off and owned by nobody, and the traps. */
void vdebug_cpu_init(void)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);

	hw()->brps = ((dfr0 >> 12) & 0xf) + 1;
	hw()->wrps = ((dfr0 >> 20) & 0xf) + 1;
	hw()->has_double_lock = ((dfr0 >> 36) & 0xf) != 0xf;
	/* HPMN: every counter on the EL1 side (where all of them trap). */
	mdcr_guest = ((read_sysreg(pmcr_el0) >> 11) & MDCR_HPMN_MASK) | MDCR_TPM | MDCR_TPMCR |
		     MDCR_TDA | MDCR_TDOSA | MDCR_TDRA;
	/* The OS lock comes up locked; a vCPU's breakpoints need the hardware's open. */
	write_sysreg(osdlr_el1, 0);
	write_sysreg(oslar_el1, 0);
	load(NULL);
	write_sysreg(mdcr_el2, mdcr_guest);
	isb();
}

void vdebug_switch(struct vcpu *prev, struct vcpu *next)
{
	(void)prev;
	if (next && next->arch.dbg_used)
		load(&next->arch);
	else if (hw()->loaded)
		load(NULL);
}

/* Debug registers (op0 = 2). */
static enum vdebug_result debug_access(struct vcpu *v, const struct sysreg_access *s, u64 *val)
{
	struct arch_vcpu *a = &v->arch;

	if (s->op1 == 0 && s->crn == 0 && s->op2 >= 4) {
		/* DBGBVR/BCR/WVR/WCR<crm>_EL1: beyond what the CPU has is undefined there too. */
		u64 *copy = copy_of(a, s->op2);

		if (s->crm >= count_of(s->op2))
			return VDEBUG_UNDEF;
		if (s->read) {
			*val = copy[s->crm];
			return VDEBUG_DONE;
		}
		copy[s->crm] = *val;
		if (!a->dbg_used) {
			a->dbg_used = true;
			load(a); /* everything else of its set is its own too: zero */
		} else {
			hw_write(s->op2, s->crm, effective(a, s->op2, *val));
			hw()->loaded = true;
		}
		return VDEBUG_DONE;
	}
	switch (s->enc) {
	case SYSREG_ENC(2, 0, 0, 2, 2): /* MDSCR_EL1: switched with the EL1 state */
		if (s->read)
			*val = read_sysreg(mdscr_el1);
		else
			write_sysreg(mdscr_el1, *val);
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 1, 0, 4): /* OSLAR_EL1, write-only */
		if (s->read)
			return VDEBUG_UNDEF;
		a->dbg_oslk = *val & 1;
		if (a->dbg_used)
			load(a); /* the lock holds its breakpoints off, or lets them go */
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 1, 1, 4): /* OSLSR_EL1, read-only */
		if (!s->read)
			return VDEBUG_UNDEF;
		*val = OSLSR_OSLM_IMPLEMENTED | (a->dbg_oslk ? OSLSR_OSLK : 0);
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 1, 3, 4): /* OSDLR_EL1: the double lock, if the CPU has one */
		if (s->read) {
			*val = a->dbg_osdlk;
		} else if (hw()->has_double_lock) {
			a->dbg_osdlk = *val & 1;
			if (a->dbg_used)
				load(a);
		}
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
	case SYSREG_ENC(2, 0, 7, 14, 6): /* DBGAUTHSTATUS_EL1, read-only */
		if (!s->read)
			return VDEBUG_UNDEF;
		*val = read_sysreg(dbgauthstatus_el1);
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 1, 0, 0): /* MDRAR_EL1: no ROM table */
	case SYSREG_ENC(2, 3, 0, 1, 0): /* MDCCSR_EL0: nothing in the channel */
		if (!s->read)
			return VDEBUG_UNDEF;
		*val = 0;
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 0, 2, 0): /* MDCCINT_EL1 */
		if (s->read)
			*val = a->dbg_mdccint;
		else
			a->dbg_mdccint = (u32)*val;
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 0, 6, 2): /* OSECCR_EL1 */
		if (s->read)
			*val = a->dbg_oseccr;
		else
			a->dbg_oseccr = (u32)*val;
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 0, 0, 0, 2): /* OSDTRRX_EL1 */
	case SYSREG_ENC(2, 0, 0, 3, 2): /* OSDTRTX_EL1 */
		if (s->read)
			*val = a->dbg_osdtr[s->crm ? 1 : 0];
		else
			a->dbg_osdtr[s->crm ? 1 : 0] = (u32)*val;
		return VDEBUG_DONE;
	case SYSREG_ENC(2, 3, 0, 4, 0): /* DBGDTR_EL0 */
	case SYSREG_ENC(2, 3, 0, 5, 0): /* DBGDTRRX_EL0 / DBGDTRTX_EL0 */
		/* No external debugger reads or fills the channel: writes vanish, reads are 0. */
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
