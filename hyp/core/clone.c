/* SPDX-License-Identifier: MIT */
/*
 * Cloning (docs/CLONE.md). The toolstack stops a guest (its own suspend),
 * builds a new domain from its state, and gives it the guest's memory here:
 * page by page, shared copy-on-write where nothing outside the parent holds
 * the frame, copied where something does (p2m_share_page). Each clone and
 * its parent then write only to copies of their own; the pages nobody
 * writes stay one frame for all.
 */
#include <domus/arch.h>
#include <domus/clone.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/p2m.h>
#include <domus/printk.h>
#include <domus/save_state.h>
#include <domus/sched.h>
#include <public/xen.h>

long clone_share_pages(struct vcpu *caller, struct domain *from, struct domus_ctl_sharepages *s)
{
	struct domain *to = s->to < DOMID_FIRST_RESERVED ? domain_by_id(s->to) : NULL;
	u32 shared = 0, copied = 0;
	enum p2m_type type;
	long rc = 0;
	paddr_t pa;
	u64 gfn;

	s->shared = s->copied = 0;
	if (!s->count || s->count > DOMUS_SHARE_MAX || s->pad ||
	    s->gfn >= (1ULL << (64 - PAGE_SHIFT)) - s->count)
		return -EINVAL;
	if (!to)
		return -ESRCH;
	if (to == from || to == caller->dom || from == caller->dom)
		return -EINVAL;
	if (from->privileged || from->direct_map)
		return -EPERM; /* dom0's memory is the machine's */
	/* A clone is built from the start; its parent holds still while its pages go. */
	if (READ_ONCE(to->state) != DOMAIN_BUILDING || !domain_stopped(from))
		return -EBUSY;
	/*
	 * Not while it migrates: a page written since the last CLEAN is known
	 * by its write right alone, which sharing takes (log_dirty.c).
	 */
	if (READ_ONCE(from->log_dirty))
		return -EBUSY;
	/* Stopped, but maybe still on a pCPU until its kick: no write may race the sharing. */
	for (u32 i = 0; i < from->nr_vcpus; i++)
		vcpu_wait_descheduled(from->vcpus[i]);
	for (gfn = s->gfn; gfn < s->gfn + s->count; gfn++) {
		if (__atomic_load_n(&to->mem_pages, __ATOMIC_RELAXED) >= to->max_pages) {
			/*
			 * At its limit, only a page refuses it: the holes of a range
			 * that runs on past the parent's RAM cost the clone nothing,
			 * and a clone that got all of that RAM must not fail.
			 */
			if (p2m_lookup(from, gfn, &pa, &type) == 0 &&
			    (type == P2M_RAM || type == P2M_RAM_COW)) {
				rc = -ENOMEM;
				break;
			}
			continue;
		}
		rc = p2m_share_page(from, to, gfn);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		__atomic_add_fetch(&to->mem_pages, 1, __ATOMIC_RELAXED);
		if (rc)
			shared++;
		else
			copied++;
		rc = 0;
	}
	/*
	 * The parent's leaves lost their write right in place: no TLB may keep
	 * it (also when a clone's map failed after the parent's leaf changed).
	 */
	if (shared || rc < 0)
		arch_s2_flush(from);
	if (rc == -ENOMEM)
		printk("d%u: clone d%u: out of memory at gfn %#lx (its limit, or Domus')\n", from->id,
		       to->id, gfn); /* not s->gfn + shared + copied: holes were skipped */
	s->shared = shared;
	s->copied = copied;
	return rc;
}
