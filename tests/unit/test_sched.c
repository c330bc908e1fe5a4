// SOURCES: @core
/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the scheduler: its run queues (FIFO order, removal, no double
 * queueing), and which idle pCPUs are called to take vCPUs waiting behind a
 * busy one, on a fake machine driven from this thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/sched.h>
#include <domus/vcpu.h>

#include "fake.h"

static struct vcpu v[5];
static struct runqueue rq;

static int setup(void **state)
{
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 5; i++)
		v[i].id = i;
	runq_init(&rq);
	return 0;
}

static void test_pop_returns_vcpus_in_push_order(void **state)
{
	for (int i = 0; i < 5; i++)
		runq_push(&rq, &v[i]);
	assert_int_equal(rq.count, 5);
	for (int i = 0; i < 5; i++)
		assert_ptr_equal(runq_pop(&rq), &v[i]);
	assert_null(runq_pop(&rq));
	assert_int_equal(rq.count, 0);
	assert_null(rq.tail);
}

static void test_pushing_a_queued_vcpu_twice_keeps_one_entry(void **state)
{
	runq_push(&rq, &v[0]);
	runq_push(&rq, &v[0]);
	assert_int_equal(rq.count, 1);
	assert_ptr_equal(runq_pop(&rq), &v[0]);
	assert_null(runq_pop(&rq));
}

static void test_round_robin_requeue_rotates(void **state)
{
	static const int expect[] = { 0, 1, 2, 0, 1, 2, 0 };

	for (int i = 0; i < 3; i++)
		runq_push(&rq, &v[i]);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		struct vcpu *x = runq_pop(&rq);

		assert_ptr_equal(x, &v[expect[i]]);
		runq_push(&rq, x); /* slice over: back of the queue */
	}
}

/* Removal from head, middle and tail keeps the list and the tail pointer right. */
static void test_remove_from_any_position(void **state)
{
	static const struct {
		int remove;
		int rest[4];
	} cases[] = {
		{ 0, { 1, 2, 3, 4 } },
		{ 2, { 0, 1, 3, 4 } },
		{ 4, { 0, 1, 2, 3 } },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		setup(state);
		for (int i = 0; i < 5; i++)
			runq_push(&rq, &v[i]);
		assert_true(runq_remove(&rq, &v[cases[c].remove]));
		assert_false(v[cases[c].remove].on_rq);
		assert_false(runq_remove(&rq, &v[cases[c].remove]));
		runq_push(&rq, &v[cases[c].remove]); /* the tail must still be right */
		for (int i = 0; i < 4; i++)
			assert_ptr_equal(runq_pop(&rq), &v[cases[c].rest[i]]);
		assert_ptr_equal(runq_pop(&rq), &v[cases[c].remove]);
		assert_int_equal(rq.count, 0);
	}
}

static void test_remove_of_a_vcpu_not_queued_is_refused(void **state)
{
	runq_push(&rq, &v[1]);
	assert_false(runq_remove(&rq, &v[0]));
	assert_int_equal(rq.count, 1);
}

/* ---- idle pCPUs called to busy ones ---- */

static struct domain dom;
static struct vcpu busy_vcpu, waiting[3];
static const struct fake_guest_ops no_guest;

/*
 * Four pCPUs: 0 runs busy_vcpu, 1 to 3 are idle. The waiting vCPUs belong to
 * pCPU 0 and are blocked. No pCPU thread runs: this thread plays the pCPUs.
 */
static int setup_machine(void **state)
{
	fake_machine_init(MiB(16), 4, &no_guest);
	memset(&dom, 0, sizeof(dom));
	memset(&busy_vcpu, 0, sizeof(busy_vcpu));
	memset(waiting, 0, sizeof(waiting));
	for (unsigned int i = 0; i < nr_pcpus; i++)
		pcpus[i].online = true;
	busy_vcpu.dom = &dom;
	busy_vcpu.state = VCPU_RUNNING;
	busy_vcpu.on_cpu = true;
	busy_vcpu.arch.loaded_on = 0;
	pcpus[0].current = &busy_vcpu;
	for (int i = 0; i < 3; i++) {
		waiting[i].dom = &dom;
		waiting[i].id = i + 1;
		waiting[i].state = VCPU_BLOCKED;
		waiting[i].arch.loaded_on = -1;
	}
	return 0;
}

static int teardown_machine(void **state)
{
	fake_become_pcpu(-1);
	fake_machine_fini();
	return 0;
}

/*
 * Three vCPUs woken at once behind busy pCPU 0 (an IPI to all, say) must
 * bring three idle pCPUs, not three kicks to the first idle one, which takes
 * one vCPU while the others wait behind pCPU 0 (the 8-pCPU boot stall).
 */
static void test_vcpus_woken_behind_a_busy_pcpu_each_call_their_own_idle_pcpu(void **state)
{
	fake_become_pcpu(0);
	for (int i = 0; i < 3; i++)
		vcpu_wake(&waiting[i]);
	assert_int_equal(pcpus[0].rq.count, 3);
	for (unsigned int cpu = 1; cpu < 4; cpu++)
		assert_true(fake_kick_take(cpu));
}

/* Waking again while the called pCPUs have not looked yet calls none twice. */
static void test_a_pcpu_already_called_is_not_called_again(void **state)
{
	fake_become_pcpu(0);
	vcpu_wake(&waiting[0]);
	assert_true(fake_kick_take(1));
	vcpu_wake(&waiting[1]);
	assert_false(fake_kick_take(1));
	assert_true(fake_kick_take(2));
}

/*
 * An idle pCPU that takes one of two vCPUs waiting behind busy pCPU 0 calls
 * another idle pCPU for the second.
 */
static void test_a_pcpu_that_takes_one_of_two_waiting_calls_another_for_the_second(void **state)
{
	fake_become_pcpu(0);
	vcpu_wake(&waiting[0]);
	vcpu_wake(&waiting[1]);
	for (unsigned int cpu = 1; cpu < 4; cpu++)
		(void)fake_kick_take(cpu);
	pcpus[2].summoned = false; /* pCPU 2 was called and looked: nothing to take then */

	fake_become_pcpu(1);
	schedule();
	assert_ptr_equal(pcpus[1].current, &waiting[0]);
	assert_int_equal(waiting[0].pcpu, 1);
	assert_int_equal(pcpus[0].rq.count, 1);
	assert_true(fake_kick_take(2));
}

/*
 * An interrupt for a vCPU that runs on another pCPU (an IPI between two
 * running vCPUs) only makes that pCPU leave the guest and come back with
 * its list registers refilled: no pass through schedule(). Waking a blocked
 * vCPU queued there does ask that pCPU to reschedule.
 */
static void test_a_kick_for_a_running_vcpu_does_not_make_its_pcpu_reschedule(void **state)
{
	fake_become_pcpu(1);
	vcpu_kick(&busy_vcpu);
	assert_true(fake_kick_take(0));
	fake_become_pcpu(0);
	sched_kicked();
	assert_false(pcpus[0].need_resched);

	fake_become_pcpu(1);
	vcpu_wake(&waiting[0]);
	assert_true(fake_kick_take(0));
	fake_become_pcpu(0);
	sched_kicked();
	assert_true(pcpus[0].need_resched);
}

/*
 * pCPU 0's slice ends with a vCPU waiting: it runs that one and hands the
 * vCPU it preempted to idle pCPU 1 at once, rather than leaving it queued
 * behind itself for an idle pCPU to come and fetch (under load pCPU 0 would
 * take it back first, at its next slice end, each time).
 */
static void test_a_preempted_vcpu_is_handed_to_an_idle_pcpu(void **state)
{
	fake_become_pcpu(0);
	waiting[0].state = VCPU_RUNNABLE;
	runq_push(&pcpus[0].rq, &waiting[0]);
	pcpus[0].slice_end = 1; /* long over */
	schedule();
	assert_ptr_equal(pcpus[0].current, &waiting[0]);
	assert_int_equal(pcpus[0].rq.count, 0);
	assert_int_equal(busy_vcpu.pcpu, 1);
	assert_int_equal(busy_vcpu.state, VCPU_RUNNABLE);
	assert_ptr_equal(pcpus[1].rq.head, &busy_vcpu);
	assert_true(fake_kick_take(1));
}

/*
 * Saving one vCPU and loading the next took longer than a slice (a starved
 * host thread): the slice counts from the guest's entry, so the new vCPU is
 * not preempted before it has run.
 */
static void test_a_slice_counts_from_the_guest_entry_not_the_switch(void **state)
{
	fake_become_pcpu(0);
	waiting[0].state = VCPU_RUNNABLE;
	runq_push(&pcpus[0].rq, &waiting[0]);
	waiting[1].state = VCPU_RUNNABLE;
	runq_push(&pcpus[0].rq, &waiting[1]);
	pcpus[0].slice_end = 1;
	for (unsigned int cpu = 1; cpu < 4; cpu++)
		pcpus[cpu].online = false; /* nobody to hand off to: vCPUs wait here */
	u64 entered;

	schedule();
	assert_ptr_equal(pcpus[0].current, &waiting[0]);
	nanosleep(&(struct timespec){ .tv_nsec = 2 * SCHED_SLICE_US * 1000 }, NULL);
	entered = arch_counter();
	sched_entering_guest();
	assert_true(pcpus[0].slice_end >= entered + SCHED_SLICE_US * arch_counter_freq() / 1000000);
	assert_int_equal(pcpus[0].timer_due, pcpus[0].slice_end);
	/* A second entry in the same slice does not extend it. */
	entered = pcpus[0].slice_end;
	sched_entering_guest();
	assert_int_equal(pcpus[0].slice_end, entered);
}

/*
 * A vCPU chosen but not yet in its guest is not preempted, even with its
 * slice over and another waiting: asked again before it has run, schedule()
 * keeps it, and its slice starts when it enters.
 */
static void test_a_vcpu_is_not_preempted_before_it_has_entered_its_guest(void **state)
{
	fake_become_pcpu(0);
	waiting[0].state = VCPU_RUNNABLE;
	runq_push(&pcpus[0].rq, &waiting[0]);
	pcpus[0].slice_end = 1;
	for (unsigned int cpu = 1; cpu < 4; cpu++)
		pcpus[cpu].online = false;
	schedule();
	assert_ptr_equal(pcpus[0].current, &waiting[0]);
	waiting[1].state = VCPU_RUNNABLE;
	runq_push(&pcpus[0].rq, &waiting[1]);
	pcpus[0].slice_end = 1;
	schedule();
	assert_ptr_equal(pcpus[0].current, &waiting[0]);
	sched_entering_guest();
	assert_true(pcpus[0].slice_end > 1);
}

#define T(f) cmocka_unit_test_setup(f, setup)
#define M(f) cmocka_unit_test_setup_teardown(f, setup_machine, teardown_machine)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pop_returns_vcpus_in_push_order),
		T(test_pushing_a_queued_vcpu_twice_keeps_one_entry),
		T(test_round_robin_requeue_rotates),
		T(test_remove_from_any_position),
		T(test_remove_of_a_vcpu_not_queued_is_refused),
		M(test_vcpus_woken_behind_a_busy_pcpu_each_call_their_own_idle_pcpu),
		M(test_a_pcpu_already_called_is_not_called_again),
		M(test_a_kick_for_a_running_vcpu_does_not_make_its_pcpu_reschedule),
		M(test_a_pcpu_that_takes_one_of_two_waiting_calls_another_for_the_second),
		M(test_a_preempted_vcpu_is_handed_to_an_idle_pcpu),
		M(test_a_slice_counts_from_the_guest_entry_not_the_switch),
		M(test_a_vcpu_is_not_preempted_before_it_has_entered_its_guest),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
