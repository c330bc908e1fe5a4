/* SPDX-License-Identifier: MIT */
/* libdomus: hypercalls from dom0 user space through Linux's /dev/xen/privcmd. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <public/event_channel.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/xen.h>

#include "libdomus.h"

/* Linux's privcmd ABI (include/uapi/xen/privcmd.h; its header needs kernel-only includes). */
struct privcmd_hypercall {
	uint64_t op;
	uint64_t arg[5];
};

struct privcmd_mmapbatch_v2 {
	uint32_t num;
	uint16_t dom;
	uint16_t pad;
	uint64_t addr;
	uint64_t arr; /* const xen_pfn_t * */
	uint64_t err; /* int * */
};

#define IOCTL_PRIVCMD_HYPERCALL _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))
#define IOCTL_PRIVCMD_MMAPBATCH_V2 _IOC(_IOC_NONE, 'P', 4, sizeof(struct privcmd_mmapbatch_v2))

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

long domus_find_domain(const char *name_or_id, uint16_t *id, struct domus_ctl_domaininfo *info)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_getdomaininfo };
	char *end;
	unsigned long n = strtoul(name_or_id, &end, 10);
	bool by_id = *name_or_id && !*end;
	long rc;

	for (c.domid = 0; (rc = domus_ctl(&c)) == 0; c.domid++) {
		if (by_id ? c.domid == n : !strcmp(c.u.domaininfo.name, name_or_id)) {
			*id = c.domid;
			if (info)
				*info = c.u.domaininfo;
			return 0;
		}
		c.cmd = DOMUS_CTL_getdomaininfo;
	}
	return rc == -ESRCH ? -ESRCH : rc;
}

long domus_populate(uint16_t dom, uint64_t *gfns, uint64_t n, unsigned int order)
{
	struct xen_memory_reservation r = { .extent_start = (uintptr_t)gfns, .nr_extents = n,
					    .extent_order = order, .domid = dom };

	return domus_hypercall(__HYPERVISOR_memory_op, XENMEM_populate_physmap, (uintptr_t)&r, 0,
			       0, 0);
}

long domus_evtchn_alloc_unbound(uint16_t dom, uint16_t remote, uint32_t *port)
{
	struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = remote };
	long rc = domus_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
				  (uintptr_t)&a, 0, 0, 0);

	if (rc == 0)
		*port = a.port;
	return rc;
}

long domus_set_param(uint16_t dom, uint32_t index, uint64_t value)
{
	struct xen_hvm_param p = { .domid = dom, .index = index, .value = value };

	return domus_hypercall(__HYPERVISOR_hvm_op, HVMOP_set_param, (uintptr_t)&p, 0, 0, 0);
}

long domus_get_param(uint16_t dom, uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = { .domid = dom, .index = index };
	long rc = domus_hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (uintptr_t)&p, 0, 0, 0);

	if (rc == 0)
		*value = p.value;
	return rc;
}

void *domus_map_foreign_list(uint16_t dom, const uint64_t *gfns, size_t npages, int *errs)
{
	struct privcmd_mmapbatch_v2 m = { .num = (uint32_t)npages, .dom = dom };
	void *p;

	if (domus_open())
		return NULL;
	p = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, privcmd_fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(errs, 0, npages * sizeof(*errs));
	m.addr = (uintptr_t)p;
	m.arr = (uintptr_t)gfns;
	m.err = (uintptr_t)errs;
	/* Fails if any page did; the others are mapped all the same, and errs says which. */
	if (ioctl(privcmd_fd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m) < 0) {
		bool any = false;

		for (size_t i = 0; i < npages; i++)
			any |= errs[i] != 0;
		if (!any) {
			int e = errno;

			munmap(p, npages * 4096);
			errno = e;
			return NULL;
		}
	}
	return p;
}

void *domus_map_foreign(uint16_t dom, uint64_t gfn, size_t npages)
{
	uint64_t *gfns = calloc(npages, sizeof(*gfns));
	int *errs = calloc(npages, sizeof(*errs));
	void *p = NULL;
	int err = ENOMEM;

	if (!gfns || !errs)
		goto out;
	for (size_t i = 0; i < npages; i++)
		gfns[i] = gfn + i;
	p = domus_map_foreign_list(dom, gfns, npages, errs);
	err = errno;
	for (size_t i = 0; p && i < npages; i++)
		if (errs[i]) {
			err = -errs[i];
			munmap(p, npages * 4096);
			p = NULL;
		}
out:
	free(gfns);
	free(errs);
	if (!p)
		errno = err;
	return p;
}

void domus_unmap_foreign(void *p, size_t npages)
{
	munmap(p, npages * 4096);
}
