/* SPDX-License-Identifier: MIT */
/*
 * Domains: the unit of isolation, with their memory, vCPUs and devices.
 *
 * A domain's lifetime, and who may hold a struct domain *:
 *
 *   domain_create                     domain_destroy
 *        |          phase 1: refuse      phase 2: wait for        phase 3:
 *        v          new references       the old ones             free
 *   BUILDING -> RUNNING/PAUSED/SHUTDOWN -> DYING (listed) -> unlinked -> gone
 *                                              |   ^
 *                                              +---+ -EBUSY while another domain
 *                                                    still pins one of its grants
 *
 * - Its own vCPUs hold v->dom while they run. Phase 1 pauses them and waits
 *   until none is loaded on a pCPU.
 * - Any other holder found it by id or on the list (domain_by_id,
 *   domain_list): the pointer is good until that pCPU next passes through
 *   schedule(). Domus' code runs to its end with interrupts masked and never
 *   schedules in the middle of a hypercall (long ones continue as a new call,
 *   see hypercall_dispatch), so that is the end of the hypercall or trap that
 *   made the lookup. Such a holder must not keep the pointer anywhere.
 * - Longer-lived references are only these, and phase 1 removes them: a
 *   connected event-channel pair names its peer (evtchn_domain_close breaks
 *   every pair), and a mapping or copy of a grant pins the granter's table
 *   (destroy stays in phase 1, returning -EBUSY, until the pins are gone).
 *
 * Phase 1 marks the domain DYING: domain_by_id no longer finds it, so no new
 * reference can be taken (only the toolstack's domain_by_id_any still sees
 * it, to retry a destroy). Phase 2 unlinks it and waits for a grace period
 * (sched_quiesce: every other pCPU passes through schedule()), after which no
 * pointer found before the unlink can still be in use. Phase 3 frees its
 * grant table, ports, frames (every frame mm records as its own), vCPUs and
 * the structure itself.
 */
#ifndef DOMUS_DOMAIN_H
#define DOMUS_DOMAIN_H

#include <domus/arch_domain.h>
#include <domus/gnttab.h>
#include <domus/spinlock.h>
#include <domus/types.h>
#include <domus/vcpu.h>

#include <public/sched.h>

#define DOMAIN_MAX_BANKS 8
#define GFN_NONE (~0ULL)
/* The PPI that signals event channels to every domain: Xen's GUEST_EVTCHN_PPI. */
#define EVTCHN_PPI 31

struct mem_bank {
	ipa_t ipa;
	paddr_t pa;
	u64 size;
};

enum domain_state { DOMAIN_BUILDING, DOMAIN_RUNNING, DOMAIN_PAUSED, DOMAIN_SHUTDOWN, DOMAIN_DYING };

/* Where a guest's MMIO access goes when no memory backs it. */
struct evtchn_domain;
struct gnttab_domain;
struct shared_info;

struct mmio_handler {
	ipa_t base;
	u64 size;
	/* Returns 0, or -errno to have an abort injected. */
	int (*access)(struct vcpu *v, ipa_t ipa, u32 size, bool write, u64 *val, void *ctx);
	void *ctx;
};

#define DOMAIN_MAX_MMIO 8

/* Xen's NR_DOMAIN_WATCHDOG_TIMERS: watchdogs one domain may set. */
#define DOMAIN_WATCHDOGS 2

struct domain {
	domid_t id;
	char name[32];
	spinlock_t lock;
	enum domain_state state;
	unsigned int shutdown_reason;
	u64 watchdog[DOMAIN_WATCHDOGS]; /* SCHEDOP_watchdog deadlines (counter); 0: unused */
	bool direct_map; /* IPA == PA (dom0) */
	bool privileged; /* may act on other domains (dom0) */
	bool vuart; /* has an emulated UART (arch_vuart_init): console input may go to it */
	u64 cntvoff; /* counter value at creation: the guest's time 0 */
	bool restored; /* built from a save file: its vCPUs start as they were saved */
	bool log_dirty; /* migrating: writes to its RAM are logged (log_dirty.c) */
	bool log_dirty_told; /* its refused memory calls have been logged */
	struct arch_domain arch; /* stage 2 and the vGIC (arch_s2_*, arch_vgic_*) */
	spinlock_t p2m_lock; /* changes to stage 2 after the domain is built */
	u64 s2_table_pages; /* hypervisor pages its stage-2 tables take */
	u64 s2_table_limit; /* 0: none (dom0) */
	u64 max_mapped_gfn; /* the highest gfn mapped since it was built, beyond its banks */
	u32 nr_banks;
	struct mem_bank banks[DOMAIN_MAX_BANKS];
	u64 mem_pages; /* its RAM: frames it owns, and shared ones it maps (p2m.c) */
	u64 max_pages; /* what populate_physmap may bring it to */
	u64 shared_pages; /* of them, shared copy-on-write with a clone or parent */
	u32 nr_vcpus;
	struct vcpu **vcpus;
	struct mmio_handler mmio[DOMAIN_MAX_MMIO];
	u32 nr_mmio;
	/* Xen guest interface: the shared_info page (hypervisor VA), ports, grants. */
	struct shared_info *shared_info;
	u64 shared_info_gfn; /* where the guest mapped it, GFN_NONE if nowhere */
	u64 gnttab_gfn[GNTTAB_DEFAULT_MAX_FRAMES]; /* where each grant frame is mapped */
	u64 hvm_params[HVM_NR_PARAMS];
	u64 vm_assist; /* VMASST_TYPE_* bits the guest enabled */
	struct evtchn_domain *evtchn;
	struct gnttab_domain *gnttab;
	/* Rate limit for log lines a guest can provoke (guest_printk). */
	u32 log_tokens;
	u64 log_stamp;
	u32 log_suppressed;
	struct domain *next;
};

#define SHUTDOWN_POWEROFF 0
#define SHUTDOWN_REBOOT 1
#define SHUTDOWN_CRASH 3

/*
 * A new domain, not yet listed: nobody can find it until the builder has set
 * it up whole (vGIC, vCPUs, limits) and called domain_publish.
 */
/*
 * The domain a call from v names: v's own for DOMID_SELF or its own id,
 * another domain only for a privileged caller. NULL with *err set (-ESRCH,
 * -EPERM), as Xen answers: whether it exists first, then whether v may.
 */
struct domain *domain_target(struct vcpu *v, domid_t id, long *err);
struct domain *domain_create(domid_t id, const char *name, u32 nr_vcpus, u32 nr_spis);
/* Lists d: from now on domain_by_id finds it. */
void domain_publish(struct domain *d);
void domain_init_vcpus(struct domain *d);
int domain_add_memory(struct domain *d, ipa_t ipa, paddr_t pa, u64 size);
int domain_add_mmio(struct domain *d, ipa_t base, u64 size,
		    int (*access)(struct vcpu *, ipa_t, u32, bool, u64 *, void *), void *ctx);
struct mmio_handler *domain_find_mmio(struct domain *d, ipa_t ipa);
/* The toolstack's pause: returns once none of d's vCPUs is on a pCPU (not for d's own vCPUs). */
void domain_pause(struct domain *d);
/* A domain shut down for suspend runs again (the toolstack's cancel): 0, or -EINVAL. */
int domain_resume(struct domain *d);
/* The same without the wait: the vCPUs leave their pCPUs at their next exit. */
void domain_pause_nosync(struct domain *d);
/*
 * An id for a new domain, DOMID_INVALID if all are taken. Not the lowest free
 * one: ids are handed out round robin, so a departed domain's id comes back
 * only after every other one was used (ports and XenStore permissions may
 * still name it for a while).
 */
domid_t domain_free_id(void);
/*
 * Ends a guest domain and returns its memory to the free pool (the three
 * phases above): its vCPUs stop, its ports close, its grants and the other
 * domains' mappings of its frames go. -EBUSY if another domain still maps one
 * of its grants (it stays DYING; call again once that is unmapped), -EPERM
 * for dom0. d must not be used after a return of 0.
 */
int domain_destroy(struct domain *d);
/* BUILDING to RUNNING with vCPU 0 started; -EBUSY if not BUILDING. */
int domain_start(struct domain *d);
void domain_unpause(struct domain *d);
void domain_shutdown(struct domain *d, unsigned int reason);
void domain_crash(struct domain *d, const char *why);
/* The first listed domain (DYING ones too); walk on with ->next, within the rule above. */
struct domain *domain_list(void);
/*
 * The live domain with that id, or NULL: never a DYING one, so no new
 * reference to a domain being destroyed can be taken. The pointer is good
 * until this pCPU next schedules. DOMID_SELF is the caller's job to resolve.
 */
struct domain *domain_by_id(domid_t id);
/* The same, DYING domains included: for the toolstack, which retries their destroy. */
struct domain *domain_by_id_any(domid_t id);
/* Calls fn on every domain with the domain list locked (fn must not create or destroy one). */
void domain_for_each(void (*fn)(struct domain *d));
/* Copies into guest memory by IPA (the domain's own banks only). */
int domain_copy_to_guest(struct domain *d, ipa_t ipa, const void *src, u64 len);
void *domain_ipa_to_va(struct domain *d, ipa_t ipa, u64 len);

#endif
