/* SPDX-License-Identifier: MIT */
/* XENMEM_* (memory_op): changing a domain's guest-physical map. Xen 4.17's numbers and layouts. */
#ifndef PUBLIC_MEMORY_H
#define PUBLIC_MEMORY_H

#include <domus/types.h>

#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_maximum_ram_page 2
#define XENMEM_current_reservation 3 /* struct xen_memory_domain */
#define XENMEM_maximum_reservation 4 /* struct xen_memory_domain */
#define XENMEM_populate_physmap 6
#define XENMEM_add_to_physmap 7
#define XENMEM_exchange 11
#define XENMEM_maximum_gpfn 14 /* struct xen_memory_domain */
#define XENMEM_remove_from_physmap 15
#define XENMEM_get_sharing_freed_pages 18
#define XENMEM_get_sharing_shared_pages 19
#define XENMEM_add_to_physmap_batch 23
#define XENMEM_claim_pages 24 /* struct xen_memory_reservation */
#define XENMEM_get_vnumainfo 26
#define XENMEM_acquire_resource 28
/* The low six bits of the command are the op; the rest is a continuation index. */
#define MEMOP_CMD_MASK 0x3f
#define MEMOP_EXTENT_SHIFT 6

#define XENMAPSPACE_shared_info 0
#define XENMAPSPACE_grant_table 1
#define XENMAPSPACE_gmfn 2
#define XENMAPSPACE_gmfn_range 3
#define XENMAPSPACE_gmfn_foreign 4
#define XENMAPSPACE_dev_mmio 5
#define XENMAPIDX_grant_table_status (1U << 31)

struct xen_memory_reservation {
	u64 extent_start; /* guest handle: array of xen_pfn_t */
	u64 nr_extents;
	u32 extent_order;
	u32 mem_flags;
	domid_t domid;
	u16 pad[3];
};

struct xen_add_to_physmap {
	domid_t domid;
	u16 size; /* gmfn_range only */
	u32 space;
	u64 idx;
	u64 gpfn;
};

struct xen_add_to_physmap_batch {
	domid_t domid;
	u16 space;
	u16 size;
	domid_t foreign_domid;
	u64 idxs; /* guest handle: u64[size] */
	u64 gpfns; /* guest handle: u64[size] */
	u64 errs; /* guest handle: int[size] */
};

struct xen_memory_domain {
	domid_t domid;
};

/* What XENMEM_get_vnumainfo reads first: the caller's array sizes and three guest handles. */
struct xen_vnuma_topology_info {
	domid_t domid;
	u16 pad;
	u32 nr_vnodes, nr_vcpus, nr_vmemranges;
	u64 vdistance, vcpu_to_vnode, vmemrange;
};

/* XENMEM_exchange: extents in, extents out, how many were exchanged. */
struct xen_memory_exchange {
	struct xen_memory_reservation in, out;
	u64 nr_exchanged;
};

struct xen_remove_from_physmap {
	domid_t domid;
	u16 pad[3];
	u64 gpfn;
};

_Static_assert(sizeof(struct xen_memory_reservation) == 32, "layout");
_Static_assert(__builtin_offsetof(struct xen_memory_reservation, domid) == 24, "layout");
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "layout");
_Static_assert(sizeof(struct xen_add_to_physmap_batch) == 32, "layout");
_Static_assert(sizeof(struct xen_remove_from_physmap) == 16, "layout");
_Static_assert(sizeof(struct xen_vnuma_topology_info) == 40, "layout");
_Static_assert(sizeof(struct xen_memory_exchange) == 72, "layout");

#endif
