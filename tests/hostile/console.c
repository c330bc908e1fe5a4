/* SPDX-License-Identifier: MIT */
/*
 * Our console: Xen's console ring (struct xencons_interface) at the page the
 * toolstack names in HVM_PARAM_CONSOLE_PFN, drained by dom0's console daemon
 * after each notification on HVM_PARAM_CONSOLE_EVTCHN. And the case reporter
 * that writes to it: one line a case, "ok|FAIL <name>: <got> (want <want>)".
 * Only the first vCPU writes here; the others report through it.
 */
#include <stdarg.h>

#include "hostile.h"

struct xencons {
	char in[1024];
	char out[2048];
	u32 in_cons, in_prod, out_cons, out_prod;
};

volatile void *con_ring;
static u32 con_port;
unsigned int cases, failed;
static u64 seen_unexpected[MAX_CPUS];

void con_init(u64 ring_gfn, u32 port)
{
	con_ring = (volatile void *)(ring_gfn << 12);
	con_port = port;
}

static void notify(void)
{
	struct evtchn_send s = { .port = con_port };

	hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &s, 0);
}

void con_write(const char *s, size_t n)
{
	volatile struct xencons *r = con_ring;
	u64 deadline = 0;

	if (!r)
		return;
	for (size_t i = 0; i < n; i++) {
		while (r->out_prod - r->out_cons >= sizeof(r->out)) {
			/* Full: let the daemon drain it. Ten seconds, then output is dropped. */
			notify();
			if (!deadline)
				deadline = now_ns() + 10000000000UL;
			if (now_ns() > deadline)
				return;
			yield();
		}
		r->out[r->out_prod % sizeof(r->out)] = s[i];
		barrier_full();
		r->out_prod++;
	}
	notify();
}

void con_puts(const char *s)
{
	char buf[256];
	size_t n = 0;

	/* Lines end in CRLF, as a terminal wants them. */
	for (; *s; s++) {
		if (*s == '\n')
			buf[n++] = '\r';
		buf[n++] = *s;
		if (n >= sizeof(buf) - 2) {
			con_write(buf, n);
			n = 0;
		}
	}
	con_write(buf, n);
}

void con_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	fmt_buf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	con_puts(buf);
}

/* Waits (up to a few seconds) until dom0 has taken everything we wrote. */
void con_flush(void)
{
	volatile struct xencons *r = con_ring;
	u64 deadline = now_ns() + 5000000000UL;

	while (r && r->out_cons != r->out_prod && now_ns() < deadline) {
		notify();
		yield();
	}
}

/* An exception no probe asked for, on any vCPU since the last case: a failed case of its own. */
static void report_unexpected(void)
{
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		struct cpu *c = &cpus[i];

		if (c->unexpected != seen_unexpected[i]) {
			seen_unexpected[i] = c->unexpected;
			cases++;
			failed++;
			con_printf("FAIL unexpected exception on vCPU %u: ESR %lx FAR %lx ELR %lx (want none)\n",
				   i, c->last.esr, c->last.far, c->last.elr);
		}
	}
}

static bool report(const char *name, bool ok, const char *got, const char *want)
{
	report_unexpected();
	cases++;
	if (!ok)
		failed++;
	con_printf("%s %s: %s (want %s)\n", ok ? "ok" : "FAIL", name, got, want);
	return ok;
}

bool check(const char *name, long got, long want)
{
	char g[24], w[24];

	snfmt(g, sizeof(g), "%ld", got);
	snfmt(w, sizeof(w), "%ld", want);
	return report(name, got == want, g, w);
}

bool check_hex(const char *name, u64 got, u64 want)
{
	char g[24], w[24];

	snfmt(g, sizeof(g), "%lx", got);
	snfmt(w, sizeof(w), "%lx", want);
	return report(name, got == want, g, w);
}

bool check_true(const char *name, bool ok, const char *got, const char *want)
{
	return report(name, ok, got, want);
}

bool checkf(const char *name, bool ok, const char *want, const char *fmt, ...)
{
	char got[200];
	va_list ap;

	va_start(ap, fmt);
	fmt_buf(got, sizeof(got), fmt, ap);
	va_end(ap);
	return report(name, ok, got, want);
}

static void describe(char *buf, size_t n, struct probe p)
{
	if (!p.trapped)
		snfmt(buf, n, "no exception");
	else if (ESR_EC(p.esr) == EC_UNKNOWN)
		snfmt(buf, n, "undefined (ESR %lx)", p.esr);
	else if (ESR_EC(p.esr) == EC_DABT_CUR)
		snfmt(buf, n, "data abort at %lx (ESR %lx)", p.far, p.esr);
	else if (ESR_EC(p.esr) == EC_IABT_CUR)
		snfmt(buf, n, "instruction abort at %lx (ESR %lx)", p.far, p.esr);
	else
		snfmt(buf, n, "exception ESR %lx FAR %lx", p.esr, p.far);
}

bool check_undef(const char *name, struct probe p)
{
	char got[80];

	describe(got, sizeof(got), p);
	return report(name, p.trapped && ESR_EC(p.esr) == EC_UNKNOWN, got, "undefined");
}

/* An abort the guest sees as a data abort at far (its syndrome's fault code is not compared). */
bool check_dabt(const char *name, struct probe p, u64 far)
{
	char got[80], want[48];

	describe(got, sizeof(got), p);
	snfmt(want, sizeof(want), "data abort at %lx", far);
	return report(name, p.trapped && ESR_EC(p.esr) == EC_DABT_CUR && p.far == far, got, want);
}

bool check_no_trap(const char *name, struct probe p)
{
	char got[80];

	describe(got, sizeof(got), p);
	return report(name, !p.trapped, got, "no exception");
}
