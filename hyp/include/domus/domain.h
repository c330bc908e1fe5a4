/* SPDX-License-Identifier: MIT */
/* Domains: the unit of isolation, with their memory, vCPUs and devices. */
#ifndef DOMUS_DOMAIN_H
#define DOMUS_DOMAIN_H

#include <domus/gnttab.h>
#include <domus/pgtable.h>
#include <domus/spinlock.h>
#include <domus/types.h>
#include <domus/vcpu.h>
#include <domus/vgic.h>

#include <public/sched.h>

#define DOMAIN_MAX_BANKS 8
#define GFN_NONE (~0ULL)
#define DOMAIN_MAX_DISPLACED (GNTTAB_DEFAULT_MAX_FRAMES + 8)
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
	u32 vmid;
	u64 cntvoff; /* counter value at creation: the guest's time 0 */
	struct pgtable s2;
	spinlock_t p2m_lock; /* changes to s2 after the domain is built */
	u64 s2_table_pages; /* hypervisor pages its stage-2 tables take */
	u64 s2_table_limit; /* 0: none (dom0) */
	u32 nr_banks;
	struct mem_bank banks[DOMAIN_MAX_BANKS];
	u64 mem_pages;
	u64 max_pages; /* what populate_physmap may bring it to */
	u32 nr_vcpus;
	struct vcpu **vcpus;
	struct vgic_dist vgic;
	struct mmio_handler mmio[DOMAIN_MAX_MMIO];
	u32 nr_mmio;
	/* Xen guest interface: the shared_info page (hypervisor VA), ports, grants. */
	struct shared_info *shared_info;
	u64 shared_info_gfn; /* where the guest mapped it, GFN_NONE if nowhere */
	u64 gnttab_gfn[GNTTAB_DEFAULT_MAX_FRAMES]; /* where each grant frame is mapped */
	u64 hvm_params[HVM_NR_PARAMS];
	u64 vm_assist; /* VMASST_TYPE_* bits the guest enabled */
	/*
	 * RAM a guest's shared pages displaced (add_to_physmap over RAM): out of
	 * its map but still its own, freed with it, when nothing can map it any more.
	 */
	paddr_t displaced[DOMAIN_MAX_DISPLACED];
	u32 nr_displaced;
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

struct domain *domain_create(domid_t id, const char *name, u32 nr_vcpus, u32 nr_spis);
void domain_init_vcpus(struct domain *d);
int domain_add_memory(struct domain *d, ipa_t ipa, paddr_t pa, u64 size);
int domain_add_mmio(struct domain *d, ipa_t base, u64 size,
		    int (*access)(struct vcpu *, ipa_t, u32, bool, u64 *, void *), void *ctx);
struct mmio_handler *domain_find_mmio(struct domain *d, ipa_t ipa);
struct vcpu *domain_vcpu_by_mpidr(struct domain *d, u64 mpidr);
void domain_pause(struct domain *d);
/* The lowest unused domain id, DOMID_INVALID if none. */
domid_t domain_free_id(void);
/*
 * Ends a guest domain and returns its memory to the free pool: its vCPUs
 * stop, its ports close, its grants and the other domains' mappings of its
 * frames go. -EBUSY if another domain still maps one of its grants (try
 * again after that is unmapped), -EPERM for dom0.
 */
int domain_destroy(struct domain *d);
/* Guest domains the toolstack builds (domu.c). */
int domu_create(const char *name, u32 nr_vcpus, u64 max_pages, domid_t *id);
int domu_set_vcpu_context(struct domain *d, u32 vcpu, u64 pc, u64 x0);
int domu_start(struct domain *d);
void domain_unpause(struct domain *d);
void domain_shutdown(struct domain *d, unsigned int reason);
void domain_crash(struct domain *d, const char *why);
struct domain *domain_list(void);
/* The domain with that id, or NULL. DOMID_SELF is the caller's job to resolve. */
struct domain *domain_by_id(domid_t id);
/* Calls fn on every domain with the domain list locked (fn must not create or destroy one). */
void domain_for_each(void (*fn)(struct domain *d));
/* Copies into guest memory by IPA (the domain's own banks only). */
int domain_copy_to_guest(struct domain *d, ipa_t ipa, const void *src, u64 len);
void *domain_ipa_to_va(struct domain *d, ipa_t ipa, u64 len);

/* vCPU affinity as Xen gives it: Aff0 = id % 16, Aff1 = id / 16. */
static inline u64 vcpu_affinity(vcpuid_t id)
{
	return ((u64)(id / 16) << 8) | (id % 16);
}

#endif
