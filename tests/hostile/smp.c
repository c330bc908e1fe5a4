/* SPDX-License-Identifier: MIT */
/*
 * More vCPUs: PSCI CPU_ON brings vCPU n in at secondary_entry (head.S) with
 * n as its context id; it takes its own stack and then serves a mailbox, one
 * function at a time, yielding while there is none. The first vCPU posts
 * work (smp_post/smp_wait, or smp_call for both). A vCPU is parked again with
 * CPU_OFF when a phase is over, so idle ones cost the host nothing.
 *
 * The race phase: vCPU 1 turns itself off as soon as it comes in while the
 * others keep turning it back on; psci.c counts the outcomes, and with
 * "race" on the command line it goes on until the domain is destroyed.
 */
#include "hostile.h"

struct cpu cpus[MAX_CPUS];
unsigned int nr_cpus;
volatile bool race_forever;

/* Race state shared with psci.c: the round, and when vCPU 1 may turn itself off again. */
volatile u64 race_round, race_release;
volatile bool race_bounce;
volatile u64 race_entries;

void kernel_secondary_main(u64 idx);

u64 mpidr_of(unsigned int cpu)
{
	return ((u64)(cpu / 16) << 8) | (cpu % 16);
}

static long cpu_off(long unused)
{
	struct cpu *c = this_cpu();

	(void)unused;
	c->online = 0;
	c->done = c->seq;
	barrier_full();
	return psci(PSCI_CPU_OFF, 0, 0, 0); /* only on failure */
}

void kernel_secondary_main(u64 idx)
{
	struct cpu *c = this_cpu();

	(void)idx;
	if (race_bounce && c->id == 1) {
		/* The race target: say we came in, wait for the round to be judged, go again. */
		race_entries++;
		c->online = 1;
		barrier_full();
		while (race_release < race_round && !race_forever)
			yield();
		c->online = 0;
		barrier_full();
		psci(PSCI_CPU_OFF, 0, 0, 0);
	}
	c->done = c->seq; /* whatever was posted before a CPU_OFF is forgotten */
	c->online = 1;
	barrier_full();
	for (;;) {
		long (*fn)(long);

		while (c->seq == c->done)
			yield();
		barrier_full();
		fn = c->fn;
		c->result = fn(c->arg);
		barrier_full();
		c->done = c->seq;
	}
}

/* CPU_ON for vCPU cpu and a wait (5 s) until it runs: the PSCI result. */
s64 smp_start(unsigned int cpu)
{
	u64 deadline = now_ns() + 5000000000UL;
	s64 rc;

	cpus[cpu].online = 0;
	barrier_full();
	rc = psci(PSCI_CPU_ON, mpidr_of(cpu), (u64)secondary_entry, cpu);
	if (rc != PSCI_SUCCESS)
		return rc;
	while (!cpus[cpu].online && now_ns() < deadline)
		yield();
	return cpus[cpu].online ? PSCI_SUCCESS : PSCI_DENIED;
}

void smp_post(unsigned int cpu, long (*fn)(long), long arg)
{
	struct cpu *c = &cpus[cpu];

	c->fn = fn;
	c->arg = arg;
	barrier_full();
	c->seq++;
}

bool smp_wait(unsigned int cpu, long *result, u64 timeout_ns)
{
	struct cpu *c = &cpus[cpu];
	u64 deadline = now_ns() + timeout_ns;

	while (c->done != c->seq) {
		if (now_ns() > deadline)
			return false;
		yield();
	}
	barrier_full();
	if (result)
		*result = c->result;
	return true;
}

/* Runs fn(arg) on vCPU cpu and returns its result; -1000 if it did not answer in 10 s. */
long smp_call(unsigned int cpu, long (*fn)(long), long arg)
{
	long r;

	smp_post(cpu, fn, arg);
	return smp_wait(cpu, &r, 10000000000UL) ? r : -1000;
}

/* Parks vCPU cpu (CPU_OFF from itself); true once AFFINITY_INFO says it is off. */
bool smp_stop(unsigned int cpu)
{
	u64 deadline = now_ns() + 5000000000UL;

	smp_post(cpu, cpu_off, 0);
	while (psci(PSCI_AFFINITY_INFO, mpidr_of(cpu), 0, 0) != PSCI_AFF_OFF) {
		if (now_ns() > deadline)
			return false;
		yield();
	}
	return true;
}
