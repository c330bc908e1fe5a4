/* SPDX-License-Identifier: MIT */
/*
 * A fake machine running the real core, for host tests: pCPU threads running
 * the real scheduler, dom0 built with the real domain_create, and "guest
 * programs" (host C functions, one host thread per running vCPU) that trap
 * into the real hypercall and PSCI handlers with their registers set as a
 * guest's would be.
 *
 * A test gives dom0's vCPU 0 a program; the machine runs until it returns,
 * then stops, destroys every domain (dom0 included) and checks that every
 * page of RAM came back. Guest programs report with GUEST_EXPECT*, never with
 * cmocka's asserts (they run on their own threads).
 *
 *   static void dom0(struct guest *g)
 *   {
 *       GUEST_EXPECT_EQ(g, guest_hypercall(g, __HYPERVISOR_xen_version, 0, 0, 0, 0, 0),
 *                       0x40011);
 *   }
 *   ... machine_run(&(struct machine_cfg){ .dom0_main = dom0 });
 */
#ifndef CORE_HARNESS_H
#define CORE_HARNESS_H

#include <stddef.h>

#include <domus/types.h>
#include <public/domus_ctl.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/xen.h>

#include "fake.h"

struct guest;
struct vcpu;
struct domain;
struct shared_info;
struct CMUnitTest;

/* A guest program: what a vCPU runs from its entry point. Returning is PSCI CPU_OFF. */
typedef void (*guest_fn)(struct guest *g);

struct machine_cfg {
	unsigned int nr_pcpus; /* 2 */
	u64 mem_mib; /* 64: the machine's RAM, all of it Domus' heap */
	u32 dom0_vcpus; /* 1 */
	u64 dom0_mem_mib; /* 4 */
	guest_fn dom0_main; /* dom0's vCPU 0; the test ends when it returns */
	void *ctx; /* the test's, for its guest programs (guest_ctx) */
	unsigned int timeout_s; /* 60: longer is a hang, which aborts the test program */
	enum fake_power expect_power; /* FAKE_POWER_ON: dom0's program returns */
	/* Fake-arch violations that do not fail this test (bits of 1 << FAKE_*), for a
	 * test of another defect that the same churn also provokes. */
	unsigned int tolerate;
};

/*
 * Boots the machine, runs dom0's program to its end (or to a power-off),
 * stops the pCPUs, destroys every domain and checks that all RAM is free
 * again. Fails the running cmocka test on a guest expectation, a fake-arch
 * violation, an unexpected power state or a page that did not come back; a
 * hang prints the machine's state and aborts.
 */
void machine_run(const struct machine_cfg *cfg);

/* ---- inside guest programs ---- */

struct vcpu *guest_vcpu(struct guest *g);
domid_t guest_domid(struct guest *g);
u32 guest_vcpu_id(struct guest *g);
u64 guest_arg(struct guest *g); /* x0 at its entry (PSCI CPU_ON's context, or setvcpucontext's) */
void *guest_ctx(struct guest *g); /* machine_cfg.ctx */
/* Traps taken by this vCPU's programs so far, and the most guest accesses one of them cost. */
u64 guest_traps(struct guest *g);
u64 guest_max_trap_accesses(struct guest *g);

/* HVC #0xEA1: x16 = nr, x0..x4; returns x0 once the call (and any continuation of it) is done. */
long guest_hypercall(struct guest *g, u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4);
/* HVC #0: PSCI function fid, x1..x3. */
long guest_psci(struct guest *g, u32 fid, u64 a1, u64 a2, u64 a3);
/* A load or store that traps (the vGIC); the value read, or 0. */
u64 guest_mmio(struct guest *g, u64 ipa, u32 size, bool write, u64 val);

/*
 * Calls whose argument is a pointer: arg (size bytes) is copied to this
 * vCPU's scratch page in guest RAM, passed by its guest address, and copied
 * back afterwards.
 */
long guest_memory_op(struct guest *g, u32 cmd, void *arg, size_t size);
long guest_evtchn_op(struct guest *g, u32 cmd, void *arg, size_t size);
long guest_gnttab_op(struct guest *g, u32 cmd, void *ops, size_t size, u32 count);
long guest_sched_op(struct guest *g, u32 cmd, void *arg, size_t size);
long guest_vcpu_op(struct guest *g, u32 cmd, u32 vcpu, void *arg, size_t size);
long guest_xen_version(struct guest *g, u32 cmd, void *arg, size_t size);
long guest_domus_ctl(struct guest *g, struct domus_ctl *c); /* sets c->version */
void guest_yield(struct guest *g);
void guest_block(struct guest *g); /* SCHEDOP_block: until an interrupt */
long guest_shutdown(struct guest *g, u32 reason);

/*
 * Its domain's RAM: where it starts, a host pointer to any of it, pages for
 * the test's own use. Guest programs hold guest-physical addresses as plain
 * numbers, as a guest's registers do.
 */
u64 guest_ram_base(struct guest *g);
void *guest_mem(struct guest *g, u64 ipa);
u64 guest_alloc_pages(struct guest *g, u64 n);

/* Event channels as Linux sees them: shared_info mapped, the upcall PPI enabled. */
struct shared_info *guest_shared_info(struct guest *g);
void guest_enable_upcall(struct guest *g);
/* Takes port's event if pending (Linux's scan of the two levels); true if it was. */
bool guest_event_take(struct guest *g, u32 port);
/* Blocks until port's event arrives (needs guest_enable_upcall on this vCPU). */
void guest_wait_event(struct guest *g, u32 port);
/* Interrupts this vCPU's programs acknowledged, by INTID. */
u64 guest_irqs(struct guest *g, u32 intid);
/* Maps grant-table frame 0 of its own domain (once) and returns its entries. */
struct grant_entry_v1 *guest_grant_table(struct guest *g);

/* ---- the toolstack, in dom0's program ---- */

struct domu_spec {
	const char *name;
	u32 nr_vcpus; /* 1 */
	u64 mem_pages; /* 64: populated from GUEST_RAM0_BASE */
	u32 flags; /* createdomain's DOMUS_CTL_CDF_* */
};

/* createdomain and populate_physmap: the new domain's id (building, not started), or -errno. */
long guest_domu_build(struct guest *g, const struct domu_spec *s);
/* setvcpucontext of its vCPU 0 (entry, x0) and unpause: 0 or -errno. */
long guest_domu_start(struct guest *g, domid_t id, guest_fn entry, u64 arg);
/* Both: the new id, or -errno. */
long guest_domu_create(struct guest *g, const struct domu_spec *s, guest_fn entry, u64 arg);
/* destroydomain, retried while it says -EBUSY or -EAGAIN (for a while): 0 or -errno. */
long guest_domu_destroy(struct guest *g, domid_t id);
long guest_domu_pause(struct guest *g, domid_t id, bool pause);
/* Free pages as DOMUS_CTL_physinfo reports them. */
u64 guest_free_pages(struct guest *g);
/*
 * Free pages plus the table pages dom0 itself holds (its stage 2 and its
 * record of mapped grants, which grow with use and stay): what creating and
 * destroying a domU must leave as it was, to the page.
 */
u64 guest_free_pages_beside_dom0(struct guest *g);
/* DOMUS_CTL_getvcpuinfo's state (DOMUS_VCPU_*), or -errno. */
long guest_vcpu_state(struct guest *g, domid_t id, u32 vcpu);
/*
 * Whether no vCPU of domain id is on a pCPU now. Not a hypercall: the harness
 * looks into the machine, as a test's oracle (a pause takes effect when each
 * pCPU takes its kick; this says when that has happened).
 */
bool machine_domain_off_cpus(domid_t id);

/* ---- checks from guest programs ---- */

void guest_fail(struct guest *g, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define GUEST_EXPECT(g, cond)                                              \
	do {                                                               \
		if (!(cond))                                               \
			guest_fail(g, __FILE__, __LINE__, "expected %s", #cond); \
	} while (0)

#define GUEST_EXPECT_EQ(g, a, b)                                                        \
	do {                                                                            \
		long long a_ = (long long)(a), b_ = (long long)(b);                    \
		if (a_ != b_)                                                           \
			guest_fail(g, __FILE__, __LINE__, "%s is %lld, expected %s (%lld)", \
				   #a, a_, #b, b_);                                     \
	} while (0)

#define GUEST_EXPECT_STR(g, a, b)                                                       \
	do {                                                                            \
		const char *a_ = (a), *b_ = (b);                                        \
		if (strcmp(a_, b_))                                                     \
			guest_fail(g, __FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", \
				   #a, a_, b_);                                         \
	} while (0)

/* Seconds since the machine booted (for bounded loops). */
double machine_seconds(void);

/*
 * main() of a core test program: runs the group, or with "--list" prints
 * the test names, or with a name runs just that test (one per process, as
 * the race tests want: a crash then ends only its own case).
 */
int harness_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
		 size_t count);

#endif
