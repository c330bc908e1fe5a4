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

/* Every symbol is ours: PC-relative, never through a GOT that would need relocating. */
#pragma GCC visibility push(hidden)

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define N_MAX 4096
#define N_DEFAULT 2000
#define WARMUP 100

#define PSCI_VERSION 0x84000000UL
#define PSCI_CPU_ON 0xc4000003UL
#define PSCI_SYSTEM_OFF 0x84000008UL
#define XEN_CONSOLE_IO 18 /* __HYPERVISOR_console_io, CONSOLEIO_write = 0 */

#define GICD_CTLR 0x0
#define GICD_TYPER 0x4
#define GICR_TYPER 0x8
#define GICR_WAKER 0x14
#define GICR_IGROUPR0 0x10080 /* in the SGI frame, 64 KiB above RD_base */
#define GICR_ISENABLER0 0x10100
#define GICR_IPRIORITYR0 0x10400
#define SGI_PING 1 /* IPI round trip: CPU 0 -> CPU 1 -> CPU 0 */
#define SGI_SELF 2 /* CPU 0 to itself: the EOI benchmark */

#define sysreg_read(r) ({ u64 __v; asm volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define sysreg_write(r, v) asm volatile("msr " #r ", %0" : : "r"((u64)(v)) : "memory")
/* GICv3 CPU interface by encoding (under a hypervisor these reach the ICV_ registers). */
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1 S3_0_C12_C11_5

void secondary_entry(void);

static struct {
	u64 gicd, gicr, uart;
	int xen, smc;          /* console through Xen's console_io; PSCI over SMC, not HVC */
	u64 mpidr[8];          /* from /cpus, in tree order */
	u32 ncpus, n;
	char stdout_path[64];  /* /chosen/stdout-path, options cut off */
} dt;

static u64 freq, ticks_to_ns10;  /* 10 * ns = ticks * ticks_to_ns10 >> 16 */
static u32 samples[N_MAX], samples2[N_MAX];
static volatile u32 cpu1_ready, pongs, self_count;
static volatile u64 eoi_ticks;
static u64 cpu_mpidr[2];

static inline u32 rd32(u64 a) { return *(volatile u32 *)a; }
static inline u64 rd64(u64 a) { return *(volatile u64 *)a; }
static inline void wr32(u64 a, u32 v) { *(volatile u32 *)a = v; }

/* The counter, after every earlier instruction: the ISB keeps it from being read early. */
static inline u64 now(void)
{
	u64 t;

	asm volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t) : : "memory");
	return t;
}

/* An SMCCC call over the DT's conduit: what the level below us (QEMU, Xen, Domus) answers. */
#define SMCCC(insn) asm volatile(insn : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "x4", "x5", \
	"x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory")

static u64 psci(u64 fid, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 asm("x0") = fid, x1 asm("x1") = a1, x2 asm("x2") = a2, x3 asm("x3") = a3;

	if (dt.smc)
		SMCCC("smc #0");
	else
		SMCCC("hvc #0");
	return x0;
}

/* --- console: a line at a time, so that Xen gets one hypercall per line */

static char line[160];
static u32 line_len;

static void flush(void)
{
	if (dt.xen) {
		register u64 x0 asm("x0") = 0, x1 asm("x1") = line_len, x2 asm("x2") = (u64)line;
		register u64 x16 asm("x16") = XEN_CONSOLE_IO;

		/* MMU off: the buffer's VA is its guest-physical address, as Xen expects. */
		asm volatile("hvc #0xea1" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x16) : :
			     "x3", "x4", "x5", "memory");
	} else if (dt.uart) {
		for (u32 i = 0; i < line_len; i++) {
			while (rd32(dt.uart + 0x18) & (1 << 5)) /* PL011 FR.TXFF */
				;
			wr32(dt.uart, (u8)line[i]);
		}
	}
	line_len = 0;
}

static void out_c(char c)
{
	if (c == '\n' && !dt.xen) /* Xen's console adds its own CR */
		out_c('\r');
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		flush();
}

static void out_u(u64 v, u32 base)
{
	char buf[24];
	int i = 0;

	do
		buf[i++] = "0123456789abcdef"[v % base];
	while (v /= base);
	while (i)
		out_c(buf[--i]);
}

/* %s; %u and %x of a u64 (cast: a variadic u32's upper half is not defined); %t: tenths as 12.3 */
static void say(const char *fmt, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, fmt);
	for (; *fmt; fmt++) {
		u64 v;

		if (*fmt != '%') {
			out_c(*fmt);
		} else if (*++fmt == 's') {
			for (const char *s = __builtin_va_arg(ap, const char *); *s; s++)
				out_c(*s);
		} else {
			v = __builtin_va_arg(ap, u64);
			out_u(*fmt == 't' ? v / 10 : v, *fmt == 'x' ? 16 : 10);
			if (*fmt == 't')
				out_c('.'), out_c('0' + v % 10);
		}
	}
	__builtin_va_end(ap);
}

/* --- device tree: one walk over the structure block; a node is visited at its end */

enum { P_COMPAT, P_REG, P_TYPE, P_METHOD, P_STDOUT, P_BOOTARGS, P_ACELLS, P_SCELLS, NPROPS };
static const char prop_names[NPROPS][16] = { /* not pointers: those would need relocating */
	"compatible", "reg", "device_type", "method", "stdout-path", "bootargs",
	"#address-cells", "#size-cells",
};

struct node {
	const char *name;
	const u8 *prop[NPROPS]; /* the properties we care about, NULL if absent */
	u32 len[NPROPS];
	u32 path_len;           /* its path is path[0, path_len) */
};

#define STR(n, p) ((const char *)(n)->prop[p])

static char path[256];

static u32 be32(const u8 *p) { return (u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static u32 slen(const char *s)
{
	u32 n = 0;

	while (s[n])
		n++;
	return n;
}

/* "psci" matches the node psci and psci@..., the unit address being optional. */
static int name_is(const struct node *n, const char *s)
{
	u32 i = 0;

	while (s[i] && n->name[i] == s[i])
		i++;
	return !s[i] && (!n->name[i] || n->name[i] == '@');
}

static int has_compat(const struct node *n, const char *c)
{
	for (u32 i = 0; n->prop[P_COMPAT] && i < n->len[P_COMPAT]; i += slen(STR(n, P_COMPAT) + i) + 1)
		if (streq(STR(n, P_COMPAT) + i, c))
			return 1;
	return 0;
}

static u32 cells(const struct node *n, int p, u32 dflt)
{
	return n->prop[p] ? be32(n->prop[p]) : dflt;
}

/* The address of reg entry i, in the parent's #address-cells and #size-cells. */
static u64 reg_addr(const struct node *n, const struct node *parent, u32 i)
{
	u32 ac = cells(parent, P_ACELLS, 2), stride = ac + cells(parent, P_SCELLS, 1);
	u64 a = 0;

	if (!n->prop[P_REG] || (i * stride + ac) * 4 > n->len[P_REG])
		return 0;
	for (u32 c = 0; c < ac; c++)
		a = a << 32 | be32(n->prop[P_REG] + 4 * (i * stride + c));
	return a;
}

static void visit(int pass, const struct node *n, const struct node *parent, int depth)
{
	const char *s;

	if (pass == 0) { /* /chosen first: pass 1 matches the UART's path against it */
		if (depth != 1 || !streq(n->name, "chosen"))
			return;
		for (u32 i = 0; (s = STR(n, P_STDOUT)) && s[i] && s[i] != ':' &&
				i < sizeof(dt.stdout_path) - 1; i++)
			dt.stdout_path[i] = s[i];
		for (s = STR(n, P_BOOTARGS); s && *s; s++)
			if ((s == STR(n, P_BOOTARGS) || s[-1] == ' ') && s[0] == 'n' && s[1] == '=')
				for (s += 2, dt.n = 0; *s >= '0' && *s <= '9'; s++)
					dt.n = dt.n * 10 + (*s - '0');
		return;
	}
	if (depth == 1 && name_is(n, "hypervisor") && has_compat(n, "xen,xen"))
		dt.xen = 1;
	if (depth == 1 && name_is(n, "psci") && n->prop[P_METHOD])
		dt.smc = streq(STR(n, P_METHOD), "smc");
	if (has_compat(n, "arm,gic-v3")) {
		dt.gicd = reg_addr(n, parent, 0);
		dt.gicr = reg_addr(n, parent, 1);
	}
	if (n->prop[P_TYPE] && streq(STR(n, P_TYPE), "cpu") && dt.ncpus < 8)
		dt.mpidr[dt.ncpus++] = reg_addr(n, parent, 0);
	if (has_compat(n, "arm,pl011") && n->path_len < sizeof(dt.stdout_path) &&
	    !dt.stdout_path[n->path_len]) {
		u32 i = 0;

		while (i < n->path_len && path[i] == dt.stdout_path[i])
			i++;
		if (i == n->path_len)
			dt.uart = reg_addr(n, parent, 0);
	}
}

static void fdt_walk(const u8 *fdt, int pass)
{
	const u8 *p = fdt + be32(fdt + 8);                        /* off_dt_struct */
	const char *strings = (const char *)fdt + be32(fdt + 12); /* off_dt_strings */
	struct node stack[12], *n = stack;
	int depth = -1;

	for (;;) {
		u32 tok = be32(p);

		p += 4;
		if (tok == 1 && depth < 11) {                   /* FDT_BEGIN_NODE */
			u32 len = slen((const char *)p), at = depth < 0 ? 0 : n->path_len;

			n = &stack[++depth];
			*n = (struct node){ .name = (const char *)p, .path_len = at };
			if (depth > 0 && at + len + 1 < sizeof(path)) {
				path[at] = '/';
				for (u32 i = 0; i < len; i++)
					path[at + 1 + i] = n->name[i];
				n->path_len = at + 1 + len;
			}
			p += (len + 4) & ~3u;
		} else if (tok == 2 && depth >= 0) {            /* FDT_END_NODE */
			visit(pass, n, depth ? n - 1 : n, depth);
			n = &stack[--depth < 0 ? 0 : depth];
		} else if (tok == 3 && depth >= 0) {            /* FDT_PROP */
			u32 len = be32(p);

			for (int i = 0; i < NPROPS; i++)
				if (streq(strings + be32(p + 4), prop_names[i]))
					n->prop[i] = p + 8, n->len[i] = len;
			p += 8 + ((len + 3) & ~3u);
		} else if (tok != 4) {                          /* not FDT_NOP: FDT_END, or junk */
			return;
		}
	}
}

/* --- GICv3 */

static u64 my_rdist(void)
{
	u64 m = sysreg_read(mpidr_el1), r = dt.gicr;
	u64 aff = (m & 0xffffff) | (m >> 32 & 0xff) << 24; /* Aff3.2.1.0, as in GICR_TYPER */

	for (int i = 0; r && i < 256; i++) {
		u64 typer = rd64(r + GICR_TYPER);

		if (typer >> 32 == aff)
			return r;
		if (typer & (1 << 4)) /* Last */
			break;
		r += typer & (1 << 1) ? 0x40000 : 0x20000; /* GICv4 has two more frames */
	}
	return 0;
}

/* This CPU's redistributor and CPU interface: SGIs 1 and 2 enabled, group 1, priority 0xa0. */
static int gic_init_cpu(void)
{
	u64 r = my_rdist();

	if (!r)
		return -1;
	wr32(r + GICR_WAKER, rd32(r + GICR_WAKER) & ~2u); /* ProcessorSleep: natively 1 */
	for (int i = 0; i < 1000000 && (rd32(r + GICR_WAKER) & 4); i++) /* ChildrenAsleep */
		;
	wr32(r + GICR_IGROUPR0, rd32(r + GICR_IGROUPR0) | 1 << SGI_PING | 1 << SGI_SELF);
	wr32(r + GICR_IPRIORITYR0, 0xa0a0a0a0);
	wr32(r + GICR_ISENABLER0, 1 << SGI_PING | 1 << SGI_SELF);
	sysreg_write(ICC_SRE_EL1, sysreg_read(ICC_SRE_EL1) | 1);
	asm volatile("isb");
	sysreg_write(ICC_PMR_EL1, 0xff);
	sysreg_write(ICC_CTLR_EL1, sysreg_read(ICC_CTLR_EL1) & ~2UL); /* EOImode 0: EOI deactivates */
	sysreg_write(ICC_IGRPEN1_EL1, 1);
	asm volatile("isb");
	return 0;
}

static void send_sgi(u32 intid, u64 mpidr)
{
	u64 aff0 = mpidr & 0xff;

	sysreg_write(ICC_SGI1R_EL1, (mpidr >> 32 & 0xff) << 48 | (mpidr >> 16 & 0xff) << 32 |
		     (aff0 >> 4) << 44 | (u64)intid << 24 | (mpidr >> 8 & 0xff) << 16 |
		     1UL << (aff0 & 15));
	asm volatile("isb");
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
	if (gic_init_cpu() == 0) {
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
	if (be32(fdt) != 0xd00dfeed) /* no device tree: no console, no conduit; hang */
		for (;;)
			asm volatile("wfi");
	fdt_walk(fdt, 0);
	fdt_walk(fdt, 1);
	if (!dt.n || dt.n > N_MAX)
		dt.n = N_DEFAULT;
	freq = sysreg_read(cntfrq_el0);
	ticks_to_ns10 = (10000000000UL << 16) / freq;
	cpu_mpidr[0] = sysreg_read(mpidr_el1) & 0xff00ffffffUL;
	say("MICROBENCH-START console=%s conduit=%s cntfrq=%u\n", dt.xen ? "xen" : "pl011",
	    dt.smc ? "smc" : "hvc", freq);
	if (dt.gicd) {
		wr32(dt.gicd + GICD_CTLR, rd32(dt.gicd + GICD_CTLR) | 1 << 4 | 1 << 1); /* ARE, Grp1 */
		for (int i = 0; i < 1000000 && (rd32(dt.gicd + GICD_CTLR) & 1u << 31); i++) /* RWP */
			;
	}
	bench_single();
	if (!dt.gicd || gic_init_cpu()) {
		report_error("eoi_ns", "no_gicv3_redistributor_found");
		report_error("self_sgi_ns", "no_gicv3_redistributor_found");
		report_error("ipi_ns", "no_gicv3_redistributor_found");
	} else {
		asm volatile("msr daifclr, #2");
		bench_eoi();
		bench_ipi();
	}
	say("MICROBENCH-DONE\n");
	psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}
