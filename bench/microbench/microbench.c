/* SPDX-License-Identifier: MIT */
/* In-guest micro-benchmarks (null trap, emulated MMIO read, IPI, EOI) timed with CNTVCT_EL0. */

/*
 * The same image runs natively (QEMU -kernel), as Xen 4.17's dom0 and as Domus' dom0, at EL1
 * with the MMU off everywhere: data accesses are then Device memory (hence -mstrict-align and
 * no atomics; each shared variable has one writer). Everything machine-specific comes from
 * the device tree in x0: the GIC, the console, the PSCI conduit, CPU 1's MPIDR, and the
 * iteration count ("n=" in /chosen/bootargs).
 *
 * Output, one line per metric, read by bench/bench.py:
 *   MICROBENCH null_trap_ns median=123.4 min=100.0 mean90=110.2 n=2000
 *   MICROBENCH ipi_ns error=cpu1_did_not_start          (no number when there is none)
 *   MICROBENCH-DONE
 * mean90 is the mean of the fastest 90% of samples: finer than the counter's tick (16 ns on
 * QEMU), and deaf to the few samples the host inflates by preempting QEMU.
 */

#include "kernel.h"

#define N_MAX 4096
#define N_DEFAULT 2000
#define WARMUP 100

#define SGI_PING 1 /* IPI round trip: CPU 0 -> CPU 1 -> CPU 0 */
#define SGI_SELF 2 /* CPU 0 to itself: the EOI benchmark */

void secondary_entry(void);

static u64 freq, ticks_to_ns10;  /* 10 * ns = ticks * ticks_to_ns10 >> 16 */
static u32 samples[N_MAX], samples2[N_MAX];
static volatile u32 cpu1_ready, pongs, self_count;
static volatile u64 eoi_ticks;
static u64 cpu_mpidr[2];

/* This CPU's GIC, with the two SGIs the benchmarks use enabled. */
static int gic_init_bench_cpu(void)
{
	u64 r = my_rdist();

	if (gic_init_cpu())
		return -1;
	wr32(r + GICR_ISENABLER0, 1 << SGI_PING | 1 << SGI_SELF);
	return 0;
}

void irq_handler(void)
{
	u64 iar = sysreg_read(ICC_IAR1_EL1);
	u32 intid = iar & 0xffffff;

	/* What the EOI benchmark times. Under a hypervisor with the GICv3 virtual CPU interface
	 * (ICH_HCR_EL2.TC/TALL1 clear) this is ICV_EOIR1_EL1, answered by the CPU: no trap. */
	if (intid == SGI_SELF) {
		u64 t0 = now();

		sysreg_write(ICC_EOIR1_EL1, iar);
		eoi_ticks = now() - t0;
		self_count = self_count + 1;
		return;
	}
	if (intid >= 1020) /* spurious */
		return;
	sysreg_write(ICC_EOIR1_EL1, iar);
	if (intid == SGI_PING && sysreg_read(tpidr_el1) == 1) /* our CPU index */
		send_sgi(SGI_PING, cpu_mpidr[0]);
	else if (intid == SGI_PING)
		pongs = pongs + 1;
}

void secondary_main(void)
{
	if (gic_init_bench_cpu() == 0) {
		cpu1_ready = 1;
		asm volatile("msr daifclr, #2");
	}
	for (;;) /* spin, not WFI: the IPI figure is delivery, not the hypervisor's idle path */
		asm volatile("" ::: "memory");
}

void bad_exception(u64 vector)
{
	say("MICROBENCH-ERROR exception at vector offset %x ESR %x ELR %x\n", vector,
	    sysreg_read(esr_el1), sysreg_read(elr_el1));
	psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}

/* --- measurement */

static void report(const char *name, u32 *s, u32 n)
{
	u64 sum = 0;
	u32 n90 = n - n / 10;

	for (u32 gap = n / 2; gap; gap /= 2) /* shell sort */
		for (u32 i = gap; i < n; i++)
			for (u32 j = i; j >= gap && s[j - gap] > s[j]; j -= gap) {
				u32 t = s[j];

				s[j] = s[j - gap];
				s[j - gap] = t;
			}
	for (u32 i = 0; i < n90; i++)
		sum += s[i];
	say("MICROBENCH %s median=%t min=%t mean90=%t n=%u\n", name,
	    ((u64)s[(n - 1) / 2] + s[n / 2]) * ticks_to_ns10 >> 17, s[0] * ticks_to_ns10 >> 16,
	    sum * ticks_to_ns10 / n90 >> 16, (u64)n);
}

static void report_error(const char *name, const char *why)
{
	say("MICROBENCH %s error=%s\n", name, why);
}

/* Waits up to a second for *count to move past seen; 0 if it never did. */
static int wait_change(volatile u32 *count, u32 seen)
{
	u64 t0 = now();

	while (*count == seen)
		if (now() - t0 > freq)
			return 0;
	return 1;
}

/*
 * Each benchmark: WARMUP untimed rounds, then dt.n timed ones, a sample each. The
 * operation is bracketed by now(): the "timer" row is that bracket alone.
 */
#define BENCH(i, ...) for (int i = -WARMUP; i < (int)dt.n; i++) { __VA_ARGS__ }

static void bench_single(void)
{
	u32 sink = 0;

	BENCH(i, u64 t0 = now(); u64 t1 = now(); if (i >= 0) samples[i] = t1 - t0;)
	report("timer_ns", samples, dt.n);

	/* A call the level below answers at once: QEMU natively, the hypervisor otherwise. */
	BENCH(i, u64 t0 = now(); psci(PSCI_VERSION, 0, 0, 0); u64 t1 = now();
	      if (i >= 0) samples[i] = t1 - t0;)
	report("null_trap_ns", samples, dt.n);

	/* A register that has to be emulated: trapped to the hypervisor, or QEMU's MMIO path. */
	if (!dt.gicd) {
		report_error("mmio_read_ns", "no_gicv3_in_the_device_tree");
		return;
	}
	BENCH(i, u64 t0 = now(); sink += rd32(dt.gicd + GICD_TYPER); u64 t1 = now();
	      if (i >= 0) samples[i] = t1 - t0;)
	report("mmio_read_ns", samples, dt.n);
	(void)sink;
}

static void bench_eoi(void)
{
	BENCH(i, u32 seen = self_count; u64 t0 = now(); send_sgi(SGI_SELF, cpu_mpidr[0]);
	      if (!wait_change(&self_count, seen)) {
		      report_error("eoi_ns", "self_sgi_never_arrived");
		      report_error("self_sgi_ns", "self_sgi_never_arrived");
		      return;
	      }
	      u64 t1 = now();
	      if (i >= 0) { samples[i] = t1 - t0; samples2[i] = eoi_ticks; })
	report("eoi_ns", samples2, dt.n);
	report("self_sgi_ns", samples, dt.n);
}

/* CPU 1 (any CPU of the DT but us) with PSCI CPU_ON; NULL or why not. */
static const char *start_cpu1(void)
{
	u32 i = 0;

	while (i < dt.ncpus && (dt.mpidr[i] & 0xff00ffffffUL) == cpu_mpidr[0])
		i++;
	if (i == dt.ncpus)
		return "only_one_cpu_in_the_device_tree";
	cpu_mpidr[1] = dt.mpidr[i];
	/* MMU off: secondary_entry's address (PC-relative) is its physical address. */
	if (psci(PSCI_CPU_ON, cpu_mpidr[1], (u64)secondary_entry, 1))
		return "psci_cpu_on_failed";
	if (!wait_change(&cpu1_ready, 0))
		return "cpu1_did_not_start";
	return 0;
}

static void bench_ipi(void)
{
	const char *err = start_cpu1();

	if (err) {
		report_error("ipi_ns", err);
		return;
	}
	BENCH(i, u32 seen = pongs; u64 t0 = now(); send_sgi(SGI_PING, cpu_mpidr[1]);
	      if (!wait_change(&pongs, seen)) {
		      report_error("ipi_ns", "no_reply_within_1s");
		      return;
	      }
	      u64 t1 = now();
	      if (i >= 0) samples[i] = t1 - t0;)
	report("ipi_ns", samples, dt.n);
}

void microbench_main(const u8 *fdt)
{
	if (kernel_dt_read(fdt)) /* no device tree: no console, no conduit; hang */
		for (;;)
			asm volatile("wfi");
	if (!dt.n || dt.n > N_MAX)
		dt.n = N_DEFAULT;
	freq = sysreg_read(cntfrq_el0);
	ticks_to_ns10 = (10000000000UL << 16) / freq;
	cpu_mpidr[0] = sysreg_read(mpidr_el1) & 0xff00ffffffUL;
	say("MICROBENCH-START console=%s conduit=%s cntfrq=%u\n", dt.uart ? "pl011" : "xen",
	    dt.smc ? "smc" : "hvc", freq);
	gic_init_dist();
	bench_single();
	if (!dt.gicd || gic_init_bench_cpu()) {
		report_error("eoi_ns", "no_gicv3_redistributor_found");
		report_error("self_sgi_ns", "no_gicv3_redistributor_found");
		report_error("ipi_ns", "no_gicv3_redistributor_found");
	} else {
		asm volatile("msr daifclr, #2");
		bench_eoi();
		bench_ipi();
	}
	say("MICROBENCH-DONE\n");
	power_off();
}
