/* SPDX-License-Identifier: MIT */
/*
 * What our freestanding EL1 kernels share (the micro-benchmark guest and the
 * conformance kernel): they run natively (QEMU -kernel), as a dom0 and as a
 * guest, with the MMU off, so every data access is Device memory (hence
 * -mstrict-align and no atomics; each shared variable has one writer).
 * Everything machine-specific comes from the device tree in x0: the GIC, the
 * console (the stdout-path PL011, an SBSA UART, or Xen's console_io), the
 * PSCI conduit, the CPUs' MPIDRs and the command line.
 */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

/* Every symbol is ours: PC-relative, never through a GOT that would need relocating. */
#pragma GCC visibility push(hidden)

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;
typedef unsigned char u8;

#define PSCI_VERSION 0x84000000UL
#define PSCI_CPU_OFF 0x84000002UL
#define PSCI_CPU_ON 0xc4000003UL
#define PSCI_AFFINITY_INFO 0xc4000004UL
#define PSCI_SYSTEM_OFF 0x84000008UL
#define PSCI_FEATURES 0x8400000aUL

#define GICD_CTLR 0x0
#define GICD_TYPER 0x4
#define GICR_TYPER 0x8
#define GICR_WAKER 0x14
#define GICR_IGROUPR0 0x10080 /* in the SGI frame, 64 KiB above RD_base */
#define GICR_ISENABLER0 0x10100
#define GICR_ICENABLER0 0x10180
#define GICR_ISPENDR0 0x10200
#define GICR_ICPENDR0 0x10280
#define GICR_ISACTIVER0 0x10300
#define GICR_ICACTIVER0 0x10380
#define GICR_IPRIORITYR0 0x10400

#define sysreg_read(r) ({ u64 __v; asm volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define sysreg_write(r, v) asm volatile("msr " #r ", %0" : : "r"((u64)(v)) : "memory")
/* GICv3 CPU interface by encoding (under a hypervisor these reach the ICV_ registers). */
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_DIR_EL1 S3_0_C12_C11_1
#define ICC_RPR_EL1 S3_0_C12_C11_3
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1 S3_0_C12_C11_5

struct kernel_dt {
	u64 gicd, gicr, uart;
	int xen, smc; /* a Xen hypervisor node; PSCI over SMC, not HVC */
	u64 mpidr[8]; /* from /cpus, in tree order */
	u32 ncpus;
	u32 n; /* "n=" on the command line, 0 if none */
	char stdout_path[64]; /* /chosen/stdout-path, options cut off */
	char bootargs[128];
};

extern struct kernel_dt dt;

static inline u32 rd32(u64 a) { return *(volatile u32 *)a; }
static inline u64 rd64(u64 a) { return *(volatile u64 *)a; }
static inline void wr32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline u8 rd8(u64 a) { return *(volatile u8 *)a; }
static inline void wr8(u64 a, u8 v) { *(volatile u8 *)a = v; }

/* The counter, after every earlier instruction: the ISB keeps it from being read early. */
static inline u64 now(void)
{
	u64 t;

	asm volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t) : : "memory");
	return t;
}

/* Reads the device tree into dt; 0, or -1 if x0 held none. */
int kernel_dt_read(const u8 *fdt);
/* An SMCCC call over the device tree's conduit: what the level below answers. */
u64 psci(u64 fid, u64 a1, u64 a2, u64 a3);
/* %s; %u and %x of a u64 (cast: a variadic u32's upper half is not defined); %t: tenths as 12.3 */
void say(const char *fmt, ...);
/* This CPU's redistributor (RD_base), 0 if the GIC has none for it. */
u64 my_rdist(void);
/* The distributor on (affinity routing, group 1), waiting out RWP. */
void gic_init_dist(void);
/* This CPU's redistributor awake, its CPU interface on (group 1, PMR open, EOImode 0). */
int gic_init_cpu(void);
void send_sgi(u32 intid, u64 mpidr);
void power_off(void) __attribute__((noreturn));

#endif
