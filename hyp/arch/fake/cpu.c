/* SPDX-License-Identifier: MIT */
/* Fake pCPUs: which host thread is which pCPU, kicks, WFI, the counter and the scheduling timer. */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <domus/arch.h>
#include <domus/console.h>
#include <domus/sched.h>

#include "internal.h"

/*
 * A kick or a due timer is an "interrupt": it stays pending in struct
 * fake_cpu until the pCPU takes it, which it does where real hardware would
 * take an IRQ: in WFI, and on the way out of the guest (every trap). So a
 * kick sent while the pCPU runs a guest is seen at that guest's next trap,
 * and a kick sent just before WFI is never lost.
 */

struct fake_cpu fake_cpus[FAKE_MAX_CPUS];
static __thread struct pcpu *this_pcpu;

struct pcpu *arch_this_pcpu(void)
{
	return this_pcpu;
}

struct fake_cpu *fake_this_cpu(void)
{
	return this_pcpu ? &fake_cpus[this_pcpu->id] : NULL;
}

void fake_become_pcpu(int cpu)
{
	this_pcpu = cpu < 0 ? NULL : &pcpus[cpu];
}

void fake_cpu_init(struct fake_cpu *c)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &attr);
	pthread_condattr_destroy(&attr);
	c->kicked = c->stop = c->running = c->underflow = false;
	c->deadline = 0;
	for (u32 i = 0; i < FAKE_NR_LRS; i++)
		c->lr[i] = 0;
	c->trap_vcpu = NULL;
	c->traps = 0;
}

/*
 * A spin-wait step. pCPU threads outnumber the host's cores, so now and then
 * the spinner gives its core away: the lock holder may be waiting for one.
 * Not every time: the core spins a thousand steps between kicks.
 */
void arch_cpu_relax(void)
{
	static __thread unsigned int spins;

	if (++spins % 64 == 0)
		sched_yield();
	else
		__builtin_ia32_pause();
}

static u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

u64 arch_counter(void)
{
	return monotonic_ns() / FAKE_NS_PER_TICK;
}

u64 arch_counter_freq(void)
{
	return FAKE_COUNTER_FREQ;
}

void arch_timer_set_deadline(u64 counter_value)
{
	struct fake_cpu *c = fake_this_cpu();

	pthread_mutex_lock(&c->lock);
	c->deadline = counter_value;
	pthread_mutex_unlock(&c->lock);
}

void arch_send_kick(unsigned int cpu)
{
	struct fake_cpu *c = &fake_cpus[cpu];

	pthread_mutex_lock(&c->lock);
	c->kicked = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

bool fake_kick_take(unsigned int cpu)
{
	struct fake_cpu *c = &fake_cpus[cpu];
	bool kicked;

	pthread_mutex_lock(&c->lock);
	kicked = c->kicked;
	c->kicked = false;
	pthread_mutex_unlock(&c->lock);
	return kicked;
}

static bool timer_due(const struct fake_cpu *c)
{
	return c->deadline && arch_counter() >= c->deadline;
}

void arch_wait_for_interrupt(void)
{
	struct fake_cpu *c = fake_this_cpu();

	pthread_mutex_lock(&c->lock);
	while (!c->kicked && !c->stop && !timer_due(c)) {
		if (c->deadline) {
			u64 ns = c->deadline * FAKE_NS_PER_TICK;
			struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };

			pthread_cond_timedwait(&c->wake, &c->lock, &ts);
		} else {
			pthread_cond_wait(&c->wake, &c->lock);
		}
	}
	pthread_mutex_unlock(&c->lock);
	fake_take_interrupts();
}

void fake_take_interrupts(void)
{
	struct fake_cpu *c = fake_this_cpu();
	bool kick, tick, stop;

	pthread_mutex_lock(&c->lock);
	stop = c->stop;
	kick = c->kicked;
	c->kicked = false;
	tick = timer_due(c);
	if (tick)
		c->deadline = 0;
	pthread_mutex_unlock(&c->lock);
	if (stop)
		fake_cpu_leave();
	if (tick)
		sched_tick();
	if (kick)
		sched_kicked();
	if (this_pcpu->id == 0 && fake_uart_typed())
		console_rx_interrupt();
}

void fake_cpu_leave(void)
{
	longjmp(fake_this_cpu()->leave, 1);
}

/* ---- what a real CPU would never let happen ---- */

static unsigned int violations[FAKE_VIOLATION_KINDS];

void fake_violation(enum fake_violation_kind kind, const char *fmt, ...)
{
	unsigned int n = __atomic_add_fetch(&violations[kind], 1, __ATOMIC_RELAXED);
	va_list ap;

	if (n > 3)
		return; /* a race that keeps happening would fill the log */
	va_start(ap, fmt);
	fprintf(stderr, "fake arch: VIOLATION: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, n == 3 ? " (more of these are counted, not shown)\n" : "\n");
	va_end(ap);
}

unsigned int fake_violation_count(enum fake_violation_kind kind)
{
	return __atomic_load_n(&violations[kind], __ATOMIC_RELAXED);
}

void fake_violations_reset(void)
{
	for (int i = 0; i < FAKE_VIOLATION_KINDS; i++)
		__atomic_store_n(&violations[i], 0, __ATOMIC_RELAXED);
}
