/* SPDX-License-Identifier: MIT */
/* PSCI numbers: Domus calls the firmware's and serves its own to guests (hyp/arch/arm64/vpsci.c). */
#ifndef ARM64_PSCI_H
#define ARM64_PSCI_H

#include <domus/types.h>

struct vcpu;

#define PSCI_VERSION 0x84000000
#define VPSCI_VERSION 0x10001 /* what guests get: PSCI 1.1 */
#define PSCI_CPU_SUSPEND_32 0x84000001
#define PSCI_CPU_SUSPEND_64 0xc4000001
#define PSCI_CPU_OFF 0x84000002
#define PSCI_CPU_ON_32 0x84000003
#define PSCI_CPU_ON_64 0xc4000003
#define PSCI_AFFINITY_INFO_32 0x84000004
#define PSCI_AFFINITY_INFO_64 0xc4000004
#define PSCI_MIGRATE_INFO_TYPE 0x84000006
#define PSCI_SYSTEM_OFF 0x84000008
#define PSCI_SYSTEM_RESET 0x84000009
#define PSCI_FEATURES 0x8400000a
#define SMCCC_VERSION 0x80000000
#define SMCCC_ARCH_FEATURES 0x80000001
/* The hypervisor service (owner 6) queries Xen answers, as Linux's SMCCC probing asks. */
#define SMCCC_HYP_CALL_COUNT 0x8600ff00
#define SMCCC_HYP_CALL_UID 0x8600ff01
#define SMCCC_HYP_REVISION 0x8600ff03

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED -1
#define PSCI_INVALID_PARAMETERS -2
#define PSCI_ALREADY_ON -4
#define PSCI_ON_PENDING -5
#define PSCI_INVALID_ADDRESS -9


#endif
