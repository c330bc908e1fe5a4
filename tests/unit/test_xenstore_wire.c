// SOURCES: tools/xenstore/wire.c
/* SPDX-License-Identifier: MIT */
/* Host tests of the XenStore wire protocol: framing, argument splitting, replies. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/xenstore/wire.h"

static size_t frame(uint8_t *buf, uint32_t type, uint32_t req, const void *payload, uint32_t len)
{
	struct xs_header h = { type, req, 7, len };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	return sizeof(h) + len;
}

static void test_whole_messages_parse_and_partial_ones_wait(void **state)
{
	uint8_t buf[64];
	struct xs_msg m;
	size_t n = frame(buf, XS_READ, 42, "/local\0", 7);

	for (size_t have = 0; have < n; have++)
		assert_int_equal(xs_wire_parse(buf, have, &m), 0);
	assert_int_equal(xs_wire_parse(buf, n, &m), (long)n);
	assert_int_equal(m.hdr.req_id, 42);
	assert_int_equal(m.hdr.tx_id, 7);
	assert_int_equal(xs_wire_args(&m), 0);
	assert_int_equal(m.argc, 1);
	assert_string_equal(m.argv[0], "/local");
}

static void test_oversized_messages_are_refused_at_once(void **state)
{
	uint8_t buf[32] = { 0 };
	struct xs_header h = { XS_READ, 1, 0, XS_PAYLOAD_MAX + 1 };
	struct xs_msg m;

	memcpy(buf, &h, sizeof(h));
	assert_int_equal(xs_wire_parse(buf, sizeof(buf), &m), -EINVAL);
	h = (struct xs_header){ XS_READ, 1, 0, 0xffffffff };
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(xs_wire_parse(buf, sizeof(buf), &m), -EINVAL);
}

/* Any type is framed; whether it is a request is xs_wire_known's to say (Xen: ENOSYS). */
static void test_unknown_types_are_framed_and_known_to_be_unknown(void **state)
{
	static const uint32_t unknown[] = { XS_WATCH_EVENT, XS_ERROR, 20, XS_TYPE_COUNT, 99, 0xffffffff };
	uint8_t buf[32] = { 0 };
	struct xs_msg m;

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		struct xs_header h = { unknown[i], 1, 0, 0 };

		memcpy(buf, &h, sizeof(h));
		assert_int_equal(xs_wire_parse(buf, sizeof(buf), &m), XS_HEADER_SIZE);
		assert_false(xs_wire_known(unknown[i]));
	}
	for (uint32_t type = XS_CONTROL; type <= XS_DIRECTORY_PART; type++)
		if (type != XS_WATCH_EVENT && type != XS_ERROR && type != 20)
			assert_true(xs_wire_known(type));
}

/*
 * A message of an unknown type is answered once, however it arrives: here
 * in pieces of 7 bytes, read into the connection's buffer one at a time as
 * the daemon does, then parsed from the start each time. It used to be
 * refused as soon as its header was in, again for every piece after.
 */
static void test_unknown_type_in_pieces_is_one_error(void **state)
{
	uint8_t stream[256], buf[256];
	size_t total = frame(stream, 99, 1, "0123456789012345678901234567890123456789", 40);
	size_t have = 0, off = 0;
	int errors = 0, reads = 0;

	total += frame(stream + total, XS_READ, 2, "name\0", 5);
	while (have < total) {
		size_t piece = total - have < 7 ? total - have : 7;

		memcpy(buf + have, stream + have, piece);
		have += piece;
		for (;;) {
			struct xs_msg m;
			long n = xs_wire_parse(buf + off, have - off, &m);

			if (n == 0)
				break;
			assert_true(n > 0);
			if (!xs_wire_known(m.hdr.type)) {
				errors++;
				assert_int_equal(m.hdr.type, 99);
				assert_int_equal(m.hdr.req_id, 1);
			} else {
				assert_int_equal(m.hdr.type, XS_READ);
				assert_int_equal(m.hdr.req_id, 2);
				reads++;
			}
			off += (size_t)n;
		}
	}
	assert_int_equal(errors, 1);
	assert_int_equal(reads, 1);
	assert_int_equal(off, total);
}

struct args_case {
	uint32_t type;
	const char *payload;
	uint32_t len;
	int rc;
	unsigned int argc;
	size_t last_len;
};

static const struct args_case args_cases[] = {
	{ XS_READ, "/a/b\0", 5, 0, 1, 4 },
	{ XS_READ, "/a/b", 4, -EINVAL, 0, 0 },			/* no NUL */
	{ XS_READ, "/a\0junk", 7, -EINVAL, 0, 0 },		/* trailing bytes */
	{ XS_READ, "", 0, -EINVAL, 0, 0 },			/* no path */
	{ XS_WRITE, "/a\0value", 8, 0, 2, 5 },			/* value without NUL */
	{ XS_WRITE, "/a\0va\0ue", 8, 0, 2, 5 },			/* value may hold NULs */
	{ XS_WRITE, "/a\0", 3, 0, 2, 0 },			/* empty value */
	{ XS_WRITE, "/a", 2, -EINVAL, 0, 0 },
	{ XS_WATCH, "/a\0tok\0", 7, 0, 2, 3 },
	{ XS_WATCH, "/a\0tok", 6, -EINVAL, 0, 0 },
	{ XS_WATCH, "/a\0", 3, -EINVAL, 0, 0 },
	{ XS_UNWATCH, "/a\0tok\0", 7, 0, 2, 3 },
	{ XS_INTRODUCE, "3\0" "4096\0" "7\0", 9, 0, 3, 1 },
	{ XS_INTRODUCE, "3\0" "4096\0", 7, -EINVAL, 0, 0 },
	{ XS_SET_PERMS, "/a\0n0\0r1\0", 9, 0, 2, 6 },	/* path, then the perms whole */
	{ XS_SET_PERMS, "/a\0n0\0r1", 8, -EINVAL, 0, 0 },	/* the last one without NUL */
	{ XS_SET_PERMS, "/a\0", 3, 0, 2, 0 },		/* none: the store refuses */
	{ XS_SET_PERMS, "/a", 2, -EINVAL, 0, 0 },
	{ XS_TRANSACTION_START, "\0", 1, 0, 1, 0 },
	{ XS_TRANSACTION_START, "", 0, 0, 0, 0 },
	{ XS_TRANSACTION_END, "T\0", 2, 0, 1, 1 },
	{ XS_TRANSACTION_END, "", 0, -EINVAL, 0, 0 },
	{ XS_RESET_WATCHES, "", 0, 0, 0, 0 },
	{ XS_DIRECTORY_PART, "/a\0" "0\0", 5, 0, 2, 1 },
	{ XS_DIRECTORY_PART, "/a\0", 3, -EINVAL, 0, 0 },
	{ XS_SET_PERMS, "/a\0a\0b\0c\0d\0e\0f\0g\0h\0i\0j\0", 23, 0, 2, 20 }, /* 10 and more */
};

static void test_arguments_split_as_each_type_wants(void **state)
{
	for (size_t i = 0; i < sizeof(args_cases) / sizeof(args_cases[0]); i++) {
		const struct args_case *c = &args_cases[i];
		uint8_t buf[128];
		struct xs_msg m;
		size_t n = frame(buf, c->type, 1, c->payload, c->len);

		assert_int_equal(xs_wire_parse(buf, n, &m), (long)n);
		if (xs_wire_args(&m) != c->rc)
			fail_msg("case %zu: rc %d, want %d", i, xs_wire_args(&m), c->rc);
		if (c->rc == 0) {
			assert_int_equal(m.argc, c->argc);
			if (c->argc)
				assert_int_equal(m.arglen[c->argc - 1], c->last_len);
		}
	}
}

/* As many permissions as a message holds (Xen sets no other limit): here 800. */
static void test_set_perms_takes_any_number(void **state)
{
	static uint8_t buf[XS_HEADER_SIZE + XS_PAYLOAD_MAX];
	char payload[XS_PAYLOAD_MAX];
	size_t len = 0;
	struct xs_msg m;
	size_t n;

	memcpy(payload, "/a", 3);
	len = 3;
	for (int i = 0; i < 800; i++)
		len += (size_t)snprintf(payload + len, sizeof(payload) - len, "r%d", i % 100) + 1;
	n = frame(buf, XS_SET_PERMS, 1, payload, (uint32_t)len);
	assert_int_equal(xs_wire_parse(buf, n, &m), (long)n);
	assert_int_equal(xs_wire_args(&m), 0);
	assert_int_equal(m.argc, 2);
	assert_string_equal(m.argv[0], "/a");
	assert_int_equal(m.arglen[1], len - 3);
	assert_memory_equal(m.argv[1], "r0\0r1\0", 6);
}

/* Xen's XS_FLAG_PRIV set: a guest asking any of these gets EACCES. */
static void test_privileged_requests(void **state)
{
	static const uint32_t priv[] = { XS_CONTROL, XS_INTRODUCE, XS_RELEASE,
					 XS_IS_DOMAIN_INTRODUCED, XS_RESUME, XS_SET_TARGET };

	for (uint32_t type = 0; type < XS_TYPE_COUNT + 2; type++) {
		bool want = false;

		for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
			want |= priv[i] == type;
		if (xs_wire_privileged(type) != want)
			fail_msg("type %u: privileged %d, want %d", type, !want, want);
	}
}

static void test_replies_echo_the_request_and_refuse_to_overflow(void **state)
{
	struct xs_header req = { XS_READ, 99, 5, 0 };
	uint8_t out[XS_HEADER_SIZE + 8];
	struct xs_header got;

	assert_int_equal(xs_wire_reply(out, sizeof(out), &req, XS_READ, "value", 5), XS_HEADER_SIZE + 5);
	memcpy(&got, out, sizeof(got));
	assert_int_equal(got.type, XS_READ);
	assert_int_equal(got.req_id, 99);
	assert_int_equal(got.tx_id, 5);
	assert_int_equal(got.len, 5);
	assert_memory_equal(out + XS_HEADER_SIZE, "value", 5);
	assert_int_equal(xs_wire_reply(out, sizeof(out), &req, XS_READ, "123456789", 9), -E2BIG);
}

static void test_errors_have_xen_names(void **state)
{
	assert_string_equal(xs_errno_name(-ENOENT), "ENOENT");
	assert_string_equal(xs_errno_name(EACCES), "EACCES");
	assert_string_equal(xs_errno_name(-EAGAIN), "EAGAIN");
	assert_string_equal(xs_errno_name(-E2BIG), "E2BIG");
	assert_string_equal(xs_errno_name(-12345), "EIO");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_messages_parse_and_partial_ones_wait),
		cmocka_unit_test(test_oversized_messages_are_refused_at_once),
		cmocka_unit_test(test_unknown_types_are_framed_and_known_to_be_unknown),
		cmocka_unit_test(test_unknown_type_in_pieces_is_one_error),
		cmocka_unit_test(test_arguments_split_as_each_type_wants),
		cmocka_unit_test(test_set_perms_takes_any_number),
		cmocka_unit_test(test_privileged_requests),
		cmocka_unit_test(test_replies_echo_the_request_and_refuse_to_overflow),
		cmocka_unit_test(test_errors_have_xen_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
