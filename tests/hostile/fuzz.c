/* SPDX-License-Identifier: MIT */
/*
 * The hostile guest's fuzz mode ("fuzz seed=S calls=N" on its command line):
 * every vCPU makes N hypercalls with random numbers and arguments, biased
 * toward what looks valid (its own frames, ports and grant references that
 * exist, pointers into a scratch area it fills with plausible structs), then
 * it reports and powers off. Seeded and reproducible: vCPU n uses seed S + n,
 * and the same seed makes the same calls.
 *
 * Its aim is Domus, not itself: it never shuts itself down, takes itself
 * offline, blocks with nothing to wake it, sets a watchdog, or names its own
 * code, stacks or console; the frames it offers for the taking are the top
 * 16 MiB of its RAM (VICTIM_BASE) and holes. What a call returns is not
 * judged (the hostile cases do that): what counts is that Domus, dom0 and
 * the fuzzer itself are still there after, and that every page comes back.
 */
#include "hostile.h"

struct rng {
	u64 s;
};

static u64 next(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static u64 below(struct rng *r, u64 n)
{
	return next(r) % n;
}

/* The hypercalls Xen on Arm has, weighted toward the ones with most to check. */
static const u32 calls[] = {
	__HYPERVISOR_memory_op, __HYPERVISOR_memory_op, __HYPERVISOR_memory_op,
	__HYPERVISOR_grant_table_op, __HYPERVISOR_grant_table_op, __HYPERVISOR_grant_table_op,
	__HYPERVISOR_event_channel_op, __HYPERVISOR_event_channel_op, __HYPERVISOR_vcpu_op,
	__HYPERVISOR_vcpu_op, __HYPERVISOR_sched_op, __HYPERVISOR_xen_version, __HYPERVISOR_hvm_op,
	__HYPERVISOR_vm_assist, __HYPERVISOR_console_io, __HYPERVISOR_multicall,
	__HYPERVISOR_platform_op, __HYPERVISOR_sysctl, __HYPERVISOR_domctl, 55,
};

/* Where its scratch structs live: 8 MiB of the scratch area, one slot per vCPU. */
#define FUZZ_AREA (SCRATCH_BASE + 0x800000UL)
#define FUZZ_SLOT 0x100000UL
#define VICTIM_PAGES 4096 /* the top 16 MiB of RAM */

static u64 area(void)
{
	return FUZZ_AREA + this_cpu()->id * FUZZ_SLOT;
}

/*
 * Keeps a value off the fuzzer itself: as a frame number or an address, its
 * RAM below VICTIM_BASE (image, stacks, the hostile cases' scratch) is not to
 * be taken, mapped over or written; such a value becomes a victim page or a
 * place in its own scratch slot.
 */
static u64 safe(u64 v)
{
	if (v >= RAM_GFN(0) && v < (VICTIM_BASE >> 12))
		return (VICTIM_BASE >> 12) + v % VICTIM_PAGES;
	if (v >= RAM_BASE && v < VICTIM_BASE && (v < area() || v >= area() + FUZZ_SLOT))
		return area() + v % (FUZZ_SLOT - 4096);
	return v;
}

/* A frame number: one of the victim pages, a hole, the grant-table window, or anything. */
static u64 frame(struct rng *r)
{
	switch (below(r, 8)) {
	case 0:
	case 1:
	case 2:
		return (VICTIM_BASE >> 12) + below(r, VICTIM_PAGES);
	case 3:
		return (HOLE_MAP_BASE >> 12) + below(r, 0x4000);
	case 4:
		return GNTTAB_GFN + below(r, 80);
	case 5:
		return safe(below(r, 0x100000));
	case 6:
		return ~0ULL - below(r, 4);
	}
	return next(r);
}

/* A pointer for the hypervisor to read or write: mostly into our scratch, sometimes not. */
static u64 pointer(struct rng *r)
{
	switch (below(r, 10)) {
	case 0:
		return BAD_PTR + below(r, 0x10000);
	case 1:
		return 0;
	case 2:
		return area() + FUZZ_SLOT - below(r, 64); /* runs off the end of our slot */
	case 3:
		return next(r) | 0xffff000000000000ULL; /* a kernel-looking address */
	case 4:
		return (VICTIM_BASE) + below(r, VICTIM_PAGES) * PAGE_SIZE + below(r, 4096);
	}
	return area() + below(r, FUZZ_SLOT - 4096) + (below(r, 4) ? 0 : below(r, 8));
}

/* An argument of any kind. */
static u64 raw_value(struct rng *r)
{
	switch (below(r, 9)) {
	case 0:
	case 1:
		return below(r, 64);
	case 2:
		return below(r, 4200); /* ports, refs, counts around their limits */
	case 3:
		return frame(r);
	case 4:
		return pointer(r);
	case 5:
		return 0x7ff0 + below(r, 16); /* DOMID_SELF and its neighbours */
	case 6:
		return (u64)-1 - below(r, 2);
	case 7:
		return 1ULL << below(r, 64);
	}
	return next(r);
}

static u64 value(struct rng *r)
{
	return safe(raw_value(r));
}

/* Fills the bytes a pointer argument may point at with values that look like struct fields. */
static void scribble(struct rng *r, u64 at, u64 bytes)
{
	for (u64 off = 0; off < bytes; off += 8) {
		u64 v = value(r);

		if (below(r, 4) == 0)
			v = (v & 0xffff) | ((u64)DOMID_SELF << 16); /* a domid beside a small field */
		wr64(at + off, safe(v));
	}
}

static bool in_area(u64 p, u64 bytes)
{
	return p >= area() && p + bytes <= area() + FUZZ_SLOT;
}

/* A domain to name: itself (by DOMID_SELF or id), dom0, a neighbour, or one nobody has. */
static domid_t domain(struct rng *r)
{
	switch (below(r, 6)) {
	case 0:
	case 1:
		return DOMID_SELF;
	case 2:
		return env.domid;
	case 3:
		return 0;
	case 4:
		return (domid_t)below(r, 8);
	}
	return (domid_t)raw_value(r);
}

/* A grant reference: mostly the ones it grants itself (8..71), or anything. */
static u32 gref(struct rng *r)
{
	return below(r, 4) ? 8 + below(r, 64) : (u32)raw_value(r);
}

/* A list of n frame numbers in its scratch slot, for the reservation and batch calls. */
static u64 frame_list(struct rng *r, u64 n)
{
	u64 at = area() + FUZZ_SLOT / 2 + below(r, 64) * 8;

	for (u64 i = 0; i < n; i++)
		wr64(at + i * 8, frame(r));
	return at;
}

/*
 * Half the time a call's struct is filled as a well-meaning guest would fill
 * it, with one or two fields random: so that calls get past the first check
 * and reach the paths behind it. p is 8-aligned in the scratch slot.
 */
static void template(struct rng *r, u64 nr, u64 cmd, u64 p)
{
	switch (nr) {
	case __HYPERVISOR_memory_op:
		switch (cmd) {
		case XENMEM_increase_reservation:
		case XENMEM_decrease_reservation:
		case XENMEM_populate_physmap: {
			u64 n = 1 + below(r, 8);
			struct xen_memory_reservation *m = (void *)p;

			m->extent_start = frame_list(r, n);
			m->nr_extents = n;
			m->extent_order = below(r, 4) ? 0 : (u32)below(r, 11);
			m->mem_flags = below(r, 8) ? 0 : (u32)raw_value(r);
			m->domid = domain(r);
			break;
		}
		case XENMEM_add_to_physmap: {
			struct xen_add_to_physmap *a = (void *)p;

			a->domid = domain(r);
			a->size = (u16)below(r, 4);
			a->space = (u32)below(r, 6);
			a->idx = below(r, 4) ? below(r, 4) : raw_value(r);
			a->gpfn = frame(r);
			break;
		}
		case XENMEM_remove_from_physmap: {
			struct xen_remove_from_physmap *m = (void *)p;

			m->domid = domain(r);
			m->gpfn = frame(r);
			break;
		}
		case XENMEM_add_to_physmap_batch: {
			u64 n = 1 + below(r, 16);
			struct xen_add_to_physmap_batch *b = (void *)p;

			b->domid = domain(r);
			b->space = (u16)below(r, 6);
			b->size = (u16)n;
			b->foreign_domid = domain(r);
			b->idxs = frame_list(r, n);
			b->gpfns = frame_list(r, n);
			b->errs = area() + FUZZ_SLOT - 4096;
			break;
		}
		}
		break;
	case __HYPERVISOR_grant_table_op:
		for (u64 i = 0; i < 8; i++) {
			switch (cmd) {
			case GNTTABOP_map_grant_ref: {
				struct gnttab_map_grant_ref *m = (struct gnttab_map_grant_ref *)p + i;

				m->host_addr = (HOLE_MAP_BASE + below(r, 0x4000) * PAGE_SIZE) |
					       (below(r, 16) ? 0 : below(r, 4096));
				m->flags = GNTMAP_host_map | (below(r, 2) ? GNTMAP_readonly : 0) |
					   (below(r, 16) ? 0 : (u32)raw_value(r));
				m->ref = gref(r);
				m->dom = domain(r);
				break;
			}
			case GNTTABOP_unmap_grant_ref: {
				struct gnttab_unmap_grant_ref *u = (struct gnttab_unmap_grant_ref *)p + i;

				u->host_addr = below(r, 2) ? 0 : HOLE_MAP_BASE + below(r, 0x4000) * PAGE_SIZE;
				u->handle = (u32)below(r, 256);
				break;
			}
			case GNTTABOP_copy: {
				struct gnttab_copy *c = (struct gnttab_copy *)p + i;

				c->flags = (u16)below(r, 4);
				c->source.u.gmfn = c->flags & GNTCOPY_source_gref ? gref(r) : frame(r);
				c->dest.u.gmfn = c->flags & GNTCOPY_dest_gref ? gref(r) : frame(r);
				c->source.domid = domain(r);
				c->dest.domid = domain(r);
				c->source.offset = (u16)below(r, 4200);
				c->dest.offset = (u16)below(r, 4200);
				c->len = (u16)below(r, 4200);
				break;
			}
			}
		}
		break;
	case __HYPERVISOR_event_channel_op:
		wr64(p, below(r, 3) ? (u32)below(r, 64) | (u64)below(r, 4) << 32 :
				      (u64)domain(r) | (u64)domain(r) << 16 | below(r, 64) << 32);
		wr64(p + 8, below(r, 64));
		break;
	case __HYPERVISOR_vcpu_op: {
		struct vcpu_register_vcpu_info *v = (void *)p;

		if (cmd == VCPUOP_register_vcpu_info) {
			v->mfn = frame(r);
			v->offset = (u32)(below(r, 2) ? below(r, 64) * 64 : below(r, 4200));
		} else {
			wr64(p, pointer(r)); /* a runstate area's address */
		}
		break;
	}
	case __HYPERVISOR_hvm_op: {
		struct xen_hvm_param *h = (void *)p;

		h->domid = domain(r);
		h->index = (u32)below(r, 40);
		h->value = raw_value(r);
		break;
	}
	}
}

static u32 rd32_bytes(u64 at)
{
	return (u32)*(volatile u8 *)at | (u32)*(volatile u8 *)(at + 1) << 8 |
	       (u32)*(volatile u8 *)(at + 2) << 16 | (u32)*(volatile u8 *)(at + 3) << 24;
}


/*
 * Keeps a batch to a size that lets a million calls finish in minutes (a
 * count of 2^63 would walk all its memory one continuation at a time):
 * extents, batch entries and grant elements become small.
 */
static void shape(struct rng *r, u64 nr, u64 cmd, u64 *a)
{
	if (nr == __HYPERVISOR_grant_table_op)
		a[1] = below(r, 4) ? 1 + below(r, 8) : below(r, 300);
	if (nr != __HYPERVISOR_memory_op)
		return;
	if (below(r, 16))
		a[0] &= ~7ULL; /* the fields below are where Domus reads them */
	if ((a[0] & 7) || !in_area(a[0], 64))
		return;
	switch (cmd & MEMOP_CMD_MASK) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		wr64(a[0] + 8, below(r, 8) ? below(r, 16) : below(r, 1024)); /* nr_extents */
		break;
	case XENMEM_add_to_physmap_batch:
		/* domid, space, size, foreign_domid: 16 bits each */
		wr64(a[0], (rd64(a[0]) & ~0xffff00000000ULL) |
				   (below(r, 8) ? below(r, 16) : below(r, 2048)) << 32);
		break;
	}
}

/*
 * Whether a call would end the fuzzer rather than test Domus: its own
 * shutdown, blocking with no wake-up coming, a watchdog, going offline,
 * closing or moving its console or XenStore port, resetting its ports or
 * leaving the 2-level event ABI its console needs.
 */
static bool self_harm(u64 nr, u64 cmd, u64 arg)
{
	u32 port;

	switch (nr) {
	case __HYPERVISOR_sched_op:
		return cmd == SCHEDOP_shutdown || cmd == SCHEDOP_block || cmd == SCHEDOP_poll ||
		       cmd == SCHEDOP_watchdog;
	case __HYPERVISOR_vcpu_op:
		return cmd == VCPUOP_down;
	case __HYPERVISOR_event_channel_op:
		if (cmd == EVTCHNOP_reset || cmd == EVTCHNOP_reset_cont || cmd == EVTCHNOP_init_control)
			return true;
		if (cmd != EVTCHNOP_close && cmd != EVTCHNOP_bind_vcpu)
			return false;
		/* The port is the struct's first word: refuse ours, and what we cannot see. */
		if (!in_area(arg, 4))
			return true;
		port = rd32_bytes(arg);
		return port == env.console_port || port == env.store_port;
	case __HYPERVISOR_multicall:
		return true; /* its entries would need the same screening */
	}
	return false;
}

/* The sub-ops each call has (Xen's numbers), to choose from most of the time. */
static u64 known_cmd(struct rng *r, u64 nr)
{
	static const u8 mem[] = { 0, 1, 2, 3, 4, 6, 7, 14, 15, 23 };
	static const u8 sched[] = { SCHEDOP_yield, SCHEDOP_remote_shutdown, SCHEDOP_shutdown_code };
	static const u8 vcpu[] = { 0, 1, 3, 4, 5, 6, 10, 11 };

	switch (nr) {
	case __HYPERVISOR_memory_op:
		return mem[below(r, sizeof(mem))];
	case __HYPERVISOR_grant_table_op:
		return below(r, 13);
	case __HYPERVISOR_event_channel_op:
		return below(r, 10);
	case __HYPERVISOR_sched_op:
		return sched[below(r, sizeof(sched))];
	case __HYPERVISOR_vcpu_op:
		return vcpu[below(r, sizeof(vcpu))];
	case __HYPERVISOR_xen_version:
		return below(r, 11);
	case __HYPERVISOR_hvm_op:
		return below(r, 2);
	}
	return below(r, 32);
}

struct fuzz_stats {
	u64 calls, ok, errors, skipped;
};
static struct fuzz_stats stats[MAX_CPUS];
static volatile u64 fuzz_seed, fuzz_calls;

static long fuzz_run(long cpu)
{
	struct rng r = { fuzz_seed * 0x9e3779b97f4a7c15ULL + (u64)cpu + 1 };
	struct fuzz_stats *st = &stats[cpu];

	for (int i = 0; i < 16; i++)
		next(&r);
	while (st->calls < fuzz_calls) {
		u64 nr = below(&r, 16) ? calls[below(&r, sizeof(calls) / sizeof(calls[0]))] : below(&r, 64);
		u64 cmd = below(&r, 8) ? known_cmd(&r, nr) : raw_value(&r);
		u64 a[4] = { value(&r), value(&r), value(&r), value(&r) };
		long rc;

		/* The struct behind the usual pointer argument (x1, or x2 for vcpu_op). */
		a[0] = below(&r, 4) ? area() + below(&r, FUZZ_SLOT / 2 - 4096) * 8 % (FUZZ_SLOT / 2)
				    : pointer(&r);
		if (a[0] >= area() && a[0] < area() + FUZZ_SLOT)
			scribble(&r, a[0] & ~7ULL, area() + FUZZ_SLOT - (a[0] & ~7ULL) < 256 ?
							   area() + FUZZ_SLOT - (a[0] & ~7ULL) : 256);
		if (nr == __HYPERVISOR_vcpu_op) {
			a[1] = a[0];
			a[0] = below(&r, 4);
		}
		if (below(&r, 4) && !(a[0] & 7) && in_area(a[0], 8 * 64))
			template(&r, nr, cmd, nr == __HYPERVISOR_vcpu_op ? a[1] : a[0]);
		shape(&r, nr, cmd, a);
		st->calls++;
		if (self_harm(nr, cmd, nr == __HYPERVISOR_vcpu_op ? a[1] : a[0])) {
			st->skipped++;
			continue;
		}
		rc = hypercall5(nr, cmd, a[0], a[1], a[2], a[3]);
		if (rc < 0)
			st->errors++;
		else
			st->ok++;
		if (cpu == 0 && st->calls % 100000 == 0)
			con_printf("fuzz: vCPU 0 at %lu calls\n", st->calls);
	}
	return 0;
}

void fuzz_main(const char *bootargs)
{
	const char *s;
	u64 t0 = now_ns(), total = 0, skipped = 0, unexpected = 0;
	unsigned int started = 1;

	fuzz_seed = 1;
	fuzz_calls = 1000000;
	for (s = bootargs; *s; s++) {
		if (mem_eq(s, "seed=", 5))
			fuzz_seed = (u64)parse_long(s + 5);
		if (mem_eq(s, "calls=", 6))
			fuzz_calls = (u64)parse_long(s + 6);
	}
	/*
	 * Something to map and copy: its grant table at GNTTAB_GFN with refs 8..71
	 * granting victim pages to itself (and some to dom0), read-only or not.
	 */
	{
		static struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
						       .gpfn = GNTTAB_GFN };

		if (hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &a, 0) == 0)
			for (u32 ref = 8; ref < 72; ref++)
				grant_own(ref, (VICTIM_BASE >> 12) + ref, ref % 3 ? 0 : GTF_readonly);
	}
	if (!xs_init(env.store_gfn, env.store_port) || !xenstore_read_domid(&env.domid))
		con_printf("fuzz: XenStore did not tell our domid: grants to ourselves will fail\n");
	con_printf("fuzz: seed %lu, %lu calls on each of %u vCPUs (we are d%u)\n", fuzz_seed, fuzz_calls,
		   nr_cpus, env.domid);
	for (unsigned int c = 1; c < nr_cpus; c++) {
		if (smp_start(c) != PSCI_SUCCESS) {
			con_printf("fuzz: vCPU %u did not start\n", c);
			continue;
		}
		smp_post(c, fuzz_run, c);
		started++;
	}
	fuzz_run(0);
	for (unsigned int c = 1; c < started; c++)
		if (!smp_wait(c, NULL, 3600000000000ULL))
			con_printf("fuzz: vCPU %u never finished\n", c);
	for (unsigned int c = 0; c < started; c++) {
		total += stats[c].calls - stats[c].skipped;
		skipped += stats[c].skipped;
		unexpected += cpus[c].unexpected;
		con_printf("fuzz: vCPU %u: %lu calls made, %lu succeeded, %lu refused, %lu skipped\n", c,
			   stats[c].calls - stats[c].skipped, stats[c].ok, stats[c].errors, stats[c].skipped);
	}
	con_printf("fuzz: done: %lu calls in %lu s, seed %lu, %lu exceptions taken\n", total,
		   (now_ns() - t0) / 1000000000, fuzz_seed, unexpected);
	con_flush();
}
