/* SPDX-License-Identifier: MIT */
/*
 * Save and restore, the hypervisor's half (docs/SAVE-RESTORE.md): a stopped
 * domain's vCPU and domain state out to dom0's toolstack, and into a domain
 * it is building from a save file. Memory is copied by Domus between the
 * domain's RAM frames and dom0's buffer (readpages, writepages); the
 * toolstack populates the frames of a restored domain first.
 *
 * A restored domain is a new domain: fresh event channels and grant table.
 * That is what a Linux resumed from SHUTDOWN_suspend with result 0 expects:
 * it sets up its FIFO queues again, takes its store and console ports from
 * the HVM params, re-adds its grant frames and reconnects its devices. What
 * it does not redo on Arm (its shared_info page, each vCPU's vcpu_info and
 * runstate area, and its virtual counter) is carried here, where it was.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/evtchn.h>
#include <domus/gnttab.h>
#include <domus/guest_access.h>
#include <domus/memory_op.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/save_state.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <domus/vcpu_op.h>
#include <public/xen.h>

bool domain_stopped(const struct domain *d)
{
	enum domain_state s = READ_ONCE(d->state);

	return s == DOMAIN_PAUSED ||
	       (s == DOMAIN_SHUTDOWN &&
		__atomic_load_n(&d->shutdown_reason, __ATOMIC_RELAXED) == SHUTDOWN_suspend);
}

long save_vcpu_get(struct vcpu *caller, struct domain *d, const struct domus_ctl_vcpustate *c)
{
	struct domus_vcpu_state s;
	struct vcpu *v;

	if (c->size != sizeof(s))
		return -EINVAL;
	if (c->vcpu >= d->nr_vcpus)
		return -ENOENT;
	if (!domain_stopped(d))
		return -EBUSY;
	v = d->vcpus[c->vcpu];
	/* Paused: it leaves its pCPU, and with it its registers and list registers. */
	vcpu_wait_descheduled(v);
	memset(&s, 0, sizeof(s));
	s.vcpu = c->vcpu;
	s.flags = READ_ONCE(v->down) ? DOMUS_VCPU_STATE_DOWN : 0;
	s.vcpu_info_gfn = v->vcpu_info_registered ? v->vcpu_info_gfn : GFN_NONE;
	s.vcpu_info_offset = v->vcpu_info_registered ? v->vcpu_info_offset : 0;
	s.runstate_va = __atomic_load_n(&v->runstate_guest, __ATOMIC_RELAXED);
	arch_vcpu_state_get(v, &s);
	return copy_to_guest(caller, c->buffer, &s, sizeof(s)) ? -EFAULT : 0;
}

long save_vcpu_set(struct vcpu *caller, struct domain *d, const struct domus_ctl_vcpustate *c)
{
	struct domus_vcpu_state s;
	struct vcpu *v;
	long rc;

	if (c->size != sizeof(s))
		return -EINVAL;
	if (c->vcpu >= d->nr_vcpus)
		return -ENOENT;
	if (d->state != DOMAIN_BUILDING)
		return -EBUSY;
	/* The domain's counter first: the timers' compare values are the guest's counter's. */
	if (!d->restored)
		return -EINVAL;
	if (copy_from_guest(caller, &s, c->buffer, sizeof(s)))
		return -EFAULT;
	if (s.vcpu != c->vcpu || s.pad ||
	    (s.flags & ~(DOMUS_VCPU_STATE_DOWN | DOMUS_VCPU_STATE_RDIST_ASLEEP)))
		return -EINVAL;
	v = d->vcpus[c->vcpu];
	if (v->restore_set)
		return -EBUSY;
	rc = arch_vcpu_state_set(v, &s);
	if (rc)
		return rc;
	if (s.vcpu_info_gfn != GFN_NONE) {
		rc = vcpu_info_restore(v, s.vcpu_info_gfn, s.vcpu_info_offset);
		if (rc)
			return rc;
	}
	__atomic_store_n(&v->runstate_guest, s.runstate_va, __ATOMIC_RELAXED);
	v->restore_up = !(s.flags & DOMUS_VCPU_STATE_DOWN);
	v->restore_set = true;
	return 0;
}

long save_domain_get(struct domain *d, struct domus_ctl_domainstate *s)
{
	if (!domain_stopped(d))
		return -EBUSY;
	memset(s, 0, sizeof(*s));
	s->counter = arch_counter() - d->cntvoff;
	s->shared_info_gfn = READ_ONCE(d->shared_info_gfn);
	s->vm_assist = (u32)d->vm_assist;
	arch_vgic_state_get(d, s);
	return 0;
}

long save_domain_set(struct domain *d, const struct domus_ctl_domainstate *s)
{
	long rc;

	if (d->state != DOMAIN_BUILDING || d->restored)
		return -EBUSY;
	/* The one assist Domus knows (vm_assist.c); Linux enables it once, at boot. */
	if (s->vm_assist & ~(u32)BIT(VMASST_TYPE_runstate_update_flag))
		return -EINVAL;
	rc = arch_vgic_state_set(d, s);
	if (rc)
		return rc;
	/*
	 * The guest's counter goes on from where it was saved: never backwards,
	 * and not by the time it spent in the file. Modulo 2^64, as the
	 * hardware subtracts CNTVOFF: a host up for less time than the guest
	 * was gives an offset that wraps, and the guest's counter is still right.
	 */
	d->cntvoff = arch_counter() - s->counter;
	/*
	 * Every port masked, as the guest left them at boot ("no event channels
	 * are live"): Linux's resume rebinds its console and store ports
	 * assuming each new one is masked, and unmasks it by a hypercall only
	 * from another CPU. An event that came while a port was unbound and
	 * unmasked would stay pending with no upcall ever again.
	 */
	memset(d->shared_info->evtchn_mask, 0xff, sizeof(d->shared_info->evtchn_mask));
	if (s->shared_info_gfn != GFN_NONE)
		rc = memory_place_shared_info(d, s->shared_info_gfn);
	if (!rc) {
		d->vm_assist = s->vm_assist;
		d->restored = true;
	}
	return rc;
}

long save_resume(struct domain *d)
{
	struct vcpu *v0 = d->vcpus[0];

	if (d->state != DOMAIN_SHUTDOWN || d->shutdown_reason != SHUTDOWN_suspend)
		return -EINVAL;
	/* Linux suspends on CPU 0 (stop_machine on cpumask_of(0)): its call returns 1, cancelled. */
	vcpu_wait_descheduled(v0);
	arch_call_return(&v0->arch, 1);
	return domain_resume(d);
}

long save_read_pages(struct vcpu *caller, struct domain *d, const struct domus_ctl_readpages *r)
{
	/* One toolstack call at a time (domus_ctl.c): one array serves them all. */
	static u64 gfns[DOMUS_READPAGES_MAX];
	static u8 missing[DOMUS_READPAGES_MAX];
	static u8 page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
	bool stop = domain_stopped(d);

	if (!r->count || r->count > DOMUS_READPAGES_MAX || r->pad)
		return -EINVAL;
	/*
	 * Stopped, so nothing of its own changes its memory while it is read;
	 * or running with its writes logged (log_dirty.c), so a page it changes
	 * after its copy is copied again.
	 */
	if (!stop && !READ_ONCE(d->log_dirty))
		return -EBUSY;
	for (u32 i = 0; stop && i < d->nr_vcpus; i++) /* a pause takes effect at each pCPU's kick */
		vcpu_wait_descheduled(d->vcpus[i]);
	if (copy_from_guest(caller, gfns, r->gfns, r->count * sizeof(gfns[0])))
		return -EFAULT;
	for (u32 i = 0; i < r->count; i++) {
		/* Its own RAM only: never another domain's frame it maps through a grant. */
		missing[i] = p2m_read_ram(d, gfns[i], page) != 0;
		if (!missing[i] &&
		    copy_to_guest(caller, r->buffer + (u64)i * PAGE_SIZE, page, PAGE_SIZE))
			return -EFAULT;
	}
	return copy_to_guest(caller, r->missing, missing, r->count) ? -EFAULT : 0;
}

long save_write_pages(struct vcpu *caller, struct domain *d, const struct domus_ctl_readpages *r)
{
	static u64 gfns[DOMUS_READPAGES_MAX];

	if (!r->count || r->count > DOMUS_READPAGES_MAX || r->pad)
		return -EINVAL;
	if (d->state != DOMAIN_BUILDING)
		return -EBUSY;
	if (copy_from_guest(caller, gfns, r->gfns, r->count * sizeof(gfns[0])))
		return -EFAULT;
	for (u32 i = 0; i < r->count; i++) {
		enum p2m_type type;
		paddr_t pa;

		if (p2m_lookup(d, gfns[i], &pa, &type) || type != P2M_RAM)
			return -EINVAL;
		if (copy_from_guest(caller, p2m_frame_va(pa), r->buffer + (u64)i * PAGE_SIZE, PAGE_SIZE))
			return -EFAULT;
		/* The guest's code comes back this way too: fetches must see it. */
		arch_sync_icache(p2m_frame_va(pa), PAGE_SIZE);
	}
	return 0;
}

long save_ports_get(struct vcpu *caller, struct domain *d, struct domus_ctl_ports *c)
{
	/* One toolstack call at a time (domus_ctl.c). */
	static struct domus_port ports[DOMUS_PORTS_MAX];

	if (!c->count || c->count > DOMUS_PORTS_MAX || c->pad)
		return -EINVAL;
	/* Stopped: no binding changes under the toolstack's feet between calls. */
	if (!domain_stopped(d))
		return -EBUSY;
	c->count = evtchn_ports_get(d, c->first, ports, c->count, &c->next);
	return copy_to_guest(caller, c->buffer, ports, c->count * sizeof(ports[0])) ? -EFAULT : 0;
}

long save_ports_set(struct vcpu *caller, struct domain *d, const struct domus_ctl_ports *c)
{
	static struct domus_port ports[DOMUS_PORTS_MAX];

	if (!c->count || c->count > DOMUS_PORTS_MAX || c->pad || c->first || c->next)
		return -EINVAL;
	if (d->state != DOMAIN_BUILDING)
		return -EBUSY;
	/* After setdomainstate, which masks every port: these bits are then the last word. */
	if (!d->restored)
		return -EINVAL;
	if (copy_from_guest(caller, ports, c->buffer, c->count * sizeof(ports[0])))
		return -EFAULT;
	for (u32 i = 0; i < c->count; i++) {
		long rc = evtchn_port_set(d, &ports[i]);

		/* What was set stays: the toolstack destroys a domain it fails to build. */
		if (rc)
			return rc;
	}
	return 0;
}

long save_grant_frame_get(struct vcpu *caller, struct domain *d, struct domus_ctl_grantframe *c)
{
	static u8 page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
	struct gnttab_use use;
	long rc;

	/* The counts are read under the table's locks; a frame is whole only when the guest is stopped. */
	if (c->buffer && !domain_stopped(d))
		return -EBUSY;
	rc = gnttab_frame_get(d, c->idx, c->buffer ? page : NULL, &use);
	c->nr_frames = use.nr_frames;
	c->pins = use.pins;
	c->maps = use.maps;
	c->gfn = c->idx < GNTTAB_DEFAULT_MAX_FRAMES ? READ_ONCE(d->gnttab_gfn[c->idx]) : GFN_NONE;
	if (rc || !c->buffer)
		return rc;
	return copy_to_guest(caller, c->buffer, page, PAGE_SIZE) ? -EFAULT : 0;
}

long save_grant_frame_set(struct vcpu *caller, struct domain *d,
			  const struct domus_ctl_grantframe *c)
{
	static u8 page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
	long rc;

	if (d->state != DOMAIN_BUILDING)
		return -EBUSY;
	if (c->idx >= GNTTAB_DEFAULT_MAX_FRAMES || c->nr_frames || c->pins || c->maps)
		return -EINVAL;
	if (copy_from_guest(caller, page, c->buffer, PAGE_SIZE))
		return -EFAULT;
	rc = gnttab_frame_set(d, c->idx, page);
	if (!rc && c->gfn != GFN_NONE)
		rc = memory_place_grant_frame(d, c->idx, c->gfn);
	return rc;
}
