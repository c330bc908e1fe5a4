/* SPDX-License-Identifier: MIT */
/*
 * The Xen 4.17 guest ABI on AArch64, as Domus implements it: hypercall numbers,
 * domain ids, the shared_info page and per-vCPU vcpu_info. Numbers and layouts
 * are Xen's (xen/include/public/xen.h, arch-arm.h); the text is Domus' own.
 */
#ifndef PUBLIC_XEN_H
#define PUBLIC_XEN_H

#include <stdint.h>

typedef uint16_t domid_t;

/* HVC immediate that marks a Xen hypercall; the number is in x16. */
#define XEN_HYPERCALL_TAG 0xEA1

#define __HYPERVISOR_platform_op 7
#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_multicall 13
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_grant_table_op 20
#define __HYPERVISOR_vm_assist 21
#define __HYPERVISOR_vcpu_op 24
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_physdev_op 33
#define __HYPERVISOR_hvm_op 34
#define __HYPERVISOR_sysctl 35
#define __HYPERVISOR_domctl 36
#define __HYPERVISOR_dm_op 41
#define __HYPERVISOR_hypfs_op 42
/* Domus' own toolstack interface (Xen leaves 48..55 for arch/out-of-tree use). */
#define __HYPERVISOR_domus_ctl 55

/* One call of a multicall: its number, its result, its arguments (Xen passes the first five). */
struct multicall_entry {
	uint64_t op;
	int64_t result;
	uint64_t args[6];
};

_Static_assert(sizeof(struct multicall_entry) == 64, "layout");

#define DOMID_FIRST_RESERVED 0x7FF0U
#define DOMID_SELF 0x7FF0U
#define DOMID_IO 0x7FF1U
#define DOMID_XEN 0x7FF2U
#define DOMID_COW 0x7FF3U
#define DOMID_INVALID 0x7FF4U

/* Virtual interrupts delivered over event channels. */
#define VIRQ_TIMER 0
#define VIRQ_DEBUG 1
#define VIRQ_CONSOLE 2 /* global: new input on the hypervisor console */
#define VIRQ_DOM_EXC 3 /* global: a domain changed state */
#define VIRQ_TBUF 4
#define VIRQ_DEBUGGER 6
#define VIRQ_XENOPROF 7
#define VIRQ_CON_RING 8
#define VIRQ_PCPU_STATE 9
#define VIRQ_MEM_EVENT 10
#define VIRQ_ARGO 11
#define VIRQ_ENOMEM 12
#define VIRQ_XENPMU 13
#define NR_VIRQS 24

/* Each 64-bit word of the pending/mask arrays covers 64 ports: 4096 in all. */
#define EVTCHN_2L_NR_CHANNELS 4096
#define XEN_LEGACY_MAX_VCPUS 1

struct vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad1[2];
}; /* 32 bytes */

struct arch_vcpu_info {
};

struct vcpu_info {
	uint8_t evtchn_upcall_pending;
	uint8_t evtchn_upcall_mask; /* not used on Arm */
	uint8_t pad[6];
	uint64_t evtchn_pending_sel;
	struct arch_vcpu_info arch;
	struct vcpu_time_info time;
}; /* 48 bytes */

struct arch_shared_info {
};

struct shared_info {
	struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
	uint64_t evtchn_pending[64];
	uint64_t evtchn_mask[64];
	uint32_t wc_version;
	uint32_t wc_sec;
	uint32_t wc_nsec;
	uint32_t wc_sec_hi;
	struct arch_shared_info arch;
};

_Static_assert(sizeof(struct vcpu_info) == 48, "vcpu_info is 48 bytes");
_Static_assert(__builtin_offsetof(struct shared_info, evtchn_pending) == 48, "layout");
_Static_assert(__builtin_offsetof(struct shared_info, evtchn_mask) == 560, "layout");
_Static_assert(__builtin_offsetof(struct shared_info, wc_version) == 1072, "layout");
_Static_assert(sizeof(struct shared_info) == 1088, "shared_info is 1088 bytes");

/*
 * A guest domain's physical layout, as Xen 4.17 gives it on Arm
 * (public/arch-arm.h): the toolstack builds its device tree from these.
 */
#define GUEST_GICV3_GICD_BASE 0x03001000ULL
#define GUEST_GICV3_GICD_SIZE 0x00010000ULL
#define GUEST_GICV3_RDIST_STRIDE 0x20000ULL
#define GUEST_GICV3_GICR0_BASE 0x03020000ULL
#define GUEST_GICV3_GICR0_SIZE 0x01000000ULL /* 128 vCPUs */
#define GUEST_GNTTAB_BASE 0x38000000ULL
#define GUEST_GNTTAB_SIZE 0x01000000ULL
#define GUEST_MAGIC_BASE 0x39000000ULL
#define GUEST_MAGIC_SIZE 0x01000000ULL
#define GUEST_RAM0_BASE 0x40000000ULL
#define GUEST_RAM0_SIZE 0xc0000000ULL
#define GUEST_RAM1_BASE 0x0200000000ULL
#define GUEST_RAM1_SIZE 0xfe00000000ULL
#define GUEST_EVTCHN_PPI 31
/* The emulated SBSA UART a guest may ask for (Xen's vpl011). */
#define GUEST_PL011_BASE 0x22000000ULL
#define GUEST_PL011_SIZE 0x00001000ULL
#define GUEST_VPL011_SPI 32
#define GUEST_TIMER_VIRT_PPI 27
#define GUEST_TIMER_PHYS_S_PPI 29
#define GUEST_TIMER_PHYS_NS_PPI 30
/* Pages the toolstack puts in the magic region, by offset (libxl's order). */
#define GUEST_CONSOLE_PFN_OFFSET 0
#define GUEST_XENSTORE_PFN_OFFSET 1

/* The layouts above, pinned (the rest are pinned beside their structs). */
_Static_assert(sizeof(struct vcpu_time_info) == 32, "layout");
_Static_assert(sizeof(struct arch_vcpu_info) == 0, "layout");
_Static_assert(sizeof(struct arch_shared_info) == 0, "layout");

#endif
