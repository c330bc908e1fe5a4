/* SPDX-License-Identifier: MIT */
/*
 * Hostile hypercalls: each case issues one hypercall through privcmd with an
 * argument a guest should never be trusted with (an out-of-range port, grant
 * reference, frame, vCPU or domain; a huge count; an unmapped pointer; a
 * command that does not exist) and names the result Xen's interface requires.
 * Surviving is part of the check: the program keeps running, so dom0 did, and
 * the test after it asks Domus for its log.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <public/domus_ctl.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>
#include <public/xen.h>

#include "hostile.h"
#include "libdomus.h"

/* Argument markers, replaced when the case runs. */
#define BUF 0xb0f0b0f0b0f0ULL /* a page of ours, holding the case's struct */
#define BAD 0xdead0000ULL /* an address nothing is mapped at */
#define NONE_CHECK (-1)
#define BUF_SIZE (4 * 4096)

struct hcase {
	const char *name;
	uint64_t op;
	uint64_t a[5];
	const void *arg; /* copied to BUF first */
	size_t arg_size;
	long expect;
	/* Optionally, a signed 16- or 32-bit field of BUF that must read 'want' afterwards. */
	int field_off;
	int field_size;
	long want;
};

#define C(n, o, a0, a1, a2, e) { .name = n, .op = o, .a = { a0, a1, a2 }, .expect = e, .field_off = NONE_CHECK }
#define S(n, o, a0, a2, T, e, ...) \
	{ .name = n, .op = o, .a = { a0, BUF, a2 }, .arg = &(T){ __VA_ARGS__ }, .arg_size = sizeof(T), \
	  .expect = e, .field_off = NONE_CHECK }
/* vcpu_op: (cmd, vcpu id, pointer to the struct). */
#define V(n, cmd, vcpu, T, e, ...) \
	{ .name = n, .op = __HYPERVISOR_vcpu_op, .a = { cmd, vcpu, BUF }, .arg = &(T){ __VA_ARGS__ }, \
	  .arg_size = sizeof(T), .expect = e, .field_off = NONE_CHECK }
/* A struct case whose per-element status field must read 'st' (grant ops). */
#define G(n, cmd, T, st, ...) \
	{ .name = n, .op = __HYPERVISOR_grant_table_op, .a = { cmd, BUF, 1 }, .arg = &(T){ __VA_ARGS__ }, \
	  .arg_size = sizeof(T), .expect = 0, .field_off = offsetof(T, status), .field_size = 2, .want = st }

#define EV __HYPERVISOR_event_channel_op
#define MEM __HYPERVISOR_memory_op
#define VER __HYPERVISOR_xen_version
#define VCPU __HYPERVISOR_vcpu_op
#define SCHED __HYPERVISOR_sched_op
#define HVM __HYPERVISOR_hvm_op
#define CTL __HYPERVISOR_domus_ctl
#define NOBODY 0x1234 /* a domain id nobody has */

static const struct hcase cases[] = {
	/* Unknown numbers and sub-ops */
	C("unknown hypercall 9999", 9999, 0, 0, 0, -ENOSYS),
	C("unknown hypercall ~0", ~0ULL, 0, 0, 0, -ENOSYS),
	C("domctl (not Domus' toolstack ABI)", __HYPERVISOR_domctl, BUF, 0, 0, -ENOSYS),
	C("sysctl", __HYPERVISOR_sysctl, BUF, 0, 0, -ENOSYS),
	C("physdev_op pci_device_add", __HYPERVISOR_physdev_op, 25, BUF, 0, -ENOSYS),
	C("xen_version sub-op 99", VER, 99, BUF, 0, -ENOSYS),
	C("memory_op sub-op 63", MEM, 63, BUF, 0, -ENOSYS),
	/* Xen on Arm has only register_vcpu_info and register_runstate (arch/arm/domain.c). */
	C("vcpu_op sub-op 99", VCPU, 99, 0, BUF, -EINVAL),
	C("sched_op sub-op 99", SCHED, 99, BUF, 0, -ENOSYS),
	C("hvm_op sub-op 99", HVM, 99, BUF, 0, -ENOSYS),
	C("console_io sub-op 99", __HYPERVISOR_console_io, 99, 0, BUF, -ENOSYS),
	C("event_channel_op sub-op 99", EV, 99, BUF, 0, -ENOSYS),
	C("grant_table_op sub-op 99", __HYPERVISOR_grant_table_op, 99, BUF, 1, -ENOSYS),
	C("vm_assist command 7", __HYPERVISOR_vm_assist, 7, VMASST_TYPE_runstate_update_flag, 0, -ENOSYS),
	C("vm_assist type 99", __HYPERVISOR_vm_assist, VMASST_CMD_enable, 99, 0, -EINVAL),
	/* Pointers that point nowhere */
	C("xen_version extraversion to NULL", VER, XENVER_extraversion, 0, 0, -EFAULT),
	C("xen_version compile_info to unmapped", VER, XENVER_compile_info, BAD, 0, -EFAULT),
	C("xen_version get_features from unmapped", VER, XENVER_get_features, BAD, 0, -EFAULT),
	C("xen_version capabilities across into unmapped", VER, XENVER_capabilities, BAD - 512, 0, -EFAULT),
	C("memory_op add_to_physmap from NULL", MEM, XENMEM_add_to_physmap, 0, 0, -EFAULT),
	/* A reservation op refused as a whole is a count, 0 (common/memory.c), not an error. */
	C("memory_op decrease_reservation from unmapped: none done", MEM, XENMEM_decrease_reservation, BAD, 0, 0),
	C("vcpu_op register_vcpu_info from unmapped", VCPU, VCPUOP_register_vcpu_info, 0, BAD, -EFAULT),
	C("sched_op shutdown reason from NULL", SCHED, SCHEDOP_shutdown, 0, 0, -EFAULT),
	C("hvm_op get_param from unmapped", HVM, HVMOP_get_param, BAD, 0, -EFAULT),
	C("console_io write from NULL", __HYPERVISOR_console_io, CONSOLEIO_write, 16, 0, -EFAULT),
	C("console_io write 2 GiB", __HYPERVISOR_console_io, CONSOLEIO_write, 1ULL << 31, BUF, -EINVAL),
	C("platform_op from NULL", __HYPERVISOR_platform_op, 0, 0, 0, -EFAULT),
	C("event_channel_op send from NULL", EV, EVTCHNOP_send, 0, 0, -EFAULT),
	C("grant_table_op map from unmapped", __HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, BAD, 1, -EFAULT),
	C("grant_table_op copy, 1000 elements from NULL", __HYPERVISOR_grant_table_op, GNTTABOP_copy, 0, 1000, -EFAULT),
	C("grant_table_op copy, 2^31 elements (count must fit an int)", __HYPERVISOR_grant_table_op, GNTTABOP_copy, BUF, 1U << 31, -EINVAL),
	C("grant_table_op query_size with count 2", __HYPERVISOR_grant_table_op, GNTTABOP_query_size, BUF, 2, -EINVAL),
	C("domus_ctl from unmapped", CTL, BAD, 0, 0, -EFAULT),
	/* memory_op */
	S("add_to_physmap for a domain nobody has", MEM, XENMEM_add_to_physmap, 0, struct xen_add_to_physmap,
	  -ESRCH, .domid = NOBODY, .space = XENMAPSPACE_shared_info),
	/* Unknown spaces (arch/arm/mm.c xenmem_add_to_physmap_one). */
	S("add_to_physmap space 99", MEM, XENMEM_add_to_physmap, 0, struct xen_add_to_physmap, -ENOSYS,
	  .domid = DOMID_SELF, .space = 99),
	S("add_to_physmap shared_info idx 1", MEM, XENMEM_add_to_physmap, 0, struct xen_add_to_physmap, -EINVAL,
	  .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 1, .gpfn = 0x100000),
	S("add_to_physmap grant frame 64 (max is 63)", MEM, XENMEM_add_to_physmap, 0, struct xen_add_to_physmap,
	  -EINVAL, .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .idx = 64, .gpfn = 0x100000),
	S("add_to_physmap grant status frame (v1 has none)", MEM, XENMEM_add_to_physmap, 0,
	  struct xen_add_to_physmap, -EINVAL, .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
	  .idx = XENMAPIDX_grant_table_status, .gpfn = 0x100000),
	S("add_to_physmap shared_info at gfn ~0", MEM, XENMEM_add_to_physmap, 0, struct xen_add_to_physmap,
	  -EINVAL, .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = ~0ULL),
	/* Dom0's shared_info is mapped already: it must be removed first (arch/arm/mm.c), wherever to. */
	S("add_to_physmap shared_info at gfn 2^52 (mapped already)", MEM, XENMEM_add_to_physmap, 0,
	  struct xen_add_to_physmap, -EBUSY, .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
	  .gpfn = 1ULL << 52),
	/* Each entry says what was wrong with it (common/memory.c): none, none wrong. */
	S("add_to_physmap_batch space gmfn of no entries", MEM, XENMEM_add_to_physmap_batch, 0,
	  struct xen_add_to_physmap_batch, 0, .domid = DOMID_SELF, .space = XENMAPSPACE_gmfn),
	S("add_to_physmap_batch space gmfn_range", MEM, XENMEM_add_to_physmap_batch, 0,
	  struct xen_add_to_physmap_batch, -EOPNOTSUPP, .domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_range),
	S("add_to_physmap_batch 65535 foreign frames from NULL lists", MEM, XENMEM_add_to_physmap_batch, 0,
	  struct xen_add_to_physmap_batch, -EFAULT, .domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign,
	  .size = 65535, .foreign_domid = 0),
	S("remove_from_physmap of a hole", MEM, XENMEM_remove_from_physmap, 0, struct xen_remove_from_physmap,
	  -ENOENT, .domid = DOMID_SELF, .gpfn = 0x10),
	S("remove_from_physmap gfn ~0", MEM, XENMEM_remove_from_physmap, 0, struct xen_remove_from_physmap,
	  -ENOENT, .domid = DOMID_SELF, .gpfn = ~0ULL),
	S("remove_from_physmap for a domain nobody has", MEM, XENMEM_remove_from_physmap, 0,
	  struct xen_remove_from_physmap, -ESRCH, .domid = NOBODY, .gpfn = 0x40000),
	/* Reservations never fail as a whole (common/memory.c): a refusal is 0 extents done. */
	S("decrease_reservation order 19 (dom0's limit is 18): none done", MEM, XENMEM_decrease_reservation, 0,
	  struct xen_memory_reservation, 0, .extent_start = BAD, .nr_extents = 1, .extent_order = 19,
	  .domid = DOMID_SELF),
	S("decrease_reservation with mem_flags: none done", MEM, XENMEM_decrease_reservation, 0,
	  struct xen_memory_reservation, 0, .extent_start = BAD, .nr_extents = 1, .mem_flags = 1,
	  .domid = DOMID_SELF),
	S("decrease_reservation 2^40 extents from unmapped list: none done", MEM, XENMEM_decrease_reservation,
	  0, struct xen_memory_reservation, 0, .extent_start = BAD, .nr_extents = 1ULL << 40,
	  .domid = DOMID_SELF),
	S("populate_physmap for a domain nobody has: none done", MEM, XENMEM_populate_physmap, 0,
	  struct xen_memory_reservation, 0, .extent_start = BAD, .nr_extents = 1, .domid = NOBODY),
	/* vcpu_op */
	C("vcpu_op is_up vCPU 99", VCPU, VCPUOP_is_up, 99, 0, -ENOENT),
	C("vcpu_op is_up vCPU ~0", VCPU, VCPUOP_is_up, ~0ULL, 0, -ENOENT),
	C("vcpu_op is_up vCPU 0 (not on Arm)", VCPU, VCPUOP_is_up, 0, 0, -EINVAL),
	/* common/domain.c map_vcpu_info: where in the page is checked first, -ENXIO. */
	V("register_vcpu_info offset 4090 (crosses the page)", VCPUOP_register_vcpu_info, 0,
	  struct vcpu_register_vcpu_info, -ENXIO, .mfn = 0x40000, .offset = 4090),
	V("register_vcpu_info offset 3 (misaligned)", VCPUOP_register_vcpu_info, 0,
	  struct vcpu_register_vcpu_info, -ENXIO, .mfn = 0x40000, .offset = 3),
	V("register_vcpu_info a second time", VCPUOP_register_vcpu_info, 0,
	  struct vcpu_register_vcpu_info, -EINVAL, .mfn = 0x40000, .offset = 0),
	V("register_vcpu_info for a running vCPU other than the caller", VCPUOP_register_vcpu_info, 1,
	  struct vcpu_register_vcpu_info, -EINVAL, .mfn = 0x10, .offset = 0),
	V("register_vcpu_info for vCPU 4096", VCPUOP_register_vcpu_info, 4096,
	  struct vcpu_register_vcpu_info, -ENOENT, .mfn = 0x10, .offset = 0),
	/* (Any address is taken, for any vCPU, as Xen's: so only ones that change nothing here.) */
	V("register_runstate_memory_area for vCPU 4096", VCPUOP_register_runstate_memory_area, 4096,
	  uint64_t, -ENOENT, 0x1000),
	C("register_runstate_memory_area from unmapped", VCPU, VCPUOP_register_runstate_memory_area, 0, BAD,
	  -EFAULT),
	C("vcpu_op down another vCPU", VCPU, VCPUOP_down, 1, 0, -EINVAL),
	/* sched_op */
	S("sched_op shutdown reason 99", SCHED, SCHEDOP_shutdown, 0, uint32_t, -EINVAL, 99),
	S("sched_op poll 2^30 ports", SCHED, SCHEDOP_poll, 0, struct sched_poll, -EINVAL,
	  .ports = BAD, .nr_ports = 1U << 30),
	S("sched_op remote_shutdown of nobody", SCHED, SCHEDOP_remote_shutdown, 0,
	  struct sched_remote_shutdown, -ESRCH, .domain_id = NOBODY, .reason = 0),
	S("sched_op remote_shutdown reason 77", SCHED, SCHEDOP_remote_shutdown, 0,
	  struct sched_remote_shutdown, -EINVAL, .domain_id = 0, .reason = 77),
	C("sched_op yield", SCHED, SCHEDOP_yield, 0, 0, 0),
	/* hvm_op */
	S("get_param index 39 (one past the last)", HVM, HVMOP_get_param, 0, struct xen_hvm_param, -EINVAL,
	  .domid = DOMID_SELF, .index = HVM_NR_PARAMS),
	S("get_param index ~0", HVM, HVMOP_get_param, 0, struct xen_hvm_param, -EINVAL,
	  .domid = DOMID_SELF, .index = ~0U),
	S("get_param of nobody", HVM, HVMOP_get_param, 0, struct xen_hvm_param, -ESRCH, .domid = NOBODY,
	  .index = HVM_PARAM_STORE_PFN),
	S("get_param of DOMID_XEN", HVM, HVMOP_get_param, 0, struct xen_hvm_param, -ESRCH, .domid = DOMID_XEN,
	  .index = HVM_PARAM_STORE_PFN),
	/* platform_op */
	S("platform_op with another interface version", __HYPERVISOR_platform_op, BUF, 0,
	  struct xen_platform_op, -EACCES, .cmd = XENPF_settime64, .interface_version = 0x03000000),
	S("platform_op cmd 999", __HYPERVISOR_platform_op, BUF, 0, struct xen_platform_op, -ENOSYS,
	  .cmd = 999, .interface_version = XENPF_INTERFACE_VERSION),
	S("platform_op settime64 with 2e9 ns", __HYPERVISOR_platform_op, BUF, 0, struct xen_platform_op,
	  -EINVAL, .cmd = XENPF_settime64, .interface_version = XENPF_INTERFACE_VERSION,
	  .u.settime64 = { .secs = 1, .nsecs = 2000000000U }),
	/* event_channel_op */
	S("evtchn send port 0", EV, EVTCHNOP_send, 0, struct evtchn_send, -EINVAL, .port = 0),
	S("evtchn send port 4096", EV, EVTCHNOP_send, 0, struct evtchn_send, -EINVAL, .port = 4096),
	S("evtchn send port ~0", EV, EVTCHNOP_send, 0, struct evtchn_send, -EINVAL, .port = ~0U),
	S("evtchn send port 4095 (not bound)", EV, EVTCHNOP_send, 0, struct evtchn_send, -EINVAL, .port = 4095),
	S("evtchn close port 4096", EV, EVTCHNOP_close, 0, struct evtchn_close, -EINVAL, .port = 4096),
	S("evtchn unmask port 1000000", EV, EVTCHNOP_unmask, 0, struct evtchn_unmask, -EINVAL, .port = 1000000),
	S("evtchn bind_vcpu port 4096", EV, EVTCHNOP_bind_vcpu, 0, struct evtchn_bind_vcpu, -EINVAL,
	  .port = 4096, .vcpu = 0),
	S("evtchn status port 70000", EV, EVTCHNOP_status, 0, struct evtchn_status, -EINVAL,
	  .dom = DOMID_SELF, .port = 70000),
	S("evtchn status of nobody's port", EV, EVTCHNOP_status, 0, struct evtchn_status, -ESRCH,
	  .dom = NOBODY, .port = 1),
	S("evtchn bind_virq 24 (one past the last)", EV, EVTCHNOP_bind_virq, 0, struct evtchn_bind_virq,
	  -EINVAL, .virq = NR_VIRQS, .vcpu = 0),
	S("evtchn bind_virq VIRQ_CONSOLE again (hvc0 holds it)", EV, EVTCHNOP_bind_virq, 0,
	  struct evtchn_bind_virq, -EEXIST, .virq = VIRQ_CONSOLE, .vcpu = 0),
	S("evtchn bind_virq global VIRQ on vCPU 1", EV, EVTCHNOP_bind_virq, 0, struct evtchn_bind_virq,
	  -EINVAL, .virq = VIRQ_DOM_EXC, .vcpu = 1),
	S("evtchn bind_virq on vCPU 999", EV, EVTCHNOP_bind_virq, 0, struct evtchn_bind_virq, -ENOENT,
	  .virq = VIRQ_TIMER, .vcpu = 999),
	S("evtchn alloc_unbound in a domain nobody has", EV, EVTCHNOP_alloc_unbound, 0,
	  struct evtchn_alloc_unbound, -ESRCH, .dom = NOBODY, .remote_dom = DOMID_SELF),
	S("evtchn bind_interdomain to nobody", EV, EVTCHNOP_bind_interdomain, 0,
	  struct evtchn_bind_interdomain, -ESRCH, .remote_dom = NOBODY, .remote_port = 1),
	S("evtchn bind_interdomain to a port that is not unbound", EV, EVTCHNOP_bind_interdomain, 0,
	  struct evtchn_bind_interdomain, -EINVAL, .remote_dom = DOMID_SELF, .remote_port = 4095),
	S("evtchn bind_interdomain to port 0", EV, EVTCHNOP_bind_interdomain, 0,
	  struct evtchn_bind_interdomain, -EINVAL, .remote_dom = DOMID_SELF, .remote_port = 0),
	/* FIFO is not offered, but its checks come first (common/event_fifo.c): gfn 0 has no memory. */
	C("evtchn init_control at gfn 0", EV, EVTCHNOP_init_control, BUF, 0, -EINVAL),
	/* grant_table_op: per-element errors come back in status */
	G("gnttab query_size of nobody", GNTTABOP_query_size, struct gnttab_query_size, GNTST_bad_domain,
	  .dom = NOBODY),
	/* (A map names its granter by id only, as Xen's: dom0's own is 0.) */
	G("gnttab map ref ~0", GNTTABOP_map_grant_ref, struct gnttab_map_grant_ref, GNTST_bad_gntref,
	  .host_addr = 0x40000000, .flags = GNTMAP_host_map, .ref = ~0U, .dom = 0),
	G("gnttab map ref 32768 (past the largest table)", GNTTABOP_map_grant_ref, struct gnttab_map_grant_ref,
	  GNTST_bad_gntref, .host_addr = 0x40000000, .flags = GNTMAP_host_map, .ref = 32768, .dom = 0),
	G("gnttab map from DOMID_SELF", GNTTABOP_map_grant_ref, struct gnttab_map_grant_ref, GNTST_bad_domain,
	  .host_addr = 0x40000000, .flags = GNTMAP_host_map, .ref = 8, .dom = DOMID_SELF),
	G("gnttab map from nobody", GNTTABOP_map_grant_ref, struct gnttab_map_grant_ref, GNTST_bad_domain,
	  .host_addr = 0x40000000, .flags = GNTMAP_host_map, .ref = 8, .dom = NOBODY),
	G("gnttab map with device_map only", GNTTABOP_map_grant_ref, struct gnttab_map_grant_ref,
	  GNTST_general_error, .host_addr = 0x40000000, .flags = GNTMAP_device_map, .ref = 8, .dom = DOMID_SELF),
	G("gnttab map with contains_pte", GNTTABOP_map_grant_ref, struct gnttab_map_grant_ref,
	  GNTST_general_error, .host_addr = 0x40000000, .flags = GNTMAP_host_map | GNTMAP_contains_pte,
	  .ref = 8, .dom = DOMID_SELF),
	G("gnttab unmap handle ~0", GNTTABOP_unmap_grant_ref, struct gnttab_unmap_grant_ref, GNTST_bad_handle,
	  .host_addr = 0x40000000, .handle = ~0U),
	{ .name = "gnttab unmap 300 never-mapped handles (resumes after each batch)",
	  .op = __HYPERVISOR_grant_table_op, .a = { GNTTABOP_unmap_grant_ref, BUF, 300 },
	  .expect = 0, .field_off = 299 * sizeof(struct gnttab_unmap_grant_ref) +
				    offsetof(struct gnttab_unmap_grant_ref, status),
	  .field_size = 2, .want = GNTST_bad_handle },
	G("gnttab unmap handle 0 (never mapped)", GNTTABOP_unmap_grant_ref, struct gnttab_unmap_grant_ref,
	  GNTST_bad_handle, .host_addr = 0x40000000, .handle = 0),
	G("gnttab copy offset 4095 + 2 bytes", GNTTABOP_copy, struct gnttab_copy, GNTST_bad_copy_arg,
	  .source = { .u.gmfn = 0x40000, .domid = DOMID_SELF, .offset = 4095 },
	  .dest = { .u.gmfn = 0x40001, .domid = DOMID_SELF }, .len = 2),
	G("gnttab copy from grant ref ~0", GNTTABOP_copy, struct gnttab_copy, GNTST_bad_gntref,
	  .source = { .u.ref = ~0U, .domid = DOMID_SELF }, .dest = { .u.gmfn = 0x40001, .domid = DOMID_SELF },
	  .len = 8, .flags = GNTCOPY_source_gref),
	G("gnttab copy by frame number from another domain's memory", GNTTABOP_copy, struct gnttab_copy,
	  GNTST_permission_denied, .source = { .u.gmfn = 0x40000, .domid = NOBODY },
	  .dest = { .u.gmfn = 0x40001, .domid = NOBODY }, .len = 8),
	S("gnttab set_version 2 (Xen on Arm offers only 1)", __HYPERVISOR_grant_table_op, GNTTABOP_set_version, 1,
	  struct gnttab_set_version, -ENOSYS, .version = 2),
	S("gnttab set_version 3", __HYPERVISOR_grant_table_op, GNTTABOP_set_version, 1,
	  struct gnttab_set_version, -EINVAL, .version = 3),
	/* domus_ctl */
	S("domus_ctl version 999", CTL, BUF, 0, struct domus_ctl, -EACCES, .version = 999,
	  .cmd = DOMUS_CTL_getdomaininfo),
	S("domus_ctl cmd 99", CTL, BUF, 0, struct domus_ctl, -ENOSYS, .version = DOMUS_CTL_VERSION, .cmd = 99),
	S("domus_ctl pause dom0 itself", CTL, BUF, 0, struct domus_ctl, -EINVAL, .version = DOMUS_CTL_VERSION,
	  .cmd = DOMUS_CTL_pausedomain, .domid = 0),
	S("domus_ctl pause nobody", CTL, BUF, 0, struct domus_ctl, -ESRCH, .version = DOMUS_CTL_VERSION,
	  .cmd = DOMUS_CTL_pausedomain, .domid = NOBODY),
	S("domus_ctl getvcpuinfo vCPU 99", CTL, BUF, 0, struct domus_ctl, -ENOENT,
	  .version = DOMUS_CTL_VERSION, .cmd = DOMUS_CTL_getvcpuinfo, .domid = 0, .u.vcpuinfo.vcpu = 99),
	S("domus_ctl readconsole into unmapped", CTL, BUF, 0, struct domus_ctl, -EFAULT,
	  .version = DOMUS_CTL_VERSION, .cmd = DOMUS_CTL_readconsole,
	  .u.readconsole = { .buffer = BAD, .size = 4096 }),
};

static int run_table(const char *title, const struct hcase *table, unsigned int n);

static uint64_t resolve(uint64_t a, void *buf)
{
	return a == BUF ? (uint64_t)(uintptr_t)buf : a;
}

int hostile_run(void)
{
	return run_table("hostile", cases, sizeof(cases) / sizeof(cases[0]));
}

static int run_table(const char *title, const struct hcase *cases, unsigned int n)
{
	void *buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int failed = 0;
	cpu_set_t cpu0;

	if (buf == MAP_FAILED || domus_open())
		return 1;
	/* "Another vCPU" must not be the one we run on. */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);
	/* BAD must really be unmapped here. */
	munmap((void *)(uintptr_t)(BAD - 4096), 3 * 4096);
	for (unsigned int i = 0; i < n; i++) {
		const struct hcase *c = &cases[i];
		long rc, field = 0;
		int ok;

		memset(buf, 0, BUF_SIZE);
		if (c->arg)
			memcpy(buf, c->arg, c->arg_size);
		rc = domus_hypercall(c->op, resolve(c->a[0], buf), resolve(c->a[1], buf),
				     resolve(c->a[2], buf), 0, 0);
		ok = rc == c->expect;
		if (c->field_off != NONE_CHECK) {
			field = c->field_size == 2 ? *(int16_t *)((char *)buf + c->field_off)
						   : *(int32_t *)((char *)buf + c->field_off);
			ok &= field == c->want;
		}
		if (c->field_off != NONE_CHECK)
			printf("%-4s %3u %-62s rc %ld status %ld (want %ld, %ld)\n", ok ? "ok" : "FAIL", i + 1,
			       c->name, rc, field, c->expect, c->want);
		else
			printf("%-4s %3u %-62s rc %ld (want %ld)\n", ok ? "ok" : "FAIL", i + 1, c->name, rc,
			       c->expect);
		failed += !ok;
	}
	printf("%s: %u cases, %u failed\n", title, n, failed);
	return failed != 0;
}
