/* SPDX-License-Identifier: MIT */
/* Virtual CPUs: their saved state and their place in the scheduler. */
#ifndef DOMUS_VCPU_H
#define DOMUS_VCPU_H

#include <domus/arch_vcpu.h>
#include <domus/types.h>
#include <public/vcpu.h>

struct domain;
struct vcpu_info;

enum vcpu_state {
	VCPU_OFFLINE, /* down (not started, or PSCI CPU_OFF) and not paused */
	VCPU_RUNNABLE, /* on its run queue */
	VCPU_RUNNING,
	VCPU_BLOCKED, /* WFI: waits for an interrupt or its timer */
	VCPU_PAUSED, /* paused (pause_count), up or down */
};

struct vcpu {
	/* The arch's: registers, system state, vGIC (must stay first: exception vectors use it). */
	struct arch_vcpu arch;
	struct domain *dom;
	vcpuid_t id;
	unsigned int pcpu; /* the pCPU whose run queue holds it */
	enum vcpu_state state;
	bool down; /* PSCI: not started, or CPU_OFF (the guest's say) */
	bool restore_set, restore_up; /* restored from a save file; and it was up then */
	u32 pause_count; /* held by its domain while paused, shut down or dying (Domus' say) */
	struct vcpu *rq_next;
	bool on_rq;
	/* Picked by a pCPU and not yet saved back: its state may be in a CPU's
	 * registers, so no other pCPU may take it (see sched.c). */
	bool on_cpu;
	u64 run_start; /* counter at the last switch-in */
	u64 run_total; /* counter ticks spent running */
	/* Where event-channel upcall state lives (hypervisor VA): in shared_info for
	 * vCPU 0 until the guest registers its own with VCPUOP_register_vcpu_info. */
	struct vcpu_info *vcpu_info;
	bool vcpu_info_registered;
	u64 vcpu_info_gfn; /* where the guest registered it (for save), if it did */
	u32 vcpu_info_offset;
	/* Xen runstate accounting, and where the guest asked to see it (a VA, 0 = nowhere). */
	struct vcpu_runstate_info runstate;
	u64 runstate_entry; /* counter value at the last state change */
	vaddr_t runstate_guest;
	/*
	 * For the debug keys, where a stall shows: blocks asked (WFI, SCHEDOP_block
	 * or poll), those refused because an interrupt was deliverable, and wakes
	 * by its own timer deadline.
	 */
	u64 blocks, blocks_refused, timer_wakes;
	/* The arguments of the hypercall being handled (hypercall.c), NULL between calls. */
	u64 *call_args;
};

#define VCPU_LOG "d%uv%u: "
#define VCPU_ARGS(v) (unsigned int)(v)->dom->id, (unsigned int)(v)->id

#endif
