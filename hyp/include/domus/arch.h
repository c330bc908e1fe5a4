/* SPDX-License-Identifier: MIT */
/* The small interface through which hyp/core reaches the CPU and the GIC. */
#ifndef DOMUS_ARCH_H
#define DOMUS_ARCH_H

#include <domus/types.h>

struct vcpu;
struct domain;
struct pcpu;

/* CPUs */
struct pcpu *arch_this_pcpu(void);
void arch_wait_for_interrupt(void); /* unmasks IRQs around a WFI */
void arch_send_kick(unsigned int pcpu); /* make that pCPU reschedule */
void arch_system_off(void) __attribute__((noreturn));
void arch_system_reset(void) __attribute__((noreturn));

/* Time: the system counter, and the per-pCPU scheduling timer. */
u64 arch_counter(void);
u64 arch_counter_freq(void);
void arch_timer_set_deadline(u64 counter_value); /* 0 disables */

/* Domains and vCPUs */
int arch_domain_init(struct domain *d);
void arch_domain_destroy(struct domain *d);
int arch_domain_map(struct domain *d, ipa_t ipa, paddr_t pa, u64 size, u64 pgt_attrs);
void arch_vcpu_init(struct vcpu *v);
void arch_vcpu_reset(struct vcpu *v, u64 entry, u64 x0);
/* Whether a vCPU may start at entry (PSCI CPU_ON): on arm64, not in Thumb state (an odd address). */
bool arch_vcpu_entry_valid(u64 entry);
/* Saves prev's state (may be NULL: idle) and loads next's (may be NULL). */
void arch_vcpu_switch(struct vcpu *prev, struct vcpu *next);
/* Counter value when v's virtual timer fires, 0 if it will not. */
u64 arch_vcpu_timer_deadline(const struct vcpu *v);
void arch_cache_clean_range(void *va, u64 size);
/* Translates a VA of the vCPU trapping on this pCPU through its stage 1: -EFAULT if unmapped. */
int arch_gva_to_ipa(struct vcpu *v, vaddr_t va, bool write, ipa_t *ipa);
/* Cleans and/or invalidates the data cache over a range (grant cache_flush). */
void arch_cache_maintain(void *va, u64 size, bool clean, bool invalidate);

#endif
