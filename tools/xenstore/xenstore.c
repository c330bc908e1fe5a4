/* SPDX-License-Identifier: MIT */
/*
 * The XenStore command-line tools, named as Xen's and called by that name
 * (one program, linked under each name):
 *   xenstore-read PATH...             each value on a line
 *   xenstore-write PATH VALUE...      pairs
 *   xenstore-rm PATH...               the nodes and all below them
 *   xenstore-ls [-f] [PATH]           the tree below PATH with values (-f: full paths)
 *   xenstore-list PATH                the children's names
 *   xenstore-exists PATH              exit status only
 *   xenstore-chmod PATH PERM...       Xen's permissions: n0 r5 w3 b1 (owner first)
 *   xenstore-watch [-n N] PATH...     prints each event's path; -n: stop after N
 * Failures print "xenstore-X: PATH: reason" and exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore/client.h"

static const char *prog;
static char val[XS_PAYLOAD_MAX + 1];

static int fail(const char *path, long rc)
{
	fprintf(stderr, "%s: %s: %s\n", prog, path, strerror((int)-rc));
	return 1;
}

/* Xen's xenstore-ls quoting: printable ASCII as is, the rest as \ooo or C escapes. */
static void print_value(const char *v, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch == '\\' || ch == '"')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\%03o", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static int ls(struct xsc *h, const char *path, int depth, int full)
{
	char *names = malloc(XS_PAYLOAD_MAX + 1);
	long n = xsc_call(h, XS_DIRECTORY, 0, &path, 1, 0, names, XS_PAYLOAD_MAX + 1);
	int rc = 0;

	if (!names)
		return -ENOMEM;
	if (n < 0) {
		free(names);
		return (int)n;
	}
	for (char *name = names; name < names + n; name += strlen(name) + 1) {
		char child[XSC_PATH_MAX];
		long len;

		snprintf(child, sizeof(child), "%s%s%s", path, strcmp(path, "/") ? "/" : "", name);
		len = xsc_read(h, 0, child, val, sizeof(val));
		if (full)
			printf("%s = ", child);
		else
			printf("%*s%s = ", depth, "", name);
		if (len >= 0)
			print_value(val, (size_t)len);
		else
			printf("(%s)", strerror((int)-len)); /* listed but unreadable to us */
		putchar('\n');
		ls(h, child, depth + 1, full);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct xsc h;
	const char *base = strrchr(argv[0], '/');
	int rc, i = 1;

	prog = base ? base + 1 : argv[0];
	rc = xsc_open(&h);
	if (rc) {
		fprintf(stderr, "%s: no xenstored (%s) and no /dev/xen/xenbus: %s\n", prog, XS_SOCKET,
			strerror(-rc));
		return 1;
	}
	if (!strcmp(prog, "xenstore-read") && argc > 1) {
		for (; i < argc; i++) {
			long n = xsc_read(&h, 0, argv[i], val, sizeof(val));

			if (n < 0)
				return fail(argv[i], n);
			fwrite(val, 1, (size_t)n, stdout);
			putchar('\n');
		}
		return 0;
	}
	if (!strcmp(prog, "xenstore-write") && argc > 2 && argc % 2 == 1) {
		for (; i < argc; i += 2)
			if ((rc = xsc_write(&h, 0, argv[i], argv[i + 1])))
				return fail(argv[i], rc);
		return 0;
	}
	if (!strcmp(prog, "xenstore-rm") && argc > 1) {
		for (; i < argc; i++)
			if ((rc = xsc_rm(&h, 0, argv[i])))
				return fail(argv[i], rc);
		return 0;
	}
	if (!strcmp(prog, "xenstore-exists") && argc == 2)
		return xsc_read(&h, 0, argv[1], val, sizeof(val)) < 0;
	if (!strcmp(prog, "xenstore-list") && argc == 2) {
		long n = xsc_call(&h, XS_DIRECTORY, 0, (const char *const *)&argv[1], 1, 0, val,
				  sizeof(val));

		if (n < 0)
			return fail(argv[1], n);
		for (char *name = val; name < val + n; name += strlen(name) + 1)
			puts(name);
		return 0;
	}
	if (!strcmp(prog, "xenstore-ls")) {
		int full = argc > 1 && !strcmp(argv[1], "-f");
		const char *path = argc > 1 + full ? argv[1 + full] : "/";

		rc = ls(&h, path, 0, full);
		return rc ? fail(path, rc) : 0;
	}
	if (!strcmp(prog, "xenstore-chmod") && argc > 2) {
		rc = xsc_set_perms(&h, 0, argv[1], (const char *const *)argv + 2, argc - 2);
		return rc ? fail(argv[1], rc) : 0;
	}
	if (!strcmp(prog, "xenstore-watch") && argc > 1) {
		long count = -1;
		char path[XSC_PATH_MAX], token[64];

		if (!strcmp(argv[1], "-n") && argc > 3) {
			count = strtol(argv[2], NULL, 10);
			i = 3;
		}
		for (; i < argc; i++) {
			const char *args[2] = { argv[i], "xenstore-watch" };
			long n = xsc_call(&h, XS_WATCH, 0, args, 2, 0, NULL, 0);

			if (n < 0)
				return fail(argv[i], n);
		}
		for (; count != 0; count--) {
			rc = xsc_next_event(&h, path, sizeof(path), token, sizeof(token), -1);
			if (rc)
				return fail("watch", rc);
			puts(path);
			fflush(stdout);
		}
		return 0;
	}
	fprintf(stderr, "usage: xenstore-read PATH... | xenstore-write PATH VALUE... | "
			"xenstore-rm PATH... | xenstore-ls [-f] [PATH] | xenstore-list PATH |\n"
			"       xenstore-exists PATH | xenstore-chmod PATH PERM... | "
			"xenstore-watch [-n N] PATH...\n");
	return 2;
}
