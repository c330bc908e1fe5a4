/* SPDX-License-Identifier: MIT */
/* libdomus: hypercalls from dom0 user space through Linux's /dev/xen/privcmd. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libdomus.h"

#define __HYPERVISOR_domus_ctl 55

/* Linux's privcmd ABI (include/uapi/xen/privcmd.h; its header needs kernel-only includes). */
struct privcmd_hypercall {
	uint64_t op;
	uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

static int privcmd_fd = -1;

int domus_open(void)
{
	if (privcmd_fd >= 0)
		return 0;
	privcmd_fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
	if (privcmd_fd < 0) {
		int err = errno;

		fprintf(stderr, "domus: /dev/xen/privcmd: %s (is this dom0 on Domus, with xen-privcmd loaded?)\n",
			strerror(err));
		return -err;
	}
	return 0;
}

long domus_hypercall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4)
{
	struct privcmd_hypercall call = { op, { a0, a1, a2, a3, a4 } };
	long rc;

	if (domus_open())
		return -ENODEV;
	/* The hypervisor's negative result comes back as -1 with errno set. */
	rc = ioctl(privcmd_fd, IOCTL_PRIVCMD_HYPERCALL, &call);
	return rc < 0 ? -errno : rc;
}

long domus_ctl(struct domus_ctl *c)
{
	long rc;

	c->version = DOMUS_CTL_VERSION;
	/* -EAGAIN: another toolstack call is in progress in the hypervisor. */
	while ((rc = domus_hypercall(__HYPERVISOR_domus_ctl, (uintptr_t)c, 0, 0, 0, 0)) == -EAGAIN)
		sched_yield();
	return rc;
}
