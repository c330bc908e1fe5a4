/* SPDX-License-Identifier: MIT */
/* VCPUOP_* (vcpu_op) and the runstate area. Xen 4.17's numbers and layouts. */
#ifndef PUBLIC_VCPU_H
#define PUBLIC_VCPU_H

#include <stdint.h>

#define VCPUOP_up 1
#define VCPUOP_down 2
#define VCPUOP_is_up 3
#define VCPUOP_register_runstate_memory_area 5
#define VCPUOP_register_vcpu_info 10

struct vcpu_register_vcpu_info {
	uint64_t mfn; /* a guest frame number */
	uint32_t offset;
	uint32_t rsvd;
};

#define RUNSTATE_running 0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked 2
#define RUNSTATE_offline 3

struct vcpu_runstate_info {
	int32_t state;
	uint32_t pad;
	uint64_t state_entry_time; /* ns; bit 63 set while Domus rewrites the area */
	uint64_t time[4]; /* ns spent in each RUNSTATE_* */
};

#define XEN_RUNSTATE_UPDATE (1ULL << 63)

_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "layout");
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16, "layout");

#endif
