// SOURCES: tools/xenstore/store.c tools/xenstore/nodeset.c
/* SPDX-License-Identifier: MIT */
/* Host tests of the xenstored tree: paths, permissions, transactions, watches, quotas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../tools/xenstore/store.h"

#define W(s, d, t, p, v) xs_write(s, d, t, p, v, strlen(v))
#define SP(s, d, p, perms) xs_set_perms(s, d, 0, p, perms, sizeof(perms))

/* A store with /local/domain/1 and /2, each owned by its domain, as the toolstack makes them. */
static struct xs_store *mk(const struct xs_quota *q)
{
	struct xs_store *s = xs_store_new(q);
	struct xs_event ev;

	assert_non_null(s);
	for (int d = 1; d <= 2; d++) {
		char p[64], perm[16];
		int n = snprintf(perm, sizeof(perm), "n%d", d);

		snprintf(p, sizeof(p), "/local/domain/%d", d);
		assert_int_equal(xs_mkdir(s, 0, 0, p), 0);
		assert_int_equal(xs_set_perms(s, 0, 0, p, perm, n + 1), 0);
		snprintf(p, sizeof(p), "/local/domain/%d/name", d);
		assert_int_equal(W(s, 0, 0, p, "guest"), 0);
	}
	assert_int_equal(W(s, 0, 0, "/local/domain/0/secret", "x"), 0);
	while (xs_next_event(s, &ev))
		;
	return s;
}

static int setup(void **state)
{
	*state = mk(NULL);
	return 0;
}

static int teardown(void **state)
{
	xs_store_free(*state);
	return 0;
}

static void rd(struct xs_store *s, xs_domid_t d, uint32_t t, const char *p, const char *want)
{
	char buf[XS_VALUE_MAX];
	int n = xs_read(s, d, t, p, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(buf, want, n);
}

/* The next event must be (d, path, token). */
static void ev_is(struct xs_store *s, xs_domid_t d, const char *path, const char *token)
{
	struct xs_event ev;

	assert_true(xs_next_event(s, &ev));
	assert_int_equal(ev.domid, d);
	assert_string_equal(ev.path, path);
	assert_string_equal(ev.token, token);
}

static void no_ev(struct xs_store *s)
{
	struct xs_event ev;

	assert_false(xs_next_event(s, &ev));
}

/* ---- paths ---- */

static const struct {
	xs_domid_t dom;
	const char *in, *out; /* out NULL: -EINVAL */
} path_cases[] = {
	{ 0, "/", "/" },
	{ 0, "/local/domain/0", "/local/domain/0" },
	{ 3, "device/vbd/51712/state", "/local/domain/3/device/vbd/51712/state" },
	{ 3, "a-b_c@d", "/local/domain/3/a-b_c@d" },
	{ 0, "/a.b", NULL }, /* Xen's set has no '.' */
	{ 7, "/A/Z/0/9", "/A/Z/0/9" },
	{ 0, "", NULL },
	{ 0, "//", NULL },
	{ 0, "/a//b", NULL },
	{ 0, "/a/", NULL },
	{ 3, "a/", NULL },
	{ 0, "/a b", NULL },
	{ 0, "/a\tb", NULL },
	{ 0, "/a*b", NULL },
	{ 0, "/caf\xc3\xa9", NULL },
	{ 0, "/a:b", NULL },
};

static void test_paths(void **state)
{
	char out[XS_ABS_PATH_MAX + 1];

	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		int rc = xs_canonical(path_cases[i].dom, path_cases[i].in, out);

		if (!path_cases[i].out) {
			assert_int_equal(rc, -EINVAL);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(out, path_cases[i].out);
	}
}

static void test_path_lengths(void **state)
{
	char p[XS_ABS_PATH_MAX + 3], out[XS_ABS_PATH_MAX + 1];

	p[0] = '/';
	memset(p + 1, 'a', XS_ABS_PATH_MAX - 1);
	p[XS_ABS_PATH_MAX] = 0;
	assert_int_equal(xs_canonical(0, p, out), 0);
	p[XS_ABS_PATH_MAX] = 'a';
	p[XS_ABS_PATH_MAX + 1] = 0;
	assert_int_equal(xs_canonical(0, p, out), -EINVAL);
	memset(p, 'a', XS_REL_PATH_MAX + 1);
	p[XS_REL_PATH_MAX + 1] = 0;
	assert_int_equal(xs_canonical(1, p, out), -EINVAL);
	p[XS_REL_PATH_MAX] = 0;
	assert_int_equal(xs_canonical(1, p, out), 0);
}

static void test_special_paths_are_not_nodes(void **state)
{
	struct xs_store *s = *state;

	assert_int_equal(W(s, 0, 0, "@introduceDomain", "1"), -EINVAL);
	assert_int_equal(xs_mkdir(s, 0, 0, "@releaseDomain"), -EINVAL);
	assert_int_equal(xs_read(s, 0, 0, "@introduceDomain", NULL, 0), -EINVAL);
}

/* ---- basic operations ---- */

static void test_write_creates_parents(void **state)
{
	struct xs_store *s = *state;
	char perms[64];
	size_t before = xs_node_count(s);

	assert_int_equal(W(s, 1, 0, "device/vif/0/mac", "00:16:3e:00:00:01"), 0);
	assert_int_equal(xs_node_count(s), before + 4);
	rd(s, 1, 0, "/local/domain/1/device/vif", "");
	rd(s, 1, 0, "device/vif/0/mac", "00:16:3e:00:00:01");
	assert_int_equal(xs_get_perms(s, 1, 0, "device/vif", perms, sizeof(perms)), 3);
	assert_memory_equal(perms, "n1", 3);
}

static void test_binary_value(void **state)
{
	struct xs_store *s = *state;
	const char v[5] = { 'a', 0, 'b', 0, (char)0xff };
	char buf[8];

	assert_int_equal(xs_write(s, 1, 0, "bin", v, sizeof(v)), 0);
	assert_int_equal(xs_read(s, 1, 0, "bin", buf, sizeof(buf)), 5);
	assert_memory_equal(buf, v, 5);
	assert_int_equal(xs_read(s, 1, 0, "bin", buf, 2), -E2BIG);
	assert_int_equal(xs_write(s, 1, 0, "empty", "", 0), 0);
	rd(s, 1, 0, "empty", "");
}

static void test_read_missing(void **state)
{
	char buf[8];

	assert_int_equal(xs_read(*state, 0, 0, "/nope", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(xs_directory(*state, 0, 0, "/nope", buf, sizeof(buf)), -ENOENT);
}

static void test_mkdir_existing_ok(void **state)
{
	struct xs_store *s = *state;
	size_t before = xs_node_count(s);

	assert_int_equal(xs_mkdir(s, 1, 0, "control"), 0);
	assert_int_equal(xs_mkdir(s, 1, 0, "control"), 0);
	assert_int_equal(xs_node_count(s), before + 1);
	assert_int_equal(xs_mkdir(s, 1, 0, "/local/domain/0"), -EACCES);
}

static void test_directory_sorted(void **state)
{
	struct xs_store *s = *state;
	static const char want[] = "a\0a-b\0a_b\0b\0z";
	char buf[64];

	W(s, 1, 0, "d/z", "");
	W(s, 1, 0, "d/a_b", "");
	W(s, 1, 0, "d/b", "");
	W(s, 1, 0, "d/a-b", "");
	W(s, 1, 0, "d/a/deep/er", "");
	assert_int_equal(xs_directory(s, 1, 0, "d", buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(xs_directory(s, 1, 0, "d", buf, 4), -E2BIG);
	assert_int_equal(xs_directory(s, 1, 0, "d/z", buf, sizeof(buf)), 0);
}

static void test_rm_recursive(void **state)
{
	struct xs_store *s = *state;
	size_t before = xs_node_count(s);
	char buf[8];

	W(s, 1, 0, "t/a/b", "1");
	W(s, 1, 0, "t/a/c", "2");
	W(s, 1, 0, "t-sibling", "3");
	assert_int_equal(xs_rm(s, 1, 0, "t"), 0);
	assert_int_equal(xs_read(s, 1, 0, "t/a/b", buf, sizeof(buf)), -ENOENT);
	rd(s, 1, 0, "t-sibling", "3");
	assert_int_equal(xs_node_count(s), before + 1);
	/* gone already is fine; a missing parent is not */
	assert_int_equal(xs_rm(s, 1, 0, "t"), 0);
	assert_int_equal(xs_rm(s, 1, 0, "t/a/b"), -ENOENT);
	assert_int_equal(xs_rm(s, 0, 0, "/"), -EINVAL);
}

/* ---- permissions ---- */

enum op { READ, WRITE, MKDIR, RM, DIR, GETP };

static const struct {
	xs_domid_t dom;
	enum op op;
	const char *path;
	int rc;
} perm_cases[] = {
	{ 1, READ, "/local/domain/0/secret", -EACCES },
	{ 1, WRITE, "/local/domain/0/secret", -EACCES },
	{ 1, RM, "/local/domain/0/secret", -EACCES },
	{ 1, DIR, "/local/domain/0", -EACCES },
	{ 1, GETP, "/local/domain/0/secret", -EACCES },
	{ 1, WRITE, "/evil", -EACCES },
	{ 1, MKDIR, "/local/domain/0/new/deep", -EACCES },
	{ 1, READ, "/local/domain/2/name", -EACCES },
	{ 1, WRITE, "/local/domain/2/name", -EACCES },
	{ 2, RM, "/local/domain/1", -EACCES },
	{ 1, READ, "/local/domain/1/name", 5 },
	{ 1, READ, "name", 5 },
	{ 1, WRITE, "name", 0 },
	{ 1, MKDIR, "control/new", 0 },
	{ 1, DIR, "/local/domain/1", 0 },
	{ 1, GETP, "name", 3 },
	{ 0, READ, "/local/domain/2/name", 5 },
	{ 0, WRITE, "/local/domain/2/name", 0 },
	{ 0, WRITE, "/anything/at/all", 0 },
	{ 2, RM, "name", 0 },
};

static void test_perm_table(void **state)
{
	struct xs_store *s = *state;
	char buf[256];

	for (size_t i = 0; i < sizeof(perm_cases) / sizeof(perm_cases[0]); i++) {
		xs_domid_t d = perm_cases[i].dom;
		const char *p = perm_cases[i].path;
		int rc = -1;

		switch (perm_cases[i].op) {
		case READ: rc = xs_read(s, d, 0, p, buf, sizeof(buf)); break;
		case WRITE: rc = W(s, d, 0, p, "v"); break;
		case MKDIR: rc = xs_mkdir(s, d, 0, p); break;
		case RM: rc = xs_rm(s, d, 0, p); break;
		case DIR: rc = xs_directory(s, d, 0, p, buf, sizeof(buf)); rc = rc > 0 ? 0 : rc; break;
		case GETP: rc = xs_get_perms(s, d, 0, p, buf, sizeof(buf)); break;
		}
		if (rc != perm_cases[i].rc)
			fail_msg("case %zu (dom %u on %s): %d, want %d", i, d, p, rc, perm_cases[i].rc);
	}
}

static void test_perm_grants(void **state)
{
	struct xs_store *s = *state;
	char buf[64];

	/* dom1 lets dom2 read one node, and everyone write another */
	W(s, 1, 0, "shared", "s");
	W(s, 1, 0, "open", "o");
	assert_int_equal(SP(s, 1, "shared", "n1\0r2"), 0);
	assert_int_equal(SP(s, 1, "open", "w1"), 0);
	rd(s, 2, 0, "/local/domain/1/shared", "s");
	assert_int_equal(W(s, 2, 0, "/local/domain/1/shared", "x"), -EACCES);
	assert_int_equal(W(s, 2, 0, "/local/domain/1/open", "x"), 0);
	assert_int_equal(xs_read(s, 2, 0, "/local/domain/1/open", buf, sizeof(buf)), -EACCES);
	assert_int_equal(xs_get_perms(s, 1, 0, "shared", buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "n1\0r2", 6);
}

static void test_set_perms_refused(void **state)
{
	struct xs_store *s = *state;

	assert_int_equal(SP(s, 2, "/local/domain/1/name", "b2"), -EACCES);
	assert_int_equal(SP(s, 1, "name", "b2"), -EPERM); /* no giving away (Xen: EPERM) */
	assert_int_equal(SP(s, 1, "nothere", "n1"), -ENOENT);
	assert_int_equal(SP(s, 0, "/local/domain/1/name", "n2"), 0); /* dom0 may */
}

static const struct {
	const char *perms;
	size_t len;
	int rc;
} perm_text_cases[] = {
	{ "n0", 3, 0 },
	{ "r0", 2, 0 }, /* the last NUL is optional */
	{ "b1\0w2\0r3", 9, 0 },
	{ "", 0, -EINVAL },
	{ "x1", 3, -EINVAL },
	{ "r", 2, -EINVAL },
	{ "r1x", 4, -EINVAL },
	{ "r99999", 7, -EINVAL },
	{ "r1\0\0", 4, -EINVAL },
};

/*
 * SET_PERMS takes as many entries as its message holds (dom0's toolstack may
 * name many domains); a guest may give one node 5 at most (Xen's
 * quota-permissions-per-node), ENOSPC past that.
 */
static void test_set_perms_many(void **state)
{
	struct xs_store *s = *state;
	static char perms[4096], got[4096]; /* XENSTORE_PAYLOAD_MAX */
	size_t len = 0;
	int n;

	len += (size_t)sprintf(perms, "n0") + 1;
	for (int d = 1; d < 600; d++)
		len += (size_t)sprintf(perms + len, "r%d", d) + 1;
	assert_true(len < sizeof(perms));
	assert_int_equal(xs_set_perms(s, 0, 0, "/local/domain/0/secret", perms, len), 0);
	n = xs_get_perms(s, 0, 0, "/local/domain/0/secret", got, sizeof(got));
	assert_int_equal(n, (int)len);
	assert_memory_equal(got, perms, len);
	rd(s, 599, 0, "/local/domain/0/secret", "x"); /* the last of them reads */
	/* a guest: five entries are fine, six are not */
	assert_int_equal(SP(s, 1, "name", "n1\0r2\0r3\0r4\0r5"), 0);
	assert_int_equal(SP(s, 1, "name", "n1\0r2\0r3\0r4\0r5\0r6"), -ENOSPC);
	n = xs_get_perms(s, 1, 0, "name", got, sizeof(got));
	assert_int_equal(n, 15);
	/* malformed entries anywhere refuse the whole */
	assert_int_equal(SP(s, 0, "/local/domain/0/secret", "n0\0r1\0x2"), -EINVAL);
	assert_int_equal(SP(s, 0, "/local/domain/0/secret", "n0\0\0r1"), -EINVAL);
	assert_int_equal(SP(s, 0, "/local/domain/0/secret", "n0\0r"), -EINVAL);
	assert_int_equal(xs_set_perms(s, 0, 0, "/local/domain/0/secret", "", 0), -EINVAL);
}

static void test_perm_text(void **state)
{
	for (size_t i = 0; i < sizeof(perm_text_cases) / sizeof(perm_text_cases[0]); i++) {
		int rc = xs_set_perms(*state, 0, 0, "/local/domain/1/name", perm_text_cases[i].perms,
				      perm_text_cases[i].len);

		if (rc != perm_text_cases[i].rc)
			fail_msg("case %zu: %d, want %d", i, rc, perm_text_cases[i].rc);
	}
}

static void test_dom0_create_inherits(void **state)
{
	struct xs_store *s = *state;
	char buf[16];
	unsigned int n1 = xs_domain_nodes(s, 1);

	/* dom0 writes into dom1's home: the node is dom1's, as the parent is */
	assert_int_equal(W(s, 0, 0, "/local/domain/1/memory/target", "524288"), 0);
	assert_int_equal(xs_get_perms(s, 0, 0, "/local/domain/1/memory/target", buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "n1", 3);
	assert_int_equal(xs_domain_nodes(s, 1), n1 + 2);
}

/* ---- transactions ---- */

static void test_tx_own_writes_visible(void **state)
{
	struct xs_store *s = *state;
	uint32_t t;
	char buf[8];

	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_not_equal(t, 0);
	assert_int_equal(W(s, 1, t, "tx/a", "in"), 0);
	rd(s, 1, t, "tx/a", "in");
	assert_int_equal(xs_read(s, 1, 0, "tx/a", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
	rd(s, 1, 0, "tx/a", "in");
}

static void test_tx_abort_discards(void **state)
{
	struct xs_store *s = *state;
	size_t before = xs_node_count(s);
	uint32_t t;

	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	W(s, 1, t, "x/y/z", "1");
	xs_rm(s, 1, t, "name");
	assert_int_equal(xs_transaction_end(s, 1, t, false), 0);
	assert_int_equal(xs_node_count(s), before);
	rd(s, 1, 0, "name", "guest");
	assert_int_equal(xs_transaction_end(s, 1, t, true), -ENOENT);
}

static void test_tx_conflict(void **state)
{
	struct xs_store *s = *state;
	uint32_t t;
	char buf[8];

	/* the classic switch_state: read, someone else writes, write, commit */
	W(s, 1, 0, "state", "1");
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(xs_read(s, 1, t, "state", buf, sizeof(buf)), 1);
	W(s, 0, 0, "/local/domain/1/state", "5");
	W(s, 1, t, "state", "4");
	assert_int_equal(xs_transaction_end(s, 1, t, true), -EAGAIN);
	rd(s, 1, 0, "state", "5");
	assert_int_equal(xs_transaction_end(s, 1, t, true), -ENOENT); /* it ended */
}

static void test_tx_conflict_on_delete_and_create(void **state)
{
	struct xs_store *s = *state;
	uint32_t t1, t2;
	char buf[8];

	assert_int_equal(xs_transaction_start(s, 1, &t1), 0);
	assert_int_equal(xs_read(s, 1, t1, "later", buf, sizeof(buf)), -ENOENT);
	W(s, 1, 0, "later", "now");
	assert_int_equal(xs_transaction_end(s, 1, t1, true), -EAGAIN);

	assert_int_equal(xs_transaction_start(s, 1, &t2), 0);
	W(s, 1, t2, "name", "renamed");
	xs_rm(s, 1, 0, "name");
	assert_int_equal(xs_transaction_end(s, 1, t2, true), -EAGAIN);
}

static void test_tx_directory_conflict(void **state)
{
	struct xs_store *s = *state;
	uint32_t t;
	char buf[64];

	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_true(xs_directory(s, 1, t, "/local/domain/1", buf, sizeof(buf)) > 0);
	W(s, 1, t, "seen", "1");
	W(s, 1, 0, "newchild", "x");
	assert_int_equal(xs_transaction_end(s, 1, t, true), -EAGAIN);
}

static void test_tx_disjoint_both_commit(void **state)
{
	struct xs_store *s = *state;
	uint32_t t1, t2;

	assert_int_equal(xs_transaction_start(s, 1, &t1), 0);
	assert_int_equal(xs_transaction_start(s, 2, &t2), 0);
	assert_int_not_equal(t1, t2);
	assert_int_equal(W(s, 1, t1, "name", "one"), 0);
	assert_int_equal(W(s, 2, t2, "name", "two"), 0);
	assert_int_equal(W(s, 2, t2, "new/node", "n"), 0);
	assert_int_equal(xs_transaction_end(s, 1, t1, true), 0);
	assert_int_equal(xs_transaction_end(s, 2, t2, true), 0);
	rd(s, 0, 0, "/local/domain/1/name", "one");
	rd(s, 0, 0, "/local/domain/2/new/node", "n");
}

static void test_tx_rm_then_recreate(void **state)
{
	struct xs_store *s = *state;
	uint32_t t;
	char buf[64];

	W(s, 1, 0, "dir/a", "1");
	W(s, 1, 0, "dir/b", "2");
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(xs_rm(s, 1, t, "dir"), 0);
	assert_int_equal(xs_read(s, 1, t, "dir/a", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(W(s, 1, t, "dir/c", "3"), 0);
	assert_int_equal(xs_directory(s, 1, t, "dir", buf, sizeof(buf)), 2);
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
	assert_int_equal(xs_directory(s, 1, 0, "dir", buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "c", 2);
}

/*
 * Reads of nodes that are not there cost a transaction nothing: it remembers
 * the nearest ancestor that exists instead (one entry), so a guest asking
 * for 5000 absent paths stays far inside its 1024 nodes.
 */
static void test_tx_absent_reads_are_not_kept(void **state)
{
	struct xs_store *s = *state;
	char p[64], buf[8];
	uint32_t t;

	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(p, sizeof(p), i % 2 ? "absent%d" : "no/such/dir%d", i);
		assert_int_equal(xs_read(s, 1, t, p, buf, sizeof(buf)), -ENOENT);
		assert_int_equal(xs_directory(s, 1, t, p, buf, sizeof(buf)), -ENOENT);
		assert_int_equal(xs_get_perms(s, 1, t, p, buf, sizeof(buf)), -ENOENT);
	}
	/* unreadable ones (EACCES) exist, and are remembered like any other */
	assert_int_equal(xs_read(s, 1, t, "/local/domain/2/name", buf, sizeof(buf)), -EACCES);
	assert_int_equal(W(s, 1, t, "seen", "none"), 0);
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
	rd(s, 1, 0, "seen", "none");
}

/* What a transaction found absent must still be absent when it commits (Xen's rule). */
static void test_tx_conflict_on_absent_read(void **state)
{
	struct xs_store *s = *state;
	char buf[8];
	uint32_t t;

	/* the node itself appears */
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(xs_read(s, 1, t, "flag", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(W(s, 0, 0, "/local/domain/1/flag", "1"), 0);
	assert_int_equal(W(s, 1, t, "saw", "no flag"), 0);
	assert_int_equal(xs_transaction_end(s, 1, t, true), -EAGAIN);
	assert_int_equal(xs_read(s, 1, 0, "saw", buf, sizeof(buf)), -ENOENT);
	/* below a directory that did not exist either */
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(xs_read(s, 1, t, "d/e/f", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(W(s, 1, 0, "d/e/f", "1"), 0);
	assert_int_equal(W(s, 1, t, "saw", "no f"), 0);
	assert_int_equal(xs_transaction_end(s, 1, t, true), -EAGAIN);
	/* its own creation in the same transaction is no conflict */
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(xs_read(s, 1, t, "g/h", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(W(s, 1, t, "g/h", "1"), 0);
	rd(s, 1, t, "g/h", "1");
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
	rd(s, 1, 0, "g/h", "1");
	/* a change elsewhere in the tree is none either */
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(xs_read(s, 1, t, "absent", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(W(s, 2, 0, "x", "1"), 0);
	assert_int_equal(W(s, 1, t, "saw", "nothing"), 0);
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
}

static void test_tx_foreign_id(void **state)
{
	struct xs_store *s = *state;
	uint32_t t;
	char buf[8];

	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(xs_read(s, 2, t, "/local/domain/2/name", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(xs_transaction_end(s, 2, t, false), -ENOENT);
	assert_int_equal(xs_read(s, 1, 999, "name", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(xs_transaction_end(s, 1, t, false), 0);
}

static void test_tx_read_only_commits(void **state)
{
	struct xs_store *s = *state;
	uint32_t t;

	/* what a transaction never looked at may change under it */
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	rd(s, 1, t, "name", "guest");
	W(s, 2, 0, "name", "other");
	W(s, 1, 0, "unrelated", "u");
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
}

static void test_tx_ids_distinct(void **state)
{
	struct xs_store *s = *state;
	uint32_t a, b, c;

	assert_int_equal(xs_transaction_start(s, 0, &a), 0);
	assert_int_equal(xs_transaction_end(s, 0, a, true), 0);
	assert_int_equal(xs_transaction_start(s, 0, &b), 0);
	assert_int_equal(xs_transaction_start(s, 0, &c), 0);
	assert_true(a && b && c && a != b && b != c && a != c);
	assert_int_equal(xs_transaction_end(s, 0, 0, true), -ENOENT);
}

static void test_watch_root_dom0_sees_all(void **state)
{
	struct xs_store *s = *state;

	xs_watch(s, 0, "/", "root");
	ev_is(s, 0, "/", "root");
	W(s, 1, 0, "a", "1");
	W(s, 2, 0, "b", "1");
	xs_rm(s, 1, 0, "a");
	ev_is(s, 0, "/local/domain/1/a", "root");
	ev_is(s, 0, "/local/domain/2/b", "root");
	ev_is(s, 0, "/local/domain/1/a", "root");
	no_ev(s);
}

static void test_watch_two_domains_same_path(void **state)
{
	struct xs_store *s = *state;

	SP(s, 1, "/local/domain/1/name", "n1\0r2");
	xs_watch(s, 1, "name", "mine");
	xs_watch(s, 2, "/local/domain/1/name", "theirs");
	ev_is(s, 1, "name", "mine");
	ev_is(s, 2, "/local/domain/1/name", "theirs");
	W(s, 1, 0, "name", "x");
	ev_is(s, 1, "name", "mine");
	ev_is(s, 2, "/local/domain/1/name", "theirs");
	no_ev(s);
}

/* ---- watches ---- */

static void test_watch_fires_once_on_set(void **state)
{
	struct xs_store *s = *state;

	assert_int_equal(xs_watch(s, 1, "/local/domain/1/control/shutdown", "tok"), 0);
	ev_is(s, 1, "/local/domain/1/control/shutdown", "tok");
	no_ev(s);
	assert_int_equal(xs_watch(s, 1, "/local/domain/1/control/shutdown", "tok"), -EEXIST);
	assert_int_equal(xs_watch(s, 1, "/local/domain/1/control/shutdown", "tok2"), 0);
	ev_is(s, 1, "/local/domain/1/control/shutdown", "tok2");
}

static void test_watch_fires_on_child_write(void **state)
{
	struct xs_store *s = *state;

	xs_watch(s, 0, "/local/domain/1/device", "dev");
	ev_is(s, 0, "/local/domain/1/device", "dev");
	W(s, 1, 0, "device/vbd/51712/state", "1");
	ev_is(s, 0, "/local/domain/1/device/vbd/51712/state", "dev");
	no_ev(s);
	W(s, 1, 0, "other", "1");
	no_ev(s);
}

static void test_watch_rm_fires_descendants(void **state)
{
	struct xs_store *s = *state;

	W(s, 1, 0, "be/x/state", "4");
	xs_watch(s, 1, "/local/domain/1/be/x/state", "deep");
	xs_watch(s, 1, "/local/domain/1/be/never/there", "ghost");
	xs_watch(s, 1, "/local/domain/1", "home");
	ev_is(s, 1, "/local/domain/1/be/x/state", "deep");
	ev_is(s, 1, "/local/domain/1/be/never/there", "ghost");
	ev_is(s, 1, "/local/domain/1", "home");
	assert_int_equal(xs_rm(s, 1, 0, "be"), 0);
	ev_is(s, 1, "/local/domain/1/be/x/state", "deep");
	ev_is(s, 1, "/local/domain/1/be/never/there", "ghost");
	ev_is(s, 1, "/local/domain/1/be", "home");
	no_ev(s);
}

static void test_watch_relative(void **state)
{
	struct xs_store *s = *state;

	assert_int_equal(xs_watch(s, 1, "control/shutdown", "sd"), 0);
	ev_is(s, 1, "control/shutdown", "sd");
	W(s, 0, 0, "/local/domain/1/control/shutdown", "poweroff");
	ev_is(s, 1, "control/shutdown", "sd");
	xs_watch(s, 1, "memory", "mem");
	ev_is(s, 1, "memory", "mem");
	W(s, 0, 0, "/local/domain/1/memory/target", "1");
	ev_is(s, 1, "memory/target", "mem");
	assert_int_equal(xs_unwatch(s, 1, "control/shutdown", "sd"), 0);
	assert_int_equal(xs_unwatch(s, 1, "control/shutdown", "sd"), -ENOENT);
	W(s, 0, 0, "/local/domain/1/control/shutdown", "reboot");
	no_ev(s);
}

static void test_watch_needs_read(void **state)
{
	struct xs_store *s = *state;

	xs_watch(s, 2, "/local/domain/1", "spy");
	ev_is(s, 2, "/local/domain/1", "spy");
	W(s, 1, 0, "private", "p");
	no_ev(s);
}

static void test_watch_tx_fires_at_commit(void **state)
{
	struct xs_store *s = *state;
	uint32_t t;

	xs_watch(s, 0, "/local/domain/1", "w");
	ev_is(s, 0, "/local/domain/1", "w");
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	W(s, 1, t, "a", "1");
	W(s, 1, t, "a", "2");
	no_ev(s);
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
	ev_is(s, 0, "/local/domain/1/a", "w");
	no_ev(s);

	/* aborted or failed: nothing */
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	W(s, 1, t, "b", "1");
	assert_int_equal(xs_transaction_end(s, 1, t, false), 0);
	no_ev(s);
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	W(s, 1, t, "a", "3");
	W(s, 1, 0, "a", "4");
	ev_is(s, 0, "/local/domain/1/a", "w");
	assert_int_equal(xs_transaction_end(s, 1, t, true), -EAGAIN);
	no_ev(s);
}

static void test_watch_refused_op_silent(void **state)
{
	struct xs_store *s = *state;

	xs_watch(s, 0, "/", "all");
	ev_is(s, 0, "/", "all");
	assert_int_equal(W(s, 2, 0, "/local/domain/1/x", "no"), -EACCES);
	no_ev(s);
	xs_set_perms(s, 0, 0, "/local/domain/1/name", "n1\0r2", 6);
	ev_is(s, 0, "/local/domain/1/name", "all");
}

static void test_watch_special(void **state)
{
	struct xs_store *s = *state;

	assert_int_equal(xs_watch(s, 0, "@introduceDomain", "intro"), 0);
	assert_int_equal(xs_watch(s, 0, "@releaseDomain", "rel"), 0);
	ev_is(s, 0, "@introduceDomain", "intro");
	ev_is(s, 0, "@releaseDomain", "rel");
	xs_fire_special(s, "@releaseDomain");
	ev_is(s, 0, "@releaseDomain", "rel");
	no_ev(s);
	W(s, 0, 0, "/local/domain/3/name", "new");
	no_ev(s);
	xs_fire_special(s, "@introduceDomain");
	ev_is(s, 0, "@introduceDomain", "intro");
	assert_int_equal(xs_unwatch(s, 0, "@releaseDomain", "rel"), 0);

	/* a domU may watch, and any @name, but it hears only the first firing */
	assert_int_equal(xs_watch(s, 1, "@releaseDomain", "d1"), 0);
	assert_int_equal(xs_watch(s, 1, "@whatever", "odd"), 0);
	ev_is(s, 1, "@releaseDomain", "d1");
	ev_is(s, 1, "@whatever", "odd");
	xs_fire_special(s, "@releaseDomain");
	xs_fire_special(s, "@whatever");
	no_ev(s);
}

static void test_watch_rm_readable_under_closed_parent(void **state)
{
	struct xs_store *s = *state;

	/* dom2 may read one node in dom1's closed home: it hears of its removal */
	W(s, 1, 0, "shared", "s");
	SP(s, 1, "shared", "n1\0r2");
	xs_watch(s, 2, "/local/domain/1/shared", "w");
	ev_is(s, 2, "/local/domain/1/shared", "w");
	xs_rm(s, 1, 0, "shared");
	ev_is(s, 2, "/local/domain/1/shared", "w");
	W(s, 1, 0, "shared", "back, but closed");
	no_ev(s);
}

static void test_reset_watches(void **state)
{
	struct xs_store *s = *state;

	xs_watch(s, 1, "a", "1");
	xs_watch(s, 1, "b", "2");
	xs_watch(s, 2, "a", "3");
	while (xs_next_event(s, &(struct xs_event){ 0 }))
		;
	xs_reset_watches(s, 1);
	W(s, 1, 0, "a", "x");
	W(s, 2, 0, "a", "x");
	ev_is(s, 2, "a", "3");
	no_ev(s);
}

/*
 * A guest migrating without its help: its connection's watches, as it gave
 * them, re-registered elsewhere fire as before; it cannot move while a
 * transaction or an event of its is pending.
 */
static void test_a_connections_watches_move_to_another_store(void **state)
{
	struct xs_store *s = *state, *t = mk(NULL);
	char buf[256];
	struct xs_event ev;
	uint32_t tx;
	int n;

	assert_int_equal(xs_watch_conn(s, 1, 1, "device", "fe"), 0);
	assert_int_equal(xs_watch_conn(s, 1, 1, "/local/domain/0/backend/vbd/1/51712/state", "be"), 0);
	assert_int_equal(xs_watch_conn(s, 2, 2, "device", "other"), 0);
	assert_true(xs_conn_busy(s, 1)); /* their first events are not taken yet */
	while (xs_next_event(s, &ev))
		;
	assert_false(xs_conn_busy(s, 1));
	assert_int_equal(xs_transaction_start_conn(s, 1, 1, &tx), 0);
	assert_true(xs_conn_busy(s, 1));
	assert_int_equal(xs_transaction_end(s, 1, tx, false), 0);
	assert_false(xs_conn_busy(s, 1));
	n = xs_conn_watches(s, 1, buf, sizeof(buf));
	assert_int_equal(n, (int)sizeof("device\0fe\0/local/domain/0/backend/vbd/1/51712/state\0be"));
	assert_memory_equal(buf, "device\0fe\0/local/domain/0/backend/vbd/1/51712/state\0be", n);
	assert_int_equal(xs_conn_watches(s, 1, buf, 10), -E2BIG);
	/* Registered again in another store, each as given: a relative one stays relative. */
	for (const char *p = buf; p < buf + n; p += strlen(p) + 1) {
		const char *token = p + strlen(p) + 1;

		assert_int_equal(xs_watch_conn(t, 1, 1, p, token), 0);
		p = token;
	}
	ev_is(t, 1, "device", "fe");
	ev_is(t, 1, "/local/domain/0/backend/vbd/1/51712/state", "be");
	W(t, 0, 0, "/local/domain/1/device/vbd", "");
	ev_is(t, 1, "device/vbd", "fe");
	no_ev(t);
	xs_store_free(t);
}

/*
 * dom0's kernel ring and a tool's socket both speak as dom0: each hears only its
 * own watches, and a closing socket takes its watches and transaction with it.
 */
static void test_connections_of_one_domain_are_separate(void **state)
{
	struct xs_store *s = *state;
	const uint32_t ring = 0, tool = XS_CONN_LOCAL + 1;
	struct xs_event ev;
	uint32_t tx;

	assert_int_equal(xs_watch_conn(s, 0, ring, "/backend", "k"), 0);
	assert_int_equal(xs_watch_conn(s, 0, tool, "/backend", "k"), 0); /* same token, other conn */
	assert_int_equal(xs_watch_conn(s, 0, tool, "/backend", "k"), -EEXIST);
	assert_true(xs_next_event(s, &ev));
	assert_int_equal(ev.conn, ring);
	assert_true(xs_next_event(s, &ev));
	assert_int_equal(ev.conn, tool);
	no_ev(s);
	assert_int_equal(xs_transaction_start_conn(s, 0, tool, &tx), 0);
	assert_int_equal(W(s, 0, tx, "/backend/x", "1"), 0);
	W(s, 0, 0, "/backend/y", "1");
	assert_true(xs_next_event(s, &ev));
	assert_int_equal(ev.conn, ring);
	assert_true(xs_next_event(s, &ev));
	assert_int_equal(ev.conn, tool);
	xs_release_conn(s, tool);
	/* The socket's transaction is gone, its write with it; the ring still hears. */
	assert_int_equal(xs_transaction_end(s, 0, tx, true), -ENOENT);
	assert_int_equal(xs_read(s, 0, 0, "/backend/x", NULL, 0), -ENOENT);
	W(s, 0, 0, "/backend/z", "1");
	ev_is(s, 0, "/backend/z", "k");
	no_ev(s);
	assert_int_equal(xs_unwatch_conn(s, 0, tool, "/backend", "k"), -ENOENT);
	assert_int_equal(xs_unwatch_conn(s, 0, ring, "/backend", "k"), 0);
}

/* ---- quotas ---- */

static void test_quota_nodes_exact(void **state)
{
	struct xs_quota q = XS_QUOTA_DEFAULT;
	struct xs_store *s;
	unsigned int base;
	size_t total;

	q.nodes = 10;
	s = mk(&q);
	base = xs_domain_nodes(s, 1); /* /local/domain/1 and name */
	total = xs_node_count(s);
	assert_int_equal(base, 2);
	assert_int_equal(W(s, 1, 0, "q/a/b/c", "v"), 0); /* 4 new */
	assert_int_equal(W(s, 1, 0, "q/d", "v"), 0);
	assert_int_equal(W(s, 1, 0, "q/e", "v"), 0);
	assert_int_equal(W(s, 1, 0, "q/f", "v"), 0);
	assert_int_equal(xs_domain_nodes(s, 1), 9);
	assert_int_equal(W(s, 1, 0, "q/g/h", "v"), -ENOSPC);
	assert_int_equal(xs_domain_nodes(s, 1), 9);
	assert_int_equal(W(s, 1, 0, "q/g", "v"), 0);
	assert_int_equal(W(s, 1, 0, "q/i", "v"), -ENOSPC);
	assert_int_equal(W(s, 1, 0, "q/g", "overwrite is free"), 0);
	assert_int_equal(W(s, 0, 0, "/dom0/is/exempt/a/b/c/d/e/f/g/h/i/j/k", "v"), 0);
	assert_int_equal(xs_rm(s, 1, 0, "q"), 0);
	assert_int_equal(xs_domain_nodes(s, 1), base);
	assert_int_equal(xs_rm(s, 0, 0, "/dom0"), 0);
	assert_int_equal(xs_node_count(s), total);
	xs_store_free(s);
}

static void test_quota_nodes_in_tx(void **state)
{
	struct xs_quota q = XS_QUOTA_DEFAULT;
	struct xs_store *s;
	uint32_t t;

	q.nodes = 5;
	s = mk(&q);
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(W(s, 1, t, "a/b", "v"), 0);
	assert_int_equal(W(s, 1, t, "c/d", "v"), -ENOSPC);
	assert_int_equal(xs_rm(s, 1, t, "a"), 0);
	assert_int_equal(W(s, 1, t, "c/d", "v"), 0);
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
	assert_int_equal(xs_domain_nodes(s, 1), 4);
	xs_store_free(s);
}

static void test_quota_value(void **state)
{
	struct xs_store *s = *state;
	static char big[XS_VALUE_MAX + 1];

	assert_int_equal(xs_write(s, 1, 0, "v", big, 2048), 0);
	assert_int_equal(xs_write(s, 1, 0, "v", big, 2049), -ENOSPC); /* Xen's quota-maxsize error */
	assert_int_equal(xs_write(s, 0, 0, "/v", big, XS_VALUE_MAX), 0);
	assert_int_equal(xs_write(s, 0, 0, "/v", big, XS_VALUE_MAX + 1), -E2BIG);
}

/* Xen counts the watches before adding one (xenstored_watch.c): 128 + 1, then E2BIG. */
static void test_quota_watches(void **state)
{
	struct xs_store *s = *state;
	char tok[16];

	for (int i = 0; i < 129; i++) {
		snprintf(tok, sizeof(tok), "%d", i);
		assert_int_equal(xs_watch(s, 1, "name", tok), 0);
	}
	assert_int_equal(xs_watch(s, 1, "name", "one-more"), -E2BIG); /* Xen's watch quota error */
	assert_int_equal(xs_unwatch(s, 1, "name", "7"), 0);
	assert_int_equal(xs_watch(s, 1, "name", "one-more"), 0);
	assert_int_equal(xs_watch(s, 0, "name", "dom0"), 0);
}

/* Likewise the transactions (xenstored_transaction.c): 10 + 1 open, then ENOSPC. */
static void test_quota_transactions(void **state)
{
	struct xs_store *s = *state;
	uint32_t t[12];

	for (int i = 0; i < 11; i++)
		assert_int_equal(xs_transaction_start(s, 1, &t[i]), 0);
	assert_int_equal(xs_transaction_start(s, 1, &t[11]), -ENOSPC);
	assert_int_equal(xs_transaction_start(s, 2, &t[11]), 0);
	assert_true(xs_transaction_open(s, 1, t[3]));
	assert_false(xs_transaction_open(s, 2, t[3]));
	assert_int_equal(xs_transaction_end(s, 1, t[3], false), 0);
	assert_false(xs_transaction_open(s, 1, t[3]));
	assert_int_equal(xs_transaction_start(s, 1, &t[3]), 0);
}

/* What a guest's transaction touched is remembered until it ends: 1024 nodes at most. */
static void test_quota_transaction_nodes(void **state)
{
	struct xs_store *s = *state;
	char p[64], buf[8];
	uint32_t t, t0;
	int i;

	assert_int_equal(W(s, 0, 0, "/pub", ""), 0);
	assert_int_equal(SP(s, 0, "/pub", "n0\0r1"), 0);
	for (i = 0; i < 1100; i++) {
		snprintf(p, sizeof(p), "/pub/k%d", i);
		assert_int_equal(W(s, 0, 0, p, "v"), 0);
	}
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	for (i = 0; i < 1024; i++) {
		snprintf(p, sizeof(p), "/pub/k%d", i);
		assert_int_equal(xs_read(s, 1, t, p, buf, sizeof(buf)), 1);
	}
	assert_int_equal(xs_read(s, 1, t, "/pub/k1024", buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(xs_read(s, 1, t, "/pub/k5", buf, sizeof(buf)), 1); /* known already */
	/* outside the transaction, and in another one, it may go on */
	assert_int_equal(xs_read(s, 1, 0, "/pub/k1024", buf, sizeof(buf)), 1);
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0); /* reads only: it commits */
	/* dom0 is not held to it */
	assert_int_equal(xs_transaction_start(s, 0, &t0), 0);
	for (i = 0; i < 1100; i++) {
		snprintf(p, sizeof(p), "/pub/k%d", i);
		assert_int_equal(xs_read(s, 0, t0, p, buf, sizeof(buf)), 1);
	}
	assert_int_equal(xs_transaction_end(s, 0, t0, true), 0);
}
/* A write the limit stops half-way leaves its transaction unable to commit (ENOMEM, as Xen). */
static void test_quota_transaction_nodes_half_done(void **state)
{
	struct xs_quota q = XS_QUOTA_DEFAULT;
	struct xs_store *s;
	size_t nodes;
	char buf[8];
	uint32_t t;

	q.trans_nodes = 6;
	s = mk(&q);
	nodes = xs_node_count(s);
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(W(s, 1, t, "a", "1"), 0);
	/* a, its parent, and the new levels b..f: the limit falls inside create */
	assert_int_equal(W(s, 1, t, "b/c/d/e/f", "1"), -ENOSPC);
	assert_int_equal(xs_transaction_end(s, 1, t, true), -ENOMEM);
	assert_int_equal(xs_node_count(s), nodes);
	assert_int_equal(xs_read(s, 1, 0, "a", buf, sizeof(buf)), -ENOENT);
	/* refused before it changed anything: the transaction may still commit */
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(W(s, 1, t, "a", "1"), 0);
	assert_int_equal(xs_read(s, 1, t, "x1", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
	xs_store_free(s);
}


/*
 * Memory: everything a guest makes the daemon hold counts against one quota
 * (2.5 MiB, Xen's hard quota-memory-per-domain). Ten transactions of nearly
 * a thousand new 2 KiB nodes each passed every other quota, 20 MB.
 */
static void test_quota_memory_transactions(void **state)
{
	struct xs_store *s = *state;
	static char big[2048];
	size_t base = xs_domain_memory(s, 1);
	uint32_t t[10];
	char p[64];
	int rc = 0, writes = 0;

	for (int i = 0; i < 10; i++)
		assert_int_equal(xs_transaction_start(s, 1, &t[i]), 0);
	for (int i = 0; i < 10 && !rc; i++) {
		for (int k = 0; k < 990 && !rc; k++, writes++) {
			snprintf(p, sizeof(p), "t%d/k%d", i, k);
			rc = xs_write(s, 1, t[i], p, big, sizeof(big));
		}
	}
	assert_int_equal(rc, -ENOMEM);
	assert_true(writes > 1000 && writes < 1300);
	assert_true(xs_domain_memory(s, 1) <= 2560 * 1024 + 8192);
	/* the refused write created t.../kN's entry and failed there: that transaction is done for */
	for (int i = 0; i < 10; i++)
		xs_transaction_end(s, 1, t[i], false);
	assert_int_equal(xs_domain_memory(s, 1), base);
	/* dom0 is not held to it */
	for (int k = 0; k < 1500; k++) {
		snprintf(p, sizeof(p), "/dom0big/k%d", k);
		assert_int_equal(xs_write(s, 0, 0, p, big, sizeof(big)), 0);
	}
	assert_int_equal(xs_rm(s, 0, 0, "/dom0big"), 0);
}

/* Outside a transaction: a write that would take the guest past it is refused; rm and reads are not. */
static void test_quota_memory_tree(void **state)
{
	struct xs_quota q = XS_QUOTA_DEFAULT;
	static char big[2048];
	struct xs_store *s;
	char p[64], buf[8];
	int k, rc = 0;

	q.memory = 64 * 1024;
	s = mk(&q);
	for (k = 0; k < 100 && !rc; k++) {
		snprintf(p, sizeof(p), "n%d", k);
		rc = xs_write(s, 1, 0, p, big, sizeof(big));
	}
	assert_int_equal(rc, -ENOMEM);
	assert_true(k > 20);
	assert_true(xs_domain_memory(s, 1) <= q.memory);
	snprintf(p, sizeof(p), "n%d", k - 1);
	assert_int_equal(xs_read(s, 1, 0, p, buf, sizeof(buf)), -ENOENT); /* not half-made */
	assert_int_equal(W(s, 1, 0, "n0", "small"), 0); /* shrinking is fine */
	assert_int_equal(xs_read(s, 1, 0, "n1", big, sizeof(big)), sizeof(big));
	assert_int_equal(xs_rm(s, 1, 0, "n2"), 0);
	assert_int_equal(xs_write(s, 1, 0, "n2", big, sizeof(big)), 0);
	xs_store_free(s);
}

/* Watches count too: 128 of them with 4 KiB tokens are half a megabyte. */
static void test_quota_memory_watches(void **state)
{
	struct xs_quota q = XS_QUOTA_DEFAULT;
	static char tok[XS_TOKEN_MAX + 1];
	struct xs_store *s;
	int i, rc = 0;

	q.memory = 64 * 1024;
	s = mk(&q);
	memset(tok, 'x', XS_TOKEN_MAX);
	for (i = 0; i < 128 && !rc; i++) {
		tok[0] = (char)('A' + i % 26);
		tok[1] = (char)('A' + i / 26);
		rc = xs_watch(s, 1, "name", tok);
	}
	assert_int_equal(rc, -ENOMEM);
	assert_true(i > 8 && i < 20);
	assert_true(xs_domain_memory(s, 1) <= q.memory);
	assert_int_equal(xs_watch(s, 0, "/", tok), 0); /* dom0's are not counted against it */
	xs_store_free(s);
}

/* Events queued for a guest count, and what would not fit is dropped (and counted). */
static void test_quota_memory_events(void **state)
{
	struct xs_quota q = XS_QUOTA_DEFAULT;
	static char tok[2048];
	struct xs_event ev;
	struct xs_store *s;
	size_t base;
	uint32_t t;
	char p[64];
	int n = 0;

	q.memory = 64 * 1024;
	s = mk(&q);
	memset(tok, 'y', sizeof(tok) - 1);
	assert_int_equal(xs_watch(s, 1, "w", tok), 0);
	while (xs_next_event(s, &ev))
		;
	base = xs_domain_memory(s, 1);
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	for (int k = 0; k < 200; k++) {
		snprintf(p, sizeof(p), "w/k%d", k);
		assert_int_equal(W(s, 1, t, p, "v"), 0);
	}
	assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
	assert_true(xs_domain_memory(s, 1) <= q.memory);
	while (xs_next_event(s, &ev))
		n++;
	assert_true(n > 5 && n < 200);
	assert_int_equal(xs_domain_events_dropped(s, 1), 200 - n);
	assert_int_equal(xs_rm(s, 1, 0, "w"), 0);
	while (xs_next_event(s, &ev))
		;
	assert_int_equal(xs_domain_memory(s, 1), base);
	xs_store_free(s);
}

/* Whatever comes and goes, the count comes back to where it was. */
static void test_quota_memory_balance(void **state)
{
	struct xs_store *s = *state;
	size_t m1 = xs_domain_memory(s, 1), m0 = xs_domain_memory(s, 0);
	struct xs_event ev;
	uint32_t t, t2;

	assert_true(m1 > 0);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(xs_watch(s, 1, "a", "tok"), 0);
		assert_int_equal(xs_watch(s, 0, "/local/domain/1/a", "dom0"), 0);
		assert_int_equal(xs_transaction_start(s, 1, &t), 0);
		assert_int_equal(W(s, 1, t, "a/b/c", "1"), 0);
		assert_int_equal(W(s, 1, t, "a/b/c", "longer value"), 0);
		assert_int_equal(xs_mkdir(s, 1, t, "a/d"), 0);
		assert_int_equal(SP(s, 1, "name", "n1\0r2"), 0);
		assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
		assert_int_equal(xs_transaction_start(s, 1, &t2), 0);
		assert_int_equal(xs_rm(s, 1, t2, "a/b"), 0);
		assert_int_equal(W(s, 1, t2, "a/e", "2"), 0);
		assert_int_equal(xs_transaction_end(s, 1, t2, round == 1), 0);
		assert_int_equal(xs_rm(s, 1, 0, "a"), 0);
		assert_int_equal(SP(s, 1, "name", "n1"), 0);
		assert_int_equal(xs_unwatch(s, 1, "a", "tok"), 0);
		assert_int_equal(xs_unwatch(s, 0, "/local/domain/1/a", "dom0"), 0);
		while (xs_next_event(s, &ev))
			;
		assert_int_equal(xs_domain_memory(s, 1), m1);
		assert_int_equal(xs_domain_memory(s, 0), m0);
	}
	/* a domain going away gives back its watches, transactions and events; its nodes are dom0's */
	assert_int_equal(xs_watch(s, 1, "name", "t"), 0);
	assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	assert_int_equal(W(s, 1, t, "x", "1"), 0);
	xs_release_domain(s, 1);
	assert_int_equal(xs_domain_memory(s, 1), 0);
	assert_int_equal(xs_domain_memory(s, 0), m0 + m1);
}

/* ---- domains ---- */

static void test_release_domain(void **state)
{
	struct xs_store *s = *state;
	size_t nodes = xs_node_count(s);
	uint32_t t, t2;
	char buf[8];

	for (int i = 0; i < 10; i++)
		assert_int_equal(xs_transaction_start(s, 1, &t), 0);
	W(s, 1, t, "pending", "1");
	xs_watch(s, 1, "name", "w");
	xs_watch(s, 2, "/local/domain/2/name", "keep");
	xs_release_domain(s, 1);
	ev_is(s, 2, "/local/domain/2/name", "keep"); /* dom1's queued event went too */
	no_ev(s);
	assert_int_equal(xs_transaction_end(s, 1, t, true), -ENOENT);
	W(s, 1, 0, "name", "again");
	no_ev(s);
	assert_int_equal(xs_read(s, 0, 0, "/local/domain/1/pending", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(xs_node_count(s), nodes);
	/* quotas were given back */
	assert_int_equal(xs_transaction_start(s, 1, &t2), 0);
	assert_int_equal(xs_watch(s, 1, "name", "w"), 0);
	/* the toolstack removes the home; the count is where it started */
	assert_int_equal(xs_rm(s, 0, 0, "/local/domain/1"), 0);
	assert_int_equal(xs_domain_nodes(s, 1), 0);
}

/*
 * A released domain's id leaves the tree: the next domain to get the id
 * (Domus reuses them, as Xen does) owns none of its nodes and is named in
 * no permission. What it owned is dom0's now (Xen's --keep-orphans).
 */
static void test_release_forgets_the_domid(void **state)
{
	struct xs_store *s = *state;
	unsigned int dom0_nodes = xs_domain_nodes(s, 0);
	char buf[64];
	uint32_t t;
	int n;

	assert_int_equal(W(s, 1, 0, "mine/deep", "1"), 0); /* dom1's own, 2 more */
	assert_int_equal(W(s, 0, 0, "/backend/x", "for 1 and 2"), 0);
	assert_int_equal(SP(s, 0, "/backend/x", "n0\0r1\0w2\0b1"), 0);
	assert_int_equal(SP(s, 2, "/local/domain/2/name", "n2\0b1"), 0);
	/* dom0's toolstack, meanwhile, is writing a record for dom1 in a transaction */
	assert_int_equal(xs_transaction_start(s, 0, &t), 0);
	assert_int_equal(W(s, 0, t, "/backend/y", "pending"), 0);
	assert_int_equal(xs_set_perms(s, 0, t, "/backend/y", "n1\0r2", 6), 0);
	assert_int_equal(xs_domain_nodes(s, 1), 4);

	xs_release_domain(s, 1);

	assert_int_equal(xs_domain_nodes(s, 1), 0);
	assert_int_equal(xs_domain_memory(s, 1), 0);
	assert_int_equal(xs_domain_nodes(s, 0), dom0_nodes + 2 + 4);
	assert_int_equal(xs_transaction_end(s, 0, t, true), 0);
	assert_int_equal(xs_domain_nodes(s, 0), dom0_nodes + 2 + 4 + 1);
	n = xs_get_perms(s, 0, 0, "/local/domain/1/mine/deep", buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "n0", 3);
	n = xs_get_perms(s, 0, 0, "/backend/x", buf, sizeof(buf));
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "n0\0w2", 6);
	n = xs_get_perms(s, 0, 0, "/local/domain/2/name", buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "n2", 3);
	n = xs_get_perms(s, 0, 0, "/backend/y", buf, sizeof(buf));
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "n0\0r2", 6);
	/* the next dom1 may touch none of it */
	assert_int_equal(xs_read(s, 1, 0, "/backend/x", buf, sizeof(buf)), -EACCES);
	assert_int_equal(xs_read(s, 1, 0, "/backend/y", buf, sizeof(buf)), -EACCES);
	assert_int_equal(xs_read(s, 1, 0, "/local/domain/2/name", buf, sizeof(buf)), -EACCES);
	assert_int_equal(xs_read(s, 1, 0, "mine/deep", buf, sizeof(buf)), -EACCES);
	assert_int_equal(W(s, 1, 0, "mine/deep", "2"), -EACCES);
	assert_int_equal(xs_rm(s, 1, 0, "mine"), -EACCES);
	/* and dom2 keeps what it had */
	assert_int_equal(W(s, 2, 0, "/backend/x", "still"), 0);
	rd(s, 2, 0, "name", "guest");
	/* the toolstack gives the new dom1 its home as at creation: it is dom1's alone */
	assert_int_equal(xs_rm(s, 0, 0, "/local/domain/1"), 0);
	assert_int_equal(xs_mkdir(s, 0, 0, "/local/domain/1"), 0);
	assert_int_equal(SP(s, 0, "/local/domain/1", "n1"), 0);
	assert_int_equal(W(s, 1, 0, "fresh", "1"), 0);
	assert_int_equal(xs_domain_nodes(s, 1), 2);
}

static void test_soak(void **state)
{
	struct xs_store *s = *state;
	size_t nodes = xs_node_count(s);
	char p[64];
	uint32_t t;

	for (int round = 0; round < 50; round++) {
		assert_int_equal(xs_transaction_start(s, 1, &t), 0);
		for (int i = 0; i < 20; i++) {
			snprintf(p, sizeof(p), "soak/%d/k%d", round % 3, i);
			assert_int_equal(W(s, 1, t, p, "v"), 0);
		}
		assert_int_equal(xs_transaction_end(s, 1, t, true), 0);
		assert_int_equal(xs_rm(s, 1, 0, "soak"), 0);
		assert_int_equal(xs_node_count(s), nodes);
		assert_int_equal(xs_domain_nodes(s, 1), 2);
	}
}


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Every node a transaction touches, and every node of the tree, is found and
 * inserted in O(log n), and what a transaction records for its watches is
 * found without a search: a transaction of dom0 writing 50,000 nodes, its
 * commit and a recursive rm of them take a second or two here (ASan).
 * With sorted arrays (a memmove per insert) and a list of changes searched
 * on each write, the same took minutes and stalled the daemon for every
 * guest meanwhile.
 */
static void test_big_transaction_is_not_quadratic(void **state)
{
	struct xs_store *s = *state;
	size_t nodes = xs_node_count(s);
	double t0 = now_s();
	char p[64];
	uint32_t t;

	assert_int_equal(xs_transaction_start(s, 0, &t), 0);
	for (int i = 0; i < 50000; i++) {
		/* in an order that scatters inserts across the sorted order */
		snprintf(p, sizeof(p), "/big/%d", (int)((i * 7919u) % 50000));
		assert_int_equal(W(s, 0, t, p, "v"), 0);
	}
	assert_int_equal(xs_transaction_end(s, 0, t, true), 0);
	assert_int_equal(xs_node_count(s), nodes + 50001);
	assert_int_equal(xs_rm(s, 0, 0, "/big"), 0);
	assert_int_equal(xs_node_count(s), nodes);
	assert_true(now_s() - t0 < 15.0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_paths),
		T(test_path_lengths),
		T(test_special_paths_are_not_nodes),
		T(test_write_creates_parents),
		T(test_binary_value),
		T(test_read_missing),
		T(test_mkdir_existing_ok),
		T(test_directory_sorted),
		T(test_rm_recursive),
		T(test_perm_table),
		T(test_perm_grants),
		T(test_set_perms_refused),
		T(test_set_perms_many),
		T(test_perm_text),
		T(test_dom0_create_inherits),
		T(test_tx_own_writes_visible),
		T(test_tx_abort_discards),
		T(test_tx_conflict),
		T(test_tx_conflict_on_delete_and_create),
		T(test_tx_directory_conflict),
		T(test_tx_disjoint_both_commit),
		T(test_tx_rm_then_recreate),
		T(test_tx_absent_reads_are_not_kept),
		T(test_tx_conflict_on_absent_read),
		T(test_tx_foreign_id),
		T(test_tx_read_only_commits),
		T(test_tx_ids_distinct),
		T(test_watch_root_dom0_sees_all),
		T(test_watch_two_domains_same_path),
		T(test_watch_fires_once_on_set),
		T(test_watch_fires_on_child_write),
		T(test_watch_rm_fires_descendants),
		T(test_watch_relative),
		T(test_watch_needs_read),
		T(test_watch_tx_fires_at_commit),
		T(test_watch_refused_op_silent),
		T(test_watch_special),
		T(test_watch_rm_readable_under_closed_parent),
		T(test_reset_watches),
		T(test_connections_of_one_domain_are_separate),
		T(test_quota_nodes_exact),
		T(test_quota_nodes_in_tx),
		T(test_quota_value),
		T(test_quota_watches),
		T(test_quota_transactions),
		T(test_quota_transaction_nodes),
		T(test_quota_transaction_nodes_half_done),
		T(test_quota_memory_transactions),
		T(test_quota_memory_tree),
		T(test_quota_memory_watches),
		T(test_quota_memory_events),
		T(test_quota_memory_balance),
		T(test_release_domain),
		T(test_release_forgets_the_domid),
		T(test_soak),
		T(test_big_transaction_is_not_quadratic),
		T(test_a_connections_watches_move_to_another_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
