/* SPDX-License-Identifier: MIT */
/* The host-test machine: dom0 and guest programs over the real core and the fake arch. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <domus/arch.h>
#include <domus/console.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <arm64/psci.h>
#include <domus/sched.h>
#include <arm64/vgic.h>

#include "core_harness.h"

/*
 * A guest program runs on a host thread of its own, but only while a pCPU
 * runs its vCPU: the pCPU thread hands it the turn (ops.run) and waits; the
 * program runs until it traps (a hypercall, PSCI, an MMIO access, WFI),
 * hands the turn back and waits. So exactly one of the two runs at a time,
 * as guest and hypervisor share a CPU, and the trap is handled on the pCPU
 * thread, in the real dispatcher.
 *
 *     pCPU thread                         guest thread
 *     run(v): turn = GUEST ------------>  ...program...  guest_hypercall():
 *             wait                                         regs, trap = HVC
 *     handle trap  <--------------------  turn = CPU, wait
 *     ...reschedule... run(v) --------->  returns x0
 *
 * A vCPU reset (PSCI CPU_ON, setvcpucontext) starts a new program instance
 * at its entry: the entry point is the program's host address. The old
 * instance, parked in its last trap, is told to end.
 *
 * Each domain's RAM starts with a page of harness "kernel" state (allocator,
 * events taken), then two scratch pages per vCPU for call arguments:
 *
 *   ram_base: | kernel | v0 scratch x2 | v1 scratch x2 | ... (8 vCPUs) | guest_alloc_pages...
 */

#define MAX_VCPUS 8
#define SCRATCH_PAGES 2
#define RESERVED_PAGES (1 + MAX_VCPUS * SCRATCH_PAGES)
#define KERNEL_MAGIC 0x6b65726e656c2121ULL
#define SHARED_INFO_GFN (GUEST_MAGIC_BASE >> PAGE_SHIFT)
#define GRANT_FRAME_GFN (GUEST_GNTTAB_BASE >> PAGE_SHIFT)
#define MAX_FAILURES 32
#define TRAP_TIMEOUT_S 30

/* vGIC registers a guest writes to take event upcalls. */
#define GICD_CTLR_ENABLE_G1 BIT(1)
#define GICD_CTLR_ARE BIT(4)
#define GICR_SGI_ISENABLER0 (0x10000 + 0x100)
#define LR_PENDING BIT(62)

/* The harness's own state at the start of a domain's RAM. */
struct guest_kernel {
	u64 magic;
	u64 alloc_next; /* guest_alloc_pages' next IPA */
	u64 ram_end;
	u32 shared_info_state; /* 0 unmapped, 1 being mapped, 2 mapped */
	u32 grant_table_state;
	u64 events[EVTCHN_2L_NR_CHANNELS / 64]; /* taken from shared_info, not yet claimed */
};

enum turn { TURN_CPU, TURN_GUEST };

/*
 * A vCPU's program, on a host thread of its own. The thread lives as long as
 * the vCPU: each new instance (a PSCI CPU_ON after CPU_OFF) starts again on
 * it (restart, a longjmp to start), instead of on a new thread: a long race
 * makes thousands of instances, and each thread created was one more chance
 * for a start the host scheduler (or a sanitizer's runtime) delays.
 */
struct guest {
	struct vcpu *v; /* valid while the program may run: its vCPU cannot be freed under it */
	domid_t domid;
	u32 vcpu_id;
	bool is_dom0_boot; /* dom0's vCPU 0 program: the test */
	guest_fn fn;
	u64 arg;
	u32 gen; /* v->arch.resets that started it */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum turn turn;
	bool kill;
	bool in_cpu_off; /* its last trap was PSCI CPU_OFF */
	bool started; /* this instance has had its first turn (a HANG says which never did) */
	bool restart; /* a new instance is to start at its next turn (the vCPU was reset) */
	jmp_buf end;
	jmp_buf start;
	unsigned int cpu; /* the pCPU running it now */
	u64 traps;
	u64 irqs[VGIC_NR_PRIVATE];
	u64 ram_base;
	struct guest_kernel *kernel;
	u64 scratch;
	struct guest *next;
};

static struct {
	const struct machine_cfg *cfg;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	bool dom0_done;
	struct guest *guests;
	char failures[MAX_FAILURES][320];
	unsigned int nr_failures;
	struct timespec boot;
} m = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void harness_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Something the harness saw go wrong (a hang, a lost vCPU): recorded, the test fails. */
static void harness_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&m.lock);
	if (m.nr_failures < MAX_FAILURES) {
		va_start(ap, fmt);
		vsnprintf(m.failures[m.nr_failures++], sizeof(m.failures[0]), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&m.lock);
	va_start(ap, fmt);
	fprintf(stderr, "harness: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

void guest_fail(struct guest *g, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	harness_error("d%uv%u: %s:%d: %s", g->domid, g->vcpu_id, file, line, msg);
}

double machine_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - m.boot.tv_sec) + (now.tv_nsec - m.boot.tv_nsec) / 1e9;
}

/* ---- the turn between a pCPU and a guest program ---- */

static void deadline_in(struct timespec *ts, unsigned int s)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += s;
}

/*
 * DOMUS_HARNESS_HANG_WAIT=S: a HANG waits S seconds before it aborts, with
 * every thread where it stood, for `gdb -p PID` to see them (a hang that
 * gdb's own slowness hides when the test runs under it).
 */
static void hang_wait(void)
{
	const char *s = getenv("DOMUS_HARNESS_HANG_WAIT");

	if (!s)
		return;
	fprintf(stderr, "harness: pid %d waits %s s for a debugger\n", (int)getpid(), s);
	sleep((unsigned int)atoi(s));
}

/* Guest side: the trap is in v; give the CPU back and wait to run again. */
static void trap(struct guest *g)
{
	g->traps++;
	pthread_mutex_lock(&g->lock);
	g->turn = TURN_CPU;
	pthread_cond_broadcast(&g->cond);
	while (g->turn == TURN_CPU && !g->kill)
		pthread_cond_wait(&g->cond, &g->lock);
	if (g->kill) {
		pthread_mutex_unlock(&g->lock);
		longjmp(g->end, 1);
	}
	if (g->restart) {
		g->restart = false;
		g->started = true;
		pthread_mutex_unlock(&g->lock);
		longjmp(g->start, 1);
	}
	pthread_mutex_unlock(&g->lock);
}

static void kernel_init(struct guest *g);

static void *guest_thread(void *arg)
{
	struct guest *g = arg;

	pthread_mutex_lock(&g->lock);
	while (g->turn == TURN_CPU && !g->kill)
		pthread_cond_wait(&g->cond, &g->lock);
	g->started = true;
	pthread_mutex_unlock(&g->lock);
	if (setjmp(g->end))
		return NULL;
	setjmp(g->start); /* each instance starts here, the first and every restart */
	if (g->kill)
		return NULL;
	kernel_init(g);
	g->fn(g);
	if (g->is_dom0_boot) {
		pthread_mutex_lock(&m.lock);
		m.dom0_done = true;
		pthread_cond_broadcast(&m.cond);
		pthread_mutex_unlock(&m.lock);
	}
	/* A program that ends switches its vCPU off; it runs again only as a new instance. */
	for (;;) {
		g->in_cpu_off = true;
		guest_psci(g, PSCI_CPU_OFF, 0, 0, 0);
		harness_error("d%uv%u ran on after PSCI CPU_OFF returned", g->domid, g->vcpu_id);
	}
	return NULL;
}

static void end_guest(struct guest *g)
{
	pthread_mutex_lock(&g->lock);
	g->kill = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

/*
 * The vCPU was reset after its program's CPU_OFF, which parked the thread in
 * its last trap: there a new instance starts (fn from the vCPU's entry point).
 */
static void restart_guest(struct guest *g, struct vcpu *v, u32 gen)
{
	pthread_mutex_lock(&g->lock);
	g->fn = (guest_fn)(uintptr_t)v->arch.entry;
	g->arg = v->arch.entry_x0;
	g->gen = gen;
	g->is_dom0_boot = false;
	g->started = false;
	g->restart = true;
	g->traps = 0;
	memset(g->irqs, 0, sizeof(g->irqs));
	pthread_mutex_unlock(&g->lock);
}

/* Joins the threads of programs that were told to end and have (their domain was destroyed). */
static void reap_guests(void)
{
	struct guest **pp = &m.guests;

	pthread_mutex_lock(&m.lock);
	while (*pp) {
		struct guest *g = *pp;
		bool ended;

		pthread_mutex_lock(&g->lock);
		ended = g->kill;
		pthread_mutex_unlock(&g->lock);
		if (ended && !pthread_tryjoin_np(g->thread, NULL)) {
			*pp = g->next;
			pthread_mutex_destroy(&g->lock);
			pthread_cond_destroy(&g->cond);
			free(g);
		} else {
			pp = &g->next;
		}
	}
	pthread_mutex_unlock(&m.lock);
}

/* Domain id was destroyed: its programs, parked in their last trap, end. */
static void domain_gone(domid_t id)
{
	pthread_mutex_lock(&m.lock);
	for (struct guest *g = m.guests; g; g = g->next)
		if (g->domid == id)
			end_guest(g);
	pthread_mutex_unlock(&m.lock);
}

static struct guest *new_guest(struct vcpu *v, u32 gen)
{
	struct guest *g;
	struct domain *d = v->dom;

	reap_guests();
	g = calloc(1, sizeof(*g));

	g->v = v;
	g->domid = d->id;
	g->vcpu_id = v->id;
	g->is_dom0_boot = d->id == 0 && v->id == 0 && gen == 1;
	g->fn = (guest_fn)(uintptr_t)v->arch.entry;
	g->arg = v->arch.entry_x0;
	g->gen = gen;
	g->ram_base = d->direct_map ? ipa_addr(d->banks[0].ipa) : GUEST_RAM0_BASE;
	g->scratch = g->ram_base + (1 + (u64)v->id * SCRATCH_PAGES) * PAGE_SIZE;
	g->turn = TURN_CPU;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	pthread_mutex_lock(&m.lock);
	g->next = m.guests;
	m.guests = g;
	pthread_mutex_unlock(&m.lock);
	if (pthread_create(&g->thread, NULL, guest_thread, g)) {
		fprintf(stderr, "harness: cannot start a guest thread\n");
		abort();
	}
	return g;
}

/*
 * A reset is PSCI CPU_ON (or the toolstack's setvcpucontext before the first
 * run): only of a vCPU that is off. So a program still running when its vCPU
 * is reset, or two resets with no run between them (two CPU_ONs that both
 * succeeded), is the hypervisor's mistake.
 */
static struct guest *guest_for(struct vcpu *v)
{
	struct guest *g = v->arch.guest;
	u32 gen = __atomic_load_n(&v->arch.resets, __ATOMIC_ACQUIRE);
	u32 had = g ? g->gen : 0;

	if (g && g->gen == gen)
		return g;
	if (gen - had > 1)
		harness_error(VCPU_LOG "reset %u times between two runs: CPU_ON succeeded for a "
				       "vCPU that was already being started",
			      VCPU_ARGS(v), gen - had);
	if (!v->arch.entry) {
		harness_error(VCPU_LOG "runs with no entry point", VCPU_ARGS(v));
		abort();
	}
	if (g && g->in_cpu_off) {
		restart_guest(g, v, gen);
		return g;
	}
	if (g) { /* still running: that instance ends (at its next trap), a new thread starts */
		harness_error(VCPU_LOG "reset while its program was running (not in CPU_OFF)",
			      VCPU_ARGS(v));
		end_guest(g);
	}
	g = new_guest(v, gen);
	v->arch.guest = g;
	return g;
}

/* The program acknowledges (and ends) whatever its list registers hold pending. */
static void take_interrupts(struct guest *g, unsigned int cpu)
{
	for (u32 n = 0; n < FAKE_NR_LRS; n++) {
		u64 lr = fake_lr_read(cpu, n);

		if (lr & LR_PENDING) {
			u32 intid = (u32)lr;

			if (intid < VGIC_NR_PRIVATE)
				g->irqs[intid]++;
			fake_lr_write(cpu, n, 0);
		}
	}
}

/* fake_guest_ops.run, on the pCPU thread. */
static void run(struct vcpu *v)
{
	struct guest *g = guest_for(v);
	struct timespec ts;
	int rc = 0;

	g->cpu = arch_this_pcpu()->id;
	take_interrupts(g, g->cpu);
	pthread_mutex_lock(&g->lock);
	if (g->kill) {
		fprintf(stderr, "harness: d%uv%u runs after its domain was destroyed\n", g->domid,
			g->vcpu_id);
		fake_dump_state();
		abort();
	}
	g->in_cpu_off = false;
	g->turn = TURN_GUEST;
	pthread_cond_broadcast(&g->cond);
	deadline_in(&ts, TRAP_TIMEOUT_S);
	while (g->turn == TURN_GUEST && rc == 0)
		rc = pthread_cond_timedwait(&g->cond, &g->lock, &ts);
	pthread_mutex_unlock(&g->lock);
	if (rc) {
		fprintf(stderr, "harness: HANG: d%uv%u's program did not trap within %d s\n",
			g->domid, g->vcpu_id, TRAP_TIMEOUT_S);
		hang_wait();
		abort();
	}
}

static const struct fake_guest_ops ops = { .run = run };

/* ---- guest programs' view ---- */

struct vcpu *guest_vcpu(struct guest *g)
{
	return g->v;
}

domid_t guest_domid(struct guest *g)
{
	return g->domid;
}

u32 guest_vcpu_id(struct guest *g)
{
	return g->vcpu_id;
}

u64 guest_arg(struct guest *g)
{
	return g->arg;
}

void *guest_ctx(struct guest *g)
{
	return m.cfg->ctx;
}

u64 guest_traps(struct guest *g)
{
	return g->traps;
}

u64 guest_max_trap_accesses(struct guest *g)
{
	return g->v->arch.max_trap_accesses;
}

u64 guest_irqs(struct guest *g, u32 intid)
{
	return intid < VGIC_NR_PRIVATE ? g->irqs[intid] : 0;
}

long guest_hypercall(struct guest *g, u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	struct vcpu *v = g->v;

	v->arch.regs.x[16] = nr;
	v->arch.regs.x[0] = a0;
	v->arch.regs.x[1] = a1;
	v->arch.regs.x[2] = a2;
	v->arch.regs.x[3] = a3;
	v->arch.regs.x[4] = a4;
	v->arch.regs.pc = FAKE_HVC_PC + 4;
	v->arch.trap = (struct fake_trap){ .kind = FAKE_TRAP_HVC, .imm = XEN_HYPERCALL_TAG };
	trap(g);
	return (long)v->arch.regs.x[0];
}

long guest_psci(struct guest *g, u32 fid, u64 a1, u64 a2, u64 a3)
{
	struct vcpu *v = g->v;

	v->arch.regs.x[0] = fid;
	v->arch.regs.x[1] = a1;
	v->arch.regs.x[2] = a2;
	v->arch.regs.x[3] = a3;
	v->arch.regs.pc = FAKE_HVC_PC + 4;
	v->arch.trap = (struct fake_trap){ .kind = FAKE_TRAP_HVC, .imm = 0 };
	trap(g);
	return (long)v->arch.regs.x[0];
}

u64 guest_mmio(struct guest *g, u64 ipa, u32 size, bool write, u64 val)
{
	struct vcpu *v = g->v;

	v->arch.trap = (struct fake_trap){
		.kind = FAKE_TRAP_MMIO, .addr = ipa, .size = size, .write = write, .val = val
	};
	trap(g);
	if (v->arch.trap.mmio_rc)
		guest_fail(g, __FILE__, __LINE__, "MMIO %s at %#lx refused: %d", write ? "write" : "read",
			   ipa, v->arch.trap.mmio_rc);
	return v->arch.trap.val;
}

void *guest_mem(struct guest *g, u64 ipa)
{
	enum p2m_type type;
	paddr_t pa;

	if (p2m_lookup(g->v->dom, ipa >> PAGE_SHIFT, &pa, &type)) {
		guest_fail(g, __FILE__, __LINE__, "no memory at IPA %#lx", ipa);
		abort();
	}
	return (char *)pa_to_va(pa) + (ipa & (PAGE_SIZE - 1));
}

/* The call with its pointer argument in slot ptr_slot, through the scratch page. */
static long call_with_buf(struct guest *g, u64 nr, u64 args[5], int ptr_slot, void *buf,
			  size_t size)
{
	void *scratch = guest_mem(g, g->scratch);
	long rc;

	if (size > PAGE_SIZE) {
		guest_fail(g, __FILE__, __LINE__, "argument of %zu bytes", size);
		return -EINVAL;
	}
	memcpy(scratch, buf, size);
	args[ptr_slot] = g->scratch;
	rc = guest_hypercall(g, nr, args[0], args[1], args[2], args[3], args[4]);
	memcpy(buf, scratch, size);
	return rc;
}

long guest_memory_op(struct guest *g, u32 cmd, void *arg, size_t size)
{
	u64 a[5] = { cmd };

	return call_with_buf(g, __HYPERVISOR_memory_op, a, 1, arg, size);
}

long guest_evtchn_op(struct guest *g, u32 cmd, void *arg, size_t size)
{
	u64 a[5] = { cmd };

	return call_with_buf(g, __HYPERVISOR_event_channel_op, a, 1, arg, size);
}

long guest_gnttab_op(struct guest *g, u32 cmd, void *ops_, size_t size, u32 count)
{
	u64 a[5] = { cmd, 0, count };

	return call_with_buf(g, __HYPERVISOR_grant_table_op, a, 1, ops_, size * count);
}

long guest_sched_op(struct guest *g, u32 cmd, void *arg, size_t size)
{
	u64 a[5] = { cmd };

	return call_with_buf(g, __HYPERVISOR_sched_op, a, 1, arg, size);
}

long guest_vcpu_op(struct guest *g, u32 cmd, u32 vcpu, void *arg, size_t size)
{
	u64 a[5] = { cmd, vcpu };

	return call_with_buf(g, __HYPERVISOR_vcpu_op, a, 2, arg, size);
}

long guest_xen_version(struct guest *g, u32 cmd, void *arg, size_t size)
{
	u64 a[5] = { cmd };

	return call_with_buf(g, __HYPERVISOR_xen_version, a, 1, arg, size);
}

long guest_domus_ctl(struct guest *g, struct domus_ctl *c)
{
	u64 a[5] = { 0 };

	c->version = DOMUS_CTL_VERSION;
	return call_with_buf(g, __HYPERVISOR_domus_ctl, a, 0, c, sizeof(*c));
}

void guest_yield(struct guest *g)
{
	guest_hypercall(g, __HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

void guest_block(struct guest *g)
{
	guest_hypercall(g, __HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0);
}

long guest_shutdown(struct guest *g, u32 reason)
{
	return guest_sched_op(g, SCHEDOP_shutdown, &reason, sizeof(reason));
}

/* ---- the domain's RAM ---- */

static void kernel_init(struct guest *g)
{
	struct domain *d = g->v->dom;
	struct guest_kernel *k = guest_mem(g, g->ram_base);
	u64 pages = d->direct_map ? d->banks[0].size / PAGE_SIZE
				  : __atomic_load_n(&d->mem_pages, __ATOMIC_RELAXED);
	u64 expect = 0;

	g->kernel = k;
	if (pages < RESERVED_PAGES + 1 || g->vcpu_id >= MAX_VCPUS) {
		guest_fail(g, __FILE__, __LINE__, "a guest needs %u pages of RAM and at most %u vCPUs",
			   RESERVED_PAGES + 1, MAX_VCPUS);
		abort();
	}
	if (!__atomic_compare_exchange_n(&k->magic, &expect, 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&k->magic, __ATOMIC_ACQUIRE) != KERNEL_MAGIC)
			guest_yield(g);
		return;
	}
	k->alloc_next = g->ram_base + RESERVED_PAGES * PAGE_SIZE;
	k->ram_end = g->ram_base + pages * PAGE_SIZE;
	__atomic_store_n(&k->magic, KERNEL_MAGIC, __ATOMIC_RELEASE);
}

u64 guest_ram_base(struct guest *g)
{
	return g->ram_base;
}

u64 guest_alloc_pages(struct guest *g, u64 n)
{
	u64 ipa = __atomic_fetch_add(&g->kernel->alloc_next, n * PAGE_SIZE, __ATOMIC_RELAXED);

	if (ipa + n * PAGE_SIZE > g->kernel->ram_end) {
		guest_fail(g, __FILE__, __LINE__, "out of guest RAM for %lu pages", n);
		abort();
	}
	return ipa;
}

/* Runs map once per domain: state 0 -> 1 (mapping) -> 2 (done); others wait. */
static void once(struct guest *g, u32 *state, void (*map)(struct guest *g))
{
	u32 expect = 0;

	if (__atomic_compare_exchange_n(state, &expect, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		map(g);
		__atomic_store_n(state, 2, __ATOMIC_RELEASE);
	}
	while (__atomic_load_n(state, __ATOMIC_ACQUIRE) != 2)
		guest_yield(g);
}

static void map_shared_info(struct guest *g)
{
	struct xen_add_to_physmap a = {
		.domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 0, .gpfn = SHARED_INFO_GFN
	};

	GUEST_EXPECT_EQ(g, guest_memory_op(g, XENMEM_add_to_physmap, &a, sizeof(a)), 0);
}

struct shared_info *guest_shared_info(struct guest *g)
{
	once(g, &g->kernel->shared_info_state, map_shared_info);
	return guest_mem(g, SHARED_INFO_GFN << PAGE_SHIFT);
}

static void map_grant_table(struct guest *g)
{
	struct xen_add_to_physmap a = {
		.domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .idx = 0, .gpfn = GRANT_FRAME_GFN
	};

	GUEST_EXPECT_EQ(g, guest_memory_op(g, XENMEM_add_to_physmap, &a, sizeof(a)), 0);
}

struct grant_entry_v1 *guest_grant_table(struct guest *g)
{
	once(g, &g->kernel->grant_table_state, map_grant_table);
	return guest_mem(g, GRANT_FRAME_GFN << PAGE_SHIFT);
}

void guest_enable_upcall(struct guest *g)
{
	struct domain *d = g->v->dom;

	guest_mmio(g, ipa_addr(d->arch.vgic.dist_base), 4, true,
		   GICD_CTLR_ENABLE_G1 | GICD_CTLR_ARE);
	guest_mmio(g, ipa_addr(d->arch.vgic.rdist_base) + (u64)g->vcpu_id * VGIC_RDIST_STRIDE +
			      GICR_SGI_ISENABLER0,
		   4, true, BIT(GUEST_EVTCHN_PPI));
}

/* Linux's two-level scan: clear the upcall flag and the selector, take every pending word. */
static void scan_events(struct guest *g)
{
	struct shared_info *s = guest_shared_info(g);
	struct vcpu_info *vi = &s->vcpu_info[0];

	__atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
	__atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	for (u32 w = 0; w < ARRAY_SIZE(s->evtchn_pending); w++) {
		u64 bits = __atomic_exchange_n(&s->evtchn_pending[w], 0, __ATOMIC_SEQ_CST);

		if (bits)
			__atomic_fetch_or(&g->kernel->events[w], bits, __ATOMIC_SEQ_CST);
	}
}

bool guest_event_take(struct guest *g, u32 port)
{
	u64 bit = 1ULL << (port % 64);

	scan_events(g);
	return __atomic_fetch_and(&g->kernel->events[port / 64], ~bit, __ATOMIC_SEQ_CST) & bit;
}

void guest_wait_event(struct guest *g, u32 port)
{
	while (!guest_event_take(g, port))
		guest_block(g);
}

/* ---- the toolstack ---- */

#define POPULATE_BATCH (PAGE_SIZE / 8)

long guest_domu_build(struct guest *g, const struct domu_spec *s)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_createdomain };
	u64 pages = s->mem_pages ? s->mem_pages : 64;
	u64 list = g->scratch + PAGE_SIZE;
	u64 *gfns = guest_mem(g, list);
	domid_t id;
	long rc;

	c.u.createdomain.nr_vcpus = s->nr_vcpus ? s->nr_vcpus : 1;
	c.u.createdomain.max_mem_kib = pages * 4;
	c.u.createdomain.flags = s->flags;
	snprintf(c.u.createdomain.name, sizeof(c.u.createdomain.name), "%s",
		 s->name ? s->name : "guest");
	rc = guest_domus_ctl(g, &c);
	if (rc)
		return rc;
	id = c.domid;
	for (u64 done = 0; done < pages;) {
		u64 n = MIN(pages - done, POPULATE_BATCH);
		struct xen_memory_reservation r = {
			.extent_start = list, .nr_extents = n, .extent_order = 0, .domid = id
		};

		for (u64 i = 0; i < n; i++)
			gfns[i] = (GUEST_RAM0_BASE >> PAGE_SHIFT) + done + i;
		rc = guest_memory_op(g, XENMEM_populate_physmap, &r, sizeof(r));
		if (rc != (long)n)
			return rc < 0 ? rc : -ENOMEM;
		done += n;
	}
	return id;
}

long guest_domu_start(struct guest *g, domid_t id, guest_fn entry, u64 arg)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_setvcpucontext, .domid = id };
	long rc;

	c.u.vcpucontext.vcpu = 0;
	c.u.vcpucontext.pc = (u64)(uintptr_t)entry;
	c.u.vcpucontext.x0 = arg;
	rc = guest_domus_ctl(g, &c);
	return rc ? rc : guest_domu_pause(g, id, false);
}

long guest_domu_create(struct guest *g, const struct domu_spec *s, guest_fn entry, u64 arg)
{
	long id = guest_domu_build(g, s), rc;

	if (id < 0)
		return id;
	rc = guest_domu_start(g, (domid_t)id, entry, arg);
	return rc ? rc : id;
}

long guest_domu_pause(struct guest *g, domid_t id, bool pause)
{
	struct domus_ctl c = { .cmd = pause ? DOMUS_CTL_pausedomain : DOMUS_CTL_unpausedomain,
			       .domid = id };

	return guest_domus_ctl(g, &c);
}

long guest_domu_destroy(struct guest *g, domid_t id)
{
	struct domus_ctl c;
	long rc;

	for (int tries = 0; tries < 100000; tries++) {
		c = (struct domus_ctl){ .cmd = DOMUS_CTL_destroydomain, .domid = id };
		rc = guest_domus_ctl(g, &c);
		if (!rc)
			domain_gone(id);
		if (rc != -EBUSY && rc != -EAGAIN)
			return rc;
		guest_yield(g);
	}
	return rc;
}

u64 guest_free_pages(struct guest *g)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_physinfo };

	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	return c.u.physinfo.free_pages;
}

u64 guest_free_pages_beside_dom0(struct guest *g)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_getdomaininfo, .domid = 0 };
	u64 free = guest_free_pages(g);

	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT_EQ(g, c.domid, 0);
	return free + c.u.domaininfo.p2m_table_pages + c.u.domaininfo.maptrack_pages;
}

long guest_vcpu_state(struct guest *g, domid_t id, u32 vcpu)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_getvcpuinfo, .domid = id };
	long rc;

	c.u.vcpuinfo.vcpu = vcpu;
	rc = guest_domus_ctl(g, &c);
	return rc ? rc : c.u.vcpuinfo.state;
}

/* ---- the machine ---- */

bool machine_domain_off_cpus(domid_t id)
{
	for (struct domain *d = domain_list(); d; d = READ_ONCE(d->next)) {
		if (d->id != id)
			continue;
		for (u32 i = 0; i < d->nr_vcpus; i++) {
			struct vcpu *v = d->vcpus[i];

			if (__atomic_load_n(&v->arch.loaded_on, __ATOMIC_ACQUIRE) >= 0 ||
			    __atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE))
				return false;
		}
	}
	return true;
}

#define DOM0_NR_SPIS 32

/* Dom0 as dom0_build makes it, minus the kernel: privileged, RAM mapped 1:1, vCPU 0 started. */
static void build_dom0(const struct machine_cfg *cfg)
{
	u64 bytes = cfg->dom0_mem_mib * MiB(1);
	struct domain *d;
	paddr_t pa;

	d = domain_create(0, "Domain-0", cfg->dom0_vcpus, DOM0_NR_SPIS);
	assert_non_null(d);
	d->privileged = true;
	d->direct_map = true;
	arch_vgic_setup(d, ipa_init(GUEST_GICV3_GICD_BASE), ipa_init(GUEST_GICV3_GICR0_BASE));
	domain_init_vcpus(d);
	assert_int_equal(mm_alloc_guest(0, bytes / PAGE_SIZE, 512, &pa), 0);
	memset(pa_to_va(pa), 0, bytes);
	assert_int_equal(domain_add_memory(d, ipa_init(pa_addr(pa)), pa, bytes), 0); /* 1:1 */
	arch_vcpu_reset(d->vcpus[0], (u64)(uintptr_t)cfg->dom0_main, 0);
	domain_publish(d);
	console_set_input_domain(d);
	d->state = DOMAIN_RUNNING;
	vcpu_start(d->vcpus[0]);
}

/* No wait: the pCPUs are stopped, and each switches its vCPU out below. */
static void pause_one(struct domain *d)
{
	domain_pause_nosync(d);
}

/*
 * With the pCPU threads gone, this thread acts as each pCPU in turn: every
 * domain is paused, each pCPU switches its vCPU out, and then, as pCPU 0,
 * every domain is destroyed the way the toolstack does it. Dom0 too: it
 * gives up the privilege that protects it first.
 */
static void tear_down(void)
{
	fake_become_pcpu(0);
	domain_for_each(pause_one);
	fake_machine_offline();
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		fake_become_pcpu((int)i);
		if (!fake_pcpu_drain())
			harness_error("pCPU %u still had a vCPU to run with every domain paused", i);
	}
	fake_become_pcpu(0);
	for (int pass = 0; pass < 4 && domain_list(); pass++) {
		struct domain *next;

		for (struct domain *d = domain_list(); d; d = next) {
			next = d->next;
			d->privileged = false;
			d->direct_map = false;
			domain_destroy(d);
		}
	}
	if (domain_list())
		harness_error("d%u could not be destroyed at the end", domain_list()->id);
	fake_become_pcpu(-1);
}

static void end_guests(void)
{
	struct guest *g, *next;

	for (g = m.guests; g; g = g->next)
		end_guest(g);
	for (g = m.guests; g; g = next) {
		next = g->next;
		pthread_join(g->thread, NULL);
		pthread_mutex_destroy(&g->lock);
		pthread_cond_destroy(&g->cond);
		free(g);
	}
	m.guests = NULL;
}

static void print_console_tail(void)
{
	static char buf[4096];
	u64 index = 0, n, total = 0;

	while ((n = console_read_log(buf, sizeof(buf), &index)))
		total = index;
	index = total > sizeof(buf) ? total - sizeof(buf) : 0;
	n = console_read_log(buf, sizeof(buf) - 1, &index);
	buf[n] = 0;
	fprintf(stderr, "harness: the hypervisor's log ends:\n%s\n", buf);
}

/*
 * The programs still alive, for a HANG: whose turn it is, whether the thread
 * ever ran, how many traps it made. A pCPU "running" a vCPU waits for that
 * vCPU's program to trap: this tells a program that never started (its
 * thread) from one that runs without trapping (the test) from one that
 * traps and is not scheduled (Domus).
 */
static void dump_programs(void)
{
	if (pthread_mutex_trylock(&m.lock)) {
		fprintf(stderr, "  (the programs' list is locked)\n");
		return;
	}
	for (struct guest *g = m.guests; g; g = g->next) {
		if (pthread_mutex_trylock(&g->lock)) {
			fprintf(stderr, "  d%uv%u gen %u: locked\n", g->domid, g->vcpu_id, g->gen);
			continue;
		}
		if (!g->kill)
			fprintf(stderr, "  d%uv%u gen %u: %s turn, %s, %llu traps%s on pCPU %u\n",
				g->domid, g->vcpu_id, g->gen, g->turn == TURN_GUEST ? "its" : "the CPU's",
				g->started ? "started" : "never started", (unsigned long long)g->traps,
				g->in_cpu_off ? ", in CPU_OFF" : "", g->cpu);
		pthread_mutex_unlock(&g->lock);
	}
	pthread_mutex_unlock(&m.lock);
}

static void hang(const char *what, unsigned int seconds)
{
	fprintf(stderr, "harness: HANG: %s within %u s; the machine:\n", what, seconds);
	fake_dump_state();
	fprintf(stderr, "harness: the programs alive:\n");
	dump_programs();
	print_console_tail();
	hang_wait();
	abort();
}

void machine_run(const struct machine_cfg *in)
{
	struct machine_cfg cfg = *in;
	struct timespec ts;
	u64 baseline, left;
	int rc = 0;

	if (!cfg.nr_pcpus)
		cfg.nr_pcpus = 2;
	if (!cfg.mem_mib)
		cfg.mem_mib = 64;
	if (!cfg.dom0_vcpus)
		cfg.dom0_vcpus = 1;
	if (!cfg.dom0_mem_mib)
		cfg.dom0_mem_mib = 4;
	if (!cfg.timeout_s)
		cfg.timeout_s = 60;
	assert_non_null(cfg.dom0_main);
	m.cfg = &cfg;
	m.dom0_done = false;
	m.nr_failures = 0;
	pthread_cond_init(&m.cond, NULL);
	clock_gettime(CLOCK_MONOTONIC, &m.boot);

	fake_machine_init(cfg.mem_mib * MiB(1), cfg.nr_pcpus, &ops);
	baseline = mm_free_count();
	fake_become_pcpu(0);
	build_dom0(&cfg);
	fake_become_pcpu(-1);
	fake_machine_start();

	deadline_in(&ts, cfg.timeout_s);
	pthread_mutex_lock(&m.lock);
	while (!m.dom0_done && fake_power_state() == FAKE_POWER_ON && rc == 0) {
		struct timespec step;

		/* A power-off says nothing to this thread: look every 10 ms. */
		clock_gettime(CLOCK_REALTIME, &step);
		step.tv_nsec += 10000000;
		if (step.tv_nsec >= 1000000000) {
			step.tv_sec++;
			step.tv_nsec -= 1000000000;
		}
		if (step.tv_sec > ts.tv_sec || (step.tv_sec == ts.tv_sec && step.tv_nsec > ts.tv_nsec))
			step = ts;
		rc = pthread_cond_timedwait(&m.cond, &m.lock, &step);
		if (rc == ETIMEDOUT && (step.tv_sec != ts.tv_sec || step.tv_nsec != ts.tv_nsec))
			rc = 0;
	}
	pthread_mutex_unlock(&m.lock);
	if (rc)
		hang("dom0's program did not finish", cfg.timeout_s);
	if (!fake_machine_stop(10000))
		hang("a pCPU did not stop (stuck inside the hypervisor)", 10);

	tear_down();
	end_guests();
	left = mm_free_count();
	if (left != baseline)
		harness_error("%ld pages did not come back (free %lu of %lu at boot)",
			      (long)(baseline - left), left, baseline);
	for (int k = 0; k < FAKE_VIOLATION_KINDS; k++)
		if (fake_violation_count(k) && !(cfg.tolerate & (1u << k)))
			harness_error("%u fake-arch violations of kind %d (above)", fake_violation_count(k),
				      k);
	if (fake_power_state() != cfg.expect_power)
		harness_error("the machine's power state is %d, expected %d", fake_power_state(),
			      cfg.expect_power);
	fake_machine_fini();
	m.cfg = NULL;
	if (m.nr_failures) {
		for (unsigned int i = 0; i < m.nr_failures; i++)
			print_message("  %s\n", m.failures[i]);
		fail_msg("%u failure(s) in the machine", m.nr_failures);
	}
}

/* ---- main ---- */

/* Sanitizer reports end the program: a race found is a failure, not a warning. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allow_user_segv_handler=0:detect_leaks=1";
}

const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "halt_on_error=1:second_deadlock_stack=1:history_size=7";
}

/*
 * Reads the core makes without a lock on purpose, as hints it checks again
 * under the lock or as snapshots for the toolstack and the guest. The
 * writers are plain stores under a lock, so each is a data race in C11's
 * terms and TSan reports it; on arm64 they are single-copy atomic and
 * re-checked. They are listed by the function at the top of one of the two
 * stacks, so that the TSan builds stop on everything else; each line goes
 * once the core reads and writes that field with __atomic.
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return
		/* pcpus[].online, .rq.count peeked before taking two queue locks */
		"race_top:steal\n"
		/* pcpus[].online and .current: is there an idle pCPU to call? */
		"race_top:call_idle_pcpu\n"
		/* the domain list and every vCPU's pcpu and state, walked unlocked for timer
		 * deadlines and watchdogs (only sched_quiesce protects the walk, and only
		 * against removal: a domain is published without a release) */
		"race_top:next_wakeup\n"
		"race_top:next_watchdog\n"
		"race_top:sched_tick\n"
		"race:fire_watchdogs\n"
		/* pcpus[].sched_count and .online */
		"race_top:sched_quiesce\n"
		/* current->state, re-checked in schedule() */
		"race_top:sched_check\n"
		/* rq.count, written under the queue lock, peeked by schedule() and the above */
		"race_top:runq_push\n"
		"race_top:runq_pop\n"
		"race_top:runq_remove\n"
		/* getvcpuinfo, getdomaininfo, physinfo: a snapshot of states, times and counts */
		"race_top:ctl_locked\n"
		"race_top:getdomaininfo\n"
		"race_top:domain_cpu_ns\n"
		/* d->state, READ_ONCE'd against DYING; destroy's grace period covers a stale read */
		"race_top:domain_by_id\n"
		/* mm_free_count: the heap's free count, read without its lock */
		"race_top:palloc_free_count\n"
		/* the state a vCPU switched out in, for its runstate: another pCPU may pause it */
		"race_top:runstate_of\n"
		/* PSCI AFFINITY_INFO: the target's state as a snapshot for the guest */
		"race_top:affinity_info\n"
		/* the harness's own oracle: on_cpu, which schedule() sets with a plain store */
		"race_top:machine_domain_off_cpus\n"
		/* v->arch.vgic.ap_list peeked before the vCPU's vGIC lock: an adder kicks it anyway */
		"race_top:vgic_flush_lrs\n";
}

const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

int harness_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
		 size_t count)
{
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < count; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return _cmocka_run_group_tests(group, tests, count, NULL, NULL);
}
