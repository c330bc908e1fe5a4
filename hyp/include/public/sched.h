/* SPDX-License-Identifier: MIT */
/* SCHEDOP_* (sched_op), HVM params, vm_assist, console_io and platform_op. Xen 4.17's numbers. */
#ifndef PUBLIC_SCHED_H
#define PUBLIC_SCHED_H

#include <stdint.h>

#include <public/xen.h>

#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define SCHEDOP_poll 3
#define SCHEDOP_remote_shutdown 4
#define SCHEDOP_shutdown_code 5
#define SCHEDOP_watchdog 6 /* struct sched_watchdog */
#define SCHEDOP_pin_override 7 /* the hardware domain's only */

#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot 1
#define SHUTDOWN_suspend 2
#define SHUTDOWN_crash 3
#define SHUTDOWN_watchdog 4
#define SHUTDOWN_soft_reset 5
#define SHUTDOWN_MAX 5

struct sched_poll {
	uint64_t ports; /* guest handle: uint32_t[nr_ports] */
	uint32_t nr_ports;
	uint32_t pad;
	uint64_t timeout; /* absolute system time in ns, 0 = none */
};

struct sched_remote_shutdown {
	domid_t domain_id;
	uint16_t pad;
	uint32_t reason;
};

/* hvm_op */
#define HVMOP_set_param 0
#define HVMOP_get_param 1
#define HVMOP_guest_request_vm_event 24

struct xen_hvm_param {
	domid_t domid;
	uint16_t pad;
	uint32_t index;
	uint64_t value;
};

#define HVM_PARAM_CALLBACK_IRQ 0
#define HVM_PARAM_STORE_PFN 1
#define HVM_PARAM_STORE_EVTCHN 2
#define HVM_PARAM_CONSOLE_PFN 17
#define HVM_PARAM_CONSOLE_EVTCHN 18
#define HVM_PARAM_MONITOR_RING_PFN 28
#define HVM_NR_PARAMS 39

/* vm_assist */
#define VMASST_CMD_enable 0
#define VMASST_CMD_disable 1
#define VMASST_TYPE_runstate_update_flag 5

/* console_io */
#define CONSOLEIO_write 0
#define CONSOLEIO_read 1

/* domctl and sysctl: Xen's toolstack interfaces, which Domus does not offer (domus_ctl.h is its own) */
#define XEN_DOMCTL_INTERFACE_VERSION 0x15
#define XEN_SYSCTL_INTERFACE_VERSION 0x15
#define XEN_DOMCTL_createdomain 1
#define XEN_DOMCTL_getdomaininfo 5
#define XEN_DOMCTL_assign_device 37
#define XEN_DOMCTL_test_assign_device 45
#define XEN_DOMCTL_deassign_device 47
#define XEN_DOMCTL_vm_event_op 56

/* What every domctl starts with; the whole struct is 144 bytes (a sysctl's 136: no domain). */
struct xen_domctl_head {
	uint32_t cmd;
	uint32_t interface_version;
	domid_t domain;
};
#define XEN_DOMCTL_SIZE 144
#define XEN_SYSCTL_SIZE 136

/* platform_op */
#define XENPF_INTERFACE_VERSION 0x03000001
#define XENPF_settime64 62

struct xenpf_settime64 {
	uint64_t secs;
	uint32_t nsecs;
	uint32_t mbz;
	uint64_t system_time;
};

struct xen_platform_op {
	uint32_t cmd;
	uint32_t interface_version;
	union {
		struct xenpf_settime64 settime64;
		uint8_t pad[128];
	} u;
};

_Static_assert(sizeof(struct xen_hvm_param) == 16, "layout");
_Static_assert(sizeof(struct sched_poll) == 24, "layout");
_Static_assert(sizeof(struct xen_platform_op) == 136, "layout");

/*
 * SCHEDOP_watchdog: id 0 sets up a new watchdog that fires after timeout
 * seconds and returns its id (1 or 2); a known id is pushed back by timeout
 * seconds, or stopped by timeout 0. A watchdog that fires shuts the domain
 * down with SHUTDOWN_watchdog.
 */
struct sched_watchdog {
	uint32_t id;
	uint32_t timeout;
};

/* The layouts above, pinned (the rest are pinned beside their structs). */
_Static_assert(sizeof(struct sched_remote_shutdown) == 8, "layout");
_Static_assert(sizeof(struct xen_domctl_head) == 12, "layout");
_Static_assert(sizeof(struct xenpf_settime64) == 24, "layout");
_Static_assert(sizeof(struct sched_watchdog) == 8, "layout");

#endif
