/* SPDX-License-Identifier: MIT */
/*
 * Domain and vCPU creation, guest memory, MMIO handlers, shutdown, crash and
 * destruction (its three phases: domain.h).
 *
 * Locks, in the order taken: d->lock (state changes), then a run-queue lock
 * (the vCPU pauses that go with them, in sched.c). domains_lock is taken
 * under evtchn's link_lock (its lookups) and before a d->lock
 * (domain_for_each's callbacks); a p2m lock and then the heap's (mm) when a
 * sweep asks who owns a frame.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/evtchn.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <public/xen.h>

/* Listed domains, newest last. Changed under domains_lock; walked by the rule in domain.h. */
static struct domain *domains;
static spinlock_t domains_lock = SPINLOCK_INIT;

struct domain *domain_list(void)
{
	return __atomic_load_n(&domains, __ATOMIC_ACQUIRE);
}

void domain_for_each(void (*fn)(struct domain *d))
{
	spin_lock(&domains_lock);
	for (struct domain *d = domains; d; d = d->next)
		fn(d);
	spin_unlock(&domains_lock);
}

struct domain *domain_by_id_any(domid_t id)
{
	struct domain *d;

	spin_lock(&domains_lock);
	for (d = domains; d && d->id != id; d = d->next)
		;
	spin_unlock(&domains_lock);
	return d;
}

struct domain *domain_by_id(domid_t id)
{
	struct domain *d = domain_by_id_any(id);

	/* Being destroyed: no new references (domain.h). */
	return d && READ_ONCE(d->state) != DOMAIN_DYING ? d : NULL;
}

struct domain *domain_target(struct vcpu *v, domid_t id, long *err)
{
	struct domain *d;

	if (id == DOMID_SELF || id == v->dom->id)
		return v->dom;
	/* As Xen: whether it exists first (-ESRCH), then whether the caller may (-EPERM). */
	d = id < DOMID_FIRST_RESERVED ? domain_by_id(id) : NULL;
	if (!d)
		*err = -ESRCH;
	else if (!v->dom->privileged)
		*err = -EPERM;
	return d && v->dom->privileged ? d : NULL;
}

struct domain *domain_create(domid_t id, const char *name, u32 nr_vcpus, u32 nr_spis)
{
	struct domain *d;
	u32 made = 0;
	int rc = -ENOMEM;

	if (!nr_vcpus)
		return NULL;
	d = mm_zalloc(sizeof(*d));
	if (!d)
		goto no_domain;
	d->id = id;
	snprintf(d->name, sizeof(d->name), "%s", name);
	spin_lock_init(&d->lock);
	spin_lock_init(&d->p2m_lock);
	d->state = DOMAIN_BUILDING;
	d->cntvoff = arch_counter();
	d->nr_vcpus = nr_vcpus;
	d->shared_info_gfn = GFN_NONE;
	for (u32 i = 0; i < GNTTAB_DEFAULT_MAX_FRAMES; i++)
		d->gnttab_gfn[i] = GFN_NONE;
	d->vcpus = mm_zalloc(nr_vcpus * sizeof(*d->vcpus));
	if (!d->vcpus)
		goto no_vcpu_array;
	d->shared_info = mm_alloc_pages(1);
	if (!d->shared_info)
		goto no_shared_info;
	memset(d->shared_info, 0, PAGE_SIZE);
	rc = arch_domain_init(d, nr_spis);
	if (rc)
		goto no_arch;
	rc = gnttab_domain_init(d, GNTTAB_DEFAULT_MAX_FRAMES);
	if (rc)
		goto no_gnttab;
	rc = -ENOMEM;
	for (made = 0; made < nr_vcpus; made++) {
		struct vcpu *v = mm_zalloc(sizeof(*v));

		if (!v)
			goto no_vcpus;
		d->vcpus[made] = v;
		v->dom = d;
		v->id = made;
		/* Xen's legacy slots: only vCPU 0 has one on Arm until it registers its own. */
		if (made < XEN_LEGACY_MAX_VCPUS)
			v->vcpu_info = &d->shared_info->vcpu_info[made];
		sched_add_vcpu(v, made % nr_pcpus);
	}
	rc = evtchn_domain_init(d);
	if (rc)
		goto no_evtchn;
	return d;

	/* Undone in the reverse order of the above; nothing else has seen d yet. */
no_evtchn:
no_vcpus:
	while (made--)
		mm_free(d->vcpus[made], sizeof(struct vcpu));
	gnttab_domain_free(d);
no_gnttab:
	arch_domain_destroy(d);
no_arch:
	mm_free_pages(d->shared_info, 1);
no_shared_info:
	mm_free(d->vcpus, nr_vcpus * sizeof(*d->vcpus));
no_vcpu_array:
	mm_free(d, sizeof(*d));
no_domain:
	if (rc == -ENOMEM)
		printk("d%u: cannot create: out of hypervisor memory\n", id);
	else
		printk("d%u: cannot create: error %d\n", id, rc);
	return NULL;
}

void domain_publish(struct domain *d)
{
	struct domain **pp;

	spin_lock(&domains_lock);
	for (pp = &domains; *pp; pp = &(*pp)->next)
		;
	/* Published whole: walkers without the lock see it complete or not at all. */
	__atomic_store_n(pp, d, __ATOMIC_RELEASE);
	spin_unlock(&domains_lock);
}

/* Called once the vGIC's addresses are known; vCPUs get their GIC state. */
void domain_init_vcpus(struct domain *d)
{
	for (u32 i = 0; i < d->nr_vcpus; i++)
		arch_vcpu_init(d->vcpus[i]);
}

int domain_add_memory(struct domain *d, ipa_t ipa, paddr_t pa, u64 size)
{
	int rc;

	if (d->nr_banks == DOMAIN_MAX_BANKS)
		return -ENOSPC;
	rc = arch_s2_map(d, ipa, pa, size, S2_RWX);
	if (rc)
		return rc;
	d->banks[d->nr_banks++] = (struct mem_bank){ ipa, pa, size };
	d->mem_pages += size / PAGE_SIZE;
	return 0;
}

int domain_add_mmio(struct domain *d, ipa_t base, u64 size,
		    int (*access)(struct vcpu *, ipa_t, u32, bool, u64 *, void *), void *ctx)
{
	if (d->nr_mmio == DOMAIN_MAX_MMIO)
		return -ENOSPC;
	d->mmio[d->nr_mmio++] = (struct mmio_handler){ base, size, access, ctx };
	return 0;
}

struct mmio_handler *domain_find_mmio(struct domain *d, ipa_t ipa)
{
	for (u32 i = 0; i < d->nr_mmio; i++)
		if (ipa_in_range(ipa, d->mmio[i].base, d->mmio[i].size))
			return &d->mmio[i];
	return NULL;
}

void *domain_ipa_to_va(struct domain *d, ipa_t ipa, u64 len)
{
	for (u32 i = 0; i < d->nr_banks; i++) {
		struct mem_bank *b = &d->banks[i];

		if (ipa_addr(ipa) >= ipa_addr(b->ipa) && len <= b->size &&
		    ipa_offset(ipa, b->ipa) <= b->size - len)
			return pa_to_va(pa_add(b->pa, ipa_offset(ipa, b->ipa)));
	}
	return NULL;
}

int domain_copy_to_guest(struct domain *d, ipa_t ipa, const void *src, u64 len)
{
	void *dst = domain_ipa_to_va(d, ipa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	/* The guest starts with its MMU off and reads memory uncached. */
	arch_cache_clean_range(dst, len);
	return 0;
}

/*
 * State changes and the vCPU pauses that go with them happen under d->lock,
 * so a toolstack unpause cannot undo a shutdown or crash that raced with it.
 * A domain that is PAUSED, SHUTDOWN or DYING holds one pause on each of its
 * vCPUs (whatever brought it there), apart from whether a vCPU is up or down
 * (PSCI): a paused vCPU never runs, whoever starts it.
 */
static bool holds_pause(enum domain_state s)
{
	return s == DOMAIN_PAUSED || s == DOMAIN_SHUTDOWN || s == DOMAIN_DYING;
}

static void set_state(struct domain *d, enum domain_state s)
{
	bool was = holds_pause(d->state), now = holds_pause(s);

	WRITE_ONCE(d->state, s);
	for (u32 i = 0; i < d->nr_vcpus && was != now; i++) {
		if (now)
			vcpu_pause(d->vcpus[i]);
		else
			vcpu_unpause(d->vcpus[i]);
	}
}

void domain_unpause(struct domain *d)
{
	spin_lock(&d->lock);
	if (d->state == DOMAIN_PAUSED)
		set_state(d, DOMAIN_RUNNING);
	spin_unlock(&d->lock);
}

void domain_pause_nosync(struct domain *d)
{
	spin_lock(&d->lock);
	if (d->state == DOMAIN_RUNNING)
		set_state(d, DOMAIN_PAUSED);
	spin_unlock(&d->lock);
}

void domain_pause(struct domain *d)
{
	domain_pause_nosync(d);
	/* Paused means off every pCPU when this returns: its state is all in memory. */
	for (u32 i = 0; i < d->nr_vcpus; i++)
		vcpu_wait_descheduled(d->vcpus[i]);
}

/*
 * Guest domains start here: vCPU 0 at what the toolstack set; the others
 * wait for PSCI CPU_ON. A restored domain's vCPUs start as they were saved:
 * each that was up, and only those.
 */
int domain_start(struct domain *d)
{
	int rc = -EBUSY;

	spin_lock(&d->lock);
	if (d->state == DOMAIN_BUILDING) {
		set_state(d, DOMAIN_RUNNING);
		for (u32 i = 0; i < d->nr_vcpus; i++)
			if (d->restored ? d->vcpus[i]->restore_up : i == 0)
				vcpu_start(d->vcpus[i]);
		rc = 0;
	}
	spin_unlock(&d->lock);
	return rc;
}

int domain_resume(struct domain *d)
{
	int rc = -EINVAL;

	spin_lock(&d->lock);
	if (d->state == DOMAIN_SHUTDOWN && d->shutdown_reason == SHUTDOWN_suspend) {
		set_state(d, DOMAIN_RUNNING);
		rc = 0;
	}
	spin_unlock(&d->lock);
	if (!rc)
		printk("d%u: resumed (its suspend cancelled)\n", d->id);
	return rc;
}

/* Tells dom0's toolstack that a guest changed state (VIRQ_DOM_EXC), so it applies on_*. */
static void notify_toolstack(struct domain *d)
{
	struct domain *d0 = domain_by_id(0);

	if (d->id != 0 && d0)
		evtchn_send_virq(d0, VIRQ_DOM_EXC);
}

static const char *const shutdown_names[] = { "poweroff", "reboot", "suspend", "crash",
					       "watchdog", "soft_reset" };

/* Enters SHUTDOWN for reason; false if the domain is shut down or dying already (that stands). */
static bool enter_shutdown(struct domain *d, unsigned int reason)
{
	bool entered = false;

	spin_lock(&d->lock);
	if (d->state != DOMAIN_SHUTDOWN && d->state != DOMAIN_DYING) {
		/* Atomic: the save calls read it without the lock (save_state.c, stopped). */
		__atomic_store_n(&d->shutdown_reason, reason, __ATOMIC_RELAXED);
		set_state(d, DOMAIN_SHUTDOWN);
		entered = true;
	}
	spin_unlock(&d->lock);
	return entered;
}

/*
 * With no dom0 (a dom0less machine) nobody is left to act on a guest that
 * ended: once every guest has, the machine powers off.
 */
static void power_off_if_all_ended(void)
{
	if (domain_by_id(0))
		return;
	for (struct domain *d = domain_list(); d; d = d->next)
		if (d->state != DOMAIN_SHUTDOWN && d->state != DOMAIN_DYING)
			return;
	printk("no dom0, and every guest has ended: powering off\n");
	arch_system_off();
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
	const char *what = reason < ARRAY_SIZE(shutdown_names) ? shutdown_names[reason] : "unknown";

	if (!enter_shutdown(d, reason))
		return;
	printk("d%u: shut down (%s)\n", d->id, what);
	notify_toolstack(d);
	if (d->id == 0) {
		/* Dom0 holds the policy: when it goes, the machine goes. */
		if (reason == SHUTDOWN_REBOOT) {
			printk("dom0 asked for a reboot: resetting the machine\n");
			arch_system_reset();
		}
		printk("dom0 is gone: powering off\n");
		arch_system_off();
	}
	power_off_if_all_ended();
}

void domain_crash(struct domain *d, const char *why)
{
	if (!enter_shutdown(d, SHUTDOWN_CRASH))
		return;
	printk("d%u: crashed: %s\n", d->id, why);
	notify_toolstack(d);
	if (d->id == 0)
		printk("dom0 crashed; Domus stays up (Ctrl-a x3 for debug keys)\n");
	else
		power_off_if_all_ended();
}

domid_t domain_free_id(void)
{
	static domid_t last; /* the toolstack creates one domain at a time (domus_ctl) */

	for (u32 n = 1; n < DOMID_FIRST_RESERVED; n++) {
		domid_t id = (domid_t)((last + n) % DOMID_FIRST_RESERVED);

		if (id && !domain_by_id_any(id)) {
			last = id;
			return id;
		}
	}
	return DOMID_INVALID;
}

/* Whether pa is a frame given to d (mm's record, wherever d has it mapped or not). */
static bool owns_frame(struct domain *d, paddr_t pa)
{
	return mm_frame_owner(pa) == d->id;
}

struct foreign_sweep {
	struct domain *owner; /* whose frames may no longer be mapped elsewhere */
	struct domain *holder; /* whose map is being swept */
	u64 gfns[64];
	u32 n;
};

static void note_foreign(void *ctx, ipa_t ipa, paddr_t pa, u64 size, u64 attrs)
{
	struct foreign_sweep *s = ctx;
	if (S2_TYPE_OF(attrs) == P2M_MAP_FOREIGN && s->n < ARRAY_SIZE(s->gfns) && owns_frame(s->owner, pa))
		s->gfns[s->n++] = ipa_gfn(ipa);
}

/*
 * Removes every privcmd mapping of d's frames from the other domains: once
 * d's memory is free, nobody may still reach it.
 */
static void unmap_foreign_views(struct domain *d)
{
	for (struct domain *o = domain_list(); o; o = o->next) {
		struct foreign_sweep s = { .owner = d, .holder = o };

		if (o == d)
			continue;
		do {
			s.n = 0;
			spin_lock(&o->p2m_lock);
			arch_s2_walk(o, note_foreign, &s);
			spin_unlock(&o->p2m_lock);
			for (u32 i = 0; i < s.n; i++)
				p2m_unmap_page(o, s.gfns[i]);
		} while (s.n == ARRAY_SIZE(s.gfns));
	}
}

int domain_destroy(struct domain *d)
{
	struct p2m_released shared;
	struct domain **pp;
	u64 freed;

	if (d->direct_map || d->privileged)
		return -EPERM; /* dom0 ends with the machine */

	/* Phase 1: no new references; its vCPUs stop; the references it holds go. */
	spin_lock(&d->lock);
	set_state(d, DOMAIN_DYING);
	spin_unlock(&d->lock);
	for (u32 i = 0; i < d->nr_vcpus; i++)
		vcpu_wait_descheduled(d->vcpus[i]);
	evtchn_domain_close(d);
	if (gnttab_domain_release(d)) {
		/* Another domain still maps one of its grants: keep its memory for now. */
		printk("d%u: grants still mapped by another domain; destroy again once unmapped\n",
		       d->id);
		return -EBUSY;
	}

	/* Phase 2: off the list, then a grace period for whoever found it before. */
	spin_lock(&domains_lock);
	for (pp = &domains; *pp && *pp != d; pp = &(*pp)->next)
		;
	if (*pp)
		__atomic_store_n(pp, d->next, __ATOMIC_RELEASE);
	spin_unlock(&domains_lock);
	sched_quiesce();
	/* Nobody maps its frames any more (privcmd mappings made before it was DYING included). */
	unmap_foreign_views(d);

	/* Phase 3: free. */
	gnttab_domain_free(d);
	evtchn_domain_free(d);
	shared = p2m_release(d); /* frames it shared: the last sharer frees each */
	freed = mm_free_domain_frames(d->id) + shared.freed;
	arch_domain_destroy(d);
	if (shared.still_shared)
		printk("d%u: destroyed, %lu MiB returned, %lu MiB its clones or parent still share\n",
		       d->id, freed >> 8, shared.still_shared >> 8);
	else
		printk("d%u: destroyed, %lu MiB returned\n", d->id, freed >> 8);
	for (u32 i = 0; i < d->nr_vcpus; i++)
		mm_free(d->vcpus[i], sizeof(struct vcpu));
	mm_free(d->vcpus, d->nr_vcpus * sizeof(*d->vcpus));
	mm_free_pages(d->shared_info, 1);
	mm_free(d, sizeof(*d));
	return 0;
}
