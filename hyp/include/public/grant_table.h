/* SPDX-License-Identifier: MIT */
/*
 * The Xen 4.17 grant table interface on AArch64, version 1 entries: the
 * shared entry layout, GNTTABOP_* numbers and their argument structs. Numbers
 * and layouts are Xen's (xen/include/public/grant_table.h); the text is Domus' own.
 */
#ifndef PUBLIC_GRANT_TABLE_H
#define PUBLIC_GRANT_TABLE_H

#include <public/xen.h>

typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;

/* One v1 grant: the guest writes domid and frame (a GFN of its own), then flags. */
struct grant_entry_v1 {
	uint16_t flags; /* GTF_*: the type and access bits, shared with the hypervisor */
	domid_t domid; /* the domain allowed to use the grant */
	uint32_t frame;
};

/* Refs the guest leaves to the toolstack (Xen's GNTTAB_NR_RESERVED_ENTRIES and names). */
#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE 0
#define GNTTAB_RESERVED_XENSTORE 1

/* Entry types (GTF_type_mask) and the bits of a GTF_permit_access entry. */
#define GTF_invalid 0U
#define GTF_permit_access 1U
#define GTF_accept_transfer 2U
#define GTF_transitive 3U
#define GTF_type_mask 3U
#define GTF_readonly (1U << 2) /* guest: the grantee may only read */
#define GTF_reading (1U << 3) /* hypervisor: mapped or being copied from */
#define GTF_writing (1U << 4) /* hypervisor: mapped writable or being copied to */
#define GTF_PWT (1U << 5)
#define GTF_PCD (1U << 6)
#define GTF_PAT (1U << 7)
#define GTF_sub_page (1U << 8) /* v2 only; never mappable */
#define GTF_transfer_committed (1U << 2)
#define GTF_transfer_completed (1U << 3)

#define GNTTABOP_map_grant_ref 0
#define GNTTABOP_unmap_grant_ref 1
#define GNTTABOP_setup_table 2
#define GNTTABOP_dump_table 3
#define GNTTABOP_transfer 4
#define GNTTABOP_copy 5
#define GNTTABOP_query_size 6
#define GNTTABOP_unmap_and_replace 7
#define GNTTABOP_set_version 8
#define GNTTABOP_get_status_frames 9
#define GNTTABOP_get_version 10
#define GNTTABOP_swap_grant_ref 11
#define GNTTABOP_cache_flush 12
/* The command's low 12 bits are the op; cache_flush alone keeps progress in the rest. */
#define GNTTABOP_CMD_MASK 0xfffU

/* gnttab_map_grant_ref.flags. On Arm only host_map, optionally readonly, is valid. */
#define GNTMAP_device_map (1U << 0)
#define GNTMAP_host_map (1U << 1)
#define GNTMAP_readonly (1U << 2)
#define GNTMAP_application_map (1U << 3)
#define GNTMAP_contains_pte (1U << 4)
#define GNTMAP_guest_avail_mask (~0U << 16)

/* Per-element status codes. */
#define GNTST_okay 0
#define GNTST_general_error (-1)
#define GNTST_bad_domain (-2)
#define GNTST_bad_gntref (-3)
#define GNTST_bad_handle (-4)
#define GNTST_bad_virt_addr (-5)
#define GNTST_bad_dev_addr (-6)
#define GNTST_no_device_space (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page (-9)
#define GNTST_bad_copy_arg (-10)
#define GNTST_address_too_big (-11)
#define GNTST_eagain (-12)
#define GNTST_no_space (-13)

/* host_addr is a guest-physical address on Arm; dev_bus_addr comes back as the machine address. */
struct gnttab_map_grant_ref {
	uint64_t host_addr;
	uint32_t flags;
	grant_ref_t ref;
	domid_t dom;
	int16_t status; /* out */
	grant_handle_t handle; /* out */
	uint64_t dev_bus_addr; /* out */
};

struct gnttab_unmap_grant_ref {
	uint64_t host_addr; /* 0: whatever the handle maps */
	uint64_t dev_bus_addr;
	grant_handle_t handle;
	int16_t status; /* out */
};

/* GNTTABOP_unmap_and_replace has unmap_grant_ref's layout, dev_bus_addr read as new_addr. */

/* GNTTABOP_setup_table: grow the table to nr_frames; where each frame is mapped goes to frame_list. */
struct gnttab_setup_table {
	domid_t dom;
	uint32_t nr_frames;
	int16_t status; /* out */
	uint64_t frame_list; /* guest handle: uint64_t[nr_frames] */
};

/* GNTTABOP_get_status_frames (v2 only). */
struct gnttab_get_status_frames {
	uint32_t nr_frames;
	domid_t dom;
	int16_t status; /* out */
	uint64_t frame_list;
};

/* GNTTABOP_swap_grant_ref: two of the caller's entries trade places. */
struct gnttab_swap_grant_ref {
	grant_ref_t ref_a, ref_b;
	int16_t status; /* out */
};

#define GNTCOPY_source_gref (1U << 0)
#define GNTCOPY_dest_gref (1U << 1)

struct gnttab_copy_ptr {
	union {
		grant_ref_t ref;
		uint64_t gmfn;
	} u;
	domid_t domid;
	uint16_t offset;
};

struct gnttab_copy {
	struct gnttab_copy_ptr source, dest;
	uint16_t len;
	uint16_t flags; /* GNTCOPY_* */
	int16_t status; /* out */
};

struct gnttab_query_size {
	domid_t dom;
	uint32_t nr_frames; /* out */
	uint32_t max_nr_frames; /* out */
	int16_t status; /* out */
};

struct gnttab_set_version {
	uint32_t version; /* in and out */
};

struct gnttab_get_version {
	domid_t dom;
	uint16_t pad;
	uint32_t version; /* out */
};

#define GNTTAB_CACHE_CLEAN (1U << 0)
#define GNTTAB_CACHE_INVAL (1U << 1)
#define GNTTAB_CACHE_SOURCE_GREF (1U << 31) /* defined, but refused by Xen 4.17 */

struct gnttab_cache_flush {
	union {
		uint64_t dev_bus_addr;
		grant_ref_t ref;
	} a;
	uint16_t offset; /* within the page */
	uint16_t length;
	uint32_t op; /* GNTTAB_CACHE_* */
};

#define GT_OFF(t, f) __builtin_offsetof(struct t, f)
_Static_assert(sizeof(struct grant_entry_v1) == 8, "grant_entry_v1 is 8 bytes");
_Static_assert(sizeof(struct gnttab_map_grant_ref) == 32, "map_grant_ref is 32 bytes");
_Static_assert(GT_OFF(gnttab_map_grant_ref, flags) == 8, "layout");
_Static_assert(GT_OFF(gnttab_map_grant_ref, ref) == 12, "layout");
_Static_assert(GT_OFF(gnttab_map_grant_ref, dom) == 16, "layout");
_Static_assert(GT_OFF(gnttab_map_grant_ref, status) == 18, "layout");
_Static_assert(GT_OFF(gnttab_map_grant_ref, handle) == 20, "layout");
_Static_assert(GT_OFF(gnttab_map_grant_ref, dev_bus_addr) == 24, "layout");
_Static_assert(sizeof(struct gnttab_unmap_grant_ref) == 24, "unmap_grant_ref is 24 bytes");
_Static_assert(GT_OFF(gnttab_unmap_grant_ref, dev_bus_addr) == 8, "layout");
_Static_assert(GT_OFF(gnttab_unmap_grant_ref, handle) == 16, "layout");
_Static_assert(GT_OFF(gnttab_unmap_grant_ref, status) == 20, "layout");
_Static_assert(sizeof(struct gnttab_copy) == 40, "gnttab_copy is 40 bytes");
_Static_assert(GT_OFF(gnttab_copy, source.domid) == 8, "layout");
_Static_assert(GT_OFF(gnttab_copy, source.offset) == 10, "layout");
_Static_assert(GT_OFF(gnttab_copy, dest) == 16, "layout");
_Static_assert(GT_OFF(gnttab_copy, dest.domid) == 24, "layout");
_Static_assert(GT_OFF(gnttab_copy, dest.offset) == 26, "layout");
_Static_assert(GT_OFF(gnttab_copy, len) == 32, "layout");
_Static_assert(GT_OFF(gnttab_copy, flags) == 34, "layout");
_Static_assert(GT_OFF(gnttab_copy, status) == 36, "layout");
_Static_assert(sizeof(struct gnttab_query_size) == 16, "query_size is 16 bytes");
_Static_assert(GT_OFF(gnttab_query_size, nr_frames) == 4, "layout");
_Static_assert(GT_OFF(gnttab_query_size, max_nr_frames) == 8, "layout");
_Static_assert(GT_OFF(gnttab_query_size, status) == 12, "layout");
_Static_assert(sizeof(struct gnttab_set_version) == 4, "set_version is 4 bytes");
_Static_assert(sizeof(struct gnttab_get_version) == 8, "get_version is 8 bytes");
_Static_assert(GT_OFF(gnttab_get_version, version) == 4, "layout");
_Static_assert(sizeof(struct gnttab_cache_flush) == 16, "cache_flush is 16 bytes");
_Static_assert(GT_OFF(gnttab_cache_flush, offset) == 8, "layout");
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "layout");
_Static_assert(GT_OFF(gnttab_setup_table, status) == 8, "layout");
_Static_assert(GT_OFF(gnttab_setup_table, frame_list) == 16, "layout");
_Static_assert(sizeof(struct gnttab_get_status_frames) == 16, "layout");
_Static_assert(GT_OFF(gnttab_get_status_frames, status) == 6, "layout");
_Static_assert(sizeof(struct gnttab_swap_grant_ref) == 12, "layout");
_Static_assert(GT_OFF(gnttab_cache_flush, length) == 10, "layout");
_Static_assert(GT_OFF(gnttab_cache_flush, op) == 12, "layout");
#undef GT_OFF

/* The layouts above, pinned (the rest are pinned beside their structs). */
_Static_assert(sizeof(struct gnttab_copy_ptr) == 16, "layout");

#endif
