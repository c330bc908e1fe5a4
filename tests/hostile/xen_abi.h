/* SPDX-License-Identifier: MIT */
/*
 * The parts of Xen 4.17's guest ABI the hostile guest uses and Domus' public
 * headers (hyp/include/public) leave out: hypercall numbers Domus does not
 * implement, sub-ops, their structures, PSCI and SMCCC function ids, Xen's
 * errno values. Numbers and layouts are Xen's; the text is ours.
 */
#ifndef HOSTILE_XEN_ABI_H
#define HOSTILE_XEN_ABI_H

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
#define __HYPERVISOR_multicall 13
#define __HYPERVISOR_xsm_op 27
#define __HYPERVISOR_hypfs_op 42

/* multicall_entry on arm64: op, result, six arguments. */
struct multicall_entry {
	u64 op;
	s64 result;
	u64 args[6];
};

/* memory_op sub-ops Domus' header lacks. */
#define XENMEM_maximum_ram_page 2
#define XENMEM_current_reservation 3
#define XENMEM_maximum_reservation 4
#define XENMEM_maximum_gpfn 14
#define XENMEM_exchange 11
#define XENMEM_get_sharing_freed_pages 18
#define XENMEM_get_sharing_shared_pages 19
#define XENMEM_claim_pages 24
#define XENMEM_get_vnumainfo 26
#define XENMEMF_populate_on_demand (1U << 16)

struct xen_memory_domain {
	domid_t domid;
};

struct xen_vnuma_topology_info {
	domid_t domid;
	u16 pad;
	u32 nr_vnodes;
	u32 nr_vcpus;
	u32 nr_vmemranges;
	u64 vdistance, vcpu_to_vnode, vmemrange;
};

/* grant_table_op structures Domus' header lacks. */
struct gnttab_setup_table {
	domid_t dom;
	u32 nr_frames;
	s16 status;
	u64 frame_list;
};

struct gnttab_get_status_frames {
	u32 nr_frames;
	domid_t dom;
	s16 status;
	u64 frame_list;
};

struct gnttab_swap_grant_ref {
	grant_ref_t ref_a, ref_b;
	s16 status;
};

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

/* event_channel_op structures Domus' header lacks. */
struct evtchn_bind_ipi {
	u32 vcpu;
	evtchn_port_t port;
};

struct evtchn_bind_pirq {
	u32 pirq;
	u32 flags;
	evtchn_port_t port;
};

struct evtchn_reset {
	domid_t dom;
};

struct evtchn_init_control {
	u64 control_gfn;
	u32 offset;
	u32 vcpu;
	u8 link_bits; /* out */
	u8 pad[7];
};

struct evtchn_expand_array {
	u64 array_gfn;
};

struct evtchn_set_priority {
	evtchn_port_t port;
	u32 priority;
};

/* sched_op */
#define SCHEDOP_pin_override 7
struct sched_shutdown {
	u32 reason;
};

/* vcpu_op sub-ops Domus' header lacks. */
#define VCPUOP_initialise 0
#define VCPUOP_get_runstate_info 4
#define VCPUOP_set_periodic_timer 6
#define VCPUOP_set_singleshot_timer 8

/* hvm_op */
#define HVMOP_guest_request_vm_event 24
#define HVM_PARAM_MONITOR_RING_PFN 28

/* The toolstack's interfaces, for a domU only the shape their refusal needs. */
#define XEN_DOMCTL_INTERFACE_VERSION 0x15
#define XEN_SYSCTL_INTERFACE_VERSION 0x15
#define XEN_DOMCTL_pausedomain 3
#define XEN_DOMCTL_getdomaininfo 5
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
