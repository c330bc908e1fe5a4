/* SPDX-License-Identifier: MIT */
/*
 * `domus clone NAME [COUNT]` (docs/CLONE.md). A clone is built as a restore
 * is (save.c), with the parent's suspended state read straight from Domus
 * instead of a file, and its memory shared instead of copied: Domus maps the
 * parent's frames read-only into both and gives each writer a copy of its
 * own at its first write. The parent resumes as after a failed save (its
 * suspend call returns 1: nothing to redo); each clone resumes as a
 * restored guest does (0: it reconnects to XenStore, its console and
 * whatever devices it finds, which are none).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <public/domus_ctl.h>

#include "clone.h"
#include "domstore.h"
#include "errmsg.h"
#include "libdomus.h"
#include "save.h"
#include "xenstore/client.h"

/* How long a clone's kernel may take to close its parent's devices after it starts. */
#define CLOSE_WAIT_MS 30000
enum { XENBUS_CLOSING = 5, XENBUS_CLOSED = 6 };

/* The parent's memory into clone `to`, range by range, in Domus' largest steps. */
static int share_memory(uint16_t parent, uint16_t to, const struct domu_config *c,
			struct clone_stats *st, char *err, size_t errlen)
{
	struct ram_range r[2];

	domu_ram_ranges(c, r);
	for (int i = 0; i < 2; i++)
		for (uint64_t done = 0; done < r[i].count;) {
			struct domus_ctl ctl = { .cmd = DOMUS_CTL_sharepages, .domid = parent };
			uint64_t left = r[i].count - done;
			long rc;

			if (save_check_interrupted(err, errlen))
				return -1;
			ctl.u.sharepages = (struct domus_ctl_sharepages){
				.gfn = r[i].gfn + done, .to = to,
				.count = (uint32_t)(left < DOMUS_SHARE_MAX ? left : DOMUS_SHARE_MAX) };
			rc = domus_ctl(&ctl);
			st->shared += ctl.u.sharepages.shared;
			st->copied += ctl.u.sharepages.copied;
			if (rc)
				return fail_with(err, errlen, "cannot give it the memory at gfn %#llx: %s",
						 (unsigned long long)(r[i].gfn + done), rc == -ENOMEM ?
						 "out of memory in the hypervisor" : strerror((int)-rc));
			done += ctl.u.sharepages.count;
		}
	return 0;
}

/* The parent's domain and vCPU state, as a save carries it, into clone `to`. */
static int copy_state(uint16_t parent, uint16_t to, uint32_t nr_vcpus, char *err, size_t errlen)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_getdomainstate, .domid = parent };
	struct domus_vcpu_state s;
	long rc = domus_ctl(&ctl);

	if (rc)
		return fail_with(err, errlen, "cannot read the guest's state: %s", strerror((int)-rc));
	ctl.cmd = DOMUS_CTL_setdomainstate;
	ctl.domid = to;
	rc = domus_ctl(&ctl);
	if (rc)
		return fail_with(err, errlen, "Domus refused its domain state: %s", strerror((int)-rc));
	for (uint32_t i = 0; i < nr_vcpus; i++) {
		struct domus_ctl_vcpustate v = { .vcpu = i, .size = sizeof(s), .buffer = (uintptr_t)&s };

		ctl = (struct domus_ctl){ .cmd = DOMUS_CTL_getvcpustate, .domid = parent };
		ctl.u.vcpustate = v;
		rc = domus_ctl(&ctl);
		if (rc)
			return fail_with(err, errlen, "cannot read vCPU %u: %s", i, strerror((int)-rc));
		ctl = (struct domus_ctl){ .cmd = DOMUS_CTL_setvcpustate, .domid = to };
		ctl.u.vcpustate = v;
		rc = domus_ctl(&ctl);
		if (rc)
			return fail_with(err, errlen, "Domus refused the state of vCPU %u: %s", i,
					 strerror((int)-rc));
	}
	return 0;
}

int domu_clone(uint16_t parent, const struct domu_config *c, struct domu_built *b,
	       struct clone_stats *st, char *err, size_t errlen)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_createdomain };
	long rc;

	snprintf(ctl.u.createdomain.name, sizeof(ctl.u.createdomain.name), "%s", c->name);
	ctl.u.createdomain.nr_vcpus = c->vcpus;
	ctl.u.createdomain.max_mem_kib = domu_max_mem_kib(c);
	rc = domus_ctl(&ctl);
	if (rc)
		return fail_with(err, errlen, "cannot create the domain: %s", rc == -ENOMEM ?
				 "not enough free memory in the hypervisor" : strerror((int)-rc));
	if (share_memory(parent, ctl.domid, c, st, err, errlen) ||
	    copy_state(parent, ctl.domid, c->vcpus, err, errlen) ||
	    domu_connect_magic(ctl.domid, b, err, errlen)) {
		domain_end(ctl.domid);
		return -1;
	}
	return 0;
}

int clone_parent_devices(uint16_t parent, struct clone_devices *devs, char *err, size_t errlen)
{
	static const char *const kinds[] = { "vbd", "vif" };
	char dir[64], *names = malloc(XS_PAYLOAD_MAX + 1);
	const char *p = dir;
	struct xsc h;
	int rc;

	devs->n = 0;
	if (!names)
		return fail_with(err, errlen, "out of memory");
	rc = xsc_open(&h);
	if (rc) {
		free(names);
		return fail_with(err, errlen, "cannot reach xenstored: %s", strerror(-rc));
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		long n;

		snprintf(dir, sizeof(dir), "/local/domain/%u/device/%s", parent, kinds[k]);
		n = xsc_call(&h, XS_DIRECTORY, 0, &p, 1, 0, names, XS_PAYLOAD_MAX + 1);
		for (char *name = names; n > 0 && name < names + n; name += strlen(name) + 1) {
			if (devs->n == CLONE_DEVICES_MAX) {
				rc = -E2BIG;
				break;
			}
			devs->dev[devs->n].kind = kinds[k];
			devs->dev[devs->n++].devid = (unsigned int)strtoul(name, NULL, 10);
		}
	}
	xsc_close(&h);
	free(names);
	return rc ? fail_with(err, errlen, "more than %d devices", CLONE_DEVICES_MAX) : 0;
}

static void device_dirs(uint16_t clone, const char *kind, unsigned int devid, char *fe, char *gone,
			size_t len)
{
	snprintf(fe, len, "/local/domain/%u/device/%s/%u", clone, kind, devid);
	/* Not under dom0's backend/: netback and blkback would take it for a device to serve. */
	snprintf(gone, len, "/local/domain/%u/domus-gone/%s/%u", clone, kind, devid);
}

int clone_close_parent_devices(uint16_t clone, const struct clone_devices *devs, char *err,
			       size_t errlen)
{
	char fe[128], gone[128];
	struct xsc h;
	int rc = devs->n ? xsc_open(&h) : 0;

	if (rc)
		return fail_with(err, errlen, "cannot reach xenstored: %s", strerror(-rc));
	for (unsigned int i = 0; !rc && i < devs->n; i++) {
		device_dirs(clone, devs->dev[i].kind, devs->dev[i].devid, fe, gone, sizeof(fe));
		/* The "back end" is dom0's and reads Closed; the front end is the clone's to write. */
		rc = xsc_put(&h, 0, 0, clone, gone, "state", "%d", XENBUS_CLOSED) ?:
		     xsc_put(&h, 0, clone, 0, fe, "", "%s", "") ?:
		     xsc_put(&h, 0, clone, 0, fe, "backend", "%s", gone) ?:
		     xsc_put(&h, 0, clone, 0, fe, "backend-id", "0") ?:
		     xsc_put(&h, 0, clone, 0, fe, "state", "1");
	}
	if (devs->n)
		xsc_close(&h);
	return rc ? fail_with(err, errlen, "cannot close its parent's devices: %s", strerror(-rc))
		  : 0;
}

int clone_unplug_parent_devices(uint16_t clone, const struct clone_devices *devs)
{
	char fe[128], gone[128], path[160], val[16];
	int left = 0;
	struct xsc h;

	if (!devs->n)
		return 0;
	if (xsc_open(&h))
		return (int)devs->n;
	for (unsigned int i = 0; i < devs->n; i++) {
		int state = 0;

		device_dirs(clone, devs->dev[i].kind, devs->dev[i].devid, fe, gone, sizeof(fe));
		snprintf(path, sizeof(path), "%s/state", fe);
		/* A disk still open inside stays Closing: it is unplugged all the same. */
		for (int ms = 0; ms < CLOSE_WAIT_MS; ms += 50) {
			state = xsc_read(&h, 0, path, val, sizeof(val)) > 0 ? atoi(val) : 0;
			if (state == XENBUS_CLOSING || state == XENBUS_CLOSED)
				break;
			usleep(50 * 1000);
		}
		if (state != XENBUS_CLOSING && state != XENBUS_CLOSED)
			left++;
		/* Gone from XenStore: Linux's watch on device/ unregisters the device. */
		xsc_rm(&h, 0, fe);
		xsc_rm(&h, 0, gone);
	}
	/* The kinds' directories too, once empty (xsc_prune stops at a directory with children). */
	for (unsigned int i = 0; i < devs->n; i++) {
		device_dirs(clone, devs->dev[i].kind, devs->dev[i].devid, fe, gone, sizeof(fe));
		*strrchr(gone, '/') = 0;
		snprintf(path, sizeof(path), "/local/domain/%u", clone);
		xsc_prune(&h, gone, path);
	}
	xsc_close(&h);
	return left;
}
