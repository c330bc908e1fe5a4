/* SPDX-License-Identifier: MIT */
/* The physical GICv3: distributor, this CPU's redistributor, and its CPU interface. */
#include <domus/arch.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/platform.h>
#include <domus/printf.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <arm64/vgic.h>
#include "arm64.h"
#include "sysreg.h"

#define GICD_CTLR 0x0
#define GICD_TYPER 0x4
#define GICD_IGROUPR 0x80
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ICFGR 0xc00
#define GICD_IROUTER 0x6000
#define GICD_CTLR_RWP BIT(31)

#define GICR_TYPER 0x8
#define GICR_WAKER 0x14
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 (GICR_SGI + 0x80)
#define GICR_ISENABLER0 (GICR_SGI + 0x100)
#define GICR_ICENABLER0 (GICR_SGI + 0x180)
#define GICR_ISPENDR0 (GICR_SGI + 0x200)
#define GICR_ISACTIVER0 (GICR_SGI + 0x300)
#define GICR_ICACTIVER0 (GICR_SGI + 0x380)
#define GICR_IPRIORITYR0 (GICR_SGI + 0x400)

#define IRQ_PRIORITY 0xa0

static u8 *gicd;
static u32 nr_irqs;
u32 gic_nr_lrs, gic_nr_aprs;
static u64 ich_hcr[PLATFORM_MAX_CPUS]; /* each pCPU's ICH_HCR_EL2, as last written */
/* Each pCPU's redistributor frame, found by its affinity. */
static u8 **gicr_of_cpu;

static inline u32 rd32(u8 *base, u64 off)
{
	return *(volatile u32 *)(base + off);
}

static inline void wr32(u8 *base, u64 off, u32 v)
{
	*(volatile u32 *)(base + off) = v;
}

static inline u64 rd64(u8 *base, u64 off)
{
	return *(volatile u64 *)(base + off);
}

static inline void wr64(u8 *base, u64 off, u64 v)
{
	*(volatile u64 *)(base + off) = v;
}

static void dist_wait(void)
{
	while (rd32(gicd, GICD_CTLR) & GICD_CTLR_RWP)
		;
}

static u64 mpidr_aff(u64 mpidr)
{
	return mpidr & 0xff00ffffffULL;
}

static u64 irouter_of(unsigned int cpu)
{
	u64 m = pcpus[cpu].hwid;

	return (m & 0xffffff) | ((m >> 32) & 0xff) << 32;
}

int gic_init(void)
{
	u32 typer;

	gicd = pa_to_va(platform.gicd.base);
	typer = rd32(gicd, GICD_TYPER);
	nr_irqs = MIN(((typer & 0x1f) + 1) * 32, 1020u);
	wr32(gicd, GICD_CTLR, 0);
	dist_wait();
	for (u32 i = 32; i < nr_irqs; i += 32) {
		wr32(gicd, GICD_IGROUPR + i / 8, ~0u);
		wr32(gicd, GICD_ICENABLER + i / 8, ~0u);
		wr32(gicd, GICD_ICPENDR + i / 8, ~0u);
		wr32(gicd, GICD_ICACTIVER + i / 8, ~0u);
	}
	for (u32 i = 32; i < nr_irqs; i += 4)
		wr32(gicd, GICD_IPRIORITYR + i, IRQ_PRIORITY * 0x01010101u);
	for (u32 i = 32; i < nr_irqs; i++)
		wr64(gicd, GICD_IROUTER + i * 8, irouter_of(0));
	/* Affinity routing, group 1 enabled (bits mean the same with or without DS). */
	wr32(gicd, GICD_CTLR, BIT(4) | BIT(1));
	dist_wait();

	gicr_of_cpu = mm_zalloc(nr_pcpus * sizeof(*gicr_of_cpu));
	if (!gicr_of_cpu)
		return -ENOMEM;
	for (u64 off = 0; off < platform.gicr.size; off += 0x20000) {
		u8 *frame = pa_to_va(pa_add(platform.gicr.base, off));
		u64 t = rd64(frame, GICR_TYPER);
		u64 aff = t >> 32;
		u64 mpidr = (aff & 0xffffff) | ((aff >> 24) & 0xff) << 32;

		for (unsigned int c = 0; c < nr_pcpus; c++)
			if (mpidr_aff(pcpus[c].hwid) == mpidr)
				gicr_of_cpu[c] = frame;
		if (t & BIT(4)) /* Last */
			break;
	}
	for (unsigned int c = 0; c < nr_pcpus; c++)
		if (!gicr_of_cpu[c]) {
			printk("no redistributor for CPU %u (MPIDR %#lx)\n", c, pcpus[c].hwid);
			return -ENODEV;
		}
	return 0;
}

void gic_cpu_init(unsigned int cpu)
{
	u8 *r = gicr_of_cpu[cpu];
	u64 vtr;

	wr32(r, GICR_WAKER, rd32(r, GICR_WAKER) & ~BIT(1));
	while (rd32(r, GICR_WAKER) & BIT(2))
		;
	wr32(r, GICR_IGROUPR0, ~0u);
	wr32(r, GICR_ICENABLER0, ~0u);
	wr32(r, GICR_ICACTIVER0, ~0u);
	for (u32 i = 0; i < 32; i += 4)
		wr32(r, GICR_IPRIORITYR0 + i, IRQ_PRIORITY * 0x01010101u);

	write_sysreg(ICC_SRE_EL2, 0xf); /* SRE, no bypass, EL1 may use SRE */
	isb();
	write_sysreg(ICC_PMR_EL1, 0xff);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_CTLR_EL1, BIT(1)); /* EOImode: drop priority, deactivate apart */
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();

	vtr = read_sysreg(ICH_VTR_EL2);
	gic_nr_lrs = (vtr & 0x1f) + 1;
	gic_nr_aprs = 1u << ((((vtr >> 29) & 7) + 1) - 5);
	write_sysreg(ICH_HCR_EL2, 0);
	ich_hcr[cpu] = 0;
}

/*
 * Nearly every exit would write ICH_HCR_EL2 with what it holds already (En,
 * no underflow interrupt), and a GIC system register access is dear (under
 * QEMU, each takes its global lock): written only when it changes. The
 * register's only field the hardware moves, EOIcount, is not used here.
 */
void gic_write_ich_hcr(u64 val)
{
	u64 *shadow = &ich_hcr[arch_this_pcpu()->id];

	if (*shadow != val) {
		write_sysreg(ICH_HCR_EL2, val);
		*shadow = val;
	}
}

static u8 *my_gicr(void)
{
	return gicr_of_cpu[arch_this_pcpu()->id];
}

void gic_enable_private(u32 intid)
{
	wr32(my_gicr(), GICR_ISENABLER0, BIT(intid));
}

void gic_set_vtimer_active(bool active)
{
	wr32(my_gicr(), active ? GICR_ISACTIVER0 : GICR_ICACTIVER0, BIT(platform.ppi_virt_timer));
}

/* Read from another pCPU's redistributor: a snapshot, for a stall's post-mortem. */
void arch_pcpu_irqs_describe(unsigned int cpu, char *buf, unsigned long len)
{
	u8 *r = gicr_of_cpu[cpu];
	u32 en = rd32(r, GICR_ISENABLER0), pend = rd32(r, GICR_ISPENDR0);
	u32 act = rd32(r, GICR_ISACTIVER0);
	u32 ppis[] = { platform.ppi_hyp_timer, platform.ppi_virt_timer };
	unsigned long n = 0;

	buf[0] = 0;
	for (u32 i = 0; i < ARRAY_SIZE(ppis) && n < len; i++) {
		u32 b = BIT(ppis[i]);

		n += snprintf(buf + n, len - n, "%sPPI %u %s%s%s", i ? ", " : "", ppis[i],
			      en & b ? "enabled" : "disabled", pend & b ? " pending" : "",
			      act & b ? " active" : "");
	}
}

void gic_enable_spi(u32 intid, bool enable, unsigned int cpu)
{
	if (intid < 32 || intid >= nr_irqs)
		return;
	if (enable)
		wr64(gicd, GICD_IROUTER + intid * 8, irouter_of(cpu));
	wr32(gicd, (enable ? GICD_ISENABLER : GICD_ICENABLER) + (intid / 32) * 4,
	     BIT(intid % 32));
}

void arch_hw_irq_enable(u32 intid, bool enable)
{
	gic_enable_spi(intid, enable, 0);
}

void arch_hw_irq_route(u32 intid, unsigned int cpu)
{
	if (intid >= 32 && intid < nr_irqs)
		wr64(gicd, GICD_IROUTER + intid * 8, irouter_of(cpu));
}

void gic_send_sgi(unsigned int cpu, u32 intid)
{
	u64 m = pcpus[cpu].hwid;
	u64 aff0 = m & 0xff;
	u64 v = ((m >> 8) & 0xff) << 16 | ((m >> 16) & 0xff) << 32 | ((m >> 32) & 0xff) << 48 |
		(u64)intid << 24 | (aff0 / 16) << 44 | BIT(aff0 % 16);

	dsb(ishst);
	write_sysreg(ICC_SGI1R_EL1, v);
	isb();
}

u32 gic_ack(void)
{
	u32 iar = read_sysreg(ICC_IAR1_EL1);

	dsb(sy);
	return iar & 0xffffff;
}

void gic_eoi(u32 intid)
{
	write_sysreg(ICC_EOIR1_EL1, intid);
	isb();
}

void gic_deactivate(u32 intid)
{
	write_sysreg(ICC_DIR_EL1, intid);
	isb();
}

/* List registers and the virtual CPU interface control, for vgic.c. */
u32 arch_vgic_nr_lrs(void)
{
	return MIN(gic_nr_lrs, (u32)VGIC_MAX_LRS);
}

#define LR_CASE(n)                                                     \
	case n:                                                        \
		if (write)                                             \
			write_sysreg(S3_4_C12_C12_##n, val);           \
		else                                                   \
			val = read_sysreg(S3_4_C12_C12_##n);           \
		break;
#define LR_CASE_HI(n, m)                                               \
	case n:                                                        \
		if (write)                                             \
			write_sysreg(S3_4_C12_C13_##m, val);           \
		else                                                   \
			val = read_sysreg(S3_4_C12_C13_##m);           \
		break;

static u64 lr_access(u32 n, bool write, u64 val)
{
	switch (n) {
	LR_CASE(0) LR_CASE(1) LR_CASE(2) LR_CASE(3)
	LR_CASE(4) LR_CASE(5) LR_CASE(6) LR_CASE(7)
	LR_CASE_HI(8, 0) LR_CASE_HI(9, 1) LR_CASE_HI(10, 2) LR_CASE_HI(11, 3)
	LR_CASE_HI(12, 4) LR_CASE_HI(13, 5) LR_CASE_HI(14, 6) LR_CASE_HI(15, 7)
	}
	return val;
}

u64 arch_vgic_read_lr(u32 n)
{
	return lr_access(n, false, 0);
}

void arch_vgic_write_lr(u32 n, u64 val)
{
	lr_access(n, true, val);
}

void arch_vgic_set_underflow(bool on)
{
	gic_write_ich_hcr(1 | (on ? BIT(1) : 0)); /* En, UIE */
}

u32 arch_vgic_empty_lrs(void)
{
	return read_sysreg(ICH_ELRSR_EL2);
}

u32 arch_gic_nr_spis(void)
{
	return nr_irqs - 32;
}
