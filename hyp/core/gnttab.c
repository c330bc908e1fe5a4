/* SPDX-License-Identifier: MIT */
/*
 * Xen grant tables, version 1: the table a domain shares with us to grant
 * its frames, the mappings it holds of other domains' grants, grant copies
 * and cache maintenance on granted frames.
 *
 *   struct gnttab_domain (d->gnttab)
 *   +-----------------+
 *   | lock            |--> frames[0..nr_frames)   shared with the guest: 512 grant_entry_v1 each
 *   |                 |--> active[0..nr_frames)   ours: pin counts of each ref, who, which frame
 *   | maptrack_lock   |--> maptrack[chunk][i]     mappings d holds of others' grants (handle =
 *   +-----------------+                           chunk * 128 + i), free ones on a FIFO list
 *
 * A grant is "pinned" while a mapping or a copy uses it. The first pin reads
 * the guest's entry and fixes the frame; while any pin is held, GTF_reading
 * (and GTF_writing for writable pins) stay set in the entry, which is what
 * stops the granter from revoking it (it cmpxchg's flags to 0 only when both
 * are clear).
 *
 * Locks: a table's lock and a maptrack_lock are never held together, and
 * never two tables' locks: map and copy pin the granter's entry under the
 * granter's lock, then drop it before touching the mapper's maptrack. Below
 * them: the p2m's locks (p2m_lookup under a table lock) and the page
 * allocator. p2m_map_page and p2m_unmap_page run with no gnttab lock held.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/gnttab.h>
#include <domus/guest_access.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/printk.h>
#include <domus/string.h>
#include <public/grant_table.h>

#define ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(struct grant_entry_v1))
#define NO_HANDLE 0xffffffffU
/* Compare-and-swap attempts on an entry the granter keeps rewriting (Xen: 5). */
#define CAS_TRIES 8
/* Pins of one kind (read or write) a ref may have: Xen's 8-bit counters stop at 128. */
#define GNTPIN_MAX 128

/* The flags and domid of an entry form one 32-bit word: swapped as one, so a
 * granter changing either between our read and our write is noticed. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "flags are the low half");
typedef u32 __attribute__((may_alias)) entry_word_t;

struct active_grant {
	u16 readers; /* read-only pins */
	u16 writers; /* writable pins */
	domid_t domid; /* who holds the pins */
	paddr_t pa; /* the granted frame, fixed while pinned */
	u32 gfn; /* where the granter has it, as read at the first pin */
};

enum { MAP_FREE, MAP_BUSY, MAP_LIVE };

/* A mapping of another domain's grant, named by its handle. */
struct maptrack_entry {
	struct gnttab_domain *granter; /* kept alive by our pin */
	paddr_t pa;
	u64 gfn; /* where the mapper sees it */
	union {
		grant_ref_t ref; /* MAP_BUSY, MAP_LIVE */
		u32 next; /* MAP_FREE: the free list */
	};
	u8 state; /* MAP_BUSY: being set up or torn down, invisible to unmap */
	bool readonly;
};

#define MAPS_PER_CHUNK (PAGE_SIZE / sizeof(struct maptrack_entry))
#define NR_CHUNKS (GNTTAB_MAX_HANDLES / MAPS_PER_CHUNK)
_Static_assert(sizeof(struct maptrack_entry) == 32, "a power of two per page");

struct gnttab_domain {
	spinlock_t lock; /* everything up to maptrack_lock */
	struct domain *d; /* for p2m_lookup at the first pin; unused once dying */
	domid_t domid;
	bool dying; /* no new pins */
	u32 nr_frames, max_frames;
	u32 pins; /* held on all our refs, by anyone */
	struct grant_entry_v1 **frames;
	struct active_grant **active;

	spinlock_t maptrack_lock; /* everything below */
	u32 nr_chunks;
	u32 free_head, free_tail; /* reuse handles late: a stale one stays bad longer */
	struct maptrack_entry *maptrack[NR_CHUNKS];
};

static struct grant_entry_v1 *entry(struct gnttab_domain *gt, grant_ref_t ref)
{
	return &gt->frames[ref / ENTRIES_PER_FRAME][ref % ENTRIES_PER_FRAME];
}

static struct active_grant *active(struct gnttab_domain *gt, grant_ref_t ref)
{
	return &gt->active[ref / ENTRIES_PER_FRAME][ref % ENTRIES_PER_FRAME];
}

static struct maptrack_entry *maptrack(struct gnttab_domain *gt, u32 handle)
{
	return &gt->maptrack[handle / MAPS_PER_CHUNK][handle % MAPS_PER_CHUNK];
}

/* The domain a guest names: DOMID_SELF is the caller. NULL if none or no table. */
static struct domain *lookup(struct domain *self, domid_t id)
{
	struct domain *d = id == DOMID_SELF ? self : domain_by_id(id);

	return d && d->gnttab ? d : NULL;
}

/* ---- the table ---- */

/* Adds zeroed frames until there are nr. With gt->lock held. */
static int grow(struct gnttab_domain *gt, u32 nr)
{
	while (gt->nr_frames < nr) {
		struct grant_entry_v1 *f = mm_alloc_pages(1);
		struct active_grant *a = mm_zalloc(ENTRIES_PER_FRAME * sizeof(*a));

		if (!f || !a) {
			mm_free(f, PAGE_SIZE);
			mm_free(a, ENTRIES_PER_FRAME * sizeof(*a));
			return -ENOMEM;
		}
		gt->frames[gt->nr_frames] = f;
		gt->active[gt->nr_frames] = a;
		gt->nr_frames++;
	}
	return 0;
}

static void free_table(struct gnttab_domain *gt)
{
	for (u32 i = 0; i < gt->nr_frames; i++) {
		mm_free(gt->frames[i], PAGE_SIZE);
		mm_free(gt->active[i], ENTRIES_PER_FRAME * sizeof(struct active_grant));
	}
	for (u32 i = 0; i < gt->nr_chunks; i++)
		mm_free(gt->maptrack[i], PAGE_SIZE);
	mm_free(gt->frames, gt->max_frames * sizeof(*gt->frames));
	mm_free(gt->active, gt->max_frames * sizeof(*gt->active));
	mm_free(gt, sizeof(*gt));
}

int gnttab_domain_init(struct domain *d, u32 max_frames)
{
	struct gnttab_domain *gt;

	if (d->gnttab)
		return -EEXIST;
	if (!max_frames || max_frames > GNTTAB_MAX_FRAMES)
		return -EINVAL;
	gt = mm_zalloc(sizeof(*gt));
	if (!gt)
		return -ENOMEM;
	spin_lock_init(&gt->lock);
	spin_lock_init(&gt->maptrack_lock);
	gt->d = d;
	gt->domid = d->id;
	gt->max_frames = max_frames;
	gt->free_head = gt->free_tail = NO_HANDLE;
	gt->frames = mm_zalloc(max_frames * sizeof(*gt->frames));
	gt->active = mm_zalloc(max_frames * sizeof(*gt->active));
	/* One frame from the start, as Xen: query_size reports 1 before any growth. */
	if (!gt->frames || !gt->active || grow(gt, 1)) {
		free_table(gt);
		return -ENOMEM;
	}
	d->gnttab = gt;
	return 0;
}

int gnttab_get_frame(struct domain *d, u32 idx, paddr_t *pa)
{
	struct gnttab_domain *gt = d->gnttab;
	int rc = -EINVAL;

	if (!gt)
		return -EINVAL;
	spin_lock(&gt->lock);
	if (idx < gt->max_frames && !gt->dying) {
		rc = grow(gt, idx + 1);
		if (!rc)
			*pa = va_to_pa(gt->frames[idx]);
	}
	spin_unlock(&gt->lock);
	return rc;
}

int gnttab_frame_get(struct domain *d, u32 idx, void *page, struct gnttab_use *use)
{
	struct gnttab_domain *gt = d->gnttab;
	int rc = -ENOENT;

	if (!gt)
		return -EINVAL;
	*use = (struct gnttab_use){ 0 };
	spin_lock(&gt->lock);
	use->nr_frames = gt->nr_frames;
	if (idx < gt->nr_frames) {
		if (page)
			memcpy(page, gt->frames[idx], PAGE_SIZE);
		rc = 0;
	}
	/* The reserved refs are the toolstack's (console, XenStore): its daemons pin them. */
	for (u32 ref = GNTTAB_NR_RESERVED_ENTRIES; gt->pins && ref < gt->nr_frames * ENTRIES_PER_FRAME;
	     ref++)
		use->pins += active(gt, ref)->readers + active(gt, ref)->writers;
	spin_unlock(&gt->lock);
	spin_lock(&gt->maptrack_lock);
	for (u32 h = 0; h < gt->nr_chunks * MAPS_PER_CHUNK; h++)
		use->maps += maptrack(gt, h)->state != MAP_FREE;
	spin_unlock(&gt->maptrack_lock);
	return rc;
}

int gnttab_frame_set(struct domain *d, u32 idx, const void *page)
{
	struct gnttab_domain *gt = d->gnttab;
	int rc = -EINVAL;

	if (!gt)
		return -EINVAL;
	spin_lock(&gt->lock);
	/* A building domain: nobody can have pinned its grants (the seeded ones are rewritten). */
	if (idx < gt->max_frames && !gt->dying && !gt->pins) {
		rc = grow(gt, idx + 1);
		if (!rc)
			memcpy(gt->frames[idx], page, PAGE_SIZE);
	} else if (gt->pins) {
		rc = -EBUSY;
	}
	spin_unlock(&gt->lock);
	return rc;
}

u32 gnttab_maptrack_pages(struct domain *d)
{
	return d->gnttab ? __atomic_load_n(&d->gnttab->nr_chunks, __ATOMIC_RELAXED) : 0;
}

int gnttab_seed(struct domain *d, u32 ref, domid_t domid, u64 gfn, bool ro)
{
	struct gnttab_domain *gt = d->gnttab;
	struct grant_entry_v1 *e;
	int rc = 0;

	if (!gt || ref >= GNTTAB_NR_RESERVED_ENTRIES || gfn >> 32)
		return -EINVAL;
	spin_lock(&gt->lock);
	e = entry(gt, ref);
	if (gt->dying) {
		rc = -EINVAL;
	} else if (active(gt, ref)->readers || active(gt, ref)->writers) {
		rc = -EBUSY;
	} else {
		e->domid = domid;
		e->frame = (u32)gfn;
		/* The flags last: a grantee that sees permit_access sees the rest. */
		__atomic_store_n(&e->flags, GTF_permit_access | (ro ? GTF_readonly : 0),
				 __ATOMIC_RELEASE);
	}
	spin_unlock(&gt->lock);
	return rc;
}

/* ---- the guest's entry: GTF_reading / GTF_writing ---- */

/*
 * Sets GTF_reading, and GTF_writing unless ro, in the guest's entry. check:
 * also require a permit_access grant to ld (sub_page too for a map). The
 * granter may race us with its own cmpxchg, so retry a few times, then give
 * up rather than let a guest keep us spinning.
 */
static s16 entry_pin(struct grant_entry_v1 *e, domid_t ld, bool ro, bool check, bool map)
{
	entry_word_t *word = (entry_word_t *)e;
	u32 old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	u16 mask = GTF_type_mask | (map ? GTF_sub_page : 0);

	for (int i = 0; i < CAS_TRIES; i++) {
		u16 flags = old & 0xffff;
		u32 set = GTF_reading | (ro ? 0 : GTF_writing);

		if (check && ((flags & mask) != GTF_permit_access || (old >> 16) != ld))
			return GNTST_general_error;
		if (!ro && (flags & GTF_readonly))
			return GNTST_general_error;
		if (__atomic_compare_exchange_n(word, &old, old | set, true, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return GNTST_okay;
	}
	return GNTST_general_error;
}

/*
 * Clears bits in the guest's entry. If the granter keeps rewriting it, the
 * last attempt is a plain store: only the granter's own concurrent write to
 * its own entry can be lost, never the release of its frame.
 */
static void entry_unpin(struct grant_entry_v1 *e, u16 bits)
{
	u16 old = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);

	for (int i = 0; i < CAS_TRIES; i++)
		if (__atomic_compare_exchange_n(&e->flags, &old, old & ~bits, true,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	__atomic_store_n(&e->flags, old & ~bits, __ATOMIC_RELEASE);
}

/* ---- pins ---- */

/*
 * Pins ref of gt for ld: read-only pins count as reading, writable ones as
 * writing. The first pin checks the entry and fixes the frame, which must be
 * the granter's own RAM; later ones need only be by the same domain.
 */
static s16 pin(struct gnttab_domain *gt, grant_ref_t ref, domid_t ld, bool ro, bool map,
	       paddr_t *pa)
{
	struct active_grant *a;
	struct grant_entry_v1 *e;
	paddr_t frame;
	s16 rc = GNTST_okay;

	spin_lock(&gt->lock);
	if (gt->dying) {
		rc = GNTST_bad_domain;
		goto out;
	}
	if (ref >= gt->nr_frames * ENTRIES_PER_FRAME) {
		rc = GNTST_bad_gntref;
		goto out;
	}
	a = active(gt, ref);
	e = entry(gt, ref);
	if (a->readers + a->writers) {
		if (a->domid != ld || (ro ? a->readers : a->writers) >= GNTPIN_MAX)
			rc = GNTST_general_error;
		else if (!ro && !a->writers)
			rc = entry_pin(e, ld, false, false, map);
	} else {
		rc = entry_pin(e, ld, ro, true, map);
		if (rc == GNTST_okay) {
			/* Flags are set: the granter may no longer change frame. */
			u32 gfn = READ_ONCE(e->frame);

			/* Its own frame, pinned: never shared with a clone while pinned. */
			if (p2m_own_ram(gt->d, gfn, &frame, true)) {
				entry_unpin(e, GTF_reading | (ro ? 0 : GTF_writing));
				rc = GNTST_bad_page;
			} else {
				a->domid = ld;
				a->pa = frame;
				a->gfn = gfn;
			}
		}
	}
	if (rc == GNTST_okay) {
		if (ro)
			a->readers++;
		else
			a->writers++;
		gt->pins++;
		*pa = a->pa;
	}
out:
	spin_unlock(&gt->lock);
	return rc;
}

static void unpin(struct gnttab_domain *gt, grant_ref_t ref, bool ro)
{
	struct active_grant *a;
	u16 bits = 0;

	spin_lock(&gt->lock);
	a = active(gt, ref);
	BUG_ON(ro ? !a->readers : !a->writers);
	if (ro)
		a->readers--;
	else
		a->writers--;
	gt->pins--;
	/*
	 * A writable pin ends: what was written through it (a back end's
	 * mapping, a copy) went behind the granter's stage 2. While it
	 * migrates, dirty logging must count the frame as written.
	 */
	if (!ro && !gt->dying && READ_ONCE(gt->d->log_dirty))
		p2m_set_dirty(gt->d, a->gfn);
	if (!ro && !a->writers)
		bits |= GTF_writing;
	if (!a->readers && !a->writers)
		bits |= GTF_reading;
	if (bits)
		entry_unpin(entry(gt, ref), bits);
	if (!a->readers && !a->writers)
		mm_frame_unpin(a->pa);
	spin_unlock(&gt->lock);
}

/* ---- maptrack: the mappings a domain holds ---- */

/* A free handle, now MAP_BUSY; NO_HANDLE when all GNTTAB_MAX_HANDLES are in use. */
static u32 handle_get(struct gnttab_domain *gt)
{
	u32 h;

	spin_lock(&gt->maptrack_lock);
	if (gt->free_head == NO_HANDLE && gt->nr_chunks < NR_CHUNKS) {
		struct maptrack_entry *c = mm_alloc_pages(1);
		u32 base = gt->nr_chunks * MAPS_PER_CHUNK;

		if (c) {
			for (u32 i = 0; i < MAPS_PER_CHUNK; i++)
				c[i].next = i + 1 < MAPS_PER_CHUNK ? base + i + 1 : NO_HANDLE;
			gt->maptrack[gt->nr_chunks++] = c;
			gt->free_head = base;
			gt->free_tail = base + MAPS_PER_CHUNK - 1;
		}
	}
	h = gt->free_head;
	if (h != NO_HANDLE) {
		struct maptrack_entry *m = maptrack(gt, h);

		gt->free_head = m->next;
		if (gt->free_head == NO_HANDLE)
			gt->free_tail = NO_HANDLE;
		m->state = MAP_BUSY;
	}
	spin_unlock(&gt->maptrack_lock);
	return h;
}

static void handle_put(struct gnttab_domain *gt, u32 h)
{
	struct maptrack_entry *m;

	spin_lock(&gt->maptrack_lock);
	m = maptrack(gt, h);
	m->state = MAP_FREE;
	m->next = NO_HANDLE;
	if (gt->free_tail == NO_HANDLE)
		gt->free_head = h;
	else
		maptrack(gt, gt->free_tail)->next = h;
	gt->free_tail = h;
	spin_unlock(&gt->maptrack_lock);
}

/* Takes live mapping h for teardown; host_addr, unless 0, must be where it is. */
static s16 claim(struct gnttab_domain *gt, u32 h, u64 host_addr)
{
	struct maptrack_entry *m;
	s16 rc = GNTST_okay;

	spin_lock(&gt->maptrack_lock);
	m = h < gt->nr_chunks * MAPS_PER_CHUNK ? maptrack(gt, h) : NULL;
	if (!m || m->state != MAP_LIVE)
		rc = GNTST_bad_handle;
	else if (host_addr && host_addr != m->gfn << PAGE_SHIFT)
		rc = GNTST_general_error;
	else
		m->state = MAP_BUSY; /* a second unmap of h now fails */
	spin_unlock(&gt->maptrack_lock);
	return rc;
}

/* Gives claimed mapping h back, untouched. */
static void unclaim(struct gnttab_domain *gt, u32 h)
{
	spin_lock(&gt->maptrack_lock);
	maptrack(gt, h)->state = MAP_LIVE;
	spin_unlock(&gt->maptrack_lock);
}

/*
 * Takes claimed mapping h out of ld's map, if it is still there where it was
 * put: one step under the map's lock (p2m_unmap_foreign), so that whatever
 * another vCPU put at that gfn meanwhile (shared_info over it, say) stays.
 * 0, or -ENOENT if the gfn holds something else now.
 */
static int unmap_from_p2m(struct domain *ld, const struct maptrack_entry *m)
{
	return p2m_unmap_foreign(ld, m->gfn, m->pa);
}

/*
 * Ends mapping h (MAP_BUSY, so it is ours alone): out of the p2m (whose unmap
 * returns with the TLBs invalidated) before the pin goes, so the granter
 * cannot revoke a frame we still map. If the guest replaced it by other
 * means, the gfn now holds something else, which stays.
 */
static void release_map(struct domain *ld, struct gnttab_domain *lgt, u32 h)
{
	struct maptrack_entry *m = maptrack(lgt, h);

	unmap_from_p2m(ld, m);
	unpin(m->granter, m->ref, m->readonly);
	handle_put(lgt, h);
}

int gnttab_domain_release(struct domain *d)
{
	struct gnttab_domain *gt = d->gnttab;
	u32 pins;

	if (!gt)
		return 0;
	spin_lock(&gt->lock);
	gt->dying = true;
	spin_unlock(&gt->lock);
	for (u32 h = 0; h < gt->nr_chunks * MAPS_PER_CHUNK; h++)
		if (claim(gt, h, 0) == GNTST_okay)
			release_map(d, gt, h);
	spin_lock(&gt->lock);
	pins = gt->pins;
	spin_unlock(&gt->lock);
	if (pins) {
		printk("d%u: grant table kept: %u pins by other domains\n", d->id, pins);
		return -EBUSY;
	}
	return 0;
}

void gnttab_domain_free(struct domain *d)
{
	struct gnttab_domain *gt = d->gnttab;

	if (!gt)
		return;
	d->gnttab = NULL;
	free_table(gt);
}

/* ---- the operations ---- */

static s16 map_ref(struct domain *ld, struct gnttab_map_grant_ref *op)
{
	struct gnttab_domain *lgt = ld->gnttab;
	bool ro = op->flags & GNTMAP_readonly;
	struct maptrack_entry *m;
	struct domain *rd;
	paddr_t pa;
	s16 rc;
	u32 h;

	if (!(op->flags & (GNTMAP_host_map | GNTMAP_device_map)))
		return GNTST_bad_gntref; /* Xen: no kind of mapping asked for */
	/* Arm has no device or PTE mappings: a grant only goes into the stage 2. */
	if ((op->flags & ~GNTMAP_readonly) != GNTMAP_host_map ||
	    !IS_ALIGNED(op->host_addr, PAGE_SIZE))
		return GNTST_general_error;
	/* By id only (Xen: rcu_lock_domain_by_id): DOMID_SELF names nobody here. */
	rd = op->dom == DOMID_SELF ? NULL : lookup(ld, op->dom);
	if (!rd)
		return GNTST_bad_domain;
	h = handle_get(lgt);
	if (h == NO_HANDLE)
		return GNTST_no_space;
	rc = pin(rd->gnttab, op->ref, ld->id, ro, true, &pa);
	if (rc == GNTST_okay && p2m_map_page(ld, op->host_addr >> PAGE_SHIFT, pa,
					     ro ? P2M_FOREIGN_RO : P2M_FOREIGN_RW)) {
		unpin(rd->gnttab, op->ref, ro);
		rc = GNTST_general_error;
	}
	if (rc != GNTST_okay) {
		handle_put(lgt, h);
		return rc;
	}
	spin_lock(&lgt->maptrack_lock);
	m = maptrack(lgt, h);
	m->granter = rd->gnttab;
	m->pa = pa;
	m->gfn = op->host_addr >> PAGE_SHIFT;
	m->ref = op->ref;
	m->readonly = ro;
	m->state = MAP_LIVE;
	spin_unlock(&lgt->maptrack_lock);
	op->handle = h;
	/* The machine address, as Xen on Arm: Linux's swiotlb-xen records it. */
	op->dev_bus_addr = pa_addr(pa);
	return GNTST_okay;
}

/*
 * A mapping something else has since replaced (shared_info, as Xen allows)
 * cannot be unmapped: Xen's p2m removal finds another frame there
 * (arch/arm/mm.c replace_grant_host_mapping). Its pin stays until the
 * domain ends, as in Xen.
 */
static s16 unmap_ref(struct domain *ld, struct gnttab_unmap_grant_ref *op)
{
	struct maptrack_entry *m;
	s16 rc = claim(ld->gnttab, op->handle, op->host_addr);

	if (rc != GNTST_okay)
		return rc;
	m = maptrack(ld->gnttab, op->handle);
	/* Replaced at its gfn: it stays, pinned, until the domain ends (as Xen). */
	if (unmap_from_p2m(ld, m)) {
		unclaim(ld->gnttab, op->handle);
		return GNTST_general_error;
	}
	unpin(m->granter, m->ref, m->readonly);
	handle_put(ld->gnttab, op->handle);
	return GNTST_okay;
}

/*
 * unmap_and_replace: Arm cannot put another frame where a grant was
 * (arch/arm/mm.c replace_grant_host_mapping), so only new_addr 0, a plain
 * unmap, succeeds. Its layout is unmap_grant_ref's, new_addr in dev_bus_addr.
 */
static s16 unmap_and_replace(struct domain *ld, struct gnttab_unmap_grant_ref *op)
{
	s16 rc;

	if (!op->dev_bus_addr)
		return unmap_ref(ld, op);
	rc = claim(ld->gnttab, op->handle, 0);
	if (rc == GNTST_okay) {
		unclaim(ld->gnttab, op->handle);
		rc = GNTST_general_error;
	}
	return rc;
}

/* One side of a copy: a frame of the caller's, or a grant pinned for the copy. */
struct copy_side {
	struct gnttab_domain *gt; /* set while a grant is pinned */
	grant_ref_t ref;
	paddr_t pa;
};

static s16 copy_claim(struct domain *ld, const struct gnttab_copy_ptr *p, bool gref, bool write,
		      struct copy_side *s)
{
	struct domain *rd;
	s16 rc;

	if (!gref) {
		/* Frames go by number only in the caller's own space (Xen: DOMID_SELF only). */
		if (p->domid != DOMID_SELF)
			return GNTST_permission_denied;
		/* Its own (a shared page is copied first): the frame is used after the lookup. */
		if (p2m_own_ram(ld, p->u.gmfn, &s->pa, false))
			return GNTST_bad_page;
		return GNTST_okay;
	}
	rd = lookup(ld, p->domid);
	if (!rd)
		return GNTST_bad_domain;
	rc = pin(rd->gnttab, p->u.ref, ld->id, !write, false, &s->pa);
	if (rc == GNTST_okay) {
		s->gt = rd->gnttab;
		s->ref = p->u.ref;
	}
	return rc;
}

static s16 copy(struct domain *ld, const struct gnttab_copy *op)
{
	struct copy_side src = { 0 }, dst = { 0 };
	s16 rc;

	/* Xen ignores unknown flag bits; so do we. */
	if (op->source.offset + op->len > PAGE_SIZE || op->dest.offset + op->len > PAGE_SIZE)
		return GNTST_bad_copy_arg;
	rc = copy_claim(ld, &op->source, op->flags & GNTCOPY_source_gref, false, &src);
	if (rc == GNTST_okay)
		rc = copy_claim(ld, &op->dest, op->flags & GNTCOPY_dest_gref, true, &dst);
	/* memmove: a copy within one frame may overlap. */
	if (rc == GNTST_okay)
		memmove((u8 *)p2m_frame_va(dst.pa) + op->dest.offset,
			(const u8 *)p2m_frame_va(src.pa) + op->source.offset, op->len);
	/* Into the caller's own frame, behind its stage 2 (a granted one is unpin's to log). */
	if (rc == GNTST_okay && !dst.gt && READ_ONCE(ld->log_dirty))
		p2m_set_dirty(ld, op->dest.u.gmfn);
	if (src.gt)
		unpin(src.gt, src.ref, true);
	if (dst.gt)
		unpin(dst.gt, dst.ref, false);
	return rc;
}

/*
 * As Xen 4.17: a zero op or length does nothing (Linux probes with an
 * all-zero struct), SOURCE_GREF is refused. The frame (dev_bus_addr, a
 * machine address) must be the caller's own RAM, known here only when the
 * caller maps it at the same gfn (direct-mapped dom0, the one domain Linux
 * flushes from), or a frame it maps by grant: the maptrack lock keeps that
 * mapping, and so the grant's pin, until the flush is done.
 */
static long cache_flush(struct domain *ld, const struct gnttab_cache_flush *op)
{
	struct gnttab_domain *gt = ld->gnttab;
	paddr_t frame = pa_init(op->a.dev_bus_addr & PAGE_MASK), pa;
	enum p2m_type type;
	bool ok;

	if (op->offset >= PAGE_SIZE || op->offset + op->length > PAGE_SIZE ||
	    (op->op & ~(GNTTAB_CACHE_CLEAN | GNTTAB_CACHE_INVAL)))
		return -EINVAL;
	if (!op->length || !op->op)
		return 0;
	/* A machine address: its own RAM mapped 1:1 (dom0), or a frame it has by grant. */
	ok = !p2m_lookup(ld, pa_mfn(frame), &pa, &type) && type == P2M_RAM &&
	     pa_addr(pa) == pa_addr(frame);
	spin_lock(&gt->maptrack_lock);
	for (u32 h = 0; !ok && h < gt->nr_chunks * MAPS_PER_CHUNK; h++)
		ok = maptrack(gt, h)->state == MAP_LIVE &&
		     pa_addr(maptrack(gt, h)->pa) == pa_addr(frame);
	if (ok)
		arch_cache_maintain((u8 *)p2m_frame_va(frame) + op->offset, op->length,
				    op->op & GNTTAB_CACHE_CLEAN, op->op & GNTTAB_CACHE_INVAL);
	spin_unlock(&gt->maptrack_lock);
	return ok ? 0 : -EINVAL;
}

/* The domain a table op names, by any id, if the caller may look at it: a GNTST_ status. */
static s16 table_of(struct domain *ld, domid_t id, struct domain **d)
{
	*d = lookup(ld, id);
	if (!*d)
		return GNTST_bad_domain;
	return *d != ld && !ld->privileged ? GNTST_permission_denied : GNTST_okay;
}

static s16 query_size(struct domain *ld, struct gnttab_query_size *op)
{
	struct domain *d;
	s16 rc = table_of(ld, op->dom, &d);

	if (rc)
		return rc;
	spin_lock(&d->gnttab->lock);
	op->nr_frames = d->gnttab->nr_frames;
	op->max_nr_frames = d->gnttab->max_frames;
	spin_unlock(&d->gnttab->lock);
	return GNTST_okay;
}

/* Xen on Arm has max_version 1: 2 is -ENOSYS, anything else -EINVAL; 1 is written back. */
static long set_version(struct gnttab_set_version *op)
{
	long rc = op->version == 1 ? 0 : op->version == 2 ? -ENOSYS : -EINVAL;

	op->version = 1;
	return rc;
}

static long get_version(struct domain *ld, struct gnttab_get_version *op)
{
	struct domain *d = lookup(ld, op->dom);

	if (!d)
		return -ESRCH;
	if (d != ld && !ld->privileged)
		return -EPERM;
	op->version = 1;
	return 0;
}

/*
 * setup_table: grows the table to nr_frames and says where the guest has
 * each frame (Xen on Arm: the gfn it placed it at, ~0 for none).
 */
static s16 setup_table(struct vcpu *v, struct gnttab_setup_table *op)
{
	struct domain *d;
	s16 rc = table_of(v->dom, op->dom, &d);
	paddr_t pa;

	if (rc)
		return rc;
	if (op->nr_frames > d->gnttab->max_frames ||
	    (op->nr_frames && gnttab_get_frame(d, op->nr_frames - 1, &pa)))
		return GNTST_general_error;
	for (u32 i = 0; i < op->nr_frames; i++) {
		u64 gfn = i < GNTTAB_DEFAULT_MAX_FRAMES ? READ_ONCE(d->gnttab_gfn[i]) : GFN_NONE;

		if (copy_to_guest(v, op->frame_list + i * 8ULL, &gfn, 8))
			rc = GNTST_bad_virt_addr;
	}
	return rc;
}

/* Two of the caller's entries trade places, unless either is in use (Xen: eagain). */
static s16 swap_refs(struct gnttab_domain *gt, grant_ref_t a, grant_ref_t b)
{
	s16 rc = GNTST_okay;

	spin_lock(&gt->lock);
	if (a >= gt->nr_frames * ENTRIES_PER_FRAME || b >= gt->nr_frames * ENTRIES_PER_FRAME) {
		rc = GNTST_bad_gntref;
	} else if (a != b) {
		struct grant_entry_v1 t = *entry(gt, a);

		if (active(gt, a)->readers + active(gt, a)->writers +
		    active(gt, b)->readers + active(gt, b)->writers) {
			rc = GNTST_eagain;
		} else {
			*entry(gt, a) = *entry(gt, b);
			*entry(gt, b) = t;
		}
	}
	spin_unlock(&gt->lock);
	return rc;
}

/* ---- dispatch ---- */

static const u8 op_sizes[] = {
	[GNTTABOP_map_grant_ref] = sizeof(struct gnttab_map_grant_ref),
	[GNTTABOP_unmap_grant_ref] = sizeof(struct gnttab_unmap_grant_ref),
	[GNTTABOP_copy] = sizeof(struct gnttab_copy),
	[GNTTABOP_query_size] = sizeof(struct gnttab_query_size),
	[GNTTABOP_set_version] = sizeof(struct gnttab_set_version),
	[GNTTABOP_get_version] = sizeof(struct gnttab_get_version),
	[GNTTABOP_cache_flush] = sizeof(struct gnttab_cache_flush),
	[GNTTABOP_unmap_and_replace] = sizeof(struct gnttab_unmap_grant_ref),
	[GNTTABOP_setup_table] = sizeof(struct gnttab_setup_table),
	[GNTTABOP_get_status_frames] = sizeof(struct gnttab_get_status_frames),
	[GNTTABOP_swap_grant_ref] = sizeof(struct gnttab_swap_grant_ref),
};

long gnttab_op_size(int cmd)
{
	if (cmd < 0 || (unsigned int)cmd >= ARRAY_SIZE(op_sizes) || !op_sizes[cmd])
		return -ENOSYS;
	return op_sizes[cmd];
}

long gnttab_op(struct vcpu *v, int cmd, void *arg)
{
	struct domain *d = v->dom;

	if (!d->gnttab)
		return -ENOSYS;
	switch (cmd) {
	case GNTTABOP_map_grant_ref:
		((struct gnttab_map_grant_ref *)arg)->status = map_ref(d, arg);
		return 0;
	case GNTTABOP_unmap_grant_ref:
		((struct gnttab_unmap_grant_ref *)arg)->status = unmap_ref(d, arg);
		return 0;
	case GNTTABOP_unmap_and_replace:
		((struct gnttab_unmap_grant_ref *)arg)->status = unmap_and_replace(d, arg);
		return 0;
	case GNTTABOP_setup_table:
		((struct gnttab_setup_table *)arg)->status = setup_table(v, arg);
		return 0;
	case GNTTABOP_get_status_frames: {
		struct gnttab_get_status_frames *op = arg;
		struct domain *t;

		/* A v1 table has no status frames: asking for any is an error. */
		op->status = table_of(d, op->dom, &t);
		if (!op->status && op->nr_frames)
			op->status = GNTST_general_error;
		return 0;
	}
	case GNTTABOP_swap_grant_ref: {
		struct gnttab_swap_grant_ref *op = arg;

		op->status = swap_refs(d->gnttab, op->ref_a, op->ref_b);
		return 0;
	}
	case GNTTABOP_copy:
		((struct gnttab_copy *)arg)->status = copy(d, arg);
		return 0;
	case GNTTABOP_query_size:
		((struct gnttab_query_size *)arg)->status = query_size(d, arg);
		return 0;
	case GNTTABOP_set_version:
		return set_version(arg);
	case GNTTABOP_get_version:
		return get_version(d, arg);
	case GNTTABOP_cache_flush:
		return cache_flush(d, arg);
	default:
		return -ENOSYS;
	}
}

void gnttab_dump(struct domain *d)
{
	struct gnttab_domain *gt = d->gnttab;

	if (!gt) {
		printk("d%u: no grant table\n", d->id);
		return;
	}
	spin_lock(&gt->lock);
	printk("d%u grant table v1: %u of %u frames, %u pins%s\n", d->id, gt->nr_frames,
	       gt->max_frames, gt->pins, gt->dying ? ", dying" : "");
	for (u32 ref = 0; gt->pins && ref < gt->nr_frames * ENTRIES_PER_FRAME; ref++) {
		struct active_grant *a = active(gt, ref);

		if (a->readers + a->writers)
			printk("  ref %u: d%u, %u ro %u rw, frame %#lx\n", ref, a->domid,
			       a->readers, a->writers, pa_addr(a->pa));
	}
	spin_unlock(&gt->lock);
	spin_lock(&gt->maptrack_lock);
	for (u32 h = 0; h < gt->nr_chunks * MAPS_PER_CHUNK; h++) {
		struct maptrack_entry *m = maptrack(gt, h);

		if (m->state == MAP_LIVE)
			printk("  handle %u: d%u ref %u at gfn %#lx%s\n", h, m->granter->domid,
			       m->ref, m->gfn, m->readonly ? " ro" : "");
	}
	spin_unlock(&gt->maptrack_lock);
}
