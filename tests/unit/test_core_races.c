// SOURCES: @core tests/unit/core_harness.c
/* SPDX-License-Identifier: MIT */
/*
 * Known defects of the core, reproduced on the fake machine: grant tables
 * freed under a mapper, vCPUs started while paused or twice, RAM lost by
 * remove_from_physmap, an unpreempted 65535-element batch, domain ids reused
 * at once; and a clone and its parent writing the pages they share all at
 * once. Each case runs for a bounded time (about two seconds, or a fixed
 * number of rounds) and fails with a sanitizer report, a harness message or
 * an expectation. `make races` runs each in a process of its own; the list
 * UNIT_PENDING in the Makefile keeps them out of `make unit` until fixed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <arm64/psci.h>

#include "core_harness.h"

#define RACE_SECONDS 2.0
/* A loaded host runs fewer rounds in that time: the grant races go on to this many, up to 8 s. */
#define GRANT_ROUNDS 400
#define RACE_MAX_SECONDS 8.0
/* Two seconds of racing, then a few more for the rest: longer is a hang. */
#define RACE_TIMEOUT_S 20

/* What the test's programs tell each other (host memory: the test's channel, not Domus'). */
static struct {
	u32 stop;
	u32 ready; /* a granter's id once its grant is written */
	u32 granter; /* the domain the mapper names, 0: none */
	u32 calling; /* the granter a mapper's vCPU is about to name in a call */
	u64 ok, bad_domain, other; /* the mapper's results */
	u64 progress; /* steps taken by a churning domain's programs */
	u64 successes, starts; /* CPU_ONs that succeeded, program instances that started */
	u32 go; /* f: the sharers may write */
	u64 finished; /* f: sharers done writing and checking */
} mail;

static void mail_reset(void)
{
	memset(&mail, 0, sizeof(mail));
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)

static void wait_offline(struct guest *g, domid_t id, u32 vcpu)
{
	while (guest_vcpu_state(g, id, vcpu) != DOMUS_VCPU_OFFLINE)
		guest_yield(g);
}

/* ================================================================
 * a. A grant table freed under another domain's feet.
 *
 * domain_destroy(B) calls gnttab_domain_destroy, which frees B's table and
 * sets B->gnttab = NULL, before B leaves the domain list and before
 * sched_quiesce. A domain A naming B in GNTTABOP_map_grant_ref or
 * GNTTABOP_copy passes lookup() (which reads B->gnttab once) and reads
 * B->gnttab again in map_ref / copy_claim: NULL, or a freed table.
 * ================================================================ */

#define GRANT_REF 8
#define BATCH 100 /* per call: most of the mapper's time is then spent inside the grant code */
#define MAP_HOLE 0x30000000ULL /* guest-physical space A never has RAM in */

enum grant_use { USE_MAP, USE_COPY };
enum granter_end { END_DESTROYED, END_SHUTDOWN_THEN_DESTROYED };

/* B: grants a page of its RAM to A (x0), says so, then stops or shuts its domain down. */
static void granter(struct guest *g)
{
	struct grant_entry_v1 *gt = guest_grant_table(g);
	u64 page = guest_alloc_pages(g, 1);
	domid_t mapper = (domid_t)guest_arg(g);
	enum granter_end end = (enum granter_end)(guest_arg(g) >> 16);

	__atomic_store_n(&gt[GRANT_REF].domid, mapper, __ATOMIC_RELAXED);
	__atomic_store_n(&gt[GRANT_REF].frame, (u32)(page >> PAGE_SHIFT), __ATOMIC_RELAXED);
	__atomic_store_n(&gt[GRANT_REF].flags, GTF_permit_access, __ATOMIC_RELEASE);
	STORE(mail.ready, guest_domid(g));
	if (end == END_SHUTDOWN_THEN_DESTROYED)
		guest_shutdown(g, SHUTDOWN_poweroff);
}

static void count(s16 status)
{
	if (status == GNTST_okay)
		ADD(mail.ok, 1);
	else if (status == GNTST_bad_domain)
		ADD(mail.bad_domain, 1);
	else
		ADD(mail.other, 1);
}

/* A: maps (then unmaps) or copies from B's grant, BATCH at a time, whoever B is now. */
static void mapper(struct guest *g)
{
	enum grant_use use = (enum grant_use)guest_arg(g);
	static __thread struct gnttab_map_grant_ref maps[BATCH];
	static __thread struct gnttab_unmap_grant_ref unmaps[BATCH];
	static __thread struct gnttab_copy copies[BATCH];
	u64 own = guest_alloc_pages(g, 1);
	u64 hole = MAP_HOLE + (u64)guest_vcpu_id(g) * BATCH * PAGE_SIZE;

	while (!LOAD(mail.stop)) {
		domid_t b = (domid_t)LOAD(mail.granter);
		u32 n = 0;

		if (!b) {
			guest_yield(g);
			continue;
		}
		if (use == USE_COPY) {
			for (u32 i = 0; i < BATCH; i++)
				copies[i] = (struct gnttab_copy){
					.source = { .u.ref = GRANT_REF, .domid = b },
					.dest = { .u.gmfn = own >> PAGE_SHIFT, .domid = DOMID_SELF },
					.len = 64,
					.flags = GNTCOPY_source_gref,
				};
			STORE(mail.calling, b);
			GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_copy, copies, sizeof(copies[0]),
							   BATCH), 0);
			for (u32 i = 0; i < BATCH; i++)
				count(copies[i].status);
			continue;
		}
		for (u32 i = 0; i < BATCH; i++)
			maps[i] = (struct gnttab_map_grant_ref){
				.host_addr = hole + i * PAGE_SIZE, .flags = GNTMAP_host_map,
				.ref = GRANT_REF, .dom = b,
			};
		STORE(mail.calling, b);
		GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_map_grant_ref, maps, sizeof(maps[0]),
						   BATCH), 0);
		for (u32 i = 0; i < BATCH; i++) {
			count(maps[i].status);
			if (maps[i].status == GNTST_okay)
				unmaps[n++] = (struct gnttab_unmap_grant_ref){
					.host_addr = maps[i].host_addr, .handle = maps[i].handle
				};
		}
		if (!n)
			continue;
		GUEST_EXPECT_EQ(g, guest_gnttab_op(g, GNTTABOP_unmap_grant_ref, unmaps,
						   sizeof(unmaps[0]), n), 0);
		for (u32 i = 0; i < n; i++)
			GUEST_EXPECT_EQ(g, unmaps[i].status, GNTST_okay);
	}
}

/* A's vCPU 0: both of A's vCPUs map. */
static void mappers(struct guest *g)
{
	GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, 1, (u64)(uintptr_t)mapper, guest_arg(g)),
			PSCI_SUCCESS);
	mapper(g);
}

struct grant_race {
	enum grant_use use;
	enum granter_end end;
};

static void dom0_destroys_granters(struct guest *g)
{
	const struct grant_race *r = guest_ctx(g);
	long a = guest_domu_create(g, &(struct domu_spec){ .name = "mapper", .nr_vcpus = 2 },
				   mappers, r->use);
	double t0 = machine_seconds();
	u32 rounds = 0;

	GUEST_EXPECT(g, a > 0);
	while ((machine_seconds() - t0 < RACE_SECONDS || rounds < GRANT_ROUNDS) &&
	       machine_seconds() - t0 < RACE_MAX_SECONDS) {
		u64 ok;
		long b;

		STORE(mail.ready, 0);
		b = guest_domu_create(g, &(struct domu_spec){ .name = "granter", .mem_pages = 32 },
				      granter, (u64)a | (u64)r->end << 16);
		if (b < 0) {
			GUEST_EXPECT_EQ(g, b, 0);
			break;
		}
		while (LOAD(mail.ready) != (u32)b)
			guest_yield(g);
		ok = LOAD(mail.ok);
		STORE(mail.granter, (u32)b);
		/*
		 * B goes while a call naming it is on its way in, not by chance
		 * (a slow host, TSan's above all, once had every call start after
		 * B was gone: 0 ok in 400 rounds). Every other round B stays
		 * until a call has reached its grant, so the mapper is shown to
		 * work as well as to survive.
		 */
		while (LOAD(mail.calling) != (u32)b)
			guest_yield(g);
		while (rounds % 2 == 0 && LOAD(mail.ok) == ok)
			guest_yield(g);
		if (r->end == END_SHUTDOWN_THEN_DESTROYED) {
			struct domus_ctl c;

			do {
				guest_yield(g);
				c = (struct domus_ctl){ .cmd = DOMUS_CTL_getdomaininfo, .domid = (domid_t)b };
				GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
			} while (c.u.domaininfo.state != DOMUS_DOMAIN_SHUTDOWN);
		} else {
			guest_yield(g);
		}
		GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)b), 0);
		STORE(mail.granter, 0);
		rounds++;
	}
	STORE(mail.stop, 1);
	wait_offline(g, (domid_t)a, 0);
	wait_offline(g, (domid_t)a, 1);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)a), 0);
	print_message("  %u granters destroyed under the mapper: %lu ok, %lu bad_domain, %lu other\n",
		      rounds, LOAD(mail.ok), LOAD(mail.bad_domain), LOAD(mail.other));
	GUEST_EXPECT(g, LOAD(mail.ok) > 0); /* the race was run: A did reach B's grant */
}

static void run_grant_race(enum grant_use use, enum granter_end end)
{
	struct grant_race r = { use, end };

	mail_reset();
	machine_run(&(struct machine_cfg){ .nr_pcpus = 3, .ctx = &r, .timeout_s = RACE_TIMEOUT_S,
					   .dom0_main = dom0_destroys_granters });
}

static void test_grant_map_survives_destroy_of_the_granter(void **state)
{
	run_grant_race(USE_MAP, END_DESTROYED);
}

static void test_grant_copy_survives_destroy_of_the_granter(void **state)
{
	run_grant_race(USE_COPY, END_DESTROYED);
}

static void test_grant_map_survives_granter_shutdown_then_destroy(void **state)
{
	run_grant_race(USE_MAP, END_SHUTDOWN_THEN_DESTROYED);
}

/* ================================================================
 * b. A paused vCPU started again.
 *
 * vcpu_set_offline overwrites VCPU_PAUSED with VCPU_OFFLINE, and PSCI
 * CPU_ON starts any OFFLINE vCPU after a check without the lock. A vCPU
 * paused while it is on its way into CPU_OFF ends up OFFLINE, and a sibling
 * not yet paused (or already in its CPU_ON) starts it: a paused domain
 * runs; destroy waits for it or frees it while it is queued.
 * ================================================================ */

/* vCPU 0, again and again: one step, then off. */
static void stopper(struct guest *g)
{
	ADD(mail.progress, 1);
}

/* vCPU 1: starts vCPU 0 whenever it is off. */
static void starter(struct guest *g)
{
	while (!LOAD(mail.stop)) {
		ADD(mail.progress, 1);
		guest_psci(g, PSCI_CPU_ON_64, 0, (u64)(uintptr_t)stopper, 0);
	}
}

/* The domain's first program (vCPU 0): start the other x0 - 1 as starters, then be a stopper. */
static void churn(struct guest *g)
{
	for (u32 v = 1; v < guest_arg(g); v++)
		GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, v, (u64)(uintptr_t)starter, 0),
				PSCI_SUCCESS);
	stopper(g);
}

static const char *const vcpu_state_names[] = { "offline", "runnable", "running", "blocked",
						"paused" };

static void dom0_pauses_the_churn(struct guest *g)
{
	long u = guest_domu_create(g, &(struct domu_spec){ .name = "churn", .nr_vcpus = 2 }, churn,
				   2);
	double t0 = machine_seconds();
	u32 rounds = 0, bad = 0;

	GUEST_EXPECT(g, u > 0);
	while (LOAD(mail.progress) < 100)
		guest_yield(g);
	while (machine_seconds() - t0 < RACE_SECONDS && !bad) {
		u64 seen;

		double paused;

		GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)u, true), 0);
		/* The pause takes effect as each pCPU takes its kick: a running guest gets one more step. */
		paused = machine_seconds();
		while (!machine_domain_off_cpus((domid_t)u) && machine_seconds() - paused < 1.0)
			guest_yield(g);
		if (!machine_domain_off_cpus((domid_t)u) && !bad++)
			guest_fail(g, __FILE__, __LINE__,
				   "round %u: d%ld still on a pCPU a second after pausedomain", rounds, u);
		seen = LOAD(mail.progress);
		for (u32 v = 0; v < 2; v++) {
			long s = guest_vcpu_state(g, (domid_t)u, v);

			if (s != DOMUS_VCPU_PAUSED && !bad++)
				guest_fail(g, __FILE__, __LINE__,
					   "round %u: d%ldv%u is %s after pausedomain; every vCPU of a "
					   "paused domain must stay paused",
					   rounds, u, v, s >= 0 && s < 5 ? vcpu_state_names[s] : "?");
		}
		for (int i = 0; i < 20; i++)
			guest_yield(g);
		if (LOAD(mail.progress) != seen && !bad++)
			guest_fail(g, __FILE__, __LINE__, "round %u: d%ld ran %lu steps while paused",
				   rounds, u, LOAD(mail.progress) - seen);
		GUEST_EXPECT_EQ(g, guest_domu_pause(g, (domid_t)u, false), 0);
		rounds++;
	}
	print_message("  %u pauses of a domain whose vCPUs go off and on\n", rounds);
	STORE(mail.stop, 1);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)u), 0);
}

static void test_paused_domain_stays_paused_through_cpu_off_and_on(void **state)
{
	mail_reset();
	machine_run(&(struct machine_cfg){ .nr_pcpus = 3, .timeout_s = RACE_TIMEOUT_S,
					   .dom0_main = dom0_pauses_the_churn,
					   .tolerate = 1u << FAKE_RESET_WHILE_LOADED });
}

/*
 * Two vCPUs that hand over to each other: each starts the other (once it is
 * off) and then goes off itself. A pause that one of them undoes is undone
 * again by the other, so a domain being destroyed keeps running.
 */
static void pingpong(struct guest *g)
{
	u32 other = 1 - guest_vcpu_id(g);

	while (!LOAD(mail.stop) &&
	       guest_psci(g, PSCI_CPU_ON_64, other, (u64)(uintptr_t)pingpong, 0) != PSCI_SUCCESS)
		;
	ADD(mail.progress, 1);
}

static void dom0_destroys_the_pingpong(struct guest *g)
{
	double t0 = machine_seconds();
	u32 rounds = 0;

	while (machine_seconds() - t0 < RACE_SECONDS && rounds < 2000) {
		long u = guest_domu_create(g, &(struct domu_spec){ .name = "pingpong", .nr_vcpus = 2 },
					   pingpong, 0);
		u64 from = LOAD(mail.progress);

		GUEST_EXPECT(g, u > 0);
		while (LOAD(mail.progress) < from + 10)
			guest_yield(g);
		GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)u), 0);
		rounds++;
	}
	print_message("  %u domains destroyed while their two vCPUs start each other\n", rounds);
}

static void test_destroy_stops_vcpus_that_start_each_other(void **state)
{
	mail_reset();
	machine_run(&(struct machine_cfg){ .nr_pcpus = 3, .timeout_s = RACE_TIMEOUT_S,
					   .dom0_main = dom0_destroys_the_pingpong,
					   .tolerate = 1u << FAKE_RESET_WHILE_LOADED });
}

/* vCPU 2: counts its starts. */
static void target(struct guest *g)
{
	ADD(mail.starts, 1);
}

/* vCPUs 0 and 1: start vCPU 2 whenever they can, counting the successes. */
static void sibling(struct guest *g)
{
	while (!LOAD(mail.stop))
		if (guest_psci(g, PSCI_CPU_ON_64, 2, (u64)(uintptr_t)target, 0) == PSCI_SUCCESS)
			ADD(mail.successes, 1);
}

static void siblings(struct guest *g)
{
	GUEST_EXPECT_EQ(g, guest_psci(g, PSCI_CPU_ON_64, 1, (u64)(uintptr_t)sibling, 0),
			PSCI_SUCCESS);
	sibling(g);
}

static void dom0_watches_two_starters(struct guest *g)
{
	long u = guest_domu_create(g, &(struct domu_spec){ .name = "siblings", .nr_vcpus = 3 },
				   siblings, 0);
	double t0 = machine_seconds();

	GUEST_EXPECT(g, u > 0);
	while (machine_seconds() - t0 < RACE_SECONDS)
		guest_yield(g);
	STORE(mail.stop, 1);
	for (u32 v = 0; v < 3; v++)
		wait_offline(g, (domid_t)u, v);
	print_message("  %lu CPU_ONs of one vCPU succeeded, it started %lu times\n",
		      LOAD(mail.successes), LOAD(mail.starts));
	GUEST_EXPECT_EQ(g, LOAD(mail.successes), LOAD(mail.starts));
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)u), 0);
}

static void test_two_siblings_cpu_on_one_vcpu_start_it_once(void **state)
{
	mail_reset();
	machine_run(&(struct machine_cfg){ .nr_pcpus = 3, .timeout_s = RACE_TIMEOUT_S,
					   .dom0_main = dom0_watches_two_starters,
					   .tolerate = 1u << FAKE_RESET_WHILE_LOADED });
}

/*
 * Found alongside b: CPU_ON of a vCPU whose CPU_OFF has not yet been
 * switched out resets it while its pCPU still holds its state (on arm64 the
 * switch away then saves the old EL1 registers over the reset, or, if the
 * same pCPU picks it again, never loads them). The fake arch reports the
 * reset of a loaded vCPU.
 */
static void dom0_lets_it_churn(struct guest *g)
{
	long u = guest_domu_create(g, &(struct domu_spec){ .name = "churn", .nr_vcpus = 2 }, churn,
				   2);
	double t0 = machine_seconds();

	GUEST_EXPECT(g, u > 0);
	while (machine_seconds() - t0 < RACE_SECONDS)
		guest_yield(g);
	STORE(mail.stop, 1);
	print_message("  %lu steps of vCPUs going off and on\n", LOAD(mail.progress));
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)u), 0);
}

static void test_cpu_on_waits_until_cpu_off_is_switched_out(void **state)
{
	mail_reset();
	machine_run(&(struct machine_cfg){ .nr_pcpus = 3, .timeout_s = RACE_TIMEOUT_S,
					   .dom0_main = dom0_lets_it_churn });
}

/* ================================================================
 * c. XENMEM_remove_from_physmap of the guest's own RAM: the frame leaves
 * its stage 2 and is recorded nowhere; destroy frees RAM by walking the
 * stage 2, so the frame is lost.
 * ================================================================ */

static void domu_removes_a_ram_page(struct guest *g)
{
	struct xen_remove_from_physmap r = { .domid = DOMID_SELF };

	r.gpfn = guest_alloc_pages(g, 1) >> PAGE_SHIFT;
	GUEST_EXPECT_EQ(g, guest_memory_op(g, XENMEM_remove_from_physmap, &r, sizeof(r)), 0);
}

static void dom0_counts_pages_around_a_domu(struct guest *g)
{
	u64 before = guest_free_pages_beside_dom0(g), after;
	long u = guest_domu_create(g, &(struct domu_spec){ .name = "remover" },
				   domu_removes_a_ram_page, 0);

	GUEST_EXPECT(g, u > 0);
	wait_offline(g, (domid_t)u, 0);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)u), 0);
	after = guest_free_pages_beside_dom0(g);
	if (after != before)
		guest_fail(g, __FILE__, __LINE__,
			   "%ld pages lost: a RAM frame the guest removed from its map was not freed",
			   (long)(before - after));
}

static void test_ram_a_guest_removes_from_its_map_comes_back_at_destroy(void **state)
{
	machine_run(&(struct machine_cfg){ .timeout_s = RACE_TIMEOUT_S,
					   .dom0_main = dom0_counts_pages_around_a_domu });
}

/* ================================================================
 * d. XENMEM_add_to_physmap_batch of 65535 elements from a domU: each is
 * refused (-EPERM: not privileged), but all 65535 run in one entry, with
 * three guest copies each and no preemption point. The fake counts the guest
 * pointers each trap translates: an entry must stay under a bound (a
 * continuation may re-enter for the rest).
 * ================================================================ */

#define BATCH_SIZE 65535
/* 1024 elements' worth of guest copies in one entry, and a few for the call itself. */
#define WORK_PER_ENTRY (3 * 1024 + 16)

static void put64(struct guest *g, u64 base, u64 i, u64 v)
{
	*(u64 *)guest_mem(g, base + i * 8) = v;
}

static void domu_batches_65535(struct guest *g)
{
	u64 idxs = guest_alloc_pages(g, BATCH_SIZE * 8 / PAGE_SIZE + 1);
	u64 gpfns = guest_alloc_pages(g, BATCH_SIZE * 8 / PAGE_SIZE + 1);
	u64 errs = guest_alloc_pages(g, BATCH_SIZE * 4 / PAGE_SIZE + 1);
	struct xen_add_to_physmap_batch b = {
		.domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign, .size = BATCH_SIZE,
		.foreign_domid = 0, .idxs = idxs, .gpfns = gpfns, .errs = errs,
	};

	for (u64 i = 0; i < BATCH_SIZE; i++) {
		put64(g, idxs, i, i);
		put64(g, gpfns, i, (MAP_HOLE >> PAGE_SHIFT) + i);
	}
	GUEST_EXPECT_EQ(g, guest_memory_op(g, XENMEM_add_to_physmap_batch, &b, sizeof(b)), 0);
	GUEST_EXPECT_EQ(g, *(s32 *)guest_mem(g, errs), -EPERM);
	GUEST_EXPECT_EQ(g, *(s32 *)guest_mem(g, errs + (BATCH_SIZE - 1) * 4), -EPERM);
	if (guest_max_trap_accesses(g) > WORK_PER_ENTRY)
		guest_fail(g, __FILE__, __LINE__,
			   "one entry of add_to_physmap_batch did %lu guest accesses (bound %u): "
			   "%u elements with no preemption point",
			   guest_max_trap_accesses(g), WORK_PER_ENTRY, BATCH_SIZE);
}

static void dom0_starts_the_batcher(struct guest *g)
{
	long u = guest_domu_create(g, &(struct domu_spec){ .name = "batcher", .mem_pages = 512 },
				   domu_batches_65535, 0);

	GUEST_EXPECT(g, u > 0);
	wait_offline(g, (domid_t)u, 0);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)u), 0);
}

static void test_add_to_physmap_batch_of_65535_is_preempted(void **state)
{
	machine_run(&(struct machine_cfg){ .timeout_s = RACE_TIMEOUT_S,
					   .dom0_main = dom0_starts_the_batcher });
}

/* ================================================================
 * e. Domain ids reused at once: destroy d1, create another, it is d1
 * again. Xen hands out ids in increasing order and does not reuse one at
 * once, so a toolstack or back end still holding the old id cannot reach
 * the new domain by mistake.
 * ================================================================ */

static void idle(struct guest *g)
{
}

static void dom0_recreates(struct guest *g)
{
	static const struct {
		u32 create_first, destroy; /* create this many, destroy the nth (from 0) */
	} cases[] = { { 1, 0 }, { 3, 1 }, { 3, 2 } };

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		long ids[3], again;

		for (u32 i = 0; i < cases[c].create_first; i++) {
			ids[i] = guest_domu_create(g, &(struct domu_spec){ .name = "id" }, idle, 0);
			GUEST_EXPECT(g, ids[i] > 0);
		}
		GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)ids[cases[c].destroy]), 0);
		again = guest_domu_create(g, &(struct domu_spec){ .name = "id" }, idle, 0);
		GUEST_EXPECT(g, again > 0);
		if (again == ids[cases[c].destroy])
			guest_fail(g, __FILE__, __LINE__,
				   "case %zu: d%ld destroyed, and the next domain created is d%ld again",
				   c, again, again);
		GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)again), 0);
		for (u32 i = 0; i < cases[c].create_first; i++)
			if (i != cases[c].destroy)
				GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)ids[i]), 0);
	}
}

static void test_domain_id_is_not_reused_at_once(void **state)
{
	machine_run(&(struct machine_cfg){ .timeout_s = RACE_TIMEOUT_S, .dom0_main = dom0_recreates });
}

/* ================================================================
 * f. A clone and its parent writing the pages they share, all at once.
 *
 * DOMUS_CTL_sharepages maps a stopped parent's frames read-only into two
 * clones; then the three run, each on a pCPU of its own, and write every
 * data page, each in its own order. A write (the fake has no stage-2
 * faults: p2m_set_dirty, as arm64's write fault calls it, then the store)
 * takes only the writer's map lock, so the others copy the frame, drop
 * their share of it or take it at the same time: each must end with its
 * own bytes alone, in frames of its own, and every frame freed once.
 * ================================================================ */

#define COW_PAGES 512 /* each domain's RAM */
#define COW_FIRST 17 /* the harness's pages, first in RAM (core_harness.c): nobody writes them */
#define COW_DATA (COW_PAGES - COW_FIRST)
#define COW_SHARERS 3 /* the parent, then two clones */
#define COW_RAM0_GFN (GUEST_RAM0_BASE >> PAGE_SHIFT)

static u8 cow_byte(u32 k)
{
	return (u8)(0xa0 + k);
}

/* Sharer k's i-th page: the parent goes up, a clone down, the other from the middle. */
static u64 cow_gfn(u32 k, u64 i)
{
	u64 at = k == 0 ? i : k == 1 ? COW_DATA - 1 - i : (i + COW_DATA / 2) % COW_DATA;

	return COW_RAM0_GFN + COW_FIRST + at;
}

static void cow_writer(struct guest *g)
{
	struct domain *d = guest_vcpu(g)->dom;
	u32 k = (u32)guest_arg(g);
	enum p2m_type type;
	paddr_t pa;

	ADD(mail.starts, 1);
	while (!LOAD(mail.go))
		guest_yield(g);
	for (u64 i = 0; i < COW_DATA; i++) {
		GUEST_EXPECT_EQ(g, p2m_set_dirty(d, cow_gfn(k, i)), 0);
		GUEST_EXPECT_EQ(g, p2m_lookup(d, cow_gfn(k, i), &pa, &type), 0);
		GUEST_EXPECT_EQ(g, type, P2M_RAM);
		memset(p2m_frame_va(pa), cow_byte(k), PAGE_SIZE);
		if (i % 16 == 15)
			guest_yield(g);
	}
	/* Nobody else's store may have landed in its pages, nor its own in another's. */
	for (u64 i = 0; i < COW_DATA; i++) {
		const u8 *p;

		GUEST_EXPECT_EQ(g, p2m_lookup(d, cow_gfn(k, i), &pa, &type), 0);
		p = p2m_frame_va(pa);
		for (u64 b = 0; b < PAGE_SIZE; b += 512)
			if (p[b] != cow_byte(k)) {
				guest_fail(g, __FILE__, __LINE__, "d%u gfn %#lx holds %#x at %lu",
					   d->id, cow_gfn(k, i), p[b], b);
				break;
			}
	}
	ADD(mail.finished, 1);
}

static u64 cow_shared_pages(struct guest *g, domid_t id)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_getdomaininfo, .domid = id };

	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT_EQ(g, c.domid, id);
	return c.u.domaininfo.shared_pages;
}

static domid_t cow_clone_of(struct guest *g, domid_t parent)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_createdomain };

	c.u.createdomain.nr_vcpus = 1;
	c.u.createdomain.max_mem_kib = COW_PAGES * 4;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	c = (struct domus_ctl){ .cmd = DOMUS_CTL_sharepages, .domid = parent,
				.u.sharepages = { .gfn = COW_RAM0_GFN, .count = COW_PAGES,
						  .to = c.domid } };
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	GUEST_EXPECT_EQ(g, c.u.sharepages.shared, COW_PAGES);
	return c.u.sharepages.to;
}

static void dom0_lets_parent_and_clones_write_at_once(struct guest *g)
{
	static paddr_t orig[COW_PAGES]; /* the parent's frames, before anyone writes */
	u64 free = guest_free_pages(g), before;
	domid_t ids[COW_SHARERS];
	enum p2m_type type;
	paddr_t pa[COW_SHARERS];
	long id;

	mail_reset();
	id = guest_domu_build(g, &(struct domu_spec){ .name = "parent", .mem_pages = COW_PAGES });
	GUEST_EXPECT(g, id > 0);
	ids[0] = (domid_t)id;
	for (u64 gfn = COW_RAM0_GFN + COW_FIRST; gfn < COW_RAM0_GFN + COW_PAGES; gfn++) {
		GUEST_EXPECT_EQ(g, p2m_lookup(domain_by_id(ids[0]), gfn, &pa[0], &type), 0);
		memset(p2m_frame_va(pa[0]), 0x5a, PAGE_SIZE);
	}
	GUEST_EXPECT_EQ(g, guest_domu_start(g, ids[0], cow_writer, 0), 0);
	while (!LOAD(mail.starts))
		guest_yield(g);
	GUEST_EXPECT_EQ(g, guest_domu_pause(g, ids[0], true), 0);
	for (u32 k = 1; k < COW_SHARERS; k++)
		ids[k] = cow_clone_of(g, ids[0]);
	for (u32 k = 1; k < COW_SHARERS; k++)
		GUEST_EXPECT_EQ(g, guest_domu_start(g, ids[k], cow_writer, k), 0);
	for (u64 i = 0; i < COW_PAGES; i++)
		GUEST_EXPECT_EQ(g, p2m_lookup(domain_by_id(ids[0]), COW_RAM0_GFN + i, &orig[i], &type),
				0);
	GUEST_EXPECT_EQ(g, guest_domu_pause(g, ids[0], false), 0);
	while (LOAD(mail.starts) < COW_SHARERS)
		guest_yield(g);
	before = guest_free_pages(g);
	STORE(mail.go, 1);
	while (LOAD(mail.finished) < COW_SHARERS)
		guest_yield(g);
	/* Two copies of each data page, whoever made them: the last writer took the frame. */
	GUEST_EXPECT_EQ(g, before - guest_free_pages(g), 2 * COW_DATA);

	/* Three frames for each data page, each its writer's own; the rest still one for all. */
	for (u64 gfn = COW_RAM0_GFN; gfn < COW_RAM0_GFN + COW_PAGES; gfn++) {
		for (u32 k = 0; k < COW_SHARERS; k++) {
			GUEST_EXPECT_EQ(g, p2m_lookup(domain_by_id(ids[k]), gfn, &pa[k], &type), 0);
			GUEST_EXPECT_EQ(g, type, gfn < COW_RAM0_GFN + COW_FIRST ? P2M_RAM_COW : P2M_RAM);
		}
		if (gfn < COW_RAM0_GFN + COW_FIRST) {
			GUEST_EXPECT(g, pa_addr(pa[0]) == pa_addr(pa[1]) &&
					pa_addr(pa[1]) == pa_addr(pa[2]));
			GUEST_EXPECT_EQ(g, mm_frame_refs(pa[0]), COW_SHARERS);
			continue;
		}
		GUEST_EXPECT(g, pa_addr(pa[0]) != pa_addr(pa[1]) &&
				pa_addr(pa[1]) != pa_addr(pa[2]) &&
				pa_addr(pa[0]) != pa_addr(pa[2]));
		for (u32 k = 0; k < COW_SHARERS; k++) {
			GUEST_EXPECT_EQ(g, mm_frame_owner(pa[k]), ids[k]);
			GUEST_EXPECT_EQ(g, mm_frame_refs(pa[k]), 0);
		}
		/*
		 * The last to write takes the frame; or none does, when the last
		 * looked while another was still copying: it copied too, and its
		 * share, the last, freed the frame (the count above holds either way).
		 */
		GUEST_EXPECT(g, (pa_addr(pa[0]) == pa_addr(orig[gfn - COW_RAM0_GFN])) +
				     (pa_addr(pa[1]) == pa_addr(orig[gfn - COW_RAM0_GFN])) +
				     (pa_addr(pa[2]) == pa_addr(orig[gfn - COW_RAM0_GFN])) <=
			     1);
	}
	for (u32 k = 0; k < COW_SHARERS; k++)
		GUEST_EXPECT_EQ(g, cow_shared_pages(g, ids[k]), COW_FIRST);
	for (u32 k = 0; k < COW_SHARERS; k++)
		GUEST_EXPECT_EQ(g, guest_domu_destroy(g, ids[k]), 0);
	GUEST_EXPECT_EQ(g, guest_free_pages(g), free);
}

static void test_parent_and_clones_writing_shared_pages_at_once_keep_their_own(void **state)
{
	machine_run(&(struct machine_cfg){ .nr_pcpus = 4, .timeout_s = RACE_TIMEOUT_S,
					   .dom0_main = dom0_lets_parent_and_clones_write_at_once });
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grant_map_survives_destroy_of_the_granter),
		cmocka_unit_test(test_grant_copy_survives_destroy_of_the_granter),
		cmocka_unit_test(test_grant_map_survives_granter_shutdown_then_destroy),
		cmocka_unit_test(test_paused_domain_stays_paused_through_cpu_off_and_on),
		cmocka_unit_test(test_destroy_stops_vcpus_that_start_each_other),
		cmocka_unit_test(test_two_siblings_cpu_on_one_vcpu_start_it_once),
		cmocka_unit_test(test_cpu_on_waits_until_cpu_off_is_switched_out),
		cmocka_unit_test(test_ram_a_guest_removes_from_its_map_comes_back_at_destroy),
		cmocka_unit_test(test_add_to_physmap_batch_of_65535_is_preempted),
		cmocka_unit_test(test_domain_id_is_not_reused_at_once),
		cmocka_unit_test(test_parent_and_clones_writing_shared_pages_at_once_keep_their_own),
	};

	return harness_main(argc, argv, "core_races", tests, ARRAY_SIZE(tests));
}
