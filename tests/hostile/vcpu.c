/* SPDX-License-Identifier: MIT */
/*
 * vcpu_op on every vCPU id edge (arch/arm/domain.c do_vcpu_op: Arm has only
 * register_vcpu_info and register_runstate_memory_area, everything else is
 * -EINVAL; common/domain.c map_vcpu_info and common_vcpu_op for those two).
 * Runs before the other vCPUs first start: a vcpu_info may be registered for
 * a vCPU that is down, once. The runstate area is a guest virtual address Xen
 * does not check when it is registered.
 */
#include "hostile.h"

#define VCPU __HYPERVISOR_vcpu_op

static long vcpu_op(int cmd, u32 vcpu, void *arg)
{
	return hypercall(VCPU, cmd, vcpu, arg);
}

static long vcpu_info(u32 vcpu, u64 gfn, u32 offset)
{
	static struct vcpu_register_vcpu_info i;

	i.mfn = gfn;
	i.offset = offset;
	i.rsvd = 0;
	return vcpu_op(VCPUOP_register_vcpu_info, vcpu, &i);
}

static long runstate(u32 vcpu, u64 addr)
{
	static u64 area;

	area = addr;
	return vcpu_op(VCPUOP_register_runstate_memory_area, vcpu, &area);
}

static void op_cases(void)
{
	static u64 buf[16];

	check("vcpu_op is_up (Arm has none)", vcpu_op(VCPUOP_is_up, 0, 0), -EINVAL);
	check("vcpu_op up of vCPU 1", vcpu_op(VCPUOP_up, 1, 0), -EINVAL);
	check("vcpu_op down of vCPU 1", vcpu_op(VCPUOP_down, 1, 0), -EINVAL);
	check("vcpu_op initialise of vCPU 1", vcpu_op(VCPUOP_initialise, 1, buf), -EINVAL);
	check("vcpu_op get_runstate_info", vcpu_op(VCPUOP_get_runstate_info, 0, buf), -EINVAL);
	check("vcpu_op set_periodic_timer", vcpu_op(VCPUOP_set_periodic_timer, 0, buf), -EINVAL);
	check("vcpu_op set_singleshot_timer", vcpu_op(VCPUOP_set_singleshot_timer, 0, buf), -EINVAL);
	check("vcpu_op on vCPU nr_vcpus", vcpu_op(VCPUOP_register_vcpu_info, nr_cpus, buf), -ENOENT);
	check("vcpu_op on vCPU 99", vcpu_op(VCPUOP_is_up, 99, 0), -ENOENT);
	check("vcpu_op on vCPU 2^31", vcpu_op(VCPUOP_register_runstate_memory_area, 1U << 31, buf), -ENOENT);
	check("vcpu_op on vCPU ~0", vcpu_op(VCPUOP_register_vcpu_info, ~0U, buf), -ENOENT);
}

static void vcpu_info_cases(void)
{
	u64 host = HOLE_MAP_BASE + 0x40 * PAGE_SIZE;
	u32 h = ~0U;
	s16 st;

	check("register_vcpu_info at offset 4056 (crosses the page)", vcpu_info(0, VICTIM(10) >> 12, 4056),
	      -ENXIO);
	check("register_vcpu_info at offset 4 (misaligned)", vcpu_info(0, VICTIM(10) >> 12, 4), -ENXIO);
	check("register_vcpu_info at offset ~0", vcpu_info(0, VICTIM(10) >> 12, ~0U), -ENXIO);
	check("register_vcpu_info on a frame with no memory", vcpu_info(0, NOWHERE >> 12, 0), -EINVAL);
	check("register_vcpu_info from an unmapped address", vcpu_op(VCPUOP_register_vcpu_info, 0, (void *)BAD_PTR),
	      -EFAULT);
	mem_set((void *)VICTIM(10), 0, PAGE_SIZE);
	check("register_vcpu_info of vCPU 0", vcpu_info(0, VICTIM(10) >> 12, 64), 0);
	check_hex("the new vcpu_info has every event selector pending", rd64(VICTIM(10) + 64 + 8), ~0UL);
	check("register_vcpu_info of vCPU 0 again", vcpu_info(0, VICTIM(11) >> 12, 0), -EINVAL);
	check("register_vcpu_info of vCPU 1 (down) at the page's last 48 bytes",
	      vcpu_info(1, VICTIM(11) >> 12, 4048), 0);
	/* In a page of its own, mapped from its own grant: the page is ours, so it may. */
	grant_own(REF_VCPU_INFO, VICTIM(12) >> 12, 0);
	st = grant_map(REF_VCPU_INFO, env.domid, GNTMAP_host_map, host, &h);
	check("map of its own grant for vCPU 2's vcpu_info", st, GNTST_okay);
	if (nr_cpus > 2)
		check("register_vcpu_info of vCPU 2 in granted memory", vcpu_info(2, host >> 12, 0), 0);
	check("unmap of the grant holding vCPU 2's vcpu_info", grant_unmap(h, host), GNTST_okay);
}

static void runstate_cases(void)
{
	u64 cross = VICTIM(13) + PAGE_SIZE - 20, host = HOLE_MAP_BASE + 0x41 * PAGE_SIZE;
	u32 h = ~0U, state, lo, hi;

	mem_set((void *)VICTIM(13), 0xff, 2 * PAGE_SIZE);
	check("register_runstate_memory_area across a page boundary", runstate(0, cross), 0);
	yield();
	state = rd32(cross);
	lo = rd32(cross + 8);
	hi = rd32(cross + 12);
	checkf("the runstate area across the boundary is kept: running, with a time",
	       state == RUNSTATE_running && (lo || hi) && hi != 0xffffffff, "state 0, entry time set",
	       "state %u, entry time %x%x", state, hi, lo);
	check("register_runstate_memory_area at an address with no memory", runstate(0, NOWHERE), 0);
	check("register_runstate_memory_area of vCPU 1 (down)", runstate(1, VICTIM(14)), 0);
	check("register_runstate_memory_area of vCPU nr_vcpus", runstate(nr_cpus, VICTIM(14)), -ENOENT);
	check("register_runstate_memory_area from an unmapped address",
	      vcpu_op(VCPUOP_register_runstate_memory_area, 0, (void *)BAD_PTR), -EFAULT);
	grant_own(REF_RUNSTATE, VICTIM(15) >> 12, 0);
	check("map of its own grant for a runstate area",
	      grant_map(REF_RUNSTATE, env.domid, GNTMAP_host_map, host, &h), GNTST_okay);
	check("register_runstate_memory_area in granted memory", runstate(0, host + 64), 0);
	yield();
	check("unmap of the grant under the runstate area", grant_unmap(h, host), GNTST_okay);
	yield(); /* the area is now a hole: updates must go nowhere, quietly */
}

u64 cases_vcpu(void)
{
	op_cases();
	vcpu_info_cases();
	runstate_cases();
	return VICTIM(10) >> 12;
}
