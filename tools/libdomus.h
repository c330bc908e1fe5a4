/* SPDX-License-Identifier: MIT */
/* libdomus: hypercalls from dom0 user space through Linux's /dev/xen/privcmd. */
#ifndef LIBDOMUS_H
#define LIBDOMUS_H

#include <stddef.h>
#include <stdint.h>

#include <public/domus_ctl.h>

/* Opens /dev/xen/privcmd (once); -errno on failure, with a message on stderr. */
int domus_open(void);
/* Issues hypercall op with up to five arguments: its return value, or -errno. */
long domus_hypercall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4);
/* domus_ctl with version filled in: 0 or -errno. */
long domus_ctl(struct domus_ctl *c);

/* A domain by name or number: 0 with *id (and *info if given), or -ESRCH. */
long domus_find_domain(const char *name_or_id, uint16_t *id, struct domus_ctl_domaininfo *info);
/* Gives domain dom n extents of 2^order pages at the frames in gfns: how many were done, or -errno. */
long domus_populate(uint16_t dom, uint64_t *gfns, uint64_t n, unsigned int order);
/* An unbound port in dom that remote may bind: 0 with *port, or -errno. */
long domus_evtchn_alloc_unbound(uint16_t dom, uint16_t remote, uint32_t *port);
/* HVMOP_set_param / get_param on dom. */
long domus_set_param(uint16_t dom, uint32_t index, uint64_t value);
long domus_get_param(uint16_t dom, uint32_t index, uint64_t *value);
/*
 * Maps npages frames of dom, from gfn on, into our address space (privcmd
 * MMAPBATCH_V2): NULL with errno set if any frame cannot be mapped.
 */
void *domus_map_foreign(uint16_t dom, uint64_t gfn, size_t npages);
/*
 * Maps the npages frames gfns[] of dom; errs[i] is 0 for each mapped, or
 * -errno for one that is not (touching it faults). NULL with errno set if
 * the mapping itself failed; a mapping whose every errs[i] is set is
 * returned all the same (the caller looks at errs).
 */
void *domus_map_foreign_list(uint16_t dom, const uint64_t *gfns, size_t npages, int *errs);
void domus_unmap_foreign(void *p, size_t npages);

#endif
