/* SPDX-License-Identifier: MIT */
/* Save and restore, the hypervisor's half (hyp/core/save_state.c): DOMUS_CTL_*state, resume. */
#ifndef DOMUS_SAVE_STATE_H
#define DOMUS_SAVE_STATE_H

#include <domus/types.h>
#include <public/domus_ctl.h>

struct domain;
struct vcpu;

/* Stopped for good until the toolstack says: paused, or shut down to be saved (or migrated). */
bool domain_stopped(const struct domain *d);
/* Out of a domain that is paused or shut down for suspend (else -EBUSY). */
long save_vcpu_get(struct vcpu *caller, struct domain *d, const struct domus_ctl_vcpustate *c);
long save_domain_get(struct domain *d, struct domus_ctl_domainstate *s);
/*
 * Into a domain being built (else -EBUSY): the domain's state first (its
 * counter, its shared_info page), then each vCPU's once. Started, each vCPU
 * that was up runs on from where it was saved.
 */
long save_domain_set(struct domain *d, const struct domus_ctl_domainstate *s);
long save_vcpu_set(struct vcpu *caller, struct domain *d, const struct domus_ctl_vcpustate *c);
/* Copies of its RAM frames (DOMUS_CTL_readpages), from a paused or suspended domain, or a logged one. */
long save_read_pages(struct vcpu *caller, struct domain *d, const struct domus_ctl_readpages *r);
/* Into its RAM frames (DOMUS_CTL_writepages), while it is being built. */
long save_write_pages(struct vcpu *caller, struct domain *d, const struct domus_ctl_readpages *r);
/*
 * Its event channels as they are (DOMUS_CTL_getports, from a stopped domain;
 * c's count and next answered), and into a domain being built after its
 * setdomainstate (DOMUS_CTL_setports), for a migration the guest takes no
 * part in.
 */
long save_ports_get(struct vcpu *caller, struct domain *d, struct domus_ctl_ports *c);
long save_ports_set(struct vcpu *caller, struct domain *d, const struct domus_ctl_ports *c);
/* Its grant table's frames, out and in, the same way (DOMUS_CTL_getgrantframe, setgrantframe). */
long save_grant_frame_get(struct vcpu *caller, struct domain *d, struct domus_ctl_grantframe *c);
long save_grant_frame_set(struct vcpu *caller, struct domain *d,
			  const struct domus_ctl_grantframe *c);
/* A domain shut down for suspend runs on, its suspend call returning 1 (cancelled). */
long save_resume(struct domain *d);

#endif
