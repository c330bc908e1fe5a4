/* SPDX-License-Identifier: MIT */
/* Declarations shared by the fake arch's files (not part of the arch interface). */
#ifndef FAKE_INTERNAL_H
#define FAKE_INTERNAL_H

#include <pthread.h>
#include <setjmp.h>

#include <domus/types.h>

#include "fake.h"

struct vcpu;

/* What a pCPU thread has besides the core's struct pcpu: its "interrupt controller". */
struct fake_cpu {
	pthread_t thread;
	pthread_mutex_t lock; /* kicked, deadline, stop */
	pthread_cond_t wake;
	bool kicked; /* an SGI_KICK is pending */
	u64 deadline; /* the scheduling timer's counter value, 0: off */
	bool stop; /* leave at the next safe point */
	bool running; /* a thread is this pCPU now */
	jmp_buf leave; /* where leaving goes */
	/* The GIC's virtual CPU interface. */
	u64 lr[FAKE_NR_LRS];
	bool underflow;
	/* For a hang report: the trap being handled (vcpu NULL: none), and how many so far. */
	struct vcpu *trap_vcpu;
	u64 trap_nr, trap_x0;
	u64 traps;
};

extern struct fake_cpu fake_cpus[FAKE_MAX_CPUS];
extern const struct fake_guest_ops *fake_ops;

/* cpu.c */
struct fake_cpu *fake_this_cpu(void);
void fake_cpu_init(struct fake_cpu *c);
/* Takes what is pending for this pCPU: a stop leaves, a due timer ticks, a kick reschedules. */
void fake_take_interrupts(void);
/* Leaves the pCPU: longjmps to where its thread (or fake_pcpu_drain) started it. */
void fake_cpu_leave(void) __attribute__((noreturn));
void fake_violations_reset(void);

/* poison.c: under ASan, free RAM is poisoned (poison) or made usable again. */
void fake_ram_poison(paddr_t pa, u64 size, bool poison);

/* power.c */
void fake_set_power(enum fake_power p);

#endif
