/* SPDX-License-Identifier: MIT */
/* The fake machine: RAM at a fixed host address for the real allocator, and pCPU threads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/mm.h>
#include <domus/palloc.h>
#include <domus/platform.h>
#include <domus/sched.h>

#include "internal.h"

/*
 * RAM is one host mapping at FAKE_RAM_BASE, made once per process and
 * reused by every machine: Domus maps RAM 1:1, so a host pointer into it is
 * the page's "physical" address and pa_to_va holds as it does at EL2. The
 * palloc bitmap lives outside it, so every page of RAM is the heap's.
 */

const struct fake_guest_ops *fake_ops;
static struct palloc heap;
static u64 heap_bitmap[FAKE_RAM_MAX / PAGE_SIZE / 64];
static u64 ram_bytes;
static bool ram_mapped;

static pthread_mutex_t exit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exit_cond;
static unsigned int threads_left;

static void map_ram(void)
{
	void *p;

	if (ram_mapped)
		return;
	p = mmap((void *)(uintptr_t)FAKE_RAM_BASE, FAKE_RAM_MAX, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)(uintptr_t)FAKE_RAM_BASE) {
		fprintf(stderr, "fake arch: cannot map RAM at %#llx (%s)\n", FAKE_RAM_BASE,
			p == MAP_FAILED ? "mmap failed" : "the kernel placed it elsewhere");
		abort();
	}
	ram_mapped = true;
}

void fake_machine_init(u64 mem_bytes, unsigned int nr_cpus, const struct fake_guest_ops *ops)
{
	pthread_condattr_t attr;

	if (mem_bytes > FAKE_RAM_MAX || !IS_ALIGNED(mem_bytes, MiB(2)) || !nr_cpus ||
	    nr_cpus > FAKE_MAX_CPUS) {
		fprintf(stderr, "fake arch: cannot make a machine of %llu bytes and %u pCPUs\n",
			(unsigned long long)mem_bytes, nr_cpus);
		abort();
	}
	map_ram();
	ram_bytes = mem_bytes;
	fake_ops = ops;
	fake_set_power(FAKE_POWER_ON);
	fake_violations_reset();
	palloc_init(&heap, pa_init(FAKE_RAM_BASE), mem_bytes / PAGE_SIZE, heap_bitmap);
	palloc_add_free(&heap, pa_init(FAKE_RAM_BASE), mem_bytes / PAGE_SIZE);
	fake_ram_poison(pa_init(FAKE_RAM_BASE), mem_bytes, true);
	mm_init(&heap);
	/* What a device tree would have said: one bank of RAM (XENMEM_maximum_ram_page reads it). */
	platform.ram[0] = (struct region){ pa_init(FAKE_RAM_BASE), mem_bytes };
	platform.nr_ram = 1;

	nr_pcpus = nr_cpus;
	pcpus = mm_zalloc(nr_cpus * sizeof(*pcpus));
	for (unsigned int i = 0; i < nr_cpus; i++) {
		pcpus[i].id = i;
		pcpus[i].hwid = i;
		runq_init(&pcpus[i].rq);
		fake_cpu_init(&fake_cpus[i]);
	}
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&exit_cond, &attr);
	pthread_condattr_destroy(&attr);
}

static void *pcpu_thread(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	struct fake_cpu *c = &fake_cpus[cpu];

	fake_become_pcpu((int)cpu);
	if (!setjmp(c->leave)) {
		__atomic_store_n(&pcpus[cpu].online, true, __ATOMIC_RELEASE);
		sched_start();
	}
	fake_become_pcpu(-1);
	pthread_mutex_lock(&exit_lock);
	threads_left--;
	pthread_cond_broadcast(&exit_cond);
	pthread_mutex_unlock(&exit_lock);
	return NULL;
}

void fake_machine_start(void)
{
	threads_left = nr_pcpus;
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		fake_cpus[i].running = true;
		if (pthread_create(&fake_cpus[i].thread, NULL, pcpu_thread, (void *)(uintptr_t)i)) {
			fprintf(stderr, "fake arch: cannot start pCPU %u's thread\n", i);
			abort();
		}
	}
}

bool fake_machine_stop(unsigned int timeout_ms)
{
	struct timespec ts;
	bool all = true;

	for (unsigned int i = 0; i < nr_pcpus; i++) {
		struct fake_cpu *c = &fake_cpus[i];

		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&exit_lock);
	while (threads_left && all)
		all = pthread_cond_timedwait(&exit_cond, &exit_lock, &ts) != ETIMEDOUT;
	all = !threads_left;
	pthread_mutex_unlock(&exit_lock);
	if (!all)
		return false;
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		pthread_join(fake_cpus[i].thread, NULL);
		fake_cpus[i].running = false;
	}
	return true;
}

void fake_machine_offline(void)
{
	for (unsigned int i = 0; i < nr_pcpus; i++)
		__atomic_store_n(&pcpus[i].online, false, __ATOMIC_RELEASE);
}

bool fake_pcpu_drain(void)
{
	struct fake_cpu *c = fake_this_cpu();

	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_mutex_unlock(&c->lock);
	if (!setjmp(c->leave)) {
		schedule();
		return false; /* it found a vCPU to run */
	}
	return arch_this_pcpu()->current == NULL;
}

void fake_machine_fini(void)
{
	fake_ram_poison(pa_init(FAKE_RAM_BASE), ram_bytes, false);
	/* Fresh zero pages for the next machine, and the memory back to the host meanwhile. */
	madvise((void *)(uintptr_t)FAKE_RAM_BASE, ram_bytes, MADV_DONTNEED);
}

/* ---- a hang report ---- */

static const char *const vcpu_state_names[] = { "offline", "runnable", "running", "blocked",
						"paused" };

/* Read without locks: the machine is stuck, and this is only a picture of it. */
void fake_dump_state(void)
{
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		struct fake_cpu *c = &fake_cpus[i];
		struct vcpu *cur = READ_ONCE(pcpus[i].current);
		struct vcpu *t = __atomic_load_n(&c->trap_vcpu, __ATOMIC_ACQUIRE);

		fprintf(stderr, "  pCPU %u: %s, current %s", i, c->running ? "running" : "stopped",
			cur ? "" : "idle");
		if (cur)
			fprintf(stderr, "d%uv%u", VCPU_ARGS(cur));
		fprintf(stderr, ", %u queued, %llu traps", READ_ONCE(pcpus[i].rq.count),
			(unsigned long long)c->traps);
		if (t && c->trap_nr != ~0ULL)
			fprintf(stderr, "; inside d%uv%u's hypercall %llu (x0 %#llx)", VCPU_ARGS(t),
				(unsigned long long)c->trap_nr, (unsigned long long)c->trap_x0);
		else if (t)
			fprintf(stderr, "; inside a trap of d%uv%u (x0 %#llx)", VCPU_ARGS(t),
				(unsigned long long)c->trap_x0);
		fprintf(stderr, "\n");
	}
	for (struct domain *d = domain_list(); d; d = d->next) {
		fprintf(stderr, "  d%u \"%s\" state %d:", d->id, d->name, (int)d->state);
		for (u32 i = 0; i < d->nr_vcpus; i++) {
			struct vcpu *v = d->vcpus[i];
			unsigned int s = READ_ONCE(v->state);

			fprintf(stderr, " v%u %s%s on pCPU %u%s", i,
				s < ARRAY_SIZE(vcpu_state_names) ? vcpu_state_names[s] : "?",
				READ_ONCE(v->on_cpu) ? " (on cpu)" : "", READ_ONCE(v->pcpu),
				READ_ONCE(v->on_rq) ? " (queued)" : "");
		}
		fprintf(stderr, "\n");
	}
}
