/* SPDX-License-Identifier: MIT */
/* Xen grant tables (v1): a domain's grants, the grants it maps, GNTTABOP_*. */
#ifndef DOMUS_GNTTAB_H
#define DOMUS_GNTTAB_H

#include <domus/types.h>

struct domain;
struct vcpu;

/* Xen's default for dom0 (gnttab_max_frames); 512 v1 entries per frame. */
#define GNTTAB_DEFAULT_MAX_FRAMES 64
/* The most gnttab_domain_init accepts: 512 Ki grant references. */
#define GNTTAB_MAX_FRAMES 1024
/* Mappings of other domains' grants one domain may hold at once. */
#define GNTTAB_MAX_HANDLES 16384

/*
 * Gives d a grant table of one frame that grows on demand up to max_frames
 * (1..GNTTAB_MAX_FRAMES, else -EINVAL). -EEXIST if d has one, -ENOMEM.
 */
int gnttab_domain_init(struct domain *d, u32 max_frames);

/*
 * Phase 1 of d's destruction (domain.h); d's vCPUs must no longer run. Every
 * mapping d holds of other domains' grants is unmapped and unpinned, and d's
 * own grants can no longer be mapped or copied (GNTST_bad_domain). The table
 * itself stays until gnttab_domain_free.
 *
 * -EBUSY if another domain still maps or copies one of d's grants: that
 * domain still reaches d's RAM through it, so d's memory must stay; call
 * again later. 0 once nothing pins d's table. Calling it again is harmless.
 */
int gnttab_domain_release(struct domain *d);
/*
 * Phase 3: frees d's table (after a release that returned 0 and a grace
 * period, so that no pCPU still looks at it). d->gnttab is NULL after.
 */
void gnttab_domain_free(struct domain *d);

/*
 * XENMEM_add_to_physmap(space=grant_table, idx): grows d's table to idx + 1
 * frames and returns frame idx's host physical address, for the caller to
 * map with p2m_map_page(..., P2M_SHARED). -EINVAL if idx >= max_frames.
 */
int gnttab_get_frame(struct domain *d, u32 idx, paddr_t *pa);

/*
 * Writes one of the entries Xen reserves for the toolstack (ref <
 * GNTTAB_NR_RESERVED_ENTRIES: 0 console, 1 xenstore) of d's table, before d
 * runs: a permit_access grant of gfn to domid, read-only if ro. The guest
 * never allocates these refs, so nothing of its own is overwritten.
 * -EINVAL for any other ref, -EBUSY if the entry is pinned.
 */
int gnttab_seed(struct domain *d, u32 ref, domid_t domid, u64 gfn, bool ro);

/*
 * A migration the guest takes no part in (public/domus_ctl.h, grantframe).
 * Get: a copy of frame idx of d's table into page, unless page is NULL
 * (-ENOENT past its frames; use is filled either way): its frames, the pins others hold on d's grants past
 * the reserved refs, and the mappings d holds of others' grants. Set: frame
 * idx of a table nobody pins (d being built; -EBUSY else), grown to it,
 * takes page's entries; -EINVAL past max_frames.
 */
struct gnttab_use {
	u32 nr_frames, pins, maps;
};
int gnttab_frame_get(struct domain *d, u32 idx, void *page, struct gnttab_use *use);
int gnttab_frame_set(struct domain *d, u32 idx, const void *page);
/* Size of one argument struct of cmd, or -ENOSYS if Domus does not implement cmd. */
long gnttab_op_size(int cmd);

/*
 * Performs one element of GNTTABOP cmd for v's domain on arg, a hypervisor
 * copy of the guest's struct that the caller copies back afterwards. Failures
 * of the element go in its status field (GNTST_*) with a return of 0, as in
 * Xen; the return is -errno only for ops that have no status field
 * (set_version, get_version, cache_flush), and -ENOSYS for a cmd Domus does
 * not implement or a domain without a grant table.
 */
long gnttab_op(struct vcpu *v, int cmd, void *arg);

/* Pages d's record of the grants it maps takes: it grows with use and stays until d ends. */
u32 gnttab_maptrack_pages(struct domain *d);

/* Debug key: table size, pinned grants and the mappings d holds. */
void gnttab_dump(struct domain *d);

#endif
