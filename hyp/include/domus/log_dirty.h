/* SPDX-License-Identifier: MIT */
/* Dirty-page logging for live migration (hyp/core/log_dirty.c, docs/MIGRATION.md). */
#ifndef DOMUS_LOG_DIRTY_H
#define DOMUS_LOG_DIRTY_H

#include <domus/types.h>
#include <public/domus_ctl.h>

struct domain;
struct vcpu;

/* DOMUS_CTL_logdirty: ENABLE, DISABLE, or CLEAN a range into the caller's bitmap. */
long log_dirty_ctl(struct vcpu *caller, struct domain *d, const struct domus_ctl_logdirty *l);
/* For the memory calls: whether d's memory is frozen by logging (-EBUSY then, said once). */
bool log_dirty_refuses(struct domain *d);

#endif
