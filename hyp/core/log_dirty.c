/* SPDX-License-Identifier: MIT */
/*
 * Dirty-page logging, for live migration (docs/MIGRATION.md). While the
 * toolstack copies a running guest's memory, it must learn which pages the
 * guest wrote after it copied them. Stage 2 tells it: a CLEAN takes write
 * rights from the guest's RAM (arch_s2_clean_dirty), and each first write
 * after it faults once (p2m_set_dirty gives the right back). A page with
 * write rights is a page written since the last CLEAN; no bitmap is kept
 * beside the table. Writes that go behind stage 2 set it too: Domus' own
 * (p2m_copy) and a back end's through a grant (gnttab.c, when its writable
 * pin ends or a copy lands in the guest's own frame).
 *
 * While logging, the domain's RAM cannot change shape (reservations, RAM
 * moved or removed in its physmap fail with -EBUSY; grant frames may come): a page freed or added behind the
 * toolstack's copy would leave the target with memory the source no longer
 * has, or without memory it has. Linux's balloon driver retries such calls.
 */
#include <domus/arch.h>
#include <domus/console.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/log_dirty.h>
#include <domus/save_state.h>
#include <domus/sched.h>
#include <domus/string.h>

long log_dirty_ctl(struct vcpu *caller, struct domain *d, const struct domus_ctl_logdirty *l)
{
	/* One toolstack call at a time (domus_ctl.c): one bitmap serves them all. */
	static u64 bitmap[DOMUS_LOGDIRTY_MAX / 64];
	enum domain_state s = READ_ONCE(d->state);
	long n;

	switch (l->op) {
	case DOMUS_LOGDIRTY_ENABLE:
		if (l->count || l->gfn || l->bitmap)
			return -EINVAL;
		/* Running, paused, or suspended (the last round of a migration, or a retry). */
		if (s == DOMAIN_BUILDING || s == DOMAIN_DYING ||
		    (s == DOMAIN_SHUTDOWN && !domain_stopped(d)))
			return -EBUSY;
		if (d->privileged)
			return -EPERM; /* dom0 does not migrate: its memory is the machine's */
		/* One migration at a time: two would take each other's dirty pages. */
		if (__atomic_exchange_n(&d->log_dirty, true, __ATOMIC_SEQ_CST))
			return -EBUSY;
		d->log_dirty_told = false;
		return 0;
	case DOMUS_LOGDIRTY_DISABLE:
		if (l->count || l->gfn || l->bitmap)
			return -EINVAL;
		__atomic_store_n(&d->log_dirty, false, __ATOMIC_SEQ_CST);
		return 0;
	case DOMUS_LOGDIRTY_CLEAN:
		if (!READ_ONCE(d->log_dirty))
			return -EINVAL;
		if (!l->count || l->count % 64 || l->count > DOMUS_LOGDIRTY_MAX ||
		    l->gfn >= (1ULL << (64 - PAGE_SHIFT)) - l->count ||
		    ipa_addr(gfn_ipa(l->gfn + l->count)) > ipa_addr(arch_s2_ipa_limit(d)))
			return -EINVAL;
		/*
		 * A domain that has stopped (paused, or suspended for the last round)
		 * may still run on a pCPU until that pCPU's kick: a write after the
		 * clean would then be logged and never collected.
		 */
		if (domain_stopped(d))
			for (u32 i = 0; i < d->nr_vcpus; i++)
				vcpu_wait_descheduled(d->vcpus[i]);
		memset(bitmap, 0, l->count / 8);
		spin_lock(&d->p2m_lock);
		n = arch_s2_clean_dirty(d, gfn_ipa(l->gfn), (u64)l->count << PAGE_SHIFT, bitmap);
		spin_unlock(&d->p2m_lock);
		if (n == -EOPNOTSUPP)
			printk("d%u: cannot log its dirty pages: RAM mapped in stage-2 blocks "
			       "(booted with stage2_blocks=on)\n", d->id);
		if (n >= 0 && copy_to_guest(caller, l->bitmap, bitmap, l->count / 8))
			return -EFAULT;
		return n;
	}
	return -EINVAL;
}

bool log_dirty_refuses(struct domain *d)
{
	if (!READ_ONCE(d->log_dirty))
		return false;
	if (!__atomic_exchange_n(&d->log_dirty_told, true, __ATOMIC_RELAXED))
		printk("d%u: memory calls refused while it migrates (dirty logging on)\n", d->id);
	return true;
}
