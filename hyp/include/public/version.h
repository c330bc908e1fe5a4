/* SPDX-License-Identifier: MIT */
/* XENVER_* (xen_version) sub-ops and XENFEAT_* bits. Xen 4.17's numbers and layouts. */
#ifndef PUBLIC_VERSION_H
#define PUBLIC_VERSION_H

#include <stdint.h>

#define XENVER_version 0
#define XENVER_extraversion 1
#define XENVER_compile_info 2
#define XENVER_capabilities 3
#define XENVER_changeset 4
#define XENVER_platform_parameters 5
#define XENVER_get_features 6
#define XENVER_pagesize 7
#define XENVER_guest_handle 8
#define XENVER_commandline 9
#define XENVER_build_id 10

struct xen_compile_info {
	char compiler[64];
	char compile_by[16];
	char compile_domain[32];
	char compile_date[32];
};

struct xen_feature_info {
	uint32_t submap_idx;
	uint32_t submap;
};

#define XENFEAT_writable_page_tables 0
#define XENFEAT_auto_translated_physmap 2
#define XENFEAT_dom0 11
#define XENFEAT_memory_op_vnode_supported 13
#define XENFEAT_ARM_SMCCC_supported 14
#define XENFEAT_not_direct_mapped 16
#define XENFEAT_direct_mapped 17

/* The layouts above, pinned (the rest are pinned beside their structs). */
_Static_assert(sizeof(struct xen_compile_info) == 144, "layout");
_Static_assert(sizeof(struct xen_feature_info) == 8, "layout");

#endif
