/* SPDX-License-Identifier: MIT */
/* The scheduler: per-pCPU round-robin run queues of vCPUs. */
#ifndef DOMUS_SCHED_H
#define DOMUS_SCHED_H

#include <domus/spinlock.h>
#include <domus/types.h>

struct domain;
struct vcpu;

#define SCHED_SLICE_US 10000

struct runqueue {
	spinlock_t lock;
	struct vcpu *head, *tail;
	u32 count;
};

struct pcpu {
	struct vcpu *current; /* offset 0: used by the exception vectors */
	u64 stack_top; /* offset 8: used by secondary_entry */
	unsigned int id;
	u64 hwid; /* the hardware's id of this CPU (MPIDR on Arm) */
	struct runqueue rq;
	bool need_resched;
	/*
	 * Set by another pCPU before it kicks this one to make it reschedule
	 * (notify_pcpu). A kick without it only makes the running vCPU exit, so
	 * that its list registers are refilled on the way back in: an IPI between
	 * two running vCPUs costs no pass through schedule().
	 */
	bool resched_asked;
	u64 slice_end;
	bool online;
	u64 idle_ticks;
	u64 sched_count; /* passes through schedule(): for sched_quiesce */
	u64 last_schedule, timer_due; /* counter values, for the debug keys */
	bool summoned; /* asked to take a vCPU waiting elsewhere, and not yet looked */
	bool slice_unstarted; /* switched to a vCPU that has not entered its guest yet */
	u64 switch_start, longest_switch; /* counter values: schedule() to guest entry */
};

extern struct pcpu *pcpus;
extern unsigned int nr_pcpus;

/* Pure run-queue operations (host unit-tested). */
void runq_init(struct runqueue *rq);
void runq_push(struct runqueue *rq, struct vcpu *v);
struct vcpu *runq_pop(struct runqueue *rq);
bool runq_remove(struct runqueue *rq, struct vcpu *v);
/* How many wait on rq, read without its lock (changed only under it). */
static inline u32 runq_waiting(const struct runqueue *rq)
{
	return __atomic_load_n(&rq->count, __ATOMIC_RELAXED);
}

void sched_add_vcpu(struct vcpu *v, unsigned int pcpu);
void vcpu_wake(struct vcpu *v);
/* Something for v arrived (an interrupt): wake it, or make its pCPU look again. */
void vcpu_kick(struct vcpu *v);
void vcpu_block(struct vcpu *v);
void vcpu_yield(struct vcpu *v);
void vcpu_set_offline(struct vcpu *v);
void vcpu_pause(struct vcpu *v);
/* Picks what the current pCPU runs next; returns with pcpu->current set. */
void schedule(void);
void sched_quiesce(void);
void sched_preempt_point(void);
void vcpu_wait_descheduled(struct vcpu *v);
void sched_tick(void);
/* SCHEDOP_watchdog for d: a new watchdog's id, 0, or -EINVAL / -ENOSPC (see public/sched.h). */
long sched_watchdog(struct domain *d, u32 id, u32 timeout_s);
/* Runs on each pCPU's stack once it is up; never returns. */
void sched_start(void) __attribute__((noreturn));
/* Called on every return to a guest: reschedules if asked. */
void sched_check(void);
/* The arch took a kick (SGI_KICK): reschedule if it was notify_pcpu()'s, else just re-enter. */
void sched_kicked(void);
/* The running vCPU's software timer changed (arch_vcpu_running_deadline): re-arm this pCPU's timer. */
void sched_timer_changed(void);
/* The guest is entered now: a new vCPU's slice starts here, not when schedule() chose it. */
void sched_entering_guest(void);



/* Brings the domain's first vCPU up where the toolstack set it (it must be down). */
void vcpu_start(struct vcpu *v);
/*
 * PSCI CPU_ON: brings a down vCPU up at entry with x0, checked and done under
 * its queue lock, so of two callers only one succeeds. -EBUSY if it is up,
 * -EAGAIN while the pCPU it went down on still saves it (try again). A paused
 * vCPU comes up paused and runs once its domain is unpaused.
 */
int vcpu_bring_up(struct vcpu *v, u64 entry, u64 x0);
void vcpu_unpause(struct vcpu *v);
#endif
