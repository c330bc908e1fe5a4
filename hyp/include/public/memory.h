/* SPDX-License-Identifier: MIT */
/* XENMEM_* (memory_op): changing a domain's guest-physical map. Xen 4.17's numbers and layouts. */
#ifndef PUBLIC_MEMORY_H
#define PUBLIC_MEMORY_H

#include <stdint.h>

#include <public/xen.h>

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
	uint64_t extent_start; /* guest handle: array of xen_pfn_t */
	uint64_t nr_extents;
	uint32_t extent_order;
	uint32_t mem_flags;
	domid_t domid;
	uint16_t pad[3];
};

struct xen_add_to_physmap {
	domid_t domid;
	uint16_t size; /* gmfn_range only */
	uint32_t space;
	uint64_t idx;
	uint64_t gpfn;
};

struct xen_add_to_physmap_batch {
	domid_t domid;
	uint16_t space;
	uint16_t size;
	domid_t foreign_domid;
	uint64_t idxs; /* guest handle: uint64_t[size] */
	uint64_t gpfns; /* guest handle: uint64_t[size] */
	uint64_t errs; /* guest handle: int[size] */
};

struct xen_memory_domain {
	domid_t domid;
};

/* What XENMEM_get_vnumainfo reads first: the caller's array sizes and three guest handles. */
struct xen_vnuma_topology_info {
	domid_t domid;
	uint16_t pad;
	uint32_t nr_vnodes, nr_vcpus, nr_vmemranges;
	uint64_t vdistance, vcpu_to_vnode, vmemrange;
};

/* XENMEM_exchange: extents in, extents out, how many were exchanged. */
struct xen_memory_exchange {
	struct xen_memory_reservation in, out;
	uint64_t nr_exchanged;
};

struct xen_remove_from_physmap {
	domid_t domid;
	uint16_t pad[3];
	uint64_t gpfn;
};

_Static_assert(sizeof(struct xen_memory_reservation) == 32, "layout");
_Static_assert(__builtin_offsetof(struct xen_memory_reservation, domid) == 24, "layout");
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "layout");
_Static_assert(sizeof(struct xen_add_to_physmap_batch) == 32, "layout");
_Static_assert(sizeof(struct xen_remove_from_physmap) == 16, "layout");
_Static_assert(sizeof(struct xen_vnuma_topology_info) == 40, "layout");
_Static_assert(sizeof(struct xen_memory_exchange) == 72, "layout");

/* The layouts above, pinned (the rest are pinned beside their structs). */
_Static_assert(sizeof(struct xen_memory_domain) == 2, "layout");

#endif
