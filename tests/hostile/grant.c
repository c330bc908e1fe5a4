/* SPDX-License-Identifier: MIT */
/*
 * Grant tables (common/grant_table.c, v1, as Xen 4.17 on Arm has it): our
 * own table's frame 0 placed in the grant window, entries that grant our own
 * pages to ourselves (a domain may map and copy its own grants), to dom0, or
 * with flags no mapping may have; then map, unmap and copy with bad refs,
 * handles, frames, flags, offsets and lengths, and maximal counts. Every
 * per-element outcome is a GNTST_ status in the element.
 */
#include "hostile.h"

#define GNTOP __HYPERVISOR_grant_table_op
#define HOST(n) (HOLE_MAP_BASE + (u64)(n) * PAGE_SIZE)
#define NOBODY 0x7fef

enum {
	REF_RW = 10, REF_RO, REF_DOM0, REF_HOLE, REF_SUBPAGE, REF_TRANSFER,
	REF_SWAP_A = 20, REF_SWAP_B, REF_PINS = 30,
};

volatile struct grant_entry_v1 *gnttab_entries(void)
{
	return (volatile struct grant_entry_v1 *)(GNTTAB_GFN << 12);
}

/* A v1 entry as a guest writes it: who and what first, the flags that make it live last. */
static void grant_to(u32 ref, domid_t dom, u64 gfn, u16 flags)
{
	volatile struct grant_entry_v1 *e = &gnttab_entries()[ref];

	e->flags = 0;
	barrier_full();
	e->domid = dom;
	e->frame = (u32)gfn;
	barrier_full();
	e->flags = flags;
	barrier_full();
}

void grant_own(u32 ref, u64 gfn, u16 flags)
{
	grant_to(ref, env.domid, gfn, GTF_permit_access | flags);
}

static struct gnttab_map_grant_ref maps[130] __attribute__((aligned(64)));
static struct gnttab_unmap_grant_ref unmaps[130] __attribute__((aligned(64)));
static struct gnttab_copy copies[3] __attribute__((aligned(64)));

/* One map: its status; the handle in *handle. */
s16 grant_map(u32 ref, domid_t dom, u32 flags, u64 host, u32 *handle)
{
	struct gnttab_map_grant_ref *m = &maps[0];

	mem_set(m, 0, sizeof(*m));
	m->host_addr = host;
	m->flags = flags;
	m->ref = ref;
	m->dom = dom;
	m->status = 0x7777;
	if (hypercall(GNTOP, GNTTABOP_map_grant_ref, m, 1))
		return 0x7777;
	if (handle)
		*handle = m->handle;
	return m->status;
}

s16 grant_unmap(u32 handle, u64 host)
{
	struct gnttab_unmap_grant_ref *u = &unmaps[0];

	mem_set(u, 0, sizeof(*u));
	u->host_addr = host;
	u->handle = handle;
	u->status = 0x7777;
	if (hypercall(GNTOP, GNTTABOP_unmap_grant_ref, u, 1))
		return 0x7777;
	return u->status;
}

static s16 copy1(u64 src, domid_t sdom, u16 soff, u64 dst, domid_t ddom, u16 doff, u16 len, u16 flags)
{
	struct gnttab_copy *c = &copies[0];

	mem_set(c, 0, sizeof(*c));
	c->source.u.gmfn = src;
	c->source.domid = sdom;
	c->source.offset = soff;
	c->dest.u.gmfn = dst;
	c->dest.domid = ddom;
	c->dest.offset = doff;
	c->len = len;
	c->flags = flags;
	c->status = 0x7777;
	if (hypercall(GNTOP, GNTTABOP_copy, c, 1))
		return 0x7777;
	return c->status;
}

/* An op's per-element status, or the whole call's refusal if it was refused. */
static void check_st(const char *name, long rc, s16 status, long want)
{
	char w[24];

	if (rc) {
		snfmt(w, sizeof(w), "rc 0, status %ld", want);
		checkf(name, false, w, "rc %ld", rc);
	} else {
		check(name, status, want);
	}
}

static void setup_cases(void)
{
	static struct xen_add_to_physmap a;
	static struct gnttab_query_size q;

	a.domid = DOMID_SELF;
	a.space = XENMAPSPACE_grant_table;
	a.idx = 0;
	a.gpfn = GNTTAB_GFN;
	check("add_to_physmap grant frame 0 into the grant window",
	      hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &a, 0), 0);
	/* Ours: the console and store grants the toolstack seeded must still be there. */
	check("grant entry 1 (the store page, seeded for dom0) survives the mapping",
	      gnttab_entries()[1].domid == 0 && gnttab_entries()[1].frame == env.store_gfn, 1);

	q.dom = DOMID_SELF;
	check("query_size of itself", hypercall(GNTOP, GNTTABOP_query_size, &q, 1), 0);
	checkf("query_size of itself: status okay, 1 <= frames <= max",
	       q.status == GNTST_okay && q.nr_frames >= 1 && q.nr_frames <= q.max_nr_frames, "okay",
	       "status %d, %u of %u frames", q.status, q.nr_frames, q.max_nr_frames);
	q.dom = 0;
	check_st("query_size of dom0 (status)", hypercall(GNTOP, GNTTABOP_query_size, &q, 1), q.status,
		 GNTST_permission_denied);
	q.dom = NOBODY;
	check_st("query_size of a domain nobody has (status)", hypercall(GNTOP, GNTTABOP_query_size, &q, 1),
		 q.status, GNTST_bad_domain);
	check("query_size with count 2", hypercall(GNTOP, GNTTABOP_query_size, &q, 2), -EINVAL);
	check("query_size with an argument bit in the command",
	      hypercall(GNTOP, GNTTABOP_query_size | (1U << GNTTABOP_ARG_SHIFT), &q, 1), -EINVAL);

	fill_page(VICTIM(16), 0x16);
	fill_page(VICTIM(17), 0x17);
	fill_page(VICTIM(18), 0x18);
	fill_page(VICTIM(22), 0x22);
	grant_own(REF_RW, VICTIM(16) >> 12, 0);
	grant_own(REF_RO, VICTIM(17) >> 12, GTF_readonly);
	grant_to(REF_DOM0, 0, VICTIM(18) >> 12, GTF_permit_access);
	grant_own(REF_HOLE, (HOLE_MAP_BASE >> 12) + 0xff0, 0);
	grant_own(REF_SUBPAGE, VICTIM(16) >> 12, GTF_sub_page);
	grant_to(REF_TRANSFER, env.domid, VICTIM(16) >> 12, GTF_accept_transfer);
	grant_own(REF_PINS, VICTIM(22) >> 12, 0);
}

/*
 * A map that must be refused: if it is not, the mapping is undone at once,
 * so that one wrong answer does not leave a pin that changes later cases.
 */
static void refused_map(const char *name, u32 ref, domid_t dom, u32 flags, u64 host, long want)
{
	u32 h = ~0U;
	s16 st = grant_map(ref, dom, flags, host, &h);

	check(name, st, want);
	if (st == GNTST_okay)
		grant_unmap(h, host);
}

static void map_cases(void)
{
	u32 h = ~0U, h2 = ~0U;
	s16 st;

	st = grant_map(REF_RW, env.domid, GNTMAP_host_map, HOST(0), &h);
	check("map of its own grant", st, GNTST_okay);
	if (st == GNTST_okay) {
		check("its own granted page reads the same through the mapping", page_has(HOST(0), 0x16), 1);
		check_hex("grant entry marked reading and writing while mapped",
			  gnttab_entries()[REF_RW].flags & (GTF_reading | GTF_writing), GTF_reading | GTF_writing);
	}
	check("map of the same grant a second time", grant_map(REF_RW, env.domid, GNTMAP_host_map, HOST(1), &h2),
	      GNTST_okay);
	check("unmap of the second mapping", grant_unmap(h2, HOST(1)), GNTST_okay);
	refused_map("map of a read-only grant for writing", REF_RO, env.domid, GNTMAP_host_map, HOST(2),
		    GNTST_general_error);
	st = grant_map(REF_RO, env.domid, GNTMAP_host_map | GNTMAP_readonly, HOST(2), &h2);
	check("map of a read-only grant read-only", st, GNTST_okay);
	if (st == GNTST_okay)
		check("unmap of the read-only mapping", grant_unmap(h2, HOST(2)), GNTST_okay);
	refused_map("map of our grant to dom0, not to us", REF_DOM0, env.domid, GNTMAP_host_map, HOST(3),
		    GNTST_general_error);
	refused_map("map of a grant of a frame with no memory", REF_HOLE, env.domid, GNTMAP_host_map, HOST(3),
		    GNTST_bad_page);
	check_hex("grant entry of the failed map left unmarked",
		  gnttab_entries()[REF_HOLE].flags & (GTF_reading | GTF_writing), 0);
	refused_map("map of a sub-page grant", REF_SUBPAGE, env.domid, GNTMAP_host_map, HOST(3),
		    GNTST_general_error);
	refused_map("map of an accept-transfer entry", REF_TRANSFER, env.domid, GNTMAP_host_map, HOST(3),
		    GNTST_general_error);
	refused_map("map of ref 5000 (past the table)", 5000, env.domid, GNTMAP_host_map, HOST(3),
		    GNTST_bad_gntref);
	refused_map("map of ref ~0", ~0U, env.domid, GNTMAP_host_map, HOST(3), GNTST_bad_gntref);
	refused_map("map with no flags", REF_RW, env.domid, 0, HOST(3), GNTST_bad_gntref);
	refused_map("map for device access (device_map)", REF_RW, env.domid, GNTMAP_device_map, HOST(3),
		    GNTST_general_error);
	refused_map("map with application_map", REF_RW, env.domid, GNTMAP_host_map | GNTMAP_application_map,
		    HOST(3), GNTST_general_error);
	refused_map("map with contains_pte", REF_RW, env.domid, GNTMAP_host_map | GNTMAP_contains_pte, HOST(3),
		    GNTST_general_error);
	refused_map("map from a domain nobody has", REF_RW, NOBODY, GNTMAP_host_map, HOST(3),
		    GNTST_bad_domain);
	refused_map("map from DOMID_SELF", REF_RW, DOMID_SELF, GNTMAP_host_map, HOST(3), GNTST_bad_domain);
	refused_map("map at a guest address past the IPA space", REF_RW, env.domid, GNTMAP_host_map, 1UL << 52,
		    GNTST_general_error);
	refused_map("map of a dom0 grant not given to us", 8, 0, GNTMAP_host_map, HOST(3),
		    GNTST_general_error);
	check("map_grant_ref with count 0", hypercall(GNTOP, GNTTABOP_map_grant_ref, BAD_PTR, 0), 0);
	check("map_grant_ref with count 2^31", hypercall(GNTOP, GNTTABOP_map_grant_ref, maps, 1U << 31), -EINVAL);
	check("map_grant_ref from an unmapped address", hypercall(GNTOP, GNTTABOP_map_grant_ref, BAD_PTR, 1),
	      -EFAULT);

	/* Unmaps of h, the first mapping of REF_RW at HOST(0). */
	check("unmap of handle ~0", grant_unmap(~0U, HOST(0)), GNTST_bad_handle);
	check("unmap of a handle never given", grant_unmap(h + 1000, HOST(0)), GNTST_bad_handle);
	check("unmap at a guest address holding other memory", grant_unmap(h, VICTIM(30)), GNTST_general_error);
	check("the mapping is still there after the refused unmap", page_has(HOST(0), 0x16), 1);
	{
		static struct gnttab_unmap_and_replace r;

		r.host_addr = HOST(0);
		r.new_addr = HOST(9);
		r.handle = h;
		r.status = 0x7777;
		check_st("unmap_and_replace to a new address (status)",
			 hypercall(GNTOP, GNTTABOP_unmap_and_replace, &r, 1), r.status, GNTST_general_error);
	}
	check("unmap of the first mapping", grant_unmap(h, HOST(0)), GNTST_okay);
	check_hex("grant entry unmarked once unmapped",
		  gnttab_entries()[REF_RW].flags & (GTF_reading | GTF_writing), 0);
	{
		u64 v;

		check_dabt("the unmapped grant's address is a hole again", probe_read64(HOST(0), &v), HOST(0));
	}
	check("unmap of the same handle again", grant_unmap(h, HOST(0)), GNTST_bad_handle);
	check("unmap_grant_ref from an unmapped address", hypercall(GNTOP, GNTTABOP_unmap_grant_ref, BAD_PTR, 1),
	      -EFAULT);
}

/* Maximal pin count: 128 writable mappings of one grant, the 129th refused (GNTPIN overflow). */
static void pin_cases(void)
{
	unsigned int ok = 0, bad = 0;
	long rc;

	mem_set(maps, 0, sizeof(maps));
	for (unsigned int i = 0; i < 129; i++) {
		maps[i].host_addr = HOST(0x100 + i);
		maps[i].flags = GNTMAP_host_map;
		maps[i].ref = REF_PINS;
		maps[i].dom = env.domid;
		maps[i].status = 0x7777;
	}
	rc = hypercall(GNTOP, GNTTABOP_map_grant_ref, maps, 129);
	for (unsigned int i = 0; i < 128; i++)
		ok += maps[i].status == GNTST_okay;
	checkf("129 maps of one grant in one call: the first 128 okay", rc == 0 && ok == 128, "rc 0, 128 okay",
	       "rc %ld, %u okay", rc, ok);
	check("the 129th map of one grant (pin count full)", maps[128].status, GNTST_general_error);
	if (maps[128].status == GNTST_okay)
		grant_unmap(maps[128].handle, HOST(0x100 + 128)); /* not to leave it pinned */
	mem_set(unmaps, 0, sizeof(unmaps));
	for (unsigned int i = 0; i < 128; i++) {
		unmaps[i].host_addr = HOST(0x100 + i);
		unmaps[i].handle = maps[i].status == GNTST_okay ? maps[i].handle : ~0U;
	}
	rc = hypercall(GNTOP, GNTTABOP_unmap_grant_ref, unmaps, 128);
	for (unsigned int i = 0; i < 128; i++)
		bad += unmaps[i].status != GNTST_okay;
	checkf("128 unmaps in one call", rc == 0 && bad == 0, "rc 0, all okay", "rc %ld, %u not okay", rc, bad);
}

static void copy_cases(void)
{
	fill_page(VICTIM(23), 0);
	check("copy between two frames of its own", copy1(VICTIM(16) >> 12, DOMID_SELF, 0, VICTIM(23) >> 12,
							   DOMID_SELF, 0, 4096, 0), GNTST_okay);
	check("the copied page arrived", page_has(VICTIM(23), 0x16), 1);
	check("copy of 4096 bytes from offset 1", copy1(VICTIM(16) >> 12, DOMID_SELF, 1, VICTIM(23) >> 12,
							 DOMID_SELF, 0, 4096, 0), GNTST_bad_copy_arg);
	check("copy of 2 bytes to offset 4095", copy1(VICTIM(16) >> 12, DOMID_SELF, 0, VICTIM(23) >> 12,
						       DOMID_SELF, 4095, 2, 0), GNTST_bad_copy_arg);
	check("copy of 0 bytes", copy1(VICTIM(16) >> 12, DOMID_SELF, 0, VICTIM(23) >> 12, DOMID_SELF, 0, 0, 0),
	      GNTST_okay);
	check("copy from dom0's memory by frame", copy1(0x40000, 0, 0, VICTIM(23) >> 12, DOMID_SELF, 0, 8, 0),
	      GNTST_permission_denied);
	check("copy into dom0's memory by frame", copy1(VICTIM(16) >> 12, DOMID_SELF, 0, 0x40000, 0, 0, 8, 0),
	      GNTST_permission_denied);
	check("copy from a frame with no memory", copy1(NOWHERE >> 12, DOMID_SELF, 0, VICTIM(23) >> 12,
							 DOMID_SELF, 0, 8, 0), GNTST_bad_page);
	check("copy from its own grant", copy1(REF_RW, env.domid, 0, VICTIM(23) >> 12, DOMID_SELF, 0, 4096,
					       GNTCOPY_source_gref), GNTST_okay);
	check("copy from grant ref 5000", copy1(5000, env.domid, 0, VICTIM(23) >> 12, DOMID_SELF, 0, 8,
						GNTCOPY_source_gref), GNTST_bad_gntref);
	check("copy into a read-only grant", copy1(VICTIM(16) >> 12, DOMID_SELF, 0, REF_RO, env.domid, 0, 8,
						   GNTCOPY_dest_gref), GNTST_general_error);
	check("copy from our grant to dom0", copy1(REF_DOM0, env.domid, 0, VICTIM(23) >> 12, DOMID_SELF, 0, 8,
						   GNTCOPY_source_gref), GNTST_general_error);
	check("copy from a grant of a domain nobody has", copy1(REF_RW, NOBODY, 0, VICTIM(23) >> 12, DOMID_SELF,
								 0, 8, GNTCOPY_source_gref), GNTST_bad_domain);
	/* Three in one call, the middle one bad: each gets its own status. */
	mem_set(copies, 0, sizeof(copies));
	for (int i = 0; i < 3; i++) {
		copies[i].source.u.gmfn = VICTIM(16) >> 12;
		copies[i].source.domid = DOMID_SELF;
		copies[i].dest.u.gmfn = VICTIM(23) >> 12;
		copies[i].dest.domid = DOMID_SELF;
		copies[i].len = 64;
	}
	copies[1].source.offset = 4090;
	check("copy batch of three, the middle one out of its page",
	      hypercall(GNTOP, GNTTABOP_copy, copies, 3), 0);
	checkf("copy batch statuses", copies[0].status == 0 && copies[1].status == GNTST_bad_copy_arg &&
	       copies[2].status == 0, "0, -10, 0", "%d, %d, %d", copies[0].status, copies[1].status,
	       copies[2].status);
	check("copy of 1000 elements from NULL", hypercall(GNTOP, GNTTABOP_copy, 0, 1000), -EFAULT);
}

static void other_op_cases(void)
{
	static struct gnttab_set_version sv;
	static struct gnttab_get_version gv;
	static struct gnttab_setup_table st;
	static struct gnttab_get_status_frames gs;
	static struct gnttab_swap_grant_ref sw;
	static struct gnttab_transfer tr;
	static struct gnttab_cache_flush cf;
	static u64 frames[4];

	sv.version = 2;
	check("set_version 2 (Arm has only v1)", hypercall(GNTOP, GNTTABOP_set_version, &sv, 1), -ENOSYS);
	sv.version = 3;
	check("set_version 3", hypercall(GNTOP, GNTTABOP_set_version, &sv, 1), -EINVAL);
	sv.version = 1;
	check("set_version 1 (what it is)", hypercall(GNTOP, GNTTABOP_set_version, &sv, 1), 0);
	check("set_version 1 with count 0 (the count is not read)", hypercall(GNTOP, GNTTABOP_set_version, &sv, 0),
	      0);
	gv.dom = DOMID_SELF;
	check("get_version of itself", hypercall(GNTOP, GNTTABOP_get_version, &gv, 1), 0);
	check("get_version of itself reads 1", gv.version, 1);
	gv.dom = 0;
	check("get_version of dom0", hypercall(GNTOP, GNTTABOP_get_version, &gv, 1), -EPERM);
	gv.dom = NOBODY;
	check("get_version of a domain nobody has", hypercall(GNTOP, GNTTABOP_get_version, &gv, 1), -ESRCH);

	st.dom = DOMID_SELF;
	st.nr_frames = 1000;
	st.frame_list = (u64)frames;
	check_st("setup_table of 1000 frames (status)", hypercall(GNTOP, GNTTABOP_setup_table, &st, 1), st.status,
		 GNTST_general_error);
	st.nr_frames = 1;
	st.dom = 0;
	check_st("setup_table of dom0 (status)", hypercall(GNTOP, GNTTABOP_setup_table, &st, 1), st.status,
		 GNTST_permission_denied);
	check("setup_table with count 2", hypercall(GNTOP, GNTTABOP_setup_table, &st, 2), -EINVAL);
	{
		long rc;

		st.dom = DOMID_SELF;
		frames[0] = 0;
		rc = hypercall(GNTOP, GNTTABOP_setup_table, &st, 1);
		checkf("setup_table of 1 frame names where frame 0 is", !rc && st.status == 0 &&
		       frames[0] == GNTTAB_GFN, "okay, 0x38000", "rc %ld, status %d, frame %lx", rc, st.status,
		       frames[0]);
	}
	gs.dom = DOMID_SELF;
	gs.nr_frames = 1;
	gs.frame_list = (u64)frames;
	check_st("get_status_frames of a v1 table (status)", hypercall(GNTOP, GNTTABOP_get_status_frames, &gs, 1),
		 gs.status, GNTST_general_error);

	tr.mfn = VICTIM(24) >> 12;
	tr.domid = 0;
	tr.ref = 8;
	check("transfer of a page to dom0 (no transfer on Arm)", hypercall(GNTOP, GNTTABOP_transfer, &tr, 1),
	      -EOPNOTSUPP);
	check("dump_table (gone in 4.17)", hypercall(GNTOP, GNTTABOP_dump_table, frames, 1), -ENOSYS);

	grant_own(REF_SWAP_A, VICTIM(25) >> 12, 0);
	grant_own(REF_SWAP_B, VICTIM(26) >> 12, GTF_readonly);
	sw.ref_a = REF_SWAP_A;
	sw.ref_b = 5000;
	check_st("swap_grant_ref with ref 5000 (status)", hypercall(GNTOP, GNTTABOP_swap_grant_ref, &sw, 1),
		 sw.status, GNTST_bad_gntref);
	sw.ref_b = REF_SWAP_A;
	check_st("swap_grant_ref of a ref with itself (status)", hypercall(GNTOP, GNTTABOP_swap_grant_ref, &sw, 1),
		 sw.status, GNTST_okay);
	sw.ref_b = REF_SWAP_B;
	sw.status = 0x7777;
	hypercall(GNTOP, GNTTABOP_swap_grant_ref, &sw, 1);
	checkf("swap_grant_ref swaps the two entries", sw.status == 0 &&
	       gnttab_entries()[REF_SWAP_A].frame == (VICTIM(26) >> 12) &&
	       gnttab_entries()[REF_SWAP_B].frame == (VICTIM(25) >> 12), "okay, frames swapped",
	       "status %d, frames %x %x", sw.status, gnttab_entries()[REF_SWAP_A].frame,
	       gnttab_entries()[REF_SWAP_B].frame);
	{
		u32 h;

		/* REF_SWAP_A is the writable one now, if the swap happened; map whichever is. */
		u32 rw = gnttab_entries()[REF_SWAP_A].flags & GTF_readonly ? REF_SWAP_B : REF_SWAP_A;

		if (grant_map(rw, env.domid, GNTMAP_host_map, HOST(4), &h) == GNTST_okay) {
			check_st("swap_grant_ref of a mapped grant (status)",
				 hypercall(GNTOP, GNTTABOP_swap_grant_ref, &sw, 1), sw.status, GNTST_eagain);
			grant_unmap(h, HOST(4));
		} else {
			check("swap_grant_ref of a mapped grant: the map", -1, 0);
		}
	}

	mem_set(&cf, 0, sizeof(cf));
	check("cache_flush of nothing (Linux's probe)", hypercall(GNTOP, GNTTABOP_cache_flush, &cf, 1), 0);
	cf.op = 1U << 4;
	cf.length = 16;
	check("cache_flush with an unknown op bit", hypercall(GNTOP, GNTTABOP_cache_flush, &cf, 1), -EINVAL);
	cf.op = GNTTAB_CACHE_SOURCE_GREF | GNTTAB_CACHE_CLEAN;
	check("cache_flush by grant ref", hypercall(GNTOP, GNTTABOP_cache_flush, &cf, 1), -EINVAL);
	cf.op = GNTTAB_CACHE_CLEAN;
	cf.length = 4097;
	check("cache_flush of 4097 bytes", hypercall(GNTOP, GNTTABOP_cache_flush, &cf, 1), -EINVAL);
	cf.offset = 4000;
	cf.length = 200;
	check("cache_flush across the end of the page", hypercall(GNTOP, GNTTABOP_cache_flush, &cf, 1), -EINVAL);
	cf.offset = 0;
	cf.length = 16;
	cf.a.dev_bus_addr = 1UL << 52;
	check("cache_flush of a machine address that is no memory",
	      hypercall(GNTOP, GNTTABOP_cache_flush, &cf, 1), -EINVAL);
}

void cases_grant(void)
{
	setup_cases();
	map_cases();
	pin_cases();
	copy_cases();
	other_op_cases();
}
