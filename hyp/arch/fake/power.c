/* SPDX-License-Identifier: MIT */
/* How the fake machine ends: power off and reset stop it for the test to see; a panic aborts. */
#include <stdio.h>
#include <stdlib.h>

#include <domus/arch.h>
#include <domus/printk.h>
#include <domus/sched.h>

#include "internal.h"

static enum fake_power power;

void fake_set_power(enum fake_power p)
{
	__atomic_store_n(&power, p, __ATOMIC_RELEASE);
}

enum fake_power fake_power_state(void)
{
	return __atomic_load_n(&power, __ATOMIC_ACQUIRE);
}

/*
 * The machine goes down: every pCPU is told to stop, and this one leaves
 * at once, out of whatever hypercall asked for it. The test sees the power
 * state (fake_power_state) once the machine has stopped.
 */
static void power_down(enum fake_power p) __attribute__((noreturn));

static void power_down(enum fake_power p)
{
	fake_set_power(p);
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		struct fake_cpu *c = &fake_cpus[i];

		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
	}
	if (!fake_this_cpu()) {
		fprintf(stderr, "fake arch: power %s outside a pCPU\n", p == FAKE_POWER_OFF ? "off" : "reset");
		abort();
	}
	fake_cpu_leave();
}

void arch_system_off(void)
{
	power_down(FAKE_POWER_OFF);
}

void arch_system_reset(void)
{
	power_down(FAKE_POWER_RESET);
}

/* A bug in Domus itself: the test program ends, saying where (the log goes to stderr only on demand). */
void arch_panic_halt(const char *msg)
{
	struct pcpu *p = arch_this_pcpu();

	fprintf(stderr, "PANIC on pCPU %d: %s\n", p ? (int)p->id : -1, msg);
	abort();
}
