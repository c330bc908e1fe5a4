// SOURCES: @core
/* SPDX-License-Identifier: MIT */
/* Host tests of the scheduler's run queues: FIFO order, removal, no double queueing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <domus/sched.h>
#include <domus/vcpu.h>

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

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pop_returns_vcpus_in_push_order),
		T(test_pushing_a_queued_vcpu_twice_keeps_one_entry),
		T(test_round_robin_requeue_rotates),
		T(test_remove_from_any_position),
		T(test_remove_of_a_vcpu_not_queued_is_refused),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
