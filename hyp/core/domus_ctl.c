/* SPDX-License-Identifier: MIT */
/* domus_ctl: the toolstack's view of domains and the hypervisor log (see public/domus_ctl.h). */
#include <domus/clone.h>
#include <domus/console.h>
#include <domus/domain.h>
#include <domus/save_state.h>
#include <domus/log_dirty.h>
#include <domus/domu.h>
#include <domus/domus_ctl.h>
#include <domus/errno.h>
#include <domus/gnttab.h>
#include <domus/guest_access.h>
#include <domus/hypercall.h>
#include <domus/mm.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <domus/vcpu_op.h>
#include <public/domus_ctl.h>
#include <public/xen.h>

static u64 domain_cpu_ns(const struct domain *d)
{
	u64 t = 0;

	for (u32 i = 0; i < d->nr_vcpus; i++)
		t += d->vcpus[i]->run_total;
	return counter_to_ns(t);
}

/* The ABI's states (public/domus_ctl.h), whatever Domus calls them inside. */
static const u32 domain_states[] = {
	[DOMAIN_BUILDING] = DOMUS_DOMAIN_BUILDING, [DOMAIN_RUNNING] = DOMUS_DOMAIN_RUNNING,
	[DOMAIN_PAUSED] = DOMUS_DOMAIN_PAUSED, [DOMAIN_SHUTDOWN] = DOMUS_DOMAIN_SHUTDOWN,
	[DOMAIN_DYING] = DOMUS_DOMAIN_DYING,
};

static long getdomaininfo(struct domus_ctl *c)
{
	struct domain *best = NULL;
	struct domus_ctl_domaininfo *i = &c->u.domaininfo;

	for (struct domain *d = domain_list(); d; d = d->next)
		if (d->id >= c->domid && (!best || d->id < best->id))
			best = d;
	if (!best)
		return -ESRCH;
	memset(i, 0, sizeof(*i));
	c->domid = best->id;
	i->state = domain_states[best->state];
	i->shutdown_reason = best->shutdown_reason;
	i->nr_vcpus = best->nr_vcpus;
	i->flags = (best->privileged ? DOMUS_DOMINFO_PRIVILEGED : 0) |
		   (READ_ONCE(best->log_dirty) ? DOMUS_DOMINFO_LOG_DIRTY : 0);
	i->mem_pages = best->mem_pages;
	i->cpu_time_ns = domain_cpu_ns(best);
	i->p2m_table_pages = best->s2_table_pages;
	i->maptrack_pages = gnttab_maptrack_pages(best);
	i->shared_pages = __atomic_load_n(&best->shared_pages, __ATOMIC_RELAXED);
	memcpy(i->name, best->name, sizeof(i->name));
	i->name[sizeof(i->name) - 1] = 0;
	return 0;
}

/* Dom0's end of a guest's emulated UART, through bounded staging buffers both ways. */
static long vuart_io(struct vcpu *v, domid_t id, struct domus_ctl_vuart *io)
{
	char out[DOMUS_VUART_MAX_IO], in[DOMUS_VUART_MAX_IO];
	struct domain *d = id < DOMID_FIRST_RESERVED ? domain_by_id(id) : NULL;
	u32 in_count = MIN(io->in_count, sizeof(in));

	if (!d)
		return -ESRCH;
	if (!d->vuart)
		return -ENODEV;
	if (in_count && copy_from_guest(v, in, io->in_buffer, in_count))
		return -EFAULT;
	/* Output first: a caller whose buffer faults retries with nothing of its input taken. */
	io->out_count = arch_vuart_dom0_io(d, out, MIN(io->out_size, sizeof(out)), &io->index,
					   &io->lost, in, 0, &io->in_taken);
	if (io->out_count && copy_to_guest(v, io->out_buffer, out, io->out_count))
		return -EFAULT;
	if (in_count) {
		u64 index = io->index, lost;

		arch_vuart_dom0_io(d, out, 0, &index, &lost, in, in_count, &io->in_taken);
	}
	return 0;
}

static const u32 vcpu_states[] = {
	[VCPU_OFFLINE] = DOMUS_VCPU_OFFLINE, [VCPU_RUNNABLE] = DOMUS_VCPU_RUNNABLE,
	[VCPU_RUNNING] = DOMUS_VCPU_RUNNING, [VCPU_BLOCKED] = DOMUS_VCPU_BLOCKED,
	[VCPU_PAUSED] = DOMUS_VCPU_PAUSED,
};

static long readconsole(struct vcpu *v, struct domus_ctl_readconsole *r)
{
	char chunk[256];
	u32 done = 0;

	while (done < r->size) {
		u64 n = console_read_log(chunk, MIN(sizeof(chunk), r->size - done), &r->index);

		if (!n)
			break;
		if (copy_to_guest(v, r->buffer + done, chunk, n))
			return -EFAULT;
		done += n;
	}
	r->count = done;
	return 0;
}

/*
 * One toolstack operation at a time. Not a spinlock: destroy waits for the
 * other pCPUs to reschedule, which a vCPU spinning on a lock would never do.
 * A second caller gets -EAGAIN and retries.
 */
static bool ctl_busy;

static long ctl_locked(struct vcpu *v, vaddr_t arg);

long do_domus_ctl(struct vcpu *v, vaddr_t arg)
{
	long rc;

	/* Not Xen's: to a domU this number is unused, as on Xen (-ENOSYS). */
	if (!v->dom->privileged)
		return -ENOSYS;
	if (__atomic_exchange_n(&ctl_busy, true, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	rc = ctl_locked(v, arg);
	__atomic_store_n(&ctl_busy, false, __ATOMIC_RELEASE);
	return rc;
}

/* Save and restore's calls (save_state.c): those that answer copy c back. */
static long save_ctl(struct vcpu *v, struct domain *d, struct domus_ctl *c, vaddr_t arg)
{
	long rc;

	switch (c->cmd) {
	case DOMUS_CTL_getvcpustate:
		return save_vcpu_get(v, d, &c->u.vcpustate);
	case DOMUS_CTL_setvcpustate:
		return save_vcpu_set(v, d, &c->u.vcpustate);
	case DOMUS_CTL_setdomainstate:
		return save_domain_set(d, &c->u.domainstate);
	case DOMUS_CTL_resumedomain:
		return save_resume(d);
	case DOMUS_CTL_readpages:
		return save_read_pages(v, d, &c->u.readpages);
	case DOMUS_CTL_writepages:
		return save_write_pages(v, d, &c->u.readpages);
	case DOMUS_CTL_logdirty:
		return log_dirty_ctl(v, d, &c->u.logdirty);
	case DOMUS_CTL_setports:
		return save_ports_set(v, d, &c->u.ports);
	case DOMUS_CTL_getports:
		rc = save_ports_get(v, d, &c->u.ports);
		return rc ? rc : copy_to_guest(v, arg, c, sizeof(*c)) ? -EFAULT : 0;
	case DOMUS_CTL_setgrantframe:
		return save_grant_frame_set(v, d, &c->u.grantframe);
	case DOMUS_CTL_getgrantframe:
		rc = save_grant_frame_get(v, d, &c->u.grantframe);
		/* The table's use goes back with -ENOENT too: it answers "how many frames". */
		if ((!rc || rc == -ENOENT) && copy_to_guest(v, arg, c, sizeof(*c)))
			return -EFAULT;
		return rc;
	}
	rc = save_domain_get(d, &c->u.domainstate);
	if (rc)
		return rc;
	return copy_to_guest(v, arg, c, sizeof(*c)) ? -EFAULT : 0;
}

static long ctl_locked(struct vcpu *v, vaddr_t arg)
{
	struct domus_ctl c;
	struct domain *d = NULL;
	long rc;

	if (copy_from_guest(v, &c, arg, sizeof(c)))
		return -EFAULT;
	if (c.version != DOMUS_CTL_VERSION)
		return -EACCES;
	switch (c.cmd) {
	case DOMUS_CTL_getdomaininfo:
		rc = getdomaininfo(&c);
		break;
	case DOMUS_CTL_createdomain: {
		struct domus_ctl_createdomain *cd = &c.u.createdomain;
		domid_t id;

		cd->name[sizeof(cd->name) - 1] = 0;
		if (cd->max_mem_kib % 4 || cd->max_mem_kib > UINT64_MAX / 1024 ||
		    (cd->flags & ~DOMUS_CTL_CDF_VPL011))
			return -EINVAL;
		/* c.domid: the id wanted (a migration keeps its guest's), 0 for the next free. */
		rc = domu_create(&(struct domu_params){ .name = cd->name,
							 .id = c.domid,
							 .nr_vcpus = cd->nr_vcpus,
							 .max_pages = cd->max_mem_kib / 4,
							 .vuart = cd->flags & DOMUS_CTL_CDF_VPL011 },
				 &id);
		if (rc)
			return rc;
		c.domid = id;
		break;
	}
	case DOMUS_CTL_destroydomain:
	case DOMUS_CTL_setvcpucontext:
	case DOMUS_CTL_seedgrant:
	case DOMUS_CTL_getvcpuinfo:
	case DOMUS_CTL_pausedomain:
	case DOMUS_CTL_unpausedomain:
		/* DYING ones too: a destroy that found grants still mapped is retried. */
		d = c.domid < DOMID_FIRST_RESERVED ? domain_by_id_any(c.domid) : NULL;
		if (!d)
			return -ESRCH;
		if (c.cmd == DOMUS_CTL_getvcpuinfo) {
			struct vcpu *t;

			if (c.u.vcpuinfo.vcpu >= d->nr_vcpus)
				return -ENOENT;
			t = d->vcpus[c.u.vcpuinfo.vcpu];
			c.u.vcpuinfo.state = vcpu_states[t->state];
			c.u.vcpuinfo.pcpu = __atomic_load_n(&t->pcpu, __ATOMIC_RELAXED);
			c.u.vcpuinfo.cpu_time_ns = counter_to_ns(t->run_total);
			rc = 0;
			break;
		}
		/* A domain cannot pause or end itself: nobody would be left to undo it. */
		if (d == v->dom)
			return -EINVAL;
		if (c.cmd == DOMUS_CTL_destroydomain)
			return domain_destroy(d);
		if (d->state == DOMAIN_DYING)
			return -EINVAL;
		if (c.cmd == DOMUS_CTL_setvcpucontext)
			return domu_set_vcpu_context(d, c.u.vcpucontext.vcpu, c.u.vcpucontext.pc,
						     c.u.vcpucontext.x0);
		if (c.cmd == DOMUS_CTL_seedgrant) {
			struct domus_ctl_seedgrant *g = &c.u.seedgrant;

			/* Only before the guest runs: afterwards the table is the guest's. */
			if (d->state != DOMAIN_BUILDING)
				return -EBUSY;
			return gnttab_seed(d, g->ref, g->grantee, g->gfn, g->readonly);
		}
		if (d->state == DOMAIN_SHUTDOWN)
			return -EINVAL;
		if (c.cmd == DOMUS_CTL_unpausedomain && d->state == DOMAIN_BUILDING)
			return domu_start(d);
		if (d->state == DOMAIN_BUILDING)
			return -EINVAL;
		if (c.cmd == DOMUS_CTL_pausedomain)
			domain_pause(d);
		else
			domain_unpause(d);
		return 0;
	case DOMUS_CTL_getvcpustate:
	case DOMUS_CTL_setvcpustate:
	case DOMUS_CTL_getdomainstate:
	case DOMUS_CTL_setdomainstate:
	case DOMUS_CTL_resumedomain:
	case DOMUS_CTL_readpages:
	case DOMUS_CTL_writepages:
	case DOMUS_CTL_logdirty:
	case DOMUS_CTL_getports:
	case DOMUS_CTL_setports:
	case DOMUS_CTL_getgrantframe:
	case DOMUS_CTL_setgrantframe:
		d = c.domid < DOMID_FIRST_RESERVED ? domain_by_id(c.domid) : NULL;
		if (!d)
			return -ESRCH;
		if (d == v->dom)
			return -EINVAL;
		return save_ctl(v, d, &c, arg);
	case DOMUS_CTL_readconsole:
		rc = readconsole(v, &c.u.readconsole);
		break;
	case DOMUS_CTL_vuart:
		rc = vuart_io(v, c.domid, &c.u.vuart);
		break;
	case DOMUS_CTL_sharepages:
		d = c.domid < DOMID_FIRST_RESERVED ? domain_by_id(c.domid) : NULL;
		if (!d)
			return -ESRCH;
		rc = clone_share_pages(v, d, &c.u.sharepages);
		/* The counts go back with an error too: what was given stays given. */
		if (copy_to_guest(v, arg, &c, sizeof(c)))
			return -EFAULT;
		return rc;
	case DOMUS_CTL_physinfo: {
		struct domus_ctl_physinfo *pi = &c.u.physinfo;

		memset(pi, 0, sizeof(*pi));
		pi->nr_cpus = nr_pcpus;
		for (struct domain *d = domain_list(); d; d = d->next)
			pi->nr_domains++;
		pi->total_pages = mm_total_pages();
		pi->free_pages = mm_free_count();
		rc = 0;
		break;
	}
	default:
		return -ENOSYS;
	}
	if (rc)
		return rc;
	return copy_to_guest(v, arg, &c, sizeof(c)) ? -EFAULT : 0;
}
