/* SPDX-License-Identifier: MIT */
/* Virtual GICv3: emulated distributor and redistributors, and the list registers. */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <arm64/affinity.h>
#include <arm64/vgic.h>
#include <public/domus_ctl.h>

/*
 * Every interrupt of a domain has one struct vgic_irq: SPIs in the domain,
 * SGIs and PPIs in each vCPU. An interrupt that is pending or active sits on
 * its target vCPU's "ap list". Before each guest entry the best of that list
 * go into the list registers (vgic_flush_lrs); after each exit their state is
 * read back (vgic_sync_lrs). Between the two the ICH_LR registers own them.
 *
 *   source --inject--> pending --flush--> LR(pending) --guest ack--> LR(active)
 *                                                   guest EOI --> LR(invalid) --sync--> idle
 *
 * Locking: each vCPU's vgic lock guards its ap list, its list-register
 * bookkeeping, and the state of every interrupt whose target it is (lock_irq
 * finds and takes the right one). A vCPU's entry and exit take only its own
 * lock, so vCPUs do not contend unless they signal each other. An SPI moves
 * to another target only while it is on no list. Kicks (which take
 * run-queue locks) happen after the vgic lock is dropped.
 */

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_TYPER2 0x000c
#define GICD_STATUSR 0x0010
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR 0x0800
#define GICD_ICFGR 0x0c00
#define GICD_IGRPMODR 0x0d00
#define GICD_NSACR 0x0e00
#define GICD_SGIR 0x0f00
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xffe8

#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_STATUSR 0x0010
#define GICR_WAKER 0x0014
#define GICR_PROPBASER 0x0070
#define GICR_PENDBASER 0x0078
#define GICR_PIDR2 0xffe8
#define GICR_SGI_BASE 0x10000

#define CTLR_ENABLE_G0 BIT(0)
#define CTLR_ENABLE_G1 BIT(1)
#define CTLR_ARE BIT(4)
#define CTLR_DS BIT(6)
#define WAKER_PROCESSOR_SLEEP BIT(1)
#define WAKER_CHILDREN_ASLEEP BIT(2)
#define PIDR2_GICV3 0x3b
#define IIDR_DOMUS 0x0000d44d

#define LR_STATE_SHIFT 62
#define LR_PENDING BIT(62)
#define LR_ACTIVE BIT(63)
#define LR_HW BIT(61)
#define LR_GROUP1 BIT(60)
#define LR_EOI BIT(41)
#define LR_PRIO_SHIFT 48
#define LR_PINTID_SHIFT 32

struct kicks {
	struct vcpu *v[8];
	u32 n;
	bool all; /* too many to list: kick every vCPU of the domain */
};

static void kick_later(struct kicks *k, struct vcpu *v)
{
	for (u32 i = 0; i < k->n; i++)
		if (k->v[i] == v)
			return;
	if (k->n < ARRAY_SIZE(k->v))
		k->v[k->n++] = v;
	else
		k->all = true;
}

static void kick_each(struct domain *d, struct kicks *k)
{
	if (k->all) {
		for (u32 i = 0; i < d->nr_vcpus; i++)
			vcpu_kick(d->vcpus[i]);
		return;
	}
	for (u32 i = 0; i < k->n; i++)
		vcpu_kick(k->v[i]);
}

/* Most register accesses kick nobody: they pay a test, not a call. (all implies n > 0.) */
static inline void kick_now(struct domain *d, struct kicks *k)
{
	if (k->n)
		kick_each(d, k);
}

struct vgic_irq *vgic_get_irq(struct domain *d, struct vcpu *v, u32 intid)
{
	if (intid < VGIC_NR_PRIVATE)
		return v ? &v->arch.vgic.priv[intid] : NULL;
	if (intid - VGIC_NR_PRIVATE < d->arch.vgic.nr_spis)
		return &d->arch.vgic.spis[intid - VGIC_NR_PRIVATE];
	return NULL;
}

static bool is_pending(const struct vgic_irq *irq)
{
	return irq->pending || (!irq->edge && irq->line_level);
}

static bool deliverable(const struct domain *d, const struct vgic_irq *irq)
{
	return is_pending(irq) && irq->enabled && d->arch.vgic.grp1_enabled;
}

static bool any_deliverable(const struct domain *d, const struct vcpu *v)
{
	for (const struct vgic_irq *irq = v->arch.vgic.ap_list; irq; irq = irq->ap_next)
		if (deliverable(d, irq))
			return true;
	return false;
}

static struct vcpu *spi_target(struct domain *d, u64 irouter)
{
	struct vcpu *v = NULL;

	if (!(irouter & BIT(31))) /* IRM=0: the named vCPU */
		v = vcpu_by_affinity(d, (irouter & 0xffffff) | ((irouter >> 32 & 0xff) << 32));
	return v ? v : d->vcpus[0];
}

/* Puts irq on its target's list if it needs delivering; notes whom to kick. */
static void update(struct domain *d, struct vgic_irq *irq, struct kicks *k)
{
	struct vcpu *t;

	if (!is_pending(irq) && !irq->active)
		return;
	if (irq->in_lr) {
		/* Already with the guest: sync folds a new edge back in. */
		if (deliverable(d, irq))
			kick_later(k, irq->target);
		return;
	}
	if (!irq->on_ap_list) {
		t = irq->target;
		irq->ap_next = t->arch.vgic.ap_list;
		t->arch.vgic.ap_list = irq;
		irq->on_ap_list = true;
	}
	if (deliverable(d, irq))
		kick_later(k, irq->target);
}

/* Takes the lock that guards irq: its current target's. Returns that vCPU. */
static struct vcpu *lock_irq(struct vgic_irq *irq)
{
	for (;;) {
		struct vcpu *t = READ_ONCE(irq->target);

		spin_lock(&t->arch.vgic.lock);
		if (READ_ONCE(irq->target) == t)
			return t;
		spin_unlock(&t->arch.vgic.lock);
	}
}

/* Moves an SPI to the vCPU its IROUTER names, if it is on no list. Under its lock. */
static void retarget(struct domain *d, struct vgic_irq *irq)
{
	if (irq->intid >= VGIC_NR_PRIVATE && !irq->on_ap_list && !irq->in_lr)
		WRITE_ONCE(irq->target, spi_target(d, irq->irouter));
}

int vgic_domain_init(struct domain *d, u32 nr_spis)
{
	struct vgic_dist *g = &d->arch.vgic;

	if (nr_spis > VGIC_MAX_SPIS)
		return -EINVAL;
	g->spis = nr_spis ? mm_zalloc(nr_spis * sizeof(struct vgic_irq)) : NULL;
	if (nr_spis && !g->spis)
		return -ENOMEM;
	g->nr_spis = nr_spis;
	return 0;
}

void vgic_domain_free(struct domain *d)
{
	mm_free(d->arch.vgic.spis, d->arch.vgic.nr_spis * sizeof(struct vgic_irq));
	d->arch.vgic.spis = NULL;
}

u32 arch_vgic_vcpus_fit(u64 rdist_region_size)
{
	return (u32)MIN(rdist_region_size / VGIC_RDIST_STRIDE, (u64)UINT32_MAX);
}

void arch_vgic_setup(struct domain *d, ipa_t dist_base, ipa_t rdist_base)
{
	struct vgic_dist *g = &d->arch.vgic;

	g->dist_base = dist_base;
	g->rdist_base = rdist_base;
	g->rdist_size = (u64)d->nr_vcpus * VGIC_RDIST_STRIDE;
	for (u32 i = 0; i < g->nr_spis; i++) {
		memset(&g->spis[i], 0, sizeof(g->spis[i]));
		g->spis[i].intid = VGIC_NR_PRIVATE + i;
		g->spis[i].target = d->vcpus[0];
	}
}

void arch_vgic_frames(const struct domain *d, ipa_t *dist_base, ipa_t *rdist_base, u64 *rdist_size)
{
	*dist_base = d->arch.vgic.dist_base;
	*rdist_base = d->arch.vgic.rdist_base;
	*rdist_size = d->arch.vgic.rdist_size;
}

void vgic_cpu_init(struct vcpu *v)
{
	memset(&v->arch.vgic, 0, sizeof(v->arch.vgic));
	spin_lock_init(&v->arch.vgic.lock);
	for (u32 i = 0; i < VGIC_NR_PRIVATE; i++) {
		struct vgic_irq *irq = &v->arch.vgic.priv[i];

		irq->intid = i;
		irq->target = v;
		irq->edge = i < 16; /* SGIs are edge; PPIs reset to level */
	}
	v->arch.vgic.sleeping = true;
}

/*
 * A vCPU's private interrupts for save: latched pending, active, enabled,
 * edge and priority each. Line levels are not state of the vGIC's own: their
 * sources (the timer, the upcall) drive them again after a restore.
 */
void vgic_state_get(const struct vcpu *v, struct domus_vcpu_state *s)
{
	s->irq_pending = s->irq_active = s->irq_enabled = s->irq_edge = 0;
	for (u32 i = 0; i < VGIC_NR_PRIVATE; i++) {
		const struct vgic_irq *irq = &v->arch.vgic.priv[i];

		s->irq_pending |= (u32)irq->pending << i;
		s->irq_active |= (u32)irq->active << i;
		s->irq_enabled |= (u32)irq->enabled << i;
		s->irq_edge |= (u32)irq->edge << i;
		s->irq_priority[i] = irq->priority;
	}
	if (v->arch.vgic.sleeping)
		s->flags |= DOMUS_VCPU_STATE_RDIST_ASLEEP;
}

/* The distributor's own state, for save: its group enables (a guest's SPIs are not carried yet). */
void arch_vgic_state_get(const struct domain *d, struct domus_ctl_domainstate *s)
{
	s->gicd_ctlr = (d->arch.vgic.grp0_enabled ? CTLR_ENABLE_G0 : 0) |
		       (d->arch.vgic.grp1_enabled ? CTLR_ENABLE_G1 : 0);
}

int arch_vgic_state_set(struct domain *d, const struct domus_ctl_domainstate *s)
{
	if (s->gicd_ctlr & ~(CTLR_ENABLE_G0 | CTLR_ENABLE_G1))
		return -EINVAL;
	d->arch.vgic.grp0_enabled = s->gicd_ctlr & CTLR_ENABLE_G0;
	d->arch.vgic.grp1_enabled = s->gicd_ctlr & CTLR_ENABLE_G1;
	return 0;
}

/* The reverse, into a vCPU that has not run (restore): what is pending or active goes on its list. */
void vgic_state_set(struct vcpu *v, const struct domus_vcpu_state *s)
{
	struct kicks k = { 0 };

	spin_lock(&v->arch.vgic.lock);
	for (u32 i = 0; i < VGIC_NR_PRIVATE; i++) {
		struct vgic_irq *irq = &v->arch.vgic.priv[i];

		irq->pending = s->irq_pending >> i & 1;
		irq->active = s->irq_active >> i & 1;
		irq->enabled = s->irq_enabled >> i & 1;
		irq->edge = i < 16 || (s->irq_edge >> i & 1); /* SGIs are always edge */
		irq->priority = s->irq_priority[i] & VGIC_PRIO_MASK;
		update(v->dom, irq, &k);
	}
	v->arch.vgic.sleeping = s->flags & DOMUS_VCPU_STATE_RDIST_ASLEEP;
	spin_unlock(&v->arch.vgic.lock);
}

int arch_irq_passthrough(struct domain *d, u32 intid)
{
	struct vgic_irq *irq = vgic_get_irq(d, NULL, intid);

	if (!irq || intid < VGIC_NR_PRIVATE)
		return -EINVAL;
	irq->hw = true;
	irq->pintid = intid;
	d->arch.vgic.has_hw_spis = true;
	return 0;
}

/*
 * v now runs on another pCPU: the physical SPIs it is the target of follow it,
 * so that they arrive where it runs rather than on its old pCPU, which would
 * have to kick the new one for each.
 */
void arch_vcpu_moved(struct vcpu *v)
{
	struct domain *d = v->dom;

	if (!d->arch.vgic.has_hw_spis)
		return;
	for (u32 i = 0; i < d->arch.vgic.nr_spis; i++) {
		struct vgic_irq *irq = &d->arch.vgic.spis[i];

		if (irq->hw && READ_ONCE(irq->target) == v)
			arch_hw_irq_route(irq->pintid, v->pcpu);
	}
}

/* One register of a bank of per-interrupt bits or fields (GICD or GICR SGI frame). */
static int irq_reg_access(struct domain *d, struct vcpu *owner, u64 off, u32 size,
			  bool write, u64 *val, struct kicks *k)
{
	u32 reg, first, bits_per_irq = 1, count;
	struct vcpu *t;
	u64 r = 0, w = write ? *val : 0;

	if (off >= GICD_IPRIORITYR && off < GICD_ITARGETSR) {
		if (size != 1 && size != 4)
			return -EINVAL;
		bits_per_irq = 8;
		first = off - GICD_IPRIORITYR;
		count = size;
	} else if (off >= GICD_ITARGETSR && off < GICD_ICFGR) {
		if (size != 1 && size != 4)
			return -EINVAL;
		if (!write)
			*val = 0; /* RAZ/WI with affinity routing */
		return 0;
	} else {
		if (size != 4)
			return -EINVAL;
		if (off >= GICD_ICFGR && off < GICD_IGRPMODR) {
			bits_per_irq = 2;
			first = (off - GICD_ICFGR) * 4;
			count = 16;
		} else {
			first = (off & 0x7f) * 8;
			count = 32;
		}
	}
	reg = off & ~0x7fULL;
	if (off >= GICD_ICFGR)
		reg = off >= GICD_NSACR ? GICD_NSACR : off >= GICD_IGRPMODR ? GICD_IGRPMODR : GICD_ICFGR;
	else if (off >= GICD_IPRIORITYR)
		reg = GICD_IPRIORITYR;

	for (u32 i = 0; i < count; i++) {
		u32 intid = first + i;
		struct vgic_irq *irq;
		u64 field = (w >> (i * bits_per_irq)) & ((1ULL << bits_per_irq) - 1);
		u64 out = 0;

		/* Private interrupts live in the redistributor: the GICD view is RAZ/WI. */
		if (!owner && intid < VGIC_NR_PRIVATE)
			continue;
		if (owner && intid >= VGIC_NR_PRIVATE)
			continue;
		irq = vgic_get_irq(d, owner, intid);
		if (!irq)
			continue;
		t = lock_irq(irq);
		switch (reg) {
		case GICD_IGROUPR:
			out = 1; /* one security state: everything is group 1 */
			break;
		case GICD_ISENABLER:
		case GICD_ICENABLER:
			if (write && field) {
				bool en = reg == GICD_ISENABLER;

				if (irq->enabled != en && irq->hw)
					arch_hw_irq_enable(irq->pintid, en);
				irq->enabled = en;
			}
			out = irq->enabled;
			break;
		case GICD_ISPENDR:
		case GICD_ICPENDR:
			if (write && field)
				irq->pending = reg == GICD_ISPENDR;
			out = is_pending(irq);
			break;
		case GICD_ISACTIVER:
		case GICD_ICACTIVER:
			if (write && field)
				irq->active = reg == GICD_ISACTIVER;
			out = irq->active;
			break;
		case GICD_IPRIORITYR:
			if (write)
				irq->priority = field & VGIC_PRIO_MASK;
			out = irq->priority;
			break;
		case GICD_ICFGR:
			/* SGIs are always edge; everything else is configurable. */
			if (write && intid >= 16)
				irq->edge = field & 2;
			out = irq->edge ? 2 : 0;
			break;
		default: /* IGRPMODR, NSACR */
			out = 0;
		}
		if (write)
			update(d, irq, k);
		spin_unlock(&t->arch.vgic.lock);
		r |= out << (i * bits_per_irq);
	}
	if (!write)
		*val = r;
	return 0;
}

static bool is_irq_bank(u64 off)
{
	return off >= GICD_IGROUPR && off < GICD_SGIR;
}

int vgic_dist_access(struct vcpu *v, u64 off, u32 size, bool write, u64 *val)
{
	struct domain *d = v->dom;
	struct vgic_dist *g = &d->arch.vgic;
	struct kicks k = { 0 };
	int rc = 0;

	if (off & (size - 1))
		return -EINVAL;
	if (is_irq_bank(off)) {
		rc = irq_reg_access(d, NULL, off, size, write, val, &k);
	} else if (off >= GICD_IROUTER && off < GICD_IROUTER + 8 * 1020) {
		u32 intid = (off - GICD_IROUTER) / 8;
		struct vgic_irq *irq = vgic_get_irq(d, NULL, intid);
		bool high = off & 4;

		if (size != 8 && size != 4) {
			rc = -EINVAL;
		} else if (!irq || intid < VGIC_NR_PRIVATE) {
			if (!write)
				*val = 0;
		} else if (write) {
			u64 mask = size == 8 ? ~0ULL : 0xffffffffULL;
			u64 shift = high ? 32 : 0;
			struct vcpu *t = lock_irq(irq);
			u64 nv = (irq->irouter & ~(mask << shift)) | ((*val & mask) << shift);

			irq->irouter = nv & 0xff80ffffffULL; /* Aff3, IRM, Aff2..0 */
			retarget(d, irq);
			spin_unlock(&t->arch.vgic.lock);
			if (irq->hw)
				arch_hw_irq_route(irq->pintid, spi_target(d, irq->irouter)->pcpu);
		} else {
			*val = size == 8 ? irq->irouter : (irq->irouter >> (high ? 32 : 0)) & 0xffffffff;
		}
	} else if (size != 4) {
		rc = -EINVAL;
	} else {
		u32 r = 0;

		switch (off) {
		case GICD_CTLR:
			if (write) {
				g->grp0_enabled = *val & CTLR_ENABLE_G0;
				g->grp1_enabled = *val & CTLR_ENABLE_G1;
				/* Enabling the group may make queued interrupts deliverable. */
				for (u32 i = 0; i < d->nr_vcpus; i++)
					if (arch_vcpu_irq_deliverable(d->vcpus[i]))
						kick_later(&k, d->vcpus[i]);
			}
			r = CTLR_DS | CTLR_ARE | (g->grp0_enabled ? CTLR_ENABLE_G0 : 0) |
			    (g->grp1_enabled ? CTLR_ENABLE_G1 : 0);
			break;
		case GICD_TYPER:
			r = (9u << 19) | ((g->nr_spis + VGIC_NR_PRIVATE + 31) / 32 - 1);
			break;
		case GICD_IIDR:
			r = IIDR_DOMUS;
			break;
		case GICD_PIDR2:
			r = PIDR2_GICV3;
			break;
		default:
			r = 0; /* TYPER2, STATUSR, SGIR, reserved and ID registers: RAZ/WI */
		}
		if (!write)
			*val = r;
	}
	kick_now(d, &k);
	return rc;
}

int vgic_rdist_access(struct vcpu *v, struct vcpu *t, u64 off, u32 size, bool write, u64 *val)
{
	struct domain *d = v->dom;
	struct kicks k = { 0 };
	int rc = 0;

	if (off & (size - 1))
		return -EINVAL;
	if (off >= GICR_SGI_BASE) {
		u64 soff = off - GICR_SGI_BASE;

		if (is_irq_bank(soff) && (soff & 0x7f) < (soff >= GICD_IPRIORITYR && soff < GICD_ITARGETSR ? 32 : soff >= GICD_ICFGR ? 8 : 4))
			rc = irq_reg_access(d, t, soff, size, write, val, &k);
		else if (size != 4)
			rc = -EINVAL;
		else if (!write)
			*val = 0;
	} else if (off == GICR_TYPER || off == GICR_TYPER + 4) {
		u64 typer = (t->arch.mpidr & 0xffffff) << 32 | ((t->arch.mpidr >> 32) & 0xff) << 56 |
			    (u64)t->id << 8 | (t->id == d->nr_vcpus - 1 ? BIT(4) : 0);

		if (write)
			; /* read-only */
		else if (size == 8 && off == GICR_TYPER)
			*val = typer;
		else if (size == 4)
			*val = (typer >> (off == GICR_TYPER ? 0 : 32)) & 0xffffffff;
		else
			rc = -EINVAL;
	} else if (off == GICR_PROPBASER || off == GICR_PENDBASER) {
		if (!write)
			*val = 0; /* no LPIs */
	} else if (size != 4) {
		rc = -EINVAL;
	} else {
		u32 r = 0;

		switch (off) {
		case GICR_WAKER:
			if (write)
				t->arch.vgic.sleeping = *val & WAKER_PROCESSOR_SLEEP;
			r = t->arch.vgic.sleeping ? WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP : 0;
			break;
		case GICR_IIDR:
			r = IIDR_DOMUS;
			break;
		case GICR_PIDR2:
			r = PIDR2_GICV3;
			break;
		default:
			r = 0; /* CTLR (no LPIs), STATUSR, reserved: RAZ/WI */
		}
		if (!write)
			*val = r;
	}
	kick_now(d, &k);
	return rc;
}

bool vgic_is_dist(struct domain *d, ipa_t ipa)
{
	return ipa_in_range(ipa, d->arch.vgic.dist_base, 0x10000);
}

struct vcpu *vgic_rdist_vcpu(struct domain *d, ipa_t ipa, u64 *off)
{
	u64 rel = ipa_offset(ipa, d->arch.vgic.rdist_base);
	u64 idx = rel / VGIC_RDIST_STRIDE;

	if (!ipa_in_range(ipa, d->arch.vgic.rdist_base, d->arch.vgic.rdist_size) ||
	    idx >= d->nr_vcpus)
		return NULL;
	*off = rel % VGIC_RDIST_STRIDE;
	return d->vcpus[idx];
}

void arch_irq_inject(struct domain *d, struct vcpu *v, u32 intid)
{
	struct kicks k = { 0 };
	struct vgic_irq *irq;

	irq = vgic_get_irq(d, v, intid);
	if (irq) {
		struct vcpu *t = lock_irq(irq);

		irq->pending = true;
		update(d, irq, &k);
		spin_unlock(&t->arch.vgic.lock);
	}
	kick_now(d, &k);
}

void vgic_set_level(struct domain *d, struct vcpu *v, u32 intid, bool level)
{
	struct kicks k = { 0 };
	struct vgic_irq *irq;

	irq = vgic_get_irq(d, v, intid);
	if (irq) {
		struct vcpu *t = lock_irq(irq);

		if (irq->line_level != level) {
			irq->line_level = level;
			update(d, irq, &k);
		}
		spin_unlock(&t->arch.vgic.lock);
	}
	kick_now(d, &k);
}

void vgic_send_sgi(struct vcpu *sender, u64 sgi1r, bool unused)
{
	struct domain *d = sender->dom;
	u32 intid = (sgi1r >> 24) & 0xf;
	bool irm = sgi1r & BIT(40);
	u64 aff_hi = ((sgi1r >> 16) & 0xff) << 8 | ((sgi1r >> 32) & 0xff) << 16 |
		     ((sgi1r >> 48) & 0xffULL) << 32;
	u32 rs = (sgi1r >> 44) & 0xf;
	u16 list = sgi1r & 0xffff;
	struct kicks k = { 0 };

	for (u32 i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *t = d->vcpus[i];
		bool hit;

		if (irm) {
			hit = t != sender;
		} else {
			u64 aff0 = t->arch.mpidr & 0xff;

			hit = (t->arch.mpidr & ~0xffULL) == aff_hi && aff0 / 16 == rs &&
			      (list & BIT(aff0 % 16));
		}
		if (hit) {
			spin_lock(&t->arch.vgic.lock);
			t->arch.vgic.priv[intid].pending = true;
			update(d, &t->arch.vgic.priv[intid], &k);
			spin_unlock(&t->arch.vgic.lock);
		}
	}
	kick_now(d, &k);
}

bool arch_vcpu_irq_deliverable(struct vcpu *v)
{
	struct domain *d = v->dom;
	bool found;

	spin_lock(&v->arch.vgic.lock);
	found = any_deliverable(d, v);
	spin_unlock(&v->arch.vgic.lock);
	return found;
}

static u64 make_lr(const struct domain *d, const struct vgic_irq *irq)
{
	u64 lr = irq->intid | LR_GROUP1 | (u64)irq->priority << LR_PRIO_SHIFT;
	bool pend = deliverable(d, irq);

	if (irq->hw) {
		lr |= LR_HW | (u64)irq->pintid << LR_PINTID_SHIFT;
		/* A hardware interrupt cannot be pending and active at once. */
		if (irq->active)
			pend = false;
	} else if (!irq->edge) {
		/* Level: exit on EOI so a line still high is seen again at once. */
		lr |= LR_EOI;
	}
	if (pend)
		lr |= LR_PENDING;
	if (irq->active)
		lr |= LR_ACTIVE;
	return lr;
}

/* Lower value = more urgent; active interrupts must stay visible to be EOId. */
static bool more_urgent(const struct vgic_irq *a, const struct vgic_irq *b)
{
	if (a->active != b->active)
		return a->active;
	if (a->priority != b->priority)
		return a->priority < b->priority;
	return a->intid < b->intid;
}

void vgic_flush_lrs(struct vcpu *v)
{
	struct domain *d = v->dom;
	u32 nr_lrs, used = 0, wanted = 0;
	struct vgic_irq **pp;

	/* Unlocked peek: whoever adds to the list kicks us, and we come back. */
	if (!READ_ONCE(v->arch.vgic.ap_list))
		return;
	nr_lrs = arch_vgic_nr_lrs();
	spin_lock(&v->arch.vgic.lock);
	/* Drop what is neither pending nor active; count what wants an LR. */
	for (pp = &v->arch.vgic.ap_list; *pp;) {
		struct vgic_irq *irq = *pp;

		if (!is_pending(irq) && !irq->active) {
			*pp = irq->ap_next;
			irq->on_ap_list = false;
			retarget(d, irq); /* an IROUTER write may have waited for this */
			continue;
		}
		if (irq->active || deliverable(d, irq))
			wanted++;
		pp = &irq->ap_next;
	}
	while (used < nr_lrs && used < wanted) {
		struct vgic_irq *best = NULL;

		for (struct vgic_irq *irq = v->arch.vgic.ap_list; irq; irq = irq->ap_next) {
			if (irq->in_lr || !(irq->active || deliverable(d, irq)))
				continue;
			if (!best || more_urgent(irq, best))
				best = irq;
		}
		if (!best)
			break;
		u64 lr = make_lr(d, best);

		best->in_lr = true;
		/*
		 * The latch moves into the LR, so whatever is latched at sync time
		 * arrived while the guest held the LR. A level line is not latched:
		 * its source keeps line_level current.
		 */
		best->latch_in_lr = (lr & LR_PENDING) && best->pending;
		if (best->latch_in_lr)
			best->pending = false;
		v->arch.vgic.lr_irq[used] = best;
		arch_vgic_write_lr(used, lr);
		used++;
	}
	v->arch.vgic.used_lrs = used;
	/* More than fit: ask for a maintenance interrupt when the LRs drain. */
	arch_vgic_set_underflow(wanted > used);
	spin_unlock(&v->arch.vgic.lock);
}

void vgic_sync_lrs(struct vcpu *v)
{
	u32 empty;

	if (!v->arch.vgic.used_lrs)
		return;
	spin_lock(&v->arch.vgic.lock);
	/*
	 * One read says which LRs the guest has finished with (the usual case:
	 * it took and EOId its one interrupt); only the others are read and
	 * cleared. An empty LR is inert as it is.
	 */
	empty = arch_vgic_empty_lrs();
	for (u32 i = 0; i < v->arch.vgic.used_lrs; i++) {
		struct vgic_irq *irq = v->arch.vgic.lr_irq[i];
		u64 lr = empty & BIT(i) ? 0 : arch_vgic_read_lr(i);
		bool lr_pending = lr & LR_PENDING;

		if (lr)
			arch_vgic_write_lr(i, 0);
		irq->in_lr = false;
		irq->active = lr & LR_ACTIVE;
		/*
		 * A latch the guest has not acknowledged goes back; one it has is
		 * spent. Anything latched meanwhile (an edge, ISPENDR, or a
		 * one-shot inject such as the event-channel upcall) stays: losing
		 * that would leave the upcall raised in vcpu_info with no
		 * interrupt ever coming for it.
		 */
		if (lr_pending && irq->latch_in_lr)
			irq->pending = true;
		irq->latch_in_lr = false;
		v->arch.vgic.lr_irq[i] = NULL;
	}
	v->arch.vgic.used_lrs = 0;
	arch_vgic_set_underflow(false);
	spin_unlock(&v->arch.vgic.lock);
}

void arch_irq_describe(struct vcpu *v, u32 intid, char *buf, unsigned long len)
{
	struct vgic_irq *irq = vgic_get_irq(v->dom, v, intid);

	if (!irq) {
		snprintf(buf, len, "none");
		return;
	}
	snprintf(buf, len, "%s%s%s%s", irq->enabled ? "enabled" : "disabled",
		 irq->pending ? " pending" : "", irq->active ? " active" : "",
		 irq->in_lr ? " in-LR" : "");
}
