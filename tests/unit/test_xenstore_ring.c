// SOURCES: tools/xenstore/ring.c
/* SPDX-License-Identifier: MIT */
/* Host tests of the XenStore ring: wrap-around, full rings, and a guest's bogus indices. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/xenstore/ring.h"

_Static_assert(offsetof(struct xs_ring_page, req_cons) == 2048, "Xen's layout");
_Static_assert(offsetof(struct xs_ring_page, connection) == 2068, "Xen's layout");
_Static_assert(offsetof(struct xs_ring_page, error) == 2072, "Xen's layout");

static struct xs_ring_page page;

static void guest_sends(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		page.req[page.req_prod++ % XS_RING_SIZE] = s[i];
}

static void test_requests_come_out_in_order_across_the_wrap(void **state)
{
	char buf[2048];

	memset(&page, 0, sizeof(page));
	page.req_cons = page.req_prod = 0xfffffff0u; /* indices are free-running: they wrap */
	guest_sends("hello, store", 12);
	assert_int_equal(xs_ring_read(&page, buf, sizeof(buf)), 12);
	assert_memory_equal(buf, "hello, store", 12);
	assert_int_equal(page.req_cons, page.req_prod);
	assert_int_equal(xs_ring_read(&page, buf, sizeof(buf)), 0);
}

static void test_reads_stop_at_the_callers_buffer(void **state)
{
	char buf[4];

	memset(&page, 0, sizeof(page));
	guest_sends("abcdefgh", 8);
	assert_int_equal(xs_ring_read(&page, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(xs_ring_read(&page, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "efgh", 4);
}

static void test_replies_fill_the_ring_and_no_further(void **state)
{
	static char big[XS_RING_SIZE + 100];

	memset(&page, 0, sizeof(page));
	memset(big, 'x', sizeof(big));
	page.rsp_cons = page.rsp_prod = 1000;
	assert_int_equal(xs_ring_write(&page, big, sizeof(big)), XS_RING_SIZE);
	assert_int_equal(xs_ring_write(&page, big, 1), 0);
	page.rsp_cons += 10; /* the guest consumed 10 */
	assert_int_equal(xs_ring_write(&page, big, sizeof(big)), 10);
}

static void test_impossible_indices_from_the_guest_are_errors(void **state)
{
	char buf[16];
	const uint32_t bad[][2] = { { 0, XS_RING_SIZE + 1 }, { 5, 4 }, { 0, 0x80000000u },
				    { 0xffffffffu, 0x7fffffffu } };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&page, 0, sizeof(page));
		page.req_cons = bad[i][0];
		page.req_prod = bad[i][1];
		assert_int_equal(xs_ring_read(&page, buf, sizeof(buf)), -EIO);
		page.rsp_cons = bad[i][0];
		page.rsp_prod = bad[i][1];
		assert_int_equal(xs_ring_write(&page, "x", 1), -EIO);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_come_out_in_order_across_the_wrap),
		cmocka_unit_test(test_reads_stop_at_the_callers_buffer),
		cmocka_unit_test(test_replies_fill_the_ring_and_no_further),
		cmocka_unit_test(test_impossible_indices_from_the_guest_are_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
