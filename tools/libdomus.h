/* SPDX-License-Identifier: MIT */
/* libdomus: hypercalls from dom0 user space through Linux's /dev/xen/privcmd. */
#ifndef LIBDOMUS_H
#define LIBDOMUS_H

#include <stdint.h>

#include <public/domus_ctl.h>

/* Opens /dev/xen/privcmd (once); -errno on failure, with a message on stderr. */
int domus_open(void);
/* Issues hypercall op with up to five arguments: its return value, or -errno. */
long domus_hypercall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4);
/* domus_ctl with version filled in: 0 or -errno. */
long domus_ctl(struct domus_ctl *c);

#endif
