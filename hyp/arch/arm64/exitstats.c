/* SPDX-License-Identifier: MIT */
/*
 * Guest exits counted by cause, per pCPU, for the 'x' debug key: what a
 * workload (a boot, a disk read) makes Domus do, before anyone times it.
 * Each pCPU writes only its own counts, so an exit pays one increment and
 * no lock; the key's reader may see a count one behind, which is fine for a
 * tally. The calls the exception vector answers itself (vectors.S) are not
 * counted: they never reach C.
 */
#include <domus/arch.h>
#include <domus/mm.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <arm64/decode.h>
#include <arm64/regs.h>
#include <public/xen.h>
#include "arm64.h"
#include "sysreg.h"

#define TOP_KEYS 64 /* distinct system registers or MMIO pages kept (a power of two, see tally_add) */
#define NR_HYPERCALLS 64
_Static_assert(TOP_KEYS == 1 << 6, "tally_add hashes to the top 6 bits");

/* Counts per key (a system register, an MMIO page) in a small open-addressed hash table. */
struct tally {
	u64 key[TOP_KEYS];
	u64 n[TOP_KEYS]; /* 0: a free slot */
	u64 other; /* counts of keys that found the table full */
};

struct exit_counts {
	u64 by_class[64]; /* synchronous exits by exception class */
	u64 irq;
	u64 wfe;
	u64 hypercall[NR_HYPERCALLS + 1]; /* the last: numbers past the table */
	struct tally sysreg; /* by ESR ISS with Rt cleared: which register, read or write */
	struct tally mmio; /* by guest-physical page */
};

static struct exit_counts *counts; /* one per pCPU */
static u64 counting_since;

void exitstats_init(void)
{
	counts = mm_zalloc(nr_pcpus * sizeof(*counts));
	BUG_ON(!counts);
}

/* Read here, not through arch_this_pcpu(): this is every exit's path, and it inlines. */
static struct exit_counts *mine(void)
{
	return &counts[((const struct pcpu *)read_sysreg(tpidr_el2))->id];
}

/* An exit's path pays a multiply and, nearly always, one probe. */
static void tally_add(struct tally *t, u64 key, u64 n)
{
	u32 slot = (u32)((key * 0x9e3779b97f4a7c15ULL) >> 58); /* top 6 bits: TOP_KEYS slots */

	for (u32 i = 0; i < TOP_KEYS; i++, slot = (slot + 1) % TOP_KEYS) {
		if (t->n[slot] && t->key[slot] != key)
			continue;
		t->key[slot] = key;
		t->n[slot] += n;
		return;
	}
	t->other += n;
}

/*
 * One call per synchronous exit counts it whole: its class, and by what it
 * names (a register, a hypercall, an MMIO page), so that the handlers pay
 * nothing more. x16 is the guest's: clamped to the table.
 */
void exitstats_sync(const struct cpu_regs *regs, u64 esr)
{
	struct exit_counts *c = mine();
	u32 ec = esr_ec(esr);

	c->by_class[ec]++;
	if (ec == EC_DABT_LOW) {
		tally_add(&c->mmio, (read_sysreg(hpfar_el2) & 0xffffffffff0ULL) >> 4, 1);
	} else if (ec == EC_HVC64) {
		if ((esr & 0xffff) == XEN_HYPERCALL_TAG) {
			u64 nr = regs->x[16];

			c->hypercall[nr < NR_HYPERCALLS ? nr : NR_HYPERCALLS]++;
		}
	} else if (ec == EC_WFX) {
		if (esr & 1)
			c->wfe++;
	} else if (ec == EC_SYSREG) {
		tally_add(&c->sysreg, esr & 0x3ffc1f & ~(0x1fULL << 5), 1);
	}
}

void exitstats_irq(void)
{
	mine()->irq++;
}

static const char *class_name(u32 ec)
{
	switch (ec) {
	case EC_WFX: return "WFI/WFE";
	case EC_FP: return "FP/SIMD access";
	case EC_HVC64: return "HVC";
	case EC_SMC64: return "SMC";
	case EC_SYSREG: return "system register";
	case EC_IABT_LOW: return "instruction abort";
	case EC_DABT_LOW: return "data abort (MMIO)";
	default: return "other";
	}
}

/* Adds every pCPU's tally of one kind into sum, by key. */
static void tally_sum(struct tally *sum, size_t offset)
{
	memset(sum, 0, sizeof(*sum));
	for (u32 cpu = 0; cpu < nr_pcpus; cpu++) {
		const struct tally *t = (const struct tally *)((const u8 *)&counts[cpu] + offset);

		for (u32 i = 0; i < TOP_KEYS; i++)
			if (t->n[i])
				tally_add(sum, t->key[i], t->n[i]);
		sum->other += t->other;
	}
}

void arch_exitstats_dump(void)
{
	u64 now = arch_counter(), total = 0, irq = 0, wfe = 0;
	u64 ms = (now - counting_since) * 1000 / arch_counter_freq();
	struct tally t;

	for (u32 cpu = 0; cpu < nr_pcpus; cpu++) {
		irq += counts[cpu].irq;
		wfe += counts[cpu].wfe;
	}
	for (u32 ec = 0; ec < 64; ec++) {
		u64 n = 0;

		for (u32 cpu = 0; cpu < nr_pcpus; cpu++)
			n += counts[cpu].by_class[ec];
		if (n)
			printk("exits: EC %#04x %-18s %lu\n", ec, class_name(ec), n);
		total += n;
	}
	printk("exits: %lu synchronous (%lu WFE), %lu interrupts, in %lu ms, on %u pCPUs\n", total,
	       wfe, irq, ms, nr_pcpus);
	for (u32 nr = 0; nr <= NR_HYPERCALLS; nr++) {
		u64 n = 0;

		for (u32 cpu = 0; cpu < nr_pcpus; cpu++)
			n += counts[cpu].hypercall[nr];
		if (n)
			printk("exits: hypercall %u%s %lu\n", nr, nr == NR_HYPERCALLS ? "+" : "", n);
	}
	tally_sum(&t, offsetof(struct exit_counts, sysreg));
	for (u32 i = 0; i < TOP_KEYS; i++) {
		u64 iss = t.key[i];

		if (!t.n[i])
			continue;
		/* ISS: Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], CRm [4:1], read [0]. */
		printk("exits: %s S%lu_%lu_C%lu_C%lu_%lu %lu\n", iss & 1 ? "read " : "write",
		       (iss >> 20) & 3, (iss >> 14) & 7, (iss >> 10) & 15, (iss >> 1) & 15,
		       (iss >> 17) & 7, t.n[i]);
	}
	if (t.other)
		printk("exits: other system registers %lu\n", t.other);
	tally_sum(&t, offsetof(struct exit_counts, mmio));
	for (u32 i = 0; i < TOP_KEYS; i++)
		if (t.n[i])
			printk("exits: MMIO page %#lx %lu\n", t.key[i] << PAGE_SHIFT, t.n[i]);
	if (t.other)
		printk("exits: MMIO on other pages %lu\n", t.other);
	/* Counts start again: the next 'x' tells what happened since this one. */
	memset(counts, 0, sizeof(counts[0]) * nr_pcpus);
	counting_since = now;
}
