/* SPDX-License-Identifier: MIT */
/* Virtual GICv3: distributor and redistributor state, list-register flow. */
#ifndef DOMUS_VGIC_H
#define DOMUS_VGIC_H

#include <domus/spinlock.h>
#include <domus/types.h>

struct vcpu;
struct domain;

#define VGIC_NR_PRIVATE 32
#define VGIC_MAX_SPIS 988
#define VGIC_MAX_LRS 16
#define VGIC_PRIO_MASK 0xf8 /* 5 priority bits, as QEMU's GIC and the ICH interface */
#define VGIC_RDIST_STRIDE 0x20000 /* RD_base + SGI_base frames */

struct vgic_irq {
	u32 intid;
	u8 priority;
	bool enabled;
	bool pending; /* latched (edge, or written to ISPENDR) */
	bool line_level; /* level-sensitive input as driven by its source */
	bool active;
	bool edge;
	bool hw; /* backed by physical INTID pintid, deactivated by the guest */
	u32 pintid;
	u64 irouter; /* SPIs: GICD_IROUTER value */
	struct vcpu *target; /* SPIs: the vCPU irouter names; private: owner */
	struct vgic_irq *ap_next; /* on target's list while pending or active */
	bool on_ap_list;
	bool in_lr;
	bool latch_in_lr; /* the LR's pending state came from the latch */
};

struct vgic_cpu {
	spinlock_t lock; /* see vgic.c: guards the interrupts that target this vCPU */
	struct vgic_irq priv[VGIC_NR_PRIVATE];
	struct vgic_irq *ap_list;
	u32 used_lrs;
	struct vgic_irq *lr_irq[VGIC_MAX_LRS];
	bool sleeping; /* GICR_WAKER.ProcessorSleep */
};

struct vgic_dist {
	bool grp0_enabled, grp1_enabled;
	u32 nr_spis;
	struct vgic_irq *spis;
	bool has_hw_spis; /* some SPI is a physical one (dom0) */
	ipa_t dist_base;
	ipa_t rdist_base;
	u64 rdist_size;
};

/*
 * Setup, from arch_domain_init and arch_vcpu_init (the rest of the core's
 * interface, arch_vgic_* and arch_irq_*, is declared in <domus/arch.h>).
 */
int vgic_domain_init(struct domain *d, u32 nr_spis);
void vgic_domain_free(struct domain *d);
void vgic_cpu_init(struct vcpu *v);

/* Emulated register accesses; -EINVAL for a bad width, offset or alignment. */
int vgic_dist_access(struct vcpu *v, u64 off, u32 size, bool write, u64 *val);
int vgic_rdist_access(struct vcpu *v, struct vcpu *target, u64 off, u32 size,
		      bool write, u64 *val);
/* Decodes a GICD/GICR address of d: 0 if it hits one, with *target for GICR. */
bool vgic_is_dist(struct domain *d, ipa_t ipa);
struct vcpu *vgic_rdist_vcpu(struct domain *d, ipa_t ipa, u64 *off);

/* Interrupt sources (and arch_irq_inject: edge or one-shot) */
void vgic_set_level(struct domain *d, struct vcpu *v, u32 intid, bool level);
void vgic_send_sgi(struct vcpu *sender, u64 sgi1r, bool all_but_self_ok);
struct vgic_irq *vgic_get_irq(struct domain *d, struct vcpu *v, u32 intid);

/* Save and restore: a vCPU's private interrupts (its list registers folded back). */
struct domus_vcpu_state;
void vgic_state_get(const struct vcpu *v, struct domus_vcpu_state *s);
void vgic_state_set(struct vcpu *v, const struct domus_vcpu_state *s);

/* List registers (GICv3 ICH_LR<n>_EL2 format), around each guest entry. */
void vgic_flush_lrs(struct vcpu *v);
void vgic_sync_lrs(struct vcpu *v);

/* Provided by the rest of Domus (and by fakes in unit tests). */
u32 arch_vgic_nr_lrs(void);
u64 arch_vgic_read_lr(u32 n);
void arch_vgic_write_lr(u32 n, u64 val);
void arch_vgic_set_underflow(bool on);
/* Bit n set: list register n holds nothing (invalid, and no EOI maintenance to come). */
u32 arch_vgic_empty_lrs(void);

/* ICH_ELRSR_EL2's rule for one LR value: no state (63:62), and HW (61) or no EOI (41). */
static inline bool vgic_lr_empty(u64 lr)
{
	return !(lr >> 62) && ((lr & BIT(61)) || !(lr & BIT(41)));
}
void arch_hw_irq_enable(u32 intid, bool enable);
void arch_hw_irq_route(u32 intid, unsigned int pcpu);

#endif
