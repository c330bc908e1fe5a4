/* SPDX-License-Identifier: MIT */
/* System register access and the EL2 register bits Domus uses. */
#ifndef ARM64_SYSREG_H
#define ARM64_SYSREG_H

#include <domus/types.h>

#define read_sysreg(r) ({ u64 __v; asm volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) do { u64 __v = (u64)(v); asm volatile("msr " #r ", %0" : : "r"(__v)); } while (0)
#define isb() asm volatile("isb" ::: "memory")
#define dsb(opt) asm volatile("dsb " #opt ::: "memory")

/* GICv3 registers by encoding, for assemblers that lack the names. */
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_DIR_EL1 S3_0_C12_C11_1
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define ICC_SRE_EL2 S3_4_C12_C9_5
#define ICH_HCR_EL2 S3_4_C12_C11_0
#define ICH_VTR_EL2 S3_4_C12_C11_1
#define ICH_MISR_EL2 S3_4_C12_C11_2
#define ICH_ELRSR_EL2 S3_4_C12_C11_5
#define ICH_VMCR_EL2 S3_4_C12_C11_7
#define ICH_AP0R0_EL2 S3_4_C12_C8_0
#define ICH_AP0R1_EL2 S3_4_C12_C8_1
#define ICH_AP0R2_EL2 S3_4_C12_C8_2
#define ICH_AP0R3_EL2 S3_4_C12_C8_3
#define ICH_AP1R0_EL2 S3_4_C12_C9_0
#define ICH_AP1R1_EL2 S3_4_C12_C9_1
#define ICH_AP1R2_EL2 S3_4_C12_C9_2
#define ICH_AP1R3_EL2 S3_4_C12_C9_3

#define HCR_VM BIT(0)
#define HCR_SWIO BIT(1)
#define HCR_FMO BIT(3)
#define HCR_IMO BIT(4)
#define HCR_AMO BIT(5)
#define HCR_FB BIT(9)
#define HCR_BSU_IS (1UL << 10)
#define HCR_TWI BIT(13)
#define HCR_TWE BIT(14)
#define HCR_TSC BIT(19)
#define HCR_TID3 BIT(18)
#define HCR_TIDCP BIT(20) /* implementation-defined registers: undefined for guests */
#define HCR_TACR BIT(21) /* ACTLR_EL1: its bits change the CPU for everybody */
#define HCR_TSW BIT(22) /* data cache by set/way: it reaches other domains' lines */
#define HCR_PTW BIT(2) /* a stage-1 walk into Device memory is a stage-2 fault */
#define HCR_RW BIT(31)
#define HCR_GUEST (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | \
		   HCR_TWI | HCR_TWE | HCR_TSC | HCR_TID3 | HCR_TIDCP | HCR_TACR | HCR_TSW | \
		   HCR_RW | HCR_PTW)

#define HCR_IDLE (HCR_RW | HCR_IMO | HCR_FMO | HCR_AMO)

#define SCTLR_EL2_RES1 0x30c50830UL
#define SCTLR_M BIT(0)
#define SCTLR_A BIT(1)
#define SCTLR_C BIT(2)
#define SCTLR_SA BIT(3)
#define SCTLR_I BIT(12)
#define SCTLR_EL1_RESET 0x30d00800UL /* RES1 bits, MMU and caches off */

#define PSR_MODE_EL1H 0x5
#define PSR_NRW BIT(4) /* the interrupted state was AArch32 */
#define PSR_DAIF (0xfUL << 6)

#endif
