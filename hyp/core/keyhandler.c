/* SPDX-License-Identifier: MIT */
/* Debug keys on Domus' console: what runs where, and memory. */
#include <domus/arch.h>
#include <domus/console.h>
#include <domus/domain.h>
#include <domus/evtchn.h>
#include <domus/gnttab.h>
#include <domus/hypercall.h>
#include <domus/keyhandler.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/vcpu_op.h>
#include <public/xen.h>

static const char *const vcpu_states[] = { "offline", "runnable", "running", "blocked",
					    "paused" };
static const char *const domain_states[] = { "building", "running", "paused", "shutdown",
					     "dying" };

/*
 * Where a guest's console or XenStore connection stalled shows: each ring's
 * indices (Xen's layouts: console in[1024] out[2048], store req[1024]
 * rsp[1024], then cons/prod pairs). Input the guest never took stays
 * between in_cons and in_prod; a request dom0 never answered, in req.
 */
static void dump_ring(struct domain *d, const char *what, u32 param, u32 offset,
		      const char *first, const char *second)
{
	u64 gfn = d->hvm_params[param];
	u32 idx[4];

	if (!gfn || gfn == ~0ULL || gfn >= (1ULL << (64 - PAGE_SHIFT)))
		return;
	if (p2m_copy(d, ipa_add(gfn_ipa(gfn), offset), idx, sizeof(idx), false))
		printk("    %s ring at gfn %#lx: not readable\n", what, gfn);
	else
		printk("    %s ring: %s cons %u prod %u, %s cons %u prod %u\n", what, first,
		       idx[0], idx[1], second, idx[2], idx[3]);
}

static void dump_domains(void)
{
	u64 freq = arch_counter_freq(), wall = wallclock_now_ns();

	if (wall)
		printk("wall clock: %lu s since the epoch (as dom0 set it)\n", wall / 1000000000);
	else
		printk("wall clock: not set by dom0 yet\n");
	for (struct domain *d = domain_list(); d; d = d->next) {
		printk("d%u \"%s\": %s, %lu MiB, %u vCPUs\n", d->id, d->name,
		       domain_states[d->state], d->mem_pages * PAGE_SIZE >> 20, d->nr_vcpus);
		if (!d->privileged && d->state != DOMAIN_DYING) { /* (its tables may be going) */
			dump_ring(d, "console", HVM_PARAM_CONSOLE_PFN, 3072, "in", "out");
			dump_ring(d, "XenStore", HVM_PARAM_STORE_PFN, 2048, "req", "rsp");
		}
		for (u32 i = 0; i < d->nr_vcpus; i++) {
			struct vcpu *v = d->vcpus[i];

			struct vcpu_info *vi = READ_ONCE(v->vcpu_info);
			char ppi[64], timer[96];

			printk("  d%uv%u: pCPU %u, %s%s%s, pc %#lx, ran %lu ms\n", d->id, v->id,
			       __atomic_load_n(&v->pcpu, __ATOMIC_RELAXED), vcpu_states[v->state],
			       v->down ? ", down" : "",
			       v->pause_count ? ", paused" : "", arch_vcpu_pc(&v->arch),
			       v->run_total * 1000 / freq);
			/* Where a lost event would show: the upcall flag, its selector, the PPI. */
			arch_irq_describe(v, EVTCHN_PPI, ppi, sizeof(ppi));
			printk("    events: upcall %u sel %#lx; PPI %u %s\n",
			       vi ? vi->evtchn_upcall_pending : 0, vi ? vi->evtchn_pending_sel : 0,
			       EVTCHN_PPI, ppi);
			/* Where a stalled timer would show: the timer, its PPI, blocks and wakes. */
			arch_vcpu_timer_describe(v, timer, sizeof(timer));
			arch_irq_describe(v, GUEST_TIMER_VIRT_PPI, ppi, sizeof(ppi));
			printk("    timer: %s; PPI %u %s; blocks %lu (refused %lu), timer wakes %lu\n",
			       timer, GUEST_TIMER_VIRT_PPI, ppi, READ_ONCE(v->blocks),
			       READ_ONCE(v->blocks_refused), READ_ONCE(v->timer_wakes));
		}
	}
}

/* Microseconds from now to a counter value: negative if it is past. */
static long us_from_now(u64 when, u64 now)
{
	return (long)((s64)(when - now) * 1000000 / (s64)arch_counter_freq());
}

static void dump_runqueues(void)
{
	u64 now = arch_counter();

	for (unsigned int i = 0; i < nr_pcpus; i++) {
		struct pcpu *p = &pcpus[i];
		struct vcpu *cur = READ_ONCE(p->current);
		u64 due = READ_ONCE(p->timer_due);
		char irqs[96], timer[32];

		printk("pCPU %u: %s, running %s d%dv%d, %u waiting\n", i,
		       p->online ? "online" : "offline", cur ? "" : "idle",
		       cur ? (int)cur->dom->id : -1, cur ? (int)cur->id : -1, runq_waiting(&p->rq));
		if (!p->online)
			continue;
		/* Where a lost wake-up would show: its own timer, its last pass, its PPIs. */
		arch_pcpu_irqs_describe(i, irqs, sizeof(irqs));
		if (due)
			snprintf(timer, sizeof(timer), "due %ld us", us_from_now(due, now));
		else
			snprintf(timer, sizeof(timer), "off");
		printk("    timer %s, last scheduled %ld us ago, longest switch %ld us; %s\n", timer,
		       -us_from_now(READ_ONCE(p->last_schedule), now),
		       us_from_now(READ_ONCE(p->longest_switch), 0), irqs);
	}
}

void keyhandler_key(char key)
{
	switch (key) {
	case 'd':
		dump_domains();
		break;
	case 'r':
		dump_runqueues();
		break;
	case 'm':
		printk("memory: %lu of %lu MiB free\n", mm_free_count() * PAGE_SIZE >> 20,
		       mm_total_pages() * PAGE_SIZE >> 20);
		break;
	case 'e':
		for (struct domain *d = domain_list(); d; d = d->next)
			evtchn_dump(d);
		break;
	case 'g':
		for (struct domain *d = domain_list(); d; d = d->next)
			gnttab_dump(d);
		break;
	case 'x':
		arch_exitstats_dump();
		break;
	case 'h':
	default:
		printk("debug keys: d domains and vCPUs, r run queues, e event channels, g grant tables, m memory, x exits since the last x, h help\n");
	}
}
