/* SPDX-License-Identifier: MIT */
/*
 * vcpu_op and what Xen keeps per vCPU for the guest: where its vcpu_info
 * (event upcall state) lives, its runstate (time running, runnable, blocked,
 * offline: the guest's steal time), and the wall clock in shared_info.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/hypercall.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <domus/evtchn.h>
#include <domus/upcall.h>
#include <domus/vcpu_op.h>
#include <public/vcpu.h>
#include <public/xen.h>

u64 counter_to_ns(u64 ticks)
{
	u64 f = arch_counter_freq();

	return ticks / f * 1000000000ULL + (ticks % f) * 1000000000ULL / f;
}

/*
 * Registers the guest's own copy of its vcpu_info (common/domain.c
 * map_vcpu_info): it must lie within one page and be 8-aligned (-ENXIO), a
 * vCPU may register once (the old copy could still be in use by an upcall in
 * flight), only for itself or for a vCPU that is down, and in a frame of the
 * domain's own: its RAM, or its own frame mapped through its own grant.
 * Either stays the domain's until it ends (mm's frame-owner table), so the
 * pointer kept here stays good.
 */
/*
 * Points t's vcpu_info at gfn + offset of its domain d, under the rules
 * above. fresh: the registration of a running guest, whose upcall state
 * moves there from where it was; otherwise a restore's, where the saved
 * guest memory already holds it as it was.
 */
static long place_vcpu_info(struct domain *d, struct vcpu *t, u64 gfn, u64 offset, bool fresh)
{
	struct vcpu_info *new;
	enum p2m_type type;
	paddr_t pa;
	bool own;

	if (offset > PAGE_SIZE - sizeof(struct vcpu_info) || !IS_ALIGNED(offset, 8))
		return -ENXIO;
	own = p2m_lookup(d, gfn, &pa, &type) == 0 &&
	      (type == P2M_RAM || type == P2M_RAM_COW ||
	       ((type == P2M_FOREIGN_RW || type == P2M_FOREIGN_RO) && mm_frame_owner(pa) == d->id));
	/* Domus writes it from now on: its own frame, pinned (never shared with a clone). */
	if (own && (type == P2M_RAM || type == P2M_RAM_COW))
		own = p2m_own_ram(d, gfn, &pa, true) == 0;
	else if (own)
		/*
		 * Its own frame as it maps it by grant: the grant's pin ends with
		 * that mapping, the vcpu_info does not, so it needs a pin of its
		 * own (and the refusal below drops this one, not the grant's).
		 */
		mm_frame_pin(pa);
	if (!own)
		return -EINVAL;
	spin_lock(&d->lock);
	if (t->vcpu_info_registered) {
		spin_unlock(&d->lock);
		mm_frame_unpin(pa);
		return -EINVAL;
	}
	new = (struct vcpu_info *)((char *)p2m_frame_va(pa) + offset);
	if (fresh && t->vcpu_info)
		memcpy(new, t->vcpu_info, sizeof(*new));
	else if (fresh)
		memset(new, 0, sizeof(*new));
	/* Whatever was pending while it moved: make the guest look at every word. */
	new->evtchn_pending_sel = ~0ULL;
	__atomic_store_n(&new->evtchn_upcall_pending, 1, __ATOMIC_RELEASE);
	t->vcpu_info = new;
	t->vcpu_info_gfn = gfn;
	t->vcpu_info_offset = (u32)offset;
	t->vcpu_info_registered = true;
	spin_unlock(&d->lock);
	evtchn_notify_vcpu(t);
	return 0;
}

static long register_vcpu_info(struct vcpu *v, struct vcpu *t, vaddr_t arg)
{
	struct vcpu_register_vcpu_info r;

	if (copy_from_guest(v, &r, arg, sizeof(r)))
		return -EFAULT;
	/* rsvd is not looked at: Linux leaves it uninitialised, and Xen ignores it. */
	if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info) || !IS_ALIGNED(r.offset, 8))
		return -ENXIO;
	/* Only the vCPU itself, or for one that is not running (Linux registers CPU n on CPU n). */
	if (t != v && !READ_ONCE(t->down))
		return -EINVAL;
	return place_vcpu_info(v->dom, t, r.mfn, r.offset, true);
}

long vcpu_info_restore(struct vcpu *t, u64 gfn, u32 offset)
{
	return place_vcpu_info(t->dom, t, gfn, offset, false);
}

static void runstate_account(struct vcpu *v, int state, u64 now)
{
	struct vcpu_runstate_info *r = &v->runstate;

	if (v->runstate_entry)
		r->time[r->state] += counter_to_ns(now - v->runstate_entry);
	r->state = state;
	r->state_entry_time = counter_to_ns(now);
	v->runstate_entry = now;
}

/*
 * Writes the runstate where the guest registered it. Called when the vCPU is
 * switched in, so its own stage 1 translates the address. With the
 * runstate_update_flag assist, bit 63 of state_entry_time tells a reader on
 * another vCPU that a write is in progress.
 */
static void runstate_publish(struct vcpu *v)
{
	struct vcpu_runstate_info r = v->runstate;
	vaddr_t va = __atomic_load_n(&v->runstate_guest, __ATOMIC_RELAXED);
	bool flag = v->dom->vm_assist & BIT(VMASST_TYPE_runstate_update_flag);
	u64 entry = r.state_entry_time;

	if (!va)
		return;
	if (flag) {
		u64 busy = entry | XEN_RUNSTATE_UPDATE;

		if (copy_to_guest(v, va + 8, &busy, 8))
			goto fault;
		__atomic_thread_fence(__ATOMIC_RELEASE);
		r.state_entry_time = busy;
	}
	if (copy_to_guest(v, va, &r, sizeof(r)))
		goto fault;
	if (flag) {
		__atomic_thread_fence(__ATOMIC_RELEASE);
		if (copy_to_guest(v, va + 8, &entry, 8))
			goto fault;
	}
	return;
fault:
	/*
	 * Not mapped right now (say a vCPU just started by PSCI, MMU still off):
	 * skip this update; the registration stays, as in Xen.
	 */
	return;
}

static int runstate_of(const struct vcpu *v)
{
	switch (v->state) {
	case VCPU_RUNNING:
		return RUNSTATE_running;
	case VCPU_RUNNABLE:
		return RUNSTATE_runnable;
	case VCPU_BLOCKED:
		return RUNSTATE_blocked;
	default:
		return RUNSTATE_offline;
	}
}

void runstate_switch(struct vcpu *prev, struct vcpu *next, u64 now)
{
	if (prev)
		runstate_account(prev, runstate_of(prev), now);
	if (next) {
		runstate_account(next, RUNSTATE_running, now);
		runstate_publish(next);
	}
}

/*
 * Where the guest wants its runstate: a guest virtual address, not checked
 * until it is written (common/domain.c), at any alignment, for any of its
 * vCPUs. The caller's own is written at once; another vCPU's at its next
 * switch-in, through its own page tables (Xen writes a snapshot through the
 * caller's at once: the same place when, as Linux's, they share a kernel map).
 */
static long register_runstate(struct vcpu *v, struct vcpu *t, vaddr_t arg)
{
	u64 va;

	if (copy_from_guest(v, &va, arg, sizeof(va)))
		return -EFAULT;
	__atomic_store_n(&t->runstate_guest, va, __ATOMIC_RELAXED);
	if (va && t == v) {
		runstate_account(t, RUNSTATE_running, arch_counter());
		runstate_publish(t);
	}
	return 0;
}

long do_vcpu_op(struct vcpu *v, int cmd, u64 vcpuid, vaddr_t arg)
{
	struct domain *d = v->dom;
	struct vcpu *t;

	if (vcpuid >= d->nr_vcpus)
		return -ENOENT;
	t = d->vcpus[vcpuid];
	switch (cmd) {
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(v, t, arg);
	case VCPUOP_register_runstate_memory_area:
		return register_runstate(v, t, arg);
	}
	/* Xen on Arm has only those two (arch/arm/domain.c): vCPUs come and go by PSCI. */
	return -EINVAL;
}

/* Wall-clock time (ns since the epoch) when the counter read 0; 0 until dom0 sets it. */
static u64 wall_at_counter_zero;

void wallclock_update(struct domain *d)
{
	struct shared_info *s = d->shared_info;
	u64 wall = wall_at_counter_zero + counter_to_ns(d->cntvoff);
	u32 ver;

	if (!s || !wall_at_counter_zero)
		return;
	spin_lock(&d->lock);
	/* A seqlock the guest reads: odd while the fields change. */
	ver = __atomic_add_fetch(&s->wc_version, 1, __ATOMIC_RELEASE);
	(void)ver;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->wc_sec = (u32)(wall / 1000000000ULL);
	s->wc_sec_hi = (u32)((wall / 1000000000ULL) >> 32);
	s->wc_nsec = (u32)(wall % 1000000000ULL);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_add_fetch(&s->wc_version, 1, __ATOMIC_RELEASE);
	spin_unlock(&d->lock);
}

/* Linux's system time here is its virtual counter in ns: the host's minus cntvoff. */
void wallclock_set(struct domain *caller, u64 wall_ns, u64 at_ns)
{
	wall_at_counter_zero = wall_ns - at_ns - counter_to_ns(caller->cntvoff);
	domain_for_each(wallclock_update);
}

u64 wallclock_now_ns(void)
{
	return wall_at_counter_zero ? wall_at_counter_zero + counter_to_ns(arch_counter()) : 0;
}
