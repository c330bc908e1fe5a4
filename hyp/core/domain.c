/* SPDX-License-Identifier: MIT */
/* Domain and vCPU creation, guest memory, MMIO handlers, shutdown and crash. */
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

static struct domain *domains;
static spinlock_t domains_lock = SPINLOCK_INIT;

struct domain *domain_list(void)
{
	return domains;
}

void domain_for_each(void (*fn)(struct domain *d))
{
	spin_lock(&domains_lock);
	for (struct domain *d = domains; d; d = d->next)
		fn(d);
	spin_unlock(&domains_lock);
}

struct domain *domain_by_id(domid_t id)
{
	struct domain *d;

	spin_lock(&domains_lock);
	for (d = domains; d && d->id != id; d = d->next)
		;
	spin_unlock(&domains_lock);
	return d;
}

struct domain *domain_create(domid_t id, const char *name, u32 nr_vcpus, u32 nr_spis)
{
	struct domain *d;

	if (!nr_vcpus || nr_spis > VGIC_MAX_SPIS)
		return NULL;
	d = mm_zalloc(sizeof(*d));
	if (!d)
		return NULL;
	d->id = id;
	snprintf(d->name, sizeof(d->name), "%s", name);
	spin_lock_init(&d->lock);
	spin_lock_init(&d->p2m_lock);
	d->state = DOMAIN_BUILDING;
	d->vmid = id + 1;
	d->cntvoff = arch_counter();
	d->nr_vcpus = nr_vcpus;
	d->vcpus = mm_zalloc(nr_vcpus * sizeof(*d->vcpus));
	d->vgic.spis = nr_spis ? mm_zalloc(nr_spis * sizeof(struct vgic_irq)) : NULL;
	d->shared_info = mm_alloc_pages(1);
	d->shared_info_gfn = GFN_NONE;
	for (u32 i = 0; i < GNTTAB_DEFAULT_MAX_FRAMES; i++)
		d->gnttab_gfn[i] = GFN_NONE;
	if (!d->vcpus || (nr_spis && !d->vgic.spis) || !d->shared_info || arch_domain_init(d) ||
	    gnttab_domain_init(d, GNTTAB_DEFAULT_MAX_FRAMES))
		goto fail;
	memset(d->shared_info, 0, PAGE_SIZE);
	for (u32 i = 0; i < nr_vcpus; i++) {
		struct vcpu *v = mm_zalloc(sizeof(*v));

		if (!v)
			goto fail;
		d->vcpus[i] = v;
		v->dom = d;
		v->id = i;
		v->mpidr = vcpu_affinity(i);
		/* Xen's legacy slots: only vCPU 0 has one on Arm until it registers its own. */
		if (i < XEN_LEGACY_MAX_VCPUS)
			v->vcpu_info = &d->shared_info->vcpu_info[i];
		sched_add_vcpu(v, i % nr_pcpus);
	}
	d->vgic.nr_spis = nr_spis;
	if (evtchn_domain_init(d))
		goto fail;
	spin_lock(&domains_lock);
	struct domain **pp = &domains;
	while (*pp)
		pp = &(*pp)->next;
	*pp = d;
	spin_unlock(&domains_lock);
	return d;
fail:
	printk("d%u: cannot create: out of hypervisor memory\n", id);
	if (d->vcpus)
		for (u32 i = 0; i < nr_vcpus; i++)
			mm_free(d->vcpus[i], sizeof(struct vcpu));
	mm_free(d->vcpus, nr_vcpus * sizeof(*d->vcpus));
	mm_free(d->vgic.spis, nr_spis * sizeof(struct vgic_irq));
	if (d->shared_info)
		mm_free_pages(d->shared_info, 1);
	mm_free(d, sizeof(*d));
	return NULL;
}

/* Called once the vGIC's addresses are known; vCPUs get their GIC state. */
void domain_init_vcpus(struct domain *d)
{
	for (u32 i = 0; i < d->nr_vcpus; i++) {
		vgic_cpu_init(d->vcpus[i]);
		arch_vcpu_init(d->vcpus[i]);
	}
}

int domain_add_memory(struct domain *d, ipa_t ipa, paddr_t pa, u64 size)
{
	int rc;

	if (d->nr_banks == DOMAIN_MAX_BANKS)
		return -ENOSPC;
	rc = arch_domain_map(d, ipa, pa, size, PGT_RWX);
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
		if (ipa >= d->mmio[i].base && ipa - d->mmio[i].base < d->mmio[i].size)
			return &d->mmio[i];
	return NULL;
}

struct vcpu *domain_vcpu_by_mpidr(struct domain *d, u64 mpidr)
{
	mpidr &= 0xff00ffffffULL;
	for (u32 i = 0; i < d->nr_vcpus; i++)
		if (d->vcpus[i]->mpidr == mpidr)
			return d->vcpus[i];
	return NULL;
}

void *domain_ipa_to_va(struct domain *d, ipa_t ipa, u64 len)
{
	for (u32 i = 0; i < d->nr_banks; i++) {
		struct mem_bank *b = &d->banks[i];

		if (ipa >= b->ipa && len <= b->size && ipa - b->ipa <= b->size - len)
			return pa_to_va(b->pa + (ipa - b->ipa));
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
 */
void domain_unpause(struct domain *d)
{
	spin_lock(&d->lock);
	if (d->state == DOMAIN_PAUSED) {
		d->state = DOMAIN_RUNNING;
		for (u32 i = 0; i < d->nr_vcpus; i++)
			vcpu_unpause(d->vcpus[i]);
	}
	spin_unlock(&d->lock);
}

static void pause_all(struct domain *d)
{
	for (u32 i = 0; i < d->nr_vcpus; i++)
		vcpu_pause(d->vcpus[i]);
}

void domain_pause(struct domain *d)
{
	spin_lock(&d->lock);
	if (d->state == DOMAIN_RUNNING)
		d->state = DOMAIN_PAUSED;
	pause_all(d);
	spin_unlock(&d->lock);
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

void domain_shutdown(struct domain *d, unsigned int reason)
{
	const char *what = reason < ARRAY_SIZE(shutdown_names) ? shutdown_names[reason] : "unknown";

	spin_lock(&d->lock);
	d->state = DOMAIN_SHUTDOWN;
	d->shutdown_reason = reason;
	pause_all(d);
	spin_unlock(&d->lock);
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
}

void domain_crash(struct domain *d, const char *why)
{
	printk("d%u: crashed: %s\n", d->id, why);
	spin_lock(&d->lock);
	d->state = DOMAIN_SHUTDOWN;
	d->shutdown_reason = SHUTDOWN_CRASH;
	pause_all(d);
	spin_unlock(&d->lock);
	notify_toolstack(d);
	if (d->id == 0)
		printk("dom0 crashed; Domus stays up (Ctrl-a x3 for debug keys)\n");
}

domid_t domain_free_id(void)
{
	for (domid_t id = 1; id < DOMID_FIRST_RESERVED; id++)
		if (!domain_by_id(id))
			return id;
	return DOMID_INVALID;
}

struct foreign_sweep {
	struct domain *owner; /* whose frames may no longer be mapped elsewhere */
	struct domain *holder; /* whose map is being swept */
	u64 gfns[64];
	u32 n;
};

static bool owns_frame(struct domain *d, paddr_t pa);

static void note_foreign(void *ctx, u64 ia, paddr_t pa, u64 size, u64 attrs)
{
	struct foreign_sweep *s = ctx;
	u64 sw = (attrs & PGT_SW_MASK) >> PGT_SW_SHIFT;

	if (sw == P2M_MAP_FOREIGN && s->n < ARRAY_SIZE(s->gfns) && owns_frame(s->owner, pa))
		s->gfns[s->n++] = ia >> PAGE_SHIFT;
}

struct owner_query {
	paddr_t pa;
	bool found;
};

static void match_ram(void *ctx, u64 ia, paddr_t pa, u64 size, u64 attrs)
{
	struct owner_query *q = ctx;

	if (!(attrs & (PGT_DEVICE | PGT_SW_MASK)) && q->pa >= pa && q->pa - pa < size)
		q->found = true;
}

/* Whether pa is RAM of d's (its stage 2 is the record of what it owns). */
static bool owns_frame(struct domain *d, paddr_t pa)
{
	struct owner_query q = { pa, false };

	for (u32 i = 0; i < d->nr_displaced; i++)
		if (d->displaced[i] == (pa & PAGE_MASK))
			return true;
	pgtable_walk(&d->s2, match_ram, &q);
	return q.found;
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
			pgtable_walk(&o->s2, note_foreign, &s);
			spin_unlock(&o->p2m_lock);
			for (u32 i = 0; i < s.n; i++)
				p2m_unmap_page(o, s.gfns[i]);
		} while (s.n == ARRAY_SIZE(s.gfns));
	}
}

static void free_ram(void *ctx, u64 ia, paddr_t pa, u64 size, u64 attrs)
{
	u64 *freed = ctx;

	if (attrs & (PGT_DEVICE | PGT_SW_MASK))
		return; /* devices, shared hypervisor pages, others' frames: not ours to free */
	mm_free_guest(pa, size >> PAGE_SHIFT);
	*freed += size >> PAGE_SHIFT;
}

int domain_destroy(struct domain *d)
{
	struct domain **pp;
	u64 freed = 0;

	if (d->direct_map || d->privileged)
		return -EPERM; /* dom0 ends with the machine */
	domain_pause(d);
	d->state = DOMAIN_DYING;
	for (u32 i = 0; i < d->nr_vcpus; i++)
		vcpu_wait_descheduled(d->vcpus[i]);
	evtchn_domain_destroy(d);
	gnttab_domain_destroy(d);
	if (d->gnttab) {
		/* Another domain still maps one of its grants: keep its memory for now. */
		printk("d%u: grants still mapped by another domain; destroy again once unmapped\n",
		       d->id);
		return -EBUSY;
	}
	unmap_foreign_views(d);
	spin_lock(&domains_lock);
	for (pp = &domains; *pp && *pp != d; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = d->next;
	spin_unlock(&domains_lock);
	/* Other pCPUs may still hold d from before the unlink. */
	sched_quiesce();
	pgtable_walk(&d->s2, free_ram, &freed);
	for (u32 i = 0; i < d->nr_displaced; i++)
		mm_free_guest(d->displaced[i], 1);
	freed += d->nr_displaced;
	arch_domain_destroy(d);
	printk("d%u: destroyed, %lu MiB returned\n", d->id, freed >> 8);
	for (u32 i = 0; i < d->nr_vcpus; i++)
		mm_free(d->vcpus[i], sizeof(struct vcpu));
	mm_free(d->vcpus, d->nr_vcpus * sizeof(*d->vcpus));
	mm_free(d->vgic.spis, d->vgic.nr_spis * sizeof(struct vgic_irq));
	mm_free_pages(d->shared_info, 1);
	mm_free(d, sizeof(*d));
	return 0;
}
