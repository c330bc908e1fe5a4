/* SPDX-License-Identifier: MIT */
/* Xen 2-level event channels: a domain's ports, their bindings, and delivery. */
#ifndef DOMUS_EVTCHN_H
#define DOMUS_EVTCHN_H

#include <domus/spinlock.h>
#include <domus/types.h>
#include <public/xen.h>

struct domain;
struct domus_port;
struct vcpu;

enum evtchn_state { EVTCHN_FREE, EVTCHN_UNBOUND, EVTCHN_INTERDOMAIN, EVTCHN_VIRQ, EVTCHN_IPI };

/* One port. 16 bytes, so a domain's 4096 ports take 64 KiB. */
struct evtchn {
	struct domain *remote; /* INTERDOMAIN: the peer domain */
	domid_t remote_id; /* UNBOUND: who may connect; INTERDOMAIN: the peer's id */
	u16 remote_port; /* INTERDOMAIN: the peer's port */
	u16 notify_vcpu; /* the vCPU whose upcall announces this port */
	u8 state; /* enum evtchn_state */
	u8 virq; /* VIRQ: which one */
};

struct evtchn_domain {
	spinlock_t lock; /* the port table and virq_port */
	u32 nr_vcpus;
	/* Raised while the guest had no shared_info yet: moved there when it has. */
	bool early;
	u64 early_pending[EVTCHN_2L_NR_CHANNELS / 64];
	struct evtchn port[EVTCHN_2L_NR_CHANNELS]; /* port 0 is never allocated */
	u16 virq_port[][NR_VIRQS]; /* per vCPU: the port of each VIRQ, 0 if unbound;
				      global VIRQs are recorded on vCPU 0 */
};

/* Per-domain state in d->evtchn. Init: 0, -EEXIST, -EINVAL or -ENOMEM. */
int evtchn_domain_init(struct domain *d);
/*
 * Phase 1 of d's destruction (domain.h): closes every port, so that no peer
 * names d any more (connected peers go back to unbound, waiting for d's id).
 * d's vCPUs must be out of hypercalls, and d DYING, so nothing binds anew.
 */
void evtchn_domain_close(struct domain *d);
/* Phase 3: frees d's port state, once no pCPU can still be looking at it. */
void evtchn_domain_free(struct domain *d);

/* Bytes of the argument of EVTCHNOP cmd, or -ENOSYS if Domus does not do it. */
long evtchn_op_size(int cmd);
/* EVTCHNOP cmd for v's domain; arg holds evtchn_op_size(cmd) bytes, updated in place. */
long evtchn_op(struct vcpu *v, int cmd, void *arg);

/*
 * The hypervisor raises VIRQ virq of d, as bound on vCPU 0 (where global VIRQs
 * always are). 0; -ENOENT if the guest has not bound it; -EINVAL for a bad virq.
 */
int evtchn_send_virq(struct domain *d, u32 virq);
/* The same for a per-vCPU VIRQ (TIMER, DEBUG, ...) as bound on v. */
int evtchn_send_vcpu_virq(struct vcpu *v, u32 virq);
/* For a toolstack: a port in d that remote may connect to. */
int evtchn_alloc_unbound_port(struct domain *d, domid_t remote, u32 *port);
/*
 * Call after setting d->shared_info (and vCPU 0's vcpu_info): events raised
 * before then are made pending in it. Without this call they move at the next
 * event or unmask.
 */
void evtchn_shared_info_ready(struct domain *d);
/* Whether port's event is pending in d's shared_info (SCHEDOP_poll): the guest's view, unlocked. */
bool evtchn_port_pending(struct domain *d, u32 port);
/*
 * A migration the guest takes no part in (public/domus_ctl.h, getports and
 * setports). Get: up to n of d's bound ports from port first on, into out;
 * returns how many, *next the port to look at next (0: none left). d must be
 * stopped (the caller checks). Set: one port, at its own number, into d,
 * which is being built and has its shared_info: 0, or -EINVAL for a port,
 * state, vCPU or VIRQ out of range, -EEXIST for a port or VIRQ bound already
 * (but an UNBOUND port set again for the same domain takes the new bits:
 * the toolstack made the console and XenStore ports when it created d).
 */
u32 evtchn_ports_get(struct domain *d, u32 first, struct domus_port *out, u32 n, u32 *next);
int evtchn_port_set(struct domain *d, const struct domus_port *p);
/* Bound ports of d on the console (debug key). */
void evtchn_dump(struct domain *d);

#endif
