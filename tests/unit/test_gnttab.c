// SOURCES: hyp/core/gnttab.c tests/unit/support.c
/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the grant tables. Three domains (d0 privileged) each have a
 * fake p2m: gfns 0..7 are RAM pages from aligned_alloc, whose "physical"
 * address is the host pointer (as mm.h's identity pa_to_va assumes), the rest
 * are holes. Every case starts from fresh tables and ends by destroying them
 * and checking that every page gnttab.c allocated came back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/gnttab.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/printk.h>

#include "support.h"
#include <public/grant_table.h>

/* ---- fakes for what gnttab.c calls ---- */
#define NR_DOMS 3
#define RAM_GFNS 8
#define FAKE_GFNS 20000 /* gfns at or above are outside the guest-physical space */
#define MAX_FRAMES 4

struct slot {
	paddr_t pa;
	enum p2m_type type;
};

struct fake_p2m {
	struct slot low[FAKE_GFNS];
	u64 high_gfn; /* one extra slot above FAKE_GFNS: an identity-mapped page */
	struct slot high;
};

static struct domain doms[NR_DOMS];
static struct vcpu vcpus[NR_DOMS];
static bool registered[NR_DOMS];
static struct fake_p2m *p2ms[NR_DOMS];
static u8 *ram[NR_DOMS][RAM_GFNS];
/* Flags of up to two entries as seen when a copy touches frame memory. */
static struct grant_entry_v1 *watch[2];
static u16 watched[2];
static struct {
	int calls;
	void *va;
	u64 len;
	bool clean, inval;
} flush;

static struct slot *slot(struct domain *d, u64 gfn)
{
	struct fake_p2m *p = p2ms[d->id];

	if (gfn < FAKE_GFNS)
		return &p->low[gfn];
	return gfn == p->high_gfn ? &p->high : NULL;
}

int p2m_lookup(struct domain *d, u64 gfn, paddr_t *pa, enum p2m_type *type)
{
	struct slot *s = slot(d, gfn);

	if (!s || s->type == P2M_NONE) {
		*type = P2M_NONE;
		return -ENOENT;
	}
	*pa = s->pa;
	*type = s->type;
	return 0;
}

int p2m_map_page(struct domain *d, u64 gfn, paddr_t pa, enum p2m_type type)
{
	struct slot *s = slot(d, gfn);

	if (!s)
		return -EINVAL;
	if (s->type != P2M_NONE)
		return -EEXIST;
	s->pa = pa;
	s->type = type;
	return 0;
}

int p2m_unmap_page(struct domain *d, u64 gfn)
{
	struct slot *s = slot(d, gfn);

	if (!s || s->type == P2M_NONE)
		return -ENOENT;
	s->type = P2M_NONE;
	return 0;
}

int p2m_unmap_foreign(struct domain *d, u64 gfn, paddr_t pa)
{
	struct slot *s = slot(d, gfn);

	if (!s || pa_addr(s->pa) != pa_addr(pa) ||
	    (s->type != P2M_FOREIGN_RO && s->type != P2M_FOREIGN_RW))
		return -ENOENT;
	s->type = P2M_NONE;
	return 0;
}

/* Frames pinned through p2m_own_ram and not yet unpinned (mm.c's pins, counted here). */
static int pinned_frames;

int p2m_own_ram(struct domain *d, u64 gfn, paddr_t *pa, bool pin)
{
	enum p2m_type type;

	if (p2m_lookup(d, gfn, pa, &type) || type != P2M_RAM)
		return -EINVAL;
	if (pin)
		pinned_frames++;
	return 0;
}

void mm_frame_unpin(paddr_t pa)
{
	pinned_frames--;
}

/* Which frames dirty logging heard of (gnttab.c calls it for logging granters). */
static struct {
	domid_t dom;
	u64 gfn;
	int calls;
} dirtied;

int p2m_set_dirty(struct domain *d, u64 gfn)
{
	dirtied.dom = d->id;
	dirtied.gfn = gfn;
	dirtied.calls++;
	return 0;
}

void *p2m_frame_va(paddr_t pa)
{
	for (int i = 0; i < 2; i++)
		if (watch[i])
			watched[i] = watch[i]->flags;
	return pa_to_va(pa);
}

struct domain *domain_by_id(domid_t id)
{
	return id < NR_DOMS && registered[id] ? &doms[id] : NULL;
}

/* Guest pointers are host pointers here; 0 is unmapped. */
int copy_to_guest(struct vcpu *v, vaddr_t dst, const void *src, u64 len)
{
	if (!dst)
		return -EFAULT;
	memcpy((void *)(uintptr_t)dst, src, len);
	return 0;
}

void arch_cache_maintain(void *va, u64 len, bool clean, bool invalidate)
{
	flush.calls++;
	flush.va = va;
	flush.len = len;
	flush.clean = clean;
	flush.inval = invalidate;
}

/* ---- the world: three domains with tables of MAX_FRAMES frames ---- */

static void world_up(void)
{
	memset(doms, 0, sizeof(doms));
	memset(watch, 0, sizeof(watch));
	memset(&flush, 0, sizeof(flush));
	support_reset();
	support_pages_held = 0; /* a failed case before may have left some */
	for (int i = 0; i < NR_DOMS; i++) {
		doms[i].id = i;
		doms[i].privileged = i == 0;
		vcpus[i].dom = &doms[i];
		registered[i] = true;
		p2ms[i] = calloc(1, sizeof(struct fake_p2m));
		p2ms[i]->high_gfn = ~0ULL;
		for (int g = 0; g < RAM_GFNS; g++) {
			ram[i][g] = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
			memset(ram[i][g], 0x10 * i + g, PAGE_SIZE);
			p2ms[i]->low[g] = (struct slot){ va_to_pa(ram[i][g]), P2M_RAM };
		}
		assert_int_equal(gnttab_domain_init(&doms[i], MAX_FRAMES), 0);
	}
}

/* What domain_destroy does with the table: release, and free once nothing pins it. */
static void destroy(struct domain *d)
{
	if (gnttab_domain_release(d) == 0)
		gnttab_domain_free(d);
}

static void world_down(void)
{
	/* Twice: a granter's table outlives the first pass while a mapper pins it. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < NR_DOMS; i++)
			destroy(&doms[i]);
	for (int i = 0; i < NR_DOMS; i++) {
		assert_null(doms[i].gnttab);
		for (int g = 0; g < RAM_GFNS; g++)
			free(ram[i][g]);
		free(p2ms[i]);
	}
	assert_int_equal(support_pages_held, 0);
}

static int setup(void **state)
{
	world_up();
	return 0;
}

static int teardown(void **state)
{
	world_down();
	return 0;
}

/* The machine address of domain d's page at gfn, as a number (what dev_bus_addr holds). */
static u64 ram_pa(int d, int gfn)
{
	return (uintptr_t)ram[d][gfn];
}

static struct grant_entry_v1 *gent(int d, grant_ref_t ref)
{
	paddr_t pa;

	assert_int_equal(gnttab_get_frame(&doms[d], ref / 512, &pa), 0);
	return (struct grant_entry_v1 *)pa_to_va(pa) + ref % 512;
}

static void grant(int granter, grant_ref_t ref, domid_t to, u32 frame, u16 flags)
{
	struct grant_entry_v1 *e = gent(granter, ref);

	e->domid = to;
	e->frame = frame;
	e->flags = flags;
}

#define HA(gfn) ((u64)(gfn) << PAGE_SHIFT)
#define RW GNTMAP_host_map
#define RO (GNTMAP_host_map | GNTMAP_readonly)
#define PA GTF_permit_access
#define PIN_BITS (GTF_reading | GTF_writing)

static s16 map(int mapper, domid_t dom, grant_ref_t ref, u32 flags, u64 host_addr,
	       struct gnttab_map_grant_ref *out)
{
	struct gnttab_map_grant_ref op = { .host_addr = host_addr, .flags = flags, .ref = ref,
					   .dom = dom, .status = 99 };

	assert_int_equal(gnttab_op(&vcpus[mapper], GNTTABOP_map_grant_ref, &op), 0);
	if (out)
		*out = op;
	return op.status;
}

static s16 unmap(int mapper, grant_handle_t handle, u64 host_addr)
{
	struct gnttab_unmap_grant_ref op = { .host_addr = host_addr, .handle = handle,
					     .status = 99 };

	assert_int_equal(gnttab_op(&vcpus[mapper], GNTTABOP_unmap_grant_ref, &op), 0);
	return op.status;
}

/* Short names for the tables of cases. */
#define OK GNTST_okay
#define GENERAL GNTST_general_error
#define BAD_REF GNTST_bad_gntref
#define BAD_PAGE GNTST_bad_page
#define BAD_ARG GNTST_bad_copy_arg
#define AT HA(0x100)

#define CHECK(cond, what)                                                          \
	do {                                                                       \
		if (!(cond))                                                       \
			fail_msg("%s: %s (line %d)", (what), #cond, __LINE__);   \
	} while (0)

/* ---- map_grant_ref ---- */

/* d1 writes entry `ref` (ref 5 unless the case names another) and `mapper` maps it. */
static const struct map_case {
	const char *what;
	int mapper;
	u16 gflags;
	domid_t gdom;
	u32 gframe;
	domid_t dom;
	grant_ref_t ref;
	u32 flags;
	u64 host_addr;
	s16 status;
} map_cases[] = {
	{ "writable map", 0, PA, 0, 2, 1, 5, RW, AT, OK },
	{ "read-only map", 0, PA, 0, 2, 1, 5, RO, AT, OK },
	{ "read-only map of a read-only grant", 0, PA | GTF_readonly, 0, 2, 1, 5, RO, AT, OK },
	{ "writable map of a read-only grant", 0, PA | GTF_readonly, 0, 2, 1, 5, RW, AT, GENERAL },
	{ "ref 0", 0, PA, 0, 2, 1, 0, RW, AT, OK },
	{ "last ref of the first frame", 0, PA, 0, 2, 1, 511, RW, AT, OK },
	{ "first ref past the table", 0, PA, 0, 2, 1, 512, RW, AT, BAD_REF },
	{ "ref 0xffffffff", 0, PA, 0, 2, 1, 0xffffffff, RW, AT, BAD_REF },
	{ "granted to another domain", 0, PA, 2, 2, 1, 5, RW, AT, GENERAL },
	{ "granted to dom0, mapped by d2", 2, PA, 0, 2, 1, 5, RW, AT, GENERAL },
	{ "revoked entry (flags 0)", 0, 0, 0, 2, 1, 5, RO, AT, GENERAL },
	{ "accept_transfer entry", 0, GTF_accept_transfer, 0, 2, 1, 5, RW, AT, GENERAL },
	{ "transitive entry", 0, GTF_transitive, 0, 2, 1, 5, RW, AT, GENERAL },
	{ "sub_page entry", 0, PA | GTF_sub_page, 0, 2, 1, 5, RO, AT, GENERAL },
	{ "frame is a hole", 0, PA, 0, 0x200, 1, 5, RW, AT, BAD_PAGE },
	{ "frame beyond the p2m", 0, PA, 0, 0xffffffff, 1, 5, RW, AT, BAD_PAGE },
	{ "frame is itself a foreign mapping", 0, PA, 0, 0x300, 1, 5, RW, AT, BAD_PAGE },
	{ "frame is a shared hypervisor page", 0, PA, 0, 0x301, 1, 5, RW, AT, BAD_PAGE },
	{ "no map flags", 0, PA, 0, 2, 1, 5, 0, AT, BAD_REF },
	{ "readonly without host_map", 0, PA, 0, 2, 1, 5, GNTMAP_readonly, AT, BAD_REF },
	{ "device_map", 0, PA, 0, 2, 1, 5, GNTMAP_device_map, AT, GENERAL },
	{ "device_map | host_map", 0, PA, 0, 2, 1, 5, GNTMAP_device_map | RW, AT, GENERAL },
	{ "application_map", 0, PA, 0, 2, 1, 5, GNTMAP_application_map | RW, AT, GENERAL },
	{ "contains_pte", 0, PA, 0, 2, 1, 5, GNTMAP_contains_pte | RW, AT, GENERAL },
	{ "guest-available bits", 0, PA, 0, 2, 1, 5, RW | (1U << 16), AT, GENERAL },
	{ "unaligned host_addr", 0, PA, 0, 2, 1, 5, RW, AT + 8, GENERAL },
	{ "host_addr over the mapper's RAM", 0, PA, 0, 2, 1, 5, RW, HA(1), GENERAL },
	{ "host_addr beyond the p2m", 0, PA, 0, 2, 1, 5, RW, HA(FAKE_GFNS), GENERAL },
	{ "host_addr at the top of the IPA space", 0, PA, 0, 2, 1, 5, RO, PAGE_MASK, GENERAL },
	{ "unknown domain", 0, PA, 0, 2, 7, 5, RW, AT, GNTST_bad_domain },
	{ "DOMID_IO", 0, PA, 0, 2, DOMID_IO, 5, RW, AT, GNTST_bad_domain },
	{ "own grant through DOMID_SELF (Xen maps by id only)", 1, PA, 1, 2, DOMID_SELF, 5, RW, AT,
	  GNTST_bad_domain },
	{ "own grant through own id", 1, PA, 1, 2, 1, 5, RO, AT, OK },
};

static void test_map_cases(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(map_cases); i++) {
		const struct map_case *c = &map_cases[i];
		grant_ref_t ref = c->ref < 512 ? c->ref : 5;
		struct gnttab_map_grant_ref op;
		struct grant_entry_v1 *e;
		struct slot before, *s;

		world_up();
		grant(1, ref, c->gdom, c->gframe, c->gflags);
		e = gent(1, ref);
		p2ms[1]->low[0x300] = (struct slot){ pa_init(ram_pa(2, 0)), P2M_FOREIGN_RW };
		p2ms[1]->low[0x301] = (struct slot){ pa_init(ram_pa(2, 1)), P2M_SHARED };
		s = slot(&doms[c->mapper], c->host_addr >> PAGE_SHIFT);
		before = s ? *s : (struct slot){ 0 };

		CHECK(map(c->mapper, c->dom, c->ref, c->flags, c->host_addr, &op) == c->status,
		      c->what);
		if (c->status == GNTST_okay) {
			bool ro = c->flags & GNTMAP_readonly;

			CHECK(s->type == (ro ? P2M_FOREIGN_RO : P2M_FOREIGN_RW), c->what);
			CHECK(pa_addr(s->pa) == ram_pa(1, c->gframe) && op.dev_bus_addr == pa_addr(s->pa),
		      c->what);
			CHECK(e->flags == (c->gflags | GTF_reading | (ro ? 0 : GTF_writing)),
			      c->what);
			CHECK(unmap(c->mapper, op.handle, c->host_addr) == GNTST_okay, c->what);
			CHECK(s->type == P2M_NONE, c->what);
		}
		/* Refused or undone: nothing of the attempt is left anywhere. */
		CHECK(e->flags == c->gflags, c->what);
		CHECK(!s || s->type == before.type, c->what);
		CHECK(!s || s->type == P2M_NONE || pa_addr(s->pa) == pa_addr(before.pa), c->what);
		world_down();
	}
}

/* ---- unmap_grant_ref ---- */

#define H_MAPPED 0xfffffff0U /* the handle the case's map returned */
#define H_NEXT 0xfffffff1U /* that handle + 1: allocated, never used */

static const struct unmap_case {
	const char *what;
	u32 handle;
	u64 host_addr;
	s16 status;
} unmap_cases[] = {
	{ "the mapping's handle and address", H_MAPPED, HA(0x100), GNTST_okay },
	{ "host_addr 0: whatever the handle maps", H_MAPPED, 0, GNTST_okay },
	{ "another address", H_MAPPED, HA(0x101), GNTST_general_error },
	{ "an address inside the page", H_MAPPED, HA(0x100) + 1, GNTST_general_error },
	{ "a free handle in an allocated chunk", H_NEXT, HA(0x100), GNTST_bad_handle },
	{ "a handle past the allocated chunks", 128, 0, GNTST_bad_handle },
	{ "handle GNTTAB_MAX_HANDLES", GNTTAB_MAX_HANDLES, 0, GNTST_bad_handle },
	{ "handle 0xffffffff", 0xffffffff, 0, GNTST_bad_handle },
};

static void test_unmap_cases(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(unmap_cases); i++) {
		const struct unmap_case *c = &unmap_cases[i];
		struct gnttab_map_grant_ref op;
		u32 h;

		world_up();
		grant(1, 5, 0, 2, PA);
		CHECK(map(0, 1, 5, RW, HA(0x100), &op) == GNTST_okay, c->what);
		h = c->handle == H_MAPPED ? op.handle
		    : c->handle == H_NEXT ? op.handle + 1
					  : c->handle;
		CHECK(unmap(0, h, c->host_addr) == c->status, c->what);
		if (c->status == GNTST_okay) {
			CHECK(p2ms[0]->low[0x100].type == P2M_NONE, c->what);
			CHECK(gent(1, 5)->flags == PA, c->what);
		} else {
			CHECK(p2ms[0]->low[0x100].type == P2M_FOREIGN_RW, c->what);
			CHECK(gent(1, 5)->flags == (PA | PIN_BITS), c->what);
		}
		world_down();
	}
}

static void test_double_unmap_and_stale_handles(void **state)
{
	struct gnttab_map_grant_ref a, b;

	grant(1, 5, 0, 2, PA);
	assert_int_equal(map(0, 1, 5, RW, HA(0x100), &a), GNTST_okay);
	assert_int_equal(unmap(0, a.handle, HA(0x100)), GNTST_okay);
	assert_int_equal(unmap(0, a.handle, HA(0x100)), GNTST_bad_handle);
	/* Freed handles go to the back of the queue: a stale one stays invalid. */
	assert_int_equal(map(0, 1, 5, RW, HA(0x101), &b), GNTST_okay);
	assert_int_not_equal(b.handle, a.handle);
	assert_int_equal(unmap(0, a.handle, 0), GNTST_bad_handle);
	assert_int_equal(p2ms[0]->low[0x101].type, P2M_FOREIGN_RW);
	/* Another domain's handle means nothing to d2. */
	assert_int_equal(unmap(2, b.handle, 0), GNTST_bad_handle);
	assert_int_equal(unmap(0, b.handle, 0), GNTST_okay);
}

/* The granter's side, as Linux's gnttab_end_foreign_access_ref_v1 does it. */
static bool revoke(struct grant_entry_v1 *e)
{
	u16 flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);

	if (flags & PIN_BITS)
		return false;
	return __atomic_compare_exchange_n(&e->flags, &flags, 0, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_RELAXED);
}

static void test_reading_writing_follow_the_pins(void **state)
{
	struct gnttab_map_grant_ref r, w;
	struct grant_entry_v1 *e = gent(1, 5);

	grant(1, 5, 0, 2, PA);
	assert_int_equal(map(0, 1, 5, RO, HA(0x100), &r), GNTST_okay);
	assert_int_equal(e->flags, PA | GTF_reading);
	assert_int_equal(map(0, 1, 5, RW, HA(0x101), &w), GNTST_okay);
	assert_int_equal(e->flags, PA | GTF_reading | GTF_writing);
	assert_int_equal(r.dev_bus_addr, w.dev_bus_addr);
	assert_false(revoke(e));
	assert_int_equal(unmap(0, w.handle, HA(0x101)), GNTST_okay);
	assert_int_equal(e->flags, PA | GTF_reading);
	assert_false(revoke(e));
	assert_int_equal(unmap(0, r.handle, HA(0x100)), GNTST_okay);
	assert_int_equal(e->flags, PA);
	assert_true(revoke(e));
	assert_int_equal(map(0, 1, 5, RO, HA(0x100), NULL), GNTST_general_error);
	assert_int_equal(e->flags, 0);
}

static void test_pinned_grant_keeps_its_grantee_and_frame(void **state)
{
	struct gnttab_map_grant_ref a, b;
	struct grant_entry_v1 *e = gent(1, 5);

	grant(1, 5, 0, 2, PA);
	assert_int_equal(map(0, 1, 5, RO, HA(0x100), &a), GNTST_okay);
	/* A misbehaving granter rewrites the pinned entry: the pin's values hold. */
	e->domid = 2;
	e->frame = 3;
	assert_int_equal(map(2, 1, 5, RO, HA(0x100), NULL), GNTST_general_error);
	assert_int_equal(map(0, 1, 5, RO, HA(0x101), &b), GNTST_okay);
	assert_int_equal(b.dev_bus_addr, ram_pa(1, 2));
	/* Upgrading to writable re-reads GTF_readonly. */
	e->flags |= GTF_readonly;
	assert_int_equal(map(0, 1, 5, RW, HA(0x102), NULL), GNTST_general_error);
	assert_int_equal(e->flags, PA | GTF_readonly | GTF_reading);
	assert_int_equal(p2ms[0]->low[0x102].type, P2M_NONE);
	assert_int_equal(unmap(0, a.handle, 0), GNTST_okay);
	assert_int_equal(unmap(0, b.handle, 0), GNTST_okay);
	assert_int_equal(e->flags, PA | GTF_readonly);
}

/*
 * Something else put where a grant was mapped (shared_info, as Xen allows):
 * the unmap fails as Xen's (arch/arm/mm.c replace_grant_host_mapping), the
 * pin stays, and the mapper's end releases it without touching what is there.
 */
static void test_unmap_leaves_what_replaced_the_mapping(void **state)
{
	struct gnttab_map_grant_ref a;

	grant(1, 5, 0, 2, PA);
	assert_int_equal(map(0, 1, 5, RW, HA(0x100), &a), GNTST_okay);
	p2ms[0]->low[0x100] = (struct slot){ pa_init(ram_pa(0, 7)), P2M_SHARED };
	assert_int_equal(unmap(0, a.handle, 0), GNTST_general_error);
	assert_int_equal(unmap(0, a.handle, 0), GNTST_general_error);
	assert_int_equal(gent(1, 5)->flags, PA | PIN_BITS);
	assert_int_equal(gnttab_domain_release(&doms[0]), 0);
	assert_int_equal(p2ms[0]->low[0x100].type, P2M_SHARED);
	assert_int_equal(gent(1, 5)->flags, PA);
}

static void test_maptrack_grows_to_its_limit(void **state)
{
	static struct gnttab_map_grant_ref ops[GNTTAB_MAX_HANDLES];

	/* 128 pins a grant at most: so many grants, 128 maps each */
	for (u32 r = 8; r < 8 + GNTTAB_MAX_HANDLES / 128; r++)
		grant(1, r, 0, 2, PA);
	for (u32 i = 0; i < GNTTAB_MAX_HANDLES; i++)
		if (map(0, 1, 8 + i / 128, RO, HA(0x100 + i), &ops[i]) != GNTST_okay)
			fail_msg("map %u failed", i);
	grant(1, 5, 0, 2, PA);
	assert_int_equal(map(0, 1, 5, RO, HA(0x100 + GNTTAB_MAX_HANDLES), NULL), GNTST_no_space);
	assert_int_equal(p2ms[0]->low[0x100 + GNTTAB_MAX_HANDLES].type, P2M_NONE);
	for (u32 i = 0; i < GNTTAB_MAX_HANDLES; i++)
		if (unmap(0, ops[i].handle, 0) != GNTST_okay)
			fail_msg("unmap %u failed", i);
	assert_int_equal(gent(1, 8)->flags, PA);
}

/* Xen's pin counters are 8 bits with an overflow guard (common/grant_table.c): 128 of each kind. */
static void test_a_grant_takes_128_pins_of_each_kind(void **state)
{
	static struct gnttab_map_grant_ref ops[129];
	struct gnttab_copy c = { .source = { .u.ref = 5, .domid = 1 },
				 .dest = { .u.gmfn = 3, .domid = DOMID_SELF }, .len = 8,
				 .flags = GNTCOPY_source_gref };

	grant(1, 5, 0, 2, PA);
	for (u32 i = 0; i < 128; i++)
		assert_int_equal(map(0, 1, 5, RO, HA(0x100 + i), &ops[i]), GNTST_okay);
	assert_int_equal(map(0, 1, 5, RO, HA(0x200), NULL), GNTST_general_error);
	assert_int_equal(gnttab_op(&vcpus[0], GNTTABOP_copy, &c), 0);
	assert_int_equal(c.status, GNTST_general_error); /* a copy from it pins for reading too */
	assert_int_equal(map(0, 1, 5, RW, HA(0x200), &ops[128]), GNTST_okay);
	assert_int_equal(unmap(0, ops[0].handle, 0), GNTST_okay);
	assert_int_equal(map(0, 1, 5, RO, HA(0x100), &ops[0]), GNTST_okay);
	for (u32 i = 0; i < 129; i++)
		assert_int_equal(unmap(0, ops[i].handle, 0), GNTST_okay);
}

/* unmap_and_replace: only new_addr 0, a plain unmap; Arm puts nothing else there. */
static void test_unmap_and_replace(void **state)
{
	struct gnttab_map_grant_ref a;
	struct gnttab_unmap_grant_ref r = { .host_addr = HA(0x100), .dev_bus_addr = HA(0x101) };

	grant(1, 5, 0, 2, PA);
	assert_int_equal(map(0, 1, 5, RW, HA(0x100), &a), GNTST_okay);
	r.handle = a.handle + 1;
	assert_int_equal(gnttab_op(&vcpus[0], GNTTABOP_unmap_and_replace, &r), 0);
	assert_int_equal(r.status, GNTST_bad_handle);
	r.handle = a.handle;
	assert_int_equal(gnttab_op(&vcpus[0], GNTTABOP_unmap_and_replace, &r), 0);
	assert_int_equal(r.status, GNTST_general_error);
	assert_int_equal(p2ms[0]->low[0x100].type, P2M_FOREIGN_RW);
	r.dev_bus_addr = 0;
	assert_int_equal(gnttab_op(&vcpus[0], GNTTABOP_unmap_and_replace, &r), 0);
	assert_int_equal(r.status, GNTST_okay);
	assert_int_equal(p2ms[0]->low[0x100].type, P2M_NONE);
	assert_int_equal(gent(1, 5)->flags, PA);
}

/* ---- copy ---- */

#define SELF DOMID_SELF
#define SG GNTCOPY_source_gref
#define DG GNTCOPY_dest_gref

/*
 * d1: ref 5 -> frame 2 and ref 6 -> frame 3 (read-only) granted to d0; ref 9
 * revoked. d2: ref 7 -> frame 4 granted to d0, ref 8 -> frame 5 granted to d1.
 * d0 copies.
 */
static const struct copy_case {
	const char *what;
	u16 flags;
	u64 src; /* ref or gmfn */
	domid_t sdom;
	u16 soff;
	u64 dst;
	domid_t ddom;
	u16 doff;
	u16 len;
	s16 status;
} copy_cases[] = {
	{ "gref to gref between two domains", SG | DG, 5, 1, 0, 7, 2, 0, 4096, OK },
	{ "own frame to gref", DG, 1, SELF, 100, 7, 2, 200, 300, OK },
	{ "gref to own frame", SG, 5, 1, 0, 1, SELF, 0, 128, OK },
	{ "from a read-only grant", SG, 6, 1, 8, 1, SELF, 0, 64, OK },
	{ "into a read-only grant", DG, 1, SELF, 0, 6, 1, 0, 64, GENERAL },
	{ "source offset 4095 len 2", SG | DG, 5, 1, 4095, 7, 2, 0, 2, BAD_ARG },
	{ "dest offset 4095 len 2", SG | DG, 5, 1, 0, 7, 2, 4095, 2, BAD_ARG },
	{ "offset 4095 len 1", SG | DG, 5, 1, 4095, 7, 2, 4095, 1, OK },
	{ "len 0", SG | DG, 5, 1, 4095, 7, 2, 4095, 0, OK },
	{ "offsets and len 0xffff", SG | DG, 5, 1, 0xffff, 7, 2, 0xffff, 0xffff, BAD_ARG },
	{ "len 4097", 0, 1, SELF, 0, 2, SELF, 0, 4097, BAD_ARG },
	{ "own frame named by own id", 0, 1, 0, 0, 2, SELF, 0, 8, GNTST_permission_denied },
	{ "another domain's frame by number", 0, 1, 1, 0, 2, SELF, 0, 8, GNTST_permission_denied },
	{ "own hole", 0, 0x200, SELF, 0, 2, SELF, 0, 8, BAD_PAGE },
	{ "own gmfn far beyond the p2m", 0, 0xffffffffffffULL, SELF, 0, 2, SELF, 0, 8, BAD_PAGE },
	{ "dest gmfn a hole", 0, 1, SELF, 0, 0x200, SELF, 0, 8, BAD_PAGE },
	{ "ref past the table", SG, 512, 1, 0, 1, SELF, 0, 8, BAD_REF },
	{ "ref 0xffffffff", DG, 1, SELF, 0, 0xffffffff, 2, 0, 8, BAD_REF },
	{ "unknown domain", SG, 5, 9, 0, 1, SELF, 0, 8, GNTST_bad_domain },
	{ "grant to someone else", SG, 8, 2, 0, 1, SELF, 0, 8, GENERAL },
	{ "revoked grant", SG, 9, 1, 0, 1, SELF, 0, 8, GENERAL },
	{ "within one own frame, overlapping", 0, 1, SELF, 0, 1, SELF, 1, 100, OK },
	{ "within one grant, read and write", SG | DG, 5, 1, 0, 5, 1, 2048, 2048, OK },
};

static u8 *copy_va(u16 flags, u16 gref_flag, u64 x, domid_t dom)
{
	if (!(flags & gref_flag))
		return ram[0][x];
	return ram[dom][gent(dom, x)->frame];
}

static void test_copy_cases(void **state)
{
	static u8 expect[2 * PAGE_SIZE];

	for (size_t i = 0; i < ARRAY_SIZE(copy_cases); i++) {
		const struct copy_case *c = &copy_cases[i];
		struct gnttab_copy op = {
			.source = { .domid = c->sdom, .offset = c->soff },
			.dest = { .domid = c->ddom, .offset = c->doff },
			.len = c->len, .flags = c->flags, .status = 99,
		};
		u8 *s, *d;

		world_up();
		grant(1, 5, 0, 2, PA);
		grant(1, 6, 0, 3, PA | GTF_readonly);
		grant(1, 9, 0, 4, 0);
		grant(2, 7, 0, 4, PA);
		grant(2, 8, 1, 5, PA);
		if (c->flags & SG)
			op.source.u.ref = c->src;
		else
			op.source.u.gmfn = c->src;
		if (c->flags & DG)
			op.dest.u.ref = c->dst;
		else
			op.dest.u.gmfn = c->dst;
		for (u32 p = 0; p < PAGE_SIZE; p++)
			ram[1][2][p] = ram[0][1][p] = (u8)(p * 7);
		if (c->status == GNTST_okay) {
			s = copy_va(c->flags, SG, c->src, c->sdom == SELF ? 0 : c->sdom);
			d = copy_va(c->flags, DG, c->dst, c->ddom == SELF ? 0 : c->ddom);
			memcpy(expect, d, PAGE_SIZE);
			memmove(expect + c->doff, s + c->soff, c->len);
		}
		CHECK(gnttab_op(&vcpus[0], GNTTABOP_copy, &op) == 0, c->what);
		CHECK(op.status == c->status, c->what);
		if (c->status == GNTST_okay)
			CHECK(!memcmp(d, expect, PAGE_SIZE), c->what);
		/* Pins last only as long as the copy. */
		CHECK(gent(1, 5)->flags == PA && gent(1, 6)->flags == (PA | GTF_readonly), c->what);
		CHECK(gent(2, 7)->flags == PA && gent(2, 8)->flags == PA, c->what);
		world_down();
	}
}

static void test_copy_pins_for_its_duration(void **state)
{
	struct gnttab_copy op = {
		.source = { .u.ref = 5, .domid = 1 }, .dest = { .u.ref = 7, .domid = 2 },
		.len = 16, .flags = SG | DG,
	};

	grant(1, 5, 0, 2, PA);
	grant(2, 7, 0, 4, PA);
	watch[0] = gent(1, 5);
	watch[1] = gent(2, 7);
	assert_int_equal(gnttab_op(&vcpus[0], GNTTABOP_copy, &op), 0);
	assert_int_equal(op.status, GNTST_okay);
	assert_int_equal(watched[0], PA | GTF_reading);
	assert_int_equal(watched[1], PA | GTF_reading | GTF_writing);
	assert_int_equal(watch[0]->flags, PA);
	assert_int_equal(watch[1]->flags, PA);
	assert_memory_equal(ram[2][4], ram[1][2], 16);
}

/* ---- dirty logging: writes behind a logging domain's stage 2 ---- */

static void dirtied_reset(void)
{
	memset(&dirtied, 0, sizeof(dirtied));
	dirtied.dom = 0xffff;
	dirtied.gfn = ~0ULL;
}

static s16 copy_op(int caller, u16 flags, u64 src, domid_t sdom, u64 dst, domid_t ddom)
{
	struct gnttab_copy op = {
		.source = { .domid = sdom }, .dest = { .domid = ddom }, .len = 64, .flags = flags,
		.status = 99,
	};

	if (flags & SG)
		op.source.u.ref = src;
	else
		op.source.u.gmfn = src;
	if (flags & DG)
		op.dest.u.ref = dst;
	else
		op.dest.u.gmfn = dst;
	assert_int_equal(gnttab_op(&vcpus[caller], GNTTABOP_copy, &op), 0);
	return op.status;
}

static void test_log_dirty_a_writable_pin_ending_reports_the_granters_frame(void **state)
{
	struct gnttab_map_grant_ref a, b;
	struct grant_entry_v1 *e = gent(1, 5);

	dirtied_reset();
	doms[1].log_dirty = true;
	grant(1, 5, 0, 2, PA);
	assert_int_equal(map(0, 1, 5, RW, HA(0x100), &a), GNTST_okay);
	assert_int_equal(dirtied.calls, 0); /* written only from now on */
	/* The granter rewrites its pinned entry: the frame pinned is the one written. */
	e->frame = 3;
	assert_int_equal(unmap(0, a.handle, HA(0x100)), GNTST_okay);
	assert_int_equal(dirtied.calls, 1);
	assert_int_equal(dirtied.dom, 1);
	assert_int_equal(dirtied.gfn, 2);
	/* Each writable pin reports as it ends, while another still holds the grant. */
	e->frame = 4;
	dirtied_reset();
	assert_int_equal(map(0, 1, 5, RW, HA(0x100), &a), GNTST_okay);
	assert_int_equal(map(0, 1, 5, RW, HA(0x101), &b), GNTST_okay);
	e->frame = 6;
	assert_int_equal(unmap(0, b.handle, 0), GNTST_okay);
	assert_int_equal(dirtied.calls, 1);
	assert_int_equal(dirtied.gfn, 4);
	assert_int_equal(unmap(0, a.handle, 0), GNTST_okay);
	assert_int_equal(dirtied.calls, 2);
	assert_int_equal(dirtied.dom, 1);
	assert_int_equal(dirtied.gfn, 4);
	assert_int_equal(e->flags, PA);
}

static void test_log_dirty_a_read_only_pin_reports_nothing(void **state)
{
	struct gnttab_map_grant_ref a;

	dirtied_reset();
	doms[1].log_dirty = true;
	grant(1, 5, 0, 2, PA);
	grant(1, 6, 0, 3, PA | GTF_readonly);
	assert_int_equal(map(0, 1, 5, RO, HA(0x100), &a), GNTST_okay);
	assert_int_equal(unmap(0, a.handle, 0), GNTST_okay);
	assert_int_equal(map(0, 1, 6, RO, HA(0x100), &a), GNTST_okay);
	assert_int_equal(unmap(0, a.handle, 0), GNTST_okay);
	/* A copy from its grants into d0's own frame: d1's frames were only read. */
	assert_int_equal(copy_op(0, SG, 5, 1, 1, SELF), GNTST_okay);
	assert_int_equal(copy_op(0, SG, 6, 1, 1, SELF), GNTST_okay);
	assert_int_equal(dirtied.calls, 0);
}

static void test_log_dirty_a_copy_into_a_grant_reports_the_granters_frame(void **state)
{
	struct grant_entry_v1 *e = gent(1, 5);

	dirtied_reset();
	doms[1].log_dirty = true;
	grant(1, 5, 0, 2, PA);
	grant(1, 6, 0, 3, PA | GTF_readonly);
	assert_int_equal(copy_op(0, DG, 1, SELF, 5, 1), GNTST_okay);
	assert_int_equal(dirtied.calls, 1);
	assert_int_equal(dirtied.dom, 1);
	assert_int_equal(dirtied.gfn, 2);
	/* Grant to grant, both d1's (ref 6 read, ref 5 written): the written frame, once. */
	dirtied_reset();
	assert_int_equal(copy_op(0, SG | DG, 6, 1, 5, 1), GNTST_okay);
	assert_int_equal(dirtied.calls, 1);
	assert_int_equal(dirtied.gfn, 2);
	/* Refused (a read-only grant as the destination): nothing written, nothing said. */
	dirtied_reset();
	assert_int_equal(copy_op(0, DG, 1, SELF, 6, 1), GNTST_general_error);
	assert_int_equal(dirtied.calls, 0);
	assert_int_equal(e->flags, PA);
}

static void test_log_dirty_off_reports_nothing(void **state)
{
	struct gnttab_map_grant_ref a;

	dirtied_reset();
	grant(1, 5, 0, 2, PA);
	grant(2, 8, 1, 5, PA);
	assert_int_equal(map(0, 1, 5, RW, HA(0x100), &a), GNTST_okay);
	assert_int_equal(unmap(0, a.handle, 0), GNTST_okay);
	assert_int_equal(copy_op(0, DG, 1, SELF, 5, 1), GNTST_okay);
	assert_int_equal(copy_op(0, SG, 5, 1, 1, SELF), GNTST_okay);
	assert_int_equal(copy_op(1, SG, 8, 2, 3, SELF), GNTST_okay);
	assert_int_equal(copy_op(1, 0, 1, SELF, 3, SELF), GNTST_okay);
	assert_int_equal(dirtied.calls, 0);
}

static void test_log_dirty_a_copy_into_the_callers_own_frame_reports_it(void **state)
{
	dirtied_reset();
	doms[1].log_dirty = true;
	grant(2, 8, 1, 5, PA);
	grant(2, 9, 1, 6, PA);
	/* d1 copies from d2's grant into its own gmfn 3: its own frame was written. */
	assert_int_equal(copy_op(1, SG, 8, 2, 3, SELF), GNTST_okay);
	assert_int_equal(dirtied.calls, 1);
	assert_int_equal(dirtied.dom, 1);
	assert_int_equal(dirtied.gfn, 3);
	/* Own frame to own frame: the destination. */
	dirtied_reset();
	assert_int_equal(copy_op(1, 0, 1, SELF, 4, SELF), GNTST_okay);
	assert_int_equal(dirtied.calls, 1);
	assert_int_equal(dirtied.dom, 1);
	assert_int_equal(dirtied.gfn, 4);
	/* Its own frame into d2's grant (d2 does not log): only read, nothing said. */
	dirtied_reset();
	assert_int_equal(copy_op(1, DG, 1, SELF, 9, 2), GNTST_okay);
	assert_int_equal(dirtied.calls, 0);
	/* A copy refused (the destination is a hole): nothing. */
	assert_int_equal(copy_op(1, SG, 8, 2, 0x200, SELF), BAD_PAGE);
	assert_int_equal(dirtied.calls, 0);
	/* d0 does not log: its own frame written, nothing said. */
	assert_int_equal(copy_op(0, 0, 1, SELF, 2, SELF), GNTST_okay);
	assert_int_equal(dirtied.calls, 0);
}

/* ---- query_size, set_version, get_version ---- */

static void test_query_size_cases(void **state)
{
	static const struct {
		const char *what;
		int caller;
		domid_t dom;
		s16 status;
	} cases[] = {
		{ "DOMID_SELF", 1, DOMID_SELF, GNTST_okay },
		{ "own id", 1, 1, GNTST_okay },
		{ "another domain, unprivileged", 1, 2, GNTST_permission_denied },
		{ "another domain, from dom0", 0, 2, GNTST_okay },
		{ "unknown domain", 1, 7, GNTST_bad_domain },
		{ "DOMID_IO from dom0", 0, DOMID_IO, GNTST_bad_domain },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct gnttab_query_size op = { .dom = cases[i].dom, .status = 99 };

		CHECK(gnttab_op(&vcpus[cases[i].caller], GNTTABOP_query_size, &op) == 0,
		      cases[i].what);
		CHECK(op.status == cases[i].status, cases[i].what);
		if (op.status == GNTST_okay)
			CHECK(op.nr_frames == 1 && op.max_nr_frames == MAX_FRAMES, cases[i].what);
	}
}

static void test_set_and_get_version(void **state)
{
	static const struct {
		u32 version;
		long rc;
	} sets[] = {
		{ 1, 0 }, { 2, -ENOSYS }, { 0, -EINVAL }, { 3, -EINVAL }, { 0xffffffff, -EINVAL },
	};
	static const struct {
		int caller;
		domid_t dom;
		long rc;
	} gets[] = {
		{ 1, DOMID_SELF, 0 }, { 1, 1, 0 }, { 1, 2, -EPERM }, { 0, 2, 0 }, { 1, 7, -ESRCH },
	};

	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		struct gnttab_set_version op = { sets[i].version };

		assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_set_version, &op), sets[i].rc);
		assert_int_equal(op.version, 1);
	}
	for (size_t i = 0; i < ARRAY_SIZE(gets); i++) {
		struct gnttab_get_version op = { .dom = gets[i].dom, .version = 99 };

		assert_int_equal(gnttab_op(&vcpus[gets[i].caller], GNTTABOP_get_version, &op),
				 gets[i].rc);
		assert_int_equal(op.version, gets[i].rc ? 99 : 1);
	}
}

/* setup_table grows the table and says where each frame is mapped; a v1 table has no status frames. */
static void test_setup_table_and_status_frames(void **state)
{
	u64 frames[MAX_FRAMES + 1];
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 2, .frame_list = (u64)(uintptr_t)frames };
	struct gnttab_get_status_frames gs = { .nr_frames = 0, .dom = DOMID_SELF };
	struct gnttab_query_size q = { .dom = DOMID_SELF };

	for (int i = 0; i < NR_DOMS; i++)
		for (int f = 0; f < GNTTAB_DEFAULT_MAX_FRAMES; f++)
			doms[i].gnttab_gfn[f] = GFN_NONE;
	doms[1].gnttab_gfn[0] = 0x38000;
	assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_setup_table, &st), 0);
	assert_int_equal(st.status, GNTST_okay);
	assert_int_equal(frames[0], 0x38000);
	assert_int_equal(frames[1], GFN_NONE);
	assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_query_size, &q), 0);
	assert_int_equal(q.nr_frames, 2);
	st.nr_frames = MAX_FRAMES + 1;
	assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_setup_table, &st), 0);
	assert_int_equal(st.status, GNTST_general_error);
	st.nr_frames = 1;
	st.frame_list = 0;
	assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_setup_table, &st), 0);
	assert_int_equal(st.status, GNTST_bad_virt_addr);
	st.dom = 2;
	assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_setup_table, &st), 0);
	assert_int_equal(st.status, GNTST_permission_denied);
	st.dom = 7;
	assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_setup_table, &st), 0);
	assert_int_equal(st.status, GNTST_bad_domain);
	assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_get_status_frames, &gs), 0);
	assert_int_equal(gs.status, GNTST_okay);
	gs.nr_frames = 1;
	assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_get_status_frames, &gs), 0);
	assert_int_equal(gs.status, GNTST_general_error);
	gs.dom = 2;
	assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_get_status_frames, &gs), 0);
	assert_int_equal(gs.status, GNTST_permission_denied);
}

/* swap_grant_ref: two of the caller's entries trade places, unless one is pinned. */
static void test_swap_grant_ref(void **state)
{
	static const struct {
		grant_ref_t a, b;
		s16 status;
	} cases[] = {
		{ 5, 512, GNTST_bad_gntref }, { 512, 5, GNTST_bad_gntref }, { 5, 5, GNTST_okay },
		{ 6, 5, GNTST_okay },	       { 5, 7, GNTST_eagain },	     { 7, 6, GNTST_eagain },
	};
	struct gnttab_map_grant_ref a;

	grant(1, 5, 0, 2, PA);
	grant(1, 6, 0, 3, PA | GTF_readonly);
	grant(1, 7, 0, 4, PA);
	assert_int_equal(map(0, 1, 7, RW, HA(0x100), &a), GNTST_okay);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct gnttab_swap_grant_ref op = { cases[i].a, cases[i].b, 99 };

		assert_int_equal(gnttab_op(&vcpus[1], GNTTABOP_swap_grant_ref, &op), 0);
		CHECK(op.status == cases[i].status, "swap");
	}
	assert_int_equal(gent(1, 5)->frame, 3);
	assert_int_equal(gent(1, 5)->flags, PA | GTF_readonly);
	assert_int_equal(gent(1, 6)->frame, 2);
	assert_int_equal(gent(1, 7)->frame, 4);
	assert_int_equal(unmap(0, a.handle, 0), GNTST_okay);
}

/* ---- the table's frames ---- */

static void test_table_grows_on_demand_to_its_maximum(void **state)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	paddr_t pa0, pa0b, pa3, pa;

	assert_int_equal(gnttab_get_frame(&doms[1], 0, &pa0), 0);
	assert_int_equal(gnttab_get_frame(&doms[1], 0, &pa0b), 0);
	assert_int_equal(pa_addr(pa0), pa_addr(pa0b));
	assert_true(IS_ALIGNED(pa_addr(pa0), PAGE_SIZE));
	assert_int_equal(map(0, 1, 512, RO, HA(0x100), NULL), GNTST_bad_gntref);
	assert_int_equal(gnttab_get_frame(&doms[1], MAX_FRAMES - 1, &pa3), 0);
	assert_int_not_equal(pa_addr(pa3), pa_addr(pa0));
	gnttab_op(&vcpus[1], GNTTABOP_query_size, &q);
	assert_int_equal(q.nr_frames, MAX_FRAMES);
	assert_int_equal(gnttab_get_frame(&doms[1], MAX_FRAMES, &pa), -EINVAL);
	assert_int_equal(gnttab_get_frame(&doms[1], 0xffffffff, &pa), -EINVAL);
	/* The refs of the new frames work, up to the last one. */
	grant(1, MAX_FRAMES * 512 - 1, 0, 2, PA);
	assert_int_equal(map(0, 1, MAX_FRAMES * 512 - 1, RO, HA(0x100), NULL), GNTST_okay);
	assert_int_equal(map(0, 1, MAX_FRAMES * 512, RO, HA(0x101), NULL), GNTST_bad_gntref);
}

/* A table carried to a new domain as the guest left it (a migration without its help). */
static void test_a_frame_carried_to_a_new_table_grants_as_before(void **state)
{
	static u8 page[PAGE_SIZE];
	struct gnttab_map_grant_ref m, m2;
	struct gnttab_use use;

	grant(1, 9, 0, 2, PA);
	grant(1, 520, 0, 3, PA | GTF_readonly);
	/* Out: frames 0 and 1, nothing pinned, nothing mapped; past them -ENOENT, the use told. */
	assert_int_equal(gnttab_frame_get(&doms[1], 1, page, &use), 0);
	assert_int_equal(use.nr_frames, 2);
	assert_int_equal(use.pins + use.maps, 0);
	assert_int_equal(gnttab_frame_get(&doms[1], 2, page, &use), -ENOENT);
	assert_int_equal(use.nr_frames, 2);
	/* A back end's pin counts, d1's own mapping of d2's grant too. */
	assert_int_equal(map(0, 1, 9, RW, HA(0x100), &m), GNTST_okay);
	grant(2, 12, 1, 4, PA);
	assert_int_equal(map(1, 2, 12, RO, HA(0x101), &m2), GNTST_okay);
	assert_int_equal(gnttab_frame_get(&doms[1], 0, page, &use), 0);
	assert_int_equal(use.pins, 1);
	assert_int_equal(use.maps, 1);
	/* The reserved refs (console, XenStore) are the toolstack's daemons': not counted. */
	assert_int_equal(gnttab_seed(&doms[1], 1, 0, 5, false), 0);
	assert_int_equal(map(0, 1, 1, RW, HA(0x102), NULL), GNTST_okay);
	assert_int_equal(gnttab_frame_get(&doms[1], 0, page, &use), 0);
	assert_int_equal(use.pins, 1);
	assert_int_equal(unmap(0, m.handle, HA(0x100)), GNTST_okay);
	assert_int_equal(gnttab_frame_get(&doms[1], 0, page, &use), 0);
	assert_int_equal(use.pins, 0);

	/* In: d2 takes d1's frame 0 (once nobody pins its own), and d0 maps its ref 9 as it did d1's. */
	assert_int_equal(gnttab_frame_set(&doms[2], 0, page), -EBUSY); /* d1 maps one of d2's */
	assert_int_equal(unmap(1, m2.handle, HA(0x101)), GNTST_okay);
	assert_int_equal(gnttab_frame_set(&doms[2], 0, page), 0);
	assert_int_equal(gnttab_frame_set(&doms[2], 1, page), 0);
	assert_int_equal(gnttab_frame_set(&doms[2], MAX_FRAMES, page), -EINVAL);
	assert_memory_equal(gent(2, 9), gent(1, 9), sizeof(struct grant_entry_v1));
	assert_memory_equal(gent(2, 512 + 9), gent(1, 9), sizeof(struct grant_entry_v1));
	assert_int_equal(map(0, 2, 9, RW, HA(0x103), NULL), GNTST_okay);
	assert_int_equal(gnttab_frame_set(&doms[2], 0, page), -EBUSY); /* pinned now */
}

static void test_table_growth_out_of_memory(void **state)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	paddr_t pa;
	long before = support_pages_held;

	for (int n = 0; n < 2; n++) {
		support_alloc_fail_in = n; /* the frame, then its active array */
		assert_int_equal(gnttab_get_frame(&doms[1], 1, &pa), -ENOMEM);
		assert_int_equal(support_pages_held, before);
	}
	gnttab_op(&vcpus[1], GNTTABOP_query_size, &q);
	assert_int_equal(q.nr_frames, 1);
	assert_int_equal(gnttab_get_frame(&doms[1], 1, &pa), 0);
}

static void test_domain_init_arguments(void **state)
{
	struct domain d = { .id = 5 };
	long before = support_pages_held;

	assert_int_equal(gnttab_domain_init(&doms[1], MAX_FRAMES), -EEXIST);
	assert_int_equal(gnttab_domain_init(&d, 0), -EINVAL);
	assert_int_equal(gnttab_domain_init(&d, GNTTAB_MAX_FRAMES + 1), -EINVAL);
	for (int n = 0; n < 5; n++) {
		support_alloc_fail_in = n;
		assert_int_equal(gnttab_domain_init(&d, GNTTAB_DEFAULT_MAX_FRAMES), -ENOMEM);
		assert_null(d.gnttab);
		assert_int_equal(support_pages_held, before);
	}
	support_alloc_fail_in = -1;
	assert_int_equal(gnttab_domain_init(&d, GNTTAB_MAX_FRAMES), 0);
	destroy(&d);
	assert_null(d.gnttab);
	assert_int_equal(support_pages_held, before);
}

/* ---- cache_flush ---- */

/* Where a cache_flush case points: the address is only known once the world is up. */
enum { AT_ZERO, AT_OWN, AT_GRANT, AT_UNMAPPED, AT_OWN_ELSEWHERE, AT_REF5 };

static u64 flush_addr(int at)
{
	switch (at) {
	case AT_OWN:
		return ram_pa(0, 0); /* direct-mapped: gfn == pa */
	case AT_GRANT:
		return ram_pa(1, 2); /* d1's frame, mapped by d0 */
	case AT_UNMAPPED:
		return ram_pa(1, 3);
	case AT_OWN_ELSEWHERE:
		return ram_pa(0, 1); /* d0's, but at gfn 1 */
	case AT_REF5:
		return 5;
	}
	return 0;
}

#define CLEAN GNTTAB_CACHE_CLEAN
#define INVAL GNTTAB_CACHE_INVAL
#define SOURCE_GREF GNTTAB_CACHE_SOURCE_GREF

static void test_cache_flush_cases(void **state)
{
	static const struct {
		const char *what;
		int at;
		u64 low_bits;
		u16 offset, length;
		u32 op;
		long rc;
		bool called;
	} cases[] = {
		{ "Linux's all-zero probe", AT_ZERO, 0, 0, 0, 0, 0, false },
		{ "clean an own frame", AT_OWN, 0, 0, 64, CLEAN, 0, true },
		{ "invalidate a mapped grant", AT_GRANT, 0, 128, 256, INVAL, 0, true },
		{ "clean and invalidate", AT_GRANT, 0, 0, 4096, CLEAN | INVAL, 0, true },
		{ "low bits of the address ignored", AT_GRANT, 0x123, 8, 8, CLEAN, 0, true },
		{ "op 0 with a length", AT_GRANT, 0, 0, 64, 0, 0, false },
		{ "length 0 with an op", AT_GRANT, 0, 0, 0, CLEAN, 0, false },
		{ "unknown op bit", AT_GRANT, 0, 0, 64, 4, -EINVAL, false },
		{ "SOURCE_GREF", AT_REF5, 0, 0, 64, SOURCE_GREF | CLEAN, -EINVAL, false },
		{ "offset 4096", AT_GRANT, 0, 4096, 0, CLEAN, -EINVAL, false },
		{ "offset + length past the page", AT_GRANT, 0, 4000, 100, CLEAN, -EINVAL, false },
		{ "another domain's unmapped frame", AT_UNMAPPED, 0, 0, 64, INVAL, -EINVAL, false },
		{ "own frame at another gfn", AT_OWN_ELSEWHERE, 0, 0, 64, CLEAN, -EINVAL, false },
		{ "address 0", AT_ZERO, 0, 0, 1, CLEAN, -EINVAL, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct gnttab_cache_flush op = { .offset = cases[i].offset,
						 .length = cases[i].length, .op = cases[i].op };
		struct gnttab_map_grant_ref m;
		u64 a;

		world_up();
		p2ms[0]->high_gfn = ram_pa(0, 0) >> PAGE_SHIFT;
		p2ms[0]->high = (struct slot){ pa_init(ram_pa(0, 0)), P2M_RAM };
		grant(1, 5, 0, 2, PA);
		CHECK(map(0, 1, 5, RW, HA(0x100), &m) == GNTST_okay, cases[i].what);
		a = flush_addr(cases[i].at);
		op.a.dev_bus_addr = a + cases[i].low_bits;
		CHECK(gnttab_op(&vcpus[0], GNTTABOP_cache_flush, &op) == cases[i].rc,
		      cases[i].what);
		CHECK(flush.calls == cases[i].called, cases[i].what);
		if (cases[i].called) {
			CHECK(flush.va == (u8 *)(uintptr_t)a + cases[i].offset, cases[i].what);
			CHECK(flush.len == cases[i].length, cases[i].what);
			CHECK(flush.clean == !!(cases[i].op & GNTTAB_CACHE_CLEAN), cases[i].what);
			CHECK(flush.inval == !!(cases[i].op & GNTTAB_CACHE_INVAL), cases[i].what);
		}
		/* Once unmapped, the grant's frame is no longer the caller's to flush. */
		CHECK(unmap(0, m.handle, 0) == GNTST_okay, cases[i].what);
		op = (struct gnttab_cache_flush){ .a.dev_bus_addr = ram_pa(1, 2), .length = 64,
						  .op = GNTTAB_CACHE_CLEAN };
		CHECK(gnttab_op(&vcpus[0], GNTTABOP_cache_flush, &op) == -EINVAL, cases[i].what);
		world_down();
	}
}

/* ---- destruction ---- */

static void test_destroying_a_mapper_releases_its_mappings(void **state)
{
	grant(1, 5, 0, 2, PA);
	grant(1, 6, 0, 3, PA | GTF_readonly);
	assert_int_equal(map(0, 1, 5, RW, HA(0x100), NULL), GNTST_okay);
	assert_int_equal(map(0, 1, 6, RO, HA(0x101), NULL), GNTST_okay);
	destroy(&doms[0]);
	assert_null(doms[0].gnttab);
	assert_int_equal(p2ms[0]->low[0x100].type, P2M_NONE);
	assert_int_equal(p2ms[0]->low[0x101].type, P2M_NONE);
	assert_int_equal(gent(1, 5)->flags, PA);
	assert_int_equal(gent(1, 6)->flags, PA | GTF_readonly);
	assert_true(revoke(gent(1, 5)));
}

static void test_destroying_a_granter_waits_for_its_mappers(void **state)
{
	struct gnttab_map_grant_ref m;
	struct gnttab_copy c = { .source = { .u.ref = 6, .domid = 1 },
				 .dest = { .u.gmfn = 1, .domid = SELF }, .len = 8, .flags = SG };
	paddr_t pa;

	grant(1, 5, 0, 2, PA);
	grant(1, 6, 0, 3, PA);
	assert_int_equal(map(0, 1, 5, RW, HA(0x100), &m), GNTST_okay);
	destroy(&doms[1]);
	assert_non_null(doms[1].gnttab);
	assert_non_null(strstr(support_log, "d1: grant table kept: 1 pins"));
	/* Dying: nothing new is pinned, the table does not grow. */
	assert_int_equal(map(0, 1, 6, RO, HA(0x101), NULL), GNTST_bad_domain);
	assert_int_equal(gnttab_op(&vcpus[0], GNTTABOP_copy, &c), 0);
	assert_int_equal(c.status, GNTST_bad_domain);
	assert_int_equal(gnttab_get_frame(&doms[1], 1, &pa), -EINVAL);
	assert_int_equal(unmap(0, m.handle, 0), GNTST_okay);
	destroy(&doms[1]);
	assert_null(doms[1].gnttab);
}

static void test_destroying_a_domain_that_maps_itself(void **state)
{
	grant(1, 5, 1, 2, PA);
	assert_int_equal(map(1, 1, 5, RW, HA(0x100), NULL), GNTST_okay);
	destroy(&doms[1]);
	assert_null(doms[1].gnttab);
	assert_int_equal(p2ms[1]->low[0x100].type, P2M_NONE);
	destroy(&doms[1]);
}

/* ---- dispatch and dump ---- */

static void test_op_sizes_and_unsupported_ops(void **state)
{
	static const struct {
		int cmd;
		long size;
	} cases[] = {
		{ GNTTABOP_map_grant_ref, 32 }, { GNTTABOP_unmap_grant_ref, 24 },
		{ GNTTABOP_copy, 40 }, { GNTTABOP_query_size, 16 },
		{ GNTTABOP_set_version, 4 }, { GNTTABOP_get_version, 8 },
		{ GNTTABOP_cache_flush, 16 }, { GNTTABOP_setup_table, 24 },
		{ GNTTABOP_dump_table, -ENOSYS }, { GNTTABOP_transfer, -ENOSYS },
		{ GNTTABOP_unmap_and_replace, 24 }, { GNTTABOP_get_status_frames, 16 },
		{ GNTTABOP_swap_grant_ref, 12 }, { -1, -ENOSYS }, { 13, -ENOSYS },
		{ 0x7fffffff, -ENOSYS },
	};
	u8 buf[64] = { 0 };
	struct vcpu none = { .dom = &(struct domain){ .id = 9 } };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(gnttab_op_size(cases[i].cmd), cases[i].size);
		if (cases[i].size < 0)
			assert_int_equal(gnttab_op(&vcpus[0], cases[i].cmd, buf), -ENOSYS);
	}
	assert_int_equal(gnttab_op(&none, GNTTABOP_query_size, buf), -ENOSYS);
}

static void test_dump(void **state)
{
	struct domain none = { .id = 9 };

	grant(1, 5, 0, 2, PA);
	assert_int_equal(map(0, 1, 5, RO, HA(0x100), NULL), GNTST_okay);
	gnttab_dump(&doms[0]);
	gnttab_dump(&doms[1]);
	gnttab_dump(&none);
	assert_non_null(strstr(support_log, "d0 grant table v1: 1 of 4 frames, 0 pins"));
	assert_non_null(strstr(support_log, "handle 0: d1 ref 5 at gfn 0x100 ro"));
	assert_non_null(strstr(support_log, "ref 5: d0, 1 ro 0 rw"));
	assert_non_null(strstr(support_log, "d9: no grant table"));
}

/* ---- a granter revoking while another CPU maps ---- */

static bool stop;
static int round_no, revoked_round = -1; /* round_no moves on before each new grant */
static u64 mapper_loops, mapper_maps;
static int late_maps;

static void *mapper_thread(void *arg)
{
	while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
		int r = __atomic_load_n(&round_no, __ATOMIC_SEQ_CST);
		bool was_revoked = __atomic_load_n(&revoked_round, __ATOMIC_SEQ_CST) == r;
		struct gnttab_map_grant_ref m;

		if (map(0, 1, 5, RO, HA(0x100), &m) == GNTST_okay) {
			/* Mapped the very grant that was already revoked? */
			if (was_revoked && __atomic_load_n(&round_no, __ATOMIC_SEQ_CST) == r)
				late_maps++;
			__atomic_add_fetch(&mapper_maps, 1, __ATOMIC_SEQ_CST);
			unmap(0, m.handle, 0);
		}
		__atomic_add_fetch(&mapper_loops, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* Stops the mapper, then fails if it was not yet done: a stuck race fails, never hangs. */
static void race_over(pthread_t t, bool done, int round, const char *what)
{
	if (done)
		return;
	__atomic_store_n(&stop, true, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	fail_msg("round %d: %s", round, what);
}

/*
 * Spins until cond, for 30 s at most. A bound by time, not by a count of
 * spins: on a loaded host the other thread may not run for a good part of a
 * second, and a budget of 200 million spins ran out about one run in twenty.
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define SPIN_UNTIL(cond)                                                           \
	({                                                                         \
		double end_ = now_s() + 30;                                        \
		for (long n_ = 0; !(cond) && (++n_ % 4096 || now_s() < end_);)   \
			;                                                          \
		(bool)(cond);                                                      \
	})

/*
 * Round after round, d1 grants and revokes as Linux does while d0 maps and
 * unmaps in a loop. Once a revoke has succeeded, no map may succeed and
 * nothing may write the entry again: an in-flight map that read the old
 * flags must lose its compare-and-swap. (A plain store in place of it is
 * caught within a few hundred rounds.)
 */
static void test_revoke_races_with_map(void **state)
{
	struct grant_entry_v1 *e = gent(1, 5);
	pthread_t t;

	late_maps = 0;
	stop = false;
	pthread_create(&t, NULL, mapper_thread, NULL);
	for (int round = 0; round < 20000; round++) {
		u64 seen;

		__atomic_store_n(&round_no, round, __ATOMIC_SEQ_CST);
		seen = __atomic_load_n(&mapper_maps, __ATOMIC_SEQ_CST);
		grant(1, 5, 0, 2, PA);
		/* Revoke mid-loop, at a varying point of the mapper's next attempt. */
		race_over(t, SPIN_UNTIL(__atomic_load_n(&mapper_maps, __ATOMIC_SEQ_CST) != seen),
			  round, "the mapper never mapped");
		for (volatile int spin = rand() % 400; spin; spin--)
			;
		race_over(t, SPIN_UNTIL(revoke(e)), round, "never revoked");
		__atomic_store_n(&revoked_round, round, __ATOMIC_SEQ_CST);
		seen = __atomic_load_n(&mapper_loops, __ATOMIC_SEQ_CST);
		race_over(t, SPIN_UNTIL(__atomic_load_n(&mapper_loops, __ATOMIC_SEQ_CST) > seen + 1),
			  round, "the mapper is stuck");
		race_over(t, e->flags == 0, round, "the entry was written after its revoke");
	}
	__atomic_store_n(&stop, true, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	assert_int_equal(late_maps, 0);
	assert_int_equal(p2ms[0]->low[0x100].type, P2M_NONE);
}

/* The toolstack's seeded refs (console, xenstore) are grants dom0 can map like any other. */
static void test_seeded_reserved_refs_map_and_others_are_refused(void **state)
{
	struct gnttab_map_grant_ref op;
	struct grant_entry_v1 *e = gent(1, GNTTAB_RESERVED_XENSTORE);

	assert_int_equal(gnttab_seed(&doms[1], GNTTAB_RESERVED_XENSTORE, 0, 3, false), 0);
	assert_int_equal(e->flags, GTF_permit_access);
	assert_int_equal(e->domid, 0);
	assert_int_equal(e->frame, 3);
	assert_int_equal(map(0, 1, GNTTAB_RESERVED_XENSTORE, RW, AT, &op), OK);
	assert_int_equal(op.dev_bus_addr, ram_pa(1, 3));
	/* Pinned: it cannot be rewritten under the mapper. */
	assert_int_equal(gnttab_seed(&doms[1], GNTTAB_RESERVED_XENSTORE, 2, 4, false), -EBUSY);
	assert_int_equal(unmap(0, op.handle, AT), OK);
	/* Read-only seeds map read-only only. */
	assert_int_equal(gnttab_seed(&doms[1], GNTTAB_RESERVED_CONSOLE, 0, 2, true), 0);
	assert_int_equal(map(0, 1, GNTTAB_RESERVED_CONSOLE, RW, AT, NULL), GENERAL);
	/* Only the reserved refs, only frames a v1 entry can hold. */
	assert_int_equal(gnttab_seed(&doms[1], GNTTAB_NR_RESERVED_ENTRIES, 0, 2, false), -EINVAL);
	assert_int_equal(gnttab_seed(&doms[1], 0xffffffff, 0, 2, false), -EINVAL);
	assert_int_equal(gnttab_seed(&doms[1], 2, 0, 1ULL << 32, false), -EINVAL);
	assert_int_equal(gent(1, GNTTAB_NR_RESERVED_ENTRIES)->flags, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_cases),
		cmocka_unit_test(test_unmap_cases),
		T(test_double_unmap_and_stale_handles),
		T(test_reading_writing_follow_the_pins),
		T(test_pinned_grant_keeps_its_grantee_and_frame),
		T(test_unmap_leaves_what_replaced_the_mapping),
		T(test_maptrack_grows_to_its_limit),
		T(test_a_grant_takes_128_pins_of_each_kind),
		T(test_unmap_and_replace),
		T(test_setup_table_and_status_frames),
		T(test_swap_grant_ref),
		cmocka_unit_test(test_copy_cases),
		T(test_copy_pins_for_its_duration),
		T(test_log_dirty_a_writable_pin_ending_reports_the_granters_frame),
		T(test_log_dirty_a_read_only_pin_reports_nothing),
		T(test_log_dirty_a_copy_into_a_grant_reports_the_granters_frame),
		T(test_log_dirty_off_reports_nothing),
		T(test_log_dirty_a_copy_into_the_callers_own_frame_reports_it),
		T(test_query_size_cases),
		T(test_set_and_get_version),
		T(test_table_grows_on_demand_to_its_maximum),
		T(test_table_growth_out_of_memory),
		T(test_domain_init_arguments),
		cmocka_unit_test(test_cache_flush_cases),
		T(test_destroying_a_mapper_releases_its_mappings),
		T(test_destroying_a_granter_waits_for_its_mappers),
		T(test_destroying_a_domain_that_maps_itself),
		T(test_op_sizes_and_unsupported_ops),
		T(test_dump),
		T(test_revoke_races_with_map),
		T(test_seeded_reserved_refs_map_and_others_are_refused),
		T(test_a_frame_carried_to_a_new_table_grants_as_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
