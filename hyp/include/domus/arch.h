/* SPDX-License-Identifier: MIT */
/*
 * The one door between hyp/core (and hyp/lib) and the architecture: every
 * function of hyp/arch/<arch> that the core calls is declared here, and the
 * arch's state types come from the two headers each arch provides,
 * <domus/arch_vcpu.h> and <domus/arch_domain.h>, whose insides the core does
 * not touch (but through the inline arch_call_* accessors of arch_vcpu.h).
 * `make check-layout` holds the core to this.
 */
#ifndef DOMUS_ARCH_H
#define DOMUS_ARCH_H

#include <domus/types.h>

struct vcpu;
struct domain;
struct pcpu;

/* CPUs */
struct pcpu *arch_this_pcpu(void);
void arch_cpu_relax(void); /* in a spin loop: a hint to the CPU (and to a fake arch's threads) */
void arch_wait_for_interrupt(void); /* unmasks IRQs around a WFI */
/* Interrupt that pCPU: it leaves its guest and calls sched_kicked() (and wakes if idle). */
void arch_send_kick(unsigned int pcpu);
void arch_system_off(void) __attribute__((noreturn));
void arch_system_reset(void) __attribute__((noreturn));
/*
 * panic()'s end, once msg is in the log: shows where the CPU was (registers,
 * backtrace) and stops the machine.
 */
void arch_panic_halt(const char *msg) __attribute__((noreturn));
/* This pCPU leaves Domus for the vCPU that schedule() made current, and comes back at its next exit. */
void arch_guest_enter(void) __attribute__((noreturn));

/* Time: the system counter, and the per-pCPU scheduling timer. */
u64 arch_counter(void);
u64 arch_counter_freq(void);
void arch_timer_set_deadline(u64 counter_value); /* 0 disables */

/* Domains and vCPUs */
/* d's stage 2 and its vGIC with nr_spis shared interrupts: -EINVAL (too many), -ENOMEM. */
int arch_domain_init(struct domain *d, u32 nr_spis);
void arch_domain_destroy(struct domain *d);
void arch_vcpu_init(struct vcpu *v); /* once d's vGIC is set up (arch_vgic_setup) */
void arch_vcpu_reset(struct vcpu *v, u64 entry, u64 x0);
/*
 * Save and restore (hyp/core/save_state.c), for a vCPU on no pCPU: its
 * architectural state out, or in before it first runs. set refuses
 * (-EINVAL) a state the guest cannot have been in (an EL2 PSTATE).
 */
struct domus_vcpu_state;
void arch_vcpu_state_get(const struct vcpu *v, struct domus_vcpu_state *s);
int arch_vcpu_state_set(struct vcpu *v, const struct domus_vcpu_state *s);
/* The vGIC distributor's part of a domain's saved state (its group enables). */
struct domus_ctl_domainstate;
void arch_vgic_state_get(const struct domain *d, struct domus_ctl_domainstate *s);
int arch_vgic_state_set(struct domain *d, const struct domus_ctl_domainstate *s);
/* The id the guest's device tree gives this vCPU (its MPIDR affinity on Arm); set by arch_vcpu_init. */
u64 arch_vcpu_hwid(const struct vcpu *v);
/* Whether a vCPU may start at entry (PSCI CPU_ON): on arm64, not in Thumb state (an odd address). */
bool arch_vcpu_entry_valid(u64 entry);
/* Saves prev's state (may be NULL: idle) and loads next's (may be NULL). */
void arch_vcpu_switch(struct vcpu *prev, struct vcpu *next);
/* For the debug keys: v's timer as the arch keeps it (control, compare value, against now), in buf. */
void arch_vcpu_timer_describe(struct vcpu *v, char *buf, unsigned long len);
/* Counter value when v's next timer fires, 0 if none will: what wakes it when blocked. */
u64 arch_vcpu_timer_deadline(const struct vcpu *v);
/* The same for the timers Domus emulates in software: what must end v's run while it runs. */
u64 arch_vcpu_running_deadline(const struct vcpu *v);
void arch_cache_clean_range(void *va, u64 size);
/* Zeroes whole pages, the fastest way the CPU has (Arm: DC ZVA, a cache block an instruction). */
void arch_zero_pages(void *va, u64 npages);
/* Translates a VA of the vCPU trapping on this pCPU through its stage 1: -EFAULT if unmapped. */
int arch_gva_to_ipa(struct vcpu *v, vaddr_t va, bool write, ipa_t *ipa);
/* Cleans and/or invalidates the data cache over a range (grant cache_flush). */
void arch_cache_maintain(void *va, u64 size, bool clean, bool invalidate);
/*
 * Domus wrote a guest's page (a copy of a shared page, a restored page) that
 * the guest may run code from: the instruction side must see those writes,
 * not what the frame held before.
 */
void arch_sync_icache(void *va, u64 size);
/* The vCPU now runs on another pCPU (the scheduler stole it): what follows it, follows. */
void arch_vcpu_moved(struct vcpu *v);

/*
 * Stage 2: a domain's guest-physical address space, in the arch's table
 * format. Attributes are S2_* bits, with a 3-bit software type that p2m.c
 * keeps there. Once the domain runs, callers hold d->p2m_lock.
 */
#define S2_R BIT(0)
#define S2_W BIT(1)
#define S2_X BIT(2)
#define S2_DEVICE BIT(3) /* device memory instead of normal write-back */
#define S2_TYPE_SHIFT 4
#define S2_TYPE_MASK (7UL << S2_TYPE_SHIFT)
#define S2_TYPE(t) (((u64)(t) << S2_TYPE_SHIFT) & S2_TYPE_MASK)
#define S2_TYPE_OF(attrs) (((attrs) & S2_TYPE_MASK) >> S2_TYPE_SHIFT)
#define S2_RW (S2_R | S2_W)
#define S2_RWX (S2_R | S2_W | S2_X)

/* Maps a page-aligned range (blocks where they fit): -EEXIST if any of it is mapped, -ENOMEM, -EINVAL. */
int arch_s2_map(struct domain *d, ipa_t ipa, paddr_t pa, u64 size, u64 attrs);
/* Maps one page whatever was there, in one step a walker sees whole: -ENOMEM changes nothing. */
int arch_s2_replace_page(struct domain *d, ipa_t ipa, paddr_t pa, u64 attrs);
/* Unmaps a range, splitting blocks it cuts; unmapped parts are fine. */
int arch_s2_unmap(struct domain *d, ipa_t ipa, u64 size);
/*
 * The same, but the TLBs may keep what was mapped until the caller's
 * arch_s2_flush, which must come before the frames go to anyone else:
 * many pages, one broadcast invalidation.
 */
int arch_s2_unmap_lazy(struct domain *d, ipa_t ipa, u64 size);
/*
 * Dirty logging: each writable RAM page (no software type) in the range
 * becomes read-only, with bit i of bitmap set for page i if it was writable
 * (written since the last call). The count, or -EOPNOTSUPP at a block.
 */
long arch_s2_clean_dirty(struct domain *d, ipa_t ipa, u64 size, u64 *bitmap);
/*
 * Takes rights from one page's leaf (and may retype it), in place, without
 * TLB maintenance: the caller calls arch_s2_flush before the domain runs or
 * anyone relies on it. -EINVAL if attrs would add a right, -ENOENT for a
 * hole, -EOPNOTSUPP inside a block.
 */
int arch_s2_protect_page(struct domain *d, ipa_t ipa, u64 attrs);
/* Forgets every TLB entry of d's stage 2. */
void arch_s2_flush(struct domain *d);
/* 0 with pa and attrs (either may be NULL), or -ENOENT. */
int arch_s2_lookup(struct domain *d, ipa_t ipa, paddr_t *pa, u64 *attrs);
/* Calls fn for every mapped range (block or page) in address order; fn must not change the map. */
typedef void (*arch_s2_walk_fn)(void *ctx, ipa_t ipa, paddr_t pa, u64 size, u64 attrs);
void arch_s2_walk(struct domain *d, arch_s2_walk_fn fn, void *ctx);
/* The first guest-physical address beyond what d's stage 2 can map. */
ipa_t arch_s2_ipa_limit(const struct domain *d);

/*
 * The virtual interrupt controller. Interrupts are numbered as the guest
 * sees them (on Arm: GIC INTIDs; 32 and up are shared, below are a vCPU's own).
 */
/* The host controller's shared interrupts, which dom0 gets. */
u32 arch_gic_nr_spis(void);
/* Gives d an emulated UART at Xen's address (GUEST_PL011_BASE, SPI GUEST_VPL011_SPI). */
int arch_vuart_init(struct domain *d);
/* A byte typed to d's emulated UART (it has the console input); dropped if its buffer is full. */
void arch_vuart_receive(struct domain *d, char c);
/*
 * Dom0's end of it (DOMUS_CTL_vuart): output from *index on into out (at
 * most out_size; returns the count, *index advanced, *lost what was skipped
 * as no longer kept), and in_count bytes of in typed to it (*in_taken: how
 * many fitted).
 */
u32 arch_vuart_dom0_io(struct domain *d, char *out, u32 out_size, u64 *index, u64 *lost,
		       const char *in, u32 in_count, u32 *in_taken);
/* How many vCPUs a redistributor region of that size serves. */
u32 arch_vgic_vcpus_fit(u64 rdist_region_size);
/* Places d's distributor and its vCPUs' redistributors (one each, from rdist_base). */
void arch_vgic_setup(struct domain *d, ipa_t dist_base, ipa_t rdist_base);
/* Where arch_vgic_setup put them, for the device tree. */
void arch_vgic_frames(const struct domain *d, ipa_t *dist_base, ipa_t *rdist_base, u64 *rdist_size);
/* Raises intid for d: v is the target for a vCPU's own interrupt, NULL for a shared one. */
void arch_irq_inject(struct domain *d, struct vcpu *v, u32 intid);
/* The physical shared interrupt intid goes to d as the same number: -EINVAL if it is not one. */
int arch_irq_passthrough(struct domain *d, u32 intid);
/* For the debug keys: intid's state as v sees it ("enabled pending active in-LR"), in buf. */
void arch_irq_describe(struct vcpu *v, u32 intid, char *buf, unsigned long len);
/* Whether v has an interrupt it would take now (wakes it from WFI). */
bool arch_vcpu_irq_deliverable(struct vcpu *v);
/* For the debug keys: the physical state of pCPU cpu's timer interrupts, in buf. */
void arch_pcpu_irqs_describe(unsigned int cpu, char *buf, unsigned long len);
/* For the debug keys: guests' exits by cause since the last call, then counting starts again. */
void arch_exitstats_dump(void);

#endif
