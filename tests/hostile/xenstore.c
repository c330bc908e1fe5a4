/* SPDX-License-Identifier: MIT */
/*
 * XenStore over the domain's own ring, against what Xen 4.17's xenstored
 * (tools/xenstore/xenstored_core.c, _transaction.c, _watch.c, _domain.c)
 * does for an unprivileged client: other domains' nodes and the privileged
 * requests (INTRODUCE, RELEASE, IS_DOMAIN_INTRODUCED, ...) are EACCES,
 * unknown ones ENOSYS; its quotas (1000 nodes, 128+1 watches, 10+1
 * transactions, 5 permissions a node, 2 KiB a node) are ENOSPC or E2BIG;
 * a transaction that lost a race is EAGAIN. Last, a message longer than any
 * may be: no answer, the ring's error field set to XENSTORE_ERROR_PROTO, and
 * xenstored carries on for everybody else.
 */
#include "hostile.h"

enum {
	XS_CONTROL = 0, XS_DIRECTORY = 1, XS_READ = 2, XS_WATCH = 4, XS_UNWATCH = 5, XS_TRANSACTION_START = 6,
	XS_TRANSACTION_END = 7, XS_INTRODUCE = 8, XS_RELEASE = 9, XS_GET_DOMAIN_PATH = 10, XS_WRITE = 11,
	XS_RM = 13, XS_SET_PERMS = 14, XS_ERROR = 16, XS_IS_DOMAIN_INTRODUCED = 17, XS_RESUME = 18,
	XS_SET_TARGET = 19, XS_RESTRICT = 20, XS_RESET_WATCHES = 21,
};

#define XENSTORE_ERROR_PROTO 3

static struct xs_reply rep;
static char msg[4200];

/* Builds NUL-separated strings into msg; returns the length (each string's NUL included). */
static u32 strings(const char *a, const char *b, const char *c)
{
	u32 n = 0;
	const char *parts[3] = { a, b, c };

	for (int i = 0; i < 3 && parts[i]; i++) {
		size_t l = str_len(parts[i]);

		mem_copy(msg + n, parts[i], l + 1);
		n += (u32)l + 1;
	}
	return n;
}

/* A request; its outcome as a word: "OK", the error's name, or "no reply". */
static const char *xs(u32 type, u32 tx, u32 len)
{
	if (!xs_request(type, tx, msg, len, &rep))
		return "no reply";
	if (rep.type == XS_ERROR)
		return rep.body;
	if (rep.type != type)
		return "wrong reply type";
	return "OK";
}

static bool xs_case(const char *name, u32 type, u32 tx, u32 len, const char *want)
{
	const char *got = xs(type, tx, len);

	return check_true(name, str_eq(got, want), got, want);
}

/* A write of path = value, without the value's NUL (as the wire has it). */
static const char *xs_write(u32 tx, const char *path, const char *value, u32 vlen)
{
	u32 n = strings(path, 0, 0);

	mem_copy(msg + n, value, vlen);
	return xs(XS_WRITE, tx, n + vlen);
}

/* Writes data/pad with a value of such a length that the next message starts at ring offset at. */
static void pad_ring_to(u32 at)
{
	static char pad[1024];
	u32 len = (at - xs_req_offset() - 16 - 9) % 1024;

	mem_set(pad, 'p', sizeof(pad));
	xs_write(0, "data/pad", pad, len);
}

static u32 tx_start(void)
{
	if (!xs_request(XS_TRANSACTION_START, 0, "", 1, &rep) || rep.type != XS_TRANSACTION_START)
		return 0;
	return (u32)parse_long(rep.body);
}

static const char *tx_end(u32 tx, bool commit)
{
	return xs(XS_TRANSACTION_END, tx, strings(commit ? "T" : "F", 0, 0));
}

static void access_cases(void)
{
	char want[24];

	snfmt(want, sizeof(want), "%u", env.domid);
	checkf("xenstore read of its own domid", xs_request(XS_READ, 0, "domid", 6, &rep) && rep.type == XS_READ &&
	       str_eq(rep.body, want), want, "'%s'", rep.body);
	checkf("xenstore read of its own name", str_eq(xs(XS_READ, 0, strings("name", 0, 0)), "OK") &&
	       str_eq(rep.body, "hostile"), "hostile", "'%s'", rep.body);
	checkf("xenstore GET_DOMAIN_PATH of dom0", str_eq(xs(XS_GET_DOMAIN_PATH, 0, strings("0", 0, 0)), "OK") &&
	       str_eq(rep.body, "/local/domain/0"), "/local/domain/0", "'%s'", rep.body);
	xs_case("xenstore read of dom0's name", XS_READ, 0, strings("/local/domain/0/name", 0, 0), "EACCES");
	xs_case("xenstore write under dom0's home", XS_WRITE, 0, strings("/local/domain/0/x", "y", 0), "EACCES");
	xs_case("xenstore directory of /local/domain", XS_DIRECTORY, 0, strings("/local/domain", 0, 0), "EACCES");
	xs_case("xenstore rm of dom0's name", XS_RM, 0, strings("/local/domain/0/name", 0, 0), "EACCES");
	xs_case("xenstore SET_PERMS on dom0's home", XS_SET_PERMS, 0, strings("/local/domain/0", "b0", 0),
		"EACCES");
	xs_case("xenstore INTRODUCE of a domain", XS_INTRODUCE, 0, strings("5", "1234", "1"), "EACCES");
	xs_case("xenstore RELEASE of dom0", XS_RELEASE, 0, strings("0", 0, 0), "EACCES");
	xs_case("xenstore IS_DOMAIN_INTRODUCED (privileged)", XS_IS_DOMAIN_INTRODUCED, 0, strings("0", 0, 0),
		"EACCES");
	xs_case("xenstore RESUME of itself", XS_RESUME, 0, strings(want, 0, 0), "EACCES");
	xs_case("xenstore SET_TARGET", XS_SET_TARGET, 0, strings(want, "0", 0), "EACCES");
	xs_case("xenstore CONTROL", XS_CONTROL, 0, strings("print", "hello", 0), "EACCES");
	xs_case("xenstore message of type 99", 99, 0, 0, "ENOSYS");
	xs_case("xenstore RESTRICT (gone)", XS_RESTRICT, 0, strings("0", 0, 0), "ENOSYS");
	xs_case("xenstore path with a bad character", XS_READ, 0, strings("a*b", 0, 0), "EINVAL");
	mem_copy(msg, "name", 4);
	xs_case("xenstore read without its NUL", XS_READ, 0, 4, "EINVAL");
	xs_case("xenstore read in a transaction nobody opened", XS_READ, 0xdeadbeef, strings("name", 0, 0),
		"ENOENT");
	pad_ring_to(1024 - 7);
	checkf("xenstore request whose header straddles the ring's wrap",
	       str_eq(xs(XS_READ, 0, strings("name", 0, 0)), "OK") && str_eq(rep.body, "hostile"), "hostile",
	       "'%s'", rep.body);
}

static void transaction_cases(void)
{
	char path[40], val[16];
	u32 t, open[12], n = 0;
	bool all = true;

	t = tx_start();
	checkf("xenstore TRANSACTION_START", t != 0, "a transaction id", "%u", t);
	for (int i = 0; i < 100; i++) {
		snfmt(path, sizeof(path), "data/t/%d", i);
		snfmt(val, sizeof(val), "v%d", i);
		all &= str_eq(xs_write(t, path, val, (u32)str_len(val)), "OK");
	}
	check_true("xenstore 100 writes in one transaction", all, all ? "all OK" : "some refused", "all OK");
	xs_case("xenstore commit of 100 writes", XS_TRANSACTION_END, t, strings("T", 0, 0), "OK");
	checkf("xenstore the committed nodes are there", str_eq(xs(XS_READ, 0, strings("data/t/99", 0, 0)), "OK") &&
	       str_eq(rep.body, "v99"), "v99", "'%s'", rep.body);

	t = tx_start();
	xs_write(t, "data/c", "in", 2);
	xs_write(0, "data/c", "out", 3);
	xs_case("xenstore commit of a transaction another write raced", XS_TRANSACTION_END, t,
		strings("T", 0, 0), "EAGAIN");
	checkf("xenstore the racing write stands", str_eq(xs(XS_READ, 0, strings("data/c", 0, 0)), "OK") &&
	       str_eq(rep.body, "out"), "out", "'%s'", rep.body);

	t = tx_start();
	xs_case("xenstore TRANSACTION_START inside a transaction", XS_TRANSACTION_START, t, strings("", 0, 0),
		"EBUSY");
	xs_case("xenstore abort of that transaction", XS_TRANSACTION_END, t, strings("F", 0, 0), "OK");

	/* Xen lets an unprivileged client have 11 open at once (quota 10, checked before the 11th counts). */
	for (n = 0; n < 11; n++) {
		open[n] = tx_start();
		if (!open[n])
			break;
	}
	checkf("xenstore 11 transactions open at once", n == 11, "11", "%u", n);
	xs_case("xenstore a 12th open transaction", XS_TRANSACTION_START, 0, strings("", 0, 0), "ENOSPC");
	all = true;
	for (u32 i = 0; i < n; i++)
		all &= str_eq(tx_end(open[i], false), "OK");
	check_true("xenstore abort of the 11", all, all ? "all OK" : "some refused", "all OK");
}

static void size_and_perms_cases(void)
{
	static char big[4100];

	for (int i = 0; i < 4096; i++)
		big[i] = (char)('a' + i % 26);
	xs_case("xenstore write of a 2000-byte value across the ring's wrap", XS_WRITE, 0,
		(mem_copy(msg, "data/big", 9), mem_copy(msg + 9, big, 2000), 9 + 2000), "OK");
	checkf("xenstore the 2000 bytes read back", str_eq(xs(XS_READ, 0, strings("data/big", 0, 0)), "OK") &&
	       rep.len == 2000 && mem_eq(rep.body, big, 2000), "2000 equal bytes", "%u bytes%s", rep.len,
	       rep.len == 2000 && mem_eq(rep.body, big, 2000) ? "" : ", different");
	xs_case("xenstore write of a node of 4000 bytes (quota 2048)", XS_WRITE, 0,
		(mem_copy(msg, "data/huge", 10), mem_copy(msg + 10, big, 4086), 10 + 4086), "ENOSPC");
	{
		char n1[16], r1[16];
		u32 n;

		snfmt(n1, sizeof(n1), "n%u", env.domid);
		snfmt(r1, sizeof(r1), "r%u", env.domid);
		xs_write(0, "data/perm", "p", 1);
		n = strings("data/perm", n1, "r0");
		n += (mem_copy(msg + n, r1, str_len(r1) + 1), (u32)str_len(r1) + 1);
		n += (mem_copy(msg + n, "w0", 3), 3);
		n += (mem_copy(msg + n, "b0", 3), 3);
		xs_case("xenstore SET_PERMS with 5 entries", XS_SET_PERMS, 0, n, "OK");
		n += (mem_copy(msg + n, "r0", 3), 3);
		xs_case("xenstore SET_PERMS with 6 entries (quota 5)", XS_SET_PERMS, 0, n, "ENOSPC");
	}
}

static void watch_cases(void)
{
	char path[32], tok[16];
	unsigned int events, ok = 0;
	u32 n;

	for (int i = 0; i < 130; i++) {
		snfmt(path, sizeof(path), "data/w/%d", i);
		snfmt(tok, sizeof(tok), "t%d", i);
		n = strings(path, tok, 0);
		if (i < 129)
			ok += str_eq(xs(XS_WATCH, 0, n), "OK");
		else
			xs_case("xenstore a 130th watch (quota 128, checked before adding)", XS_WATCH, 0, n, "E2BIG");
	}
	checkf("xenstore 129 watches", ok == 129, "129 OK", "%u OK", ok);
	xs_case("xenstore the same watch again", XS_WATCH, 0, strings("data/w/0", "t0", 0), "EEXIST");
	events = xs_watch_events;
	xs_write(0, "data/w/5", "x", 1);
	xs(XS_READ, 0, strings("name", 0, 0));
	checkf("xenstore a write to a watched node fires its watch", xs_watch_events > events, "an event",
	       "%u events", xs_watch_events - events);
	ok = 0;
	for (int i = 0; i < 129; i++) {
		snfmt(path, sizeof(path), "data/w/%d", i);
		snfmt(tok, sizeof(tok), "t%d", i);
		ok += str_eq(xs(XS_UNWATCH, 0, strings(path, tok, 0)), "OK");
	}
	checkf("xenstore unwatch of the 129", ok == 129, "129 OK", "%u OK", ok);
	xs_case("xenstore unwatch of one not set", XS_UNWATCH, 0, strings("data/w/0", "t0", 0), "ENOENT");
	xs_case("xenstore RESET_WATCHES", XS_RESET_WATCHES, 0, strings("", 0, 0), "OK");
}

static void quota_cases(void)
{
	char path[32];
	const char *r = "OK";
	int n;

	for (n = 0; n < 1100; n++) {
		snfmt(path, sizeof(path), "data/q/%d", n);
		r = xs_write(0, path, "x", 1);
		if (!str_eq(r, "OK"))
			break;
	}
	checkf("xenstore node quota: refused before 1000 more nodes", n < 1000 && str_eq(r, "ENOSPC"),
	       "ENOSPC before 1000", "%s after %d nodes", r, n);
	xs_case("xenstore rm of the quota's nodes", XS_RM, 0, strings("data/q", 0, 0), "OK");
}

void cases_xenstore(void)
{
	access_cases();
	transaction_cases();
	size_and_perms_cases();
	watch_cases();
	quota_cases();
}

/*
 * Last: a transaction left open (the toolstack must clean it up), then a
 * write claiming 5000 bytes of payload, its header split by the ring's wrap.
 * Xen's xenstored answers nothing, marks the ring's error field and ignores
 * the connection from then on.
 */
void cases_xenstore_last(void)
{
	u32 t = tx_start();

	checkf("xenstore a transaction left open to the end", t != 0 &&
	       str_eq(xs_write(t, "data/held", "1", 1), "OK"), "started, written", "id %u", t);
	/* Its header across the ring's wrap, and a kilobyte of its payload after it. */
	pad_ring_to(1024 - 9);
	mem_set(msg, 'x', 1024);
	xs_send_raw(XS_WRITE, 0, 5000, msg, 1000);
	checkf("xenstore 5000-byte message: no reply", !xs_read_reply(&rep, 3000000000UL), "no reply",
	       "a reply of type %u", rep.type);
	{
		u64 deadline = now_ns() + 3000000000UL;

		while (!xs_ring_error() && now_ns() < deadline)
			yield();
	}
	check("xenstore ring error field says protocol error", xs_ring_error(), XENSTORE_ERROR_PROTO);
}
