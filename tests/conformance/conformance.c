/* SPDX-License-Identifier: MIT */
/*
 * The conformance kernel: checks that the virtual hardware a guest sees
 * behaves as the real thing. The same image runs natively at EL1 on QEMU
 * (no virtualization), as a boot-time guest and as a `domus create` guest,
 * and prints one line per check, then a summary:
 *   conf: ok timer.virt.istatus_when_due: ctl=0x7
 *   conf: FAIL gic.pmr_masks: delivered with PMR 0x80
 *   conformance: 34 checks, 1 failed
 *   CONFORMANCE-DONE
 * tests/system/test_conformance.py compares the runs: whatever passes
 * natively passes as a guest, or docs/CONFORMANCE.md says why not. Checks
 * whose value must also be the same everywhere print it after "value=".
 */
#include "kernel.h"

#define VTIMER_PPI 27
#define PTIMER_PPI 30
#define SGI_SELF 3
#define SGI_LIST 4
#define SGI_OTHERS 5
#define SGI_ACTIVE 6
#define SGI_EOIMODE 7
#define SGI_PMR 8
#define PRIO_BYTE_SGI 9
#define NOWHERE 0x09100000UL /* nothing there natively (QEMU virt) nor in a guest (Xen's layout) */

#define CTL_ENABLE 1
#define CTL_IMASK 2
#define CTL_ISTATUS 4

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define EC_IABT_CUR 0x21
#define EC_DABT_CUR 0x25
#define EC_UNKNOWN 0x00
#define EC_BREAKPOINT_CUR 0x31
#define EC_WATCHPOINT_CUR 0x35
#define EC_SVC64 0x15
#define EC_SOFTSTEP_CUR 0x33
#define SPSR_SS (1UL << 21)
#define MDSCR_SS 1UL

#define MDSCR_KDE (1UL << 13) /* debug exceptions at EL1 too */
#define MDSCR_MDE (1UL << 15) /* breakpoints and watchpoints on */

struct frame {
	u64 x[31];
	u64 elr, spsr;
};

void secondary_entry(void);
extern char vectors[];
/* What guest/kernel/head.S calls. */
void kernel_main(u64 fdt);
void kernel_cpu_init(u64 idx);
void kernel_secondary_main(u64 idx);
void kernel_trap(u64 kind, struct frame *f);

static u64 freq;
static u32 checks, failures;
static volatile u32 irqs[4][64]; /* per CPU, per INTID below 64 */
static volatile u32 cpu1_online, cpu1_go_off;
static volatile u64 eoimode_active_after_eoi = 99, eoimode_active_after_dir = 99;
static volatile u32 icactiver_done;

/*
 * Probing: an instruction that may trap resumes after it (or at the return
 * address in x30); a debug probe instead disarms breakpoint and watchpoint 0
 * and runs the instruction again.
 */
static volatile u64 probing, trapped, trap_esr, trap_far, trap_elr, resume_at_lr, probe_debug;
/* Single-step: an SVC arms it for the instruction after it (1), which then steps (2). */
static volatile u64 probe_step, step_from;

static u32 cpu_index(void)
{
	return (u32)sysreg_read(tpidr_el1);
}

static int result(const char *name, int ok, const char *fmt, u64 a, u64 b)
{
	checks++;
	failures += !ok;
	say(ok ? "conf: ok %s: " : "conf: FAIL %s: ", name);
	say(fmt, a, b);
	say("\n");
	return ok;
}

/*
 * Waits up to ms milliseconds for cond; whether it came. The bounds are
 * generous: as a guest, a vCPU may wait behind others on its pCPU, and a
 * wait ends as soon as its condition holds.
 */
#define WAIT_MS(ms, cond) ({                                        \
	u64 _end = now() + freq / 1000 * (ms);                      \
	while (!(cond) && now() < _end)                             \
		asm volatile("" ::: "memory");                      \
	(cond);                                                     \
})

static void delay_ms(u64 ms)
{
	u64 end = now() + freq / 1000 * ms;

	while (now() < end)
		;
}

/* ---- exceptions ---- */

static void sync_handler(struct frame *f)
{
	u64 esr = sysreg_read(esr_el1);

	if (!probing) {
		say("conf: FAIL unexpected exception: ESR %x ", esr, 0);
		say("ELR %x FAR %x\n", f->elr, sysreg_read(far_el1));
		say("conformance: %u checks, %u failed\nCONFORMANCE-DONE\n", checks, failures + 1);
		power_off();
	}
	if (probe_step == 1 && ESR_EC(esr) == EC_SVC64) {
		step_from = f->elr;
		f->spsr |= SPSR_SS;
		sysreg_write(mdscr_el1, sysreg_read(mdscr_el1) | MDSCR_SS);
		probe_step = 2;
		return;
	}
	if (probe_step == 2) {
		sysreg_write(mdscr_el1, sysreg_read(mdscr_el1) & ~MDSCR_SS);
		f->spsr &= ~SPSR_SS;
		probe_step = 0;
	}
	trapped = 1;
	trap_esr = esr;
	trap_far = sysreg_read(far_el1);
	trap_elr = f->elr;
	if (probe_debug) {
		sysreg_write(dbgbcr0_el1, 0);
		sysreg_write(dbgwcr0_el1, 0);
		asm volatile("isb");
		return;
	}
	f->elr = resume_at_lr ? f->x[30] : f->elr + 4;
}

static void bad_exception(u64 kind)
{
	say("conf: FAIL exception at vector %u ESR %x\n", kind, sysreg_read(esr_el1));
	say("conformance: %u checks, %u failed\nCONFORMANCE-DONE\n", checks, failures + 1);
	power_off();
}

static void probe_begin(int at_lr)
{
	trapped = 0;
	resume_at_lr = at_lr;
	probing = 1;
	asm volatile("isb" ::: "memory");
}

static void probe_end(void)
{
	asm volatile("isb" ::: "memory");
	probing = 0;
	resume_at_lr = 0;
}

/* ---- interrupts ---- */

static void timer_mask(u32 intid)
{
	if (intid == VTIMER_PPI)
		sysreg_write(cntv_ctl_el0, CTL_ENABLE | CTL_IMASK);
	else
		sysreg_write(cntp_ctl_el0, CTL_ENABLE | CTL_IMASK);
	asm volatile("isb");
}

static void irq_handler(void)
{
	u64 iar = sysreg_read(ICC_IAR1_EL1);
	u32 intid = iar & 0xffffff, cpu = cpu_index();

	if (intid >= 1020)
		return;
	if (intid < 64)
		irqs[cpu & 3][intid]++;
	/* Level: the timer stays asserted until masked, so mask it before the EOI. */
	if (intid == VTIMER_PPI || intid == PTIMER_PPI)
		timer_mask(intid);
	if (intid == SGI_ACTIVE) {
		/* Deactivated from inside the handler: the EOI that follows must not redeliver it. */
		wr32(my_rdist() + GICR_ICACTIVER0, 1u << SGI_ACTIVE);
		icactiver_done = 1;
	}
	sysreg_write(ICC_EOIR1_EL1, iar);
	asm volatile("isb");
	if (intid == SGI_EOIMODE) {
		/* EOImode 1: the EOI dropped the priority only; DIR deactivates. */
		eoimode_active_after_eoi = rd32(my_rdist() + GICR_ISACTIVER0) >> SGI_EOIMODE & 1;
		sysreg_write(ICC_DIR_EL1, iar);
		asm volatile("isb");
		eoimode_active_after_dir = rd32(my_rdist() + GICR_ISACTIVER0) >> SGI_EOIMODE & 1;
	}
}

static void ppi_enable(u32 intid, int on)
{
	wr32(my_rdist() + (on ? GICR_ISENABLER0 : GICR_ICENABLER0), 1u << intid);
}

static u32 ppi_pending(u32 intid)
{
	return rd32(my_rdist() + GICR_ISPENDR0) >> intid & 1;
}

static void send_sgi_all_others(u32 intid)
{
	sysreg_write(ICC_SGI1R_EL1, 1UL << 40 | (u64)intid << 24); /* IRM: every PE but us */
	asm volatile("isb");
}

/* Synchronous exceptions and IRQs from EL1 itself (vectors 4 and 5); anything else is ours to fix. */
void kernel_trap(u64 kind, struct frame *f)
{
	if (kind == 4)
		sync_handler(f);
	else if (kind == 5)
		irq_handler();
	else
		bad_exception(kind);
}

void kernel_cpu_init(u64 idx)
{
	sysreg_write(tpidr_el1, idx);
	sysreg_write(vbar_el1, (u64)vectors);
	asm volatile("isb");
}

/*
 * Sleeps until an interrupt comes, and takes it: the caller runs with IRQs
 * masked and checks its condition between calls. Checking with IRQs unmasked
 * and then WFI loses a wake-up: an interrupt taken between the check and the
 * WFI leaves the WFI with nothing to end it. WFI wakes for a pending interrupt
 * even while it is masked; the unmask after it takes the interrupt.
 */
static void wait_for_irq(void)
{
	asm volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
}

/* ---- CPU 1 ---- */

void kernel_secondary_main(u64 idx __attribute__((unused)))
{
	if (gic_init_cpu() == 0) {
		ppi_enable(SGI_LIST, 1);
		ppi_enable(SGI_OTHERS, 1);
		cpu1_online = 1;
	}
	while (!cpu1_go_off)
		wait_for_irq();
	cpu1_online = 0;
	psci(PSCI_CPU_OFF, 0, 0, 0);
	for (;;) /* CPU_OFF returned: a failure, seen by the caller's AFFINITY_INFO */
		asm volatile("wfi");
}

/* ---- the checks ---- */

/* "timer." kind what, into name. */
static const char *tname(char *name, const char *kind, const char *what)
{
	u32 n = 0;

	for (const char *p = "timer."; *p; p++)
		name[n++] = *p;
	while (*kind)
		name[n++] = *kind++;
	while (*what)
		name[n++] = *what++;
	name[n] = 0;
	return name;
}

static void check_timer(const char *kind, u32 intid)
{
	int virt = intid == VTIMER_PPI;
	char name[64];
	u64 t1, t2, ctl, cval, cnt;

#define TW(reg, v) do { if (virt) sysreg_write(cntv_##reg##_el0, v); else sysreg_write(cntp_##reg##_el0, v); asm volatile("isb"); } while (0)
#define TR(reg) (virt ? sysreg_read(cntv_##reg##_el0) : sysreg_read(cntp_##reg##_el0))
#define CNT() (virt ? now() : ({ u64 _c; asm volatile("isb\n\tmrs %0, cntpct_el0" : "=r"(_c)); _c; }))

	if (!virt) { /* a guest may find the EL1 physical timer taken away */
		probe_begin(0);
		ctl = sysreg_read(cntp_ctl_el0);
		probe_end();
		if (!result(tname(name, kind, ".accessible"), !trapped, "trapped %u, ESR %x",
			     trapped, trap_esr))
			return;
	}
	ppi_enable(intid, 0);
	TW(ctl, CTL_IMASK);
	TW(tval, freq);
	t1 = TR(tval);
	delay_ms(2);
	t2 = TR(tval);
	result(tname(name, kind, ".tval_counts_down"), (u32)t2 < (u32)t1 && (u32)t1 <= freq, "tval %x then %x",
	       (u32)t1, (u32)t2);
	cnt = CNT();
	cval = TR(cval);
	t1 = (u32)TR(tval);
	result(tname(name, kind, ".cval_is_count_plus_tval"), cval > cnt && cval - cnt <= freq &&
	       cval - cnt >= t1 - freq / 100, "cval - count %x, tval %x", cval - cnt, t1);
	TW(cval, CNT() - 1);
	TW(ctl, CTL_ENABLE | CTL_IMASK);
	ctl = TR(ctl);
	result(tname(name, kind, ".istatus_when_due"), ctl == (CTL_ENABLE | CTL_IMASK | CTL_ISTATUS),
	       "ctl %x", ctl, 0);
	TW(cval, CNT() + freq);
	ctl = TR(ctl);
	result(tname(name, kind, ".istatus_clear_before_due"), ctl == (CTL_ENABLE | CTL_IMASK), "ctl %x", ctl,
	       0);
	/* Disabled at the GIC, the timer's line still shows as pending there, and follows it. */
	TW(cval, CNT() - 1);
	TW(ctl, CTL_ENABLE);
	result(tname(name, kind, ".pending_at_gic_while_disabled_there"), WAIT_MS(2000, ppi_pending(intid)),
	       "ISPENDR0 bit %u: %u", intid, ppi_pending(intid));
	TW(cval, CNT() + 10 * freq);
	result(tname(name, kind, ".pending_clears_when_condition_does"), WAIT_MS(2000, !ppi_pending(intid)),
	       "ISPENDR0 bit %u: %u", intid, ppi_pending(intid));
	/* An interrupt wakes WFI. */
	TW(ctl, CTL_IMASK);
	wr32(my_rdist() + GICR_ICPENDR0, 1u << intid);
	ppi_enable(intid, 1);
	{
		u32 seen = irqs[0][intid];
		u64 end = now() + freq;

		if (!virt) { /* a backstop: the virtual timer ends the WFI if this one never does */
			wr32(my_rdist() + GICR_ICPENDR0, 1u << VTIMER_PPI);
			ppi_enable(VTIMER_PPI, 1);
			sysreg_write(cntv_tval_el0, freq);
			sysreg_write(cntv_ctl_el0, CTL_ENABLE);
		}
		TW(tval, freq / 1000);
		TW(ctl, CTL_ENABLE);
		while (irqs[0][intid] == seen && now() < end)
			wait_for_irq();
		if (!virt) {
			sysreg_write(cntv_ctl_el0, 0);
			ppi_enable(VTIMER_PPI, 0);
		}
		result(tname(name, kind, ".interrupt_wakes_wfi"), irqs[0][intid] == seen + 1,
		       "%u interrupts", irqs[0][intid] - seen, 0);
	}
	TW(ctl, 0);
	ppi_enable(intid, 0);
}

static void check_gic_self(void)
{
	u64 r = my_rdist();
	u32 seen;

	ppi_enable(SGI_SELF, 1);
	ppi_enable(SGI_PMR, 1);
	ppi_enable(SGI_ACTIVE, 1);
	ppi_enable(SGI_EOIMODE, 1);
	asm volatile("msr daifclr, #2");
	seen = irqs[0][SGI_SELF];
	send_sgi(SGI_SELF, sysreg_read(mpidr_el1));
	result("gic.sgi_to_self", WAIT_MS(2000, irqs[0][SGI_SELF] == seen + 1), "%u taken",
	       irqs[0][SGI_SELF] - seen, 0);

	/* Priority 0xa0 is masked by a PMR of 0x80, and taken once the PMR opens. */
	sysreg_write(ICC_PMR_EL1, 0x80);
	asm volatile("isb");
	seen = irqs[0][SGI_PMR];
	send_sgi(SGI_PMR, sysreg_read(mpidr_el1));
	delay_ms(20);
	result("gic.pmr_masks_lower_priority", irqs[0][SGI_PMR] == seen && (rd32(r + GICR_ISPENDR0) >> SGI_PMR & 1),
	       "%u taken with PMR 0x80, pending %u", irqs[0][SGI_PMR] - seen,
	       rd32(r + GICR_ISPENDR0) >> SGI_PMR & 1);
	sysreg_write(ICC_PMR_EL1, 0xff);
	asm volatile("isb");
	result("gic.pmr_opened_delivers", WAIT_MS(2000, irqs[0][SGI_PMR] == seen + 1),
	       "%u taken", irqs[0][SGI_PMR] - seen, 0);
	result("gic.pmr_reads_back_its_implemented_bits", (sysreg_read(ICC_PMR_EL1) & 0xf0) == 0xf0, "value=%x",
	       sysreg_read(ICC_PMR_EL1), 0);

	seen = irqs[0][SGI_ACTIVE];
	send_sgi(SGI_ACTIVE, sysreg_read(mpidr_el1));
	WAIT_MS(2000, icactiver_done);
	delay_ms(20);
	result("gic.icactiver_in_handler_does_not_redeliver", irqs[0][SGI_ACTIVE] == seen + 1,
	       "%u taken", irqs[0][SGI_ACTIVE] - seen, 0);

	sysreg_write(ICC_CTLR_EL1, sysreg_read(ICC_CTLR_EL1) | 2); /* EOImode 1 */
	asm volatile("isb");
	send_sgi(SGI_EOIMODE, sysreg_read(mpidr_el1));
	WAIT_MS(2000, eoimode_active_after_dir != 99);
	sysreg_write(ICC_CTLR_EL1, sysreg_read(ICC_CTLR_EL1) & ~2UL);
	asm volatile("isb");
	result("gic.eoimode1_eoi_leaves_active_dir_deactivates",
	       eoimode_active_after_eoi == 1 && eoimode_active_after_dir == 0,
	       "active after EOI %u, after DIR %u", eoimode_active_after_eoi,
	       eoimode_active_after_dir);
	asm volatile("msr daifset, #2");

	sysreg_write(ICC_BPR1_EL1, 3);
	asm volatile("isb");
	result("gic.bpr1_reads_back", sysreg_read(ICC_BPR1_EL1) >= 3, "value=%x",
	       sysreg_read(ICC_BPR1_EL1) >= 3, 0);
}

static void check_gic_registers(void)
{
	u64 r = my_rdist(), typer = rd32(dt.gicd + GICD_TYPER), v;
	int ok;

	wr32(dt.gicd + GICD_TYPER, 0);
	result("gic.gicd_typer_ignores_writes", rd32(dt.gicd + GICD_TYPER) == typer, "%x then %x",
	       typer, rd32(dt.gicd + GICD_TYPER));
	probe_begin(0);
	v = rd32(dt.gicd + 0x44); /* reserved */
	wr32(dt.gicd + 0x44, 0xffffffff);
	v |= rd32(dt.gicd + 0x44);
	probe_end();
	result("gic.gicd_reserved_reads_zero_ignores_writes", !trapped && v == 0,
	       "trapped %u, read %x", trapped, v);
	wr8(r + GICR_IPRIORITYR0 + PRIO_BYTE_SGI, 0x80);
	v = rd8(r + GICR_IPRIORITYR0 + PRIO_BYTE_SGI);
	ok = v == 0x80 && (rd32(r + GICR_IPRIORITYR0 + 8) >> 8 & 0xff) == 0x80;
	result("gic.ipriorityr_byte_access", ok, "byte %x, word %x", v,
	       rd32(r + GICR_IPRIORITYR0 + 8));
	wr32(dt.gicd + GICD_CTLR, rd32(dt.gicd + GICD_CTLR));
	result("gic.gicd_ctlr_rwp_clears", WAIT_MS(2000, !(rd32(dt.gicd + GICD_CTLR) >> 31)),
	       "ctlr %x", rd32(dt.gicd + GICD_CTLR), 0);
	result("gic.gicr_waker_awake", (rd32(r + GICR_WAKER) & 6) == 0, "waker %x",
	       rd32(r + GICR_WAKER), 0);
}

static void check_psci_and_smp(void)
{
	u64 v = psci(PSCI_VERSION, 0, 0, 0), other = 0;
	u32 seen;
	s64 rc;

	result("psci.version_1_x", (v >> 16) == 1, "value=%x", v, 0);
	rc = (s64)psci(PSCI_FEATURES, PSCI_CPU_ON, 0, 0);
	result("psci.features_cpu_on", rc == 0, "%x", rc, 0);
	rc = (s64)psci(PSCI_FEATURES, 0x8400ff00, 0, 0);
	result("psci.features_of_nothing_not_supported", rc == -1, "%x", rc, 0);
	rc = (s64)psci(0x8400ff00, 0, 0, 0);
	result("psci.unknown_function_not_supported", rc == -1, "%x", rc, 0);
	for (u32 i = 0; i < dt.ncpus; i++)
		if ((dt.mpidr[i] & 0xff00ffffffUL) != (sysreg_read(mpidr_el1) & 0xff00ffffffUL)) {
			other = dt.mpidr[i];
			break;
		}
	if (!other) {
		result("psci.cpu_on", 0, "only one CPU in the device tree", 0, 0);
		return;
	}
	rc = (s64)psci(PSCI_CPU_ON, other, (u64)secondary_entry, 1);
	result("psci.cpu_on", rc == 0 && WAIT_MS(5000, cpu1_online), "rc %x, online %u", rc,
	       cpu1_online);
	rc = (s64)psci(PSCI_CPU_ON, other, (u64)secondary_entry, 1);
	result("psci.cpu_on_when_on_is_already_on", rc == -4, "%x", rc, 0);
	rc = (s64)psci(PSCI_AFFINITY_INFO, other, 0, 0);
	result("psci.affinity_info_on", rc == 0, "%x", rc, 0);

	seen = irqs[1][SGI_LIST];
	send_sgi(SGI_LIST, other);
	result("gic.sgi_to_target_list", WAIT_MS(2000, irqs[1][SGI_LIST] == seen + 1),
	       "%u taken by CPU 1", irqs[1][SGI_LIST] - seen, 0);
	seen = irqs[1][SGI_OTHERS];
	send_sgi_all_others(SGI_OTHERS);
	result("gic.sgi_to_all_others", WAIT_MS(2000, irqs[1][SGI_OTHERS] == seen + 1) &&
	       irqs[0][SGI_OTHERS] == 0, "%u taken by CPU 1, %u by us",
	       irqs[1][SGI_OTHERS] - seen, irqs[0][SGI_OTHERS]);

	cpu1_go_off = 1;
	send_sgi(SGI_LIST, other); /* out of its WFI */
	result("psci.cpu_off_then_affinity_info_off",
	       WAIT_MS(5000, (s64)psci(PSCI_AFFINITY_INFO, other, 0, 0) == 1), "%x",
	       psci(PSCI_AFFINITY_INFO, other, 0, 0), 0);
}

static void check_aborts(void)
{
	u64 v = 0;

	probe_begin(0);
	v = rd32(NOWHERE);
	probe_end();
	result("abort.data_on_nothing_is_a_data_abort", trapped && ESR_EC(trap_esr) == EC_DABT_CUR,
	       "trapped %u, ESR %x", trapped, trap_esr);
	result("abort.data_on_nothing_syndrome", trapped, "value=dfsc %x far_ok %u",
	       trap_esr & 0x3f, trap_far == NOWHERE);
	probe_begin(1);
	asm volatile("blr %0" : : "r"(NOWHERE) : "x30", "memory");
	probe_end();
	result("abort.instruction_on_nothing_is_an_instruction_abort",
	       trapped && ESR_EC(trap_esr) == EC_IABT_CUR, "trapped %u, ESR %x", trapped, trap_esr);
	result("abort.instruction_on_nothing_syndrome", trapped, "value=ifsc %x", trap_esr & 0x3f,
	       0);
	(void)v;
}

static void check_fpsimd(void)
{
	u64 bad = 0;

	sysreg_write(cpacr_el1, sysreg_read(cpacr_el1) | 3UL << 20); /* FPEN: no traps */
	asm volatile("isb");
	/* v0..v31 get i * 0x0101..., then time passes (WFI, other vCPUs run), then they are read. */
	asm volatile(
		"mov x9, #0x0101010101010101\n"
		".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		"mov x10, #\\n\n mul x10, x10, x9\n fmov d\\n, x10\n mov v\\n\\().d[1], x10\n"
		".endr\n" ::: "x9", "x10", "memory");
	sysreg_write(cntv_ctl_el0, CTL_IMASK);
	ppi_enable(VTIMER_PPI, 1);
	for (int i = 0; i < 20; i++) {
		u32 seen = irqs[0][VTIMER_PPI];

		sysreg_write(cntv_tval_el0, freq / 1000);
		sysreg_write(cntv_ctl_el0, CTL_ENABLE);
		asm volatile("isb");
		while (irqs[0][VTIMER_PPI] == seen)
			wait_for_irq();
	}
	sysreg_write(cntv_ctl_el0, 0);
	ppi_enable(VTIMER_PPI, 0);
	asm volatile(
		"mov x9, #0x0101010101010101\n mov %0, #0\n"
		".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		"mov x10, #\\n\n mul x10, x10, x9\n fmov x11, d\\n\n mov x12, v\\n\\().d[1]\n"
		"cmp x11, x10\n cinc %0, %0, ne\n cmp x12, x10\n cinc %0, %0, ne\n"
		".endr\n" : "=&r"(bad) : : "x9", "x10", "x11", "x12", "memory");
	result("fpsimd.registers_kept_across_20_wfi", bad == 0, "%u halves differ", bad, 0);
}

static void __attribute__((noinline)) breakpoint_here(void)
{
	asm volatile("nop" ::: "memory");
}

static void check_debug(void)
{
	static volatile u64 watched;
	u64 dfr0 = sysreg_read(id_aa64dfr0_el1);

	/* The ID register's counts are what the debug checks below may use. */
	result("id.debug_breakpoints_watchpoints", 1, "value=%x",
	       (dfr0 >> 12 & 0xf) << 8 | (dfr0 >> 20 & 0xf), 0);
	sysreg_write(oslar_el1, 0); /* the OS lock, set at reset, off */
	sysreg_write(mdscr_el1, sysreg_read(mdscr_el1) | MDSCR_KDE | MDSCR_MDE);
	asm volatile("isb\n\tmsr daifclr, #8"); /* debug exceptions unmasked */
	probe_debug = 1;

	sysreg_write(dbgbvr0_el1, (u64)breakpoint_here);
	sysreg_write(dbgbcr0_el1, 0xfUL << 5 | 3UL << 1 | 1); /* all bytes, EL1 and EL0, on */
	probe_begin(0);
	breakpoint_here();
	probe_end();
	result("debug.hardware_breakpoint_taken_in_the_guest",
	       trapped && ESR_EC(trap_esr) == EC_BREAKPOINT_CUR && trap_elr == (u64)breakpoint_here,
	       "trapped %u, ESR %x", trapped, trap_esr);

	sysreg_write(dbgwvr0_el1, (u64)&watched);
	sysreg_write(dbgwcr0_el1, 0xffUL << 5 | 2UL << 3 | 3UL << 1 | 1); /* 8 bytes, stores */
	probe_begin(0);
	watched = 1;
	probe_end();
	result("debug.watchpoint_taken_in_the_guest",
	       trapped && ESR_EC(trap_esr) == EC_WATCHPOINT_CUR && trap_far == (u64)&watched,
	       "trapped %u, ESR %x", trapped, trap_esr);

	/* One instruction after an exception return with PSTATE.SS set, then the step exception. */
	probe_step = 1;
	probe_begin(0);
	asm volatile("svc #0\n\tnop\n\tnop" ::: "memory");
	probe_end();
	result("debug.single_step_taken_in_the_guest",
	       trapped && ESR_EC(trap_esr) == EC_SOFTSTEP_CUR && trap_elr == step_from + 4,
	       "trapped %u, ESR %x", trapped, trap_esr);
	probe_step = 0;

	probe_debug = 0;
	asm volatile("msr daifset, #8");
	sysreg_write(mdscr_el1, sysreg_read(mdscr_el1) & ~(MDSCR_KDE | MDSCR_MDE));
	asm volatile("isb");
}

static void check_ids_and_caches(void)
{
	static u8 line[256] __attribute__((aligned(64)));
	u64 dfr0 = sysreg_read(id_aa64dfr0_el1), pmuver = dfr0 >> 8 & 0xf;
	u64 pmccntr = 0, pmccntr2 = 0;

	result("id.ctr_el0", 1, "value=%x", sysreg_read(ctr_el0), 0);
	result("id.clidr_el1", 1, "value=%x", sysreg_read(clidr_el1), 0);
	probe_begin(0);
	asm volatile("dc civac, %0\n\tdsb sy\n\tic ivau, %0\n\tdsb sy\n\tisb" : : "r"(line) : "memory");
	probe_end();
	result("cache.maintenance_by_va", !trapped, "trapped %u, ESR %x", trapped, trap_esr);
	/* What the ID register says about the PMU is what works: a counter that counts, or UNDEF. */
	probe_begin(0);
	sysreg_write(pmcr_el0, sysreg_read(pmcr_el0) | 1);
	sysreg_write(pmcntenset_el0, 1UL << 31);
	asm volatile("isb");
	pmccntr = sysreg_read(pmccntr_el0);
	delay_ms(1);
	pmccntr2 = sysreg_read(pmccntr_el0);
	probe_end();
	if (pmuver && pmuver != 0xf)
		result("pmu.id_says_present_and_cycles_count", !trapped && pmccntr2 > pmccntr,
		       "trapped %u, counted %x", trapped, pmccntr2 - pmccntr);
	else
		result("pmu.id_says_absent_and_access_is_undefined",
		       trapped && ESR_EC(trap_esr) == EC_UNKNOWN, "trapped %u, ESR %x", trapped,
		       trap_esr);
	result("id.pmuver", 1, "value=%x", pmuver, 0);
}

void kernel_main(u64 fdt)
{
	if (kernel_dt_read((const u8 *)fdt))
		for (;;)
			asm volatile("wfi");
	freq = sysreg_read(cntfrq_el0);
	say("CONFORMANCE-START console=%s conduit=%s\n", dt.uart ? "uart" : "xen", dt.smc ? "smc" : "hvc");
	gic_init_dist();
	if (!dt.gicd || gic_init_cpu()) {
		result("gic.found", 0, "no GICv3 distributor or redistributor for this CPU", 0, 0);
	} else {
		check_timer("virt", VTIMER_PPI);
		check_timer("phys", PTIMER_PPI);
		check_gic_self();
		check_gic_registers();
		check_psci_and_smp();
		check_fpsimd();
	}
	check_aborts();
	check_debug();
	check_ids_and_caches();
	say("conformance: %u checks, %u failed\nCONFORMANCE-DONE\n", checks, failures);
	power_off();
}
