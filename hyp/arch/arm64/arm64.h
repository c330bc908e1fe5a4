/* SPDX-License-Identifier: MIT */
/* Declarations shared by the arm64 files (not part of the arch interface). */
#ifndef ARM64_ARM64_H
#define ARM64_ARM64_H

#include <domus/types.h>

struct vcpu;
struct cpu_regs;

/* mmu.c */
int mmu_init(void);
void mmu_enable_this_cpu(void);
extern u64 vtcr_el2_value;
extern u32 ipa_bits;

/* gicv3.c */
int gic_init(void);
void gic_cpu_init(unsigned int cpu);
void gic_set_vtimer_active(bool active);
void gic_send_sgi(unsigned int cpu, u32 intid);
u32 gic_ack(void);
void gic_eoi(u32 intid); /* priority drop */
void gic_deactivate(u32 intid);
void gic_write_ich_hcr(u64 val); /* skipped when it holds val already */
void gic_enable_private(u32 intid);
void gic_enable_spi(u32 intid, bool enable, unsigned int cpu);
extern u32 gic_nr_lrs, gic_nr_aprs;

/* psci.c */
int psci_cpu_on(u64 mpidr, u64 entry, u64 context);

/* traps.c */
void inject_undef(struct vcpu *v);
void inject_dabt(struct vcpu *v, u64 far, bool write);
void inject_iabt(struct vcpu *v, u64 far);
void irq_handle(void);

/* vtimer.c */
struct sysreg_access;
bool vtimer_emulate_cntp(struct vcpu *v, const struct sysreg_access *s, u64 *val);
void vtimer_update_ptimer(struct vcpu *v);
void vtimer_resample(struct vcpu *v);
/* At a vCPU reset: the emulated physical timer's line low again. */
void vtimer_reset(struct vcpu *v);

/* idregs.c */
struct sysreg_access;
bool idreg_emulate(const struct sysreg_access *s, u64 *val);

/* vdebug.c */
enum vdebug_result {
	VDEBUG_NOT_MINE, /* not a debug or PMU register */
	VDEBUG_DONE, /* emulated: *val read or written, skip the instruction */
	VDEBUG_UNDEF, /* as on a CPU without it */
};
void vdebug_cpu_init(void);
void vdebug_switch(struct vcpu *prev, struct vcpu *next);
enum vdebug_result vdebug_access(struct vcpu *v, const struct sysreg_access *s, u64 *val);

/* fpsimd.S */
void fpsimd_save(u64 *q, u64 *fpsr_fpcr);
void fpsimd_restore(const u64 *q, const u64 *fpsr_fpcr);

#define SGI_KICK 0

/* Guest exits counted by cause (exitstats.c), shown by the 'x' debug key. */
void exitstats_init(void); /* once nr_pcpus is known */
void exitstats_sync(const struct cpu_regs *regs, u64 esr);
void exitstats_irq(void);

#endif
