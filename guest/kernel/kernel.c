/* SPDX-License-Identifier: MIT */
/* Our freestanding kernels' common layer (kernel.h): device tree, console, PSCI, GICv3 setup. */
#include "kernel.h"

#define XEN_CONSOLE_IO 18 /* __HYPERVISOR_console_io, CONSOLEIO_write = 0 */

struct kernel_dt dt;

/* An SMCCC call over the DT's conduit: what the level below us (QEMU, Xen, Domus) answers. */
#define SMCCC(insn) asm volatile(insn : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "x4", "x5", \
	"x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory")

u64 psci(u64 fid, u64 a1, u64 a2, u64 a3)
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
	if (dt.uart) {
		for (u32 i = 0; i < line_len; i++) {
			while (rd32(dt.uart + 0x18) & (1 << 5)) /* PL011 FR.TXFF */
				;
			wr32(dt.uart, (u8)line[i]);
		}
	} else if (dt.xen) {
		register u64 x0 asm("x0") = 0, x1 asm("x1") = line_len, x2 asm("x2") = (u64)line;
		register u64 x16 asm("x16") = XEN_CONSOLE_IO;

		/* MMU off: the buffer's VA is its guest-physical address, as Xen expects. */
		asm volatile("hvc #0xea1" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x16) : :
			     "x3", "x4", "x5", "memory");
	}
	line_len = 0;
}

static void out_c(char c)
{
	if (c == '\n' && dt.uart) /* Xen's console adds its own CR */
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
void say(const char *fmt, ...)
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
		for (u32 i = 0; (s = STR(n, P_BOOTARGS)) && s[i] && i < sizeof(dt.bootargs) - 1; i++)
			dt.bootargs[i] = s[i];
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
	/* A guest's emulated UART (Xen's vpl011): its trees name no stdout-path. */
	if (has_compat(n, "arm,sbsa-uart") && !dt.stdout_path[0] && !dt.uart)
		dt.uart = reg_addr(n, parent, 0);
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

u64 my_rdist(void)
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

void gic_init_dist(void)
{
	if (!dt.gicd)
		return;
	wr32(dt.gicd + GICD_CTLR, rd32(dt.gicd + GICD_CTLR) | 1 << 4 | 1 << 1); /* ARE, Grp1 */
	for (int i = 0; i < 1000000 && (rd32(dt.gicd + GICD_CTLR) & 1u << 31); i++) /* RWP */
		;
}

/* Every SGI and PPI group 1, priority 0xa0, none enabled: the caller enables its own. */
int gic_init_cpu(void)
{
	u64 r = my_rdist();

	if (!r)
		return -1;
	wr32(r + GICR_WAKER, rd32(r + GICR_WAKER) & ~2u); /* ProcessorSleep: natively 1 */
	for (int i = 0; i < 1000000 && (rd32(r + GICR_WAKER) & 4); i++) /* ChildrenAsleep */
		;
	wr32(r + GICR_IGROUPR0, 0xffffffff);
	for (int i = 0; i < 8; i++)
		wr32(r + GICR_IPRIORITYR0 + 4 * i, 0xa0a0a0a0);
	sysreg_write(ICC_SRE_EL1, sysreg_read(ICC_SRE_EL1) | 1);
	asm volatile("isb");
	sysreg_write(ICC_PMR_EL1, 0xff);
	sysreg_write(ICC_CTLR_EL1, sysreg_read(ICC_CTLR_EL1) & ~2UL); /* EOImode 0: EOI deactivates */
	sysreg_write(ICC_IGRPEN1_EL1, 1);
	asm volatile("isb");
	return 0;
}

void send_sgi(u32 intid, u64 mpidr)
{
	u64 aff0 = mpidr & 0xff;

	sysreg_write(ICC_SGI1R_EL1, (mpidr >> 32 & 0xff) << 48 | (mpidr >> 16 & 0xff) << 32 |
		     (aff0 >> 4) << 44 | (u64)intid << 24 | (mpidr >> 8 & 0xff) << 16 |
		     1UL << (aff0 & 15));
	asm volatile("isb");
}

int kernel_dt_read(const u8 *fdt)
{
	if (be32(fdt) != 0xd00dfeed)
		return -1;
	fdt_walk(fdt, 0);
	fdt_walk(fdt, 1);
	return 0;
}

void power_off(void)
{
	psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}
