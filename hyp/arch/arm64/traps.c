/* SPDX-License-Identifier: MIT */
/* Guest exits: dispatch by exception class, MMIO emulation, interrupts, Domus' own faults. */
#include <domus/arch.h>
#include <domus/console.h>
#include <domus/irq.h>
#include <domus/domain.h>
#include <domus/p2m.h>
#include <domus/guest_access.h>
#include <domus/hypercall.h>
#include <public/xen.h>
#include <domus/errno.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <arm64/psci.h>
#include <domus/sched.h>
#include <arm64/vpsci.h>
#include <arm64/decode.h>
#include "arm64.h"
#include "asm_offsets.h"
#include "sysreg.h"
#include <domus/xen_version.h>
#include <public/version.h>

/* The exception vector answers these calls itself (vectors.S): with what the C code would. */
_Static_assert(ESR_HVC64_IMM0 == ((u32)EC_HVC64 << 26 | BIT(25)), "fast call ESR");
_Static_assert(FAST_PSCI_VERSION_FID == PSCI_VERSION, "fast call");
_Static_assert(FAST_PSCI_VERSION == VPSCI_VERSION, "fast call");
_Static_assert(FAST_XEN_TAG == XEN_HYPERCALL_TAG, "fast call");
_Static_assert(FAST_XEN_VERSION_NR == __HYPERVISOR_xen_version, "fast call");
_Static_assert(FAST_XENVER_VERSION == XENVER_version, "fast call");
_Static_assert(FAST_XEN_VERSION == (XEN_MAJOR << 16 | XEN_MINOR), "fast call");

#define ESR_IL BIT(25)
#define EC_SHIFT 26

/* This pCPU's vCPU: read here, not through arch_this_pcpu, as this is every exit's path. */
static struct vcpu *current_vcpu(void)
{
	return ((struct pcpu *)read_sysreg(tpidr_el2))->current;
}

static void skip_insn(struct vcpu *v)
{
	v->arch.regs.pc += 4;
}

/* Delivers a synchronous exception to the guest's EL1 vector table. */
static void inject_sync(struct vcpu *v, u64 esr, u64 far, bool set_far)
{
	u64 mode = v->arch.regs.pstate & 0xf;
	/* From AArch32 EL0 (PSTATE.nRW), from AArch64 EL0, from EL1 with SP_EL0, with SP_EL1. */
	u64 offset = v->arch.regs.pstate & PSR_NRW ? 0x600 :
		     mode == 0 ? 0x400 : (mode == 4 ? 0x000 : 0x200);

	write_sysreg(elr_el1, v->arch.regs.pc);
	write_sysreg(spsr_el1, v->arch.regs.pstate);
	write_sysreg(esr_el1, esr);
	if (set_far)
		write_sysreg(far_el1, far);
	v->arch.regs.pc = read_sysreg(vbar_el1) + offset;
	v->arch.regs.pstate = PSR_DAIF | PSR_MODE_EL1H;
}

static bool from_el0(struct vcpu *v)
{
	return (v->arch.regs.pstate & 0xf) == 0;
}

void inject_undef(struct vcpu *v)
{
	inject_sync(v, ESR_IL, 0, false);
}

void inject_dabt(struct vcpu *v, u64 far, bool write)
{
	u64 ec = from_el0(v) ? EC_DABT_LOW : EC_DABT_CUR;

	/* Synchronous external abort, not on a translation table walk. */
	inject_sync(v, ec << EC_SHIFT | ESR_IL | (write ? BIT(6) : 0) | 0x10, far, true);
}

void inject_iabt(struct vcpu *v, u64 far)
{
	u64 ec = from_el0(v) ? EC_IABT_LOW : EC_IABT_LOW + 1;

	inject_sync(v, ec << EC_SHIFT | ESR_IL | 0x10, far, true);
}

static u64 get_reg(struct vcpu *v, u32 r)
{
	return r == 31 ? 0 : v->arch.regs.x[r];
}

static void set_reg(struct vcpu *v, u32 r, u64 val)
{
	if (r != 31)
		v->arch.regs.x[r] = val;
}

/* Reads the trapping instruction through the guest's own stage 1 and stage 2. */
static int fetch_guest_insn(struct vcpu *v, u32 *insn)
{
	return copy_from_guest(v, insn, v->arch.regs.pc, sizeof(*insn));
}

static int mmio_dispatch(struct vcpu *v, ipa_t ipa, u32 size, bool write, u64 *val)
{
	struct domain *d = v->dom;
	struct mmio_handler *h;
	struct vcpu *t;
	u64 off;

	if (vgic_is_dist(d, ipa))
		return vgic_dist_access(v, ipa_offset(ipa, d->arch.vgic.dist_base), size, write,
					val);
	t = vgic_rdist_vcpu(d, ipa, &off);
	if (t)
		return vgic_rdist_access(v, t, off, size, write, val);
	h = domain_find_mmio(d, ipa);
	if (h)
		return h->access(v, ipa, size, write, val, h->ctx);
	return -ENODEV;
}

/*
 * A translation fault on an address that is mapped now: another vCPU was
 * splitting a block around it (break-before-make leaves the entry empty for a
 * moment). p2m_lookup takes the lock the split holds, so it sees the end
 * state; the guest just retries the access.
 */
static bool stage2_changed_under_us(struct vcpu *v, u64 esr, ipa_t ipa)
{
	enum p2m_type type;
	paddr_t pa;
	u32 fsc = esr & 0x3f;

	if ((fsc & 0x3c) != 0x04) /* translation fault, any level */
		return false;
	return p2m_lookup(v->dom, ipa_gfn(ipa), &pa, &type) == 0;
}

/*
 * A write to RAM that dirty logging made read-only (log_dirty.c): a stage-2
 * permission fault, on a store or on its own stage-1 walk writing a table
 * entry (the access flag, for a data access or an instruction fetch). It is
 * logged, the page writable again, and the access retried. HPFAR_EL2 is sure
 * only for a fault on the stage-1 walk (S1PTW); for the others the IPA comes
 * from the guest's own translation of FAR, as the architecture allows HPFAR
 * to be stale there. The same fault on a page shared copy-on-write with a
 * clone (p2m.c) gives the writer its own copy first. true if the fault was
 * this (or is to be retried, or ended the domain).
 */
static bool dirty_write_fault(struct vcpu *v, u64 esr, u64 far, ipa_t ipa)
{
	int rc;

	if ((esr & 0x3c) != 0x0c) /* permission fault, any level */
		return false;
	if (!(esr & BIT(7))) { /* not on the walk: a store, with FAR valid */
		if (!(esr & BIT(6)) || (esr & BIT(10)))
			return false;
		if (arch_gva_to_ipa(v, far, false, &ipa))
			return true; /* its stage 1 changed under it: the access runs again */
	}
	rc = p2m_set_dirty(v->dom, ipa_gfn(ipa));
	if (rc == -ENOMEM) {
		/* Clones share more than Domus has: the writer cannot go on (docs/CLONE.md). */
		domain_crash(v->dom, "no free memory for its own copy of a shared page");
		return true;
	}
	return rc == 0;
}

static void handle_dabt(struct vcpu *v, u64 esr)
{
	u64 far = read_sysreg(far_el2);
	ipa_t ipa = ipa_init(((read_sysreg(hpfar_el2) & 0xffffffffff0ULL) << 8) | (far & 0xfff));
	struct mmio_access a;
	u64 val = 0;
	int rc;

	/*
	 * The race check (a lookup under the p2m lock) runs only where the
	 * access would otherwise be refused: emulated devices are never RAM, and
	 * their exits stay as short as they were.
	 */
	if (dirty_write_fault(v, esr, far, ipa))
		return;
	if (esr & BIT(7)) { /* S1PTW: its own page tables point at no memory */
		if (stage2_changed_under_us(v, esr, ipa))
			return;
		guest_printk(v, "stage-1 table walk at IPA %#lx hits no memory (pc %#lx)\n",
		             ipa_addr(ipa), v->arch.regs.pc);
		inject_dabt(v, far, false);
		return;
	}
	rc = decode_dabt(esr, &a);
	if (rc) {
		u32 insn;

		rc = fetch_guest_insn(v, &insn);
		if (!rc)
			rc = decode_ldst_insn(insn, &a);
		if (rc) {
			if (stage2_changed_under_us(v, esr, ipa))
				return;
			guest_printk(v, "cannot emulate the access at IPA %#lx (pc %#lx)\n",
			             ipa_addr(ipa), v->arch.regs.pc);
			inject_dabt(v, far, esr & BIT(6));
			return;
		}
	}
	if (a.write)
		val = mmio_store_value(&a, get_reg(v, a.rt));
	rc = mmio_dispatch(v, ipa, a.size, a.write, &val);
	if (rc == -ENODEV && stage2_changed_under_us(v, esr, ipa))
		return;
	if (rc) {
		guest_printk(v, "unhandled data abort: %s of %u bytes at IPA %#lx (pc %#lx): %s\n",
		             a.write ? "write" : "read", a.size, ipa_addr(ipa), v->arch.regs.pc,
		       rc == -ENODEV ? "no device or memory there" : "refused by the device");
		inject_dabt(v, far, a.write);
		return;
	}
	if (!a.write)
		set_reg(v, a.rt, mmio_load_value(&a, val));
	if (a.writeback) {
		if (a.rn == 31) {
			/* SP: the one the guest was using. */
			if (v->arch.regs.pstate & 1)
				write_sysreg(sp_el1, read_sysreg(sp_el1) + a.wb_offset);
			else
				write_sysreg(sp_el0, read_sysreg(sp_el0) + a.wb_offset);
		} else {
			v->arch.regs.x[a.rn] += a.wb_offset;
		}
	}
	skip_insn(v);
}

/*
 * DC ISW, CSW, CISW (HCR_EL2.TSW): by set/way, an operation reaches every
 * line of the cache, other domains' and Domus' included. Each is done as a
 * clean and invalidate, which loses nobody's data (an invalidate alone would
 * drop other domains' dirty lines). The guest's operand is first brought
 * within this CPU's cache geometry: a level it has no data cache at is a
 * no-op, and the set and way are taken modulo what the level has, since an
 * out-of-range operand may be undefined at EL2 on some CPUs.
 */
static bool set_way_operand(u64 op, u64 *safe)
{
	u32 level = (op >> 1) & 7, ctype, line_shift, ways, sets, way_shift, set_bits;
	u64 clidr = read_sysreg(clidr_el1), csselr = read_sysreg(csselr_el1), ccsidr;
	bool ccidx = ((read_sysreg(id_aa64mmfr2_el1) >> 20) & 0xf) != 0;

	ctype = (clidr >> (level * 3)) & 7;
	if (ctype < 2) /* no cache, or instructions only */
		return false;
	write_sysreg(csselr_el1, level << 1); /* the guest's CSSELR comes back below */
	isb();
	ccsidr = read_sysreg(ccsidr_el1);
	write_sysreg(csselr_el1, csselr);
	isb();
	line_shift = (u32)(ccsidr & 7) + 4;
	if (ccidx) {
		ways = (u32)((ccsidr >> 3) & 0x1fffff) + 1;
		sets = (u32)((ccsidr >> 32) & 0xffffff) + 1;
	} else {
		ways = (u32)((ccsidr >> 3) & 0x3ff) + 1;
		sets = (u32)((ccsidr >> 13) & 0x7fff) + 1;
	}
	/* The fields are as wide as their counts need: log2, rounded up. */
	way_shift = ways > 1 ? (u32)__builtin_clz(ways - 1) : 32;
	set_bits = sets > 1 ? 32 - (u32)__builtin_clz(sets - 1) : 0;
	*safe = (u64)level << 1 |
		(((op >> line_shift) & ((1ULL << set_bits) - 1)) % sets) << line_shift;
	if (ways > 1)
		*safe |= ((op >> way_shift) % ways) << way_shift;
	return true;
}

static bool emulate_set_way(struct vcpu *v, const struct sysreg_access *s)
{
	u64 op;

	if (s->op0 != 1 || s->op1 != 0 || s->crn != 7 || s->op2 != 2 ||
	    (s->crm != 6 && s->crm != 10 && s->crm != 14))
		return false;
	if (set_way_operand(get_reg(v, s->rt), &op))
		asm volatile("dc cisw, %0" : : "r"(op) : "memory");
	return true;
}

static void handle_sysreg(struct vcpu *v, u64 esr)
{
	struct sysreg_access s;
	u64 val;

	if (sysreg_decode(esr, &s) == 0) {
		/* The one a guest traps on most (every IPI it sends): first. */
		switch (s.enc) {
		case SYSREG_ICC_SGI1R_EL1:
		case SYSREG_ICC_ASGI1R_EL1:
		case SYSREG_ICC_SGI0R_EL1:
			if (!s.read)
				vgic_send_sgi(v, get_reg(v, s.rt), true);
			skip_insn(v);
			return;
		}
		val = s.read ? 0 : get_reg(v, s.rt);
		switch (vdebug_access(v, &s, &val)) {
		case VDEBUG_DONE:
			if (s.read)
				set_reg(v, s.rt, val);
			skip_insn(v);
			return;
		case VDEBUG_UNDEF:
			inject_undef(v);
			return;
		case VDEBUG_NOT_MINE:
			break;
		}
		if (s.enc == SYSREG_ENC(3, 0, 1, 0, 1)) { /* ACTLR_EL1: reads as it is, writes ignored */
			if (s.read)
				set_reg(v, s.rt, read_sysreg(actlr_el1));
			skip_insn(v);
			return;
		}
		if (emulate_set_way(v, &s)) {
			skip_insn(v);
			return;
		}
		if (s.read && idreg_emulate(&s, &val)) {
			set_reg(v, s.rt, val);
			skip_insn(v);
			return;
		}
		if (!s.read)
			val = get_reg(v, s.rt);
		if (vtimer_emulate_cntp(v, &s, &val)) {
			if (s.read)
				set_reg(v, s.rt, val);
			skip_insn(v);
			return;
		}
	}
	guest_printk(v, "unhandled system register access (ESR %#lx, pc %#lx): undefined\n",
	             esr, v->arch.regs.pc);
	inject_undef(v);
}

static void handle_hvc(struct vcpu *v, u64 esr)
{
	u32 imm = esr & 0xffff;

	if (imm == 0) {
		vpsci_handle(v);
		return;
	}
	if (imm == XEN_HYPERCALL_TAG) {
		hypercall_dispatch(v);
		return;
	}
	inject_undef(v);
}

static void handle_wfx(struct vcpu *v, u64 esr)
{
	if (esr & 1)
		vcpu_yield(v); /* WFE: someone else may hold the lock it spins on */
	else
		vcpu_block(v);
	skip_insn(v);
}

static void handle_smc(struct vcpu *v, u64 esr)
{
	/* Firmware calls (SMC #0) are served by Domus, as over HVC; other SMCs are undefined, as in Xen. */
	if ((esr & 0xffff) != 0) {
		inject_undef(v);
		return;
	}
	vpsci_handle(v);
	skip_insn(v);
}

static void handle_iabt(struct vcpu *v, u64 esr)
{
	u64 far = read_sysreg(far_el2);
	ipa_t ipa = ipa_init(((read_sysreg(hpfar_el2) & 0xffffffffff0UL) << 8) | (far & 0xfff));

	if (stage2_changed_under_us(v, esr, ipa))
		return;
	/* Its stage-1 walk setting an access flag in a table page that dirty logging took. */
	if ((esr & BIT(7)) && dirty_write_fault(v, esr, far, ipa))
		return;
	guest_printk(v, "instruction fetch from IPA %#lx with no memory (pc %#lx)\n", ipa_addr(ipa),
		     v->arch.regs.pc);
	inject_iabt(v, far);
}

/* A guest's synchronous exceptions, by exception class (ESR_EL2.EC); any other is undefined. */
static void (*const sync_handlers[64])(struct vcpu *v, u64 esr) = {
	[EC_WFX] = handle_wfx,
	[EC_HVC64] = handle_hvc,
	[EC_SMC64] = handle_smc,
	[EC_SYSREG] = handle_sysreg,
	[EC_DABT_LOW] = handle_dabt,
	[EC_IABT_LOW] = handle_iabt,
};

static void handle_sync(struct vcpu *v)
{
	u64 esr = read_sysreg(esr_el2);
	u32 ec = esr_ec(esr);

	exitstats_sync(&v->arch.regs, esr);
	if (ec < ARRAY_SIZE(sync_handlers) && sync_handlers[ec]) {
		sync_handlers[ec](v, esr);
		return;
	}
	guest_printk(v, "unhandled exception class %#x (ESR %#lx) at pc %#lx: undefined\n", ec, esr,
		     v->arch.regs.pc);
	inject_undef(v);
}

void irq_handle(void)
{
	struct pcpu *p = arch_this_pcpu();
	u32 intid = gic_ack();

	if (intid >= 1020)
		return;
	gic_eoi(intid);
	if (intid == platform.ppi_virt_timer) {
		/* Deactivated by the guest's EOI, through the HW list register. */
		if (p->current)
			arch_irq_inject(p->current->dom, p->current, intid);
		else
			gic_deactivate(intid);
		return;
	}
	if (intid >= 32 && intid != platform.uart_intid) {
		/* A passed-through device: the owner's EOI deactivates it. */
		if (!irq_route_to_guest(intid))
			gic_deactivate(intid);
		return;
	}
	gic_deactivate(intid);
	if (intid == platform.ppi_hyp_timer) {
		arch_timer_set_deadline(0);
		sched_tick();
	} else if (intid == SGI_KICK) {
		sched_kicked();
	} else if (intid == platform.uart_intid) {
		console_rx_interrupt();
	}
	/* Maintenance: the list registers are refilled on the way back in. */
}

/* Called by the exception vectors with the guest's registers saved. */
void guest_exit(int kind)
{
	struct vcpu *v = current_vcpu();

	/* The common exit has nothing in the list registers and no timer latch: no calls. */
	if (v->arch.vgic.used_lrs)
		vgic_sync_lrs(v);
	if (READ_ONCE(v->arch.vgic.priv[platform.ppi_virt_timer].pending))
		vtimer_resample(v);
	if (kind == EXIT_SYNC) {
		handle_sync(v);
	} else if (kind == EXIT_IRQ) {
		exitstats_irq();
		irq_handle();
	} else {
		guest_printk(v, "SError (ESR %#lx)\n", read_sysreg(esr_el2));
		domain_crash(v->dom, "asynchronous abort");
	}
}

/* Last stop before eret: pick the vCPU, fill its list registers. */
void guest_prepare_entry(void)
{
	struct vcpu *v;

	sched_check();
	v = current_vcpu();
	if (v->arch.cntp_ctl & 1) /* enabled: its line may have risen since */
		vtimer_update_ptimer(v);
	if (READ_ONCE(v->arch.vgic.ap_list)) /* nothing pending or active: nothing to load */
		vgic_flush_lrs(v);
	sched_entering_guest();
}

static void dump_frame(const struct cpu_regs *r)
{
	for (int i = 0; i < 30; i += 2)
		printk("  x%-2d %016lx  x%-2d %016lx\n", i, r->x[i], i + 1, r->x[i + 1]);
	printk("  x30 %016lx  pc  %016lx  pstate %08lx\n", r->x[30], r->pc, r->pstate);
}

static void backtrace(u64 fp)
{
	printk("backtrace:\n");
	for (int depth = 0; fp && !(fp & 7) && depth < 16; depth++) {
		u64 *frame = (u64 *)(uintptr_t)fp;

		printk("  [%016lx]\n", frame[1]);
		fp = frame[0];
	}
}

/* A synchronous exception in Domus itself: a bug. */
void hyp_sync_trap(struct cpu_regs *r)
{
	u64 esr = read_sysreg(esr_el2);

	printk("PANIC: Domus fault on CPU %u: ESR %#lx FAR %#lx\n", arch_this_pcpu()->id, esr,
	       read_sysreg(far_el2));
	dump_frame(r);
	backtrace(r->x[29]);
	arch_system_off();
}

void arch_panic_halt(const char *msg)
{
	struct cpu_regs r;

	/* The registers as this was entered from panic(): enough to find the caller's state. */
	asm volatile("stp x0, x1, [%0, #0]\n stp x2, x3, [%0, #16]\n stp x4, x5, [%0, #32]\n"
		     "stp x6, x7, [%0, #48]\n stp x8, x9, [%0, #64]\n stp x10, x11, [%0, #80]\n"
		     "stp x12, x13, [%0, #96]\n stp x14, x15, [%0, #112]\n"
		     "stp x16, x17, [%0, #128]\n stp x18, x19, [%0, #144]\n"
		     "stp x20, x21, [%0, #160]\n stp x22, x23, [%0, #176]\n"
		     "stp x24, x25, [%0, #192]\n stp x26, x27, [%0, #208]\n"
		     "stp x28, x29, [%0, #224]\n str x30, [%0, #240]"
		     : : "r"(&r) : "memory");
	r.pc = (u64)__builtin_return_address(0);
	asm volatile("mrs %0, daif" : "=r"(r.pstate));
	dump_frame(&r);
	backtrace((u64)__builtin_frame_address(0));
	arch_system_off();
}
