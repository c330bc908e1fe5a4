/* SPDX-License-Identifier: MIT */
/*
 * Domus' own toolstack interface: hypercall __HYPERVISOR_domus_ctl (55), one
 * argument, a pointer to struct domus_ctl. Privileged callers only. Xen's
 * domctl/sysctl are not a stable ABI; this one is versioned: a caller names
 * the version it was built for and gets -EACCES if Domus speaks another.
 * Shared by the hypervisor and the dom0 tools (tools/).
 */
#ifndef PUBLIC_DOMUS_CTL_H
#define PUBLIC_DOMUS_CTL_H

#include <stdint.h>

#define DOMUS_CTL_VERSION 1

#define DOMUS_CTL_getdomaininfo 1 /* the first domain with id >= domid */
#define DOMUS_CTL_getvcpuinfo 2
#define DOMUS_CTL_pausedomain 3
#define DOMUS_CTL_unpausedomain 4
#define DOMUS_CTL_readconsole 5
#define DOMUS_CTL_createdomain 6 /* out: domid; the domain is paused, building */
#define DOMUS_CTL_destroydomain 7
#define DOMUS_CTL_setvcpucontext 8 /* only while building */
#define DOMUS_CTL_physinfo 9
#define DOMUS_CTL_seedgrant 10 /* one of the reserved refs, while building */
#define DOMUS_CTL_vuart 11 /* dom0's end of a guest's emulated UART */
/* Save and restore (docs/SAVE-RESTORE.md): */
#define DOMUS_CTL_getvcpustate 12 /* of a paused domain, or one shut down for suspend */
#define DOMUS_CTL_setvcpustate 13 /* only while building */
#define DOMUS_CTL_getdomainstate 14 /* as getvcpustate */
#define DOMUS_CTL_setdomainstate 15 /* only while building */
#define DOMUS_CTL_resumedomain 16 /* shut down for suspend: runs on, its call returning 1 */
#define DOMUS_CTL_readpages 17 /* copies of a stopped domain's RAM frames, for save */
#define DOMUS_CTL_writepages 18 /* into a building domain's RAM frames, for restore */
#define DOMUS_CTL_logdirty 19 /* dirty-page logging of a running domain, for live migration */
#define DOMUS_CTL_sharepages 20 /* a stopped domain's RAM into its clone, copy-on-write */
#define DOMUS_CTL_getports 21 /* a stopped domain's event channels, as they are */
#define DOMUS_CTL_setports 22 /* into a building domain, at the same numbers */
#define DOMUS_CTL_getgrantframe 23 /* a frame of a stopped domain's grant table; its use */
#define DOMUS_CTL_setgrantframe 24 /* into a building domain, at the same gfn */

#define DOMUS_DOMAIN_BUILDING 0
#define DOMUS_DOMAIN_RUNNING 1
#define DOMUS_DOMAIN_PAUSED 2
#define DOMUS_DOMAIN_SHUTDOWN 3
#define DOMUS_DOMAIN_DYING 4

#define DOMUS_VCPU_OFFLINE 0
#define DOMUS_VCPU_RUNNABLE 1
#define DOMUS_VCPU_RUNNING 2
#define DOMUS_VCPU_BLOCKED 3
#define DOMUS_VCPU_PAUSED 4

#define DOMUS_DOMINFO_PRIVILEGED (1U << 0)
#define DOMUS_DOMINFO_LOG_DIRTY (1U << 1) /* its writes are logged (a migration's logdirty) */

struct domus_ctl_domaininfo {
	uint32_t state;
	uint32_t shutdown_reason;
	uint32_t nr_vcpus;
	uint32_t flags; /* DOMUS_DOMINFO_* */
	uint64_t mem_pages;
	uint64_t cpu_time_ns; /* all vCPUs */
	char name[32];
	uint64_t p2m_table_pages; /* hypervisor pages its stage-2 tables take */
	uint64_t maptrack_pages; /* hypervisor pages recording the grants it maps */
	uint64_t shared_pages; /* of mem_pages, shared copy-on-write with a clone or its parent */
};

struct domus_ctl_vcpuinfo {
	uint32_t vcpu; /* in */
	uint32_t state;
	uint32_t pcpu;
	uint32_t pad;
	uint64_t cpu_time_ns;
};

struct domus_ctl_readconsole {
	uint64_t buffer; /* pointer to size bytes */
	uint32_t size;
	uint32_t count; /* out: bytes written */
	uint64_t index; /* in: log position to start at; out: where to continue */
};

/* createdomain's flags */
#define DOMUS_CTL_CDF_VPL011 (1U << 0) /* an emulated SBSA UART (xl's vuart = "sbsa_uart") */

struct domus_ctl_createdomain {
	uint32_t nr_vcpus;
	uint32_t flags; /* DOMUS_CTL_CDF_*; others are refused */
	uint64_t max_mem_kib;
	char name[32];
};

struct domus_ctl_physinfo {
	uint32_t nr_cpus;
	uint32_t nr_domains;
	uint64_t total_pages; /* RAM Domus manages */
	uint64_t free_pages; /* not given to any domain or to Domus itself */
};

struct domus_ctl_vcpucontext {
	uint32_t vcpu;
	uint32_t pad;
	uint64_t pc;
	uint64_t x0; /* the device tree's address, as Linux's boot protocol wants */
};

/*
 * Grant ref (< GNTTAB_NR_RESERVED_ENTRIES) of the domain is made a grant of
 * its frame gfn to grantee, as libxc seeds the console and xenstore refs.
 */
struct domus_ctl_seedgrant {
	uint32_t ref;
	uint16_t grantee;
	uint16_t readonly;
	uint64_t gfn;
};

/*
 * A guest's SBSA UART from dom0 (`domus console -t vuart`): up to out_size
 * bytes of what the guest wrote, from position index of its output on
 * (Domus keeps the last DOMUS_VUART_KEPT bytes: from an older position the
 * oldest kept is given, and lost says how many were skipped), index
 * advanced past them; and in_count bytes typed to it (in_taken: how many
 * fitted its input buffer). While dom0 calls this at least every second, the
 * guest's output no longer shows on Domus' own console (it is still logged).
 * -ENODEV if the guest has no such UART.
 */
#define DOMUS_VUART_KEPT 16384
#define DOMUS_VUART_MAX_IO 1024 /* each way, per call */

struct domus_ctl_vuart {
	uint64_t out_buffer;
	uint32_t out_size;
	uint32_t out_count; /* out */
	uint64_t index; /* in/out */
	uint64_t in_buffer;
	uint32_t in_count;
	uint32_t in_taken; /* out */
	uint64_t lost; /* out */
};

/*
 * A vCPU's whole state, as save carries it (AArch64). buffer points at size
 * bytes, which must be sizeof(struct domus_vcpu_state).
 */
struct domus_ctl_vcpustate {
	uint32_t vcpu;
	uint32_t size;
	uint64_t buffer;
};

#define DOMUS_VCPU_STATE_DOWN (1U << 0) /* PSCI: off, or never started */
#define DOMUS_VCPU_STATE_RDIST_ASLEEP (1U << 1) /* GICR_WAKER.ProcessorSleep */

struct domus_vcpu_state {
	uint32_t vcpu;
	uint32_t flags; /* DOMUS_VCPU_STATE_* */
	uint64_t x[31], pc, pstate; /* pstate: AArch64 EL0t, EL1t or EL1h only */
	uint64_t sp_el0, sp_el1, elr_el1, spsr_el1;
	uint64_t sctlr_el1, cpacr_el1, ttbr0_el1, ttbr1_el1, tcr_el1, mair_el1, amair_el1;
	uint64_t esr_el1, far_el1, afsr0_el1, afsr1_el1, par_el1;
	uint64_t vbar_el1, contextidr_el1, cntkctl_el1;
	uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, csselr_el1, mdscr_el1;
	uint64_t fp_q[64], fpsr, fpcr;
	/* Timers: compare values in the guest's own counter (the domain's offset applied). */
	uint64_t cntv_ctl, cntv_cval, cntp_ctl, cntp_cval;
	/* The GIC's virtual CPU interface: priority mask, group enables, active priorities. */
	uint64_t ich_vmcr, ich_ap0r[4], ich_ap1r[4];
	/* Its private interrupts, bit n for INTID n: latched pending, active, enabled, edge. */
	uint32_t irq_pending, irq_active, irq_enabled, irq_edge;
	uint8_t irq_priority[32];
	/* Xen's per-vCPU registrations: vcpu_info (gfn ~0: none) and the runstate area (0: none). */
	uint64_t vcpu_info_gfn;
	uint32_t vcpu_info_offset;
	uint32_t pad;
	uint64_t runstate_va;
};

/*
 * Up to DOMUS_READPAGES_MAX frames of a paused or suspended domain, by gfn:
 * each frame that is the domain's RAM is copied to buffer (a page each, in
 * order) and its byte in missing is 0; any other gfn (a hole, its
 * shared_info, a grant or foreign mapping) gets 1 there and its page in
 * buffer is left as it was.
 */
#define DOMUS_READPAGES_MAX 256

/*
 * writepages: the reverse, into a domain being built: each gfn must be its
 * RAM (-EINVAL at the first that is not; missing is not used).
 */
struct domus_ctl_readpages {
	uint64_t gfns; /* pointer to count u64 */
	uint64_t buffer; /* pointer to count pages */
	uint64_t missing; /* pointer to count bytes */
	uint32_t count;
	uint32_t pad;
};

/*
 * logdirty (docs/MIGRATION.md): ENABLE starts logging a running or paused
 * domain (-EBUSY if it is logged already; its RAM can no longer grow, shrink
 * or move: those calls fail with -EBUSY), CLEAN makes [gfn, gfn + count) of its RAM read-only and sets
 * bit i of the bitmap for each page gfn + i written since the last CLEAN
 * (the first CLEAN of the domain's life: every page; after a DISABLE, pages
 * not written since stay clean, so a new migration sends everything in its
 * first round); returns how many. readpages works on the
 * domain while logging. DISABLE ends it (a logged page becomes writable at
 * its next write). count: a multiple of 64, at most DOMUS_LOGDIRTY_MAX.
 */
#define DOMUS_LOGDIRTY_ENABLE 1
#define DOMUS_LOGDIRTY_DISABLE 2
#define DOMUS_LOGDIRTY_CLEAN 3
#define DOMUS_LOGDIRTY_MAX 32768
struct domus_ctl_logdirty {
	uint32_t op;
	uint32_t count;
	uint64_t gfn;
	uint64_t bitmap; /* pointer to count / 8 bytes */
};

/*
 * sharepages (docs/CLONE.md): gives clone `to` (being built) the pages
 * [gfn, gfn + count) that the domain named by the call's domid (paused, or
 * suspended) has as RAM, at the same gfns: each unpinned page shared
 * copy-on-write (both map it read-only; the first write gives the writer a
 * copy), a pinned one (granted to another domain, mapped by dom0, holding a
 * vcpu_info) copied. Holes are skipped. Counts out; count at most
 * DOMUS_SHARE_MAX. -ENOMEM when the clone's limit or Domus' memory is reached
 * (what was given stays; the toolstack destroys the clone).
 */
#define DOMUS_SHARE_MAX 32768
struct domus_ctl_sharepages {
	uint64_t gfn;
	uint32_t count;
	uint16_t to;
	uint16_t pad;
	uint32_t shared; /* out */
	uint32_t copied; /* out */
};

/* A domain's state beside its memory and vCPUs. */
struct domus_ctl_domainstate {
	uint64_t counter; /* the guest's virtual counter: get reads it, set makes it continue from it */
	uint64_t shared_info_gfn; /* ~0: not mapped */
	uint32_t gicd_ctlr; /* the distributor's group enables (bits 0, 1), as the guest set them */
	uint32_t vm_assist; /* VMASST_TYPE_* bits the guest enabled (set once, at its boot) */
};

/*
 * A domain's event channels carried as the guest left them, for a migration
 * the guest takes no part in (docs/MIGRATION.md, "Under 100 ms"). getports:
 * up to count of a stopped domain's bound ports, from port first on, into
 * buffer; count becomes how many, next the port to ask from next time (0:
 * none left). setports: count ports into a domain being built after its
 * setdomainstate, each at its own number, which must be free. An
 * INTERDOMAIN port cannot be set (its peer is not there): the toolstack sets
 * it UNBOUND for the domain that will bind it. PENDING and MASKED are the
 * port's bits in shared_info.
 */
#define DOMUS_PORT_UNBOUND 1
#define DOMUS_PORT_INTERDOMAIN 2
#define DOMUS_PORT_VIRQ 3
#define DOMUS_PORT_IPI 4
#define DOMUS_PORT_PENDING (1U << 0)
#define DOMUS_PORT_MASKED (1U << 1)
#define DOMUS_PORTS_MAX 256 /* per call */
struct domus_port {
	uint32_t port;
	uint8_t state; /* DOMUS_PORT_* */
	uint8_t virq; /* VIRQ: which */
	uint8_t flags; /* DOMUS_PORT_PENDING, DOMUS_PORT_MASKED */
	uint8_t pad;
	uint16_t notify_vcpu; /* the vCPU told of its events (a per-vCPU VIRQ's own) */
	uint16_t remote_dom; /* UNBOUND: who may bind it; INTERDOMAIN: the peer */
	uint32_t remote_port; /* INTERDOMAIN: the peer's port (getports only) */
};

struct domus_ctl_ports {
	uint64_t buffer; /* pointer to count struct domus_port */
	uint32_t first; /* getports: the first port to look at */
	uint32_t count; /* in: entries (at most DOMUS_PORTS_MAX); getports out: given */
	uint32_t next; /* getports out */
	uint32_t pad;
};

/*
 * A domain's grant table as the guest left it (the same migration).
 * getgrantframe: frame idx's 512 v1 entries into buffer (a page), the gfn the
 * guest placed it at (~0: none), and, whatever idx, how many frames the table
 * has, the pins other domains hold on its grants past the reserved refs
 * (the toolstack waits for 0: then no back end writes its memory), and how
 * many mappings it holds of others' grants (those cannot move). -ENOENT
 * past its frames. With buffer 0, only the counts and gfn: then the domain
 * may be running (the toolstack waits, the guest running, for its back
 * ends to let go); a frame needs it stopped (-EBUSY). setgrantframe:
 * frame idx (< 64) of a domain being built takes buffer's entries and,
 * unless gfn is ~0, its place at gfn.
 */
struct domus_ctl_grantframe {
	uint64_t buffer;
	uint64_t gfn;
	uint32_t idx;
	uint32_t nr_frames; /* get: out */
	uint32_t pins; /* get: out */
	uint32_t maps; /* get: out */
};

struct domus_ctl {
	uint32_t version;
	uint32_t cmd;
	uint16_t domid; /* in; out for getdomaininfo */
	uint16_t pad[3];
	union {
		struct domus_ctl_domaininfo domaininfo;
		struct domus_ctl_vcpuinfo vcpuinfo;
		struct domus_ctl_readconsole readconsole;
		struct domus_ctl_createdomain createdomain;
		struct domus_ctl_vcpucontext vcpucontext;
		struct domus_ctl_physinfo physinfo;
		struct domus_ctl_seedgrant seedgrant;
		struct domus_ctl_vuart vuart;
		struct domus_ctl_vcpustate vcpustate;
		struct domus_ctl_domainstate domainstate;
		struct domus_ctl_readpages readpages;
		struct domus_ctl_logdirty logdirty;
		struct domus_ctl_sharepages sharepages;
		struct domus_ctl_ports ports;
		struct domus_ctl_grantframe grantframe;
		uint8_t pad[112];
	} u;
};

_Static_assert(sizeof(struct domus_ctl) == 128, "domus_ctl is 128 bytes");

/* The layouts above, pinned (the rest are pinned beside their structs). */
_Static_assert(sizeof(struct domus_ctl_domaininfo) == 88, "layout");
_Static_assert(sizeof(struct domus_ctl_vcpuinfo) == 24, "layout");
_Static_assert(sizeof(struct domus_ctl_readconsole) == 24, "layout");
_Static_assert(sizeof(struct domus_ctl_createdomain) == 48, "layout");
_Static_assert(sizeof(struct domus_ctl_physinfo) == 24, "layout");
_Static_assert(sizeof(struct domus_ctl_vcpucontext) == 24, "layout");
_Static_assert(sizeof(struct domus_ctl_seedgrant) == 16, "layout");
_Static_assert(sizeof(struct domus_ctl_vuart) == 48, "layout");
_Static_assert(sizeof(struct domus_ctl_vcpustate) == 16, "layout");
_Static_assert(sizeof(struct domus_vcpu_state) == 1168, "layout");
_Static_assert(sizeof(struct domus_ctl_domainstate) == 24, "layout");
_Static_assert(sizeof(struct domus_ctl_readpages) == 32, "layout");
_Static_assert(sizeof(struct domus_ctl_logdirty) == 24, "layout");
_Static_assert(sizeof(struct domus_ctl_sharepages) == 24, "layout");
_Static_assert(sizeof(struct domus_port) == 16, "layout");
_Static_assert(sizeof(struct domus_ctl_ports) == 24, "layout");
_Static_assert(sizeof(struct domus_ctl_grantframe) == 32, "layout");

#endif
