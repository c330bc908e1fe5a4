/* SPDX-License-Identifier: MIT */
/*
 * Synchronous exceptions: what a probe provoked (an undefined instruction, a
 * data or instruction abort) is recorded, ESR and FAR, and the vCPU resumes
 * after the faulting instruction, so a case can assert "this access was
 * undefined/aborted". An instruction abort from a branch to nowhere resumes
 * at the link register. Anything outside a probe counts as unexpected and
 * is reported as a failed case by the next check.
 */
#include "hostile.h"

struct frame {
	u64 x[31];
	u64 elr, spsr;
};

void kernel_trap(u64 kind, struct frame *f);


void kernel_cpu_init(u64 idx)
{
	struct cpu *c = &cpus[idx];

	asm volatile("msr tpidr_el1, %0" : : "r"(c));
	asm volatile("msr vbar_el1, %0; isb" : : "r"((u64)vectors));
	c->id = idx;
}

void kernel_trap(u64 kind, struct frame *f)
{
	struct cpu *c = this_cpu();
	u64 esr, far;

	asm volatile("mrs %0, esr_el1" : "=r"(esr));
	asm volatile("mrs %0, far_el1" : "=r"(far));
	c->last.esr = esr;
	c->last.far = far;
	c->last.elr = f->elr;
	c->traps++;
	/* Only synchronous exceptions from EL1 itself are expected: all else is masked. */
	if (kind != 4 || !c->probing)
		c->unexpected++;
	if (kind != 4 && kind != 0)
		return; /* an interrupt or SError: resume where we were */
	if (ESR_EC(esr) == EC_IABT_CUR && far == f->elr)
		f->elr = f->x[30]; /* a branch-and-link to nowhere: back to the caller */
	else if (c->resume_at)
		f->elr = c->resume_at;
	else
		f->elr += 4;
	c->resume_at = 0;
}

static u64 probe_start[MAX_CPUS];

void probe_begin(void)
{
	struct cpu *c = this_cpu();

	probe_start[c->id] = c->traps;
	c->probing = 1;
	barrier_full();
}

struct probe probe_end(void)
{
	struct cpu *c = this_cpu();
	struct probe p = { 0 };

	barrier_full();
	c->probing = 0;
	if (c->traps != probe_start[c->id]) {
		p.trapped = true;
		p.esr = c->last.esr;
		p.far = c->last.far;
	}
	return p;
}

struct probe probe_read64(u64 pa, u64 *val)
{
	u64 v = 0xbad0bad0bad0bad0UL;

	probe_begin();
	asm volatile("ldr %0, [%1]; nop" : "+r"(v) : "r"(pa) : "memory");
	*val = v;
	return probe_end();
}
