/* SPDX-License-Identifier: MIT */
/*
 * The parts of Xen 4.17's guest ABI the hostile guest uses and Domus' public
 * headers (hyp/include/public) leave out: hypercall numbers Domus does not
 * implement, sub-ops, their structures, PSCI and SMCCC function ids, Xen's
 * errno values. Numbers and layouts are Xen's; the text is ours.
 */
#ifndef HOSTILE_XEN_ABI_H
#define HOSTILE_XEN_ABI_H

#include <domus/types.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>
#include <public/xen.h>

/* Xen's errno values (xen/include/public/errno.h): Linux's numbers. */
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define ENXIO 6
#define E2BIG 7
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ENOSPC 28
#define EDOM 33
#define ENOSYS 38
#define EILSEQ 84
#define EOPNOTSUPP 95
#define EACCES 13

/* Hypercall numbers beyond Domus' header. */
#define __HYPERVISOR_xsm_op 27

/* memory_op sub-ops Domus' header lacks. */
#define XENMEMF_populate_on_demand (1U << 16)

/* grant_table_op structures Domus' header lacks. */
struct gnttab_transfer {
	u64 mfn;
	domid_t domid;
	grant_ref_t ref;
	s16 status;
};

struct gnttab_unmap_and_replace {
	u64 host_addr, new_addr;
	grant_handle_t handle;
	s16 status;
};

/* sched_op */
struct sched_shutdown {
	u32 reason;
};

/* vcpu_op sub-ops Domus' header lacks. */
#define VCPUOP_initialise 0
#define VCPUOP_get_runstate_info 4
#define VCPUOP_set_periodic_timer 6
#define VCPUOP_set_singleshot_timer 8

/* The toolstack's interfaces, for a domU only the shape their refusal needs. */
#define XEN_DOMCTL_pausedomain 3
#define XEN_SYSCTL_physinfo 3
struct xen_ctl_head {
	u32 cmd;
	u32 interface_version;
	domid_t domain; /* domctl only */
};

/* Grant-table copy flags and misc. */
#define GNTTABOP_ARG_SHIFT 12

/* PSCI and SMCCC function ids (SMC64 where both exist). */
#define PSCI_VERSION 0x84000000UL
#define PSCI_CPU_SUSPEND 0xc4000001UL
#define PSCI_CPU_OFF 0x84000002UL
#define PSCI_CPU_ON 0xc4000003UL
#define PSCI_AFFINITY_INFO 0xc4000004UL
#define PSCI_MIGRATE_INFO_TYPE 0x84000006UL
#define PSCI_SYSTEM_OFF 0x84000008UL
#define PSCI_SYSTEM_SUSPEND 0xc400000eUL
#define PSCI_FEATURES 0x8400000aUL
#define SMCCC_VERSION 0x80000000UL
#define SMCCC_ARCH_FEATURES 0x80000001UL
#define SMCCC_HYP_CALL_COUNT 0x8600ff00UL
#define SMCCC_HYP_CALL_UID 0x8600ff01UL
#define SMCCC_HYP_REVISION 0x8600ff03UL

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED (-3)
#define PSCI_ALREADY_ON (-4)
#define PSCI_INVALID_ADDRESS (-9)
#define PSCI_AFF_ON 0
#define PSCI_AFF_OFF 1

#endif
