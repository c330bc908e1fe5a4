// SOURCES: tools/xenstore/client.c tools/xenstore/wire.c
/* SPDX-License-Identifier: MIT */
/* Host tests of the XenStore client the dom0 tools use, against a socket pair standing in for xenstored. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xenstore/client.h"

/*
 * xenstore-chmod PATH PERM...: as many permissions as a message holds go in
 * one SET_PERMS, path first (Xen takes any number; the client stopped at 9).
 */
static void test_set_perms_any_number(void **state)
{
	char names[40][16], buf[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	static const char *many[2000];
	const char *perms[40];
	struct xs_header rep = { XS_SET_PERMS, 0, 0, 3 }, req;
	struct xsc h = { 0 };
	int sv[2];
	size_t off;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	h.fd = sv[0];
	h.events_tail = &h.events;
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "%c%d", i ? 'r' : 'n', i);
		perms[i] = names[i];
	}
	/* xenstored's answer, there before the question (req_id 0: the client's first) */
	assert_int_equal(write(sv[1], &rep, sizeof(rep)), sizeof(rep));
	assert_int_equal(write(sv[1], "OK", 3), 3);
	assert_int_equal(xsc_set_perms(&h, 0, "/tool/x", perms, 40), 0);
	assert_true(read(sv[1], buf, sizeof(buf)) > (ssize_t)XS_HEADER_SIZE);
	memcpy(&req, buf, sizeof(req));
	assert_int_equal(req.type, XS_SET_PERMS);
	assert_string_equal(buf + XS_HEADER_SIZE, "/tool/x");
	off = XS_HEADER_SIZE + 8;
	for (int i = 0; i < 40; i++) {
		assert_string_equal(buf + off, names[i]);
		off += strlen(names[i]) + 1;
	}
	assert_int_equal(req.len, off - XS_HEADER_SIZE);
	/* none is refused, and so is more than a message holds */
	assert_int_equal(xsc_set_perms(&h, 0, "/tool/x", perms, 0), -EINVAL);
	for (int i = 0; i < 2000; i++)
		many[i] = "r1000";
	assert_int_equal(xsc_set_perms(&h, 0, "/tool/x", many, 2000), -E2BIG);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_perms_any_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
