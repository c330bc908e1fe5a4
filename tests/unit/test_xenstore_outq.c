// SOURCES: tools/xenstore/outq.c tools/xenstore/wire.c
/* SPDX-License-Identifier: MIT */
/* Host tests of a xenstored connection's output queue: replies outstanding, watch events bounded. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../tools/xenstore/outq.h"

static const struct xs_header req = { XS_READ, 7, 0, 0 };

/* Takes the next whole message off q into h (and its payload into p); false if none. */
static bool take(struct xs_outq *q, struct xs_header *h, char *p)
{
	const void *d;
	size_t n = xs_outq_peek(q, &d);

	if (!n)
		return false;
	assert_true(n >= XS_HEADER_SIZE);
	memcpy(h, d, sizeof(*h));
	assert_int_equal(n, XS_HEADER_SIZE + h->len);
	if (p)
		memcpy(p, (const char *)d + XS_HEADER_SIZE, h->len);
	xs_outq_consume(q, n);
	return true;
}

/*
 * A guest that does not take its replies has 20 waiting at most (Xen's
 * quota-outstanding): then no more of its requests are handled. A reply
 * counts until its last byte went out.
 */
static void test_guest_replies_outstanding(void **state)
{
	struct xs_outq q = { 0 };
	struct xs_header h;
	const void *d;

	for (int i = 0; i < XS_OUTSTANDING_MAX; i++) {
		assert_true(xs_outq_may_read(&q, true));
		assert_int_equal(xs_outq_reply(&q, &req, XS_READ, "value", 5), 0);
	}
	assert_int_equal(XS_OUTSTANDING_MAX, 20);
	assert_false(xs_outq_may_read(&q, true));
	/* half of one reply written: still outstanding */
	assert_int_equal(xs_outq_peek(&q, &d), XS_HEADER_SIZE + 5);
	xs_outq_consume(&q, 10);
	assert_false(xs_outq_may_read(&q, true));
	assert_int_equal(xs_outq_peek(&q, &d), XS_HEADER_SIZE + 5 - 10);
	xs_outq_consume(&q, XS_HEADER_SIZE + 5 - 10);
	assert_true(xs_outq_may_read(&q, true));
	/* events do not hold its requests back */
	assert_int_equal(xs_outq_event(&q, "/a", "t"), 0);
	assert_int_equal(xs_outq_reply(&q, &req, XS_READ, "v", 1), 0);
	assert_false(xs_outq_may_read(&q, true));
	while (take(&q, &h, NULL))
		;
	assert_int_equal(q.replies, 0);
	assert_int_equal(q.bytes, 0);
	xs_outq_free(&q);
}

/* dom0 is held to bytes, not a count: its kernel sends many small requests at once. */
static void test_dom0_held_to_bytes(void **state)
{
	static char big[XS_PAYLOAD_MAX];
	struct xs_outq q = { 0 };
	int i;

	for (i = 0; i < 100; i++)
		assert_int_equal(xs_outq_reply(&q, &req, XS_READ, "v", 1), 0);
	assert_true(xs_outq_may_read(&q, false));
	for (i = 0; xs_outq_may_read(&q, false); i++)
		assert_int_equal(xs_outq_reply(&q, &req, XS_READ, big, sizeof(big)), 0);
	assert_true(i <= 4);
	assert_int_equal(xs_outq_reply(&q, &req, XS_READ, big, sizeof(big) + 1), -E2BIG);
	xs_outq_free(&q);
	assert_int_equal(q.bytes, 0);
}

/* Replies and events go out in the order they were queued, each framed as Xen frames it. */
static void test_order_and_framing(void **state)
{
	struct xs_outq q = { 0 };
	struct xs_header h;
	char p[64];

	assert_int_equal(xs_outq_reply(&q, &req, XS_WRITE, "OK", 3), 0);
	assert_int_equal(xs_outq_event(&q, "/local/domain/1/x", "tok"), 0);
	assert_int_equal(xs_outq_reply(&q, &req, XS_ERROR, "EINVAL", 7), 0);
	assert_true(take(&q, &h, p));
	assert_int_equal(h.type, XS_WRITE);
	assert_int_equal(h.req_id, 7);
	assert_memory_equal(p, "OK", 3);
	assert_true(take(&q, &h, p));
	assert_int_equal(h.type, XS_WATCH_EVENT);
	assert_int_equal(h.req_id, 0);
	assert_int_equal(h.len, 18 + 4);
	assert_memory_equal(p, "/local/domain/1/x\0tok", 22);
	assert_true(take(&q, &h, p));
	assert_int_equal(h.type, XS_ERROR);
	assert_false(take(&q, &h, p));
	xs_outq_free(&q);
}

/*
 * A watch flood to a reader that does not read: an event identical to one
 * still waiting adds nothing (so a guest rewriting one node costs nothing
 * more), and past 1024 events or 256 KiB the rest are dropped and counted.
 */
static void test_events_bounded(void **state)
{
	static char tok[2048];
	struct xs_outq q = { 0 };
	struct xs_header h;
	const void *d;
	char path[64];
	int i, rc = 0;

	for (i = 0; i < 100000; i++)
		assert_true(xs_outq_event(&q, "/local/domain/1/flood", "t") >= 0);
	assert_int_equal(q.events, 1);
	assert_int_equal(xs_outq_event(&q, "/local/domain/1/flood", "u"), 0); /* another token */
	assert_int_equal(xs_outq_event(&q, "@releaseDomain", "r"), 0); /* specials all go */
	assert_int_equal(xs_outq_event(&q, "@releaseDomain", "r"), 0);
	/* begun: the next identical one is news again */
	xs_outq_consume(&q, 3);
	assert_int_equal(xs_outq_event(&q, "/local/domain/1/flood", "t"), 0);
	xs_outq_free(&q);

	for (i = 0; i < 5000 && rc != -ENOSPC; i++) {
		snprintf(path, sizeof(path), "/local/domain/1/k%d", i);
		rc = xs_outq_event(&q, path, "t");
	}
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(q.events, XS_EVENTS_MAX);
	assert_int_equal(q.events_dropped, 1);
	assert_int_equal(xs_outq_event(&q, "/other", "t"), -ENOSPC);
	assert_int_equal(q.events_dropped, 2);
	/* replies still go in: the reader's own requests are not its events */
	assert_int_equal(xs_outq_reply(&q, &req, XS_READ, "v", 1), 0);
	/* one taken, one more fits */
	assert_true(take(&q, &h, NULL));
	assert_int_equal(xs_outq_event(&q, "/other", "t"), 0);
	xs_outq_free(&q);

	/* and by bytes: big tokens */
	memset(tok, 'x', sizeof(tok) - 1);
	for (i = 0, rc = 0; i < 1000 && rc != -ENOSPC; i++) {
		snprintf(path, sizeof(path), "/p%d", i);
		rc = xs_outq_event(&q, path, tok);
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(q.event_bytes <= XS_EVENT_BYTES_MAX);
	assert_true(q.events > 100);
	assert_true(xs_outq_peek(&q, &d) > 0);
	/* too big for one message: never queued */
	static char huge[XS_PAYLOAD_MAX];

	memset(huge, 'y', sizeof(huge) - 1);
	assert_int_equal(xs_outq_event(&q, "/a", huge), -E2BIG);
	xs_outq_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_replies_outstanding),
		cmocka_unit_test(test_dom0_held_to_bytes),
		cmocka_unit_test(test_order_and_framing),
		cmocka_unit_test(test_events_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
