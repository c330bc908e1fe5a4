/* SPDX-License-Identifier: MIT */
/*
 * domus-selftest: checks, from dom0 user space, that Linux's own Xen devices
 * work on the hypervisor below. Each prints what it did and exits non-zero on
 * a mismatch.
 *   evtchn   bind a port to another of dom0's own and signal it (/dev/xen/evtchn)
 *   gnttab   grant a page (/dev/xen/gntalloc), map it back (/dev/xen/gntdev),
 *            and see each side's writes on the other
 *   version  xen_version through /dev/xen/privcmd
 *   hostile  a table of hypercalls with bad arguments: each must fail cleanly
 *   bench-hypercall [BATCHES]  time the null hypercall round trip (for bench/)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef uint16_t domid_t;
typedef uint32_t grant_ref_t;
#include <xen/evtchn.h>
#include <xen/gntalloc.h>
#include <xen/gntdev.h>

#include "libdomus.h"
#include "savefile.h"
#include "hostile.h"

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "selftest: %s: %s\n", path, strerror(errno));
	return fd;
}

/* Waits up to 5 s for one event; returns its port (unmasked again), or -1. */
static int next_event(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint32_t port;

	if (poll(&pfd, 1, timeout_ms) != 1 || read(fd, &port, sizeof(port)) != sizeof(port))
		return -1;
	/* Writing the port back unmasks it for the next round. */
	if (write(fd, &port, sizeof(port)) != sizeof(port))
		return -1;
	return (int)port;
}

static int notify(int fd, int port)
{
	struct ioctl_evtchn_notify n = { .port = (uint32_t)port };

	if (ioctl(fd, IOCTL_EVTCHN_NOTIFY, &n) < 0) {
		perror("selftest: evtchn: notify");
		return -1;
	}
	return 0;
}

static int test_evtchn(void)
{
	struct ioctl_evtchn_bind_unbound_port unbound = { .remote_domain = 0 };
	struct ioctl_evtchn_bind_interdomain inter = { .remote_domain = 0 };
	int fd = open_dev("/dev/xen/evtchn"), a, b, got;

	if (fd < 0)
		return 1;
	a = ioctl(fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &unbound);
	if (a < 0) {
		perror("selftest: evtchn: bind unbound port");
		return 1;
	}
	inter.remote_port = (uint32_t)a;
	b = ioctl(fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &inter);
	if (b < 0) {
		perror("selftest: evtchn: bind interdomain");
		return 1;
	}
	/* As Xen, binding leaves the new port pending once (sends to the unbound end were lost). */
	got = next_event(fd, 2000);
	if (got != b) {
		fprintf(stderr, "selftest: evtchn: after binding, event on %d, expected %d\n", got, b);
		return 1;
	}
	for (int round = 0; round < 3; round++) {
		int from = round % 2 ? a : b, to = round % 2 ? b : a;

		if (notify(fd, from))
			return 1;
		got = next_event(fd, 5000);
		if (got != to) {
			fprintf(stderr, "selftest: evtchn: sent on %d, got %d, expected %d\n", from, got,
				to);
			return 1;
		}
	}
	printf("evtchn: ports %d <-> %d bound in dom0; 3 notifications delivered, both ways\n", a, b);
	close(fd);
	return 0;
}

static int test_gnttab(void)
{
	struct ioctl_gntalloc_alloc_gref alloc = { .domid = 0, .flags = GNTALLOC_FLAG_WRITABLE,
						   .count = 1 };
	struct ioctl_gntdev_map_grant_ref map = { .count = 1 };
	struct ioctl_gntdev_unmap_grant_ref unmap = { .count = 1 };
	struct ioctl_gntalloc_dealloc_gref dealloc = { .count = 1 };
	int ga = open_dev("/dev/xen/gntalloc"), gd = open_dev("/dev/xen/gntdev");
	long ps = sysconf(_SC_PAGESIZE);
	unsigned char *mine, *theirs;
	int bad = 0;

	if (ga < 0 || gd < 0)
		return 1;
	if (ioctl(ga, IOCTL_GNTALLOC_ALLOC_GREF, &alloc) < 0) {
		perror("selftest: gntalloc: alloc");
		return 1;
	}
	mine = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, ga, alloc.index);
	if (mine == MAP_FAILED) {
		perror("selftest: gntalloc: mmap");
		return 1;
	}
	for (long i = 0; i < ps; i++)
		mine[i] = (unsigned char)(i * 7 + 3);
	map.refs[0].domid = 0;
	map.refs[0].ref = alloc.gref_ids[0];
	if (ioctl(gd, IOCTL_GNTDEV_MAP_GRANT_REF, &map) < 0) {
		perror("selftest: gntdev: map");
		return 1;
	}
	theirs = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, gd, map.index);
	if (theirs == MAP_FAILED) {
		perror("selftest: gntdev: mmap (map_grant_ref refused?)");
		return 1;
	}
	bad = memcmp(mine, theirs, ps) != 0;
	theirs[100] = 0xa5;
	theirs[ps - 1] = 0x5a;
	bad |= mine[100] != 0xa5 || mine[ps - 1] != 0x5a;
	printf("gnttab: grant ref %u of dom0 mapped back through gntdev: %s\n",
	       alloc.gref_ids[0], bad ? "CONTENTS DIFFER" : "same bytes both ways");
	munmap(theirs, ps);
	unmap.index = map.index;
	if (ioctl(gd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) < 0) {
		perror("selftest: gntdev: unmap");
		bad = 1;
	}
	munmap(mine, ps);
	dealloc.index = alloc.index;
	if (ioctl(ga, IOCTL_GNTALLOC_DEALLOC_GREF, &dealloc) < 0) {
		perror("selftest: gntalloc: dealloc");
		bad = 1;
	}
	close(gd);
	close(ga);
	return bad;
}

static int test_version(void)
{
	long v = domus_hypercall(17 /* xen_version */, 0, 0, 0, 0, 0);

	if (v < 0) {
		fprintf(stderr, "selftest: xen_version: %s\n", strerror((int)-v));
		return 1;
	}
	printf("xen_version via privcmd: %ld.%ld\n", v >> 16, v & 0xffff);
	return v == ((4 << 16) | 17) ? 0 : 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/*
 * The null hypercall round trip from user space: xen_version(XENVER_version)
 * through privcmd, the cheapest call every Xen answers at once. Timed in
 * batches of 100 so the clock's own cost is spread; prints per-call figures.
 */
static int bench_hypercall(int batches)
{
	uint64_t *per_call = calloc((size_t)batches, sizeof(*per_call));

	if (!per_call || batches < 1 || domus_open())
		return 1;
	for (int i = 0; i < 100; i++) /* warm up caches and TLBs */
		domus_hypercall(17, 0, 0, 0, 0, 0);
	for (int b = 0; b < batches; b++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < 100; i++)
			if (domus_hypercall(17, 0, 0, 0, 0, 0) < 0)
				return 1;
		per_call[b] = (now_ns() - t0) / 100;
	}
	qsort(per_call, (size_t)batches, sizeof(*per_call), cmp_u64);
	printf("BENCH privcmd_null_hypercall_ns median=%llu min=%llu n=%d\n",
	       (unsigned long long)per_call[batches / 2], (unsigned long long)per_call[0],
	       batches * 100);
	free(per_call);
	return 0;
}

/*
 * Copies a save file with every vCPU's PSTATE replaced, checksums made
 * right: a file that passes every check of the framing and asks Domus for a
 * vCPU state no guest can have (EL2), which restore must refuse.
 */
/*
 * A good save file rewritten into a well-formed one Domus or the toolstack
 * must refuse all the same: each vCPU's PSTATE set to *pstate, or (node) its
 * XenStore record made one node at that path, owned by the guest.
 */
static int save_rewrite(const char *in, const char *out, const uint64_t *pstate, const char *node)
{
	struct save_reader r;
	struct save_writer w;
	struct save_record rec;
	char err[256], xs[512];
	int more;

	if (save_reader_open(&r, in, err, sizeof(err)) || save_writer_open(&w, out, err, sizeof(err))) {
		fprintf(stderr, "save-rewrite: %s\n", err);
		return 1;
	}
	while ((more = save_reader_next(&r, &rec, err, sizeof(err))) > 0) {
		struct domus_vcpu_state s;
		struct iovec iov = { (void *)rec.body, rec.length };

		if (rec.type == SAVE_VCPU && pstate) {
			memcpy(&s, rec.body, sizeof(s));
			s.pstate = *pstate;
			iov = (struct iovec){ &s, sizeof(s) };
		}
		if (rec.type == SAVE_XENSTORE && node) {
			struct save_xs x;
			struct save_xs_entry e = { .path_len = (uint16_t)strlen(node), .value_len = 1 };
			char perms[16];
			size_t at = sizeof(x) + sizeof(e);

			memcpy(&x, rec.body, sizeof(x));
			x.count = 1;
			e.perms_len = (uint16_t)snprintf(perms, sizeof(perms), "n%u", x.domid) + 1;
			if (at + e.path_len + 1 + e.perms_len > sizeof(xs)) {
				fprintf(stderr, "save-rewrite: %s: too long\n", node);
				break;
			}
			memcpy(xs, &x, sizeof(x));
			memcpy(xs + sizeof(x), &e, sizeof(e));
			memcpy(xs + at, node, e.path_len);
			xs[at + e.path_len] = 'x';
			memcpy(xs + at + e.path_len + 1, perms, e.perms_len);
			iov = (struct iovec){ xs, at + e.path_len + 1 + e.perms_len };
		}
		if (save_write_record(&w, rec.type, &iov, 1, err, sizeof(err)))
			break;
	}
	save_reader_close(&r);
	if (more != 0 || save_writer_finish(&w, err, sizeof(err))) {
		fprintf(stderr, "save-rewrite: %s\n", err);
		save_writer_abort(&w);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "evtchn"))
		return test_evtchn();
	if (!strcmp(what, "gnttab"))
		return test_gnttab();
	if (!strcmp(what, "version"))
		return test_version();
	if (!strcmp(what, "hostile"))
		return hostile_run();
	if (!strcmp(what, "bench-hypercall"))
		return bench_hypercall(argc > 2 ? atoi(argv[2]) : 200);
	if (!strcmp(what, "save-pstate") && argc == 5) {
		uint64_t pstate = strtoull(argv[4], NULL, 0);

		return save_rewrite(argv[2], argv[3], &pstate, NULL);
	}
	if (!strcmp(what, "save-xsnode") && argc == 5)
		return save_rewrite(argv[2], argv[3], NULL, argv[4]);
	fprintf(stderr, "usage: domus-selftest evtchn | gnttab | version | hostile | bench-hypercall [N]"
			" | save-pstate IN OUT PSTATE | save-xsnode IN OUT PATH\n");
	return 2;
}
