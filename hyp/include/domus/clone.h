/* SPDX-License-Identifier: MIT */
/* Cloning a running guest: its memory shared copy-on-write (hyp/core/clone.c, docs/CLONE.md). */
#ifndef DOMUS_CLONE_H
#define DOMUS_CLONE_H

#include <public/domus_ctl.h>

struct domain;
struct vcpu;

/* DOMUS_CTL_sharepages: from's RAM in the range into clone s->to; the counts in s. */
long clone_share_pages(struct vcpu *caller, struct domain *from, struct domus_ctl_sharepages *s);

#endif
