/* SPDX-License-Identifier: MIT */
/*
 * Round-robin scheduling of vCPUs, each on one pCPU's run queue; idle pCPUs
 * take, or are handed, the vCPUs that wait behind busy ones.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/printk.h>
#include <domus/hypercall.h>
#include <domus/platform.h>
#include <domus/sched.h>
#include <domus/vcpu_op.h>
#include <public/sched.h>

/*
 * vCPU states and who moves them (all under the pCPU's run-queue lock):
 *
 *   OFFLINE --vcpu_bring_up--> RUNNABLE <--slice end/yield-- RUNNING
 *                                 |  ^                          |  |
 *                     schedule()  |  +------vcpu_wake---+       |  | WFI with nothing
 *                                 v                     |       |  | deliverable
 *                              RUNNING ------------> BLOCKED <--+--+
 *   any state --vcpu_pause--> PAUSED (leaves the queue) --last vcpu_unpause--> back
 *
 * Two things decide whether a vCPU may run, kept apart as Xen keeps them:
 * v->down (PSCI: not started, or CPU_OFF; only the guest changes it) and
 * v->pause_count (its domain is paused, shut down or dying; only Domus changes
 * it). A vCPU runs when it is up and nothing pauses it: bringing a paused vCPU
 * up leaves it PAUSED, and taking a paused one down leaves it PAUSED, so
 * whatever a guest does with PSCI, a pause holds until it is lifted.
 *
 * Lock order: run-queue lock, then a domain's vGIC lock. Two run-queue locks
 * (moving a vCPU): the lower pCPU's first. v->pcpu changes only under both, so
 * whoever holds the lock of the queue v->pcpu names may act on v.
 *
 * v->on_cpu is set, under the queue lock, when a pCPU picks v and cleared once
 * the switch away from it has saved its state: a vCPU paused and unpaused while
 * its pCPU was still loading it is back on a queue, but must not be taken, and
 * a vCPU that went down is not brought up again (its registers rewritten)
 * until its state is saved.
 */

struct pcpu *pcpus;
unsigned int nr_pcpus;

void runq_init(struct runqueue *rq)
{
	spin_lock_init(&rq->lock);
	rq->head = rq->tail = NULL;
	rq->count = 0;
}

void runq_push(struct runqueue *rq, struct vcpu *v)
{
	if (v->on_rq)
		return;
	v->rq_next = NULL;
	if (rq->tail)
		rq->tail->rq_next = v;
	else
		rq->head = v;
	rq->tail = v;
	v->on_rq = true;
	__atomic_store_n(&rq->count, rq->count + 1, __ATOMIC_RELAXED);
}

struct vcpu *runq_pop(struct runqueue *rq)
{
	struct vcpu *v = rq->head;

	if (!v)
		return NULL;
	rq->head = v->rq_next;
	if (!rq->head)
		rq->tail = NULL;
	v->rq_next = NULL;
	v->on_rq = false;
	__atomic_store_n(&rq->count, rq->count - 1, __ATOMIC_RELAXED);
	return v;
}

bool runq_remove(struct runqueue *rq, struct vcpu *v)
{
	struct vcpu **pp = &rq->head, *prev = NULL;

	if (!v->on_rq)
		return false;
	for (; *pp; prev = *pp, pp = &(*pp)->rq_next) {
		if (*pp != v)
			continue;
		*pp = v->rq_next;
		if (rq->tail == v)
			rq->tail = prev;
		v->rq_next = NULL;
		v->on_rq = false;
		__atomic_store_n(&rq->count, rq->count - 1, __ATOMIC_RELAXED);
		return true;
	}
	return false;
}

/* Read of another pCPU's state, without its lock: for finding an idle one. */
static bool pcpu_online(const struct pcpu *q)
{
	return __atomic_load_n(&q->online, __ATOMIC_ACQUIRE);
}

static struct vcpu *pcpu_current(const struct pcpu *q)
{
	return __atomic_load_n(&q->current, __ATOMIC_ACQUIRE);
}

static struct pcpu *this_pcpu(void)
{
	return arch_this_pcpu();
}

static void notify_pcpu(unsigned int cpu)
{
	if (cpu == this_pcpu()->id) {
		this_pcpu()->need_resched = true;
	} else {
		/* Seen by the kicked pCPU's sched_kicked(): the kick's barrier orders the two. */
		__atomic_store_n(&pcpus[cpu].resched_asked, true, __ATOMIC_RELEASE);
		arch_send_kick(cpu);
	}
}

void sched_kicked(void)
{
	struct pcpu *p = this_pcpu();

	if (__atomic_exchange_n(&p->resched_asked, false, __ATOMIC_ACQ_REL))
		p->need_resched = true;
}

/* Locks the run queue v belongs to, which may change until its lock is held. */
static struct runqueue *lock_vcpu_rq(struct vcpu *v)
{
	for (;;) {
		unsigned int cpu = __atomic_load_n(&v->pcpu, __ATOMIC_RELAXED);
		struct runqueue *rq = &pcpus[cpu].rq;

		spin_lock(&rq->lock);
		if (__atomic_load_n(&v->pcpu, __ATOMIC_RELAXED) == cpu)
			return rq;
		spin_unlock(&rq->lock);
	}
}

/*
 * A vCPU waits on the queue of a pCPU that is running someone else: an idle
 * pCPU comes to take it (schedule() -> steal()). Each call summons a pCPU not
 * already summoned, so that vCPUs woken together behind one busy pCPU are
 * taken by as many idle ones, not all left to the first, which takes one.
 * A summoned pCPU clears its flag each time it looks at the queues.
 */
static void call_idle_pcpu(unsigned int busy)
{
	/*
	 * What the caller queued is visible before the pCPUs' current is read,
	 * as a pCPU going idle stores its current before it looks at queues
	 * again (schedule()): one of the two sees the other.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!pcpu_current(&pcpus[busy]))
		return;
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		struct pcpu *q = &pcpus[i];

		if (i == busy || !pcpu_online(q) || pcpu_current(q))
			continue;
		if (__atomic_exchange_n(&q->summoned, true, __ATOMIC_ACQ_REL))
			continue; /* already on its way */
		notify_pcpu(i);
		return;
	}
}

/*
 * Someone waits behind the vCPU this pCPU now runs (the one it just
 * preempted, say): move one to an idle pCPU's queue and wake that pCPU.
 * Pushed rather than left for the idle pCPU to pull: on a loaded host this
 * pCPU's next slice can end before the idle one gets there, and it would take
 * the vCPU back each time, two vCPUs taking turns here while pCPUs sleep.
 */
static void hand_off_waiting(struct pcpu *p)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* as in call_idle_pcpu */
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		struct pcpu *q = &pcpus[i];
		struct pcpu *first = p->id < q->id ? p : q, *second = first == p ? q : p;
		struct vcpu *v;
		bool idle;

		if (q == p || !pcpu_online(q) || pcpu_current(q))
			continue;
		spin_lock(&first->rq.lock);
		spin_lock(&second->rq.lock);
		for (v = p->rq.head; v; v = v->rq_next)
			if (!__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE))
				break;
		idle = !pcpu_current(q);
		if (v && idle) {
			runq_remove(&p->rq, v);
			__atomic_store_n(&v->pcpu, q->id, __ATOMIC_RELAXED); /* read unlocked: lock_vcpu_rq */
			runq_push(&q->rq, v);
		}
		spin_unlock(&second->rq.lock);
		spin_unlock(&first->rq.lock);
		if (!v)
			return; /* only this pCPU's vCPU, back on its queue: its next pass takes it */
		if (!idle)
			continue;
		arch_vcpu_moved(v);
		notify_pcpu(q->id);
		return;
	}
}

/* Every pCPU with someone waiting behind its running vCPU calls an idle pCPU. */
static void call_idle_pcpus(void)
{
	for (unsigned int i = 0; i < nr_pcpus; i++)
		if (runq_waiting(&pcpus[i].rq))
			call_idle_pcpu(i);
}

void sched_add_vcpu(struct vcpu *v, unsigned int cpu)
{
	__atomic_store_n(&v->pcpu, cpu, __ATOMIC_RELAXED);
	v->down = true;
	v->state = VCPU_OFFLINE;
}

static void make_runnable(struct vcpu *v)
{
	struct runqueue *rq = &pcpus[v->pcpu].rq;

	v->state = VCPU_RUNNABLE;
	runq_push(rq, v);
}

/*
 * Where an idle vCPU belongs now that whatever held it is gone (queue lock
 * held): paused, down, or on its queue. True if queued.
 */
static bool settle(struct vcpu *v)
{
	if (v->pause_count) {
		v->state = VCPU_PAUSED;
		return false;
	}
	if (v->down) {
		v->state = VCPU_OFFLINE;
		return false;
	}
	make_runnable(v);
	return true;
}

int vcpu_bring_up(struct vcpu *v, u64 entry, u64 x0)
{
	struct runqueue *rq = lock_vcpu_rq(v);
	unsigned int cpu = v->pcpu;
	bool queued = false;
	int rc = 0;

	if (!v->down)
		rc = -EBUSY;
	else if (__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE))
		rc = -EAGAIN; /* its pCPU is still saving it */
	if (!rc) {
		arch_vcpu_reset(v, entry, x0);
		v->down = false;
		queued = settle(v);
	}
	spin_unlock(&rq->lock);
	if (queued) {
		notify_pcpu(cpu);
		call_idle_pcpu(cpu);
	}
	return rc;
}

void vcpu_start(struct vcpu *v)
{
	struct runqueue *rq = lock_vcpu_rq(v);
	unsigned int cpu = v->pcpu;
	bool queued = false;

	if (v->down) {
		v->down = false;
		queued = v->state == VCPU_OFFLINE && settle(v);
	}
	spin_unlock(&rq->lock);
	if (queued) {
		notify_pcpu(cpu);
		call_idle_pcpu(cpu);
	}
}

void vcpu_wake(struct vcpu *v)
{
	struct runqueue *rq = lock_vcpu_rq(v);
	unsigned int cpu = v->pcpu;
	bool notify = false, queued = false, exit_only = false;

	if (v->state == VCPU_BLOCKED) {
		make_runnable(v);
		notify = queued = true;
	} else if (v->state == VCPU_RUNNING && cpu != this_pcpu()->id) {
		/* Running elsewhere: it exits, and its list registers are refilled. No reschedule. */
		exit_only = true;
	}
	spin_unlock(&rq->lock);
	if (exit_only)
		arch_send_kick(cpu);
	if (notify)
		notify_pcpu(cpu);
	if (queued)
		call_idle_pcpu(cpu);
}

void vcpu_kick(struct vcpu *v)
{
	vcpu_wake(v);
}

void vcpu_block(struct vcpu *v)
{
	struct runqueue *rq = lock_vcpu_rq(v);

	__atomic_fetch_add(&v->blocks, 1, __ATOMIC_RELAXED);
	if (v->state == VCPU_RUNNING && !arch_vcpu_irq_deliverable(v)) {
		v->state = VCPU_BLOCKED;
		this_pcpu()->need_resched = true;
	} else {
		__atomic_fetch_add(&v->blocks_refused, 1, __ATOMIC_RELAXED);
	}
	spin_unlock(&rq->lock);
}

void vcpu_yield(struct vcpu *v)
{
	struct pcpu *p = this_pcpu();

	if (runq_waiting(&p->rq))
		p->need_resched = true, p->slice_end = 0;
}

void vcpu_set_offline(struct vcpu *v)
{
	struct runqueue *rq = lock_vcpu_rq(v);
	unsigned int cpu = v->pcpu;

	v->down = true;
	if (v->state != VCPU_PAUSED) {
		runq_remove(rq, v);
		v->state = VCPU_OFFLINE;
	}
	spin_unlock(&rq->lock);
	notify_pcpu(cpu);
}

void vcpu_pause(struct vcpu *v)
{
	struct runqueue *rq = lock_vcpu_rq(v);
	unsigned int cpu = v->pcpu;

	if (v->pause_count++ == 0) {
		runq_remove(rq, v);
		v->state = VCPU_PAUSED;
	}
	spin_unlock(&rq->lock);
	notify_pcpu(cpu);
}

void vcpu_unpause(struct vcpu *v)
{
	struct runqueue *rq = lock_vcpu_rq(v);
	unsigned int cpu = v->pcpu;
	bool queued = false;

	BUG_ON(!v->pause_count);
	if (--v->pause_count == 0)
		queued = settle(v);
	spin_unlock(&rq->lock);
	if (queued) {
		notify_pcpu(cpu);
		call_idle_pcpu(cpu);
	}
}

/*
 * Domain watchdogs (SCHEDOP_watchdog), kept by pCPU 0: its timer is
 * programmed for the earliest deadline, and it shuts down the domains whose
 * watchdog was not pushed back in time. A guest that panics stops pushing:
 * this is how a crashed Linux on Arm, which does not say so, gets noticed.
 */
long sched_watchdog(struct domain *d, u32 id, u32 timeout_s)
{
	u64 deadline = arch_counter() + (u64)timeout_s * arch_counter_freq();
	long rc = 0;

	spin_lock(&d->lock);
	if (id == 0) {
		rc = -ENOSPC;
		for (u32 i = 0; i < DOMAIN_WATCHDOGS; i++) {
			if (!d->watchdog[i]) {
				d->watchdog[i] = deadline;
				rc = i + 1;
				break;
			}
		}
	} else if (id > DOMAIN_WATCHDOGS || !d->watchdog[id - 1]) {
		rc = -EINVAL; /* Linux's xen_wdt probes with id ~0 and expects this */
	} else {
		d->watchdog[id - 1] = timeout_s ? deadline : 0;
	}
	spin_unlock(&d->lock);
	if (rc >= 0)
		notify_pcpu(0); /* to program its timer for the new deadline */
	return rc;
}

static u64 next_watchdog(void)
{
	u64 best = 0;

	for (struct domain *d = domain_list(); d; d = d->next)
		for (u32 i = 0; i < DOMAIN_WATCHDOGS; i++)
			if (d->watchdog[i] && (!best || d->watchdog[i] < best))
				best = d->watchdog[i];
	return best;
}

static void fire_watchdogs(u64 now)
{
	for (struct domain *d = domain_list(); d; d = d->next) {
		bool fired = false;

		spin_lock(&d->lock);
		for (u32 i = 0; i < DOMAIN_WATCHDOGS; i++) {
			if (d->watchdog[i] && d->watchdog[i] <= now) {
				d->watchdog[i] = 0;
				fired = d->state == DOMAIN_RUNNING || d->state == DOMAIN_PAUSED;
			}
		}
		spin_unlock(&d->lock);
		if (fired) {
			printk("d%u: its watchdog fired\n", d->id);
			domain_shutdown(d, SHUTDOWN_watchdog);
		}
	}
}

/* Earliest virtual-timer deadline of the vCPUs blocked on this pCPU. */
static u64 next_wakeup(struct pcpu *p)
{
	u64 best = p->id == 0 ? next_watchdog() : 0;

	for (struct domain *d = domain_list(); d; d = d->next) {
		for (u32 i = 0; i < d->nr_vcpus; i++) {
			struct vcpu *v = d->vcpus[i];
			u64 t;

			if (v->pcpu != p->id || v->state != VCPU_BLOCKED)
				continue;
			t = arch_vcpu_timer_deadline(v);
			if (t && (!best || t < best))
				best = t;
		}
	}
	return best;
}

void sched_tick(void)
{
	struct pcpu *p = this_pcpu();
	u64 now = arch_counter();

	for (struct domain *d = domain_list(); d; d = d->next) {
		for (u32 i = 0; i < d->nr_vcpus; i++) {
			struct vcpu *v = d->vcpus[i];
			u64 t;

			if (v->pcpu != p->id || v->state != VCPU_BLOCKED)
				continue;
			t = arch_vcpu_timer_deadline(v);
			if (t && t <= now) {
				__atomic_fetch_add(&v->timer_wakes, 1, __ATOMIC_RELAXED);
				vcpu_wake(v);
			}
		}
	}
	if (p->id == 0)
		fire_watchdogs(now);
	p->need_resched = true;
}

static u64 slice_ticks(void)
{
	return arch_counter_freq() * SCHED_SLICE_US / 1000000;
}

static void program_timer(struct pcpu *p)
{
	u64 wake = next_wakeup(p);
	u64 deadline = p->slice_end;
	u64 own = p->current ? arch_vcpu_running_deadline(p->current) : 0;

	if (wake && (!deadline || wake < deadline))
		deadline = wake;
	if (own && (!deadline || own < deadline))
		deadline = own;
	WRITE_ONCE(p->timer_due, deadline);
	arch_timer_set_deadline(deadline);
}

/*
 * A pCPU with nothing to run takes the first vCPU waiting on another's queue:
 * otherwise two vCPUs take turns on one pCPU while this one idles (a guest's
 * vCPU and the dom0 vCPU running its back ends, say). The vCPU's state is all
 * in memory while it waits, and the guest's TLB maintenance is broadcast
 * (HCR_EL2.FB), so it may resume on any pCPU.
 */
static struct vcpu *steal(struct pcpu *p, struct pcpu **victim)
{
	for (unsigned int i = 1; i < nr_pcpus; i++) {
		struct pcpu *q = &pcpus[(p->id + i) % nr_pcpus];
		struct pcpu *first = p->id < q->id ? p : q, *second = first == p ? q : p;
		struct vcpu *v = NULL;

		if (!pcpu_online(q) || !runq_waiting(&q->rq))
			continue;
		spin_lock(&first->rq.lock);
		spin_lock(&second->rq.lock);
		for (v = q->rq.head; v; v = v->rq_next)
			if (!__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE))
				break;
		if (v) {
			runq_remove(&q->rq, v);
			__atomic_store_n(&v->pcpu, p->id, __ATOMIC_RELAXED);
			v->state = VCPU_RUNNING;
			v->on_cpu = true;
		}
		spin_unlock(&second->rq.lock);
		spin_unlock(&first->rq.lock);
		if (v) {
			arch_vcpu_moved(v);
			*victim = q;
			return v;
		}
	}
	return NULL;
}

void schedule(void)
{
	struct pcpu *p = this_pcpu();
	struct vcpu *prev = p->current, *next;
	u64 now;

	for (;;) {
		struct pcpu *victim = NULL;
		bool summoned, went_idle;

		p->need_resched = false;
		/*
		 * A quiescent point: this pCPU holds no domain found before. Full
		 * barriers either side, so that on a weakly ordered CPU whatever it
		 * did with a domain before is done before the count moves, and
		 * what it finds after is read only once the count has moved.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		__atomic_store_n(&p->sched_count, p->sched_count + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		/* Cleared before looking: a summons after this makes it look again. */
		summoned = __atomic_exchange_n(&p->summoned, false, __ATOMIC_ACQ_REL);
		now = arch_counter();
		WRITE_ONCE(p->last_schedule, now);
		spin_lock(&p->rq.lock);
		next = NULL;
		if (prev && prev->state == VCPU_RUNNING) {
			/* Not before it has entered its guest: it would never run. */
			if (p->rq.count && !p->slice_unstarted &&
			    (!p->slice_end || now >= p->slice_end)) {
				prev->state = VCPU_RUNNABLE;
				runq_push(&p->rq, prev);
			} else {
				next = prev;
			}
		}
		if (!next) {
			next = runq_pop(&p->rq);
			if (next) {
				next->state = VCPU_RUNNING;
				next->on_cpu = true;
			}
		}
		spin_unlock(&p->rq.lock);
		if (!next) {
			next = steal(p, &victim);
			now = arch_counter(); /* its last pCPU stamped it when it queued it */
		}
		if (next != prev) {
			p->slice_end = now + slice_ticks();
			p->slice_unstarted = next != NULL;
			p->switch_start = now;
		}
		if (!runq_waiting(&p->rq))
			p->slice_end = 0; /* nobody waits: no preemption needed */

		went_idle = prev && !next;
		if (next != prev) {
			if (prev)
				prev->run_total += now - prev->run_start;
			arch_vcpu_switch(prev, next);
			runstate_switch(prev, next, now);
			/* Read by other pCPUs looking for an idle one. */
			__atomic_store_n(&p->current, next, __ATOMIC_RELEASE);
			if (next)
				next->run_start = now;
			if (prev) /* its state is all saved: another pCPU may take it now */
				__atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
			prev = next;
			/* Someone still waits here (prev, preempted): an idle pCPU takes it. */
			if (next && runq_waiting(&p->rq))
				hand_off_waiting(p);
			/* More than one: the others are fetched. */
			if (next && runq_waiting(&p->rq))
				call_idle_pcpu(p->id);
		}
		/*
		 * Work left where this pCPU took from, or a summons it answered with
		 * work of its own: pass the call on, or those vCPUs wait a slice
		 * behind a busy pCPU while others idle.
		 */
		if (victim && runq_waiting(&victim->rq))
			call_idle_pcpu(victim->id);
		else if (summoned && next && !victim)
			call_idle_pcpus();
		program_timer(p);
		if (next)
			return;
		/*
		 * Just gone idle: look once more. While it saved the last vCPU it
		 * still looked busy, so nobody called it for a vCPU queued meanwhile.
		 */
		if (went_idle)
			continue;
		/* Idle: interrupts may wake a vCPU here. */
		arch_wait_for_interrupt();
		p->idle_ticks++;
	}
}

/*
 * Waits until every other pCPU has passed through schedule(): whatever it
 * was doing with a domain it found before (a hypercall, a walk of the domain
 * list) is then over. A grace period, for freeing an unlinked domain.
 */
void sched_quiesce(void)
{
	u64 seen[PLATFORM_MAX_CPUS];
	unsigned int self = this_pcpu()->id;

	/* What the caller unlinked is visible everywhere before the counts are read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < nr_pcpus; i++)
		seen[i] = __atomic_load_n(&pcpus[i].sched_count, __ATOMIC_ACQUIRE);
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		if (i == self || !pcpu_online(&pcpus[i]))
			continue;
		while (__atomic_load_n(&pcpus[i].sched_count, __ATOMIC_ACQUIRE) == seen[i]) {
			notify_pcpu(i);
			for (int spin = 0; spin < 1000; spin++)
				arch_cpu_relax();
		}
	}
}

/* Waits until v is not loaded on any pCPU (it must be paused or offline already). */
void vcpu_wait_descheduled(struct vcpu *v)
{
	while (__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE)) {
		notify_pcpu(__atomic_load_n(&v->pcpu, __ATOMIC_RELAXED));
		for (int spin = 0; spin < 1000; spin++)
			arch_cpu_relax();
	}
}

/* A long hypercall gives others a turn between its batches once the slice is over. */
void sched_preempt_point(void)
{
	struct pcpu *p = this_pcpu();

	if (runq_waiting(&p->rq) && p->slice_end && arch_counter() >= p->slice_end)
		p->need_resched = true;
}

/*
 * A vCPU's slice is counted from its first entry to its guest, not from when
 * schedule() chose it: saving one vCPU and loading another can take longer
 * than a slice when the host starves this pCPU (QEMU under load), and a
 * slice that ended before the guest ran would be preempted before it ran an
 * instruction, every time: two vCPUs on one pCPU would both stand still.
 */
void sched_entering_guest(void)
{
	struct pcpu *p = this_pcpu();
	u64 now;

	if (!p->slice_unstarted)
		return;
	p->slice_unstarted = false;
	now = arch_counter();
	if (now - p->switch_start > p->longest_switch)
		p->longest_switch = now - p->switch_start;
	/* Whoever waited may have been handed to another pCPU since. */
	if (p->slice_end || runq_waiting(&p->rq)) {
		p->slice_end = runq_waiting(&p->rq) ? now + slice_ticks() : 0;
		program_timer(p);
	}
}

void sched_timer_changed(void)
{
	program_timer(this_pcpu());
}

void sched_check(void)
{
	struct pcpu *p = this_pcpu();

	if (p->need_resched || !p->current || p->current->state != VCPU_RUNNING)
		schedule();
}

void sched_start(void)
{
	schedule();
	arch_guest_enter();
}
