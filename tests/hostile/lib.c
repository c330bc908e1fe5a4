/* SPDX-License-Identifier: MIT */
/* Freestanding helpers: the calls into the hypervisor, time, strings, formatting, the device tree. */
#include <stdarg.h>

#include "hostile.h"

/*
 * A Xen hypercall: number in x16, arguments in x0..x4, result in x0. Xen
 * documents the argument registers and x16 as clobbered (debug builds write
 * 0xDEADBEEF into them), so they are all outputs here.
 */
long hypercall5(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	register u64 x0 asm("x0") = a0, x1 asm("x1") = a1, x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3, x4 asm("x4") = a4, x16 asm("x16") = nr;

	asm volatile("hvc #0xea1"
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x16)
		     :
		     : "memory");
	return (long)x0;
}

/* SMCCC 1.1 over HVC #0: results in x0..x3, x4..x17 preserved. */
struct smccc_res smccc(u64 fid, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 asm("x0") = fid, x1 asm("x1") = a1, x2 asm("x2") = a2, x3 asm("x3") = a3;

	asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return (struct smccc_res){ x0, x1, x2, x3 };
}

u64 now_ns(void)
{
	u64 cnt, frq;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
	asm volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	if (!frq)
		frq = 62500000;
	return cnt / frq * 1000000000UL + cnt % frq * 1000000000UL / frq;
}

void yield(void)
{
	hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
}

size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

bool mem_eq(const void *a, const void *b, size_t n)
{
	const volatile u8 *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

void mem_set(void *p, int c, size_t n)
{
	volatile u8 *d = p;

	for (size_t i = 0; i < n; i++)
		d[i] = (u8)c;
}

void mem_copy(void *d, const void *s, size_t n)
{
	volatile u8 *dd = d;
	const volatile u8 *ss = s;

	for (size_t i = 0; i < n; i++)
		dd[i] = ss[i];
}

long parse_long(const char *s)
{
	long v = 0;
	bool neg = *s == '-';

	if (neg)
		s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}

/* A page of words that depend on seed and position, and the check that it still holds them. */
void fill_page(u64 pa, u32 seed)
{
	for (u64 i = 0; i < PAGE_SIZE / 4; i++)
		wr32(pa + i * 4, seed * 2654435761U + (u32)i);
}

bool page_has(u64 pa, u32 seed)
{
	for (u64 i = 0; i < PAGE_SIZE / 4; i++)
		if (rd32(pa + i * 4) != seed * 2654435761U + (u32)i)
			return false;
	return true;
}

/* ---- Formatting: %s %c %d %u %x with an optional l, and %% ---- */

struct out {
	char *buf;
	size_t size, used;
};

static void emit(struct out *o, char c)
{
	if (o->used + 1 < o->size)
		o->buf[o->used] = c;
	o->used++;
}

static void emit_num(struct out *o, u64 v, unsigned int base, bool neg)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		emit(o, '-');
	while (i)
		emit(o, tmp[--i]);
}

int fmt_buf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool lng = false;

		if (*fmt != '%') {
			emit(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == 'l') {
			lng = true;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			while (s && *s)
				emit(&o, *s++);
			break;
		}
		case 'c':
			emit(&o, (char)va_arg(ap, int));
			break;
		case 'd': {
			s64 v = lng ? va_arg(ap, long) : va_arg(ap, int);

			emit_num(&o, v < 0 ? (u64)-v : (u64)v, 10, v < 0);
			break;
		}
		case 'u':
			emit_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 10, false);
			break;
		case 'x':
			emit(&o, '0');
			emit(&o, 'x');
			emit_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 16, false);
			break;
		case '%':
			emit(&o, '%');
			break;
		default:
			emit(&o, '?');
		}
	}
	if (size)
		buf[o.used < size ? o.used : size - 1] = 0;
	return (int)o.used;
}

int snfmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_buf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* ---- Device tree: the few things the toolstack tells us (flattened, big-endian) ---- */

static u32 be32(u64 pa)
{
	return __builtin_bswap32(rd32(pa));
}

static bool name_is(u64 pa, const char *want, bool prefix)
{
	size_t i;

	for (i = 0; want[i]; i++)
		if (*(volatile char *)(pa + i) != want[i])
			return false;
	return prefix || *(volatile char *)(pa + i) == 0 || *(volatile char *)(pa + i) == '@';
}

bool dt_parse(u64 fdt, struct dt_info *out)
{
	u64 p, strings;
	int depth = 0;
	bool in_cpus = false, in_chosen = false, in_memory = false;

	mem_set(out, 0, sizeof(*out));
	out->bootargs = "";
	if (!fdt || (fdt & 3) || be32(fdt) != 0xd00dfeed)
		return false;
	p = fdt + be32(fdt + 8);
	strings = fdt + be32(fdt + 12);
	for (;;) {
		u32 tok = be32(p);

		p += 4;
		if (tok == 1) { /* begin node */
			u64 name = p;

			depth++;
			if (depth == 2) {
				in_cpus = name_is(name, "cpus", false);
				in_chosen = name_is(name, "chosen", false);
				in_memory = name_is(name, "memory", false);
			} else if (depth == 3 && in_cpus && name_is(name, "cpu@", true)) {
				out->cpus++;
			}
			while (*(volatile char *)p)
				p++;
			p = (p + 4) & ~3UL;
		} else if (tok == 2) { /* end node */
			depth--;
		} else if (tok == 3) { /* property */
			u32 len = be32(p), nameoff = be32(p + 4);
			u64 val = p + 8, name = strings + nameoff;

			if (depth == 2 && in_chosen && name_is(name, "bootargs", false))
				out->bootargs = (const char *)val;
			if (depth == 2 && in_memory && name_is(name, "reg", false) && len >= 16) {
				out->ram_base = (u64)be32(val) << 32 | be32(val + 4);
				out->ram_size = (u64)be32(val + 8) << 32 | be32(val + 12);
			}
			p = (val + len + 3) & ~3UL;
		} else if (tok == 4) { /* nop */
		} else {
			break; /* end, or something we do not read */
		}
	}
	return out->cpus > 0 && out->ram_size > 0;
}
